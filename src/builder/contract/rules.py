"""The contract's rules as polars expressions, generated from schema/*.schema.json, and a
quick verdict on a whole frame that needs no pandera.

The pandera models (`models`) are built from these rules, and report every failing
value. Importing pandera and running its models on the tables of a build cost ~0.55 s
of CPU at 20,000 dumps (0.3 s of it the import), on tables that almost always pass. So
a table is first given `passes`: one polars query over the same rules, no stricter
than pandera would be lenient. Only a frame it refuses goes to the models, which then
say what is wrong (or that nothing is: `passes` may refuse what pandera accepts, never
the other way round; tests/contract/test_rules.py holds it to pandera's verdicts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from builder.contract.schema import json_schema

#: One row-level condition on a nested value: (name of the check, polars expression
#: that is true where the row is fine).
NestedRule = tuple[str, pl.Expr]


def split(node: Mapping[str, Any], where: str) -> tuple[str, bool]:
    """A node's one non-null JSON type and whether it may be null."""
    declared = node.get("type")
    names = [declared] if isinstance(declared, str) else list(declared or [])
    concrete = [name for name in names if name != "null"]
    if len(concrete) != 1:
        raise ValueError(f"{where}: need exactly one non-null JSON type, got {declared!r}")
    return concrete[0], "null" in names


def polars_dtype(node: Mapping[str, Any], where: str) -> pl.DataType:
    """Mapped from the JSON node itself (not via Arrow), so the drift test compares two
    independent readings of the same file."""
    kind, _ = split(node, where)
    if kind == "string":
        return pl.Datetime("us", "UTC") if node.get("format") == "date-time" else pl.String()
    if kind == "integer":
        return pl.Int32() if node.get("x-arrow") == "int32" else pl.Int64()
    if kind == "number":
        return pl.Float64()
    if kind == "boolean":
        return pl.Boolean()
    if kind == "object":
        return pl.Struct(
            {
                name: polars_dtype(child, f"{where}.{name}")
                for name, child in node["properties"].items()
            }
        )
    if kind == "array":
        return pl.List(polars_dtype(node["items"], f"{where}[]"))
    raise ValueError(f"{where}: JSON type {kind!r} has no polars mapping")


# --- JSON keywords -> row-level polars expressions ----------------------------------------


def value_rules(value: pl.Expr, node: Mapping[str, Any], where: str) -> list[NestedRule]:
    """Rules for a value that may itself be null; each is true on null unless the
    contract forbids null, so a rule reports exactly one problem."""
    kind, nullable = split(node, where)
    rules: list[NestedRule] = []
    if not nullable:
        rules.append((f"{where}: not null", value.is_not_null()))
    for name, condition in keyword_conditions(value, node):
        rules.append((f"{where}: {name}", condition.fill_null(True)))
    if kind == "object":
        for child_name, child in node["properties"].items():
            child_value = value.struct.field(child_name)
            for name, condition in value_rules(child_value, child, f"{where}.{child_name}"):
                rules.append((name, value.is_null() | condition))
    elif kind == "array":
        for name, condition in value_rules(pl.element(), node["items"], f"{where}[]"):
            rules.append((name, value.list.eval(condition).list.all().fill_null(True)))
    return rules


def keyword_conditions(value: pl.Expr, node: Mapping[str, Any]) -> list[tuple[str, pl.Expr]]:
    """enum, pattern, minLength and minimum as expressions (null where `value` is null),
    spelled as pandera's built-in checks spell them."""
    conditions: list[tuple[str, pl.Expr]] = []
    enum = [item for item in node.get("enum", ()) if item is not None]
    if enum:
        conditions.append((f"one of {enum}", value.is_in(enum)))
    if "pattern" in node:
        # JSON Schema patterns search (unanchored), like str.contains.
        conditions.append((f"pattern {node['pattern']}", value.str.contains(node["pattern"])))
    if "minLength" in node:
        conditions.append(
            (f"minLength {node['minLength']}", value.str.len_chars() >= node["minLength"])
        )
    if "minimum" in node:
        conditions.append((f"minimum {node['minimum']}", value >= node["minimum"]))
    return conditions


def nested_rules(name: str, node: Mapping[str, Any]) -> list[NestedRule]:
    """The rules on the values inside a struct or list column (none for a scalar one),
    each true on a row whose column is null."""
    kind, _ = split(node, name)
    column = pl.col(name)
    if kind == "object":
        children: list[NestedRule] = []
        for child_name, child in node["properties"].items():
            children += value_rules(column.struct.field(child_name), child, f"{name}.{child_name}")
        return [(rule, column.is_null() | ok) for rule, ok in children]
    if kind == "array":
        return [
            (rule, column.list.eval(ok).list.all().fill_null(True))
            for rule, ok in value_rules(pl.element(), node["items"], f"{name}[]")
        ]
    return []


# --- the quick verdict ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    """What a valid frame of a table is: its exact schema, one boolean aggregate per
    rule that is true when every row keeps it, and the columns those rules read."""

    schema: pl.Schema
    musts: tuple[pl.Expr, ...]
    columns: tuple[str, ...]


@cache
def _verdict(table: str) -> _Verdict:
    schema = json_schema(table)
    key = schema.get("x-key")
    columns: dict[str, pl.DataType] = {}
    musts: list[pl.Expr] = []
    read: list[str] = []
    for name, node in schema["properties"].items():
        columns[name] = polars_dtype(node, name)
        _, nullable = split(node, name)
        column = pl.col(name)
        rules: list[pl.Expr] = []
        if not nullable:
            rules.append(column.null_count() == 0)
        if name == key:
            rules.append(column.n_unique() == column.len())
        # pandera runs a column's checks on its non-null values: a null passes here too.
        rules += [ok.fill_null(True).all() for _, ok in keyword_conditions(column, node)]
        # A nested rule that says null is not a pass here (pandera may be kinder to it).
        rules += [ok.fill_null(False).all() for _, ok in nested_rules(name, node)]
        if rules:
            read.append(name)
        musts += rules
    return _Verdict(
        pl.Schema(columns), tuple(m.alias(f"r{i}") for i, m in enumerate(musts)), tuple(read)
    )


def schema_matches(table: str, schema: pl.Schema) -> bool:
    """Exactly the columns of `table`, in order, with their types (what pandera's
    `strict`, `ordered`, `required` and dtype checks ask)."""
    return schema == _verdict(table).schema


def rule_columns(table: str) -> tuple[str, ...]:
    """The columns the rules of `table` read (a nullable column without a keyword, such
    as an article's text, is in none): `rows_pass` needs only these."""
    return _verdict(table).columns


def rows_pass(table: str, frame: pl.DataFrame) -> bool:
    """Every rule of `table` kept by every row of `frame`, which holds at least the
    `rule_columns` (its schema is checked apart, by `schema_matches`)."""
    musts = _verdict(table).musts
    if frame.height == 0 or not musts:
        return True
    return all(value is True for value in frame.select(musts).row(0))


def passes(table: str, frame: pl.DataFrame) -> bool:
    """Whether `frame` surely passes the model of `table`: exactly its columns, in order,
    with its types, and every rule kept by every row. False means "ask the model", which
    may still find nothing (an odd null), never that the frame is surely bad."""
    return schema_matches(table, frame.schema) and rows_pass(table, frame)


__all__ = [
    "NestedRule",
    "keyword_conditions",
    "nested_rules",
    "passes",
    "polars_dtype",
    "rows_pass",
    "rule_columns",
    "schema_matches",
    "split",
    "value_rules",
]
