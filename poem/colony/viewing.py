"""Evidence from watching: turn video visits into the success / failure scores the colony deposits on.

The seed's course is 180 videos and no quiz: the colony only learns from what learners *do* with the
videos. A video platform logs one visit per (learner, video, viewing session) with the seconds watched
(the Open edX importer's ``video_sessions=True`` collapse gives exactly that in ``duration``), and the
catalogue gives each video's ``length`` in seconds. This module reads the visits as evidence:

**Mapping** (one score per visit, NaN meaning "no evidence", which extends the trail but deposits nothing):

0. *Seconds watched*: what the player says when the events carry it (:attr:`Traces.video
   <poem.traces.Traces.video>`), else the wall-clock ``duration``. ``covered`` (seconds of distinct content
   played: the edX importer measures it from the positions of play, pause, seek, stop and speed events; the
   xAPI video profile gives ``played-segments``, or ``progress`` times ``length``) is preferred: a video
   left playing in a background tab or paused for an hour no longer looks watched, and a skip ahead to the
   end no longer looks complete. Consecutive events of one learner on one video with nothing else between
   and less than ``session_gap`` seconds apart (default 1800, the edX collapse's gap) that carry such
   fields are *one visit* (xAPI statements ``played``, ``paused``, ``seeked``, ``completed`` of one
   session; Caliper media events, whose session's ``covered`` sits on its last event): the last event of
   the run holds the visit, with the largest share of the run (the profile's progress is cumulative) and
   the sum of its backward seeks; the others are labelled ``folded`` and give no evidence. Open edX visits
   collapsed with the same ``session_gap`` are never folded again (pass the importer's gap here when it
   was changed).
1. *Watched share* ``share = seconds watched / length`` (:func:`watched_share`). The length comes from the
   catalogue's ``length`` column (or ``traces.item_info``); else from the events themselves (the median of
   the ``length`` they carry: Open edX ``duration``, the xAPI ``length`` extension, Caliper's
   ``mediaObject.duration``); else the 90th percentile of the video's seconds watched per visit (most
   visits that finish a video last about its length). A visit without seconds watched gives no evidence.
1b. *Watching pace*, learned per learner (``pace="learned"``, the default; ``"off"`` reads every share as
   it is): a player that logs wall-clock seconds logs a view to the end at 1.5x as two thirds of the
   length, which reads as an abandoned visit. :func:`poem.colony.pace.learner_pace` fits each learner's
   pace (1x to 2.5x) as the scale that best maps their shares, relative to each video's usual finishing
   share, onto the log's distribution of them, with the share of learners at each pace learned from the
   same log (on a log where nobody watches fast nearly every learner stays at 1x; with fewer than
   ``min_learn`` learners everyone does); the learner's shares are multiplied by it before everything
   below. ``covered`` (content seconds) does not depend on the playback speed: where the events carry
   it, a fast learner's shares are already those of a 1x viewer.
2. *Background tab*: ``share > background_share`` (default 3: the video "played" three times its length
   while nobody watched) gives no evidence.
3. *Completion threshold per video*, learned from the data (:func:`completion_thresholds`): the shares of
   one video are bimodal (abandoned early / watched to about the end) and where the two modes part
   depends on the video (people stop before the credits of a 25-minute lecture, not of a 3-minute one).
   The threshold is Otsu's split of the video's shares (capped at 1.2), shrunk toward the split of all the
   videos with ``prior_views`` pseudo-visits, and kept within ``[min_threshold, max_threshold]``.
   ``threshold=<number>`` fixes it for every video instead. A video whose views all stop at about the
   same share has one mode and nothing to split: its threshold is then about the course's, so if everyone
   stops well before it (a long outro the catalogue's length counts) every view reads as abandoned; give
   that video's watchable length in the catalogue.
4. Per learner and video, in time order, until the video is *understood*:

   * a visit below the threshold is **abandoned**: score 0 (a failure; re-watches before the first
     complete view are therefore failures too);
   * a visit at or above the threshold is a **complete view**. It *did not land* (score 0) when the
     learner comes back to the same video before having completed ``return_window`` other videos for
     the first time (they left it for something else, usually an earlier video, and came straight back);
     otherwise it **landed**: score 1, or ``struggle_score`` (default 0.75, still a success) when the
     learner sought back inside the video to re-watch parts: at least ``struggle_seeks`` backward seeks
     in the visit (default 1; 0 turns this off; counted by the events, see
     :data:`poem.importers.edx.SEEK_BACK_TOLERANCE_S`), or, from wall-clock durations that cannot see
     seeks, a share above ``overwatch_share`` (default 1.3).
5. After the landed view every visit of that video is a **review**: no evidence (a review after
   understanding is never a failure).

**Which complete view landed, learned from the log** (``landing="learned"``, the default; step 4 above is
``landing="rule"``). Step 4's rule calls a complete view landed unless the learner comes back before
completing ``return_window`` other videos; a learner who comes back later, or comes back to a video they
had watched through seeking back, is not asked what the log says of such returns. The learned mapping
reads two things of every complete view: its **share bin**, the watched share over the video's usual
finishing share (the median share of its complete views, shrunk toward all videos' with
``prior_views``), cut at :data:`SHARE_EDGES`, so that seeking back to re-watch passages (a share above
the usual) and skipping ahead (below it) are read relative to that video; and its **return**
(:data:`RETURNS`): the learner never comes back to the video, comes straight back (nothing else in
between), comes back before completing ``return_window`` other videos for the first time, or comes back
after moving on. :func:`landing_model` fits a two-class mixture (landed / did not land) to the first
complete views of all (learner, video) pairs, the class that did not land returning as learners do after
an *abandoned* visit (a visit that did not land, read from the log itself), everything else learned:
nothing says in advance that a quick return is a failure or that a review after moving on is not. A
complete view the learner never comes back to lands, as in the rule; one they come back to lands when
the model gives it a probability of at least 1/2, otherwise it did not (``returned``, score 0). With
fewer than ``min_learn`` (default 50) first complete views or abandoned visits to learn from, or a
model whose landed class returns more often than abandoned visits do, the rule of step 4 is used
(``ViewingEvidence.landing`` is then ``None``).

Why the model does not also judge the views nobody came back to (it could, from their share alone):
on the viewing scenarios of ``benchmarks/bench_viewing.py`` that raised the path's prerequisite respect
as much (20 courses, three path seeds each: 0.822 with the rule, 0.837 both ways) but cost the contrast
graph drawn from the same evidence its precision (the courses of ``bench_viewing_graph.py`` with seeds
0-3, confidence 0.8: mean 0.87 to 0.83, worst course 0.60 to 0.40), whereas judging only the returns
keeps it (0.87, worst 0.64) with more arcs (13.4 to 16.8 per course). Judging the returns alone raises
the respect on 18 of the 20 courses. Figures: ``benchmarks/results/viewing.md``.

Events that are not videos (catalogue ``kind`` other than ``video``; without a ``kind``, any event that
already carries a score; a video event with a score and no duration) keep their own score: a *mixed* course
has videos with viewing evidence and quizzes with scores. A video event *with* seconds watched is a visit and
gives viewing evidence, whatever score it also carries (what the player recorded of the visit is what the
mapping reads). :func:`evidence_weights` measures how well each kind of evidence predicts the learner's later
success and :func:`apply_viewing` shrinks the video scores toward the mastery threshold by that relative
weight (it never flips a success into a failure: the weight only scales the pheromone deposits).

:func:`viewing_summary` gives the per-video table a report shows on a viewing-only course instead of a
success rate: completion and abandonment rates, median share, the learned threshold.

Examples
--------
>>> import pandas as pd
>>> from poem.traces import Traces
>>> frame = pd.DataFrame({
...     "learner": ["a"] * 4, "item": ["v1", "v1", "v2", "v1"],
...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:10", "2024-01-01 10:30",
...                                  "2024-02-01 10:00"], utc=True),
...     "duration": [30.0, 290.0, 600.0, 50.0]})
>>> catalog = pd.DataFrame({"item": ["v1", "v2"], "kind": "video", "length": [300.0, 600.0]})
>>> ev = viewing_evidence(Traces.from_frame(frame), catalog, threshold=0.8, return_window=1)
>>> ev.labels.tolist()
['abandoned', 'complete', 'complete', 'review']
>>> ev.score.tolist()
[0.0, 1.0, 1.0, nan]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numba import njit

from poem.colony.landing import (_ABANDONED, _BACKGROUND, _COMPLETE, _FOLDED, _OTHER, _RETURNED, _REVIEW,
                                 _STRUGGLED, _UNKNOWN, LABELS, RETURNS, SHARE_EDGES, _classify_learned,
                                 _finishing_levels, _visit_features, landing_counts, landing_model)
from poem.colony.evidence_weights import evidence_weight_sums, evidence_weights, weights_from_sums
from poem.errors import ParameterError, TraceFormatError
from poem.traces import Traces

__all__ = ["VIEWING_DEFAULTS", "LABELS", "ViewingEvidence", "watched_seconds", "watched_share", "video_lengths",
           "completion_thresholds", "viewing_evidence", "evidence_weights", "evidence_weight_sums",
           "weights_from_sums", "has_visits", "weighed_scores", "apply_viewing",
           "viewing_summary", "is_viewing_only", "landing_model", "SHARE_EDGES", "RETURNS"]

#: every parameter of the mapping with its default (see the module docstring)
VIEWING_DEFAULTS = dict(threshold="auto", min_threshold=0.3, max_threshold=0.95, prior_views=20.0,
                        background_share=3.0, overwatch_share=1.3, struggle_score=0.75, return_window=2,
                        struggle_seeks=1, session_gap=1800.0, landing="learned", min_learn=50, pace="learned")


@dataclass(frozen=True, eq=False)
class ViewingEvidence:
    """The result of :func:`viewing_evidence`, aligned with the events of the traces.

    Attributes
    ----------
    score : ndarray of float
        The evidence per event: the viewing score for video visits, the event's own score otherwise.
    share : ndarray of float
        Watched share per visit (NaN for non-videos, unknown durations and ``folded`` events, whose share
        is held by the last event of their visit).
    label : ndarray of int8
        Code into :data:`LABELS` per event; :attr:`labels` gives the names.
    is_video : ndarray of bool
        Events read as video visits.
    length, threshold : ndarray of float
        Per item (vocabulary order): the length used (seconds, NaN for non-videos) and the completion
        threshold learned (NaN for non-videos).
    params : dict
        The mapping's parameters.
    landing : dict or None
        The landing model learned from the log (:func:`landing_model`), ``None`` when the rule was used
        (``landing="rule"``, or too little data to learn from).
    pace : ndarray of float or None
        Per learner, the watching pace learned from the log (``pace="learned"``,
        :func:`poem.colony.pace.learner_pace`; ``share`` is then at that pace), else ``None``.
    pace_log_density, pace_prior : ndarray of float or None
        What the pace was read against (:func:`poem.colony.pace.pace_model`: the log density of the
        relative shares and the share of learners at each pace), kept to pace a live learner
        (:class:`~poem.colony.viewing_history.HistoryReader`); ``None`` without a pace or when the log was
        too small to read one.
    landing_counts : dict or None
        This log's own counts of the landing model (:func:`~poem.colony.landing.landing_counts`, whatever
        was pooled with them) under ``landing="learned"``, else ``None``.
    """

    score: np.ndarray
    share: np.ndarray
    label: np.ndarray
    is_video: np.ndarray
    length: np.ndarray
    threshold: np.ndarray
    params: dict
    landing: dict | None = None
    pace: np.ndarray | None = None
    pace_log_density: np.ndarray | None = None
    pace_prior: np.ndarray | None = None
    landing_counts: dict | None = None

    @property
    def labels(self) -> np.ndarray:
        return np.asarray(LABELS, dtype=object)[self.label]

    def counts(self) -> dict:
        """Events per label (only labels that occur)."""
        c = np.bincount(self.label, minlength=len(LABELS))
        return {LABELS[k]: int(v) for k, v in enumerate(c) if v}


def _check_params(params: dict) -> dict:
    unknown = sorted(set(params) - set(VIEWING_DEFAULTS))
    if unknown:
        raise ParameterError(f"unknown viewing parameter(s) {unknown}; valid: {sorted(VIEWING_DEFAULTS)}")
    out = {**VIEWING_DEFAULTS, **params}
    th = out["threshold"]
    if not (th == "auto" or (isinstance(th, (int, float)) and not isinstance(th, bool) and 0 < th <= 1.5)):
        raise ParameterError(f"viewing threshold must be 'auto' or a share in (0, 1.5], got {th!r}")
    if out["pace"] not in ("learned", "off"):
        raise ParameterError(f"viewing pace must be 'learned' or 'off', got {out['pace']!r}")
    if out["landing"] not in ("learned", "rule"):
        raise ParameterError(f"viewing landing must be 'learned' or 'rule', got {out['landing']!r}")
    for name in ("min_threshold", "max_threshold", "prior_views", "background_share", "overwatch_share",
                 "struggle_score", "return_window", "struggle_seeks", "session_gap", "min_learn"):
        v = out[name]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not v >= 0:
            raise ParameterError(f"viewing parameter {name} must be a number >= 0, got {v!r}")
    if not 0 < out["min_threshold"] <= out["max_threshold"]:
        raise ParameterError(f"viewing min_threshold ({out['min_threshold']}) must be > 0 and <= max_threshold "
                             f"({out['max_threshold']})")
    if not 0.5 <= out["struggle_score"] <= 1:
        raise ParameterError(f"viewing struggle_score must lie in [0.5, 1] (a completed view is a success), "
                             f"got {out['struggle_score']!r}")
    for name in ("return_window", "struggle_seeks", "min_learn"):
        if int(out[name]) != out[name]:
            raise ParameterError(f"viewing {name} must be an integer, got {out[name]!r}")
    return out


def _catalog_frame(traces: Traces, catalog) -> pd.DataFrame | None:
    """The catalogue as a frame indexed by item id (text), from ``catalog`` or ``traces.item_info``."""
    if catalog is None:
        return traces.item_info
    if isinstance(catalog, pd.DataFrame) and catalog.index.name == "item" and "item" not in catalog.columns:
        frame = catalog
    else:
        from poem.importers.catalog import read_catalog
        frame = read_catalog(catalog)
    frame = frame.copy()
    frame.index = frame.index.astype(str)
    return frame


def video_lengths(traces: Traces, catalog=None) -> tuple[np.ndarray, np.ndarray]:
    """``(is_video_item, length)`` per item of the vocabulary.

    An item is a video when the catalogue's ``kind`` says ``video`` (case-insensitive); without a ``kind``
    column every item is a candidate and events that carry a score are left alone. ``length`` is the
    catalogue's ``length`` (seconds) when present and positive, else the median of the positive lengths
    the item's events carry (``traces.video["length"]``), else the 90th percentile of the item's seconds
    watched per visit (:func:`watched_seconds`; NaN when there are none, or when that percentile is 0 s:
    visits that played nothing tell no length; any positive value, a fraction of a second included, does).
    """
    n = traces.n_items
    frame = _catalog_frame(traces, catalog)
    ids = traces.items.astype(str)
    video = np.ones(n, dtype=bool)
    length = np.full(n, np.nan)
    if frame is not None:
        if "length" in frame.columns:
            raw = pd.to_numeric(frame["length"], errors="coerce").to_numpy(dtype=float)
            bad = pd.notna(frame["length"]).to_numpy() & ~(raw > 0)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise TraceFormatError(f"catalogue length {frame['length'].iloc[k]} of item {frame.index[k]!r} "
                                       "is not a positive number of seconds; fix it or leave it blank to "
                                       "estimate it from the visits")
        cat = frame.reindex(pd.Index(ids))
        if "kind" in cat.columns and cat["kind"].notna().any():
            video = cat["kind"].astype(str).str.lower().eq("video").to_numpy()
        if "length" in cat.columns:
            raw = pd.to_numeric(cat["length"], errors="coerce").to_numpy(dtype=float)
            length = np.where(raw > 0, raw, np.nan)
    missing = video & np.isnan(length)
    told = traces.video_column("length")
    ok = missing[traces.item] & (told > 0)
    if ok.any():
        med = pd.Series(told[ok]).groupby(traces.item[ok]).median()
        length[med.index.to_numpy()] = med.to_numpy()
        missing = video & np.isnan(length)
    if missing.any():
        dur = watched_seconds(traces)
        ok = ~np.isnan(dur) & missing[traces.item]
        if ok.any():
            est = pd.Series(dur[ok]).groupby(traces.item[ok]).quantile(0.9)
            est = est[est > 0]
            length[est.index.to_numpy()] = est.to_numpy()
    return video, length


def watched_seconds(traces: Traces) -> np.ndarray:
    """Seconds watched per event: ``covered`` (content played, from the events' positions) where the
    events tell it, else the wall-clock ``duration`` (NaN when neither is known).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"learner": ["a", "a"], "item": ["v", "v"], "duration": [600.0, 90.0],
    ...                       "covered": [40.0, np.nan],
    ...                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> watched_seconds(Traces.from_frame(frame)).tolist()     # 600 s open, 40 s of it played
    [40.0, 90.0]
    """
    covered = traces.video_column("covered")
    return np.where(np.isnan(covered), traces.duration, covered)


def watched_share(traces: Traces, catalog=None) -> np.ndarray:
    """Seconds watched (:func:`watched_seconds`) over the video's length, per event (NaN when unknown or
    not a video). Events are not folded into visits here (:func:`viewing_evidence` does that).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"learner": ["a", "a"], "item": ["v", "v"], "duration": [60.0, 240.0],
    ...                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> watched_share(Traces.from_frame(frame), pd.DataFrame({"item": ["v"], "length": [240]})).tolist()
    [0.25, 1.0]
    """
    video, length = video_lengths(traces, catalog)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = watched_seconds(traces) / length[traces.item]
    return np.where(video[traces.item], share, np.nan)


def _fold_visits(traces: Traces, share: np.ndarray, is_video: np.ndarray, gap: float):
    """``(share, seeks, folded)``: runs of events that carry video fields, of one learner on one video
    with nothing between and at most ``gap`` seconds apart, folded onto their last event (largest share,
    backward seeks summed); ``folded`` marks the other events of each run (step 0 of the mapping)."""
    seeks = traces.video_column("seeks_back")
    n = traces.n_events
    if traces.video is None or n == 0:
        return share, np.where(np.isnan(seeks), 0.0, seeks), np.zeros(n, dtype=bool)
    info = is_video & np.any([~np.isnan(v) for v in traces.video.values()], axis=0)
    cont = np.zeros(n, dtype=bool)
    cont[1:] = (info[1:] & info[:-1] & (traces.learner[1:] == traces.learner[:-1])
                & (traces.item[1:] == traces.item[:-1])
                & (np.diff(traces.timestamp) <= np.int64(gap * 1e9)))
    run = np.cumsum(~cont) - 1
    folded = np.append(cont[1:], False)  # a later event of the run follows
    if not folded.any():
        return share, np.where(np.isnan(seeks), 0.0, seeks), folded
    frame = pd.DataFrame({"run": run, "share": share, "seeks": seeks})
    agg = frame.groupby("run").agg(share=("share", "max"), seeks=("seeks", "sum"))
    last = ~folded
    share = np.where(last, agg["share"].to_numpy()[run], np.nan)
    seeks = np.where(last, agg["seeks"].to_numpy()[run], 0.0)
    return share, seeks, folded


def _otsu(values: np.ndarray, bins: int = 60, top: float = 1.2) -> float:
    """Otsu's two-class split of ``values`` clipped to ``[0, top]`` (NaN when fewer than 2 values)."""
    v = np.clip(values[~np.isnan(values)], 0.0, top)
    if len(v) < 2 or v.min() == v.max():
        return float("nan")
    hist, edges = np.histogram(v, bins=bins, range=(0.0, top))
    mids = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)[:-1].astype(float)
    w1 = len(v) - w0
    s0 = np.cumsum(hist * mids)[:-1]
    m0 = np.divide(s0, w0, out=np.zeros_like(s0), where=w0 > 0)
    m1 = np.divide(s0[-1] + hist[-1] * mids[-1] - s0, w1, out=np.zeros_like(s0), where=w1 > 0)
    between = w0 * w1 * (m0 - m1) ** 2
    # every cut inside the empty gap between two modes is as good: take the middle of that plateau
    best = np.flatnonzero(between >= between.max() * (1 - 1e-9))
    return float(edges[1:-1][best].mean())


