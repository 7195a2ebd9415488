"""Sub-commands of the faces layer: ``poem report``, ``poem batch`` and ``poem demo``.

``report`` executes the learning-path notebook on a course and writes one HTML file without code;
``batch`` runs any notebook over a grid or list of parameters (see :mod:`poem.lab.batch`); ``demo`` is what
``make demo`` calls: the report on the bundled demo course.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from pathlib import Path

__all__ = ["register"]


def _param(text: str):
    """``NAME=VALUE`` with VALUE read as YAML (so numbers, booleans and lists keep their type)."""
    import yaml

    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), yaml.safe_load(value)
    except yaml.YAMLError as exc:  # argparse reports only its own errors as usage, not yaml's
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise argparse.ArgumentTypeError(f"VALUE of {text!r} is not valid YAML ({problem})") from exc


@contextlib.contextmanager
def _one_line_warnings(command: str):
    """Print warnings (an unknown notebook parameter, say) as one line each, not with a source excerpt."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for w in caught:
                print(f"poem {command}: warning: {w.message}", file=sys.stderr)


def _report(args) -> int:
    from poem.report.build import build_report

    params = dict(args.param or [])
    for name in ("seed", "n_seeds", "method", "naive_timestamps", "timestamp_format", "timestamp_unit",
                 "score_max"):
        value = getattr(args, name)
        if value is not None:
            params[name] = value
    if args.pseudonym_key:
        from poem.pseudonym import load_key

        load_key(key_file=args.pseudonym_key)  # a missing or empty key file fails now, not in the notebook
        params["pseudonym_key_file"] = str(Path(args.pseudonym_key).resolve())  # the path, never the key
    with _one_line_warnings("report"):
        out = build_report(args.traces, args.out, outcomes=args.outcomes, catalog=args.catalog, lang=args.lang,
                           parameters=params, timeout=args.timeout, keep_notebook=args.keep_notebook)
    files = Path(params.get("artifacts_dir") or out.with_name(f"{out.stem}_files"))
    print(f"report written to {out}; its tables as CSV files in {files}")
    return 0


def _batch(args) -> int:
    from poem.lab.batch import run_batch

    table = run_batch(args.notebook, args.grid, args.out, jobs=args.jobs, force=args.force,
                      timeout=args.timeout, progress=not args.no_progress)
    failed = table[table["status"] != "ok"]
    reused = int(table.attrs.get("skipped", 0))
    done = f"{len(table) - len(failed) - reused} ok" + (
        f", {reused} skipped (already done; --force reruns them)" if reused else "")
    print(f"{len(table)} runs: {done}, {len(failed)} failed; results in {Path(args.out) / 'results.csv'}")
    for _, row in failed.iterrows():
        print(f"  failed {row['run']}: {row['error']}", file=sys.stderr)
    return 1 if len(failed) else 0


def _demo(args) -> int:
    from poem.lab.runner import data_path
    from poem.report.build import build_report

    demo = data_path("demo")
    optional = {name: (demo / f"{name}.csv") for name in ("outcomes", "catalog")}
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / ("report.html" if args.lang == "en" else f"report_{args.lang}.html")
    build_report(demo / "traces.csv", report,
                 outcomes=optional["outcomes"] if optional["outcomes"].exists() else None,
                 catalog=optional["catalog"] if optional["catalog"].exists() else None,
                 lang=args.lang, timeout=args.timeout, keep_notebook=out_dir / "report.ipynb",
                 parameters={"artifacts_dir": str(out_dir.resolve()), "report_dir": str(out_dir.resolve())})
    print(f"demo report written to {report}; its tables as CSV files and the executed notebook in {out_dir}")
    return 0


