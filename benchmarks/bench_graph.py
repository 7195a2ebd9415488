"""Benchmark of the prerequisite graph: contrast against precedence and the sparse-logistic floor.

Run from the repository root::

    .venv/bin/python benchmarks/bench_graph.py [--quick] [--write] [--cost-events N]

1. **Quality** on both public courses (``../shared/benchmark``, when present), the demo course, and the
   scenario family of :mod:`poem.simulation.scenarios` (every learner model, every graph kind, 300 / 1 000
   / 5 000 learners, two shares of learners following a sensible order). For each: precision, recall
   and F1 against the direct arcs, precision against the transitive closure, for the contrast graph at
   its defaults (``prerequisite_graph``), the precedence graph (``method="precedence"``) and the plain
   per-item sparse (L1) logistic floor (``sparse_logistic_graph``) twice: with every positive coefficient
   (its default) and with only those above the contrast graph's own ``min_strength`` (``_strict``), all in
   the same run. Targets of issue 10: precision >= 0.90 and recall >= 0.75 with >= 1 000 learners and on
   both public courses, precision >= 0.80 with 300 learners, F1 above the floor everywhere, read against
   the stronger of the two floors. Beside each course's recall, the
   most recall any single cut of the contrast ranking reaches at precision 0.9, the cut chosen with the
   truth (``recall_ceiling``): a bound on what re-choosing the thresholds can buy.
2. **Precision-recall** of the contrast graph as ``min_confidence`` varies (one fit per scenario), and of
   the floor as its coefficient threshold varies: the floor's best F1 over that threshold, chosen with the
   truth, is shown too (no estimator can promise it, but it says how far a re-tuned floor would go).
3. **Cost** of the contrast graph on a synthetic log of ``--cost-events`` events and 180 items
   (:mod:`poem.simulation.synth`), against the colony fit on the same traces (the peer, same run).

``--write`` writes the tables to ``benchmarks/results/graph.md``.
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from poem.antcolony import ManHill  # noqa: E402
from poem.io import read_traces  # noqa: E402
from poem.ordering.contrast import CONTRAST_DEFAULTS, ContrastGraph, arcs_above, sparse_logistic_graph  # noqa: E402
from poem.ordering.evaluation import graph_scores, load_truth  # noqa: E402
from poem.paths import prerequisite_graph  # noqa: E402
from poem.simulation.scenarios import SCENARIOS  # noqa: E402
from poem.traces import Traces  # noqa: E402

SHARED = REPO.parent / "shared" / "benchmark"

NOTES = """## Reading the tables

- **contrast** is `prerequisite_graph(model, traces=traces)` at its defaults (`alpha` 0.4, 50 refits on
  learner halves, `min_strength` 0.5, `min_confidence` 0.7: the arc must also be drawn by 70 % of the
  halves; `min_order` 0.6: only items mastered first by 60 % of the learners who mastered both are
  candidates; no level covariate, see "Second round" below); **precedence** is the earlier graph
  (`method="precedence"`); **sparse_logistic** is the floor
  the issue names (one L1 logistic model per item on "i mastered before" for every other item, no level
  covariate, no resampling, no acyclicity), drawing every positive coefficient; **sparse_logistic_strict**
  is the same fit drawing only coefficients above 0.5, the contrast graph's own `min_strength`. All are
  fitted on the same traces in the same run. The F1 target is read against the stronger of the two floors
  (`stronger_floor`); the rounds below, before this one, compared with the plain floor only.
- The defaults were chosen across the public courses, the demo and this scenario family (grids over
  `alpha` 0.25-1, `min_confidence` 0.5-1, `min_strength` 0-1, `min_order` 0-0.85, and two definitions of
  confidence), putting
  the precision of what is shown first. An earlier definition of confidence (share of halves with a merely
  *positive* coefficient, `min_confidence` 0.8) had more recall (course-a 0.72, course-b 0.60, Junyi 0.58)
  but precision 0.34-0.88 on the hidden-mastery scenarios and 0.74 on the demo; it was dropped for that.
- Scenario names: graph (`local` random DAG, `wide` shallow, `chain`, `junyi` geometry), learner model
  (`first-success`, `soft` logistic gating by the share of prerequisites mastered, `bkt` hidden mastery
  with guess/slip, `forgetting`), learners, and `follow70` (70 % follow a sensible order; else 30 %),
  `blind` (wanderers barely drawn to the items they are ready for).
- `recall_ceiling_at_0.9` (targets table): the most recall any single cut of the contrast graph's ranking
  (confidence, then strength; before acyclicity) reaches at precision >= 0.9, the cut chosen *with the
  truth*, so no estimator can promise it. It bounds what re-choosing `min_confidence` / `min_strength`
  can buy on a course, and separates a gap of thresholds from a gap of the statistic.
