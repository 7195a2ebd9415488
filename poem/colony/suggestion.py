"""Next-item suggestions from a fitted man-hill: the candidate score, its evidence, the selection operators.

For a learner standing on node c (their last item, or the start node) with mastered set M and ELO ability
θ, candidate j has the additive score

    S_j = w_prior·W[c, j] + w_plus·Φ⁺[c, j] − w_minus·Φ⁻[c, j] + w_precedence·ready(j | M)
        + w_level·level(σ(θ − d_j)) + exploration / √(1 + support[c, j])

and, with ``combine="gain"`` (the default), the final score is the expected gain
``(S_j − min S + GAIN_FLOOR) · σ(θ − d_j)``: a candidate the learner is predicted to fail cannot win on
pheromone and readiness alone (``combine="sum"`` keeps S). In the closed-loop experiment the product took
the last cohort's NRP from 0.22 to 0.24 (``benchmarks/results/closed_loop.md``). In S,
Φ⁺ and Φ⁻ are scaled by the largest total pheromone out of c (so each term lies in [0, 1]), and
``level(p) = 1 − |p − target| / max(target, 1 − target)`` is the ELO level matching. Readiness comes from
precedence: with ``E[i, j]`` the significant strength of "i precedes j" (:func:`precedence_strength`),

    ready(j | M) = (Σ_{i ∈ M} E[i, j] + ½·c) / (Σ_i E[i, j] + c),    c = :data:`READY_PRIOR`,

the share of j's predecessors the learner has mastered, shrunk toward ½: an item with no evidence is
neutral rather than "ready" (otherwise the least-known items, deep in the course, would look the most
accessible). That is ``readiness="share"``, the default. ``readiness="conditional"`` instead uses the
conditional-success evidence ``E`` of :func:`conditional_evidence` as a soft AND,
``ready(j | M) = Π_{i ∉ M} (1 − E[i, j])``: one missing likely prerequisite is enough to make j unready.
It is principled but measured *worse* in closed loop (the counts are biased by the colony's own guidance:
guided learners reach j with everything the colony put first, so those items look necessary), hence
not the default; the counts are kept in the state so that better estimators can use them.

**Remediation** (``w_remediate``, default 1): right after a failure on the current item j, each unmastered
i gets the bonus ``w_remediate · E[i, j] / max_i E[i, j]`` (added to S, before the gain product): the
learner is pointed at j's most likely missing prerequisites rather than at whatever the trail from j
favours. In the closed-loop runs it raised the last cohort's NRP on every scenario tried (headline
0.239 → 0.240, Junyi 0.178 → 0.184, seed 1 0.221 → 0.231, seed 2 0.238 → 0.254); a weight of 2 was
worse than 1 and 0.5 (``benchmarks/results/closed_loop.md``).

**Mastery** of item j is its ``need[j]``-th success (a success is a score at or above ``mastery``).
``need`` is calibrated from the course's own traces (:mod:`poem.colony.calibration`: how often is a first
pass a guess?) unless ``mastery_successes`` fixes it for every item. Where one pass is weak evidence,
trusting it unlocks the dependents of guessed items; a once-passed item then stays allowed, and since
the learner is predicted to pass it again, the colony often asks to confirm it. Where a pass is mastery
(a graded exam, no guessing) one pass is enough and a passed item is never suggested again.

**Exploration.** The colony's evidence is biased by its own guidance (learners go where it sends them),
so items it knows little about must still be tried: ``exploration / √(1 + support)`` is an optimism bonus
on little-travelled arcs, and ``sampling="thompson"`` replaces σ(θ − d) in the gain product by a draw
from ``Beta(p·κ + 1, (1 − p)·κ + 1)``, κ the item's scored attempts (Thompson sampling on the success
model). Across the closed-loop scenario family Thompson sampling beat the plain product in 8 of 12
scenarios, most on a long chain (0.134 against 0.083 NRP); the bonus alone is within noise of greedy.

**Readiness from the success conditional on what the learner mastered** (``sampling="conditional"``,
the default). σ(θ − d_j) averages over every learner who tried j, ready or not; on a chain that makes
the item right after the learner's frontier look as hard as an item twenty steps further. The state
counts the attempts on j made after i was mastered (``cond_attempts_``, ``cond_successes_``); for the
learner's mastered items (in the counts' sense: the calibrated passes, at most two; recounted on the
state's log where one pass is mastery, ``cond_calibrated``) the most favourable one
lifts the learner's log-odds on j by ``logit r₁ − logit μ_j`` (:func:`poem.colony.conditional.conditional_success`), and the
Thompson draw is centred there with the weight of those attempts plus a concentration c measured from
the traces (:func:`~poem.colony.conditional.conditional_concentration`: how far conditional rates stray from the items' own; c
≈ 9 on a 40-item chain, ≈ 60 on a local random DAG). Items nobody tried after the learner's mastered
items keep the Thompson draw of ``"thompson"``. On the closed-loop family it raised the chain's last
cohort from 0.134 to about 0.20 NRP without lowering another scenario by more than 0.01
(``benchmarks/results/closed_loop.md``).

Each suggestion carries its reason in words (:func:`explain`): a retry, a confirmation, a remediation,
ready because named prerequisites are mastered, or the dominant term; it names only history items.

Mastered items and items seen without a score are tabu; failed or once-passed items may come back
(retrying is how learners learn). Items nobody has reached get no pheromone terms, so they fall back to
the prior, then to level and exploration: never NaN.

Everything that does not depend on the learner is precomputed by :meth:`SuggestTables.build` at fit time;
a call costs a few vector operations on n-vectors and no pandas.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from poem.colony.calibration import Calibration, calibrate
from poem.colony.conditional import conditional_concentration, conditional_rates, conditional_success
from poem.colony.doubt import doubt_mastery, doubt_tables
from poem.colony.elo import success_probability
from poem.colony.kernels import conditional_pass
from poem.errors import ParameterError

__all__ = ["Suggestion", "SuggestTables", "OPERATORS", "TERMS", "score_candidates", "select",
           "precedence_strength", "conditional_evidence", "mastered_items", "explain", "check_scores", "build_prior",
           "seeded_generator", "conditional_concentration", "conditional_success"]

OPERATORS = ("greedy", "roulette", "tournament", "ranking")
TERMS = ("prior", "success", "failure", "precedence", "level", "exploration")

#: z-score above which a precedence difference counts as evidence that i precedes j
PRECEDENCE_Z = 2.0
#: pseudo-evidence of readiness 1/2 added to every item: no evidence is neutral, not "ready"
#: (the legacy ``readiness="share"``)
READY_PRIOR = 1.0
#: z-score above which a difference of conditional success rates counts as prerequisite evidence
CONDITIONAL_Z = 2.0
#: cap of the conditional evidence: one missing item never makes readiness exactly 0
MAX_EVIDENCE = 0.99
#: learner-arcs out of a node at which the teacher prior's weight there has halved
PRIOR_LEARNERS = 20.0
#: added to the shifted additive score before the gain product, so no candidate's factor is exactly 0
GAIN_FLOOR = 0.01


#: seeds whose fresh generator state each thread keeps (beyond it the cache starts again)
_GENERATOR_CACHE = 64
_generators = threading.local()


def seeded_generator(seed) -> np.random.Generator:
    """``numpy.random.default_rng(seed)`` for an integer seed (None: 0), at a fraction of the cost.

    Seeding hashes the seed into a PCG64 state (about 20 us, a tenth of a ``suggest`` call); this keeps
    one generator per seed and thread and puts the fresh state back on each call, so the draws are exactly
    those of a new ``default_rng(seed)``. The generator is only valid until the next call in the same
    thread: callers use it and drop it (``suggest`` never returns it).

    >>> a = seeded_generator(7).random(3)
    >>> bool(np.array_equal(a, np.random.default_rng(7).random(3)))
    True
    >>> bool(np.array_equal(seeded_generator(7).random(3), a))
    True
    """
    seed = 0 if seed is None else seed
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        return np.random.default_rng(seed)
    cache = getattr(_generators, "cache", None)
    if cache is None:
        cache = _generators.cache = {}
    key = int(seed)
    hit = cache.get(key)
    if hit is None:
        if len(cache) >= _GENERATOR_CACHE:
            cache.clear()
        gen = np.random.default_rng(key)
        cache[key] = (gen, gen.bit_generator.state)
        return gen
    gen, state = hit
    gen.bit_generator.state = state
    return gen


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested item with its evidence.

    ``support``: learners who travelled the arc from the current node; ``success_rate``: smoothed success
    share on that arc; ``predicted_success``: ELO σ(θ − d); ``dominant_term``: the term of the score with
    the largest weighted contribution (one of :data:`TERMS`); ``readiness``: ready(j | M), the colony's
    belief that every likely prerequisite of the item is mastered; ``missing_prerequisite``: the
    unmastered item, never passed by the learner, whose evidence lowers that belief the most (None when
    nothing does); ``reason``: why the item is suggested, in words (:func:`explain`); ``because``: the
    items of the learner's history the reason names (never an item outside the history).
    """

    item: str
    score: float
    support: int
    success_rate: float
    predicted_success: float
    dominant_term: str
    readiness: float = float("nan")
    missing_prerequisite: str | None = None
    reason: str = ""
    because: tuple = ()

    def to_dict(self) -> dict:
        """The fields as a plain dict (JSON-ready).

        >>> Suggestion("v1", 1.0, 3, 0.5, 0.7, "level").to_dict()["item"]
        'v1'
        """
        out = asdict(self)
        out["because"] = list(self.because)
        return out


