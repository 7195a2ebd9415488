"""Open edX tracking logs (JSON Lines, optionally gzip-compressed) -> validated batches.

What is read (field names from the Open edX "Events in the Tracking Logs" reference). Three shapes of an
event are understood: the tracking-log line (``event_type``, ``time``, ``event``), the event as
event-tracking hands it on (``name``, ``timestamp``, ``data``), and a mobile event exported in Segment's
shape (``properties.name``, ``properties.data``, ``timestamp``, ``context.traits.username``). A Python
logging header before each line (a Tutor/devstack ``tracking.log``), a byte-order mark and ``#`` comment
lines (rejected as ``malformed_json``) are handled by :mod:`poem.importers.jsonlines`.

* the learner is ``username``, else ``context.username``, ``context.user_id`` or ``event.user_id``; an
  event with none is rejected as ``missing_learner``; an id given as a JSON object gives its ``id`` /
  ``name`` field or the row is rejected as ``bad_record``;
* the time is ``time`` (ISO 8601 with offset);
* ``event`` may be an object or a JSON-encoded string (browser events encode it, sometimes twice); both
  are decoded (a string nested past the parser's depth is left undecoded, never a RecursionError);
* video events (:data:`VIDEO_EVENTS`: ``load_video``, ``play_video``, ``pause_video``, ``seek_video``,
  ``stop_video``, ``speed_change_video`` and the mobile ``edx.video.*`` names): item = ``event.id``,
  no score;
* ``problem_check`` from the server: item = ``event.problem_id``, score = ``grade / max_grade``; the
  browser's ``problem_check`` (answers only, no grade) is rejected as ``unknown_event`` because the
  server event of the same submission carries the grade;
* ``edx.grades.problem.submitted`` (:data:`GRADE_EVENTS`, the grade of blocks other than classic
  problems): item = ``event.problem_id``, score = ``weighted_earned / weighted_possible``; when a server
  ``problem_check`` of the same learner and problem lies within :data:`SAME_SUBMISSION_S` seconds, it is
  the same submission told twice and the grade event is rejected as ``duplicate`` naming that line;
* completion (:data:`COMPLETION_EVENTS`): ``complete_video`` -> the video with score 1,
  ``edx.completion.block_completion.changed`` -> ``event.block_id`` with score ``completion``;
* every other event type is rejected as ``unknown_event`` naming the type (pass ``events=`` to choose the
  event types to import; a type outside it is rejected the same way).

Items are unique within their course (``context.course_id``): ids that do not name their course run
(bare video hashes, ``i4x://`` ids, which repeat across runs) are prefixed with the course id and ``/``
(:func:`scope_item`); ``block-v1:`` usage keys already name it and are kept. ``course=`` keeps the events
of the listed course ids and rejects the others as ``other_course``. The event type is part of the
duplicate key: a ``play_video`` and a ``pause_video`` at one instant are two events.

With ``video_sessions=True`` the many play/pause/seek events of one viewing session collapse into one visit
per video: a session is a run of events of one learner on one video with gaps of at most ``session_gap``
seconds (default 1800). The visit takes the time and line of the session's first event; its ``duration``
is the wall-clock time from each play event to the next event of the session (each interval capped at
``session_gap``; a play with nothing after it counts 0, its end being unknown). The other events of the
session are listed in the rejects as ``collapsed`` with the line of their visit, so read = accepted +
rejected still holds.

The visit also carries what the player said (:attr:`poem.traces.Traces.video`, see
:func:`video_session_stats`), from the positions in the events: ``currentTime`` of ``play_video``,
``pause_video``, ``stop_video`` (and their ``edx.video.*`` mobile names), ``current_time`` of
``speed_change_video``, ``old_time`` / ``new_time`` of ``seek_video`` / ``edx.video.position.changed``,
and ``duration`` (the video's length) when an event carries it:

* ``covered``: seconds of distinct content played, the union of the played segments; a segment runs from
  a play (its ``currentTime``) to the next pause, stop, seek (``old_time``) or speed change of the
  session while playing; a seek while playing starts the next segment at ``new_time``. A play with
  nothing after it adds nothing (its end is unknown), as for ``duration``. NaN when a play carries no
  position and none is known before it (nothing can be placed on the video's timeline);
* ``position_max``: the furthest position played to (the largest end of a played segment; a seek ahead is not
  playing, so skipping to the end does not reach it); NaN when nothing was played;
* ``seeks_back``: seeks whose ``new_time`` lies more than :data:`SEEK_BACK_TOLERANCE_S` before
  ``old_time``;
* ``length``: the largest ``duration`` an event of the session gives (NaN when none does).

Positions are in seconds of content, so a speed change does not change ``covered``; segments are clipped
to ``[0, length]`` when the length is known.

Examples
--------
>>> import json, tempfile, os
>>> line = {"username": "ann", "event_type": "play_video", "time": "2024-01-01T10:00:00+00:00",
...         "event": json.dumps({"id": "vid1", "currentTime": 0})}
>>> with tempfile.TemporaryDirectory() as d:
...     path = os.path.join(d, "tracking.log")
...     with open(path, "w") as fh:
...         _ = fh.write(json.dumps(line) + "\\n" + json.dumps({**line, "username": ""}) + "\\n")
...     batches = list(iter_edx_batches(path))
>>> batches[0].item.tolist(), batches[0].rejects["reason"].tolist()
(['vid1'], ['missing_learner'])
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from numba import njit

from poem.errors import ParameterError
from poem.importers.batch import Batch, Skips, make_rejects
from poem.importers.jsonlines import iter_json_records, json_id, json_length, json_scalar
from poem.importers.tabular import scope_item, validate_frame

__all__ = ["iter_edx_batches", "collapse_video_sessions", "video_session_stats", "SEEK_BACK_TOLERANCE_S",
           "edx_fields", "scope_item", "VIDEO_EVENTS",
           "PROBLEM_EVENTS", "PLAY_EVENTS", "GRADE_EVENTS", "COMPLETION_EVENTS", "DEFAULT_EVENTS"]

VIDEO_EVENTS = frozenset({
    "load_video", "play_video", "pause_video", "seek_video", "stop_video", "speed_change_video",
    "edx.video.loaded", "edx.video.played", "edx.video.paused", "edx.video.position.changed",
    "edx.video.stopped", "edx.video.speed.changed",
})
PLAY_EVENTS = frozenset({"play_video", "edx.video.played"})
PROBLEM_EVENTS = frozenset({"problem_check"})
#: grade of a block other than a classic problem (``weighted_earned / weighted_possible``)
GRADE_EVENTS = frozenset({"edx.grades.problem.submitted"})
#: completion events: score 1 for a completed video, ``completion`` (0..1) for a block
COMPLETION_EVENTS = frozenset({"complete_video", "edx.completion.block_completion.changed"})
#: a seek counts as backward when it lands this many seconds or more before where it started (a shorter
#: jump back is the scrubbing noise of a slider, not a re-watch)
SEEK_BACK_TOLERANCE_S = 1.0
#: the player action of each video event type, as codes for :func:`video_session_stats`
_LOAD, _PLAY, _PAUSE, _SEEK, _STOP, _SPEED = range(6)
_ACTION = {"load_video": _LOAD, "edx.video.loaded": _LOAD, "play_video": _PLAY, "edx.video.played": _PLAY,
           "pause_video": _PAUSE, "edx.video.paused": _PAUSE, "seek_video": _SEEK,
           "edx.video.position.changed": _SEEK, "stop_video": _STOP, "edx.video.stopped": _STOP,
           "speed_change_video": _SPEED, "edx.video.speed.changed": _SPEED}
#: the event types imported by default
DEFAULT_EVENTS = VIDEO_EVENTS | PROBLEM_EVENTS | GRADE_EVENTS | COMPLETION_EVENTS

_COLUMNS = {"learner": "username/context.user_id", "item": "event.id/problem_id", "timestamp": "time",
            "score": "grade/max_grade", "duration": None}


def _decode(event):
    # browser events carry `event` as a JSON string, some pipelines encode it a second time
    for _ in range(2):
        if not isinstance(event, str):
            break
        text = event.strip()
        if not text or text[0] not in "{[\"":
            break
        try:
            event = json.loads(text)
        except (ValueError, RecursionError):  # a string nested past the parser's depth is not an event
            break
    return event


def _learner(rec, event):
    name = json_id(rec.get("username"))
    if name:
        return name
    ctx = rec.get("context")
    if isinstance(ctx, dict):
        for key in ("username", "user_id"):
            uid = json_id(ctx.get(key))
            if uid:
                return uid
    if isinstance(event, dict) and event.get("user_id") not in (None, ""):
        return json_id(event.get("user_id"))
    return ""


def _ratio(num, den) -> float:
    try:
        num, den = float(num), float(den)
    except (TypeError, ValueError):
        return np.nan
    return num / den if den > 0 else np.nan


def _course(rec, event) -> str:
    for holder in (rec.get("context"), event):
        if isinstance(holder, dict) and isinstance(holder.get("course_id"), str) and holder["course_id"]:
            return holder["course_id"]
    return ""


def _segment(rec):
    """An event in Segment's export shape (the mobile apps): ``(type, event, time, learner, course)``."""
    props = rec.get("properties") if isinstance(rec.get("properties"), dict) else {}
    ctx = rec.get("context") if isinstance(rec.get("context"), dict) else {}
    traits = ctx.get("traits") if isinstance(ctx.get("traits"), dict) else {}
    pctx = props.get("context") if isinstance(props.get("context"), dict) else {}
    learner = json_id(traits.get("username")) or json_id(rec.get("userId"))
    return (props.get("name") or "", _decode(props.get("data")), json_scalar(rec.get("timestamp")), learner,
            pctx.get("course_id") if isinstance(pctx.get("course_id"), str) else "")


