"""The mergeable state of a man-hill: what partitions of complete learner trails add up to.

A :class:`ColonyState` holds everything :meth:`poem.antcolony.ManHill.from_state` needs to produce the
fitted colony, as arrays that are **sums over learners** (pheromones without decay, arc and item counts,
the precedence matrix, the conditional-success counts) plus the compact ELO log (item code, score and timestamp of every scored event,
with per-learner offsets) which is **concatenated**: ELO is sequential along a trail, and the item
ratings need every learner's trail, so the final rating is replayed over the log (see :mod:`poem.colony.elo`).

Two states add (``a + b``) when they were computed with the same deposit parameters and hold disjoint
learners; their item vocabularies are aligned on their sorted union, so partitions need not have seen
the same items. The Dask engine sums partition states; ``ManHill.partial_fit`` adds a new cohort's state.

Examples
--------
>>> import numpy as np
>>> a = ColonyState.empty(np.array(["v1", "v2"], dtype=object))
>>> b = ColonyState.empty(np.array(["v2", "v3"], dtype=object))
>>> (a + b).items.tolist()
['v1', 'v2', 'v3']
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from poem.errors import ParameterError, TraceFormatError

__all__ = ["ColonyState", "DEPOSIT_PARAMS", "plain_scalar"]

#: parameters that change what a partition deposits: states computed with different values cannot add
DEPOSIT_PARAMS = ("q", "depth", "lam", "mastery", "failure_bonus", "session_gap", "tour_quality",
                  "mastery_successes")



def plain_scalar(value):
    """JSON-able form of a parameter value: numpy scalars become Python ones, anything else is kept."""
    if isinstance(value, np.generic):
        return value.item()
    return value


_ARC_FIELDS = ("phi_plus", "phi_minus", "arc_visits", "arc_learners")
_PAIR_FIELDS = ("precedence", "cond_attempts", "cond_successes")
_ITEM_FIELDS = ("item_attempts", "item_successes", "item_learners", "item_events", "item_masters", "cond_tries",
                "cond_first")


@dataclass(eq=False)
class ColonyState:
    """Sums over a set of complete learner trails (decay off); see the module docstring.

    Attributes
    ----------
    items : ndarray of str
        Item vocabulary (sorted); n = len(items), index n is the start node.
    learners : ndarray of str
        Learners covered, in the order of the ELO log (not necessarily sorted).
    params : dict
        The deposit parameters (:data:`DEPOSIT_PARAMS`) the sums were computed with.
    phi_plus, phi_minus : ndarray (n+1, n) float64
        Success / failure pheromone, no decay.
    arc_visits, arc_learners : ndarray (n+1, n) int64
        Traversals of each arc (scored or not) and distinct learners per arc.
    precedence : ndarray (n, n) float64
    cond_attempts : ndarray (n, n) int64
        Scored attempts on j (until j is mastered) made after i was mastered (its ``mastery_successes``-th
        success); see :func:`poem.colony.kernels.conditional_pass`.
    cond_successes : ndarray (n, n) float64
        Sum of the scores of those attempts.
    cond_tries : ndarray (n,) int64
        Scored attempts on each item until the learner masters it (up to and including the
        ``mastery_successes``-th success).
    cond_first : ndarray (n,) float64
        Sum of the scores of those attempts.
    item_attempts, item_learners, item_events, item_masters : ndarray (n,) int64
        Scored events, distinct learners reaching the item, all events, distinct learners mastering it.
    item_successes : ndarray (n,) float64
    n_events : int
    log_item, log_score, log_time, log_bounds : ndarray
        Scored events (int32 item, float64 score, int64 ns timestamp) grouped by learner; learner k's
        events are ``log_bounds[k]:log_bounds[k+1]``.
    t_min, t_max : int or None
        Range of the timestamps seen (ns).
    """

    items: np.ndarray
    learners: np.ndarray
    params: dict
    phi_plus: np.ndarray
    phi_minus: np.ndarray
    arc_visits: np.ndarray
    arc_learners: np.ndarray
    precedence: np.ndarray
    cond_attempts: np.ndarray
    cond_successes: np.ndarray
    cond_tries: np.ndarray
    cond_first: np.ndarray
    item_attempts: np.ndarray
    item_successes: np.ndarray
    item_learners: np.ndarray
    item_events: np.ndarray
    item_masters: np.ndarray
    n_events: int
    log_item: np.ndarray
    log_score: np.ndarray
    log_time: np.ndarray
    log_bounds: np.ndarray
    t_min: int | None = None
    t_max: int | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def empty(cls, items, params: dict | None = None) -> "ColonyState":
        """A state with no learners over ``items`` (the neutral element of ``+``)."""
        items = np.asarray(items, dtype=object)
        n = len(items)
        return cls(items=items, learners=np.array([], dtype=object), params=dict(params or {}),
                   phi_plus=np.zeros((n + 1, n)), phi_minus=np.zeros((n + 1, n)),
                   arc_visits=np.zeros((n + 1, n), np.int64), arc_learners=np.zeros((n + 1, n), np.int64),
                   precedence=np.zeros((n, n)), cond_attempts=np.zeros((n, n), np.int64),
                   cond_successes=np.zeros((n, n)), cond_tries=np.zeros(n, np.int64), cond_first=np.zeros(n),
                   item_attempts=np.zeros(n, np.int64),
                   item_successes=np.zeros(n), item_learners=np.zeros(n, np.int64),
                   item_events=np.zeros(n, np.int64), item_masters=np.zeros(n, np.int64), n_events=0,
                   log_item=np.array([], np.int32),
                   log_score=np.array([], np.float64), log_time=np.array([], np.int64),
                   log_bounds=np.zeros(1, np.int64))

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_learners(self) -> int:
        return len(self.learners)

    def reindex(self, items) -> "ColonyState":
        """The same state over a larger item vocabulary ``items`` (must contain every current item).

        >>> s = ColonyState.empty(np.array(["b"], dtype=object)).reindex(np.array(["a", "b"], dtype=object))
        >>> s.phi_plus.shape
        (3, 2)
        """
        items = np.asarray(items, dtype=object)
        if len(items) == self.n_items and np.array_equal(items, self.items):
            return self
        pos = {it: k for k, it in enumerate(items)}
        missing = [it for it in self.items if it not in pos]
        if missing:
            raise ParameterError(f"cannot reindex a colony state: items {missing[:5]} are not in the new "
                                 "vocabulary")
        n = len(items)
        code = np.array([pos[it] for it in self.items], dtype=np.int64)
        rows = np.concatenate([code, [n]])
        out = {}
        for name in _ARC_FIELDS:
            old = getattr(self, name)
            new = np.zeros((n + 1, n), dtype=old.dtype)
            new[np.ix_(rows, code)] = old
            out[name] = new
        for name in _PAIR_FIELDS:
            old = getattr(self, name)
            new = np.zeros((n, n), dtype=old.dtype)
            new[np.ix_(code, code)] = old
            out[name] = new
        for name in _ITEM_FIELDS:
            old = getattr(self, name)
            new = np.zeros(n, dtype=old.dtype)
            new[code] = old
            out[name] = new
        out["log_item"] = code[self.log_item].astype(np.int32) if len(self.log_item) else self.log_item
        return replace(self, items=items, **out)

    def __add__(self, other: "ColonyState") -> "ColonyState":
        if not isinstance(other, ColonyState):
            return NotImplemented
        if self.n_learners == 0 and not self.params:
            self = replace(self, params=dict(other.params))
        if other.n_learners == 0 and not other.params:
            other = replace(other, params=dict(self.params))
        if self.params != other.params:
            diff = {k: (self.params.get(k), other.params.get(k)) for k in set(self.params) | set(other.params)
                    if self.params.get(k) != other.params.get(k)}
            raise ParameterError(f"colony states were computed with different deposit parameters: {diff}")
        common = np.intersect1d(self.learners.astype(str), other.learners.astype(str))
        if len(common):
            raise TraceFormatError(
                f"colony states must hold disjoint, complete learner trails; learner {str(common[0])!r} is in "
                f"both ({len(common)} shared)")
        items = self.items
        if not np.array_equal(self.items, other.items):
            items = np.unique(np.concatenate([self.items, other.items]).astype(str)).astype(object)
        a, b = self.reindex(items), other.reindex(items)
        summed = {name: getattr(a, name) + getattr(b, name)
                  for name in _ARC_FIELDS + _ITEM_FIELDS + _PAIR_FIELDS}
        t_min = min((t for t in (a.t_min, b.t_min) if t is not None), default=None)
        t_max = max((t for t in (a.t_max, b.t_max) if t is not None), default=None)
        return ColonyState(
            items=items, learners=np.concatenate([a.learners, b.learners]).astype(object), params=dict(a.params),
            n_events=int(a.n_events + b.n_events),
            log_item=np.concatenate([a.log_item, b.log_item]).astype(np.int32),
            log_score=np.concatenate([a.log_score, b.log_score]),
            log_time=np.concatenate([a.log_time, b.log_time]).astype(np.int64),
            log_bounds=np.concatenate([a.log_bounds, b.log_bounds[1:] + a.log_bounds[-1]]).astype(np.int64),
            t_min=t_min, t_max=t_max, **summed)

    def __radd__(self, other):
        # lets sum(states) start from 0
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def arrays(self) -> dict:
        """Every array field by name (for saving)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)}
