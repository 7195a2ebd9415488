"""The closed-loop scenario family: the colony's defaults must hold across learner models, graphs and
behaviours, never on one simulator alone.

A :class:`Scenario` fixes a hidden **learner model** (:class:`~poem.simulation.learners.LearnerModel`:
BKT with a hard gate and guess/slip, mastery at the first success, a soft logistic gate, forgetting; or
fast and slow learners mixed), a **graph** (a local random DAG, a wide shallow DAG, a chain, a part of the
Junyi Academy graph) and a **behaviour** of the unguided learners (wandering with a moderate sense of
readiness, browsing a partly wrong syllabus, dropping out after failures). :data:`FAMILY` lists the
scenarios the benchmark runs; :func:`run_scenario` runs policies on one of them with the same learners.

Two references are run in every scenario: the **oracle** (reads hidden mastery and the true DAG) and the
**observable ceiling** (``graph``: the true DAG and the right learner model -- its guess, slip and
forgetting -- but only the scores the colony sees). Where a pass is mastery (``first_success``, no guess,
no slip) the two coincide.

Examples
--------
>>> sc = scenario("first_success")
>>> sc.model.kind, sc.graph, sc.behaviour
('first_success', 'local', 'wandering')
>>> course = sc.course(seed=0)
>>> float(course.guess.max()), course.n_items
(0.0, 60)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.simulation.closed_loop import closed_loop
from poem.simulation.course import junyi_graph, make_course
from poem.simulation.learners import DEFAULT_POPULATIONS, FAST_SLOW, LearnerModel, unstructured
from poem.simulation.policies import ColonyPolicy, make_policy

__all__ = ["Scenario", "FAMILY", "GRAPHS", "BEHAVIOURS", "scenario", "run_scenario", "summarise"]

GRAPHS = ("local", "wide", "chain", "junyi")
BEHAVIOURS = ("wandering", "syllabus", "dropout")


@dataclass(frozen=True)
class Scenario:
    """One closed-loop setting; see the module docstring.

    ``guess`` / ``slip``: ranges of the items' rates (``(0, 0)`` for mastery at the first success);
    ``populations``: ``"default"`` or ``"fast_slow"``.
    """

    name: str
    model: LearnerModel = field(default_factory=LearnerModel)
    graph: str = "local"
    behaviour: str = "wandering"
    n_items: int = 60
    guess: tuple = (0.08, 0.25)
    slip: tuple = (0.03, 0.12)
    populations: str = "default"

    def __post_init__(self):
        if self.graph not in GRAPHS:
            raise ParameterError(f"Scenario graph must be one of {list(GRAPHS)}, got {self.graph!r}")
        if self.behaviour not in BEHAVIOURS:
            raise ParameterError(f"Scenario behaviour must be one of {list(BEHAVIOURS)}, got {self.behaviour!r}")
        if self.populations not in ("default", "fast_slow"):
            raise ParameterError(f"Scenario populations must be 'default' or 'fast_slow', got {self.populations!r}")

    @property
    def ceiling_is_oracle(self) -> bool:
        """True when scores reveal mastery exactly (no guess, no slip, no forgetting)."""
        return (self.model.kind == "first_success" and self.guess == (0.0, 0.0) and self.slip == (0.0, 0.0)
                and self.model.forgetting == 0)

    def course(self, seed: int = 0):
        """The scenario's course, drawn from ``seed``."""
        rng = np.random.default_rng([int(seed), 99])
        kw = dict(rng=rng, guess=self.guess, slip=self.slip,
                  syllabus_noise=0.1 if self.behaviour == "syllabus" else 0.02)
        n = int(self.n_items)
        if self.graph == "local":
            return make_course(n, **kw)
        if self.graph == "junyi":
            return make_course(n, graph=junyi_graph(), **kw)
        if self.graph == "chain":
            return make_course(graph=[(f"c{k:03d}", f"c{k + 1:03d}") for k in range(n - 1)], **kw)
        # wide: three layers, every item of a layer needing one or two items of the layer before
        import networkx as nx

        layers = np.array_split(np.arange(n), 3)
        g = nx.DiGraph()
        g.add_nodes_from(f"w{k:03d}" for k in range(n))   # every item, roots without dependents included
        for prev, cur in zip(layers, layers[1:]):
            for b in cur:
                for a in rng.choice(prev, size=int(rng.integers(1, 3)), replace=False):
                    g.add_edge(f"w{a:03d}", f"w{b:03d}")
        return make_course(graph=g, **kw)

    def options(self) -> dict:
        """Keyword arguments of :func:`~poem.simulation.closed_loop.closed_loop` for this scenario."""
        pops = FAST_SLOW if self.populations == "fast_slow" else DEFAULT_POPULATIONS
        if self.behaviour == "syllabus":
            populations, dropout = pops, 0.0       # they browse the partly wrong syllabus
        else:
            populations = unstructured(pops, insight=1.0)
            dropout = 1.0 if self.behaviour == "dropout" else 0.0
        return dict(populations=populations, dropout=dropout, learner_model=self.model)


