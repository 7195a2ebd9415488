"""Tests of the doubted mastery (poem.colony.doubt, ``ManHill(doubt=True)``): hand-checked beliefs, the
tables from hand-made counts, and a fitted colony that asks again for a pass its dependents contradict."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from poem.antcolony import ManHill
from poem.colony.doubt import DOUBT_BELOW, doubt_mastery, doubt_tables
from poem.errors import ParameterError
from poem.traces import Traces

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def tables(start=np.log(9.0), step=np.log(4.0), fail=np.log(0.5), pass_=np.log(3.0), need=(1, 1, 1)):
    """Three items; item 0 helps item 1 (the only pair with evidence): a failure on 1 halves the odds
    that 0 is mastered, a pass on 1 triples them."""
    f = np.zeros((3, 3))
    p = np.zeros((3, 3))
    f[0, 1], p[0, 1] = fail, pass_
    return SimpleNamespace(n=3, mastery=0.5, need_list=list(need), doubt_start=np.array([start, start, start]),
                           doubt_step=np.array([step, step, step]), doubt_fail=f, doubt_pass=p)


def run(t, codes, scores, mastered=(0,), passes=None):
    allowed = np.ones(t.n, dtype=bool)
    allowed[list(mastered)] = False
    return doubt_mastery(t, list(codes), list(scores), list(mastered), allowed, dict(passes or {}))


def test_belief_by_hand_three_failures_keep_four_doubt():
    # odds 9 after one pass; x 1/2 per failure on item 1: 9/8 > 1 keeps it, 9/16 < 1 doubts it
    kept, allowed, passes = run(tables(), [0, 1, 1, 1], [1, 0, 0, 0])
    assert kept == [0] and not allowed[0] and passes == {}
    kept, allowed, passes = run(tables(), [0, 1, 1, 1, 1], [1, 0, 0, 0, 0])
    assert kept == [] and allowed[0] and passes == {0: 1}


def test_passes_on_the_dependent_and_more_passes_restore_the_belief():
    # four failures (x 1/16) and one pass on 1 (x 3): 9 * 3 / 16 > 1
    assert run(tables(), [0, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 1])[0] == [0]
    # a second pass of 0 itself (x 4): 9 * 4 / 16 > 1 (need 1: the first pass is the mastery, the second adds)
    assert run(tables(), [0, 0, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0])[0] == [0]


def test_only_attempts_after_the_mastery_count_and_unrelated_items_say_nothing():
    # failures on 1 before 0 was mastered (need 2: at its second pass) are not evidence against it
    t = tables(need=(2, 1, 1))
    assert run(t, [1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1, 1])[0] == [0]
    # failures on 2, which 0 does not help, never doubt 0
    assert run(tables(), [0] + [2] * 10, [1] + [0] * 10)[0] == [0]
    # nothing mastered: nothing to doubt
    assert run(tables(), [1, 1], [0, 0], mastered=())[0] == []


def test_a_doubted_item_seen_without_a_score_stays_tabu():
    kept, allowed, passes = run(tables(), [0, 0, 1, 1, 1, 1], [1, float("nan"), 0, 0, 0, 0])
    assert kept == [] and not allowed[0] and passes == {0: 1}


def test_the_threshold_is_a_half():
    assert DOUBT_BELOW == 0.5
    # exactly even odds (start 0, no evidence) is not below 1/2
    assert run(tables(start=0.0), [0], [1])[0] == [0]
    assert run(tables(start=-1e-9), [0], [1])[0] == []


def test_tables_by_hand():
    # j = 1: 40 attempts after i = 0 was mastered (24 passes), 40 without (8 passes); c = 2
    a = np.array([[0, 40], [0, 0]])
    s = np.array([[0.0, 24.0], [0.0, 0.0]])
    fail, pass_, start, step = doubt_tables(a, s, np.array([0, 80]), np.array([0.0, 32.0]), 2.0,
                                            np.array([0.9, np.nan]), np.array([0.2, 0.2]), np.array([0.1, 0.1]), 2.0)
    mu = 33 / 82
    r1, r0 = (24 + 2 * mu) / 42, (8 + 2 * mu) / 42
    assert fail[0, 1] == pytest.approx(np.log((1 - r1) / (1 - r0)))
    assert pass_[0, 1] == pytest.approx(np.log(r1 / r0))
    assert fail[1, 0] == 0.0 and pass_[1, 0] == 0.0 and np.all(np.diag(fail) == 0)
    assert start[0] == pytest.approx(np.log(9.0)) and step[0] == pytest.approx(np.log(4.5))
    # no pass value (fixed mastery): never doubted
    assert start[1] == np.inf and step[1] == 0.0
    # the same rates on 4 attempts each are not significant: no evidence
    weak = doubt_tables(np.array([[0, 4], [0, 0]]), np.array([[0.0, 2.4], [0.0, 0.0]]), np.array([0, 8]),
                        np.array([0.0, 3.2]), 2.0, np.array([0.9, 0.9]), np.array([0.2, 0.2]),
                        np.array([0.1, 0.1]), 2.0)
    assert weak[0][0, 1] == 0.0 and weak[1][0, 1] == 0.0


# ------------------------------------------------------------------------------------- fitted colony
def chain_traces(seed=0, n=400):
    """Items a -> b: learners who mastered a pass b 70 % of the time, the others guess it 10 %; a is
    itself guessed 25 % of the time before it is learnt (learnt with chance 0.5 per attempt)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        clock = 0
        know_a = False
        seq = []
        for _ in range(int(rng.integers(2, 6))):
            know_a = know_a or rng.random() < 0.5
            seq.append(("a", float(know_a and rng.random() < 0.95 or (not know_a and rng.random() < 0.25))))
        for _ in range(int(rng.integers(2, 6))):
            seq.append(("b", float(rng.random() < (0.7 if know_a else 0.1))))
        for item, score in seq:
            rows.append((f"L{k:04d}", item, T0 + pd.Timedelta(minutes=clock), score))
            clock += 1
    return Traces.from_frame(pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"]))


def test_a_fitted_colony_asks_again_for_a_pass_its_dependent_contradicts():
    traces = chain_traces()
    on = ManHill(doubt=True).fit(traces)
    off = ManHill().fit(traces)
    need_a = int(on.calibration_.successes_needed[list(on.items_).index("a")])
    hist, scores = ["a"] * need_a, [1.0] * need_a
    # just mastered: the same suggestions with and without the doubt, and a is not among them
    same_on, same_off = on.suggest(hist, scores, k=2), off.suggest(hist, scores, k=2)
    assert [s.item for s in same_on] == [s.item for s in same_off] and "a" not in [s.item for s in same_on]
    doubted = None
    for fails in range(1, 15):
        h, sc = hist + ["b"] * fails, scores + [0.0] * fails
        assert "a" not in [s.item for s in off.suggest(h, sc, k=2)]   # without the doubt, never again
        got = {s.item: s for s in on.suggest(h, sc, k=2)}
        if "a" in got:
            doubted = fails
            assert "doubtful" in got["a"].reason and got["a"].because == ("a",)
            break
    assert doubted is not None and doubted >= 2   # a single failure on b never outweighs a mastery
    # the same seed gives the same suggestions
    h, sc = hist + ["b"] * doubted, scores + [0.0] * doubted
    assert [s.item for s in on.suggest(h, sc, k=2, rng=3)] == [s.item for s in on.suggest(h, sc, k=2, rng=3)]


def test_fixed_mastery_is_never_doubted_and_the_parameter_is_checked(tmp_path):
    traces = chain_traces(n=100)
    fixed = ManHill(doubt=True, mastery_successes=1).fit(traces)
    assert fixed._tables.doubt_fail is None
    h, sc = ["a"] + ["b"] * 20, [1.0] + [0.0] * 20
    assert "a" not in [s.item for s in fixed.suggest(h, sc, k=2)]
    with pytest.raises(ParameterError, match="doubt must be True or False"):
        ManHill(doubt="yes").fit(traces)
    model = ManHill(doubt=True).fit(traces)
    model.save(tmp_path / "m.npz")
    back = ManHill.load(tmp_path / "m.npz")
    assert back.doubt is True and back._tables.doubt_fail is not None
    np.testing.assert_array_equal(back._tables.doubt_fail, model._tables.doubt_fail)


def test_a_fitted_colony_keeps_the_four_doubt_tables_each_in_its_place():
    from poem.colony.suggestion import CONDITIONAL_Z

    model = ManHill(doubt=True).fit(chain_traces(n=300))   # enough learners for a significant pair
    t, cal = model._tables, model.calibration_
    want = doubt_tables(t.cond_attempts, t.cond_successes, t.cond_tries, t.cond_first, t.cond_concentration,
                        cal.pass_value, cal.guess, cal.slip, CONDITIONAL_Z)
    got = (t.doubt_fail, t.doubt_pass, t.doubt_start, t.doubt_step)
    for name, g, w in zip(("fail", "pass", "start", "step"), got, want):
        np.testing.assert_array_equal(g, w, err_msg=name)
    # the tables differ from each other, so a swap could not go unseen
    assert not np.array_equal(t.doubt_fail, t.doubt_pass) and not np.array_equal(t.doubt_start, t.doubt_step)
