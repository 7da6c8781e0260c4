"""Store write cost: batches of applied commands -> ``Store.write_batch`` (one transaction each).

The commands are the engine benchmark's order stream (about half crossing LIMIT orders, the rest resting
LIMIT orders, cancels and MARKET orders, 50 teams, 9 products) applied to a real engine, so the events and
the rows per command are what a busy market produces. Reports, per backend: rows per batch, the median and
p90 time of one batch (derive rows + executemany per table + commit with fsync), rows/s and commands/s.

    .venv/bin/python bench/store_bench.py [--batch 500] [--batches 20] [--dir .] [--pg postgresql://...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from avex.bench.engine_bench import T0, bench_tournament, order_stream, to_commands
from avex.config import canonical_json, tournament_hash
from avex.engine.engine import Engine
from avex.engine.outcome import Applied
from avex.store import open_store
from avex.store.writer import derive_rows


def applied_stream(n: int) -> tuple[Engine, list[Applied]]:
    t = bench_tournament()
    engine = Engine(t)
    out = []
    for i, cmd in enumerate(to_commands(order_stream(n))):
        a = engine.apply(cmd, T0 + i * 100)
        if isinstance(a, Applied):
            out.append(a)
    return engine, out


def run(url: str, batches: list[list[Applied]]) -> str:
    t = bench_tournament()
    store = open_store(url)
    try:
        store.init(canonical_json(t), tournament_hash(t), Engine(t).genesis_events(), T0)
        times, rows, derive = [], 0, 0.0
        for batch in batches:
            d0 = time.perf_counter()
            n = derive_rows(batch).count()  # measured apart to show Python's share (write_batch redoes it)
            d1 = time.perf_counter()
            store.write_batch(batch)
            times.append(time.perf_counter() - d1)
            derive += d1 - d0
            rows += n
    finally:
        store.close()
    total = sum(times)
    cmds = sum(len(b) for b in batches)
    times.sort()
    p90 = times[int(len(times) * 0.9) - 1]
    return (
        f"{store.dialect:10s} {len(batches)} batches of {len(batches[0])} commands, "
        f"{rows / len(batches):.0f} rows/batch: batch commit median {statistics.median(times) * 1000:.1f} ms, "
        f"p90 {p90 * 1000:.1f} ms; {rows / total:,.0f} rows/s, {cmds / total:,.0f} commands/s "
        f"(deriving rows: {derive / total * 100:.0f}% of the time)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--dir", default=".", help="where the SQLite file goes (a real disk, for real fsyncs)")
    ap.add_argument("--pg", help="also measure PostgreSQL at this URL (its tables must not exist yet)")
    args = ap.parse_args()
    _, applied = applied_stream(args.batch * args.batches)
    batches = [applied[i : i + args.batch] for i in range(0, len(applied), args.batch)]
    batches = [b for b in batches if len(b) == args.batch]
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        print(run(str(Path(d) / "bench.db"), batches))
    if args.pg:
        print(run(args.pg, batches))


if __name__ == "__main__":
    main()
