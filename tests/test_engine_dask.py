"""The Dask engine: same colony as in memory, whatever the partitioning; accounting of rejects; cluster
handling. One small in-process LocalCluster (2 thread workers) serves the module and is always closed."""

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from poem.antcolony import ManHill
from poem.engines.dask import StagedDataset, dask_client, fit_dask, tree_sum
from poem.engines.parquet import find_parquet_files, find_pieces, read_piece
from poem.errors import ParameterError, PoemError, TraceFormatError
from poem.io import read_traces
from poem.simulation.synth import generate_log

distributed = pytest.importorskip("distributed")

INT_ATTRS = ("arc_visits_", "arc_learners_", "item_attempts_", "item_learners_", "item_events_")
FLOAT_ATTRS = ("phi_plus_", "phi_minus_", "precedence_", "item_successes_", "item_difficulty_",
               "learner_ability_")
T0 = pd.Timestamp("2024-03-01", tz="UTC")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _write(directory: Path, frames: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(directory / name, index=False)
    return directory


def _events(rows):
    """rows of (learner, item, minutes after T0, score) -> canonical frame."""
    learner, item, minutes, score = zip(*rows) if rows else ((), (), (), ())
    return pd.DataFrame({"learner": list(learner), "item": list(item),
                         "timestamp": T0 + pd.to_timedelta(list(minutes), unit="min"),
                         "score": np.array(score, dtype=float)})


def _in_memory(directory: Path, **params) -> ManHill:
    """The reference: the in-memory reader on the same files in path order, then the in-memory fit."""
    outcomes = params.pop("outcomes", None)
    traces = read_traces([str(f) for f in find_parquet_files(directory)])
    return ManHill(**params).fit(traces, outcomes=outcomes)


def _assert_same(model: ManHill, ref: ManHill):
    assert model.items_.tolist() == ref.items_.tolist()
    assert model.learners_.tolist() == ref.learners_.tolist()
    assert model.n_events_ == ref.n_events_ and model.n_learners_ == ref.n_learners_
    for name in INT_ATTRS:
        np.testing.assert_array_equal(getattr(model, name), getattr(ref, name), err_msg=name)
    for name in FLOAT_ATTRS:
        np.testing.assert_allclose(getattr(model, name), getattr(ref, name), rtol=1e-12, atol=1e-12,
                                   err_msg=name)


@pytest.fixture(scope="module")
def by_day(tmp_path_factory):
    """A synthetic log in one file per day: most trails cross several files."""
    log = generate_log(6_000, n_learners=150, n_items=15, seed=11)
    directory = tmp_path_factory.mktemp("by_day")
    log.write_parquet(directory, partition="day")
    return directory, log


# ------------------------------------------------------------------------------------------ equality
def test_equal_to_in_memory_engine_with_trails_split_across_day_files(client, by_day):
    directory, _ = by_day
    files = find_parquet_files(directory)
    assert len(files) > 20
    model = fit_dask(directory, scheduler=client, progress=False, target_rows=700)
    run = model.dask_run_
    assert run.n_partitions == 9 and run.n_pieces == len(files)
    # the premise: learners really are split across files
    learner_files = pd.concat([pd.read_parquet(f, columns=["learner"]).assign(f=k)
                               for k, f in enumerate(files)]).groupby("learner")["f"].nunique()
    assert (learner_files > 1).mean() > 0.5
    _assert_same(model, _in_memory(directory))
    assert run.summary.n_read == run.summary.n_accepted == 6_000


def test_equal_with_sessions_evaporation_and_tour_quality(client, by_day):
    directory, log = by_day
    outcomes = log.outcomes.iloc[::2]  # half the outcomes unknown: filled with the global mean
    params = dict(session_gap=1800, decay="evaporation", rho=0.2, tour_quality=True, depth=3, lam=0.7)
    model = fit_dask(directory, scheduler=client, progress=False, target_rows=1_000, outcomes=outcomes,
                     **params)
    _assert_same(model, _in_memory(directory, outcomes=outcomes, **params))
    assert model.decay == "evaporation"


def test_memory_and_disk_staging_agree_and_scratch_is_removed(client, by_day, tmp_path):
    directory, _ = by_day
    scratch = tmp_path / "scratch"
    on_disk = fit_dask(directory, scheduler=client, progress=False, target_rows=2_000, stage=scratch)
    in_ram = fit_dask(directory, scheduler=client, progress=False, target_rows=2_000, stage="memory")
    np.testing.assert_array_equal(on_disk.arc_visits_, in_ram.arc_visits_)
    np.testing.assert_allclose(on_disk.phi_plus_, in_ram.phi_plus_, rtol=1e-12)
    assert scratch.is_dir() and list(scratch.iterdir()) == []


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from("wxyz"), st.integers(0, 6),
                          st.sampled_from([0.0, 0.5, 1.0, np.nan])), min_size=1, max_size=40),
       st.lists(st.integers(0, 3), min_size=40, max_size=40), st.integers(1, 12), st.integers(0, 3))
