"""Fit the man-hill on a partitioned Parquet log with Dask: past one process's memory, or on a cluster.

``fit_dask("events/")`` gives the same :class:`poem.antcolony.ManHill` as
``ManHill().fit(read_traces(...))`` on the same rows, up to float rounding (see *Equality* below).

How it works
------------
1. **Pieces.** The dataset (a directory, glob or list of Parquet files, partitioned any way, e.g. one file
   per day) is cut into pieces of whole row groups from the footers alone; each row gets its global
   position (files sorted by path, then row order) without reading data.
2. **Survey** (one cheap pass, one task per batch of pieces): validate rows with the import layer's rules
   (:func:`poem.engines.parquet.read_piece`), count read / accepted / rejected, collect rejects and the
   distinct learners and items. The driver builds the *global* sorted vocabularies, so that codes agree
   across partitions.
3. **Shuffle by learner.** Pieces are re-read, validated and encoded (int32 codes), then hash-partitioned
   on the learner code with Dask's shuffle, so that a trail split across days or files is reassembled in
   one partition. Each partition is sorted by (learner, timestamp, global row) -- the in-memory order --,
   loses its exact duplicates (all copies of a row share the learner, so they meet here; the earliest
   row is kept, as in memory) and is *staged*: written to a local scratch directory (default with a
   cluster started here: truly out-of-core, every later pass reads one partition at a time) or kept in
   the workers' memory, which Dask spills to disk under pressure (default with an external
   ``scheduler``, whose workers may not see this machine's disk).
4. **Map-reduce.** Every partition becomes a :class:`~poem.traces.Traces` (global item codes, its own
   learners) and contributes ``ManHill.partial_state`` (sums over complete trails); the states come back
   to the driver as they complete, are added pairwise in partition order (deterministic rounding) and
   ``ManHill.from_state`` finishes the model.

Sequential parts
----------------
* **Trails.** Arcs, reach-back deposits, sessions and precedence walk each trail in order; a trail never
  crosses partitions after the shuffle, so each partition computes them exactly as in memory.
* **ELO** (:mod:`poem.colony.elo`) rates every learner online along their trail against *fixed* item
  difficulties, then re-rates the items from per-item sums, for a few sweeps. Each partition's
  :class:`~poem.colony.state.ColonyState` carries its compact log of scored events (item, score, time: 20
  bytes per scored event) grouped by learner; the reduction concatenates the logs and
  ``ManHill.from_state`` runs the sweeps on the driver. The learners come in partition order rather than
  sorted, which only changes the order of the per-item float additions.
* **Evaporation** (``decay="evaporation"``) weighs a deposit made at t by ``(1 - rho)^((t_ref - t) /
  period)`` with t_ref the latest event of the whole log: the survey finds t_ref, then the weights are
  local and each partition sums its decayed deposits with the same kernel as ``ManHill.fit``.
* **Erosion** (``decay="erosion"``) is driven by the global order of every deposit and is refused.

Viewing evidence
----------------
``fit_dask(source, catalog=CATALOG)`` (``poem fit TRACES --engine dask --catalog CATALOG``) reads the video
visits as evidence, as ``ManHill.fit(traces, catalog=...)`` does (:mod:`poem.colony.viewing`): every
partition is read as ``ManHill.partial_fit`` reads a new cohort (:mod:`poem.colony.viewing_cohort`), with
what adds across learners pooled on the driver first (passes of :mod:`poem.engines.viewing`: landing
counts; on a mixed course, evidence-weight sums; then the reading and the colony state). The partitions
carry the seconds watched (``duration``) and, for such a fit, the columns of :data:`poem.traces.VIDEO_FIELDS`
a file has (a canonical file written by ``poem import`` keeps the player's covered seconds and backward
seeks, which the mapping prefers to the wall-clock duration; 32 more bytes per row in the shuffle).

* **Exact**: the landing model is learned on the landing counts of every partition pooled (a table of
  counts that adds across learners, :func:`~poem.colony.landing.landing_counts`); the per-kind evidence
  weights of a mixed course come from sums over every partition (read with the pooled landing); everything
  downstream of the evidence (arcs, pheromones, precedence, ELO) is the map-reduce above. Where the mapping
  is per visit (a fixed ``threshold``, ``landing="rule"``, ``pace="off"``, the catalogue's lengths) the
  colony therefore equals the in-memory one (integers exactly, floats to rounding), mixed courses and
  partitions without any visit (quizzes only) included: ``tests/test_engine_dask.py``.
* **Learned per partition**: each video's completion threshold and usual finishing share, each learner's
  pace (and the density and prior it is read against: ``min_learn`` learners per partition or everyone
  reads at 1x), a video's length when the catalogue lacks it; and the history reader (``history_reader_``,
  what ``poem suggest --watched`` reads a learner with), which is the largest partition's with the whole
  colony's floor (as ``partial_fit`` keeps the first cohort's). The colony keeps ``viewing_params_``,
  ``evidence_weights_``, the pooled ``landing_counts_`` and the reader, so ``partial_fit`` grows it as an
  in-memory colony and its path weighs learners by reliability (:func:`poem.paths.uses_reliability`);
  ``viewing_`` (the per-event evidence) is not gathered (``keep_evidence=True`` keeps the scores).
* **Measured** (``benchmarks/bench_viewing_dask.py``, ``benchmarks/results/viewing_dask.md``: the five
  scenarios of ``bench_viewing.py``, two seeds, 1 500 learners): with 2 partitions 99.86-99.92 % of the
  events get the in-memory score (4 partitions of 375 learners: 99.75-99.86 %), and the path's
  prerequisite respect is within 0.016 of the in-memory fit's on every course (mean -0.001 with 2
  partitions, +0.002 with 4). With the landing learned per partition instead, 90 % of the events of a
  600-learner test course in 4 partitions were read alike (99.1 % pooled).

Memory
------
A worker holds one piece or one partition at a time (``target_rows`` rows, default 1 million; about 40
bytes per row once encoded) plus Dask's shuffle buffers; the driver holds the vocabularies, the rejects
and the colony state, whose ELO log takes 20 bytes per scored event. Workers below ~1 GB can stall: Dask
pauses a worker at 80 % of its limit, and Python, pandas, Arrow and the compiled kernels already take
about 250 MB of it.

Equality
--------
Integer outputs (arc visits, distinct learners per arc, item counts, the event totals) are exactly equal
to the in-memory engine's. Float sums (pheromones, precedence, ELO sums, hence difficulties and
abilities) are added in another order (per partition, then a tree), so they agree to about 1e-12
relative, not bit for bit; ``tests/test_engine_dask.py`` checks both.

Examples
--------
>>> from poem.engines.dask import fit_dask            # doctest: +SKIP
>>> model = fit_dask("events/", n_workers=2, memory_limit="1GB")   # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import ParameterError, TraceFormatError
from poem.importers.batch import _ordered_rejects, no_events_message
from poem.traces import REJECT_COLUMNS, ImportSummary, Traces, empty_rejects
from poem.engines.cluster import dask_client, progress_bar, wait_for
from poem.engines.parquet import find_pieces
from poem.engines.tasks import (_apply, _batches, _dups_of, _empty_encoded, _encode, _same, _sort_partition, _stage_disk,
                    _survey, partition_traces, tree_sum)

__all__ = ["fit_dask", "StagedDataset", "DaskRun", "dask_client", "partition_traces", "tree_sum"]



@dataclass
class DaskRun:
    """What a Dask fit did: the import accounting, the rejects, the vocabularies and the timings.

    ``summary`` satisfies ``n_read == n_accepted + n_rejected`` summed over every piece.
    """

    summary: ImportSummary
    rejects: pd.DataFrame
    items: np.ndarray
    learners: np.ndarray
    n_pieces: int
    n_partitions: int
    t_min: int | None
    t_max: int | None
    stage: str
    seconds: dict = field(default_factory=dict)
    dashboard: str | None = None
    #: with viewing evidence: ``counts`` (events per label, as ``ViewingEvidence.counts``), ``landing``
    #: (the pooled landing counts), ``partitions without visits`` (read as quizzes only), and with
    #: ``keep_evidence=True`` ``scores``, a frame of each event's ``learner`` and evidence ``score`` in the
    #: in-memory event order (by learner, then trail)
    viewing: dict | None = None


# ---------------------------------------------------------------------------------------------- driver
def _gather_survey(results: list, catalogue) -> tuple:
    n_read = sum(r["n_read"] for r in results)
    n_clean = sum(r["n_clean"] for r in results)
    n_naive = sum(r["n_naive"] for r in results)
    if n_naive and not sum(r["n_aware"] for r in results):
        # the import layer's rule (poem.importers.batch.assemble), applied to the whole dataset
        raise TraceFormatError(
            f"all {n_naive} timestamps carry no UTC offset (e.g. '2024-01-01 10:00:00'); pass "
            "naive_timestamps='utc' (or the zone they were written in, e.g. 'Europe/Paris') to accept them")
    frames = [r["rejects"] for r in results if len(r["rejects"])]
    rejects = pd.concat(frames, ignore_index=True)[REJECT_COLUMNS] if frames else empty_rejects()
    learners = np.unique(np.concatenate([r["learners"] for r in results] + [np.empty(0, dtype=str)]))
    extra = [] if catalogue is None else [np.asarray(list(catalogue), dtype=str)]
    items = np.unique(np.concatenate([r["items"] for r in results] + extra + [np.empty(0, dtype=str)]))
    t_min = min((r["t_min"] for r in results if r["t_min"] is not None), default=None)
    t_max = max((r["t_max"] for r in results if r["t_max"] is not None), default=None)
    return n_read, n_clean, rejects, learners.astype(object), items.astype(object), t_min, t_max


def _duplicate_rejects(pieces: list, dup_rows: np.ndarray, dup_of: np.ndarray) -> pd.DataFrame:
    """Rejects for duplicates found after the shuffle, located in their files from their global rows."""
    if not len(dup_rows):
        return empty_rejects()
    offsets = np.array([p.offset for p in pieces if p.n_rows], dtype=np.int64)
    located = [p for p in pieces if p.n_rows]
    paths = np.array([p.path for p in located], dtype=object)
    file_rows = np.array([p.file_row for p in located], dtype=np.int64)

    def locate(rows):
        k = np.searchsorted(offsets, rows, side="right") - 1
        return paths[k], file_rows[k] + (rows - offsets[k])

    src, row = locate(dup_rows)
    osrc, orow = locate(dup_of)
    detail = ("repeats row " + pd.Series(orow).astype(str) + " of " + pd.Series(osrc).astype(str))
    return pd.DataFrame({"source": pd.Series(src, dtype=object), "row": row.astype(np.int64),
                         "reason": pd.Series(np.full(len(row), "duplicate", dtype=object), dtype=object),
                         "detail": pd.Series(detail.to_numpy(dtype=object), dtype=object)})


def _align_outcomes(outcomes, learners: np.ndarray):
    """Outcomes aligned with the global learner vocabulary; unknown ones filled with the *global* mean of
    the known ones, as the in-memory engine does (a partition alone would use its own mean)."""
    if outcomes is None:
        return None
    probe = Traces(learner=np.empty(0, np.int32), item=np.empty(0, np.int32),
                   timestamp=np.empty(0, np.int64), score=np.empty(0), duration=np.empty(0),
                   learners=learners, items=np.empty(0, dtype=object))
    aligned = probe.with_outcomes(outcomes).outcomes
    known = ~np.isnan(aligned)
    if known.any():
        aligned = np.where(known, aligned, aligned[known].mean())
    return aligned


class StagedDataset:
    """A Parquet dataset surveyed, shuffled by learner and staged on a cluster (steps 1-3 of the module
    docstring), ready for any number of map-reduce passes; use as a context manager (or call
    :meth:`close`) so that the scratch files and the workers' copies are released.

    ``video=True`` also carries the columns of :data:`poem.traces.VIDEO_FIELDS` the files have (what a
    canonical file keeps of video events: the viewing evidence prefers them to the wall-clock duration);
    they add 32 bytes per row to the shuffle, so only a viewing fit asks for them.

    Attributes
    ----------
    run : DaskRun
        Accounting, vocabularies, time range and timings.
    """

    def __init__(self, client, source, *, items=None, outcomes=None, progress=True,
                 target_rows: int = 1_000_000, stage: str | os.PathLike = "disk", duplicates: str = "reject",
                 read_options: dict | None = None, video: bool = False):
        if duplicates not in ("reject", "keep"):
            raise ParameterError(f"duplicates must be 'reject' or 'keep', got {duplicates!r}")
        options = dict(read_options or {})
        self.client = client
        self.progress = progress
        self.parts: list = []
        self._scratch = None
        timings = {}
        started = time.perf_counter()
        pieces = find_pieces(source, target_rows=target_rows)
        batches = _batches(pieces, target_rows)
        futures = client.map(_survey, batches, options=options, pure=False)
        results = wait_for(client, futures, progress, f"survey ({len(pieces)} Parquet pieces)")
        n_read, n_clean, rejects, learners, item_vocab, t_min, t_max = _gather_survey(results, items)
        del futures, results
        timings["survey"] = time.perf_counter() - started
        if n_clean == 0:
            # the one line poem import and poem fit give: dominant reject reason and its likely fix
            raise TraceFormatError(no_events_message(int(n_read), rejects, str(source)))
        aligned = _align_outcomes(outcomes, learners)
        if stage not in ("disk", "memory"):
            Path(stage).mkdir(parents=True, exist_ok=True)
            self._scratch = Path(tempfile.mkdtemp(prefix="poem-dask-", dir=stage))
        elif stage == "disk":
            self._scratch = Path(tempfile.mkdtemp(prefix="poem-dask-"))
        if self._scratch is not None:
            # also removed if close() is never reached (the object is dropped, or the interpreter exits)
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._scratch), True)
        try:
            started = time.perf_counter()
            staged = self._shuffle(batches, options, learners, item_vocab, aligned, n_clean, target_rows,
                                   duplicates == "reject", video)
            dup_rows = np.concatenate([s["dup_rows"] for s in staged] + [np.empty(0, np.int64)])
            dup_of = np.concatenate([s["dup_of"] for s in staged] + [np.empty(0, np.int64)])
            timings["shuffle"] = time.perf_counter() - started
        except BaseException:
            self.close()
            raise
        # by file in reading order, then row: the order poem.read_traces gives
        rejects = _ordered_rejects([rejects, _duplicate_rejects(pieces, dup_rows, dup_of)],
                                   [p.path for p in pieces])
        reasons = rejects["reason"].value_counts().to_dict() if len(rejects) else {}
        summary = ImportSummary(int(n_read), int(n_clean - len(dup_rows)), int(len(rejects)),
                                {str(k): int(v) for k, v in reasons.items()})
        self.run = DaskRun(summary=summary, rejects=rejects, items=item_vocab, learners=learners,
                           n_pieces=len(pieces), n_partitions=len(self.parts), t_min=t_min, t_max=t_max,
                           stage="memory" if self._scratch is None else str(self._scratch), seconds=timings)

    def _shuffle(self, batches, options, learners, item_vocab, aligned, n_clean, target_rows, drop_dups, video):
        """Encode, shuffle by learner and stage; sets :attr:`parts`, returns each partition's duplicates."""
        import dask
        import dask.dataframe as dd
        from operator import itemgetter

        client = self.client
        # tasks, not scatter: the scheduler keeps their inputs, so a worker restarted for memory (and its
        # copies) can be recomputed, where scattered data would be lost with it
        self._learners = client.submit(_same, learners, pure=False)
        self._items = client.submit(_same, item_vocab, pure=False)
        self._outcomes = client.submit(_same, aligned, pure=False) if aligned is not None else None
        encoded = dd.from_delayed([dask.delayed(_encode)(b, options, self._learners, self._items, video)
                                   for b in batches], meta=_empty_encoded(video), verify_meta=False)
        n_parts = max(1, math.ceil(n_clean / target_rows))
        # hash-partition on the global learner code: every trail lands whole in one partition
        shuffled = encoded.shuffle("learner", npartitions=n_parts).to_delayed()
        if self._scratch is not None:
            tasks = [dask.delayed(_stage_disk)(part, drop_dups, str(self._scratch / f"part-{k:05d}.parquet"))
                     for k, part in enumerate(shuffled)]
        else:
            tasks = [dask.delayed(_sort_partition)(part, drop_dups) for part in shuffled]
        staged = client.compute(tasks)
        label = f"shuffle by learner ({len(tasks)} partitions)"
        wait_for(client, staged, self.progress, label, gather=False)
        # the arrays stay on the workers (memory) or on disk (paths); only duplicates come back
        self.parts = [client.submit(itemgetter("part"), f, pure=False) for f in staged]
        if self._scratch is not None:
            self.parts = client.gather(self.parts)
        dups = client.gather([client.submit(_dups_of, f, pure=False) for f in staged])
        return dups

    def map_reduce(self, func, *args, label: str = "map-reduce", per_partition: list | None = None):
        """``sum(func(traces_k, *args))`` over the staged partitions (each a :class:`Traces` from
        :func:`partition_traces`); with ``per_partition`` (one tuple per partition, in :attr:`parts`
        order), ``func(traces_k, *args, *per_partition[k])``.

        Results are pulled to this process as they complete (and released on the workers at once), then
        added by :func:`tree_sum` in partition order. Adding here, not on the workers, matters for the
        colony: a state's ELO log grows with the events it covers, and the full log would otherwise be
        assembled (and copied) inside a memory-limited worker.
        """
        from distributed import as_completed

        started = time.perf_counter()
        if per_partition is not None and len(per_partition) != len(self.parts):
            raise ParameterError(f"map_reduce: {len(per_partition)} per-partition arguments for "
                                 f"{len(self.parts)} partitions")
        extra = per_partition if per_partition is not None else [()] * len(self.parts)
        futures = [self.client.submit(_apply, part, self._learners, self._items, self._outcomes, func,
                                      args + tuple(more), pure=False) for part, more in zip(self.parts, extra)]
        position = {f.key: k for k, f in enumerate(futures)}
        results = [None] * len(futures)
        bar = progress_bar(len(futures), label) if self.progress else None
        try:
            for future, value in as_completed(futures, with_results=True):
                results[position[future.key]] = value
                future.release()
                if bar is not None:
                    bar.update(1)
        finally:  # a failed task re-raises here: the bar is closed all the same
            if bar is not None:
                bar.close()
        del futures
        total = tree_sum(results)
        self.run.seconds[label] = self.run.seconds.get(label, 0.0) + time.perf_counter() - started
        return total

    def close(self):
        self.parts = []
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass
class _ColonySums:
    """What one partition contributes to a ManHill: the mergeable state, and the evaporated pheromones
    when ``decay="evaporation"`` (their weights only need the global reference time)."""

    state: object
    phi: tuple | None = None

    def __add__(self, other: "_ColonySums") -> "_ColonySums":
        phi = None if self.phi is None else (self.phi[0] + other.phi[0], self.phi[1] + other.phi[1])
        return _ColonySums(self.state + other.state, phi)