def precedence_strength(precedence: np.ndarray) -> np.ndarray:
    """Evidence that i precedes j, in [0, 1]: ``(P − Pᵀ) / (P + Pᵀ + 1)`` where the difference is
    significant (z = (P − Pᵀ) / √(P + Pᵀ + 1) > :data:`PRECEDENCE_Z`), else 0.

    >>> precedence_strength(np.array([[0.0, 30.0], [2.0, 0.0]])).round(2).tolist()
    [[0.0, 0.85], [0.0, 0.0]]
    """
    p = np.asarray(precedence, dtype=float)
    diff = p - p.T
    both = p + p.T
    z = diff / np.sqrt(both + 1.0)
    return np.where(z > PRECEDENCE_Z, diff / (both + 1.0), 0.0)


def conditional_evidence(cond_attempts, cond_successes, tries, first,
                         smoothing: float = 2.0, z_min: float = CONDITIONAL_Z) -> np.ndarray:
    """Evidence that i is a prerequisite of j, in [0, 1), from conditional success.

    Among the ``tries[j]`` scored attempts on j until a learner masters it (success sum ``first[j]``;
    :func:`poem.colony.kernels.conditional_pass`), ``a1`` were made after i was mastered (success sum ``s1``)
    and ``a0 = tries[j] - a1`` were not (``s0``). With both rates smoothed toward j's overall rate r̄ by
    ``smoothing`` pseudo-attempts, r₁ = (s1 + m·r̄) / (a1 + m) and r₀ likewise, the evidence is the share
    of the success with i that vanishes without it,

        E[i, j] = 1 − r₀ / r₁     where  z = (r₁ − r₀) / √(r̄(1 − r̄)(1/(a1+1) + 1/(a0+1))) > z_min,

    else 0. A prerequisite leaves r₀ near the guess rate, so E is large; an item merely learnt earlier
    (depth, or the colony's own guidance putting it first) changes j's success little, so E stays small
    even when "i before j" is systematic -- which is what the first-success ``precedence_`` cannot tell.

    >>> E = conditional_evidence(np.array([[0, 40], [0, 0]]), np.array([[0.0, 32.0], [0.0, 0.0]]),
    ...                          np.array([0, 80]), np.array([0.0, 36.0]))
    >>> E.round(2).tolist()          # j = 1 succeeds 32/40 after i = 0, 4/40 without it
    [[0.0, 0.85], [0.0, 0.0]]
    """
    r1, r0, z = conditional_rates(cond_attempts, cond_successes, tries, first, smoothing)
    E = np.where(z > z_min, 1.0 - r0 / np.maximum(r1, 1e-12), 0.0)
    np.fill_diagonal(E, 0.0)
    return np.clip(E, 0.0, MAX_EVIDENCE)


