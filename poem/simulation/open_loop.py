"""Open-loop simulation: a whole course's learners wander without guidance, producing benchmark files.

:func:`simulate_course` builds a :class:`~poem.simulation.course.Course` (random or from a given graph),
lets ``n_learners`` learners from several sub-populations arrive over the first weeks and wander through
it, and returns a :class:`SimulatedCourse` whose :meth:`~SimulatedCourse.write` produces ``traces.csv``,
``outcomes.csv`` and ``truth.json`` in exactly the format of the public benchmark courses (rows shuffled,
ISO timestamps with ``+00:00``, opaque item and learner ids).

Examples
--------
>>> sim = simulate_course(n_items=10, n_learners=20, seed=1)
>>> list(sim.traces.columns), list(sim.outcomes.columns)
(['learner', 'item', 'timestamp', 'score'], ['learner', 'outcome'])
>>> sorted(sim.truth)
['items', 'prerequisites', 'true_order']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.simulation.course import Course, make_course
from poem.simulation.engine import run_learners, to_epoch_seconds
from poem.simulation.learners import DEFAULT_POPULATIONS, init_learners

__all__ = ["SimulatedCourse", "simulate_course", "learner_ids", "events_frame", "DEFAULT_HOLIDAYS"]

#: one week off in the middle of the course, as in a February school holiday
DEFAULT_HOLIDAYS = (("2024-02-12", "2024-02-19"),)


def learner_ids(m: int, rng: np.random.Generator, prefix: str = "u") -> np.ndarray:
    """``m`` distinct opaque learner ids such as ``"u266b1fc7839"`` (hex, no order)."""
    codes = rng.choice(16 ** 11, size=m, replace=False) + 16 ** 8
    return np.array([f"{prefix}{c:x}" for c in codes], dtype=object)


def events_frame(record: dict, course: Course, ids: np.ndarray, populations=None, state=None) -> pd.DataFrame:
    """The engine's event record as a frame: learner id, item id, UTC timestamp, score, and the hidden
    columns ``gate``, ``before``, ``after``, ``step``, ``guided`` (plus ``population`` when known)."""
    frame = pd.DataFrame({
        "learner": ids[record["row"]].astype(object),
        "item": course.items[record["item"]].astype(object),
        "timestamp": pd.to_datetime(record["clock"], unit="s", utc=True),
        "score": record["score"].astype(float),
        "gate": record["gate"], "before": record["before"], "after": record["after"],
        "step": record["step"], "guided": record["guided"],
    })
    if populations is not None and state is not None:
        names = np.array([p.name for p in populations], dtype=object)
        frame["population"] = names[state.population[record["row"]]]
    return frame


@dataclass(eq=False)
class SimulatedCourse:
    """The result of :func:`simulate_course`.

    Attributes
    ----------
    course : Course
        The hidden structure (prerequisite matrix, difficulties, syllabus).
    traces : DataFrame
        ``learner, item, timestamp, score`` in time order per learner (tz-aware UTC timestamps).
    outcomes : DataFrame
        ``learner, outcome``: share of the course each learner mastered at the end.
    truth : dict
        ``items``, ``true_order``, ``prerequisites`` (as in the benchmark's ``truth.json``).
    events : DataFrame
        ``traces`` plus hidden columns (``gate``, ``before``, ``after``, ``step``, ``guided``,
        ``population``) for statistics on the simulation itself.
    learners : DataFrame
        One row per learner: ``learner, population, ability, initial, outcome, steps``.
    seed : int
    """

    course: Course
    traces: pd.DataFrame
    outcomes: pd.DataFrame
    truth: dict
    events: pd.DataFrame
    learners: pd.DataFrame
    seed: int

    def catalog(self) -> pd.DataFrame:
        """The platform's catalogue: ``item, title, kind, position`` in (partly wrong) syllabus order."""
        n = self.course.n_items
        return pd.DataFrame({
            "item": list(self.course.syllabus),
            "title": [f"Unit {k + 1}" for k in range(n)],
            "kind": np.where(np.arange(n) % 4 == 3, "quiz", "video").astype(object),
            "position": np.arange(1, n + 1),
        })

    def to_traces(self):
        """The traces as a canonical :class:`poem.traces.Traces` with outcomes and the catalogue."""
        from poem.traces import Traces

        info = self.catalog().set_index("item")
        return Traces.from_frame(self.traces, items=self.course.items, outcomes=self.outcomes,
                                 item_info=info)

    def write(self, directory, *, catalog: bool = False) -> Path:
        """Write ``traces.csv`` (rows shuffled, seeded), ``outcomes.csv``, ``truth.json`` (and
        ``catalog.csv`` when asked) into ``directory``, creating it; returns the directory."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng([self.seed, 7])
        frame = self.traces.iloc[rng.permutation(len(self.traces))]
        pd.DataFrame({
            "learner": frame["learner"].to_numpy(),
            "item": frame["item"].to_numpy(),
            "timestamp": frame["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S+00:00").to_numpy(),
            "score": frame["score"].to_numpy(dtype=float),
        }).to_csv(out / "traces.csv", index=False)
        self.outcomes.to_csv(out / "outcomes.csv", index=False)
        (out / "truth.json").write_text(json.dumps(self.truth))
        if catalog:
            self.catalog().to_csv(out / "catalog.csv", index=False)
        return out


def simulate_course(n_items: int | None = None, n_learners: int = 3000, seed: int = 0, graph=None, *,
                    populations=DEFAULT_POPULATIONS, max_steps: int | None = None, start="2024-01-08",
                    arrival_days: float = 21.0, holidays=DEFAULT_HOLIDAYS, dropout: float = 1.0,
                    course: Course | None = None, **course_options) -> SimulatedCourse:
    """Simulate a course followed by unguided learners.

    Parameters
    ----------
    n_items : int, optional
        Items in a random course (default 120), or the size of the down-closed part of ``graph`` to keep
        (default: the whole graph).
    n_learners : int
        Learners, arriving uniformly over ``arrival_days`` from ``start``.
    seed : int
        Seed of the single :class:`numpy.random.Generator` behind everything: same seed, same course.
    graph : DiGraph, edge table, CSV path or list of (prerequisite, item), optional
        A known prerequisite DAG (such as :func:`poem.simulation.course.junyi_graph`); random otherwise.
    populations : sequence of Population
        Sub-populations with their shares.
    max_steps : int, optional
        Attempts per learner at most (default ``1.6 * n_items``).
    holidays : sequence of (start, end) dates
        Periods without activity.
    dropout : float
        Multiplier of the dropout hazards.
    course : Course, optional
        Reuse an existing course instead of drawing one (``n_items`` and ``graph`` are then ignored).
    **course_options
        Passed to :func:`~poem.simulation.course.make_course` (``mean_prereqs``, ``difficulty_sd``...).

    Returns
    -------
    SimulatedCourse

    Examples
    --------
    >>> a = simulate_course(n_items=8, n_learners=30, seed=5)
    >>> b = simulate_course(n_items=8, n_learners=30, seed=5)
    >>> a.traces.equals(b.traces)
    True
    >>> bool(a.outcomes["outcome"].between(0, 1).all())
    True
    """
    if int(n_learners) != n_learners or n_learners < 1:
        raise ParameterError(f"n_learners must be a positive integer, got {n_learners!r}")
    if int(seed) != seed:
        raise ParameterError(f"seed must be an integer, got {seed!r}")
    if arrival_days < 0:
        raise ParameterError(f"arrival_days must be >= 0, got {arrival_days!r}")
    rng = np.random.default_rng(int(seed))
    if course is None:
        if n_items is None and graph is None:
            n_items = 120
        course = make_course(n_items, rng=rng, graph=graph, **course_options)
    m = int(n_learners)
    max_steps = int(round(1.6 * course.n_items)) if max_steps is None else max_steps
    t0 = to_epoch_seconds(start)
    arrivals = t0 + (rng.random(m) * arrival_days * 86400).astype(np.int64)
    state = init_learners(m, course, rng, populations, start_clock=arrivals)
    gaps = [(to_epoch_seconds(a), to_epoch_seconds(b)) for a, b in holidays]
    record = run_learners(state, course, rng, max_steps=max_steps, dropout=dropout, holidays=gaps)
    ids = learner_ids(m, rng)
    events = events_frame(record, course, ids, populations, state)
    # the engine records step by step; per learner that is already time order
    events = events.sort_values(["learner", "step"], kind="stable", ignore_index=True)
    seen = np.zeros(m, dtype=bool)
    seen[record["row"]] = True
    outcome = state.mastered.mean(axis=1)
    names = np.array([p.name for p in populations], dtype=object)
    learners = pd.DataFrame({
        "learner": ids, "population": names[state.population], "ability": state.ability,
        "initial": state.initial_mastery, "outcome": outcome, "steps": state.steps,
    })[seen].reset_index(drop=True)
    return SimulatedCourse(
        course=course,
        traces=events[["learner", "item", "timestamp", "score"]].copy(),
        outcomes=learners[["learner", "outcome"]].copy(),
        truth=course.truth(),
        events=events,
        learners=learners,
        seed=int(seed),
    )
