"""Vectorised timestamp parsing for every importer: strings, datetimes or epoch numbers -> int64 ns UTC.

Each value ends in one of three states (see :data:`OK`, :data:`UNPARSEABLE`, :data:`NAIVE`):

* strings with an explicit UTC offset (``+02:00``, ``+0200``, ``Z``) are converted to UTC, so mixed offsets
  in one column are normalised;
* strings without an offset, and naive ``datetime64`` columns, are *naive*: they are accepted only when the
  caller names the zone they were written in (``naive_timestamps="utc"`` or any IANA zone such as
  ``"Europe/Paris"``), otherwise they are reported as naive so the importer can reject them;
* anything else (garbage, out-of-range dates) is unparseable.

Strings are parsed as ISO 8601 unless ``timestamp_format`` (a ``strftime`` pattern) is given. The common
layout ``YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+HH:MM|+HHMM|+HH]`` is read by a strict compiled parser
straight from the Arrow buffers (:mod:`poem.importers._isotime`); every other value, and any value that
parser is unsure of, goes to pandas, which decides the hard cases.

Examples
--------
>>> import pandas as pd
>>> ns, state = parse_timestamps(pd.Series(["2024-01-01 12:00:00+02:00", "2024-01-01T10:00:00Z",
...                                         "2024-01-01 10:00", "soon"]))
>>> pd.to_datetime(ns[:2], unit="ns", utc=True).strftime("%H:%M").tolist()
['10:00', '10:00']
>>> state.tolist()
[0, 0, 2, 1]
>>> parse_timestamps(pd.Series(["2024-01-01 10:00"]), naive_timestamps="Europe/Paris")[1].tolist()
[0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from poem.errors import ParameterError

__all__ = ["parse_timestamps", "OK", "UNPARSEABLE", "NAIVE", "MISSING"]

OK, UNPARSEABLE, NAIVE, MISSING = 0, 1, 2, 3

# an explicit offset only counts after a clock time, so a bare date such as "2024-01-01" is not read as
# the offset "-01"
_OFFSET = r"\d:\d\d(?::\d\d(?:[.,]\d*)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)\s*$"
_NS_MIN, _NS_MAX = pd.Timestamp.min.value, pd.Timestamp.max.value


def parse_timestamps(values: pd.Series, *, naive_timestamps: str | None = None,
                     timestamp_format: str | None = None,
                     timestamp_unit: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of timestamps.

    Parameters
    ----------
    values : Series
        Strings, ``datetime64`` (naive or tz-aware), Python datetimes, or epoch numbers.
    naive_timestamps : str, optional
        Zone in which naive values were written (``"utc"`` or an IANA name); None rejects them.
    timestamp_format : str, optional
        ``strftime`` pattern for strings (default ISO 8601).
    timestamp_unit : {"s", "ms", "us", "ns"}, optional
        Unit of numeric epoch values (always UTC). Numeric columns need it.

    Returns
    -------
    ns : ndarray of int64
        Nanoseconds since the epoch (UTC); meaningless where ``state != OK``.
    state : ndarray of int8
        :data:`OK`, :data:`UNPARSEABLE`, :data:`NAIVE` or :data:`MISSING` per value.
    """
    zone = _zone(naive_timestamps)
    n = len(values)
    ns = np.zeros(n, dtype=np.int64)
    state = np.full(n, OK, dtype=np.int8)
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _store(values.dt.tz_convert("UTC"), ns, state, np.ones(n, bool))
    if pd.api.types.is_datetime64_dtype(dtype):
        if zone is None:
            state[:] = NAIVE
            state[values.isna().to_numpy()] = MISSING
            return ns, state
        return _store(_localize(values, zone), ns, state, np.ones(n, bool))
    if pd.api.types.is_bool_dtype(dtype):
        state[:] = UNPARSEABLE
        return ns, state
    if pd.api.types.is_numeric_dtype(dtype) or timestamp_unit is not None:
        if timestamp_unit is None:
            raise ParameterError(
                f"timestamp column {values.name!r} holds numbers ({dtype}); pass timestamp_unit="
                "'s', 'ms', 'us' or 'ns' to read them as Unix epoch times (UTC)")
        if timestamp_unit not in ("s", "ms", "us", "ns"):
            raise ParameterError(f"timestamp_unit must be 's', 'ms', 'us' or 'ns', got {timestamp_unit!r}")
        num = np.array(pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
        scaled = num * {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[timestamp_unit]
        bad = ~np.isfinite(scaled) | (scaled < _NS_MIN) | (scaled > _NS_MAX)
        ns[~bad] = np.round(scaled[~bad]).astype(np.int64)
        state[bad] = UNPARSEABLE
        blank = values.isna().to_numpy(dtype=bool)
        if not pd.api.types.is_numeric_dtype(dtype):
            blank = blank | (values.astype("str").str.strip() == "").to_numpy(dtype=bool, na_value=True)
        state[np.isnan(num) & blank] = MISSING
        return ns, state
    return _parse_strings(values, ns, state, zone, timestamp_format)


def _zone(naive_timestamps):
    if naive_timestamps is None:
        return None
    if not isinstance(naive_timestamps, str):
        raise ParameterError(f"naive_timestamps must be None, 'utc' or a zone name, got {naive_timestamps!r}")
    try:
        pd.Timestamp("2024-01-01").tz_localize(naive_timestamps)
    except Exception as exc:  # pytz/zoneinfo raise several unrelated types for unknown zones
        raise ParameterError(f"naive_timestamps={naive_timestamps!r} is not a known time zone") from exc
    return naive_timestamps


def _localize(values: pd.Series, zone: str) -> pd.Series:
    # wall-clock times that do not exist or are ambiguous (DST changes) cannot be placed: NaT, unparseable
    return values.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")


def _store(parsed: pd.Series, ns, state, where: np.ndarray, missing=None):
    """Write tz-aware ``parsed`` (aligned with ``where``'s true positions) into ``ns``/``state``."""
    idx = np.flatnonzero(where)
    # go through int64 of the native unit so far-away dates become unparseable, not overflow errors
    unit = np.datetime_data(parsed.dtype.base if hasattr(parsed.dtype, "base") else parsed.dtype)[0]
    raw = parsed.to_numpy(dtype=f"datetime64[{unit}]").view("int64")
    nat = parsed.isna().to_numpy()
    factor = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    lo, hi = _NS_MIN // factor, _NS_MAX // factor
    out = nat | (raw < lo) | (raw > hi)
    if len(idx) == len(ns) and not out.any():  # the common case: every value converts, no index needed
        np.multiply(raw, factor, out=ns)
        return ns, state
    ok = ~out
    ns[idx[ok]] = raw[ok] * factor
    state[idx[out]] = UNPARSEABLE
    if missing is not None:
        state[idx[out & missing]] = MISSING
    return ns, state


def _arrow_strings(values: pd.Series):
    """The column as an Arrow string array (zero-copy for pandas' Arrow-backed strings, one conversion for
    an object column of str), or None when it holds anything but strings and missing values."""
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    return arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


def _parse_strings(values: pd.Series, ns, state, zone, timestamp_format, fast: bool = True):
    """Strings: the strict ISO 8601 kernel (:mod:`._isotime`) first, then pandas for the rows it left.

    ``fast=False`` sends every row to pandas (the careful path alone; tests compare the two).
    """
    todo = np.ones(len(values), dtype=bool)
    if fast and timestamp_format is None and len(values):
        from poem.importers._isotime import FAST_AWARE, FAST_NAIVE, parse_iso

        arr = _arrow_strings(values)
        if arr is None:  # mixed Python objects: render each as text, as the careful path does
            arr = _arrow_strings(values.astype("str"))
        if arr is not None:
            # straight into ``ns``: the rows left to pandas are overwritten below, and ``ns`` means
            # nothing where the state is not OK (naive values without a zone)
            _, kind = parse_iso(arr, out=ns)
            take = kind == FAST_AWARE
            naive = kind == FAST_NAIVE
            if zone is None:
                state[naive] = NAIVE
                todo = ~(take | naive)
            else:
                if zone.upper() in ("UTC", "ETC/UTC"):  # wall-clock time in UTC is the time itself
                    take |= naive
                todo = ~take
    if not todo.any():
        return ns, state
    idx = np.flatnonzero(todo)
    sub = values if len(idx) == len(values) else values.iloc[idx]
    text = sub.astype("str") if not isinstance(sub.dtype, pd.StringDtype) else sub
    missing = (text.isna() | (text.str.strip() == "")).to_numpy(dtype=bool, na_value=True)
    state[idx[missing]] = MISSING
    if missing.all():
        return ns, state
    rest, idx = text[~missing], idx[~missing]
    aware = rest.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool, na_value=False)
    fmt = timestamp_format or "ISO8601"
    naive_parsed = None
    if (~aware).any():
        try:
            naive_parsed = pd.to_datetime(rest[~aware], format=fmt, errors="coerce")
        except ValueError:
            # pandas saw offsets the pattern did not, next to naive values, and refuses the mixture: tell
            # them apart value by value (malformed input only), then parse each group as usual
            aware[~aware] = [isinstance(pd.to_datetime(pd.Series([v]), format=fmt, errors="coerce").dtype,
                                        pd.DatetimeTZDtype) for v in rest[~aware]]
            if (~aware).any():
                naive_parsed = pd.to_datetime(rest[~aware], format=fmt, errors="coerce")
    if aware.any():
        parsed = pd.to_datetime(rest[aware], format=fmt, utc=True, errors="coerce")
        where = np.zeros(len(values), bool)
        where[idx[aware]] = True
        _store(parsed, ns, state, where)
    if naive_parsed is not None:
        parsed = naive_parsed
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            # a custom format with %z parses offsets the regex did not recognise
            parsed_utc = parsed.dt.tz_convert("UTC")
        elif zone is None:
            parsed_utc = None
        else:
            parsed_utc = _localize(parsed, zone)
        where = np.zeros(len(values), bool)
        where[idx[~aware]] = True
        if parsed_utc is None:
            # rejected as naive anyway, but only real times within the nanosecond range count as naive; the
            # rest are unparseable, whatever else shares the column (pandas picks the unit from all values)
            checked = np.zeros(len(parsed), np.int8)
            _store(parsed, np.zeros(len(parsed), np.int64), checked, np.ones(len(parsed), bool))
            bad = checked == UNPARSEABLE
            state[idx[~aware][bad]] = UNPARSEABLE
            state[idx[~aware][~bad]] = NAIVE
        else:
            _store(parsed_utc, ns, state, where)
    return ns, state