def completion_thresholds(share: np.ndarray, item: np.ndarray, n_items: int, *, prior_views: float = 20.0,
                          min_threshold: float = 0.3, max_threshold: float = 0.95,
                          background_share: float = 3.0) -> np.ndarray:
    """Per-item completion threshold learned from the watched shares (see the module docstring, step 3).

    When the usable shares of the whole course cannot be split (fewer than two distinct values), every
    video's threshold is 0.8 (four fifths watched is a complete view, the fixed threshold of the examples),
    kept within ``[min_threshold, max_threshold]``.

    >>> rng = np.random.default_rng(0)
    >>> short = np.r_[rng.uniform(0.02, 0.3, 100), rng.uniform(0.93, 1.0, 100)]     # 3-minute video
    >>> long = np.r_[rng.uniform(0.02, 0.3, 100), rng.uniform(0.7, 0.8, 100)]       # 25-minute lecture
    >>> t = completion_thresholds(np.r_[short, long], np.repeat([0, 1], 200), 2)
    >>> t.round(2).tolist()        # each cut in the middle of its video's gap
    [0.6, 0.5]
    """
    ok = ~np.isnan(share) & (share <= background_share)
    s, it = share[ok], item[ok]
    overall = _otsu(s)
    if np.isnan(overall):
        overall = 0.8
    out = np.full(n_items, overall)
    if len(s):
        order = np.argsort(it, kind="stable")
        s, it = s[order], it[order]
        cuts = np.flatnonzero(np.diff(it)) + 1
        for chunk_s, j in zip(np.split(s, cuts), it[np.r_[0, cuts]]):
            own = _otsu(chunk_s)
            if not np.isnan(own):
                k = len(chunk_s)
                out[j] = (k * own + prior_views * overall) / (k + prior_views)
    return np.clip(out, min_threshold, max_threshold)