- The report draws arcs at `min_confidence` 0.8 (notebook parameter `graph_confidence`); on the demo that
  gives 15 arrows, all real direct prerequisites, and 2 syllabus disagreements, both real (2 of the 5 arcs
  the demo syllabus contradicts; 11 arrows and 3 disagreements before the second round);
  `tests/test_contrast.py` checks it.

## What holds and what does not (honest summary)

- Met: precision >= 0.90 on both public courses (0.98 / 0.90, against 0.53 / 0.29 for the precedence
  graph and 0.26 / 0.40 for the floor), on the demo (0.94) and on 11 of the 12 scenarios, and 0.80 with
  300 learners (10 arcs; target 0.80); precision against the closure (an arc that is at least an indirect
  prerequisite) is 1.00 everywhere but course-b, the demo and the 300 learners (0.97, 0.94, 0.90);
  recall >= 0.75 on the soft-gating scenario (0.86); cost on 5 million events within 60 s and 100 bytes
  per event.
- Not met: recall >= 0.75 anywhere but the soft scenario (course-a 0.63, course-b 0.48, first-success
  0.70, the hidden-mastery scenarios 0.07-0.50). On 10 of the 13 courses with that target no cut of this
  statistic, nor of the floor at any of four penalties, reaches it at precision 0.9 even when the cut is
  chosen knowing the truth (`graph_reach.md`, `python benchmarks/bench_graph_reach.py --write`);
  precision >= 0.90 on the chain (0.71: 10 of 14 arcs; 1.00 given the hidden mastery, `graph_reach.md`);
  **F1 above the floor on 2 courses of 15 only** (local-bkt-1000 0.352 against 0.347, first-success 0.824
  against 0.812). Against the plain floor alone it was 8 of 15; the strict floor (the same L1 fit keeping
  coefficients above 0.5) is stronger on 11 courses: on course-a it reaches 0.92 / 0.72 (F1 0.81 against
  the contrast graph's 0.76), course-b 0.89 / 0.56, Junyi 0.87 / 0.57, wide 0.98 / 0.44. What the contrast
  graph buys over it is precision where the strict floor loses it: the demo 0.94 against 0.71, the 70
  %-follow 0.95 against 0.70, 180 items 1.00 against 0.79, course-b 0.90 against 0.89, Junyi 0.92 against
  0.87 (the floor's precision is at or above 0.90 on 8 of 15 courses, the contrast graph's on 13 of 15).
  No single confidence threshold of the contrast graph gives both (at 0.5 its F1 passes the strict
  floor's on course-b, the demo, soft, wide and Junyi, but precision falls to 0.81-0.86 on three of
  them). Nor does the contrast fit on all learners without the halves, cut by strength (0.5 / 0.75 / 1,
  `alpha` 0.4 or 1, with or without the order filter; 15 courses): at 0.75 and the defaults otherwise its
  precision falls below 0.90 on course-b (0.87), the demo (0.77) and 300 learners (0.62), and its F1 stays
  below the strict floor's on course-a (0.78); the refits on halves are what keeps the precision.
  Course-b (0.90) and the 300 learners (0.80) sit at their precision targets, not above them.
  On the long chain the precedence graph is far better (0.975 / 0.876: one order for everybody, so
  precedence *is* the structure). Outside this family, on the viewing simulator's courses
  (`viewing_graph.md`), precision at the report's 0.8 is 0.67-1.00 with quiz scores and 0.60-1.00 with
  viewing evidence: the report quotes those figures rather than a promise.
- Resampling noise: the learner halves now come from a keyed hash of the learner id (same graph whatever
  the row order, the cohort split or the Dask partitions); against the former position-based halves the
  figures above moved by up to 0.03 (course-a recall 0.53 -> 0.56, course-b 0.42 -> 0.40, the demo 15 -> 14
  arcs).
- The order filter (`min_order` 0.6, added in this round: a candidate must have been mastered first by
  60 % of the learners who mastered both items) is what moved the forgetting (0.88 -> 1.00), Junyi (0.88
  -> 0.91), 70 %-follow (0.72 -> 0.94) and 300-learner (0.67 -> 1.00) scenarios above their precision
  targets, and course-b's recall from 0.39 to 0.42 at the same precision (a sibling that needs the same
  prerequisites as j no longer stands in for them); no scenario lost more than 0.005 of recall. Grid tried
  on the whole family: `min_order` 0, 0.55, 0.6, 0.62, 0.7, 0.85 (0.7 and above cost course-b a quarter
  of its recall). Lowering `alpha` to 0.25 or `min_strength` to 0.3 on top adds recall (course-a 0.62 /
  0.67, wide 0.47 / 0.60) but drops Junyi (0.90 / 0.81), the 70 %-follow (0.90 / 0.83) and the demo
  (0.88 / 0.90) below their precision targets: the defaults stay.
