"""``poem suggest --watched``: a viewing course's suggestions from seconds watched (issue 16).

The seconds are read by the colony's own history reader (the closed-loop viewing policy's), which is saved
with the colony; below the reader's floor nothing is suggested and the CLI says so.
"""

import json
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.antcolony import ManHill
from poem.cli.main import main
from poem.cli.model import parse_watched, read_watched
from poem.colony.landing import SHARE_EDGES
from poem.colony.viewing_history import READINGS, SUPPORT_MIN, HistoryReader
from poem.errors import ModelFileError, ParameterError
from poem.lab.runner import data_path

NAN = float("nan")
# bins of the share over the usual finishing share; bins 4 and 5 (1.1 to 1.5 x the usual: sought back) doubtful
CREDIBLE = np.array([True, True, True, True, False, False, True])


def _reader():
    """Items 0 and 1 are videos of 300 s and 600 s (thresholds 0.8 and 0.6, usual shares 1.0 and 0.8);
    item 2 is a quiz; the floor is 0.5."""
    return HistoryReader(threshold=np.array([0.8, 0.6, 0.8]), level=np.array([1.0, 0.8, 1.0]), credible=CREDIBLE,
                         floor=0.5, length=np.array([300.0, 600.0, NAN]), video=np.array([True, True, False]))


def _same(a, b):
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


# ---------------------------------------------------------------- the reading, hand-checked
def test_a_watched_history_read_hand_checked():
    r = _reader()
    items = ["v0", "v0", "v1", "q2", "v0", "v1", "v0"]
    # v0 60 s of 300 (0.2 < 0.8): abandoned, a failure; v0 390 s (1.3 = 1.3 x its usual share: bin 5,
    # doubtful): a failure, still open; v1 480 s of 600 (0.8 >= 0.6, 1.0 x its usual share: bin 2): understood;
    # q2 the quiz keeps its score; v0 285 s (0.95: bin 1): understood; v1 60 s: a review after understanding,
    # no evidence (never a failure); v0 with no seconds: no evidence
    rows = read_watched(r, items, [0, 0, 1, 2, 0, 1, 0], [60, 390, 480, NAN, 285, 60, NAN],
                        [NAN, NAN, NAN, 0.7, NAN, NAN, NAN])
    assert [x["reading"] for x in rows] == ["abandoned", "doubtful", "understood", "score", "understood", "review",
                                            "unwatched"]
    assert _same([x["score"] for x in rows], [0.0, 0.0, 1.0, 0.7, 1.0, NAN, NAN])
    assert _same([x["share"] for x in rows], [0.2, 1.3, 0.8, NAN, 0.95, 0.1, NAN])
    assert [x["length"] for x in rows[:3]] == [300.0, 300.0, 600.0]


def test_the_catalogue_length_is_the_length_read():
    r = _reader()
    # 480 s of the fit's 600 s is complete (0.8 >= 0.6); against a catalogue length of 1200 s it is 0.4: abandoned
    assert read_watched(r, ["v1"], [1], [480.0], None)[0]["reading"] == "understood"
    catalog = pd.DataFrame({"length": ["1200"]}, index=pd.Index(["v1"], name="item"))
    row = read_watched(r, ["v1"], [1], [480.0], None, catalog)[0]
    assert (row["reading"], row["length"], row["share"]) == ("abandoned", 1200.0, 0.4)
    # a catalogue without that video's length falls back on the fit's
    assert read_watched(r, ["v1"], [1], [480.0], None, catalog.rename(index={"v1": "other"}))[0]["length"] == 600.0


def test_the_reader_is_the_policy_reading_visit_by_visit():
    """explain_history gives read_history's scores and read_visits' step by step (what the policy calls)."""
    r = _reader()
    items, shares = [0, 0, 1, 0, 1, 0], [0.3, 1.3, 0.7, 0.95, 5.0, 0.4]
    done = np.zeros(3, dtype=bool)
    stepwise = []
    for j, s in zip(items, shares):
        sc, landed = r.read_visits([j], [s], [done[j]])
        done[j] |= landed[0]
        stepwise.append(sc[0])
    assert _same([s for s, _ in r.explain_history(items, shares)], stepwise)
    assert _same(r.read_history(items, shares), stepwise)
    assert [x for _, x in r.explain_history(items, shares)] == ["abandoned", "doubtful", "understood", "understood",
                                                                "review", "review"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.one_of(st.just(NAN), st.floats(0, 6))), max_size=12))
