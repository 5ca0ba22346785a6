"""SIGKILL `builder make` at many moments of a real build, publish included.

Every time, the previous release must still validate, no half version may be visible,
and the next run must end with exactly the release an uninterrupted build gives.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.releasing import BUILDER, WHEN, builder_env, cli, corpus, make, tree_hashes

pytestmark = pytest.mark.slow

Trigger = Callable[[Path], bool]


@dataclass(frozen=True)
class Prepared:
    inputs: Path
    before: Path  # the dataset with 1.0.0 only
    reference: dict[str, str]  # file hashes after an uninterrupted 1.1.0 build
    duration_s: float  # of that uninterrupted build


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    root = tmp_path_factory.mktemp("kill")
    inputs = root / "in"
    corpus(inputs / "a", 300, seed=21)
    before = root / "before"
    make(str(inputs), "--out", str(before), "--no-cache")  # so the killed run parses all
    corpus(inputs / "b", 8, seed=22)
    # Timed twice, the shorter counts: a build slowed by a busy machine while it was
    # timed made every moment late, and the killed builds ended before them.
    durations, hashes = [], []
    for run in range(2):
        reference = root / f"reference-{run}"
        shutil.copytree(before, reference)
        started = time.monotonic()
        assert make(str(inputs), "--out", str(reference))["version"] == "1.1.0"
        durations.append(time.monotonic() - started)
        hashes.append(tree_hashes(reference))
    assert hashes[0] == hashes[1]
    return Prepared(inputs, before, hashes[0], min(durations))


def _staging(ds: Path) -> list[Path]:
    return list(ds.glob(".tmp-1.1.0-*"))


def _in_staging(name: str) -> Trigger:
    return lambda ds: any((s / name).exists() for s in _staging(ds))


def _changelog_has_new_version(ds: Path) -> bool:
    changelog = ds / "CHANGELOG.md"
    return changelog.exists() and "## 1.1.0" in changelog.read_text(encoding="utf-8")


#: Moments as fractions of an uninterrupted build (start-up, parse, merge, ...) ...
FRACTIONS = [0.05, 0.15, 0.3, 0.45, 0.6, 0.75]
#: ... and the steps of publishing, seen on disk.
EVENTS: dict[str, Trigger] = {
    "staging created": lambda ds: bool(_staging(ds)),
    "first shard written": lambda ds: any(any(s.rglob("*.parquet")) for s in _staging(ds)),
    "sightings shards": _in_staging("data/sightings"),
    "manifest written": _in_staging("manifest.json"),
    "card written": _in_staging("README.md"),
    "version renamed": lambda ds: (ds / "versions" / "1.1.0").exists(),
    "changelog updated": _changelog_has_new_version,
}
MOMENTS = [f"at {f:.0%}" for f in FRACTIONS] + list(EVENTS)
#: Milliseconds before the end: a kill there is attempted but may find the build done
#: (test_versions covers the state they leave deterministically).
LATE = {"card written", "version renamed", "changelog updated"}


def _children(pid: int) -> list[int]:
    """The processes `pid` started (its pool workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pids: list[int]) -> list[int]:
    """The pids still running (a zombie has ended; a container's init may not reap it)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _kill_at(moment: str, ds: Path, inputs: Path, duration_s: float) -> tuple[bool, list[int]]:
    """Start a build and SIGKILL it at `moment`; whether it was still running, and
    which of its workers still run 10 s later."""
    process = subprocess.Popen(
        [BUILDER, "make", str(inputs), "--out", str(ds), "--captured-at", WHEN, "-q"],
        env=builder_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if moment in EVENTS:
            trigger = EVENTS[moment]
            while process.poll() is None and not trigger(ds):
                time.sleep(0.0005)
        else:
            fraction = FRACTIONS[MOMENTS.index(moment)]
            time.sleep(duration_s * fraction)
        was_running = process.poll() is None
        workers = _children(process.pid)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    deadline = time.monotonic() + 10
    while _running(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    return was_running, _running(workers)


def _valid(spec: str) -> None:
    done = cli("validate", spec, "--no-croissant")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_killed_build_leaves_a_valid_release_and_the_rerun_completes_it(
    prepared: Prepared, tmp_path: Path, moment: str
) -> None:
    # A timed moment is a fraction of the reference build's duration; a build that runs
    # faster than the reference did (a machine busy while it was timed) ends before the
    # moment. Then the moment is tried again, earlier, on a fresh copy: up to 3 times.
    for attempt in range(3):
        ds = tmp_path / f"ds-{attempt}"
        shutil.copytree(prepared.before, ds)
        duration_s = prepared.duration_s * 0.8**attempt
        was_running, orphans = _kill_at(moment, ds, prepared.inputs, duration_s)
        if was_running or moment in LATE or moment in EVENTS:
            break
    assert not orphans, "pool workers outlived the killed build"

    versions = sorted(p.name for p in (ds / "versions").iterdir())
    assert versions in (["1.0.0"], ["1.0.0", "1.1.0"])  # no half version is visible
    for version in versions:
        assert (ds / "versions" / version / "manifest.json").is_file()
    _valid(f"{ds}@1.0.0")
    _valid(str(ds))  # whatever the card points at loads and checks out

    make(str(prepared.inputs), "--out", str(ds))
    assert tree_hashes(ds) == prepared.reference
    assert not list(ds.glob(".tmp-*"))
    if moment not in LATE:  # the other ten moments must really interrupt a build
        assert was_running, f"the build ended before {moment!r}: the moment was not tested"
