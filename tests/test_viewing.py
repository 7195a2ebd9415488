"""Viewing evidence (poem.colony.viewing), the viewing-only simulator and the --catalog option."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from poem.antcolony import ManHill
from poem.cli.main import main
from poem.colony.viewing import (LABELS, apply_viewing, completion_thresholds, evidence_weights,
                                 is_viewing_only, viewing_evidence, viewing_summary, watched_share)
from poem.errors import ParameterError, TraceFormatError
from poem.io import read_traces
from poem.ordering.baselines import baseline_path
from poem.ordering.evaluation import evaluate
from poem.paths import learning_path
from poem.simulation.viewing import simulate_viewing
from poem.traces import Traces

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
EDX_VIDEO_LOG = REPO.parent / "shared" / "data" / "real_logs" / "edx" / "pipeline_video_timeline.log"


def _traces(rows, items=None):
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "duration", "score"][:len(rows[0])])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return Traces.from_frame(frame, items=items)


CATALOG = pd.DataFrame({"item": ["a", "b", "c", "q"], "title": ["A", "B", "C", "Quiz"],
                        "kind": ["video", "video", "video", "quiz"], "length": [100, 200, 600, None]})


def test_hand_checked_small_log():
    # one learner; threshold fixed at 0.8; a complete view "did not land" when the learner comes back to
    # it before completing 2 other videos for the first time
    t = _traces([
        ("u", "a", "2024-01-01 10:00", 20.0),    # a: abandoned at 20 %                      -> failure
        ("u", "a", "2024-01-01 10:05", 30.0),    # a: re-watch before the first complete view -> failure
        ("u", "a", "2024-01-01 10:10", 95.0),    # a: complete view (1st completion)...
        ("u", "b", "2024-01-01 10:20", 190.0),   # b: complete (2nd completion), never back soon: success
        ("u", "a", "2024-01-01 10:30", 140.0),   # a: back after 1 new completion: 10:10 did not land;
                                                 #    this one watched 1.4 x its length (seeking back)
        ("u", "c", "2024-01-01 11:00", 590.0),   # c: complete (3rd)
        ("u", "d", "2024-01-01 11:30", 295.0),   # d: complete (4th)
        ("u", "a", "2024-01-09 09:00", 100.0),   # a: 2 new completions since 10:30: that one landed; review
        ("u", "a", "2024-01-09 10:00", 10.0),    # a: partial review: no evidence, never a failure
        ("u", "b", "2024-01-09 11:00", 2000.0),  # b: background tab (10 x the length): no evidence
        ("u", "b", "2024-01-09 11:30", 20.0),    # b: back after 2 new completions: a review
    ])
    catalog = pd.concat([CATALOG, pd.DataFrame({"item": ["d"], "kind": ["video"], "length": [300]})])
    ev = viewing_evidence(t, catalog, threshold=0.8, return_window=2)
    assert ev.labels.tolist() == ["abandoned", "abandoned", "returned", "complete", "struggled", "complete",
                                  "complete", "review", "review", "background", "review"]
    np.testing.assert_array_equal(ev.score, [0.0, 0.0, 0.0, 1.0, 0.75, 1.0, 1.0] + [np.nan] * 4)
    np.testing.assert_allclose(ev.share, [0.2, 0.3, 0.95, 0.95, 1.4, 590 / 600, 295 / 300, 1.0, 0.1, 10.0, 0.1])
    assert ev.counts() == {"abandoned": 2, "returned": 1, "complete": 3, "struggled": 1, "review": 3,
                           "background": 1}
    # the same log read with a return window of 0: every complete view lands at once
    now = viewing_evidence(t, catalog, threshold=0.8, return_window=0)
    assert now.labels.tolist()[:5] == ["abandoned", "abandoned", "complete", "complete", "review"]


def test_return_window_zero_and_a_review_after_completion():
    t = _traces([("u", "a", "2024-01-01 10:00", 99.0), ("u", "a", "2024-01-01 10:05", 10.0)])
    landed = viewing_evidence(t, CATALOG, threshold=0.8, return_window=0)
    assert landed.labels.tolist() == ["complete", "review"]
    np.testing.assert_array_equal(landed.score, [1.0, np.nan])
    returned = viewing_evidence(t, CATALOG, threshold=0.8, return_window=1)
    assert returned.labels.tolist() == ["returned", "abandoned"] and returned.score.tolist() == [0.0, 0.0]


def test_quiz_scores_are_kept_and_unknown_durations_give_no_evidence():
    t = _traces([("u", "a", "2024-01-01 10:00", 90.0, np.nan), ("u", "q", "2024-01-01 10:10", np.nan, 0.4),
                 ("u", "b", "2024-01-01 10:20", np.nan, np.nan)])
    ev = viewing_evidence(t, CATALOG, threshold=0.8)
    assert ev.labels.tolist() == ["complete", "other", "unknown"]
    np.testing.assert_array_equal(ev.score, [1.0, 0.4, np.nan])
    assert ev.is_video.tolist() == [True, False, True]


def test_length_is_estimated_without_a_catalogue():
    t = _traces([(f"u{k}", "v", f"2024-01-01 10:0{k}", float(d)) for k, d in enumerate([10, 100, 100, 20])])
    # 90th percentile of (10, 20, 100, 100) = 100
    np.testing.assert_allclose(watched_share(t), [0.1, 1.0, 1.0, 0.2])


def test_thresholds_are_learned_per_video():
    rng = np.random.default_rng(3)
    low = rng.uniform(0.02, 0.3, 300)
    short = np.r_[low[:150], rng.uniform(0.92, 1.0, 150)]
    long = np.r_[low[150:], rng.uniform(0.68, 0.78, 150)]
    t = completion_thresholds(np.r_[short, long], np.repeat([0, 1], 300), 2)
    # a fixed 0.8 would call every complete view of the long lecture abandoned; the learned cut does not
    assert (long[150:] >= t[1]).all() and (long[:150] < t[1]).all()
    assert (short[150:] >= t[0]).all() and (short[:150] < t[0]).all()
    assert t[1] < t[0]
    # few views: pulled toward the split of all videos
    few = completion_thresholds(np.r_[short, [0.1, 0.95]], np.r_[np.zeros(300, int), [1, 1]], 2)
    assert abs(few[1] - few[0]) < abs(few[1] - 0.525)


def test_bad_parameters_and_inputs():
    t = _traces([("u", "a", "2024-01-01 10:00", 90.0)])
    with pytest.raises(ParameterError, match="unknown viewing parameter"):
        viewing_evidence(t, CATALOG, thresold=0.8)
    with pytest.raises(ParameterError, match="threshold"):
        viewing_evidence(t, CATALOG, threshold=2.0)
    with pytest.raises(ParameterError, match="struggle_score"):
        viewing_evidence(t, CATALOG, struggle_score=0.2)
    bad = CATALOG.assign(length=[100, -5, 600, None])
    with pytest.raises(TraceFormatError, match="length -5"):
        viewing_evidence(t, bad)
    scored = _traces([("u", "a", "2024-01-01 10:00", np.nan, 1.0)])
    with pytest.raises(TraceFormatError, match="video_sessions=True"):
        viewing_evidence(scored, CATALOG)
    with pytest.raises(TraceFormatError, match="Traces"):
        viewing_evidence(t.to_frame(), CATALOG)


def test_edx_fixture_watched_shares_match_a_hand_computation():
    t = read_traces(FIXTURES / "edx_tracking.log", video_sessions=True)
    intro = "block-v1:POEMx+EDX101+2024+type@video+block@intro"
    lesson2 = "block-v1:POEMx+EDX101+2024+type@video+block@lesson2"
    catalog = pd.DataFrame({"item": [intro, lesson2], "kind": "video", "length": [240, 240]})
    frame = t.to_frame().assign(share=watched_share(t, catalog))
    # ann: positions 0 -> 120 (pause), seek back to 60, 60 -> 240 (stop): the content covered is
    # [0, 240], all of the 240 s video, although 300 s were played (wall clock, the old reading: 1.25)
    ann = frame[(frame["learner"] == "ann") & (frame["item"] == intro)]
    assert ann["share"].tolist() == [1.0] and ann["duration"].tolist() == [300.0]
    assert ann["seeks_back"].tolist() == [1.0] and ann["position_max"].tolist() == [240.0]
    # bob: 0 -> 180 one evening; the next morning 180 -> 240 (60 s)
    bob = frame[frame["learner"] == "bob"].dropna(subset=["share"])
    assert bob["share"].tolist() == [0.75, 0.25] and bob["position_max"].tolist() == [180.0, 240.0]
    ev = viewing_evidence(t, catalog, threshold=0.8)
    got = dict(zip(zip(frame["learner"], frame["item"], frame["duration"]), ev.labels))
    # a complete view with a seek back inside it: a success, but a struggled one
    assert got[("ann", intro, 300.0)] == "struggled"
    assert viewing_evidence(t, catalog, threshold=0.8, struggle_seeks=0).labels[
        (frame["learner"] == "ann").to_numpy() & (frame["item"] == intro).to_numpy()].tolist() == ["complete"]


def test_real_edx_video_timeline_shares():
    if not EDX_VIDEO_LOG.is_file():
        pytest.skip("../shared/data/real_logs/edx/ is not present")
    t = read_traces(EDX_VIDEO_LOG, format="edx", video_sessions=True)
    # video ids are scoped by their course (issue 13): bare hashes and i4x ids repeat across runs
    v3 = "edX/DemoX/Demo_Course/i4x-edX-DemoX-video-3cb54a11efae4ccc8a0aade24d14b255"
    v8 = "edX/DemoX/Demo_Course/i4x-edX-DemoX-video-8c0028eb2a724f48a074bc184cd8635f"
    vd = "course-v1:edX+DemoX+Test_2015/0b9e39477cf34507a7a48f74be381fdd1"  # its events carry "duration": 444
    catalog = pd.DataFrame({"item": [v3, v8, vd], "kind": "video", "length": [25, 60, 444]})
    frame = t.to_frame().assign(share=watched_share(t, catalog)).set_index(["learner", "item"])["share"]
    # user 1 on v3 (lines 4-11): play 0, seek 14.23 -> 7.345 (a seek back), play 7.345, seek 14.23 -> 17,
    # play 14, pause 21.4, play 21.4, pause 24.9: segments [0, 14.23], [7.345, 14.23], [14, 21.4],
    # [21.4, 24.9], whose union is [0, 24.9] (the wall clock said 4 s)
    assert frame.loc[("dummy_username_1", v3)] == pytest.approx(24.9 / 25)
    assert frame.loc[("dummy_username_2", v3)] == pytest.approx(9.9 / 25)   # play 0 -> pause 9.9
    assert frame.loc[("dummy_username_3", v3)] == pytest.approx(9.6 / 25)   # play 15.3 -> pause 24.9
    assert frame.loc[("dummy_username_1", v8)] == pytest.approx(10 / 60)    # play 10 -> pause 20
    assert frame.loc[("dummy_username_1", vd)] == pytest.approx(4 / 444)    # play 0 -> stop 4
    seeks = t.to_frame().set_index(["learner", "item"])["seeks_back"]
    assert seeks.loc[("dummy_username_1", v3)] == 1 and seeks.drop(("dummy_username_1", v3)).eq(0).all()
    # without a catalogue, the video whose events carry "duration": 444 takes that length from them
    alone = watched_share(t)
    assert alone[t.items[t.item] == vd] == pytest.approx(4 / 444)
    # the other course's video is not in the catalogue: no kind, no length -> its share is estimated
    other = "course-v1:edX+DemoX+Test_2014/0b9e39477cf34507a7a48f74be381fdd"
    assert np.isnan(watched_share(t, catalog)[t.items[t.item] == other]).all()


def _random_viewing_log(seed, n_learners=30, n_videos=6):
    rng = np.random.default_rng(seed)
    rows = []
    for l in range(n_learners):
        t0 = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=l)
        for k in range(rng.integers(3, 15)):
            v = f"v{rng.integers(n_videos)}"
            rows.append((f"u{l}", v, t0 + pd.Timedelta(minutes=10 * k), float(rng.uniform(0, 1.1) * 100)))
    return pd.DataFrame(rows, columns=["learner", "item", "timestamp", "duration"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_viewing_log_and_completion_scores_give_the_same_colony(seed):
    frame = _random_viewing_log(seed)
    catalog = pd.DataFrame({"item": [f"v{k}" for k in range(6)], "kind": "video", "length": 100})
    # the mapping with return_window=0 and no struggle/background: score 1 at the first complete view,
    # 0 before it, no evidence after it. Computed here independently of the module.
    frame = frame.sort_values(["learner", "timestamp"], kind="stable", ignore_index=True)
    complete = frame["duration"] / 100 >= 0.7
    first = complete.groupby([frame["learner"], frame["item"]]).transform(
        lambda c: np.cumsum(c.to_numpy()) - c.to_numpy() > 0)
    score = np.where(first, np.nan, np.where(complete, 1.0, 0.0))
    scored = Traces.from_frame(frame.assign(score=score))
    view = Traces.from_frame(frame)
    options = dict(threshold=0.7, return_window=0, overwatch_share=2.0, background_share=2.0)
    a = ManHill().fit(scored)
    b = ManHill().fit(view, catalog=catalog, viewing=options)
    for name in ("phi_plus_", "phi_minus_", "precedence_", "item_masters_", "cond_attempts_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_allclose(a.item_difficulty_, b.item_difficulty_)
    assert b.evidence_weights_ == {"video": 1.0}
    # without the catalogue the viewing log deposits nothing at all
    assert ManHill().fit(view).phi_plus_.sum() == 0 and is_viewing_only(view)


def test_mixed_course_keeps_quiz_scores_and_weighs_kinds():
    vc = simulate_viewing(n_items=16, n_learners=150, seed=5, mixed=True)
    traces = vc.to_traces()
    scored, ev, weights = apply_viewing(traces)
    quiz = ~ev.is_video
    np.testing.assert_array_equal(ev.score[quiz], traces.score[quiz])
    assert set(weights) == {"video", "quiz"} and max(weights.values()) == 1.0
    assert all(0.1 <= w <= 1 for w in weights.values())
    # weighing only shrinks toward the mastery threshold: successes stay successes, failures failures
    has = ~np.isnan(ev.score)
    assert ((scored.score[has] >= 0.5) == (ev.score[has] >= 0.5)).all()
    weights_again = evidence_weights(traces, ev)
    assert weights_again == weights
    model = ManHill().fit(traces, viewing=True)
    assert model.precedence_.sum() > 0 and model.evidence_weights_ == weights


def test_viewing_summary_hand_case():
    t = _traces([("a", "a", "2024-01-01 10:00", 10.0), ("b", "a", "2024-01-01 10:00", 90.0),
                 ("b", "a", "2024-03-01 10:00", 90.0), ("c", "a", "2024-01-01 10:00", 5.0),
                 ("c", "a", "2024-01-01 11:00", 95.0), ("c", "b", "2024-01-01 12:00", 190.0)],
                items=["a", "b", "c"])
    table = viewing_summary(t, CATALOG, threshold=0.8, return_window=0)
    row = table.loc["a"]
    assert (row["learners"], row["visits"], row["reviews"]) == (3, 5, 1)
    assert row["completion"] == pytest.approx(2 / 3) and row["abandonment"] == pytest.approx(1 / 3)
    assert table.loc["b", "completion"] == 1.0 and list(table.index) == ["a", "b", "c"]
    assert np.isnan(table.loc["c", "completion"])  # in the catalogue, never viewed


def test_simulator_is_seeded_and_watching_follows_readiness():
    a = simulate_viewing(n_items=20, n_learners=200, seed=9)
    b = simulate_viewing(n_items=20, n_learners=200, seed=9)
    assert a.traces.equals(b.traces) and a.catalog.equals(b.catalog)
    assert "score" not in a.traces.columns and a.catalog["length"].between(120, 1800).all()
    ev = a.scored.events
    landed = ev["after"] & ~ev["before"]
    lost = ~ev["after"]
    visible = ev["share"] < 3  # background tabs aside
    assert ev.loc[landed & visible, "share"].median() > 0.7 > ev.loc[lost & visible, "share"].median()
    with pytest.raises(ParameterError, match="abandon"):
        simulate_viewing(n_items=5, n_learners=5, watching={"abandon": 2})
    with pytest.raises(ParameterError, match="unknown watching"):
        simulate_viewing(n_items=5, n_learners=5, watching={"abandn": 0.5})


def test_viewing_colony_beats_the_score_free_baselines_on_a_small_course():
    vc = simulate_viewing(n_items=40, n_learners=500, seed=11)
    traces = vc.to_traces()
    model = ManHill().fit(traces, catalog=vc.catalog)
    ours = evaluate(learning_path(model, rng=0), vc.truth)["respect"]
    best = max(evaluate(baseline_path(traces, b), vc.truth)["respect"] for b in ("popularity", "first_view_rank"))
    assert ours > best + 0.1


def test_cli_fit_and_compare_with_catalog(tmp_path, capsys):
    vc = simulate_viewing(n_items=10, n_learners=60, seed=2)
    folder = vc.write(tmp_path / "course")
    out = tmp_path / "colony.npz"
    assert main(["fit", str(folder / "traces.csv"), "--catalog", str(folder / "catalog.csv"),
                 "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].startswith("viewing evidence: ") and "abandoned" in lines[1]
    model = ManHill.load(out)
    assert model.precedence_.sum() > 0
    assert main(["compare", str(folder / "traces.csv"), "--truth", str(folder / "truth.json"),
                 "--catalog", str(folder / "catalog.csv"), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    lop = next(r for r in rows if r["method"] == "lop")
    assert lop["respect"] > 0.5


def test_bundled_viewing_demo():
    folder = REPO / "data" / "demo_video"
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert size < 3_000_000
    catalog = pd.read_csv(folder / "catalog.csv")
    truth = json.loads((folder / "truth.json").read_text())
    assert len(catalog) == 180 and set(catalog["kind"]) == {"video"} and sorted(truth["items"]) == sorted(catalog["item"])
    assert "simulated by POEM" in (folder / "README.md").read_text()
    head = pd.read_csv(folder / "traces.csv", nrows=5)
    assert list(head.columns) == ["learner", "item", "timestamp", "duration"]


def test_labels_are_complete():
    assert len(LABELS) == len(set(LABELS)) == 9 and LABELS[-1] == "folded"  # codes of old labels kept


@pytest.mark.parametrize("name", ["poem.colony.viewing", "poem.simulation.viewing"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_a_scored_video_event_without_duration_keeps_its_score():
    t = _traces([("u", "a", "2024-01-01 10:00", np.nan, 1.0), ("u", "b", "2024-01-01 10:10", 50.0, np.nan)])
    ev = viewing_evidence(t, CATALOG, threshold=0.8)
    assert ev.labels.tolist() == ["other", "abandoned"] and ev.score.tolist() == [1.0, 0.0]
    assert ev.is_video.tolist() == [False, True]


def test_viewing_colony_policy_learns_from_viewing_alone():
    from poem.simulation.course import make_course
    from poem.simulation.viewing import ViewingColonyPolicy, viewing_closed_loop

    course = make_course(10, rng=np.random.default_rng(4))
    a = viewing_closed_loop(course, n_cohorts=2, cohort_size=20, seed=4, policies=("colony-viewing",))
    b = viewing_closed_loop(course, n_cohorts=2, cohort_size=20, seed=4, policies=("colony-viewing",))
    pd.testing.assert_frame_equal(a, b)
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video", "length": 300.0})
    from poem.simulation.closed_loop import closed_loop

    policy = ViewingColonyPolicy(catalog, seed=1)
    closed_loop(course, policy, n_cohorts=2, cohort_size=15, seed=1)
    # the colony saw durations only: every deposit comes from the viewing mapping
    assert policy.model.viewing_ is not None and policy.model.mastery_successes == 1
    assert policy.model.n_events_ == sum(len(f) for f in policy._frames)
    with pytest.raises(ParameterError, match="length for every item"):
        closed_loop(course, ViewingColonyPolicy(catalog.iloc[:5]), n_cohorts=1, cohort_size=5)


def _weights_reference(learner, item, score, is_video, horizon):
    """Plain-Python evidence weights, event by event (the definition in evidence_weights' docstring)."""
    kinds = ["video" if v else "quiz" for v in is_video]
    idx = [e for e in range(len(score)) if score[e] == score[e]]
    present = sorted({kinds[e] for e in idx})
    if len(present) <= 1:
        return {k: 1.0 for k in present}
    later = {}
    for r, e in enumerate(idx):
        window = [score[idx[r + k]] for k in range(1, horizon + 1) if r + k < len(idx)
                  and learner[idx[r + k]] == learner[e] and item[idx[r + k]] != item[e]]
        if window:
            later[e] = sum(window) / len(window)
    value = {}
    for kind in present:
        win = [later[e] for e in later if kinds[e] == kind and score[e] >= 0.5]
        lose = [later[e] for e in later if kinds[e] == kind and score[e] < 0.5]
        value[kind] = sum(win) / len(win) - sum(lose) / len(lose) if win and lose else 0.0
    top = max(value.values())
    if not top > 0:
        return {k: 1.0 for k in present}
    return {k: min(1.0, max(0.1, v / top)) for k, v in value.items()}


@pytest.mark.parametrize("seed", range(6))
def test_evidence_weights_match_a_plain_python_reference(seed):
    from poem.colony.viewing import ViewingEvidence

    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame({"learner": rng.choice(["a", "b", "c", "d"], n), "item": rng.choice(list("vwxyz"), n),
                          "timestamp": pd.to_datetime(rng.permutation(n), unit="h", utc=True),
                          "score": rng.choice([0.0, 0.3, 0.5, 1.0, np.nan], n)})
    t = Traces.from_frame(frame)
    is_video = np.isin(t.items[t.item], ["v", "w"])
    ev = ViewingEvidence(t.score, np.full(n, np.nan), np.zeros(n, np.int8), is_video, np.full(5, np.nan),
                         np.full(5, np.nan), {})
    for horizon in (1, 2, 5):
        got = evidence_weights(t, ev, horizon=horizon)
        want = _weights_reference(t.learner, t.item, t.score, is_video, horizon)
        assert got.keys() == want.keys()
        for k in want:
            assert got[k] == pytest.approx(want[k])
    assert set(got) == {"video", "quiz"}


def test_evidence_weights_kind_without_failures_has_no_contrast():
    from poem.colony.viewing import ViewingEvidence

    rng = np.random.default_rng(9)
    n = 60
    frame = pd.DataFrame({"learner": rng.choice(["a", "b", "c"], n), "item": rng.choice(list("vwxy"), n),
                          "timestamp": pd.to_datetime(rng.permutation(n), unit="h", utc=True),
                          "score": rng.choice([0.0, 1.0], n)})
    t = Traces.from_frame(frame)
    is_video = np.isin(t.items[t.item], ["v", "w"])
    score = np.where(is_video, t.score, 1.0)            # every quiz passed: no failure to contrast with
    ev = ViewingEvidence(score, np.full(n, np.nan), np.zeros(n, np.int8), is_video, np.full(4, np.nan),
                         np.full(4, np.nan), {})
    want = _weights_reference(t.learner, t.item, score, is_video, 5)
    got = evidence_weights(t, ev)
    assert got == pytest.approx(want)
    assert got["quiz"] == (0.1 if want["video"] == 1.0 else 1.0)


@pytest.mark.parametrize("seed", [5, 6])   # seed 5: quizzes weigh less; seed 6: videos do
def test_each_kind_is_shrunk_by_its_own_weight(seed):
    traces = simulate_viewing(n_items=16, n_learners=150, seed=seed, mixed=True).to_traces()
    scored, ev, weights = apply_viewing(traces)
    assert min(weights.values()) < 1.0
    for kind, mask in (("video", ev.is_video), ("quiz", ~ev.is_video)):
        has = mask & ~np.isnan(ev.score)
        assert has.any()
        np.testing.assert_allclose(scored.score[has], 0.5 + weights[kind] * (ev.score[has] - 0.5))


def test_otsu_split_by_hand_with_a_clipped_top_cluster():
    from poem.colony.viewing import _otsu

    # 100 views at 0.1, 60 at 0.6, 100 overwatched at 2.0 (clipped to the top, 1.2). Between-class variance
    # w0 w1 (m0 - m1)^2 of the two candidate splits: after 0.1: 100 * 160 * (0.975 - 0.1)^2 = 12250;
    # after 0.6: 160 * 100 * (1.2 - 0.2875)^2 = 13322.5, the larger: the cut is the middle of the empty
    # bins between 0.6 and 1.2, (0.62 + 1.18) / 2 = 0.9
    values = np.r_[np.full(100, 0.1), np.full(60, 0.6), np.full(100, 2.0)]
    assert _otsu(values) == pytest.approx(0.9)
    assert np.isnan(_otsu(np.array([0.5, 0.5]))) and np.isnan(_otsu(np.array([0.3])))


def test_a_background_tab_is_a_viewer_but_not_an_abandonment():
    # as the hand case above, plus learner d whose only visit of a is a tab left open (10x the length):
    # d counts as a viewer of a, but did not abandon it (nor complete it)
    t = _traces([("a", "a", "2024-01-01 10:00", 10.0), ("b", "a", "2024-01-01 10:00", 90.0),
                 ("b", "a", "2024-03-01 10:00", 90.0), ("c", "a", "2024-01-01 10:00", 5.0),
                 ("c", "a", "2024-01-01 11:00", 95.0), ("d", "a", "2024-01-01 10:00", 1000.0)],
                items=["a", "b", "c"])
    row = viewing_summary(t, CATALOG, threshold=0.8, return_window=0).loc["a"]
    assert row["learners"] == 4
    assert row["completion"] == pytest.approx(2 / 4) and row["abandonment"] == pytest.approx(1 / 4)


def test_a_video_event_with_a_watched_share_gives_viewing_evidence_whatever_its_score():
    # a video event with seconds watched is read as a visit (the player's record), even when it carries a
    # score of its own: 90 s of the 100 s video a is a complete view (1.0), not its score 0.2; 10 s of b is
    # abandoned (0.0), not its score 1.0. Without seconds watched the score stays (a graded video).
    t = _traces([("u", "a", "2024-01-01 10:00", 90.0, 0.2), ("u", "b", "2024-01-01 10:10", 20.0, 1.0),
                 ("u", "c", "2024-01-01 10:20", np.nan, 0.7)])
    ev = viewing_evidence(t, CATALOG, threshold=0.8, return_window=0)
    assert ev.labels.tolist() == ["complete", "abandoned", "other"]
    assert ev.score.tolist() == [1.0, 0.0, 0.7]
    assert ev.is_video.tolist() == [True, True, False]


def test_a_view_that_did_not_land_never_lands_later_without_a_new_complete_view():
    # return_window 1. a complete (pending); back on a before completing anything else: it did not land
    # (returned), and this visit (10 %) is abandoned; b completed; a again at 20 %: a re-watch before any
    # landed view of a, so abandoned (a failure), not a review of an understood video
    t = _traces([("u", "a", "2024-01-01 10:00", 99.0), ("u", "a", "2024-01-01 10:05", 10.0),
                 ("u", "b", "2024-01-01 10:10", 190.0), ("u", "a", "2024-01-01 10:20", 20.0)])
    ev = viewing_evidence(t, CATALOG, threshold=0.8, return_window=1)
    assert ev.labels.tolist() == ["returned", "abandoned", "complete", "abandoned"]
    assert ev.score.tolist() == [0.0, 0.0, 1.0, 0.0]


def _b_in_two_events():
    """u watches a (one event, 95 s), then b told by two events 1 min apart (20 s, then 190 s covered)."""
    frame = pd.DataFrame({"learner": "u", "item": ["a", "b", "b"],
                          "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05",
                                                       "2024-01-01 10:06"], utc=True),
                          "covered": [95.0, 20.0, 190.0]})
    return Traces.from_frame(frame)


