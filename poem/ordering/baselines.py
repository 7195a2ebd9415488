"""Baseline learning paths computed directly from traces, to compare with the man-hill's paths.

Each baseline takes a :class:`~poem.traces.Traces` and returns a :class:`~poem.paths.Path` over every item
of the vocabulary (items nobody reached go last, in vocabulary order), so all methods are scored on the
same items:

- ``catalogue``: the syllabus order (``item_info["week"]``, then ``position``), when the catalogue gives it;
- ``popularity``: most visited first;
- ``first_view_rank``: mean rank of the item among each learner's first views;
- ``first_success_rank``: mean rank among each learner's first successes;
- ``directly_follows``: greedy walk on the directly-follows graph (what a process-mining DFG, e.g. pm4py's
  ``discover_dfg``, gives): from the most frequent start, always to the most frequent unvisited successor;
- ``markov``: greedy walk on a success-filtered first-order Markov chain (only moves that end in a
  success count, normalised per origin);
- ``random``: a seeded random permutation (the floor).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({
...     "learner": ["a", "a", "a", "b", "b", "c"],
...     "item": ["x", "y", "z", "x", "y", "x"],
...     "timestamp": pd.to_datetime([1, 2, 3, 1, 2, 1], unit="D", utc=True),
...     "score": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})
>>> from poem.traces import Traces
>>> traces = Traces.from_frame(frame)
>>> popularity(traces).items
['x', 'y', 'z']
>>> directly_follows(traces).items
['x', 'y', 'z']
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.paths import Path, _greedy
from poem.traces import Traces

__all__ = ["BASELINES", "baseline_path", "catalogue", "popularity", "first_view_rank", "first_success_rank",
           "directly_follows", "markov", "random_order", "item_statistics", "transition_counts"]

#: score at or above which an event counts as a success
SUCCESS = 0.5


def _check(traces) -> Traces:
    if not isinstance(traces, Traces):
        raise ParameterError(f"baselines need a poem.traces.Traces, got {type(traces).__name__}")
    return traces


def item_statistics(traces: Traces) -> pd.DataFrame:
    """Per-item ``learners`` (distinct learners reaching it), ``attempts`` (events with a score) and
    ``success_rate`` (mean score of those events), indexed by item id.

    >>> int(item_statistics(_demo()).loc["x", "learners"])
    3
    """
    traces = _check(traces)
    n = traces.n_items
    pairs = np.unique(traces.learner.astype(np.int64) * n + traces.item)
    learners = np.bincount(pairs % n, minlength=n)
    scored = ~np.isnan(traces.score)
    attempts = np.bincount(traces.item[scored], minlength=n)
    successes = np.bincount(traces.item[scored], weights=traces.score[scored], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(attempts > 0, successes / np.maximum(attempts, 1), np.nan)
    return pd.DataFrame({"learners": learners, "attempts": attempts, "success_rate": rate},
                        index=pd.Index(traces.items.astype(str), name="item"))


def transition_counts(traces: Traces, *, success_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Directly-follows counts between consecutive events of the same learner.

    Returns ``(counts, starts)``: ``counts[i, j]`` = moves i→j (self-loops excluded, as a path never
    repeats an item), ``starts[j]`` = trails starting at *j*. With ``success_only`` a move counts only
    when the event it reaches is a success.
    """
    traces = _check(traces)
    n = traces.n_items
    same = traces.learner[1:] == traces.learner[:-1]
    src, dst = traces.item[:-1][same], traces.item[1:][same]
    keep = src != dst
    if success_only:
        keep &= traces.score[1:][same] >= SUCCESS
    counts = np.bincount(src[keep].astype(np.int64) * n + dst[keep], minlength=n * n).reshape(n, n)
    bounds = traces.trail_bounds()
    first = bounds[:-1][np.diff(bounds) > 0]
    start_items = traces.item[first]
    if success_only:
        start_items = start_items[traces.score[first] >= SUCCESS]
    starts = np.bincount(start_items, minlength=n)
    return counts.astype(np.float64), starts.astype(np.float64)


def _first_event_ranks(traces: Traces, *, success_only: bool) -> np.ndarray:
    """Mean rank (0 = first) of each item among learners' first views / first successes; NaN if never."""
    n = traces.n_items
    mask = traces.score >= SUCCESS if success_only else np.ones(traces.n_events, dtype=bool)
    idx = np.flatnonzero(mask)
    key = traces.learner[idx].astype(np.int64) * n + traces.item[idx]
    # events are sorted by learner then time, so the first index of each key is the first occurrence
    _, first = np.unique(key, return_index=True)
    first = np.sort(idx[first])
    learner = traces.learner[first]
    group_start = np.searchsorted(learner, learner, side="left")
    rank = np.arange(len(first)) - group_start
    items = traces.item[first]
    total = np.bincount(items, weights=rank, minlength=n)
    count = np.bincount(items, minlength=n)
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _order_by(traces: Traces, key: np.ndarray) -> np.ndarray:
    """Item indices sorted by ``key`` ascending, NaN last, ties in vocabulary order."""
    key = np.where(np.isnan(key), np.inf, key)
    return np.argsort(key, kind="stable")


