"""The shared, content-addressed store that lets versions share their files.

Every version of a dataset lists its Parquet files from `data/<table>/` at the top of
the dataset folder instead of holding a copy. Each table is cut into *partitions* by
day, a function of the rows alone, so the same inputs give the same files however they
were added:

- `dumps`: the day the dump was captured;
- `sightings`: the capture day of the dump they were seen in;
- `articles`: the day the article was first seen (`first_seen_at`), which a later
  sighting never changes.

An article seen again adds a sightings row and changes nothing in its articles row
(the table keeps no count of its sightings), so a daily append writes new files for
the new day and rewrites only the day files holding an article whose row it changed
(a publisher named for the first time, a full text for a teaser); every other file is
the previous version's, byte for byte, and is stored once. A file is named
`<day>-<shard>-<sha256 prefix>.parquet`, so the names sort in row order and a name
never stands for two contents. A version's table is its files concatenated in name
order; its content hash is over that order, so a from-scratch build of the same
inputs gives the same hash (and the same files) as a dataset grown day by day.

Files are written into the publish's staging folder first and moved into the store
only when all of them are complete; a file already in the store with the same bytes is
kept and the new copy dropped. Files that no version lists (left by a killed publish)
are removed by the next publish.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder import contract
from builder.engines.spill import HeldTable, SpilledTable, fixed_runs
from builder.release.atomic import fsync_dir, sha256_and_sync
from builder.release.parquet import writer_options
from builder.release.versions import MANIFEST, STORE_DIR, VERSIONS_DIR

#: How a version folder's card and manifest reach the store.
UP: Final = "../../"
#: The label of an empty table's single (empty) file: every config has a file to load.
EMPTY: Final = "empty"
#: Characters of the sha256 in a file's name (the manifest keeps all 64).
NAME_HASH: Final = 16
#: Rows read at a time when a table is cut into partitions: an `articles` slice holds
#: its texts (~40 MB at 8,192 rows; 65,536 held ~320 MB at 100,000 dumps).
STEP: Final = 8 * 1024

AnyTable: TypeAlias = pa.Table | SpilledTable


@dataclass(frozen=True)
class StoredFile:
    """One Parquet file of a version: its table, where it is, and what it holds."""

    table: str
    name: str  # file name inside data/<table>/
    sha256: str
    size_bytes: int
    rows: int

    @property
    def key(self) -> str:
        """The path a version's manifest and card list it under (relative to the
        version folder)."""
        return f"{UP}{STORE_DIR}/{self.table}/{self.name}"


@dataclass(frozen=True)
class WrittenTable:
    """A table written as partition files, with the digest of the rows in file order."""

    files: tuple[StoredFile, ...]
    digest: str
    num_bytes: int


# --- partitions -----------------------------------------------------------------------


def _day(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each instant's day, `YYYY-MM-DD`, formatted once per distinct day (a release has
    few) and spread to the rows by Arrow: `strftime` on every row cost ~0.65 us a row,
    ~0.05 s of a 20,000-dump publish, where the days of three columns are read."""
    if not (pa.types.is_timestamp(values.type) and values.type.tz == "UTC"):
        days = pc.strftime(values, format="%Y-%m-%d")
        return days.combine_chunks() if isinstance(days, pa.ChunkedArray) else days
    dates = pc.cast(values, pa.date32())
    encoded = (
        dates.combine_chunks() if isinstance(dates, pa.ChunkedArray) else dates
    ).dictionary_encode()
    midnights = encoded.dictionary.cast(pa.timestamp("s", tz="UTC"))
    return pc.take(pc.strftime(midnights, format="%Y-%m-%d"), encoded.indices)


def _slices(table: AnyTable, step: int) -> Iterator[pa.Table]:
    if isinstance(table, pa.Table):
        for start in range(0, table.num_rows, step):
            yield table.slice(start, step)
        return
    yield from table.slices(step)


@dataclass(frozen=True)
class Placement:
    """Which day each row belongs to: a dump's capture day (keys and days as parallel
    arrays, for vectorised look-ups), which also places its sightings. Articles carry
    their own day (`first_seen_at`)."""

    dump_ids: pa.Array
    dump_days: pa.Array


def placement(tables: Mapping[str, AnyTable]) -> Placement:
    """The placement of a release's rows, from the `dumps` table (held in memory by
    every build).

    Articles go by the day they were first seen. An article shown again later (related
    article rails show the last few days' stories, and a few evergreens for weeks)
    gets a new sightings row and keeps its articles row, so it stays where it is. (Until
    contract 3, a row held its count of sightings and changed at every one; evergreens
    then moved to the day they were last seen, to spare rewriting an old day's file each
    time they were shown. With nothing to rewrite, that move was pure cost: on the
    day-by-day benchmark of benchmarks/RESULTS.md it rewrote a fifth article day file
    on the day the first evergreens moved, 16.3% of a release instead of 14.0%.)
    """
    dumps = tables["dumps"]
    dumps = dumps if isinstance(dumps, pa.Table) else dumps.read_all()
    return Placement(dumps.column("dump_id").combine_chunks(), _day(dumps.column("captured_at")))


