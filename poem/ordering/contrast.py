"""Prerequisites by contrast: success on *j* with *i* mastered before, against without, all else held fixed.

Precedence ("who mastered i before j") is evidence of *order*: learners sharing any common order leave
lopsided precedence between unrelated items. A prerequisite shows as *contrast*: success on j is higher
when i was mastered before the attempt than when it was not, with the learner's other mastered items
held fixed (as in the conditional-independence tests of E-PRISM, Allègre, Yessad & Luengo 2023, and the
sparse models of Chen, González-Brenes & Tian 2016). So, for every target item j:

1. **rows**: the learners' scored attempts on j until their first success on j (later attempts repeat an
   item already done and say nothing about what it needs);
2. **features**: for every other item i, ``x_i = 1`` when the learner had mastered i (first success, or the
   ``need``-th) before the attempt; optionally (``level=True``; off by default, see below), unpenalised,
   the learner's *level* (logit of their Laplace-smoothed success rate on every item but j,
   (successes + 1) / (attempts + 2)). Only candidates
   with a positive marginal contrast enter (at most ``max_candidates``, the strongest): a prerequisite,
   direct or not, always has one. Candidates must also be mastered *first*: among the learners who mastered
   both i and j, at least ``min_order`` (60 %) mastered i before j. A prerequisite passes that test; an item
   that merely stands in for the real prerequisites (a sibling needing the same ones, mastered before j by
   about half the learners) or that needs j (a collider, a descendant) does not, so it cannot take the real
   arcs' weight. Order is only a filter here, not evidence: learners sharing a common order pass it for
   unrelated items too, and the contrast decides. (A *progress* covariate -- share of the course mastered --
   was tried and dropped: it is a mediator, "has the prerequisites", and absorbed the real arcs.);
3. **model**: an L1-penalised logistic regression of the attempt's success on those features
   (coordinate descent on the IRLS quadratic, glmnet style, compiled with numba), the penalty
   ``alpha * sqrt(2 log p / m) / 2`` on standardised item columns, so it scales with the evidence;
4. **confidence**: stability selection (Meinshausen & Bühlmann 2010) -- the share of ``n_resamples``
   refits on random halves of the learners (drawn from a keyed hash of each learner's id, so neither row
   order nor the order of summed cohorts matters) in which the coefficient of i exceeds ``min_strength``, i.e.
   in which the half alone would draw the arc (counting merely positive coefficients gave confident
   arcs of negligible size on the hidden-mastery scenarios: precision 0.61 against 0.91 there);
5. **graph**: the arcs i→j with a full-data coefficient above ``min_strength`` (log odds ratio),
   ``confidence >= min_confidence`` and at least ``min_support`` learners on each side of the contrast
   (with and without i); of two opposite arcs the less confident goes, and cycles are broken by dropping
   their least confident arc.

The defaults (``alpha`` 0.4, ``min_strength`` 0.5, ``min_confidence`` 0.7) were chosen on both public
courses, the demo and the scenario family of :mod:`poem.simulation.scenarios` (the precision an arc
shown is right with, across all of them, before recall), and the level covariate's removal and the 50
halves on five seeds of the halves; the figures, including where the targets are missed, are in
``benchmarks/results/graph.md``.

Conditioning on the other mastered items is what removes the two classic false arcs: an indirect
prerequisite h→i→j brings nothing once i is known (h is mastered whenever i is), and a *collider*
i→k←j brings nothing either (k is almost never mastered before j, since it needs j). "Strong learners
master more items *and* pass more items" is held by the same conditioning (the other mastered items say
how strong the learner is) and by the order filter. A *level* covariate (``level=True``, the default
until issue 10's second round) is not held fixed by default: a learner's success on the other items is
itself a consequence of having mastered j's prerequisites (their success on j's siblings and descendants
needs the same items), so it is a mediator, and holding it fixed removed real arcs: on the 15 courses of
``benchmarks/results/graph.md`` and five seeds of the learner halves, dropping it (with 50 halves)
raised recall (course-a 0.55 -> 0.62, course-b 0.42 -> 0.49, the demo 0.29 -> 0.37) and put the F1 above
the sparse-logistic floor on 8-9 courses instead of 6-8, for precision closer to the targets (course-b
0.99 -> 0.92, under 0.9 in one seed of five); on courses with no prerequisites at all neither draws an
arc.

It is fitted on :class:`~poem.traces.Traces` or on a colony's :class:`~poem.colony.state.ColonyState`,
whose log of every learner's scored events in trail order is all the contrast needs: the state of
``ManHill().fit(traces)``, or the sum of the states of any split of the traces into learner cohorts
(``partial_fit``, ``ManHill.from_state``, the Dask engine), gives the graph of ``fit(traces)``.

The result is a :class:`ContrastGraph` with dense ``strength_`` (log odds ratio of success on j with i
mastered), ``confidence_`` (in [0, 1]) and ``support_`` (learners with an attempt on j after mastering i)
matrices, and ``graph_`` (a :class:`networkx.DiGraph` of the kept arcs, same attributes on the edges).
:func:`sparse_logistic_graph` is the plain floor the issue names: the same L1 logistic model without the
level covariates, the stability selection or the acyclicity (``benchmarks/bench_graph.py`` compares them).

Examples
--------
>>> import pandas as pd
>>> from poem.traces import Traces
>>> rng = np.random.default_rng(0)
>>> rows = []
>>> for k in range(400):     # b needs a; learners meet a and b in a random order
...     order = ["a", "b"] if rng.random() < 0.5 else ["b", "a"]
...     has_a = False
...     for day, item in enumerate(order * 2):
...         ok = (rng.random() < 0.9) if (item == "a" or has_a) else (rng.random() < 0.1)
...         has_a = has_a or (item == "a" and ok)
...         rows.append((f"u{k}", item, day, float(ok)))
>>> frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
>>> frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="D", utc=True)
>>> graph = ContrastGraph(random_state=0).fit(Traces.from_frame(frame)).graph_
>>> sorted(graph.edges)
[('a', 'b')]
"""

