"""The tables behind the team report: per-step evidence, item audit, learners at risk, trust.

These are presentation helpers over what the other layers compute (a :class:`~poem.traces.Traces`, a
fitted :class:`~poem.antcolony.ManHill`, a :class:`~poem.paths.Path` and a prerequisite graph): they select,
join and count, and leave the modelling to :mod:`poem.antcolony` and :mod:`poem.paths`. Column names are
stable identifiers; :mod:`poem.report.texts` translates them for display.

Learners at risk
    A learner still in the course (not silent for ``dropout_days``) who has not mastered the whole path is
    *stalled* when silent for ``stall_days`` (counted back from the last event of the data) or when their
    last ``window`` attempts brought no newly mastered item, and *drifting* when at least ``drift_share``
    of their last ``window`` attempts were on items whose prerequisites (in the colony's prerequisite
    graph) they had not mastered yet: they are off the efficient trail. Only pseudonymised ids are shown.

Trust
    How far the path can be trusted: learners and events behind it, catalogue coverage, the support of
    its steps, and its stability when the colony is refitted on random 80 % subsamples of the learners
    (Kendall tau against the reported path).

Examples
--------
>>> import pandas as pd, networkx as nx
>>> from poem.traces import Traces
>>> frame = pd.DataFrame({"learner": ["a"] * 3 + ["b"] * 2, "item": ["x", "y", "z", "z", "z"],
...                       "timestamp": pd.to_datetime([1, 2, 3, 1, 2], unit="D", utc=True),
...                       "score": [1.0, 1.0, 1.0, 0.0, 0.0]})
>>> graph = nx.DiGraph([("x", "y"), ("y", "z")])
>>> status = learner_status(Traces.from_frame(frame), ["x", "y", "z"], graph, window=2, min_events=1, key="k")
>>> status["status"].tolist()   # a mastered the path; b keeps failing z without its prerequisites
['completed', 'stalled_drifting']
>>> learners_at_risk(status)[["events", "mastered", "off_trail_share"]].to_dict("records")
[{'events': 2, 'mastered': 0, 'off_trail_share': 1.0}]
"""

from __future__ import annotations

import math
import secrets

import networkx as nx
import numpy as np
import pandas as pd

from poem.errors import ParameterError

__all__ = [
    "syllabus_order", "path_steps", "item_audit", "syllabus_disagreements", "learner_status", "learners_at_risk",
    "path_stability", "trust_summary", "outcome_contrast", "display_ids", "reached_items", "AT_RISK_COLUMNS",
    "graph_stability", "success_accuracy", "prediction_check", "viewing_course", "viewing_steps",
    "abandoned_videos",
]

AT_RISK_COLUMNS = ["learner", "status", "events", "mastered", "path_items", "days_inactive", "recent_success",
                   "off_trail_share", "stalled", "drifting"]
NS_PER_DAY = 86400 * 10**9


def syllabus_order(item_info) -> list:
    """The catalogue's items in syllabus order (by ``position``), or an empty list when unknown.

    Examples
    --------
    >>> info = pd.DataFrame({"position": [2, 1, None]}, index=pd.Index(["b", "a", "c"], name="item"))
    >>> syllabus_order(info)
    ['a', 'b']
    """
    if item_info is None or "position" not in item_info.columns:
        return []
    pos = pd.to_numeric(item_info["position"], errors="coerce").dropna()
    return [str(i) for i in pos.sort_values(kind="stable").index]


def reached_items(model, min_learners: int = 1) -> list:
    """Items of a fitted colony reached by at least ``min_learners`` learners (at least one), in vocabulary
    order: the ones a path can say something about.

    Examples
    --------
    >>> class Colony:
    ...     items_ = np.array(["a", "b", "c"], dtype=object)
    ...     item_learners_ = np.array([5, 0, 2])
    >>> reached_items(Colony), reached_items(Colony, 3)
    (['a', 'c'], ['a'])
    """
    reached = np.asarray(model.item_learners_) >= max(int(min_learners), 1)
    return [str(i) for i in np.asarray(model.items_)[reached]]


def _z(P: np.ndarray) -> np.ndarray:
    """Signed sign-test statistic of "i mastered before j" (the evidence scale of :mod:`poem.paths`)."""
    total = P + P.T
    return np.where(total > 0, (P - P.T) / np.sqrt(total + 1.0), 0.0)


