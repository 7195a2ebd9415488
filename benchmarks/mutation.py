"""Mutation testing of the core: does the test suite catch small deliberate bugs?

Each *mutant* is the package with one small change in one function of a core module (a comparison
flipped, ``+`` turned into ``-``, a constant moved by one, ``and`` into ``or``, a ``break`` into a
``continue``...). The mutant is *killed* when at least one of the tests relevant to that module fails,
*survives* when they all pass. The mutation score of a module is killed / (mutants − equivalent ones),
where an equivalent mutant (one that cannot change any observable result) is triaged by hand in
:data:`EQUIVALENT` with the reason.

Why not mutmut or cosmic-ray: the colony's kernels are numba ``@njit`` functions, and mutmut 3 rewrites
every function into a trampoline (a dict lookup and an environment read per call) that numba cannot
compile; cosmic-ray needs a session database and a worker set-up for what is, here, a loop over AST
edits. This script applies one AST edit at a time to a scratch copy of the repository (the working tree
is never touched) and runs the relevant test files there with ``NUMBA_DISABLE_JIT=1``, so the kernels
run as plain Python (slower, but no compilation per mutant; the same code, the same results); targets
marked ``jit=True`` (tests that spend minutes in numba code) run with the JIT on instead, recompiling only
the mutated module.

The run is bounded: ``--max-mutants`` per target, chosen with a fixed seed when a target has more and run
in that random order (a run cut by ``--budget`` is still a uniform sample: the report gives a sampled
target's score with its 95 % Wilson interval), and
``--timeout`` per mutant (a mutant that loops forever counts as killed by the timeout, reported apart).
Targets run in priority order (the colony's deposit, precedence, decay and selection code first).
``--only`` picks targets by name. Not in CI: it takes tens of minutes; run it before resolving an issue
that touches the core::

    make mutation                      # every target, results in benchmarks/results/mutation.md
    python benchmarks/mutation.py --only kernels,selection --max-mutants 80
    python benchmarks/mutation.py --list   # the mutants, without running them
"""

from __future__ import annotations

import argparse
import ast
import copy
import datetime as _dt
import math
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "mutation.md"

#: slow or unrelated tests left out of the mutant runs (they re-check, on real data or whole closed
#: loops, what the fast hand-checked tests pin down; they stay in ``make test``)
DESELECT = ("benchmark_course or course_a or cli_compare or semet or beats_unguided or notebook "
            "or docstring_examples")
#: with numba's JIT on the docstring examples are quick: the targets run with it keep them (they are tests
#: of ``make test`` like any other)
DESELECT_JIT = "benchmark_course or course_a or cli_compare or semet or beats_unguided or notebook"


@dataclass
class Target:
    """A module, the functions of it to mutate (None: all), and the test files that speak for it."""

    name: str
    module: str
    functions: tuple | None
    tests: tuple
    keyword: str = f"not ({DESELECT})"
    #: run the mutants with numba's JIT on: for modules whose tests spend minutes in ``@njit`` code run as
    #: plain Python (the calibration's EM, the contrast's coordinate descent), compiling the mutated
    #: module's kernels again per mutant is the faster way (the other modules' kernels stay cached)
    jit: bool = False


#: priority order: the colony's deposit / precedence / decay / selection code first; the test files
#: whose first tests exercise the target come first (``-x`` stops at the first failure)
TARGETS = (
    Target("deposit", "poem/colony/kernels.py", ("trail_pass", "session_firsts"),
           ("tests/test_antcolony.py", "tests/test_blind_spots.py")),
    Target("erosion", "poem/colony/kernels.py", ("erosion_pass", "row_deposit_counts"),
           ("tests/test_blind_spots.py", "tests/test_antcolony.py")),
    Target("selection", "poem/colony/suggestion.py", ("select", "mastered_items"),
           ("tests/test_blind_spots.py", "tests/test_antcolony.py")),
    Target("decay", "poem/antcolony.py",
           ("partial_fit", "_decayed_pheromones", "_learner_weights", "_gap_ns", "_sess_first", "_embed",
            "_with_items", "partial_state"),
           ("tests/test_blind_spots.py", "tests/test_antcolony.py")),
    Target("conditional", "poem/colony/kernels.py", ("conditional_pass",),
           ("tests/test_antcolony.py", "tests/test_blind_spots.py")),
    Target("suggestion", "poem/colony/suggestion.py",
           ("precedence_strength", "conditional_evidence", "build", "score_candidates", "suggestion"),
           ("tests/test_antcolony.py", "tests/test_blind_spots.py", "tests/test_suggest_calibration.py",
            "tests/test_suggestion_doubt.py"),
           keyword=f"(test_antcolony or test_blind_spots or conditional or test_suggestion_doubt) and not ({DESELECT})"),
    Target("elo", "poem/colony/kernels.py", ("elo_pass",), ("tests/test_elo.py", "tests/test_antcolony.py")),
    Target("elo_fit", "poem/colony/elo.py", None, ("tests/test_elo.py", "tests/test_success_model.py")),
    Target("success", "poem/colony/success.py", None,
           ("tests/test_success_model.py", "tests/test_antcolony.py", "tests/test_validation.py"), jit=True,
           keyword=f"not ({DESELECT_JIT})"),
    Target("calibration", "poem/colony/calibration.py", None, ("tests/test_suggest_calibration.py",), jit=True,
           keyword=f"not ({DESELECT_JIT})"),
    Target("viewing", "poem/colony/viewing.py", None, ("tests/test_viewing.py", "tests/test_viewing_events.py",
                                                       "tests/test_viewing_landing.py", "tests/test_viewing_heldout.py",
                                                       "tests/test_viewing_partial.py"),
           jit=True, keyword=f"not ({DESELECT_JIT})"),
    Target("landing", "poem/colony/landing.py", None, ("tests/test_viewing_landing.py", "tests/test_viewing_partial.py"),
           jit=True,
           keyword=f"not ({DESELECT_JIT})"),
    Target("contrast", "poem/ordering/contrast.py", None, ("tests/test_contrast.py", "tests/test_contrast_state.py"),
           jit=True,
           keyword=f"not ({DESELECT_JIT})"),
    Target("paths", "poem/paths.py", None, ("tests/test_blind_spots.py", "tests/test_paths.py",
                                             "tests/test_path_evidence.py", "tests/test_path_reliability.py")),
    Target("evidence", "poem/ordering/evidence.py", None, ("tests/test_path_evidence.py", "tests/test_paths.py")),
    Target("cond_success", "poem/colony/conditional.py", None, ("tests/test_suggest_calibration.py",),
           keyword=f"conditional and not ({DESELECT})"),
    Target("state", "poem/colony/state.py", None, ("tests/test_colony_state.py", "tests/test_colony_io.py",
                                                   "tests/test_antcolony.py")),
    Target("lop", "poem/ordering/lop.py", None, ("tests/test_lop.py", "tests/test_paths.py")),
    Target("aco", "poem/ordering/aco.py", None, ("tests/test_aco.py", "tests/test_paths.py")),
    Target("baselines", "poem/ordering/baselines.py", None, ("tests/test_baselines.py", "tests/test_paths.py")),
    Target("evaluation", "poem/ordering/evaluation.py", None,
           ("tests/test_blind_spots.py", "tests/test_evaluation.py")),
    Target("promotion", "poem/simulation/promotion.py", None, ("tests/test_promotion.py",)),
    Target("history_reader", "poem/colony/viewing_history.py", None,
           ("tests/test_viewing_history.py", "tests/test_suggest_watched.py")),
    Target("pace", "poem/colony/pace.py", None, ("tests/test_viewing_heldout.py", "tests/test_viewing_history.py")),
    Target("viewing_cohort", "poem/colony/viewing_cohort.py", None, ("tests/test_viewing_partial.py",)),
    Target("evidence_weights", "poem/colony/evidence_weights.py", None, ("tests/test_viewing.py",)),
    Target("reliability", "poem/ordering/reliability.py", None, ("tests/test_path_reliability.py",), jit=True),
    Target("canonical", "poem/importers/canonical.py", None,
           ("tests/test_io.py", "tests/test_io_properties.py", "tests/test_io_formats.py")),
)

#: hand triage of surviving mutants that cannot change an observable result:
#: (target, function, line text stripped, description) -> reason
_SENTINEL = ("any negative sentinel works: the stamps are compared with learner indices, which are >= 0 "
             "(-1 -> 0 is killed)")
_FIRST = "at e == a the session start is a already: setting it again changes nothing"
_SQUARE = "check_matrix makes W square: shape[0] == shape[1]"
_SOFT = "the soft-threshold's boundary: at |u| = t the shrunk value (u -/+ t) / xwx is 0, which the else branch gives"
_FRESH = ("the stamp only guards resetting an item's scratch (done, seen_full, pending) when a new learner "
          "meets it; skipping the reset for an item no learner touched yet changes nothing, as the scratch "
          "still holds its initial values, which are the reset values")
_NXT_RESET = ("the initial value is never read: the backward pass resets nxt[j] to -1 at the learner's"
              " first (last in time) event on j, before reading it")
_DEMO_DATA = ("the example data of the docstrings (a private helper, not the API): the mutant changes a value that "
              "none of the examples' checked outputs depends on")
_NO_STAMPS = ("the time span of a log with no scored event: the early/late split it sets is only read for scored "
              "events (elo_pass skips NaN scores), of which there are none")
_PENDING = ("the initial value is never read: a learner's first visit of an item resets its pending view "
            "to -1 (the item's stamp, initially -1, differs from every learner index) before reading it")
_PARAMS_MERGED = ("the default of a key that is always there: the viewing evidence's params are VIEWING_DEFAULTS "
                  "updated by the caller's (viewing._check_params)")
_ZERO_OVER_ZERO = ("where the count is 0 the sum is 0 too, and 0 / 0 is the NaN the output already holds")
_NO_BIN = ("any negative value means 'no bin': every reader of the bins tests < 0 or >= 0, or clips at 0 "
           "before an index it also guards with >= 0")
_ONE_VIEW = ("with a single complete view its bin's later success is the complete views' own, so its z is 0 "
             "and it is not below the midpoint (later_c > later_ab): every bin stays credible either way")
_SCRATCH_SIZE = ("the size of the per-item stamp scratch only: any size above the largest item code gives the same "
                 "trails")
_NO_PAIR = ("where no learner has the pair, precedence_ is 0 too (every deposit on it comes from a learner's pair), "
            "so the ratio there multiplies 0")
_PLACEHOLDER = ("the divisor of the learners without a clear pair and no prior only keeps 0 / 0 away: the outer where "
                "gives them the pooled rate and discards that quotient")
_UNIFORM_PRIOR = ("a constant factor common to every pace of the grid: the EM normalises each learner's posterior "
                  "over the grid and the argmax adds log prior, so a uniform scale of the prior changes neither")
_WEIGHT_ONE = ("weights lie in (0, 1] (apply_viewing checks them, weights_from_sums clips them): shrinking by a "
               "weight of 1 leaves every score as it is, so testing w <= 1 or w < 2 instead of w < 1 changes nothing")
_ONE_KIND = ("a single kind goes on to its own value v: v / v = 1 when v > 0, and every kind weighs 1 "
             "otherwise, the weight 1 the shortcut gives")
