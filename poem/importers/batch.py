"""Validated batches of events and their assembly into one :class:`~poem.traces.Traces`.

Every importer (tabular, JSON lines, edX, xAPI, OULAD) turns a chunk of raw input into a :class:`Batch`:
the accepted events as compact columns (learner and item as categoricals, timestamps as int64 ns UTC)
plus the rejects of that chunk. :func:`assemble` then merges the batches in reading order, rejects exact
duplicates, optionally pseudonymises learners, and encodes. Because the merge only concatenates in order
and duplicates are found across the whole input, reading a file in chunks gives exactly the same
``Traces`` as reading it whole.

The encoding is the one of :meth:`Traces.from_frame` (sorted vocabularies, stable sort by learner code,
timestamp, then reading order); it is done here from categorical codes instead of string columns so that
millions of events are never held as Python strings (a test checks that both give identical arrays).

Examples
--------
>>> import numpy as np, pandas as pd
>>> b = Batch.from_columns("demo", np.arange(3), ["b", "a", "a"], ["x", "y", "y"],
...                        np.array([2, 1, 1]), np.array([1.0, 0.0, 0.0]), np.full(3, np.nan))
>>> t = assemble([b])
>>> t.learners.tolist(), t.item.tolist(), t.summary().n_rejected, t.rejects["reason"].tolist()
(['a', 'b'], [1, 0], 1, ['duplicate'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from poem.errors import ParameterError, TraceFormatError
from poem.traces import REJECT_COLUMNS, VIDEO_FIELDS, Traces, empty_rejects

__all__ = ["Batch", "Skips", "assemble", "make_rejects", "trail_order", "scrub_details", "require_events",
           "dominant_reject", "no_events_message", "REASONS"]

#: Stable reason codes used in every rejects table, with what they mean.
REASONS = {
    "missing_learner": "no learner id (blank username / user_id / actor)",
    "missing_item": "no item id",
    "missing_timestamp": "no timestamp",
    "bad_timestamp": "timestamp cannot be parsed (or is out of range)",
    "naive_timestamp": "timestamp has no UTC offset and naive_timestamps was not given",
    "bad_score": "score is not a number",
    "score_out_of_range": "score outside [0, 1]",
    "bad_duration": "duration is not a non-negative number",
    "duplicate": "same learner, item, timestamp, score and duration as an earlier row",
    "malformed_json": "line is not valid JSON (or not a JSON object)",
    "malformed_row": "CSV row with the wrong number of fields",
    "unknown_event": "event type not imported (filtered out, or not a learning event)",
    "unknown_verb": "xAPI verb not imported",
    "bad_record": "record lacks a required structure (e.g. xAPI actor/object)",
    "collapsed": "video event folded into the viewing-session visit named in the detail (edX)",
    "bad_encoding": "line holds bytes that are not in the file's encoding (see encoding=)",
    "bad_id": "learner or item id holds a NUL character, which no output can keep",
    "voided": "xAPI statement voided by a later voiding statement",
    "other_course": "event of a course not selected with course=",
}


def make_rejects(source: str, rows, reasons, details) -> pd.DataFrame:
    """A rejects table (``source, row, reason, detail``) for one source."""
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    reasons = np.broadcast_to(np.asarray(reasons, dtype=object), (n,))
    details = np.broadcast_to(np.asarray(details, dtype=object), (n,))
    return pd.DataFrame({
        "source": pd.Series(np.full(n, source, dtype=object), dtype=object),
        "row": rows,
        "reason": pd.Series(np.array(reasons, dtype=object), dtype=object),
        "detail": pd.Series(np.array(details, dtype=object), dtype=object),
    })[REJECT_COLUMNS]


class Skips:
    """The records a JSON-log importer leaves out of one chunk, each with its reason code and a detail.

    The edX, xAPI and Caliper importers meet their skips one record at a time (an event type not imported,
    another course, a record without an actor); this keeps the three lists in step and puts them on the
    chunk's batch in one place, so no importer can drop a skip or misalign a reason with its row.

    Examples
    --------
    >>> skips = Skips("log.json")
    >>> skips.add(3, "unknown_event", "event type 'seek' not imported")
    >>> f = skips.frame()
    >>> f["row"].tolist(), f["reason"].tolist()
    ([3], ['unknown_event'])
    """

    def __init__(self, source: str):
        self.source = source
        self.rows: list[int] = []
        self.reasons: list[str] = []
        self.details: list[str] = []

    def add(self, row: int, reason: str, detail: str) -> None:
        """Record one skipped record (``row`` as counted by the reader) with a code of :data:`REASONS`."""
        if reason not in REASONS:  # a typo here would make a reason no summary or test knows
            raise ParameterError(f"unknown reject reason {reason!r}; known: {sorted(REASONS)}")
        self.rows.append(row)
        self.reasons.append(reason)
        self.details.append(detail)

    def no_id(self, row: int, field: str) -> None:
        """Record a record whose ``field`` (actor, object, learner, item) is a JSON object without an id."""
        self.add(row, "bad_record", f"{field} id is a JSON object or array without an id or name")

    def frame(self) -> pd.DataFrame:
        """The skips as a rejects table (``source, row, reason, detail``)."""
        return make_rejects(self.source, self.rows, np.asarray(self.reasons, dtype=object), self.details)

    def attach(self, batch: "Batch", chunk_rejects: pd.DataFrame) -> None:
        """Set ``batch.rejects`` to the chunk's unreadable lines, then these skips, then its own rejects."""
        parts = [r for r in (chunk_rejects, self.frame(), batch.rejects) if len(r)]
        batch.rejects = pd.concat(parts, ignore_index=True) if parts else batch.rejects


