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
weight stays at 1x), and each learner gets the pace of highest posterior. The density is then refitted
on the paced shares and the paces fitted again (``rounds`` times), so that the fast learners stop
blurring it. Only speeds of 1x and above are considered: shares above the usual (re-watching passages, pauses) are
read visit by visit by the mapping, not as a slow pace. A log of fewer than ``min_learners`` learners
(default 50, the landing model's ``min_learn``) is read at 1x throughout.

The mixture has one pseudo-learner in all, half at 1x and half spread over the faster paces, so that it
weighs little on a young course too. With half a pseudo-learner per pace (15 on the fast paces), a log
of 50 to 100 learners where nobody watches fast kept a fifth of its prior on fast paces, and 1.4 to 2.4 %
of its 1x learners were paced live from their first five visits, against 0.1 % on 1 500 learners; with
one pseudo-learner 0 to 0.7 %, the fast learners' recall unchanged within 0.012 from five visits
(``benchmarks/results/pace_size.md``). In a closed loop on 12 videos whose colony was fitted on one
cohort of 60 learners, 30 % of them fast, 4 of 45 1x learners are paced instead of 8. On logs of exactly
50 learners about 2 % of the 1x learners are still paced by the fit (measured harmless there: the
evidence's errors do not change).

:func:`pace_model` also returns what the last round read the paces against (the density table and the
share of learners at each pace), and :func:`pace_of` paces *live* learners against them with the same
likelihood (:func:`pace_loglik`) and posterior: what the history reader of ``poem suggest --watched``
and the closed-loop viewing policy do (:meth:`poem.colony.viewing_history.HistoryReader.pace`).

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

__all__ = ["PACE_GRID", "PACE_DENSITY_SIZE", "learner_pace", "pace_model", "pace_loglik", "pace_of"]

#: the paces considered (playback speeds; 1x is the plain reading)
PACE_GRID = np.round(np.arange(1.0, 2.501, 0.05), 2)
#: the histogram of the relative shares: bins of this width on [0, _TOP]
_WIDTH, _TOP = 0.025, 3.0
#: entries of a density table (:func:`pace_model`): one per bin, then one for ``_TOP`` and above
PACE_DENSITY_SIZE = int(round(_TOP / _WIDTH)) + 1


def _log_density(r: np.ndarray) -> np.ndarray:
    """Log of the histogram density of ``r`` on ``[0, _TOP]`` (one pseudo-visit per bin: no value is
    impossible), as a lookup table per bin, with one more entry for values of ``_TOP`` and above (a
    density of one visit of the log spread over a bin)."""
    n_bins = int(round(_TOP / _WIDTH))
    hist = np.bincount(np.minimum((r / _WIDTH).astype(np.int64), n_bins - 1), minlength=n_bins) + 1.0
    return np.append(np.log(hist / (hist.sum() * _WIDTH)), np.log(1.0 / (r.size * _WIDTH)))


def _pace_pseudo(n_paces: int) -> np.ndarray:
    """The pseudo-learners of the pace prior: one in all, half at 1x and half spread evenly over the faster
    paces. Its strength does not depend on the grid: half a pseudo-learner *per pace* (what the prior was
    before) put 15 of them on the 30 fast paces, a third of a 50-learner log, so that on a small log where
    nobody watches fast a fifth of the prior stayed on fast paces and a 1x learner with a few ambiguous
    visits was read as fast (``benchmarks/results/pace_size.md``)."""
    pseudo = np.full(n_paces, 0.5 / max(n_paces - 1, 1))
    pseudo[0] = 0.5
    return pseudo


def _pace_prior(ll: np.ndarray, n_iter: int = 200) -> np.ndarray:
    """The share of the log's learners at each pace of the grid, by EM over the learners' likelihoods
    ``ll`` (learners x grid), with the pseudo-learners of :func:`_pace_pseudo`."""
    like = np.exp(ll - ll.max(axis=1, keepdims=True))
    pseudo = _pace_pseudo(ll.shape[1])
    prior = np.full(ll.shape[1], 1.0 / ll.shape[1])
    for _ in range(n_iter):
        post = like * prior[None, :]
        post /= post.sum(axis=1, keepdims=True)
        prior = (post.sum(axis=0) + pseudo) / (len(ll) + pseudo.sum())
    return prior


def pace_loglik(r, learner, n_learners: int, log_density) -> np.ndarray:
    """The scale-family log-likelihood of every learner's relative shares at every pace of
    :data:`PACE_GRID` (learners x grid): ``sum(log f(s * r)) + n * log(s)``, ``f`` the density
    ``log_density`` (a table of :func:`pace_model`). The one likelihood of the batch fit
    (:func:`learner_pace`) and of a live learner (:func:`pace_of`).

    Parameters
    ----------
    r : ndarray of float
        Relative shares (watched share over the video's usual finishing share), all in ``[0, 3)``.
    learner : ndarray of int
        Per share, the learner's index in ``range(n_learners)``.
    log_density : ndarray of float
        The log density per bin of width 0.025 on ``[0, 3)``, then one entry for 3 and above.
    """
    n_bins = int(round(_TOP / _WIDTH))
    scaled = r[:, None] * PACE_GRID[None, :]
    # a scaled share of _TOP and above falls in the table's last entry
    cell = np.where(scaled < _TOP, np.minimum((scaled / _WIDTH).astype(np.int64), n_bins - 1), n_bins)
    ll = np.zeros((n_learners, len(PACE_GRID)))
    np.add.at(ll, learner, log_density[cell])
    ll += np.bincount(learner, minlength=n_learners).astype(float)[:, None] * np.log(PACE_GRID)[None, :]
    return ll


def _posterior_pace(ll: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Per learner, the pace of highest posterior given the likelihoods ``ll`` and the ``prior``."""
    return PACE_GRID[(ll + np.log(prior)[None, :]).argmax(axis=1)]


def _usable(r) -> np.ndarray:
    """The relative shares a pace is read from: not NaN, in ``[0, 3)``."""
    return ~np.isnan(r) & (r >= 0) & (r < _TOP)


def pace_model(r, learner, n_learners: int, *, rounds: int = 2, min_learners: int = 50):
    """Per learner, the watching pace, and what a live learner is paced against: ``(pace, log_density,
    prior)``, the density table and the share of learners at each pace of the last round (both None when
    the log is read at 1x: fewer than ``min_learners`` learners with visits). Parameters as
    :func:`learner_pace`.

    >>> rng = np.random.default_rng(0)
    >>> learners = np.repeat(np.arange(60), 30)
    >>> r = np.where(rng.random(1800) < 0.5, 1.0, 0.3) * rng.uniform(0.9, 1.05, 1800)
    >>> pace, log_density, prior = pace_model(r, learners, 60)     # nobody is fast: nearly all the prior at 1x
    >>> log_density.shape, prior.shape == PACE_GRID.shape, round(float(prior[0]), 2)
    ((121,), True, 0.99)
    """
    r = np.asarray(r, dtype=float)
    learner = np.asarray(learner, dtype=np.int64)
    if r.shape != learner.shape:
        raise ParameterError(f"learner_pace: r and learner differ in length ({len(r)} and {len(learner)})")
    if int(min_learners) != min_learners or min_learners < 0:
        raise ParameterError(f"learner_pace min_learners must be an integer >= 0, got {min_learners!r}")
    if int(rounds) != rounds or rounds < 1:
        raise ParameterError(f"learner_pace rounds must be an integer >= 1, got {rounds!r}")
    ok = _usable(r)
    r, learner = r[ok], learner[ok]
    pace = np.ones(n_learners)
    n = np.bincount(learner, minlength=n_learners)
    if len(r) == 0 or (n > 0).sum() < min_learners:
        return pace, None, None
    for _ in range(int(rounds)):
        log_density = _log_density(r * pace[learner])
        ll = pace_loglik(r, learner, n_learners, log_density)
        prior = _pace_prior(ll)
        pace = _posterior_pace(ll, prior)
    return pace, log_density, prior


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
    return pace_model(r, learner, n_learners, rounds=rounds, min_learners=min_learners)[0]


def pace_of(r, log_density, prior, learner=None, n_learners: int = 1) -> np.ndarray:
    """The pace of live learners, from their relative shares so far, against the density and the prior
    a fit learned (:func:`pace_model`): the same likelihood and posterior as the fit's last round, the
    density and prior held fixed. With few shares the prior decides: on a log where nearly every learner
    watches at 1x, a learner with one or two visits stays at 1x.

    Parameters
    ----------
    r : ndarray of float
        Relative shares (NaN, negative values and values of 3 and more are left out).
    log_density, prior : ndarray of float
        From :func:`pace_model`.
    learner : ndarray of int, optional
        Per share, the learner's index in ``range(n_learners)``; default: one learner.

    Returns
    -------
    ndarray of float
        The pace of each learner (the prior's most likely pace for a learner without shares).

    >>> rng = np.random.default_rng(0)
    >>> learners = np.repeat(np.arange(60), 30)
    >>> r = np.where(rng.random(1800) < 0.5, 1.0, 0.3) * rng.uniform(0.9, 1.05, 1800)
    >>> r[learners < 10] /= 1.6                      # the first ten learners watch at 1.6x
    >>> _, log_density, prior = pace_model(r, learners, 60)
    >>> fast, plain = r[learners == 1], r[learners == 20]
    >>> pace_of(fast, log_density, prior).tolist(), pace_of(plain, log_density, prior).tolist()
    ([1.6], [1.0])
    >>> # one shared likelihood: the paces of all the log's learners are those of the fit
    >>> bool(np.all(pace_of(r, log_density, prior, learners, 60) == learner_pace(r, learners, 60)))
    True
    """
    r = np.asarray(r, dtype=float)
    learner = np.zeros(len(r), dtype=np.int64) if learner is None else np.asarray(learner, dtype=np.int64)
    log_density = np.asarray(log_density, dtype=float)
    prior = np.asarray(prior, dtype=float)
    if r.shape != learner.shape:
        raise ParameterError(f"pace_of: r and learner differ in length ({len(r)} and {len(learner)})")
    if log_density.shape != (PACE_DENSITY_SIZE,) or prior.shape != PACE_GRID.shape:
        raise ParameterError(f"pace_of: a density of {PACE_DENSITY_SIZE} entries and a prior of {len(PACE_GRID)} "
                             f"paces are needed, got {log_density.shape} and {prior.shape}")
    ok = _usable(r)
    return _posterior_pace(pace_loglik(r[ok], learner[ok], int(n_learners), log_density), prior)
