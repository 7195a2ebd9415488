"""The ``poem import`` sub-command: raw traces -> canonical Parquet (plus an optional rejects table).

``poem import SOURCE... [--format F] --out traces.parquet [--rejects rejects.csv] [--pseudonymise]``
prints ``read N rows: accepted A, rejected R`` (with counts per reason) and exits 0 whenever the input was
readable and kept at least one event, even with rejects; unreadable input, or input of which nothing is
usable, raises a :class:`~poem.errors.PoemError` that :mod:`poem.cli.main` prints as one line (naming
the dominant reject reason and the likely fix) with a non-zero exit code, and nothing is written.

An output is never written onto an input (a source, a file of a source folder, ``--outcomes``,
``--catalog``) nor onto the other output. The rejects are written first and the traces last, each
through a temporary file renamed into place, so a failed write leaves neither half-written nor one
without the other.

With ``--pseudonymise`` the key is the one ``poem report --pseudonym-key`` and ``poem reidentify`` use
(:mod:`poem.pseudonym`), so an import and a report with the same key give the same pseudonyms: a key
file ``--pseudonym-key FILE`` (made by ``poem reidentify --new-key FILE``), else the
``POEM_PSEUDONYM_KEY`` environment variable, else the file named by ``POEM_PSEUDONYM_KEY_FILE``.
``--key KEY`` still works but is discouraged, with a warning: a key on the command line is visible to
other users in the process list. Raw learner ids then appear in no output: the rejects table names
sources, rows and reasons, and its details have every learner id met in the input replaced by its pseudonym and every URL-shaped value (edX
page-view event types can hold a username) cut to its first segment.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from poem.errors import ParameterError, TraceFormatError

__all__ = ["register", "run_import"]


def _list(text: str) -> list:
    return [part.strip() for part in text.split(",") if part.strip()]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import", help="read platform logs or tables into a canonical traces file",
        description="Read learner traces (CSV, Parquet, JSON lines, Open edX logs, xAPI, IMS Caliper, OULAD) "
                    "into a canonical Parquet file; every row is accepted or reported with a reason.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="files or directories to read")
    p.add_argument("--format", default="auto",
                   choices=["auto", "csv", "parquet", "jsonl", "edx", "xapi", "caliper", "oulad", "dkt"],
                   help="input format (default auto: guessed from the file names and contents)")
    p.add_argument("--out", required=True, help="canonical traces file to write (.parquet)")
    p.add_argument("--rejects", help="write the rejected rows (source,row,reason,detail) to this CSV")
    p.add_argument("--pseudonymise", action="store_true",
                   help="replace learner ids by keyed hashes (key: --pseudonym-key FILE, else "
                        "$POEM_PSEUDONYM_KEY, else the file named by $POEM_PSEUDONYM_KEY_FILE)")
    p.add_argument("--pseudonym-key", dest="pseudonym_key", metavar="KEYFILE",
                   help="file holding the pseudonymisation key (poem reidentify --new-key KEYFILE makes one); "
                        "the same file as poem report --pseudonym-key gives the same pseudonyms")
    p.add_argument("--key", help="discouraged: the key itself, visible to other users in the process list; "
                                 "use --pseudonym-key FILE or $POEM_PSEUDONYM_KEY_FILE")
    for name in ("learner", "item", "timestamp", "score", "duration"):
        p.add_argument(f"--{name}", help=f"column holding the {name}")
    p.add_argument("--naive-timestamps", metavar="ZONE",
                   help="zone of timestamps without offset ('utc', 'Europe/Paris'...); default: reject")
    p.add_argument("--timestamp-unit", choices=["s", "ms", "us", "ns"], help="unit of epoch timestamps")
    p.add_argument("--score-max", type=float, metavar="MAX",
                   help="divide scores by MAX (e.g. 100 for percentages) before checking they lie in [0, 1]")
    p.add_argument("--encoding", metavar="NAME",
                   help="text encoding of CSV and JSON files (default utf-8; e.g. latin-1, cp1252)")
    p.add_argument("--events", type=_list, metavar="T1,T2",
                   help="edX / Caliper: event types to import (default: video, problem, grade and completion "
                        "events; Caliper: AssessmentItemEvent, MediaEvent, GradeEvent)")
    p.add_argument("--verbs", type=_list, metavar="V1,V2",
                   help="xAPI: verb ids or names to import ('all' for every verb; default: the learning "
                        "verbs experienced, attempted, answered, completed, passed, failed, evaluated, "
                        "played, paused, seeked)")
    p.add_argument("--course", type=_list, metavar="C1,C2",
                   help="keep only the events of these course ids (edX, xAPI, Caliper, and tables with a course "
                        "column)")
    p.add_argument("--course-column", metavar="COLUMN",
                   help="tables: column holding each event's course (default: course_id, course or course_key "
                        "when present); items are then made unique within their course")
    p.add_argument("--outcomes", help="learner outcomes table (learner,outcome)")
    p.add_argument("--catalog", help="item catalogue (item,title,kind,position,week)")
    p.add_argument("--keep-duplicates", action="store_true", help="keep exact duplicate events")
    p.add_argument("--chunksize", type=int, help="rows (or JSON lines) per chunk while streaming")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: when stderr is a terminal)")
    p.add_argument("--video-sessions", action="store_true",
                   help="edX: collapse each viewing session into one visit per video with watched duration")
    p.set_defaults(func=run_import)


def _identity(path: Path):
    """A key equal for two names of one file (links, relative paths); the resolved path when absent."""
    try:
        st = path.stat()
        return (st.st_dev, st.st_ino)
    except OSError:
        return str(path.resolve())


def _inputs(args) -> dict:
    """Every file the import reads, by identity -> how to name it."""
    found = {}
    for s in args.sources:
        path = Path(s)
        if path.is_dir():
            try:
                for child in path.rglob("*"):
                    if child.is_file():
                        found.setdefault(_identity(child), f"a file of the source folder {s}")
            except OSError:
                pass
        found.setdefault(_identity(path), f"the source {s}")
    for flag in ("outcomes", "catalog"):
        value = getattr(args, flag)
        if value:
            found.setdefault(_identity(Path(value)), f"the --{flag} file {value}")
    return found


def check_outputs(args) -> None:
    """Refuse an output path that is an input or the other output (nothing is read or written yet)."""
    outputs = [("--out", Path(args.out))] + ([("--rejects", Path(args.rejects))] if args.rejects else [])
    if len(outputs) == 2 and _identity(outputs[0][1]) == _identity(outputs[1][1]):
        raise ParameterError(f"--out and --rejects name the same file ({args.out}); give two paths")
    inputs = _inputs(args)
    for flag, path in outputs:
        if path.is_dir():
            raise ParameterError(f"{flag} {path} is a directory; name a file")
        what = inputs.get(_identity(path))
        if what is not None:
            raise ParameterError(f"{flag} {path} is {what}: writing it would destroy the input; choose "
                                 "another path")


def _write_atomic(path: Path, write) -> Path:
    tmp = path.with_name(f".{path.name}.poem-tmp")
    try:
        write(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def run_import(args: argparse.Namespace) -> int:
    from poem.io import read_traces, require_events, write_traces
    from poem.pseudonym import key_from_env, load_key

    key = None
    if args.key and args.pseudonym_key:
        raise ParameterError("--key and --pseudonym-key both give a key; keep --pseudonym-key FILE")
    if args.pseudonymise:
        if args.key:
            print("poem import: warning: --key puts the key in the process list, visible to other users; "
                  "use --pseudonym-key FILE or the POEM_PSEUDONYM_KEY_FILE variable instead", file=sys.stderr)
        key = load_key(args.key, key_file=args.pseudonym_key) or key_from_env()
    elif args.key or args.pseudonym_key:
        raise ParameterError(f"{'--key' if args.key else '--pseudonym-key'} is only used with --pseudonymise")
    out = Path(args.out)
    if not out.name.lower().endswith((".parquet", ".pq")):
        raise ParameterError(f"--out must name a .parquet file, got {args.out!r}")
    check_outputs(args)
    options = {}
    if args.video_sessions:
        if args.format not in ("edx", "auto"):
            raise ParameterError("--video-sessions applies to Open edX logs only")
        options["video_sessions"] = True
    for name in ("events", "verbs", "course", "course_column", "encoding"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    sources = [Path(s) for s in args.sources]
    traces = read_traces(
        sources if len(sources) > 1 else sources[0], format=args.format,
        learner=args.learner, item=args.item, timestamp=args.timestamp, score=args.score,
        duration=args.duration, naive_timestamps=args.naive_timestamps, timestamp_unit=args.timestamp_unit,
        score_max=args.score_max, outcomes=args.outcomes, catalog=args.catalog, pseudonymise_key=key,
        duplicates="keep" if args.keep_duplicates else "reject", chunksize=args.chunksize,
        progress=sys.stderr.isatty() if args.progress is None else args.progress, **options)
    require_events(traces, " ".join(args.sources))
    rejects_tmp = None
    if args.rejects:
        rejects_path = Path(args.rejects)
        try:
            rejects_tmp = _write_atomic(rejects_path, lambda p: traces.rejects.to_csv(p, index=False))
        except OSError as exc:
            raise TraceFormatError(f"cannot write rejects to {args.rejects} ({exc.strerror or exc}); nothing "
                                   "was written") from exc
    try:
        out_tmp = _write_atomic(out, lambda p: write_traces(traces, p))
    except BaseException:
        if rejects_tmp is not None:
            rejects_tmp.unlink(missing_ok=True)
        raise
    if rejects_tmp is not None:
        os.replace(rejects_tmp, args.rejects)
    os.replace(out_tmp, out)
    print(traces.summary())
    return 0
