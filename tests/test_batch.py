"""``poem batch``: grid and list expansion, run ids, a 2 x 2 grid with one failing run, reruns."""

import json
import math

import nbformat
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from poem.lab.batch import RESULT_COLUMNS, collect_results, expand_runs, load_runs, run_batch, run_id
from poem.cli.main import main
from poem.errors import NotebookError, ParameterError
from poem.lab.runner import make_notebook

PARAMS = "x = 1  # first axis\ny = 1  # second axis\n"
CELLS = [
    "from poem.lab.publish import publish",
    "publish('product', x * y)\npublish('x', 'clash')\npublish('pair', [x, y])",
    "assert not (x == 2 and y == 2), 'the (2, 2) run fails on purpose'",
    "publish('after', 1)",
]
GRID = "grid:\n  x: [1, 2]\n  y: [1, 2]\n"


@pytest.fixture()
def notebook(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(make_notebook(CELLS, parameters=PARAMS), str(path))
    return path


@pytest.fixture()
def grid(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(GRID)
    return path


# ---------------------------------------------------------------- specifications
def test_expand_grid_list_and_fixed():
    spec = {"grid": {"a": [1, 2], "b": ["u", "v", "w"]}, "parameters": {"n": 9},
            "runs": [{"a": 5, "n": 1}]}
    runs = expand_runs(spec)
    assert len(runs) == 2 * 3 + 1
    assert runs[0] == {"n": 9, "a": 1, "b": "u"} and runs[5] == {"n": 9, "a": 2, "b": "w"}
    assert runs[-1] == {"n": 1, "a": 5}  # a run's own value wins over the fixed parameters
    assert expand_runs({"a": [1, 2], "b": 3}) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]
    assert expand_runs([{"s": 1}, {"s": 2}]) == [{"s": 1}, {"s": 2}]


@pytest.mark.parametrize("spec, match", [
    ({}, "mapping"), (None, "mapping"), ({"grid": {"a": []}}, "no values"),
    ({"grid": {}, "runs": []}, "non-empty"), ({"runs": [3]}, "run #1"),
    ({"grid": {"a": [1]}, "extra": 1}, "extra"), ({"parameters": {"a": 1}}, "no run"),
])
def test_expand_rejects_malformed_specs(spec, match):
    with pytest.raises(ParameterError, match=match):
        expand_runs(spec)


def test_load_runs_errors(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        load_runs(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("grid: [unclosed")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_runs(tmp_path / "bad.yaml")


@settings(max_examples=60, deadline=None)
@given(axes=st.dictionaries(st.sampled_from("abcdef"),
                            st.lists(st.integers(-5, 5) | st.text("xyz", max_size=2), min_size=1, max_size=3,
                                     unique=True), min_size=1, max_size=3))
def test_grid_is_the_full_product_with_distinct_ids(axes):
    runs = expand_runs({"grid": axes})
    assert len(runs) == math.prod(len(v) for v in axes.values())
    ids = [run_id(r) for r in runs]
    assert len(set(ids)) == len(ids)
    assert all(set(r) == set(axes) for r in runs)


def test_the_shipped_example_batch_file_fits_notebook_04():
    from poem.lab.runner import notebook_parameters, notebooks_dir

    runs = load_runs(notebooks_dir() / "sweep_grid.yaml")
    assert len(runs) == 6
    declared = set(notebook_parameters("04"))
    assert all(set(run) <= declared for run in runs)


def test_run_id_is_stable_and_type_sensitive():
    assert run_id({"a": 1}) == run_id({"a": 1})
    assert run_id({"a": 1}) != run_id({"a": "1"})
    assert run_id({"a": "x/../y z"}).startswith("a-x..yz-")  # no path separators in folder names
    assert run_id({"a": 1, "b": 2}, slug_keys=["b"]).startswith("b-2-")
    assert run_id({"a": 1, "b": 2}, slug_keys=["b"]) != run_id({"a": 3, "b": 2}, slug_keys=["b"])


# ---------------------------------------------------------------- running
def test_batch_two_by_two_with_one_failure(notebook, grid, tmp_path):
    out = tmp_path / "batch"
    table = run_batch(notebook, grid, out, jobs=2, progress=False, timeout=60)
    assert len(table) == 4
    assert list(table.columns[:len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert table["status"].tolist() == ["ok", "ok", "ok", "failed"]
    assert table["run"].str.match(r"^x-\d_y-\d-[0-9a-f]{8}$").all()  # named after what varies
    failed = table.iloc[3]
    assert (failed["x"], failed["y"]) == (2, 2)
    assert "AssertionError: the (2, 2) run fails on purpose" in failed["error"]
    assert table["product"].tolist() == [1, 2, 2, 4]  # published before the failing cell
    assert table["result_x"].tolist() == ["clash"] * 4  # a published name equal to a parameter is renamed
    assert json.loads(table.loc[1, "pair"]) == [1, 2]
    assert pd.isna(table.loc[3, "after"]) and table.loc[0, "after"] == 1
    for nb_path in table["notebook"]:  # every run keeps its executed notebook, the failing one too
        assert nbformat.read(nb_path, as_version=4).metadata["papermill"]["parameters"]
    on_disk = pd.read_csv(out / "results.csv")
    assert len(on_disk) == 4 and on_disk["status"].tolist() == table["status"].tolist()
    parquet = collect_results(out)
    assert parquet[["run", "status", "x", "y", "product"]].equals(table[["run", "status", "x", "y", "product"]])


def test_rerun_skips_done_runs_and_force_reruns_them(notebook, tmp_path):
    out = tmp_path / "batch"
    runs = [{"x": 1, "y": 1}, {"x": 2, "y": 2}]
    first = run_batch(notebook, runs, out, progress=False, timeout=60)
    ok_record = (out / "runs" / first.loc[0, "run"] / "run.json").read_text()
    again = run_batch(notebook, runs, out, progress=False, timeout=60)
    assert (out / "runs" / first.loc[0, "run"] / "run.json").read_text() == ok_record  # skipped
    assert first.attrs["skipped"] == 0 and again.attrs["skipped"] == 1
    assert again["status"].tolist() == ["ok", "failed"]  # the failed run was retried and failed again
    forced = run_batch(notebook, runs[:1], out, force=True, progress=False, timeout=60)
    assert (out / "runs" / first.loc[0, "run"] / "run.json").read_text() != ok_record
    assert len(forced) == 1 and forced.loc[0, "status"] == "ok"


def test_batch_records_unknown_parameters_as_warnings(notebook, tmp_path):
    table = run_batch(notebook, [{"x": 1, "y": 1, "typo": 3}], tmp_path / "b", progress=False, timeout=60)
    record = json.loads((tmp_path / "b" / "runs" / table.loc[0, "run"] / "run.json").read_text())
    assert record["status"] == "ok" and any("typo" in w for w in record["warnings"])


def test_batch_argument_errors(notebook, tmp_path):
    with pytest.raises(ParameterError, match="jobs"):
        run_batch(notebook, [{"x": 1}], tmp_path, jobs=0)
    with pytest.raises(ParameterError, match="twice"):
        run_batch(notebook, [{"x": 1}, {"x": 1}], tmp_path)
    with pytest.raises(NotebookError, match="no notebook called"):
        run_batch("no_such_notebook", [{"x": 1}], tmp_path)
    with pytest.raises(NotebookError, match="no batch results"):
        collect_results(tmp_path)


def test_cli_batch_reports_the_failure(notebook, grid, tmp_path, capsys):
    code = main(["batch", str(notebook), "--grid", str(grid), "--out", str(tmp_path / "cli"), "--jobs", "2",
                 "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "4 runs: 3 ok, 1 failed" in captured.out
    assert "fails on purpose" in captured.err
    assert len(pd.read_csv(tmp_path / "cli" / "results.csv")) == 4
    # a rerun says what it did not execute again, and no kernel writes its own log lines to the terminal
    code = main(["batch", str(notebook), "--grid", str(grid), "--out", str(tmp_path / "cli"), "--jobs", "2",
                 "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1 and "4 runs: 0 ok, 3 skipped (already done; --force reruns them), 1 failed" in captured.out


def test_batch_with_two_jobs_is_quiet(notebook, tmp_path):
    """`poem batch --jobs 2` where every run succeeds: the summary line only, no kernel noise on stderr."""
    import subprocess
    import sys

    grid = tmp_path / "ok.yaml"
    grid.write_text("runs:\n  - {x: 1, y: 1}\n  - {x: 3, y: 1}\n")
    done = subprocess.run([sys.executable, "-c", "import sys; from poem.cli.main import main; sys.exit(main())",
                           "batch", str(notebook), "--grid", str(grid), "--out", str(tmp_path / "b"), "--jobs", "2",
                           "--no-progress"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 runs: 2 ok, 0 failed")
    for noise in ("IPKernelApp", "KeyboardInterrupt", "Traceback"):
        assert noise not in done.stderr, done.stderr
