"""Closed-loop man-hill experiment and simulator speed, as tables of ratios measured in the same run.

1. Simulator speed: ``simulate_course`` (all active learners stepped at once with numpy) against a
   per-learner loop of the same model (the obvious implementation), in events per second.
2. Closed loop on a simulated course: per-cohort normalised relative promotion (NRP) of cohorts guided by
   each policy -- none (wandering), random, syllabus, oracle (reads hidden mastery), colony
   (``ManHill.suggest``, partial_fit between cohorts) -- and the target ratios: colony's last cohort
   against unguided learners (target >= 2) and against the oracle (goal >= 0.8).
3. Semet's test: learners needed to correct deliberately wrong arcs of a teacher prior.
4. ``--family``: the scenario family of :mod:`poem.simulation.family` (learner models, graphs, behaviours),
   each with none / oracle / observable ceiling / colony (defaults: calibrated mastery, exploration bonus,
   Thompson sampling) / the variants of ``--compare`` (by default greedy: no bonus, no sampling; and the
   old fixed rule, two passes), and the targets per scenario; plus the time of one ``suggest`` call with a
   60-item history. ``--family chain --chain-steps`` shows how the ``--compare`` colonies spend their
   guided steps on the chain (confirmations, the frontier item, items beyond it), cohort by cohort.

Usage::

    python benchmarks/bench_closed_loop.py [--items 180] [--cohorts 10] [--cohort-size 200] [--follow 0.8]
        [--dropout 1.0] [--seed 0] [--colony-params '{"w_level": 0}'] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poem.simulation import (closed_loop, junyi_graph, make_course, semet_test,  # noqa: E402
                           simulate_course)
from poem.simulation.learners import (DEFAULT_POPULATIONS, _SIG1, FAILURE_DECAY,  # noqa: E402
                                      init_learners, unstructured)
from poem.simulation.policies import ColonyPolicy  # noqa: E402


def evidence_quality(model, course, z_min: float = 2.0) -> pd.DataFrame:
    """How the colony's significant precedence pairs (z > ``z_min``, as ``poem.colony.suggestion`` counts them)
    compare with the true DAG: how many, the share that are ancestor relations, the direct arcs recalled."""
    import networkx as nx

    to_course = course.codes(model.items_)
    P = np.asarray(model.precedence_, dtype=float)
    diff, both = P - P.T, P + P.T
    sig = diff / np.sqrt(both + 1.0) > z_min
    a, b = np.nonzero(sig)
    a, b = to_course[a], to_course[b]
    g = course.graph()
    ancestors = {str(v): nx.ancestors(g, v) for v in g.nodes()}
    items = course.items
    is_anc = np.array([str(items[i]) in ancestors[str(items[j])] for i, j in zip(a, b)], dtype=bool)
    direct = course.prereq[a, b]
    return pd.DataFrame([{"significant pairs": int(sig.sum()),
                          "share that are ancestor relations": float(is_anc.mean()) if len(a) else float("nan"),
                          "direct arcs recalled": float(direct.sum() / max(course.prereq.sum(), 1)),
                          "true direct arcs": int(course.prereq.sum())}])


def md(frame: pd.DataFrame, index: bool = True) -> str:
    """A markdown table without the optional ``tabulate`` dependency."""
    frame = frame.reset_index() if index else frame
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def scalar_peer(course, m, max_steps, rng):
    """The same learner model, one learner at a time (the straightforward implementation)."""
    state = init_learners(m, course, rng, DEFAULT_POPULATIONS)
    prereq = course.prereq
    n_prereq = prereq.sum(axis=0)
    srank = course.syllabus_rank
    scodes = course.codes(course.syllabus)
    logsal = np.log(course.salience)
    events = 0
    for learner in range(m):
        p = {k: v[learner] for k, v in state.params.items()}
        mastered = state.mastered[learner].copy()
        passed = np.zeros(course.n_items, dtype=bool)
        last, failed, failures = -1, False, 0.0
        for _ in range(max_steps):
            ready = (prereq[:, :].T @ mastered.astype(int) == n_prereq) & ~mastered
            util = logsal + ~passed + p["insight"] * ready
            if last >= 0:
                util = util + p["browse"] * np.exp(-np.abs(srank - srank[last] - 1) / 2.0)
            j = int(np.argmax(util + rng.gumbel(size=course.n_items)))
            if rng.random() < p["syllabus_follow"]:
                j = int(scodes[np.argmax(~passed[scodes])])
            if last >= 0 and failed and rng.random() < p["retry"]:
                j = last
            gate = mastered[prereq[:, j]].all()
            pl = p["learn_rate"] / (1 + np.exp(-(state.ability[learner] - course.difficulty[j] + 1))) / _SIG1
            if not mastered[j] and gate and rng.random() < pl:
                mastered[j] = True
            score = rng.random() < (1 - course.slip[j] if mastered[j] else course.guess[j])
            passed[j] |= score
            failures = failures * FAILURE_DECAY + (not score)
            last, failed = j, not score
            events += 1
            if rng.random() < p["dropout_base"] + p["dropout_per_failure"] * failures or mastered.all():
                break
    return events


def speed_table(n_items, seed):
    rows = []
    t = time.perf_counter()
    sim = simulate_course(n_items=n_items, n_learners=5000, seed=seed)
    t_vec = time.perf_counter() - t
    ev_vec = len(sim.traces)
    m_peer = 300
    t = time.perf_counter()
    ev_peer = scalar_peer(sim.course, m_peer, int(1.6 * n_items), np.random.default_rng(seed))
    t_peer = time.perf_counter() - t
    rows.append({"run": f"simulate_course 5000 learners x {n_items} items", "events": ev_vec,
                 "seconds": round(t_vec, 2), "events_per_s": round(ev_vec / t_vec)})
    rows.append({"run": f"per-learner loop (peer), {m_peer} learners", "events": ev_peer,
                 "seconds": round(t_peer, 2), "events_per_s": round(ev_peer / t_peer)})
    table = pd.DataFrame(rows)
    ratio = (ev_vec / t_vec) / (ev_peer / t_peer)
    return table, ratio


def closed_loop_table(course, args, colony_params):
    tables = {}
    timing = {}
    policies = ["none", "random", "syllabus", "oracle", "graph", "path", "colony"]
    for policy in policies:
        t = time.perf_counter()
        options = dict(n_cohorts=args.cohorts, cohort_size=args.cohort_size, seed=args.seed,
                       follow_prob=args.follow, dropout=args.dropout, step_budget=args.budget,
                       populations=args.populations)
        if policy == "colony":
            pol = ColonyPolicy(params=colony_params, operator=args.operator, audit=True)
            tables[policy] = closed_loop(course, pol, **options)
            timing["suggest_calls"] = pol.suggest_calls
            timing["audit"] = pol.audit_frame()
            timing["evidence"] = evidence_quality(pol.model, course)
        elif policy == "path":
            # the naive use of a colony: first unpassed item of its learned (LOP) order
            tables[policy] = closed_loop(course, policy, method="lop", **options)
        else:
            tables[policy] = closed_loop(course, policy, **options)
        timing[policy] = time.perf_counter() - t
    nrp = pd.DataFrame({p: t["NRP"] for p, t in tables.items()})
    nrp.index.name = "cohort"
    return tables, nrp, timing


ABLATIONS = [
    {},
    {"w_level": 0.0},
    {"exploration": 0.0},
    {"w_level": 0.0, "exploration": 0.0},
    {"w_precedence": 3.0},
    {"w_plus": 2.0, "w_minus": 2.0},
    {"w_level": 0.3, "exploration": 0.05, "w_plus": 2.0, "w_minus": 2.0},
]


OPERATORS = ["greedy", "tournament", "roulette", "ranking"]

#: colony variants: (ManHill parameters, harness options). The first rows undo what ``suggest`` now does
#: itself (mastery at the second success, the expected-gain product) to show what each brings; the last
#: uses the conditional-success readiness instead of the precedence share, the very last turns off the
#: remediation bonus (after a failure, j's likely missing prerequisites).
VARIANTS = [({}, {}),
            ({"mastery_successes": 1, "combine": "sum"}, {}),
            ({"mastery_successes": 1}, {}),
            ({"combine": "sum"}, {}),
            ({"readiness": "conditional"}, {}),
            ({"w_remediate": 0.0}, {})]


def ablation_table(course, args):
    """The colony policy under other ManHill suggestion weights, or other selection operators."""
    runs = []
    if args.ablation in ("weights", "all"):
        runs += [(params, args.operator, {}) for params in ABLATIONS]
    if args.ablation in ("operators", "all"):
        runs += [({}, op, {}) for op in OPERATORS]
    if args.ablation in ("variants", "all"):
        runs += [(p, args.operator, v) for p, v in VARIANTS]
    rows = []
    for params, operator, variant in runs:
        pol = ColonyPolicy(params=params, operator=operator, **variant)
        t = closed_loop(course, pol, n_cohorts=args.cohorts, cohort_size=args.cohort_size, seed=args.seed,
                        follow_prob=args.follow, dropout=args.dropout, step_budget=args.budget,
                        populations=args.populations)
        rows.append({"params": json.dumps(params) if params else "defaults", "operator": operator,
                     "harness": json.dumps(variant) if variant else "-",
                     "NRP cohort 1": t["NRP"].iloc[min(1, len(t) - 1)], "NRP last": t["NRP"].iloc[-1],
                     "ready_share last": t["ready_share"].iloc[-1]})
    return pd.DataFrame(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=180)
    ap.add_argument("--cohorts", type=int, default=10)
    ap.add_argument("--cohort-size", type=int, default=200)
    ap.add_argument("--budget", type=int, default=None, help="steps per learner (default: items)")
    ap.add_argument("--follow", type=float, default=0.8)
    ap.add_argument("--dropout", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--operator", default="greedy")
    ap.add_argument("--colony-params", default="{}", help="ManHill parameters as JSON")
    ap.add_argument("--scenario", choices=["default", "unstructured"], default="default",
                    help="unstructured: nobody browses or follows the syllabus (a course shown without order)")
    ap.add_argument("--graph", choices=["random", "junyi"], default="random",
                    help="junyi: a down-closed part of the Junyi Academy expert graph (data/junyi)")
    ap.add_argument("--insight", type=float, default=None,
                    help="override every population's sense of readiness (unguided learners' skill)")
    ap.add_argument("--semet-wrong", type=int, default=5)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--ablation", choices=["weights", "operators", "variants", "all"], default=None,
                    help="also run the colony under other suggestion weights and/or selection operators")
    ap.add_argument("--skip-policies", action="store_true",
                    help="skip the policy comparison and Semet's test (e.g. to run only an ablation)")
    ap.add_argument("--quick", action="store_true", help="40 items, 4 cohorts of 100 (for iterating)")
    args = ap.parse_args(argv)
    if args.quick:
        args.items, args.cohorts, args.cohort_size = 40, 4, 100
    colony_params = json.loads(args.colony_params)
    if args.scenario == "unstructured":
        args.populations = unstructured(insight=args.insight)
    else:
        from dataclasses import replace
        args.populations = tuple(replace(p, **({} if args.insight is None else {"insight": args.insight}))
                                 for p in DEFAULT_POPULATIONS)
    print(f"command: python benchmarks/bench_closed_loop.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    if not args.skip_speed:
        table, ratio = speed_table(args.items, args.seed)
        print("\n## Simulator speed\n")
        print(md(table, index=False))
        print(f"\nvectorised / per-learner loop, events per second: {ratio:.1f}x")
    course = make_course(args.items, rng=np.random.default_rng([args.seed, 99]),
                         graph=junyi_graph() if args.graph == "junyi" else None)
    if args.skip_policies:
        if args.ablation:
            print(f"\n## Colony ablation ({args.ablation}): {args.items} items, {args.cohorts} cohorts x "
                  f"{args.cohort_size}, scenario {args.scenario}, insight {args.insight}, dropout x{args.dropout}\n")
            print(md(ablation_table(course, args).round(3), index=False))
        return
    tables, nrp, timing = closed_loop_table(course, args, colony_params)
    print(f"\n## Closed loop: {args.items} items, {args.cohorts} cohorts x {args.cohort_size} learners, "
          f"budget {args.budget or args.items} steps, follow {args.follow}, dropout x{args.dropout}, "
          f"{args.graph} graph ({int(course.prereq.sum())} arcs), scenario {args.scenario}, insight {args.insight if args.insight is not None else 'default'}, "
          f"colony params {colony_params or 'defaults'}\n")
    print("NRP per cohort:\n")
    print(md(nrp.round(3)))
    last = nrp.iloc[-1]
    none = nrp["none"].mean()
    oracle = nrp["oracle"].mean()
    summary = pd.DataFrame([
        {"quantity": "colony NRP, first guided cohort (1) -> last", "value":
            f"{nrp['colony'].iloc[min(1, len(nrp) - 1)]:.3f} -> {last['colony']:.3f}"},
        {"quantity": "colony last / none (target >= 2)", "value": f"{last['colony'] / none:.2f}"},
        {"quantity": "colony last / oracle (goal >= 0.8)", "value": f"{last['colony'] / oracle:.2f}"},
        {"quantity": "syllabus / none", "value": f"{nrp['syllabus'].mean() / none:.2f}"},
        {"quantity": "oracle / none", "value": f"{oracle / none:.2f}"},
        {"quantity": "graph (true DAG, scores only) / none", "value": f"{nrp['graph'].mean() / none:.2f}"},
        {"quantity": "colony last / graph", "value": f"{last['colony'] / nrp['graph'].mean():.2f}"},
        {"quantity": "random / none", "value": f"{nrp['random'].mean() / none:.2f}"},
        {"quantity": "path (first unpassed of learned LOP order), last / none", "value":
            f"{nrp['path'].iloc[-1] / none:.2f}"},
    ])
    print("\n" + md(summary, index=False))
    detail = pd.DataFrame({p: t.iloc[-1][["final", "steps", "followed", "ready_share", "dropout",
                                          "reached_half", "steps_to_half", "steps_per_item"]]
                           for p, t in tables.items()}).T
    print("\nLast cohort detail (ready_share: attempts on items whose prerequisites were mastered):\n")
    print(md(detail.astype(float).round(3)))
    print("\nseconds per policy: " + ", ".join(f"{p} {timing[p]:.1f}" for p in tables)
          + f"; colony suggest() calls: {timing['suggest_calls']} "
          f"({timing['colony'] / max(timing['suggest_calls'], 1) * 1e6:.0f} us per call incl. stepping)")
    audit = timing["audit"]
    last_audit = audit[audit["cohort"] == audit["cohort"].max()]
    if len(last_audit):
        print("\n## Colony suggestions of the last cohort, by the learner's hidden state of the item\n")
        share = pd.crosstab(last_audit["dominant_term"], last_audit["status"], normalize="all", margins=True)
        print(md(share.round(3)))
        med = last_audit.groupby("status")[["support", "predicted_success", "success_rate"]].median()
        print("\nmedians by state:\n")
        print(md(med.round(3)))
    print("\nColony precedence evidence after the last cohort, against the true DAG:\n")
    print(md(timing["evidence"].round(3), index=False))
    if args.ablation:
        print(f"\n## Colony ablation ({args.ablation})\n")
        print(md(ablation_table(course, args).round(3), index=False))
    t = time.perf_counter()
    semet, summ = semet_test(course, n_wrong=args.semet_wrong, n_cohorts=args.cohorts,
                             cohort_size=max(args.cohort_size // 4, 10), seed=args.seed,
                             follow_prob=args.follow, dropout=args.dropout, step_budget=args.budget,
                             params=colony_params, populations=args.populations)
    print(f"\n## Semet's test: {args.semet_wrong} wrong arcs in the teacher prior, cohorts of "
          f"{max(args.cohort_size // 4, 10)}\n")
    print(md(semet[["cohort", "learners_seen", "wrong_left", "NRP", "ready_share"]].round(3), index=False))
    print(f"\nlearners to correct every wrong arc: {summ['learners_to_correct']}; per arc: {summ['per_mistake']}"
          f" ({time.perf_counter() - t:.1f} s)")


def suggest_speed(seed: int = 0, n_items: int = 180, calls: int = 2000, params=None) -> pd.DataFrame:
    """Time of ``suggest`` with a 60-item history on a colony fitted on 2 000 simulated learners, against
    ``predict_success`` on the same history (its peer: the ELO replay every call also does).
    ``params``: ManHill parameters (default: the defaults)."""
    from poem.antcolony import ManHill

    sim = simulate_course(n_items=n_items, n_learners=2000, seed=seed)
    model = ManHill(**(params or {})).fit(sim.to_traces())
    rng = np.random.default_rng(seed)
    items = [str(x) for x in model.items_]
    hists = [([items[k] for k in rng.integers(0, len(items), 60)], [float(v) for v in rng.random(60) < 0.6])
             for _ in range(50)]
    out = {}
    for label, fn in (("suggest k=1", lambda h, s: model.suggest(h, s, k=1)),
                      ("suggest k=5", lambda h, s: model.suggest(h, s, k=5)),
                      ("predict_success (peer)", lambda h, s: model.predict_success(h, items[0], scores=s))):
        t = time.perf_counter()
        for c in range(calls):
            h, s = hists[c % len(hists)]
            fn(h, s)
        out[label] = (time.perf_counter() - t) / calls * 1e3
    return pd.DataFrame([{"call": k, "ms_per_call": round(v, 3), "x_peer": round(v / out["predict_success (peer)"], 2)}
                         for k, v in out.items()])


def family_variants(args) -> None:
    """Only the colony variants given by ``--variants`` (JSON ``{label: params}``) on the family, with the
    same learners as the full run (same seed): last-cohort and first-guided NRP, to set beside it."""
    from poem.simulation.family import FAMILY, run_scenario

    names = args.family.split(",") if args.family != "all" else [sc.name for sc in FAMILY]
    variants = json.loads(args.variants)
    rows = []
    for sc in FAMILY:
        if sc.name not in names:
            continue
        t = time.perf_counter()
        table = run_scenario(sc, (), n_cohorts=args.cohorts, cohort_size=args.cohort_size, seed=args.seed,
                             follow_prob=args.follow, colony_variants=variants)
        nrp = table.pivot_table(index="cohort", columns="policy", values="NRP")
        row = {"scenario": sc.name}
        for v in variants:
            row[f"{v} first guided"] = float(nrp[v].iloc[1])
            row[f"{v} last"] = float(nrp[v].iloc[-1])
            row[f"{v} last 3"] = float(nrp[v].iloc[-3:].mean())
        row["seconds"] = round(time.perf_counter() - t, 1)
        rows.append(row)
        print(md(pd.DataFrame([row]).round(3), index=False), flush=True)
    print("\n## Variants (last cohort)\n")
    print(md(pd.DataFrame(rows).round(3), index=False))


def family_dependents(args) -> None:
    """Does a first pass predict success on what depends on the item? On the unguided first cohort of
    each scenario (the colony's first traces), dependents' success after one pass of a prerequisite
    against after two or more (``poem.colony.calibration.dependent_success``, true DAG), beside the
    calibration's P(mastered | first pass) and passes asked."""
    from poem.colony.calibration import dependent_success
    from poem.simulation.family import FAMILY

    names = args.family.split(",") if args.family != "all" else [sc.name for sc in FAMILY]
    rows = []
    for sc in FAMILY:
        if sc.name not in names:
            continue
        course = sc.course(args.seed)
        pol = ColonyPolicy()
        closed_loop(course, pol, n_cohorts=1, cohort_size=args.cohort_size, seed=args.seed, **sc.options())
        model, st = pol.model, pol.model.state_
        codes = course.codes(model.items_)
        dep = course.prereq[np.ix_(codes, codes)].astype(bool)
        d = dependent_success(st.log_item, st.log_score, st.log_bounds, len(codes), dep)
        cal = model.calibration_
        need = np.bincount(cal.successes_needed, minlength=4)
        rows.append({"scenario": sc.name,
                     "after one pass": (d.after_one * d.n_one).sum() / d.n_one.sum(), "attempts": int(d.n_one.sum()),
                     "after >= 2 passes": (d.after_confirmed * d.n_confirmed).sum() / d.n_confirmed.sum(),
                     "attempts ": int(d.n_confirmed.sum()), "P(mastered | first pass)": cal.course_pass_value,
                     "items at 1/2/3 passes": f"{need[1]}/{need[2]}/{need[3]}"})
    print(md(pd.DataFrame(rows).round(3), index=False))


def _cohort(args, course, opts, c, t0):
    """Cohort ``c``'s learners, arriving over two days of week ``c`` after ``t0``, and the generator of
    their steps: the streams ``closed_loop`` draws (seeded by ``(seed, c)``), so that the diagnostics below
    see the learners of the family run."""
    lr, sr = np.random.default_rng([args.seed, c]), np.random.default_rng([args.seed, c, 1])
    arrivals = t0 + int(c * 7 * 86400) + (lr.random(args.cohort_size) * 86400 * 2).astype(np.int64)
    state = init_learners(args.cohort_size, course, lr, opts["populations"], start_clock=arrivals,
                          model=opts["learner_model"])
    return state, sr


def chain_steps(args) -> None:
    """How the colony's guided steps are spent on the chain, per cohort (hidden state, same learners as
    ``run_scenario``): the chain prefix mastered at the end, the share of guided steps on mastered items
    (confirmations), on the frontier item (the first unmastered), 1-3 and more than 3 items beyond it;
    the consecutive links with significant precedence in the colony after the cohort; the mean passes
    the calibration asks. The steps beyond the frontier are split by what the colony believed when it
    suggested them (from the learner's scores, ``mastered_items``): "believed mastered", the colony
    counts the frontier item as mastered (a guessed pass: mastered items are never suggested again, so
    the learner is sent on until a wandering step happens to fix it); "at the colony's edge", the
    colony counts the item before the frontier as mastered and the frontier item as never passed (the
    learner stands where the colony must find the next item); "other", the rest (the frontier item
    passed but not yet confirmed, or an earlier item not yet counted as mastered).
    ``--compare`` gives the colonies (JSON ``{label: ManHill params}``)."""
    from poem.colony.suggestion import mastered_items, precedence_strength
    from poem.simulation.engine import run_learners, to_epoch_seconds
    from poem.simulation.family import scenario
    from poem.simulation.learners import init_learners

    sc = scenario("chain")
    course = sc.course(args.seed)
    opts = sc.options()
    n = course.n_items
    order = course.codes(list(course.true_order))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    t0 = to_epoch_seconds("2024-01-08")
    for label, params in json.loads(args.compare).items():
        pol = ColonyPolicy(params=params)
        rows = []
        for c in range(args.cohorts):
            state, sr = _cohort(args, course, opts, c, t0)
            pol.start_cohort(course, state)
            cur = state.mastered.copy()    # on arrival; replayed step by step below
            rec = run_learners(state, course, sr, max_steps=n, recommend=pol.recommend, follow_prob=args.follow,
                               dropout=opts["dropout"], observe=pol.observe)
            row = {"cohort": c}
            mc = state.mastered[:, order]
            row["prefix at the end"] = float(np.where(mc.all(1), n, np.argmin(mc, axis=1)).mean())
            if pol.model is not None:
                offs, why = [], []
                tables, to_colony = pol.model._tables, pol._from_course
                seen = [([], []) for _ in range(args.cohort_size)]   # each learner's history, step by step
                for r, it, after, guided, score in zip(rec["row"], rec["item"], rec["after"], rec["guided"],
                                                       rec["score"]):
                    prefix = cur[r][order]
                    f = n if prefix.all() else int(np.argmin(prefix))
                    if guided:
                        offs.append(pos[it] - f)
                        if pos[it] > f:
                            codes, scores = seen[r]
                            mastered, _, passes = mastered_items(tables, codes, scores)
                            front = to_colony[order[f]]
                            before = to_colony[order[f - 1]] if f > 0 else None
                            if front in mastered:
                                why.append("believed")
                            elif front not in passes and (before is None or before in mastered):
                                why.append("edge")
                            else:
                                why.append("other")
                    seen[r][0].append(int(to_colony[it]))
                    seen[r][1].append(float(score))
                    cur[r, it] = after
                offs, why = np.asarray(offs), np.asarray(why)
                steps = max(len(offs), 1)
                row.update({"on mastered": (offs < 0).mean(), "frontier": (offs == 0).mean(),
                            "1-3 beyond": ((offs >= 1) & (offs <= 3)).mean(), "> 3 beyond": (offs > 3).mean(),
                            "beyond, believed mastered": (why == "believed").sum() / steps,
                            "beyond, at the colony's edge": (why == "edge").sum() / steps,
                            "beyond, other": (why == "other").sum() / steps})
            pol.end_cohort(pd.DataFrame({
                "learner": np.array([f"c{c:03d}-{k:05d}" for k in range(args.cohort_size)], dtype=object)[rec["row"]],
                "item": course.items[rec["item"]].astype(object),
                "timestamp": pd.to_datetime(rec["clock"], unit="s", utc=True), "score": rec["score"]}))
            E = precedence_strength(pol.model.precedence_)
            code = {str(it): k for k, it in enumerate(pol.model.items_)}
            chain = [code[str(course.items[k])] for k in order]
            row["links known"] = int(sum(E[a, b] > 0 for a, b in zip(chain, chain[1:])))
            row["passes asked"] = float(pol.model.calibration_.successes_needed[chain].mean())
            rows.append(row)
        print(f"\n## {label}\n")
        print(md(pd.DataFrame(rows).round(3), index=False), flush=True)


def _true_posteriors(rec) -> dict:
    """From one cohort's hidden record: the share mastered right after the k-th consecutive pass from a
    learner's first pass at an item (k = 1, 2, 3), over every such pass and split by whether the learner
    was ready (every prerequisite mastered) at the first pass."""
    f = pd.DataFrame({"row": rec["row"], "item": rec["item"], "step": rec["step"], "ok": rec["score"] >= 0.5,
                      "after": rec["after"], "gate": rec["gate"]}).sort_values(["row", "item", "step"], kind="stable")
    key = [f["row"], f["item"]]
    f["passes"] = f["ok"].groupby(key).cumsum()
    f["first_pass"] = f["ok"] & (f["passes"] == 1)
    since = f["first_pass"].groupby(key).cumsum() > 0
    f["fails_since"] = (~f["ok"] & since).groupby(key).cumsum()
    f["ready"] = f["gate"].where(f["first_pass"]).groupby(key).transform("max")
    out = {}
    for k in (1, 2, 3):
        at = f[f["ok"] & (f["passes"] == k) & (f["fails_since"] == 0)]
        out[f"after {k}"] = float(at["after"].mean()) if len(at) else float("nan")
        out[f"n {k}"] = len(at)
        for label, sel in (("ready", at["ready"] == 1), ("unready", at["ready"] == 0)):
            out[f"after {k} ({label})"] = float(at["after"][sel].mean()) if sel.any() else float("nan")
    return out


def calibration_truth(args) -> None:
    """What a pass is really worth, against what the calibration says, cohort by cohort (hidden state,
    the same learners as ``run_scenario``, the default colony guiding from cohort 1): the true share
    mastered after 1, 2, 3 consecutive passes (all, and for learners ready / not ready at their first
    pass), beside the calibration that guided the cohort (fitted on the cohorts before it): its
    P(mastered | first pass) and how many items it asks 1, 2, 3 passes for."""
    from poem.simulation.engine import run_learners, to_epoch_seconds
    from poem.simulation.family import FAMILY
    from poem.simulation.learners import init_learners

    names = args.family.split(",") if args.family != "all" else [sc.name for sc in FAMILY]
    t0 = to_epoch_seconds("2024-01-08")
    rows = []
    for sc in FAMILY:
        if sc.name not in names:
            continue
        course, opts = sc.course(args.seed), sc.options()
        pol = ColonyPolicy()
        for c in range(args.cohorts):
            state, sr = _cohort(args, course, opts, c, t0)
            pol.start_cohort(course, state)
            row = {"scenario": sc.name, "cohort": c}
            if pol.model is not None:
                cal = pol.model.calibration_
                need = np.bincount(cal.successes_needed, minlength=4)
                row.update({"calibration P(M | 1st pass)": cal.course_pass_value,
                            "items at 1/2/3": f"{need[1]}/{need[2]}/{need[3]}"})
            rec = run_learners(state, course, sr, max_steps=course.n_items,
                               recommend=pol.recommend if pol.guides else None, follow_prob=args.follow,
                               dropout=opts["dropout"], observe=pol.observe)
            row.update(_true_posteriors(rec))
            rows.append(row)
            pol.end_cohort(pd.DataFrame({
                "learner": np.array([f"c{c:03d}-{k:05d}" for k in range(args.cohort_size)], dtype=object)[rec["row"]],
                "item": course.items[rec["item"]].astype(object),
                "timestamp": pd.to_datetime(rec["clock"], unit="s", utc=True), "score": rec["score"]}))
        print(md(pd.DataFrame([r for r in rows if r["scenario"] == sc.name]).round(3), index=False), "\n", flush=True)


def family_main(args) -> None:
    from poem.simulation.family import FAMILY, run_scenario, summarise

    if args.variants:
        return family_variants(args)
    if args.dependents:
        return family_dependents(args)
    if args.chain_steps:
        return chain_steps(args)
    if args.calibration_truth:
        return calibration_truth(args)
    if args.suggest_speed:
        # the default and each --compare colony, alternated three times (best of three: the machine is shared)
        runs = {"default": {}, **json.loads(args.compare)}
        best = {}
        for _ in range(3):
            for label, params in runs.items():
                t = suggest_speed(args.seed, calls=1000, params=params).set_index("call")["ms_per_call"]
                best[label] = t if label not in best else np.minimum(best[label], t)
        print(md(pd.DataFrame(best).round(3)))
        return None
    names = args.family.split(",") if args.family != "all" else [sc.name for sc in FAMILY]
    variants = json.loads(args.compare)
    print(f"# Closed-loop scenario family: {args.cohorts} cohorts of {args.cohort_size}, seed {args.seed}, "
          f"follow {args.follow}\n")
    rows, curves = [], []
    for sc in FAMILY:
        if sc.name not in names:
            continue
        t = time.perf_counter()
        table = run_scenario(sc, ("none", "oracle", "graph", "colony"), n_cohorts=args.cohorts,
                             cohort_size=args.cohort_size, seed=args.seed, follow_prob=args.follow,
                             colony_variants=variants)
        row = {"scenario": sc.name, "model": sc.model.kind + (f"+forget {sc.model.forgetting}"
                                                              if sc.model.forgetting else ""),
               "graph": sc.graph, "behaviour": sc.behaviour, "n": sc.n_items, **summarise(table)}
        for v in variants:
            row[v] = summarise(table, v)["colony"]
        row["ceiling_is_oracle"] = sc.ceiling_is_oracle
        row["seconds"] = round(time.perf_counter() - t, 1)
        rows.append(row)
        nrp = table.pivot_table(index="cohort", columns="policy", values="NRP")
        nrp.insert(0, "scenario", sc.name)
        curves.append(nrp.reset_index())
        print(f"## {sc.name}\n\n{md(nrp.drop(columns='scenario').round(3))}\n", flush=True)
    summary = pd.DataFrame(rows)
    print("## Summary (last cohort)\n")
    print(md(summary.round(3), index=False))
    ok = summary.assign(
        ceiling_ok=summary["of_ceiling"] >= 0.9,
        oracle_ok=np.where(summary["ceiling_is_oracle"], summary["of_oracle"] >= 0.7, True),
        x_none_ok=summary["x_none"] >= 2.5)
    print("\n## Targets met\n")
    print(md(ok[["scenario", "ceiling_ok", "oracle_ok", "x_none_ok", "never_below_none", "rising"]], index=False))
    if args.family_csv:
        pd.concat(curves, ignore_index=True).to_csv(args.family_csv, index=False)
    print("\n## suggest speed (60-item history, 180-item colony fitted on 2 000 learners)\n")
    print(md(suggest_speed(args.seed), index=False))


if __name__ == "__main__":
    if "--family" in sys.argv:
        fp = argparse.ArgumentParser(description="closed-loop scenario family")
        fp.add_argument("--family", default="all", help="comma-separated scenario names, or all")
        fp.add_argument("--cohorts", type=int, default=8)
        fp.add_argument("--cohort-size", type=int, default=200)
        fp.add_argument("--seed", type=int, default=0)
        fp.add_argument("--follow", type=float, default=0.8)
        fp.add_argument("--family-csv", default=None, help="write the per-cohort NRP curves here")
        fp.add_argument("--compare", default='{"greedy": {"exploration": 0.0, "sampling": "none"}, '
                        '"fixed2": {"mastery_successes": 2}}',
                        help="JSON {label: ManHill params}: colony variants run beside the default")
        fp.add_argument("--variants", default=None,
                        help="JSON {label: ManHill params}: run only these colony variants on the family")
        fp.add_argument("--suggest-speed", action="store_true",
                        help="only the suggest timing, for the default and the --compare colonies (best of 3)")
        fp.add_argument("--chain-steps", action="store_true",
                        help="how the --compare colonies spend their guided steps on the chain, per cohort")
        fp.add_argument("--calibration-truth", action="store_true",
                        help="true P(mastered) after 1-3 passes (ready / not) against the calibration, per cohort")
        fp.add_argument("--dependents", action="store_true",
                        help="dependents' success after one pass against after two, on the first cohort")
        family_main(fp.parse_args())
    else:
        main()
