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
import tracemalloc
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
  halves; `min_order` 0.6: only items mastered first by 60 % of the learners who mastered both are
  candidates); **precedence** is the earlier graph (`method="precedence"`); **sparse_logistic** is the floor
  the issue names (one L1 logistic model per item on "i mastered before" for every other item, no level
  covariate, no resampling, no acyclicity). All three are fitted on the same traces in the same run.
- The defaults were chosen across the public courses, the demo and this scenario family (grids over
  `alpha` 0.25-1, `min_confidence` 0.5-1, `min_strength` 0-1, `min_order` 0-0.85, and two definitions of
  confidence), putting
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
  graph and 0.26 / 0.40 for the floor), on the demo (0.93) and on 11 of the 12 scenarios, and 1.00 with
  300 learners (8 arcs; target 0.80); precision against the closure (an arc that is at least an indirect
  prerequisite) is 1.00 everywhere but course-b and the demo (0.98, 0.93); recall >= 0.75 on the
  soft-gating scenario (0.83); F1 above the floor on both public courses and the first-success, soft,
  Junyi, 1 000- and 5 000-learner hidden-mastery scenarios; cost on 5 million events within 60 s and 100
  bytes per event.
- Not met: recall >= 0.75 anywhere but the soft scenario (course-a 0.56, course-b 0.40, first-success
  0.69, the hidden-mastery scenarios 0.06-0.50); precision >= 0.90 on the chain (0.83: 5 of 6 arcs); F1
  above the floor on the demo (0.43 against 0.44) and 7 scenarios, where the floor's many arcs buy recall.
  On the long chain the precedence graph is far better (0.975 / 0.876: one order for everybody, so
  precedence *is* the structure). Outside this family, on the viewing simulator's courses
  (`viewing_graph.md`), precision at the report's 0.8 is 0.67-1.00 with quiz scores and 0.60-1.00 with
  viewing evidence: the report quotes those figures rather than a promise.
- Resampling noise: the learner halves now come from a keyed hash of the learner id (same graph whatever
  the row order, the cohort split or the Dask partitions); against the former position-based halves the
  figures above moved by up to 0.03 (course-a recall 0.53 -> 0.56, course-b 0.42 -> 0.40, the demo 15 -> 14
  arcs).
- The order filter (`min_order` 0.6, added in this round: a candidate must have been mastered first by
  60 % of the learners who mastered both items) is what moved the forgetting (0.88 -> 1.00), Junyi (0.88
  -> 0.91), 70 %-follow (0.72 -> 0.94) and 300-learner (0.67 -> 1.00) scenarios above their precision
  targets, and course-b's recall from 0.39 to 0.42 at the same precision (a sibling that needs the same
  prerequisites as j no longer stands in for them); no scenario lost more than 0.005 of recall. Grid tried
  on the whole family: `min_order` 0, 0.55, 0.6, 0.62, 0.7, 0.85 (0.7 and above cost course-b a quarter
  of its recall). Lowering `alpha` to 0.25 or `min_strength` to 0.3 on top adds recall (course-a 0.62 /
  0.67, wide 0.47 / 0.60) but drops Junyi (0.90 / 0.81), the 70 %-follow (0.90 / 0.83) and the demo
  (0.88 / 0.90) below their precision targets: the defaults stay.
- Tried and not kept: an elastic net (half L1, half ridge, which keeps correlated prerequisites together
  in the half-sample refits) raised recall on this family (course-a 0.56 -> 0.63, course-b 0.40 -> 0.48,
  wide 0.41 -> 0.48, Junyi 0.50 -> 0.55, soft 0.83 -> 0.89) at precision >= 0.91 except the demo (0.84) and
  the chain, but on the viewing simulator's courses (`viewing_graph.md`) it dropped the precision at 0.8
  from 0.84 to 0.74 (quiz scores) and from 0.89 to 0.77 (viewing): a default must hold on learners it was
  not tuned on. Crediting a pass only once the item's drawn prerequisites were passed (a guard against
  guessed passes), iterated, lowered both precision and recall.
- Why the hidden-mastery scenarios are hard: learners never retake an item they passed, so a guessed pass
  counts as "mastered" for ever; the contrast of each real prerequisite shrinks (success on j with all its
  prerequisites passed is 0.3-0.4 against 0.15 without) toward the strength threshold, and learners who
  follow the order leave artefacts of strategy. Modelling mastery as a hidden state (BKT-style, as in
  CSPS or Chen et al. 2016) rather than as the first success is the next step; it is not done here.
- Cost (`python benchmarks/bench_graph.py --cost-only --write` refreshes that table alone): on the
  synthetic 5-million-event log (180 items, 166 284 learners), the success model (its lazy fit on the
  colony's log of scored events) and the contrast graph together take 23 s against the issue's 60 s (table
  above; 48 s in an earlier run at load average 7-8, where the colony fit of the same traces, the peer in
  the table, took 2.7 s against 0.9 s here). Each allocates at most 23 and 53 bytes per event
  beyond the traces in memory (peak traced by `tracemalloc`, which numpy reports its buffers to; target
  100). The graph's largest piece is the first-success table, 4 bytes per learner and item (int32), then
  one item's rows at a time (at most 5 000 learners per item). `poem fit` itself does neither (both are
  lazy), so its speed is that of `benchmarks/results/fit.md`.
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
    model = ManHill().fit(traces)
    t_fit = time.perf_counter() - t
    # numpy reports its buffers to tracemalloc, so the traced peak is what the success model and the graph
    # allocate beyond the traces already in memory (the process's RSS peak was set by the log generation)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    model.success_model()
    t_success = time.perf_counter() - t
    peak_success = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    ContrastGraph().fit(traces)
    t_graph = time.perf_counter() - t
    peak_graph = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return {"events": traces.n_events, "learners": traces.n_learners, "items": traces.n_items,
            "success_model_s": t_success, "contrast_s": t_graph, "total_s": t_success + t_graph,
            "colony_fit_s": t_fit, "success_model_bytes_per_event": peak_success / traces.n_events,
            "contrast_bytes_per_event": peak_graph / traces.n_events}


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
    parser.add_argument("--cost-only", action="store_true",
                        help="only measure the cost; with --write, replace the Cost section of graph.md")
    args = parser.parse_args(argv)
    if args.cost_only:
        spent = cost(args.cost_events)
        print(spent)
        if args.write:
            path = REPO / "benchmarks" / "results" / "graph.md"
            text = path.read_text(encoding="utf-8")
            head, rest = text.split("## Cost\n", 1)
            tail = rest[rest.index("## Reading the tables"):]
            path.write_text(head + "## Cost\n\n" + markdown(pd.DataFrame([spent]), 2) + "\n\n" + tail,
                            encoding="utf-8")
        return 0
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
