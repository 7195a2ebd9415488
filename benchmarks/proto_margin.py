"""Prototype (issue 16): more readings of the path evidence on viewing-only courses, for the margin over the
best score-free baseline. None met the rule for the package (``benchmarks/results/proto_margin.md``).

Run from the repository root::

    nice -n 10 .venv/bin/python benchmarks/proto_margin.py [--seeds 0 1] [--lop-seeds 0 1 2] [--variants ...]
        [--behaviours "fast 30%" ...] [--courses] [--hidden] [--csv FILE]
    nice -n 10 .venv/bin/python benchmarks/proto_margin.py --from-csv FILE [FILE ...]
    nice -n 10 .venv/bin/python benchmarks/proto_margin.py --seeds 0 1 --diagnose "browse 180, seed 0" ...

The path of a colony read from viewing evidence is the LOP order of :func:`poem.paths.path_evidence`:
precedence weighted by learner reliability (:mod:`poem.ordering.reliability`) on the pairs some learner
mastered both of, failure evidence plus 0.1 x the ELO depth prior on the others. On seeds 0-1 of
``benchmarks/bench_viewing.py`` it meets "best score-free + 0.15" on 5 of 10 courses; the simulator's
hidden moments of learning, ordered the same way, on 9 of 10: the limit is the reading of the views.
Variants (:data:`VARIANTS`), each on the same colonies (the scenarios of ``bench_viewing.py``, fitted as
there); ``c`` is the landing posterior of a first success (the package's landing model at the view's share
bin and return category; 1 for a scored event):

- **A, the failure evidence** (learners who mastered i and tried j without success, on the pairs without
  precedence): A1 weighted by the learners' reliability (the precedence's weights), rescaled to the plain
  total; A2 also by ``c_i``; A3 A2 with the precedence pairs weighted by ``c_i c_j``; A4 A1 also on the
  pairs with at most 2 learners of precedence; A5 one sign test on the pooled precedence and failure counts
  (both reliability-weighted, the failures rescaled to the precedence's total); A6 the failure pairs
  weighted by the learner's own agreement of those pairs with the clear precedence; A7 the package's
  failure counts also on the pairs with at most 2 learners of precedence (the variant the notes of
  ``viewing.md`` rejected, as a control for A4).
- **B, per-view confidence in the precedence**: B1 each learner's pair (i before j) weighted by ``c_i c_j``
  on top of the learner's reliability; B2 by ``c_j`` alone; B3 by the posterior of a landing model with the
  *next move* as a third feature (:func:`move_landing`: where the learner goes next in the course's usual
  order, :data:`MOVES`; the class that did not land moves as learners do after an abandoned visit; the
  issue's "leaving a video for an earlier one"); B4 the first successes B3's model doubts (posterior < 1/2)
  read as failures for the path (precedence and failure counts; the colony and its graph untouched).
- **C1, regional reliability**: each learner's reliability estimated separately on the pairs of the early
  half of the course, of the late half, and across (halves by the default path's order), shrunk with 10
  pseudo-pairs to the learner's overall agreement (itself shrunk to the pooled one as in the package).

Rule for moving a variant into the package: more courses meeting the target on seeds 0-1 (chosen there),
confirmed on seeds 2-3 and the held-out watching behaviours, no quiz colony and no ``bench_paths.py`` course
lower by more than 0.005. Every variant applies to colonies read from viewing evidence only (those with a
``history_reader_``), like the reliability: the quiz colonies and the scored courses keep the default
evidence, which ``--courses`` checks. Each run asserts that the prototype's own counts reproduce the
package's path evidence. ``--hidden`` adds the colony on the simulator's hidden moments of learning;
``--diagnose`` compares the reading with the simulator's hidden state (:func:`diagnose`).
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

from bench_viewing import hidden_moments_colony, last_view_rank, scenarios  # noqa: E402
from bench_viewing_heldout import BEHAVIOURS, hidden_state  # noqa: E402
from bench_viewing_ordering import _Weighted, true_graph  # noqa: E402
from bench_viewing_reliability import path_courses  # noqa: E402
from poem.antcolony import ManHill  # noqa: E402
from poem.colony.viewing import apply_viewing  # noqa: E402
from poem.ordering.baselines import baseline_path  # noqa: E402
from poem.ordering.evaluation import evaluate  # noqa: E402
from poem.ordering.evidence import depth_prior, signed_z  # noqa: E402
from poem.ordering.lop import solve_lop  # noqa: E402
from poem.ordering.reliability import first_success_trails, learner_reliability  # noqa: E402
from poem.paths import EVIDENCE_DEFAULTS, PATH_EVIDENCE_DEFAULTS, _precedence_z, path_evidence  # noqa: E402
from poem.simulation.viewing import simulate_viewing  # noqa: E402


# ------------------------------------------------------------------------------------------- the log read
#: next-move categories of a visit: where the learner goes next, in the course's usual order (mean first-view
#: rank, read from the log): no next visit, far back, near, far ahead (more than 5 % of the course away)
MOVES = ("end", "back", "near", "ahead")


def next_moves(traces, reach: float = 0.05) -> np.ndarray:
    """Per event, the :data:`MOVES` code of the learner's next visit to another item."""
    browse = baseline_path(traces, "first_view_rank").items
    index = {str(x): k for k, x in enumerate(traces.items)}
    rank = np.empty(traces.n_items)
    rank[[index[x] for x in browse]] = np.arange(traces.n_items)
    delta = max(1.0, reach * traces.n_items)
    item, learner = traces.item, traces.learner
    m = len(item)
    nxt = np.full(m, -1, np.int64)            # next event of the learner on another item (backward pass)
    for e in range(m - 2, -1, -1):
        if learner[e + 1] != learner[e]:
            continue
        nxt[e] = e + 1 if item[e + 1] != item[e] else nxt[e + 1]
    step = np.where(nxt >= 0, rank[item[np.maximum(nxt, 0)]] - rank[item], 0.0)
    return np.select([nxt < 0, step < -delta, step <= delta], [0, 1, 2], 3).astype(np.int64)