@dataclass
class SuggestTables:
    """Learner-independent arrays precomputed from a fitted colony (see the module docstring)."""

    n: int
    items: list
    code_of: dict
    base: np.ndarray          # (n+1, n) prior + pheromone + exploration terms, weighted
    prior: np.ndarray         # (n+1, n) weighted prior term (zeros without a prior)
    plus: np.ndarray          # (n+1, n) weighted success term
    minus: np.ndarray         # (n+1, n) weighted failure term (positive; subtracted)
    explore: np.ndarray       # (n+1, n) exploration term
    evidence: np.ndarray      # (n, n) precedence strength (share) or conditional evidence (conditional)
    evidence_total: np.ndarray  # (n,) column sums of evidence (share) or of log(1 - evidence) (conditional)
    log_missing: np.ndarray   # (n, n) log(1 - conditional evidence), conditional readiness only
    support: np.ndarray       # (n+1, n) int
    success_rate: np.ndarray  # (n+1, n)
    difficulty: np.ndarray
    mastery: float
    target: float
    w_precedence: float
    w_level: float
    readiness: str = "share"
    need: np.ndarray = None   # (n,) int: passes after which an item counts as mastered
    combine: str = "gain"
    w_remediate: float = 0.0
    calibration: Calibration = None
    sampling: str = "none"
    item_evidence: np.ndarray = None   # (n,) scored attempts per item: how sure the success model is
    cond_attempts: np.ndarray = None   # (n, n) attempts on j made after i was mastered (conditional sampling)
    cond_successes: np.ndarray = None  # (n, n) their score sum
    smoothing: float = 2.0
    cond_tries: np.ndarray = None
    cond_first: np.ndarray = None
    cond_need: np.ndarray = None       # (n,) passes after which the conditional counts take an item as mastered
    cond_concentration: float = 2.0    # pseudo-attempts the predicted success weighs against conditional ones
    doubt_fail: np.ndarray = None      # (n, n) doubt: log-likelihood ratios of a failure / a pass on j for
    doubt_pass: np.ndarray = None      # "i is mastered" (poem.colony.doubt); None: no doubt
    doubt_start: np.ndarray = None     # (n,) log-odds of mastery after the first pass
    doubt_step: np.ndarray = None      # (n,) log-odds each further pass adds
    need_list: list = None    # need and difficulty as Python lists: the per-event loops of a history
    difficulty_list: list = None  # index them without creating numpy scalars

    cond_need_list: list = None

    def __post_init__(self):
        if self.need is not None and self.need_list is None:
            self.need_list = [int(x) for x in self.need]
        if self.cond_need is None:
            self.cond_need = np.full(self.n, 2, np.int64)
        if self.cond_need_list is None:
            self.cond_need_list = [int(x) for x in self.cond_need]
        if self.difficulty_list is None:
            self.difficulty_list = np.asarray(self.difficulty, dtype=float).tolist()

    @classmethod
    def build(cls, model) -> "SuggestTables":
        n = len(model.items_)
        plus, minus = model.phi_plus_, model.phi_minus_
        total = plus + minus
        top = total.max(axis=1, keepdims=True) if n else np.zeros((n + 1, 1))
        scale = np.divide(1.0, top, out=np.zeros_like(top), where=top > 0)
        w_plus = float(model.w_plus) * plus * scale
        w_minus = float(model.w_minus) * minus * scale
        support = model.arc_learners_
        if model.prior_ is None:
            prior = np.zeros((n + 1, n))
        else:
            # the teachers' prior is a belief held until the learners' trails say otherwise: its weight
            # out of node c shrinks as learners leave c (half at PRIOR_LEARNERS), so a wrong arc can be
            # overturned by the bounded pheromone terms (Semet's test)
            leaving = support.sum(axis=1, keepdims=True).astype(float)
            prior = float(model.prior_weight) * model.prior_ * (PRIOR_LEARNERS / (PRIOR_LEARNERS + leaving))
        explore = float(model.exploration) / np.sqrt(1.0 + support)
        item_rate = (model.item_successes_ + 1.0) / (model.item_attempts_ + 2.0)
        m = float(model.smoothing)
        denom = total + m
        rate = np.divide(plus + m * item_rate[None, :], denom, out=np.tile(item_rate, (n + 1, 1)),
                         where=denom > 0)
        if model.mastery_successes is None:
            st = model.state_
            cal = calibrate(st.log_item, st.log_score, st.log_bounds, n, mastery=float(model.mastery),
                            threshold=float(model.mastery_confidence), kinds=getattr(model, "item_kinds_", None))
        else:
            cal = Calibration.fixed(n, int(model.mastery_successes))
        cond_need = np.full(n, 2 if model.mastery_successes is None else int(model.mastery_successes), np.int64)
        cond = (model.cond_attempts_, model.cond_successes_, model.cond_tries_, model.cond_first_)
        if model.mastery_successes is None and bool(model.cond_calibrated):
            # the counts take an item as mastered where suggest does: at its calibrated passes, at most the
            # two the fitted counts use; where that is fewer (one pass is mastery) they are recounted on
            # the state's log, so that a course without guessing has conditions at all
            calibrated = np.minimum(cal.successes_needed, cond_need)
            if (calibrated != cond_need).any():
                cond_need = calibrated.astype(np.int64)
                cond = conditional_pass(st.log_item, st.log_score, st.log_bounds, n, float(model.mastery),
                                        cond_need)
        cond_att, cond_succ, cond_tries, cond_first = cond
        readiness = str(model.readiness)
        if readiness == "share":
            evidence = precedence_strength(model.precedence_)
            log_missing = np.zeros((0, n))
            ev_total = evidence.sum(axis=0)
        else:
            evidence = conditional_evidence(cond_att, cond_succ, cond_tries, cond_first, smoothing=m)
            log_missing = np.log1p(-evidence)
            ev_total = log_missing.sum(axis=0)
        items = [str(x) for x in model.items_]
        concentration = conditional_concentration(cond_att, cond_succ, cond_tries, cond_first)
        doubt = (None,) * 4
        if bool(model.doubt) and model.mastery_successes is None:
            doubt = doubt_tables(cond_att, cond_succ, cond_tries, cond_first, concentration, cal.pass_value,
                                 cal.guess, cal.slip, CONDITIONAL_Z)
        return cls(n=n, items=items, code_of={it: k for k, it in enumerate(items)},
                   base=prior + w_plus - w_minus + explore, prior=prior, plus=w_plus, minus=w_minus,
                   explore=explore, evidence=evidence, evidence_total=ev_total, log_missing=log_missing,
                   support=support,
                   success_rate=rate, difficulty=np.asarray(model.item_difficulty_, dtype=float),
                   mastery=float(model.mastery), target=float(model.target_success),
                   w_precedence=float(model.w_precedence), w_level=float(model.w_level),
                   readiness=readiness, need=cal.successes_needed.astype(np.int64),
                   combine=str(model.combine), w_remediate=float(model.w_remediate), calibration=cal,
                   sampling=str(model.sampling), item_evidence=np.asarray(model.item_attempts_, dtype=float),
                   cond_attempts=np.asarray(cond_att, dtype=float),
                   cond_successes=np.asarray(cond_succ, dtype=float), smoothing=m,
                   cond_tries=np.asarray(cond_tries, dtype=float),
                   cond_first=np.asarray(cond_first, dtype=float), cond_need=cond_need,
                   cond_concentration=concentration, doubt_fail=doubt[0], doubt_pass=doubt[1],
                   doubt_start=doubt[2], doubt_step=doubt[3])

    def encode(self, history) -> list:
        """Item ids (or integer codes) to codes; an unknown id raises :class:`ParameterError`."""
        out = []
        for h in history:
            if isinstance(h, (int, np.integer)) and not isinstance(h, bool):
                if not 0 <= h < self.n:
                    raise ParameterError(f"item code {h} out of range [0, {self.n})")
                out.append(int(h))
            else:
                try:
                    out.append(self.code_of[str(h)])
                except KeyError:
                    raise ParameterError(f"unknown item {h!r} (not in the colony's {self.n} items)") from None
        return out

    def suggestion(self, j: int, current: int, total: np.ndarray, terms: tuple, p: np.ndarray,
                   codes=(), scores=()) -> Suggestion:
        return self.suggestions([j], current, total, terms, p, codes, scores)[0]

    def suggestions(self, chosen, current: int, total: np.ndarray, terms: tuple, p: np.ndarray,
                    codes=(), scores=()) -> list:
        """The :class:`Suggestion` of each chosen item code, in order (the terms and the missing
        prerequisite computed for all of them at once)."""
        ready, level, mastered, wins, remedy = terms
        chosen = np.asarray(chosen, dtype=np.int64)
        k = len(chosen)
        if not k:
            return []
        contrib = np.array([self.prior[current, chosen], self.plus[current, chosen], -self.minus[current, chosen],
                            self.w_precedence * ready[chosen], self.w_level * level[chosen],
                            self.explore[current, chosen]])
        dominant = np.argmax(np.abs(contrib), axis=0).tolist()
        # the unmastered item weighing most against j's readiness; an item the learner has passed (even
        # once, not yet confirmed) is not "missing"
        cols = -self.log_missing[:, chosen] if self.readiness == "conditional" else self.evidence[:, chosen]
        if self.n:
            if mastered:
                cols[mastered] = 0.0
            if wins:
                cols[list(wins)] = 0.0
            cols[chosen, np.arange(k)] = 0.0
            worst = np.argmax(cols, axis=0)
            has_missing = (cols[worst, np.arange(k)] > 0).tolist()
            worst = worst.tolist()
        else:
            worst, has_missing = [0] * k, [False] * k
        support = self.support[current, chosen].tolist()
        rate = self.success_rate[current, chosen].tolist()
        out = []
        for c, j in enumerate(chosen.tolist()):
            missing = self.items[worst[c]] if has_missing[c] else None
            term = TERMS[dominant[c]]
            reason, because = explain(self, j, current, terms, p, term, codes, scores, missing is not None)
            out.append(Suggestion(self.items[j], float(total[j]), int(support[c]), float(rate[c]), float(p[j]),
                                  term, float(ready[j]), missing, reason, because))
        return out


