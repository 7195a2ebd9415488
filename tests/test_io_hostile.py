"""Regression tests of issue 13's defects: hostile files and what real platforms write.

Each test names the defect it guards (numbers of the issue, most harmful first). Files are made by hand
in ``tmp_path``; the real samples are exercised in ``test_real_logs.py``.
"""

import gzip
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from poem.cli.main import main
from poem.errors import ModelFileError, PoemError, TraceFormatError
from poem.io import read_traces, require_events, write_traces

T0 = "2024-01-01T10:00:00Z"
VERB = "http://adlnet.gov/expapi/verbs/"


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _st(sid, verb, obj="http://ex.org/quiz/1", name="ann", ts=T0, **extra):
    return {"id": sid, "actor": {"account": {"homePage": "https://lms", "name": name}},
            "verb": {"id": VERB + verb}, "object": {"id": obj, "objectType": "Activity"}, "timestamp": ts,
            **extra}


def _void(sid, target, ts="2024-01-02T00:00:00Z"):
    return {"id": sid, "actor": {"mbox": "mailto:admin@ex.org"}, "verb": {"id": VERB + "voided"},
            "object": {"objectType": "StatementRef", "id": target}, "timestamp": ts}


def _edx(user, etype, event, ts=T0, course="course-v1:X+Y+Z", **extra):
    return {"username": user, "event_type": etype, "time": ts, "event": event,
            "context": {"course_id": course, "user_id": 7}, **extra}


# ------------------------------------------------------------------------------ 1. voided statements
@pytest.mark.parametrize("void_first", [False, True])
def test_1_voided_statement_is_rejected_with_its_voider(tmp_path, void_first):
    kept = _st("s1", "completed", obj="http://ex.org/a")
    voided = _st("s2", "passed", obj="http://ex.org/b", ts="2024-01-01T11:00:00Z")
    records = [_void("v1", "s2"), kept, voided] if void_first else [kept, voided, _void("v1", "s2")]
    t = read_traces(_jsonl(tmp_path / "x.jsonl", records), format="xapi", chunksize=1)
    assert t.to_frame()["item"].tolist() == ["http://ex.org/a"]
    rej = t.rejects.set_index("row")
    line_of_voided = 3 if void_first else 2
    line_of_voider = 1 if void_first else 3
    assert rej.loc[line_of_voided, "reason"] == "voided"
    assert rej.loc[line_of_voided, "detail"] == f"voided by the statement at line {line_of_voider}"
    assert rej.loc[line_of_voider, "reason"] == "unknown_verb"
    assert t.n_read == t.n_events + len(t.rejects) == 3


@pytest.mark.parametrize("void_first", [False, True])
def test_1_a_statement_voided_from_another_file_of_the_folder_is_rejected(tmp_path, void_first):
    folder = tmp_path / "lrs"
    folder.mkdir()
    voider = {"id": "v1", "actor": {"mbox": "mailto:admin@ex.org"}, "verb": {"id": VERB + "voided"},
              "object": {"objectType": "StatementRef", "id": "s1"}, "timestamp": T0}
    kept, gone = _st("s2", "completed", obj="http://ex.org/a"), _st("s1", "completed", obj="http://ex.org/b")
    other = _st("s3", "completed", obj="http://ex.org/c", name="bob")
    first, second = ([voider, other], [kept, gone]) if void_first else ([kept, gone], [other, voider])
    _jsonl(folder / "day1.jsonl", first)
    _jsonl(folder / "day2.jsonl", second)
    for source in (folder, [folder / "day1.jsonl", folder / "day2.jsonl"]):
        t = read_traces(source, format="xapi")
        assert sorted(t.to_frame()["item"].tolist()) == ["http://ex.org/a", "http://ex.org/c"]
        rej = t.rejects
        assert sorted(rej["reason"].tolist()) == ["unknown_verb", "voided"]
        voided = rej[rej["reason"] == "voided"].iloc[0]
        day_of_voided, day_of_voider = ("day2", "day1") if void_first else ("day1", "day2")
        assert voided["source"].endswith(f"{day_of_voided}.jsonl") and voided["row"] == 2
        assert voided["detail"] == ("voided by the statement at line " + ("1" if void_first else "2")
                                    + f" of {folder / (day_of_voider + '.jsonl')}")
        assert t.n_read == t.n_events + len(t.rejects) == 4
    # a file alone voids nothing it does not hold
    alone = read_traces(folder / ("day2.jsonl" if void_first else "day1.jsonl"), format="xapi")
    assert alone.n_events == 2 and len(alone.rejects) == 0