- Tried and not kept: an elastic net (half L1, half ridge, which keeps correlated prerequisites together
  in the half-sample refits) raised recall on this family (course-a 0.56 -> 0.63, course-b 0.40 -> 0.48,
  wide 0.41 -> 0.48, Junyi 0.50 -> 0.55, soft 0.83 -> 0.89) at precision >= 0.91 except the demo (0.84) and
  the chain, but on the viewing simulator's courses (`viewing_graph.md`) it dropped the precision at 0.8
  from 0.84 to 0.74 (quiz scores) and from 0.89 to 0.77 (viewing): a default must hold on learners it was
  not tuned on. Crediting a pass only once the item's drawn prerequisites were passed (a guard against
  guessed passes), iterated, lowered both precision and recall.
- Why the hidden-mastery scenarios are hard: learners never retake an item they passed, so a guessed pass
  counts as "mastered" for ever; the contrast of each real prerequisite shrinks (success on j with all its
  prerequisites passed is 0.3-0.4 against 0.15 without) toward the strength threshold, and learners who
  follow the order leave artefacts of strategy. Modelling mastery as a hidden state (BKT-style, as in
  CSPS or Chen et al. 2016) rather than as the first success was prototyped since, with a negative
  result (`proto_gated_bkt.md`, summarised under "Third round" below).
- Where the recall gap lies (the `recall_ceiling_at_0.9` column; figures of the first round, with the
  level held fixed; the targets table above gives today's, e.g. course-a 0.73, course-b 0.55, demo 0.40,
  the hidden-mastery `local` scenarios 0.06-0.26): on course-a, the first-success, soft and
  wide scenarios some cut of today's statistic reaches recall >= 0.75 at precision >= 0.9 (0.78, 0.82,
  0.97, 0.79), but not the same cut on every course, and no single default does (the grids above; the
  cut at confidence 0.3 and any positive strength, which gives course-a 0.76 at precision 0.92 before
  acyclicity, leaves 9 of the 15 courses below their precision target). On
  course-b (0.64), Junyi (0.55), the demo (0.32) and every hidden-mastery `local` and `chain` scenario
  (0.05-0.26, 0.26 with 5 000 learners) no threshold does: the statistic itself runs out, not the
  threshold. On the long chain the contrast is there (e.g. success on an item 0.30 with its parent passed,
  0.14 without; every true arc of the family has at least 25 learners on the "without" side, 121 on the
  chain), but the level covariate absorbs it (unpenalised, the parent's coefficient is 0.99 alone and 0.37
  beside the level: on a chain, how far a learner got *is* how well they succeed) and the L1 penalty
  spreads the rest over the ancestors, whose passes are as noisy a proxy of readiness as the parent's
  (without the level, since the second round, recall 0.11 at precision 0.71: the ancestors keep the
  weight: 4 of the 14 arcs go from an ancestor to a descendant).
