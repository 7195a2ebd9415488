"""A colony read from viewing evidence, grown cohort by cohort: ``partial_fit`` against a fit on everything.

Run from the repository root::

    .venv/bin/python benchmarks/bench_viewing_partial.py [--quick] [--seeds 0 1] [--write]

On the viewing scenarios of ``benchmarks/bench_viewing.py`` (its scenario builder, seeds 0-1, ten courses of
1 500 learners), the learners are cut by arrival (first event) into thirds. In the same run, the LOP path's
prerequisite respect (the benchmark's measure) of:

- **whole fit**: ``ManHill().fit(traces, catalog=catalog)`` on every learner (the reference);
- **first third**: the same fit on the first third alone (what the colony knew before the new cohorts);
- **1/3 + partial 2/3**: that colony, then ``partial_fit(other two thirds, catalog=catalog)``;
- **1/3 + 1/3 + 1/3**: that colony, then one ``partial_fit`` per later third;
- **1/3 + 20 small**: that colony, then the other two thirds in 20 cohorts by arrival (50 learners each at
  1 500), one ``partial_fit`` each: what the mapping learns on a small cohort alone;
- **before the fix**: the first third's colony plus the raw state of the other two thirds (what
  ``partial_fit`` did before: their visits carry no score, so they deposit nothing, and the history reader
  was dropped, so the path is ordered without the learner-reliability weighting);
- **partial, no reliability**: the "1/3 + partial 2/3" colony with ``reliability=False`` (which part of the
  change is the videos read, which the weighting kept);
- **best score-free**: the best of popularity, mean first-view rank and mean last-view rank on the whole log.

"agreement 2/3" / "agreement small" is the share of the later cohorts' events to which the partial fits' reading
(the mapping learned on each cohort alone) gives the same score (or the same absence of evidence) as the whole
fit's; "successes partial / whole" compares the sums of success evidence (on mixed courses the partial fit
weighs the kinds with the first third's evidence weights).
``--write`` writes ``benchmarks/results/viewing_partial.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_viewing import last_view_rank, respect_of, scenarios  # noqa: E402
from poem.antcolony import ManHill  # noqa: E402
from poem.ordering.baselines import baseline_path  # noqa: E402
from poem.ordering.evaluation import evaluate  # noqa: E402
from poem.simulation.viewing import simulate_viewing  # noqa: E402
from poem.traces import Traces  # noqa: E402

#: later cohorts the other two thirds are cut into for the small-cohort column
SMALL = 20

NOTES = """## Notes

