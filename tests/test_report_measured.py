"""The figures the report quotes (poem.report.measured) are the benchmarks' own: recomputed here from the
result tables the benchmarks write, so that a rerun that moves a figure cannot leave the report quoting
the old one."""

from pathlib import Path

import pytest

from poem.report.measured import GRAPH_PRECISION, GRAPH_RECALL, VIEWING_GRAPH_PRECISION, VIEWING_GRAPH_RECALL

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def _rows(text: str, start: str, end: str):
    """The cells of every row of the markdown table between two headings."""
    section = text[text.index(start):text.index(end)]
    lines = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("|---")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")))) for line in lines[1:]]


def _per_scenario(evidence: str, measure: str = "precision") -> list[float]:
    rows = _rows((RESULTS / "viewing_graph.md").read_text(), "## Per scenario", "## Summary")
    return [float(r[measure]) for r in rows
            if r["evidence"] == evidence and r["method"] == "contrast, confidence 0.8"]


def _check(quoted: dict, values: list[float]):
    """``quoted`` gives the mean of ``values`` and their lowest (``worst`` or ``low``) and, if it says so,
    their highest (``high``), over as many courses."""
    assert quoted["courses"] == len(values)
    assert quoted["mean"] == pytest.approx(sum(values) / len(values), abs=0.005)
    assert quoted.get("worst", quoted.get("low")) == pytest.approx(min(values), abs=0.005)
    assert quoted.get("high", max(values)) == pytest.approx(max(values), abs=0.005)


def _family(measure: str) -> list[float]:
    curve = _rows((RESULTS / "graph.md").read_text(), "## Precision-recall of the contrast graph",
                  "## Precision-recall of the sparse-logistic floor")
    values = [float(r[f"{measure} 0.8"]) for r in curve]
    assert len(values) == 15             # both public courses, the demo, the 12 scenarios
    return values


def test_scored_graph_precision_is_the_benchmarks():
    _check(GRAPH_PRECISION, _family("precision") + _per_scenario("quiz scores"))


def test_viewing_graph_precision_is_the_benchmarks():
    _check(VIEWING_GRAPH_PRECISION, _per_scenario("viewing evidence"))


def test_graph_recall_is_the_benchmarks():
    # how many real prerequisites the arrows cover, on the same courses as their precision
    _check(GRAPH_RECALL, _family("recall") + _per_scenario("quiz scores", "recall"))
    _check(VIEWING_GRAPH_RECALL, _per_scenario("viewing evidence", "recall"))
