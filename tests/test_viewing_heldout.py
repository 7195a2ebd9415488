"""Held-out watching behaviours of the viewing simulator, and the learned watching pace of the mapping."""

import numpy as np
import pandas as pd
import pytest

from poem.antcolony import ManHill
from poem.colony.pace import PACE_DENSITY_SIZE, PACE_GRID, learner_pace, pace_model, pace_of
from poem.colony.viewing import viewing_evidence
from poem.errors import ParameterError
from poem.simulation.viewing import (FAST_SPEEDS, HELD_OUT, ViewingColonyPolicy, held_out_shares,
                                     simulate_viewing)
from poem.traces import Traces

OFF = {name: 0.0 for name in HELD_OUT}


def test_default_log_is_the_same_draw_for_draw():
    # figures of the simulator before the held-out behaviours existed: the default stream is unchanged
    vc = simulate_viewing(n_items=12, n_learners=40, seed=1)
    d = vc.traces["duration"]
    assert (len(d), d.sum(), vc.catalog["length"].sum()) == (609, 271703.0, 6432.0)
    assert d.iloc[:8].tolist() == [341.0, 96.0, 174.0, 41.0, 362.0, 742.0, 34.0, 1.0]
    off = simulate_viewing(n_items=12, n_learners=40, seed=1, watching=OFF)
    assert off.traces.equals(vc.traces) and off.catalog.equals(vc.catalog)


@pytest.fixture(scope="module")
def pair():
    def sim(**watching):
        return simulate_viewing(n_items=15, n_learners=120, seed=5, watching=watching or None)
    return sim(), sim


def _aligned(a, b):
    """Both logs have the same visits (only the seconds may differ)."""
    cols = ["learner", "item", "timestamp"]
    assert a.traces[cols].equals(b.traces[cols]) and a.catalog.equals(b.catalog)
    assert a.scored.events[["before", "after", "score"]].equals(b.scored.events[["before", "after", "score"]])


def _seconds(base, other):
    """``(seconds of base, seconds of other, length, background tab)`` per visit of two aligned logs."""
    _aligned(base, other)
    d0, d1 = base.traces["duration"].to_numpy(), other.traces["duration"].to_numpy()
    length = base.catalog.set_index("item")["length"].reindex(base.traces["item"]).to_numpy()
    return d0, d1, length, d0 > 3 * length


def test_fast_learners_log_the_content_seconds_over_one_speed_each(pair):
    base, sim = pair
    fast = sim(fast_learners=1.0)
    d0, d1, length, tab = _seconds(base, fast)
    assert np.array_equal(d0[tab], d1[tab])                       # background tabs keep their seconds
    ok = ~tab & (d0 >= 100)                                        # rounding to whole seconds aside
    speed = pd.Series(d0[ok] / d1[ok]).groupby(base.traces["learner"].to_numpy()[ok])
    assert speed.min().min() >= FAST_SPEEDS[0] - 0.02 and speed.max().max() <= FAST_SPEEDS[1] + 0.02
    assert (speed.max() - speed.min()).max() < 0.05                 # one speed per learner
    assert speed.median().nunique() > 20                            # drawn per learner


def test_pauses_only_add_seconds_heavy_tailed(pair):
    base, sim = pair
    paused = sim(pauses=1.0)
    d0, d1, length, tab = _seconds(base, paused)
    assert np.array_equal(d0[tab], d1[tab])
    extra = (d1 - d0)[~tab] / length[~tab]
    assert extra.min() >= -0.01                                     # never fewer seconds
    # Lomax(1.5) x 0.3: median 0.3 * (2 ** (1 / 1.5) - 1) = 0.176, a tenth above 0.3 * (10 ** (1 / 1.5) - 1) = 1.09
    assert np.median(extra) == pytest.approx(0.176, abs=0.03)
    assert np.mean(extra > 1.09) == pytest.approx(0.1, abs=0.03)


def test_skimmers_scrub_through_what_they_know_and_nothing_else(pair):
    base, sim = pair
    skim = sim(skimmers=1.0)
    _aligned(base, skim)
    ev = base.scored.events
    s0, s1 = ev["share"].to_numpy(), skim.scored.events["share"].to_numpy()
    known = ev["before"].to_numpy() & (s0 < 3)
    assert np.array_equal(s0[~known], s1[~known])
    length = base.catalog.set_index("item")["length"].reindex(ev["item"]).to_numpy()
    # 2 to 15 % of the length, in whole seconds
    assert np.all(s1[known] >= np.round(0.02 * length[known]) / length[known] - 1e-9)
    assert np.all(s1[known] <= np.round(0.15 * length[known]) / length[known] + 1e-9)


