"""A family of open-loop scenarios for judging prerequisite graphs: learner models × graphs × sizes × order.

A default measured on one simulated course is a default tuned on it. This module generates the family
the graph benchmark (``benchmarks/bench_graph.py``) and the tests run on, varying what a real course
varies:

- **learner model** (how success depends on prerequisites): ``first_success`` (an item is mastered at the
  first success; success is likely only when every prerequisite is mastered, else a guess);
  ``bkt`` (hidden mastery, BKT-like: an attempt on an item whose prerequisites are all mastered teaches it
  with some probability; the observed score is ``1 - slip`` when mastered, ``guess`` otherwise);
  ``soft`` (no hard gate: logistic success in ability − difficulty + the *share* of prerequisites
  mastered; mastery at the first success); ``forgetting`` (``bkt`` where a mastered item is forgotten
  with a small probability at every step);
- **graph**: ``local`` (random DAG whose parents lie a few places earlier in a hidden order), ``wide``
  (wide and shallow: four layers, parents in the layer before), ``chain`` (one long chain plus a few
  skip arcs), ``junyi`` (the geometry part of the Junyi Academy expert graph bundled in ``data/junyi``:
  161 exercises, 184 arcs);
- **learners**: how many, and the share who *follow a sensible order* (a topological order of the true
  graph, with occasional detours); the others wander, drawn to items they are ready for (``insight``;
  one "blind" scenario where they hardly are).

The simulation is self-contained (its own small step functions, vectorised over learners with numpy) so
that it does not depend on the closed-loop learner models. Learners never retake an item they passed
(as in the public benchmark courses), but in the hidden-mastery models (``bkt``, ``forgetting``) a failure
makes them restudy, unobserved, the prerequisites they passed without mastering; they leave after a
dropout hazard that rises with recent failures, and stop after ``3 n`` attempts.

**Held-out behaviours** (``benchmarks/bench_graph_heldout.py``): three options, each off by default and
then changing nothing (every draw of the default simulation is the same; their own draws come from a
separate stream), that the graph's defaults were *not* chosen on, so that the benchmark can say whether
those defaults hold on learners outside the family. They are for checking, not for tuning:

- ``topics`` (with ``topic_sd``, ``topic_layout``): *topic-correlated ability*. The items fall in
  ``topics`` topics (contiguous blocks of the hidden order, random groups, or, on the Junyi graph, its own
  topics) and each learner has a per-topic ability offset (normal, sd ``topic_sd``) added to their
  ability on that topic's items: success on two items of a topic correlates with no prerequisite between
  them (a learner good at geometry is good at all of geometry), a confounder of any contrast;
- ``guess`` / ``slip``: *noisier emission*: a number, or a ``(low, high)`` range from which each item
  draws its own rate (the family uses 0.15 / 0.1 for every item);
- ``review``: *re-attempts of passed items*: at each step a learner who has passed something re-attempts
  one of their passed items (chosen at random) with this probability instead of a new one, so a pass is
  not followed only by new items and passed items are retaken.

Examples
--------
>>> frame, truth = simulate_scenario("local", "bkt", n_learners=50, n_items=12, seed=1)
>>> list(frame.columns), sorted(truth)
(['learner', 'item', 'timestamp', 'score'], ['items', 'prerequisites', 'true_order'])
>>> len(SCENARIOS) >= 8
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import networkx as nx
import numpy as np
import pandas as pd

from poem.errors import ParameterError

__all__ = ["Scenario", "SCENARIOS", "LEARNER_MODELS", "GRAPH_KINDS", "scenario_graph", "simulate_scenario"]

LEARNER_MODELS = ("first_success", "bkt", "soft", "forgetting")
GRAPH_KINDS = ("local", "wide", "chain", "junyi")

GUESS = 0.15
SLIP = 0.1
FORGET = 0.003
TOPIC_LAYOUTS = ("blocks", "random", "course")


@dataclass(frozen=True)
class Scenario:
    """One point of the family (see the module docstring)."""

    name: str
    graph: str = "local"
    learner_model: str = "bkt"
    n_learners: int = 1000
    follow_share: float = 0.3
    n_items: int = 80
    insight: float = 9.0
    seed: int = 0

    def simulate(self, hidden: bool = False):
        """``(traces frame, truth dict)`` of this scenario (``hidden``: see :func:`simulate_scenario`)."""
        params = asdict(self)
        params.pop("name")
        return simulate_scenario(**params, hidden=hidden)


#: the benchmark family: every learner model, every graph, 300 / 1 000 / 5 000 learners, two order shares
SCENARIOS = (
    Scenario("local-bkt-1000"),
    Scenario("local-first-success-1000", learner_model="first_success"),
    Scenario("local-soft-1000", learner_model="soft"),
    Scenario("local-forgetting-1000", learner_model="forgetting"),
    Scenario("wide-bkt-1000", graph="wide"),
    Scenario("chain-bkt-1000", graph="chain"),
    Scenario("junyi-bkt-3000", graph="junyi", n_learners=3000),
    Scenario("local-bkt-300", n_learners=300),
    Scenario("local-bkt-5000", n_learners=5000),
    Scenario("local-bkt-1000-follow70", follow_share=0.7),
    Scenario("local180-bkt-5000", n_items=180, n_learners=5000, seed=1),
    Scenario("local-bkt-1000-blind", insight=3.0),
)


def _junyi_geometry() -> tuple[list, list]:
    from poem.simulation.course import DATA_DIR

    exercises = pd.read_csv(DATA_DIR / "junyi" / "exercises.csv", dtype=str)
    arcs = pd.read_csv(DATA_DIR / "junyi" / "prerequisites.csv", dtype=str, comment="#")
    geometry = set(exercises.loc[exercises["area"] == "geometry", "name"])
    keep = arcs["prerequisite"].isin(geometry) & arcs["item"].isin(geometry)
    graph = nx.DiGraph(list(zip(arcs.loc[keep, "prerequisite"], arcs.loc[keep, "item"])))
    graph.add_nodes_from(geometry)
    graph.remove_edges_from(nx.selfloop_edges(graph))
    while not nx.is_directed_acyclic_graph(graph):  # the bundled graph's one cycle is outside geometry
        graph.remove_edge(*nx.find_cycle(graph)[-1][:2])
    return sorted(graph.nodes), sorted(graph.edges)


def scenario_graph(kind: str, n_items: int, rng: np.random.Generator) -> tuple[list, list]:
    """``(items, arcs)`` of a prerequisite graph of the given kind (see the module docstring).

    >>> items, arcs = scenario_graph("chain", 10, np.random.default_rng(0))
    >>> len(items), len(arcs) >= 9, nx.is_directed_acyclic_graph(nx.DiGraph(arcs))
    (10, True, True)
    """
    if kind not in GRAPH_KINDS:
        raise ParameterError(f"unknown scenario graph {kind!r}; choose one of {list(GRAPH_KINDS)}")
    if kind == "junyi":
        return _junyi_geometry()
    if n_items < 4:
        raise ParameterError(f"a scenario graph needs at least 4 items, got n_items={n_items}")
    n = int(n_items)
    # hidden true order = item codes 0..n-1, ids shuffled so that the id order says nothing
    ids = np.array([f"x{k:03d}" for k in rng.permutation(n)], dtype=object)
    arcs = set()
    if kind == "local":
        for j in range(1, n):
            earlier = np.arange(max(0, j - 6), j)
            chosen = earlier[rng.random(len(earlier)) < 0.3][-3:]
            arcs.update((int(i), j) for i in chosen)
    elif kind == "wide":
        layers = np.array_split(np.arange(n), 4)
        for prev, layer in zip(layers[:-1], layers[1:]):
            for j in layer:
                k = int(rng.integers(1, 4))
                arcs.update((int(i), int(j)) for i in rng.choice(prev, size=min(k, len(prev)), replace=False))
    else:
        arcs.update((j - 1, j) for j in range(1, n))
        for j in range(2, n):
            if rng.random() < 0.15:
                arcs.add((j - 2, j))
    items = [str(x) for x in ids]
    return items, sorted((items[a], items[b]) for a, b in arcs)


def _choose(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One column per row, drawn with probability proportional to the row's weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _item_rate(rate, name: str, n: int, rng: np.random.Generator):
    """A per-item rate: ``rate`` itself when a number, else ``n`` uniform draws in the ``(low, high)`` range."""
    if np.ndim(rate) == 0:
        low = high = float(rate)
    elif np.shape(rate) == (2,):
        low, high = (float(v) for v in rate)
    else:
        raise ParameterError(f"{name} must be a number or a (low, high) pair, got {rate!r}")
    if not 0 <= low <= high < 0.5:
        raise ParameterError(f"{name} must lie in [0, 0.5) (low <= high), got {rate!r}")
    return float(rate) if np.ndim(rate) == 0 else rng.uniform(low, high, n)


def _topics(layout: str, k: int, items: list, rank: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Topic index of each item code: ``k`` contiguous blocks of the hidden order, ``k`` random groups of
    about equal size, or (``"course"``, Junyi only) the course's own topics."""
    n = len(items)
    if layout == "blocks":
        return (rank * k // n).astype(np.int64)
    if layout == "random":
        return rng.permutation(np.arange(n) * k // n)
    from poem.simulation.course import DATA_DIR

    exercises = pd.read_csv(DATA_DIR / "junyi" / "exercises.csv", dtype=str).set_index("name")["topic"]
    names = exercises.reindex(items)
    if names.isna().any():
        raise ParameterError("topic_layout='course' needs the junyi graph (its items carry topics)")
    return pd.factorize(names, sort=True)[0].astype(np.int64)


def simulate_scenario(graph: str = "local", learner_model: str = "bkt", n_learners: int = 1000,
                      follow_share: float = 0.3, n_items: int = 80, insight: float = 9.0, seed: int = 0,
                      hidden: bool = False, *, topics: int = 0, topic_sd: float = 0.8,
                      topic_layout: str = "blocks", guess=GUESS, slip=SLIP, review: float = 0.0):
    """Simulate one scenario; returns ``(frame, truth)``.

    ``frame`` has ``learner, item, timestamp, score`` (tz-aware UTC, rows in time order per learner);
    with ``hidden=True`` also ``mastered``, the learner's hidden mastery of the item right after the
    attempt (what no log shows: for measuring how much an estimator loses to guessed passes; the other
    columns and every draw are the same as without it), and ``frame.attrs["silent_mastery"]``, a frame
    ``learner, item, timestamp`` of the mastery gained without an attempt on the item (the restudy after
    a failure in ``bkt`` and ``forgetting``), stamped with the failure that prompted it and following it.
    ``truth`` is a dict as in the benchmark's ``truth.json`` (``items``, ``prerequisites``,
    ``true_order``). ``insight``: how much more often a wandering learner picks an item they are ready for
    than one they are not (9: as in the public courses, where most attempts are on ready items; 3: a
    "blind" cohort whose passes are mostly guesses, the hardest case).

    ``topics``, ``topic_sd``, ``topic_layout``, ``guess``, ``slip`` and ``review`` are the held-out
    behaviours of the module docstring (off by default: ``topics=0``, ``guess=0.15``, ``slip=0.1``,
    ``review=0``). Emission noise applies where a model has it: ``guess`` to ``first_success``,
    ``bkt`` and ``forgetting``, ``slip`` to ``bkt``, ``forgetting`` and to a review of a mastered
    item under ``first_success`` (whose first pass has no slip); ``soft`` has neither (its success is
    logistic). ``truth`` gains ``topics`` (item -> topic index) when ``topics > 0``.
    """
    if not insight >= 1:
        raise ParameterError(f"insight must be >= 1 (1: blind to readiness), got {insight!r}")
    if learner_model not in LEARNER_MODELS:
        raise ParameterError(f"unknown learner model {learner_model!r}; choose one of {list(LEARNER_MODELS)}")
    if not 0 <= follow_share <= 1:
        raise ParameterError(f"follow_share must lie in [0, 1], got {follow_share!r}")
    if int(n_learners) != n_learners or n_learners < 1:
        raise ParameterError(f"n_learners must be a positive integer, got {n_learners!r}")
    if int(topics) != topics or topics < 0:
        raise ParameterError(f"topics must be a non-negative integer, got {topics!r}")
    if topic_layout not in TOPIC_LAYOUTS:
        raise ParameterError(f"unknown topic_layout {topic_layout!r}; choose one of {list(TOPIC_LAYOUTS)}")
    if not topic_sd >= 0:
        raise ParameterError(f"topic_sd must be >= 0, got {topic_sd!r}")
    if not 0 <= review < 1:
        raise ParameterError(f"review must lie in [0, 1), got {review!r}")
    rng = np.random.default_rng(seed)
    # the held-out behaviours draw from their own stream, so that when they are off every draw of the
    # family's simulation is the same as before they existed
    side = np.random.default_rng([int(seed), 7919])
    items, arcs = scenario_graph(graph, n_items, rng)
    n = len(items)
    code = {x: k for k, x in enumerate(items)}
    A = np.zeros((n, n), dtype=np.int16)
    for a, b in arcs:
        A[code[a], code[b]] = 1
    n_parents = A.sum(axis=0).astype(np.int16)
    dag = nx.DiGraph(arcs)
    dag.add_nodes_from(items)
    true_order = list(nx.lexicographical_topological_sort(dag))
    rank = np.empty(n, dtype=np.int64)
    rank[[code[x] for x in true_order]] = np.arange(n)

    m = int(n_learners)
    ability = rng.normal(0.0, 1.0, m)
    difficulty = rng.normal(0.0, 0.7, n)
    follower = rng.random(m) < follow_share
    mastered = np.zeros((m, n), dtype=bool)       # hidden
    passed = np.zeros((m, n), dtype=bool)         # observed first success
    ready_count = np.zeros((m, n), dtype=np.int16)
    active = np.ones(m, dtype=bool)
    failures = np.zeros(m)
    start = rng.integers(0, 14 * 24, m)           # arrival hour over two weeks
    rows = []
    silent = []                                   # mastery gained without an attempt (hidden=True only)
    guess_j = _item_rate(guess, "guess", n, side)       # a number, or one rate per item code
    slip_j = _item_rate(slip, "slip", n, side)
    skill = ability[:, None]                      # (m, 1), or (m, n) with topic offsets
    topic = None
    if topics:
        topic = _topics(topic_layout, int(topics), items, rank, side)
        skill = ability[:, None] + side.normal(0.0, topic_sd, (m, int(topic.max()) + 1))[:, topic]
    p_ok = 1.0 / (1.0 + np.exp(-(1.2 + skill - difficulty[None, :])))   # (m, n)
    learn = 0.35 + 0.5 / (1.0 + np.exp(-(skill - difficulty[None, :])))
    for step in range(3 * n):
        live = np.flatnonzero(active & ~passed.all(axis=1))
        if not len(live):
            break
        ready = ready_count[live] >= n_parents[None, :]
        open_ = ~passed[live]
        # wanderers: any unpassed item, items they are ready for `insight` times as attractive
        weights = open_ * (1.0 + (insight - 1.0) * (ready & ~mastered[live]))
        choice = _choose(weights, rng)
        # followers: the first unpassed item of the sensible order, with occasional detours
        follow = follower[live] & (rng.random(len(live)) < 0.85)
        if follow.any():
            key = np.where(open_[follow], rank[None, :], n + 1)
            choice[follow] = np.argmin(key, axis=1)
        if review:
            # a re-attempt of a passed item, drawn from the side stream (see the module docstring)
            again = (side.random(len(live)) < review) & passed[live].any(axis=1)
            if again.any():
                choice[again] = _choose(passed[live[again]].astype(float), side)
        j = choice
        was_ready = ready[np.arange(len(live)), j]
        g_j = guess_j if np.ndim(guess_j) == 0 else guess_j[j]
        s_j = slip_j if np.ndim(slip_j) == 0 else slip_j[j]
        if learner_model == "first_success":
            p = np.where(was_ready, p_ok[live, j], g_j)
            if review:
                p = np.where(mastered[live, j], 1.0 - s_j, p)
            ok = rng.random(len(live)) < p
            newly = ok & ~mastered[live, j]
        elif learner_model == "soft":
            share = np.where(n_parents[j] > 0, ready_count[live, j] / np.maximum(n_parents[j], 1), 1.0)
            logit = (ability[live] if topic is None else skill[live, j]) - difficulty[j] - 1.5 + 3.5 * share
            ok = rng.random(len(live)) < 1.0 / (1.0 + np.exp(-logit))
            newly = ok & ~mastered[live, j]
        else:
            learns = was_ready & ~mastered[live, j] & (rng.random(len(live)) < learn[live, j])
            newly = learns
            now = mastered[live, j] | learns
            ok = rng.random(len(live)) < np.where(now, 1.0 - s_j, g_j)
        if newly.any():
            who, what = live[newly], j[newly]
            mastered[who, what] = True
            ready_count[who] += A[what]
        passed[live[ok], j[ok]] = True
        rows.append(np.column_stack([live, j, start[live] + step, ok, mastered[live, j]]))
        if learner_model in ("bkt", "forgetting") and (~ok).any():
            # review: after a failure, a learner restudies the prerequisites of the item they passed
            # without mastering them (a guess, or forgotten), learning each ready one with the learn
            # probability -- unobserved, as reading a course page is; without it a guessed item would
            # block everything after it for ever, since passed items are never retaken
            fl, fj = live[~ok], j[~ok]
            cand = (A[:, fj].T > 0) & passed[fl] & ~mastered[fl] & (ready_count[fl] >= n_parents[None, :])
            cand &= rng.random(cand.shape) < learn[fl]
            rl, rp = np.nonzero(cand)
            if len(rl):
                who = fl[rl]
                fresh = ~mastered[who, rp]
                mastered[who[fresh], rp[fresh]] = True
                np.add.at(ready_count, who[fresh], A[rp[fresh]])
                if hidden:
                    silent.append(np.column_stack([who[fresh], rp[fresh], start[who[fresh]] + step]))
        if learner_model == "forgetting":
            lost_l, lost_j = np.nonzero(mastered[live] & (rng.random((len(live), n)) < FORGET))
            if len(lost_l):
                mastered[live[lost_l], lost_j] = False
                np.subtract.at(ready_count, live[lost_l], A[lost_j])
        failures[live] = 0.7 * failures[live] + (~ok)
        leave = rng.random(len(live)) < 0.002 + 0.004 * failures[live]
        active[live[leave]] = False
    events = np.concatenate(rows) if rows else np.zeros((0, 5), dtype=np.int64)
    ids = np.array([f"u{k:05d}" for k in rng.permutation(m)], dtype=object)
    frame = pd.DataFrame({
        "learner": ids[events[:, 0]],
        "item": np.asarray(items, dtype=object)[events[:, 1]],
        "timestamp": pd.to_datetime(events[:, 2], unit="h", utc=True),
        "score": events[:, 3].astype(float),
    })
    if hidden:
        frame["mastered"] = events[:, 4].astype(bool)
        quiet = np.concatenate(silent) if silent else np.zeros((0, 3), dtype=np.int64)
        frame.attrs["silent_mastery"] = pd.DataFrame({
            "learner": ids[quiet[:, 0]],
            "item": np.asarray(items, dtype=object)[quiet[:, 1]],
            "timestamp": pd.to_datetime(quiet[:, 2], unit="h", utc=True),
        })
    truth = {"items": list(items), "prerequisites": [list(a) for a in arcs], "true_order": true_order}
    if topic is not None:
        truth["topics"] = {x: int(topic[k]) for k, x in enumerate(items)}
    return frame, truth
