"""When has the viewing colony earned the right to suggest? Deferral rules measured in closed loop (issue 16).

Run from the repository root::

    .venv/bin/python benchmarks/bench_viewing_defer.py [--seeds 500 501 502] [--rules today arc3 ...]
        [--graph random|junyi|wide|chain] [--learner bkt|first_success|soft_gate|forgetting]
        [--populations browse|unstructured|fast_slow|wandering] [--dropout X] [--items N] [--csv FILE]
    .venv/bin/python benchmarks/bench_viewing_defer.py --from-csv benchmarks/results/viewing_defer_family.csv

On viewing-only courses the colony's suggestions (:class:`poem.simulation.viewing.ViewingColonyPolicy`)
end above no guidance in the last cohort, but the *first* guided cohort (a colony fitted on one unguided
cohort) was below it on five of six seeds. Today's policy defers (no suggestion, the learner chooses) when
the best candidate's predicted success is below the log's success share (the reader's ``floor``). Each
rule below adds a condition to that one; every rule runs on the same courses and learners as no guidance
and today's policy (:func:`poem.simulation.closed_loop.closed_loop`, same harness as ``bench_viewing.py``'s
closed-loop table: 60 random items, 8 cohorts of 200, seed ``s`` for course and learners).

Rules (``name``: the suggestion is made only when ...):

- ``today``: predicted success >= floor;
- ``arcN``: and at least N learners travelled the arc from the learner's current item to it (its
  ``support``);
- ``itemN``: and the candidate has at least N evidence events in the log;
- ``betaQ_arc`` / ``betaQ_item``: and the Q-quantile of Beta(p n + 1, (1 - p) n + 1) clears the floor,
  p the predicted success, n the arc support / the candidate's evidence count (the predicted success is
  worth n observations at most);
- ``own``: predicted success >= the success share of the log's evidence events made at the learner's
  progress (number of videos read as understood so far, binned): what the learner's own next choice
  gives at that stage, estimated from the log (instead of the whole log's share).

Scenarios (the defaults are the course the rules were chosen on; the others check that the default holds
across the family of :mod:`poem.simulation.family`, never tuned on one):

- ``--graph``: ``random`` (default, :func:`~poem.simulation.course.make_course`'s random prerequisite DAG
  from ``seed``), or a graph of the closed-loop family built as
  :meth:`poem.simulation.family.Scenario.course` builds it: ``junyi`` (the first ``--items`` items of a
  random topological order of the Junyi Academy graph), ``wide`` (three layers, each item needing one or
  two of the layer before), ``chain`` (one long chain);
- ``--learner``: the hidden learner model (:class:`~poem.simulation.learners.LearnerModel`), as the family
  sets it: ``bkt`` (default), ``first_success`` (mastery at the first success, no guess, no slip),
  ``soft_gate`` (logistic gate in the share of prerequisites mastered), ``forgetting`` (BKT, each mastered
  item lost with probability 0.002 per step);
- ``--populations``: ``browse`` (default: learners browse near a partly wrong syllabus), ``unstructured``
  (the same populations on a platform that shows no order, the "no structure" course of
  ``bench_viewing.py``), ``fast_slow`` (fast and slow learners mixed, no structure shown), ``wandering``
  (the family's behaviour: no structure shown, every population's sense of readiness ``insight`` = 1);
- ``--dropout``: multiplier of the dropout hazards (default 1 as the runs the rules were chosen on; the
  family's scenarios use 0).

``arc3`` (chosen on seeds 500-502, checked unchanged on 503-511 and on 40-, 100- and 180-item courses) is
the viewing policy's default since (:data:`poem.colony.viewing_history.SUPPORT_MIN`). Run unchanged on the
family's graphs, learner models and the no-structure course, its first guided cohort stays at or above no
guidance except on a chain browsed along a nearly right syllabus, where it is slightly below (no support
minimum measured holds everywhere). The runs and their commands are in
``benchmarks/results/viewing_defer.md`` (written by hand from this script's output), the family runs'
per-cohort rows in ``benchmarks/results/viewing_defer_family.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from poem.simulation.closed_loop import closed_loop  # noqa: E402
from poem.simulation.course import make_course  # noqa: E402
from poem.simulation.family import Scenario, scenario  # noqa: E402
from poem.simulation.learners import DEFAULT_POPULATIONS, FAST_SLOW, unstructured  # noqa: E402
from poem.simulation.viewing import ViewingColonyPolicy, video_lengths  # noqa: E402

#: progress bins (videos read as understood so far) of the ``own`` rule
PROGRESS_EDGES = (1, 3, 6, 11, 21)

GRAPHS = ("random", "junyi", "wide", "chain")
#: learner models as the closed-loop family sets them: its scenario of that name (model, guess and slip ranges)
LEARNERS = {name: scenario(name) for name in ("bkt", "first_success", "soft_gate", "forgetting")}
POPULATIONS = {"browse": DEFAULT_POPULATIONS, "unstructured": unstructured(), "fast_slow": FAST_SLOW,
               # the family's "wandering" behaviour: no order shown and a moderate sense of readiness
               "wandering": unstructured(insight=1.0)}


def build_course(seed: int, n_items: int, graph: str = "random", learner: str = "bkt"):
    """The scenario's course: the random DAG of ``make_course`` from ``seed`` (the course the rules were
    chosen on), or a family graph (:meth:`poem.simulation.family.Scenario.course`), with the learner
    model's guess and slip ranges."""
    guess, slip = LEARNERS[learner].guess, LEARNERS[learner].slip
    if graph == "random":
        return make_course(n_items, rng=np.random.default_rng(seed), guess=guess, slip=slip)
    return Scenario(f"{graph}-{learner}", graph=graph, n_items=n_items, guess=guess, slip=slip).course(seed)


