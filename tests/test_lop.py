"""Linear ordering: exact DP against brute force, local search invariants, iterated search quality."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from poem.errors import ParameterError
from poem.ordering.lop import (borda_order, check_order, local_search, lop_exact, lop_objective, solve_lop)


def brute_force(W):
    n = W.shape[0]
    return max(lop_objective(W, p) for p in itertools.permutations(range(n)))


def matrices(max_n=7):
    return st.integers(2, max_n).flatmap(
        lambda n: arrays(np.float64, (n, n), elements=st.floats(0, 10, allow_nan=False, width=32)))


def test_objective_hand_checked():
    W = np.array([[0, 3, 1], [0, 0, 2], [2, 0, 0]], dtype=float)
    assert lop_objective(W, [0, 1, 2]) == 3 + 1 + 2
    assert lop_objective(W, [2, 1, 0]) == 0 + 2 + 0
    assert lop_objective(W, [1, 2]) == 2  # a sub-order only counts its own pairs


def test_objective_of_reverse_is_complement():
    rng = np.random.default_rng(0)
    W = rng.random((9, 9))
    order = rng.permutation(9)
    total = W.sum() - np.trace(W)
    assert lop_objective(W, order) + lop_objective(W, order[::-1]) == pytest.approx(total)


@pytest.mark.parametrize("n", range(1, 9))
def test_exact_matches_brute_force(n):
    rng = np.random.default_rng(n)
    for _ in range(3):
        W = rng.integers(0, 6, size=(n, n)).astype(float)
        result = lop_exact(W)
        assert sorted(result.order.tolist()) == list(range(n))
        assert result.objective == pytest.approx(brute_force(W))
        assert result.objective == pytest.approx(lop_objective(W, result.order))


@settings(max_examples=40, deadline=None)
@given(matrices(7), st.integers(0, 2**31))
def test_iterated_search_finds_brute_force_optimum_on_tiny(W, seed):
    result = solve_lop(W, rng=seed, exact_max_n=0, n_iterations=60)
    assert result.method == "ils"
    assert result.objective == pytest.approx(brute_force(W), abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(matrices(12), st.sampled_from(["insertion", "swap", "both"]), st.integers(0, 1000))
def test_local_search_never_worsens_and_keeps_permutation(W, neighbourhood, seed):
    n = W.shape[0]
    start = np.random.default_rng(seed).permutation(n)
    start_copy = start.copy()
    improved = local_search(W, start, neighbourhood=neighbourhood)
    assert np.array_equal(start, start_copy)  # the caller's order is untouched
    assert sorted(improved.tolist()) == list(range(n))
    assert lop_objective(W, improved) >= lop_objective(W, start) - 1e-6


def test_insertion_local_optimum_has_no_improving_move():
    rng = np.random.default_rng(5)
    W = rng.random((25, 25))
    order = local_search(W, rng.permutation(25))
    value = lop_objective(W, order)
    for p in range(25):
        for q in range(25):
            moved = order.tolist()
            moved.insert(q, moved.pop(p))
            assert lop_objective(W, moved) <= value + 1e-9


def test_acyclic_evidence_recovers_its_topological_order():
    # evidence only along a hidden order: the optimum is that order and the search must find it
    rng = np.random.default_rng(2)
    hidden = rng.permutation(40)
    W = np.zeros((40, 40))
    for a in range(40):
        for b in range(a + 1, 40):
            W[hidden[a], hidden[b]] = rng.random() + 0.1
    result = solve_lop(W, rng=0)
    assert result.order.tolist() == hidden.tolist()


def test_same_seed_same_order_and_objective_recomputes():
    W = np.random.default_rng(9).random((60, 60))
    a = solve_lop(W, rng=4, n_iterations=30)
    b = solve_lop(W, rng=4, n_iterations=30)
    assert a.order.tolist() == b.order.tolist()
    assert a.objective == pytest.approx(lop_objective(W, a.order))
    assert a.objective >= lop_objective(W, borda_order(W)) - 1e-9


def test_borda_start_is_deterministic_on_ties():
    assert borda_order(np.zeros((4, 4))).tolist() == [0, 1, 2, 3]


def test_validation_names_the_problem():
    with pytest.raises(ParameterError, match="square"):
        solve_lop(np.zeros((2, 3)))
    with pytest.raises(ParameterError, match="finite"):
        solve_lop(np.array([[0, np.nan], [1, 0]]))
    with pytest.raises(ParameterError, match="permutation"):
        check_order([0, 0, 1], 3)
    with pytest.raises(ParameterError, match="neighbourhood"):
        local_search(np.zeros((3, 3)), [0, 1, 2], neighbourhood="2-opt")
    with pytest.raises(ParameterError, match="at most"):
        lop_exact(np.zeros((21, 21)))
    for bad in (-1, 2.5, "10", float("nan")):
        with pytest.raises(ParameterError, match="n_iterations"):
            solve_lop(np.zeros((12, 12)), n_iterations=bad)
    W = np.random.default_rng(5).random((12, 12))
    assert solve_lop(W, rng=2, n_iterations=7.0).order.tolist() == solve_lop(W, rng=2, n_iterations=7).order.tolist()


def test_borda_order_ranks_by_net_evidence_by_hand():
    # net = row sum - column sum: item 0: 1 - 5 = -4, item 1: 5 - 2 = 3, item 2: 2 - 1 = 1
    W = np.array([[0, 0, 1], [4, 0, 1], [1, 2, 0.]])
    assert borda_order(W).tolist() == [1, 2, 0]


def test_non_finite_error_names_the_cell_and_zero_iterations_are_allowed():
    W = np.zeros((3, 3))
    W[0, 2] = np.nan
    with pytest.raises(ParameterError, match=r"W\[0, 2\] = nan"):
        borda_order(W)
    W = np.array([[0, 1, 0], [0, 0, 3], [2, 0, 0.]])
    result = solve_lop(W, n_iterations=0, rng=0, exact_max_n=0)
    assert sorted(result.order.tolist()) == [0, 1, 2]


def test_two_items_are_put_in_order_by_local_search():
    W = np.array([[0, 1], [5, 0.]])
    for neighbourhood in ("insertion", "swap", "both"):
        assert local_search(W, [0, 1], neighbourhood=neighbourhood).tolist() == [1, 0]


def test_swap_local_optimum_has_no_improving_swap():
    # the swap search repeats its pass until nothing gains: no single exchange improves the result
    rng = np.random.default_rng(3)
    n_checked = 0
    for _ in range(10):
        W = rng.random((8, 8))
        np.fill_diagonal(W, 0)
        order = local_search(W, rng.permutation(8), neighbourhood="swap")
        best = lop_objective(W, order)
        for a, b in itertools.combinations(range(8), 2):
            other = order.copy()
            other[[a, b]] = other[[b, a]]
            assert lop_objective(W, other) <= best + 1e-9
            n_checked += 1
    assert n_checked == 280


def test_local_search_takes_no_tied_move_whatever_the_scale():
    # in tenths: [1, 0, 2, 3] is an insertion local optimum with ties (moving item 1 to the end gains
    # exactly 0); a tie is not a gain, so the search must leave the order alone at any scale, also where
    # the float sums of a tied move come out a few ulps above zero (large, non-round entries)
    T = np.array([[0, 2, 3, 2], [2, 0, 3, 0], [2, 2, 0, 2], [1, 1, 1, 0]])
    start = [1, 0, 2, 3]

    def exact(order):
        return sum(int(T[order[i], order[j]]) for i in range(4) for j in range(i + 1, 4))

    moves = []
    for p in range(4):
        for q in range(4):
            o = list(start)
            o.insert(q, o.pop(p))
            moves.append(exact(o) - exact(start))
    assert max(moves) == 0 and moves.count(0) > 4     # no move gains, and some tie (besides staying put)
    for scale in (1.0, 123456789.123):
        assert local_search(T / 10 * scale, start, neighbourhood="insertion").tolist() == start


def test_documented_default_exact_up_to_eight_items_search_beyond():
    rng = np.random.default_rng(3)
    assert solve_lop(rng.random((8, 8)), rng=0).method == "exact"
    nine = solve_lop(rng.random((9, 9)), rng=0, n_iterations=5)
    assert nine.method != "exact" and sorted(nine.order.tolist()) == list(range(9))


def test_insertion_pass_moves_an_item_to_the_front_by_hand():
    from poem.ordering.lop import _insertion_pass

    # W: c before a and c before b (1 each), nothing else. One pass over [a, b, c]: a's best move is to the
    # end, after c (gain 1): [b, c, a]; then c's best is the front, before b (gain 1): [c, b, a]; a stays.
    W = np.zeros((3, 3))
    W[2, 0] = W[2, 1] = 1.0
    order = np.arange(3, dtype=np.int64)
    assert _insertion_pass(W, order, 1e-9) == 2.0
    assert order.tolist() == [2, 1, 0]


def test_swap_pass_gain_by_hand():
    from poem.ordering.lop import _swap_pass

    # W: only c before a (1). Over [a, b, c]: swapping a and b gains 0 (not taken); swapping a and c flips
    # a-c (+1) and, for b between them, a-b and b-c (0 each): gain 1, taken -> [c, b, a]; then b and a: 0
    W = np.zeros((3, 3))
    W[2, 0] = 1.0
    order = np.arange(3, dtype=np.int64)
    assert _swap_pass(W, order, 1e-9) == 1.0
    assert order.tolist() == [2, 1, 0]


def test_perturbation_strength_default_and_bounds(monkeypatch):
    import poem.ordering.lop as lop

    # the documented default strength max(2, n // 20): 2 random insertions for 30 items, 3 for 60
    seen = []
    real = lop._perturb

    def spy(order, rng, strength):
        seen.append(strength)
        return real(order, rng, strength)

    monkeypatch.setattr(lop, "_perturb", spy)
    for n, expected in ((30, 2), (60, 3)):
        seen.clear()
        lop.solve_lop(np.random.default_rng(0).random((n, n)), rng=0, n_iterations=2)
        assert seen == [expected, expected]
    W = np.random.default_rng(1).random((10, 10))
    assert len(lop.solve_lop(W, rng=0, strength=1, n_iterations=3).order) == 10    # 1 is a valid strength
    with pytest.raises(ParameterError, match="strength"):
        lop.solve_lop(W, rng=0, strength=0)


def test_check_order_error_lists_at_most_ten_entries():
    from poem.ordering.lop import check_order

    with pytest.raises(ParameterError) as info:
        check_order(list(range(10, -1, -1))[:10] + [42], 11)      # 10, 9, ..., 1, 42: not a permutation
    assert str(info.value).endswith("[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]...")
    with pytest.raises(ParameterError) as info:
        check_order([9, 8, 7, 6, 5, 4, 3, 2, 1, 42], 10)
    assert str(info.value).endswith("[9, 8, 7, 6, 5, 4, 3, 2, 1, 42]")
