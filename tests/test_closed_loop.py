"""Tests of the closed-loop man-hill experiment and Semet's test (poem.simulation.closed_loop)."""

import numpy as np
import pandas as pd
import pytest

from poem.errors import ParameterError
from poem.simulation import closed_loop, make_course, simulate_course
from poem.simulation.closed_loop import RECORD_COLUMNS, compare_policies, semet_test, wrong_prior
from poem.simulation.policies import ColonyPolicy


@pytest.fixture(scope="module")
def course():
    return make_course(20, rng=np.random.default_rng(3))


@pytest.mark.parametrize("policy", ["none", "random", "syllabus", "oracle", "graph", "colony"])
def test_records_are_consistent(course, policy):
    table, traces = closed_loop(course, policy, n_cohorts=3, cohort_size=30, step_budget=15, seed=2,
                                follow_prob=0.7, return_traces=True)
    assert list(table.columns) == RECORD_COLUMNS
    assert table["cohort"].tolist() == [0, 1, 2]
    assert table["learners"].tolist() == [30, 30, 30]
    assert table["learners_before"].tolist() == [0, 30, 60]
    assert (table["policy"] == policy).all()
    # mastery is never lost, so every learner's promotion is >= 0; AP is the mean gain
    assert (table["AP"] >= 0).all()
    np.testing.assert_allclose(table["AP"], table["final"] - table["initial"], atol=1e-12)
    np.testing.assert_allclose(table["RP"], table["AP"])  # full score 1
    assert table["NRP"].between(0, 1).all()
    assert (table["steps"] <= 15).all()
    # the traces hold exactly the steps counted in the record
    per_cohort = traces["learner"].str.slice(0, 4).value_counts().sort_index()
    np.testing.assert_allclose(per_cohort.to_numpy(), (table["steps"] * 30).to_numpy())
    assert str(traces["timestamp"].dt.tz) == "UTC"
    if policy == "none":
        assert (table["followed"] == 0).all()
    elif policy != "colony":
        followed = np.average(table["followed"], weights=table["steps"])
        n = (table["steps"] * 30).sum()
        assert abs(followed - 0.7) < 4 * np.sqrt(0.21 / n)


def test_follow_prob_zero_is_unguided(course):
    ref = closed_loop(course, "none", n_cohorts=2, cohort_size=25, step_budget=10, seed=4, follow_prob=0.0)
    for policy in ("random", "oracle", "syllabus"):
        got = closed_loop(course, policy, n_cohorts=2, cohort_size=25, step_budget=10, seed=4,
                          follow_prob=0.0)
        pd.testing.assert_frame_equal(got.drop(columns="policy"), ref.drop(columns="policy"))


def test_cohorts_are_paired_across_policies(course):
    table = compare_policies(course, ("none", "oracle", "random"), n_cohorts=2, cohort_size=40,
                             step_budget=10, seed=8)
    initial = table.pivot(index="cohort", columns="policy", values="initial")
    assert (initial.nunique(axis=1) == 1).all()


def test_oracle_always_picks_a_ready_item_and_beats_wandering():
    course = make_course(30, rng=np.random.default_rng(0))
    oracle = closed_loop(course, "oracle", n_cohorts=1, cohort_size=150, seed=1, follow_prob=1.0, dropout=0)
    assert oracle["ready_share"].iloc[0] == 1.0
    none = closed_loop(course, "none", n_cohorts=1, cohort_size=150, seed=1, dropout=0)
    rand = closed_loop(course, "random", n_cohorts=1, cohort_size=150, seed=1, follow_prob=1.0, dropout=0)
    assert oracle["NRP"].iloc[0] > 1.5 * none["NRP"].iloc[0]
    assert none["NRP"].iloc[0] > rand["NRP"].iloc[0]
    assert oracle["steps_per_item"].iloc[0] < none["steps_per_item"].iloc[0]


def test_colony_learns_between_cohorts(course):
    pol = ColonyPolicy()
    closed_loop(course, pol, n_cohorts=2, cohort_size=20, step_budget=10, seed=3)
    assert pol.model is not None and pol.model.n_learners_ == 40
    assert pol.suggest_calls > 0


def test_partial_fit_and_refit_agree(course):
    a = ColonyPolicy(update="partial")
    b = ColonyPolicy(update="refit")
    closed_loop(course, a, n_cohorts=2, cohort_size=20, step_budget=10, seed=6)
    closed_loop(course, b, n_cohorts=2, cohort_size=20, step_budget=10, seed=6)
    np.testing.assert_allclose(a.model.phi_plus_, b.model.phi_plus_)
    np.testing.assert_allclose(a.model.precedence_, b.model.precedence_)


