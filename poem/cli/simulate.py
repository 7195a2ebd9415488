"""``poem simulate``: write a simulated course in the benchmark's format.

``poem simulate --items N --learners M [--seed S] [--graph edges.csv|junyi] --out DIR`` draws a course with
a hidden prerequisite DAG (random, or the given edge list; ``junyi`` is the bundled Junyi Academy graph),
lets the learners wander through it and writes ``traces.csv``, ``outcomes.csv``, ``truth.json`` (and
``catalog.csv`` with ``--catalog``) into ``DIR``.

With ``--policy`` it also runs the closed-loop man-hill experiment on the same course (cohorts guided by
that policy) and writes ``closed_loop.csv`` (one row per cohort) and ``promotion.json`` (the last cohort's
promotion metrics, readable by ``poem evaluate --promotion``).
"""

from __future__ import annotations

import argparse
import json
import math

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
    loop = p.add_argument_group("closed loop (optional)")
    loop.add_argument("--policy", choices=["none", "random", "syllabus", "oracle", "graph", "colony", "path"],
                      default=None, help="also run guided cohorts with this policy (see poem.simulation.policies)")
    loop.add_argument("--cohorts", type=_positive_int, default=5, help="cohorts (default 5)")
    loop.add_argument("--cohort-size", type=_positive_int, default=100, help="learners per cohort (default 100)")
    loop.add_argument("--budget", type=_positive_int, default=None, help="steps per learner (default: items)")
    loop.add_argument("--follow", type=float, default=0.8, help="probability of following (default 0.8)")
    p.set_defaults(func=run_simulate)


def run_simulate(args) -> int:
    from poem.simulation import junyi_graph, simulate_course

    graph = args.graph
    if graph is not None and str(graph).lower() == "junyi":
        graph = junyi_graph()
    sim = simulate_course(n_items=args.items, n_learners=args.learners, seed=args.seed, graph=graph,
                          max_steps=args.max_steps)
    out = sim.write(args.out, catalog=args.catalog)
    print(f"simulated {sim.course.n_items} items, {len(sim.outcomes)} learners, {len(sim.traces)} events, "
          f"{len(sim.truth['prerequisites'])} prerequisite arcs -> {out}")
    if args.policy is not None:
        from poem.simulation import closed_loop

        table = closed_loop(sim, args.policy, n_cohorts=args.cohorts, cohort_size=args.cohort_size,
                            step_budget=args.budget, seed=args.seed, follow_prob=args.follow)
        table.to_csv(out / "closed_loop.csv", index=False)
        last = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in table.iloc[-1].to_dict().items()}
        last = {k: (v.item() if hasattr(v, "item") else v) for k, v in last.items()}
        (out / "promotion.json").write_text(json.dumps(last))
        print(f"closed loop ({args.policy}): NRP by cohort "
              + " ".join(f"{v:.3f}" for v in table["NRP"]) + f" -> {out / 'closed_loop.csv'}")
    return 0
