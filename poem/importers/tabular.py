"""Tables of events (DataFrame, CSV, Parquet) -> validated :class:`~poem.importers.batch.Batch` es.

Columns are found by the names given by the caller (``learner=``, ``item=``, ``timestamp=``, ``score=``,
``duration=``, in the style of pm4py's keys) or, failing that, among well-known names, compared without
regard to case: the benchmark format (``learner, item, timestamp, score``), pm4py/XES
(``case:concept:name``, ``concept:name``, ``time:timestamp``) and common platform spellings. A table
without a learner, item or timestamp column raises :class:`~poem.errors.TraceFormatError` naming the
columns it does have.

Validation is vectorised over whole columns; each row gets the first reason that applies, in the order of
:data:`CHECKS`. Ids are dictionary-encoded in Arrow, so only their distinct values ever become Python
strings. CSV files are streamed in blocks of about ``chunksize`` rows (default :data:`DEFAULT_CHUNKSIZE`)
and Parquet files in batches of ``chunksize`` rows, so the raw text is never held whole next to its
parsed form (see :func:`iter_csv_batches` for malformed records).

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
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poem.errors import ParameterError, TraceFormatError
from poem.traces import REJECT_COLUMNS
from poem.importers.batch import Batch, make_rejects
from poem.importers.files import check_file, open_text, sniff_delimiter
from poem.importers.timestamps import MISSING, NAIVE, OK, UNPARSEABLE, parse_timestamps

__all__ = ["resolve_columns", "validate_frame", "scope_item", "scope_items", "iter_frame_batches", "iter_csv_batches",
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
    "course": ("course_id", "course", "course_key", "context.course_id"),
}
REQUIRED = ("learner", "item", "timestamp")

#: Row checks in priority order (the first failing one is the row's reason).
CHECKS = ("missing_learner", "missing_item", "bad_id", "missing_timestamp", "bad_timestamp", "naive_timestamp",
          "bad_score", "score_out_of_range", "bad_duration", "other_course")

_TRUE = {"true", "yes", "t", "y", "passed", "pass", "success", "correct"}
_FALSE = {"false", "no", "f", "n", "failed", "fail", "failure", "incorrect"}


def resolve_columns(columns, *, learner=None, item=None, timestamp=None, score=None, duration=None,
                    course_column=None, source: str = "input") -> dict:
    """Map canonical fields to the table's column names; optional fields absent map to None.

    ``course`` (the course of each event; ``course_column=`` or a recognised name such as ``course_id``)
    is optional: with it, items are made unique within their course (:func:`scope_items`).

    Raises :class:`TraceFormatError` naming the columns found when a required field has no column, and
    when a column named by the caller does not exist.
    """
    columns = [str(c) for c in columns]
    lower = {}
    for c in columns:
        lower.setdefault(c.lower(), c)
    given = {"learner": learner, "item": item, "timestamp": timestamp, "score": score, "duration": duration,
             "course": course_column}
    out, missing = {}, []
    for field, name in given.items():
        if name is not None:
            if name not in columns:
                raise TraceFormatError(f"{source}: column {name!r} given for {field} does not exist; "
                                       f"columns found: {columns}")
            out[field] = name
            continue
        out[field] = next((lower[c] for c in CANDIDATES[field] if c in lower), None)
        if out[field] is not None:
            twins = [c for c in columns if c.lower() == out[field].lower()]
            if len(twins) > 1:  # "Score" and "score": choosing one silently could drop the right one
                flag = "course_column" if field == "course" else field
                raise TraceFormatError(f"{source}: columns {twins} could each be the {field}; name the right "
                                       f"one with {flag}=... (--{flag.replace('_', '-')})")
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
    """The column as an Arrow string array (zero-copy for pandas' Arrow-backed strings), or None."""
    try:
        arr = pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if isinstance(arr, pa.ChunkedArray):  # a pandas column built by concatenation: one array for the kernels
        arr = arr.combine_chunks()
    if pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    # large_string (pandas' "str" dtype) is kept as is: casting it would copy every byte for nothing
    return arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


def _ids(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Dictionary-encode ids: ``codes`` (int32, -1 when null), the distinct values as str, a mask of
    missing ids (null, NaN or blank; None when there is none), and whether every value is known to occur
    (true of a dictionary built from the column; a categorical may carry unused categories). Integral
    floats print as ints ("7", not "7.0").

    Only the distinct values are ever turned into Python strings, so millions of rows cost a few
    thousand objects; the per-row work is one hash pass in Arrow.
    """
    if pd.api.types.is_float_dtype(col.dtype):
        vals = col.to_numpy(dtype="float64", na_value=np.nan)
        if np.all(np.mod(vals[~np.isnan(vals)], 1) == 0):
            col = pd.Series(pd.array(np.where(np.isnan(vals), 0, vals).astype(np.int64)).astype("str"))
            col[np.isnan(vals)] = None
    if isinstance(col.dtype, pd.CategoricalDtype):  # already encoded (Parquet dictionary columns, pm4py)
        codes = col.cat.codes.to_numpy().astype(np.int32)  # a copy: never share the caller's codes
        cats = col.cat.categories.astype("str").to_numpy(dtype=object)
        if len(set(cats)) != len(cats):  # categories 1 and "1" both print as "1": encode the text again
            return _ids(col.astype("str"))
        dense = False
    else:
        arr = _arrow_text(col)
        if arr is None:  # mixed Python objects: render each as text first
            arr = _arrow_text(col.astype("str"))
        enc = pc.dictionary_encode(arr)
        indices = enc.indices if enc.indices.null_count == 0 else pc.fill_null(enc.indices, -1)
        codes = indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
        cats = np.asarray(enc.dictionary.to_pylist(), dtype=object)
        dense = True
    blank = np.array([not c.strip() for c in cats], dtype=bool)
    has_null = bool(len(codes)) and int(codes.min()) < 0
    if not has_null and not blank.any():
        return codes, cats, None, dense  # nothing missing: no mask of n rows
    missing = codes < 0
    if blank.any():  # one gather over the rows only when some distinct value is blank
        missing |= blank[np.maximum(codes, 0)]
    return codes, cats, missing, dense


def _nul(codes: np.ndarray, cats: np.ndarray, mask=None):
    """Rows whose id holds a NUL character (Parquet and C strings would cut it there, merging ids), or'ed
    into ``mask``; None when there is none (checked on the distinct values only)."""
    bad = np.fromiter(("\x00" in c for c in cats), dtype=bool, count=len(cats))
    if not bad.any():
        return mask
    rows = bad[np.maximum(codes, 0)] & (codes >= 0)
    return rows if mask is None else rows | mask


def _categorical(codes: np.ndarray, cats: np.ndarray, dense: bool = False) -> pd.Categorical:
    """A categorical of the given codes over only the categories they use (all of them when ``dense``)."""
    if not dense:
        used = np.zeros(len(cats), dtype=bool)
        used[codes] = True
        if not used.all():  # rejected rows took some values with them: renumber the rest
            remap = (np.cumsum(used) - 1).astype(np.int32)
            codes, cats = remap[codes], cats[used]
    # the codes are valid by construction: skip pandas' range check over millions of rows
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object), validate=False)


def _numbers(col: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Floats and a mask of present-but-not-numeric values (missing ones are NaN, not bad); None for
    the mask when the column converted cleanly."""
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        return np.array(col.to_numpy(dtype="float64", na_value=np.nan)), None
    arr = _arrow_text(col)
    if arr is not None:
        try:  # the common case, clean numeric text, converts in one vectorised cast
            num = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
            return np.array(num, dtype=np.float64), None
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


def _outside(values: np.ndarray, *, upper_inclusive: bool):
    """Mask of values below 0 or above 1 (``upper_inclusive``: scores) or infinite (durations), NaN
    excepted; None when there is none, found with two reductions instead of four row masks."""
    if not len(values):
        return None
    with np.errstate(invalid="ignore"):
        lo, hi = np.fmin.reduce(values), np.fmax.reduce(values)  # NaN only when every value is NaN
        if np.isnan(lo) or (lo >= 0 and (hi <= 1 if upper_inclusive else hi < np.inf)):
            return None
        if upper_inclusive:
            return ~np.isnan(values) & ((values < 0) | (values > 1))
        return ~np.isnan(values) & ((values < 0) | ~np.isfinite(values))


def validate_frame(frame: pd.DataFrame, columns: dict, *, source: str = "input", row_offset: int = 0,
                   rows=None, naive_timestamps=None, timestamp_format=None, timestamp_unit=None,
                   score_max=None, course=None) -> Batch:
    """Validate one chunk of a table; never modifies ``frame``.

    ``rows`` gives each row's position in its source (default ``row_offset + 0..n-1``). ``score_max``
    rescales scores (``score / score_max``, e.g. 100 for percentages) before the [0, 1] check. With a
    ``course`` column in ``columns``, items are scoped by their course (:func:`scope_items`) and
    ``course=`` (course ids) rejects the rows of other courses as ``other_course``.
    """
    n = len(frame)
    # the caller's ``rows`` are copied: the batch keeps its arrays and must not share them
    rows = np.arange(row_offset, row_offset + n, dtype=np.int64) if rows is None else np.array(rows, np.int64)
    course_col = columns.get("course")
    if course is not None and course_col is None:
        raise TraceFormatError(f"{source}: course= (--course) needs a course column; none of "
                               f"{', '.join(CANDIDATES['course'])} is in the table: name it with course_column= "
                               "(--course-column)")
    item_col, item_course, other_course = frame[columns["item"]], None, None
    if course_col is not None:
        courses = pd.Series([_course_text(v) for v in frame[course_col].tolist()], index=frame.index,
                            dtype=object)
        item_col, item_course = scope_items(item_col, courses)
        if course is not None:
            wanted = {str(c) for c in ([course] if isinstance(course, str) else course)}
            other_course = ~courses.map(lambda c: c is not None and str(c) in wanted).to_numpy(dtype=bool)
    learner_codes, learner_cats, no_learner, learner_dense = _ids(frame[columns["learner"]])
    item_codes, item_cats, no_item, item_dense = _ids(item_col)
    ts_col = frame[columns["timestamp"]]
    ns, state = parse_timestamps(ts_col, naive_timestamps=naive_timestamps,
                                 timestamp_format=timestamp_format, timestamp_unit=timestamp_unit)
    # a column the table lacks is NaN throughout: a read-only broadcast, no memory (gathers skip it)
    absent = np.broadcast_to(np.float64(np.nan), (n,))
    if columns.get("score") is not None:
        score, bad_score = _numbers(frame[columns["score"]])
        if score_max is not None:
            score = score / float(score_max)
    else:
        score, bad_score = absent, None
    out_of_range = _outside(score, upper_inclusive=True)
    if columns.get("duration") is not None:
        duration, bad_duration = _numbers(frame[columns["duration"]])
        negative = _outside(duration, upper_inclusive=False)  # below 0 or infinite
        bad_duration = negative if bad_duration is None else (
            bad_duration if negative is None else bad_duration | negative)
    else:
        duration, bad_duration = absent, None
    # a check that no row fails is None: on a clean table most are, and no mask of n rows is built for them
    bad_state = [None, None, None] if not state.any() else [state == MISSING, state == UNPARSEABLE,
                                                              state == NAIVE]
    bad_id = _nul(learner_codes, learner_cats, _nul(item_codes, item_cats))
    conditions = [no_learner, no_item, bad_id, *bad_state, bad_score, out_of_range, bad_duration, other_course]
    present = [c for c in conditions if c is not None]
    failed = np.logical_or.reduce(present) if present and n else None
    if failed is not None and failed.any():
        conditions = [np.zeros(n, bool) if c is None else c for c in conditions]
        rejects = _rejects(frame, columns, source, rows, conditions, failed)
        ok = ~failed
        rows, learner_codes, item_codes = rows[ok], learner_codes[ok], item_codes[ok]
        ns, score, duration = ns[ok], score[ok], duration[ok]
        learner_dense = item_dense = False  # the rejected rows may have held the only use of a value
    else:  # every row is accepted: the arrays (fresh ones, none a view of ``frame``) are kept uncopied
        rejects = _rejects(frame, columns, source, rows, conditions, np.zeros(n, bool))
    # the raw ids of rejected rows too, so that a pseudonymised import can scrub them from the details
    seen = set(learner_cats.tolist()) if len(rejects) else None
    if item_course is not None:  # the course of every accepted item, for traces.item_info
        kept = set(item_cats[np.unique(item_codes[item_codes >= 0])].tolist()) if len(item_codes) else set()
        item_course = {i: c for i, c in item_course.items() if i in kept}
    batch = Batch(
        source=source, row=rows, seen_learners=seen,
        learner=_categorical(learner_codes, learner_cats, learner_dense),
        item=_categorical(item_codes, item_cats, item_dense),
        timestamp=ns, score=score, duration=duration, rejects=rejects, n_read=n,
        n_naive=int(np.count_nonzero(state == NAIVE)), n_aware=int(np.count_nonzero(state == OK)),
    )
    batch.item_course = item_course
    return batch


def scope_item(item, course: str):
    """``item`` made unique within ``course``: ids that already name their course run (``block-v1:``
    usage keys) are kept, others (bare video hashes, ``i4x://`` ids, which repeat across runs) are
    prefixed with the course id and ``/``.

    >>> scope_item("0b9e39477cf3", "course-v1:edX+DemoX+2T2016")
    'course-v1:edX+DemoX+2T2016/0b9e39477cf3'
    >>> scope_item("block-v1:edX+DemoX+2T2016+type@video+block@ab", "course-v1:edX+DemoX+2T2016")
    'block-v1:edX+DemoX+2T2016+type@video+block@ab'
    """
    if not course or not isinstance(item, str) or not item:
        return item
    key = course.split(":", 1)[1] if course.startswith("course-v1:") else course
    return item if key in item else f"{course}/{item}"


def scope_items(items: pd.Series, courses: pd.Series) -> tuple:
    """``(scoped items, {scoped item: course})``: an item id is made unique within its course, as the Open
    edX reader does: ids that already name their course run are kept, others are prefixed with the course
    id and ``/``; rows without a course keep their item.

    >>> items, of = scope_items(pd.Series(["q1", "q1", "block-v1:X+Y+1+type@problem+block@q2", "q3"]),
    ...                         pd.Series(["course-v1:X+Y+1", "course-v1:X+Y+2", "course-v1:X+Y+1", None]))
    >>> items.tolist()
    ['course-v1:X+Y+1/q1', 'course-v1:X+Y+2/q1', 'block-v1:X+Y+1+type@problem+block@q2', 'q3']
    >>> of["course-v1:X+Y+2/q1"]
    'course-v1:X+Y+2'
    """
    scoped, of, out = {}, {}, []
    for item, course in zip(items.tolist(), (_course_text(c) for c in courses.tolist())):
        if not course or item is None or item != item or item == "":  # no course, or a blank item
            out.append(item)
            continue
        new = scoped.get((item, course))
        if new is None:
            new = scoped[(item, course)] = scope_item(str(item), course)
            of.setdefault(new, course)
        out.append(new)
    return pd.Series(out, index=items.index, dtype=object), of


def _course_text(value):
    """A course cell as text; None for a missing or blank one."""
    if value is None or value != value:
        return None
    text = str(value).strip()
    return text or None


def _rejects(frame, columns, source, rows, conditions, failed) -> pd.DataFrame:
    idx = np.flatnonzero(failed)
    if not len(idx):
        return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row" else object) for c in REJECT_COLUMNS})
    reason = np.select([c[idx] for c in conditions], list(CHECKS), default="")
    detail = np.empty(len(idx), dtype=object)
    shown = {
        "missing_learner": ("learner", "blank {col}"), "missing_item": ("item", "blank {col}"),
        "missing_timestamp": ("timestamp", "blank {col}"),
        "bad_id": ("learner", "an id holds a NUL character (\\x00), which no output can keep"),
        "bad_timestamp": ("timestamp", "{col} {val} cannot be parsed"),
        "naive_timestamp": ("timestamp", "{col} {val} has no UTC offset; pass naive_timestamps='utc'"),
        "bad_score": ("score", "{col} {val} is not a number"),
        "score_out_of_range": ("score", "{col} {val} outside [0, 1]"),
        "bad_duration": ("duration", "{col} {val} is not a non-negative number"),
        "other_course": ("course", "{col} {val} is not a course chosen with course= (--course)"),
    }
    for code, (field, template) in shown.items():
        sel = reason == code
        if not sel.any():
            continue
        col = columns[field]
        if code == "bad_id":
            detail[sel] = template
            continue
        vals = frame[col].iloc[idx[sel]].astype(str).map(repr).to_numpy(dtype=object)
        if code == "other_course":  # an event of no course is of no chosen course either
            missing = frame[col].iloc[idx[sel]].map(_course_text).isna().to_numpy()
            detail[sel] = [f"blank {col}, not a course chosen with course= (--course)" if m
                           else template.format(col=col, val=v) for m, v in zip(missing, vals)]
            continue
        if code == "bad_timestamp":
            detail[sel] = [_bad_time(col, v) for v in vals]
            continue
        detail[sel] = [template.format(col=col, val=v) for v in vals]
    return pd.DataFrame({
        "source": pd.Series(np.full(len(idx), source, dtype=object), dtype=object),
        "row": rows[idx].astype(np.int64),
        "reason": pd.Series(reason.astype(object), dtype=object),
        "detail": pd.Series(detail, dtype=object),
    })


_YEAR = re.compile(r"^'\s*([+-]?\d{1,6})-\d\d-\d\d")


def _bad_time(col: str, val: str) -> str:
    """Detail of an unreadable timestamp: a well-formed date outside what nanoseconds since 1970 can
    hold (years 1678 to 2261) is said to be out of range, not unparseable."""
    m = _YEAR.match(val)
    if m and not 1678 <= int(m.group(1)) <= 2261:
        return f"{col} {val} is out of the supported range (years 1678 to 2261)"
    return f"{col} {val} cannot be parsed"


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
    return {k: options.get(k) for k in ("learner", "item", "timestamp", "score", "duration", "course_column")}


def _validation_args(options):
    return {k: options.get(k) for k in ("naive_timestamps", "timestamp_format", "timestamp_unit",
                                        "score_max", "course")}


def iter_csv_batches(path, *, chunksize=None, delimiter=None, encoding="utf-8", engine="auto", **options):
    """Stream a delimited text file (optionally gzip-compressed) as validated batches.

    The file is parsed by Arrow's streaming CSV reader (multi-threaded, one block of about ``chunksize``
    rows at a time). Should a record have a number of fields different from the header's, or Arrow fail
    on the text (an encoding other than UTF-8, for instance), the file is read again with Python's
    ``csv`` module, which knows each record's line: such records are rejected as ``malformed_row``
    (their ``row`` is their 0-based position among the data records, the detail gives the line and the
    field counts). Both engines give the same result (``engine="arrow"`` / ``"python"`` forces one; a
    test checks they agree). Batches are yielded once the file has been scanned, so a fallback never has
    to retract any; they are compact (codes and numbers), the raw text is not kept.
    """
    if engine not in ("auto", "arrow", "python"):
        raise ParameterError(f"engine must be 'auto', 'arrow' or 'python', got {engine!r}")
    path = Path(path)
    check_file(path)
    source = str(path)
    delimiter = delimiter or sniff_delimiter(path)
    names = _header(path, source, delimiter, encoding)
    cols = resolve_columns(names, source=source, **_col_args(options))
    opts = _validation_args(options)
    size = _chunksize(chunksize or DEFAULT_CHUNKSIZE)
    if engine != "python" and encoding.lower().replace("-", "") in ("utf8", "ascii"):
        batches = _arrow_csv_batches(path, source, delimiter, cols, opts, size)
        if batches is not None:
            yield from batches
            return
        if engine == "arrow":
            raise TraceFormatError(f"{source}: records with the wrong number of fields; read with "
                                   "engine='auto' to have them reported with their line numbers")
    yield from _python_csv_batches(path, source, delimiter, encoding, names, cols, opts, size)


_SURROGATE = re.compile("[\udc80-\udcff]")


def _open_text(path: Path, encoding: str, errors: str = "strict"):
    """The file as the ``csv`` module reads it: no newline translation, a UTF-8 byte-order mark skipped;
    strict decoding (``errors="surrogateescape"`` lets the record reader reject undecodable lines)."""
    if encoding.lower().replace("-", "").replace("_", "") == "utf8":
        encoding = "utf-8-sig"
    return open_text(path, encoding, errors=errors, newline="")


def _header(path: Path, source: str, delimiter: str, encoding: str) -> list:
    # read by the csv module: pandas would take the first column for an index when the first data
    # record has one field more than the header
    try:
        with _open_text(path, encoding, "surrogateescape") as fh:
            names = next(csv.reader(fh, delimiter=delimiter), None)
        if names and _SURROGATE.search("".join(names)):
            raise UnicodeDecodeError(encoding, b"", 0, 1, "undecodable bytes in the header line")
    except UnicodeDecodeError as exc:
        raise TraceFormatError(f"{source}: the header is not {encoding} ({exc}); pass encoding= (--encoding) "
                               "with the encoding the file is written in") from exc
    except (csv.Error, OSError, EOFError) as exc:
        raise TraceFormatError(f"{source}: not a readable CSV file ({exc})") from exc
    if not names or not any(n.strip() for n in names):
        raise TraceFormatError(f"{source}: no header line")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise TraceFormatError(f"{source}: the header repeats column(s) {dup}")
    return names


def _block_size(path: Path, rows: int) -> int:
    with _open_text(path, "utf-8") as fh:
        head = fh.read(1 << 16)
    per_line = max(len(head.encode("utf-8", "replace")) / max(head.count("\n"), 1), 8.0)
    return int(min(max(rows * per_line, 1 << 20), 1 << 30))


def _empty(used) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in used})


