"""Diagnosis of the LOP path on viewing-only courses (issue 16): the solver, the objective, the evidence.

Run from the repository root::

    .venv/bin/python benchmarks/bench_viewing_ordering.py [--quick] [--seeds 0 1] [--write]

On the scenarios of ``benchmarks/bench_viewing.py`` (same simulated courses, same three colonies: the viewing
log, the same course's quiz scores, the simulator's hidden moments of learning), three questions about the
path ``learning_path(model, method="lop", rng=0)``:

1. **Does the solver leave objective on the table?** The objective of the default iterated insertion search
   (:func:`poem.ordering.lop.solve_lop`, 200 rounds, seed 0) against a much longer search on the same
   matrix: eight more runs of 2 000 rounds (four from random orders), and one started from a linear
   extension of the *true* prerequisite graph, improved by the same search. The trivial bound
   ``sum max(W_ij, W_ji)`` is printed for scale (no exact solver exists at 120-180 items).
2. **Does a higher objective mean a higher respect?** The objective of the truth-respecting order nearest
   to the path (the true graph's topological order, ties by the path's positions) against the path's, and
   where the difference lies: on true arcs, on ancestor pairs of the true graph (an item and one it
   transitively needs), on pairs the true graph leaves unordered. And the violated true arcs by the
   evidence the colony held on them.
3. **Evidence variants** (same colonies, same solver): weights of :func:`poem.paths.path_evidence`, the
   precedence test's parameters, and precedence counted per learner with a weight growing with the number
   of items the learner mastered (learners with short trails read most of their landings wrong on the
   viewing log). Every variant also on the two public courses (``../shared/benchmark``, when present): a
   default may not lower them.

``--write`` writes ``benchmarks/results/viewing_ordering.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_viewing import hidden_moments_colony, last_view_rank, scenarios  # noqa: E402
from poem.antcolony import ManHill  # noqa: E402
from poem.ordering.baselines import baseline_path  # noqa: E402
from poem.ordering.evaluation import evaluate  # noqa: E402
from poem.ordering.evidence import depth_prior, failure_counts, failure_evidence  # noqa: E402
from poem.ordering.lop import local_search, lop_objective, solve_lop  # noqa: E402
from poem.paths import path_evidence, precedence_evidence  # noqa: E402
from poem.simulation.viewing import simulate_viewing  # noqa: E402
from poem.traces import Traces  # noqa: E402

KINDS = ("viewing", "quiz", "hidden")


def respect(model, order, truth) -> float:
    return evaluate([str(model.items_[k]) for k in order], truth)["respect"]


def true_graph(model, truth) -> nx.DiGraph:
    index = {str(x): k for k, x in enumerate(model.items_)}
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(model.items_)))
    graph.add_edges_from((index[a], index[b]) for a, b in truth["prerequisites"] if a in index and b in index)
    return graph


def nearest_true_order(graph: nx.DiGraph, ref: np.ndarray) -> np.ndarray:
    """The topological order of the true graph that keeps ``ref``'s order wherever the graph allows."""
    pos = np.empty(len(ref), dtype=np.int64)
    pos[ref] = np.arange(len(ref))
    return np.array(list(nx.lexicographical_topological_sort(graph, key=lambda k: pos[k])), dtype=np.int64)


def solver_row(name, kind, model, truth) -> dict:
    W = path_evidence(model)
    default = solve_lop(W, rng=0)
    best = default
    for s in range(1, 9):
        start = np.random.default_rng(s).permutation(len(W)) if s % 2 else None
        r = solve_lop(W, rng=s, n_iterations=2000, start=start)
        best = r if r.objective > best.objective else best
    truth_order = nearest_true_order(true_graph(model, truth), default.order)
    from_truth = solve_lop(W, rng=99, n_iterations=2000, start=local_search(W, truth_order))
    best = from_truth if from_truth.objective > best.objective else best
    bound = float(np.maximum(W, W.T)[np.triu_indices(len(W), 1)].sum())
    return {"scenario": name, "colony": kind, "objective": default.objective,
            "longer search gain (ppm)": 1e6 * (best.objective - default.objective) / default.objective,
            "bound gap %": 100 * (bound - default.objective) / default.objective,
            "respect": respect(model, default.order, truth), "respect, longer search": respect(model, best.order,
                                                                                              truth),
            "true order shortfall %": 100 * (default.objective - lop_objective(W, truth_order)) / default.objective}