def test_any_split_into_files_gives_the_in_memory_colony(client, rows, file_of, target_rows, depth):
    # equal timestamps and exact duplicates are frequent here: the order and duplicate rules are exercised
    with tempfile.TemporaryDirectory() as tmp:
        files = {f"{k}.parquet": _events([r for r, f in zip(rows, file_of) if f == k]) for k in range(4)}
        directory = _write(Path(tmp), files)
        model = fit_dask(directory, scheduler=client, progress=False, target_rows=target_rows, depth=depth)
        _assert_same(model, _in_memory(directory, depth=depth))


def test_tree_sum_adds_in_list_order():
    assert tree_sum(list("abcdefg")) == "abcdefg"
    assert tree_sum([np.array([1.0]), np.array([2.0]), np.array([3.0])]).tolist() == [6.0]
    with pytest.raises(ValueError):
        tree_sum([])


# ------------------------------------------------------------------------------------------ boundaries
def test_partition_boundaries_keep_trail_order_and_simultaneous_events_in_file_order(client, tmp_path):
    # learner u: x (file a), then y and w at the same minute in files b and c, then z; in memory the
    # files are concatenated in path order, so the tie is broken b before c: x -> y -> w -> z
    directory = _write(tmp_path / "ds", {
        "a.parquet": _events([("u", "x", 0, 1.0), ("v", "y", 5, 0.0)]),
        "b.parquet": _events([("u", "y", 10, 1.0), ("v", "x", 6, 1.0)]),
        "c.parquet": _events([("u", "w", 10, 1.0), ("u", "z", 20, 0.0)]),
    })
    model = fit_dask(directory, scheduler=client, progress=False, target_rows=1, depth=0)
    items = model.items_.tolist()
    start = len(items)
    arcs = {(("start" if r == start else items[r]), items[c]): int(model.arc_visits_[r, c])
            for r, c in zip(*np.nonzero(model.arc_visits_))}
    assert arcs == {("start", "x"): 1, ("x", "y"): 1, ("y", "w"): 1, ("w", "z"): 1,
                    ("start", "y"): 1, ("y", "x"): 1}
    assert model.phi_minus_[items.index("w"), items.index("z")] == 1.0  # u failed z, arriving from w
    _assert_same(model, _in_memory(directory, depth=0))


def test_empty_files_and_empty_partitions(client, tmp_path):
    empty = _events([])
    directory = _write(tmp_path / "ds", {
        "0.parquet": empty,
        "1.parquet": _events([("a", "x", 0, 1.0), ("b", "y", 1, 0.0)]),
        "2.parquet": empty,
        "3.parquet": _events([("a", "y", 2, 1.0), ("c", "x", 3, 1.0)]),
    })
    # 4 events, 1 row per partition: 4 hash partitions for 3 learners, so at least one is empty
    model = fit_dask(directory, scheduler=client, progress=False, target_rows=1)
    assert model.dask_run_.n_partitions == 4
    assert model.dask_run_.summary.n_read == 4
    _assert_same(model, _in_memory(directory))


