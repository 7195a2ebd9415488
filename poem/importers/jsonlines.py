"""JSON Lines, read in chunks with line numbers, and flat JSON records as a table of events.

:func:`iter_json_records` streams a file (plain or ``.gz``) ``chunksize`` lines at a time and parses each
line on its own, so a malformed line is reported (reason ``malformed_json``, its 1-based line number, the
parser's message) and the rest of the file is still read. Blank lines are not records and are not counted.
A file whose first non-blank character is ``[`` is a JSON array (xAPI exports); it has to be parsed whole
and its elements are numbered 1, 2, ... in place of line numbers.

:func:`iter_jsonl_batches` reads flat records with the column rules of :mod:`poem.importers.tabular`.

Examples
--------
>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as d:
...     path = os.path.join(d, "e.jsonl")
...     with open(path, "w") as fh:
...         _ = fh.write('{"learner": "a", "item": "x", "timestamp": "2024-01-01T00:00:00Z"}\\n')
...         _ = fh.write('{"learner": "b", "item": \\n')
...     chunk = next(iter_json_records(path))
...     [r["learner"] for r in chunk.records], chunk.lines.tolist(), chunk.rejects["reason"].tolist()
(['a'], [1], ['malformed_json'])
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import TraceFormatError
from poem.importers.batch import make_rejects
from poem.importers.files import check_file, open_text
from poem.importers.tabular import _chunksize, _col_args, _validation_args, resolve_columns, validate_frame

__all__ = ["iter_json_records", "iter_jsonl_batches", "sniff_json_kind", "open_text", "RecordChunk",
           "DEFAULT_JSON_CHUNKSIZE"]

DEFAULT_JSON_CHUNKSIZE = 100_000


@dataclass
class RecordChunk:
    """Parsed JSON objects of one chunk, their line numbers, and the chunk's malformed lines."""

    records: list
    lines: np.ndarray
    rejects: pd.DataFrame
    n_read: int


def _first_char(path: Path) -> str:
    with open_text(path) as fh:
        for line in fh:
            stripped = line.strip()
            if stripped:
                return stripped[0]
    return ""