- Tried for recall in a later round (issue 10, on the whole family and, where the family held, on the
  viewing simulator's courses; contrast at `min_confidence` 0.7 unless said; none kept):
  - *Guess and slip in the link* (success = guess + (1 - guess - slip) * logistic, fitted by Fisher
    scoring, so that an AND of prerequisites above a guess floor is additive on the logit): with the
    simulator's own rates (0.15 / 0.10, an oracle) recall rose on first-success (0.69 -> 0.80), wide (0.41
    -> 0.50), Junyi (0.50 -> 0.58) and local-bkt (0.20 -> 0.23) but fell on course-b (0.37) and the demo
    (0.26), and Junyi's precision fell to 0.88; with the per-item rates that `poem.colony.calibration` fits
    by EM, recall fell everywhere (course-a 0.42, course-b 0.32, first-success 0.50, wide 0.28, 70 %-follow
    0.03) and local-bkt's precision to 0.895: the calibrated guess rates (course-wide 0.21-0.29, a tenth of
    the items near the 0.45 cap) exceed, on many items, the success of attempts made without the
    prerequisites (0.15 in the simulator).
  - *A posterior of mastery as the covariate* (the calibrated per-item BKT posterior at the first pass,
    given the failures before it, instead of 1): raw, recall rose (course-a 0.63, course-b 0.48, demo 0.40,
    local-bkt 0.25) but precision fell below target (demo 0.86, local-bkt 0.88, chain 0.64). The gain is
    the scale: posteriors near 0.57 make every coefficient about 1.75 times larger against the same
    `min_strength`, which is the lowering of `min_strength` rejected above. Normalised to a mean of 1 over
    each item's passes, it gives nothing (course-a 0.55, course-b 0.41, local-bkt 0.16, wide 0.33, Junyi
    0.47). The failures before a pass say little about it: success on a dependent is 0.40 / 0.40 / 0.39 /
    0.30 after a parent passed with 0 / 1 / 2 / 3+ failures before (local-bkt-1000; course-a 0.86 / 0.83 /
    0.80 / 0.74), and a per-item BKT, where an item is learnt while failing it, reads more failures as
    *more* likely mastery (posterior 0.57 after none, 0.79 after three on course-a), the wrong way round.
  - *Order evidence where the contrast lacks "without" support*: no true arc of the 15 courses lacks it
    (at least 25 learners, median 86-1 691), so the rule adds nothing; precedence arcs that also show a
    positive conditional contrast reach 0.96 / 0.53 on the chain but precision 0.36-0.67 on course-a,
    course-b and Junyi.
  - *The level from the learner's events before the attempt* (not their whole trail, which holds the
    outcomes of items that need j): recall +0.00 to +0.02 on every course of the family, precision held
    (chain 0.86); on the viewing simulator's courses at 0.8, precision 0.891 -> 0.886 (viewing) and 0.843 ->
    0.843 (quiz scores), recall 0.066 -> 0.065 and 0.089 -> 0.086. Within the resampling noise (0.03).
  - *Conditional-independence tests in the style of PC / E-PRISM* instead of, or beside, the L1 model: the
    Mantel-Haenszel log odds ratio of i within the strata of each other candidate (order 1), then of each
    pair of surviving candidates (order 2), crossed with level tertiles, its minimum over the conditioning
    sets, stability over the same 20 halves. Order 1 leaves indirect arcs (precision 0.50-0.83 on the
    public courses, the demo and five scenarios, the wrong arcs mostly indirect); order 2 at confidence
    0.8 gives course-a 0.98 / 0.60, wide 0.97 / 0.57, Junyi 0.92 / 0.56, but the 70 %-follow falls to 0.88
    and first-success to recall 0.65. Added to the L1 graph
    (its arcs at confidence >= 0.9), it held precision on the family (chain 0.86) for recall +0.00-0.08
    (course-a 0.59, wide 0.49, Junyi 0.53, local-bkt 0.21), but on the viewing simulator's courses at 0.8
    it lowered precision (viewing 0.891 -> 0.874, quiz 0.843 -> 0.810, worst quiz course 0.67 -> 0.59) for
    recall +0.007, at about 10 times the cost with 5 000 learners (as prototyped); intersected with a looser L1 (`alpha`
    0.25-0.4, `min_strength` 0.3), no setting held both Junyi and the 70 %-follow at 0.9.
  - *A conjunctive set per item* (the prerequisites gate j together: greedily grow the set S whose "all
    of S passed" best raises success on j, by a likelihood-ratio gain above 6.6 within level tertiles; arc
    i->j when i is in S in 90 % of the halves), added to the L1 graph: recall never lower and +0.01-0.04
    on 8 of the 15 courses (first-success 0.74, Junyi 0.52, local-bkt-5000 0.21, wide 0.43), precision
    held (chain 0.86, Junyi 0.92, local-bkt-5000 0.92), but nothing on course-a, course-b, the demo or
    local-bkt-1000; on the viewing simulator's courses at 0.8, precision 0.891 -> 0.897 (viewing) and
    0.843 -> 0.841 (quiz scores; worst course 0.67 -> 0.64), recall +0.006 and +0.001. Alone it draws fewer
    arcs than the L1 graph (course-b 0.30, wide 0.36 at 0.7), more precise on Junyi (0.95 / 0.53). A gain
    within the resampling noise, for a second selection method and a second meaning of confidence: not
    kept.
  What the ceiling and these say: with "passed before" as the evidence of mastery, the hidden-mastery
  scenarios cannot reach the recall target at 0.9; a model of mastery as a hidden state *with* the
  prerequisite structure (a pass of i counts as mastery when i's own prerequisites were mastered, fitted
  jointly, as in CSPS or Chen et al. 2016, not iterated on passes as the credited passes above) was the
  next step named here (prototyped since: negative, see "Third round"), and a per-course cut
  with an estimated false-discovery rate the other (the ceiling shows room on course-a and the wide
  scenario).
