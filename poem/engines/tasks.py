"""The tasks the Dask engine runs on its workers, as plain functions over pieces and partitions.

Batches of Parquet pieces are surveyed (validated, counted, distinct ids collected) and encoded with the
global vocabularies; shuffled partitions are sorted into the in-memory order, cleared of exact duplicates
and staged; a staged partition becomes a :class:`~poem.traces.Traces` for any per-partition function.
None of this needs a cluster: the tests call the functions directly.

Examples
--------
>>> tree_sum([1, 2, 3, 4, 5])
15
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poem.traces import VIDEO_FIELDS, Traces, empty_rejects
from poem.engines.parquet import read_piece

__all__ = ["partition_traces", "tree_sum", "STAGED"]

#: the columns a staged partition holds, all numeric
STAGED = ("learner", "item", "timestamp", "score", "duration", "row")


def _batches(pieces: list, target_rows: int) -> list:
    """Consecutive pieces grouped up to ``target_rows`` rows, so that a dataset of many small files
    (one per day) does not become thousands of tiny tasks."""
    batches, current, rows = [], [], 0
    for piece in pieces:
        if current and rows + piece.n_rows > target_rows:
            batches.append(current)
            current, rows = [], 0
        current.append(piece)
        rows += piece.n_rows
    if current:
        batches.append(current)
    return batches


def _read_batch(batch: list, options: dict, video: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    read = [read_piece(piece, video=video, **options) for piece in batch]
    counts = {k: sum(c[k] for _, _, c in read) for k in ("n_naive", "n_aware")}
    return (pd.concat([c for c, _, _ in read], ignore_index=True),
            pd.concat([r for _, r, _ in read], ignore_index=True), counts)


def _survey(batch: list, options: dict) -> dict:
    clean, rejects, counts = _read_batch(batch, options)
    stamps = clean["timestamp"].to_numpy()
    return {
        "n_read": sum(piece.n_rows for piece in batch), "n_clean": len(clean), "rejects": rejects,
        "learners": np.unique(clean["learner"].to_numpy(dtype=object).astype(str)),
        "items": np.unique(clean["item"].to_numpy(dtype=object).astype(str)),
        "t_min": int(stamps.min()) if len(stamps) else None,
        "t_max": int(stamps.max()) if len(stamps) else None,
        **counts,
    }


def _encode(batch: list, options: dict, learners: np.ndarray, items: np.ndarray, video: bool = False) -> pd.DataFrame:
    """The batch's accepted rows with global codes; with ``video`` also every column of
    :data:`~poem.traces.VIDEO_FIELDS` (NaN where the files lack it: every partition has the same columns)."""
    clean, _, _ = _read_batch(batch, options, video)
    encoded = pd.DataFrame({
        "learner": np.searchsorted(learners, clean["learner"].to_numpy(dtype=object).astype(str)).astype(np.int32),
        "item": np.searchsorted(items, clean["item"].to_numpy(dtype=object).astype(str)).astype(np.int32),
        "timestamp": clean["timestamp"].to_numpy(np.int64),
        "score": clean["score"].to_numpy(np.float64),
        "duration": clean["duration"].to_numpy(np.float64),
        "row": clean["row"].to_numpy(np.int64),
    })
    for name in VIDEO_FIELDS if video else ():
        encoded[name] = clean[name].to_numpy(np.float64) if name in clean else np.full(len(clean), np.nan)
    return encoded


def _empty_encoded(video: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame({"learner": np.empty(0, np.int32), "item": np.empty(0, np.int32),
                          "timestamp": np.empty(0, np.int64), "score": np.empty(0),
                          "duration": np.empty(0), "row": np.empty(0, np.int64)})
    for name in VIDEO_FIELDS if video else ():
        frame[name] = np.empty(0)
    return frame


def _staged_columns(columns) -> tuple:
    """The staged columns of a partition: :data:`STAGED`, then the video ones it carries."""
    return STAGED + tuple(c for c in VIDEO_FIELDS if c in columns)


def _sort_partition(frame: pd.DataFrame, drop_duplicates: bool) -> dict:
    """A shuffled partition as plain arrays in the in-memory order (learner, timestamp, global row),
    without exact duplicates when asked: ``{"part": arrays, "dup_rows", "dup_of"}`` (global rows of each
    duplicate and of the earlier row it repeats).

    Copies of a row share learner and timestamp, so they sit together in this order, earliest row first:
    keeping the first is keeping the earliest in reading order, as :func:`poem.read_traces` does.
    """
    arrays = {c: frame[c].to_numpy() for c in _staged_columns(frame.columns)}
    order = np.lexsort((arrays["row"], arrays["timestamp"], arrays["learner"]))
    arrays = {c: np.ascontiguousarray(a[order]) for c, a in arrays.items()}
    dup_rows = dup_of = np.empty(0, np.int64)
    if drop_duplicates and len(order):
        key = pd.DataFrame({c: arrays[c] for c in ("learner", "item", "timestamp", "score", "duration")})
        dup = key.duplicated(keep="first").to_numpy()
        if dup.any():
            group = key.groupby(list(key.columns), sort=False, dropna=False).ngroup().to_numpy()
            first = np.full(group.max() + 1, -1, dtype=np.int64)
            firsts = np.flatnonzero(~dup)
            first[group[firsts]] = arrays["row"][firsts]
            dup_rows, dup_of = arrays["row"][dup], first[group[dup]]
            arrays = {c: a[~dup] for c, a in arrays.items()}
    return {"part": arrays, "dup_rows": dup_rows, "dup_of": dup_of}


def _stage_disk(frame: pd.DataFrame, drop_duplicates: bool, path: str) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    staged = _sort_partition(frame, drop_duplicates)
    pq.write_table(pa.table(staged["part"]), path)
    return {**staged, "part": path}


def _same(value):
    return value


def _dups_of(staged: dict) -> dict:
    return {"dup_rows": staged["dup_rows"], "dup_of": staged["dup_of"]}


def _load(part) -> dict:
    if isinstance(part, dict):
        return part
    import pyarrow.parquet as pq

    table = pq.read_table(part)
    return {c: table.column(c).to_numpy() for c in _staged_columns(table.column_names)}


def partition_traces(part, learners: np.ndarray, items: np.ndarray, outcomes=None) -> Traces:
    """A staged partition as :class:`Traces`: global item codes, and the partition's own learners.

    Item codes are global (every partition state has the same item axis, no re-indexing); the learner
    vocabulary is the slice of the global one that the partition holds (a colony state lists the learners
    it covers, and states must cover disjoint learners to add). Since the global vocabulary is sorted and
    the partition is sorted by global code, local codes keep the in-memory order.
    """
    arrays = _load(part)
    present, local = np.unique(arrays["learner"], return_inverse=True)
    # video columns all NaN here say nothing (as in a file without them): the traces carry none
    video = {c: arrays[c] for c in VIDEO_FIELDS if c in arrays and not np.isnan(arrays[c]).all()}
    return Traces(learner=local.astype(np.int32), item=arrays["item"].astype(np.int32, copy=False),
                  timestamp=arrays["timestamp"], score=arrays["score"], duration=arrays["duration"],
                  learners=learners[present], items=items,
                  outcomes=None if outcomes is None else outcomes[present],
                  n_read=len(arrays["learner"]), rejects=empty_rejects(), video=video or None)


def _apply(part, learners, items, outcomes, func, args):
    return func(partition_traces(part, learners, items, outcomes), *args)


def tree_sum(values: list):
    """Sum of ``values`` by balanced pairwise additions in list order (so the float rounding does not
    depend on which task finished first, and concatenations copy each element O(log n) times)."""
    if not values:
        raise ValueError("nothing to sum")
    while len(values) > 1:
        values = [values[k] + values[k + 1] if k + 1 < len(values) else values[k]
                  for k in range(0, len(values), 2)]
    return values[0]
