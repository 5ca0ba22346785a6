"""A dataset that grows day by day: a 20-day base, then one `builder make` per new day.

The corpus comes from `daily_corpus.py` (new main articles every day; cards mostly of
the last few days, a few old evergreen ones). After the base build, each of the next
days is added to the inputs and `builder make` runs again on all of them, as a daily
job would. The benchmark prints, per append, the version and its bump and whether any
article id disappeared since the previous version; then the dataset folder's size
(without .cache) against one release of the final inputs, the bytes each append added
against a full release (and, per kind of file, where those bytes went: each table's
new store files, the version's report, Croissant file, manifest, card and picture),
and whether a from-scratch build of the final inputs has the content hashes of the
last version.

Sizes are disk bytes of files (st_size), so they do not depend on the machine's load;
the run times it prints do.

Usage::

    python benchmarks/growing.py [--base 20] [--appends 10] [--per-day 100] [--mean-size 6000]
        [--seed 0] [--work benchmarks/out/growing]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from daily_corpus import DailyCorpus, Settings  # noqa: E402

BUILDER = str(Path(sys.executable).with_name("builder"))
EPOCH = "1751371200"
FOLDER_TARGET = 3.0
APPEND_TARGET = 0.15


def make(inputs: Path, out: Path) -> dict[str, Any]:
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, HF_HUB_OFFLINE="1")
    command = [BUILDER, "make", str(inputs), "--out", str(out), "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"builder make failed: {done.stderr.strip() or done.stdout.strip()}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def folder_bytes(root: Path) -> int:
    """Bytes of every file under `root` but the cache (st_size: what a copy takes)."""
    total = 0
    for path in root.rglob("*"):
        if path.is_file() and ".cache" not in path.relative_to(root).parts:
            total += path.stat().st_size
    return total


def manifest(dataset: Path, version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (dataset / "versions" / version / "manifest.json").read_text(encoding="utf-8")
    )
    return loaded


def article_ids(dataset: Path, version: str) -> set[str]:
    release = dataset / "versions" / version
    files = sorted(
        k for k in manifest(dataset, version)["files"] if "articles/" in k and k.endswith("parquet")
    )
    paths = [os.path.normpath(release / key) for key in files]
    return set(pq.read_table(paths, columns=["article_id"]).column("article_id").to_pylist())


def by_kind(dataset: Path, version: str, stored: set[Path]) -> dict[str, int]:
    """The bytes a version added, per kind of file: the store files it lists that no
    earlier version listed (`stored` holds those, and is updated), per table, and each
    file of its own folder. (The top-level card and CHANGELOG change too; they are
    rewritten, not added to, and are left out.)"""
    release = dataset / "versions" / version
    kinds: dict[str, int] = {}
    for key, entry in manifest(dataset, version)["files"].items():
        path = Path(os.path.normpath(release / key))
        if "data" not in Path(key).parts or path in stored:
            continue
        stored.add(path)
        kind = f"data/{path.parent.name}"
        kinds[kind] = kinds.get(kind, 0) + int(entry["size_bytes"])
    for path in sorted(release.iterdir()):
        kinds[path.name] = path.stat().st_size
    return kinds


def bump_of(previous: str, version: str) -> str:
    old, new = (tuple(int(p) for p in v.split(".")) for v in (previous, version))
    if new[0] != old[0]:
        return "MAJOR"
    return "MINOR" if new[1] != old[1] else "PATCH"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=int, default=20, help="days in the first build")
    parser.add_argument("--appends", type=int, default=10, help="daily builds after it")
    parser.add_argument("--per-day", type=int, default=100, help="article pages per day")
    parser.add_argument("--mean-size", type=int, default=6000, help="mean page bytes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=HERE / "out" / "growing")
    args = parser.parse_args(argv)

    shutil.rmtree(args.work, ignore_errors=True)
    inputs, dataset, scratch = args.work / "in", args.work / "ds", args.work / "scratch"
    settings = Settings(per_day=args.per_day, mean_size=args.mean_size, seed=args.seed)
    corpus = DailyCorpus(inputs, settings)
    for _ in range(args.base):
        corpus.write_day()
    started = time.perf_counter()
    base = make(inputs, dataset)
    print(
        f"base: {args.base} days, {base['dumps']['total']} dumps -> {base['version']} "
        f"({base['articles']} articles) in {time.perf_counter() - started:.1f} s"
    )

    versions = [str(base["version"])]
    stored: set[Path] = set()
    by_kind(dataset, versions[0], stored)
    kinds: list[dict[str, int]] = []
    added: list[int] = []
    added_data: list[int] = []
    disappeared_total = 0
    for day in range(args.appends):
        corpus.write_day()
        before, before_data = folder_bytes(dataset), folder_bytes(dataset / "data")
        started = time.perf_counter()
        report = make(inputs, dataset)
        elapsed = time.perf_counter() - started
        version = str(report["version"])
        previous = versions[-1]
        gone = article_ids(dataset, previous) - article_ids(dataset, version)
        disappeared_total += len(gone)
        grew = folder_bytes(dataset) - before
        grew_data = folder_bytes(dataset / "data") - before_data
        added.append(grew)
        kinds.append(by_kind(dataset, version, stored))
        added_data.append(grew_data)
        versions.append(version)
        mode = "incremental" if report.get("incremental") else "full"
        print(
            f"day {args.base + day + 1}: {previous} -> {version} ({bump_of(previous, version)}), "
            f"{len(gone)} article id(s) disappeared, {grew:,} bytes added "
            f"({grew_data:,} of them Parquet in data/), "
            f"{mode} build {elapsed:.1f} s"
        )

    started = time.perf_counter()
    single = make(inputs, scratch)
    rebuilt = manifest(scratch, str(single["version"]))["content_hash"]
    last = manifest(dataset, versions[-1])["content_hash"]
    full = folder_bytes(scratch)
    total = folder_bytes(dataset)
    print(f"from-scratch build of the final inputs: {time.perf_counter() - started:.1f} s")
    print()
    bumps = [bump_of(a, b) for a, b in itertools.pairwise(versions)]
    print(f"versions: {' '.join(versions)}")
    print(f"bumps: {', '.join(bumps)} ({bumps.count('MINOR')} of {len(bumps)} MINOR)")
    print(f"article ids that disappeared between consecutive versions: {disappeared_total}")
    print(
        f"dataset folder (without .cache): {total:,} bytes = {total / full:.2f}x one "
        f"release of the final inputs ({full:,} bytes); target <= {FOLDER_TARGET:.0f}x"
    )
    shares = [grew / full for grew in added]
    print(
        "bytes added per append vs a full release: "
        + ", ".join(f"{share:.1%}" for share in shares)
        + f" (max {max(shares):.1%}); target <= {APPEND_TARGET:.0%}"
    )
    data_shares = [grew / full for grew in added_data]
    print(
        "  of which Parquet files (the rest: the version's card, manifest, Croissant "
        "file, and the CHANGELOG entry): " + ", ".join(f"{share:.1%}" for share in data_shares)
    )
    print("bytes an append added, by kind of file (min-max over the appends; vs a full release):")
    for kind in sorted(
        {k for ks in kinds for k in ks}, key=lambda k: -max(ks.get(k, 0) for ks in kinds)
    ):
        sizes = [ks.get(kind, 0) for ks in kinds]
        print(
            f"  {kind:<16} {min(sizes):>9,}-{max(sizes):>9,} B  "
            f"({min(sizes) / full:.1%}-{max(sizes) / full:.1%})"
        )
    same = rebuilt == last
    print(f"from-scratch content hashes equal those of version {versions[-1]}: {same}")
    if not same:
        for table in sorted(last):
            print(f"  {table}: {last[table][:16]} vs rebuilt {rebuilt.get(table, '')[:16]}")


if __name__ == "__main__":
    main()