#: most prerequisites an explanation names
EXPLAIN_NAMES = 3


def explain(t: SuggestTables, j: int, current: int, terms: tuple, p: np.ndarray, dominant: str, codes,
            scores, missing: bool = False) -> tuple:
    """Why item ``j`` is suggested, in words, and the history items the words name.

    The reasons, first that applies: a *retry* of the item just failed; a *confirmation* of an item passed
    fewer times than the calibration asks (:mod:`poem.colony.calibration`); a *remediation* after failing
    the current item (``j`` is one of its likely prerequisites); *ready* because likely prerequisites of
    ``j`` are mastered (named; "partly ready" when ``missing``, another likely prerequisite not being
    mastered); otherwise the dominant term of the score. Only items of the learner's history are ever named.
    """
    ready, level, mastered, wins, remedy = terms
    name = t.items
    seen = set(codes)
    last_failed = bool(codes) and scores[-1] == scores[-1] and scores[-1] < t.mastery
    chance = f"predicted success {p[j]:.0%}"
    if codes and j == current and last_failed:
        return f"another try at {name[j]}, failed just before ({chance})", (name[j],)
    passes = wins.get(j, 0)
    if passes and passes >= int(t.need[j]):
        return (f"a confirmation: {name[j]} counted as mastered after {passes} pass(es), but later failures on "
                f"items that need it make that doubtful ({chance})", (name[j],))
    if passes:
        need = int(t.need[j])
        cal = t.calibration
        worth = ("" if cal is None or np.isnan(cal.pass_value[j])
                 else f"; in this course a first pass here means mastery only {cal.pass_value[j]:.0%} of the time")
        return (f"a confirmation: {name[j]} passed {passes} time(s), {need} passes count as mastery since a pass "
                f"here is often a guess{worth} ({chance})", (name[j],))
    if remedy is not None and remedy[j] > 0 and current in seen:
        return (f"a remediation after failing {name[current]}: {name[j]} is a likely prerequisite of it "
                f"({chance})", (name[current],))
    ev = t.evidence[:, j] if t.readiness == "share" else -t.log_missing[:, j]
    if mastered:
        got = np.asarray(mastered)
        got = got[ev[got] > 0]
        got = got[np.argsort(-ev[got], kind="stable")][:EXPLAIN_NAMES]
        if len(got):
            names = [name[i] for i in got]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            verb = "is" if len(names) == 1 else "are"
            head, tail = ("partly ready", ", another likely one is not yet") if missing else ("ready", "")
            return (f"{head}: its likely prerequisite{'s' if len(names) > 1 else ''} {listed} {verb} mastered"
                    f"{tail} ({chance})", tuple(names))
    here = f"from {name[current]}" if current < t.n and current in seen else "at the start"
    words = {
        "prior": f"the teachers' syllabus leads there {here}",
        "success": f"learners who went there {here} mostly succeeded",
        "failure": f"the least failed of the paths {here}",
        "precedence": "nothing it likely depends on is missing",
        "level": "it matches your level",
        "exploration": f"few learners tried it {here}: worth exploring",
    }
    text = words[dominant]
    return f"{text} ({chance})", ((name[current],) if here in text and "from" in here else ())


