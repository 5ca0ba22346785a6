"""pandera (polars backend) models of the three tables, generated from schema/*.schema.json.

A hand-written second copy of the contract would drift from the JSON files; generating
the models keeps one definition. JSON Schema checks one record at a time; these models
add what only a whole table can show (unique keys) and check at columnar speed, which
is what makes validating a million-row release take seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Final

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from builder.contract.findings import Finding
from builder.contract.schema import json_schema

#: One row-level condition on a nested value: (name of the check, polars expression
#: that is true where the row is fine).
NestedRule = tuple[str, pl.Expr]


def _split(node: Mapping[str, Any], where: str) -> tuple[str, bool]:
    declared = node.get("type")
    names = [declared] if isinstance(declared, str) else list(declared or [])
    concrete = [name for name in names if name != "null"]
    if len(concrete) != 1:
        raise ValueError(f"{where}: need exactly one non-null JSON type, got {declared!r}")
    return concrete[0], "null" in names


def polars_dtype(node: Mapping[str, Any], where: str) -> pl.DataType:
    """Mapped from the JSON node itself (not via Arrow), so the drift test compares two
    independent readings of the same file."""
    kind, _ = _split(node, where)
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


# --- nested values: JSON keywords -> row-level polars expressions -------------------------


def _value_rules(value: pl.Expr, node: Mapping[str, Any], where: str) -> list[NestedRule]:
    """Rules for a value that may itself be null; each is true on null unless the
    contract forbids null, so a rule reports exactly one problem."""
    kind, nullable = _split(node, where)
    rules: list[NestedRule] = []
    if not nullable:
        rules.append((f"{where}: not null", value.is_not_null()))
    for name, condition in _keyword_conditions(value, node):
        rules.append((f"{where}: {name}", condition.fill_null(True)))
    if kind == "object":
        for child_name, child in node["properties"].items():
            child_value = value.struct.field(child_name)
            for name, condition in _value_rules(child_value, child, f"{where}.{child_name}"):
                rules.append((name, value.is_null() | condition))
    elif kind == "array":
        for name, condition in _value_rules(pl.element(), node["items"], f"{where}[]"):
            rules.append((name, value.list.eval(condition).list.all().fill_null(True)))
    return rules


def _keyword_conditions(value: pl.Expr, node: Mapping[str, Any]) -> list[tuple[str, pl.Expr]]:
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


def _nested_check(name: str, condition: pl.Expr) -> pa.Check:
    def run(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(condition.alias("ok"))

    return pa.Check(run, name=name, error=name)


# --- top-level columns ----------------------------------------------------------------------


def _column_checks(name: str, node: Mapping[str, Any]) -> list[pa.Check]:
    """Built-in checks where pandera has them: their failure cases show the bad value."""
    checks: list[pa.Check] = []
    enum = [item for item in node.get("enum", ()) if item is not None]
    if enum:
        checks.append(pa.Check.isin(enum))
    if "pattern" in node:
        checks.append(pa.Check.str_contains(node["pattern"]))
    if "minLength" in node:
        checks.append(pa.Check.str_length(min_value=node["minLength"]))
    if "minimum" in node:
        checks.append(pa.Check.ge(node["minimum"]))
    kind, _ = _split(node, name)
    if kind in ("object", "array"):
        column = pl.col(name)
        children: list[NestedRule] = []
        if kind == "object":
            for child_name, child in node["properties"].items():
                children += _value_rules(
                    column.struct.field(child_name), child, f"{name}.{child_name}"
                )
            children = [(rule, column.is_null() | ok) for rule, ok in children]
        else:
            children = [
                (rule, column.list.eval(ok).list.all().fill_null(True))
                for rule, ok in _value_rules(pl.element(), node["items"], f"{name}[]")
            ]
        checks += [_nested_check(rule, ok) for rule, ok in children]
    return checks


def _column(name: str, node: Mapping[str, Any], *, key: bool) -> pa.Column:
    _, nullable = _split(node, name)
    return pa.Column(
        polars_dtype(node, name),
        checks=_column_checks(name, node),
        nullable=nullable,
        unique=key,
        required=True,
        name=name,
    )


def model_from_json_schema(schema: Mapping[str, Any]) -> pa.DataFrameSchema:
    """The pandera model of one table's JSON Schema: exact columns, in contract order."""
    table = str(schema.get("title", "table")).split()[0]
    key = schema.get("x-key")
    columns = {
        name: _column(name, node, key=name == key) for name, node in schema["properties"].items()
    }
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name=table)


@cache
def table_model(table: str) -> pa.DataFrameSchema:
    """The model of one contract table (cached: building the checks is not free)."""
    return model_from_json_schema(json_schema(table))


def validate_frame(table: str, frame: pl.DataFrame, *, examples: int = 3) -> list[Finding]:
    """Every failing check of `frame` against the model of `table` (empty when valid)."""
    return failures_of(table_model(table), table, frame, examples=examples)


def failures_of(
    model: pa.DataFrameSchema, table: str, frame: pl.DataFrame, *, examples: int = 3
) -> list[Finding]:
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        return _group(table, error.failure_cases, examples)
    except pa.errors.SchemaError as error:  # some backends raise one error even when lazy
        return [Finding(table, None, str(error).splitlines()[0], 1, ())]
    return []


#: pandera's internal names, said the way a CI log reader thinks of them.
_CHECK_NAMES: Final[Mapping[str, str]] = {
    "field_uniqueness": "unique key",
    "column_in_dataframe": "missing column",
    "column_in_schema": "unknown column",
    "column_ordered": "column order",
    "not_nullable": "not null",
}
#: Checks whose failure case is a column name, not a value.
_TABLE_LEVEL: Final = frozenset({"column_in_dataframe", "column_in_schema", "column_ordered"})


def _group(table: str, cases: pl.DataFrame, examples: int) -> list[Finding]:
    grouped: dict[tuple[str | None, str], list[str]] = {}
    for row in cases.select("column", "check", "failure_case").to_dicts():
        value = "null" if row["failure_case"] is None else str(row["failure_case"])
        check = str(row["check"])
        column = value if check in _TABLE_LEVEL else row["column"]
        bucket = grouped.setdefault((column, _CHECK_NAMES.get(check, check)), [])
        bucket.append(value)
    return [
        Finding(
            table=table,
            column=column,
            check=check,
            count=len(values),
            examples=tuple(_shorten(value) for value in dict.fromkeys(values))[:examples],
        )
        for (column, check), values in grouped.items()
    ]


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "Finding",
    "failures_of",
    "model_from_json_schema",
    "polars_dtype",
    "table_model",
    "validate_frame",
]