def test_visits_fold_per_video_after_a_visit_of_another_video():
    # the events of a visit carry video fields: a (one event), then b in two events 1 min apart: b's
    # events are one visit held by the last one (190 / 200 covered), the first one folded
    ev = viewing_evidence(_b_in_two_events(), CATALOG, threshold=0.8, return_window=0)
    assert ev.labels.tolist() == ["complete", "folded", "complete"]
    assert ev.score[0] == 1.0 and np.isnan(ev.score[1]) and ev.score[2] == 1.0


def test_sub_second_visits_still_give_a_length_and_zero_second_visits_none():
    # no catalogue, no told length: the 90th percentile of the seconds watched, (0.2, 0.6) -> 0.56 s;
    # a video whose every visit lasted 0 s has no length (its shares are unknown)
    from poem.colony.viewing import video_lengths

    t = _traces([("u", "v", "2024-01-01 10:00", 0.2), ("w", "v", "2024-01-01 10:00", 0.6),
                 ("u", "z", "2024-01-01 10:10", 0.0), ("w", "z", "2024-01-01 10:10", 0.0)])
    _, length = video_lengths(t)
    assert length[0] == pytest.approx(0.56) and np.isnan(length[1])


def test_unsplittable_shares_use_the_documented_fallback_threshold():
    # one usable share (or all equal): no split to learn; every video's threshold is 0.8, within the bounds
    assert completion_thresholds(np.array([0.9]), np.array([0]), 2).tolist() == [0.8, 0.8]
    assert completion_thresholds(np.array([0.5, 0.5]), np.array([0, 1]), 2).tolist() == [0.8, 0.8]
    assert completion_thresholds(np.array([0.9]), np.array([0]), 1, max_threshold=0.7).tolist() == [0.7]
    # so a lone visit of 85 % is a complete view, one of 75 % abandoned
    for watched, label in ((85.0, "complete"), (75.0, "abandoned")):
        ev = viewing_evidence(_traces([("u", "a", "2024-01-01 10:00", watched)]), CATALOG, return_window=0)
        assert ev.labels.tolist() == [label]


