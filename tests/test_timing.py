"""Stage timings: what `timed_items` counts, and what it leaves to the caller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from builder import timing


class Clock:
    """A perf_counter that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_timed_items_counts_producing_items_not_using_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(timing, "perf_counter", clock)

    def produce() -> Iterator[int | None]:
        for value in (1, None, 3):
            clock.now += 2.0  # reading a file, say
            yield value
        clock.now += 0.5  # finding there is no more

    timing.take()
    seen = []
    for item in timing.timed_items(produce(), "read"):
        seen.append(item)
        clock.now += 10.0  # the caller's work: not "read"
    assert seen == [1, None, 3]  # None is an item, not the end
    assert timing.take() == {"read": 6.5}
