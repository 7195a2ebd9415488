"""The ``poem fit``, ``poem suggest`` and ``poem audit`` sub-commands (the man-hill layer of the CLI).

``poem fit TRACES [--outcomes F] [--catalog CATALOG] [--set name=value ...] [--engine memory|dask]
[--scheduler ADDR] --out MODEL`` reads traces with :func:`poem.io.read_traces`, fits a :class:`~poem.antcolony.ManHill` (or calls
:func:`poem.engines.dask.fit_dask` with ``--engine dask``), saves it and prints one summary line.
``--catalog`` (columns ``item, title, kind, length``; ``kind`` video|quiz|page, ``length`` in seconds) reads
the video visits as success / failure evidence from the seconds watched (:mod:`poem.colony.viewing`), with
``--engine dask`` too (what is pooled over the partitions and what each learns: *Viewing evidence* in
:mod:`poem.engines.dask`).
``--set`` values are read as JSON when they parse (``depth=3``, ``tour_quality=true``, ``session_gap=null``)
and as text otherwise (``decay=erosion``); ``prior=FILE`` reads a syllabus order (a JSON list of item ids,
or one id per line).

``poem suggest MODEL --history a,b,c [--scores 1,0,1] [--watched 170,40,600] [--catalog FILE] [--k 5]
[--operator greedy] [--seed N] [--format json]`` and ``poem audit MODEL [--format csv|json]`` use a saved
colony. ``suggest`` says in words why each item is suggested (a retry, a confirmation of a pass that may be
a guess, a remediation, ready because named prerequisites are mastered...); scores must lie in [0, 1]; with
``--catalog`` the history may name items by their catalogue titles, and titles are shown.

On a viewing course (a colony fitted with ``--catalog``) a learner's history is visits with the seconds
watched: ``--watched`` gives them, one per ``--history`` entry in the same order (an empty entry: a visit
without seconds watched, or a quiz whose score ``--scores`` gives at the same position). Each video visit
is read exactly as the closed-loop viewing policy reads it (the colony's
:class:`~poem.colony.viewing_history.HistoryReader`, learned at fit time and saved in the colony file):
the watched share (seconds over the video's length: the ``--catalog`` ``length`` when given, else the
length the fit read) below the video's completion threshold is abandoned (a failure), a complete view is
understood (a pass; later visits of the video are reviews) unless its share bin is one whose later
success the log found doubtful (a failure, the video stays open), and a review after understanding or a
background tab gives no evidence. The table first shows how each visit was read. When the best
suggestion's predicted success is below the log's own success rate of the evidence (the reader's floor,
what an average visit gives), or when fewer than :data:`~poem.colony.viewing_history.SUPPORT_MIN`
learners of the log took the step from the learner's current video to it (its ``support``), no
suggestion is made and ``suggest`` says so: the learner chooses (later suggestions below the floor or
short of that support are withheld too). With ``--format json`` and ``--watched`` the output is one
object: ``history`` (the reading of each visit: ``item``, ``seconds``, ``length``, ``share``,
``threshold``, ``reading``, ``score``, null where none), ``floor``, ``min_support``, ``deferred``,
``message`` (why nothing is suggested, or null), ``suggestions`` (the rows of the plain json list) and
``withheld`` (suggestions left out below the floor or short of the support). A colony file without a
reader (fitted without viewing evidence, or saved before POEM kept the reader) refuses ``--watched`` and
says to refit. The reading was measured in closed loop with ``--set mastery_successes=1`` (one landed
view is all a video says; ``suggest`` notes on stderr when the colony asks more), and there it guided
learners only a little better than no guidance (``benchmarks/results/viewing.md``); the table says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from poem.errors import ParameterError, PoemError

__all__ = ["register", "run_fit", "run_suggest", "run_audit", "parse_settings", "resolve_history",
           "parse_watched", "read_watched"]

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
                                          "suggested, in words. On a viewing course, --watched gives the seconds "
                                          "watched at each visit: they are read as the fitted colony's viewing "
                                          "policy reads them (shown per visit), and when the colony knows no "
                                          "better than the learner it says so and suggests nothing.")
    s.add_argument("model", metavar="MODEL", help="colony file written by poem fit (.npz)")
    s.add_argument("--history", default="", help="items seen, oldest first, comma-separated (ids, or titles "
                                                 "with --catalog)")
    s.add_argument("--scores", help="scores in [0, 1] of the history items, comma-separated (empty or nan: none)")
    s.add_argument("--watched", metavar="SECONDS",
                   help="viewing course: seconds watched at each --history entry, comma-separated, same count "
                        "(empty: none, e.g. a quiz scored by --scores); read with the colony's history reader, "
                        "and no suggestion is made below its floor (the learner chooses)")
    s.add_argument("--catalog", metavar="FILE",
                   help="item catalogue (item, title, kind, length...): --history may use titles; with --watched "
                        "its length (seconds) is each video's length")
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
        outcomes = _outcomes(args.outcomes)
        model = fit_dask(args.traces, scheduler=args.scheduler, outcomes=outcomes, catalog=args.catalog, **params)
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
    run = getattr(model, "dask_run_", None)
    counts = model.viewing_.counts() if getattr(model, "viewing_", None) is not None else \
        (run.viewing["counts"] if run is not None and run.viewing is not None else None)
    if counts is not None:
        print("viewing evidence: " + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "other"))
        reader = getattr(model, "history_reader_", None)
        if reader is not None:
            doubtful = int((~reader.credible).sum())
            print(f"history reader (poem suggest --watched): floor {reader.floor:.2f} (no suggestion below it), "
                  f"{doubtful or 'no'} doubtful share bin(s) of {len(reader.credible)}")
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
    # the seconds are parsed (and refused) before anything else is read
    watched = parse_watched(args.watched, len(history)) if args.watched is not None else None
    titles, catalog = {}, None
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
        if watched is not None and len(scores) != len(history):
            raise ParameterError(f"--scores has {len(scores)} entries for {len(history)} --history entries; give "
                                 "one per entry, empty where a video's --watched seconds say how it went")
    if watched is not None:
        return _suggest_watched(args, model, history, scores, watched, catalog, titles)
    out = model.suggest(history, scores=scores, k=args.k, operator=args.operator, rng=args.seed)
    if args.format == "json":
        print(json.dumps(_suggestion_rows(out, titles), indent=2))
    else:
        _print_suggestions(out, titles)
        print(f"mastery rule: {model.calibration_.summary()}")
    return 0


def _suggestion_rows(out, titles: dict) -> list:
    """The suggestions as plain dicts (``--format json``), with their catalogue title when one is known."""
    rows = []
    for s in out:
        row = s.to_dict()
        if titles:
            row["title"] = titles.get(s.item)
        rows.append(row)
    return rows


def _print_suggestions(out, titles: dict) -> None:
    """The suggestions as a table, each followed by why it is suggested, in words."""
    print(f"{'item':<20} {'score':>7} {'support':>8} {'success':>8} {'predicted':>9}  dominant")
    for s in out:
        print(f"{s.item:<20} {s.score:7.3f} {s.support:8d} {s.success_rate:8.2f} {s.predicted_success:9.2f}"
              f"  {s.dominant_term}")
        label = f" ({titles[s.item]})" if s.item in titles else ""
        print(f"    why{label}: {_titled(s.reason, s.because, titles)}")


def parse_watched(text: str, n: int) -> list:
    """``--watched`` as floats, one per history entry (empty or ``nan``: NaN, no seconds watched); a
    non-number, a negative or infinite value, or a count other than ``n`` raises :class:`ParameterError`.

    >>> parse_watched("170, ,600", 3)
    [170.0, nan, 600.0]
    """
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    if not n and parts:
        raise ParameterError("--watched gives seconds but --history names no item; give the items watched, "
                             "oldest first, in --history")
    if len(parts) != n:
        raise ParameterError(f"--watched has {len(parts)} entries for {n} --history entries; give one per "
                             "history entry, in the same order (empty for an entry without seconds watched)")
    out = []
    for k, part in enumerate(parts):
        try:
            value = float(part) if part else float("nan")
        except ValueError:
            raise ParameterError(f"--watched entry {k + 1} ({part!r}) is not a number of seconds") from None
        if value == value and not (value >= 0 and value != float("inf")):
            raise ParameterError(f"--watched entry {k + 1} is {part}: seconds watched must be a finite number "
                                 ">= 0 (leave the entry empty when unknown)")
        out.append(value)
    return out


def read_watched(reader, items: list, codes: list, watched: list, scores, catalog=None) -> list:
    """The reading of a watched history: one dict per entry (``item``, ``seconds``, ``length``, ``share``,
    ``threshold``, ``pace``, ``reading``, ``score``); ``score`` is what ``suggest`` is given.

    Video entries with seconds are read by ``reader`` (:meth:`HistoryReader.explain_history
    <poem.colony.viewing_history.HistoryReader.explain_history>`, the whole history at once, as the
    closed-loop policy reads it) at the learner's watching pace (:meth:`HistoryReader.pace
    <poem.colony.viewing_history.HistoryReader.pace>`, read from all these visits: ``share`` is as logged,
    ``share * pace`` is what is compared with ``threshold``; ``pace`` is NaN for the other entries); the
    other entries keep their ``scores`` value (``reading`` ``score``, or ``unwatched`` for a video visit
    without seconds nor score). ``catalog`` (indexed by item, with a
    ``length`` column) overrides the lengths the fit read. Raises :class:`ParameterError` for seconds on a
    non-video, seconds and a score on one entry, or a video with seconds and no length known.
    """
    import numpy as np

    nan = float("nan")
    scores = list(scores) if scores is not None else [nan] * len(items)
    given = {}
    if catalog is not None and "length" in catalog.columns:
        import pandas as pd

        given = pd.to_numeric(catalog["length"], errors="coerce").to_dict()
    video = reader.video if reader.video is not None else np.ones(len(reader.threshold), dtype=bool)
    rows, visit, lengths = [], [], []
    for k, (item, j, sec, sc) in enumerate(zip(items, codes, watched, scores)):
        row = {"item": item, "seconds": sec, "length": nan, "share": nan, "threshold": nan, "pace": nan,
               "reading": "score", "score": sc}
        if sec == sec:
            if not video[j]:
                raise ParameterError(f"--watched entry {k + 1}: {item!r} is not a video for this colony (its "
                                     "evidence is its score): leave its --watched entry empty and give its "
                                     "score in --scores")
            if sc == sc:
                raise ParameterError(f"entry {k + 1} ({item!r}) has both seconds watched and a score: a video "
                                     "visit is read from the seconds watched; leave its --scores entry empty")
            raw = given.get(item, nan)
            if item in given and raw == raw and not raw > 0:
                raise ParameterError(f"the catalogue length of {item!r} is {raw!r}: a video's length must be a "
                                     "positive number of seconds; fix it in the --catalog file")
            length = raw if raw == raw else (float(reader.length[j]) if reader.length is not None else nan)
            if not length > 0:
                raise ParameterError(f"--watched entry {k + 1}: no length known for the video {item!r}; pass "
                                     "--catalog FILE with a length column (seconds) for it")
            row.update(length=length, threshold=float(reader.threshold[j]))
            visit.append(k)
            lengths.append(length)
        elif video[j] and sc != sc:
            row["reading"] = "unwatched"
        rows.append(row)
    if visit:
        at = np.asarray(visit)
        share = reader.shares(np.asarray(codes)[at], np.asarray(watched)[at], length=np.asarray(lengths))
        pace = reader.pace(np.asarray(codes)[at], share)
        for k, s, (score, reading) in zip(visit, share.tolist(),
                                           reader.explain_history(np.asarray(codes)[at], share, pace=pace)):
            rows[k].update(share=s, pace=pace, reading=reading, score=score)
    return rows


#: what closed-loop runs measured of suggestions from viewing alone (benchmarks/results/viewing.md), shown
#: beside them so they are not taken for more than they are
VIEWING_MEASURED = ("in closed loop, suggestions from viewing alone, read and deferred this way, left learners "
                    "only a little better off than no guidance, the first guided cohort about level with it "
                    "(benchmarks/results/viewing.md)")

#: each reading of a visit in words (poem suggest's table)
_READING_WORDS = {
    "understood": "complete view: understood, a pass (later visits of it are reviews)",
    "abandoned": "below the video's completion threshold: abandoned, a failure",
    "doubtful": "complete view, but in a share bin the log found followed by failures: not read as understood "
                "(a failure; the video stays open)",
    "review": "the video was understood earlier: a review, no evidence",
    "background": "far above the length (a background tab): no evidence",
    "unwatched": "no seconds watched: no evidence",
}


def _suggest_watched(args, model, history, scores, watched, catalog, titles) -> int:
    """``poem suggest --watched``: read the history with the colony's reader, then suggest or defer."""
    from poem.colony.success import item_code
    from poem.colony.viewing_history import SUPPORT_MIN

    reader = getattr(model, "history_reader_", None)
    if reader is None:
        raise ParameterError(f"{args.model} holds no viewing history reader to read --watched with (a colony "
                             "fitted without viewing evidence, or saved before POEM kept the reader): refit "
                             "it on the viewing log with poem fit TRACES --catalog CATALOG --out MODEL")
    code_of = {str(x): j for j, x in enumerate(model.items_)}
    codes = [item_code(code_of, h, "--history") for h in history]   # an unknown id is refused by name
    rows = read_watched(reader, history, codes, watched, scores, catalog)
    need = model.calibration_.successes_needed
    short = sorted({r["item"] for r, j in zip(rows, codes) if r["reading"] == "understood" and need[j] > 1})
    if short:
        # one landed view is all a video gives (later visits are reviews): under a rule asking for more
        # passes an understood video never counts as mastered and may be suggested again to "confirm" it
        print(f"poem suggest: note: this colony counts {short[0]!r}"
              f"{f' and {len(short) - 1} other understood video(s)' if len(short) > 1 else ''} as mastered only "
              f"after {int(need[code_of[short[0]]])} passes, but a viewing history gives one pass per video at "
              "most; the viewing policy measured in closed loop is fitted with --set mastery_successes=1",
              file=sys.stderr)
    out = model.suggest(history, scores=[r["score"] for r in rows], k=args.k, operator=args.operator,
                        rng=args.seed)
    floor = float(reader.floor)
    message = None
    # as the closed-loop policy (HistoryReader.withholds): below what an average visit of the log gives,
    # or on a step too few learners of the log took, the learner's own choice is trusted over the colony's
    why = reader.withholds(out[0], SUPPORT_MIN) if out else None
    if not out:
        message = "no suggestion: no item is left to suggest for this history; the learner chooses"
    elif why is not None:
        best = out[0].item + (f" ({titles[out[0].item]})" if out[0].item in titles else "")
        if why == "floor":
            message = (f"no suggestion: the best candidate, {best}, has a predicted success of "
                       f"{out[0].predicted_success:.2f}, below {floor:.2f}, the success rate of an average visit "
                       "in the course's log (the history reader's floor): here the colony knows no better than "
                       "the learner, so the learner chooses the next video")
        else:
            message = (f"no suggestion: the best candidate, {best}, was reached from this learner's current "
                       f"video by {out[0].support} learner(s) of the course's log, fewer than {SUPPORT_MIN}: the "
                       "colony has not seen enough learners take that step to suggest it, so the learner "
                       "chooses the next video")
        out = []
    kept = [s for s in out if reader.withholds(s, SUPPORT_MIN) is None]
    withheld, out = len(out) - len(kept), kept
    if args.format == "json":
        # NaN (no seconds, no length, no evidence) is null: NaN is not JSON
        history_rows = [{**{k: (None if v != v else v) for k, v in r.items()},
                         **({"title": titles.get(r["item"])} if titles else {})} for r in rows]
        suggestions = _suggestion_rows(out, titles)
        print(json.dumps({"history": history_rows, "floor": floor, "min_support": SUPPORT_MIN,
                          "deferred": message is not None,
                          "message": message, "suggestions": suggestions, "withheld": int(withheld)},
                         indent=2, default=_json_number))
        return 0
    pace = next((r["pace"] for r in rows if r["pace"] == r["pace"]), 1.0)
    if pace != 1.0:
        print(f"watching pace read from these visits: {pace:g}x (the learner's shares, taken together, look like "
              f"an ordinary learner's over {pace:g}: a player logging wall-clock seconds at a faster playback "
              "speed), so each share is multiplied by it before the threshold is applied")
    print("history, read from the seconds watched:")
    for k, r in enumerate(rows, 1):
        name = r["item"] + (f" ({titles[r['item']]})" if r["item"] in titles else "")
        if r["reading"] == "score":
            what = f"score {r['score']:.2f}" if r["score"] == r["score"] else "no score: no evidence"
        elif r["reading"] == "unwatched":
            what = _READING_WORDS["unwatched"]
        else:
            paced = f", {r['share'] * pace:.2f} at {pace:g}x" if pace != 1.0 else ""
            what = (f"{r['seconds']:g} s of {r['length']:g} s = {r['share']:.2f}{paced} (threshold "
                    f"{r['threshold']:.2f}): {_READING_WORDS[r['reading']]}")
        print(f"  {k:>3}. {name}: {what}")
    if message is not None:
        print(message)
    else:
        _print_suggestions(out, titles)
        if withheld:
            print(f"{withheld} more suggestion(s) withheld: predicted success below the floor {floor:.2f}, or "
                  f"fewer than {SUPPORT_MIN} learners took that step")
        if out:
            print(f"measured: {VIEWING_MEASURED}")
    print(f"mastery rule: {model.calibration_.summary()}")
    return 0


def _json_number(value):
    """numpy scalars as plain numbers in the json output."""
    try:
        return value.item()
    except AttributeError:
        raise TypeError(f"not JSON serialisable: {type(value).__name__}") from None


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