def test_struggle_score_bounds():
    t = _traces([("u", "a", "2024-01-01 10:00", 140.0)])
    for bad in (0.49, 1.01, 2.0):
        with pytest.raises(ParameterError, match="struggle_score"):
            viewing_evidence(t, CATALOG, struggle_score=bad)
    for ok in (0.5, 1.0):   # both ends allowed: an overwatched complete view scores exactly that
        ev = viewing_evidence(t, CATALOG, threshold=0.8, return_window=0, struggle_score=ok)
        assert ev.labels.tolist() == ["struggled"] and ev.score.tolist() == [ok]


def test_background_tabs_do_not_move_the_learned_thresholds():
    # background tabs (share above background_share) give no evidence: adding 40 of them to a video's
    # shares leaves every learned threshold as it was
    rng = np.random.default_rng(4)
    share = np.r_[rng.uniform(0.02, 0.3, 60), rng.uniform(0.85, 1.0, 60)]
    item = np.r_[np.zeros(60, int), np.ones(60, int)]
    base = completion_thresholds(share, item, 2)
    tabs = completion_thresholds(np.r_[share, np.full(40, 8.0)], np.r_[item, np.zeros(40, int)], 2)
    np.testing.assert_array_equal(tabs, base)


def test_a_catalogue_length_under_a_second_is_a_length():
    # any positive number of seconds is a length (a 0.5 s clip): read, not refused, not left unknown
    t = _traces([("u", "a", "2024-01-01 10:00", 0.45)])
    catalog = pd.DataFrame({"item": ["a"], "kind": ["video"], "length": [0.5]})
    np.testing.assert_allclose(watched_share(t, catalog), [0.9])


