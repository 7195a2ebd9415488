"""The synthetic log generator: exact size, determinism, canonical columns, plausible structure, and the
Parquet layouts the scale benchmarks rely on."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from poem.errors import ParameterError
from poem.simulation.synth import generate_log, write_parquet_log
from poem.traces import Traces


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3_000), st.integers(1, 400), st.integers(2, 40), st.integers(0, 2**32 - 1),
       st.sampled_from(["time", "learner", "random"]))
def test_exact_size_canonical_and_encodable(n_events, n_learners, n_items, seed, order):
    log = generate_log(n_events, n_learners=n_learners, n_items=n_items, seed=seed, order=order)
    events = log.events
    assert len(events) == n_events
    assert events.columns.tolist() == ["learner", "item", "timestamp", "score", "duration"]
    assert events["learner"].nunique() <= n_learners and events["item"].nunique() <= n_items
    scored = events["score"].dropna()
    assert scored.isin([0.0, 1.0]).all()
    assert (events["duration"] >= 1).all()
    # every learner with events has exactly one outcome in [0, 1]
    assert sorted(log.outcomes["learner"]) == sorted(events["learner"].unique())
    assert log.outcomes["outcome"].between(0, 1).all()
    traces = Traces.from_frame(events)  # clean by construction
    assert traces.n_events == n_events
    # within a trail, time strictly increases (whole-second gaps of at least 1 s)
    same = traces.learner[1:] == traces.learner[:-1]
    assert (np.diff(traces.timestamp)[same] >= 1_000_000_000).all()
    if order == "time":
        assert events["timestamp"].is_monotonic_increasing


def test_seeded_and_generator_accepted():
    a = generate_log(2_000, n_learners=100, seed=5).events
    b = generate_log(2_000, n_learners=100, seed=np.random.default_rng(5)).events
    c = generate_log(2_000, n_learners=100, seed=6).events
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_course_shape_forward_progress_and_quizzes():
    events = generate_log(60_000, n_learners=2_000, n_items=30, seed=0, order="learner").events
    item = events["item"].str[1:].astype(int).to_numpy()
    same = events["learner"].to_numpy()[1:] == events["learner"].to_numpy()[:-1]
    step = np.diff(item)[same]
    # learners move forward through the catalogue more often than backward, mostly by small steps
    assert (step > 0).mean() > (step < 0).mean()
    assert np.median(np.abs(step)) <= 3
    quiz = item % 3 == 2
    assert events["score"].notna().to_numpy().tolist() == quiz.tolist()
    # heavy-tailed activity: the busiest learner does far more than the median one
    sizes = events.groupby("learner").size()
    assert sizes.max() > 10 * sizes.median()


@pytest.mark.parametrize("partition, n_files", [("day", None), ("learner", 4), ("rows", 3)])
def test_parquet_layouts_round_trip(tmp_path, partition, n_files):
    log = generate_log(3_000, n_learners=80, n_items=10, seed=2, days=20)
    files = log.write_parquet(tmp_path, partition=partition, n_files=n_files)
    parts = [pd.read_parquet(f) for f in files]
    back = pd.concat(parts, ignore_index=True)
    key = ["learner", "timestamp", "item"]
    expected = log.events.sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(back.sort_values(key, ignore_index=True), expected, check_dtype=False)
    if partition == "day":
        assert all(p["timestamp"].dt.floor("D").nunique() == 1 for p in parts)
        assert len(files) == log.events["timestamp"].dt.floor("D").nunique()
    elif partition == "learner":
        owner = pd.concat([p[["learner"]].assign(f=k) for k, p in enumerate(parts)])
        assert owner.groupby("learner")["f"].nunique().max() == 1
        assert len(files) == 4
    else:
        assert [len(p) for p in parts] == [1000, 1000, 1000]


def test_write_parquet_log_in_one_call(tmp_path):
    files = write_parquet_log(500, tmp_path, n_learners=20, n_items=5, seed=1, partition="rows", n_files=2)
    assert sum(len(pd.read_parquet(f)) for f in files) == 500


@pytest.mark.parametrize("kwargs, match", [
    ({"n_events": 0}, "n_events"), ({"n_events": 10, "n_items": 1}, "n_items"),
    ({"n_events": 10, "order": "sideways"}, "order"), ({"n_events": 10, "start": "someday"}, "start"),
    ({"n_events": 2.5}, "n_events"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        generate_log(**kwargs)


def test_bad_partition_is_named(tmp_path):
    with pytest.raises(ParameterError, match="partition"):
        generate_log(10, n_learners=3).write_parquet(tmp_path, partition="hour")
