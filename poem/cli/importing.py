"""The ``poem import`` sub-command: raw traces -> canonical Parquet (plus an optional rejects table).

``poem import SOURCE... [--format F] --out traces.parquet [--rejects rejects.csv] [--pseudonymise]``
prints ``read N rows: accepted A, rejected R`` (with counts per reason) and exits 0 whenever the input was
readable, even with rejects; unreadable input raises a :class:`~poem.errors.PoemError` that
:mod:`poem.cli.main` prints as one line with a non-zero exit code. With ``--pseudonymise`` the key comes from
``--key`` or the ``POEM_PSEUDONYM_KEY`` environment variable; raw learner ids then appear in no output
(the rejects table names sources, rows and reasons; its details quote timestamps, scores and event types,
never learner ids).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from poem.errors import ParameterError, TraceFormatError

__all__ = ["register", "run_import"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import", help="read platform logs or tables into a canonical traces file",
        description="Read learner traces (CSV, Parquet, JSON lines, Open edX logs, xAPI, OULAD) into a "
                    "canonical Parquet file; every row is accepted or reported with a reason.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="files or directories to read")
    p.add_argument("--format", default="auto",
                   choices=["auto", "csv", "parquet", "jsonl", "edx", "xapi", "oulad"],
                   help="input format (default auto: guessed from the file names and contents)")
    p.add_argument("--out", required=True, help="canonical traces file to write (.parquet)")
    p.add_argument("--rejects", help="write the rejected rows (source,row,reason,detail) to this CSV")
    p.add_argument("--pseudonymise", action="store_true",
                   help="replace learner ids by keyed hashes (key: --key or $POEM_PSEUDONYM_KEY)")
    p.add_argument("--key", help="pseudonymisation key (prefer the POEM_PSEUDONYM_KEY variable)")
    for name in ("learner", "item", "timestamp", "score", "duration"):
        p.add_argument(f"--{name}", help=f"column holding the {name}")
    p.add_argument("--naive-timestamps", metavar="ZONE",
                   help="zone of timestamps without offset ('utc', 'Europe/Paris'...); default: reject")
    p.add_argument("--timestamp-unit", choices=["s", "ms", "us", "ns"], help="unit of epoch timestamps")
    p.add_argument("--outcomes", help="learner outcomes table (learner,outcome)")
    p.add_argument("--catalog", help="item catalogue (item,title,kind,position,week)")
    p.add_argument("--keep-duplicates", action="store_true", help="keep exact duplicate events")
    p.add_argument("--chunksize", type=int, help="rows (or JSON lines) per chunk while streaming")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: when stderr is a terminal)")
    p.add_argument("--video-sessions", action="store_true",
                   help="edX: collapse each viewing session into one visit per video with watched duration")
    p.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from poem.io import read_traces, write_traces
    from poem.pseudonym import key_from_env

    key = None
    if args.pseudonymise:
        key = args.key or key_from_env()
    elif args.key:
        raise ParameterError("--key is only used with --pseudonymise")
    out = Path(args.out)
    if not out.name.lower().endswith((".parquet", ".pq")):
        raise ParameterError(f"--out must name a .parquet file, got {args.out!r}")
    options = {}
    if args.video_sessions:
        if args.format not in ("edx", "auto"):
            raise ParameterError("--video-sessions applies to Open edX logs only")
        options["video_sessions"] = True
    sources = [Path(s) for s in args.sources]
    traces = read_traces(
        sources if len(sources) > 1 else sources[0], format=args.format,
        learner=args.learner, item=args.item, timestamp=args.timestamp, score=args.score,
        duration=args.duration, naive_timestamps=args.naive_timestamps, timestamp_unit=args.timestamp_unit,
        outcomes=args.outcomes, catalog=args.catalog, pseudonymise_key=key,
        duplicates="keep" if args.keep_duplicates else "reject", chunksize=args.chunksize,
        progress=sys.stderr.isatty() if args.progress is None else args.progress, **options)
    write_traces(traces, out)
    if args.rejects:
        try:
            traces.rejects.to_csv(args.rejects, index=False)
        except OSError as exc:
            raise TraceFormatError(f"cannot write rejects to {args.rejects} ({exc})") from exc
    print(traces.summary())
    return 0
