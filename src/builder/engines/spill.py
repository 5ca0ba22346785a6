"""A contract table that lives on disk while it is built and published.

The articles of a large corpus do not fit in memory, so each id range of a table is
written as its own Arrow IPC stream file, and the files in range order are the table
in key order. Publishing reads it back a row group at a time.
"""

from __future__ import annotations

import ctypes
import importlib.abc
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

import pyarrow as pa

from builder import contract

#: Arrow data that can be cut by rows: a record batch or a table.
Rows = TypeVar("Rows", pa.RecordBatch, pa.Table)


def fixed_runs(pieces: Iterable[Rows], step: int) -> Iterator[list[Rows]]:
    """The rows of `pieces` as consecutive runs of exactly `step` rows (the last may be
    shorter), each a list of slices: a row group or a hash batch then depends on the
    rows alone, never on how the pieces happen to be cut. A yielded list is the
    caller's to consume."""
    pending: list[Rows] = []
    held = 0
    for piece in pieces:
        while piece.num_rows:
            take = min(step - held, piece.num_rows)
            pending.append(piece.slice(0, take))
            held += take
            piece = piece.slice(take)
            if held == step:
                yield pending
                pending, held = [], 0
    if held:
        yield pending


@dataclass(frozen=True)
class SpilledTable:
    """Arrow IPC stream files that, concatenated in order, are one table."""

    schema: pa.Schema
    files: tuple[Path, ...]
    num_rows: int

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The table's record batches in order, through memory maps: each batch points
        into its file's pages, which the build wrote moments ago (still in the page
        cache). Read into new memory, the articles' slices cost a copy of every text
        on top of the one `slices` makes (~0.05 s of CPU at 20,000 dumps)."""
        for path in self.files:
            with pa.ipc.open_stream(pa.memory_map(str(path), "r")) as reader:
                yield from reader

    def column(self, name: str) -> Iterator[pa.Array]:
        """One column, a batch at a time, through a memory map: the other columns'
        bytes are never read (the files are uncompressed IPC)."""
        for path in self.files:
            with pa.memory_map(str(path), "r") as source, pa.ipc.open_stream(source) as reader:
                for batch in reader:
                    yield batch.column(name)

    def selected(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        """`columns` of the table, a batch at a time, through memory maps: the other
        columns' pages are never touched. The batches point into the maps, which stay
        mapped while a batch lives."""
        for path in self.files:
            with pa.ipc.open_stream(pa.memory_map(str(path), "r")) as reader:
                for batch in reader:
                    yield batch.select(columns)

    def slices(self, step: int, start: int = 0, stop: int | None = None) -> Iterator[pa.Table]:
        """Consecutive one-chunk tables of `step` rows (the last may be shorter) covering
        rows [start, stop): the unit a Parquet row group or a hash batch is made of, so
        the bytes do not depend on how the files happen to be cut."""
        for run in fixed_runs(self._clipped(start, stop), step):
            yield self._table(run)
            release_arrow_memory()  # what the caller dropped of the slice

    def _clipped(self, start: int, stop: int | None) -> Iterator[pa.RecordBatch]:
        """The batches of rows [start, stop)."""
        stop = self.num_rows if stop is None else min(stop, self.num_rows)
        position = 0  # row index of the next batch's first row
        for batch in self.batches():
            first, position = position, position + batch.num_rows
            if position <= start or batch.num_rows == 0:
                continue
            if first >= stop:
                break
            yield batch.slice(max(0, start - first), min(position, stop) - max(first, start))

    def _table(self, batches: list[pa.RecordBatch]) -> pa.Table:
        """One chunk of `batches`, which are consumed: held while the caller works on
        the slice, they would double the memory of every chunked step."""
        table = pa.Table.from_batches(batches, schema=self.schema).combine_chunks()
        batches.clear()
        release_arrow_memory()
        return table

    def read_all(self) -> pa.Table:
        """The whole table, memory-mapped: for the few steps that need it at once."""
        tables = []
        for path in self.files:
            with pa.ipc.open_stream(pa.memory_map(str(path), "r")) as reader:
                tables.append(reader.read_all())
        return pa.concat_tables(tables) if tables else self.schema.empty_table()


@dataclass(frozen=True)
class HeldTable(SpilledTable):
    """A table already in memory behind the same interface, with no file: an incremental
    build holds its few tables whole, and writing them out only to read them back cost
    it half a second."""

    table: pa.Table

    def batches(self) -> Iterator[pa.RecordBatch]:
        yield from self.table.to_batches()

    def column(self, name: str) -> Iterator[pa.Array]:
        yield from self.table.column(name).chunks

    def selected(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        yield from (batch.select(columns) for batch in self.table.to_batches())

    def read_all(self) -> pa.Table:
        return self.table


def held(table: pa.Table) -> HeldTable:
    return HeldTable(table.schema, (), table.num_rows, table)


def use_system_allocator() -> None:
    """Make Arrow allocate with the C library's malloc, not its bundled mimalloc,
    unless ARROW_DEFAULT_MEMORY_POOL names another pool (the user's choice wins).

    pyarrow's mimalloc reserves its arenas with MADV_HUGEPAGE. Where transparent huge
    pages are in `madvise` mode (the default of many distributions), every page it
    touches again after handing memory back (`release_arrow_memory`) is a 2 MB page
    that the kernel zeroes first. On the 20,000-dump benchmark that zeroing was a
    fifth of a one-worker build's CPU: 6.5 s of system time in a 19.4 s build; with
    malloc, 2.1 s and 14.5 s, and a lower peak (see benchmarks/RESULTS.md).

    Called by every step that allocates (`build`, each step of the partitioned build,
    in whichever process it runs); buffers made before keep the pool they came from.
    """
    name = os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "system")
    named = _POOLS.get(name)
    if named is None:  # a name Arrow does not know: it warns, and so keeps its default
        return
    try:
        pa.set_memory_pool(named())
    except NotImplementedError:  # a pool this pyarrow was built without
        return
    if name == "system":
        _malloc_keeps_blocks()


#: glibc's mallopt parameters, and the values builder gives them (see below).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 32 * 1024 * 1024
_TRIM_THRESHOLD = 128 * 1024 * 1024


def _malloc_keeps_blocks() -> None:
    """Have glibc's malloc serve blocks under 32 MB from its heap and keep up to 128 MB
    freed at its top, unless the user set MALLOC_MMAP_THRESHOLD_ or
    MALLOC_TRIM_THRESHOLD_ (or the C library is not glibc).

    By default glibc maps each block above a threshold that starts at 128 KB on its own
    pages and unmaps it when freed, so every Arrow buffer of a step (a column, a batch,
    a slice being compressed) came as fresh pages that the kernel first zeroed: a
    one-worker build of 20,000 dumps took 210,000 page faults and 1.2 s of system time;
    with these thresholds (the dynamic threshold's own ceiling from the start), 130,000
    and 0.9 s, for ~15 MB more resident memory. `release_arrow_memory` still hands the
    freed heap back (malloc_trim) where a step is done with it.
    """
    _mallopt(_MMAP_THRESHOLD, _TRIM_THRESHOLD)


def malloc_gives_back() -> None:
    """glibc's malloc back to its own thresholds (128 KB, fixed), its freed heap handed
    back now: for the publish, whose slices and report counts come once each, so
    there are few blocks for a kept heap to serve again, and where the build peaks.
    With the thresholds kept, the driver held ~90 MB more at the publish of 100,000
    dumps (the report's peak: 736 MB, 659 MB with glibc's own). `use_system_allocator`
    sets builder's again for the next build's steps. Unless the user set either."""
    if _mallopt(_GLIBC_THRESHOLD, _GLIBC_THRESHOLD):
        ctypes.CDLL(None).malloc_trim(0)


#: glibc's own starting thresholds (M_MMAP_THRESHOLD and M_TRIM_THRESHOLD).
_GLIBC_THRESHOLD = 128 * 1024


def _mallopt(mmap_threshold: int, trim_threshold: int) -> bool:
    """Set glibc's two thresholds, unless the user set either (or this is not glibc);
    whether they were set."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    if not _glibc():
        return False
    libc = ctypes.CDLL(None)
    libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)
    libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold)
    return True