def _arrow_csv_batches(path, source, delimiter, cols, opts, size):
    """All batches via Arrow's streaming reader, or None when a record is malformed or Arrow gives up."""
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
            # is reported as written (so chunking cannot change a detail); only "" is missing
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
        batches.append(validate_frame(_empty(used), cols, source=source, **opts))
    return batches


def _python_csv_batches(path, source, delimiter, encoding, names, cols, opts, size):
    """The careful reader: Python's ``csv`` module, record by record, with line numbers."""
    used = [c for c in cols.values() if c is not None]
    width = len(names)
    positions = [names.index(c) for c in used]
    offset = 0
    try:
        with _open_text(path, encoding, "surrogateescape") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            next(reader, None)  # the header, already read
            while True:
                records, rows, bad_rows, bad_details, bad_reasons = [], [], [], [], []
                for record in reader:
                    if not record:  # a blank line is not a record (as for Arrow)
                        continue
                    if len(record) != width:
                        bad_rows.append(offset)
                        bad_reasons.append("malformed_row")
                        bad_details.append(f"line {reader.line_num}: {len(record)} fields, "
                                           f"the header has {width}")
                    elif not all(f.isascii() for f in record) and _SURROGATE.search("".join(record)):
                        # bytes the encoding cannot decode: a reject, never a replacement character that
                        # would merge two learners
                        bad_rows.append(offset)
                        bad_reasons.append("bad_encoding")
                        bad_details.append(f"line {reader.line_num}: bytes that are not {encoding}; pass "
                                           "encoding= (--encoding) if the file is written in another one")
                    else:
                        records.append([record[k] for k in positions])
                        rows.append(offset)
                    offset += 1
                    if offset % size == 0:
                        break
                if not records and not bad_rows:
                    if offset == 0:
                        yield validate_frame(_empty(used), cols, source=source, **opts)
                    return
                frame = pd.DataFrame(records, columns=used, dtype="str") if records else _empty(used)
                frame = frame.where(frame != "", None)  # only "" is missing, as in the Arrow reader
                batch = validate_frame(frame, cols, source=source, rows=np.asarray(rows, np.int64), **opts)
                if bad_rows:
                    bad = make_rejects(source, bad_rows, np.asarray(bad_reasons, dtype=object), bad_details)
                    batch.rejects = pd.concat([bad, batch.rejects], ignore_index=True).sort_values(
                        "row", kind="stable", ignore_index=True)
                    batch.n_read += len(bad)
                yield batch
    except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
        raise TraceFormatError(f"{source}: CSV cannot be parsed after data record {offset} ({exc})") from exc