- Second round of issue 10 (hidden-mastery recall; the defaults above): the level covariate is no longer
  held fixed (`level=True` keeps it) and the confidence counts 50 halves instead of 20. Why: a learner's
  success rate on the other items is a *mediator* of the prerequisites (their success on j's siblings
  and descendants needs the same items), so holding it fixed removed real arcs; and with 20 halves
  which arcs a course got depended on the seed of the halves enough to cross a precision target. Measured
  on the 15 courses with five seeds of the halves (`random_state` 0-4; the middle rows 0-2 only), at
  `min_confidence` 0.7:

  | variant | F1 above the floor (per seed) | precision below target (per seed) |
  |---|---|---|
  | level held, 20 halves (before) | 7 / 8 / 6 / 7 / 7 | 1 / 2 / 2 / 1 / 1 (chain; Junyi 0.898 once, 300 learners 0.78 once) |
  | level held, 50 halves | 7 / 7 / 7 | 1 / 1 / 1 (chain) |
  | no level, 20 halves | 10 / 8 / 9 | 1 / 4 / 3 (chain; course-b 0.89, Junyi 0.89, 70 %-follow 0.78-0.86) |
  | no level, 50 halves (now) | 8 / 9 / 9 / 9 / 9 | 1 / 1 / 1 / 3 / 1 (chain; course-b 0.89 and 300 learners 0.78 once) |

  Over the five seeds, recall rose from before to now on course-a (0.55 -> 0.62), course-b (0.42 ->
  0.49), the demo (0.29 -> 0.37), soft (0.82 -> 0.87), 70 %-follow (0.13 -> 0.15), blind (0.14 -> 0.18),
  local-bkt (0.19 -> 0.21) and fell nowhere by more than 0.01; precision fell on course-b (0.99 -> 0.92,
  below 0.9 in one seed of five: 0.89), the demo (0.93 -> 0.91; target 0.8), the 300 learners (0.96 ->
  0.85; 0.78 in one seed, as before) and the chain (0.78 -> 0.68; below the target before too), and held
  elsewhere (Junyi 0.918 -> 0.929, 70 %-follow 0.948 -> 0.958). `min_confidence` 0.72 (36 halves of 50
  instead of 35) keeps course-b at 0.92 or more in all five seeds for 8 / 8 / 8 / 9 / 8 courses above the
  floor; not taken, being a choice made on one course's worst seed. The demo now beats the floor in every
  seed (F1 0.53 against 0.44; 2 of 5 before), local-bkt-1000 in every seed (3 of 5 before), blind in 4 of
  5 (none before). On courses
  with no prerequisites at all (this simulator with the arcs removed: hidden mastery, first success and
  soft gating, 30 % and 70 % followers, 1 000 learners) neither graph draws an arc, with or without the
  level; `tests/test_contrast.py` checks strong learners alone draw none. On the viewing simulator's
  courses (`viewing_graph.md`, at the report's 0.8) precision and recall rose: viewing evidence 0.88 /
  0.80 (mean / worst) -> 0.93 / 0.83, recall 0.082 -> 0.088; quiz scores 0.84 / 0.67 -> 0.86 / 0.63,
  recall 0.089 -> 0.100 (each change alone: no level 0.87 / 0.70 and 0.83 / 0.65; 50 halves 0.92 / 0.83
  and 0.87 / 0.67). The 50 halves cost 2.5 times the refits (5 million events: 12.9 s for the graph).
- Tried in the second round and not kept (same 15 courses; seed 0 unless said):
  - *How much the proxy of mastery costs* (an oracle, not a method): on local-bkt-1000 with the
    simulator's hidden mastery in place of "passed before", recall 0.20 -> 0.55 at precision 0.98 (0.71
    at 0.99 when the mastery gained by restudy, without an attempt, counts too: `graph_reach.md`); the
    same with "passed *and* mastered" (the guessed passes dropped): 24 % of the "passed before" of the rows
    were not mastered at the attempt. The bottleneck is telling a guessed pass from a mastered one.
  - *Observable signs of a genuine pass* (against the oracle, AUC for "mastered" at the pass): the share of
    the items mastered first by 80 % of learners that the learner had passed when passing i, 0.75; failures
    on i before the pass 0.45; their last five outcomes 0.64; their progress 0.37. Crediting a pass only when
    that share is >= 0.5 or >= 0.9, or scaling x_i by it: local-bkt-1000 0.92 / 0.19, 0.86 / 0.10,
    0.93 / 0.21 (precision / recall) against 1.00 / 0.20, the demo 0.87. A pass "confirmed" by a later pass
    of an item that usually follows i (AUC 0.77) leaks the learner's progress into x_i: precision 0.00-0.32.
  - *Necessity* ("without i, success on j stays at the guess floor", then a transitive reduction of the
    ancestors so found): among candidates passing the order filter, success without i tells ancestors
    from the rest with AUC 0.56-0.85 (0.64 on local-bkt-1000): the order filter already keeps items whose
    absence means an early learner. Order alone (share >= 0.8-0.98, then a transitive reduction):
    precision 0.00-0.60.
  - *Choosing the graph per course by held-out prediction* (success on j on half of the learners from the
    share and the conjunction of its graph parents passed, fitted on the other half): it picks the
    precedence graph on the chain (right there: precision 0.97) but also on all 7 hidden-mastery `local`
    scenarios, where the precedence graph's precision is 0.38-0.49: prediction rewards order-mates as
    much as prerequisites.
  - *Dropping an arc implied by a path of kept arcs* (at least as confident, or at confidence >= 0.3):
    precision up (Junyi 0.92 -> 0.99, course-b 0.91 -> 0.96 over seeds) but 18 % of the true arcs have
    another path and go too (soft 0.86 -> 0.74, first-success 0.70 -> 0.63): F1 above the floor 8 / 8 / 9.
  - *A second tier* (arcs at confidence >= 0.4-0.6 when at least 90-97 % of the learners who mastered both
    mastered i first): 8-10 of 15 above the floor, but the 70 %-follow below 0.9 (and at confidence 0.3
    the 300 learners below 0.8). `min_confidence` 0.6 with 50 halves and the level: 9 / 9 / 9 above the
    floor, Junyi (0.899) and the 70 %-follow (0.86-0.90) below 0.9 in 2 of 3 seeds. The level penalised
    like an item (L1) instead of dropped: 8 of 15, wide 0.598 against 0.599.