def departure_row(name, kind, model, truth) -> tuple[dict, dict]:
    """Where the path's objective exceeds the nearest truth-respecting order's, and the evidence on the
    violated true arcs."""
    W = path_evidence(model)
    n = len(W)
    order = solve_lop(W, rng=0).order
    graph = true_graph(model, truth)
    t = nearest_true_order(graph, order)
    direct = np.zeros((n, n), dtype=bool)
    for a, b in graph.edges:
        direct[a, b] = direct[b, a] = True
    ancestor = np.zeros((n, n), dtype=bool)
    for a, b in nx.transitive_closure_dag(graph).edges:
        ancestor[a, b] = ancestor[b, a] = True
    po, pt = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    po[order], pt[t] = np.arange(n), np.arange(n)
    flipped = (po[:, None] < po[None, :]) & (pt[:, None] > pt[None, :])
    gain = np.where(flipped, W - W.T, 0.0)
    total = gain.sum()
    dep = {"scenario": name, "colony": kind, "objective over true order": total,
           "on true arcs %": 100 * gain[direct].sum() / total if total else np.nan,
           "on ancestor pairs %": 100 * gain[ancestor & ~direct].sum() / total if total else np.nan,
           "on unordered pairs %": 100 * gain[~ancestor].sum() / total if total else np.nan}
    P = np.asarray(model.precedence_, dtype=float)
    F = failure_counts(model)
    successes = np.asarray(model.item_successes_)
    arcs = np.array(list(graph.edges), dtype=np.int64).reshape(-1, 2)
    a, b = arcs[:, 0], arcs[:, 1]
    violated = po[a] > po[b]
    has_p = P[a, b] + P[b, a] > 0
    has_f = ~has_p & (F[a, b] + F[b, a] > 0)
    none = ~has_p & ~has_f
    arcs_row = {"scenario": name, "colony": kind, "true arcs": len(arcs), "violated": int(violated.sum()),
                "precedence right way": int((violated & has_p & (P[a, b] > P[b, a])).sum()),
                "precedence wrong way": int((violated & has_p & (P[a, b] < P[b, a])).sum()),
                "precedence tied": int((violated & has_p & (P[a, b] == P[b, a])).sum()),
                "failure only": int((violated & has_f).sum()), "no evidence": int((violated & none).sum()),
                "no evidence, b never mastered": int((violated & none & (successes[b] == 0)).sum()),
                "arcs with no evidence": int(none.sum())}
    return dep, arcs_row


def learner_weighted_precedence(model, power: float) -> np.ndarray:
    """``precedence_`` with each learner's pairs weighted by ``k ** power`` (``k`` the items the learner
    mastered), rescaled to the same total of pairs; ``power=0`` gives ``precedence_`` itself."""
    state = model.state_
    item, score = np.asarray(state.log_item), np.asarray(state.log_score, dtype=np.float64)
    bounds = np.asarray(state.log_bounds, dtype=np.int64)
    mastery = float(model.mastery)
    n = len(model.items_)
    P = np.zeros((n, n))
    pairs = weighted = 0.0
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        s, it = score[lo:hi], item[lo:hi]
        won = it[s >= mastery]  # NaN compares False: unscored events are skipped
        _, first = np.unique(won, return_index=True)
        seq = won[np.sort(first)]
        k = len(seq)
        if k < 2:
            continue
        w = float(k) ** power
        upper = np.triu(np.ones((k, k), dtype=bool), 1)
        P[np.ix_(seq, seq)] += w * upper
        pairs += k * (k - 1) / 2
        weighted += w * k * (k - 1) / 2
    return P * (pairs / weighted) if weighted else P


class _Weighted:
    """A colony with its precedence counts replaced (the other fitted attributes are the colony's)."""

    def __init__(self, model, P):
        self._model, self.precedence_ = model, P

    def __getattr__(self, name):
        return getattr(self._model, name)


def _failure_on_every_pair(model) -> np.ndarray:
    """The path evidence plus a quarter of the failure evidence on every pair some learner mastered both of."""
    P = np.asarray(model.precedence_, dtype=float)
    return path_evidence(model) + 0.25 * np.where(P + P.T > 0, failure_evidence(model), 0.0)


