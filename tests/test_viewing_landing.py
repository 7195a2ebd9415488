"""The learned landing model of the viewing mapping (poem.colony.viewing, ``landing="learned"``)."""

import numpy as np
import pandas as pd
import pytest

from poem.colony.landing import _visit_features
from poem.colony.viewing import RETURNS, SHARE_EDGES, landing_model, viewing_evidence, viewing_summary
from poem.errors import ParameterError
from poem.simulation.viewing import simulate_viewing
from poem.traces import Traces

LENGTH = {"x": 100.0, "y": 200.0, "z": 300.0}
CATALOG = pd.DataFrame({"item": list(LENGTH), "kind": "video", "length": list(LENGTH.values())})


def _log(trails):
    """``trails``: {learner: [(item, share), ...]}, one visit per hour."""
    rows = []
    for learner, visits in trails.items():
        for k, (item, share) in enumerate(visits):
            rows.append((learner, item, pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=k),
                         share * LENGTH[item]))
    return Traces.from_frame(pd.DataFrame(rows, columns=["learner", "item", "timestamp", "duration"]))


def test_visit_features_hand_checked():
    # one learner, items 0 1 2; threshold 0.8 everywhere, usual finishing share 1.0 (x, z) and 1.0 (y)
    item = np.array([0, 0, 1, 2, 0, 1])
    share = np.array([0.3, 1.0, 0.95, 1.3, 1.0, 0.5])
    info = np.ones(6, bool)
    sbin, ret, first, anchor = _visit_features(item, share, info, np.full(3, 0.8), np.ones(3),
                                               np.asarray(SHARE_EDGES), np.array([0, 6]), 3, 2)
    # bins: 0.95 in [0.9, 0.97) -> 1; 1.0 in [0.97, 1.03) -> 2; 1.3 in [1.25, 1.5) -> 5; below 0.8 -> -1
    assert sbin.tolist() == [-1, 2, 1, 5, 2, -1]
    # x@0 straight back (x@1 next); x@1 back after 2 new completions (y, z) = moved on; y@2 back later
    # (x@4 is no new completion, z@3 is one: back soon); the others never back
    assert ret.tolist() == [1, 3, 2, 0, 0, 0]
    assert [RETURNS[r] for r in ret[:3]] == ["straight back", "back after moving on", "back soon"]
    assert first.tolist() == [False, True, True, True, False, False]
    assert anchor.tolist() == [True, False, False, False, False, False]   # abandoned before any complete view
    # an event without evidence (a background tab) between two visits does not break "straight back"
    info2 = np.array([True, False, True])
    _, ret2, _, _ = _visit_features(np.array([0, 0, 0]), np.array([0.2, 9.0, 1.0]), info2, np.full(1, 0.8),
                                    np.ones(1), np.asarray(SHARE_EDGES), np.array([0, 3]), 1, 2)
    assert ret2.tolist() == [1, 0, 0]


def _course(n_back_moved_on=10):
    """60 learners watch x through and never come back; 60 abandon x, come straight back and watch it
    through; 40 watch x through seeking back (1.3 times its length), come straight back and watch it
    through again (the first view did not land: they come back as after an abandoned visit);
    ``n_back_moved_on`` watch x, y, z through and come back to x; 10 watch x seeking back and leave."""
    trails = {}
    for k in range(60):
        trails[f"a{k}"] = [("x", 1.0)]
        trails[f"b{k}"] = [("x", 0.2), ("x", 1.0)]
    for k in range(40):
        trails[f"c{k}"] = [("x", 1.3), ("x", 1.0)]
    for k in range(n_back_moved_on):
        trails[f"d{k}"] = [("x", 1.0), ("y", 1.0), ("z", 1.0), ("x", 1.0)]
    for k in range(10):
        trails[f"e{k}"] = [("x", 1.3)]          # sought back, never came back
    return _log(trails)