def check_scores(scores, where: str = "suggest") -> None:
    """Refuse scores outside [0, 1] (NaN means unscored and is allowed).

    >>> check_scores([0.0, 1.0, float("nan")])
    >>> check_scores([2.0])
    Traceback (most recent call last):
    ...
    poem.errors.ParameterError: suggest: score 2.0 (position 1) is outside [0, 1]; rescale scores to [0, 1] (e.g. divide by the maximum mark) or pass NaN for an unscored event
    """
    for k, s in enumerate(scores):
        if s == s and not 0.0 <= s <= 1.0:
            raise ParameterError(f"{where}: score {s!r} (position {k + 1}) is outside [0, 1]; rescale scores to "
                                 "[0, 1] (e.g. divide by the maximum mark) or pass NaN for an unscored event")


def mastered_items(t: SuggestTables, codes: list, scores: list):
    """``(mastered codes, allowed mask, passes)`` of one history: item j is mastered at its ``t.need[j]``-th
    success (calibrated per item, :mod:`poem.colony.calibration`; a single pass may be a guess); mastered
    items and items seen without a score are not allowed; failed or once-passed items stay allowed
    (retrying is how learners learn, and another success is what confirms mastery). ``passes`` maps the
    passed but not yet mastered items to their count of successes."""
    allowed = np.ones(t.n, dtype=bool)
    mastered = []
    need = t.need_list if t.need_list is not None else t.need
    wins = {}
    for j, s in zip(codes, scores):
        if s != s:
            allowed[j] = False
        elif s >= t.mastery:
            c = wins.get(j, 0) + 1
            wins[j] = c
            if c == need[j]:
                allowed[j] = False
                mastered.append(j)
    passes = {j: c for j, c in wins.items() if c < need[j]}
    return mastered, allowed, passes