def test_held_out_shares_by_hand():
    rng = np.random.default_rng(0)
    w = {"fast_learners": 1.0, "pauses": 0.0, "pause_scale": 0.3, "skimmers": 1.0}
    share = np.array([0.9, 0.3, 5.0, 0.8])
    s = held_out_shares(share, np.array(["a", "a", "a", "b"]), np.array([False, True, False, False]), rng, w)
    speed = 0.9 / s[0]
    assert FAST_SPEEDS[0] <= speed <= FAST_SPEEDS[1]
    assert 0.02 / FAST_SPEEDS[1] <= s[1] <= 0.15 / FAST_SPEEDS[0]   # scrubbed, then at the learner's speed
    assert s[2] == 5.0                                              # a background tab keeps its seconds
    assert FAST_SPEEDS[0] <= 0.8 / s[3] <= FAST_SPEEDS[1]


def test_held_out_parameters_are_checked():
    with pytest.raises(ParameterError, match="fast_learners"):
        simulate_viewing(n_items=5, n_learners=5, watching={"fast_learners": 1.5})
    with pytest.raises(ParameterError, match="pause_scale"):
        simulate_viewing(n_items=5, n_learners=5, watching={"pause_scale": 0.0})
    catalog = pd.DataFrame({"item": ["a"], "kind": "video", "length": [300.0]})
    with pytest.raises(ParameterError, match="only simulated by simulate_viewing"):
        ViewingColonyPolicy(catalog, watching={"pauses": 0.2})


# ---------------------------------------------------------------------------------------------------------
# the learned pace


def _paced_log(fast_speed=2.0, n_normal=60):
    """Five 600-second videos. Every learner abandons v1 at 20 % then watches it through, then watches v2 to
    v5 through once (at 95 %, v3 and v5 at 100 %); the last learner, ``fast``, does the same at ``fast_speed``."""
    rows = []
    plan = [("v1", 0.2), ("v1", 0.95), ("v2", 0.95), ("v3", 1.0), ("v4", 0.95), ("v5", 1.0)]
    start = pd.Timestamp("2024-01-01", tz="UTC")
    for k in range(n_normal + 1):
        who, speed = (f"n{k:02d}", 1.0) if k < n_normal else ("fast", fast_speed)
        for step, (item, share) in enumerate(plan):
            rows.append({"learner": who, "item": item, "timestamp": start + pd.Timedelta(minutes=20 * step),
                         "duration": round(600 * share / speed)})
    catalog = pd.DataFrame({"item": [f"v{k}" for k in range(1, 6)], "kind": "video", "length": 600.0})
    return Traces.from_frame(pd.DataFrame(rows)), catalog


def test_a_fast_watcher_is_read_at_their_pace():
    traces, catalog = _paced_log()
    fast = traces.learner == int(np.flatnonzero(traces.learners == "fast")[0])
    plain = viewing_evidence(traces, catalog, pace="off")
    # at 2x a view to the end logs 48-50 % of the length: below every learned threshold, read as abandons
    assert plain.labels[fast].tolist() == ["abandoned"] * 6 and plain.score[fast].tolist() == [0.0] * 6
    paced = viewing_evidence(traces, catalog)                      # pace="learned", the default
    assert paced.pace[traces.learners == "fast"].tolist() == [2.0]
    assert np.all(paced.pace[traces.learners != "fast"] == 1.0)
    assert paced.labels[fast].tolist() == ["abandoned"] + ["complete"] * 5
    assert paced.score[fast].tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert paced.share[fast] == pytest.approx([0.2, 0.95, 0.95, 1.0, 0.95, 1.0])
    # with fewer than min_learn (50) learners no pace is read: the same log with 40 ordinary learners
    small, _ = _paced_log(n_normal=40)
    assert np.all(viewing_evidence(small, catalog).pace == 1.0)
    assert np.all(viewing_evidence(small, catalog, min_learn=40).pace[small.learners == "fast"] == 2.0)
    # the others are read exactly as without the pace
    assert np.array_equal(paced.labels[~fast], plain.labels[~fast])
    assert np.array_equal(paced.score[~fast], plain.score[~fast])