def iter_parquet_batches(path, *, chunksize=None, **options):
    """Stream a Parquet file row group by row group (or by ``chunksize`` rows) as validated batches."""
    import pyarrow.parquet as pq

    path = Path(path)
    check_file(path)
    source = str(path)
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for non-parquet bytes
        raise TraceFormatError(f"{source}: not a Parquet file ({exc})") from exc
    with pf:  # the file is closed when the stream ends (or is abandoned)
        names = pf.schema_arrow.names
        cols = resolve_columns(names, source=source, **_col_args(options))
        opts = _validation_args(options)
        used = [c for c in cols.values() if c is not None]
        offset = 0
        size = _chunksize(chunksize) if chunksize else DEFAULT_CHUNKSIZE
        for record_batch in pf.iter_batches(batch_size=size, columns=used):
            record_batch = _dictionary_ids(record_batch, [cols["learner"], cols["item"]])
            chunk = record_batch.to_pandas()
            yield validate_frame(chunk, cols, source=source, row_offset=offset, **opts)
            offset += len(chunk)
        if offset == 0:
            empty = pf.schema_arrow.empty_table().to_pandas()
            yield validate_frame(empty, cols, source=source, **opts)


def _dictionary_ids(record_batch, names):
    """Dictionary-encode the id columns in Arrow, so pandas receives categoricals, not millions of str."""
    arrays = []
    for name, arr in zip(record_batch.schema.names, record_batch.columns):
        if name in names and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = pc.dictionary_encode(arr)
        arrays.append(arr)
    return pa.RecordBatch.from_arrays(arrays, names=record_batch.schema.names)
