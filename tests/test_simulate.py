"""Tests of the open-loop course simulator (poem.simulation / poem.simulation)."""

import json
import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from poem.errors import ParameterError, TraceFormatError
from poem.simulation import (Population, junyi_graph, make_course, random_prerequisite_dag, read_edge_list,
                           simulate_course)


@pytest.fixture(scope="module")
def sim():
    return simulate_course(n_items=40, n_learners=600, seed=11)


def test_same_seed_same_course_and_traces():
    a = simulate_course(n_items=15, n_learners=80, seed=4)
    b = simulate_course(n_items=15, n_learners=80, seed=4)
    c = simulate_course(n_items=15, n_learners=80, seed=5)
    assert a.truth == b.truth
    pd.testing.assert_frame_equal(a.traces, b.traces)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    assert a.truth != c.truth


def test_written_files_have_the_benchmark_format(sim, tmp_path):
    sim.write(tmp_path, catalog=True)
    traces = pd.read_csv(tmp_path / "traces.csv")
    outcomes = pd.read_csv(tmp_path / "outcomes.csv")
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert list(traces.columns) == ["learner", "item", "timestamp", "score"]
    assert list(outcomes.columns) == ["learner", "outcome"]
    assert sorted(truth) == ["items", "prerequisites", "true_order"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00", t) for t in traces["timestamp"].head(200))
    assert set(traces["score"].unique()) <= {0.0, 1.0}
    # rows are shuffled, as in the benchmark: not in time order
    stamps = pd.to_datetime(traces["timestamp"], utc=True)
    assert not stamps.is_monotonic_increasing
    # round trip: same events, same learners, same items as the in-memory frames
    assert len(traces) == len(sim.traces)
    assert set(traces["learner"]) == set(outcomes["learner"]) == set(sim.outcomes["learner"])
    assert set(truth["items"]) == set(sim.course.items)
    np.testing.assert_allclose(np.sort(outcomes["outcome"]), np.sort(sim.outcomes["outcome"]))
    back = traces.assign(timestamp=stamps).sort_values(["learner", "timestamp"], kind="stable")
    assert back["score"].sum() == sim.traces["score"].sum()
    catalog = pd.read_csv(tmp_path / "catalog.csv")
    assert list(catalog.columns) == ["item", "title", "kind", "position"]
    assert sorted(catalog["item"]) == sorted(truth["items"])


def test_headers_match_the_public_benchmark(sim, tmp_path, benchmark_course):
    bench = benchmark_course("course-a")
    sim.write(tmp_path)
    for name in ("traces.csv", "outcomes.csv"):
        assert (tmp_path / name).read_text().splitlines()[0] == (bench / name).read_text().splitlines()[0]
    ours = pd.read_csv(tmp_path / "traces.csv")
    theirs = pd.read_csv(bench / "traces.csv", nrows=50)
    assert ours.dtypes.astype(str).tolist() == theirs.dtypes.astype(str).tolist()
    assert sorted(json.loads((bench / "truth.json").read_text())) == sorted(sim.truth)


def test_prerequisite_gating_is_exact(sim):
    ev = sim.events
    learned = ev["after"] & ~ev["before"]
    assert learned.any()
    # nobody ever learns an item whose prerequisites they have not mastered
    assert ev.loc[learned, "gate"].all()
    # without the prerequisites, success comes only from guessing, at the items' guess rates
    closed = ev[~ev["gate"] & ~ev["before"]]
    assert len(closed) > 500
    guess = sim.course.guess[sim.course.codes(closed["item"])]
    expected, sd = guess.mean(), np.sqrt((guess * (1 - guess)).sum()) / len(guess)
    assert abs(closed["score"].mean() - expected) < 4 * sd
    # and a mastered item is passed at 1 - slip, far above guessing
    assert ev.loc[ev["after"], "score"].mean() > 0.85


def test_final_mastery_is_closed_under_prerequisites():
    sim = simulate_course(n_items=25, n_learners=200, seed=2)
    items = sim.course.items
    mastered_at_end = sim.events[sim.events["after"]].groupby("learner")["item"].agg(set)
    a, b = np.nonzero(sim.course.prereq)
    arcs = [(items[i], items[j]) for i, j in zip(a, b)]
    prior_free = sim.learners.set_index("learner")["initial"] == 0
    for learner, known in mastered_at_end.items():
        if prior_free[learner]:
            assert all(x in known for x, y in arcs if y in known), learner


def test_learners_who_follow_prerequisites_master_more():
    sim = simulate_course(n_items=60, n_learners=1500, seed=7)
    ev = sim.events
    # observable respect: share of a learner's attempts made after passing every prerequisite
    prereq = sim.course.prereq
    codes = sim.course.codes(ev["item"])
    respected = np.zeros(len(ev), dtype=bool)
    for learner, idx in ev.groupby("learner", sort=False).indices.items():
        passed = np.zeros(sim.course.n_items, dtype=bool)
        for k in idx:
            j = codes[k]
            respected[k] = passed[prereq[:, j]].all()
            passed[j] |= ev["score"].iat[k] > 0
    share = pd.Series(respected).groupby(ev["learner"].to_numpy()).mean()
    frame = sim.learners.set_index("learner").assign(respect=share)
    frame = frame[sim.learners.set_index("learner")["steps"] >= 10]
    high = frame["respect"] >= frame["respect"].median()
    assert frame.loc[high, "outcome"].mean() > 1.5 * frame.loc[~high, "outcome"].mean()
    assert frame[["respect", "outcome"]].corr(method="spearman").iloc[0, 1] > 0.3


def test_dropout_and_step_budget():
    sim = simulate_course(n_items=20, n_learners=300, seed=3, max_steps=15)
    assert sim.learners["steps"].max() <= 15
    none = simulate_course(n_items=20, n_learners=300, seed=3, max_steps=15, dropout=0.0)
    # without dropout learners only stop at the budget or at full mastery
    stopped_early = (none.learners["steps"] < 15) & (none.learners["outcome"] < 1)
    assert not stopped_early.any()
    assert sim.learners["steps"].mean() < none.learners["steps"].mean()


def test_holiday_has_no_activity():
    sim = simulate_course(n_items=20, n_learners=400, seed=9, holidays=[("2024-01-15", "2024-01-22")])
    ts = sim.traces["timestamp"]
    inside = (ts >= pd.Timestamp("2024-01-15", tz="UTC")) & (ts < pd.Timestamp("2024-01-22", tz="UTC"))
    assert len(ts) > 1000 and not inside.any()
    assert str(ts.dt.tz) == "UTC"


def test_subpopulations_differ():
    sim = simulate_course(n_items=40, n_learners=1200, seed=5)
    by = sim.learners.groupby("population")["outcome"].mean()
    assert set(by.index) == {"diligent", "casual", "struggling"}
    assert by["diligent"] > by["casual"] > by["struggling"]


def test_to_traces_round_trip(sim):
    traces = sim.to_traces()
    assert traces.n_events == len(sim.traces)
    assert traces.n_items == sim.course.n_items
    out = traces.outcomes_frame().set_index("learner")["outcome"]
    expected = sim.outcomes.set_index("learner")["outcome"]
    pd.testing.assert_series_equal(out.sort_index(), expected.sort_index(), check_names=False,
                                   check_index_type=False)


def test_given_graph_is_used_exactly():
    pairs = [("a", "b"), ("b", "c"), ("a", "c"), ("a", "d")]
    sim = simulate_course(n_items=None, n_learners=30, seed=0, graph=pairs)
    # a -> c is implied by a -> b -> c and dropped by the transitive reduction
    assert sorted(map(tuple, sim.truth["prerequisites"])) == [("a", "b"), ("a", "d"), ("b", "c")]
    assert sorted(sim.truth["items"]) == ["a", "b", "c", "d"]
    pos = {x: k for k, x in enumerate(sim.truth["true_order"])}
    assert pos["a"] < pos["b"] < pos["c"]


def test_cyclic_graph_is_refused_with_the_cycle_named():
    with pytest.raises(ParameterError, match="cycle"):
        make_course(graph=[("a", "b"), ("b", "a")], rng=np.random.default_rng(0))


@pytest.mark.parametrize("kwargs, match", [
    ({"n_items": 5, "n_learners": 0}, "n_learners"),
    ({"n_items": 0, "n_learners": 5}, "n_items"),
    ({"n_items": 5, "n_learners": 5, "seed": 1.5}, "seed"),
])
def test_bad_parameters_name_the_value(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        simulate_course(**kwargs)


def test_population_validation():
    with pytest.raises(ParameterError, match="learn_rate"):
        Population("x", learn_rate=1.5)


def test_read_edge_list_forms(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("source,target\na,b\nb,b\na,b\nb,c\n")
    assert read_edge_list(path) == [("a", "b"), ("b", "c")]
    g = nx.DiGraph([("x", "y")])
    assert read_edge_list(g) == [("x", "y")]
    with pytest.raises(TraceFormatError, match="does not exist"):
        read_edge_list(tmp_path / "missing.csv")
    with pytest.raises(ParameterError, match="graph must be"):
        read_edge_list(3)


def test_junyi_subcourse_is_down_closed():
    g = junyi_graph()
    assert nx.is_directed_acyclic_graph(g) and g.number_of_nodes() == 835
    sim = simulate_course(n_items=60, n_learners=50, seed=1, graph=g)
    kept = set(sim.truth["items"])
    assert len(kept) == 60
    assert all(set(g.predecessors(v)) <= kept for v in kept)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 30), seed=st.integers(0, 2**16), mean=st.floats(0, 4))
def test_random_course_invariants(n, seed, mean):
    course = make_course(n, rng=np.random.default_rng(seed), mean_prereqs=mean)
    g = course.graph()
    assert nx.is_directed_acyclic_graph(g)
    # transitively reduced: no arc is implied by a longer path
    assert g.number_of_edges() == nx.transitive_reduction(g).number_of_edges()
    pos = {x: k for k, x in enumerate(course.true_order)}
    assert all(pos[a] < pos[b] for a, b in course.edges)
    assert sorted(course.syllabus) == sorted(course.true_order) == sorted(map(str, course.items))
    assert len(set(course.items)) == n


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 40), budget=st.integers(1, 20))
def test_simulation_invariants(seed, m, budget):
    sim = simulate_course(n_items=8, n_learners=m, seed=seed, max_steps=budget)
    assert sim.outcomes["outcome"].between(0, 1).all()
    assert sim.learners["steps"].le(budget).all()
    per_learner = sim.traces.groupby("learner").size()
    assert (per_learner == sim.learners.set_index("learner")["steps"].loc[per_learner.index]).all()
    assert sim.traces.groupby("learner")["timestamp"].apply(lambda s: s.is_monotonic_increasing).all()