@dataclass
class Batch:
    """Accepted events of one chunk (reading order) and that chunk's rejects.

    ``learner`` and ``item`` are categoricals (codes + categories); ``row`` is each accepted event's
    position in its source (0-based data row for tables, 1-based line for JSON lines).
    ``n_naive`` / ``n_aware`` count rows whose timestamp was naive / carried an offset, so that
    :func:`assemble` can tell "every timestamp is naive" (an error with a hint) from a few stray ones.
    """

    source: str
    row: np.ndarray
    learner: pd.Categorical
    item: pd.Categorical
    timestamp: np.ndarray
    score: np.ndarray
    duration: np.ndarray
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    n_read: int = 0
    n_naive: int = 0
    n_aware: int = 0
    #: kind of each accepted event (edX event type, xAPI verb), part of the duplicate key when given:
    #: a ``failed`` and a ``passed`` at the same time are two events, not one repeated
    kind: pd.Categorical | None = None
    #: raw learner ids met in the chunk, rejected rows included (scrubbed from rejects when pseudonymising)
    seen_learners: set | None = None
    #: course id of accepted items (edX ``course_id``, xAPI / Caliper course activity), first seen kept:
    #: becomes the ``course`` column of ``traces.item_info``
    item_course: dict | None = None
    #: xAPI: statement id -> line of the statement of this source that voids it, and a callable that
    #: reads the source's records again; :func:`poem.importers.xapi.void_across_files` uses them to reject
    #: a statement voided from another file of the same import
    voids: dict | None = None
    reread: object = None
    #: optional per-event video columns (:data:`poem.traces.VIDEO_FIELDS`), aligned with ``row``
    video: dict | None = None

    @classmethod
    def from_columns(cls, source, row, learner, item, timestamp, score, duration, *, rejects=None,
                     n_read=None, n_naive=0, n_aware=None) -> "Batch":
        """Build a batch from plain columns of accepted events (strings for learner and item)."""
        row = np.asarray(row, dtype=np.int64)
        rejects = empty_rejects() if rejects is None else rejects
        return cls(
            source=source, row=row,
            learner=pd.Categorical(np.asarray(learner, dtype=object)),
            item=pd.Categorical(np.asarray(item, dtype=object)),
            timestamp=np.asarray(timestamp, dtype=np.int64),
            score=np.asarray(score, dtype=np.float64),
            duration=np.asarray(duration, dtype=np.float64),
            rejects=rejects,
            n_read=len(row) + len(rejects) if n_read is None else int(n_read),
            n_naive=int(n_naive), n_aware=len(row) if n_aware is None else int(n_aware),
        )


