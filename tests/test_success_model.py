"""The colony's success model (poem.colony.success) and ManHill.predict_success: defects 1-7 of issue 12 each
have a regression test here, plus the agreement of the single-learner and batch forms."""

import warnings

import numpy as np
import pandas as pd
import pytest

from poem.antcolony import ManHill
from poem.colony.elo import fit_elo
from poem.colony.success import (
    FEATURES, LearnerState, UnknownItemWarning, fit_success_model, next_attempt_features, validation_share)
from poem.errors import ParameterError
from poem.traces import Traces


def traces_of(rows):
    frame = pd.DataFrame(rows, columns=["learner", "item", "t", "score"])
    frame["timestamp"] = pd.to_datetime(frame.pop("t"), unit="s", utc=True)
    return Traces.from_frame(frame)


def simulated(n_learners=120, n_items=6, seed=0, item_ids=None, level=0.5, learning=0.15):
    """Rasch learners who learn: ability grows with each success; items of spread difficulties."""
    rng = np.random.default_rng(seed)
    ids = item_ids or [f"i{k}" for k in range(n_items)]
    diff = np.linspace(-1.5, 1.5, len(ids))
    rows = []
    for l in range(n_learners):
        theta = rng.normal(level, 1.0)
        t = 0
        for _ in range(12):
            j = int(rng.integers(len(ids)))
            s = float(rng.random() < 1 / (1 + np.exp(diff[j] - theta)))
            theta += learning * s
            rows.append((f"L{l:03d}", ids[j], t, s))
            t += 1
    return traces_of(rows)


@pytest.fixture(scope="module")
def sim_model():
    return ManHill().fit(simulated())


# ------------------------------------------------------------------------------------ defect 1
def test_new_learner_starts_at_the_course_success_rate_not_one_half():
    # a course where every attempt succeeded: the old model said 0.42-0.58
    rows = [(f"L{l}", it, 10 * l + k, 1.0) for l in range(50) for k, it in enumerate("abc")]
    model = ManHill().fit(traces_of(rows))
    assert all(model.predict_success([], it) > 0.95 for it in "abc")
    # a course at about 80 % where nobody learns: a new learner's mean prediction is near the course's rate
    t = simulated(n_learners=1000, seed=1, level=2.0, learning=0.0)
    model = ManHill().fit(t)
    rate = t.score.mean()
    assert rate > 0.75
    mean_new = np.average([model.predict_success([], it) for it in t.items],
                          weights=np.bincount(t.item, minlength=t.n_items))
    assert abs(mean_new - rate) < 0.05


# ------------------------------------------------------------------------------------ defect 2
def test_a_history_without_scores_is_refused_not_ignored(sim_model):
    with pytest.raises(ParameterError, match="without scores"):
        sim_model.predict_success(["i0", "i1"], "i2")
    # an explicit NaN says "unscored": accepted, and it counts as an attempt (not as nothing)
    assert sim_model.predict_success(["i0"], "i2", scores=[np.nan]) == pytest.approx(
        sim_model.predict_success(["i0"], "i2", scores=[float("nan")]))
    assert sim_model.predict_success([], "i2") == sim_model.predict_success([], "i2", scores=[])


# ------------------------------------------------------------------------------------ defect 3
def test_integer_item_ids_are_ids_not_positions():
    ids = ["10", "2", "7", "3", "11", "5"]  # sorted as strings: "10", "11", "2", "3", "5", "7"
    model = ManHill().fit(simulated(item_ids=ids))
    for name in ids:
        assert model.predict_success([], int(name)) == model.predict_success([], name)
    assert model.predict_success([(7, 1.0)], 10) == model.predict_success([("7", 1.0)], "10")
    with pytest.raises(ParameterError, match="unknown item 4"):
        model.predict_success([], 4)


# ------------------------------------------------------------------------------------ defect 4
@pytest.mark.parametrize("bad", [100.0, -0.5, 1.01])
def test_scores_outside_unit_interval_are_refused(sim_model, bad):
    with pytest.raises(ParameterError, match=r"outside \[0, 1\]"):
        sim_model.predict_success(["i0"], "i1", scores=[bad])


