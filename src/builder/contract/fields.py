"""Every field of a table, nested ones included, with the description `schema/` gives it.

The dataset card's field table and croissant.json both read the descriptions from
here, so a field is explained once, in the schema file, and the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from builder.contract.schema import loaded_schema, split_type


@dataclass(frozen=True)
class FieldDoc:
    """One field: `path` like `provenance.repairs[].kind`, its JSON type, whether it
    may be null, the schema's description and the values an enum allows."""

    path: str
    kind: str
    nullable: bool
    description: str
    enum: tuple[str, ...] = ()
    date_time: bool = False

    @property
    def text(self) -> str:
        """The description, with the allowed values when the field is an enum."""
        if not self.enum or "one of" in self.description.lower():
            return self.description
        return f"{self.description} One of: {', '.join(self.enum)}."


def node_text(node: Mapping[str, Any]) -> str:
    """The description of a schema node, with its enum values (Croissant's too)."""
    return describe("", node).text


def describe(path: str, node: Mapping[str, Any]) -> FieldDoc:
    kind, nullable = split_type(node, path or "node")
    enum = tuple(str(item) for item in node.get("enum", ()) if item is not None)
    return FieldDoc(
        path=path,
        kind=kind,
        nullable=nullable,
        description=str(node.get("description", "")).strip(),
        enum=enum,
        date_time=node.get("format") == "date-time",
    )


def _walk(properties: Mapping[str, Any], prefix: str) -> Iterator[FieldDoc]:
    for name, node in properties.items():
        path = f"{prefix}{name}"
        yield describe(path, node)
        if "properties" in node:
            yield from _walk(node["properties"], f"{path}.")
        items = node.get("items")
        if isinstance(items, Mapping) and "properties" in items:
            yield from _walk(items["properties"], f"{path}[].")


def field_docs(table: str, schema: Mapping[str, Any] | None = None) -> list[FieldDoc]:
    """Every field of `table` (or of `schema`, a table's JSON Schema), in column order,
    each nested field right after its parent."""
    document = loaded_schema(table) if schema is None else schema
    return list(_walk(document["properties"], ""))


def undescribed(table: str, schema: Mapping[str, Any] | None = None) -> list[str]:
    """Fields without a description: the drift test fails on any."""
    return [doc.path for doc in field_docs(table, schema) if not doc.description]


__all__ = ["FieldDoc", "describe", "field_docs", "node_text", "undescribed"]