@njit(cache=True)
def _classify(item, share, seeks, is_video, bounds, thr, n, background, overwatch, struggle, window,
              struggle_seeks):
    """The per-learner pass of the mapping (steps 2, 4 and 5): labels and scores of the video visits."""
    m = item.shape[0]
    label = np.zeros(m, np.int8)
    score = np.full(m, np.nan)
    stamp = np.full(n, -1, np.int64)       # learner index that last touched the item's scratch
    done = np.zeros(n, np.bool_)           # understood (a landed view)
    seen_full = np.zeros(n, np.bool_)      # had a complete view (for the progress count)
    pending = np.full(n, -1, np.int64)     # complete view waiting for its verdict
    progress_at = np.zeros(n, np.int64)    # progress count when the pending view happened
    for l in range(bounds.shape[0] - 1):
        progress = 0  # videos completed for the first time so far in this trail
        for e in range(bounds[l], bounds[l + 1]):
            if not is_video[e]:
                continue
            j = item[e]
            if stamp[j] != l:
                stamp[j] = l
                done[j] = False
                seen_full[j] = False
                pending[j] = -1
            s = share[e]
            if s != s:
                label[e] = _UNKNOWN
                continue
            if s > background:
                label[e] = _BACKGROUND
                continue
            p = pending[j]
            if p >= 0:
                pending[j] = -1
                if progress - progress_at[j] < window:
                    label[p] = _RETURNED  # the complete view did not land
                    score[p] = 0.0
                else:
                    done[j] = True
            if done[j]:
                label[e] = _REVIEW
                continue
            if s < thr[j]:
                label[e] = _ABANDONED
                score[e] = 0.0
                continue
            if s > overwatch or (struggle_seeks > 0 and seeks[e] >= struggle_seeks):
                label[e] = _STRUGGLED
                score[e] = struggle
            else:
                label[e] = _COMPLETE
                score[e] = 1.0
            pending[j] = e
            if not seen_full[j]:
                seen_full[j] = True
                progress += 1
            progress_at[j] = progress
    return label, score


