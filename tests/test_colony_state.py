"""ColonyState, the colony's mergeable sums: the empty state is the neutral element of ``+``, parameters
and vocabularies are reconciled, ``sum`` starts from 0, reindexing moves every count with its item."""

import numpy as np
import pandas as pd
import pytest

from poem.antcolony import ManHill
from poem.colony.state import ColonyState
from poem.errors import ParameterError
from poem.traces import Traces

ARC = ("phi_plus", "phi_minus", "arc_visits", "arc_learners")
PAIR = ("precedence", "cond_attempts", "cond_successes")
ITEM = ("cond_tries", "cond_first", "item_attempts", "item_successes", "item_learners", "item_events",
        "item_masters")


def _traces(rows):
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="h", utc=True)
    return Traces.from_frame(frame)


A = _traces([("u", "a", 0, 1.0), ("u", "b", 1, 0.0), ("u", "b", 2, 1.0), ("w", "b", 0, 1.0)])
B = _traces([("v", "c", 5, 1.0), ("v", "b", 6, 1.0)])


def _same(x, y):
    assert list(x.items) == list(y.items) and list(x.learners) == list(y.learners) and x.params == y.params
    for name in ARC + PAIR + ITEM + ("log_item", "log_score", "log_time", "log_bounds"):
        np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)
    assert x.n_events == y.n_events and (x.t_min, x.t_max) == (y.t_min, y.t_max)


def test_the_empty_state_by_hand():
    e = ColonyState.empty(np.array(["a", "b", "c"], dtype=object), params={"mastery": 0.5})
    assert e.params == {"mastery": 0.5} and e.n_learners == 0 and e.n_events == 0
    assert all(getattr(e, f).shape == (4, 3) for f in ARC)          # a row per item plus the start node
    assert all(getattr(e, f).shape == (3, 3) for f in PAIR) and all(getattr(e, f).shape == (3,) for f in ITEM)
    assert e.log_bounds.tolist() == [0] and len(e.log_item) == 0
    assert not any(getattr(e, f).any() for f in ARC + PAIR + ITEM)
    assert ColonyState.empty(np.array(["a"], dtype=object)).params == {}


def test_the_empty_state_is_neutral_and_takes_the_parameters_of_the_other():
    s = ManHill().partial_state(A)
    e = ColonyState.empty(s.items)                                  # no parameters: it takes the other's
    _same(e + s, s)
    _same(s + e, s)
    _same(sum([s]), s)                                              # sum() starts from 0
    with pytest.raises(TypeError):
        1 + s                                                       # only 0 is neutral
    # an empty state that carries parameters keeps them: other parameters are a conflict
    with pytest.raises(ParameterError, match="different deposit parameters"):
        ColonyState.empty(s.items, params={**s.params, "mastery": 0.9}) + s
    with pytest.raises(ParameterError, match="different deposit parameters"):
        s + ColonyState.empty(s.items, params={**s.params, "mastery": 0.9})


def test_different_parameters_are_named_even_when_one_side_lacks_them():
    s = ManHill().partial_state(A)
    t = ManHill().partial_state(B)
    t = type(t)(**{**t.__dict__, "params": {**t.params, "extra_knob": 1}})
    with pytest.raises(ParameterError, match="extra_knob"):
        s + t


def test_two_cohorts_add_up_with_their_time_span():
    m = ManHill()
    s, t = m.partial_state(A), m.partial_state(B)
    total = s + t
    assert list(total.items) == ["a", "b", "c"] and total.n_learners == 3 and total.n_events == 6
    assert total.t_min == min(s.t_min, t.t_min) and total.t_max == max(s.t_max, t.t_max)
    assert total.log_bounds.tolist()[-1] == len(total.log_item)
    _same(sum([s, t]), total)


def test_reindex_moves_every_count_with_its_item():
    s = ManHill().partial_state(A)                                  # items a, b
    assert s.reindex(s.items) is s                                  # the same vocabulary: nothing to do
    for items in (["b", "a"], ["a", "b", "z"], ["z", "b", "y", "a"]):
        r = s.reindex(np.array(items, dtype=object))
        code = {it: items.index(it) for it in ("a", "b")}
        n = len(items)
        for name in ARC:
            new, old = getattr(r, name), getattr(s, name)
            assert new.shape == (n + 1, n)
            for i_old, i in (("a", "a"), ("b", "b")):
                for j in ("a", "b"):
                    assert new[code[i], code[j]] == old[list(s.items).index(i_old), list(s.items).index(j)]
            np.testing.assert_array_equal(new[n, [code["a"], code["b"]]], old[2, [0, 1]])   # the start row
        for name in ITEM:
            np.testing.assert_array_equal(getattr(r, name)[[code["a"], code["b"]]], getattr(s, name))
        assert [items[k] for k in r.log_item] == [s.items[k] for k in s.log_item]


def test_reindex_names_at_most_five_missing_items():
    s = ColonyState.empty(np.array(list("abcdefg"), dtype=object))
    with pytest.raises(ParameterError, match=r"items \['a', 'b', 'c', 'd', 'e'\] are not"):
        s.reindex(np.array(["z"], dtype=object))