def test_the_pace_can_be_turned_off_and_is_checked():
    traces, catalog = _paced_log()
    assert viewing_evidence(traces, catalog, pace="off").pace is None
    with pytest.raises(ParameterError, match="pace"):
        viewing_evidence(traces, catalog, pace="fast")
    with pytest.raises(ParameterError, match="rounds"):
        learner_pace(np.ones(3), np.zeros(3, int), 1, rounds=0)
    with pytest.raises(ParameterError, match="differ in length"):
        learner_pace(np.ones(3), np.zeros(2, int), 1)


def test_learner_pace_invariants():
    rng = np.random.default_rng(3)
    learners = np.repeat(np.arange(60), 25)
    r = np.where(rng.random(learners.size) < 0.5, 1.0, rng.uniform(0.05, 0.4, learners.size))
    r *= rng.uniform(0.95, 1.05, learners.size)
    # nobody watches fast: every learner at 1x
    assert np.all(learner_pace(r, learners, 61) == 1.0)               # learner 60 has no visit: 1x
    # scaling a learner's shares by a pace of the grid is read back as that pace
    r2 = r.copy()
    r2[learners == 7] /= 1.5
    r2[learners == 8] /= 1.8
    pace = learner_pace(r2, learners, 60)
    assert (pace[7], pace[8]) == (pytest.approx(1.5, abs=0.06), pytest.approx(1.8, abs=0.06))
    assert set(np.delete(pace, [7, 8]).tolist()) == {1.0} and set(pace.tolist()) <= set(PACE_GRID.tolist())


def test_struggling_learners_are_not_read_as_fast():
    # learners who abandon nine visits in ten: scaling their abandons up fits the log's density of complete
    # views; the share of learners at each pace, learned from the log (nobody is fast here), keeps them at
    # 1x (with a flat prior over the paces, 7 of these 80 learners got a pace of 1.05x to 2.5x)
    rng = np.random.default_rng(3)
    learners = np.repeat(np.arange(80), 25)
    complete = rng.random(learners.size) < np.where(learners < 60, 0.5, 0.1)
    r = np.where(complete, 1.0, rng.beta(1.2, 3.5, learners.size)) * rng.uniform(0.95, 1.05, learners.size)
    assert np.all(learner_pace(r, learners, 80) == 1.0)