def test_summary_counts_a_visit_told_by_several_events_once_and_rates_a_single_viewer():
    table = viewing_summary(_b_in_two_events(), CATALOG, threshold=0.8, return_window=0)
    assert table.loc["b", "visits"] == 1 and table.loc["a", "visits"] == 1
    # one viewer each: a's complete view did not land (w back on a before another completion), c was
    # abandoned (by u, the first learner, on the second item): each rate is that viewer's, 1.0 or 0.0
    t = _traces([("w", "a", "2024-01-01 10:00", 99.0), ("w", "a", "2024-01-01 10:05", 10.0),
                 ("u", "c", "2024-01-01 10:00", 60.0)])
    table = viewing_summary(t, CATALOG, threshold=0.8, return_window=1)
    assert table.loc["a", "returned"] == 1.0 and table.loc["a", "completion"] == 0.0
    assert table.loc["a", "abandonment"] == 0.0      # w completed a (the view that did not land)
    assert table.loc["c", "abandonment"] == 1.0 and table.loc["c", "learners"] == 1
    assert table.loc["c", "returned"] == 0.0 and table.loc["c", "completion"] == 0.0


def test_a_share_of_exactly_background_share_is_a_view():
    # "background" is a share *above* background_share: 300 s of the 100 s video a, exactly 3x, is an
    # overwatched complete view (struggled, 0.75); 301 s is a tab left open
    for watched, label in ((300.0, "struggled"), (301.0, "background")):
        ev = viewing_evidence(_traces([("u", "a", "2024-01-01 10:00", watched)]), CATALOG, threshold=0.8,
                              return_window=0)
        assert ev.labels.tolist() == [label]