class GatedPolicy(ViewingColonyPolicy):
    """The viewing policy with one more condition on a suggestion (see the module docstring)."""

    def __init__(self, catalog, seed, rule):
        super().__init__(catalog, seed=seed)
        self.rule = rule
        self.asked = 0
        self.made = 0

    def _fit(self, frame):
        super()._fit(frame)
        m = self.model
        self._attempts = np.asarray(m.item_attempts_, dtype=float)
        self._code = {str(x): j for j, x in enumerate(m.items_)}
        if self.rule == "own":
            ev = m.viewing_
            data = pd.concat(self._frames, ignore_index=True) if len(self._frames) > 1 else frame
            tr = self._traces(data)
            score = np.asarray(ev.score, dtype=float)
            learner = np.asarray(tr.learner)
            landed = np.nan_to_num(score) >= 0.5
            # landings of the same learner strictly before each event (events are in trail order)
            cum = pd.Series(landed.astype(int)).groupby(learner).cumsum().to_numpy() - landed
            b = np.searchsorted(PROGRESS_EDGES, cum, side="right")
            has = ~np.isnan(score)
            n_bins = len(PROGRESS_EDGES) + 1
            tot = np.bincount(b[has], weights=score[has], minlength=n_bins)
            cnt = np.bincount(b[has], minlength=n_bins)
            self._own = np.where(cnt > 0, tot / np.maximum(cnt, 1), self.reader.floor)

    def _allow(self, r, best) -> bool:
        floor = self.reader.floor
        p = best.predicted_success
        rule = self.rule
        if rule == "own":
            b = int(np.searchsorted(PROGRESS_EDGES, int(self._completed[r].sum()), side="right"))
            return p >= self._own[b]
        if p < floor:
            return False
        if rule == "today":
            return True
        j = self._code[str(best.item)]
        if rule.startswith("arc"):
            return best.support >= int(rule[3:])
        if rule.startswith("item"):
            return self._attempts[j] >= int(rule[4:])
        if rule.startswith("beta"):
            q, kind = rule[4:].split("_")
            n = best.support if kind == "arc" else self._attempts[j]
            return beta_dist.ppf(float(q), p * n + 1, (1 - p) * n + 1) >= floor
        raise ValueError(rule)

    def recommend(self, state, rows, rng):
        if self.reader is None:
            return super().recommend(state, rows, rng)
        out = np.full(len(rows), -1, dtype=np.int64)
        for k, r in enumerate(rows.tolist()):
            hist = self._from_course[self._items[r]].tolist() if self._items[r] else []
            got = self.model.suggest(hist, self._scores[r], k=1, operator=self.operator, rng=rng)
            self.asked += 1
            if got and self._allow(r, got[0]):
                self.made += 1
                out[k] = self.course.code(got[0].item)
        return out


def run(seed: int, rules, n_items=60, n_cohorts=8, cohort_size=200, graph="random", learner="bkt",
        populations="browse", dropout=1.0) -> list:
    course = build_course(seed, n_items, graph, learner)
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                            "length": video_lengths(course.n_items, np.random.default_rng([seed, 18]))})
    size = dict(n_cohorts=n_cohorts, cohort_size=cohort_size, seed=seed)
    if learner != "bkt":   # the default (None) is BKT with a hard gate: the call stays the one chosen on
        size["learner_model"] = LEARNERS[learner].model
    if populations != "browse":
        size["populations"] = POPULATIONS[populations]
    if dropout != 1.0:
        size["dropout"] = dropout
    rows = []
    none = closed_loop(course, "none", **size).sort_values("cohort")
    rows.append({"seed": seed, "rule": "none", **{f"c{c}": v for c, v in enumerate(none["NRP"])},
                 "made": 0.0})
    for rule in rules:
        t = time.time()
        pol = GatedPolicy(catalog, seed, rule)
        tab = closed_loop(course, pol, **size).sort_values("cohort")
        rows.append({"seed": seed, "rule": rule, **{f"c{c}": v for c, v in enumerate(tab["NRP"])},
                     "made": pol.made / max(pol.asked, 1), "followed1": tab["followed"].iloc[1]})
        print(f"  seed {seed} {rule}: {time.time() - t:.0f}s", file=sys.stderr, flush=True)
    return rows


