"""Stage timings: what `timed_items` counts, and what it leaves to the caller."""

from __future__ import annotations

import time
from collections.abc import Iterator

from builder import timing


def _slow(values: list[int | None]) -> Iterator[int | None]:
    for value in values:
        time.sleep(0.02)
        yield value


def test_timed_items_counts_producing_items_not_using_them() -> None:
    timing.take()
    seen = []
    for item in timing.timed_items(_slow([1, None, 3]), "read"):
        seen.append(item)
        time.sleep(0.05)  # the caller's work: not "read"
    spent = timing.take()["read"]
    assert seen == [1, None, 3]  # None is an item, not the end
    assert 0.06 <= spent < 0.15
