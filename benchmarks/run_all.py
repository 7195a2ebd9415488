"""Run every ``benchmarks/bench_*.py`` (one subprocess each, one after the other) and assemble
``benchmarks/RESULTS.md`` from ``benchmarks/results/*.md`` with the command that produced each table.

How a script is asked to write its table is read from its ``--help``: ``--write FILE`` / ``--out FILE``
get ``benchmarks/results/<name>.md`` (``bench_<name>.py``), a bare ``--write`` flag is passed as is (the
script knows its file). A script with no such option has its standard output captured into RESULTS.md
(its hand-kept ``results/<name>.md``, if any, is left untouched and included after it). ``--quick`` is
passed to scripts that offer it. Scripts run sequentially -- benchmarks on a shared 2-core machine must
not compete -- and a failing script is reported without stopping the others.

Usage::

    python benchmarks/run_all.py [--quick] [--only fit,scale] [--skip-run] [--timeout 3600]

``make bench`` calls it. Exit code 1 when a script failed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
SUMMARY = HERE / "RESULTS.md"


def discover(only=None) -> list[Path]:
    """The benchmark scripts, sorted by name; ``only`` keeps the given names (``fit`` or ``bench_fit``)."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {w if w.startswith("bench_") else f"bench_{w}" for w in only}
        unknown = wanted - {s.stem for s in scripts}
        if unknown:
            raise SystemExit(f"run_all: no benchmark named {sorted(unknown)}; found {[s.stem for s in scripts]}")
        scripts = [s for s in scripts if s.stem in wanted]
    return scripts


def name_of(script: Path) -> str:
    return script.stem[len("bench_"):]


def plan(script: Path, quick: bool, help_text: str) -> tuple[list[str], bool]:
    """Arguments for ``script`` and whether it writes its own results file, from its ``--help`` text."""
    target = str((RESULTS / f"{name_of(script)}.md").relative_to(REPO))
    args: list[str] = []
    writes = True
    if re.search(r"--write[ =][A-Z_]+", help_text):
        args += ["--write", target]
    elif re.search(r"--out[ =][A-Z_]+", help_text):
        args += ["--out", target]
    elif re.search(r"--write\b", help_text):
        args += ["--write"]
    else:
        writes = False
    if quick and re.search(r"--quick\b", help_text):
        args += ["--quick"]
    return args, writes


def run(script: Path, quick: bool, timeout: float | None) -> dict:
    python = sys.executable
    help_text = subprocess.run([python, str(script), "--help"], cwd=REPO, capture_output=True, text=True,
                               timeout=300).stdout
    args, writes = plan(script, quick, help_text)
    command = " ".join(["python", str(script.relative_to(REPO)), *args])
    print(f"run_all: {command}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        proc = subprocess.run([python, str(script), *args], cwd=REPO, stdout=subprocess.PIPE, text=True,
                              timeout=timeout)
        code, out = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as exc:
        code, out = "timeout", (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    seconds = time.perf_counter() - started
    print(f"run_all: {script.name}: exit {code} in {seconds:.0f} s", file=sys.stderr, flush=True)
    return {"script": script, "command": command, "code": code, "seconds": seconds, "stdout": out,
            "writes": writes, "when": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def _demote(text: str) -> str:
    """Shift markdown headings two levels down so each benchmark's own title sits under its section."""
    return re.sub(r"^(#+) ", lambda m: "##" + m.group(1) + " ", text, flags=re.M)


def assemble(runs: dict) -> str:
    """RESULTS.md: one section per benchmark (the scripts found, plus any results file without one)."""
    names = sorted({name_of(s) for s in discover()} | {p.stem for p in RESULTS.glob("*.md")})
    lines = ["# Benchmark results", "",
             "Assembled by `python benchmarks/run_all.py` from `benchmarks/results/*.md`; each section gives "
             "the command that produced its table. Speed targets are ratios against peers measured in the "
             "same run, so they hold across machines.", ""]
    index = []
    body = []
    for name in names:
        path = RESULTS / f"{name}.md"
        record = runs.get(name)
        body += [f"## {name}", ""]
        if record is not None:
            status = "ok" if record["code"] == 0 else f"**FAILED (exit {record['code']})**"
            body += [f"Last run by run_all: `{record['command']}` -- {status}, {record['seconds']:.0f} s, "
                     f"{record['when']}.", ""]
            index.append(f"| {name} | `{record['command']}` | {status} |")
            if not record["writes"] and record["stdout"].strip():
                body += ["Standard output of that command:", "", "```", record["stdout"].rstrip(), "```", ""]
        else:
            index.append(f"| {name} | (not run now: table from `{path.relative_to(REPO)}`) | |")
        if path.exists():
            text = path.read_text()
            if record is None or not record["writes"]:
                command = next((ln.strip() for ln in text.splitlines()
                                if ln.lower().startswith(("command:", "produced by"))), None)
                if command is None:
                    body += [f"From `{path.relative_to(REPO)}` (it does not name its command; run "
                             f"`python benchmarks/bench_{name}.py`).", ""]
            body += [_demote(text).rstrip(), ""]
        elif record is None or record["writes"]:
            body += ["No results recorded yet.", ""]
    lines += ["| benchmark | command | status |", "|---|---|---|", *index, "", *body]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to scripts that offer it")
    parser.add_argument("--only", help="comma-separated benchmark names (e.g. fit,scale)")
    parser.add_argument("--skip-run", action="store_true", help="only assemble RESULTS.md")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per script")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    runs = {}
    if not args.skip_run:
        only = [s.strip() for s in args.only.split(",")] if args.only else None
        for script in discover(only):
            runs[name_of(script)] = run(script, args.quick, args.timeout)
    SUMMARY.write_text(assemble(runs))
    print(f"run_all: wrote {SUMMARY.relative_to(REPO)}", file=sys.stderr)
    failed = [n for n, r in runs.items() if r["code"] != 0]
    if failed:
        print(f"run_all: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
