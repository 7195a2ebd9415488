"""Import benchmark: poem.io.read_traces against pandas.read_csv / pandas.read_parquet on the same file.

Generates a benchmark-format log (learner,item,timestamp,score; rows not in time order) of N rows in a
temporary directory, as CSV and Parquet (plus an Open edX tracking log of N/10 video events, against
``pandas.read_json(lines=True)``), then times each reader in a fresh subprocess (so that peak memory
is that reader's alone) and prints rows/s and peak memory per row, with ratios against the pandas peer
measured in the same run.

    python benchmarks/bench_import.py --rows 5000000            # the issue's size
    python benchmarks/bench_import.py --rows 200000 --repeat 1  # quick look

Peak memory = the child's peak resident set size (sampled every 2 ms by a watcher thread) minus its
resident size just before the read (after imports), divided by the number of rows. pandas' readers return
raw columns (strings and a parsed number column; timestamps are left as text by ``read_csv``), whereas
``read_traces`` also parses timestamps with their offsets, validates every row, rejects duplicates, encodes
and sorts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

READERS = {
    "poem.read_traces csv": ("csv", "from poem.io import read_traces; r = read_traces(PATH)"),
    "poem.read_traces csv chunksize=250k": (
        "csv", "from poem.io import read_traces; r = read_traces(PATH, chunksize=250_000)"),
    "pandas.read_csv": ("csv", "import pandas as pd; r = pd.read_csv(PATH)"),
    "pandas.read_csv engine=pyarrow": ("csv", "import pandas as pd; r = pd.read_csv(PATH, engine='pyarrow')"),
    "pandas.read_csv + to_datetime": ("csv", "import pandas as pd; r = pd.read_csv(PATH); "
                                      "r['timestamp'] = pd.to_datetime(r['timestamp'], utc=True)"),
    "poem.read_traces parquet": ("parquet", "from poem.io import read_traces; r = read_traces(PATH)"),
    "pandas.read_parquet": ("parquet", "import pandas as pd; r = pd.read_parquet(PATH)"),
    "poem.read_traces edx log": ("edx", "from poem.io import read_traces; r = read_traces(PATH)"),
    "poem.read_traces edx log video_sessions": (
        "edx", "from poem.io import read_traces; r = read_traces(PATH, video_sessions=True)"),
    "pandas.read_json lines=True": ("edx", "import pandas as pd; r = pd.read_json(PATH, lines=True)"),
}
PEER = {"csv": "pandas.read_csv", "parquet": "pandas.read_parquet", "edx": "pandas.read_json lines=True"}

CHILD = """
import threading, time, sys, json, psutil
import numpy, pandas, pyarrow, pyarrow.csv, pyarrow.parquet, poem.io, poem.importers.tabular
PATH = {path!r}
proc = psutil.Process()
before = proc.memory_info().rss
peak = [before]
done = threading.Event()
def watch():  # sample the resident set size: ru_maxrss would include the imports' own peak
    while not done.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss)
        time.sleep(0.002)
watcher = threading.Thread(target=watch, daemon=True)
watcher.start()
t0 = time.perf_counter()
{code}
elapsed = time.perf_counter() - t0
peak[0] = max(peak[0], proc.memory_info().rss)
done.set(); watcher.join()
print(json.dumps({{"seconds": elapsed, "peak_bytes": peak[0] - before, "rows": len(r)}}))
"""


NOTES = """
What the readers do. `pandas.read_csv` / `read_parquet` / `read_json` return raw columns (`read_csv`
leaves timestamps as text; the `+ to_datetime` row adds their parsing). `poem.read_traces` also parses
timestamps with their offsets, checks every row (reasons for rejects), rejects exact duplicates, builds
the learner/item vocabularies and sorts by learner, time and reading order: the canonical `Traces`.
For the edX log it decodes each line's double-encoded `event` and validates it.

Where poem's time goes (line profile, 5M-row CSV, 5 blocks of 1M rows): Arrow's streaming CSV parse ~35 %,
row validation ~40 % (dictionary-encoding of ids in Arrow; timestamps by the strict ISO 8601 kernel
straight from the Arrow buffers, pandas only for what it leaves; score cast), then the assembly: merge
of the per-block vocabularies (a hash pass over the distinct ids of each block and one sort), the trail
sort (a counting sort by learner, then each trail by time: linear, numba) and one compiled gather of the
columns in trail order, duplicates checked on integer keys within runs of equal (learner, time) only.
CSV is streamed (Arrow reader, blocks of ~`chunksize` rows), so the raw text is never whole in memory
next to its parsed form; `chunksize=250k` trades a little time for memory, not always visible on a file
this small.