def _labels(name: str, piece: pa.Table, where: Placement) -> pa.Array:
    if name == "dumps":
        return _day(piece.column("captured_at"))
    if name == "articles":
        labels = _day(piece.column("first_seen_at"))
    else:
        at = pc.index_in(piece.column("dump_id"), value_set=where.dump_ids)
        labels = pc.coalesce(pc.take(where.dump_days, at), pa.scalar(EMPTY))
    return labels.combine_chunks() if isinstance(labels, pa.ChunkedArray) else labels


#: The one column a row's day is read from (`_labels`), per table.
_DAY_COLUMN: Final = {"dumps": "captured_at", "articles": "first_seen_at", "sightings": "dump_id"}


def _rows_per_day(name: str, table: SpilledTable, where: Placement) -> dict[str, int]:
    """How many rows of a spilled table each day has, from that one column alone.

    Finding the days, then counting each one, read every column of every slice once per
    day (plus once): the day's column alone, memory-mapped, is one pass that never
    touches the texts (at 20,000 dumps, ~0.1 s of publishing for a single day). The
    column is labelled at once, not a file at a time: the sightings' look-up of their
    dumps' days built its table of dump ids once per file (0.018 against 0.004 s).
    """
    column = _DAY_COLUMN[name]
    values = pa.chunked_array(list(table.column(column)), table.schema.field(column).type)
    labels = _labels(name, pa.table({column: values}), where)
    return {found["values"]: found["counts"] for found in pc.value_counts(labels).to_pylist()}


def _partition(
    name: str, table: AnyTable, label: str, where: Placement, single: int | None
) -> Iterator[pa.Table]:
    """The rows of one partition, in table order, a slice at a time; `single` (rows per
    slice) when it is the table's only partition: the slices are then the table's."""
    for piece in _slices(table, single or STEP):
        if single:
            yield piece
            continue
        rows = piece.filter(pc.equal(_labels(name, piece, where), label))
        if rows.num_rows:
            yield rows


# --- writing --------------------------------------------------------------------------


def _chunks(pieces: Iterator[pa.Table], step: int) -> Iterator[pa.Table]:
    """The rows of `pieces` as consecutive tables of exactly `step` rows (the last may
    be shorter): the row groups, whatever the pieces' sizes, so the bytes are a
    function of the rows alone."""
    for run in fixed_runs(pieces, step):
        yield pa.concat_tables(run).combine_chunks()


def _take(pieces: Iterator[pa.Table], rows: int) -> Iterator[pa.Table]:
    """The next `rows` rows of shard-aligned `pieces` (no piece crosses the end)."""
    got = 0
    while got < rows:
        piece = next(pieces)
        got += piece.num_rows
        yield piece


def _write_partition(
    name: str,
    rows: Iterator[pa.Table],
    count: int,
    label: str,
    folder: Path,
    settings: Mapping[str, Any],
    rows_per_shard: int,
    hasher: contract.TableHasher,
) -> list[StoredFile]:
    """One partition's shards (`rows` cut at shard boundaries), written and named."""
    schema = contract.arrow_schema(name).remove_metadata()
    options = writer_options(settings, schema)
    row_group = int(options.pop("row_group_size"))
    shards = max(1, math.ceil(count / rows_per_shard))
    written: list[StoredFile] = []
    for index in range(shards):
        wanted = min(rows_per_shard, count - index * rows_per_shard) if count else 0
        partial = folder / f".{label}-{index:05d}.parquet"
        with pq.ParquetWriter(partial, schema, **options) as writer:
            for chunk in _chunks(_take(rows, wanted), row_group):
                chunk = chunk.replace_schema_metadata(None)
                hasher.add(chunk)
                writer.write_table(chunk, row_group_size=row_group)
            if wanted == 0:
                writer.write_table(schema.empty_table(), row_group_size=row_group)
        sha256, size = sha256_and_sync(partial)
        file_name = f"{label}-{index:05d}-{sha256[:NAME_HASH]}.parquet"
        os.replace(partial, folder / file_name)
        written.append(StoredFile(name, file_name, sha256, size, wanted))
    return written


def _shard_aligned(pieces: Iterator[pa.Table], rows_per_shard: int) -> Iterator[pa.Table]:
    """Pieces cut so that none crosses a shard boundary."""
    at = 0
    for piece in pieces:
        while piece.num_rows:
            take = min(rows_per_shard - at % rows_per_shard, piece.num_rows)
            yield piece.slice(0, take)
            at += take
            piece = piece.slice(take)


