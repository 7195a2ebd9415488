"""Execute a POEM notebook with papermill: find it, check its parameters, run it, report failures plainly.

Every run uses the Jupyter kernel named ``python3`` (``make setup`` registers the project's virtualenv under
that name), a per-cell execution timeout, the ``POEM_PUBLISH`` environment variable pointing at the run's
results file (see :mod:`poem.lab.publish`), and, on POSIX systems, Unix-socket transport in a private folder
rather than localhost TCP ports other users could reach. Parameters the notebook does not declare in its ``parameters`` cell are
still injected, as papermill does, but a :class:`UnknownParameterWarning` names them: a misspelt parameter
would otherwise silently leave the default in place.

Where the notebooks live
    The numbered notebooks are kept in ``notebooks/`` at the repository root. :func:`notebooks_dir` looks, in
    order, at ``$POEM_NOTEBOOKS``, at ``poem/notebooks/`` (package data of an installed wheel), then at the
    repository's ``notebooks/`` beside the package (editable installs and checkouts).

Examples
--------
>>> sorted(p.name for p in list_notebooks())[:1]
['01_explore_traces.ipynb']
>>> find_notebook("03").name
'03_learning_path_report.ipynb'
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

from poem.errors import NotebookError, ParameterError
from poem.lab.publish import ENV_VAR

__all__ = [
    "KERNEL_NAME",
    "DEFAULT_TIMEOUT",
    "UnknownParameterWarning",
    "notebooks_dir",
    "data_path",
    "list_notebooks",
    "find_notebook",
    "notebook_parameters",
    "run_notebook",
    "strip_outputs",
    "make_notebook",
    "has_outputs",
]

#: papermill always runs this kernel; see the Makefile's ``setup`` target
KERNEL_NAME = "python3"
#: seconds one cell may run before the run is abandoned
DEFAULT_TIMEOUT = 600
#: seconds allowed for the kernel to start
START_TIMEOUT = 120
#: command-line options of every kernel: its own log lines (``[IPKernelApp] ERROR | KeyboardInterrupt caught
#: in kernel`` when it is stopped, connection notices) go to the terminal of whoever ran ``poem report`` or
#: ``poem batch`` and mean nothing to them; what the notebook prints still goes into the executed notebook
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


class UnknownParameterWarning(UserWarning):
    """A parameter was passed that the notebook's ``parameters`` cell does not declare."""


def notebooks_dir() -> Path:
    """The folder holding the numbered notebooks (see the module docstring for the search order).

    Raises
    ------
    NotebookError
        If none of the candidate folders exists.
    """
    here = Path(__file__).resolve().parent
    candidates = []
    if os.environ.get("POEM_NOTEBOOKS"):
        candidates.append(Path(os.environ["POEM_NOTEBOOKS"]))
    candidates += [here / "notebooks", here.parent / "notebooks"]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    raise NotebookError("cannot find the POEM notebooks; looked in " + ", ".join(str(c) for c in candidates)
                        + " (set POEM_NOTEBOOKS to the folder holding 01_explore_traces.ipynb ...)")


def data_path(*parts) -> Path:
    """A file shipped with POEM under ``data/`` (``data_path("demo", "traces.csv")``), looked up in the
    installed package (``poem/data/``) and then in the repository (``data/`` beside the package).

    Raises
    ------
    NotebookError
        If the file is in neither place.

    Examples
    --------
    >>> data_path("demo").name
    'demo'
    """
    here = Path(__file__).resolve().parent
    candidates = [here / "data" / Path(*parts), here.parent / "data" / Path(*parts)]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise NotebookError(f"bundled data {'/'.join(map(str, parts))} not found; looked in "
                        + ", ".join(str(c) for c in candidates))


