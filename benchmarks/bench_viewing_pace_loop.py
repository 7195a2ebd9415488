"""The live reading's watching pace in closed loop: fast watchers on a viewing-only course (issue 16).

Run from the repository root::

    nice -n 10 .venv/bin/python benchmarks/bench_viewing_pace_loop.py [--quick] [--seeds 500 501 502] [--write]

The viewing policy (:class:`poem.simulation.viewing.ViewingColonyPolicy`) reads each learner's own
viewing history with the colony's :class:`~poem.colony.viewing_history.HistoryReader`, as ``poem suggest
--watched`` does. With ``pace=True`` (the default) the reader reads the history at the learner's watching
pace, learned from their visits so far against the density of relative shares and the pace prior of the
fit (:mod:`poem.colony.pace`); with ``pace=False`` at 1x (the reading before). The colony itself is fitted
with the default mapping (the fit's pace learned from the log) in both.

Courses and learners are those of ``bench_viewing.py``'s closed-loop table (60 random items, seed ``s``
for course, learners and watching draws, 8 cohorts of 200, 80 % following a suggestion). Two watching
behaviours of the simulator: ``default`` (nobody watches fast) and ``fast 30%`` (30 % of each cohort's
learners watch at 1.25x-2x and the player logs wall-clock seconds: the simulator's held-out
``fast_learners``, drawn in the closed loop from a stream of its own). No guidance is the same run's
baseline (it sees no seconds, so it is the same under both behaviours).

Columns: NRP (normalised rank of promotion: :func:`poem.simulation.closed_loop.closed_loop`) of the first
guided cohort (a colony fitted on one unguided cohort), the mean over the guided cohorts, the last cohort;
and, for the viewing policy, how the pace was read in the last cohort: the mean absolute error of the
final pace of the fast learners (against their true speed) and the share of the 1x learners given a pace
above 1x.

Second table (``prefix_accuracy``): the live pace on its own, off the loop. On simulated logs of 1 000
learners (60 videos, seeds 0-1, :func:`poem.simulation.viewing.simulate_viewing`, default watching and
30 % fast), the colony is fitted on the first 500 learners and the other 500 are read as live learners:
after each learner's k-th visit with a usable share, the pace of their history so far
(:meth:`HistoryReader.pace <poem.colony.viewing_history.HistoryReader.pace>`) against their true speed
(the simulator's draw). ``--write`` writes ``benchmarks/results/viewing_pace_loop.md``.
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

from poem.simulation.closed_loop import closed_loop  # noqa: E402
from poem.simulation.course import make_course  # noqa: E402
from poem.simulation.promotion import promotion_report  # noqa: E402
from poem.simulation.viewing import FAST_SPEEDS, ViewingColonyPolicy, simulate_viewing, video_lengths  # noqa: E402

#: the seeds of ``bench_viewing.py``'s closed-loop table, summarised apart from any others run
FIRST_SEEDS = (500, 501, 502)
#: watching behaviours measured (name -> overrides of the simulator's watching parameters)
BEHAVIOURS = {"default": {}, "fast 30%": {"fast_learners": 0.3}}


class PaceAudit(ViewingColonyPolicy):
    """The viewing policy, recording at the end of each cohort the pace read of every learner with visits
    against their true speed, and in the first guided cohort the fast learners' promotion and the share of
    each group's steps on which a suggestion was made."""

    def start_cohort(self, course, state):
        super().start_cohort(course, state)
        self._asked, self._made = np.zeros(state.n_learners), np.zeros(state.n_learners)

    def recommend(self, state, rows, rng):
        out = super().recommend(state, rows, rng)
        self._asked[rows] += 1
        self._made[rows] += out >= 0
        return out

    def end_cohort(self, frame):
        seen = self._n_seen > 0
        self.audit = (self._speed[seen].copy(), self._pace[seen].copy())
        if self.reader is not None and not hasattr(self, "first"):
            st, fast = self._state, self._speed > 1.0
            nrp = promotion_report(st.initial_mastery[fast], st.mastered[fast].mean(axis=1), st.steps[fast])["NRP"]
            made = {g: self._made[m].sum() / self._asked[m].sum() if m.any() else np.nan
                    for g, m in (("fast", fast), ("1x", ~fast))}
            self.first = {"fast NRP c1": nrp if fast.any() else np.nan, "fast suggested c1": made["fast"],
                          "1x suggested c1": made["1x"]}
        super().end_cohort(frame)


