"""Mastery doubted again: later failures on the items that need a mastered item are evidence against it.

``suggest`` counts item i as mastered at its calibrated ``need[i]``-th pass (:mod:`poem.colony.calibration`)
and never suggests a mastered item again. A pass that was a guess therefore strands the learner: the
colony sends them on to what needs i, they fail it, and nothing in ``suggest`` ever asks for i again. On
the 40-item chain of the closed-loop family that trap took 13-22 % of the colony's guided steps in the
last cohorts (``benchmarks/results/closed_loop.md``, "The chain, third pass").

With ``ManHill(doubt=True)`` the belief in each mastered item is carried on as a log-odds. It starts
from the calibration: ``logit pass_value[i]`` after the first pass (P(mastered | first pass)), plus
``log((1 − slip[i]) / guess[i])`` for each further pass (each pass is that much likelier from a mastered
learner). Every later scored attempt on another item j then adds the log-likelihood ratio of its
outcome between a learner who has i and one who has not, read from the colony's conditional counts
(``cond_attempts_`` / ``cond_successes_``: r₁ is the success on j after i was mastered, r₀ without it,
both smoothed toward j's own rate by the measured concentration c of
:func:`poem.colony.conditional.conditional_concentration`):

    failure on j:  log((1 − r₁) / (1 − r₀)),      pass on j:  log(r₁ / r₀),

only for the pairs where i significantly helps j (z > :data:`~poem.colony.suggestion.CONDITIONAL_Z`,
as in :func:`~poem.colony.suggestion.conditional_evidence`); elsewhere the outcome says nothing about i.
When the log-odds falls below ``logit`` :data:`DOUBT_BELOW` -- the colony now thinks the learner more
likely *not* to master i -- i stops counting as mastered: it is allowed again and suggested as a
confirmation (one more pass lifts it back). Items whose calibration is fixed (``mastery_successes``) are
never doubted: there is no pass value to start from.

Why 1/2 and not the calibration's threshold (0.9): measured on the family, doubting at 0.9 re-opened
items after a single failure on a dependent and cost the local-DAG scenarios 0.02-0.03 NRP (learners on
a DAG fail dependents for other missing prerequisites); at 1/2 it takes a few failures, which a guessed
pass produces and a mastered item rarely does.

Examples
--------
>>> from types import SimpleNamespace
>>> t = SimpleNamespace(n=2, mastery=0.5, need_list=[1, 1], doubt_start=np.array([np.log(9.0), np.inf]),
...                     doubt_step=np.array([np.log(4.0), 0.0]),
...                     doubt_fail=np.array([[0.0, np.log(0.5)], [0.0, 0.0]]),
...                     doubt_pass=np.array([[0.0, np.log(3.0)], [0.0, 0.0]]))
>>> doubt_mastery(t, [0, 1, 1, 1], [1.0, 0.0, 0.0, 0.0], [0], np.array([False, True]), {})[0]   # 9 x 1/8 > 1
[0]
>>> doubt_mastery(t, [0, 1, 1, 1, 1], [1.0, 0.0, 0.0, 0.0, 0.0], [0], np.array([False, True]), {})[0]
[]
"""

from __future__ import annotations

import numpy as np

from poem.colony.conditional import conditional_rates

__all__ = ["DOUBT_BELOW", "doubt_tables", "doubt_mastery"]

#: belief in a mastered item under which it is doubted again (allowed and suggested as a confirmation)
DOUBT_BELOW = 0.5