def edx_fields(rec):
    """``(type, event, time, learner, course)`` of a tracking-log event, an event as event-tracking hands
    it on (``name``, ``data``, ``timestamp``) or a mobile event in Segment's shape (``properties.name``)."""
    if "properties" in rec and "event_type" not in rec and isinstance(rec.get("properties"), dict):
        return _segment(rec)
    etype = rec.get("event_type") or rec.get("name") or ""
    event = _decode(rec["event"]) if "event" in rec else rec.get("data")
    return (etype, event, json_scalar(rec.get("time") or rec.get("timestamp")), _learner(rec, event),
            _course(rec, event))


def _video_marks(etype, event) -> tuple:
    """``(action, position, old_time, new_time, duration)`` of a video event (NaN where absent)."""
    pos = event.get("currentTime")
    if pos is None:
        pos = event.get("current_time")
    return (_ACTION.get(etype, -1), json_length(pos), json_length(event.get("old_time")),
            json_length(event.get("new_time")), json_length(event.get("duration")))


def _item_score(etype, event):
    """``(item, score)`` of a wanted event, or ``(None, reason detail)`` when it carries no usable item."""
    if etype in PROBLEM_EVENTS:
        return event.get("problem_id"), _ratio(event.get("grade"), event.get("max_grade"))
    if etype in GRADE_EVENTS:
        return event.get("problem_id"), _ratio(event.get("weighted_earned"), event.get("weighted_possible"))
    if etype == "edx.completion.block_completion.changed":
        return event.get("block_id"), _ratio(event.get("completion"), 1.0)
    if etype == "complete_video":
        return event.get("id") or event.get("module_id"), 1.0
    return event.get("id") or event.get("module_id"), np.nan