def run(seed: int, n_items: int, n_cohorts: int, cohort_size: int) -> list[dict]:
    course = make_course(n_items, rng=np.random.default_rng(seed))
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                            "length": video_lengths(course.n_items, np.random.default_rng([seed, 18]))})
    size = dict(n_cohorts=n_cohorts, cohort_size=cohort_size, seed=seed)
    rows = []

    def row(behaviour, policy, table, audit=None, first=None):
        nrp = table.sort_values("cohort")["NRP"].to_numpy()
        out = {"seed": seed, "behaviour": behaviour, "policy": policy, "NRP cohort 1": nrp[1],
               "NRP mean guided": nrp[1:].mean(), "NRP last": nrp[-1]}
        if audit is not None:
            speed, pace = audit
            fast = speed > 1.0
            out["pace error fast"] = float(np.abs(pace[fast] - speed[fast]).mean()) if fast.any() else np.nan
            out["1x given a pace"] = float((pace[~fast] > 1.0).mean()) if (~fast).any() else np.nan
        return {**out, **(first or {})}

    rows.append(row("any", "no guidance", closed_loop(course, "none", **size)))
    for behaviour, watching in BEHAVIOURS.items():
        for label, pace in (("viewing, reader pace on", True), ("viewing, reader pace off", False)):
            policy = PaceAudit(catalog, seed=seed, watching=watching, pace=pace)
            rows.append(row(behaviour, label, closed_loop(course, policy, **size), policy.audit, policy.first))
        print(f"seed {seed} {behaviour}: " + "; ".join(f"{r['policy']} {r['NRP cohort 1']:.3f} "
                                                     f"{r['NRP mean guided']:.3f} {r['NRP last']:.3f}"
                                                     for r in rows[-2:]), flush=True)
    return rows


#: visits after which the live pace is read in ``prefix_accuracy``
PREFIX_VISITS = (1, 2, 3, 4, 5, 6, 8, 10, 15)


def prefix_accuracy(seeds=(0, 1), n_items: int = 60, n_learners: int = 1000) -> pd.DataFrame:
    """The live pace after each learner's k-th usable visit, against the truth (see the module docstring)."""
    from poem.antcolony import ManHill
    from poem.colony.viewing import viewing_evidence

    rows = []
    for behaviour, watching in BEHAVIOURS.items():
        for seed in seeds:
            vc = simulate_viewing(n_items=n_items, n_learners=n_learners, seed=seed, watching=watching)
            traces = vc.to_traces()
            fit_on = np.arange(traces.n_learners) < traces.n_learners // 2
            reader = ManHill().fit(traces.select_learners(fit_on), catalog=vc.catalog).history_reader_
            # the true speeds, drawn as poem.simulation.viewing.held_out_shares draws them
            who = np.unique(vc.traces["learner"].to_numpy())
            speed = np.ones(len(who))
            if watching.get("fast_learners", 0) > 0:
                rng = np.random.default_rng([seed, 16, 1])
                fast = rng.random(len(who)) < watching["fast_learners"]
                speed = np.where(fast, rng.uniform(*FAST_SPEEDS, len(who)), 1.0)
            true = dict(zip(who.astype(str), speed))
            share = viewing_evidence(traces, vc.catalog, pace="off").share   # as logged
            for u in np.flatnonzero(~fit_on):
                at = np.flatnonzero(traces.learner == u)
                items, sh = traces.item[at], share[at]
                rel = reader.relative_shares(items, sh)
                usable = np.flatnonzero(~np.isnan(rel) & (rel < 3))
                for k in PREFIX_VISITS:
                    if k > len(usable):
                        break
                    cut = usable[k - 1] + 1
                    rows.append({"behaviour": behaviour, "k": k, "true": true[str(traces.learners[u])],
                                 "pace": reader.pace(items[:cut], sh[:cut])})
    frame = pd.DataFrame(rows)
    out = []
    for (behaviour, k), part in frame.groupby(["behaviour", "k"], sort=False):
        f = part["true"] > 1
        out.append({"behaviour": behaviour, "visits": k, "1x learners": int((~f).sum()),
                    "1x given a pace": float((part["pace"][~f] > 1).mean()),
                    "fast learners": int(f.sum()),
                    "fast given a pace": float((part["pace"][f] > 1).mean()) if f.any() else np.nan,
                    "fast within 0.15x": float((abs(part["pace"] - part["true"])[f] <= 0.15).mean())
                    if f.any() else np.nan})
    return pd.DataFrame(out)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per behaviour and policy: the means over the seeds, and the differences to no guidance."""
    none = table[table["policy"] == "no guidance"].set_index("seed")
    out = []
    for (behaviour, policy), part in table.groupby(["behaviour", "policy"], sort=False):
        part = part.set_index("seed")
        r = {"behaviour": behaviour, "policy": policy, "seeds": len(part)}
        for c in ("NRP cohort 1", "NRP mean guided", "NRP last"):
            r[c] = part[c].mean()
            if policy != "no guidance":
                d = part[c] - none.loc[part.index, c]
                r[f"{c} - none"] = d.mean()
                r[f"{c} below none"] = f"{int((d < 0).sum())} of {len(d)}"
        for c in ("fast NRP c1", "fast suggested c1", "1x suggested c1"):
            if c in part and part[c].notna().any():
                r[c] = part[c].mean()
        out.append(r)
    return pd.DataFrame(out)


NOTES = """## Notes

