"""Learner reliability in the precedence counts: a weighted-Kemeny reading of the colony's log.

``precedence_`` counts every learner's first-success order alike. On a viewing-only log about a third of
the landings read are views watched through without understanding (``benchmarks/results/viewing.md``), and
they are not spread evenly: some learners' orders are mostly such misreadings. Rank aggregation has a
standard answer (weighted Kemeny, Dawid-Skene voting): weigh each voter by how often they agree with the
consensus, re-estimate the consensus, iterate.

- **trails** (:func:`first_success_trails`): each learner's items in the order of their first success
  (score >= the colony's ``mastery``), from the colony's compact log (``model.state_``); their pairs are
  the pairs ``precedence_`` counts.
- **agreement** (:func:`agreement_counts`): for each learner, the pairs of their trail on which the
  consensus is clear (precedence sign-test ``|z| >= z_min`` with the learner's own pairs taken out, so a
  learner never vouches for themselves on a sparse pair) and placed as the consensus places them, or
  against it.
- **weights** (:func:`learner_reliability`): ``p = (agree + prior * rate) / (agree + disagree + prior)``
  (``rate`` the pooled agreement: a learner with few clear pairs stays near the average) and the weight
  ``max(log(p / (1 - p)), 0)``, the optimal vote of a voter right with probability ``p``; a learner no
  better than chance gets no vote. Re-estimated ``iterations`` times, each on the precedence the previous
  weights give.
- **reliable precedence** (:func:`reliable_precedence`): ``precedence_`` with every pair's count re-weighted
  by its learners' weights, rescaled to the same total, so the sign test of :mod:`poem.paths` reads it on
  the same scale.

:func:`poem.paths.path_evidence` uses it for colonies read from viewing evidence only. Measured
(``benchmarks/bench_viewing_reliability.py``, ``benchmarks/results/viewing_reliability.md``): on the
viewing colonies it raised the path's respect; on scored colonies it was mixed (the simulated quiz
colonies gained, the two public courses of ``benchmarks/bench_paths.py`` lost three and one or two of
their true arcs).

Examples
--------
>>> item = np.array([0, 1, 2, 2, 1, 0], np.int32)       # learner 0: a, b, c; learner 1: c, b, a
>>> score = np.ones(6)
>>> seq, bounds = trails_pass(item, score, np.array([0, 3, 6]), 0.5)
>>> seq.tolist(), bounds.tolist()
([0, 1, 2, 2, 1, 0], [0, 3, 6])
"""

from __future__ import annotations

import numpy as np
from numba import njit

from poem.errors import NotFittedError, ParameterError

__all__ = ["RELIABILITY_DEFAULTS", "trails_pass", "first_success_trails", "pair_counts", "agreement_counts",
           "learner_reliability", "reliable_precedence"]

#: defaults of :func:`learner_reliability` (chosen a priori, not tuned: one clear standard deviation of the
#: sign test, ten pseudo-pairs, two re-estimations; the variants measured are in the benchmark's results)
RELIABILITY_DEFAULTS = {"iterations": 2, "prior": 10.0, "z_min": 1.0}


@njit(cache=True)
def trails_pass(item, score, bounds, mastery):  # pragma: no cover - compiled
    """Per learner the items of their first successes, in order: (items, bounds) like the log's."""
    n_learners = bounds.shape[0] - 1
    n = 0
    for e in range(item.shape[0]):
        if item[e] + 1 > n:
            n = item[e] + 1
    stamp = np.full(n, -1, np.int64)
    seq = np.empty(item.shape[0], np.int64)
    out_bounds = np.zeros(n_learners + 1, np.int64)
    m = 0
    for u in range(n_learners):
        for e in range(bounds[u], bounds[u + 1]):
            s = score[e]
            if s >= mastery and stamp[item[e]] != u:   # NaN compares False: unscored events are skipped
                stamp[item[e]] = u
                seq[m] = item[e]
                m += 1
        out_bounds[u + 1] = m
    return seq[:m], out_bounds


@njit(cache=True)
def pair_counts(seq, bounds, weights, n):  # pragma: no cover - compiled
    """``C[i, j] = sum_u weights[u] * [i before j in u's trail]``."""
    C = np.zeros((n, n))
    for u in range(bounds.shape[0] - 1):
        w = weights[u]
        if w == 0.0:
            continue
        for a in range(bounds[u], bounds[u + 1]):
            for b in range(a + 1, bounds[u + 1]):
                C[seq[a], seq[b]] += w
    return C


@njit(cache=True)
def agreement_counts(seq, bounds, C, own, z_min):  # pragma: no cover - compiled
    """(agree, disagree) per learner against the sign test of ``C`` without the learner's own pairs
    (``own[u]``: what the learner adds to each of their pairs in ``C``)."""
    out = np.zeros((bounds.shape[0] - 1, 2))
    for u in range(bounds.shape[0] - 1):
        for a in range(bounds[u], bounds[u + 1]):
            i = seq[a]
            for b in range(a + 1, bounds[u + 1]):
                j = seq[b]
                forward = max(C[i, j] - own[u], 0.0)
                backward = C[j, i]
                z = (forward - backward) / np.sqrt(forward + backward + 1.0)
                if z >= z_min:
                    out[u, 0] += 1.0
                elif z <= -z_min:
                    out[u, 1] += 1.0
    return out


def first_success_trails(model) -> tuple[np.ndarray, np.ndarray]:
    """Each learner's first-success order from a fitted colony's log: (items, bounds)."""
    state = getattr(model, "state_", None)
    if state is None:
        raise NotFittedError("learner reliability needs a fitted colony (ManHill.fit): its state_ holds the "
                             "log of scored events")
    return trails_pass(np.asarray(state.log_item, dtype=np.int64), np.asarray(state.log_score, dtype=np.float64),
                       np.asarray(state.log_bounds, dtype=np.int64), float(getattr(model, "mastery", 0.5)))


