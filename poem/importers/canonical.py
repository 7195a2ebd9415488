"""The canonical traces file: a :class:`~poem.traces.Traces` as one Parquet file, read back exactly.

Events are stored sorted, ``learner`` and ``item`` as dictionary columns over the full vocabularies,
``timestamp`` as ``timestamp[ns, UTC]``, ``score`` and ``duration`` as float64, then the optional
video columns of :data:`~poem.traces.VIDEO_FIELDS` (``length``, ``covered``, ``position_max``,
``seeks_back``, float64) only when the traces carry them (a reader that does not know them sees extra
columns; a file without them reads back with ``video=None``). The vocabularies,
outcomes, item attributes, rejects, ``n_read`` and the pseudonymisation flag travel in the schema metadata
under :data:`CANONICAL_KEY` (a JSON document with a format version), so that
``read_traces(write_traces(t, path))`` equals ``t`` in every field. Any Parquet reader sees an ordinary
table of events.
"""

from __future__ import annotations

import base64
import io as _io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import ParameterError, TraceFormatError
from poem.traces import VIDEO_FIELDS, Traces

__all__ = ["write_traces", "read_canonical", "is_canonical", "CANONICAL_KEY", "CANONICAL_VERSION"]

#: key of the schema metadata that marks a canonical Parquet file written by :func:`write_traces`
CANONICAL_KEY = b"poem.traces"
CANONICAL_VERSION = 1


def _frame_bytes(frame: pd.DataFrame | None) -> dict | None:
    if frame is None:
        return None
    buf = _io.BytesIO()
    frame.to_parquet(buf)
    # Parquet has no "object column of str/None": remember which columns (and index) were object so
    # they come back as such, not as pandas' string dtype or as float NaN for all-None columns
    return {"parquet": base64.b64encode(buf.getvalue()).decode("ascii"),
            "object_columns": [str(c) for c in frame.columns if frame[c].dtype == object],
            "object_index": bool(frame.index.dtype == object)}


def _frame_from(stored: dict | None) -> pd.DataFrame | None:
    if stored is None:
        return None
    frame = pd.read_parquet(_io.BytesIO(base64.b64decode(stored["parquet"])))
    for col in stored["object_columns"]:
        values = frame[col].to_numpy(dtype=object)
        frame[col] = pd.Series(np.where(pd.isna(values), None, values), index=frame.index, dtype=object)
    if stored["object_index"]:
        frame.index = frame.index.astype(object)
    return frame


def write_traces(traces: Traces, path) -> Path:
    """Write ``traces`` as a canonical Parquet file; :func:`poem.io.read_traces` on it gives back equal traces.

    Events are stored sorted, learner and item as dictionary columns over the full vocabularies; the
    vocabularies, outcomes, item attributes, rejects, ``n_read`` and the pseudonymisation flag travel in
    the file's metadata.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from poem.io import read_traces
    >>> t = read_traces(pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": ["2024-01-01T00:00Z"]}))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = read_traces(write_traces(t, os.path.join(d, "t.parquet")))
    >>> back.items.tolist(), back.summary().n_read
    (['x'], 1)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(traces, Traces):
        raise ParameterError(f"write_traces needs a Traces, got {type(traces).__name__}")
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise TraceFormatError(f"cannot write {path}: directory {path.parent} does not exist")
    learners = pa.array(np.asarray(traces.learners, dtype=object).astype(str), type=pa.string())
    items = pa.array(np.asarray(traces.items, dtype=object).astype(str), type=pa.string())
    meta = {
        "version": CANONICAL_VERSION,
        "n_read": int(traces.n_read),
        "pseudonymised": bool(traces.pseudonymised),
        "learners": learners.to_pylist(),
        "items": items.to_pylist(),
        "outcomes": None if traces.outcomes is None else [None if np.isnan(v) else float(v)
                                                          for v in traces.outcomes],
        "item_info": _frame_bytes(traces.item_info),
        "rejects": _frame_bytes(traces.rejects),
    }
    table = pa.table({
        "learner": pa.DictionaryArray.from_arrays(pa.array(traces.learner, pa.int32()), learners),
        "item": pa.DictionaryArray.from_arrays(pa.array(traces.item, pa.int32()), items),
        "timestamp": pa.array(traces.timestamp, pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
        "score": pa.array(traces.score, pa.float64(), from_pandas=False),
        "duration": pa.array(traces.duration, pa.float64(), from_pandas=False),
        **{k: pa.array(v, pa.float64(), from_pandas=False) for k, v in (traces.video or {}).items()},
    })
    table = table.replace_schema_metadata({CANONICAL_KEY: json.dumps(meta).encode("utf-8")})
    try:
        pq.write_table(table, path)
    except OSError as exc:
        raise TraceFormatError(f"cannot write {path} ({exc})") from exc
    return path


def is_canonical(path: Path) -> bool:
    """True when ``path`` is a Parquet file written by :func:`write_traces`."""
    if not path.is_file() or not path.name.lower().endswith((".parquet", ".pq")):
        return False
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # not parquet at all: let the parquet reader produce the error message
        return False
    return CANONICAL_KEY in meta


def _codes(column, vocab: np.ndarray) -> np.ndarray:
    import pyarrow as pa

    out = []
    for chunk in column.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary_encode()
        remap = np.searchsorted(vocab, np.asarray(chunk.dictionary.to_pylist(), dtype=object).astype(str))
        out.append(remap[chunk.indices.to_numpy(zero_copy_only=False)])
    return np.concatenate(out).astype(np.int32) if out else np.array([], np.int32)


def read_canonical(path: Path) -> Traces:
    """Read a file written by :func:`write_traces` (use :func:`poem.io.read_traces`, which calls this)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[CANONICAL_KEY])
    except Exception as exc:
        raise TraceFormatError(f"{path}: corrupt POEM traces file ({exc})") from exc
    if meta.get("version", 0) > CANONICAL_VERSION:
        raise TraceFormatError(f"{path} was written by a newer POEM (format {meta['version']})")
    learners = np.array(meta["learners"], dtype=object)
    items = np.array(meta["items"], dtype=object)
    outcomes = None if meta["outcomes"] is None else np.array(
        [np.nan if v is None else v for v in meta["outcomes"]], dtype=float)
    ts = table.column("timestamp").cast("int64").to_numpy()
    video = {k: table.column(k).to_numpy().astype(np.float64) for k in VIDEO_FIELDS
             if k in table.column_names}
    return Traces(
        learner=_codes(table.column("learner"), learners.astype(str)),
        item=_codes(table.column("item"), items.astype(str)),
        timestamp=np.ascontiguousarray(ts, dtype=np.int64),
        score=table.column("score").to_numpy().astype(np.float64),
        duration=table.column("duration").to_numpy().astype(np.float64),
        learners=learners, items=items, outcomes=outcomes,
        item_info=_frame_from(meta["item_info"]), rejects=_frame_from(meta["rejects"]),
        n_read=int(meta["n_read"]), pseudonymised=bool(meta["pseudonymised"]), video=video or None,
    )
