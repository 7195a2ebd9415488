"""The linear ordering problem (LOP): order items so that the evidence for "i before j" is maximal.

Given a square matrix ``W`` (``W[i, j]`` = evidence that item *i* should come before item *j*), the
objective of an order ``o`` is ``sum(W[o[a], o[b]] for a < b)``: the mass of the upper triangle once the
matrix is permuted by ``o``. It is NP-hard in general, but insertion local search from a good start,
iterated with small random perturbations, is the standard and very effective heuristic (Laguna, Martí
& Campos 1999; Schiavinotto & Stützle 2004). Tiny instances are solved exactly by dynamic programming
over subsets, which the tests compare with brute force.

All functions take plain numpy arrays of item indices; :mod:`poem.paths` maps them to item ids.

Examples
--------
>>> import numpy as np
>>> W = np.array([[0, 3, 1], [0, 0, 2], [2, 0, 0]], dtype=float)
>>> lop_objective(W, [0, 1, 2])
6.0
>>> solve_lop(W, rng=0).order.tolist()
[0, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from poem.errors import ParameterError

__all__ = ["LOPResult", "lop_objective", "lop_exact", "local_search", "borda_order", "solve_lop",
           "check_matrix", "check_order"]

#: largest n solved by the exact subset dynamic programme (2**n states)
EXACT_MAX_N = 20


@dataclass(frozen=True)
class LOPResult:
    """An ordering of matrix indices with its objective and how it was found."""

    order: np.ndarray
    objective: float
    method: str


def check_matrix(W, name: str = "W") -> np.ndarray:
    """Return ``W`` as a float64 square matrix, or raise :class:`ParameterError` naming the problem."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ParameterError(f"{name} must be a square matrix, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        bad = np.argwhere(~np.isfinite(W))[0]
        raise ParameterError(f"{name} must be finite; {name}[{bad[0]}, {bad[1]}] = {W[tuple(bad)]}")
    return W


def check_order(order, n: int) -> np.ndarray:
    """Return ``order`` as an int64 array after checking it is a permutation of ``range(n)``."""
    order = np.asarray(order, dtype=np.int64)
    if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
        raise ParameterError(f"order must be a permutation of range({n}), got {order.tolist()[:10]}"
                             f"{'...' if order.size > 10 else ''}")
    return order


def lop_objective(W, order) -> float:
    """Sum of ``W[i, j]`` over all pairs with *i* placed before *j* in ``order``.

    ``order`` may be a permutation of a subset of the indices: only pairs within it count.

    >>> lop_objective([[0, 1], [5, 0]], [1, 0])
    5.0
    """
    W = np.asarray(W, dtype=np.float64)
    order = np.asarray(order, dtype=np.int64)
    return float(np.triu(W[np.ix_(order, order)], k=1).sum())


def borda_order(W) -> np.ndarray:
    """Order by net outgoing evidence ``sum_j W[i, j] - W[j, i]``, largest first (Becker-like start).

    Ties keep index order, so the result is deterministic.

    >>> borda_order(np.array([[0, 0], [1, 0.]])).tolist()
    [1, 0]
    """
    W = check_matrix(W)
    net = W.sum(axis=1) - W.sum(axis=0)
    return np.argsort(-net, kind="stable").astype(np.int64)


@numba.njit(cache=True)
def _exact_dp(W):  # pragma: no cover - compiled
    n = W.shape[0]
    size = 1 << n
    best = np.full(size, -np.inf)
    last = np.zeros(size, dtype=np.int64)
    best[0] = 0.0
    for S in range(1, size):
        for j in range(n):
            if S & (1 << j):
                prev = S ^ (1 << j)
                gain = 0.0
                # j is appended after every item of prev: it collects W[k, j] for k in prev
                for k in range(n):
                    if prev & (1 << k):
                        gain += W[k, j]
                value = best[prev] + gain
                if value > best[S]:
                    best[S] = value
                    last[S] = j
    order = np.empty(n, dtype=np.int64)
    S = size - 1
    for pos in range(n - 1, -1, -1):
        j = last[S]
        order[pos] = j
        S ^= 1 << j
    return order, best[size - 1]


def lop_exact(W) -> LOPResult:
    """Solve the LOP exactly by dynamic programming over subsets (``O(2**n n**2)``; n <= 20).

    >>> lop_exact([[0, 1, 0], [0, 0, 4], [2, 0, 0]]).order.tolist()  # 4 + 2 beats 1 + 4
    [1, 2, 0]
    """
    W = check_matrix(W)
    n = W.shape[0]
    if n > EXACT_MAX_N:
        raise ParameterError(f"lop_exact handles at most {EXACT_MAX_N} items, got n={n}")
    if n == 0:
        return LOPResult(np.zeros(0, dtype=np.int64), 0.0, "exact")
    order, _ = _exact_dp(W)
    return LOPResult(order, lop_objective(W, order), "exact")


@numba.njit(cache=True)
def _insertion_pass(W, order, tol):  # pragma: no cover - compiled
    """Move each item to its best position (first improvement over items); return the total gain."""
    n = order.shape[0]
    total = 0.0
    for p0 in range(n):
        # look the item up again: earlier moves in this pass shifted positions
        x = order[p0]
        p = p0
        best_gain = tol
        best_q = p
        gain = 0.0
        for q in range(p + 1, n):
            y = order[q]
            gain += W[y, x] - W[x, y]
            if gain > best_gain:
                best_gain = gain
                best_q = q
        gain = 0.0
        for q in range(p - 1, -1, -1):
            y = order[q]
            gain += W[x, y] - W[y, x]
            if gain > best_gain:
                best_gain = gain
                best_q = q
        if best_q > p:
            for r in range(p, best_q):
                order[r] = order[r + 1]
            order[best_q] = x
            total += best_gain
        elif best_q < p:
            for r in range(p, best_q, -1):
                order[r] = order[r - 1]
            order[best_q] = x
            total += best_gain
    return total


