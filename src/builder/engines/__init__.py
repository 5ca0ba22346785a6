"""Run the partitioned build: `partitioned` cuts it into pure steps, `spill` keeps their
tables on disk, and `local` (this machine's cores) or `dask` (a cluster) runs them.

Both engines run the same steps and hand back the same `Staged` tables, so the release
does not depend on the engine. Imports `inputs`, `parse`, `merge`, `contract`, `records`
and `timing`; never `release` or anything above it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from builder.engines.spill import SpilledTable
from builder.records import Dump

#: Called with each batch's dumps rows, in input order, as the per-dump stage finishes.
OnRows = Callable[[Sequence[Dump]], None]
#: Called as a later step advances: (step name, steps done, steps in all or None).
OnStage = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class BuildIndex:
    """What a build with a cached per-dump stage learned for the next incremental build
    (builder.incremental): the corpus-wide publisher sets and which titles each input
    shows."""

    parts: tuple[Path, ...]  # Arrow IPC streams of partitioned.INDEX_SCHEMA
    known: frozenset[str]
    ambiguous: frozenset[str]


@dataclass(frozen=True)
class Staged:
    """The three contract tables, spilled in key order, and where the time went."""

    tables: dict[str, SpilledTable]
    timings: dict[str, float] = field(default_factory=dict)
    index: BuildIndex | None = None
    #: Set by an incremental build: what it reused and what it redid, for the report.
    incremental: dict[str, int] | None = None
    #: The latest release's version and tables, when the build has read them already
    #: (the diff against it needs them again).
    previous: tuple[str, Mapping[str, pa.Table]] | None = None
    #: Set by an incremental build: the rows of `tables` that are not rows of the latest
    #: release, which the same code checked before publishing it; only these need the
    #: per-row checks again (check_spilled).
    fresh: Mapping[str, pa.Table] | None = None


ENGINES = ("local", "dask")
