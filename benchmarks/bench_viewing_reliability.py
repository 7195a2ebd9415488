"""Rank-aggregation variants of the path evidence on viewing-only courses (issue 16): learner reliability
and pair-confidence shrinkage.

Run from the repository root::

    .venv/bin/python benchmarks/bench_viewing_reliability.py [--quick] [--seeds 0 1 2 3] [--write]

The path is a linear ordering (LOP) over :func:`poem.paths.path_evidence`, whose precedence part counts every
learner's first-mastery order alike. On the viewing log about a third of the landings read are views watched
through without understanding, so some learners' orders are mostly noise. Variants measured here, each on the
same colonies as ``benchmarks/bench_viewing.py`` (the viewing log and the same course's quiz scores) and on the
courses of ``benchmarks/bench_paths.py`` (the public courses when ``../shared/benchmark`` is present, and its
simulated ones):

- **learner reliability, iterated** (weighted Kemeny / Dawid-Skene style): each learner's precedence pairs
  weighted by how well their first-mastery order agrees with the current consensus, re-estimated 1-3 times.
  The agreement is ``(agree + prior * rate) / (agree + disagree + prior)`` (``rate``: the pooled agreement,
  ``prior`` pseudo-pairs), the weight its log-odds (the optimal vote weight of a voter of that accuracy)
  floored at 0, or ``2p - 1``. The consensus is either the current LOP path (every pair of the learner's
  trail) or the pairs whose precedence z-score is at least ``z_min`` once the learner's own pairs are taken
  out (leave-one-out, so that a learner does not vouch for themselves on sparse pairs).
- **pair-confidence shrinkage**: precedence per pair as the Wilson lower bound ``L`` of the share i-before-j
  (z = 1 or 1.64), the evidence ``max(L - 1/2, 0)`` (a share) or ``n * max(L - 1/2, 0)`` (a count), rescaled
  to the total of the default precedence evidence; the pairs without precedence keep the failure evidence and
  depth prior of the default.

Every weighted precedence is rescaled to the same total of pairs as the colony's own ``precedence_``, and the
rest of :func:`poem.paths.path_evidence` (sign test, failure evidence and depth prior on the empty pairs) is
applied to it unchanged. Two rows run POEM's own code: ``path_evidence(model, reliability=True)`` (every
colony) and ``path_evidence(model)`` (the default: reliability on colonies read from viewing evidence, see
:mod:`poem.ordering.reliability`); the first row is ``reliability=False``, the path evidence before. Rule for
a default: more scenarios meeting best score-free + 0.15 on the viewing colonies, no quiz colony and no
``bench_paths`` course lower by more than 0.005. ``--diagnose`` compares the reliability weights with the
simulator's truth and with the majority browse order. ``--write`` writes
``benchmarks/results/viewing_reliability.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_paths import load_benchmark  # noqa: E402
from bench_viewing import last_view_rank, scenarios  # noqa: E402
from bench_viewing_ordering import _Weighted, true_graph  # noqa: E402
from poem.antcolony import ManHill  # noqa: E402
from poem.ordering.baselines import baseline_path  # noqa: E402
from poem.ordering.evaluation import evaluate  # noqa: E402
from poem.ordering.lop import solve_lop  # noqa: E402
from poem.paths import path_evidence, precedence_evidence  # noqa: E402
from poem.simulation import simulate_course  # noqa: E402
from poem.simulation.viewing import simulate_viewing  # noqa: E402


# ------------------------------------------------------------------------------------------ learner trails
def trails(model) -> list:
    """Each learner's items in the order of their first success (score >= the colony's mastery), from the
    colony's log; the pairs of these sequences are exactly ``precedence_`` (checked in :func:`main`)."""
    state = model.state_
    item, score = np.asarray(state.log_item), np.asarray(state.log_score, dtype=np.float64)
    bounds = np.asarray(state.log_bounds, dtype=np.int64)
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        won = item[lo:hi][score[lo:hi] >= model.mastery]
        _, first = np.unique(won, return_index=True)
        out.append(won[np.sort(first)])
    return out