def viewing_evidence(traces: Traces, catalog=None, *, landing_prior: dict | None = None,
                     **params) -> ViewingEvidence:
    """Read the video visits of ``traces`` as evidence (see the module docstring for the mapping).

    Parameters
    ----------
    traces : Traces
        Events with ``duration`` (seconds watched) for the video visits, or the video columns the
        importers fill from the events (``covered``, ``length``, ``seeks_back``: :attr:`Traces.video
        <poem.traces.Traces.video>`), preferred where present.
    catalog : path or DataFrame, optional
        Catalogue with ``item``, ``kind`` (video, quiz, page) and ``length`` (seconds); default
        ``traces.item_info``.
    landing_prior : dict, optional
        Landing counts of earlier logs of the same course (:func:`~poem.colony.landing.landing_counts`),
        pooled with this log's before the landing model is learned (``ManHill.partial_fit``).
    **params
        Any of :data:`VIEWING_DEFAULTS`.

    Raises
    ------
    TraceFormatError
        When no event is a video visit with a known duration and length (nothing to read).
    """
    if not isinstance(traces, Traces):
        raise TraceFormatError(f"viewing evidence needs a poem.traces.Traces, got {type(traces).__name__}")
    p = _check_params(params)
    video_item, length, is_video, share = _visit_shares(traces, catalog)
    if not np.any(~np.isnan(share)):
        raise TraceFormatError(
            "no video visit with a known duration and length: viewing evidence needs a duration per visit "
            "(e.g. read edX logs with video_sessions=True) and a catalogue with kind=video and length in "
            "seconds")
    share, seeks, folded = _fold_visits(traces, share, is_video, float(p["session_gap"]))
    n = traces.n_items
    pace, log_density, prior = _learned_pace(traces, share, p) if p["pace"] == "learned" else (None, None, None)
    if pace is not None:
        share = share * pace[traces.learner]
    if p["threshold"] == "auto":
        thr = completion_thresholds(share, traces.item, n, prior_views=float(p["prior_views"]),
                                    min_threshold=float(p["min_threshold"]),
                                    max_threshold=float(p["max_threshold"]),
                                    background_share=float(p["background_share"]))
    else:
        thr = np.full(n, float(p["threshold"]))
    bounds = traces.trail_bounds()
    label, vscore = _classify(traces.item, share, seeks, is_video, bounds, thr, n,
                              float(p["background_share"]), float(p["overwatch_share"]),
                              float(p["struggle_score"]), int(p["return_window"]), int(p["struggle_seeks"]))
    model = counts = None
    if p["landing"] == "learned":
        info = is_video & ~np.isnan(share) & (share <= float(p["background_share"]))
        level = _finishing_levels(share, traces.item, thr, n, float(p["prior_views"]),
                                  float(p["background_share"]))
        sbin, ret, first, anchor = _visit_features(traces.item, np.nan_to_num(share), info, thr, level,
                                                   np.asarray(SHARE_EDGES), bounds, n, int(p["return_window"]))
        counts = landing_counts(sbin, ret, first, anchor)
        model = landing_model(sbin, ret, first, anchor, min_learn=int(p["min_learn"]), prior=landing_prior)
        if model is not None:
            # the rule's pass labels the visits without evidence (unknown, background); the rest is relabelled
            lab2, vscore2 = _classify_learned(traces.item, share, seeks, info, sbin, ret, model["posterior"],
                                              bounds, n, float(p["overwatch_share"]), float(p["struggle_score"]),
                                              int(p["struggle_seeks"]))
            label = np.where(info, lab2, label).astype(np.int8)
            vscore = np.where(info, vscore2, vscore)
            model = {**model, "share_bin": sbin, "returns": ret}
    label[folded] = _FOLDED
    # a video event without a watched share that carries its own score (a graded video) keeps it
    own = is_video & np.isnan(share) & ~folded & ~np.isnan(traces.score)
    label[own] = _OTHER
    is_video = is_video & ~own
    score = np.where(is_video, vscore, traces.score)
    return ViewingEvidence(score=score, share=share, label=label, is_video=is_video,
                           length=np.where(video_item, length, np.nan),
                           threshold=np.where(video_item, thr, np.nan), params=p, landing=model, pace=pace,
                           pace_log_density=log_density, pace_prior=prior, landing_counts=counts)