def path_steps(model, path, item_info=None) -> pd.DataFrame:
    """Per-step evidence of a path for people: the path's ``steps`` plus title, syllabus position, and the
    earlier step most learners mastered first (``key_prerequisite``, with ``before`` / ``after`` counts).
    The predicted success of items without any scored attempt is left blank.

    Parameters
    ----------
    model : fitted ManHill
    path : poem.paths.Path
    item_info : DataFrame, optional
        Catalogue (``title``, ``position``) indexed by item id.
    """
    steps = path.steps.copy()
    # an ELO prediction for an item nobody was ever scored on (a page, a video) says nothing: blank it
    steps.loc[steps["success_rate"].isna(), "predicted_success"] = np.nan
    index = {str(x): k for k, x in enumerate(model.items_)}
    codes = np.array([index[i] for i in path.items], dtype=np.int64)
    P = np.asarray(model.precedence_, dtype=float)[np.ix_(codes, codes)]
    Z = _z(P)
    # only earlier steps can be the reason for a later one: mask the lower triangle (and the diagonal)
    earlier = np.triu(np.ones_like(Z, dtype=bool), k=1)
    scored = np.where(earlier, Z, -np.inf)
    best = np.argmax(scored, axis=0) if len(codes) else np.zeros(0, dtype=np.int64)
    has_key = np.isfinite(scored.max(axis=0)) & (scored.max(axis=0) > 1.0) if len(codes) else np.zeros(0, bool)
    steps["key_prerequisite"] = [path.items[b] if ok else None for b, ok in zip(best, has_key)]
    cols = np.arange(len(codes))
    steps["before"] = np.where(has_key, P[best, cols], np.nan) if len(codes) else []
    steps["after"] = np.where(has_key, P[cols, best], np.nan) if len(codes) else []
    steps.insert(0, "step", steps["position"].to_numpy() + 1)
    if item_info is not None:
        info = item_info.reindex(pd.Index(path.items))
        for col in ("title", "position"):
            if col in info.columns:
                name = "syllabus_position" if col == "position" else col
                steps[name] = info[col].to_numpy()
    return steps.drop(columns=["position"])


def item_audit(model, *, rare_share: float = 0.05, **thresholds) -> pd.DataFrame:
    """The colony's audit (:meth:`~poem.antcolony.ManHill.audit`) plus items reached by fewer than
    ``rare_share`` of the learners (kind ``rarely_reached``), with the share of learners reaching each item.

    Raises
    ------
    ParameterError
        If ``rare_share`` is outside [0, 1].
    """
    if not 0 <= rare_share <= 1:
        raise ParameterError(f"rare_share must lie in [0, 1], got {rare_share!r}")
    table = model.audit(**thresholds)
    reached = np.asarray(model.item_learners_, dtype=float)
    items = np.asarray(model.items_).astype(str)
    share = reached / max(int(model.n_learners_), 1)
    rare = np.flatnonzero((reached > 0) & (share < rare_share))
    extra = pd.DataFrame({"kind": "rarely_reached", "item": items[rare], "target": "",
                          "value": share[rare], "expected": rare_share, "support": reached[rare].astype(np.int64),
                          "detail": [f"reached by {share[j]:.1%} of the learners" for j in rare]})
    table = pd.concat([t for t in (table, extra) if len(t)], ignore_index=True) if len(table) or len(extra) \
        else table
    by_item = dict(zip(items, share))
    table["learner_share"] = [by_item.get(str(i), np.nan) for i in table["item"]]
    return table


def syllabus_disagreements(graph: nx.DiGraph, item_info) -> pd.DataFrame:
    """Prerequisite arcs a→b of the graph where the syllabus nevertheless places b before a.

    The graph's arcs are the evidence: with the contrast graph (the default of
    :func:`poem.paths.prerequisite_graph`) each is already a confident contrast, so only confident
    disagreements are listed. Columns: ``prerequisite``, ``item``, ``prerequisite_position``,
    ``item_position`` (syllabus), ``confidence``, ``strength``, ``arc_support`` (the arc's ``support``:
    learners with an attempt on the item after mastering the prerequisite), and for a precedence graph
    ``before`` / ``after`` (learners who mastered the prerequisite first / the other way round); most
    confident first.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_edge("a", "b", strength=1.2, confidence=0.95, support=20)
    >>> info = pd.DataFrame({"position": [2, 1]}, index=pd.Index(["a", "b"], name="item"))
    >>> syllabus_disagreements(g, info)[["prerequisite", "item", "confidence", "arc_support"]].values.tolist()
    [['a', 'b', 0.95, 20]]
    """
    columns = ["prerequisite", "item", "prerequisite_position", "item_position", "confidence", "strength",
               "arc_support", "before", "after", "weight"]
    order = syllabus_order(item_info)
    if not order:
        return pd.DataFrame(columns=columns)
    pos = {item: k + 1 for k, item in enumerate(order)}
    rows = [(a, b, pos[a], pos[b], d.get("confidence", np.nan), d.get("strength", d.get("weight", np.nan)),
             d.get("support", np.nan), d.get("precedence", np.nan), d.get("against", np.nan),
             d.get("weight", np.nan))
            for a, b, d in graph.edges(data=True) if a in pos and b in pos and pos[b] < pos[a]]
    table = pd.DataFrame(rows, columns=columns)
    key = table["confidence"].fillna(0.0) if len(table) else table["confidence"]
    return (table.assign(_key=key).sort_values(["_key", "strength"], ascending=False, kind="stable")
            .drop(columns="_key").reset_index(drop=True))


