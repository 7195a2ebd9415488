"""Reading one learner's *own* viewing history for ``suggest``, and when to make no suggestion at all.

:mod:`poem.colony.viewing` reads a whole log, with hindsight: a complete view the learner later comes
back to may be judged by what they did next. A suggestion is made *now*, from the learner's history so
far, and what it believes matters more than for the colony's sums: a video read as understood is tabu
and unlocks the videos that follow it. A view watched through without understanding looks complete, so
every reading that trusts complete views sends learners to videos whose prerequisites they lack.
Measured in closed loop (``benchmarks/bench_viewing.py``, ``viewing_closed_loop``), the colony fitted on
viewing alone then guided learners *worse* than no guidance, while the same colony handed each learner's
hidden true history guided them better than the quiz colony: the colony's memory was sound, the reading
of the individual was not.

Two things here, both learned from the log the colony is fitted on:

**What a complete view is worth, per watched-share bin** (:func:`complete_view_worth`). Each first
complete view of a (learner, video) pair falls in a share bin (the watched share over the video's usual
finishing share, cut at :data:`~poem.colony.landing.SHARE_EDGES`: seeking back to re-watch passages puts
a view above the usual). Its *later success* is the mean evidence score of the learner's next
``horizon`` evidence events on other videos (the check of :func:`poem.colony.viewing.evidence_weights`):
a view that landed is followed by what it unlocks, one that did not by what an abandoned view is
followed by. A bin whose later success lies closer to the abandoned views' than to the complete views'
*and* significantly below the complete views' (``z_min`` standard errors, :data:`WORTH_Z`) is *doubtful*:
a complete view there is read as not (yet) understood. Nothing says in advance which bins those are; on
the closed-loop courses of ``bench_viewing.py`` none to three bins of views sought back (1.1 times the
usual share and above), on the unguided logs of its path scenarios none to two (mostly 1.25 to 1.5
times the usual). ``z_min`` is 2.5 rather than 2 because seven bins are tested at once (one-sided 5 %
over seven): at 2, an ordinary bin (0.9 to 0.97 of the usual share) of one unguided log came out
doubtful.

**A reading of the live history** (:class:`HistoryReader`): per visit, no evidence (NaN) for a background
tab and after the video was understood (reviews); 0 below the video's completion threshold (abandoned);
1 at a complete view in a credible bin (understood: tabu from now on, counts as mastered); 0 at a
complete view in a doubtful bin (the video stays open: the colony may ask for it again or for what it
depends on).

**At the learner's own watching pace** (:meth:`HistoryReader.pace`). A player that logs wall-clock
seconds logs a view to the end at 2x as half the length, which the thresholds read as an abandon. The
fit reads every learner of the log at the pace learned from their visits as a whole
(:mod:`poem.colony.pace`); the reader keeps what those paces were read against (the log density of the
relative shares, the share of learners at each pace: :func:`poem.colony.pace.pace_model`) and paces the
live learner with the same likelihood (:func:`poem.colony.pace.pace_of`): the pace of highest posterior
of their relative shares so far (watched share over the video's usual finishing share :attr:`level`,
background tabs left out), every share then multiplied by it before the reading above. The pace is
re-estimated from the *whole* history at every call: the history is what the learner has watched so far,
and a pace read from more visits reads the first ones better too (a fast learner's first views, read as
abandons while one or two visits said nothing of a pace, are read again as complete). With few visits
the prior decides: on a log where nobody watches fast (nearly all of it at 1x) a learner with one or two
visits stays at 1x (simulated logs, 500 learners fitted, 500 read live: 0 to 0.6 % of the learners get
a pace from their first 1 to 15 visits); on a log where 30 % watch fast, 5 % of the 1x learners get one
from their first visit, about 1 % from the sixth, while 36 % of the fast learners are paced from the
first visit and 89 % by the fifth (``benchmarks/results/viewing_pace_loop.md``, last table, measured
with the pace prior before its one pseudo-learner; at 500 learners the new prior moves the 1x learners'
shares by under half a point, the fast learners' by under one). On a young course the same holds since
the prior has one pseudo-learner in all (``benchmarks/results/pace_size.md``, colonies fitted on 50 to
1 500 learners): where nobody watches
fast, 0 to 0.2 % of the 1x learners are paced from their first five visits on 60 learners and more
(0.7 % on 50; 1.4 to 2.4 % on 50 to 100 learners with the prior before), where 30 % do 1.5 to 2.9 %
(1.6 to 1.8 % on 500 to 1 500), with 73 to 85 % of the fast learners paced within 0.15x. A reader
without the pace arrays (a fit with ``pace="off"``, a log of fewer than ``min_learn`` learners, a colony
file written before) reads at 1x. In closed loop with 30 % fast watchers the paced reading is far closer
to the hidden state for them (their landings read 0.97 instead of 0.34), but promotion is not
measurably changed either way (same file).

The reader a fit learns is kept with the colony (``ManHill.history_reader_``, saved in its file by
:mod:`poem.colony.persistence`), so ``poem suggest MODEL --watched ...`` reads a learner's seconds watched
exactly as the closed-loop policy does (:class:`poem.simulation.viewing.ViewingColonyPolicy`).
:meth:`HistoryReader.explain_history` says per visit which of the cases above it fell in.

**Deferring to the learner** (:attr:`HistoryReader.floor`). Learners choosing on their own know what
they are ready for, which the colony only reads through seconds watched. A suggestion whose predicted
success (``Suggestion.predicted_success``) is below the log's own success rate of the evidence (what an
average visit gives) is not made: the learner chooses. In closed loop this is what took the viewing
colony from below no guidance to above it (figures in ``benchmarks/results/viewing.md``).

**Earning the right to suggest** (:meth:`HistoryReader.withholds`). Nor is a step suggested that fewer
than :data:`SUPPORT_MIN` learners of the log took (the arc from the learner's current item to the
candidate, ``Suggestion.support``): a colony fitted on one unguided cohort knows little, and with the
floor alone its first guided cohort did worse than no guidance on 9 of 9 held-out closed-loop seeds; with
the support rule it is level with it (within 0.002) or above (``benchmarks/bench_viewing_defer.py``, where the rules
tried instead are measured: a Beta posterior on the candidate's evidence, an evidence count, the log's
success at the learner's progress). The support counts learners, whatever they did there: on a course
with few learners per video most steps are not suggested, which is what the evidence allows. Run
unchanged on the closed-loop family (the Junyi and wide graphs, chains, a course with no structure, four
learner models, a fast/slow mix), the first guided cohort is at or above no guidance on 12 of 14
scenarios; on a chain that learners browse along a nearly right syllabus it stays slightly below
(-0.008 and -0.005: deferring there leaves learners a syllabus that already works), and with fast and
slow learners mixed it gives up part of the guidance's gain (+0.060 against +0.077 over the guided
cohorts).

Examples
--------
>>> reader = HistoryReader(threshold=np.array([0.8, 0.8]), level=np.array([0.95, 0.95]),
...                        credible=np.array([True, True, True, True, False, False, True]), floor=0.5)
>>> reader.read_history([0, 0, 1, 0], [0.3, 0.93, 1.2, 0.2])    # abandoned, landed, sought back, review
[0.0, 1.0, 0.0, nan]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poem.colony.landing import SHARE_EDGES, _finishing_levels
from poem.errors import ParameterError

__all__ = ["complete_view_worth", "evidence_floor", "HistoryReader", "HORIZON", "WORTH_Z", "READINGS", "SUPPORT_MIN"]

#: evidence events after a view whose mean score is that view's later success
HORIZON = 5
#: standard errors below the complete views' later success before a share bin is doubtful
WORTH_Z = 2.5
#: learners who travelled the arc from the learner's current item to a candidate before the colony suggests it
#: on a viewing course (:meth:`HistoryReader.withholds`); chosen on closed-loop seeds 500-502 and checked on
#: 503-511, then run unchanged on the closed-loop family's other graphs and learner models (12 seeds each):
#: first guided cohort at or above no guidance on 12 of 14, slightly below on a chain browsed along a
#: nearly right syllabus; no other minimum holds on more (``benchmarks/results/viewing_defer.md``)
SUPPORT_MIN = 3
#: what :meth:`HistoryReader.explain_history` says of a visit, with the score it gives (NaN: no evidence)
READINGS = {"understood": 1.0, "abandoned": 0.0, "doubtful": 0.0, "review": float("nan"),
            "background": float("nan"), "unwatched": float("nan")}


def evidence_floor(item_attempts, item_successes) -> float:
    """The colony's success rate of the evidence (all successes over all attempts, 0 without any): what an
    average visit of the log gives, below which :meth:`HistoryReader.withholds` defers to the learner."""
    attempts = float(np.sum(item_attempts))
    return float(np.sum(item_successes)) / attempts if attempts > 0 else 0.0


def _share_bins(share: np.ndarray, item: np.ndarray, threshold: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Share bin per visit (:data:`SHARE_EDGES` over the video's usual finishing share), -1 below the
    threshold or without a share."""
    with np.errstate(invalid="ignore"):
        ratio = share / level[item]
        b = np.searchsorted(np.asarray(SHARE_EDGES), ratio, side="right")
        return np.where(share >= threshold[item], b, -1)


