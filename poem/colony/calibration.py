"""Self-calibration: what a success is worth in *this* course, estimated from its own traces.

A pass is strong evidence of mastery on a graded exam and weak evidence on a quiz with unlimited retries.
Instead of a fixed number of successes, the colony fits a knowledge-tracing model (BKT: a hidden
mastered/unmastered state per learner and item, ``prior`` mastery at the first attempt, a ``learn``
chance per attempt, ``guess`` and ``slip`` emissions) on every learner's sequence of scored attempts at
each item, by expectation-maximisation, per item with a shrinkage toward the course-wide rates (items
with little data take the course's values). From it:

* ``pass_value[j]``: the probability that a learner is mastering ``j`` right after their *first* pass,
  averaged over the learners who passed it (the forward-filtered BKT posterior at that attempt);
* ``repeat_success[j]``: the observed success rate on the attempt after a first pass (the empirical
  check: does a first pass predict later success on the item?);
* ``successes_needed[j]``: the smallest number of consecutive passes after which that posterior reaches
  ``threshold`` (at most ``max_successes``). ``suggest`` treats ``j`` as mastered at that many passes.

``pass_value`` is the larger of the BKT posterior and of what the direct check implies (the ``repeat_success``
solved for the mastery probability with the fitted guess, slip and learn rates): on short sequences EM
cannot always tell a guess from learning and may keep a small spurious guess rate where a pass is in fact
mastery, which the direct check (first passes always confirmed) corrects.

In a course where one pass is mastery (no guessing) the guess rate comes out near 0, ``pass_value`` near
1 and one pass is enough; with 30 % guessing the first pass is worth less and a second is asked.

Given the items' kinds (``kinds``, from the catalogue's ``kind`` column by :func:`kind_codes`), each item
is pulled toward the rates of its kind rather than the course's: graded exams and retry-at-will quizzes
of one course are calibrated apart. :func:`dependent_success` is the check on what depends on an item:
the success on its dependents while it has been passed once against twice or more.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> item, score, bounds = simulate_bkt(600, 4, guess=0.3, slip=0.05, rng=rng)
>>> cal = calibrate(item, score, bounds, 4)
>>> bool(abs(cal.course_guess - 0.3) < 0.06), bool(abs(cal.course_slip - 0.05) < 0.04)
(True, True)
>>> cal.successes_needed.tolist()       # P(mastered | first pass) is only about 0.5 here
[3, 3, 3, 3]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from poem.errors import ParameterError

__all__ = ["Calibration", "calibrate", "simulate_bkt", "attempt_sequences", "dependent_success", "kind_codes",
           "THRESHOLD", "MAX_SUCCESSES"]

#: posterior mastery a run of passes must reach to count as mastered
THRESHOLD = 0.9
#: most passes ever asked for
MAX_SUCCESSES = 3
#: pseudo-sequences pulling an item's estimates toward the course-wide ones
SHRINK = 20.0
#: attempts per (learner, item) sequence kept (later ones add little and cost time)
MAX_LEN = 24
#: guess and slip are capped so that the hidden states keep their meaning (a guess rate above 1/2 would
#: make "unmastered" the better state)
MAX_RATE = 0.45


@dataclass(frozen=True)
class Calibration:
    """Per-item BKT estimates and what they imply for mastery; see the module docstring.

    Attributes (arrays of length n, the colony's items)
    ----------
    prior, learn, guess, slip : ndarray
    pass_value : ndarray
        P(mastered | first pass), averaged over the first passes seen (course value where none).
    repeat_success : ndarray
        Observed success rate of the attempt right after a first pass (NaN when no such attempt).
    successes_needed : ndarray of int
        Passes after which the item counts as mastered.
    sequences : ndarray of int
        (learner, item) attempt sequences behind the estimates.
    course_guess, course_slip, course_pass_value : float
        The course-wide values.
    """

    prior: np.ndarray
    learn: np.ndarray
    guess: np.ndarray
    slip: np.ndarray
    pass_value: np.ndarray
    repeat_success: np.ndarray
    successes_needed: np.ndarray
    sequences: np.ndarray
    course_guess: float
    course_slip: float
    course_pass_value: float
    threshold: float

    @classmethod
    def fixed(cls, n: int, successes: int) -> "Calibration":
        """No estimation: every item needs ``successes`` passes (an explicit ``mastery_successes``)."""
        nan = np.full(n, np.nan)
        return cls(prior=nan, learn=nan, guess=nan, slip=nan, pass_value=nan, repeat_success=nan,
                   successes_needed=np.full(n, int(successes), dtype=np.int64),
                   sequences=np.zeros(n, dtype=np.int64), course_guess=float("nan"),
                   course_slip=float("nan"), course_pass_value=float("nan"), threshold=float("nan"))

    def summary(self) -> str:
        """One line in words.

        >>> Calibration.fixed(3, 2).summary()
        'fixed: every item counts as mastered after 2 passes'
        >>> Calibration.fixed(3, 1).summary()
        'fixed: every item counts as mastered after its first pass'
        """
        if np.isnan(self.course_guess):
            if not len(self.successes_needed):
                return "fixed: no items"
            need = int(self.successes_needed[0])
            return "fixed: every item counts as mastered after " + (
                "its first pass" if need == 1 else f"{need} passes")
        counts = np.bincount(self.successes_needed, minlength=MAX_SUCCESSES + 1)
        parts = ", ".join(f"{int(c)} item(s) after {k}" for k, c in enumerate(counts) if c and k)
        return (f"calibrated on {int(self.sequences.sum())} attempt sequences: guess {self.course_guess:.2f}, "
                f"slip {self.course_slip:.2f}, P(mastered | first pass) {self.course_pass_value:.2f}; "
                f"mastered after: {parts}")


def attempt_sequences(item, score, bounds, n: int, mastery: float = 0.5, max_len: int = MAX_LEN):
    """Group a log's scored events into (learner, item) sequences, in time order.

    ``item`` / ``score``: one entry per scored event, learner after learner, ``bounds`` the learners'
    offsets (as in :class:`~poem.colony.state.ColonyState`'s ELO log). Returns ``(obs, length, seq_item)``:
    ``obs`` an (S, L) int8 matrix of 0/1 outcomes (-1 padding), ``length`` (S,), ``seq_item`` (S,).

    >>> obs, length, it = attempt_sequences(np.array([0, 1, 0]), np.array([0.0, 1.0, 1.0]),
    ...                                     np.array([0, 3]), 2)
    >>> obs.tolist(), length.tolist(), it.tolist()
    ([[0, 1], [1, -1]], [2, 1], [0, 1])
    """
    item = np.asarray(item, dtype=np.int64)
    score = np.asarray(score, dtype=float)
    bounds = np.asarray(bounds, dtype=np.int64)
    keep = ~np.isnan(score)
    learner = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))[keep]
    item, score = item[keep], score[keep]
    if not len(item):
        return np.zeros((0, 1), np.int8), np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = learner * int(n) + item
    order = np.argsort(key, kind="stable")   # stable: time order kept inside a sequence
    key, outcome = key[order], (score[order] >= mastery)
    start = np.r_[True, key[1:] != key[:-1]]
    gid = np.cumsum(start) - 1
    pos = np.arange(len(key)) - np.flatnonzero(start)[gid]
    within = pos < max_len
    n_seq = int(gid[-1]) + 1
    width = int(pos[within].max()) + 1
    obs = np.full((n_seq, width), -1, dtype=np.int8)
    obs[gid[within], pos[within]] = outcome[within]
    length = np.bincount(gid[within], minlength=n_seq).astype(np.int64)
    return obs, length, item[order][start].astype(np.int64)


@njit(cache=True)
def _em_pass(obs, length, seq_item, prior, learn, guess, slip, n):
    """One E-step over every sequence; returns the per-item sufficient statistics and the first-pass
    posteriors (sum and count per item)."""
    stats = np.zeros((n, 8))
    # 0: sum gamma_1(M) 1: sequences 2: sum xi(0->1) 3: sum gamma(0) before the last attempt
    # 4: sum gamma(0)*pass 5: sum gamma(0) 6: sum gamma(1)*fail 7: sum gamma(1)
    pv = np.zeros((n, 2))
    width = obs.shape[1]
    a0 = np.empty(width)
    a1 = np.empty(width)
    c = np.empty(width)
    b0 = np.empty(width)
    b1 = np.empty(width)
    for s in range(obs.shape[0]):
        j = seq_item[s]
        L = length[s]
        T, g, sl, pi = learn[j], guess[j], slip[j], prior[j]
        first_pass = -1
        for t in range(L):
            o = obs[s, t]
            e1 = 1.0 - sl if o == 1 else sl
            e0 = g if o == 1 else 1.0 - g
            if t == 0:
                p1, p0 = pi, 1.0 - pi
            else:
                p1 = a1[t - 1] + a0[t - 1] * T
                p0 = a0[t - 1] * (1.0 - T)
            x1, x0 = p1 * e1, p0 * e0
            ct = x1 + x0
            if ct <= 0:
                ct = 1e-300
            c[t] = ct
            a1[t], a0[t] = x1 / ct, x0 / ct
            if o == 1 and first_pass < 0:
                first_pass = t
        if first_pass >= 0:
            pv[j, 0] += a1[first_pass]
            pv[j, 1] += 1.0
        b1[L - 1], b0[L - 1] = 1.0, 1.0
        for t in range(L - 2, -1, -1):
            o = obs[s, t + 1]
            e1 = 1.0 - sl if o == 1 else sl
            e0 = g if o == 1 else 1.0 - g
            b1[t] = e1 * b1[t + 1] / c[t + 1]
            b0[t] = ((1.0 - T) * e0 * b0[t + 1] + T * e1 * b1[t + 1]) / c[t + 1]
        for t in range(L):
            o = obs[s, t]
            g1, g0 = a1[t] * b1[t], a0[t] * b0[t]
            tot = g1 + g0
            if tot <= 0:
                continue
            g1, g0 = g1 / tot, g0 / tot
            if t == 0:
                stats[j, 0] += g1
                stats[j, 1] += 1.0
            if t < L - 1:
                on = obs[s, t + 1]
                e1n = 1.0 - sl if on == 1 else sl
                stats[j, 2] += a0[t] * T * e1n * b1[t + 1] / c[t + 1]
                stats[j, 3] += g0
            stats[j, 5] += g0
            stats[j, 7] += g1
            if o == 1:
                stats[j, 4] += g0
            else:
                stats[j, 6] += g1
    return stats, pv


def _shrunk(num, den, weight, groups=None):
    """Per-item rate ``(num + w·target) / (den + w)`` with the course rate ``Σnum / Σden`` as target, or,
    with ``groups`` (an int code per item: its kind), the rate of the item's kind (the course rate for a
    kind without data). Returns the rates and the course rate."""
    course = num.sum() / den.sum() if den.sum() > 0 else np.nan
    target = course
    if groups is not None:
        g_num = np.bincount(groups, weights=num)
        g_den = np.bincount(groups, weights=den)
        kind_rate = np.divide(g_num, g_den, out=np.full(len(g_num), course, dtype=float), where=g_den > 0)
        target = kind_rate[groups]
    return (num + weight * target) / (den + weight), course


def _posteriors(pass_value, learn, guess, slip, max_successes):
    """BKT posterior mastery after 1, 2, ... ``max_successes`` consecutive passes (rows), per item
    (columns), starting at ``pass_value`` after the first."""
    q = np.asarray(pass_value, dtype=float)
    out = np.empty((int(max_successes), len(q)))
    out[0] = q
    for k in range(1, int(max_successes)):
        pred = q + (1.0 - q) * learn
        q = pred * (1.0 - slip) / np.maximum(pred * (1.0 - slip) + (1.0 - pred) * guess, 1e-300)
        out[k] = q
    return out


def _passes_needed(pass_value, learn, guess, slip, threshold, max_successes):
    """Consecutive passes after which the BKT posterior (starting at ``pass_value`` after the first)
    reaches ``threshold``."""
    post = _posteriors(pass_value, learn, guess, slip, max_successes)
    # an undefined posterior (no learner ever made a second attempt, so the learn rate is unknown) asks
    # for no pass beyond it
    reached = (post >= threshold) | np.isnan(post)
    # the first k whose posterior reaches the threshold; max_successes when none does
    return np.where(reached.any(axis=0), np.argmax(reached, axis=0) + 1, int(max_successes)).astype(np.int64)


def calibrate(item, score, bounds, n: int, *, mastery: float = 0.5, threshold: float = THRESHOLD,
              max_successes: int = MAX_SUCCESSES, shrink: float = SHRINK, n_iter: int = 30,
              tol: float = 1e-4, kinds=None) -> Calibration:
    """Fit per-item BKT rates by EM on a log of scored events and derive the passes that mean mastery.

    Parameters
    ----------
    item, score, bounds : array
        Scored events, learner after learner (``bounds``: offsets), item codes in ``[0, n)``.
    n : int
        Number of items.
    mastery : float
        Score at or above which an attempt is a pass.
    threshold : float
        Posterior mastery that counts as mastered.
    max_successes : int
        Cap on the passes asked for.
    shrink : float
        Pseudo-sequences pulling every item toward the course-wide rates.
    n_iter : int, default 30
        EM iterations at most.
    tol : float, default 1e-4
        The EM stops when no rate moved by ``tol`` or more in an iteration.
    kinds : array of int, optional
        The kind of each item (:func:`kind_codes`: quiz, exam, video... from the catalogue): items are
        then pulled toward the rates of their kind instead of the course's, so that a course mixing
        graded exams (a pass is mastery) and retry-at-will quizzes (a pass is often a guess) calibrates
        each kind on its own evidence.

    Returns
    -------
    Calibration
        Without any attempt sequence (an empty log) nothing is estimated: every item needs two passes (one
        when ``max_successes`` is 1), as when nobody ever passed.
    """
    if not 0 < threshold < 1:
        raise ParameterError(f"calibration threshold must lie in (0, 1), got {threshold!r}")
    if int(max_successes) != max_successes or max_successes < 1:
        raise ParameterError(f"max_successes must be a positive integer, got {max_successes!r}")
    n = int(n)
    groups = None
    if kinds is not None:
        groups = np.asarray(kinds, dtype=np.int64)
        if groups.shape != (n,) or (n and groups.min() < 0):
            raise ParameterError(f"calibrate: kinds must be {n} non-negative integer codes, one per item, got "
                                 f"shape {groups.shape}; build them with kind_codes(items, catalog)")
    obs, length, seq_item = attempt_sequences(item, score, bounds, n, mastery)
    prior, learn = np.full(n, 0.2), np.full(n, 0.2)
    guess, slip = np.full(n, 0.2), np.full(n, 0.1)
    if not len(length):
        return Calibration.fixed(n, 2 if max_successes >= 2 else 1)
    last = None
    for _ in range(int(n_iter)):
        stats, pv = _em_pass(obs, length, seq_item, prior, learn, guess, slip, n)
        prior, _ = _shrunk(stats[:, 0], stats[:, 1], shrink, groups)
        learn, _ = _shrunk(stats[:, 2], stats[:, 3], shrink, groups)
        guess, c_guess = _shrunk(stats[:, 4], stats[:, 5], shrink, groups)
        slip, c_slip = _shrunk(stats[:, 6], stats[:, 7], shrink, groups)
        prior = np.clip(prior, 1e-3, 1 - 1e-3)
        learn = np.clip(learn, 1e-3, 1 - 1e-3)
        guess = np.clip(guess, 1e-4, MAX_RATE)
        slip = np.clip(slip, 1e-4, MAX_RATE)
        now = np.concatenate([prior, learn, guess, slip])
        if last is not None and np.abs(now - last).max() < tol:
            break
        last = now
    stats, pv = _em_pass(obs, length, seq_item, prior, learn, guess, slip, n)
    pass_value, c_pv = _shrunk(pv[:, 0], pv[:, 1], shrink / 4, groups)
    if np.isnan(c_pv):  # nobody ever passed: a pass is unheard of, ask for two
        pass_value, c_pv = np.full(n, 0.5), 0.5
    # the direct check: the success rate r of the attempt after a first pass. With u = P(mastered at that
    # attempt), r = u(1 - slip) + (1 - u)·guess, and u = q + (1 - q)·learn for q = P(mastered | first pass).
    # Guessing and learning are hard to tell apart on short sequences (fails, then one pass, then nothing),
    # so EM can keep a small spurious guess rate where a pass is in fact mastery; when the direct check says
    # first passes are confirmed, it wins (the larger of the two estimates is kept).
    rate, n_rep = _repeat_success(obs, length, seq_item, n)
    if n_rep.sum() > 0:
        u = (rate - guess) / np.maximum(1.0 - slip - guess, 1e-6)
        q_direct = np.clip((u - learn) / np.maximum(1.0 - learn, 1e-6), 0.0, 1.0)
        q_direct = np.where(n_rep > 0, q_direct, 0.0)
        q_direct, c_direct = _shrunk(q_direct * n_rep, n_rep.astype(float), shrink / 4, groups)
        pass_value = np.maximum(pass_value, q_direct)
        c_pv = max(c_pv, c_direct)
    need = _passes_needed(pass_value, learn, guess, slip, threshold, int(max_successes))
    return Calibration(prior=prior, learn=learn, guess=guess, slip=slip, pass_value=pass_value,
                       repeat_success=rate, successes_needed=need,
                       sequences=np.bincount(seq_item, minlength=n).astype(np.int64),
                       course_guess=float(np.clip(c_guess, 1e-4, MAX_RATE)),
                       course_slip=float(np.clip(c_slip, 1e-4, MAX_RATE)), course_pass_value=float(c_pv),
                       threshold=float(threshold))


def _repeat_success(obs, length, seq_item, n):
    """Success rate of the attempt right after the first pass, per item (NaN without one), and the count
    of such attempts."""
    passed = obs == 1
    has = passed.any(axis=1)
    first = np.argmax(passed, axis=1)
    nxt = first + 1
    ok = has & (nxt < length)
    rows = np.flatnonzero(ok)
    outcome = obs[rows, nxt[rows]].astype(float)
    num = np.bincount(seq_item[rows], weights=outcome, minlength=n)
    den = np.bincount(seq_item[rows], minlength=n).astype(float)
    return np.divide(num, den, out=np.full(n, np.nan), where=den > 0), den


def simulate_bkt(n_learners: int, n_items: int, *, guess: float, slip: float, learn: float = 0.3,
                 prior: float = 0.1, attempts: int = 6, rng: np.random.Generator):
    """A log of BKT learners with known rates (the calibration's test bench): each learner makes
    ``attempts`` attempts at every item in turn. Returns ``(item, score, bounds)``.

    >>> item, score, bounds = simulate_bkt(2, 3, guess=0.2, slip=0.1, rng=np.random.default_rng(0))
    >>> len(item), bounds.tolist()
    (36, [0, 18, 36])
    """
    m, n, a = int(n_learners), int(n_items), int(attempts)
    state = rng.random((m, n)) < prior
    scores = np.empty((m, n, a))
    for t in range(a):
        state = state | (rng.random((m, n)) < learn) if t else state
        p = np.where(state, 1.0 - slip, guess)
        scores[:, :, t] = (rng.random((m, n)) < p).astype(float)
    item = np.broadcast_to(np.arange(n)[None, :, None], (m, n, a)).reshape(-1)
    return item.astype(np.int64), scores.reshape(-1), np.arange(m + 1, dtype=np.int64) * n * a


def kind_codes(items, catalog) -> np.ndarray:
    """An int code per item for its ``kind`` in ``catalog`` (a frame with ``kind`` and ``item``, as a
    column or as the index), items
    without a kind sharing one code; None when the catalogue gives no kind. For :func:`calibrate`'s
    ``kinds``.

    >>> import pandas as pd
    >>> cat = pd.DataFrame({"item": ["q1", "e1", "q2"], "kind": ["quiz", "exam", "quiz"]})
    >>> kind_codes(["e1", "q1", "q2", "v9"], cat).tolist()
    [0, 1, 1, 2]
    """
    if catalog is None or "kind" not in catalog.columns or catalog["kind"].isna().all():
        return None
    ids = catalog["item"] if "item" in catalog.columns else catalog.index.to_series()
    known = catalog["kind"].notna().to_numpy()
    kind_of = dict(zip(ids.astype(str)[known], catalog["kind"][known].astype(str).str.lower()))
    labels = [kind_of.get(str(it)) for it in items]
    names = sorted({x for x in labels if x is not None})
    code = {k: c for c, k in enumerate(names)}
    return np.array([code.get(x, len(names)) for x in labels], dtype=np.int64)


@njit(cache=True)
def _dependent_counts(item, ok, bounds, dep_ptr, dep_pre, n):
    out = np.zeros((n, 4))   # per prerequisite j: successes / attempts on dependents after 1 pass, after >= 2
    passes = np.zeros(n, dtype=np.int64)
    for u in range(len(bounds) - 1):
        lo, hi = bounds[u], bounds[u + 1]
        for e in range(lo, hi):
            passes[item[e]] = 0
        for e in range(lo, hi):
            k = item[e]
            o = ok[e]
            if o < 0:
                continue
            for q in range(dep_ptr[k], dep_ptr[k + 1]):
                j = dep_pre[q]
                c = passes[j]
                if c >= 1:
                    col = 0 if c == 1 else 2
                    out[j, col] += o
                    out[j, col + 1] += 1.0
            if o == 1:
                passes[k] += 1
    return out


def dependent_success(item, score, bounds, n: int, depends, mastery: float = 0.5):
    """Does a first pass predict success on what depends on the item, as well as a confirmed one does?

    ``depends``: (n, n) boolean, ``depends[j, k]`` when k depends on j (the colony's evidence, or a known
    graph). For every item j, over every learner's attempts at j's dependents made while the learner had
    passed j exactly once, and while they had passed it at least twice, the success rates. Returns a
    frame indexed by item code: ``after_one``, ``n_one``, ``after_confirmed``, ``n_confirmed`` (NaN
    rates without attempts). Where a first pass is often a guess the dependents succeed less after one
    pass than after two; where a pass is mastery the two rates agree.

    >>> item = np.array([0, 1, 0, 1]); score = np.array([1.0, 0.0, 1.0, 1.0]); bounds = np.array([0, 4])
    >>> dep = np.array([[False, True], [False, False]])
    >>> dependent_success(item, score, bounds, 2, dep).loc[0].tolist()
    [0.0, 1.0, 1.0, 1.0]
    """
    import pandas as pd

    depends = np.asarray(depends, dtype=bool)
    n = int(n)
    if depends.shape != (n, n):
        raise ParameterError(f"dependent_success: depends must be ({n}, {n}), got {depends.shape}")
    score = np.asarray(score, dtype=float)
    ok = np.where(np.isnan(score), -1, (score >= mastery).astype(np.int64)).astype(np.int64)
    pre, dep = np.nonzero(depends)
    order = np.argsort(dep, kind="stable")
    dep_ptr = np.r_[0, np.cumsum(np.bincount(dep, minlength=n))].astype(np.int64)
    out = _dependent_counts(np.asarray(item, dtype=np.int64), ok, np.asarray(bounds, dtype=np.int64),
                            dep_ptr, pre[order].astype(np.int64), n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({"after_one": out[:, 0] / out[:, 1], "n_one": out[:, 1],
                             "after_confirmed": out[:, 2] / out[:, 3], "n_confirmed": out[:, 3]})

