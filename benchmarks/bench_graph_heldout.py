"""Held-out check of the contrast graph: its defaults on learner behaviours they were not chosen on.

Run from the repository root::

    .venv/bin/python benchmarks/bench_graph_heldout.py [--quick] [--write]

The defaults of :class:`~poem.ordering.contrast.ContrastGraph` were chosen on the scenario family of
``benchmarks/bench_graph.py``. The project's rule is that other learner models will judge the same code,
so this benchmark keeps the defaults fixed and changes the learners, with the held-out behaviours of
:func:`poem.simulation.scenarios.simulate_scenario` (off in the family):

- ``topic``: topic-correlated ability, 5 topics as contiguous blocks of the hidden order (on the Junyi
  graph, its own 9 topics), per-topic ability offset of sd 1.0 (the strong end of a plausible 0.7-1) -- a
  confounder: success on two items of a
  topic correlates with no prerequisite between them;
- ``topic_random``: the same with 5 topics drawn at random (a topic is not a stretch of the course;
  1 000 learners only, to keep the run under half an hour);
- ``noisy``: per-item guess rates drawn in [0.15, 0.35] and slip rates in [0.05, 0.2] (the family: 0.15
  and 0.1 everywhere);
- ``review``: at each step a learner re-attempts one of their passed items with probability 0.15;
- ``all``: the three together (topics as in ``topic``);
- ``none``: the family's own learners on the same graphs, seeds and sizes (the reference).

on the ``local``, ``junyi`` and ``wide`` graphs, the ``bkt`` and ``first_success`` learner models, 1 000
and 3 000 learners and two seeds (``--quick``: 1 000 learners, seed 0). For each course: the contrast
graph at its defaults (``min_confidence`` 0.7) and at the report's 0.8 (one fit), the same with
``level=True`` (the learner's level held fixed), and the two sparse-logistic floors of
``bench_graph.py`` (its :func:`floor_graphs`). Precision, recall and F1 against the direct arcs,
precision against the transitive closure, and what the wrong arcs of the contrast graph are: indirect
prerequisites, reversed (j is a prerequisite of i, directly or not), or unrelated (same topic or not).

``--write`` writes ``benchmarks/results/graph_heldout.md`` (the notes there are written by hand, after
reading the tables: they are kept from the existing file, below its ``## Reading`` heading).
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

from bench_graph import floor_graphs, markdown  # noqa: E402
from poem.ordering.contrast import ContrastGraph  # noqa: E402
from poem.ordering.evaluation import graph_scores  # noqa: E402
from poem.simulation.scenarios import simulate_scenario  # noqa: E402
from poem.traces import Traces  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "graph_heldout.md"

_TOPIC = {"topics": 5, "topic_sd": 1.0}
_NOISY = {"guess": (0.15, 0.35), "slip": (0.05, 0.2)}
_REVIEW = {"review": 0.15}

#: the held-out behaviours (``none``: the family's learners, the reference)
BEHAVIOURS = {
    "none": {},
    "topic": _TOPIC,
    "topic_random": {**_TOPIC, "topic_layout": "random"},
    "noisy": _NOISY,
    "review": _REVIEW,
    "all": {**_TOPIC, **_NOISY, **_REVIEW},
}
#: behaviours run with 1 000 learners only (runtime)
SMALL_ONLY = ("topic_random",)
GRAPHS = ("local", "junyi", "wide")
MODELS = ("bkt", "first_success")


def behaviour_kwargs(behaviour: str, graph: str) -> dict:
    """Simulator keywords of a behaviour on a graph (the Junyi graph's topics are its own)."""
    kw = dict(BEHAVIOURS[behaviour])
    if graph == "junyi" and kw.get("topics") and kw.get("topic_layout", "blocks") == "blocks":
        kw["topic_layout"] = "course"
    return kw


def wrong_arcs(graph: nx.DiGraph, truth: dict) -> dict:
    """Counts of the wrong arcs of ``graph`` by kind: ``indirect`` (in the truth's transitive closure),
    ``reversed`` (the target is a prerequisite of the source, directly or not), ``same_topic`` and
    ``other`` (unrelated items of one topic, or not; with no topics every unrelated arc is ``other``).

    >>> truth = {"prerequisites": [["a", "b"], ["b", "c"]], "topics": {"a": 0, "b": 0, "c": 0, "d": 0, "e": 1}}
    >>> wrong_arcs(nx.DiGraph([("a", "b"), ("a", "c"), ("c", "a"), ("d", "a"), ("e", "a")]), truth)
    {'indirect': 1, 'reversed': 1, 'same_topic': 1, 'other': 1}
    """
    dag = nx.DiGraph([tuple(a) for a in truth["prerequisites"]])
    true = set(dag.edges)
    closed = set(nx.transitive_closure_dag(dag).edges)
    topic = truth.get("topics", {})
    out = {"indirect": 0, "reversed": 0, "same_topic": 0, "other": 0}
    for a, b in graph.edges:
        if (a, b) in true:
            continue
        if (a, b) in closed:
            out["indirect"] += 1
        elif (b, a) in closed:
            out["reversed"] += 1
        elif a in topic and topic.get(a) == topic.get(b):
            out["same_topic"] += 1
        else:
            out["other"] += 1
    return out


def runs(quick: bool):
    """``(graph, model, behaviour, learners, seed)`` of every course of the run."""
    sizes, seeds = ((1000,), (0,)) if quick else ((1000, 3000), (0, 1))
    for graph in GRAPHS:
        for model in MODELS:
            for behaviour in BEHAVIOURS:
                for m in sizes:
                    if m > 1000 and behaviour in SMALL_ONLY:
                        continue
                    for seed in seeds:
                        yield graph, model, behaviour, m, seed


def one(graph: str, model: str, behaviour: str, m: int, seed: int, contrast_kw=None) -> list[dict]:
    """The rows of one course: one per method (see the module docstring)."""
    frame, truth = simulate_scenario(graph, model, n_learners=m, seed=seed, **behaviour_kwargs(behaviour, graph))
    traces = Traces.from_frame(frame)
    t = time.perf_counter()
    est = ContrastGraph(**(contrast_kw or {})).fit(traces)
    seconds = time.perf_counter() - t
    held = ContrastGraph(**{**(contrast_kw or {}), "level": True}).fit(traces)
    graphs = {"contrast": est.graph_, "contrast_0.8": est.to_graph(0.8),
              "level": held.graph_, "level_0.8": held.to_graph(0.8), **floor_graphs(traces)}
    base = {"graph": graph, "model": model, "behaviour": behaviour, "learners": m, "seed": seed,
            "events": traces.n_events, "true_arcs": len(truth["prerequisites"])}
    rows = []
    for method, g in graphs.items():
        direct = graph_scores(g, truth)
        closed = graph_scores(g, truth, closure=True)
        row = {**base, "method": method, "arcs": direct["n_predicted"], "precision": direct["precision"],
               "recall": direct["recall"], "f1": direct["f1"], "closure_precision": closed["precision"],
               "seconds": seconds if method == "contrast" else float("nan")}
        row.update(wrong_arcs(g, truth))
        rows.append(row)
    return rows


def per_course(table: pd.DataFrame) -> pd.DataFrame:
    """One row per course: the contrast graph at 0.7 and 0.8, with the level, and the floors."""
    key = ["graph", "model", "behaviour", "learners", "seed"]
    wide = table.pivot_table(index=key, columns="method", values=["arcs", "precision", "recall", "f1",
                                                                  "closure_precision"], sort=False)
    out = pd.DataFrame(index=wide.index)
    for method, tag in (("contrast", "c0.7"), ("contrast_0.8", "c0.8"), ("level", "lvl0.7"),
                        ("level_0.8", "lvl0.8"), ("sparse_logistic_strict", "strict")):
        out[f"{tag} arcs"] = wide[("arcs", method)].astype(int)
        out[f"{tag} P"] = wide[("precision", method)]
        out[f"{tag} R"] = wide[("recall", method)]
    out["c0.7 F1"] = wide[("f1", "contrast")]
    out["c0.7 closureP"] = wide[("closure_precision", "contrast")]
    out["floor F1"] = np.fmax(wide[("f1", "sparse_logistic")].fillna(0), wide[("f1", "sparse_logistic_strict")].fillna(0))
    return out.reset_index()


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per behaviour and method: courses, courses under the precision target, mean and worst precision,
    mean recall, and the wrong arcs by kind (summed)."""
    rows = []
    for (behaviour, method), part in table.groupby(["behaviour", "method"], sort=False):
        if method.startswith("sparse"):
            continue
        p = part["precision"].fillna(1.0)   # no arc drawn: nothing wrong shown
        rows.append({"behaviour": behaviour, "method": method, "courses": len(part),
                     "precision<0.9": int((p < 0.9).sum()), "mean_precision": p.mean(),
                     "worst_precision": p.min(), "mean_recall": part["recall"].mean(),
                     "arcs": int(part["arcs"].sum()), "wrong": int(part[["indirect", "reversed", "same_topic", "other"]].sum().sum()),
                     "indirect": int(part["indirect"].sum()), "reversed": int(part["reversed"].sum()),
                     "same_topic": int(part["same_topic"].sum()), "other": int(part["other"].sum())})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 000 learners and seed 0 only")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/graph_heldout.md")
    args = parser.parse_args(argv)
    ContrastGraph(n_resamples=1).fit(Traces.from_frame(simulate_scenario(n_learners=30, n_items=8)[0]))  # compile
    t0 = time.perf_counter()
    rows = []
    for course in runs(args.quick):
        rows += one(*course)
        print(*course, "done", f"{time.perf_counter() - t0:.0f}s", flush=True)
    table = pd.DataFrame(rows)
    courses, totals = per_course(table), summary(table)
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(courses.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(totals.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.write:
        notes = ""
        if RESULTS.exists() and "\n## Reading" in RESULTS.read_text(encoding="utf-8"):
            notes = "## Reading" + RESULTS.read_text(encoding="utf-8").split("\n## Reading", 1)[1]
        command = "python benchmarks/bench_graph_heldout.py" + (" --quick" if args.quick else "") + " --write"
        parts = ["# Prerequisite graph on held-out learner behaviours (defaults not chosen on them)", "",
                 f"Command: `{command}` (2 shared cores, {time.perf_counter() - t0:.0f} s).", "",
                 "## Summary per behaviour (precision of a course with no arc counted as 1)", "",
                 "`contrast`: defaults (`min_confidence` 0.7); `contrast_0.8`: the report's level; `level`, "
                 "`level_0.8`: the same with `level=True`. Wrong arcs summed over the courses.", "",
                 markdown(totals.copy()), "",
                 "## Per course", "",
                 "P / R: precision / recall against the direct arcs; `strict`: `sparse_logistic_strict`; "
                 "`floor F1`: the stronger of the two sparse-logistic floors.", "",
                 markdown(courses.copy()), "", notes]
        RESULTS.write_text("\n".join(parts).rstrip() + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
