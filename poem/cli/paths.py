"""The ``poem path``, ``poem evaluate`` and ``poem compare`` sub-commands (the paths layer of the CLI).

``poem path MODEL [--method aco|lop|greedy|topological] [--seed N] [--items a,b,..] [--start a,b,..]
[--format json|csv|text]`` prints the learning path a saved colony supports (json:
``{"path": [...], "method": ..., "objective": ...}``; csv: the per-step evidence table).

``poem evaluate PATH.json --truth truth.json [--graph EDGES.csv] [--promotion RESULTS.json]`` prints the
metrics of :func:`poem.ordering.evaluation.evaluate` as JSON.

``poem compare TRACES --truth truth.json [--catalog CATALOG] [--seed N] [--set name=value ...]
[--format text|csv|json]`` fits
a colony on the traces and prints every path method and every baseline in one table (respect, Kendall
tau, coverage, and the LOP objective on the colony's path evidence, so all rows compare), plus every
prerequisite-graph method (contrast, precedence, and the sparse-logistic floor) with precision, recall
and F1 against the direct arcs and against the transitive closure.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path as FilePath

import pandas as pd

from poem.errors import ParameterError, TraceFormatError

__all__ = ["register", "run_path", "run_evaluate", "run_compare", "compare_table", "graph_methods"]


def register(subparsers) -> None:
    p = subparsers.add_parser("path", help="the learning path a saved colony supports",
                              description="Order the items of a saved colony into a learning path.")
    p.add_argument("model", metavar="MODEL", help="colony file written by poem fit")
    p.add_argument("--method", choices=["aco", "lop", "greedy", "topological"], default="lop",
                   help="lop: best linear order of the evidence (precedence; failures and difficulty where no "
                        "learner mastered both items) (default); aco: ant-colony search; "
                        "greedy: likeliest next item step by step; topological: order of the prerequisite graph")
    p.add_argument("--seed", type=int, default=0, help="seed of the stochastic searches (default 0)")
    p.add_argument("--items", help="restrict the path to these items (comma-separated)")
    p.add_argument("--start", help="a learner's mastered items, comma-separated: the remaining path")
    p.add_argument("--format", choices=["json", "csv", "text"], default="json",
                   help="json: the path with its per-step table (default); csv: the per-step table; text: a "
                        "numbered list with each step's support and success")
    p.set_defaults(func=run_path)

    e = subparsers.add_parser("evaluate", help="score a path (and a graph) against a known truth",
                              description="Print respect, Kendall tau, coverage (and graph scores) as JSON.")
    e.add_argument("path", metavar="PATH.json", help='a JSON list of items or {"path": [...]}')
    e.add_argument("--truth", required=True, metavar="TRUTH.json", help="benchmark truth.json")
    e.add_argument("--graph", metavar="EDGES.csv", help="extracted prerequisite arcs (source,target columns)")
    e.add_argument("--promotion", metavar="RESULTS.json", help="closed-loop promotion results to pass through")
    e.add_argument("--closure", action="store_true", help="graph precision against the transitive closure")
    e.set_defaults(func=run_evaluate)

    c = subparsers.add_parser("compare", help="every path method and baseline in one table",
                              description="Fit a colony on TRACES and compare every path method and "
                                          "baseline against the truth.")
    c.add_argument("traces", metavar="TRACES", help="traces file or benchmark course directory")
    c.add_argument("--truth", required=True, metavar="TRUTH.json", help="benchmark truth.json")
    c.add_argument("--seed", type=int, default=0, help="seed of the stochastic methods (default 0)")
    c.add_argument("--catalog", metavar="CATALOG",
                   help="item catalogue (item,title,kind,length): video visits become viewing evidence")
    c.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                   help="a ManHill parameter (repeatable), as for poem fit")
    c.add_argument("--graph-threshold", type=float, default=2.0,
                   help="z-score of an arc of the precedence graph (default 2)")
    c.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="text: aligned table for people (default); csv or json: for programs")
    c.set_defaults(func=run_compare)


def _split(text):
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def run_path(args: argparse.Namespace) -> int:
    from poem.antcolony import ManHill
    from poem.paths import learning_path

    model = ManHill.load(args.model)
    path = learning_path(model, method=args.method, rng=args.seed, items=_split(args.items),
                         start=_split(args.start))
    if args.format == "json":
        print(path.to_json())
    elif args.format == "csv":
        print(path.steps.to_csv(index=False), end="")
    else:
        objective = "n/a" if math.isnan(path.objective) else f"{path.objective:.3f}"
        print(f"{path.method} path over {len(path)} items (objective {objective})")
        for row in path.steps.itertuples(index=False):
            print(f"{row.position + 1:4d}. {row.item}  support={row.support:g}  success={row.success_rate:.2f}"
                  f"  predicted={row.predicted_success:.2f}")
    return 0


def _read_edges(path: str) -> pd.DataFrame:
    file = FilePath(path)
    if not file.is_file():
        raise TraceFormatError(f"graph file {path!r} does not exist")
    try:
        table = pd.read_csv(file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TraceFormatError(f"graph file {path!r} is not a readable CSV table: {exc}") from None
    if {"source", "target"} <= set(table.columns):
        return table
    if table.shape[1] < 2:
        raise TraceFormatError(f"graph file {path!r} needs two columns (source, target)")
    return table.set_axis(["source", "target", *table.columns[2:]], axis=1)


def _plain(value):
    """JSON-safe value: NaN/inf become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def run_evaluate(args: argparse.Namespace) -> int:
    from poem.ordering.evaluation import evaluate, read_json

    path = read_json(args.path, "path")
    truth = read_json(args.truth, "truth")
    graph = _read_edges(args.graph) if args.graph else None
    promotion = read_json(args.promotion, "promotion") if args.promotion else None
    if promotion is not None and not isinstance(promotion, dict):
        promotion = {"records": promotion}
    print(json.dumps(_plain(evaluate(path, truth, graph=graph, promotion=promotion, closure=args.closure))))
    return 0


