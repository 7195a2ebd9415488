"""IMS Caliper events (JSON Lines, a JSON array, one event, or a sensor envelope) -> validated batches.

Open edX (event-routing-backends) and many LMSs emit Caliper 1.1/1.2 events. What is read:

* the learner is ``actor.id`` (or ``actor`` when it is a bare IRI); none -> ``missing_learner``;
* the time is ``eventTime``;
* ``MediaEvent`` (Started, Paused, Resumed, JumpedTo, Ended...): item = ``object.id``, no score;
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
from poem.importers.batch import make_rejects
from poem.importers.jsonlines import iter_json_records, json_id, json_scalar
from poem.importers.tabular import validate_frame

__all__ = ["iter_caliper_batches", "caliper_row", "CALIPER_EVENTS"]

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
    for chunk in iter_json_records(path, chunksize, encoding=encoding):
        rows, fields, kinds = [], [], []
        skip_rows, skip_reasons, skip_details, seen, item_courses = [], [], [], set(), {}
        for ev, line in zip(chunk.records, chunk.lines.tolist()):
            kind = ev.get("type")
            learner = _id(ev.get("actor"))
            if learner:
                seen.add(learner)
            if not isinstance(kind, str) or kind not in wanted:
                skip_rows.append(line), skip_reasons.append("unknown_event")
                skip_details.append(f"event type {kind!r} not imported")
            elif courses is not None and not any(c in _courses_of(ev) for c in courses):
                skip_rows.append(line), skip_reasons.append("other_course")
                skip_details.append("event of no selected course")
            else:
                row = caliper_row(ev)
                if row["learner"] is None or row["item"] is None:
                    skip_rows.append(line), skip_reasons.append("bad_record")
                    skip_details.append(("actor" if row["learner"] is None else "object") + " id is a JSON "
                                        "object or array without an id or name")
                    continue
                rows.append(line)
                fields.append(row)
                kinds.append(f"{kind}:{ev.get('action')}")
                course_id = _part_of(ev)
                if course_id and row["item"]:
                    item_courses.setdefault(row["item"], course_id)
        skipped = make_rejects(source, skip_rows, np.asarray(skip_reasons, dtype=object), skip_details)
        frame = pd.DataFrame({
            _COLUMNS[k]: pd.Series([f[k] for f in fields], dtype=float if k == "score" else object)
            for k in ("learner", "item", "timestamp", "score")})
        batch = validate_frame(frame, _COLUMNS, source=source, rows=np.asarray(rows, np.int64),
                               naive_timestamps=naive_timestamps, score_max=score_max)
        batch.rejects = pd.concat([r for r in (chunk.rejects, skipped, batch.rejects) if len(r)] or
                                  [batch.rejects], ignore_index=True)
        batch.n_read = chunk.n_read
        batch.kind = pd.Categorical(np.asarray(kinds, dtype=object)[np.isin(np.asarray(rows, np.int64),
                                                                            batch.row)])
        batch.seen_learners = seen
        batch.item_course = item_courses
        yield batch
