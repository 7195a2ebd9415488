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
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import ParameterError, TraceFormatError
from poem.importers.batch import make_rejects
from poem.importers.files import check_file, open_text
from poem.importers.tabular import _chunksize, _col_args, _validation_args, resolve_columns, validate_frame

__all__ = ["iter_json_records", "iter_jsonl_batches", "sniff_json_kind", "record_kind", "json_id", "json_scalar",
           "json_length", "open_text", "RecordChunk", "DEFAULT_JSON_CHUNKSIZE"]

DEFAULT_JSON_CHUNKSIZE = 100_000


@dataclass
class RecordChunk:
    """Parsed JSON objects of one chunk, their line numbers, and the chunk's malformed lines."""

    records: list
    lines: np.ndarray
    rejects: pd.DataFrame
    n_read: int


#: the header Python's ``logging`` puts before each event in a Tutor/devstack ``tracking.log``
#: (``2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - {...}``)
_LOG_PREFIX = re.compile(rb"^\s*\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?[^{\n]*? - (?=[{\[])")
_BOM = b"\xef\xbb\xbf"


def _check_encoding(encoding: str) -> str:
    import codecs

    try:
        return codecs.lookup(encoding).name
    except (LookupError, TypeError) as exc:
        raise ParameterError(f"encoding {encoding!r} is not a known text encoding; try 'utf-8', "
                             "'latin-1' or 'cp1252'") from exc


def _ascii_compatible(encoding: str) -> bool:
    try:
        return "\n{[#".encode(encoding) == b"\n{[#"
    except (LookupError, UnicodeError):
        return False


def _open_binary(path: Path):
    """The file's bytes, transparently decompressing gzip (by magic number, whatever the suffix)."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _lines(path: Path, encoding: str):
    """``(line_number, bytes)`` of the file; a non-ASCII-compatible encoding (UTF-16...) is decoded first,
    strictly, and re-encoded as UTF-8."""
    if _ascii_compatible(encoding):
        with _open_binary(path) as fh:
            yield from enumerate(fh, start=1)
        return
    with open_text(path, encoding, errors="strict") as fh:
        for n, text in enumerate(fh, start=1):
            yield n, text.encode("utf-8")


def _strip(raw: bytes, lineno: int) -> bytes:
    """The line without a byte-order mark and without a header before its JSON object: the Python
    logging header of a Tutor ``tracking.log``, or any other prefix (syslog's ``Nov 29 10:00:00 host
    lms: ``) ending where the object begins; comment lines (``#``) are left whole."""
    if lineno == 1 and raw.startswith(_BOM):
        raw = raw[3:]
    first = raw[:1]
    if first == b"{" or first == b"[":
        return raw
    if first.isdigit() or first.isspace():  # a logging header before the event (Tutor tracking.log)
        m = _LOG_PREFIX.match(raw)
        if m:
            return raw[m.end():]
    head = raw.lstrip()[:1]
    if head and head not in b"{[#":
        k = raw.find(b"{")
        if k > 0 and raw.rstrip().endswith(b"}"):
            return raw[k:]
    return raw


def _parse_line(raw: bytes, lineno: int, encoding: str):
    """``(record, None)`` or ``(None, (reason, detail))`` for one line."""
    try:
        text = raw.decode(encoding) if encoding != "utf-8" else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, ("bad_encoding", f"line {lineno}: byte {raw[exc.start:exc.start + 1]!r} at column "
                                      f"{exc.start + 1} is not {encoding}; pass encoding= (--encoding) if "
                                      "the file is written in another one")
    if text.lstrip().startswith("#"):
        return None, ("malformed_json", f"line {lineno}: a comment line, not an event")
    try:
        return json.loads(text), None
    except RecursionError:
        return None, ("malformed_json", f"line {lineno}: JSON nested too deeply to be an event")
    except ValueError as exc:
        return None, ("malformed_json", f"line {lineno}: {exc}")


def _head(path: Path, encoding: str = "utf-8", limit: int = 200):
    """The first ``limit`` non-blank, non-comment lines (prefix and BOM stripped) as text."""
    out = []
    for lineno, raw in _lines(path, encoding):
        raw = _strip(raw, lineno).strip()
        if not raw or raw.startswith(b"#"):
            continue
        out.append(raw.decode(encoding, errors="replace"))
        if len(out) >= limit:
            break
    return out


def _first_char(path: Path, encoding: str = "utf-8") -> str:
    head = _head(path, encoding, limit=1)
    return head[0][0] if head else ""


def _is_document(path: Path, encoding: str):
    """How the file holds its JSON: ``"document"`` (an array, or an LRS response
    ``{"statements": [...], "more": ...}``: read whole), ``"maybe"`` (the first line is not JSON on its own:
    a pretty-printed object, or JSON Lines whose first line is broken) or ``""`` (JSON Lines)."""
    head = _head(path, encoding, limit=1)
    if not head:
        return ""
    first = head[0]
    if first.startswith("["):
        return "document"
    try:
        rec = json.loads(first)
    except (ValueError, RecursionError):
        return "maybe"
    if isinstance(rec, dict) and (isinstance(rec.get("statements"), list)
                                  or ("sensor" in rec and isinstance(rec.get("data"), list))):
        return "document"  # an LRS response or a Caliper envelope on one line
    return ""


def _documents(path, source, size, encoding):
    """The chunks of a whole-document file, or None when it is JSON Lines after all."""
    kind = _is_document(path, encoding)
    if not kind:
        return None
    try:
        return list(_document_chunks(path, source, size, encoding))
    except TraceFormatError as exc:
        # JSON Lines with a broken (or too deeply nested) first line: read line by line, reporting it
        if kind == "maybe" or getattr(exc, "nested", False):
            return None
        raise


def sniff_json_kind(path, encoding: str = "utf-8") -> str:
    """``"xapi"``, ``"edx"``, ``"caliper"`` or ``"jsonl"`` from the first parseable record of a JSON file."""
    path = Path(path)
    check_file(path)
    encoding = _check_encoding(encoding)
    try:
        first = _first_char(path, encoding)
        if first == "":
            raise TraceFormatError(f"{path} holds no records (only blank or comment lines)")
        if first not in "[{":
            raise TraceFormatError(f"{path} is not JSON (starts with {first!r}); pass format= if it is a table")
        chunks = _documents(path, str(path), 50, encoding)
        if chunks is not None:
            records = chunks[0].records if chunks else []
        else:
            records = []
            for text in _head(path, encoding):
                try:
                    records.append(json.loads(text))
                except (ValueError, RecursionError):
                    continue
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeError) as exc:
        raise TraceFormatError(f"{path} cannot be read ({exc})") from exc
    for rec in records:
        if isinstance(rec, dict):
            return record_kind(rec)
    raise TraceFormatError(f"{path}: none of its first records is a JSON object")