def test_partition_with_only_rejects_is_accounted(client, tmp_path):
    bad = pd.DataFrame({"learner": ["a", None, "c", "d"], "item": ["x", "y", "z", "z"],
                        "timestamp": ["2024-03-01T00:00Z", "2024-03-02T00:00Z", "not a date",
                                      "2024-03-01 10:00"], "score": [7.0, 1.0, 1.0, 1.0]})
    directory = _write(tmp_path / "ds", {
        "good.parquet": _events([("a", "x", 0, 1.0), ("a", "y", 1, 1.0), ("b", "x", 2, 0.0)]),
        "only_rejects.parquet": bad,
    })
    model = fit_dask(directory, scheduler=client, progress=False, target_rows=2)
    summary = model.dask_run_.summary
    assert (summary.n_read, summary.n_accepted, summary.n_rejected) == (7, 3, 4)
    assert summary.reasons == {"score_out_of_range": 1, "missing_learner": 1, "bad_timestamp": 1,
                               "naive_timestamp": 1}
    rejects = model.dask_run_.rejects
    assert set(rejects["source"].map(lambda s: Path(s).name)) == {"only_rejects.parquet"}
    assert rejects["row"].tolist() == [0, 1, 2, 3]
    assert model.n_events_ == 3 and model.items_.tolist() == ["x", "y"]  # z only occurs in rejects
    _assert_same(model, _in_memory(directory))
    reference = read_traces([str(f) for f in find_parquet_files(directory)])
    pd.testing.assert_frame_equal(rejects, reference.rejects)


def test_duplicates_across_files_are_rejected_like_in_memory(client, tmp_path):
    row = [("a", "x", 0, 1.0)]
    directory = _write(tmp_path / "ds", {
        "0.parquet": _events(row + [("b", "x", 0, 1.0)]),
        "1.parquet": _events([("a", "y", 1, 0.0)] + row),       # repeats row 0 of 0.parquet
        "2.parquet": _events(row + [("a", "x", 0, 0.0)]),        # again; the second differs by score
    })
    model = fit_dask(directory, scheduler=client, progress=False, target_rows=2)
    run = model.dask_run_
    assert (run.summary.n_read, run.summary.n_accepted, run.summary.reasons) == (6, 4, {"duplicate": 2})
    assert [Path(s).name for s in run.rejects["source"]] == ["1.parquet", "2.parquet"]
    assert run.rejects["row"].tolist() == [1, 0]
    assert all(d.startswith("repeats row 0 of ") and d.endswith("0.parquet") for d in run.rejects["detail"])
    reference = read_traces([str(f) for f in find_parquet_files(directory)])
    pd.testing.assert_frame_equal(run.rejects, reference.rejects)
    _assert_same(model, _in_memory(directory))
    kept = fit_dask(directory, scheduler=client, progress=False, duplicates="keep")
    assert kept.n_events_ == 6 and kept.dask_run_.summary.n_rejected == 0


def test_read_options_rename_columns_and_accept_naive_stamps(client, tmp_path):
    frame = pd.DataFrame({"who": ["a", "a"], "what": ["x", "y"],
                          "when": ["2024-03-01 10:00", "2024-03-01 11:00"], "pct": [50.0, 100.0]})
    directory = _write(tmp_path / "ds", {"a.parquet": frame})
    with pytest.raises(TraceFormatError, match="no column for learner, item, timestamp"):
        fit_dask(directory, scheduler=client, progress=False)
    options = dict(learner="who", item="what", timestamp="when", score="pct")
    with pytest.raises(TraceFormatError, match="naive_timestamps"):
        fit_dask(directory, scheduler=client, progress=False, read_options=options)
    model = fit_dask(directory, scheduler=client, progress=False, depth=0,
                     read_options={**options, "naive_timestamps": "utc", "score_max": 100})
    assert model.item_successes_.tolist() == [0.5, 1.0]
    assert model.phi_plus_[0, 1] == 1.0  # x -> y, arriving at y with score 1


def test_all_rows_rejected_is_an_error_naming_the_counts(client, tmp_path):
    directory = _write(tmp_path / "ds", {"bad.parquet": pd.DataFrame(
        {"learner": [None], "item": ["x"], "timestamp": [T0]})})
    with pytest.raises(TraceFormatError, match="no usable event: read 1 rows, all rejected, mostly "
                                               "missing_learner .*--learner"):
        fit_dask(directory, scheduler=client, progress=False)