# ------------------------------------------------------------------------------------ defect 5
def test_unknown_history_items_are_left_out_and_reported(sim_model):
    with pytest.warns(UnknownItemWarning, match="zz"):
        p = sim_model.predict_success(["i0", "zz", "i1"], "i2", scores=[1.0, 0.0, 1.0])
    assert p == pytest.approx(sim_model.predict_success(["i0", "i1"], "i2", scores=[1.0, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim_model.predict_success(["i0"], "i2", scores=[1.0])  # no warning when all are known


# ------------------------------------------------------------------------------------ defect 6
def test_growing_a_history_costs_one_update_per_call_not_a_replay():
    model = ManHill().fit(simulated(seed=2))
    model.success_model()
    start = model.success_replayed_
    items, scores = [], []
    for k in range(60):
        model.predict_success(items, "i3", scores=scores)
        items.append(f"i{k % 6}")
        scores.append(float(k % 3 != 0))
    assert model.success_replayed_ - start == 59  # linear, where a replay would cost 59 * 60 / 2
    # the cached answer equals a fresh replay
    fresh = LearnerState(model.success_model())
    for it, s in zip(items, scores):
        fresh = fresh.update(list(model.items_).index(it), s)
    assert model.predict_success(items, "i3", scores=scores) == pytest.approx(fresh.predict(3))


# ------------------------------------------------------------------------------------ defect 7
def test_items_always_passed_get_equal_difficulties_wherever_they_sit():
    # three items every learner passes, met at different places of the trails, equally often
    rows, rng = [], np.random.default_rng(0)
    for l in range(30):
        order = ["p", "hard", "q", "mid", "r"]
        for k, it in enumerate(order):
            s = 1.0 if it in "pqr" else float(rng.random() < (0.3 if it == "hard" else 0.6))
            rows.append((f"L{l}", it, 10 * l + k, s))
    model = ManHill().fit(traces_of(rows))
    d = dict(zip(model.items_, model.item_difficulty_))
    assert d["p"] == pytest.approx(d["q"]) == pytest.approx(d["r"])
    assert d["p"] < d["mid"] < d["hard"]


# ------------------------------------------------------------------------------------ the model
def test_batch_and_single_forms_agree_and_use_only_earlier_attempts(sim_model):
    t = simulated(n_learners=5, seed=3)
    p = sim_model.predict_trails(t)
    b = t.trail_bounds()
    codes = [list(sim_model.items_).index(x) for x in t.items]
    for l in range(t.n_learners):
        hist_i, hist_s = [], []
        for e in range(b[l], b[l + 1]):
            assert p[e] == pytest.approx(sim_model.predict_success(hist_i, t.items[t.item[e]], scores=hist_s))
            hist_i.append(t.items[t.item[e]])
            hist_s.append(t.score[e])
    # an event's own score never enters its prediction
    flipped = t.score.copy()
    flipped[b[1]] = 1.0 - flipped[b[1]]
    model = sim_model.success_model()
    item = np.array(codes, np.int32)[t.item]
    p2 = model.predict_trails(item, flipped, b)
    assert p2[b[1]] == pytest.approx(p[b[1]])


def test_weights_are_fitted_and_the_model_is_calibrated_on_its_course():
    t = simulated(n_learners=300, seed=4)
    model = fit_success_model(t.item, t.score, t.trail_bounds(), t.learners, t.n_items)
    assert len(model.weights) == len(FEATURES)
    assert model.weights[FEATURES.index("elo")] > 0  # ability above difficulty: more success
    assert model.k_min in (0.1, 0.2, 0.4, 0.7)
    p = model.predict_trails(t.item, t.score, t.trail_bounds())
    assert abs(p.mean() - t.score.mean()) < 0.03


def test_validation_share_is_by_learner_id_and_stable():
    ids = np.array([f"L{k}" for k in range(1000)], dtype=object)
    share = validation_share(ids, 0.2)
    assert 0.15 < share.mean() < 0.25
    assert (validation_share(ids[::-1], 0.2) == share[::-1]).all()  # not by position


def test_features_reset_between_learners_and_skip_unscored_events():
    item = np.array([0, 0, 0, 0], np.int32)
    score = np.array([1.0, np.nan, 1.0, 0.0])
    x = next_attempt_features(item, score, np.array([0, 3, 4]), np.zeros(1), np.zeros(1), 0.0, 1.0, 0.1, 10.0,
                              0.4, 1)
    ls = FEATURES.index("log_successes")
    assert x[:, ls].tolist() == pytest.approx([0.0, np.log(2), np.log(2), 0.0])  # NaN updates nothing
    assert x[3, FEATURES.index("elo")] == 0.0  # the second learner starts afresh


def test_fit_grids_are_validated():
    with pytest.raises(ParameterError, match="share"):
        fit_success_model(np.zeros(1, np.int32), np.ones(1), np.array([0, 1]), np.array(["a"], object), 1,
                          share=1.5)
    with pytest.raises(ParameterError, match="grids"):
        fit_success_model(np.zeros(1, np.int32), np.ones(1), np.array([0, 1]), np.array(["a"], object), 1,
                          k_min_grid=())


def test_elo_fit_still_orders_items_after_the_degenerate_fix():
    item = np.array([0, 1, 0, 1, 2, 2], dtype=np.int32)
    score = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    res = fit_elo(item, score, np.array([0, 2, 4, 6]), np.arange(6, dtype=np.int64), 3)
    assert res.difficulty[1] > res.difficulty[0]


def test_refit_and_param_change_refresh_the_success_model():
    model = ManHill().fit(simulated(seed=5))
    first = model.success_model()
    assert model.success_model() is first
    cohort = simulated(seed=6, n_learners=20).to_frame()
    cohort["learner"] = "new" + cohort["learner"]
    model.partial_fit(Traces.from_frame(cohort))
    assert model.success_model() is not first
    model.set_params(elo_halflife=5.0)
    assert model.success_model().halflife == 5.0


def test_saved_and_loaded_colony_predicts_the_same(tmp_path, sim_model):
    # the success model is rebuilt from the saved state's log of scored events: no format change needed
    path = tmp_path / "colony.npz"
    sim_model.save(path)
    loaded = ManHill.load(path)
    hist, sc = ["i0", "i3", "i3"], [1.0, 0.0, 1.0]
    assert loaded.predict_success(hist, "i4", scores=sc) == pytest.approx(
        sim_model.predict_success(hist, "i4", scores=sc), abs=1e-12)


def test_from_summed_states_equals_fit_for_the_success_model():
    t = simulated(n_learners=80, seed=7)
    whole = ManHill().fit(t)
    first = np.zeros(t.n_learners, bool)
    first[: t.n_learners // 2] = True
    model = ManHill()
    merged = ManHill.from_state(model.partial_state(t.select_learners(first))
                                + model.partial_state(t.select_learners(~first)))
    assert merged.predict_trails(t) == pytest.approx(whole.predict_trails(t), abs=1e-9)


def test_predicting_in_blocks_of_trails_changes_nothing(monkeypatch, sim_model):
    import poem.colony.success as success

    t = simulated(n_learners=30, seed=8)
    whole = sim_model.predict_trails(t)
    monkeypatch.setattr(success, "CHUNK_EVENTS", 25)  # about two learners per block
    assert sim_model.predict_trails(t) == pytest.approx(whole, abs=0)
    monkeypatch.setattr(success, "CHUNK_EVENTS", 3)   # shorter than every trail: one trail per block
    assert sim_model.predict_trails(t) == pytest.approx(whole, abs=0)


def test_calibration_knots_are_the_evenly_spaced_quantiles():
    from poem.colony.success import _fit_calibration

    rng = np.random.default_rng(0)
    z = rng.normal(size=1000)
    y = (rng.random(1000) < 1 / (1 + np.exp(-z))).astype(float)
    knots, c = _fit_calibration(z, y, n_knots=3)
    np.testing.assert_allclose(knots, np.quantile(z, [0.25, 0.5, 0.75]))       # three knots, at the quartiles
    assert c.shape == (2 + 3,)
    knots, c = _fit_calibration(z[:200], y[:200], n_knots=3)                  # < 50 per segment: no correction
    assert len(knots) == 0 and c.tolist() == [0.0, 0.0]
    # the boundary: 50 points per segment (5 segments for 3 knots) are enough, one fewer is not
    assert len(_fit_calibration(z[:250], y[:250], n_knots=3)[0]) == 3
    assert len(_fit_calibration(z[:249], y[:249], n_knots=3)[0]) == 0


def test_next_attempt_features_by_hand():
    from poem.colony.success import next_attempt_features

    # one learner: item 0 failed, item 0 passed, then item 1; difficulties 0, theta0 0, k0 1, no local step
    item = np.array([0, 0, 1], np.int32)
    score = np.array([0.0, 1.0, np.nan])
    x = next_attempt_features(item, score, np.array([0, 3], np.int64), np.zeros(2), np.array([0.3, -0.2]),
                              0.0, 1.0, 0.1, 10.0, 0.0, 2)
    th1 = 0.0 + 1.0 * (0.0 - 0.5)                          # after the failure at p = 1/2, K = 1
    th2 = th1 + (1 / 1.1) * (1.0 - 1 / (1 + np.exp(-th1)))  # after the pass, K = 1 / (1 + 1/10)
    np.testing.assert_allclose(x[:, 0], 1.0)
    np.testing.assert_allclose(x[:, 1], [0.0, th1, th2])                   # ability minus difficulty
    np.testing.assert_allclose(x[:, 2], 0.0)                                # local step 0
    np.testing.assert_allclose(x[:, 3], [0.0, 0.0, 0.0])                    # log1p(passes on this item)
    np.testing.assert_allclose(x[:, 4], [0.0, np.log(2.0), 0.0])            # log1p(failures on this item)
    np.testing.assert_allclose(x[:, 5], [0.0, -1.0, 0.0])                   # last outcome on this item
    np.testing.assert_allclose(x[:, 6], [0.0, 1.0, 0.0])                    # seen before
    np.testing.assert_allclose(x[:, 7], [0.0, -1.0, 1.0])                   # previous outcome, any item
    np.testing.assert_allclose(x[:, 8], np.log1p([0, 1, 2]))                # log1p(attempts so far)
    np.testing.assert_allclose(x[:, 9], [0.3, 0.3, -0.2])                   # item logit
    np.testing.assert_allclose(x[:, 10], [1.0, 0.0, 0.0])                   # first attempt


def test_item_logits_without_scores_and_a_zero_local_step():
    from poem.colony.success import fit_success_model, item_logits

    # no scored event: the course rate is unknown, every item sits at even odds
    assert item_logits(np.array([0, 1], np.int32), np.array([np.nan, np.nan]), 3).tolist() == [0.0] * 3
    # a local step of 0 (no per-item adjustment) is a valid grid value
    rng = np.random.default_rng(0)
    item = rng.integers(0, 3, 400).astype(np.int32)
    score = (rng.random(400) < 0.6).astype(float)
    bounds = np.arange(0, 401, 10, dtype=np.int64)
    model = fit_success_model(item, score, bounds, np.arange(40), 3, k_local_grid=[0.0])
    assert model.k_local == 0.0


def test_log_loss_and_prefix_by_hand():
    from poem.colony.success import _log_loss, _prefix

    assert _log_loss(np.array([0.8, 0.3]), np.array([1.0, 0.0])) == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2)
    item, score, bounds = np.arange(10), np.ones(10), np.array([0, 3, 7, 10])
    assert _prefix(item, score, bounds, 8)[2].tolist() == [0, 3, 7]          # two whole trails fit in 8
    it, _, b = _prefix(item, score, bounds, 2)                               # none fits: the first one
    assert b.tolist() == [0, 3] and it.tolist() == [0, 1, 2]
    assert _prefix(item, score, bounds, 10)[2].tolist() == [0, 3, 7, 10]


def _random_log(n_learners, seed=0, n_items=4, per=12):
    rng = np.random.default_rng(seed)
    item = rng.integers(0, n_items, n_learners * per).astype(np.int32)
    score = np.where(rng.random(n_learners * per) < 0.1, np.nan, (rng.random(n_learners * per) < 0.6) * 1.0)
    return item, score, np.arange(0, n_learners * per + 1, per, dtype=np.int64)


def test_learner_state_online_features_equal_the_batch_features():
    item, score, bounds = _random_log(60)
    model = fit_success_model(item, score, bounds, np.array([f"u{k}" for k in range(60)], dtype=object), 4)
    trail = slice(bounds[0], bounds[1])
    batch = model.features(item[trail], score[trail], np.array([0, bounds[1]]))
    state = model.new_learner()
    for e, (j, s) in enumerate(zip(item[trail], score[trail])):
        np.testing.assert_allclose(state.features(int(j)), batch[e], err_msg=f"event {e}")
        state = state.update(int(j), float(s))


def test_small_course_fits_rates_and_weights_on_every_learner():
    from poem.colony.success import MIN_VALIDATION

    n = MIN_VALIDATION - 1
    item, score, bounds = _random_log(n, seed=2)
    learners = np.array([f"u{k}" for k in range(n)], dtype=object)
    a = fit_success_model(item, score, bounds, learners, 4, share=0.2)
    b = fit_success_model(item, score, bounds, learners, 4, share=0.5)
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.difficulty, b.difficulty)


def test_small_helpers_by_hand():
    from poem.colony.success import _calibration_basis, _is_number, _log_loss

    # log loss stays finite on a certain, wrong prediction (clipped at 1e-9 from each end)
    assert _log_loss(np.array([1.0]), np.array([0.0])) == pytest.approx(-np.log(1e-9), rel=1e-6)
    assert _is_number(3) and _is_number("2.5") and not _is_number("x") and not _is_number(None)
    # intercept, slope, then one hinge per knot
    assert _calibration_basis(np.array([0.0, 2.0]), np.array([1.0])).tolist() == [[1.0, 0.0, 0.0],
                                                                                [1.0, 2.0, 1.0]]


def test_validation_share_is_the_hash_bucket_rule():
    import zlib

    # a learner validates when CRC-32(id) mod 1000 < round(1000 share): share 0 puts nobody there, 1 everyone
    ids = np.array([f"L{k}" for k in range(5000)], dtype=object)
    bucket = np.array([zlib.crc32(x.encode()) % 1000 for x in ids])
    assert (bucket == 0).any()                    # the boundary bucket is met by these ids
    assert not validation_share(ids, 0.0).any() and validation_share(ids, 1.0).all()
    np.testing.assert_array_equal(validation_share(ids, 0.2), bucket < 200)


def test_success_model_defaults_are_the_colony_elo_defaults():
    import inspect

    # a success model fitted directly uses the colony's ELO settings: entry rating, first step, half-life,
    # sweeps (documented)
    params = inspect.signature(fit_success_model).parameters
    colony = ManHill()
    assert (params["theta0"].default, params["k0"].default, params["halflife"].default, params["n_iter"].default) \
        == (colony.elo_theta0, colony.elo_k0, colony.elo_halflife, colony.elo_iter) == (0.0, 1.0, 10.0, 3)
    assert params["share"].default == 0.2 == inspect.signature(validation_share).parameters["share"].default


def test_average_item_has_difficulty_zero_and_the_median_item_logit(sim_model):
    model = sim_model.success_model()
    avg = model.with_average_item()
    assert len(avg.difficulty) == len(model.difficulty) + 1 and avg.difficulty[-1] == 0.0
    assert avg.item_logit[-1] == np.median(model.item_logit)
    np.testing.assert_array_equal(avg.difficulty[:-1], model.difficulty)


def test_grid_ties_keep_the_smallest_steps():
    # no scored event: every pair of the grid has the same (empty) validation loss; the smallest steps win
    item = np.array([0, 1, 0, 1], np.int32)
    score = np.full(4, np.nan)
    bounds = np.array([0, 2, 4])
    model = fit_success_model(item, score, bounds, np.array(["a", "b"], dtype=object), 2,
                              k_min_grid=(0.4, 0.1, 0.2), k_local_grid=(0.3, 0.0))
    assert (model.k_min, model.k_local) == (0.1, 0.0)
