"""The canonical, encoded form of learner traces that every layer above :mod:`poem.io` uses.

A :class:`Traces` holds one row per learner event as plain numpy arrays of integer codes into two
vocabularies (learners, items), sorted stably by learner, then timestamp, then original row order: two
events of one learner with the same timestamp keep the order in which they were read. That order is part
of the contract (OULAD, for instance, only has day-resolution dates).

Nobody above ``io`` re-parses raw frames: the colony, the paths, the engines and the reports read these
arrays. Import and validation (with the rejects table) live in :mod:`poem.io`; this module only encodes
rows that are already clean and raises :class:`~poem.errors.TraceFormatError` when they are not.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({
...     "learner": ["bob", "ann", "ann"],
...     "item": ["v2", "v1", "v2"],
...     "timestamp": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-03"], utc=True),
...     "score": [1.0, 0.0, 1.0],
... })
>>> traces = Traces.from_frame(frame)
>>> traces.learners.tolist(), traces.items.tolist()
(['ann', 'bob'], ['v1', 'v2'])
>>> traces.learner.tolist(), traces.item.tolist()
([0, 0, 1], [0, 1, 1])
>>> traces.trail_bounds().tolist()
[0, 2, 3]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from poem.errors import TraceFormatError

__all__ = ["Traces", "ImportSummary", "REJECT_COLUMNS", "VIDEO_FIELDS", "empty_rejects"]

#: Columns of every rejects table: where the row came from, its position there (0-based data row or
#: 1-based line number, as ``row_kind`` says), the reason (a short stable code) and a human detail.
REJECT_COLUMNS = ["source", "row", "reason", "detail"]


#: Optional per-event columns of what video events say about a visit (:attr:`Traces.video`), all float64
#: and NaN where unknown: ``length`` (the video's length in seconds as the events give it), ``covered``
#: (seconds of distinct content actually played), ``position_max`` (furthest position played to, seconds)
#: and ``seeks_back`` (backward seeks inside the visit).
VIDEO_FIELDS = ("length", "covered", "position_max", "seeks_back")


def empty_rejects() -> pd.DataFrame:
    """An empty rejects table with the documented columns."""
    return pd.DataFrame({
        "source": pd.Series([], dtype=object),
        "row": pd.Series([], dtype="int64"),
        "reason": pd.Series([], dtype=object),
        "detail": pd.Series([], dtype=object),
    })


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: ``n_read == n_accepted + n_rejected``, with counts per rejection reason."""

    n_read: int
    n_accepted: int
    n_rejected: int
    reasons: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.n_read != self.n_accepted + self.n_rejected:
            raise ValueError(
                f"import accounting broken: read {self.n_read} != accepted {self.n_accepted}"
                f" + rejected {self.n_rejected}"
            )

    def __str__(self) -> str:
        line = f"read {self.n_read} rows: accepted {self.n_accepted}, rejected {self.n_rejected}"
        if self.reasons:
            line += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(self.reasons.items())) + ")"
        return line


