"""Tests of the learning-path-recommendation promotion metrics (poem.simulation.promotion)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from poem.errors import ParameterError
from poem.simulation.promotion import METRICS, promotion_frame, promotion_report


def test_hand_computed_case():
    # learner 1: 0.2 -> 0.6 in 4 steps; learner 2: 0.5 -> 0.5 in 2 steps
    r = promotion_report([0.2, 0.5], [0.6, 0.5], [4, 2])
    assert r["AP"] == pytest.approx((0.4 + 0.0) / 2)
    assert r["APR"] == pytest.approx((0.4 / 4 + 0.0) / 2)
    assert r["RP"] == pytest.approx(0.2)
    assert r["RPR"] == pytest.approx(0.05)
    assert r["NRP"] == pytest.approx((0.4 / 0.8 + 0.0 / 0.5) / 2)
    assert r["NRPR"] == pytest.approx((0.5 / 4 + 0.0) / 2)
    assert (r["n"], r["n_nrp"]) == (2, 2)


def test_counts_with_a_full_score():
    # the same learners measured in items mastered out of 10
    r = promotion_report([2, 5], [6, 5], [4, 2], full_score=10)
    assert r["AP"] == pytest.approx(2.0)
    assert r["APR"] == pytest.approx(0.5)
    assert r["RP"] == pytest.approx(0.2)
    assert r["NRP"] == pytest.approx(0.25)


def test_learner_at_full_score_is_left_out_of_nrp_only():
    r = promotion_report([1.0, 0.0], [1.0, 0.5], [3, 5])
    assert r["n_nrp"] == 1
    assert r["NRP"] == pytest.approx(0.5)
    assert r["AP"] == pytest.approx(0.25)
    assert np.isnan(promotion_report([1.0], [1.0], [2])["NRP"])


def test_zero_length_path_has_zero_rates():
    f = promotion_frame([0.3], [0.3], [0])
    assert f.loc[0, "APR"] == 0 and f.loc[0, "RPR"] == 0 and f.loc[0, "NRPR"] == 0


def test_weights_make_a_weighted_mean():
    r = promotion_report([0.2, 0.5], [0.6, 0.5], [4, 2], weights=[3, 1])
    assert r["AP"] == pytest.approx(0.3)
    with pytest.raises(ParameterError, match="one value per learner"):
        promotion_report([0.2], [0.3], [1], weights=[1, 2])


@pytest.mark.parametrize("args, match", [
    (([0.2, 0.1], [0.3], [1, 1]), "equal lengths"),
    (([1.2], [1.0], [1]), "initial_score"),
    (([0.2], [-0.1], [1]), "final_score"),
    (([0.2], [0.3], [-1]), "path_length"),
    (([0.2], [0.3], [1.5]), "path_length"),
    (([np.nan], [0.3], [1]), "finite"),
])
def test_bad_input_is_named(args, match):
    with pytest.raises(ParameterError, match=match):
        promotion_report(*args)


def test_bad_full_score():
    with pytest.raises(ParameterError, match="full_score"):
        promotion_report([0.0], [0.0], [1], full_score=0)
    with pytest.raises(ParameterError, match="full_score must be one value or one per learner"):
        promotion_report([0.0, 0.5], [0.5, 0.5], [1, 1], full_score=[1.0, 1.0, 1.0])
    per_learner = promotion_report([1.0, 1.0], [2.0, 3.0], [1, 1], full_score=[2.0, 4.0])
    assert per_learner["RP"] == pytest.approx((0.5 + 0.5) / 2)
    assert per_learner["NRP"] == pytest.approx((1.0 + 2 / 3) / 2)


scores = st.floats(0, 1, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(scores, scores, st.integers(0, 50)), min_size=1, max_size=30))
def test_properties(rows):
    b, e, n = (np.array(x, dtype=float) for x in zip(*rows))
    f = promotion_frame(b, e, n)
    # with full score 1, RP is AP; the rates are the metrics divided by the path length
    np.testing.assert_allclose(f["RP"], f["AP"])
    moved = n > 0
    np.testing.assert_allclose(f["APR"][moved], f["AP"][moved] / n[moved])
    np.testing.assert_allclose(f["NRPR"][moved & (b < 1)], f["NRP"][moved & (b < 1)] / n[moved & (b < 1)])
    # normalising by the room left can only magnify a promotion
    ok = (b < 1) & (f["AP"].to_numpy() >= 0)
    assert np.all(f["NRP"].to_numpy()[ok] >= f["AP"].to_numpy()[ok] - 1e-12)
    assert np.all(f["NRP"].to_numpy()[b < 1] <= 1 + 1e-12)
    # the report is the mean of the frame and does not depend on the learners' order
    r = promotion_report(b, e, n)
    perm = np.random.default_rng(0).permutation(len(b))
    r2 = promotion_report(b[perm], e[perm], n[perm])
    for name in METRICS:
        assert r[name] == pytest.approx(r2[name], nan_ok=True)
    assert r["AP"] == pytest.approx(f["AP"].mean())


def test_path_length_zero_is_valid_and_errors_name_the_bad_value():
    from poem.simulation.promotion import promotion_frame

    frame = promotion_frame([0.0, 0.2], [0.5, 0.2], [0, 3])
    assert frame["NRP"].tolist() == [0.5, 0.0] and frame["APR"].tolist() == [0.0, 0.0]
    with pytest.raises(ParameterError, match=r"got (np.float64\()?-1\.0"):
        promotion_frame([0.0, 0.0], [0.0, 0.0], [1, 1], full_score=[0.5, -1.0])


def test_zero_weights_are_allowed_and_leave_learners_out():
    one = promotion_report([0.0, 0.0], [0.5, 1.0], [2, 2], weights=[1.0, 0.0])
    assert one["AP"] == 0.5 and one["n"] == 2
    none = promotion_report([0.0, 0.0], [0.5, 1.0], [2, 2], weights=[0.0, 0.0])
    assert all(np.isnan(none[k]) for k in METRICS)


def test_errors_name_the_offending_value_not_a_valid_neighbour():
    with pytest.raises(ParameterError, match=r"got (np.float64\()?1\.5"):
        promotion_frame([0.0, 0.0], [0.0, 0.0], [0, 1.5])
    with pytest.raises(ParameterError, match=r"got (np.float64\()?-1\.0"):
        promotion_report([0.0, 0.0], [0.0, 0.0], [1, 1], weights=[0.0, -1.0])


def test_empty_cohort_full_score_and_no_room_by_hand():
    assert len(promotion_frame([], [], [])) == 0
    # full score 2: RP and RPR are shares of it
    frame = promotion_frame([0.0], [1.0], [4], full_score=2.0)
    assert frame["RP"].iloc[0] == 0.5 and frame["RPR"].iloc[0] == 0.125
    # a learner who started at the full score has no room: NRP is undefined, not -inf
    assert np.isnan(promotion_frame([1.0], [0.5], [2])["NRP"].iloc[0])
