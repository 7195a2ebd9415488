"""``partial_fit`` on a colony read from viewing evidence: a new cohort's visits are read, not dropped.

A colony fitted with ``catalog=`` reads video visits through :mod:`poem.colony.viewing`; before, a later
``partial_fit`` summed the new cohort's raw traces, whose visits carry no score, so they left no evidence at
all, and it dropped the history reader, so the path lost its learner-reliability weighting.
"""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from poem.antcolony import ManHill
from poem.colony.landing import landing_counts, landing_model
from poem.colony.viewing import VIEWING_DEFAULTS
from poem.errors import ParameterError
from poem.paths import path_evidence, uses_reliability
from poem.simulation.viewing import simulate_viewing
from poem.traces import Traces

from test_antcolony import assert_same_colony

#: the mapping per visit and per learner: nothing learned from the log (see ManHill.partial_fit)
PER_VISIT = dict(threshold=0.8, return_window=1, landing="rule", pace="off")
CATALOG = pd.DataFrame({"item": ["q", "v1", "v2", "v3"], "kind": ["quiz", "video", "video", "video"],
                        "length": [None, 300.0, 600.0, 100.0]})


def _log(rows):
    frame = pd.DataFrame(rows, columns=["learner", "item", "hour", "duration", "score"])
    frame["timestamp"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(frame.pop("hour"), unit="h")
    return Traces.from_frame(frame)


# learner a (the fitted cohort): v1 abandoned, v1 complete, v2 complete, v1 review
COHORT_A = [("a", "v1", 0, 30.0, np.nan), ("a", "v1", 1, 290.0, np.nan), ("a", "v2", 2, 600.0, np.nan),
            ("a", "v1", 3, 50.0, np.nan)]
# learner b (the new cohort): v1 abandoned (0), v1 complete (1), a quiz passed (its own score 1), v2 complete
# (1), v1 again after one more completion: the v1 view landed, this is a review (no evidence); v3, a video
# the colony has not seen, complete and never revisited (1)
COHORT_B = [("b", "v1", 10, 30.0, np.nan), ("b", "v1", 11, 290.0, np.nan), ("b", "q", 12, np.nan, 1.0),
            ("b", "v2", 13, 600.0, np.nan), ("b", "v1", 14, 50.0, np.nan), ("b", "v3", 15, 95.0, np.nan)]


def _colony_a():
    return ManHill(depth=0).fit(_log(COHORT_A), catalog=CATALOG, viewing=PER_VISIT)


def test_the_new_cohorts_visits_deposit_as_in_fit_hand_checked():
    model = _colony_a().partial_fit(_log(COHORT_B), catalog=CATALOG)
    assert model.items_.tolist() == ["q", "v1", "v2", "v3"]           # start node: row 4
    plus = np.zeros((5, 4))
    plus[1, 1] = 2      # v1 -> v1 complete, a and b
    plus[1, 2] = 1      # a: v1 -> v2 complete
    plus[1, 0] = 1      # b: v1 -> quiz passed (its own score)
    plus[0, 2] = 1      # b: quiz -> v2 complete
    plus[1, 3] = 1      # b: v1 (review) -> v3 complete
    minus = np.zeros((5, 4))
    minus[4, 1] = 2     # start -> v1 abandoned, a and b
    np.testing.assert_array_equal(model.phi_plus_, plus)
    np.testing.assert_array_equal(model.phi_minus_, minus)
    precedence = np.zeros((4, 4))
    precedence[1, 2] = 2                                               # v1 before v2: a and b
    for i, j in ((1, 0), (1, 3), (0, 2), (0, 3), (2, 3)):             # b: v1, q, v2, v3
        precedence[i, j] = 1
    np.testing.assert_array_equal(model.precedence_, precedence)
    np.testing.assert_array_equal(model.item_successes_, [1, 2, 2, 1])
    np.testing.assert_array_equal(model.item_attempts_, [1, 4, 2, 1])  # the two reviews are no attempt
    assert model.viewing_.labels.tolist() == ["abandoned", "complete", "other", "complete", "review", "complete"]


def test_without_a_catalogue_the_new_visits_raise_instead_of_vanishing():
    model = _colony_a()
    before = model.phi_plus_.copy()
    with pytest.raises(ParameterError, match=r"5 unscored visit.*no evidence.*catalog=.*refit"):
        model.partial_fit(_log(COHORT_B))
    np.testing.assert_array_equal(model.phi_plus_, before)            # validation first: nothing changed
    # a cohort with only scored events (the quiz) has nothing to read: added as before
    quiz_only = _log([row for row in COHORT_B if row[1] == "q"])
    assert model.partial_fit(quiz_only).phi_plus_.sum() == before.sum() + 1


def test_unscored_visits_of_items_known_as_pages_need_no_catalogue():
    catalog = pd.concat([CATALOG, pd.DataFrame({"item": ["p"], "kind": ["page"], "length": [60.0]})])
    model = ManHill(depth=0).fit(_log(COHORT_A + [("a", "p", 4, 40.0, np.nan)]), catalog=catalog, viewing=PER_VISIT)
    model.partial_fit(_log([("c", "p", 20, 55.0, np.nan)]))           # a page read: no evidence either way
    assert model.n_learners_ == 2 and model.phi_plus_.sum() == 2


def test_a_colony_fitted_without_viewing_refuses_a_catalogue():
    scored = _log([("a", "q", 0, np.nan, 1.0), ("a", "v1", 1, np.nan, 0.0)])
    model = ManHill().fit(scored)
    with pytest.raises(ParameterError, match="fitted without viewing evidence.*Refit"):
        model.partial_fit(_log(COHORT_B), catalog=CATALOG)
    with pytest.raises(ParameterError, match="fitted without viewing evidence"):
        model.partial_fit(_log(COHORT_B), viewing=True)
    # and, as before, it sums the raw traces without a catalogue (their visits were never read)
    assert model.partial_fit(_log(COHORT_B)).n_learners_ == 2


def test_viewing_parameters_must_be_the_colonys():
    model = _colony_a()
    assert model.viewing_params_ == {**VIEWING_DEFAULTS, **PER_VISIT}
    with pytest.raises(ParameterError, match=r"'threshold': \(0.7, 0.8\)"):
        model.partial_fit(_log(COHORT_B), catalog=CATALOG, viewing={"threshold": 0.7})
    same = model.partial_fit(_log(COHORT_B), catalog=CATALOG, viewing={"threshold": 0.8, "pace": "off"})
    assert same.phi_plus_.sum() == 6


def _cohorts(vc, parts=3):
    """The simulated log cut into cohorts of learners by arrival (first event), as frames."""
    frame = vc.traces
    first = frame.groupby("learner")["timestamp"].min().sort_values(kind="stable")
    cut = np.array_split(first.index.to_numpy(), parts)
    return [frame[frame["learner"].isin(c)] for c in cut]


@pytest.mark.parametrize("seed", [0, 1])
def test_fit_then_partial_fit_equals_fit_on_everything_where_the_mapping_is_per_visit(seed):
    vc = simulate_viewing(n_items=12, n_learners=150, seed=seed)
    options = dict(threshold=0.75, landing="rule", pace="off")
    whole = ManHill().fit(vc.to_traces(), catalog=vc.catalog, viewing=options)
    first, *rest = _cohorts(vc)
    inc = ManHill().fit(Traces.from_frame(first), catalog=vc.catalog, viewing=options)
    for cohort in rest:
        inc.partial_fit(Traces.from_frame(cohort), catalog=vc.catalog)
    assert_same_colony(inc, whole)
    assert inc.phi_plus_.sum() > 0
    # with the learned thresholds the cohorts are read on their own logs: same kind of evidence, other sums
    learned = ManHill().fit(Traces.from_frame(first), catalog=vc.catalog)
    learned.partial_fit(Traces.from_frame(pd.concat(rest)), catalog=vc.catalog)
    assert learned.n_learners_ == whole.n_learners_ and learned.item_successes_.sum() > 0


def test_reliability_stays_on_and_the_reader_is_kept():
    vc = simulate_viewing(n_items=10, n_learners=90, seed=2)
    first, rest = _cohorts(vc, parts=2)
    model = ManHill().fit(Traces.from_frame(first), catalog=vc.catalog)
    fitted = model.history_reader_
    assert uses_reliability(model)
    model.partial_fit(Traces.from_frame(rest), catalog=vc.catalog)
    assert uses_reliability(model)
    np.testing.assert_array_equal(path_evidence(model), path_evidence(model, reliability=True))
    assert not np.array_equal(path_evidence(model), path_evidence(model, reliability=False))
    reader = model.history_reader_
    np.testing.assert_array_equal(reader.threshold, fitted.threshold)   # same vocabulary: all kept
    np.testing.assert_array_equal(reader.credible, fitted.credible)
    np.testing.assert_array_equal(reader.length, fitted.length)
    assert reader.floor == pytest.approx(model.item_successes_.sum() / model.item_attempts_.sum())
    assert reader.floor != fitted.floor


def test_the_kept_reader_keeps_its_watching_pace():
    # a first cohort large enough to learn a pace (min_learn learners): the reader kept after a partial fit
    # still reads a live history at the learner's pace, against the density and prior of the first fit
    vc = simulate_viewing(n_items=10, n_learners=140, seed=2)
    first, rest = _cohorts(vc, parts=2)
    model = ManHill().fit(Traces.from_frame(first), catalog=vc.catalog)
    fitted = model.history_reader_
    assert fitted.pace_prior is not None
    model.partial_fit(Traces.from_frame(rest), catalog=vc.catalog)
    reader = model.history_reader_
    np.testing.assert_array_equal(reader.pace_log_density, fitted.pace_log_density)
    np.testing.assert_array_equal(reader.pace_prior, fitted.pace_prior)


def test_a_video_new_to_the_colony_is_read_from_the_cohort():
    model = _colony_a()
    fitted = model.history_reader_
    model.partial_fit(_log(COHORT_B), catalog=CATALOG)
    reader = model.history_reader_
    np.testing.assert_array_equal(reader.threshold[1:3], fitted.threshold)   # v1, v2 as fitted
    np.testing.assert_array_equal(reader.level[1:3], fitted.level)
    assert reader.video.tolist() == [False, True, True, True]               # q a quiz, v3 a video
    assert reader.threshold[3] == 0.8 and reader.length[3] == 100.0


def test_the_viewing_record_round_trips_through_the_colony_file(tmp_path):
    vc = simulate_viewing(n_items=10, n_learners=90, seed=3, mixed=True)
    first, rest = _cohorts(vc, parts=2)
    model = ManHill().fit(Traces.from_frame(first), catalog=vc.catalog)
    assert set(model.evidence_weights_) == {"video", "quiz"}
    model.save(tmp_path / "m.npz")
    back = ManHill.load(tmp_path / "m.npz")
    assert back.viewing_params_ == model.viewing_params_ and back.evidence_weights_ == model.evidence_weights_
    for key in ("views", "anchors"):
        np.testing.assert_array_equal(back.landing_counts_[key], model.landing_counts_[key])
    # the loaded colony reads the next cohort as the fitted one does
    a = model.partial_fit(Traces.from_frame(rest), catalog=vc.catalog)
    b = back.partial_fit(Traces.from_frame(rest), catalog=vc.catalog)
    assert_same_colony(a, b)
    np.testing.assert_array_equal(a.history_reader_.threshold, b.history_reader_.threshold)
    # a colony fitted without viewing evidence saves none
    ManHill().fit(vc.scored.to_traces()).save(tmp_path / "q.npz")
    plain = ManHill.load(tmp_path / "q.npz")
    assert plain.viewing_params_ is None and plain.evidence_weights_ is None


def test_a_file_saved_before_the_viewing_record_asks_for_the_parameters(tmp_path):
    path = tmp_path / "m.npz"
    _colony_a().save(path)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["__meta__"].tobytes())
    del meta["viewing"]
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(tmp_path / "old.npz", "wb") as handle:
        np.savez(handle, **arrays)
    old = ManHill.load(tmp_path / "old.npz")
    assert old.viewing_params_ is None and old.history_reader_ is not None and uses_reliability(old)
    with pytest.raises(ParameterError, match="unscored visit"):
        old.partial_fit(_log(COHORT_B))
    with pytest.raises(ParameterError, match=r"viewing=\{\.\.\.\}"):
        old.partial_fit(_log(COHORT_B), catalog=CATALOG)
    old.partial_fit(_log(COHORT_B), catalog=CATALOG, viewing=PER_VISIT)
    np.testing.assert_array_equal(old.phi_plus_, _colony_a().partial_fit(_log(COHORT_B), catalog=CATALOG).phi_plus_)