@dataclass(frozen=True, eq=False)
class Traces:
    """Validated learner events, encoded and sorted; see the module docstring.

    Attributes
    ----------
    learner, item : ndarray of int32
        Codes into :attr:`learners` and :attr:`items`, one per event.
    timestamp : ndarray of int64
        Nanoseconds since the Unix epoch, UTC.
    score : ndarray of float64
        Success on that item in [0, 1]; NaN where the event carries no success information (a page view).
    duration : ndarray of float64
        Seconds spent, NaN when unknown.
    learners, items : ndarray of str (object)
        Sorted vocabularies. ``items`` may hold catalogue items that no event reaches.
    outcomes : ndarray of float64 or None
        Learner-level outcome in [0, 1] aligned with :attr:`learners` (NaN when unknown).
    item_info : DataFrame or None
        Item attributes indexed by item id (``title``, ``kind``, ``position``, ``week``... when known).
    rejects : DataFrame
        Rows that were not accepted, with :data:`REJECT_COLUMNS`.
    n_read : int
        Rows read from the sources, so that ``n_read == n_events + len(rejects)``.
    pseudonymised : bool
        True when learner ids are keyed hashes, never raw ids.
    video : dict of str to ndarray of float64, or None
        Optional per-event columns named in :data:`VIDEO_FIELDS` (what video events said about the visit);
        None when the source carried none. Events keep their order, so a copy that subsets events must
        subset these too (:meth:`select_events`); a copy built with other event columns drops them with a
        warning rather than misalign them.
    """

    learner: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    score: np.ndarray
    duration: np.ndarray
    learners: np.ndarray
    items: np.ndarray
    outcomes: np.ndarray | None = None
    item_info: pd.DataFrame | None = None
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    n_read: int | None = None
    pseudonymised: bool = False
    video: dict | None = None

    def __post_init__(self):
        n = len(self.learner)
        for name in ("item", "timestamp", "score", "duration"):
            if len(getattr(self, name)) != n:
                raise TraceFormatError(f"Traces column {name!r} has {len(getattr(self, name))} rows, expected {n}")
        if self.video is not None:
            unknown = sorted(set(self.video) - set(VIDEO_FIELDS))
            if unknown:
                raise TraceFormatError(f"Traces video columns {unknown} are not among {list(VIDEO_FIELDS)}")
            video = {k: np.asarray(self.video[k], dtype=np.float64) for k in VIDEO_FIELDS if k in self.video}
            if any(len(v) != n for v in video.values()):
                # a copy made with replace(...) on other event columns: the video columns no longer line
                # up with the events, and misaligned evidence is worse than none
                import warnings

                warnings.warn("Traces video columns do not match the events (a copy that subsets events "
                              "should use Traces.select_events); they are dropped", stacklevel=3)
                video = None
            object.__setattr__(self, "video", video or None)
        if self.outcomes is not None and len(self.outcomes) != len(self.learners):
            raise TraceFormatError("Traces outcomes must align with the learner vocabulary")
        if self.n_read is None:
            object.__setattr__(self, "n_read", n + len(self.rejects))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, items=None, outcomes=None, item_info=None,
                   rejects=None, n_read=None, pseudonymised=False) -> "Traces":
        """Encode a clean canonical frame (``learner``, ``item``, tz-aware ``timestamp``, optional
        ``score`` and ``duration``). Raises :class:`TraceFormatError` on anything unclean; use
        :func:`poem.read_traces` for raw input, which reports bad rows instead.

        ``items`` adds catalogue items to the vocabulary; ``outcomes`` is a frame or Series mapping
        learner id to outcome (learners without events are ignored).
        """
        missing = [c for c in ("learner", "item", "timestamp") if c not in frame.columns]
        if missing:
            raise TraceFormatError(
                f"canonical traces need columns learner, item, timestamp; missing {missing}, "
                f"found {list(frame.columns)}")
        ts = frame["timestamp"]
        if not isinstance(ts.dtype, pd.DatetimeTZDtype):
            raise TraceFormatError("canonical timestamps must be timezone-aware (UTC); got dtype "
                                   f"{ts.dtype}")
        if frame["learner"].isna().any() or frame["item"].isna().any() or ts.isna().any():
            raise TraceFormatError("canonical traces may not hold missing learner, item or timestamp")
        n = len(frame)
        score = (frame["score"].to_numpy(dtype="float64", na_value=np.nan) if "score" in frame
                 else np.full(n, np.nan))
        if np.any((score < 0) | (score > 1)):
            raise TraceFormatError("canonical scores must lie in [0, 1]")
        duration = (frame["duration"].to_numpy(dtype="float64", na_value=np.nan) if "duration" in frame
                    else np.full(n, np.nan))
        video = {k: frame[k].to_numpy(dtype="float64", na_value=np.nan) for k in VIDEO_FIELDS if k in frame}
        learner_ids = frame["learner"].astype(str).to_numpy(dtype=object)
        item_ids = frame["item"].astype(str).to_numpy(dtype=object)
        learners, learner_code = np.unique(learner_ids, return_inverse=True)
        vocab = np.unique(np.concatenate([item_ids, np.asarray(list(items) if items is not None else [],
                                                                 dtype=object)]).astype(str)).astype(object)
        item_code = np.searchsorted(vocab, item_ids.astype(str))
        stamp = ts.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").view("int64")
        # lexsort is stable: equal (learner, timestamp) keep their original row order
        order = np.lexsort((stamp, learner_code))
        out_outcomes = None
        if outcomes is not None:
            out_outcomes = _align_outcomes(outcomes, learners)
        return cls(
            learner=learner_code[order].astype(np.int32),
            item=item_code[order].astype(np.int32),
            timestamp=stamp[order],
            score=score[order],
            duration=duration[order],
            learners=learners.astype(object),
            items=vocab,
            outcomes=out_outcomes,
            item_info=item_info,
            rejects=empty_rejects() if rejects is None else rejects,
            n_read=n_read,
            pseudonymised=pseudonymised,
            video={k: v[order] for k, v in video.items()} or None,
        )

    # ------------------------------------------------------------------ views
    @property
    def n_events(self) -> int:
        return int(len(self.learner))

    @property
    def n_learners(self) -> int:
        return int(len(self.learners))

    @property
    def n_items(self) -> int:
        return int(len(self.items))

    def __len__(self) -> int:
        return self.n_events

    def __repr__(self) -> str:
        return (f"Traces({self.n_events} events, {self.n_learners} learners, {self.n_items} items, "
                f"{len(self.rejects)} rejected)")

    def trail_bounds(self) -> np.ndarray:
        """Offsets of each learner's trail: events of learner ``k`` are ``[b[k], b[k+1])``."""
        # the events are sorted by learner code: a binary search per learner beats counting every event
        # (half the time on millions of events; the needles share the codes' dtype, so nothing is copied)
        codes = np.arange(self.n_learners + 1, dtype=self.learner.dtype)
        return np.searchsorted(self.learner, codes).astype(np.int64)

    def summary(self) -> ImportSummary:
        """The import accounting: read N, accepted A, rejected R (N = A + R), counts per reason."""
        reasons = self.rejects["reason"].value_counts().to_dict() if len(self.rejects) else {}
        return ImportSummary(int(self.n_read), self.n_events, int(len(self.rejects)),
                             {str(k): int(v) for k, v in reasons.items()})

    def to_frame(self) -> pd.DataFrame:
        """Decode into the canonical table (learner, item, timestamp UTC, score, duration, then the
        :attr:`video` columns when present)."""
        return pd.DataFrame({
            "learner": self.learners[self.learner],
            "item": self.items[self.item],
            "timestamp": pd.to_datetime(self.timestamp, unit="ns", utc=True),
            "score": self.score,
            "duration": self.duration,
            **(self.video or {}),
        })

    def video_column(self, name: str) -> np.ndarray:
        """The :attr:`video` column ``name`` (one of :data:`VIDEO_FIELDS`), all NaN when absent."""
        if name not in VIDEO_FIELDS:
            raise ValueError(f"unknown video column {name!r}; valid: {list(VIDEO_FIELDS)}")
        if self.video is not None and name in self.video:
            return self.video[name]
        return np.full(self.n_events, np.nan)

    def outcomes_frame(self) -> pd.DataFrame:
        """Learner-level outcomes as a ``learner, outcome`` table (only learners with a known outcome)."""
        if self.outcomes is None:
            return pd.DataFrame({"learner": pd.Series([], dtype=object), "outcome": pd.Series([], dtype=float)})
        known = ~np.isnan(self.outcomes)
        return pd.DataFrame({"learner": self.learners[known], "outcome": self.outcomes[known]})

    def with_outcomes(self, outcomes) -> "Traces":
        """A copy with outcomes attached (frame with ``learner, outcome`` columns, or a Series by learner)."""
        return replace(self, outcomes=_align_outcomes(outcomes, self.learners))

    def select_learners(self, mask: np.ndarray) -> "Traces":
        """A copy keeping the learners where ``mask`` (length ``n_learners``) is true; vocabularies are kept,
        so codes stay comparable with the original (useful for cohorts and partitions)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self.n_learners,):
            raise ValueError(f"mask must have shape ({self.n_learners},), got {mask.shape}")
        return self.select_events(mask[self.learner], rejects=empty_rejects())

    def select_events(self, keep: np.ndarray, **changes) -> "Traces":
        """A copy keeping the events where ``keep`` (length ``n_events``) is true, every per-event column
        (the :attr:`video` ones too) subset alike; vocabularies are kept. ``changes`` replace other fields.

        >>> import pandas as pd
        >>> t = Traces.from_frame(pd.DataFrame({"learner": ["a", "a"], "item": ["x", "y"], "covered": [3.0, 4.0],
        ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)}))
        >>> t.select_events(np.array([False, True])).video["covered"].tolist()
        [4.0]
        """
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (self.n_events,):
            raise ValueError(f"keep must have shape ({self.n_events},), got {keep.shape}")
        video = None if self.video is None else {k: v[keep] for k, v in self.video.items()}
        return replace(self, **{"learner": self.learner[keep], "item": self.item[keep],
                                "timestamp": self.timestamp[keep], "score": self.score[keep],
                                "duration": self.duration[keep], "n_read": int(keep.sum()), "video": video,
                                **changes})


def _align_outcomes(outcomes, learners: np.ndarray) -> np.ndarray:
    if isinstance(outcomes, pd.DataFrame):
        missing = {"learner", "outcome"} - set(outcomes.columns)
        if missing:
            raise TraceFormatError(f"outcomes need columns learner, outcome; missing {sorted(missing)}, "
                                   f"found {list(outcomes.columns)}")
        series = pd.Series(outcomes["outcome"].to_numpy(dtype=float), index=outcomes["learner"].astype(str))
    else:
        series = pd.Series(outcomes, dtype=float)
        series.index = series.index.astype(str)
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][0]
        raise TraceFormatError(f"outcomes list learner {dup!r} more than once")
    values = series.to_numpy()
    bad = ~np.isnan(values) & ((values < 0) | (values > 1))
    if bad.any():
        raise TraceFormatError(f"outcomes must lie in [0, 1]; learner {series.index[bad][0]!r} has "
                               f"{values[bad][0]}")
    return series.reindex(pd.Index(learners.astype(str))).to_numpy(dtype=float)