def test_accepts_a_simulated_course_and_an_int():
    sim = simulate_course(n_items=10, n_learners=5, seed=0)
    t1 = closed_loop(sim, "syllabus", n_cohorts=1, cohort_size=5, seed=0)
    t2 = closed_loop(10, "syllabus", n_cohorts=1, cohort_size=5, seed=0)
    assert len(t1) == len(t2) == 1


def test_wrong_prior_plants_the_mistakes(course):
    order, mistakes = wrong_prior(course, 3, np.random.default_rng(0))
    assert sorted(order) == sorted(course.true_order)
    assert len(mistakes) == 3
    pos = {x: k for k, x in enumerate(order)}
    for mk in mistakes:
        assert [mk["a"], mk["b"]] in course.edges
        assert pos[mk["b"]] < pos[mk["a"]]
        if mk["x"] is not None:
            assert pos[mk["x"]] + 1 == pos[mk["b"]]
    with pytest.raises(ParameterError, match="room for only"):
        wrong_prior(course, 50, np.random.default_rng(0))


def test_semet_test_reports_the_planted_mistakes(course):
    table, summary = semet_test(course, n_wrong=2, n_cohorts=2, cohort_size=15, seed=1, step_budget=10)
    assert summary["n_wrong"] == 2
    # the prior alone follows every planted mistake
    assert summary["wrong_at_start"] == 2 and table["wrong_left"].iloc[0] == 2
    assert table["cohort"].tolist() == [-1, 0, 1]
    assert table["learners_seen"].tolist() == [0, 15, 30]
    assert table["wrong_left"].between(0, 2).all()
    lt = summary["learners_to_correct"]
    assert lt is None or lt in (15, 30)
    assert len(summary["per_mistake"]) == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"policy": "teacher"}, "unknown policy"),
    ({"n_cohorts": 0}, "n_cohorts"),
    ({"follow_prob": 1.5}, "follow_prob"),
    ({"step_budget": 0}, "step_budget"),
])
def test_bad_parameters(course, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        closed_loop(course, **{"policy": "none", **kwargs})


def test_bad_course():
    with pytest.raises(ParameterError, match="course must be"):
        closed_loop("course-a", "none")


def test_learned_path_policy_runs(course):
    pytest.importorskip("poem.paths")
    from poem.simulation.policies import LearnedPathPolicy

    pol = LearnedPathPolicy(method="greedy")
    table = closed_loop(course, pol, n_cohorts=2, cohort_size=20, step_budget=10, seed=1)
    assert table["policy"].tolist() == ["path", "path"]
    assert table.loc[0, "followed"] == 0  # nothing learned before the first cohort
    assert table.loc[1, "followed"] > 0
    # the learned order covers every item once (path items first, the rest in true order)
    assert sorted(pol._order.tolist()) == list(range(course.n_items))
    again = closed_loop(course, "path", n_cohorts=2, cohort_size=20, step_budget=10, seed=1, method="greedy")
    pd.testing.assert_frame_equal(again, table)   # same seed, same run


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**16), policy=st.sampled_from(["none", "random", "syllabus", "oracle"]),
       follow=st.floats(0, 1), budget=st.integers(1, 12), dropout=st.sampled_from([0.0, 1.0, 3.0]))
def test_closed_loop_invariants(seed, policy, follow, budget, dropout):
    course = make_course(8, rng=np.random.default_rng(seed))
    table = closed_loop(course, policy, n_cohorts=2, cohort_size=12, step_budget=budget, seed=seed,
                        follow_prob=follow, dropout=dropout)
    assert (table["AP"] >= 0).all() and (table["final"] <= 1).all()
    assert table["NRP"].dropna().between(0, 1).all()
    assert (table["steps"] <= budget).all() and (table["steps"] >= 1).all()
    assert table["followed"].between(0, 1).all()
    if follow == 0 or policy == "none":
        assert (table["followed"] == 0).all()
    if dropout == 0:
        # nobody stops early except by mastering the whole course
        assert ((table["dropout"] == 0)).all()