@cache
def _glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):  # not a name this system knows
        return False


def arrow_without_pandas() -> None:
    """Have pyarrow work in this process as it does where pandas is not installed,
    unless pandas is imported already.

    pyarrow's first conversion of Python values imports pandas (when it is installed),
    only to tell pandas objects apart from others: ~0.13 s of every build's start-up,
    1-2% of a 20,000-dump build. builder hands pyarrow no pandas object, so its own
    processes (the `builder` command, the fork server's workers) skip that import.
    pandas stays usable: pyarrow's conversions to pandas import it when called. Not for
    a library caller's process, which may hand pyarrow pandas objects after a build:
    `build` leaves pyarrow as it is.
    """
    if "pandas" in sys.modules:
        return
    refusal = _NoPandas()
    sys.meta_path.insert(0, refusal)
    try:
        pa.array([0])  # pyarrow tries its import once, and notes that it failed
    finally:
        sys.meta_path.remove(refusal)


class _NoPandas(importlib.abc.MetaPathFinder):
    """An import of pandas fails while this finder is first on `sys.meta_path`."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not for pyarrow here", name=name)


#: The pools ARROW_DEFAULT_MEMORY_POOL may name (the `builder` command sets it to
#: `system` when it is unset, so it holds the user's choice or that one).
_POOLS: Final[dict[str, Callable[[], pa.MemoryPool]]] = {
    "system": pa.system_memory_pool,
    "jemalloc": pa.jemalloc_memory_pool,
    "mimalloc": pa.mimalloc_memory_pool,
}


def release_arrow_memory() -> None:
    """Hand the memory Arrow has freed back to the OS.

    An allocator keeps freed pages for reuse, but the large buffers of one slice are
    not reused for the many small ones the next slice is read into: a chunked step
    would hold about twice its chunk. Measured on the articles of 100,000 dumps (with
    mimalloc): 620 MB above the baseline while hashing without this, 470 MB with it.
    """
    pa.default_memory_pool().release_unused()


def spill(table_bytes: bytes, path: Path) -> None:
    """Write one range's IPC stream (as `partitioned.finish_range` made it) to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(table_bytes)