- Third round of issue 10: the step named above, mastery as a hidden state fitted *with* the structure,
  prototyped (`benchmarks/proto_gated_bkt.py`, figures and reading in `proto_gated_bkt.md`): per item a
  two-state BKT whose learning is gated by the mean-field mastery of its parents (each filtered from its own
  attempts and gate only), EM in numba, parents by greedy BIC selection among the contrast graph's
  candidates, confidence over the same 50 halves. Negative, on the 15 courses at confidence 0.7: alone,
  the precision target holds on 11 (contrast 14) and its F1 beats the stronger floor on 5 (contrast 2);
  the contrast model fed its filtered mastery instead of "passed before", the best variant, on 11 and 6
  (wide 0.99 / 0.58, Junyi 0.93 / 0.59, local-bkt-1000 0.97 / 0.27, against 0.42, 0.49, 0.21 recall) but
  course-b (0.886), local-bkt-5000 and the 70 %-follow fall below 0.9; recall 0.75 nowhere but soft; 9-25
  times the cost, and not summable. Why (its ceilings, from the simulator's hidden mastery,
  `simulate_scenario(hidden=True)`): with the true structure the filter tells a guessed pass from a
  mastered one no better than "were i's parents passed" (AUC within 0.045 of that flag, 0.66-0.83), which is
  the crediting of passes rejected above; and a *perfect* filter of i's own attempts (an oracle) still
  leaves recall at 0.32-0.71 on every hidden-mastery scenario: guessed passes are not the whole gap, the
  contrast statistic misses 29-56 % of the arcs with perfect mastery. (Corrected since: that oracle left
  out the mastery gained by restudy, without an attempt; with it counted, the contrast graph at its
  defaults reaches recall 0.67-0.97 at precision 0.95-1.00 on the hidden-mastery scenarios of 1 000
  learners or more, 180 items apart: `graph_reach.md`. The gap is the reading of mastery, not the
  statistic.)
- Held-out check (`python benchmarks/bench_graph_heldout.py --write`, `graph_heldout.md`): the defaults fixed,
  the learners changed in ways they were not chosen on (topic-correlated ability, guess 0.15-0.35 and slip
  0.05-0.2, re-attempts of passed items, all three), on local, wide and Junyi graphs, bkt and first-success,
  1 000 and 3 000 learners, two seeds: precision >= 0.9 at 0.7 on 104 of 108 courses, at the report's 0.8 on
  106 (worst 0.842); the topic confounder draws 9 wrong same-topic arcs over 60 courses (the plain floor 2
  038). Every miss is on the hidden-mastery local DAG, by indirect arcs (grandparents). That graph kind also
  misses with the family's own learners on 2 of 6 seeds of the graph (0.889, 0.870; the family above has
  seed 0's graph only): this table's one precision per scenario is one draw. Holding the level fixed removes
  the misses but costs recall on 13 of the 15 courses above (course-a 0.625 -> 0.531); not kept.
- Cost (`python benchmarks/bench_graph.py --cost-only --write` refreshes that table alone): on the
  synthetic 5-million-event log (180 items, 166 284 learners), the success model (its lazy fit on the
  colony's log of scored events) and the contrast graph (50 halves) together take 9.0 s against the
  issue's 60 s (table above, beside 0.36 s for the colony fit of the same traces, the peer; 16.5 s and
  11.6 s in earlier runs; 48 s in one at load average 7-8, where the colony fit took 2.7 s). Each
  allocates at most 23 and 53 bytes per event
  beyond the traces in memory (peak traced by `tracemalloc`, which numpy reports its buffers to; target
  100). The graph's largest piece is the first-success table, 4 bytes per learner and item (int32), then
  one item's rows at a time (at most 5 000 learners per item). `poem fit` itself does neither (both are
  lazy), so its speed is that of `benchmarks/results/fit.md`.
