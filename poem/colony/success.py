"""The colony's success model: P(next attempt succeeds), fitted from the course's own learners.

A learner's next attempt on item j is predicted by a logistic model over features that only use the
learner's *earlier* attempts (Pelánek 2016, "Applications of the Elo rating system in adaptive educational
systems"; Pavlik, Cen & Koedinger 2009, "Performance factors analysis"; Galyardt & Goldin 2015, "Move
your lamp post: recent data reflects learner knowledge better than older data", the R-PFA idea):

``p = σ(w · x)`` with ``x`` =

0. 1 (the intercept: a new learner on an average item starts at the course's success rate);
1. ``θ − d_j``: the learner's ELO ability against the item's difficulty (:mod:`poem.colony.elo`; θ
   replayed with the decreasing step ``K = max(k_min, k0 / (1 + c / halflife))``);
2. ``a_j``: a learner-and-item ELO adjustment, ``a_j += k_local (s − σ(θ − d_j + a_j))`` after each
   attempt on j (the "multivariate" / concept-specific Elo: what the learner knows of *this* item
   beyond their overall level);
3. ``log(1 + successes on j)`` and 4. ``log(1 + failures on j)`` (PFA counts);
5. the last score on j, centred (``2 s − 1``; 0 before the first attempt);
6. ``1`` if j was attempted before;
7. the learner's previous score on any item, centred (0 at the start);
8. ``log(1 + attempts so far)``;
9. the item's smoothed success logit on the course (``logit((successes + 2 r) / (attempts + 2))``, r the
   course's rate): what the item's own record says, beside its ELO difficulty;
10. ``1`` on the learner's first scored attempt (a new learner's own intercept: the course's entry rate).

The weights ``w`` (ridge-penalised logistic regression, Newton steps) and ``k_min`` (picked from a small
grid by log-loss) are fitted, not hand-set: on a validation share of the training learners (learners are
assigned by a hash of their id, so the split does not depend on the order of partitions), against item
difficulties rated on the other learners, so that the weights see difficulties as they will be for new
learners. With fewer than :data:`MIN_VALIDATION` learners every learner serves for both.

Events without a score (a page view) get a prediction but update nothing. The batch form
:func:`next_attempt_features` / :meth:`SuccessModel.predict_trails` is one compiled pass, linear in the
events; :class:`LearnerState` is the same model for one learner, updated one attempt at a time.

Examples
--------
>>> import numpy as np
>>> item = np.array([0, 1, 0, 1, 0, 1], dtype=np.int32)
>>> score = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
>>> bounds = np.array([0, 2, 4, 6])
>>> model = fit_success_model(item, score, bounds, np.array(["a", "b", "c"], dtype=object), n_items=2)
>>> p = model.predict_trails(item, score, bounds)
>>> bool(0.0 < p.min() and p.max() < 1.0), p.shape
(True, (6,))
"""

from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from poem.colony.elo import fit_elo
from poem.colony.kernels import njit
from poem.errors import ParameterError

__all__ = ["SuccessModel", "LearnerState", "UnknownItemWarning", "StateCache", "checked_scores", "item_code",
           "encode_ids", "fit_success_model", "next_attempt_features", "FEATURES",
           "MIN_VALIDATION"]

#: names of the features, in column order
FEATURES = ("intercept", "elo", "local", "log_successes", "log_failures", "last_on_item", "seen_item",
            "previous_score", "log_attempts", "item_logit", "first_attempt")
N_FEATURES = len(FEATURES)
#: below this many learners the weights are fitted on the same learners as the difficulties
MIN_VALIDATION = 40
#: grid of the ELO step floor tried when fitting (log-loss on the validation share decides)
K_MIN_GRID = (0.1, 0.2, 0.4, 0.7)
#: grid of the step of the learner-and-item adjustment
K_LOCAL_GRID = (0.4, 0.8)
#: knots of the piecewise-linear logit correction fitted after the weights (at quantiles of the score)
CALIBRATION_KNOTS = 5
#: attempts of the validation share used to pick the ELO steps, and to fit the final weights
GRID_EVENTS = 200_000
FIT_EVENTS = 1_000_000
#: events per block when predicting trails (the feature matrix of a block is CHUNK_EVENTS x 11 floats)
CHUNK_EVENTS = 500_000
#: ridge penalty of the logistic weights (the intercept gets a hundredth of it)
RIDGE = 1.0


