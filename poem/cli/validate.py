"""``poem validate``: check the colony's success predictions on held-out learners, beside standard peers.

``poem validate TRACES [--split learners|time] [--test-share 0.2] [--seed S] [--pass-mark 0.5]
[--format F] [--test TEST_TRACES] [--out F]`` fits POEM and its peers (per-item success rate, PFA, a plain
ELO) on the training part, predicts every held-out scored attempt from the learner's earlier attempts only,
and prints AUC, RMSE, log-loss, mean predicted against observed success, and POEM's reliability table.
``--test`` takes a published held-out file instead of drawing a split. ``--out`` writes the tables as
Markdown (``.md``) or the metrics as CSV (any other suffix).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["register", "run_validate"]


def register(subparsers) -> None:
    """Add the ``validate`` sub-command."""
    p = subparsers.add_parser(
        "validate", help="next-attempt accuracy and calibration of the success predictions, against peers",
        description=__doc__.split("\n\n")[1].replace("``", ""))
    p.add_argument("traces", help="traces file or directory (any format poem import reads)")
    p.add_argument("--format", default="auto", help="input format (e.g. dkt for the knowledge-tracing format)")
    p.add_argument("--test", default=None, help="held-out traces (same format): replaces the split")
    p.add_argument("--split", choices=["learners", "time"], default="learners",
                   help="hold out learners (default) or the latest events")
    p.add_argument("--test-share", type=float, default=0.2, help="share held out (default 0.2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the learner split (default 0)")
    p.add_argument("--pass-mark", type=float, default=0.5,
                   help="a score >= this is a success (default 0.5; OULAD: 0.4)")
    p.add_argument("--naive-timestamps", default=None, help="zone of timestamps without offset (e.g. utc)")
    p.add_argument("--out", default=None, help="write the tables (.md) or the metrics (.csv)")
    p.set_defaults(func=run_validate)


def run_validate(args) -> int:
    from poem.io import read_traces, require_events
    from poem.ordering.validation import validate

    opts = {} if args.naive_timestamps is None else {"naive_timestamps": args.naive_timestamps}
    traces = require_events(read_traces(args.traces, format=args.format, **opts), args.traces)
    held = require_events(read_traces(args.test, format=args.format, **opts), args.test) if args.test else None
    res = validate(traces, split=args.split, test_share=args.test_share, seed=args.seed,
                   pass_mark=args.pass_mark, evaluate=held)
    rel = res.reliability["POEM"]
    rel_md = "\n".join(["| predicted in | attempts | mean predicted | observed | gap |", "|---|---|---|---|---|"]
                       + [f"| [{r.lo:.1f}, {r.hi:.1f}) | {int(r.n)} | {r.predicted:.3f} | {r.observed:.3f} | "
                          f"{r.gap:+.3f} |" for r in rel.itertuples()])
    split = "the given held-out file" if held is not None else f"split by {args.split}, {args.test_share:g} held out"
    text = (f"Next-attempt prediction ({split}; seed {args.seed}; {int(res.table['n'].iloc[0])} held-out "
            f"attempts)\n\n{res.to_markdown()}\n\nPOEM reliability\n\n{rel_md}\n")
    print(text)
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() == ".md":
            out.write_text(text, encoding="utf-8")
        else:
            res.table.to_csv(out, index=False)
        print(f"-> {out}")
    return 0
