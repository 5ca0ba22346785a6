"""pandera (polars backend) models of the three tables, generated from schema/*.schema.json.

A hand-written second copy of the contract would drift from the JSON files; generating
the models keeps one definition (the rules themselves are polars expressions, in
`rules`, which also vouches for a table that surely passes without pandera). JSON
Schema checks one record at a time; these models add what only a whole table can show
(unique keys) and check at columnar speed, which is what makes validating a
million-row release take seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Final

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from builder.contract.findings import Finding
from builder.contract.rules import nested_rules, polars_dtype, split
from builder.contract.schema import json_schema


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
    checks += [_nested_check(rule, ok) for rule, ok in nested_rules(name, node)]
    return checks


def _column(name: str, node: Mapping[str, Any], *, key: bool) -> pa.Column:
    _, nullable = split(node, name)
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
