"""Reading one learner's own viewing history for ``suggest`` (poem.colony.viewing_history)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.antcolony import ManHill
from poem.colony.landing import SHARE_EDGES
from poem.colony.suggestion import Suggestion
from poem.colony.viewing_history import SUPPORT_MIN, HistoryReader, complete_view_worth
from poem.errors import ParameterError
from poem.simulation.viewing import simulate_viewing

NAN = float("nan")
# bins 0..6 of the share over the usual finishing share; bins 4 and 5 (1.1 to 1.5: sought back) doubtful
CREDIBLE = np.array([True, True, True, True, False, False, True])


def _reader(**kw):
    return HistoryReader(threshold=np.array([0.8, 0.6, 0.8]), level=np.array([1.0, 0.8, 1.0]),
                         credible=kw.pop("credible", CREDIBLE), floor=0.5, **kw)


def test_the_trusting_reader_reads_every_complete_view_as_understood():
    r = HistoryReader.trusting(np.array([0.8, 0.6]))
    # item 0: abandoned (0.3), then sought back far above the usual (1.4: a doubtful bin for a learned
    # reader, understood here), then a review (nothing); item 1: a background tab (5 x the length) gives
    # nothing, then complete at its own threshold 0.6
    got = r.read_history([0, 0, 0, 1, 1], [0.3, 1.4, 1.0, 5.0, 0.6])
    assert np.array_equal(got, [0.0, 1.0, NAN, NAN, 1.0], equal_nan=True)
    assert r.floor == 0.0 and r.credible.all() and len(r.credible) == len(SHARE_EDGES) + 1


def test_read_history_hand_checked():
    r = _reader()
    # item 0: abandoned (0.3 < 0.8), sought back to 1.3 x its usual share (bin 5, doubtful: 0, still open),
    # then an ordinary complete view (1.0: bin 2, understood: 1), then a review (nothing);
    # item 1: threshold 0.6, usual share 0.8: 0.7 is complete (0.875 of the usual: bin 0, credible);
    # item 2: a background tab (5 x its length) gives nothing, an unknown share nothing
    got = r.read_history([0, 0, 1, 0, 0, 2, 2], [0.3, 1.3, 0.7, 1.0, 0.95, 5.0, NAN])
    np.testing.assert_array_equal(got, [0.0, 0.0, 1.0, 1.0, NAN, NAN, NAN])


def test_read_visits_marks_what_landed_and_respects_understood():
    r = _reader()
    scores, landed = r.read_visits([0, 0, 1, 2], [1.0, 1.0, 0.9, 1.2], [False, True, False, False])
    # second visit: already understood (a review); 0.9 / 0.8 = 1.125 on item 1 is bin 4 (doubtful);
    # 1.2 on item 2 is bin 5 (doubtful)
    np.testing.assert_array_equal(scores, [1.0, NAN, 0.0, 0.0])
    assert landed.tolist() == [True, False, False, False]


def test_every_bin_credible_is_the_threshold_rule():
    r = _reader(credible=np.ones(len(SHARE_EDGES) + 1, dtype=bool))
    got = r.read_history([0, 0, 0], [0.5, 1.4, 1.0])
    np.testing.assert_array_equal(got, [0.0, 1.0, NAN])     # the first complete view lands, then reviews


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.floats(0.0, 6.0)), min_size=1, max_size=30))
def test_read_history_invariants(visits):
    r = _reader()
    items, shares = [v[0] for v in visits], [v[1] for v in visits]
    got = r.read_history(items, shares)
    landed_at = {}
    for k, (j, s, g) in enumerate(zip(items, shares, got)):
        if g == 1.0:
            assert j not in landed_at and r.threshold[j] <= s <= 3.0   # one landing per video, a real view
            landed_at[j] = k
        elif g == 0.0:
            assert j not in landed_at and s <= 3.0
        else:  # no evidence: a background tab or a visit after the landing
            assert s > 3.0 or (j in landed_at and landed_at[j] < k)


def test_complete_view_worth_hand_checked():
    # learners 0, 1: an ordinary complete view of video 0 (bin 2), then two understood videos;
    # learners 2, 3: an abandoned view of 0, then two failures; learner 4: a view of 0 sought back
    # (1.3: bin 5), then two failures
    item = np.tile([0, 1, 2], 5)
    learner = np.repeat(np.arange(5), 3)
    share = np.array([1.0, 1, 1, 1, 1, 1, 0.2, 0.1, 0.1, 0.3, 0.1, 0.1, 1.3, 0.1, 0.1])
    score = (share >= 0.8).astype(float)
    w = complete_view_worth(item, learner, share, score, np.full(3, 0.8), n_items=3, z_min=2.0)
    assert w["later_abandoned"] == 0.0
    # first complete views with a later success: 0 and 1 of learners 0-1 (later 1; video 2 has no later
    # event), 0 of learner 4 (later 0); abandoned visits are followed by failures only
    assert w["later_bin"][2] == 1.0 and w["later_bin"][5] == 0.0 and w["later_complete"] == pytest.approx(0.8)
    assert w["views_bin"].tolist() == [0, 0, 4, 0, 0, 1, 0]     # the level of each video is 1.0
    # bin 5: 0 < 0.4 (midway between abandoned 0 and complete 0.8), and the later successes of the complete
    # views (1, 1, 1, 1, 0) have a standard deviation of 0.4: the lone view lies (0.8 - 0) / 0.4 = 2
    # standard errors below, just enough
    assert w["z"][5] == pytest.approx(2.0) and w["z"][2] == pytest.approx((0.8 - 1.0) * 2 / 0.4)
    assert w["credible"].tolist() == [True, True, True, True, True, False, True]
    # at the default 2.5 standard errors (seven bins tested at once), one view is not enough to doubt a bin
    assert complete_view_worth(item, learner, share, score, np.full(3, 0.8), n_items=3)["credible"].all()


def test_complete_view_worth_without_contrast_trusts_every_bin():
    item, learner = np.array([0, 1]), np.array([0, 0])
    w = complete_view_worth(item, learner, np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.full(2, 0.8),
                            n_items=2)
    assert w["credible"].all() and np.isnan(w["later_abandoned"])
    with pytest.raises(ParameterError, match="one value per event"):
        complete_view_worth(item, learner[:1], np.ones(2), np.ones(2), np.ones(2), n_items=2)
    with pytest.raises(ParameterError, match="z_min"):
        complete_view_worth(item, learner, np.ones(2), np.ones(2), np.ones(2), n_items=2, z_min=-1)
    with pytest.raises(ParameterError, match="horizon"):
        complete_view_worth(item, learner, np.ones(2), np.ones(2), np.ones(2), n_items=2, horizon=0)


def test_reader_from_fit_on_a_viewing_log():
    vc = simulate_viewing(n_items=10, n_learners=150, seed=2)
    traces = vc.to_traces()
    model = ManHill().fit(traces, catalog=vc.catalog)
    r = HistoryReader.from_fit(model, traces)
    assert r.threshold.shape == r.level.shape == (traces.n_items,)
    np.testing.assert_allclose(r.threshold, model.viewing_.threshold)
    # the floor is the log's success share of the evidence, what an average visit gives
    assert r.floor == pytest.approx(model.item_successes_.sum() / model.item_attempts_.sum())
    assert 0 < r.floor < 1 and len(r.credible) == len(SHARE_EDGES) + 1
    with pytest.raises(ParameterError, match="not fitted on viewing"):
        HistoryReader.from_fit(ManHill().fit(vc.scored.to_traces()), traces)
    with pytest.raises(ParameterError, match="traces the colony was fitted on"):
        HistoryReader.from_fit(model, traces.select_learners(np.arange(traces.n_learners) < 10))
    with pytest.raises(ParameterError, match="2 items but 1 shares"):
        r.read_history([0, 1], [1.0])


def test_viewing_policy_reads_with_the_reader_and_defers():
    from poem.simulation.closed_loop import closed_loop
    from poem.simulation.course import make_course
    from poem.simulation.viewing import ViewingColonyPolicy, video_lengths

    course = make_course(12, rng=np.random.default_rng(3))
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                            "length": video_lengths(course.n_items, np.random.default_rng(3))})
    new = ViewingColonyPolicy(catalog, seed=3)
    t_new = closed_loop(course, new, n_cohorts=3, cohort_size=40, seed=3)
    old = ViewingColonyPolicy(catalog, seed=3, reader=False, floor=False)
    t_old = closed_loop(course, old, n_cohorts=3, cohort_size=40, seed=3)
    assert new.reader is not None and old.reader is None
    # the first cohort is unguided under both: the same learners, the same record
    pd.testing.assert_series_equal(t_new["NRP"].iloc[:1], t_old["NRP"].iloc[:1])
    # deferring: fewer steps taken on a recommendation than the 80 % followed when the colony always speaks
    assert t_new["followed"].iloc[-1] < t_old["followed"].iloc[-1]
    with pytest.raises(ParameterError, match="floor=False to rerank"):
        ViewingColonyPolicy(catalog, rerank="gain")
    # every score handed to suggest is what the reader gives for that visit
    r = 0 if new._items[0] else next(k for k, h in enumerate(new._items) if h)
    assert all(s != s or s in (0.0, 1.0) for s in new._scores[r])


def test_withholds_hand_checked():
    r = HistoryReader.trusting([0.8, 0.8])
    r = HistoryReader(r.threshold, r.level, r.credible, floor=0.4)

    def best(support, p):
        return Suggestion("v", 1.0, support, 0.5, p, "level")

    # the floor is checked first: a well-travelled step below it is still the learner's choice
    assert r.withholds(best(50, 0.39)) == "floor"
    assert r.withholds(best(0, 0.39)) == "floor"
    # at the floor exactly the step is suggested when enough learners took it
    assert r.withholds(best(SUPPORT_MIN, 0.4)) is None
    assert r.withholds(best(SUPPORT_MIN - 1, 0.9)) == "support"
    assert r.withholds(best(0, 0.9), min_support=0) is None
    assert r.withholds(best(4, 0.9), min_support=5) == "support"
    # the trusting reader (the policy before) has floor 0: only the support can withhold
    assert HistoryReader.trusting([0.8]).withholds(best(0, 0.0), min_support=0) is None
    for bad in (-1, 1.5):
        with pytest.raises(ParameterError, match="min_support"):
            r.withholds(best(3, 0.5), min_support=bad)


def test_viewing_policy_defers_on_thin_support():
    from poem.simulation.closed_loop import closed_loop
    from poem.simulation.course import make_course
    from poem.simulation.viewing import ViewingColonyPolicy, video_lengths

    course = make_course(12, rng=np.random.default_rng(3))
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                            "length": video_lengths(course.n_items, np.random.default_rng(3))})
    # the default with the floor is SUPPORT_MIN; the policy before (no floor) keeps always suggesting
    assert ViewingColonyPolicy(catalog).defer == SUPPORT_MIN
    assert ViewingColonyPolicy(catalog, floor=False).defer == 0
    assert ViewingColonyPolicy(catalog, defer=0).defer == 0

    class Recording(ViewingColonyPolicy):
        def recommend(self, state, rows, rng):
            asked = []
            if self.reader is not None:
                suggest = self.model.suggest

                def recording(*args, **kwargs):
                    got = suggest(*args, **kwargs)
                    asked.append(got[0] if got else None)
                    return got

                self.model.suggest = recording
            out = super().recommend(state, rows, rng)
            if self.reader is not None:
                del self.model.suggest
                assert len(asked) == len(rows)
                self.seen += [(g, int(o), self.reader.floor) for g, o in zip(asked, out)]
            return out

    policy = Recording(catalog, seed=3)
    policy.seen = []
    closed_loop(course, policy, n_cohorts=2, cohort_size=40, seed=3)
    # a recommendation is made exactly when the best candidate clears the floor and the support (the
    # floor of the colony that guided that cohort)
    for g, o, floor in policy.seen:
        ok = g is not None and g.predicted_success >= floor and g.support >= SUPPORT_MIN
        assert o == (course.code(g.item) if ok else -1)
    thin = [g for g, _, floor in policy.seen
            if g is not None and g.predicted_success >= floor and g.support < SUPPORT_MIN]
    assert thin, "no step above the floor short of the support on this course: the test says nothing"


def test_docstring_examples():
    import doctest

    import poem.colony.viewing_history as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ complete_view_worth, re-derived
def _worth_by_hand(item, learner, share, score, threshold, n_items, horizon, z_min, prior_views, background):
    """complete_view_worth read from its docstring, one event at a time (the usual finishing share is
    poem.colony.landing's, tested there)."""
    import bisect
    import math

    from poem.colony.landing import _finishing_levels

    n, n_bins = len(item), len(SHARE_EDGES) + 1
    thr = [math.inf if math.isnan(t) else t for t in threshold]
    ok = [not math.isnan(s) and s <= background for s in share]
    level = _finishing_levels(np.array([s if o else NAN for s, o in zip(share, ok)]), np.asarray(item),
                              np.array(thr), n_items, prior_views, background)
    # a complete view (at or above its video's threshold) falls in a bin of share / usual share
    sbin = [bisect.bisect_right(SHARE_EDGES, share[e] / level[item[e]]) if ok[e] and share[e] >= thr[item[e]]
            else -1 for e in range(n)]
    seen, first = set(), [False] * n
    for e in range(n):
        if sbin[e] >= 0 and (learner[e], item[e]) not in seen:
            seen.add((learner[e], item[e]))
            first[e] = True
    # later success: the mean of the next `horizon` evidence events, skipping (but counting) those on the
    # same item and stopping at the learner's last one
    ev = [e for e in range(n) if not math.isnan(score[e])]
    later = [NAN] * n
    for pos, e in enumerate(ev):
        nxt = [ev[pos + k] for k in range(1, horizon + 1) if pos + k < len(ev)]
        vals = [score[f] for f in nxt if learner[f] == learner[e] and item[f] != item[e]]
        if vals:
            later[e] = sum(vals) / len(vals)
    has_later = [not math.isnan(score[e]) and not math.isnan(later[e]) for e in range(n)]
    aband = [later[e] for e in range(n) if ok[e] and sbin[e] < 0 and has_later[e]]
    views = [e for e in range(n) if first[e] and has_later[e]]
    later_ab = sum(aband) / len(aband) if aband else NAN
    later_c = sum(later[e] for e in views) / len(views) if views else NAN
    by_bin = [[later[e] for e in views if sbin[e] == b] for b in range(n_bins)]
    later_bin = [sum(v) / len(v) if v else NAN for v in by_bin]
    z, credible = [0.0] * n_bins, [True] * n_bins
    if later_ab == later_ab and later_c == later_c and later_c > later_ab and len(views) > 1:
        sd = math.sqrt(sum((later[e] - later_c) ** 2 for e in views) / len(views))
        for b in range(n_bins):
            if by_bin[b]:
                z[b] = (later_c - later_bin[b]) * math.sqrt(len(by_bin[b])) / max(sd, 1e-12)
                credible[b] = not (later_bin[b] < 0.5 * (later_ab + later_c) and z[b] >= z_min)
    return {"level": level, "later_abandoned": later_ab, "later_complete": later_c, "later_bin": later_bin,
            "views_bin": [len(v) for v in by_bin], "z": z, "credible": credible}


_SHARES = st.sampled_from([NAN, 0.0, 0.1, 0.5, 0.79, 0.8, 0.95, 1.0, 1.05, 1.2, 1.4, 2.0, 3.0, 3.5])
_VISIT = st.tuples(st.integers(0, 3), _SHARES, st.sampled_from([NAN, 0.0, 1.0, 0.5]))


@settings(max_examples=300, deadline=None)
@given(trails=st.lists(st.lists(_VISIT, min_size=1, max_size=7), min_size=1, max_size=6),
       threshold=st.lists(st.sampled_from([0.5, 0.8, NAN]), min_size=4, max_size=4),
       horizon=st.integers(1, 3), z_min=st.sampled_from([0.0, 0.5, 1.0, 2.5]),
       prior_views=st.sampled_from([0.0, 2.0, 20.0]), background=st.sampled_from([1.3, 3.0]))
def test_complete_view_worth_is_its_docstring(trails, threshold, horizon, z_min, prior_views, background):
    item = [i for trail in trails for i, _, _ in trail]
    learner = [k for k, trail in enumerate(trails) for _ in trail]
    share = [s for trail in trails for _, s, _ in trail]
    score = [sc for trail in trails for _, _, sc in trail]
    got = complete_view_worth(np.array(item), np.array(learner), np.array(share), np.array(score),
                              np.array(threshold), n_items=4, horizon=horizon, z_min=z_min,
                              prior_views=prior_views, background_share=background)
    want = _worth_by_hand(item, learner, share, score, threshold, 4, horizon, z_min, prior_views, background)
    for key in ("level", "later_bin", "z"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=1e-12, err_msg=key)
    for key in ("later_abandoned", "later_complete"):
        assert got[key] == pytest.approx(want[key], nan_ok=True), key
    assert got["views_bin"].tolist() == want["views_bin"]
    assert got["credible"].tolist() == want["credible"]


def test_shares_and_readings_at_their_boundaries():
    reader = _reader(length=np.array([300.0, 600.0, 100.0]))
    # zero seconds watched is a share of 0 (a visit abandoned at once), not an error
    assert reader.shares([0, 2], [0.0, 0.5]).tolist() == [0.0, 0.005]
    with pytest.raises(ParameterError, match="finite and >= 0"):
        reader.shares([0], [-0.5])
    # a share exactly at the background share is still a view (only above it is a background tab)
    at, above = reader.background_share, reader.background_share + 0.01
    assert [r for _, r in reader.explain_history([1, 2], [at, above])] == ["understood", "background"]


def test_readings_where_a_view_is_not_understood():
    # every share bin doubtful: no complete view lands, so each reading says why
    reader = _reader(credible=np.zeros(len(SHARE_EDGES) + 1, dtype=bool))
    bg = reader.background_share
    # at the background share exactly: still a (doubtful) view; at item 1's threshold (0.6) exactly: a
    # complete view, so doubtful too, not abandoned
    scores, readings = zip(*reader.explain_history([1, 1, 1, 1], [bg, 0.6, 0.59, bg + 0.01]))
    assert readings == ("doubtful", "doubtful", "abandoned", "background")
    np.testing.assert_array_equal(scores, [0.0, 0.0, 0.0, NAN])
    # bin 0 (a complete view well under the usual share: 0.6 of 1.0) read by its own credibility only
    only_bin0_doubtful = np.ones(len(SHARE_EDGES) + 1, dtype=bool)
    only_bin0_doubtful[0] = False
    assert _reader(credible=only_bin0_doubtful).read_history([0, 2], [0.85, 0.95]) == [0.0, 1.0]


def test_lengths_must_be_positive_and_may_be_short():
    reader = _reader(length=np.array([300.0, 0.0, 0.5]))
    assert reader.shares([2], [0.25]).tolist() == [0.5]         # a half-second clip is a length
    with pytest.raises(ParameterError, match="no length known"):
        reader.shares([1], [10.0])                               # a zero length is none


def test_complete_view_worth_on_the_midpoint_is_credible():
    # two complete views of video 0 followed by 0.25 and 0.75 (complete views: 0.5), an abandoned one by 0:
    # the bin of the first lies exactly midway (0.25) and exactly z_min (1) standard errors below; only a
    # bin *below* the midpoint is doubtful
    item = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    share = np.array([1.0, NAN, NAN, 1.3, NAN, NAN, 0.2, NAN, NAN])
    score = np.array([1.0, 0.5, 0.0, 1.0, 1.0, 0.5, 0.0, 0.0, 0.0])
    w = complete_view_worth(item, np.repeat([0, 1, 2], 3), share, score, np.array([0.8, NAN, NAN]), n_items=3,
                            horizon=2, z_min=1.0, prior_views=0.0)
    assert w["later_bin"][0] == 0.5 * (w["later_abandoned"] + w["later_complete"]) == 0.25
    assert w["z"][0] == 1.0 and w["credible"].all()


def test_complete_view_worth_documented_defaults():
    import inspect

    params = inspect.signature(complete_view_worth).parameters
    assert {k: params[k].default for k in ("horizon", "z_min", "prior_views", "background_share")} == \
        {"horizon": 5, "z_min": 2.5, "prior_views": 20.0, "background_share": 3.0}


@pytest.mark.parametrize("seconds, floor", [(100.0, 1.0), (900.0, 0.0)])
def test_the_floor_of_a_one_visit_log(seconds, floor):
    # one complete view: one attempt, one success, floor 1; one background tab (9 lengths): no evidence at
    # all, and the floor is 0 (nothing to defer to), not a division by zero
    from poem.io import read_traces

    catalog = pd.DataFrame({"item": ["v1", "v2"], "title": ["A", "B"], "kind": ["video", "video"],
                            "length": [100, 100]})
    raw = pd.DataFrame({"learner": ["a"], "item": ["v1"], "timestamp": ["2024-01-01T10:00:00Z"],
                        "duration": [seconds]})
    model = ManHill().fit(read_traces(raw, catalog=catalog), catalog=catalog)
    assert model.history_reader_.floor == floor


# ---------------------------------------------------------------- the live reading's watching pace
@pytest.fixture(scope="module")
def paced_readers():
    """Readers fitted on two simulated logs of the same course and learners: the default watching, and 30 %
    of the learners at 1.25x-2x logging wall-clock seconds (the simulator's held-out ``fast_learners``)."""
    out = {}
    for name, watching in (("default", {}), ("fast", {"fast_learners": 0.3})):
        vc = simulate_viewing(n_items=12, n_learners=300, seed=2, watching=watching)
        out[name] = ManHill(mastery_successes=1).fit(vc.to_traces(), catalog=vc.catalog).history_reader_
    return out


def _unpaced(reader):
    import dataclasses

    return dataclasses.replace(reader, pace_log_density=None, pace_prior=None)


def test_a_fast_learners_complete_views_are_understood_at_their_pace(paced_readers):
    r = paced_readers["fast"]
    assert r.pace_prior is not None and r.pace_log_density.shape == (121,)
    # a learner at 2x: eight videos watched to the usual finishing share, which the wall clock logs as half
    items = np.arange(8)
    logged = r.level[items] / 2
    assert np.all(logged < r.threshold[items])               # at 1x every one of them is below the threshold
    assert r.pace(items, logged) == pytest.approx(2.0, abs=0.05)
    assert r.read_history(items, logged) == [1.0] * 8
    assert {how for _, how in r.explain_history(items, logged)} == {"understood"}
    # the same reader without its pace (a file written before, a fit with pace="off"): every view abandoned
    assert _unpaced(r).read_history(items, logged) == [0.0] * 8
    assert {how for _, how in _unpaced(r).explain_history(items, logged)} == {"abandoned"}
    assert r.read_history(items, logged, pace=1.0) == [0.0] * 8
    # an ordinary learner's history is read as before: 1x
    ordinary = r.level[items] * np.array([1.0, 0.3, 1.02, 0.2, 0.97, 1.0, 0.25, 0.98])
    assert r.pace(items, ordinary) == 1.0
    assert r.read_history(items, ordinary) == _unpaced(r).read_history(items, ordinary)
    with pytest.raises(ParameterError, match="pace must be a positive number"):
        r.read_history(items, logged, pace=0.0)


def test_a_learner_with_one_or_two_visits_stays_at_1x(paced_readers):
    d, f = paced_readers["default"], paced_readers["fast"]
    # on a log where nobody watches fast nearly all of the prior is at 1x
    assert d.pace_prior[0] > 0.9 and d.pace_prior[0] == d.pace_prior.max()
    items = np.arange(3)
    lv = d.level[items]
    # one visit stopped at half the usual share: an abandon at 1x, not a 2x complete view
    assert d.pace(items[:1], lv[:1] / 2) == 1.0
    assert d.read_history(items[:1], lv[:1] / 2) == [0.0]
    for rel in ([1.0], [0.3], [1.0, 0.3], [0.3, 1.0], [0.25, 0.3]):
        k = len(rel)
        for reader in (d, f):
            assert reader.pace(items[:k], reader.level[items[:k]] * np.array(rel)) == 1.0, (rel, reader)
    # with visits only a background tab or unwatched, nothing is read: the prior's pace, 1x
    assert d.pace(items[:2], [5.0, NAN]) == f.pace(items[:2], [5.0, NAN]) == f.pace([], []) == 1.0


def test_the_pace_is_read_again_from_the_whole_history_at_each_call(paced_readers):
    d = paced_readers["default"]
    items = np.arange(6)
    logged = d.level[items] / 2
    # the first visit alone reads as an abandon at 1x; with the learner's next visits the pace is read
    # (2x) and that same first visit is read again as understood
    assert d.read_history(items[:1], logged[:1]) == [0.0]
    assert d.pace(items, logged) == pytest.approx(2.0, abs=0.1)
    assert d.read_history(items, logged)[0] == 1.0


def test_the_pace_arrays_go_together():
    r = HistoryReader.trusting([0.8])
    with pytest.raises(ParameterError, match="both or neither"):
        HistoryReader(r.threshold, r.level, r.credible, 0.0, pace_prior=np.ones(31) / 31)
    assert r.pace([0], [0.4]) == 1.0 and r.paces([0, 0], [0.4, 0.4], [0, 1], 2).tolist() == [1.0, 1.0]


def test_viewing_policy_paces_fast_learners_as_the_reader_does():
    """With fast learners in the closed loop, every learner's scores handed to ``suggest`` are the reader's
    reading of their whole history at their pace (as ``poem suggest --watched`` reads the same shares), the
    fast learners are read at about their speed, and without the pace they are not."""
    from poem.simulation.closed_loop import closed_loop
    from poem.simulation.course import make_course
    from poem.simulation.viewing import ViewingColonyPolicy, video_lengths

    course = make_course(12, rng=np.random.default_rng(3))
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                            "length": video_lengths(course.n_items, np.random.default_rng(3))})
    paced = ViewingColonyPolicy(catalog, seed=3, watching={"fast_learners": 0.3})

    class Checked(ViewingColonyPolicy):
        def end_cohort(self, frame):
            if self.reader is not None:
                self.checked = [(r, self._n_seen[r], self._pace[r], self._speed[r], list(self._scores[r]),
                                 self.reader.read_history(self._seen_codes[r, :self._n_seen[r]],
                                                          self._seen_shares[r, :self._n_seen[r]]))
                                for r in range(len(self._items))]
            super().end_cohort(frame)

    policy = Checked(catalog, seed=3, watching={"fast_learners": 0.3})
    closed_loop(course, policy, n_cohorts=2, cohort_size=60, seed=3)
    assert policy.model.history_reader_.pace_prior is not None
    fast = [c for c in policy.checked if c[3] > 1 and c[1] >= 8]
    assert len(fast) >= 5
    for r, n, pace, speed, scores, read in policy.checked:
        assert n == len(scores) and _same_nan(scores, read)
    # the fast learners with 8 visits or more are read at their speed (within 0.2); 1x learners at 1x, all
    # but 4 of 45 here (a colony fitted on one cohort of 60 learners of 12 videos has a rough density; with
    # half a pseudo-learner per pace in the pace prior 8 of them, 18 %, were paced; fitted on 1 400, under
    # 1 % are: bench_viewing_pace_loop.py, last cohort; by log size: bench_pace_size.py)
    assert np.mean([abs(c[2] - c[3]) <= 0.2 for c in fast]) >= 0.8
    plain = [c[2] == 1.0 for c in policy.checked if c[3] == 1.0]
    assert len(plain) == 45 and sum(plain) == 41 and np.mean([c[2] == 1.0 for c in fast]) < 0.5
    # the policy with pace=False reads at 1x; the default policy draws the same seconds as before: the
    # fast learners are a stream of their own
    off = ViewingColonyPolicy(catalog, seed=3, watching={"fast_learners": 0.3}, pace=False)
    closed_loop(course, off, n_cohorts=2, cohort_size=60, seed=3)
    assert np.all(off._pace == 1.0) and paced.use_pace and not off.use_pace


