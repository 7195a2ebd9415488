"""Benchmark of the prerequisite graph: contrast against precedence and the sparse-logistic floor.

Run from the repository root::

    .venv/bin/python benchmarks/bench_graph.py [--quick] [--write] [--cost-events N]

1. **Quality** on both public courses (``../shared/benchmark``, when present), the demo course, and the
   scenario family of :mod:`poem.simulation.scenarios` (every learner model, every graph kind, 300 / 1 000
   / 5 000 learners, two shares of learners following a sensible order). For each: precision, recall
   and F1 against the direct arcs, precision against the transitive closure, for the contrast graph at
   its defaults (``prerequisite_graph``), the precedence graph (``method="precedence"``) and the plain
   per-item sparse (L1) logistic floor (``sparse_logistic_graph``), all in the same run. Targets of
   issue 10: precision >= 0.90 and recall >= 0.75 with >= 1 000 learners and on both public courses,
   precision >= 0.80 with 300 learners, F1 above the floor everywhere.
2. **Precision-recall** of the contrast graph as ``min_confidence`` varies (one fit per scenario).
3. **Cost** of the contrast graph on a synthetic log of ``--cost-events`` events and 180 items
   (:mod:`poem.simulation.synth`), against the colony fit on the same traces (the peer, same run).

``--write`` writes the tables to ``benchmarks/results/graph.md``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from poem.antcolony import ManHill  # noqa: E402
from poem.io import read_traces  # noqa: E402
from poem.ordering.contrast import ContrastGraph, sparse_logistic_graph  # noqa: E402
from poem.ordering.evaluation import graph_scores  # noqa: E402
from poem.paths import prerequisite_graph  # noqa: E402
from poem.simulation.scenarios import SCENARIOS  # noqa: E402
from poem.traces import Traces  # noqa: E402

SHARED = REPO.parent / "shared" / "benchmark"

NOTES = """## Reading the tables

- **contrast** is `prerequisite_graph(model, traces=traces)` at its defaults (`alpha` 0.4, 20 refits on
  learner halves, `min_strength` 0.5, `min_confidence` 0.7: the arc must also be drawn by 70 % of the
  halves); **precedence** is the earlier graph (`method="precedence"`); **sparse_logistic** is the floor
  the issue names (one L1 logistic model per item on "i mastered before" for every other item, no level
  covariate, no resampling, no acyclicity). All three are fitted on the same traces in the same run.
- The defaults were chosen across the public courses, the demo and this scenario family (grids over
  `alpha` 0.25-1, `min_confidence` 0.5-1, `min_strength` 0-1, and two definitions of confidence), putting
  the precision of what is shown first. An earlier definition of confidence (share of halves with a merely
  *positive* coefficient, `min_confidence` 0.8) had more recall (course-a 0.72, course-b 0.60, Junyi 0.58)
  but precision 0.34-0.88 on the hidden-mastery scenarios and 0.74 on the demo; it was dropped for that.
- Scenario names: graph (`local` random DAG, `wide` shallow, `chain`, `junyi` geometry), learner model
  (`first-success`, `soft` logistic gating by the share of prerequisites mastered, `bkt` hidden mastery
  with guess/slip, `forgetting`), learners, and `follow70` (70 % follow a sensible order; else 30 %),
  `blind` (wanderers barely drawn to the items they are ready for).
- The report draws arcs at `min_confidence` 0.8 (notebook parameter `graph_confidence`); on the demo that
  gives 11 arrows, all real direct prerequisites, and 3 syllabus disagreements, all real (3 of the 5 arcs
  the demo syllabus contradicts); `tests/test_contrast.py` checks it.

## What holds and what does not (honest summary)

- Met: precision >= 0.90 on both public courses (0.99 / 0.98, against 0.53 / 0.29 for the precedence
  graph and 0.26 / 0.40 for the floor), on the demo (0.93) and on 8 of the 12 scenarios; recall >= 0.75 on
  the soft-gating scenario (0.81); F1 above the floor on both public courses (course-b barely: 0.558 against
  0.554), the demo, and the first-success, soft, Junyi and 5 000-learner scenarios; cost on 5 million
  events within 60 s.
- Not met: recall >= 0.75 anywhere but the soft scenario (course-a 0.53, course-b 0.39, first-success
  0.70, the hidden-mastery scenarios 0.07-0.46); precision >= 0.90 on the forgetting (0.88), Junyi (0.88),
  chain (0.75) and 70 %-follow (0.72) scenarios, and >= 0.80 with 300 learners (0.67 on 12 arcs); F1 above
  the floor on 8 scenarios, where the floor's many arcs buy recall. On the long chain the precedence graph
  is far better (0.975 / 0.876: one order for everybody, so precedence *is* the structure).
- Why the hidden-mastery scenarios are hard: learners never retake an item they passed, so a guessed pass
  counts as "mastered" for ever; the contrast of each real prerequisite shrinks (success on j with all its
  prerequisites passed is 0.3-0.4 against 0.15 without) toward the strength threshold, and learners who
  follow the order leave artefacts of strategy. Modelling mastery as a hidden state (BKT-style, as in
  CSPS or Chen et al. 2016) rather than as the first success is the next step; it is not done here.
- Cost: the contrast graph is fitted from the traces (a per-item regression is not a sum the colony
  state can hold), so `poem fit` is unchanged. On the synthetic 5-million-event log (180 items, 166 284
  learners) its time is in the cost table, with the colony fit of the same traces as the peer, on a
  machine shared with other jobs (load average about 7 on 2 cores). Memory: the first-success table is 4
  bytes per learner and item (int32: 120 MB here, 24 bytes per event) plus one item's rows at a time (at
  most 5 000 learners per item); the RSS growth column is not informative (the log generation had
  already raised the peak).
