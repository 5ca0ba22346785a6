"""Parquet zstd levels on a built release's tables: seconds to write and bytes written.

Every writer setting but the level is builder's own (`release.parquet.PARQUET_SETTINGS`),
so the figures are what `builder make` would spend. Each table is written from memory
`--repeat` times per level and the fastest time kept (the machine may be busy).

    python benchmarks/zstd_levels.py DATASET_DIR/versions/1.0.0 --levels 1,3,6,9
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from builder import contract
from builder.release.diff import read_release
from builder.release.parquet import PARQUET_SETTINGS, writer_options


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("release", type=Path, help="a published version folder")
    parser.add_argument("--levels", default="1,3,6,9")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    tables = read_release(args.release)
    levels = [int(level) for level in args.levels.split(",")]
    columns = " | ".join(f"{name} s | {name} MB" for name in contract.TABLES)
    print(f"| level | {columns} | total s | total MB |")
    print("|---" * (2 * len(contract.TABLES) + 3) + "|")
    with tempfile.TemporaryDirectory() as scratch:
        for level in levels:
            settings = dict(PARQUET_SETTINGS, compression_level=level)
            cells: list[str] = []
            total_s = total_mb = 0.0
            for name in contract.TABLES:
                table = tables[name].replace_schema_metadata(None)
                path = Path(scratch) / f"{name}-{level}.parquet"
                best = float("inf")
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    pq.write_table(table, path, **writer_options(settings, table.schema))
                    best = min(best, time.perf_counter() - started)
                mb = path.stat().st_size / 1e6
                total_s, total_mb = total_s + best, total_mb + mb
                cells += [f"{best:.2f}", f"{mb:.2f}"]
            print(f"| {level} | {' | '.join(cells)} | {total_s:.2f} | {total_mb:.2f} |")


if __name__ == "__main__":
    main()
