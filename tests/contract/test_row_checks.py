"""The checks generated from the schema (contract.rows: rows_pass, the fast path of
check_dump) give every dump the verdict and the reason the row dicts and jsonschema give:
valid rows of real builds pass without the slow path, and each kind of broken row is
quarantined with the same `breaks the contract: ...` text as before."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from builder.contract import rows
from builder.contract.schema import loaded_schema
from builder.contract.tables import (
    dump_row,
    dump_types,
    generated,
    sighting_reads,
    sighting_row,
)
from builder.inputs.read import read_dumps
from builder.parse.extract import extract
from builder.records import Dump, DumpResult, Sighting, article_id_for
from tests.conftest import SAMPLES

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _old_check_dump(result: DumpResult) -> tuple[str, str | None]:
    """check_dump as it was before the generated checks: a row dict per row, each asked
    of validate_row (the predicate, then jsonschema's messages). Status and reason."""
    if result.dump.status == "quarantined":
        return result.dump.status, result.dump.reason
    messages = rows.validate_row("dumps", dump_row(result.dump))
    for s in result.sightings:
        messages += rows.validate_row("sightings", sighting_row(article_id_for(s.title), s))
    if not messages:
        return result.dump.status, result.dump.reason
    more = f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""
    return "quarantined", f"breaks the contract: {messages[0]}{more}"


def _verdict(result: DumpResult) -> tuple[str, str | None]:
    checked = rows.check_dump(result)
    if checked.dump.status == "quarantined" and result.dump.status != "quarantined":
        assert checked.sightings == () and checked.dump.n_sightings == 0
    else:
        assert checked is result  # a dump that passes enters the build unchanged
    return checked.dump.status, checked.dump.reason


@cache
def _sample_results() -> tuple[DumpResult, ...]:
    return tuple(extract(raw) for raw in read_dumps([str(SAMPLES / "dumps")], captured_at=WHEN))


def _parsed() -> DumpResult:
    """A parsed sample dump with several sightings, some with a time, some without."""
    return max(
        (r for r in _sample_results() if r.dump.status == "parsed"), key=lambda r: len(r.sightings)
    )


def _real_results(shared: Path) -> Iterator[DumpResult]:
    specs = [str(SAMPLES / "dumps"), str(shared / "corpus" / "daily8-dev")]
    for raw in read_dumps(specs, captured_at=WHEN):
        yield extract(raw)


# --- valid rows ----------------------------------------------------------------------


def test_valid_rows_of_real_pages_pass_on_the_fast_path(shared_dir: Path) -> None:
    """Every parsed dump of the samples and the dev corpus: the generated checks alone
    say yes (no row dict, no jsonschema), and the old path agrees there is nothing."""
    parsed = 0
    for result in _real_results(shared_dir):
        if result.dump.status != "parsed":
            continue
        parsed += 1
        assert rows.rows_pass(result), result.dump.path
        assert rows.dump_violations(result) == []
        assert rows.check_dump(result) is result
    assert parsed > 40


def test_the_sightings_row_is_the_schema_s_columns_read_from_the_sighting() -> None:
    """sighting_row is generated from the schema's columns: each is the Sighting's
    attribute of that name, but for the article id (given) and has_text."""
    result = _parsed()
    columns = list(loaded_schema("sightings")["properties"])
    for s in result.sightings:
        row = sighting_row("a_0123456789abcdef", s)
        assert list(row) == columns
        computed = {"article_id": "a_0123456789abcdef", "has_text": bool(s.text)}
        assert row == {c: computed[c] if c in computed else getattr(s, c) for c in columns}


# --- broken rows: the same verdict and reason as before -------------------------------

NAIVE = datetime(2025, 6, 30, 9, 0)
PLUS_5 = timezone(timedelta(hours=5))


def _break_sighting(column: str, value: Any) -> Callable[[DumpResult], DumpResult]:
    def broken(result: DumpResult) -> DumpResult:
        first = dataclasses.replace(result.sightings[0], **{column: value})
        return dataclasses.replace(result, sightings=(first, *result.sightings[1:]))

    return broken


def _break_dump(column: str, value: Any) -> Callable[[DumpResult], DumpResult]:
    def broken(result: DumpResult) -> DumpResult:
        return dataclasses.replace(result, dump=dataclasses.replace(result.dump, **{column: value}))

    return broken


def _dump_with(change: Callable[[Dump], None]) -> Callable[[DumpResult], DumpResult]:
    def broken(result: DumpResult) -> DumpResult:
        dump = dataclasses.replace(result.dump)
        change(dump)
        return dataclasses.replace(result, dump=dump)

    return broken


#: (rule broken, how, a word the reason must name). Each kind of rule of the schema
#: on a column the generated checks read; a value of a type the fast path does not
#: tell (a float, a str date) goes to the old path, which decides.
BREAKS: list[tuple[str, Callable[[DumpResult], DumpResult], str]] = [
    ("wrong type: str for integer", _break_sighting("line_end", "3"), "line_end"),
    ("wrong type: bool for the position", _break_sighting("position", True), "position"),
    ("wrong type: bool for integer", _break_sighting("line_start", True), "line_start"),
    ("wrong type: int for string", _break_sighting("dump_id", 7), "dump_id"),
    ("null where not allowed", _break_sighting("dump_id", None), "dump_id"),
    ("pattern", _break_sighting("dump_id", "D_0123456789ABCDEF"), "dump_id"),
    ("minimum, nullable integer", _break_sighting("published_at_uncertainty_s", -5), "minimum"),
    ("minimum, two rules at once", _break_sighting("position", -1), "more"),
    ("minimum", _break_sighting("line_end", 0), "line_end"),
    ("minLength", _break_sighting("title", ""), "title"),
    ("pattern on the title", _break_sighting("title", " \t "), "title"),
    ("naive datetime", _break_sighting("published_at", NAIVE), "published_at"),
    ("date for date-time", _break_sighting("published_at", date(2025, 6, 30)), "published_at"),
    ("dumps: pattern", _break_dump("sha256", "xyz"), "sha256"),
    ("dumps: pattern of the id", _break_dump("dump_id", "d_short"), "dump_id"),
    ("dumps: minimum", _break_dump("size_bytes", -1), "size_bytes"),
    ("dumps: minLength", _break_dump("path", ""), "path"),
    ("dumps: naive datetime", _break_dump("captured_at", NAIVE), "captured_at"),
    ("dumps: wrong type", _break_dump("n_sightings", "5"), "n_sightings"),
    ("dumps: null where not allowed", _break_dump("replaced_bytes", None), "replaced_bytes"),
    (
        "dumps: extra property",
        _dump_with(lambda d: object.__setattr__(d, "extra", 1)),
        "extra",
    ),
]

#: Values the fast path cannot tell: the old path finds them valid, and so does the build.
STILL_VALID: list[tuple[str, Callable[[DumpResult], DumpResult]]] = [
    ("integral float for integer", _break_sighting("line_end", 9.0)),
    ("aware datetime at another offset", _break_dump("captured_at", WHEN.astimezone(PLUS_5))),
    ("str instant for date-time", _break_sighting("published_at", "2025-06-30T09:00:00Z")),
    ("str subclass", _break_sighting("dump_id", type("Id", (str,), {})(_parsed().dump.dump_id))),
]


@pytest.mark.parametrize(("rule", "brake", "word"), BREAKS, ids=[b[0] for b in BREAKS])
def test_a_broken_row_is_quarantined_with_the_same_reason(
    rule: str, brake: Callable[[DumpResult], DumpResult], word: str
) -> None:
    broken = brake(_parsed())
    assert not rows.rows_pass(broken)
    want = _old_check_dump(broken)
    assert want[0] == "quarantined" and want[1] is not None and word in want[1], want
    assert _verdict(broken) == want


def test_a_row_missing_a_column_is_never_passed() -> None:
    """A Dump always holds every field, and the sightings row builder every column it
    can read; should either lack a required column, the fast path says no (and the
    old path names it)."""
    row = dump_row(_parsed().dump)
    assert rows._dumps_pass()(row)
    del row["url"]
    assert not rows._dumps_pass()(row)
    assert rows.validate_row("dumps", row) == ["dumps: 'url' is a required property"]
    columns = list(sighting_reads())
    assert rows._shaped("sightings", columns)
    assert not rows._shaped("sightings", columns[1:])
    assert not rows._shaped("sightings", [*columns, "unexpected"])


def test_a_title_is_remembered_once_it_passed_and_the_memory_stays_bounded() -> None:
    """Each distinct title's own columns are tested once (rows.titles_passed); a title
    that failed is never remembered, and the memory is emptied when full."""
    rows.titles_passed.clear()
    good = _parsed()
    assert rows.check_dump(good) is good
    titles = {s.title for s in good.sightings}
    assert titles <= rows.titles_passed
    for title in (" ", ""):
        broken = _break_sighting("title", title)(good)
        assert _verdict(broken) == _old_check_dump(broken)
        assert _verdict(broken)[0] == "quarantined" and title not in rows.titles_passed
    # A remembered title does not excuse the other columns of a later sighting.
    assert _verdict(_break_sighting("line_end", 0)(good))[0] == "quarantined"
    rows.titles_passed.clear()
    rows.titles_passed.update(f"filler {i}" for i in range(rows._TITLES_KEPT))
    assert rows.check_dump(good) is good
    assert len(rows.titles_passed) <= rows._TITLES_KEPT
    assert "filler 0" not in rows.titles_passed


@pytest.mark.parametrize(("rule", "brake"), STILL_VALID, ids=[b[0] for b in STILL_VALID])
def test_a_value_the_fast_path_cannot_tell_gets_the_old_verdict(
    rule: str, brake: Callable[[DumpResult], DumpResult]
) -> None:
    changed = brake(_parsed())
    assert _old_check_dump(changed) == ("parsed", None)
    assert _verdict(changed) == ("parsed", None)


def test_the_reasons_also_match_jsonschema_itself() -> None:
    """The old path's verdict is jsonschema's, for the breaks above (the rows as JSON)."""
    for _, brake, _ in BREAKS:
        broken = brake(_parsed())
        valid = Draft202012Validator(
            loaded_schema("dumps"), format_checker=Draft202012Validator.FORMAT_CHECKER
        ).is_valid(rows._jsonable(dump_row(broken.dump)))
        for s in broken.sightings:
            row = rows._jsonable(sighting_row(article_id_for(s.title), s))
            valid = valid and rows._validator("sightings").is_valid(row)
        assert not valid


ODD: list[Any] = [
    None, "", " ", "x", 0, -1, 7, True, False, 1.5, 3.0, [], {}, ("a",), NAIVE, WHEN,
    date(2025, 1, 1), "2025-01-01T00:00:00Z", "d_0123456789abcdef", "a_0123456789abcdef",
    "d_0123456789abcdef-0001", "0" * 64, 2**70,
]  # fmt: skip


def _read_columns(table: str) -> list[str]:
    """The columns the generated check of `table` reads (the others are taken by type)."""
    props = loaded_schema(table)["properties"]
    types = (
        {c: d for c, (_, d) in sighting_reads().items()} if table == "sightings" else dump_types()
    )
    return [c for c in props if not rows._takes_all(props[c], types.get(c, Any))]


@settings(max_examples=300, deadline=None)
@given(
    st.data(),
    st.sampled_from(["sightings", "dumps"]),
    st.sampled_from(ODD),
    st.integers(0, 40),
)
def test_any_odd_value_in_a_read_column_gets_the_old_verdict(
    data: st.DataObject, table: str, value: Any, which: int
) -> None:
    result = _parsed()
    fields = {f.name for f in dataclasses.fields(Sighting if table == "sightings" else Dump)}
    columns = [c for c in _read_columns(table) if c in fields and c != "title"]
    column = data.draw(st.sampled_from(columns))
    brake = _break_sighting if table == "sightings" else _break_dump
    changed = brake(column, value)(result)
    if table == "sightings" and which < len(result.sightings):  # another sighting
        s = dataclasses.replace(result.sightings[which], **{column: value})
        sightings = list(result.sightings)
        sightings[which] = s
        changed = dataclasses.replace(result, sightings=tuple(sightings))
    assert _outcome(_verdict, changed) == _outcome(_old_check_dump, changed)


def _outcome(check: Callable[[DumpResult], Any], result: DumpResult) -> Any:
    """A check's answer, or the error it raised: a position that is no int breaks the
    sighting id's own formatting, in the old path as in the new."""
    try:
        return check(result)
    except (TypeError, ValueError) as error:
        return type(error).__name__


# --- the pieces: each column's test, and the columns taken by type -----------------------


def _sure_function(node: dict[str, Any]) -> Callable[[Any], bool]:
    names: dict[str, Any] = {"datetime": datetime}
    sure = rows._sure(node, "_n", names)
    test: Callable[[Any], bool] = generated("sure", ["v"], [f"return bool({sure})"], names)
    return test


SYNTHETIC: list[dict[str, Any]] = [
    {},
    {"type": "string"},
    {"type": ["string", "null"], "pattern": "^[a-c]+$", "minLength": 2},
    {"type": "integer", "minimum": 3},
    {"type": ["number", "null"], "minimum": -1.5},
    {"type": ["string", "null"], "enum": ["x", "y", None]},
    {"type": ["integer", "string"], "enum": [1, 2, "1", True]},
    {"type": "boolean", "enum": [False]},
    {"type": ["string", "null"], "format": "date-time"},
    {"type": "integer", "format": "date-time"},
    {"type": "string", "format": "email"},
    {"type": "string", "maxLength": 3},
    {"type": "object"},
    {"type": "array", "items": {"type": "integer"}},
]


def _all_nodes() -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = list(SYNTHETIC)
    for table in ("articles", "sightings", "dumps"):
        todo = [loaded_schema(table)]
        for node in todo:
            nodes.append(node)
            todo += node.get("properties", {}).values()
            todo += [node["items"]] if "items" in node else []
    return nodes


VALUES = st.one_of(
    st.sampled_from(ODD),
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, width=32),
    st.text("abc \t", max_size=4),
    st.datetimes(timezones=st.none() | st.just(UTC)),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_all_nodes()), VALUES)
