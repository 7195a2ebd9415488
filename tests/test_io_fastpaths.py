"""The import's fast paths never decide differently from the careful ones.

* the strict ISO 8601 kernel (:mod:`poem.importers._isotime`) against pandas alone, value by value and
  through ``read_traces`` (Traces and rejects identical);
* the linear-time trail sort against ``np.lexsort``, long trails and ties included;
* the duplicate check on integer keys against a plain Python oracle (NaN equal to NaN, -0.0 equal to 0.0,
  the detail naming the first row).
"""

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from poem.importers import _isotime
from poem.importers.batch import trail_order
from poem.importers.timestamps import MISSING, NAIVE, OK, UNPARSEABLE, _parse_strings
from poem.io import read_traces


# ------------------------------------------------------------------------------------------ timestamps
def _two(lo, hi):
    return st.integers(lo, hi).map(lambda v: f"{v:02d}")


iso_like = st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, off, pad: pad[0] + f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}{frac}{off}" + pad[1],
    st.one_of(st.integers(1990, 2030), st.sampled_from([1677, 1678, 2261, 2262, 999])).map(str),
    _two(0, 13), _two(0, 32), st.sampled_from([" ", "T", "t", "  "]), _two(0, 25), _two(0, 61), _two(0, 61),
    st.one_of(st.just(""), st.text("0123456789", min_size=0, max_size=11).map(lambda f: "." + f)),
    st.one_of(st.sampled_from(["", "Z", "z", " Z", "+", "GMT"]),
              st.builds(lambda sign, hh, mm, colon: f"{sign}{hh}{colon}{mm}", st.sampled_from("+-"),
                        _two(0, 25), st.one_of(st.just(""), _two(0, 61)), st.sampled_from([":", ""]))),
    st.sampled_from([("", ""), (" ", ""), ("", " "), ("", "x")]),
)
stamp = st.one_of(iso_like, iso_like, st.none(), st.sampled_from(["", "  ", "2024-01-01", "soon", "10:00"]))


def _both(values, zone):
    fast = _parse_strings(values, np.zeros(len(values), np.int64), np.zeros(len(values), np.int8), zone, None)
    slow = _parse_strings(values, np.zeros(len(values), np.int64), np.zeros(len(values), np.int8), zone, None,
                          fast=False)
    return fast, slow


@settings(max_examples=300, deadline=None)
@given(st.lists(stamp, min_size=1, max_size=30), st.sampled_from([None, "utc", "UTC", "Europe/Paris"]),
       st.sampled_from(["object", "str"]))
def test_iso_kernel_agrees_with_pandas_on_every_value(values, zone, dtype):
    series = pd.Series(values, dtype=dtype)
    (ns_f, state_f), (ns_s, state_s) = _both(series, zone)
    assert state_f.tolist() == state_s.tolist(), list(zip(values, state_f, state_s))
    ok = state_s == OK
    assert ns_f[ok].tolist() == ns_s[ok].tolist(), [v for v, o in zip(values, ok) if o]


def test_iso_kernel_takes_the_common_spellings_and_leaves_the_rest():
    values = ["2024-01-01T10:00:00Z", "2024-01-01 12:00:00+02:00", "2024-01-01 12:00:00+0200",
              "2024-01-01 12:00:00+02", "2024-01-01 10:00:00.5Z", "2024-01-01 10:00:00",
              "2024-02-30 10:00:00Z", "2024-01-01 10:00:60Z", "2024-01-01  10:00:00Z",
              "2024-01-01 10:00:00+25:00", "2024-01-01T10:00Z", None, ""]
    import pyarrow as pa

    ns, kind = _isotime.parse_iso(pa.array(values))
    assert kind.tolist() == [0, 0, 0, 0, 0, 2] + [-1] * 7
    assert len(set(ns[:4].tolist())) == 1 and ns[4] - ns[0] == 500_000_000


def test_impossible_dates_are_rejected_not_rolled_over():
    # Arrow's strptime reads 2024-02-30 as 2024-03-01 and 10:00:60 as 10:01:00; neither may be accepted
    raw = pd.DataFrame({"learner": ["a"] * 5, "item": ["x"] * 5,
                        "timestamp": ["2024-02-30 10:00:00+00:00", "2024-01-01 10:00:60+00:00",
                                      "2024-01-01  10:00:00+00:00", "2024-01-01 10:00:00+25:00",
                                      "2024-01-01 10:00:00+00:00"]})
    t = read_traces(raw)
    assert t.rejects["reason"].tolist() == ["bad_timestamp"] * 4
    assert t.n_events == 1


events = st.lists(st.tuples(
    st.sampled_from(["ann", "bob", " ", "007"]), st.sampled_from(["v1", "v2", ""]),
    st.one_of(st.sampled_from(["2024-01-01T10:00:00Z", "2024-01-01 12:00:00+02:00", "2024-01-01 10:00:00",
                               "2024-01-01T10:00:00.250+00:00", "2024-02-30T10:00:00Z", "x", None]), iso_like),
    st.sampled_from(["", "0", "-0", "1", "0.5", "2", "nan"])), min_size=1, max_size=40)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.sampled_from([None, "utc", "Europe/Paris"]), st.sampled_from([None, 3]))