def test_every_reading_gives_its_score(visits):
    r = _reader()
    items, shares = [j for j, _ in visits], [s for _, s in visits]
    got = r.explain_history(items, shares)
    assert _same([s for s, _ in got], [READINGS[x] for _, x in got])
    # once understood, a video gives no evidence again: never a failure after understanding
    seen = set()
    for j, (score, reading) in zip(items, got):
        if j in seen:
            assert reading == "review" or (reading == "unwatched" and score != score)
        if reading == "understood":
            seen.add(j)


def test_shares_from_seconds():
    r = _reader()
    assert _same(r.shares([0, 1], [150.0, NAN]), [0.5, NAN])
    with pytest.raises(ParameterError, match="finite and >= 0"):
        r.shares([0], [-1.0])
    with pytest.raises(ParameterError, match="no length known for item code 2"):
        r.shares([2], [10.0])


# ---------------------------------------------------------------- bad input: one error naming the fix
def test_parse_watched_errors():
    assert _same(parse_watched("170, ,nan,0", 4), [170.0, NAN, NAN, 0.0])
    assert parse_watched("", 0) == []
    with pytest.raises(ParameterError, match="2 entries for 3 --history entries"):
        parse_watched("1,2", 3)
    with pytest.raises(ParameterError, match="entry 2 is -5.*>= 0"):
        parse_watched("10,-5", 2)
    with pytest.raises(ParameterError, match="entry 1 is inf"):
        parse_watched("inf", 1)
    with pytest.raises(ParameterError, match=r"\('3m'\) is not a number of seconds"):
        parse_watched("3m", 1)
    with pytest.raises(ParameterError, match="names no item"):
        parse_watched("10", 0)


def test_read_watched_errors():
    r = _reader()
    with pytest.raises(ParameterError, match="'q2' is not a video.*give its score in --scores"):
        read_watched(r, ["q2"], [2], [30.0], None)
    with pytest.raises(ParameterError, match="both seconds watched and a score.*leave its --scores entry empty"):
        read_watched(r, ["v0"], [0], [30.0], [1.0])
    unknown = HistoryReader(r.threshold, r.level, r.credible, 0.5, length=np.array([NAN, 600.0, NAN]),
                            video=r.video)
    with pytest.raises(ParameterError, match="no length known for the video 'v0'; pass --catalog"):
        read_watched(unknown, ["v0"], [0], [30.0], None)
    bad = pd.DataFrame({"length": [-3]}, index=pd.Index(["v0"], name="item"))
    with pytest.raises(ParameterError, match="catalogue length of 'v0' is -3"):
        read_watched(r, ["v0"], [0], [30.0], None, bad)