# ------------------------------------------------------------------------------ 2. verb in the key
def test_2_failed_and_passed_at_one_time_are_two_events_scored_0_and_1(tmp_path):
    path = _jsonl(tmp_path / "x.jsonl", [_st("a", "failed"), _st("b", "passed"),
                                         _st("c", "failed", obj="http://ex.org/course"),
                                         _st("d", "registered", obj="http://ex.org/course")])
    t = read_traces(path, verbs="all")
    frame = t.to_frame()
    assert len(t.rejects) == 0 and len(frame) == 4
    quiz = frame[frame["item"] == "http://ex.org/quiz/1"]
    assert sorted(quiz["score"].tolist()) == [0.0, 1.0]
    course = frame[frame["item"] == "http://ex.org/course"]["score"]
    assert course.isna().sum() == 1 and (course == 0).sum() == 1  # registered: no score; failed: 0
    # a true repeat (same verb too) is still a duplicate
    again = read_traces(_jsonl(tmp_path / "y.jsonl", [_st("a", "failed"), _st("a2", "failed")]))
    assert again.rejects["reason"].tolist() == ["duplicate"]


def test_2_edx_events_of_two_types_at_one_time_are_not_duplicates(tmp_path):
    ev = json.dumps({"id": "block-v1:X+Y+Z+type@video+block@v"})
    t = read_traces(_jsonl(tmp_path / "e.log", [_edx("ann", "play_video", ev), _edx("ann", "pause_video", ev),
                                                _edx("ann", "pause_video", ev)]), format="edx")
    assert t.n_events == 2 and t.rejects["reason"].tolist() == ["duplicate"]


# ------------------------------------------------------------------------------ 3. undecodable bytes
def test_3_undecodable_bytes_are_rejects_with_line_numbers_never_merged(tmp_path):
    lines = [json.dumps({"learner": "Jos\u00e9", "item": "q", "timestamp": T0}, ensure_ascii=False).encode("latin-1"),
             json.dumps({"learner": "Jos\u00e8", "item": "q", "timestamp": T0}, ensure_ascii=False).encode("latin-1"),
             json.dumps({"learner": "ann", "item": "q", "timestamp": T0}).encode()]
    path = tmp_path / "l.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    t = read_traces(path)
    assert t.learners.tolist() == ["ann"]
    assert t.rejects["reason"].tolist() == ["bad_encoding", "bad_encoding"]
    assert t.rejects["row"].tolist() == [1, 2] and "line 1" in t.rejects["detail"][0]
    both = read_traces(path, encoding="latin-1")
    assert both.learners.tolist() == ["Jos\u00e8", "Jos\u00e9", "ann"] and len(both.rejects) == 0


def test_3_undecodable_csv_rows_are_rejected_not_replaced(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"learner,item,timestamp\nJos\xe9,q," + T0.encode() + b"\nJos\xe8,q," + T0.encode()
                     + b"\nann,q," + T0.encode() + b"\n")
    t = read_traces(path)
    assert t.learners.tolist() == ["ann"]
    assert t.rejects["reason"].tolist() == ["bad_encoding", "bad_encoding"]
    assert t.rejects["row"].tolist() == [0, 1] and "line 2" in t.rejects["detail"][0]
    assert read_traces(path, encoding="latin-1").n_learners == 3


# ------------------------------------------------------------------------------ 4. pseudonymised rejects
def test_4_pseudonymised_rejects_hold_no_username_from_urls(tmp_path):
    url = "/courses/edX/Demo/2014/submission_history/velma/i4x://edX/Demo/problem/p1"
    path = _jsonl(tmp_path / "t.log", [
        _edx("staff", url, "{}"),
        _edx("velma", "play_video", json.dumps({"id": "v1"})),
        _edx("velma", "play_video", json.dumps({"id": "v1"}), ts="soon"),
    ])
    out, rej = tmp_path / "t.parquet", tmp_path / "r.csv"
    assert main(["import", str(path), "--out", str(out), "--rejects", str(rej), "--pseudonymise",
                 "--key", "k"]) == 0
    text = rej.read_text() + str(read_traces(out).rejects.to_dict())
    assert "velma" not in text and "staff" not in text
    assert "submission_history" not in text and "/courses/" in text  # the URL is cut, the kind is kept


