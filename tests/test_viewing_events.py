"""What the video events say (positions, lengths, seeks) from the importers to the viewing evidence:
edX sessions, the xAPI video profile, Caliper media events, the canonical file's video columns."""

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.colony.viewing import viewing_evidence, watched_seconds, watched_share
from poem.importers.edx import video_session_stats
from poem.io import read_traces, write_traces
from poem.traces import VIDEO_FIELDS, Traces

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real_logs"
VIDEO = "block-v1:X+Y+Z+type@video+block@v"
T0 = pd.Timestamp("2024-05-01T10:00:00Z")


def _edx_log(path, events, learner="ann"):
    """A tracking log of ``(seconds after T0, event_type, event fields)`` for one learner and video."""
    lines = []
    for sec, etype, fields in events:
        lines.append(json.dumps({"username": learner, "event_type": etype, "event_source": "browser",
                                 "time": (T0 + pd.Timedelta(seconds=sec)).isoformat(),
                                 "context": {"course_id": "course-v1:X+Y+Z"},
                                 "event": json.dumps({"id": VIDEO, **fields})}))
    path.write_text("\n".join(lines) + "\n")
    return path


CATALOG = pd.DataFrame({"item": [VIDEO], "kind": ["video"], "length": [300.0]})


def _one_visit(tmp_path, events):
    t = read_traces(_edx_log(tmp_path / "tracking.log", events), format="edx", video_sessions=True)
    assert t.n_events == 1 and t.n_read == len(events)
    return t


def test_background_tab_is_no_longer_watched(tmp_path):
    # play at 0, then nothing until a stop at 60 s of content 25 minutes later (the tab was hidden)
    t = _one_visit(tmp_path, [(0, "play_video", {"currentTime": 0}), (1500, "stop_video", {"currentTime": 60})])
    assert t.duration.tolist() == [1500.0] and t.video["covered"].tolist() == [60.0]
    assert watched_share(t, CATALOG).tolist() == [0.2]  # 60 / 300, not 1500 / 300 = 5
    ev = viewing_evidence(t, CATALOG, threshold=0.8)
    assert ev.labels.tolist() == ["abandoned"] and ev.score.tolist() == [0.0]
    # the same visit read from its wall clock only: "played" 5 times its length, no evidence at all
    wall = replace(t, video=None)
    assert viewing_evidence(wall, CATALOG, threshold=0.8).labels.tolist() == ["background"]


def test_skip_ahead_is_not_complete(tmp_path):
    # play 0 -> 20, jump to 280 (the player plays on), stop at the end: 20 + 20 s of a 300 s video
    t = _one_visit(tmp_path, [(0, "play_video", {"currentTime": 0}),
                              (20, "seek_video", {"old_time": 20, "new_time": 280, "type": "onSlideSeek"}),
                              (21, "play_video", {"currentTime": 280}), (41, "stop_video", {"currentTime": 300})])
    assert t.video["covered"].tolist() == [40.0] and t.video["position_max"].tolist() == [300.0]
    assert t.video["seeks_back"].tolist() == [0.0]
    assert watched_share(t, CATALOG) == pytest.approx([40 / 300])
    assert viewing_evidence(t, CATALOG, threshold=0.8).labels.tolist() == ["abandoned"]


def test_pauses_speed_changes_and_seeks_back(tmp_path):
    # play 0 -> pause 100; resume 100 -> speed x1.5 at 160 -> seek back 250 -> 200 (one seek back)
    # -> pause 290: segments [0,100] [100,160] [160,250] [200,290]: union [0, 290]
    t = _one_visit(tmp_path, [(0, "play_video", {"currentTime": 0}), (100, "pause_video", {"currentTime": 100}),
                              (400, "play_video", {"currentTime": 100}),
                              (460, "speed_change_video", {"current_time": 160, "old_speed": "1.0",
                                                           "new_speed": "1.5"}),
                              (520, "seek_video", {"old_time": 250, "new_time": 200}),
                              (580, "pause_video", {"currentTime": 290, "duration": 300})])
    assert t.video["covered"].tolist() == [290.0] and t.video["seeks_back"].tolist() == [1.0]
    assert t.video["length"].tolist() == [300.0] and t.video["position_max"].tolist() == [290.0]
    # wall clock: each play to the next event only, 100 s + 60 s (to the speed change): it misses the
    # playing after the speed change and the seek, the positions do not
    assert t.duration.tolist() == [160.0]
    # no catalogue: the length comes from the events' "duration"
    assert watched_share(t) == pytest.approx([290 / 300])
    ev = viewing_evidence(t, threshold=0.8)
    assert ev.labels.tolist() == ["struggled"] and ev.score.tolist() == [0.75]
    assert viewing_evidence(t, threshold=0.8, struggle_seeks=2).labels.tolist() == ["complete"]


