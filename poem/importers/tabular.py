"""Tables of events (DataFrame, CSV, Parquet) -> validated :class:`~poem.importers.batch.Batch` es.

Columns are found by the names given by the caller (``learner=``, ``item=``, ``timestamp=``, ``score=``,
``duration=``, in the style of pm4py's keys) or, failing that, among well-known names, compared without
regard to case: the benchmark format (``learner, item, timestamp, score``), pm4py/XES
(``case:concept:name``, ``concept:name``, ``time:timestamp``) and common platform spellings. A table
without a learner, item or timestamp column raises :class:`~poem.errors.TraceFormatError` naming the
columns it does have.

Validation is vectorised over whole columns; each row gets the first reason that applies, in the order of
:data:`CHECKS`. CSV files are read in chunks of ``chunksize`` rows (default :data:`DEFAULT_CHUNKSIZE`), so
the raw text is never held whole next to its parsed form; Parquet files are read one row group at a time.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"case:concept:name": ["a", "", "b"], "concept:name": ["x", "y", "z"],
...                     "time:timestamp": ["2024-01-01T00:00:00Z"] * 3, "score": [1, 0, 7]})
>>> cols = resolve_columns(raw.columns)
>>> cols["learner"], cols["item"], cols["timestamp"], cols["score"]
('case:concept:name', 'concept:name', 'time:timestamp', 'score')
>>> batch = validate_frame(raw, cols, source="demo")
>>> batch.learner.tolist(), batch.rejects["reason"].tolist()
(['a'], ['missing_learner', 'score_out_of_range'])
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ParameterError, TraceFormatError
from ..traces import REJECT_COLUMNS
from .batch import Batch, make_rejects
from .timestamps import MISSING, NAIVE, OK, UNPARSEABLE, parse_timestamps

__all__ = ["resolve_columns", "validate_frame", "iter_frame_batches", "iter_csv_batches",
           "iter_parquet_batches", "CANDIDATES", "CHECKS", "DEFAULT_CHUNKSIZE"]

DEFAULT_CHUNKSIZE = 1_000_000

#: Column names recognised for each canonical field when the caller names none (case-insensitive).
CANDIDATES = {
    "learner": ("learner", "case:concept:name", "learner_id", "user_id", "userid", "user", "username",
                "student_id", "student", "id_student", "actor"),
    "item": ("item", "concept:name", "item_id", "activity", "resource", "id_site", "object", "problem_id",
             "video_id"),
    "timestamp": ("timestamp", "time:timestamp", "time", "datetime", "date_time", "event_time", "ts"),
    "score": ("score", "success", "correct", "outcome:score"),
    "duration": ("duration", "duration_s", "elapsed", "time_spent"),
}
REQUIRED = ("learner", "item", "timestamp")

#: Row checks in priority order (the first failing one is the row's reason).
CHECKS = ("missing_learner", "missing_item", "missing_timestamp", "bad_timestamp", "naive_timestamp",
          "bad_score", "score_out_of_range", "bad_duration")

_TRUE = {"true", "yes", "t", "y", "passed", "pass", "success", "correct"}
_FALSE = {"false", "no", "f", "n", "failed", "fail", "failure", "incorrect"}


def resolve_columns(columns, *, learner=None, item=None, timestamp=None, score=None, duration=None,
                    source: str = "input") -> dict:
    """Map canonical fields to the table's column names; optional fields absent map to None.

    Raises :class:`TraceFormatError` naming the columns found when a required field has no column, and
    when a column named by the caller does not exist.
    """
    columns = [str(c) for c in columns]
    lower = {}
    for c in columns:
        lower.setdefault(c.lower(), c)
    given = {"learner": learner, "item": item, "timestamp": timestamp, "score": score, "duration": duration}
    out, missing = {}, []
    for field, name in given.items():
        if name is not None:
            if name not in columns:
                raise TraceFormatError(f"{source}: column {name!r} given for {field} does not exist; "
                                       f"columns found: {columns}")
            out[field] = name
            continue
        out[field] = next((lower[c] for c in CANDIDATES[field] if c in lower), None)
        if out[field] is None and field in REQUIRED:
            missing.append(field)
    if missing:
        raise TraceFormatError(
            f"{source}: no column for {', '.join(missing)}; columns found: {columns}. Name them with "
            + ", ".join(f"{m}=..." for m in missing) + " (recognised names: "
            + "; ".join(f"{m}: {', '.join(CANDIDATES[m][:4])}" for m in missing) + ")")
    taken = [v for v in out.values() if v is not None]
    if len(set(taken)) != len(taken):
        raise TraceFormatError(f"{source}: one column serves two fields: {out}")
    return out


def _arrow_text(col: pd.Series):
    """The column as an Arrow string array (cheap for pandas' Arrow-backed strings), or None."""
    try:
        arr = pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    return arr if pa.types.is_string(arr.type) else None


def _ids(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dictionary-encode ids: ``codes`` (int64, -1 when null), the distinct values as str, and a mask of
    missing ids (null, NaN or blank). Integral floats print as ints ("7", not "7.0").

    Only the distinct values are ever turned into Python strings, so millions of rows cost a few
    thousand objects.
    """
    if pd.api.types.is_float_dtype(col.dtype):
        vals = col.to_numpy(dtype="float64", na_value=np.nan)
        if np.all(np.mod(vals[~np.isnan(vals)], 1) == 0):
            col = pd.Series(pd.array(np.where(np.isnan(vals), 0, vals).astype(np.int64)).astype("str"))
            col[np.isnan(vals)] = None
    arr = _arrow_text(col)
    if arr is None:  # mixed Python objects: render each as text first
        arr = _arrow_text(col.astype("str"))
    enc = pc.dictionary_encode(arr)
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    cats = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    blank = np.array([not c.strip() for c in cats], dtype=bool)
    missing = (codes < 0) | (blank[codes] if len(cats) else np.zeros(len(codes), bool))
    return codes, cats, missing


def _categorical(codes: np.ndarray, cats: np.ndarray) -> pd.Categorical:
    """A categorical of the given codes over only the categories they use."""
    used = np.zeros(len(cats), dtype=bool)
    used[codes] = True
    remap = np.cumsum(used) - 1
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(cats[used], dtype=object))


def _numbers(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Floats and a mask of present-but-not-numeric values (missing ones are NaN, not bad)."""
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        return np.array(col.to_numpy(dtype="float64", na_value=np.nan)), np.zeros(len(col), bool)
    arr = _arrow_text(col)
    if arr is not None:
        try:  # the common case, clean numeric text, converts in one vectorised cast
            num = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
            return np.array(num, dtype=np.float64), np.zeros(len(col), bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    text = col.astype("str").str.strip()
    blank = (col.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    low = text.str.lower()
    num = np.array(pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype="float64",
                                                                      na_value=np.nan))
    is_true = low.isin(_TRUE).to_numpy(dtype=bool, na_value=False)
    is_false = low.isin(_FALSE).to_numpy(dtype=bool, na_value=False)
    num[is_true], num[is_false] = 1.0, 0.0
    bad = np.isnan(num) & ~blank & ~low.isin({"nan", "na", "null", "none"}).to_numpy(dtype=bool,
                                                                                       na_value=False)
    return num, bad


def validate_frame(frame: pd.DataFrame, columns: dict, *, source: str = "input", row_offset: int = 0,
                   rows=None, naive_timestamps=None, timestamp_format=None, timestamp_unit=None,
                   score_max=None) -> Batch:
    """Validate one chunk of a table; never modifies ``frame``.

    ``rows`` gives each row's position in its source (default ``row_offset + 0..n-1``). ``score_max``
    rescales scores (``score / score_max``, e.g. 100 for percentages) before the [0, 1] check.
    """
    n = len(frame)
    rows = np.arange(row_offset, row_offset + n, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
    learner_codes, learner_cats, no_learner = _ids(frame[columns["learner"]])
    item_codes, item_cats, no_item = _ids(frame[columns["item"]])
    ts_col = frame[columns["timestamp"]]
    ns, state = parse_timestamps(ts_col, naive_timestamps=naive_timestamps,
                                 timestamp_format=timestamp_format, timestamp_unit=timestamp_unit)
    if columns.get("score") is not None:
        score, bad_score = _numbers(frame[columns["score"]])
        if score_max is not None:
            score = score / float(score_max)
    else:
        score, bad_score = np.full(n, np.nan), np.zeros(n, bool)
    with np.errstate(invalid="ignore"):
        out_of_range = ~np.isnan(score) & ((score < 0) | (score > 1))
    if columns.get("duration") is not None:
        duration, bad_duration = _numbers(frame[columns["duration"]])
        with np.errstate(invalid="ignore"):
            bad_duration |= ~np.isnan(duration) & ((duration < 0) | ~np.isfinite(duration))
    else:
        duration, bad_duration = np.full(n, np.nan), np.zeros(n, bool)
    conditions = [no_learner, no_item, state == MISSING, state == UNPARSEABLE, state == NAIVE, bad_score,
                  out_of_range, bad_duration]
    failed = np.logical_or.reduce(conditions) if n else np.zeros(0, bool)
    ok = ~failed
    rejects = _rejects(frame, columns, source, rows, conditions, failed)
    return Batch(
        source=source, row=rows[ok],
        learner=_categorical(learner_codes[ok], learner_cats), item=_categorical(item_codes[ok], item_cats),
        timestamp=ns[ok], score=score[ok], duration=duration[ok], rejects=rejects, n_read=n,
        n_naive=int(np.sum(state == NAIVE)), n_aware=int(np.sum(state == OK)),
    )


def _rejects(frame, columns, source, rows, conditions, failed) -> pd.DataFrame:
    idx = np.flatnonzero(failed)
    if not len(idx):
        return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row" else object) for c in REJECT_COLUMNS})
    reason = np.select([c[idx] for c in conditions], list(CHECKS), default="")
    detail = np.empty(len(idx), dtype=object)
    shown = {
        "missing_learner": ("learner", "blank {col}"), "missing_item": ("item", "blank {col}"),
        "missing_timestamp": ("timestamp", "blank {col}"),
        "bad_timestamp": ("timestamp", "{col} {val} cannot be parsed"),
        "naive_timestamp": ("timestamp", "{col} {val} has no UTC offset; pass naive_timestamps='utc'"),
        "bad_score": ("score", "{col} {val} is not a number"),
        "score_out_of_range": ("score", "{col} {val} outside [0, 1]"),
        "bad_duration": ("duration", "{col} {val} is not a non-negative number"),
    }
    for code, (field, template) in shown.items():
        sel = reason == code
        if not sel.any():
            continue
        col = columns[field]
        vals = frame[col].iloc[idx[sel]].astype(str).map(repr).to_numpy(dtype=object)
        detail[sel] = [template.format(col=col, val=v) for v in vals]
    return pd.DataFrame({
        "source": pd.Series(np.full(len(idx), source, dtype=object), dtype=object),
        "row": rows[idx].astype(np.int64),
        "reason": pd.Series(reason.astype(object), dtype=object),
        "detail": pd.Series(detail, dtype=object),
    })


def iter_frame_batches(frame: pd.DataFrame, *, chunksize=None, source="DataFrame", columns=None,
                       **options):
    """Validate an in-memory DataFrame, optionally in slices of ``chunksize`` rows."""
    cols = columns or resolve_columns(frame.columns, source=source, **_col_args(options))
    opts = _validation_args(options)
    step = len(frame) if not chunksize else _chunksize(chunksize)
    for start in range(0, max(len(frame), 1), max(step, 1)):
        yield validate_frame(frame.iloc[start:start + step], cols, source=source, row_offset=start, **opts)


def _chunksize(chunksize):
    if not isinstance(chunksize, (int, np.integer)) or isinstance(chunksize, bool) or chunksize < 1:
        raise ParameterError(f"chunksize must be a positive integer, got {chunksize!r}")
    return int(chunksize)


def _col_args(options):
    return {k: options.get(k) for k in ("learner", "item", "timestamp", "score", "duration")}


def _validation_args(options):
    return {k: options.get(k) for k in ("naive_timestamps", "timestamp_format", "timestamp_unit",
                                        "score_max")}


def _check_file(path: Path) -> None:
    if not path.exists():
        raise TraceFormatError(f"no such file: {path}")
    if path.is_dir():
        raise TraceFormatError(f"{path} is a directory, not a file")
    if path.stat().st_size == 0:
        raise TraceFormatError(f"{path} is empty")


def _sniff_delimiter(path: Path) -> str:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        head = fh.readline()
    if path.name.endswith((".tsv", ".tsv.gz")):
        return "\t"
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def iter_csv_batches(path, *, chunksize=None, delimiter=None, encoding="utf-8", engine="auto", **options):
    """Stream a delimited text file (optionally gzip-compressed) as validated batches.

    The file is parsed by Arrow's streaming CSV reader (multi-threaded, one block of about ``chunksize``
    rows at a time). Should a row have the wrong number of fields, or Arrow fail on the text, the file
    is read again with pandas' C parser, which reports such rows with their line number: rows with too
    many fields are rejected as ``malformed_row``; rows with too few read the missing cells as blank,
    which the checks then report. Both engines give the same result (``engine="arrow"`` / ``"pandas"``
    forces one; a test checks they agree). Batches are yielded once the file has been scanned, so a
    fallback never has to retract any; they are compact (codes and numbers), the raw text is not kept.
    """
    if engine not in ("auto", "arrow", "pandas"):
        raise ParameterError(f"engine must be 'auto', 'arrow' or 'pandas', got {engine!r}")
    path = Path(path)
    _check_file(path)
    source = str(path)
    delimiter = delimiter or _sniff_delimiter(path)
    try:
        header = pd.read_csv(path, nrows=0, sep=delimiter, encoding=encoding)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise TraceFormatError(f"{source}: not a readable CSV file ({exc})") from exc
    cols = resolve_columns(header.columns, source=source, **_col_args(options))
    opts = _validation_args(options)
    size = _chunksize(chunksize or DEFAULT_CHUNKSIZE)
    if engine != "pandas" and encoding.lower().replace("-", "") in ("utf8", "ascii"):
        batches = _arrow_csv_batches(path, source, delimiter, cols, opts, size)
        if batches is not None:
            yield from batches
            return
        if engine == "arrow":
            raise TraceFormatError(f"{source}: rows with the wrong number of fields; read with engine='auto'"
                                   " to have them reported with their line numbers")
    yield from _pandas_csv_batches(path, source, delimiter, encoding, header, cols, opts, size)


def _block_size(path: Path, rows: int) -> int:
    from .jsonlines import open_text

    with open_text(path) as fh:
        head = fh.read(1 << 16)
    per_line = max(len(head.encode("utf-8", "replace")) / max(head.count("\n"), 1), 8.0)
    return int(min(max(rows * per_line, 1 << 20), 1 << 30))


def _arrow_csv_batches(path, source, delimiter, cols, opts, size):
    """All batches via Arrow's streaming reader, or None when a row is malformed or Arrow gives up."""
    import pyarrow.csv as pcsv

    used = [c for c in cols.values() if c is not None]
    invalid = []

    def on_invalid(row):
        invalid.append(row)
        return "skip"

    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=_block_size(path, size)),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
            # every used column stays text: "007" is not 7, timestamps keep their offsets, and a bad score
            # is reported as written (so chunking cannot change a detail); only "" is missing, as in pandas
            convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in used},
                                                include_columns=used, null_values=[""],
                                                strings_can_be_null=True))
        batches, offset = [], 0
        for record_batch in reader:
            if invalid:
                return None
            frame = record_batch.to_pandas()
            batches.append(validate_frame(frame, cols, source=source, row_offset=offset, **opts))
            offset += len(frame)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError):
        return None
    if invalid:
        return None
    if not batches:
        empty = pd.DataFrame({c: pd.Series([], dtype="str") for c in used})
        batches.append(validate_frame(empty, cols, source=source, **opts))
    return batches