def test_learned_mapping_hand_checked_labels():
    t = _course()
    ev = viewing_evidence(t, CATALOG, threshold=0.8, landing="learned")
    assert ev.landing is not None
    learner = t.learners[t.learner]
    got = {who: (ev.labels[learner == who].tolist(), ev.score[learner == who].tolist())
           for who in ("a0", "b0", "c0", "d0", "e0")}
    assert got["a0"] == (["complete"], [1.0])                        # watched through, never back: landed
    assert got["b0"] == (["abandoned", "complete"], [0.0, 1.0])
    # came straight back as learners do after an abandoned visit: the first complete view did not land
    assert got["c0"] == (["returned", "complete"], [0.0, 1.0])
    # back after moving on (two other videos completed): learned as a review of a landed view, no failure
    assert got["d0"][0] == ["complete", "complete", "complete", "review"]
    assert got["d0"][1][:3] == [1.0, 1.0, 1.0] and np.isnan(got["d0"][1][3])
    # a complete view nobody came back to lands, whatever its share (the model only judges returns)
    assert got["e0"] == (["complete"], [1.0])
    post = ev.landing["posterior"]
    # bins: 1.0 of the usual finishing share -> 2, 1.3 -> 5 (the usual share of x is the median, 1.0)
    assert post[5, 1] < 0.5 <= post[2, 0] and post[2, 3] >= 0.5
    # the summary counts a complete view that did not land as "returned"
    row = viewing_summary(t, CATALOG, threshold=0.8, landing="learned").loc["x"]
    assert row["returned"] == pytest.approx(40 / 180) and row["completion"] == 1.0
    # the default is the learned mapping
    assert viewing_evidence(t, CATALOG, threshold=0.8).landing is not None


def test_rule_mapping_on_the_same_log_and_fallback_on_small_logs():
    t = _course()
    rule = viewing_evidence(t, CATALOG, threshold=0.8, landing="rule")
    assert rule.landing is None
    learner = t.learners[t.learner]
    # the rule with a return window of 2: the "moved on" learners' first view lands too
    assert rule.labels[learner == "d0"].tolist() == ["complete", "complete", "complete", "review"]
    # too little to learn from (fewer than min_learn first complete views or abandoned visits): the rule
    small = viewing_evidence(t, CATALOG, threshold=0.8, landing="learned", min_learn=10_000)
    assert small.landing is None
    np.testing.assert_array_equal(small.label, rule.label)
    np.testing.assert_array_equal(small.score, rule.score)


def test_landing_model_recovers_a_known_mixture():
    rng = np.random.default_rng(7)
    k, pi = 6000, 0.6
    landed = rng.random(k) < pi
    s_land, s_lost = [.05, .1, .3, .4, .1, .03, .02], [.05, .05, .2, .2, .1, .2, .2]
    r_land, r_lost = [.9, .04, .03, .03], [.45, .35, .1, .1]
    sbin = np.where(landed, rng.choice(7, k, p=s_land), rng.choice(7, k, p=s_lost))
    ret = np.where(landed, rng.choice(4, k, p=r_land), rng.choice(4, k, p=r_lost))
    anchors = rng.choice(4, 4000, p=r_lost)
    m = landing_model(np.r_[sbin, np.full(4000, -1)], np.r_[ret, anchors],
                      np.r_[np.ones(k, bool), np.zeros(4000, bool)], np.r_[np.zeros(k, bool), np.ones(4000, bool)])
    assert m["pi"] == pytest.approx(pi, abs=0.05)
    np.testing.assert_allclose(m["return_landed"], r_land, atol=0.04)
    np.testing.assert_allclose(m["share_landed"], s_land, atol=0.04)
    np.testing.assert_allclose(m["share_lost"], s_lost, atol=0.05)
    # the posterior is Bayes' rule on the true model up to estimation error
    true = (pi * np.outer(s_land, r_land)) / (pi * np.outer(s_land, r_land) + (1 - pi) * np.outer(s_lost, r_lost))
    np.testing.assert_allclose(m["posterior"], true, atol=0.1)
    assert m["n_views"] == k and m["n_anchors"] == 4000


def test_landing_model_gives_up_when_it_cannot_tell_the_classes_apart():
    rng = np.random.default_rng(1)
    sbin = rng.integers(0, 7, 500)
    # complete views come back far more often than abandoned visits: no class returns like a landed view
    ret = rng.choice(4, 500, p=[0.1, 0.8, 0.05, 0.05])
    anchors = np.zeros(300, np.int64)
    args = (np.r_[sbin, np.full(300, -1)], np.r_[ret, anchors], np.r_[np.ones(500, bool), np.zeros(300, bool)],
            np.r_[np.zeros(500, bool), np.ones(300, bool)])
    assert landing_model(*args) is None
    assert landing_model(*args[:2], np.r_[np.ones(40, bool), np.zeros(760, bool)], args[3]) is None  # < 50 views