def _merge_codes(cats: list[pd.Categorical], extra=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted union vocabulary of several categoricals: ``(vocab, raw, remap)`` with ``remap[raw]`` the
    concatenated codes into ``vocab``.

    ``raw`` (int32) numbers the categories of all the categoricals one after the other (for a single
    categorical, its own codes), and ``remap`` (one entry per category) sends them into the vocabulary:
    one sort of the few distinct values does the merge, no per-row string is hashed again, and the
    per-row lookup ``remap[raw]`` is left to the compiled passes that read the codes anyway.
    """
    pieces = [np.asarray(c.categories, dtype=object) for c in cats]
    pieces.append(np.asarray([str(x) for x in extra], dtype=object))
    values = np.concatenate(pieces)
    if not len(values):
        return np.array([], dtype=object), np.array([], dtype=np.int32), np.array([], dtype=np.int32)
    # one hash pass over the categories of every batch (chunks repeat most ids), then a sort of the
    # distinct ones only, as numpy str (code point order), exactly like np.unique in Traces.from_frame
    first, distinct = pd.factorize(values)
    vocab, inverse = np.unique(np.asarray(distinct, dtype=object).astype(str), return_inverse=True)
    remap = inverse.reshape(-1).astype(np.int32)[first]
    if len(cats) == 1:  # one batch: its own codes (not copied when int32, as for many learners)
        # always int32, so that the compiled passes have one signature to compile and cache
        return vocab.astype(object), np.ascontiguousarray(cats[0].codes, dtype=np.int32), remap
    raw, start = [], 0
    for c in cats:
        if len(c.codes):
            raw.append(np.asarray(c.codes).astype(np.int32) + np.int32(start))
        start += len(c.categories)
    raw = np.concatenate(raw) if raw else np.array([], dtype=np.int32)
    return vocab.astype(object), raw, remap


def assemble(batches: list[Batch], *, duplicates: str = "reject", items=None, outcomes=None,
             item_info=None, pseudonymise_key=None, extra_rejects=None, n_extra_read: int = 0) -> Traces:
    """Merge batches (in reading order) into one encoded :class:`Traces`.

    Parameters
    ----------
    batches : list of Batch
    duplicates : {"reject", "keep"}
        Whether a row equal to an earlier accepted one on learner, item, timestamp, score and duration is
        rejected with reason ``duplicate``.
    items : iterable of str, optional
        Catalogue items added to the vocabulary.
    outcomes : DataFrame (learner, outcome) or Series, optional
    item_info : DataFrame, optional
    pseudonymise_key : str or bytes, optional
        Replace learner ids (and outcome keys) by keyed hashes, see :mod:`poem.pseudonym`.
    extra_rejects : DataFrame, optional
        Rejects that belong to no batch (e.g. rows dropped while joining tables); they count as read.
    n_extra_read : int
        Rows read outside the batches that are neither accepted nor in ``extra_rejects`` (normally 0).
    """
    if duplicates not in ("reject", "keep"):
        raise ParameterError(f"duplicates must be 'reject' or 'keep', got {duplicates!r}")
    n_naive = sum(b.n_naive for b in batches)
    n_aware = sum(b.n_aware for b in batches)
    if n_naive and not n_aware:
        raise TraceFormatError(
            f"all {n_naive} timestamps carry no UTC offset (e.g. '2024-01-01 10:00:00'); pass "
            "naive_timestamps='utc' (or the zone they were written in, e.g. 'Europe/Paris') to accept them")
    # codes stay "raw" (per-batch category numbers) with a small remap into the sorted vocabulary
    learners, learner_raw, learner_remap = _merge_codes([b.learner for b in batches])
    vocab, item_raw, item_remap = _merge_codes([b.item for b in batches], extra=() if items is None else items)
    ts = _cat([b.timestamp for b in batches], np.int64)
    score = _cat([b.score for b in batches], np.float64)
    duration = _cat([b.duration for b in batches], np.float64)
    rejects = [b.rejects for b in batches if len(b.rejects)]
    if extra_rejects is not None and len(extra_rejects):
        rejects.append(extra_rejects)
    item_info = _with_courses(item_info, batches)
    pseudonymised = False
    if pseudonymise_key is not None:
        from poem.pseudonym import pseudonymise_vocabulary

        # before sorting: the hashed vocabulary has its own order
        learners, remap = pseudonymise_vocabulary(learners, pseudonymise_key)
        learner_remap = np.asarray(remap, dtype=np.int32)[learner_remap]
        if outcomes is not None:
            outcomes = _pseudonymise_outcomes(outcomes, pseudonymise_key)
        pseudonymised = True
    order, sorted_ts, bounds = _trail_sort(learner_raw, learner_remap, ts, len(learners))
    sorted_learner = np.repeat(np.arange(len(learners), dtype=np.int32), np.diff(bounds))
    keep = None
    if duplicates == "reject" and len(ts):
        kind = None
        if any(b.kind is not None for b in batches):
            _, kind_raw, kind_remap = _merge_codes([
                b.kind if b.kind is not None else pd.Categorical(np.full(len(b.row), "", dtype=object))
                for b in batches])
            kind = (kind_raw, kind_remap)
        keep, dup_rejects = _duplicates(batches, order, sorted_learner, sorted_ts, item_raw, item_remap, score,
                                        duration, kind)
        if dup_rejects is not None:
            rejects.append(dup_rejects)
    all_rejects = _ordered_rejects(rejects, [b.source for b in batches])
    if pseudonymise_key is not None and len(all_rejects):
        raw_ids = set()
        for b in batches:
            raw_ids.update(str(c) for c in b.learner.categories)
            raw_ids.update(b.seen_learners or ())
        all_rejects["detail"] = scrub_details(all_rejects["detail"], raw_ids, pseudonymise_key)
    n_read = sum(b.n_read for b in batches) + n_extra_read + (
        len(extra_rejects) if extra_rejects is not None else 0)
    out_outcomes = None
    if outcomes is not None:
        from poem.traces import _align_outcomes  # the one definition of outcome alignment

        out_outcomes = _align_outcomes(outcomes, learners)
    video = _video_columns(batches, order, keep)
    learner_out, ts_out, item_out, score_out, duration_out = _gather(
        order, keep, sorted_learner, sorted_ts, item_raw, item_remap, score, duration)
    return Traces(
        learner=learner_out, item=item_out, timestamp=ts_out, score=score_out, duration=duration_out,
        learners=learners, items=vocab, outcomes=out_outcomes, item_info=item_info,
        rejects=all_rejects, n_read=int(n_read), pseudonymised=pseudonymised, video=video,
    )


def _video_columns(batches, order, keep):
    """The batches' video columns in trail order, duplicates dropped (None when no batch has any); done
    before :func:`_gather`, which compacts ``order`` in place."""
    names = [k for k in VIDEO_FIELDS if any(b.video and k in b.video for b in batches)]
    if not names:
        return None
    take = order if keep is None else order[keep]
    out = {}
    for k in names:
        col = np.concatenate([np.asarray(b.video[k], dtype=np.float64) if b.video and k in b.video
                              else np.full(len(b.row), np.nan) for b in batches])
        out[k] = col[take]
    return out


_TOKEN = re.compile(r"[^\s/'\"?&=:,;|()\[\]{}<>]+")
_JOINERS = re.compile(r"([.@+])")
_URL = re.compile(r"""(?P<q>['"])(?P<url>(?:[a-z][a-z0-9+.-]*://|/)[^'"]*)(?P=q)""", re.IGNORECASE)


def _scrub_token(token: str, hashed: dict) -> str:
    """``token`` with every id of ``hashed`` it holds as a run of its ``.``/``@``/``+``-joined parts
    (``edx.forum.j.doe.viewed`` holds ``j.doe``) replaced, longest run first."""
    if token in hashed:
        return hashed[token]
    pieces = _JOINERS.split(token)
    if len(pieces) == 1:
        return token
    words, seps = pieces[0::2], pieces[1::2]
    out, i = [], 0
    while i < len(words):
        end, repl = i, words[i]
        for j in range(len(words) - 1, i - 1, -1):
            cand = words[i] + "".join(seps[k] + words[k + 1] for k in range(i, j))
            if cand in hashed:
                end, repl = j, hashed[cand]
                break
        out.append(repl)
        if end + 1 < len(words):
            out.append(seps[end])
        i = end + 1
    return "".join(out)


def scrub_details(details: pd.Series, raw_ids, key) -> pd.Series:
    """Reject details fit for a pseudonymised import: every raw learner id in ``raw_ids`` is replaced by
    its pseudonym, and every quoted URL or path (edX page-view event types such as
    ``/courses/.../submission_history/<username>/...`` may name a learner never seen as an actor) is
    cut to its first segment.

    >>> scrub_details(pd.Series(["type '/u/ann/x' dropped", "line 3: ann"]), {"ann"}, "k").tolist()
    ["type '/u/…' (a URL, cut when pseudonymising) dropped", 'line 3: p9266175ac0e5692db793']
    """
    from poem.pseudonym import pseudonymise

    ids = sorted(i for i in raw_ids if i)
    hashed = dict(zip(ids, pseudonymise(ids, key))) if ids else {}
    # ids holding a delimiter (a space, a slash...) are not tokens: replaced as substrings, longest first
    spread = sorted((i for i in ids if _TOKEN.fullmatch(i) is None), key=len, reverse=True)

    def url(m):
        text = m.group("url")
        head = re.match(r"(?:[a-z][a-z0-9+.-]*://[^/]*)?/?[^/]*/?", text, re.IGNORECASE).group(0)
        return f"{m.group('q')}{head}…{m.group('q')} (a URL, cut when pseudonymising)"

    def one(text):
        if not isinstance(text, str):
            return text
        text = _URL.sub(url, text)
        for i in spread:
            text = text.replace(i, hashed[i])
        return _TOKEN.sub(lambda m: _scrub_token(m.group(0), hashed), text)

    codes, uniques = pd.factorize(details, use_na_sentinel=False)
    cleaned = np.array([one(u) for u in uniques], dtype=object)
    return pd.Series(cleaned[codes] if len(codes) else np.array([], dtype=object), index=details.index,
                     dtype=object, name=details.name)


def _with_courses(item_info, batches):
    """``item_info`` with a ``course`` column (the course of each item, None when unknown) when the
    batches know courses; a catalogue's own ``course`` column wins."""
    courses = {}
    for b in batches:
        for item, course in (b.item_course or {}).items():
            if course:
                courses.setdefault(item, course)
    if not courses:
        return item_info
    if item_info is None:
        index = pd.Index(sorted(courses), dtype=object)
        return pd.DataFrame({"course": pd.Series([courses[i] for i in index], index=index, dtype=object)})
    if "course" in item_info.columns:
        return item_info
    out = item_info.copy()
    out["course"] = pd.Series([courses.get(str(i)) for i in out.index], index=out.index, dtype=object)
    return out


#: the likely fix when every row was rejected for this reason
_FIXES = {
    "unknown_event": "wrong format, or no learning event of the types imported: check --format, or choose "
                     "the event types with --events (events=)",
    "unknown_verb": "no statement has a learning verb: choose the verbs with --verbs (verbs=)",
    "malformed_json": "the file is not JSON of this shape: check --format (a CSV? a table?)",
    "malformed_row": "rows do not match the header: check the delimiter and --format",
    "bad_encoding": "the file is not UTF-8: pass --encoding (encoding=) with its encoding, e.g. latin-1",
    "bad_timestamp": "timestamps cannot be read: epoch numbers need --timestamp-unit s|ms|us|ns "
                     "(timestamp_unit=), other layouts a timestamp_format=",
    "naive_timestamp": "timestamps have no UTC offset: pass --naive-timestamps ZONE (naive_timestamps=), "
                       "e.g. utc or Europe/Paris",
    "missing_timestamp": "no timestamp in the rows: name the column with --timestamp (timestamp=)",
    "missing_learner": "no learner id in the rows: name the column with --learner (learner=)",
    "missing_item": "no item id in the rows: name the column with --item (item=)",
    "score_out_of_range": "scores lie outside [0, 1]: scores on 0-100 need --score-max 100 (score_max=)",
    "bad_score": "scores are not numbers: decimal commas ('0,5') must be written with a point, or name "
                 "another column with --score (score=)",
    "bad_duration": "durations are not non-negative numbers of seconds: name another column with "
                    "--duration (duration=)",
    "duplicate": "every row repeats another: keep them with --keep-duplicates (duplicates='keep')",
    "other_course": "no event belongs to the course(s) chosen with --course: check the course id",
    "voided": "every statement was voided",
    "bad_record": "records lack the structure of this format: check --format",
    "bad_id": "ids hold NUL characters: the file is probably binary or corrupt",
    "collapsed": "",
}


def require_events(traces: Traces, what: str = "input") -> Traces:
    """Return ``traces`` when it holds events; otherwise raise :class:`TraceFormatError` in one line
    naming the dominant reject reason, an example of it and the likely fix (the flag to use).

    Every command that goes on from imported traces (``poem import``, ``poem fit``, ``poem report``)
    calls it, so that nothing is built on zero events.

    >>> import pandas as pd
    >>> from poem.io import read_traces
    >>> t = read_traces(pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": ["2024-01-01T00:00Z"],
    ...                               "score": [80]}))
    >>> require_events(t)
    Traceback (most recent call last):
    ...
    poem.errors.TraceFormatError: input: no usable event: read 1 rows, all rejected, mostly score_out_of_range (1 of 1: score '80' outside [0, 1]); scores lie outside [0, 1]: scores on 0-100 need --score-max 100 (score_max=)
    """
    if traces.n_events:
        return traces
    raise TraceFormatError(no_events_message(traces.n_read, traces.rejects, what))


#: the fix :func:`dominant_reject` names when unreadable timestamps are epoch numbers
EPOCH_FIX = "timestamps are epoch numbers: pass --timestamp-unit s|ms|us|ns (timestamp_unit=)"


def dominant_reject(rejects) -> tuple:
    """``(reason, count, example detail, fix)`` of the most common reject reason (ties: the greater
    reason name, as the report does), or ``None`` when there is no reject; the one place the likely fix
    of a reason is chosen (:func:`require_events`, the Dask engine and the report use it).

    >>> import pandas as pd
    >>> dominant_reject(pd.DataFrame({"reason": ["bad_score", "duplicate", "bad_score"],
    ...                               "detail": ["score '0,5' is not a number", "", "score 'x'"]}))[:3]
    ('bad_score', 2, "score '0,5' is not a number")
    """
    if rejects is None or not len(rejects):
        return None
    counts = rejects["reason"].astype(str).value_counts()
    top = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
    example = rejects.loc[rejects["reason"].astype(str) == top, "detail"].iloc[0]
    fix = _FIXES.get(top, "")
    if top == "bad_timestamp" and isinstance(example, str) and re.search(r"'\d{9,}(\.\d*)?'", example):
        fix = EPOCH_FIX
    if top == "bad_score" and isinstance(example, str) and re.search(r"'-?\d+,\d+'", example):
        fix = "scores use a decimal comma ('0,5'): write them with a point (0.5) before importing"
    return top, int(counts[top]), example, fix


def no_events_message(n_read: int, rejects, what: str = "input") -> str:
    """The one line :func:`require_events` raises when nothing usable is left of ``n_read`` rows."""
    found = dominant_reject(rejects) if n_read else None
    if found is None:
        return f"{what}: no usable event: no rows were read (empty input?)"
    top, count, example, fix = found
    return (f"{what}: no usable event: read {n_read} rows, all rejected, mostly {top} "
            f"({count} of {len(rejects)}: {example})" + (f"; {fix}" if fix else ""))


def _gather(order, keep, sorted_learner, sorted_ts, item_raw, item_remap, score, duration):
    """Every column in trail order, duplicates (``keep`` False) dropped, item codes remapped, in one
    compiled call (:func:`._order.gather_kept`); ``order``, ``sorted_learner`` and ``sorted_ts`` are
    compacted in place (nothing uses them afterwards)."""
    from poem.importers._order import gather_kept

    def column(values):  # a column the source did not have is NaN throughout: nothing to gather
        if not len(values) or (np.isnan(values[0]) and np.isnan(values).all()):
            return np.zeros(1), False
        return np.ascontiguousarray(values, dtype=np.float64), True

    (score, has_score), (duration, has_duration) = column(score), column(duration)
    return gather_kept(order, np.zeros(0, dtype=bool) if keep is None else keep, sorted_learner, sorted_ts,
                       item_raw, item_remap, score, duration, has_score, has_duration)


def _trail_sort(learner_raw: np.ndarray, learner_remap: np.ndarray, ts: np.ndarray, n_learners: int):
    """``(order, ts[order], bounds)`` of the stable sort by learner code ``learner_remap[learner_raw]``,
    timestamp, reading order; ``order`` is int32 (int64 beyond 2**31 events).

    ``bounds`` (``n_learners + 1`` offsets) delimits each learner's events in that order.
    """
    from poem.importers._order import trail_sort

    ts = np.ascontiguousarray(ts, dtype=np.int64)
    if not len(ts):
        return np.array([], dtype=np.int32), ts, np.zeros(n_learners + 1, dtype=np.int64)
    wide = len(ts) >= 2**31 - 1
    return trail_sort(np.ascontiguousarray(learner_raw), np.ascontiguousarray(learner_remap), ts, n_learners,
                      np.int64(0) if wide else np.int32(0))


def trail_order(learner_code: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """The permutation sorting events by learner, then timestamp, then reading order.

    Equal to ``np.lexsort((ts, learner_code))`` (a stable sort), computed in linear time for dense
    learner codes: a counting sort by learner, then each trail sorted by time (:mod:`._order`). Codes
    that are negative or spread far beyond the number of events are first compacted to their ranks.

    >>> trail_order(np.array([1, 0, 1, 0]), np.array([5, 7, 5, 3])).tolist()
    [3, 1, 0, 2]
    """
    learner_code = np.asarray(learner_code)
    if not len(learner_code):
        return np.array([], dtype=np.int64)
    lo, hi = int(learner_code.min()), int(learner_code.max())
    if lo < 0 or hi >= min(2 * len(learner_code) + 1024, 2**31 - 1):
        learner_code = np.unique(learner_code, return_inverse=True)[1].reshape(-1)
        lo, hi = 0, int(learner_code.max())
    identity = np.arange(hi + 1, dtype=np.int32)
    return _trail_sort(learner_code.astype(np.int32), identity, ts, hi + 1)[0].astype(np.int64)


def _ordered_rejects(rejects, sources) -> pd.DataFrame:
    """Concatenate rejects in a canonical order (source in reading order, then row), so that the table
    does not depend on how the input was chunked."""
    if not rejects:
        return empty_rejects()
    out = pd.concat(rejects, ignore_index=True)[REJECT_COLUMNS]
    rank = {}
    for s in list(sources) + out["source"].tolist():
        rank.setdefault(s, len(rank))
    key = out["source"].map(rank).to_numpy(dtype=np.int64)
    order = np.lexsort((out["row"].to_numpy(dtype=np.int64), key))
    out = out.iloc[order].reset_index(drop=True)
    out["row"] = out["row"].astype(np.int64)
    return out


def _cat(arrays, dtype):
    if len(arrays) == 1:  # one batch (a whole DataFrame): no copy, assemble never writes into it
        return np.asarray(arrays[0]).astype(dtype, copy=False)
    if arrays and all(a.strides == (0,) and (not len(a) or np.isnan(a[0])) for a in arrays):
        # a column no batch had (NaN broadcasts, see validate_frame): still no memory
        return np.broadcast_to(np.float64(np.nan), (sum(len(a) for a in arrays),))
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.array([], dtype=dtype)


def _float_key(values: np.ndarray) -> np.ndarray:
    """Float64 values as int64 keys that are equal exactly when the values compare equal, counting NaN
    equal to NaN (as pandas' ``duplicated`` does): -0.0 becomes 0.0 and every NaN one bit pattern."""
    v = values + 0.0  # -0.0 + 0.0 == +0.0
    v[np.isnan(v)] = np.nan
    return v.view(np.int64)


def _duplicates(batches, order, sorted_learner, sorted_ts, item_raw, item_remap, score, duration, kind=None):
    """Mask of sorted positions to keep (False for repeats of an earlier row) and the rejects of the
    repeats; ``(None, None)`` when there are none.

    Two equal events share learner and timestamp, so only runs of equal (learner, timestamp) in the
    stable sort need the full comparison, and within a run positions are in reading order. The runs'
    events (few, on real logs) are compared on integer keys: item code and the bits of score and
    duration.
    """
    n = len(order)
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = (sorted_ts[1:] == sorted_ts[:-1]) & (sorted_learner[1:] == sorted_learner[:-1])
    if not same_prev.any():
        return None, None
    in_run = same_prev.copy()
    in_run[:-1] |= same_prev[1:]
    pos = np.flatnonzero(in_run)  # sorted positions of the candidates, reading order within a run
    run = np.cumsum(~same_prev[pos])  # a run starts where an event differs from the previous one
    cand = order[pos]
    fields = (item_remap[item_raw[cand]].astype(np.int64), _float_key(score[cand]), _float_key(duration[cand]),
              run)
    if kind is not None:  # the event kind (verb, event type) is part of what makes two events equal
        fields = (kind[1][kind[0][cand]].astype(np.int64),) + fields
    by = np.lexsort((pos,) + fields)  # groups of equal events, earliest first
    same = np.ones(len(by), dtype=bool)
    for f in fields:
        g = f[by]
        same[1:] &= g[1:] == g[:-1]
    same[0] = False
    if not same.any():
        return None, None
    first = by[np.maximum.accumulate(np.where(same, 0, np.arange(len(by))))]  # each group's earliest
    dup_local, orig_local = by[same], first[same]
    dup, orig = cand[dup_local], cand[orig_local]
    # source and row of the few events named, found from each batch's start (no concatenation of all rows)
    starts = np.cumsum([0] + [len(b.row) for b in batches])
    names = np.array([b.source for b in batches], dtype=object)

    def where(events):
        batch_of = np.searchsorted(starts, events, side="right") - 1
        rows = np.empty(len(events), dtype=np.int64)
        for k in np.unique(batch_of):
            sel = batch_of == k
            rows[sel] = batches[k].row[events[sel] - starts[k]]
        return names[batch_of], rows

    dup_source, dup_row = where(dup)
    orig_source, orig_row = where(orig)
    detail = ("repeats row " + pd.Series(orig_row).astype(str) + " of "
              + pd.Series(orig_source).astype(str)).to_numpy(dtype=object)
    rej = pd.DataFrame({
        "source": pd.Series(dup_source, dtype=object),
        "row": dup_row,
        "reason": pd.Series(np.full(len(dup), "duplicate", dtype=object), dtype=object),
        "detail": pd.Series(detail, dtype=object),
    })
    keep = np.ones(n, dtype=bool)
    keep[pos[dup_local]] = False
    return keep, rej


def _pseudonymise_outcomes(outcomes, key):
    from poem.pseudonym import pseudonymise

    if isinstance(outcomes, pd.DataFrame):
        if "learner" not in outcomes.columns:
            raise TraceFormatError(f"outcomes need a learner column; found {list(outcomes.columns)}")
        out = outcomes.copy()
        out["learner"] = pseudonymise(out["learner"].astype(str).to_numpy(dtype=object), key)
        return out
    series = pd.Series(outcomes, dtype=float)
    series.index = pseudonymise(series.index.astype(str).to_numpy(dtype=object), key)
    return series
