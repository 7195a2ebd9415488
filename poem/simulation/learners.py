"""Simulated learners: populations, hidden mastery, and one vectorised step for many learners at once.

Every learner carries a hidden mastery vector over the items. An attempt at item ``j`` can teach it
(BKT's *learn* transition) only when every direct prerequisite of ``j`` is already mastered, with a
probability that grows with the learner's ability minus the item's difficulty; the quiz outcome then
follows BKT's emission (``1 - slip`` when mastered, ``guess`` otherwise). Mastery is never lost, so the
gate makes "no mastery without prerequisites" an exact invariant while guesses still produce successes
on items a learner is not ready for -- the noise a colony must see through.

Unguided learners *wander*: they browse near the last item in the platform's (partly wrong) syllabus,
prefer salient items and items they have not passed yet, are drawn (more or less, by population) to
items they are ready for, retry a failed item, and sometimes just take the next unpassed syllabus item.
A dropout hazard rises with recent failures; activity comes in sessions separated by gaps and holidays.

All functions step every active learner of a population at once with numpy (one row per learner).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from poem.errors import ParameterError

__all__ = ["Population", "DEFAULT_POPULATIONS", "unstructured", "LearnerState", "init_learners", "attempt", "wander",
           "first_unpassed", "advance_clock", "ready_mask", "LearnerModel", "LEARNER_MODELS", "forget",
           "FAST_SLOW"]


@dataclass(frozen=True)
class Population:
    """Parameters of one sub-population of learners (all probabilities per step).

    Attributes
    ----------
    name : str
    share : float
        Relative weight of this population in a cohort.
    ability_mean, ability_sd : float
        Logit-scale ability, compared with item difficulty.
    learn_rate : float
        Probability of learning a ready item in one attempt when ability equals the item's difficulty;
        in general ``min(1, learn_rate * sigmoid(ability - difficulty + 1) / sigmoid(1))``.
    insight : float
        Utility bonus, when wandering, for items the learner is ready for (their sense of what they can do).
    browse : float
        Utility bonus for the item just after the last one in the syllabus (reading the course in order).
    syllabus_follow : float
        Probability that a wandering learner takes the first syllabus item they have not passed yet.
    retry : float
        Probability of retrying an item just failed.
    dropout_base, dropout_per_failure : float
        Hazard of leaving after a step: ``base + per_failure * recent failures`` (the count of recent
        failures is multiplied by :data:`FAILURE_DECAY` = 0.7 at every step: it halves in about two steps).
    prior_knowledge : float
        Share of the course (taken from the start of a valid order) a learner may know on arrival; each of
        those items is known with probability 0.7 when its prerequisites are known.
    """

    name: str = "casual"
    share: float = 1.0
    ability_mean: float = 0.0
    ability_sd: float = 1.0
    learn_rate: float = 0.5
    insight: float = 1.0
    browse: float = 1.5
    syllabus_follow: float = 0.15
    retry: float = 0.3
    dropout_base: float = 0.02
    dropout_per_failure: float = 0.03
    prior_knowledge: float = 0.03

    def __post_init__(self):
        for f in ("learn_rate", "syllabus_follow", "retry", "dropout_base", "dropout_per_failure",
                  "prior_knowledge"):
            v = getattr(self, f)
            if not 0 <= v <= 1:
                raise ParameterError(f"Population {self.name!r}: {f} must lie in [0, 1], got {v!r}")
        if self.share <= 0:
            raise ParameterError(f"Population {self.name!r}: share must be > 0, got {self.share!r}")
        if self.ability_sd < 0:
            raise ParameterError(f"Population {self.name!r}: ability_sd must be >= 0, got {self.ability_sd!r}")


#: three sub-populations with different parameters (shares 30 / 50 / 20 %)
DEFAULT_POPULATIONS = (
    Population("diligent", 0.3, ability_mean=0.6, learn_rate=0.6, insight=4.5, browse=2.0,
               syllabus_follow=0.3, retry=0.5, dropout_base=0.004, dropout_per_failure=0.008,
               prior_knowledge=0.05),
    Population("casual", 0.5, ability_mean=0.0, learn_rate=0.5, insight=2.4, browse=1.2,
               syllabus_follow=0.12, retry=0.3, dropout_base=0.01, dropout_per_failure=0.015,
               prior_knowledge=0.03),
    Population("struggling", 0.2, ability_mean=-0.5, learn_rate=0.4, insight=1.0, browse=0.8,
               syllabus_follow=0.08, retry=0.2, dropout_base=0.015, dropout_per_failure=0.025,
               prior_knowledge=0.0),
)


def unstructured(populations=DEFAULT_POPULATIONS, insight: float | None = None) -> tuple:
    """The same populations on a platform that shows no structure: nobody browses or follows a syllabus
    (``browse = syllabus_follow = 0``); ``insight`` (if given) replaces every population's sense of
    readiness.

    >>> [p.browse for p in unstructured()]
    [0.0, 0.0, 0.0]
    """
    from dataclasses import replace

    return tuple(replace(p, browse=0.0, syllabus_follow=0.0,
                         **({} if insight is None else {"insight": float(insight)})) for p in populations)


#: fast and slow learners mixed (half and half): what one pass is worth differs between them
FAST_SLOW = (
    Population("fast", 0.5, ability_mean=1.0, ability_sd=0.5, learn_rate=0.8, insight=1.0, browse=0.0,
               syllabus_follow=0.0, retry=0.5, dropout_base=0.004, dropout_per_failure=0.008),
    Population("slow", 0.5, ability_mean=-1.0, ability_sd=0.5, learn_rate=0.25, insight=1.0, browse=0.0,
               syllabus_follow=0.0, retry=0.3, dropout_base=0.01, dropout_per_failure=0.02),
)

#: the kinds of learner model :class:`LearnerModel` knows
LEARNER_MODELS = ("bkt", "first_success", "soft_gate")


@dataclass(frozen=True)
class LearnerModel:
    """How an attempt turns into learning and a score (the hidden learner model of a scenario).

    ``kind``:

    * ``"bkt"`` (default, the simulator's original model): an attempt may teach the item (probability
      ``learn_rate · σ(θ − d + 1) / σ(1)``) only when every direct prerequisite is mastered (a hard gate);
      the score then follows BKT's emission: ``1 − slip`` when mastered, ``guess`` otherwise.
    * ``"first_success"``: the success probability depends smoothly on the share ``r`` of the item's
      direct prerequisites mastered, ``learn_rate · σ(θ − d + 1 + steepness·(r − 1)) / σ(1)``, and a
      learner masters the item at their first success (no guessing, no slip afterwards): one pass is
      mastery, as on a graded exam.
    * ``"soft_gate"``: like ``"bkt"`` but the gate is a logistic in the share of prerequisites mastered,
      the learning probability multiplied by ``σ(steepness·(r − 1) + 3) / σ(3)`` (all prerequisites: 1,
      none: nearly 0), with the course's guess and slip.

    ``forgetting``: per step, each mastered item of an active learner is lost with this probability (and
    with it the readiness of its dependents); 0 means mastery is never lost.

    >>> LearnerModel("first_success").kind
    'first_success'
    """

    kind: str = "bkt"
    steepness: float = 6.0
    forgetting: float = 0.0

    def __post_init__(self):
        if self.kind not in LEARNER_MODELS:
            raise ParameterError(f"LearnerModel kind must be one of {list(LEARNER_MODELS)}, got {self.kind!r}")
        if not 0 <= self.forgetting < 1:
            raise ParameterError(f"LearnerModel forgetting must lie in [0, 1), got {self.forgetting!r}")
        if self.steepness < 0:
            raise ParameterError(f"LearnerModel steepness must be >= 0, got {self.steepness!r}")


BKT = LearnerModel()

_PER_LEARNER = ("learn_rate", "insight", "browse", "syllabus_follow", "retry", "dropout_base",
                "dropout_per_failure")

FAILURE_DECAY = 0.7
_SIG1 = 1.0 / (1.0 + np.exp(-1.0))


@dataclass(eq=False)
class LearnerState:
    """Mutable state of ``m`` learners (row ``l`` is learner ``l``); see :func:`init_learners`."""

    mastered: np.ndarray        # (m, n) bool, hidden
    ready_count: np.ndarray     # (m, n) int16: mastered direct prerequisites of each item
    passed: np.ndarray          # (m, n) bool: observed success at least once (what the learner sees)
    population: np.ndarray      # (m,) int index into the population tuple
    ability: np.ndarray         # (m,)
    params: dict                # name -> (m,) float array of per-learner population parameters
    active: np.ndarray          # (m,) bool
    steps: np.ndarray           # (m,) int: attempts made
    failures: np.ndarray        # (m,) float: decayed count of recent failures
    last_item: np.ndarray       # (m,) int, -1 before the first attempt
    last_failed: np.ndarray     # (m,) bool
    clock: np.ndarray           # (m,) int64 seconds since the epoch
    initial_mastery: np.ndarray  # (m,) float share mastered on arrival
    model: LearnerModel = BKT   # how attempts teach and score

    @property
    def n_learners(self) -> int:
        return int(len(self.ability))


def ready_mask(state: LearnerState, n_prereq: np.ndarray, rows=slice(None)) -> np.ndarray:
    """Items whose prerequisites are all mastered and which are not mastered yet (hidden)."""
    return (state.ready_count[rows] == n_prereq) & ~state.mastered[rows]


def init_learners(m: int, course, rng: np.random.Generator, populations=DEFAULT_POPULATIONS, *,
                  start_clock=None, model: LearnerModel = BKT) -> LearnerState:
    """``m`` fresh learners drawn from ``populations`` (shares normalised), with prior knowledge applied
    along the course's true order so that it respects the prerequisite gate.

    >>> from poem.simulation.course import make_course
    >>> rng = np.random.default_rng(1)
    >>> state = init_learners(50, make_course(10, rng=rng), rng)
    >>> state.mastered.shape, bool(state.active.all())
    ((50, 10), True)
    """
    if int(m) != m or m < 0:
        raise ParameterError(f"number of learners must be a non-negative integer, got {m!r}")
    pops = tuple(populations)
    if not pops or not all(isinstance(p, Population) for p in pops):
        raise ParameterError("populations must be a non-empty sequence of Population")
    m, n = int(m), course.n_items
    share = np.array([p.share for p in pops], dtype=float)
    pop = rng.choice(len(pops), size=m, p=share / share.sum())
    table = {f.name: np.array([getattr(p, f.name) for p in pops]) for f in fields(Population)
             if f.name not in ("name", "share")}
    ability = table["ability_mean"][pop] + table["ability_sd"][pop] * rng.standard_normal(m)
    params = {k: table[k][pop].astype(float) for k in _PER_LEARNER}
    prereq = course.prereq.astype(np.int16)
    n_prereq = prereq.sum(axis=0)
    mastered = np.zeros((m, n), dtype=bool)
    ready_count = np.zeros((m, n), dtype=np.int16)
    prior = table["prior_knowledge"][pop]
    known_len = int(np.ceil(prior.max() * n)) if m else 0
    for k, j in enumerate(course.codes(course.true_order[:known_len])):
        # walk the true order so that an item is only known when its prerequisites are known
        ok = (k < prior * n) & (ready_count[:, j] == n_prereq[j]) & (rng.random(m) < 0.7)
        mastered[ok, j] = True
        ready_count[ok] += prereq[j]
    clock = np.zeros(m, dtype=np.int64) if start_clock is None else np.asarray(start_clock, dtype=np.int64)
    return LearnerState(
        mastered=mastered, ready_count=ready_count, passed=np.zeros((m, n), dtype=bool), population=pop,
        ability=ability, params=params, active=np.ones(m, dtype=bool), steps=np.zeros(m, dtype=np.int64),
        failures=np.zeros(m), last_item=np.full(m, -1, dtype=np.int64), last_failed=np.zeros(m, dtype=bool),
        clock=clock, initial_mastery=mastered.mean(axis=1) if n else np.zeros(m),
        model=model if model is not None else BKT,
    )


def attempt(state: LearnerState, course, rows: np.ndarray, items: np.ndarray, rng: np.random.Generator,
            prereq_int: np.ndarray, n_prereq: np.ndarray) -> dict:
    """One attempt of learner ``rows[k]`` at item ``items[k]`` (rows distinct); updates ``state``.

    The learner model is ``state.model`` (:class:`LearnerModel`). Returns the per-attempt record:
    ``score`` (0/1), ``gate`` (prerequisites all mastered), ``before`` and ``after`` (hidden mastery of
    the item before and after the attempt).
    """
    model = state.model
    have = state.ready_count[rows, items]
    gate = have == n_prereq[items]
    before = state.mastered[rows, items]
    logit = state.ability[rows] - course.difficulty[items] + 1.0
    draw = rng.random((2, len(rows)))
    if model.kind == "first_success":
        share = np.where(n_prereq[items] > 0, have / np.maximum(n_prereq[items], 1), 1.0)
        p_pass = np.clip(state.params["learn_rate"][rows] / (1.0 + np.exp(-(logit + model.steepness * (share - 1.0))))
                         / _SIG1, 0.0, 1.0)
        p_pass = np.where(before, 1.0, p_pass)
        score = (draw[1] < p_pass).astype(float)
        learn = ~before & (score > 0)
        after = before | learn
    else:
        p_learn = np.clip(state.params["learn_rate"][rows] / (1.0 + np.exp(-logit)) / _SIG1, 0.0, 1.0)
        if model.kind == "soft_gate":
            share = np.where(n_prereq[items] > 0, have / np.maximum(n_prereq[items], 1), 1.0)
            p_learn = p_learn / (1.0 + np.exp(-(model.steepness * (share - 1.0) + 3.0))) * (1.0 + np.exp(-3.0))
            learn = ~before & (draw[0] < p_learn)
        else:
            learn = ~before & gate & (draw[0] < p_learn)
        after = before | learn
        p_pass = np.where(after, 1.0 - course.slip[items], course.guess[items])
        score = (draw[1] < p_pass).astype(float)
    new_rows, new_items = rows[learn], items[learn]
    state.mastered[new_rows, new_items] = True
    state.ready_count[new_rows] += prereq_int[new_items]  # rows are distinct: no lost updates
    state.passed[rows[score > 0], items[score > 0]] = True
    state.failures[rows] = state.failures[rows] * FAILURE_DECAY + (1.0 - score)
    state.last_item[rows] = items
    state.last_failed[rows] = score == 0
    state.steps[rows] += 1
    return {"score": score, "gate": gate, "before": before, "after": after}


def forget(state: LearnerState, rows: np.ndarray, rng: np.random.Generator, prereq_int: np.ndarray) -> None:
    """Each mastered item of ``rows`` is lost with probability ``state.model.forgetting`` (no-op at 0);
    the dependents' ready counts follow."""
    rate = state.model.forgetting
    if rate <= 0 or not len(rows):
        return
    lost = state.mastered[rows] & (rng.random((len(rows), state.mastered.shape[1])) < rate)
    if not lost.any():
        return
    state.mastered[rows] &= ~lost
    state.ready_count[rows] -= (lost.astype(np.int16) @ prereq_int).astype(np.int16)


