"""Regression tests for the blind spots that deliberate mutations of the core found (issue 15).

Each test below was checked to FAIL on the planted bug it names and to pass on the real code:

1. evaporation weighing a deposit by ρ instead of 1 − ρ;
2. a tournament keeping its worst entrant, a roulette favouring low scores;
3. a colony policy following its worst suggestion; Semet's test not correcting anything;
4. ``>=`` turned into ``>`` at the mastery threshold (plus a plain-Python reference of the trail pass);
5. ``>`` turned into ``>=`` at the session gap;
6. the reach-back crossing a session start;
7. graph recall measured against the wrong arc set in the closure case;
8. the greedy path's fallback taking the worst item when no pheromone remains.

The plain-Python references here (trail pass, erosion pass) are written from the module docstrings, not
from the kernels, so that the kernels are checked against an independent reading of the model.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.antcolony import ManHill
from poem.colony.kernels import conditional_pass, row_deposit_counts, session_firsts, trail_pass
from poem.colony.suggestion import mastered_items, select
from poem.ordering.evaluation import evaluate, graph_scores
from poem.paths import learning_path
from poem.traces import Traces

T0 = pd.Timestamp("2024-01-01", tz="UTC")
DAY = 86400.0


def make_traces(rows, items=None, outcomes=None):
    """rows: (learner, item, seconds after T0, score)"""
    frame = pd.DataFrame(rows, columns=["learner", "item", "second", "score"])
    frame["timestamp"] = T0 + pd.to_timedelta(frame["second"], unit="s")
    return Traces.from_frame(frame.drop(columns="second"), items=items, outcomes=outcomes)


def code(model, item):
    return list(model.items_).index(item)


# ------------------------------------------------------------------ 1. evaporation's exact value
def test_evaporation_hand_computed_two_periods_weigh_0_64():
    # A succeeds on a at t = 0; B succeeds on b two periods later (the fit's reference time)
    rows = [("A", "a", 0, 1.0), ("B", "b", 2 * DAY, 1.0)]
    model = ManHill(decay="evaporation", rho=0.2, period=DAY, depth=0).fit(make_traces(rows))
    n = 2
    assert model.phi_plus_[n, code(model, "a")] == pytest.approx(0.8 ** 2)    # 0.64, not 0.2 ** 2
    assert model.phi_plus_[n, code(model, "b")] == pytest.approx(1.0)
    # half a period old: (1 - rho) ** 0.5
    half = ManHill(decay="evaporation", rho=0.2, period=DAY, depth=0).fit(
        make_traces([("A", "a", 0, 0.0), ("B", "b", DAY / 2, 1.0)]))
    assert half.phi_minus_[n, 0] == pytest.approx(0.8 ** 0.5)
    # the undecayed sums stay in the state
    assert model.state_.phi_plus[n, code(model, "a")] == 1.0


def test_evaporation_partial_fit_hand_computed():
    # the old colony's pheromone ages by the time between its reference and the new cohort's last event
    first = make_traces([("A", "a", 0, 1.0)], items=["a", "b"])
    second = make_traces([("B", "b", 2 * DAY, 1.0)], items=["a", "b"])
    model = ManHill(decay="evaporation", rho=0.2, period=DAY, depth=0).fit(first).partial_fit(second)
    assert model.phi_plus_[2, 0] == pytest.approx(0.64)
    assert model.phi_plus_[2, 1] == pytest.approx(1.0)


# ------------------------------------------------------------------ 2. selection operators' quality
def test_tournament_covering_every_candidate_picks_the_best():
    total = np.array([0.3, 2.0, -1.0, 1.5, 0.9])
    allowed = np.ones(5, dtype=bool)
    for seed in range(20):
        assert select(total, allowed, 1, "tournament", seed, tournament_size=5).tolist() == [1]
        # k draws without replacement, each tournament over all the remaining: the greedy order
        assert select(total, allowed, 5, "tournament", seed, tournament_size=5).tolist() == [1, 3, 4, 0, 2]
    # a disallowed best is never drawn
    allowed[1] = False
    assert select(total, allowed, 1, "tournament", 0, tournament_size=5).tolist() == [3]


def test_tournament_of_two_beats_uniform_and_size_one_is_uniform():
    total = np.arange(6, dtype=float)
    allowed = np.ones(6, dtype=bool)
    rng = np.random.default_rng(0)
    picks = np.array([select(total, allowed, 1, "tournament", rng, tournament_size=2)[0] for _ in range(3000)])
    counts = np.bincount(picks, minlength=6)
    # P(item r wins a pair) = 2r / 30 for ranks 0..5: strictly increasing in the score
    np.testing.assert_allclose(counts / 3000, 2 * np.arange(6) / 30, atol=0.03)
    assert counts[0] == 0  # the worst never wins a tournament of two distinct entrants


@pytest.mark.parametrize("operator", ["roulette", "ranking"])
def test_fitness_proportional_operators_draw_higher_scores_more_often(operator):
    # scores shifted by 10: the fitness is the score above the lowest one, whatever the offset
    total = np.array([0.0, 1.0, 2.0, 4.0]) + 10.0
    allowed = np.ones(4, dtype=bool)
    rng = np.random.default_rng(1)
    draws = np.array([select(total, allowed, 1, operator, rng)[0] for _ in range(4000)])
    share = np.bincount(draws, minlength=4) / 4000
    assert np.all(np.diff(share) > 0), share
    if operator == "roulette":
        # fitness = score - min + 0.1 % of the range: 0.004, 1.004, 2.004, 4.004 over 7.016
        np.testing.assert_allclose(share, [0.004 / 7.016, 1.004 / 7.016, 2.004 / 7.016, 4.004 / 7.016],
                                   atol=0.025)
    else:
        np.testing.assert_allclose(share, [0.1, 0.2, 0.3, 0.4], atol=0.025)


def test_greedy_and_stochastic_operators_respect_allowed_and_k():
    total = np.array([5.0, 1.0, 3.0])
    allowed = np.array([False, True, True])
    assert select(total, allowed, 3, "greedy", None).tolist() == [2, 1]
    for op in ("roulette", "ranking", "tournament"):
        assert sorted(select(total, allowed, 3, op, 0).tolist()) == [1, 2]
    assert select(total, np.zeros(3, dtype=bool), 2, "greedy", None).tolist() == []


def test_suggest_tournament_over_every_item_equals_greedy():
    rows = [(f"u{k}", it, t, 1.0) for k in range(8) for t, it in enumerate(["a", "b", "c", "d"])]
    rows += [(f"v{k}", it, t, 0.0) for k in range(3) for t, it in enumerate(["a", "d"])]
    model = ManHill(tournament_size=4).fit(make_traces(rows))
    greedy = [s.item for s in model.suggest(["a"], scores=[1.0], k=4)]
    for seed in range(5):
        assert [s.item for s in model.suggest(["a"], scores=[1.0], k=4, operator="tournament", rng=seed)] == greedy


# ------------------------------------------------------------------ 3. the closed loop helps
def _unstructured():
    from poem.simulation.learners import unstructured

    return unstructured(insight=1.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_colony_last_cohort_beats_unguided_learners(seed):
    from poem.simulation import closed_loop, make_course

    course = make_course(30, rng=np.random.default_rng(seed))
    kw = dict(n_cohorts=4, cohort_size=60, step_budget=40, seed=seed, dropout=0, populations=_unstructured())
    colony = closed_loop(course, "colony", **kw)
    none = closed_loop(course, "none", **kw)
    # same learners in each cohort under both policies; the first colony cohort wanders (nothing learnt)
    assert colony["NRP"].iloc[-1] > 1.5 * none["NRP"].iloc[-1]
    assert colony["NRP"].iloc[-1] > colony["NRP"].iloc[0]
    assert colony["ready_share"].iloc[-1] > none["ready_share"].iloc[-1]


def test_semet_test_reduces_the_wrong_arcs_followed():
    from poem.simulation import make_course
    from poem.simulation.closed_loop import semet_test

    start, end = 0, 0
    for seed in (0, 1, 2):
        course = make_course(60, rng=np.random.default_rng(seed))
        table, summary = semet_test(course, n_wrong=3, n_cohorts=5, cohort_size=50, seed=seed, dropout=0,
                                    populations=_unstructured())
        assert summary["wrong_at_start"] == 3           # the prior alone follows every planted mistake
        assert table["wrong_left"].iloc[-1] < 3          # the learners corrected at least one
        start += summary["wrong_at_start"]
        end += int(table["wrong_left"].iloc[-1])
    assert end <= start - 3


# ------------------------------------------------------------------ 4. mastery boundary + trail reference
def test_score_exactly_at_mastery_is_a_success():
    rows = [("A", "a", 0, 0.5), ("A", "b", 1, 0.5), ("B", "a", 0, 0.49), ("B", "b", 1, 0.5)]
    model = ManHill(mastery=0.5, depth=0).fit(make_traces(rows))
    assert model.item_masters_.tolist() == [1, 2]          # B's 0.49 on a is not a success
    assert model.precedence_.tolist() == [[0.0, 1.0], [0.0, 0.0]]   # only A mastered a, then b
    # conditional counts: mastery at the need-th score >= mastery
    tr = make_traces([("A", "a", 0, 0.5), ("A", "b", 1, 0.0), ("A", "b", 2, 0.5)])
    att, succ, tries, first = conditional_pass(tr.item, tr.score, tr.trail_bounds(), 2, 0.5, np.ones(2, np.int64))
    assert att.tolist() == [[0, 2], [0, 0]] and tries.tolist() == [1, 2]
    assert succ.tolist() == [[0.0, 0.5], [0.0, 0.0]]
    # the second try on b (score 0.5) masters b: a further attempt is a repeat and is not counted
    tr2 = make_traces([("A", "b", 0, 0.5), ("A", "b", 1, 0.5), ("A", "b", 2, 0.0)], items=["a", "b"])
    _, _, tries2, _ = conditional_pass(tr2.item, tr2.score, tr2.trail_bounds(), 2, 0.5, np.full(2, 2, np.int64))
    assert tries2.tolist() == [0, 2]


def test_suggest_mastery_boundary_and_remediation_boundary():
    rows = [(f"u{k}", it, t, 1.0) for k in range(5) for t, it in enumerate(["a", "b", "c"])]
    # mastery at the second success, fixed: the boundary under test is the score threshold, not calibration
    model = ManHill(mastery=0.6, mastery_successes=2, sampling="none").fit(make_traces(rows))
    t = model._tables
    mastered, allowed, _ = mastered_items(t, [0, 0], [0.6, 0.6])   # two passes exactly at the threshold
    assert mastered == [0] and not allowed[0]
    mastered, allowed, _ = mastered_items(t, [0, 0], [0.6, 0.59])
    assert mastered == [] and allowed[0]
    # a score exactly at the threshold is not a failure: no remediation bonus
    from poem.colony.suggestion import score_candidates

    at, at_terms, *_ = score_candidates(t, [2], [0.6], 0.0)
    below, below_terms, *_ = score_candidates(t, [2], [0.5999], 0.0)
    assert not np.allclose(at, below)
    nan, nan_terms, *_ = score_candidates(t, [2], [float("nan")], 0.0)
    # the remediation bonus follows a failure only: not a pass at the threshold, not an unscored visit
    assert below_terms[-1] is not None and np.any(below_terms[-1] > 0)
    assert at_terms[-1] is None and nan_terms[-1] is None


def reference_trail_pass(traces, depth, lam, q, mastery, gap, failure_bonus, learner_weight, event_weight=None):
    """The man-hill deposits as the antcolony docstring states them, in plain Python."""
    n = traces.n_items
    out = dict(phi_p=np.zeros((n + 1, n)), phi_m=np.zeros((n + 1, n)), visits=np.zeros((n + 1, n)),
               arc_learners=np.zeros((n + 1, n)), prec=np.zeros((n, n)), attempts=np.zeros(n),
               successes=np.zeros(n), item_learners=np.zeros(n), item_events=np.zeros(n), item_masters=np.zeros(n))
    bounds = traces.trail_bounds()
    for l in range(len(bounds) - 1):
        ev = list(range(bounds[l], bounds[l + 1]))
        wl = learner_weight[l]
        # sessions: a silence strictly longer than the gap starts a new one
        session, s_id = [], 0
        for k, e in enumerate(ev):
            if k > 0 and gap is not None and traces.timestamp[e] - traces.timestamp[ev[k - 1]] > gap:
                s_id += 1
            session.append(s_id)
        node = [n if k == 0 or session[k] != session[k - 1] else int(traces.item[ev[k - 1]])
                for k in range(len(ev))]
        arcs, items_seen = set(), set()
        first_success, first_failure = {}, {}
        for k, e in enumerate(ev):
            j, s = int(traces.item[e]), float(traces.score[e])
            out["visits"][node[k], j] += 1
            out["item_events"][j] += 1
            arcs.add((node[k], j))
            items_seen.add(j)
            if math.isnan(s):
                continue
            out["attempts"][j] += 1
            out["successes"][j] += s
            amount = q * wl * (1.0 if event_weight is None else event_weight[e])
            for back in range(depth + 1):
                kk = k - back
                if kk < 0 or session[kk] != session[k]:
                    break
                out["phi_p"][node[kk], int(traces.item[ev[kk]])] += lam ** back * amount * s
                out["phi_m"][node[kk], int(traces.item[ev[kk]])] += lam ** back * amount * (1 - s)
            if s >= mastery:
                first_success.setdefault(j, k)
            else:
                first_failure.setdefault(j, k)
        for r, c in arcs:
            out["arc_learners"][r, c] += 1
        for j in items_seen:
            out["item_learners"][j] += 1
        for j, kj in first_success.items():
            out["item_masters"][j] += 1
            for i, ki in first_success.items():
                if ki < kj:
                    bonus = failure_bonus if (j in first_failure and first_failure[j] < ki) else 0.0
                    out["prec"][i, j] += wl * (1 + bonus)
    return out


TRAIL_KEYS = ("phi_p", "phi_m", "visits", "arc_learners", "prec", "attempts", "successes", "item_learners",
              "item_events", "item_masters")

trail_rows = st.lists(
    st.tuples(st.sampled_from(["L1", "L2", "L3"]), st.sampled_from(["a", "b", "c", "d"]),
              st.integers(0, 12).map(lambda k: 30 * k),            # gaps of exactly 30, 60, 90 ... s
              st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, np.nan])),  # 0.5 sits on the mastery threshold
    min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(rows=trail_rows, depth=st.integers(0, 3), lam=st.sampled_from([0.0, 0.3, 1.0]),
       gap=st.sampled_from([None, 0, 30, 60, 90]), bonus=st.sampled_from([0.0, 1.5]),
       weights=st.sampled_from([None, (0.5, 1.0, 0.25)]), evaporate=st.booleans())
def test_trail_pass_matches_plain_python_reference(rows, depth, lam, gap, bonus, weights, evaporate):
    traces = make_traces(rows)
    lw = np.ones(traces.n_learners) if weights is None else np.array(weights[:traces.n_learners])
    ew = np.linspace(0.2, 1.0, traces.n_events) if evaporate else None
    gap_ns = -1 if gap is None else gap * 10 ** 9
    got = trail_pass(traces.item, traces.score, traces.timestamp, traces.trail_bounds(), gap_ns,
                     np.empty(0) if ew is None else ew, lw, traces.n_items, depth, lam, 2.0, 0.5, bonus)
    ref = reference_trail_pass(traces, depth, lam, 2.0, 0.5, None if gap is None else gap * 10 ** 9, bonus,
                               lw, ew)
    for key, value in zip(TRAIL_KEYS, got):
        np.testing.assert_allclose(value, ref[key], rtol=1e-12, atol=1e-12, err_msg=key)


def reference_erosion(traces, depth, lam, q, erosion, gap, learner_weight):
    """Erosion as documented: deposits in global time order (ties: learner, then trail order), each
    deposit on an arc out of r first scales every arc out of r by 1 - erosion."""
    n = traces.n_items
    plus, minus = np.zeros((n + 1, n)), np.zeros((n + 1, n))
    first = session_firsts(traces.trail_bounds(), traces.timestamp, gap)
    for e in np.argsort(traces.timestamp, kind="stable"):
        s = traces.score[e]
        if s != s:
            continue
        amount = q * learner_weight[traces.learner[e]]
        pos, f = e, 1.0
        for _ in range(depth + 1):
            r = n if pos == first[e] else traces.item[pos - 1]
            plus[r] *= 1 - erosion
            minus[r] *= 1 - erosion
            plus[r, traces.item[pos]] += f * amount * s
            minus[r, traces.item[pos]] += f * amount * (1 - s)
            if pos == first[e]:
                break
            pos, f = pos - 1, f * lam
    return plus, minus


@settings(max_examples=40, deadline=None)
@given(rows=trail_rows, depth=st.integers(0, 2), eps=st.sampled_from([0.1, 0.5]),
       gap=st.sampled_from([None, 0, 60]), tour=st.booleans())
def test_erosion_matches_plain_python_reference(rows, depth, eps, gap, tour):
    traces = make_traces(rows)
    outcomes = pd.Series(np.linspace(0.2, 1.0, traces.n_learners), index=traces.learners.astype(str))
    params = dict(decay="erosion", erosion=eps, depth=depth, lam=0.5, q=1.5, tour_quality=tour,
                  session_gap=1e-10 if gap == 0 else gap)   # below a nanosecond: gap_ns = 0
    model = ManHill(**params).fit(traces, outcomes=outcomes)
    lw = outcomes.to_numpy() if tour else np.ones(traces.n_learners)
    plus, minus = reference_erosion(traces, depth, 0.5, 1.5, eps, -1 if gap is None else gap * 10 ** 9, lw)
    np.testing.assert_allclose(model.phi_plus_, plus, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.phi_minus_, minus, rtol=1e-9, atol=1e-12)
    # the row deposit counts the incremental erosion uses: one per arc a deposit reaches
    first = session_firsts(traces.trail_bounds(), traces.timestamp, -1 if gap is None else gap * 10 ** 9)
    counts = row_deposit_counts(traces.item, traces.score, first, traces.n_items, depth)
    expected = np.zeros(traces.n_items + 1, dtype=int)
    for e in range(traces.n_events):
        if traces.score[e] == traces.score[e]:
            pos = e
            for _ in range(depth + 1):
                expected[traces.n_items if pos == first[e] else traces.item[pos - 1]] += 1
                if pos == first[e]:
                    break
                pos -= 1
    assert counts.tolist() == expected.tolist()


# ------------------------------------------------------------------ 5. session-gap boundary
def test_gap_exactly_equal_to_session_gap_stays_in_the_session():
    rows = [("A", "a", 0, 1.0), ("A", "b", 3600, 1.0), ("A", "c", 7201, 1.0)]
    model = ManHill(depth=0, session_gap=3600).fit(make_traces(rows))
    a, b, c, start = 0, 1, 2, 3
    assert model.phi_plus_[a, b] == 1.0 and model.phi_plus_[start, b] == 0.0   # 3600 s: same session
    assert model.phi_plus_[start, c] == 1.0 and model.phi_plus_[b, c] == 0.0   # 3601 s: a new one
    assert session_firsts(np.array([0, 3]), np.array([0, 10, 21]), 10).tolist() == [0, 0, 2]
    # erosion and evaporation read the same sessions
    ero = ManHill(depth=0, session_gap=3600, decay="erosion", erosion=0.5).fit(make_traces(rows))
    assert ero.phi_plus_[a, b] == 1.0 and ero.phi_plus_[start, c] == 1.0
    evap = ManHill(depth=0, session_gap=3600, decay="evaporation").fit(make_traces(rows))
    assert evap.phi_plus_[a, b] > 0 and evap.phi_plus_[start, b] == 0.0


# ------------------------------------------------------------------ 6. reach-back stops at a session start
@pytest.mark.parametrize("decay", [None, "erosion", "evaporation"])
def test_reach_back_never_crosses_a_session_start(decay):
    # session 1: a, b ; two days of silence ; session 2: c, d
    rows = [("A", "a", 0, 1.0), ("A", "b", 60, 1.0), ("A", "c", 2 * DAY, 1.0), ("A", "d", 2 * DAY + 60, 0.0)]
    params = dict(depth=3, lam=0.5, session_gap=3600, decay=decay, erosion=0.0, rho=0.0)
    model = ManHill(**params).fit(make_traces(rows))
    a, b, c, d, start = range(5)
    plus = np.zeros((5, 4))
    plus[start, a] = 1.0 + 0.5      # a, then b's reach-back
    plus[a, b] = 1.0
    plus[start, c] = 1.0            # c opens session 2: nothing reaches a -> b or start -> a from here
    minus = np.zeros((5, 4))
    minus[c, d] = 1.0
    minus[start, c] = 0.5           # d's failure reaches back to the session's first arc, not beyond
    np.testing.assert_allclose(model.phi_plus_, plus)
    np.testing.assert_allclose(model.phi_minus_, minus)


# ------------------------------------------------------------------ 7. graph recall against the closure
def test_graph_recall_with_closure_is_against_the_reduction():
    truth = {"items": list("abc"), "prerequisites": [["a", "b"], ["b", "c"], ["a", "c"]],
             "true_order": list("abc")}
    scores = graph_scores([("a", "b"), ("a", "c")], truth, closure=True)
    # reduction {a->b, b->c}: a->b recalled, b->c missed; a->c is in the closure, so precision is 1
    assert scores["precision"] == 1.0 and scores["recall"] == 0.5 and scores["n_true"] == 2
    assert scores["f1"] == pytest.approx(2 / 3)
    plain = graph_scores([("a", "b"), ("a", "c")], truth)
    assert plain["recall"] == pytest.approx(2 / 3) and plain["n_true"] == 3
    # a cyclic "truth" has no reduction: recall against the arcs as given
    cyclic = {"prerequisites": [["a", "b"], ["b", "a"], ["b", "c"]]}
    cyc = graph_scores([("a", "c")], cyclic, closure=True)
    assert cyc["precision"] == 1.0 and cyc["recall"] == 0.0 and cyc["n_true"] == 3
    # a self-loop on an item outside the cycle is not implied by the truth
    assert graph_scores([("c", "c")], cyclic, closure=True)["precision"] == 0.0
    assert evaluate(["a", "b", "c"], truth, graph=[("a", "b")], closure=True)["recall"] == 0.5


# ------------------------------------------------------------------ 8. greedy path's fallback
def test_greedy_path_falls_back_to_the_best_evidence_when_no_pheromone_remains():
    chain = ["a", "b", "c", "d"]
    rows = [(f"u{k}", it, t, 1.0) for k in range(12) for t, it in enumerate(chain)]
    model = ManHill(depth=0).fit(make_traces(rows))
    # nobody starts on b, c or d: the first step has no pheromone and must take b (it precedes c and d)
    path = learning_path(model, method="greedy", items=["d", "c", "b"])
    assert path.items == ["b", "c", "d"]
    # from d (the last item) no pheromone leads anywhere: the fallback takes a (most net evidence)
    after = learning_path(model, method="greedy", start=[("d", 0.0)], items=["c", "a", "b"])
    assert after.items == ["a", "b", "c"]


# ------------------------------------------------------------------ survivors of the mutation run
def test_a_zero_session_gap_splits_on_any_silence():
    # gap 0 ns (a session_gap below a nanosecond) is a gap, not "no gap": every silence > 0 starts a session
    stamps = np.array([0, 0, 5, 5, 6])
    assert session_firsts(np.array([0, 5]), stamps, 0).tolist() == [0, 0, 2, 2, 4]
    assert session_firsts(np.array([0, 5]), stamps, -1).tolist() == [0, 0, 0, 0, 0]
    assert session_firsts(np.array([0, 2, 5]), stamps, 1).tolist() == [0, 0, 2, 2, 2]
    rows = [("A", "a", 0, 1.0), ("A", "b", 1, 1.0)]
    split = ManHill(depth=0, session_gap=1e-10).fit(make_traces(rows))
    assert split.phi_plus_[2, 1] == 1.0 and split.phi_plus_[0, 1] == 0.0


def test_erosion_renormalises_a_row_near_underflow_without_changing_it():
    # erosion 0.5: a row's stored scale 0.5 ** k (exact in floating point) is renormalised at k = 665, the
    # first k with 0.5 ** k < 1e-200. Row a gets exactly 665 deposits (its last one renormalises), row b 664
    rows = [("A", "ab"[k % 2], k, 1.0) for k in range(2 * 665)]
    traces = make_traces(rows)
    model = ManHill(decay="erosion", erosion=0.5, depth=0).fit(traces)
    # each deposit first halves the row, then adds 1: after k deposits, sum of 0.5 ** i for i < k
    assert model.phi_plus_[0, 1] == pytest.approx((1 - 0.5 ** 665) / 0.5, rel=1e-12)
    assert model.phi_plus_[1, 0] == pytest.approx((1 - 0.5 ** 664) / 0.5, rel=1e-12)
    assert model.phi_plus_[2, 0] == 1.0 and model.phi_minus_.sum() == 0.0
    plus, _ = reference_erosion(traces, 0, 0.5, 1.0, 0.5, -1, np.ones(1))
    np.testing.assert_allclose(model.phi_plus_, plus, rtol=1e-12)


def test_select_edge_cases_one_candidate_ties_and_flat_scores():
    one = np.array([False, True, False])
    for op in ("greedy", "roulette", "ranking", "tournament"):
        assert select(np.array([1.0, 0.0, 2.0]), one, 3, op, 0).tolist() == [1]
    flat = np.full(4, 0.7)
    allowed = np.ones(4, dtype=bool)
    # ties: greedy and a tournament over everyone take the lowest code first
    assert select(flat, allowed, 4, "greedy", None).tolist() == [0, 1, 2, 3]
    assert select(flat, allowed, 4, "tournament", 5, tournament_size=4).tolist() == [0, 1, 2, 3]
    # flat scores: roulette and ranking still draw a valid, roughly uniform, sample
    rng = np.random.default_rng(2)
    for op in ("roulette", "ranking"):
        draws = np.array([select(flat, allowed, 1, op, rng)[0] for _ in range(1000)])
        share = np.bincount(draws, minlength=4) / 1000
        if op == "roulette":
            np.testing.assert_allclose(share, 0.25, atol=0.06)
        assert sorted(select(flat, allowed, 4, op, rng).tolist()) == [0, 1, 2, 3]


def test_roulette_floor_keeps_the_worst_candidate_rarely_possible():
    # fitness = score - min + 0.1 % of the range: the worst of [0, 1] is drawn with p = 0.001 / 1.002
    total, allowed = np.array([0.0, 1.0]), np.ones(2, dtype=bool)
    rng = np.random.default_rng(3)
    worst = sum(select(total, allowed, 1, "roulette", rng)[0] == 0 for _ in range(5000))
    assert worst <= 20                # 5 expected; without the floor's smallness about half the draws
    assert sorted(select(total, allowed, 2, "roulette", 0).tolist()) == [0, 1]


def test_mastered_items_counts_mastery_once():
    rows = [(f"u{k}", it, t, 1.0) for k in range(3) for t, it in enumerate(["a", "b"])]
    t = ManHill(mastery_successes=2).fit(make_traces(rows))._tables
    mastered, allowed, passes = mastered_items(t, [0, 0, 0, 1], [1.0, 1.0, 1.0, 1.0])
    assert mastered == [0] and allowed.tolist() == [False, True] and passes == {1: 1}
    # mastered at exactly its second pass: a mastered item is no longer "passed, not yet mastered"
    mastered, allowed, passes = mastered_items(t, [0, 0, 1], [1.0, 1.0, 1.0])
    assert mastered == [0] and passes == {1: 1}
    mastered, allowed, _ = mastered_items(t, [1, 0, 1], [float("nan"), 1.0, 1.0])
    assert mastered == [] and allowed.tolist() == [True, False]


def test_tour_quality_with_no_known_outcome_weighs_everyone_one():
    rows = [("A", "a", 0, 1.0), ("A", "b", 1, 0.0), ("B", "a", 0, 1.0)]
    unknown = pd.Series({"A": np.nan, "B": np.nan})
    model = ManHill(depth=0, tour_quality=True).fit(make_traces(rows, outcomes=unknown))
    plain = ManHill(depth=0).fit(make_traces(rows))
    np.testing.assert_array_equal(model.phi_plus_, plain.phi_plus_)
    np.testing.assert_array_equal(model.phi_minus_, plain.phi_minus_)
    assert model.phi_plus_[2, 0] == 2.0


def test_trail_pass_weighs_a_single_event():
    # an event-weight array of length one is a weight (evaporation), not "no weights" (length zero)
    tr = make_traces([("A", "a", 0, 1.0)])
    out = trail_pass(tr.item, tr.score, tr.timestamp, tr.trail_bounds(), -1, np.array([0.25]), np.ones(1), 1,
                     0, 0.5, 1.0, 0.5, 0.0)
    assert out[0].tolist() == [[0.0], [0.25]]
    out = trail_pass(tr.item, tr.score, tr.timestamp, tr.trail_bounds(), -1, np.empty(0), np.ones(1), 1,
                     0, 0.5, 1.0, 0.5, 0.0)
    assert out[0].tolist() == [[0.0], [1.0]]


def test_evaporation_over_three_cohorts_ages_from_the_latest_reference():
    items = ["a", "b", "c"]
    cohorts = [make_traces([(name, item, k * DAY, 1.0)], items=items)
               for k, (name, item) in enumerate([("A", "a"), ("B", "b"), ("C", "c")])]
    model = ManHill(decay="evaporation", rho=0.2, period=DAY, depth=0).fit(cohorts[0])
    model.partial_fit(cohorts[1]).partial_fit(cohorts[2])
    np.testing.assert_allclose(model.phi_plus_[3], [0.64, 0.8, 1.0])
    whole = ManHill(decay="evaporation", rho=0.2, period=DAY, depth=0).fit(
        make_traces([("A", "a", 0, 1.0), ("B", "b", DAY, 1.0), ("C", "c", 2 * DAY, 1.0)]))
    np.testing.assert_allclose(model.phi_plus_, whole.phi_plus_)


@pytest.mark.parametrize("decay", ["evaporation", "erosion"])
def test_decay_on_an_empty_log_keeps_both_pheromone_shapes(decay):
    frame = pd.DataFrame({"learner": pd.Series([], dtype=str), "item": pd.Series([], dtype=str),
                          "timestamp": pd.to_datetime(pd.Series([], dtype="int64"), utc=True),
                          "score": pd.Series([], dtype=float)})
    empty = Traces.from_frame(frame, items=["a", "b"])
    model = ManHill(decay=decay).fit(empty)
    assert model.phi_plus_.shape == model.phi_minus_.shape == (3, 2)
    assert not model.phi_plus_.any() and not model.phi_minus_.any()


@pytest.mark.parametrize("decay", ["evaporation", "erosion"])
def test_partial_fit_with_decay_and_new_items_matches_a_whole_fit(decay):
    first = [("A", "a", 0, 1.0), ("A", "b", 3600, 0.0), ("B", "b", 7200, 0.25)]
    second = [("C", "c", DAY, 0.0), ("C", "a", DAY + 60, 1.0), ("D", "b", DAY + 120, 0.0)]
    params = dict(decay=decay, rho=0.3, period=DAY / 2, erosion=0.2, depth=1)
    inc = ManHill(**params).fit(make_traces(first)).partial_fit(make_traces(second))
    whole = ManHill(**params).fit(make_traces(first + second))
    assert inc.items_.tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(inc.phi_plus_, whole.phi_plus_, rtol=1e-12)
    np.testing.assert_allclose(inc.phi_minus_, whole.phi_minus_, rtol=1e-12)
    assert inc.phi_minus_.sum() > 0 and inc.phi_plus_.sum() > 0


def test_tournament_default_size_is_three():
    # of four candidates, a tournament of three misses the best one time in four: the second best wins
    total, allowed = np.array([4.0, 3.0, 2.0, 1.0]), np.ones(4, dtype=bool)
    rng = np.random.default_rng(4)
    wins = np.bincount([select(total, allowed, 1, "tournament", rng)[0] for _ in range(400)], minlength=4)
    assert wins[2] == wins[3] == 0 and 60 <= wins[1] <= 140     # 100 expected


def reference_conditional_evidence(a1, s1, tries, first, m, z_min=2.0):
    """conditional_evidence as its docstring states it, one pair at a time."""
    n = len(tries)
    E = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            a0, s0 = max(tries[j] - a1[i, j], 0.0), max(first[j] - s1[i, j], 0.0)
            rbar = (first[j] + 1.0) / (tries[j] + 2.0)
            if m > 0:
                r1, r0 = (s1[i, j] + m * rbar) / (a1[i, j] + m), (s0 + m * rbar) / (a0 + m)
            else:
                r1 = s1[i, j] / a1[i, j] if a1[i, j] > 0 else rbar
                r0 = s0 / a0 if a0 > 0 else rbar
            se = math.sqrt(rbar * (1 - rbar) * (1 / (a1[i, j] + 1) + 1 / (a0 + 1)))
            if (r1 - r0) / se > z_min:
                E[i, j] = min(max(1.0 - r0 / max(r1, 1e-12), 0.0), 0.99)
    return E


@pytest.mark.parametrize("smoothing", [0.0, 2.0])
def test_conditional_and_precedence_evidence_match_plain_references(smoothing):
    from poem.colony.suggestion import conditional_evidence, precedence_strength

    rng = np.random.default_rng(6)
    significant = [0, 0]
    for _ in range(20):
        n = 4
        tries = rng.integers(0, 60, n).astype(float)
        a1 = np.floor(rng.random((n, n)) * (tries[None, :] + 1))
        first = np.floor(rng.random(n) * (tries + 1))
        s1 = np.minimum(np.floor(rng.random((n, n)) * (a1 + 1)), first[None, :])
        got = conditional_evidence(a1, s1, tries, first, smoothing=smoothing)
        np.testing.assert_allclose(got, reference_conditional_evidence(a1, s1, tries, first, smoothing),
                                   atol=1e-12)
        significant[0] += int((got > 0).sum())
        P = rng.integers(0, 40, (n, n)).astype(float)
        np.fill_diagonal(P, 0)
        ref = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                d, b = P[i, j] - P[j, i], P[i, j] + P[j, i]
                ref[i, j] = d / (b + 1) if d / math.sqrt(b + 1) > 2.0 else 0.0
        np.testing.assert_allclose(precedence_strength(P), ref, atol=1e-12)
        significant[1] += int((ref > 0).sum())
    assert min(significant) >= 10  # both references were compared where they are not 0
    # the docstring's hand-checked cases: 32/40 with i, 4/40 without
    E = conditional_evidence(np.array([[0, 40], [0, 0]]), np.array([[0.0, 32.0], [0.0, 0.0]]),
                             np.array([0, 80]), np.array([0.0, 36.0]))
    assert E[0, 1] == pytest.approx(0.85, abs=0.005)
    assert precedence_strength(np.array([[0.0, 30.0], [2.0, 0.0]]))[0, 1] == pytest.approx(28 / 33)


def test_suggestion_success_rate_and_support_hand_checked():
    rows = [("u0", "a", 0, 1.0), ("u0", "b", 1, 1.0), ("u1", "a", 0, 1.0), ("u1", "b", 1, 1.0),
            ("u2", "a", 0, 1.0), ("u2", "b", 1, 0.0)]
    model = ManHill(depth=0, smoothing=2.0).fit(make_traces(rows))
    got = {s.item: s for s in model.suggest(["a"], scores=[1.0], k=2)}
    # arc a -> b: 2 successes, 1 failure; b's item rate (2 + 1) / (3 + 2) = 0.6 pulls with weight 2
    assert got["b"].support == 3
    assert got["b"].success_rate == pytest.approx((2 + 2 * 0.6) / (3 + 2))
    # a -> a was never travelled: the item rate of a, (3 + 1) / (3 + 2)
    assert got["a"].support == 0 and got["a"].success_rate == pytest.approx(0.8)


def test_evidence_refuses_a_non_square_or_negative_precedence_and_names_valid_options():
    from poem.errors import ParameterError
    from poem.paths import precedence_evidence

    class Colony:
        precedence_ = np.zeros((2, 3))

    with pytest.raises(ParameterError, match="square"):
        precedence_evidence(Colony)
    Colony.precedence_ = np.array([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(ParameterError, match="non-negative"):
        precedence_evidence(Colony)
    rows = [(f"u{k}", it, t, 1.0) for k in range(3) for t, it in enumerate(["a", "b"])]
    model = ManHill().fit(make_traces(rows))
    with pytest.raises(ParameterError, match=r"valid: \['exact_max_n', 'n_iterations'.*'threshold'"):
        learning_path(model, method="lop", bogus=1)


def test_kendall_tau_on_two_common_items_is_defined():
    from poem.ordering.evaluation import kendall_tau

    assert kendall_tau(["b", "x", "a"], ["a", "b"]) == -1.0
    assert kendall_tau(["a", "b"], ["a", "b", "c"]) == 1.0
    assert math.isnan(kendall_tau(["a"], ["a", "b"]))


def test_dominant_term_weighs_each_term():
    # b was never reached: no pheromone, neutral readiness (w_precedence x 0.5); a heavy w_level x level wins
    rows = [("u0", "a", 0, 1.0), ("u1", "a", 0, 0.0)]
    model = ManHill(w_level=2.0).fit(make_traces(rows, items=["a", "b"]))
    b = next(s for s in model.suggest([], k=2) if s.item == "b")
    level = 1 - abs(b.predicted_success - 0.7) / 0.7
    assert 2.0 * level > 0.5 and b.dominant_term == "level"
    # w_level 0.5: 0.5 x level (about 0.36) < 0.5, the neutral readiness term
    light = ManHill(w_level=0.5).fit(make_traces(rows, items=["a", "b"]))
    b = next(s for s in light.suggest([], k=2) if s.item == "b")
    assert 0.5 * (1 - abs(b.predicted_success - 0.7) / 0.7) < 0.5 < 0.5 / (1 - abs(b.predicted_success - 0.7) / 0.7)
    assert b.dominant_term == "precedence"


def test_evaluate_graph_is_scored_against_the_arcs_by_default():
    truth = {"items": list("abc"), "prerequisites": [["a", "b"], ["b", "c"]], "true_order": list("abc")}
    assert evaluate(["a"], truth, graph=[("a", "c")])["precision"] == 0.0
    assert evaluate(["a"], truth, graph=[("a", "c")], closure=True)["precision"] == 1.0


def test_mastered_items_by_hand_with_per_item_needs():
    """Item 0 needs two passes, item 1 one: after two passes of 0 and one of 1 both are mastered and no
    longer allowed, and neither is listed among the passed-but-not-yet-mastered items; a NaN blocks."""
    from types import SimpleNamespace

    from poem.colony.suggestion import mastered_items

    for need_list in (None, [2, 1, 1]):
        t = SimpleNamespace(n=3, need=np.array([2, 1, 1]), need_list=need_list, mastery=0.5)
        mastered, allowed, passes = mastered_items(t, [0, 1, 0], [1.0, 1.0, 1.0])
        assert mastered == [1, 0] and allowed.tolist() == [False, False, True] and passes == {}
        mastered, allowed, passes = mastered_items(t, [0, 2], [1.0, float("nan")])
        assert mastered == [] and allowed.tolist() == [True, True, False] and passes == {0: 1}


@pytest.mark.parametrize("readiness", ["share", "conditional"])
def test_remediation_after_a_failure_points_to_the_missing_prerequisite(readiness):
    """b needs a: learners who pass a first then pass b; those who try b first fail it, pass a, then pass b.
    A learner who just failed b gets a remediation bonus, and the largest goes to a (either readiness; one
    pass is mastery here, as every learner passes a once)."""
    import pandas as pd

    from poem.antcolony import ManHill
    from poem.colony.suggestion import score_candidates
    from poem.traces import Traces

    rows = []
    for k in range(60):
        seq = [("a", 1.0), ("b", 1.0)] if k % 2 else [("b", 0.0), ("a", 1.0), ("b", 1.0)]
        seq += [("c", 1.0 if k % 3 else 0.0)]
        rows += [(f"u{k}", item, step, s) for step, (item, s) in enumerate(seq)]
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="h", utc=True)
    model = ManHill(readiness=readiness, mastery_successes=1).fit(Traces.from_frame(frame))
    t = model._tables
    code = {x: k for k, x in enumerate(model.items_)}
    _, (_, _, _, _, remedy), _, _ = score_candidates(t, [code["b"]], [0.0], 0.0, rng=0)
    assert remedy is not None and remedy[code["a"]] == pytest.approx(remedy.max()) and remedy.max() > 0


# ------------------------------------------------------------------ suggestion terms by hand
def _prereq_rows(n=30):
    """Half the learners pass p then j, the other half o then j: p and o both precede j."""
    rows = []
    for l in range(n):
        rows += [(f"P{l}", "p", 10 * l, 1.0), (f"P{l}", "j", 10 * l + 1, 1.0),
                 (f"N{l}", "o", 10 * l, 1.0), (f"N{l}", "j", 10 * l + 1, 1.0)]
    return rows


def test_share_readiness_names_the_missing_prerequisite():
    # with the share readiness the evidence is in [0, 1] (here 30 / 31): a learner who has passed o but not
    # p is told p is missing before j; one who passed p is told nothing is (o is mastered or not, p is)
    model = ManHill(readiness="share", mastery_successes=1, sampling="none").fit(make_traces(_prereq_rows()))
    t = model._tables
    assert 0 < t.evidence[code(model, "p"), code(model, "j")] <= 1
    lacking = {s.item: s for s in model.suggest(["o"], scores=[1.0], k=3)}
    assert lacking["j"].missing_prerequisite == "p"
    both = {s.item: s for s in model.suggest(["p", "o"], scores=[1.0, 1.0], k=3)}
    assert both["j"].missing_prerequisite is None


def test_level_term_is_one_at_the_target_success_and_zero_farthest_from_it():
    from poem.colony.suggestion import score_candidates

    model = ManHill(target_success=0.7, sampling="none").fit(make_traces(_prereq_rows()))
    t = model._tables
    d = t.difficulty
    on_target = d[0] + math.log(0.7 / 0.3)            # theta where item 0 is passed with p = 0.7
    level = score_candidates(t, [], [], on_target)[1][1]
    assert level[0] == pytest.approx(1.0)
    # far below every item: p -> 0, the farthest point from 0.7 on [0, 1]: level -> 0
    level = score_candidates(t, [], [], d.min() - 40.0)[1][1]
    np.testing.assert_allclose(level, 0.0, atol=1e-12)
    level = score_candidates(t, [], [], d.max() + 40.0)[1][1]   # p -> 1: 1 - 0.3 / 0.7
    np.testing.assert_allclose(level, 1 - 0.3 / 0.7)


def test_sampling_none_does_not_depend_on_the_seed_thompson_does():
    from poem.colony.suggestion import score_candidates

    traces = make_traces(_prereq_rows())
    plain = ManHill(sampling="none").fit(traces)._tables
    a = score_candidates(plain, [code(ManHill().fit(traces), "o")], [1.0], 0.0, rng=1)[0]
    b = score_candidates(plain, [code(ManHill().fit(traces), "o")], [1.0], 0.0, rng=2)[0]
    np.testing.assert_array_equal(a, b)
    thompson = ManHill(sampling="thompson").fit(traces)._tables
    a = score_candidates(thompson, [0], [1.0], 0.0, rng=1)[0]
    b = score_candidates(thompson, [0], [1.0], 0.0, rng=2)[0]
    assert not np.allclose(a, b)


def test_teacher_prior_weight_halves_with_the_learners_leaving_its_node():
    from poem.colony.suggestion import PRIOR_LEARNERS

    # 3 learners go a -> b, one goes b -> a: 3 leave a, 1 leaves b, 4 leave the start
    rows = [(f"u{k}", "a", 0, 1.0) for k in range(3)] + [(f"u{k}", "b", 1, 1.0) for k in range(3)]
    rows += [("v", "b", 0, 1.0), ("v", "a", 1, 1.0)]
    model = ManHill(prior=["a", "b"], prior_weight=1.0).fit(make_traces(rows, items=["a", "b"]))
    t = model._tables
    a, b, start = code(model, "a"), code(model, "b"), 2
    assert t.prior[a, b] == pytest.approx(PRIOR_LEARNERS / (PRIOR_LEARNERS + 3))
    assert t.prior[start, a] == pytest.approx(PRIOR_LEARNERS / (PRIOR_LEARNERS + 4))
    assert t.prior[b, a] == 0.0
    # the pheromone terms are scaled per row to [0, 1]: the strongest arc out of a node weighs 1 (w_plus = 1)
    for row in (a, b, start):
        assert (t.plus[row] + t.minus[row]).max() == pytest.approx(1.0)


def test_one_suggestion_is_the_single_item_list_of_suggestions():
    import pandas as pd

    from poem.antcolony import ManHill
    from poem.colony.suggestion import score_candidates
    from poem.traces import Traces

    frame = pd.DataFrame({"learner": ["u", "u", "v", "v"], "item": ["a", "b", "a", "c"],
                          "score": [1.0, 1.0, 1.0, 0.0],
                          "timestamp": pd.to_datetime([0, 1, 0, 1], unit="h", utc=True)})
    model = ManHill().fit(Traces.from_frame(frame))
    t = model._tables
    code = {x: k for k, x in enumerate(model.items_)}
    total, terms, _, p = score_candidates(t, [code["a"]], [1.0], 0.0, rng=0)
    one = t.suggestion(code["c"], code["a"], total, terms, p, [code["a"]], [1.0])
    assert one == t.suggestions([code["c"]], code["a"], total, terms, p, [code["a"]], [1.0])[0]
    assert one.item == "c"
