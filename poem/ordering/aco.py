"""Ant Colony System over a matrix: artificial ants build complete orderings of items.

This is the *extraction* colony (Dorigo & Gambardella 1997), distinct from the man-hill that learners
form: once the man-hill has learned which arcs and precedences succeed, artificial ants search the space
of whole orderings for the best one. Each ant starts at a virtual start node (row ``n`` of the pheromone
matrix) and repeatedly moves to an unvisited item *j* from its current node *i*:

- with probability ``q0`` it exploits: ``j = argmax tau[i, j]**alpha * eta[i, j]**beta``;
- otherwise it explores, drawing *j* with probability proportional to the same product
  (the *pseudo-random proportional rule*);
- after each move the arc is pulled back towards ``tau0`` (*local update*,
  ``tau <- (1 - xi) tau + xi tau0``), which makes later ants of the same iteration diversify;
- after each iteration only the arcs of the best ordering so far are reinforced (*global update*,
  ``tau <- (1 - rho) tau + rho * 1``), so with ``tau0 = 1/n`` the best arcs rise towards 1.

The heuristic ``eta`` is dynamic for the linear-ordering objective: for an ant whose unplaced items are
*R*, placing *j* now secures ``out_R(j) = sum_{k in R} W[j, k]`` and forfeits ``in_R(j)``, so
``eta_j = (out_R(j) + eps) / (in_R(j) + eps)`` (Becker's ratio restricted to *R*). For the path objective
(sum of consecutive arcs) ``eta`` is the arc weight itself. An optional static ``heuristic`` (e.g. from
item difficulty or a teacher prior) multiplies it.

Tour construction is inherently sequential in the steps, so it runs as one compiled numba kernel that
advances all ants in lock-step; random numbers are drawn up front from a numpy Generator so results
depend only on the seed.

Examples
--------
>>> import numpy as np
>>> W = np.triu(np.ones((5, 5)), k=1)   # the identity order is the unique optimum
>>> result = aco_order(W, n_ants=8, n_iterations=10, rng=0)
>>> result.order.tolist(), result.objective
([0, 1, 2, 3, 4], 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from poem.errors import ParameterError
from poem.ordering.lop import check_matrix, local_search, lop_objective

__all__ = ["ACOResult", "aco_order", "path_objective"]

OBJECTIVES = ("lop", "path")


@dataclass(frozen=True)
class ACOResult:
    """Best ordering found, its objective (on the caller's matrix), and the best value per iteration."""

    order: np.ndarray
    objective: float
    history: np.ndarray = field(repr=False)
    method: str = "aco"


def path_objective(W, order, start=None) -> float:
    """Sum of the consecutive arcs ``W[o[k], o[k+1]]`` (plus ``start[o[0]]`` when given).

    >>> path_objective([[0, 2], [5, 0]], [1, 0])
    5.0
    """
    W = np.asarray(W, dtype=np.float64)
    order = np.asarray(order, dtype=np.int64)
    value = float(W[order[:-1], order[1:]].sum()) if order.size > 1 else 0.0
    if start is not None and order.size:
        value += float(np.asarray(start, dtype=np.float64)[order[0]])
    return value


@numba.njit(cache=True)
def _construct(W, tau, heur, alpha, beta, q0, xi, tau0, eps, u_exploit, u_draw, lop):  # pragma: no cover
    """Build one ordering per ant (rows of the result); update ``tau`` locally in place.

    ``W`` is non-negative (n, n); ``tau`` and ``heur`` are (n + 1, n) with row n the start node.
    Returns the orders and, for the LOP objective, each ant's objective on ``W``.
    """
    n = W.shape[0]
    n_ants = u_exploit.shape[1]
    orders = np.empty((n_ants, n), dtype=np.int64)
    values = np.zeros(n_ants)
    visited = np.zeros((n_ants, n), dtype=np.bool_)
    out_r = np.empty((n_ants, n))
    in_r = np.empty((n_ants, n))
    row_sum = W.sum(axis=1)
    col_sum = W.sum(axis=0)
    for a in range(n_ants):
        for j in range(n):
            out_r[a, j] = row_sum[j] - W[j, j]
            in_r[a, j] = col_sum[j] - W[j, j]
    current = np.full(n_ants, n, dtype=np.int64)
    weights = np.empty(n)
    for step in range(n):
        for a in range(n_ants):
            i = current[a]
            total = 0.0
            best = -1.0
            best_j = -1
            for j in range(n):
                if visited[a, j]:
                    weights[j] = 0.0
                    continue
                if lop:
                    eta = (out_r[a, j] + eps) / (in_r[a, j] + eps)
                elif i < n:
                    eta = W[i, j] + eps
                else:
                    eta = 1.0
                t = tau[i, j]
                # pow() dominates the kernel; the common exponents 1 and 2 avoid it
                if beta == 2.0:
                    he = eta * eta
                elif beta == 1.0:
                    he = eta
                else:
                    he = eta ** beta
                w = (t if alpha == 1.0 else t ** alpha) * he * heur[i, j]
                weights[j] = w
                total += w
                if w > best:
                    best = w
                    best_j = j
            if u_exploit[step, a] < q0 or total <= 0.0:
                choice = best_j
            else:
                threshold = u_draw[step, a] * total
                acc = 0.0
                choice = best_j
                for j in range(n):
                    if weights[j] > 0.0:
                        acc += weights[j]
                        choice = j
                        if acc >= threshold:
                            break
            orders[a, step] = choice
            visited[a, choice] = True
            if lop:
                values[a] += out_r[a, choice]
                # choice leaves R: no other item can still gain or forfeit against it
                for j in range(n):
                    out_r[a, j] -= W[j, choice]
                    in_r[a, j] -= W[choice, j]
            tau[i, choice] = (1.0 - xi) * tau[i, choice] + xi * tau0
            current[a] = choice
    return orders, values


def _as_arc_matrix(values, n: int, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.shape not in ((n,), (n, n), (n + 1, n)):
        raise ParameterError(f"{name} must have shape ({n},), ({n}, {n}) or ({n + 1}, {n}); got {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ParameterError(f"{name} must be finite and non-negative")
    if values.shape == (n,):
        return np.tile(values, (n + 1, 1))
    if values.shape == (n, n):
        return np.vstack([values, np.ones((1, n))])
    return values.copy()


def aco_order(W, *, n_ants: int = 20, n_iterations: int = 50, alpha: float = 1.0, beta: float = 2.0,
              q0: float = 0.9, rho: float = 0.1, xi: float = 0.1, tau=None, heuristic=None,
              objective: str = "lop", improve: bool = False, rng=None) -> ACOResult:
    """Order the rows of ``W`` with an Ant Colony System.

    Parameters
    ----------
    W : (n, n) array
        ``W[i, j]``: evidence for *i* before *j* (``objective="lop"``) or value of the arc i→j
        (``objective="path"``). Maximised. A constant shift of ``W`` does not change the result.
    n_ants, n_iterations : int
        Colony size and number of iterations (equal ``n_ants * n_iterations`` = equal work).
    alpha, beta : float
        Exponents of pheromone and heuristic in the transition rule.
    q0 : float in [0, 1]
        Probability of the greedy (exploiting) choice.
    rho, xi : float in (0, 1]
        Global and local pheromone update rates.
    tau : array of shape (n,), (n, n) or (n + 1, n), optional
        Initial pheromone (for instance the man-hill's success pheromone); row ``n`` is the start node.
        Rescaled to ``[tau0, 1]``. Defaults to uniform ``tau0 = 1/n``.
    heuristic : array of shape (n,), (n, n) or (n + 1, n), optional
        Static non-negative desirability multiplied into the transition weight.
    objective : {"lop", "path"}
        Linear-ordering objective (all pairs) or path objective (consecutive arcs).
    improve : bool, default False
        Polish each iteration's best ordering with insertion local search (LOP only).
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    ACOResult
        ``objective`` is recomputed on the caller's ``W`` for the returned ``order``.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> W = rng.random((12, 12))
    >>> a = aco_order(W, n_ants=10, n_iterations=5, rng=7)
    >>> b = aco_order(W, n_ants=10, n_iterations=5, rng=7)
    >>> a.order.tolist() == b.order.tolist(), sorted(a.order.tolist()) == list(range(12))
    (True, True)
    """
    W = check_matrix(W)
    n = W.shape[0]
    if objective not in OBJECTIVES:
        raise ParameterError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    for name, value in (("n_ants", n_ants), ("n_iterations", n_iterations)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or int(value) != value or value < 1:
            raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    n_ants, n_iterations = int(n_ants), int(n_iterations)
    for name, value in (("q0", q0), ("rho", rho), ("xi", xi)):
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"{name} must lie in [0, 1], got {value!r}")
    if alpha < 0 or beta < 0:
        raise ParameterError(f"alpha and beta must be >= 0, got alpha={alpha!r}, beta={beta!r}")
    rng = np.random.default_rng(rng)
    if n == 0:
        return ACOResult(np.zeros(0, dtype=np.int64), 0.0, np.zeros(0))
    score = lop_objective if objective == "lop" else path_objective
    off = ~np.eye(n, dtype=bool)
    # the ratio heuristic needs W >= 0; a constant shift changes every ordering's objective equally,
    # so working on W - min(W) makes the colony blind to the shift
    shift = float(W[off].min()) if n > 1 else 0.0
    shifted = W - shift
    np.fill_diagonal(shifted, 0.0)
    eps = max(float(shifted[off].mean()) if n > 1 else 1.0, 1e-12)
    tau0 = 1.0 / n
    if tau is None:
        pher = np.full((n + 1, n), tau0)
    else:
        pher = _as_arc_matrix(tau, n, "tau")
        top = pher.max()
        pher = tau0 + (1.0 - tau0) * (pher / top if top > 0 else pher)
    heur = np.ones((n + 1, n)) if heuristic is None else _as_arc_matrix(heuristic, n, "heuristic")
    best_order, best_value = None, -np.inf
    history = np.empty(n_iterations)
    for it in range(n_iterations):
        u_exploit = rng.random((n, n_ants))
        u_draw = rng.random((n, n_ants))
        orders, kernel_values = _construct(shifted, pher, heur, float(alpha), float(beta), float(q0), float(xi),
                               tau0, eps, u_exploit, u_draw, objective == "lop")
        if objective == "lop":
            # the kernel scored the shifted matrix; every ordering holds n(n-1)/2 pairs, hence the constant
            values = kernel_values + shift * n * (n - 1) / 2
        else:
            values = np.array([score(W, o) for o in orders])
        k = int(np.argmax(values))
        candidate, value = orders[k], float(values[k])
        if improve and objective == "lop":
            candidate = local_search(W, candidate)
            value = score(W, candidate)
        if value > best_value:
            best_order, best_value = candidate.copy(), value
        history[it] = best_value
        rows = np.concatenate([[n], best_order[:-1]])
        pher[rows, best_order] = (1.0 - rho) * pher[rows, best_order] + rho
    return ACOResult(best_order, score(W, best_order), history)
