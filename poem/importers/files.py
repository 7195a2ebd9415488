"""Opening input files: the checks every file reader makes first, and transparent gzip."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pandas as pd

from poem.errors import TraceFormatError

__all__ = ["check_file", "open_text", "sniff_delimiter", "read_small_table"]


def check_file(path: Path) -> None:
    """Raise :class:`TraceFormatError` naming the problem when ``path`` is missing, a broken link or a
    symlink loop, a folder, empty, or not readable."""
    path = Path(path)
    try:
        exists = path.exists()
    except OSError as exc:  # e.g. a folder on the way that cannot be entered
        raise TraceFormatError(f"cannot read {path} ({exc.strerror or exc}); check its permissions") from exc
    if not exists:
        if path.is_symlink():
            try:
                path.resolve(strict=True)
            except RuntimeError as exc:  # Python < 3.13 raises RuntimeError for loops
                raise TraceFormatError(f"{path} is a symbolic link loop ({exc})") from exc
            except OSError as exc:
                what = "loop" if "loop" in str(exc).lower() or getattr(exc, "errno", 0) == 40 else "target"
                raise TraceFormatError(f"{path} is a symbolic link {'loop' if what == 'loop' else 'to nothing'}"
                                       f" ({exc.strerror or exc})") from exc
            raise TraceFormatError(f"{path} is a symbolic link to nothing")
        raise TraceFormatError(f"no such file: {path}")
    if path.is_dir():
        raise TraceFormatError(f"{path} is a directory, not a file")
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise TraceFormatError(f"cannot read {path} ({exc.strerror or exc}); check its permissions") from exc
    if size == 0:
        raise TraceFormatError(f"{path} is empty")


def open_text(path: Path, encoding: str = "utf-8", *, errors: str = "replace", newline=None):
    """Open a text file, transparently decompressing gzip (by magic number, whatever the suffix).

    Undecodable bytes are replaced by default; the CSV reader passes ``errors="strict"`` (and
    ``newline=""``, as the ``csv`` module wants) to fail on them instead.
    """
    with open(path, "rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    return opener(path, "rt", encoding=encoding, errors=errors, newline=newline)


def sniff_delimiter(path: Path) -> str:
    """The delimiter of a text table from its header line (tab for ``.tsv``, comma when unsure)."""
    check_file(path)
    try:
        with open_text(path, "utf-8-sig") as fh:
            head = fh.readline()
    except (OSError, EOFError) as exc:
        raise TraceFormatError(f"cannot read {path} ({exc})") from exc
    if path.name.endswith((".tsv", ".tsv.gz")):
        return "\t"
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_small_table(source, what: str, *, json: bool = False) -> pd.DataFrame:
    """A side table (outcomes, catalogue) read whole: a DataFrame is returned as is (never modified), a
    path is read as Parquet, JSON records (only when ``json``) or delimited text kept as str (only ""
    is missing). Raises :class:`TraceFormatError` naming ``what`` and the file when it cannot be read."""
    if isinstance(source, pd.DataFrame):
        return source
    path = Path(source)
    if not path.exists():
        raise TraceFormatError(f"no such {what} file: {path}")
    if path.is_dir() or path.stat().st_size == 0:
        raise TraceFormatError(f"{what} file {path} is empty or a directory")
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        if json and name.endswith(".json"):
            return pd.read_json(path, dtype=False)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], sep=sniff_delimiter(path))
    except (ValueError, OSError) as exc:  # pandas' and Arrow's parse errors are ValueErrors
        raise TraceFormatError(f"{what} file {path} cannot be read ({exc})") from exc
