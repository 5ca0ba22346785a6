"""builder make against two baselines on the same corpus, in the same run.

- floor: read every dump, sha256 it, write the raw text to one zstd Parquet file with
  pyarrow, nothing else: what any tool must at least do with these bytes;
- datatrove: its own reader -> ParquetWriter pipeline copying the same files (local
  executor, one task): what a data-processing framework costs for a plain copy;
- builder make with one worker and with all cores.

Every run is repeated in rounds (`--repeat`, default 3: floor, datatrove, builder, then
again), and the least wall time of each counts: the floor and builder are measured in
the same run, side by side, so drift of a shared machine touches both.

Each runs in its own process; peak RSS is the sum over the process tree (pool workers
included), sampled every 100 ms. Prints a side-by-side table and builder's wall seconds
per stage (they add up to its wall time), and writes benchmarks/out/results.json.

    python benchmarks/run.py                      # 20,000 dumps, seed 0, 3 rounds
    python benchmarks/run.py --repeat 1           # one round
    python benchmarks/run.py --n 2000             # a quick look
    python benchmarks/run.py --memory 10000,100000  # also: peak RSS at two corpus sizes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WHEN = "2025-07-01T12:00:00Z"


@dataclass(frozen=True)
class Run:
    name: str
    wall_s: float
    peak_rss_mb: float
    dumps: int
    mb: float
    #: User + system CPU seconds of the process and the children it waited for (pool
    #: workers included): what the run cost, however busy the machine was.
    cpu_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dumps_per_s(self) -> float:
        return self.dumps / self.wall_s

    @property
    def mb_per_s(self) -> float:
        return self.mb / self.wall_s


# --- the measured tasks, each run as `run.py --task NAME CORPUS OUT` -----------------------


def _dump_files(corpus: Path) -> list[Path]:
    return sorted(corpus.glob("*.txt"))


def task_floor(corpus: Path, out: Path) -> None:
    """The I/O floor: read, hash, write the raw text as one zstd Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("path", pa.string()), ("sha256", pa.string()), ("text", pa.string())])
    with pq.ParquetWriter(out / "floor.parquet", schema, compression="zstd") as writer:
        paths: list[str] = []
        hashes: list[str] = []
        texts: list[str] = []
        for path in _dump_files(corpus):
            data = path.read_bytes()
            paths.append(path.name)
            hashes.append(hashlib.sha256(data).hexdigest())
            texts.append(data.decode("utf-8", "replace"))
            if len(paths) == 2000:
                writer.write_table(pa.table([paths, hashes, texts], schema=schema))
                paths, hashes, texts = [], [], []
        if paths:
            writer.write_table(pa.table([paths, hashes, texts], schema=schema))


def task_datatrove(corpus: Path, out: Path) -> None:
    """datatrove copying the files: a disk reader (one document per file) into its
    ParquetWriter, on its local executor with one task. Logging is cut to warnings so
    that per-file log lines do not count against it."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers.base import BaseDiskReader
    from datatrove.pipeline.writers import ParquetWriter
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")

    class TextFileReader(BaseDiskReader):  # type: ignore[misc]
        name = "text files"

        def read_file(self, filepath: str):  # type: ignore[no-untyped-def]
            with self.data_folder.open(filepath, "rt", encoding="utf-8", errors="replace") as f:
                document = self.get_document_from_dict({"text": f.read()}, filepath, 0)
                if document:
                    yield document

    LocalPipelineExecutor(
        pipeline=[
            TextFileReader(str(corpus), glob_pattern="*.txt"),
            ParquetWriter(str(out / "data"), compression="zstd"),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(out / "logs"),
    ).run()


TASKS = {"floor": task_floor, "datatrove": task_datatrove}


# --- measuring ---------------------------------------------------------------------------


def measure(name: str, argv: list[str], dumps: int, mb: float, env: dict[str, str]) -> Run:
    import psutil

    logs = Path(tempfile.mkdtemp(prefix="bench-"))
    out_log, err_log = (logs / "stdout").open("wb"), (logs / "stderr").open("wb")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=out_log, stderr=err_log, env=env
    )  # files: no pipe stall
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [watched, *watched.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out_log.close()
    err_log.close()
    stdout, stderr = (logs / "stdout").read_bytes(), (logs / "stderr").read_bytes()
    shutil.rmtree(logs, ignore_errors=True)
    if process.returncode != 0:
        sys.exit(f"{name} failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
    extra: dict[str, Any] = {}
    if stdout.strip().startswith(b"{"):
        extra = json.loads(stdout)
    return Run(name, wall, peak / 2**20, dumps, mb, cpu_s=cpu, extra=extra)


def builder_argv(corpus: Path, out: Path, workers: int | None) -> list[str]:
    exe = Path(sys.executable).with_name("builder")
    argv = [str(exe), "make", str(corpus / "*.txt"), "--out", str(out), "--json"]
    argv += ["--captured-at", WHEN]
    return argv + (["--workers", str(workers)] if workers else [])


def _out_of(argv: list[str]) -> str:
    """Where a measured command writes (emptied before each round): builder's --out, or
    a task's last argument."""
    return argv[argv.index("--out") + 1] if "--out" in argv else argv[-1]


