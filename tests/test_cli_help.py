"""The command line documents itself: every command has a description, every argument a help text, and
`poem audit` speaks to people (rounded numbers, an explicit "no findings")."""

import json

import pandas as pd
import pytest

from poem.cli.main import build_parser, main


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def test_every_command_and_argument_is_documented():
    commands = _subcommands()
    assert {"suggest", "audit", "demo", "report", "reidentify", "batch"} <= set(commands)
    undocumented = [(name, a.option_strings or a.dest) for name, sub in commands.items() for a in sub._actions
                    if a.help is None and a.dest != "help"]
    assert undocumented == []
    assert [name for name, sub in commands.items() if not sub.description] == []


def test_report_help_names_the_privacy_key(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--pseudonym-key KEYFILE" in out and "POEM_PSEUDONYM_KEY" in out and "poem reidentify" in out
    assert "--timestamp-format PATTERN" in out and "'%d/%m/%Y %H:%M'" in out


def test_audit_rounds_and_says_when_it_finds_nothing(tmp_path, capsys):
    from poem.lab.runner import data_path

    # the demo course has abnormal failures: numbers rounded to 4 significant digits, not 16
    assert main(["fit", str(data_path("demo", "traces.csv")), "--out", str(tmp_path / "demo.npz")]) == 0
    capsys.readouterr()
    assert main(["audit", str(tmp_path / "demo.npz")]) == 0
    table = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert len(table) and (table["kind"] == "abnormal_failure").any()
    for col in ("value", "expected"):
        digits = table[col].dropna().map(lambda v: len(repr(v).lstrip("-0.").replace(".", "").rstrip("0")))
        assert digits.max() <= 4, table[col]
    assert main(["audit", str(tmp_path / "demo.npz"), "--format", "json"]) == 0
    assert all(len(repr(r["value"])) <= 7 for r in json.loads(capsys.readouterr().out) if r["value"] is not None)
    # a clean course: an empty audit says how many items were checked, and stays valid CSV for programs
    rows = [(f"u{k}", item, f"2024-01-0{1 + j}T10:00:00+00:00", 1.0 if k % 4 else 0.0)
            for k in range(12) for j, item in enumerate(["intro", "basics", "advanced"])]
    pd.DataFrame(rows, columns=["learner", "item", "timestamp", "score"]).to_csv(tmp_path / "t.csv", index=False)
    assert main(["fit", str(tmp_path / "t.csv"), "--out", str(tmp_path / "c.npz")]) == 0
    capsys.readouterr()
    assert main(["audit", str(tmp_path / "c.npz")]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == "no findings: 3 items checked"
    assert captured.out == "kind,item,target,value,expected,support,detail\n"
