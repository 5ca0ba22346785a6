"""Compare two releases table by table, by key: added, removed and changed rows.

The diff decides the next version number and its reason (`bump`: semantic versioning
by what a change means to a consumer),
is what `builder diff` prints, and is summarised in each release's card, its manifest
and the dataset's CHANGELOG.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from builder.contract import TABLES, json_schema
from builder.release.store import store_path, table_files

#: How many example keys a diff keeps per kind of change.
EXAMPLES = 5
#: The column that makes an example key readable to a person, per table.
_LABELS: Final[Mapping[str, str]] = {"articles": "title", "sightings": "title", "dumps": "path"}


@dataclass(frozen=True)
class TableDiff:
    added: int
    removed: int
    changed: int
    unchanged: int
    examples: dict[str, list[str]] = field(default_factory=dict)
    #: Example key -> a readable label (an article's title, a dump's path).
    labels: dict[str, str] = field(default_factory=dict)
    #: Changed example key -> the columns whose values differ.
    changed_columns: dict[str, list[str]] = field(default_factory=dict)
    #: Columns the old table had and the new one has not, and the other way round
    #: (a contract change).
    columns_removed: tuple[str, ...] = ()
    columns_added: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the counts, and the examples with their labels and columns."""

        def example(kind: str, key: str) -> dict[str, Any]:
            item: dict[str, Any] = {"key": key}
            if key in self.labels:
                item["label"] = self.labels[key]
            if kind == "changed":
                item["columns"] = self.changed_columns.get(key, [])
            return item

        found: dict[str, Any] = {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "examples": {
                kind: [example(kind, key) for key in keys] for kind, keys in self.examples.items()
            },
        }
        if self.columns_removed or self.columns_added:
            found["columns"] = {
                "removed": list(self.columns_removed),
                "added": list(self.columns_added),
            }
        return found


def key_of(table: str) -> str:
    return str(json_schema(table)["x-key"])


def _row_hashes(frame: pl.DataFrame, key: str, columns: list[str]) -> pl.DataFrame:
    return frame.select(pl.col(key), frame.select(columns).hash_rows(seed=0).alias("_h"))


def diff_table(old: pa.Table, new: pa.Table, key: str, *, label: str | None = None) -> TableDiff:
    """Rows matched by `key`; a row whose other columns differ in any way is changed."""
    o = pl.from_arrow(old)
    n = pl.from_arrow(new)
    assert isinstance(o, pl.DataFrame) and isinstance(n, pl.DataFrame)
    common = [c for c in n.columns if c in o.columns]
    oh = _row_hashes(o, key, common)
    nh = _row_hashes(n, key, common)
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

    examples = {"added": sample(added), "removed": sample(removed), "changed": sample(changed)}
    return TableDiff(
        added=added.height,
        removed=removed.height,
        changed=changed.height,
        unchanged=both.height - changed.height,
        examples=examples,
        labels=_labels(o, n, key, label, examples),
        changed_columns=_changed_columns(o, n, key, examples["changed"]),
        columns_removed=tuple(c for c in o.columns if c not in n.columns),
        columns_added=tuple(c for c in n.columns if c not in o.columns),
    )


