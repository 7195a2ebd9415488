"""The ``poem graph`` sub-command: the prerequisite graph, in a format other tools read.

``poem graph MODEL [--traces TRACES] [--method contrast|precedence] [--min-confidence X]
[--format json|csv|graphml|dot] [--out F] [--seed N]``

``MODEL`` is a colony saved by ``poem fit`` (``.npz``, also after ``--engine dask`` or ``partial_fit``)
or directly a traces source (file or benchmark folder). The default ``contrast`` graph
(:func:`poem.paths.prerequisite_graph`) is fitted on the scored events: a saved colony keeps every
learner's scored events in its state, so it needs no traces and gives the graph of the traces it was
fitted on (same ``--seed``, same graph); ``--traces`` fits it on the traces given instead (a colony
fitted with a catalogue logged its video views as evidence, the raw traces do not have it).

Formats: ``json`` ``{"items": [...], "arcs": [{"source", "target", "strength", "confidence",
"support"}]}`` (NaN written as null); ``csv`` one arc per row with those columns; ``graphml`` for Gephi
and yEd (written by networkx, every item a node, the arc attributes as edge data); ``dot`` for graphviz
(``label`` = confidence). Arcs are listed most confident first.
"""

from __future__ import annotations

import argparse
import io
import json
import math
from pathlib import Path as FilePath

import networkx as nx

from poem.errors import ParameterError

__all__ = ["register", "run_graph", "graph_to_json", "graph_to_dot", "graph_to_graphml", "FORMATS"]

FORMATS = ("json", "csv", "graphml", "dot")


def register(subparsers) -> None:
    g = subparsers.add_parser("graph", help="the prerequisite graph (json, csv, graphml, dot)",
                              description="Write the prerequisite graph the traces support.")
    g.add_argument("model", metavar="MODEL", help="colony file written by poem fit (.npz), or a traces source")
    g.add_argument("--traces", metavar="TRACES", help="fit the contrast graph on these traces rather than on "
                                                      "the scored events the colony file keeps (optional)")
    g.add_argument("--method", choices=["contrast", "precedence"], default="contrast",
                   help="contrast (default): success on B is higher when A was mastered before, the other "
                        "mastered items held fixed; precedence: who mastered A before B (evidence of order, not of need)")
    g.add_argument("--min-confidence", type=float, default=None, metavar="X",
                   help="keep arcs at least this confident (contrast; default 0.7)")
    g.add_argument("--format", choices=list(FORMATS), default="json",
                   help="json (default), csv, graphml (Gephi, yEd) or dot (graphviz)")
    g.add_argument("--out", metavar="F", help="file to write (default: standard output)")
    g.add_argument("--seed", type=int, default=0, help="seed of the resamples (default 0)")
    g.set_defaults(func=run_graph)


def _number(value):
    value = float(value)
    return None if not math.isfinite(value) else value


def graph_to_json(graph: nx.DiGraph) -> dict:
    """``{"items": [...], "arcs": [...]}`` of a prerequisite graph (see the module docstring).

    >>> g = nx.DiGraph(); g.add_node("c"); g.add_edge("a", "b", strength=1.0, confidence=0.9, support=12)
    >>> graph_to_json(g)["arcs"]
    [{'source': 'a', 'target': 'b', 'strength': 1.0, 'confidence': 0.9, 'support': 12}]
    """
    from poem.ordering.contrast import arcs_table

    arcs = [{"source": r.source, "target": r.target, "strength": _number(r.strength),
             "confidence": _number(r.confidence), "support": None if r.support != r.support else int(r.support)}
            for r in arcs_table(graph).itertuples(index=False)]
    return {"items": [str(x) for x in graph.nodes], "arcs": arcs}


def graph_to_graphml(graph: nx.DiGraph) -> str:
    """GraphML text (networkx writer): every item a node, ``strength``/``confidence``/``support`` on arcs."""
    clean = nx.DiGraph()
    clean.add_nodes_from(str(x) for x in graph.nodes)
    for arc in graph_to_json(graph)["arcs"]:
        data = {k: arc[k] for k in ("strength", "confidence", "support") if arc[k] is not None}
        clean.add_edge(arc["source"], arc["target"], **data)
    buffer = io.BytesIO()
    nx.write_graphml(clean, buffer)
    return buffer.getvalue().decode("utf-8")


def _dot_id(name: str) -> str:
    return '"' + str(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def graph_to_dot(graph: nx.DiGraph) -> str:
    """graphviz DOT text; each arc labelled with its confidence (or strength when it has none).

    >>> g = nx.DiGraph(); g.add_edge("a", "b", strength=1.0, confidence=0.9, support=12)
    >>> print(graph_to_dot(g).splitlines()[4])
      "a" -> "b" [label="0.90", strength=1.000, confidence=0.900, support=12];
    """
    lines = ["digraph prerequisites {", "  rankdir=LR;"]
    lines += [f"  {_dot_id(x)};" for x in graph.nodes]
    for arc in graph_to_json(graph)["arcs"]:
        attrs = []
        shown = arc["confidence"] if arc["confidence"] is not None else arc["strength"]
        if shown is not None:
            attrs.append(f'label="{shown:.2f}"')
        for key in ("strength", "confidence"):
            if arc[key] is not None:
                attrs.append(f"{key}={arc[key]:.3f}")
        if arc["support"] is not None:
            attrs.append(f"support={arc['support']}")
        lines.append(f"  {_dot_id(arc['source'])} -> {_dot_id(arc['target'])} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _load(args):
    """``(model, traces)`` from the arguments: a colony file with optional traces, or a traces source."""
    from poem.antcolony import ManHill
    from poem.io import read_traces

    source = FilePath(args.model)
    if source.suffix == ".npz":
        model = ManHill.load(source)
        traces = read_traces(args.traces) if args.traces else None
        return model, traces
    if args.traces:
        raise ParameterError("--traces is for a saved colony MODEL; MODEL is already a traces source")
    traces = read_traces(source)
    model = ManHill().fit(traces) if args.method == "precedence" else None
    return model, traces


def run_graph(args: argparse.Namespace) -> int:
    from poem.ordering.contrast import arcs_table
    from poem.paths import prerequisite_graph

    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        raise ParameterError(f"--min-confidence must lie in [0, 1], got {args.min_confidence!r}")
    model, traces = _load(args)
    if args.method == "contrast":
        graph = prerequisite_graph(model, traces=traces, min_confidence=args.min_confidence, rng=args.seed)
        if model is None:
            graph.add_nodes_from(str(x) for x in traces.items)
    else:
        if args.min_confidence is not None:
            raise ParameterError("--min-confidence applies to --method contrast (the precedence graph has no "
                                 "confidence)")
        graph = prerequisite_graph(model, method="precedence", rng=args.seed)
    if args.format == "json":
        body = json.dumps(graph_to_json(graph), indent=1) + "\n"
    elif args.format == "csv":
        body = arcs_table(graph).to_csv(index=False)
    elif args.format == "graphml":
        body = graph_to_graphml(graph)
    else:
        body = graph_to_dot(graph)
    if args.out:
        FilePath(args.out).write_text(body, encoding="utf-8")
    else:
        print(body, end="")
    return 0
