"""Honest metrics for learning paths and prerequisite graphs against a known truth.

A *truth* is the dictionary of a benchmark course's ``truth.json``: ``items`` (the catalogue),
``prerequisites`` (list of ``[a, b]``: *a* is a prerequisite of *b*) and ``true_order`` (one order that
respects every prerequisite). The path metrics are exactly those of the benchmark's ``score.py``:

- ``respect``: share of the true arcs a→b, both ends on the path, with *a* placed before *b*;
- ``tau``: Kendall tau between the path and ``true_order`` restricted to the common items;
- ``coverage``: share of the catalogue present on the path.

For an extracted prerequisite graph, :func:`graph_scores` gives precision, recall and F1 of its arcs
against the true arcs (optionally against their transitive closure, since an arc a→c learned from
a→b→c is not wrong about the order, only about directness).

Closed-loop runs of the simulator produce promotion metrics (AP, RP, NRP, ...); :func:`evaluate` passes
them through unchanged under the ``"promotion"`` key, so a single dictionary describes a run.

Examples
--------
>>> truth = {"items": ["a", "b", "c"], "prerequisites": [["a", "b"], ["b", "c"]],
...          "true_order": ["a", "b", "c"]}
>>> scores = evaluate(["a", "c", "b"], truth)
>>> scores["respect"], round(scores["tau"], 3), scores["coverage"]
(0.5, 0.333, 1.0)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from os import PathLike
from pathlib import Path as FilePath

import networkx as nx
import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from poem.errors import ParameterError, TraceFormatError

__all__ = ["evaluate", "graph_scores", "graph_table", "load_truth", "read_json", "path_items", "respect", "kendall_tau",
           "coverage"]


def load_truth(truth) -> dict:
    """Read and check a truth (a ``truth.json`` path or an already loaded mapping).

    Returns a dict with ``items`` (list of str), ``prerequisites`` (list of ``(a, b)`` tuples) and
    ``true_order`` (list of str, possibly empty when unknown).

    Examples
    --------
    >>> load_truth({"items": ["x", "y"], "prerequisites": [["x", "y"]]})["prerequisites"]
    [('x', 'y')]
    """
    if isinstance(truth, (str, PathLike)):
        truth = read_json(truth, "truth")
    if not isinstance(truth, Mapping):
        raise ParameterError(f"truth must be a mapping or a path to truth.json, got {type(truth).__name__}")
    prereqs = truth.get("prerequisites", [])
    arcs = []
    for arc in prereqs:
        if len(arc) != 2:
            raise ParameterError(f"truth prerequisite {arc!r} is not a pair [a, b]")
        arcs.append((str(arc[0]), str(arc[1])))
    order = [str(x) for x in truth.get("true_order", [])]
    items = truth.get("items")
    if items is None:
        items = sorted({x for arc in arcs for x in arc} | set(order))
    return {"items": [str(x) for x in items], "prerequisites": arcs, "true_order": order}


def read_json(file, what: str):
    """The JSON content of ``file`` (a truth, path or promotion file); a missing or malformed file is a
    TraceFormatError naming ``what`` and the file."""
    file = FilePath(file)
    if not file.is_file():
        raise TraceFormatError(f"{what} file {str(file)!r} does not exist")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TraceFormatError(f"{what} file {str(file)!r} is not valid JSON: {exc}") from None


def path_items(path_or_order) -> list[str]:
    """The ordered item ids of a :class:`poem.paths.Path`, a ``{"path": [...]}`` mapping, a JSON file
    holding either, or any sequence of ids.

    Examples
    --------
    >>> path_items({"path": ["b", "a"], "method": "lop"})
    ['b', 'a']
    """
    if isinstance(path_or_order, (str, PathLike)) and FilePath(path_or_order).suffix == ".json":
        path_or_order = read_json(path_or_order, "path")
    if hasattr(path_or_order, "items") and not isinstance(path_or_order, Mapping) \
            and not callable(path_or_order.items):
        path_or_order = path_or_order.items
    if isinstance(path_or_order, Mapping):
        if "path" not in path_or_order:
            raise ParameterError(f"a path mapping needs the key 'path'; found {sorted(path_or_order)}")
        path_or_order = path_or_order["path"]
    if isinstance(path_or_order, (str, bytes)):
        raise ParameterError(f"a path must be a sequence of item ids, not the string {path_or_order!r}")
    order = [str(x) for x in path_or_order]
    if len(set(order)) != len(order):
        dup = pd.Series(order)[pd.Series(order).duplicated()].iloc[0]
        raise ParameterError(f"a path may visit each item once; {dup!r} appears more than once")
    return order


def respect(order, arcs) -> float:
    """Share of arcs ``(a, b)`` with both ends in ``order`` where *a* comes before *b* (NaN if none).

    >>> respect(["a", "b", "c"], [("a", "c"), ("c", "b"), ("a", "z")])
    0.5
    """
    pos = {item: k for k, item in enumerate(order)}
    hits = [pos[a] < pos[b] for a, b in arcs if a in pos and b in pos]
    return float(np.mean(hits)) if hits else math.nan


def kendall_tau(order, reference) -> float:
    """Kendall tau between ``order`` and ``reference`` on their common items (NaN if fewer than two).

    >>> kendall_tau(["c", "b", "a"], ["a", "b", "c"])
    -1.0
    """
    pos = {item: k for k, item in enumerate(order)}
    common = [item for item in reference if item in pos]
    if len(common) < 2:
        return math.nan
    return float(kendalltau(np.arange(len(common)), [pos[item] for item in common]).statistic)


def coverage(order, items) -> float:
    """Share of ``items`` present in ``order``.

    >>> coverage(["a"], ["a", "b"])
    0.5
    """
    items = set(items)
    if not items:
        return math.nan
    return len(set(order) & items) / len(items)


def _arcs_of(graph) -> set[tuple[str, str]]:
    if isinstance(graph, nx.DiGraph):
        return {(str(a), str(b)) for a, b in graph.edges}
    if isinstance(graph, pd.DataFrame):
        missing = {"source", "target"} - set(graph.columns)
        if missing:
            raise ParameterError(f"an arc table needs columns source, target; missing {sorted(missing)}")
        return set(zip(graph["source"].astype(str), graph["target"].astype(str)))
    return {(str(a), str(b)) for a, b in graph}


def graph_scores(graph, truth, *, closure: bool = False) -> dict:
    """Precision, recall and F1 of a prerequisite graph's arcs against the true arcs.

    Parameters
    ----------
    graph : networkx.DiGraph, DataFrame with ``source, target`` columns, or iterable of pairs
        The extracted arcs (a→b: *a* is a prerequisite of *b*).
    truth : mapping or path
        As for :func:`load_truth`.
    closure : bool, default False
        Count a predicted arc as correct when it lies in the transitive closure of the truth (an indirect
        prerequisite), and measure recall against the transitive reduction of the truth.

    Examples
    --------
    >>> truth = {"prerequisites": [["a", "b"], ["b", "c"]]}
    >>> graph_scores([("a", "b"), ("a", "c")], truth)
    {'precision': 0.5, 'recall': 0.5, 'f1': 0.5, 'n_predicted': 2, 'n_true': 2}
    >>> graph_scores([("a", "b"), ("a", "c")], truth, closure=True)["precision"]
    1.0
    """
    truth = load_truth(truth)
    predicted = _arcs_of(graph)
    true = set(truth["prerequisites"])
    if closure and true:
        dag = nx.DiGraph(list(true))
        if nx.is_directed_acyclic_graph(dag):
            closed = set(nx.transitive_closure_dag(dag).edges)
            reduced = set(nx.transitive_reduction(dag).edges)
        else:
            closed, reduced = set(nx.transitive_closure(dag, reflexive=False).edges), true
        hits_p = len(predicted & closed)
        hits_r = len(predicted & reduced)
        n_true = len(reduced)
    else:
        hits_p = hits_r = len(predicted & true)
        n_true = len(true)
    precision = hits_p / len(predicted) if predicted else math.nan
    recall = hits_r / n_true if n_true else math.nan
    f1 = (2 * precision * recall / (precision + recall)
          if predicted and n_true and precision + recall > 0 else (0.0 if predicted and n_true else math.nan))
    return {"precision": precision, "recall": recall, "f1": f1, "n_predicted": len(predicted),
            "n_true": n_true}


def graph_table(graphs, truth) -> pd.DataFrame:
    """Precision, recall and F1 of several prerequisite graphs, against the direct arcs and against the
    transitive closure, one row per graph.

    Parameters
    ----------
    graphs : mapping name -> graph (anything :func:`graph_scores` accepts)
    truth : mapping or path, as for :func:`load_truth`

    Returns
    -------
    DataFrame with ``method, n_arcs, precision, recall, f1, closure_precision, closure_recall, closure_f1``.

    Examples
    --------
    >>> truth = {"prerequisites": [["a", "b"], ["b", "c"]]}
    >>> t = graph_table({"g": [("a", "b"), ("a", "c")]}, truth)
    >>> t[["precision", "closure_precision"]].values.tolist()
    [[0.5, 1.0]]
    """
    truth = load_truth(truth)
    rows = []
    for name, graph in graphs.items():
        direct = graph_scores(graph, truth)
        closed = graph_scores(graph, truth, closure=True)
        rows.append({"method": str(name), "n_arcs": direct["n_predicted"],
                     **{k: direct[k] for k in ("precision", "recall", "f1")},
                     **{f"closure_{k}": closed[k] for k in ("precision", "recall", "f1")}})
    return pd.DataFrame(rows, columns=["method", "n_arcs", "precision", "recall", "f1", "closure_precision",
                                       "closure_recall", "closure_f1"])


def _promotion_dict(promotion) -> dict:
    """Closed-loop promotion results as plain data, whatever the simulator handed back."""
    if isinstance(promotion, Mapping):
        return dict(promotion)
    if isinstance(promotion, pd.DataFrame):
        return {"records": promotion.to_dict(orient="records")}
    if isinstance(promotion, pd.Series):
        return promotion.to_dict()
    for name in ("to_dict", "_asdict"):
        if hasattr(promotion, name):
            return dict(getattr(promotion, name)())
    raise ParameterError(f"promotion results must be a mapping, a DataFrame or have to_dict(); got "
                         f"{type(promotion).__name__}")


def evaluate(path_or_order, truth, *, graph=None, promotion=None, closure: bool = False) -> dict:
    """Score a learning path (and optionally a prerequisite graph and closed-loop results) against truth.

    Parameters
    ----------
    path_or_order : Path, mapping with ``"path"``, JSON file, sequence of item ids, or networkx.DiGraph
        The ordering to score. A DiGraph is scored as a graph only (no ordering metrics).
    truth : mapping or path to ``truth.json``
        See :func:`load_truth`.
    graph : networkx.DiGraph or iterable of pairs, optional
        An extracted prerequisite graph; adds ``precision``, ``recall``, ``f1`` (see :func:`graph_scores`).
    promotion : mapping or DataFrame, optional
        Closed-loop promotion metrics computed by the simulator (``poem.simulation.promotion``); passed through
        unchanged under the ``"promotion"`` key.
    closure : bool, default False
        Passed to :func:`graph_scores` for ``precision``, ``recall``, ``f1``; the scores against the
        transitive closure are always added as ``closure_precision``, ``closure_recall``, ``closure_f1``.

    Returns
    -------
    dict
        ``respect``, ``tau``, ``coverage`` (same definitions as the benchmark's ``score.py``),
        ``n_items`` (length of the path), ``n_arcs`` (true arcs with both ends on the path), then the
        graph and promotion entries when requested.

    Examples
    --------
    >>> truth = {"items": ["a", "b"], "prerequisites": [["a", "b"]], "true_order": ["a", "b"]}
    >>> evaluate(["a", "b"], truth, graph=[("a", "b")])["f1"]
    1.0
    """
    truth = load_truth(truth)
    out: dict = {}
    if isinstance(path_or_order, nx.DiGraph):
        graph = path_or_order if graph is None else graph
    else:
        order = path_items(path_or_order)
        pos = set(order)
        out = {
            "respect": respect(order, truth["prerequisites"]),
            "tau": kendall_tau(order, truth["true_order"]),
            "coverage": coverage(order, truth["items"]),
            "n_items": len(order),
            "n_arcs": sum(1 for a, b in truth["prerequisites"] if a in pos and b in pos),
        }
    if graph is not None:
        scores = graph_scores(graph, truth, closure=closure)
        out.update({k: scores[k] for k in ("precision", "recall", "f1")})
        out["n_graph_arcs"] = scores["n_predicted"]
        closed = graph_scores(graph, truth, closure=True)
        out.update({f"closure_{k}": closed[k] for k in ("precision", "recall", "f1")})
    if promotion is not None:
        out["promotion"] = _promotion_dict(promotion)
    return out