def iter_edx_batches(path, *, chunksize=None, events=None, video_sessions=False, session_gap=1800.0,
                     naive_timestamps=None, course=None, encoding="utf-8", score_max=None):
    """Validated batches of an Open edX tracking log; see the module docstring for the rules."""
    if isinstance(events, str):
        raise ParameterError("events must be a collection of event type names, not a single string")
    if isinstance(course, str):
        course = [course]
    courses = None if course is None else frozenset(course)
    wanted = DEFAULT_EVENTS if events is None else frozenset(events)
    try:
        gap = float(session_gap)
    except (TypeError, ValueError):
        gap = -1.0
    if not gap > 0:
        raise ParameterError(f"session_gap must be a positive number of seconds, got {session_gap!r}")
    source = str(path)
    held = []  # video events kept back for the session collapse, which needs the whole log
    grades, checks = [], {}  # grade events, and the server problem_check of each (learner, problem)
    for chunk in iter_json_records(path, chunksize, encoding=encoding):
        rows, learners, items, times, scores, kinds, marks = [], [], [], [], [], [], []
        skips, seen, item_courses = Skips(source), set(), {}
        for rec, line in zip(chunk.records, chunk.lines.tolist()):
            etype, event, time, learner, course_id = edx_fields(rec)
            if isinstance(learner, str):
                seen.add(learner)
            # a malformed log may carry a non-string type (a dict, a list): unhashable, and never wanted
            if not isinstance(etype, str) or etype not in wanted:
                skips.add(line, "unknown_event", f"event type {etype!r} not imported")
                continue
            if courses is not None and course_id not in courses:
                skips.add(line, "other_course",
                          f"course {course_id!r} not selected" if course_id else "no course_id")
                continue
            if (etype in PROBLEM_EVENTS or etype in GRADE_EVENTS) and not isinstance(event, dict):
                skips.add(line, "unknown_event",
                          f"{rec.get('event_source', '')} {etype} carries answers, not a grade "
                          "(the server event is imported)".strip())
                continue
            if not isinstance(event, dict):
                event = {}
            item, score = _item_score(etype, event)
            item = json_id(item)
            if learner is None or item is None:
                skips.no_id(line, "learner" if learner is None else "item")
                continue
            item = scope_item(item, course_id)
            if etype in GRADE_EVENTS:  # held back: it may repeat the grade of a problem_check
                grades.append((line, learner, item, time, score, etype))
                continue
            if course_id and item:
                item_courses.setdefault(item, course_id)
            if etype in PROBLEM_EVENTS:
                checks.setdefault((learner, item), []).append((time, line))
            rows.append(line)
            learners.append(learner)
            items.append(item)
            times.append(time)
            scores.append(score)
            kinds.append(etype)
            if video_sessions:
                marks.append(_video_marks(etype, event) if etype in VIDEO_EVENTS else _NO_MARKS)
        frame = pd.DataFrame({_COLUMNS["learner"]: pd.Series(learners, dtype=object),
                              _COLUMNS["item"]: pd.Series(items, dtype=object),
                              _COLUMNS["timestamp"]: pd.Series(times, dtype=object),
                              _COLUMNS["score"]: pd.Series(scores, dtype=float)})
        batch = validate_frame(frame, _COLUMNS, source=source, rows=np.asarray(rows, np.int64),
                               naive_timestamps=naive_timestamps, score_max=score_max)
        skips.attach(batch, chunk.rejects)
        batch.n_read = chunk.n_read
        batch.kind = pd.Categorical(np.asarray(kinds, dtype=object)[np.isin(np.asarray(rows, np.int64),
                                                                            batch.row)])
        batch.seen_learners = seen
        batch.item_course = item_courses
        if video_sessions:
            kind = pd.Series(kinds, dtype=object).to_numpy()
            accepted = np.isin(np.asarray(rows, np.int64), batch.row)
            is_video = np.isin(kind[accepted], list(VIDEO_EVENTS))
            mark = np.asarray(marks, dtype=np.float64).reshape(-1, 5)[accepted]
            held.append((batch, is_video, np.isin(kind[accepted], list(PLAY_EVENTS)), mark))
        else:
            yield batch
    if grades:
        batch = _grade_batch(grades, checks, source, naive_timestamps, score_max)
        if video_sessions:
            none = np.zeros(len(batch.row), dtype=bool)
            held.append((batch, none, none, np.full((len(batch.row), 5), np.nan)))
        else:
            yield batch
    if video_sessions:
        yield from collapse_video_sessions(held, source, gap)