def sniff_json_kind(path) -> str:
    """``"xapi"``, ``"edx"`` or ``"jsonl"`` from the first parseable record of a JSON file."""
    path = Path(path)
    check_file(path)
    try:
        first = _first_char(path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TraceFormatError(f"{path} cannot be read ({exc})") from exc
    if first == "":
        raise TraceFormatError(f"{path} holds no records (only blank lines)")
    if first not in "[{":
        raise TraceFormatError(f"{path} is not JSON (starts with {first!r}); pass format= if it is a table")
    if first == "[":
        return "xapi"
    with open_text(path) as fh:
        for n, line in enumerate(fh):
            if n > 200:
                break
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                if "actor" in rec and "verb" in rec:
                    return "xapi"
                if "event_type" in rec or ("context" in rec and "event" in rec):
                    return "edx"
                return "jsonl"
    raise TraceFormatError(f"{path}: none of its first lines is a JSON object")


def iter_json_records(path, chunksize=None):
    """Yield :class:`RecordChunk` s of ``chunksize`` lines (JSON Lines) or one chunk (a JSON array)."""
    path = Path(path)
    check_file(path)
    size = _chunksize(chunksize) if chunksize is not None else DEFAULT_JSON_CHUNKSIZE
    source = str(path)
    try:
        if _first_char(path) == "[":
            yield from _array_chunks(path, source, size)
            return
        with open_text(path) as fh:
            records, lines, bad_rows, bad_details = [], [], [], []
            n_read = 0
            for lineno, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                n_read += 1
                try:
                    rec = json.loads(text)
                except ValueError as exc:
                    bad_rows.append(lineno)
                    bad_details.append(f"line {lineno}: {exc}")
                else:
                    if isinstance(rec, dict):
                        records.append(rec)
                        lines.append(lineno)
                    else:
                        bad_rows.append(lineno)
                        bad_details.append(f"line {lineno}: a JSON {type(rec).__name__}, not an object")
                if n_read == size:
                    yield RecordChunk(records, np.asarray(lines, np.int64),
                                      make_rejects(source, bad_rows, "malformed_json", bad_details), n_read)
                    records, lines, bad_rows, bad_details, n_read = [], [], [], [], 0
            if n_read:
                yield RecordChunk(records, np.asarray(lines, np.int64),
                                  make_rejects(source, bad_rows, "malformed_json", bad_details), n_read)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TraceFormatError(f"{source} cannot be read ({exc})") from exc


def _array_chunks(path, source, size):
    with open_text(path) as fh:
        try:
            data = json.load(fh)
        except ValueError as exc:
            raise TraceFormatError(f"{source}: malformed JSON array ({exc})") from exc
    if not isinstance(data, list):
        raise TraceFormatError(f"{source}: expected a JSON array of statements, got a {type(data).__name__}")
    for start in range(0, max(len(data), 1), size):
        part = data[start:start + size]
        ok = [k for k, r in enumerate(part) if isinstance(r, dict)]
        bad = [k for k, r in enumerate(part) if not isinstance(r, dict)]
        yield RecordChunk([part[k] for k in ok], np.asarray(ok, np.int64) + start + 1,
                          make_rejects(source, np.asarray(bad, np.int64) + start + 1, "malformed_json",
                                       [f"element {start + k + 1}: a JSON {type(part[k]).__name__}, not an "
                                        "object" for k in bad]), len(part))


def iter_jsonl_batches(path, *, chunksize=None, **options):
    """Flat JSON records (one event per line) as validated batches; rows are 1-based line numbers.

    Columns are resolved on the first chunk that holds records; later records lacking a key read it as
    blank (and are rejected if it is a required field).
    """
    from poem.importers.batch import Batch

    source = str(path)
    cols = None
    opts = _validation_args(options)
    pending = []  # lines of empty objects ({}) read before any record named a column
    for chunk in iter_json_records(path, chunksize):
        frame = pd.DataFrame.from_records(chunk.records) if chunk.records else pd.DataFrame()
        if len(frame) != len(chunk.records):  # from_records gives no rows for objects that are all empty
            frame = pd.DataFrame(index=pd.RangeIndex(len(chunk.records)))
        if cols is None and len(frame.columns):
            cols = resolve_columns(frame.columns, source=source, **_col_args(options))
            if pending:  # rejected as they would have been in this chunk: the result ignores chunking
                blank = pd.DataFrame({c: pd.Series([None] * len(pending), dtype=object)
                                      for c in cols.values() if c is not None})
                yield validate_frame(blank, cols, source=source, rows=np.asarray(pending, np.int64), **opts)
                pending = []
        if cols is None:
            pending.extend(chunk.lines.tolist())  # every record of this chunk is an empty object
            yield Batch.from_columns(source, [], [], [], [], [], [], rejects=chunk.rejects,
                                     n_read=chunk.n_read - len(chunk.lines))
            continue
        used = [c for c in cols.values() if c is not None]
        frame = frame.reindex(columns=used)
        # values may be numbers or nested objects in some lines: validate them as text, like CSV cells
        frame = frame.astype(object).where(frame.notna(), None)
        batch = validate_frame(frame, cols, source=source, rows=chunk.lines, **opts)
        if len(chunk.rejects):
            batch.rejects = pd.concat([chunk.rejects, batch.rejects], ignore_index=True)
        batch.n_read = chunk.n_read
        yield batch
    if pending:  # no record named any column: the empty objects cannot be events
        yield Batch.from_columns(source, [], [], [], [], [], [], n_read=len(pending), rejects=make_rejects(
            source, pending, "missing_learner", [f"line {n}: an empty JSON object" for n in pending]))