- Written before the measurement; filled in below from the run.
"""


def cohorts(frame: pd.DataFrame, parts: int = 3) -> list:
    """The log cut into ``parts`` cohorts of learners by arrival (first event), as frames."""
    first = frame.groupby("learner")["timestamp"].min().sort_values(kind="stable")
    return [frame[frame["learner"].isin(c)] for c in np.array_split(first.index.to_numpy(), parts)]


def agreeing(whole: ManHill, whole_traces: Traces, cohort: Traces, read) -> np.ndarray:
    """Per event of ``cohort``: scored alike (or both without evidence) by the whole fit's reading and by the
    cohort's own (``read``, the cohort's :class:`~poem.colony.viewing.ViewingEvidence`)."""
    mask = np.isin(whole_traces.learners.astype(str), cohort.learners.astype(str))[whole_traces.learner]
    a, b = whole.viewing_.score[mask], read.score
    if len(a) != len(b):
        raise RuntimeError("the cohort's events do not line up with the whole log's")
    return (np.isnan(a) & np.isnan(b)) | (a == b)


def run_scenario(name, kw, seed) -> dict:
    vc = simulate_viewing(seed=seed, **kw)
    traces = vc.to_traces()
    truth, catalog = vc.truth, vc.catalog
    items = vc.scored.course.items
    thirds = [Traces.from_frame(c, items=items) for c in cohorts(vc.traces)]
    later = Traces.from_frame(pd.concat(cohorts(vc.traces)[1:]), items=items)
    whole = ManHill().fit(traces, catalog=catalog)
    first = ManHill().fit(thirds[0], catalog=catalog)
    row = {"scenario": name, "whole fit": respect_of(whole, truth), "first third": respect_of(first, truth)}
    before = ManHill.from_state(first.state_ + first.partial_state(later))   # the raw visits: no evidence
    partial = ManHill().fit(thirds[0], catalog=catalog).partial_fit(later, catalog=catalog)
    steps = ManHill().fit(thirds[0], catalog=catalog)
    for cohort in thirds[1:]:
        steps.partial_fit(cohort, catalog=catalog)
    # small cohorts: the mapping learned on each alone sees little (1 500 learners: cohorts of 50)
    small = ManHill().fit(thirds[0], catalog=catalog)
    small_same = []
    for frame in cohorts(pd.concat(cohorts(vc.traces)[1:]), SMALL):
        cohort = Traces.from_frame(frame, items=items)
        small.partial_fit(cohort, catalog=catalog)
        small_same.append(agreeing(whole, traces, cohort, small.viewing_))
    row["1/3 + partial 2/3"] = respect_of(partial, truth)
    row["1/3 + 1/3 + 1/3"] = respect_of(steps, truth)
    row[f"1/3 + {SMALL} small"] = respect_of(small, truth)
    row["before the fix"] = respect_of(before, truth)
    row["partial, no reliability"] = respect_of(partial, truth, reliability=False)
    base = {b: evaluate(baseline_path(traces, b), truth)["respect"] for b in ("popularity", "first_view_rank")}
    base["last_view_rank"] = evaluate(last_view_rank(traces), truth)["respect"]
    row["best score-free"] = max(base.values())
    row["agreement 2/3"] = float(agreeing(whole, traces, later, partial.viewing_).mean())
    row["agreement small"] = float(np.concatenate(small_same).mean())
    row["successes partial / whole"] = float(partial.item_successes_.sum() / whole.item_successes_.sum())
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes while iterating")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/viewing_partial.md")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="scenario seeds (default 0 1)")
    args = parser.parse_args(argv)
    rows = []
    for name, kw, seed in scenarios(args.quick, args.seeds):
        rows.append(run_scenario(name, kw, seed))
        r = rows[-1]
        print(f"{name}: whole {r['whole fit']:.3f} partial {r['1/3 + partial 2/3']:.3f} "
              f"before {r['before the fix']:.3f}", flush=True)
    table = pd.DataFrame(rows)
    cols = ["whole fit", "first third", "1/3 + partial 2/3", "1/3 + 1/3 + 1/3", f"1/3 + {SMALL} small",
            "before the fix",
            "partial, no reliability", "best score-free"]
    summary = pd.DataFrame({"mean": table[cols].mean(), "worst": table[cols].min(),
                            "mean - whole fit": table[cols].mean() - table["whole fit"].mean(),
                            "courses >= whole fit - 0.01": [int((table[c] >= table["whole fit"] - 0.01).sum())
                                                           for c in cols]})
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    title = "Prerequisite respect of the LOP path: whole fit vs first third + partial_fit of the rest"
    text, text_b = table.to_string(index=False, **fmt), summary.to_string(**fmt)
    print(title, text, "", text_b, sep="\n")
    if args.write:
        out = REPO / "benchmarks" / "results" / "viewing_partial.md"
        command = "`.venv/bin/python benchmarks/bench_viewing_partial.py --write`" + (" (--quick)" if args.quick
                                                                                      else "")
        out.write_text(f"# Viewing colonies grown by partial_fit (issue 16, issue 10 point 1)\n\nProduced by "
                       f"{command} on a 2-core machine.\n\n## {title}\n\n```\n{text}\n```\n\n```\n{text_b}\n```\n\n"
                       f"{NOTES}", encoding="utf-8")
        print(f"\nwritten {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
