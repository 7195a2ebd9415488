"""The three-line "DKT" format of knowledge-tracing benchmarks -> :class:`~poem.traces.Traces`.

Piech et al. (2015, *Deep Knowledge Tracing*) published ASSISTments and other data sets as plain text with
three lines per record: the number of attempts, the comma-separated item (skill) ids in order, and the
comma-separated 0/1 correctness of each attempt. A trailing comma is allowed on every line::

    3
    82,82,17,
    0,1,1,

Learners
    Records carry no learner id: record ``k`` (0-based, in file order) becomes learner
    ``<file stem>:<k>`` zero-padded to six digits, so two files (a train and a test split) never share a
    learner.

Timestamps
    Records carry no time either: attempt ``i`` of a record is stamped ``2000-01-01 00:00:00 UTC + i``
    seconds. Only the order within a learner is real; comparing times across learners means nothing (a
    ``time`` split of such data is a split by position in the trail).

A record whose lines disagree (count, ids and scores of different lengths), or whose count or scores are
not numbers in [0, 1], is rejected whole with reason ``malformed_row`` (its ``row`` is the record number and
the detail names the line); a file that is not in this format at all raises
:class:`~poem.errors.TraceFormatError`.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.csv"
>>> _ = path.write_text("2\\n7,10,\\n0,1,\\n1\\n7\\n1\\n")
>>> t = read_dkt(path)
>>> t.to_frame()[["learner", "item", "score"]].values.tolist()
[['tiny:000000', '7', 0.0], ['tiny:000000', '10', 1.0], ['tiny:000001', '7', 1.0]]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import TraceFormatError
from poem.importers.batch import Batch, assemble, make_rejects
from poem.traces import Traces

__all__ = ["read_dkt", "looks_like_dkt", "DKT_EPOCH_NS"]

#: the stamp of every record's first attempt (2000-01-01 UTC); attempt i is i seconds later
DKT_EPOCH_NS = int(pd.Timestamp("2000-01-01", tz="UTC").value)


def _fields(line: str) -> list:
    parts = [p.strip() for p in line.strip().split(",")]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    return parts


def looks_like_dkt(path) -> bool:
    """True when the first three lines of ``path`` read as one DKT record (a count, then two lists of it)."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = [fh.readline() for _ in range(3)]
    except (OSError, UnicodeDecodeError):
        return False
    if len(head) < 3 or not head[0].strip().isdigit():
        return False
    n = int(head[0].strip())
    return len(_fields(head[1])) == n and len(_fields(head[2])) == n


def read_dkt(path, *, outcomes=None, pseudonymise_key=None, duplicates: str = "reject") -> Traces:
    """Read one DKT three-line file (see the module docstring).

    Parameters
    ----------
    path : str or Path
    outcomes, pseudonymise_key, duplicates
        As in :func:`poem.io.read_traces`.

    Returns
    -------
    Traces
    """
    path = Path(path)
    if not path.is_file():
        raise TraceFormatError(f"DKT file {str(path)!r} does not exist")
    with open(path, encoding="utf-8") as fh:
        lines = [ln for ln in fh.read().splitlines() if ln.strip()]
    if not lines:
        raise TraceFormatError(f"DKT file {str(path)!r} is empty")
    if len(lines) % 3:
        raise TraceFormatError(f"DKT file {str(path)!r} has {len(lines)} non-blank lines, not a multiple of 3 "
                               "(count, item ids, scores per record): is it really the DKT format?")
    stem = path.stem
    learners, items, stamps, scores, rows = [], [], [], [], []
    bad_rows, bad_details = [], []
    for k in range(len(lines) // 3):
        head, ids, sc = lines[3 * k], _fields(lines[3 * k + 1]), _fields(lines[3 * k + 2])
        try:
            n = int(head.strip())
            vals = np.asarray(sc, dtype=float)
        except ValueError:
            bad_rows.append(k)
            bad_details.append(f"line {3 * k + 1}: count {head.strip()!r} or scores are not numbers")
            continue
        if len(ids) != n or len(vals) != n or any(not i for i in ids):
            bad_rows.append(k)
            bad_details.append(f"line {3 * k + 1}: count {n} but {len(ids)} item ids and {len(vals)} scores")
            continue
        if n and (np.isnan(vals).any() or vals.min() < 0 or vals.max() > 1):
            bad_rows.append(k)
            bad_details.append(f"line {3 * k + 3}: a score outside [0, 1]")
            continue
        learners.extend([f"{stem}:{k:06d}"] * n)
        items.extend(ids)
        stamps.append(DKT_EPOCH_NS + np.arange(n, dtype=np.int64) * 10**9)
        scores.append(vals)
        rows.extend([k] * n)
    n_records = len(lines) // 3
    if len(bad_rows) == n_records:
        raise TraceFormatError(f"no record of DKT file {str(path)!r} could be read (first problem: "
                               f"{bad_details[0]})")
    rejects = make_rejects(path.name, bad_rows, "malformed_row", bad_details)
    stamp = np.concatenate(stamps) if stamps else np.zeros(0, np.int64)
    score = np.concatenate(scores) if scores else np.zeros(0)
    batch = Batch.from_columns(path.name, rows, learners, items, stamp, score, np.full(len(score), np.nan),
                               rejects=rejects, n_read=len(rows) + len(bad_rows))
    return assemble([batch], duplicates=duplicates, outcomes=outcomes, pseudonymise_key=pseudonymise_key)