def complete_view_worth(item, learner, share, score, threshold, *, n_items: int, horizon: int = HORIZON,
                        z_min: float = WORTH_Z, prior_views: float = 20.0, background_share: float = 3.0) -> dict:
    """What a first complete view is worth per share bin, from the later success it is followed by (see
    the module docstring).

    Parameters
    ----------
    item, learner : ndarray of int
        Per event, in trail order (each learner's events together, oldest first).
    share : ndarray of float
        Watched share per event (NaN for non-videos and events without one).
    score : ndarray of float
        The evidence score per event (NaN: no evidence), as the colony was fitted on.
    threshold : ndarray of float
        Per item, the completion threshold.
    z_min : float
        How many standard errors (of a bin's mean later success) below the complete views' a bin must lie.
    prior_views : float
        Pseudo-views pulling a video's usual finishing share toward all videos' (as the viewing mapping).

    Returns
    -------
    dict with ``level`` (per item usual finishing share), ``later_abandoned`` and ``later_complete`` (mean
    later success after abandoned visits and after every first complete view), ``later_bin`` and
    ``views_bin`` (per share bin, NaN / 0 where no view), ``z`` (per bin, how many standard errors its
    later success lies below the complete views'), ``credible`` (per bin: not doubtful; every bin when
    the log has no contrast to read).

    Examples
    --------
    >>> # learners 0, 1: an ordinary complete view of video 0, then understood videos; learner 2: an abandoned
    >>> # view of 0, then failures; learner 3: a view of 0 sought back (1.3 x the usual: bin 5), then failures
    >>> item = np.tile([0, 1, 2], 4); learner = np.repeat(np.arange(4), 3)
    >>> share = np.array([1.0, 1, 1, 1, 1, 1, 0.2, 0.1, 0.1, 1.3, 0.1, 0.1])
    >>> w = complete_view_worth(item, learner, share, (share >= 0.8).astype(float), np.full(3, 0.8), n_items=3,
    ...                         z_min=1.0)
    >>> w["later_bin"][[2, 5]].tolist(), w["credible"][[2, 5]].tolist()
    ([1.0, 0.0], [True, False])
    """
    item = np.asarray(item, dtype=np.int64)
    learner = np.asarray(learner, dtype=np.int64)
    share = np.asarray(share, dtype=float)
    score = np.asarray(score, dtype=float)
    threshold = np.asarray(threshold, dtype=float)
    if not (len(item) == len(learner) == len(share) == len(score)):
        raise ParameterError("complete_view_worth: item, learner, share and score must have one value per event")
    if int(horizon) != horizon or horizon < 1:
        raise ParameterError(f"complete_view_worth: horizon must be an integer >= 1, got {horizon!r}")
    if not prior_views >= 0:
        raise ParameterError(f"complete_view_worth: prior_views must be >= 0, got {prior_views!r}")
    if not z_min >= 0:
        raise ParameterError(f"complete_view_worth: z_min must be >= 0, got {z_min!r}")
    n_bins = len(SHARE_EDGES) + 1
    thr = np.nan_to_num(threshold, nan=np.inf)
    ok = ~np.isnan(share) & (share <= background_share)
    level = _finishing_levels(np.where(ok, share, np.nan), item, thr, n_items, float(prior_views),
                              float(background_share))
    sbin = np.where(ok, _share_bins(np.where(ok, share, np.nan), item, thr, level), -1)
    # the first complete view of each (learner, video) pair
    key = learner * n_items + item
    complete = sbin >= 0
    first = np.zeros(len(item), dtype=bool)
    if complete.any():
        idx = np.flatnonzero(complete)
        _, at = np.unique(key[idx], return_index=True)
        first[idx[at]] = True
    # later success: mean score of the learner's next `horizon` evidence events on other items
    has = ~np.isnan(score)
    ev = np.flatnonzero(has)
    total = np.zeros(len(ev))
    count = np.zeros(len(ev))
    for k in range(1, int(horizon) + 1):
        nxt = np.arange(len(ev)) + k
        good = nxt < len(ev)
        nxt = np.where(good, nxt, 0)
        good &= (learner[ev][nxt] == learner[ev]) & (item[ev][nxt] != item[ev])
        total += np.where(good, score[ev][nxt], 0.0)
        count += good
    later_ev = np.divide(total, count, out=np.full(len(ev), np.nan), where=count > 0)
    later = np.full(len(item), np.nan)
    later[ev] = later_ev
    aband = ok & (sbin < 0) & has & ~np.isnan(later)
    views = first & has & ~np.isnan(later)
    later_ab = float(later[aband].mean()) if aband.any() else float("nan")
    later_c = float(later[views].mean()) if views.any() else float("nan")
    later_bin = np.full(n_bins, np.nan)
    views_bin = np.bincount(sbin[views], minlength=n_bins).astype(np.int64)
    sums = np.bincount(sbin[views], weights=later[views], minlength=n_bins)
    np.divide(sums, views_bin, out=later_bin, where=views_bin > 0)
    credible = np.ones(n_bins, dtype=bool)
    z = np.zeros(n_bins)
    if not np.isnan(later_ab) and not np.isnan(later_c) and later_c > later_ab and views.sum() > 1:
        # a bin few views fell in says little either way: its mean must lie z_min standard errors below
        sd = float(later[views].std())
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(views_bin > 0, (later_c - later_bin) * np.sqrt(views_bin) / max(sd, 1e-12), 0.0)
        credible = ~((views_bin > 0) & (later_bin < 0.5 * (later_ab + later_c)) & (z >= z_min))
    return {"level": level, "later_abandoned": later_ab, "later_complete": later_c, "later_bin": later_bin,
            "views_bin": views_bin, "z": z, "credible": credible}


