"""The man-hill experiment in closed loop: cohorts guided by a policy, and Semet's prior-correction test.

Cohorts of learners arrive one after another on the same course. Each learner gets ``step_budget``
attempts; at every step the policy proposes an item, which the learner takes with probability
``follow_prob`` (otherwise they wander, as unguided learners do). Between cohorts the policy may learn
from the traces of the cohort that just finished -- that is how the colony's trails build up.

Comparisons are paired: cohort ``c`` draws the *same* learners (population, ability, prior knowledge)
under every policy, from a generator seeded by ``(seed, c)``, so differences between policies are not
differences between cohorts.

Per cohort :func:`closed_loop` records the promotion metrics of :mod:`poem.simulation.promotion` (share of the course
mastered before and after the budget), time to mastery, and how the cohort moved (share of steps taken
on the recommendation, share of attempts on items the learner was ready for, dropout).

Examples
--------
>>> from poem.simulation.course import make_course
>>> course = make_course(12, rng=np.random.default_rng(0))
>>> table = closed_loop(course, "oracle", n_cohorts=2, cohort_size=20, step_budget=12, seed=1)
>>> table[["policy", "cohort", "learners"]].values.tolist()
[['oracle', 0, 20], ['oracle', 1, 20]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.simulation.promotion import METRICS, promotion_report
from poem.simulation.course import Course, make_course
from poem.simulation.engine import run_learners, to_epoch_seconds
from poem.simulation.learners import DEFAULT_POPULATIONS, init_learners
from poem.simulation.open_loop import SimulatedCourse
from poem.simulation.policies import POLICIES, ColonyPolicy, make_policy

__all__ = ["closed_loop", "compare_policies", "semet_test", "wrong_prior", "RECORD_COLUMNS", "POLICIES"]

#: columns of the per-cohort record
RECORD_COLUMNS = ["policy", "cohort", "learners", "learners_before", *METRICS, "n_nrp", "initial", "final",
                  "steps", "followed", "ready_share", "dropout", "reached_half", "steps_to_half",
                  "steps_per_item"]


def _as_course(course, seed) -> Course:
    if isinstance(course, SimulatedCourse):
        return course.course
    if isinstance(course, Course):
        return course
    if isinstance(course, (int, np.integer)) and not isinstance(course, bool):
        return make_course(int(course), rng=np.random.default_rng([int(seed), 99]))
    raise ParameterError(f"course must be a Course, a SimulatedCourse or a number of items; "
                         f"got {type(course).__name__}")


def _cohort_record(record, state, course, policy_name, cohort, before, budget) -> dict:
    n = course.n_items
    initial, final = state.initial_mastery, state.mastered.mean(axis=1)
    rep = promotion_report(initial, final, state.steps)
    m = state.n_learners
    # time to mastery: steps until half the course is mastered (initial knowledge counts)
    learned = record["after"] & ~record["before"]
    half = np.full(m, np.nan)
    if learned.any():
        frame = pd.DataFrame({"row": record["row"][learned], "step": record["step"][learned]})
        frame = frame.sort_values(["row", "step"], kind="stable")
        frame["known"] = frame.groupby("row").cumcount() + 1 + np.rint(initial[frame["row"]] * n)
        hit = frame[frame["known"] >= np.ceil(n / 2)].groupby("row")["step"].min() + 1
        half[hit.index.to_numpy()] = hit.to_numpy()
    already = initial >= 0.5
    half[already] = 0
    gained = np.rint((final - initial) * n).sum()
    events = len(record["row"])
    return {
        "policy": policy_name, "cohort": cohort, "learners": m, "learners_before": before,
        **{k: rep[k] for k in METRICS}, "n_nrp": rep["n_nrp"],
        "initial": float(initial.mean()), "final": float(final.mean()), "steps": float(state.steps.mean()),
        "followed": float(record["guided"].mean()) if events else 0.0,
        "ready_share": float((record["gate"] & ~record["before"]).mean()) if events else 0.0,
        "dropout": float(((state.steps < budget) & (final < 1)).mean()),
        "reached_half": float((~np.isnan(half)).mean()),
        "steps_to_half": float(np.nanmedian(half)) if (~np.isnan(half)).any() else float("nan"),
        "steps_per_item": float(state.steps.sum() / gained) if gained > 0 else float("nan"),
    }


def closed_loop(course, policy="colony", *, n_cohorts: int = 10, cohort_size: int = 200,
                step_budget: int | None = None, seed: int = 0, follow_prob: float = 0.8,
                populations=DEFAULT_POPULATIONS, dropout: float = 1.0, cohort_gap_days: float = 7.0,
                start="2024-01-08", return_traces: bool = False, on_cohort=None, learner_model=None,
                **policy_options):
    """Run cohorts guided by ``policy`` and record, per cohort, promotion and time to mastery.

    Parameters
    ----------
    course : Course, SimulatedCourse or int
        The course (an int draws a random course of that many items from ``seed``).
    policy : str or Policy
        One of :data:`POLICIES` or a policy object (kept across cohorts: it is what learns).
    n_cohorts, cohort_size : int
        Cohorts arriving one after another (``cohort_gap_days`` apart), and learners per cohort.
    step_budget : int, optional
        Attempts per learner (default: the number of items).
    seed : int
        Seeds cohort ``c``'s learners with ``(seed, c)`` (the same learners under every policy) and the
        steps with ``(seed, c, 1)``.
    follow_prob : float
        Probability that a learner takes the recommendation at a step.
    dropout : float
        Multiplier of the dropout hazards (0: everyone uses the whole budget unless done).
    learner_model : LearnerModel, optional
        How attempts teach and score (:class:`poem.simulation.learners.LearnerModel`; default BKT with a
        hard prerequisite gate).
    on_cohort : callable(cohort, policy, record), optional
        Called after each cohort, once the policy has learned from it (used by :func:`semet_test`); when
        it returns True no further cohort runs.
    return_traces : bool
        Also return the canonical traces frame of every cohort (learner ids ``c<cohort>-<k>``).
    **policy_options
        For ``colony`` / ``path``: ``params`` (ManHill parameters, e.g. a ``prior``), ``update``,
        ``operator``, ``warm_start``, ``method``.

    Returns
    -------
    DataFrame
        One row per cohort with :data:`RECORD_COLUMNS`: ``AP ... NRPR`` and ``n_nrp`` from
        :func:`poem.simulation.promotion.promotion_report` on the share of the course mastered on arrival
        (``initial``) and at the end (``final``) over the steps taken (``steps``, mean per learner);
        ``followed`` (share of steps taken on a recommendation), ``ready_share`` (share of attempts on
        items whose prerequisites were mastered, hidden), ``dropout`` (share who left before the budget
        without mastering everything), ``reached_half`` / ``steps_to_half`` (share who mastered half the
        course, median steps it took them) and ``steps_per_item`` (steps per item learned). With
        ``return_traces`` also the cohorts' canonical traces frame.
    """
    for name, value in (("n_cohorts", n_cohorts), ("cohort_size", cohort_size)):
        if int(value) != value or value < 1:
            raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    if not 0 <= follow_prob <= 1:
        raise ParameterError(f"follow_prob must lie in [0, 1], got {follow_prob!r}")
    course = _as_course(course, seed)
    budget = course.n_items if step_budget is None else step_budget
    if int(budget) != budget or budget < 1:
        raise ParameterError(f"step_budget must be a positive integer, got {step_budget!r}")
    pol = make_policy(policy, **policy_options)
    t0 = to_epoch_seconds(start)
    rows, frames = [], []
    before = 0
    for c in range(int(n_cohorts)):
        learner_rng = np.random.default_rng([int(seed), c])
        step_rng = np.random.default_rng([int(seed), c, 1])
        start_c = t0 + int(c * cohort_gap_days * 86400)
        arrivals = start_c + (learner_rng.random(int(cohort_size)) * 86400 * 2).astype(np.int64)
        state = init_learners(int(cohort_size), course, learner_rng, populations, start_clock=arrivals,
                              model=learner_model)
        pol.start_cohort(course, state)
        record = run_learners(state, course, step_rng, max_steps=int(budget),
                              recommend=pol.recommend if pol.guides else None, follow_prob=follow_prob,
                              dropout=dropout, observe=pol.observe)
        rows.append(_cohort_record(record, state, course, pol.name, c, before, int(budget)))
        frame = pd.DataFrame({
            "learner": np.array([f"c{c:03d}-{k:05d}" for k in range(int(cohort_size))],
                                dtype=object)[record["row"]],
            "item": course.items[record["item"]].astype(object),
            "timestamp": pd.to_datetime(record["clock"], unit="s", utc=True),
            "score": record["score"],
        })
        if return_traces:
            frames.append(frame)
        pol.end_cohort(frame)
        before += int(cohort_size)
        if on_cohort is not None and on_cohort(c, pol, rows[-1]) is True:
            break  # the callback asked to stop (Semet's test once every mistake is corrected)
    table = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    if return_traces:
        return table, (pd.concat(frames, ignore_index=True) if frames else frame)
    return table


def compare_policies(course, policies=("none", "random", "syllabus", "oracle", "colony"), **options):
    """:func:`closed_loop` for several policies on the same course and the same learners, stacked."""
    return pd.concat([closed_loop(course, p, **options) for p in policies], ignore_index=True)


# ---------------------------------------------------------------------------------------------- Semet
def wrong_prior(course: Course, n_wrong: int, rng: np.random.Generator):
    """A teacher syllabus with ``n_wrong`` deliberate mistakes, and the mistakes.

    Starting from the true order, ``n_wrong`` prerequisite arcs ``a -> b`` are picked (with distinct
    items) and ``b`` is moved to just before ``a``: the prior then leads from ``a``'s predecessor ``x``
    straight to ``b``, whose prerequisite ``a`` is not yet known.

    Returns
    -------
    order : list of str
        The wrong syllabus (a valid ``ManHill(prior=...)``).
    mistakes : list of dict
        ``{"x": x, "a": a, "b": b}`` per mistake, ``x`` None when ``a`` is the first item.
    """
    arcs = [tuple(e) for e in course.edges]
    if int(n_wrong) != n_wrong or not 1 <= n_wrong:
        raise ParameterError(f"n_wrong must be a positive integer, got {n_wrong!r}")
    order = list(course.true_order)
    used, picked = set(), []
    for k in rng.permutation(len(arcs)):
        a, b = arcs[k]
        if {a, b} & used:
            continue
        pos = order.index(a)
        x = order[pos - 1] if pos > 0 else None
        if x in used or (x is not None and course.prereq[course.code(x), course.code(b)]):
            continue
        used |= {a, b} | ({x} if x else set())
        picked.append((a, b))
        if len(picked) == n_wrong:
            break
    if len(picked) < n_wrong:
        raise ParameterError(f"the course has room for only {len(picked)} disjoint mistakes, "
                             f"{n_wrong} asked")
    for a, b in picked:
        order.remove(b)
        order.insert(order.index(a), b)
    mistakes = []
    for a, b in picked:
        pos = order.index(b)
        mistakes.append({"x": order[pos - 1] if pos > 0 else None, "a": a, "b": b})
    return order, mistakes


def _probe(model, course: Course, mistake) -> bool:
    """True while the colony still follows the mistake: a learner who knows every item before ``a`` in
    the true order and stands on ``x`` is sent to ``b`` (whose prerequisite ``a`` they lack)."""
    true = list(course.true_order)
    prefix = true[:true.index(mistake["a"])]
    if mistake["x"] is not None and mistake["x"] in prefix:
        prefix.remove(mistake["x"])
        prefix.append(mistake["x"])
    # "knows" = mastered in the colony's own sense: as many successes as it needs on each item (calibrated
    # per item, or ``mastery_successes``)
    need = model.calibration_.successes_needed
    code = {str(it): k for k, it in enumerate(model.items_)}
    history = [it for it in prefix for _ in range(int(need[code[str(it)]]))]
    got = model.suggest(history, [1.0] * len(history), k=1)
    return bool(got) and got[0].item == mistake["b"]


def semet_test(course, *, n_wrong: int = 5, n_cohorts: int = 10, cohort_size: int = 50, seed: int = 0,
               params=None, update: str = "partial", until_corrected: bool = False, **options):
    """Semet's test: a colony starting from a partly wrong teacher prior, and the learners it takes to
    correct the mistakes.

    The colony's ``prior`` is :func:`wrong_prior`'s syllabus; the first cohort is guided by the prior
    alone. Before the first cohort and after each one every mistake is probed: is a learner who knows
    every item before ``a`` in the true order and stands on ``x`` still sent to ``b``?

    Parameters
    ----------
    course : Course, SimulatedCourse or int
    n_wrong : int
        Mistakes planted in the prior.
    params : dict, optional
        Other ``ManHill`` parameters (``prior_weight`` sets how hard the prior is to overturn).
    until_corrected : bool
        Stop as soon as no mistake is followed any more; ``n_cohorts`` is then the most cohorts tried
        before giving up.
    **options
        Passed to :func:`closed_loop` (``follow_prob``, ``step_budget``, ``dropout``...).

    Returns
    -------
    table : DataFrame
        One row per probe: ``cohort`` (-1 before any learner), ``learners_seen``, ``wrong_left`` (mistakes
        still followed) and, for cohorts, their promotion record (``NRP``...).
    summary : dict
        ``n_wrong``, ``wrong_at_start``, ``learners_to_correct`` (learners seen from which no mistake is
        followed any more until the end; None if never), ``per_mistake`` (the same per mistake),
        ``gave_up_after`` (learners seen when the test stopped with mistakes left, else None) and
        ``mistakes`` (the planted ``x, a, b``).
    """
    from poem.antcolony import ManHill
    from poem.simulation.policies import _empty_frame

    course = _as_course(course, seed)
    order, mistakes = wrong_prior(course, n_wrong, np.random.default_rng([int(seed), 5]))
    params = {**(params or {}), "prior": order}
    start_model = ManHill(**params).fit(ColonyPolicy._traces_of(_empty_frame(), course))
    rows = [{"cohort": -1, "learners_seen": 0, **_probe_all(start_model, course, mistakes)}]

    def probe(c, pol, record):
        rows.append({"cohort": c, "learners_seen": (c + 1) * int(cohort_size),
                     **_probe_all(pol.model, course, mistakes),
                     **{k: record[k] for k in (*METRICS, "final", "ready_share", "followed")}})
        return bool(until_corrected) and rows[-1]["wrong_left"] == 0

    closed_loop(course, ColonyPolicy(params=params, update=update), n_cohorts=n_cohorts,
                cohort_size=cohort_size, seed=seed, on_cohort=probe, **options)
    table = pd.DataFrame(rows)
    wrong = np.array([r.pop("wrong") for r in rows])  # (probes, mistakes)
    table = table.drop(columns="wrong")
    seen = table["learners_seen"].to_numpy()

    def settled(flags):
        # first probe from which the flags stay False until the end
        if flags[-1]:
            return None
        later = np.flatnonzero(flags)
        return int(seen[later[-1] + 1]) if len(later) else 0

    summary = {
        "n_wrong": int(n_wrong),
        "wrong_at_start": int(wrong[0].sum()),
        "learners_to_correct": settled(wrong.any(axis=1)),
        "per_mistake": [settled(wrong[:, k]) for k in range(len(mistakes))],
        "gave_up_after": int(seen[-1]) if wrong[-1].any() else None,
        "mistakes": mistakes,
    }
    return table, summary


def _probe_all(model, course, mistakes) -> dict:
    wrong = [_probe(model, course, mk) for mk in mistakes]
    return {"wrong_left": int(sum(wrong)), "wrong": wrong}
