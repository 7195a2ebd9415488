"""The report's tables (poem.report.data), the notebooks' experiment loops (poem.lab.experiments), the figures
(poem.report.plots) and number formatting (poem.report.texts) on small hand-checked cases."""

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from matplotlib.figure import Figure

from poem.report import plots
from poem.report import data as rd
from poem.antcolony import ManHill
from poem.errors import ParameterError
from poem.lab.experiments import (outcomes_by_agreement, parameter_sweep, stability_by_setting, trail_agreement)
from poem.paths import learning_path
from poem.report.texts import number
from poem.traces import Traces


def frame_of(rows):
    frame = pd.DataFrame(rows, columns=["learner", "item", "day", "score"])
    frame["timestamp"] = pd.to_datetime(frame.pop("day"), unit="D", utc=True)
    return frame


# ---------------------------------------------------------------- learners at risk
@pytest.fixture()
def status_case():
    rows = [("a", "x", 1, 1.0), ("a", "y", 2, 1.0), ("a", "z", 3, 1.0),   # whole path mastered
            ("b", "z", 30, 0.0), ("b", "z", 31, 0.0),                     # z without its prerequisites
            ("c", "x", 1, 1.0), ("c", "x", 2, 1.0),                       # silent since day 2
            ("d", "x", 38, 1.0), ("d", "y", 39, 0.0),                     # ready for what they try
            ("e", "x", 40, 0.0)]                                          # one event only
    traces = Traces.from_frame(frame_of(rows))
    graph = nx.DiGraph([("x", "y"), ("y", "z")])
    return rd.learner_status(traces, ["x", "y", "z"], graph, window=2, min_events=2, stall_days=7,
                             dropout_days=28, key="k")


