"""The ``poem fit``, ``poem suggest`` and ``poem audit`` sub-commands (the man-hill layer of the CLI).

``poem fit TRACES [--outcomes F] [--catalog CATALOG] [--set name=value ...] [--engine memory|dask]
[--scheduler ADDR] --out MODEL`` reads traces with :func:`poem.io.read_traces`, fits a :class:`~poem.antcolony.ManHill` (or calls
:func:`poem.engines.dask.fit_dask` with ``--engine dask``), saves it and prints one summary line.
``--catalog`` (columns ``item, title, kind, length``; ``kind`` video|quiz|page, ``length`` in seconds) reads
the video visits as success / failure evidence from the seconds watched (:mod:`poem.colony.viewing`).
``--set`` values are read as JSON when they parse (``depth=3``, ``tour_quality=true``, ``session_gap=null``)
and as text otherwise (``decay=erosion``); ``prior=FILE`` reads a syllabus order (a JSON list of item ids,
or one id per line).

``poem suggest MODEL --history a,b,c [--scores 1,0,1] [--catalog FILE] [--k 5] [--operator greedy] [--seed N]
[--format json]`` and ``poem audit MODEL [--format csv|json]`` use a saved colony. ``suggest`` says in words
why each item is suggested (a retry, a confirmation of a pass that may be a guess, a remediation, ready
because named prerequisites are mastered...); scores must lie in [0, 1]; with ``--catalog`` the history may
name items by their catalogue titles, and titles are shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from poem.errors import ParameterError, PoemError

__all__ = ["register", "run_fit", "run_suggest", "run_audit", "parse_settings", "resolve_history"]

#: logs at least this large get a progress bar on stderr
PROGRESS_EVENTS = 1_000_000


def register(subparsers) -> None:
    p = subparsers.add_parser("fit", help="fit the man-hill colony on traces and save it",
                              description="Fit the pheromone colony (Φ⁺, Φ⁻, precedence, ELO) on traces.")
    p.add_argument("traces", metavar="TRACES", help="traces file or directory (any format poem import reads)")
    p.add_argument("--outcomes", help="learner outcomes table (learner,outcome)")
    p.add_argument("--catalog", metavar="CATALOG",
                   help="item catalogue (item,title,kind,length): video visits become evidence from the "
                        "share watched")
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                   help="a ManHill parameter (repeatable), e.g. --set depth=3 --set decay=erosion")
    p.add_argument("--engine", choices=["memory", "dask"], default="memory",
                   help="memory: fit in this process (default); dask: out-of-core on a Dask cluster, for logs "
                        "larger than memory")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address (with --engine dask)")
    p.add_argument("--out", required=True, metavar="MODEL", help="colony file to write (.npz)")
    p.set_defaults(func=run_fit)

    s = subparsers.add_parser("suggest", help="suggest next items for one learner from a saved colony",
                              description="Suggest the next items for a learner with the given history, from the "
                                          "colony's pheromone memory: one row per suggestion with its score, the "
                                          "learners behind it, the observed and predicted success, and why it is "
                                          "suggested, in words.")
    s.add_argument("model", metavar="MODEL", help="colony file written by poem fit (.npz)")
    s.add_argument("--history", default="", help="items seen, oldest first, comma-separated (ids, or titles "
                                                 "with --catalog)")
    s.add_argument("--scores", help="scores in [0, 1] of the history items, comma-separated (empty or nan: none)")
    s.add_argument("--catalog", metavar="FILE", help="item catalogue (id, title...): --history may use titles")
    s.add_argument("--k", type=int, default=5, help="number of suggestions (default 5)")
    s.add_argument("--operator", default="greedy", choices=["greedy", "roulette", "tournament", "ranking"],
                   help="how suggestions are picked from the scores: greedy takes the best (default); roulette, "
                        "tournament and ranking draw at random in proportion to, or by rank of, the score")
    s.add_argument("--seed", type=int, help="seed of the stochastic operators")
    s.add_argument("--format", choices=["table", "json"], default="table",
                   help="table: aligned text for people (default); json: for programs")
    s.set_defaults(func=run_suggest)

    a = subparsers.add_parser("audit", help="audit a saved colony for the pedagogical team",
                              description="List the items worth a second look in a saved colony: abnormal "
                                          "failures, unreached items, rating drift... one row per finding "
                                          "(kind, item, target, value, expected, support, detail). With no "
                                          "finding, says so and how many items were checked.")
    a.add_argument("model", metavar="MODEL", help="colony file written by poem fit (.npz)")
    a.add_argument("--format", choices=["csv", "json"], default="csv",
                   help="csv (default) or json; numbers are rounded to 4 significant digits")
    a.set_defaults(func=run_audit)


def parse_settings(settings) -> dict:
    """``["depth=3", "decay=erosion"]`` -> ``{"depth": 3, "decay": "erosion"}``; names are checked against
    the ManHill parameters.

    >>> parse_settings(["depth=3", "decay=erosion", "tour_quality=true"])
    {'depth': 3, 'decay': 'erosion', 'tour_quality': True}
    """
    from poem.antcolony import DEFAULTS

    out = {}
    for text in settings:
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--set expects NAME=VALUE, got {text!r}")
        if name not in DEFAULTS:
            raise ParameterError(f"unknown parameter {name!r} in --set; valid: {', '.join(sorted(DEFAULTS))}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if name == "prior" and isinstance(value, str):
            value = _read_syllabus(value)
        out[name] = value
    return out


def _read_syllabus(path: str) -> list:
    file = Path(path)
    if not file.is_file():
        raise ParameterError(f"prior={path!r}: no such syllabus file (a JSON list of item ids or one per line)")
    text = file.read_text(encoding="utf-8")
    try:
        order = json.loads(text)
    except json.JSONDecodeError:
        order = [line.strip() for line in text.splitlines() if line.strip()]
    if not isinstance(order, list):
        raise ParameterError(f"prior={path!r} must hold a list of item ids")
    return [str(x) for x in order]


def run_fit(args: argparse.Namespace) -> int:
    from poem.antcolony import ManHill, _check_params

    params = parse_settings(args.settings)
    _check_params(ManHill(**params))  # unknown names and bad values fail before any reading
    bar = None
    if args.engine == "dask":
        try:
            from poem.engines.dask import fit_dask
        except ImportError as exc:
            raise PoemError(f"--engine dask needs poem.engines.dask, which cannot be imported ({exc})") from None
        if args.catalog:
            raise ParameterError("--catalog (viewing evidence) is not supported with --engine dask yet; "
                                 "use --engine memory")
        outcomes = _outcomes(args.outcomes)
        model = fit_dask(args.traces, scheduler=args.scheduler, outcomes=outcomes, **params)
        summary = model.dask_run_.summary
    else:
        if args.scheduler:
            raise ParameterError("--scheduler only applies with --engine dask")
        from poem.io import read_traces, require_events

        traces = require_events(read_traces(args.traces, progress=sys.stderr.isatty()), args.traces)
        summary = traces.summary()
        outcomes = _outcomes(args.outcomes)
        bar = _progress(traces.n_events)
        model = ManHill(**params).fit(traces, outcomes=outcomes, catalog=args.catalog)
        del traces
        if bar is not None:
            bar.update(1)
            bar.set_description("saving the colony")
    model.save(args.out)
    if bar is not None:
        bar.update(1)
        bar.close()
    used = int((model.arc_learners_ > 0).sum())
    # nothing is dropped silently: the import accounting (with rejects per reason) comes first
    print(summary)
    if getattr(model, "viewing_", None) is not None:
        counts = model.viewing_.counts()
        print("viewing evidence: " + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "other"))
    print(f"fitted colony: {model.n_events_} events, {model.n_learners_} learners, {len(model.items_)} items, "
          f"{used} arcs used -> {args.out}")
    return 0


def _outcomes(path):
    if not path:
        return None
    from poem.io import read_outcomes

    return read_outcomes(path)


def _progress(n_events: int):
    if n_events < PROGRESS_EVENTS:
        return None
    from tqdm import tqdm

    return tqdm(total=2, desc=f"fitting {n_events:,} events", file=sys.stderr, unit="stage")


def run_suggest(args: argparse.Namespace) -> int:
    from poem.antcolony import ManHill
    from poem.colony.suggestion import check_scores

    model = ManHill.load(args.model)
    history = [h.strip() for h in args.history.split(",") if h.strip()]
    titles = {}
    if args.catalog:
        from poem.io import read_catalog

        catalog = read_catalog(args.catalog)
        titles = {str(k): str(v) for k, v in catalog["title"].items() if v is not None and v == v}
        history = resolve_history(history, titles, set(map(str, model.items_)))
    scores = None
    if args.scores is not None:
        try:
            scores = [float(s) if s.strip() else float("nan") for s in args.scores.split(",")]
        except ValueError:
            raise ParameterError(f"--scores must be numbers separated by commas, got {args.scores!r}") from None
        check_scores(scores, "--scores")
    out = model.suggest(history, scores=scores, k=args.k, operator=args.operator, rng=args.seed)
    if args.format == "json":
        rows = []
        for s in out:
            row = s.to_dict()
            if titles:
                row["title"] = titles.get(s.item)
            rows.append(row)
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'item':<20} {'score':>7} {'support':>8} {'success':>8} {'predicted':>9}  dominant")
        for s in out:
            print(f"{s.item:<20} {s.score:7.3f} {s.support:8d} {s.success_rate:8.2f} {s.predicted_success:9.2f}"
                  f"  {s.dominant_term}")
            label = f" ({titles[s.item]})" if s.item in titles else ""
            print(f"    why{label}: {_titled(s.reason, s.because, titles)}")
        print(f"mastery rule: {model.calibration_.summary()}")
    return 0


def resolve_history(history: list, titles: dict, known: set) -> list:
    """History entries to item ids: an id of the colony stays; a catalogue title (exact, else
    case-insensitive) becomes its id; anything else raises :class:`ParameterError` naming it.

    >>> resolve_history(["Intro", "q2", "basics"], {"v1": "Intro", "v2": "Basics"}, {"v1", "v2", "q2"})
    ['v1', 'q2', 'v2']
    """
    exact, folded = {}, {}
    for item, title in titles.items():
        exact.setdefault(title, []).append(item)
        folded.setdefault(title.casefold(), []).append(item)
    out = []
    for h in history:
        if h in known:
            out.append(h)
            continue
        hits = exact.get(h) or folded.get(h.casefold()) or []
        if len(hits) > 1:
            raise ParameterError(f"--history: the title {h!r} names several items {sorted(hits)[:5]}; "
                                 "use the item id instead")
        if not hits:
            raise ParameterError(f"--history: {h!r} is neither an item id of the colony nor a catalogue title; "
                                 "check the spelling or the --catalog file")
        out.append(hits[0])
    return out


def _titled(reason: str, because, titles: dict) -> str:
    """The reason followed by the catalogue titles of the items it names."""
    named = [f"{item} = {titles[item]!r}" for item in dict.fromkeys(because) if item in titles]
    return reason + (f" [{'; '.join(named)}]" if named else "")


def run_audit(args: argparse.Namespace) -> int:
    from poem.antcolony import ManHill

    model = ManHill.load(args.model)
    table = model.audit()
    # 16-digit floats say nothing more to a team than 4 significant digits
    for col in table.select_dtypes("float").columns:
        table[col] = table[col].map(lambda v: float(f"{v:.4g}"))
    if not len(table):
        print(f"no findings: {len(model.items_)} items checked", file=sys.stderr)
    if args.format == "json":
        print(table.to_json(orient="records", indent=2))
    else:
        sys.stdout.write(table.to_csv(index=False))
    return 0