@numba.njit(cache=True)
def _swap_pass(W, order, tol):  # pragma: no cover - compiled
    """Exchange pairs of items whenever that gains (first improvement); return the total gain."""
    n = order.shape[0]
    total = 0.0
    for a in range(n - 1):
        for b in range(a + 1, n):
            x = order[a]
            y = order[b]
            # swapping x (at a) and y (at b) flips x-y and, for every z between them, both x-z and z-y
            gain = W[y, x] - W[x, y]
            for r in range(a + 1, b):
                z = order[r]
                gain += W[z, x] - W[x, z] + W[y, z] - W[z, y]
            if gain > tol:
                order[a] = y
                order[b] = x
                total += gain
    return total


def local_search(W, order, *, neighbourhood: str = "insertion", max_passes: int = 1000) -> np.ndarray:
    """Improve ``order`` until no single move of the neighbourhood gains (a local optimum).

    Parameters
    ----------
    W : (n, n) array
    order : permutation of ``range(n)``
        The start; not modified.
    neighbourhood : {"insertion", "swap", "both"}
        Insertion moves one item to another position; swap exchanges two items. ``"both"`` alternates
        until neither improves.
    max_passes : int
        Safety bound on full passes.

    Returns
    -------
    ndarray of int64
        A new order whose objective is at least that of ``order``.

    Examples
    --------
    >>> W = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0.]])
    >>> local_search(W, [0, 1, 2]).tolist()
    [2, 1, 0]
    """
    W = check_matrix(W)
    n = W.shape[0]
    work = check_order(order, n).copy()
    if neighbourhood not in ("insertion", "swap", "both"):
        raise ParameterError(f"neighbourhood must be 'insertion', 'swap' or 'both', got {neighbourhood!r}")
    if n < 2:
        return work
    # gains below this are float noise from summing many terms; accepting them could cycle forever
    tol = 1e-9 * max(1.0, float(np.abs(W).max()))
    passes = {"insertion": (_insertion_pass,), "swap": (_swap_pass,),
              "both": (_insertion_pass, _swap_pass)}[neighbourhood]
    for _ in range(max_passes):
        gained = 0.0
        for one_pass in passes:
            gained += one_pass(W, work, tol)
        if gained <= tol:
            break
    return work


def _perturb(order: np.ndarray, rng: np.random.Generator, strength: int) -> np.ndarray:
    """A few random insertions: enough to leave the basin, little enough to keep most of the order."""
    out = order.tolist()
    n = len(out)
    for _ in range(strength):
        i, j = rng.integers(0, n, size=2)
        out.insert(int(j), out.pop(int(i)))
    return np.asarray(out, dtype=np.int64)


def solve_lop(W, *, rng=None, start=None, n_iterations: int = 200, strength: int | None = None,
              neighbourhood: str = "insertion", exact_max_n: int = 8) -> LOPResult:
    """Maximise the LOP objective: exact below ``exact_max_n`` items, else iterated local search.

    Parameters
    ----------
    W : (n, n) array
        Evidence that row item precedes column item.
    rng : int or numpy.random.Generator, optional
        Seed of the perturbations (the result is reproducible for a given seed).
    start : permutation, optional
        Start order; defaults to :func:`borda_order`.
    n_iterations : int, default 200
        Perturbation + local search rounds (iterated local search, accept if not worse).
    strength : int, optional
        Random insertions per perturbation; default ``max(2, n // 20)``.
    neighbourhood : {"insertion", "swap", "both"}
    exact_max_n : int, default 8
        Instances with at most this many items are solved exactly (:func:`lop_exact`).

    Returns
    -------
    LOPResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> W = rng.random((6, 6))
    >>> abs(solve_lop(W, rng=0, exact_max_n=0).objective - lop_exact(W).objective) < 1e-9
    True
    """
    W = check_matrix(W)
    n = W.shape[0]
    if isinstance(n_iterations, bool) or not isinstance(n_iterations, (int, float, np.integer, np.floating)) \
            or not np.isfinite(n_iterations) or int(n_iterations) != n_iterations or n_iterations < 0:
        raise ParameterError(f"n_iterations must be an integer >= 0, got {n_iterations!r}")
    n_iterations = int(n_iterations)
    if n <= min(exact_max_n, EXACT_MAX_N):
        return lop_exact(W)
    rng = np.random.default_rng(rng)
    strength = max(2, n // 20) if strength is None else int(strength)
    if strength < 1:
        raise ParameterError(f"strength must be >= 1, got {strength}")
    order = borda_order(W) if start is None else check_order(start, n)
    best = local_search(W, order, neighbourhood=neighbourhood)
    best_value = lop_objective(W, best)
    current, current_value = best, best_value
    for _ in range(n_iterations):
        candidate = local_search(W, _perturb(current, rng, strength), neighbourhood=neighbourhood)
        value = lop_objective(W, candidate)
        if value >= current_value:
            current, current_value = candidate, value
            if value > best_value:
                best, best_value = candidate, value
    return LOPResult(best, best_value, "ils")
