"""The stepping loop shared by the open-loop simulator and the closed-loop experiment.

:func:`run_learners` advances every active learner of a :class:`~poem.simulation.learners.LearnerState`
one attempt per step until each has dropped out, mastered the whole course, or used ``max_steps``. A
learner may be *guided*: a recommender proposes an item and the learner takes it with probability
``follow_prob``; otherwise (or without a recommendation) they wander.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.simulation.learners import advance_clock, attempt, forget, wander

__all__ = ["run_learners", "EVENT_COLUMNS", "to_epoch_seconds"]

#: columns of the event record returned by :func:`run_learners`
EVENT_COLUMNS = ["row", "item", "clock", "score", "gate", "before", "after", "step", "guided"]


def to_epoch_seconds(when) -> int:
    """Seconds since the epoch of a date string or timestamp (naive means UTC)."""
    ts = pd.Timestamp(when)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.value // 10**9)


def run_learners(state, course, rng: np.random.Generator, *, max_steps: int, recommend=None,
                 follow_prob: float = 0.0, dropout: float = 1.0, holidays=(), clock_options=None,
                 observe=None) -> dict:
    """Step all active learners of ``state`` until they stop; returns the event record.

    Parameters
    ----------
    state : LearnerState
        Modified in place.
    course : Course
    rng : numpy.random.Generator
    max_steps : int
        Attempts allowed per learner (the step budget).
    recommend : callable(state, rows, rng) -> ndarray of item codes, optional
        The guiding policy; ``-1`` means no recommendation for that learner.
    follow_prob : float
        Probability that a learner takes the recommendation.
    dropout : float
        Multiplier of every learner's dropout hazard (0 switches dropout off).
    holidays : sequence of (start_s, end_s)
        Calendar gaps in epoch seconds.
    observe : callable(rows, items, scores), optional
        Called after every step with what a platform would log (used by history-keeping policies).

    Returns
    -------
    dict of ndarray
        One entry per name in :data:`EVENT_COLUMNS`, one element per attempt, in step order.

    Examples
    --------
    >>> from poem.simulation.course import make_course
    >>> from poem.simulation.learners import init_learners
    >>> rng = np.random.default_rng(0)
    >>> course = make_course(6, rng=rng)
    >>> state = init_learners(4, course, rng)
    >>> record = run_learners(state, course, rng, max_steps=5, dropout=0)
    >>> int(state.steps.max()) <= 5, len(record["item"]) == int(state.steps.sum())
    (True, True)
    """
    if int(max_steps) != max_steps or max_steps < 0:
        raise ParameterError(f"max_steps must be a non-negative integer, got {max_steps!r}")
    if not 0 <= follow_prob <= 1:
        raise ParameterError(f"follow_prob must lie in [0, 1], got {follow_prob!r}")
    if dropout < 0:
        raise ParameterError(f"dropout must be >= 0, got {dropout!r}")
    prereq_int = course.prereq.astype(np.int16)
    n_prereq = prereq_int.sum(axis=0)
    syllabus_codes = course.codes(course.syllabus)
    syllabus_rank = np.empty(course.n_items, dtype=np.int64)
    syllabus_rank[syllabus_codes] = np.arange(course.n_items)
    clock_options = dict(clock_options or {})
    record = {name: [] for name in EVENT_COLUMNS}
    for step in range(int(max_steps)):
        rows = np.flatnonzero(state.active)
        if not len(rows):
            break
        items = wander(state, course, rows, rng, n_prereq, syllabus_codes, syllabus_rank)
        guided = np.zeros(len(rows), dtype=bool)
        if recommend is not None and follow_prob > 0:
            follows = rng.random(len(rows)) < follow_prob
            if follows.any():
                proposal = np.asarray(recommend(state, rows[follows], rng), dtype=np.int64)
                take = proposal >= 0
                idx = np.flatnonzero(follows)[take]
                items[idx] = proposal[take]
                guided[idx] = True
        advance_clock(state, rows, rng, holidays=holidays, **clock_options)
        out = attempt(state, course, rows, items, rng, prereq_int, n_prereq)
        forget(state, rows, rng, prereq_int)  # a no-op (no draws) unless the learner model forgets
        if observe is not None:
            observe(rows, items, out["score"])
        for name, value in (("row", rows), ("item", items), ("clock", state.clock[rows].copy()),
                            ("score", out["score"]), ("gate", out["gate"]), ("before", out["before"]),
                            ("after", out["after"]), ("step", np.full(len(rows), step)),
                            ("guided", guided)):
            record[name].append(value)
        hazard = dropout * (state.params["dropout_base"][rows]
                            + state.params["dropout_per_failure"][rows] * state.failures[rows])
        leave = rng.random(len(rows)) < hazard
        done = state.mastered[rows].all(axis=1)
        state.active[rows[leave | done]] = False
    state.active[:] = False
    dtypes = {"row": np.int64, "item": np.int64, "clock": np.int64, "score": float, "gate": bool,
              "before": bool, "after": bool, "step": np.int64, "guided": bool}
    return {name: (np.concatenate(parts) if parts else np.zeros(0, dtype=dtypes[name]))
            for name, parts in record.items()}
