"""Figures the team report quotes from POEM's benchmarks, so that a sentence saying how far to trust a
section gives a measured figure, not a hope. A test (``tests/test_report_measured.py``) keeps each one
equal to the benchmark table it comes from; rerunning a benchmark that moves a figure fails that test until
the figure here is updated.

Examples
--------
>>> 0 < GRAPH_PRECISION["worst"] <= GRAPH_PRECISION["mean"] <= 1
True
>>> 0 < GRAPH_RECALL["low"] <= GRAPH_RECALL["mean"] <= GRAPH_RECALL["high"] <= 1
True
"""

from __future__ import annotations

__all__ = ["GRAPH_PRECISION", "VIEWING_GRAPH_PRECISION", "GRAPH_RECALL", "VIEWING_GRAPH_RECALL"]

#: share of right arrows (real direct prerequisites) in the contrast graph at the report's default
#: confidence (0.8) on the scored test courses whose prerequisites are known: the public courses, the demo
#: and the scenario family of ``benchmarks/results/graph.md`` (15 courses), and the viewing simulator's
#: courses with their quiz scores in ``benchmarks/results/viewing_graph.md`` (10): mean and worst course
GRAPH_PRECISION = {"mean": 0.93, "worst": 0.63, "courses": 25}

#: the same for the graph read from viewing evidence (``viewing_graph.md``, 10 viewing-only and mixed
#: courses at confidence 0.8)
VIEWING_GRAPH_PRECISION = {"mean": 0.93, "worst": 0.83, "courses": 10}

#: share of the real direct prerequisites that the same arrows cover (recall at confidence 0.8), on the
#: same 25 scored courses: mean, lowest and highest course. The arrows are far from all the prerequisites,
#: so a missing arrow must not read as "no prerequisite" (``benchmarks/results/graph_reach.md`` says why)
GRAPH_RECALL = {"mean": 0.22, "low": 0.03, "high": 0.82, "courses": 25}

#: the same for the graph read from viewing evidence (the 10 courses of ``VIEWING_GRAPH_PRECISION``)
VIEWING_GRAPH_RECALL = {"mean": 0.09, "low": 0.02, "high": 0.13, "courses": 10}