# ---------------------------------------------------------------- the bundled viewing course, end to end
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The bundled viewing-only course fitted through the CLI (as the viewing policy: one landed view is
    mastery)."""
    path = tmp_path_factory.mktemp("video") / "video.npz"
    assert main(["fit", str(data_path("demo_video", "traces.csv")), "--catalog",
                 str(data_path("demo_video", "catalog.csv")), "--set", "mastery_successes=1", "--out", str(path)]) == 0
    return path


def _suggest(capsys, *argv):
    capsys.readouterr()
    code = main(["suggest", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_reads_the_history_and_suggests(demo, capsys):
    catalog = str(data_path("demo_video", "catalog.csv"))
    # Video 11 (va5cc0, 572 s): 516 s is a complete view, then 4881 s (8.5 x: a background tab after understanding)
    # then 40 s (a review after completion: no evidence, not a failure); v3a8ef (347 s) abandoned at 30 s
    code, out, err = _suggest(capsys, demo, "--history", "Video 11,va5cc0,va5cc0,v3a8ef",
                              "--watched", "516,4881,40,30", "--catalog", catalog, "--format", "json", "--k", "3")
    assert code == 0, err
    got = json.loads(out)
    assert [r["reading"] for r in got["history"]] == ["understood", "review", "review", "abandoned"]
    assert [r["score"] for r in got["history"]] == [1.0, None, None, 0.0]
    assert got["history"][0]["length"] == 572.0 and got["history"][0]["title"] == "Video 11"
    # from v3a8ef, the colony's best candidate (vc7eb7, predicted 0.70, above the floor 0.48) is a step no
    # learner of the log took: no suggestion, the learner chooses
    model = ManHill.load(demo)
    direct = model.suggest(["va5cc0"] * 3 + ["v3a8ef"], scores=[1.0, NAN, NAN, 0.0], k=3)
    assert direct[0].predicted_success >= got["floor"] and direct[0].support < SUPPORT_MIN
    assert got["deferred"] and got["suggestions"] == [] and got["min_support"] == SUPPORT_MIN
    assert f"fewer than {SUPPORT_MIN}" in got["message"] and "the learner chooses" in got["message"]
    # the same visits in another order: from va5cc0 the best steps were taken by 28, 28 and 10 learners
    code, out, err = _suggest(capsys, demo, "--history", "v3a8ef,Video 11,va5cc0,va5cc0",
                              "--watched", "30,516,4881,40", "--catalog", catalog, "--format", "json", "--k", "3")
    assert code == 0, err
    got = json.loads(out)
    assert [r["reading"] for r in got["history"]] == ["abandoned", "understood", "review", "review"]
    assert not got["deferred"] and got["message"] is None and 1 <= len(got["suggestions"]) <= 3
    assert all(s["predicted_success"] >= got["floor"] and s["support"] >= SUPPORT_MIN for s in got["suggestions"])
    # the same suggestions as the colony's own suggest on the scores the reading gave, and in the table
    direct = model.suggest(["v3a8ef"] + ["va5cc0"] * 3, scores=[0.0, 1.0, NAN, NAN], k=3)
    assert [s["item"] for s in got["suggestions"]] == [s.item for s in direct if s.predicted_success >= got["floor"]
                                                       and s.support >= SUPPORT_MIN]
    code, table, _ = _suggest(capsys, demo, "--history", "v3a8ef,va5cc0", "--watched", "30,516", "--k", "2")
    assert code == 0 and "516 s of 572 s = 0.90" in table and "understood, a pass" in table
    assert "abandoned, a failure" in table and "why" in table and "no suggestion" not in table
    assert "measured: in closed loop" in table   # never shown with more confidence than measured


def test_cli_defers_in_words(demo, capsys):
    # four videos abandoned in their first seconds: the best candidate's predicted success (0.38 on this
    # course) is below the log's success rate of the evidence (0.48): no suggestion, the learner chooses
    argv = [demo, "--history", "va5cc0,vfdc88,v3a8ef,v44d35", "--watched", "20,30,10,15"]
    code, out, _ = _suggest(capsys, *argv)
    assert code == 0
    assert "no suggestion" in out and "the learner chooses" in out and "below 0.48" in out
    assert "why" not in out
    code, out, _ = _suggest(capsys, *argv, "--format", "json")
    got = json.loads(out)
    assert got["deferred"] and got["suggestions"] == [] and "the learner chooses" in got["message"]
    assert got["floor"] == pytest.approx(ManHill.load(demo).history_reader_.floor)
    # above the floor, but a step no learner of the log took (v3a8ef -> vc7eb7): deferred, in words
    code, out, _ = _suggest(capsys, demo, "--history", "va5cc0,v3a8ef", "--watched", "516,30")
    assert code == 0 and "no suggestion" in out and "by 0 learner(s)" in out and f"fewer than {SUPPORT_MIN}" in out
    assert "why" not in out and "below 0.48" not in out


def test_cli_errors_are_one_line(demo, capsys, tmp_path):
    cases = [
        (["--history", "va5cc0,v3a8ef", "--watched", "516"], "1 entries for 2 --history entries"),
        (["--history", "va5cc0", "--watched", "-3"], "must be a finite number >= 0"),
        (["--history", "va5cc0", "--watched", "516", "--scores", "1"], "both seconds watched and a score"),
        (["--history", "nope", "--watched", "516"], "unknown item 'nope'"),
        (["--history", "va5cc0,v3a8ef", "--watched", "516,1", "--scores", "1"], "--scores has 1 entries for 2"),
    ]
    for extra, message in cases:
        code, out, err = _suggest(capsys, demo, *extra)
        assert code == 1 and message in err and len(err.strip().splitlines()) == 1, (extra, err)
    # a colony fitted on scores has no reader: --watched asks for a refit on the viewing log
    frame = pd.DataFrame({"learner": ["a", "a", "b"], "item": ["x", "y", "x"], "score": [1.0, 0.0, 1.0],
                          "timestamp": ["2024-01-01T10:00:00Z", "2024-01-02T10:00:00Z", "2024-01-01T10:00:00Z"]})
    frame.to_csv(tmp_path / "quiz.csv", index=False)
    assert main(["fit", str(tmp_path / "quiz.csv"), "--out", str(tmp_path / "quiz.npz")]) == 0
    code, _, err = _suggest(capsys, tmp_path / "quiz.npz", "--history", "x", "--watched", "30")
    assert code == 1 and "no viewing history reader" in err and "poem fit TRACES --catalog CATALOG" in err


# ---------------------------------------------------------------- the reader saved with the colony
def test_reader_round_trip_same_reading_same_suggestions(demo, tmp_path):
    from poem.io import read_traces

    traces = read_traces(data_path("demo_video", "traces.csv"))
    fitted = ManHill(mastery_successes=1).fit(traces, catalog=data_path("demo_video", "catalog.csv"))
    assert fitted.history_reader_ is not None
    fitted.save(tmp_path / "m.npz")
    back = ManHill.load(tmp_path / "m.npz")
    a, b = fitted.history_reader_, back.history_reader_
    assert a.pace_prior is not None     # 1 000 learners: the fit read a pace, and the reader keeps what it read against
    for name in ("threshold", "level", "credible", "length", "video", "pace_log_density", "pace_prior"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.floor, a.background_share) == (b.floor, b.background_share)
    # the reader is the one HistoryReader.from_fit learns from the same traces (the policy's)
    np.testing.assert_array_equal(HistoryReader.from_fit(fitted, traces).level, a.level)
    rng = np.random.default_rng(5)
    codes = rng.integers(0, len(fitted.items_), 30)
    shares = rng.uniform(0, 1.3, 30)
    assert _same(a.read_history(codes, shares), b.read_history(codes, shares))
    # a learner at 2x, watching to the usual finishing share: the same pace and readings after the round trip
    fast = np.arange(6)
    assert a.pace(fast, a.level[fast] / 2) == b.pace(fast, b.level[fast] / 2) == pytest.approx(2.0, abs=0.1)
    assert a.read_history(fast, a.level[fast] / 2) == b.read_history(fast, b.level[fast] / 2) == [1.0] * 6
    scores = a.read_history(codes, shares)
    hist = [str(fitted.items_[j]) for j in codes]
    for op in ("greedy", "roulette"):
        x = [s.to_dict() for s in fitted.suggest(hist, scores, k=4, operator=op, rng=7)]
        y = [s.to_dict() for s in back.suggest(hist, scores, k=4, operator=op, rng=7)]
        assert json.dumps(x) == json.dumps(y)


def _rewrite(src, dst, drop=(), meta_edit=None, replace=None):
    """A copy of a colony file without the ``drop`` arrays, its metadata edited, arrays replaced."""
    with np.load(src, allow_pickle=False) as archive:
        data = {k: archive[k] for k in archive.files if k not in drop}
    meta = json.loads(data["__meta__"].tobytes().decode("utf-8"))
    if meta_edit:
        meta_edit(meta)
    data["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    data.update(replace or {})
    with open(dst, "wb") as fh:
        np.savez(fh, **data)


def test_a_file_written_before_the_reader_still_loads(demo, tmp_path, capsys):
    with zipfile.ZipFile(demo) as z:
        readers = [n[:-4] for n in z.namelist() if n.startswith("reader__")]
    assert sorted(readers) == ["reader__credible", "reader__length", "reader__level", "reader__pace_log_density",
                               "reader__pace_prior", "reader__threshold", "reader__video"]
    old = tmp_path / "old.npz"
    _rewrite(demo, old, drop=readers, meta_edit=lambda m: m.pop("reader"))
    model = ManHill.load(old)
    assert model.history_reader_ is None
    # its plain suggestions are those of the file with the reader
    new = ManHill.load(demo)
    assert [s.item for s in model.suggest(["va5cc0"], [1.0])] == [s.item for s in new.suggest(["va5cc0"], [1.0])]
    code, _, err = _suggest(capsys, old, "--history", "va5cc0", "--watched", "516")
    assert code == 1 and "no viewing history reader" in err and "refit" in err


def test_a_file_written_before_the_live_pace_reads_at_1x(demo, tmp_path, capsys):
    # the reader's arrays of a file written before the live reading had a pace: no pace arrays
    old = tmp_path / "before_pace.npz"
    _rewrite(demo, old, drop=["reader__pace_log_density", "reader__pace_prior"])
    before, now = ManHill.load(old).history_reader_, ManHill.load(demo).history_reader_
    assert before.pace_prior is None and before.pace_log_density is None and now.pace_prior is not None
    # a learner at 2x (six videos to the usual finishing share, logged as half): 1x and abandoned from the
    # old file, understood from the new one; an ordinary history reads the same from both
    items = np.arange(6)
    logged = now.level[items] / 2
    assert before.pace(items, logged) == 1.0 and before.read_history(items, logged) == [0.0] * 6
    assert now.read_history(items, logged) == [1.0] * 6
    ordinary = now.level[items] * np.array([1.0, 0.3, 0.98, 0.2, 1.02, 1.0])
    assert before.read_history(items, ordinary) == now.read_history(items, ordinary)
    # through the CLI: the pace read is said (text) and given (json)
    ids = [str(x) for x in ManHill.load(demo).items_[items]]
    seconds = ",".join(f"{s:.0f}" for s in logged * now.length[items])
    code, out, err = _suggest(capsys, demo, "--history", ",".join(ids), "--watched", seconds, "--format", "json")
    assert code == 0, err
    got = json.loads(out)["history"]
    assert {x["reading"] for x in got} == {"understood"} and got[0]["pace"] == pytest.approx(2.0, abs=0.1)
    code, out, _ = _suggest(capsys, old, "--history", ",".join(ids), "--watched", seconds, "--format", "json")
    got = json.loads(out)["history"]
    assert code == 0 and {x["reading"] for x in got} == {"abandoned"} and {x["pace"] for x in got} == {1.0}
    code, out, _ = _suggest(capsys, demo, "--history", ",".join(ids), "--watched", seconds)
    assert code == 0 and "watching pace read from these visits: 2" in out
    assert len(re.findall(r"= 0\.\d\d, 0\.\d\d at 2(\.\d+)?x \(threshold", out)) == 6
    code, out, _ = _suggest(capsys, old, "--history", ",".join(ids), "--watched", seconds)
    assert code == 0 and "watching pace" not in out


def test_damaged_pace_arrays_are_a_model_file_error(demo, tmp_path):
    bad = tmp_path / "bad_pace.npz"
    _rewrite(demo, bad, drop=["reader__pace_prior"])
    with pytest.raises(ModelFileError, match="reader__pace_log_density without its pair reader__pace_prior"):
        ManHill.load(bad)
    _rewrite(demo, bad, replace={"reader__pace_prior": np.full(7, 1 / 7)})
    with pytest.raises(ModelFileError, match="history reader array pace_prior has shape"):
        ManHill.load(bad)
    _rewrite(demo, bad, replace={"reader__pace_log_density": np.zeros(120)})
    with pytest.raises(ModelFileError, match="history reader array pace_log_density has shape"):
        ManHill.load(bad)
    _rewrite(demo, bad, replace={"reader__pace_prior": np.full(31, 0.5)})
    with pytest.raises(ModelFileError, match="not a log density and a prior"):
        ManHill.load(bad)


def test_a_damaged_reader_is_a_model_file_error(demo, tmp_path):
    bad = tmp_path / "bad.npz"
    _rewrite(demo, bad, replace={"reader__credible": np.ones(3, dtype=bool)})
    with pytest.raises(ModelFileError, match="history reader array credible has shape"):
        ManHill.load(bad)
    _rewrite(demo, bad, drop=["reader__level"])
    with pytest.raises(ModelFileError, match="reader__level"):
        ManHill.load(bad)
    assert len(SHARE_EDGES) + 1 == len(CREDIBLE)


# ---------------------------------------------------------------- the CLI reads as the closed-loop policy
def test_cli_reading_is_the_viewing_policy_reading(tmp_path, capsys, monkeypatch):
    """A learner of a guided cohort: the scores the policy gave suggest, and its reader's floor, are what
    ``poem suggest --watched`` gives from the same visits' seconds on the policy's colony saved to a file."""
    import poem.simulation.viewing as viewing
    from poem.simulation.closed_loop import closed_loop
    from poem.simulation.course import make_course

    course = make_course(12, rng=np.random.default_rng(4))
    catalog = pd.DataFrame({"item": course.items.astype(object), "kind": "video",
                            "length": viewing.video_lengths(course.n_items, np.random.default_rng(4))})
    seen = []
    real = viewing.watched_shares

    def recording(*args, **kwargs):
        share = real(*args, **kwargs)
        seen.append(share)
        return share

    class Recording(viewing.ViewingColonyPolicy):
        def start_cohort(self, course, state):
            super().start_cohort(course, state)
            self.used = self.model   # the colony (and reader) this cohort is guided and read with

        def observe(self, rows, items, scores):
            if self.reader is not None:
                self.visits.append((rows.copy(), items.copy()))
            super().observe(rows, items, scores)

    monkeypatch.setattr(viewing, "watched_shares", recording)
    policy = Recording(catalog, seed=4)
    policy.visits = []
    closed_loop(course, policy, n_cohorts=2, cohort_size=30, seed=4)
    # the reader the policy used is the colony's own (the one its file keeps); a refit after the last
    # cohort replaced both, so the colony that guided that cohort is the one compared
    assert policy.reader is policy.model.history_reader_ and policy.visits
    model = policy.used
    assert model is not policy.model and model.history_reader_ is not None
    shares = seen[-len(policy.visits):]
    length = catalog.set_index("item")["length"].astype(float)
    model.save(tmp_path / "policy.npz")
    loaded = ManHill.load(tmp_path / "policy.npz").history_reader_
    histories = {}
    for r in range(30):
        items, share = [], []
        for (rows, its), sh in zip(policy.visits, shares):
            at = np.flatnonzero(rows == r)
            items += its[at].tolist()
            share += sh[at].tolist()
        assert items == list(policy._items[r])
        ids = [str(course.items[j]) for j in items]
        seconds = [float(s * length[i]) for s, i in zip(share, ids)]
        codes = [int(np.flatnonzero(model.items_ == i)[0]) for i in ids]
        # every learner of the cohort: the saved reader gives, from the seconds, the scores the policy gave
        rows = read_watched(loaded, ids, codes, seconds, None)
        assert _same([x["score"] for x in rows], policy._scores[r])
        histories[r] = (ids, seconds, {x["reading"] for x in rows})
    # the CLI on a learner whose visits were read in several ways
    r = next(r for r, (_, _, kinds) in histories.items() if {"understood", "abandoned"} <= kinds)
    ids, seconds, _ = histories[r]
    code, out, err = _suggest(capsys, tmp_path / "policy.npz", "--history", ",".join(ids), "--watched",
                              ",".join(repr(s) for s in seconds), "--format", "json", "--k", "1", "--seed", "3")
    assert code == 0, err
    got = json.loads(out)
    assert _same([NAN if x["score"] is None else x["score"] for x in got["history"]], policy._scores[r])
    floor = model.history_reader_.floor
    assert got["floor"] == floor
    best = model.suggest(ids, policy._scores[r], k=1, rng=3)
    # the same rule as the policy's: below the floor or short of the support, no suggestion
    assert got["min_support"] == policy.defer == SUPPORT_MIN
    assert got["deferred"] == (not best or best[0].predicted_success < floor or best[0].support < SUPPORT_MIN)
    assert [s["item"] for s in got["suggestions"]] == ([] if got["deferred"] else [best[0].item])


def test_a_colony_asking_more_passes_than_a_view_gives_is_noted(tmp_path, capsys):
    # calibrated mastery (the colony's default) asks 2-3 passes of these videos; a viewing history gives
    # one at most (later visits are reviews), so an understood video would never count as mastered
    path = tmp_path / "calibrated.npz"
    assert main(["fit", str(data_path("demo_video", "traces.csv")), "--catalog",
                 str(data_path("demo_video", "catalog.csv")), "--out", str(path)]) == 0
    code, out, err = _suggest(capsys, path, "--history", "va5cc0", "--watched", "516")
    assert code == 0 and "understood, a pass" in out
    assert "note: this colony counts 'va5cc0' as mastered only after" in err and "mastery_successes=1" in err
