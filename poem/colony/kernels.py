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
  :func:`poem.colony.elo.fit_elo` runs the same sweep in two kernels with the same floats:
  :func:`elo_predictions` walks four learners at once (a learner's rating is a chain of dependent
  steps, each waiting for an ``exp``; four independent chains keep the processor busy, 1.8 times
  faster) and keeps each attempt's predicted success, then :func:`elo_newton` adds the Newton
  statistics in event order, so every sum is added in the order :func:`elo_pass` adds it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["trail_pass", "erosion_pass", "elo_pass", "elo_steps", "elo_predictions", "elo_newton", "item_totals",
           "session_firsts", "conditional_pass"]


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
def elo_steps(bounds, k0, k_min, halflife):
    """``(K, w)`` by count of earlier scored attempts: ``K[c] = max(k_min, k0 / (1 + c / halflife))`` and
    ``w[c] = 1 - K[c] / (2 k0)``, as :func:`elo_pass` computes them, up to the longest trail."""
    longest = 0
    for l in range(bounds.shape[0] - 1):
        if bounds[l + 1] - bounds[l] > longest:
            longest = bounds[l + 1] - bounds[l]
    ks = np.empty(longest + 1)
    ws = np.empty(longest + 1)
    for c in range(longest + 1):
        k = k0 / (1.0 + c / halflife)
        if k < k_min:
            k = k_min
        ks[c] = k
        ws[c] = 1.0 - 0.5 * k / k0
    return ks, ws


@njit(cache=True)
def elo_predictions(item, score, bounds, d, theta0, ks, pred):
    """The abilities of :func:`elo_pass` (same floats) and each scored attempt's predicted success, written
    to ``pred`` (unscored events: left as they were). Returns ``(theta, n_att)``.

    Learners go four at a time, their events interleaved step by step while all four have events left,
    then each finishes alone: the four rating chains are independent, so the processor overlaps them.
    """
    n_learners = bounds.shape[0] - 1
    theta = np.empty(n_learners)
    n_att = np.zeros(n_learners, np.int64)
    l = 0
    while l + 4 <= n_learners:
        e0 = bounds[l]
        e1 = bounds[l + 1]
        e2 = bounds[l + 2]
        e3 = bounds[l + 3]
        f3 = bounds[l + 4]
        t0 = theta0
        t1 = theta0
        t2 = theta0
        t3 = theta0
        c0 = 0
        c1 = 0
        c2 = 0
        c3 = 0
        m = min(min(e1 - e0, e2 - e1), min(e3 - e2, f3 - e3))
        for i in range(m):
            s0 = score[e0 + i]
            s1 = score[e1 + i]
            s2 = score[e2 + i]
            s3 = score[e3 + i]
            p0 = 1.0 / (1.0 + math.exp(d[item[e0 + i]] - t0))
            p1 = 1.0 / (1.0 + math.exp(d[item[e1 + i]] - t1))
            p2 = 1.0 / (1.0 + math.exp(d[item[e2 + i]] - t2))
            p3 = 1.0 / (1.0 + math.exp(d[item[e3 + i]] - t3))
            if s0 == s0:
                pred[e0 + i] = p0
                t0 += ks[c0] * (s0 - p0)
                c0 += 1
            if s1 == s1:
                pred[e1 + i] = p1
                t1 += ks[c1] * (s1 - p1)
                c1 += 1
            if s2 == s2:
                pred[e2 + i] = p2
                t2 += ks[c2] * (s2 - p2)
                c2 += 1
            if s3 == s3:
                pred[e3 + i] = p3
                t3 += ks[c3] * (s3 - p3)
                c3 += 1
        theta[l], n_att[l] = _elo_rest(item, score, d, ks, pred, e0 + m, e1, t0, c0)
        theta[l + 1], n_att[l + 1] = _elo_rest(item, score, d, ks, pred, e1 + m, e2, t1, c1)
        theta[l + 2], n_att[l + 2] = _elo_rest(item, score, d, ks, pred, e2 + m, e3, t2, c2)
        theta[l + 3], n_att[l + 3] = _elo_rest(item, score, d, ks, pred, e3 + m, f3, t3, c3)
        l += 4
    while l < n_learners:
        theta[l], n_att[l] = _elo_rest(item, score, d, ks, pred, bounds[l], bounds[l + 1], theta0, 0)
        l += 1
    return theta, n_att