def move_landing(traces, evidence, move, *, fixed_lost: bool = True, n_iter: int = 300):
    """The package's landing mixture (:func:`poem.colony.landing.landing_model`) with the next move as a
    third feature: ``P = pi S_land(bin) R_land(ret) M_land(move) + (1 - pi) S_lost R_lost M_lost``; the
    lost class returns (and, with ``fixed_lost``, moves) as learners do after an abandoned visit. Returns
    the posterior table (bins x returns x moves) or None."""
    from poem.colony.landing import _ABANDONED, RETURNS, SHARE_EDGES

    land = evidence.landing
    if land is None:
        return None
    sbin, ret = np.asarray(land["share_bin"]), np.asarray(land["returns"])
    nb, nr, nm = len(SHARE_EDGES) + 1, len(RETURNS), len(MOVES)
    anchor = evidence.label == _ABANDONED
    # first complete view of each (learner, item): the first event with a share bin per pair
    views = np.zeros(len(sbin), bool)
    cand = np.flatnonzero(sbin >= 0)
    key = (traces.learner.astype(np.int64) * traces.n_items + traces.item)[cand]
    _, first = np.unique(key, return_index=True)
    views[cand[first]] = True
    N = np.zeros((nb, nr, nm))
    np.add.at(N, (sbin[views], ret[views], move[views]), 1.0)
    r_lost = (np.bincount(ret[anchor], minlength=nr) + 1.0) / (anchor.sum() + nr)
    m_lost = (np.bincount(move[anchor], minlength=nm) + 1.0) / (anchor.sum() + nm)
    pi = float(land["pi"])
    s_land, s_lost, r_land = (np.asarray(land[k]) for k in ("share_landed", "share_lost", "return_landed"))
    m_land = np.full(nm, 1.0 / nm)
    for _ in range(n_iter):
        a = pi * s_land[:, None, None] * r_land[None, :, None] * m_land[None, None, :]
        b = (1 - pi) * s_lost[:, None, None] * r_lost[None, :, None] * m_lost[None, None, :]
        g = a / (a + b)
        wa, wb = N * g, N * (1 - g)
        pi = wa.sum() / N.sum()
        s_land = (wa.sum(axis=(1, 2)) + 0.5) / (wa.sum() + 0.5 * nb)
        s_lost = (wb.sum(axis=(1, 2)) + 0.5) / (wb.sum() + 0.5 * nb)
        r_land = (wa.sum(axis=(0, 2)) + 0.5) / (wa.sum() + 0.5 * nr)
        m_land = (wa.sum(axis=(0, 1)) + 0.5) / (wa.sum() + 0.5 * nm)
        if not fixed_lost:
            m_lost = (wb.sum(axis=(0, 1)) + 0.5) / (wb.sum() + 0.5 * nm)
    a = pi * s_land[:, None, None] * r_land[None, :, None] * m_land[None, None, :]
    b = (1 - pi) * s_lost[:, None, None] * r_lost[None, :, None] * m_lost[None, None, :]
    return {"posterior": a / (a + b), "pi": pi, "move_landed": m_land, "move_lost": m_lost}