def weighted_precedence(seqs: list, weights: np.ndarray, n: int) -> np.ndarray:
    """``sum_u w_u [i before j in u's trail]``, rescaled to the unweighted total of pairs."""
    P = np.zeros((n, n))
    pairs = weighted = 0.0
    for seq, w in zip(seqs, weights):
        k = len(seq)
        if k < 2:
            continue
        P[np.ix_(seq, seq)] += w * np.triu(np.ones((k, k)), 1)
        pairs += k * (k - 1) / 2
        weighted += w * k * (k - 1) / 2
    return P * (pairs / weighted) if weighted > 0 else P


def agreement(seqs: list, P: np.ndarray, own: np.ndarray, *, order=None, z_min: float = 1.0) -> np.ndarray:
    """(agree, disagree) per learner: pairs of the trail placed as the consensus places them, and against.

    ``order`` given: the consensus is that order (every pair of the trail counts). Otherwise the consensus is
    the sign of the precedence z-score ``(P_ij - P_ji) / sqrt(P_ij + P_ji + 1)`` with the learner's own pairs
    (``own[u]`` each, the learner's weight in ``P``) taken out, counted where ``|z| >= z_min``.
    """
    out = np.zeros((len(seqs), 2))
    pos = None
    if order is not None:
        pos = np.empty(len(order), dtype=np.int64)
        pos[np.asarray(order)] = np.arange(len(order))
    for u, seq in enumerate(seqs):
        k = len(seq)
        if k < 2:
            continue
        upper = np.triu(np.ones((k, k), dtype=bool), 1)
        if pos is not None:
            before = pos[seq][:, None] < pos[seq][None, :]
            out[u] = before[upper].sum(), (~before)[upper].sum()
            continue
        sub = P[np.ix_(seq, seq)] - own[u] * upper
        sub = np.maximum(sub, 0.0)
        z = (sub - sub.T) / np.sqrt(sub + sub.T + 1.0)
        zu = z[upper]
        out[u] = (zu >= z_min).sum(), (zu <= -z_min).sum()
    return out


def vote_weights(counts: np.ndarray, *, prior: float, form: str) -> np.ndarray:
    """Reliability weights from (agree, disagree) counts, shrunk towards the pooled agreement rate."""
    agree, disagree = counts[:, 0], counts[:, 1]
    total = agree + disagree
    rate = agree.sum() / max(total.sum(), 1.0)
    p = (agree + prior * rate) / (total + prior)
    p = np.clip(p, 1e-6, 1 - 1e-6)
    w = np.log(p / (1 - p)) if form == "logit" else 2 * p - 1
    return np.maximum(w, 0.0)


def reliability_precedence(model, *, consensus: str = "pairs", iterations: int = 2, prior: float = 10.0,
                           form: str = "logit", z_min: float = 1.0, seqs=None):
    """The colony's precedence re-weighted by learner reliability, iterated; returns (P, weights)."""
    seqs = trails(model) if seqs is None else seqs
    n = len(model.items_)
    weights = np.ones(len(seqs))
    P = weighted_precedence(seqs, weights, n)
    for _ in range(iterations):
        scale = _scale(seqs, weights)
        if consensus == "path":
            order = solve_lop(with_precedence(model, P), rng=0).order
            counts = agreement(seqs, P, weights * scale, order=order)
        else:
            counts = agreement(seqs, P, weights * scale, z_min=z_min)
        weights = vote_weights(counts, prior=prior, form=form)
        P = weighted_precedence(seqs, weights, n)
    return P, weights


def _scale(seqs, weights) -> float:
    """The factor :func:`weighted_precedence` rescales by (so a learner's own share of ``P`` is known)."""
    k = np.array([len(s) for s in seqs], dtype=np.float64)
    pairs = k * (k - 1) / 2
    weighted = float((weights * pairs).sum())
    return float(pairs.sum()) / weighted if weighted > 0 else 1.0


def with_precedence(model, P) -> np.ndarray:
    """:func:`path_evidence` of the colony with ``precedence_`` replaced by ``P`` (no reliability on top)."""
    return path_evidence(_Weighted(model, P), reliability=False)


