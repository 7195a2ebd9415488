"""A new cohort added to a colony read from viewing evidence (``ManHill.partial_fit``; issue 16, issue 10).

``ManHill.fit(traces, catalog=...)`` reads the video visits as success and failure evidence
(:func:`poem.colony.viewing.apply_viewing`) before summing the traces into a
:class:`~poem.colony.state.ColonyState`. A later cohort's visits carry no score either; summed raw, they would
deposit nothing at all. So a colony fitted with viewing evidence keeps how it read them
(``viewing_params_``: the mapping's parameters with the defaults filled in; ``evidence_weights_``: the
per-kind weights of a mixed course; both saved in the colony file) and ``partial_fit``:

- **with a catalogue** (or ``viewing=True`` when the traces carry it as ``item_info``) reads the cohort with
  the colony's parameters and weights (:func:`read_cohort`). A ``viewing`` dict may repeat the parameters,
  not change them: a cohort read otherwise would not add up with the earlier ones. Quizzes keep their
  scores, as in ``fit``; the weights are the colony's, so a mixed course's new deposits are on the earlier
  ones' scale. The landing model (``landing="learned"``) is learned on *everything the colony read*: it is
  a mixture over a table of counts (share bin x return of the first complete views, and the returns after
  abandoned visits: :func:`~poem.colony.landing.landing_counts`), which add across logs, so the colony keeps
  them (``landing_counts_``, saved) and pools the cohort's with them. Each video's completion threshold
  under ``threshold="auto"`` (and the usual finishing share the share bins are read against) and each
  learner's pace under ``pace="learned"`` are learned on the cohort alone: the colony keeps sums, not the
  earlier visits. So the sums equal a fit on all the traces where the mapping is per visit and per learner
  (a fixed ``threshold``, ``landing="rule"``, ``pace="off"``, the catalogue's lengths) and otherwise differ
  by what the logs teach; a cohort with fewer than ``min_learn`` learners reads at 1x pace (a refit on all
  the traces reads it best). Measured on the viewing scenarios of ``benchmarks/bench_viewing.py`` in
  ``benchmarks/bench_viewing_partial.py``: cohorts of 1 000 learners read 99.9 % of their events as the
  whole fit does, cohorts of 50 98-99.5 % (79-86 % with the landing learned on each cohort alone), and
  the path of a colony fitted on a third of the learners and grown by ``partial_fit`` is level with the
  whole fit's (mean respect 0.852 against 0.851 on ten courses; 0.801 before, when the visits were dropped).
- **without one**, while the cohort holds unscored events with seconds watched on items the colony does not
  know as other than videos (:func:`unread_visits`), raises a :class:`~poem.errors.ParameterError` naming the
  fix (pass ``catalog=``, or refit on all the traces) instead of dropping them silently. A cohort with no
  such event (quizzes only, pages) is added as it is.
- on a colony fitted **without** viewing evidence, refuses a catalogue: its earlier cohorts' visits left no
  evidence, so reading only the new ones would weigh the cohorts differently (refit on all the traces with
  ``catalog=``). Without a catalogue it sums the raw traces, as before.
- on a colony loaded from a file saved before the parameters were kept (it has a history reader, no
  ``viewing_params_``), asks for them (``viewing={...}``, ``{}`` for the defaults) before reading.

**The history reader** (``history_reader_``, :class:`~poem.colony.viewing_history.HistoryReader`) is kept
rather than learned again (:func:`merged_reader`): it was learned on an earlier log of the same videos, which
the cohort does not invalidate, and relearning it on the cohort alone would throw that log away. Its
``floor`` (the colony's success rate of the evidence) becomes the merged colony's, as a fit computes it;
videos new to the colony get the cohort's reading (threshold, usual finishing share, length). Keeping it keeps
the path's learner-reliability weighting (:func:`poem.paths.uses_reliability`, keyed on the reader), which is
computed from the state's log of scored events that ``partial_fit`` merges.
"""

from __future__ import annotations

import numpy as np

from poem.colony.viewing import _catalog_frame, _check_params as check_viewing, apply_viewing, watched_seconds
from poem.colony.viewing_history import HistoryReader, evidence_floor
from poem.errors import ParameterError
from poem.traces import Traces

__all__ = ["read_cohort", "unread_visits", "merged_reader", "after_cohort"]


