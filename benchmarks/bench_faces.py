"""Speed of the faces layer (issue 5) as ratios against peers measured in the same run.

* the team report on the bundled demo course (papermill executes notebook 03, nbconvert renders it)
  against the same computations called in-process (read, fit, path, graph, audit, learner status,
  stability): what the notebook + kernel + rendering machinery costs on top of the work itself;
* rendering alone (nbconvert, no inputs, images embedded) against executing the notebook;
* ``poem batch`` of ``--runs`` runs of notebook 01 with ``--jobs 2`` against ``--jobs 1``: the parallel
  speed-up on this machine;
* the size of the self-contained HTML against the executed notebook it comes from.

Run: ``python benchmarks/bench_faces.py [--runs 4] [--n-seeds 5] [--quick] [--write benchmarks/results/faces.md]``.
Prints a table of ratios; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def in_process(demo: Path, n_seeds: int) -> float:
    """The report's computations without notebook, kernel or rendering."""
    from poem.report import data as rd
    from poem.antcolony import ManHill
    from poem.io import read_traces
    from poem.paths import learning_path, prerequisite_graph

    started = time.perf_counter()
    traces = read_traces(demo / "traces.csv", outcomes=demo / "outcomes.csv", catalog=demo / "catalog.csv")
    syllabus = rd.syllabus_order(traces.item_info)
    model = ManHill(prior=syllabus).fit(traces)
    path = learning_path(model, method="lop", rng=0)
    graph = prerequisite_graph(model, traces=traces, min_confidence=0.8)
    rd.path_steps(model, path, traces.item_info)
    rd.item_audit(model)
    rd.syllabus_disagreements(graph, traces.item_info)
    rd.learners_at_risk(rd.learner_status(traces, path.items, graph))
    stability = rd.path_stability(traces, path.items, params={"prior": syllabus}, seeds=range(1, 1 + n_seeds))
    graph_check = rd.graph_stability(traces, graph, seeds=range(1, 1 + n_seeds), min_confidence=0.8)
    success = rd.success_accuracy(traces, params={"prior": syllabus})
    rd.trust_summary(traces, model, path, stability, graph_stability=graph_check, success=success)
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="batch runs (notebook 01 on the demo course)")
    parser.add_argument("--n-seeds", type=int, default=5, help="stability subsamples in the report")
    parser.add_argument("--write", help="also write the table (markdown) to this file")
    parser.add_argument("--quick", action="store_true", help="2 batch runs and 1 stability subsample")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.n_seeds = 2, 1

    from poem.lab.batch import run_batch
    from poem.lab.runner import data_path, run_notebook
    from poem.report.build import render_html

    demo = data_path("demo")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        in_process(demo, 1)  # warm numba's cache and the imports, as the kernel's own start-up does not count
        t_work = in_process(demo, args.n_seeds)

        params = {"traces_path": str(demo / "traces.csv"), "outcomes_path": str(demo / "outcomes.csv"),
                  "catalog_path": str(demo / "catalog.csv"), "n_seeds": args.n_seeds}
        started = time.perf_counter()
        run_notebook("03", tmp / "report.ipynb", params)
        t_exec = time.perf_counter() - started
        started = time.perf_counter()
        render_html(tmp / "report.ipynb", tmp / "report.html")
        t_render = time.perf_counter() - started
        rows.append(("team report (execute + render)", t_exec + t_render, "same work in-process", t_work,
                     "< 60 s for the report"))
        rows.append(("render (nbconvert)", t_render, "execute (papermill)", t_exec, "render << execute"))

        runs = [{"max_rejects_shown": k} for k in range(args.runs)]
        timings = {}
        for jobs in (1, 2):
            started = time.perf_counter()
            table = run_batch("01", runs, tmp / f"batch{jobs}", jobs=jobs, progress=False)
            timings[jobs] = time.perf_counter() - started
            assert (table["status"] == "ok").all(), table["error"].tolist()
        rows.append((f"batch {args.runs} runs --jobs 2", timings[2], "--jobs 1", timings[1],
                     ">= 1.3x faster on 2 cores"))
        html_mb = (tmp / "report.html").stat().st_size / 2**20
        nb_mb = (tmp / "report.ipynb").stat().st_size / 2**20

    lines = [
        "# Faces benchmark (notebooks, report, batch)", "",
        "Command: `python benchmarks/bench_faces.py " + " ".join(argv if argv is not None else sys.argv[1:]) + "`",
        "",
        f"demo course (600 learners, 16,230 events, 40 items); {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end; Python {sys.version.split()[0]}", "",
        "| stage | seconds | peer | peer seconds | ratio (poem / peer) | target |",
        "|---|---:|---|---:|---:|---|",
    ]
    for stage, t, peer, tp, target in rows:
        lines.append(f"| {stage} | {t:.2f} | {peer} | {tp:.2f} | {t / tp:.2f} | {target} |")
    lines += ["", f"self-contained HTML: {html_mb:.2f} MiB against {nb_mb:.2f} MiB for the executed notebook "
                  f"(ratio {html_mb / nb_mb:.2f}; the page inlines JupyterLab's CSS and every figure)", "",
              "Kernel start-up and imports (2-3 s per notebook) dominate: the report's work itself takes a "
              "fraction of a second on the demo course, hence the large ratio against in-process calls. The "
              "batch speed-up depends on what else runs on the cores (1.9x measured at load 3.5 on this "
              "machine, about 1.1x beside other heavy jobs)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        Path(args.write).parent.mkdir(parents=True, exist_ok=True)
        Path(args.write).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