def doubt_tables(cond_attempts, cond_successes, tries, first, concentration: float, pass_value, guess, slip,
                 z_min: float):
    """The learner-independent arrays of the doubt: ``(fail, pass_, start, step)``.

    ``fail[i, j]`` / ``pass_[i, j]``: the log-likelihood ratios a failure / a pass on j brings for "i is
    mastered" (0 where i does not significantly help j, and on the diagonal); ``start[i]``: the log-odds
    of mastery after the first pass of i (``+inf`` where the calibration gives none: never doubted);
    ``step[i]``: the log-odds each further pass adds. See the module docstring.

    >>> a = np.array([[0, 40], [0, 0]]); s = np.array([[0.0, 24.0], [0.0, 0.0]])   # j = 1: 60 % after i = 0
    >>> fail, pass_, start, step = doubt_tables(a, s, np.array([0, 80]), np.array([0.0, 32.0]), 2.0,
    ...                                         np.array([0.9, 0.9]), np.array([0.2, 0.2]),
    ...                                         np.array([0.1, 0.1]), 2.0)
    >>> round(float(fail[0, 1]), 2), round(float(pass_[0, 1]), 2), float(fail[1, 0])   # r1 0.59, r0 0.21
    (-0.66, 1.04, 0.0)
    >>> round(float(start[0]), 2), round(float(step[0]), 2)
    (2.2, 1.5)
    """
    # the conditional-evidence test, the rates smoothed by the measured concentration (> 0)
    r1, r0, z = conditional_rates(cond_attempts, cond_successes, tries, first, float(concentration))
    helps = z > z_min
    np.fill_diagonal(helps, False)
    fail = np.where(helps, np.log((1.0 - r1) / (1.0 - r0)), 0.0)
    pass_ = np.where(helps, np.log(r1 / r0), 0.0)
    pv = np.clip(np.asarray(pass_value, dtype=float), 1e-6, 1.0 - 1e-6)
    g = np.clip(np.asarray(guess, dtype=float), 1e-6, 1.0 - 1e-6)
    sl = np.clip(np.asarray(slip, dtype=float), 1e-6, 1.0 - 1e-6)
    start = np.log(pv / (1.0 - pv))
    step = np.log((1.0 - sl) / g)
    known = np.isfinite(start) & np.isfinite(step)   # NaN calibration (fixed mastery): never doubted
    return fail, pass_, np.where(known, start, np.inf), np.where(known, step, 0.0)


def doubt_mastery(t, codes, scores, mastered, allowed, passes):
    """``(mastered, allowed, passes)`` of :func:`poem.colony.suggestion.mastered_items` after the doubt:
    the mastered items whose belief fell under :data:`DOUBT_BELOW` leave ``mastered``, become allowed
    (unless seen without a score: those stay tabu) and enter ``passes`` with their count of passes, so
    that ``suggest`` offers them as a confirmation. ``t`` holds ``doubt_fail``, ``doubt_pass``,
    ``doubt_start``, ``doubt_step``, ``need_list``, ``mastery`` and ``n`` (a
    :class:`~poem.colony.suggestion.SuggestTables`). ``allowed`` is changed in place."""
    if not mastered:
        return mastered, allowed, passes
    need = t.need_list
    wins, at, unscored = {}, {}, set()
    for e, (j, s) in enumerate(zip(codes, scores)):
        if s != s:
            unscored.add(j)
        elif s >= t.mastery:
            c = wins.get(j, 0) + 1
            wins[j] = c
            if c == need[j]:
                at[j] = e      # the event after which j counts as mastered
    m = np.asarray(mastered, dtype=np.int64)
    belief = t.doubt_start[m] + (np.array([wins[i] for i in mastered]) - 1) * t.doubt_step[m]
    items = np.asarray(codes, dtype=np.int64)
    sc = np.asarray(scores, dtype=float)
    scored = sc == sc
    passed = scored & (sc >= t.mastery)
    rows = np.ix_(m, items)
    ratio = np.where(passed[None, :], t.doubt_pass[rows], t.doubt_fail[rows])
    later = (np.arange(len(items))[None, :] > np.array([at[i] for i in mastered])[:, None]) & scored[None, :]
    belief = belief + (ratio * later).sum(axis=1)
    doubted = belief < np.log(DOUBT_BELOW / (1.0 - DOUBT_BELOW))
    if not doubted.any():
        return mastered, allowed, passes
    passes = dict(passes)
    keep = []
    for i, bad in zip(mastered, doubted.tolist()):
        if bad:
            passes[i] = wins[i]
            if i not in unscored:
                allowed[i] = True
        else:
            keep.append(i)
    return keep, allowed, passes
