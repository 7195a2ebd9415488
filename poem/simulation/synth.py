"""Fast, seeded generator of large synthetic MOOC event logs (1 to 10 million events and more).

The scale benchmarks and the Dask engine's out-of-core demonstration need platform-sized logs that nobody
may redistribute; this module makes them up, fully vectorised (no Python loop over learners or events),
so that 10 million events take a few seconds.

The model is deliberately simple but shaped like a real course log:

* learner activity is heavy-tailed (log-normal weights, then one multinomial draw so that the log has
  exactly ``n_events`` rows); most learners leave after a few events, a few produce thousands;
* each learner covers a random share of the course, moving forward in catalogue order with local
  back-and-forth (normal jitter of a few items), so that directly-follows arcs concentrate near the
  diagonal as in real courses;
* every third item is a quiz whose score is a Bernoulli draw of ``sigmoid(ability - difficulty)``; other
  items are page or video views with no success information (``NaN`` score);
* timestamps grow per learner by whole seconds (minutes within a session, about a day between sessions),
  starting on a random day of the course.

Learner ids are ``u`` and the learner number zero-padded to the width of ``n_learners`` (``u000001``...),
so they sort in numeric order; item ids ``i0``, ``i1``... are not padded (``i10`` sorts before ``i2``).

Examples
--------
>>> log = generate_log(1_000, n_learners=50, n_items=12, seed=1)
>>> len(log.events), log.events.columns.tolist()
(1000, ['learner', 'item', 'timestamp', 'score', 'duration'])
>>> bool(log.events["timestamp"].is_monotonic_increasing)
True
>>> log.outcomes["outcome"].between(0, 1).all()
np.True_
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import ParameterError

__all__ = ["SyntheticLog", "generate_log", "write_parquet_log"]

_NS = 1_000_000_000
_DAY_S = 86_400
#: share of events after which a learner takes a long (about one day) break instead of a short gap
_SESSION_BREAK = 0.08
_ORDERS = ("time", "learner", "random")


@dataclass(frozen=True)
class SyntheticLog:
    """A generated log: ``events`` in canonical columns and learner-level ``outcomes``.

    Attributes
    ----------
    events : DataFrame
        ``learner``, ``item`` (str), ``timestamp`` (datetime64[ns, UTC]), ``score`` (float, NaN for
        views), ``duration`` (float seconds).
    outcomes : DataFrame
        ``learner, outcome`` (outcome in [0, 1]) for every learner with at least one event.
    """

    events: pd.DataFrame
    outcomes: pd.DataFrame

    def write_parquet(self, directory, *, partition: str = "day", n_files: int | None = None) -> list[Path]:
        """Write :attr:`events` as Parquet files into ``directory``; see :func:`write_parquet_log`."""
        return _write_parquet(self.events, Path(directory), partition=partition, n_files=n_files)


def _check_positive(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def generate_log(n_events: int, *, n_learners: int = 170_000, n_items: int = 180, seed=0,
                 start: str = "2024-01-01", days: int = 120, order: str = "time") -> SyntheticLog:
    """Generate a synthetic log of exactly ``n_events`` events.

    Parameters
    ----------
    n_events : int
        Number of event rows (>= 1).
    n_learners : int, default 170 000
        Learners enrolled; those drawn with zero events do not appear in the log.
    n_items : int, default 180
        Catalogue size (>= 2).
    seed : int or numpy.random.Generator
        Everything random comes from this one generator.
    start : str
        First day of the course (UTC).
    days : int
        Learners start on a uniform day within the first 80 % of this span.
    order : {"time", "learner", "random"}
        Row order of :attr:`SyntheticLog.events`: by timestamp (as a platform log), by learner then time,
        or shuffled (as the benchmark courses' ``traces.csv``).

    Returns
    -------
    SyntheticLog

    Examples
    --------
    >>> a = generate_log(500, n_learners=20, n_items=9, seed=7).events
    >>> b = generate_log(500, n_learners=20, n_items=9, seed=7).events
    >>> a.equals(b)
    True
    >>> sorted(a["item"].unique())[:3]
    ['i0', 'i1', 'i2']
    """
    n_events = _check_positive("n_events", n_events)
    n_learners = _check_positive("n_learners", n_learners)
    n_items = _check_positive("n_items", n_items, minimum=2)
    days = _check_positive("days", days)
    if order not in _ORDERS:
        raise ParameterError(f"order must be one of {_ORDERS}, got {order!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    try:
        origin = pd.Timestamp(start, tz="UTC")
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"start must be a date, got {start!r}") from exc

    # --- learners: heavy-tailed activity, exact total by one multinomial draw
    weights = rng.lognormal(mean=0.0, sigma=1.2, size=n_learners)
    counts = rng.multinomial(n_events, weights / weights.sum()).astype(np.int64)
    ability = rng.normal(0.0, 1.0, size=n_learners)
    coverage = rng.uniform(0.15, 1.0, size=n_learners)
    first_day = rng.integers(0, max(1, int(days * 0.8)), size=n_learners)

    learner = np.repeat(np.arange(n_learners, dtype=np.int32), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(n_events, dtype=np.int64) - np.repeat(offsets, counts)

    # --- items: forward progress through the catalogue with local back-and-forth
    span = coverage * (n_items - 1)
    step = np.divide(span, np.maximum(counts - 1, 1))
    progress = rank * step[learner] + rng.normal(0.0, 2.0, size=n_events)
    item = np.clip(np.rint(progress), 0, n_items - 1).astype(np.int32)

    # --- scores: quizzes only, success by a logistic of ability minus difficulty
    difficulty = rng.normal(0.0, 1.0, size=n_items) + np.linspace(-0.5, 0.5, n_items)
    is_quiz = (np.arange(n_items) % 3) == 2
    p_success = 1.0 / (1.0 + np.exp(difficulty[item] - ability[learner]))
    score = (rng.random(n_events) < p_success).astype(np.float64)
    score[~is_quiz[item]] = np.nan
    duration = np.rint(rng.exponential(90.0, size=n_events)) + 1.0

    # --- time: whole-second gaps, cumulated per learner (exact int64 arithmetic)
    gaps = np.where(rng.random(n_events) < _SESSION_BREAK,
                    rng.exponential(_DAY_S, size=n_events), rng.exponential(300.0, size=n_events))
    gaps = gaps.astype(np.int64) + 1
    active = counts > 0
    gaps[offsets[active]] = 0  # a trail starts at its learner's start instant
    elapsed = np.cumsum(gaps)
    elapsed -= np.repeat(elapsed[offsets[active]], counts[active])
    start_s = first_day * _DAY_S + rng.integers(0, _DAY_S, size=n_learners)
    seconds = start_s[learner] + elapsed
    stamp = origin.value + seconds * _NS

    if order == "time":
        perm = np.argsort(stamp, kind="stable")
    elif order == "random":
        perm = rng.permutation(n_events)
    else:
        perm = None
    if perm is not None:
        learner, item, stamp, score, duration = (a[perm] for a in (learner, item, stamp, score, duration))

    width = len(str(n_learners))
    learner_ids = np.char.add("u", np.char.zfill(np.arange(n_learners).astype(str), width)).astype(object)
    item_ids = np.array([f"i{k}" for k in range(n_items)], dtype=object)
    events = pd.DataFrame({
        # codes -> str through Categorical: one string object per distinct id instead of one per event
        "learner": pd.Categorical.from_codes(learner, categories=learner_ids).astype(str),
        "item": pd.Categorical.from_codes(item, categories=item_ids).astype(str),
        "timestamp": pd.to_datetime(stamp, unit="ns", utc=True),
        "score": score,
        "duration": duration,
    })
    # outcome: share of the catalogue covered, discounted by how often the learner would fail quizzes
    outcome = coverage * (1.0 / (1.0 + np.exp(-ability)))
    outcomes = pd.DataFrame({"learner": learner_ids[active].astype(str), "outcome": outcome[active]})
    return SyntheticLog(events=events, outcomes=outcomes)


def write_parquet_log(n_events: int, directory, *, partition: str = "day", n_files: int | None = None,
                      **options) -> list[Path]:
    """Generate a log (see :func:`generate_log`, whose keyword ``options`` it accepts) and write it as
    Parquet files in ``directory``.

    Parameters
    ----------
    partition : {"day", "learner", "rows"}
        ``"day"``: one file per calendar day (``events-YYYY-MM-DD.parquet``), learners' trails cross
        files; ``"learner"``: ``n_files`` files by learner hash, each trail in one file; ``"rows"``:
        ``n_files`` files of consecutive rows in time order.
    n_files : int, optional
        Number of files for ``"learner"`` and ``"rows"`` (default 8).

    Returns
    -------
    list of Path
        The files written, sorted (only event files: the directory can be read as one dataset).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = write_parquet_log(300, d, n_learners=10, n_items=6, seed=3, partition="rows", n_files=3)
    ...     len(files), sum(len(pd.read_parquet(f)) for f in files)
    (3, 300)
    """
    log = generate_log(n_events, **options)
    return log.write_parquet(directory, partition=partition, n_files=n_files)


def _write_parquet(events: pd.DataFrame, directory: Path, *, partition: str, n_files: int | None) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if partition not in ("day", "learner", "rows"):
        raise ParameterError(f"partition must be 'day', 'learner' or 'rows', got {partition!r}")
    n_files = 8 if n_files is None else _check_positive("n_files", n_files)
    directory.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(events, preserve_index=False)
    written = []
    if partition == "day":
        day = events["timestamp"].dt.floor("D")
        order = np.argsort(day.to_numpy(), kind="stable")
        keys = day.to_numpy()[order]
        bounds = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            name = pd.Timestamp(keys[lo]).strftime("events-%Y-%m-%d.parquet")
            written.append(_write_slice(pq, table, order[lo:hi], directory / name))
    elif partition == "learner":
        codes = pd.util.hash_array(events["learner"].to_numpy(dtype=object)) % np.uint64(n_files)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(n_files + 1))
        for k in range(n_files):
            written.append(_write_slice(pq, table, order[bounds[k]:bounds[k + 1]],
                                        directory / f"events-part{k:03d}.parquet"))
    else:
        order = np.argsort(events["timestamp"].to_numpy(), kind="stable")
        for k, chunk in enumerate(np.array_split(order, n_files)):
            written.append(_write_slice(pq, table, chunk, directory / f"events-rows{k:03d}.parquet"))
    return sorted(written)


def _write_slice(pq, table, rows: np.ndarray, path: Path) -> Path:
    pq.write_table(table.take(rows), path)
    return path