def _pandas_csv_batches(path, source, delimiter, encoding, header, cols, opts, size):
    used = [c for c in cols.values() if c is not None]
    dtypes = {c: "str" for c in used}
    try:
        reader = pd.read_csv(path, sep=delimiter, encoding=encoding, dtype=dtypes, keep_default_na=False,
                             na_values=[""], chunksize=size, on_bad_lines="warn")
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise TraceFormatError(f"{source}: not a readable CSV file ({exc})") from exc
    # The C parser reports rows with too many fields only as warnings naming their line; they are caught
    # and turned into rejects. (``usecols`` is not used because it silently accepts such rows.)
    bad_data_rows: list[int] = []
    offset = 0
    chunks = iter(reader)
    while True:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            try:
                chunk = next(chunks)
            except StopIteration:
                chunk = None
            except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise TraceFormatError(f"{source}: CSV cannot be parsed after data row {offset} ({exc})"
                                       ) from exc
        malformed = _malformed(caught)
        bad_data_rows.extend(line - 2 for line, _ in malformed)
        bad = make_rejects(source, [line - 2 for line, _ in malformed], "malformed_row",
                           [f"line {line}: {msg}" for line, msg in malformed])
        if chunk is None:
            if len(bad):
                yield Batch.from_columns(source, [], [], [], [], [], [], rejects=bad)
            elif offset == 0:
                yield validate_frame(header, cols, source=source, **opts)
            break
        # position among all data rows, counting the malformed ones skipped before each parsed row
        parsed = np.arange(offset, offset + len(chunk), dtype=np.int64)
        skipped = np.asarray(sorted(bad_data_rows), dtype=np.int64)
        rows = parsed + np.searchsorted(skipped - np.arange(len(skipped)), parsed, side="right")
        batch = validate_frame(chunk[used], cols, source=source, rows=rows, **opts)
        if len(bad):
            batch.rejects = pd.concat([bad, batch.rejects], ignore_index=True).sort_values(
                "row", kind="stable", ignore_index=True)
            batch.n_read += len(bad)
        offset += len(chunk)
        yield batch


