"""Real platform samples (``../shared/data/real_logs``, see its SOURCES.md): every file is read with the
accounting intact, and a few rows of each kind are checked by hand against the raw files.

The samples are AGPL / Apache files kept beside the repository, never copied into it; the tests skip
when ``../shared`` is absent.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest

from poem.cli.main import main
from poem.errors import PoemError
from poem.io import read_traces


@pytest.fixture(scope="module")
def real(request):
    from conftest import SHARED

    path = SHARED / "data" / "real_logs"
    if not path.is_dir():
        pytest.skip("../shared/data/real_logs is not present on this machine")
    return path


def _rows(traces):
    frame = traces.to_frame()
    return [(r.learner, r.item, r.timestamp.isoformat(), None if np.isnan(r.score) else r.score)
            for r in frame.itertuples()]


def test_every_real_sample_keeps_its_accounting(real):
    for path in sorted(real.glob("*/*")):
        if path.suffix in (".md", ".txt"):
            continue
        try:
            t = read_traces(path)
        except PoemError as exc:
            assert path.stat().st_size == 0, f"{path.name}: {exc}"  # only the empty log may fail
            continue
        assert t.n_read == t.n_events + len(t.rejects), path.name
        assert not t.rejects["reason"].isna().any()


def test_tutor_tracking_log_prefix_and_double_grade(real):
    t = read_traces(real / "edx" / "erb_tutor_tracking.log")
    # 12 events behind Python logging headers; lines 3 and 11 are broken in the original
    assert t.n_read == 12
    rej = t.rejects.set_index("row")
    assert rej.loc[3, "reason"] == rej.loc[11, "reason"] == "malformed_json"
    # line 7 is the server problem_check of bmtcril (grade 1 of 1); line 6 the grade event of the same
    # submission, rejected as its repeat rather than counted twice
    assert _rows(t) == [("bmtcril", "block-v1:edX+DemoX+Demo_Course+type@problem+block@"
                         "932e6f2ce8274072a355a94560216d1a", "2023-05-23T14:12:17.398107+00:00", 1.0)]
    assert rej.loc[6, "reason"] == "duplicate" and "line 7" in rej.loc[6, "detail"]


def test_problem_response_log_hand_checked_rows(real):
    t = read_traces(real / "edx" / "pipeline_problem_response_tracking.log")
    rows = _rows(t)
    block = "block-v1:OpenCraft+PRDemo1+2016+type@problem+block@"
    # the first server problem_check (line 195): scooby, grade 0 of 1
    assert rows[0] == ("scooby", block + "d2069c02adc347318bc6e022705f2346", "2016-09-06T04:57:09.509001+00:00",
                       0.0)
    assert rows[3] == ("scooby", block + "9ddba291e7d549bc96128f3accd34e80", "2016-09-07T04:57:21.465996+00:00",
                       1.0)
    assert t.n_learners == 2 and t.n_events == 25


def test_segment_mobile_events(real):
    t = read_traces(real / "edx" / "pipeline_load_events_acceptance_segment_20150414.log")
    assert _rows(t)[0] == ("staff@edx.org", "block-v1:edX+DemoX+2T2016+type@video+block@"
                           "dcf121c8ce734eec99bf09182c2991be", "2015-04-14T19:42:52.237000+00:00", None)


def test_commented_pipeline_log_is_auto_detected(real):
    t = read_traces(real / "edx" / "pipeline_video_timeline.log")
    assert t.n_read == 25 and t.n_events == 18
    assert (t.rejects["detail"].str.contains("comment line")).all()


def test_event_tracking_shapes(real):
    proc = real / "edx_processed"
    block = "block-v1:edX+DemoX+Demo_Course+type@problem+block@"
    assert _rows(read_traces(proc / "complete_video.json")) == [
        ("edx", "course-v1:edX+DemoX+Demo_Course/0b9e39477cf34507a7a48f74be381fdd",
         "2020-07-15T06:46:41.543562+00:00", 1.0)]
    assert _rows(read_traces(proc / "edx.grades.problem.submitted.json")) == [
        ("edx", block + "3fc5461f86764ad7bdbdf6cbdde61e66", "2020-07-15T05:59:29.700909+00:00", 0.0)]
    assert _rows(read_traces(proc / "edx.completion.block_completion.changed.json")) == [
        ("edx", block + "7c54b16c8ed34f9f8772015178c7a175", "2023-08-22T20:16:25.500832+00:00", 1.0)]
    assert read_traces(proc / "problem_check(browser).json").rejects["reason"].tolist() == ["unknown_event"]


def test_xapi_spec_examples_and_voiding(real):
    for name in ("derived_xapi_spec_examples.json", "derived_xapi_spec_examples.jsonl"):
        t = read_traces(real / "xapi" / name)
        # only the "attempted" statement is a learning verb; scaled score 0.95, duration PT1234S
        assert _rows(t) == [("example.learner@adlnet.gov", "http://example.adlnet.gov/xapi/example/simpleCBT",
                             "2015-12-18T12:17:00+00:00", 0.95)]
        assert t.duration.tolist() == [1234.0]
        assert t.rejects["reason"].tolist() == ["unknown_verb"] * 3
        assert "voiding statement" in t.rejects["detail"].iloc[-1]


def test_xapi_event_routing_statements(real):
    t = read_traces(real / "xapi" / "derived_erb_xapi_all.jsonl")
    arr = read_traces(real / "xapi" / "derived_erb_xapi_all.json")
    assert _rows(t) == _rows(arr) and t.n_read == arr.n_read == 90
    counts = t.rejects["reason"].value_counts().to_dict()
    assert counts["unknown_verb"] == 53  # enrolment, forum, navigation... never path items
    # the course "failed" (no result) has score 0; the course "passed" score 1: not duplicates of each other
    frame = t.to_frame()
    course = frame[frame["item"] == "http://localhost:18000/course/course-v1:edX+DemoX+Demo_Course"]
    assert sorted(course["score"].tolist()) == [0.0, 1.0]
    with_all = read_traces(real / "xapi" / "derived_erb_xapi_all.jsonl", verbs="all")
    assert with_all.n_events > t.n_events


def test_caliper_samples(real):
    cal = real / "caliper"
    user = "http://localhost:18000/user/32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb"
    block = "http://localhost:18000/xblock/block-v1:edX+DemoX+Demo_Course+type@"
    assert _rows(read_traces(cal / "erb_caliper_problem_check(server).json")) == [
        (user, block + "problem+block@3fc5461f86764ad7bdbdf6cbdde61e66", "2020-07-14T14:39:26.906000+00:00", 0.0)]
    assert _rows(read_traces(cal / "erb_caliper_play_video.json")) == [
        (user, block + "video+block@0b9e39477cf34507a7a48f74be381fdd", "2020-07-15T06:52:55.057000+00:00", None)]


def test_folder_with_the_empty_log_is_read(real, tmp_path):
    files = [real / "edx" / "pipeline_module_engagement_acceptance_empty.log",
             real / "edx" / "pipeline_video_timeline.log"]
    with pytest.warns(UserWarning, match="skipped 1 empty file"):
        t = read_traces(files, format="edx")
    assert t.n_events == 18


def _raw_usernames(path):
    text = path.read_text(errors="replace")
    names = set(re.findall(r'"username": ?"([^"]+)"', text))
    return {n for n in names if len(n) >= 4}


@pytest.mark.parametrize("name", ["pipeline_user_activity_tracking.log", "pipeline_problem_response_tracking.log",
                                  "erb_tutor_tracking.log", "pipeline_answer_dist_acceptance_tracking.log"])
def test_pseudonymised_real_import_leaks_no_username(real, tmp_path, name):
    src = real / "edx" / name
    names = _raw_usernames(src)
    assert names
    out, rej = tmp_path / "t.parquet", tmp_path / "r.csv"
    assert main(["import", str(src), "--out", str(out), "--rejects", str(rej), "--pseudonymise",
                 "--key", "k"]) == 0
    back = read_traces(out)
    written = (rej.read_text() + json.dumps(back.rejects.astype(str).to_dict())
               + " ".join(back.learners.tolist()) + " ".join(back.items.tolist()))
    leaked = sorted(n for n in names if n in written)
    assert not leaked, leaked
    assert pd.read_csv(rej)["detail"].notna().all()