def test_learner_status_known_answers(status_case):
    status = status_case
    assert status["status"].tolist() == ["completed", "stalled_drifting", "dropped", "on_track", "new"]
    assert status["mastered"].tolist() == [3, 0, 1, 1, 0]
    assert status["off_trail_share"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert status["days_inactive"].tolist() == [37.0, 9.0, 38.0, 1.0, 0.0]
    assert status["recent_success"].tolist() == [1.0, 0.0, 1.0, 0.5, 0.0]


def test_learners_at_risk_keeps_active_problems_only(status_case):
    risk = rd.learners_at_risk(status_case)
    assert len(risk) == 1 and risk.columns.tolist() == rd.AT_RISK_COLUMNS
    assert risk.loc[0, "stalled"] and risk.loc[0, "drifting"]


def test_learner_status_ids_are_pseudonyms(status_case):
    assert not set(status_case["learner"]) & set("abcde")
    assert status_case["learner"].str.match(r"^p[0-9a-f]{20}$").all()


@pytest.mark.parametrize("option", [{"stall_days": 0}, {"dropout_days": 3}, {"window": 0}, {"drift_share": 0},
                                    {"mastery": 2}, {"min_events": 0}])
def test_learner_status_rejects_bad_thresholds(option):
    traces = Traces.from_frame(frame_of([("a", "x", 1, 1.0)]))
    name = next(iter(option))
    with pytest.raises(ParameterError, match=name):
        rd.learner_status(traces, ["x"], nx.DiGraph(), **option)


def test_display_ids():
    ids = np.array(["ann", "bob"], dtype=object)
    assert rd.display_ids(ids, pseudonymised=True).tolist() == ["ann", "bob"]
    first = rd.display_ids(ids, pseudonymised=False, key="secret")
    assert first.tolist() == rd.display_ids(ids, pseudonymised=False, key="secret").tolist()
    assert not set(first) & {"ann", "bob"}


# ---------------------------------------------------------------- path evidence, audit, syllabus
@pytest.fixture(scope="module")
def chain_model():
    """12 learners master x, then y, then z; one learner reaches w once; v is in the catalogue only."""
    rows = [(f"u{k}", item, day, 1.0) for k in range(12) for day, item in enumerate(["x", "y", "z"])]
    rows.append(("u0", "w", 9, 0.0))
    traces = Traces.from_frame(frame_of(rows), items=["v"])
    return traces, ManHill().fit(traces)


def test_path_steps_names_the_key_earlier_item(chain_model):
    traces, model = chain_model
    path = learning_path(model, method="lop", rng=0, items=["x", "y", "z"])
    info = pd.DataFrame({"title": ["Ex", "Why", "Zed"], "position": [1, 2, 3]}, index=pd.Index(["x", "y", "z"]))
    steps = rd.path_steps(model, path, info)
    assert steps["step"].tolist() == [1, 2, 3] and steps["item"].tolist() == ["x", "y", "z"]
    assert steps["title"].tolist() == ["Ex", "Why", "Zed"] and steps["syllabus_position"].tolist() == [1, 2, 3]
    assert steps["key_prerequisite"].tolist()[1:] == ["x", "x"]  # x then y, x then z: 12 learners each
    assert steps.loc[1, "before"] == 12 and steps.loc[1, "after"] == 0
    assert steps["key_prerequisite"].isna().iloc[0]


def test_item_audit_reports_unreached_and_rare_items(chain_model):
    _, model = chain_model
    audit = rd.item_audit(model, rare_share=0.1)
    kinds = dict(zip(audit["item"], audit["kind"]))
    assert kinds["v"] == "unreached" and kinds["w"] == "rarely_reached"
    assert audit.set_index("item").loc["w", "learner_share"] == pytest.approx(1 / 12)
    with pytest.raises(ParameterError, match="rare_share"):
        rd.item_audit(model, rare_share=1.5)


def test_syllabus_disagreements_and_order():
    graph = nx.DiGraph()
    graph.add_edge("a", "b", weight=3.0, precedence=20.0, against=2.0)
    graph.add_edge("b", "c", weight=5.0, precedence=30.0, against=1.0)
    info = pd.DataFrame({"position": [2, 1, 3]}, index=pd.Index(["a", "b", "c"]))
    assert rd.syllabus_order(info) == ["b", "a", "c"]
    table = rd.syllabus_disagreements(graph, info)
    assert table[["prerequisite", "item", "prerequisite_position", "item_position"]].values.tolist() == \
        [["a", "b", 2, 1]]  # b -> c agrees with the syllabus
    assert rd.syllabus_disagreements(graph, None).empty and rd.syllabus_order(None) == []


# ---------------------------------------------------------------- trust
class _Traces:
    def __init__(self, n, scored=1.0):
        self.n_learners, self.n_events, self.n_items = n, 10 * n, 2
        self.score = np.where(np.arange(100) < 100 * scored, 1.0, np.nan)


class _Colony:
    item_learners_ = np.array([10, 5])


class _Path:
    steps = pd.DataFrame({"support": [50.0, 40.0], "evidence_for": [0.0, 2.0]})


class _UnsupportedPath:
    steps = pd.DataFrame({"support": [50.0, 4.0, 3.0], "evidence_for": [0.0, 0.0, 1.0]})


@pytest.mark.parametrize("n, taus, scored, path, level, reasons", [
    (500, [0.95, 0.9], 1.0, _Path, "high", []),
    (150, [0.95, 0.9], 1.0, _Path, "medium", ["few_learners"]),
    (500, [0.6, 0.7], 1.0, _Path, "medium", ["unstable"]),
    (500, [0.2, 0.3], 1.0, _Path, "low", ["unstable"]),
    (30, None, 1.0, _Path, "low", ["few_learners", "stability_unknown"]),
    (500, [1.0], 0.1, _Path, "medium", ["unscored"]),
    (500, [1.0], 0.01, _Path, "low", ["unscored"]),  # stable, but nothing says how learners did
    (500, [1.0], 1.0, _UnsupportedPath, "medium", ["support"]),
])
def test_trust_levels(n, taus, scored, path, level, reasons):
    stability = None if taus is None else pd.DataFrame({"tau": taus})
    summary = rd.trust_summary(_Traces(n, scored), _Colony, path, stability)
    assert (summary["level"], summary["reasons"]) == (level, reasons)
    assert summary["coverage"] == 1.0 and summary["scored"] == pytest.approx(scored)


def test_path_stability_on_a_clear_chain(chain_model):
    traces, _ = chain_model
    table = rd.path_stability(traces, ["x", "y", "z", "w", "v"], seeds=[0, 1], sample=0.9)
    assert table["seed"].tolist() == [0, 1]
    assert table["learners"].between(1, traces.n_learners).all()
    # every learner walks x, y, z: each subsample finds the reference path again
    assert np.allclose(table["tau"], 1.0) and table["same_start"].tolist() == [1.0, 1.0]
    # the subsamples come from the seeds alone
    assert table.equals(rd.path_stability(traces, ["x", "y", "z", "w", "v"], seeds=[0, 1], sample=0.9))
    with pytest.raises(ParameterError, match="sample"):
        rd.path_stability(traces, ["x"], sample=0)


def test_outcome_contrast_needs_outcomes(chain_model):
    traces, _ = chain_model
    assert rd.outcome_contrast(traces, ["x", "y", "z"]) is None


# ---------------------------------------------------------------- experiments
def test_trail_agreement_known_answers():
    rows = [("fwd", i, d, 1.0) for d, i in enumerate("abc")] + [("back", i, d, 1.0) for d, i in enumerate("cba")] \
        + [("short", "a", 0, 1.0), ("short", "b", 1, 1.0)] + [("again", i, d, 1.0) for d, i in enumerate("abab c")
                                                            if i != " "]
    traces = Traces.from_frame(frame_of(rows)).with_outcomes(pd.Series({"fwd": 1.0, "back": 0.0, "short": 0.5,
                                                                        "again": 0.8}))
    table = trail_agreement(traces, ["a", "b", "c"]).set_index("learner")
    assert table.loc["fwd", "agreement"] == 1.0 and table.loc["back", "agreement"] == -1.0
    assert math.isnan(table.loc["short", "agreement"])  # 2 items < min_items
    assert table.loc["again", "agreement"] == 1.0  # only first visits count
    assert table.loc["fwd", "items"] == 3 and table.loc["back", "outcome"] == 0.0
    by = outcomes_by_agreement(table.reset_index(), bins=(-1.0, 0.0, 1.0)).set_index("agreement")
    assert by["learners"].tolist() == [1, 2] and by["mean_outcome"].tolist() == [0.0, 0.9]


def test_parameter_sweep_one_at_a_time_and_stability(chain_model):
    traces, _ = chain_model
    grid = {"depth": [0, 2], "alpha": [1.0, 2.0, 3.0]}
    sweep = parameter_sweep(traces, grid, seeds=[0, 1], one_at_a_time=True)
    assert len(sweep) == (1 + 1 + 2) * 2
    full = parameter_sweep(traces, grid, seeds=[0])
    assert len(full) == 6
    stability = stability_by_setting(sweep, ["depth", "alpha"])
    assert len(stability) == 4 and (stability["seeds"] == 2).all()
    assert stability["stability"].between(-1, 1).all()
    with pytest.raises(ParameterError, match="unknown sweep parameter"):
        parameter_sweep(traces, {"colour": [1]})
    with pytest.raises(ParameterError, match="non-empty list"):
        parameter_sweep(traces, {"depth": []})


# ---------------------------------------------------------------- figures
def test_figures_are_built_and_validated():
    assert isinstance(plots.draw_path(["a", "b"], [0.1, np.nan], labels={"a": "A"}), Figure)
    with pytest.raises(ParameterError, match="2 items"):
        plots.draw_path(["a", "b"], [0.1])
    with pytest.raises(ParameterError, match="acyclic"):
        plots.draw_prerequisite_graph(nx.DiGraph([("a", "b"), ("b", "a")]))
    with pytest.raises(ParameterError, match="shape"):
        plots.heatmap(np.zeros((2, 3)), ["a", "b"])
    with pytest.raises(ParameterError, match="every column label"):
        plots.heatmap(np.zeros((2, 2)), ["a", "b"], order=["a", "z"])
    with pytest.raises(ParameterError, match="missing column"):
        plots.line_plot(pd.DataFrame({"x": [1]}), "x", "y")
    assert plots.png_bytes(plots.bar_plot({"a": 1, "b": 2})).startswith(b"\x89PNG\r\n\x1a\n")


def test_heatmap_order_moves_values_with_their_labels():
    matrix = np.array([[0.0, 5.0], [1.0, 0.0], [7.0, 8.0]])
    fig = plots.heatmap(matrix, ["a", "b"], row_labels=["a", "b", "start"], order=["b", "a"])
    shown = fig.axes[0].images[0].get_array()
    assert np.asarray(shown).tolist() == [[0.0, 1.0], [5.0, 0.0], [8.0, 7.0]]


# ---------------------------------------------------------------- numbers
@settings(max_examples=100, deadline=None)
@given(value=st.floats(-1e9, 1e9, allow_nan=False), decimals=st.integers(0, 3))
def test_french_numbers_read_back(value, decimals):
    text = number(value, "fr", decimals=decimals)
    assert "." not in text
    back = float(text.replace("\u202f", "").replace(",", "."))
    assert back == pytest.approx(round(value, decimals), abs=10 ** -decimals)
    assert float(number(value, "en", decimals=decimals).replace(",", "")) == back


def test_item_reach_along_axis_and_summary(chain_model):
    from poem.lab.experiments import along_axis, item_reach, summarise_sweep

    traces, _ = chain_model
    assert item_reach(traces).to_dict() == {"v": 0, "w": 1, "x": 12, "y": 12, "z": 12}
    sweep = parameter_sweep(traces, {"depth": [0, 2], "alpha": [1.0, 2.0]}, seeds=[0, 1], one_at_a_time=True)
    reference = {"depth": 0, "alpha": 1.0}
    assert sorted(set(along_axis(sweep, reference, "alpha")["alpha"])) == [1.0, 2.0]
    assert set(along_axis(sweep, reference, "alpha")["depth"]) == {0}
    with pytest.raises(ParameterError, match="'beta'"):
        along_axis(sweep, reference, "beta")
    summary = summarise_sweep(sweep, ["depth", "alpha"])
    assert len(summary) == 3 and {"objective", "stability"} <= set(summary.columns)


def test_path_vs_plan():
    from poem.lab.experiments import path_vs_plan
    from poem.paths import Path

    info = pd.DataFrame({"kind": ["quiz", "page", "page"], "week": [2, 1, np.nan]}, index=pd.Index(["a", "b", "c"]))
    planned, tau = path_vs_plan(Path(["a", "b", "c"], "lop"), info)
    assert planned[["step", "item", "week"]].values.tolist() == [[1, "a", 2.0], [2, "b", 1.0]]
    assert tau == -1.0  # the path puts week 2 before week 1
    assert path_vs_plan(Path(["b", "a"], "lop"), info)[1] == 1.0


# ---------------------------------------------------------------- learner_status: equivalence and memory
def _learner_status_dense(traces, path_items, graph, *, stall_days=7.0, dropout_days=28.0, window=10,
                          drift_share=0.5, mastery=0.5, min_events=3, key=None):
    """The former dense implementation of rd.learner_status (n_learners x n_items matrices), kept verbatim as
    the oracle the event-array version must reproduce exactly."""
    n_items, n_learners = traces.n_items, traces.n_learners
    index = {str(x): k for k, x in enumerate(traces.items)}
    path_codes = np.array([index[i] for i in path_items if i in index], dtype=np.int64)
    E = traces.n_events
    learner, item = traces.learner.astype(np.int64), traces.item.astype(np.int64)
    success = traces.score >= mastery
    position = np.arange(E, dtype=np.int64)
    bounds = traces.trail_bounds()
    events = np.diff(bounds)
    first = np.full((n_learners, n_items), E, dtype=np.int64)
    np.minimum.at(first, (learner[success], item[success]), position[success])
    mastered_path = (first[:, path_codes] < E).sum(axis=1)
    recent = (bounds[learner + 1] - 1 - position) < window
    r_pos, r_learner, r_item = position[recent], learner[recent], item[recent]
    A = np.zeros((n_items, n_items), dtype=bool)
    for a, b in graph.edges:
        if a in index and b in index:
            A[index[a], index[b]] = True
    not_ready = (first[r_learner] >= r_pos[:, None]) & A[:, r_item].T
    n_recent = np.bincount(r_learner, minlength=n_learners)
    off_share = (np.bincount(r_learner, weights=not_ready.any(axis=1), minlength=n_learners)
                 / np.maximum(n_recent, 1))
    new_mastery = np.bincount(r_learner, weights=first[r_learner, r_item] == r_pos, minlength=n_learners)
    scored = np.bincount(r_learner, weights=~np.isnan(traces.score[recent]), minlength=n_learners)
    recent_success = np.bincount(r_learner, weights=success[recent], minlength=n_learners) / np.maximum(scored, 1)
    last_time = traces.timestamp[np.maximum(bounds[1:] - 1, 0)]
    days_inactive = (traces.timestamp.max() - last_time) / rd.NS_PER_DAY if E else np.zeros(n_learners)
    stalled = (days_inactive >= stall_days) | ((n_recent >= window) & (new_mastery == 0))
    drifting = off_share >= drift_share
    status = np.select(
        [mastered_path >= len(path_codes), events < min_events, days_inactive >= dropout_days,
         stalled & drifting, stalled, drifting],
        ["completed", "new", "dropped", "stalled_drifting", "stalled", "drifting"], default="on_track")
    return pd.DataFrame({
        "learner": rd.display_ids(traces.learners, pseudonymised=traces.pseudonymised, key=key), "status": status,
        "events": events, "mastered": mastered_path.astype(np.int64), "path_items": len(path_codes),
        "days_inactive": np.round(days_inactive, 1), "recent_success": recent_success,
        "off_trail_share": off_share, "stalled": stalled, "drifting": drifting,
    })


def _random_traces(rng, n_learners, n_items, n_events, *, pseudonymised=False):
    """Encoded traces straight from numpy: sorted by learner then time, ties on timestamps, NaN scores."""
    learner = np.sort(rng.integers(0, n_learners, n_events)).astype(np.int32)
    # every learner in the vocabulary gets at least one event (as from_frame guarantees)
    learner[:n_learners] = np.arange(n_learners, dtype=np.int32)
    learner = np.sort(learner)
    day = rng.integers(0, 60, n_events)
    order = np.lexsort((day, learner))
    score = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, np.nan], n_events)
    return Traces(learner=learner[order], item=rng.integers(0, n_items, n_events).astype(np.int32),
                  timestamp=(day[order] * rd.NS_PER_DAY).astype(np.int64), score=score,
                  duration=np.full(n_events, np.nan),
                  learners=np.array([f"p{k:06d}" for k in range(n_learners)], dtype=object),
                  items=np.array([f"i{k:03d}" for k in range(n_items)], dtype=object), pseudonymised=pseudonymised)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_learners=st.integers(1, 8), n_items=st.integers(1, 7),
       extra=st.integers(0, 60), window=st.integers(1, 6), density=st.sampled_from([0.0, 0.2, 0.5, 1.0]),
       mastery=st.sampled_from([0.0, 0.5, 1.0]), drift_share=st.sampled_from([0.25, 0.5, 1.0]),
       min_events=st.integers(1, 4), stall_days=st.sampled_from([1.0, 7.0]), path_len=st.integers(0, 9),
       selected=st.booleans())