def test_partial_fit_on_an_unfitted_colony_is_a_viewing_fit():
    a = ManHill(depth=0).partial_fit(_log(COHORT_A), catalog=CATALOG, viewing=PER_VISIT)
    b = _colony_a()
    assert_same_colony(a, b)
    assert a.viewing_params_ == b.viewing_params_ and a.history_reader_ is not None


def test_a_decayed_viewing_colony_reads_a_cohort_with_new_videos():
    model = ManHill(depth=0, decay="erosion", erosion=0.1).fit(_log(COHORT_A), catalog=CATALOG, viewing=PER_VISIT)
    model.partial_fit(_log(COHORT_B), catalog=CATALOG)
    assert model.items_.tolist() == ["q", "v1", "v2", "v3"] and model.history_reader_.video.tolist()[3]
    # erosion only scales what the rows held: the new complete views still deposit
    assert model.phi_plus_[1, 3] == 1 and model.phi_plus_[0, 2] == 1


def test_the_landing_model_of_pooled_counts_is_the_model_of_the_pooled_logs():
    rng = np.random.default_rng(0)
    k, m = 3000, 2000
    landed = rng.random(k) < 0.6
    sbin = np.r_[np.where(landed, rng.choice(7, k, p=[.05, .1, .3, .4, .1, .03, .02]),
                          rng.choice(7, k, p=[.05, .05, .2, .2, .1, .2, .2])), np.full(m, -1)]
    ret = np.r_[np.where(landed, rng.choice(4, k, p=[.9, .04, .03, .03]), rng.choice(4, k, p=[.45, .35, .1, .1])),
                rng.choice(4, m, p=[.45, .35, .1, .1])]
    views, anchors = np.r_[np.ones(k, bool), np.zeros(m, bool)], np.r_[np.zeros(k, bool), np.ones(m, bool)]
    half = rng.random(k + m) < 0.3
    whole = landing_model(sbin, ret, views, anchors)
    part = landing_model(sbin[half], ret[half], views[half], anchors[half],
                         prior=landing_counts(sbin[~half], ret[~half], views[~half], anchors[~half]))
    np.testing.assert_allclose(part["posterior"], whole["posterior"])
    assert part["n_views"] == k and part["n_anchors"] == m
    # alone, the small part is too little to learn from
    assert landing_model(sbin[half][:60], ret[half][:60], views[half][:60], anchors[half][:60]) is None