def test_cli_fit_with_dask_engine_stops_in_one_line_naming_the_fix(client, tmp_path, capsys):
    from poem.cli.main import main

    directory = _write(tmp_path / "ds", {"bad.parquet": pd.DataFrame(
        {"learner": ["a", "b"], "item": ["x", "x"], "timestamp": [T0, T0], "score": [80.0, 90.0]})})
    out = tmp_path / "m.npz"
    assert main(["fit", str(directory), "--engine", "dask", "--scheduler", client.scheduler.address,
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()  # the survey's progress bar, then the error
    assert "Traceback" not in "\n".join(err) and "no usable event" not in "\n".join(err[:-1])
    assert "mostly score_out_of_range" in err[-1] and "--score-max 100" in err[-1], err
    assert not out.exists()


def test_catalogue_items_join_the_vocabulary(client, tmp_path):
    directory = _write(tmp_path / "ds", {"a.parquet": _events([("a", "x", 0, 1.0), ("a", "y", 1, 1.0)])})
    model = fit_dask(directory, scheduler=client, progress=False, items=["unseen", "x"])
    assert model.items_.tolist() == ["unseen", "x", "y"]
    assert model.item_learners_.tolist() == [0, 1, 1]


# ------------------------------------------------------------------------------------------ errors
def test_bad_sources_and_parameters_are_named(client, tmp_path):
    with pytest.raises(TraceFormatError, match="no Parquet file"):
        fit_dask(tmp_path / "nothing-here", scheduler=client, progress=False)
    directory = _write(tmp_path / "ds", {"odd.parquet": pd.DataFrame({"user": ["a"], "item": ["x"]})})
    with pytest.raises(TraceFormatError, match=r"odd\.parquet: no column for timestamp"):
        fit_dask(directory, scheduler=client, progress=False)
    with pytest.raises(ParameterError, match="erosion"):
        fit_dask(directory, scheduler=client, progress=False, decay="erosion")
    with pytest.raises(ParameterError, match="depth"):
        fit_dask(directory, scheduler=client, progress=False, depth=-1)
    with pytest.raises(ParameterError, match="n_workers and memory_limit"):
        fit_dask(directory, scheduler=client, n_workers=2, progress=False)
    with pytest.raises(ParameterError, match="memory_limit"):
        fit_dask(directory, memory_limit="lots", progress=False)
    with pytest.raises(ParameterError, match="process workers"):
        fit_dask(directory, n_workers=1, processes=False, memory_limit="1GB", progress=False)


# ------------------------------------------------------------------------------------------ cluster
def test_own_local_cluster_is_started_and_closed(tmp_path, capfd):
    directory = _write(tmp_path / "ds", {"a.parquet": _events([("a", "x", 0, 1.0), ("b", "x", 1, 0.0)])})
    model = fit_dask(directory, n_workers=1, processes=True, progress=True, memory_limit="1GB")
    assert model.item_attempts_.tolist() == [2]
    err = capfd.readouterr().err
    assert "poem: survey" in err and "shuffle by learner" in err and "colony state" in err


def test_scheduler_address_and_map_reduce_over_staged_partitions(client, by_day):
    directory, log = by_day
    with dask_client(client.scheduler.address) as other:
        with StagedDataset(other, directory, progress=False, target_rows=1_500) as data:
            n_events = data.map_reduce(lambda traces: traces.n_events)
            n_learners = data.map_reduce(lambda traces: traces.n_learners)
            # every partition holds whole trails: learner counts add up to the global vocabulary
            assert (n_events, n_learners) == (len(log.events), log.events["learner"].nunique())
            assert len(data.run.learners) == n_learners


def test_unreachable_scheduler_is_a_poem_error(tmp_path):
    with pytest.raises(PoemError, match="cannot reach the Dask scheduler"):
        with dask_client("tcp://127.0.0.1:9", timeout="1s"):
            pass


# ------------------------------------------------------------------------------------------ pieces
def test_pieces_cover_every_row_once_in_path_order(tmp_path):
    frame = _events([(f"u{k % 3}", "x", k, 1.0) for k in range(10)])
    frame.iloc[:7].to_parquet(tmp_path / "b.parquet", row_group_size=3)
    frame.iloc[7:].to_parquet(tmp_path / "a.parquet")
    pieces = find_pieces(tmp_path, target_rows=4)
    # a.parquet (3 rows) sorts first; b.parquet has row groups of 3, 3, 1 rows: [3] then [3 + 1]
    assert [(Path(p.path).name, p.row_groups, p.file_row, p.offset, p.n_rows) for p in pieces] == [
        ("a.parquet", (0,), 0, 0, 3), ("b.parquet", (0,), 0, 3, 3), ("b.parquet", (1, 2), 3, 6, 4)]
    with pytest.raises(ParameterError, match="target_rows"):
        find_pieces(tmp_path, target_rows=0)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None, " "]), st.sampled_from(["x", None]),
                          st.sampled_from(["2024-01-01T00:00Z", "2024-01-01 08:00", "nope", None]),
                          st.one_of(st.none(), st.floats(-1, 2, allow_nan=False))), max_size=30),
       st.integers(1, 7))
