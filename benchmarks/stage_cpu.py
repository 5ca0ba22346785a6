"""CPU seconds of the per-dump stages, each alone, in one process: read, decode, segment,
validate, the batch step's own work, and startup (importing the CLI, in a child process).

Wall times on a shared machine mean little; CPU time (`time.process_time`) of the same
work, the minimum of a few repeats, moves much less, so this is how two versions of the
code are compared in one sitting. Run it with each version's interpreter on the same
corpus:

    .venv/bin/python benchmarks/stage_cpu.py benchmarks/out/corpus-2000-0 --repeat 3

`read`: listing done, the inputs read into raw dumps with their sha256 (what the build's
`read` stage does per dump). `decode`, `segment`: those functions over every dump.
`validate`: the contract check of every parsed dump's rows (title ids not cached).
`batch`: the batch step (`partitioned.extract_raws`: routing, frames, Arrow streams)
around already parsed results, untimed in a build (its share is spread over the
per-dump stages). `startup`: `import builder.cli` in a fresh interpreter (CPU of the
child). `--pipeline` also runs the build's extract step itself with its stage timers
reading CPU time: the stages as a build counts them, caches and GC shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from builder import records, timing
from builder.contract import rows
from builder.contract.rows import check_dump
from builder.engines import partitioned
from builder.inputs.decode import Decoded, decode
from builder.inputs.files import InputFile
from builder.inputs.walk import find_inputs
from builder.parse import extract as extract_module
from builder.parse.extract import extract
from builder.parse.layouts.segment import segment
from builder.records import DumpResult, RawDump
from builder.release import cache

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _cpu(
    work: Callable[[], object], repeat: int, setup: Callable[[], None] = lambda: None
) -> float:
    best = float("inf")
    for _ in range(repeat):
        setup()
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def _cold_ids() -> None:
    """Forget the cached title keys and ids (where the code caches them): each repeat
    then computes them as a build's check does for titles it has not seen yet."""
    getattr(rows, "titles_passed", set()).clear()  # the check's own memory of titles
    for function in (records.normalise_key, records.article_id_for):
        clear = getattr(function, "cache_clear", None)
        if clear is not None:
            clear()


def _startup_cpu(repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", "import builder.cli"], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, spent)
    return best


def _pipeline_cpu(files: list[InputFile], repeat: int) -> dict[str, float]:
    """The build's own extract step (cached stage, batches, in this process) with its
    stage timers reading CPU time: each stage's CPU seconds where the build counts them,
    GC and cache misses between stages included. `untimed`: the step's CPU that no
    stage timer saw (routing, frames, Arrow streams)."""
    for module in (timing, extract_module, partitioned, cache):
        module.perf_counter = time.process_time  # type: ignore[attr-defined]
    sizes = [partitioned.input_size(f) for f in files]
    best: dict[str, float] = {}
    for _ in range(repeat):
        _cold_ids()
        with tempfile.TemporaryDirectory() as folder:
            stage = cache.cached(partitioned.per_dump, Path(folder))
            settings = partitioned.Settings(
                partitioned.partitions_for(sum(sizes)), WHEN, 32 * 1024 * 1024, stage
            )
            spent: dict[str, float] = {}
            started = time.process_time()
            for batch in partitioned.batches_of(files, sizes):
                timing.combine(spent, partitioned.extract_batch(batch, settings).timings)
            step = time.process_time() - started
        spent["untimed"] = step - sum(spent.values())
        spent["step"] = step
        best = {k: min(best.get(k, float("inf")), v) for k, v in spent.items()}
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder of .txt dumps (benchmarks/corpus.py)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats; the minimum is kept")
    parser.add_argument("--limit", type=int, default=0, help="only the first N dumps")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="also the build's extract step, its stage timers on CPU time (see _pipeline_cpu)",
    )
    args = parser.parse_args()

    files = find_inputs([str(args.corpus / "*.txt")])
    if args.limit:
        files = files[: args.limit]
    settings = partitioned.Settings(
        partitions=partitioned.partitions_for(sum(map(partitioned.input_size, files))),
        captured_at=WHEN,
        max_bytes=32 * 1024 * 1024,
    )

    def read() -> list[RawDump]:
        out = []
        for raw, _ in partitioned.stamped_dumps(files, captured_at=WHEN, max_bytes=1 << 25):
            raw.sha256  # noqa: B018  # the hash the read stage computes
            out.append(raw)
        return out

    raws = read()
    texts = [d.text for d in map(decode, (r.data for r in raws)) if isinstance(d, Decoded)]
    results: dict[str, DumpResult] = {r.path: extract(r) for r in raws}

    def parsed(raw: RawDump) -> DumpResult:
        return results[raw.path]

    batch_settings = partitioned.Settings(
        settings.partitions, settings.captured_at, settings.max_bytes, parsed
    )
    cpu = {
        "startup": _startup_cpu(args.repeat),
        "read": _cpu(read, args.repeat),
        "decode": _cpu(lambda: [decode(r.data) for r in raws], args.repeat),
        "segment": _cpu(lambda: [segment(t) for t in texts], args.repeat),
        "validate": _cpu(lambda: [check_dump(r) for r in results.values()], args.repeat, _cold_ids),
        "batch": _cpu(lambda: partitioned.extract_raws(raws, batch_settings), args.repeat),
    }
    pipeline = _pipeline_cpu(files, args.repeat) if args.pipeline else {}
    if args.json:
        print(json.dumps({"dumps": len(raws), "cpu_s": cpu, "pipeline_cpu_s": pipeline}))
        return
    print(f"{len(raws)} dumps, CPU seconds, min of {args.repeat}")
    for stage, seconds in cpu.items():
        print(f"{stage:10s} {seconds:8.3f}")
    if pipeline:
        print("in the extract step (stage timers on CPU time):")
        for stage, seconds in pipeline.items():
            print(f"{stage:10s} {seconds:8.3f}")


if __name__ == "__main__":
    main()
