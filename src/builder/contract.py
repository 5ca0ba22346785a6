"""The data contract: `schema/*.schema.json` -> Arrow schema, card features, checks.

The JSON Schema files are the one source of truth. Everything a consumer sees (the
Parquet column types, the dataset card's features, row validation) is derived here, so
a column cannot be renamed or retyped in one place and forgotten in another.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
from jsonschema import Draft202012Validator

if TYPE_CHECKING:
    import datasets

TABLES: Final = ("articles", "sightings", "dumps")

_ID_PATTERN = re.compile(r"^urn:builder:contract:(?P<version>[^:]+):(?P<table>[a-z_]+)$")

#: Rows per record batch when hashing: the hash must not depend on how the caller's
#: table happens to be chunked (from_pylist, concatenated shards, ...).
HASH_BATCH_ROWS: Final = 64 * 1024


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; the contract has {', '.join(TABLES)}")


@cache
def _load(table: str) -> dict[str, Any]:
    _check_table(table)
    resource = files("builder") / "schema" / f"{table}.schema.json"
    loaded: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return loaded


def _version_of(table: str) -> str:
    """The contract version is carried by each file's `$id`, so a file cannot be bumped alone."""
    schema_id = _load(table).get("$id", "")
    match = _ID_PATTERN.match(schema_id)
    if match is None or match["table"] != table:
        raise ValueError(
            f"{table}.schema.json: $id {schema_id!r} is not urn:builder:contract:<version>:{table}"
        )
    return match["version"]


def _contract_version() -> str:
    versions = {table: _version_of(table) for table in TABLES}
    if len(set(versions.values())) != 1:
        raise ValueError(f"schema files disagree on the contract version: {versions}")
    return versions[TABLES[0]]


CONTRACT_VERSION: Final = _contract_version()


def json_schema(table: str) -> dict[str, Any]:
    """The JSON Schema of one table (a copy: callers may not alter the shared contract)."""
    return copy.deepcopy(_load(table))


# --- Arrow ----------------------------------------------------------------------------


def _split_type(node: Mapping[str, Any], where: str) -> tuple[str, bool]:
    """JSON Schema allows `"type": ["string", "null"]`; Arrow wants one type + nullability."""
    declared = node.get("type")
    names = [declared] if isinstance(declared, str) else list(declared or [])
    nullable = "null" in names
    concrete = [name for name in names if name != "null"]
    if len(concrete) != 1:
        raise ValueError(f"{where}: need exactly one non-null JSON type, got {declared!r}")
    return concrete[0], nullable


def _arrow_type(node: Mapping[str, Any], where: str) -> pa.DataType:
    kind, _ = _split_type(node, where)
    if kind == "string":
        return pa.timestamp("us", tz="UTC") if node.get("format") == "date-time" else pa.string()
    if kind == "integer":
        width = node.get("x-arrow", "int64")
        if width not in ("int32", "int64"):
            raise ValueError(f"{where}: unsupported x-arrow {width!r} (int32 or int64)")
        return pa.int32() if width == "int32" else pa.int64()
    if kind == "number":
        return pa.float64()
    if kind == "boolean":
        return pa.bool_()
    if kind == "object":
        if "properties" not in node:
            raise ValueError(f"{where}: an object needs properties to become a struct")
        return pa.struct(_arrow_fields(node, where))
    if kind == "array":
        if "items" not in node:
            raise ValueError(f"{where}: an array needs items to become a list")
        return pa.list_(_arrow_field("item", node["items"], f"{where}[]"))
    raise ValueError(f"{where}: JSON type {kind!r} has no Arrow mapping")


def _arrow_field(name: str, node: Mapping[str, Any], where: str) -> pa.Field:
    _, nullable = _split_type(node, where)
    return pa.field(name, _arrow_type(node, where), nullable=nullable)


def _arrow_fields(node: Mapping[str, Any], where: str) -> list[pa.Field]:
    return [
        _arrow_field(name, child, f"{where}.{name}") for name, child in node["properties"].items()
    ]


@cache
def arrow_schema(table: str) -> pa.Schema:
    """Column order is the property order of the JSON file: the file is the layout spec."""
    return pa.schema(_arrow_fields(_load(table), table))


def features(table: str) -> datasets.Features:
    """Card features come from the Arrow schema, so the card cannot disagree with the files."""
    import datasets  # heavy, and only the card needs it

    return datasets.Features.from_arrow_schema(arrow_schema(table))


# --- rows -> Arrow --------------------------------------------------------------------


Guard = Callable[[Any, str], Any]


