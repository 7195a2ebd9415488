"""Baseline paths on traces: hand-checked small cases, the DFG against a plain reference (against pm4py:
``benchmarks/bench_dfg_pm4py.py``), benchmark sanity figures."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.ordering.baselines import (BASELINES, baseline_path, catalogue, directly_follows, first_success_rank,
                            first_view_rank, item_statistics, markov, popularity, random_order,
                            transition_counts)
from poem.errors import ParameterError
from poem.ordering.evaluation import evaluate
from poem.traces import Traces


def make(rows, items=None, item_info=None) -> Traces:
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="h", utc=True)
    return Traces.from_frame(frame, items=items, item_info=item_info)


# learner u1: a b c ; u2: b a c (fails a first) ; u3: a c ; item d only in the catalogue
SMALL = [("u1", "a", 0, 1.0), ("u1", "b", 1, 1.0), ("u1", "c", 2, 1.0),
         ("u2", "b", 0, 0.0), ("u2", "a", 1, 1.0), ("u2", "b", 2, 1.0), ("u2", "c", 3, 0.0),
         ("u3", "a", 0, 1.0), ("u3", "c", 1, 1.0)]


@pytest.fixture
def small():
    return make(SMALL, items=["d"])


def test_item_statistics_by_hand(small):
    stats = item_statistics(small)
    assert stats["learners"].to_dict() == {"a": 3, "b": 2, "c": 3, "d": 0}
    assert stats.loc["b", "attempts"] == 3 and stats.loc["b", "success_rate"] == pytest.approx(2 / 3)
    assert np.isnan(stats.loc["d", "success_rate"])


def test_transition_counts_by_hand(small):
    counts, starts = transition_counts(small)
    idx = {x: k for k, x in enumerate(small.items)}
    assert counts[idx["a"], idx["b"]] == 2 and counts[idx["b"], idx["a"]] == 1
    assert counts[idx["b"], idx["c"]] == 2 and counts[idx["a"], idx["c"]] == 1
    assert counts.sum() == 6 and starts.tolist() == [2, 1, 0, 0]
    success_counts, _ = transition_counts(small, success_only=True)
    assert success_counts[idx["b"], idx["c"]] == 1  # u2's b -> c ended in a failure


def test_popularity_and_ranks_by_hand(small):
    # three events each: ties go to the item more learners reached (a, c: 3; b: 2), then vocabulary order
    assert popularity(small).items == ["a", "c", "b", "d"]
    # first views: u1 a0 b1 c2 ; u2 b0 a1 c2 ; u3 a0 c1 -> a 1/3, b 1/2, c 5/3, d never
    assert first_view_rank(small).items == ["a", "b", "c", "d"]
    # first successes: u1 a0 b1 c2 ; u2 a0 b1 ; u3 a0 c1 -> a 0, b 1, c 1.5
    assert first_success_rank(small).items == ["a", "b", "c", "d"]


def test_directly_follows_greedy_by_hand(small):
    path = directly_follows(small)
    assert path.items == ["a", "b", "c", "d"]  # start a (2 starts), a->b (2), b->c (2), then the unreached d
    assert path.objective == 2 + 2 + 2 + 0
    assert path.steps["arc_support"].tolist() == [2, 2, 2, 0]


def test_markov_prefers_successful_moves(small):
    path = markov(small)
    assert path.items[:3] == ["a", "b", "c"]
    assert np.isinf(path.objective)  # d can only be reached by a jump


def test_directly_follows_counts_equal_a_plain_reference():
    # the pm4py DFG comparison needs the `bench` extra: it lives in benchmarks/bench_dfg_pm4py.py; here the
    # counts are checked against a plain-Python reading of "directly follows" on the canonical frame
    rng = np.random.default_rng(0)
    rows = [(f"u{k}", f"i{rng.integers(0, 6)}", t, 1.0) for k in range(30) for t in range(8)]
    traces = make(rows)
    frame = traces.to_frame().sort_values(["learner", "timestamp"], kind="stable")
    theirs, starts = {}, {}
    for _, trail in frame.groupby("learner", sort=False):
        seq = trail["item"].astype(str).tolist()
        starts[seq[0]] = starts.get(seq[0], 0) + 1
        for a, b in zip(seq, seq[1:]):
            if a != b:  # a path never repeats an item: self-loops are not moves
                theirs[(a, b)] = theirs.get((a, b), 0) + 1
    counts, start_counts = transition_counts(traces)
    idx = {x: k for k, x in enumerate(traces.items)}
    ours = {(a, b): counts[idx[a], idx[b]] for a in idx for b in idx if counts[idx[a], idx[b]] > 0}
    assert len(theirs) > 10 and ours == theirs
    assert {a: start_counts[idx[a]] for a in idx if start_counts[idx[a]] > 0} == starts


def test_catalogue_order_from_item_info():
    info = pd.DataFrame({"position": [3, 1, 2]}, index=["a", "b", "c"])
    traces = make(SMALL, items=["d"], item_info=info)
    assert catalogue(traces).items == ["b", "c", "a", "d"]
    with pytest.raises(ParameterError, match="catalogue order is unknown"):
        catalogue(make(SMALL))


def test_random_is_seeded(small):
    assert random_order(small, rng=3).items == random_order(small, rng=3).items
    assert {tuple(random_order(small, rng=s).items) for s in range(20)}.__len__() > 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7), st.integers(0, 30),
                          st.sampled_from([0.0, 1.0, np.nan])), min_size=1, max_size=60),
       st.sampled_from(sorted(set(BASELINES) - {"catalogue"})))
def test_every_baseline_orders_every_item_once(raw, name):
    traces = make([(f"u{a}", f"v{b}", t, s) for a, b, t, s in raw], items=["extra"])
    path = baseline_path(traces, name, rng=0)
    assert sorted(path.items) == sorted(traces.items.tolist())
    assert path.steps["item"].tolist() == path.items
    # nobody reached "extra": it comes after every item with evidence for the method
    with_evidence = (traces.score >= 0.5) if name == "first_success_rank" else np.ones(len(traces), bool)
    n_known = len(np.unique(traces.item[with_evidence]))
    if name != "random":
        assert path.items.index("extra") >= n_known


def test_unknown_baseline_and_wrong_input(small):
    with pytest.raises(ParameterError, match="unknown baseline 'dfs'"):
        baseline_path(small, "dfs")
    with pytest.raises(ParameterError, match="Traces"):
        popularity(pd.DataFrame())


@pytest.mark.parametrize("course, reference", [
    ("course-a", {"popularity": 0.71, "first_view_rank": 0.72, "directly_follows": 0.72}),
    ("course-b", {"popularity": 0.59, "first_view_rank": 0.60, "directly_follows": 0.67}),
])
def test_reference_baseline_figures_roughly_reproduced(benchmark_course, course, reference):
    folder = benchmark_course(course)
    frame = pd.read_csv(folder / "traces.csv")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    traces = Traces.from_frame(frame)
    truth = json.loads((folder / "truth.json").read_text())
    for name, expected in reference.items():
        assert evaluate(baseline_path(traces, name), truth)["respect"] == pytest.approx(expected, abs=0.09)


# ------------------------------------------------------------------ more hand-checked cases
# u1: a b(failed) b c ; u2: b a(failed) d ; u3: c(failed), a single event ; u4: a a
HAND = [("u1", "a", 0, 1.0), ("u1", "b", 1, 0.0), ("u1", "b", 2, 1.0), ("u1", "c", 3, 1.0),
        ("u2", "b", 0, 1.0), ("u2", "a", 1, 0.0), ("u2", "d", 2, 1.0),
        ("u3", "c", 0, 0.0),
        ("u4", "a", 0, 1.0), ("u4", "a", 1, 1.0)]


def test_transition_counts_by_hand_single_event_learners_start_too():
    t = make(HAND)
    counts, starts = transition_counts(t)
    a, b, c, d = range(4)
    want = np.zeros((4, 4))
    want[a, b] = want[b, c] = want[b, a] = want[a, d] = 1      # repeats (b b, a a) are no moves
    np.testing.assert_array_equal(counts, want)
    np.testing.assert_array_equal(starts, [2, 1, 1, 0])       # u3's single event is a start
    counts, starts = transition_counts(t, success_only=True)
    want = np.zeros((4, 4))
    want[b, c] = want[a, d] = 1                                # moves that end in a success
    np.testing.assert_array_equal(counts, want)
    np.testing.assert_array_equal(starts, [2, 1, 0, 0])       # u3 started with a failure


def test_first_event_ranks_by_hand_with_more_learners_than_items():
    from poem.ordering.baselines import _first_event_ranks

    # x: ranks 1 (u1), 0 (u2), 0 (u3) -> 1/3; y: 0 (u1), 1 (u2) -> 1/2. Three learners, two items: a key
    # of learner and item that is not one-to-one would merge u3's x with u1's y
    t = make([("u1", "y", 0, 1.0), ("u1", "x", 1, 0.0), ("u2", "x", 0, 1.0), ("u2", "y", 1, 1.0),
              ("u3", "x", 0, 1.0)])
    np.testing.assert_allclose(_first_event_ranks(t, success_only=False), [1 / 3, 1 / 2])
    # first successes: u1 passes y only (rank 0), u2 x then y, u3 x
    np.testing.assert_allclose(_first_event_ranks(t, success_only=True), [0.0, 0.5])


def test_first_success_rank_differs_from_first_view_rank():
    # one learner meets x first but passes y first
    t = make([("u", "x", 0, 0.0), ("u", "y", 1, 1.0), ("u", "x", 2, 1.0)])
    assert first_view_rank(t).items == ["x", "y"]
    assert first_success_rank(t).items == ["y", "x"]


def test_markov_with_smoothing_by_hand():
    # success moves of HAND: b -> c and a -> d; starts with a success: a twice, b once. Smoothing 1 adds
    # one to every arc but the loops: row a = (0, 1, 1, 2) / 4, row b = (1, 0, 2, 1) / 4, row d = 1/3 each
    t = make(HAND)
    path = markov(t, smoothing=1.0)
    # start a (2/3); a -> d (1/2); from d, b and c tie at 1/3 (the lower index first); b -> c (2/4)
    assert path.items == ["a", "d", "b", "c"]
    assert path.objective == pytest.approx(np.log(2 / 3) + np.log(1 / 2) + np.log(1 / 3) + np.log(1 / 2))


def test_transition_counts_of_a_cohort_skip_learners_without_events():
    # select_learners keeps the vocabulary: u1 stays a learner with no event, and must start nothing
    t = make(HAND)
    cohort = t.select_learners(t.learners != "u1")
    counts, starts = transition_counts(cohort)
    np.testing.assert_array_equal(starts, [1, 1, 1, 0])          # u2 starts at b, u3 at c, u4 at a
    assert counts.sum() == 2                                      # u2: b -> a -> d


def test_markov_without_smoothing_by_hand():
    # success moves of HAND: a -> d and b -> c, each its origin's only one (probability 1); rows c and d
    # have none. Start a (2/3) -> d (1); from d no move: the jump goes to the most followed unvisited item
    # (b and c, two learners each: b, the lower index), objective -inf; then b -> c (1)
    path = markov(make(HAND))
    assert path.items == ["a", "d", "b", "c"] and path.objective == -np.inf
    # one learner who starts with a success: the start probability is 1, every arc 1, objective 0
    one = markov(make([("u", "x", 0, 1.0), ("u", "y", 1, 1.0)]))
    assert one.items == ["x", "y"] and one.objective == 0.0


def test_item_statistics_by_hand():
    stats = item_statistics(make(HAND))
    assert stats["learners"].tolist() == [3, 2, 2, 1]
    assert stats["attempts"].tolist() == [4, 3, 2, 1]
    np.testing.assert_allclose(stats["success_rate"], [3 / 4, 2 / 3, 1 / 2, 1.0])   # d: one attempt, passed


def test_a_score_of_exactly_one_half_is_a_success():
    # SUCCESS = 0.5 is the threshold, reached: a start, a move and a first success scored 0.5 all count
    t = make([("u", "x", 0, 0.5), ("u", "y", 1, 0.5), ("w", "y", 0, 0.0)])
    counts, starts = transition_counts(t, success_only=True)
    assert counts[0, 1] == 1 and starts.tolist() == [1, 0]
    from poem.ordering.baselines import _first_event_ranks

    np.testing.assert_allclose(_first_event_ranks(t, success_only=True), [0.0, 1.0])


def test_first_view_ranks_of_hand_by_hand():
    from poem.ordering.baselines import _first_event_ranks

    # first views: u1 a b c, u2 b a d, u3 c, u4 a: a 0, 1, 0; b 1, 0; c 2, 0; d 2 (one learner)
    np.testing.assert_allclose(_first_event_ranks(make(HAND), success_only=False), [1 / 3, 1 / 2, 1, 2])


def test_markov_normalises_each_origin_and_starts_with_successful_starts():
    # success moves: a -> b twice, a -> c once, b -> c once, c -> b once; successful starts: a three
    # times, b and c once. P(a -> b) = 2/3 (row a), P(b -> c) = 1 (row b): start a (3/5), b, then c
    t = make([("u1", "a", 0, 1.0), ("u1", "b", 1, 1.0), ("u2", "a", 0, 1.0), ("u2", "b", 1, 1.0),
              ("u3", "a", 0, 1.0), ("u3", "c", 1, 1.0), ("u4", "c", 0, 1.0), ("u4", "b", 1, 1.0),
              ("u5", "b", 0, 1.0), ("u5", "c", 1, 1.0)])
    path = markov(t)
    assert path.items == ["a", "b", "c"]
    assert path.objective == pytest.approx(np.log(3 / 5) + np.log(2 / 3) + np.log(1.0))
    # an origin without success moves (b) has no probabilities, even toward an item others move to (c):
    # start a (1), a -> b (1/2, tied with c: the lower index), then a jump to c, objective -inf
    jump = markov(make([("u", "a", 0, 1.0), ("u", "b", 1, 1.0), ("x", "a", 0, 1.0), ("x", "c", 1, 1.0)]))
    assert jump.items == ["a", "b", "c"] and jump.objective == -np.inf
    # nobody starts with a success: no start probability, the walk jumps in, objective -inf
    failed_starts = markov(make([("u", "x", 0, 0.0), ("u", "y", 1, 1.0)]))
    assert failed_starts.objective == -np.inf


def test_baselines_of_an_empty_log():
    empty = Traces.from_frame(pd.DataFrame({"learner": pd.Series([], dtype=object),
                                            "item": pd.Series([], dtype=object),
                                            "timestamp": pd.to_datetime(pd.Series([], dtype="int64"), utc=True),
                                            "score": pd.Series([], dtype=float)}))
    for method in (markov, directly_follows):
        path = method(empty)
        assert path.items == [] and path.objective == 0.0 and len(path.steps["arc_support"]) == 0