def ensure_corpus(root: Path, n: int, seed: int) -> Path:
    corpus = root / f"corpus-{n}-{seed}"
    if not (corpus / "truth.json").is_file():
        shutil.rmtree(corpus, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                str(HERE / "corpus.py"),
                str(corpus),
                "--n",
                str(n),
                "--seed",
                str(seed),
            ],
            check=True,
        )
    return corpus


def table(runs: list[Run], floor: Run, datatrove: Run | None) -> str:
    lines = [
        f"| {'run':<22} | {'wall s':>7} | {'dumps/s':>8} | {'MB/s':>6} | {'peak RSS MB':>11} "
        f"| {'x floor':>7} | {'x datatrove':>11} | {'CPU s':>6} | {'CPU x floor':>11} |",
        f"|{'-' * 24}|{'-' * 9}|{'-' * 10}|{'-' * 8}|{'-' * 13}|{'-' * 9}|{'-' * 13}"
        f"|{'-' * 8}|{'-' * 13}|",
    ]
    for run in runs:
        vs_dt = f"{run.wall_s / datatrove.wall_s:.2f}" if datatrove else "-"
        lines.append(
            f"| {run.name:<22} | {run.wall_s:>7.2f} | {run.dumps_per_s:>8.0f} | "
            f"{run.mb_per_s:>6.1f} | {run.peak_rss_mb:>11.0f} | "
            f"{run.wall_s / floor.wall_s:>7.2f} | {vs_dt:>11} | {run.cpu_s:>6.2f} | "
            f"{run.cpu_s / floor.cpu_s:>11.2f} |"
        )
    return "\n".join(lines)