def _positive(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):  # NaN and infinity are no timeout either
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def register(subparsers) -> None:
    """Add ``report``, ``batch`` and ``demo`` to the ``poem`` command line."""
    from poem.lab.runner import DEFAULT_TIMEOUT
    from poem.report.build import LANGUAGES

    p = subparsers.add_parser(
        "report", help="HTML learning-path report for a pedagogical team (no code)",
        description="Check TRACES, execute the learning-path notebook on them and render it as one "
                    "self-contained HTML file, without code; its tables are also written as CSV files in the "
                    "folder <OUT stem>_files/ beside it. Learners appear under pseudonyms only: with "
                    "--pseudonym-key (or $POEM_PSEUDONYM_KEY / $POEM_PSEUDONYM_KEY_FILE) a learner keeps the "
                    "same pseudonym from one report to the next and `poem reidentify` can map a list back to "
                    "learner ids; without a key, each report draws a new random one.")
    p.add_argument("traces", help="traces file (CSV, Parquet, edX, xAPI... anything `poem import` reads)")
    p.add_argument("--outcomes", help="learner outcomes CSV (learner,outcome)")
    p.add_argument("--catalog", help="course catalogue CSV: items in syllabus order")
    p.add_argument("--out", required=True, help="HTML file to write")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the report (default en)")
    p.add_argument("--naive-timestamps", dest="naive_timestamps", metavar="ZONE",
                   help="zone of timestamps written without UTC offset (e.g. utc, Europe/Paris)")
    p.add_argument("--timestamp-format", dest="timestamp_format", metavar="PATTERN",
                   help="strftime pattern of the dates when they are not ISO 8601, e.g. '%%d/%%m/%%Y %%H:%%M'")
    p.add_argument("--timestamp-unit", dest="timestamp_unit", choices=["s", "ms", "us", "ns"],
                   help="the unit of timestamps written as epoch numbers (e.g. s for 1704103200)")
    p.add_argument("--score-max", dest="score_max", type=float, metavar="MAX",
                   help="divide scores by MAX (e.g. 100 for percentages) so they lie in [0, 1]")
    p.add_argument("--pseudonym-key", dest="pseudonym_key", metavar="KEYFILE",
                   help="file holding the platform's pseudonym key (create one with `poem reidentify "
                        "--new-key KEYFILE`); default $POEM_PSEUDONYM_KEY, then $POEM_PSEUDONYM_KEY_FILE")
    p.add_argument("--seed", type=int, help="random seed of the path search (same data and seed, same report)")
    p.add_argument("--n-seeds", dest="n_seeds", type=int, help="seeds used to measure the path's stability")
    p.add_argument("--method", help="path method: aco, lop, greedy or topological")
    p.add_argument("--param", action="append", type=_param, metavar="NAME=VALUE",
                   help="any other report-notebook parameter (repeatable)")
    p.add_argument("--keep-notebook", dest="keep_notebook", metavar="IPYNB",
                   help="also keep the executed notebook here")
    p.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT, help="seconds per notebook cell")
    p.set_defaults(func=_report)

    b = subparsers.add_parser("batch", help="run a notebook over a grid or list of parameters",
                              description="Run NOTEBOOK once per parameter set of a YAML grid/list; keep every "
                                          "executed notebook and collect published results into "
                                          "results.csv / results.parquet.")
    b.add_argument("notebook", help="notebook path, number (04) or name (parameter_sweep)")
    b.add_argument("--grid", required=True, help="YAML batch file (grid: / runs: / parameters:)")
    b.add_argument("--out", required=True, help="output folder")
    b.add_argument("--jobs", type=int, default=1, help="runs executed in parallel (default 1)")
    b.add_argument("--force", action="store_true",
                   help="rerun runs that already succeeded (by default they are skipped and reported so)")
    b.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT, help="seconds per notebook cell")
    b.add_argument("--no-progress", dest="no_progress", action="store_true", help="hide the progress bar")
    b.set_defaults(func=_batch)

    d = subparsers.add_parser("demo", help="the report on the bundled demo course (what `make demo` runs)",
                              description="Build the team report on the bundled 40-item demo course: "
                                          "OUT/report.html (or report_fr.html), the executed notebook "
                                          "OUT/report.ipynb and the report's tables as CSV files in OUT.")
    d.add_argument("--out", default="reports", help="output folder (default reports)")
    d.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the report (default en)")
    d.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT, help="seconds per notebook cell")
    d.set_defaults(func=_demo)

