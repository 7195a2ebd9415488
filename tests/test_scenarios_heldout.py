"""The held-out learner behaviours of the scenario simulator (topic ability, noisier emission, reviews).

They exist to judge the contrast graph's defaults on learners those defaults were not chosen on
(``benchmarks/bench_graph_heldout.py``): off, they must change nothing; on, they must do what they say.
"""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from poem.errors import ParameterError
from poem.simulation.scenarios import LEARNER_MODELS, simulate_scenario

#: fingerprints of ``simulate_scenario("local", model, n_learners=60, n_items=20, seed=5, hidden=True)``
#: taken before the held-out options existed: (events, passes, hash of the frame). If a deliberate change
#: of the family's simulator moves them, the family's tables (``benchmarks/results/graph.md``) move too.
BEFORE = {"first_success": (1912, 1071, 16734537319580994867), "bkt": (2344, 1034, 10710939162872958029),
          "soft": (1555, 1128, 7636809509279052158), "forgetting": (2092, 944, 2566612100597377259)}


def _fingerprint(frame):
    return len(frame), int(frame["score"].sum()), int(pd.util.hash_pandas_object(frame, index=True).sum())


@pytest.mark.parametrize("model", LEARNER_MODELS)
def test_off_is_the_simulation_of_before(model):
    plain, truth = simulate_scenario("local", model, n_learners=60, n_items=20, seed=5, hidden=True)
    assert _fingerprint(plain) == BEFORE[model]
    # explicit "off" values, and "on" values that change no probability, draw only from the side stream
    for kw in ({"topics": 0, "guess": 0.15, "slip": 0.1, "review": 0.0},
               {"topics": 4, "topic_sd": 0.0}, {"topics": 3, "topic_sd": 0.0, "topic_layout": "random"},
               {"guess": (0.15, 0.15), "slip": (0.1, 0.1)}, {"review": 1e-15}):
        other, truth_other = simulate_scenario("local", model, n_learners=60, n_items=20, seed=5, hidden=True,
                                               **kw)
        assert other.equals(plain), kw
        truth_other.pop("topics", None)
        assert truth_other == truth


def test_topic_blocks_follow_the_hidden_order():
    _, truth = simulate_scenario("local", "bkt", n_learners=5, n_items=20, seed=2, topics=4)
    # 20 items in 4 contiguous blocks of 5 along the true order
    assert [truth["topics"][x] for x in truth["true_order"]] == [k // 5 for k in range(20)]
    _, truth = simulate_scenario("local", "bkt", n_learners=5, n_items=20, seed=2, topics=4, topic_layout="random")
    assert sorted(truth["topics"].values()) == [k // 5 for k in range(20)]
    assert [truth["topics"][x] for x in truth["true_order"]] != [k // 5 for k in range(20)]


def test_topic_course_layout_uses_junyi_topics():
    _, truth = simulate_scenario("junyi", "bkt", n_learners=5, seed=0, topics=1, topic_layout="course")
    from poem.simulation.course import DATA_DIR

    exercises = pd.read_csv(DATA_DIR / "junyi" / "exercises.csv").set_index("name")["topic"]
    # two exercises share a topic index exactly when Junyi puts them in the same topic
    names = truth["items"][:30]
    for a in names:
        for b in names:
            assert (truth["topics"][a] == truth["topics"][b]) == (exercises[a] == exercises[b])
    with pytest.raises(ParameterError, match="junyi"):
        simulate_scenario("local", "bkt", n_learners=5, topics=2, topic_layout="course")


def _success_by_topic(frame, truth, topic):
    items = [x for x in truth["items"] if truth["topics"][x] == topic]
    half = len(items) // 2
    first = frame.drop_duplicates(["learner", "item"])       # each learner's first attempt at each item
    rate = first.pivot_table(index="learner", columns="item", values="score")
    return rate[items[:half]].mean(axis=1), rate[items[half:]].mean(axis=1)


def test_topic_offsets_correlate_success_within_a_topic():
    # no prerequisites matter here (soft gating, no follower): success on two halves of one topic correlates
    # more across learners than success on two topics, by as much as an offset of sd 1.5 should make it
    kw = dict(n_learners=1500, n_items=16, seed=4, follow_share=0.0, topic_layout="random")
    on, truth = simulate_scenario("wide", "soft", topics=2, topic_sd=1.5, **kw)
    a0, a1 = _success_by_topic(on, truth, 0)
    b0, b1 = _success_by_topic(on, truth, 1)
    within = np.mean([a0.corr(a1), b0.corr(b1)])
    across = np.mean([a0.corr(b0), a1.corr(b1)])
    assert within > across + 0.15
    off, truth_off = simulate_scenario("wide", "soft", topics=2, topic_sd=0.0, **kw)   # same topics, no offsets
    a0, a1 = _success_by_topic(off, truth_off, 0)
    b0, b1 = _success_by_topic(off, truth_off, 1)
    assert abs(np.mean([a0.corr(a1), b0.corr(b1)]) - np.mean([a0.corr(b0), a1.corr(b1)])) < 0.08


def test_noisy_emission_rates():
    # with hidden mastery, a pass without mastery is a guess and a failure with it a slip
    kw = dict(n_learners=600, n_items=30, seed=1, hidden=True)
    for guess, slip, (g_lo, g_hi), (s_lo, s_hi) in ((0.15, 0.1, (0.13, 0.17), (0.08, 0.12)),
                                                    ((0.3, 0.35), (0.18, 0.2), (0.29, 0.36), (0.16, 0.22))):
        frame, _ = simulate_scenario("local", "bkt", guess=guess, slip=slip, **kw)
        mastered = frame["mastered"]
        assert g_lo < frame.loc[~mastered, "score"].mean() < g_hi
        assert s_lo < 1 - frame.loc[mastered, "score"].mean() < s_hi
    with pytest.raises(ParameterError, match="guess"):
        simulate_scenario(n_learners=5, guess=(0.3, 0.2))
    with pytest.raises(ParameterError, match="slip"):
        simulate_scenario(n_learners=5, slip=0.6)


def test_reviews_retake_passed_items():
    kw = dict(n_learners=300, n_items=20, seed=3)
    plain, _ = simulate_scenario("local", "first_success", **kw)
    assert not plain[plain["score"] == 1].duplicated(["learner", "item"]).any()
    frame, truth = simulate_scenario("local", "first_success", review=0.3, slip=0.0, **kw)
    # an attempt after the learner's first pass of the item is a review; with no slip it passes
    after_pass = frame.groupby(["learner", "item"])["score"].transform(lambda s: s.cummax().shift(fill_value=0)) > 0
    share = after_pass.mean()
    assert 0.2 < share < 0.32                 # 30 % of the steps once something is passed, none before
    assert (frame.loc[after_pass, "score"] == 1).all()
    assert nx.is_directed_acyclic_graph(nx.DiGraph(truth["prerequisites"]))
    with pytest.raises(ParameterError, match="review"):
        simulate_scenario(n_learners=5, review=1.0)
    with pytest.raises(ParameterError, match="topics"):
        simulate_scenario(n_learners=5, topics=-1)
