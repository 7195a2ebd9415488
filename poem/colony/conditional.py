"""Readiness from the learned success: a learner's chance on an item given the items they have mastered.

The colony's state counts, for every pair (i, j), the scored attempts on j made after i was mastered and
their score sum (``ManHill.cond_attempts_``, ``cond_successes_``; :func:`poem.colony.kernels.conditional_pass`).
:func:`conditional_success` turns them into the learner's chance on every item given their mastered
items, on top of the learner's own predicted success; :func:`conditional_concentration` measures from
the same counts how much such a condition moves an item's success rate, which sets how many of those
attempts outweigh the item's overall rate. ``suggest`` uses both with ``sampling="conditional"`` (the
default; :mod:`poem.colony.suggestion`).

Examples
--------
>>> a = np.array([[0, 40], [40, 0]]); s = np.array([[0.0, 28.0], [12.0, 0.0]])  # 70 % and 30 % around 50 %
>>> round(conditional_concentration(a, s, np.array([80, 80]), np.array([40.0, 40.0])), 2)
6.22
"""

from __future__ import annotations

import numpy as np

__all__ = ["conditional_concentration", "conditional_rates", "conditional_success", "CONCENTRATION_MIN_ATTEMPTS",
           "MIN_CONCENTRATION"]

#: fewest conditional attempts a pair needs to enter the concentration estimate
CONCENTRATION_MIN_ATTEMPTS = 2
#: floor of the measured concentration (and its value when no pair has enough attempts): one pseudo-attempt
MIN_CONCENTRATION = 1.0


def conditional_rates(cond_attempts, cond_successes, tries, first, smoothing: float):
    """Success on j with i mastered before and without it, and how far apart: ``(r1, r0, z)``, (n, n).

    Among the ``tries[j]`` scored attempts on j until a learner masters it (success sum ``first[j]``),
    ``a1 = cond_attempts[i, j]`` came after i was mastered (success sum ``s1``) and ``a0 = tries[j] - a1``
    did not (``s0``). Both rates are smoothed toward j's overall rate r̄ = (first + 1) / (tries + 2) by
    ``smoothing`` pseudo-attempts (0: raw rates, r̄ where there is no attempt), and
    z = (r₁ − r₀) / √(r̄(1 − r̄)(1/(a1+1) + 1/(a0+1))). The one test behind both the readiness evidence
    (:func:`poem.colony.suggestion.conditional_evidence`) and the doubt (:mod:`poem.colony.doubt`).

    >>> r1, r0, z = conditional_rates(np.array([[0, 40], [0, 0]]), np.array([[0.0, 32.0], [0.0, 0.0]]),
    ...                               np.array([0, 80]), np.array([0.0, 36.0]), 2.0)
    >>> round(float(r1[0, 1]), 3), round(float(r0[0, 1]), 3), round(float(z[0, 1]), 1)
    (0.783, 0.117, 6.1)
    """
    a1 = np.asarray(cond_attempts, dtype=float)
    s1 = np.asarray(cond_successes, dtype=float)
    att = np.asarray(tries, dtype=float)[None, :]
    succ = np.asarray(first, dtype=float)[None, :]
    a0 = np.maximum(att - a1, 0.0)
    s0 = np.clip(succ - s1, 0.0, None)
    rbar = (succ + 1.0) / (att + 2.0)
    m = float(smoothing)
    r1 = (s1 + m * rbar) / (a1 + m) if m > 0 else np.divide(s1, a1, out=rbar.repeat(len(a1), 0), where=a1 > 0)
    r0 = (s0 + m * rbar) / (a0 + m) if m > 0 else np.divide(s0, a0, out=rbar.repeat(len(a1), 0), where=a0 > 0)
    z = (r1 - r0) / np.sqrt(rbar * (1.0 - rbar) * (1.0 / (a1 + 1.0) + 1.0 / (a0 + 1.0)))
    return r1, r0, z


