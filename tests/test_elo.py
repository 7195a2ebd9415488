"""ELO ratings: recovery of the difficulty order, the deflation fix, invariances."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from poem.colony.elo import fit_elo, initial_difficulty, learner_rating, success_probability
from poem.errors import ParameterError


def simulate(n_learners=400, n_items=12, growth=0.0, entry=0.0, seed=0, harder_late=None):
    """Rasch learners doing every item in random order; ability grows by ``growth`` per attempt.
    Learners arrive one after the other (time = learner index * 100 + step)."""
    rng = np.random.default_rng(seed)
    d_true = np.linspace(-2, 2, n_items)
    base = rng.normal(entry, 1.0, n_learners)
    items, scores, times = [], [], []
    for l in range(n_learners):
        order = rng.permutation(n_items)
        for step, j in enumerate(order):
            d = d_true[j] + (1.5 if harder_late == j and l >= n_learners // 2 else 0.0)
            p = 1 / (1 + np.exp(d - (base[l] + growth * step)))
            items.append(j)
            scores.append(float(rng.random() < p))
            times.append(l * 100 + step)
    bounds = np.arange(0, n_learners * n_items + 1, n_items)
    return (np.array(items, np.int32), np.array(scores), bounds, np.array(times, np.int64), d_true, base)


def test_recovers_item_difficulty_and_learner_ability_order():
    item, score, bounds, t, d_true, ability = simulate()
    res = fit_elo(item, score, bounds, t, 12)
    assert spearmanr(res.difficulty, d_true).statistic > 0.97
    assert spearmanr(res.ability, ability).statistic > 0.7
    assert res.n_attempts.tolist() == [12] * 400


def test_learning_learners_do_not_deflate_the_items():
    """Learners enter low and learn as they go (Valigiani's deflation setting): difficulties stay in order
    and stay anchored, and no item drifts between the earlier and later cohorts."""
    item, score, bounds, t, d_true, _ = simulate(growth=0.25, entry=-1.0, seed=1)
    res = fit_elo(item, score, bounds, t, 12)
    assert spearmanr(res.difficulty, d_true).statistic > 0.95
    np.testing.assert_allclose(np.bincount(item, minlength=12) @ res.difficulty, 0.0, atol=1e-8)
    assert np.abs(res.drift).max() < 0.4
    # the spread of difficulties is not squeezed: plain logits of success rates would shrink it
    assert np.ptp(res.difficulty) > 0.8 * np.ptp(d_true)


def test_an_item_that_became_harder_drifts():
    item, score, bounds, t, d_true, _ = simulate(harder_late=5, seed=2)
    res = fit_elo(item, score, bounds, t, 12)
    assert res.drift[5] > 0.6
    assert np.argmax(res.drift) == 5


def test_unscored_events_are_ignored():
    item, score, bounds, t, _, _ = simulate(n_learners=50, seed=3)
    res = fit_elo(item, score, bounds, t, 12)
    # insert an unscored event at the start of every trail
    n_l = len(bounds) - 1
    item2 = np.insert(item, bounds[:-1], 0)
    score2 = np.insert(score, bounds[:-1], np.nan)
    t2 = np.insert(t, bounds[:-1], t[bounds[:-1]])
    bounds2 = bounds + np.arange(n_l + 1)
    res2 = fit_elo(item2, score2, bounds2, t2, 12)
    np.testing.assert_allclose(res2.difficulty, res.difficulty)
    np.testing.assert_allclose(res2.ability, res.ability)


def test_learner_order_does_not_matter():
    item, score, bounds, t, _, _ = simulate(n_learners=60, seed=4)
    perm = np.random.default_rng(0).permutation(60)
    segs = [np.arange(bounds[l], bounds[l + 1]) for l in perm]
    idx = np.concatenate(segs)
    bounds_p = np.concatenate([[0], np.cumsum([len(s) for s in segs])])
    a = fit_elo(item, score, bounds, t, 12)
    b = fit_elo(item[idx], score[idx], bounds_p, t[idx], 12)
    np.testing.assert_allclose(b.difficulty, a.difficulty, atol=1e-10)
    np.testing.assert_allclose(b.ability, a.ability[perm], atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0.0, 0.5, 1.0])), min_size=0, max_size=15))
def test_learner_rating_moves_with_scores(history):
    d = np.array([-1.0, 0.0, 0.5, 2.0])
    items = [h[0] for h in history]
    base = learner_rating(items, [h[1] for h in history], d)
    better = learner_rating(items + [1], [h[1] for h in history] + [1.0], d)
    worse = learner_rating(items + [1], [h[1] for h in history] + [0.0], d)
    assert worse < base < better
    assert np.isfinite(base)


def test_initial_difficulty_and_probability():
    d = initial_difficulty(np.array([4, 4, 0]), np.array([3.0, 1.0, 0.0]))
    assert d[0] < 0 < d[1] and d[2] == 0.0
    assert success_probability(0.0, np.array([0.0]))[0] == 0.5


@pytest.mark.parametrize("kw", [dict(k0=0.0), dict(k_min=2.0), dict(halflife=0.0), dict(n_iter=0)])
def test_bad_schedule_is_named(kw):
    item, score, bounds, t, _, _ = simulate(n_learners=5)
    with pytest.raises(ParameterError):
        fit_elo(item, score, bounds, t, 12, **kw)


# ------------------------------------------------------------------ the fast sweep equals the plain one
def _plain_fit(item, score, bounds, timestamp, n_items, n_iter=3, theta0=0.0, k0=1.0, k_min=0.1, halflife=10.0):
    """fit_elo as it was written before the sweep was split into two kernels: elo_pass, bincount."""
    from poem.colony.elo import MAX_STEP, _centre
    from poem.colony.kernels import elo_pass

    scored = ~np.isnan(score)
    attempts = np.bincount(item[scored], minlength=n_items).astype(float)
    successes = np.bincount(item[scored], weights=score[scored], minlength=n_items)
    stamps = timestamp[scored]
    t_lo, t_hi = (int(stamps.min()), int(stamps.max())) if len(stamps) else (0, 0)
    d = initial_difficulty(attempts, successes)
    start = d.copy()
    degenerate = (attempts > 0) & ((successes >= attempts) | (successes <= 0))
    late = timestamp > (t_lo + t_hi) // 2
    for _ in range(n_iter):
        _, _, g, h, _, _ = elo_pass(item, score, bounds, d, theta0, k0, k_min, halflife, late, n_items)
        d = d + np.clip(g / (h + 1.0), -MAX_STEP, MAX_STEP)
        d[degenerate] = start[degenerate]
        d = _centre(d, attempts)
    theta, n_att, _, _, g_half, h_half = elo_pass(item, score, bounds, d, theta0, k0, k_min, halflife, late,
                                                  n_items)
    return d, theta, n_att, g_half[1] / (h_half[1] + 1.0) - g_half[0] / (h_half[0] + 1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=0, max_size=23), st.integers(0, 2 ** 32 - 1),
       st.floats(0.0, 0.4), st.sampled_from([(1.0, 0.1, 10.0), (0.5, 0.5, 1.0), (2.0, 0.05, 3.0)]))
def test_two_kernel_sweep_gives_the_plain_sweeps_floats(lengths, seed, nan_share, schedule):
    # learner counts around multiples of four, lengths from 0 (the four-at-a-time walk and its remainder)
    rng = np.random.default_rng(seed)
    n_items = 7
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = int(bounds[-1])
    item = rng.integers(0, n_items, n).astype(np.int32)
    score = np.where(rng.random(n) < 0.5, 1.0, rng.random(n))
    score[rng.random(n) < nan_share] = np.nan
    timestamp = rng.integers(0, 10_000, n).astype(np.int64)
    k0, k_min, halflife = schedule
    got = fit_elo(item, score, bounds, timestamp, n_items, k0=k0, k_min=k_min, halflife=halflife)
    d, theta, n_att, drift = _plain_fit(item, score, bounds, timestamp, n_items, k0=k0, k_min=k_min,
                                        halflife=halflife)
    # not merely close: the same floats, added in the same order
    np.testing.assert_array_equal(got.difficulty, d)
    np.testing.assert_array_equal(got.ability, theta)
    np.testing.assert_array_equal(got.n_attempts, n_att)
    np.testing.assert_array_equal(got.drift, drift)


def test_item_totals_refuses_a_code_outside_the_vocabulary():
    from poem.colony.kernels import item_totals

    attempts, successes = item_totals(np.array([0, 2, 2], np.int32), np.array([1.0, np.nan, 0.5]), 3)
    assert attempts.tolist() == [1.0, 0.0, 1.0] and successes.tolist() == [1.0, 0.0, 0.5]
    with pytest.raises(ValueError, match="outside"):
        item_totals(np.array([0, 3], np.int32), np.array([1.0, 1.0]), 3)


def test_elo_pass_by_hand_weights_steps_and_halves():
    from poem.colony.kernels import elo_pass

    # one learner, item 0 (difficulty 0) passed then failed, k0 = 2, halflife 10, start at 0
    # event 1 (early): p = 1/2, K = 2, weight w = 1 - K / (2 k0) = 1/2; theta -> 0 + 2 (1 - 1/2) = 1
    # event 2 (late):  p = 1/(1 + e^-1), K = 2 / (1 + 1/10) = 20/11, w = 1 - (20/11)/4 = 6/11;
    #                  theta -> 1 + (20/11)(0 - p)
    p2 = 1.0 / (1.0 + np.exp(-1.0))
    theta, n_att, g, h, g_half, h_half = elo_pass(
        np.array([0, 0], np.int32), np.array([1.0, 0.0]), np.array([0, 2], np.int64), np.zeros(1),
        0.0, 2.0, 0.1, 10.0, np.array([False, True]), 1)
    assert n_att.tolist() == [2]
    assert theta[0] == pytest.approx(1.0 - 20 / 11 * p2)
    assert g_half[:, 0].tolist() == pytest.approx([0.5 * (0.5 - 1.0), 6 / 11 * p2])
    assert h_half[:, 0].tolist() == pytest.approx([0.5 * 0.25, 6 / 11 * p2 * (1 - p2)])
    assert g[0] == pytest.approx(g_half[:, 0].sum()) and h[0] == pytest.approx(h_half[:, 0].sum())


def test_success_probability_and_initial_difficulty_by_hand():
    # sigma(theta - d): ability one logit above the item passes 73 %, one below 27 %
    assert success_probability(1.0, np.array([0.0]))[0] == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert success_probability(0.0, np.array([1.0]))[0] == pytest.approx(1 / (1 + np.exp(1.0)))
    # smoothed failure logit: 3 of 4 passed -> rate (3 + 1) / (4 + 2) = 2/3, d = log(1/3 / 2/3) = log(1/2);
    # 0 of 2 -> rate 1/4, d = log(3); then centred on the attempt-weighted mean (weights 4 and 2)
    d = initial_difficulty(np.array([4, 2]), np.array([3.0, 0.0]))
    raw = np.array([np.log(0.5), np.log(3.0)])
    np.testing.assert_allclose(d, raw - (4 * raw[0] + 2 * raw[1]) / 6)
    # a single attempt in the whole log: the one seen item is the centre, the unseen one sits at 0
    assert initial_difficulty(np.array([1, 0]), np.array([1.0, 0.0])).tolist() == [0.0, 0.0]


def test_defaults_are_the_colony_defaults():
    """``fit_elo`` and ``learner_rating`` used on their own rate as a default ManHill does (trails of 150
    attempts, so that the step reaches its floor k_min after ~90 of them)."""
    from poem.colony.params import DEFAULTS

    item, score, bounds, t, _, _ = simulate(n_learners=20, n_items=150, growth=0.01, seed=5)
    kw = dict(theta0=DEFAULTS["elo_theta0"], k0=DEFAULTS["elo_k0"], k_min=DEFAULTS["elo_k_min"],
              halflife=DEFAULTS["elo_halflife"])
    a = fit_elo(item, score, bounds, t, 150)
    b = fit_elo(item, score, bounds, t, 150, n_iter=DEFAULTS["elo_iter"], **kw)
    np.testing.assert_array_equal(a.difficulty, b.difficulty)
    np.testing.assert_array_equal(a.ability, b.ability)
    first = slice(bounds[0], bounds[1])
    assert learner_rating(item[first], score[first], a.difficulty) == \
        learner_rating(item[first], score[first], a.difficulty, **kw) == pytest.approx(a.ability[0])


def test_schedule_boundaries_accepted_and_refused():
    item, score, bounds, t, _, _ = simulate(n_learners=5)
    with pytest.raises(ParameterError, match="k_min"):
        fit_elo(item, score, bounds, t, 12, k_min=0.0)      # a step that may fall to 0 stops learning
    # the edges of the valid ranges: a constant step (k_min = k0), a short half-life, a single sweep
    const = fit_elo(item, score, bounds, t, 12, k0=0.5, k_min=0.5)
    assert np.isfinite(const.ability).all()
    assert np.isfinite(fit_elo(item, score, bounds, t, 12, halflife=0.5).difficulty).all()
    one, three = fit_elo(item, score, bounds, t, 12, n_iter=1), fit_elo(item, score, bounds, t, 12, n_iter=3)
    assert not np.allclose(one.difficulty, three.difficulty)    # each sweep moves the items


def _with_extra(extra, n_learners=60, seed=6):
    """``simulate``'s 12-item trails plus ``extra`` events ``{learner: [(item, score), ...]}`` at the end."""
    item, score, bounds, t, _, ability = simulate(n_learners=n_learners, seed=seed)
    items, scores, times, b = [], [], [], [0]
    for l in range(n_learners):
        seg = slice(bounds[l], bounds[l + 1])
        add = extra.get(l, [])
        items += item[seg].tolist() + [j for j, _ in add]
        scores += score[seg].tolist() + [s for _, s in add]
        times += t[seg].tolist() + [int(t[bounds[l + 1] - 1]) + 1 + k for k in range(len(add))]
        b.append(len(items))
    return (np.array(items, np.int32), np.array(scores), np.array(b, np.int64), np.array(times, np.int64),
            ability)


def test_items_always_passed_or_failed_keep_a_count_value_whoever_met_them():
    # items 12, 13 passed once each, 14, 15 failed once each, by the weakest or the strongest learner:
    # no finite Rasch estimate, so equal counts must give equal difficulties (who met them must not matter)
    ability = simulate(n_learners=60, seed=6)[5]
    weak, strong = int(np.argmin(ability)), int(np.argmax(ability))
    extra = {weak: [(12, 1.0), (14, 0.0)], strong: [(13, 1.0), (15, 0.0)]}
    item, score, bounds, t, _ = _with_extra(extra)
    d = fit_elo(item, score, bounds, t, 16).difficulty
    assert d[12] == pytest.approx(d[13]) and d[14] == pytest.approx(d[15])
    assert d[12] < d[14]


def test_an_item_failed_by_strong_learners_is_harder_than_one_failed_as_often_by_weak_ones():
    ability = simulate(n_learners=60, seed=6)[5]
    by_ability = np.argsort(ability)
    extra = {}
    for rank, (j, learners) in enumerate([(12, by_ability[-3:]), (13, by_ability[:3])]):
        for l, s in zip(learners, (1.0, 0.0, 0.0)):        # one pass in three attempts, on both items
            extra.setdefault(int(l), []).append((j, s))
    item, score, bounds, t, _ = _with_extra(extra)
    d = fit_elo(item, score, bounds, t, 14).difficulty
    assert d[12] > d[13] + 0.5


def test_drift_halves_split_the_time_span_at_its_middle_to_the_nanosecond():
    # three learners, nanosecond stamps of today's dates (beyond float precision); the span's middle is
    # T + M: item 0 is failed at the start (early half), item 1 failed 1 ns after the middle (late half),
    # item 2 passed at the end. A failure raises g = w (p - s) > 0: drift = late term - early term, so
    # item 0 drifts down (easier later) and item 1 up (harder later)
    T, M = 1_700_000_000_000_000_000, 3_600_000_000_000
    # item 3 is failed exactly at the middle: the middle itself belongs to the early half
    item = np.array([0, 1, 2, 3], np.int32)
    score = np.array([0.0, 0.0, 1.0, 0.0])
    bounds = np.array([0, 1, 2, 3, 4], np.int64)
    stamps = np.array([T, T + M + 1, T + 2 * M + 1, T + M], np.int64)
    res = fit_elo(item, score, bounds, stamps, 4)
    assert res.drift[0] < 0 < res.drift[1]
    assert res.drift[2] < 0                       # a pass in the late half: easier later
    assert res.drift[3] < 0


def test_one_sweep_by_hand_newton_step_with_ridge():
    # learner A passes item 0 then fails item 1; learner B fails item 0. Item 1 is always failed (frozen at
    # its count value); item 0 takes one Newton step g / (h + 1) from its count value, then both are centred
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    raw = np.array([np.log((1 - 2 / 4) / (2 / 4)), np.log((1 - 1 / 3) / (1 / 3))])   # rates (1+1)/(2+2), 1/3
    d0 = raw - (2 * raw[0] + 1 * raw[1]) / 3                                          # attempts 2 and 1
    p = sig(0.0 - d0[0])              # both meet item 0 at their first attempt: theta 0, K = 1, w = 1/2
    g = 0.5 * (p - 1.0) + 0.5 * (p - 0.0)
    h = 2 * 0.5 * p * (1 - p)
    d = np.array([d0[0] + g / (h + 1.0), d0[1]])
    d -= (2 * d[0] + d[1]) / 3
    res = fit_elo(np.array([0, 1, 0], np.int32), np.array([1.0, 0.0, 0.0]), np.array([0, 2, 3], np.int64),
                  np.array([0, 1, 2], np.int64), 2, n_iter=1)
    np.testing.assert_allclose(res.difficulty, d, rtol=1e-12)


def test_drift_and_abilities_of_a_small_log_by_hand():
    # A passes item 0 (t=0) then fails item 1 (t=1); B (t=2) and C (t=3) fail item 0. The span's middle is
    # 1: A's events are early, B's and C's late. One sweep (n_iter=1), then the final pass at the final d.
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    raw = np.log([(1 - 2 / 5) / (2 / 5), (1 - 1 / 3) / (1 / 3)])      # smoothed rates (1+1)/(3+2), 1/3
    d0 = raw - (3 * raw[0] + raw[1]) / 4
    p = sig(-d0[0])                   # item 0 is everyone's first attempt: theta 0, K = 1, w = 1/2
    d = np.array([d0[0] + 0.5 * (3 * p - 1) / (1.5 * p * (1 - p) + 1.0), d0[1]])   # item 1 always failed
    d -= (3 * d[0] + d[1]) / 4
    p = sig(-d[0])
    g_early, h_early = 0.5 * (p - 1), 0.5 * p * (1 - p)                   # A's pass
    g_late, h_late = 2 * 0.5 * p, 2 * 0.5 * p * (1 - p)                   # B's and C's failures
    k2 = 1 / (1 + 1 / 10)                                                 # A's second step
    p1 = sig((1 - p) - d[1])
    w1 = 1 - 0.5 * k2
    g1, h1 = w1 * p1, w1 * p1 * (1 - p1)                                  # item 1: early only
    res = fit_elo(np.array([0, 1, 0, 0], np.int32), np.array([1.0, 0.0, 0.0, 0.0]),
                  np.array([0, 2, 3, 4], np.int64), np.array([0, 1, 2, 3], np.int64), 2, n_iter=1)
    np.testing.assert_allclose(res.difficulty, d, rtol=1e-12)
    np.testing.assert_allclose(res.ability, [(1 - p) - k2 * p1, -p, -p], rtol=1e-12)
    np.testing.assert_allclose(res.drift, [g_late / (h_late + 1) - g_early / (h_early + 1), -g1 / (h1 + 1)],
                               rtol=1e-12)
    np.testing.assert_allclose(res.drift_se, np.sqrt([1 / (h_late + 1) + 1 / (h_early + 1), 1 + 1 / (h1 + 1)]),
                               rtol=1e-12)
    assert res.n_attempts.tolist() == [2, 1, 1]


def test_learner_rating_skips_unscored_events_and_keeps_going():
    d = np.array([-1.0, 0.0, 0.5])
    with_nan = learner_rating([0, 1, 2, 1], [1.0, np.nan, 0.0, 1.0], d)
    assert with_nan == learner_rating([0, 2, 1], [1.0, 0.0, 1.0], d)
    assert with_nan != learner_rating([0], [1.0], d)
