"""Read what MOOC platforms produce into one validated :class:`~poem.traces.Traces`, losing no row silently.

:func:`read_traces` is the one entry point. It accepts a path, a list of paths, a directory (an OULAD
folder, or a benchmark course folder holding ``traces.csv`` and ``outcomes.csv``) or a pandas DataFrame,
and the formats

=========  ==================================================================================
csv        delimited text, optionally ``.gz``; columns found by name (see below)
parquet    a Parquet table of events, or a canonical file written by :func:`write_traces`
jsonl      JSON Lines of flat event records (same column rules as csv)
edx        Open edX tracking logs (:mod:`poem.importers.edx`)
xapi       xAPI statements, a JSON array, JSON Lines or LRS responses (:mod:`poem.importers.xapi`)
caliper    IMS Caliper events (:mod:`poem.importers.caliper`)
oulad      the Open University Learning Analytics Dataset tables (:mod:`poem.importers.oulad`)
=========  ==================================================================================

``format="auto"`` decides from the suffix and, for JSON, from the first record. Several sources (a list,
or a folder of daily logs) are read one after the other; an empty file among them is skipped with a
warning that counts it.

Platform files are read as written: a UTF-8 byte-order mark is skipped, a Python logging header before
each JSON event (Tutor ``tracking.log``) is stripped, pretty-printed JSON documents and LRS responses
are read whole, and lines that are not valid in the file's ``encoding`` are rejected as
``bad_encoding`` with their line number (never replaced, which could merge two learners). Nothing usable
left is not an error here: :func:`require_events` (called by ``poem import``, ``poem fit`` and
``poem report``) raises one line naming the dominant reject reason and the likely fix.

Columns (csv, parquet, jsonl, DataFrame) are named with ``learner=``, ``item=``, ``timestamp=``,
``score=``, ``duration=`` or found among well-known names: the benchmark format
``learner,item,timestamp,score``, pm4py/XES ``case:concept:name, concept:name, time:timestamp``, and
others listed in :data:`poem.importers.tabular.CANDIDATES`.

Nothing is lost: every input row is either accepted or in ``traces.rejects`` with a reason code
(:data:`REASONS`) and a detail naming the bad value, and ``traces.summary()`` prints
``read N rows: accepted A, rejected R``. Exact duplicates (same learner, item, timestamp, score and
duration) are rejected as ``duplicate`` unless ``duplicates="keep"``. Input that cannot be read at all
raises :class:`~poem.errors.TraceFormatError` with a message naming the problem.

The ``row`` of a reject is the 0-based data row for tables (CSV, Parquet, DataFrame, OULAD tables; a
CSV row with the wrong number of fields counts as a data row, its detail gives its line) and the 1-based
line number for JSON Lines (1-based element number for a JSON array).

Timestamps must say where they are: values with a UTC offset are normalised to UTC; naive values (no
offset) are accepted only with ``naive_timestamps="utc"`` (or a zone name). Without it, a file whose
timestamps are all naive raises an error with that hint, and stray naive rows among aware ones are
rejected as ``naive_timestamp``.

CSV and JSON lines are streamed in chunks (``chunksize`` rows, default one million for CSV and 100 000
lines for JSON), so the raw text never has to fit in memory next to its parsed form; the result is
identical whatever the chunk size.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"learner": ["ann", "ann", "bob", ""],
...                     "item": ["v1", "q1", "v1", "v2"],
...                     "timestamp": ["2024-01-01T10:00:00+01:00", "2024-01-01T10:05:00Z",
...                                   "2024-01-02 08:00:00+00:00", "2024-01-03T00:00:00Z"],
...                     "score": [None, 0.5, None, 1]})
>>> traces = read_traces(raw)
>>> print(traces.summary())
read 4 rows: accepted 3, rejected 1 (missing_learner: 1)
>>> traces.to_frame()["item"].tolist()
['v1', 'q1', 'v1']
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from poem.errors import ParameterError, TraceFormatError
from poem.importers.batch import REASONS, assemble, require_events
from poem.importers.canonical import is_canonical, read_canonical, write_traces
from poem.importers.files import read_small_table
from poem.importers.tabular import _chunksize, iter_csv_batches, iter_frame_batches, iter_parquet_batches
from poem.traces import Traces

__all__ = ["read_traces", "read_outcomes", "read_catalog", "write_traces", "iter_batches", "detect_format",
           "require_events",
           "FORMATS", "REASONS", "bundled_oulad_dir"]

FORMATS = ("auto", "csv", "parquet", "jsonl", "edx", "xapi", "caliper", "oulad", "dkt")

_COLUMN_ARGS = ("learner", "item", "timestamp", "score", "duration")
_VALIDATION_ARGS = ("naive_timestamps", "timestamp_format", "timestamp_unit", "score_max")


def bundled_oulad_dir() -> Path:
    """The small OULAD subset shipped with POEM: ``poem/data/oulad`` in an installed package, else
    ``data/oulad`` in the repository (see ``data/oulad/SOURCE.txt`` for attribution, CC BY 4.0)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "data" / "oulad", here.parent / "data" / "oulad"):
        if (candidate / "studentVle.csv").exists():
            return candidate
    raise TraceFormatError(f"the bundled OULAD subset is missing (looked in {here / 'data' / 'oulad'} and "
                           f"{here.parent / 'data' / 'oulad'})")


