"""Incremental rebuild benchmark: a full build of N dumps, then a rebuild after adding
1% new dumps, which re-parses only those (the per-dump cache under DATASET/.cache/).

Both builds run the real `builder make` in their own process with SOURCE_DATE_EPOCH set.
Wall time on a shared machine is noisy, so CPU time (the builder process and its
workers) is reported too; the per-stage timings of each build say where the rest goes.

Usage::

    python benchmarks/incremental.py [--n 20000] [--seed 0] [--work benchmarks/out/incremental]
        [--workers N] [--check-identical]
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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import generate_corpus  # noqa: E402

BUILDER = str(Path(sys.executable).with_name("builder"))
WHEN = "2025-07-01T12:00:00Z"
TARGET = 0.15


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    report: dict[str, Any]


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(inputs: Path, out: Path, *extra: str) -> Run:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1751371200", HF_HUB_OFFLINE="1")
    command = [BUILDER, "make", str(inputs), "--out", str(out), "--captured-at", WHEN, "--json"]
    cpu, wall = _cpu_children(), time.perf_counter()
    done = subprocess.run([*command, *extra], env=env, capture_output=True, text=True, check=True)
    return Run(time.perf_counter() - wall, _cpu_children() - cpu, json.loads(done.stdout))


def _corpus(folder: Path, n: int, seed: int) -> None:
    marker = folder / f".complete-{n}-{seed}"
    if marker.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    generate_corpus(folder, n, seed=seed)
    (folder / "truth.json").unlink()  # ground truth, not a page
    marker.touch()


def _hashes(release: Path) -> dict[str, str]:
    return {
        p.relative_to(release).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(release.rglob("*"))
        if p.is_file()
    }


def _line(name: str, run: Run) -> str:
    stages = ", ".join(f"{k} {v:.1f}" for k, v in run.report.get("timings_s", {}).items())
    return (
        f"{name:<12} wall {run.wall_s:7.1f} s  cpu {run.cpu_s:7.1f} s  "
        f"-> {run.report['version']}  [wall seconds per stage: {stages}]"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=HERE / "out" / "incremental")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--check-identical",
        action="store_true",
        help="also rebuild everything with --no-cache and compare the release bytes",
    )
    args = parser.parse_args(argv)
    extra = ["--workers", str(args.workers)] if args.workers else []
    inputs, added = args.work / "in", args.work / "added"
    _corpus(inputs / "base", args.n, args.seed)
    _corpus(added, max(1, args.n // 100), args.seed + 1)
    shutil.rmtree(inputs / "new", ignore_errors=True)
    dataset = args.work / "dataset"
    shutil.rmtree(dataset, ignore_errors=True)

    full = build(inputs, dataset, *extra)
    fresh = args.work / "fresh"  # the same 1.0.0, without the cache
    shutil.rmtree(fresh, ignore_errors=True)
    if args.check_identical:
        shutil.copytree(dataset, fresh, ignore=shutil.ignore_patterns(".cache"))
    shutil.copytree(added, inputs / "new", ignore=shutil.ignore_patterns(".*"))
    incremental = build(inputs, dataset, *extra)
    print(f"corpus: {args.n} dumps + {max(1, args.n // 100)} added (seed {args.seed})")
    print(_line("full", full))
    print(_line("incremental", incremental))
    wall, cpu = incremental.wall_s / full.wall_s, incremental.cpu_s / full.cpu_s
    verdict = "met" if wall <= TARGET else "NOT met"
    print(f"incremental / full: wall {wall:.1%} (target {TARGET:.0%}: {verdict}), cpu {cpu:.1%}")
    print(f"incremental build: {incremental.report.get('incremental')}")
    if args.check_identical:
        no_cache = build(inputs, fresh, "--no-cache", *extra)
        print(_line("no-cache", no_cache))
        same = _hashes(dataset / "versions" / "1.1.0") == _hashes(fresh / "versions" / "1.1.0")
        print(f"incremental release identical to a --no-cache rebuild: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
