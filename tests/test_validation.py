"""Next-attempt validation (poem.ordering.validation), the DKT reader and ``poem validate``."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poem.cli.main import main
from poem.errors import ParameterError, TraceFormatError
from poem.importers.dkt import read_dkt
from poem.io import read_traces
from poem.ordering.validation import (
    PFA, ItemRate, PlainElo, auc, log_loss, reliability_table, rmse, split_traces, validate)
from poem.traces import Traces


def dkt_text(records):
    return "".join(f"{len(i)}\n{','.join(map(str, i))},\n{','.join(map(str, s))},\n" for i, s in records)


def course(n_learners=150, seed=0):
    rng = np.random.default_rng(seed)
    diff = np.linspace(-1.5, 1.5, 5)
    rows = []
    for l in range(n_learners):
        th = rng.normal(0.3, 1.0)
        for t in range(10):
            j = int(rng.integers(5))
            s = float(rng.random() < 1 / (1 + np.exp(diff[j] - th)))
            th += 0.2 * s
            rows.append((f"L{l:03d}", str(j), t + 100 * l, s))
    frame = pd.DataFrame(rows, columns=["learner", "item", "t", "score"])
    frame["timestamp"] = pd.to_datetime(frame.pop("t"), unit="s", utc=True)
    return Traces.from_frame(frame)


# ------------------------------------------------------------------------------------ metrics
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), min_size=2, max_size=30))
def test_auc_is_the_share_of_correctly_ordered_pairs(pairs):
    y = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    pos, neg = p[y == 1], p[y == 0]
    if not len(pos) or not len(neg):
        assert np.isnan(auc(y, p))
        return
    brute = np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(pos, neg)])
    assert auc(y, p) == pytest.approx(brute)


def test_rmse_log_loss_and_reliability_by_hand():
    y = np.array([1, 0, 1, 1])
    p = np.array([0.9, 0.2, 0.6, 0.8])
    assert rmse(y, p) == pytest.approx(np.sqrt((0.01 + 0.04 + 0.16 + 0.04) / 4))
    assert log_loss(y, p) == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.6, 0.8])))
    rel = reliability_table(y, p, bins=2)
    assert rel["n"].tolist() == [1, 3]
    assert rel["predicted"].tolist() == pytest.approx([0.2, (0.9 + 0.6 + 0.8) / 3])
    assert rel["observed"].tolist() == pytest.approx([0.0, 1.0])
    assert rel["n"].sum() == len(y)


# ------------------------------------------------------------------------------------ splits
def test_learner_split_holds_out_whole_learners_deterministically():
    t = course()
    train, held, mask = split_traces(t, "learners", 0.2, seed=3)
    a = set(train.learners[np.unique(train.learner)])
    b = set(held.learners[np.unique(held.learner)])
    assert not a & b and len(a) + len(b) == 150 and len(b) == 30
    assert mask.all()
    again = split_traces(t, "learners", 0.2, seed=3)[1]
    assert (again.learner == held.learner).all()


def test_time_split_predicts_only_after_the_cut_with_the_whole_past_as_history():
    t = course()
    train, held, mask = split_traces(t, "time", 0.25)
    cut = train.timestamp.max()
    assert (held.timestamp[mask] > cut).all()
    assert 0.2 < mask.sum() / t.n_events < 0.3
    assert (~mask).any()  # earlier events of those learners serve as history


def test_split_and_validate_refuse_bad_parameters():
    t = course(20)
    with pytest.raises(ParameterError, match="split"):
        split_traces(t, "random")
    with pytest.raises(ParameterError, match="test_share"):
        split_traces(t, "learners", 1.5)
    with pytest.raises(ParameterError, match="pass_mark"):
        validate(t, pass_mark=0)


# ------------------------------------------------------------------------------------ peers and driver
def test_peers_predict_from_earlier_attempts_only():
    t = course()
    b = t.trail_bounds()
    for peer in (ItemRate(), PFA(), PlainElo()):
        peer.fit(t.item, t.score, b, t.n_items)
        p = np.asarray(peer.predict(t.item, t.score, b))
        flipped = t.score.copy()
        flipped[b[2]] = 1 - flipped[b[2]]
        p2 = np.asarray(peer.predict(t.item, flipped, b))
        assert p2[b[2]] == pytest.approx(p[b[2]]), peer.name
        assert ((p > 0) & (p < 1)).all()


def test_validate_runs_every_model_on_the_same_attempts():
    res = validate(course(200, seed=1), seed=0)
    assert res.table["model"].tolist() == ["POEM", "item rate", "PFA", "ELO"]
    assert res.table["n"].nunique() == 1
    assert all(len(p) == len(res.y) for p in res.predictions.values())
    poem = res.table.set_index("model").loc["POEM"]
    assert poem["auc"] > res.table.set_index("model").loc["item rate", "auc"]
    assert abs(poem["mean_predicted"] - poem["observed"]) < 0.1  # 40 held-out learners: sampling noise
    assert "| POEM |" in res.to_markdown()


# ------------------------------------------------------------------------------------ DKT format
def test_dkt_reader_round_trip_and_format_entry(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(dkt_text([([82, 82, 7], [0, 1, 1]), ([10], [1])]))
    t = read_traces(path, format="dkt")
    f = t.to_frame()
    assert f["learner"].tolist() == ["train:000000"] * 3 + ["train:000001"]
    assert f["item"].tolist() == ["82", "82", "7", "10"]
    assert f["score"].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert f["timestamp"].is_monotonic_increasing or (f["timestamp"].diff().dropna().dt.total_seconds() != 0).any()
    with pytest.raises(ParameterError, match="dkt"):
        read_traces(path, format="dkt", item="x")


def test_dkt_reader_rejects_a_bad_record_whole_and_counts_it(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("2\n1,2,\n0,1,\n3\n1,2,\n0,1,\n1\n4,\n7,\n")
    t = read_dkt(path)
    assert t.n_events == 2
    assert t.summary().n_read == t.n_events + len(t.rejects)
    assert t.rejects["reason"].tolist() == ["malformed_row", "malformed_row"]
    assert "count 3" in t.rejects["detail"].iloc[0] and "outside [0, 1]" in t.rejects["detail"].iloc[1]
    (tmp_path / "odd.csv").write_text("2\n1,2\n")
    with pytest.raises(TraceFormatError, match="multiple of 3"):
        read_dkt(tmp_path / "odd.csv")


# ------------------------------------------------------------------------------------ CLI
def test_cli_validate_writes_markdown_and_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    recs = []
    for _ in range(120):
        items = rng.integers(0, 4, 8).tolist()
        recs.append((items, [int(rng.random() < 0.3 + 0.15 * i) for i in items]))
    path = tmp_path / "course.csv"
    path.write_text(dkt_text(recs))
    assert main(["validate", str(path), "--format", "dkt", "--seed", "1", "--out", str(tmp_path / "v.md")]) == 0
    text = (tmp_path / "v.md").read_text()
    assert "| POEM |" in text and "| ELO |" in text and "POEM reliability" in text
    assert main(["validate", str(path), "--format", "dkt", "--out", str(tmp_path / "v.csv")]) == 0
    table = pd.read_csv(tmp_path / "v.csv")
    assert set(table["model"]) == {"POEM", "item rate", "PFA", "ELO"}
    assert main(["validate", str(path), "--format", "dkt", "--test-share", "2"]) == 1
    assert "test_share" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ real data (../shared)
def test_assistments_next_attempt_poem_beats_its_peers(shared_dir):
    folder = shared_dir / "data" / "assistments2009"
    if not (folder / "builder_test.csv").is_file():
        pytest.skip("ASSISTments 2009 DKT split not present")
    t = read_traces(folder / "builder_test.csv", format="dkt")
    res = validate(t, "learners", 0.2, seed=0)
    table = res.table.set_index("model")
    assert table.loc["POEM", "auc"] >= table["auc"].drop("POEM").max()
    assert table.loc["POEM", "rmse"] <= table["rmse"].drop("POEM").min()
    assert abs(table.loc["POEM", "mean_predicted"] - table.loc["POEM", "observed"]) < 0.02


@pytest.mark.parametrize("name", ["poem.colony.success", "poem.ordering.validation", "poem.importers.dkt"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_too_few_failures_is_reported_as_not_enough_evidence():
    t = course(150, seed=2)
    easy = Traces.from_frame(t.to_frame().assign(score=lambda f: np.where(f.index % 97 == 0, 0.0, 1.0)))
    res = validate(easy, seed=0)
    assert res.evidence.startswith("Not enough evidence")
    assert "Not enough evidence" in res.to_markdown()
    assert "standard error" in validate(t, seed=0).evidence


def test_outcome_bins_of_notebook_06_have_readable_labels():
    from poem.lab.experiments import outcomes_by_agreement

    table = pd.DataFrame({"learner": ["a", "b", "c"], "agreement": [-1.0, 0.2, 0.9], "outcome": [0.0, 0.5, 1.0],
                          "items": [3, 3, 3]})
    labels = outcomes_by_agreement(table)["agreement"].tolist()
    assert labels == ["-1 to 0", "0 to 0.3", "0.3 to 0.6", "0.6 to 1"]


def test_report_prediction_check_on_the_course_own_latest_attempts():
    from poem.report.data import prediction_check

    t = course(150, seed=4)
    check = prediction_check(t)
    assert check["enough"] and 0.5 < check["auc"] <= 1 and check["failures"] >= 30
    assert check["n"] == pytest.approx(0.2 * t.n_events, rel=0.15)
    unscored = Traces.from_frame(t.to_frame().assign(score=np.nan))
    assert prediction_check(unscored) is None
    easy = Traces.from_frame(t.to_frame().assign(score=lambda f: np.where(f.index % 97 == 0, 0.0, 1.0)))
    assert prediction_check(easy)["enough"] is False
