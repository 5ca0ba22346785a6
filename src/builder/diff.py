"""Compare two releases table by table, by key: added, removed and changed rows.

The diff decides the next version number (semantic versioning as data sets use it)
and is what `builder diff` prints and each release's card summarises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from builder.contract import TABLES, json_schema

#: How many example keys a diff keeps per kind of change.
EXAMPLES = 5


@dataclass(frozen=True)
class TableDiff:
    added: int
    removed: int
    changed: int
    unchanged: int
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def key_of(table: str) -> str:
    return str(json_schema(table)["x-key"])


def diff_table(old: pa.Table, new: pa.Table, key: str) -> TableDiff:
    """Rows matched by `key`; a row whose other columns differ in any way is changed."""
    o = pl.from_arrow(old)
    n = pl.from_arrow(new)
    assert isinstance(o, pl.DataFrame) and isinstance(n, pl.DataFrame)
    common = [c for c in n.columns if c in o.columns]
    oh = o.select(pl.col(key), o.select(common).hash_rows(seed=0).alias("_h"))
    nh = n.select(pl.col(key), n.select(common).hash_rows(seed=0).alias("_h"))
    if o.columns != n.columns:  # a column added or dropped changes every row
        oh = oh.with_columns(pl.lit(0, dtype=pl.UInt64).alias("_h"))
        nh = nh.with_columns(pl.lit(1, dtype=pl.UInt64).alias("_h"))
    joined = oh.join(nh, on=key, how="full", suffix="_new", coalesce=True)
    added = joined.filter(pl.col("_h").is_null())
    removed = joined.filter(pl.col("_h_new").is_null())
    both = joined.filter(pl.col("_h").is_not_null() & pl.col("_h_new").is_not_null())
    changed = both.filter(pl.col("_h") != pl.col("_h_new"))

    def sample(frame: pl.DataFrame) -> list[str]:
        return sorted(frame[key].to_list())[:EXAMPLES]

    return TableDiff(
        added=added.height,
        removed=removed.height,
        changed=changed.height,
        unchanged=both.height - changed.height,
        examples={"added": sample(added), "removed": sample(removed), "changed": sample(changed)},
    )


def read_release(path: Path) -> dict[str, pa.Table]:
    """The three tables of one release directory (a `versions/X.Y.Z` folder)."""
    return {t: pq.read_table(sorted((path / t).glob("*.parquet"))) for t in TABLES}


def diff_releases(old: dict[str, pa.Table], new: dict[str, pa.Table]) -> dict[str, TableDiff]:
    return {t: diff_table(old[t], new[t], key_of(t)) for t in TABLES}


def bump(previous: str, diffs: dict[str, TableDiff], *, contract_changed: bool) -> str | None:
    """The next version: MAJOR when rows change or go (or the contract changed), MINOR
    when rows are only added, None when nothing changed."""
    major, minor, _ = parse_version(previous)
    if contract_changed or any(d.removed or d.changed for d in diffs.values()):
        return f"{major + 1}.0.0"
    if any(d.added for d in diffs.values()):
        return f"{major}.{minor + 1}.0"
    return None


def parse_version(text: str) -> tuple[int, int, int]:
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a version number X.Y.Z: {text!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])