"""


def courses(quick: bool):
    """``(name, traces, truth, n_learners)`` of every course of the run."""
    for name in ("course-a", "course-b"):
        folder = SHARED / name
        if folder.is_dir():
            yield name, read_traces(folder / "traces.csv"), json.loads((folder / "truth.json").read_text()), None
    demo = REPO / "data" / "demo"
    yield "demo", read_traces(demo / "traces.csv"), json.loads((demo / "truth.json").read_text()), None
    for sc in SCENARIOS:
        if quick and sc.n_learners > 1000:
            continue
        frame, truth = sc.simulate()
        yield sc.name, Traces.from_frame(frame), truth, sc.n_learners


def recall_ceiling(est: ContrastGraph, truth, precision: float = 0.9) -> float:
    """The most recall any single cut of the contrast graph's ranking reaches at ``precision``, the cut
    chosen *with the truth* (so no estimator can promise it): arcs with a positive strength ranked by
    confidence, then strength, as ``arcs_table`` ranks them, before acyclicity. It bounds what re-choosing
    ``min_confidence`` / ``min_strength`` can buy on a course, and so tells a gap of thresholds from a gap
    of the statistic.

    >>> from types import SimpleNamespace
    >>> est = SimpleNamespace(items_=np.array(["a", "b", "c"], dtype=object),
    ...                       strength_=np.array([[0, 2.0, 1.0], [0, 0, 1.5], [0, 0, 0]]),
    ...                       confidence_=np.array([[0, 1.0, 0.9], [0, 0, 0.5], [0, 0, 0]]))
    >>> recall_ceiling(est, {"prerequisites": [["a", "b"], ["b", "c"]]})   # a-b right, a-c wrong, b-c right
    0.5
    >>> recall_ceiling(est, {"prerequisites": [["a", "b"], ["b", "c"]]}, precision=0.6)
    1.0
    """
    truth = load_truth(truth)
    true = set(truth["prerequisites"])
    if not true:
        return float("nan")
    items = [str(x) for x in est.items_]
    src, dst = np.nonzero((est.strength_ > 0) & (est.confidence_ > 0))
    order = np.lexsort((-est.strength_[src, dst], -est.confidence_[src, dst]))
    hit = np.array([(items[src[k]], items[dst[k]]) in true for k in order], dtype=float)
    if not len(hit):
        return 0.0
    tp = np.cumsum(hit)
    ok = np.flatnonzero(tp / np.arange(1, len(hit) + 1) >= precision)
    return float(tp[ok[-1]] / len(true)) if len(ok) else 0.0


#: the floor's coefficient thresholds of the precision-recall table (0: its default, every positive one)
FLOOR_CUTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def floor_graphs(traces) -> dict:
    """The two sparse-logistic floors of the tables: every positive coefficient (``sparse_logistic``) and
    only those above the contrast graph's ``min_strength`` (``sparse_logistic_strict``), from one fit."""
    floor = sparse_logistic_graph(traces)
    return {"sparse_logistic": floor,
            "sparse_logistic_strict": arcs_above(floor, CONTRAST_DEFAULTS["min_strength"])}


def quality(quick: bool):
    rows, curves, floor_curves = [], [], []
    for name, traces, truth, _ in courses(quick):
        t = time.perf_counter()
        est = ContrastGraph().fit(traces)
        seconds = time.perf_counter() - t
        model = ManHill().fit(traces)
        floors = floor_graphs(traces)
        floor = floors["sparse_logistic"]
        graphs = {"contrast": est.graph_, "precedence": prerequisite_graph(model, method="precedence"),
                  **floors}
        for method, graph in graphs.items():
            direct = graph_scores(graph, truth)
            closed = graph_scores(graph, truth, closure=True)
            rows.append({"course": name, "learners": traces.n_learners, "events": traces.n_events,
                         "true_arcs": direct["n_true"], "method": method, "arcs": direct["n_predicted"],
                         "precision": direct["precision"], "recall": direct["recall"], "f1": direct["f1"],
                         "closure_precision": closed["precision"],
                         "seconds": seconds if method == "contrast" else float("nan"),
                         "ceiling": recall_ceiling(est, truth) if method == "contrast" else float("nan")})
        for mc in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
            s = graph_scores(est.to_graph(mc), truth)
            curves.append({"course": name, "min_confidence": mc, "precision": s["precision"],
                           "recall": s["recall"], "arcs": s["n_predicted"]})
        for mc in FLOOR_CUTS:
            s = graph_scores(arcs_above(floor, mc), truth)
            floor_curves.append({"course": name, "min_coef": mc, "precision": s["precision"],
                                 "recall": s["recall"], "f1": s["f1"]})
        print(name, "done", flush=True)
    return pd.DataFrame(rows), pd.DataFrame(curves), pd.DataFrame(floor_curves)


def cost(n_events: int) -> dict:
    from poem.simulation.synth import generate_log

    log = generate_log(n_events, n_items=180, seed=0)
    traces = Traces.from_frame(log.events[["learner", "item", "timestamp", "score"]])
    del log
    ContrastGraph(n_resamples=1).fit(Traces.from_frame(traces.to_frame().head(2000)))   # compile
    ManHill().fit(Traces.from_frame(traces.to_frame().head(2000)))
    t = time.perf_counter()
    model = ManHill().fit(traces)
    t_fit = time.perf_counter() - t
    # numpy reports its buffers to tracemalloc, so the traced peak is what the success model and the graph
    # allocate beyond the traces already in memory (the process's RSS peak was set by the log generation)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    model.success_model()
    t_success = time.perf_counter() - t
    peak_success = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    ContrastGraph().fit(traces)
    t_graph = time.perf_counter() - t
    peak_graph = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return {"events": traces.n_events, "learners": traces.n_learners, "items": traces.n_items,
            "success_model_s": t_success, "contrast_s": t_graph, "total_s": t_success + t_graph,
            "colony_fit_s": t_fit, "success_model_bytes_per_event": peak_success / traces.n_events,
            "contrast_bytes_per_event": peak_graph / traces.n_events}


