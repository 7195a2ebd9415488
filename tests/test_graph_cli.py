"""``poem graph``: every format round-trips to the same arcs (GraphML read back by networkx equals the
JSON), a saved colony gives the contrast graph without its traces, and bad options fail with one clear line."""

import json

import networkx as nx
import pandas as pd
import pytest

from poem.cli.main import main
from test_contrast import simulate


@pytest.fixture(scope="module")
def traces_file(tmp_path_factory):
    frame = simulate([("a", "b"), ("b", "c"), ("a", "d")], ["a", "b", "c", "d", "e"], n_learners=300, seed=1)
    path = tmp_path_factory.mktemp("graph") / "traces.csv"
    frame.to_csv(path, index=False)
    return path


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_then_every_format_round_trips(traces_file, tmp_path, capsys):
    code, out, _ = run(["graph", str(traces_file)], capsys)
    assert code == 0
    data = json.loads(out)
    assert sorted(data["items"]) == ["a", "b", "c", "d", "e"]
    arcs = {(a["source"], a["target"]): a for a in data["arcs"]}
    assert set(arcs) == {("a", "b"), ("b", "c"), ("a", "d")}
    for arc in data["arcs"]:
        assert set(arc) == {"source", "target", "strength", "confidence", "support"}
        assert 0 <= arc["confidence"] <= 1 and arc["strength"] > 0 and arc["support"] >= 10

    assert run(["graph", str(traces_file), "--format", "graphml", "--out", str(tmp_path / "g.graphml")],
               capsys)[0] == 0
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert sorted(back.nodes) == sorted(data["items"])
    assert set(back.edges) == set(arcs)
    for u, v, d in back.edges(data=True):
        for key in ("strength", "confidence", "support"):
            assert d[key] == pytest.approx(arcs[u, v][key])

    assert run(["graph", str(traces_file), "--format", "csv", "--out", str(tmp_path / "g.csv")], capsys)[0] == 0
    table = pd.read_csv(tmp_path / "g.csv")
    assert table.columns.tolist() == ["source", "target", "strength", "confidence", "support"]
    assert {(r.source, r.target) for r in table.itertuples()} == set(arcs)
    assert table["confidence"].is_monotonic_decreasing

    code, dot, _ = run(["graph", str(traces_file), "--format", "dot"], capsys)
    assert code == 0 and dot.startswith("digraph prerequisites {")
    assert {tuple(x.strip('"') for x in line.split(" [")[0].strip().split(" -> "))
            for line in dot.splitlines() if "->" in line} == set(arcs)


def test_min_confidence_keeps_a_subset(traces_file, capsys):
    loose = json.loads(run(["graph", str(traces_file), "--min-confidence", "0"], capsys)[1])
    strict = json.loads(run(["graph", str(traces_file), "--min-confidence", "1"], capsys)[1])
    pairs = lambda d: {(a["source"], a["target"]) for a in d["arcs"]}  # noqa: E731
    assert pairs(strict) <= pairs(loose)
    assert all(a["confidence"] == 1.0 for a in strict["arcs"])


def test_saved_colony_gives_the_contrast_graph_with_or_without_traces(traces_file, tmp_path, capsys):
    model = tmp_path / "colony.npz"
    assert main(["fit", str(traces_file), "--out", str(model)]) == 0
    capsys.readouterr()
    code, alone, _ = run(["graph", str(model)], capsys)
    assert code == 0 and {(a["source"], a["target"]) for a in json.loads(alone)["arcs"]} == {
        ("a", "b"), ("b", "c"), ("a", "d")}
    code, out, _ = run(["graph", str(model), "--traces", str(traces_file)], capsys)
    assert code == 0 and json.loads(out) == json.loads(alone)
    code, out, _ = run(["graph", str(model), "--method", "precedence", "--format", "csv"], capsys)
    assert code == 0 and out.startswith("source,target,strength,confidence,support")


def test_bad_options(traces_file, capsys):
    code, _, err = run(["graph", str(traces_file), "--min-confidence", "1.5"], capsys)
    assert code == 1 and "--min-confidence" in err
    code, _, err = run(["graph", str(traces_file), "--method", "precedence", "--min-confidence", "0.5"], capsys)
    assert code == 1 and "contrast" in err