class Reading:
    """What the variants need of a viewing colony: each learner's first-success trail with a confidence per
    first success (the landing posterior: ``conf`` the package's model, ``conf_move`` the model with the
    next move), each learner's failed items, and the package's reliability weights. ``hard``: the trails
    and failed items once the first successes the move model doubts (posterior < 1/2) are read as failures
    (the path's reading only; the colony and its graph keep the package's)."""

    def __init__(self, model, traces, catalog, fixed_lost: bool = True):
        fitted, evidence, _ = apply_viewing(traces, catalog, mastery=float(model.mastery))
        score = fitted.score
        conf, conf_move = np.ones(traces.n_events), np.ones(traces.n_events)
        land = evidence.landing
        self.move_model = None
        if land is not None:
            sbin, ret = np.asarray(land["share_bin"]), np.asarray(land["returns"])
            video = evidence.is_video & (sbin >= 0)
            conf[video] = np.asarray(land["posterior"])[sbin[video], ret[video]]
            move = next_moves(traces)
            self.move_model = move_landing(traces, evidence, move, fixed_lost=fixed_lost)
            if self.move_model is not None:
                conf_move[video] = self.move_model["posterior"][sbin[video], ret[video], move[video]]
        self.trails, self.conf, self.conf_move, self.failed = self._read(traces, score, conf, conf_move, model)
        # the trails must be the colony's own (same learners, same order): its precedence is their pairs
        seq, b = first_success_trails(model)
        assert len(self.trails) == len(b) - 1 and all(
            np.array_equal(t, seq[lo:hi]) for t, lo, hi in zip(self.trails, b[:-1], b[1:])), "trails differ"
        # the hard reading: a first success the move model doubts is a failure (later visits stay reviews)
        doubted = np.zeros(traces.n_events, bool)
        first = self._first_success(traces, score, float(model.mastery))
        doubted[first] = conf_move[first] < 0.5
        hard = np.where(doubted, 0.0, score)
        self.hard_trails, _, _, self.hard_failed = self._read(traces, hard, conf, conf_move, model)
        self.n = len(model.items_)
        self.weights = learner_reliability(model)

    @staticmethod
    def _first_success(traces, score, mastery) -> np.ndarray:
        key = traces.learner.astype(np.int64) * traces.n_items + traces.item
        won = np.flatnonzero(~np.isnan(score) & (score >= mastery))
        _, first = np.unique(key[won], return_index=True)
        return won[first]

    @staticmethod
    def _read(traces, score, conf, conf_move, model):
        bounds = traces.trail_bounds()
        trails, cs, cms, failed = [], [], [], []
        mastery = float(model.mastery)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            item, s, c, cm = traces.item[lo:hi], score[lo:hi], conf[lo:hi], conf_move[lo:hi]
            has = ~np.isnan(s)
            item, s, c, cm = item[has], s[has], c[has], cm[has]
            won = s >= mastery
            seq, first = np.unique(item[won], return_index=True)
            order = np.argsort(first, kind="stable")
            trails.append(seq[order].astype(np.int64))
            cs.append(c[won][first[order]])
            cms.append(cm[won][first[order]])
            failed.append(np.setdiff1d(np.unique(item), seq).astype(np.int64))
        return trails, cs, cms, failed


def _pairs(reading, pair_weight) -> np.ndarray:
    """``sum_u sum_{a < b} pair_weight(u, a, b)`` into ``C[trail[a], trail[b]]``, rescaled to the plain total."""
    C = np.zeros((reading.n, reading.n))
    total = 0.0
    for u, seq in enumerate(reading.trails):
        k = len(seq)
        if k < 2:
            continue
        upper = np.triu(np.ones((k, k), dtype=bool), 1)
        C[np.ix_(seq, seq)] += np.where(upper, pair_weight(u, seq), 0.0)
        total += k * (k - 1) / 2
    s = C.sum()
    return C * (total / s) if s > 0 else C


