"""Dumps parsed so far, counted where they are parsed: a progress bar that moves per
dump, not per batch (a batch is ~4 MB of input: a thousand small dumps at once).

A pool's workers add to one shared counter that the driver reads while it waits; a
build without a pool calls the driver's hook directly. Both are unset otherwise, and
a tick then costs one test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_shared: Any = None  # multiprocessing.Value("q") in a pool's workers
_hook: Callable[[], None] | None = None  # in the driver, when it parses itself


def tick() -> None:
    """One more dump parsed."""
    if _hook is not None:
        _hook()
    elif _shared is not None:
        with _shared.get_lock():
            _shared.value += 1


def share(counter: Any) -> None:
    """In a pool worker: count into `counter` (inherited from the driver)."""
    global _shared
    _shared = counter


def hook(callback: Callable[[], None] | None) -> None:
    """In the driver: call `callback` per dump parsed in this process (None: stop)."""
    global _hook
    _hook = callback