def _colony_partial(traces: Traces, model, t_ref) -> _ColonySums:
    state = model.partial_state(traces)
    phi = None
    if model.decay == "evaporation":
        # same kernel and weights as ManHill.fit; t_ref is the global latest event, from the survey
        phi = model._decayed_pheromones(traces, t_ref)
    return _ColonySums(state, phi)


def fit_dask(source, *, scheduler=None, n_workers=None, memory_limit=None, progress=True, outcomes=None,
             items=None, processes=True, stage=None, target_rows: int = 1_000_000, duplicates="reject",
             read_options: dict | None = None, catalog=None, viewing=None, keep_evidence: bool = False,
             **manhill_params):
    """Fit a :class:`poem.antcolony.ManHill` on the Parquet dataset ``source`` with Dask.

    Parameters
    ----------
    source : str, Path or list
        A directory (searched recursively), a glob, a file or a list of those; canonical columns
        ``learner, item, timestamp[, score, duration]``, partitioned any way.
    scheduler : str or distributed.Client, optional
        Address of an existing Dask scheduler (or a client); default: a LocalCluster started and closed
        here.
    n_workers, memory_limit, processes
        The local cluster's workers (one thread each), per-worker memory limit (``"1GB"``), and whether
        workers are processes (threads when False, for quick tests).
    progress : bool
        Progress bars and the dashboard link on stderr.
    outcomes : DataFrame or Series, optional
        Learner outcomes, as for :meth:`ManHill.fit` (they matter with ``tour_quality=True``).
    items : iterable of str, optional
        Catalogue items nobody may have reached.
    stage : {"disk", "memory"} or path, optional
        Where the shuffled partitions wait between passes (module docstring): default ``"disk"`` (a
        scratch directory, removed at the end) with a local cluster, ``"memory"`` with ``scheduler``.
    target_rows : int
        Rows per task before and after the shuffle (bounds each task's memory).
    duplicates : {"reject", "keep"}
        As in :func:`poem.read_traces`: exact repeats of an earlier row are rejected (found after the
        shuffle, where all copies of a row meet) or kept.
    read_options : dict, optional
        Options of :func:`poem.read_traces` for tables: column names (``learner=``, ``item=``,
        ``timestamp=``, ``score=``, ``duration=``) and ``naive_timestamps``, ``timestamp_format``,
        ``timestamp_unit``, ``score_max``.
    catalog : path or DataFrame, optional
        The course catalogue (``item``, ``kind``, ``length`` in seconds): the video visits are read as
        evidence, as by ``ManHill.fit(traces, catalog=...)``; see *Viewing evidence* in the module
        docstring for what is exact and what is learned per partition.
    viewing : dict or True, optional
        The mapping's parameters (:data:`poem.colony.viewing.VIEWING_DEFAULTS`); True or ``{}`` for the
        defaults. Without a catalogue the lengths come from the events of each partition.
    keep_evidence : bool
        With viewing evidence, keep each event's evidence score in ``dask_run_.viewing["scores"]`` (one
        row per event, on the driver: for comparisons on logs that fit in memory).
    **manhill_params
        Parameters of :class:`~poem.antcolony.ManHill`. ``decay="erosion"`` is refused: each deposit
        erodes in the *global* event order, which has no per-partition form here.

    Returns
    -------
    ManHill
        Fitted; ``model.dask_run_`` holds the :class:`DaskRun` (``dask_run_.summary`` is the import
        accounting, read = accepted + rejected summed over every piece; ``dask_run_.rejects`` the rows).
        With viewing evidence it keeps ``viewing_params_``, ``evidence_weights_``, ``landing_counts_``
        and ``history_reader_`` as ``ManHill.fit`` does (so :meth:`~poem.antcolony.ManHill.partial_fit`
        reads a later cohort alike and the path weighs learners by reliability), but not ``viewing_``
        (the per-event evidence stays on the workers: ``dask_run_.viewing`` has its counts).

    Raises
    ------
    TraceFormatError
        No Parquet file at ``source``, a file without the canonical columns, or no accepted event.
    ParameterError
        An invalid ManHill parameter (before any cluster starts), or ``decay="erosion"``.
    """
    from poem import antcolony

    template = antcolony.ManHill(**manhill_params)
    antcolony._check_params(template)  # invalid parameters fail before any cluster starts
    if template.decay == "erosion":
        raise ParameterError("decay='erosion' erodes arcs in the global order of all events, which the "
                             "Dask engine does not reproduce; use decay=None or 'evaporation', or fit in "
                             "memory")
    reads = catalog is not None or viewing not in (None, False)
    frame = params = None
    if reads:
        from poem.colony.viewing import _catalog_frame, _check_params as check_viewing

        if viewing is not None and not isinstance(viewing, (dict, bool)):
            raise ParameterError(f"viewing must be a dict of mapping parameters or True, got {viewing!r}")
        params = check_viewing(viewing if isinstance(viewing, dict) else {})
        frame = _catalog_frame(None, catalog) if catalog is not None else None   # read once, here
    if stage is None:
        stage = "memory" if scheduler is not None else "disk"
    with dask_client(scheduler, n_workers=n_workers, memory_limit=memory_limit, processes=processes,
                     progress=progress) as client:
        with StagedDataset(client, source, items=items, outcomes=outcomes, progress=progress,
                           target_rows=target_rows, stage=stage, duplicates=duplicates,
                           read_options=read_options, video=reads) as data:
            if reads:
                sums, extras = _viewing_passes(data, template, frame, params, keep_evidence)
            else:
                sums = data.map_reduce(_colony_partial, template, data.run.t_max,
                                       label="colony state (map + tree sum)")
            run = data.run
        run.dashboard = getattr(client, "dashboard_link", None)
    started = time.perf_counter()
    if reads:
        model = _viewing_colony(sums, extras, frame, params, manhill_params, run)
    elif sums.phi is None:
        model = antcolony.ManHill.from_state(sums.state, **manhill_params)
    else:
        # from_state refuses decay (it cannot know the time order); with the evaporated pheromones summed
        # above, finishing the model is what ManHill.fit itself does
        model = antcolony.ManHill(**manhill_params)
        model._finish(sums.state, sums.phi, t_ref=sums.state.t_max)
    run.seconds["finish (ELO on the driver)"] = time.perf_counter() - started
    model.dask_run_ = run
    return model


