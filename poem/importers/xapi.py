"""xAPI statements (a JSON array, or one statement per line) -> validated batches.

Following the xAPI specification (1.0.3 / IEEE 9274.1.1):

* learner = the actor's inverse functional identifier, in this order: ``account.name`` (prefixed by
  ``account.homePage`` + ``|`` only when ``account_home_page=True``), ``mbox`` (without ``mailto:``),
  ``mbox_sha1sum``, ``openid``; a statement with none is rejected as ``missing_learner``;
* item = ``object.id``; statements about other statements (``StatementRef``, ``SubStatement``) and
  voiding statements (verb ``.../voided``) are rejected as ``bad_record`` / ``unknown_verb``, and the
  statement a voiding statement names (anywhere in the file, or in another file of the same import) is
  rejected as ``voided``;
* statements are read from a JSON array, JSON Lines, one pretty-printed statement, or LRS responses
  ``{"statements": [...], "more": ...}`` (several pages one after the other too);
* time = ``timestamp``, or ``stored`` when the statement has no timestamp;
* score = ``result.score.scaled`` when present (negative scaled scores are outside [0, 1] and rejected),
  else ``(raw - min) / (max - min)`` when those are given, else ``result.success`` (true 1, false 0), else
  ``result.completion`` true -> 1 (false leaves the score unknown: not finishing is not failing);
* duration = ``result.duration`` (ISO 8601 duration such as ``PT1M30.5S``) in seconds;
  ``passed`` and ``failed`` without a result score mean 1 and 0;
* the xAPI video profile's extensions fill the video columns (:attr:`poem.traces.Traces.video`, see
  :func:`video_fields`): ``length`` from the context extension ``.../video/extensions/length`` (0 means
  unknown); ``covered`` from the result (or context) extension ``played-segments`` (the union of its ``start[.]end``
  segments), else ``progress`` times the length (``progress`` is a fraction in [0, 1]; a value in
  (1, 100] is read as a percentage); ``position_max`` the furthest end of a played segment, else the
  ``time`` of a ``paused``, ``completed`` or ``terminated`` statement; ``seeks_back`` 1 for a ``seeked``
  statement whose ``time-to`` lies more than a second before its ``time-from``, 0 for other seeks.
  The profile's ``progress`` and ``played-segments`` are cumulative over a session, which the viewing
  evidence folds into one visit (:mod:`poem.colony.viewing`);
* ``verbs=`` keeps only the listed verb ids (or their last path segment: ``"played"``; ``"all"`` keeps
  every verb); others are rejected as ``unknown_verb``. By default only the learning verbs of
  :data:`DEFAULT_VERBS` are read, so that enrolment, forum and navigation statements never become path
  items. :data:`VIDEO_VERBS` lists the xAPI video profile's verbs. The verb is part of the duplicate key;
* ``course=`` keeps the statements whose object, context parent or grouping id contains a listed course
  id; others are rejected as ``other_course``.

Examples
--------
>>> st = {"actor": {"mbox": "mailto:ann@example.org"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
...       "object": {"id": "http://example.org/quiz/1"}, "timestamp": "2024-01-01T10:00:00Z",
...       "result": {"success": True, "duration": "PT2M"}}
>>> row = statement_row(st)
>>> row["learner"], row["item"], row["score"], row["duration"]
('ann@example.org', 'http://example.org/quiz/1', 1.0, 120.0)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.importers.batch import Skips, make_rejects
from poem.importers.jsonlines import iter_json_records, json_id, json_length, json_scalar
from poem.importers.tabular import validate_frame

__all__ = ["iter_xapi_batches", "statement_row", "video_fields", "course_activity", "parse_iso_duration",
           "VIDEO_VERBS", "DEFAULT_VERBS"]

VIDEO_VERBS = frozenset({
    "https://w3id.org/xapi/video/verbs/played", "https://w3id.org/xapi/video/verbs/paused",
    "https://w3id.org/xapi/video/verbs/seeked", "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/initialized", "http://adlnet.gov/expapi/verbs/terminated",
    "http://adlnet.gov/expapi/verbs/interacted",
})
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
#: verbs imported by default (matched on the verb id's last segment): learning verbs of ADL, the video
#: profile's viewing verbs, and ``evaluated`` (Open edX's graded problem answer). Enrolment, forum and
#: navigation verbs are rejected as ``unknown_verb`` so they never become path items.
DEFAULT_VERBS = frozenset({"experienced", "attempted", "answered", "completed", "passed", "failed", "played",
                           "paused", "seeked", "evaluated"})

_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?"
                       r"(?:(\d+(?:\.\d+)?)S)?)?$")
_COLUMNS = {"learner": "actor (account.name/mbox/mbox_sha1sum/openid)", "item": "object.id",
            "timestamp": "timestamp", "score": "result.score",
            "duration": "result.duration"}


def parse_iso_duration(text) -> float:
    """Seconds in an ISO 8601 duration (days and smaller units); NaN when absent or unreadable.

    >>> parse_iso_duration("PT1H2M3.5S"), parse_iso_duration("P1D"), parse_iso_duration("soon")
    (3723.5, 86400.0, nan)
    """
    if not isinstance(text, str):
        return np.nan
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        return np.nan
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def _actor(actor, home_page: bool):
    """The learner of a statement (see the module docstring); None when the identifier is an object or
    array, which cannot be an id."""
    if not isinstance(actor, dict):
        return ""
    account = actor.get("account")
    if isinstance(account, dict) and account.get("name") not in (None, ""):
        name = json_id(account["name"])
        if name is None:
            return None
        return f"{account.get('homePage', '')}|{name}" if home_page else name
    mbox = actor.get("mbox")
    if isinstance(mbox, str) and mbox:
        return mbox[7:] if mbox.lower().startswith("mailto:") else mbox
    for key in ("mbox_sha1sum", "openid"):
        if actor.get(key) not in (None, ""):
            return json_id(actor[key])
    return ""


def _score(result) -> object:
    if not isinstance(result, dict):
        return None
    score = result.get("score")
    if isinstance(score, dict):
        if score.get("scaled") is not None:
            return json_scalar(score["scaled"])
        raw, lo, hi = score.get("raw"), score.get("min"), score.get("max")
        try:
            if raw is not None and hi is not None and float(hi) > float(lo or 0):
                return (float(raw) - float(lo or 0)) / (float(hi) - float(lo or 0))
        except (TypeError, ValueError):
            return json_scalar(raw)
    if isinstance(result.get("success"), bool):
        return 1.0 if result["success"] else 0.0
    if result.get("completion") is True:
        return 1.0
    return None


def _verb_name(vid) -> str:
    return vid.rstrip("/").rsplit("/", 1)[-1] if isinstance(vid, str) else ""


def statement_row(statement: dict, *, account_home_page: bool = False) -> dict:
    """The canonical fields of one statement (values unvalidated: the batch checks do that).

    ``passed`` and ``failed`` without a result score mean 1 and 0.
    """
    obj = statement.get("object")
    result = statement.get("result")
    score = _score(result)
    if score is None:
        verb = statement.get("verb")
        name = _verb_name(verb.get("id") if isinstance(verb, dict) else None)
        score = {"passed": 1.0, "failed": 0.0}.get(name)
    return {
        "learner": _actor(statement.get("actor"), account_home_page),
        "item": json_id(obj.get("id")) if isinstance(obj, dict) else "",
        "timestamp": json_scalar(statement.get("timestamp") or statement.get("stored")),
        "score": json_scalar(score),
        "duration": parse_iso_duration(result.get("duration")) if isinstance(result, dict) else np.nan,
    }


_VIDEO_EXT = "https://w3id.org/xapi/video/extensions/"


def _ext_number(holder, name) -> float:
    ext = holder.get("extensions") if isinstance(holder, dict) else None
    return json_length(ext.get(_VIDEO_EXT + name) if isinstance(ext, dict) else None)


def _segments(text) -> list:
    """The ``(start, end)`` pairs of a ``played-segments`` value such as ``"0[.]5.5[,]10[.]20"``."""
    if not isinstance(text, str) or len(text) > 100_000:
        return []
    out = []
    for part in text.split("[,]"):
        ends = part.split("[.]")
        if len(ends) != 2:
            continue
        try:
            a, b = float(ends[0]), float(ends[1])
        except ValueError:
            continue
        if np.isfinite(a) and np.isfinite(b) and 0 <= a < b:
            out.append((a, b))
    return out


def video_fields(statement: dict) -> dict:
    """The video columns of a statement of the xAPI video profile (NaN where it does not say; see the
    module docstring).

    >>> st = {"verb": {"id": "https://w3id.org/xapi/video/verbs/paused"},
    ...       "context": {"extensions": {"https://w3id.org/xapi/video/extensions/length": 200}},
    ...       "result": {"extensions": {"https://w3id.org/xapi/video/extensions/played-segments":
    ...                                 "0[.]50[,]40[.]90[,]150[.]160",
    ...                                 "https://w3id.org/xapi/video/extensions/progress": 0.5}}}
    >>> video_fields(st)
    {'length': 200.0, 'covered': 100.0, 'position_max': 160.0, 'seeks_back': nan}
    """
    ctx, result, obj = statement.get("context"), statement.get("result"), statement.get("object")
    length = _ext_number(ctx, "length")
    if not length > 0:
        definition = obj.get("definition") if isinstance(obj, dict) else None
        length = _ext_number(definition, "length")
    length = length if length > 0 else np.nan
    verb = statement.get("verb")
    name = _verb_name(verb.get("id") if isinstance(verb, dict) else None)
    covered = reach = back = np.nan
    segs = []
    for holder in (result, ctx):  # the profile puts it in the result, some players in the context
        ext = holder.get("extensions") if isinstance(holder, dict) else None
        segs = segs or (_segments(ext.get(_VIDEO_EXT + "played-segments")) if isinstance(ext, dict) else [])
    if segs:
        segs.sort()
        covered, cur_a, cur_b = 0.0, segs[0][0], segs[0][1]
        for a, b in segs[1:]:
            if a > cur_b:
                covered += cur_b - cur_a
                cur_a, cur_b = a, b
            else:
                cur_b = max(cur_b, b)
        covered += cur_b - cur_a
        reach = max(b for _, b in segs)
    else:
        progress = _ext_number(result, "progress")
        if progress != progress:
            progress = _ext_number(ctx, "progress")
        if progress > 1:
            progress = progress / 100 if progress <= 100 else np.nan
        if progress >= 0 and length > 0:
            covered = progress * length
        if name in ("paused", "completed", "terminated"):
            reach = _ext_number(result, "time")
    if name == "seeked":
        t_from, t_to = _ext_number(result, "time-from"), _ext_number(result, "time-to")
        if t_from == t_from and t_to == t_to:
            back = 1.0 if t_to < t_from - 1.0 else 0.0
    return {"length": length, "covered": covered, "position_max": reach, "seeks_back": back}


def _verb_matcher(verbs):
    if verbs is None:
        verbs = DEFAULT_VERBS
    if isinstance(verbs, str):
        if verbs == "all":
            return lambda vid: True
        raise ParameterError("verbs must be a collection of verb ids or names (or 'all'), not a single string")
    verbs = frozenset(verbs)
    if "all" in verbs:
        return lambda vid: True
    return lambda vid: vid in verbs or _verb_name(vid) in verbs


def course_activity(st) -> str:
    """The course a statement belongs to: the first context parent or grouping activity whose type is
    ``.../activities/course`` or whose id names a course (``/course/``, ``course-v1:``); "" when none."""
    ctx = st.get("context")
    acts = ctx.get("contextActivities") if isinstance(ctx, dict) else None
    if not isinstance(acts, dict):
        return ""
    for key in ("parent", "grouping"):
        group = acts.get(key)
        for a in group if isinstance(group, list) else [group]:
            if not isinstance(a, dict) or not isinstance(a.get("id"), str):
                continue
            definition = a.get("definition") if isinstance(a.get("definition"), dict) else {}
            kind = definition.get("type") if isinstance(definition.get("type"), str) else ""
            if kind.endswith("/activities/course") or "/course/" in a["id"] or "course-v1:" in a["id"]:
                return a["id"]
    return ""


def _course_of(st) -> str:
    """Every id that can name the statement's course (object, context parent and grouping), joined."""
    ids = []
    obj = st.get("object")
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        ids.append(obj["id"])
    ctx = st.get("context")
    acts = ctx.get("contextActivities") if isinstance(ctx, dict) else None
    if isinstance(acts, dict):
        for key in ("parent", "grouping"):
            group = acts.get(key)
            for a in group if isinstance(group, list) else [group]:
                if isinstance(a, dict) and isinstance(a.get("id"), str):
                    ids.append(a["id"])
    return " ".join(ids)