def stages(runs: list[Run]) -> str:
    """builder's wall seconds per stage (`timings_s` of `make --json`, which add up to
    its `elapsed_s`, counted from the process's start), one column per run, and what
    the benchmark saw from outside (process spawn and exit included)."""
    names: list[str] = []
    for run in runs:
        names += [name for name in run.extra.get("timings_s", {}) if name not in names]
    head = "| stage | " + " | ".join(f"{run.name} s | %" for run in runs) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(runs)]
    for name in names:
        cells = []
        for run in runs:
            seconds = run.extra.get("timings_s", {}).get(name, 0.0)
            cells.append(f"{seconds:.2f} | {100 * seconds / run.wall_s:.1f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    rows = {
        "sum of stages": lambda run: sum(run.extra.get("timings_s", {}).values()),
        "elapsed_s (reported)": lambda run: float(run.extra.get("elapsed_s", 0.0)),
        "wall (measured outside)": lambda run: run.wall_s,
    }
    for label, value in rows.items():
        cells = [f"{value(run):.2f} | {100 * value(run) / run.wall_s:.1f}" for run in runs]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=sorted(TASKS), help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=20_000, help="dumps in the corpus")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=HERE / "out", help="corpora and outputs")
    parser.add_argument("--no-datatrove", action="store_true", help="skip the datatrove run")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of every run; the least wall time counts"
    )
    parser.add_argument(
        "--memory", default="", help="comma-separated corpus sizes for the peak-RSS comparison"
    )
    args = parser.parse_args(argv)
    if args.task:
        TASKS[args.task](*args.paths)
        return

    env = dict(os.environ, HF_HUB_OFFLINE="1", SOURCE_DATE_EPOCH="1751371200")
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(args.work, args.n, args.seed)
    files = _dump_files(corpus)
    mb = sum(p.stat().st_size for p in files) / 1e6
    n = len(files)
    cores = len(os.sched_getaffinity(0))
    print(f"corpus: {n} dumps, {mb:.1f} MB, {cores} cores")

    def fresh(name: str) -> Path:
        path = args.work / "runs" / name
        shutil.rmtree(path, ignore_errors=True)
        return path

    me = [sys.executable, str(Path(__file__).resolve())]
    tasks: dict[str, list[str]] = {
        "floor (read+sha+parquet)": [*me, "--task", "floor", str(corpus), str(fresh("floor"))]
    }
    if not args.no_datatrove:
        tasks["datatrove copy"] = [*me, "--task", "datatrove", str(corpus), str(fresh("dt"))]
    tasks["builder make -w 1"] = builder_argv(corpus, fresh("b1"), 1)
    tasks[f"builder make -w {cores}"] = builder_argv(corpus, fresh("ball"), None)
    # Rounds, each running every task once: the machine's drift over a few minutes then
    # touches the floor and builder alike, and the minimum of each is what it costs.
    seen: dict[str, list[Run]] = {name: [] for name in tasks}
    for round_no in range(1, args.repeat + 1):
        for name, task_argv in tasks.items():
            shutil.rmtree(_out_of(task_argv), ignore_errors=True)
            seen[name].append(measure(name, task_argv, n, mb, env))
        walls = ", ".join(
            f"{name} {runs[-1].wall_s:.2f} s (CPU {runs[-1].cpu_s:.2f})"
            for name, runs in seen.items()
        )
        print(f"round {round_no}/{args.repeat}: {walls}", flush=True)
    best = {name: min(runs, key=lambda r: r.wall_s) for name, runs in seen.items()}
    floor = best["floor (read+sha+parquet)"]
    datatrove = best.get("datatrove copy")
    one, every = best["builder make -w 1"], best[f"builder make -w {cores}"]
    runs = [r for r in (floor, datatrove, one, every) if r is not None]
    if args.repeat > 1:
        print(f"\nminimum of {args.repeat} rounds (each ratio: against the least floor):")
    print(table(runs, floor, datatrove))
    print("\nwall seconds per stage of builder make (% of the wall time measured outside):")
    print(stages([one, every]))

    memory: list[Run] = []
    for size in [int(s) for s in args.memory.split(",") if s]:
        mcorpus = ensure_corpus(args.work, size, args.seed)
        mfiles = _dump_files(mcorpus)
        mmb = sum(p.stat().st_size for p in mfiles) / 1e6
        memory.append(
            measure(
                f"builder make {size}",
                builder_argv(mcorpus, fresh(f"m{size}"), None),
                len(mfiles),
                mmb,
                env,
            )
        )
    if memory:
        print("\npeak RSS by corpus size (builder make, all cores):")
        for run in memory:
            ratio = run.peak_rss_mb / memory[0].peak_rss_mb
            peak = f"{run.peak_rss_mb:7.0f} MB ({ratio:.2f}x)"
            print(f"  {run.dumps:>7} dumps: {peak}, {run.wall_s:.1f} s")
    results = {
        "corpus": {"dumps": n, "mb": mb, "seed": args.seed, "cores": cores},
        "runs": [dict(asdict(r), dumps_per_s=r.dumps_per_s, mb_per_s=r.mb_per_s) for r in runs],
        "memory": [asdict(r) for r in memory],
    }
    (args.work / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
