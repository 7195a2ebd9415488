"""Metrics: hand-checked values, agreement with the benchmark's score.py, graph scores, pass-through."""

import importlib.util
import json
import math

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.errors import ParameterError, TraceFormatError
from poem.ordering.evaluation import coverage, evaluate, graph_scores, kendall_tau, load_truth, path_items, respect
from poem.paths import Path

TRUTH = {"items": ["a", "b", "c", "d"], "prerequisites": [["a", "b"], ["b", "c"], ["a", "d"]],
         "true_order": ["a", "b", "c", "d"]}


def test_hand_checked_path_metrics():
    scores = evaluate(["a", "c", "b"], TRUTH)
    assert scores["respect"] == 0.5  # a<b yes, b<c no; a->d not on the path
    assert scores["n_arcs"] == 2 and scores["n_items"] == 3
    assert scores["coverage"] == 0.75
    assert scores["tau"] == pytest.approx(1 / 3)
    perfect = evaluate(TRUTH["true_order"], TRUTH)
    assert perfect["respect"] == 1.0 and perfect["tau"] == 1.0 and perfect["coverage"] == 1.0
    reverse = evaluate(TRUTH["true_order"][::-1], TRUTH)
    assert reverse["respect"] == 0.0 and reverse["tau"] == -1.0


def test_degenerate_cases_are_nan_not_errors():
    assert math.isnan(respect(["z"], [("a", "b")]))
    assert math.isnan(kendall_tau(["a"], ["a", "b"]))
    assert math.isnan(coverage(["a"], []))


def test_accepts_paths_mappings_and_files(tmp_path):
    path = Path(["a", "b", "c", "d"], "lop", 3.0)
    assert evaluate(path, TRUTH)["respect"] == 1.0
    assert path_items(path.to_dict()) == ["a", "b", "c", "d"]
    (tmp_path / "p.json").write_text(path.to_json())
    (tmp_path / "truth.json").write_text(json.dumps(TRUTH))
    assert evaluate(tmp_path / "p.json", tmp_path / "truth.json")["tau"] == 1.0
    (tmp_path / "list.json").write_text(json.dumps(["a", "d"]))
    assert evaluate(str(tmp_path / "list.json"), TRUTH)["respect"] == 1.0


@settings(max_examples=40, deadline=None)
@given(st.permutations(list("abcdefgh")).flatmap(lambda p: st.tuples(st.just(p), st.integers(2, 8))),
       st.lists(st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("abcdefgh")), max_size=12))
def test_agrees_with_the_benchmark_scorer(shared_dir, path_and_len, arcs):
    spec = importlib.util.spec_from_file_location("bench_score", shared_dir / "benchmark" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    perm, k = path_and_len
    arcs = [[a, b] for a, b in arcs if a != b]
    truth = {"items": list("abcdefgh"), "prerequisites": arcs, "true_order": list("abcdefgh")}
    ours, theirs = evaluate(perm[:k], truth), module.score(perm[:k], truth)
    for key in ("respect", "tau", "coverage"):
        assert ours[key] == pytest.approx(theirs[key], nan_ok=True)


def test_graph_scores_by_hand():
    graph = nx.DiGraph([("a", "b"), ("a", "c"), ("c", "d")])
    scores = graph_scores(graph, TRUTH)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == pytest.approx(1 / 3)
    assert scores["f1"] == pytest.approx(1 / 3)
    closed = graph_scores(graph, TRUTH, closure=True)
    assert closed["precision"] == pytest.approx(2 / 3)  # a->c is implied by a->b->c
    table = pd.DataFrame({"source": ["a"], "target": ["b"]})
    assert graph_scores(table, TRUTH)["precision"] == 1.0
    assert graph_scores([("b", "a")], TRUTH)["f1"] == 0.0
    assert math.isnan(graph_scores([], TRUTH)["precision"])


def test_evaluate_graph_and_promotion_pass_through():
    graph = nx.DiGraph([("a", "b")])
    only_graph = evaluate(graph, TRUTH)
    assert "respect" not in only_graph and only_graph["precision"] == 1.0
    promotion = {"AP": 0.4, "RP": 0.2, "NRP": 0.3}
    both = evaluate(["a", "b"], TRUTH, graph=graph, promotion=promotion)
    assert both["promotion"] == promotion and both["n_graph_arcs"] == 1
    records = pd.DataFrame({"cohort": [0, 1], "NRP": [0.1, 0.2]})
    assert evaluate(["a"], TRUTH, promotion=records)["promotion"]["records"][1]["NRP"] == 0.2


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ParameterError, match="'a' appears more than once"):
        evaluate(["a", "a"], TRUTH)
    with pytest.raises(ParameterError, match="key 'path'"):
        evaluate({"order": []}, TRUTH)
    with pytest.raises(TraceFormatError, match="does not exist"):
        load_truth(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(TraceFormatError, match="not valid JSON"):
        load_truth(tmp_path / "bad.json")
    with pytest.raises(TraceFormatError, match="path file .* not valid JSON"):
        evaluate(str(tmp_path / "bad.json"), TRUTH)
    with pytest.raises(ParameterError, match="not a pair"):
        load_truth({"prerequisites": [["a", "b", "c"]]})
    with pytest.raises(ParameterError, match="promotion"):
        evaluate(["a"], TRUTH, promotion=3)


def test_truth_without_items_takes_them_from_the_arcs_and_the_order():
    # "c" is only in the true order, "z" only in an arc: both are items of the truth
    truth = load_truth({"prerequisites": [["a", "b"], ["b", "z"]], "true_order": ["a", "b", "c"]})
    assert truth["items"] == ["a", "b", "c", "z"]
    assert load_truth({"prerequisites": [["b", "a"]]})["items"] == ["a", "b"]
    assert load_truth({"true_order": ["c", "a"]})["items"] == ["a", "c"]
    assert evaluate(["a", "b"], {"prerequisites": [["a", "b"]], "true_order": ["a", "b", "c"]})[
        "coverage"] == pytest.approx(2 / 3)


def test_path_items_duck_types_an_items_attribute_and_iterates_a_series():
    from types import SimpleNamespace

    # an object carrying its items in a plain attribute (like Path, but not iterable itself)
    assert path_items(SimpleNamespace(items=["b", "a"])) == ["b", "a"]
    # a pandas Series has a callable .items(): its values are the ids, not the method
    assert path_items(pd.Series(["c", "a", "b"])) == ["c", "a", "b"]
    assert evaluate(pd.Series(["a", "b", "c", "d"]), TRUTH)["respect"] == 1.0


def test_a_self_loop_prerequisite_is_never_respected():
    # an item cannot come before itself: a truth arc (a, a) counts as a miss, not a hit
    assert respect(["a", "b"], [("a", "a")]) == 0.0
    assert respect(["a", "b"], [("a", "b"), ("b", "b")]) == 0.5


def test_graph_table_and_evaluate_report_the_closure_scores():
    from poem.ordering.evaluation import graph_table

    graph = nx.DiGraph([("a", "b"), ("a", "c"), ("c", "d")])  # a->c is implied by a->b->c
    row = graph_table({"g": graph}, TRUTH).iloc[0]
    assert row["precision"] == pytest.approx(1 / 3) and row["closure_precision"] == pytest.approx(2 / 3)
    scores = evaluate(graph, TRUTH)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["closure_precision"] == pytest.approx(2 / 3)