@njit(cache=True)
def _elo_rest(item, score, d, ks, pred, a, b, th, cnt):
    """One learner's rating chain over events ``a:b`` from rating ``th`` after ``cnt`` scored attempts."""
    for e in range(a, b):
        s = score[e]
        if s == s:
            p = 1.0 / (1.0 + math.exp(d[item[e]] - th))
            pred[e] = p
            th += ks[cnt] * (s - p)
            cnt += 1
    return th, cnt


@njit(cache=True)
def elo_newton(item, score, bounds, pred, ws, late, n, halves):
    """The Newton statistics of :func:`elo_pass` from the predictions of :func:`elo_predictions`, added in
    event order: ``(g, h)`` overall when ``halves`` is False, else ``(g_half, h_half)`` (2, n) for the
    early and late halves of the time range."""
    if halves:
        g = np.zeros((2, n))
        h = np.zeros((2, n))
    else:
        g = np.zeros((1, n))
        h = np.zeros((1, n))
    for l in range(bounds.shape[0] - 1):
        cnt = 0
        for e in range(bounds[l], bounds[l + 1]):
            s = score[e]
            if s != s:
                continue
            j = item[e]
            p = pred[e]
            w = ws[cnt]
            resid = w * (p - s)
            info = w * p * (1.0 - p)
            row = (1 if late[e] else 0) if halves else 0
            g[row, j] += resid
            h[row, j] += info
            cnt += 1
    return g, h


@njit(cache=True)
def item_totals(item, score, n):
    """Scored attempts and score sums per item (``bincount`` of the scored events, in event order)."""
    attempts = np.zeros(n)
    successes = np.zeros(n)
    for e in range(item.shape[0]):
        j = item[e]
        if j < 0 or j >= n:
            raise ValueError("item_totals: an item code lies outside [0, n)")
        s = score[e]
        if s == s:
            attempts[j] += 1.0
            successes[j] += s
    return attempts, successes


@njit(cache=True)
def conditional_pass(item, score, bounds, n, mastery, need):
    """Success on each item split by whether another item was already mastered: the counts behind the
    conditional evidence that i is a prerequisite of j (:func:`poem.colony.suggestion.conditional_evidence`).

    Item j is mastered at its ``need[j]``-th success (score >= ``mastery``; ``need`` an (n,) int array:
    the colony's ``mastery_successes``, or its calibrated passes): with guess rates of 8-25 % a single pass is often a guess, and conditioning
    on guesses washes the contrast out. For every scored attempt on j until j is mastered (later ones
    repeat an item already done and say nothing about what it needs), every item i the learner had
    already mastered adds one to ``att[i, j]`` and the score to ``succ[i, j]``. The attempts on j
    *without* i mastered are ``tries[j]`` (the attempts until j is mastered) minus these, and their score
    sum ``first[j]`` minus ``succ[i, j]``. The counts are never weighted (no tour quality, no decay).
    Sequential per learner, O(attempts x mastered); every output is a sum over learners, so partitions
    add exactly.

    >>> att, succ, tries, first = conditional_pass(
    ...     np.array([0, 1, 1, 2], np.int32), np.array([1.0, 0.0, 1.0, 1.0]), np.array([0, 4]), 3, 0.5,
    ...     np.ones(3, np.int64))
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
            if wins[j] >= need[j]:
                continue  # j already mastered: a repeat, not a test of whether j could be done
            tries[j] += 1
            first[j] += s
            for t in range(m):
                i = mastered[t]
                att[i, j] += 1
                succ[i, j] += s
            if s >= mastery:
                wins[j] += 1
                if wins[j] == need[j]:
                    mastered[m] = j
                    m += 1
    return att, succ, tries, first