def test_landing_parameters_are_checked():
    t = _course()
    with pytest.raises(ParameterError, match="landing"):
        viewing_evidence(t, CATALOG, landing="auto")
    with pytest.raises(ParameterError, match="min_learn"):
        viewing_evidence(t, CATALOG, landing="learned", min_learn=2.5)


def test_learned_mapping_reads_fewer_false_successes_on_a_simulated_course():
    # against the simulator's hidden state: a success on a visit that did not teach the video is false
    vc = simulate_viewing(n_items=20, n_learners=600, seed=5)
    t = vc.to_traces()
    ev = vc.scored.events
    hidden = pd.DataFrame({"learner": ev["learner"].astype(str), "timestamp": ev["timestamp"],
                           "lost": ~ev["after"].to_numpy()})
    frame = pd.DataFrame({"learner": t.learners[t.learner].astype(str),
                          "timestamp": pd.to_datetime(t.timestamp, utc=True)})
    lost = frame.merge(hidden, on=["learner", "timestamp"], how="left", validate="one_to_one")["lost"].to_numpy()
    learned = viewing_evidence(t, vc.catalog, landing="learned")
    rule = viewing_evidence(t, vc.catalog, landing="rule")
    assert learned.landing is not None

    def false_share(e):
        success = e.score >= 0.5
        return (success & lost).sum() / success.sum()

    assert false_share(learned) < false_share(rule) - 0.02      # 0.31 against 0.33 here
    # a landed view was never returned to or has a posterior of at least 1/2; a complete view that did
    # not land was returned to and has a posterior below 1/2
    ret = learned.landing["returns"]
    post = learned.landing["posterior"][learned.landing["share_bin"], ret]
    landed = np.isin(learned.labels, ["complete", "struggled"])
    assert ((ret[landed] == 0) | (post[landed] >= 0.5)).all()
    returned = learned.labels == "returned"
    assert returned.any() and (ret[returned] > 0).all() and (post[returned] < 0.5).all()


def test_docstring_examples():
    import doctest

    import poem.colony.landing as module

    result = doctest.testmod(module)
    assert result.attempted > 2 and result.failed == 0


# ------------------------------------------------------------------ the kernels against plain references
def _reference_features(item, share, info, thr, level, edges, bounds, window):
    """Plain-Python reading of :func:`_visit_features`' docstring, event by event (no running counters)."""
    import bisect

    m = len(item)
    sbin, ret = np.full(m, -1), np.zeros(m, int)
    first, anchor = np.zeros(m, bool), np.zeros(m, bool)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        full = set()
        for e in range(lo, hi):
            if not info[e]:
                continue
            j = item[e]
            if share[e] >= thr[j]:
                sbin[e] = bisect.bisect_right(list(edges), share[e] / level[j])
                first[e] = j not in full
                full.add(j)
            elif j not in full:
                anchor[e] = True
        for e in range(lo, hi):
            if not info[e]:
                continue
            later = [f for f in range(e + 1, hi) if info[f] and item[f] == item[e]]
            if not later:
                continue                                            # never back: 0
            f = later[0]
            if all(item[k] == item[e] for k in range(e + 1, f)):
                ret[e] = 1                                          # nothing else in between: straight back
            else:
                ret[e] = 2 if first[e + 1:f].sum() < window else 3  # first complete views of others between
    return sbin, ret, first, anchor