def _compose(model, P, F=None, sparse: int = 0) -> np.ndarray:
    """:func:`path_evidence`'s composition on precedence ``P`` and failure counts ``F`` (default: the
    colony's own failure evidence); ``sparse``: the failure evidence also on the pairs with at most that
    many learners of precedence (the colony's plain counts)."""
    if F is None and not sparse:
        return path_evidence(_Weighted(model, P), reliability=False)
    if F is None:
        from poem.ordering.evidence import failure_counts
        F = failure_counts(model)
    W = _precedence_z(P, **EVIDENCE_DEFAULTS)
    z = signed_z(F, EVIDENCE_DEFAULTS["smoothing"])
    fail = np.maximum(z - EVIDENCE_DEFAULTS["threshold"], 0.0) + EVIDENCE_DEFAULTS["tie_break"] * np.maximum(z, 0.0)
    np.fill_diagonal(fail, 0.0)
    extra = PATH_EVIDENCE_DEFAULTS["failure_weight"] * fail + PATH_EVIDENCE_DEFAULTS["depth_weight"] * depth_prior(model)
    # as the package: no failure evidence where the (weighted) precedence has any weight; with ``sparse``
    # also where the pair has at most that many learners of precedence
    plain = np.asarray(model.precedence_, dtype=np.float64)
    empty = (P + P.T == 0) | (plain + plain.T <= sparse)
    return W + np.where(empty, extra, 0.0)


def pooled(model, reading) -> np.ndarray:
    """One sign test on the pooled counts: precedence (reliability-weighted) plus failure counts
    (reliability-weighted), each rescaled to the plain precedence total; the depth prior where a pair has
    neither."""
    P = reliable_P(reading)
    F = weighted_failures(reading, reading.weights)
    F = F * (P.sum() / F.sum()) if F.sum() > 0 else F
    W = _precedence_z(P + F, **EVIDENCE_DEFAULTS)
    empty = (P + P.T + F + F.T) == 0
    return W + np.where(empty, PATH_EVIDENCE_DEFAULTS["depth_weight"] * depth_prior(model), 0.0)


def weighted_failures(reading, weights, confident: bool = False) -> np.ndarray:
    """``F[i, j] = sum_u w_u [u mastered i, tried j, never mastered it]`` (times the landing posterior of i
    when ``confident``), rescaled to the plain total."""
    F = np.zeros((reading.n, reading.n))
    plain = 0.0
    for u, (won, failed) in enumerate(zip(reading.trails, reading.failed)):
        if len(won) and len(failed):
            c = reading.conf[u][:, None] if confident else 1.0
            F[np.ix_(won, failed)] += weights[u] * c * np.ones((1, len(failed)))
            plain += len(won) * len(failed)
    s = F.sum()
    return F * (plain / s) if s > 0 else F


def failure_reliability(reading, P, *, prior: float = 10.0, z_min: float = 1.0) -> np.ndarray:
    """Per learner, a weight for their failure pairs (i mastered, j tried and never mastered): the log-odds
    of their agreement with the clear pairs of the (reliability-weighted) precedence ``P`` (``|z| >=
    z_min``; these pairs are not in the learner's own precedence, so no leave-one-out is needed), shrunk with
    ``prior`` pseudo-pairs to the pooled agreement, floored at 0 (the package's vote)."""
    z = signed_z(P, 1.0)
    counts = np.zeros((len(reading.trails), 2))
    for u, (won, failed) in enumerate(zip(reading.trails, reading.failed)):
        if len(won) and len(failed):
            sub = z[np.ix_(won, failed)]
            counts[u] = (sub >= z_min).sum(), (sub <= -z_min).sum()
    agree, clear = counts[:, 0], counts.sum(axis=1)
    rate = agree.sum() / max(clear.sum(), 1.0)
    p = np.clip((agree + prior * rate) / (clear + prior), 1e-12, 1 - 1e-12)
    return np.maximum(np.log(p / (1 - p)), 0.0)


def own_failure_weights(model, r) -> np.ndarray:
    P = reliable_P(r)
    return _compose(model, P, weighted_failures(r, failure_reliability(r, P)))


def reliable_P(reading) -> np.ndarray:
    w = reading.weights
    return _pairs(reading, lambda u, seq: w[u])


def confidence_P(reading, later_only: bool) -> np.ndarray:
    w = reading.weights

    def pair(u, seq):
        c = reading.conf[u]
        return w[u] * (np.ones_like(c)[:, None] * c[None, :] if later_only else c[:, None] * c[None, :])
    return _pairs(reading, pair)


def move_P(reading) -> np.ndarray:
    w = reading.weights
    return _pairs(reading, lambda u, seq: w[u] * reading.conf_move[u][:, None] * reading.conf_move[u][None, :])


def hard_evidence(model, reading) -> np.ndarray:
    """The path evidence on the hard reading (reliability weights of the package's reading)."""
    from types import SimpleNamespace

    hard = SimpleNamespace(trails=reading.hard_trails, failed=reading.hard_failed, n=reading.n,
                           weights=reading.weights)
    return _compose(model, reliable_P(hard), weighted_failures(hard, np.ones(len(hard.trails))))


