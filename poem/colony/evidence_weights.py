"""How well each kind of evidence (video views, quiz scores) predicts a learner's later success: the
weights of a mixed course (the *mixed courses* paragraph of :mod:`poem.colony.viewing`).

A kind's weight is how far the learner's next evidence events on other items differ after its successes
and after its failures, over the largest such gap among the kinds. :func:`evidence_weight_sums` gives the
four sums per kind that this needs; they add across learners, so the Dask engine sums them over its
partitions and :func:`weights_from_sums` finishes, giving the in-memory weights
(:func:`evidence_weights`).
"""

from __future__ import annotations

import numpy as np

from poem.traces import Traces

__all__ = ["evidence_weights", "evidence_weight_sums", "weights_from_sums"]


def evidence_weights(traces: Traces, evidence, *, horizon: int = 5) -> dict:
    """How well each kind of evidence predicts the learner's later success, as weights in [0.1, 1].

    For every success or failure (score >= 0.5 or < 0.5) of a kind (``"video"``, ``"quiz"``), the later
    success is the mean evidence score of the learner's next ``horizon`` evidence events on other items.
    A kind's predictive value is the gap between that mean after a success and after a failure; weights
    are the values over the largest one, floored at 0.1 (a kind with no contrast still counts a little).
    A kind with no success or no failure gets weight 1 when it is the only kind.

    >>> import pandas as pd
    >>> from poem.colony.viewing import ViewingEvidence
    >>> frame = pd.DataFrame({"learner": ["a"] * 2, "item": ["x", "y"], "score": [1.0, 0.0],
    ...                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> t = Traces.from_frame(frame)
    >>> ev = ViewingEvidence(t.score, np.full(2, np.nan), np.zeros(2, np.int8), np.zeros(2, bool),
    ...                      np.full(2, np.nan), np.full(2, np.nan), {})
    >>> evidence_weights(t, ev)
    {'quiz': 1.0}
    """
    return weights_from_sums(evidence_weight_sums(traces, evidence, horizon=horizon))


def evidence_weight_sums(traces: Traces, evidence, *, horizon: int = 5) -> dict:
    """The sums :func:`evidence_weights` is computed from, per kind with evidence: ``[sum of the later
    success after a success, their count, the same after a failure, their count]``. They add across
    learners (the Dask engine sums them over partitions); :func:`weights_from_sums` finishes."""
    score = evidence.score
    has = ~np.isnan(score)
    kinds = np.where(evidence.is_video, "video", "quiz")
    present = sorted(set(kinds[has].tolist()))
    idx = np.flatnonzero(has)
    learner, item, sc, kd = traces.learner[idx], traces.item[idx], score[idx], kinds[idx]
    later = np.full(len(idx), np.nan)
    total = np.zeros(len(idx))
    count = np.zeros(len(idx))
    for k in range(1, horizon + 1):
        nxt = np.arange(len(idx)) + k
        ok = nxt < len(idx)
        nxt = np.where(ok, nxt, 0)
        ok &= (learner[nxt] == learner) & (item[nxt] != item)
        total += np.where(ok, sc[nxt], 0.0)
        count += ok
    later = np.divide(total, count, out=later, where=count > 0)
    sums = {}
    for kind in present:
        sel = (kd == kind) & ~np.isnan(later)
        win, lose = sel & (sc >= 0.5), sel & (sc < 0.5)
        sums[kind] = np.array([np.sum(later[win]), win.sum(), np.sum(later[lose]), lose.sum()], dtype=float)
    return sums


def weights_from_sums(sums: dict) -> dict:
    """The per-kind weights of :func:`evidence_weights` from (summed) :func:`evidence_weight_sums`."""
    present = sorted(sums)
    if len(present) <= 1:
        return {k: 1.0 for k in present}
    # a kind's predictive value: mean later success after its successes minus after its failures
    value = {k: float(s[0] / s[1] - s[2] / s[3]) if s[1] > 0 and s[3] > 0 else 0.0 for k, s in sums.items()}
    top = max(value.values())
    if not top > 0:
        return {k: 1.0 for k in present}
    return {k: float(np.clip(v / top, 0.1, 1.0)) for k, v in value.items()}