def _rows_by_key(frame: pl.DataFrame, key: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    return {row[key]: row for row in frame.filter(pl.col(key).is_in(keys)).to_dicts()}


def _labels(
    old: pl.DataFrame,
    new: pl.DataFrame,
    key: str,
    label: str | None,
    examples: Mapping[str, list[str]],
) -> dict[str, str]:
    if label is None:
        return {}
    labels: dict[str, str] = {}
    for frame, kinds in ((old, ("removed",)), (new, ("added", "changed"))):
        if label not in frame.columns:
            continue
        keys = [k for kind in kinds for k in examples[kind]]
        for k, row in _rows_by_key(frame, key, keys).items():
            if row[label] is not None:
                labels[k] = str(row[label])
    return labels


def _changed_columns(
    old: pl.DataFrame, new: pl.DataFrame, key: str, keys: list[str]
) -> dict[str, list[str]]:
    before = _rows_by_key(old, key, keys)
    after = _rows_by_key(new, key, keys)
    return {
        k: [c for c in after[k] if c not in before[k] or before[k][c] != after[k][c]]
        + [c for c in before[k] if c not in after[k]]
        for k in keys
        if k in before and k in after
    }


def read_release(path: Path, *, placed_at: Path | None = None) -> dict[str, pa.Table]:
    """The three tables of one release directory (a `versions/X.Y.Z` folder): the files
    its manifest lists, from the shared store, in row order. `placed_at` is where a
    version still being staged will be: its file paths are relative to that folder."""
    manifest = read_manifest(path)
    base = path if placed_at is None else placed_at
    return {
        t: pq.read_table([store_path(base, key) for key in table_files(manifest, t)])
        for t in TABLES
    }


def diff_releases(old: Mapping[str, pa.Table], new: Mapping[str, pa.Table]) -> dict[str, TableDiff]:
    return {t: diff_table(old[t], new[t], key_of(t), label=_LABELS.get(t)) for t in TABLES}


@dataclass(frozen=True)
class Bump:
    """The next version number and why: the rule that chose it and the counts behind it."""

    version: str
    level: str  # "major" | "minor" | "patch" | "first" | "requested"
    reason: str

    def __str__(self) -> str:
        return f"{self.version}: {self.reason}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _counts(diffs: Mapping[str, TableDiff]) -> list[str]:
    """`300 dumps added, 2900 sightings added, 281 articles added, 12 articles updated`:
    inputs first, then the appearances they hold, then articles. Sightings are named
    because an article seen again is not an updated article row (the table keeps no
    count of its sightings): what such an append adds is sightings. Their updates are
    left out (they follow their dumps)."""
    parts: list[str] = []
    for table, noun, verbs in (
        ("dumps", "dump", ("added", "removed", "updated")),
        ("sightings", "sighting", ("added", "removed")),
        ("articles", "article", ("added", "removed", "updated")),
    ):
        d = diffs.get(table)
        if d is None:
            continue
        counts = {"added": d.added, "removed": d.removed, "updated": d.changed}
        parts += [f"{_plural(counts[verb], noun)} {verb}" for verb in verbs if counts[verb]]
    return parts


def _column_changes(diffs: Mapping[str, TableDiff]) -> str:
    """` (articles: n_sightings removed)`: what a contract change did to the columns."""
    parts: list[str] = []
    for table, d in diffs.items():
        said = [f"{', '.join(d.columns_removed)} removed"] if d.columns_removed else []
        said += [f"{', '.join(d.columns_added)} added"] if d.columns_added else []
        if said:
            parts.append(f"{table}: {'; '.join(said)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _contract_major(version: str | None) -> str | None:
    return None if version is None else version.split(".", 1)[0]


def bump(
    previous: str,
    diffs: Mapping[str, TableDiff],
    *,
    old_contract: str | None,
    new_contract: str,
    files_changed: bool = False,
) -> Bump | None:
    """The next version after `previous`, by what the change means to a consumer
    (Frictionless Data Package versioning, TFDS); None when nothing changed.

    - MAJOR: the contract changed incompatibly (its MAJOR), or a key disappeared: an
      input removed (an input whose bytes changed is removed and added again: its
      dump id is its path and sha256), an article or a sighting gone.
    - MINOR: new inputs added rows (dumps, sightings, articles) or updated existing
      ones with new evidence (a full text for a teaser, a publisher in `sources`); the
      same inputs giving new rows; a compatible contract change.
    - PATCH: the same inputs and the same keys, values changed (a parser or builder
      fix), or only the files' bytes differ (another pyarrow, other writer settings).
    """
    major, minor, patch = parse_version(previous)
    counts = _counts(diffs)
    dumps = diffs.get("dumps", TableDiff(0, 0, 0, 0))
    contract = f"contract {old_contract} -> {new_contract}{_column_changes(diffs)}"
    if old_contract != new_contract and _contract_major(old_contract) != _contract_major(
        new_contract
    ):
        return Bump(f"{major + 1}.0.0", "major", ", ".join([contract, *counts]))
    if any(d.removed for d in diffs.values()):
        return Bump(f"{major + 1}.0.0", "major", ", ".join(counts))
    if old_contract != new_contract:
        return Bump(f"{major}.{minor + 1}.0", "minor", ", ".join([contract, *counts]))
    if dumps.added:
        return Bump(f"{major}.{minor + 1}.0", "minor", ", ".join(counts))
    if any(d.added for d in diffs.values()):
        return Bump(f"{major}.{minor + 1}.0", "minor", ", ".join(["same inputs", *counts]))
    if any(d.changed for d in diffs.values()):
        changed = counts or [
            f"{_plural(d.changed, name.rstrip('s'))} updated"
            for name, d in diffs.items()
            if d.changed
        ]
        return Bump(f"{major}.{minor}.{patch + 1}", "patch", ", ".join(["same inputs", *changed]))
    if files_changed:
        return Bump(
            f"{major}.{minor}.{patch + 1}",
            "patch",
            "same rows, only the files' bytes differ (Parquet writer or its settings)",
        )
    return None


def first_release(version: str, row_counts: Mapping[str, int]) -> Bump:
    """The reason of a dataset's first version."""
    parts = [_plural(row_counts.get(t, 0), t.rstrip("s")) for t in ("dumps", "articles")]
    return Bump(version, "first", "first release: " + ", ".join(parts))


def requested(version: str, automatic: Bump | None) -> Bump:
    """A version number given on the command line, with what the rules would have said."""
    said = f"{automatic.version}: {automatic.reason}" if automatic else "no change"
    return Bump(version, "requested", f"requested with --version (the rules give {said})")


def parse_version(text: str) -> tuple[int, int, int]:
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a version number X.Y.Z: {text!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])


# --- two published releases -----------------------------------------------------------


@dataclass(frozen=True)
class ReleaseDiff:
    """`builder diff OLD NEW`: which releases were compared and what changed per table."""

    old: Path
    new: Path
    old_version: str | None
    new_version: str | None
    old_contract: str | None
    new_contract: str | None
    tables: dict[str, TableDiff]

    def as_dict(self) -> dict[str, Any]:
        """`{"articles": {"added": N, ...}, ...}`: tables only, so scripts index by name."""
        return {name: d.as_dict() for name, d in self.tables.items()}


def read_manifest(release: Path) -> dict[str, Any]:
    """A release's manifest.json, or {} when it is missing or not a JSON object."""
    try:
        loaded = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def diff_release_dirs(old: Path, new: Path) -> ReleaseDiff:
    """Diff two release folders (each holding manifest.json and the table folders)."""
    old_manifest, new_manifest = read_manifest(old), read_manifest(new)
    return ReleaseDiff(
        old=old,
        new=new,
        old_version=old_manifest.get("version"),
        new_version=new_manifest.get("version"),
        old_contract=old_manifest.get("contract_version"),
        new_contract=new_manifest.get("contract_version"),
        tables=diff_releases(read_release(old), read_release(new)),
    )


# --- rendering ------------------------------------------------------------------------


def _count_line(name: str, d: TableDiff) -> str:
    return (
        f"{name}: {d.added} added, {d.removed} removed, {d.changed} changed "
        f"({d.unchanged} unchanged)"
    )


def _example_lines(d: TableDiff, indent: str) -> list[str]:
    lines: list[str] = []
    for kind in ("added", "removed", "changed"):
        for key in d.examples.get(kind, []):
            text = f"{indent}{kind} {key}"
            if key in d.labels:
                text += f" {json.dumps(d.labels[key], ensure_ascii=False)}"
            if kind == "changed" and d.changed_columns.get(key):
                text += f" ({', '.join(d.changed_columns[key])})"
            lines.append(text)
        count = getattr(d, kind)
        if count > len(d.examples.get(kind, [])):
            lines.append(f"{indent}... and {count - len(d.examples.get(kind, []))} more {kind}")
    return lines


def _column_lines(removed: Sequence[str], added: Sequence[str]) -> list[str]:
    """A contract change's columns: every row of the table differs because of them."""
    lines = [f"column removed: {name}" for name in removed]
    return lines + [f"column added: {name}" for name in added]


def render_text(diff: ReleaseDiff) -> str:
    """The report `builder diff` prints: counts per table, then a few examples each."""
    old = diff.old_version or str(diff.old)
    new = diff.new_version or str(diff.new)
    lines = [f"{old} -> {new}"]
    if diff.old_contract != diff.new_contract:
        lines.append(f"contract: {diff.old_contract} -> {diff.new_contract}")
    for name, d in diff.tables.items():
        lines.append(_count_line(name, d))
        lines += [f"  {line}" for line in _column_lines(d.columns_removed, d.columns_added)]
        lines += _example_lines(d, "  ")
    if not any(d.any for d in diff.tables.values()):
        lines.append("no rows added, removed or changed")
    return "\n".join(lines) + "\n"


def render_markdown(changes: Mapping[str, Mapping[str, Any]], previous: str | None) -> str:
    """Markdown list of the changes since `previous`, from `TableDiff.as_dict()` values
    (the form kept in the manifest, so a card can be rewritten from disk alone)."""
    if previous is None:
        return "- first release\n"
    lines: list[str] = []
    order = {name: index for index, name in enumerate(TABLES)}
    for name, d in sorted(changes.items(), key=lambda item: order.get(item[0], len(order))):
        lines.append(
            f"- `{name}`: {d['added']} added, {d['removed']} removed, {d['changed']} changed "
            f"({d['unchanged']} unchanged)"
        )
        columns = d.get("columns") or {}
        lines += [
            f"  - {line.replace(': ', ': `', 1)}`"
            for line in _column_lines(columns.get("removed", []), columns.get("added", []))
        ]
        for kind in ("added", "removed", "changed"):
            for item in d.get("examples", {}).get(kind, []):
                text = f"  - {kind} `{item['key']}`"
                if "label" in item:
                    text += f" {json.dumps(item['label'], ensure_ascii=False)}"
                if item.get("columns"):
                    text += f" ({', '.join(item['columns'])})"
                lines.append(text)
    return "\n".join(lines) + "\n"
