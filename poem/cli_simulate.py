"""``poem simulate``: write a simulated course in the benchmark's format.

``poem simulate --items N --learners M [--seed S] [--graph edges.csv|junyi] --out DIR`` draws a course with
a hidden prerequisite DAG (random, or the given edge list; ``junyi`` is the bundled Junyi Academy graph),
lets the learners wander through it and writes ``traces.csv``, ``outcomes.csv``, ``truth.json`` (and
``catalog.csv`` with ``--catalog``) into ``DIR``.
"""

from __future__ import annotations

import argparse

from .errors import ParameterError

__all__ = ["register", "run_simulate"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def register(subparsers) -> None:
    """Add the ``simulate`` sub-command."""
    p = subparsers.add_parser(
        "simulate", help="simulate a course with hidden prerequisites and write benchmark-format files",
        description=__doc__.split("\n\n")[1].replace("``", ""))
    p.add_argument("--items", type=_positive_int, default=None,
                   help="number of items (default 120; with --graph: the whole graph)")
    p.add_argument("--learners", type=_positive_int, default=3000, help="number of learners (default 3000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--graph", default=None,
                   help="prerequisite edge list CSV (prerequisite,item), or 'junyi' for the bundled graph")
    p.add_argument("--max-steps", type=_positive_int, default=None,
                   help="attempts per learner at most (default 1.6 x items)")
    p.add_argument("--catalog", action="store_true", help="also write catalog.csv (partly wrong syllabus)")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=run_simulate)


def run_simulate(args) -> int:
    from .simulate import junyi_graph, simulate_course

    graph = args.graph
    if graph is not None and str(graph).lower() == "junyi":
        graph = junyi_graph()
    n_items = args.items if (args.items is not None or graph is not None) else 120
    if n_items is not None and n_items < 1:
        raise ParameterError(f"--items must be >= 1, got {n_items}")
    sim = simulate_course(n_items=n_items, n_learners=args.learners, seed=args.seed, graph=graph,
                          max_steps=args.max_steps)
    out = sim.write(args.out, catalog=args.catalog)
    print(f"simulated {sim.course.n_items} items, {len(sim.outcomes)} learners, {len(sim.traces)} events, "
          f"{len(sim.truth['prerequisites'])} prerequisite arcs -> {out}")
    return 0