def test_a_play_without_position_falls_back_on_the_wall_clock(tmp_path):
    t = _one_visit(tmp_path, [(0, "play_video", {}), (250, "pause_video", {"currentTime": 250})])
    assert np.isnan(t.video["covered"]).all() and watched_seconds(t).tolist() == [250.0]


def test_session_stats_by_hand():
    nan = np.nan
    mark = np.array([[0, nan, nan, nan, nan],    # load: nothing played -> covered 0
                     [1, 10, nan, nan, nan],     # second session: play at 10
                     [1, 50, nan, nan, nan],     # play again at 50 (player resent it): [10, 50]
                     [2, 70, nan, nan, 60],      # pause at 70, length 60: [50, 70] clipped to [50, 60]
                     [3, nan, 40, 39.5, nan]])   # a 0.5 s jump back is scrubbing, not a seek back
    got = video_session_stats(np.array([0, 1, 5]), mark)
    assert got["covered"].tolist() == [0.0, 50.0] and got["seeks_back"].tolist() == [0.0, 0.0]
    assert np.isnan(got["position_max"][0]) and got["position_max"][1] == 60.0
    assert np.isnan(got["length"][0]) and got["length"][1] == 60.0


def _statement(verb, sec, result_ext=None, length=200.0, learner="ann", obj="http://x.org/video/1"):
    st = {"actor": {"account": {"homePage": "http://x.org", "name": learner}},
          "verb": {"id": f"https://w3id.org/xapi/video/verbs/{verb}"},
          "object": {"id": obj, "definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}},
          "context": {"extensions": {"https://w3id.org/xapi/video/extensions/length": length}},
          "timestamp": (T0 + pd.Timedelta(seconds=sec)).isoformat()}
    if result_ext:
        st["result"] = {"extensions": {f"https://w3id.org/xapi/video/extensions/{k}": v
                                       for k, v in result_ext.items()}}
    return st


def test_xapi_video_profile_session_is_one_visit(tmp_path):
    statements = [
        _statement("played", 0, {"time": 0}),
        _statement("paused", 60, {"time": 60, "progress": 0.3, "played-segments": "0[.]60"}),
        _statement("seeked", 70, {"time-from": 60, "time-to": 20}),
        _statement("played", 71, {"time": 20}),
        _statement("paused", 300, {"time": 190, "progress": 0.95, "played-segments": "0[.]60[,]20[.]190"}),
        # a week later, one statement with progress only: 40 % of the 200 s video
        _statement("paused", 7 * 86400, {"time": 80, "progress": 0.4}),
    ]
    path = tmp_path / "statements.json"
    path.write_text(json.dumps(statements))
    t = read_traces(path, format="xapi")
    frame = t.to_frame()
    assert frame["covered"].tolist()[1] == 60.0 and frame["covered"].tolist()[4] == 190.0
    assert frame["covered"].tolist()[5] == pytest.approx(80.0)       # 0.4 x 200
    assert frame["length"].tolist() == [200.0] * 6
    assert frame["seeks_back"].tolist()[2] == 1.0
    assert frame["position_max"].tolist()[4] == 190.0
    ev = viewing_evidence(t, threshold=0.8, return_window=0)
    # the session's five statements are one visit held by its last one: 190 / 200 = 0.95, with a seek
    # back; the visit a week later is a review of an understood video (return_window=0: with one video,
    # any return would otherwise say the complete view did not land)
    assert ev.labels.tolist() == ["folded"] * 4 + ["struggled", "review"]
    assert ev.share[4] == pytest.approx(0.95) and np.isnan(ev.share[:4]).all()
    chunked = read_traces(path, format="xapi", chunksize=2)
    for k in t.video:
        np.testing.assert_array_equal(chunked.video[k], t.video[k])


def test_xapi_progress_as_a_percentage():
    from poem.importers.xapi import video_fields

    got = video_fields(_statement("paused", 0, {"progress": 50}, length=300))
    assert got["covered"] == 150.0 and np.isnan(got["seeks_back"])
    assert np.isnan(video_fields(_statement("paused", 0, {"progress": 0.5}, length=0))["covered"])


def test_canonical_file_round_trips_the_video_columns(tmp_path):
    frame = pd.DataFrame({"learner": ["b", "a", "a"], "item": ["v", "v", "w"],
                          "timestamp": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-03"], utc=True),
                          "duration": [10.0, np.nan, 5.0], "covered": [8.0, np.nan, -0.0],
                          "seeks_back": [0.0, 2.0, np.nan], "length": [300.0, 300.0, np.nan]})
    t = Traces.from_frame(frame)
    assert sorted(t.video) == ["covered", "length", "seeks_back"]
    np.testing.assert_array_equal(t.video["seeks_back"], [2.0, np.nan, 0.0])  # sorted: a, a, b
    back = read_traces(write_traces(t, tmp_path / "t.parquet"))
    assert sorted(back.video) == sorted(t.video)
    for k in t.video:
        assert back.video[k].tobytes() == t.video[k].tobytes(), k  # bit for bit, -0.0 and NaN included
    assert back.to_frame().equals(t.to_frame())
    plain = read_traces(write_traces(replace(t, video=None), tmp_path / "p.parquet"))
    assert plain.video is None and list(plain.to_frame().columns) == ["learner", "item", "timestamp", "score",
                                                                        "duration"]


def test_edx_sessions_round_trip_and_chunks(tmp_path):
    edx = REPO / "tests" / "fixtures" / "edx_tracking.log"
    t = read_traces(edx, video_sessions=True)
    assert set(t.video) == set(VIDEO_FIELDS)
    back = read_traces(write_traces(t, tmp_path / "t.parquet"))
    assert back.to_frame().equals(t.to_frame())
    for chunksize in (1, 4, 7):
        part = read_traces(edx, video_sessions=True, chunksize=chunksize)
        assert part.to_frame().equals(t.to_frame()), chunksize


def test_subsets_keep_the_video_columns_aligned():
    frame = pd.DataFrame({"learner": ["a", "b", "b"], "item": ["v", "v", "w"], "covered": [1.0, 2.0, 3.0],
                          "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True)})
    t = Traces.from_frame(frame)
    assert t.select_learners(np.array([False, True])).video["covered"].tolist() == [2.0, 3.0]
    keep = np.array([True, False, True])
    with pytest.warns(UserWarning, match="select_events"):
        dropped = replace(t, learner=t.learner[keep], item=t.item[keep], timestamp=t.timestamp[keep],
                          score=t.score[keep], duration=t.duration[keep])
    assert dropped.video is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t.select_events(keep).video["covered"].tolist() == [1.0, 3.0]


def test_real_xapi_and_caliper_video_fields():
    if not REAL.is_dir():
        pytest.skip("../shared/data/real_logs is not present")
    seek = read_traces(REAL / "xapi" / "erb_expected_seek_video.json", format="xapi")
    # event-routing-backends' seeked statement: time-from 194.381 -> time-to 10.0 in a 195 s video
    assert seek.video["seeks_back"].tolist() == [1.0] and seek.video["length"].tolist() == [195.0]
    pause = read_traces(REAL / "xapi" / "erb_expected_pause_video.json", format="xapi")
    assert pause.video["length"].tolist() == [195.0] and "covered" not in pause.video
    media = read_traces(REAL / "caliper" / "erb_caliper_play_video.json", format="caliper")
    assert media.video["length"].tolist() == [195.0]  # "duration": "PT3M15S"
    assert np.isnan(media.video["position_max"]).all()  # a Resumed event: not a position reached

_POS = st.one_of(st.just(np.nan), st.floats(0, 400, allow_nan=False))
_MARK = st.tuples(st.integers(0, 5), _POS, _POS, _POS, st.one_of(st.just(np.nan), st.floats(1, 400)))


@settings(max_examples=200, deadline=None)
@given(st.lists(_MARK, min_size=1, max_size=30), st.integers(1, 4))
def test_session_stats_invariants(rows, n_sessions):
    mark = np.array(rows, dtype=float)
    cuts = np.unique(np.linspace(0, len(rows), n_sessions + 1).astype(np.int64))
    got = video_session_stats(cuts, mark)
    for k in range(len(cuts) - 1):
        part = mark[cuts[k]:cuts[k + 1]]
        cov, far, length = got["covered"][k], got["position_max"][k], got["length"][k]
        seeks = part[:, 0] == 3
        assert 0 <= got["seeks_back"][k] <= seeks.sum()
        if not np.isnan(length):
            assert length == np.nanmax(part[:, 4])
        if np.isnan(cov):  # only when a play had no position to start from
            assert ((part[:, 0] == 1) & np.isnan(part[:, 1])).any()
            continue
        assert cov >= 0
        if cov > 0:  # distinct content played fits between 0 and the furthest position played to
            assert 0 < far and cov <= far + 1e-9
            assert np.isnan(length) or far <= length
        else:
            assert np.isnan(far)


def test_the_colony_reads_the_covered_seconds():
    from poem.antcolony import ManHill

    t = read_traces(REPO / "tests" / "fixtures" / "edx_tracking.log", video_sessions=True)
    intro = "block-v1:POEMx+EDX101+2024+type@video+block@intro"
    lesson2 = "block-v1:POEMx+EDX101+2024+type@video+block@lesson2"
    catalog = pd.DataFrame({"item": [intro, lesson2], "kind": "video", "length": [240, 240]})
    model = ManHill().fit(t, catalog=catalog, viewing={"threshold": 0.8})
    video = model.viewing_.is_video
    expected = t.video["covered"][video] / 240
    np.testing.assert_allclose(model.viewing_.share[video], expected)
    # wall clock would have made ann's intro visit 300 / 240 = 1.25; the covered content says 1.0
    assert 1.0 in model.viewing_.share[video].tolist() and 1.25 not in model.viewing_.share[video].tolist()


def _media(action, sec, at, learner="urn:u:1", video="urn:video:1"):
    return {"type": "MediaEvent", "action": action, "actor": {"id": learner, "type": "Person"},
            "eventTime": (T0 + pd.Timedelta(seconds=sec)).isoformat(),
            "object": {"id": video, "type": "VideoObject", "duration": "PT3M"},
            "target": {"id": "_:MediaLocation", "type": "MediaLocation", "currentTime": f"PT{at}S"}}


def test_caliper_media_session_is_one_visit(tmp_path):
    events = [_media("Started", 0, 0), _media("Paused", 60, 60),
              _media("Started", 30, 0, learner="urn:u:2"),            # another learner between
              _media("Resumed", 100, 60), _media("Ended", 220, 180),
              _media("Started", 40, 0, learner="urn:u:2"), _media("JumpedTo", 50, 170, learner="urn:u:2"),
              _media("Ended", 60, 180, learner="urn:u:2")]
    path = tmp_path / "caliper.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    t = read_traces(path, format="caliper")
    frame = t.to_frame()
    one = frame[frame["learner"] == "urn:u:1"]
    # 0 -> 60, then 60 -> 180: all 180 s of the video, on the session's last event
    assert one["covered"].isna().tolist() == [True] * 3 + [False] and one["covered"].iloc[-1] == 180.0
    assert one["length"].tolist() == [180.0] * 4 and one["position_max"].iloc[-1] == 180.0
    # learner 2: Started 0 at 30 s; at 40 s Started 0 again (0 -> 0); jumped to 170, ended at 180:
    # 10 s (the content before the jump is not known: a lower bound)
    two = frame[frame["learner"] == "urn:u:2"]
    assert two["covered"].iloc[-1] == 10.0 and two["covered"].isna().sum() == 3
    ev = viewing_evidence(t, threshold=0.8)
    assert ev.labels[(frame["learner"] == "urn:u:1").to_numpy()].tolist() == ["folded"] * 3 + ["complete"]
    assert ev.labels[(frame["learner"] == "urn:u:2").to_numpy()].tolist() == ["folded"] * 3 + ["abandoned"]
    chunked = read_traces(path, format="caliper", chunksize=2)
    assert chunked.to_frame().equals(frame)


def test_pseudonymised_import_keeps_each_visit_with_its_video_fields():
    edx = REPO / "tests" / "fixtures" / "edx_tracking.log"
    keys = ["item", "timestamp", "duration", "covered", "position_max", "seeks_back"]
    plain = read_traces(edx, video_sessions=True).to_frame()[keys]
    hashed = read_traces(edx, video_sessions=True, pseudonymise_key="k").to_frame()[keys]
    # learners are renamed and re-sorted: the same visits, each with the same fields
    assert plain.sort_values(keys).reset_index(drop=True).equals(hashed.sort_values(keys).reset_index(drop=True))