def list_notebooks() -> list[Path]:
    """The numbered notebooks, in reading order."""
    return sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def find_notebook(name) -> Path:
    """Resolve a notebook given as a path, a file name, its number (``"03"``) or its title
    (``"learning_path_report"``).

    Raises
    ------
    NotebookError
        If nothing matches, or a short name matches several notebooks; the message lists the notebooks.
    """
    path = Path(name)
    if path.is_file():
        return path
    if len(path.parts) > 1:  # a path elsewhere than the notebooks folder: nothing to look up
        raise NotebookError(f"notebook {str(name)!r} does not exist")
    key = path.name.removesuffix(".ipynb")
    available = list_notebooks()
    matches = [p for p in available
               if p.stem == key or p.stem.split("_", 1)[0] == key.zfill(2) or p.stem.split("_", 1)[1] == key]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.stem for p in available)
    if not matches:
        raise NotebookError(f"no notebook called {str(name)!r}; available: {names}")
    raise NotebookError(f"notebook name {str(name)!r} is ambiguous; available: {names}")


def notebook_parameters(notebook) -> dict:
    """The parameters a notebook declares: ``{name: {"default": str, "type": str, "help": str}}``.

    These are what ``papermill --help-notebook`` prints: the literal default, the inferred type, and the
    comment at the end of the line.
    """
    import papermill

    path = find_notebook(notebook)
    try:
        declared = papermill.inspect_notebook(str(path))
    except Exception as exc:  # a corrupt file: json, nbformat and papermill each raise their own types
        raise NotebookError(f"cannot read notebook {path}: {exc}") from exc
    return {name: {"default": info["default"], "type": info["inferred_type_name"], "help": info["help"]}
            for name, info in declared.items()}


@contextlib.contextmanager
def _environment(**values):
    """Set environment variables for the kernel that papermill is about to start, then restore them.

    The kernel inherits this process's environment at start-up; batch runs execute in separate worker
    processes, so the change never leaks across concurrent runs.
    """
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = str(value)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _not_papermill_unknown(record) -> bool:
    """Logging filter: drop papermill's own unknown-parameter line, which our warning replaces."""
    return not str(record.msg).startswith("Passed unknown parameter")


@contextlib.contextmanager
def _kernel_config():
    """Kernel transport: Unix sockets in a private temporary folder where available.

    Over TCP any local user can connect to the kernel's ports (ipykernel warns about it on every start);
    IPC sockets in a 0700 folder are reachable by this user only, and leave nothing behind.
    """
    from traitlets.config import Config

    if os.name != "posix":
        yield Config()
        return
    with tempfile.TemporaryDirectory(prefix="poem-kernel-") as folder:
        yield Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "k")}})


def _failure(reason: str, output: Path) -> NotebookError:
    """The error of a failed run; ``reason`` and ``notebook`` (the partly executed copy) are kept as
    attributes so that callers who move the notebook can say where it went."""
    error = NotebookError(f"{reason} (executed notebook kept at {output})")
    error.reason, error.notebook = reason, output
    return error