def report(frame: pd.DataFrame, header: str) -> None:
    """Print the per-seed table and the per-rule summary of a run (the rows of :func:`run`)."""
    cols = [c for c in frame.columns if c.startswith("c")]
    frame["mean guided"] = frame[cols[1:]].mean(axis=1)
    none = frame[frame["rule"] == "none"].set_index("seed")
    frame["first - none"] = frame["c1"] - frame["seed"].map(none["c1"])
    frame["last - none"] = frame[cols[-1]] - frame["seed"].map(none[cols[-1]])
    frame["mean - none"] = frame["mean guided"] - frame["seed"].map(none["mean guided"])
    show = ["seed", "rule", "c1", cols[-1], "mean guided", "first - none", "last - none", "mean - none", "made"]
    print(frame[show].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    summary = frame.groupby("rule", sort=False).agg(
        first_minus_none=("first - none", "mean"), first_below=("first - none", lambda x: int((x < 0).sum())),
        last_minus_none=("last - none", "mean"), last_below=("last - none", lambda x: int((x < 0).sum())),
        mean_minus_none=("mean - none", "mean"), made=("made", "mean"))
    # seed-to-seed spread of the paired differences (one cohort of 200 moves by 0.01-0.02 on its own)
    sem = lambda x: float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")  # noqa: E731
    summary.insert(1, "first_se", frame.groupby("rule", sort=False)["first - none"].agg(sem))
    if "today" in set(frame["rule"]):
        # the other half of the question: is the last cohort below the floor alone's (the policy before)
        # on the same learners?
        today = frame[frame["rule"] == "today"].set_index("seed")
        gap = frame[cols[-1]] - frame["seed"].map(today[cols[-1]])
        by_rule = gap.groupby(frame["rule"], sort=False)
        summary["last_minus_today"] = by_rule.mean()
        summary["last_today_se"] = by_rule.agg(sem)
        summary["last_below_today"] = by_rule.apply(lambda x: int((x < 0).sum()))
    print(header)
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[500, 501, 502])
    parser.add_argument("--rules", nargs="+", default=["today", "arc3", "arc10", "item100", "beta0.2_arc",
                                                        "beta0.1_arc", "beta0.2_item", "own"])
    parser.add_argument("--items", type=int, default=60, help="items per course")
    parser.add_argument("--graph", choices=GRAPHS, default="random", help="prerequisite graph (module docstring)")
    parser.add_argument("--learner", choices=tuple(LEARNERS), default="bkt", help="hidden learner model")
    parser.add_argument("--populations", choices=tuple(POPULATIONS), default="browse",
                        help="unguided learners' behaviour (unstructured: the course shows no order)")
    parser.add_argument("--dropout", type=float, default=1.0,
                        help="multiplier of the dropout hazards (the family's scenarios: 0)")
    parser.add_argument("--csv", default=None, help="also write the per-cohort table as CSV to this path")
    parser.add_argument("--from-csv", default=None,
                        help="run nothing: print the tables of a run from the CSV its --csv wrote (per "
                             "scenario if the file has a scenario column)")
    args = parser.parse_args(argv)
    if args.from_csv:
        table = pd.read_csv(args.from_csv)
        # a file of several runs (results/viewing_defer_family.csv) names each run's scenario
        groups = table.groupby("scenario", sort=False) if "scenario" in table else [(Path(args.from_csv).name, table)]
        for name, frame in groups:
            seeds = " ".join(map(str, sorted(set(frame["seed"]))))
            report(frame.drop(columns="scenario", errors="ignore").reset_index(drop=True), f"{name}, seeds {seeds}")
            print()
        return 0
    rows = []
    for s in args.seeds:
        rows += run(s, args.rules, n_items=args.items, graph=args.graph, learner=args.learner,
                    populations=args.populations, dropout=args.dropout)
        if args.csv:   # written after every seed: a long run interrupted keeps what it measured
            pd.DataFrame(rows).to_csv(args.csv, index=False)
    frame = pd.DataFrame(rows)
    header = (f"graph {args.graph}, learner {args.learner}, populations {args.populations}, "
              f"dropout {args.dropout}, {args.items} items, seeds {' '.join(map(str, args.seeds))}")
    report(frame, header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
