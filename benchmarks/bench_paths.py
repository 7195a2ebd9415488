"""Benchmark of the paths layer: ACO speed and objective against scikit-opt, and path quality targets.

Run from the repository root::

    .venv/bin/python benchmarks/bench_paths.py [--quick] [--write]

Tables printed (ratios against a peer measured in the same run, never absolute targets in tests):

1. **ACO vs scikit-opt ``ACA_TSP``** on the same 180-item precedence-evidence matrix (a man-hill fitted on
   a simulated 180-item course), equal ants x iterations, same objective (the LOP objective, handed to
   ACA_TSP as its cost function, negated). Target: >= 20x faster, equal or better objective.
2. **Prerequisite respect** of the man-hill paths against the best baseline on the public benchmark
   courses (``../shared/benchmark``, when present) and on simulated courses of the same kind. Targets:
   course-a >= 0.95, course-b >= best baseline + 0.10.
3. **Sensitivity** of the respect to the evidence parameters (``threshold``, ``tie_break`` of
   :func:`poem.paths.precedence_evidence`), to show the defaults are not tuned to the two public courses.

``--write`` also writes the tables to ``benchmarks/results/paths.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from poem.ordering.aco import aco_order  # noqa: E402
from poem.antcolony import ManHill  # noqa: E402
from poem.ordering.baselines import BASELINES, baseline_path  # noqa: E402
from poem.ordering.evaluation import evaluate  # noqa: E402
from poem.ordering.lop import lop_objective, solve_lop  # noqa: E402
from poem.paths import learning_path, precedence_evidence, prerequisite_graph  # noqa: E402
from poem.simulation import simulate_course  # noqa: E402
from poem.traces import Traces  # noqa: E402


NOTES = """## Notes

- Objective everywhere: the linear-ordering objective on the colony's precedence evidence
  (`poem.paths.precedence_evidence`: sign-test z-score of "first mastered i before j", its part above 0.5
  in full plus 1% of the rest as a tie-break). scikit-opt's `ACA_TSP` receives it as its cost function
  (negated) and, as its heuristic `1/distance`, the evidence of the arc itself; it always starts at item 0
  and samples each step with `np.random.choice` in Python, hence the gap in speed; its tours are built
  for a TSP heuristic, hence the gap in objective. Equal work: same ants x iterations.
- "poem aco" is the plain Ant Colony System (no local search); `learning_path(method="aco")` polishes each
  iteration's best ordering with insertion local search (row "+ local search"), which reaches the
  iterated-insertion LOP optimum.