def test_lengths_told_by_the_events_yield_to_the_catalogue():
    # the events tell a length (the player's): used where the catalogue has none, whatever its size (a
    # 0.5 s clip), ignored where the catalogue gives one (a: 100 s in the catalogue, 200 s told)
    from poem.colony.viewing import video_lengths

    frame = pd.DataFrame({"learner": "u", "item": ["a", "b", "z"], "covered": [90.0, 100.0, 0.45],
                          "length": [200.0, 250.0, 0.5],
                          "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00",
                                                       "2024-01-01 12:00"], utc=True)})
    catalog = pd.DataFrame({"item": ["a", "b", "z"], "kind": "video", "length": [100.0, None, None]})
    _, length = video_lengths(Traces.from_frame(frame), catalog)
    np.testing.assert_allclose(length, [100.0, 250.0, 0.5])


def test_a_catalogue_indexed_by_item_reads_as_the_column_form():
    t = _traces([("u", "a", "2024-01-01 10:00", 90.0), ("u", "b", "2024-01-01 10:10", 20.0)])
    by_column = viewing_evidence(t, CATALOG, threshold=0.8, return_window=0)
    by_index = viewing_evidence(t, CATALOG.set_index("item"), threshold=0.8, return_window=0)
    assert by_index.labels.tolist() == by_column.labels.tolist() == ["complete", "abandoned"]
    np.testing.assert_array_equal(by_index.length, by_column.length)


