"""Next-item suggestions from a fitted man-hill: the candidate score, its evidence, the selection operators.

For a learner standing on node c (their last item, or the start node) with mastered set M and ELO ability
θ, candidate j scores

    w_prior·W[c, j] + w_plus·Φ⁺[c, j] − w_minus·Φ⁻[c, j] + w_precedence·ready(j | M)
        + w_level·level(σ(θ − d_j)) + exploration / √(1 + support[c, j])

with Φ⁺ and Φ⁻ scaled by the largest total pheromone out of c (so each term lies in [0, 1]), and
``level(p) = 1 − |p − target| / max(target, 1 − target)`` the ELO level matching. Readiness comes from
precedence: with ``E[i, j]`` the significant strength of "i precedes j" (:func:`precedence_strength`),

    ready(j | M) = (Σ_{i ∈ M} E[i, j] + ½·c) / (Σ_i E[i, j] + c),    c = :data:`READY_PRIOR`,

the share of j's predecessors the learner has mastered, shrunk toward ½: an item with no evidence is
neutral rather than "ready" (otherwise the least-known items, deep in the course, would look the most
accessible). Mastered items (a score at or above ``mastery``) and items seen without a score are tabu;
failed items may come back (retrying is how learners learn). Items nobody has reached get no pheromone
terms, so they fall back to the prior, then to level and exploration: never NaN.

Everything that does not depend on the learner is precomputed by :meth:`SuggestTables.build` at fit time;
a call costs a few vector operations on n-vectors and no pandas.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .elo import success_probability
from .errors import ParameterError

__all__ = ["Suggestion", "SuggestTables", "OPERATORS", "TERMS", "score_candidates", "select",
           "precedence_strength"]

OPERATORS = ("greedy", "roulette", "tournament", "ranking")
TERMS = ("prior", "success", "failure", "precedence", "level", "exploration")

#: z-score above which a precedence difference counts as evidence that i precedes j
PRECEDENCE_Z = 2.0
#: pseudo-evidence of readiness 1/2 added to every item: no evidence is neutral, not "ready"
READY_PRIOR = 1.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested item with its evidence.

    ``support``: learners who travelled the arc from the current node; ``success_rate``: smoothed success
    share on that arc; ``predicted_success``: ELO σ(θ − d); ``dominant_term``: the term of the score with
    the largest weighted contribution (one of :data:`TERMS`).
    """

    item: str
    score: float
    support: int
    success_rate: float
    predicted_success: float
    dominant_term: str

    def to_dict(self) -> dict:
        """The fields as a plain dict (JSON-ready).

        >>> Suggestion("v1", 1.0, 3, 0.5, 0.7, "level").to_dict()["item"]
        'v1'
        """
        return asdict(self)


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
    evidence: np.ndarray      # (n, n) precedence strength (precedence_strength)
    evidence_total: np.ndarray  # (n,) column sums of evidence
    support: np.ndarray       # (n+1, n) int
    success_rate: np.ndarray  # (n+1, n)
    difficulty: np.ndarray
    mastery: float
    target: float
    w_precedence: float
    w_level: float

    @classmethod
    def build(cls, model) -> "SuggestTables":
        n = len(model.items_)
        plus, minus = model.phi_plus_, model.phi_minus_
        total = plus + minus
        top = total.max(axis=1, keepdims=True) if n else np.zeros((n + 1, 1))
        scale = np.divide(1.0, top, out=np.zeros_like(top), where=top > 0)
        w_plus = float(model.w_plus) * plus * scale
        w_minus = float(model.w_minus) * minus * scale
        prior = (np.zeros((n + 1, n)) if model.prior_ is None
                 else float(model.prior_weight) * model.prior_)
        support = model.arc_learners_
        explore = float(model.exploration) / np.sqrt(1.0 + support)
        item_rate = (model.item_successes_ + 1.0) / (model.item_attempts_ + 2.0)
        m = float(model.smoothing)
        denom = total + m
        rate = np.divide(plus + m * item_rate[None, :], denom, out=np.tile(item_rate, (n + 1, 1)),
                         where=denom > 0)
        evidence = precedence_strength(model.precedence_)
        items = [str(x) for x in model.items_]
        return cls(n=n, items=items, code_of={it: k for k, it in enumerate(items)},
                   base=prior + w_plus - w_minus + explore, prior=prior, plus=w_plus, minus=w_minus,
                   explore=explore, evidence=evidence, evidence_total=evidence.sum(axis=0), support=support,
                   success_rate=rate, difficulty=np.asarray(model.item_difficulty_, dtype=float),
                   mastery=float(model.mastery), target=float(model.target_success),
                   w_precedence=float(model.w_precedence), w_level=float(model.w_level))

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

    def suggestion(self, j: int, current: int, total: np.ndarray, terms: tuple, p: np.ndarray) -> Suggestion:
        ready, level = terms
        contrib = (self.prior[current, j], self.plus[current, j], -self.minus[current, j],
                   self.w_precedence * ready[j], self.w_level * level[j], self.explore[current, j])
        dominant = TERMS[int(np.argmax(np.abs(contrib)))]
        return Suggestion(self.items[j], float(total[j]), int(self.support[current, j]),
                          float(self.success_rate[current, j]), float(p[j]), dominant)


def score_candidates(t: SuggestTables, codes: list, scores: list, theta: float):
    """Candidate scores for one learner: ``(total, (ready, level), allowed, predicted_success)``."""
    n = t.n
    allowed = np.ones(n, dtype=bool)
    mastered = []
    for j, s in zip(codes, scores):
        if s != s:
            allowed[j] = False
        elif s >= t.mastery:
            allowed[j] = False
            mastered.append(j)
    current = codes[-1] if codes else n
    covered = t.evidence[mastered].sum(axis=0) if mastered else 0.0
    ready = (covered + READY_PRIOR * 0.5) / (t.evidence_total + READY_PRIOR)
    p = success_probability(theta, t.difficulty)
    level = 1.0 - np.abs(p - t.target) / max(t.target, 1.0 - t.target)
    total = t.base[current] + t.w_precedence * ready + t.w_level * level
    return total, (ready, level), allowed, p


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
