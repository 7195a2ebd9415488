"""Item catalogues: what the course offers, in the order its authors planned (when they did).

A catalogue is a table with one row per item: an id and, when known, a ``title``, a ``kind`` (video, quiz,
page...), a planned ``position`` in the syllabus and a ``week``. It is returned indexed by item id (text)
with exactly those four columns first (NaN when unknown) followed by any other columns of the input.
Items of the catalogue join the traces' vocabulary even when no learner reached them.

Examples
--------
>>> import pandas as pd
>>> cat = read_catalog(pd.DataFrame({"id": [3, 1], "name": ["Quiz", "Intro"], "type": ["quiz", "video"],
...                                  "order": [2, 1]}))
>>> cat.index.tolist(), cat["kind"].tolist(), cat["position"].tolist()
(['3', '1'], ['quiz', 'video'], [2.0, 1.0])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poem.errors import TraceFormatError
from poem.importers.files import read_small_table

__all__ = ["read_catalog", "CATALOG_COLUMNS", "CATALOG_NAMES"]

CATALOG_COLUMNS = ["title", "kind", "position", "week"]

#: recognised input names per catalogue field (case-insensitive), first match wins
CATALOG_NAMES = {
    "item": ("item", "item_id", "id", "id_site", "concept:name", "usage_key", "object_id"),
    "title": ("title", "name", "display_name", "label"),
    "kind": ("kind", "type", "activity_type", "category", "block_type"),
    "position": ("position", "order", "rank", "index", "sequence"),
    "week": ("week", "week_from", "module_week"),
}


def read_catalog(source) -> pd.DataFrame:
    """Read an item catalogue (CSV, Parquet, JSON records, or a DataFrame); never modifies the input.

    Raises :class:`TraceFormatError` when no item column exists (naming the columns found), when an
    item is listed twice, or when ``position`` / ``week`` hold non-numbers.
    """
    frame = read_small_table(source, "catalogue", json=True)
    lower = {}
    for c in frame.columns:
        lower.setdefault(str(c).lower(), c)
    found = {f: next((lower[n] for n in names if n in lower), None) for f, names in CATALOG_NAMES.items()}
    if found["item"] is None:
        raise TraceFormatError(f"catalogue needs an item id column ({', '.join(CATALOG_NAMES['item'][:4])});"
                               f" columns found: {list(frame.columns)}")
    ids = frame[found["item"]]
    blank = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy(dtype=bool)
    if blank.any():
        raise TraceFormatError(f"catalogue row {int(np.flatnonzero(blank)[0])} has no item id")
    if pd.api.types.is_float_dtype(ids.dtype) and np.all(np.mod(ids.to_numpy(), 1) == 0):
        ids = ids.astype(np.int64)
    index = pd.Index(ids.astype(str).to_numpy(dtype=object), name="item", dtype=object)
    if index.has_duplicates:
        raise TraceFormatError(f"catalogue lists item {index[index.duplicated()][0]!r} more than once")
    out = pd.DataFrame(index=index)
    for field in CATALOG_COLUMNS:
        col = found[field]
        if col is None:
            out[field] = (np.nan if field in ("position", "week")
                          else pd.Series(np.full(len(index), None, dtype=object), index=index, dtype=object))
            continue
        values = frame[col].to_numpy()
        if field in ("position", "week"):
            num = pd.to_numeric(pd.Series(values), errors="coerce")
            bad = num.isna() & pd.Series(values).notna() & (pd.Series(values).astype(str).str.strip() != "")
            if bad.any():
                raise TraceFormatError(f"catalogue {col} {values[bad.to_numpy()][0]!r} (item "
                                       f"{index[bad.to_numpy()][0]!r}) is not a number")
            out[field] = num.to_numpy(dtype=float)
        else:
            values = values.astype(object)
            out[field] = pd.Series(np.where(pd.isna(values), None, values), index=index, dtype=object)
    used = {c for c in found.values() if c is not None}
    for c in frame.columns:
        if c not in used and str(c) not in out.columns:
            out[str(c)] = frame[c].to_numpy()
    return out