# ---------------------------------------------------------------------------------------------- formats
def detect_format(path, encoding: str = "utf-8") -> str:
    """Guess the format of ``path`` from its suffix and, for JSON, its first record."""
    path = Path(path)
    if path.is_dir():
        if (path / "studentVle.csv").exists():
            return "oulad"
        if (path / "traces.csv").exists():
            return "csv"
        raise TraceFormatError(f"{path} is a directory with neither OULAD tables (studentVle.csv) nor "
                               f"traces.csv; found {sorted(p.name for p in path.iterdir())[:10]}")
    if not path.exists():
        from poem.importers.files import check_file

        check_file(path)  # names a broken link or a symlink loop
    name = path.name.lower()
    stem = name[:-3] if name.endswith(".gz") else name
    if stem.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    if stem.endswith((".parquet", ".pq")):
        return "parquet"
    if stem.endswith((".json", ".jsonl", ".ndjson", ".log")) or name.endswith(".gz") or "tracking" in name:
        from poem.importers.jsonlines import sniff_json_kind

        return sniff_json_kind(path, encoding)
    raise TraceFormatError(f"cannot tell the format of {path} from its name; pass format= one of "
                           f"{', '.join(FORMATS[1:])}")


def _sources(source, format="auto") -> list:
    if isinstance(source, pd.DataFrame):
        return [source]
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir() and format != "oulad" and not ((path / "studentVle.csv").exists()
                                                        or (path / "traces.csv").exists()):
            # a folder of logs (daily tracking-log files, statement exports): its files in name order
            try:
                files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
            except OSError as exc:
                raise TraceFormatError(f"cannot list the directory {path} ({exc})") from exc
            if not files:
                raise TraceFormatError(f"{path} is an empty directory")
            return _skip_empty(files, path)
        return [path]
    if isinstance(source, (list, tuple)):
        if not source:
            raise TraceFormatError("no source given (empty list)")
        out = []
        for s in source:
            if isinstance(s, (list, tuple)):
                raise TraceFormatError("sources must be paths or DataFrames, not nested lists")
            out.extend(_sources(s, format))
        return _skip_empty(out, "the sources") if len(out) > 1 else out
    raise TraceFormatError(f"cannot read traces from a {type(source).__name__}; give a path, a list of "
                           "paths or a pandas DataFrame")


def _skip_empty(files: list, where) -> list:
    """Drop empty files from several sources (a day without events in a folder of daily logs), with a
    warning that counts them; all of them empty is an error."""
    empty = [f for f in files if isinstance(f, Path) and f.is_file() and f.stat().st_size == 0]
    if not empty:
        return files
    if len(empty) == len(files):
        raise TraceFormatError(f"every file of {where} is empty ({len(files)} files)")
    import warnings

    names = ", ".join(f.name for f in empty[:5]) + (" ..." if len(empty) > 5 else "")
    warnings.warn(f"skipped {len(empty)} empty file(s) of {where}: {names}", UserWarning, stacklevel=3)
    return [f for f in files if not (isinstance(f, Path) and f in empty)]


