"""Promotion metrics of learning-path recommendation (LPR), as used to judge closed-loop experiments.

A recommender is judged by how much a learner's score on the learning target rises along the path it
proposes. With ``E_b`` the score before the path, ``E_e`` after it, ``E_sup`` the full score and ``L`` the
path length (steps taken), the LPR literature (Liu et al. 2019 "Exploiting cognitive structure for
adaptive learning", KDD; the EduSim / EduData ``promotion_report``, reproduced in edmine) reports:

====== ====================================== ==========================================
name   meaning                                per learner
====== ====================================== ==========================================
AP     absolute promotion                     ``E_e - E_b``
APR    absolute promotion rate (per step)     ``(E_e - E_b) / L``
RP     relative promotion                     ``(E_e - E_b) / E_sup``
RPR    relative promotion rate                ``(E_e - E_b) / (E_sup * L)``
NRP    normalised relative promotion          ``(E_e - E_b) / (E_sup - E_b)``
NRPR   normalised relative promotion rate     ``(E_e - E_b) / ((E_sup - E_b) * L)``
====== ====================================== ==========================================

and averages each column over learners. Two edge cases are made explicit here rather than left to
``inf``/``nan`` arithmetic: a learner with ``L = 0`` has rates 0 (no step, no promotion), and a learner
who starts at the full score has no room to progress, so NRP and NRPR are undefined for them and they
are left out of those two means (:func:`promotion_report` reports how many were left out).
``weights`` give a weighted mean (edmine multiplies the AP values by the weights before a plain mean;
a weighted mean keeps every metric on its scale).

Examples
--------
>>> report = promotion_report([0.2, 0.5], [0.6, 0.5], [4, 2])
>>> {k: round(v, 4) for k, v in report.items()}
{'AP': 0.2, 'APR': 0.05, 'RP': 0.2, 'RPR': 0.05, 'NRP': 0.25, 'NRPR': 0.0625, 'n': 2, 'n_nrp': 2}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poem.errors import ParameterError

__all__ = ["promotion_frame", "promotion_report", "METRICS"]

#: the six promotion metrics, in the literature's order
METRICS = ("AP", "APR", "RP", "RPR", "NRP", "NRPR")


def _vector(name, value) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} must be finite; got {arr[~np.isfinite(arr)][0]!r}")
    return arr


def promotion_frame(initial_score, final_score, path_length, full_score=1.0) -> pd.DataFrame:
    """Per-learner promotion metrics (one row per learner, columns :data:`METRICS`).

    Parameters
    ----------
    initial_score, final_score : array-like of float
        Score on the learning target before and after the path, in ``[0, full_score]``.
    path_length : array-like of int
        Steps each learner took (>= 0).
    full_score : float or array-like
        The maximum score (1 for a share of items mastered).

    Returns
    -------
    DataFrame
        ``AP, APR, RP, RPR, NRP, NRPR``; NRP and NRPR are NaN for learners who start at the full score.

    Examples
    --------
    >>> promotion_frame([0.0, 1.0], [0.5, 1.0], [5, 0])["NRP"].tolist()
    [0.5, nan]
    """
    b = _vector("initial_score", initial_score)
    e = _vector("final_score", final_score)
    length = _vector("path_length", path_length)
    if not (len(b) == len(e) == len(length)):
        raise ParameterError(f"initial_score, final_score and path_length must have equal lengths; got "
                             f"{len(b)}, {len(e)}, {len(length)}")
    full = _vector("full_score", full_score)
    if len(full) not in (1, len(b)):
        raise ParameterError(f"full_score must be one value or one per learner ({len(b)}), got {len(full)}")
    full = np.broadcast_to(full, b.shape) if len(b) else np.zeros(0)
    if np.any(full <= 0):
        raise ParameterError(f"full_score must be > 0, got {full[full <= 0][0]!r}")
    for name, arr in (("initial_score", b), ("final_score", e)):
        bad = (arr < 0) | (arr > full)
        if bad.any():
            raise ParameterError(f"{name} must lie in [0, full_score]; learner {int(np.argmax(bad))} has "
                                 f"{arr[bad][0]!r}")
    if np.any(length < 0) or np.any(length != np.round(length)):
        bad = (length < 0) | (length != np.round(length))
        raise ParameterError(f"path_length must hold non-negative integers, got {length[bad][0]!r}")
    ap = e - b
    steps = np.where(length > 0, length, 1.0)
    room = full - b
    has_room = room > 0
    nrp = np.divide(ap, room, out=np.full(len(ap), np.nan), where=has_room)
    rate = np.where(length > 0, 1.0 / steps, 0.0)
    return pd.DataFrame({
        "AP": ap, "APR": ap * rate, "RP": ap / full, "RPR": ap / full * rate,
        "NRP": nrp, "NRPR": nrp * rate,
    })


def promotion_report(initial_score, final_score, path_length, full_score=1.0, weights=None) -> dict:
    """Mean promotion metrics over learners, as the LPR literature reports them.

    Returns a dict with :data:`METRICS` (floats; NaN when no learner qualifies), ``n`` (learners) and
    ``n_nrp`` (learners with room to progress, who count in NRP and NRPR). See :func:`promotion_frame`.

    Examples
    --------
    >>> r = promotion_report([2, 5], [6, 5], [4, 2], full_score=10)
    >>> r["AP"], r["RP"], round(r["NRP"], 4)
    (2.0, 0.2, 0.25)
    >>> promotion_report([0.2, 0.5], [0.6, 0.5], [4, 2], weights=[3, 1])["AP"]
    0.3
    """
    frame = promotion_frame(initial_score, final_score, path_length, full_score)
    n = len(frame)
    w = np.ones(n) if weights is None else _vector("weights", weights)
    if len(w) != n:
        raise ParameterError(f"weights must have one value per learner ({n}), got {len(w)}")
    if np.any(w < 0):
        raise ParameterError(f"weights must be >= 0, got {w[w < 0][0]!r}")
    out = {}
    for name in METRICS:
        values = frame[name].to_numpy()
        keep = ~np.isnan(values) & (w > 0)
        out[name] = float(np.average(values[keep], weights=w[keep])) if keep.any() else float("nan")
    out["n"] = int(n)
    out["n_nrp"] = int((~frame["NRP"].isna()).sum())
    return out
