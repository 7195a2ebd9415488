"""Named results that a notebook run hands back to whoever ran it: ``publish(name, value)``.

A notebook calls ``publish("respect", 0.83)`` for every figure worth collecting. Each call adds or replaces
one key of a small JSON object stored in one file per run, so the file always holds the latest value of every
name. :mod:`poem.lab.batch` reads these files back and gathers them into one table, one row per run.

Where the file lives, first match wins:

1. the ``path`` argument of :func:`publish` (a notebook passes its ``publish_path`` parameter);
2. the ``POEM_PUBLISH`` environment variable (set by :mod:`poem.lab.runner` for each run);
3. nowhere: outside a managed run (say, in JupyterLab) the value is only returned, so notebooks can call
   :func:`publish` unconditionally.

Values must be JSON-friendly: numbers, strings, booleans, None, and lists or dicts of those. numpy scalars
and arrays are converted; NaN is stored as ``null``.

Examples
--------
>>> import json, tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "published.json"
>>> publish("respect", 0.75, path=target)
0.75
>>> publish("n_items", np.int64(12), path=target)   # returned as given, stored as a plain int
np.int64(12)
>>> read_published(target)
{'respect': 0.75, 'n_items': 12}
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from poem.errors import ParameterError

__all__ = ["publish", "read_published", "publish_target", "ENV_VAR"]

#: environment variable naming the JSON file of the current run
ENV_VAR = "POEM_PUBLISH"


def publish_target(path=None) -> Path | None:
    """The file :func:`publish` writes to: ``path`` if given, else ``$POEM_PUBLISH``, else None.

    Examples
    --------
    >>> publish_target("out/run.json").name
    'run.json'
    """
    if path is not None and str(path) != "":
        return Path(path)
    env = os.environ.get(ENV_VAR, "")
    return Path(env) if env else None


def _plain(value, name):
    """Convert numpy / pandas scalars and arrays to plain JSON values; refuse anything else by name."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        # JSON has no NaN / inf: store them as null so the file stays readable everywhere
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return [_plain(v, name) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v, name) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, name) for k, v in value.items()}
    raise ParameterError(f"publish({name!r}, ...): cannot store a {type(value).__name__}; publish numbers, "
                         "strings, booleans or lists/dicts of them")


def publish(name: str, value, path=None):
    """Record ``value`` under ``name`` for the current run and return ``value`` unchanged.

    Parameters
    ----------
    name : str
        Column name the value will get in the batch results table (a non-empty identifier-like string).
    value : number, str, bool, None, list, dict, numpy scalar or array
        Converted to plain JSON; NaN becomes ``null``.
    path : str or Path, optional
        The JSON file; defaults to ``$POEM_PUBLISH``. When neither is set nothing is written.

    Returns
    -------
    The value passed in, so ``x = publish("x", compute())`` reads naturally.

    Raises
    ------
    ParameterError
        If ``name`` is empty or not a string, or ``value`` cannot be stored as JSON.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "run.json"
    >>> publish("path_length", 4, path=target)
    4
    >>> publish("path_length", 5, path=target)   # a later call replaces the value
    5
    >>> read_published(target)
    {'path_length': 5}
    """
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(f"publish: the name must be a non-empty string, got {name!r}")
    plain = _plain(value, name)
    target = publish_target(path)
    if target is None:
        return value
    current = read_published(target) if target.exists() else {}
    current[name] = plain
    target.parent.mkdir(parents=True, exist_ok=True)
    # write then rename, so a reader never sees a half-written file
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(current, indent=1, sort_keys=False), encoding="utf-8")
    tmp.replace(target)
    return value


def read_published(path) -> dict:
    """The named values published into ``path`` (an empty dict when the file does not exist).

    Raises
    ------
    ParameterError
        If the file exists but is not a JSON object.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ParameterError(f"published results file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ParameterError(f"published results file {path} must hold a JSON object, found {type(data).__name__}")
    return data