from __future__ import annotations

import hashlib
import math

import networkx as nx
import numpy as np
import pandas as pd
from numba import njit

from poem.colony.state import ColonyState
from poem.errors import NotFittedError, ParameterError
from poem.traces import Traces

__all__ = ["ContrastGraph", "CONTRAST_DEFAULTS", "sparse_logistic_graph", "arcs_above", "l1_logistic",
           "arcs_table", "ARC_COLUMNS", "learner_split"]

#: defaults of :class:`ContrastGraph`, chosen on the scenario family of ``benchmarks/bench_graph.py``
CONTRAST_DEFAULTS = {"alpha": 0.4, "n_resamples": 50, "min_confidence": 0.7, "min_support": 20,
                     "min_strength": 0.5, "min_order": 0.6,
                     "mastery": 0.5, "need": 1, "level": False}

#: columns of an arc table (:func:`arcs_table`, ``poem graph --format csv``)
ARC_COLUMNS = ["source", "target", "strength", "confidence", "support"]

_NEVER = np.iinfo(np.int32).max


# ---------------------------------------------------------------------------------------------- solver
@njit(cache=True)
def _cd_logistic(X, y, rw, pf, lam, beta, b0, max_outer, tol):
    """L1-penalised weighted logistic regression by IRLS + coordinate descent (glmnet's scheme).

    ``X`` (p, m) column-major features, ``y`` (m,) in {0, 1}, ``rw`` (m,) row weights summing to W,
    ``pf`` (p,) penalty factors (0: unpenalised), ``lam`` the penalty; minimises
    ``(1/W) sum rw * logloss + lam * sum pf |beta|``. ``beta`` and ``b0`` are the warm start; returns
    the fitted ``(beta, b0)``. Inner sweeps visit only the active set until it converges, then all the
    features once (cheap when the answer is sparse, which it is).
    """
    p, m = X.shape
    W = 0.0
    for r in range(m):
        W += rw[r]
    if W <= 0:
        return beta, b0
    eta = np.empty(m)
    w = np.empty(m)
    res = np.empty(m)
    xwx = np.empty(p)
    for _outer in range(max_outer):
        for r in range(m):
            s = b0
            for k in range(p):
                if beta[k] != 0.0:
                    s += X[k, r] * beta[k]
            eta[r] = s
        for r in range(m):
            e = eta[r]
            if e > 30.0:
                e = 30.0
            elif e < -30.0:
                e = -30.0
            pr = 1.0 / (1.0 + math.exp(-e))
            v = pr * (1.0 - pr)
            if v < 1e-5:
                v = 1e-5
            w[r] = rw[r] * v / W
            res[r] = (y[r] - pr) / v
        for k in range(p):
            acc = 0.0
            for r in range(m):
                acc += w[r] * X[k, r] * X[k, r]
            xwx[k] = acc
        max_change_outer = 0.0
        full = True
        for _sweep in range(200):
            max_change = 0.0
            # intercept (never penalised)
            sw = 0.0
            swr = 0.0
            for r in range(m):
                sw += w[r]
                swr += w[r] * res[r]
            if sw > 0:
                d = swr / sw
                b0 += d
                for r in range(m):
                    res[r] -= d
            for k in range(p):
                if not full and beta[k] == 0.0:
                    continue
                if xwx[k] <= 0:
                    continue
                g = 0.0
                for r in range(m):
                    g += w[r] * X[k, r] * res[r]
                old = beta[k]
                u = g + xwx[k] * old
                t = lam * pf[k]
                if u > t:
                    new = (u - t) / xwx[k]
                elif u < -t:
                    new = (u + t) / xwx[k]
                else:
                    new = 0.0
                if new != old:
                    d = new - old
                    beta[k] = new
                    for r in range(m):
                        res[r] -= X[k, r] * d
                    change = abs(d) * math.sqrt(xwx[k])
                    if change > max_change:
                        max_change = change
            if max_change > max_change_outer:
                max_change_outer = max_change
            if max_change < tol:
                if full:
                    break
                full = True        # the active set converged: check every feature once
            else:
                full = False
        if max_change_outer < tol:
            break
    return beta, b0


