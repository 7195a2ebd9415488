"""The ``poem reidentify`` sub-command: turn a list of pseudonyms back into learner ids, for authorised staff.

``poem reidentify LIST --key KEYFILE --learners ids.csv [--out named.csv]`` reads LIST (a CSV such as the
report's ``learners_at_risk.csv``, with the pseudonyms in its ``learner`` column or the column named by
``--column``), recomputes the pseudonym of every id of ``ids.csv`` (a ``learner`` column, or its first
column: the platform's own export of learner ids, or the raw traces) with the key, and writes LIST with a
``learner_id`` column after the pseudonyms. ``poem reidentify --new-key KEYFILE`` creates the key a platform
keeps (see :mod:`poem.pseudonym` for the whole workflow). The key is never printed or written anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

from poem.errors import ParameterError, TraceFormatError

__all__ = ["register", "run_reidentify"]

ID_COLUMN = "learner_id"


def register(subparsers) -> None:
    """Add ``reidentify`` to the ``poem`` command line."""
    p = subparsers.add_parser(
        "reidentify", help="map report pseudonyms back to learner ids (authorised staff, needs the key)",
        description="Re-identify the learners of a list of pseudonyms (for example the report's "
                    "learners_at_risk.csv): the pseudonym of every id in --learners is recomputed with the "
                    "key the report was made with, and LIST is written back with a learner_id column. "
                    "Use --new-key FILE once to create the key the platform keeps and gives to "
                    "`poem report --pseudonym-key FILE`.")
    p.add_argument("list", nargs="?", metavar="LIST",
                   help="CSV of pseudonyms (column 'learner', or the one named by --column)")
    p.add_argument("--key", metavar="KEYFILE",
                   help="file holding the pseudonym key (default: $POEM_PSEUDONYM_KEY, then the file named "
                        "by $POEM_PSEUDONYM_KEY_FILE)")
    p.add_argument("--learners", metavar="IDS",
                   help="CSV of the platform's learner ids (column 'learner', else its first column); the raw "
                        "traces file works too")
    p.add_argument("--column", default="learner", help="column of LIST holding the pseudonyms (default learner)")
    p.add_argument("--out", help="CSV to write (default: standard output)")
    p.add_argument("--new-key", dest="new_key", metavar="KEYFILE",
                   help="create a new random key file (readable by its owner only) and exit")
    p.set_defaults(func=run_reidentify)


def _read_csv(path, what: str):
    import pandas as pd

    from poem.importers.files import sniff_delimiter

    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{what} file {path} does not exist")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, sep=sniff_delimiter(path))
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise TraceFormatError(f"cannot read {what} file {path} ({exc})") from exc


def run_reidentify(args) -> int:
    from poem.pseudonym import load_key, new_key_file, reidentify

    if args.new_key:
        path = new_key_file(args.new_key)
        print(f"new pseudonym key written to {path} (keep it with the learner ids; never mail it with a report)")
        return 0
    if not args.list or not args.learners:
        raise ParameterError("give LIST and --learners ids.csv (or --new-key FILE to create a key)")
    key = load_key(key_file=args.key)
    if key is None:
        raise ParameterError("re-identification needs the key the report was made with: --key FILE, or set "
                             "POEM_PSEUDONYM_KEY / POEM_PSEUDONYM_KEY_FILE")
    table = _read_csv(args.list, "pseudonym list")
    if args.column not in table.columns:
        raise ParameterError(f"{args.list} has no column {args.column!r} (columns: {', '.join(table.columns)}); "
                             "name the pseudonym column with --column")
    learners = _read_csv(args.learners, "learner ids")
    if not len(learners.columns):
        raise ParameterError(f"{args.learners} holds no column of learner ids")
    ids = learners["learner"] if "learner" in learners.columns else learners.iloc[:, 0]
    mapping = reidentify(table[args.column], ids, key)
    found = [mapping[str(p)] for p in table[args.column]]
    missing = sum(v is None for v in found)
    if len(found) and missing == len(found):
        raise ParameterError(f"none of the {len(found)} pseudonyms of {args.list} matches a learner of "
                             f"{args.learners}: wrong key, or a different list of learners")
    table.insert(table.columns.get_loc(args.column) + 1, ID_COLUMN, [v or "" for v in found])
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"{len(found) - missing} of {len(found)} learners re-identified; written to {args.out}")
    else:
        table.to_csv(sys.stdout, index=False)
    if missing:
        print(f"poem reidentify: warning: {missing} pseudonyms match no learner of {args.learners}",
              file=sys.stderr)
    return 0