class UnknownItemWarning(UserWarning):
    """Items unknown to the colony were left out of a history (or predicted as an average item)."""


@njit(cache=True)
def next_attempt_features(item, score, bounds, d, item_logit, theta0, k0, k_min, halflife, k_local, n_items):
    """Feature matrix (n_events, 11) of every event from the learner's earlier events only (see the module
    docstring), in one pass; NaN scores update nothing."""
    n_ev = item.shape[0]
    x = np.zeros((n_ev, 11))
    succ = np.zeros(n_items)
    fail = np.zeros(n_items)
    local = np.zeros(n_items)
    last = np.zeros(n_items)
    seen = np.zeros(n_items, np.bool_)
    touched = np.empty(n_items, np.int64)
    n_learners = bounds.shape[0] - 1
    for l in range(n_learners):
        th = theta0
        cnt = 0
        prev = 0.0
        m = 0
        for e in range(bounds[l], bounds[l + 1]):
            j = item[e]
            x[e, 0] = 1.0
            x[e, 1] = th - d[j]
            x[e, 2] = local[j]
            x[e, 3] = math.log1p(succ[j])
            x[e, 4] = math.log1p(fail[j])
            x[e, 5] = last[j]
            x[e, 6] = 1.0 if seen[j] else 0.0
            x[e, 7] = prev
            x[e, 8] = math.log1p(cnt)
            x[e, 9] = item_logit[j]
            x[e, 10] = 1.0 if cnt == 0 else 0.0
            s = score[e]
            if s != s:
                continue
            p = 1.0 / (1.0 + math.exp(d[j] - th))
            pl = 1.0 / (1.0 + math.exp(d[j] - th - local[j]))
            k = k0 / (1.0 + cnt / halflife)
            if k < k_min:
                k = k_min
            th += k * (s - p)
            local[j] += k_local * (s - pl)
            succ[j] += s
            fail[j] += 1.0 - s
            last[j] = 2.0 * s - 1.0
            if not seen[j]:
                seen[j] = True
                touched[m] = j
                m += 1
            prev = 2.0 * s - 1.0
            cnt += 1
        for t in range(m):  # reset only what this learner touched
            j = touched[t]
            succ[j] = 0.0
            fail[j] = 0.0
            local[j] = 0.0
            last[j] = 0.0
            seen[j] = False
    return x


def _fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, n_iter: int = 50, w0=None,
                  tol: float = 1e-6) -> np.ndarray:
    """Ridge logistic regression by Newton steps (from ``w0`` when given); ``y`` may be fractional."""
    n_f = x.shape[1]
    pen = np.full(n_f, float(ridge))
    pen[0] = ridge / 100.0
    w = np.zeros(n_f) if w0 is None else np.array(w0, dtype=float)
    for _ in range(n_iter):
        p = _sigmoid(x @ w)
        g = x.T @ (p - y) + pen * w
        xs = x * np.sqrt(p * (1.0 - p))[:, None]
        step = np.linalg.solve(xs.T @ xs + np.diag(pen), g)
        w -= step
        if np.max(np.abs(step)) < tol:
            break
    return w