def _learner_weighted(power: float):
    """The path evidence with each learner's precedence weighted by k ** ``power`` (k: items they mastered)."""
    return lambda model: path_evidence(_Weighted(model, learner_weighted_precedence(model, power)))


#: the evidence variants, in the order of the tables: name -> the colony's evidence matrix under it
VARIANTS = {
    "default (path evidence)": lambda model: path_evidence(model),
    "precedence alone": lambda model: path_evidence(model, failure_weight=0.0, depth_weight=0.0),
    "depth_weight=0": lambda model: path_evidence(model, depth_weight=0.0),
    "depth_weight=0.3": lambda model: path_evidence(model, depth_weight=0.3),
    "failure_weight=2": lambda model: path_evidence(model, failure_weight=2.0),
    "+ 0.25 x failure on every pair": _failure_on_every_pair,
    "threshold=1": lambda model: path_evidence(model, threshold=1.0),
    "threshold=0.25": lambda model: path_evidence(model, threshold=0.25),
    "smoothing=3": lambda model: path_evidence(model, smoothing=3.0),
    "learner weight k^0.5": _learner_weighted(0.5),
    "learner weight k^1": _learner_weighted(1.0),
    "learner weight k^-0.5": _learner_weighted(-0.5),
}


def variant_matrix(model, variant: str) -> np.ndarray:
    """The evidence matrix of ``model`` under ``variant`` (a key of :data:`VARIANTS`)."""
    return VARIANTS[variant](model)


def public_courses() -> list:
    shared = REPO.parent / "shared" / "benchmark"
    out = []
    for course in ("course-a", "course-b"):
        folder = shared / course
        if folder.is_dir():
            frame = pd.read_csv(folder / "traces.csv")
            frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
            truth = json.loads((folder / "truth.json").read_text())
            out.append((course, ManHill().fit(Traces.from_frame(frame)), truth))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes while iterating")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/viewing_ordering.md")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="scenario seeds (default 0 1)")
    args = parser.parse_args(argv)
    solver, departures, arcs, variants = [], [], [], []
    for name, kw, seed in scenarios(args.quick, args.seeds):
        vc = simulate_viewing(seed=seed, **kw)
        traces = vc.to_traces()
        truth = vc.truth
        colonies = {"viewing": ManHill().fit(traces, catalog=vc.catalog), "quiz": ManHill().fit(vc.scored.to_traces()),
                    "hidden": hidden_moments_colony(vc)}
        base = [evaluate(baseline_path(traces, b), truth)["respect"] for b in ("popularity", "first_view_rank")]
        target = max(base + [evaluate(last_view_rank(traces), truth)["respect"]]) + 0.15
        for kind, model in colonies.items():
            solver.append(solver_row(name, kind, model, truth))
            dep, arc = departure_row(name, kind, model, truth)
            departures.append(dep)
            arcs.append(arc)
            for v in VARIANTS:
                r = respect(model, solve_lop(variant_matrix(model, v), rng=0).order, truth)
                variants.append({"scenario": name, "seed": seed - 100, "colony": kind, "variant": v, "respect": r,
                                 "met": r >= target})
        print(name, "done", flush=True)
    public = []
    for course, model, truth in public_courses():
        for v in VARIANTS:
            public.append({"course": course, "variant": v,
                           "respect": respect(model, solve_lop(variant_matrix(model, v), rng=0).order, truth)})
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    solver_t = pd.DataFrame(solver)
    solver_s = solver_t.groupby("colony", sort=False).agg(
        **{"longer search gain (ppm), max": ("longer search gain (ppm)", "max"),
           "respect": ("respect", "mean"), "respect, longer search": ("respect, longer search", "mean"),
           "true order shortfall %, mean": ("true order shortfall %", "mean")})
    dep_t = pd.DataFrame(departures)
    dep_s = dep_t.groupby("colony", sort=False)[["objective over true order", "on true arcs %", "on ancestor pairs %",
                                                 "on unordered pairs %"]].mean()
    arcs_t = pd.DataFrame(arcs)
    arcs_s = arcs_t.drop(columns="scenario").groupby("colony", sort=False).sum()
    var_t = pd.DataFrame(variants)
    # the summary per pair of seeds: a default is chosen on the first pair and checked on the next (held out)
    seeds = sorted(var_t["seed"].unique())
    groups = [seeds[k:k + 2] for k in range(0, len(seeds), 2)]
    var_tables = []
    for group in groups:
        part = var_t[var_t["seed"].isin(group)]
        table = part.pivot_table(index="variant", columns="colony", values="respect", aggfunc="mean", sort=False)
        met = part.pivot_table(index="variant", columns="colony", values="met", aggfunc="sum", sort=False)
        met = met[list(KINDS)].astype(int).rename(columns=lambda c: f"{c} met")
        table = table[list(KINDS)].join(met)
        var_tables.append((", ".join(str(s) for s in group), table))
    public_t = (pd.DataFrame(public).pivot_table(index="variant", columns="course", values="respect", sort=False)
                if public else None)
    per_scenario = var_t[var_t["colony"] == "viewing"].pivot_table(index="scenario", columns="variant",
                                                                   values="respect", sort=False)
    seeds_text = " ".join(str(s) for s in (args.seeds if args.seeds is not None else ([0] if args.quick else [0, 1])))
    sections = [
        ("LOP solver: default search against a much longer one (same path evidence)",
         solver_t.to_string(index=False, **fmt) + "\n\n" + solver_s.to_string(**fmt)),
        ("Where the path's objective exceeds the nearest truth-respecting order's (mean share per scenario)",
         dep_t.to_string(index=False, **fmt) + "\n\n" + dep_s.to_string(**fmt)),
        ("Violated true arcs a->b by the evidence the colony held on the pair (sums over scenarios)",
         arcs_s.to_string()),
        *[(f"Evidence variants, scenario seeds {label}: mean respect (LOP seed 0) and scenarios meeting best "
           "score-free + 0.15", table.to_string(**fmt)) for label, table in var_tables],
        *([("Evidence variants on the public courses (respect, LOP seed 0)", public_t.to_string(**fmt))]
          if public_t is not None else []),
        ("Evidence variants, viewing colony per scenario", per_scenario.T.to_string(**fmt)),
    ]
    text = "\n\n".join(f"## {title}\n\n```\n{body}\n```" for title, body in sections)
    print(text)
    if args.write:
        out = REPO / "benchmarks" / "results" / "viewing_ordering.md"
        command = (f"`.venv/bin/python benchmarks/bench_viewing_ordering.py --seeds {seeds_text} --write`"
                   + (" (--quick)" if args.quick else ""))
        out.write_text(f"# Viewing-only courses: the LOP path diagnosed (issue 16)\n\nProduced by {command} on a "
                       f"2-core machine.\n\n{text}\n\n{NOTES}", encoding="utf-8")
        print(f"\nwritten {out.relative_to(REPO)}")
    return 0


