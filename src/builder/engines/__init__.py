"""Where the partitioned build runs: `local` (this machine) or `dask` (a cluster).

Both run the same steps of `builder.partitioned` and hand back the same `Staged`
tables, so the release does not depend on the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from builder.records import Dump
from builder.spill import SpilledTable

#: Called with each batch's dumps rows, in input order, as the per-dump stage finishes.
OnRows = Callable[[Sequence[Dump]], None]


@dataclass(frozen=True)
class Staged:
    """The three contract tables, spilled in key order, and where the time went."""

    tables: dict[str, SpilledTable]
    timings: dict[str, float] = field(default_factory=dict)


ENGINES = ("local", "dask")
