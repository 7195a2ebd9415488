"""The ``poem`` command line: :mod:`poem.cli.main` dispatches to one module per group of commands
(:mod:`~poem.cli.importing` ``import``; :mod:`~poem.cli.model` ``fit``, ``suggest``, ``audit``;
:mod:`~poem.cli.paths` ``path``, ``evaluate``, ``compare``; :mod:`~poem.cli.simulate` ``simulate``;
:mod:`~poem.cli.report` ``report``, ``batch``, ``demo``). Handlers hold no algorithms: they parse, call the
layers below and print."""

from poem.cli.main import main

__all__ = ["main"]
