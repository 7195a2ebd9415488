"""POEM — Personalised Open Education for the Masses: a man-hill workbench.

Learners are the ants of a *man-hill* (Semet, Lutton & Collet 2003; Valigiani et al. 2005-2006): every move
from one pedagogical item to the next leaves success or failure pheromone on that arc, and the colony's
memory suggests next items and reveals efficient learning paths.

The promised surface is small; everything else is importable from its module but not promised::

    traces = poem.read_traces("traces.csv")          # poem.io
    model = poem.ManHill().fit(traces)               # poem.antcolony
    path = poem.learning_path(model, method="lop")   # poem.paths
    graph = poem.prerequisite_graph(model)
    metrics = poem.evaluate(path, truth)
    course = poem.simulate.simulate_course(...)      # poem.simulate (module)

Data flows one way: io -> antcolony -> paths -> notebooks / reports / CLI.
"""

from importlib import import_module

from .errors import (ModelFileError, NotebookError, NotFittedError, ParameterError, PoemError,
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
    "evaluate": ("poem.evaluation", "evaluate"),
    "simulate": ("poem.simulate", None),
}


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
