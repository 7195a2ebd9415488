"""POEM — Personalised Open Education for the Masses: a man-hill workbench.

Learners are the ants of a *man-hill* (Semet, Lutton & Collet 2003; Valigiani et al. 2005-2006): every move
from one pedagogical item to the next leaves success or failure pheromone on that arc, and the colony's
memory suggests next items and reveals efficient learning paths.

The promised surface is small; everything else is importable from its module but not promised::

    traces = poem.read_traces("traces.csv")          # poem.io
    model = poem.ManHill().fit(traces)               # poem.antcolony
    path = poem.learning_path(model, method="lop")   # poem.paths
    graph = poem.prerequisite_graph(model, traces=traces)
    metrics = poem.evaluate(path, truth)
    course = poem.simulation.simulate_course(...)      # poem.simulation (module)

Data flows one way: io -> antcolony -> paths -> notebooks / reports / CLI.
"""

import importlib.abc
import importlib.machinery
import sys
import warnings
from importlib import import_module

from poem.errors import (ModelFileError, NotebookError, NotFittedError, ParameterError, PoemError,
                     TraceFormatError)

__version__ = "0.1.0"

__all__ = [
    "read_traces", "read_outcomes", "Traces",
    "ManHill",
    "learning_path", "prerequisite_graph", "evaluate",
    "simulate",
    "PoemError", "TraceFormatError", "ModelFileError", "NotFittedError", "ParameterError", "NotebookError",
]

# Loaded on first use so that `import poem` (and the CLI's start-up) stays fast and light.
_LAZY = {
    "read_traces": ("poem.io", "read_traces"),
    "read_outcomes": ("poem.io", "read_outcomes"),
    "Traces": ("poem.traces", "Traces"),
    "ManHill": ("poem.antcolony", "ManHill"),
    "learning_path": ("poem.paths", "learning_path"),
    "prerequisite_graph": ("poem.paths", "prerequisite_graph"),
    "evaluate": ("poem.ordering.evaluation", "evaluate"),
    "simulate": ("poem.simulation", None),
}


# Modules that lived at the top level before the package was grouped by layer. Code written against the old
# names (notebooks of users, scripts) keeps working: `import poem.publish` gives `poem.lab.publish`, with a
# DeprecationWarning naming the new home.
_MOVED = {
    "cli_io": "cli.importing", "cli_model": "cli.model", "cli_paths": "cli.paths", "cli_report": "cli.report",
    "cli_simulate": "cli.simulate", "report_data": "report.data", "report_text": "report.texts",
    "plots": "report.plots", "notebook_runner": "lab.runner", "batch": "lab.batch", "publish": "lab.publish",
    "experiments": "lab.experiments", "elo": "colony.elo", "suggestion": "colony.suggestion",
    "colony_state": "colony.state", "colony_io": "colony.persistence", "_kernels": "colony.kernels",
    "audit": "colony.audit", "aco": "ordering.aco", "lop": "ordering.lop", "baselines": "ordering.baselines",
    "evaluation": "ordering.evaluation", "promotion": "simulation.promotion", "synth": "simulation.synth",
    "simulate": "simulation",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of an old top-level name with the module at its new place."""

    def find_spec(self, fullname, path=None, target=None):
        old = fullname.partition("poem.")[2]
        if not fullname.startswith("poem.") or old not in _MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec):
        new = "poem." + _MOVED[spec.name.partition("poem.")[2]]
        if spec.name != "poem.simulate":  # `poem.simulate` stays a promised name for the simulation package
            warnings.warn(f"{spec.name} moved to {new}; import it from there", DeprecationWarning,
                          stacklevel=3)
        return import_module(new)

    def exec_module(self, module):
        pass  # the module already ran at its new place


sys.meta_path.append(_MovedModuleFinder())


def __getattr__(name):
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'poem' has no attribute {name!r}") from None
    module = import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
