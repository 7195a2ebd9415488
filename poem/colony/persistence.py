"""Saving and loading a fitted man-hill: one ``.npz`` file, no pickle, with JSON metadata inside.

The file holds every array of the colony (the mergeable :class:`~poem.colony.state.ColonyState`, so a loaded
colony can still ``partial_fit`` a new cohort, plus the fitted ratings and the possibly decayed pheromones)
and a ``__meta__`` entry: UTF-8 JSON with the format name and version, the parameters, the item count and a
fit summary. Strings are stored as fixed-width unicode arrays, so ``allow_pickle=False`` always suffices.

A colony fitted on viewing evidence also saves its history reader
(:class:`~poem.colony.viewing_history.HistoryReader`: per item the completion threshold, usual finishing
share, length and video flag, per share bin whether a complete view is credible, the floor below which
no suggestion is made, and what a live learner's watching pace is read against: the log density of the
relative shares and the share of learners at each pace) as ``reader__*`` arrays and a ``reader`` entry of
the metadata, so a loaded colony reads a learner's seconds watched (``poem suggest --watched``) exactly as
the fitted one. The two pace arrays are optional: a reader fitted without a pace, or saved before the live
reading had one, has none and reads every history at 1x. Like the items'
kinds, the reader is an optional addition to format version 2: files written before it (no ``reader``
entry) and colonies fitted without viewing evidence load with ``history_reader_`` None. Nothing falls back
to the trusting reading (every complete view understood, never deferring) for them: measured in closed
loop, that reading guided learners worse than no guidance (:mod:`poem.colony.viewing_history`), so
``poem suggest --watched`` asks for a refit instead.

Such a colony also saves how it read the visits, a ``viewing`` entry of the metadata: the mapping's
parameters (``ManHill.viewing_params_``), the per-kind evidence weights (``evidence_weights_``) and the
counts its landing model was learned from (``landing_counts_``), so that a loaded colony's
``partial_fit(cohort, catalog=...)`` reads a new cohort as the fitted one would. Files written before it
(no ``viewing`` entry) load with all three None: their ``partial_fit`` asks for the parameters
(``viewing={...}``) before reading a cohort's visits.

Loading checks everything before building the model: a missing, corrupt or truncated file, a file that is
not a POEM colony, a newer format version, an older one this POEM no longer reads (version 1, before
the conditional-success counts), or arrays of the wrong shape all raise
:class:`~poem.errors.ModelFileError` with a message naming the file and the problem.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from poem.traces import Traces
>>> from poem.antcolony import ManHill
>>> frame = pd.DataFrame({"learner": ["a", "a"], "item": ["x", "y"], "score": [1.0, 0.0],
...                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
>>> model = ManHill().fit(Traces.from_frame(frame))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "colony.npz"
>>> save(model, path)
>>> load(path, ManHill).phi_minus_.sum() == model.phi_minus_.sum()
np.True_
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import fields
from pathlib import Path

import numpy as np

from poem.colony.elo import EloResult
from poem.colony.state import ColonyState, plain_scalar
from poem.colony.landing import RETURNS, SHARE_EDGES
from poem.colony.suggestion import SuggestTables
from poem.colony.viewing import _check_params as _check_viewing
from poem.colony.viewing_history import HistoryReader
from poem.errors import ModelFileError

__all__ = ["save", "load", "FORMAT", "FORMAT_VERSION"]

FORMAT = "poem-manhill"
FORMAT_VERSION = 2
#: the oldest version this POEM reads: version 1 files predate the conditional-success counts
#: (``cond_*`` arrays of the state), which cannot be rebuilt without the traces
MIN_VERSION = 2

#: fitted arrays saved besides the state (the model's names)
_FITTED = ("phi_plus_", "phi_minus_", "item_difficulty_", "item_drift_", "learner_ability_", "learners_")
_ELO = ("n_attempts", "drift_se")
#: per-item and per-bin arrays of the history reader (its scalars go in the metadata)
_READER = ("threshold", "level", "credible", "length", "video")
#: the reader's watching-pace arrays (density of the relative shares, share of learners per pace): optional,
#: absent for a fit without a pace and in files written before the live reading had one (read at 1x)
_READER_PACE = ("pace_log_density", "pace_prior")


def _to_disk(value: np.ndarray) -> np.ndarray:
    if value.dtype == object:
        return value.astype(str) if len(value) else np.array([], dtype="<U1")
    return value


def save(model, path) -> None:
    """Write a fitted :class:`~poem.antcolony.ManHill` to ``path`` (written atomically).

    Only the model's own interface is used (``get_params`` and the fitted attributes), so this module does
    not import the model: the dependency runs one way, from :mod:`poem.antcolony` to here.
    """
    state = model.state_
    # the prior is saved as its built array; the parameter becomes that array on load
    params = {name: None if name == "prior" else plain_scalar(value) for name, value in model.get_params().items()}
    meta = {
        "format": FORMAT, "version": FORMAT_VERSION, "params": params, "n_items": int(len(model.items_)),
        "has_prior": model.prior_ is not None,
        "summary": {"n_events": int(model.n_events_), "n_learners": int(model.n_learners_),
                    "t_min": state.t_min, "t_max": state.t_max, "t_ref": model._t_ref},
        "state_params": state.params,
        "reader": None,
        "viewing": None,
    }
    if getattr(model, "viewing_params_", None) is not None:
        weights = getattr(model, "evidence_weights_", None)
        counts = getattr(model, "landing_counts_", None)
        meta["viewing"] = {"params": {k: plain_scalar(v) for k, v in model.viewing_params_.items()},
                           "weights": None if weights is None else {k: float(v) for k, v in weights.items()},
                           "landing": None if counts is None else {k: np.asarray(v, dtype=float).tolist()
                                                                   for k, v in counts.items()}}
    reader = getattr(model, "history_reader_", None)
    arrays = {f"state__{k}": _to_disk(v) for k, v in state.arrays().items()}
    arrays.update({f"fit__{k}": _to_disk(np.asarray(getattr(model, k))) for k in _FITTED})
    arrays.update({f"elo__{k}": getattr(model._elo, k) for k in _ELO})
    if model.prior_ is not None:
        arrays["fit__prior_"] = model.prior_
    if getattr(model, "item_kinds_", None) is not None:   # the calibration pools items by kind
        arrays["fit__item_kinds_"] = np.asarray(model.item_kinds_, dtype=np.int64)
    if reader is not None:
        meta["reader"] = {"floor": float(reader.floor), "background_share": float(reader.background_share)}
        n = len(model.items_)
        arrays.update({f"reader__{k}": np.asarray(getattr(reader, k)) for k in _READER
                       if getattr(reader, k) is not None})
        # a reader without lengths or video flags (built by hand) is saved with every item a video of
        # unknown length, which is how the reader reads it
        arrays.setdefault("reader__length", np.full(n, np.nan))
        arrays.setdefault("reader__video", np.ones(n, dtype=bool))
        arrays.update({f"reader__{k}": np.asarray(getattr(reader, k), dtype=float) for k in _READER_PACE
                       if getattr(reader, k) is not None})
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:  # a file handle: np.savez would otherwise append ".npz"
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelFileError(f"cannot write colony file {str(path)!r}: {exc}") from exc


def load(path, cls):
    """Read a colony written by :func:`save` as an instance of ``cls`` (:class:`~poem.antcolony.ManHill`,
    which passes itself from :meth:`~poem.antcolony.ManHill.load`); see the module docstring for the errors."""

    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{str(path)!r} is a directory, not a colony file (.npz written by poem fit)")
    if not path.is_file():
        raise ModelFileError(f"colony file {str(path)!r} does not exist")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelFileError(f"cannot read colony file {str(path)!r} ({exc.strerror or exc})") from None
    if magic == b"PAR1":
        raise ModelFileError(f"{str(path)!r} is a traces file, not a colony: fit one first "
                             "(poem fit TRACES --out colony.npz)")
    if magic[:2] != b"PK":
        raise ModelFileError(f"colony file {str(path)!r} is corrupt or truncated, or not a colony at all (a "
                             "colony is the .npz file poem fit writes)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            data = {k: archive[k] for k in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise ModelFileError(f"colony file {str(path)!r} is corrupt or truncated "
                             f"({type(exc).__name__}: {exc})") from None
    if "__meta__" not in data:
        raise ModelFileError(f"{str(path)!r} is not a POEM colony file (no metadata)")
    try:
        meta = json.loads(data.pop("__meta__").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"colony file {str(path)!r} has unreadable metadata: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{str(path)!r} is not a POEM colony file (format {meta.get('format')!r})"
                             if isinstance(meta, dict) else f"{str(path)!r} is not a POEM colony file")
    version = meta.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(f"colony file {str(path)!r} has format version {version!r}, newer than the "
                             f"{FORMAT_VERSION} this POEM reads: upgrade POEM")
    if version < MIN_VERSION:
        raise ModelFileError(f"colony file {str(path)!r} has format version {version}, older than the "
                             f"{MIN_VERSION} this POEM reads (it lacks the conditional-success counts): refit "
                             "the colony from its traces")
    state_names = [f.name for f in fields(ColonyState) if f.name not in ("params", "n_events", "t_min", "t_max",
                                                                          "extra")]
    needed = [f"state__{k}" for k in state_names] + [f"fit__{k}" for k in _FITTED] + [f"elo__{k}" for k in _ELO]
    if meta.get("has_prior"):
        needed.append("fit__prior_")
    if isinstance(meta.get("reader"), dict):
        needed += [f"reader__{k}" for k in _READER]
        paced = [f"reader__{k}" for k in _READER_PACE if f"reader__{k}" in data]
        if len(paced) == 1:   # one without the other: a damaged file, not an older one
            raise ModelFileError(f"colony file {str(path)!r} has {paced[0]} without its pair "
                                 f"{[f'reader__{k}' for k in _READER_PACE if f'reader__{k}' not in data][0]}")
    missing = [k for k in needed if k not in data]
    if missing:
        raise ModelFileError(f"colony file {str(path)!r} lacks arrays {missing[:5]}")
    n = meta.get("n_items")
    try:
        model = _build(meta, data, state_names, cls().get_params(), cls)
        model._check_params()
        _check_shapes(model, n)
        model._suggest_tables = SuggestTables.build(model)  # built now: an inconsistent file fails here
    except ModelFileError:
        raise
    except Exception as exc:  # any inconsistency inside an otherwise readable file
        raise ModelFileError(f"colony file {str(path)!r} is inconsistent: {exc}") from None
    return model


def _build(meta, data, state_names, defaults, cls):
    params = {k: v for k, v in meta["params"].items() if k in defaults}
    if meta.get("has_prior"):
        params["prior"] = data["fit__prior_"]
    model = cls(**params)
    summary = meta["summary"]
    state_arrays = {k: data[f"state__{k}"] for k in state_names}
    for k in ("items", "learners"):
        state_arrays[k] = state_arrays[k].astype(object)
    state = ColonyState(params=meta["state_params"], n_events=int(summary["n_events"]), t_min=summary["t_min"],
                        t_max=summary["t_max"], **state_arrays)
    model.state_ = state
    model.items_ = state.items
    model.phi_plus_, model.phi_minus_ = data["fit__phi_plus_"], data["fit__phi_minus_"]
    model.arc_learners_, model.arc_visits_ = state.arc_learners, state.arc_visits
    model.precedence_ = state.precedence
    for k in ("item_attempts", "item_successes", "item_learners", "item_events", "item_masters",
              "cond_attempts", "cond_successes", "cond_tries", "cond_first"):
        setattr(model, k + "_", getattr(state, k))
    model.prior_ = data["fit__prior_"] if meta.get("has_prior") else None
    model.item_kinds_ = data["fit__item_kinds_"] if "fit__item_kinds_" in data else None
    model.n_events_ = int(summary["n_events"])
    model.n_learners_ = int(summary["n_learners"])
    model._t_ref = summary["t_ref"]
    model.item_difficulty_ = data["fit__item_difficulty_"]
    model.item_drift_ = data["fit__item_drift_"]
    model.learner_ability_ = data["fit__learner_ability_"]
    model.learners_ = data["fit__learners_"].astype(object)
    model._elo = EloResult(difficulty=model.item_difficulty_, ability=model.learner_ability_,
                           drift=model.item_drift_, **{k: data[f"elo__{k}"] for k in _ELO})
    model.viewing_params_ = model.evidence_weights_ = model.landing_counts_ = None
    viewing = meta.get("viewing")
    if viewing is not None:   # absent (a file written before POEM kept it) or None: fitted without viewing
        model.viewing_params_ = _check_viewing(dict(viewing["params"]))
        weights, counts = viewing.get("weights"), viewing.get("landing")
        model.evidence_weights_ = None if weights is None else {str(k): float(v) for k, v in weights.items()}
        if counts is not None:
            model.landing_counts_ = {"views": np.asarray(counts["views"], dtype=float).reshape(len(SHARE_EDGES) + 1,
                                                                                               len(RETURNS)),
                                     "anchors": np.asarray(counts["anchors"], dtype=float).reshape(len(RETURNS))}
    model.history_reader_ = None
    reader = meta.get("reader")
    if reader is not None:   # absent (a file written before readers were saved) or None: no reader
        arrays = {k: data[f"reader__{k}"] for k in _READER}
        # a file written before the live reading had a pace holds no pace arrays: read at 1x, as it was
        pace = {k: data[f"reader__{k}"].astype(float) if f"reader__{k}" in data else None for k in _READER_PACE}
        model.history_reader_ = HistoryReader(
            threshold=arrays["threshold"].astype(float), level=arrays["level"].astype(float),
            credible=arrays["credible"].astype(bool), floor=float(reader["floor"]),
            background_share=float(reader["background_share"]), length=arrays["length"].astype(float),
            video=arrays["video"].astype(bool), **pace)
    return model


def _check_shapes(model, n) -> None:
    if not isinstance(n, int) or len(model.items_) != n:
        raise ModelFileError(f"item vocabulary has {len(model.items_)} entries, metadata says {n}")
    expect = {"phi_plus_": (n + 1, n), "phi_minus_": (n + 1, n), "arc_learners_": (n + 1, n),
              "arc_visits_": (n + 1, n), "precedence_": (n, n), "item_difficulty_": (n,), "item_drift_": (n,),
              "item_attempts_": (n,), "item_successes_": (n,), "item_learners_": (n,), "item_events_": (n,),
              "item_masters_": (n,),
              "cond_attempts_": (n, n), "cond_successes_": (n, n), "cond_tries_": (n,), "cond_first_": (n,),
              "learner_ability_": (model.n_learners_,), "learners_": (model.n_learners_,)}
    if model.prior_ is not None:
        expect["prior_"] = (n + 1, n)
    for name, shape in expect.items():
        got = np.shape(getattr(model, name))
        if got != shape:
            raise ModelFileError(f"array {name} has shape {got}, expected {shape}")
    reader = model.history_reader_
    if reader is not None:
        bins = len(SHARE_EDGES) + 1
        for name in _READER:
            got, shape = np.shape(getattr(reader, name)), (bins,) if name == "credible" else (n,)
            if got != shape:
                raise ModelFileError(f"history reader array {name} has shape {got}, expected {shape}")
        if reader.pace_prior is not None:
            from poem.colony.pace import PACE_GRID, PACE_DENSITY_SIZE

            for name, shape in (("pace_log_density", (PACE_DENSITY_SIZE,)), ("pace_prior", PACE_GRID.shape)):
                got = np.shape(getattr(reader, name))
                if got != shape:
                    raise ModelFileError(f"history reader array {name} has shape {got}, expected {shape} (the "
                                         "watching paces of this POEM)")
            prior = reader.pace_prior
            if not (np.all(np.isfinite(reader.pace_log_density)) and np.all(prior > 0) and
                    abs(float(prior.sum()) - 1.0) < 1e-6):
                raise ModelFileError("history reader pace arrays are not a log density and a prior over the paces")
        if not (0.0 <= reader.floor <= 1.0 and reader.background_share > 0):
            raise ModelFileError(f"history reader floor {reader.floor!r} or background share "
                                 f"{reader.background_share!r} out of range")
