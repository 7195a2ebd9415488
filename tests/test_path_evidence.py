"""The path evidence beyond precedence (poem.ordering.evidence, poem.paths.path_evidence): hand-checked
counts, the reversal it fixes, the pairs it must leave alone, invariants and reproducibility."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.antcolony import ManHill
from poem.errors import NotFittedError, ParameterError
from poem.ordering.evidence import depth_prior, failure_counts, failure_evidence, failure_pass, signed_z
from poem.paths import (PATH_EVIDENCE_DEFAULTS, learning_path, path_evidence, path_objective,
                        precedence_evidence)
from poem.traces import Traces


def traces_of(rows) -> Traces:
    """``rows`` = (learner, item, score) in time order per learner."""
    frame = pd.DataFrame(rows, columns=["learner", "item", "score"])
    frame["timestamp"] = pd.to_datetime(range(len(frame)), unit="h", utc=True)
    return Traces.from_frame(frame)


def reference_failure_counts(traces: Traces) -> np.ndarray:
    """F[i, j] recomputed in plain Python from the events: learners with a success on i and attempts on j
    that never succeeded (independent of the compiled kernel)."""
    n = traces.n_items
    F = np.zeros((n, n))
    for learner in np.unique(traces.learner):
        mask = traces.learner == learner
        items, scores = traces.item[mask], traces.score[mask]
        scored = ~np.isnan(scores)
        won = {int(i) for i, s in zip(items[scored], scores[scored]) if s >= 0.5}
        lost = {int(i) for i in items[scored]} - won
        for i in won:
            for j in lost:
                F[i, j] += 1
    return F


def test_failure_pass_hand_checked():
    # learner 0: a ok, b fail, c fail, c ok -> a and c mastered (c in the end), b failed only: F[a,b], F[c,b]
    # learner 1: b fail, a NaN (no evidence), c ok, b fail -> c mastered, b failed only: F[c,b]; a unscored
    item = np.array([0, 1, 2, 2, 1, 0, 2, 1], np.int32)
    score = np.array([1.0, 0.0, 0.0, 1.0, 0.0, np.nan, 1.0, 0.0])
    F = failure_pass(item, score, np.array([0, 4, 8]), 3, 0.5)
    assert F.tolist() == [[0, 1, 0], [0, 0, 0], [0, 2, 0]]


def test_failure_counts_match_a_plain_recount():
    rng = np.random.default_rng(3)
    rows = [(f"u{k}", f"i{rng.integers(6)}", float(rng.random() < 0.5)) for k in range(30) for _ in range(8)]
    traces = traces_of(rows)
    model = ManHill().fit(traces)
    assert np.array_equal(failure_counts(model), reference_failure_counts(traces))


def _reversal_course():
    """``a`` is a prerequisite of ``b`` but no learner masters both: three master a and get stuck at b.
    Two unrelated learners leave precedence b -> c and c -> a (the order they browsed in), which chains
    b before a when nothing speaks for the pair itself."""
    rows = [("u1", "b", 1.0), ("u1", "c", 1.0), ("u2", "c", 1.0), ("u2", "a", 1.0)]
    rows += [(f"v{k}", item, s) for k in range(3) for item, s in (("a", 1.0), ("b", 0.0))]
    return traces_of(rows)


def test_the_failure_signal_fixes_a_reversal_precedence_makes():
    model = ManHill().fit(_reversal_course())
    assert list(model.items_) == ["a", "b", "c"]
    P = model.precedence_
    assert P[0, 1] == P[1, 0] == 0 and P[1, 2] == 1 and P[2, 0] == 1
    alone = learning_path(model, method="lop", rng=0, failure_weight=0, depth_weight=0)
    assert alone.items == ["b", "c", "a"]                 # the chain b -> c -> a puts b before a
    path = learning_path(model, method="lop", rng=0)
    assert path.items.index("a") < path.items.index("b")
    assert path.objective > path_objective(model, alone.items)
    # the evidence on (a, b): z = (3 - 0) / sqrt(3 + 1) = 1.5, minus the 0.5 threshold, plus the 1 %
    # tie-break; the depth prior adds 0.1 * (d_b - d_a) standardised (b is failed, a passed: b harder)
    W = path_evidence(model, depth_weight=0)
    assert W[0, 1] == pytest.approx(PATH_EVIDENCE_DEFAULTS["failure_weight"] * (1.5 - 0.5 + 0.015))
    assert W[1, 0] == 0
    assert path_evidence(model)[0, 1] > W[0, 1]
    # pairs precedence has a learner on keep exactly the precedence evidence
    assert path_evidence(model)[1, 2] == precedence_evidence(model)[1, 2]
    assert path_evidence(model)[2, 0] == precedence_evidence(model)[2, 0]


def test_pairs_precedence_has_learners_on_are_left_to_precedence():
    # a then b mastered by one learner (precedence a -> b); three learners master b and fail a
    rows = [("u0", "a", 1.0), ("u0", "b", 1.0)]
    rows += [(f"v{k}", item, s) for k in range(3) for item, s in (("b", 1.0), ("a", 0.0))]
    model = ManHill().fit(traces_of(rows))
    F = failure_counts(model)
    assert F[1, 0] == 3 and F[0, 1] == 0                  # the failure signal says b before a
    assert np.array_equal(path_evidence(model), precedence_evidence(model))
    assert learning_path(model, method="lop", rng=0).items == ["a", "b"]


def test_depth_prior_orders_the_easy_item_first_when_nothing_else_does():
    class Colony:
        items_ = np.array(["hard", "easy", "mid"], dtype=object)
        item_difficulty_ = np.array([2.0, -1.0, 0.5])

    D = depth_prior(Colony)
    assert np.all(np.diag(D) == 0) and np.all(D >= 0)
    assert np.all((D == 0) | (D.T == 0))
    assert D[1, 0] > D[2, 0] > 0 and D[1, 2] > 0
    order = np.argsort(-(D.sum(axis=1) - D.sum(axis=0)))
    assert [Colony.items_[k] for k in order] == ["easy", "mid", "hard"]

    class Unseen(Colony):
        item_attempts_ = np.array([5, 0, 3])           # nobody attempted "easy": its rating is no measure

    D = depth_prior(Unseen)
    assert not D[1].any() and not D[:, 1].any() and D[2, 0] > 0

    class Flat:
        items_ = np.array(["a", "b"], dtype=object)
        item_difficulty_ = np.array([0.3, 0.3])

    assert not depth_prior(Flat).any()


def test_weights_zero_give_precedence_alone_and_objectives_agree(chain_course):
    model = chain_course
    assert np.array_equal(path_evidence(model, failure_weight=0, depth_weight=0), precedence_evidence(model))
    path = learning_path(model, method="lop", rng=0)
    assert path_objective(model, path) == pytest.approx(path.objective)
    assert path.meta["evidence"]["failure_weight"] == PATH_EVIDENCE_DEFAULTS["failure_weight"]


@pytest.fixture(scope="module")
def chain_course():
    rng = np.random.default_rng(0)
    chain = ["c0", "c1", "c2", "c3", "c4", "c5"]
    rows = []
    for k in range(60):
        level = 0
        for _ in range(6):
            j = int(rng.integers(len(chain)))
            ok = j <= level and rng.random() < 0.9 or rng.random() < 0.1
            level += int(ok and j == level)
            rows.append((f"u{k}", chain[j], float(ok)))
    return ManHill().fit(traces_of(rows))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 9), st.sampled_from(["lop", "aco", "greedy", "topological"]))
def test_any_course_gives_a_permutation_and_the_same_path_for_the_same_seed(seed, n_items, method):
    rng = np.random.default_rng(seed)
    rows = [(f"u{k}", f"i{rng.integers(n_items)}", float(rng.random() < 0.5)) for k in range(15)
            for _ in range(int(rng.integers(1, 6)))]
    model = ManHill().fit(traces_of(rows))
    W = path_evidence(model)
    assert np.all(W >= 0) and np.all(np.diag(W) == 0) and np.all(np.isfinite(W))
    options = {"n_iterations": 3} if method in ("lop", "aco") else {}
    a = learning_path(model, method=method, rng=seed, **options)
    b = learning_path(model, method=method, rng=seed, **options)
    assert sorted(a.items) == sorted(str(x) for x in model.items_)
    assert a.items == b.items and a.objective == b.objective


def test_a_saved_colony_gives_the_same_path(tmp_path):
    model = ManHill().fit(_reversal_course())
    model.save(tmp_path / "colony")
    back = ManHill.load(tmp_path / "colony")
    assert np.array_equal(failure_counts(back), failure_counts(model))
    assert learning_path(back, method="lop", rng=0).items == learning_path(model, method="lop", rng=0).items


def test_signed_z_and_failure_evidence_shapes():
    z = signed_z(np.array([[0.0, 3.0], [1.0, 0.0]]))
    assert z[0, 1] == pytest.approx(2 / np.sqrt(5)) and z[1, 0] == pytest.approx(-z[0, 1])
    model = ManHill().fit(_reversal_course())
    E = failure_evidence(model, threshold=0.0, tie_break=0.0)
    assert E[0, 1] == pytest.approx(1.5) and E[1, 0] == 0


def test_errors_name_the_problem():
    model = ManHill().fit(_reversal_course())
    with pytest.raises(ParameterError, match="failure_weight"):
        path_evidence(model, failure_weight=-1)
    with pytest.raises(ParameterError, match="depth_weight"):
        learning_path(model, depth_weight=float("nan"))

    class Colony:
        items_ = np.array(["a", "b"], dtype=object)
        precedence_ = np.zeros((2, 2))

    with pytest.raises(NotFittedError, match="failure_weight=0"):
        failure_counts(Colony)
    assert not path_evidence(Colony, failure_weight=0, depth_weight=0).any()

    class Bad:
        items_ = np.array(["a", "b"], dtype=object)
        item_difficulty_ = np.array([1.0])

    with pytest.raises(ParameterError, match="one value per item"):
        depth_prior(Bad)


@pytest.mark.parametrize("name", ["poem.ordering.evidence", "poem.paths"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_step_evidence_stays_on_observed_mastery():
    # the report reads evidence_for > 0 as "placed by observed mastery": the failure signal and the depth
    # prior must not count there
    model = ManHill().fit(_reversal_course())
    path = learning_path(model, method="lop", rng=0)
    steps = path.steps.set_index("item")
    W = precedence_evidence(model)
    index = {str(x): k for k, x in enumerate(model.items_)}
    for k, item in enumerate(path.items):
        before = [index[x] for x in path.items[:k]]
        assert steps.loc[item, "evidence_for"] == pytest.approx(W[before, index[item]].sum())
    # a placed before b by the failure signal: the path evidence has it, the step evidence does not
    assert path_evidence(model)[index["a"], index["b"]] > 0 == W[index["a"], index["b"]]


def test_failure_pass_score_exactly_at_mastery_is_a_success():
    # learner: a at exactly the mastery score (a success), b failed: F[a, b] = 1; one notch below, no success
    item = np.array([0, 1], np.int32)
    bounds = np.array([0, 2])
    assert failure_pass(item, np.array([0.5, 0.0]), bounds, 2, 0.5).tolist() == [[0, 1], [0, 0]]
    assert failure_pass(item, np.array([0.4999, 0.0]), bounds, 2, 0.5).tolist() == [[0, 0], [0, 0]]


def test_signed_z_diagonal_and_pairs_without_counts():
    # an item's count against itself is no evidence; a pair nobody counted is 0, even without smoothing
    C = np.array([[5.0, 4.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    z = signed_z(C, smoothing=0.0)
    assert np.diag(z).tolist() == [0.0, 0.0, 0.0]
    assert z[0, 2] == 0.0 and z[2, 0] == 0.0 and z[1, 2] == 0.0 and not np.isnan(z).any()
    assert z[0, 1] == pytest.approx(4 / np.sqrt(4)) and z[1, 0] == pytest.approx(-2.0)


def test_depth_prior_of_a_colony_without_difficulties_is_empty():
    class Nothing:
        pass

    assert depth_prior(Nothing).shape == (0, 0)


def test_failure_counts_default_mastery_is_one_half():
    # a colony-like object without a mastery attribute reads a score of 0.75 as a success (mastery 0.5)
    t = traces_of([("u", "a", 0.75), ("u", "b", 0.0)])
    state = ManHill().fit(t).state_

    class Bare:
        pass

    Bare.state_ = state
    assert failure_counts(Bare).tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_path_evidence_weights_are_validated_and_each_counts_alone():
    model = ManHill().fit(_reversal_course())
    for bad in ("x", None, True):
        with pytest.raises(ParameterError, match="failure_weight"):
            path_evidence(model, failure_weight=bad)
    base = path_evidence(model, failure_weight=0, depth_weight=0)
    # depth alone (no failure evidence) still adds to the pairs precedence leaves empty, and so does failure
    assert (path_evidence(model, failure_weight=0, depth_weight=1.0) != base).any()
    assert (path_evidence(model, failure_weight=1.0, depth_weight=0) != base).any()


def test_a_zero_weight_needs_nothing_of_its_evidence():
    # a colony-like object with the state (failure evidence) but no difficulties: depth_weight=0 reads no
    # difficulty, so it is fine; asking for depth then names the missing difficulties
    model = ManHill().fit(_reversal_course())

    class NoDepth:
        items_ = model.items_
        precedence_ = model.precedence_
        state_ = model.state_

    W = path_evidence(NoDepth, failure_weight=1.0, depth_weight=0)
    np.testing.assert_array_equal(W, path_evidence(model, failure_weight=1.0, depth_weight=0))
    with pytest.raises(ParameterError, match="item_difficulty_"):
        path_evidence(NoDepth, failure_weight=1.0, depth_weight=1.0)


def test_precedence_evidence_without_smoothing_is_zero_on_empty_pairs():
    # smoothing 0: the z-score of a pair nobody ordered (P + P^T = 0) is 0, not 0 / 0; a: 9 before b -> 3
    class Colony:
        precedence_ = np.array([[0.0, 9.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])

    W = precedence_evidence(Colony, threshold=0.0, smoothing=0.0, tie_break=0.0)
    np.testing.assert_array_equal(W, [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