def _same_nan(a, b):
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


def test_the_closed_loop_without_fast_learners_is_the_same_draw_for_draw():
    # pinned from the policy before fast learners could be simulated in the closed loop
    from poem.simulation.closed_loop import closed_loop
    from poem.simulation.course import make_course
    from poem.simulation.viewing import ViewingColonyPolicy, video_lengths

    course = make_course(10, rng=np.random.default_rng(4))
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                            "length": video_lengths(course.n_items, np.random.default_rng(4))})
    for watching in (None, {"fast_learners": 0.0}):
        policy = ViewingColonyPolicy(catalog, seed=4, watching=watching)
        table = closed_loop(course, policy, n_cohorts=2, cohort_size=15, seed=4)
        d = pd.concat(policy._frames, ignore_index=True)["duration"].to_numpy()
        assert len(d) == 277 and d[:8].tolist() == [9.0, 185.0, 439.0, 73.0, 216.0, 19.0, 101.0, 308.0]
        assert d.sum() == 78979.0 and table["NRP"].round(6).tolist() == [0.164444, 0.304444]
    fast = ViewingColonyPolicy(catalog, seed=4, watching={"fast_learners": 0.5})
    closed_loop(course, fast, n_cohorts=2, cohort_size=15, seed=4)
    assert np.any(fast._speed > 1) and np.all((fast._speed == 1) | ((fast._speed >= 1.25) & (fast._speed <= 2)))


def test_viewing_closed_loop_passes_the_watching_to_the_viewing_policy_alone():
    from poem.simulation.course import make_course
    from poem.simulation.viewing import viewing_closed_loop

    course = make_course(10, rng=np.random.default_rng(4))
    size = dict(n_cohorts=2, cohort_size=20, seed=4, policies=("none", "colony-viewing"))
    plain = viewing_closed_loop(course, **size)
    fast = viewing_closed_loop(course, watching={"fast_learners": 1.0}, **size)
    # no guidance sees no seconds: the same learners, the same record; the viewing colony, fitted on
    # everyone's wall-clock seconds at 1.25x-2x, guides its second cohort otherwise
    none = plain["policy"] == "none"
    pd.testing.assert_frame_equal(plain[none], fast[none])
    assert not plain[~none].equals(fast[~none])
    with pytest.raises(ParameterError, match="only simulated by simulate_viewing"):
        viewing_closed_loop(course, watching={"skimmers": 0.2}, **size)