- The live pace: `HistoryReader.pace` (`poem.colony.viewing_history`), the pace of highest posterior of
  the learner's relative shares so far (watched share over the video's usual finishing share, background
  tabs left out) under the fit's density of them and its share of learners at each pace
  (`poem.colony.pace.pace_model` / `pace_of`: one likelihood for the fit and the live learner). It is
  re-estimated at every visit over the whole history; when it changes the policy re-reads the earlier
  visits at the new pace (what `poem suggest --watched` does from the same seconds).
- The colony is fitted with the default mapping in every viewing run (each learner of the log paced by
  the fit): only the reading of the live histories differs between "pace on" and "pace off".
- Fast learners in the closed loop (`ViewingColonyPolicy(watching={"fast_learners": 0.3})`): each
  cohort's learners are fast with probability 0.3, at a speed uniform in 1.25x-2x, drawn from a stream
  of their own (seed, 17, 1), so with none the log is the same draw for draw; their visits log the
  content seconds over the speed (background tabs keep theirs), as `simulate_viewing` logs them.
- Seeds: 500-502 are `bench_viewing.py`'s closed-loop seeds (asked for); 503-511 were added in the same
  run because one seed's cohort moves by +-0.02 for reasons unrelated to the reading: under the default
  behaviour "pace on" and "pace off" read the same seconds identically for all but 0 to 0.5 % of the
  learners (column "1x given a pace"), yet single cohorts differ by up to 0.022 (seed 506 first cohort,
  seed 508 last): one different suggestion shifts the shared random stream of every later step.
- Measured with the pace prior of half a pseudo-learner per pace; it now has one pseudo-learner in all,
  which young courses needed (`pace_size.md`). Not rerun here: on that benchmark's logs of 500 learners
  the change moves the share of 1x learners given a live pace by under half a point and the share of
  fast learners paced within 0.15x by under one point.

## What was measured

- **The reading is much better for fast watchers.** Off the loop (last table): on a log where 30 % watch
  fast, 36 % of the fast learners are paced from their first usable visit, 74 % by the third, 89 % by the
  fifth, 99 % by the tenth (within 0.15x of their speed: 32 %, 69 %, 83 %, 97 %); 5 % of the 1x learners
  get a pace from their first visit, 2.4 % by the fifth, 1 % or less from the eighth. On a log where
  nobody watches fast, 0 to 0.6 % of the learners get a pace from any of their first 15 visits: the
  learned prior keeps a learner with one or two visits at 1x. In the loop (fast 30 %, seed 500, first
  guided cohort, against the hidden state; a diagnostic run, not in the tables) the fast learners' visits
  that taught the video were read as understood 97 % of the time with the pace against 34 % without, and
  16 % of their failures read were wrong (the video was learned) against 34 %. The pace read at the end
  of a cohort is within 0.02x-0.06x of the true speed on average (column "pace error fast").
