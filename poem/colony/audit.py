"""The audit of a fitted man-hill: what the pedagogical team should look at.

Four kinds of findings, one row each, most severe first within a kind:

* ``abnormal_failure`` -- an item whose failures do not follow the learners' level: learners who succeed
  elsewhere fail it about as often as those who do not (its item-rest correlation is less than half the
  course's median and more than ``z`` standard errors below it). A hard item is not abnormal, its rating
  says it is hard; a broken, ambiguous or mis-graded item, failed at random, is.
* ``unreached`` -- catalogue items nobody reached.
* ``prior_contradiction`` -- an arc i→j of the teacher prior that the learners contradict: its success
  share is low over enough learners, or the learners' precedence says j is mastered before i.
* ``rating_drift`` -- items whose ELO difficulty on the later half of the time range differs from the
  earlier half by more than ``drift`` logits and by more than ``z`` standard errors (a changed item, or a
  changed population).

Examples
--------
>>> import pandas as pd
>>> from poem.traces import Traces
>>> from poem.antcolony import ManHill
>>> frame = pd.DataFrame({"learner": ["a", "b"], "item": ["x", "x"], "score": [1.0, 1.0],
...                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
>>> model = ManHill().fit(Traces.from_frame(frame, items=["x", "y"]))
>>> audit(model)[["kind", "item"]].values.tolist()
[['unreached', 'y']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poem.errors import ParameterError

__all__ = ["audit", "item_rest_correlation", "AUDIT_COLUMNS", "KINDS"]

AUDIT_COLUMNS = ["kind", "item", "target", "value", "expected", "support", "detail"]
KINDS = ("abnormal_failure", "unreached", "prior_contradiction", "rating_drift")


def audit(model, *, z: float = 3.0, min_attempts: int = 20, min_support: int = 10, low_success: float = 0.3,
          drift: float = 0.5) -> pd.DataFrame:
    """Findings of a fitted colony as a DataFrame with :data:`AUDIT_COLUMNS`; see the module docstring.

    Parameters
    ----------
    z : float
        z-score above which a failure excess or a reversed precedence is reported.
    min_attempts : int
        Scored attempts an item needs before its failures or drift are judged.
    min_support : int
        Learners an arc needs before its success share is judged.
    low_success : float
        Success share of a prior arc below which the learners contradict it.
    drift : float
        Absolute drift of the difficulty (logits) worth reporting.
    """
    for name, value, hi in (("z", z, np.inf), ("min_attempts", min_attempts, np.inf),
                            ("min_support", min_support, np.inf), ("drift", drift, np.inf),
                            ("low_success", low_success, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not 0 <= value <= hi:
            raise ParameterError(f"audit threshold {name} must be a number in [0, {hi}], got {value!r}")
    items = np.asarray(model.items_).astype(str)
    n = len(items)
    parts = [_abnormal_failures(model, items, z, min_attempts), _unreached(model, items),
             _prior_contradictions(model, items, n, z, min_support, low_success),
             _drifts(model, items, z, min_attempts, drift)]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    if out is None:
        return pd.DataFrame({c: pd.Series([], dtype=float if c in ("value", "expected") else object)
                             for c in AUDIT_COLUMNS})
    return out[AUDIT_COLUMNS]


def _frame(kind, item, target, value, expected, support, detail) -> pd.DataFrame:
    return pd.DataFrame({"kind": kind, "item": item, "target": target, "value": np.asarray(value, float),
                         "expected": np.asarray(expected, float), "support": np.asarray(support, np.int64),
                         "detail": detail})


def item_rest_correlation(state) -> tuple:
    """Per item, the correlation between a learner's score on it and their success share on their other
    scored events (the classic item-rest discrimination), and the number of attempts it rests on.

    NaN where an item has fewer than 3 attempts or no spread. Computed from the colony's ELO log.
    """
    item, score, bounds = state.log_item, state.log_score, state.log_bounds
    n = state.n_items
    if len(item) == 0:
        return np.full(n, np.nan), np.zeros(n, np.int64)
    per = np.diff(bounds)
    total = np.repeat(np.add.reduceat(score, bounds[:-1][per > 0]), per[per > 0])
    count = np.repeat(per[per > 0], per[per > 0]).astype(float)
    keep = count > 1
    rest = (total[keep] - score[keep]) / (count[keep] - 1)
    it, x, y = item[keep], score[keep], rest
    m = np.bincount(it, minlength=n).astype(float)
    def mean(v):
        return np.divide(np.bincount(it, weights=v, minlength=n), m, out=np.zeros(n), where=m > 0)
    mx, my = mean(x), mean(y)
    cov = mean(x * y) - mx * my
    vx, vy = mean(x * x) - mx ** 2, mean(y * y) - my ** 2
    ok = (m >= 3) & (vx > 1e-12) & (vy > 1e-12)
    r = np.full(n, np.nan)
    r[ok] = cov[ok] / np.sqrt(vx[ok] * vy[ok])
    return r, m.astype(np.int64)


def _abnormal_failures(model, items, z, min_attempts):
    r, m = item_rest_correlation(model.state_)
    valid = ~np.isnan(r) & (m >= min_attempts)
    if valid.sum() < 3:
        return _frame("abnormal_failure", [], [], [], [], [], [])
    typical = float(np.median(r[valid]))
    # Fisher z: how far below the course's typical discrimination this item is, in standard errors
    score = np.zeros(len(r))
    clipped = np.clip(r, -0.999, 0.999)
    score[valid] = (np.arctanh(min(typical, 0.999)) - np.arctanh(clipped[valid])) * np.sqrt(m[valid] - 3.0)
    # significant *and* substantial: on a big course every small difference is significant
    hit = np.flatnonzero(valid & (score > z) & (r < 0.5 * typical))
    hit = hit[np.argsort(-score[hit], kind="stable")]
    detail = [f"learners who succeed elsewhere fail it about as often as the others: item-rest correlation "
              f"{r[j]:.2f} against {typical:.2f} typical (z = {score[j]:.1f})" for j in hit]
    return _frame("abnormal_failure", items[hit], "", r[hit], np.full(len(hit), typical), m[hit], detail)


def _unreached(model, items):
    hit = np.flatnonzero(model.item_learners_ == 0)
    return _frame("unreached", items[hit], "", np.zeros(len(hit)), np.zeros(len(hit)), np.zeros(len(hit)),
                  ["no learner reached this item"] * len(hit))


def _prior_contradictions(model, items, n, z, min_support, low_success):
    if model.prior_ is None:
        return _frame("prior_contradiction", [], [], [], [], [], [])
    prior = model.prior_
    plus, minus = model.phi_plus_, model.phi_minus_
    total = plus + minus
    rate = np.divide(plus, total, out=np.full_like(plus, np.nan), where=total > 0)
    support = model.arc_learners_
    labels = np.concatenate([items, ["(start)"]])
    rows = []
    low = (prior > 0) & (support >= min_support) & (rate < low_success)
    for r, c in zip(*np.nonzero(low)):
        rows.append(("prior_contradiction", labels[r], items[c], rate[r, c], low_success, support[r, c],
                     f"teachers suggest {labels[r]} -> {items[c]}, but only {rate[r, c]:.0%} of the pheromone "
                     "on it is success"))
    p = model.precedence_
    both = p + p.T
    reverse = (p.T - p) / np.sqrt(both + 1.0)
    rev = (prior[:n] > 0) & (reverse > z)
    for r, c in zip(*np.nonzero(rev)):
        rows.append(("prior_contradiction", items[r], items[c], p[c, r], p[r, c], int(both[r, c]),
                     f"teachers put {items[r]} before {items[c]}, but {p[c, r]:.0f} learners mastered "
                     f"{items[c]} first against {p[r, c]:.0f} (z = {reverse[r, c]:.1f})"))
    if not rows:
        return _frame("prior_contradiction", [], [], [], [], [], [])
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS).astype({"value": float, "expected": float,
                                                            "support": np.int64})


def _drifts(model, items, z, min_attempts, drift):
    d = model.item_drift_
    se = model._elo.drift_se
    hit = np.flatnonzero((np.abs(d) > drift) & (np.abs(d) > z * se) & (model.item_attempts_ >= min_attempts))
    hit = hit[np.argsort(-np.abs(d[hit]), kind="stable")]
    detail = [f"difficulty {'rose' if d[j] > 0 else 'fell'} by {abs(d[j]):.2f} ± {se[j]:.2f} logits between the "
              "earlier and later half of the time range" for j in hit]
    return _frame("rating_drift", items[hit], "", d[hit], np.zeros(len(hit)), model.item_attempts_[hit], detail)
