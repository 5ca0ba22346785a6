"""Rows to the contract's Arrow tables: records of the pipeline (`Merged`) or plain dicts.

Arrow alone would store a missing key or a None in a non-nullable field as null and
read a naive datetime as UTC; the guard here refuses all three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final, get_type_hints

import pyarrow as pa

from builder.contract.schema import arrow_schema, loaded_schema, split_type
from builder.records import Article, Dump, Merged, Sighting

Guard = Callable[[Any, str], Any]


def _guard(node: Mapping[str, Any], where: str) -> Guard:
    """Compile, once per table, the checks Arrow would skip; returns the value to store.

    Arrow silently stores a missing key or a None in a non-nullable field as null, and
    reads a naive datetime as UTC: all three would corrupt a release without a sound.
    Aware datetimes are converted to UTC here: how pyarrow converts other offsets
    changes once some libraries are imported (pandera.polars shifts them by the offset).
    """
    kind, nullable = split_type(node, where)
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
    return _guard(loaded_schema(table), table)


def to_arrow(table: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows are plain dicts from the pipeline; keys that are not columns are dropped."""
    guard = _table_guard(table)
    checked = [guard(row, f"{table}[{index}]") for index, row in enumerate(rows)]
    return pa.Table.from_pylist(checked, schema=arrow_schema(table))


#: The sightings columns a Sighting does not hold under the column's name: the Python
#: expression of the row builder's arguments (SIGHTING_ARGS) that gives each, and its
#: type; every other column is the attribute of its name. The row builder and the
#: contract's check of a dump's sightings (`contract.rows`) are both generated from
#: this and the schema's columns, so the check reads exactly what the row would hold.
SIGHTING_ARGS: Final = ("article_id", "s")
_SIGHTING_COMPUTED: Final[dict[str, tuple[str, Any]]] = {
    "article_id": ("article_id", str),
    "has_text": ("bool(s.text)", bool),
}


def _annotation(cls: type, name: str) -> Any:
    """The declared type of a record's field or property `name` (Any if undeclared)."""
    hints = get_type_hints(cls)
    if name in hints:
        return hints[name]
    member = getattr(cls, name, None)
    if isinstance(member, property) and member.fget is not None:
        return get_type_hints(member.fget).get("return", Any)
    return Any


@cache
def sighting_reads() -> dict[str, tuple[str, Any]]:
    """Each sightings column a row holds, in the contract's order: the expression of
    SIGHTING_ARGS that gives its value, and that value's declared type. A column the
    contract names but a Sighting does not hold is left out: the row lacks it and the
    contract check says so."""
    held = {f.name for f in fields(Sighting)} | set(dir(Sighting))
    reads: dict[str, tuple[str, Any]] = {}
    for name in loaded_schema("sightings").get("properties", {}):
        if name in _SIGHTING_COMPUTED:
            reads[name] = _SIGHTING_COMPUTED[name]
        elif name in held:
            reads[name] = (f"s.{name}", _annotation(Sighting, name))
    return reads


@cache
def dump_types() -> dict[str, Any]:
    """The declared type of each field of a Dump: of each column of its row (dump_row)."""
    return {f.name: _annotation(Dump, f.name) for f in fields(Dump)}


def generated(name: str, args: Sequence[str], body: Sequence[str], names: dict[str, Any]) -> Any:
    """A function compiled from source lines (as `dataclasses` builds `__init__`): code
    written for one table's columns reads each value once, with no loop, no lookup of
    a column's check and no call per column. `names` are the globals it sees."""
    source = "\n".join([f"def {name}({', '.join(args)}):", *(f"    {line}" for line in body)])
    namespace = dict(names)
    exec(compile(source, f"<builder.contract {name}>", "exec"), namespace)
    return namespace[name]


@cache
def _sighting_builder() -> Callable[[str, Sighting], dict[str, Any]]:
    items = ", ".join(f"{column!r}: {read}" for column, (read, _) in sighting_reads().items())
    built: Callable[[str, Sighting], dict[str, Any]] = generated(
        "sighting_row", SIGHTING_ARGS, [f"return {{{items}}}"], {}
    )
    return built


def sighting_row(article_id: str, s: Sighting) -> dict[str, Any]:
    """The sightings row of a Sighting, its article id given (see sighting_reads)."""
    return _sighting_builder()(article_id, s)


def dump_row_view(d: Dump) -> Mapping[str, Any]:
    """The dumps row of a Dump without a copy: its own dict of fields (the columns),
    which the contract's check reads and must not change (dump_row copies it)."""
    return vars(d)


def dump_row(d: Dump) -> dict[str, Any]:
    """The dumps row of a Dump (its fields are the columns; no copy of nested values)."""
    return dict(dump_row_view(d))


def article_row(a: Article) -> dict[str, Any]:
    """The articles row of an Article. dataclasses.asdict deep-copies every value and
    was a tenth of a build's time; the rows are only read, so references do."""
    row = dict(vars(a))
    provenance = dict(vars(a.provenance))
    provenance["repairs"] = [vars(r) for r in a.provenance.repairs]
    row["provenance"] = provenance
    return row


def to_tables(merged: Merged) -> dict[str, pa.Table]:
    """One Arrow table per config, with the contract's schema and row order."""
    return {
        "articles": to_arrow("articles", (article_row(a) for a in merged.articles)),
        "sightings": to_arrow("sightings", (sighting_row(aid, s) for aid, s in merged.sightings)),
        "dumps": to_arrow("dumps", (dump_row(d) for d in merged.dumps)),
    }


def _nulls_refused(array: pa.Array | pa.ChunkedArray, field: pa.Field, at: str) -> None:
    """Raise if `array` holds a null where `field` (or a field inside it) allows none."""
    if not field.nullable and array.null_count:
        raise ValueError(f"{at} is null but the contract does not allow null")
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    data_type = field.type
    for chunk in chunks:
        if pa.types.is_struct(data_type):
            if chunk.null_count:  # a null struct may hold nulls in required children
                chunk = chunk.filter(chunk.is_valid())
            for child in data_type:
                _nulls_refused(chunk.field(child.name), child, f"{at}.{child.name}")
        elif pa.types.is_list(data_type):
            _nulls_refused(chunk.flatten(), data_type.value_field, f"{at}[]")


def conform(table: str, data: pa.Table) -> pa.Table:
    """A table built in columns (polars, Arrow compute) as the contract's `table`: its
    columns in the contract's order and types, refused with the column's name when it is
    missing or holds a null where the contract allows none.

    The columnar counterpart of `to_arrow`: what the merge builds is typed by the
    engine that built it (large strings, int64 counts, nullable children).
    """
    schema = arrow_schema(table)
    missing = [name for name in schema.names if name not in data.column_names]
    if missing:
        raise ValueError(f"{table}: missing required column(s) {', '.join(missing)}")
    for field in schema:  # before the cast, which would refuse them in its own words
        _nulls_refused(data.column(field.name), field, f"{table}.{field.name}")
    return data.select(schema.names).cast(schema)