def test_graph_policy_bayes_update_by_hand():
    from poem.simulation.learners import init_learners
    from poem.simulation.policies import GraphPolicy

    course = make_course(graph=[("a", "b")], rng=np.random.default_rng(0))
    state = init_learners(1, course, np.random.default_rng(0))
    pol = GraphPolicy(threshold=0.9, p_learn=0.5, p_known=0.1)
    pol.start_cohort(course, state)
    a, b = course.code("a"), course.code("b")
    # b is locked (a not believed known): only a is recommended
    assert pol.recommend(state, np.array([0]), None).tolist() == [a]
    pol.observe(np.array([0]), np.array([a]), np.array([1.0]))
    g, s = course.guess[a], course.slip[a]
    prior = 0.1 + 0.9 * 0.5
    expected = prior * (1 - s) / (prior * (1 - s) + (1 - prior) * g)
    assert pol._belief[0, a] == pytest.approx(expected)
    # a failure on b while a is not yet believed known: no learning transition, only the observation
    pol.observe(np.array([0]), np.array([b]), np.array([0.0]))
    gb, sb = course.guess[b], course.slip[b]
    assert pol._belief[0, b] == pytest.approx(0.1 * sb / (0.1 * sb + 0.9 * (1 - gb)))


def test_colony_audit_labels_suggestions_with_the_hidden_state(course):
    pol = ColonyPolicy(audit=True)
    table = closed_loop(course, pol, n_cohorts=2, cohort_size=20, step_budget=10, seed=5, follow_prob=1.0)
    audit = pol.audit_frame()
    # cohort 0 is unguided (nothing learned yet), cohort 1 is guided at every step
    assert set(audit["cohort"]) == {1}
    assert len(audit) == pol.suggest_calls == int(table.loc[1, "steps"] * 20)
    assert set(audit["status"]) <= {"ready", "blocked", "mastered"}
    # with follow_prob 1, the attempts on ready items are exactly the ready suggestions
    assert (audit["status"] == "ready").mean() == pytest.approx(table.loc[1, "ready_share"])


def test_colony_reported_scores_need_two_passes():
    pol = ColonyPolicy(mastery_passes=2)
    course = make_course(6, rng=np.random.default_rng(1))
    closed_loop(course, pol, n_cohorts=1, cohort_size=5, step_budget=4, seed=0)
    pol._items[0], pol._scores[0] = [1, 2, 1, 3], [1.0, 0.0, 1.0, 1.0]
    # first success on item 1 and the only one on item 3 are reported as partial; the second on 1 counts
    partial = 0.8 * pol.model.mastery
    assert pol._reported_scores(0) == [partial, 0.0, 1.0, partial]
    with pytest.raises(ParameterError, match="mastery_passes"):
        ColonyPolicy(mastery_passes=0)
    with pytest.raises(ParameterError, match="rerank"):
        ColonyPolicy(rerank="best")


def test_colony_variants_run(course):
    for options in ({"mastery_passes": 2}, {"rerank": "gain"}):
        table = closed_loop(course, "colony", n_cohorts=2, cohort_size=10, step_budget=8, seed=2, **options)
        assert len(table) == 2 and table.loc[1, "followed"] > 0


# ------------------------------------------------------------------------------ the scenario family
from poem.simulation.engine import run_learners  # noqa: E402
from poem.simulation.family import FAMILY, Scenario, run_scenario, scenario, summarise  # noqa: E402
from poem.simulation.learners import LearnerModel, init_learners  # noqa: E402


@pytest.mark.parametrize("kind", ["bkt", "first_success", "soft_gate"])
@pytest.mark.parametrize("forgetting", [0.0, 0.01])
def test_learner_models_keep_the_state_consistent(kind, forgetting):
    zero = kind == "first_success"
    course = make_course(15, rng=np.random.default_rng(1), guess=(0.0, 0.0) if zero else (0.08, 0.25),
                         slip=(0.0, 0.0) if zero else (0.03, 0.12))
    rng = np.random.default_rng(2)
    state = init_learners(40, course, rng, model=LearnerModel(kind, forgetting=forgetting))
    rec = run_learners(state, course, rng, max_steps=30, dropout=0)
    # the ready counts always equal the mastered direct prerequisites, forgetting included
    np.testing.assert_array_equal(state.ready_count, state.mastered.astype(int) @ course.prereq.astype(int))
    learned = rec["after"] & ~rec["before"]
    if kind == "bkt":
        assert not (learned & ~rec["gate"]).any()          # the hard gate
    if kind == "first_success":
        # a pass is mastery, and nothing is learned without a pass
        assert (rec["after"][rec["score"] > 0]).all() and not (learned & (rec["score"] == 0)).any()
    if kind == "soft_gate":
        assert learned.any()
    if forgetting == 0:
        assert state.mastered.sum() >= state.initial_mastery.sum() * 15 - 1e-9