def iter_batches(source, format="auto", *, chunksize=None, **options):
    """Validated :class:`~poem.importers.batch.Batch` es of one source, in reading order.

    The streaming building block behind :func:`read_traces` (engines may consume it chunk by chunk).
    """
    if format not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    if isinstance(source, pd.DataFrame):
        if format not in ("auto", "csv", "parquet", "jsonl"):
            raise ParameterError(f"a DataFrame is read as a table of events; format={format!r} needs a file")
        name = options.pop("source_name", "DataFrame")
        yield from iter_frame_batches(source, chunksize=chunksize, source=name, **_table_options(options))
        return
    path = Path(source)
    fmt = detect_format(path, options.get("encoding") or "utf-8") if format == "auto" else format
    if path.is_dir() and fmt == "csv":
        path = path / "traces.csv"
    if fmt == "csv":
        yield from iter_csv_batches(path, chunksize=chunksize, delimiter=options.pop("delimiter", None),
                                    engine=options.pop("engine", "auto"),
                                    encoding=options.pop("encoding", None) or "utf-8",
                                    **_table_options(options))
    elif fmt == "parquet":
        options.pop("encoding", None)  # Parquet stores UTF-8 text, whatever was asked
        yield from iter_parquet_batches(path, chunksize=chunksize, **_table_options(options))
    elif fmt == "jsonl":
        from poem.importers.jsonlines import iter_jsonl_batches

        yield from iter_jsonl_batches(path, chunksize=chunksize, **_table_options(options))
    elif fmt == "edx":
        from poem.importers.edx import iter_edx_batches

        yield from iter_edx_batches(path, chunksize=chunksize, **_format_options("edx", options))
    elif fmt == "xapi":
        from poem.importers.xapi import iter_xapi_batches

        yield from iter_xapi_batches(path, chunksize=chunksize, **_format_options("xapi", options))
    elif fmt == "caliper":
        from poem.importers.caliper import iter_caliper_batches

        yield from iter_caliper_batches(path, chunksize=chunksize, **_format_options("caliper", options))
    else:  # oulad is whole tables joined together, not a stream; read_traces handles it
        raise ParameterError("format 'oulad' is read with read_traces, not streamed")


_FORMAT_OPTIONS = {
    "edx": ("events", "video_sessions", "session_gap", "naive_timestamps", "course", "encoding", "score_max"),
    "xapi": ("verbs", "account_home_page", "naive_timestamps", "course", "encoding", "score_max"),
    "caliper": ("events", "naive_timestamps", "course", "encoding", "score_max"),
}


def _format_options(fmt: str, options: dict) -> dict:
    unknown = set(options) - set(_FORMAT_OPTIONS[fmt])
    if unknown:
        hint = " (column names apply to tables only)" if unknown & set(_COLUMN_ARGS) else ""
        raise ParameterError(f"option(s) {sorted(unknown)} do not apply to format {fmt!r}{hint}; "
                             f"its options: {', '.join(_FORMAT_OPTIONS[fmt])}")
    return options


def _table_options(options: dict) -> dict:
    unknown = set(options) - set(_COLUMN_ARGS) - set(_VALIDATION_ARGS) - {"encoding", "course", "course_column"}
    if unknown:
        raise ParameterError(f"unknown option(s) for a table of events: {sorted(unknown)}")
    return options