def test_partial_fit_pools_the_landing_counts():
    vc = simulate_viewing(n_items=10, n_learners=120, seed=4)
    first, rest = _cohorts(vc, parts=2)
    model = ManHill().fit(Traces.from_frame(first), catalog=vc.catalog)
    kept = {k: v.copy() for k, v in model.landing_counts_.items()}
    model.partial_fit(Traces.from_frame(rest), catalog=vc.catalog)
    own = model.viewing_.landing_counts
    for key in ("views", "anchors"):
        np.testing.assert_array_equal(model.landing_counts_[key], kept[key] + own[key])
    assert model.viewing_.landing["n_views"] == model.landing_counts_["views"].sum()   # learned on both


def test_viewing_true_reads_the_catalogue_the_traces_carry():
    vc = simulate_viewing(n_items=8, n_learners=60, seed=6)
    first, rest = _cohorts(vc, parts=2)
    info = vc.catalog.set_index("item")
    a = ManHill().fit(Traces.from_frame(first), catalog=vc.catalog).partial_fit(
        Traces.from_frame(rest, item_info=info), viewing=True)
    b = ManHill().fit(Traces.from_frame(first), catalog=vc.catalog).partial_fit(
        Traces.from_frame(rest), catalog=vc.catalog)
    assert_same_colony(a, b)
    assert a.phi_plus_.sum() > ManHill().fit(Traces.from_frame(first), catalog=vc.catalog).phi_plus_.sum()