EQUIVALENT: dict[tuple[str, str, str, str], str] = {
    # the kind-by-kind shrinking of the scores (poem/colony/viewing.py)
    ("viewing", "weighed_scores", "if w < 1.0:", "`w < 1.0`: < -> <="): _WEIGHT_ONE,
    ("viewing", "weighed_scores", "if w < 1.0:", "`w < 1.0 @15`: constant 1.0 -> 2.0"): _WEIGHT_ONE,
    ("viewing", "weighed_scores", "w = weights.get(kind, 1.0)", "`weights.get(kind, 1.0) @30`: constant 1.0 -> 2.0"):
        "a missing kind then weighs 2, which the w < 1 test leaves unshrunk, as it leaves weight 1",
    # the evidence weights of mixed courses (poem/colony/evidence_weights.py)
    ("evidence_weights", "evidence_weight_sums", "for k in range(1, horizon + 1):", "`range(1, horizon + 1) @19`: constant 1 -> 0"):
        "k = 0 points each event at itself, which the test item[nxt] != item always excludes",
    ("evidence_weights", "weights_from_sums",
     "value = {k: float(s[0] / s[1] - s[2] / s[3]) if s[1] > 0 and s[3] > 0 else 0.0 for k, s in sums.items()}",
     "`s[1] @54`: constant 1 -> 0"):
        "s[0] > 0 implies s[1] > 0; with s[0] = 0 the value is -s[2] / s[3] <= 0, which maps as 0 does: to 0.1 "
        "when another kind's value is positive, else every kind weighs 1",
    ("evidence_weights", "evidence_weight_sums", "later = np.divide(total, count, out=later, where=count > 0)",
     "`count > 0`: > -> >="): "where count is 0, total is 0 too: 0 / 0 writes the NaN the output already holds",
    ("evidence_weights", "weights_from_sums", "if len(present) <= 1:", "`len(present) <= 1 @23`: constant 1 -> 0"):
        _ONE_KIND,
    ("evidence_weights", "weights_from_sums", "if len(present) <= 1:", "`len(present) <= 1`: <= -> <"): _ONE_KIND,
    ("evidence_weights", "weights_from_sums", "return {k: float(np.clip(v / top, 0.1, 1.0)) for k, v in value.items()}",
     "`np.clip(v / top, 0.1, 1.0) @43`: constant 1.0 -> 2.0"): "top is the largest value: v / top is at most 1",
    # a viewing colony's new cohort (poem/colony/viewing_cohort.py)
    ("viewing_cohort", "unread_visits", "if unread.any() and reader is not None and reader.video is not None:",
     "`unread.any() and reader is not None and reader....`: and -> or"):
        "with no unread visit the mask only removes from an all-False array; with unread visits the guard differs "
        "only for a viewing colony without a history reader, which fit, partial_fit and load never leave",
    ("viewing_cohort", "unread_visits",
     "other = np.array([k >= 0 and not reader.video[k] for k in (code.get(str(x), -1) for x in traces.items)],",
     "`-1 @85`: constant 1 -> 2"):
        "-2 is as negative as -1: an unknown item still fails k >= 0",
    # adding a cohort (poem/antcolony.py)
    ("decay", "partial_fit", "active = np.diff(traces.trail_bounds()) > 0", "`np.diff(traces.trail_bounds()) > 0 @50`: constant 0 -> 1"):
        "a fitted learner with one event in the cohort escapes this early check but is refused by the state "
        "merge (ColonyState.__add__) a few lines on, with the same error and before anything is changed",
    # learner reliability of the precedence (poem/ordering/reliability.py)
    ("reliability", "trails_pass", "if item[e] + 1 > n:", "`item[e] + 1 > n`: > -> >="): _SCRATCH_SIZE,
    ("reliability", "trails_pass", "if item[e] + 1 > n:", "`item[e] + 1 @21`: constant 1 -> 2"): _SCRATCH_SIZE,
    ("reliability", "trails_pass", "n = item[e] + 1", "`item[e] + 1 @26`: constant 1 -> 2"): _SCRATCH_SIZE,
    ("reliability", "trails_pass", "n = 0", "`0`: constant 0 -> 1"): _SCRATCH_SIZE,
    ("reliability", "trails_pass", "stamp = np.full(n, -1, np.int64)", "`-1 @24`: constant 1 -> 2"): _SENTINEL,
    ("reliability", "agreement_counts", "for b in range(a + 1, bounds[u + 1]):", "`a + 1 @31`: constant 1 -> 0"):
        "the extra pair is an item with itself: C[i, i] is 0, so its z is 0 and it is neither clear way",
    ("reliability", "_reliability", "if total == 0:          # nobody mastered two items: no order to judge anyone on",
     "`total == 0 @16`: constant 0 -> 1"):
        "a total of 1 is one pair of one learner: without their own pair nothing is left, no pair is clear, and "
        "the loop returns the same all-ones weights",
    ("reliability", "first_success_trails", 'np.asarray(state.log_bounds, dtype=np.int64), float(getattr(model, "mastery", 0.5)))',
     '`getattr(model, "mastery", 0.5) @101`: constant 0.5 -> 1.0'):
        "the default of an attribute every fitted colony has (ManHill stores mastery in __init__)",
    ("reliability", "reliable_precedence", "ratio = np.where(plain > 0, weighted / plain, 1.0)",
     "`np.where(plain > 0, weighted / plain, 1.0) @54`: constant 1.0 -> 0.0"): _NO_PAIR,
    ("reliability", "reliable_precedence", "ratio = np.where(plain > 0, weighted / plain, 1.0)",
     "`np.where(plain > 0, weighted / plain, 1.0) @54`: constant 1.0 -> 2.0"): _NO_PAIR,
    ("reliability", "_reliability", "p = np.where(seen, (agree + prior * rate) / np.where(seen, clear + prior, 1.0), rate)",
     "`np.where(seen, clear + prior, 1.0) @82`: constant 1.0 -> 0.0"): _PLACEHOLDER,
    ("reliability", "_reliability", "p = np.where(seen, (agree + prior * rate) / np.where(seen, clear + prior, 1.0), rate)",
     "`np.where(seen, clear + prior, 1.0) @82`: constant 1.0 -> 2.0"): _PLACEHOLDER,
    # the learned watching pace (poem/colony/pace.py)
    ("pace", "_pace_prior", "prior = np.full(ll.shape[1], 1.0 / ll.shape[1])", "`1.0 / ll.shape[1]`: / -> *"):
        _UNIFORM_PRIOR,
    ("pace", "_pace_prior", "prior = np.full(ll.shape[1], 1.0 / ll.shape[1])",
     "`1.0 / ll.shape[1] @33`: constant 1.0 -> 2.0"): _UNIFORM_PRIOR,
    ("pace", "_pace_prior", "prior = np.full(ll.shape[1], 1.0 / ll.shape[1])", "`ll.shape[1] @48`: constant 1 -> 0"):
        _UNIFORM_PRIOR + " (ll.shape[0] is the number of learners, a constant too)",
    ("pace", "_pace_pseudo", "pseudo = np.full(n_paces, 0.5 / max(n_paces - 1, 1))",
     "`max(n_paces - 1, 1) @53`: constant 1 -> 0"):
        "the guard only matters for a grid of one pace (0.5 / 0); PACE_GRID has 31, and from two paces on "
        "n_paces - 1 >= 1 is what max returns either way",
    # the viewing history reader (poem/colony/viewing_history.py)
    ("history_reader", "from_evidence", 'return cls(threshold=np.nan_to_num(ev.threshold, nan=0.8), level=worth["level"],',
     "`nan=0.8 @61`: constant 0.8 -> 1.6"):
        "the threshold of an item that is not a video is never compared with a share: poem suggest refuses "
        "seconds on it and the viewing policy's courses are videos only (its catalogue needs a length for "
        "every item)",
    ("history_reader", "from_evidence", 'prior_views=float(ev.params.get("prior_views", 20.0)), **options)',
     '`ev.params.get("prior_views", 20.0) @83`: constant 20.0 -> 40.0'):
        _PARAMS_MERGED,
    ("history_reader", "from_evidence", 'bg = float(ev.params.get("background_share", 3.0))',
     '`ev.params.get("background_share", 3.0) @53`: constant 3.0 -> 6.0'):
        _PARAMS_MERGED,
    ("history_reader", "complete_view_worth",
     "credible = ~((views_bin > 0) & (later_bin < 0.5 * (later_ab + later_c)) & (z >= z_min))",
     "`views_bin > 0`: > -> >="):
        "a bin without views has a NaN later success, and NaN < x is false: it stays credible either way",
    ("history_reader", "complete_view_worth", "np.divide(sums, views_bin, out=later_bin, where=views_bin > 0)",
     "`views_bin > 0`: > -> >="):
        _ZERO_OVER_ZERO,
    ("history_reader", "complete_view_worth",
     "later_ev = np.divide(total, count, out=np.full(len(ev), np.nan), where=count > 0)",
     "`count > 0`: > -> >="):
        _ZERO_OVER_ZERO,
    ("history_reader", "complete_view_worth", "for k in range(1, int(horizon) + 1):",
     "`range(1, int(horizon) + 1) @19`: constant 1 -> 0"):
        "k = 0 is the event itself, on the same item, which the same-item test excludes: it adds nothing",
    ("history_reader", "complete_view_worth", "key = learner * n_items + item", "`learner * n_items + item`: + -> -"):
        "learner * n - item is one-to-one too for items in [0, n): the first complete view of each pair is the "
        "same",
    ("history_reader", "complete_view_worth",
     "sbin = np.where(ok, _share_bins(np.where(ok, share, np.nan), item, thr, level), -1)", "`-1 @85`: constant 1 -> 2"):
        _NO_BIN,
    ("history_reader", "_share_bins", "return np.where(share >= threshold[item], b, -1)", "`-1 @54`: constant 1 -> 2"):
        _NO_BIN,
    ("history_reader", "complete_view_worth",
     "if not np.isnan(later_ab) and not np.isnan(later_c) and later_c > later_ab and views.sum() > 1:",
     "`views.sum() > 1`: > -> >="):
        _ONE_VIEW,
    ("history_reader", "complete_view_worth",
     "if not np.isnan(later_ab) and not np.isnan(later_c) and later_c > later_ab and views.sum() > 1:",
     "`views.sum() > 1 @97`: constant 1 -> 0"):
        _ONE_VIEW,
    ("history_reader", "complete_view_worth",
     "z = np.where(views_bin > 0, (later_c - later_bin) * np.sqrt(views_bin) / max(sd, 1e-12), 0.0)",
     "`max(sd, 1e-12) @93`: constant 1e-12 -> 2e-12"):
        "a floor against 0 / 0 only: later successes are means of scores in [0, 1], so a spread below 1e-12 "
        "is 0, every view has the same later success and every z is 0 whatever the floor",
    ("calibration", "summary", "counts = np.bincount(self.successes_needed, minlength=MAX_SUCCESSES + 1)",
     "`MAX_SUCCESSES + 1 @78`: constant 1 -> 2"):
        "a longer count array only adds zero counts, which the summary skips",
    # the path evidence (poem/ordering/evidence.py)
    ("evidence", "depth_prior", "if n == 0 or not np.all(np.isfinite(d)) or d.std() < 1e-12:",
     "`d.std() < 1e-12 @57`: constant 1e-12 -> 2e-12"):
        "'all items equally hard' is a spread at rounding noise: any tiny threshold gives the same prior",
    ("evidence", "depth_prior", "if n == 0 or not np.all(np.isfinite(d)) or d.std() < 1e-12:",
     "`d.std() < 1e-12`: < -> <="):
        "'all items equally hard' is a spread at rounding noise: a spread of exactly 1e-12 is never met",
    ("evidence", "depth_prior", "if n == 0 or not np.all(np.isfinite(d)) or d.std() < 1e-12:",
     "`n == 0 @12`: constant 0 -> 1"):
        "one item has a spread of 0, so the next test returns the same 1 x 1 zeros",
    ("evidence", "depth_prior", "d = (d - d.mean()) / d.std()", "`d - d.mean()`: - -> +"):
        "the prior only uses differences d_j - d_i, in which any shift of d cancels",
    ("evidence", "failure_pass", "stamp = np.full(n, -1, np.int64)", "`-1 @24`: constant 1 -> 2"): _SENTINEL,
    ("deposit", "session_firsts", "if e > a and gap_ns >= 0 and timestamp[e] - timestamp[e - 1] > gap_ns:",
     "`e > a`: > -> >="): _FIRST,
    ("deposit", "trail_pass", "if e > a and gap_ns >= 0 and timestamp[e] - timestamp[e - 1] > gap_ns:",
     "`e > a`: > -> >="): _FIRST,
    ("deposit", "trail_pass", "arc_stamp = np.full((n + 1, n), -1, np.int64)", "`n + 1 @29`: constant 1 -> 2"):
        "one spare row in a scratch array that is never read",
    ("deposit", "trail_pass", "arc_stamp = np.full((n + 1, n), -1, np.int64)", "`-1 @37`: constant 1 -> 2"):
        _SENTINEL,
    ("deposit", "trail_pass", "item_stamp = np.full(n, -1, np.int64)", "`-1 @29`: constant 1 -> 2"): _SENTINEL,
    ("deposit", "trail_pass", "succ_stamp = np.full(n, -1, np.int64)", "`-1 @29`: constant 1 -> 2"): _SENTINEL,
    ("deposit", "trail_pass", "fail_stamp = np.full(n, -1, np.int64)", "`-1 @29`: constant 1 -> 2"): _SENTINEL,
    ("deposit", "trail_pass", "if failed_j and first_fail[j] < first_succ[i]:",
     "`first_fail[j] < first_succ[i]`: < -> <="):
        "a first failure and a first success are two different events: their indices are never equal",
    ("erosion", "erosion_pass", "scale = np.ones(n + 1)", "`n + 1 @24`: constant 1 -> 2"):
        "one spare row scale that no deposit and no final rescaling reads",
    ("erosion", "erosion_pass", "if scale[rr] < 1e-200:", "`scale[rr] < 1e-200 @27`: constant 1e-200 -> 2e-200"):
        "when to renormalise a row's scale: any threshold far above underflow gives the same values (to rounding)",
    ("erosion", "erosion_pass", "if scale[rr] < 1e-200:", "`scale[rr] < 1e-200`: < -> <="):
        "when to renormalise a row's scale: the boundary value itself is never hit exactly",
    ("conditional", "conditional_pass", "stamp = np.full(n, -1, np.int64)", "`-1 @24`: constant 1 -> 2"):
        _SENTINEL,
    ("conditional", "conditional_pass", "stamp = np.full(n, -1, np.int64)", "`-1 @24`: constant 1 -> 0"):
        "the stamp only guards resetting wins[j], which starts at 0 and is only ever raised by the learner "
        "who stamped j last: a missed reset before anyone touched j resets nothing",
    ("conditional", "conditional_pass", "stamp = np.full(n, -1, np.int64)",
     "`np.full(n, -1, np.int64) @23`: drop unary -"):
        "the stamp only guards resetting wins[j], which starts at 0 and is only ever raised by the learner "
        "who stamped j last: a missed reset before anyone touched j resets nothing",
    ("decay", "_decayed_pheromones", "float(self.mastery), 0.0)",
     "`trail_pass(traces.item, traces.score, traces.ti... @50`: constant 0.0 -> 1.0"):
        "the failure bonus only changes precedence, which the decayed pass discards (it keeps the pheromones)",
    ("decay", "_gap_ns", "return -1 if model.session_gap is None else int(float(model.session_gap) * 1e9)",
     "`-1 @12`: constant 1 -> 2"): "any negative gap means no session gap to the kernels",
    ("decay", "partial_fit", "elapsed = max(0, t_ref - self._t_ref) / 1e9",
     "`max(0, t_ref - self._t_ref) @38`: constant 0 -> 1"):
        "a floor of 1 ns instead of 0 on the time since the last fit: below any measurable decay",
    ("decay", "partial_state",
     "n_events=traces.n_events, log_item=log[0].astype(np.int32, copy=False),", "`copy=False @76`: False -> True"):
        "copying the compact ELO log costs memory, not values",
    ("decay", "partial_state", "log_score=log[1].astype(np.float64, copy=False), log_time=log[2].astype(np.int64, "
     "copy=False),", "`copy=False @53`: False -> True"): "copying the compact ELO log costs memory, not values",
    ("decay", "partial_state", "log_score=log[1].astype(np.float64, copy=False), log_time=log[2].astype(np.int64, "
     "copy=False),", "`copy=False @99`: False -> True"): "copying the compact ELO log costs memory, not values",
    ("decay", "_decayed_pheromones",
     "age = (t_ref - traces.timestamp).astype(float) / 1e9 if t_ref is not None else np.zeros(0)",
     "`np.zeros(0) @100`: constant 0 -> 1"):
        "t_ref is None only for a log without events, whose trail pass deposits nothing whatever the weights",
    ("suggestion", "conditional_evidence",
     "r1 = (s1 + m * rbar) / (a1 + m) if m > 0 else np.divide(s1, a1, out=rbar.repeat(len(a1), 0), where=a1 > 0)",
     "`m > 0`: > -> >="):
        "with smoothing 0 it differs only where a1 = 0 (NaN instead of the item rate r̄); then all of j's "
        "attempts are on the other side, whose rate is about r̄, so z <= 1 < z_min and E = 0 either way",
    ("suggestion", "conditional_evidence", "E = np.where(z > z_min, 1.0 - r0 / np.maximum(r1, 1e-12), 0.0)",
     "`np.maximum(r1, 1e-12) @54`: constant 1e-12 -> 2e-12"):
        "r1 > 0 whenever smoothing > 0 (the item rate is > 0); with smoothing 0, r1 = 0 gives z <= 0, "
        "so the guard never changes a kept value",
    ("suggestion", "build",
     "top = total.max(axis=1, keepdims=True) if n else np.zeros((n + 1, 1))", "`(n + 1, 1) @74`: constant 1 -> 0"):
        "only for a colony with no items, which has no candidate to score either way",
    ("paths", "_steps", '"evidence_for": np.triu(sub, k=1).sum(axis=0),', "`k=1 @39`: constant 1 -> 0"):
        "the evidence matrix has a zero diagonal (precedence_evidence fills it with 0): the diagonal adds 0",
    ("paths", "_significant_arcs", "ratio = np.where(P + P.T > 0, P / (P + P.T), 0.0)",
     "`np.where(P + P.T > 0, P / (P + P.T), 0.0) @53`: constant 0.0 -> 1.0"):
        "where P + Pᵀ = 0 the z-score is 0 and an arc also needs z > 0: the ratio there is never read",
    ("promotion", "promotion_frame", "steps = np.where(length > 0, length, 1.0)", "`length > 0`: > -> >="):
        "a zero-length path then divides by zero in the branch np.where discards: a warning, the same values",
    ("promotion", "promotion_frame", "steps = np.where(length > 0, length, 1.0)", "`length > 0 @30`: constant 0 -> 1"):
        "a path of length 1 takes 1 step either way",
    ("promotion", "promotion_frame", "steps = np.where(length > 0, length, 1.0)",
     "`np.where(length > 0, length, 1.0) @41`: constant 1.0 -> 0.0"):
        "the fallback step count is only used for zero-length paths, whose rate is 0 whatever it is",
    ("promotion", "promotion_frame", "steps = np.where(length > 0, length, 1.0)",
     "`np.where(length > 0, length, 1.0) @41`: constant 1.0 -> 2.0"):
        "the fallback step count is only used for zero-length paths, whose rate is 0 whatever it is",
    ("elo_fit", "_centre", "out = d - (attempts @ d) / total if total > 0 else d.copy()", "`total > 0`: > -> >="):
        "total = 0 only when no item was attempted; then every item is unseen and set to 0 on the next line "
        "either way (the 0/0 only warns)",
    ("elo_fit", "fit_elo", "if not (k0 > 0 and 0 < k_min <= k0 and halflife > 0):", "`k0 > 0`: > -> >="):
        "k0 = 0 is refused either way: 0 < k_min <= k0 cannot hold with k0 = 0",
    ("elo_fit", "fit_elo", "t_lo, t_hi = (int(timestamp.min()), int(timestamp.max())) if len(timestamp) else (0, 0)", "`(0, 0) @90`: constant 0 -> 1"): _NO_STAMPS,
    ("elo_fit", "fit_elo", "t_lo, t_hi = (int(timestamp.min()), int(timestamp.max())) if len(timestamp) else (0, 0)", "`(0, 0) @93`: constant 0 -> 1"): _NO_STAMPS,
    ("elo_fit", "fit_elo", "t_lo, t_hi = (int(stamps.min()), int(stamps.max())) if len(stamps) else (0, 0)", "`(0, 0) @81`: constant 0 -> 1"): _NO_STAMPS,
    ("elo_fit", "fit_elo", "t_lo, t_hi = (int(stamps.min()), int(stamps.max())) if len(stamps) else (0, 0)", "`(0, 0) @84`: constant 0 -> 1"): _NO_STAMPS,
    ("elo_fit", "fit_elo", "degenerate = (attempts > 0) & ((successes >= attempts) | (successes <= 0))",
     "`attempts > 0`: > -> >="):
        "it adds the unseen items to the frozen ones: an unseen item has g = h = 0, so the Newton step leaves "
        "it at its start value 0 (initial_difficulty) and _centre sets unseen items to 0 anyway",
    ("canonical", "_codes", "out.append(remap[chunk.indices.to_numpy(zero_copy_only=False)])",
     "`zero_copy_only=False @63`: False -> True"):
        "the indices of a dictionary column are plain integers without nulls (every event has a learner and an "
        "item): the zero-copy view succeeds and holds the same values",
    ("canonical", "read_canonical", 'if meta.get("version", 0) > CANONICAL_VERSION:',
     "`meta.get(\"version\", 0) @27`: constant 0 -> 1"):
        "a file without a version reads as version 0 or 1: both are <= CANONICAL_VERSION (1), so both are read",
    ("suggestion", "build", "doubt = (None,) * 4", "`(None,) * 4 @26`: constant 4 -> 5"):
        "only doubt[0] to doubt[3] are ever read: a fifth None changes nothing",
    ("calibration", "_posteriors",
     "q = pred * (1.0 - slip) / np.maximum(pred * (1.0 - slip) + (1.0 - pred) * guess, 1e-300)",
     "`np.maximum(pred * (1.0 - slip) + (1.0 - pred) *... @89`: constant 1e-300 -> 2e-300"):
        "a floor against 0 / 0 only: the denominator is at least min(1 - slip, guess) >= 1e-4 for rates the "
        "calibration clips (slip, guess in [1e-4, 0.45]), so neither floor is ever reached",
    ("calibration", "_em_pass", "first_pass = -1", "`-1 @22`: constant 1 -> 2"):
        "a sentinel only compared with 0 (first_pass < 0, first_pass >= 0): any negative value works",
    ("lop", "_insertion_pass", "for q in range(p + 1, n):", "`p + 1 @27`: constant 1 -> 0"):
        "the extra step q = p adds W[x, x] - W[x, x] = 0 to the gain (W is finite: check_matrix), and a zero "
        "gain never beats best_gain, which starts at tol > 0",
    ("lop", "_exact_dp", "for S in range(1, size):", "`range(1, size) @19`: constant 1 -> 0"):
        "the extra set S = 0 has no member j: its inner loop does nothing (best[0] = 0 stays)",
    ("contrast", "_cd_logistic", "elif u < -t:", "`u < -t`: < -> <="): _SOFT,
    ("contrast", "_cd_logistic", "if u > t:", "`u > t`: > -> >="): _SOFT,
    ("success", "predict_trails", "stop = min(stop, len(bounds) - 1)", "`len(bounds) - 1`: - -> +"):
        "the cap never binds: inside the loop start < len(bounds) - 1, so start + 1 <= len(bounds) - 1, and "
        "searchsorted(...) - 1 <= len(bounds) - 1: a looser cap changes nothing",
    ("contrast", "__init__", "self.starts = np.searchsorted(item[self.events], np.arange(self.n + 1))",
     "`self.n + 1 @76`: constant 1 -> 2"):
        "one more offset at the end of the table: rows(j) reads starts[j] and starts[j + 1] for j < n only",
    ("lop", "_exact_dp", "gain = 0.0", "`0.0`: constant 0.0 -> 1.0"):
        "adds 1 per appended item, i.e. n to every complete order: the same argmax, and lop_exact reports the "
        "objective recomputed by lop_objective, not the DP's value",
    ("viewing", "evidence_weights", "later = np.divide(total, count, out=later, where=count > 0)",
     "`count > 0`: > -> >="):
        "where count = 0, total = 0 too: 0 / 0 is NaN, the value `out` holds there anyway (a warning only)",
    ("viewing", "_classify", "stamp = np.full(n, -1, np.int64)       # learner index that last touched the item's scratch", '`np.full(n, -1, np.int64) @23`: drop unary -'): _FRESH,
    ("viewing", "_classify", "stamp = np.full(n, -1, np.int64)       # learner index that last touched the item's scratch", '`-1 @24`: constant 1 -> 0'): _FRESH,
    ("viewing", "_classify", "stamp = np.full(n, -1, np.int64)       # learner index that last touched the item's scratch", '`-1 @24`: constant 1 -> 2'): _FRESH,
    ("success", "update", "succ, fail, local, _ = self.per_item.get(j, (0.0, 0.0, 0.0, 0.0))",
     "`(0.0, 0.0, 0.0, 0.0) @68`: constant 0.0 -> 1.0"):
        "the fourth default (the last outcome on the item) is unpacked into `_` and never read",
    ("elo", "elo_pass", "if k < k_min:", "`k < k_min`: < -> <="):
        "at k == k_min the floor sets k to the value it has",
    ("selection", "select", "fit = fit + (fit.max() * 1e-3 if fit.max() > 0 else 1.0)",
     "`fit.max() * 1e-3 @33`: constant 0.001 -> 0.002"):
        "the floor is specified as small and positive (the worst candidate stays possible, rarely drawn), "
        "which the tests pin; its exact size (0.1 % or 0.2 % of the range) is not specified",
    ("selection", "select", "fit = fit + (fit.max() * 1e-3 if fit.max() > 0 else 1.0)",
     "`1.0`: constant 1.0 -> 2.0"):
        "with flat scores every fitness is this same constant: any positive value gives the uniform draw",
    ("evaluation", "graph_scores",
     "if predicted and n_true and precision + recall > 0 else (0.0 if predicted and n_true else math.nan))",
     "`predicted and n_true`: and -> or"):
        "when either arc set is empty, its side (precision or recall) is NaN, so "
        "precision + recall > 0 is False and the else branch gives NaN either way",
    ("lop", "_exact_dp", "n = W.shape[0]", "`W.shape[0] @16`: constant 0 -> 1"): _SQUARE,
    ("lop", "local_search", "n = W.shape[0]", "`W.shape[0] @16`: constant 0 -> 1"): _SQUARE,
    ("lop", "_exact_dp", "if S & (1 << j):", "`S & (1 << j)`: & -> |"):
        "for j not in S, prev = S + 2^j is a larger set, not yet computed (best = -inf): that candidate "
        "never beats best[S]",
    ("lop", "_swap_pass", "for a in range(n - 1):", "`n - 1`: - -> +"):
        "for a >= n - 1 the inner loop range(a + 1, n) is empty",
    ("lop", "solve_lop", "def solve_lop(W, *, rng=None, start=None, n_iterations: int = 200, strength: int | None = None,",
     "`200`: constant 200 -> 201"):
        "the default number of iterations is a budget, not a specified value: 200 or 201 reach the same "
        "optimum on the tests' matrices, and the exact solver covers the small ones",
    # fifth pass
    ("cond_success", "conditional_concentration", "rho = float(np.clip(num / den, 1e-3, 1.0)) if den > 0 else 1.0",
     "`np.clip(num / den, 1e-3, 1.0) @41`: constant 1.0 -> 2.0"):
        "any rho >= 0.5 gives c = 1/rho - 1 <= 1, which the floor MIN_CONCENTRATION = 1 lifts to 1: rho capped "
        "at 1 or at 2, the function returns 1.0 for every rho above 0.5 either way",
    ("cond_success", "conditional_success", "if len(mastered) == 1:", "`len(mastered) == 1 @24`: constant 1 -> 0"):
        "mastered is never empty here (None was returned before), so the mutant always takes the general "
        "branch; with one condition the argmax over its single row is 0 in every column, so a[best, cols] = "
        "a[0] and r[best, cols] = r[0]: the values of the shortcut",
    ("viewing", "apply_viewing", 'w = weights.get("video", 1.0)', '`weights.get("video", 1.0) @29`: constant 1.0 -> 2.0'):
        "the default weight (no video kind weighed) is only compared with 1.0 (`w < 1.0`): 1.0 and 2.0 both "
        "skip the shrinkage",
    ("viewing", "apply_viewing", "if wq < 1.0:", "`wq < 1.0 @12`: constant 1.0 -> 2.0"):
        "it adds the shrinkage with weight exactly 1.0 (the only weight in [1, 2): weights are clipped to "
        "[0.1, 1]), mastery + 1.0 * (s - mastery), which is s: exactly for s within a factor 2 of mastery "
        "(Sterbenz), else within one rounding, and never across the mastery threshold",
    ("viewing", "_fold_visits", "if traces.video is None or n == 0:", "`n == 0 @36`: constant 0 -> 1"):
        "with one event nothing can fold: the general path finds no continued run and returns the same "
        "share, the seeks with NaN as 0, and no folded event",
    ("viewing", "_classify", "pending = np.full(n, -1, np.int64)     # complete view waiting for its verdict",
     "`-1 @26`: constant 1 -> 2"):
        "a sentinel only compared with 0 (p >= 0; resets write -1): any negative value works",
    ("viewing", "viewing_summary",
     "landed = learners_with(vid & np.isin(ev.label, (_COMPLETE, _STRUGGLED)) & (ev.score >= 0.5))",
     "`vid & np.isin(ev.label, (_COMPLETE, _STRUGGLED)...`: & -> |"):
        "complete and struggled labels are only given to unfolded video visits (a subset of vid), and among "
        "the video visits the scores >= 0.5 are exactly those views (abandoned and returned score 0, the "
        "other labels none; struggle_score >= 0.5): (vid | X) & S = vid & S = vid & X & S",
    ("viewing", "_classify", "pending[j] = -1", "`-1 @30`: constant 1 -> 2"):
        "a sentinel only compared with 0 (p >= 0): any negative value works",
    ("viewing", "_classify", "progress = 0  # videos completed for the first time so far in this trail",
     "`0`: constant 0 -> 1"):
        "progress only enters as the difference progress - progress_at[j], and progress_at[j] is only read "
        "while pending[j] >= 0, i.e. after this same learner set it (pending is reset per learner): a common "
        "offset on the learner's count cancels",
    ("viewing", "_otsu", "mids = (edges[:-1] + edges[1:]) / 2", "`(edges[:-1] + edges[1:]) / 2 @38`: constant 2 -> 3"):
        "the bin centres only enter the class means m0, m1 (linear in them) and so the between-class "
        "variance w0 w1 (m0 - m1)^2 through their differences: a common factor 2/3 scales every cut's "
        "variance by 4/9, and the best cuts (compared relative to the maximum) are the same, to rounding",
    ("viewing", "_classify", "pending = np.full(n, -1, np.int64)     # complete view waiting for its verdict",
     "`np.full(n, -1, np.int64) @25`: drop unary -"): _PENDING,
    ("viewing", "_classify", "pending = np.full(n, -1, np.int64)     # complete view waiting for its verdict",
     "`-1 @26`: constant 1 -> 0"): _PENDING,
    ("viewing", "evidence_weights", "return {k: float(np.clip(v / top, 0.1, 1.0)) for k, v in value.items()}",
     "`np.clip(v / top, 0.1, 1.0) @43`: constant 1.0 -> 2.0"):
        "top is the largest value and is > 0 here, so every v / top <= 1: the upper clip never binds",
    ("paths", "_significant_arcs", "ratio = np.where(P + P.T > 0, P / (P + P.T), 0.0)", "`P + P.T`: + -> -"):
        "it sets the ratio to 0 where P <= Pᵀ, where it was P / (P + Pᵀ) <= 0.5; an arc needs ratio >= "
        "min_ratio >= 0.5 and z > 0: below 0.5 it fails either way, and at exactly 0.5 (P = Pᵀ) the signed "
        "z-score is 0",
    ("paths", "_significant_arcs", "ratio = np.where(P + P.T > 0, P / (P + P.T), 0.0)", "`P + P.T > 0`: > -> >="):
        "where P + Pᵀ = 0 the mutant computes 0 / 0 = NaN instead of 0; both fail ratio >= min_ratio (and the "
        "z-score there is 0, which fails z > 0 too)",
    ("paths", "_significant_arcs", "return np.where((z >= threshold) & (z > 0) & (ratio >= min_ratio), z, 0.0)",
     "`z > 0`: > -> >="):
        "where z = 0 the mutant may select the cell, and then returns z there, i.e. 0: the value the "
        "original returns",
    ("success", "predict_trails",
     "stop = max(start + 1, int(np.searchsorted(bounds, bounds[start] + CHUNK_EVENTS, side=\"right\")) - 1)",
     "`bounds[start] + CHUNK_EVENTS`: + -> -"):
        "the mutant predicts one trail per block (the searchsorted index falls at or before start, and "
        "start + 1 wins); each trail's features start fresh, so the blocks never change a prediction (tested "
        "with blocks of every size)",
    ("calibration", "calibrate", "q_direct = np.where(n_rep > 0, q_direct, 0.0)",
     "`np.where(n_rep > 0, q_direct, 0.0) @49`: constant 0.0 -> 1.0"):
        "the value set where n_rep = 0 (a NaN rate there) only enters the next line multiplied by n_rep, i.e. "
        "by 0: 0 or 1, the product is 0",
    ("calibration", "_em_pass", "continue", "`continue`: continue -> break"):
        "the guard never fires: every rate stays strictly inside (0, 1) (the start values, then the clips "
        "after each M step), so every emission and transition probability is positive, and the forward and "
        "backward probabilities, rescaled at each step, never underflow: tot > 0",
    ("calibration", "simulate_bkt", "scores[:, :, t] = (rng.random((m, n)) < p).astype(float)",
     "`rng.random((m, n)) < p`: < -> <="):
        "differs only when a uniform draw equals the probability p exactly (one of 2^53 values per draw): "
        "never in the seeded simulations the tests use",
    ("lop", "_swap_pass", "for a in range(n - 1):", "`n - 1 @23`: constant 1 -> 0"):
        "for a = n - 1 the inner loop range(a + 1, n) is empty",
    ("lop", "_swap_pass", "for b in range(a + 1, n):", "`a + 1 @27`: constant 1 -> 0"):
        "b = a swaps an item with itself: gain W[x, x] - W[x, x] = 0 (the loop between is empty), never "
        "above tol > 0",
    ("lop", "_swap_pass", "if gain > tol:", "`gain > tol`: > -> >="):
        "differs only for a gain equal to tol bit for bit (tol = 1e-9 max(1, max|W|), a gain a sum of "
        "differences of entries): the tied moves that matter (gain 0) are refused either way (tested)",
    ("lop", "_exact_dp", "return order, best[size - 1]", "`size - 1 @30`: constant 1 -> 2"):
        "the DP's value is discarded by its only caller, lop_exact, which reports the objective recomputed "
        "by lop_objective",
    ("lop", "local_search", "if gained <= tol:", "`gained <= tol`: <= -> <"):
        "gained is 0 (no move) or a sum of moves each gaining more than tol: it never equals tol",
    ("lop", "lop_exact", "n = W.shape[0]", "`W.shape[0] @16`: constant 0 -> 1"): _SQUARE,
    ("cond_success", "conditional_concentration", "rho = float(np.clip(num / den, 1e-3, 1.0)) if den > 0 else 1.0",
     "`1.0`: constant 1.0 -> 2.0"):
        "the fallback rho 1 or 2 gives c = 0 or -0.5, both floored to MIN_CONCENTRATION = 1",
    ("success", "_prefix", "if len(item) <= max_events:", "`len(item) <= max_events`: <= -> <"):
        "at len(item) == max_events == bounds[-1] the general branch finds k = len(bounds) - 1 "
        "(searchsorted from the right) and end = bounds[-1]: it returns the whole arrays, as the shortcut",
    ("success", "next_attempt_features", "if k < k_min:", "`k < k_min`: < -> <="):
        "at k == k_min the floor sets k to the value it has",
    ("contrast", "_build_graph",
     "keep &= ~(both & (key == key.T) & (np.arange(len(keep))[:, None] > np.arange(len(keep))[None, :]))",
     "`np.arange(len(keep))[:, None] > np.arange(len(k...`: > -> >="):
        "it adds the diagonal (i == j) to the arcs dropped on a tie, and fill_diagonal cleared the diagonal "
        "of keep just above",
    ("contrast", "_order_share", "before = (sub < fj[done][:, None]).sum(axis=0)    # _NEVER is never below a real index",
     "`sub < fj[done][:, None]`: < -> <="):
        "sub and fj hold first-success event indices of two different items (the column j is never a "
        "candidate) for learners who mastered j (fj < _NEVER): one event has one item, so they are never equal",
    ("contrast", "fit", "if self.min_order > 0 and len(cols):", "`self.min_order > 0`: > -> >="):
        "with min_order = 0 the mutant applies the order filter at threshold 0, which keeps every column "
        "(a share is >= 0): the same candidates, at the cost of computing the shares",
    ("contrast", "_cd_logistic", "if max_change < tol:", "`max_change < tol`: < -> <="):
        "differs only when a sweep's largest change equals tol exactly: at tol > 0 a continuous quantity that "
        "is never exactly tol; at tol = 0 the mutant stops after a sweep that changed nothing, which the "
        "original repeats with the same values",

    ("viewing", "viewing_evidence", "info = is_video & ~np.isnan(share) & (share <= float(p[\"background_share\"]))",
     "`is_video & ~np.isnan(share)`: & -> |"):
        ("share is NaN wherever is_video is False (np.where above), so is_video | has-a-share is is_video; the "
         "NaN shares are then dropped by share <= background_share, as before"),
    # the ACO ordering and the baselines (poem/ordering/aco.py, baselines.py)
    ("aco", "aco_order", "eps = max(float(shifted[off].mean()) if n > 1 else 1.0, 1e-12)",
     "`1.0`: constant 1.0 -> 2.0"):
        "eps for n <= 1, where the only order is [0] (or none): it scales no choice",
    ("aco", "_construct", "if u_exploit[step, a] < q0 or total <= 0.0:",
     "`u_exploit[step, a] < q0`: < -> <="):
        "two floats compared: the uniform draw in [0, 1) equals the bound only with probability 2^-53",
    ("aco", "_construct", "if acc >= threshold:",
     "`acc >= threshold`: >= -> >"):
        "two floats compared: the uniform draw in [0, 1) equals the bound only with probability 2^-53",
    ("aco", "aco_order", "np.fill_diagonal(shifted, 0.0)",
     "`np.fill_diagonal(shifted, 0.0) @30`: constant 0.0 -> 1.0"):
        ("the diagonal is never read: the kernel's residual sums subtract W[j, j], an arc i -> j has j "
         "unvisited (so j != i), and eps is the mean of the off-diagonal entries"),
    ("aco", "aco_order", "n = W.shape[0]",
     "`W.shape[0] @16`: constant 0 -> 1"):
        _SQUARE,
    ("aco", "_construct", "n = W.shape[0]",
     "`W.shape[0] @16`: constant 0 -> 1"):
        _SQUARE,
    ("aco", "aco_order", "pher = np.full((n + 1, n), tau0)",
     "`n + 1 @28`: constant 1 -> 2"):
        "a row past the last one read: the arc matrices are read at rows 0..n (n the start node) only",
    ("aco", "aco_order",
     "heur = np.ones((n + 1, n)) if heuristic is None else _as_arc_matrix(heuristic, n, \"heuristic\")",
     "`n + 1 @24`: constant 1 -> 2"):
        "a row past the last one read: the arc matrices are read at rows 0..n (n the start node) only",
    ("aco", "_construct", "best_j = -1",
     "`-1 @22`: constant 1 -> 0"):
        ("the initial best item is never used: the first unvisited item's weight (>= 0) beats best = -1 and "
         "sets it"),
    ("aco", "_construct", "best_j = -1",
     "`-1 @22`: constant 1 -> 2"):
        ("the initial best item is never used: the first unvisited item's weight (>= 0) beats best = -1 and "
         "sets it"),
    ("aco", "_construct", "best = -1.0",
     "`-1.0 @20`: constant 1.0 -> 2.0"):
        "any negative initial best works: every weight is >= 0, so the first unvisited item beats it",
    ("aco", "path_objective", "value = float(W[order[:-1], order[1:]].sum()) if order.size > 1 else 0.0",
     "`order.size > 1 @66`: constant 1 -> 0"):
        "a one-item order has no consecutive arc: the empty sum is 0 either way",
    ("aco", "_construct", "eta = 1.0",
     "`1.0`: constant 1.0 -> 2.0"):
        ("the start node's heuristic value is common to every first item: a factor 2^beta on all of them "
         "changes neither the best one nor the proportional draw"),
    ("baselines", "_greedy_walk", "n = weights.shape[0]",
     "`weights.shape[0] @22`: constant 0 -> 1"):
        _SQUARE,
    ("baselines", "_first_event_ranks", "return np.where(count > 0, total / np.maximum(count, 1), np.nan)",
     "`np.maximum(count, 1) @61`: constant 1 -> 0"):
        "the guard only avoids a division by zero where count = 0, which np.where replaces by NaN anyway",
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`1`: constant 1 -> 2"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`1`: constant 1 -> 0"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`2`: constant 2 -> 3 (#2)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`3`: constant 3 -> 4"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`utc=True @70`: True -> False"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`1`: constant 1 -> 2 (#3)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`1`: constant 1 -> 0 (#2)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 0.0 (#3)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 0.0 (#4)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 0.0 (#2)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 2.0"):
        _DEMO_DATA,
    ("aco", "_construct", "in_r[a, j] = col_sum[j] - W[j, j]",
     "`col_sum[j] - W[j, j]`: - -> +"):
        "the kernel receives W with a zero diagonal (aco_order fills it): W[j, j] = 0 added or subtracted",
    ("aco", "aco_order", "eps = max(float(shifted[off].mean()) if n > 1 else 1.0, 1e-12)",
     "`max(float(shifted[off].mean()) if n > 1 else 1.... @60`: constant 1e-12 -> 2e-12"):
        ("eps's guards: for n <= 1 the only order is [0]; when every shifted entry is 0, eps is common to "
         "every candidate (ratio 1, value eps) whatever its floor"),
    ("aco", "aco_order", "eps = max(float(shifted[off].mean()) if n > 1 else 1.0, 1e-12)",
     "`1.0`: constant 1.0 -> 0.0"):
        ("eps's guards: for n <= 1 the only order is [0]; when every shifted entry is 0, eps is common to "
         "every candidate (ratio 1, value eps) whatever its floor"),
    ("aco", "_construct", "best_j = -1",
     "`-1`: drop unary -"):
        ("the initial best item is never used: the first unvisited item's weight (>= 0) beats best = -1 and "
         "sets it"),
    ("aco", "aco_order", "eps = max(float(shifted[off].mean()) if n > 1 else 1.0, 1e-12)",
     "`n > 1 @48`: constant 1 -> 2"):
        ("eps's guards: for n <= 1 the only order is [0]; when every shifted entry is 0, eps is common to "
         "every candidate (ratio 1, value eps) whatever its floor"),
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 2.0 (#3)"):
        _DEMO_DATA,
    ("baselines", "item_statistics", "rate = np.where(attempts > 0, successes / np.maximum(attempts, 1), np.nan)",
     "`np.maximum(attempts, 1) @71`: constant 1 -> 0"):
        "the guard only avoids a division by zero where attempts = 0, which np.where replaces by NaN anyway",
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 2.0 (#2)"):
        _DEMO_DATA,
    ("baselines", "_first_event_ranks", "key = traces.learner[idx].astype(np.int64) * n + traces.item[idx]",
     "`traces.learner[idx].astype(np.int64) * n + trac...`: + -> -"):
        "learner * n - item is one-to-one as well (0 <= item < n): the same first occurrences are found",
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`0.0`: constant 0.0 -> 1.0"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`1`: constant 1 -> 2 (#2)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 0.0 (#5)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`2`: constant 2 -> 3"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"timestamp\": pd.to_datetime([1, 2, 3, 1, 2, 1], unit=\"D\", utc=True),",
     "`1`: constant 1 -> 0 (#3)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 2.0 (#5)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 2.0 (#4)"):
        _DEMO_DATA,
    ("baselines", "_demo", "\"score\": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]})",
     "`1.0`: constant 1.0 -> 0.0"):
        _DEMO_DATA,
    ("aco", "_construct", "if u_exploit[step, a] < q0 or total <= 0.0:",
     "`total <= 0.0`: <= -> <"):
        "with total = 0 the draw branch finds no positive weight and keeps best_j, the exploiting choice",
    ("aco", "_construct", "if weights[j] > 0.0:",
     "`weights[j] > 0.0`: > -> >="):
        ("a zero weight adds nothing to the running sum, which reaches the threshold (below the total) at a "
         "positive weight; only the float boundary differs"),
    ("aco", "aco_order", "shift = float(W[off].min()) if n > 1 else 0.0",
     "`0.0`: constant 0.0 -> 1.0"):
        "the shift for n <= 1: one item has one order, and the objective is recomputed on the caller's W",
    ("aco", "_construct", "elif beta == 1.0:",
     "`beta == 1.0 @29`: constant 1.0 -> 2.0"):
        "beta == 2 is taken by the branch before: the mutated branch is never reached",
    ("aco", "_construct", "out_r[a, j] = row_sum[j] - W[j, j]",
     "`row_sum[j] - W[j, j]`: - -> +"):
        "the kernel receives W with a zero diagonal (aco_order fills it): W[j, j] = 0 added or subtracted",
    ("aco", "path_objective", "value = float(W[order[:-1], order[1:]].sum()) if order.size > 1 else 0.0",
     "`order.size > 1`: > -> >="):
        "a one-item order has no consecutive arc: the empty sum is 0 either way",
    # the learned landing (poem/colony/landing.py)
    ("landing", "_visit_features", "stamp = np.full(n, -1, np.int64)",
     "`-1 @24`: constant 1 -> 0"):
        _FRESH,
    ("landing", "_visit_features", "stamp = np.full(n, -1, np.int64)",
     "`-1 @24`: constant 1 -> 2"):
        _FRESH,
    ("landing", "_visit_features", "stamp = np.full(n, -1, np.int64)",
     "`np.full(n, -1, np.int64) @23`: drop unary -"):
        _FRESH,
    ("landing", "_classify_learned", "stamp = np.full(n, -1, np.int64)",
     "`-1 @24`: constant 1 -> 0"):
        _FRESH,
    ("landing", "_classify_learned", "stamp = np.full(n, -1, np.int64)",
     "`-1 @24`: constant 1 -> 2"):
        _FRESH,
    ("landing", "_classify_learned", "stamp = np.full(n, -1, np.int64)",
     "`np.full(n, -1, np.int64) @23`: drop unary -"):
        _FRESH,
    ("landing", "_visit_features",
     "nxt = np.full(n, -1, np.int64)        # next informative visit of the item (backward pass)",
     "`-1 @22`: constant 1 -> 0"):
        _NXT_RESET,
    ("landing", "_visit_features",
     "nxt = np.full(n, -1, np.int64)        # next informative visit of the item (backward pass)",
     "`-1 @22`: constant 1 -> 2"):
        _NXT_RESET,
    ("landing", "_visit_features",
     "nxt = np.full(n, -1, np.int64)        # next informative visit of the item (backward pass)",
     "`np.full(n, -1, np.int64) @21`: drop unary -"):
        _NXT_RESET,
    ("landing", "_visit_features", "nxt[j] = -1",
     "`-1 @26`: constant 1 -> 2"):
        "any negative 'no later visit' works: it is only tested with f < 0",
    ("landing", "_visit_features", "if f < 0:",
     "`f < 0`: < -> <="):
        "f is a later event than e >= 0, so f >= 1 or f = -1: f == 0 never happens",
    ("landing", "_visit_features", "if f < 0:",
     "`f < 0 @19`: constant 0 -> 1"):
        "f is a later event than e >= 0, so f >= 1 or f = -1: f == 0 never happens",
    ("landing", "_visit_features", "elif nd[e] > f:",
     "`nd[e] > f`: > -> >="):
        ("nd[e] is hi or an event on another item, f an event on the same item before hi: they are "
         "never equal"),
    ("landing", "_visit_features", "nd[e] = hi if e == hi - 1 else (e + 1 if item[e + 1] != item[e] else nd[e + 1])",
     "`e + 1 @48`: constant 1 -> 2"):
        ("nd[e] = e + 1 (the next event is on another item) is only compared with a later visit f of "
         "e's item, so f >= e + 2; e + 2 > f fails as e + 1 > f does, and one event back (same item) "
         "both exceed e"),
    ("landing", "_visit_features",
     "for e in range(hi - 1, lo - 1, -1):  # backward: next visit of the same video, next other item",
     "`lo - 1 @36`: constant 1 -> 2"):
        ("the extra step writes nd at lo - 1 (the previous learner's last event, already used) or, for"
         " the first learner, nd[-1], which the last learner recomputes before reading it"),
    ("landing", "_visit_features",
     "newc = np.zeros(m + 1, np.int64)      # videos completed for the first time up to each event (cumulative)",
     "`m + 1 @24`: constant 1 -> 2"):
        "one more cumulative count, after the last event, which is never read",
    ("landing", "landing_model", "if not r_land[0] > r_lost[0]:",
     "`r_land[0] > r_lost[0]`: > -> >="):
        "two EM estimates of a probability are never exactly equal (float boundary)",
    ("landing", "_finishing_levels", "return np.maximum(level, 1e-9)",
     "`np.maximum(level, 1e-9) @29`: constant 1e-09 -> 2e-09"):
        ("a guard against dividing by a zero finishing level: a level at or below 2e-9 means half the "
         "complete views of a video have share 0, and a share over it falls in the top bin with either"
         " guard"),
}

#: surviving mutants that are explained but NOT equivalent: the mutant changes a result no test pins, and
#: pinning it would freeze a behaviour that is a product question rather than a specification. They stay
#: survivors (they count against the score); the reason says what differs and who should decide.
_CERTAIN = ("not equivalent: how close to 0 or 1 a certain prediction is kept before its odds are taken (1e-9 or "
            "2e-9): a guard that keeps the result a finite probability (tested), its size unspecified; the "
            "result moves by about 1e-9")
KNOWN: dict[tuple[str, str, str, str], str] = {
    ("aco", "aco_order",
     "def aco_order(W, *, n_ants: int = 20, n_iterations: int = 50, alpha: float = 1.0, beta: float = 2.0,",
     "`50`: constant 50 -> 51"):
        ("not equivalent: the default number of iterations (50 or 51), a budget like n_ants; other draws, no "
         "specified result"),
    ("aco", "aco_order",
     "def aco_order(W, *, n_ants: int = 20, n_iterations: int = 50, alpha: float = 1.0, beta: float = 2.0,",
     "`20`: constant 20 -> 21"):
        ("not equivalent: the default colony size (20 or 21 ants), a budget like n_iterations; other draws, no"
         " specified result"),
    ("aco", "_construct", "if w > best:",
     "`w > best`: > -> >="):
        ("not equivalent: among candidates of exactly equal weight the greedy choice takes the last instead of"
         " the first; which tied item is taken is not specified"),
    ("aco", "aco_order", "q0: float = 0.9, rho: float = 0.1, xi: float = 0.1, tau=None, heuristic=None,",
     "`0.1`: constant 0.1 -> 0.2 (#2)"):
        ("not equivalent: a default update rate (0.1 or 0.2), a tuning constant of the Ant Colony System with "
         "no specified value"),
    ("aco", "aco_order", "if value > best_value:",
     "`value > best_value`: > -> >="):
        ("not equivalent: when a later iteration finds an ordering of the same objective as the best so far, "
         "the mutant keeps the later one; both are optimal for the colony, and which tied ordering is returned"
         " is not specified (as in the LOP search)"),
    ("viewing", "viewing_evidence", "info = is_video & ~np.isnan(share) & (share <= float(p[\"background_share\"]))",
     "`share <= float(p[\"background_share\"])`: <= -> <"):
        ("not equivalent: a visit of exactly background_share times the length goes to the learned pass "
         "(<=) or stays with the rule's label (<); the two agree unless the learner comes back to that "
         "video, and a share of exactly 3.0 is not a case worth pinning"),
    ("landing", "landing_model",
     "def landing_model(sbin, ret, first, anchor, *, min_learn: int = 50, n_iter: int = 300) -> dict | None:",
     "`300`: constant 300 -> 301"):
        ("not equivalent: the EM's iteration budget (300 or 301 steps); the fit has converged well before (the "
         "known mixture is recovered, tested), one more step moves the estimates by less than any test reads"),
    # fourth pass (after the merges of this stop): kept as survivors, each a gap no test pins yet
    ("canonical", "is_canonical", 'if not path.is_file() or not path.name.lower().endswith((".parquet", ".pq")):',
     "`not path.is_file() or not path.name.lower().end...`: or -> and"):
        "not equivalent: the mutant also opens a canonical file saved under a non-Parquet name (then read "
        "with format='parquet'); the original reads it as a plain Parquet table, which gives the same traces "
        "(checked by hand) but accepts column options the canonical reader refuses. Which is right is a "
        "product question (the docstring says 'a Parquet file written by write_traces', not its name): kept "
        "as a survivor, not pinned by a test",
    ("lop", "_exact_dp", "if value > best[S]:", "`value > best[S]`: > -> >="):
        "not equivalent: among several optimal orders the exact DP returns another one (the last candidate "
        "instead of the first); the objective, which the tests check against brute force, is the same. Which "
        "optimum is returned on a tie is not specified",
    ("lop", "_perturb", "i, j = rng.integers(0, n, size=2)", "`rng.integers(0, n, size=2) @28`: constant 0 -> 1"):
        "not equivalent: the random perturbation never picks the first position; the iterated search still "
        "reaches the optimum on the tests' matrices (checked against brute force). A property of a random "
        "kick, not a specified result",
    ("lop", "local_search", "tol = 1e-9 * max(1.0, float(np.abs(W).max()))",
     "`max(1.0, float(np.abs(W).max())) @21`: constant 1.0 -> 2.0"):
        "not equivalent: the absolute floor of the float-noise tolerance (1e-9 or 2e-9) for matrices with "
        "entries below 2; gains that small are 7 orders above rounding noise and below any real evidence. "
        "The tolerance's scaling with W is tested (ties at any scale)",
    ("success", "_fit_logistic", "break", "`break`: break -> continue"):
        "not equivalent: Newton keeps iterating after its step fell below the tolerance (up to n_iter); the "
        "weights then move by less than that tolerance, below what any test or result reads",
    ("success", "_fit_calibration", "h = (b * (p * (1 - p))[:, None]).T @ b + ridge * np.eye(len(c))",
     "`1 - p`: - -> +"):
        "not equivalent: a wrong Hessian changes Newton's path, not its fixed point (the gradient's zero): "
        "when the 30 steps converge, the correction is the same to 1e-8. Only a non-converging fit would "
        "differ",
    ("success", "_fit_logistic", "xs = x * np.sqrt(p * (1.0 - p))[:, None]", "`1.0 - p @30`: constant 1.0 -> 2.0"):
        "not equivalent: a wrong Hessian changes Newton's path, not its fixed point (the penalised gradient's "
        "zero): when the steps converge the weights are the same to the tolerance",
    ("contrast", "_cd_logistic", "if not full and beta[k] == 0.0:", "`beta[k] == 0.0 @43`: constant 0.0 -> 1.0"):
        "not equivalent, a cost: the active-set shortcut (sweeps over the non-zero coefficients until they "
        "settle, then one full sweep) skips the coefficients equal to 1.0 instead of the zero ones, i.e. "
        "sweeps (almost) every feature; coordinate descent converges to the same minimiser within its "
        "tolerance, which is all the tests and results read. Pinning the sweep order would copy the code",
    ("contrast", "_cd_logistic", "continue", "`continue`: continue -> break"):
        "not equivalent, a cost: in the active-set sweeps (not in the full ones) the mutant stops at the "
        "first zero coefficient instead of skipping it; the full sweep that ends each inner loop still "
        "visits every feature, so the fit converges to the same minimiser within its tolerance (a slower "
        "path, no other observable)",
    ("contrast", "_cd_logistic", "change = abs(d) * math.sqrt(xwx[k])", "`abs(d) * math.sqrt(xwx[k])`: * -> /"):
        "not equivalent, a stopping rule's scale: the size of a coordinate's step measured as |d| / sqrt(x'Wx) "
        "instead of |d| sqrt(x'Wx); the descent stops at another point within its tolerance of the same "
        "minimiser (the fit's result to the tests' tolerances)",
    ("success", "_fit_logistic", "xs = x * np.sqrt(p * (1.0 - p))[:, None]", "`p * (1.0 - p)`: * -> /"):
        "not equivalent: a wrong Hessian (weights p / (1 - p) instead of p (1 - p)) changes Newton's path, "
        "not its fixed point (the penalised gradient's zero): when the steps converge the weights are the same "
        "to the tolerance",
    ("calibration", "calibrate", "guess, slip = np.full(n, 0.2), np.full(n, 0.1)",
     "`np.full(n, 0.2) @29`: constant 0.2 -> 0.4"):
        "not equivalent, a starting point: the EM's initial guess rate (0.2 or 0.4); EM climbs from either to "
        "a fixed point that meets the recovery tests' stated tolerances; which start is best is not "
        "specified (a benchmark of calibration error against the start would decide it, not a unit test)",
    ("calibration", "calibrate", "learn = np.clip(learn, 1e-3, 1 - 1e-3)", "`1 - 1e-3 @41`: constant 0.001 -> 0.002"):
        "not equivalent: the cap that keeps the EM's learning rate off 1 (0.999 or 0.998) only binds on a "
        "course where nearly every failure is followed by mastery; a numerical guard with no specified value",
    ("lop", "local_search", "tol = 1e-9 * max(1.0, float(np.abs(W).max()))",
     "`1e-9 * max(1.0, float(np.abs(W).max())) @10`: constant 1e-09 -> 2e-09"):
        "not equivalent: the float-noise tolerance's factor (1e-9 or 2e-9 of the largest entry); gains that "
        "small are far above rounding noise and far below any real evidence. Its scaling with W is tested "
        "(ties at any scale), not the factor",
    ("cond_success", "conditional_success", "q = np.clip(p, 1e-9, 1.0 - 1e-9)",
     "`1.0 - 1e-9 @31`: constant 1e-09 -> 2e-09"): _CERTAIN,
    ("cond_success", "conditional_success", "q = np.clip(p, 1e-9, 1.0 - 1e-9)",
     "`np.clip(p, 1e-9, 1.0 - 1e-9) @19`: constant 1e-09 -> 2e-09"): _CERTAIN,
    ("contrast", "_fit_item", "b0 = 0.0 if warm is None else warm[1]", "`0.0`: constant 0.0 -> 1.0"):
        "not equivalent, a starting point: the cold start's intercept (0 or 1); the descent converges to the "
        "same minimiser within its tolerance (1e-3 on the coefficients' scaled steps), so the fit differs "
        "below what the tests and results read",
    ("contrast", "_cd_logistic", "for _sweep in range(200):", "`range(200) @28`: constant 200 -> 201"):
        "not equivalent, a budget: the cap on coordinate sweeps per IRLS step (200 or 201); the inner loop "
        "stops on its tolerance long before on the tests' and the courses' data",
    ("lop", "_insertion_pass", "if gain > best_gain:", "`gain > best_gain`: > -> >="):
        "not equivalent: when two positions give an item the same positive gain, the mutant moves it to the "
        "later one scanned instead of the first; both orders have the same objective and the search stays "
        "deterministic. Which tied position wins is not specified, so no test pins it",
    ("calibration", "calibrate", "prior = np.clip(prior, 1e-3, 1 - 1e-3)", "`1 - 1e-3 @41`: constant 0.001 -> 0.002"):
        "not equivalent: the cap that keeps the EM's prior rate off 1 (0.999 or 0.998) only binds on a course "
        "where nearly everyone masters an item before the first attempt; a numerical guard with no specified "
        "value",
    ("calibration", "calibrate", "pass_value, c_pv = _shrunk(pv[:, 0], pv[:, 1], shrink / 4, groups)",
     "`shrink / 4`: / -> *"):
        "not equivalent: how strongly an item's first-pass value is pulled toward its kind's (a quarter of the "
        "shrinkage, or 4x); a tuning choice the recovery tests (stated tolerances on 800 learners) do not "
        "resolve. Pinning it needs a benchmark of calibration error against the pull, not a unit test",
}

# ------------------------------------------------------------------------------------------ mutants
@dataclass
class Mutant:
    target: str
    function: str
    lineno: int
    description: str
    index: int                      # position of the site in the module's walk
    line: str = ""
    status: str = "not run"
    seconds: float = 0.0
    detail: str = field(default="", repr=False)

    @property
    def key(self):
        return (self.target, self.function, self.line.strip(), self.description)


CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
BIN_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
            ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
          ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-",
          ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%", ast.BitAnd: "&",
          ast.BitOr: "|", ast.And: "and", ast.Or: "or"}


def _sites(node: ast.AST):
    """Yield ``(description, apply)`` for every mutation of this node alone; ``apply(node)`` edits a copy."""
    if isinstance(node, ast.Compare):
        for k, op in enumerate(node.ops):
            if type(op) in CMP_SWAP:
                new = CMP_SWAP[type(op)]

                def apply(n, k=k, new=new):
                    n.ops[k] = new()
                yield f"{SYMBOL[type(op)]} -> {SYMBOL[new]}", apply
    elif isinstance(node, (ast.BinOp, ast.AugAssign)):
        op = node.op
        if type(op) in BIN_SWAP:
            new = BIN_SWAP[type(op)]

            def apply(n, new=new):
                n.op = new()
            suffix = "=" if isinstance(node, ast.AugAssign) else ""
            yield f"{SYMBOL[type(op)]}{suffix} -> {SYMBOL[new]}{suffix}", apply
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And

        def apply(n, new=new):
            n.op = new()
        yield f"{SYMBOL[type(node.op)]} -> {SYMBOL[new]}", apply
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield f"drop unary {'not' if isinstance(node.op, ast.Not) else '-'}", "unwrap"
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
        v = node.value
        for new in ({0: (1,), 1: (0, 2)}.get(v, (v + 1,)) if isinstance(v, int) else
                    ((1.0,) if v == 0 else (0.0, 2.0) if v == 1 else (v * 2,))):
            def apply(n, new=new):
                n.value = new
            yield f"constant {v!r} -> {new!r}", apply
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        def apply(n):
            n.value = not n.value
        yield f"{node.value} -> {not node.value}", apply
    elif isinstance(node, ast.Break):
        yield "break -> continue", "continue"
    elif isinstance(node, ast.Continue):
        yield "continue -> break", "break"


class _Apply(ast.NodeTransformer):
    def __init__(self, index: int, sub: int):
        self.index, self.sub, self.count = index, sub, -1

    def visit(self, node):
        node = self.generic_visit(node)
        if _mutable(node):
            self.count += 1
            if self.count == self.index:
                action = list(_sites(node))[self.sub][1]
                if action == "unwrap":
                    return node.operand
                if action == "continue":
                    return ast.copy_location(ast.Continue(), node)
                if action == "break":
                    return ast.copy_location(ast.Break(), node)
                action(node)
        return node


def _mutable(node) -> bool:
    return any(True for _ in _sites(node))


def enumerate_mutants(target: Target) -> tuple[str, list[tuple[Mutant, int, int]]]:
    """The module source and every ``(mutant, site index, sub index)`` inside the target's functions."""
    source = (REPO / target.module).read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    out: list = []
    counter = [-1]

    def walk(node, func, parents):
        decorators = getattr(node, "decorator_list", [])
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                walk(child, child.name, parents + [node])
            else:
                # a decorator's arguments (``njit(cache=True)``) change how, not what, is computed
                walk(child, None if child in decorators else func, parents + [node])
        # post-order, as _Apply counts
        if _mutable(node):
            counter[0] += 1
            wanted = func is not None and (target.functions is None or func in target.functions)
            if wanted and not _is_docstring(node, parents) and not _is_annotation(node, parents):
                # a constant or a unary minus is shown within its parent expression, so that two
                # mutants on one line keep distinct descriptions
                shown = parents[-1] if isinstance(node, (ast.Constant, ast.UnaryOp)) and parents and \
                    isinstance(parents[-1], (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call, ast.Subscript,
                                             ast.Tuple, ast.AugAssign, ast.keyword)) else node
                segment = " ".join((ast.get_source_segment(source, shown) or "").split())
                segment = segment if len(segment) <= 50 else segment[:47] + "..."
                if shown is not node:
                    segment += f" @{node.col_offset}"
                for sub, (desc, _) in enumerate(_sites(node)):
                    m = Mutant(target.name, func, node.lineno, f"`{segment}`: {desc}", counter[0],
                               line=lines[node.lineno - 1] if node.lineno <= len(lines) else "")
                    out.append((m, counter[0], sub))

    walk(tree, None, [])
    # two sites of one line can read alike (``np.zeros((n + 1, n)), np.zeros((n + 1, n))``): number the repeats
    seen: dict = {}
    for m, _, _ in out:
        k = (m.lineno, m.description)
        seen[k] = seen.get(k, 0) + 1
        if seen[k] > 1:
            m.description += f" (#{seen[k]})"
    return source, out


def _is_docstring(node, parents) -> bool:
    return isinstance(node, ast.Constant) and parents and isinstance(parents[-1], ast.Expr)


def _is_annotation(node, parents) -> bool:
    return any(isinstance(p, ast.arg) or getattr(p, "returns", None) is node or isinstance(p, ast.AnnAssign)
               for p in parents[-2:])


def mutate(source: str, index: int, sub: int) -> str:
    tree = ast.parse(source)
    tree = _Apply(index, sub).visit(copy.deepcopy(tree))
    ast.fix_missing_locations(tree)
    return ast.unparse(tree)


# ------------------------------------------------------------------------------------------ running
def scratch_copy() -> Path:
    """A throwaway copy of the package and the tests (the working tree is never mutated)."""
    root = Path(tempfile.mkdtemp(prefix="poem-mutation-"))
    shutil.copytree(REPO / "poem", root / "poem", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "tests", root / "tests", ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    if (REPO / "data").is_dir():  # the bundled demo data (a few MB) that some tests read beside the package
        shutil.copytree(REPO / "data", root / "data")
    # ../shared is absent beside the copy: the tests reading it skip cleanly (the slow data tests are
    # deselected anyway)
    return root


def _preload() -> None:
    """Import the heavy dependencies once in the parent; each mutant's test run is a fork of it, so a
    mutant pays for its tests, not for starting Python, numpy, pandas, numba and pytest again."""
    os.environ["NUMBA_DISABLE_JIT"] = "1"
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    import hypothesis  # noqa: F401
    import networkx  # noqa: F401
    import numba  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pytest  # noqa: F401
    import scipy.stats  # noqa: F401


_CHILD = [0]


def _stop(signum, frame):
    """SIGTERM: end the running mutant's test process too, then clean up (``finally`` in :func:`run`)."""
    if _CHILD[0] > 0:
        try:
            os.kill(_CHILD[0], 9)
        except ProcessLookupError:
            pass
    raise SystemExit(f"mutation: stopped by signal {signum}")


def run_tests(root: Path, target: Target, timeout: float) -> tuple[str, float, str]:
    """Run the target's tests on the scratch copy in a forked child; ``(status, seconds, detail)``."""
    args = ["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0", "-k", target.keyword, *target.tests]
    t0 = time.perf_counter()
    pid = os.fork()
    _CHILD[0] = pid
    if pid == 0:  # child: fresh poem and tests modules from the scratch copy, output discarded
        code = 3
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.chdir(root)
            sys.path.insert(0, str(root))
            for name in [m for m in sys.modules if m == "poem" or m.startswith(("poem.", "tests", "conftest"))]:
                del sys.modules[name]
            if target.jit:
                # ``@njit`` reads the flag when it decorates, i.e. when the fresh poem modules import; the
                # numba cache of the mutated module is keyed on its file's stamp, so a mutant is compiled
                os.environ["NUMBA_DISABLE_JIT"] = "0"
                from numba.core import config as numba_config
                numba_config.reload_config()
            import pytest
            from hypothesis import Phase, settings

            # a mutant is killed by the first failing example: shrinking it (long in plain Python) adds
            # nothing here
            settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate],
                                      deadline=None, database=None)
            code = int(pytest.main([*args, "--hypothesis-profile=mutation"]))
        finally:
            os._exit(code)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() - t0 > timeout:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return "timeout", time.perf_counter() - t0, ""
        time.sleep(0.05)
    secs = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return "survived", secs, ""
    if code == 1:
        return "killed", secs, ""
    return f"error rc={code}", secs, ""