def _viewing_passes(data: StagedDataset, template, frame, params: dict, keep: bool):
    """The passes of :mod:`poem.engines.viewing` over the staged partitions: ``(colony sums, extras)``."""
    from poem.colony.viewing import weights_from_sums
    from poem.engines.viewing import read_partition, survey_partition, weigh_partition

    survey = data.map_reduce(survey_partition, frame, params, label="viewing: landing counts")
    if not survey.with_visits:   # the error ManHill.fit(catalog=) gives on the whole log
        raise TraceFormatError(
            "no video visit with a known duration and length in any partition: viewing evidence needs a "
            "duration per visit and a catalogue with kind=video and length in seconds")
    pooled = survey.counts if params["landing"] == "learned" else None
    own = [(pooled, c) for c in survey.own]
    sums = survey.weight_sums
    if len(sums) > 1:   # a mixed course: the weights of the evidence read with the pooled landing
        sums = data.map_reduce(weigh_partition, frame, params, label="viewing: evidence weights",
                               per_partition=own).weight_sums
    weights = weights_from_sums(sums)
    read = data.map_reduce(read_partition, template, data.run.t_max, frame, params, weights, keep,
                           _colony_partial, label="colony state (viewing evidence, map + tree sum)",
                           per_partition=own)
    return read.sums, {"read": read, "weights": weights, "pooled": pooled,
                       "without visits": len(data.parts) - survey.with_visits}