def _guard(node: Mapping[str, Any], where: str) -> Guard:
    """Compile, once per table, the checks Arrow would skip; returns the value to store.

    Arrow silently stores a missing key or a None in a non-nullable field as null, and
    reads a naive datetime as UTC: all three would corrupt a release without a sound.
    Aware datetimes are converted to UTC here: how pyarrow converts other offsets
    changes once some libraries are imported (pandera.polars shifts them by the offset).
    """
    kind, nullable = _split_type(node, where)
    inner: Guard | None = None
    if kind == "object":
        children = {name: _guard(child, where) for name, child in node["properties"].items()}
        required = tuple(node.get("required", ()))

        def check_object(value: Any, at: str) -> Any:
            if not isinstance(value, Mapping):
                return value
            missing = [name for name in required if name not in value]
            if missing:
                raise ValueError(f"{at}: missing required column(s) {', '.join(missing)}")
            changed: dict[str, Any] = {}
            for name, child in children.items():
                if name in value:
                    item = value[name]
                    stored = child(item, f"{at}.{name}")
                    if stored is not item:
                        changed[name] = stored
            return {**value, **changed} if changed else value

        inner = check_object
    elif kind == "array":
        item_guard = _guard(node["items"], where)

        def check_array(value: Any, at: str) -> Any:
            if not isinstance(value, Sequence) or isinstance(value, str):
                return value
            stored = [item_guard(element, f"{at}[{i}]") for i, element in enumerate(value)]
            return value if all(a is b for a, b in zip(stored, value, strict=True)) else stored

        inner = check_array

    def check(value: Any, at: str) -> Any:
        if value is None:
            if not nullable:
                raise ValueError(f"{at} is null but the contract does not allow null")
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"{at} is a naive datetime; the contract stores UTC instants")
            return value if value.tzinfo is UTC else value.astimezone(UTC)
        return inner(value, at) if inner is not None else value

    return check


@cache
def _table_guard(table: str) -> Guard:
    return _guard(_load(table), table)


def to_arrow(table: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows are plain dicts from the pipeline; keys that are not columns are dropped."""
    guard = _table_guard(table)
    checked = [guard(row, f"{table}[{index}]") for index, row in enumerate(rows)]
    return pa.Table.from_pylist(checked, schema=arrow_schema(table))


# --- hashing --------------------------------------------------------------------------


class _HashSink:
    """A write-only file object, so hashing a large table does not buffer its IPC stream."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self.size += view.nbytes
        return view.nbytes

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


def _canonical_type(data_type: pa.DataType) -> pa.DataType:
    """One spelling per logical type: readers differ in exactly these choices.

    pyarrow names list items `element` after a Parquet round trip, polars reads large
    strings and lists, some readers keep dictionaries, and nullability flags are lost
    by datasets and polars. None of it is content.
    """
    types = pa.types
    if types.is_dictionary(data_type):
        return _canonical_type(data_type.value_type)
    if types.is_large_string(data_type) or types.is_string_view(data_type):
        return pa.string()
    if types.is_large_binary(data_type) or types.is_binary_view(data_type):
        return pa.binary()
    if (
        types.is_list(data_type)
        or types.is_large_list(data_type)
        or types.is_list_view(data_type)
        or types.is_large_list_view(data_type)
    ):
        return pa.list_(pa.field("item", _canonical_type(data_type.value_type)))
    if types.is_struct(data_type):
        return pa.struct([pa.field(f.name, _canonical_type(f.type)) for f in data_type])
    return data_type


def _canonical_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _canonical_type(f.type)) for f in schema])


def ipc_digest(table: pa.Table) -> tuple[str, int]:
    """sha256 and size of the canonical IPC stream: the writer-independent form of a table.

    Metadata (pandas, huggingface, ...) is dropped, types get one canonical spelling,
    null slots are zeroed and rows are re-batched in fixed-size batches, so only column
    names, logical types and values count. The size is the uncompressed Arrow size,
    which is what a dataset card's `num_bytes` means.
    """
    plain = table.replace_schema_metadata(None)
    chunks = (
        plain.slice(start, HASH_BATCH_ROWS) for start in range(0, plain.num_rows, HASH_BATCH_ROWS)
    )
    return ipc_digest_chunks(table.schema, chunks)


def ipc_digest_chunks(schema: pa.Schema, chunks: Iterable[pa.Table]) -> tuple[str, int]:
    """`ipc_digest` of a table given as consecutive slices of HASH_BATCH_ROWS rows (the
    last may be shorter), for tables too large to hold in memory."""
    canonical = _canonical_schema(schema)
    sink = _HashSink()
    options = pa.ipc.IpcWriteOptions(compression=None, use_threads=False)
    with pa.ipc.new_stream(sink, canonical, options=options) as writer:
        for piece in chunks:
            writer.write_table(_canonical_chunk(piece, canonical))
            del piece  # else it stays alive while the next slice is read: a third copy
    return sink.digest.hexdigest(), sink.size