- **It does not measurably raise promotion in closed loop, and costs none measurable.** With 30 % fast
  watchers, pace on / off over the 12 seeds: first guided cohort 0.145 / 0.148 (higher on 5, lower on 7;
  no guidance 0.140), mean over the guided cohorts 0.154 / 0.152 (higher on 9 of 12), last cohort 0.157 /
  0.152 (higher on 7); below no guidance in the first guided cohort on 4 / 4 of 12 seeds, in the last on
  0 / 2. On the requested seeds 500-502 alone the first guided cohort is lower with the pace on all three
  (0.147 against 0.158: 0.109 / 0.133, 0.135 / 0.144, 0.197 / 0.198), the mean over the guided cohorts
  level (0.157 / 0.158), the last 0.154 / 0.158; on 503-511 the first cohort is 0.145 / 0.144 (higher on
  5 of 9), the mean 0.153 / 0.150, the last 0.158 / 0.150. Under the default behaviour (nobody fast):
  0.149 / 0.152, 0.153 / 0.155, 0.155 / 0.154 (higher on 2, 5, 5 of 12, lower on 4, 6, 5): the seed noise
  above, nothing lost beyond it. No difference between pace on and off is larger than that noise.
- **Why the better reading does not turn into promotion.** Without the pace a fast learner reads as
  abandoning nearly everything, so the colony's predicted success for them stays below the floor and it
  defers: suggestions on 20 % of their steps in the first guided cohort against 35 % with the pace (1x
  learners: 34-35 % either way), and a learner choosing alone does about as well as one guided by a colony
  fitted on one cohort (the viewing colony's first guided cohort is only +0.005 to +0.011 over no
  guidance). The fast learners' own promotion in that cohort is 0.144 with the pace against 0.138 without
  (12 seeds; higher on 7, lower on 5).
- Kept: the pace reads a fast learner's complete views for what they are, which `poem suggest --watched`
  shows a user visit by visit, at no measured cost to the closed loop; it is not claimed to improve the
  guidance.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes while iterating")
    parser.add_argument("--seeds", type=int, nargs="+", default=[500, 501, 502], help="course and learner seeds")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/viewing_pace_loop.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    n_items, n_cohorts, cohort_size = (30, 3, 60) if args.quick else (60, 8, 200)
    rows = []
    for seed in args.seeds:
        rows += run(seed, n_items, n_cohorts, cohort_size)
    table = pd.DataFrame(rows)
    fmt = {"float_format": lambda v: f"{v:.3f}", "na_rep": "-"}
    first = table[table["seed"].isin(FIRST_SEEDS)]
    parts = [("seeds 500-502", first)] if len(first) else []
    if len(first) < len(table):
        parts.append((f"all {table['seed'].nunique()} seeds", table))
    text2 = "\n\n".join(f"{name}:\n" + summarise(part).T.to_string(header=False, **fmt) for name, part in parts)
    text1 = table.to_string(index=False, **fmt)
    text3 = prefix_accuracy(seeds=(0,) if args.quick else (0, 1), n_learners=300 if args.quick else 1000,
                            n_items=30 if args.quick else 60).to_string(index=False, **fmt)
    print(text1, "", text2, "", text3, sep="\n")
    if args.write:
        command = ("nice -n 10 .venv/bin/python benchmarks/bench_viewing_pace_loop.py"
                   + (" --quick" if args.quick else "")
                   + (f" --seeds {' '.join(map(str, args.seeds))}" if args.seeds != [500, 501, 502] else "")
                   + " --write")
        out = REPO / "benchmarks" / "results" / "viewing_pace_loop.md"
        out.write_text(
            "# The live reading's watching pace in closed loop (issue 16)\n\n"
            f"Command: `{command}` ({time.perf_counter() - started:.0f} s on the shared 2-core machine).\n\n"
            f"## Means over the seeds, and against no guidance\n\n```\n{text2}\n```\n\n"
            f"## Per seed\n\n```\n{text1}\n```\n\n"
            f"## The live pace after a learner's first k visits (off the loop)\n\n```\n{text3}\n```\n\n{NOTES}",
            encoding="utf-8")
        print(f"\nwritten {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
