"""Batch runs: one notebook, many parameter sets, one results table.

A batch file (YAML) lists the runs, either as a grid (every combination) or as an explicit list::

    # grid.yaml -- 2 x 2 = 4 runs, each also getting the fixed parameters
    grid:
      alpha: [0.5, 1.0]
      seed: [0, 1]
    parameters:        # optional: the same for every run
      n_learners: 60

    # list.yaml -- exactly these runs
    runs:
      - {alpha: 0.5, seed: 0}
      - {alpha: 2.0, seed: 3}

A bare mapping of lists is read as a grid and a bare list as a list of runs. Each run executes in its own
folder ``OUT/runs/<run id>/`` which keeps the executed notebook (``notebook.ipynb``), the values the notebook
published (``published.json``, see :mod:`poem.lab.publish`) and the run's record (``run.json``: parameters,
status, error, seconds). A failing run is recorded with its error and the others go on. At the end
``OUT/results.csv`` and ``OUT/results.parquet`` hold one row per run: ``run, status, error, seconds,
notebook``, then the parameters, then the published values (renamed ``result_<name>`` if a published name
is also a parameter).

Run ids are derived from the parameter values, so rerunning the same batch skips the runs that already
succeeded (failed runs are retried) unless ``force=True``.

Examples
--------
>>> expand_runs({"grid": {"a": [1, 2], "b": ["x"]}, "parameters": {"n": 5}})
[{'n': 5, 'a': 1, 'b': 'x'}, {'n': 5, 'a': 2, 'b': 'x'}]
>>> run_id({"a": 1, "b": "x"})
'a-1_b-x-3503c86e'
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

from poem.errors import NotebookError, ParameterError, PoemError
from poem.lab.runner import DEFAULT_TIMEOUT, find_notebook, run_notebook
from poem.lab.publish import read_published

__all__ = ["load_runs", "expand_runs", "run_id", "run_batch", "collect_results", "RESULT_COLUMNS"]

#: the bookkeeping columns that lead every results table
RESULT_COLUMNS = ["run", "status", "error", "seconds", "notebook"]


def expand_runs(spec) -> list[dict]:
    """Turn a batch specification (mapping or list, as described in the module docstring) into runs.

    Raises
    ------
    ParameterError
        If the specification has an unknown shape, an empty grid axis, or a run that is not a mapping.

    Examples
    --------
    >>> expand_runs([{"seed": 1}, {"seed": 2}])
    [{'seed': 1}, {'seed': 2}]
    >>> expand_runs({"alpha": [1, 2]})
    [{'alpha': 1}, {'alpha': 2}]
    """
    if isinstance(spec, list):
        spec = {"runs": spec}
    if not isinstance(spec, dict) or not spec:
        raise ParameterError(f"a batch file must hold a mapping (grid) or a list (runs), got {spec!r}")
    if not {"grid", "runs", "parameters"} & set(spec):
        spec = {"grid": spec}
    unknown = set(spec) - {"grid", "runs", "parameters"}
    if unknown:
        raise ParameterError(f"unknown batch file key(s) {sorted(unknown)}; use grid, runs and parameters")
    fixed = spec.get("parameters") or {}
    if not isinstance(fixed, dict):
        raise ParameterError(f"batch 'parameters' must be a mapping, got {fixed!r}")
    runs = []
    grid = spec.get("grid")
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise ParameterError(f"batch 'grid' must be a non-empty mapping of name -> list, got {grid!r}")
        axes = {}
        for name, values in grid.items():
            values = values if isinstance(values, list) else [values]
            if not values:
                raise ParameterError(f"grid parameter {name!r} has no values")
            axes[name] = values
        runs += [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
    for i, run in enumerate(spec.get("runs") or []):
        if not isinstance(run, dict):
            raise ParameterError(f"batch run #{i + 1} must be a mapping of parameters, got {run!r}")
        runs.append(dict(run))
    if not runs:
        raise ParameterError("the batch file defines no run")
    return [{**fixed, **run} for run in runs]


def load_runs(path) -> list[dict]:
    """Read a YAML batch file and expand it with :func:`expand_runs`.

    Raises
    ------
    ParameterError
        If the file is missing or is not valid YAML.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"batch file {path} does not exist")
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"batch file {path} is not valid YAML: {exc}") from exc
    return expand_runs(spec)


def run_id(parameters: dict, slug_keys=None) -> str:
    """A stable folder name for a parameter set: the readable values of ``slug_keys`` (default: all) plus a
    hash of the exact values of every parameter.

    Examples
    --------
    >>> run_id({"seed": 1, "n": 500}, slug_keys=["seed"])
    'seed-1-a6462ac5'
    """
    canonical = json.dumps(parameters, sort_keys=True, default=str)
    digest = hashlib.sha1(canonical.encode()).hexdigest()[:8]
    keys = list(parameters) if slug_keys is None else [k for k in slug_keys if k in parameters]
    slug = "_".join(f"{k}-{parameters[k]}" for k in keys)
    slug = re.sub(r"[^A-Za-z0-9.=_-]+", "", slug)[:60] or "run"
    return f"{slug}-{digest}"