#: the scenarios the closed-loop benchmark runs
FAMILY = (
    Scenario("bkt"),
    Scenario("first_success", LearnerModel("first_success"), guess=(0.0, 0.0), slip=(0.0, 0.0)),
    Scenario("soft_gate", LearnerModel("soft_gate")),
    Scenario("forgetting", LearnerModel("bkt", forgetting=0.002)),
    Scenario("fast_slow", populations="fast_slow"),
    Scenario("guess30", guess=(0.25, 0.35)),
    Scenario("wide", graph="wide"),
    Scenario("chain", graph="chain", n_items=40),
    Scenario("junyi", graph="junyi"),
    Scenario("junyi_first_success", LearnerModel("first_success"), graph="junyi", guess=(0.0, 0.0),
             slip=(0.0, 0.0)),
    Scenario("wrong_syllabus", behaviour="syllabus"),
    Scenario("dropout", behaviour="dropout"),
)


def scenario(name: str) -> Scenario:
    """The scenario of :data:`FAMILY` called ``name``."""
    for sc in FAMILY:
        if sc.name == name:
            return sc
    raise ParameterError(f"unknown scenario {name!r}; valid: {[s.name for s in FAMILY]}")


def run_scenario(sc: Scenario, policies=("none", "oracle", "graph", "colony"), *, n_cohorts: int = 8,
                 cohort_size: int = 200, seed: int = 0, follow_prob: float = 0.8, step_budget=None,
                 colony_variants=None) -> pd.DataFrame:
    """Every policy on the scenario's course with the same learners; one row per (policy, cohort).

    ``colony_variants``: ``{label: ManHill params}``, each run as a colony policy labelled ``label``
    (e.g. greedy against exploring); a ``"policy"`` entry holds :class:`ColonyPolicy` options instead
    (``{"policy": {"defer": 3}}``).
    """
    course = sc.course(seed)
    opts = dict(n_cohorts=n_cohorts, cohort_size=cohort_size, seed=seed, follow_prob=follow_prob,
                step_budget=step_budget, **sc.options())
    tables = []
    for p in policies:
        t = closed_loop(course, make_policy(p), **opts)
        tables.append(t)
    for label, params in (colony_variants or {}).items():
        params = dict(params)
        harness = params.pop("policy", {})   # ColonyPolicy options (e.g. defer), the rest ManHill's
        t = closed_loop(course, ColonyPolicy(params=params, **harness), **opts)
        t["policy"] = label
        tables.append(t)
    out = pd.concat(tables, ignore_index=True)
    out.insert(0, "scenario", sc.name)
    return out


def summarise(table: pd.DataFrame, colony: str = "colony") -> dict:
    """The targets of one scenario's run: last-cohort NRP of ``colony`` against unguided learners, the
    oracle and the observable ceiling (``graph``); whether it is never below unguided in a guided cohort
    (cohort 0 wanders: the colony knows nothing yet) and rises from the first guided cohort to the last."""
    nrp = table.pivot_table(index="cohort", columns="policy", values="NRP")
    last = nrp.index.max()
    col = nrp[colony]
    guided = col.iloc[1:] if len(col) > 1 else col
    none = nrp["none"]
    return {
        "none": float(none.loc[last]), "oracle": float(nrp["oracle"].loc[last]),
        "ceiling": float(nrp["graph"].loc[last]), "colony": float(col.loc[last]),
        "first_guided": float(guided.iloc[0]),
        "x_none": float(col.loc[last] / none.loc[last]) if none.loc[last] > 0 else float("nan"),
        "of_ceiling": float(col.loc[last] / nrp["graph"].loc[last]),
        "of_oracle": float(col.loc[last] / nrp["oracle"].loc[last]),
        "never_below_none": bool((guided >= none.loc[guided.index]).all()),
        "rising": bool(guided.iloc[-1] > guided.iloc[0]),
    }
