"""The team report on a viewing-only course (issue 16): completion and abandonment instead of a success rate,
one sentence saying what the evidence is, and the suggestions marked as resting on viewing only."""

import re

import numpy as np
import pandas as pd
import pytest

from poem.report import data as rd
from poem.traces import Traces


def _headers(html):
    return re.findall(r"<th>([^<]*)</th>", html)


def _headings(html):
    return [h.strip() for h in re.findall(r"<h[1-3][^>]*>([^<]*)", html)]


@pytest.fixture(scope="module")
def video_reports(tmp_path_factory):
    """`poem report` on the bundled viewing-only course, in English and in French."""
    from poem.cli.main import main
    from poem.lab.runner import data_path

    out = tmp_path_factory.mktemp("video")
    demo = data_path("demo_video")
    pages = {}
    for lang in ("en", "fr"):
        assert main(["report", str(demo / "traces.csv"), "--catalog", str(demo / "catalog.csv"), "--out",
                     str(out / f"{lang}.html"), "--lang", lang, "--n-seeds", "2"]) == 0
        pages[lang] = (out / f"{lang}.html").read_text(encoding="utf-8")
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_viewing_report_shows_completion_not_success(video_reports, lang):
    from poem.report.texts import COLUMNS, TEXTS

    html = video_reports[lang]
    headers = _headers(html)
    for column in ("completion", "abandonment", "threshold", "recent_completion"):
        assert COLUMNS[column][lang] in headers, column
    for column in ("success_rate", "predicted_success", "recent_success"):
        assert COLUMNS[column][lang] not in headers, column
    # one sentence says what the evidence is; the failing-items section becomes the abandoned videos
    assert TEXTS["viewing_evidence"][lang].split("**")[1] in html
    assert TEXTS["abandoned_heading"][lang].lstrip("# ") in _headings(html)
    assert TEXTS["failing_heading"][lang].lstrip("# ") not in _headings(html)
    # the at-risk list and the trust level say they rest on viewing only
    assert TEXTS["viewing_caveat"][lang].split("**")[1] in html
    assert TEXTS["viewing_only"][lang].replace("'", "&#x27;") in html or TEXTS["viewing_only"][lang] in html


@pytest.mark.slow
def test_viewing_report_french_has_no_english_heading(video_reports):
    from poem.report.texts import TEXTS

    html = video_reports["fr"]
    assert '<html lang="fr">' in html
    for key in ("path_heading", "abandoned_heading", "risk_heading", "trust_heading"):
        assert TEXTS[key]["en"].lstrip("# ") not in html, key


def _course(scores=None):
    frame = pd.DataFrame({
        "learner": ["a", "a", "b", "b", "c"], "item": ["v", "w", "v", "w", "v"],
        "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-02 10:00",
                                     "2024-01-02 11:00", "2024-01-03 10:00"], utc=True),
        "duration": [95.0, 20.0, 10.0, 190.0, 100.0]})
    if scores is not None:
        frame["score"] = scores
    return Traces.from_frame(frame)


def test_viewing_course_reads_visits_by_hand():
    catalog = pd.DataFrame({"kind": ["video", "video"], "length": [100.0, 200.0]},
                           index=pd.Index(["v", "w"], name="item"))
    traces = _course()
    view = rd.viewing_course(traces, threshold=0.8)
    assert view["only"] and view["threshold"] == pytest.approx(0.8)
    summary = view["summary"]
    # v: a and c watched it through, b stopped it at 10 %; w (length from the events' 90th percentile)
    assert summary.loc["v", "completion"] == pytest.approx(2 / 3)
    assert summary.loc["v", "abandonment"] == pytest.approx(1 / 3)
    assert np.isnan(view["traces"].score).sum() == 0  # every visit became evidence
    with_catalog = rd.viewing_course(Traces.from_frame(traces.to_frame(), item_info=catalog), threshold=0.8)
    assert with_catalog["summary"].loc["w", "completion"] == pytest.approx(0.5)  # 190 of 200 s; 20 of 200 s


def test_scored_course_is_not_read_as_viewing():
    assert rd.viewing_course(_course(scores=[1.0, 0.0, 1.0, 1.0, 0.0])) is None
    from poem.io import read_traces
    from poem.lab.runner import data_path

    demo = data_path("demo")
    assert rd.viewing_course(read_traces(demo / "traces.csv", catalog=demo / "catalog.csv")) is None


def test_viewing_steps_replace_or_add_the_success_rate():
    steps = pd.DataFrame({"item": ["v", "q"], "success_rate": [np.nan, 0.7], "predicted_success": [np.nan, 0.6]})
    summary = pd.DataFrame({"completion": [0.5], "abandonment": [0.25], "threshold": [0.9]},
                           index=pd.Index(["v"], name="item"))
    only = rd.viewing_steps(steps, summary)
    assert "success_rate" not in only and only["completion"].tolist()[0] == 0.5
    mixed = rd.viewing_steps(steps, summary, replace=False)
    assert mixed["success_rate"].tolist()[1] == 0.7 and np.isnan(mixed["completion"].tolist()[1])
    assert np.isnan(rd.viewing_steps(steps.assign(success_rate=0.9), summary, replace=False)["success_rate"][0])


def test_abandoned_videos_flags_beyond_the_spread_only():
    rates = [0.1, 0.12, 0.1, 0.11, 0.13, 0.09, 0.6]
    summary = pd.DataFrame({"learners": [100] * 6 + [100], "abandonment": rates, "completion": 0.8},
                           index=pd.Index(list("abcdefg"), name="item"))
    out = rd.abandoned_videos(summary)
    assert out["item"].tolist() == ["g"] and out["expected"].iloc[0] == pytest.approx(0.11)
    # too few viewers: not enough evidence, not flagged
    assert rd.abandoned_videos(summary.assign(learners=[100] * 6 + [5])).empty
    # a course whose videos spread widely flags none of them for an ordinary high rate
    wide = summary.assign(abandonment=[0.1, 0.2, 0.3, 0.4, 0.5, 0.25, 0.6])
    assert rd.abandoned_videos(wide).empty


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_viewing_report_quotes_the_measured_precision_of_its_arrows(video_reports, lang):
    from poem.report.texts import TEXTS

    html = video_reports[lang]
    drawn = TEXTS["graph_not_enough"][lang].split("{")[0].replace("'", "&#x27;") not in html
    caveat = TEXTS["graph_viewing_caveat"][lang].split("**")[1]
    assert (caveat in html) == drawn
    if drawn:   # the quoted figures are the measured ones
        from poem.report.texts import number
        from poem.report.measured import VIEWING_GRAPH_PRECISION

        after = html.split(caveat)[1][:1500]
        for key in ("mean", "worst"):
            assert number(VIEWING_GRAPH_PRECISION[key], lang, percent=True) in after, key
        # and the share of real prerequisites arrows read from watching covered: the viewing courses' own
        from poem.report.measured import GRAPH_RECALL, VIEWING_GRAPH_RECALL

        missing = TEXTS["graph_missing"][lang].split("**")[1]
        after = html.replace("&#x27;", "'").split(missing)[1][:1000]
        for key in ("mean", "low", "high"):
            assert number(VIEWING_GRAPH_RECALL[key], lang, percent=True) in after, key
        assert number(GRAPH_RECALL["high"], lang, percent=True) not in after