_NO_MARKS = (-1.0, np.nan, np.nan, np.nan, np.nan)

#: a grade event this close to a server problem_check of the same learner and problem is that
#: submission's grade told twice (Open edX emits both for classic problems)
SAME_SUBMISSION_S = 60.0


def _grade_batch(grades, checks, source, naive_timestamps, score_max):
    """The held ``edx.grades.problem.submitted`` events as one batch: those repeating a server
    ``problem_check`` of the same learner and problem within :data:`SAME_SUBMISSION_S` seconds are
    rejected as ``duplicate`` naming its line (the grade event is read for the blocks that have no
    problem_check). Their lines were counted as read by their own chunks, so this batch reads 0."""
    from poem.importers.timestamps import OK, parse_timestamps

    def when(values):
        ns, state = parse_timestamps(pd.Series(values, dtype=object), naive_timestamps=naive_timestamps)
        return np.where(state == OK, ns, np.iinfo(np.int64).min)

    grade_ns = when([g[3] for g in grades])
    keep, dup_rows, dup_details = [], [], []
    for g, t in zip(grades, grade_ns.tolist()):
        cands = checks.get((g[1], g[2]), [])
        match = None
        if cands and t != np.iinfo(np.int64).min:
            check_ns = when([c[0] for c in cands])
            near = np.abs(check_ns.astype(np.float64) - t) <= SAME_SUBMISSION_S * 1e9
            if near.any():
                match = cands[int(np.flatnonzero(near)[0])][1]
        if match is None:
            keep.append(g)
        else:
            dup_rows.append(g[0])
            dup_details.append(f"{g[5]} repeats the grade of the problem_check at line {match}")
    frame = pd.DataFrame({_COLUMNS["learner"]: pd.Series([g[1] for g in keep], dtype=object),
                          _COLUMNS["item"]: pd.Series([g[2] for g in keep], dtype=object),
                          _COLUMNS["timestamp"]: pd.Series([g[3] for g in keep], dtype=object),
                          _COLUMNS["score"]: pd.Series([g[4] for g in keep], dtype=float)})
    rows = np.asarray([g[0] for g in keep], np.int64)
    batch = validate_frame(frame, _COLUMNS, source=source, rows=rows, naive_timestamps=naive_timestamps,
                           score_max=score_max)
    dups = make_rejects(source, dup_rows, "duplicate", dup_details)
    batch.rejects = pd.concat([r for r in (dups, batch.rejects) if len(r)] or [batch.rejects],
                              ignore_index=True)
    batch.n_read = 0
    batch.kind = pd.Categorical(np.asarray([g[5] for g in keep], dtype=object)[np.isin(rows, batch.row)])
    batch.seen_learners = set()
    return batch


