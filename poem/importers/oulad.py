"""The Open University Learning Analytics Dataset (OULAD) -> :class:`~poem.traces.Traces`.

Kuzilek, Hlosta & Zdrahal (2017), *Scientific Data* 4:170171, CC BY 4.0. A directory holding the original
tables (``studentVle.csv`` required; ``vle.csv``, ``studentInfo.csv``, ``assessments.csv``,
``studentAssessment*.csv``, optional) is read as follows.

Events
    * every click-log row (``studentVle``) is one visit: learner ``id_student``, item ``id_site``, no score
      (clicks carry no success information, so ``score`` is NaN);
    * every assessment result (``studentAssessment``) is one event on the item ``assessment:<id>`` with
      score ``score / 100`` (blank score: NaN), at ``date_submitted``. Banked results are kept.

Timestamps
    OULAD gives only day offsets from the start of each presentation. The start is taken as 00:00 UTC on
    the first day of the presentation's month: ``YYYYB`` -> 1 February YYYY and ``YYYYJ`` -> 1 October
    YYYY (the dataset describes B presentations as starting in February and J in October; the exact days
    are not published). Timestamp = start + offset days. All events of one day therefore share a
    timestamp; ties keep reading order (click log first, then assessments; within a file, row order).
    The click log can list the same (student, site, day) several times: those rows are equal canonical
    events and are rejected as ``duplicate`` unless ``duplicates="keep"``.

Learners
    ``id_student`` when one presentation is read; ``module/presentation/id_student`` when several are,
    since outcomes and trails belong to one registration.

Outcomes (``final_result`` of ``studentInfo``, see :data:`FINAL_RESULT_OUTCOME`)
    Withdrawn 0, Fail 1/3, Pass 2/3, Distinction 1: an ordinal scale of how far the learner got.

Items
    ``traces.item_info`` holds every resource of the presentations read (``kind`` = ``activity_type``,
    ``week`` = ``week_from``; the ~1 100 resources with a planned week give a partial intended order)
    and every assessment (``kind`` = TMA / CMA / Exam, ``week`` from its deadline day).
    Resources nobody clicked are in the vocabulary.

``module=`` / ``presentation=`` restrict the import; rows of other presentations are skipped before
reading and do not count as read. Without them, the presentations read are those of the click log: the
assessment results of presentations with no click are out of the selection in the same way (skipped,
not counted as read), since a trail with no click would hold assessments only. A result of an assessment
``assessments.csv`` does not list belongs to no presentation: it is read and rejected.

Examples
--------
>>> from poem.io import bundled_oulad_dir
>>> t = read_oulad(bundled_oulad_dir())
>>> t.summary().n_read == t.n_events + len(t.rejects), sorted(t.rejects["reason"].unique().tolist())
(True, ['duplicate'])
>>> t.item_info.loc["assessment:1752", "kind"], round(float(t.outcomes.max()), 2)
('TMA', 1.0)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import ParameterError, TraceFormatError
from poem.importers.batch import Batch, assemble, make_rejects
from poem.importers.tabular import DEFAULT_CHUNKSIZE, _chunksize, validate_frame

__all__ = ["read_oulad", "presentation_start", "FINAL_RESULT_OUTCOME"]

FINAL_RESULT_OUTCOME = {"Withdrawn": 0.0, "Fail": 1 / 3, "Pass": 2 / 3, "Distinction": 1.0}
_MONTH = {"B": 2, "J": 10}
_DAY_NS = 86_400 * 10**9
_COLS = {"learner": "id_student", "item": "id_site", "timestamp": "date", "score": "score", "duration": None}


def presentation_start(code: str) -> pd.Timestamp:
    """The reference date of a presentation code (``2013J`` -> 2013-10-01 UTC).

    >>> str(presentation_start("2014B"))
    '2014-02-01 00:00:00+00:00'
    """
    code = str(code)
    if len(code) != 5 or not code[:4].isdigit() or code[4] not in _MONTH:
        raise TraceFormatError(f"OULAD presentation code {code!r} is not of the form YYYYB or YYYYJ")
    return pd.Timestamp(year=int(code[:4]), month=_MONTH[code[4]], day=1, tz="UTC")


def _csv(path: Path, **kw) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], **kw)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise TraceFormatError(f"OULAD table {path} cannot be read ({exc})") from exc


def _need(frame: pd.DataFrame, cols, path) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise TraceFormatError(f"OULAD table {path} lacks columns {missing}; columns found: "
                               f"{list(frame.columns)}")


def _select(frame, module, presentation):
    keep = np.ones(len(frame), bool)
    if module is not None:
        keep &= frame["code_module"].isin(_as_list(module)).to_numpy()
    if presentation is not None:
        keep &= frame["code_presentation"].isin(_as_list(presentation)).to_numpy()
    return keep


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


def _events(frame, rows, source, learner_id, item, days, score):
    """Validate one chunk of events whose time is a day offset from its presentation's start."""
    pres = frame["code_presentation"].astype(str)
    starts = {}
    for code in pres.unique():
        try:
            starts[code] = presentation_start(code).value
        except TraceFormatError:
            starts[code] = None
    start = pres.map(starts)
    day = pd.to_numeric(days, errors="coerce")
    integral = day.notna() & (day % 1 == 0)
    bad = (~integral | start.isna()).to_numpy()
    detail = np.where(start.isna().to_numpy(), "presentation " + pres.map(repr).to_numpy(dtype=object)
                      + " is not of the form YYYYB/YYYYJ",
                      "day offset " + days.astype(str).map(repr).to_numpy(dtype=object) + " is not a whole number")
    pre = make_rejects(source, rows[bad], "bad_timestamp", detail[bad])
    ok = ~bad
    ns = start[ok].to_numpy(dtype=np.int64) + day[ok].to_numpy(dtype=np.int64) * _DAY_NS
    canon = pd.DataFrame({
        "id_student": learner_id.to_numpy(dtype=object)[ok], "id_site": item.to_numpy(dtype=object)[ok],
        "date": pd.Series(pd.to_datetime(ns, unit="ns", utc=True)),
        "score": (score.to_numpy(dtype=object)[ok] if score is not None else np.full(int(ok.sum()), np.nan)),
    })
    batch = validate_frame(canon, _COLS, source=source, rows=rows[ok])
    if len(pre):
        batch.rejects = pd.concat([pre, batch.rejects], ignore_index=True)
        batch.n_read += len(pre)
    return batch


