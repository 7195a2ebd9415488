"""The six numbered notebooks: committed clean, parameters documented, and each one runs end to end."""

import ast
import subprocess
import sys

import nbformat
import pytest

from poem.errors import NotebookError
from poem.lab.runner import (KERNEL_NAME, find_notebook, has_outputs, list_notebooks, notebook_parameters,
                                  notebooks_dir, run_notebook)
from poem.lab.publish import read_published

NOTEBOOKS = ["01_explore_traces", "02_fit_colony", "03_learning_path_report", "04_parameter_sweep",
             "05_manhill_experiment", "06_real_data_oulad", "07_validation_real_data", "08_viewing_only",
             "09_prerequisite_graph"]

#: tiny parameters so that every notebook runs in a few seconds under pytest, and what each must publish
TINY = {
    "01_explore_traces": ({"max_rejects_shown": 3}, {"n_events", "n_learners", "items_reached"}),
    "02_fit_colony": ({"depth": 1}, {"objective", "respect", "tau"}),
    "03_learning_path_report": ({"n_seeds": 1, "max_learners_listed": 5}, {"path", "trust_level", "n_at_risk"}),
    "04_parameter_sweep": ({"alphas": [1.0], "betas": [2.0], "rhos": [0.1], "depths": [2, 0], "decays": ["none"],
                            "n_seeds": 2}, {"best_setting", "mean_stability", "runs"}),
    "05_manhill_experiment": ({"n_items": 8, "n_cohorts": 2, "cohort_size": 15, "policies": ["none", "colony"],
                               "n_wrong": 1}, {"NRP_none", "NRP_colony", "semet_wrong_left"}),
    "06_real_data_oulad": ({"min_learners": 50}, {"n_learners", "path_length", "tau_vs_planned_weeks"}),
    "07_validation_real_data": ({"assistments_dir": "skip"}, {"oulad_auc_poem", "oulad_rmse_poem"}),
    "08_viewing_only": ({"sizes": [30, 120]}, {"n_videos", "respect", "best_baseline", "respect_by_learners"}),
    "09_prerequisite_graph": ({"scenarios": ["local-soft-1000"], "n_learners": 150, "n_resamples": 4,
                               "thresholds": [0.5, 0.7, 1.0]},
                              {"precision_at_default", "floor_precision", "strict_floor_precision"}),
}


def _parameters_cell(nb):
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell must be tagged 'parameters'"
    return cells[0]


def test_the_six_notebooks_are_there_in_order():
    assert [p.stem for p in list_notebooks()] == NOTEBOOKS
    assert find_notebook("4") == find_notebook("parameter_sweep") == notebooks_dir() / "04_parameter_sweep.ipynb"
    assert find_notebook("04_parameter_sweep.ipynb") == find_notebook("04_parameter_sweep") == find_notebook("04")
    with pytest.raises(NotebookError, match="available: 01_explore_traces"):
        find_notebook("no_such_notebook")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_clean(name):
    path = find_notebook(name)
    assert not has_outputs(path), f"{path.name} carries outputs or execution counts: strip them before committing"
    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME
    assert "papermill" not in nb.metadata
    assert all("papermill" not in c.metadata for c in nb.cells)
    assert len({c.id for c in nb.cells}) == len(nb.cells)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_holds_documented_plain_literals(name):
    nb = nbformat.read(str(find_notebook(name)), as_version=4)
    cell = _parameters_cell(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0] is cell, "the parameters cell must be the first code cell"
    tree = ast.parse(cell.source)
    for statement in tree.body:
        assert isinstance(statement, (ast.Assign, ast.AnnAssign)), ast.dump(statement)
        ast.literal_eval(statement.value)  # raises on anything but a plain literal
    declared = notebook_parameters(name)
    assert len(declared) == len(tree.body) and "publish_path" in declared
    assert all(info["help"] for info in declared.values()), "every parameter needs a comment"
    assert all(info["type"] != "None" for info in declared.values()), "annotate every parameter's type"


def test_papermill_help_lists_parameters_with_their_comments():
    path = find_notebook("03")
    out = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(path)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for name, info in notebook_parameters(path).items():
        assert name in out.stdout
        assert info["help"].split()[0] in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_end_to_end_on_tiny_parameters(name, tmp_path):
    parameters, expected = TINY[name]
    out = tmp_path / f"{name}.ipynb"
    run_notebook(name, out, parameters, publish_path=tmp_path / "published.json", timeout=120)
    published = read_published(tmp_path / "published.json")
    assert expected <= set(published), f"{name} did not publish {expected - set(published)}"
    executed = nbformat.read(str(out), as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert images, f"{name} shows no figure"
    # a notebook ends on what it shows, not on a stray value returned by its last publish() (06 is out of scope)
    last = [c for c in executed.cells if c.cell_type == "code"][-1]
    if name != "06_real_data_oulad":
        assert not [o for o in last.outputs if o.output_type == "execute_result"], last.outputs


def test_kernel_display_name_agrees_with_the_makefile(repo_dir):
    """JupyterLab marks a notebook modified as soon as it opens it when the kernel's display name (set by
    the Makefile's `ipykernel install`) differs from the one stored in the notebook."""
    import re

    from poem.lab.runner import make_notebook

    installed = re.search(r'ipykernel install .*--display-name "([^"]+)"', (repo_dir / "Makefile").read_text())
    assert installed, "the Makefile no longer registers the kernel"
    stored = {p.stem: nbformat.read(str(p), as_version=4).metadata["kernelspec"]["display_name"]
              for p in list_notebooks()}
    assert set(stored.values()) == {installed.group(1)}, stored
    assert make_notebook([]).metadata["kernelspec"]["display_name"] == installed.group(1)