def test_a_quiz_cohort_keeps_the_readers_videos_and_updates_its_floor():
    model = _colony_a()
    fitted = model.history_reader_
    assert fitted.floor == pytest.approx(2 / 3)                      # v1: 1 of 2, v2: 1 of 1
    model.partial_fit(_log([("c", "a0", 20, np.nan, 1.0)]))           # a new quiz, first in the vocabulary
    reader = model.history_reader_
    assert model.items_.tolist() == ["a0", "v1", "v2"]
    assert reader.video.tolist() == [False, True, True]               # the videos after it keep their reading
    np.testing.assert_array_equal(reader.threshold[1:], fitted.threshold)
    np.testing.assert_array_equal(reader.level[1:], fitted.level)
    assert reader.threshold[0] == 0.8 and reader.level[0] == 1.0      # nothing read of the quiz: the defaults
    assert reader.floor == pytest.approx(3 / 4)                       # the merged colony's success rate


def test_a_cohort_of_one_visit_is_read():
    model = _colony_a().partial_fit(_log([("c", "v2", 20, 600.0, np.nan)]), catalog=CATALOG)
    assert model.item_successes_.tolist() == [1, 2] and model.phi_plus_[2, 1] == 1    # start -> v2 complete


def test_the_floor_of_a_colony_without_evidence_and_with_one_attempt():
    # a visit 4 times the video's length is a background tab: no evidence, no attempt
    model = ManHill(depth=0).fit(_log([("a", "v2", 0, 2500.0, np.nan)]), catalog=CATALOG, viewing=PER_VISIT)
    model.partial_fit(_log([("c", "v2", 20, 2500.0, np.nan)]), catalog=CATALOG)
    assert model.item_attempts_.sum() == 0 and model.history_reader_.floor == 0.0
    one = ManHill(depth=0).fit(_log([("a", "v2", 0, 600.0, np.nan)]), catalog=CATALOG, viewing=PER_VISIT)
    one.partial_fit(_log([("c", "v2", 20, 2500.0, np.nan)]), catalog=CATALOG)
    assert one.item_attempts_.sum() == 1 and one.history_reader_.floor == 1.0