def test_bad_learner_model():
    with pytest.raises(ParameterError, match="kind"):
        LearnerModel("nope")
    with pytest.raises(ParameterError, match="forgetting"):
        LearnerModel(forgetting=1.0)
    with pytest.raises(ParameterError, match="graph"):
        Scenario("x", graph="ring")
    with pytest.raises(ParameterError, match="unknown scenario"):
        scenario("nope")


def test_family_courses_are_valid_dags():
    import networkx as nx

    names = [sc.name for sc in FAMILY]
    assert len(set(names)) == len(names)
    graphs = {sc.graph for sc in FAMILY}
    assert graphs == {"local", "wide", "chain", "junyi"}
    for sc in FAMILY:
        if sc.graph == "junyi" and sc.name != "junyi":
            continue
        course = sc.course(seed=0)
        assert course.n_items == sc.n_items and nx.is_directed_acyclic_graph(course.graph())
        if sc.graph == "chain":
            assert int(course.prereq.sum()) == sc.n_items - 1
    assert [sc.name for sc in FAMILY if sc.ceiling_is_oracle] == ["first_success", "junyi_first_success"]


@pytest.mark.parametrize("name,one_pass", [("first_success", True), ("guess30", False)])
def test_calibration_reads_the_learner_model_from_unguided_traces(name, one_pass):
    from poem.antcolony import ManHill

    sc = scenario(name)
    course = sc.course(seed=0)
    _, frame = closed_loop(course, "none", n_cohorts=1, cohort_size=200, seed=0, return_traces=True,
                           **sc.options())
    need = ManHill().fit(ColonyPolicy._traces_of(frame, course)).calibration_.successes_needed
    if one_pass:
        assert (need == 1).all()
    else:
        assert (need >= 2).mean() > 0.9


def test_colony_last_cohort_beats_unguided_with_fixed_seeds():
    sc = Scenario("small", LearnerModel("first_success"), n_items=30, guess=(0.0, 0.0), slip=(0.0, 0.0))
    table = run_scenario(sc, ("none", "oracle", "graph", "colony"), n_cohorts=4, cohort_size=100, seed=3)
    s = summarise(table)
    assert s["colony"] > 1.5 * s["none"] and s["never_below_none"]
    # the same seed gives the same run
    again = run_scenario(sc, ("colony",), n_cohorts=4, cohort_size=100, seed=3)
    np.testing.assert_allclose(again["NRP"].to_numpy(), table[table["policy"] == "colony"]["NRP"].to_numpy())


def test_semet_until_corrected_stops_or_says_when_it_gave_up(course):
    table, summary = semet_test(course, n_wrong=2, n_cohorts=6, cohort_size=30, seed=1, until_corrected=True,
                                step_budget=15)
    left = table["wrong_left"].to_numpy()
    if summary["gave_up_after"] is None:
        assert left[-1] == 0 and (left[1:-1] > 0).all()     # stopped at the first probe with none left
    else:
        assert left[-1] > 0 and len(table) == 7 and summary["gave_up_after"] == 180


def test_colony_defers_where_no_trail_supports_its_suggestion(course):
    kw = dict(n_cohorts=2, cohort_size=20, step_budget=10, seed=5)
    never = closed_loop(course, ColonyPolicy(defer=10 ** 6), **kw)
    assert never["followed"].tolist() == [0.0, 0.0]        # no arc has a million learners: it never guides
    some = closed_loop(course, ColonyPolicy(defer=1), **kw)
    always = closed_loop(course, ColonyPolicy(), **kw)
    assert 0 < some.loc[1, "followed"] <= always.loc[1, "followed"]
    with pytest.raises(ParameterError, match="defer"):
        ColonyPolicy(defer=-1)


def test_run_scenario_passes_harness_options_to_the_variants():
    sc = scenario("first_success")
    table = run_scenario(sc, ("none",), n_cohorts=2, cohort_size=20, seed=1,
                         colony_variants={"deferring": {"policy": {"defer": 10 ** 6}}, "plain": {}})
    got = table.set_index(["policy", "cohort"])["followed"]
    assert got["deferring"].tolist() == [0.0, 0.0] and got["plain"].iloc[1] > 0