# ---------------------------------------------------------------------------------------------- readers
def read_traces(source, format: str = "auto", *, learner=None, item=None, timestamp=None, score=None,
                duration=None, naive_timestamps=None, timestamp_format=None, timestamp_unit=None,
                score_max=None, outcomes=None, catalog=None, pseudonymise_key=None,
                duplicates: str = "reject", chunksize=None, progress: bool = False, **options) -> Traces:
    """Read learner events from files or a DataFrame into validated, encoded :class:`Traces`.

    Parameters
    ----------
    source : path, list of paths, directory or DataFrame
        Several sources are concatenated in the order given (each keeps its own name in the rejects).
        A benchmark course directory reads its ``traces.csv`` and, unless ``outcomes`` is given, its
        ``outcomes.csv``; an OULAD directory reads the OULAD tables; any other directory reads its files
        in name order (e.g. daily tracking-log files).
    format : {"auto", "csv", "parquet", "jsonl", "edx", "xapi", "caliper", "oulad", "dkt"}
    learner, item, timestamp, score, duration : str, optional
        Column names (tables and JSON lines); recognised names are used when omitted.
    naive_timestamps : str, optional
        ``"utc"`` or a zone name in which timestamps without offset were written; None rejects them.
    timestamp_format : str, optional
        ``strftime`` pattern for timestamp strings (default ISO 8601).
    timestamp_unit : {"s", "ms", "us", "ns"}, optional
        Unit of numeric (Unix epoch) timestamps.
    score_max : float, optional
        Divide scores by this (e.g. 100 for percentages) before checking they lie in [0, 1].
    outcomes : path or DataFrame, optional
        Learner outcomes (``learner, outcome``), see :func:`read_outcomes`.
    catalog : path or DataFrame, optional
        Item catalogue, see :func:`read_catalog`; its items join the vocabulary and its columns become
        ``traces.item_info``.
    pseudonymise_key : str or bytes, optional
        Replace learner ids by keyed hashes (:mod:`poem.pseudonym`); outcomes are keyed the same way.
    duplicates : {"reject", "keep"}
        Reject exact repeats of an earlier event (default) or keep them.
    chunksize : int, optional
        Rows (lines for JSON) per chunk when streaming; the result does not depend on it.
    progress : bool
        Show a progress bar (rows read, on stderr) while reading.
    **options
        Format-specific options, e.g. ``events=`` and ``video_sessions=`` for edX (``events=`` also for
        Caliper), ``verbs=`` for xAPI (``"all"`` for every verb), ``course=`` (course ids to keep) for
        edX, xAPI and Caliper, ``encoding=`` (default ``"utf-8"``; undecodable lines are rejected as
        ``bad_encoding``) for CSV and JSON, ``module=`` / ``presentation=`` for OULAD, ``delimiter=`` and
        ``engine=`` ("auto", "arrow", "pandas") for CSV.

    Returns
    -------
    Traces

    Raises
    ------
    TraceFormatError
        Missing or empty file, unknown format, no learner/item/timestamp column (the message lists the
        columns found), every timestamp naive.
    ParameterError
        An option outside its domain.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"case:concept:name": ["a", "a"], "concept:name": ["x", "y"],
    ...                     "time:timestamp": ["2024-01-01 10:00", "2024-01-01 09:00"]})
    >>> t = read_traces(raw, naive_timestamps="utc")
    >>> t.to_frame()["item"].tolist()          # sorted by time within each learner
    ['y', 'x']
    """
    if duplicates not in ("reject", "keep"):
        raise ParameterError(f"duplicates must be 'reject' or 'keep', got {duplicates!r}")
    if format not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    if chunksize is not None:
        _chunksize(chunksize)
    try:
        srcs = _sources(source, format)
    except OSError as exc:  # a folder on the way that cannot be entered (permissions), a broken mount
        raise TraceFormatError(f"cannot read {exc.filename or source} ({exc.strerror or exc}); check its "
                               "permissions") from exc
    cols = {"learner": learner, "item": item, "timestamp": timestamp, "score": score, "duration": duration}
    cols = {k: v for k, v in cols.items() if v is not None}
    valid = {"naive_timestamps": naive_timestamps, "timestamp_format": timestamp_format,
             "timestamp_unit": timestamp_unit, "score_max": score_max}
    if score_max is not None and not (isinstance(score_max, (int, float)) and score_max > 0):
        raise ParameterError(f"score_max must be a positive number, got {score_max!r}")
    try:
        fmts = [format if isinstance(s, pd.DataFrame) or format != "auto"
                else detect_format(s, options.get("encoding") or "utf-8") for s in srcs]
    except OSError as exc:
        raise TraceFormatError(f"cannot read {exc.filename} ({exc.strerror or exc}); check its "
                               "permissions") from exc
    if outcomes is None:
        course_outcomes = [s / "outcomes.csv" for s, f in zip(srcs, fmts)
                           if isinstance(s, Path) and s.is_dir() and f == "csv"
                           and (s / "outcomes.csv").exists()]
        if course_outcomes:
            outcomes = pd.concat([read_outcomes(p) for p in course_outcomes], ignore_index=True)
    elif not isinstance(outcomes, pd.Series):
        outcomes = read_outcomes(outcomes)
    items, item_info = None, None
    if catalog is not None:
        item_info = read_catalog(catalog)
        items = item_info.index.astype(str).tolist()

    if "dkt" in fmts:  # the knowledge-tracing three-line format: no columns, no timestamps to validate
        from poem.importers.dkt import read_dkt

        if len(srcs) != 1 or cols or options or catalog is not None:
            raise ParameterError("format='dkt' reads one file and takes no column or format options")
        return read_dkt(srcs[0], outcomes=outcomes, pseudonymise_key=pseudonymise_key, duplicates=duplicates)
    if "oulad" in fmts:
        if len(srcs) != 1:
            raise TraceFormatError("OULAD is read from one directory at a time")
        from poem.importers.oulad import read_oulad

        return read_oulad(srcs[0], outcomes=outcomes, item_info=item_info, items=items,
                          pseudonymise_key=pseudonymise_key, duplicates=duplicates, chunksize=chunksize,
                          **cols, **valid, **options)
    if len(srcs) == 1 and fmts[0] in ("auto", "parquet") and isinstance(srcs[0], Path) \
            and is_canonical(srcs[0]):
        if cols or options or catalog is not None or pseudonymise_key is not None:
            raise ParameterError("a canonical POEM traces file is already validated and encoded: it takes no "
                                 "column, format, catalog or pseudonymisation options (re-import the raw data)")
        traces = read_canonical(srcs[0])
        return traces if outcomes is None else traces.with_outcomes(outcomes)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="poem import", unit=" rows", unit_scale=True, leave=False)
    batches = []
    n_frames = sum(isinstance(s, pd.DataFrame) for s in srcs)
    for k, (src, fmt) in enumerate(zip(srcs, fmts)):
        # column and validation options go to every format: edX / xAPI refuse the ones they do not take
        # with a clear message (their option check)
        opts = {**options, **cols, **{name: v for name, v in valid.items() if v is not None}}
        if isinstance(src, pd.DataFrame) and n_frames > 1:
            opts["source_name"] = f"DataFrame[{k}]"  # tell the frames apart in the rejects
        for batch in iter_batches(src, fmt, chunksize=chunksize, **opts):
            batches.append(batch)
            if bar is not None:
                bar.update(batch.n_read)
    if any(b.voids for b in batches):  # xAPI: a statement voided from another file of this import
        from poem.importers.xapi import void_across_files

        void_across_files(batches)
    if bar is not None:
        bar.set_postfix_str("encoding and sorting")
        bar.close()
    return assemble(batches, duplicates=duplicates, items=items, outcomes=outcomes, item_info=item_info,
                    pseudonymise_key=pseudonymise_key)