def _viewing_colony(sums, extras: dict, frame, params: dict, manhill_params: dict, run: DaskRun):
    """The colony from the summed viewing passes: what ``ManHill.fit(traces, catalog=)`` keeps, with the
    history reader of the largest partition (the whole colony's floor)."""
    from dataclasses import replace

    from poem import antcolony
    from poem.colony.landing import LABELS
    from poem.colony.state import plain_scalar
    from poem.colony.viewing_history import evidence_floor

    model = antcolony.ManHill(**manhill_params)
    model._kind_frame = frame          # the items' kinds: the mastery calibration pools them, as in fit
    model._finish(sums.state, sums.phi, t_ref=sums.state.t_max)
    read = extras["read"]
    model.viewing_ = None
    model.viewing_params_ = {k: plain_scalar(v) for k, v in params.items()}
    model.evidence_weights_ = extras["weights"]
    model.landing_counts_ = extras["pooled"]
    readers = [r for r in read.readers if r[0] > 0]
    if readers:
        reader = max(readers, key=lambda r: r[0])[1]      # the first of the largest partitions
        model.history_reader_ = replace(reader, floor=evidence_floor(model.item_attempts_, model.item_successes_))
    else:
        model.history_reader_ = None
    run.viewing = {"counts": {LABELS[k]: int(v) for k, v in enumerate(read.labels) if v},
                   "landing": extras["pooled"], "partitions without visits": extras["without visits"],
                   "scores": None}
    if read.scores is not None:
        scores = pd.concat(read.scores, ignore_index=True)
        order = np.argsort(scores["learner"].to_numpy(dtype=str), kind="stable")   # trails stay in order
        run.viewing["scores"] = scores.iloc[order].reset_index(drop=True)
    return model