def json_id(value):
    """An id read from JSON as text: strings as they are, integral numbers without ``.0``, an object's
    ``id`` (or ``name``) field; ``""`` when absent; None when it cannot be an id (an array, an object
    with neither field, a boolean), so that the row is rejected rather than keyed by its repr.

    >>> json_id("ann"), json_id(7), json_id({"id": "u1", "x": 1}), json_id(None), json_id([1])
    ('ann', '7', 'u1', '', None)
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else (repr(value) if value == value else "")
    if isinstance(value, dict):
        for key in ("id", "name"):
            inner = value.get(key)
            if isinstance(inner, (str, int)) and not isinstance(inner, bool) and inner != "":
                return str(inner)
    return None


def json_length(value) -> float:
    """A finite non-negative float (seconds, positions, shares) from a JSON number or numeric string, else
    NaN: booleans, objects, negative or infinite values say nothing about a video.

    >>> json_length(12), json_length("3.5"), json_length(True), json_length(-1.0), json_length({"a": 1})
    (12.0, 3.5, nan, nan, nan)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return np.nan
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return np.nan
    return v if np.isfinite(v) and v >= 0 else np.nan


def json_scalar(value):
    """``value`` unless it is a JSON object or array, which becomes a short text naming it: a timestamp
    or score given as a nested structure is then rejected with a readable detail, and never rendered
    with ``repr`` (which recurses past Python's limit on deeply nested values).

    >>> json_scalar("2024-01-01"), json_scalar(0.5), json_scalar([[1]])
    ('2024-01-01', 0.5, '<a JSON array>')
    """
    if isinstance(value, dict):
        return "<a JSON object>"
    if isinstance(value, list):
        return "<a JSON array>"
    return value


def record_kind(rec: dict) -> str:
    """The format a JSON record belongs to: ``"xapi"``, ``"caliper"``, ``"edx"`` or ``"jsonl"``."""
    if "actor" in rec and "verb" in rec:
        return "xapi"
    if "@context" in rec and "action" in rec and "actor" in rec or str(rec.get("type", "")).endswith(
            ("AssessmentItemEvent", "MediaEvent", "GradeEvent")):
        return "caliper"
    if ("event_type" in rec or ("context" in rec and ("event" in rec or "data" in rec))
            or ("properties" in rec and "event" in rec)):
        return "edx"
    return "jsonl"