def regional_P(model, reading, *, prior: float = 10.0, z_min: float = 1.0, iterations: int = 2) -> np.ndarray:
    """Precedence with each learner's pairs weighted by their agreement in the pair's region (both items in
    the early half of the default path, both in the late half, or across), leave-one-out as the package."""
    order = solve_lop(path_evidence(model), rng=0).order
    pos = np.empty(reading.n, dtype=np.int64)
    pos[order] = np.arange(reading.n)
    late = pos >= reading.n // 2
    region = [late[seq][:, None].astype(int) + late[seq][None, :].astype(int) for seq in reading.trails]  # 0, 1, 2
    w3 = np.repeat(reading.weights[:, None], 3, axis=1)
    P = _pairs(reading, lambda u, seq: reading.weights[u])
    for _ in range(iterations):
        raw = np.zeros((reading.n, reading.n))
        for u, seq in enumerate(reading.trails):   # the unscaled weighted counts, for the learner's own share
            if len(seq) > 1:
                raw[np.ix_(seq, seq)] += np.triu(w3[u][region[u]], 1)
        scale = P.sum() / raw.sum() if raw.sum() > 0 else 1.0
        counts = np.zeros((len(reading.trails), 3, 2))
        for u, seq in enumerate(reading.trails):
            m = len(seq)
            if m < 2:
                continue
            upper = np.triu(np.ones((m, m), dtype=bool), 1)
            own = w3[u][region[u]] * scale * upper
            sub = np.maximum(P[np.ix_(seq, seq)] - own, 0.0)
            z = (sub - sub.T) / np.sqrt(sub + sub.T + 1.0)
            for r in range(3):
                sel = upper & (region[u] == r)
                counts[u, r] = (z[sel] >= z_min).sum(), (z[sel] <= -z_min).sum()
        agree, clear = counts[..., 0], counts.sum(axis=2)
        rate = agree.sum() / max(clear.sum(), 1.0)
        overall = (agree.sum(axis=1) + prior * rate) / (clear.sum(axis=1) + prior)
        p = np.clip((agree + prior * overall[:, None]) / (clear + prior), 1e-12, 1 - 1e-12)
        w3 = np.maximum(np.log(p / (1 - p)), 0.0)
        P = _pairs(reading, lambda u, seq: w3[u][region[u]])
    return P


#: name -> evidence of a viewing colony; the first is the package's default
VARIANTS = {
    "default": lambda model, r: path_evidence(model),
    "A1 failures x reliability": lambda model, r: _compose(model, reliable_P(r), weighted_failures(r, r.weights)),
    "A2 failures x reliability x c_i": lambda model, r: _compose(
        model, reliable_P(r), weighted_failures(r, r.weights, confident=True)),
    "A3 A2 + precedence x c_i c_j": lambda model, r: _compose(
        model, confidence_P(r, False), weighted_failures(r, r.weights, confident=True)),
    "A4 A1, also pairs <= 2 learners": lambda model, r: _compose(
        model, reliable_P(r), weighted_failures(r, r.weights), sparse=2),
    "A5 pooled counts": pooled,
    "A6 failures x own reliability": own_failure_weights,
    "A7 plain failures, pairs <= 2": lambda model, r: _compose(model, reliable_P(r), sparse=2),
    "B1 precedence x c_i c_j": lambda model, r: _compose(model, confidence_P(r, False)),
    "B2 precedence x c_j": lambda model, r: _compose(model, confidence_P(r, True)),
    "B3 precedence x move c_i c_j": lambda model, r: _compose(model, move_P(r)),
    "B4 move hard reading": hard_evidence,
    "C1 regional reliability": lambda model, r: _compose(model, regional_P(model, r)),
}


def respects(model, reading, truth, names, lop_seeds) -> dict:
    out = {}
    for v in names:
        W = path_evidence(model) if reading is None else VARIANTS[v](model, reading)
        for s in lop_seeds:
            out[v, s] = evaluate([str(model.items_[k]) for k in solve_lop(W, rng=s).order], truth)["respect"]
    return out


