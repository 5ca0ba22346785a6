"""Row checks: one row against its table's JSON Schema, and one dump's rows before the
dump joins the merge (a dump whose rows break the contract is quarantined, not fatal)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from builder.contract.schema import loaded_schema
from builder.contract.tables import dump_row, sighting_row
from builder.records import DumpResult, article_id_for

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


@cache
def _validator(table: str) -> Draft202012Validator:
    """jsonschema's validator of a table: for the messages of a row the predicate
    refused. Imported here, when first needed: a build whose rows all pass never pays
    its import (~0.06 s CPU of every start)."""
    from jsonschema import Draft202012Validator

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


_NUMBERS = (int, float)
_DATES = (datetime, date)
_ARRAYS = (list, tuple)


#: A node's checks: `accepts` for any value, and the checks by exact type (see _by_type).
Checks = tuple[Accepts, dict[type, Accepts]]


def _compile(node: Mapping[str, Any]) -> Accepts:
    """`_checks(node)` as one predicate: the check for the value's type, else `accepts`."""
    accepts, by_type = _checks(node)
    by_type_get = by_type.get

    def fast(v: Any) -> bool:
        return by_type_get(type(v), accepts)(v)

    return fast


class _Keywords(NamedTuple):
    """The keywords of a schema node the checks read, parsed once for both."""

    kinds: frozenset[str]
    any_type: bool
    instants: bool
    search: Callable[[str], re.Match[str] | None] | None
    least: int | None
    low: Any
    enum: list[Any] | None


def _keywords(node: Mapping[str, Any]) -> _Keywords:
    raw_kinds = node.get("type", [])
    kinds = frozenset([raw_kinds] if isinstance(raw_kinds, str) else raw_kinds)
    return _Keywords(
        kinds,
        not kinds,
        node.get("format") == "date-time",
        re.compile(node["pattern"]).search if "pattern" in node else None,
        node.get("minLength"),
        node.get("minimum"),
        node.get("enum"),
    )


def _checks(node: Mapping[str, Any]) -> Checks:
    """A predicate equivalent to the JSON Schema node for the Python values rows hold.

    jsonschema on every row of every dump costs more than parsing the dump; this
    predicate, compiled once from the same schema, answers "valid?" in microseconds.
    Only when it says no does validate_row ask jsonschema for the messages (a test
    holds the two to the same answers).

    `accepts` answers for any value; the values rows hold (None, bool, int, str, an
    aware datetime, a dict row) are answered first by checks picked for their exact
    type when the schema is compiled (`_by_type`), which give the same answers with a
    fraction of the work.
    """
    words = _keywords(node)
    kinds, any_type, instants, search, least, low, enum = words
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
        if isinstance(v, _NUMBERS):
            if not (
                any_type
                or "number" in kinds
                or ("integer" in kinds and (isinstance(v, int) or float(v).is_integer()))
            ):
                return False
            return (low is None or v >= low) and in_enum(v)
        if isinstance(v, _DATES):
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
        if isinstance(v, _ARRAYS):
            if not (any_type or "array" in kinds):
                return False
            if item_ok is not None:
                for item in v:
                    if not item_ok(item):
                        return False
            return in_enum(list(v))
        return False

    return accepts, _by_type(node, accepts, words)


def _by_type(node: Mapping[str, Any], accepts: Accepts, words: _Keywords) -> dict[type, Accepts]:
    """Checks, by a value's exact type, that answer as `accepts` does for that type.

    None and booleans have one answer per value, asked of `accepts` once here. A str
    or an int runs `accepts`'s checks for its type alone (an int of exact type is never
    a bool), an enum becoming a set of the allowed values of that exact type. A datetime
    of a date-time node (without enum) is valid when the node allows strings and it has
    a zone. A dict runs the property checks, each itself picked by type. Any other value
    (a float, a date, a list, a subclass...) goes to `accepts`.
    """
    kinds, any_type, instants, search, least, low, enum = words
    strings = None if enum is None else frozenset(a for a in enum if type(a) is str)
    ints = None if enum is None else frozenset(a for a in enum if type(a) is int)

    none_ok, true_ok, false_ok = accepts(None), accepts(True), accepts(False)
    checks: dict[type, Accepts] = {
        type(None): lambda v: none_ok,
        bool: lambda v: true_ok if v else false_ok,
    }
    if not (any_type or "string" in kinds):
        checks[str] = lambda v: False
    elif not instants:

        def string(v: str) -> bool:
            return (
                (search is None or search(v) is not None)
                and (least is None or len(v) >= least)
                and (strings is None or v in strings)
            )

        checks[str] = string
    if any_type or "number" in kinds or "integer" in kinds:

        def integer(v: int) -> bool:
            return (low is None or v >= low) and (ints is None or v in ints)

        checks[int] = integer
    else:
        checks[int] = lambda v: False
    if instants and enum is None:
        string_ok = any_type or "string" in kinds
        checks[datetime] = lambda v: string_ok and v.tzinfo is not None
    if (any_type or "object" in kinds) and enum is None:
        required = frozenset(node.get("required", ()))
        closed = node.get("additionalProperties") is False
        # Each property's (by-type lookup, accepts): a row's value costs one lookup.
        props: dict[str, tuple[Callable[[type, Accepts], Accepts], Accepts]] = {}
        for name, sub in node.get("properties", {}).items():
            sub_accepts, sub_by_type = _checks(sub)
            props[name] = (sub_by_type.get, sub_accepts)
        props_get = props.get

        def row(v: dict[str, Any]) -> bool:
            present = 0
            for k, item in v.items():
                prop = props_get(k)
                if prop is None:
                    if closed:
                        return False
                elif not prop[0](type(item), prop[1])(item):
                    return False
                if k in required:
                    present += 1
            return present == len(required)

        checks[dict] = row
    return checks


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