def test_a_visit_spans_events_at_most_session_gap_apart():
    # a's events with video fields 40 min apart are two visits (default gap 30 min): abandoned, then
    # complete; 20 min apart they are one visit, held by the last event
    for minutes, labels in ((40, ["abandoned", "complete"]), (20, ["folded", "complete"])):
        frame = pd.DataFrame({"learner": "u", "item": ["a", "a"], "covered": [20.0, 95.0],
                              "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00"], utc=True)
                              + pd.to_timedelta([0, minutes], unit="min")})
        ev = viewing_evidence(Traces.from_frame(frame), CATALOG, threshold=0.8, return_window=0)
        assert ev.labels.tolist() == labels, minutes


def test_unweighed_apply_viewing_keeps_the_quiz_scores():
    # weigh=False: no kind is shrunk; the quiz's 0.4 and the video's complete view (1.0) stay as they are
    t = _traces([("u", "a", "2024-01-01 10:00", 90.0, np.nan), ("u", "q", "2024-01-01 10:10", np.nan, 0.4)])
    scored, _, weights = apply_viewing(t, CATALOG, weigh=False, threshold=0.8, return_window=0)
    assert weights == {} and scored.score.tolist() == [1.0, 0.4]


def test_otsu_splits_two_distinct_values_in_the_middle_of_the_gap():
    from poem.colony.viewing import _otsu

    # 0.2 and 0.9 fall in bins 10 and 45 of 60 over [0, 1.2]: every cut at the edges 0.22 ... 0.90 is as
    # good, and the middle of that plateau is 0.56
    assert _otsu(np.array([0.2, 0.9])) == pytest.approx(0.56)