def _execute(notebook: str, parameters: dict, run_dir: str, timeout: float) -> dict:
    """One run, in a worker process: execute, then write and return its record (never raises)."""
    import warnings

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    published = run_dir / "published.json"
    published.unlink(missing_ok=True)  # a retried run must not inherit values from its failed attempt
    record = {"run": run_dir.name, "parameters": parameters, "status": "ok", "error": None,
              "notebook": str(run_dir / "notebook.ipynb")}
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run_notebook(notebook, run_dir / "notebook.ipynb", parameters, timeout=timeout,
                         publish_path=published)
        except PoemError as exc:
            record.update(status="failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 -- a batch records every failure and goes on
            record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    record["seconds"] = round(time.monotonic() - started, 3)
    record["warnings"] = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    (run_dir / "run.json").write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")
    return record


def _read_record(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def run_batch(notebook, runs, out_dir, *, jobs=1, force=False, timeout=DEFAULT_TIMEOUT,
              progress=True) -> pd.DataFrame:
    """Execute ``notebook`` once per parameter set, ``jobs`` at a time, and write the results table.

    Parameters
    ----------
    notebook : str or Path
        A notebook path or a short name (see :func:`poem.lab.runner.find_notebook`).
    runs : list of dict, or str / Path
        Parameter sets, or a YAML batch file read with :func:`load_runs`.
    out_dir : str or Path
        Batch folder; receives ``runs/``, ``results.csv`` and ``results.parquet``.
    jobs : int
        Runs executed at the same time (each in its own process and kernel).
    force : bool
        Rerun runs that already succeeded.
    timeout : float
        Seconds any one cell may run.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    DataFrame
        The results table (also written to disk), one row per run in the order of ``runs``;
        ``table.attrs["skipped"]`` counts the runs that had already succeeded and were not executed again.

    Raises
    ------
    ParameterError
        If ``jobs`` is not a positive integer or the runs are malformed (two identical runs, for instance).
    NotebookError
        If the notebook cannot be found. A failing *run* does not raise: it is recorded in the table.
    """
    from tqdm.auto import tqdm

    if not isinstance(jobs, (int, np.integer)) or isinstance(jobs, bool) or jobs < 1:
        raise ParameterError(f"jobs must be a positive integer, got {jobs!r}")
    if isinstance(runs, (str, Path)):
        runs = load_runs(runs)
    runs = expand_runs(runs if isinstance(runs, dict) else list(runs))
    path = find_notebook(notebook).resolve()
    out_dir = Path(out_dir)
    # name runs after what varies between them; the hash still covers every parameter
    varying = [k for k in dict.fromkeys(k for r in runs for k in r)
               if len({json.dumps(r.get(k), sort_keys=True, default=str) for r in runs}) > 1]
    ids = [run_id(r, varying or None) for r in runs]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ParameterError(f"the batch lists the same parameter set twice ({dup})")
    records = {}
    todo = []
    for rid, params in zip(ids, runs):
        previous = None if force else _read_record(out_dir / "runs" / rid)
        if previous is not None and previous.get("status") == "ok":
            records[rid] = previous
        else:
            todo.append((rid, params))
    bar = tqdm(total=len(runs), initial=len(runs) - len(todo), desc=f"poem batch {path.stem}", unit="run",
               disable=not progress)
    try:
        if jobs == 1 or len(todo) <= 1:
            for rid, params in todo:
                records[rid] = _execute(str(path), params, str(out_dir / "runs" / rid), timeout)
                bar.update()
        else:
            # spawn, not fork: the parent may hold threads (tqdm's monitor, zmq) that fork would copy broken
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context) as pool:
                futures = {pool.submit(_execute, str(path), params, str(out_dir / "runs" / rid), timeout): rid
                           for rid, params in todo}
                for future in as_completed(futures):
                    records[futures[future]] = future.result()
                    bar.update()
    finally:
        bar.close()
    table = _results_table([records[rid] for rid in ids], out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "results.csv", index=False)
    _parquet_safe(table).to_parquet(out_dir / "results.parquet", index=False)
    # successful runs of an earlier call that were not executed again (callers say so: "3 skipped")
    table.attrs["skipped"] = len(runs) - len(todo)
    return table


def _results_table(records: list[dict], out_dir: Path) -> pd.DataFrame:
    rows = []
    for rec in records:
        params = rec.get("parameters", {})
        row = {"run": rec["run"], "status": rec["status"], "error": rec.get("error"),
               "seconds": rec.get("seconds"), "notebook": rec.get("notebook")}
        row.update(params)
        published = read_published(out_dir / "runs" / rec["run"] / "published.json")
        for name, value in published.items():
            key = f"result_{name}" if name in row else name
            row[key] = json.dumps(value) if isinstance(value, (list, dict)) else value
        rows.append(row)
    table = pd.DataFrame(rows)
    return table[RESULT_COLUMNS + [c for c in table.columns if c not in RESULT_COLUMNS]]


def _parquet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: a column mixing, say, numbers and strings is stored as text."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object:
            kinds = {type(v) for v in out[col] if v is not None and not (isinstance(v, float) and np.isnan(v))}
            if len(kinds) > 1:
                out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out


def collect_results(out_dir) -> pd.DataFrame:
    """The results table of a finished batch (read from ``results.parquet``).

    Raises
    ------
    NotebookError
        If ``out_dir`` holds no results table.
    """
    path = Path(out_dir) / "results.parquet"
    if not path.is_file():
        raise NotebookError(f"{out_dir} holds no batch results (results.parquet is missing)")
    return pd.read_parquet(path)
