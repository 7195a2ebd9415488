"""The prerequisite graph a team sees on a viewing-only course, measured (issue 16).

Run from the repository root::

    .venv/bin/python benchmarks/bench_viewing_graph.py [--quick] [--write]

On the viewing scenarios of ``benchmarks/bench_viewing.py`` (the same simulated courses, >= 1 000
learners), the graph the report draws and ``poem graph`` writes -- the contrast graph
(:class:`poem.ordering.contrast.ContrastGraph`, defaults) fitted on the viewing evidence
(:func:`poem.colony.viewing.apply_viewing`, defaults) -- is scored against the hidden prerequisites, beside
the same graph fitted on the quiz scores of the same course (what a scored course would give) and the
precedence graph of the viewing colony, in the same run. Precision and recall are against the direct arcs;
``closure precision`` counts an indirect prerequisite as right. Two confidence thresholds: 0.7
(``poem graph``'s default) and 0.8 (what the report draws).

``--write`` writes ``benchmarks/results/viewing_graph.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_graph import markdown  # noqa: E402
from bench_viewing import scenarios  # noqa: E402
from poem.antcolony import ManHill  # noqa: E402
from poem.colony.viewing import apply_viewing  # noqa: E402
from poem.ordering.contrast import ContrastGraph  # noqa: E402
from poem.ordering.evaluation import graph_scores  # noqa: E402
from poem.paths import prerequisite_graph  # noqa: E402
from poem.simulation.viewing import simulate_viewing  # noqa: E402

THRESHOLDS = (0.7, 0.8, 0.9)


def scores(graph, truth) -> dict:
    direct, closed = graph_scores(graph, truth), graph_scores(graph, truth, closure=True)
    return {"arcs": direct["n_predicted"], "precision": direct["precision"], "recall": direct["recall"],
            "f1": direct["f1"], "closure precision": closed["precision"]}


def run_scenario(name, kw, seed, params=None) -> list[dict]:
    vc = simulate_viewing(seed=seed, **kw)
    traces = vc.to_traces()
    watched, _, _ = apply_viewing(traces, vc.catalog)
    params = params or {}
    fits = {"viewing evidence": ContrastGraph(**params).fit(watched),
            "quiz scores": ContrastGraph(**params).fit(vc.scored.to_traces())}
    rows = []
    for evidence, est in fits.items():
        for mc in THRESHOLDS:
            rows.append({"scenario": name, "evidence": evidence, "method": f"contrast, confidence {mc}",
                         **scores(est.to_graph(mc), vc.truth)})
    colony = ManHill().fit(traces, catalog=vc.catalog)
    rows.append({"scenario": name, "evidence": "viewing evidence", "method": "precedence",
                 **scores(prerequisite_graph(colony, method="precedence"), vc.truth)})
    return rows


NOTES = """## Reading the table

- Same scenarios as `benchmarks/results/viewing.md` (`browse`: learners browse near a partly wrong
  syllabus; `no structure`: the seed's 180 videos shown without order; `Junyi`: the Junyi Academy expert
  graph; `mixed`: every fourth item a quiz). The viewing evidence is POEM's default reading of the seconds
  watched (learned completion threshold per video, learned landing, reviews ignored); the quiz scores are
  those the simulator draws for the same visits (guess and slip).
- A complete view that did not land (watched through without understanding) reads as a success, exactly
  as a guessed quiz pass does: both are hidden-mastery courses, where the contrast graph keeps precision
  and loses recall (`benchmarks/results/graph.md`). The report draws the arcs at confidence 0.8 and says
  how many; on a viewing-only course its trust section also says that the evidence is watching, not
  scores.
- What it reaches: at confidence 0.8, the arrows from viewing evidence are right 0.93 of the time on
  average and 0.83 in the worst course, with recall 0.09; the same graph from the quiz scores of the same
  courses does no better (0.86 / 0.63, recall 0.10). Before the contrast graph's second round of issue 10
  (the level covariate held fixed, 20 halves instead of 50) it was 0.88 / 0.80 with recall 0.08, and
  0.84 / 0.67 with recall 0.09 from the quiz scores. With the earlier return rule (`landing="rule"`, the default before
  the learned landing) it was 0.89 / 0.60 with recall 0.07; with the landing model also judging the views
  nobody came back to, 0.82 / 0.40 (`benchmarks/results/viewing.md`, note "Learned landing"). Both are
  below the 0.9 a team can act on in some courses of this
  simulator (the project's original one: BKT-like mastery, prior knowledge, learners browsing near a
  partly wrong syllabus), where the scenario family of `graph.md` reaches 0.9 in 11 of 12 scenarios. The
  report therefore quotes these figures (`poem.report.measured`, kept equal to this table by
  `tests/test_report_measured.py`) beside the arrows of any course read partly through viewing, and calls
  them leads to check. With 10 courses the mean moves by about 0.04 with the seed of the learner halves
  (0.85 / 0.67 for viewing in a run with the former position-based halves).
- The wrong arrows: with `min_support` 10 (the earlier default) every unrelated arc drawn on `browse 180,
  seed 1` rested on 10-17 learners; `min_support` 20 (now the default; no change on the scenario family)
  raised the mean precision at 0.8 from 0.79 to 0.85 (same halves, same run conditions). What remains is mostly indirect prerequisites
  (grandparent -> grandchild: a guessed or not-understood pass of the middle item leaves the grandparent
  informative) and a few unrelated arcs with large support.
- The precedence graph of the viewing colony (last row of each scenario; what `viewing.md` reports as
  the graph) is far worse: precision 0.11-0.19.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes while iterating")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/viewing_graph.md")
    parser.add_argument("--params", default="{}", help="ContrastGraph parameters as JSON (default: its defaults)")
    args = parser.parse_args(argv)
    params = json.loads(args.params)
    started = time.perf_counter()
    rows = []
    for name, kw, seed in scenarios(args.quick):
        rows += run_scenario(name, kw, seed, params)
        print(name, "done", flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    contrast = table[table["method"].str.startswith("contrast")]
    summary = contrast.groupby(["evidence", "method"], sort=False).agg(
        precision_min=("precision", "min"), precision_mean=("precision", "mean"),
        recall_mean=("recall", "mean"), closure_precision_min=("closure precision", "min")).reset_index()
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.write:
        command = "python benchmarks/bench_viewing_graph.py" + (" --quick" if args.quick else "") + \
            (f" --params '{args.params}'" if params else "") + " --write"
        text = "\n".join(["# The prerequisite graph on viewing-only courses", "",
                          f"Command: `{command}` ({time.perf_counter() - started:.0f} s on the shared 2-core "
                          "machine).", "", "## Per scenario", "", markdown(table.copy()), "",
                          "## Summary over the scenarios", "", markdown(summary.copy()), "", NOTES])
        (REPO / "benchmarks" / "results" / "viewing_graph.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
