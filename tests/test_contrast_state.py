"""The contrast prerequisite graph from a colony's state: the state's log of scored events gives the graph of
the traces, after ``partial_fit`` over cohorts, ``from_state`` of a sum, the Dask engine, any row order, and
through ``poem graph model.npz`` without ``--traces``."""

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from poem.antcolony import ManHill
from poem.cli.main import main
from poem.colony.viewing import apply_viewing
from poem.errors import ParameterError
from poem.io import read_traces
from poem.ordering.contrast import ContrastGraph, learner_split
from poem.paths import prerequisite_graph
from poem.simulation.viewing import simulate_viewing
from poem.traces import Traces
from test_contrast import random_dag, simulate

ARCS = [("a", "b"), ("b", "c"), ("a", "d"), ("e", "f")]
ITEMS = ["a", "b", "c", "d", "e", "f", "g"]


@pytest.fixture(scope="module")
def frame():
    """A course with real arcs, plus page views (unscored events) scattered through the trails."""
    scored = simulate(ARCS, ITEMS, n_learners=400, seed=4)
    rng = np.random.default_rng(4)
    views = scored.sample(frac=0.3, random_state=1).assign(score=np.nan)
    views["item"] = rng.choice(ITEMS + ["page"], size=len(views))
    views["timestamp"] = views["timestamp"] + pd.Timedelta(minutes=30)
    return pd.concat([scored, views], ignore_index=True)


@pytest.fixture(scope="module")
def traces(frame):
    return Traces.from_frame(frame)


@pytest.fixture(scope="module")
def reference(traces):
    return ContrastGraph(random_state=3).fit(traces)


def assert_same_estimator(est, ref):
    assert est.items_.tolist() == ref.items_.tolist()
    np.testing.assert_array_equal(est.strength_, ref.strength_)
    np.testing.assert_array_equal(est.confidence_, ref.confidence_)
    np.testing.assert_array_equal(est.support_, ref.support_)
    assert_same_graph(est.graph_, ref.graph_)


def assert_same_graph(graph, ref):
    assert sorted(graph.nodes) == sorted(ref.nodes)
    assert sorted(graph.edges(data=True)) == sorted(ref.edges(data=True))


def test_state_gives_the_graph_of_the_traces(traces, reference):
    assert set(ARCS) <= set(reference.graph_.edges)      # the premise: there are arcs to compare
    model = ManHill().fit(traces)
    assert_same_estimator(ContrastGraph(random_state=3).fit(model.state_), reference)
    # prerequisite_graph without traces reads the colony's state; with them, the traces
    assert_same_graph(prerequisite_graph(model, rng=3), prerequisite_graph(None, traces=traces, rng=3))
    assert_same_graph(prerequisite_graph(model, rng=3), prerequisite_graph(model, traces=traces, rng=3))
    # options reach the estimator from the state too
    loose = prerequisite_graph(model, rng=3, min_confidence=0.0, min_strength=0.0)
    assert set(reference.graph_.edges) <= set(loose.edges)


def test_partial_fit_over_two_cohorts_and_from_state_of_a_sum(traces, reference):
    ids = traces.learners.astype(str)
    first = np.array([int(x[1:]) % 3 == 0 for x in ids])      # interleaved cohorts, not a prefix
    a, b = traces.select_learners(first), traces.select_learners(~first)
    model = ManHill().fit(a).partial_fit(b)
    assert_same_estimator(ContrastGraph(random_state=3).fit(model.state_), reference)
    state_a, state_b = ManHill().partial_state(a), ManHill().partial_state(b)
    for state in (state_a + state_b, state_b + state_a):
        merged = ManHill.from_state(state)
        assert_same_graph(prerequisite_graph(merged, rng=3), reference.graph_)
    # a cohort alone is another course: its graph is not the whole one's (the test can fail)
    alone = ContrastGraph(random_state=3).fit(state_a)
    assert not np.array_equal(alone.support_, reference.support_)


def test_same_seed_same_graph_whatever_the_row_order(frame, reference):
    shuffled = Traces.from_frame(frame.sample(frac=1.0, random_state=11))
    model = ManHill().fit(shuffled)
    assert_same_estimator(ContrastGraph(random_state=3).fit(model.state_), reference)
    other = ContrastGraph(random_state=4).fit(model.state_)
    assert not np.array_equal(other.confidence_, reference.confidence_)   # the seed matters


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=30, unique=True), st.randoms(),
       st.integers(0, 2 ** 32))
