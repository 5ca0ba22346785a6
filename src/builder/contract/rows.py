"""Row checks: one row against its table's JSON Schema, and one dump's rows before the
dump joins the merge (a dump whose rows break the contract is quarantined, not fatal)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from builder.contract.schema import loaded_schema
from builder.contract.tables import dump_row, sighting_row
from builder.records import DumpResult, article_id_for


@cache
def _validator(table: str) -> Draft202012Validator:
    return Draft202012Validator(
        loaded_schema(table), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


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
    return _compile(loaded_schema(table))


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


def dump_violations(result: DumpResult) -> list[str]:
    """Contract messages for one dump's rows, checked before the dump joins the merge.

    Sightings get their article id from their own title, as the merge gives it.
    """
    messages = validate_row("dumps", dump_row(result.dump))
    for sighting in result.sightings:
        article_id = article_id_for(sighting.title)
        messages += validate_row("sightings", sighting_row(article_id, sighting))
    return messages


def check_dump(result: DumpResult) -> DumpResult:
    """The dump as it may enter the build: unchanged, or quarantined with the first
    failing check as its reason (the build goes on without its rows)."""
    if result.dump.status == "quarantined":
        return result
    messages = dump_violations(result)
    if not messages:
        return result
    more = f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""
    dump = replace(
        result.dump,
        status="quarantined",
        reason=f"breaks the contract: {messages[0]}{more}",
        n_sightings=0,
    )
    return DumpResult(dump=dump, sightings=())