def l1_logistic(X, y, *, lam: float, penalty=None, weights=None, max_outer: int = 30, tol: float = 1e-5):
    """L1-penalised logistic regression, ``(coef, intercept)``; X is (rows, features).

    Minimises ``mean(weights * logloss) + lam * sum(penalty * |coef|)`` (``penalty`` defaults to ones;
    0 leaves a feature unpenalised). Weights are relative (the weighted mean divides by their sum); a row
    of weight 0 is absent, and weights so small that they vanish in floating point (subnormal) count as 0:
    with no weight left the fit is all zeros, never NaN.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 2, size=(2000, 3)).astype(float)
    >>> y = (rng.random(2000) < np.where(X[:, 0] > 0, 0.9, 0.1)).astype(float)
    >>> coef, b0 = l1_logistic(X, y, lam=0.01)
    >>> bool(coef[0] > 2), bool(np.all(np.abs(coef[1:]) < 0.2))
    (True, True)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or len(y) != X.shape[0]:
        raise ParameterError(f"l1_logistic: X must be (rows, features) with one y per row; got {X.shape}, "
                             f"{y.shape}")
    if not lam >= 0:
        raise ParameterError(f"l1_logistic: lam must be >= 0, got {lam!r}")
    p = X.shape[1]
    pf = np.ones(p) if penalty is None else np.asarray(penalty, dtype=np.float64)
    rw = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    beta, b0 = _cd_logistic(np.ascontiguousarray(X.T), y, rw, pf, float(lam), np.zeros(p), 0.0,
                            int(max_outer), float(tol))
    return beta, float(b0)


# ---------------------------------------------------------------------------------------------- design
@njit(cache=True)
def _first_success(learner, item, score, bounds, n, mastery, need):
    """Event index of each (learner, item)'s ``need``-th success (``_NEVER`` when never); int32, so 4
    bytes per learner and item (events beyond 2**31 - 1 are refused by the caller)."""
    n_learners = bounds.shape[0] - 1
    out = np.full((n_learners, n), _NEVER, np.int32)
    wins = np.zeros(n, np.int64)
    for l in range(n_learners):
        for e in range(bounds[l], bounds[l + 1]):
            wins[item[e]] = 0
        for e in range(bounds[l], bounds[l + 1]):
            s = score[e]
            if s == s and s >= mastery:
                j = item[e]
                wins[j] += 1
                if wins[j] == need:
                    out[l, j] = np.int32(e)
    return out


class _Design:
    """What every per-item fit needs, computed once from the scored events: first successes, learner totals.

    ``learner`` (codes), ``item``, ``score`` and ``bounds`` hold events grouped by learner, in trail order
    (a :class:`~poem.traces.Traces`, or a colony's log of scored events: unscored events are skipped here
    anyway, so both give the same design)."""

    def __init__(self, learner, item, score, bounds, n: int, mastery: float, need: int):
        self.n = int(n)
        if len(learner) >= _NEVER:
            raise ParameterError(f"the contrast graph handles up to {_NEVER - 1} events; got {len(learner)}: "
                                 "fit it on a sample of the learners")
        self.learner = np.asarray(learner).astype(np.int64)
        item = np.asarray(item).astype(np.int64)
        score = np.asarray(score, dtype=np.float64)
        bounds = np.asarray(bounds).astype(np.int64)
        self.first = _first_success(self.learner, item, score, bounds, self.n, float(mastery), int(need))
        scored = ~np.isnan(score)
        self.success = np.where(scored, score >= mastery, False)
        L = len(bounds) - 1
        self.att_l = np.bincount(self.learner[scored], minlength=L).astype(float)
        self.suc_l = np.bincount(self.learner[scored], weights=self.success[scored], minlength=L)
        idx = np.flatnonzero(scored)
        order = np.argsort(item[idx], kind="stable")
        self.events = idx[order]
        self.starts = np.searchsorted(item[self.events], np.arange(self.n + 1))

    def rows(self, j: int):
        """``(X bool (m, n), y, learner, level)`` of the attempts on j until its first success."""
        ev = self.events[self.starts[j]:self.starts[j + 1]]
        lrn = self.learner[ev]
        keep = ev <= self.first[lrn, j]
        ev, lrn = ev[keep], lrn[keep]
        y = self.success[ev].astype(np.float64)
        X = (self.first[lrn] < ev[:, None])
        X[:, j] = False
        # level: the learner's smoothed success rate on every other item (their attempts on j left out)
        all_j = self.events[self.starts[j]:self.starts[j + 1]]
        a_j = np.bincount(self.learner[all_j], minlength=len(self.att_l)).astype(float)
        s_j = np.bincount(self.learner[all_j], weights=self.success[all_j], minlength=len(self.att_l))
        rate = (self.suc_l[lrn] - s_j[lrn] + 1.0) / (self.att_l[lrn] - a_j[lrn] + 2.0)
        level = np.log(rate / (1.0 - rate))
        return X, y, lrn, level


def _support(X: np.ndarray, lrn: np.ndarray, n_learners: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct learners with an attempt made with / without each item mastered (``lrn`` is sorted: the
    rows of an item come in trail order, learner by learner)."""
    if not len(lrn):
        return np.zeros(X.shape[1], np.int64), np.zeros(X.shape[1], np.int64)
    starts = np.flatnonzero(np.r_[True, lrn[1:] != lrn[:-1]])
    bits = X.view(np.uint8)
    with_ = np.maximum.reduceat(bits, starts, axis=0).sum(axis=0)
    without = (1 - np.minimum.reduceat(bits, starts, axis=0)).sum(axis=0)
    return with_.astype(np.int64), without.astype(np.int64)


