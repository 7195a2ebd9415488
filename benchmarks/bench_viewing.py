"""Benchmark of the seed's own case: learning paths from video-viewing traces alone (issue 16).

Run from the repository root::

    .venv/bin/python benchmarks/bench_viewing.py [--quick] [--write]

Every scenario is a simulated course logged as a video platform does (:func:`poem.simulation.viewing.
simulate_viewing`: one row per visit with the seconds watched, a catalogue with each video's length, no
score), >= 1 000 learners. On each, in the same run:

- **viewing colony**: ``ManHill().fit(traces, catalog=catalog)`` (the evidence of :mod:`poem.colony.viewing`
  with its defaults), then the default LOP path;
- **crude rule**: "a visit watched to >= 80 % of the length is a success" (fixed threshold, no return
  rule), same colony and path;
- **quiz colony**: the *same* simulated course with its quiz scores (what a scored course would give);
- **score-free baselines**: popularity, mean first-view rank, mean last-view rank; the best of the three.

Targets: viewing colony >= best score-free baseline + 0.15, and within 0.05 of the quiz colony. The
prerequisite graph (:func:`poem.paths.prerequisite_graph`) is reported with the same measures for the
viewing and the quiz colony (precision, recall, F1), whatever it reaches. A sensitivity table varies the
mapping's two main parameters (threshold mode, return window) over all scenarios.

``--write`` also writes the tables to ``benchmarks/results/viewing.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from poem.antcolony import ManHill  # noqa: E402
from poem.ordering.baselines import baseline_path  # noqa: E402
from poem.ordering.evaluation import evaluate  # noqa: E402
from poem.paths import learning_path, prerequisite_graph  # noqa: E402
from poem.simulation.course import junyi_graph  # noqa: E402
from poem.simulation.learners import DEFAULT_POPULATIONS  # noqa: E402
from poem.simulation.course import make_course  # noqa: E402
from poem.simulation.closed_loop import closed_loop  # noqa: E402
from poem.simulation.viewing import (ViewingColonyPolicy, simulate_viewing, video_lengths,  # noqa: E402
                                     viewing_closed_loop)
from poem.traces import Traces  # noqa: E402

NOTES = """## Notes

