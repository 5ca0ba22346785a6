"""The data contract: `schema/*.schema.json` -> table names, version, Arrow schema.

The JSON Schema files are the one source of truth. Everything a consumer sees (the
Parquet column types, the dataset card's features, row validation) is derived from
them, so a column cannot be renamed or retyped in one place and forgotten in another.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

if TYPE_CHECKING:
    import datasets


TABLES: Final = ("articles", "sightings", "dumps")

_ID_PATTERN = re.compile(r"^urn:builder:contract:(?P<version>[^:]+):(?P<table>[a-z_]+)$")


def check_table(table: str) -> None:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; the contract has {', '.join(TABLES)}")


@cache
def loaded_schema(table: str) -> dict[str, Any]:
    check_table(table)
    resource = files("builder") / "schema" / f"{table}.schema.json"
    loaded: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return loaded


def _version_of(table: str) -> str:
    """The contract version is carried by each file's `$id`, so a file cannot be bumped alone."""
    schema_id = loaded_schema(table).get("$id", "")
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
    return copy.deepcopy(loaded_schema(table))


# --- Arrow ----------------------------------------------------------------------------


def split_type(node: Mapping[str, Any], where: str) -> tuple[str, bool]:
    """JSON Schema allows `"type": ["string", "null"]`; Arrow wants one type + nullability."""
    declared = node.get("type")
    names = [declared] if isinstance(declared, str) else list(declared or [])
    nullable = "null" in names
    concrete = [name for name in names if name != "null"]
    if len(concrete) != 1:
        raise ValueError(f"{where}: need exactly one non-null JSON type, got {declared!r}")
    return concrete[0], nullable


def _arrow_type(node: Mapping[str, Any], where: str) -> pa.DataType:
    kind, _ = split_type(node, where)
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
    _, nullable = split_type(node, where)
    return pa.field(name, _arrow_type(node, where), nullable=nullable)


def _arrow_fields(node: Mapping[str, Any], where: str) -> list[pa.Field]:
    return [
        _arrow_field(name, child, f"{where}.{name}") for name, child in node["properties"].items()
    ]


@cache
def arrow_schema(table: str) -> pa.Schema:
    """Column order is the property order of the JSON file: the file is the layout spec."""
    return pa.schema(_arrow_fields(loaded_schema(table), table))


def features(table: str) -> datasets.Features:
    """Card features come from the Arrow schema, so the card cannot disagree with the files."""
    import datasets  # heavy, and only the card needs it

    return datasets.Features.from_arrow_schema(arrow_schema(table))