Peak memory per row is the reader's own resident-set growth (sampled every 2 ms), so it includes the
final arrays: poem keeps 32 B/event (int32 learner and item codes, int64 ns timestamp, float64 score and
duration). It also includes a fixed ~125 MB that does not grow with the rows: numba and the import's
cached compiled kernels, loaded on the first read of a process (~25 B/row at 5M rows, ~0.35 s once). The machine has 2 cores shared with other sessions: absolute times move by tens of percent
between runs; compare the ratios, which are measured within one run.
"""


def generate(n_rows: int, folder: Path, seed: int = 0) -> dict:
    """Write ``traces.csv`` and ``traces.parquet`` of ``n_rows`` events (about 50 events per learner)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_learners = max(n_rows // 50, 1)
    learners = np.char.add("u", np.char.zfill(np.arange(n_learners).astype(str), 9))
    items = np.char.add("v", np.char.zfill(np.arange(400).astype(str), 4))
    start = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    stamps = (start + rng.integers(0, 90 * 86_400, n_rows)).astype("datetime64[s]")
    table = pa.table({
        "learner": pa.array(learners[rng.integers(0, n_learners, n_rows)]),
        "item": pa.array(items[rng.integers(0, len(items), n_rows)]),
        # the benchmark courses' format: "2024-02-26 00:43:47+00:00"
        "timestamp": pa.array(np.char.add(np.datetime_as_string(stamps, unit="s"), "+00:00")).cast(pa.string()),
        "score": pa.array(rng.integers(0, 2, n_rows).astype(np.float64)),
    })
    table = table.set_column(2, "timestamp", pa.compute.replace_substring(table["timestamp"], "T", " "))
    paths = {"csv": folder / "traces.csv", "parquet": folder / "traces.parquet", "edx": folder / "tracking.log"}
    pcsv.write_csv(table, paths["csv"], write_options=pcsv.WriteOptions(quoting_style="none"))
    pq.write_table(table.set_column(2, "timestamp", pa.compute.strptime(
        table["timestamp"], format="%Y-%m-%d %H:%M:%S%z", unit="s")), paths["parquet"])
    write_edx_log(table.slice(0, max(n_rows // 10, 1)), paths["edx"])
    return paths


def write_edx_log(table, path: Path) -> None:
    """Open edX browser video events (``event`` JSON-encoded as a string), one per line."""
    import json

    cols = table.to_pydict()
    with open(path, "w") as fh:
        for learner, item, stamp in zip(cols["learner"], cols["item"], cols["timestamp"]):
            fh.write(json.dumps({
                "username": learner, "event_source": "browser", "event_type": "play_video",
                "time": stamp.replace(" ", "T"), "context": {"user_id": learner[1:], "course_id": "course-v1:X+Y+Z"},
                "event": json.dumps({"id": item, "currentTime": 0, "code": "html5"}),
                "page": "https://lms.example.org/courses/course-v1:X+Y+Z/courseware/", "session": "s"}) + "\n")


def measure(code: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD.format(path=str(path), code=code)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per reader; the best time is kept")
    parser.add_argument("--out", type=Path, help="also write the table (markdown) to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = generate(args.rows, Path(tmp))
        gen = time.perf_counter() - t0
        sizes = {k: p.stat().st_size for k, p in paths.items()}
        results = {}
        for name, (fmt, code) in READERS.items():
            runs = [measure(code, paths[fmt]) for _ in range(args.repeat)]
            results[name] = {"fmt": fmt, "seconds": min(r["seconds"] for r in runs),
                             "peak_bytes": min(r["peak_bytes"] for r in runs), "rows": runs[0]["rows"]}
    lines = [f"rows: {args.rows:,} (edX log: {results['poem.read_traces edx log']['rows']:,} events); "
             f"CSV {sizes['csv'] / 1e6:.0f} MB, Parquet {sizes['parquet'] / 1e6:.0f} MB, "
             f"edX log {sizes['edx'] / 1e6:.0f} MB; "
             f"generated in {gen:.1f} s; best of {args.repeat}",
             "",
             "| reader | rows/s | seconds | peak B/row | time / peer | memory / peer |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        peer = results[PEER[r["fmt"]]]
        lines.append(f"| {name} | {r['rows'] / r['seconds']:,.0f} | {r['seconds']:.2f} | "
                     f"{r['peak_bytes'] / r['rows']:.0f} | {r['seconds'] / peer['seconds']:.2f} | "
                     f"{r['peak_bytes'] / max(peer['peak_bytes'], 1):.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        cmd = "python benchmarks/bench_import.py " + " ".join(argv if argv is not None else sys.argv[1:])
        args.out.write_text(f"# Import benchmark\n\nCommand: `{cmd}`\n\n{table}\n{NOTES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