def score_candidates(t: SuggestTables, codes: list, scores: list, theta: float, rng=None):
    """Candidate scores for one learner: ``(total, (ready, level, mastered, passes, remedy), allowed,
    predicted_success)`` (``remedy``: the remediation bonus per item, None when there is none).

    With ``t.sampling == "thompson"`` the gain product uses a draw of each item's success probability
    from ``Beta(p·κ + 1, (1 − p)·κ + 1)``, κ the item's scored attempts in the traces (Thompson sampling
    on the success model): an item the colony has little evidence on is sometimes tried on the chance
    that it is better than predicted, one it knows well almost never. With ``"conditional"`` the draw
    is centred on the chance given the learner's mastered items where learners tried the item after
    mastering one of them (:func:`poem.colony.conditional.conditional_success`), with the weight of those attempts plus the
    measured concentration. ``rng`` seeds the draws."""
    mastered, allowed, passes = mastered_items(t, codes, scores)
    if t.doubt_fail is not None:
        # later failures on what needs a mastered item may make it doubtful again (poem.colony.doubt)
        mastered, allowed, passes = doubt_mastery(t, codes, scores, mastered, allowed, passes)
    current = codes[-1] if codes else t.n
    p = success_probability(theta, t.difficulty)
    level = 1.0 - np.abs(p - t.target) / max(t.target, 1.0 - t.target)
    if t.readiness == "share":
        covered = t.evidence[mastered].sum(axis=0) if mastered else 0.0
        ready = (covered + READY_PRIOR * 0.5) / (t.evidence_total + READY_PRIOR)
    else:
        # soft AND: the product over every unmastered item i of (1 - E[i, j])
        log_ready = t.evidence_total - (t.log_missing[mastered].sum(axis=0) if mastered else 0.0)
        ready = np.exp(np.minimum(log_ready, 0.0))
    total = t.base[current] + t.w_precedence * ready + t.w_level * level
    remedy = None
    if t.w_remediate > 0 and codes and scores[-1] == scores[-1] and scores[-1] < t.mastery:
        # remediation: after a failure on j, its likely missing prerequisites (unmastered i with evidence
        # that i is needed for j) get a bonus proportional to that evidence
        col = -t.log_missing[:, current] if t.readiness == "conditional" else t.evidence[:, current].copy()
        if mastered:
            col[mastered] = 0.0
        top = col.max()
        if top > 0:
            remedy = t.w_remediate * col / top
            total = total + remedy
    if t.combine == "gain":
        # expected gain: how much the colony likes j times the chance to pass it now; a candidate the
        # learner is predicted to fail cannot win on pheromone and readiness alone
        chance = p
        if t.sampling in ("thompson", "conditional"):
            rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
            centre, kappa = p, t.item_evidence
            if t.sampling == "conditional":
                got = conditional_success(t, codes, scores, p)
                if got is not None:
                    # where learners tried j after mastering one of this learner's items, the draw is
                    # centred on the lifted chance and as sure as those attempts (plus the prior's c)
                    mean, attempts = got
                    tried = attempts > 0
                    centre = np.where(tried, mean, p)
                    kappa = np.where(tried, np.minimum(kappa, attempts + t.cond_concentration), kappa)
            chance = rng.beta(centre * kappa + 1.0, (1.0 - centre) * kappa + 1.0)
        total = (total - total.min() + GAIN_FLOOR) * chance
    return total, (ready, level, mastered, passes, remedy), allowed, p