def _visit_shares(traces: Traces, catalog) -> tuple:
    """``(is_video_item, length, is_video_event, share)``: the events read as visits and their watched
    shares (step 1 of the mapping, before visits are folded); no share at all: nothing to read."""
    video_item, length = video_lengths(traces, catalog)
    is_video = video_item[traces.item]
    frame = _catalog_frame(traces, catalog)
    if frame is None or "kind" not in frame.columns or frame["kind"].isna().all():
        is_video &= np.isnan(traces.score)  # no kinds: a scored event is a quiz, whatever its duration
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(is_video, watched_seconds(traces) / length[traces.item], np.nan)
    return video_item, length, is_video, share


def has_visits(traces: Traces, catalog=None) -> bool:
    """Whether :func:`viewing_evidence` finds a video visit to read in ``traces`` (else it raises): a part
    of a log (a partition of learners who only took quizzes) may have none while the whole log has some."""
    return bool(np.any(~np.isnan(_visit_shares(traces, catalog)[3])))


def _learned_pace(traces: Traces, share: np.ndarray, p: dict) -> tuple:
    """Per learner, the watching pace (step 1b of the mapping): the shares relative to each video's usual
    finishing share (thresholds and levels of the unpaced shares), scaled per learner by
    :func:`poem.colony.pace.pace_model`; with its density table and pace prior (None when the log is
    read at 1x), which the history reader keeps to pace a live learner."""
    from poem.colony.pace import pace_model

    n, bg, prior = traces.n_items, float(p["background_share"]), float(p["prior_views"])
    thr = completion_thresholds(share, traces.item, n, prior_views=prior, min_threshold=float(p["min_threshold"]),
                                max_threshold=float(p["max_threshold"]), background_share=bg)
    level = _finishing_levels(share, traces.item, thr, n, prior, bg)
    ok = ~np.isnan(share) & (share <= bg)
    return pace_model(share[ok] / level[traces.item[ok]], traces.learner[ok], traces.n_learners,
                      min_learners=int(p["min_learn"]))


