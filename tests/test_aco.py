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


# ------------------------------------------------------------------ one greedy ant, by hand
def _one_greedy_ant(W, **kw):
    """One ant, one iteration, always the best transition (q0 = 1): the construction rule itself."""
    return aco_order(np.asarray(W, dtype=float), n_ants=1, n_iterations=1, q0=1.0, rng=0, **kw).order.tolist()


def test_the_start_row_follows_pheromone_times_heuristic():
    # path objective: from the start there is no arc value (eta = 1), so the start row of the heuristic
    # alone picks the first item; then the arcs' values: 2 -> 0 (5) before 2 -> 1 (1)
    W = [[0, 1, 1], [1, 0, 1], [5, 1, 0]]
    heur = np.ones((4, 3))
    heur[3] = [1, 1, 5]
    assert _one_greedy_ant(W, objective="path", heuristic=heur) == [2, 0, 1]


def test_two_items_with_negative_evidence_are_shifted_first():
    # the ratio heuristic needs W >= 0: with W shifted by its smallest off-diagonal entry, item 0 (whose
    # evidence for going first, -1, beats item 1's, -3) leads; unshifted, the ratio of two negative sums
    # would put item 1 first
    assert _one_greedy_ant([[0, -1], [-3, 0]]) == [0, 1]


@pytest.mark.parametrize("favour, beta, second", [(4.0, 1.0, 1), (4.0, 2.0, 1), (4.0, 4.0, 2), (2.0, 1.0, 1),
                                                  (2.0, 2.0, 2), (1.2, 0.0, 1), (1.2, 1.0, 2)])
def test_beta_weighs_the_arc_value_against_the_heuristic(favour, beta, second):
    # path objective; the start heuristic picks item 0. From 0 the arc values 11 and 19 plus eps (the mean
    # of the off-diagonal entries, 30 / 6 = 5) give eta = 16 and 24, and the heuristic favours 0 -> 1 by
    # ``favour``: favour * 16^beta against 24^beta. With 4: 64 > 24, 1024 > 576, 262144 < 331776; with 2:
    # 32 > 24, 512 < 576; with 1.2: 1.2 > 1 (beta 0: the arc values ignored), 19.2 < 24
    W = np.zeros((3, 3))
    W[0, 1], W[0, 2] = 11.0, 19.0
    heur = np.ones((4, 3))
    heur[3] = [10, 1, 1]
    heur[0, 1] = favour
    assert _one_greedy_ant(W, objective="path", heuristic=heur, beta=beta) == [0, second, 3 - second]
    if favour == 4.0 and beta == 2.0:  # the default beta is 2, the usual value of the Ant Colony System
        assert _one_greedy_ant(W, objective="path", heuristic=heur) == [0, second, 3 - second]


@pytest.mark.parametrize("top, favour, alpha, first", [(2.0, 3.0, 1.0, 1), (0.5, 1.8, 1.0, 0), (2.0, 3.0, 2.0, 0),
                                                     (2.0, 1.5, 0.0, 1), (2.0, 1.5, 1.0, 0)])
def test_a_given_tau_is_rescaled_to_tau0_and_one(top, favour, alpha, first):
    # two items, tau0 = 1/2: a start row (top, 0) becomes (1, 1/2) whatever its top; against a start
    # heuristic (1, favour) the weights are 1 and favour * (1/2)^alpha: 1.5 > 1 and 0.9 < 1 (alpha 1),
    # 0.75 < 1 (alpha 2), 1.5 > 1 (alpha 0: the pheromone ignored) and 0.75 < 1 (alpha 1)
    tau = np.zeros((3, 2))
    tau[2] = [top, 0.0]
    heur = np.ones((3, 2))
    heur[2] = [1.0, favour]
    got = _one_greedy_ant([[0, 1], [1, 0]], objective="path", tau=tau, heuristic=heur, alpha=alpha)
    assert got == [first, 1 - first]