def _subset(batch: Batch, keep: np.ndarray) -> tuple:
    return (batch.row[keep], np.asarray(batch.learner)[keep], np.asarray(batch.item)[keep],
            batch.timestamp[keep], batch.score[keep], batch.duration[keep])


def collapse_video_sessions(held, source: str, session_gap: float):
    """Fold video events into one visit per (learner, video, session); yields the non-video events of
    each batch, then one batch of visits whose rejects list the folded events as ``collapsed``."""
    parts = []
    for batch, is_video, is_play, mark in held:
        other = _subset(batch, ~is_video)
        rest = Batch.from_columns(source, *other, rejects=batch.rejects,
                                  n_read=batch.n_read - int(is_video.sum()), n_naive=batch.n_naive,
                                  n_aware=batch.n_aware)
        rest.seen_learners, rest.item_course = batch.seen_learners, batch.item_course
        if batch.kind is not None:
            rest.kind = batch.kind[~is_video]
        yield rest
        parts.append((*_subset(batch, is_video), is_play[is_video], mark[is_video]))
    if not parts:
        return
    row, learner, item, ts, score, _, play = (np.concatenate([p[k] for p in parts]) for k in range(7))
    mark = np.concatenate([p[7] for p in parts])
    frame = pd.DataFrame({"l": learner, "i": item, "t": ts, "row": row, "play": play})
    frame = frame.sort_values(["l", "i", "t", "row"], kind="stable")
    mark = np.ascontiguousarray(mark[frame.index.to_numpy()])
    frame = frame.reset_index(drop=True)
    gap_ns = int(session_gap * 1e9)
    same = (frame["l"].eq(frame["l"].shift()) & frame["i"].eq(frame["i"].shift())).to_numpy()
    step = frame["t"].diff().to_numpy()
    new = ~same | (step > gap_ns)
    session = np.cumsum(new) - 1
    nxt_same = np.append(session[1:] == session[:-1], False)
    to_next = np.append(np.diff(frame["t"].to_numpy()), 0)
    watched = np.where(frame["play"].to_numpy() & nxt_same, np.minimum(to_next, gap_ns), 0) / 1e9
    duration = np.bincount(session, weights=watched)
    first = np.flatnonzero(new)
    visit_row = frame["row"].to_numpy()[first]
    folded = ~new
    rejects = make_rejects(source, frame["row"].to_numpy()[folded], "collapsed",
                           ["folded into the visit at line " + str(r) for r in visit_row[session[folded]]])
    order = np.argsort(visit_row, kind="stable")  # visits in reading order of their first event
    stats = video_session_stats(np.r_[first, len(frame)].astype(np.int64), mark)
    out = Batch.from_columns(
        source, visit_row[order], frame["l"].to_numpy()[first][order], frame["i"].to_numpy()[first][order],
        frame["t"].to_numpy()[first][order], np.full(len(first), np.nan), duration[order],
        rejects=rejects, n_read=len(frame), n_naive=0, n_aware=0)
    out.video = {k: v[order] for k, v in stats.items()}
    yield out