def test_apply_viewing_returns_the_traces_with_the_catalogue():
    t = _traces([("u", "a", "2024-01-01 10:00", 90.0)])
    assert t.item_info is None
    scored, _, _ = apply_viewing(t, CATALOG, threshold=0.8, return_window=0)
    assert scored.item_info.loc["a", "length"] == 100 and scored.item_info.loc["q", "kind"] == "quiz"


def test_only_events_that_carry_video_fields_fold_into_one_visit():
    # a's first event has covered seconds, the second only a wall-clock duration (no video field): two
    # visits, abandoned (20 %) then complete (95 %), though 5 min apart
    frame = pd.DataFrame({"learner": "u", "item": ["a", "a"], "covered": [20.0, np.nan], "duration": [np.nan, 95.0],
                          "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05"], utc=True)})
    ev = viewing_evidence(Traces.from_frame(frame), CATALOG, threshold=0.8, return_window=0)
    assert ev.labels.tolist() == ["abandoned", "complete"]


def test_equal_threshold_bounds_pin_every_threshold():
    # min_threshold may equal max_threshold (documented: "> 0 and <= max_threshold"): every video's learned
    # threshold is then that value; above it is refused
    t = _traces([("u", "a", "2024-01-01 10:00", 75.0), ("w", "a", "2024-01-01 10:00", 65.0)])
    ev = viewing_evidence(t, CATALOG, min_threshold=0.7, max_threshold=0.7, return_window=0)
    assert ev.threshold[0] == 0.7 and ev.labels.tolist() == ["complete", "abandoned"]
    with pytest.raises(ParameterError, match="min_threshold"):
        viewing_evidence(t, CATALOG, min_threshold=0.71, max_threshold=0.7)


def _otsu_reference(values, bins=60, top=1.2):
    """Otsu's split written plainly: every cut between two of the histogram's bins (values clipped to
    [0, top], each counted at its bin's centre), the between-class variance w0 w1 (m0 - m1)^2 of the two
    sides, and the middle of the cuts within 1e-9 (relative) of the best."""
    v = [min(max(x, 0.0), top) for x in values if x == x]
    if len(v) < 2 or min(v) == max(v):
        return float("nan")
    width = top / bins
    counts = [0] * bins
    for x in v:
        counts[min(int(x / width), bins - 1)] += 1
    centre = [(k + 0.5) * width for k in range(bins)]
    scores = []
    for cut in range(1, bins):      # left class: bins [0, cut)
        w0 = sum(counts[:cut])
        w1 = len(v) - w0
        m0 = sum(c * m for c, m in zip(counts[:cut], centre[:cut])) / w0 if w0 else 0.0
        m1 = sum(c * m for c, m in zip(counts[cut:], centre[cut:])) / w1 if w1 else 0.0
        scores.append((w0 * w1 * (m0 - m1) ** 2, cut * width))
    best = max(s for s, _ in scores)
    cuts = [c for s, c in scores if s >= best * (1 - 1e-9)]
    return sum(cuts) / len(cuts)


@pytest.mark.parametrize("seed", range(6))
def test_otsu_matches_a_plain_python_reference(seed):
    from poem.colony.viewing import _otsu

    rng = np.random.default_rng(seed)
    # three clusters of random sizes (abandoned, complete, overwatched past the clip at 1.2), some NaN
    values = np.r_[rng.uniform(0.0, 0.4, rng.integers(1, 40)), rng.uniform(0.6, 1.1, rng.integers(1, 40)),
                   rng.uniform(1.2, 2.5, rng.integers(0, 40)), [np.nan] * int(rng.integers(0, 3))]
    assert _otsu(values) == pytest.approx(_otsu_reference(values.tolist()), abs=1e-9)


def test_threshold_learning_counts_a_share_at_background_share_and_drops_above_it():
    # one video's shares 0.5 and exactly 3.0 (a view, clipped to 1.2 for the split): Otsu's cut is the middle
    # of the empty bins between them, (0.52 + 1.18) / 2 = 0.85. Above 3 (the default background_share) the
    # share is a tab left open: only 0.5 remains, no split, the fallback 0.8
    assert completion_thresholds(np.array([0.5, 3.0]), np.array([0, 0]), 1) == pytest.approx([0.85])
    assert completion_thresholds(np.array([0.5, 4.0]), np.array([0, 0]), 1) == pytest.approx([0.8])
    assert completion_thresholds(np.array([0.5, 4.0]), np.array([0, 0]), 1, background_share=5.0) == \
        pytest.approx([0.85])


def test_summary_struggled_view_at_exactly_the_mastery_score_landed():
    # struggle_score 0.5 (allowed): an overwatched complete view scores 0.5, still a success: it landed
    t = _traces([("u", "a", "2024-01-01 10:00", 140.0)])
    table = viewing_summary(t, CATALOG, threshold=0.8, return_window=0, struggle_score=0.5)
    assert table.loc["a", "completion"] == 1.0


def test_a_told_length_of_zero_is_unknown():
    # an event telling length 0 says nothing: the length falls back to the visits (90th percentile: 50 s)
    frame = pd.DataFrame({"learner": ["u", "w"], "item": "v", "covered": [50.0, 50.0], "length": [0.0, 0.0],
                          "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 10:00"], utc=True)})
    np.testing.assert_allclose(watched_share(Traces.from_frame(frame)), [1.0, 1.0])