def conditional_concentration(cond_attempts, cond_successes, tries, first,
                              min_attempts: int = CONCENTRATION_MIN_ATTEMPTS) -> float:
    """How far success on j after i was mastered strays from j's own rate, as the concentration c of a
    beta-binomial: the pseudo-attempts j's rate is worth against the attempts conditioned on one item.

    Over the pairs with at least ``min_attempts`` conditional attempts (``a = cond_attempts[i, j]``,
    score sum ``s``), with μ_j = (first[j] + 1) / (tries[j] + 2) the rate of j over the same attempts
    (until mastery), the method of moments gives the intra-class correlation

        ρ = Σ [(s/a − μ_j)² − μ_j(1 − μ_j)/a] / Σ μ_j(1 − μ_j)(1 − 1/a),    c = 1/ρ − 1,

    (ρ clipped to [10⁻³, 1], c floored at :data:`MIN_CONCENTRATION`; pairs of a single attempt each,
    possible with ``min_attempts=1``, have no spread to measure: their zero denominator gives the floor
    too). A course where what was mastered matters much (a chain: the next item is done only after the
    one before) has a small c, so a few conditional attempts outweigh the item's overall rate; where it
    matters little c is large.

    >>> a = np.array([[0, 40], [40, 0]]); s = np.array([[0.0, 28.0], [12.0, 0.0]])  # 70 % and 30 % around 50 %
    >>> round(conditional_concentration(a, s, np.array([80, 80]), np.array([40.0, 40.0])), 2)
    6.22
    >>> conditional_concentration(np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(2), np.zeros(2))
    1.0
    """
    a = np.asarray(cond_attempts, dtype=float)
    s = np.asarray(cond_successes, dtype=float)
    mu = np.broadcast_to(((np.asarray(first, dtype=float) + 1.0) / (np.asarray(tries, dtype=float) + 2.0))[None, :],
                         a.shape)
    keep = a >= min_attempts
    if not keep.any():
        return MIN_CONCENTRATION
    a, s, mu = a[keep], s[keep], mu[keep]
    v = mu * (1.0 - mu)
    num = ((s / a - mu) ** 2 - v / a).sum()
    den = (v * (1.0 - 1.0 / a)).sum()
    rho = float(np.clip(num / den, 1e-3, 1.0)) if den > 0 else 1.0
    return max(1.0 / rho - 1.0, MIN_CONCENTRATION)


def conditional_success(t, codes, scores, p: np.ndarray):
    """The learner's chance on every item given what they have mastered, and the evidence behind it:
    ``(mean, attempts)``, or None when the learner has mastered nothing in the counts' sense.

    ``t`` is the colony's :class:`poem.colony.suggestion.SuggestTables` (its ``cond_*`` arrays, ``mastery``
    and ``n``); ``codes`` / ``scores`` the learner's history; ``p`` their predicted success per item. The items the learner has passed ``t.cond_need[j]`` times (the sense of mastery of the conditional
    counts, :func:`poem.colony.kernels.conditional_pass`) are the conditions. For each candidate j the
    condition i with the highest smoothed rate r₁ = (s + c·μ_j) / (a + c) is kept (c:
    :func:`conditional_concentration`, μ_j: j's own rate over the same attempts); its lift
    ``logit r₁ − logit μ_j`` is added to the learner's ELO log-odds ``logit p_j``, so the learner's
    ability still counts. ``attempts`` is the conditional attempts behind the kept condition (0: no
    learner tried j after mastering any of the learner's items, and the mean is ``p`` itself).
    """
    wins, mastered = {}, []
    need = t.cond_need_list
    for j, sc in zip(codes, scores):
        if sc == sc and sc >= t.mastery:
            c_ = wins.get(j, 0) + 1
            wins[j] = c_
            if c_ == need[j]:
                mastered.append(j)
    if not mastered:
        return None
    a = t.cond_attempts[mastered]
    c = t.cond_concentration
    mu = (t.cond_first + 1.0) / (t.cond_tries + 2.0)
    r = (t.cond_successes[mastered] + c * mu) / (a + c)
    if len(mastered) == 1:
        a_star, r_star = a[0], r[0]
    else:
        best = np.argmax(r, axis=0)
        cols = np.arange(t.n)
        a_star, r_star = a[best, cols], r[best, cols]
    # odds of the learner's own prediction times the odds ratio of the condition: a lift in log-odds
    q = np.clip(p, 1e-9, 1.0 - 1e-9)
    odds = q / (1.0 - q) * (r_star / (1.0 - r_star)) * ((1.0 - mu) / mu)
    return odds / (1.0 + odds), a_star
