"""`poem import`: summary line, outputs, exit codes, pseudonymisation; in-process and as a real command."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from poem.cli.main import main
from poem.io import bundled_oulad_dir, read_traces

FIXTURES = Path(__file__).parent / "fixtures"
T0 = "2024-01-01T00:00:00Z"


def _csv(tmp_path, text):
    path = tmp_path / "in.csv"
    path.write_text(text)
    return path


def test_import_writes_canonical_file_and_rejects(tmp_path, capsys):
    src = _csv(tmp_path, f"learner,item,timestamp,score\nann,x,{T0},1\n,y,{T0},0\nbob,y,{T0},7\n")
    out, rej = tmp_path / "t.parquet", tmp_path / "rejects.csv"
    assert main(["import", str(src), "--out", str(out), "--rejects", str(rej)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("read 3 rows: accepted 1, rejected 2")
    assert read_traces(out).to_frame()["learner"].tolist() == ["ann"]
    assert pd.read_csv(rej)["reason"].tolist() == ["missing_learner", "score_out_of_range"]


def test_import_progress_bar_goes_to_stderr_and_changes_nothing(tmp_path, capsys):
    src = _csv(tmp_path, f"learner,item,timestamp\nann,x,{T0}\n")
    assert main(["import", str(src), "--out", str(tmp_path / "a.parquet"), "--progress"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "read 1 rows: accepted 1, rejected 0" and "poem import" in err
    assert main(["import", str(src), "--out", str(tmp_path / "b.parquet"), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""
    assert read_traces(tmp_path / "a.parquet").to_frame().equals(read_traces(tmp_path / "b.parquet").to_frame())


def test_import_several_sources_and_formats(tmp_path, capsys):
    out = tmp_path / "t.parquet"
    assert main(["import", str(FIXTURES / "edx_tracking.log"), str(FIXTURES / "xapi_statements.jsonl"),
                 "--out", str(out)]) == 0
    assert "read 37 rows" in capsys.readouterr().out
    assert main(["import", str(bundled_oulad_dir()), "--format", "oulad", "--out", str(out)]) == 0
    oulad = read_traces(out)
    # OULAD's final results became outcomes, aligned with the learners (Withdrawn .. Distinction)
    assert oulad.outcomes is not None and len(oulad.outcomes) == oulad.n_learners
    assert set(oulad.outcomes[~np.isnan(oulad.outcomes)]) <= {0.0, 1 / 3, 2 / 3, 1.0}


def test_import_unreadable_input_is_one_line_error(tmp_path, capsys):
    src = _csv(tmp_path, "a,b\n1,2\n")
    assert main(["import", str(src), "--out", str(tmp_path / "t.parquet")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("poem import: error:") and "columns found" in err
    assert main(["import", str(tmp_path / "none.csv"), "--out", str(tmp_path / "t.parquet")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["import", str(src), "--out", str(tmp_path / "t.csv")]) == 1
    assert ".parquet" in capsys.readouterr().err


def test_import_pseudonymise_key_from_env_or_flag(tmp_path, capsys, monkeypatch):
    src = _csv(tmp_path, f"learner,item,timestamp\nann,x,{T0}\nbob,y,{T0}\n")
    out = tmp_path / "t.parquet"
    monkeypatch.delenv("POEM_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("POEM_PSEUDONYM_KEY_FILE", raising=False)
    assert main(["import", str(src), "--out", str(out), "--pseudonymise"]) == 1
    assert "POEM_PSEUDONYM_KEY" in capsys.readouterr().err
    monkeypatch.setenv("POEM_PSEUDONYM_KEY", "s3cret")
    assert main(["import", str(src), "--out", str(out), "--pseudonymise"]) == 0
    env_ids = read_traces(out).learners.tolist()
    assert main(["import", str(src), "--out", str(out), "--pseudonymise", "--key", "s3cret"]) == 0
    assert "warning: --key puts the key in the process list" in capsys.readouterr().err  # discouraged
    t = read_traces(out)
    assert t.pseudonymised and t.learners.tolist() == env_ids
    raw = out.read_bytes()
    assert b"ann" not in raw and b"bob" not in raw
    assert main(["import", str(src), "--out", str(tmp_path / "plain.parquet")]) == 0
    assert b"ann" in (tmp_path / "plain.parquet").read_bytes()  # the check above can see raw ids


def test_import_naive_timestamps_flag(tmp_path, capsys):
    src = _csv(tmp_path, "learner,item,timestamp\nann,x,2024-01-01 10:00\n")
    assert main(["import", str(src), "--out", str(tmp_path / "t.parquet")]) == 1
    assert "naive" in capsys.readouterr().err
    assert main(["import", str(src), "--out", str(tmp_path / "t.parquet"), "--naive-timestamps", "utc"]) == 0


def test_poem_import_as_a_real_command(tmp_path):
    exe = Path(sys.executable).parent / "poem"
    if not exe.exists():
        pytest.skip("the poem console script is not installed in this environment")
    src = _csv(tmp_path, f"case:concept:name,concept:name,time:timestamp\nann,x,{T0}\nann,x,{T0}\n")
    out = tmp_path / "t.parquet"
    env = {k: v for k, v in os.environ.items() if k != "POEM_PSEUDONYM_KEY"}
    done = subprocess.run([str(exe), "import", str(src), "--out", str(out)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "read 2 rows: accepted 1, rejected 1 (duplicate: 1)"
    bad = subprocess.run([str(exe), "import", str(tmp_path / "missing.csv"), "--out", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1


def test_import_pseudonym_key_file_flag_and_env_give_the_same_pseudonyms(tmp_path, capsys, monkeypatch):
    from poem.pseudonym import pseudonymise

    monkeypatch.delenv("POEM_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("POEM_PSEUDONYM_KEY_FILE", raising=False)
    src = _csv(tmp_path, f"learner,item,timestamp\nann,x,{T0}\nbob,y,{T0}\n")
    keyfile = tmp_path / "poem.key"
    assert main(["reidentify", "--new-key", str(keyfile)]) == 0
    key = keyfile.read_text().strip()
    by_flag, by_env = tmp_path / "flag.parquet", tmp_path / "env.parquet"
    assert main(["import", str(src), "--out", str(by_flag), "--pseudonymise", "--pseudonym-key", str(keyfile)]) == 0
    assert "warning" not in capsys.readouterr().err
    monkeypatch.setenv("POEM_PSEUDONYM_KEY_FILE", str(keyfile))
    assert main(["import", str(src), "--out", str(by_env), "--pseudonymise"]) == 0
    expected = sorted(pseudonymise(["ann", "bob"], key).tolist())
    assert read_traces(by_flag).learners.tolist() == expected == read_traces(by_env).learners.tolist()
    # misuse is one clear error
    assert main(["import", str(src), "--out", str(by_flag), "--pseudonym-key", str(keyfile)]) == 1
    assert main(["import", str(src), "--out", str(by_flag), "--pseudonymise", "--pseudonym-key",
                 str(keyfile), "--key", "k"]) == 1
    assert main(["import", str(src), "--out", str(by_flag), "--pseudonymise", "--pseudonym-key",
                 str(tmp_path / "missing.key")]) == 1
    err = capsys.readouterr().err
    assert "only used with --pseudonymise" in err and "both give a key" in err and "does not exist" in err
    assert key not in err


def test_import_and_report_with_one_key_file_show_the_same_pseudonyms(tmp_path, capsys, monkeypatch):
    pytest.importorskip("nbconvert")
    monkeypatch.delenv("POEM_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("POEM_PSEUDONYM_KEY_FILE", raising=False)
    assert main(["simulate", "--items", "12", "--learners", "150", "--seed", "0", "--out",
                 str(tmp_path / "sim")]) == 0
    traces = tmp_path / "sim" / "traces.csv"
    keyfile = tmp_path / "poem.key"
    assert main(["reidentify", "--new-key", str(keyfile)]) == 0
    assert main(["report", str(traces), "--pseudonym-key", str(keyfile), "--out", str(tmp_path / "r.html")]) == 0
    at_risk = pd.read_csv(tmp_path / "r_files" / "learners_at_risk.csv")["learner"].astype(str)
    assert len(at_risk) > 0  # the comparison below is not empty
    out = tmp_path / "t.parquet"
    assert main(["import", str(traces), "--pseudonymise", "--pseudonym-key", str(keyfile), "--out", str(out)]) == 0
    imported = set(read_traces(out).learners.tolist())
    raw = set(pd.read_csv(traces)["learner"].astype(str))
    assert len(imported) == len(raw) and not imported & raw
    assert set(at_risk) <= imported  # the report's learners are the import's pseudonyms
    # and another key gives other pseudonyms: the check above depends on the key
    other = tmp_path / "other.key"
    assert main(["reidentify", "--new-key", str(other)]) == 0
    assert main(["import", str(traces), "--pseudonymise", "--pseudonym-key", str(other), "--out", str(out)]) == 0
    assert not set(at_risk) & set(read_traces(out).learners.tolist())
    capsys.readouterr()
