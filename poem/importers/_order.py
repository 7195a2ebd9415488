"""The trail sort of the import: events by learner, then timestamp, then reading order, in linear time.

A general stable sort of millions of (learner, timestamp) pairs is the single most expensive step of an
import (``np.lexsort`` or a stable ``argsort`` of the timestamps: about a second for 5 million shuffled
events). Learner codes are small dense integers, though, and a learner's trail is short, so a counting
sort by learner (stable: reading order within each learner) followed by a sort of each trail by time does
the same job in a fraction of that. The kernel is compiled once and cached on disk (``cache=True``);
it is imported lazily so that ``import poem.io`` does not load numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["trail_sort"]

# trails up to this length are insertion-sorted in place (cheap and stable); longer ones use a merge sort
_SMALL = 48


@njit(cache=True)
def trail_sort(learner, ts, n_learners):
    """Stable sort of events by ``(learner, ts)``; ties keep reading order.

    Parameters
    ----------
    learner : ndarray of int
        Codes in ``[0, n_learners)``.
    ts : ndarray of int64
    n_learners : int

    Returns
    -------
    order : ndarray of int64
        The permutation, equal to ``np.lexsort((ts, learner))``.
    sorted_ts : ndarray of int64
        ``ts[order]``, which the caller needs anyway (gathered here while the data is hot).
    bounds : ndarray of int64
        ``n_learners + 1`` offsets: learner ``l``'s events are ``order[bounds[l]:bounds[l + 1]]``.
    """
    n = learner.shape[0]
    bounds = np.zeros(n_learners + 1, np.int64)
    for i in range(n):
        bounds[learner[i] + 1] += 1
    for code in range(n_learners):
        bounds[code + 1] += bounds[code]
    fill = bounds[:-1].copy()
    order = np.empty(n, np.int64)
    sorted_ts = np.empty(n, np.int64)
    for i in range(n):  # counting sort: stable, so each trail is in reading order
        code = learner[i]
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