def test_a_new_quiz_gets_its_kind_as_in_a_fit_on_everything():
    first, cohort = [("a", "v2", 0, 600.0, np.nan)], [("c", "v2", 20, 500.0, np.nan), ("c", "q", 21, np.nan, 1.0)]
    # the first cohort's catalogue does not list the quiz yet; the new cohort's does
    grown = ManHill(depth=0).fit(_log(first), catalog=CATALOG[CATALOG["item"] != "q"], viewing=PER_VISIT)
    grown.partial_fit(_log(cohort), catalog=CATALOG)
    whole = ManHill(depth=0).fit(_log(first + cohort), catalog=CATALOG, viewing=PER_VISIT)
    assert grown.items_.tolist() == whole.items_.tolist() == ["q", "v2"]
    np.testing.assert_array_equal(grown.item_kinds_, whole.item_kinds_)
    assert grown.item_kinds_[0] != grown.item_kinds_[1]


def test_unscored_events_without_seconds_need_no_catalogue():
    # a click on a forum or a page without a duration is no visit to read
    model = _colony_a().partial_fit(_log([("c", "forum", 20, np.nan, np.nan)]))
    assert model.n_learners_ == 2 and "forum" in model.items_.tolist()


def test_a_new_item_with_seconds_watched_is_unread_whatever_the_vocabulary_before_it():
    # the colony's first three items are pages: an item it does not know is not one of them
    catalog = pd.DataFrame({"item": ["a1", "a2", "a3", "v1"], "kind": ["page"] * 3 + ["video"],
                            "length": [60.0, 60.0, 60.0, 300.0]})
    rows = [("a", x, k, 30.0, np.nan) for k, x in enumerate(["a1", "a2", "a3"])] + [("a", "v1", 3, 290.0, np.nan)]
    model = ManHill(depth=0).fit(_log(rows), catalog=catalog, viewing=PER_VISIT)
    assert model.history_reader_.video.tolist() == [False, False, False, True]
    with pytest.raises(ParameterError, match="1 unscored visit"):
        model.partial_fit(_log([("c", "x9", 20, 200.0, np.nan)]))


def test_a_reader_without_video_flags_reads_every_known_item_as_a_video():
    model = _colony_a()
    model.history_reader_ = dataclasses.replace(model.history_reader_, video=None)    # built by hand
    model.partial_fit(_log([("c", "a0", 20, np.nan, 1.0)]))
    assert model.history_reader_.video.tolist() == [False, True, True]