def test_a_column_test_never_passes_what_the_predicate_refuses(
    node: dict[str, Any], value: Any
) -> None:
    """Sound: the generated test says yes only when the predicate the old path used
    (itself held to jsonschema by test_rows) says yes. And for the values rows hold
    it is as complete as the predicate on the contract's own nodes, unless an enum
    names a bool, or a str is a date-time (those go to the old path)."""
    accepts, _ = rows._checks(node)
    fast = _sure_function(node)(value)
    assert not fast or accepts(value)
    plain = type(value) in (type(None), bool, int, str) or (
        type(value) is datetime and node.get("format") == "date-time"
    )
    exotic = any(w not in rows._VALUE_KEYWORDS and not rows._annotates(w) for w in node)
    if node in SYNTHETIC or exotic or not plain:
        return
    if type(value) is str and node.get("format") == "date-time":
        return
    assert fast is accepts(value), (node, value)


def _taken_by_type() -> list[tuple[str, str, Any]]:
    taken = []
    for table, types in (
        ("sightings", {c: d for c, (_, d) in sighting_reads().items()}),
        ("dumps", dump_types()),
    ):
        props = loaded_schema(table)["properties"]
        for column, declared in types.items():
            if column in props and rows._takes_all(props[column], declared):
                taken.append((table, column, declared))
    return taken