# ------------------------------------------------------------------------------ 5. outputs vs inputs
def test_5_outputs_never_overwrite_inputs_or_each_other(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(f"learner,item,timestamp\nann,x,{T0}\n")
    before = src.read_bytes()
    assert main(["import", str(src), "--out", str(tmp_path / "t.parquet"), "--rejects", str(src)]) == 1
    assert src.read_bytes() == before
    same = tmp_path / "same.parquet"
    assert main(["import", str(src), "--out", str(same), "--rejects", str(same)]) == 1
    assert not same.exists()
    # a Parquet input with an extra column is not overwritten by --out, even through another name
    pq_in = tmp_path / "raw.parquet"
    pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": [T0], "extra": [1]}).to_parquet(pq_in)
    raw = pq_in.read_bytes()
    os.symlink(pq_in, tmp_path / "alias.parquet")
    assert main(["import", str(pq_in), "--out", str(tmp_path / "alias.parquet")]) == 1
    assert main(["import", str(tmp_path), "--format", "parquet", "--out", str(pq_in)]) == 1
    assert pq_in.read_bytes() == raw


def test_16_failed_rejects_write_leaves_no_traces_written(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(f"learner,item,timestamp\nann,x,{T0}\n,y,{T0}\n")
    out = tmp_path / "t.parquet"
    assert main(["import", str(src), "--out", str(out), "--rejects", str(tmp_path / "no" / "r.csv")]) == 1
    assert not out.exists() and not list(tmp_path.glob(".*poem-tmp"))


# ------------------------------------------------------------------------------ 6. nothing usable
@pytest.mark.parametrize("header,row,kwargs,flag", [
    ("learner,item,timestamp,score", f"a,x,{T0},80", {}, "--score-max"),
    ("learner,item,timestamp,score", f'a,x,{T0},"0,5"', {}, "decimal comma"),
    ("learner,item,timestamp", "a,x,2024-01-01 10:00:00", {"naive_timestamps": None}, "--naive-timestamps"),
    ("learner,item,timestamp", 'a,x,"1704103200"', {}, "--timestamp-unit"),
])
def test_6_zero_events_stop_with_reason_and_fix(tmp_path, capsys, header, row, kwargs, flag):
    src = tmp_path / "in.csv"
    src.write_text(f"{header}\n{row}\n{row.replace('a,', 'b,', 1)}\n")
    out = tmp_path / "t.parquet"
    try:
        t = read_traces(src, **kwargs)
    except TraceFormatError as exc:  # every timestamp naive is already an error naming the option
        assert "naive_timestamps" in str(exc)
    else:
        with pytest.raises(TraceFormatError, match="no usable event") as info:
            require_events(t)
        assert flag in str(info.value)
    assert main(["import", str(src), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and not out.exists()
    assert main(["fit", str(src), "--out", str(tmp_path / "m.npz")]) == 1
    assert not (tmp_path / "m.npz").exists()


def test_6_wrong_format_names_unknown_event(tmp_path):
    path = _jsonl(tmp_path / "t.log", [_edx("ann", "page_close", "{}")])
    with pytest.raises(TraceFormatError, match="mostly unknown_event.*--events"):
        require_events(read_traces(path))


_ZERO = {"score": ("learner,item,timestamp,score\na,x,2024-01-01T00:00Z,80\nb,x,2024-01-01T00:00Z,80\n",
                   "score_out_of_range", "--score-max 100"),
         "comma": ('learner,item,timestamp,score\na,x,2024-01-01T00:00Z,"0,5"\nb,x,2024-01-01T00:00Z,"0,5"\n',
                   "bad_score", "decimal"),
         "learner": ("learner,item,timestamp\n,x,2024-01-01T00:00Z\n,y,2024-01-01T00:00Z\n",
                     "missing_learner", "learner"),
         "epoch": ("learner,item,timestamp\na,x,1704103200\nb,x,1704103200\n", "bad_timestamp",
                   "--timestamp-unit")}


@pytest.mark.parametrize("command", [["compare", "{src}", "--truth", "{dir}/truth.json"],
                                     ["validate", "{src}"], ["validate", "{good}", "--test", "{src}"]])
@pytest.mark.parametrize("case", ["score", "epoch"])
def test_6_every_command_reading_traces_stops_in_one_line(tmp_path, capsys, command, case):
    text, reason, fix = _ZERO[case]
    src, good = tmp_path / "in.csv", tmp_path / "good.csv"
    src.write_text(text)
    good.write_text("learner,item,timestamp,score\n" + "".join(
        f"l{i},{it},2024-01-0{1 + j}T00:00Z,1\n" for i in range(6) for j, it in enumerate("xyz")))
    (tmp_path / "truth.json").write_text('{"order": ["x"]}')
    argv = [a.format(src=src, good=good, dir=tmp_path) for a in command]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "no usable event" in err[0] and f"mostly {reason}" in err[0] and fix in err[0]


@pytest.mark.parametrize("case", ["score", "comma", "learner", "epoch"])
def test_6_report_input_check_gives_the_same_reason_and_fix(tmp_path, case):
    from poem.importers.batch import dominant_reject
    from poem.report.build import NotebookError, check_inputs

    text, reason, fix = _ZERO[case]
    src = tmp_path / "in.csv"
    src.write_text(text)
    traces = read_traces(src)
    assert dominant_reject(traces.rejects)[0] == reason
    with pytest.raises(NotebookError) as info:
        check_inputs(src, lang="en")
    message = str(info.value)
    assert "\n" not in message and fix in message
    example = dominant_reject(traces.rejects)[2]
    assert any(part in message for part in ("'80'", "'0,5'", "learner", "'1704103200'")) and example


# ------------------------------------------------------------------------------ 7. Tutor log prefix
def test_7_python_logging_prefix_is_stripped(tmp_path):
    head = "2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - "
    good = json.dumps(_edx("ann", "play_video", json.dumps({"id": "v1"})))
    path = tmp_path / "tracking.log"
    path.write_text(head + good + "\n" + head + good[:40] + "\n")
    t = read_traces(path)
    assert t.learners.tolist() == ["ann"] and t.n_events == 1
    assert t.rejects["reason"].tolist() == ["malformed_json"] and t.rejects["row"].tolist() == [2]
    syslog = tmp_path / "syslog.log"
    syslog.write_text("Nov 29 10:00:00 lms-1 tracking[42]: " + good + "\n")
    assert read_traces(syslog).learners.tolist() == ["ann"]


# ------------------------------------------------------------------------------ 8. course scope
def test_8_items_are_scoped_by_course_and_course_filters(tmp_path):
    ev = json.dumps({"id": "0b9e39477cf34507a7a48f74be381fdd"})
    prob = {"problem_id": "i4x://edX/Demo/problem/p1", "grade": 1, "max_grade": 2}
    path = _jsonl(tmp_path / "t.log", [
        _edx("ann", "play_video", ev, course="course-v1:edX+Demo+2014"),
        _edx("ann", "play_video", ev, course="course-v1:edX+Demo+2015"),
        _edx("ann", "problem_check", prob, course="edX/Demo/2014", event_source="server"),
        _edx("ann", "problem_check", prob, course="edX/Demo/2015", event_source="server"),
    ])
    t = read_traces(path)
    assert len(t.rejects) == 0
    assert sorted(t.items.tolist()) == [
        "course-v1:edX+Demo+2014/0b9e39477cf34507a7a48f74be381fdd",
        "course-v1:edX+Demo+2015/0b9e39477cf34507a7a48f74be381fdd",
        "edX/Demo/2014/i4x://edX/Demo/problem/p1", "edX/Demo/2015/i4x://edX/Demo/problem/p1"]
    # the course of each item is kept: the ``course`` column of item_info, through the canonical file
    assert t.item_info.loc["edX/Demo/2015/i4x://edX/Demo/problem/p1", "course"] == "edX/Demo/2015"
    back = read_traces(write_traces(t, tmp_path / "t.parquet"))
    assert back.item_info["course"].to_dict() == t.item_info["course"].to_dict()
    one = read_traces(path, course=["course-v1:edX+Demo+2015"])
    assert one.items.tolist() == ["course-v1:edX+Demo+2015/0b9e39477cf34507a7a48f74be381fdd"]
    assert one.rejects["reason"].tolist() == ["other_course"] * 3
    # a usage key already names its course run: kept as is
    key = "block-v1:edX+Demo+2014+type@video+block@v"
    t = read_traces(_jsonl(tmp_path / "k.log", [_edx("a", "play_video", json.dumps({"id": key}),
                                                     course="course-v1:edX+Demo+2014")]))
    assert t.items.tolist() == [key]


@pytest.mark.parametrize("ext", ["csv", "parquet", "jsonl"])
def test_8_tables_with_a_course_column_scope_items_and_filter(tmp_path, ext, capsys):
    raw = pd.DataFrame({"learner": ["a", "a", "b", "c"], "item": ["q1", "q1", "q1", "q2"],
                        "timestamp": [T0, T0, T0, T0], "score": [1, 0, 1, 1],
                        "course_id": ["course-v1:X+Y+1", "course-v1:X+Y+2", "course-v1:X+Y+1", None]})
    path = tmp_path / f"t.{ext}"
    if ext == "csv":
        raw.to_csv(path, index=False)
    elif ext == "parquet":
        raw.to_parquet(path, index=False)
    else:
        raw.to_json(path, orient="records", lines=True)
    t = read_traces(path)
    # one learner, one item id, one time in two course runs: two items, no duplicate reject
    assert t.n_events == 4 and len(t.rejects) == 0
    assert sorted(t.items.tolist()) == ["course-v1:X+Y+1/q1", "course-v1:X+Y+2/q1", "q2"]
    info = t.item_info["course"].dropna().to_dict()  # an item of no course has no course
    assert info == {"course-v1:X+Y+1/q1": "course-v1:X+Y+1", "course-v1:X+Y+2/q1": "course-v1:X+Y+2"}
    one = read_traces(path, course=["course-v1:X+Y+2"])
    assert one.items.tolist() == ["course-v1:X+Y+2/q1"] and one.n_read == 4 == one.n_events + len(one.rejects)
    assert one.rejects["reason"].tolist() == ["other_course"] * 3 and one.rejects["row"].tolist() == (
        [0, 2, 3] if ext != "jsonl" else [1, 3, 4])
    assert one.rejects["detail"].iloc[-1].startswith("blank course_id")
    # the command line: --course, and --course-column for another name
    renamed = tmp_path / "m.csv"
    raw.rename(columns={"course_id": "module"}).to_csv(renamed, index=False)
    out = tmp_path / "o.parquet"
    assert main(["import", str(renamed), "--course-column", "module", "--course", "course-v1:X+Y+1",
                 "--out", str(out)]) == 0
    back = read_traces(out)
    assert back.items.tolist() == ["course-v1:X+Y+1/q1"] and back.n_events == 2
    assert back.item_info["course"].tolist() == ["course-v1:X+Y+1"]
    capsys.readouterr()


def test_8_course_filter_on_a_table_without_course_column_names_the_fix(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"learner,item,timestamp\na,x,{T0}\n")
    with pytest.raises(TraceFormatError, match="course_column="):
        read_traces(path, course=["C1"])


# ------------------------------------------------------------------------------ 9. deep nesting
def test_9_deeply_nested_json_is_a_reject_not_a_recursion_error(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    ok = json.dumps(_edx("ann", "play_video", json.dumps({"id": "v1"})))
    nested_event = json.dumps(_edx("bob", "play_video", '{"id": ' + deep + "}"))
    path = tmp_path / "t.log"
    path.write_text(deep + "\n" + ok + "\n" + nested_event + "\n")
    t = read_traces(path, format="edx")
    assert t.n_read == 3 and t.n_events + len(t.rejects) == 3
    assert t.rejects.set_index("row").loc[1, "reason"] == "malformed_json"
    flat = tmp_path / "f.jsonl"
    flat.write_text(json.dumps({"learner": "a", "item": "x", "timestamp": T0}) + "\n"
                    + '{"learner": ' + "[" * 500 + "]" * 500 + ', "item": "x", "timestamp": "' + T0 + '"}\n'
                    + deep + "\n")
    t = read_traces(flat)
    assert t.n_events == 1 and sorted(t.rejects["reason"]) == ["bad_record", "malformed_json"]
    # nested just below the parser's limit: parsed, then rejected without rendering it (repr would recurse)
    near = "[" * 940 + "]" * 940
    st = json.dumps(_st("a", "completed"))[:-1]
    for fmt, text in [("xapi", st + ', "timestamp": ' + near + "}"),
                      ("xapi", json.dumps({**_st("a", "completed"), "result": {"score": {"scaled": "N"}}})
                       .replace('"N"', near)),
                      ("edx", '{"username": "a", "event_type": "play_video", "event": {"id": "v"}, "time": '
                       + near + "}")]:
        path = tmp_path / "near.json"
        path.write_text(text + "\n")
        t = read_traces(path, format=fmt)
        detail = t.rejects["detail"][0]  # how deep the parser goes depends on the stack already in use
        assert t.n_read == 1 and len(t.rejects) == 1
        assert "JSON array" in detail or "nested too deeply" in detail
    arr = tmp_path / "a.json"
    arr.write_text("[" + deep + "]")
    t = read_traces(arr, format="xapi")  # read as a line, rejected with the reason
    assert t.n_read == 1 and "nested too deeply" in t.rejects["detail"][0]


# ------------------------------------------------------------------------------ 10. byte-order mark
def test_10_byte_order_mark_is_skipped(tmp_path):
    bom = b"\xef\xbb\xbf"
    csv = tmp_path / "b.csv"
    csv.write_bytes(bom + f"learner,item,timestamp\nann,x,{T0}\n".encode())
    assert read_traces(csv).learners.tolist() == ["ann"]
    assert read_traces(csv, engine="python").learners.tolist() == ["ann"]
    jl = tmp_path / "b.log"
    jl.write_bytes(bom + (json.dumps(_edx("ann", "play_video", json.dumps({"id": "v"}))) + "\n").encode())
    assert read_traces(jl).n_events == 1  # auto-detected as edX
    arr = tmp_path / "b.json"
    arr.write_bytes(bom + json.dumps([_st("a", "completed"), _st("b", "passed", obj="q2")], indent=2).encode())
    t = read_traces(arr)
    assert t.n_events == 2 and t.rejects.empty and t.n_read == 2


# ------------------------------------------------------------------------------ 11. LRS responses
def test_11_lrs_response_statements_are_read(tmp_path):
    page = {"statements": [_st("a", "completed"), _st("b", "passed", obj="http://ex.org/q2")],
            "more": "/xapi/statements?more=abc"}
    path = tmp_path / "lrs.json"
    path.write_text(json.dumps(page, indent=2) + "\n" + json.dumps({"statements": [_st("c", "failed")],
                                                                    "more": ""}))
    t = read_traces(path)
    assert t.n_read == 3 and t.n_events == 3 and t.rejects.empty
    one_line = tmp_path / "lrs1.json"
    one_line.write_text(json.dumps(page))
    assert read_traces(one_line).n_events == 2


# ------------------------------------------------------------------------------ 12. JSON objects as ids
def test_12_json_objects_give_their_id_or_are_rejected(tmp_path):
    path = _jsonl(tmp_path / "o.jsonl", [
        {"learner": {"id": "u1", "role": "student"}, "item": "x", "timestamp": T0},
        {"learner": {"role": "student"}, "item": "x", "timestamp": T0},
        {"learner": "u2", "item": {"name": "quiz"}, "timestamp": T0},
    ])
    t = read_traces(path)
    assert t.learners.tolist() == ["u1", "u2"] and sorted(t.items.tolist()) == ["quiz", "x"]
    assert t.rejects["reason"].tolist() == ["bad_record"] and t.rejects["row"].tolist() == [2]
    xapi = _jsonl(tmp_path / "x.jsonl", [{**_st("a", "completed"), "actor": {"account": {"name": {"x": 1}}}}])
    assert read_traces(xapi).rejects["reason"].tolist() == ["bad_record"]


# ------------------------------------------------------------------------------ 13. empty daily files
def test_13_an_empty_file_in_a_folder_is_counted_and_skipped(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    _jsonl(logs / "tracking.log-20240101", [_edx("ann", "play_video", json.dumps({"id": "v"}))])
    (logs / "tracking.log-20240102").write_text("")
    _jsonl(logs / "tracking.log-20240103", [_edx("bob", "play_video", json.dumps({"id": "v"}))])
    with pytest.warns(UserWarning, match="skipped 1 empty file.*20240102"):
        t = read_traces(logs, format="edx")
    assert t.learners.tolist() == ["ann", "bob"]
    (logs / "tracking.log-20240101").write_text("")
    (logs / "tracking.log-20240103").write_text("")
    with pytest.raises(TraceFormatError, match="every file"):
        read_traces(logs)


# ------------------------------------------------------------------------------ 14. NUL in ids
def test_14_nul_in_an_id_is_rejected_and_the_round_trip_holds(tmp_path):
    raw = pd.DataFrame({"learner": ["a", "a", "b"], "item": ["x\x00y", "x\x00z", "x"],
                        "timestamp": [T0, "2024-01-01T11:00:00Z", T0]})
    t = read_traces(raw)
    assert t.items.tolist() == ["x"] and t.rejects["reason"].tolist() == ["bad_id", "bad_id"]
    back = read_traces(write_traces(t, tmp_path / "t.parquet"))
    assert back.items.tolist() == t.items.tolist() and back.n_read == 3


# ------------------------------------------------------------------------------ 15. unreadable CSV
_NOBODY = 65534


def _import_as_nobody(src: Path, out: Path, drop: bool) -> dict:
    """Run ``poem import SRC --out OUT`` in a forked child that has become the user nobody (when ``drop``).

    A fork, not a new interpreter: the interpreter may live where nobody cannot reach it. The child
    reports through a pipe whether it could open SRC, the exit code and what it wrote to stderr.
    """
    import contextlib
    import io as _io

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code, opened = 98, None
        try:
            os.close(read_end)
            if drop:  # group first, while still allowed to change it
                os.setgroups([])
                os.setgid(_NOBODY)
                os.setuid(_NOBODY)
            try:
                open(src).close()
                opened = True
            except PermissionError:
                opened = False
            err = _io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(_io.StringIO()):
                rc = main(["import", str(src), "--out", str(out)])
            os.write(write_end, json.dumps({"opened": opened, "rc": rc, "err": err.getvalue()}).encode())
            code = 0
        except BaseException as exc:  # a traceback is what the test must catch: report it
            import traceback

            os.write(write_end, json.dumps({"opened": opened, "rc": None, "err": "Traceback "
                                            + "".join(traceback.format_exception(exc))}).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(os, "geteuid"),
                    reason="needs POSIX users and fork to lose a permission")
def test_15_permission_error_is_one_clear_error(tmp_path):
    # root reads any file, and CI runs as root: the import then runs in a forked child that has become
    # the user nobody, in a folder nobody can enter, on a file nobody may read
    warm = tmp_path / "warm.csv"  # every module the import needs is loaded before the fork
    warm.write_text(f"learner,item,timestamp\nann,x,{T0}\n")
    assert main(["import", str(warm), "--out", str(tmp_path / "warm.parquet")]) == 0
    folder = Path(tempfile.mkdtemp(prefix="poem-perm-"))
    try:
        folder.chmod(0o777)
        src = folder / "locked.csv"
        src.write_text(f"learner,item,timestamp\nann,x,{T0}\n")
        src.chmod(0)
        out = folder / "t.parquet"
        got = _import_as_nobody(src, out, drop=os.geteuid() == 0)
        if got["opened"]:
            pytest.skip("this user keeps the permission to read a file of mode 000")
        assert got["opened"] is False, got["err"]  # the permission was really lost
        err = got["err"].strip().splitlines()
        assert got["rc"] == 1 and "Traceback" not in got["err"] and len(err) == 1, got
        assert "permission" in err[0].lower() and "locked.csv" in err[0], err
        assert not out.exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_15_unreadable_file_is_a_trace_format_error(tmp_path):
    # what root can test: a path that is not a regular readable file gives a PoemError, no traceback
    with pytest.raises(TraceFormatError):
        read_traces(tmp_path / "missing.csv")


# ------------------------------------------------------------------------------ 16. smaller
def test_16_two_columns_for_one_field_are_refused(tmp_path):
    src = tmp_path / "s.csv"
    src.write_text(f"learner,item,timestamp,Score,score\nann,x,{T0},1,0\n")
    with pytest.raises(TraceFormatError, match=r"\['Score', 'score'\].*score="):
        read_traces(src)
    assert read_traces(src, score="score").score.tolist() == [0.0]


def test_16_symlink_loop_is_named(tmp_path):
    loop = tmp_path / "loop.csv"
    os.symlink(loop, loop)
    with pytest.raises(TraceFormatError, match="symbolic link loop"):
        read_traces(loop)


def test_16_directory_or_traces_file_as_a_model(tmp_path):
    from poem.antcolony import ManHill

    with pytest.raises(ModelFileError, match="is a directory"):
        ManHill.load(tmp_path)
    t = read_traces(pd.DataFrame({"learner": ["a"], "item": ["x"], "timestamp": [T0]}))
    path = write_traces(t, tmp_path / "t.parquet")
    with pytest.raises(ModelFileError, match="traces file, not a colony"):
        ManHill.load(path)


def test_16_years_out_of_range_say_so(tmp_path):
    t = read_traces(pd.DataFrame({"learner": ["a", "b", "c"], "item": ["x"] * 3,
                                  "timestamp": ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "soon"]}))
    details = t.rejects["detail"].tolist()
    assert "out of the supported range" in details[0] and "out of the supported range" in details[1]
    assert "cannot be parsed" in details[2]


# ------------------------------------------------------------------------------ platform events
def test_edx_grade_completion_and_processed_shapes(tmp_path):
    block = "block-v1:X+Y+Z+type@problem+block@p"
    path = _jsonl(tmp_path / "t.log", [
        _edx("ann", "edx.grades.problem.submitted", {"problem_id": block, "weighted_earned": 1,
                                                     "weighted_possible": 4}),
        _edx("ann", "complete_video", {"id": "v1"}, ts="2024-01-01T10:01:00Z"),
        # the event-tracking shape: name, data, timestamp, context.username
        {"name": "edx.completion.block_completion.changed", "timestamp": "2024-01-01T10:02:00Z",
         "data": {"block_id": block, "completion": 1.0}, "context": {"username": "ann",
                                                                     "course_id": "course-v1:X+Y+Z"}},
    ])
    frame = read_traces(path).to_frame()
    assert frame["item"].tolist() == [block, "course-v1:X+Y+Z/v1", block]
    assert frame["score"].tolist() == [0.25, 1.0, 1.0]


def test_edx_segment_mobile_shape(tmp_path):
    rec = {"type": "track", "event": "Played a video", "userId": "4", "timestamp": T0,
           "context": {"traits": {"username": "ann"}},
           "properties": {"name": "edx.video.played", "data": {"module_id": "block-v1:X+Y+Z+type@video+block@v"},
                          "context": {"course_id": "course-v1:X+Y+Z"}}}
    t = read_traces(_jsonl(tmp_path / "s.log", [rec]))
    assert t.learners.tolist() == ["ann"] and t.items.tolist() == ["block-v1:X+Y+Z+type@video+block@v"]


def test_xapi_default_verbs_reject_enrolment_and_forum(tmp_path):
    path = _jsonl(tmp_path / "x.jsonl", [
        _st("a", "registered"), _st("b", "answered", obj="http://ex.org/q2"),
        {**_st("c", "x"), "verb": {"id": "https://w3id.org/xapi/video/verbs/played"}},
        {**_st("d", "x"), "verb": {"id": "https://w3id.org/xapi/acrossx/verbs/posted"}},
    ])
    t = read_traces(path)
    assert t.n_events == 2 and t.rejects["reason"].tolist() == ["unknown_verb", "unknown_verb"]
    assert "--verbs" in t.rejects["detail"][0]
    assert read_traces(path, verbs=["registered"]).n_events == 1
    assert read_traces(path, verbs="all").n_events == 4


def test_caliper_reader(tmp_path):
    grade = {"@context": "http://purl.imsglobal.org/ctx/caliper/v1p2", "type": "GradeEvent", "action": "Graded",
             "actor": {"id": "urn:u:1", "type": "Person"}, "eventTime": T0,
             "object": {"type": "Attempt", "extensions": {"assignable": {"id": "urn:q:1"}}},
             "generated": {"score": {"scoreGiven": 1, "maxScore": 4}}}
    media = {**grade, "type": "MediaEvent", "action": "Paused", "object": {"id": "urn:v:1"}}
    session = {**grade, "type": "SessionEvent", "action": "LoggedIn"}
    envelope = {"sensor": "urn:lms", "sendTime": T0, "dataVersion": "x", "data": [grade, media, session]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(envelope, indent=1))
    t = read_traces(path)
    frame = t.to_frame()
    assert frame["item"].tolist() == ["urn:q:1", "urn:v:1"]
    assert frame["score"].tolist()[0] == 0.25 and np.isnan(frame["score"].tolist()[1])
    assert t.rejects["reason"].tolist() == ["unknown_event"]


def test_cli_options_reach_the_importers(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_bytes(f"learner;item;timestamp;score\nJos\xe9;x;{T0};80\n".encode("latin-1"))
    out = tmp_path / "t.parquet"
    assert main(["import", str(src), "--out", str(out), "--encoding", "latin-1", "--score-max", "100"]) == 0
    back = read_traces(out)
    assert back.learners.tolist() == ["Jos\u00e9"] and back.score.tolist() == [0.8]
    xs = _jsonl(tmp_path / "x.jsonl", [_st("a", "registered"), _st("b", "completed", obj="http://ex.org/b")])
    assert main(["import", str(xs), "--out", str(tmp_path / "x.parquet"), "--verbs", "registered,completed"]) == 0
    assert read_traces(tmp_path / "x.parquet").n_events == 2
    ev = json.dumps({"id": "v"})
    ed = _jsonl(tmp_path / "e.log", [_edx("a", "play_video", ev), _edx("a", "seq_goto", ev, course="course-v1:A+B+C")])
    assert main(["import", str(ed), "--out", str(tmp_path / "e.parquet"), "--events", "play_video,seq_goto",
                 "--course", "course-v1:A+B+C"]) == 0
    assert read_traces(tmp_path / "e.parquet").items.tolist() == ["course-v1:A+B+C/v"]


def test_gzip_json_with_bom_and_prefix(tmp_path):
    head = "2023-05-23 13:53:13,461 INFO 20 [tracking] logger.py:41 - "
    path = tmp_path / "tracking.log.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"\xef\xbb\xbf" + (head + json.dumps(_edx("ann", "play_video", json.dumps({"id": "v"})))
                                     + "\n").encode())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_traces(path).n_events == 1


def test_every_hostile_input_raises_only_poem_errors(tmp_path):
    for name, data in [("a.json", b"\x00\x01\x02"), ("b.log", b"{" * 10), ("c.csv", b"\xff\xfe\x00"),
                       ("d.json", b"[1, 2"), ("e.jsonl", b"\n\n#only a comment\n")]:
        path = tmp_path / name
        path.write_bytes(data)
        try:
            t = read_traces(path)
        except PoemError:
            continue
        assert t.n_read == t.n_events + len(t.rejects)


# ------------------------------------------------------------------------------ 17. one account of the skips
def test_17_every_skipped_record_is_counted_once_with_its_reason(tmp_path):
    """edX and xAPI logs mixing a malformed line, a skipped record and a bad score: every line read is
    either an event or exactly one reject, the rejects in reading order with their reasons."""
    edx = tmp_path / "edx.log"
    edx.write_text("\n".join([
        json.dumps(_edx("ann", "problem_check", {"problem_id": "p1", "grade": 1, "max_grade": 1},
                        event_source="server")),
        "{not json",
        json.dumps(_edx("ann", "page_close", {})),
        json.dumps(_edx("bob", "problem_check", {"problem_id": "p1", "grade": 1, "max_grade": 1},
                        event_source="server", course="course-v1:Other+1+2")),
    ]) + "\n")
    t = read_traces(edx, format="edx", course="course-v1:X+Y+Z")
    assert t.n_events == 1 and t.n_read == 4
    assert t.rejects["row"].tolist() == [2, 3, 4]
    assert t.rejects["reason"].tolist() == ["malformed_json", "unknown_event", "other_course"]
    xapi = _jsonl(tmp_path / "x.jsonl", [_st("a", "completed"), {"verb": {}}, _st("c", "experienced"),
                                         _st("d", "scored", result={"score": {"scaled": 3}})])
    t = read_traces(xapi, verbs=["completed", "scored"])
    assert t.n_events == 1 and t.n_read == 4
    assert t.rejects["reason"].tolist() == ["bad_record", "unknown_verb", "score_out_of_range"]
    assert t.rejects["row"].tolist() == [2, 3, 4]


def test_17_a_skip_reason_outside_the_known_codes_is_refused():
    from poem.importers.batch import REASONS, Skips
    skips = Skips("log.json")
    with pytest.raises(ValueError, match="unknown reject reason 'unknwon_event'"):
        skips.add(1, "unknwon_event", "typo")
    skips.add(1, "unknown_event", "kept")
    assert set(skips.frame()["reason"]) <= set(REASONS) and len(skips.frame()) == 1
