"""Platform formats: Open edX tracking logs, xAPI statements, JSON lines, OULAD, item catalogues."""

import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import poem.importers.catalog
import poem.importers.edx
import poem.importers.jsonlines
import poem.importers.oulad
import poem.importers.xapi
from poem.errors import ParameterError, TraceFormatError
from poem.io import bundled_oulad_dir, detect_format, read_catalog, read_traces, write_traces

FIXTURES = Path(__file__).parent / "fixtures"
EDX = FIXTURES / "edx_tracking.log"
XAPI = FIXTURES / "xapi_statements.jsonl"
V1 = "block-v1:POEMx+EDX101+2024+type@video+block@intro"
V2 = "block-v1:POEMx+EDX101+2024+type@video+block@lesson2"
P1 = "block-v1:POEMx+EDX101+2024+type@problem+block@quiz1"


@pytest.mark.parametrize("module", [poem.importers.catalog, poem.importers.edx, poem.importers.jsonlines,
                                    poem.importers.oulad, poem.importers.xapi])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def _reasons(traces):
    return dict(zip(traces.rejects["row"], traces.rejects["reason"]))


# ------------------------------------------------------------------------------------ Open edX
def test_formats_are_detected_from_content():
    assert detect_format(EDX) == "edx"
    assert detect_format(FIXTURES / "edx_tracking.log.gz") == "edx"
    assert detect_format(XAPI) == "xapi"
    assert detect_format(FIXTURES / "xapi_statements.json") == "xapi"
    assert detect_format(bundled_oulad_dir()) == "oulad"


def test_edx_log_every_line_accounted_for_with_its_reason():
    t = read_traces(EDX)
    assert t.n_read == 23 and t.n_events + len(t.rejects) == 23
    assert _reasons(t) == {7: "unknown_event", 8: "unknown_event", 10: "malformed_json", 12: "missing_learner",
                           18: "bad_timestamp", 19: "score_out_of_range", 20: "malformed_json", 22: "duplicate"}
    assert t.rejects.set_index("row").loc[10, "detail"].startswith("line 10:")
    assert "username" in t.rejects.set_index("row").loc[12, "detail"]


def test_edx_decodes_double_encoded_events_and_grades_problems():
    frame = read_traces(EDX).to_frame()
    ann = frame[frame["learner"] == "ann"]
    # line 4 is a seek_video whose `event` string was JSON-encoded twice: still on the right video
    assert (ann["timestamp"] == pd.Timestamp("2024-03-04T09:02:10", tz="UTC")).sum() == 1
    assert ann.loc[ann["timestamp"] == pd.Timestamp("2024-03-04T09:02:10", tz="UTC"), "item"].item() == V1
    problems = ann[ann["item"] == P1]
    np.testing.assert_allclose(problems["score"], [2 / 3, 1.0])
    # the +02:00 offset of line 11 is normalised to UTC
    assert problems["timestamp"].iloc[1] == pd.Timestamp("2024-03-05T08:00:00", tz="UTC")
    assert frame.loc[frame["item"] != P1, "score"].isna().all()
    assert "42" in set(frame["learner"])  # blank username, context.user_id present


def test_edx_gzip_gives_the_same_traces():
    plain, gz = read_traces(EDX), read_traces(FIXTURES / "edx_tracking.log.gz")
    assert plain.to_frame().equals(gz.to_frame())
    assert plain.rejects["reason"].tolist() == gz.rejects["reason"].tolist()


def test_edx_video_sessions_collapse_into_visits_with_watched_duration():
    t = read_traces(EDX, video_sessions=True)
    assert t.n_read == 23 and t.n_events + len(t.rejects) == 23
    frame = t.to_frame()
    visits = frame[frame["item"] != P1].set_index(["learner", "item", "timestamp"])["duration"]
    # ann: play 09:00:05 -> pause 09:02:05 (120 s) + play 09:02:11 -> stop 09:05:11 (180 s)
    assert visits.loc[("ann", V1, pd.Timestamp("2024-03-04T09:00:00.1", tz="UTC"))] == 300.0
    # bob: two sessions a night apart: 180 s, then 60 s
    assert visits.loc[("bob", V2)].tolist() == [180.0, 60.0]
    collapsed = t.rejects[t.rejects["reason"] == "collapsed"]
    assert collapsed["row"].tolist() == [2, 3, 4, 5, 6, 15, 17]
    assert collapsed.set_index("row").loc[17, "detail"] == "folded into the visit at line 16"