def scenario_rows(name, kw, seed, names, lop_seeds, behaviour="default", hidden=False) -> list:
    vc = simulate_viewing(seed=seed, watching=BEHAVIOURS[behaviour], **kw)
    traces, truth = vc.to_traces(), vc.truth
    base = [evaluate(baseline_path(traces, b), truth)["respect"] for b in ("popularity", "first_view_rank")]
    best = max(base + [evaluate(last_view_rank(traces), truth)["respect"]])
    rows = []
    viewing = ManHill().fit(traces, catalog=vc.catalog)
    check = path_evidence(viewing)
    reading = Reading(viewing, traces, vc.catalog)
    assert np.allclose(_compose(viewing, reliable_P(reading)), check), "the prototype does not reproduce the package"
    ones = np.ones(len(reading.trails))
    assert np.allclose(_compose(viewing, reliable_P(reading), weighted_failures(reading, ones)), check), \
        "the prototype's failure counts differ from the package's"
    colonies = [("viewing", viewing, reading)]
    if behaviour == "default":
        colonies.append(("quiz", ManHill().fit(vc.scored.to_traces()), None))
    if hidden:   # diagnostic: the simulator's hidden moments of learning, ordered by the default evidence
        colonies.append(("hidden moments", hidden_moments_colony(vc), None))
    for colony, model, r in colonies:
        for (v, s), value in respects(model, r, truth, names, lop_seeds).items():
            rows.append({"scenario": name, "behaviour": behaviour, "seed": seed - 100, "lop seed": s,
                         "colony": colony, "variant": v, "respect": value, "target": best + 0.15})
    return rows


