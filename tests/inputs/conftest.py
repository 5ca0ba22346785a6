"""Fixtures for the input tests."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType

import pytest


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Turn a blocking open() of a FIFO into a failure instead of a hung test run."""

    def fail(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("blocked: a FIFO was opened")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