def _screen(X, y, cols, max_candidates: int) -> np.ndarray:
    """Candidates with a positive marginal contrast (success with i mastered above success without, by
    more than one standard error), at most ``max_candidates`` of the strongest: a prerequisite, direct
    or not, always shows such a contrast, and fitting only these keeps the cost linear in the items."""
    Xc = X[:, cols]
    n1 = Xc.sum(axis=0).astype(float)
    n0 = len(y) - n1
    s1 = y @ Xc
    s0 = y.sum() - s1
    r1 = (s1 + 0.5) / (n1 + 1.0)
    r0 = (s0 + 0.5) / (n0 + 1.0)
    rbar = (y.sum() + 1.0) / (len(y) + 2.0)
    z = (r1 - r0) / np.sqrt(rbar * (1 - rbar) * (1.0 / (n1 + 1.0) + 1.0 / (n0 + 1.0)))
    keep = np.flatnonzero(z > 1.0)
    keep = keep[np.argsort(-z[keep], kind="stable")[:max_candidates]]
    return np.sort(cols[keep])


def _order_share(first: np.ndarray, j: int, cols: np.ndarray, min_both: int) -> np.ndarray:
    """Share of the learners who mastered both i and j (for each i in ``cols``) who mastered i first; 1.0
    where fewer than ``min_both`` mastered both (no evidence against the order)."""
    fj = first[:, j]
    done = np.flatnonzero(fj < _NEVER)
    sub = first[np.ix_(done, cols)]     # only the candidate columns: first[done] would copy every item's
    n_both = (sub < _NEVER).sum(axis=0)
    before = (sub < fj[done][:, None]).sum(axis=0)    # _NEVER is never below a real index
    return np.where(n_both >= min_both, before / np.maximum(n_both, 1), 1.0)


