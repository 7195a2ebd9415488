"""Viewing-only (and mixed) courses: what a video platform logs of the simulated learners.

The seed's course is a set of videos and no quiz. :func:`simulate_viewing` runs the ordinary simulator
(:func:`~poem.simulation.open_loop.simulate_course`: hidden prerequisites, BKT-like mastery, wandering
learners) and replaces each attempt's quiz score by what a player logs: the seconds watched. Watching
depends on the hidden readiness of the learner at that visit:

* a visit during which the video **lands** (the learner masters it there) is watched to about the end:
  the share is the video's own completion level (lower for long videos: people leave a 25-minute lecture
  before its credits) minus a little; sometimes the learner seeks back to re-watch a passage (share above
  1), sometimes skips ahead through parts they follow easily;
* a visit that **does not land** (prerequisites missing, or not learned this time) is abandoned early
  with probability ``abandon`` (default 0.6), else watched through without understanding, with more
  seeking back; the learner's own sense of failure (the quiz outcome of the ordinary simulator, with its
  guesses and slips) drives whether they come back, as in the scored simulation;
* a visit to a video **already understood** (a review, or prior knowledge) is skimmed with probability
  ``skim`` (default 0.5: partial viewing of easy material, skipping ahead) and otherwise watched through;
* any visit is a **background tab** with probability ``background`` (default 0.03): the player ran while
  nobody watched, and the counted time is several times the length.

**Held-out watching behaviours** (each off by default; the viewing mapping was not designed on them, and
``benchmarks/bench_viewing_heldout.py`` measures it under them). They are drawn from a random stream of
their own, after everything above, so that with all of them off the log is the same draw for draw:

* ``fast_learners``: the share of learners who watch at a playback speed drawn once per learner, uniform
  in 1.25x to 2x. The platform logs wall-clock seconds, so every visit they make logs the content seconds
  over the speed: a complete view looks like a visit stopped at 50 to 80 % of the length;
* ``pauses``: the probability that a visit includes pauses (note taking, an interruption) the wall clock
  counts: ``pause_scale`` times the length times a heavy-tailed (Lomax, shape 1.5) draw is added to the
  seconds watched (the draw's median is 0.59, a tenth of the draws are above 3.6): an abandoned
  visit may look complete, a complete one sought back or a background tab;
* ``skimmers``: the share of learners who scrub through every visit of a video they already know
  (prior knowledge or a review), logging 2 to 15 % of its length whatever ``skim`` says.

Background tabs keep their seconds under every held-out behaviour.

Lengths are log-normal around 8 minutes (2 to 30 minutes). The events, the course and the truth are the
same as the scored simulation's (:attr:`ViewingCourse.scored`), so a benchmark compares the colony on the
viewing log with the colony on the same course's quiz scores. With ``mixed=True`` every fourth item of the
catalogue is a quiz that keeps its score and the other items are videos.

Examples
--------
>>> vc = simulate_viewing(n_items=12, n_learners=40, seed=1)
>>> list(vc.traces.columns), list(vc.catalog.columns)
(['learner', 'item', 'timestamp', 'duration'], ['item', 'title', 'kind', 'length'])
>>> bool(vc.traces["duration"].ge(0).all()), set(vc.catalog["kind"])
(True, {'video'})
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.simulation.learners import unstructured
from poem.simulation.open_loop import SimulatedCourse, simulate_course
from poem.simulation.policies import ColonyPolicy

__all__ = ["ViewingCourse", "simulate_viewing", "WATCHING_DEFAULTS", "HELD_OUT", "FAST_SPEEDS", "held_out_shares",
           "path_by_learners", "watched_shares",
           "video_lengths", "ViewingColonyPolicy", "viewing_closed_loop"]

#: the watching behaviour's parameters (see the module docstring)
WATCHING_DEFAULTS = dict(abandon=0.6, skim=0.5, background=0.03, seek_back=0.15, seek_back_lost=0.4,
                         skip_ahead=0.1, median_length=480.0, fast_learners=0.0, pauses=0.0, pause_scale=0.3,
                         skimmers=0.0)
#: the held-out behaviours of :data:`WATCHING_DEFAULTS` (off at 0; see the module docstring)
HELD_OUT = ("fast_learners", "pauses", "skimmers")
#: playback speeds of the ``fast_learners`` (uniform between the two)
FAST_SPEEDS = (1.25, 2.0)
#: a share above this is a background tab left open (:func:`watched_shares` draws them at 3.2 and more)
_TAB_SHARE = 3.0


@dataclass(eq=False)
class ViewingCourse:
    """The result of :func:`simulate_viewing`.

    Attributes
    ----------
    traces : DataFrame
        ``learner, item, timestamp, duration`` (seconds watched), plus ``score`` on quiz items when mixed.
    catalog : DataFrame
        ``item, title, kind, length`` (seconds; NaN for quizzes), in a shuffled order: no structure.
    truth : dict
        ``items``, ``true_order``, ``prerequisites`` (as the benchmark's ``truth.json``).
    scored : SimulatedCourse
        The same events with their quiz scores and hidden columns (``share`` added to its ``events``).
    """

    traces: pd.DataFrame
    catalog: pd.DataFrame
    truth: dict
    scored: SimulatedCourse

    def to_traces(self):
        """The viewing log as canonical :class:`~poem.traces.Traces` with the catalogue as ``item_info``."""
        from poem.traces import Traces

        return Traces.from_frame(self.traces, items=self.scored.course.items,
                                 item_info=self.catalog.set_index("item"))

    def write(self, directory) -> Path:
        """Write ``traces.csv`` (rows in time order per learner), ``catalog.csv`` and ``truth.json``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        frame = self.traces.copy()
        frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S+00:00")
        frame["duration"] = frame["duration"].round().astype("Int64")  # whole seconds, blank for quizzes
        frame.to_csv(out / "traces.csv", index=False)
        catalog = self.catalog.copy()
        catalog["length"] = catalog["length"].round().astype("Int64")
        catalog.to_csv(out / "catalog.csv", index=False)
        (out / "truth.json").write_text(json.dumps(self.truth))
        return out


def simulate_viewing(n_items: int | None = 180, n_learners: int = 1000, seed: int = 0, graph=None, *,
                     mixed: bool = False, populations=None, watching: dict | None = None,
                     **options) -> ViewingCourse:
    """Simulate a course and log it as a video platform does (see the module docstring).

    Parameters
    ----------
    n_items, n_learners, seed, graph
        As :func:`~poem.simulation.open_loop.simulate_course`.
    mixed : bool
        Every fourth catalogue item is a quiz keeping its score; the others are videos.
    populations : sequence of Population, optional
        Default: the default populations on a platform showing no structure
        (:func:`~poem.simulation.learners.unstructured`), the seed's 180 videos without structure.
    watching : dict, optional
        Overrides of :data:`WATCHING_DEFAULTS`.
    **options
        Passed to :func:`~poem.simulation.open_loop.simulate_course`.

    Examples
    --------
    >>> a = simulate_viewing(n_items=8, n_learners=20, seed=4, mixed=True)
    >>> b = simulate_viewing(n_items=8, n_learners=20, seed=4, mixed=True)
    >>> a.traces.equals(b.traces), sorted(set(a.catalog["kind"]))
    (True, ['quiz', 'video'])
    """
    w = _check_watching(watching)
    sim = simulate_course(n_items=n_items, n_learners=n_learners, seed=seed, graph=graph,
                          populations=unstructured() if populations is None else populations, **options)
    course = sim.course
    rng = np.random.default_rng([int(seed), 16])
    n = course.n_items
    length = video_lengths(n, rng, w["median_length"])
    order = rng.permutation(n)
    kind = np.where((np.arange(n) % 4 == 3) & mixed, "quiz", "video").astype(object)
    catalog = pd.DataFrame({"item": course.items[order].astype(object),
                            "title": [f"Video {k + 1}" for k in range(n)],
                            "kind": kind, "length": length[order]})
    catalog.loc[catalog["kind"] == "quiz", "title"] = [f"Quiz {k + 1}" for k in
                                                       range(int((catalog["kind"] == "quiz").sum()))]
    catalog.loc[catalog["kind"] == "quiz", "length"] = np.nan
    events = sim.events
    j = course.codes(events["item"])
    share = watched_shares(events["before"].to_numpy(), events["after"].to_numpy(), length[j], rng, w)
    if any(w[name] > 0 for name in HELD_OUT):
        # a stream of their own: with the held-out behaviours off, every draw above is unchanged
        share = held_out_shares(share, events["learner"].to_numpy(), events["before"].to_numpy(),
                                np.random.default_rng([int(seed), 16, 1]), w)
    duration = np.round(share * length[j])
    events["share"] = duration / length[j]
    traces = pd.DataFrame({"learner": events["learner"].to_numpy(), "item": events["item"].to_numpy(),
                           "timestamp": events["timestamp"].to_numpy(), "duration": duration})
    traces["timestamp"] = events["timestamp"]
    if mixed:
        quiz = np.isin(events["item"].to_numpy(), catalog.loc[catalog["kind"] == "quiz", "item"].to_numpy())
        traces["score"] = np.where(quiz, events["score"].to_numpy(), np.nan)
        traces.loc[quiz, "duration"] = np.nan
    return ViewingCourse(traces=traces, catalog=catalog, truth=sim.truth, scored=sim)


def _check_watching(watching) -> dict:
    w = {**WATCHING_DEFAULTS, **(watching or {})}
    unknown = sorted(set(w) - set(WATCHING_DEFAULTS))
    if unknown:
        raise ParameterError(f"unknown watching parameter(s) {unknown}; valid: {sorted(WATCHING_DEFAULTS)}")
    for name in ("abandon", "skim", "background", "seek_back", "seek_back_lost", "skip_ahead", *HELD_OUT):
        if not 0 <= w[name] <= 1:
            raise ParameterError(f"watching {name} must be a probability in [0, 1], got {w[name]!r}")
    if not w["pause_scale"] > 0:
        raise ParameterError(f"watching pause_scale must be > 0 (a share of the length), got {w['pause_scale']!r}")
    if not w["median_length"] > 0:
        raise ParameterError(f"watching median_length must be > 0 seconds, got {w['median_length']!r}")
    return w


def video_lengths(n: int, rng: np.random.Generator, median: float = 480.0) -> np.ndarray:
    """``n`` video lengths in whole seconds, log-normal around ``median``, within 2 to 30 minutes."""
    return np.clip(np.round(median * np.exp(0.55 * rng.standard_normal(n))), 120, 1800)


def watched_shares(before, after, length, rng: np.random.Generator, watching: dict | None = None) -> np.ndarray:
    """The share of the video watched at each visit, from the learner's hidden state of the item before and
    after the visit (see the module docstring); ``length`` is the visited video's length per visit.

    >>> rng = np.random.default_rng(0)
    >>> s = watched_shares(np.zeros(4000, bool), np.r_[np.ones(2000, bool), np.zeros(2000, bool)],
    ...                    np.full(4000, 300.0), rng)
    >>> bool(np.median(s[:2000]) > 0.8 > 0.5 > np.median(s[2000:]))
    True
    """
    w = _check_watching(watching)
    before = np.asarray(before, dtype=bool)
    after = np.asarray(after, dtype=bool)
    length = np.asarray(length, dtype=float)
    m = len(before)
    # the share at which people stop a video they followed: near 1 for short ones, lower for long lectures
    level = 0.97 - 0.22 * (length - 120) / (1800 - 120)
    landed = after & ~before
    lost = ~after
    u = rng.random((6, m))
    full = level - np.abs(rng.normal(0.0, 0.04, m))
    share = full.copy()
    # understood during the visit: skip ahead a little, or seek back to re-watch a passage
    skip = landed & (u[0] < w["skip_ahead"])
    share[skip] = full[skip] * rng.uniform(0.65, 0.9, int(skip.sum()))
    back = (landed & (u[1] < w["seek_back"])) | (lost & (u[1] < w["seek_back_lost"]))
    share[back] = full[back] + rng.uniform(0.15, 0.6, int(back.sum()))
    # did not land: mostly abandoned early, else watched through without understanding
    quit_ = lost & (u[2] < w["abandon"])
    share[quit_] = full[quit_] * rng.beta(1.2, 3.5, int(quit_.sum()))
    # already understood: skimmed (partial viewing of easy material) or watched through again
    skim = before & (u[3] < w["skim"])
    share[skim] = full[skim] * rng.uniform(0.05, 0.7, int(skim.sum()))
    tab = u[4] < w["background"]
    share[tab] = rng.uniform(3.2, 12.0, int(tab.sum()))
    return np.maximum(share, 0.0)


def _learner_speeds(n: int, fast_share: float, rng: np.random.Generator) -> np.ndarray:
    """The playback speed of ``n`` learners: a ``fast_share`` of them fast, at a speed uniform in
    :data:`FAST_SPEEDS`, the others at 1 (both draws made for every learner, used or not)."""
    fast = rng.random(n) < fast_share
    return np.where(fast, rng.uniform(*FAST_SPEEDS, n), 1.0)


def _on_the_clock(share, speed) -> np.ndarray:
    """The shares as a player logging wall-clock seconds logs them at ``speed``: divided by it, except
    background tabs (shares above 3, which :func:`watched_shares` draws at 3.2 and more), whose seconds are
    the tab's, not the video's."""
    return np.where(share > _TAB_SHARE, share, share / speed)


def held_out_shares(share, learner, before, rng: np.random.Generator, watching: dict) -> np.ndarray:
    """The shares :func:`watched_shares` drew, as the wall clock logs them under the held-out behaviours of
    ``watching`` (``fast_learners``, ``pauses``, ``skimmers``; see the module docstring). ``learner`` and
    ``before`` (the learner knew the video before the visit) are per visit; background tabs (shares above 3:
    :func:`watched_shares` draws them at 3.2 and more, every other visit below 1.6) keep their seconds.

    >>> rng = np.random.default_rng(0)
    >>> s = held_out_shares(np.full(4, 0.9), np.array(["a", "a", "b", "b"]), np.zeros(4, bool), rng,
    ...                     {"fast_learners": 1.0, "pauses": 0.0, "pause_scale": 0.3, "skimmers": 0.0})
    >>> bool(s[0] == s[1]) and bool(0.45 <= s.min() and s.max() <= 0.72)   # one speed per learner
    True
    """
    w = _check_watching(watching)
    share = np.asarray(share, dtype=float).copy()
    before = np.asarray(before, dtype=bool)
    who, code = np.unique(np.asarray(learner), return_inverse=True)
    # per-learner draws first, in the sorted order of the learners, each whether or not it is used
    speed = _learner_speeds(len(who), w["fast_learners"], rng)
    skimmer = rng.random(len(who)) < w["skimmers"]
    m = len(share)
    u, scrub = rng.random(m), rng.uniform(0.02, 0.15, m)
    extra = w["pause_scale"] * rng.pareto(1.5, m)
    tab = share > _TAB_SHARE
    known = skimmer[code] & before & ~tab
    share[known] = scrub[known]
    share = _on_the_clock(share, speed[code])
    paused = (u < w["pauses"]) & ~tab
    share[paused] += extra[paused]
    return share


def path_by_learners(traces, truth, sizes, *, catalog=None, seed: int = 0, viewing=None) -> pd.DataFrame:
    """The path emerging as learners accumulate: the viewing colony fitted on the first ``n`` learners (by
    arrival) for each ``n`` of ``sizes``, its LOP path's prerequisite respect against ``truth``, beside the
    score-free baselines (popularity, mean first-view rank) on the same learners.

    One row per size: ``learners``, ``events``, ``colony``, ``popularity``, ``first_view_rank``.

    >>> vc = simulate_viewing(n_items=10, n_learners=60, seed=3)
    >>> table = path_by_learners(vc.to_traces(), vc.truth, [20, 60])
    >>> table["learners"].tolist(), list(table.columns)
    ([20, 60], ['learners', 'events', 'colony', 'popularity', 'first_view_rank'])
    """
    from poem.antcolony import ManHill
    from poem.ordering.baselines import baseline_path
    from poem.ordering.evaluation import evaluate
    from poem.paths import learning_path

    arrival = np.full(traces.n_learners, np.iinfo(np.int64).max)
    np.minimum.at(arrival, traces.learner, traces.timestamp)
    order = np.argsort(arrival, kind="stable")
    rows = []
    for n in sizes:
        if int(n) != n or n < 1:
            raise ParameterError(f"sizes must be positive integers, got {n!r}")
        mask = np.zeros(traces.n_learners, dtype=bool)
        mask[order[:int(n)]] = True
        sub = traces.select_learners(mask)
        model = ManHill().fit(sub, catalog=catalog, viewing=True if viewing is None else viewing)
        row = {"learners": int(mask.sum()), "events": sub.n_events,
               "colony": evaluate(learning_path(model, rng=seed), truth)["respect"]}
        for name in ("popularity", "first_view_rank"):
            row[name] = evaluate(baseline_path(sub, name, rng=seed), truth)["respect"]
        rows.append(row)
    return pd.DataFrame(rows, columns=["learners", "events", "colony", "popularity", "first_view_rank"])


class ViewingColonyPolicy(ColonyPolicy):
    """The colony policy on a video platform: it sees seconds watched, never a score.

    Each visit of a guided cohort is logged as a viewing (:func:`watched_shares` from the learner's hidden
    state before and after the visit). Between cohorts the colony is refitted on every cohort's viewing
    log with the catalogue (:mod:`poem.colony.viewing`) and ``mastery_successes=1`` (one landed view is
    all the evidence a video gives). Each learner's own history is read for ``suggest`` by
    :class:`~poem.colony.viewing_history.HistoryReader` learned from the same log: 0 below the video's
    completion threshold (0.8 before any fit), 1 at the first complete view in a share bin whose later
    success looks like understanding, 0 at a complete view in a doubtful bin, nothing after the video was
    understood (reviews) nor for a background tab; and with ``floor`` a suggestion whose predicted
    success is below the log's success rate of the evidence, or on an arc fewer than ``defer`` learners
    of the log travelled, is not made (the learner chooses; :meth:`HistoryReader.withholds
    <poem.colony.viewing_history.HistoryReader.withholds>`).

    Parameters
    ----------
    catalog : DataFrame
        ``item, kind, length`` of the course's videos.
    seed : int
        Seed of the watching draws.
    watching : dict, optional
        Overrides of :data:`WATCHING_DEFAULTS`. Of the held-out behaviours only ``fast_learners`` is
        simulated here: that share of each cohort's learners watches at a speed uniform in
        :data:`FAST_SPEEDS`, drawn once per learner from a random stream of its own (so with it off every
        draw is unchanged), and the log holds their wall-clock seconds (the content seconds over the
        speed; background tabs keep theirs), as :func:`held_out_shares` logs them.
    floor : bool
        Make no suggestion below the reader's floor (:attr:`HistoryReader.floor
        <poem.colony.viewing_history.HistoryReader.floor>`) nor on an arc fewer than ``defer`` learners
        travelled (default with ``floor``: :data:`~poem.colony.viewing_history.SUPPORT_MIN`); False
        suggests always (the policy before).
    reader : bool
        Read the history with the learned :class:`~poem.colony.viewing_history.HistoryReader`; False
        trusts every complete view (the policy before).
    pace : bool
        Read each learner's history at their own watching pace, learned from their visits so far against
        what the fit learned (:meth:`HistoryReader.pace <poem.colony.viewing_history.HistoryReader.pace>`,
        re-estimated at every visit over the whole history, the earlier visits re-read when it changes:
        what ``poem suggest --watched`` reads from the same seconds); False reads at 1x (the policy before).
    **options
        As :class:`~poem.simulation.policies.ColonyPolicy` (``update`` is always a refit).
    """

    name = "colony-viewing"

    def __init__(self, catalog: pd.DataFrame, seed: int = 0, watching: dict | None = None, *, floor: bool = True,
                 reader: bool = True, pace: bool = True, **options):
        options["update"] = "refit"
        if floor:
            # a step too few learners of the log took is not suggested (HistoryReader.withholds)
            from poem.colony.viewing_history import SUPPORT_MIN

            options.setdefault("defer", SUPPORT_MIN)
        # one landed view is the whole evidence a video gives (later visits are reviews): mastered at once
        options["params"] = {"mastery_successes": 1, **(options.get("params") or {})}
        super().__init__(**options)
        if floor and self.rerank is not None:
            raise ParameterError("ViewingColonyPolicy: floor takes suggest's best item; pass floor=False to rerank")
        self.catalog = catalog
        self.watching = _check_watching(watching)
        held = [name for name in HELD_OUT if self.watching[name] > 0 and name != "fast_learners"]
        if held:
            # the closed loop draws each visit as it happens (watched_shares); only the fast learners, a trait
            # drawn once per learner, are simulated here
            raise ParameterError(f"ViewingColonyPolicy: the held-out watching behaviours {held} are only "
                                 "simulated by simulate_viewing")
        self._rng = np.random.default_rng([int(seed), 17])
        # the fast learners' own stream: with none, every draw of the watching stream above is unchanged
        self._speed_rng = np.random.default_rng([int(seed), 17, 1])
        self.floor = bool(floor)
        self.use_reader = bool(reader)
        self.use_pace = bool(pace)
        self.reader = None

    def start_cohort(self, course, state):
        lengths = self.catalog.set_index("item")["length"].astype(float)
        self._length = lengths.reindex(course.items.astype(str)).to_numpy()
        if np.isnan(self._length).any():
            raise ParameterError("ViewingColonyPolicy: the catalogue needs a length for every item of the course")
        self._threshold = np.full(course.n_items, 0.8)
        super().start_cohort(course, state)
        self._state = state
        self._known = state.mastered.copy()
        self._completed = np.zeros_like(state.mastered)
        self._durations = []
        n = state.n_learners
        self._speed = np.ones(n)
        if self.watching["fast_learners"] > 0:
            self._speed = _learner_speeds(n, self.watching["fast_learners"], self._speed_rng)
        # each learner's visits read so far (colony codes, logged shares) and the pace they were read at
        self._seen_codes = np.zeros((n, 16), dtype=np.int64)
        self._seen_shares = np.full((n, 16), np.nan)
        self._n_seen = np.zeros(n, dtype=np.int64)
        self._pace = np.ones(n)

    def observe(self, rows, items, scores):
        before = self._known[rows, items]
        after = self._state.mastered[rows, items]
        self._known[rows, items] = after
        share = watched_shares(before, after, self._length[items], self._rng, self.watching)
        share = _on_the_clock(share, self._speed[rows])   # what the wall clock logs of a fast learner
        self._durations.append(np.round(share * self._length[items]))
        redo = []
        if self.reader is not None:
            codes = self._from_course[items]
            pace = np.ones(len(rows))
            if self.use_pace and self.reader.pace_prior is not None:
                pace, redo = self._paced(rows, codes, share)
            seen, landed = self.reader.read_visits(codes, share * pace, self._completed[rows, items])
        else:  # before any fit, or without the learned reader: every complete view is understood
            from poem.colony.viewing_history import HistoryReader

            seen, landed = HistoryReader.trusting(self._threshold).read_visits(items, share,
                                                                               self._completed[rows, items])
        self._completed[rows, items] |= landed
        super().observe(rows, items, seen)
        for r in redo:
            # the pace changed: the whole history is read again at it, as ``poem suggest --watched`` reads it
            k = self._n_seen[r]
            read = self.reader.explain_history(self._seen_codes[r, :k], self._seen_shares[r, :k],
                                               pace=float(self._pace[r]))
            self._scores[r] = [score for score, _ in read]
            self._completed[r] = False
            understood = [c for c, (_, how) in zip(self._seen_codes[r, :k].tolist(), read) if how == "understood"]
            self._completed[r, self._to_course[understood]] = True

    def _paced(self, rows, codes, share):
        """Record the visits of ``rows`` (distinct learners) and re-estimate their paces over their whole
        histories so far (:meth:`HistoryReader.paces`); returns the paces and the rows whose pace changed."""
        if self._n_seen.max() >= self._seen_codes.shape[1]:
            extra = self._seen_codes.shape[1]
            self._seen_codes = np.pad(self._seen_codes, ((0, 0), (0, extra)))
            self._seen_shares = np.pad(self._seen_shares, ((0, 0), (0, extra)), constant_values=np.nan)
        at = self._n_seen[rows]
        self._seen_codes[rows, at] = codes
        self._seen_shares[rows, at] = share
        self._n_seen[rows] += 1
        width = int(self._n_seen[rows].max())
        mask = np.arange(width)[None, :] < self._n_seen[rows][:, None]
        who = np.broadcast_to(np.arange(len(rows))[:, None], mask.shape)[mask]
        # row-major: each learner's visits in their order, as one history is read (the same sums)
        pace = self.reader.paces(self._seen_codes[rows, :width][mask], self._seen_shares[rows, :width][mask], who,
                                 len(rows))
        changed = pace != self._pace[rows]
        self._pace[rows] = pace
        return pace, rows[changed].tolist()

    def _withheld(self, best) -> bool:
        if self.reader is None or not self.floor:
            return super()._withheld(best)
        # below what an average visit of the log gives, or on a step too few learners took, the learner's
        # own choice is trusted (the rule of ``poem suggest --watched``)
        return self.reader.withholds(best, self.defer) is not None

    def _traces(self, frame):
        from poem.traces import Traces

        return Traces.from_frame(frame, items=self.course.items, item_info=self.catalog.set_index("item"))

    def _fit(self, frame):
        from poem.antcolony import ManHill

        self._frames.append(frame)
        data = pd.concat(self._frames, ignore_index=True) if len(self._frames) > 1 else frame
        traces = self._traces(data)
        self.model = ManHill(**self.params).fit(traces, viewing=True)
        self._to_course = self.course.codes(self.model.items_)
        self._from_course = np.empty(self.course.n_items, dtype=np.int64)
        self._from_course[self._to_course] = np.arange(len(self._to_course))
        self._threshold = np.nan_to_num(self.model.viewing_.threshold[self._from_course], nan=0.8)
        if self.use_reader:
            # the reader the fit learned (HistoryReader.from_fit on these traces), the one the colony's
            # file keeps for ``poem suggest --watched``
            self.reader = self.model.history_reader_

    def end_cohort(self, frame):
        durations = np.concatenate(self._durations) if self._durations else np.zeros(0)
        self._fit(frame.drop(columns="score").assign(duration=durations))


def viewing_closed_loop(course, *, n_cohorts: int = 10, cohort_size: int = 200, seed: int = 0,
                        policies=("none", "colony", "colony-viewing"), watching: dict | None = None,
                        **options) -> pd.DataFrame:
    """Closed-loop promotion with a colony that learns from viewing alone, beside unguided learners and a
    colony that reads quiz scores, on the same learners (:func:`~poem.simulation.closed_loop.closed_loop`).
    ``watching`` (overrides of :data:`WATCHING_DEFAULTS`, e.g. ``{"fast_learners": 0.3}``) goes to the
    viewing policy (:class:`ViewingColonyPolicy`); the other policies see no seconds.

    Returns the per-cohort records of every policy, with a ``policy`` column.

    >>> from poem.simulation.course import make_course
    >>> table = viewing_closed_loop(make_course(8, rng=np.random.default_rng(0)), n_cohorts=2, cohort_size=10)
    >>> sorted(set(table["policy"]))
    ['colony', 'colony-viewing', 'none']
    """
    from poem.simulation.closed_loop import closed_loop

    rng = np.random.default_rng([int(seed), 18])
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                            "length": video_lengths(course.n_items, rng)})
    tables = []
    for name in policies:
        policy = ViewingColonyPolicy(catalog, seed=seed, watching=watching) if name == "colony-viewing" else name
        table = closed_loop(course, policy, n_cohorts=n_cohorts, cohort_size=cohort_size, seed=seed, **options)
        tables.append(table.assign(policy=name))
    return pd.concat(tables, ignore_index=True)
