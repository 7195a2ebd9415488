"""Carry mutation-log lines over an edit of the mutated modules: old line numbers to the current ones.

A line of a mutation log (``benchmarks/mutation.py --log``) names its mutant by module, line number and
description, so an edit that moves code (a docstring made longer, a comment added) detaches the logged
outcomes from their mutants. When an edit leaves the mutated code itself unchanged, each logged line can be
carried over: the module as it was at the logged revision and as it is in the working tree are matched line
by line (:class:`difflib.SequenceMatcher`), and a log line whose source line is matched keeps its outcome
under its new number. A log line whose source line was changed or removed is dropped (its mutant must be
run again); the count is reported.

    python benchmarks/mutation_renumber.py REV LOG_IN LOG_OUT [MODULE=REV ...]

``REV`` is the git revision the log's line numbers refer to (per module when ``MODULE=REV`` is given).
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^(\s+\S+(?: rc=-?\d+)?\s+[\d.]+s )(\S+):(\d+)( .*)$")


def line_map(module: str, rev: str) -> dict[int, int]:
    """``{old line: new line}`` for the lines of ``module`` at ``rev`` found unchanged in the working tree."""
    old = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{module}"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    new = (REPO / module).read_text().splitlines()
    out = {}
    for a, b, size in difflib.SequenceMatcher(None, old, new, autojunk=False).get_matching_blocks():
        out.update({a + k + 1: b + k + 1 for k in range(size)})
    return out


def renumber(lines, rev: str, per_module: dict | None = None):
    """The log ``lines`` renumbered; ``(lines, moved, dropped)``."""
    per_module = per_module or {}
    maps, out, moved, dropped = {}, [], 0, 0
    for line in lines:
        hit = LINE.match(line)
        if hit:
            module, old = hit.group(2), int(hit.group(3))
            if module not in maps:
                maps[module] = line_map(module, per_module.get(module, rev))
            if old not in maps[module]:
                dropped += 1
                continue
            moved += maps[module][old] != old
            line = f"{hit.group(1)}{module}:{maps[module][old]}{hit.group(4)}"
        out.append(line)
    return out, moved, dropped


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        raise SystemExit(__doc__)
    rev, src, dst = argv[:3]
    per_module = dict(a.split("=", 1) for a in argv[3:])
    lines, moved, dropped = renumber(Path(src).read_text().splitlines(), rev, per_module)
    Path(dst).write_text("\n".join(lines) + "\n")
    print(f"{src}: {len(lines)} lines kept ({moved} renumbered), {dropped} dropped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
