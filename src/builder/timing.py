"""Seconds per pipeline stage: where a build's wall time goes, every second of it.

Two kinds of clocks meet here. A per-dump stage runs in many processes (a pool, Dask
workers), so each process keeps running totals of the seconds spent in each stage
(`timed`, `add`), which the engine collects and resets after every batch (`take`).
Recording is two `perf_counter` calls and a dict update: cheap enough to stay on.

The build's driver keeps a `Wall`: it hands each interval of its own wall time, from the
process's start (interpreter and imports included: what `time builder make` shows) to
the report, to the stage that ran in it (`Wall.lap`), so the stages add up to the wall
time. A step run by a pool fills its interval with its workers' totals scaled to it
(`fit`): two workers parsing for 10 s each over 5 s of wall time count 5 s, split in the
workers' proportions.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter
from typing import TypeVar

T = TypeVar("T")

#: The stages `BuildReport.timings` reports, in pipeline order: `startup` (interpreter
#: and imports), `list` (walking the inputs), the per-dump stages, `cache` (per-dump
#: cache and incremental state: opening, looking up, writing), `merge`, `write` (the
#: parsed batches as the merge's payloads, and the spilled tables), `check` (the whole
#: tables against the contract), `compare` (against the latest release, to number the
#: version), `publish` (Parquet files, card, manifest) and `report` (report.html and
#: its charts).
STAGES = (
    "startup",
    "list",
    "read",
    "decode",
    "segment",
    "repair",
    "validate",
    "cache",
    "merge",
    "write",
    "check",
    "compare",
    "publish",
    "report",
)

_totals: dict[str, float] = {}


def add(stage: str, seconds: float) -> None:
    _totals[stage] = _totals.get(stage, 0.0) + seconds


@contextmanager
def timed(stage: str) -> Iterator[None]:
    started = perf_counter()
    try:
        yield
    finally:
        add(stage, perf_counter() - started)


def timed_items(items: Iterable[T], stage: str) -> Iterator[T]:
    """The items, with the time spent producing each (reading a file, say) added to
    `stage`; what the caller does with an item is not counted."""
    iterator = iter(items)
    done = object()
    while True:
        started = perf_counter()
        item = next(iterator, done)
        add(stage, perf_counter() - started)
        if item is done:
            return
        yield item  # type: ignore[misc]  # not `done`, so a T


def take() -> dict[str, float]:
    """This process's totals since the last call; resets them."""
    taken = dict(_totals)
    _totals.clear()
    return taken


def combine(into: dict[str, float], more: Mapping[str, float]) -> None:
    for stage, seconds in more.items():
        into[stage] = into.get(stage, 0.0) + seconds


def fit(seconds: Mapping[str, float], wall: float, default: str) -> dict[str, float]:
    """`seconds` (summed over the processes of one step) scaled to add up to `wall`, the
    step's wall time; all of it to `default` when no stage was timed."""
    total = sum(seconds.values())
    if total <= 0:
        return {default: wall}
    return {stage: spent * wall / total for stage, spent in seconds.items()}


def process_age() -> float | None:
    """Seconds since this process started, from the kernel's record (Linux; None
    elsewhere): what the interpreter and the imports took before any of our code ran."""
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii")
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
        return max(0.0, now - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class Wall:
    """The wall time of one build, handed out interval by interval to the stages.

    `started` is a `perf_counter` value: the process's start for the CLI (see
    `process_started`), the call for a library build.
    """

    def __init__(self, started: float | None = None) -> None:
        self.started = perf_counter() if started is None else started
        self._mark = self.started
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        """The time since the last lap was spent in `stage`."""
        now = perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + (now - self._mark)
        self._mark = now

    def spread(self, seconds: Mapping[str, float], default: str) -> None:
        """The time since the last lap was spent in these stages, in these proportions
        (a step's totals, summed over its processes; see `fit`)."""
        now = perf_counter()
        combine(self.stages, fit(seconds, now - self._mark, default))
        self._mark = now

    def elapsed(self) -> float:
        """Wall seconds from the start to the last lap."""
        return self._mark - self.started

    def report(self) -> dict[str, float]:
        """Seconds per stage of STAGES, rounded, in pipeline order."""
        return {stage: round(self.stages.get(stage, 0.0), 3) for stage in STAGES}


def process_started() -> float:
    """The `perf_counter` value of this process's start (of this module's import where
    the kernel cannot say)."""
    age = process_age()
    return _IMPORTED if age is None else perf_counter() - age


_IMPORTED = perf_counter()
