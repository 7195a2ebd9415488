"""Tables of events (DataFrame, CSV, Parquet) through poem.io.read_traces: columns, checks, round trips."""

import doctest
import gzip

import numpy as np
import pandas as pd
import pytest

import poem.importers.batch
import poem.importers.canonical
import poem.importers.tabular
import poem.importers.timestamps
import poem.io
import poem.pseudonym
from poem.errors import ParameterError, TraceFormatError
from poem.io import read_outcomes, read_traces, write_traces
from poem.traces import Traces

T0 = "2024-01-01T00:00:00Z"


def _assert_same_traces(a: Traces, b: Traces, *, rejects=True):
    for name in ("learner", "item", "timestamp", "score", "duration", "learners", "items"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            assert np.array_equal(x, y), name
    assert a.n_read == b.n_read
    assert a.pseudonymised == b.pseudonymised
    assert (a.video is None) == (b.video is None) and sorted(a.video or {}) == sorted(b.video or {})
    for name in a.video or {}:
        assert a.video[name].dtype == b.video[name].dtype == np.float64, name
        np.testing.assert_array_equal(a.video[name], b.video[name], err_msg=name)
    if a.outcomes is None:
        assert b.outcomes is None
    else:
        np.testing.assert_array_equal(a.outcomes, b.outcomes)
    if rejects:
        pd.testing.assert_frame_equal(a.rejects.reset_index(drop=True), b.rejects.reset_index(drop=True))


@pytest.mark.parametrize("module", [poem.io, poem.importers.tabular, poem.importers.timestamps,
                                    poem.importers.batch, poem.importers.canonical, poem.pseudonym])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------------------------ benchmark format
def test_benchmark_course_reads_like_from_frame(benchmark_course):
    path = benchmark_course("course-a") / "traces.csv"
    traces = read_traces(path)
    raw = pd.read_csv(path)
    assert traces.n_events == len(raw) and len(traces.rejects) == 0
    frame = raw.assign(timestamp=pd.to_datetime(raw["timestamp"], utc=True))
    _assert_same_traces(Traces.from_frame(frame), traces)


def test_benchmark_course_directory_brings_its_outcomes(benchmark_course):
    course = benchmark_course("course-b")
    traces = read_traces(course)
    outcomes = pd.read_csv(course / "outcomes.csv")
    got = traces.outcomes_frame().set_index("learner")["outcome"]
    want = outcomes.set_index("learner")["outcome"].reindex(got.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())


# ------------------------------------------------------------------------------------ columns
def test_xes_column_names_are_recognised():
    raw = pd.DataFrame({"case:concept:name": ["c1", "c1"], "concept:name": ["b", "a"],
                        "time:timestamp": ["2024-01-01T00:00:01Z", T0]})
    t = read_traces(raw)
    assert t.to_frame()["item"].tolist() == ["a", "b"]


def test_explicit_column_names_override_and_unknown_name_is_reported():
    raw = pd.DataFrame({"who": ["x"], "what": ["i"], "when": [T0], "learner": ["ignored"]})
    t = read_traces(raw, learner="who", item="what", timestamp="when")
    assert t.learners.tolist() == ["x"]
    with pytest.raises(TraceFormatError, match=r"'nope'.*columns found: \['who', 'what', 'when', 'learner'\]"):
        read_traces(raw, learner="nope", item="what", timestamp="when")


def test_missing_columns_error_names_the_columns_found(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("user_name,page,at\nu,p,2024-01-01\n")
    with pytest.raises(TraceFormatError) as err:
        read_traces(path)
    msg = str(err.value)
    assert "learner" in msg and "item" in msg and "timestamp" in msg
    assert "['user_name', 'page', 'at']" in msg


@pytest.mark.parametrize("content, match", [(None, "no such file"), ("", "is empty")])
def test_missing_or_empty_file(tmp_path, content, match):
    path = tmp_path / "t.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(TraceFormatError, match=match):
        read_traces(path)


def test_header_only_file_gives_empty_traces(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("learner,item,timestamp,score\n")
    t = read_traces(path)
    assert t.n_events == 0 and t.n_read == 0


def test_unknown_format_and_bad_parameters(tmp_path):
    raw = pd.DataFrame({"learner": ["a"], "item": ["i"], "timestamp": [T0]})
    with pytest.raises(ParameterError, match="format"):
        read_traces(raw, format="xls")
    with pytest.raises(ParameterError, match="chunksize"):
        read_traces(raw, chunksize=0)
    with pytest.raises(ParameterError, match="duplicates"):
        read_traces(raw, duplicates="maybe")
    with pytest.raises(ParameterError, match="naive_timestamps"):
        read_traces(raw, naive_timestamps="Mars/Olympus")
    with pytest.raises(TraceFormatError, match="cannot tell the format"):
        (tmp_path / "traces.xlsx").write_text("x")
        read_traces(tmp_path / "traces.xlsx")


# ------------------------------------------------------------------------------------ row checks
def test_each_bad_row_is_rejected_with_its_reason_and_value():
    raw = pd.DataFrame({
        "learner": ["a", "", "a", "a", "a", "a", "a", "a", "a", "a"],
        "item": ["i", "i", None, "i", "i", "i", "i", "i", "i", "j"],
        "timestamp": [T0, T0, T0, "", "yesterday", "2024-01-01 10:00", T0, T0, T0, T0],
        "score": ["1", "1", "1", "1", "1", "1", "high", "1.5", "-0.1", "0.25"],
        "duration": [1, 1, 1, 1, 1, 1, 1, 1, 1, -3],
    })
    t = read_traces(raw)
    assert t.n_events == 1 and t.n_read == 10
    assert t.rejects["row"].tolist() == list(range(1, 10))
    assert t.rejects["reason"].tolist() == [
        "missing_learner", "missing_item", "missing_timestamp", "bad_timestamp", "naive_timestamp",
        "bad_score", "score_out_of_range", "score_out_of_range", "bad_duration"]
    detail = dict(zip(t.rejects["row"], t.rejects["detail"]))
    assert "'yesterday'" in detail[4] and "'high'" in detail[6] and "'1.5'" in detail[7]
    assert "naive_timestamps" in detail[5]
    assert str(t.summary()).startswith("read 10 rows: accepted 1, rejected 9")


def test_duplicates_rejected_naming_the_first_row_or_kept_on_request():
    raw = pd.DataFrame({"learner": ["a", "a", "a"], "item": ["i", "i", "i"], "timestamp": [T0] * 3,
                        "score": [1.0, 1.0, 0.0]})
    t = read_traces(raw)
    assert t.n_events == 2
    assert t.rejects[["row", "reason"]].values.tolist() == [[1, "duplicate"]]
    assert "repeats row 0" in t.rejects["detail"].iloc[0]
    assert read_traces(raw, duplicates="keep").n_events == 3


def test_timestamps_with_mixed_offsets_are_normalised_to_utc():
    raw = pd.DataFrame({"learner": ["a", "a", "a"], "item": ["x", "y", "z"],
                        "timestamp": ["2024-01-01T12:00:00+02:00", "2024-01-01T10:30:00Z",
                                      "2024-01-01 05:45:00-05:00"]})
    t = read_traces(raw)
    got = pd.to_datetime(t.timestamp, unit="ns", utc=True)
    assert [str(x) for x in got] == ["2024-01-01 10:00:00+00:00", "2024-01-01 10:30:00+00:00",
                                     "2024-01-01 10:45:00+00:00"]


def test_all_naive_timestamps_raise_with_a_hint_unless_a_zone_is_given():
    raw = pd.DataFrame({"learner": ["a", "b"], "item": ["x", "y"],
                        "timestamp": ["2024-07-01 12:00:00", "2024-07-01 13:00:00"]})
    with pytest.raises(TraceFormatError, match="naive_timestamps='utc'"):
        read_traces(raw)
    utc = read_traces(raw, naive_timestamps="utc")
    paris = read_traces(raw, naive_timestamps="Europe/Paris")
    assert (utc.timestamp - paris.timestamp).tolist() == [2 * 3600 * 10**9] * 2  # CEST is UTC+2


def test_datetime_columns_aware_and_naive():
    aware = pd.DataFrame({"learner": ["a"], "item": ["x"],
                          "timestamp": pd.to_datetime(["2024-01-01 12:00"]).tz_localize("Asia/Tokyo")})
    assert read_traces(aware).to_frame()["timestamp"].iloc[0] == pd.Timestamp("2024-01-01 03:00", tz="UTC")
    naive = aware.assign(timestamp=aware["timestamp"].dt.tz_localize(None))
    with pytest.raises(TraceFormatError, match="naive"):
        read_traces(naive)
    assert read_traces(naive, naive_timestamps="utc").n_events == 1


def test_epoch_numbers_need_a_unit():
    raw = pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": [1_700_000_000]})
    with pytest.raises(ParameterError, match="timestamp_unit"):
        read_traces(raw)
    t = read_traces(raw, timestamp_unit="s")
    assert t.timestamp.tolist() == [1_700_000_000 * 10**9]


def test_scores_from_booleans_words_and_percentages():
    raw = pd.DataFrame({"learner": ["a"] * 4, "item": list("wxyz"), "timestamp": [T0] * 4,
                        "correct": ["true", "False", "", "1"]})
    t = read_traces(raw)
    np.testing.assert_array_equal(t.to_frame().set_index("item")["score"].loc[list("wxyz")].to_numpy(),
                                  [1.0, 0.0, np.nan, 1.0])
    pct = pd.DataFrame({"learner": ["a", "a"], "item": ["x", "y"], "timestamp": [T0, T0], "score": [80, 120]})
    t = read_traces(pct, score_max=100)
    assert t.score.tolist() == [0.8] and t.rejects["reason"].tolist() == ["score_out_of_range"]


def test_integer_ids_stay_integers_as_text():
    raw = pd.DataFrame({"learner": [7.0, 8.0, np.nan], "item": [1, 2, 3], "timestamp": [T0] * 3})
    t = read_traces(raw)
    assert t.learners.tolist() == ["7", "8"] and t.items.tolist() == ["1", "2"]


def test_caller_frame_is_not_modified():
    raw = pd.DataFrame({"learner": ["b", "a", ""], "item": ["x", "y", "z"],
                        "timestamp": [T0, "2024-01-01T00:00:01Z", T0], "score": ["1", "0", "1"]})
    before = raw.copy(deep=True)
    read_traces(raw, pseudonymise_key="k")
    pd.testing.assert_frame_equal(raw, before)


# ------------------------------------------------------------------------------------ files and chunks
def _sample_frame(n=500, seed=0):
    rng = np.random.default_rng(seed)
    stamps = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 50, n), unit="h")
    frame = pd.DataFrame({
        "learner": rng.choice(["u1", "u2", "u3", "u10", ""], n),
        "item": rng.choice(["v1", "v2", "q1"], n),
        "timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "score": rng.choice(["1", "0", "", "2", "x"], n),
    })
    return frame


def test_csv_and_parquet_and_frame_give_the_same_traces(tmp_path):
    frame = _sample_frame()
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    with gzip.open(tmp_path / "t.csv.gz", "wt") as fh:
        frame.to_csv(fh, index=False)
    ref = read_traces(frame)
    for name in ("t.csv", "t.parquet", "t.csv.gz"):
        got = read_traces(tmp_path / name)
        _assert_same_traces(ref, got, rejects=False)
        assert got.rejects[["row", "reason"]].equals(ref.rejects[["row", "reason"]])


@pytest.mark.parametrize("chunksize", [1, 7, 100, 499, 10_000])
def test_chunked_reading_gives_identical_traces(tmp_path, chunksize):
    frame = _sample_frame()
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    for name in ("t.csv", "t.parquet"):
        whole = read_traces(tmp_path / name)
        _assert_same_traces(whole, read_traces(tmp_path / name, chunksize=chunksize))
    _assert_same_traces(read_traces(frame), read_traces(frame, chunksize=chunksize))


@pytest.mark.parametrize("gz", [False, True])
def test_arrow_and_python_csv_engines_agree(tmp_path, gz):
    frame = _sample_frame(800, seed=3)
    path = tmp_path / ("t.csv.gz" if gz else "t.csv")
    frame.to_csv(path, index=False)
    fast = read_traces(path, engine="arrow", chunksize=50)
    _assert_same_traces(fast, read_traces(path, engine="python"))
    with pytest.raises(ParameterError, match="engine"):
        read_traces(path, engine="polars")


def test_csv_records_with_the_wrong_number_of_fields_are_rejected_with_their_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("learner,item,timestamp,score\n"
                    f"a,x,{T0},1,9\n"          # line 2: one field too many (the first record, even)
                    f"b,y,{T0},1\n"
                    f"c,z,{T0}\n"              # line 4: one field short
                    "\n"                       # blank line: not a record
                    f"d,w,{T0},1,3,4\n"        # line 6
                    f'e,"w\nx",{T0},zero\n')   # a quoted field over lines 7-8, and a bad score
    with pytest.raises(TraceFormatError, match="wrong number of fields"):
        read_traces(path, engine="arrow")
    for chunksize in (None, 1, 2):
        t = read_traces(path, chunksize=chunksize)
        assert t.n_read == 5 and t.n_events == 1 and t.learners.tolist() == ["b"]
        rej = t.rejects
        assert rej["row"].tolist() == [0, 2, 3, 4]  # 0-based data records
        assert rej["reason"].tolist() == ["malformed_row"] * 3 + ["bad_score"]
        assert rej["detail"].tolist()[:3] == ["line 2: 5 fields, the header has 4",
                                              "line 4: 3 fields, the header has 4",
                                              "line 6: 6 fields, the header has 4"]


def test_csv_header_problems(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"learner,item,learner,timestamp\na,x,b,{T0}\n")
    with pytest.raises(TraceFormatError, match="repeats column"):
        read_traces(path)
    path.write_text("\n\n")
    with pytest.raises(TraceFormatError, match="no header"):
        read_traces(path)


def test_several_sources_are_concatenated_and_named_in_rejects(tmp_path):
    a = pd.DataFrame({"learner": ["a", ""], "item": ["x", "y"], "timestamp": [T0, T0]})
    b = pd.DataFrame({"learner": ["b", "a"], "item": ["x", "x"], "timestamp": [T0, T0]})
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_parquet(tmp_path / "b.parquet")
    t = read_traces([tmp_path / "a.csv", tmp_path / "b.parquet"])
    assert t.n_read == 4 and t.n_events == 2
    assert t.rejects["source"].tolist() == [str(tmp_path / "a.csv"), str(tmp_path / "b.parquet")]
    assert t.rejects["reason"].tolist() == ["missing_learner", "duplicate"]
    assert f"row 0 of {tmp_path / 'a.csv'}" in t.rejects["detail"].iloc[1]


def test_semicolon_delimited_file_is_sniffed(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"learner;item;timestamp\na;x;{T0}\n")
    assert read_traces(path).n_events == 1


# ------------------------------------------------------------------------------------ canonical parquet
def test_write_traces_round_trips_everything(tmp_path):
    frame = _sample_frame(200)
    catalog = pd.DataFrame({"item": ["v1", "v2", "q1", "extra"], "title": ["A", "B", "C", "D"],
                            "kind": ["video", "video", "quiz", "quiz"], "position": [1, 2, 3, 4]})
    outcomes = pd.DataFrame({"learner": ["u1", "u2"], "outcome": [0.5, 1.0]})
    t = read_traces(frame, catalog=catalog, outcomes=outcomes, pseudonymise_key="k")
    path = write_traces(t, tmp_path / "c.parquet")
    back = read_traces(path)
    _assert_same_traces(t, back)
    pd.testing.assert_frame_equal(t.item_info, back.item_info)
    assert "extra" in back.items.tolist() and back.pseudonymised
    assert back.summary() == t.summary()


def test_write_traces_refuses_other_objects_and_bad_directories(tmp_path):
    with pytest.raises(ParameterError):
        write_traces(pd.DataFrame(), tmp_path / "x.parquet")
    t = read_traces(pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": [T0]}))
    with pytest.raises(TraceFormatError, match="does not exist"):
        write_traces(t, tmp_path / "nowhere" / "x.parquet")


# ------------------------------------------------------------------------------------ outcomes
def test_read_outcomes_validates(tmp_path):
    good = read_outcomes(pd.DataFrame({"learner": [1, 2], "outcome": ["0.5", "1"]}))
    assert good["learner"].tolist() == ["1", "2"] and good["outcome"].tolist() == [0.5, 1.0]
    with pytest.raises(TraceFormatError, match="'2'.*outside"):
        read_outcomes(pd.DataFrame({"learner": ["1", "2"], "outcome": [0.5, 3]}))
    with pytest.raises(TraceFormatError, match="more than once"):
        read_outcomes(pd.DataFrame({"learner": ["1", "1"], "outcome": [0.5, 0.5]}))
    with pytest.raises(TraceFormatError, match="columns found"):
        read_outcomes(pd.DataFrame({"learner": ["1"]}))
    with pytest.raises(TraceFormatError, match="no such"):
        read_outcomes(tmp_path / "none.csv")


def test_pseudonymised_traces_hide_ids_and_keep_outcomes_aligned():
    frame = pd.DataFrame({"learner": ["ann", "bob"], "item": ["x", "y"], "timestamp": [T0, T0]})
    outcomes = pd.DataFrame({"learner": ["ann", "bob"], "outcome": [0.0, 1.0]})
    plain = read_traces(frame, outcomes=outcomes)
    hidden = read_traces(frame, outcomes=outcomes, pseudonymise_key="key")
    assert hidden.pseudonymised and not set(hidden.learners) & {"ann", "bob"}
    by_item = lambda t: dict(zip(t.items[t.item], t.outcomes[t.learner]))  # noqa: E731
    assert by_item(plain) == by_item(hidden)
    assert read_traces(frame, pseudonymise_key="other").learners.tolist() != hidden.learners.tolist()


def test_parquet_with_typed_timestamps_and_pm4py_style_frame(tmp_path):
    stamps = pd.to_datetime(["2024-01-01 10:00", "2024-01-01 09:00"]).tz_localize("Europe/Paris")
    frame = pd.DataFrame({"case:concept:name": ["c", "c"], "concept:name": ["late", "early"],
                          "time:timestamp": stamps.tz_convert("UTC"), "score": [1.0, 0.0]})
    frame.to_parquet(tmp_path / "x.parquet")
    for t in (read_traces(frame), read_traces(tmp_path / "x.parquet")):
        assert t.to_frame()["item"].tolist() == ["early", "late"]
        assert t.timestamp[0] == pd.Timestamp("2024-01-01 08:00", tz="UTC").value


def test_pseudonym_keys():
    from poem.pseudonym import key_from_env, pseudonymise

    with pytest.raises(ParameterError, match="POEM_PSEUDONYM_KEY"):
        key_from_env({})
    assert key_from_env({"POEM_PSEUDONYM_KEY": "k"}) == "k"
    with pytest.raises(ParameterError, match="non-empty"):
        pseudonymise(["a"], "")
    a, b = pseudonymise(["x", "y", "x"], b"k"), pseudonymise(["x", "y", "x"], "k")
    assert a.tolist() == b.tolist() and a[0] == a[2] != a[1]
    assert all(len(p) == 21 and p.startswith("p") for p in a)


def test_several_frames_are_named_apart_in_rejects():
    a = pd.DataFrame({"learner": ["a", ""], "item": ["x", "y"], "timestamp": [T0, T0]})
    b = pd.DataFrame({"learner": [""], "item": ["x"], "timestamp": [T0]})
    t = read_traces([a, b])
    assert t.rejects[["source", "row"]].values.tolist() == [["DataFrame[0]", 1], ["DataFrame[1]", 0]]
    assert read_traces(a).rejects["source"].tolist() == ["DataFrame"]


def test_categorical_id_columns_read_like_text():
    plain = _sample_frame(300, seed=5)
    cat = plain.assign(learner=plain["learner"].astype("category"), item=plain["item"].astype("category"))
    _assert_same_traces(read_traces(plain), read_traces(cat))
    clash = pd.DataFrame({"learner": pd.Categorical([1, "1", "2"]), "item": ["x", "y", "z"],
                          "timestamp": [T0] * 3})
    assert read_traces(clash).learners.tolist() == ["1", "2"]


def test_canonical_file_accepts_outcomes_but_not_reimport_options(tmp_path):
    t = read_traces(pd.DataFrame({"learner": ["a", "b"], "item": ["x", "x"], "timestamp": [T0, T0]}))
    path = write_traces(t, tmp_path / "t.parquet")
    with_out = read_traces(path, outcomes=pd.DataFrame({"learner": ["b"], "outcome": [0.5]}))
    np.testing.assert_array_equal(with_out.outcomes, [np.nan, 0.5])
    with pytest.raises(ParameterError, match="already validated"):
        read_traces(path, pseudonymise_key="k")
    with pytest.raises(ParameterError, match="already validated"):
        read_traces(path, learner="who")


def test_plain_parquet_table_under_another_name_is_not_taken_for_canonical(tmp_path):
    from poem.importers.canonical import is_canonical

    frame = pd.DataFrame({"learner": ["a", "a", "b"], "item": ["x", "y", "x"],
                          "timestamp": pd.to_datetime([1, 2, 3], unit="s", utc=True), "score": [1.0, 0.0, 1.0]})
    frame.to_parquet(tmp_path / "events.data")
    t = read_traces(tmp_path / "events.data", format="parquet")    # the name does not say: format= does
    assert t.items.tolist() == ["x", "y"] and t.n_events == 3 and t.score.tolist() == [1.0, 0.0, 1.0]
    assert not is_canonical(tmp_path / "events.data")
    (tmp_path / "dataset.parquet").mkdir()                           # a directory, not a canonical file
    assert not is_canonical(tmp_path / "dataset.parquet")
    assert not is_canonical(tmp_path / "missing.parquet")
    assert is_canonical(write_traces(t, tmp_path / "t.PQ"))          # the suffix in any case


def test_canonical_file_rewritten_with_plain_text_columns_reads_the_same(tmp_path):
    # another tool (a Parquet rewrite, a filter) may keep the metadata but store learner and item as plain
    # strings instead of dictionaries, several row groups too: the codes must come back the same
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = read_traces(_sample_frame(120, seed=3))
    table = pq.read_table(write_traces(t, tmp_path / "t.parquet"))
    assert pa.types.is_dictionary(table.schema.field("learner").type)
    plain = table.cast(pa.schema([f.with_type(pa.string()) if f.name in ("learner", "item") else f
                                  for f in table.schema]).with_metadata(table.schema.metadata))
    pq.write_table(plain, tmp_path / "plain.parquet", row_group_size=50)
    back = read_traces(tmp_path / "plain.parquet")
    assert not pa.types.is_dictionary(pq.read_table(tmp_path / "plain.parquet").schema.field("item").type)
    _assert_same_traces(t, back)


def test_canonical_file_from_a_newer_poem_or_corrupt_is_refused(tmp_path):
    import json

    import pyarrow.parquet as pq

    from poem.importers.canonical import CANONICAL_KEY

    t = read_traces(pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": [T0]}))
    table = pq.read_table(write_traces(t, tmp_path / "t.parquet"))
    meta = json.loads(table.schema.metadata[CANONICAL_KEY])
    pq.write_table(table.replace_schema_metadata({CANONICAL_KEY: json.dumps({**meta, "version": 99})}),
                   tmp_path / "new.parquet")
    with pytest.raises(TraceFormatError, match="newer POEM"):
        read_traces(tmp_path / "new.parquet")
    pq.write_table(table.replace_schema_metadata({CANONICAL_KEY: b"{not json"}), tmp_path / "bad.parquet")
    with pytest.raises(TraceFormatError, match="corrupt"):
        read_traces(tmp_path / "bad.parquet")


def test_a_file_that_is_not_what_its_name_says(tmp_path):
    fake = tmp_path / "t.parquet"
    fake.write_text("learner,item,timestamp\n")
    with pytest.raises(TraceFormatError, match="not a Parquet file"):
        read_traces(fake)
    binary = tmp_path / "t.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01learner")
    with pytest.raises(TraceFormatError):
        read_traces(binary)


def test_write_traces_keeps_missing_values_as_nan_not_null(tmp_path):
    # a missing score or duration is NaN in Traces; the file keeps NaN (not a Parquet null), so any
    # Parquet reader sees the same float columns the workbench reads back
    import pyarrow.parquet as pq

    from dataclasses import replace

    t = read_traces(_sample_frame(200))
    length = np.where(np.arange(t.n_events) % 3 == 0, np.nan, 60.0)  # a video column, some values unknown
    t = replace(t, video={"length": length})
    assert np.isnan(t.score).any() and np.isnan(t.duration).any()  # there is something to check
    table = pq.read_table(write_traces(t, tmp_path / "c.parquet"))
    for name, values in (("score", t.score), ("duration", t.duration), ("length", length)):
        assert table.column(name).null_count == 0, name
        assert np.isnan(table.column(name).to_numpy()).sum() == np.isnan(values).sum(), name
