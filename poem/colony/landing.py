"""Which complete view of a video landed, learned from the viewing log itself (``landing="learned"`` of
:mod:`poem.colony.viewing`, whose module docstring gives the whole mapping).

A complete view (watched to the video's completion threshold) either *landed* (the learner understood)
or did not (watched through without understanding). Two things of the log tell them apart: the watched
share against the video's usual finishing share (:data:`SHARE_EDGES`: seeking back to re-watch passages
or skipping ahead, read relative to that video) and what the learner does next with that video
(:data:`RETURNS`). :func:`landing_model` fits a two-class mixture of the two by EM on the first complete
views of all (learner, video) pairs; the class that did not land returns as learners do after an
*abandoned* visit, read from the same log. :func:`poem.colony.viewing.viewing_evidence` then lets a
complete view the learner comes back to land only when the model says so.

Examples
--------
>>> [RETURNS[k] for k in (0, 1)]
['none', 'straight back']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

__all__ = ["SHARE_EDGES", "RETURNS", "landing_model", "landing_counts"]

#: edges of the watched share relative to the video's usual finishing share (:func:`landing_model`)
SHARE_EDGES = (0.9, 0.97, 1.03, 1.1, 1.25, 1.5)
#: return categories of a visit (:func:`landing_model`)
RETURNS = ("none", "straight back", "back soon", "back after moving on")
#: visit labels, by code (``ViewingEvidence.label``): the rule's pass (:mod:`poem.colony.viewing`) and the
#: learned pass here write the same codes, so they are defined once, here
LABELS = ("other", "unknown", "background", "abandoned", "returned", "complete", "struggled", "review",
          "folded")
_OTHER, _UNKNOWN, _BACKGROUND, _ABANDONED, _RETURNED, _COMPLETE, _STRUGGLED, _REVIEW, _FOLDED = range(9)


@njit(cache=True)
def _visit_features(item, share, info, thr, level, edges, bounds, n, window):
    """Per event: the share bin (watched share over the video's usual finishing share, cut at ``edges``;
    -1 below the completion threshold), the return category (:data:`RETURNS`), whether the visit is the
    first complete view of its (learner, video) pair, and whether it is an abandoned visit before any
    complete view of the pair (the anchor of :func:`landing_model`). ``info``: visits that carry
    evidence (video, known share, not a background tab, not folded)."""
    m = item.shape[0]
    sbin = np.full(m, -1, np.int64)
    ret = np.zeros(m, np.int64)
    first = np.zeros(m, np.bool_)
    anchor = np.zeros(m, np.bool_)
    stamp = np.full(n, -1, np.int64)
    seen_full = np.zeros(n, np.bool_)
    nxt = np.full(n, -1, np.int64)        # next informative visit of the item (backward pass)
    newc = np.zeros(m + 1, np.int64)      # videos completed for the first time up to each event (cumulative)
    nd = np.zeros(m, np.int64)            # next event on another item
    for l in range(bounds.shape[0] - 1):
        lo, hi = bounds[l], bounds[l + 1]
        for e in range(lo, hi):  # forward: bins, first complete views, anchors
            newc[e + 1] = newc[e]
            if not info[e]:
                continue
            j = item[e]
            if stamp[j] != l:
                stamp[j] = l
                seen_full[j] = False
            s = share[e]
            if s >= thr[j]:
                r = s / level[j]
                b = 0
                while b < edges.shape[0] and r >= edges[b]:
                    b += 1
                sbin[e] = b
                if not seen_full[j]:
                    seen_full[j] = True
                    first[e] = True
                    newc[e + 1] += 1
            elif not seen_full[j]:
                anchor[e] = True
        for e in range(hi - 1, lo - 1, -1):  # backward: next visit of the same video, next other item
            nd[e] = hi if e == hi - 1 else (e + 1 if item[e + 1] != item[e] else nd[e + 1])
        for e in range(hi - 1, lo - 1, -1):
            j = item[e]
            if stamp[j] != l + bounds.shape[0]:  # a second stamp space for the backward pass
                stamp[j] = l + bounds.shape[0]
                nxt[j] = -1
            if not info[e]:
                continue
            f = nxt[j]
            if f < 0:
                ret[e] = 0
            elif nd[e] > f:
                ret[e] = 1
            elif newc[f] - newc[e + 1] < window:
                ret[e] = 2
            else:
                ret[e] = 3
            nxt[j] = e
    return sbin, ret, first, anchor


def landing_counts(sbin, ret, first, anchor) -> dict:
    """The sufficient statistics of :func:`landing_model`: ``views`` (share bins x returns, the first
    complete views) and ``anchors`` (returns after the abandoned visits). They add across logs of the same
    course, which is how ``ManHill.partial_fit`` learns the landing of a new cohort on everything the colony
    read (:mod:`poem.colony.viewing_cohort`).

    >>> c = landing_counts(np.array([3, 3, -1]), np.array([0, 1, 1]), np.array([True, True, False]),
    ...                    np.array([False, False, True]))
    >>> c["views"][3].tolist(), c["anchors"].tolist()
    ([1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0])
    """
    n_bins, n_ret = len(SHARE_EDGES) + 1, len(RETURNS)
    views = first & (sbin >= 0)
    N = np.zeros((n_bins, n_ret))
    np.add.at(N, (sbin[views], ret[views]), 1.0)
    return {"views": N, "anchors": np.bincount(ret[anchor], minlength=n_ret).astype(float)}


def landing_model(sbin, ret, first, anchor, *, min_learn: int = 50, n_iter: int = 300,
                  prior: dict | None = None) -> dict | None:
    """Learn from the log which complete views landed: a two-class mixture over the first complete view of
    every (learner, video) pair, fitted by EM.

    Each first complete view has a share bin (the watched share over the video's usual finishing share,
    cut at :data:`SHARE_EDGES`) and a return category (:data:`RETURNS`: never back, straight back, back
    before completing ``return_window`` other videos, back after moving on). A view that *landed* and one
    that *did not* differ in both; the model is

        ``P(bin, return) = pi * S_land(bin) * R_land(return) + (1 - pi) * S_lost(bin) * R_lost(return)``

    with ``R_lost`` fixed to the returns after the abandoned visits that came before any complete view
    (visits that did not land, whatever their reason: what a learner does after a view that did not land
    is read there), and ``pi``, ``S_land``, ``S_lost``, ``R_land`` learned. Nothing says in advance that a
    return is a failure, that a review after moving on is not, or that seeking back (a share above the
    usual) is a struggle: the log says how much each weighs.

    ``prior`` (a :func:`landing_counts` dict of other logs of the same course) is added to this log's
    counts before fitting: the model of the pooled logs.

    Returns ``None`` (the caller falls back on the rule) with fewer than ``min_learn`` first complete
    views or anchors, or when the learned landed class returns *more* often than the anchor (nothing to
    tell the classes apart). Otherwise a dict: ``posterior`` (bins x returns, P(landed | bin, return)),
    ``pi``, ``share_landed``, ``share_lost``, ``return_landed``, ``return_lost``, ``n_views``,
    ``n_anchors``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> k = 4000                       # 60 % landed: watched to the usual end, rarely back
    >>> landed = rng.random(k) < 0.6
    >>> sbin = np.where(landed, rng.choice(7, k, p=[.05, .1, .3, .4, .1, .03, .02]),
    ...                 rng.choice(7, k, p=[.05, .05, .2, .2, .1, .2, .2]))
    >>> ret = np.where(landed, rng.choice(4, k, p=[.9, .04, .03, .03]), rng.choice(4, k, p=[.45, .35, .1, .1]))
    >>> anchor_ret = rng.choice(4, 3000, p=[.45, .35, .1, .1])
    >>> views, anchors = np.r_[np.ones(k, bool), np.zeros(3000, bool)], np.r_[np.zeros(k, bool), np.ones(3000, bool)]
    >>> m = landing_model(np.r_[sbin, np.full(3000, -1)], np.r_[ret, anchor_ret], views, anchors)
    >>> round(m["pi"], 1), bool(m["posterior"][3, 0] > 0.5 > m["posterior"][6, 1])
    (0.6, True)
    """
    n_bins, n_ret = len(SHARE_EDGES) + 1, len(RETURNS)
    counts = landing_counts(sbin, ret, first, anchor)
    N, anchored = counts["views"], counts["anchors"]
    if prior is not None:
        N, anchored = N + np.asarray(prior["views"], dtype=float), anchored + np.asarray(prior["anchors"], dtype=float)
    if N.sum() < min_learn or anchored.sum() < min_learn:
        return None
    r_lost = (anchored + 1.0) / (anchored.sum() + n_ret)
    # start: the views nobody came back to look landed, the others not
    s_land = (N[:, 0] + 1.0) / (N[:, 0].sum() + n_bins)
    s_lost = (N[:, 1:].sum(axis=1) + 1.0) / (N[:, 1:].sum() + n_bins)
    r_land = np.r_[0.9, np.full(n_ret - 1, 0.1 / (n_ret - 1))]
    pi = 0.5
    for _ in range(n_iter):
        a = pi * s_land[:, None] * r_land[None, :]
        b = (1 - pi) * s_lost[:, None] * r_lost[None, :]
        g = a / (a + b)
        wa, wb = N * g, N * (1 - g)
        pi = wa.sum() / N.sum()
        # half a pseudo-count per cell: a bin nobody fell in says nothing either way
        s_land = (wa.sum(axis=1) + 0.5) / (wa.sum() + 0.5 * n_bins)
        s_lost = (wb.sum(axis=1) + 0.5) / (wb.sum() + 0.5 * n_bins)
        r_land = (wa.sum(axis=0) + 0.5) / (wa.sum() + 0.5 * n_ret)
    if not r_land[0] > r_lost[0]:
        return None
    a = pi * s_land[:, None] * r_land[None, :]
    b = (1 - pi) * s_lost[:, None] * r_lost[None, :]
    return {"posterior": a / (a + b), "pi": float(pi), "share_landed": s_land, "share_lost": s_lost,
            "return_landed": r_land, "return_lost": r_lost, "n_views": int(N.sum()),
            "n_anchors": int(anchored.sum())}


@njit(cache=True)
def _classify_learned(item, share, seeks, info, sbin, ret, post, bounds, n, overwatch, struggle,
                      struggle_seeks):
    """The per-learner pass of the learned mapping: until a view lands, a visit below the threshold is
    abandoned (score 0); a complete view lands (1, or ``struggle`` when sought back) when the learner never
    comes back to the video or when the landing model says so (P >= 0.5), else it did not (0,
    ``returned``); after it, reviews (no evidence)."""
    m = item.shape[0]
    label = np.zeros(m, np.int8)
    score = np.full(m, np.nan)
    stamp = np.full(n, -1, np.int64)
    done = np.zeros(n, np.bool_)
    for l in range(bounds.shape[0] - 1):
        for e in range(bounds[l], bounds[l + 1]):
            if not info[e]:
                continue
            j = item[e]
            if stamp[j] != l:
                stamp[j] = l
                done[j] = False
            if done[j]:
                label[e] = _REVIEW
                continue
            if sbin[e] < 0:
                label[e] = _ABANDONED
                score[e] = 0.0
                continue
            if ret[e] == 0 or post[sbin[e], ret[e]] >= 0.5:
                done[j] = True
                if share[e] > overwatch or (struggle_seeks > 0 and seeks[e] >= struggle_seeks):
                    label[e] = _STRUGGLED
                    score[e] = struggle
                else:
                    label[e] = _COMPLETE
                    score[e] = 1.0
            else:
                label[e] = _RETURNED
                score[e] = 0.0
    return label, score


def _finishing_levels(share, item, thr, n, prior_views, background):
    """Per video, the usual finishing share: the median share of its complete views (at or above the
    threshold, below a background tab), shrunk toward the median of all videos with ``prior_views``."""
    ok = ~np.isnan(share) & (share <= background) & (share >= thr[item])
    overall = float(np.median(share[ok])) if ok.any() else 1.0
    level = np.full(n, overall)
    if ok.any():
        g = pd.Series(share[ok]).groupby(item[ok])
        med, k = g.median(), g.size()
        level[med.index.to_numpy()] = ((k * med + prior_views * overall) / (k + prior_views)).to_numpy()
    return np.maximum(level, 1e-9)