def test_edx_session_gap_splits_sessions():
    short = read_traces(EDX, video_sessions=True, session_gap=60)
    frame = short.to_frame()
    ann_intro = frame[(frame["learner"] == "ann") & (frame["item"] == V1)]
    # the gaps 09:00:05 -> 09:02:05 and 09:02:11 -> 09:05:11 exceed 60 s: 3 visits
    assert len(ann_intro) == 3
    with pytest.raises(ParameterError, match="session_gap"):
        read_traces(EDX, video_sessions=True, session_gap=0)


def test_edx_event_filter():
    t = read_traces(EDX, events=["problem_check"])
    assert set(t.items[t.item]) == {P1}
    # 13 video events, the page view and the browser-side problem_check
    assert (t.rejects["reason"] == "unknown_event").sum() == 15
    with pytest.raises(ParameterError):
        read_traces(EDX, events="problem_check")


@pytest.mark.parametrize("chunksize", [1, 3, 5, 100])
def test_edx_chunked_equals_whole(chunksize):
    for sessions in (False, True):
        whole = read_traces(EDX, video_sessions=sessions)
        part = read_traces(EDX, video_sessions=sessions, chunksize=chunksize)
        assert whole.to_frame().equals(part.to_frame())
        pd.testing.assert_frame_equal(whole.rejects, part.rejects)