- Respect = share of true prerequisite arcs a->b with a placed before b (the benchmark's `score.py`).
  "best score-free" is the best of popularity, mean first-view rank and mean last-view rank (each
  learner's items ranked by their last view), computed on the same viewing log in the same run.
- "quiz colony" is the same simulated course (same learners, same visits) with the quiz scores the
  ordinary simulator draws (BKT emission with guess and slip) instead of the seconds watched.
- "crude 0.8" is the rule the issue measured: a visit watched to >= 80 % of the length is a success,
  anything else a failure, no review or return handling (threshold=0.8, return_window=0, landing="rule").
- "viewing colony" is the default mapping (learned landing); "rule landing" the same colony with
  `viewing={"landing": "rule"}` (the mapping before, see the note "Learned landing" below), same run.
- Scenarios: `browse` = the default populations (learners browse near a hidden, partly wrong syllabus);
  `no structure` = the same populations on a platform showing no order at all (the seed's 180 videos);
  `Junyi` = the Junyi Academy expert graph (161 items, down-closed part); `mixed` = every fourth item a
  quiz keeping its score, the others videos, the two kinds weighted by how well they predict later success.
- The watching model is POEM's own (`poem/simulation/viewing.py`): the viewing evidence is only as good as
  that model is realistic. Real viewing logs with a known prerequisite structure were not available.
- "quiz margin" is the quiz colony's own margin over the same baselines: where it is below 0.15 the
  +0.15 target is out of reach of any reading of the viewing log that only matches the quiz scores.
- **Ordering (the path from the evidence).** Diagnosis on browse 180 seed 0, Junyi seed 0 and browse 120
  seed 1: the true arcs a->b the precedence path reversed are pairs with a median of 1 to 2.5 learners who
  mastered both (5 to 55 for all true arcs), for viewing and quiz evidence alike; about a third carry
  wrong-way precedence (guesses, views watched through without understanding), the rest none or too
  little, and are placed by the other items, i.e. by the order learners browse in. Even the precedence of
  the simulator's *hidden* moments of learning (no guess, no misread view) left the path below the target
  on 4 of 10 courses ("hidden moments, precedence alone"). So the path is now ordered on
  `poem.paths.path_evidence`: precedence wherever a pair has a learner, and for the pairs nobody mastered
  both of, the failure evidence (learners stuck at j after mastering i; `poem.ordering.evidence`) plus
  0.1 x an ELO depth prior. Table "Ordering" gives both in the same run. On the hidden moments it meets
  the target on 9 of 10 courses (6 before): that ordering reaches the target where the evidence is right.
  (Figures of that change, measured before the learned landing.) On the quiz scores it raises the
  colony's respect (mean 0.829 -> 0.842, target met 4 -> 6 of 10); on the
  viewing log much less (0.815 -> 0.819, 2 -> 2 of 10; 4 of the 10 viewing colonies lose 0.006 to
  0.021), so the gap to the quiz colony grows (<= 0.05 on 8 of 10, was 10 of 10). With seeds 2 and 3
  (`bench_viewing.py --seeds 2 3 --no-loop`, not written here): viewing 0.816 -> 0.828 (target met 7 -> 8
  of 10), quiz 0.829 -> 0.843 (7 -> 8), hidden moments 0.865 -> 0.913 (9 -> 10), gap <= 0.05 on 9 of 10.
  Where it still falls short: the viewing evidence itself. A view watched through without understanding
  reads as a landed view, which both adds wrong-way precedence and removes the learner from the failure
  evidence (the video no longer looks failed); the hidden-moments column says the ordering would reach
  the target with a right reading.
- Orderings tried and rejected (same 20 scenarios, seeds 0-3, both kinds of evidence, two LOP seeds, and
  the courses of `bench_paths.py`): precedence of the 2nd or of the calibrated `successes_needed`-th
  success (respect about 0.5-0.6: a video gives one landed view, later visits are reviews, and quiz
  learners rarely pass an item twice); the contrast graph (`prerequisite_graph(model, traces=...)`, its
  defaults) as hard constraints with the LOP for the rest (its precision on these scenarios is 0.25-0.74,
  not 0.9, and the respect fell in 14 of 20 colonies); the conditional-success contrast, normalised
  precedence shares and the failure-before-mastery bonus as LOP weights (no gain beyond +-0.01); the
  failure evidence and depth prior on *every* pair (viewing mean +0.024, but public course-b 0.881 ->
  0.864: there the failure signal is right on two true arcs in three, precedence on all), hence only on
  the pairs without precedence, which leaves every course of `bench_paths.py` at or above its respect.
- **The ordering diagnosed** (`benchmarks/bench_viewing_ordering.py`, `viewing_ordering.md`, seeds 0-3):
  the LOP solver is not the limit (a far longer search gains at most 0.012 % of the objective and no
  scenario crosses the target); on the hidden moments the objective hardly separates the path from a
  truth-respecting order (0.07 %), and their violated arcs are pairs involving items nobody learned in the
  log, which the viewing colony does not have; on the viewing log the path beats the nearest
  truth-respecting order by 3.1 % of the objective, through wrong-way precedence on whole chains. No
  evidence variant tried (weights, sign-test parameters, precedence weighted by the learner's trail length)
  meets the target on more scenarios without lowering the quiz colonies or the public courses.
- Where the evidence errs (measured against the simulator's hidden state on `browse 120, seed 0`): about
  a third of the views the mapping calls complete were watched through without understanding and never
  followed by a quick return; a return rule cannot see them. Such a visit looks like a success in every
  reading of the seconds watched.
- **Learned landing (the default since this change; `landing="rule"` is the mapping before).** What
  changed: `poem.colony.viewing` learns from the log whether a complete view the learner comes back to
  had landed (`landing_model`). Each complete view gets a share bin (watched share over the video's
  usual finishing share: seeking back and skipping ahead read relative to that video) and a return
  category (never back, straight back, back before completing `return_window` other videos, back after
  moving on); a two-class mixture is fitted by EM on the first complete views, the class that did not
  land returning as learners do after an *abandoned* visit (read from the same log), everything else
  learned: nothing says in advance that a return is a failure or that a review after moving on is not. A
  complete view nobody comes back to lands, as before; one the learner comes back to lands when the
  model gives it a probability >= 1/2, else it scores 0 (`returned`). Measured against the simulator's
  hidden state (16 viewing-only courses, seeds 0-3): successes read on visits that did not teach the
  video, per true success read, 0.60 -> 0.48 (share of false successes 37 % -> 32 %), with 4 % more
  true successes read (the later view that did teach is now the landing). Path respect (table above,
  same run): mean 0.819 -> 0.831 on seeds 0-1, margin >= 0.15 on 2 -> 5 of 10 (the quiz colony: 6), gap
  to quiz <= 0.05 on 8 -> 9 of 10; seeds 2-3 (`--seeds 2 3 --no-loop`, not written here) 0.828 ->
  0.840, margin 8 -> 8 of 10 (quiz colony: 8), gap 9 -> 9 of 10. Over the 20 courses with three LOP
  seeds each: 0.822 -> 0.837, better on 18 of 20 (browse 180 seed 0 -0.013, browse 180 seed 1 -0.004).
  The contrast graph drawn from the same evidence (`viewing_graph.md`, confidence 0.8) keeps its
  precision: mean 0.89 -> 0.88, worst course 0.60 -> 0.80, recall 0.07 -> 0.08 (seeds 2-3, measured
  with the same harness: 0.86 -> 0.87, worst 0.67 -> 0.64, 12.8 -> 16.3 arcs per course).
- What did not work, with the same landing model: letting it also judge the complete views nobody came
  back to (from their share alone, e.g. seeking back with no return read as "did not land"). It reads
  fewer false successes (0.62 -> 0.375 per true success, but 11 % fewer true successes) and the path as
  much (20 courses, three LOP seeds: 0.837), yet the contrast graph loses precision: mean 0.89 -> 0.82,
  worst course 0.60 -> 0.40 (seeds 0-1); the arrows are what a team acts on. The EM reaches about what
  the same two features give with the hidden labels as training data (a supervised naive Bayes: 0.834
  against the EM's 0.829 on the 16 viewing-only courses, LOP seed 0).
- Where the viewing evidence still errs (browse 120, seed 0, hidden state, rule landing): 75 % of the
  complete views read as landed that did not teach the video were watched while a prerequisite was missing,
  and three in four are the learner's last visit to that video, most with an ordinary share: nothing in the
  visit or in what the learner does with that video tells them apart. With those views read right (an oracle
  on seeds 0-1, the 8 viewing-only courses) the respect would be 0.867 instead of 0.809 (rule landing; the
  learned landing reads the returns better, not these).
- Tried and rejected (LOP respect, seeds 0-1 or 0-3, same harness): reading readiness from the colony's own
  strong precedence (a view of j is not a landing when the learner lands a strong predecessor of j later; z
  >= 2, 3, 4, one or three passes; on the rule mapping): mean 0.809 -> 0.72-0.76, it vetoed more true
  landings than false ones (the strong arcs are mostly browse order, and the errors reinforce themselves);
  the learner's progress relative to the video's usual depth as a third feature (0.813 against 0.817
  without, even with hidden-label training); the posterior as a soft score (0.8294 against 0.8295); the
  views the model doubts without a return as no evidence instead of failures (path 0.831 against 0.828,
  graph precision 0.81); any later return read as a failure and no seek-back rule (a fixed rule: 0.818 ->
  0.830 on the 16 viewing-only courses, about what the learned mapping does on this simulator, but it would
  read every review after moving on as a failure, which the learned mapping only does where the log says
  so); failure evidence also on pairs with 1, 2, 4 or any learners of precedence (within +-0.005 of the
  default).
- Closed loop: `poem.simulation.viewing.viewing_closed_loop`, the same learners per cohort under every
  policy (80 % follow the recommendation). `colony-viewing` refits the colony between cohorts on the
  viewing log alone (`mastery_successes=1`: one landed view is all a video says) and hands `suggest` each
  learner's viewing history (read as in the next note); `colony` is the colony on quiz scores.
  `colony-viewing, hidden history` is a diagnostic (not a usable policy): the same viewing colony, but
  `suggest` is handed each learner's hidden state as history. The gap between the two says where the
  suggestions on a viewing-only course failed: reading a learner's *own* live history (a view watched
  through without understanding looks complete), not the colony fitted on the viewing log.
- **Reading the learner's own history (`poem.colony.viewing_history`, the policy's default since this
  change).** Before, `colony-viewing` trusted every complete view and always suggested ("colony-viewing,
  before" in the table): it guided learners worse than no guidance on seeds 500 and 501 (last cohort 0.104
  against 0.118, 0.098 against 0.103; better on seed 502, 0.188 against 0.148). Diagnosis (seed 500, later
  cohorts, hidden state): half of its suggestions went to videos whose prerequisites the learner lacked, two
  thirds of those because a missing prerequisite had been read as understood; 52 % of the first complete
  views of guided learners had not landed, and the colony's readiness from the read history was
  *anti*-informative about them (AUC 0.44; 0.72 from the true history): trusting a complete view sends
  learners deeper into what they cannot follow. Two changes, both learned from the log the colony is fitted
  on: (1) a complete view counts as understood only in a share bin whose *later success* (the learner's next
  five evidence events on other videos) is not both closer to that of abandoned views than to that of
  complete views and 2.5 standard errors below the latter; in a doubtful bin it reads 0 and the video stays
  open. On five of the six seeds 500-505 one to three bins of views sought back (1.1 times the usual share
  and above; on seed 500 under the policy before, 23 % of the guided views there had landed against 43 % for
  ordinary ones) came out doubtful, on seed 504 none. Alone it raised the last cohort on all six seeds
  ("reading alone"; 503-505: 0.092 -> 0.105, 0.138 -> 0.165, 0.132 -> 0.161). (2) No suggestion where its
  predicted success is below the log's success share of the evidence (what an average visit gives): the
  learner then chooses, and learners choosing know what they are ready for, which the colony only reads
  through seconds watched. Both (the table, seeds 500-502): the last cohort above no guidance on all three
  (0.129 / 0.131 / 0.215 against 0.118 / 0.103 / 0.148), the mean over the guided cohorts level with it on
  500 and 501 (0.114 against 0.116, 0.122 against 0.121) and above on 502 (0.214 against 0.176; before:
  0.096 / 0.094 / 0.196); on seeds 503-505 (same harness, not written here) last cohort 0.112 / 0.188 /
  0.157 against 0.104 / 0.182 / 0.126 unguided (before: 0.092 / 0.138 / 0.132); on 40-item courses (seeds
  500-502) 0.243 / 0.183 / 0.152 against 0.194 / 0.170 / 0.156 (before: 0.205 / 0.162 / 0.137), on 100-item
  ones 0.126 / 0.112 / 0.117 against 0.104 / 0.082 / 0.086 (before: 0.104 / 0.102 / 0.103). Not above no
  guidance in every cohort: the first guided cohort (a colony fitted on one unguided cohort) is below it on
  five of the six 60-item seeds (the figures of this note are the policy of that change, "colony-viewing,
  floor alone" in the table since the next one). The gap to the hidden-history diagnostic remains: a view
  watched through without understanding at an ordinary share still reads as understood.
- **Earning the right to suggest (`HistoryReader.withholds`, the policy's default since this change).**
  Besides the floor, no suggestion of a step fewer than `SUPPORT_MIN` = 3 learners of the log took (the
  arc from the learner's current video to the candidate: its `support`); `poem suggest --watched` applies
  the same rule. Early on the colony knows little yet suggested anyway: with the floor alone the first
  guided cohort was below no guidance on 5 of 6 seeds 500-505 and on 9 of 9 seeds 503-511 (mean -0.033).
  Rules measured (`benchmarks/bench_viewing_defer.py`, same harness; chosen on seeds 500-502 alone, mean
  over them of first guided cohort - no guidance / last cohort - no guidance): floor alone -0.016 /
  +0.035; support >= 1 -0.001 / +0.039; **>= 3 +0.017 / +0.043**; >= 10 -0.001 / +0.041; the candidate's
  evidence count >= 100 +0.022 / +0.030; a Beta posterior (predicted success worth as many observations
  as the arc's support) whose 0.2-quantile clears the floor +0.011 / +0.033, 0.1-quantile +0.005 /
  +0.030, the same with the candidate's evidence count -0.012 / +0.029; the floor replaced by the log's
  success share at the learner's progress (videos understood so far: what the learner's own choice gives
  at that stage) -0.012 / +0.029. Support >= 3 unchanged on the held-out seeds 503-511 (9 courses): first
  guided cohort +0.008 over no guidance on average (below it on 2 of 9, by 0.002 and 0.001; the floor
  alone: below on 9 of 9), above the floor alone on 9 of 9 (+0.021 to +0.058); last cohort +0.017 over no
  guidance (floor alone +0.012), below it on none, above the floor alone on 8 of 9 (seed 511: 0.172
  against 0.177); mean over the guided cohorts +0.016 (floor alone +0.004). On 40-item courses (seeds
  500-502) first cohort -0.001 against no guidance on average (below on 2 of 3, by 0.009 and 0.004; floor
  alone -0.011, below on 3), last +0.023 (+0.020);
  on 100-item ones first +0.012 (floor alone -0.013, now above on 3 of 3), last +0.030 (+0.027); on
  180-item ones (the seed's course size) first -0.002 (floor alone -0.024), last +0.021, slightly below
  the floor alone's +0.024 on 3 of 3 (by 0.001 to 0.004), mean over the guided cohorts +0.013 (+0.010).
  The colony then suggests on about half the steps of a 60-item course instead of 63 %, on 28 % of a
  180-item course's instead of 75 % (`--items 40`, `100`, `180`, seeds 500-502). In the table (seeds
  500-502): first guided cohort 0.130 / 0.134 / 0.208 against 0.096 / 0.142 / 0.183 unguided and 0.086 /
  0.092 / 0.195 with the floor alone; last cohort 0.148 / 0.132 / 0.217 (0.118 / 0.103 / 0.148; 0.129 /
  0.131 / 0.215); all figures in `viewing_defer.md`. What it is not:
  the support counts the learners behind one step, not whether they succeeded there; a large course
  with few learners per video will see the colony defer on most steps, which is what its evidence
  allows (on the bundled 180-video demo, for 300 random histories, the best candidate was a step fewer
  than 3 learners took 7 times in 10).
- Tried and rejected for the live reading (same harness, seeds 500-502, last cohort): a readiness gate (a
  complete view counts only when the colony's readiness of the video from the read history is >= 0.5 or 0.6:
  0.112 / 0.074 / 0.190 and worse; as "no evidence" instead of a failure: no gain); two complete views for
  mastery, or a first complete view as a partial score (0.04-0.15: a review of an understood video is
  skimmed half the time and reads as a failure, so confirmations bounce); revoking a past complete view when
  a video it likely precedes is failed (collapses to 0.02-0.17: revocations cascade through reviews; one
  revocation per video at most: 0.075-0.119 / 0.069-0.090 / 0.171-0.174); no success read at all (complete
  views as "no evidence": 0.102 / 0.086 / 0.209); the precedence term or remediation off, conditional
  readiness (no gain). Deferring without the learned reading: at the log's success share 0.138 / 0.113 /
  0.199, at a fixed predicted success of 0.5 or 0.6 about the same (0.113-0.121, 0.108-0.123, 0.201-0.208).
  A bin doubted at 2 standard errors (no allowance for the seven bins tested): about the same in closed
  loop, but on the unguided log of browse 120 (seed 100) an ordinary bin (0.9-0.97 of the usual share) came
  out doubtful; the first version (midway rule alone, bins shrunk with 20 pseudo-views) likewise.
- **The tables above** are rerun with the two changes below (learner reliability, watching pace), one LOP
  seed: viewing colony mean 0.831 -> 0.851 (worst 0.719 -> 0.733), now above the quiz colony's 0.842;
  margin >= 0.15 still on 5 of 10 (below: browse 180 on both seeds, Junyi seed 0, browse 120 and mixed
  browse 120 on seed 1, where the quiz colony misses it too but on Junyi); gap to the quiz colony <= 0.05
  on 10 of 10 (was 9). Seeds 2-3 with both (`bench_viewing.py --seeds 2 3 --no-loop`, not written
  here): mean 0.851 (worst 0.745), margin >= 0.15 on 9 of 10 (the quiz colony: 8; below: browse 180 seed
  2, 0.801 against 0.848), gap <= 0.05 on 10 of 10.
- **Learner reliability (`viewing_reliability.md`).** On a colony read from viewing evidence the path
  evidence weighs each learner's precedence by their agreement with everyone else's clear pairs
  (`poem.ordering.reliability`, weighted-Kemeny style): viewing colonies 0.831 -> 0.852 (seeds 0-1) and
  0.843 -> 0.851 (seeds 2-3), three LOP seeds, before the pace; target met 5 -> 5 and 8 -> 9 of 10. Scored
  colonies keep the plain counts: on them it lowered both public courses of `bench_paths.py` (0.960 ->
  0.946, 0.879 -> 0.864), though it raised the simulated quiz colonies; that scope was chosen after seeing
  those figures. Held-out check (`viewing_heldout.md`, column "no reliability", watching behaviours it
  was not chosen on: fast watchers, pauses, skimmers, all three): with the default mapping it is better on
  8-10 of the 10 courses of every behaviour and worse on none (means +0.018 to +0.024).
- **Watching pace (`pace="learned"`, the default; `bench_viewing_heldout.py`, `viewing_heldout.md`).**
  Under a held-out watching behaviour of the simulator (30 % of the learners at 1.25-2x, the player logging
  wall-clock seconds) the mapping read fast complete views as abandons: false failures 0.087 -> 0.166,
  landings read 0.906 -> 0.734, graph precision at 0.8 0.927 -> 0.778. The mapping now reads each learner
  at the pace learned from their visits as a whole (`poem.colony.pace`), which brings those figures back
  to the default behaviour's (seeds 2-3 likewise for the evidence and the graph). On these courses
  (nobody watches fast) 0 to 5 learners of 1 500 get a pace and the path moves by -0.005 to +0.002 on
  the mean. The closed loop diverges from the run before wherever one fit differs (each fit changes the
  next cohort's suggestions): seeds 500-505 (pace off / on, before the reliability weighting, which does
  not touch suggestions), mean over the guided cohorts 0.131 / 0.129, 0.131 / 0.130, 0.217 / 0.217,
  0.132 / 0.132, 0.161 / 0.161, 0.165 / 0.166; last cohort 0.148 / 0.132, 0.132 / 0.134, 0.217 / 0.217,
  0.124 / 0.124, 0.188 / 0.180, 0.167 / 0.162 (no guidance: 0.118, 0.103, 0.148, 0.104, 0.182, 0.126;
  seed 504 now 0.002 below it). The live reading of one learner's history (`HistoryReader`, `poem
  suggest --watched`, the closed-loop policy) now has the pace too (next note).
- **The live reading at the learner's pace (`HistoryReader.pace`; `bench_viewing_pace_loop.py`,
  `viewing_pace_loop.md`).** The reader keeps what the fit read the paces against (the density of the
  relative shares, the share of learners at each pace) and reads a learner's history at the pace of
  highest posterior of their visits so far, re-estimated over the whole history at each call; saved with
  the colony (a file written before reads at 1x). A fast learner's complete views are read as understood
  instead of abandoned (in closed loop with 30 % fast watchers, their landings read 0.97 instead of 0.34;
  on a log where nobody is fast, 0 to 0.6 % of the learners get a pace from their first 15 visits). It
  does not measurably change promotion: with 30 % fast watchers (the harness of the closed-loop table
  above, seeds 500-511) pace on / off first guided cohort 0.145 / 0.148, mean over the guided cohorts 0.154 / 0.152,
  last 0.157 / 0.152 (no guidance 0.140, 0.138, 0.134); on seeds 500-502 alone the first cohort is
  lower with it (0.147 / 0.158), on 503-511 level (0.145 / 0.144); nobody fast: 0.149 / 0.152, 0.153 /
  0.155, 0.155 / 0.154, within the +-0.02 a single seed moves by. Without the pace a fast learner looks
  like one who fails everything, and the colony defers to them (suggestions on 20 % of their steps
  instead of 35 %): a learner choosing alone does about as well as the guidance of a young colony. The
  tables above are unchanged by it (the fit's mapping is the same).
"""


def last_view_rank(traces: Traces) -> list:
    """Items by the mean rank of their *last* view among each learner's last views (unreached items last)."""
    n = traces.n_items
    key = traces.learner.astype(np.int64) * n + traces.item
    pos = np.arange(traces.n_events)
    frame = pd.DataFrame({"key": key, "pos": pos, "learner": traces.learner, "item": traces.item})
    last = frame.groupby("key", sort=False).last()
    last = last.sort_values(["learner", "pos"], kind="stable")
    last["rank"] = last.groupby("learner").cumcount()
    mean = last.groupby("item")["rank"].mean().reindex(range(n))
    order = np.argsort(mean.fillna(np.inf).to_numpy(), kind="stable")
    return [str(traces.items[k]) for k in order]


class HiddenHistoryPolicy(ViewingColonyPolicy):
    """Diagnostic only: the viewing colony, but ``suggest`` reads each learner's *hidden* state as their
    history (1 when the visit taught the item, 0 when it did not, nothing when already known): what the
    suggestions would reach if a learner's own viewing history were read without error."""

    name = "colony-viewing, hidden history"

    def observe(self, rows, items, scores):
        before = self._known[rows, items].copy()
        super().observe(rows, items, scores)
        after = self._state.mastered[rows, items]
        for r, b, a in zip(rows.tolist(), before.tolist(), after.tolist()):
            self._scores[r][-1] = float("nan") if b else float(a)


def scenarios(quick: bool, seeds=None):
    n_learners = 300 if quick else 1500
    seeds = ([0] if quick else [0, 1]) if seeds is None else list(seeds)
    out = []
    for s in seeds:
        out.append((f"browse 120, seed {s}", dict(n_items=120, populations=DEFAULT_POPULATIONS), s))
        out.append((f"browse 180, seed {s}", dict(n_items=180, populations=DEFAULT_POPULATIONS), s))
        out.append((f"Junyi 161, seed {s}", dict(n_items=161, graph=junyi_graph(),
                                                 populations=DEFAULT_POPULATIONS), s))
        out.append((f"no structure 180, seed {s}", dict(n_items=180), s))
        out.append((f"mixed browse 120, seed {s}", dict(n_items=120, populations=DEFAULT_POPULATIONS,
                                                       mixed=True), s))
    return [(name, {**kw, "n_learners": n_learners}, 100 + s) for name, kw, s in out]


def respect_of(model, truth, **options) -> float:
    return evaluate(learning_path(model, method="lop", rng=0, **options), truth)["respect"]


#: the path evidence before issue 16's ordering change: precedence alone (poem.paths.path_evidence)
PRECEDENCE_ALONE = {"failure_weight": 0.0, "depth_weight": 0.0}


def hidden_moments_colony(vc) -> ManHill:
    """Diagnostic: the colony on the simulator's *hidden* moments of learning (score 1 on the visit where
    the item was learned, 0 elsewhere): what a perfect reading of the log could give the same ordering."""
    ev = vc.scored.events
    frame = pd.DataFrame({"learner": ev["learner"].to_numpy(), "item": ev["item"].to_numpy(),
                          "timestamp": ev["timestamp"].to_numpy(),
                          "score": (ev["after"].to_numpy() & ~ev["before"].to_numpy()).astype(float)})
    return ManHill().fit(Traces.from_frame(frame, items=vc.scored.course.items))


def run_scenario(name, kw, seed):
    vc = simulate_viewing(seed=seed, **kw)
    traces = vc.to_traces()
    truth = vc.truth
    viewing = ManHill().fit(traces, catalog=vc.catalog)
    rule = ManHill().fit(traces, catalog=vc.catalog, viewing={"landing": "rule"})
    crude = ManHill().fit(traces, catalog=vc.catalog,
                          viewing={"threshold": 0.8, "return_window": 0, "landing": "rule"})
    quiz = ManHill().fit(vc.scored.to_traces())
    base = {b: evaluate(baseline_path(traces, b), truth)["respect"] for b in ("popularity", "first_view_rank")}
    base["last_view_rank"] = evaluate(last_view_rank(traces), truth)["respect"]
    best = max(base, key=base.get)
    row = {"scenario": name, "events": traces.n_events, "viewing colony": respect_of(viewing, truth),
           "rule landing": respect_of(rule, truth), "crude 0.8": respect_of(crude, truth),
           "quiz colony": respect_of(quiz, truth), **base}
    row["best score-free"] = base[best]
    row["margin"] = row["viewing colony"] - base[best]
    row["gap to quiz"] = row["quiz colony"] - row["viewing colony"]
    row["rule margin"] = row["rule landing"] - base[best]
    row["rule gap"] = row["quiz colony"] - row["rule landing"]
    row["quiz margin"] = row["quiz colony"] - base[best]
    order_row = {"scenario": name,
                 "viewing, precedence alone": respect_of(viewing, truth, **PRECEDENCE_ALONE),
                 "viewing, path evidence": row["viewing colony"],
                 "quiz, precedence alone": respect_of(quiz, truth, **PRECEDENCE_ALONE),
                 "quiz, path evidence": row["quiz colony"]}
    hidden = hidden_moments_colony(vc)
    order_row["hidden moments, precedence alone"] = respect_of(hidden, truth, **PRECEDENCE_ALONE)
    order_row["hidden moments, path evidence"] = respect_of(hidden, truth)
    order_row["target (best score-free + 0.15)"] = base[best] + 0.15
    graphs = {}
    for label, model in (("viewing", viewing), ("quiz", quiz)):
        g = evaluate(prerequisite_graph(model, method="precedence"), truth)  # the colony alone: no traces here
        graphs.update({f"{label} precision": g["precision"], f"{label} recall": g["recall"],
                       f"{label} F1": g["f1"], f"{label} arcs": g.get("n_graph_arcs", np.nan)})
    graph_row = {"scenario": name, **graphs}
    if viewing.evidence_weights_ is not None and len(viewing.evidence_weights_) > 1:
        graph_row["weights"] = ", ".join(f"{k} {v:.2f}" for k, v in viewing.evidence_weights_.items())
    sens = {}
    for landing, modes in (("learned", ("auto",)), ("rule", ("auto", 0.8))):
        for mode in modes:
            for window in (0, 2, 4):
                m = ManHill().fit(traces, catalog=vc.catalog,
                                  viewing={"threshold": mode, "return_window": window, "landing": landing})
                sens[f"{landing} threshold={mode} window={window}"] = respect_of(m, truth)
    return row, graph_row, sens, order_row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes while iterating")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/viewing.md")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="scenario seeds (default 0 1; the notes cite a run with --seeds 2 3)")
    parser.add_argument("--no-loop", action="store_true", help="skip the closed-loop table")
    args = parser.parse_args(argv)
    rows, graphs, sens, orders = [], [], {}, []
    for name, kw, seed in scenarios(args.quick, args.seeds):
        row, graph_row, s, order_row = run_scenario(name, kw, seed)
        rows.append(row)
        orders.append(order_row)
        graphs.append(graph_row)
        sens[name] = s
        print(f"{name}: viewing {row['viewing colony']:.3f} quiz {row['quiz colony']:.3f} "
              f"best score-free {row['best score-free']:.3f}", flush=True)
    table = pd.DataFrame(rows)
    summary = pd.DataFrame({
        "mean": table[["viewing colony", "rule landing", "crude 0.8", "quiz colony", "best score-free",
                       "margin", "gap to quiz", "quiz margin", "rule margin", "rule gap"]].mean(),
        "worst": [table["viewing colony"].min(), table["rule landing"].min(), table["crude 0.8"].min(),
                  table["quiz colony"].min(),
                  table["best score-free"].max(), table["margin"].min(), table["gap to quiz"].max(),
                  table["quiz margin"].min(), table["rule margin"].min(), table["rule gap"].max()]})
    met_margin = int((table["margin"] >= 0.15).sum())
    met_gap = int((table["gap to quiz"] <= 0.05).sum())
    met_quiz = int((table["quiz margin"] >= 0.15).sum())
    verdict = (f"margin >= 0.15 on {met_margin} of {len(table)} scenarios (the quiz colony itself: {met_quiz} of "
               f"{len(table)}); gap to the quiz colony <= 0.05 on {met_gap} of {len(table)}; with the rule "
               f"landing (the default before): margin on {int((table['rule margin'] >= 0.15).sum())}, gap on "
               f"{int((table['rule gap'] <= 0.05).sum())}")
    loops = []
    for s in ([] if args.no_loop else [0] if args.quick else [0, 1, 2]):
        course = make_course(30 if args.quick else 60, rng=np.random.default_rng(500 + s))
        size = dict(n_cohorts=3 if args.quick else 8, cohort_size=60 if args.quick else 200, seed=500 + s)
        loop = viewing_closed_loop(course, **size)
        catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                                "length": video_lengths(course.n_items, np.random.default_rng([500 + s, 18]))})
        # the default without the support rule (the floor alone), the policy before (every complete view
        # trusted, always a suggestion), the learned reading alone,
        # and the diagnostic, which keeps the suggestions as they were: only the history differs
        for label, policy in (("colony-viewing, floor alone", ViewingColonyPolicy(catalog, seed=500 + s, defer=0)),
                              ("colony-viewing, before", ViewingColonyPolicy(catalog, seed=500 + s, reader=False,
                                                                             floor=False)),
                              ("colony-viewing, reading alone", ViewingColonyPolicy(catalog, seed=500 + s,
                                                                                    floor=False)),
                              (HiddenHistoryPolicy.name, HiddenHistoryPolicy(catalog, seed=500 + s, reader=False,
                                                                             floor=False))):
            loop = pd.concat([loop, closed_loop(course, policy, **size).assign(policy=label)], ignore_index=True)
        for name, part in loop.groupby("policy", sort=False):
            part = part.sort_values("cohort")
            loops.append({"course": f"random {course.n_items} items, seed {500 + s}", "policy": name,
                          "NRP cohort 1": part["NRP"].iloc[1], "NRP mean guided": part["NRP"].iloc[1:].mean(),
                          "NRP last": part["NRP"].iloc[-1], "ready_share last": part["ready_share"].iloc[-1],
                          "followed last": part["followed"].iloc[-1]})
    loop_table = pd.DataFrame(loops)
    title4 = "Closed-loop promotion: suggestions from a colony fitted on viewing alone (NRP per cohort)"
    text4 = loop_table.to_string(index=False, float_format=lambda v: f"{v:.3f}")
    graph_table = pd.DataFrame(graphs)
    sensitivity = pd.DataFrame(sens)
    sensitivity["mean"] = sensitivity.mean(axis=1)
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    title1 = "Prerequisite respect of the LOP path: viewing evidence vs quiz scores vs score-free baselines"
    text1 = table.to_string(index=False, **fmt)
    text1b = summary.to_string(**fmt)
    title2 = "Prerequisite graph (default threshold) from viewing evidence and from quiz scores"
    text2 = graph_table.to_string(index=False, na_rep="-", **fmt)
    title3 = ("Sensitivity: viewing-colony respect by landing mode, threshold mode and return window "
              "(default learned, auto, 2)")
    text3 = sensitivity.to_string(**fmt)
    order_table = pd.DataFrame(orders)
    title5 = ("Ordering: precedence alone (the path before) vs path evidence (the default), same colonies; "
              "and on the simulator's hidden moments of learning")
    text5 = order_table.to_string(index=False, **fmt)
    means = order_table.drop(columns="scenario").mean()
    met = {c: int((order_table[c] >= order_table["target (best score-free + 0.15)"]).sum())
           for c in order_table.columns[1:-1]}
    text5b = pd.DataFrame({"mean": means.iloc[:-1], "target met": pd.Series(met)}).to_string(**fmt)
    print(title1, text1, "", text1b, verdict, "", title5, text5, "", text5b, "", title2, text2, "", title3, text3,
          "", title4, text4, sep="\n")
    if args.write:
        out = REPO / "benchmarks" / "results" / "viewing.md"
        command = "`.venv/bin/python benchmarks/bench_viewing.py --write`" + (" (--quick)" if args.quick else "")
        out.write_text(
            f"# Viewing-only courses (issue 16)\n\nProduced by {command} on a 2-core machine.\n\n"
            f"## {title1}\n\n```\n{text1}\n```\n\n```\n{text1b}\n```\n\n**{verdict}.**\n\n"
            f"## {title5}\n\n```\n{text5}\n```\n\n```\n{text5b}\n```\n\n"
            f"## {title2}\n\n```\n{text2}\n```\n\n## {title3}\n\n```\n{text3}\n```\n\n"
            f"## {title4}\n\n```\n{text4}\n```\n\n{NOTES}",
            encoding="utf-8")
        print(f"\nwritten {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
