"""ELO ratings of learners and items (Valigiani, Lutton & Collet 2006), with the deflation fixed.

The model is the Rasch / ELO one: a learner of ability θ succeeds on an item of difficulty d with
probability ``σ(θ − d)``. Learners are rated online, event by event in the order of their trail, with a
decreasing step ``K(c) = max(k_min, k0 / (1 + c / halflife))`` after ``c`` scored attempts: new learners
move fast, settled learners slowly, and a learner's rating follows their learning.

**Deflation and how it is fixed.** In a plain ELO, learners and items trade points: students enter low,
learn (their rating climbs by taking points from the items), then leave with those points, so item
ratings drift down over the life of a course (Valigiani 2006). Here items are not rated by that zero-sum
exchange. Each sweep rates every learner online against *fixed* item difficulties; the items are then
re-rated by one Newton step of the Rasch likelihood against the learners' abilities *at the time of each
attempt* (so a learner who failed early, before learning, does not make an item look hard to the learners
who come later), with attempts by still-unsettled learners weighted down, and the difficulties are
re-centred to an attempt-weighted mean of zero. The scale is thereby anchored and cannot drift; a few
sweeps (``n_iter``) converge. An item every learner passed (or every learner failed) has no finite
estimate; it keeps its count-based difficulty (:func:`initial_difficulty`), so that such items seen equally
often get equal difficulties wherever they sit in the trails. Because every sweep treats learners independently, the result does not
depend on the order in which learners (or partitions of learners) are processed, except for float
rounding in the per-item sums.

Examples
--------
>>> import numpy as np
>>> item = np.array([0, 1, 0, 1], dtype=np.int32)
>>> score = np.array([1.0, 0.0, 1.0, 0.0])
>>> bounds = np.array([0, 2, 4])
>>> res = fit_elo(item, score, bounds, np.arange(4, dtype=np.int64), n_items=2)
>>> bool(res.difficulty[1] > res.difficulty[0])   # item 1 is always failed: harder
True
>>> round(float(success_probability(0.0, 0.0)), 2)
0.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from poem.colony.kernels import elo_newton, elo_predictions, elo_steps, item_totals
from poem.errors import ParameterError

__all__ = ["EloResult", "fit_elo", "success_probability", "learner_rating", "initial_difficulty"]

#: largest change of an item difficulty in one Newton step (logits): keeps rare items from jumping
MAX_STEP = 2.0


@dataclass(frozen=True)
class EloResult:
    """Fitted ratings: ``difficulty`` (n_items,), ``ability`` and ``n_attempts`` (n_learners,), ``drift``
    (n_items,: late-half minus early-half difficulty, logits) and its standard error ``drift_se``."""

    difficulty: np.ndarray
    ability: np.ndarray
    n_attempts: np.ndarray
    drift: np.ndarray
    drift_se: np.ndarray


def success_probability(theta, difficulty):
    """``σ(θ − d)``, vectorised.

    >>> round(float(success_probability(1.0, 0.0)), 3)
    0.731
    """
    return 1.0 / (1.0 + np.exp(np.asarray(difficulty, dtype=float) - theta))


def initial_difficulty(attempts: np.ndarray, successes: np.ndarray) -> np.ndarray:
    """Smoothed logit of the failure rate, centred to an attempt-weighted mean of zero (0 when unseen).

    >>> initial_difficulty(np.array([10, 10, 0]), np.array([9.0, 1.0, 0.0])).round(2).tolist()
    [-1.61, 1.61, 0.0]
    """
    attempts = np.asarray(attempts, dtype=float)
    rate = (np.asarray(successes, dtype=float) + 1.0) / (attempts + 2.0)
    d = np.log1p(-rate) - np.log(rate)
    return _centre(d, attempts)


def _centre(d: np.ndarray, attempts: np.ndarray) -> np.ndarray:
    total = attempts.sum()
    out = d - (attempts @ d) / total if total > 0 else d.copy()
    out[attempts == 0] = 0.0
    return out


def fit_elo(item, score, bounds, timestamp, n_items, *, theta0=0.0, k0=1.0, k_min=0.1, halflife=10.0,
            n_iter=3) -> EloResult:
    """Rate learners and items from trails (events sorted by learner then time; ``bounds`` from
    :meth:`poem.traces.Traces.trail_bounds`). NaN scores are skipped. See the module docstring.

    Parameters
    ----------
    item, score, timestamp : ndarray
        Per-event item codes, scores in [0, 1] (NaN: no success information) and int64 timestamps.
    bounds : ndarray of int64
        Offsets of each learner's events.
    n_items : int
    theta0 : float
        Entry rating of a new learner (items are centred on 0).
    k0, k_min, halflife : float
        The decreasing step schedule.
    n_iter : int
        Sweeps (learners online, then one Newton step for the items).
    """
    if not (k0 > 0 and 0 < k_min <= k0 and halflife > 0):
        raise ParameterError(f"ELO step schedule needs k0 > 0, 0 < k_min <= k0, halflife > 0; got k0={k0}, "
                             f"k_min={k_min}, halflife={halflife}")
    if int(n_iter) < 1:
        raise ParameterError(f"elo_iter must be >= 1, got {n_iter}")
    item = np.ascontiguousarray(item, dtype=np.int32)
    score = np.ascontiguousarray(score, dtype=np.float64)
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    timestamp = np.asarray(timestamp, dtype=np.int64)
    # one compiled pass (bincount would first copy the int32 codes to int64); the same sums, event order
    attempts, successes = item_totals(item, score, n_items)
    scored = ~np.isnan(score)
    if scored.all():  # the usual case: spare the masked copies (memory counts on big logs)
        t_lo, t_hi = (int(timestamp.min()), int(timestamp.max())) if len(timestamp) else (0, 0)
    else:
        stamps = timestamp[scored]
        t_lo, t_hi = (int(stamps.min()), int(stamps.max())) if len(stamps) else (0, 0)
        del stamps
    del scored
    d = initial_difficulty(attempts, successes)
    start = d.copy()
    # an item always passed (or always failed) has no finite Rasch estimate: Newton steps would only push it
    # by amounts that depend on where it sits in the trails (the abilities of the learners who met it), so
    # two such items seen equally often would get different difficulties. They keep the count-based value.
    degenerate = (attempts > 0) & ((successes >= attempts) | (successes <= 0))
    late = timestamp > (t_lo + t_hi) // 2
    # each sweep is elo_pass in two kernels (see poem.colony.kernels): the ratings, four learners at a
    # time, then the Newton sums in event order from the predictions kept in ``pred`` (8 bytes per event)
    ks, ws = elo_steps(bounds, float(k0), float(k_min), float(halflife))
    pred = np.empty(len(item))
    for _ in range(int(n_iter)):
        elo_predictions(item, score, bounds, d, float(theta0), ks, pred)
        g, h = elo_newton(item, score, bounds, pred, ws, late, n_items, False)
        # ridge of 1 in the denominator: items seen a handful of times move little
        d = d + np.clip(g[0] / (h[0] + 1.0), -MAX_STEP, MAX_STEP)
        d[degenerate] = start[degenerate]
        d = _centre(d, attempts)
    # final abilities against the final difficulties
    theta, n_att = elo_predictions(item, score, bounds, d, float(theta0), ks, pred)
    g_half, h_half = elo_newton(item, score, bounds, pred, ws, late, n_items, True)
    del pred
    drift = g_half[1] / (h_half[1] + 1.0) - g_half[0] / (h_half[0] + 1.0)
    drift_se = np.sqrt(1.0 / (h_half[1] + 1.0) + 1.0 / (h_half[0] + 1.0))
    return EloResult(d, theta, n_att, drift, drift_se)


def learner_rating(items, scores, difficulty, *, theta0=0.0, k0=1.0, k_min=0.1, halflife=10.0) -> float:
    """Replay one learner's history (item codes, scores; NaN skipped) and return their current ability.

    Plain Python on purpose: histories are short and this sits on the hot path of ``suggest``.

    >>> round(learner_rating([0, 1], [1.0, 1.0], np.zeros(2)), 3)
    0.843
    """
    th = float(theta0)
    cnt = 0
    for j, s in zip(items, scores):
        if s != s:
            continue
        p = 1.0 / (1.0 + math.exp(float(difficulty[j]) - th))
        k = max(k_min, k0 / (1.0 + cnt / halflife))
        th += k * (float(s) - p)
        cnt += 1
    return th
