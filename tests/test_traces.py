import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from poem.errors import TraceFormatError
from poem.traces import ImportSummary, Traces


def _frame(learners, items, days, scores=None):
    frame = pd.DataFrame({
        "learner": learners,
        "item": items,
        "timestamp": pd.to_datetime("2024-01-01", utc=True) + pd.to_timedelta(days, unit="D"),
    })
    if scores is not None:
        frame["score"] = scores
    return frame


def test_sorted_by_learner_then_time_with_ties_in_row_order():
    frame = _frame(["b", "a", "a", "a"], ["x", "z", "y", "w"], [0, 1, 1, 0])
    traces = Traces.from_frame(frame)
    decoded = traces.to_frame()
    assert decoded["learner"].tolist() == ["a", "a", "a", "b"]
    # a's events: day 0 (w), then the two day-1 events in their original row order (z before y)
    assert decoded["item"].tolist() == ["w", "z", "y", "x"]


def test_catalogue_items_join_vocabulary_and_caller_frame_untouched():
    frame = _frame(["a"], ["x"], [0])
    before = frame.copy()
    traces = Traces.from_frame(frame, items=["unseen", "x"])
    assert traces.items.tolist() == ["unseen", "x"]
    assert traces.items[traces.item].tolist() == ["x"]
    pd.testing.assert_frame_equal(frame, before)


def test_unclean_input_is_refused_with_named_problem():
    with pytest.raises(TraceFormatError, match="missing"):
        Traces.from_frame(pd.DataFrame({"who": ["a"]}))
    naive = pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(TraceFormatError, match="timezone"):
        Traces.from_frame(naive)
    with pytest.raises(TraceFormatError, match=r"\[0, 1\]"):
        Traces.from_frame(_frame(["a"], ["x"], [0], scores=[1.5]))


def test_outcomes_align_and_reject_out_of_range():
    traces = Traces.from_frame(_frame(["b", "a"], ["x", "x"], [0, 0]))
    with_out = traces.with_outcomes(pd.DataFrame({"learner": ["a", "zzz"], "outcome": [0.5, 1.0]}))
    assert with_out.outcomes[0] == 0.5 and np.isnan(with_out.outcomes[1])
    assert with_out.outcomes_frame()["learner"].tolist() == ["a"]
    with pytest.raises(TraceFormatError, match="outcomes"):
        traces.with_outcomes(pd.DataFrame({"learner": ["a"], "outcome": [2.0]}))


def test_summary_accounting_is_enforced():
    assert str(ImportSummary(3, 2, 1, {"bad": 1})) == "read 3 rows: accepted 2, rejected 1 (bad: 1)"
    with pytest.raises(ValueError):
        ImportSummary(3, 2, 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from(["i1", "i2", "i3"]),
                          st.integers(0, 5), st.floats(0, 1)), min_size=1, max_size=40))
def test_round_trip_preserves_every_event(rows):
    learners, items, days, scores = map(list, zip(*rows))
    frame = _frame(learners, items, days, scores)
    traces = Traces.from_frame(frame)
    bounds = traces.trail_bounds()
    assert bounds[-1] == len(frame) and np.all(np.diff(bounds) >= 0)
    # within each learner the timestamps never go backwards
    for k in range(traces.n_learners):
        assert np.all(np.diff(traces.timestamp[bounds[k]:bounds[k + 1]]) >= 0)
    back = traces.to_frame()
    key = ["learner", "item", "timestamp", "score"]
    expected = frame.sort_values(["learner", "timestamp"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(back[key], expected[key], check_dtype=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=30), st.lists(st.booleans(), min_size=6, max_size=6))
def test_trail_bounds_count_each_learners_events_even_after_a_selection(learners, keep):
    traces = Traces.from_frame(_frame(learners, ["i"] * len(learners), list(range(len(learners)))))
    # a selection keeps the vocabulary: some learners then have no event at all
    sub = traces.select_learners(np.array(keep[:traces.n_learners]))
    for t in (traces, sub):
        counts = np.bincount(t.learner, minlength=t.n_learners)
        np.testing.assert_array_equal(t.trail_bounds(), np.concatenate([[0], np.cumsum(counts)]))
        assert t.trail_bounds().dtype == np.int64