def graph_methods(model, traces, *, graph_threshold: float = 2.0, seed: int = 0) -> dict:
    """Every prerequisite-graph method on the same data: ``contrast`` (the default of
    :func:`poem.paths.prerequisite_graph`), ``precedence`` (the order-only graph), ``sparse_logistic``
    (the plain per-item L1 logistic floor, :func:`poem.ordering.contrast.sparse_logistic_graph`: every
    positive coefficient) and ``sparse_logistic_strict`` (the same floor keeping only coefficients above
    the contrast graph's own ``min_strength``, 0.5: on most courses the stronger of the two floors)."""
    from poem.ordering.contrast import CONTRAST_DEFAULTS, arcs_above, sparse_logistic_graph
    from poem.paths import prerequisite_graph

    floor = sparse_logistic_graph(traces)   # fitted once, cut twice
    return {"contrast": prerequisite_graph(model, traces=traces, rng=seed),
            "precedence": prerequisite_graph(model, graph_threshold, method="precedence", rng=seed),
            "sparse_logistic": floor,
            "sparse_logistic_strict": arcs_above(floor, CONTRAST_DEFAULTS["min_strength"])}


def compare_table(traces, truth, *, seed: int = 0, model_params: dict | None = None,
                  graph_threshold: float = 2.0, catalog=None) -> pd.DataFrame:
    """Fit a colony on ``traces`` and score every path method and baseline against ``truth``.

    Returns one row per method (``kind`` = ``man-hill``, ``baseline``, ``graph`` or ``graph floor``) with
    ``respect``, ``tau``, ``coverage``, ``objective`` (LOP objective on the colony's path evidence)
    and, on the ``graph:<method>`` rows (every method of :func:`graph_methods`), ``precision``, ``recall``,
    ``f1`` against the direct arcs and ``closure_*`` against the transitive closure of the truth.
    ``catalog`` reads video visits as viewing evidence (:mod:`poem.colony.viewing`).
    """
    from poem.antcolony import ManHill
    from poem.ordering.baselines import BASELINES, baseline_path
    from poem.ordering.evaluation import evaluate, load_truth
    from poem.paths import METHODS, learning_path, path_objective

    truth = load_truth(truth)
    model = ManHill(**(model_params or {})).fit(traces, catalog=catalog)
    rows = []
    for method in METHODS:
        path = learning_path(model, method=method, rng=seed)
        rows.append({"method": method, "kind": "man-hill", **evaluate(path, truth),
                     "objective": path.objective})
    for name in BASELINES:
        try:
            path = baseline_path(traces, name, rng=seed)
        except ParameterError:  # the catalogue order is unknown for these traces
            continue
        rows.append({"method": name, "kind": "baseline", **evaluate(path, truth),
                     "objective": path_objective(model, path)})
    graphs = graph_methods(model, traces, graph_threshold=graph_threshold, seed=seed)
    for name, graph in graphs.items():
        scores = evaluate(graph, truth)
        rows.append({"method": f"graph:{name}", "kind": "graph floor" if name.startswith("sparse_logistic") else "graph",
                     **scores})
    columns = ["method", "kind", "respect", "tau", "coverage", "objective", "precision", "recall", "f1",
               "closure_precision", "closure_recall", "closure_f1", "n_items", "n_arcs", "n_graph_arcs"]
    return pd.DataFrame(rows).reindex(columns=columns)


def run_compare(args: argparse.Namespace) -> int:
    from poem.cli.model import parse_settings
    from poem.io import read_traces, require_events
    from poem.ordering.evaluation import read_json

    params = parse_settings(args.settings)
    traces = require_events(read_traces(args.traces), args.traces)
    table = compare_table(traces, read_json(args.truth, "truth"), seed=args.seed, model_params=params,
                          graph_threshold=args.graph_threshold, catalog=args.catalog)
    if args.format == "csv":
        print(table.to_csv(index=False), end="")
    elif args.format == "json":
        print(json.dumps(_plain(table.to_dict(orient="records"))))
    else:
        shown = table.drop(columns=["n_items", "n_arcs", "closure_recall", "closure_f1"])
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))
    return 0
