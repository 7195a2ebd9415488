"""The ``poem`` command line: ``poem import | fit | suggest | audit | path | graph | simulate | evaluate | compare |
report | batch | demo | validate | reidentify``.

Each area of the workbench registers its own sub-commands (``poem.cli.importing``, ``poem.cli.model``,
``poem.cli.paths``, ``poem.cli.simulate``, ``poem.cli.report``); this module only wires them and turns every
:class:`~poem.errors.PoemError` into a one-line message on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from poem.errors import PoemError

__all__ = ["main", "build_parser"]

#: modules that contribute sub-commands through a ``register(subparsers)`` function
COMMAND_MODULES = ["poem.cli.importing", "poem.cli.model", "poem.cli.paths", "poem.cli.simulate", "poem.cli.report",
                   "poem.cli.validate", "poem.cli.reidentify", "poem.cli.graph"]

#: exit code for unusable input or a failed command (argparse itself uses 2 for bad usage)
EXIT_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    from poem import __version__

    parser = argparse.ArgumentParser(
        prog="poem",
        description="POEM man-hill workbench: MOOC traces -> pheromone colony -> learning paths.",
    )
    parser.add_argument("--version", action="version", version=f"poem {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not an area still to be written
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PoemError as exc:
        print(f"poem {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"poem {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
