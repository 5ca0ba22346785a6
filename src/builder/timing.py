"""Seconds spent per pipeline stage, summed over every dump a process handled.

A per-dump stage runs in many processes (a pool, Dask workers), so each process keeps
its own running totals and the engine collects and resets them after every batch.
Recording is two `perf_counter` calls and a dict update: cheap enough to stay on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from time import perf_counter
from typing import TypeVar

T = TypeVar("T")

#: The stages `BuildReport.timings` reports, in pipeline order.
STAGES = ("read", "decode", "segment", "repair", "validate", "merge", "write")

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
