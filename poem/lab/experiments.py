"""Small experiment loops the notebooks run: decay comparison, parameter sweeps, path emergence in closed
loop, and how learners' own trails relate to the derived path and to their outcomes.

Each function is a loop over the public API (:class:`~poem.antcolony.ManHill`, :func:`poem.paths.learning_path`,
:func:`poem.ordering.evaluation.evaluate`, :func:`poem.simulation.closed_loop`) that returns a tidy DataFrame, so the
notebooks stay thin and the same loops can be reused from scripts or ``poem batch``.

Examples
--------
>>> from poem.simulation import simulate_course
>>> sim = simulate_course(n_items=8, n_learners=80, seed=0)
>>> table = parameter_sweep(sim.to_traces(), {"depth": [0, 2]}, seeds=[0, 1], truth=sim.truth)
>>> table[["depth", "seed"]].values.tolist()
[[0, 0], [0, 1], [2, 0], [2, 1]]
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from poem.errors import ParameterError

__all__ = ["COLONY_PARAMS", "PATH_OPTIONS", "parameter_sweep", "stability_by_setting", "summarise_sweep",
           "along_axis", "compare_decays", "path_emergence", "trail_agreement", "outcomes_by_agreement",
           "overview", "item_reach", "path_vs_plan"]

#: sweep axes that are colony (ManHill) parameters; the others go to learning_path (ACO: alpha, beta, rho...)
COLONY_PARAMS = ("q", "depth", "lam", "decay", "rho_decay", "erosion", "mastery", "session_gap", "tour_quality",
                 "failure_bonus")
#: sweep axes passed to learning_path
PATH_OPTIONS = ("alpha", "beta", "rho", "q0", "n_ants", "n_iterations", "threshold", "smoothing", "xi", "improve")


def overview(traces) -> pd.DataFrame:
    """Volumes of a :class:`~poem.traces.Traces` as a one-column table (rows read and rejected, learners,
    items reached, events, scored share, trail lengths, period)."""
    lengths = np.diff(traces.trail_bounds())
    reached = np.unique(traces.item).size
    stamps = pd.to_datetime(traces.timestamp, unit="ns", utc=True)
    summary = traces.summary()
    rows = {
        "rows read": summary.n_read, "rows rejected": summary.n_rejected, "events": traces.n_events,
        "learners": traces.n_learners, "items in catalogue": traces.n_items, "items reached": reached,
        "scored events": f"{np.mean(~np.isnan(traces.score)):.0%}" if traces.n_events else "–",
        "median events per learner": float(np.median(lengths)) if lengths.size else math.nan,
        "first event": stamps.min() if traces.n_events else None,
        "last event": stamps.max() if traces.n_events else None,
    }
    return pd.DataFrame({"value": [str(v) for v in rows.values()]}, index=pd.Index(list(rows), name="what"))


def item_reach(traces) -> pd.Series:
    """Distinct learners reaching each item of the vocabulary (0 for catalogue items nobody opened).

    Examples
    --------
    >>> from poem.traces import Traces
    >>> frame = pd.DataFrame({"learner": ["a", "a", "b"], "item": ["x", "x", "y"],
    ...                       "timestamp": pd.to_datetime([1, 2, 3], unit="D", utc=True)})
    >>> item_reach(Traces.from_frame(frame, items=["z"])).to_dict()
    {'x': 1, 'y': 1, 'z': 0}
    """
    pairs = np.unique(traces.learner.astype(np.int64) * traces.n_items + traces.item.astype(np.int64))
    counts = np.bincount(pairs % traces.n_items, minlength=traces.n_items) if traces.n_items else np.zeros(0, int)
    return pd.Series(counts, index=pd.Index(traces.items, name="item"), name="learners")


def _split(setting: dict) -> tuple[dict, dict]:
    colony = {("rho" if k == "rho_decay" else k): v for k, v in setting.items() if k in COLONY_PARAMS}
    if colony.get("decay") == "none":  # YAML and notebook parameters spell "no decay" as a string
        colony["decay"] = None
    path = {k: v for k, v in setting.items() if k in PATH_OPTIONS}
    unknown = sorted(set(setting) - set(COLONY_PARAMS) - set(PATH_OPTIONS))
    if unknown:
        raise ParameterError(f"unknown sweep parameter(s) {unknown}; colony: {list(COLONY_PARAMS)}, "
                             f"path: {list(PATH_OPTIONS)}")
    return colony, path


def parameter_sweep(traces, grid: dict, *, seeds=(0,), truth=None, method="aco", one_at_a_time: bool = False,
                    base=None) -> pd.DataFrame:
    """Fit and derive a path for every setting of ``grid`` and every seed; one row per (setting, seed).

    Parameters
    ----------
    traces : Traces
    grid : dict of name -> list
        Colony parameters (:data:`COLONY_PARAMS`; ``rho_decay`` is the colony's evaporation ``rho``, and
        ``decay="none"`` means no decay) and path options (:data:`PATH_OPTIONS`: ACO's ``alpha``, ``beta``,
        ``rho``...).
    seeds : sequence of int
        Seeds of the path search; the colony is fitted once per setting (it is deterministic).
    truth : dict, optional
        Known structure (``truth.json``) for ``respect`` and ``tau``.
    method : str
        :func:`poem.paths.learning_path` method.
    one_at_a_time : bool
        Vary one axis at a time around ``base`` (the first value of each axis unless given) instead of
        the full product: far fewer runs for a first look.
    base : dict, optional
        The reference setting for ``one_at_a_time``.

    Returns
    -------
    DataFrame with the setting's columns, ``seed``, ``objective``, ``respect`` / ``tau`` (with a truth),
    ``length``, and ``path`` (the items joined by spaces).

    Raises
    ------
    ParameterError
        If an axis is unknown or empty.
    """
    from poem.antcolony import ManHill
    from poem.ordering.evaluation import evaluate
    from poem.paths import learning_path

    if not grid or any(not isinstance(v, (list, tuple)) or not v for v in grid.values()):
        raise ParameterError(f"grid must map each parameter to a non-empty list, got {grid!r}")
    names = list(grid)
    if one_at_a_time:
        base = {k: (base or {}).get(k, grid[k][0]) for k in names}
        settings = [dict(base)]
        for name in names:
            settings += [{**base, name: v} for v in grid[name] if v != base[name]]
    else:
        settings = [dict(zip(names, combo)) for combo in itertools.product(*grid.values())]
    rows = []
    fitted = {}
    for setting in settings:
        colony, options = _split(setting)
        key = repr(sorted(colony.items()))
        if key not in fitted:  # paths differ by seed, the colony does not: fit once per colony setting
            fitted[key] = ManHill(**colony).fit(traces)
        for seed in seeds:
            path = learning_path(fitted[key], method=method, rng=seed, **options)
            row = {**setting, "seed": seed, "objective": path.objective, "length": len(path),
                   "path": " ".join(path.items)}
            if truth is not None:
                scores = evaluate(path, truth)
                row.update(respect=scores["respect"], tau=scores["tau"])
            rows.append(row)
    return pd.DataFrame(rows)


def stability_by_setting(sweep: pd.DataFrame, settings) -> pd.DataFrame:
    """Mean pairwise Kendall tau between the paths of different seeds, per setting of a sweep table."""
    from poem.ordering.evaluation import kendall_tau

    settings = list(settings)
    rows = []
    for key, part in sweep.groupby(settings, sort=False, dropna=False):
        paths = [p.split() for p in part["path"]]
        taus = [kendall_tau(a, b) for a, b in itertools.combinations(paths, 2)]
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(settings, key)), "seeds": len(paths),
                     "stability": float(np.nanmean(taus)) if taus else math.nan})
    return pd.DataFrame(rows)


def summarise_sweep(sweep: pd.DataFrame, settings) -> pd.DataFrame:
    """One row per setting: mean ``respect`` / ``tau`` / ``objective`` over seeds, and ``stability``."""
    settings = list(settings)
    metrics = [c for c in ("respect", "tau", "objective") if c in sweep]
    quality = sweep.groupby(settings, sort=False, dropna=False)[metrics].mean().reset_index()
    return quality.merge(stability_by_setting(sweep, settings), on=settings)


def along_axis(sweep: pd.DataFrame, reference: dict, axis: str) -> pd.DataFrame:
    """The rows of a sweep where every setting but ``axis`` has its ``reference`` value (one-at-a-time view).

    Raises
    ------
    ParameterError
        If ``axis`` is not one of the reference's settings.
    """
    if axis not in reference:
        raise ParameterError(f"along_axis: {axis!r} is not a swept setting; have {list(reference)}")
    mask = np.ones(len(sweep), dtype=bool)
    for name, value in reference.items():
        if name != axis:
            # compare as text: settings mix numbers, strings and booleans
            mask &= (sweep[name].map(str) == str(value)).to_numpy()
    return sweep[mask]


def compare_decays(traces, *, truth=None, decays=(None, "evaporation", "erosion"), method="lop", seed=0,
                   **params) -> pd.DataFrame:
    """Fit the colony once per decay kind and compare the derived paths (objective, and respect / tau
    against ``truth`` when given; ``tau_vs_none`` against the path without decay)."""
    from poem.antcolony import ManHill
    from poem.ordering.evaluation import evaluate, kendall_tau
    from poem.paths import learning_path

    rows, reference = [], None
    for decay in decays:
        model = ManHill(decay=decay, **params).fit(traces)
        path = learning_path(model, method=method, rng=seed)
        reference = path.items if reference is None else reference
        row = {"decay": decay or "none", "objective": path.objective,
               "phi_plus_total": float(np.asarray(model.phi_plus_).sum()),
               "tau_vs_none": kendall_tau(path.items, reference)}
        if truth is not None:
            scores = evaluate(path, truth)
            row.update(respect=scores["respect"], tau=scores["tau"])
        rows.append(row)
    return pd.DataFrame(rows)


def path_emergence(course, *, truth, n_cohorts=5, cohort_size=60, seed=0, method="lop", **options) -> pd.DataFrame:
    """Closed loop under the colony policy, scoring after every cohort the path the colony then supports.

    One row per cohort: ``cohort``, ``learners_seen``, ``respect`` and ``tau`` of the colony's path
    against ``truth``, and the cohort's promotion ``NRP``.
    """
    from poem.ordering.evaluation import evaluate
    from poem.paths import learning_path
    from poem.simulation import closed_loop

    rows = []
    seen = [0]

    def score(cohort, policy, record):
        seen[0] += int(record.get("learners", 0))
        model = getattr(policy, "model", None)
        if model is None:
            return
        scores = evaluate(learning_path(model, method=method, rng=seed), truth)
        rows.append({"cohort": cohort, "learners_seen": seen[0], "respect": scores["respect"],
                     "tau": scores["tau"], "NRP": record.get("NRP", math.nan)})

    closed_loop(course, "colony", n_cohorts=n_cohorts, cohort_size=cohort_size, seed=seed, on_cohort=score,
                **options)
    return pd.DataFrame(rows, columns=["cohort", "learners_seen", "respect", "tau", "NRP"])


def trail_agreement(traces, path_items, *, min_items: int = 3) -> pd.DataFrame:
    """How far each learner's own order agrees with ``path_items``: Kendall tau between the order of their
    first visits and the path, on the items they reached (NaN below ``min_items`` path items).

    Returns one row per learner: ``learner``, ``items`` (path items reached), ``agreement``, ``outcome``.
    """
    from scipy.stats import kendalltau

    rank = {str(x): k for k, x in enumerate(path_items)}
    path_rank = np.array([rank.get(str(x), -1) for x in traces.items], dtype=np.int64)
    # first visit of each (learner, item): events are sorted by learner then time, so the first occurrence
    pair = traces.learner.astype(np.int64) * traces.n_items + traces.item.astype(np.int64)
    _, first = np.unique(pair, return_index=True)
    first = np.sort(first)
    learner = traces.learner[first]
    ranks = path_rank[traces.item[first]]
    on_path = ranks >= 0
    learner, ranks = learner[on_path], ranks[on_path]
    bounds = np.searchsorted(learner, np.arange(traces.n_learners + 1))
    agreement = np.full(traces.n_learners, np.nan)
    counts = np.diff(bounds)
    for k in np.flatnonzero(counts >= min_items):  # one small tau per learner; vectorising gains little
        seq = ranks[bounds[k]:bounds[k + 1]]
        agreement[k] = kendalltau(np.arange(seq.size), seq).statistic
    outcome = traces.outcomes if traces.outcomes is not None else np.full(traces.n_learners, np.nan)
    return pd.DataFrame({"learner": traces.learners, "items": counts, "agreement": agreement, "outcome": outcome})


def path_vs_plan(path, item_info) -> tuple[pd.DataFrame, float]:
    """The path's steps that the catalogue plans for a week (``step``, ``item``, ``kind``, ``week``) and the
    Kendall tau between the path and the planned order (by week, then path position; NaN below 2 items)."""
    from poem.ordering.evaluation import kendall_tau

    columns = [c for c in ("kind", "week") if item_info is not None and c in item_info.columns]
    info = item_info.reindex(pd.Index(path.items))[columns] if columns else pd.DataFrame(index=path.items)
    table = pd.DataFrame({"step": np.arange(1, len(path) + 1), "item": list(path.items)})
    for col in ("kind", "week"):
        table[col] = info[col].to_numpy() if col in info else np.nan
    planned = table.dropna(subset=["week"])
    plan_order = planned.sort_values(["week", "step"], kind="stable")["item"].tolist()
    return planned.reset_index(drop=True), kendall_tau(planned["item"].tolist(), plan_order)


def outcomes_by_agreement(agreement: pd.DataFrame, bins=(-1.0, 0.0, 0.3, 0.6, 1.0)) -> pd.DataFrame:
    """Mean outcome of learners grouped by how well their trail agrees with the path (bins of tau)."""
    known = agreement.dropna(subset=["agreement"])
    # readable labels ("-1 to 0"), not pandas' interval text ("(-1.001, 0.0]")
    labels = [f"{lo:g} to {hi:g}" for lo, hi in zip(bins[:-1], bins[1:])]
    groups = pd.cut(known["agreement"], bins=list(bins), include_lowest=True, labels=labels)
    table = known.groupby(groups, observed=False).agg(learners=("learner", "size"),
                                                      mean_outcome=("outcome", "mean"),
                                                      mean_items=("items", "mean"))
    table.index = table.index.astype(str)
    table.index.name = "agreement"
    return table.reset_index()