def display_ids(ids, *, pseudonymised: bool, key=None) -> np.ndarray:
    """Learner ids safe to print: kept when already pseudonymised, otherwise keyed hashes.

    The key is ``key``, else the platform's key from the environment (:func:`poem.pseudonym.load_key`:
    ``$POEM_PSEUDONYM_KEY``, then the file named by ``$POEM_PSEUDONYM_KEY_FILE``), so pseudonyms are stable
    across runs and staff holding the key can re-identify them; else a random key drawn for this call (the
    pseudonyms then link to nobody).
    """
    from poem.pseudonym import load_key, pseudonymise

    ids = np.asarray(ids, dtype=object)
    if pseudonymised:
        return ids
    key = load_key(key) or secrets.token_hex(16)
    return pseudonymise(ids, key)


def learner_status(traces, path_items, graph: nx.DiGraph, *, stall_days: float = 7.0, dropout_days: float = 28.0,
                   window: int = 10, drift_share: float = 0.5, mastery: float = 0.5, min_events: int = 3,
                   key=None) -> pd.DataFrame:
    """Where every learner stands (see the module docstring), one row per learner.

    ``status`` is one of ``completed`` (mastered the whole path), ``new`` (fewer than ``min_events``
    events), ``dropped`` (silent for ``dropout_days``), ``stalled``, ``drifting``, ``stalled_drifting``
    or ``on_track``. Days are counted back from the last event of the data.

    Parameters
    ----------
    traces : Traces
    path_items : sequence of str
        The recommended path; a learner who mastered all of it has completed.
    graph : networkx.DiGraph
        Prerequisite graph over item ids (:func:`poem.paths.prerequisite_graph`).
    stall_days, dropout_days : float
        Days of silence that make a learner stalled, then dropped out.
    window : int
        Recent attempts examined per learner.
    drift_share : float
        Share of recent attempts on not-yet-ready items that makes a learner drifting.
    mastery : float
        Score at or above which an attempt masters its item.
    min_events : int
        Learners with fewer events are too new to judge.
    key : str, optional
        Pseudonymisation key for the displayed ids (see :func:`display_ids`).

    Returns
    -------
    DataFrame with :data:`AT_RISK_COLUMNS`, one row per learner.

    Raises
    ------
    ParameterError
        If a threshold is outside its domain (the message names it).
    """
    for name, value, ok in (("stall_days", stall_days, stall_days > 0),
                            ("dropout_days", dropout_days, dropout_days >= stall_days),
                            ("window", window, window >= 1), ("drift_share", drift_share, 0 < drift_share <= 1),
                            ("mastery", mastery, 0 <= mastery <= 1), ("min_events", min_events, min_events >= 1)):
        if not ok:
            raise ParameterError(f"learner_status: {name}={value!r} is outside its domain")
    n_items, n_learners = traces.n_items, traces.n_learners
    index = {str(x): k for k, x in enumerate(traces.items)}
    path_codes = np.array([index[i] for i in path_items if i in index], dtype=np.int64)
    E = traces.n_events
    # Everything below works on the sorted event arrays (memory O(events)): nothing n_learners x n_items.
    success = traces.score >= mastery  # NaN compares False: an unscored visit masters nothing
    bounds = traces.trail_bounds()
    events = np.diff(bounds)

    # first success of each (learner, item) pair, as sorted int64 keys learner * n_items + item with the
    # event index of that first success (np.unique keeps the first occurrence, events being in trail order)
    hits = np.flatnonzero(success)
    keys = traces.learner[hits].astype(np.int64)
    keys *= n_items
    keys += traces.item[hits]
    first_keys, first_at = np.unique(keys, return_index=True)
    del keys
    first_pos = hits[first_at]
    del hits, first_at

    def first_success(query_keys):
        """Event index of the first success for each key (E = never)."""
        if not len(first_keys):
            return np.full(len(query_keys), E, dtype=np.int64)
        at = np.searchsorted(first_keys, query_keys)
        np.minimum(at, len(first_keys) - 1, out=at)
        return np.where(first_keys[at] == query_keys, first_pos[at], E)

    # path items mastered, counting a path item listed twice twice (as a column selection would)
    path_weight = np.bincount(path_codes, minlength=n_items)
    per_item = max(n_items, 1)   # no item, no event, no key
    mastered_path = np.bincount(first_keys // per_item, weights=path_weight[first_keys % per_item],
                                minlength=n_learners).astype(np.int64)

    # the last `window` events of every learner, as event indices in trail order
    start = np.maximum(bounds[1:] - window, bounds[:-1])
    n_recent = bounds[1:] - start
    r_learner = np.repeat(np.arange(n_learners, dtype=np.int64), n_recent)
    r_pos = np.arange(len(r_learner), dtype=np.int64) + np.repeat(start - (np.cumsum(n_recent) - n_recent),
                                                                  n_recent)
    r_item = traces.item[r_pos].astype(np.int64)
    r_keys = r_learner * n_items + r_item
    r_first = first_success(r_keys)
    del r_keys

    # off trail: some prerequisite of the attempted item was not mastered before the attempt; the
    # (recent attempt, prerequisite) pairs are expanded in bounded chunks
    A = np.zeros((n_items, n_items), dtype=bool)
    for a, b in graph.edges:
        if a in index and b in index:
            A[index[a], index[b]] = True
    prereq_of, prereq = np.nonzero(A.T)            # prerequisites of each item, grouped by item
    indegree = np.bincount(prereq_of, minlength=n_items).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(indegree)]).astype(np.int64)
    not_ready = np.zeros(len(r_pos), dtype=bool)
    chunk = max(1, (1 << 18) // max(int(indegree.max()) if n_items else 1, 1))
    for lo in range(0, len(r_pos), chunk):
        hi = min(lo + chunk, len(r_pos))
        degree = indegree[r_item[lo:hi]]
        pair_event = np.repeat(np.arange(hi - lo, dtype=np.int64), degree)
        if not len(pair_event):
            continue
        rank = np.arange(len(pair_event), dtype=np.int64) - np.repeat(np.cumsum(degree) - degree, degree)
        pair_prereq = prereq[offsets[r_item[lo:hi]][pair_event] + rank]
        pair_first = first_success(r_learner[lo:hi][pair_event] * n_items + pair_prereq)
        late = pair_first >= r_pos[lo:hi][pair_event]
        not_ready[lo:hi] = np.bincount(pair_event[late], minlength=hi - lo) > 0
    off_share = (np.bincount(r_learner, weights=not_ready, minlength=n_learners)
                 / np.maximum(n_recent, 1))

    new_mastery = np.bincount(r_learner, weights=r_first == r_pos, minlength=n_learners)
    scored = np.bincount(r_learner, weights=~np.isnan(traces.score[r_pos]), minlength=n_learners)
    recent_success = np.bincount(r_learner, weights=success[r_pos], minlength=n_learners) / np.maximum(scored, 1)
    last_time = traces.timestamp[np.maximum(bounds[1:] - 1, 0)]
    days_inactive = (traces.timestamp.max() - last_time) / NS_PER_DAY if E else np.zeros(n_learners)

    stalled = (days_inactive >= stall_days) | ((n_recent >= window) & (new_mastery == 0))
    drifting = off_share >= drift_share
    status = np.select(
        [mastered_path >= len(path_codes), events < min_events, days_inactive >= dropout_days,
         stalled & drifting, stalled, drifting],
        ["completed", "new", "dropped", "stalled_drifting", "stalled", "drifting"], default="on_track")
    return pd.DataFrame({
        "learner": display_ids(traces.learners, pseudonymised=traces.pseudonymised, key=key), "status": status,
        "events": events, "mastered": mastered_path.astype(np.int64), "path_items": len(path_codes),
        "days_inactive": np.round(days_inactive, 1), "recent_success": recent_success,
        "off_trail_share": off_share, "stalled": stalled, "drifting": drifting,
    })


def learners_at_risk(status: pd.DataFrame) -> pd.DataFrame:
    """The learners of :func:`learner_status` still in the course but stalled or drifting, most at risk first:
    both problems, then the most off-trail, then the longest silent."""
    risky = status[status["status"].isin(["stalled", "drifting", "stalled_drifting"])]
    order = np.lexsort((-risky["days_inactive"].to_numpy(), -risky["off_trail_share"].to_numpy(),
                        -(risky["status"].to_numpy() == "stalled_drifting").astype(int)))
    return risky.iloc[order].reset_index(drop=True)[AT_RISK_COLUMNS]


def _resampling_seeds(seeds, sample: float, what: str) -> list:
    """The seeds of a learner-resampling check, validated with its sample share."""
    if not 0 < sample <= 1:
        raise ParameterError(f"sample must lie in (0, 1], got {sample!r}")
    seeds = list(seeds)
    if not seeds:
        raise ParameterError(f"{what} needs at least one seed")
    return seeds


def path_stability(traces, reference, *, params=None, method="lop", seeds=(0, 1, 2), sample: float = 0.8,
                   path_options=None) -> pd.DataFrame:
    """Refit the colony on random subsamples of the learners and compare each path with ``reference``.

    Returns one row per seed: ``seed``, ``learners``, ``tau`` (Kendall tau against the reference path),
    ``same_start`` (share of the reference's first five steps that are also the subsample path's first
    five).

    Raises
    ------
    ParameterError
        If ``sample`` is not in (0, 1] or no seed is given.
    """
    from poem.antcolony import ManHill
    from poem.ordering.evaluation import kendall_tau
    from poem.paths import learning_path

    seeds = _resampling_seeds(seeds, sample, "path_stability")
    reference = list(reference)
    head = set(reference[:5])
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        mask = rng.random(traces.n_learners) < sample
        sub = traces.select_learners(mask)
        model = ManHill(**(params or {})).fit(sub)
        path = learning_path(model, method=method, rng=seed, **(path_options or {}))
        rows.append({"seed": seed, "learners": int(mask.sum()), "tau": kendall_tau(path.items, reference),
                     "same_start": len(head & set(path.items[:5])) / max(len(head), 1)})
    return pd.DataFrame(rows)


def graph_stability(traces, graph: nx.DiGraph, *, seeds=(0, 1, 2), sample: float = 0.8,
                    min_confidence: float | None = None) -> pd.DataFrame:
    """Refit the contrast prerequisite graph on random subsamples of the learners and count how many of
    ``graph``'s arcs each refit finds again.

    Returns one row per seed: ``seed``, ``learners``, ``arcs`` (arcs of the refit), ``reproduced``
    (share of ``graph``'s arcs present in the refit; NaN when ``graph`` has none) and ``new`` (share of
    the refit's arcs absent from ``graph``).

    Raises
    ------
    ParameterError
        If ``sample`` is not in (0, 1] or no seed is given.
    """
    from poem.paths import prerequisite_graph

    seeds = _resampling_seeds(seeds, sample, "graph_stability")
    reference = set(graph.edges)
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        mask = rng.random(traces.n_learners) < sample
        sub = prerequisite_graph(None, traces=traces.select_learners(mask), min_confidence=min_confidence,
                                 rng=seed)
        arcs = set(sub.edges)
        rows.append({"seed": seed, "learners": int(mask.sum()), "arcs": len(arcs),
                     "reproduced": len(arcs & reference) / len(reference) if reference else math.nan,
                     "new": len(arcs - reference) / len(arcs) if arcs else math.nan})
    return pd.DataFrame(rows)


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); NaN without both classes."""
    from scipy.stats import rankdata

    pos = label.astype(bool)
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if not n1 or not n0:
        return math.nan
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def success_accuracy(traces, *, split: float = 0.8, max_attempts: int = 2000, params=None, seed: int = 0,
                     mastery: float = 0.5) -> dict:
    """Held-out accuracy of the colony's success model on this course's own later attempts.

    The colony is fitted on the events before the ``split`` quantile of the timestamps; up to
    ``max_attempts`` scored attempts after it (a seeded sample) are predicted with
    :meth:`~poem.antcolony.ManHill.predict_success` from the learner's history up to the attempt. Returns
    ``{"auc", "baseline_auc", "n"}``: the AUC of those predictions, and that of the plain success rate of
    each item on the earlier events (the baseline the model must beat). NaNs when too few attempts.
    """
    from poem.antcolony import ManHill

    if not 0 < split < 1:
        raise ParameterError(f"split must lie in (0, 1), got {split!r}")
    empty = {"auc": math.nan, "baseline_auc": math.nan, "n": 0}
    scored = ~np.isnan(traces.score)
    if scored.sum() < 20:
        return empty
    cut = np.quantile(traces.timestamp[scored], split)
    early = traces.timestamp < cut
    late = np.flatnonzero(~early & scored)
    if len(late) < 20 or early.sum() < 20:
        return empty
    model = ManHill(**(params or {})).fit(_events(traces, early))
    rng = np.random.default_rng(seed)
    if len(late) > max_attempts:
        late = np.sort(rng.choice(late, size=max_attempts, replace=False))
    bounds = traces.trail_bounds()
    known = {str(x): k for k, x in enumerate(model.items_)}
    items = traces.items.astype(str)
    rate = (np.asarray(model.item_successes_) + 1.0) / (np.asarray(model.item_attempts_) + 2.0)
    pred, base, label = [], [], []
    for e in late:
        item = items[traces.item[e]]
        if item not in known:
            continue
        l = traces.learner[e]
        lo = bounds[l]
        hist = [items[k] for k in traces.item[lo:e]]
        keep = [h in known for h in hist]
        hist = [h for h, k in zip(hist, keep) if k]
        scores = [float(x) for x, k in zip(traces.score[lo:e], keep) if k]
        pred.append(model.predict_success(hist, item, scores=scores))
        base.append(rate[known[item]])
        label.append(traces.score[e] >= mastery)
    if len(label) < 20:
        return empty
    label = np.asarray(label)
    return {"auc": _auc(np.asarray(pred, dtype=float), label),
            "baseline_auc": _auc(np.asarray(base, dtype=float), label), "n": int(len(label))}


def _events(traces, mask):
    """The traces restricted to the events of ``mask`` (vocabularies kept)."""
    from dataclasses import replace

    from poem.traces import empty_rejects

    return replace(traces, learner=traces.learner[mask], item=traces.item[mask],
                   timestamp=traces.timestamp[mask], score=traces.score[mask], duration=traces.duration[mask],
                   n_read=int(mask.sum()), rejects=empty_rejects())


def trust_summary(traces, model, path, stability: pd.DataFrame | None = None, *, viewing_only: bool = False,
                  min_support: int = 10,
                  graph_stability: pd.DataFrame | None = None, success: dict | None = None) -> dict:
    """Figures telling how far the path can be trusted, and a level ``"high" | "medium" | "low"``.

    Keys: ``learners``, ``events``, ``items``, ``coverage`` (share of catalogue items some learner
    reached), ``scored`` (share of events that record a success or a failure), ``supported_steps`` (share of
    path steps taken by at least ``min_support`` learners coming from the previous step),
    ``evidence_steps`` (share of steps after the first backed by some precedence evidence, when the path
    has an ``evidence_for`` column), ``stability`` (mean tau across subsamples, NaN without), ``level`` and
    ``reasons`` (short codes of what lowered the level; three or more make it low). A path can be perfectly
    stable and still say nothing, when no learner's success orders its items: hence ``scored`` and
    ``evidence_steps``.

    Each further claim of the report is measured when its table is given, and "high" needs every one to
    hold: ``graph_reproduced`` (mean share of the prerequisite arcs found again on learner subsamples,
    :func:`graph_stability`; below 0.8: ``graph_unstable``; not given: ``graph_stability_unknown``) and
    ``success_auc`` / ``success_baseline_auc`` (held-out AUC of the success model on the course's later
    attempts and of the items' plain success rates, :func:`success_accuracy`; below 0.65 or not above the
    baseline: ``success_weak``; not given or not measurable: ``success_unknown``).

    Examples
    --------
    >>> class Colony:
    ...     item_learners_ = np.array([10, 0])
    >>> class Tr:
    ...     n_learners, n_events, n_items, score = 300, 4, 2, np.array([1.0, 0.0, 1.0, np.nan])
    >>> class P:
    ...     steps = pd.DataFrame({"support": [50.0, 40.0], "evidence_for": [0.0, 3.2]})
    >>> s = trust_summary(Tr, Colony, P, pd.DataFrame({"tau": [0.9, 0.95]}))
    >>> s["coverage"], s["scored"], s["level"], s["reasons"]
    (0.5, 0.75, 'medium', ['coverage'])
    """
    reached = np.asarray(model.item_learners_, dtype=float)
    coverage = float((reached > 0).mean()) if reached.size else math.nan
    scored = float(np.mean(~np.isnan(traces.score))) if len(traces.score) else math.nan
    support = path.steps["support"].to_numpy(dtype=float)
    supported = float((support >= min_support).mean()) if support.size else math.nan
    evidence = (float((path.steps["evidence_for"].to_numpy(dtype=float)[1:] > 0).mean())
                if "evidence_for" in path.steps and len(path.steps) > 1 else math.nan)
    tau = float(stability["tau"].mean()) if stability is not None and len(stability) else math.nan
    reproduced = (float(graph_stability["reproduced"].mean()) if graph_stability is not None
                  and len(graph_stability) and graph_stability["reproduced"].notna().any() else math.nan)
    auc = float(success["auc"]) if success else math.nan
    base_auc = float(success["baseline_auc"]) if success else math.nan
    checks = [("few_learners", traces.n_learners < 200), ("coverage", coverage < 0.9),
              ("unscored", scored < 0.2), ("support", supported < 0.5), ("weak_evidence", evidence < 0.5),
              ("unstable", np.isfinite(tau) and tau < 0.8), ("stability_unknown", not np.isfinite(tau))]
    if graph_stability is not None or success is not None:
        checks += [("graph_unstable", np.isfinite(reproduced) and reproduced < 0.8),
                   ("graph_stability_unknown", not np.isfinite(reproduced)),
                   ("success_weak", np.isfinite(auc) and (auc < 0.65 or not auc > base_auc)),
                   ("success_unknown", not np.isfinite(auc))]
    # suggestions from viewing alone measured only a little above no guidance, the first guided cohort
    # about level with it (benchmarks/results/viewing.md)
    checks += [("viewing_only", viewing_only)]
    reasons = [code for code, failed in checks if failed]
    severe = traces.n_learners < 50 or (np.isfinite(tau) and tau < 0.5) or coverage < 0.5 or scored < 0.05
    level = "low" if severe or len(reasons) >= 3 else ("medium" if reasons else "high")
    return {"learners": int(traces.n_learners), "events": int(traces.n_events), "items": int(traces.n_items),
            "coverage": coverage, "scored": scored, "supported_steps": supported, "evidence_steps": evidence,
            "stability": tau, "graph_reproduced": reproduced, "success_auc": auc,
            "success_baseline_auc": base_auc, "level": level, "reasons": reasons}


def outcome_contrast(traces, path_items, *, threshold: float = 0.5, min_items: int = 3) -> dict | None:
    """Mean outcome of learners whose own order agrees with the path (Kendall tau >= ``threshold`` on the
    path items they reached, see :func:`poem.lab.experiments.trail_agreement`) against the others.

    Returns ``{"good": mean, "poor": mean, "n_good": int, "n_poor": int}``, or None when the traces carry
    no outcomes or either group is empty. Descriptive only: learners who go further also agree more.
    """
    from poem.lab.experiments import trail_agreement

    if traces.outcomes is None:
        return None
    table = trail_agreement(traces, path_items, min_items=min_items).dropna(subset=["agreement", "outcome"])
    good = table["agreement"] >= threshold
    if not good.any() or good.all():
        return None
    return {"good": float(table.loc[good, "outcome"].mean()), "poor": float(table.loc[~good, "outcome"].mean()),
            "n_good": int(good.sum()), "n_poor": int((~good).sum())}


def prediction_check(traces, *, params=None, test_share: float = 0.2) -> dict | None:
    """How well the colony's success predictions held on the course's own latest attempts: the colony is
    refitted on the events before a cut and predicts each of the latest ``test_share`` of scored attempts
    from the learner's earlier events (:func:`poem.ordering.validation.validate`, ``split="time"``).

    Returns ``{"auc", "rmse", "predicted", "observed", "n", "successes", "failures", "enough", "share",
    "baseline_auc"}`` (``baseline_auc``: the AUC of the items' plain success rates on the same attempts)
    (``enough`` False when fewer than :data:`~poem.ordering.validation.MIN_CLASS` successes or failures were
    held out: not enough evidence), or None when the traces cannot be split that way (no scores, or
    timestamps that do not spread).
    """
    from poem.ordering.validation import MIN_CLASS, ItemRate, validate

    try:
        res = validate(traces, "time", test_share, peers=(ItemRate,), poem_params=params)
    except ParameterError:
        return None
    row = res.table.set_index("model").loc["POEM"]
    successes = int(np.sum(res.y >= 0.5))
    failures = len(res.y) - successes
    peer = res.table.set_index("model")["auc"].get(ItemRate.name, math.nan)
    return {"auc": float(row["auc"]), "rmse": float(row["rmse"]), "predicted": float(row["mean_predicted"]),
            "observed": float(row["observed"]), "n": int(row["n"]), "successes": successes,
            "failures": failures, "enough": min(successes, failures) >= MIN_CLASS, "share": float(test_share),
            "baseline_auc": float(peer)}


def viewing_course(traces, **params) -> dict | None:
    """How the report reads a course whose evidence is watching: None for a scored course (the report is
    as before), else ``only`` (no score at all), ``traces`` (the visits turned into success / failure
    evidence by :func:`poem.colony.viewing.apply_viewing`, for the graph, stability and learner checks),
    ``summary`` (:func:`poem.colony.viewing.viewing_summary` per video) and ``threshold`` (the median
    learned completion share).

    A course is read through viewing when no event carries a score and some carry seconds watched
    (:func:`poem.colony.viewing.is_viewing_only`), or when its catalogue gives ``kind=video`` items with a
    ``length``.

    >>> import pandas as pd
    >>> from poem.traces import Traces
    >>> frame = pd.DataFrame({"learner": ["a", "b"], "item": ["v", "v"], "duration": [30.0, 100.0],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> view = viewing_course(Traces.from_frame(frame))
    >>> view["only"], view["summary"]["learners"].tolist()
    (True, [2])
    >>> viewing_course(Traces.from_frame(frame.assign(score=1.0))) is None
    True
    """
    from poem.colony.viewing import apply_viewing, is_viewing_only, viewing_summary

    only = is_viewing_only(traces)
    info = traces.item_info
    videos = (info is not None and {"kind", "length"} <= set(info.columns)
              and bool(((info["kind"].astype(str) == "video") & info["length"].notna()).any()))
    if not (only or videos):
        return None
    scored, _, _ = apply_viewing(traces, None, **params)
    summary = viewing_summary(traces, None, **params)
    return {"only": only, "traces": scored, "summary": summary,
            "threshold": float(np.nanmedian(summary["threshold"])) if len(summary) else math.nan}


def viewing_steps(steps: pd.DataFrame, summary: pd.DataFrame, *, replace: bool = True) -> pd.DataFrame:
    """The path's steps with each video's ``completion``, ``abandonment`` and learned ``threshold`` instead
    of a success rate (what a view says is whether it was watched through, not whether it succeeded);
    ``replace=False`` (a mixed course: the quizzes' success rates stay) adds them beside it.

    >>> steps = pd.DataFrame({"item": ["v"], "success_rate": [0.9], "predicted_success": [0.8]})
    >>> summary = pd.DataFrame({"completion": [0.6], "abandonment": [0.3], "threshold": [0.85]},
    ...                        index=pd.Index(["v"], name="item"))
    >>> viewing_steps(steps, summary).columns.tolist()
    ['item', 'completion', 'abandonment', 'threshold']
    """
    out = steps.drop(columns=["success_rate", "predicted_success"] if replace else [], errors="ignore")
    per = summary.reindex(pd.Index(out["item"].astype(str)))
    video = per["completion"].notna().to_numpy() | out["item"].astype(str).isin(summary.index).to_numpy()
    for col in {"success_rate", "predicted_success"} & set(out.columns):  # a video has no success rate
        out.loc[video, col] = np.nan
    for col in ("completion", "abandonment", "threshold"):
        out[col] = per[col].to_numpy()
    return out


def abandoned_videos(summary: pd.DataFrame, *, min_viewers: int = 20, z: float = 3.0) -> pd.DataFrame:
    """Videos abandoned abnormally: abandonment above the course's typical rate (the median over videos with
    at least ``min_viewers`` viewers; fewer: not enough evidence) by more than ``z`` standard deviations,
    counting both the binomial noise of the video's viewers and the spread between videos (1.4826 times
    the median absolute deviation): a course whose harder videos are all abandoned more flags only those
    beyond that spread. Columns ``item``, ``abandonment``, ``expected``, ``learners``, ``completion``,
    most abnormal first.

    >>> summary = pd.DataFrame({"learners": [100] * 5, "abandonment": [0.1, 0.12, 0.1, 0.11, 0.6],
    ...                         "completion": [0.8] * 5}, index=pd.Index(list("abcde"), name="item"))
    >>> abandoned_videos(summary)["item"].tolist()
    ['e']
    """
    seen = summary[(summary["learners"] >= min_viewers) & summary["abandonment"].notna()]
    columns = ["item", "abandonment", "expected", "learners", "completion"]
    if len(seen) < 3:  # no typical rate to compare with
        return pd.DataFrame(columns=columns)
    rate = seen["abandonment"].to_numpy(dtype=float)
    typical = float(np.median(rate))
    spread = 1.4826 * float(np.median(np.abs(rate - typical)))
    p0 = min(max(typical, 1e-3), 1 - 1e-3)
    sd = np.sqrt(p0 * (1 - p0) / seen["learners"].to_numpy(dtype=float) + spread ** 2)
    score = (rate - typical) / sd
    out = seen.assign(expected=typical, _z=score)[score > z].sort_values("_z", ascending=False)
    return out.reset_index()[columns]
