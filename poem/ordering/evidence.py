"""Evidence for ordering a course beyond precedence: the failure signal and the depth prior.

The precedence the colony keeps (``ManHill.precedence_``: who mastered i before j) only speaks of pairs
that learners mastered *both* of. On the sparse logs of real courses most pairs are not in that case:
learners drop out after a few items, so a deep item is mastered by a few dozen learners, few of whom
mastered its prerequisite in the log (they knew it before, or mastered it elsewhere). Measured on the
viewing-only scenarios of ``benchmarks/bench_viewing.py``, the true arcs the precedence path reverses
have a median of one or two learners behind the pair, against five to fifty-five for all arcs, and even
the precedence of the simulator's *hidden* moments of learning (no guess, no misread view) leaves the path
below the issue's target on four of ten courses (nine of ten reach it once these pairs are ordered by the
evidence below; ``benchmarks/results/viewing.md``). Two more readings of the same log order those pairs:

- **failure evidence** (:func:`failure_counts`): ``F[i, j]`` counts the learners who mastered i (a success,
  as in ``precedence_``) and tried j without ever succeeding on it. A prerequisite i -> j leaves many
  learners stuck at j with i done and almost none stuck at i with j done (nobody masters j without i);
  an unrelated pair leaves both. It uses the learners who never mastered j, whom precedence ignores.
  :func:`failure_evidence` turns the counts into the same thresholded sign-test z as precedence.
- **depth prior** (:func:`depth_prior`): ``D[i, j] = max(d_j - d_i, 0)`` with ``d`` the colony's ELO item
  difficulty, standardised. Behind a hard item there are usually prerequisites a learner lacks; it is a
  weak, global reading that only breaks the ties the pairwise evidence leaves.

Both are computed from the colony's compact log of scored events (``model.state_``), so a saved colony
gives the same path as the one fitted. :func:`poem.paths.path_evidence` adds them to the precedence
evidence with the weights it documents.

Examples
--------
>>> item = np.array([0, 1, 1, 0, 1], np.int32)       # learner 1: a then b failed twice; learner 2: a, b failed
>>> score = np.array([1.0, 0.0, 0.0, 1.0, 0.0])
>>> failure_pass(item, score, np.array([0, 3, 5]), 2, 0.5).tolist()
[[0.0, 2.0], [0.0, 0.0]]
"""

from __future__ import annotations

import numpy as np
from numba import njit

from poem.errors import NotFittedError, ParameterError

__all__ = ["failure_pass", "failure_counts", "failure_evidence", "depth_prior", "signed_z"]


@njit(cache=True)
def failure_pass(item, score, bounds, n, mastery):  # pragma: no cover - compiled
    """``F[i, j]``: learners with a success (score >= ``mastery``) on i and scored attempts on j, none a
    success. Unscored events (NaN) are skipped. O(mastered x failed) per learner."""
    F = np.zeros((n, n))
    stamp = np.full(n, -1, np.int64)
    won = np.zeros(n, np.bool_)
    touched = np.empty(n, np.int64)
    for l in range(bounds.shape[0] - 1):
        m = 0
        for e in range(bounds[l], bounds[l + 1]):
            s = score[e]
            if s != s:
                continue
            j = item[e]
            if stamp[j] != l:
                stamp[j] = l
                won[j] = False
                touched[m] = j
                m += 1
            if s >= mastery:
                won[j] = True
        for a in range(m):
            i = touched[a]
            if not won[i]:
                continue
            for b in range(m):
                j = touched[b]
                if not won[j]:
                    F[i, j] += 1.0
    return F


def failure_counts(model) -> np.ndarray:
    """The failure counts ``F`` (n, n) of a fitted colony, from its log of scored events.

    >>> import pandas as pd
    >>> from poem.traces import Traces
    >>> from poem.antcolony import ManHill
    >>> frame = pd.DataFrame({"learner": ["u", "u", "u"], "item": ["a", "b", "b"], "score": [1.0, 0.0, 0.0],
    ...                       "timestamp": pd.to_datetime([1, 2, 3], unit="D", utc=True)})
    >>> failure_counts(ManHill().fit(Traces.from_frame(frame))).tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    state = getattr(model, "state_", None)
    if state is None:
        raise NotFittedError("failure evidence needs a fitted colony (ManHill.fit): its state_ holds the log "
                             "of scored events; pass failure_weight=0 for precedence alone")
    n = len(state.items)
    return failure_pass(np.asarray(state.log_item), np.asarray(state.log_score, dtype=np.float64),
                        np.asarray(state.log_bounds, dtype=np.int64), n, float(getattr(model, "mastery", 0.5)))


def signed_z(counts, smoothing: float = 1.0) -> np.ndarray:
    """Sign-test z ``(C_ij - C_ji) / sqrt(C_ij + C_ji + smoothing)`` (0 where a pair has no count).

    >>> signed_z(np.array([[0.0, 9.0], [0.0, 0.0]])).round(2).tolist()
    [[0.0, 2.85], [-2.85, 0.0]]
    """
    C = np.asarray(counts, dtype=np.float64)
    total = C + C.T
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(total > 0, (C - C.T) / np.sqrt(total + smoothing), 0.0)
    np.fill_diagonal(z, 0.0)
    return z


def failure_evidence(model, *, threshold: float = 0.5, smoothing: float = 1.0,
                     tie_break: float = 0.01) -> np.ndarray:
    """``max(z - threshold, 0) + tie_break * max(z, 0)`` of the failure counts' sign test: the same
    reading as :func:`poem.paths.precedence_evidence`, on :func:`failure_counts`."""
    z = signed_z(failure_counts(model), smoothing)
    W = np.maximum(z - threshold, 0.0) + tie_break * np.maximum(z, 0.0)
    np.fill_diagonal(W, 0.0)
    return W


def depth_prior(model) -> np.ndarray:
    """``D[i, j] = max(d_j - d_i, 0)``, ``d`` the colony's ELO difficulty standardised (zeros when all
    items are equally hard or the colony has no difficulty; zero rows and columns for the items without a
    scored attempt, ``item_attempts_ == 0``).

    >>> class Colony:
    ...     item_difficulty_ = np.array([1.0, -1.0])
    >>> depth_prior(Colony).tolist()          # the easy item 1 before the hard item 0
    [[0.0, 0.0], [2.0, 0.0]]
    """
    d = np.asarray(getattr(model, "item_difficulty_", np.zeros(0)), dtype=np.float64)
    n = len(getattr(model, "items_", d))
    if d.shape != (n,):
        raise ParameterError(f"the colony's item_difficulty_ must hold one value per item ({n}), got {d.shape}")
    if n == 0 or not np.all(np.isfinite(d)) or d.std() < 1e-12:
        return np.zeros((n, n))
    d = (d - d.mean()) / d.std()
    D = np.maximum(d[None, :] - d[:, None], 0.0)
    # an item nobody attempted has the entry rating, not a measured difficulty: it gets no depth
    attempts = getattr(model, "item_attempts_", None)
    if attempts is not None and len(attempts) == n:
        unseen = np.asarray(attempts) == 0
        D[unseen, :] = 0.0
        D[:, unseen] = 0.0
    np.fill_diagonal(D, 0.0)
    return D
