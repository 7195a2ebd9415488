"""The prerequisite graph by contrast (poem.ordering.contrast): hand-checked small DAGs, invariants,
determinism, and the demo report's arrows against the demo's known prerequisites."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from poem.errors import NotFittedError, ParameterError
from poem.ordering.contrast import ContrastGraph, arcs_above, arcs_table, l1_logistic, sparse_logistic_graph
from poem.ordering.evaluation import graph_scores, graph_table
from poem.paths import prerequisite_graph
from poem.traces import Traces


def simulate(arcs, items, n_learners=600, seed=0, guess=0.1, slip=0.1, passes=3, hidden=False, spread=1.0):
    """Learners take the items in a random order, several passes; an attempt succeeds with 1 - slip when
    the item is known, else with the guess rate. Known: every prerequisite was passed before (first
    success = mastery); with ``hidden``, see :func:`simulate_hidden`. Passed items are not retaken."""
    rng = np.random.default_rng(seed)
    parents = {j: [a for a, b in arcs if b == j] for j in items}
    rows = []
    for k in range(n_learners):
        learn = 1.0 / (1.0 + np.exp(-(0.5 + spread * rng.normal()))) if hidden else 0.0
        mastered, passed, t = set(), set(), 0
        for _ in range(passes):
            for j in rng.permutation(items):
                if j in passed:
                    continue
                if hidden:
                    if all(p in mastered for p in parents[j]) and rng.random() < learn:
                        mastered.add(j)
                    known = j in mastered
                else:
                    known = all(p in passed for p in parents[j])
                ok = rng.random() < ((1 - slip) if known else guess)
                rows.append((f"u{k:04d}", str(j), t, float(ok)))
                t += 1
                if ok:
                    passed.add(j)
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="h", utc=True)
    return frame


def fit(frame, **params):
    return ContrastGraph(random_state=0, **params).fit(Traces.from_frame(frame))


@pytest.mark.parametrize("name, arcs, items", [
    ("chain", [("a", "b"), ("b", "c")], ["a", "b", "c", "d"]),
    ("fork", [("a", "b"), ("a", "c")], ["a", "b", "c", "d"]),
    ("collider", [("a", "c"), ("b", "c")], ["a", "b", "c", "d"]),
])
def test_small_dags_are_recovered_exactly(name, arcs, items):
    graph = fit(simulate(arcs, items)).graph_
    # the chain's indirect a -> c, the collider's a - b, and anything touching d (nobody needs it) are absent
    assert set(graph.edges) == set(arcs), name
    assert graph.degree("d") == 0
    assert set(graph.nodes) == set(items)


def test_collider_yields_no_arc_between_its_parents():
    est = fit(simulate([("a", "c"), ("b", "c")], ["a", "b", "c"], seed=3))
    codes = {x: k for k, x in enumerate(est.items_)}
    assert est.confidence_[codes["a"], codes["b"]] < 0.5 and est.confidence_[codes["b"], codes["a"]] < 0.5


def simulate_hidden(arcs, items, n_learners=1500, seed=0, guess=0.2, slip=0.1, passes=3, spread=1.0):
    """Hidden mastery (BKT-like): an attempt on an item whose prerequisites are all *mastered* teaches it
    with the learner's own learning rate (logistic of 0.5 + ``spread`` x a standard normal, so learners
    differ in strength); the score is a success with 1 - slip when the item is mastered and with the guess
    rate otherwise, so a guessed pass is passed without being mastered. Passed items are not retaken."""
    return simulate(arcs, items, n_learners, seed, guess, slip, passes, hidden=True, spread=spread)


@pytest.mark.parametrize("name, arcs", [
    ("chain", [("a", "b"), ("b", "c")]),
    ("fork", [("a", "b"), ("a", "c")]),
    ("collider", [("a", "c"), ("b", "c")]),
])
def test_small_dags_under_hidden_mastery_at_the_defaults(name, arcs):
    # guessed passes (a fifth of the attempts made without the prerequisites pass) and learners of unequal
    # strength, the level not held fixed: the chain gives no a -> c, the collider no arc between a and b,
    # d (nobody needs it) none
    est = fit(simulate_hidden(arcs, ["a", "b", "c", "d"]))
    assert set(est.graph_.edges) == set(arcs), name
    codes = {x: k for k, x in enumerate(est.items_)}
    if name == "collider":
        assert est.confidence_[codes["a"], codes["b"]] < 0.5 and est.confidence_[codes["b"], codes["a"]] < 0.5
    if name == "chain":
        assert est.confidence_[codes["a"], codes["c"]] < 0.5


def test_strong_learners_alone_draw_no_arc():
    # no prerequisites at all, learners' strengths far apart (a learning-rate logit spread of 2.5): strong
    # learners pass more items *and* pass them sooner, which must not read as a prerequisite now that the
    # level is not a covariate (the other mastered items and the order filter hold it)
    est = fit(simulate_hidden([], ["a", "b", "c", "d", "e", "f"], spread=2.5))
    assert est.graph_.number_of_edges() == 0
    assert est.confidence_.max() < 0.5


def random_dag(n, p, rng):
    order = rng.permutation(n)
    arcs = [(f"i{order[a]}", f"i{order[b]}") for a in range(n) for b in range(a + 1, min(n, a + 4))
            if rng.random() < p]
    return arcs, [f"i{k}" for k in range(n)]


@pytest.mark.parametrize("seed", [0, 1])
def test_invariants_on_random_dags(seed):
    rng = np.random.default_rng(seed)
    arcs, items = random_dag(12, 0.5, rng)
    est = fit(simulate(arcs, items, n_learners=300, seed=seed), min_confidence=0.0, min_strength=0.0)
    graph = est.graph_
    assert nx.is_directed_acyclic_graph(graph)
    assert not any(graph.has_edge(v, u) for u, v in graph.edges)
    assert np.all((est.confidence_ >= 0) & (est.confidence_ <= 1))
    assert np.all(np.diag(est.strength_) == 0) and np.all(est.support_ >= 0)
    for u, v, d in graph.edges(data=True):
        assert d["strength"] > 0 and 0 < d["confidence"] <= 1 and d["support"] >= 10
    # the default thresholds keep a subset of the permissive graph
    assert set(est.to_graph(0.8, 0.5).edges) <= set(graph.edges)


def test_defaults_are_precise_on_a_random_dag():
    rng = np.random.default_rng(5)
    arcs, items = random_dag(15, 0.5, rng)
    graph = fit(simulate(arcs, items, n_learners=800, seed=5)).graph_
    scores = graph_scores(graph, {"prerequisites": [list(a) for a in arcs]})
    assert scores["precision"] >= 0.9 and scores["recall"] >= 0.6


def test_same_seed_same_graph_whatever_the_row_order():
    frame = simulate([("a", "b"), ("b", "c")], ["a", "b", "c", "d"], n_learners=200, seed=2)
    one = fit(frame)
    two = fit(frame.sample(frac=1.0, random_state=7))
    assert np.array_equal(one.confidence_, two.confidence_)
    assert np.allclose(one.strength_, two.strength_)
    assert arcs_table(one.graph_).equals(arcs_table(two.graph_))


def test_sparse_logistic_floor_and_graph_table():
    arcs = [("a", "b"), ("b", "c")]
    traces = Traces.from_frame(simulate(arcs, ["a", "b", "c", "d"], n_learners=300))
    floor = sparse_logistic_graph(traces)
    assert set(arcs) <= set(floor.edges)          # the floor finds the arcs, with extra ones allowed
    table = graph_table({"floor": floor, "contrast": prerequisite_graph(None, traces=traces)},
                        {"prerequisites": [list(a) for a in arcs]})
    assert table["method"].tolist() == ["floor", "contrast"]
    assert table.loc[1, "precision"] == 1.0 and table.loc[1, "closure_precision"] == 1.0


def test_l1_logistic_recovers_a_sparse_signal():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(3000, 6)).astype(float)
    y = (rng.random(3000) < np.where(X[:, 2] > 0, 0.85, 0.15)).astype(float)
    coef, _ = l1_logistic(X, y, lam=0.02)
    assert coef[2] > 2 and np.count_nonzero(np.abs(coef) > 0.1) == 1
    coef_big, _ = l1_logistic(X, y, lam=10.0)
    assert np.all(coef_big == 0)


def test_bad_parameters_and_unfitted():
    with pytest.raises(ParameterError, match="min_confidence"):
        ContrastGraph(min_confidence=2).fit(Traces.from_frame(simulate([], ["a", "b"], n_learners=5)))
    with pytest.raises(ParameterError, match="Traces"):
        ContrastGraph().fit(pd.DataFrame())
    with pytest.raises(NotFittedError):
        ContrastGraph().to_graph()
    with pytest.raises(ParameterError, match="traces"):
        prerequisite_graph(object())
    with pytest.raises(ParameterError, match="graph method"):
        prerequisite_graph(object(), method="magic")


def test_demo_report_arrows_and_disagreements_against_the_truth(repo_dir):
    """What the demo report draws and lists, checked against data/demo/truth.json: every arrow and every
    syllabus disagreement must be a real prerequisite (direct or indirect) at least 9 times in 10."""
    from poem.io import read_traces
    from poem.ordering.evaluation import load_truth
    from poem.report import data as rd

    demo = repo_dir / "data" / "demo"
    traces = read_traces(demo / "traces.csv", catalog=str(demo / "catalog.csv"))
    truth = load_truth(demo / "truth.json")
    # the report notebook's defaults: graph_confidence 0.8, graph_resamples 50, seed 0
    graph = prerequisite_graph(None, traces=traces, min_confidence=0.8, n_resamples=50, rng=0)
    closure = nx.transitive_closure_dag(nx.DiGraph(truth["prerequisites"]))
    arrows = list(graph.edges)
    assert len(arrows) >= 8
    assert sum(closure.has_edge(a, b) for a, b in arrows) / len(arrows) >= 0.9
    assert graph_scores(graph, truth)["precision"] >= 0.9          # direct arcs only
    disagree = rd.syllabus_disagreements(graph, traces.item_info)
    pairs = list(zip(disagree["prerequisite"], disagree["item"]))
    assert pairs and sum(closure.has_edge(a, b) for a, b in pairs) / len(pairs) >= 0.9
    assert disagree["confidence"].min() >= 0.8


def test_trust_says_high_only_when_every_measured_claim_holds():
    from poem.report import data as rd

    class Colony:
        item_learners_ = np.array([10, 10])

    class Tr:
        n_learners, n_events, n_items, score = 300, 4, 2, np.array([1.0, 0.0, 1.0, 0.0])

    class P:
        steps = pd.DataFrame({"support": [50.0, 40.0], "evidence_for": [0.0, 3.2]})

    stable = pd.DataFrame({"tau": [0.9, 0.95]})
    good_graph = pd.DataFrame({"reproduced": [0.9, 0.95]})
    good_success = {"auc": 0.8, "baseline_auc": 0.7, "n": 500}
    assert rd.trust_summary(Tr, Colony, P, stable, graph_stability=good_graph, success=good_success)["level"] == "high"
    cases = [(pd.DataFrame({"reproduced": [0.5, 0.6]}), good_success, "graph_unstable"),
             (pd.DataFrame({"reproduced": [np.nan]}), good_success, "graph_stability_unknown"),
             (good_graph, {"auc": 0.6, "baseline_auc": 0.55, "n": 500}, "success_weak"),
             (good_graph, {"auc": 0.7, "baseline_auc": 0.75, "n": 500}, "success_weak"),
             (good_graph, {"auc": np.nan, "baseline_auc": np.nan, "n": 0}, "success_unknown")]
    for graph_check, success, reason in cases:
        summary = rd.trust_summary(Tr, Colony, P, stable, graph_stability=graph_check, success=success)
        assert summary["level"] != "high" and reason in summary["reasons"], reason


def test_graph_stability_and_success_accuracy_on_a_clear_course():
    from poem.report import data as rd

    traces = Traces.from_frame(simulate([("a", "b"), ("b", "c")], ["a", "b", "c", "d"], n_learners=400, seed=4))
    graph = prerequisite_graph(None, traces=traces)
    table = rd.graph_stability(traces, graph, seeds=[1, 2])
    assert table["seed"].tolist() == [1, 2] and table["reproduced"].between(0, 1).all()
    assert table["reproduced"].mean() >= 0.5
    success = rd.success_accuracy(traces, max_attempts=300)
    assert 0 < success["n"] <= 300
    assert 0.5 < success["auc"] <= 1 and 0 <= success["baseline_auc"] <= 1
    with pytest.raises(ParameterError, match="sample"):
        rd.graph_stability(traces, graph, sample=0)
    with pytest.raises(ParameterError, match="split"):
        rd.success_accuracy(traces, split=1.5)


@pytest.mark.parametrize("module", ["poem.ordering.contrast", "poem.simulation.scenarios", "poem.cli.graph",
                                    "poem.ordering.evaluation"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_scenario_family_is_varied_and_seeded():
    from poem.simulation.scenarios import GRAPH_KINDS, LEARNER_MODELS, SCENARIOS, simulate_scenario

    assert {s.learner_model for s in SCENARIOS} == set(LEARNER_MODELS)
    assert {s.graph for s in SCENARIOS} == set(GRAPH_KINDS)
    assert {300, 1000, 5000} <= {s.n_learners for s in SCENARIOS}
    assert len({s.follow_share for s in SCENARIOS}) >= 2 and len(SCENARIOS) >= 8
    for model in LEARNER_MODELS:
        a, truth = simulate_scenario("wide", model, n_learners=40, n_items=16, seed=3)
        b, _ = simulate_scenario("wide", model, n_learners=40, n_items=16, seed=3)
        assert a.equals(b) and set(a["item"]) <= set(truth["items"])
        assert nx.is_directed_acyclic_graph(nx.DiGraph(truth["prerequisites"]))
        # learners never retake an item they passed
        passed = a[a["score"] == 1.0]
        assert not passed.duplicated(["learner", "item"]).any()
    with pytest.raises(ParameterError, match="learner model"):
        simulate_scenario(learner_model="psychic")


def test_scenario_hidden_mastery_changes_nothing_else():
    # the hidden column is for oracle measurements (benchmarks/proto_gated_bkt.py): it must not move a draw
    from poem.simulation.scenarios import LEARNER_MODELS, simulate_scenario

    for model in LEARNER_MODELS:
        plain, truth = simulate_scenario("local", model, n_learners=60, n_items=20, seed=5)
        seen, truth_seen = simulate_scenario("local", model, n_learners=60, n_items=20, seed=5, hidden=True)
        hidden = seen.pop("mastered")
        assert plain.equals(seen) and truth == truth_seen and hidden.dtype == bool
        passed = seen["score"] == 1.0
        if model in ("first_success", "soft"):
            # mastery is the first success: no pass without it
            assert hidden[passed].all()
        else:
            # hidden mastery with guess and slip: some passes are guesses, some failures slips
            assert (~hidden[passed]).any() and (hidden[~passed]).any()
        if model != "forgetting":
            # mastery is never lost: along a learner's attempts at an item it only switches on
            flips = hidden.astype(int).groupby([seen["learner"], seen["item"]]).diff().dropna()
            assert (flips >= 0).all()


def _gate_breaches(frame, silent, arcs):
    """Moments a replay of hidden mastery (attempts' ``mastered`` flags, then ``silent`` gains) sees an
    item mastered before all its true prerequisites: none where mastery needs every parent."""
    parents = {}
    for a, b in arcs:
        parents.setdefault(b, set()).add(a)
    moves = pd.concat([frame.assign(kind=0), silent.assign(kind=1, mastered=True)], ignore_index=True)
    breaches = 0
    for _, trail in moves.sort_values(["learner", "timestamp", "kind"], kind="stable").groupby("learner"):
        held = set()
        for item, mastered in zip(trail["item"], trail["mastered"]):
            if mastered and item not in held:
                breaches += not parents.get(item, set()) <= held
                held.add(item)
    return breaches


def test_scenario_silent_mastery_completes_the_hard_gate():
    # under bkt an item is learnt only once every prerequisite is mastered; the restudy after a failure
    # masters passed prerequisites without an attempt on them, which only attrs["silent_mastery"] shows
    from poem.simulation.scenarios import simulate_scenario

    frame, truth = simulate_scenario("local", "bkt", n_learners=120, n_items=20, seed=5, hidden=True)
    silent = frame.attrs["silent_mastery"]
    assert list(silent.columns) == ["learner", "item", "timestamp"] and len(silent) > 0
    assert not silent.duplicated(["learner", "item"]).any()
    assert set(silent["learner"]) <= set(frame["learner"]) and set(silent["item"]) <= set(truth["items"])
    assert _gate_breaches(frame, silent, truth["prerequisites"]) == 0
    # without the silent gains, the same replay sees the gate broken
    assert _gate_breaches(frame, silent.iloc[:0], truth["prerequisites"]) > 0
    # models with no restudy have none
    first, _ = simulate_scenario("local", "first_success", n_learners=40, n_items=12, seed=5, hidden=True)
    assert first.attrs["silent_mastery"].empty


def test_order_share_by_hand():
    from poem.ordering.contrast import _NEVER, _order_share
    # first-success event index per learner (rows) and item (columns a, b, j)
    never = _NEVER
    first = np.array([[0, 5, 3],          # a before j, b after j
                      [1, never, 4],      # a before j, b never
                      [9, 2, 6],          # a after j, b before j
                      [0, 1, never]],     # j never mastered: not counted
                     dtype=np.int32)
    share = _order_share(first, 2, np.array([0, 1]), min_both=1)
    assert share == pytest.approx([2 / 3, 1 / 2])
    # too few learners mastered both: no evidence against the order
    assert _order_share(first, 2, np.array([0, 1]), min_both=3) == pytest.approx([2 / 3, 1.0])
    # one learner mastered both (learner 0: a at 0, j at 3): the share is that learner's, 1
    assert _order_share(first[[0, 3]], 2, np.array([0]), min_both=1) == pytest.approx([1.0])
    assert _order_share(first[[2, 3]], 2, np.array([0]), min_both=1) == pytest.approx([0.0])


def test_an_item_mastered_mostly_after_the_target_is_not_its_prerequisite():
    """Strong learners happen to take i before j and pass j at once; most learners pass j without i,
    after failing a few times, and take i afterwards. Success on j is higher with i mastered (a contrast
    by confounding), but i is mastered *after* j by 70 % of those who master both: the order filter
    keeps the false arc out; without it (``min_order=0``) it is drawn."""
    rng = np.random.default_rng(3)
    rows = []
    for k in range(800):
        t = 0
        if rng.random() < 0.3:           # strong: i, then j at once
            seq = [("i", 1.0), ("j", 1.0)]
        else:                             # the others: j after a few failures, then i
            seq = [("j", 0.0)] * int(rng.integers(1, 4)) + [("j", 1.0), ("i", 1.0)]
        for item, ok in seq:
            rows.append((f"u{k:04d}", item, t, ok))
            t += 1
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="h", utc=True)
    assert ("i", "j") in fit(frame, min_order=0.0, level=False).graph_.edges
    assert ("i", "j") not in fit(frame, level=False).graph_.edges
    # the floor is the plain model: no order filter
    assert ("i", "j") in sparse_logistic_graph(Traces.from_frame(frame)).edges


def test_min_order_is_validated():
    with pytest.raises(ParameterError, match="min_order"):
        ContrastGraph(min_order=1.5).fit(Traces.from_frame(simulate([("a", "b")], ["a", "b"], n_learners=20)))


def test_build_graph_keeps_an_arc_whose_reverse_was_not_kept_even_if_more_confident():
    from poem.ordering.contrast import _build_graph

    keep = np.array([[False, True], [False, False]])
    confidence = np.array([[0.0, 0.8], [0.9, 0.0]])      # b->a more confident, but not kept (too weak)
    strength = np.array([[0.0, 1.0], [0.2, 0.0]])
    g = _build_graph(["a", "b"], keep, strength, confidence, np.ones((2, 2), int), acyclic=True)
    assert list(g.edges) == [("a", "b")]


def test_build_graph_breaks_a_cycle_at_its_least_confident_arc():
    from poem.ordering.contrast import _build_graph

    keep = np.zeros((3, 3), bool)
    keep[0, 1] = keep[1, 2] = keep[2, 0] = True            # a -> b -> c -> a
    confidence = np.zeros((3, 3))
    confidence[0, 1], confidence[1, 2], confidence[2, 0] = 0.9, 0.8, 0.7
    g = _build_graph(["a", "b", "c"], keep, np.ones((3, 3)), confidence, np.ones((3, 3), int), acyclic=True)
    assert sorted(g.edges) == [("a", "b"), ("b", "c")] and nx.is_directed_acyclic_graph(g)


def test_l1_logistic_returns_one_coefficient_per_feature():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    y = (X[:, 0] + rng.normal(size=50) > 0).astype(float)
    beta, b0 = l1_logistic(X, y, lam=0.01)
    assert beta.shape == (3,) and beta[0] > 0.5 and np.isfinite(b0)


def test_floor_keeps_every_positive_coefficient_by_default():
    # a weak dependency (guess 0.5, slip 0.3): the plain floor still draws both arcs, coefficients below 1
    traces = Traces.from_frame(simulate([("a", "b"), ("b", "c")], ["a", "b", "c", "d"], n_learners=300,
                                        guess=0.5, slip=0.3))
    floor = sparse_logistic_graph(traces)
    assert {("a", "b"), ("b", "c")} <= set(floor.edges)
    assert min(d["strength"] for _, _, d in floor.edges(data=True)) < 1.0
    # no resampling behind the floor: each arc's confidence is 1, however weak the arc (one is about 0.5
    # here: a refit on half of the learners could well fall below min_strength)
    assert all(d["confidence"] == 1.0 for _, _, d in floor.edges(data=True))


def test_to_graph_keeps_an_arc_at_exactly_the_confidence_threshold():
    est = fit(simulate([("a", "b")], ["a", "b", "c"], n_learners=300))
    c = est.graph_.edges["a", "b"]["confidence"]
    assert c > 0 and ("a", "b") in est.to_graph(min_confidence=c).edges


def test_max_candidates_zero_is_refused():
    with pytest.raises(ParameterError, match="max_candidates"):
        ContrastGraph(max_candidates=0).fit(Traces.from_frame(simulate([("a", "b")], ["a", "b"], n_learners=20)))


@pytest.mark.parametrize("kw", [dict(mastery=1.5), dict(mastery=-0.1), dict(n_resamples=2.5),
                                dict(n_resamples=-1), dict(min_support=0), dict(need=0), dict(alpha=-1.0)])
def test_each_bad_parameter_is_named(kw):
    traces = Traces.from_frame(simulate([], ["a", "b"], n_learners=5))
    with pytest.raises(ParameterError, match=list(kw)[0]):
        ContrastGraph(**kw).fit(traces)


def test_screen_and_support_by_hand():
    from poem.ordering.contrast import _screen, _support

    # column 0: 5 attempts with i mastered (3 passed), 5 without (1 passed): r1 = 3.5/6, r0 = 1.5/6,
    # rbar = 5/12, z = (r1 - r0) / sqrt(rbar (1 - rbar) (1/6 + 1/6)) = 1.17 > 1: kept.
    # column 1: 3 of 5 with, 2 of 5 without: z = (3.5/6 - 2.5/6) / sqrt(1/4 * 1/3) = 0.58: dropped
    X = np.zeros((10, 2), dtype=bool)
    X[:5, 0] = True
    X[:5, 1] = True
    y0 = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0], float)
    assert _screen(X[:, :1], y0, np.array([0]), 5).tolist() == [0]
    y1 = np.array([1, 1, 1, 0, 0, 1, 1, 0, 0, 0], float)
    assert _screen(X[:, 1:], y1, np.array([0]), 5).tolist() == []
    # support: learners 0 (rows 0-2) and 1 (rows 3-9): who had an attempt with / without each item mastered
    with_, without = _support(X, np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1]), 2)
    assert with_.tolist() == [2, 2] and without.tolist() == [1, 1]
    with_, without = _support(np.zeros((0, 3), dtype=bool), np.zeros(0, np.int64), 0)   # an item nobody tried
    assert with_.tolist() == [0, 0, 0] and without.tolist() == [0, 0, 0]


def test_the_floor_keeps_opposite_arcs():
    # able learners pass both items whatever the order, the others fail both: each item's success rises
    # with the other mastered before it. The floor (no acyclicity, by design) keeps both arcs; the
    # estimator with acyclic=True keeps one (the order filter off: each order is taken by half the learners)
    rows = []
    for k in range(80):
        first, second = ("a", "b") if k % 2 else ("b", "a")
        ok = float(k < 40)
        rows += [(f"u{k:03d}", first, 2 * k, ok), (f"u{k:03d}", second, 2 * k + 1, ok)]
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="h", utc=True)
    traces = Traces.from_frame(frame)
    floor = sparse_logistic_graph(traces)
    assert set(floor.edges) == {("a", "b"), ("b", "a")}
    one = ContrastGraph(acyclic=True, n_resamples=0, min_confidence=0.0, level=False,
                        min_order=0.0).fit(traces).to_graph()
    assert one.number_of_edges() == 1


def test_l1_logistic_row_weights_zero_means_absent():
    rng = np.random.default_rng(0)
    X = rng.random((80, 3))
    y = (rng.random(80) < 1 / (1 + np.exp(-(3 * X[:, 0] - 1.5)))).astype(float)
    w = np.ones(80)
    w[:30] = 0.0
    beta_w, b0_w = l1_logistic(X, y, lam=0.01, weights=w)
    beta_s, b0_s = l1_logistic(X[30:], y[30:], lam=0.01)
    np.testing.assert_allclose(beta_w, beta_s, atol=1e-6)
    assert b0_w == pytest.approx(b0_s, abs=1e-6) and beta_w[0] > 0
    # no row at all: nothing to fit, everything stays at 0 (not NaN)
    beta, b0 = l1_logistic(X, y, lam=0.01, weights=np.zeros(80))
    assert beta.tolist() == [0.0, 0.0, 0.0] and b0 == 0.0


_M64 = (1 << 64) - 1


def _splitmix64_finaliser(z):
    """splitmix64's output function on a Python int (a reference written from the published algorithm)."""
    z = (z + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def test_learner_split_is_the_documented_keyed_hash():
    import hashlib

    from poem.ordering.contrast import _mix64, learner_split

    # the published first output of splitmix64 seeded with 0 anchors the reference
    assert _splitmix64_finaliser(0) == 0xE220A8397B1DCDAF
    z = np.array([0, 1, 2 ** 63, _M64], dtype=np.uint64)
    with np.errstate(over="ignore"):
        assert _mix64(z).tolist() == [_splitmix64_finaliser(int(v)) for v in z.tolist()]
    # the halves and the priorities of the docstring, from a plain-Python reference of the hash
    ids = ["u1", "u2", "ann", 7, "éva"]
    halves, priority = learner_split(ids, 3, random_state=5)
    seed = int(np.random.default_rng(5).integers(0, 2 ** 63 - 1)).to_bytes(8, "little")
    for k, x in enumerate(ids):
        key = int.from_bytes(hashlib.blake2b(str(x).encode(), digest_size=8, key=seed).digest(), "little")
        for b in range(3):
            top = _splitmix64_finaliser((key + (2 * b + 1) * 0x9E3779B97F4A7C15) & _M64) >> 63
            assert bool(halves[b, k]) == (top == 1), (b, x)
        assert priority[k] == (_splitmix64_finaliser(key ^ 0x5851F42D4C957F2D) >> 11) * 2.0 ** -53
    # and the halves are halves: about half of 4000 learners in each
    many, _ = learner_split([f"u{k}" for k in range(4000)], 4, random_state=0)
    assert np.all(np.abs(many.mean(axis=1) - 0.5) < 0.03)


def test_contrast_defaults_are_the_documented_ones():
    est = ContrastGraph()
    assert (est.alpha, est.n_resamples, est.min_confidence, est.min_support, est.min_strength, est.mastery,
            est.need, est.min_order) == (0.4, 50, 0.7, 20, 0.5, 0.5, 1, 0.6)
    assert (est.level, est.acyclic, est.max_candidates, est.max_learners, est.random_state) == \
        (False, True, 40, 5000, 0)


def _contrast_frame(groups):
    """Learners given as (has_a, b_outcome): with a mastered first (a passed, then one attempt on b) or not
    (one attempt on b only)."""
    rows = []
    for k, (has_a, ok) in enumerate(groups):
        if has_a:
            rows.append((f"u{k:03d}", "a", 2 * k, 1.0))
        rows.append((f"u{k:03d}", "b", 2 * k + 1, float(ok)))
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="h", utc=True)
    return frame


def test_min_support_boundary_and_the_strength_by_hand():
    # 20 learners attempt b with a mastered (16 pass), 20 without (4 pass): exactly min_support = 20 on each
    # side of the contrast. Unpenalised (alpha 0), no level covariate: the coefficient is the log odds ratio
    # ln(16/4) - ln(4/16) = 2 ln 4
    groups = [(True, k < 16) for k in range(20)] + [(False, k < 4) for k in range(20)]
    traces = Traces.from_frame(_contrast_frame(groups))
    kw = dict(alpha=0.0, level=False, n_resamples=0, min_order=0.0, random_state=0)
    at = ContrastGraph(min_support=20, **kw).fit(traces)
    a, b = list(at.items_).index("a"), list(at.items_).index("b")
    assert at.support_[a, b] == 20
    assert at.strength_[a, b] == pytest.approx(2 * np.log(4), abs=1e-3)
    assert list(at.graph_.edges) == [("a", "b")]
    # one learner short on either side: no contrast is drawn
    above = ContrastGraph(min_support=21, **kw).fit(traces)
    assert above.strength_[a, b] == 0.0 and above.graph_.number_of_edges() == 0


def test_learner_cap_keeps_exactly_max_learners_of_lowest_priority(monkeypatch):
    import poem.ordering.contrast as contrast

    # 10 learners; the even ones pass a then attempt b, the odd ones attempt b only; b passed by 0, 3, 8, 9
    groups = [(k % 2 == 0, k in (0, 3, 8, 9)) for k in range(10)]
    traces = Traces.from_frame(_contrast_frame(groups))
    # priorities fixed: the 4 lowest are learners 0, 3, 4, 7 (the fifth lowest, 8, sets the cut)
    prio = np.array([0.05, 0.9, 0.8, 0.1, 0.2, 0.95, 0.85, 0.3, 0.4, 0.6])
    real = contrast.learner_split
    monkeypatch.setattr(contrast, "learner_split", lambda ids, b, rs: (real(ids, b, rs)[0], prio))
    seen = []
    real_screen = contrast._screen

    def spy(X, y, cols, k):
        seen.append((X.copy(), y.copy()))
        return real_screen(X, y, cols, k)

    monkeypatch.setattr(contrast, "_screen", spy)
    est = ContrastGraph(max_learners=4, min_support=1, min_order=0.0, n_resamples=0, level=False).fit(traces)
    a = list(est.items_).index("a")
    (X, y), = seen   # only b has a contrast to fit (a is always passed)
    # rows of learners 0, 3, 4, 7, in learner order: a mastered for 0 and 4; b passed by 0 and 3
    assert X[:, a].tolist() == [True, False, True, False] and y.tolist() == [1.0, 1.0, 0.0, 0.0]
    # the support still counts every learner
    assert est.support_[a, list(est.items_).index("b")] == 5


def test_level_covariate_is_the_laplace_smoothed_rate_on_the_other_items():
    from poem.ordering.contrast import _Design

    # u: a failed then passed, c passed, then b failed then passed. For b's rows (both attempts, up to
    # the first success) a and c are mastered, and u's level leaves b out: 2 successes in 3 attempts,
    # smoothed (2 + 1) / (3 + 2) = 0.6, logit ln 1.5
    frame = pd.DataFrame({"learner": "u", "item": ["a", "a", "c", "b", "b"], "score": [0.0, 1.0, 1.0, 0.0, 1.0],
                          "timestamp": pd.to_datetime(range(5), unit="h", utc=True)})
    t = Traces.from_frame(frame)
    design = _Design(t.learner, t.item, t.score, t.trail_bounds(), t.n_items, 0.5, 1)
    X, y, lrn, level = design.rows(list(t.items).index("b"))
    assert y.tolist() == [0.0, 1.0] and lrn.tolist() == [0, 0]
    assert X.tolist() == [[True, False, True], [True, False, True]]    # items a, b, c
    np.testing.assert_allclose(level, [np.log(1.5)] * 2)


def test_l1_logistic_weights_are_relative_and_vanishing_weights_are_none():
    rng = np.random.default_rng(1)
    X = rng.random((60, 2))
    y = (rng.random(60) < 1 / (1 + np.exp(-(3 * X[:, 0] - 1.5)))).astype(float)
    base = l1_logistic(X, y, lam=0.01)
    tiny = l1_logistic(X, y, lam=0.01, weights=np.full(60, 1e-300))
    np.testing.assert_allclose(tiny[0], base[0], atol=1e-9)
    assert tiny[1] == pytest.approx(base[1], abs=1e-9)
    # weights that vanish in floating point (subnormal: their share of each row's curvature rounds to 0)
    # are zero weights: no data, the zero fit, never NaN
    coef, b0 = l1_logistic(X, y, lam=0.01, weights=np.full(60, 5e-324))
    assert coef.tolist() == [0.0, 0.0] and b0 == 0.0


def test_confidence_counts_refits_that_exceed_min_strength_strictly():
    # a penalty so large that every coefficient is exactly 0, on the full data and in every half: with
    # min_strength 0 no refit *exceeds* it, so every confidence is 0 (a zero coefficient draws no arc)
    groups = [(True, k < 16) for k in range(20)] + [(False, k < 4) for k in range(20)]
    est = ContrastGraph(alpha=1e3, min_strength=0.0, n_resamples=4, level=False, min_order=0.0,
                        min_support=1, random_state=0).fit(Traces.from_frame(_contrast_frame(groups)))
    assert not est.strength_.any() and not est.confidence_.any() and est.graph_.number_of_edges() == 0


def test_the_floor_draws_no_arc_where_the_coefficient_is_zero():
    # arcs where the coefficient *exceeds* min_coef (0): a penalty that zeroes every coefficient draws none,
    # and on a chain every drawn arc has a positive coefficient (item d, needed by nobody, gets none)
    traces = Traces.from_frame(simulate([("a", "b"), ("b", "c")], ["a", "b", "c", "d"], n_learners=300))
    assert sparse_logistic_graph(traces, alpha=1e3).number_of_edges() == 0
    floor = sparse_logistic_graph(traces)
    assert floor.number_of_edges() > 0 and all(d["strength"] > 0 for _, _, d in floor.edges(data=True))
    # no resampling in the floor: every arc's confidence is 1
    assert all(d["confidence"] == 1.0 for _, _, d in floor.edges(data=True))
    # a stricter floor keeps exactly the arcs of the plain one whose coefficient exceeds its threshold
    strict = sparse_logistic_graph(traces, min_coef=0.5)
    assert set(strict.edges) == {(u, v) for u, v, d in floor.edges(data=True) if d["strength"] > 0.5}
    # ... which is what cutting the plain floor gives without fitting it again (every item, every attribute)
    weakest = min(d["strength"] for _, _, d in floor.edges(data=True))
    for cut in (0.0, 0.5, weakest):
        refit, cut_floor = sparse_logistic_graph(traces, min_coef=cut), arcs_above(floor, cut)
        assert set(refit.nodes) == set(cut_floor.nodes) == {"a", "b", "c", "d"}
        assert dict(refit.edges.items()) == dict(cut_floor.edges.items())
    # at the weakest arc's strength that arc goes (strictly above is kept)
    assert arcs_above(floor, weakest).number_of_edges() == floor.number_of_edges() - 1


def test_floor_documented_defaults():
    import inspect

    params = inspect.signature(sparse_logistic_graph).parameters
    assert {k: params[k].default for k in ("alpha", "min_coef", "min_support", "mastery", "need")} == \
        {"alpha": 1.0, "min_coef": 0.0, "min_support": 10, "mastery": 0.5, "need": 1}


@pytest.mark.parametrize("kw", [dict(min_confidence=1.0), dict(min_confidence=0.0), dict(mastery=1.0),
                                dict(mastery=0.0), dict(min_order=1.0), dict(min_order=0.0), dict(max_learners=1),
                                dict(max_candidates=1), dict(min_support=1), dict(need=1), dict(alpha=0.0),
                                dict(min_strength=0.0), dict(n_resamples=0)])
def test_each_parameter_boundary_is_accepted(kw):
    # the ends of each documented range are valid values: the fit runs
    traces = Traces.from_frame(simulate([("a", "b")], ["a", "b"], n_learners=30))
    est = ContrastGraph(**kw).fit(traces)
    assert est.strength_.shape == (2, 2)


def test_too_many_events_error_names_the_real_limit(monkeypatch):
    import poem.ordering.contrast as contrast

    # events are indexed in int32 with _NEVER as "never mastered": at most _NEVER - 1 events. With the
    # sentinel lowered to 5 for the test, 5 events are refused, the message naming 4 as the limit
    monkeypatch.setattr(contrast, "_NEVER", 5)
    traces = Traces.from_frame(simulate([], ["a"], n_learners=5, passes=1))
    assert traces.n_events == 5
    with pytest.raises(ParameterError, match="handles up to 4 events; got 5"):
        ContrastGraph().fit(traces)


def test_screen_drops_a_contrast_within_one_standard_error_by_hand():
    from poem.ordering.contrast import _screen

    # 2 attempts with i mastered (1 passed), 2 without (none passed): r1 = 1.5 / 3 = 0.5, r0 = 0.5 / 3,
    # rbar = 2 / 6, se = sqrt(1/3 * 2/3 * (1/3 + 1/3)) = 0.385, z = (1/3) / 0.385 = 0.87 <= 1: dropped.
    # With i passed twice: r1 = 2.5 / 3, rbar = 3 / 6, z = (2/3) / sqrt(1/4 * 2/3) = 1.63: kept
    X = np.array([[True], [True], [False], [False]])
    assert _screen(X, np.array([1.0, 0.0, 0.0, 0.0]), np.array([0]), 5).tolist() == []
    assert _screen(X, np.array([1.0, 1.0, 0.0, 0.0]), np.array([0]), 5).tolist() == [0]


def test_without_resampling_confidence_is_one_only_for_positive_coefficients():
    # n_resamples 0: confidence 1 where the full-data coefficient is positive, 0 where it is 0 (all here:
    # a penalty that zeroes every coefficient), and no arc
    groups = [(True, k < 16) for k in range(20)] + [(False, k < 4) for k in range(20)]
    est = ContrastGraph(alpha=1e3, n_resamples=0, level=False, min_order=0.0, min_support=1, min_confidence=0.0,
                        min_strength=0.0).fit(Traces.from_frame(_contrast_frame(groups)))
    assert not est.confidence_.any() and est.graph_.number_of_edges() == 0
    with pytest.raises(ParameterError, match="min_confidence"):
        est.to_graph(min_confidence=1.5)
    assert est.to_graph(min_confidence=1.0).number_of_edges() == 0


def test_support_is_needed_on_both_sides_of_the_contrast():
    # 30 learners attempt b with a mastered (24 pass), 20 without (4 pass): with min_support 21 only one
    # side has enough learners, so a is no candidate for b; with 20 both do and the arc is drawn
    groups = [(True, k < 24) for k in range(30)] + [(False, k < 4) for k in range(20)]
    traces = Traces.from_frame(_contrast_frame(groups))
    kw = dict(level=False, n_resamples=0, min_order=0.0, random_state=0)
    assert not ContrastGraph(min_support=21, **kw).fit(traces).strength_.any()
    assert list(ContrastGraph(min_support=20, **kw).fit(traces).graph_.edges) == [("a", "b")]
