"""The directly-follows counts of the baselines against pm4py's DFG (a correctness check against a peer).

pm4py is in the ``bench`` extra only (it pulls in cvxopt, lxml and graphviz and takes seconds to import),
so this comparison lives here rather than in the test suite; ``tests/test_baselines.py`` checks the same
counts against a plain-Python reference on every ``make test``. ``make bench`` installs the extra and
runs it::

    python benchmarks/bench_dfg_pm4py.py [--write FILE]

Exit code 1 when the counts differ (or pm4py is not installed: ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poem.ordering.baselines import transition_counts  # noqa: E402
from poem.traces import Traces  # noqa: E402


def logs():
    """Small seeded logs: uniform wandering, and a course-like log with repeats and unscored events."""
    rng = np.random.default_rng(0)
    rows = [(f"u{k}", f"i{rng.integers(0, 6)}", t, 1.0) for k in range(30) for t in range(8)]
    yield "uniform 30 x 8 events, 6 items", rows
    rows = []
    for k in range(200):
        pos = 0
        for t in range(int(rng.integers(1, 25))):
            pos = max(0, pos + int(rng.integers(-1, 3)))
            score = float(rng.random() < 0.6) if rng.random() < 0.9 else np.nan
            rows.append((f"v{k}", f"x{pos % 20:02d}", t, score))
    yield "200 learners, 20 items, repeats and unscored events", rows


def compare(pm4py, rows) -> tuple[bool, int, float]:
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="h", utc=True)
    traces = Traces.from_frame(frame)
    canonical = traces.to_frame()
    t0 = time.perf_counter()
    dfg, starts, _ = pm4py.discover_dfg(canonical, case_id_key="learner", activity_key="item",
                                        timestamp_key="timestamp")
    seconds = time.perf_counter() - t0
    counts, start_counts = transition_counts(traces)
    idx = {x: k for k, x in enumerate(traces.items)}
    ours = {(a, b): counts[idx[a], idx[b]] for a in idx for b in idx if counts[idx[a], idx[b]] > 0}
    theirs = {arc: n for arc, n in dfg.items() if arc[0] != arc[1]}  # a path never repeats an item
    same = ours == theirs and {a: start_counts[idx[a]] for a in starts} == dict(starts)
    return same, len(theirs), seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", metavar="FILE", default=None, help="write the markdown table there")
    args = ap.parse_args(argv)
    try:
        t0 = time.perf_counter()
        import pm4py
        import_seconds = time.perf_counter() - t0
    except ImportError:
        print("bench_dfg_pm4py: pm4py is not installed; install the bench extra: pip install -e '.[bench]'",
              file=sys.stderr)
        return 1
    lines = ["# Directly-follows counts against pm4py", "",
             f"Produced by `python benchmarks/bench_dfg_pm4py.py` (pm4py {pm4py.__version__}, imported in "
             f"{import_seconds:.1f} s).", "", "| log | arcs | counts and starts equal | pm4py seconds |",
             "|---|---|---|---|"]
    ok = True
    for name, rows in logs():
        same, arcs, seconds = compare(pm4py, rows)
        ok &= same
        lines.append(f"| {name} | {arcs} | {'yes' if same else '**NO**'} | {seconds:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        Path(args.write).write_text(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