def read_oulad(directory, *, module=None, presentation=None, outcomes=None, item_info=None, items=None,
               pseudonymise_key=None, duplicates="reject", chunksize=None, outcome_map=None,
               include_assessments=True, **unused):
    """Read an OULAD directory into :class:`Traces`; see the module docstring for every choice made."""
    bad = {k: v for k, v in unused.items() if v is not None and k not in ("naive_timestamps",)}
    if bad:
        raise ParameterError(f"options not used by the OULAD reader: {sorted(bad)}")
    directory = Path(directory)
    vle_log = directory / "studentVle.csv"
    if not vle_log.is_file():
        found = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        raise TraceFormatError(f"{directory} is not an OULAD directory: no studentVle.csv (found {found})")
    mapping = dict(FINAL_RESULT_OUTCOME if outcome_map is None else outcome_map)
    size = _chunksize(chunksize) if chunksize is not None else DEFAULT_CHUNKSIZE

    head = _csv(vle_log, nrows=0)
    _need(head, ["code_module", "code_presentation", "id_student", "id_site", "date"], vle_log)
    pres_seen: set = set()
    raw_batches = []
    offset = 0
    try:
        with pd.read_csv(vle_log, dtype=str, keep_default_na=False, na_values=[""], chunksize=size) as reader:
            for chunk in reader:
                rows = np.arange(offset, offset + len(chunk), dtype=np.int64)
                offset += len(chunk)
                keep = _select(chunk, module, presentation)
                chunk, rows = chunk[keep], rows[keep]
                pres_seen.update(zip(chunk["code_module"], chunk["code_presentation"]))
                raw_batches.append((chunk, rows, str(vle_log)))
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise TraceFormatError(f"OULAD table {vle_log} cannot be read after data row {offset} ({exc})") from exc
    multi = len(pres_seen) > 1

    def learner_ids(frame):
        sid = frame["id_student"]
        if not multi:
            return sid
        return frame["code_module"] + "/" + frame["code_presentation"] + "/" + sid.fillna("")

    batches = [_events(c, r, s, learner_ids(c), c["id_site"], c["date"], None) for c, r, s in raw_batches]

    info_parts = []
    vle_path = directory / "vle.csv"
    if vle_path.is_file():
        vle = _csv(vle_path)
        _need(vle, ["id_site", "code_module", "code_presentation", "activity_type"], vle_path)
        vle = vle[_select(vle, module, presentation)]
        if pres_seen:
            vle = vle[pd.MultiIndex.from_frame(vle[["code_module", "code_presentation"]]).isin(list(pres_seen))]
        info_parts.append(pd.DataFrame({
            "item": vle["id_site"].to_numpy(dtype=object), "title": None,
            "kind": vle["activity_type"].to_numpy(dtype=object), "position": np.nan,
            "week": pd.to_numeric(vle.get("week_from"), errors="coerce").to_numpy(dtype=float),
            "code_module": vle["code_module"].to_numpy(dtype=object),
            "code_presentation": vle["code_presentation"].to_numpy(dtype=object)}))

    assess_path = directory / "assessments.csv"
    results = sorted(directory.glob("studentAssessment*.csv"))
    if include_assessments and assess_path.is_file() and results:
        assess = _csv(assess_path)
        _need(assess, ["code_module", "code_presentation", "id_assessment", "assessment_type"], assess_path)
        listed = set(assess["id_assessment"].dropna())  # every assessment, before the selection
        assess = assess[_select(assess, module, presentation)]
        if pres_seen:
            assess = assess[pd.MultiIndex.from_frame(assess[["code_module", "code_presentation"]])
                            .isin(list(pres_seen))]
        deadline = pd.to_numeric(assess.get("date"), errors="coerce")
        info_parts.append(pd.DataFrame({
            "item": ("assessment:" + assess["id_assessment"]).to_numpy(dtype=object),
            "title": (assess["assessment_type"] + " " + assess["id_assessment"]).to_numpy(dtype=object),
            "kind": assess["assessment_type"].to_numpy(dtype=object), "position": np.nan,
            "week": (np.floor(deadline / 7) + 1).to_numpy(dtype=float),
            "code_module": assess["code_module"].to_numpy(dtype=object),
            "code_presentation": assess["code_presentation"].to_numpy(dtype=object)}))
        for path in results:
            res = _csv(path)
            _need(res, ["id_assessment", "id_student", "date_submitted", "score"], path)
            rows = np.arange(len(res), dtype=np.int64)
            joined = res.merge(assess[["id_assessment", "code_module", "code_presentation"]],
                               on="id_assessment", how="left")
            keep = joined["code_module"].notna().to_numpy()  # results of assessments not selected: skipped
            # ... but a result of an assessment assessments.csv does not list belongs to no presentation:
            # it is read and rejected, not skipped
            unlisted = ~res["id_assessment"].isin(listed).to_numpy()
            if unlisted.any():
                ids = res["id_assessment"].to_numpy(dtype=object)[unlisted]
                batches.append(Batch.from_columns(str(path), [], [], [], [], [], [], rejects=make_rejects(
                    str(path), rows[unlisted], "bad_record",
                    [f"id_assessment {a!r} is not listed in {assess_path.name}" for a in ids])))
            joined, rows = joined[keep].reset_index(drop=True), rows[keep]
            pres_seen.update(zip(joined["code_module"], joined["code_presentation"]))
            score = pd.to_numeric(joined["score"], errors="coerce") / 100.0
            # a non-numeric score must reach the checks as written, not as NaN
            score = score.astype(object).where(joined["score"].isna() | score.notna(), joined["score"])
            batches.append(_events(joined, rows, str(path), learner_ids(joined),
                                   "assessment:" + joined["id_assessment"], joined["date_submitted"], score))

    if outcomes is None:
        outcomes = _outcomes(directory, module, presentation, pres_seen, multi, mapping)
    if item_info is None and info_parts:
        info = pd.concat(info_parts, ignore_index=True).drop_duplicates("item")
        item_info = info.set_index(pd.Index(info["item"].to_numpy(dtype=object), name="item")).drop(columns="item")
        items = item_info.index.tolist() if items is None else list(items)
    return assemble(batches, duplicates=duplicates, items=items, outcomes=outcomes, item_info=item_info,
                    pseudonymise_key=pseudonymise_key)


def _outcomes(directory, module, presentation, pres_seen, multi, mapping):
    path = directory / "studentInfo.csv"
    if not path.is_file():
        return None
    info = _csv(path)
    _need(info, ["code_module", "code_presentation", "id_student", "final_result"], path)
    info = info[_select(info, module, presentation)]
    if pres_seen:
        info = info[pd.MultiIndex.from_frame(info[["code_module", "code_presentation"]]).isin(list(pres_seen))]
    unknown = set(info["final_result"].dropna()) - set(mapping)
    if unknown:
        raise TraceFormatError(f"{path}: final_result values {sorted(unknown)} have no outcome; "
                               f"known: {sorted(mapping)} (pass outcome_map=)")
    learner = (info["code_module"] + "/" + info["code_presentation"] + "/" + info["id_student"]
               if multi else info["id_student"])
    out = pd.DataFrame({"learner": learner.to_numpy(dtype=object),
                        "outcome": info["final_result"].map(mapping).to_numpy(dtype=float)})
    return out.drop_duplicates("learner", keep="first")