def _reference_pace(r, learner, n_learners, rounds=2, min_learners=50, n_iter=200):
    """The pace of every learner, re-derived visit by visit in plain Python from the module docstring of
    :mod:`poem.colony.pace`: histogram density (bins of 0.025 on [0, 3), one pseudo-visit per bin), the
    scale-family log-likelihood ``sum log f(s r) + n log s`` (a scaled share at 3 or above counts as one visit
    in a bin of the whole log), the share of learners at each pace by EM (one pseudo-learner: half at 1x, half
    spread evenly over the 30 faster paces),
    the pace of highest posterior, ``rounds`` times on the paced shares."""
    import math
    width, top, bins = 0.025, 3.0, 120
    visits = [(x, u) for x, u in zip(r, learner) if not math.isnan(x) and 0 <= x < top]
    pace = [1.0] * n_learners
    counts = [0] * n_learners
    for _, u in visits:
        counts[u] += 1
    if not visits or sum(c > 0 for c in counts) < min_learners:
        return np.array(pace)
    grid = [round(1.0 + 0.05 * k, 2) for k in range(31)]
    for _ in range(rounds):
        hist = [1.0] * bins
        for x, u in visits:
            hist[min(int(x * pace[u] / width), bins - 1)] += 1
        total = sum(hist)
        ll = [[0.0] * len(grid) for _ in range(n_learners)]
        for x, u in visits:
            for g, s in enumerate(grid):
                y = x * s
                ll[u][g] += (math.log(hist[min(int(y / width), bins - 1)] / (total * width)) if y < top
                             else math.log(1.0 / (len(visits) * width)))
        for u in range(n_learners):
            for g, s in enumerate(grid):
                ll[u][g] += counts[u] * math.log(s)
        prior = [1.0 / len(grid)] * len(grid)
        for _ in range(n_iter):
            post_sum = [0.0] * len(grid)
            for u in range(n_learners):
                top_ll = max(ll[u])
                w = [math.exp(v - top_ll) * p for v, p in zip(ll[u], prior)]
                z = sum(w)
                for g in range(len(grid)):
                    post_sum[g] += w[g] / z
            pseudo = [0.5] + [0.5 / (len(grid) - 1)] * (len(grid) - 1)
            prior = [(s + a) / (n_learners + 1.0) for s, a in zip(post_sum, pseudo)]
        pace = [grid[max(range(len(grid)), key=lambda g: ll[u][g] + math.log(prior[g]))] for u in range(n_learners)]
    return np.array(pace)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learner_pace_matches_a_plain_reference(seed):
    # 60 learners with a few visits each (so the learned share of learners at each pace weighs on them),
    # a third of them fast; re-watched passages above the usual share (their paced values can pass 3); the
    # edge cases of the visits kept or left out: shares of exactly 0 (kept), exactly 3 (left out: a
    # background tab), NaN, negative; learner 60 without a visit
    rng = np.random.default_rng(seed)
    n_learners, n_visits = 61, 420
    learner = rng.integers(0, 60, n_visits)
    speed = np.where(np.arange(60) % 3 == 0, rng.uniform(1.2, 2.2, 60), 1.0)
    kind = rng.random(n_visits)
    r = np.where(kind < 0.55, 1.0, np.where(kind < 0.85, rng.beta(1.2, 3.5, n_visits), rng.uniform(1.1, 2.0, n_visits)))
    r = r * rng.uniform(0.95, 1.05, n_visits) / speed[learner]
    r[:8] = [0.0, 0.0, 0.0, 3.0, 3.0, np.nan, -0.2, 2.99]
    expected = _reference_pace(r, learner, n_learners, min_learners=60)
    got = learner_pace(r, learner, n_learners, min_learners=60)
    assert got.tolist() == expected.tolist()
    assert got[60] == 1.0 and (got > 1).sum() >= 5     # the fast learners are found, the visitless one is 1x
    # one learner fewer than min_learners with visits: everyone at 1x, as the reference says
    assert np.all(learner_pace(r, learner, n_learners, min_learners=61) == 1.0)
    assert np.all(_reference_pace(r, learner, n_learners, min_learners=61) == 1.0)
    # rounds: one fit of the density and paces, and three, the reference likewise
    for rounds in (1, 3):
        assert learner_pace(r, learner, n_learners, rounds=rounds, min_learners=60).tolist() == \
            _reference_pace(r, learner, n_learners, rounds=rounds, min_learners=60).tolist()


def test_learner_pace_of_a_single_visit_log():
    # one visit of one learner at half the usual share, nothing to hold it against but itself: with
    # min_learners=0 the pace is still read (the reference agrees), and the empty log is 1x
    assert learner_pace(np.array([0.5]), np.array([0]), 1, min_learners=0).tolist() == \
        _reference_pace([0.5], [0], 1, min_learners=0).tolist()
    assert learner_pace(np.array([]), np.array([], int), 2, min_learners=0).tolist() == [1.0, 1.0]


def test_learner_pace_defaults_and_checks():
    # exactly min_learners (default 50) learners with visits is enough; one of them at 1.6x is found
    rng = np.random.default_rng(4)
    learners = np.repeat(np.arange(50), 40)
    r = np.where(rng.random(learners.size) < 0.5, 1.0, rng.uniform(0.1, 0.4, learners.size))
    r[learners == 0] /= 1.6
    assert learner_pace(r, learners, 50)[0] == pytest.approx(1.6, abs=0.06)
    assert np.all(learner_pace(r[learners > 0], learners[learners > 0], 50) == 1.0)   # 49 learners: 1x
    # a heavy learner (250 more visits: a log-likelihood in the hundreds) is read like the others
    heavy = np.concatenate([learners, np.zeros(250, int)])
    r_heavy = np.concatenate([r, np.where(rng.random(250) < 0.5, 1.0, rng.uniform(0.1, 0.4, 250)) / 1.6])
    assert learner_pace(r_heavy, heavy, 50)[0] == pytest.approx(1.6, abs=0.06)
    for bad in (-1, 1.5):
        with pytest.raises(ParameterError, match="min_learners"):
            learner_pace(r, learners, 50, min_learners=bad)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_live_learner_is_paced_by_the_fits_own_likelihood(seed):
    # the fit's last round, held fixed: every learner of the log, paced alone against the density and prior
    # pace_model returns, gets the pace the fit gave them (one likelihood, not two copies)
    rng = np.random.default_rng(seed)
    learner = rng.integers(0, 60, 900)
    speed = np.where(np.arange(60) % 4 == 0, rng.uniform(1.25, 2.0, 60), 1.0)
    r = np.where(rng.random(900) < 0.5, 1.0, rng.beta(1.2, 3.5, 900)) * rng.uniform(0.95, 1.05, 900) / speed[learner]
    r[:4] = [np.nan, 3.0, -1.0, 2.99]
    pace, log_density, prior = pace_model(r, learner, 60)
    assert pace.tolist() == learner_pace(r, learner, 60).tolist()
    assert log_density.shape == (PACE_DENSITY_SIZE,) and prior.shape == PACE_GRID.shape
    assert prior.sum() == pytest.approx(1.0) and prior.argmax() == 0
    alone = [pace_of(r[learner == u], log_density, prior)[0] for u in range(60)]
    assert alone == pace.tolist() == pace_of(r, log_density, prior, learner, 60).tolist()
    # the fast learners are found; a learner without a usable share gets the prior's pace, 1x
    assert np.mean(np.abs(pace - speed)[speed > 1] <= 0.15) >= 0.8
    assert pace_of([np.nan, 3.5], log_density, prior).tolist() == [1.0]