def _calibration_basis(z: np.ndarray, knots: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    cols = [np.ones_like(z), z] + [np.maximum(z - t, 0.0) for t in knots]
    return np.stack(cols, axis=-1)


def _fit_calibration(z: np.ndarray, y: np.ndarray, n_knots: int = CALIBRATION_KNOTS, ridge: float = RIDGE):
    """Knots at quantiles of ``z`` and the ridge-penalised correction of the logit (0: none, below 50 points
    per segment, i.e. fewer than 50 (n_knots + 2) points)."""
    if len(z) < 50 * (n_knots + 2):
        return np.zeros(0), np.zeros(2)
    knots = np.quantile(z, np.linspace(0, 1, n_knots + 2)[1:-1])
    b = _calibration_basis(z, knots)
    c = np.zeros(b.shape[1])
    for _ in range(30):
        p = _sigmoid(z + b @ c)
        g = b.T @ (p - y) + ridge * c
        h = (b * (p * (1 - p))[:, None]).T @ b + ridge * np.eye(len(c))
        step = np.linalg.solve(h, g)
        c -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return knots, c


def _log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def validation_share(learners, share: float = 0.2) -> np.ndarray:
    """Boolean mask of the learners (by a CRC-32 hash of their id) that fit the weights: those whose
    CRC-32 mod 1000 is below ``round(1000 * share)`` (share 0: nobody, 1: everyone).

    >>> validation_share(np.array(["a", "b", "c", "d"], dtype=object), 0.5).tolist()
    [False, False, False, True]
    """
    h = np.array([zlib.crc32(str(x).encode("utf-8")) for x in learners], dtype=np.int64)
    return (h % 1000) < int(round(share * 1000))


@dataclass(frozen=True)
class SuccessModel:
    """Fitted success model: item ``difficulty`` (n_items,), ``weights`` (9,) over :data:`FEATURES`, and
    the step schedule the features were computed with."""

    difficulty: np.ndarray
    weights: np.ndarray
    item_logit: np.ndarray
    theta0: float = 0.0
    k0: float = 1.0
    k_min: float = 0.1
    halflife: float = 10.0
    k_local: float = 0.4
    knots: np.ndarray = field(default_factory=lambda: np.zeros(0))
    calibration: np.ndarray = field(default_factory=lambda: np.zeros(2))

    def probability(self, z):
        """The calibrated probability of the linear score ``z = w · x``: ``σ(z + c0 + c1 z + Σ c_k (z − t_k)+)``
        (knots ``t_k``), a piecewise-linear correction of the logit fitted after the weights."""
        z = np.asarray(z, dtype=float)
        return _sigmoid(z + _calibration_basis(z, self.knots) @ self.calibration)

    def features(self, item, score, bounds) -> np.ndarray:
        return next_attempt_features(
            np.ascontiguousarray(item, dtype=np.int32), np.ascontiguousarray(score, dtype=np.float64),
            np.ascontiguousarray(bounds, dtype=np.int64), np.ascontiguousarray(self.difficulty, dtype=float),
            np.ascontiguousarray(self.item_logit, dtype=float), float(self.theta0), float(self.k0),
            float(self.k_min), float(self.halflife), float(self.k_local), len(self.difficulty))

    def predict_trails(self, item, score, bounds) -> np.ndarray:
        """Next-attempt P(success) of every event of sorted trails (``bounds`` as
        :meth:`poem.traces.Traces.trail_bounds`), each from the learner's earlier events only."""
        bounds = np.asarray(bounds, dtype=np.int64)
        out = np.empty(len(item))
        start = 0  # learner index; blocks of whole trails keep the feature matrix small on big logs
        while start < len(bounds) - 1:
            stop = max(start + 1, int(np.searchsorted(bounds, bounds[start] + CHUNK_EVENTS, side="right")) - 1)
            stop = min(stop, len(bounds) - 1)
            a, b = int(bounds[start]), int(bounds[stop])
            x = self.features(item[a:b], score[a:b], bounds[start:stop + 1] - a)
            out[a:b] = self.probability(x @ self.weights)
            start = stop
        return out

    def with_average_item(self) -> "SuccessModel":
        """A copy with one extra item code (``len(difficulty)``) of difficulty 0: an average item, for items
        the model has not seen."""
        mid = float(np.median(self.item_logit)) if len(self.item_logit) else 0.0
        return replace(self, difficulty=np.append(self.difficulty, 0.0), item_logit=np.append(self.item_logit, mid))

    def new_learner(self) -> "LearnerState":
        return LearnerState(self)


class LearnerState:
    """One learner's state under a :class:`SuccessModel`, updated attempt by attempt in O(1).

    >>> m = SuccessModel(np.zeros(2), np.array([0.0, 1.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), np.zeros(2))
    >>> s = m.new_learner()
    >>> round(s.predict(0), 3)
    0.5
    >>> s = s.update(0, 1.0)
    >>> round(s.predict(1), 3)
    0.622
    """

    __slots__ = ("model", "theta", "count", "prev", "per_item")

    def __init__(self, model: SuccessModel):
        self.model = model
        self.theta = float(model.theta0)
        self.count = 0
        self.prev = 0.0
        self.per_item = {}  # item code -> [successes, failures, local, last]

    def features(self, j: int) -> np.ndarray:
        succ, fail, local, last = self.per_item.get(j, (0.0, 0.0, 0.0, 0.0))
        return np.array([1.0, self.theta - float(self.model.difficulty[j]), local, math.log1p(succ),
                         math.log1p(fail), last, 1.0 if j in self.per_item else 0.0, self.prev,
                         math.log1p(self.count), float(self.model.item_logit[j]),
                         1.0 if self.count == 0 else 0.0])

    def predict(self, j: int) -> float:
        return float(self.model.probability(self.features(j) @ self.model.weights))

    def update(self, j: int, s: float) -> "LearnerState":
        """A new state after an attempt on item code ``j`` with score ``s`` (NaN: unscored, no change);
        ``self`` is left as it was, so states can be cached by history prefix."""
        out = LearnerState.__new__(LearnerState)
        out.model = self.model
        out.theta, out.count, out.prev = self.theta, self.count, self.prev
        out.per_item = dict(self.per_item)
        if s != s:
            return out
        m = self.model
        d = float(m.difficulty[j])
        succ, fail, local, _ = self.per_item.get(j, (0.0, 0.0, 0.0, 0.0))
        p = 1.0 / (1.0 + math.exp(d - self.theta))
        pl = 1.0 / (1.0 + math.exp(d - self.theta - local))
        k = max(m.k_min, m.k0 / (1.0 + self.count / m.halflife))
        out.theta = self.theta + k * (s - p)
        out.per_item[j] = (succ + s, fail + 1.0 - s, local + m.k_local * (s - pl), 2.0 * s - 1.0)
        out.prev = 2.0 * s - 1.0
        out.count = self.count + 1
        return out


def item_logits(item, score, n_items, prior: float = 2.0) -> np.ndarray:
    """Each item's success logit, smoothed by ``prior`` pseudo-attempts at the course's rate.

    >>> item_logits(np.array([0, 0, 1], np.int32), np.array([1.0, 1.0, 0.0]), 3).round(2).tolist()
    [1.61, -0.22, 0.69]
    """
    ok = ~np.isnan(score)
    base = float(np.mean(score[ok])) if ok.any() else 0.5
    base = min(max(base, 0.01), 0.99)
    att = np.bincount(item[ok], minlength=n_items).astype(float)
    suc = np.bincount(item[ok], weights=score[ok], minlength=n_items)
    rate = (suc + prior * base) / (att + prior)
    return np.log(rate) - np.log1p(-rate)


def _prefix(item, score, bounds, max_events: int):
    """The first learners' events, as many whole trails as fit in ``max_events`` (at least one)."""
    if len(item) <= max_events:
        return item, score, bounds
    k = max(1, int(np.searchsorted(bounds, max_events, side="right")) - 1)
    end = int(bounds[k])
    return item[:end], score[:end], bounds[:k + 1]


def _subset(item, score, bounds, mask):
    """The events of the learners in ``mask`` with their own bounds."""
    lens = np.diff(bounds)
    keep = np.repeat(mask, lens)
    new_bounds = np.concatenate([[0], np.cumsum(lens[mask])]).astype(np.int64)
    return item[keep], score[keep], new_bounds


def fit_success_model(item, score, bounds, learners, n_items, *, theta0=0.0, k0=1.0, halflife=10.0,
                      k_min_grid=K_MIN_GRID, k_local_grid=K_LOCAL_GRID, share=0.2, n_iter=3) -> SuccessModel:
    """Fit the success model on scored trails (see the module docstring).

    Parameters
    ----------
    item, score, bounds : ndarray
        Events sorted by learner then time, and each learner's offsets.
    learners : ndarray of str
        The learner ids (one per trail), for the hash that draws the validation share.
    n_items : int
    theta0, k0, halflife : float
        ELO entry rating, first step and step half-life (defaults 0, 1, 10: the colony's).
    k_min_grid, k_local_grid : sequence of float
        ELO step floors and steps of the learner-and-item adjustment tried; the pair with the lowest
        validation log-loss is kept (on a tie, e.g. without any scored event, the smallest steps).
    share : float
        Share of the learners that fit the weights (default 0.2, :func:`validation_share`).
    n_iter : int
        ELO sweeps (:func:`poem.colony.elo.fit_elo`; default 3, the colony's).
    """
    if not 0 < share < 1:
        raise ParameterError(f"validation share must lie in (0, 1), got {share}")
    if not len(k_min_grid) or min(k_min_grid) <= 0 or not len(k_local_grid) or min(k_local_grid) < 0:
        raise ParameterError(f"the step grids need positive values, got k_min_grid={list(k_min_grid)}, "
                             f"k_local_grid={list(k_local_grid)}")
    item = np.ascontiguousarray(item, dtype=np.int32)
    score = np.ascontiguousarray(score, dtype=np.float64)
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    learners = np.asarray(learners, dtype=object)
    val = validation_share(learners, share)
    if len(learners) < MIN_VALIDATION or val.all() or not val.any():
        val = np.ones(len(learners), bool)
        rate_mask = val
    else:
        rate_mask = ~val
    r_item, r_score, r_bounds = _subset(item, score, bounds, rate_mask)
    v_item, v_score, v_bounds = _subset(item, score, bounds, val)
    # the grid is searched on a prefix of the validation learners (a few parameters need no more), the
    # chosen pair's weights are then fitted on the whole share, up to FIT_EVENTS attempts
    g_item, g_score, g_bounds = _prefix(v_item, v_score, v_bounds, GRID_EVENTS)
    v_item, v_score, v_bounds = _prefix(v_item, v_score, v_bounds, FIT_EVENTS)
    scored = ~np.isnan(g_score)
    y = g_score[scored]
    logit_rate = item_logits(r_item, r_score, n_items)
    best = None
    for k_min in sorted(set(float(k) for k in k_min_grid)):
        kk0 = max(k0, k_min)
        d_rate = fit_elo(r_item, r_score, r_bounds, np.zeros(len(r_item), np.int64), n_items, theta0=theta0,
                         k0=kk0, k_min=k_min, halflife=halflife, n_iter=n_iter).difficulty
        for k_loc in sorted(set(float(k) for k in k_local_grid)):
            trial = SuccessModel(d_rate, np.zeros(N_FEATURES), logit_rate, theta0, kk0, k_min, halflife, k_loc)
            x = trial.features(g_item, g_score, g_bounds)[scored]
            w = _fit_logistic(x, y, w0=None if best is None else best[5]) if len(y) else np.zeros(N_FEATURES)
            loss = _log_loss(_sigmoid(x @ w), y) if len(y) else 0.0
            if best is None or loss < best[0] - 1e-12:
                best = (loss, k_min, kk0, k_loc, d_rate, w)
    _, k_min, kk0, k_local, d_rate, w = best
    scored = ~np.isnan(v_score)
    y = v_score[scored]
    if len(v_item) > len(g_item):
        chosen = SuccessModel(d_rate, w, logit_rate, theta0, kk0, k_min, halflife, k_local)
        x = chosen.features(v_item, v_score, v_bounds)[scored]
        w = _fit_logistic(x, y, w0=w) if len(y) else w
    else:
        x = SuccessModel(d_rate, w, logit_rate, theta0, kk0, k_min, halflife, k_local).features(
            v_item, v_score, v_bounds)[scored]
    knots, calib = _fit_calibration(x @ w, y)
    difficulty = fit_elo(item, score, bounds, np.zeros(len(item), np.int64), n_items, theta0=theta0, k0=kk0,
                         k_min=k_min, halflife=halflife, n_iter=n_iter).difficulty
    return SuccessModel(np.asarray(difficulty, dtype=float), w, item_logits(item, score, n_items), float(theta0),
                        float(kk0), float(k_min), float(halflife), float(k_local), knots, calib)


# ---------------------------------------------------------------------- one learner's history (predict_success)
def checked_scores(scores, n: int, where: str) -> list:
    """Scores as floats in [0, 1] or NaN (``None``: all NaN); a wrong length, a non-number or a value
    outside [0, 1] raises :class:`~poem.errors.ParameterError` naming it."""
    if scores is None:
        return [float("nan")] * n
    try:
        sc = [float(s) for s in scores]
    except (TypeError, ValueError):
        bad = next((s for s in scores if not _is_number(s)), None)
        raise ParameterError(f"{where}: score {bad!r} is not a number (NaN: unscored)") from None
    if len(sc) != n:
        raise ParameterError(f"{where}: {len(sc)} scores for {n} history items")
    bad = [s for s in sc if s == s and not 0.0 <= s <= 1.0]
    if bad:
        raise ParameterError(f"{where}: score {bad[0]!r} is outside [0, 1]; rescale the scores (e.g. divide "
                             "percentages by 100) or pass NaN for an unscored visit")
    return sc


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _id_key(h) -> str:
    # 7, 7.0, np.int64(7) and "7" all name the item "7"
    if isinstance(h, (float, np.floating)) and float(h).is_integer():
        h = int(h)
    return str(h)


def item_code(code_of: dict, item, where: str) -> int:
    """The code of an item *id* (``7`` is the id "7", never the item at position 7)."""
    code = code_of.get(_id_key(item))
    if code is None:
        raise ParameterError(f"{where}: unknown item {item!r} (not among the colony's {len(code_of)} items); "
                             "refit with traces that include it")
    return code


def encode_ids(code_of: dict, history, scores, where: str):
    """``(codes, scores)`` of the known items of a history, by id; unknown ones are left out with an
    :class:`UnknownItemWarning` naming them."""
    codes, kept, unknown = [], [], []
    for h, s in zip(history, scores):
        c = code_of.get(_id_key(h))
        if c is None:
            unknown.append(h)
        else:
            codes.append(c)
            kept.append(s)
    if unknown:
        warnings.warn(UnknownItemWarning(f"{where}: {len(unknown)} history item(s) unknown to the colony were "
                                         f"left out: {unknown[:5]!r}"), stacklevel=4)
    return codes, kept


class StateCache:
    """Learner states by history, bounded (oldest dropped first): a history one attempt longer than a
    cached one costs one update. ``replayed`` counts the attempts replayed, for the record."""

    def __init__(self, model: SuccessModel, size: int = 4096):
        self.model, self.size, self.replayed, self._d = model, int(size), 0, {}

    def state(self, codes, scores) -> LearnerState:
        key = tuple(zip(codes, [None if s != s else s for s in scores]))
        state = self._d.get(key)
        if state is not None:
            return state
        state = self._d.get(key[:-1]) if key else None
        todo = key[-1:] if state is not None else key
        if state is None:
            state = self.model.new_learner()
        for j, s in todo:
            state = state.update(j, float("nan") if s is None else s)
        self.replayed += len(todo)
        if len(self._d) >= self.size:
            self._d.pop(next(iter(self._d)))  # dicts keep insertion order
        self._d[key] = state
        return state
