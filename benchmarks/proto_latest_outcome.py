"""Prototype (not kept): an item counts as mastered only while the learner's latest attempt at it succeeded.

Run from the repository root::

    .venv/bin/python benchmarks/proto_latest_outcome.py heldout   # review and all, bench_graph_heldout.py's grid
    .venv/bin/python benchmarks/proto_latest_outcome.py seeds     # local/bkt/review, 1 000 learners, seeds 0-5
    .venv/bin/python benchmarks/proto_latest_outcome.py demo      # the one course of the family it changes

The contrast graph's feature ``x_i`` is "i was passed before this attempt on j". When learners re-attempt
passed items (the ``review`` behaviour of :func:`poem.simulation.scenarios.simulate_scenario`), a failed
re-attempt is evidence that the pass was a guess; the prototype, patching the design of
:mod:`poem.ordering.contrast` in its own process only, sets ``x_i = 0`` when the learner's latest attempt at
i before the attempt on j failed (the order filter and the support still use the first success). Where no
learner retakes a passed item (both public courses and every scenario of ``bench_graph.py`` but the demo)
it changes nothing. Figures in ``benchmarks/results/graph_heldout.md`` ("Reading").
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import poem.ordering.contrast as C  # noqa: E402

_init, _rows = C._Design.__init__, C._Design.rows


def __init__(self, learner, item, score, bounds, n, mastery, need):
    _init(self, learner, item, score, bounds, n, mastery, need)
    item = np.asarray(item).astype(np.int64)
    scored = ~np.isnan(np.asarray(score, dtype=np.float64))
    e = np.flatnonzero(scored)
    after = self.first[self.learner[e], item[e]] < e          # an attempt after the first pass
    e = e[after]
    self.post = pd.DataFrame({"l": self.learner[e], "i": item[e], "e": e, "ok": self.success[e]})


C._Design.__init__ = __init__


def rows(self, j):
    X, y, lrn, level = _rows(self, j)
    if not len(self.post) or not len(lrn):
        return X, y, lrn, level
    ev = self.events[self.starts[j]:self.starts[j + 1]]
    ev = ev[ev <= self.first[self.learner[ev], j]]
    left = pd.DataFrame({"r": np.arange(len(lrn)), "l": lrn, "ev": ev})
    pairs = self.post.loc[self.post["i"] != j, ["l", "i"]].drop_duplicates()
    left = left.merge(pairs, on="l").sort_values("ev")
    if not len(left):
        return X, y, lrn, level
    right = self.post.loc[self.post["i"] != j].sort_values("e")
    hit = pd.merge_asof(left, right, left_on="ev", right_on="e", by=["l", "i"], allow_exact_matches=False)
    hit = hit.dropna(subset=["e"])
    X[hit["r"].to_numpy(), hit["i"].to_numpy().astype(np.int64)] = hit["ok"].to_numpy().astype(bool)
    return X, y, lrn, level


C._Design.rows = rows


def main(which: str) -> int:
    import bench_graph_heldout as H
    from poem.io import read_traces
    from poem.ordering.contrast import ContrastGraph
    from poem.ordering.evaluation import graph_scores

    if which == "demo":
        import json
        demo = REPO / "data" / "demo"
        traces, truth = read_traces(demo / "traces.csv"), json.loads((demo / "truth.json").read_text())
        est = ContrastGraph().fit(traces)
        for mc in (0.7, 0.8):
            print("demo", mc, graph_scores(est.to_graph(mc), truth))
        return 0
    if which == "seeds":
        courses = [("local", "bkt", "review", 1000, s) for s in range(6)]
    else:
        courses = [c for c in H.runs(False) if c[2] in ("review", "all")]
    H.prototype_runs(courses, "latest")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "heldout"))