def weighed_scores(score: np.ndarray, is_video: np.ndarray, weights: dict, mastery: float) -> np.ndarray:
    """The evidence scores with each kind's (``"video"``, ``"quiz"``) shrunk toward ``mastery`` by its weight
    (a missing kind weighs 1): a success stays a success and a failure a failure, only the deposit scales."""
    score = np.array(score, dtype=float)
    for kind, chosen in (("video", is_video), ("quiz", ~is_video)):
        w = weights.get(kind, 1.0)
        if w < 1.0:
            sel = chosen & ~np.isnan(score)
            score[sel] = mastery + w * (score[sel] - mastery)
    return score


def apply_viewing(traces: Traces, catalog=None, *, mastery: float = 0.5, weigh: bool = True, weights=None,
                  **params):
    """``(traces with the viewing evidence as scores and the catalogue as item_info, evidence, weights)``;
    what ``ManHill.fit(catalog=)`` uses. Video scores are shrunk toward ``mastery`` by their kind's relative
    weight (mixed courses only; successes stay successes and failures failures).

    ``weights`` (a dict ``{"video": w, "quiz": w}``, a missing kind weighing 1) are applied instead of
    measuring them on ``traces``: ``ManHill.partial_fit`` passes the colony's, so a new cohort's deposits
    are on the scale of the earlier ones."""
    evidence = viewing_evidence(traces, catalog, **params)
    if weights is not None:
        bad = {k: v for k, v in dict(weights).items() if not (isinstance(v, (int, float)) and 0 < v <= 1)}
        if bad:
            raise ParameterError(f"apply_viewing: evidence weights must lie in (0, 1], got {bad}")
        weights = {k: float(v) for k, v in dict(weights).items()}
    else:
        weights = evidence_weights(traces, evidence) if weigh else {}
    score = weighed_scores(evidence.score, evidence.is_video, weights, mastery)
    frame = _catalog_frame(traces, catalog)
    return replace(traces, score=score, item_info=frame if frame is not None else traces.item_info), evidence, weights


