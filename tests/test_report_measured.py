"""The figures the report quotes (poem.report.measured) are the benchmarks' own: recomputed here from the
result tables the benchmarks write, so that a rerun that moves a figure cannot leave the report quoting
the old one."""

from pathlib import Path

import pytest

from poem.report.measured import GRAPH_PRECISION, VIEWING_GRAPH_PRECISION

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def _rows(text: str, start: str, end: str):
    """The cells of every row of the markdown table between two headings."""
    section = text[text.index(start):text.index(end)]
    lines = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("|---")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")))) for line in lines[1:]]


def _per_scenario(evidence: str) -> list[float]:
    rows = _rows((RESULTS / "viewing_graph.md").read_text(), "## Per scenario", "## Summary")
    return [float(r["precision"]) for r in rows
            if r["evidence"] == evidence and r["method"] == "contrast, confidence 0.8"]


def _check(quoted: dict, values: list[float]):
    assert quoted["courses"] == len(values)
    assert quoted["mean"] == pytest.approx(sum(values) / len(values), abs=0.005)
    assert quoted["worst"] == pytest.approx(min(values), abs=0.005)


def test_scored_graph_precision_is_the_benchmarks():
    curve = _rows((RESULTS / "graph.md").read_text(), "## Precision-recall of the contrast graph",
                  "## Precision-recall of the sparse-logistic floor")
    family = [float(r["precision 0.8"]) for r in curve]
    assert len(family) == 15             # both public courses, the demo, the 12 scenarios
    _check(GRAPH_PRECISION, family + _per_scenario("quiz scores"))


def test_viewing_graph_precision_is_the_benchmarks():
    _check(VIEWING_GRAPH_PRECISION, _per_scenario("viewing evidence"))
