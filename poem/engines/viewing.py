"""The Dask engine's passes for a colony read from viewing evidence (``fit_dask(..., catalog=...)``).

:func:`poem.engines.dask.fit_dask` with a catalogue (or ``viewing=``) reads every staged partition as
:mod:`poem.colony.viewing_cohort` reads a new cohort: the same
:func:`~poem.colony.viewing.apply_viewing`, with what adds across learners pooled on the driver first.

1. **Counts** (:func:`survey_partition`): each partition reads its visits with the mapping learned on it
   alone and returns its landing counts (:func:`~poem.colony.landing.landing_counts`, a table that adds
   across logs) and the sums of the per-kind evidence weights
   (:func:`~poem.colony.evidence_weights.evidence_weight_sums`). The driver pools the counts.
2. **Weights** (mixed courses only, :func:`weigh_partition`): the weight sums again, the landing now learned
   on the pooled counts, so that the weights are those of the evidence the colony deposits. A course with
   one kind of evidence weighs it 1 and skips this pass.
3. **Read and sum** (:func:`read_partition`): each partition is read with the pooled landing (its own
   counts plus everyone else's, passed as the landing prior), the pooled weights, and its own thresholds
   and pace, then summed into its ``ManHill.partial_state`` (with the evaporated pheromones under decay),
   its evidence counts per label, and the history reader learned on it.

The per-partition parts (thresholds, usual finishing shares, pace, and the history reader's share bins)
are what a partition of learners teaches; the module docstring of :mod:`poem.engines.dask` says what this
costs against the in-memory fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from poem.colony.landing import LABELS
from poem.colony.viewing import (apply_viewing, evidence_weight_sums, has_visits, viewing_evidence,
                                 weighed_scores)
from poem.colony.viewing_history import HistoryReader, evidence_floor
from poem.traces import Traces

__all__ = ["ViewingSurvey", "ViewingRead", "survey_partition", "weigh_partition", "read_partition",
           "add_sums"]


def add_sums(a: dict | None, b: dict | None) -> dict | None:
    """Two dicts of arrays added key by key (a key missing on one side counts as zeros)."""
    if a is None or b is None:
        return b if a is None else a
    return {k: np.asarray(a.get(k, 0.0)) + np.asarray(b.get(k, 0.0)) for k in sorted(set(a) | set(b))}


@dataclass
class ViewingSurvey:
    """Pass 1 (and 2): the pooled landing counts, the per-kind weight sums, and each partition's own
    counts in partition order (``own``: the landing prior of pass 3 is the pool minus them)."""

    counts: dict | None
    weight_sums: dict
    own: list = field(default_factory=list)
    with_visits: int = 0

    def __add__(self, other: "ViewingSurvey") -> "ViewingSurvey":
        return ViewingSurvey(add_sums(self.counts, other.counts), add_sums(self.weight_sums, other.weight_sums),
                             self.own + other.own, self.with_visits + other.with_visits)


def _unread(traces: Traces) -> SimpleNamespace:
    """The evidence of a partition without visits: every event keeps its own score (as in a fit)."""
    return SimpleNamespace(score=traces.score, is_video=np.zeros(traces.n_events, dtype=bool))


def survey_partition(traces: Traces, catalog, params: dict) -> ViewingSurvey:
    """Pass 1: the partition read on its own (module docstring)."""
    if not has_visits(traces, catalog):
        return ViewingSurvey(None, evidence_weight_sums(traces, _unread(traces)), [None], 0)
    evidence = viewing_evidence(traces, catalog, **params)
    return ViewingSurvey(evidence.landing_counts, evidence_weight_sums(traces, evidence),
                         [evidence.landing_counts], 1)


def _prior(pooled: dict | None, own: dict | None) -> dict | None:
    """The landing prior that makes a partition's landing model the pooled one: the others' counts."""
    if pooled is None:
        return None
    return pooled if own is None else {k: np.asarray(pooled[k]) - np.asarray(own[k]) for k in pooled}


def weigh_partition(traces: Traces, catalog, params: dict, pooled: dict | None, own: dict | None) -> ViewingSurvey:
    """Pass 2: the weight sums of the partition read with the pooled landing."""
    if not has_visits(traces, catalog):
        return ViewingSurvey(None, evidence_weight_sums(traces, _unread(traces)), [None])
    evidence = viewing_evidence(traces, catalog, landing_prior=_prior(pooled, own), **params)
    return ViewingSurvey(None, evidence_weight_sums(traces, evidence), [None])


@dataclass
class ViewingRead:
    """Pass 3: what a partition adds to the colony (``sums``, a ``_ColonySums`` of the engine), its
    evidence counts per label of :data:`~poem.colony.landing.LABELS`, its history reader with its number
    of events, and (asked for) each event's learner and evidence score in trail order."""

    sums: object
    labels: np.ndarray
    readers: list
    scores: list | None = None

    def __add__(self, other: "ViewingRead") -> "ViewingRead":
        scores = None if self.scores is None else self.scores + other.scores
        return ViewingRead(self.sums + other.sums, self.labels + other.labels, self.readers + other.readers,
                           scores)


def read_partition(traces: Traces, model, t_ref, catalog, params: dict, weights: dict, keep: bool,
                   partial, pooled: dict | None, own: dict | None) -> ViewingRead:
    """Pass 3: the partition read as a cohort (pooled landing and weights) and summed by ``partial``
    (the engine's per-partition colony sums, called as ``partial(traces, model, t_ref)``)."""
    if not has_visits(traces, catalog):
        # no visit: quizzes keep their scores, weighed as everywhere else; no reader is learned here
        score = weighed_scores(traces.score, np.zeros(traces.n_events, dtype=bool), weights, float(model.mastery))
        labels = np.zeros(len(LABELS), np.int64)
        labels[LABELS.index("other")] = traces.n_events
        names = np.asarray(traces.learners, dtype=object)[traces.learner]
        return ViewingRead(partial(replace(traces, score=score), model, t_ref), labels, [],
                           [pd.DataFrame({"learner": names, "score": traces.score})] if keep else None)
    read, evidence, _ = apply_viewing(traces, catalog, mastery=float(model.mastery), weights=weights,
                                      landing_prior=_prior(pooled, own), **params)
    sums = partial(read, model, t_ref)
    # the reader this partition teaches (its floor is replaced by the whole colony's on the driver)
    reader = HistoryReader.from_evidence(evidence, read,
                                         evidence_floor(sums.state.item_attempts, sums.state.item_successes))
    scores = None
    if keep:
        scores = [pd.DataFrame({"learner": np.asarray(read.learners, dtype=object)[read.learner],
                                "score": evidence.score})]
    return ViewingRead(sums, np.bincount(evidence.label, minlength=len(LABELS)).astype(np.int64),
                       [(read.n_events, reader)], scores)
