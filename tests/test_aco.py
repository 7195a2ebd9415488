"""Ant Colony System over a matrix: invariants, reproducibility, known optima, validation."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from poem.ordering.aco import aco_order, path_objective
from poem.errors import ParameterError
from poem.ordering.lop import lop_exact, lop_objective


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 15).flatmap(
    lambda n: arrays(np.float64, (n, n), elements=st.floats(-5, 5, allow_nan=False, width=32))),
       st.sampled_from(["lop", "path"]), st.integers(0, 10_000))
def test_result_is_a_permutation_with_recomputed_objective(W, objective, seed):
    n = W.shape[0]
    result = aco_order(W, n_ants=4, n_iterations=3, objective=objective, rng=seed)
    assert sorted(result.order.tolist()) == list(range(n))
    score = lop_objective if objective == "lop" else path_objective
    assert result.objective == pytest.approx(score(W, result.order), abs=1e-6)
    assert np.all(np.diff(result.history) >= -1e-9)  # best-so-far never decreases
    assert result.history[-1] == pytest.approx(result.objective, abs=1e-6)


def test_same_seed_same_order_different_seed_explores():
    W = np.random.default_rng(1).random((30, 30))
    a = aco_order(W, n_ants=6, n_iterations=4, q0=0.5, rng=11)
    b = aco_order(W, n_ants=6, n_iterations=4, q0=0.5, rng=11)
    assert a.order.tolist() == b.order.tolist() and a.objective == b.objective
    others = {tuple(aco_order(W, n_ants=6, n_iterations=4, q0=0.5, rng=s).order) for s in range(5)}
    assert len(others) > 1


def test_finds_unique_optimum_of_a_total_order():
    rng = np.random.default_rng(3)
    hidden = rng.permutation(20)
    W = np.zeros((20, 20))
    for a, b in itertools.combinations(range(20), 2):
        W[hidden[a], hidden[b]] = 1.0
    result = aco_order(W, n_ants=10, n_iterations=10, rng=0)
    assert result.order.tolist() == hidden.tolist()


def test_reaches_exact_optimum_on_small_random_matrices():
    rng = np.random.default_rng(4)
    for _ in range(5):
        W = rng.random((7, 7))
        best = lop_exact(W).objective
        assert aco_order(W, n_ants=10, n_iterations=30, rng=1).objective == pytest.approx(best)


def test_improve_is_at_least_as_good_and_shift_invariant():
    W = np.random.default_rng(5).random((40, 40))
    plain = aco_order(W, n_ants=8, n_iterations=5, rng=2)
    polished = aco_order(W, n_ants=8, n_iterations=5, rng=2, improve=True)
    assert polished.objective >= plain.objective - 1e-9
    shifted = aco_order(W + 7.0, n_ants=8, n_iterations=5, rng=2)
    assert shifted.order.tolist() == plain.order.tolist()


def test_path_objective_follows_a_heavy_chain():
    n = 8
    W = np.zeros((n, n))
    for k in range(n - 1):
        W[k, k + 1] = 10.0
    start = np.zeros(n)
    start[0] = 1.0
    result = aco_order(W, objective="path", tau=np.vstack([np.full((n, n), 0.1), start]),
                       n_ants=8, n_iterations=10, rng=0)
    assert result.order.tolist() == list(range(n))
    assert result.objective == 70.0


def test_static_heuristic_steers_ties():
    # no evidence at all: only the static heuristic (favouring high indices first) decides
    W = np.zeros((5, 5))
    result = aco_order(W, heuristic=np.array([1, 2, 3, 4, 5.0]), q0=1.0, n_ants=2, n_iterations=2, rng=0)
    assert result.order.tolist() == [4, 3, 2, 1, 0]


def test_empty_and_single():
    assert aco_order(np.zeros((0, 0))).order.tolist() == []
    assert aco_order(np.zeros((1, 1))).order.tolist() == [0]


def test_integral_float_sizes_equal_int_sizes():
    W = np.random.default_rng(2).random((9, 9))
    a = aco_order(W, n_ants=4.0, n_iterations=3.0, rng=1)
    b = aco_order(W, n_ants=4, n_iterations=3, rng=1)
    assert a.order.tolist() == b.order.tolist() and len(a.history) == 3


@pytest.mark.parametrize("kwargs, match", [
    ({"q0": 1.5}, "q0"), ({"n_ants": 0}, "n_ants"), ({"objective": "tsp"}, "objective"),
    ({"n_ants": 2.5}, "n_ants"), ({"n_iterations": float("nan")}, "n_iterations"), ({"n_ants": "3"}, "n_ants"),
    ({"tau": np.ones(3)}, "tau"), ({"heuristic": -np.ones(4)}, "heuristic"), ({"alpha": -1}, "alpha"),
])
def test_validation_names_the_parameter(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        aco_order(np.zeros((4, 4)), **kwargs)