def wilson_evidence(model, z: float, count: bool) -> np.ndarray:
    """Pair-confidence shrinkage: ``max(L - 1/2, 0)`` (times ``n`` when ``count``) with ``L`` the Wilson lower
    bound of the share i-before-j, rescaled to the default precedence evidence's total; the pairs without
    precedence keep the default's failure evidence and depth prior."""
    P = np.asarray(model.precedence_, dtype=np.float64)
    n = P + P.T
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, P / n, 0.5)
        centre = p + z * z / (2 * n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = np.where(n > 0, (centre - half) / (1 + z * z / n), 0.0)
    margin = np.maximum(low - 0.5, 0.0) * (n if count else 1.0)
    np.fill_diagonal(margin, 0.0)
    base = precedence_evidence(model)
    margin *= base.sum() / margin.sum() if margin.sum() > 0 else 1.0
    return margin + (path_evidence(model, reliability=False) - base)


# ------------------------------------------------------------------------------------------------ variants
def _reliability(**kw):
    return lambda model, seqs: with_precedence(model, reliability_precedence(model, seqs=seqs, **kw)[0])


#: name -> evidence matrix of a colony (given its trails); the first is the default path evidence
VARIANTS = {
    "path evidence before (no reliability)": lambda model, seqs: path_evidence(model, reliability=False),
    "reliability, pairs z>=1, logit, prior 10, x1": _reliability(iterations=1),
    "reliability, pairs z>=1, logit, prior 10, x2": _reliability(iterations=2),
    "reliability, pairs z>=1, logit, prior 10, x3": _reliability(iterations=3),
    "reliability, pairs z>=2, logit, prior 10, x2": _reliability(z_min=2.0),
    "reliability, pairs z>=1, 2p-1, prior 10, x2": _reliability(form="linear"),
    "reliability, pairs z>=1, logit, prior 50, x2": _reliability(prior=50.0),
    "reliability, path, logit, prior 10, x2": _reliability(consensus="path"),
    "poem: reliability on every colony": lambda model, seqs: path_evidence(model, reliability=True),
    "poem: reliability on viewing colonies (new default)": lambda model, seqs: path_evidence(model),
    "wilson share z=1": lambda model, seqs: wilson_evidence(model, 1.0, False),
    "wilson count z=1": lambda model, seqs: wilson_evidence(model, 1.0, True),
}


def respects(model, truth, names, lop_seeds=(0,)) -> dict:
    """(variant, LOP seed) -> respect of the LOP path on the variant's evidence."""
    seqs = trails(model)
    out = {}
    for v in names:
        W = VARIANTS[v](model, seqs)
        for s in lop_seeds:
            out[v, s] = evaluate([str(model.items_[k]) for k in solve_lop(W, rng=s).order], truth)["respect"]
    return out


def _pair_share(seqs, before: np.ndarray) -> np.ndarray:
    """Per learner, the share of the trail's pairs ``(i, j)`` (i first) with ``before[i, j]`` among the pairs
    with ``before`` either way (NaN without any)."""
    out = np.full(len(seqs), np.nan)
    for u, seq in enumerate(seqs):
        k = len(seq)
        if k < 2:
            continue
        upper = np.triu(np.ones((k, k), dtype=bool), 1)
        sub = before[np.ix_(seq, seq)]
        right, wrong = sub[upper].sum(), sub.T[upper].sum()
        if right + wrong:
            out[u] = right / (right + wrong)
    return out


def diagnostic_row(name, colony, model, truth, browse) -> dict:
    """Does the reliability weight track a learner's true accuracy, or only agreement with the browse order?

    True accuracy: the share of the learner's trail pairs that are ancestor pairs of the true graph placed
    the right way. Browse agreement: the share placed as the mean first-view rank (the majority browse order)
    places them. Also the Kendall tau of the path with that browse order, default and weighted."""
    from scipy.stats import kendalltau, spearmanr

    seqs = trails(model)
    n = len(model.items_)
    graph = true_graph(model, truth)
    ancestor = np.zeros((n, n), dtype=bool)
    for a, b in nx.transitive_closure_dag(graph).edges:
        ancestor[a, b] = True
    index = {str(x): k for k, x in enumerate(model.items_)}
    rank = np.empty(n)
    rank[[index[x] for x in browse]] = np.arange(n)
    acc = _pair_share(seqs, ancestor)
    agree = _pair_share(seqs, rank[:, None] < rank[None, :])
    P, w = reliability_precedence(model, seqs=seqs)
    ok = ~np.isnan(acc) & ~np.isnan(agree) & (np.array([len(s) for s in seqs]) >= 3)
    default = solve_lop(path_evidence(model, reliability=False), rng=0).order
    weighted = solve_lop(with_precedence(model, P), rng=0).order
    r_wa, r_wb, r_ab = (spearmanr(x[ok], y[ok])[0] for x, y in ((w, acc), (w, agree), (acc, agree)))
    return {"scenario": name, "colony": colony, "learners": int(ok.sum()),
            "zero weight %": 100 * float((w == 0).mean()),
            "rho(w, true accuracy)": r_wa, "rho(w, browse agreement)": r_wb,
            "rho(true accuracy, browse agreement)": r_ab,
            # the part of the weight's link to true accuracy that browse agreement does not explain
            "partial rho(w, true accuracy | browse)": (r_wa - r_wb * r_ab) / np.sqrt((1 - r_wb ** 2) * (1 - r_ab ** 2)),
            "tau(path, browse), default": kendalltau(rank[default], np.arange(n))[0],
            "tau(path, browse), weighted": kendalltau(rank[weighted], np.arange(n))[0]}


def scenario_rows(name, kw, seed, names, lop_seeds=(0,), diagnose=False) -> tuple[list, list]:
    vc = simulate_viewing(seed=seed, **kw)
    traces = vc.to_traces()
    truth = vc.truth
    base = [evaluate(baseline_path(traces, b), truth)["respect"] for b in ("popularity", "first_view_rank")]
    best = max(base + [evaluate(last_view_rank(traces), truth)["respect"]])
    browse = baseline_path(traces, "first_view_rank").items
    rows, diags = [], []
    for colony, model in (("viewing", ManHill().fit(traces, catalog=vc.catalog)),
                          ("quiz", ManHill().fit(vc.scored.to_traces()))):
        P = np.asarray(model.precedence_)
        check = weighted_precedence(trails(model), np.ones(int(model.state_.log_bounds.size - 1)), P.shape[0])
        assert np.allclose(check, P), "trails do not reproduce precedence_"
        for (v, s), r in respects(model, truth, names, lop_seeds).items():
            rows.append({"scenario": name, "kind": name.split(",")[0].rsplit(" ", 1)[0],
                         "seed": seed - 100, "lop seed": s, "colony": colony, "variant": v, "respect": r,
                         "best score-free": best, "target": best + 0.15})
        if diagnose:
            diags.append(diagnostic_row(name, colony, model, truth, browse))
    return rows, diags


def path_courses(quick: bool) -> list:
    """The courses of ``bench_paths.py``: the public ones (when present) and its simulated respect courses."""
    out = []
    shared = REPO.parent / "shared" / "benchmark"
    for course in ("course-a", "course-b"):
        if (shared / course).is_dir():
            out.append((course, *load_benchmark(shared / course)))
    sizes = [(30, 300)] if quick else [(60, 800), (120, 3000)]
    for ni, nl in sizes:
        for s in range(1 if quick else 3):
            for base in (1000, 2000):
                sim = simulate_course(n_items=ni, n_learners=nl, seed=base + s)
                out.append((f"sim {ni}/{nl} s{base + s}", sim.to_traces(), sim.truth))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes while iterating")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="scenario seeds (default 0 1 2 3)")
    parser.add_argument("--lop-seeds", type=int, nargs="+", default=[0], help="LOP seeds averaged (default 0)")
    parser.add_argument("--variants", nargs="+", default=None, help="a subset of the variants (names)")
    parser.add_argument("--diagnose", action="store_true", help="the reliability weights against the hidden truth")
    parser.add_argument("--no-courses", action="store_true", help="skip the courses of bench_paths.py")
    parser.add_argument("--csv", default=None, help="save the raw rows to this CSV (and *_courses, *_diag)")
    parser.add_argument("--from-csv", nargs="+", default=None, help="report rows saved by --csv instead of running")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/viewing_reliability.md")
    args = parser.parse_args(argv)
    names = list(VARIANTS) if args.variants is None else ["path evidence before (no reliability)"] + [
        v for v in args.variants if v != "path evidence before (no reliability)"]
    seeds = args.seeds if args.seeds is not None else ([0] if args.quick else [0, 1, 2, 3])
    if args.from_csv:
        table = pd.concat([pd.read_csv(f) for f in args.from_csv], ignore_index=True)
        courses = pd.read_csv(args.from_csv[0].replace(".csv", "_courses.csv"))
        diag_files = [Path(f.replace(".csv", "_diag.csv")) for f in args.from_csv]
        diags = pd.concat([pd.read_csv(f) for f in diag_files if f.exists()] or [pd.DataFrame()], ignore_index=True)
        seeds = sorted(table["seed"].unique().tolist())
    else:
        rows, diag_rows = [], []
        for name, kw, seed in scenarios(args.quick, seeds):
            t0 = time.perf_counter()
            r, d = scenario_rows(name, kw, seed, names, args.lop_seeds, args.diagnose)
            rows.extend(r)
            diag_rows.extend(d)
            print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
        course_rows = []
        for course, traces, truth in ([] if args.no_courses else path_courses(args.quick)):
            for (v, s), r in respects(ManHill().fit(traces), truth, names, args.lop_seeds).items():
                course_rows.append({"course": course, "variant": v, "lop seed": s, "respect": r})
            print(course, "done", flush=True)
        table, courses, diags = pd.DataFrame(rows), pd.DataFrame(course_rows), pd.DataFrame(diag_rows)
        if args.csv:
            table.to_csv(args.csv, index=False)
            courses.to_csv(args.csv.replace(".csv", "_courses.csv"), index=False)
            diags.to_csv(args.csv.replace(".csv", "_diag.csv"), index=False)
    text = report(table, courses, diags, seeds)
    print(text)
    if args.write:
        out = REPO / "benchmarks" / "results" / "viewing_reliability.md"
        lop = sorted(table["lop seed"].unique().tolist())
        command = ("`.venv/bin/python benchmarks/bench_viewing_reliability.py --seeds "
                   + " ".join(map(str, seeds)) + " --lop-seeds " + " ".join(map(str, lop))
                   + (" --diagnose" if len(diags) else "") + " --write`" + (" (--quick)" if args.quick else ""))
        out.write_text(f"# Viewing-only courses: learner reliability and pair shrinkage in the path evidence "
                       f"(issue 16)\n\nProduced by {command} on a 2-core machine.\n\n{text}\n\n{NOTES}",
                       encoding="utf-8")
        print(f"\nwritten {out.relative_to(REPO)}")
    return 0


def report(table: pd.DataFrame, courses: pd.DataFrame, diags: pd.DataFrame, seeds) -> str:
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    names = list(dict.fromkeys(table["variant"]))
    n_lop = table["lop seed"].nunique()
    wide = table.pivot_table(index=["scenario", "kind", "seed", "lop seed", "variant"], columns="colony",
                             values="respect", sort=False).reset_index()
    target = table.drop_duplicates("scenario").set_index("scenario")["target"]
    wide["target"] = wide["scenario"].map(target)
    quiz_default = wide[wide["variant"] == names[0]].set_index(["scenario", "lop seed"])["quiz"]
    wide["margin met"] = (wide["viewing"] >= wide["target"]) / n_lop
    wide["quiz met"] = (wide["quiz"] >= wide["target"]) / n_lop
    wide["gap met"] = (wide["quiz"] - wide["viewing"] <= 0.05) / n_lop
    qd = quiz_default.reindex(pd.MultiIndex.from_frame(wide[["scenario", "lop seed"]])).to_numpy()
    wide["gap met, quiz at default"] = (qd - wide["viewing"].to_numpy() <= 0.05) / n_lop
    groups = [sorted(seeds)[k:k + 2] for k in range(0, len(seeds), 2)]
    lop_text = f"mean over {n_lop} LOP seeds" if n_lop > 1 else "LOP seed 0"
    sections = []
    for group in groups:
        part = wide[wide["seed"].isin(group)]
        summary = part.groupby("variant", sort=False).agg(
            viewing=("viewing", "mean"), quiz=("quiz", "mean"), **{
                c: (c, "sum") for c in ("margin met", "quiz met", "gap met", "gap met, quiz at default")})
        by_kind = part.pivot_table(index="variant", columns="kind", values="viewing", sort=False)
        label = ", ".join(map(str, group))
        sections.append((f"Scenario seeds {label}: mean respect ({lop_text}); scenarios (of "
                         f"{part['scenario'].nunique()}) with viewing >= best score-free + 0.15, quiz likewise, gap "
                         "to quiz <= 0.05 (the quiz colony on the same variant, or on the default)",
                         summary.loc[names].to_string(**fmt)))
        sections.append((f"Scenario seeds {label}: viewing colony mean respect by scenario kind",
                         by_kind.loc[names].to_string(**fmt)))
    for colony in ("viewing", "quiz"):
        per = wide.pivot_table(index="variant", columns="scenario", values=colony, sort=False).loc[names]
        if colony == "viewing":
            per = pd.concat([per, target.to_frame().T[per.columns]])
        sections.append((f"{colony.capitalize()} colony per scenario ({lop_text})"
                         + ("; last column: best score-free + 0.15" if colony == "viewing" else ""),
                         per.T.to_string(**fmt)))
    if len(courses):
        ct = courses.pivot_table(index="variant", columns="course", values="respect", aggfunc="mean",
                                 sort=False).loc[names]
        fall = (ct - ct.iloc[0]).min(axis=1)
        ct["mean"] = ct.mean(axis=1)
        ct["largest fall"] = fall
        sections.append((f"Courses of bench_paths.py (respect, {lop_text}) and the largest fall against the default",
                         ct.T.to_string(**fmt)))
    if len(diags):
        sections.append(("Reliability weights (pairs z>=1, logit, prior 10, x2) against the hidden truth: rank "
                         "correlations over learners with >= 3 items mastered; Kendall tau of the path with the "
                         "browse order (mean first-view rank)", diags.to_string(index=False, **fmt)))
    return "\n\n".join(f"## {title}\n\n```\n{body}\n```" for title, body in sections)


NOTES = """## Notes

- Same simulated courses and colonies as `benchmarks/results/viewing.md` (scenario seeds 0-3, 1 500
  learners; "viewing" = the colony on the viewing log, "quiz" = the same course's quiz scores), respect
  averaged over LOP seeds 0, 1, 2; target = best score-free baseline + 0.15 from the same run. "path
  evidence before" is `path_evidence(model, reliability=False)`, the default before this change. The
  courses of `bench_paths.py`: the public course-a and course-b and its simulated courses (seeds
  1000-1002: its respect table; 2000-2002: its sensitivity table), fitted on scores as there. Run as two
  processes (`--seeds 0 1 --lop-seeds 0 1 2 --diagnose --csv A`, `--seeds 2 3 ... --no-courses --csv B`)
  merged by `--from-csv A B --write`: the same rows as the single command above.
- **Kept (the default now): learner reliability on colonies read from viewing evidence**
  (`poem.ordering.reliability`, used by `poem.paths.path_evidence` when the colony has a history reader, i.e.
  was fitted with a catalogue; `reliability=True/False` forces it). Each learner's first-success pairs weigh
  `max(log(p / (1 - p)), 0)` with `p` their agreement with everyone else's clear pairs (precedence sign test
  |z| >= 1 with the learner's own pairs left out), shrunk with 10 pseudo-pairs to the pooled agreement; two
  re-estimations; the weighted counts rescaled to the same total. Row "poem: reliability on viewing colonies
  (new default)" is that code (same respect as the benchmark's own "pairs z>=1, logit, prior 10, x2" on every
  colony and LOP seed). Viewing colonies: mean respect 0.831 -> 0.852 (seeds 0-1), 0.843 -> 0.851 (seeds 2-3);
  higher on 16 of 20 courses, lower on 4 (-0.002 to -0.016: browse 120 seeds 2 and 3, mixed browse 120 seed 2,
  Junyi seed 3, all still above the target); target met on 5 -> 5 of 10 (seeds 0-1) and 8 -> 9 of 10 (seeds
  2-3: Junyi seed 2, 0.717 -> 0.745 against 0.733), the same counts on each of the three LOP seeds; gap to the
  quiz colony <= 0.05 on 9 -> 9.3 and 9 -> 10 of 10. The quiz colonies and every `bench_paths.py` course are
  unchanged (a scored colony has no history reader): largest change 0.000.
- **Not on every colony** (row "poem: reliability on every colony"): the simulated quiz colonies gain
  (0.840 -> 0.844, 0.843 -> 0.851), but both public courses lose true arcs (course-a 0.960 -> 0.946, 3 of
  its 224; course-b 0.879 -> 0.864, 1 or 2 of 118; lower on each LOP seed) and simulated 120/3000 seed 1001
  0.811 -> 0.799,
  beyond the 0.005 a default may cost. On course-a the arcs lost are pairs of 100 and more learners
  whose right-way counts the weighting lowered (e.g. 130 against 36 -> 110 against 35): the learners who
  order them right are not the ones who agree most with the consensus elsewhere. Every other reliability
  variant measured loses as much there (largest fall -0.013 to -0.014).
- **Not tuned.** The configuration (z >= 1, log-odds vote, prior 10, two iterations) is the central one
  of the brief's "iterate 2-3 times"; its neighbours (one or three iterations, z >= 2, a `2p - 1` vote,
  prior 50, the current LOP path as the consensus over all of a learner's pairs) are within 0.005 of it
  on the viewing means and meet the target on as many scenarios: the gain is the weighting's, not its
  parameters'.
- **Majority browse order.** The weights agree with the majority browse order (rank correlation with a
  learner's agreement with the mean first-view rank 0.80-0.83 on the viewing colonies, mean per kind),
  which itself goes with a learner's true accuracy (share of the trail's ancestor pairs of the true graph in
  the right order; 0.39-0.49): browsing near the syllabus is what a learner who understands does. Given
  browse agreement the weights still track true accuracy (partial rank correlation 0.16-0.41, mean 0.33),
  and the weighted path moves *away* from the browse order, not towards it (Kendall tau with the mean
  first-view rank, viewing colonies: browse 0.256 -> 0.240, Junyi 0.275 -> 0.256, mixed 0.303 -> 0.265,
  no structure 0.186 -> 0.179; lower on 15 of 20). Gains by kind (seeds 0-1 / 2-3): browse +0.026 /
  +0.011, Junyi +0.022 / +0.006, mixed +0.025 / +0.004, no structure +0.004 / +0.009 (near its ceiling:
  0.93-0.98).
- **Rejected: pair-confidence shrinkage** (Wilson lower bound of the share i-before-j instead of the sign
  test; as a share or times the pair's learners). Lower: viewing 0.831 -> 0.820 / 0.827 (seeds 0-1),
  0.843 -> 0.822 / 0.833 (seeds 2-3), target met 5 -> 4 / 3.3 and 8 -> 5.7 / 7; quiz colonies 0.835-0.842
  against 0.840 and 0.843; `bench_paths.py` courses down by up to 0.028 / 0.025. The share form
  compresses the dense pairs (50 against 0 weighs 0.39, 2 against 0 0.17: sparse pairs gain relative
  weight, the opposite of deferring), the count form lets the dense browse-order pairs dominate.
- **Rejected: an observable reliability** (1 - the share of a learner's landed items they later fail on
  again), measured while building this benchmark on the seed-0 viewing colonies (not in the tables): every
  learner gets 1 (after a landing, later visits are reviews, read as no evidence; a complete view the
  learner returns to is scored before the landing), so it weighs nothing.
- **Still short of the target** on seeds 0-1: browse 180 seed 0 (0.775 against 0.801), Junyi seed 0 (0.733
  against 0.752), browse 120 seed 1 (0.908 against 0.947), browse 180 seed 1 (0.753 against 0.782), mixed
  browse 120 seed 1 (0.922 against 0.947); the quiz colony misses four of these five itself.
- Caveats: a colony file saved before the history reader existed loads without it: its path is ordered
  without reliability. `partial_fit` used to drop the reader too (and to leave a new cohort's video visits
  without evidence); it now reads the cohort with the colony's viewing parameters and keeps the reader, so
  the path keeps the weighting (`benchmarks/results/viewing_partial.md`). The figures of
  `viewing.md` and `viewing_ordering.md` predate this change (their viewing-colony path is "path evidence
  before" here).
"""


if __name__ == "__main__":
    sys.exit(main())