def select(total: np.ndarray, allowed: np.ndarray, k: int, operator: str, rng, tournament_size: int = 3):
    """Pick up to ``k`` distinct allowed candidates with a selection operator; returns item codes.

    >>> select(np.array([0.1, 0.9, 0.5]), np.array([True, True, True]), 2, "greedy", None).tolist()
    [1, 2]
    """
    idx = np.flatnonzero(allowed)
    if idx.size == 0:
        return np.array([], dtype=np.int64)
    k = min(k, idx.size)
    vals = total[idx]
    if operator == "greedy":
        # stable sort: ties go to the lower item code, so greedy is deterministic
        return idx[np.argsort(-vals, kind="stable")[:k]]
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if operator == "roulette":
        fit = vals - vals.min()
        fit = fit + (fit.max() * 1e-3 if fit.max() > 0 else 1.0)
        return idx[rng.choice(idx.size, size=k, replace=False, p=fit / fit.sum())]
    if operator == "ranking":
        ranks = np.empty(idx.size)
        ranks[np.argsort(vals, kind="stable")] = np.arange(1, idx.size + 1)
        return idx[rng.choice(idx.size, size=k, replace=False, p=ranks / ranks.sum())]
    if operator == "tournament":
        remaining = list(range(idx.size))
        out = []
        for _ in range(k):
            size = min(int(tournament_size), len(remaining))
            entrants = rng.choice(len(remaining), size=size, replace=False)
            best = max(entrants, key=lambda e: (vals[remaining[e]], -remaining[e]))
            out.append(idx[remaining.pop(int(best))])
        return np.asarray(out, dtype=np.int64)
    raise ParameterError(f"unknown operator {operator!r}; valid: {list(OPERATORS)}")