def _rescaled(C: np.ndarray, total: float) -> np.ndarray:
    s = C.sum()
    return C * (total / s) if s > 0 else C


def learner_reliability(model, *, iterations: int = RELIABILITY_DEFAULTS["iterations"],
                        prior: float = RELIABILITY_DEFAULTS["prior"],
                        z_min: float = RELIABILITY_DEFAULTS["z_min"]) -> np.ndarray:
    """One weight per learner of the colony's log (``model.state_.learners``); see the module docstring.

    All ones when no learner has a clear pair (nothing to judge them on) or every weight comes out 0.
    ``iterations``: re-estimations (each on the precedence the previous weights give); ``prior``: pseudo-pairs
    at the pooled agreement rate added to every learner's; ``z_min``: the sign-test z a pair needs (the
    learner's own pair taken out) to count as clear.

    >>> import pandas as pd
    >>> from poem.traces import Traces
    >>> from poem.antcolony import ManHill
    >>> rows = [(f"u{k}", x) for k in range(9) for x in "abc"] + [("v", x) for x in "cba"]
    >>> frame = pd.DataFrame(rows, columns=["learner", "item"]).assign(score=1.0)
    >>> frame["timestamp"] = pd.to_datetime(range(len(frame)), unit="D", utc=True)
    >>> model = ManHill().fit(Traces.from_frame(frame))
    >>> w = learner_reliability(model)     # nine agree on their 3 clear pairs, v (last) reverses them
    >>> bool(np.allclose(w, [np.log(12)] * 9 + [np.log(9 / 4)]))   # p = (3 + 10 x 0.9) / 13, 9 / 13
    True
    """
    return _reliability(model, iterations=iterations, prior=prior, z_min=z_min)[0]


def _reliability(model, *, iterations: int = RELIABILITY_DEFAULTS["iterations"],
                 prior: float = RELIABILITY_DEFAULTS["prior"], z_min: float = RELIABILITY_DEFAULTS["z_min"]):
    """``(weights, plain, weighted)``: :func:`learner_reliability`'s weights, with the pair counts of the
    trails unweighted and under those weights, which :func:`reliable_precedence` needs and the fit has."""
    for name, value in (("prior", prior), ("z_min", z_min)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < 0:
            raise ParameterError(f"reliability {name} must be a finite number >= 0, got {value!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 1:
        raise ParameterError(f"reliability iterations must be an integer >= 1, got {iterations!r}")
    seq, bounds = first_success_trails(model)
    n = len(model.items_)
    k = np.diff(bounds).astype(np.float64)
    pairs = k * (k - 1) / 2
    weights = np.ones(len(k))
    plain = C = pair_counts(seq, bounds, weights, n)
    total = C.sum()
    if total == 0:          # nobody mastered two items: no order to judge anyone on
        return weights, plain, plain
    for _ in range(iterations):
        scale = total / float((weights * pairs).sum())   # what one unit of weight adds to a pair of C
        counts = agreement_counts(seq, bounds, C, weights * scale, float(z_min))
        agree, disagree = counts[:, 0], counts[:, 1]
        clear = agree + disagree
        if clear.sum() == 0:
            return np.ones(len(k)), plain, plain
        rate = agree.sum() / clear.sum()
        # with prior 0 a learner without a clear pair has nothing of their own: the pooled rate (the limit of
        # a vanishing prior), not 0 / 0
        seen = clear + prior > 0
        p = np.where(seen, (agree + prior * rate) / np.where(seen, clear + prior, 1.0), rate)
        p = np.clip(p, 1e-12, 1 - 1e-12)
        new = np.maximum(np.log(p / (1 - p)), 0.0)
        if not (new * pairs).any():
            return np.ones(len(k)), plain, plain
        weights = new
        weighted = pair_counts(seq, bounds, weights, n)
        C = _rescaled(weighted, total)
    return weights, plain, weighted


def reliable_precedence(model, **options) -> np.ndarray:
    """``precedence_`` with each pair's learners weighted by :func:`learner_reliability` (``options``), each
    entry scaled by the ratio of its weighted to its unweighted count from the trails (the counts themselves
    when ``precedence_`` is the plain count; the colony's tour-quality scaling or failure bonus are kept
    otherwise), rescaled to the total of ``precedence_``.

    >>> import pandas as pd
    >>> from poem.traces import Traces
    >>> from poem.antcolony import ManHill
    >>> rows = [(f"u{k}", x) for k in range(9) for x in "abc"] + [("v", x) for x in "cba"]
    >>> frame = pd.DataFrame(rows, columns=["learner", "item"]).assign(score=1.0)
    >>> frame["timestamp"] = pd.to_datetime(range(len(frame)), unit="D", utc=True)
    >>> model = ManHill().fit(Traces.from_frame(frame))
    >>> model.precedence_[0].tolist(), model.precedence_[:, 0].tolist()
    ([0.0, 9.0, 9.0], [0.0, 1.0, 1.0])
    >>> P = reliable_precedence(model)      # 30 pairs: 27 x log 12 against 3 x log 2.25, same total
    >>> P[0].round(3).tolist(), P[:, 0].round(3).tolist()
    ([0.0, 9.65, 9.65], [0.0, 0.35, 0.35])
    """
    _, plain, weighted = _reliability(model, **options)
    P = np.asarray(model.precedence_, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(plain > 0, weighted / plain, 1.0)
    return _rescaled(P * ratio, P.sum())