def spill_table(table: pa.Table, path: Path) -> None:
    """Write one range's table to disk as the IPC stream `spill` writes, streamed into
    the file: encoding it to bytes first cost two more copies of every table."""
    with pa.OSFile(str(path), "wb") as sink:
        append_stream(sink, table)


def append_stream(sink: pa.NativeFile, table: pa.Table) -> tuple[int, int]:
    """Write `table` as one IPC stream where `sink` stands; its (offset, length) there.

    A stream ends with its own end-of-stream marker, so several can follow each other in
    one file and each be read alone from its bytes (`read_stream`)."""
    offset = sink.tell()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return offset, sink.tell() - offset


def read_stream(source: pa.MemoryMappedFile, offset: int, length: int) -> pa.Table:
    """The table of the IPC stream at `offset` of a memory-mapped file, without a copy
    (its buffers are the map's pages, kept mapped while the table lives)."""
    source.seek(offset)
    with pa.ipc.open_stream(source.read_buffer(length)) as reader:
        return reader.read_all()


def spilled_tables(folder: Path, rows: dict[str, int]) -> dict[str, SpilledTable]:
    """The contract's tables as spilled under `folder/<table>/*.arrows`, in range order."""
    return {
        name: SpilledTable(
            contract.arrow_schema(name),
            tuple(sorted((folder / name).glob("*.arrows"))),
            rows.get(name, 0),
        )
        for name in contract.TABLES
    }
