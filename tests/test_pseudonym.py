"""Keyed pseudonyms across runs and the re-identification round trip (library and `poem reidentify`)."""

import os
import stat

import numpy as np
import pandas as pd
import pytest

from poem.errors import ParameterError
from poem.pseudonym import (KEY_ENV, KEY_FILE_ENV, load_key, new_key_file, pseudonymise, reidentify)
from poem.report.data import display_ids

IDS = np.array(["ann", "bob", "cid", "dee", "ann"], dtype=object)


def test_display_ids_stable_with_a_key_and_different_without(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    keyed = [display_ids(IDS, pseudonymised=False, key="platform-key") for _ in range(3)]
    assert all((k == keyed[0]).all() for k in keyed)          # the same learner, the same pseudonym, every run
    assert keyed[0][0] == keyed[0][4] and len(set(keyed[0])) == 4
    unkeyed = [display_ids(IDS, pseudonymised=False) for _ in range(2)]
    assert not set(unkeyed[0]) & set(unkeyed[1])              # without a key, each run draws a new one
    assert not set(unkeyed[0]) & set(keyed[0])
    monkeypatch.setenv(KEY_ENV, "platform-key")               # the environment variable is the same key
    assert (display_ids(IDS, pseudonymised=False) == keyed[0]).all()


def test_load_key_order_and_errors(tmp_path):
    keyfile = new_key_file(tmp_path / "poem.key")
    assert stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600    # readable by its owner only
    from_file = keyfile.read_text().strip()
    assert len(from_file) == 64
    assert load_key("explicit", key_file=keyfile, env={KEY_ENV: "env"}) == "explicit"
    assert load_key(key_file=keyfile, env={KEY_ENV: "env"}) == from_file
    assert load_key(env={KEY_ENV: "env", KEY_FILE_ENV: str(keyfile)}) == "env"
    assert load_key(env={KEY_FILE_ENV: str(keyfile)}) == from_file
    assert load_key(env={}) is None
    with pytest.raises(ParameterError, match="already exists"):
        new_key_file(keyfile)                                  # replacing a key would orphan every pseudonym
    with pytest.raises(ParameterError, match="does not exist.*--new-key"):
        load_key(key_file=tmp_path / "missing.key")
    (tmp_path / "empty.key").write_text("\n")
    with pytest.raises(ParameterError, match="empty"):
        load_key(key_file=tmp_path / "empty.key")


def test_reidentify_round_trip_and_wrong_key():
    ids = [f"learner-{k}" for k in range(200)]
    chosen = ids[5:25]
    pseudonyms = pseudonymise(chosen, "k1")
    assert reidentify(pseudonyms, ids, "k1") == dict(zip(pseudonyms, chosen))
    assert set(reidentify(pseudonyms, ids, "k2").values()) == {None}  # another key re-identifies nobody
    assert reidentify(pseudonyms, ids[30:], "k1") == dict.fromkeys(pseudonyms)  # learner not in the list


def test_cli_reidentify_round_trip(tmp_path, capsys, monkeypatch):
    from poem.cli.main import main

    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    keyfile = tmp_path / "poem.key"
    assert main(["reidentify", "--new-key", str(keyfile)]) == 0
    key = keyfile.read_text().strip()
    assert key not in capsys.readouterr().out                  # the key is never printed
    ids = [f"u{k:03d}" for k in range(50)]
    pd.DataFrame({"learner": ids, "item": "x"}).to_csv(tmp_path / "ids.csv", index=False)
    at_risk = pd.DataFrame({"learner": pseudonymise(["u007", "u042", "u003"], key), "status": "stalled"})
    at_risk.loc[3] = ["pffffffffffffffffffff", "drifting"]      # a learner the platform list does not hold
    at_risk.to_csv(tmp_path / "at_risk.csv", index=False)
    assert main(["reidentify", str(tmp_path / "at_risk.csv"), "--key", str(keyfile), "--learners",
                 str(tmp_path / "ids.csv"), "--out", str(tmp_path / "named.csv")]) == 0
    named = pd.read_csv(tmp_path / "named.csv", keep_default_na=False)
    assert named.columns.tolist() == ["learner", "learner_id", "status"]
    assert named["learner_id"].tolist() == ["u007", "u042", "u003", ""]
    assert "1 pseudonyms match no learner" in capsys.readouterr().err
    # a wrong key is an error naming the likely cause, not an empty column
    (tmp_path / "other.key").write_text("another key\n")
    assert main(["reidentify", str(tmp_path / "at_risk.csv"), "--key", str(tmp_path / "other.key"),
                 "--learners", str(tmp_path / "ids.csv")]) == 1
    assert "wrong key" in capsys.readouterr().err
    assert main(["reidentify", str(tmp_path / "at_risk.csv"), "--learners", str(tmp_path / "ids.csv")]) == 1
    assert "--key FILE" in capsys.readouterr().err