def _canonical_chunk(piece: pa.Table, canonical: pa.Schema) -> pa.Table:
    chunk = piece.replace_schema_metadata(None).combine_chunks().cast(canonical)
    # take() rewrites the batch with zeroed null slots: producers differ in what
    # bytes they leave under a null (polars keeps neighbouring strings there).
    return chunk.take(pa.array(range(chunk.num_rows), pa.int64()))


def content_hash(table: pa.Table) -> str:
    """Identifies a table by content, so releases written by other writers still compare."""
    return ipc_digest(table)[0]


# --- validation -----------------------------------------------------------------------


@cache
def _validator(table: str) -> Draft202012Validator:
    return Draft202012Validator(_load(table), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _jsonable(value: Any) -> Any:
    """JSON Schema sees JSON: datetimes become ISO 8601 strings and tuples become arrays."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


Accepts = Callable[[Any], bool]


def _is_instant(value: Any) -> bool:
    if isinstance(value, datetime):
        return value.tzinfo is not None
    if isinstance(value, str):
        checker = _validator("articles").format_checker
        return checker is not None and bool(checker.conforms(value, "date-time"))
    return False


def _compile(node: Mapping[str, Any]) -> Accepts:
    """A predicate equivalent to the JSON Schema node for the Python values rows hold.

    jsonschema on every row of every dump costs more than parsing the dump; this
    predicate, compiled once from the same schema, answers "valid?" in microseconds.
    Only when it says no does validate_row ask jsonschema for the messages (a test
    holds the two to the same answers).
    """
    raw_kinds = node.get("type", [])
    kinds = frozenset([raw_kinds] if isinstance(raw_kinds, str) else raw_kinds)
    any_type = not kinds
    instants = node.get("format") == "date-time"
    search = re.compile(node["pattern"]).search if "pattern" in node else None
    least: int | None = node.get("minLength")
    low = node.get("minimum")
    enum = node.get("enum")
    allowed = None if enum is None else [(type(a), a) for a in enum]
    props = {k: _compile(sub) for k, sub in node.get("properties", {}).items()}
    required = tuple(node.get("required", ()))
    closed = node.get("additionalProperties") is False
    item_ok = _compile(node["items"]) if "items" in node else None

    def in_enum(v: Any) -> bool:
        return allowed is None or any(type(v) is t and v == a for t, a in allowed)

    def accepts(v: Any) -> bool:
        if v is None:
            return (any_type or "null" in kinds) and in_enum(v)
        if isinstance(v, bool):
            return (any_type or "boolean" in kinds) and in_enum(v)
        if isinstance(v, int | float):
            if not (
                any_type
                or "number" in kinds
                or ("integer" in kinds and (isinstance(v, int) or float(v).is_integer()))
            ):
                return False
            return (low is None or v >= low) and in_enum(v)
        if isinstance(v, datetime | date):
            if instants:
                return (any_type or "string" in kinds) and _is_instant(v) and in_enum(v)
            v = v.isoformat()  # what jsonschema sees, via _jsonable
        if isinstance(v, str):
            if not (any_type or "string" in kinds):
                return False
            if instants and not _is_instant(v):
                return False
            if search is not None and search(v) is None:
                return False
            if least is not None and len(v) < least:
                return False
            return in_enum(v)
        if isinstance(v, Mapping):
            if not (any_type or "object" in kinds):
                return False
            for k in required:
                if k not in v:
                    return False
            for k, item in v.items():
                check = props.get(k)
                if check is None:
                    if closed:
                        return False
                elif not check(item):
                    return False
            return in_enum(v)
        if isinstance(v, list | tuple):
            if not (any_type or "array" in kinds):
                return False
            if item_ok is not None:
                for item in v:
                    if not item_ok(item):
                        return False
            return in_enum(list(v))
        return False

    return accepts


@cache
def _row_predicate(table: str) -> Accepts:
    return _compile(_load(table))


def row_is_valid(table: str, row: Mapping[str, Any]) -> bool:
    """Whether one row meets the contract: the fast path of validate_row."""
    return _row_predicate(table)(row)


def validate_row(table: str, row: Mapping[str, Any]) -> list[str]:
    """Messages for every contract violation of one row; empty when the row is valid."""
    if row_is_valid(table, row):
        return []
    errors = _validator(table).iter_errors(_jsonable(row))
    return sorted(
        f"{table}{error.json_path.removeprefix('$')}: {error.message}" for error in errors
    )


__all__ = [
    "CONTRACT_VERSION",
    "TABLES",
    "arrow_schema",
    "content_hash",
    "features",
    "ipc_digest",
    "ipc_digest_chunks",
    "json_schema",
    "row_is_valid",
    "to_arrow",
    "validate_row",
]