def iter_json_records(path, chunksize=None, encoding: str = "utf-8"):
    """Yield :class:`RecordChunk` s of ``chunksize`` lines (JSON Lines) or of elements (whole documents).

    Lines that are not UTF-8 (or ``encoding``) are rejected as ``bad_encoding`` with their line number;
    a byte-order mark and a Python logging header before each event (Tutor ``tracking.log``) are
    stripped; lines too deeply nested to parse are ``malformed_json``.
    """
    path = Path(path)
    check_file(path)
    encoding = _check_encoding(encoding)
    size = _chunksize(chunksize) if chunksize is not None else DEFAULT_JSON_CHUNKSIZE
    source = str(path)
    try:
        chunks = _documents(path, source, size, encoding)
        if chunks is not None:
            yield from chunks
            return
        records, lines, bad_rows, bad_reasons, bad_details = [], [], [], [], []
        n_read = 0
        for lineno, raw in _lines(path, encoding):
            raw = _strip(raw, lineno)
            if not raw.strip():
                continue
            n_read += 1
            rec, bad = _parse_line(raw, lineno, encoding)
            if bad is None and not isinstance(rec, dict):
                bad = ("malformed_json", f"line {lineno}: a JSON {type(rec).__name__}, not an object")
            if bad is None:
                records.append(rec)
                lines.append(lineno)
            else:
                bad_rows.append(lineno)
                bad_reasons.append(bad[0])
                bad_details.append(bad[1])
            if n_read == size:
                yield RecordChunk(records, np.asarray(lines, np.int64),
                                  make_rejects(source, bad_rows, np.asarray(bad_reasons, dtype=object),
                                               bad_details), n_read)
                records, lines, bad_rows, bad_reasons, bad_details, n_read = [], [], [], [], [], 0
        if n_read:
            yield RecordChunk(records, np.asarray(lines, np.int64),
                              make_rejects(source, bad_rows, np.asarray(bad_reasons, dtype=object),
                                           bad_details), n_read)
    except UnicodeError as exc:
        raise TraceFormatError(f"{source} is not {encoding} ({exc}); pass encoding= (--encoding) with the "
                               "encoding it was written in") from exc
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TraceFormatError(f"{source} cannot be read ({exc})") from exc


def _document_values(text: str, source: str):
    """The JSON values of ``text`` (one document, or several written one after the other)."""
    decoder = json.JSONDecoder()
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            return
        try:
            value, pos = decoder.raw_decode(text, pos)
        except RecursionError as exc:
            err = TraceFormatError(f"{source}: JSON nested too deeply to hold events")
            err.nested = True  # read line by line instead: each line is then read or rejected
            raise err from exc
        except ValueError as exc:
            what = "array" if text[pos:pos + 1] == "[" else "document"
            raise TraceFormatError(f"{source}: malformed JSON {what} ({exc})") from exc
        yield value


def _document_chunks(path, source, size, encoding="utf-8"):
    """Whole JSON documents: an array of records, an LRS response (its ``statements``), one object, or
    several of these one after the other; elements are numbered 1, 2, ... across them."""
    with _open_binary(path) as fh:
        data = fh.read()
    if data.startswith(_BOM):
        data = data[3:]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TraceFormatError(f"{source}: line {line} holds bytes that are not {encoding} (a JSON document "
                               "is read whole, so it cannot be read around them); pass encoding= "
                               "(--encoding) with the encoding it was written in") from exc
    elements = []
    for value in _document_values(text, source):
        if isinstance(value, list):
            elements.extend(value)
        elif isinstance(value, dict) and isinstance(value.get("statements"), list):
            elements.extend(value["statements"])  # an LRS response page
        elif isinstance(value, dict) and "sensor" in value and isinstance(value.get("data"), list):
            elements.extend(value["data"])  # a Caliper envelope
        else:
            elements.append(value)
    for start in range(0, max(len(elements), 1), size):
        part = elements[start:start + size]
        ok = [k for k, r in enumerate(part) if isinstance(r, dict)]
        bad = [k for k, r in enumerate(part) if not isinstance(r, dict)]
        yield RecordChunk([part[k] for k in ok], np.asarray(ok, np.int64) + start + 1,
                          make_rejects(source, np.asarray(bad, np.int64) + start + 1, "malformed_json",
                                       [f"element {start + k + 1}: a JSON {type(part[k]).__name__}, not an "
                                        "object" for k in bad]), len(part))


def _nested_values(frame, chunk, cols, source):
    """Ids given as JSON objects become their ``id``/``name`` field; a row holding an object or array
    that cannot be read (an id without either field, a nested score or time) is rejected as
    ``bad_record``, never keyed by its repr (which could also recurse past Python's limit)."""
    bad = np.zeros(len(frame), dtype=bool)
    details = [None] * len(frame)
    for field, col in cols.items():
        if col is None or frame[col].dtype != object:
            continue
        values = frame[col].to_numpy(dtype=object)
        nested = np.fromiter((isinstance(v, (dict, list)) for v in values), dtype=bool, count=len(values))
        if not nested.any():
            continue
        values = values.copy()
        for k in np.flatnonzero(nested):
            got = json_id(values[k]) if field in ("learner", "item") else None
            if got:
                values[k] = got
            else:
                bad[k] = True
                details[k] = details[k] or (f"line {chunk.lines[k]}: {col} is a JSON "
                                            f"{type(values[k]).__name__} without an id or name")
                values[k] = None
        frame = frame.assign(**{col: pd.Series(values, index=frame.index, dtype=object)})
    if not bad.any():
        return frame, chunk
    rej = make_rejects(source, chunk.lines[bad], "bad_record", [d for d, b in zip(details, bad) if b])
    keep = ~bad
    chunk = RecordChunk([r for r, k in zip(chunk.records, keep) if k], chunk.lines[keep],
                        pd.concat([chunk.rejects, rej], ignore_index=True), chunk.n_read)
    return frame[keep].reset_index(drop=True), chunk


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
    for chunk in iter_json_records(path, chunksize, encoding=options.get("encoding") or "utf-8"):
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
        frame, chunk = _nested_values(frame, chunk, cols, source)
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
