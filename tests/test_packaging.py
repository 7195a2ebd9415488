"""The two install routes (pip's pyproject.toml, conda's environment.yml) must name the same dependencies."""

import re
import tomllib

import yaml


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_every_pyproject_dependency(repo_dir):
    project = tomllib.loads((repo_dir / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    # dask[dataframe,distributed] is two conda packages
    pip_names |= {"distributed"}
    env = yaml.safe_load((repo_dir / "environment.yml").read_text())
    conda_names = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    assert pip_names - conda_names == set()


def test_console_script_points_at_cli_main(repo_dir):
    project = tomllib.loads((repo_dir / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["poem"] == "poem.cli.main:main"
