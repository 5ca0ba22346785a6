"""The build as partitioned steps: the same pure functions for every engine.

Memory must stay bounded by a partition, not by the corpus, and the local pool and Dask
must give the same bytes. So the build is three steps over payloads that are Arrow IPC
streams (no pickled rows), and an engine only decides where each step runs and where
the payloads wait:

1. `extract_batch`: a batch of inputs -> per-dump results; their sightings as Arrow
   frames routed by normalised title (merge.assign_articles groups by title first, so
   a title partition holds whole groups) and the dumps rows routed by dump id range.
2. `merge_partition`: one title partition -> its articles (merge.merge_columns, polars
   group-bys), routed by article id range, and its sightings with their article ids,
   routed by dump id range.
3. `finish_range`: one id range of each table -> sorted Arrow tables. Ids are a prefix
   plus hex digits, so ranges in order are the tables in key order: byte-identical to
   sorting everything at once.

Each step has a form over Arrow tables (`extract_tables`, `merge_frame`,
`finish_tables`), which the local engine writes straight into its scratch files, and
one over IPC stream bytes (`extract_batch`, `merge_partition`, `finish_range`), which
Dask moves between its workers; both give the same tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from itertools import accumulate
from operator import attrgetter
from time import perf_counter
from typing import Any, TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from builder import timing
from builder.contract.rows import check_dump
from builder.contract.schema import arrow_schema
from builder.contract.tables import conform, dump_row, to_arrow
from builder.engines import ticks
from builder.engines.spill import use_system_allocator
from builder.inputs.files import InputFile, Picklable
from builder.inputs.read import iter_dumps
from builder.inputs.walk import reading_stamp
from builder.merge import (
    FRAME_SCHEMA,
    all_utc,
    merge_columns,
    sightings_frame,
)
from builder.parse.extract import extract, with_languages
from builder.records import Dump, DumpResult, RawDump, article_id_for, normalise_key

#: Input bytes per partition: small enough that a partition's Python objects stay far
#: below a worker's memory, large enough to keep the number of spill files modest.
PARTITION_BYTES = 8 * 1024 * 1024
#: Input bytes per batch of the per-dump stage: enough work to amortise a task.
BATCH_BYTES = 4 * 1024 * 1024
#: The input's last TAIL_BATCHES batches' worth of bytes is cut in batches a quarter
#: the size, so that the workers finish close together: with whole batches to the end,
#: one worker idled while another parsed the last one, half a batch on average (~0.2 s
#: of a two-worker build of 20,000 dumps, ~5% of its parse). Only for inputs of at
#: least twice that: a small build keeps whole batches, as before.
TAIL_BATCHES = 4
MAX_PARTITIONS = 4096

Stage = Callable[[RawDump], DumpResult]
T = TypeVar("T")


class PerDump(Picklable):
    """The per-dump stage every engine runs: parse, languages, then the contract check.

    Called on one dump, it does all of it. A batch is done in two halves: `begin` parses
    each dump as it is read (the progress bar moves with it), `end` detects the
    languages of the whole batch's main articles in one pass (see
    `parse.extract.with_languages`: twice as fast as one at a time between parses) and
    checks each dump's rows. The result is the same either way.
    """

    def __call__(self, raw: RawDump) -> DumpResult:
        return self.end([self.begin(raw)])[0]

    def begin(self, raw: RawDump) -> DumpResult:
        return extract(raw, languages=False)

    def end(self, begun: Sequence[DumpResult]) -> list[DumpResult]:
        started = perf_counter()
        results = with_languages(begun)
        checked_at = perf_counter()
        timing.add("repair", checked_at - started)  # where the detection ran before
        checked = [check_dump(result) for result in results]
        timing.add("validate", perf_counter() - checked_at)
        return checked


per_dump = PerDump()


@dataclass(frozen=True)
class Settings(Picklable):
    """What every step needs besides its payload; small, so it travels with each task."""

    partitions: int
    captured_at: datetime | None
    max_bytes: int
    stage: Stage = per_dump


def partitions_for(total_bytes: int) -> int:
    return max(1, min(MAX_PARTITIONS, -(-total_bytes // PARTITION_BYTES)))


def input_size(file: InputFile) -> int:
    """Bytes on disk, to size partitions, as the listing saw them; an input that cannot
    be read counts nothing."""
    if file.size_bytes is not None:
        return file.size_bytes
    try:
        return os.stat(file.abs_path).st_size
    except OSError:
        return 0


def batches_of(files: Sequence[T], sizes: Sequence[int]) -> list[list[T]]:
    """Consecutive runs of inputs of about BATCH_BYTES each, smaller at the end (see
    TAIL_BATCHES); input order is kept. Which batch an input lands in never changes
    the dataset, only how the work is shared."""
    batches: list[list[T]] = []
    current: list[T] = []
    used = 0
    left = sum(sizes)
    tail = TAIL_BATCHES * BATCH_BYTES if left >= 2 * TAIL_BATCHES * BATCH_BYTES else 0
    for file, size in zip(files, sizes, strict=True):
        current.append(file)
        used += size
        left -= size
        if used >= (BATCH_BYTES if left >= tail else BATCH_BYTES // 4):
            batches.append(current)
            current, used = [], 0
    if current:
        batches.append(current)
    return batches


#: The hex digits of an article id (`a_` + 16) that make its title's hash: 60 bits, so
#: that polars reads them as an Int64 (see `title_hashes`).
_HASH_DIGITS = 15


def title_hash(title: str) -> int:
    """60 bits of the normalised title: what an incremental build looks titles up by
    (its first 32 bits give the title's partition, see `title_partition`). The first
    hex digits of the article id (itself a hash of the normalised title), which every
    sighting gets anyway: a hash of its own cost a second digest and a cache of its own
    per title."""
    return int(article_id_for(title)[2 : 2 + _HASH_DIGITS], 16)


def title_hashes(article_ids: pa.ChunkedArray) -> np.ndarray:
    """`title_hash` of each row, read from its article id (a frame's `article_id`
    column) at once by `_hex_prefixes` (any other column is read per row, the way
    `title_hash` reads it)."""
    ids = article_ids.combine_chunks() if article_ids.num_chunks != 1 else article_ids.chunk(0)
    hashes = _hex_prefixes(ids, _HASH_DIGITS)
    if hashes is not None:
        return hashes
    return np.array([int(aid[2 : 2 + _HASH_DIGITS], 16) for aid in ids.to_pylist()], np.uint64)


def title_partition(title: str, n: int) -> int:
    """The title partition a sighting of `title` is merged in: the id range of its
    article's id, so each partition's articles are one range of the articles table,
    already in key order when merged (its collect step has nothing to sort or join)."""
    return id_range(article_id_for(title), n)


def id_range(identifier: str, n: int) -> int:
    """Ids are `x_` + hex digits: this range index grows with the id's sort order."""
    return (int(identifier[2:10], 16) * n) >> 32


def id_ranges(table: pa.Table, column: str, n: int) -> dict[int, pa.Table]:
    """`table` cut by the `id_range` of its `column`, in columns (one slice per range)."""
    if table.num_rows == 0:
        return {}
    numbers = _hex_prefixes(table.column(column).combine_chunks(), 8)
    if numbers is None:  # not all ids as builder makes them: polars reads them as id_range
        hex_digits = pl.Series(table.column(column)).str.slice(2, 8).str.to_integer(base=16)
        return split_by(table, ((hex_digits * n) // (1 << 32)).to_numpy())
    return split_by(table, ((numbers * np.uint64(n)) >> np.uint64(32)).astype(np.int64))


#: Each byte's value as a hex digit; 255 for a byte that is not one.
_HEX_DIGITS = np.full(256, 255, np.uint8)
_HEX_DIGITS[list(b"0123456789abcdef")] = np.arange(16)
_HEX_DIGITS[list(b"ABCDEF")] = np.arange(10, 16)


def _hex_prefixes(ids: pa.Array, digits: int) -> np.ndarray | None:
    """`int(identifier[2 : 2 + digits], 16)` of every id (at most 16 digits), read by
    numpy from the ids' bytes, or None unless every id is a string whose first two
    characters are ASCII, followed by `digits` hex digits: polars' string calls cost
    ~3 ms a table (0.12 s for the title partitions of 20,000 dumps), a Python call per
    id more; this ~0.1 ms."""
    if ids.type != pa.string() or ids.null_count:
        return None
    count = len(ids)
    _, offsets_buffer, data_buffer = ids.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int32, count + 1, ids.offset * 4)
    starts = offsets[:-1].astype(np.int64)
    if count == 0:
        return np.zeros(0, np.uint64)
    if data_buffer is None or bool((np.diff(offsets) < 2 + digits).any()):
        return None
    data = np.frombuffer(data_buffer, np.uint8)
    if bool((data[starts[:, None] + np.arange(2)] >= 0x80).any()):
        return None  # a character of several bytes: byte 2 is not character 2
    values = _HEX_DIGITS[data[starts[:, None] + np.arange(2, 2 + digits)]]
    if bool((values == 255).any()):
        return None
    weights = np.array([1 << (4 * (digits - 1 - i)) for i in range(digits)], np.uint64)
    numbers: np.ndarray = (values.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    return numbers


def split_by(table: pa.Table, ranges: np.ndarray) -> dict[int, pa.Table]:
    """`table` cut by each row's number in `ranges`: one slice per number, rows in their
    order (a stable sort, then one `take`; none when they are in order already)."""
    if table.num_rows == 0:
        return {}
    if np.all(ranges[:-1] <= ranges[1:]):
        # Already in order (a partition's articles come out of the merge sorted by id):
        # slices of the table itself, without a copy of every row, texts and all.
        ordered = table
        present, starts = np.unique(ranges, return_index=True)
    else:
        order = np.argsort(ranges, kind="stable")
        present, starts = np.unique(ranges[order], return_index=True)
        ordered = table.take(pa.array(order))
    stops = [*starts[1:], table.num_rows]
    return {
        int(rng): ordered.slice(int(start), int(stop - start))
        for rng, start, stop in zip(present, starts, stops, strict=True)
    }


def read_ipc(payload: bytes | pa.Buffer) -> pa.Table:
    """One IPC stream's table; from a memory-mapped buffer, without a copy."""
    with pa.ipc.open_stream(payload) as reader:
        return reader.read_all()


def _concat(payloads: Iterable[bytes], schema: pa.Schema) -> pa.Table:
    return concat(map(read_ipc, payloads), schema)


def concat(tables: Iterable[pa.Table], schema: pa.Schema) -> pa.Table:
    """The tables one after the other (no copy); an empty table of `schema` for none."""
    pieces = list(tables)
    return pa.concat_tables(pieces) if pieces else schema.empty_table()


# --- step 1 -------------------------------------------------------------------------------


#: One row per (input, title it shows); an input with no sighting has one row with a
#: null title_hash, so the index also lists every input. `stamp` is the
#: `sources.reading_stamp` of the file the input was read from (null: not trusted).
INDEX_SCHEMA = pa.schema(
    [("key", pa.string()), ("title_hash", pa.uint64()), ("stamp", pa.uint64())]
)


class TitleIndex:
    """Which normalised titles (by `title_hash`) each input, by its cache key, shows,
    and which file (by its stamp) it came from."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.hashes: list[int | None] = []
        self.stamps: list[int | None] = []

    def add(self, key: str, hashes: Iterable[int], stamp: int | None) -> None:
        distinct: list[int | None] = [*sorted(set(hashes))] or [None]
        self.keys.extend([key] * len(distinct))
        self.hashes.extend(distinct)
        self.stamps.extend([stamp] * len(distinct))

    def table(self) -> pa.Table:
        return pa.table([self.keys, self.hashes, self.stamps], schema=INDEX_SCHEMA)


@dataclass(frozen=True)
class BatchOut(Picklable):
    """A batch's payloads by partition, and what the driver needs to know of it."""

    titles: dict[int, bytes]  # title partition -> merge.FRAME_SCHEMA stream
    dumps: dict[int, bytes]  # dump id range -> dumps table stream
    rows: tuple[Dump, ...]  # the dumps rows, for progress and the report
    known: frozenset[str]
    timings: dict[str, float] = field(default_factory=dict)
    #: With a cached stage: which titles each input (by cache key) shows, as an Arrow
    #: IPC stream, and the publishers that could re-settle an ambiguous line; what a
    #: later incremental build needs (see builder.incremental).
    index: bytes | None = None
    ambiguous: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BatchTables(Picklable):
    """`BatchOut` with its payloads as Arrow tables, before any encoding: the local
    engine writes them straight into its scratch file (see `BatchOut` for the fields)."""

    titles: dict[int, pa.Table]  # title partition -> merge.FRAME_SCHEMA rows
    dumps: dict[int, pa.Table]  # dump id range -> dumps table rows
    rows: tuple[Dump, ...]
    known: frozenset[str]
    timings: dict[str, float] = field(default_factory=dict)
    index: pa.Table | None = None  # INDEX_SCHEMA rows, with a cached stage
    ambiguous: frozenset[str] = frozenset()


def _encoded(batch: BatchTables) -> BatchOut:
    """`batch` with its payloads as IPC stream bytes (what Dask moves between workers);
    the encoding is counted as `write`, like the making of the payloads."""
    started = perf_counter()
    titles = {p: ipc_bytes(t) for p, t in batch.titles.items()}
    dumps = {p: ipc_bytes(t) for p, t in batch.dumps.items()}
    index = None if batch.index is None else ipc_bytes(batch.index)
    timings = {**batch.timings}
    timings["write"] = timings.get("write", 0.0) + perf_counter() - started
    return BatchOut(titles, dumps, batch.rows, batch.known, timings, index, batch.ambiguous)


def stamped_dumps(
    files: Iterable[InputFile], *, captured_at: datetime | None, max_bytes: int
) -> Iterator[tuple[RawDump, int | None]]:
    """The dumps of `files`, each with the reading stamp of the file it came from."""
    for file in files:
        stamp = reading_stamp(file, captured_at, max_bytes)
        for raw in iter_dumps((file,), captured_at=captured_at, max_bytes=max_bytes):
            yield raw, stamp


def extract_batch(files: Sequence[InputFile], settings: Settings) -> BatchOut:
    """Step 1 for local inputs."""
    return _encoded(extract_tables(files, settings))


def extract_tables(files: Sequence[InputFile], settings: Settings) -> BatchTables:
    """Step 1 for local inputs, its payloads as tables."""
    pairs = stamped_dumps(files, captured_at=settings.captured_at, max_bytes=settings.max_bytes)
    return _extract(pairs, settings)


def extract_raws(raws: Iterable[RawDump], settings: Settings) -> BatchOut:
    """Step 1 for any source of raw dumps (local files, fsspec URLs)."""
    return _encoded(_extract(((raw, None) for raw in raws), settings))


def _results(
    pairs: Iterable[tuple[RawDump, int | None]], stage: Stage
) -> tuple[list[DumpResult], list[tuple[str, int | None]], list[int]]:
    """The batch's results; with a cached stage each input's key and stamp; and the
    positions of the results parsed here (not answered by the cache).

    A cached stage (`release.cache.CachedStage`: `lookup`, `store`, `flush`) answers
    what it can; the rest go through its inner stage, in two halves when that stage has
    them (`PerDump.begin` per dump, `end` for the batch), and are stored once done, to
    be written when the caller flushes it.
    """
    cached: Any = stage if hasattr(stage, "lookup") else None
    inner: Any = stage if cached is None else cached.stage
    begin: Callable[[RawDump], DumpResult] = getattr(inner, "begin", inner)
    end: Callable[[Sequence[DumpResult]], list[DumpResult]] | None = getattr(inner, "end", None)
    results: list[DumpResult] = []
    keys: list[tuple[str, int | None]] = []
    fresh: list[int] = []  # the positions of the inputs parsed here
    for raw, stamp in timing.timed_items(pairs, "read"):
        result = None
        if cached is not None:
            key, result = cached.lookup(raw)
            keys.append((key, stamp))
        if result is None:
            fresh.append(len(results))
            result = begin(raw)
        results.append(result)
        ticks.tick()
    if end is not None and fresh:
        for position, result in zip(fresh, end([results[i] for i in fresh]), strict=True):
            results[position] = result
    if cached is not None:
        for position in fresh:
            cached.store(keys[position][0], results[position])
    return results, keys, fresh


def _extract(pairs: Iterable[tuple[RawDump, int | None]], settings: Settings) -> BatchTables:
    use_system_allocator()
    timing.take()
    n = settings.partitions
    results, keys, fresh = _results(pairs, settings.stage)
    # What follows turns the batch's results into the payloads the merge reads: counted
    # as `write` (it was left to `read`, which then showed twice the reading's time).
    started = perf_counter()
    counts = [len(r.sightings) for r in results]
    rows = tuple(r.dump for r in results)
    # Each table is made once for the whole batch and cut by Arrow (one frame per
    # partition cost a pass over the objects per partition).
    utc = all_utc([s for r in results for s in r.sightings])  # for the frame and the cache
    frame = sightings_frame(((r.dump, r.sightings) for r in results), utc=utc)
    hashes = title_hashes(frame.column("article_id"))  # each sighting's, in batch order
    dumps = dumps_table(rows)
    timing.add("write", perf_counter() - started)
    flush = getattr(settings.stage, "flush", None)  # a cached stage writes the batch once
    if flush is not None:  # the new results as the tables hold them: one encoding
        if len(fresh) == len(results):
            flush(frame, results, dumps, utc)
        else:
            chosen = pa.array(fresh, pa.int64())
            new = [results[i] for i in fresh]
            flush(_rows_of(frame, results, fresh), new, dumps.take(chosen), utc)
    started = perf_counter()
    ranges = [id_range(d.dump_id, n) for d in rows]
    # title_partition, read from the hashes (an id's first 8 of their 15 hex digits).
    top = hashes >> np.uint64(4 * (_HASH_DIGITS - 8))
    titles = split_by(frame, ((top * np.uint64(n)) >> np.uint64(32)).astype(np.int64))
    by_range = split_by(dumps, np.array(ranges, np.int64))
    known, ambiguous = publishers_of(frame)
    index_table = index_of(keys, hashes, counts) if keys else None
    timing.add("write", perf_counter() - started)
    return BatchTables(
        titles=titles,
        dumps=by_range,
        rows=rows,
        known=known,
        timings=timing.take(),
        index=index_table,
        ambiguous=ambiguous,
    )


def publishers_of(frame: pa.Table) -> tuple[frozenset[str], frozenset[str]]:
    """`merge.known_publishers` and `merge.ambiguous_publishers` of a frame's sightings,
    read from its columns: `source_key` is the normalised publisher of a sighting that
    names one, and `alternatives` the other readings of an ambiguous line (only those
    few rows' publishers are normalised here). The same sets, without a pass over
    every sighting in Python."""
    keys = frame.column("source_key")
    others = pc.list_value_length(frame.column("alternatives"))
    plain = pc.and_(pc.is_valid(keys), pc.equal(others, 0))
    known = frozenset(pc.unique(keys.filter(plain)).to_pylist())
    glued = pc.greater(others, 0)
    if not pc.any(glued).as_py():
        return known, frozenset()
    shown = pc.fill_null(keys.filter(glued), "").to_pylist()
    readings = pc.list_flatten(frame.column("alternatives").filter(glued))
    names = pc.struct_field(readings, "source").to_pylist()
    return known, frozenset([*shown, *map(normalise_key, names)])


def index_of(
    keys: Sequence[tuple[str, int | None]], hashes: np.ndarray, counts: Sequence[int]
) -> pa.Table:
    """The TitleIndex of a batch, made in columns: each input's (key, stamp) of `keys`
    with the distinct, sorted `hashes` of its sightings (`counts` of them each, in
    input order), or one null hash for an input without any. The same table as
    `TitleIndex.add` per input then `table()`, without a Python object per row."""
    sizes = np.array(counts, np.int64)
    owner = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    order = np.lexsort((hashes, owner))  # by input, then by hash
    owner, hashes = owner[order], hashes[order]
    if len(owner):
        first = np.ones(len(owner), np.bool_)  # each (input, hash) once
        first[1:] = (owner[1:] != owner[:-1]) | (hashes[1:] != hashes[:-1])
        owner, hashes = owner[first], hashes[first]
    empty = np.flatnonzero(sizes == 0)
    owner = np.concatenate([owner, empty])
    hashes = np.concatenate([hashes, np.zeros(len(empty), np.uint64)])
    null = np.concatenate(
        [np.zeros(len(hashes) - len(empty), np.bool_), np.ones(len(empty), np.bool_)]
    )
    order = np.argsort(owner, kind="stable")  # inputs in order, each one's hashes sorted
    rows = pa.array(owner[order])
    return pa.table(
        [
            pa.array([key for key, _ in keys], pa.string()).take(rows),
            pa.array(hashes[order], pa.uint64(), mask=null[order]),
            pa.array([stamp for _, stamp in keys], pa.uint64()).take(rows),
        ],
        schema=INDEX_SCHEMA,
    )


def dumps_table(rows: Sequence[Dump]) -> pa.Table:
    """The dumps rows as the contract's table, read by Arrow from each Dump's own dict
    of fields in one pass, then checked in columns (`conform`): `to_arrow`'s per-row
    checks cost five times as much (0.11 against 0.02 s for 20,000 dumps).

    What `to_arrow` would convert or refuse row by row goes through it instead: a time
    that is not in UTC (it converts it, or refuses a naive one), a Dump without a
    column of the contract (it names the column)."""
    schema = arrow_schema("dumps")
    times = [f.name for f in schema if pa.types.is_timestamp(f.type)]
    missing = set(schema.names) - {f.name for f in fields(Dump)}
    values = (value for name in times for value in map(attrgetter(name), rows))
    if missing or not all(value is None or value.tzinfo is UTC for value in values):
        return to_arrow("dumps", map(dump_row, rows))
    values = pa.array(list(map(attrgetter("__dict__"), rows)), pa.struct(list(schema)))
    return conform("dumps", pa.Table.from_struct_array(values))


def _rows_of(frame: pa.Table, results: Sequence[DumpResult], chosen: Sequence[int]) -> pa.Table:
    """The rows of `frame` (the sightings of `results`, in order) of the chosen results."""
    starts = [0, *accumulate(len(r.sightings) for r in results)]
    rows = [row for i in chosen for row in range(starts[i], starts[i + 1])]
    return frame.take(pa.array(rows, pa.int64()))


# --- step 2 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeOut(Picklable):
    articles: dict[int, bytes]  # article id range -> articles table stream
    placed: dict[int, bytes]  # dump id range -> sightings table stream
    timings: dict[str, float] = field(default_factory=dict)


def merge_partition(payloads: Iterable[bytes], known: frozenset[str], partitions: int) -> MergeOut:
    """Step 2: merge one title partition, given every batch's share of it in batch order."""
    use_system_allocator()
    timing.take()
    with timing.timed("merge"):
        by_article, by_dump = merge_frame(_concat(payloads, FRAME_SCHEMA), known, partitions)
        out = MergeOut(
            articles={r: ipc_bytes(v) for r, v in by_article.items()},
            placed={r: ipc_bytes(v) for r, v in by_dump.items()},
        )
    return MergeOut(out.articles, out.placed, timing.take())


def merge_frame(
    frame: pa.Table, known: frozenset[str], partitions: int
) -> tuple[dict[int, pa.Table], dict[int, pa.Table]]:
    """Step 2 on one title partition's frame (every batch's share, in batch order): its
    articles by article id range, and its sightings by dump id range."""
    articles, placed = merge_columns(frame, known)
    return id_ranges(articles, "article_id", partitions), id_ranges(placed, "dump_id", partitions)


# --- step 3 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeOut(Picklable):
    """One id range of each table as Arrow IPC streams (cheap to move, to file or wire)."""

    tables: dict[str, bytes]
    rows: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)


#: Row order of each table: its key (ids are unique; Arrow's sort is stable anyway).
SORT_KEYS: dict[str, list[tuple[str, str]]] = {
    "articles": [("article_id", "ascending")],
    "sightings": [("dump_id", "ascending"), ("position", "ascending")],
    "dumps": [("dump_id", "ascending")],
}


def finish_range(
    dumps: Iterable[bytes], articles: Iterable[bytes], placed: Iterable[bytes]
) -> RangeOut:
    """Step 3: one id range of the three tables, sorted by key, as contract tables."""
    use_system_allocator()
    timing.take()
    with timing.timed("write"):
        tables = finish_tables(map(read_ipc, dumps), map(read_ipc, articles), map(read_ipc, placed))
        out = RangeOut(
            tables={name: ipc_bytes(table) for name, table in tables.items()},
            rows={name: table.num_rows for name, table in tables.items()},
        )
    return RangeOut(out.tables, out.rows, timing.take())


def finish_tables(
    dumps: Iterable[pa.Table], articles: Iterable[pa.Table], placed: Iterable[pa.Table]
) -> dict[str, pa.Table]:
    """Step 3 on tables: one id range of the three tables, sorted by key.

    A range's articles come from the one title partition of that range (see
    `title_partition`), merged in key order: they are kept as they are when their ids
    ascend, instead of being sorted, which copied every text once to join the pieces
    and once more to reorder them (0.045 s at 20,000 dumps)."""
    pieces = {"dumps": dumps, "articles": articles, "sightings": placed}
    out = {}
    for name in ("articles", "sightings", "dumps"):
        table = concat(pieces[name], arrow_schema(name))
        if name != "articles" or not ascending(table.column("article_id")):
            table = table.sort_by(SORT_KEYS[name])
        out[name] = conform(name, table)
    return out


def ascending(ids: pa.ChunkedArray) -> bool:
    """Whether every id is greater than the one before (ids are unique: the sorted order)."""
    if len(ids) < 2:
        return True
    return bool(pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py())


def ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def merged_known(batches: Iterable[BatchOut]) -> frozenset[str]:
    known: set[str] = set()
    for batch in batches:
        known |= batch.known
    return frozenset(known)


def sum_timings(parts: Iterable[Mapping[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for part in parts:
        timing.combine(total, part)
    return total