def run_notebook(notebook, output, parameters=None, *, timeout=DEFAULT_TIMEOUT, publish_path=None, cwd=None,
                 log_output=False, progress=False) -> Path:
    """Execute ``notebook`` with papermill and write the executed copy to ``output``.

    Parameters
    ----------
    notebook : str or Path
        A path or a short name understood by :func:`find_notebook`.
    output : str or Path
        Where the executed notebook is written; it is written even when a cell fails, so the error can be
        read in place.
    parameters : dict, optional
        Values injected after the ``parameters`` cell. Undeclared names raise an
        :class:`UnknownParameterWarning` but are still injected.
    timeout : float
        Seconds each cell may run (papermill's ``execution_timeout``).
    publish_path : str or Path, optional
        The run's :mod:`poem.lab.publish` file, given to the kernel as ``$POEM_PUBLISH`` (and as the
        ``publish_path`` parameter when the notebook declares one).
    cwd : str or Path, optional
        Working directory of the kernel; by default the current directory.
    log_output, progress : bool
        Echo cell output / show papermill's per-cell progress bar.

    Returns
    -------
    Path
        ``output``.

    Raises
    ------
    NotebookError
        If the notebook is missing, a cell raises, a cell runs longer than ``timeout``, or the kernel dies;
        for a failed run its ``reason`` attribute says why and ``notebook`` where the executed copy is.
    ParameterError
        If ``timeout`` is not a positive number or ``parameters`` is not a mapping.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:  # NaN too
        raise ParameterError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if parameters is not None and not isinstance(parameters, dict):
        raise ParameterError(f"parameters must be a dict of name -> value, got {type(parameters).__name__}")
    path = find_notebook(notebook)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    parameters = dict(parameters or {})
    declared = notebook_parameters(path)
    if publish_path is not None and "publish_path" in declared:
        parameters.setdefault("publish_path", str(publish_path))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        warnings.warn(f"{path.name}: unknown parameter(s) {', '.join(unknown)}; declared: "
                      f"{', '.join(declared) or 'none'}", UnknownParameterWarning, stacklevel=2)
    started = time.monotonic()
    papermill_log = logging.getLogger("papermill")
    papermill_log.addFilter(_not_papermill_unknown)
    try:
        with _environment(**{ENV_VAR: None if publish_path is None else str(Path(publish_path).resolve())}), \
                _kernel_config() as config:
            papermill.execute_notebook(
                str(path), str(output), parameters=parameters, kernel_name=KERNEL_NAME,
                execution_timeout=timeout, start_timeout=START_TIMEOUT, progress_bar=progress,
                log_output=log_output, cwd=None if cwd is None else str(cwd), config=config,
                extra_arguments=list(KERNEL_ARGUMENTS),
            )
    except PapermillExecutionError as exc:
        raise _failure(f"{path.name} failed in cell [{exc.exec_count}]: {exc.ename}: {exc.evalue}", output) from exc
    except TimeoutError as exc:  # nbclient's CellTimeoutError derives from TimeoutError
        raise _failure(f"{path.name}: a cell ran longer than the {timeout} s timeout "
                       f"(after {time.monotonic() - started:.0f} s)", output) from exc
    except RuntimeError as exc:  # nbclient's DeadKernelError and kernel start-up failures
        raise _failure(f"{path.name}: the kernel {KERNEL_NAME!r} failed: {exc}", output) from exc
    finally:
        papermill_log.removeFilter(_not_papermill_unknown)
    return output


def has_outputs(notebook) -> bool:
    """True when any code cell of ``notebook`` carries outputs or an execution count."""
    nb = nbformat.read(str(notebook), as_version=4)
    return any(cell.get("outputs") or cell.get("execution_count") is not None
               for cell in nb.cells if cell.cell_type == "code")


def strip_outputs(notebook) -> bool:
    """Remove outputs, execution counts and run metadata from a notebook in place, so it diffs cleanly.

    Returns True when the file changed.
    """
    nb = nbformat.read(str(notebook), as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nb.metadata.pop("papermill", None)
    after = nbformat.writes(nb)
    if after != before:
        Path(notebook).write_text(after + ("" if after.endswith("\n") else "\n"), encoding="utf-8")
    return after != before


def make_notebook(cells, parameters=None) -> nbformat.NotebookNode:
    """Build a notebook for the ``python3`` kernel from cell sources.

    Parameters
    ----------
    cells : list of str, ("md", str) or NotebookNode
        Code cell sources; markdown cells are given as ``("md", text)`` tuples; ready-made cells (with
        tags, say) are taken as they are.
    parameters : str, optional
        Source of the ``parameters`` cell (plain literals, one per line, each with a comment), placed first.

    Examples
    --------
    >>> nb = make_notebook([("md", "# Title"), "print(x)"], parameters="x = 1  # the value")
    >>> [c.cell_type for c in nb.cells], nb.cells[0].metadata["tags"]
    (['code', 'markdown', 'code'], ['parameters'])
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    for source in cells:
        if isinstance(source, nbformat.NotebookNode):
            nb.cells.append(source)
        elif isinstance(source, tuple) and source[0] == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(source[1]))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(source))
    for k, cell in enumerate(nb.cells):
        cell.id = f"cell-{k:02d}"  # stable ids keep committed notebooks diff-friendly
    return nb