@dataclass(frozen=True, eq=False)
class HistoryReader:
    """Reads one learner's viewing history into the scores ``suggest`` takes (see the module docstring).

    Attributes
    ----------
    threshold, level : ndarray of float
        Per item (the colony's codes): completion threshold and usual finishing share.
    credible : ndarray of bool
        Per share bin: a complete view there is read as understood.
    floor : float
        Predicted success below which no suggestion is made (the log's success rate of the evidence).
    background_share : float
        Shares above it are background tabs (no evidence).
    length : ndarray of float, optional
        Per item, the length in seconds the shares were read against at fit time (NaN: not a video, or
        no length known); what turns a learner's seconds watched into shares (:meth:`shares`).
    video : ndarray of bool, optional
        Per item, read as a video at fit time (other items keep their own scores).
    pace_log_density, pace_prior : ndarray of float, optional
        What the fit read each learner's watching pace against (:func:`poem.colony.pace.pace_model`: the
        log density of the log's relative shares, 121 entries, and the share of learners at each pace of
        :data:`~poem.colony.pace.PACE_GRID`); a live history is then read at the learner's own pace
        (:meth:`pace`). None (a fit with ``pace="off"``, a log too small to read a pace, a file written
        before): every history is read at 1x.
    """

    threshold: np.ndarray
    level: np.ndarray
    credible: np.ndarray
    floor: float
    background_share: float = 3.0
    length: np.ndarray | None = None
    video: np.ndarray | None = None
    pace_log_density: np.ndarray | None = None
    pace_prior: np.ndarray | None = None

    def __post_init__(self):
        if (self.pace_log_density is None) != (self.pace_prior is None):
            raise ParameterError("HistoryReader: pace_log_density and pace_prior go together (both or neither)")

    @classmethod
    def trusting(cls, threshold, background_share: float = 3.0) -> "HistoryReader":
        """The reading before the learned worth: every complete view (at or above ``threshold``, per item)
        is understood, and no suggestion is ever withheld (floor 0)."""
        threshold = np.asarray(threshold, dtype=float)
        return cls(threshold=threshold, level=np.ones(len(threshold)),
                   credible=np.ones(len(SHARE_EDGES) + 1, dtype=bool), floor=0.0,
                   background_share=float(background_share))

    @classmethod
    def from_fit(cls, model, traces, **options) -> "HistoryReader":
        """The reader of a colony fitted on viewing evidence (``ManHill.fit(traces, catalog=...)``), from the
        same traces; ``options`` go to :func:`complete_view_worth`."""
        ev = getattr(model, "viewing_", None)
        if ev is None:
            raise ParameterError("HistoryReader.from_fit: the colony was not fitted on viewing evidence "
                                 "(fit it with catalog=... or viewing=True)")
        return cls.from_evidence(ev, traces, evidence_floor(model.item_attempts_, model.item_successes_),
                                 **options)

    @classmethod
    def from_evidence(cls, ev, traces, floor: float, **options) -> "HistoryReader":
        """The reader learned from the viewing evidence ``ev`` of ``traces`` (a
        :class:`~poem.colony.viewing.ViewingEvidence` of the same events), deferring below ``floor``: what
        :meth:`from_fit` builds, and what a partial fit or a partition of the Dask engine learns from the
        evidence it read; ``options`` go to :func:`complete_view_worth`."""
        if len(ev.score) != traces.n_events:
            raise ParameterError(f"HistoryReader.from_fit: the colony's evidence has {len(ev.score)} events, "
                                 f"the traces {traces.n_events}: pass the traces the colony was fitted on")
        bg = float(ev.params.get("background_share", 3.0))
        worth = complete_view_worth(traces.item, traces.learner, np.where(ev.is_video, ev.share, np.nan),
                                    ev.score, ev.threshold, n_items=traces.n_items, background_share=bg,
                                    prior_views=float(ev.params.get("prior_views", 20.0)), **options)
        return cls(threshold=np.nan_to_num(ev.threshold, nan=0.8), level=worth["level"],
                   credible=worth["credible"], floor=float(floor), background_share=bg,
                   length=np.asarray(ev.length, dtype=float), video=~np.isnan(ev.threshold),
                   pace_log_density=getattr(ev, "pace_log_density", None), pace_prior=getattr(ev, "pace_prior", None))

    def withholds(self, suggestion, min_support: int = SUPPORT_MIN) -> str | None:
        """Why the colony makes no suggestion of ``suggestion`` (a :class:`~poem.colony.suggestion.Suggestion`,
        the best candidate), or None when it is made: ``"floor"`` when its predicted success is below
        :attr:`floor` (what an average visit of the log gives: the learner's own choice is trusted), else
        ``"support"`` when fewer than ``min_support`` learners of the log travelled the arc from the
        learner's current item to it (the colony has not earned the right to suggest that step).

        >>> from poem.colony.suggestion import Suggestion
        >>> r = HistoryReader.trusting([0.8])
        >>> r = HistoryReader(r.threshold, r.level, r.credible, floor=0.5)
        >>> [r.withholds(Suggestion("v", 1.0, n, 0.5, p, "level")) for n, p in ((9, 0.4), (2, 0.7), (3, 0.7))]
        ['floor', 'support', None]
        """
        if int(min_support) != min_support or min_support < 0:
            raise ParameterError(f"withholds: min_support must be an integer >= 0, got {min_support!r}")
        if suggestion.predicted_success < self.floor:
            return "floor"
        if suggestion.support < min_support:
            return "support"
        return None

    def shares(self, items, seconds, length=None) -> np.ndarray:
        """Watched shares of visits: ``seconds`` watched (NaN: unknown) over each item's length, from
        ``length`` (per visit, NaN where unknown) where given, else the length read at fit time.

        Raises :class:`ParameterError` for negative or infinite seconds, and for a visit with seconds
        watched whose length is known nowhere.

        >>> r = HistoryReader.trusting([0.8, 0.8])
        >>> r = HistoryReader(r.threshold, r.level, r.credible, 0.0, length=np.array([300.0, 600.0]))
        >>> r.shares([0, 1, 1], [150, float("nan"), 600], length=[np.nan, np.nan, 1200.0]).tolist()
        [0.5, nan, 0.5]
        """
        items = np.asarray(items, dtype=np.int64)
        seconds = np.asarray(seconds, dtype=float)
        if items.shape != seconds.shape:
            raise ParameterError(f"shares: {len(items)} items but {len(seconds)} durations")
        bad = ~np.isnan(seconds) & ~((seconds >= 0) & np.isfinite(seconds))
        if bad.any():
            raise ParameterError(f"shares: seconds watched must be finite and >= 0, got {seconds[bad][0]!r}")
        known = self.length[items] if self.length is not None else np.full(len(items), np.nan)
        if length is not None:
            given = np.asarray(length, dtype=float)
            known = np.where(np.isnan(given), known, given)
        missing = ~np.isnan(seconds) & ~(known > 0)
        if missing.any():
            raise ParameterError(f"shares: no length known for item code {int(items[missing][0])}")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.isnan(seconds), np.nan, seconds / known)

    def read_visits(self, items, shares, understood) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, landed)`` of visits of distinct learners: ``understood`` says per visit whether the
        learner's history already holds a landed view of that video; ``landed`` marks the visits read as
        understood now."""
        items = np.asarray(items, dtype=np.int64)
        shares = np.asarray(shares, dtype=float)
        understood = np.asarray(understood, dtype=bool)
        sbin = _share_bins(shares, items, self.threshold, self.level)
        with np.errstate(invalid="ignore"):
            none = np.isnan(shares) | (shares > self.background_share) | understood
        landed = ~none & (sbin >= 0) & self.credible[np.maximum(sbin, 0)]
        scores = np.where(none, np.nan, landed.astype(float))
        return scores, landed

    def relative_shares(self, items, shares) -> np.ndarray:
        """Per visit, the watched share over the video's usual finishing share (:attr:`level`), the value a
        pace is read from; NaN without a share or for a background tab (above :attr:`background_share`)."""
        items = np.asarray(items, dtype=np.int64)
        shares = np.asarray(shares, dtype=float)
        with np.errstate(invalid="ignore"):
            return np.where(shares <= self.background_share, shares / self.level[items], np.nan)

    def paces(self, items, shares, learner, n_learners: int) -> np.ndarray:
        """The watching pace of ``n_learners`` live learners from their visits so far (``learner`` per
        visit, each learner's visits oldest first): :func:`poem.colony.pace.pace_of` on their relative
        shares, against the density and prior of the fit; 1.0 for everyone without them."""
        if self.pace_prior is None:
            return np.ones(int(n_learners))
        from poem.colony.pace import pace_of

        return pace_of(self.relative_shares(items, shares), self.pace_log_density, self.pace_prior,
                       learner, int(n_learners))

    def pace(self, items, shares) -> float:
        """The watching pace of one learner, from their whole history so far (item codes and watched shares
        as logged): the pace of highest posterior given their relative shares, with the share of the log's
        learners at each pace as the prior, so a learner with one or two visits stays at 1x on a log where
        nearly everyone watches at 1x. 1.0 when the reader has no pace.

        >>> r = HistoryReader.trusting([0.8])
        >>> r.pace([0, 0], [0.5, 0.5])      # no pace learned: 1x
        1.0
        """
        items = np.asarray(items, dtype=np.int64)
        return float(self.paces(items, shares, np.zeros(len(items), dtype=np.int64), 1)[0])

    def read_history(self, items, shares, pace: float | None = None) -> list:
        """The scores of one learner's whole history (item codes and watched shares, oldest first), read
        at ``pace`` (default: :meth:`pace` of that history)."""
        return [score for score, _ in self.explain_history(items, shares, where="read_history", pace=pace)]

    def explain_history(self, items, shares, where: str = "explain_history", pace: float | None = None) -> list:
        """``(score, reading)`` per visit of one learner's history (item codes and watched shares, oldest
        first): the scores of :meth:`read_history` and which case of the reading gave each, a key of
        :data:`READINGS`: ``understood`` (a complete view in a credible bin: 1, the video is mastered from
        now on), ``abandoned`` (below the video's completion threshold: 0), ``doubtful`` (a complete view in
        a doubtful bin: 0, the video stays open), ``review`` (the video was understood earlier: no
        evidence), ``background`` (a background tab: no evidence), ``unwatched`` (no share: no evidence).

        Every share is first multiplied by the learner's ``pace`` (default: :meth:`pace`, estimated from
        the whole history given). The pace is re-estimated at every call from every visit so far: the
        history is what the learner has watched so far, and a pace read from more visits reads the earlier
        ones better too (a fast learner's first views, read as abandons while their pace was unknown, read
        as complete once it is).

        >>> r = HistoryReader.trusting([0.8])
        >>> r.explain_history([0, 0, 0], [0.2, 0.9, 0.1])
        [(0.0, 'abandoned'), (1.0, 'understood'), (nan, 'review')]
        """
        items = [int(i) for i in items]
        shares = np.asarray(shares, dtype=float)
        if len(items) != len(shares):
            raise ParameterError(f"{where}: {len(items)} items but {len(shares)} shares")
        if pace is None:
            pace = self.pace(items, shares)
        elif not (np.isfinite(pace) and pace > 0):
            raise ParameterError(f"{where}: pace must be a positive number, got {pace!r}")
        shares = shares * float(pace)
        done = set()
        out = []
        for j, s in zip(items, shares.tolist()):
            sc, landed = self.read_visits([j], [s], [j in done])
            if landed[0]:
                done.add(j)
                reading = "understood"
            elif s != s:
                reading = "unwatched"
            elif j in done:
                reading = "review"
            elif s > self.background_share:
                reading = "background"
            elif s >= self.threshold[j]:
                reading = "doubtful"
            else:
                reading = "abandoned"
            out.append((float(sc[0]), reading))
        return out