def markdown(frame: pd.DataFrame, digits: int = 3, index: bool = False) -> str:
    """A pipe table (no tabulate dependency)."""
    if index:
        frame = frame.reset_index()
    frame.columns = [" ".join(map(str, c)).strip() if isinstance(c, tuple) else str(c) for c in frame.columns]

    def cell(v):
        if isinstance(v, float):
            return "-" if v != v else f"{v:.{digits}f}"
        return str(v)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def verdict(table: pd.DataFrame) -> pd.DataFrame:
    wide = table.pivot_table(index="course", columns="method", values=["precision", "recall", "f1"],
                             sort=False)
    rows = []
    for course in table["course"].unique():
        learners = int(table.loc[table["course"] == course, "learners"].iloc[0])
        p, r = wide.loc[course, ("precision", "contrast")], wide.loc[course, ("recall", "contrast")]
        f1 = wide.loc[course, ("f1", "contrast")]
        # the stronger floor of the two (NaN F1: no arc drawn, counts as 0)
        floors = {m: np.nan_to_num(wide.loc[course, ("f1", m)]) for m in ("sparse_logistic", "sparse_logistic_strict")}
        floor_method = max(floors, key=floors.get)
        floor = floors[floor_method]
        small = learners < 1000 and not course.startswith("course-")
        ceiling = table.loc[(table["course"] == course) & (table["method"] == "contrast"), "ceiling"].iloc[0]
        rows.append({"course": course, "precision_target": 0.8 if small else 0.9,
                     "precision_ok": bool(p >= (0.8 if small else 0.9)),
                     "recall_ok": None if small else bool(r >= 0.75), "f1": f1, "floor_f1": floor,
                     "stronger_floor": floor_method, "f1_above_floor": bool(np.nan_to_num(f1) > floor),
                     "recall": r, "recall_ceiling_at_0.9": ceiling})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the scenarios with more than 1 000 learners")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/graph.md")
    parser.add_argument("--cost-events", type=int, default=5_000_000, help="events of the cost log (0: skip)")
    parser.add_argument("--cost-only", action="store_true",
                        help="only measure the cost; with --write, replace the Cost section of graph.md")
    args = parser.parse_args(argv)
    if args.cost_only:
        spent = cost(args.cost_events)
        print(spent)
        if args.write:
            path = REPO / "benchmarks" / "results" / "graph.md"
            text = path.read_text(encoding="utf-8")
            head, rest = text.split("## Cost\n", 1)
            tail = rest[rest.index("## Reading the tables"):]
            path.write_text(head + "## Cost\n\n" + markdown(pd.DataFrame([spent]), 2) + "\n\n" + tail,
                            encoding="utf-8")
        return 0
    table, curves, floor_curves = quality(args.quick)
    checks = verdict(table)
    table = table.drop(columns="ceiling")
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    print(table.to_string(index=False, **fmt))
    print(checks.to_string(index=False))
    spent = cost(args.cost_events) if args.cost_events else None
    if spent:
        print(spent)
    if args.write:
        command = "python benchmarks/bench_graph.py" + (" --quick" if args.quick else "") + \
            (f" --cost-events {args.cost_events}" if args.cost_events != 5_000_000 else "") + " --write"
        parts = ["# Prerequisite graph: contrast vs precedence vs the sparse-logistic floor", "",
                 f"Command: `{command}` (2 shared cores; times are indicative).", "",
                 "## Quality (direct arcs; closure_precision counts indirect prerequisites as right)", "",
                 markdown(table.copy()), "",
                 "## Targets of issue 10 (contrast graph at its defaults)", "",
                 markdown(checks.copy()), "",
                 "## Precision-recall of the contrast graph as min_confidence varies", "",
                 markdown(curves.pivot_table(index="course", columns="min_confidence",
                                             values=["precision", "recall"], sort=False), 2, index=True), "",
                 "## Precision-recall of the sparse-logistic floor as its coefficient threshold varies", "",
                 "(0 is `sparse_logistic`, 0.5 `sparse_logistic_strict`; the best F1 of a row is the floor "
                 "re-tuned with the truth, which no estimator can promise)", "",
                 markdown(floor_curves.pivot_table(index="course", columns="min_coef",
                                                   values=["precision", "recall", "f1"], sort=False), 2,
                          index=True), ""]
        if spent:
            parts += ["## Cost", "", markdown(pd.DataFrame([spent]), 2), ""]
        parts += [NOTES]
        (REPO / "benchmarks" / "results" / "graph.md").write_text("\n".join(parts), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