@pytest.mark.parametrize("seed", range(6))
def test_visit_features_equal_a_plain_reference_on_random_logs(seed):
    rng = np.random.default_rng(seed)
    n, m = 4, 60
    bounds = np.r_[0, np.sort(rng.choice(np.arange(1, m), 3, replace=False)), m]
    item = rng.integers(0, n, m)
    share = rng.choice([0.2, 0.5, 0.79, 0.8, 0.9, 1.0, 1.1, 1.3, 1.6], m)
    info = rng.random(m) < 0.85
    thr, level = np.array([0.8, 0.5, 0.8, 0.95]), np.array([1.0, 0.9, 1.1, 1.0])
    window = int(rng.integers(1, 3))
    args = (item, share, info, thr, level, np.asarray(SHARE_EDGES), bounds, n, window)
    got = _visit_features(*args)
    want = _reference_features(item, share, info, thr, level, SHARE_EDGES, bounds, window)
    for name, a, b in zip(("sbin", "ret", "first", "anchor"), got, want):
        np.testing.assert_array_equal(a, b, err_msg=name)
    # the kernel's plain-Python body runs too, without reading or writing past an array's end
    for a, b in zip(_visit_features.py_func(*args), want):
        np.testing.assert_array_equal(a, b)
    assert (got[1] > 0).any() and got[2].any() and got[3].any()   # the logs exercise every feature


def test_classify_learned_hand_checked():
    from poem.colony.landing import _classify_learned

    post = np.full((7, 4), 0.3)
    post[2, 3] = 0.5                                  # back after moving on from a usual view: lands at 1/2
    # learner A: a background tab (no evidence), abandoned, a complete view returned to, the same landed;
    # learner B: a sought-back view (share above the overwatch share), then a review; then item 1, landed
    # by the model (a posterior of exactly 1/2), with exactly struggle_seeks seeks back
    item = np.array([0, 0, 0, 0, 0, 0, 1])
    share = np.array([9.0, 0.2, 1.0, 1.0, 1.3, 1.0, 1.0])
    seeks = np.array([0, 0, 0, 0, 0, 0, 1])
    info = np.array([False, True, True, True, True, True, True])
    sbin = np.array([-1, -1, 2, 2, 5, 2, 2])
    ret = np.array([0, 1, 1, 0, 0, 0, 3])
    bounds = np.array([0, 4, 7])

    def run(struggle_seeks):
        return _classify_learned(item, share, seeks, info, sbin, ret, post, bounds, 2, 1.2, 0.75, struggle_seeks)

    label, score = run(1)
    # 0 untouched (the rule labels it), 3 abandoned, 4 returned, 5 complete, 6 struggled, 7 review
    assert label.tolist() == [0, 3, 4, 5, 6, 7, 6]
    np.testing.assert_array_equal(score, [np.nan, 0.0, 0.0, 1.0, 0.75, np.nan, 0.75])
    # seeks only count when struggle_seeks is set: with 0, the last view is a plain landed one
    label0, score0 = run(0)
    assert label0.tolist() == [0, 3, 4, 5, 6, 7, 5] and score0[6] == 1.0


def test_finishing_levels_hand_checked():
    from poem.colony.landing import _finishing_levels

    # video 0: complete views 0.9, 1.0, 1.2 (0.3 abandoned, 2.0 a background tab: neither counts);
    # video 1: 0.8 (exactly the threshold), 0.85 and 1.5 (exactly the background share): all count;
    # video 2: never watched. Median of all complete views: 0.95; two pseudo-views pull toward it
    share = np.array([0.9, 1.0, 1.2, 0.3, 2.0, 0.8, 0.85, 1.5, np.nan])
    item = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1])
    level = _finishing_levels(share, item, np.full(3, 0.8), 3, 2.0, 1.5)
    np.testing.assert_allclose(level, [(3 * 1.0 + 2 * 0.95) / 5, (3 * 0.85 + 2 * 0.95) / 5, 0.95])
    # no complete view at all: every video's usual finishing share is the full length
    np.testing.assert_array_equal(_finishing_levels(np.array([0.1, np.nan]), np.array([0, 1]), np.full(2, 0.8),
                                                    2, 2.0, 1.5), [1.0, 1.0])