def first_unpassed(passed_rows: np.ndarray, order_codes: np.ndarray) -> np.ndarray:
    """For each row, the first item of ``order_codes`` not passed yet (the last item when all are)."""
    unpassed = ~passed_rows[:, order_codes]
    pos = np.where(unpassed.any(axis=1), unpassed.argmax(axis=1), len(order_codes) - 1)
    return order_codes[pos]


def wander(state: LearnerState, course, rows: np.ndarray, rng: np.random.Generator,
           n_prereq: np.ndarray, syllabus_codes: np.ndarray, syllabus_rank: np.ndarray) -> np.ndarray:
    """The item each learner in ``rows`` picks without guidance (see the module docstring)."""
    m, n = len(rows), course.n_items
    p = state.params
    util = np.log(course.salience)[None, :] + 1.0 * ~state.passed[rows]
    util = util + p["insight"][rows, None] * ready_mask(state, n_prereq, rows)
    last = state.last_item[rows]
    started = last >= 0
    if started.any():
        # browsing: the syllabus item right after the last one is the natural next click
        nxt = syllabus_rank[np.where(started, last, 0)] + 1
        dist = np.abs(syllabus_rank[None, :] - nxt[:, None])
        util = util + (p["browse"][rows] * started)[:, None] * np.exp(-dist / 2.0)
    choice = np.argmax(util + rng.gumbel(size=(m, n)), axis=1)
    draw = rng.random((2, m))
    follow = draw[0] < p["syllabus_follow"][rows]
    if follow.any():
        choice[follow] = first_unpassed(state.passed[rows[follow]], syllabus_codes)
    again = started & state.last_failed[rows] & (draw[1] < p["retry"][rows])
    choice[again] = last[again]
    return choice


def advance_clock(state: LearnerState, rows: np.ndarray, rng: np.random.Generator, *,
                  session_end: float = 0.12, gap_days: float = 2.0, within_s: float = 420.0,
                  holidays=()) -> None:
    """Move the clocks of ``rows`` forward by one step: minutes inside a session, days between sessions;
    a time falling in a holiday ``(start_s, end_s)`` moves to just after it."""
    m = len(rows)
    new_session = rng.random(m) < session_end
    dt = np.where(new_session, rng.exponential(gap_days * 86400.0, m) + 3600.0,
                  rng.lognormal(np.log(within_s), 0.6, m))
    t = state.clock[rows] + dt.astype(np.int64)
    for start, end in holidays:
        inside = (t >= start) & (t < end)
        t[inside] = end + rng.integers(0, 2 * 86400, size=int(inside.sum()))
    state.clock[rows] = t