_WARNED = re.compile(r"Skipping line (\d+): (.*)")


def _malformed(caught) -> list[tuple[int, str]]:
    out = []
    for w in caught:
        for line in str(w.message).splitlines():
            m = _WARNED.match(line.strip())
            if m:
                out.append((int(m.group(1)), m.group(2)))
            elif line.strip():  # another parser warning: surface it rather than lose it
                warnings.warn(line, pd.errors.ParserWarning, stacklevel=3)
    return out


def iter_parquet_batches(path, *, chunksize=None, **options):
    """Stream a Parquet file row group by row group (or by ``chunksize`` rows) as validated batches."""
    import pyarrow.parquet as pq

    path = Path(path)
    _check_file(path)
    source = str(path)
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for non-parquet bytes
        raise TraceFormatError(f"{source}: not a Parquet file ({exc})") from exc
    names = pf.schema_arrow.names
    cols = resolve_columns(names, source=source, **_col_args(options))
    opts = _validation_args(options)
    used = [c for c in cols.values() if c is not None]
    offset = 0
    size = _chunksize(chunksize) if chunksize else DEFAULT_CHUNKSIZE
    for record_batch in pf.iter_batches(batch_size=size, columns=used):
        chunk = record_batch.to_pandas()
        yield validate_frame(chunk, cols, source=source, row_offset=offset, **opts)
        offset += len(chunk)
    if offset == 0:
        empty = pf.schema_arrow.empty_table().to_pandas()
        yield validate_frame(empty, cols, source=source, **opts)


def file_size(path) -> int:
    """Size in bytes (used for progress reporting)."""
    return os.stat(path).st_size
