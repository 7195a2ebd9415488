"""The learned watching pace on young courses: how often a small log misreads ordinary learners (issue 16).

Run from the repository root::

    nice -n 10 .venv/bin/python benchmarks/bench_pace_size.py [--quick] [--seeds ...] [--write]

:mod:`poem.colony.pace` learns each learner's watching pace (1x-2.5x) from the viewing log; a log of fewer
than ``min_learn`` (50) learners is read at 1x. The accuracy of the pace was measured on logs of 1 000 to
1 500 learners (``viewing_heldout.md``, ``viewing_pace_loop.md``). Here, for logs of 50 to 1 500 learners
of the same simulator (:func:`poem.simulation.viewing.simulate_viewing`, 120 videos, the default watching
behaviour with 0 % and 30 % fast learners, whose true speeds are drawn as the simulator draws them):

* **at fit time** (the viewing mapping's ``pace``, :attr:`poem.colony.viewing.ViewingEvidence.pace`): the
  share of the 1x learners given a pace (*false pace*), and the share of the fast learners paced within
  0.15x of their speed (*recall*);
* **live** (:meth:`poem.colony.viewing_history.HistoryReader.pace` of the colony fitted on the log): the
  same two shares for 300 held-out learners of the same course, read from their first 2, 5 and 10
  usable visits (what ``poem suggest --watched`` prints);
* **downstream**: the evidence read against the simulator's hidden state (false failures, false successes;
  as ``bench_viewing_heldout.py``) with the default mapping and with ``pace="off"``.

``--write`` writes ``benchmarks/results/pace_size.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_viewing_heldout import evidence_errors, hidden_state  # noqa: E402
import poem.colony.pace as pace_module  # noqa: E402
from poem.antcolony import ManHill  # noqa: E402
from poem.colony.viewing import viewing_evidence  # noqa: E402
from poem.simulation.viewing import FAST_SPEEDS, simulate_viewing  # noqa: E402

#: learners of the log the colony is fitted on
SIZES = (50, 60, 80, 100, 150, 200, 300, 500, 1500)
#: the watching behaviours (overrides of the simulator's watching parameters)
BEHAVIOURS = {"fast 0%": {}, "fast 30%": {"fast_learners": 0.3}}
#: held-out learners read live per log
HELD = 300
#: usable visits after which the live pace is read
LIVE_VISITS = (2, 5, 10)
#: the pace "within" a fast learner's true speed
TOLERANCE = 0.15
#: the pseudo-learners of the pace prior compared (name -> per grid size, the pseudo-counts; None: the default
#: of :mod:`poem.colony.pace`); "half per pace" is the prior before this benchmark
PRIORS = {"one pseudo-learner": None, "half per pace": lambda k: np.full(k, 0.5)}


def true_speeds(vc, seed: int, watching: dict, learners) -> np.ndarray:
    """Per learner of ``learners`` (the traces' learner labels), the speed the simulator drew
    (:func:`poem.simulation.viewing.held_out_shares`: per learner in sorted order, stream (seed, 16, 1))."""
    who = np.unique(vc.traces["learner"].to_numpy())
    speed = np.ones(len(who))
    if watching.get("fast_learners", 0) > 0:
        rng = np.random.default_rng([int(seed), 16, 1])
        fast = rng.random(len(who)) < watching["fast_learners"]
        speed = np.where(fast, rng.uniform(*FAST_SPEEDS, len(who)), 1.0)
    table = dict(zip(who.astype(str), speed))
    return np.array([table[str(u)] for u in learners])


def accuracy(pace: np.ndarray, true: np.ndarray) -> dict:
    fast = true > 1.0
    return {"1x": int((~fast).sum()), "fast": int(fast.sum()),
            "false pace": float((pace[~fast] > 1.0).mean()) if (~fast).any() else np.nan,
            "recall": float((np.abs(pace[fast] - true[fast]) <= TOLERANCE).mean()) if fast.any() else np.nan}


def run_one(n: int, seed: int, behaviour: str, watching: dict, n_items: int, viewing: dict | None = None,
            prior: str = "one pseudo-learner") -> list:
    """The rows of one log of ``n`` learners (fit, then live after each of :data:`LIVE_VISITS`), read with
    the pace prior ``prior`` (a key of :data:`PRIORS`)."""
    default = pace_module._pace_pseudo
    if PRIORS[prior] is not None:
        pace_module._pace_pseudo = PRIORS[prior]
    try:
        return _run_one(n, seed, behaviour, watching, n_items, viewing, prior)
    finally:
        pace_module._pace_pseudo = default


def _run_one(n, seed, behaviour, watching, n_items, viewing, prior) -> list:
    vc = simulate_viewing(n_items=n_items, n_learners=n + HELD, seed=seed, watching=watching)
    traces = vc.to_traces()
    true = true_speeds(vc, seed, watching, traces.learners)
    state = hidden_state(vc, traces)
    # the first n learners by code are the log; the others are read live
    fit_on = np.arange(traces.n_learners) < n
    fit = traces.select_learners(fit_on)
    in_fit = fit_on[traces.learner]
    if fit.n_events != int(in_fit.sum()) or not np.array_equal(fit.item, traces.item[in_fit]):
        raise AssertionError("the fitted log and the selected events are not aligned")
    params = dict(viewing or {})
    ev = viewing_evidence(fit, vc.catalog, **params)
    pace = ev.pace if ev.pace is not None else np.ones(fit.n_learners)
    if fit.n_learners == traces.n_learners:   # the selection keeps every learner's code
        pace = pace[fit_on]
    elif not np.array_equal(fit.learners, traces.learners[fit_on]):
        raise AssertionError("the fitted log's learners are not the first n")
    base = {"prior": prior, "learners": n, "seed": seed, "behaviour": behaviour,
            "pace read": ev.pace_prior is not None}
    rows = [{**base, "reading": "fit", **accuracy(pace, true[fit_on])}]
    errs = evidence_errors(ev, state[in_fit])
    off = evidence_errors(viewing_evidence(fit, vc.catalog, **{**params, "pace": "off"}), state[in_fit])
    rows[0].update({"false failures": errs["false failures"], "false failures off": off["false failures"],
                    "false successes": errs["false successes"],
                    "false successes off": off["false successes"]})
    reader = ManHill().fit(fit, catalog=vc.catalog, viewing=params or None).history_reader_
    share = viewing_evidence(traces, vc.catalog, pace="off").share          # as logged
    held = np.flatnonzero(~fit_on)
    for k in LIVE_VISITS:
        paces, truths = [], []
        for u in held:
            at = np.flatnonzero(traces.learner == u)
            items, sh = traces.item[at], share[at]
            rel = reader.relative_shares(items, sh)
            usable = np.flatnonzero(~np.isnan(rel) & (rel < 3))
            if len(usable) < k:
                continue
            cut = usable[k - 1] + 1
            paces.append(reader.pace(items[:cut], sh[:cut]))
            truths.append(true[u])
        rows.append({**base, "reading": f"live {k}", **accuracy(np.array(paces), np.array(truths))})
    return rows


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    g = table.groupby(["behaviour", "reading", "learners", "prior"], sort=False)
    out = g.agg(**{"seeds": ("seed", "nunique"), "pace read": ("pace read", "mean"),
                   "1x": ("1x", "sum"), "fast": ("fast", "sum"),
                   "false pace": ("false pace", "mean"), "worst false pace": ("false pace", "max"),
                   "recall": ("recall", "mean"), "worst recall": ("recall", "min")}).reset_index()
    fit = table[table["reading"] == "fit"]
    if "false failures" in fit:
        ff = fit.groupby(["behaviour", "learners", "prior"], sort=False)[
            ["false failures", "false failures off", "false successes", "false successes off"]].mean()
        out = out.merge(ff.reset_index().assign(reading="fit"), on=["behaviour", "reading", "learners", "prior"],
                        how="left")
    return out.sort_values(["behaviour", "reading", "learners", "prior"], kind="stable")


#: the seeds the prior was chosen on; the others check it
CHOSEN_ON = (0, 1, 2, 3, 4)


def compact(table: pd.DataFrame) -> pd.DataFrame:
    """False pace and recall by log size (rows) and reading, prior and seed half (columns)."""
    t = table.assign(seeds=np.where(table["seed"].isin(CHOSEN_ON), "chosen on", "check"))
    out = []
    for behaviour, part in t.groupby("behaviour", sort=False):
        for measure in ("false pace", "recall"):
            if part[measure].notna().any():
                p = part.pivot_table(index="learners", columns=["reading", "prior"], values=measure, aggfunc="mean")
                order = ["fit"] + [f"live {k}" for k in LIVE_VISITS]
                p = p[sorted(p.columns, key=lambda c: (order.index(c[0]), c[1] != "half per pace"))]
                p.columns = [f"{r} {'new' if pr == 'one pseudo-learner' else 'old'}" for r, pr in p.columns]
                out.append((f"{behaviour}, {measure}", p))
    return out


NOTES = """## Notes

- Logs: `simulate_viewing(n_items=120, n_learners=n + 300, seed)`, the default watching behaviour, with
  `fast_learners` 0 or 0.3 (speeds uniform in 1.25x-2x, drawn per learner from the simulator's own stream
  (seed, 16, 1), which is how the true speeds are known); the colony and the mapping are fitted on the
  first n learners, the 300 others are read live. Seeds 0-9; the prior was chosen on 0-4 and checked on
  5-9 (second block of tables). "old" is the pace prior before this benchmark (half a pseudo-learner per
  pace of the grid), "new" the one kept (one pseudo-learner in all, half at 1x, half spread over the 30
  faster paces), both in the same run on the same logs.
- False pace: share of the 1x learners given a pace above 1x. Recall: share of the fast learners paced
  within 0.15x of their true speed. Live k: read by `HistoryReader.pace` from the first k usable visits
  (a share below 3 with a level; learners with fewer are left out of that row). Evidence errors at fit
  time as `bench_viewing_heldout.py` (against the simulator's hidden state), default mapping and
  `pace="off"`.

## What was measured

- **Where the 18 % comes from.** It is the closed-loop test of `tests/test_viewing_history.py`
  (`test_viewing_policy_paces_fast_learners_as_the_reader_does`): a course of only 12 videos, the colony
  fitted on one cohort of 60 learners, 30 % of them fast; at the end of the next cohort 8 of its 45 1x
  learners were read at a pace (17.8 %). Over that case's seeds 3-12 (a diagnostic run, not in the
  tables: `ViewingColonyPolicy`, 2 cohorts of 60, the pace of every learner of the second cohort after
  their ~12 visits) the old prior paced 6.1 % of the 1x learners on average (0-17.8 %) with 30 % fast and
  2.2 % (0-6.7 %) with nobody fast; the new one 3.5 % (0-9.5 %) and 0.3 % (0-1.7 %), the fast learners'
  recall within 0.15x 0.899 -> 0.893. On the 120-video logs of this benchmark the old prior was less
  extreme: over 10 seeds x 9 log sizes x 2 behaviours no fit and no live reading of 60 learners gave more
  than 6.7 % of the 1x learners a pace; the worst single reading was 25 % (50 learners, 30 % fast, seed
  0, 1x learners read from 10 visits), the next 8.5 %. But small logs did misread ordinary learners more
  often than large ones, mostly in the *live* reading (what `poem suggest --watched` prints): on logs
  where nobody watches fast, 1.4-2.4 % of the 1x learners were paced from their first 5 visits on 50-100
  learners (worst seed 7.4 %) against 0.1 % on 1 500; on logs where 30 % watch fast, 3.3-4.6 % against
  1.9 %, and 5.7 % from 10 visits on 50 learners against 0.3 %.
- **Why.** The share of learners at each pace (the EM prior) had half a pseudo-learner *per pace*: 15
  pseudo-learners spread over the 30 fast paces whatever the log's size. On 1 500 learners that is
  nothing; on 50 it is a third of the log, so on a small log where nobody is fast a fifth of the prior
  stayed on fast paces (0.80 at 1x on the 60-learner example of `poem.colony.pace`, 0.99 now), and a 1x
  learner with a few ambiguous visits was read as fast.
- **Kept: one pseudo-learner in all** (half at 1x, half spread evenly over the faster paces), a prior
  whose strength does not depend on the grid's resolution nor stand for a third of a small log. It is the
  fit's prior, so the fit and the live reading change together. On the checking seeds 5-9, nobody fast,
  50-100 learners: live false pace from 5 visits 1.2-3.4 % -> 0.1-1.3 %, from 2 visits 0.7-1.4 % ->
  0-0.3 %, from 10 visits 0.8-2.3 % -> 0-1.1 %; 30 % fast: from 5 visits 2.8-4.8 % -> 2.3-3.5 %, from 10
  visits 1.2-2.4 % -> 0.6-1.2 %. All seeds: on logs of 60 to 1 500 learners the live false pace from 5
  visits is now 0-0.2 % where nobody is fast (before 0.1-1.6 %), and 1.5-2.7 % where 30 % are (before
  1.7-3.6 %): a small log now reads ordinary learners about as a large one does.
- **Fast learners are not lost.** Recall within 0.15x, old -> new, all seeds: at fit time unchanged on
  logs of 80 learners and more (within 0.006), 0.875 -> 0.864 on 60; live from 5 visits within 0.012 at
  every size (0.735 -> 0.729 on 50, 0.848 either way on 1 500); from 10 visits within 0.011; from 2 visits
  0.033-0.038 lower on 50-60 learners (0.44 -> 0.41, 0.46 -> 0.42) and within 0.025 from 80 on: with two
  visits on a young course the learner is now less often given a pace either way.
- **Not fixed: the fit on 50 learners.** At fit time the false pace was never the problem on 60 learners
  and more (0-2.1 % mean; 0.1-0.7 % on 1 500), and the new prior changes it little; on exactly 50
  learners it stays 1.8 % (nobody fast, worst seed 8 %: 4 learners of 50) and 2.0 % (30 % fast, worst
  6.1 %). Those fit-time paces cost nothing measurable downstream: where nobody is fast the evidence's
  false failures and false successes with the pace differ from those with `pace="off"` by at most 0.004
  at every size, while with 30 % fast watchers the pace cuts the false failures from 0.14-0.18 to
  0.03-0.04 on 50-150 learners (0.16 -> 0.08 on 1 500). A minimum of learners above 50 was therefore
  not chosen (not run: below it the log is read at 1x, which on 50 learners with 30 % fast gives up a
  recall of 0.89 and brings the false failures back to the `pace="off"` column, 0.177). Live readings
  from 2 visits on 30 %-fast logs stay at 3-5 % at every size, large logs included (4.2 % on 1 500):
  that is the prior doing its job (30 % of the log is fast), not a small-log effect. Nor is the 12-video
  closed-loop case above fully fixed: 3.5 % on average with 30 % fast watchers (worst seed 9.5 %), where
  a 1 500-learner log reads about 2 % from 5 visits: 60 learners of 12 videos give a rough density.
- The figures of `viewing_heldout.md` (1 500 learners) and `viewing_pace_loop.md` (500 learners fitted)
  were measured with the old prior and not rerun: at those sizes the new prior moves the false pace by at
  most 0.3 points and the recall by at most 0.01 here.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes while iterating")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)), help="course seeds")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="learners of the log")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/pace_size.md")
    parser.add_argument("--csv", default=None, help="also save the per-run table as CSV at this path")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    n_items = 60 if args.quick else 120
    rows = []
    for behaviour, watching in BEHAVIOURS.items():
        for n in args.sizes:
            for seed, prior in ((s, p) for s in args.seeds for p in PRIORS):
                part = run_one(n, seed, behaviour, watching, n_items, prior=prior)
                rows += part
                print(f"{behaviour} n={n} seed={seed} {prior}: " + "; ".join(
                    f"{r['reading']} fp {r['false pace']:.3f} rec {r['recall']:.3f}" for r in part), flush=True)
    table = pd.DataFrame(rows)
    if args.csv:
        table.to_csv(args.csv, index=False)
    fmt = {"float_format": lambda v: f"{v:.3f}", "na_rep": "-"}
    text1 = summarise(table).to_string(index=False, **fmt)
    text0 = "\n\n".join(f"{name} (all seeds):\n" + p.to_string(**fmt) for name, p in compact(table))
    halves = []
    for half, keep in (("chosen on", table["seed"].isin(CHOSEN_ON)), ("check", ~table["seed"].isin(CHOSEN_ON))):
        if keep.any():
            halves += [f"{name} ({half}: seeds {sorted(set(table['seed'][keep]))}):\n" + p.to_string(**fmt)
                       for name, p in compact(table[keep])]
    text2 = "\n\n".join(halves)
    print(text1, text0, text2, sep="\n\n")
    if args.write:
        command = ("nice -n 10 .venv/bin/python benchmarks/bench_pace_size.py" + (" --quick" if args.quick else "")
                   + (f" --seeds {' '.join(map(str, args.seeds))}" if args.seeds != list(range(10)) else "")
                   + " --write")
        out = REPO / "benchmarks" / "results" / "pace_size.md"
        out.write_text(
            "# The learned watching pace by log size (issue 16)\n\n"
            f"Command: `{command}` ({time.perf_counter() - started:.0f} s on the shared 2-core machine).\n\n"
            "## False pace and recall by log size, new prior against old (means over the seeds)\n\n"
            f"```\n{text0}\n```\n\n## The same, on the seeds the prior was chosen on and on the others\n\n"
            f"```\n{text2}\n```\n\n## Everything, with the evidence errors at fit time\n\n```\n{text1}\n```\n\n{NOTES}",
            encoding="utf-8")
        print(f"\nwritten {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