def _greedy_walk(weights: np.ndarray, start_weights: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """From the heaviest start, repeatedly follow the heaviest arc to an unvisited item; when the current
    item has none, jump to the best unvisited item by ``fallback`` (descending). The walk of
    :func:`poem.paths._greedy`, with the start weights as the start node's row."""
    n = weights.shape[0]
    return _greedy(np.vstack([weights, np.reshape(start_weights, (1, n))]), np.arange(n), n, fallback)


def _make_path(traces: Traces, order: np.ndarray, method: str, objective: float = math.nan,
               arc_support: np.ndarray | None = None) -> Path:
    stats = item_statistics(traces)
    items = traces.items[order].astype(str)
    support = stats["learners"].to_numpy()[order].astype(float)
    steps = pd.DataFrame({
        "position": np.arange(len(order)),
        "item": pd.Series(items, dtype=object),
        "support": support,
        "success_rate": stats["success_rate"].to_numpy()[order],
        "predicted_success": np.full(len(order), np.nan),
    })
    if arc_support is not None:
        steps["arc_support"] = arc_support
    return Path(items.tolist(), method, objective, steps)


def _arc_support(counts: np.ndarray, starts: np.ndarray, order: np.ndarray) -> np.ndarray:
    if not len(order):
        return np.zeros(0)
    return np.concatenate([[starts[order[0]]], counts[order[:-1], order[1:]]])


def catalogue(traces: Traces) -> Path:
    """The syllabus order given by ``item_info`` (``week`` then ``position``); items without one go last.

    Raises :class:`ParameterError` when the traces carry no catalogue positions.
    """
    traces = _check(traces)
    info = traces.item_info
    columns = [c for c in ("week", "position") if info is not None and c in info.columns]
    if not columns:
        raise ParameterError("the catalogue order is unknown: item_info has no 'position' or 'week' column")
    table = info.reindex(pd.Index(traces.items.astype(str)))[columns].apply(pd.to_numeric, errors="coerce")
    table["code"] = np.arange(traces.n_items)
    table = table.sort_values(columns + ["code"], na_position="last", kind="stable")
    return _make_path(traces, table["code"].to_numpy(), "catalogue")


def popularity(traces: Traces) -> Path:
    """Items by number of events (visits), most first; ties by distinct learners, then vocabulary order."""
    traces = _check(traces)
    events = np.bincount(traces.item, minlength=traces.n_items)
    learners = item_statistics(traces)["learners"].to_numpy()
    return _make_path(traces, np.lexsort((-learners, -events)), "popularity")


def first_view_rank(traces: Traces) -> Path:
    """Items by their mean rank among each learner's first views (the order the crowd meets them)."""
    traces = _check(traces)
    return _make_path(traces, _order_by(traces, _first_event_ranks(traces, success_only=False)),
                      "first_view_rank")


def first_success_rank(traces: Traces) -> Path:
    """Items by their mean rank among each learner's first successes."""
    traces = _check(traces)
    return _make_path(traces, _order_by(traces, _first_event_ranks(traces, success_only=True)),
                      "first_success_rank")


def directly_follows(traces: Traces) -> Path:
    """Greedy walk on the directly-follows graph (the DFG of process mining); objective = arcs followed."""
    traces = _check(traces)
    counts, starts = transition_counts(traces)
    fallback = item_statistics(traces)["learners"].to_numpy().astype(float)
    order = _greedy_walk(counts, starts, fallback)
    support = _arc_support(counts, starts, order)
    return _make_path(traces, order, "directly_follows", float(support.sum()), support)


def markov(traces: Traces, *, smoothing: float = 0.0) -> Path:
    """Greedy walk on the success-filtered first-order Markov chain ``P(j | i)`` (moves that end in a
    success, normalised per origin, optional additive ``smoothing``); objective = sum of log-probabilities
    of the arcs followed (``-inf`` if the walk had to jump)."""
    traces = _check(traces)
    if smoothing < 0:
        raise ParameterError(f"smoothing must be >= 0, got {smoothing}")
    counts, starts = transition_counts(traces, success_only=True)
    n = traces.n_items
    counts = counts + smoothing * (1 - np.eye(n))
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(counts.sum(1, keepdims=True) > 0, counts / counts.sum(1, keepdims=True), 0.0)
        start_prob = starts / starts.sum() if starts.sum() > 0 else np.zeros(n)
    fallback = item_statistics(traces)["learners"].to_numpy().astype(float)
    order = _greedy_walk(prob, start_prob, fallback)
    steps_p = _arc_support(prob, start_prob, order)
    with np.errstate(divide="ignore"):
        objective = float(np.log(steps_p).sum()) if len(order) else 0.0
    return _make_path(traces, order, "markov", objective, _arc_support(counts, starts, order))


def random_order(traces: Traces, rng=None) -> Path:
    """A seeded random permutation of the items (the floor every method must beat)."""
    traces = _check(traces)
    order = np.random.default_rng(rng).permutation(traces.n_items)
    return _make_path(traces, order, "random")


#: baselines by name; each takes ``traces`` (``random`` also ``rng``)
BASELINES = {
    "catalogue": catalogue,
    "popularity": popularity,
    "first_view_rank": first_view_rank,
    "first_success_rank": first_success_rank,
    "directly_follows": directly_follows,
    "markov": markov,
    "random": random_order,
}


def baseline_path(traces: Traces, name: str, rng=None) -> Path:
    """The baseline ``name`` (a key of :data:`BASELINES`) computed on ``traces``.

    >>> baseline_path(_demo(), "first_view_rank").items
    ['x', 'y', 'z']
    """
    if name not in BASELINES:
        raise ParameterError(f"unknown baseline {name!r}; choose one of {sorted(BASELINES)}")
    if name == "random":
        return random_order(traces, rng)
    return BASELINES[name](traces)


def _demo() -> Traces:
    """The three-learner example of the module docstring (used by doctests)."""
    frame = pd.DataFrame({
        "learner": ["a", "a", "a", "b", "b", "c"],
        "item": ["x", "y", "z", "x", "y", "x"],
        "timestamp": pd.to_datetime([1, 2, 3, 1, 2, 1], unit="D", utc=True),
        "score": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})
    return Traces.from_frame(frame)