def iter_xapi_batches(path, *, chunksize=None, verbs=None, account_home_page=False, naive_timestamps=None,
                      course=None, encoding="utf-8", score_max=None):
    """Validated batches of xAPI statements; see the module docstring for the mapping.

    A statement voided by a voiding statement (verb ``voided``, object a ``StatementRef`` to its id)
    anywhere in the file is rejected as ``voided``; the batches are then yielded once the file has been
    read (the voiding statement may come after the statement it voids).
    """
    keep_verb = _verb_matcher(verbs)
    if isinstance(course, str):
        course = [course]
    courses = None if course is None else [str(c) for c in course]
    source = str(path)
    held, voided = [], {}
    for chunk in iter_json_records(path, chunksize, encoding=encoding):
        rows, fields, kinds, videos = [], [], [], []
        skips, seen, item_courses = Skips(source), set(), {}
        for st, line in zip(chunk.records, chunk.lines.tolist()):
            verb = st.get("verb")
            vid = verb.get("id") if isinstance(verb, dict) else None
            obj = st.get("object")
            otype = obj.get("objectType", "Activity") if isinstance(obj, dict) else None
            actor = _actor(st.get("actor"), account_home_page)
            if actor:
                seen.add(actor)
            if vid == VOIDED and otype == "StatementRef" and isinstance(obj.get("id"), str):
                voided.setdefault(obj["id"], line)
            if not isinstance(vid, str) or not vid:
                skips.add(line, "bad_record", "statement has no verb id")
            elif vid == VOIDED or not keep_verb(vid):
                skips.add(line, "unknown_verb", f"verb {vid!r} not imported" + (
                    " (voiding statement)" if vid == VOIDED else " (pass verbs= / --verbs to choose)"))
            elif otype in ("StatementRef", "SubStatement"):
                skips.add(line, "bad_record", f"object is a {otype}, not an activity")
            elif courses is not None and not any(c in _course_of(st) for c in courses):
                skips.add(line, "other_course", "statement of no selected course")
            else:
                row = statement_row(st, account_home_page=account_home_page)
                if row["learner"] is None or row["item"] is None:
                    skips.no_id(line, "actor" if row["learner"] is None else "object")
                    continue
                rows.append(line)
                fields.append(row)
                kinds.append(vid)
                videos.append(video_fields(st))
                course_id = course_activity(st)
                if course_id and row["item"]:
                    item_courses.setdefault(row["item"], course_id)
        frame = pd.DataFrame({
            _COLUMNS[k]: pd.Series([f[k] for f in fields], dtype=float if k == "duration" else object)
            for k in ("learner", "item", "timestamp", "score", "duration")})
        batch = validate_frame(frame, _COLUMNS, source=source, rows=np.asarray(rows, np.int64),
                               naive_timestamps=naive_timestamps, score_max=score_max)
        skips.attach(batch, chunk.rejects)
        batch.n_read = chunk.n_read
        accepted = np.isin(np.asarray(rows, np.int64), batch.row)
        batch.kind = pd.Categorical(np.asarray(kinds, dtype=object)[accepted])
        batch.video = _video_columns(videos, accepted)
        batch.seen_learners = seen
        batch.item_course = item_courses
        held.append(batch)
    def reread():
        return iter_json_records(path, chunksize, encoding=encoding)

    if voided:
        _drop_voided(held, reread, {sid: f"line {line}" for sid, line in voided.items()}, source)
    for batch in held:  # for a voiding statement in another file of the same import
        batch.voids, batch.reread = voided, reread
    yield from held