# ------------------------------------------------------------------------------------ xAPI
def test_xapi_statements_mapping_and_rejects():
    t = read_traces(XAPI)
    assert t.n_read == 14 and t.n_events + len(t.rejects) == 14
    assert _reasons(t) == {7: "malformed_json", 9: "missing_learner", 10: "score_out_of_range",
                           11: "unknown_verb", 12: "naive_timestamp", 14: "bad_record"}
    frame = t.to_frame()
    assert set(frame["learner"]) == {"ann-001", "bob@example.org", "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}
    by = frame.set_index(["learner", "item"])
    act = "https://poem.example.org/activities/"
    assert by.loc[("ann-001", act + "quiz/1"), "score"] == 0.75              # result.score.scaled
    assert by.loc[("bob@example.org", act + "quiz/1"), "score"] == 1.0       # result.success
    assert by.loc[("bob@example.org", act + "quiz/1"), "duration"] == 90.5   # PT1M30.5S
    assert by.loc[("bob@example.org", act + "quiz/2"), "score"] == 0.4       # raw / max
    completed = frame[(frame["learner"] == "ann-001") & (frame["item"] == act + "video/intro")]
    assert completed["score"].tolist()[-1] == 1.0 and completed["duration"].tolist()[-1] == 300.0
    # no timestamp: `stored` is used; completion false leaves the score unknown
    cyd = frame[frame["learner"].str.startswith("ebd3")]
    assert cyd["timestamp"].max() == pd.Timestamp("2024-05-01", tz="UTC") and cyd["score"].isna().all()
    assert frame.loc[frame["learner"] == "ann-001", "timestamp"].iloc[0] == pd.Timestamp("2024-04-02T08:10Z")


def test_xapi_array_equals_the_same_statements_as_lines(tmp_path):
    arr = read_traces(FIXTURES / "xapi_statements.json")
    lines = read_traces(XAPI)
    first6 = lines.to_frame()
    got = arr.to_frame()
    assert len(got) == 6 and len(arr.rejects) == 0
    merged = got.merge(first6, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


def test_xapi_verb_filter_by_id_or_name():
    t = read_traces(XAPI, verbs=["played", "https://w3id.org/xapi/video/verbs/paused"])
    assert t.n_events == 2  # ann played + paused (the anonymous played is missing_learner)
    assert (t.rejects["reason"] == "unknown_verb").sum() == 9


def test_xapi_account_home_page_option():
    t = read_traces(XAPI, account_home_page=True)
    assert "https://lms.example.org|ann-001" in set(t.learners)


# ------------------------------------------------------------------------------------ JSON lines
def test_generic_jsonl_records(tmp_path):
    path = tmp_path / "events.ndjson"
    recs = [{"case:concept:name": "a", "concept:name": "x", "time:timestamp": "2024-01-01T00:00:00Z", "score": 1},
            {"case:concept:name": "a", "concept:name": "y", "time:timestamp": "2024-01-01T00:01:00Z"},
            {"case:concept:name": "b", "time:timestamp": "2024-01-01T00:00:00Z"}]
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n42\n")
    t = read_traces(path)
    assert t.n_events == 2 and _reasons(t) == {3: "missing_item", 4: "malformed_json"}
    back = read_traces(path, chunksize=1)
    assert back.to_frame().equals(t.to_frame())



def test_jsonl_empty_objects_are_rejected_whatever_the_chunking(tmp_path):
    # an empty object ({}) used to vanish when a chunk held nothing else: read != accepted + rejected
    path = tmp_path / "events.jsonl"
    ok = {"learner": "a", "item": "x", "timestamp": "2024-01-01T00:00:00Z"}
    path.write_text("{}\n" + json.dumps(ok) + "\n{}\n")
    for chunksize in (1, 2, 10):
        t = read_traces(path, chunksize=chunksize)
        assert (t.n_read, t.n_events) == (3, 1) and _reasons(t) == {1: "missing_learner", 3: "missing_learner"}
        assert t.rejects["detail"].tolist() == ["blank learner", "blank learner"]
    only_empty = tmp_path / "empty_objects.jsonl"
    only_empty.write_text("{}\n{}\n")
    t = read_traces(only_empty, format="jsonl", chunksize=1)
    assert str(t.summary()).startswith("read 2 rows: accepted 0, rejected 2")

def test_json_errors_are_clear(tmp_path):
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n")
    with pytest.raises(TraceFormatError, match="no records"):
        read_traces(blank)
    text = tmp_path / "notjson.log"
    text.write_text("hello\n")
    with pytest.raises(TraceFormatError, match="not JSON"):
        read_traces(text)
    broken = tmp_path / "broken.json"
    broken.write_text("[{\"actor\": 1}, ")
    with pytest.raises(TraceFormatError, match="malformed JSON array"):
        read_traces(broken)


# ------------------------------------------------------------------------------------ OULAD
def _check_oulad(t):
    assert t.n_read == t.n_events + len(t.rejects)
    assert set(t.rejects["reason"]) <= {"duplicate"}
    frame = t.to_frame()
    clicks = frame[~frame["item"].str.startswith("assessment:")]
    assert clicks["score"].isna().all()
    # day offsets -10..2 from the 2013J start, 1 October 2013
    assert clicks["timestamp"].min() == pd.Timestamp("2013-09-21", tz="UTC")
    assert clicks["timestamp"].max() == pd.Timestamp("2013-10-03", tz="UTC")
    assert (clicks["timestamp"].dt.floor("D") == clicks["timestamp"]).all()
    assess = frame[frame["item"].str.startswith("assessment:")]
    assert assess["score"].dropna().between(0, 1).all() and len(assess) > 0
    assert t.item_info.loc["assessment:1752", "kind"] == "TMA"
    assert set(t.outcomes[~np.isnan(t.outcomes)]) <= {0.0, 1 / 3, 2 / 3, 1.0}
    return frame


def test_bundled_oulad_subset_reads_and_is_small(repo_dir):
    folder = bundled_oulad_dir()
    assert sum(p.stat().st_size for p in folder.iterdir()) < 1.5e6
    assert "CC BY 4.0" in (folder / "SOURCE.txt").read_text()
    t = read_traces(folder)
    frame = _check_oulad(t)
    raw = pd.read_csv(folder / "studentVle.csv")
    assert t.n_read == len(raw) + len(pd.read_csv(folder / "studentAssessment.csv"))
    assert t.rejects["reason"].eq("duplicate").sum() == raw.duplicated(["id_student", "id_site", "date"]).sum()
    # an assessment result, hand-checked: student 11391 scored 78 on 1752, submitted on day 18
    row = frame[(frame["learner"] == "11391") & (frame["item"] == "assessment:1752")]
    assert row["score"].tolist() == [0.78]
    assert row["timestamp"].tolist() == [pd.Timestamp("2013-10-19", tz="UTC")]
    info = pd.read_csv(folder / "studentInfo.csv", dtype=str).set_index("id_student")["final_result"]
    outcome = dict(zip(t.learners, t.outcomes))
    assert outcome["11391"] == 2 / 3 and info["11391"] == "Pass"
    # resources nobody clicked are in the vocabulary, with their activity type
    assert len(t.items) == 211 + 6 and t.item_info.loc["546943", "kind"] == "resource"


def test_oulad_ties_within_a_day_keep_row_order():
    folder = bundled_oulad_dir()
    t = read_traces(folder, duplicates="keep", include_assessments=False)
    raw = pd.read_csv(folder / "studentVle.csv", dtype=str)
    one = raw[raw["id_student"] == raw["id_student"].iloc[0]]
    got = t.to_frame()
    got = got[got["learner"] == one["id_student"].iloc[0]]
    want = one.assign(d=one["date"].astype(int)).sort_values("d", kind="stable")["id_site"].tolist()
    assert got["item"].tolist() == want


def test_oulad_from_shared_and_selection(shared_dir):
    folder = shared_dir / "data" / "oulad"
    t = read_traces(folder, module="AAA", presentation="2013J")
    _check_oulad(t)
    assert t.n_events == read_traces(bundled_oulad_dir()).n_events
    empty = read_traces(folder, module="ZZZ")
    assert empty.n_events == 0


def test_oulad_chunked_equals_whole_and_bad_days_rejected(tmp_path):
    folder = bundled_oulad_dir()
    whole = read_traces(folder)
    part = read_traces(folder, chunksize=1000)
    assert whole.to_frame().equals(part.to_frame())
    for name in ("vle.csv", "studentInfo.csv", "assessments.csv", "studentAssessment.csv"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    (tmp_path / "studentVle.csv").write_text("code_module,code_presentation,id_student,id_site,date,sum_click\n"
                                             "AAA,2013J,11391,546652,-3,1\nAAA,2013J,11391,546652,soon,1\n"
                                             "AAA,2013X,11391,546652,1,1\n")
    t = read_traces(tmp_path, include_assessments=False)
    assert t.n_events == 1 and t.rejects["reason"].tolist() == ["bad_timestamp", "bad_timestamp"]
    assert "'soon'" in t.rejects["detail"].iloc[0] and "2013X" in t.rejects["detail"].iloc[1]
    (tmp_path / "studentVle.csv").write_text("code_module,code_presentation,id_student,id_site,date\n"
                                             "AAA,2013J,1,5,1\nAAA,2013J,1,5,1,9,9\n")
    with pytest.raises(TraceFormatError, match="cannot be read"):  # not a raw pandas ParserError
        read_traces(tmp_path, include_assessments=False)
    (tmp_path / "studentVle.csv").unlink()
    with pytest.raises(TraceFormatError, match="studentVle"):
        read_traces(tmp_path, format="oulad")


def test_oulad_result_of_an_unlisted_assessment_is_rejected_not_lost(tmp_path):
    folder = bundled_oulad_dir()
    for name in ("studentVle.csv", "vle.csv", "studentInfo.csv", "assessments.csv"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    results = pd.read_csv(folder / "studentAssessment.csv", dtype=str)
    results.loc[len(results)] = ["999999", "11391", "5", "0", "50"]
    results.to_csv(tmp_path / "studentAssessment.csv", index=False)
    t = read_traces(tmp_path)
    assert t.n_read == t.n_events + len(t.rejects) == read_traces(folder).n_read + 1
    bad = t.rejects[t.rejects["reason"] == "bad_record"]
    assert bad["row"].tolist() == [len(results) - 1] and "'999999'" in bad["detail"].iloc[0]


# ------------------------------------------------------------------------------------ catalogue
def test_catalog_columns_types_and_errors(tmp_path):
    path = tmp_path / "cat.csv"
    path.write_text("item_id,display_name,block_type,order,week\nv1,Intro,video,1,1\nq1,Quiz,problem,2,\n")
    cat = read_catalog(path)
    assert cat.index.tolist() == ["v1", "q1"]
    assert list(cat.columns[:4]) == ["title", "kind", "position", "week"]
    assert cat["position"].tolist() == [1.0, 2.0] and np.isnan(cat.loc["q1", "week"])
    with pytest.raises(TraceFormatError, match="more than once"):
        read_catalog(pd.DataFrame({"item": ["a", "a"]}))
    with pytest.raises(TraceFormatError, match="columns found"):
        read_catalog(pd.DataFrame({"what": ["a"]}))
    with pytest.raises(TraceFormatError, match="not a number"):
        read_catalog(pd.DataFrame({"item": ["a"], "position": ["first"]}))


def test_catalog_items_join_the_vocabulary_and_round_trip(tmp_path):
    events = pd.DataFrame({"learner": ["a"], "item": ["v1"], "timestamp": ["2024-01-01T00:00:00Z"]})
    cat = pd.DataFrame({"item": ["v1", "v2"], "title": ["One", "Two"], "position": [1, 2]})
    t = read_traces(events, catalog=cat)
    assert t.items.tolist() == ["v1", "v2"] and t.item_info.loc["v2", "title"] == "Two"
    back = read_traces(write_traces(t, tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(back.item_info, t.item_info)


def test_every_format_round_trips_through_the_canonical_file(tmp_path):
    for source, kw in [(EDX, {}), (EDX, {"video_sessions": True}), (XAPI, {}), (bundled_oulad_dir(), {})]:
        t = read_traces(source, **kw)
        back = read_traces(write_traces(t, tmp_path / "t.parquet"))
        assert back.to_frame().equals(t.to_frame())
        pd.testing.assert_frame_equal(back.rejects, t.rejects)
        assert back.summary() == t.summary()


def test_options_that_do_not_apply_to_a_format_are_refused():
    with pytest.raises(ParameterError, match="column names apply to tables only"):
        read_traces(EDX, learner="username")
    with pytest.raises(ParameterError, match="'verbs'"):
        read_traces(EDX, verbs=["played"])
    with pytest.raises(ParameterError, match="do not apply"):
        read_traces(XAPI, video_sessions=True)
    with pytest.raises(ParameterError, match="unknown option"):
        read_traces(pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": ["2024-01-01T00:00Z"]}),
                    verbs=["x"])


def test_every_reason_produced_is_documented(tmp_path):
    from poem.io import REASONS

    seen = set()
    for source, kw in [(EDX, {}), (EDX, {"video_sessions": True, "events": ["play_video", "problem_check"]}),
                       (XAPI, {}), (XAPI, {"verbs": ["played"]}), (bundled_oulad_dir(), {})]:
        seen |= set(read_traces(source, **kw).rejects["reason"])
    path = tmp_path / "t.csv"
    path.write_text("learner,item,timestamp,score,duration\na,x,2024-01-01T00:00Z,1,2,3\n"
                    "a,x,,1,1\na,x,2024-01-01T00:00Z,x,1\na,x,2024-01-01T00:00Z,1,-1\n")
    seen |= set(read_traces(path).rejects["reason"])
    assert {"malformed_row", "missing_timestamp", "bad_score", "bad_duration", "collapsed", "unknown_verb",
            "unknown_event", "bad_record", "malformed_json", "duplicate"} <= seen
    assert seen <= set(REASONS)


def test_a_directory_of_logs_reads_its_files_in_name_order(tmp_path):
    (tmp_path / "tracking.log-20240302.gz").write_bytes((FIXTURES / "edx_tracking.log.gz").read_bytes())
    (tmp_path / "tracking.log-20240301").write_bytes(EDX.read_bytes())
    t = read_traces(tmp_path)
    assert t.n_read == 46
    assert t.rejects["source"].unique().tolist() == [str(tmp_path / "tracking.log-20240301"),
                                                     str(tmp_path / "tracking.log-20240302.gz")]
    # the second file repeats the first: every accepted event of it is a duplicate
    assert t.n_events == read_traces(EDX).n_events
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TraceFormatError, match="empty directory"):
        read_traces(empty)


def test_edx_non_string_event_type_is_rejected_not_raised(tmp_path):
    log = tmp_path / "odd.log"
    good = {"username": "ann", "event_type": "play_video", "time": "2024-03-04T09:00:00+00:00",
            "event": {"id": "v1"}}
    odd = dict(good, event_type={"nested": "dict"})
    log.write_text("\n".join(json.dumps(r) for r in (good, odd)) + "\n")
    t = read_traces(log, format="edx")
    assert t.n_events == 1 and _reasons(t) == {2: "unknown_event"}