"""


def courses(quick: bool):
    """``(name, traces, truth, n_learners)`` of every course of the run."""
    for name in ("course-a", "course-b"):
        folder = SHARED / name
        if folder.is_dir():
            yield name, read_traces(folder / "traces.csv"), json.loads((folder / "truth.json").read_text()), None
    demo = REPO / "data" / "demo"
    yield "demo", read_traces(demo / "traces.csv"), json.loads((demo / "truth.json").read_text()), None
    for sc in SCENARIOS:
        if quick and sc.n_learners > 1000:
            continue
        frame, truth = sc.simulate()
        yield sc.name, Traces.from_frame(frame), truth, sc.n_learners


def quality(quick: bool):
    rows, curves = [], []
    for name, traces, truth, _ in courses(quick):
        t = time.perf_counter()
        est = ContrastGraph().fit(traces)
        seconds = time.perf_counter() - t
        model = ManHill().fit(traces)
        graphs = {"contrast": est.graph_, "precedence": prerequisite_graph(model, method="precedence"),
                  "sparse_logistic": sparse_logistic_graph(traces)}
        for method, graph in graphs.items():
            direct = graph_scores(graph, truth)
            closed = graph_scores(graph, truth, closure=True)
            rows.append({"course": name, "learners": traces.n_learners, "events": traces.n_events,
                         "true_arcs": direct["n_true"], "method": method, "arcs": direct["n_predicted"],
                         "precision": direct["precision"], "recall": direct["recall"], "f1": direct["f1"],
                         "closure_precision": closed["precision"],
                         "seconds": seconds if method == "contrast" else float("nan")})
        for mc in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
            s = graph_scores(est.to_graph(mc), truth)
            curves.append({"course": name, "min_confidence": mc, "precision": s["precision"],
                           "recall": s["recall"], "arcs": s["n_predicted"]})
        print(name, "done", flush=True)
    return pd.DataFrame(rows), pd.DataFrame(curves)


def cost(n_events: int) -> dict:
    from poem.simulation.synth import generate_log

    log = generate_log(n_events, n_items=180, seed=0)
    traces = Traces.from_frame(log.events[["learner", "item", "timestamp", "score"]])
    del log
    ContrastGraph(n_resamples=1).fit(Traces.from_frame(traces.to_frame().head(2000)))   # compile
    ManHill().fit(Traces.from_frame(traces.to_frame().head(2000)))
    t = time.perf_counter()
    ManHill().fit(traces)
    t_fit = time.perf_counter() - t
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    ContrastGraph().fit(traces)
    t_graph = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"events": traces.n_events, "learners": traces.n_learners, "items": traces.n_items,
            "contrast_s": t_graph, "colony_fit_s": t_fit, "ratio_to_fit": t_graph / t_fit,
            "peak_rss_growth_bytes_per_event": (after - before) * 1024 / traces.n_events}


def markdown(frame: pd.DataFrame, digits: int = 3, index: bool = False) -> str:
    """A pipe table (no tabulate dependency)."""
    if index:
        frame = frame.reset_index()
    frame.columns = [" ".join(map(str, c)).strip() if isinstance(c, tuple) else str(c) for c in frame.columns]

    def cell(v):
        if isinstance(v, float):
            return "-" if v != v else f"{v:.{digits}f}"
        return str(v)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def verdict(table: pd.DataFrame) -> pd.DataFrame:
    wide = table.pivot_table(index="course", columns="method", values=["precision", "recall", "f1"],
                             sort=False)
    rows = []
    for course in table["course"].unique():
        learners = int(table.loc[table["course"] == course, "learners"].iloc[0])
        p, r = wide.loc[course, ("precision", "contrast")], wide.loc[course, ("recall", "contrast")]
        f1, floor = wide.loc[course, ("f1", "contrast")], wide.loc[course, ("f1", "sparse_logistic")]
        small = learners < 1000 and not course.startswith("course-")
        rows.append({"course": course, "precision_target": 0.8 if small else 0.9,
                     "precision_ok": bool(p >= (0.8 if small else 0.9)),
                     "recall_ok": None if small else bool(r >= 0.75), "f1_above_floor": bool(f1 > floor)})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the scenarios with more than 1 000 learners")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/graph.md")
    parser.add_argument("--cost-events", type=int, default=5_000_000, help="events of the cost log (0: skip)")
    args = parser.parse_args(argv)
    table, curves = quality(args.quick)
    checks = verdict(table)
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    print(table.to_string(index=False, **fmt))
    print(checks.to_string(index=False))
    spent = cost(args.cost_events) if args.cost_events else None
    if spent:
        print(spent)
    if args.write:
        command = "python benchmarks/bench_graph.py" + (" --quick" if args.quick else "") + \
            (f" --cost-events {args.cost_events}" if args.cost_events != 5_000_000 else "") + " --write"
        parts = ["# Prerequisite graph: contrast vs precedence vs the sparse-logistic floor", "",
                 f"Command: `{command}` (2 shared cores; times are indicative).", "",
                 "## Quality (direct arcs; closure_precision counts indirect prerequisites as right)", "",
                 markdown(table.copy()), "",
                 "## Targets of issue 10 (contrast graph at its defaults)", "",
                 markdown(checks.copy()), "",
                 "## Precision-recall of the contrast graph as min_confidence varies", "",
                 markdown(curves.pivot_table(index="course", columns="min_confidence",
                                             values=["precision", "recall"], sort=False), 2, index=True), ""]
        if spent:
            parts += ["## Cost", "", markdown(pd.DataFrame([spent]), 2), ""]
        parts += [NOTES]
        (REPO / "benchmarks" / "results" / "graph.md").write_text("\n".join(parts), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