def test_landing_model_start_and_first_em_step_by_hand():
    # three first complete views in share bin 2 never returned to, two in bin 5 returned to straight away;
    # three abandoned visits, two followed by a straight return; a later complete view (not a first one:
    # the model learns from first complete views only)
    sbin = np.array([2, 2, 2, 5, 5, -1, -1, -1, 2])
    ret = np.array([0, 0, 0, 1, 1, 1, 1, 0, 0])
    first = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0], bool)
    anchor = np.array([0, 0, 0, 0, 0, 1, 1, 1, 0], bool)
    r_lost = np.array([1 + 1, 2 + 1, 0 + 1, 0 + 1]) / (3 + 4)       # the anchors' returns, plus one each
    # the start (no EM step): views nobody came back to look landed (plus one per bin), the others not
    m0 = landing_model(sbin, ret, first, anchor, min_learn=1, n_iter=0)
    s_land0 = np.r_[0.1, 0.1, 0.4, 0.1, 0.1, 0.1, 0.1]              # (3 + 1) / (3 + 7) in bin 2
    s_lost0 = np.r_[1, 1, 1, 1, 1, 3, 1] / 9                          # (2 + 1) / (2 + 7) in bin 5
    r_land0 = np.r_[0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3]
    np.testing.assert_allclose(m0["return_lost"], r_lost)
    np.testing.assert_allclose(m0["share_landed"], s_land0)
    np.testing.assert_allclose(m0["share_lost"], s_lost0)
    np.testing.assert_allclose(m0["return_landed"], r_land0)
    g20 = 0.4 * 0.9 / (0.4 * 0.9 + (1 / 9) * (2 / 7))              # P(landed | bin 2, never back), pi = 1/2
    g51 = 0.1 * (0.1 / 3) / (0.1 * (0.1 / 3) + (3 / 9) * (3 / 7))   # P(landed | bin 5, straight back)
    assert m0["pi"] == 0.5 and m0["posterior"][2, 0] == pytest.approx(g20)
    assert m0["posterior"][5, 1] == pytest.approx(g51)
    # one EM step: the views weighted by those posteriors, half a pseudo-count per cell
    m1 = landing_model(sbin, ret, first, anchor, min_learn=1, n_iter=1)
    wa, wb = 3 * g20 + 2 * g51, 3 * (1 - g20) + 2 * (1 - g51)
    assert m1["pi"] == pytest.approx(wa / 5)
    assert m1["share_landed"][2] == pytest.approx((3 * g20 + 0.5) / (wa + 3.5))
    assert m1["share_lost"][5] == pytest.approx((2 * (1 - g51) + 0.5) / (wb + 3.5))
    assert m1["return_landed"][0] == pytest.approx((3 * g20 + 0.5) / (wa + 2.0))
    assert m1["return_landed"][1] == pytest.approx((2 * g51 + 0.5) / (wa + 2.0))
    np.testing.assert_allclose(m1["return_lost"], r_lost)            # fixed: read from the anchors


def test_landing_model_needs_min_learn_views_and_anchors():
    rng = np.random.default_rng(3)

    def fit(n_views, n_anchors):
        sbin = np.r_[np.where(rng.random(n_views) < 0.7, 2, 5), np.full(n_anchors, -1)]
        ret = np.r_[np.where(sbin[:n_views] == 2, 0, 1), np.where(rng.random(n_anchors) < 0.6, 1, 0)]
        first = np.r_[np.ones(n_views, bool), np.zeros(n_anchors, bool)]
        return landing_model(sbin, ret, first, ~first)          # the default min_learn: 50 of each

    assert fit(50, 50) is not None
    assert fit(49, 50) is None and fit(50, 49) is None


def test_learned_mapping_leaves_background_tabs_to_the_rule():
    # a tab left playing (more than background_share = 3 times the length) is no view: the learned pass
    # does not judge it, and it stays "background" with no evidence
    t = _log({**{f"k{i}": trail for i, trail in enumerate(_trails_of(_course()))}, "g0": [("x", 3.5)]})
    ev = viewing_evidence(t, CATALOG, threshold=0.8)
    assert ev.landing is not None
    learner = t.learners[t.learner]
    assert ev.labels[learner == "g0"].tolist() == ["background"] and np.isnan(ev.score[learner == "g0"]).all()


def _trails_of(traces):
    """The trails of a log made by :func:`_log`, back as lists of (item, share)."""
    out = {}
    for lrn, it, d in zip(traces.learner, traces.item, traces.duration):
        name = traces.items[it]
        out.setdefault(lrn, []).append((name, d / LENGTH[name]))
    return list(out.values())
