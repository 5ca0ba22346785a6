"""Row checks: one row against its table's JSON Schema, and one dump's rows before the
dump joins the merge (a dump whose rows break the contract is quarantined, not fatal).

Three answers to "does this row meet the contract?", each faster than the next and
never disagreeing with it: jsonschema (the messages), a predicate compiled from the
schema (`row_is_valid`, any row dict), and code generated from the schema for the rows
a dump's records give (`rows_pass`: no row dict is built). A "no" or an "unsure" from
a faster one is settled by the slower, so a dump gets the verdict and reason its row
dicts would get (of records holding the types they declare: see `_takes_all`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from types import UnionType
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Literal,
    NamedTuple,
    Union,
    get_args,
    get_origin,
)

from builder.contract.schema import loaded_schema
from builder.contract.tables import (
    SIGHTING_ARGS,
    dump_row,
    dump_row_view,
    dump_types,
    generated,
    sighting_reads,
    sighting_row,
)
from builder.records import DumpResult, Sighting, article_id_for

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


# --- Rows read from their records, by code generated from the schema -----------------

#: Keywords that only annotate a node: no value is refused for them.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples"})
#: The keywords of a column's node the generated checks read (as `_keywords` does).
_VALUE_KEYWORDS = frozenset({"type", "format", "pattern", "minLength", "minimum", "enum"})
#: The keywords of a row's node the generated checks account for.
_ROW_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties", "x-key"})


def _annotates(word: str) -> bool:
    return word in _ANNOTATIONS or word.startswith("x-")


def _sure(node: Mapping[str, Any], at: str, names: dict[str, Any]) -> str:
    """A Python expression of `v`, true only for values the node accepts: those of the
    exact types rows hold (None, bool, int, str, a datetime for a date-time) that meet
    its keywords. "False" for anything it cannot tell cheaply (other types, a str of a
    date-time, a keyword it does not know): the row then takes the path of messages,
    which decides. So it may say no to a valid value, never yes to an invalid one.

    `names` receives the constants the expression refers to (patterns, enum sets)."""
    if not all(_annotates(word) or word in _VALUE_KEYWORDS for word in node):
        return "False"
    if node.get("format", "date-time") != "date-time":
        return "False"
    kinds, any_type, instants, search, least, low, enum = _keywords(node)

    def allows(*kinds_: str) -> bool:
        return any_type or any(kind in kinds for kind in kinds_)

    def constant(name: str, value: Any) -> str:
        names[f"{at}_{name}"] = value
        return f"{at}_{name}"

    string_tests = [
        *([f"{constant('search', search)}(v) is not None"] if search is not None else []),
        *([f"len(v) >= {constant('least', least)}"] if least is not None else []),
    ]
    int_tests = [f"v >= {constant('low', low)}"] if low is not None else []
    sure: list[list[str]] = []
    if enum is None:
        if allows("null"):
            sure.append(["v is None"])
        if allows("boolean"):
            sure.append(["type(v) is bool"])
        if allows("integer", "number"):
            sure.append(["type(v) is int", *int_tests])
        if allows("string") and instants:
            sure.append(["type(v) is datetime", "v.tzinfo is not None"])
        elif allows("string"):
            sure.append(["type(v) is str", *string_tests])
    else:
        strings = frozenset(a for a in enum if type(a) is str)
        ints = frozenset(a for a in enum if type(a) is int)
        if allows("null") and any(a is None for a in enum):
            sure.append(["v is None"])
        if allows("integer", "number") and ints:
            sure.append(["type(v) is int", f"v in {constant('ints', ints)}", *int_tests])
        if allows("string") and strings and not instants:
            sure.append(["type(v) is str", f"v in {constant('strings', strings)}", *string_tests])
    return " or ".join(f"({' and '.join(tests)})" for tests in sure) or "False"


def _shaped(table: str, columns: Collection[str]) -> bool:
    """Whether a row holding exactly `columns` has the shape the table's schema asks
    (an object, each required column present, none it does not know when closed), and
    the schema says nothing of rows the generated checks do not account for."""
    schema = loaded_schema(table)
    kinds = _keywords(schema).kinds
    closed = schema.get("additionalProperties") is False
    return (
        all(_annotates(word) or word in _ROW_KEYWORDS for word in schema)
        and schema.get("additionalProperties", True) in (True, False)
        and (not kinds or "object" in kinds)
        and set(schema.get("required", ())) <= set(columns)
        and (not closed or set(columns) <= set(schema.get("properties", {})))
    )


def _members(annotation: Any) -> list[tuple[str, Any]] | None:
    """A declared type as what its values can be: ("value", v) for each value of a
    Literal or None, ("type", t) for every value of str or bool; None when unknown."""
    if get_origin(annotation) in (Union, UnionType):
        members = [_members(arg) for arg in get_args(annotation)]
        return None if None in members else [m for ms in members if ms for m in ms]
    if get_origin(annotation) is Literal:
        return [("value", value) for value in get_args(annotation)]
    if annotation is None or annotation is type(None):
        return [("value", None)]
    if annotation in (str, bool):
        return [("type", annotation)]
    return None


def _takes_all(node: Mapping[str, Any], annotation: Any) -> bool:
    """Whether the node accepts every value of the declared type: then the column needs
    no test (the pipeline is held to its records' types by mypy, strict). Each value of
    a Literal or None is asked of the node's predicate; str and bool are taken whole
    only by a node that allows the type and says nothing else of its values."""
    members = _members(annotation)
    if not members:
        return False
    accepts, _ = _checks(node)
    words = _keywords(node)
    plain = all(_annotates(word) or word == "type" for word in node)
    for kind, member in members:
        if kind == "value" and not accepts(member):
            return False
        if member is bool and not (accepts(True) and accepts(False)):
            return False
        if member is str and not (plain and (words.any_type or "string" in words.kinds)):
            return False
    return True


def _column_tests(
    table: str,
    reads: Mapping[str, tuple[str, Any]],
    names: dict[str, Any],
    fail: str = "return False",
    remember: bool = False,
) -> list[str]:
    """Lines that end the function with `fail` unless each column `reads` gives (a
    Python expression, and its declared type) meets its node (`_sure`); a column whose
    type the node takes whole (`_takes_all`) is not read.

    With `remember` (lines run for each row of a dump), a column tested with a pattern,
    other than the table's key (`x-key`, unique per row), remembers the last value that
    passed (`_last<i>`, a local of the enclosing factory): a dump's sightings share
    their dump id, and the same object passes the same test."""
    schema = loaded_schema(table)
    props: Mapping[str, Any] = schema.get("properties", {})
    lines: list[str] = []
    for index, (column, (read, declared)) in enumerate(reads.items()):
        if column not in props or _takes_all(props[column], declared):
            continue
        sure = _sure(props[column], f"_c{index}", names)
        lines.append(f"v = {read}  # {column}")
        if remember and f"_c{index}_search" in names and column != schema.get("x-key"):
            names[f"_last{index}"] = None
            lines += [
                f"if v is not _last{index}:",
                f"    if not ({sure}):",
                f"        {fail}",
                f"    _last{index} = v",
            ]
        else:
            lines += [f"if not ({sure}):", f"    {fail}"]
    return lines


def _generated_check(name: str, args: Sequence[str], body: list[str], names: dict[str, Any]) -> Any:
    """`body` as the function `name(*args)`, inside a factory whose locals are `names`
    (the constants and memories the tests read: cell loads, not global lookups)."""
    memories = [n for n in names if n.startswith("_last")]
    inner = [
        f"def {name}({', '.join(args)}):",
        *([f"    nonlocal {', '.join(memories)}"] if memories else []),
        *(f"    {line}" for line in body),
        f"return {name}",
    ]
    factory = generated(f"make_{name}", list(names), inner, {})
    return factory(**names)


@cache
def _dumps_pass() -> Callable[[Mapping[str, Any]], bool]:
    """The dumps row's check, on the row as a mapping (dump_row_view): its keys must be
    the columns (else the messages say which is missing or extra), then each column
    is read as the Dump declares it (tables.dump_types)."""
    props = loaded_schema("dumps").get("properties", {})
    types = dump_types()
    reads = {column: (f"row[{column!r}]", types.get(column, Any)) for column in props}
    names: dict[str, Any] = {"datetime": datetime, "type": type, "_columns": frozenset(props)}
    body = ["if row.keys() != _columns:", "    return False"]
    body += _column_tests("dumps", reads, names)
    body.append("return True" if _shaped("dumps", props) else "return False")
    check: Callable[[Mapping[str, Any]], bool] = _generated_check(
        "dumps_pass", ["row"], body, names
    )
    return check


def _title_reads() -> tuple[dict[str, tuple[str, Any]], dict[str, tuple[str, Any]]]:
    """The sightings columns a Sighting gives (tables.sighting_reads) split in two: those
    that are functions of its title alone (the title, and the article id check_dump
    derives from it) as read from `title`, and the others."""
    article_id, item = SIGHTING_ARGS
    by_title: dict[str, tuple[str, Any]] = {}
    others: dict[str, tuple[str, Any]] = {}
    for column, (read, declared) in sighting_reads().items():
        if read == f"{item}.title":
            by_title[column] = ("title", declared)
        elif read == article_id:
            by_title[column] = (read, declared)
        else:
            others[column] = (read, declared)
    return by_title, others


@cache
def _title_test() -> Callable[[str], bool]:
    """The tests of the columns that depend on a title alone (`_title_reads`), its
    article id given by article_id_for as the merge gives it; generated as the others."""
    names: dict[str, Any] = {"type": type, "len": len, "article_id_for": article_id_for}
    body = [f"{SIGHTING_ARGS[0]} = article_id_for(title)"]
    body += _column_tests("sightings", _title_reads()[0], names)
    body.append("return True")
    test: Callable[[str], bool] = _generated_check("title_test", ["title"], body, names)
    return test


#: Titles whose own columns (the title, its article id) passed: each distinct title is
#: tested once, and a title seen again costs one set lookup (titles recur on most
#: pages). Emptied whole when full, so it stays a few MB at most.
titles_passed: Final[set[str]] = set()
_TITLES_KEPT: Final = 1 << 15


@cache
def _sightings_pass() -> Callable[[Iterable[Sighting]], bool]:
    """The check of a dump's sightings, read from each Sighting as the row builder
    reads it (tables.sighting_reads), its article id from its title (as in
    dump_violations), the title's own columns once per distinct title (titles_passed):
    no row dict is built for rows that pass."""
    if not _shaped("sightings", sighting_reads()):
        return lambda sightings: not sightings
    names: dict[str, Any] = {
        "datetime": datetime, "type": type, "len": len, "bool": bool,
        "title_test": _title_test(), "titles_passed": titles_passed, "kept": _TITLES_KEPT,
    }  # fmt: skip
    item = SIGHTING_ARGS[1]
    body = [
        f"for {item} in sightings:",
        f"    title = {item}.title",
        "    if title not in titles_passed:",
        "        if not title_test(title):",
        "            return False",
        "        if len(titles_passed) >= kept:",
        "            titles_passed.clear()",
        "        titles_passed.add(title)",
    ]
    others = _title_reads()[1]
    article_id = SIGHTING_ARGS[0]
    if any(re.search(rf"\b{article_id}\b", read) for read, _ in others.values()):
        names["article_id_for"] = article_id_for  # another column computed from the id
        body.append(f"    {article_id} = article_id_for(title)")
    tests = _column_tests("sightings", others, names, remember=True)
    body += [f"    {line}" for line in tests]
    body.append("return True")
    check: Callable[[Iterable[Sighting]], bool] = _generated_check(
        "sightings_pass", ["sightings"], body, names
    )
    return check


def rows_pass(result: DumpResult) -> bool:
    """Whether all of one dump's rows meet the contract, asked without building them:
    the fast path of check_dump. False may also mean "not sure": dump_violations then
    gives the verdict."""
    return _dumps_pass()(dump_row_view(result.dump)) and _sightings_pass()(result.sightings)


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
    if result.dump.status == "quarantined" or rows_pass(result):
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