def build_prior(prior, items: np.ndarray):
    """The teacher prior (``ManHill(prior=...)``: array, DataFrame or syllabus list) as an (n+1, n) array
    scaled to [0, 1], or None.

    >>> build_prior(["b", "a"], np.array(["a", "b"], dtype=object)).tolist()
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    """
    if prior is None:
        return None
    n = len(items)
    if isinstance(prior, pd.DataFrame):
        labels = items.astype(str)
        frame = prior.copy()
        frame.index = frame.index.astype(str)
        frame.columns = frame.columns.astype(str)
        unknown = sorted((set(frame.index) - {"__start__"} | set(frame.columns)) - set(labels))
        if unknown:
            raise ParameterError(f"prior names items not in the vocabulary: {unknown[:5]}")
        w = np.zeros((n + 1, n))
        w[:n] = frame.reindex(index=labels, columns=labels).fillna(0.0).to_numpy(float)
        if "__start__" in frame.index:
            w[n] = frame.reindex(columns=labels).loc["__start__"].fillna(0.0).to_numpy(float)
    elif isinstance(prior, np.ndarray) and prior.ndim == 2:
        if prior.shape not in ((n + 1, n), (n, n)):
            raise ParameterError(f"prior array must have shape ({n + 1}, {n}) or ({n}, {n}), got {prior.shape}")
        w = np.zeros((n + 1, n))
        w[:prior.shape[0]] = prior
    else:
        if isinstance(prior, (str, bytes)) or not hasattr(prior, "__iter__"):
            raise ParameterError(f"prior must be an array, a DataFrame or a list of item ids, got {prior!r}")
        order = [str(x) for x in prior]
        pos = {it: k for k, it in enumerate(items.astype(str))}
        unknown = [it for it in order if it not in pos]
        if unknown:
            raise ParameterError(f"prior syllabus names items not in the vocabulary: {unknown[:5]}")
        w = np.zeros((n + 1, n))
        codes = [pos[it] for it in order]
        if codes:
            w[n, codes[0]] = 1.0
            for a, b in zip(codes, codes[1:]):
                w[a, b] = 1.0
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ParameterError("prior weights must be finite and non-negative")
    top = w.max()
    return w / top if top > 0 else w