def test_learner_status_matches_the_dense_reference(seed, n_learners, n_items, extra, window, density, mastery,
                                                    drift_share, min_events, stall_days, path_len, selected):
    rng = np.random.default_rng(seed)
    traces = _random_traces(rng, n_learners, n_items, n_learners + extra)
    if selected and n_learners > 1:   # learners without any event stay in the vocabulary
        traces = traces.select_learners(np.arange(n_learners) != rng.integers(0, n_learners))
    items = [str(i) for i in traces.items]
    # self-loops, arcs from/to unknown nodes, and repeated or unknown path items are all allowed
    graph = nx.DiGraph([(a, b) for a in items + ["ghost"] for b in items if rng.random() < density])
    path = list(rng.choice(items + ["ghost"], path_len)) if path_len else []
    options = dict(window=window, mastery=mastery, drift_share=drift_share, min_events=min_events,
                   stall_days=stall_days, dropout_days=stall_days * 4, key="k")
    got = rd.learner_status(traces, path, graph, **options)
    want = _learner_status_dense(traces, path, graph, **options)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_learner_status_memory_is_linear_in_events():
    """50 000 learners x 180 items: the dense version needed n_learners x n_items (72 MB) plus the recent-window
    gather (window x n_learners x n_items x 8 B = 720 MB); the event-array version stays within ~100 B/event."""
    import tracemalloc

    rng = np.random.default_rng(3)
    n_learners, n_items, n_events = 50_000, 180, 1_000_000
    traces = _random_traces(rng, n_learners, n_items, n_events, pseudonymised=True)
    items = [str(i) for i in traces.items]
    graph = nx.DiGraph([(items[a], items[b]) for a in range(n_items) for b in range(a + 1, min(a + 6, n_items))])
    path = items[::3]
    tracemalloc.start()
    try:
        status = rd.learner_status(traces, path, graph, window=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(status) == n_learners
    assert peak / n_events < 100, f"peak {peak / 1e6:.1f} MB = {peak / n_events:.0f} B/event"
