"""Opening input files: the checks every file reader makes first, and transparent gzip."""

from __future__ import annotations

import gzip
from pathlib import Path

from ..errors import TraceFormatError

__all__ = ["check_file", "open_text"]


def check_file(path: Path) -> None:
    """Raise :class:`TraceFormatError` naming the problem when ``path`` is missing, a folder or empty."""
    if not path.exists():
        raise TraceFormatError(f"no such file: {path}")
    if path.is_dir():
        raise TraceFormatError(f"{path} is a directory, not a file")
    if path.stat().st_size == 0:
        raise TraceFormatError(f"{path} is empty")


def open_text(path: Path):
    """Open a text file, transparently decompressing gzip (by magic number, whatever the suffix)."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, "rt", encoding="utf-8", errors="replace")