def read_outcomes(source) -> pd.DataFrame:
    """Learner outcomes as a ``learner, outcome`` DataFrame (outcome a float in [0, 1]).

    ``source`` is a CSV/Parquet path or a DataFrame with a learner column (``learner`` or a recognised
    learner name) and an ``outcome`` column. Raises :class:`TraceFormatError` for a missing column, a
    value outside [0, 1] (naming the learner) or a learner listed twice.

    Examples
    --------
    >>> import pandas as pd
    >>> read_outcomes(pd.DataFrame({"learner": ["a", "b"], "outcome": [1, 0.25]}))["outcome"].tolist()
    [1.0, 0.25]
    """
    from poem.importers.tabular import CANDIDATES

    frame = read_small_table(source, "outcomes")
    lower = {str(c).lower(): c for c in frame.columns}
    lcol = next((lower[c] for c in CANDIDATES["learner"] if c in lower), None)
    ocol = next((lower[c] for c in ("outcome", "final_score", "grade", "result") if c in lower), None)
    if lcol is None or ocol is None:
        raise TraceFormatError(f"outcomes need a learner and an outcome column; columns found: "
                               f"{list(frame.columns)}")
    out = pd.DataFrame({"learner": frame[lcol].astype(str).to_numpy(dtype=object),
                        "outcome": pd.to_numeric(frame[ocol], errors="coerce").to_numpy(dtype=float)})
    bad = out["outcome"].notna() & ~out["outcome"].between(0, 1)
    if bad.any():
        row = out[bad].iloc[0]
        raise TraceFormatError(f"outcome of learner {row['learner']!r} is {row['outcome']}, outside [0, 1]")
    nonnum = out["outcome"].isna() & frame[ocol].notna().to_numpy()
    if nonnum.any():
        raise TraceFormatError(f"outcome {frame[ocol][nonnum.to_numpy()].iloc[0]!r} is not a number")
    if out["learner"].duplicated().any():
        raise TraceFormatError(f"outcomes list learner {out['learner'][out['learner'].duplicated()].iloc[0]!r}"
                               " more than once")
    return out


def read_catalog(source) -> pd.DataFrame:
    """An item catalogue indexed by item id with columns ``title, kind, position, week`` (NaN when unknown).

    See :func:`poem.importers.catalog.read_catalog`.
    """
    from poem.importers.catalog import read_catalog as _read

    return _read(source)
