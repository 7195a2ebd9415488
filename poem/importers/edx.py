"""Open edX tracking logs (JSON Lines, optionally gzip-compressed) -> validated batches.

What is read (field names from the Open edX "Events in the Tracking Logs" reference):

* the learner is ``username``, or ``context.user_id`` when the username is blank; an event with neither is
  rejected as ``missing_learner``;
* the time is ``time`` (ISO 8601 with offset);
* ``event`` may be an object or a JSON-encoded string (browser events encode it, sometimes twice); both
  are decoded;
* video events (:data:`VIDEO_EVENTS`: ``load_video``, ``play_video``, ``pause_video``, ``seek_video``,
  ``stop_video``, ``speed_change_video`` and the mobile ``edx.video.*`` names): item = ``event.id``,
  no score;
* ``problem_check`` from the server: item = ``event.problem_id``, score = ``grade / max_grade``; the
  browser's ``problem_check`` (answers only, no grade) is rejected as ``unknown_event`` because the
  server event of the same submission carries the grade;
* every other event type is rejected as ``unknown_event`` naming the type (pass ``events=`` to choose the
  event types to import; a type outside it is rejected the same way).

With ``video_sessions=True`` the many play/pause/seek events of one viewing session collapse into one visit
per video: a session is a run of events of one learner on one video with gaps of at most ``session_gap``
seconds (default 1800). The visit takes the time and line of the session's first event; its ``duration``
is the wall-clock time from each play event to the next event of the session (each interval capped at
``session_gap``; a play with nothing after it counts 0, its end being unknown). The other events of the
session are listed in the rejects as ``collapsed`` with the line of their visit, so read = accepted +
rejected still holds.

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

from poem.errors import ParameterError
from poem.importers.batch import Batch, make_rejects
from poem.importers.jsonlines import iter_json_records
from poem.importers.tabular import validate_frame

__all__ = ["iter_edx_batches", "collapse_video_sessions", "VIDEO_EVENTS", "PROBLEM_EVENTS", "PLAY_EVENTS"]

VIDEO_EVENTS = frozenset({
    "load_video", "play_video", "pause_video", "seek_video", "stop_video", "speed_change_video",
    "edx.video.loaded", "edx.video.played", "edx.video.paused", "edx.video.position.changed",
    "edx.video.stopped", "edx.video.speed.changed",
})
PLAY_EVENTS = frozenset({"play_video", "edx.video.played"})
PROBLEM_EVENTS = frozenset({"problem_check"})

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
        except ValueError:
            break
    return event


def _learner(rec):
    name = rec.get("username")
    if name not in (None, ""):
        return str(name)
    ctx = rec.get("context")
    uid = ctx.get("user_id") if isinstance(ctx, dict) else None
    return "" if uid in (None, "") else str(uid)


def _grade(event) -> float:
    try:
        grade, top = float(event.get("grade")), float(event.get("max_grade"))
    except (TypeError, ValueError):
        return np.nan
    return grade / top if top > 0 else np.nan


def iter_edx_batches(path, *, chunksize=None, events=None, video_sessions=False, session_gap=1800.0,
                     naive_timestamps=None):
    """Validated batches of an Open edX tracking log; see the module docstring for the rules."""
    wanted = VIDEO_EVENTS | PROBLEM_EVENTS if events is None else frozenset(events)
    if isinstance(events, str):
        raise ParameterError("events must be a collection of event type names, not a single string")
    try:
        gap = float(session_gap)
    except (TypeError, ValueError):
        gap = -1.0
    if not gap > 0:
        raise ParameterError(f"session_gap must be a positive number of seconds, got {session_gap!r}")
    source = str(path)
    held = []  # video events kept back for the session collapse, which needs the whole log
    for chunk in iter_json_records(path, chunksize):
        rows, learners, items, times, scores, kinds = [], [], [], [], [], []
        skip_rows, skip_details = [], []
        for rec, line in zip(chunk.records, chunk.lines.tolist()):
            etype = rec.get("event_type") or rec.get("name") or ""
            # a malformed log may carry a non-string type (a dict, a list): unhashable, and never wanted
            if not isinstance(etype, str) or etype not in wanted:
                skip_rows.append(line)
                skip_details.append(f"event type {etype!r} not imported")
                continue
            event = _decode(rec.get("event"))
            if etype in PROBLEM_EVENTS:
                if not isinstance(event, dict):
                    skip_rows.append(line)
                    skip_details.append(f"{rec.get('event_source', '')} {etype} carries answers, not a grade "
                                        "(the server event is imported)".strip())
                    continue
                item, score = event.get("problem_id"), _grade(event)
            else:
                if not isinstance(event, dict):
                    event = {}
                item, score = event.get("id") or event.get("module_id"), np.nan
            rows.append(line)
            learners.append(_learner(rec))
            items.append(item)
            times.append(rec.get("time"))
            scores.append(score)
            kinds.append(etype)
        skipped = make_rejects(source, skip_rows, "unknown_event", skip_details)
        frame = pd.DataFrame({_COLUMNS["learner"]: pd.Series(learners, dtype=object),
                              _COLUMNS["item"]: pd.Series(items, dtype=object),
                              _COLUMNS["timestamp"]: pd.Series(times, dtype=object),
                              _COLUMNS["score"]: pd.Series(scores, dtype=float)})
        batch = validate_frame(frame, _COLUMNS, source=source, rows=np.asarray(rows, np.int64),
                               naive_timestamps=naive_timestamps)
        batch.rejects = pd.concat([r for r in (chunk.rejects, skipped, batch.rejects) if len(r)] or
                                  [batch.rejects], ignore_index=True)
        batch.n_read = chunk.n_read
        if video_sessions:
            kind = pd.Series(kinds, dtype=object).to_numpy()
            accepted = np.isin(np.asarray(rows, np.int64), batch.row)
            is_video = np.isin(kind[accepted], list(VIDEO_EVENTS))
            held.append((batch, is_video, np.isin(kind[accepted], list(PLAY_EVENTS))))
        else:
            yield batch
    if video_sessions:
        yield from collapse_video_sessions(held, source, gap)


def _subset(batch: Batch, keep: np.ndarray) -> tuple:
    return (batch.row[keep], np.asarray(batch.learner)[keep], np.asarray(batch.item)[keep],
            batch.timestamp[keep], batch.score[keep], batch.duration[keep])


def collapse_video_sessions(held, source: str, session_gap: float):
    """Fold video events into one visit per (learner, video, session); yields the non-video events of
    each batch, then one batch of visits whose rejects list the folded events as ``collapsed``."""
    parts = []
    for batch, is_video, is_play in held:
        other = _subset(batch, ~is_video)
        yield Batch.from_columns(source, *other, rejects=batch.rejects,
                                 n_read=batch.n_read - int(is_video.sum()), n_naive=batch.n_naive,
                                 n_aware=batch.n_aware)
        parts.append((*_subset(batch, is_video), is_play[is_video]))
    if not parts:
        return
    row, learner, item, ts, score, _, play = (np.concatenate([p[k] for p in parts]) for k in range(7))
    frame = pd.DataFrame({"l": learner, "i": item, "t": ts, "row": row, "play": play})
    frame = frame.sort_values(["l", "i", "t", "row"], kind="stable", ignore_index=True)
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
    yield Batch.from_columns(
        source, visit_row[order], frame["l"].to_numpy()[first][order], frame["i"].to_numpy()[first][order],
        frame["t"].to_numpy()[first][order], np.full(len(first), np.nan), duration[order],
        rejects=rejects, n_read=len(frame), n_naive=0, n_aware=0)
