"""The trail sort of the import: events by learner, then timestamp, then reading order, in linear time.

A general stable sort of millions of (learner, timestamp) pairs is the single most expensive step of an
import (``np.lexsort`` or a stable ``argsort`` of the timestamps: about a second for 5 million shuffled
events). Learner codes are small dense integers, though, and a learner's trail is short, so a counting
sort by learner (stable: reading order within each learner) followed by a sort of each trail by time does
the same job in a fraction of that. :func:`gather_kept` then lays the columns out in that order,
dropping duplicates on the way, so that no intermediate copy of a column is ever made (on a
shared machine, fresh memory is what large imports mostly pay for). The kernels are compiled once and
cached on disk (``cache=True``); they are imported lazily so that ``import poem.io`` does not load numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["trail_sort", "gather_kept"]

# trails up to this length are insertion-sorted in place (cheap and stable); longer ones use a merge sort
_SMALL = 48


@njit(cache=True)
def trail_sort(raw, remap, ts, n_learners, index_type):
    """Stable sort of events by ``(remap[raw], ts)``; ties keep reading order.

    Parameters
    ----------
    raw : ndarray of int
        Per-event numbers sent by ``remap`` to learner codes in ``[0, n_learners)`` (the identity for
        plain codes).
    remap : ndarray of int32
    ts : ndarray of int64
    n_learners : int
    index_type : int32 or int64 scalar
        The dtype of ``order`` (int32 halves its memory traffic while events fit).

    Returns
    -------
    order : ndarray of ``index_type``
        The permutation, equal to ``np.lexsort((ts, remap[raw]))``.
    sorted_ts : ndarray of int64
        ``ts[order]``, which the caller needs anyway (gathered here while the data is hot).
    bounds : ndarray of int64
        ``n_learners + 1`` offsets: learner ``l``'s events are ``order[bounds[l]:bounds[l + 1]]``.
    """
    n = raw.shape[0]
    bounds = np.zeros(n_learners + 1, np.int64)
    for i in range(n):
        bounds[remap[raw[i]] + 1] += 1
    for code in range(n_learners):
        bounds[code + 1] += bounds[code]
    fill = bounds[:-1].copy()
    order = np.empty(n, np.asarray(index_type).dtype)
    sorted_ts = np.empty(n, np.int64)
    for i in range(n):  # counting sort: stable, so each trail is in reading order
        code = remap[raw[i]]
        k = fill[code]
        order[k] = i
        sorted_ts[k] = ts[i]
        fill[code] = k + 1
    for code in range(n_learners):
        a = bounds[code]
        b = bounds[code + 1]
        if b - a < 2:
            continue
        if b - a <= _SMALL:
            # insertion sort moving only strictly later times: equal times keep reading order
            for k in range(a + 1, b):
                t = sorted_ts[k]
                o = order[k]
                j = k - 1
                while j >= a and sorted_ts[j] > t:
                    sorted_ts[j + 1] = sorted_ts[j]
                    order[j + 1] = order[j]
                    j -= 1
                sorted_ts[j + 1] = t
                order[j + 1] = o
        else:
            seg_ts = sorted_ts[a:b].copy()
            seg_order = order[a:b].copy()
            perm = np.argsort(seg_ts, kind="mergesort")  # stable
            for k in range(b - a):
                sorted_ts[a + k] = seg_ts[perm[k]]
                order[a + k] = seg_order[perm[k]]
    return order, sorted_ts, bounds


@njit(cache=True)
def gather_kept(order, keep, sorted_learner, sorted_ts, item_raw, item_remap, score, duration, gather_score,
                gather_duration):
    """The event columns in trail order, without the positions where ``keep`` is False.

    ``order``, ``sorted_learner`` and ``sorted_ts`` (already in trail order) are compacted in place, the
    latter two returned as their first ``m`` entries; item codes ``item_remap[item_raw]``, ``score`` and
    ``duration`` (reading order) are gathered through ``order``. An empty ``keep`` keeps everything; a
    column not gathered (``gather_score`` / ``gather_duration`` False: NaN throughout in the source) comes
    back as NaN.
    """
    n = order.shape[0]
    m = n
    if keep.shape[0] != 0:  # drop the duplicates: compact the sorted columns and the order in place
        m = 0
        for k in range(n):
            if keep[k]:
                order[m] = order[k]
                sorted_learner[m] = sorted_learner[k]
                sorted_ts[m] = sorted_ts[k]
                m += 1
    # one tight loop per column, as numpy's take does: the random reads of one stream overlap best
    out_item = np.empty(m, np.int32)
    for j in range(m):
        out_item[j] = item_remap[item_raw[order[j]]]
    out_score = np.empty(m, np.float64)
    if gather_score:
        for j in range(m):
            out_score[j] = score[order[j]]
    else:
        out_score[:] = np.nan
    out_duration = np.empty(m, np.float64)
    if gather_duration:
        for j in range(m):
            out_duration[j] = duration[order[j]]
    else:
        out_duration[:] = np.nan
    return sorted_learner[:m], sorted_ts[:m], out_item, out_score, out_duration