def write_table(
    name: str,
    table: AnyTable,
    staging: Path,
    *,
    where: Placement,
    settings: Mapping[str, Any],
    rows_per_shard: int,
) -> WrittenTable:
    """Write `table` as its partition files into `staging/data/<table>/`.

    Returns the files in row order and the content digest of the rows in that order.
    A table held on disk is read once per partition, so memory stays one slice.
    """
    folder = staging / STORE_DIR / name
    folder.mkdir(parents=True)
    hasher = contract.TableHasher(contract.arrow_schema(name))
    files: list[StoredFile] = []
    row_group = int(settings["row_group_size"])
    for label, count, pieces in _partitions(name, table, where, row_group):
        rows = _shard_aligned(pieces, rows_per_shard)
        files += _write_partition(
            name, rows, count, label, folder, settings, rows_per_shard, hasher
        )
    if not files:  # an empty table still gets its (empty) file
        files += _write_partition(
            name, iter(()), 0, EMPTY, folder, settings, rows_per_shard, hasher
        )
    digest, num_bytes = hasher.finish()
    return WrittenTable(tuple(files), digest, num_bytes)


def table_digest(name: str, table: AnyTable, where: Placement) -> str:
    """The content digest `write_table` would record for `table`, without writing."""
    hasher = contract.TableHasher(contract.arrow_schema(name))
    for _, _, pieces in _partitions(name, table, where):
        for piece in pieces:
            hasher.add(piece.replace_schema_metadata(None))
    return hasher.finish()[0]


def _partitions(
    name: str, table: AnyTable, where: Placement, single_step: int = STEP
) -> Iterator[tuple[str, int, Iterator[pa.Table]]]:
    """(day, rows, the rows a slice at a time) per partition, in day order.

    A table in memory is labelled once and filtered per day; a spilled one is read
    once per day (and its day column once, to count the days' rows), so memory stays
    one slice. A spilled table of a single day is read `single_step` rows at a time
    (the writer passes its row group): cut at STEP, each row group was copied together
    from three slices, 0.05 s of CPU for the articles of 20,000 dumps."""
    held = table.table if isinstance(table, HeldTable) else table
    if isinstance(held, pa.Table):
        labels = _labels(name, held, where) if held.num_rows else pa.array([], pa.string())
        days = sorted(pc.unique(labels).to_pylist())
        for day in days:
            rows = held if len(days) == 1 else held.filter(pc.equal(labels, day))
            yield day, rows.num_rows, _slices(rows, STEP)
        return
    counts = _rows_per_day(name, table, where) if table.num_rows else {}
    for day in sorted(counts):
        single = single_step if len(counts) == 1 else None
        yield day, counts[day], _partition(name, table, day, where, single)


# --- the store ------------------------------------------------------------------------


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def commit(staging: Path, dataset_dir: Path, files: tuple[StoredFile, ...]) -> int:
    """Move the staged files into the store; returns the bytes added to it.

    A file the store already holds with the right bytes is kept (the staged copy is
    dropped): that is how versions share files. A damaged one is replaced, which
    repairs every version that lists it.
    """
    added = 0
    touched: set[Path] = set()
    for file in files:
        staged = staging / STORE_DIR / file.table / file.name
        target = dataset_dir / STORE_DIR / file.table / file.name
        if target.is_file() and _sha256(target) == file.sha256:
            staged.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        touched.add(target.parent)
        added += file.size_bytes
    for folder in sorted(touched):
        fsync_dir(folder)
    return added


def store_path(release: Path, key: str) -> Path:
    """Where a manifest's file key lives on disk (keys are relative to the version)."""
    return Path(os.path.normpath(release / key))


def table_files(manifest: Mapping[str, Any], table: str) -> list[str]:
    """The manifest keys of `table`'s Parquet files, in row order (name order).

    Both layouts are read: `../../data/<table>/...` (shared store) and `<table>/...`
    (a version that holds its own files, as releases before the store did)."""
    listed = manifest.get("files")
    if not isinstance(listed, Mapping):
        return []
    prefixes = (f"{UP}{STORE_DIR}/{table}/", f"{table}/")
    return sorted(
        key
        for key in listed
        if isinstance(key, str) and key.startswith(prefixes) and key.endswith(".parquet")
    )


def listed_store_files(dataset_dir: Path) -> set[Path] | None:
    """Every store file some version lists; None when a manifest cannot be read (then
    nothing may be called unused)."""
    versions = dataset_dir / VERSIONS_DIR
    used: set[Path] = set()
    if not versions.is_dir():
        return used
    for release in versions.iterdir():
        if not release.is_dir():
            continue
        try:
            manifest = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
            used.update(store_path(release, key) for key in manifest["files"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
    return used


def remove_unlisted(dataset_dir: Path) -> None:
    """Remove store files no version lists: what a publish killed after moving its
    files in but before its version appeared leaves behind. Call only when no other
    publish is running (it may be about to list them)."""
    store = dataset_dir / STORE_DIR
    if not store.is_dir():
        return
    used = listed_store_files(dataset_dir)
    if used is None:
        return
    for path in store.glob("*/*"):
        if path.is_file() and Path(os.path.normpath(path)) not in used:
            path.unlink()


def version_paths(release: Path, table: str) -> list[Path]:
    """The Parquet files of `table` in the version folder `release`, in row order:
    what pandas, polars or pyarrow read to get that version's table."""
    manifest = json.loads((Path(release) / MANIFEST).read_text(encoding="utf-8"))
    return [store_path(Path(release), key) for key in table_files(manifest, table)]