def _fit_item(feats, y, rows, k, alpha, warm=None):
    """One L1 logistic fit on the first ``k`` (item) rows of ``feats`` (features x attempts, the unpenalised
    covariates after them), on the attempts ``rows`` (all when None)."""
    if rows is not None:
        feats, y = np.ascontiguousarray(feats[:, rows]), y[rows]
    m = len(y)
    sd = feats[:k].std(axis=1) if m else np.zeros(k)
    pf = np.concatenate([sd, np.zeros(feats.shape[0] - k)])
    lam = alpha * math.sqrt(2.0 * math.log(max(k, 2)) / max(float(m), 2.0)) * 0.5
    beta = np.zeros(feats.shape[0]) if warm is None else warm[0].copy()
    b0 = 0.0 if warm is None else warm[1]
    beta, b0 = _cd_logistic(feats, y, np.ones(m), pf, lam, beta, b0, 25, 1e-3)
    return beta, b0


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array (wrapping arithmetic): independent-looking bits from
    consecutive inputs."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def learner_split(learners, n_resamples: int, random_state=0) -> tuple[np.ndarray, np.ndarray]:
    """``(halves, priority)`` of the stability selection: ``halves[b, k]`` says whether learner k is in the
    b-th random half, ``priority[k]`` in [0, 1) ranks learners for the per-item sample.

    Both derive from a keyed hash (BLAKE2b) of each learner's *id* and a key drawn from ``random_state``,
    never from the learner's position: the same learner gets the same draws whatever the order of the
    rows, of the cohorts or partitions summed into a state, and whichever other learners are there.
    Exactly (part of the reproducibility of every graph measured with a seed): with ``h`` the 8-byte
    little-endian BLAKE2b digest of ``str(id)`` keyed by the seed, ``f`` splitmix64's output function and
    γ = 0x9E3779B97F4A7C15, the learner is in half b when the top bit of ``f(h + (2b + 1) γ)`` is set, and
    its priority is the top 53 bits of ``f(h XOR 0x5851F42D4C957F2D)`` over 2⁵³.

    >>> a, pa = learner_split(["u1", "u2", "u3"], 4, random_state=0)
    >>> b, pb = learner_split(["u3", "u1"], 4, random_state=0)
    >>> bool(np.array_equal(a[:, [2, 0]], b)), bool(np.array_equal(pa[[2, 0]], pb))
    (True, True)
    """
    seed = int(np.random.default_rng(random_state).integers(0, 2 ** 63 - 1))
    key = seed.to_bytes(8, "little")
    keys = np.fromiter((int.from_bytes(hashlib.blake2b(str(x).encode("utf-8"), digest_size=8, key=key).digest(),
                                       "little") for x in learners), dtype=np.uint64, count=len(learners))
    with np.errstate(over="ignore"):
        halves = np.empty((int(n_resamples), len(keys)), dtype=bool)
        for b in range(int(n_resamples)):
            halves[b] = (_mix64(keys + np.uint64(2 * b + 1) * _GOLDEN) >> np.uint64(63)) == 1
        priority = (_mix64(keys ^ np.uint64(0x5851F42D4C957F2D)) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return halves, priority


def _state_events(state: ColonyState):
    """``(learner ids, learner codes, item, score, bounds, items)`` of a state's log, the learners sorted by
    id as a :class:`~poem.traces.Traces` holds them (so the per-item fits see their rows in the same order
    as from the traces, and give the same floats)."""
    learners = np.asarray(state.learners, dtype=object)
    b = np.asarray(state.log_bounds, dtype=np.int64)
    if len(b) != len(learners) + 1 or b[-1] != len(state.log_item):
        raise ParameterError(f"this colony state's log does not match its {len(learners)} learners; rebuild it "
                             "with ManHill.partial_state")
    order = np.argsort(learners.astype(str), kind="stable")
    counts = np.diff(b)[order]
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    learner = np.repeat(np.arange(len(learners), dtype=np.int64), counts)
    if np.array_equal(order, np.arange(len(order))):
        item, score = state.log_item, state.log_score
    else:
        idx = np.repeat(b[:-1][order] - bounds[:-1], counts) + np.arange(bounds[-1], dtype=np.int64)
        item, score = state.log_item[idx], state.log_score[idx]
    return learners[order], learner, item, score, bounds, state.items


class ContrastGraph:
    """The prerequisite graph by contrast; see the module docstring.

    Parameters
    ----------
    alpha : float, default 0.4
        Multiplier of the L1 penalty ``alpha * sqrt(2 log p / m) / 2`` (p candidate items, m attempts).
    n_resamples : int, default 50
        Refits on random halves of the learners behind ``confidence_`` (0: no stability selection, every
        confidence is 1 where the full-data coefficient is positive). With 20, which arcs a course got
        depended on the seed enough to move some courses of ``benchmarks/results/graph.md`` across their
        precision target from one seed to the next; with 50 the spread of each confidence shrinks by a
        third (steps of 0.02), for 2.5 times the refits.
    min_confidence : float, default 0.7
        Share of the refits on learner halves that must draw the arc too (coefficient above
        ``min_strength``) for it to enter ``graph_``.
    min_support : int, default 20
        Learners needed on each side of a contrast (attempts on j with i mastered, and without). With 10,
        every wrong arc the graph drew on the viewing simulator's courses rested on 10-17 learners (a
        half-sample then holds 5-8: too few for the stability to mean anything); 20 changes nothing on
        the scenario family of ``benchmarks/results/graph.md``.
    min_strength : float, default 0.5
        Log odds ratio an arc needs, on the full data and in a refit for that refit to count in
        ``confidence_`` (a tiny positive coefficient may be stable and still meaningless).
    mastery : float, default 0.5
        Score at or above which an attempt is a success.
    need : int, default 1
        Successes that make an item mastered (the first: a learner who passed an item rarely repeats it).
    level : bool, default False
        Hold the learner's level fixed (an unpenalised covariate). Off by default: the level is a mediator
        of the prerequisites (see the module docstring and ``benchmarks/results/graph.md``).
    acyclic : bool, default True
        Keep one direction per pair and break cycles (lowest confidence first).
    min_order : float, default 0.6
        Share of the learners who mastered both i and j that must have mastered i first for i to be a
        candidate prerequisite of j (0: no order filter). Chosen across the scenario family: it removes
        stand-ins (siblings sharing j's prerequisites, mastered first by about half) and colliders, which
        raised precision where it was below 0.9 (forgetting, Junyi, 70 % followers, 300 learners) and
        recall on course-b (``benchmarks/results/graph.md``).
    max_candidates : int, default 40
        Items entering each target's model: those with a positive marginal contrast (above one standard
        error), the strongest first. Bounds the cost per item whatever the size of the course. None: every
        item with support (no screening).
    max_learners : int or None, default 5000
        Learners whose attempts on an item enter its model, a seeded sample when more tried it: exactly
        that many, those of lowest priority in :func:`learner_split` (plenty for the contrast, and it
        bounds the cost on platform-sized logs; ``support_`` still counts everyone).
        None: all.
    random_state : int or Generator, optional
        Seed of the resamples: same seed, same graph, whatever the row order of the input.

    Attributes
    ----------
    items_ : ndarray of str
    strength_, confidence_ : (n, n) float
        Full-data coefficient of "i mastered before" in the model of success on j (log odds ratio, 0 when
        not selected) and the share of the refits on learner halves where it exceeds ``min_strength``;
        ``[i, j]`` is the arc i→j. (``to_graph(min_strength=...)`` changes the full-data threshold only.)
    support_ : (n, n) int
        Learners with an attempt on j after mastering i.
    graph_ : networkx.DiGraph
        Kept arcs with ``strength``, ``confidence``, ``support`` attributes (every item is a node).
    """

    def __init__(self, alpha: float = CONTRAST_DEFAULTS["alpha"],
                 n_resamples: int = CONTRAST_DEFAULTS["n_resamples"],
                 min_confidence: float = CONTRAST_DEFAULTS["min_confidence"],
                 min_support: int = CONTRAST_DEFAULTS["min_support"],
                 mastery: float = CONTRAST_DEFAULTS["mastery"], need: int = CONTRAST_DEFAULTS["need"],
                 min_strength: float = CONTRAST_DEFAULTS["min_strength"],
                 min_order: float = CONTRAST_DEFAULTS["min_order"],
                 level: bool = CONTRAST_DEFAULTS["level"], acyclic: bool = True, max_candidates: int = 40,
                 max_learners: int | None = 5000, random_state=0):
        self.alpha = alpha
        self.min_strength = min_strength
        self.min_order = min_order
        self.n_resamples = n_resamples
        self.min_confidence = min_confidence
        self.min_support = min_support
        self.mastery = mastery
        self.need = need
        self.level = level
        self.acyclic = acyclic
        self.max_candidates = max_candidates
        self.max_learners = max_learners
        self.random_state = random_state

    def _validate(self) -> None:
        checks = (("alpha", self.alpha, np.isfinite(self.alpha) and self.alpha >= 0, "a finite number >= 0"),
                  ("n_resamples", self.n_resamples, int(self.n_resamples) == self.n_resamples
                   and self.n_resamples >= 0, "an integer >= 0"),
                  ("min_confidence", self.min_confidence, 0 <= self.min_confidence <= 1, "in [0, 1]"),
                  ("min_support", self.min_support, int(self.min_support) == self.min_support
                   and self.min_support >= 1, "an integer >= 1"),
                  ("mastery", self.mastery, 0 <= self.mastery <= 1, "in [0, 1]"),
                  ("max_candidates", self.max_candidates, self.max_candidates is None
                   or (int(self.max_candidates) == self.max_candidates and self.max_candidates >= 1),
                   "an integer >= 1, or None for every item"),
                  ("max_learners", self.max_learners, self.max_learners is None
                   or (int(self.max_learners) == self.max_learners and self.max_learners >= 1),
                   "an integer >= 1, or None for every learner"),
                  ("min_strength", self.min_strength, np.isfinite(self.min_strength) and self.min_strength >= 0,
                   "a finite number >= 0 (log odds ratio)"),
                  ("min_order", self.min_order, 0 <= self.min_order <= 1,
                   "in [0, 1] (share of the learners who mastered both items)"),
                  ("need", self.need, int(self.need) == self.need and self.need >= 1, "an integer >= 1"))
        for name, value, ok, domain in checks:
            if not ok:
                raise ParameterError(f"ContrastGraph: {name}={value!r} is invalid; use {domain}")

    def fit(self, traces) -> "ContrastGraph":
        """Fit on canonical traces (:class:`poem.traces.Traces`) or on a colony's state
        (:class:`poem.colony.state.ColonyState`, e.g. ``ManHill().fit(traces).state_``); returns self.

        A state's log holds every scored event of every learner in trail order, which is all the contrast
        needs (unscored events count neither as attempt nor as mastery): the state of the colony fitted on
        ``traces``, or the sum of the states of any split of them into learner cohorts or partitions,
        gives the graph of ``fit(traces)``, same seed, same arcs and attributes. A colony fitted with a
        catalogue logs its viewing evidence (:func:`poem.colony.viewing.apply_viewing`) as scores, so its
        state gives the graph of the traces *with that evidence*, as the report draws it.
        """
        if isinstance(traces, ColonyState):
            source = _state_events(traces)
        elif isinstance(traces, Traces):
            source = (traces.learners, traces.learner, traces.item, traces.score, traces.trail_bounds(),
                      traces.items)
        else:
            raise ParameterError(f"ContrastGraph.fit needs a poem.traces.Traces or a colony's ColonyState, got "
                                 f"{type(traces).__name__}; read files with poem.io.read_traces")
        self._validate()
        learners, learner, item, score, bounds, items = source
        n, L = len(items), len(learners)
        design = _Design(learner, item, score, bounds, n, self.mastery, self.need)
        B = int(self.n_resamples)
        # halves and the learner sample come from a hash of each learner's id and the seed: neither the
        # row order, nor the order of cohorts or partitions in a summed state, nor the other learners change
        # a learner's draws
        halves, priority = learner_split(learners, B, self.random_state)
        strength = np.zeros((n, n))
        confidence = np.zeros((n, n))
        support = np.zeros((n, n), dtype=np.int64)
        for j in range(n):
            X, y, lrn, level = design.rows(j)
            if len(y) == 0:
                continue
            with_, without = _support(X, lrn, L)
            support[:, j] = with_
            if self.max_learners is not None:
                uniq = np.unique(lrn)
                if len(uniq) > self.max_learners:
                    cut = np.partition(priority[uniq], int(self.max_learners))[int(self.max_learners)]
                    keep = priority[lrn] < cut
                    X, y, lrn, level = X[keep], y[keep], lrn[keep], level[keep]
            cols = np.flatnonzero((with_ >= self.min_support) & (without >= self.min_support))
            cols = cols[cols != j]
            if self.min_order > 0 and len(cols):
                cols = cols[_order_share(design.first, j, cols, int(self.min_support)) >= self.min_order]
            if not len(cols) or y.min() == y.max():
                continue
            if self.max_candidates is not None:
                cols = _screen(X, y, cols, int(self.max_candidates))
                if not len(cols):
                    continue
            k = len(cols)
            feats = np.empty((k + (1 if self.level else 0), len(y)))
            feats[:k] = X[:, cols].T
            if self.level:
                feats[k] = level
            beta, b0 = _fit_item(feats, y, None, k, self.alpha)
            strength[cols, j] = beta[:k]
            if B == 0:
                confidence[cols, j] = (beta[:k] > 0).astype(float)
                continue
            hits = np.zeros(k)
            for b in range(B):
                bb, _ = _fit_item(feats, y, np.flatnonzero(halves[b, lrn]), k, self.alpha, warm=(beta, b0))
                # the claim is stable when the half would draw the arc too, not merely lean positive
                hits += bb[:k] > self.min_strength
            confidence[cols, j] = hits / B
        self.items_ = np.asarray(items).astype(str).astype(object)
        self.strength_ = strength
        self.confidence_ = confidence
        self.support_ = support
        self.n_learners_ = L
        self.graph_ = self.to_graph()
        return self

    def to_graph(self, min_confidence: float | None = None, min_strength: float | None = None) -> nx.DiGraph:
        """The kept arcs at ``min_confidence`` and ``min_strength`` (defaults: the estimator's), as a
        DiGraph over item ids."""
        if not hasattr(self, "strength_"):
            raise NotFittedError("ContrastGraph is not fitted; call fit(traces) first")
        threshold = self.min_confidence if min_confidence is None else float(min_confidence)
        if not 0 <= threshold <= 1:
            raise ParameterError(f"min_confidence must lie in [0, 1], got {min_confidence!r}")
        floor = self.min_strength if min_strength is None else float(min_strength)
        keep = (self.strength_ > max(floor, 0.0)) & (self.confidence_ >= threshold) & (self.confidence_ > 0)
        return _build_graph(self.items_, keep, self.strength_, self.confidence_, self.support_, self.acyclic)


def _build_graph(items, keep, strength, confidence, support, acyclic: bool) -> nx.DiGraph:
    keep = keep.copy()
    np.fill_diagonal(keep, False)
    if acyclic:
        # of two opposite arcs keep the more confident (then the stronger)
        both = keep & keep.T
        key = confidence + 1e-6 * np.tanh(strength)
        keep &= ~(both & (key < key.T))
        keep &= ~(both & (key == key.T) & (np.arange(len(keep))[:, None] > np.arange(len(keep))[None, :]))
    src, dst = np.nonzero(keep)
    names = [str(x) for x in items]
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    for u, v in zip(src.tolist(), dst.tolist()):
        # weight = confidence: what drawings and tables that rank arcs by weight should rank by
        graph.add_edge(names[u], names[v], strength=float(strength[u, v]), confidence=float(confidence[u, v]),
                       support=int(support[u, v]), weight=float(confidence[u, v]))
    if acyclic:
        while True:
            try:
                cycle = nx.find_cycle(graph)
            except nx.NetworkXNoCycle:
                break
            u, v = min(((a, b) for a, b in cycle),
                       key=lambda e: (graph.edges[e]["confidence"], graph.edges[e]["strength"], e))
            graph.remove_edge(u, v)
    return graph


def sparse_logistic_graph(traces: Traces, *, alpha: float = 1.0, min_coef: float = 0.0,
                          min_support: int = 10,
                          mastery: float = 0.5, need: int = 1) -> nx.DiGraph:
    """The floor: per item, one L1 logistic fit of success on "i mastered before" for every other i (no
    level covariate, no resampling, no order filter, no acyclicity); arcs where the coefficient exceeds
    ``min_coef`` (default 0). ``alpha`` (default 1.0) multiplies the penalty as in :class:`ContrastGraph`;
    ``min_support`` (default 10), ``mastery`` (0.5) and ``need`` (1) are its parameters too.

    Edges carry ``strength`` (the coefficient), ``confidence`` (1) and ``support``.
    """
    est = ContrastGraph(alpha=alpha, n_resamples=0, min_confidence=0.0, min_support=min_support, min_order=0.0,
                        mastery=mastery, need=need, level=False, acyclic=False, max_candidates=None).fit(traces)
    keep = est.strength_ > float(min_coef)
    return _build_graph(est.items_, keep, est.strength_, est.confidence_, est.support_, acyclic=False)


def arcs_above(graph: nx.DiGraph, min_strength: float) -> nx.DiGraph:
    """A copy of ``graph`` with only the arcs whose ``strength`` exceeds ``min_strength``, every item kept:
    ``arcs_above(sparse_logistic_graph(t), c)`` is ``sparse_logistic_graph(t, min_coef=c)`` (c >= 0), no refit.

    >>> cut = arcs_above(nx.DiGraph([("a", "b", {"strength": 1.5}), ("b", "c", {"strength": 0.3})]), 0.5)
    >>> sorted(cut.edges), sorted(cut.nodes)
    ([('a', 'b')], ['a', 'b', 'c'])
    """
    kept = graph.copy()
    kept.remove_edges_from([(u, v) for u, v, d in graph.edges(data=True) if not d["strength"] > min_strength])
    return kept


def arcs_table(graph: nx.DiGraph) -> pd.DataFrame:
    """The arcs of a prerequisite graph as a table with :data:`ARC_COLUMNS` (missing attributes: NaN),
    most confident first.

    >>> g = nx.DiGraph()
    >>> g.add_edge("a", "b", strength=1.5, confidence=0.95, support=40)
    >>> arcs_table(g).values.tolist()
    [['a', 'b', 1.5, 0.95, 40]]
    """
    rows = [(str(u), str(v), d.get("strength", np.nan), d.get("confidence", np.nan), d.get("support", np.nan))
            for u, v, d in graph.edges(data=True)]
    table = pd.DataFrame(rows, columns=ARC_COLUMNS)
    return table.sort_values(["confidence", "strength", "source", "target"],
                             ascending=[False, False, True, True], kind="stable").reset_index(drop=True)