def run(targets, max_mutants: int, timeout: float, seed: int, budget: float, log, only_keys=None,
        skip_keys=frozenset()) -> list[Mutant]:
    root = scratch_copy()
    _preload()
    signal.signal(signal.SIGTERM, _stop)
    done: list[Mutant] = []
    t_start = time.perf_counter()
    try:
        for target in targets:
            source, mutants = enumerate_mutants(target)
            if only_keys is not None:
                mutants = [x for x in mutants if (target.name, x[0].lineno, x[0].description) in only_keys]
                if not mutants:
                    continue
            mutants = [x for x in mutants if (target.name, x[0].lineno, x[0].description) not in skip_keys]
            if not mutants:
                continue
            status, base, tail = run_tests(root, target, timeout * 4)
            if status != "survived":
                raise SystemExit(f"mutation: the tests of {target.name} fail on the unmutated code:\n{tail}")
            log(f"[{target.name}] {len(mutants)} mutants; unmutated tests pass in {base:.1f} s")
            # a seeded random sample (all of them when there are fewer), run in that random order: when the
            # time budget cuts the run short, the mutants that did run are still a uniform random sample of
            # the module (not its first functions)
            mutants = random.Random(seed).sample(mutants, min(max_mutants, len(mutants)))
            path = root / target.module
            for m, index, sub in mutants:
                if time.perf_counter() - t_start > budget:
                    m.status = "not run (time budget)"
                    done.append(m)
                    continue
                try:
                    path.write_text(mutate(source, index, sub))
                    m.status, m.seconds, m.detail = run_tests(root, target, max(timeout, 3 * base))
                finally:
                    path.write_text(source)
                if m.key in EQUIVALENT and m.status == "survived":
                    m.status = "equivalent"
                done.append(m)
                log(f"  {m.status:>9} {m.seconds:5.1f}s {target.module}:{m.lineno} {m.function}: {m.description}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return done


# ------------------------------------------------------------------------------------------ report
LOG_LINE = re.compile(r"^\s+(killed|survived|timeout|equivalent|error rc=-?\d+)\s+([\d.]+)s (\S+):(\d+) (\w+): (.*)$")


def _owner(module: str, function: str):
    """The target a mutated function belongs to (the first listing it, else the module's catch-all)."""
    for t in TARGETS:
        if t.module == module and t.functions is not None and function in t.functions:
            return t.name
    for t in TARGETS:
        if t.module == module and t.functions is None:
            return t.name
    return None


def read_logs(paths) -> dict:
    """``{(target, lineno, description): (status, seconds)}`` from run logs, later lines winning."""
    out, target = {}, None
    for path in paths:
        for line in Path(path).read_text().splitlines():
            head = re.match(r"^\[(\w+)\] ", line)
            if head:
                target = head.group(1)
                continue
            m = LOG_LINE.match(line)
            if m:
                # the target from the module and function (runs that share a log may interleave)
                owner = _owner(m.group(3), m.group(5)) or target
                out[(owner, int(m.group(4)), m.group(6))] = (m.group(1), float(m.group(2)))
    return out


def from_logs(paths, targets) -> list[Mutant]:
    """The mutants of ``targets`` with their status in the logs ("not run" when absent), re-triaged with
    the current :data:`EQUIVALENT`."""
    seen = read_logs(paths)
    out = []
    for t in targets:
        for m, _, _ in enumerate_mutants(t)[1]:
            status, secs = seen.get((t.name, m.lineno, m.description), ("not run", 0.0))
            if status == "equivalent":
                status = "survived"
            if status == "survived" and m.key in EQUIVALENT:
                status = "equivalent"
            m.status, m.seconds = status, secs
            out.append(m)
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95 % for z = 1.96) of a proportion k / n, ``(nan, nan)`` when n = 0.

    >>> [round(x, 3) for x in wilson(40, 40)]
    [0.912, 1.0]
    """
    if n == 0:
        return math.nan, math.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


#: the issue's target: score >= 85 % of non-equivalent mutants on every core module
TARGET_SCORE = 0.85


def report(mutants: list[Mutant], command: str, seconds: float, notes: dict) -> str:
    by_target: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_target.setdefault(m.target, []).append(m)
    out = ["# Mutation testing of the core", "",
           (f"Produced by `{command}` on {_dt.date.today()} (the shared 2-core machine; {seconds / 60:.0f} min). "
            if seconds else f"Rebuilt by `{command}` on {_dt.date.today()} from the logged runs (commands and "
            "timings in the notes below and in the log). ") +
           "A mutant is one small AST edit in one function; it is killed when a relevant test fails. "
           "Score = killed (timeouts included) / (run − equivalent). See `benchmarks/mutation.py` for the "
           "operators, the targets and their test files.", "",
           "**Full or sampled.** A target whose every mutant ran (\"full\") has an exact score. A target run on "
           "a seeded random sample (\"sampled k of N\": k of its N mutants) has an *estimated* score: the "
           "95 % column is the Wilson interval of killed / (run − equivalent) over the sample, and the "
           f"\"≥ {TARGET_SCORE:.0%}\" column rests on that interval (\"yes\" when its lower bound reaches "
           f"{TARGET_SCORE:.0%}, \"likely\" when only the estimate does, \"no\" when the estimate is below).", "",
           f"| target | module | functions | mutants | coverage | run | killed | timeout | survived | equivalent | "
           f"score | 95 % interval | ≥ {TARGET_SCORE:.0%} |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    targets = {t.name: t for t in TARGETS}
    for name, ms in by_target.items():
        t = targets[name]
        ran = [m for m in ms if not m.status.startswith("not run")]
        killed = sum(m.status == "killed" for m in ran)
        timeout = sum(m.status == "timeout" for m in ran)
        surv = sum(m.status == "survived" for m in ran)
        eq = sum(m.status == "equivalent" for m in ran)
        errors = sum(m.status.startswith("error") for m in ran)
        denom = len(ran) - eq
        dead = killed + timeout + errors
        score = f"{dead / denom:.1%}" if denom else "n/a"
        total = notes.get(name, len(ms))
        sampled = len(ran) < total
        coverage = f"sampled {len(ran)} of {total}" if sampled else "full"
        lo, hi = wilson(dead, denom)
        interval = (f"{lo:.0%}–{hi:.0%}" if denom else "n/a") if sampled else "exact"
        if not denom:
            verdict = "n/a"
        elif not sampled:
            verdict = "yes" if dead / denom >= TARGET_SCORE else "**no**"
        else:
            verdict = "yes" if lo >= TARGET_SCORE else "likely" if dead / denom >= TARGET_SCORE else "**no**"
        funcs = "all" if t.functions is None else ", ".join(t.functions)
        out.append(f"| {name} | `{t.module}` | {funcs} | {total} | {coverage} | {len(ran)} | {killed} | "
                   f"{timeout} | {surv} | {eq} | {score} | {interval} | {verdict} |")
    survivors = [m for m in mutants if m.status in ("survived", "equivalent")]
    out += ["", "## Surviving mutants", ""]
    if not survivors:
        out.append("None.")
    else:
        out += ["| target | where | function | mutation | line | triage |", "|---|---|---|---|---|---|"]
        for m in survivors:
            why = EQUIVALENT.get(m.key) or (f"**kept as a survivor**: {KNOWN[m.key]}" if m.key in KNOWN else
                                            "**not triaged: a test is missing**")
            line = m.line.strip().replace("|", "\\|")
            out.append(f"| {m.target} | `{targets[m.target].module}:{m.lineno}` | {m.function} | "
                       f"{m.description.replace('|', chr(92) + '|')} | `{line}` | {why} |")
    return "\n".join(out) + "\n"


NOTES_MARK = "<!-- hand-written notes below: kept when the table above is regenerated -->"


def write_report(path: str, text: str) -> None:
    """Write the generated report, keeping the hand-written notes after :data:`NOTES_MARK`."""
    target = Path(path)
    notes = ""
    if target.exists() and NOTES_MARK in target.read_text():
        notes = target.read_text().split(NOTES_MARK, 1)[1]
    target.write_text(text + "\n" + NOTES_MARK + notes)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated target names (default: all, in priority order)")
    ap.add_argument("--max-mutants", type=int, default=120, help="mutants per target (seeded sample beyond)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant run (at least 3x baseline)")
    ap.add_argument("--budget", type=float, default=3 * 3600.0, help="seconds for the whole run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", metavar="FILE", default=None, help="write the markdown table there")
    ap.add_argument("--list", action="store_true", help="list the mutants and stop")
    ap.add_argument("--log", metavar="FILE", default=None, help="also append the run's log lines to FILE")
    ap.add_argument("--from-log", metavar="FILE", nargs="+", default=None,
                    help="run nothing: rebuild the report from run logs (later lines win), re-triaged")
    ap.add_argument("--skip-done", metavar="FILE", nargs="+", default=None,
                    help="skip the mutants these logs already report (resume a stopped run)")
    ap.add_argument("--survivors-of", metavar="FILE", nargs="+", default=None,
                    help="run only the mutants that survived in these logs, untriaged (after adding tests)")
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    unknown = set(names) - {t.name for t in TARGETS}
    if unknown:
        raise SystemExit(f"mutation: unknown target(s) {sorted(unknown)}; valid: {[t.name for t in TARGETS]}")
    targets = [t for t in TARGETS if not names or t.name in names]
    if args.list:
        for t in targets:
            _, ms = enumerate_mutants(t)
            print(f"[{t.name}] {len(ms)} mutants")
            for m, _, _ in ms:
                print(f"  {t.module}:{m.lineno} {m.function}: {m.description}")
        return 0
    command = "python benchmarks/mutation.py " + " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
    notes = {t.name: len(enumerate_mutants(t)[1]) for t in targets}
    if args.from_log:
        mutants = [m for m in from_logs(args.from_log, targets)]
        ran = {m.target for m in mutants if m.status != "not run"}
        mutants = [m for m in mutants if m.target in ran]
        text = report(mutants, command.strip(), 0.0, notes)
        print(text)
        if args.write:
            write_report(args.write, text)
        return 0
    only_keys = None
    if args.survivors_of:
        # the untriaged survivors only: an equivalent mutant survives by construction
        only_keys = {k for k, (status, _) in read_logs(args.survivors_of).items() if status == "survived"}

    def log(line):
        print(line, flush=True)
        if args.log:
            with open(args.log, "a") as fh:
                fh.write(line + "\n")

    t0 = time.perf_counter()
    skip = frozenset(read_logs(args.skip_done)) if args.skip_done else frozenset()
    mutants = run(targets, args.max_mutants, args.timeout, args.seed, args.budget, log, only_keys, skip)
    text = report(mutants, command.strip(), time.perf_counter() - t0, notes)
    print(text)
    if args.write:
        write_report(args.write, text)
    survivors = sum(m.status == "survived" for m in mutants)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