def test_read_traces_is_the_same_with_and_without_the_iso_kernel(rows, zone, chunksize):
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])

    def read():
        try:
            return read_traces(frame, naive_timestamps=zone, chunksize=chunksize)
        except Exception as exc:  # e.g. every timestamp naive: both must raise the same
            return f"{type(exc).__name__}: {exc}"

    fast = read()

    def nothing(arr, out=None):  # the kernel takes nothing: every value goes to pandas
        return out, np.full(len(arr), _isotime.FAST_NO, np.int8)

    with mock.patch.object(_isotime, "parse_iso", nothing):
        slow = read()
    if isinstance(fast, str) or isinstance(slow, str):
        assert fast == slow
        return
    for name in ("learner", "item", "timestamp", "learners", "items"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    np.testing.assert_array_equal(fast.score, slow.score)
    pd.testing.assert_frame_equal(fast.rejects, slow.rejects)


# ------------------------------------------------------------------------------------------ trail sort
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 400), st.integers(1, 30), st.integers(0, 2**31))
def test_trail_order_on_long_trails_with_ties_equals_lexsort(n_learners, n, n_times, seed):
    rng = np.random.default_rng(seed)
    learner = rng.integers(0, n_learners, n).astype(np.int32)
    ts = rng.integers(0, n_times, n).astype(np.int64) * 1_000_000_007 - 5
    assert trail_order(learner, ts).tolist() == np.lexsort((ts, learner)).tolist()


def test_trail_order_accepts_sparse_or_negative_codes():
    learner = np.array([10**9, -3, 10**9, -3, 7])
    ts = np.array([3, 2, 1, 2, 0])
    assert trail_order(learner, ts).tolist() == np.lexsort((ts, learner)).tolist()


# ------------------------------------------------------------------------------------------ duplicates
def _expected_duplicates(frame):
    """Plain Python: a row repeats the first earlier row equal on every field (NaN == NaN, -0.0 == 0.0)."""
    first, dups = {}, []
    for i, r in enumerate(frame.itertuples(index=False)):
        score = "nan" if np.isnan(r.score) else float(r.score) + 0.0
        duration = "nan" if np.isnan(r.duration) else float(r.duration) + 0.0
        key = (r.learner, r.item, r.timestamp, score, duration)
        if key in first:
            dups.append((i, f"repeats row {first[key]} of DataFrame"))
        else:
            first[key] = i
    return dups


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["x", "y"]), st.integers(0, 2),
                          st.sampled_from([np.nan, 0.0, -0.0, 1.0]), st.sampled_from([np.nan, 0.0, -0.0, 3.0])),
                min_size=1, max_size=60))
def test_duplicate_check_matches_a_plain_python_oracle(rows):
    frame = pd.DataFrame(rows, columns=["learner", "item", "minute", "score", "duration"])
    frame["timestamp"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(frame.pop("minute"), unit="min")
    t = read_traces(frame)
    got = list(zip(t.rejects["row"].tolist(), t.rejects["detail"].tolist()))
    assert got == _expected_duplicates(frame)
    assert t.n_events == len(frame) - len(got)


def test_negative_zero_and_nan_scores_repeat_like_equal_values():
    stamp = "2024-01-01T10:00:00Z"
    raw = pd.DataFrame({"learner": ["a"] * 4, "item": ["x"] * 4, "timestamp": [stamp] * 4,
                        "score": ["0", "-0", "", "nan"]})
    t = read_traces(raw)
    assert t.rejects[["row", "detail"]].values.tolist() == [[1, "repeats row 0 of DataFrame"],
                                                           [3, "repeats row 2 of DataFrame"]]


# ------------------------------------------------------------------------------------------ inputs
def test_concatenated_string_columns_are_read(tmp_path):
    """A pandas str column built by concatenation is several Arrow chunks: read like one."""
    part = pd.DataFrame({"learner": pd.Series(["a", "b"], dtype="str"), "item": pd.Series(["x", "y"], dtype="str"),
                         "timestamp": pd.Series(["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"], dtype="str")})
    frame = pd.concat([part, part.assign(learner=pd.Series(["c", None], dtype="str"))], ignore_index=True)
    t = read_traces(frame)
    assert t.learners.tolist() == ["a", "b", "c"]
    assert t.rejects["reason"].tolist() == ["missing_learner"]


@pytest.mark.parametrize("zone, state", [(None, NAIVE), ("utc", OK)])
def test_naive_kernel_values_follow_the_zone(zone, state):
    values = pd.Series(["2024-01-01 10:00:00", "2024-01-01T10:00:00.000000001"])
    (ns, got), _ = _both(values, zone)
    assert got.tolist() == [state, state]
    if zone:
        assert (ns[1] - ns[0]) == 1 and ns[0] == pd.Timestamp("2024-01-01 10:00", tz="UTC").value


def test_states_are_the_documented_codes():
    assert (OK, UNPARSEABLE, NAIVE, MISSING) == (0, 1, 2, 3)
