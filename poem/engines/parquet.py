"""Split a Parquet dataset into pieces of bounded size, read one piece, and validate its rows.

A *piece* is a run of consecutive row groups of one file. Its global row offset is known from the Parquet
footers alone, so each row of the dataset gets a global position (the order of the files, sorted by path,
then the order of rows in each file) without reading any data: that position breaks ties between events of
one learner with the same timestamp exactly as the in-memory reader does when it concatenates the files.

Validation is the import layer's own (:func:`poem.importers.tabular.validate_frame`: the same column
names, reason codes, timestamp rules and options as :func:`poem.read_traces`), so a row is accepted by the
Dask engine exactly when the in-memory reader accepts it. A validated piece becomes canonical columns
(``learner``, ``item`` as str, ``timestamp`` as int64 nanoseconds UTC, ``score``, ``duration`` as
float64, ``row`` the global position) and a rejects table with :data:`poem.traces.REJECT_COLUMNS`, so that
for every piece ``read == accepted + rejected``. Exact duplicates are the one check that needs other
pieces; the engine finds them after its shuffle by learner.

Examples
--------
>>> import tempfile, pandas as pd
>>> frame = pd.DataFrame({"learner": ["a", None, "b"], "item": ["x", "y", "z"],
...                       "timestamp": ["2024-01-01T00:00Z", "2024-01-02T00:00Z", "yesterday"]})
>>> with tempfile.TemporaryDirectory() as d:
...     frame.to_parquet(f"{d}/part.parquet")
...     pieces = find_pieces(d)
...     clean, rejects, counts = read_piece(pieces[0])
>>> clean["learner"].tolist(), rejects["reason"].tolist(), counts
(['a'], ['missing_learner', 'bad_timestamp'], {'n_naive': 0, 'n_aware': 2})
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import ParameterError, TraceFormatError
from poem.traces import REJECT_COLUMNS, VIDEO_FIELDS

__all__ = ["Piece", "find_parquet_files", "find_pieces", "read_piece", "OPTIONS"]

#: the options of :func:`poem.read_traces` that apply to a piece (column names, then validation)
OPTIONS = ("learner", "item", "timestamp", "score", "duration", "naive_timestamps", "timestamp_format",
           "timestamp_unit", "score_max")


@dataclass(frozen=True)
class Piece:
    """Consecutive row groups ``row_groups`` of the Parquet file ``path``.

    ``file_row`` is the position of the piece's first row in its file (used in rejects), ``offset`` its
    position in the whole dataset (used to order simultaneous events), ``n_rows`` its row count.
    """

    path: str
    row_groups: tuple
    file_row: int
    offset: int
    n_rows: int


def _is_data_file(path: Path) -> bool:
    # Spark/Hive/dask side files (_metadata, _SUCCESS, .crc) are not data
    return path.is_file() and not path.name.startswith(("_", "."))


def find_parquet_files(source) -> list[Path]:
    """The Parquet files of ``source``: a file, a directory (searched recursively for ``*.parquet``, so
    Hive-style ``day=.../`` sub-folders work), a glob pattern, or a list of those. Sorted by path.

    Raises
    ------
    TraceFormatError
        When nothing matches, naming ``source``.

    Examples
    --------
    >>> find_parquet_files("/nonexistent/*.parquet")
    Traceback (most recent call last):
    ...
    poem.errors.TraceFormatError: no Parquet file found at '/nonexistent/*.parquet'
    """
    if isinstance(source, (list, tuple)):
        if not source:
            raise TraceFormatError("no Parquet source given (empty list)")
        files = sorted({f for s in source for f in find_parquet_files(s)})
        return files
    text = os.fspath(source)
    path = Path(text)
    if path.is_dir():
        files = [p for p in path.rglob("*.parquet") if _is_data_file(p)]
        files += [p for p in path.rglob("*.parq") if _is_data_file(p)]
    elif path.is_file():
        files = [path]
    elif glob.has_magic(text):
        files = [Path(p) for p in glob.glob(text, recursive=True) if _is_data_file(Path(p))]
    else:
        files = []
    if not files:
        raise TraceFormatError(f"no Parquet file found at {text!r}")
    return sorted(set(files))


def find_pieces(source, *, target_rows: int = 1_000_000) -> list[Piece]:
    """Cut the dataset at ``source`` into pieces of about ``target_rows`` rows (never splitting a row
    group, never merging two files), using only the Parquet footers.

    Empty files give one piece of zero rows, so that every file is accounted for.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> frame = pd.DataFrame({"learner": list("abcdef"), "item": "x",
    ...                       "timestamp": pd.Timestamp("2024-01-01", tz="UTC")})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     frame.to_parquet(f"{d}/a.parquet", row_group_size=2)
    ...     frame.iloc[:0].to_parquet(f"{d}/b.parquet")
    ...     [(Path(p.path).name, p.row_groups, p.offset, p.n_rows) for p in find_pieces(d, target_rows=4)]
    [('a.parquet', (0, 1), 0, 4), ('a.parquet', (2,), 4, 2), ('b.parquet', (0,), 6, 0)]
    """
    import pyarrow.parquet as pq

    if isinstance(target_rows, bool) or not isinstance(target_rows, (int, np.integer)) or target_rows < 1:
        raise ParameterError(f"target_rows must be a positive integer, got {target_rows!r}")
    pieces: list[Piece] = []
    offset = 0
    for path in find_parquet_files(source):
        try:
            meta = pq.read_metadata(path)  # the footer only; the file is closed again
        except Exception as exc:  # pyarrow raises several types for a corrupt footer
            raise TraceFormatError(f"{path} is not a readable Parquet file: {exc}") from exc
        sizes = [meta.row_group(k).num_rows for k in range(meta.num_row_groups)]
        if not sizes or sum(sizes) == 0:
            pieces.append(Piece(str(path), tuple(range(len(sizes))), 0, offset, 0))
            continue
        group: list[int] = []
        rows = file_row = 0
        for k, size in enumerate(sizes):
            if group and rows + size > target_rows:
                pieces.append(Piece(str(path), tuple(group), file_row, offset, rows))
                offset, file_row = offset + rows, file_row + rows
                group, rows = [], 0
            group.append(k)
            rows += size
        pieces.append(Piece(str(path), tuple(group), file_row, offset, rows))
        offset += rows
    return pieces


def read_piece(piece: Piece, *, video: bool = False, **options) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Read one piece and validate it: ``(clean, rejects, counts)``.

    ``clean`` has the canonical columns of the module docstring (and with ``video=True`` the columns of
    :data:`poem.traces.VIDEO_FIELDS` the file has, as float64: what a canonical file written by
    :func:`poem.io.write_traces` keeps of video events, read from viewing evidence), ``rejects`` the
    piece's rejected rows (``row`` is the 0-based data row in its file), ``counts`` the numbers of naive
    and offset-carrying timestamps (all naive is an error for the whole dataset, decided by the caller).
    ``options`` are :func:`poem.read_traces`'s column names (``learner=``...) and validation options
    (``naive_timestamps=``, ``timestamp_format=``, ``timestamp_unit=``, ``score_max=``).
    """
    import pyarrow.parquet as pq

    from poem.importers.tabular import _col_args, _validation_args, resolve_columns, validate_frame

    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ParameterError(f"unknown read option(s) {sorted(unknown)}; valid: {list(OPTIONS)}")
    try:
        handle = pq.ParquetFile(piece.path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise TraceFormatError(f"{piece.path} is not a readable Parquet file: {exc}") from exc
    with handle:  # closed at once: a worker reads many pieces
        columns = resolve_columns(handle.schema_arrow.names, source=piece.path, **_col_args(options))
        used = [c for c in columns.values() if c is not None]
        extra = [c for c in VIDEO_FIELDS if c in handle.schema_arrow.names and c not in used] if video else []
        frame = handle.read_row_groups(list(piece.row_groups), columns=used + extra).to_pandas()
    batch = validate_frame(frame, columns, source=piece.path, row_offset=piece.file_row,
                           **_validation_args(options))
    clean = pd.DataFrame({
        "learner": np.asarray(batch.learner, dtype=object),
        "item": np.asarray(batch.item, dtype=object),
        "timestamp": batch.timestamp.astype(np.int64),
        "score": batch.score.astype(np.float64),
        "duration": batch.duration.astype(np.float64),
        "row": piece.offset + (batch.row - piece.file_row),
    })
    at = np.asarray(batch.row - piece.file_row, dtype=np.int64)   # the accepted rows of the piece
    for name in extra:
        clean[name] = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)[at]
    rejects = batch.rejects[REJECT_COLUMNS].reset_index(drop=True)
    return clean, rejects, {"n_naive": batch.n_naive, "n_aware": batch.n_aware}