def is_viewing_only(traces: Traces) -> bool:
    """True when no event carries a score and some carry seconds watched (a duration, or ``covered`` from
    the video events): a course the colony can only read through :func:`viewing_evidence`."""
    return bool(np.isnan(traces.score).all() and (~np.isnan(watched_seconds(traces))).any())


def viewing_summary(traces: Traces, catalog=None, **params) -> pd.DataFrame:
    """Per video: what a report shows on a viewing-only course instead of a success rate.

    Columns: ``learners`` (distinct viewers), ``visits``, ``length`` (seconds), ``threshold`` (learned
    completion share), ``median_share``, ``completion`` (share of viewers with a landed view: understood
    by the mapping), ``abandonment`` (share of viewers whose every informative visit was abandoned),
    ``returned`` (share of viewers with a complete view that did not land), ``reviews`` (review visits).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"learner": ["a", "b", "b"], "item": ["v"] * 3, "duration": [30.0, 10.0, 100.0],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"], utc=True)})
    >>> cat = pd.DataFrame({"item": ["v"], "kind": ["video"], "length": [100]})
    >>> viewing_summary(Traces.from_frame(frame), cat, threshold=0.8)[["completion", "abandonment"]].values.tolist()
    [[0.5, 0.5]]
    """
    ev = viewing_evidence(traces, catalog, **params)
    n = traces.n_items
    vid = ev.is_video & (ev.label != _FOLDED)  # a visit told by several statements counts once
    key = traces.learner.astype(np.int64) * n + traces.item

    def learners_with(mask):
        return np.bincount(np.unique(key[mask]) % n, minlength=n)

    viewers = learners_with(vid)
    landed = learners_with(vid & np.isin(ev.label, (_COMPLETE, _STRUGGLED)) & (ev.score >= 0.5))
    returned = learners_with(vid & (ev.label == _RETURNED))
    # viewers whose every informative visit was abandoned: abandoned some, completed none
    abandoned = np.unique(key[vid & (ev.label == _ABANDONED)])
    other = np.unique(key[vid & np.isin(ev.label, (_RETURNED, _COMPLETE, _STRUGGLED))])
    only_abandoned = np.bincount(np.setdiff1d(abandoned, other) % n, minlength=n)
    visits = np.bincount(traces.item[vid], minlength=n)
    reviews = np.bincount(traces.item[vid & (ev.label == _REVIEW)], minlength=n)
    share_ok = vid & ~np.isnan(ev.share)
    median = pd.Series(ev.share[share_ok]).groupby(traces.item[share_ok]).median().reindex(range(n)).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pd.DataFrame({
            "learners": viewers, "visits": visits, "length": ev.length, "threshold": ev.threshold,
            "median_share": median,
            "completion": np.where(viewers > 0, landed / np.maximum(viewers, 1), np.nan),
            "abandonment": np.where(viewers > 0, only_abandoned / np.maximum(viewers, 1), np.nan),
            "returned": np.where(viewers > 0, returned / np.maximum(viewers, 1), np.nan),
            "reviews": reviews,
        }, index=pd.Index(traces.items.astype(str), name="item"))
    video_item = ~np.isnan(ev.threshold)
    return frame[video_item]