def test_pace_model_of_a_small_log_has_no_model_and_pace_of_checks():
    r = np.full(40, 0.5)
    pace, log_density, prior = pace_model(r, np.arange(40), 40)     # 40 learners < min_learners (50)
    assert np.all(pace == 1.0) and log_density is None and prior is None
    _, log_density, prior = pace_model(np.ones(60), np.arange(60), 60)
    with pytest.raises(ParameterError, match="differ in length"):
        pace_of([0.5, 0.5], log_density, prior, [0], 1)
    with pytest.raises(ParameterError, match="a density of 121 entries and a prior of 31 paces"):
        pace_of([0.5], log_density[:-1], prior)
    with pytest.raises(ParameterError, match="a density of 121 entries and a prior of 31 paces"):
        pace_of([0.5], log_density, prior[:5])


def test_the_pace_prior_is_one_pseudo_learner_whatever_the_grid():
    # hand-checked: on a log of 60 learners nobody watches fast, every posterior is at 1x, so the EM prior
    # at 1x is (60 + 0.5) / (60 + 1); half a pseudo-learner per pace (the prior before) gave
    # (60 + 0.5) / (60 + 0.5 * 31) = 0.80, a fifth of the prior on fast paces of a log where nobody is fast
    from poem.colony.pace import _pace_pseudo

    for k in (2, 31, 101):
        pseudo = _pace_pseudo(k)
        assert pseudo.sum() == pytest.approx(1.0) and pseudo[0] == 0.5 and np.all(pseudo[1:] == pseudo[1])
    rng = np.random.default_rng(0)
    learners = np.repeat(np.arange(60), 30)
    r = np.where(rng.random(1800) < 0.5, 1.0, 0.3) * rng.uniform(0.9, 1.05, 1800)
    pace, _, prior = pace_model(r, learners, 60)
    assert np.all(pace == 1.0) and prior[0] == pytest.approx(60.5 / 61, abs=1e-3)


def test_ordinary_learners_of_a_young_course_are_not_read_as_fast():
    # a course of 120 videos whose colony is fitted on its first 60 learners, nobody watching fast; the 300
    # next learners are read live from their first 5 usable visits (benchmarks/bench_pace_size.py). With
    # half a pseudo-learner per pace, 9 of these 263 1x learners were read as fast (3.4 %); with one
    # pseudo-learner in all, none is
    vc = simulate_viewing(n_items=120, n_learners=360, seed=7)
    traces = vc.to_traces()
    fit_on = np.arange(traces.n_learners) < 60
    reader = ManHill().fit(traces.select_learners(fit_on), catalog=vc.catalog).history_reader_
    assert reader.pace_prior is not None                      # the log is large enough to read a pace
    share = viewing_evidence(traces, vc.catalog, pace="off").share
    paces = []
    for u in np.flatnonzero(~fit_on):
        at = np.flatnonzero(traces.learner == u)
        rel = reader.relative_shares(traces.item[at], share[at])
        usable = np.flatnonzero(~np.isnan(rel) & (rel < 3))
        if len(usable) >= 5:
            cut = usable[4] + 1
            paces.append(reader.pace(traces.item[at][:cut], share[at][:cut]))
    assert len(paces) > 200 and sum(p > 1.0 for p in paces) == 0