def test_learner_split_depends_on_the_id_and_seed_only(ids, shuffle, seed):
    halves, priority = learner_split(ids, 6, random_state=seed)
    perm = list(range(len(ids)))
    shuffle.shuffle(perm)
    keep = perm[: max(1, len(perm) // 2)]
    sub_h, sub_p = learner_split([ids[k] for k in keep], 6, random_state=seed)
    np.testing.assert_array_equal(sub_h, halves[:, keep])
    np.testing.assert_array_equal(sub_p, priority[keep])
    assert halves.shape == (6, len(ids)) and np.all((priority >= 0) & (priority < 1))


def test_learner_split_draws_balanced_independent_halves():
    ids = [f"learner{k}" for k in range(4000)]
    halves, priority = learner_split(ids, 20, random_state=0)
    assert np.all(np.abs(halves.mean(axis=1) - 0.5) < 0.04)
    # two resamples agree on about half the learners (independent halves), not all or none
    agree = (halves[:, None, :] == halves[None, :, :]).mean(axis=2)[np.triu_indices(20, 1)]
    assert np.all(np.abs(agree - 0.5) < 0.04)
    assert abs(priority.mean() - 0.5) < 0.02
    again, _ = learner_split(ids, 20, random_state=0)
    other, _ = learner_split(ids, 20, random_state=1)
    assert np.array_equal(again, halves) and not np.array_equal(other, halves)


def test_learner_sample_is_taken_the_same_way_from_the_state(traces):
    # max_learners below the learners per item: the per-item sample must not depend on positions either
    ref = ContrastGraph(random_state=2, max_learners=150).fit(traces)
    ids = traces.learners.astype(str)
    first = np.array([int(x[1:]) % 2 == 0 for x in ids])
    state = ManHill().partial_state(traces.select_learners(~first)) + \
        ManHill().partial_state(traces.select_learners(first))
    assert_same_estimator(ContrastGraph(random_state=2, max_learners=150).fit(state), ref)
    assert not np.array_equal(ref.strength_, ContrastGraph(random_state=2).fit(traces).strength_)


def test_random_dag_through_the_state_of_a_random_split():
    rng = np.random.default_rng(8)
    arcs, items = random_dag(10, 0.5, rng)
    traces = Traces.from_frame(simulate(arcs, items, n_learners=300, seed=8))
    ref = ContrastGraph(random_state=0).fit(traces)
    assert ref.graph_.number_of_edges() > 0
    parts = rng.integers(0, 4, size=traces.n_learners)
    states = [ManHill().partial_state(traces.select_learners(parts == k)) for k in (2, 0, 3, 1)]
    assert_same_estimator(ContrastGraph(random_state=0).fit(sum(states)), ref)


def test_viewing_colony_uses_its_viewing_evidence():
    course = simulate_viewing(n_items=10, n_learners=300, seed=3, mixed=True)
    traces = course.to_traces()
    model = ManHill().fit(traces, viewing=True)
    scored, _, _ = apply_viewing(traces, None, mastery=0.5)
    from_state = prerequisite_graph(model)
    assert_same_graph(from_state, prerequisite_graph(None, traces=scored))
    # the raw traces hold no evidence on the videos: the state's support is larger
    ref = ContrastGraph().fit(scored)
    raw = ContrastGraph().fit(traces)
    assert ref.support_.sum() > raw.support_.sum()


def test_unfitted_colony_or_bad_state_is_named():
    with pytest.raises(ParameterError, match="fitted colony"):
        prerequisite_graph(ManHill())
    with pytest.raises(ParameterError, match="Traces or a colony"):
        ContrastGraph().fit("traces.csv")


# ------------------------------------------------------------------------------------------------ Dask
def test_dask_engine_gives_the_in_memory_graph(tmp_path):
    distributed = pytest.importorskip("distributed")
    from poem.engines.dask import fit_dask

    frame = simulate(ARCS, ITEMS, n_learners=300, seed=6)
    # rows spread over files at random: most trails cross several files
    part = np.random.default_rng(6).integers(0, 5, size=len(frame))
    files = []
    for k in range(5):
        path = tmp_path / f"part{k}.parquet"
        frame[part == k].to_parquet(path, index=False)
        files.append(str(path))
    ref = prerequisite_graph(None, traces=read_traces(files), rng=1)
    assert ref.number_of_edges() >= 3
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    client = distributed.Client(cluster)
    try:
        model = fit_dask(tmp_path, scheduler=client, progress=False, target_rows=800)
    finally:
        client.close()
        cluster.close()
    assert model.dask_run_.n_partitions > 1
    assert_same_graph(prerequisite_graph(model, rng=1), ref)


# ------------------------------------------------------------------------------------------------ CLI
def test_poem_graph_on_a_saved_colony_needs_no_traces(frame, tmp_path, capsys):
    source = tmp_path / "traces.csv"
    frame.to_csv(source, index=False)
    model = tmp_path / "colony.npz"
    assert main(["fit", str(source), "--out", str(model)]) == 0
    capsys.readouterr()
    assert main(["graph", str(model), "--format", "json", "--seed", "3"]) == 0
    from_model = json.loads(capsys.readouterr().out)
    assert main(["graph", str(source), "--format", "json", "--seed", "3"]) == 0
    from_traces = json.loads(capsys.readouterr().out)
    assert from_model["arcs"] == from_traces["arcs"] and sorted(from_model["items"]) == sorted(from_traces["items"])
    assert {(a["source"], a["target"]) for a in from_model["arcs"]} >= set(ARCS)
    # --traces still works and gives the same graph; graphml from the colony reads back as the JSON
    assert main(["graph", str(model), "--traces", str(source), "--seed", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["arcs"] == from_model["arcs"]
    out = tmp_path / "g.graphml"
    assert main(["graph", str(model), "--format", "graphml", "--out", str(out), "--seed", "3"]) == 0
    back = nx.read_graphml(out)
    assert sorted(back.nodes) == sorted(from_model["items"])
    arcs = {(a["source"], a["target"]): a for a in from_model["arcs"]}
    assert set(back.edges) == set(arcs)
    for u, v, d in back.edges(data=True):
        for key in ("strength", "confidence", "support"):
            assert d[key] == pytest.approx(arcs[u, v][key])