def read_cohort(model, traces: Traces, catalog, viewing):
    """``(traces, evidence, kinds)``: a new cohort read as the colony was (see the module docstring);
    ``evidence`` is None when nothing is read from watching; ``kinds`` is the colony's catalogue frame with
    the cohort's items added (what ``_kind_frame`` becomes). Validation only: the colony is not changed."""
    params = getattr(model, "viewing_params_", None)
    reads = params is not None or getattr(model, "history_reader_", None) is not None
    asked = catalog is not None or viewing not in (None, False)
    if not reads:
        if asked:
            raise ParameterError(
                "partial_fit: this colony was fitted without viewing evidence, so the video visits of its "
                "earlier cohorts left none; reading only this cohort's would weigh the cohorts "
                "differently. Refit on all the traces with catalog=... to read every cohort's visits")
        return traces, None, getattr(model, "_kind_frame", None)
    if not asked:
        unread = unread_visits(model, traces)
        if unread:
            raise ParameterError(
                f"partial_fit: this colony reads video visits as evidence (it was fitted with a catalogue), "
                f"but the new traces hold {unread} unscored visit(s) with seconds watched and no catalogue "
                "to read them with: they would leave no evidence. Pass catalog=... (the course catalogue; "
                "viewing=True when the traces carry it as item_info), or refit on all the traces")
        return traces, None, getattr(model, "_kind_frame", None)
    if isinstance(viewing, dict) or params is None:
        if params is None:
            if not isinstance(viewing, dict):
                raise ParameterError(
                    "partial_fit: this colony reads viewing evidence but does not say with which mapping "
                    "parameters (its file was saved before POEM kept them): pass them as viewing={...} "
                    "({} for the defaults), or refit on all the traces")
            params = check_viewing(viewing)
        else:
            given = check_viewing(viewing)
            clash = {k: (given[k], params.get(k)) for k in viewing if given[k] != params.get(k)}
            if clash:
                raise ParameterError(
                    f"partial_fit: viewing parameters {clash} (given, colony's) differ from the ones the "
                    "colony's evidence was read with, so the cohorts would not add up: leave viewing= "
                    "out, or refit on all the traces")
    old = getattr(model, "_kind_frame", None)
    if traces.n_events == 0:
        return traces, None, old
    weights = getattr(model, "evidence_weights_", None)
    prior = getattr(model, "landing_counts_", None) if params["landing"] == "learned" else None
    read, evidence, _ = apply_viewing(traces, catalog, mastery=float(model.mastery), weights=weights,
                                      landing_prior=prior, **params)
    frame = _catalog_frame(traces, catalog)
    if frame is not None:   # the kinds of items new to the colony (the mastery calibration pools them)
        old = frame if old is None else old.combine_first(frame)
    return read, evidence, old


def unread_visits(model, traces: Traces) -> int:
    """Events a viewing colony would read as visits (unscored, with seconds watched), on items it does
    not know as other than videos."""
    unread = np.isnan(traces.score) & ~np.isnan(watched_seconds(traces))
    reader = getattr(model, "history_reader_", None)
    if unread.any() and reader is not None and reader.video is not None:
        code = {str(x): k for k, x in enumerate(model.items_)}
        other = np.array([k >= 0 and not reader.video[k] for k in (code.get(str(x), -1) for x in traces.items)],
                         dtype=bool)
        unread &= ~other[traces.item]
    return int(unread.sum())


def after_cohort(model, old_items, traces: Traces, evidence) -> None:
    """What a partial fit that read ``evidence`` from the cohort ``traces`` keeps: the evidence in
    ``viewing_``, the landing counts pooled, the history reader merged (:func:`merged_reader`)."""
    if evidence is not None:
        model.viewing_ = evidence
        kept, new = getattr(model, "landing_counts_", None), evidence.landing_counts
        if new is not None:
            model.landing_counts_ = new if kept is None else {k: np.asarray(kept[k]) + new[k] for k in new}
    if evidence is not None or getattr(model, "history_reader_", None) is not None:
        model.history_reader_ = merged_reader(model, old_items, traces, evidence)


def merged_reader(model, old_items, traces: Traces, evidence) -> HistoryReader:
    """The history reader after a partial fit (see the module docstring): the fitted one on the merged
    vocabulary, the floor from the merged counts, items new to the colony read from the cohort."""
    floor = evidence_floor(model.item_attempts_, model.item_successes_)
    old = model.history_reader_
    cohort = None if evidence is None else HistoryReader.from_evidence(evidence, traces, floor)
    if old is None:     # a reader was never kept: the cohort's, on the colony's vocabulary
        old, old_items = cohort, traces.items
    where_old = {str(x): k for k, x in enumerate(old_items)}
    where_new = {str(x): k for k, x in enumerate(traces.items)}
    n = len(model.items_)
    threshold, level = np.full(n, 0.8), np.ones(n)
    length, video = np.full(n, np.nan), np.zeros(n, dtype=bool)
    for k, item in enumerate(model.items_.astype(str)):
        src, at = (old, where_old.get(item)) if item in where_old else (cohort, where_new.get(item))
        if src is None or at is None:
            continue
        threshold[k], level[k] = src.threshold[at], src.level[at]
        length[k] = src.length[at] if src.length is not None else np.nan
        video[k] = bool(src.video[at]) if src.video is not None else True
    # the pace density and prior stay the kept reader's, like its share bins: learned on the larger log
    return HistoryReader(threshold=threshold, level=level, credible=old.credible, floor=floor,
                         background_share=old.background_share, length=length, video=video,
                         pace_log_density=old.pace_log_density, pace_prior=old.pace_prior)
