"""The small exception hierarchy of POEM.

Every error a user can cause by ordinary mistakes (a missing file, a wrong column name, a corrupt model,
an unknown parameter) is raised as a subclass of :class:`PoemError` with a message that names the problem,
so the CLI can print one line instead of a traceback from deep inside pandas.
"""

__all__ = [
    "PoemError",
    "TraceFormatError",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
    "NotebookError",
]


class PoemError(Exception):
    """Base class of every error POEM raises on purpose."""


class TraceFormatError(PoemError, ValueError):
    """The input traces cannot be read at all: missing file, empty file, wrong format, no usable column."""


class ModelFileError(PoemError):
    """A saved colony file is missing, corrupt, truncated, or written by a newer format version."""


class NotFittedError(PoemError, AttributeError):
    """A model was used before ``fit``."""


class ParameterError(PoemError, ValueError):
    """A parameter has a value outside its documented domain (the message names it and the value)."""


class NotebookError(PoemError):
    """A notebook run, a report, or a batch run failed; the message says which notebook and why."""
