"""Numba kernels of the man-hill: the inherently sequential passes over learner trails.

Everything here works on the plain arrays of a :class:`~poem.traces.Traces` (events sorted by learner, then
time) and knows nothing of pandas or of the estimator. The kernels are compiled once and cached on disk
(``cache=True``), so the first fit in a fresh environment pays the compilation and later runs do not.

Three passes:

* :func:`trail_pass` -- one walk over every trail (learner order): arc counts and distinct learners per arc,
  per-item counts, the precedence matrix of first successes, and (when asked) the success / failure
  pheromone deposits with their reach-back along the recent path. Every output is a sum over learners,
  which is what makes colony states mergeable across partitions.
* :func:`erosion_pass` -- the same deposits replayed in global time order, each deposit out of a node
  eroding the other arcs out of that node (Valigiani et al. 2005).
* :func:`elo_pass` -- one ELO sweep over every learner's scored events against fixed item difficulties,
  returning the learners' final abilities and the per-item Newton statistics used to re-rate the items.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["trail_pass", "erosion_pass", "elo_pass", "session_firsts", "conditional_pass"]


@njit(cache=True)
def session_firsts(bounds, timestamp, gap_ns):
    """Index of the first event of the session holding each event (``gap_ns < 0``: one session per trail).

    >>> session_firsts(np.array([0, 3, 4]), np.array([0, 5, 50, 7]), 10).tolist()
    [0, 0, 2, 3]
    """
    n_events = timestamp.shape[0]
    first = np.empty(n_events, np.int64)
    for l in range(bounds.shape[0] - 1):
        a = bounds[l]
        b = bounds[l + 1]
        start = a
        for e in range(a, b):
            if e > a and gap_ns >= 0 and timestamp[e] - timestamp[e - 1] > gap_ns:
                start = e
            first[e] = start
    return first


@njit(cache=True)
def trail_pass(item, score, timestamp, bounds, gap_ns, event_weight, learner_weight, n, depth, lam, q,
               mastery, failure_bonus):
    """Walk every learner trail once; see the module docstring.

    A session starts at a learner's first event and after any silence longer than ``gap_ns`` (negative:
    never); its first arc comes from the start node ``n``. ``event_weight`` (length n_events, or length 0
    for all ones: saves 8 bytes per event) scales each event's deposit (evaporation); ``learner_weight``
    scales every deposit and precedence count of a learner (tour quality). NaN scores extend the trail
    and count as visits but deposit no pheromone and never count as a success or a failure.
    """
    n_learners = bounds.shape[0] - 1
    phi_p = np.zeros((n + 1, n))
    phi_m = np.zeros((n + 1, n))
    visits = np.zeros((n + 1, n), np.int64)
    arc_learners = np.zeros((n + 1, n), np.int64)
    arc_stamp = np.full((n + 1, n), -1, np.int64)
    prec = np.zeros((n, n))
    attempts = np.zeros(n, np.int64)
    successes = np.zeros(n)
    item_learners = np.zeros(n, np.int64)
    item_events = np.zeros(n, np.int64)
    item_masters = np.zeros(n, np.int64)
    # per-learner scratch, reset by stamping with the learner index instead of clearing
    item_stamp = np.full(n, -1, np.int64)
    succ_stamp = np.full(n, -1, np.int64)
    fail_stamp = np.full(n, -1, np.int64)
    first_succ = np.zeros(n, np.int64)
    first_fail = np.zeros(n, np.int64)
    mastered = np.empty(n, np.int64)
    weighted = event_weight.shape[0] > 0
    for l in range(n_learners):
        a = bounds[l]
        b = bounds[l + 1]
        wl = learner_weight[l]
        m = 0
        first = a
        for e in range(a, b):
            j = item[e]
            if e > a and gap_ns >= 0 and timestamp[e] - timestamp[e - 1] > gap_ns:
                first = e
            r = n if first == e else item[e - 1]
            visits[r, j] += 1
            item_events[j] += 1
            if arc_stamp[r, j] != l:
                arc_stamp[r, j] = l
                arc_learners[r, j] += 1
            if item_stamp[j] != l:
                item_stamp[j] = l
                item_learners[j] += 1
            s = score[e]
            if s != s:
                continue
            attempts[j] += 1
            successes[j] += s
            amount = q * wl * (event_weight[e] if weighted else 1.0)
            dp = amount * s
            dm = amount - dp
            f = 1.0
            pos = e
            for _k in range(depth + 1):
                rr = n if pos == first else item[pos - 1]
                cc = item[pos]
                phi_p[rr, cc] += f * dp
                phi_m[rr, cc] += f * dm
                if pos == first:
                    break
                pos -= 1
                f *= lam
            if s >= mastery:
                if succ_stamp[j] != l:
                    succ_stamp[j] = l
                    first_succ[j] = e
                    item_masters[j] += 1
                    # a failure on j before i was mastered, then success after: i likely unlocked j
                    failed_j = fail_stamp[j] == l
                    for t in range(m):
                        i = mastered[t]
                        w = wl
                        if failed_j and first_fail[j] < first_succ[i]:
                            w += wl * failure_bonus
                        prec[i, j] += w
                    mastered[m] = j
                    m += 1
            elif fail_stamp[j] != l:
                fail_stamp[j] = l
                first_fail[j] = e
    return (phi_p, phi_m, visits, arc_learners, prec, attempts, successes, item_learners, item_events,
            item_masters)


@njit(cache=True)
def erosion_pass(order, item, score, sess_first, learner_of, learner_weight, n, depth, lam, q, erosion):
    """Deposits replayed in the global time order ``order``; each deposit on an arc out of node r first
    scales every arc out of r by ``1 - erosion``. Rows are stored in scaled units (value / row scale) so a
    deposit costs O(1); a row is renormalised only when its scale nears underflow."""
    phi_p = np.zeros((n + 1, n))
    phi_m = np.zeros((n + 1, n))
    scale = np.ones(n + 1)
    keep = 1.0 - erosion
    for t in range(order.shape[0]):
        e = order[t]
        s = score[e]
        if s != s:
            continue
        amount = q * learner_weight[learner_of[e]]
        dp = amount * s
        dm = amount - dp
        f = 1.0
        pos = e
        first = sess_first[e]
        for _k in range(depth + 1):
            rr = n if pos == first else item[pos - 1]
            cc = item[pos]
            scale[rr] *= keep
            if scale[rr] < 1e-200:
                for c in range(n):
                    phi_p[rr, c] *= scale[rr]
                    phi_m[rr, c] *= scale[rr]
                scale[rr] = 1.0
            phi_p[rr, cc] += f * dp / scale[rr]
            phi_m[rr, cc] += f * dm / scale[rr]
            if pos == first:
                break
            pos -= 1
            f *= lam
    for r in range(n + 1):
        for c in range(n):
            phi_p[r, c] *= scale[r]
            phi_m[r, c] *= scale[r]
    return phi_p, phi_m, scale


@njit(cache=True)
def row_deposit_counts(item, score, sess_first, n, depth):
    """How many deposits each row receives (what erosion counts), for eroding an existing colony."""
    counts = np.zeros(n + 1, np.int64)
    for e in range(item.shape[0]):
        s = score[e]
        if s != s:
            continue
        pos = e
        first = sess_first[e]
        for _k in range(depth + 1):
            rr = n if pos == first else item[pos - 1]
            counts[rr] += 1
            if pos == first:
                break
            pos -= 1
    return counts


@njit(cache=True)
def elo_pass(item, score, bounds, d, theta0, k0, k_min, halflife, late, n):
    """One ELO sweep: each learner starts at ``theta0`` and is updated event by event with the decreasing
    step ``K = max(k_min, k0 / (1 + count / halflife))`` against the fixed difficulties ``d``.

    Returns final abilities, attempts per learner, and per-item Newton statistics ``g = sum w (p - s)``,
    ``h = sum w p (1 - p)`` (overall, early and late halves) where p is the learner's predicted success at
    the time of the attempt and ``w = 1 - K / (2 k0)`` gives less say to learners whose rating is still
    unsettled.
    """
    n_learners = bounds.shape[0] - 1
    theta = np.empty(n_learners)
    n_att = np.zeros(n_learners, np.int64)
    g = np.zeros(n)
    h = np.zeros(n)
    g_half = np.zeros((2, n))
    h_half = np.zeros((2, n))
    for l in range(n_learners):
        a = bounds[l]
        b = bounds[l + 1]
        th = theta0
        cnt = 0
        for e in range(a, b):
            s = score[e]
            if s != s:
                continue
            j = item[e]
            p = 1.0 / (1.0 + math.exp(d[j] - th))
            k = k0 / (1.0 + cnt / halflife)
            if k < k_min:
                k = k_min
            w = 1.0 - 0.5 * k / k0
            resid = w * (p - s)
            info = w * p * (1.0 - p)
            g[j] += resid
            h[j] += info
            half = 1 if late[e] else 0
            g_half[half, j] += resid
            h_half[half, j] += info
            th += k * (s - p)
            cnt += 1
        theta[l] = th
        n_att[l] = cnt
    return theta, n_att, g, h, g_half, h_half


@njit(cache=True)
def conditional_pass(item, score, bounds, n, mastery, need):
    """Success on each item split by whether another item was already mastered: the counts behind the
    conditional evidence that i is a prerequisite of j (:func:`poem.colony.suggestion.conditional_evidence`).

    An item is mastered at its ``need``-th success (score >= ``mastery``; the colony's
    ``mastery_successes``): with guess rates of 8-25 % a single pass is often a guess, and conditioning
    on guesses washes the contrast out. For every scored attempt on j until j is mastered (later ones
    repeat an item already done and say nothing about what it needs), every item i the learner had
    already mastered adds one to ``att[i, j]`` and the score to ``succ[i, j]``. The attempts on j
    *without* i mastered are ``tries[j]`` (the attempts until j is mastered) minus these, and their score
    sum ``first[j]`` minus ``succ[i, j]``. The counts are never weighted (no tour quality, no decay).
    Sequential per learner, O(attempts x mastered); every output is a sum over learners, so partitions
    add exactly.

    >>> att, succ, tries, first = conditional_pass(
    ...     np.array([0, 1, 1, 2], np.int32), np.array([1.0, 0.0, 1.0, 1.0]), np.array([0, 4]), 3, 0.5, 1)
    >>> att.tolist()
    [[0, 2, 1], [0, 0, 1], [0, 0, 0]]
    >>> succ.tolist()
    [[0.0, 1.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    >>> tries.tolist(), first.tolist()
    ([1, 2, 1], [1.0, 1.0, 1.0])
    """
    n_learners = bounds.shape[0] - 1
    att = np.zeros((n, n), np.int64)
    succ = np.zeros((n, n))
    tries = np.zeros(n, np.int64)
    first = np.zeros(n)
    stamp = np.full(n, -1, np.int64)
    wins = np.zeros(n, np.int64)
    mastered = np.empty(n, np.int64)
    for l in range(n_learners):
        m = 0
        for e in range(bounds[l], bounds[l + 1]):
            s = score[e]
            if s != s:
                continue
            j = item[e]
            if stamp[j] != l:
                stamp[j] = l
                wins[j] = 0
            if wins[j] >= need:
                continue  # j already mastered: a repeat, not a test of whether j could be done
            tries[j] += 1
            first[j] += s
            for t in range(m):
                i = mastered[t]
                att[i, j] += 1
                succ[i, j] += s
            if s >= mastery:
                wins[j] += 1
                if wins[j] == need:
                    mastered[m] = j
                    m += 1
    return att, succ, tries, first
