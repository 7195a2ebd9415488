"""Learner reliability in the precedence counts (poem.ordering.reliability) and its use in the path evidence
(poem.paths.path_evidence): hand-checked weights, the leave-one-out rule, a plain-Python reference of the
agreement counts, invariants, when it is on, and the saved colony's round trip."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.antcolony import ManHill
from poem.errors import NotFittedError, ParameterError
from poem.ordering.reliability import (agreement_counts, first_success_trails, learner_reliability, pair_counts,
                                       reliable_precedence)
from poem.paths import learning_path, path_evidence, precedence_evidence, uses_reliability
from poem.traces import Traces


def traces_of(rows) -> Traces:
    """``rows`` = (learner, item, score) in time order per learner."""
    frame = pd.DataFrame(rows, columns=["learner", "item", "score"])
    frame["timestamp"] = pd.to_datetime(range(len(frame)), unit="h", utc=True)
    return Traces.from_frame(frame)


def nine_and_one():
    """Nine learners master a, b, c in that order; one (``v``, last) masters c, b, a."""
    rows = [(f"u{k}", x, 1.0) for k in range(9) for x in "abc"] + [("v", x, 1.0) for x in "cba"]
    return ManHill().fit(traces_of(rows))


def test_a_learner_reversing_every_clear_pair_is_down_weighted_exactly():
    model = nine_and_one()
    # each u: 3 pairs, each 8 (without their own) against 1 -> z = 7 / sqrt(10) >= 1: 3 agreements;
    # v: each pair 0 (without v) against 9: 3 disagreements; pooled rate 27 / 30 = 0.9, prior 10:
    # u: p = (3 + 9) / 13 -> log 12; v: p = (0 + 9) / 13 -> log(9 / 4)
    w = learner_reliability(model)
    assert list(model.state_.learners[-1:]) == ["v"]
    np.testing.assert_allclose(w, [math.log(12)] * 9 + [math.log(9 / 4)])
    # the same weights are a fixed point: a third iteration changes nothing
    np.testing.assert_allclose(learner_reliability(model, iterations=3), w)
    # without the prior v's agreement is 0: no vote at all, and the nine keep equal votes
    w0 = learner_reliability(model, prior=0.0)
    assert w0[-1] == 0.0 and np.all(w0[:-1] == w0[0]) and w0[0] > 0


def test_reliable_precedence_exact_counts():
    model = nine_and_one()
    P = reliable_precedence(model)
    # 27 pairs weigh log 12, 3 pairs log 2.25, rescaled to the 30 pairs of precedence_
    scale = 30 / (27 * math.log(12) + 3 * math.log(9 / 4))
    a, b, c = (list(model.items_).index(x) for x in "abc")
    assert P[a, b] == pytest.approx(9 * math.log(12) * scale)
    assert P[b, a] == pytest.approx(math.log(9 / 4) * scale)
    assert P[a, c] == pytest.approx(P[a, b]) and P[c, b] == pytest.approx(P[b, a])
    assert P.sum() == pytest.approx(model.precedence_.sum())
    # the sign test reads the reversed learner as less: the a -> b evidence grows
    assert path_evidence(model, reliability=True)[a, b] > path_evidence(model, reliability=False)[a, b]


def test_a_learner_never_vouches_for_themselves():
    # pair (x, y) seen by u alone: without u's own pair it has no evidence, so it is no clear pair for u
    seq = np.array([0, 1], np.int64)
    bounds = np.array([0, 2], np.int64)
    C = pair_counts(seq, bounds, np.ones(1), 2)
    assert agreement_counts(seq, bounds, C, np.ones(1), 1.0).tolist() == [[0.0, 0.0]]
    # with two others before it (z = 2 / sqrt(3) >= 1) the pair is clear and u agrees
    C[0, 1] += 2
    assert agreement_counts(seq, bounds, C, np.ones(1), 1.0).tolist() == [[1.0, 0.0]]


def reference_agreement(trails, C, own, z_min):
    out = []
    for u, seq in enumerate(trails):
        agree = disagree = 0
        for a in range(len(seq)):
            for b in range(a + 1, len(seq)):
                i, j = seq[a], seq[b]
                forward, backward = max(C[i, j] - own[u], 0.0), C[j, i]
                z = (forward - backward) / math.sqrt(forward + backward + 1.0)
                agree += z >= z_min
                disagree += z <= -z_min
        out.append([agree, disagree])
    return out


logs = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 5), st.sampled_from([0.0, 1.0, 1.0, np.nan])),
                min_size=1, max_size=60)


@settings(max_examples=40, deadline=None)
@given(logs)
def test_trails_reproduce_precedence_and_agreement_matches_a_reference(rows):
    rows = [(f"l{u}", f"i{i}", s) for u, i, s in rows]
    model = ManHill().fit(traces_of(rows))
    seq, bounds = first_success_trails(model)
    n = len(model.items_)
    np.testing.assert_allclose(pair_counts(seq, bounds, np.ones(len(bounds) - 1), n), model.precedence_)
    trails = [seq[lo:hi].tolist() for lo, hi in zip(bounds[:-1], bounds[1:])]
    own = np.linspace(0.5, 1.5, len(trails))
    C = pair_counts(seq, bounds, own, n)
    assert agreement_counts(seq, bounds, C, own, 0.5).tolist() == reference_agreement(trails, C, own, 0.5)
    P = reliable_precedence(model)
    assert P.sum() == pytest.approx(model.precedence_.sum())
    assert np.all(P >= 0) and np.all(P[model.precedence_ == 0] == 0)


def test_no_clear_pair_leaves_precedence_as_it_is():
    # every pair is seen by one learner only: nobody can be judged
    model = ManHill().fit(traces_of([("u", "a", 1.0), ("u", "b", 1.0), ("v", "c", 1.0), ("v", "d", 1.0)]))
    assert learner_reliability(model).tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(reliable_precedence(model), model.precedence_)


def test_reliability_is_on_for_viewing_colonies_only_unless_asked():
    model = nine_and_one()
    assert model.history_reader_ is None and not uses_reliability(model)
    np.testing.assert_array_equal(path_evidence(model), path_evidence(model, reliability=False))
    assert not np.array_equal(path_evidence(model), path_evidence(model, reliability=True))
    assert learning_path(model, rng=0).meta["evidence"]["reliability"] is False
    assert learning_path(model, rng=0, reliability=True).meta["evidence"]["reliability"] is True
    # precedence alone still reads the counts through the same switch
    np.testing.assert_array_equal(path_evidence(model, failure_weight=0, depth_weight=0), precedence_evidence(model))


def test_viewing_colony_uses_reliability_and_keeps_it_when_saved(tmp_path):
    from poem.simulation.viewing import simulate_viewing

    vc = simulate_viewing(n_items=12, n_learners=150, seed=4)
    model = ManHill().fit(vc.to_traces(), catalog=vc.catalog)
    assert uses_reliability(model)
    W = path_evidence(model)
    np.testing.assert_array_equal(W, path_evidence(model, reliability=True))
    model.save(tmp_path / "colony.npz")
    loaded = ManHill.load(tmp_path / "colony.npz")
    np.testing.assert_allclose(path_evidence(loaded), W)
    assert learning_path(loaded, rng=0).items == learning_path(model, rng=0).items


def test_options_are_validated():
    model = nine_and_one()
    for bad in (-1.0, float("nan"), "1", True):
        with pytest.raises(ParameterError, match="prior"):
            learner_reliability(model, prior=bad)
        with pytest.raises(ParameterError, match="z_min"):
            learner_reliability(model, z_min=bad)
    for bad in (0, 1.5, True):
        with pytest.raises(ParameterError, match="iterations"):
            learner_reliability(model, iterations=bad)
    with pytest.raises(ParameterError, match="reliability"):
        path_evidence(model, reliability="yes")
    with pytest.raises(NotFittedError):
        learner_reliability(ManHill())


def test_the_kernels_small_cases_by_hand():
    from poem.ordering.reliability import _rescaled, trails_pass

    # a score equal to the mastery threshold is a success (as for precedence_); learner 0: a (0.5), b (0.4),
    # c (1); learner 1: c, then a twice (only the first success counts)
    item = np.array([0, 1, 2, 2, 0, 0])
    seq, bounds = trails_pass(item, np.array([0.5, 0.4, 1.0, 1.0, 1.0, 1.0]), np.array([0, 3, 6]), 0.5)
    assert seq.tolist() == [0, 2, 2, 0] and bounds.tolist() == [0, 2, 4]
    # a learner of weight 0 adds nothing, and the learners after them still count
    C = pair_counts(seq, bounds, np.array([0.0, 2.0]), 3)
    assert C.tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    # rescaled to a total, whatever the size of the sum (below 1 too); an empty matrix stays as it is
    assert _rescaled(np.array([[0.0, 0.5], [0.25, 0.0]]), 3.0).tolist() == [[0.0, 2.0], [1.0, 0.0]]
    assert _rescaled(np.zeros((2, 2)), 3.0).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def reference_reliability(trails, n, iterations=2, prior=10.0, z_min=1.0):
    """:func:`learner_reliability` re-derived in plain Python from its docstring, on the trails."""
    pairs = [len(t) * (len(t) - 1) / 2 for t in trails]

    def counts(w):
        C = np.zeros((n, n))
        for u, t in enumerate(trails):
            for a in range(len(t)):
                for b in range(a + 1, len(t)):
                    C[t[a], t[b]] += w[u]
        return C

    w = [1.0] * len(trails)
    C = counts(w)
    total = C.sum()
    if total == 0:
        return np.ones(len(trails))
    for _ in range(iterations):
        scale = total / sum(wu * pu for wu, pu in zip(w, pairs))
        agree, disagree = np.array(reference_agreement(trails, C, [wu * scale for wu in w], z_min), float).T
        clear = agree + disagree
        if clear.sum() == 0:
            return np.ones(len(trails))
        rate = agree.sum() / clear.sum()
        p = np.array([(a + prior * rate) / (c + prior) if c + prior > 0 else rate for a, c in zip(agree, clear)])
        p = np.clip(p, 1e-12, 1 - 1e-12)
        new = [max(math.log(q / (1 - q)), 0.0) for q in p]
        if not any(x * y for x, y in zip(new, pairs)):
            return np.ones(len(trails))
        w = new
        C = counts(w)
        C = C * (total / C.sum())
    return np.array(w)


@pytest.mark.parametrize("seed, options", [(0, {}), (1, {"iterations": 1}), (2, {"iterations": 3, "prior": 0.0}),
                                           (3, {"z_min": 0.5, "prior": 4.0}), (4, {"z_min": 2.0})])
def test_reliability_and_reliable_precedence_match_a_reference(seed, options):
    # 40 learners over 7 items: most master them near one order (a couple of swaps), a quarter in a shuffled
    # order; some attempts fail, some score exactly the colony's mastery (a success), some are unscored
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(40):
        order = list(range(7))
        if u % 4 == 0:
            rng.shuffle(order)
        else:
            for _ in range(2):
                k = rng.integers(0, 6)
                order[k], order[k + 1] = order[k + 1], order[k]
        for i in order[: rng.integers(3, 8)]:
            rows += [(f"l{u:02d}", f"i{i}", s) for s in rng.choice([0.0, 0.5, 1.0, 1.0, np.nan], 2)]
    model = ManHill().fit(traces_of(rows))
    seq, bounds = first_success_trails(model)
    trails = [seq[lo:hi].tolist() for lo, hi in zip(bounds[:-1], bounds[1:])]
    n = len(model.items_)
    expected = reference_reliability(trails, n, **options)
    got = learner_reliability(model, **options)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert np.all(np.isfinite(got))                         # prior 0: a learner without a clear pair too
    assert len(set(np.round(got, 9))) > 3                  # the learners are told apart
    # reliable precedence: each pair's count scaled by its weighted over its plain count, same total
    plain = pair_counts(seq, bounds, np.ones(len(trails)), n)
    weighted = pair_counts(seq, bounds, got, n)
    P = model.precedence_
    ratio = np.divide(weighted, plain, out=np.ones_like(plain), where=plain > 0)
    np.testing.assert_allclose(reliable_precedence(model, **options), P * ratio * (P.sum() / (P * ratio).sum()))
