"""Tests of the self-calibrated mastery evidence and the explained suggestions (poem.colony.calibration,
poem.colony.suggestion, ``poem suggest``)."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.antcolony import ManHill
from poem.cli.main import main
from poem.colony.calibration import (Calibration, attempt_sequences, calibrate, dependent_success, kind_codes,
                                     simulate_bkt)
from poem.errors import ParameterError
from poem.traces import Traces

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def bkt_traces(guess, slip, n_learners=300, n_items=6, seed=0, attempts=5):
    """A course of BKT learners with known rates, as Traces (items i0, i1, ...)."""
    item, score, bounds = simulate_bkt(n_learners, n_items, guess=guess, slip=slip, attempts=attempts,
                                       rng=np.random.default_rng(seed))
    learner = np.repeat(np.arange(n_learners), np.diff(bounds))
    frame = pd.DataFrame({"learner": [f"L{k:04d}" for k in learner], "item": [f"i{k}" for k in item],
                          "timestamp": T0 + pd.to_timedelta(np.arange(len(item)), unit="min"), "score": score})
    return Traces.from_frame(frame)


# ------------------------------------------------------------------------------------------- calibration
@pytest.mark.parametrize("guess,slip", [(0.0, 0.0), (0.1, 0.05), (0.3, 0.1), (0.2, 0.2)])
def test_calibration_recovers_known_guess_and_slip(guess, slip):
    # stated tolerance: 0.05 absolute on the course-wide rates, 0.1 on every item (800 learners x 8 items,
    # 6 attempts each)
    item, score, bounds = simulate_bkt(800, 8, guess=guess, slip=slip, attempts=6, rng=np.random.default_rng(7))
    cal = calibrate(item, score, bounds, 8)
    assert abs(cal.course_guess - guess) < 0.05 and abs(cal.course_slip - slip) < 0.05
    assert np.all(np.abs(cal.guess - guess) < 0.1) and np.all(np.abs(cal.slip - slip) < 0.1)
    # more guessing, less is a first pass worth
    if guess == 0.0:
        assert cal.course_pass_value > 0.97 and (cal.successes_needed == 1).all()
    if guess >= 0.2:
        assert cal.course_pass_value < 0.8 and (cal.successes_needed >= 2).all()


def test_pass_value_falls_with_the_guess_rate():
    values = []
    for g in (0.0, 0.1, 0.2, 0.3):
        item, score, bounds = simulate_bkt(500, 4, guess=g, slip=0.05, rng=np.random.default_rng(3))
        values.append(calibrate(item, score, bounds, 4).course_pass_value)
    assert values == sorted(values, reverse=True)


def test_attempt_sequences_by_hand_and_empty_log():
    # learner 0: i1 fail, i0 pass, i1 pass; learner 1: i1 pass
    obs, length, it = attempt_sequences(np.array([1, 0, 1, 1]), np.array([0.0, 1.0, 1.0, 1.0]),
                                        np.array([0, 3, 4]), 2)
    assert obs.tolist() == [[1, -1], [0, 1], [1, -1]] and length.tolist() == [1, 2, 1] and it.tolist() == [0, 1, 1]
    cal = calibrate(np.zeros(0, int), np.zeros(0), np.zeros(1, int), 3)
    assert cal.successes_needed.tolist() == [2, 2, 2]
    with pytest.raises(ParameterError, match="threshold"):
        calibrate(np.zeros(0, int), np.zeros(0), np.zeros(1, int), 3, threshold=1.5)


def test_explicit_mastery_successes_overrides_the_calibration():
    traces = bkt_traces(0.0, 0.0)
    assert (ManHill().fit(traces).calibration_.successes_needed == 1).all()
    fixed = ManHill(mastery_successes=3).fit(traces).calibration_
    assert (fixed.successes_needed == 3).all() and "fixed" in fixed.summary()
    with pytest.raises(ParameterError, match="mastery_confidence"):
        ManHill(mastery_confidence=1.0).fit(traces)


def test_calibration_survives_save_and_load(tmp_path):
    model = ManHill().fit(bkt_traces(0.3, 0.1, n_learners=120))
    model.save(tmp_path / "m.npz")
    back = ManHill.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.calibration_.successes_needed, model.calibration_.successes_needed)
    np.testing.assert_allclose(back.calibration_.guess, model.calibration_.guess)


# --------------------------------------------------------------------------- repeats follow the calibration
def _histories(rng, items, n=60):
    for _ in range(n):
        length = int(rng.integers(1, 8))
        yield ([items[k] for k in rng.integers(0, len(items), length)],
               [float(s) for s in rng.random(length) < 0.6])


def test_one_pass_is_mastery_course_never_repeats_a_passed_item():
    model = ManHill().fit(bkt_traces(0.0, 0.0))
    items = [str(x) for x in model.items_]
    for hist, scores in _histories(np.random.default_rng(1), items):
        passed = {h for h, s in zip(hist, scores) if s >= 0.5}
        got = model.suggest(hist, scores, k=len(items))
        assert passed.isdisjoint(s.item for s in got)


def test_course_with_guessing_asks_to_confirm_a_pass():
    model = ManHill().fit(bkt_traces(0.3, 0.05))
    items = [str(x) for x in model.items_]
    assert (model.calibration_.successes_needed >= 2).all()
    repeats = 0
    for hist, scores in _histories(np.random.default_rng(1), items):
        wins = pd.Series([h for h, s in zip(hist, scores) if s >= 0.5]).value_counts()
        once = set(wins.index[wins == 1])
        got = model.suggest(hist, scores, k=len(items))
        assert once <= {s.item for s in got}           # a single pass is not mastery: still allowed
        top = got[0]
        if top.item in once:
            repeats += 1
            assert top.reason.startswith("a confirmation") and top.because == (top.item,)
    assert repeats > 0


# ------------------------------------------------------------------------------------------- explanations
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6))
def test_explanations_name_only_history_items(seed, k):
    rng = np.random.default_rng(seed)
    model = ManHill().fit(bkt_traces(float(rng.choice([0.0, 0.25])), 0.05, n_learners=60, seed=seed))
    items = [str(x) for x in model.items_]
    for hist, scores in _histories(rng, items, n=5):
        scores = [s if rng.random() > 0.1 else float("nan") for s in scores]
        for s in model.suggest(hist, scores, k=k):
            assert s.reason and set(s.because) <= set(hist)
            assert all(name in s.reason for name in s.because)
            passed = {h for h, sc in zip(hist, scores) if sc == sc and sc >= 0.5}
            assert s.missing_prerequisite is None or s.missing_prerequisite not in passed


def test_reasons_by_hand():
    model = ManHill().fit(bkt_traces(0.0, 0.0))
    retry = model.suggest(["i0", "i0"], [0.0, 0.0], k=6)
    assert any(s.item == "i0" and s.reason.startswith("another try at i0") for s in retry)
    cold = model.suggest([], k=2)
    assert all(s.because == () for s in cold)


def test_same_seed_same_suggestions():
    traces = bkt_traces(0.2, 0.1, n_learners=80)
    a, b = ManHill().fit(traces), ManHill().fit(traces)
    hist, scores = ["i0", "i1", "i2"], [1.0, 0.0, 1.0]
    for op in ("greedy", "roulette", "tournament", "ranking"):
        x = a.suggest(hist, scores, k=3, operator=op, rng=5)
        y = b.suggest(hist, scores, k=3, operator=op, rng=5)
        assert [s.to_dict() for s in x] == [s.to_dict() for s in y]


@pytest.mark.parametrize("bad", [2.0, -0.5, float("inf")])
def test_scores_outside_unit_interval_are_refused(bad):
    model = ManHill().fit(bkt_traces(0.0, 0.0, n_learners=20))
    with pytest.raises(ParameterError, match=r"outside \[0, 1\].*rescale"):
        model.suggest(["i0"], [bad])
    model.suggest(["i0"], [float("nan")])   # NaN means unscored


# -------------------------------------------------------------------------------------------------- CLI
@pytest.fixture()
def saved(tmp_path):
    model = ManHill().fit(bkt_traces(0.25, 0.05, n_learners=80))
    model.save(tmp_path / "m.npz")
    pd.DataFrame({"id": [f"i{k}" for k in range(6)], "title": [f"Lesson {k}" for k in range(6)]}).to_csv(
        tmp_path / "cat.csv", index=False)
    return tmp_path


def test_cli_explains_and_uses_titles(saved, capsys):
    assert main(["suggest", str(saved / "m.npz"), "--history", "lesson 0,Lesson 1", "--scores", "1,0",
                 "--catalog", str(saved / "cat.csv"), "--k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("why") == 3 and "mastery rule: calibrated" in out
    assert main(["suggest", str(saved / "m.npz"), "--history", "i0,Lesson 1", "--scores", "1,0",
                 "--catalog", str(saved / "cat.csv"), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(r["reason"] and set(r["because"]) <= {"i0", "i1"} and r["title"].startswith("Lesson")
               for r in rows)


def test_cli_refuses_bad_scores_and_unknown_titles(saved, capsys):
    assert main(["suggest", str(saved / "m.npz"), "--history", "i0", "--scores", "2"]) == 1
    err = capsys.readouterr().err
    assert "outside [0, 1]" in err and "rescale" in err
    assert main(["suggest", str(saved / "m.npz"), "--history", "Lesson 9", "--catalog",
                 str(saved / "cat.csv")]) == 1
    assert "'Lesson 9'" in capsys.readouterr().err


def test_fixed_calibration_summary():
    assert Calibration.fixed(2, 1).successes_needed.tolist() == [1, 1]


def test_thompson_sampling_is_the_default_and_reproducible():
    traces = bkt_traces(0.2, 0.1, n_learners=40)
    model = ManHill().fit(traces)
    assert model.sampling == "thompson"
    # without a seed the draws use seed 0: the same call gives the same suggestions
    assert [s.item for s in model.suggest(["i0"], [1.0], k=3)] == [s.item for s in model.suggest(["i0"], [1.0], k=3)]
    a = [s.item for s in model.suggest(["i0"], [1.0], k=3, rng=11)]
    assert a == [s.item for s in model.suggest(["i0"], [1.0], k=3, rng=np.random.default_rng(11))]
    # with little evidence the draws explore: across seeds the top item is not always the same, while the
    # plain expected gain (sampling="none") always gives the same one
    thin_traces = bkt_traces(0.2, 0.1, n_learners=3, attempts=2)
    thin = ManHill().fit(thin_traces)
    assert len({thin.suggest([], k=1, rng=r)[0].item for r in range(40)}) > 1
    plain = ManHill(sampling="none").fit(thin_traces)
    assert len({plain.suggest([], k=1, rng=r)[0].item for r in range(40)}) == 1
    with pytest.raises(ParameterError, match="sampling"):
        ManHill(sampling="ucb").fit(traces)


def test_teacher_prior_fades_as_learners_leave_a_node():
    from poem.colony.suggestion import PRIOR_LEARNERS

    traces = bkt_traces(0.1, 0.05, n_learners=30)
    model = ManHill(prior=["i0", "i1", "i2", "i3", "i4", "i5"], prior_weight=2.0).fit(traces)
    t = model._tables
    leaving = model.arc_learners_.sum(axis=1)
    code = {str(x): k for k, x in enumerate(model.items_)}
    a, b = code["i0"], code["i1"]
    assert leaving[a] > 0
    assert t.prior[a, b] == pytest.approx(2.0 * PRIOR_LEARNERS / (PRIOR_LEARNERS + leaving[a]))
    # with no learners yet the prior keeps its full weight (it alone guides the first cohort)
    from poem.simulation.policies import _empty_frame

    bare = Traces.from_frame(_empty_frame(), items=["i0", "i1"])
    empty = ManHill(prior=["i0", "i1"], prior_weight=2.0).fit(bare)
    assert empty._tables.prior.max() == 2.0


# ------------------------------------------------------------------ calibration per kind, dependents' success
def _two_kind_log(seed=0, n_learners=400):
    """Items 0-2 graded exams (no guessing: a pass is mastery), items 3-5 quizzes with 35 % guessing."""
    rng = np.random.default_rng(seed)
    exam = simulate_bkt(n_learners, 3, guess=0.0, slip=0.02, rng=rng)
    quiz = simulate_bkt(n_learners, 3, guess=0.35, slip=0.05, rng=rng)
    per = [np.diff(exam[2])[0], np.diff(quiz[2])[0]]
    item = np.concatenate([np.r_[exam[0][k * per[0]:(k + 1) * per[0]], quiz[0][k * per[1]:(k + 1) * per[1]] + 3]
                           for k in range(n_learners)])
    score = np.concatenate([np.r_[exam[1][k * per[0]:(k + 1) * per[0]], quiz[1][k * per[1]:(k + 1) * per[1]]]
                            for k in range(n_learners)])
    return item, score, np.arange(n_learners + 1) * (per[0] + per[1])


def test_kind_codes_by_hand():
    cat = pd.DataFrame({"item": ["q1", "e1", "q2"], "kind": ["Quiz", "exam", "quiz"]})
    assert kind_codes(["e1", "q1", "q2", "v9"], cat).tolist() == [0, 1, 1, 2]
    assert kind_codes(["a"], pd.DataFrame({"item": ["a"], "kind": [None]})) is None
    assert kind_codes(["a"], None) is None
    indexed = pd.DataFrame({"kind": ["exam"]}, index=pd.Index(["a"], name="item"))
    assert kind_codes(["a", "b"], indexed).tolist() == [0, 1]


def test_calibration_per_kind_separates_exams_from_quizzes():
    item, score, bounds = _two_kind_log()
    # few sequences per item and a strong pull: the pooled course rate blurs the two kinds...
    pooled = calibrate(item, score, bounds, 6, shrink=2000.0)
    by_kind = calibrate(item, score, bounds, 6, shrink=2000.0, kinds=np.array([0, 0, 0, 1, 1, 1]))
    assert pooled.guess[:3].min() > 0.05 and pooled.guess[3:].max() < 0.25
    assert pooled.successes_needed.tolist() == [2] * 6          # exams asked to confirm for nothing
    # ... while per kind each is pulled toward its own rate: exams a pass is mastery, quizzes a guess
    assert by_kind.guess[:3].max() < 0.05 and by_kind.guess[3:].min() > 0.25
    assert by_kind.successes_needed[:3].tolist() == [1, 1, 1]
    assert by_kind.successes_needed[3:].min() >= 2
    with pytest.raises(ParameterError, match="kind_codes"):
        calibrate(item, score, bounds, 6, kinds=np.array([0, 1]))


def test_manhill_reads_kinds_from_the_catalog_and_keeps_them_on_save(tmp_path):
    item, score, bounds = _two_kind_log(n_learners=150)
    learner = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    frame = pd.DataFrame({"learner": [f"L{k:04d}" for k in learner], "item": [f"i{k}" for k in item],
                          "timestamp": T0 + pd.to_timedelta(np.arange(len(item)), unit="min"), "score": score})
    cat = pd.DataFrame({"item": [f"i{k}" for k in range(6)], "kind": ["exam"] * 3 + ["quiz"] * 3})
    traces = Traces.from_frame(frame, item_info=cat.set_index("item"))
    model = ManHill().fit(traces)
    assert model.item_kinds_.tolist() == [0, 0, 0, 1, 1, 1]
    assert ManHill().fit(Traces.from_frame(frame)).item_kinds_ is None
    model.save(tmp_path / "m.npz")
    back = ManHill.load(tmp_path / "m.npz")
    assert back.item_kinds_.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(back.calibration_.successes_needed, model.calibration_.successes_needed)


def test_dependent_success_by_hand():
    # learner: passes 0, fails 1 (after one pass of 0), passes 0 again, passes 1 (after two passes)
    item, score, bounds = np.array([0, 1, 0, 1]), np.array([1.0, 0.0, 1.0, 1.0]), np.array([0, 4])
    dep = np.array([[False, True], [False, False]])
    got = dependent_success(item, score, bounds, 2, dep)
    assert got.loc[0].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert np.isnan(got.loc[1, "after_one"]) and got.loc[1, "n_one"] == 0
    # attempts before any pass of the prerequisite count nowhere; a second learner starts afresh
    item2, score2 = np.array([1, 0, 1, 1]), np.array([1.0, 1.0, 1.0, float("nan")])
    got = dependent_success(np.r_[item, item2], np.r_[score, score2], np.array([0, 4, 8]), 2, dep)
    assert got.loc[0].tolist() == [0.5, 2.0, 1.0, 1.0]
    with pytest.raises(ParameterError, match="depends"):
        dependent_success(item, score, bounds, 2, np.zeros((3, 3), bool))


def test_passes_needed_by_hand():
    from poem.colony.calibration import _passes_needed

    # after a pass the BKT posterior is q' = u(1 - slip) / (u(1 - slip) + (1 - u) guess), u = q + (1 - q) learn.
    # item 0 (q = 0.5, learn 0, guess 0.2, slip 0.1): 0.45 / 0.55 = 0.818 after 2 passes, then
    #   0.7364 / 0.7727 = 0.953 >= 0.9 after 3; item 1 (q = 0.95) is mastered at its first pass;
    # item 2 (slip 0.5): 0.25 / 0.35 = 0.714, 0.357 / 0.414 = 0.862, 0.431 / 0.459 = 0.940: 4 passes;
    # item 3 (learn 0.5, slip 0.5): u = 0.75, 0.375 / 0.425 = 0.882, u = 0.941, 0.471 / 0.482 = 0.976: 3
    args = (np.array([0.5, 0.95, 0.5, 0.5]), np.array([0.0, 0.0, 0.0, 0.5]), np.full(4, 0.2),
            np.array([0.1, 0.1, 0.5, 0.5]), 0.9)
    assert _passes_needed(*args, 6).tolist() == [3, 1, 4, 3]
    assert _passes_needed(*args, 3).tolist() == [3, 1, 3, 3]       # capped at max_successes


def test_em_stops_on_its_tolerance_not_its_iteration_cap():
    item, score, bounds = simulate_bkt(300, 4, guess=0.2, slip=0.1, rng=np.random.default_rng(11))
    a = calibrate(item, score, bounds, 4, n_iter=200)
    b = calibrate(item, score, bounds, 4, n_iter=1000)
    for name in ("prior", "learn", "guess", "slip", "pass_value"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    c = calibrate(item, score, bounds, 4, n_iter=200, tol=0.0)      # tol 0: every iteration runs
    assert not np.array_equal(a.learn, c.learn)


def test_simulate_bkt_default_attempts_and_layout():
    item, score, bounds = simulate_bkt(2, 3, guess=0.2, slip=0.1, rng=np.random.default_rng(0))
    assert len(item) == 2 * 3 * 6 and bounds.tolist() == [0, 18, 36]
    assert item[:18].tolist() == [0] * 6 + [1] * 6 + [2] * 6 and set(np.unique(score)) <= {0.0, 1.0}