- Respect = share of true prerequisite arcs a->b with a placed before b (the benchmark's `score.py`).
  Baselines are computed on the same traces in the same run; "best baseline" is the best of popularity,
  mean first-view rank, mean first-success rank, directly-follows greedy and success-filtered Markov.
- The paths (respect tables) are ordered on `poem.paths.path_evidence`: the precedence evidence above
  wherever a pair has a learner who mastered both items, the failure evidence and an ELO depth prior on
  the pairs with none (issue 16; `benchmarks/results/viewing.md`). The two public courses keep the
  respect precedence alone gave them (0.960, 0.881); simulated 120/3000 seeds 1001 and 2000 gain.
- Simulated courses come from `poem.simulation.simulate_course` (another area's simulator: learners browse
  near a partly wrong syllabus, which makes ordering harder than on the public courses).
"""


def evidence_matrix(n_items: int, n_learners: int, seed: int) -> np.ndarray:
    sim = simulate_course(n_items=n_items, n_learners=n_learners, seed=seed)
    return precedence_evidence(ManHill().fit(sim.to_traces()))


def aco_vs_sko(W: np.ndarray, n_ants: int, n_iterations: int, seed: int) -> list[dict]:
    np.int = int  # scikit-opt still uses np.int, removed in numpy 2; shim for the benchmark only
    from sko.ACA import ACA_TSP

    rows = []
    aco_order(W[:5, :5], n_ants=2, n_iterations=1)  # compile (cached on disk) before timing
    for improve in (False, True):
        t0 = time.perf_counter()
        ours = aco_order(W, n_ants=n_ants, n_iterations=n_iterations, rng=seed, improve=improve)
        rows.append({"solver": f"poem aco{' + local search' if improve else ''}",
                     "seconds": time.perf_counter() - t0, "objective": ours.objective})
    np.random.seed(seed)  # ACA_TSP draws from the global numpy state
    # ACA_TSP's heuristic is 1/distance on the arc i->j: make it the evidence for i before j
    distance = 1.0 / (W + 1e-3)
    t0 = time.perf_counter()
    solver = ACA_TSP(func=lambda route: -lop_objective(W, route), n_dim=W.shape[0], size_pop=n_ants,
                     max_iter=n_iterations, distance_matrix=distance)
    best_x, best_y = solver.run()
    sko = {"solver": "scikit-opt ACA_TSP", "seconds": time.perf_counter() - t0, "objective": -float(best_y)}
    t0 = time.perf_counter()
    lop = solve_lop(W, rng=seed)
    rows.append({"solver": "poem lop (iterated insertion)", "seconds": time.perf_counter() - t0,
                 "objective": lop.objective})
    rows.append(sko)
    for row in rows:
        row["speed-up vs sko"] = sko["seconds"] / row["seconds"]
        row["objective / sko"] = row["objective"] / sko["objective"]
    return rows


def respect_rows(name: str, traces: Traces, truth: dict, seed: int = 0) -> dict:
    model = ManHill().fit(traces)
    row = {"course": name}
    for method in ("lop", "aco", "topological", "greedy"):
        row[method] = evaluate(learning_path(model, method=method, rng=seed), truth)["respect"]
    baselines = {b: evaluate(baseline_path(traces, b, rng=seed), truth)["respect"]
                 for b in BASELINES if b not in ("catalogue", "random")}
    best = max(baselines, key=baselines.get)
    row["best baseline"] = f"{baselines[best]:.3f} ({best})"
    row["lop - best"] = row["lop"] - baselines[best]
    graph = evaluate(prerequisite_graph(model, traces=traces), truth)
    row["graph F1"] = graph["f1"]
    return row


def load_benchmark(folder: Path) -> tuple[Traces, dict]:
    import json

    frame = pd.read_csv(folder / "traces.csv")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return Traces.from_frame(frame), json.loads((folder / "truth.json").read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes while iterating")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/paths.md")
    args = parser.parse_args(argv)
    n_items, n_ants, n_iter = (60, 10, 5) if args.quick else (180, 20, 30)
    sim_sizes = [(60, 800), (120, 3000)] if not args.quick else [(30, 300)]
    n_seeds = 1 if args.quick else 3

    W = evidence_matrix(n_items, 3000 if not args.quick else 500, seed=0)
    speed = pd.DataFrame(aco_vs_sko(W, n_ants, n_iter, seed=0))
    title1 = f"ACO vs scikit-opt ACA_TSP: {n_items} items, {n_ants} ants x {n_iter} iterations, LOP objective"

    rows = []
    shared = REPO.parent / "shared" / "benchmark"
    for course in ("course-a", "course-b"):
        if (shared / course).is_dir():
            rows.append(respect_rows(course, *load_benchmark(shared / course)))
    for (ni, nl) in sim_sizes:
        for s in range(n_seeds):
            sim = simulate_course(n_items=ni, n_learners=nl, seed=1000 + s)
            rows.append(respect_rows(f"simulated {ni} items / {nl} learners, seed {1000 + s}",
                                     sim.to_traces(), sim.truth))
    quality = pd.DataFrame(rows)
    title2 = "Prerequisite respect of man-hill paths vs the best baseline (same course, same run)"

    courses = []
    for course in ("course-a", "course-b"):
        if (shared / course).is_dir():
            courses.append((course, *load_benchmark(shared / course)))
    for (ni, nl) in sim_sizes:
        for s in range(n_seeds):
            sim = simulate_course(n_items=ni, n_learners=nl, seed=2000 + s)
            courses.append((f"sim {ni}/{nl} s{2000 + s}", sim.to_traces(), sim.truth))
    grid = [(0.0, 0.0), (0.0, 0.01), (0.5, 0.0), (0.5, 0.01), (1.0, 0.01), (1.5, 0.01), (2.0, 0.01),
            (3.0, 0.01)]
    sens = {}
    for name, traces, truth in courses:
        model = ManHill().fit(traces)
        sens[name] = {f"threshold={th:g} tie={tie:g}": evaluate(
            learning_path(model, method="lop", rng=0, threshold=th, tie_break=tie), truth)["respect"]
            for th, tie in grid}
    sensitivity = pd.DataFrame(sens)
    sensitivity["mean"] = sensitivity.mean(axis=1)
    title3 = "Sensitivity: LOP path respect by evidence parameters (default threshold=0.5 tie=0.01)"

    fmt = {"float_format": lambda v: f"{v:.3f}"}
    text1 = speed.to_string(index=False, **fmt)
    text2 = quality.to_string(index=False, **fmt)
    text3 = sensitivity.to_string(**fmt)
    print(title1, text1, "", title2, text2, "", title3, text3, sep="\n")
    if args.write:
        out = REPO / "benchmarks" / "results" / "paths.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        command = "`.venv/bin/python benchmarks/bench_paths.py --write`" + (" (--quick)" if args.quick else "")
        out.write_text(
            f"# Paths layer benchmark\n\nProduced by {command} on a 2-core machine.\n\n"
            f"## {title1}\n\n```\n{text1}\n```\n\n## {title2}\n\n```\n{text2}\n```\n\n"
            f"## {title3}\n\n```\n{text3}\n```\n\n{NOTES}", encoding="utf-8")
        print(f"\nwritten {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