def test_random_dag_rejects_bad_input():
    with pytest.raises(ParameterError, match="n_items"):
        random_prerequisite_dag(-1, np.random.default_rng(0))


# ------------------------------------------------------------------------------------------ CLI
def test_cli_simulate_writes_the_same_files_for_the_same_seed(tmp_path, capsys):
    from poem.cli.main import main

    for name in ("a", "b"):
        assert main(["simulate", "--items", "12", "--learners", "30", "--seed", "3",
                     "--out", str(tmp_path / name)]) == 0
    assert "12 items, 30 learners" in capsys.readouterr().out
    for f in ("traces.csv", "outcomes.csv", "truth.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert not (tmp_path / "a" / "catalog.csv").exists()


def test_cli_simulate_with_a_graph(tmp_path):
    from poem.cli.main import main

    edges = tmp_path / "edges.csv"
    edges.write_text("prerequisite,item\nx1,x2\nx2,x3\nx1,x4\n")
    assert main(["simulate", "--graph", str(edges), "--learners", "10", "--catalog",
                 "--out", str(tmp_path / "out")]) == 0
    truth = json.loads((tmp_path / "out" / "truth.json").read_text())
    assert sorted(map(tuple, truth["prerequisites"])) == [("x1", "x2"), ("x1", "x4"), ("x2", "x3")]
    assert (tmp_path / "out" / "catalog.csv").exists()
    assert main(["simulate", "--graph", "junyi", "--items", "15", "--learners", "5",
                 "--out", str(tmp_path / "junyi")]) == 0
    assert len(json.loads((tmp_path / "junyi" / "truth.json").read_text())["items"]) == 15


def test_cli_simulate_reports_errors_in_one_line(tmp_path, capsys):
    from poem.cli.main import main

    assert main(["simulate", "--graph", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "poem simulate: error:" in err and "none.csv" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["simulate", "--items", "0", "--out", str(tmp_path / "o")])


def test_bundled_demo_course_is_consistent(repo_dir):
    demo = repo_dir / "data" / "demo"
    traces = pd.read_csv(demo / "traces.csv")
    truth = json.loads((demo / "truth.json").read_text())
    catalog = pd.read_csv(demo / "catalog.csv")
    assert len(truth["items"]) == 40 and traces["learner"].nunique() == 600
    assert set(traces["item"]) <= set(truth["items"]) == set(catalog["item"])
    pos = dict(zip(catalog["item"], catalog["position"]))
    respect = np.mean([pos[a] < pos[b] for a, b in truth["prerequisites"]])
    assert 0.6 < respect < 1.0  # a partly wrong syllabus



def test_bundled_demo_course_regenerates_byte_for_byte(repo_dir, tmp_path):
    # the README's command must give the same files: regenerate data/demo when the model changes
    simulate_course(n_items=40, n_learners=600, seed=2024).write(tmp_path, catalog=True)
    for name in ("traces.csv", "outcomes.csv", "truth.json", "catalog.csv"):
        assert (tmp_path / name).read_bytes() == (repo_dir / "data" / "demo" / name).read_bytes(), name


def test_written_course_reads_back_through_poem_io(sim, tmp_path):
    io = pytest.importorskip("poem.io")
    sim.write(tmp_path)
    traces = io.read_traces(tmp_path)
    assert traces.n_events == len(sim.traces) and len(traces.rejects) == 0
    assert traces.n_learners == len(sim.outcomes)
    direct = sim.to_traces()
    np.testing.assert_array_equal(traces.timestamp, direct.timestamp)
    np.testing.assert_array_equal(traces.learners, direct.learners)
    np.testing.assert_allclose(traces.outcomes, direct.outcomes)


def test_cli_simulate_closed_loop(tmp_path, capsys):
    from poem.cli.main import main

    out = tmp_path / "loop"
    assert main(["simulate", "--items", "15", "--learners", "20", "--policy", "oracle", "--cohorts", "2",
                 "--cohort-size", "10", "--out", str(out)]) == 0
    table = pd.read_csv(out / "closed_loop.csv")
    promo = json.loads((out / "promotion.json").read_text())
    assert table["cohort"].tolist() == [0, 1] and (table["policy"] == "oracle").all()
    assert promo["cohort"] == 1 and promo["NRP"] == pytest.approx(table["NRP"].iloc[-1])
    assert "closed loop (oracle)" in capsys.readouterr().out
    assert main(["simulate", "--items", "5", "--learners", "5", "--policy", "none", "--follow", "2",
                 "--out", str(out)]) == 1
    assert "follow_prob" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["poem.simulation", "poem.simulation.course", "poem.simulation.engine",
                                  "poem.simulation.learners", "poem.simulation.open_loop",
                                  "poem.simulation.policies", "poem.simulation.closed_loop", "poem.simulation.promotion"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
