"""IMS Caliper events (JSON Lines, a JSON array, one event, or a sensor envelope) -> validated batches.

Open edX (event-routing-backends) and many LMSs emit Caliper 1.1/1.2 events. What is read:

* the learner is ``actor.id`` (or ``actor`` when it is a bare IRI); none -> ``missing_learner``;
* the time is ``eventTime``;
* ``MediaEvent`` (Started, Paused, Resumed, JumpedTo, Ended...): item = ``object.id``, no score; the
  video columns (:attr:`poem.traces.Traces.video`, :func:`media_fields`) get ``length`` from the media
  object's ``duration`` (ISO 8601, the object itself or a ``MediaLocation``'s ``mediaObject``) and
  ``position_max`` from the ``currentTime`` of the ``target`` (or object) ``MediaLocation`` of a
  ``Paused`` or ``Ended`` event. A Caliper event gives no seconds played on its own: the media events of
  one learner on one video with gaps of at most :data:`SESSION_GAP_S` seconds are a session, read like an
  Open edX one (:func:`poem.importers.edx.video_session_stats`: ``Started`` / ``Resumed`` play from the
  target's ``currentTime``, ``Paused`` / ``Ended`` stop there, ``JumpedTo`` moves to it, ``ChangedSpeed``
  keeps playing), and the session's last event carries its ``covered`` seconds (the others NaN; the viewing
  evidence folds the session into that visit). A ``JumpedTo`` does not say where the jump started, so the
  content played just before it is not counted (``covered`` is then a lower bound);
* ``AssessmentItemEvent`` (Started, Skipped, Completed): item = ``object.id``, or the attempt's
  ``assignable.id`` when the object is an ``Attempt``;
* ``GradeEvent`` (Graded): item = the attempt's ``assignable.id`` (also found under
  ``object.extensions``), score = ``generated.scoreGiven / generated.maxScore``;
* other event types are rejected as ``unknown_event`` (``events=`` chooses the types);
* ``course=`` keeps events whose object is part of (``isPartOf.id``) or names a selected course, others
  are rejected as ``other_course``.

Examples
--------
>>> ev = {"type": "GradeEvent", "action": "Graded", "actor": {"id": "urn:u:1", "type": "Person"},
...       "eventTime": "2024-01-01T10:00:00.000Z",
...       "object": {"type": "Attempt", "assignable": {"id": "urn:quiz:1"}},
...       "generated": {"type": "Score", "scoreGiven": 3, "maxScore": 4}}
>>> caliper_row(ev)
{'learner': 'urn:u:1', 'item': 'urn:quiz:1', 'timestamp': '2024-01-01T10:00:00.000Z', 'score': 0.75}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.importers.batch import Skips
from poem.importers.jsonlines import iter_json_records, json_id, json_scalar
from poem.importers.tabular import validate_frame

__all__ = ["iter_caliper_batches", "caliper_row", "media_fields", "CALIPER_EVENTS", "SESSION_GAP_S"]

#: media events of one learner on one video closer than this (seconds) belong to one viewing session
SESSION_GAP_S = 1800.0
#: Caliper media actions as the player actions of :func:`poem.importers.edx.video_session_stats`
_ACTIONS = {"Started": 1, "Resumed": 1, "Paused": 2, "JumpedTo": 3, "Ended": 4, "ChangedSpeed": 5}

#: the event types imported by default
CALIPER_EVENTS = frozenset({"AssessmentItemEvent", "MediaEvent", "GradeEvent"})

_COLUMNS = {"learner": "actor.id", "item": "object.id", "timestamp": "eventTime",
            "score": "generated.scoreGiven/maxScore", "duration": None}


def _id(node):
    if isinstance(node, str):
        return node
    return json_id(node.get("id")) if isinstance(node, dict) else ""


def _assignable(obj):
    if not isinstance(obj, dict):
        return None
    ext = obj.get("extensions") if isinstance(obj.get("extensions"), dict) else {}
    return obj.get("assignable") or ext.get("assignable")


def _score(generated) -> float:
    if not isinstance(generated, dict):
        return np.nan
    score = generated.get("score") if isinstance(generated.get("score"), dict) else generated
    try:
        given, top = float(score.get("scoreGiven")), float(score.get("maxScore"))
    except (TypeError, ValueError):
        return np.nan
    return given / top if top > 0 else np.nan


def caliper_row(event: dict) -> dict:
    """The canonical fields of one Caliper event (values unvalidated: the batch checks do that)."""
    obj = event.get("object")
    kind = event.get("type")
    item = _id(obj)
    if kind == "GradeEvent" or (isinstance(obj, dict) and obj.get("type") == "Attempt"):
        assignable = _assignable(obj)
        if assignable is not None:
            item = _id(assignable)
    return {"learner": _id(event.get("actor")), "item": item, "timestamp": json_scalar(event.get("eventTime")),
            "score": _score(event.get("generated")) if kind == "GradeEvent" else np.nan}


def media_fields(event: dict) -> dict | None:
    """``length`` and ``position_max`` of a ``MediaEvent`` (NaN where it does not say); None for other
    events.

    >>> media_fields({"type": "MediaEvent", "action": "Paused", "object": {"duration": "PT3M15S"},
    ...               "target": {"type": "MediaLocation", "currentTime": "PT1M0.5S"}})
    {'length': 195.0, 'position_max': 60.5}
    """
    from poem.importers.xapi import parse_iso_duration

    if event.get("type") != "MediaEvent":
        return None
    obj, target = event.get("object"), event.get("target")
    media = obj
    if isinstance(obj, dict) and obj.get("type") == "MediaLocation" and isinstance(obj.get("mediaObject"), dict):
        media = obj["mediaObject"]
    length = parse_iso_duration(media.get("duration")) if isinstance(media, dict) else np.nan
    where = np.nan
    if event.get("action") in ("Paused", "Ended"):
        for node in (target, obj):
            if isinstance(node, dict) and node.get("type") == "MediaLocation":
                where = parse_iso_duration(node.get("currentTime"))
                break
    return {"length": length if length > 0 else np.nan, "position_max": where}


def _media_mark(event) -> tuple:
    """``(action, position, old, new, length)`` of a media event for the session pass (NaN if unsaid)."""
    from poem.importers.xapi import parse_iso_duration

    fields = media_fields(event)
    obj, target = event.get("object"), event.get("target")
    where = np.nan
    for node in (target, obj):
        if isinstance(node, dict) and node.get("type") == "MediaLocation":
            where = parse_iso_duration(node.get("currentTime"))
            break
    act = _ACTIONS.get(event.get("action"), 0)
    if act == 3:
        return (3.0, np.nan, np.nan, where, fields["length"])
    return (float(act), where, np.nan, np.nan, fields["length"])


def _media_sessions(held) -> None:
    """Set ``covered`` on the last media event of each session (see the module docstring)."""
    from poem.importers.edx import video_session_stats

    picks = [(k, np.flatnonzero(~np.isnan(mark[:, 0]))) for k, (_, mark) in enumerate(held)]
    if not sum(len(idx) for _, idx in picks):
        return
    frame = pd.DataFrame({
        "l": np.concatenate([np.asarray(held[k][0].learner, dtype=object)[idx] for k, idx in picks]),
        "i": np.concatenate([np.asarray(held[k][0].item, dtype=object)[idx] for k, idx in picks]),
        "t": np.concatenate([held[k][0].timestamp[idx] for k, idx in picks]),
        "batch": np.concatenate([np.full(len(idx), k) for k, idx in picks]),
        "at": np.concatenate([idx for _, idx in picks])})
    mark = np.concatenate([held[k][1][idx] for k, idx in picks])
    frame = frame.sort_values(["l", "i", "t"], kind="stable")  # reading order among equal times
    mark = mark[frame.index.to_numpy()]
    same = (frame["l"].eq(frame["l"].shift()) & frame["i"].eq(frame["i"].shift())).to_numpy()
    new = ~same | (frame["t"].diff().to_numpy() > np.int64(SESSION_GAP_S * 1e9))
    first = np.flatnonzero(new)
    stats = video_session_stats(np.r_[first, len(frame)].astype(np.int64), mark)
    last = np.r_[first[1:], len(frame)] - 1
    for k, (batch, _) in enumerate(held):
        batch.video.setdefault("covered", np.full(len(batch.row), np.nan))
    batches, ats = frame["batch"].to_numpy()[last], frame["at"].to_numpy()[last]
    for k, at, cov in zip(batches.tolist(), ats.tolist(), stats["covered"].tolist()):
        held[k][0].video["covered"][at] = cov


def _part_of(event) -> str:
    """The ``isPartOf`` id of the event's object (or of the attempt's assignable): its course."""
    obj = event.get("object")
    for node in (obj, _assignable(obj)):
        if isinstance(node, dict):
            ext = node.get("extensions") if isinstance(node.get("extensions"), dict) else {}
            for holder in (node, ext):
                got = _id(holder.get("isPartOf"))
                if got:
                    return got
    return ""


def _courses_of(event) -> str:
    obj = event.get("object")
    ids = [_id(obj) or ""]
    if isinstance(obj, dict):
        ext = obj.get("extensions") if isinstance(obj.get("extensions"), dict) else {}
        for holder in (obj, ext):
            ids.append(_id(holder.get("isPartOf")) or "")
    ids.append(_id(_assignable(obj)) or "")
    return " ".join(i for i in ids if isinstance(i, str))


def iter_caliper_batches(path, *, chunksize=None, events=None, course=None, naive_timestamps=None,
                         encoding="utf-8", score_max=None):
    """Validated batches of Caliper events; see the module docstring for the mapping."""
    if isinstance(events, str):
        raise ParameterError("events must be a collection of Caliper event types, not a single string")
    wanted = CALIPER_EVENTS if events is None else frozenset(events)
    if isinstance(course, str):
        course = [course]
    courses = None if course is None else [str(c) for c in course]
    source = str(path)
    held = []  # batches kept back: a viewing session may span chunks
    for chunk in iter_json_records(path, chunksize, encoding=encoding):
        rows, fields, kinds, media, marks = [], [], [], [], []
        skips, seen, item_courses = Skips(source), set(), {}
        for ev, line in zip(chunk.records, chunk.lines.tolist()):
            kind = ev.get("type")
            learner = _id(ev.get("actor"))
            if learner:
                seen.add(learner)
            if not isinstance(kind, str) or kind not in wanted:
                skips.add(line, "unknown_event", f"event type {kind!r} not imported")
            elif courses is not None and not any(c in _courses_of(ev) for c in courses):
                skips.add(line, "other_course", "event of no selected course")
            else:
                row = caliper_row(ev)
                if row["learner"] is None or row["item"] is None:
                    skips.no_id(line, "actor" if row["learner"] is None else "object")
                    continue
                rows.append(line)
                fields.append(row)
                kinds.append(f"{kind}:{ev.get('action')}")
                media.append(media_fields(ev))
                marks.append(_media_mark(ev) if kind == "MediaEvent" else (np.nan,) * 5)
                course_id = _part_of(ev)
                if course_id and row["item"]:
                    item_courses.setdefault(row["item"], course_id)
        frame = pd.DataFrame({
            _COLUMNS[k]: pd.Series([f[k] for f in fields], dtype=float if k == "score" else object)
            for k in ("learner", "item", "timestamp", "score")})
        batch = validate_frame(frame, _COLUMNS, source=source, rows=np.asarray(rows, np.int64),
                               naive_timestamps=naive_timestamps, score_max=score_max)
        skips.attach(batch, chunk.rejects)
        batch.n_read = chunk.n_read
        accepted = np.isin(np.asarray(rows, np.int64), batch.row)
        batch.kind = pd.Categorical(np.asarray(kinds, dtype=object)[accepted])
        batch.video = {k: np.array([np.nan if m is None else m[k] for m in media], dtype=np.float64)[accepted]
                       for k in ("length", "position_max")}
        batch.seen_learners = seen
        batch.item_course = item_courses
        held.append((batch, np.asarray(marks, dtype=np.float64).reshape(-1, 5)[accepted]))
    _media_sessions(held)
    for batch, _ in held:
        if not any(np.any(~np.isnan(v)) for v in batch.video.values()):
            batch.video = None  # no media event: no video columns
        yield batch