# --------------------------------------------------------------------------------------------- diagnosis
def _auc(flag: np.ndarray, score: np.ndarray) -> float:
    """P(score of a flagged case > score of an unflagged one), ties half (Mann-Whitney)."""
    from scipy.stats import rankdata

    r = rankdata(score)
    n1 = int(flag.sum())
    n0 = len(flag) - n1
    return float((r[flag].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def diagnose(name, kw, seed) -> str:
    """Against the simulator's hidden state: (1) the learners' pairs the viewing colony's precedence counts
    on ancestor pairs of the true graph placed the wrong way, by what each of the two first successes
    was (``true``: the visit taught the video; ``not landed``: the learner did not know it after;
    ``known at first visit``; ``known, learned earlier``: learned at a visit read as a failure); (2) how
    well the landing posterior of the package and of the next-move model tell the first successes that
    did not land from the others (AUC over first successes of videos not known before), and what the
    hard reading doubts."""
    import networkx as nx

    vc = simulate_viewing(seed=seed, **kw)
    traces = vc.to_traces()
    model = ManHill().fit(traces, catalog=vc.catalog)
    fitted, evidence, _ = apply_viewing(traces, vc.catalog, mastery=float(model.mastery))
    state = hidden_state(vc, traces)
    before, after = state >= 2, state % 2 == 1
    n = len(model.items_)
    ancestor = np.zeros((n, n), dtype=bool)
    for a, b in nx.transitive_closure_dag(true_graph(model, vc.truth)).edges:
        ancestor[a, b] = True
    first = Reading._first_success(traces, fitted.score, float(model.mastery))
    key = traces.learner.astype(np.int64) * traces.n_items + traces.item
    _, first_visit = np.unique(key, return_index=True)
    known_at_start = np.zeros(traces.n_events, bool)
    known_at_start[first_visit] = before[first_visit]
    pair_start = dict(zip(key[first_visit].tolist(), known_at_start[first_visit].tolist()))
    kind = np.where(~after[first], "not landed",
                    np.where([pair_start[k] for k in key[first]], "known at first visit",
                             np.where(before[first], "known, learned earlier", "true")))
    wrong, right = {}, {}
    order = np.argsort(first)   # event order: by learner, then time
    f, kd, lr = first[order], kind[order], traces.learner[first][order]
    bounds = np.r_[0, np.flatnonzero(np.diff(lr)) + 1, len(f)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        items, kinds = traces.item[f[lo:hi]], kd[lo:hi]
        for x in range(len(items)):
            for y in range(x + 1, len(items)):
                pair = (kinds[x], kinds[y])
                if ancestor[items[y], items[x]]:
                    wrong[pair] = wrong.get(pair, 0) + 1
                elif ancestor[items[x], items[y]]:
                    right[pair] = right.get(pair, 0) + 1
    total = sum(wrong.values())
    lines = [f"{name}: ancestor pairs of the true graph in the learners' first-success order: "
             f"{sum(right.values())} the right way, {total} the wrong way; the wrong way by (first, then its "
             "prerequisite):"]
    for pair, count in sorted(wrong.items(), key=lambda kv: -kv[1])[:6]:
        lines.append(f"  {pair[0]:>22} / {pair[1]:<22} {count:6d} ({count / total:4.0%}); the right way "
                     f"with the same kinds: {right.get(pair, 0)}")
    P, H = np.asarray(model.precedence_), np.asarray(hidden_moments_colony(vc).precedence_)
    arcs = [(a, b) for a, b in true_graph(model, vc.truth).edges]
    a, b = max(arcs, key=lambda ab: P[ab[1], ab[0]] - P[ab[0], ab[1]])
    lines.append(f"  the true arc with the most wrong-way precedence: {model.items_[a]} -> {model.items_[b]}, learners "
                 f"the right way {P[a, b]:.0f}, the wrong way {P[b, a]:.0f} (hidden moments: {H[a, b]:.0f} and "
                 f"{H[b, a]:.0f})")
    reading = Reading(model, traces, vc.catalog)
    land = evidence.landing
    sbin, ret = np.asarray(land["share_bin"]), np.asarray(land["returns"])
    move = next_moves(traces)
    sel = first[(sbin[first] >= 0) & ~before[first]]
    lost = ~after[sel]
    c_pkg = np.asarray(land["posterior"])[sbin[sel], ret[sel]]
    c_move = reading.move_model["posterior"][sbin[sel], ret[sel], move[sel]]
    doubted = c_move < 0.5
    lines.append(f"  first successes of videos not known before: {len(sel)}, not landed {lost.mean():.1%}; AUC of "
                 f"'not landed' from the package's posterior {_auc(lost, -c_pkg):.3f}, with the next move "
                 f"{_auc(lost, -c_move):.3f}; the hard reading doubts {doubted.mean():.1%} of them, "
                 f"{lost[doubted].mean():.1%} of those did not land")
    by_move = pd.DataFrame({"move": np.asarray(MOVES)[move[sel]], "not landed": lost}).groupby("move")["not landed"]
    lines.append("  share not landed by next move: " + ", ".join(
        f"{m} {v:.2f} ({c})" for m, v, c in zip(by_move.mean().index, by_move.mean(), by_move.size())))
    mm = reading.move_model
    lines.append("  next-move model (unsupervised): moves of the landed class " + ", ".join(
        f"{m} {v:.3f}" for m, v in zip(MOVES, mm["move_landed"])) + "; after an abandoned visit " + ", ".join(
        f"{m} {v:.3f}" for m, v in zip(MOVES, mm["move_lost"])))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--lop-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--variants", nargs="*", default=None,
                        help="variants beside the default (none given: the default alone; omitted: all)")
    parser.add_argument("--behaviours", nargs="+", default=["default"], help="of bench_viewing_heldout.BEHAVIOURS")
    parser.add_argument("--courses", action="store_true", help="also the courses of bench_paths.py")
    parser.add_argument("--hidden", action="store_true", help="also the colony on the hidden moments of learning")
    parser.add_argument("--diagnose", nargs="+", default=None,
                        help="scenario names (of the --seeds) to diagnose against the hidden state, instead of running")
    parser.add_argument("--csv", default=None, help="save the rows to this CSV")
    parser.add_argument("--from-csv", nargs="+", default=None, help="report rows saved by --csv instead of running")
    args = parser.parse_args(argv)
    if args.from_csv:
        table = pd.concat([pd.read_csv(f) for f in args.from_csv], ignore_index=True)
        # runs may overlap (the default is in every run): each row once
        key = ["behaviour", "scenario", "seed", "lop seed", "colony", "variant"]
        print(overview(table.drop_duplicates(key)))
        return 0
    if args.diagnose:
        for name, kw, seed in scenarios(False, args.seeds):
            if name in args.diagnose:
                print(diagnose(name, kw, seed), flush=True)
        return 0
    names = list(VARIANTS) if args.variants is None else ["default"] + args.variants
    rows = []
    for behaviour in args.behaviours:
        for name, kw, seed in scenarios(False, args.seeds):
            t0 = time.perf_counter()
            rows.extend(scenario_rows(name, kw, seed, names, args.lop_seeds, behaviour, args.hidden))
            print(f"{behaviour} / {name}: {time.perf_counter() - t0:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    if args.courses:
        for course, traces, truth in path_courses(False):
            model = ManHill().fit(traces)
            reading = Reading(model, traces, None) if getattr(model, "history_reader_", None) is not None else None
            for (v, s), value in respects(model, reading, truth, names, args.lop_seeds).items():
                table.loc[len(table)] = {"scenario": course, "behaviour": "-", "seed": -1, "lop seed": s,
                                         "colony": "scored course", "variant": v, "respect": value, "target": np.nan}
            print(course, "done", flush=True)
    if args.csv:
        table.to_csv(args.csv, index=False)
    print(report(table, names))
    return 0


def overview(table: pd.DataFrame) -> str:
    """The tables of ``benchmarks/results/proto_margin.md`` from saved rows (any mix of runs)."""
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    names = list(VARIANTS)
    n_lop = table["lop seed"].nunique()
    out = []
    for behaviour, part in table[table["colony"] == "viewing"].groupby("behaviour", sort=False):
        part = part.assign(group=np.select([part["seed"] <= 1, part["seed"] <= 3], ["seeds 0-1", "seeds 2-3"],
                                           "seeds 4-7"), met=part["respect"] >= part["target"])
        here = [v for v in names if v in set(part["variant"])]
        cols = {}
        groups = list(part.groupby("group"))
        for group, g in groups + ([("all", part)] if len(groups) > 1 else []):
            per = g.groupby(["scenario", "variant"])["respect"].mean().unstack()[here]
            diff = per.sub(per["default"], axis=0)
            label = f"{group} ({per.shape[0]})"
            cols[(label, "mean")] = per.mean()
            cols[(label, "met")] = g.groupby("variant")["met"].sum().reindex(here) / n_lop
            if group == "all" or len(groups) == 1:
                cols[(label, "better")] = (diff > 5e-4).sum()
                cols[(label, "worse")] = (diff < -5e-4).sum()
                cols[(label, "largest fall")] = diff.min()
        out.append((f"{behaviour} watching: viewing colonies, mean respect (over {n_lop} LOP seeds) and courses "
                    "meeting best score-free + 0.15 (met, averaged over the LOP seeds); better / worse: courses "
                    "above / below the default by more than 0.0005", pd.DataFrame(cols).to_string(**fmt)))
        if behaviour == "default":
            per = part.pivot_table(index=["seed", "scenario"], columns="variant", values="respect", sort=False)[here]
            per.columns = [c.split(" ")[0] for c in per.columns]
            per["target"] = part.groupby(["seed", "scenario"], sort=False)["target"].first()
            out.append((f"default watching: viewing colony per course (mean over {n_lop} LOP seeds; columns: the "
                        "variants' codes)", per.reset_index(level=0, drop=True).to_string(**fmt)))
    others = table[table["colony"].isin(["quiz", "scored course"])]
    if len(others):
        wide = others.groupby(["colony", "scenario", "variant"])["respect"].mean().unstack()
        change = wide.sub(wide["default"], axis=0).abs().max().max()
        out.append(("quiz colonies and bench_paths.py courses", f"{others['scenario'].nunique()} colonies, "
                    f"largest change of any variant against the default: {change:.3f} (every variant applies "
                    "to colonies read from viewing evidence only)"))
    hidden = table[(table["variant"] == "default") & (table["behaviour"] == "default")]
    if (hidden["colony"] == "hidden moments").any():
        per = hidden.pivot_table(index=["seed", "scenario"], columns="colony", values="respect", sort=False)
        per["target"] = hidden.groupby(["seed", "scenario"], sort=False)["target"].first()
        met = {c: int((per[c] >= per["target"]).sum()) for c in ("viewing", "quiz", "hidden moments")}
        view = hidden[hidden["colony"] == "viewing"].groupby("scenario")["respect"]
        spread = view.max() - view.min()
        edge = int(((per["viewing"] - per["target"]).abs() < 0.01).sum())
        out.append((f"default evidence on the viewing log, the quiz scores and the simulator's hidden moments of "
                    f"learning (mean over {n_lop} LOP seeds); courses meeting the target: " +
                    ", ".join(f"{k} {v} of {len(per)}" for k, v in met.items()) + f"; viewing within 0.01 of the "
                    f"target on {edge}; range over the LOP seeds of a viewing course: mean {spread.mean():.4f}, "
                    f"largest {spread.max():.3f}",
                    per.reset_index(level=0, drop=True).to_string(**fmt)))
    return "\n\n".join(f"## {title}\n\n```\n{body}\n```" for title, body in out)


def report(table: pd.DataFrame, names) -> str:
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    out = []
    n_lop = table["lop seed"].nunique()
    for (behaviour, colony), part in table.groupby(["behaviour", "colony"], sort=False):
        per = part.pivot_table(index="scenario", columns="variant", values="respect", sort=False)[names]
        if colony != "scored course":
            per["target"] = part.groupby("scenario", sort=False)["target"].first()
            met = part.assign(met=part["respect"] >= part["target"]).groupby("variant")["met"].sum() / n_lop
            summary = pd.DataFrame({"mean": per[names].mean(), "worst": per[names].min(),
                                    "target met": met.reindex(names)})
        else:
            summary = pd.DataFrame({"mean": per[names].mean(),
                                    "largest fall": per[names].sub(per[names[0]], axis=0).min()})
        out.append(f"## {behaviour} / {colony} (mean over {n_lop} LOP seeds)\n\n```\n{per.to_string(**fmt)}\n\n"
                   f"{summary.to_string(**fmt)}\n```")
    return "\n\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