def test_columns_taken_by_type_are_those_the_schema_cannot_refuse() -> None:
    """No column with a pattern, a minimum, a length or a date-time is taken by its
    type alone; the ones that are have only `type` (and `enum` for a Literal)."""
    taken = _taken_by_type()
    names = {(t, c) for t, c, _ in taken}
    assert ("sightings", "role") in names and ("dumps", "status") in names
    assert ("sightings", "source") in names and ("sightings", "has_text") in names
    for table, column, _ in taken:
        node = loaded_schema(table)["properties"][column]
        assert not {"pattern", "minimum", "minLength", "format"} & set(node), (table, column)
    for table in ("sightings", "dumps"):
        assert {"dump_id", "captured_at", "published_at", "position"} & set(_read_columns(table))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_value_of_a_column_s_declared_type_meets_its_schema(data: st.DataObject) -> None:
    """What lets a column go unread: any value of its declared type is valid JSON
    Schema for its node (jsonschema itself, on the value as JSON)."""
    table, column, declared = data.draw(st.sampled_from(_taken_by_type()))
    value = data.draw(st.from_type(declared))
    node = loaded_schema(table)["properties"][column]
    validator = Draft202012Validator(node, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert validator.is_valid(rows._jsonable(value)), (table, column, value)


def test_a_record_type_the_schema_could_refuse_is_read() -> None:
    """An int, a datetime, a str against a pattern: read and tested, never taken."""
    node = loaded_schema("sightings")["properties"]
    assert not rows._takes_all(node["position"], int)
    assert not rows._takes_all(node["published_at"], datetime | None)
    assert not rows._takes_all(node["dump_id"], str)
    assert not rows._takes_all(node["role"], str)  # a str is not the enum's values
    assert not rows._takes_all(node["source"], int | None)
    assert rows._takes_all(node["source"], str | None)


def test_sightings_and_dumps_records_still_declare_what_the_checks_read() -> None:
    """The declared types come from the records: a Sighting field or property per
    column (sighting_id is a property), a Dump field per dumps column."""
    reads = sighting_reads()
    assert reads["sighting_id"] == ("s.sighting_id", str)
    assert reads["has_text"] == ("bool(s.text)", bool)
    assert set(dump_types()) == set(loaded_schema("dumps")["properties"])
    assert {f.name for f in dataclasses.fields(Sighting)} >= {
        c for c, (read, _) in reads.items() if read == f"s.{c}" and c != "sighting_id"
    }


def test_a_column_computed_from_the_article_id_gets_it_in_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Titles seen again skip their article id; a column whose expression uses the id
    makes the generated loop compute it again (else that column could not be read)."""
    title_reads, others = rows._title_reads()
    declared = others["dump_id"][1]
    others = {**others, "dump_id": ("article_id.replace('a_', 'd_', 1)", declared)}
    monkeypatch.setattr(rows, "_title_reads", lambda: (title_reads, others))
    rows._sightings_pass.cache_clear()
    try:
        result = _parsed()
        assert rows._sightings_pass()(result.sightings)
        upper = dataclasses.replace(result.sightings[0], title=result.sightings[0].title.upper())
        assert rows._sightings_pass()((upper,))
    finally:
        rows._sightings_pass.cache_clear()