def test_summary_rates_of_a_video_nobody_viewed_are_nan():
    t = _traces([("u", "a", "2024-01-01 10:00", 90.0)], items=["a", "b"])
    row = viewing_summary(t, CATALOG, threshold=0.8, return_window=0).loc["b"]
    assert row["learners"] == 0 and row["visits"] == 0
    assert np.isnan(row["completion"]) and np.isnan(row["abandonment"]) and np.isnan(row["returned"])


def test_parameter_bounds_are_those_documented():
    t = _traces([("u", "a", "2024-01-01 10:00", 90.0)])
    # a fixed threshold is a share in (0, 1.5]: 1.5 itself is accepted, 0 is not
    assert viewing_evidence(t, CATALOG, threshold=1.5).labels.tolist() == ["abandoned"]
    with pytest.raises(ParameterError, match="threshold"):
        viewing_evidence(t, CATALOG, threshold=0)
    # min_threshold must be > 0; a boolean is no number, even where an integer would do
    with pytest.raises(ParameterError, match="min_threshold"):
        viewing_evidence(t, CATALOG, min_threshold=0)
    with pytest.raises(ParameterError, match="prior_views"):
        viewing_evidence(t, CATALOG, prior_views=True)


def test_without_kinds_a_scored_event_is_no_video_visit():
    # a catalogue with lengths but no kind column: a scored event is a quiz attempt, whatever its duration
    catalog = CATALOG.drop(columns="kind")
    t = _traces([("u", "a", "2024-01-01 10:00", 95.0, np.nan), ("u", "a", "2024-01-01 10:05", 95.0, 0.0)])
    ev = viewing_evidence(t, catalog, threshold=0.8)
    assert ev.is_video.tolist() == [True, False]
    assert ev.labels.tolist() == ["complete", "other"] and ev.score.tolist() == [1.0, 0.0]


def test_evidence_weight_sums_add_across_learners_to_the_whole_logs_weights():
    """The Dask engine sums evidence_weight_sums over partitions of learners: the sums of two halves give
    the weights of the whole log (up to float order), and a half with one kind still counts."""
    from types import SimpleNamespace

    from poem.colony.viewing import evidence_weight_sums, viewing_evidence, weights_from_sums

    vc = simulate_viewing(n_items=30, n_learners=200, seed=3, mixed=True)
    traces = vc.to_traces()
    ev = viewing_evidence(traces, vc.catalog)
    whole = evidence_weights(traces, ev)
    assert sorted(whole) == ["quiz", "video"] and min(whole.values()) < 1
    halves = {}
    for half in (traces.learners.astype(str) < traces.learners.astype(str)[100],
                 traces.learners.astype(str) >= traces.learners.astype(str)[100]):
        keep = half[traces.learner]
        part = traces.select_learners(half)
        sums = evidence_weight_sums(part, SimpleNamespace(score=ev.score[keep], is_video=ev.is_video[keep]))
        halves = {k: halves.get(k, 0) + sums.get(k, 0) for k in set(halves) | set(sums)}
    pooled = weights_from_sums(halves)
    assert sorted(pooled) == sorted(whole)
    for kind in whole:
        assert pooled[kind] == pytest.approx(whole[kind], rel=1e-12)
    # a part with videos only (no contrast between kinds) still adds its counts
    only = evidence_weight_sums(traces, SimpleNamespace(score=np.where(ev.is_video, ev.score, np.nan),
                                                        is_video=ev.is_video))
    assert sorted(only) == ["video"] and only["video"][1] > 0 and only["video"][3] > 0
    assert weights_from_sums(only) == {"video": 1.0} and weights_from_sums({}) == {}
    # no contrast in any kind: every kind weighs 1
    assert weights_from_sums({"quiz": np.array([1.0, 2, 1, 2]), "video": np.array([0.0, 0, 0, 0])}) == \
        {"quiz": 1.0, "video": 1.0}
    # hand-checked: later success 1 after the quiz's passes and 0 after its one failure (value 1), 0.5 and 0
    # for the video (value 0.5): the video weighs half the quiz
    assert weights_from_sums({"quiz": np.array([2.0, 2, 0, 1]), "video": np.array([1.0, 2, 0, 1])}) == \
        {"quiz": 1.0, "video": 0.5}
    # one success is enough to read a value; a kind with no success has none (0): the other kind leads
    assert weights_from_sums({"quiz": np.array([1.0, 1, 0, 3]), "video": np.array([1.0, 2, 0, 1])}) == \
        {"quiz": 1.0, "video": 0.5}
    assert weights_from_sums({"quiz": np.array([0.0, 0, 1, 3]), "video": np.array([1.0, 2, 0, 1])}) == \
        {"quiz": 0.1, "video": 1.0}


def test_has_visits_says_when_the_mapping_has_something_to_read():
    from poem.colony.viewing import has_visits

    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    cat = pd.DataFrame({"item": ["v", "q"], "kind": ["video", "quiz"], "length": [100.0, None]})
    frame = pd.DataFrame({"learner": ["a", "a"], "item": ["v", "q"], "duration": [50.0, 30.0],
                          "score": [np.nan, 1.0], "timestamp": [t0, t0 + pd.Timedelta("1h")]})
    traces = Traces.from_frame(frame)
    assert has_visits(traces, cat)
    assert has_visits(traces.select_events(traces.item == list(traces.items).index("v")), cat)   # one visit
    quiz_only = traces.select_events(traces.item == list(traces.items).index("q"))
    assert not has_visits(quiz_only, cat)          # a quiz with seconds is not a visit
    assert not has_visits(traces.select_events(np.zeros(2, dtype=bool)), cat)
    # no kinds: a scored event is a quiz whatever its duration, an unscored one with seconds a visit
    assert has_visits(traces, None) and not has_visits(quiz_only, None)
    with pytest.raises(TraceFormatError, match="no video visit"):
        viewing_evidence(quiz_only, cat)