NOTES = """## Notes

- Same scenarios and colonies as `benchmarks/results/viewing.md` (its "viewing colony", "quiz colony" and
  "hidden moments, path evidence" columns are the "respect" column here, seeds 0-1; seeds 2-3 are the run
  its notes cite). The target is the issue's: respect >= best score-free baseline + 0.15.
- **1. The solver is not the limit.** Over the 60 colonies (20 scenarios x 3) the longer search (eight more
  runs of 2 000 rounds, four from random orders, and one from the true order) gains at most 118 parts per
  million of the objective (0.012 %), on 40 of the 60 nothing. The respect of the orders it finds differs by
  -0.011 to +0.024 (mean 0.836 -> 0.838 on viewing, unchanged on quiz and hidden moments) and the target
  is met on as many scenarios as before (viewing 5 of 10 on seeds 0-1, 8 of 10 on seeds 2-3): equally good
  orders differ in respect by about +-0.01, which a stronger solver only samples differently.
- **2. The objective agrees with respect where the evidence is right.** On the hidden moments of learning
  the nearest truth-respecting order is within 0.07 % of the path's objective on average (at most 0.52 %):
  the objective hardly prefers the path. Its violated true arcs (387 over 20 scenarios) are, all but 10,
  pairs with no evidence at all, and in every one of them the dependent item b was never learned in the
  log (deep items; the diagnostic scores a visit to an already known item 0, so these items read as
  failed); they are ordered by the depth prior and the failure counts of items nobody learned, i.e. by
  nothing that tells their order. That is where the path evidence's gain on the hidden moments came from
  (precedence alone 6 -> 9 of 10) and it does not transfer: misread landings give the viewing colony
  precedence on nearly every pair (29 true arcs without any evidence over the 20 viewing colonies, 746 for
  the hidden moments). `depth_weight=0` raises the hidden moments (0.895 -> 0.910, 0.913 -> 0.928) but
  not the viewing colony (0.831 -> 0.832, 0.840 -> 0.844) and lowers the quiz colony (0.842 -> 0.839,
  0.843 -> 0.839): not a default.
- **On the viewing log the objective prefers the wrong order.** The path beats the nearest
  truth-respecting order by 3.1 % of the objective on average (up to 9.3 %, Junyi seed 2); 1 % of that
  excess lies on the true arcs themselves, half on ancestor pairs (an item placed before one it needs
  through a chain), half on pairs the true graph leaves unordered (browse order). Of the 681 violated true
  arcs, 246 carry wrong-way precedence (none do for the hidden moments), 204 right-way precedence
  outweighed by the rest of the order, 92 tied precedence, 122 only failure evidence, 17 none. The
  precedence that reverses whole chains comes from landings read on views that did not teach the video
  (see "Where the viewing evidence still errs" in `viewing.md`): the evidence, not its ordering.
- **3. Evidence variants: none passes the rule** (chosen on seeds 0-1, unchanged on 2-3, the quiz colonies
  and the public courses not lower). The strongest: precedence counted per learner with weight k (the
  items the learner mastered; rescaled to the same total). Measured against the simulator's hidden state
  (seed-0 viewing-only scenarios), the landings read for the quarter of learners with the fewest mastered
  items (at most 4) are 57-67 % false, for the quarter with the most (about 19 or more) 23-28 %. It raises the viewing
  colony (0.831 -> 0.855 seeds 0-1, 0.840 -> 0.854 seeds 2-3) and slightly the quiz colony (0.842 -> 0.848,
  0.843 -> 0.844), but meets the target on no more scenarios (5 and 8 of 10: the gains land on courses
  already above it, e.g. browse 180 seed 0 0.754 -> 0.790 against 0.801), the quiz colony on one fewer
  (5 of 10 on seeds 0-1, Junyi seed 1 0.714 -> 0.708 against 0.713) and it lowers both public courses
  (course-a 0.960 -> 0.951, course-b 0.881 -> 0.864). k^0.5 likewise (0.845, 0.851; same public loss);
  down-weighting long trails (k^-0.5) lowers everything. Restricted to colonies fitted on viewing evidence
  it would leave the quiz colonies and the public courses as they are and raise 18 of the 20 viewing
  colonies (one level, Junyi seed 3 -0.005), still without a scenario crossing the target; not done here:
  a saved colony does not keep whether it was fitted on viewing evidence (its item kinds are codes), so the
  path of a loaded colony would differ from the fitted one's. Failure evidence on every pair (x 0.25) raises the
  viewing mean (0.840, 0.856) but meets the target on fewer scenarios (4 of 10 on seeds 0-1) and costs the
  public courses 0.036 and 0.084. Threshold 0.25 or 1, smoothing 3, depth weight 0.3, failure weight 2: no
  gain on seeds 0-1 or a lower quiz colony.
- **What stands in the way of the target.** On seeds 0-1 the viewing colony misses it on browse 180 seed 0,
  Junyi seed 0, browse 120 seed 1, browse 180 seed 1 and mixed browse 120 seed 1 (by 0.024 to 0.058); the
  quiz colony misses it on four of these five (all but browse 180 seed 0), so on those four no reading of
  the views that only matched the quiz scores would reach it either.
- **Learner reliability (since `viewing_reliability.md`).** On a colony read from viewing evidence the path
  evidence now weighs each learner's precedence by their agreement with everyone else's clear pairs
  (`poem.ordering.reliability`): viewing colonies 0.831 -> 0.852 (seeds 0-1) and 0.843 -> 0.851 (seeds
  2-3, three LOP seeds), target met 5 -> 5 and 8 -> 9 of 10, quiz colonies unchanged. The "viewing colony"
  figures above were measured before it (`benchmarks/bench_viewing_reliability.py`, row "path evidence
  before").
"""


if __name__ == "__main__":
    sys.exit(main())