def video_session_stats(bounds: np.ndarray, mark: np.ndarray) -> dict:
    """``length``, ``covered``, ``position_max``, ``seeks_back`` per session (see the module docstring).

    ``bounds`` delimits the sessions (session ``k`` is events ``bounds[k]:bounds[k+1]``, in time order);
    ``mark`` has one row per event: ``(action, position, old_time, new_time, duration)`` with the action
    codes of ``_ACTION`` (NaN where the event does not say).

    >>> nan = np.nan
    >>> mark = np.array([[1, 0, nan, nan, 300],      # play at 0 s of a 300 s video
    ...                  [3, nan, 100, 40, nan],     # seek back 100 -> 40 while playing
    ...                  [2, 90, nan, nan, nan],     # pause at 90
    ...                  [3, nan, 90, 280, nan]])    # skip ahead to 280, not played
    >>> {k: v.tolist() for k, v in video_session_stats(np.array([0, 4]), mark).items()}
    {'length': [300.0], 'covered': [100.0], 'position_max': [100.0], 'seeks_back': [1.0]}
    """
    length, covered, reach, back = _session_stats(np.ascontiguousarray(bounds, dtype=np.int64),
                                                  np.ascontiguousarray(mark, dtype=np.float64),
                                                  SEEK_BACK_TOLERANCE_S)
    return {"length": length, "covered": covered, "position_max": reach, "seeks_back": back}


@njit(cache=True)
def _session_stats(bounds, mark, tolerance):
    """The per-session pass of :func:`video_session_stats`: the player's state machine is sequential."""
    n = bounds.shape[0] - 1
    length = np.full(n, np.nan)
    covered = np.full(n, np.nan)
    reach = np.full(n, np.nan)
    back = np.zeros(n)
    seg_a = np.empty(max(mark.shape[0], 1))
    seg_b = np.empty(max(mark.shape[0], 1))
    for k in range(n):
        playing = False
        start = np.nan     # position where the current segment began
        here = np.nan      # last known position
        lost = False       # a play with no position anywhere before it: segments cannot be placed
        m = 0
        for e in range(bounds[k], bounds[k + 1]):
            act, pos, old, new, dur = mark[e, 0], mark[e, 1], mark[e, 2], mark[e, 3], mark[e, 4]
            if dur == dur and dur > 0 and not (length[k] >= dur):
                length[k] = dur
            if act == 3:  # seek: old -> new
                if old == old and new == new and new < old - tolerance:
                    back[k] += 1
                end = old if old == old else here
                if playing and end == end and start == start and end > start:
                    seg_a[m], seg_b[m] = start, end
                    m += 1
                if new == new:
                    here = new
                start = here
                continue
            if act == 1 or act == 2 or act == 4 or act == 5:
                end = pos if pos == pos else np.nan
                if playing and end == end and start == start and end > start:
                    seg_a[m], seg_b[m] = start, end
                    m += 1
                if pos == pos:
                    here = pos
                if act == 1:
                    if here != here:
                        lost = True
                    playing = True
                    start = here
                elif act == 2 or act == 4:
                    playing = False
                else:
                    start = here
        if lost:
            continue
        top = length[k]
        total = 0.0
        far = np.nan
        if m:
            order = np.argsort(seg_a[:m])
            cur_a, cur_b = -1.0, -1.0
            for q in range(m):
                a, b = seg_a[order[q]], seg_b[order[q]]
                if top == top:
                    a, b = min(a, top), min(b, top)
                if b <= a:
                    continue
                if not (far >= b):
                    far = b
                if a > cur_b:
                    if cur_b > cur_a:
                        total += cur_b - cur_a
                    cur_a, cur_b = a, b
                elif b > cur_b:
                    cur_b = b
            if cur_b > cur_a:
                total += cur_b - cur_a
        covered[k] = total
        reach[k] = far
    return length, covered, reach, back
