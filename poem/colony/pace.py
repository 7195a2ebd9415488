"""Each learner's watching pace, learned from the viewing log (``pace="learned"`` of :mod:`poem.colony.viewing`).

Many players log *wall-clock* seconds. A learner who watches at 1.5x logs two thirds of a video's length
for a view to the end, which the completion threshold of the video (learned from all learners) reads as an
abandoned visit. Nothing in one visit tells a fast view from an abandoned one; the learner's visits *as a
whole* do: every share of a learner watching at speed ``s`` is the share of an ordinary learner over ``s``,
the visits watched through included.

:func:`learner_pace` fits that scale per learner. The watched shares relative to each video's usual
finishing share, ``r``, of all the log's visits give a density ``f`` (a histogram); the scale-family
likelihood of a learner's ``n`` visits at pace ``s`` is ``sum(log f(s * r)) + n * log(s)``, for every
``s`` of :data:`PACE_GRID`. How many learners of the log watch at each pace is learned from the same
likelihoods (a mixture over the grid fitted by EM: on a log where nobody watches fast, nearly all the
weight stays at 1x), and each learner gets the pace of highest posterior. The density is then refitted on
the paced shares and the paces fitted again (``rounds`` times), so that the fast learners stop blurring
it. Only speeds of 1x and above are considered: shares above the usual (re-watching passages, pauses) are
read visit by visit by the mapping, not as a slow pace. A log of fewer than ``min_learners`` learners
(default 50, the landing model's ``min_learn``) is read at 1x throughout.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> learners = np.repeat(np.arange(60), 30)
>>> r = np.where(rng.random(1800) < 0.5, 1.0, 0.3) * rng.uniform(0.9, 1.05, 1800)
>>> r[learners < 10] /= 1.6                      # the first ten learners watch at 1.6x
>>> pace = learner_pace(r, learners, 60)
>>> bool(np.all(np.abs(pace[:10] - 1.6) <= 0.1)), bool(np.all(pace[10:] == 1.0))
(True, True)
"""

from __future__ import annotations

import numpy as np

from poem.errors import ParameterError

__all__ = ["PACE_GRID", "learner_pace"]

#: the paces considered (playback speeds; 1x is the plain reading)
PACE_GRID = np.round(np.arange(1.0, 2.501, 0.05), 2)
#: the histogram of the relative shares: bins of this width on [0, _TOP]
_WIDTH, _TOP = 0.025, 3.0


def _log_density(r: np.ndarray) -> np.ndarray:
    """Log of the histogram density of ``r`` on ``[0, _TOP]`` (one pseudo-visit per bin: no value is
    impossible), as a lookup table per bin."""
    n_bins = int(round(_TOP / _WIDTH))
    hist = np.bincount(np.minimum((r / _WIDTH).astype(np.int64), n_bins - 1), minlength=n_bins) + 1.0
    return np.log(hist / (hist.sum() * _WIDTH))


def _pace_prior(ll: np.ndarray, n_iter: int = 200) -> np.ndarray:
    """The share of the log's learners at each pace of the grid, by EM over the learners' likelihoods
    ``ll`` (learners x grid), with half a pseudo-learner per pace."""
    like = np.exp(ll - ll.max(axis=1, keepdims=True))
    prior = np.full(ll.shape[1], 1.0 / ll.shape[1])
    for _ in range(n_iter):
        post = like * prior[None, :]
        post /= post.sum(axis=1, keepdims=True)
        prior = (post.sum(axis=0) + 0.5) / (len(ll) + 0.5 * ll.shape[1])
    return prior


def learner_pace(r, learner, n_learners: int, *, rounds: int = 2, min_learners: int = 50) -> np.ndarray:
    """Per learner, the watching pace (see the module docstring).

    Parameters
    ----------
    r : ndarray of float
        Per visit that carries evidence, the watched share over the video's usual finishing share
        (NaN, negative values and values of 3 and more are left out).
    learner : ndarray of int
        Per visit, the learner's index in ``range(n_learners)``.
    n_learners : int
    rounds : int
        Fits of the density and the paces (>= 1).
    min_learners : int
        With fewer learners with visits, every learner is at 1x: the density and the share of learners at
        each pace are then too rough to read a pace against (a log of one learner would read its own
        shares as a flat density, which any scale above 1 fits better).

    Returns
    -------
    ndarray of float
        The pace of each learner (1.0 for a learner without visits).
    """
    r = np.asarray(r, dtype=float)
    learner = np.asarray(learner, dtype=np.int64)
    if r.shape != learner.shape:
        raise ParameterError(f"learner_pace: r and learner differ in length ({len(r)} and {len(learner)})")
    if int(min_learners) != min_learners or min_learners < 0:
        raise ParameterError(f"learner_pace min_learners must be an integer >= 0, got {min_learners!r}")
    if int(rounds) != rounds or rounds < 1:
        raise ParameterError(f"learner_pace rounds must be an integer >= 1, got {rounds!r}")
    ok = ~np.isnan(r) & (r >= 0) & (r < _TOP)
    r, learner = r[ok], learner[ok]
    pace = np.ones(n_learners)
    n = np.bincount(learner, minlength=n_learners).astype(float)
    if len(r) == 0 or (n > 0).sum() < min_learners:
        return pace
    n_bins = int(round(_TOP / _WIDTH))
    for _ in range(int(rounds)):
        logf = _log_density(r * pace[learner])
        # scale-family log-likelihood of every learner at every pace of the grid (learners x grid)
        scaled = r[:, None] * PACE_GRID[None, :]
        cell = np.minimum((scaled / _WIDTH).astype(np.int64), n_bins - 1)
        term = np.where(scaled < _TOP, logf[cell], np.log(1.0 / (r.size * _WIDTH)))
        ll = np.zeros((n_learners, len(PACE_GRID)))
        np.add.at(ll, learner, term)
        ll += n[:, None] * np.log(PACE_GRID)[None, :]
        post = ll + np.log(_pace_prior(ll))[None, :]
        pace = PACE_GRID[post.argmax(axis=1)]
    return pace