def void_across_files(batches: list) -> None:
    """Reject, in place, the accepted xAPI statements voided by a voiding statement of another file of the
    same import (a folder of daily LRS exports): each such statement becomes a reject ``voided`` naming
    the line and file of its voiding statement, so read = accepted + rejected still holds. Files are read
    a second time only when another file voids something.
    """
    by_source, where = {}, {}
    for batch in batches:
        if batch.voids is None:
            continue
        by_source.setdefault(batch.source, []).append(batch)
        for sid, line in batch.voids.items():
            where.setdefault(sid, (batch.source, line))
    for source, held in by_source.items():
        foreign = {sid: f"line {line} of {src}" for sid, (src, line) in where.items() if src != source}
        if foreign:
            _drop_voided(held, held[0].reread, foreign, source)


def _drop_voided(held, reread, voided, source):
    """Reject the accepted statements whose id a voiding statement names (``voided``: id -> where that
    statement is); a second pass (``reread()``) finds their lines; it runs only when something is voided."""
    lines = {}
    for chunk in reread():
        for st, line in zip(chunk.records, chunk.lines.tolist()):
            sid = st.get("id")
            if isinstance(sid, str) and sid in voided:
                lines[line] = voided[sid]
    for batch in held:
        drop = np.isin(batch.row, np.fromiter(lines, dtype=np.int64, count=len(lines)))
        if not drop.any():
            continue
        gone = batch.row[drop]
        rej = make_rejects(source, gone, "voided", [f"voided by the statement at {lines[int(r)]}"
                                                     for r in gone])
        keep = ~drop
        batch.rejects = pd.concat([batch.rejects, rej], ignore_index=True)
        batch.row, batch.timestamp = batch.row[keep], batch.timestamp[keep]
        batch.score, batch.duration = np.asarray(batch.score)[keep], np.asarray(batch.duration)[keep]
        batch.learner, batch.item = batch.learner[keep], batch.item[keep]
        batch.kind = batch.kind[keep]
        if batch.video is not None:
            batch.video = {k: v[keep] for k, v in batch.video.items()}


def _video_columns(videos, accepted) -> dict | None:
    """The statements' video fields as columns of the accepted rows; None when no statement has any."""
    out = {}
    for k in ("length", "covered", "position_max", "seeks_back"):
        col = np.fromiter((v[k] for v in videos), dtype=np.float64, count=len(videos))[accepted]
        if not np.isnan(col).all():
            out[k] = col
    return out or None