def test_arc_matrices_of_every_accepted_shape():
    from poem.ordering.aco import _as_arc_matrix

    square = _as_arc_matrix(np.full((3, 3), 2.0), 3, "tau")       # (n, n): a start row of ones is added
    assert square.shape == (4, 3) and (square[:3] == 2).all() and (square[3] == 1).all()
    vector = _as_arc_matrix(np.array([1.0, 2.0, 3.0]), 3, "tau")  # (n,): the same for every origin
    assert vector.shape == (4, 3) and (vector == [1, 2, 3]).all()
    with pytest.raises(ParameterError, match=r"tau must have shape \(3,\), \(3, 3\) or \(4, 3\); got \(2, 3\)"):
        _as_arc_matrix(np.ones((2, 3)), 3, "tau")


def test_tau0_is_one_over_n():
    # three items, tau0 = 1/3: a start row (1, 0, 0) becomes (1, 1/3, 1/3); against a start heuristic
    # (1, 2.5, 1) the weights are 1, 5/6 and 1/3: item 0 leads (with tau0 = 2/3, item 1 would: 5/3 > 1)
    tau = np.zeros((4, 3))
    tau[3] = [1.0, 0.0, 0.0]
    heur = np.ones((4, 3))
    heur[3] = [1.0, 2.5, 1.0]
    assert _one_greedy_ant(np.ones((3, 3)), objective="path", tau=tau, heuristic=heur)[0] == 0


def test_parameter_bounds_accept_their_ends():
    W = np.ones((3, 3))
    for kw in ({"q0": 0.0}, {"q0": 1.0}, {"alpha": 0.0}, {"beta": 0.0}, {"alpha": 0.5, "beta": 0.5},
               {"rho": 1.0, "xi": 1.0}):
        assert sorted(aco_order(W, n_ants=2, n_iterations=2, rng=0, **kw).order.tolist()) == [0, 1, 2]
    with pytest.raises(ParameterError, match="alpha and beta must be >= 0"):
        aco_order(W, beta=-0.1)


def test_an_empty_problem_has_an_empty_answer():
    result = aco_order(np.zeros((0, 0)))
    assert result.order.size == 0 and result.objective == 0.0 and result.history.size == 0


def test_path_objective_adds_the_start_of_the_first_item():
    assert path_objective([[0, 2], [5, 0]], [1, 0], start=[10, 20]) == 25.0
    assert path_objective([[0, 2], [5, 0]], [0], start=[10, 20]) == 10.0


def test_an_all_zero_tau_is_the_uniform_start():
    W = np.random.default_rng(5).random((6, 6))
    base = aco_order(W, n_ants=4, n_iterations=3, rng=2)
    zero = aco_order(W, n_ants=4, n_iterations=3, rng=2, tau=np.zeros((7, 6)))  # start row included
    assert zero.order.tolist() == base.order.tolist() and np.array_equal(zero.history, base.history)


def test_improve_is_off_by_default_and_polishes_when_asked():
    # one greedy ant on a random matrix leaves room for the insertion search; the default does not use it
    W = np.random.default_rng(11).random((9, 9))
    plain = aco_order(W, n_ants=1, n_iterations=1, q0=1.0, rng=0)
    assert plain.order.tolist() == aco_order(W, n_ants=1, n_iterations=1, q0=1.0, rng=0, improve=False).order.tolist()
    polished = aco_order(W, n_ants=1, n_iterations=1, q0=1.0, rng=0, improve=True)
    assert polished.objective > plain.objective
    # the insertion search is a LOP move: a path objective is never "improved" with it
    path = aco_order(W, n_ants=1, n_iterations=1, q0=1.0, rng=0, objective="path")
    assert path.order.tolist() == aco_order(W, n_ants=1, n_iterations=1, q0=1.0, rng=0, objective="path",
                                            improve=True).order.tolist()


def test_a_heuristic_of_zeros_still_gives_a_permutation():
    # every transition weight is 0: the colony still orders every item once (the first unvisited one)
    W = np.random.default_rng(2).random((4, 4))
    for objective in ("lop", "path"):
        got = aco_order(W, n_ants=3, n_iterations=2, rng=1, heuristic=np.zeros(4), objective=objective)
        assert sorted(got.order.tolist()) == [0, 1, 2, 3]