def test_pieces_account_for_every_row(tmp_path, rows, row_group_size):
    frame = pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"], dtype=object)
    frame["score"] = frame["score"].astype(float)
    path = tmp_path / "f.parquet"
    frame.to_parquet(path, row_group_size=row_group_size)
    pieces = find_pieces(path, target_rows=5)
    read = [read_piece(p) for p in pieces]
    clean = pd.concat([c for c, _, _ in read], ignore_index=True)
    rejects = pd.concat([r for _, r, _ in read], ignore_index=True)
    assert len(clean) + len(rejects) == len(frame) == sum(p.n_rows for p in pieces)
    # every row is either clean (global position) or rejected (row in its file), never both
    assert sorted(clean["row"].tolist() + rejects["row"].tolist()) == list(range(len(frame)))
    assert clean["score"].dropna().between(0, 1).all()
    # the same verdicts as the in-memory reader on the whole file
    if len(frame):
        try:
            whole = read_traces(str(path), duplicates="keep")
        except TraceFormatError:  # every timestamp naive: refused as a whole, by both engines
            return
        assert sorted(rejects["row"].tolist()) == sorted(whole.rejects["row"].tolist())
        assert whole.n_events == len(clean)


# ------------------------------------------------------------------------------------------ CLI
def test_cli_fit_with_dask_engine_and_scheduler(client, by_day, tmp_path, capsys):
    from poem.cli.main import main

    directory, _ = by_day
    out = tmp_path / "colony.npz"
    code = main(["fit", "--engine", "dask", str(directory), "--scheduler", client.scheduler.address,
                 "--set", "depth=1", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    out_text = capsys.readouterr().out
    assert "accepted 6000," in out_text and "fitted colony: 6000 events" in out_text
    _assert_same(ManHill.load(out), _in_memory(directory, depth=1))


def test_cli_dask_errors_are_one_line(client, tmp_path, capsys):
    from poem.cli.main import main

    code = main(["fit", "--engine", "dask", str(tmp_path / "absent"), "--scheduler",
                 client.scheduler.address, "--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "no Parquet file found" in err


def test_dask_colony_gives_the_in_memory_success_model(client, by_day):
    """The success model is refitted from the summed state's log of scored events: through the Dask
    engine it predicts exactly what the in-memory colony predicts, on every event and for a new history."""
    directory, _ = by_day
    model = fit_dask(directory, scheduler=client, progress=False, target_rows=700)
    ref = _in_memory(directory)
    traces = read_traces([str(f) for f in find_parquet_files(directory)])
    p = model.predict_trails(traces)
    assert len(p) == traces.n_events and np.isfinite(p).all()
    np.testing.assert_allclose(p, ref.predict_trails(traces), rtol=0, atol=1e-9)
    items = ref.items_.tolist()
    history, scores = items[:3], [1.0, 0.0, 1.0]
    assert model.predict_success(history, items[4], scores=scores) == pytest.approx(
        ref.predict_success(history, items[4], scores=scores), abs=1e-9)


# ------------------------------------------------------------------------------------ viewing evidence
PER_VISIT = {"threshold": 0.75, "landing": "rule", "pace": "off"}


def _viewing_log(tmp_path, n_learners, seed, mixed=False, files=3, n_items=24, populations=None):
    """A simulated viewing course written as Parquet files (rows in log order, so trails cross files),
    with its in-memory traces read back from the same files."""
    from poem.simulation.viewing import simulate_viewing

    vc = simulate_viewing(n_items=n_items, n_learners=n_learners, seed=seed, mixed=mixed, populations=populations)
    frames = {f"part-{k}.parquet": vc.traces.iloc[rows]
              for k, rows in enumerate(np.array_split(np.arange(len(vc.traces)), files))}
    directory = _write(tmp_path / "log", frames)
    return vc, directory, read_traces([str(f) for f in find_parquet_files(directory)])


def _scores_alike(model, ref, traces) -> np.ndarray:
    """Per event (by learner, then trail order): the same evidence score, or both none."""
    names = np.asarray(traces.learners, dtype=object)[traces.learner].astype(str)
    order = np.argsort(names, kind="stable")
    got = model.dask_run_.viewing["scores"]
    assert got["learner"].to_numpy(dtype=str).tolist() == names[order].tolist()
    a, b = got["score"].to_numpy(), ref.viewing_.score[order]
    return (np.isnan(a) & np.isnan(b)) | (a == b)


@pytest.mark.parametrize("mixed,params", [(False, {}), (True, {}), (True, {"decay": "evaporation"})])
def test_viewing_colony_equals_in_memory_where_the_mapping_is_per_visit(client, tmp_path, mixed, params):
    """Fixed threshold, the rule's landing, no pace: every visit is read alone, so the partitions read
    the events exactly as the whole log does, the mixed course's weights are sums over learners, and the
    colony is the in-memory one (integers exactly, floats to 1e-9), with evaporation too."""
    from poem.paths import uses_reliability

    vc, directory, traces = _viewing_log(tmp_path, 160, seed=4, mixed=mixed)
    model = fit_dask(directory, scheduler=client, progress=False, catalog=vc.catalog, viewing=PER_VISIT,
                     keep_evidence=True, target_rows=len(vc.traces) // 3, **params)
    ref = ManHill(**params).fit(traces, catalog=vc.catalog, viewing=PER_VISIT)
    assert model.dask_run_.n_partitions == 3
    assert model.items_.tolist() == ref.items_.tolist() and model.learners_.tolist() == ref.learners_.tolist()
    assert model.n_events_ == ref.n_events_
    for name in INT_ATTRS:
        np.testing.assert_array_equal(getattr(model, name), getattr(ref, name), err_msg=name)
    for name in FLOAT_ATTRS:
        np.testing.assert_allclose(getattr(model, name), getattr(ref, name), rtol=1e-9, atol=1e-12, err_msg=name)
    assert _scores_alike(model, ref, traces).all()
    assert model.dask_run_.viewing["counts"] == ref.viewing_.counts()
    assert model.viewing_params_ == ref.viewing_params_ and model.landing_counts_ is None
    assert sorted(model.evidence_weights_) == sorted(ref.evidence_weights_) == (["quiz", "video"] if mixed
                                                                                 else ["video"])
    for kind, w in ref.evidence_weights_.items():
        assert model.evidence_weights_[kind] == pytest.approx(w, rel=1e-9)
    np.testing.assert_array_equal(model.item_kinds_, ref.item_kinds_)
    assert model.history_reader_.floor == pytest.approx(ref.history_reader_.floor, rel=1e-12)
    assert uses_reliability(model) and model.viewing_ is None


@pytest.mark.parametrize("stage", ["memory", "disk"])
def test_video_columns_of_a_canonical_file_reach_the_partitions(client, tmp_path, stage):
    """A canonical file (poem import) keeps what video events said of each visit (covered seconds,
    backward seeks), which the mapping prefers to the wall-clock duration: the shuffle carries them, so
    the engine reads the visits as the in-memory fit of the same file does."""
    from poem.io import write_traces
    from poem.simulation.viewing import simulate_viewing
    from poem.traces import Traces

    vc = simulate_viewing(n_items=24, n_learners=160, seed=8)
    rng = np.random.default_rng(8)
    frame = vc.traces.copy()
    told = rng.random(len(frame)) < 0.6     # some visits told by the player, the others by the clock only
    frame["covered"] = np.where(told, frame["duration"] * rng.uniform(0.2, 1.0, len(frame)), np.nan)
    frame["seeks_back"] = np.where(told, rng.integers(0, 3, len(frame)), np.nan).astype(float)
    directory = tmp_path / "canonical"
    directory.mkdir()
    write_traces(Traces.from_frame(frame, items=vc.scored.course.items), directory / "log.parquet")
    traces = read_traces(str(directory / "log.parquet"))
    assert traces.video is not None and set(traces.video) == {"covered", "seeks_back"}
    model = fit_dask(directory, scheduler=client, progress=False, catalog=vc.catalog, viewing=PER_VISIT,
                     keep_evidence=True, items=traces.items, target_rows=len(frame) // 3, stage=stage)
    ref = ManHill().fit(traces, catalog=vc.catalog, viewing=PER_VISIT)
    raw = ManHill().fit(replace(traces, video=None), catalog=vc.catalog, viewing=PER_VISIT)
    assert not np.array_equal(raw.item_successes_, ref.item_successes_)   # the columns change the reading
    assert _scores_alike(model, ref, traces).all()
    np.testing.assert_array_equal(model.item_attempts_, ref.item_attempts_)
    np.testing.assert_allclose(model.phi_plus_, ref.phi_plus_, rtol=1e-9, atol=1e-12)
    assert model.dask_run_.viewing["counts"] == ref.viewing_.counts()


def test_viewing_colony_with_learned_mapping_reads_as_the_whole_log(client, tmp_path):
    """With the defaults the thresholds and pace are learned per partition and the landing on the pooled
    counts: the events are read nearly as the whole log reads them (99.1 % here, 4 partitions of 150
    learners; 90 % with the landing learned per partition), and the path keeps its respect (0.886 both;
    the raw log without the catalogue gives 0.51)."""
    from poem.ordering.evaluation import evaluate
    from poem.paths import learning_path, uses_reliability
    from poem.simulation.learners import DEFAULT_POPULATIONS

    # learners who browse as well as follow (the benchmark's populations): a path that is not trivial
    vc, directory, traces = _viewing_log(tmp_path, 600, seed=7, n_items=120, populations=DEFAULT_POPULATIONS)
    model = fit_dask(directory, scheduler=client, progress=False, catalog=vc.catalog, keep_evidence=True,
                     target_rows=len(vc.traces) // 4 + 1)
    ref = ManHill().fit(traces, catalog=vc.catalog)
    assert model.dask_run_.n_partitions == 4 and uses_reliability(model)
    alike = _scores_alike(model, ref, traces)
    assert alike.mean() >= 0.98, alike.mean()
    # the pooled landing counts are the whole log's table up to the per-partition thresholds
    pooled, whole = model.landing_counts_, ref.landing_counts_
    assert pooled["views"].sum() == pytest.approx(whole["views"].sum(), rel=0.02)
    respect = [evaluate(learning_path(m, method="lop", rng=0), vc.truth)["respect"] for m in (model, ref)]
    # the benchmark's largest gap is 0.016 (benchmarks/results/viewing_dask.md)
    assert abs(respect[0] - respect[1]) <= 0.02, respect


def test_viewing_colony_of_the_engine_grows_by_partial_fit(client, tmp_path):
    """What the engine keeps (parameters, weights, pooled landing counts, reader) lets partial_fit read a
    later cohort as it does for the in-memory colony: with a per-visit mapping, the same grown colony."""
    from poem.simulation.viewing import simulate_viewing
    from poem.traces import Traces

    vc = simulate_viewing(n_items=24, n_learners=200, seed=5)
    first = vc.traces["learner"].isin(sorted(vc.traces["learner"].unique())[:160])
    directory = _write(tmp_path / "log", {"a.parquet": vc.traces[first]})
    traces = read_traces([str(directory / "a.parquet")])
    model = fit_dask(directory, scheduler=client, progress=False, catalog=vc.catalog, viewing=PER_VISIT,
                     target_rows=int(first.sum()) // 2 + 1)
    ref = ManHill().fit(traces, catalog=vc.catalog, viewing=PER_VISIT)
    cohort = Traces.from_frame(vc.traces[~first], items=traces.items)
    model.partial_fit(cohort, catalog=vc.catalog)
    ref.partial_fit(cohort, catalog=vc.catalog)
    assert model.n_learners_ == ref.n_learners_ == 200
    np.testing.assert_array_equal(model.item_attempts_, ref.item_attempts_)
    np.testing.assert_allclose(model.phi_plus_, ref.phi_plus_, rtol=1e-9, atol=1e-12)
    assert model.history_reader_.floor == pytest.approx(ref.history_reader_.floor, rel=1e-12)


def test_partition_without_visits_keeps_its_quiz_scores(client, tmp_path):
    """A mixed course where some learners only took quizzes: a partition may hold no visit at all (the
    whole log has some); its quizzes are weighed as in memory instead of the partition failing."""
    vc, directory, traces = _viewing_log(tmp_path, 120, seed=3, mixed=True)
    quizzes = set(vc.catalog.loc[vc.catalog["kind"] != "video", "item"])
    quiz = vc.traces[vc.traces["item"].isin(quizzes)]
    # four quiz-only learners per learner of the course, in small partitions: some hold no visit
    extra = pd.concat([quiz.assign(learner=f"quiz-only-{k}-" + quiz["learner"]) for k in range(4)])
    extra = extra.assign(score=np.where(np.arange(len(extra)) % 3 == 0, 0.0, 1.0))
    _write(directory, {"z-quiz-only.parquet": extra})
    traces = read_traces([str(f) for f in find_parquet_files(directory)])
    model = fit_dask(directory, scheduler=client, progress=False, catalog=vc.catalog, viewing=PER_VISIT,
                     keep_evidence=True, target_rows=traces.n_events // 60)
    ref = ManHill().fit(traces, catalog=vc.catalog, viewing=PER_VISIT)
    assert model.dask_run_.viewing["partitions without visits"] >= 1, model.dask_run_.n_partitions
    assert ref.evidence_weights_["quiz"] < 1     # the quiz-only partitions are weighed, not kept raw
    assert _scores_alike(model, ref, traces).all()
    np.testing.assert_array_equal(model.item_attempts_, ref.item_attempts_)
    np.testing.assert_allclose(model.item_successes_, ref.item_successes_, rtol=1e-9)
    np.testing.assert_allclose(model.phi_plus_, ref.phi_plus_, rtol=1e-9, atol=1e-12)


def test_viewing_parameters_are_checked_before_any_cluster(tmp_path):
    with pytest.raises(ParameterError, match="unknown viewing parameter"):
        fit_dask(tmp_path, catalog=None, viewing={"treshold": 0.8})
    with pytest.raises(ParameterError, match="viewing must be"):
        fit_dask(tmp_path, viewing="rule")


def test_cli_fit_with_dask_engine_and_catalog_then_path(client, tmp_path, capsys):
    from poem.cli.main import main

    vc, directory, traces = _viewing_log(tmp_path, 160, seed=4)
    catalog = tmp_path / "catalog.csv"
    vc.catalog.to_csv(catalog, index=False)
    out = tmp_path / "colony.npz"
    code = main(["fit", "--engine", "dask", str(directory), "--scheduler", client.scheduler.address,
                 "--catalog", str(catalog), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "viewing evidence: " in text and "history reader" in text
    assert f"fitted colony: {traces.n_events} events" in text
    loaded = ManHill.load(out)
    assert loaded.viewing_params_ is not None and loaded.history_reader_ is not None
    code = main(["path", str(out)])
    assert code == 0, capsys.readouterr().err
    path_text = capsys.readouterr().out
    assert sum(str(item) in path_text for item in vc.catalog["item"]) >= len(vc.catalog) - 1
