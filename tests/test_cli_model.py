"""End-to-end tests of ``poem fit | suggest | audit``."""

import json

import pandas as pd
import pytest

from poem.antcolony import ManHill
from poem.cli.main import main
from poem.cli.model import parse_settings
from poem.errors import ParameterError


@pytest.fixture()
def course(tmp_path):
    rows = []
    for l in range(12):
        for k, item in enumerate(["intro", "basics", "advanced"]):
            rows.append((f"u{l}", item, f"2024-01-0{1 + k}T10:00:00+00:00", 1.0 if l % 4 else 0.0))
    pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"]).to_csv(tmp_path / "traces.csv",
                                                                                  index=False)
    pd.DataFrame({"learner": [f"u{l}" for l in range(12)], "outcome": [0.5] * 12}).to_csv(
        tmp_path / "outcomes.csv", index=False)
    return tmp_path


def test_fit_suggest_audit(course, capsys):
    out = course / "colony.npz"
    code = main(["fit", str(course / "traces.csv"), "--outcomes", str(course / "outcomes.csv"),
                 "--set", "depth=1", "--set", "tour_quality=true", "--out", str(out)])
    accounting, line = capsys.readouterr().out.strip().splitlines()
    assert accounting == "read 36 rows: accepted 36, rejected 0"
    assert code == 0 and line.startswith("fitted colony: 36 events, 12 learners, 3 items")
    model = ManHill.load(out)
    assert model.depth == 1 and model.tour_quality is True
    assert main(["suggest", str(out), "--history", "intro", "--scores", "1", "--k", "2", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got[0]["item"] == "basics" and len(got) == 2 and "dominant_term" in got[0]
    assert main(["suggest", str(out), "--history", "intro,basics", "--scores", "1,1"]) == 0
    assert "advanced" in capsys.readouterr().out
    assert main(["audit", str(out), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []      # a clean course: nothing to report
    assert main(["audit", str(out)]) == 0
    assert capsys.readouterr().out == "kind,item,target,value,expected,support,detail\n"


def test_unknown_setting_names_valid_ones(course, capsys):
    code = main(["fit", str(course / "traces.csv"), "--set", "dept=2", "--out", str(course / "m.npz")])
    err = capsys.readouterr().err
    assert code == 1 and "'dept'" in err and "depth" in err
    assert not (course / "m.npz").exists()


def test_bad_setting_value_fails_before_reading(course, capsys):
    code = main(["fit", str(course / "no-such-traces.csv"), "--set", "depth=-1", "--out", str(course / "m.npz")])
    err = capsys.readouterr().err
    assert code == 1 and "depth must be >= 0" in err and "no-such-traces" not in err


def test_bad_inputs_are_one_line_errors(course, capsys):
    assert main(["suggest", str(course / "missing.npz"), "--history", "a"]) == 1
    assert "does not exist" in capsys.readouterr().err
    main(["fit", str(course / "traces.csv"), "--out", str(course / "m.npz")])
    capsys.readouterr()
    assert main(["suggest", str(course / "m.npz"), "--history", "nowhere"]) == 1
    assert "'nowhere'" in capsys.readouterr().err
    assert main(["suggest", str(course / "m.npz"), "--history", "intro", "--scores", "x"]) == 1
    assert "--scores" in capsys.readouterr().err


def test_syllabus_prior_from_file(course, capsys):
    (course / "syllabus.txt").write_text("intro\nbasics\nadvanced\n")
    assert main(["fit", str(course / "traces.csv"), "--set", f"prior={course / 'syllabus.txt'}",
                 "--out", str(course / "m.npz")]) == 0
    assert ManHill.load(course / "m.npz").prior_.sum() == 3


def test_parse_settings():
    assert parse_settings(["decay=erosion", "session_gap=null", "lam=0.25"]) == {
        "decay": "erosion", "session_gap": None, "lam": 0.25}
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_settings(["depth"])


def test_dask_engine_missing_is_a_clear_error(course, capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "poem.engines.dask", None)   # import fails as if not installed
    code = main(["fit", str(course / "traces.csv"), "--engine", "dask", "--out", str(course / "m.npz")])
    assert code == 1 and "poem.engines.dask" in capsys.readouterr().err


def test_scheduler_needs_dask_engine(course, capsys):
    code = main(["fit", str(course / "traces.csv"), "--scheduler", "tcp://x:1", "--out", str(course / "m.npz")])
    assert code == 1 and "--engine dask" in capsys.readouterr().err
