"""Prototype (not kept): the contrast graph with the learner's level taken from their events *before* the attempt.

Run from the repository root::

    .venv/bin/python benchmarks/proto_level_before.py family     # bench_graph.py's 15 courses
    .venv/bin/python benchmarks/proto_level_before.py heldout    # bench_graph_heldout.py's courses

``level=True`` holds fixed the learner's success rate on every other item over their whole trail, which
includes the outcomes of items that need j (a mediator, the reason it is off by default). This prototype
replaces it, by patching the design of :mod:`poem.ordering.contrast` in this process only, with the
smoothed success rate of the learner's scored events before the attempt (their earlier failures on j
left out): a candidate remedy for the grandparent arcs the held-out check found
(``benchmarks/results/graph_heldout.md``, "Reading"). It prints the tables quoted there.
"""
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import poem.ordering.contrast as C  # noqa: E402

_init = C._Design.__init__


def __init__(self, learner, item, score, bounds, n, mastery, need):
    _init(self, learner, item, score, bounds, n, mastery, need)
    score = np.asarray(score, dtype=np.float64)
    scored = ~np.isnan(score)
    bounds = np.asarray(bounds).astype(np.int64)
    ca = np.concatenate([[0.0], np.cumsum(scored.astype(float))])
    cs = np.concatenate([[0.0], np.cumsum(self.success.astype(float))])
    start = bounds[self.learner]
    self.att_before = ca[:-1] - ca[start]
    self.suc_before = cs[:-1] - cs[start]


C._Design.__init__ = __init__


def rows(self, j):
    ev = self.events[self.starts[j]:self.starts[j + 1]]
    lrn = self.learner[ev]
    keep = ev <= self.first[lrn, j]
    ev, lrn = ev[keep], lrn[keep]
    y = self.success[ev].astype(np.float64)
    X = (self.first[lrn] < ev[:, None])
    X[:, j] = False
    # earlier attempts of this learner on j (failures) are left out of their level
    grp = np.r_[True, lrn[1:] != lrn[:-1]] if len(lrn) else np.zeros(0, bool)
    idx = np.arange(len(lrn))
    k = idx - np.maximum.accumulate(np.where(grp, idx, 0)) if len(lrn) else idx
    rate = (self.suc_before[ev] + 1.0) / (self.att_before[ev] - k + 2.0)
    return X, y, lrn, np.log(rate / (1.0 - rate))


C._Design.rows = rows


def main(which: str) -> int:
    import bench_graph_heldout as H

    fmt = {"float_format": lambda v: f"{v:.3f}"}
    if which == "family":
        t = H.family({"level=before": {"level": True}})
        print(t.pivot_table(index="course", columns="min_confidence", values=["precision", "recall", "f1", "floor_f1"],
                            sort=False).to_string(**fmt))
        print(H.family_summary(t).to_string(index=False, **fmt))
        return 0
    H.prototype_runs(H.runs(False), "before", level=True)   # level=True: the patched level
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "heldout"))

