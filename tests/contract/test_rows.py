"""The compiled row predicate answers exactly as jsonschema does on the same contract."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import pytest

from builder import contract
from builder.contract import rows
from builder.contract.schema import loaded_schema
from builder.contract.tables import sighting_row
from builder.inputs.read import read_dumps
from builder.parse.extract import extract
from builder.records import article_id_for
from tests.conftest import SAMPLES

WHEN = datetime(2025, 7, 1, tzinfo=UTC)
ODD_VALUES: list[Any] = [
    None, "", " ", "x", 0, -1, 7, True, 1.5, [], {}, ("a",),
    datetime(2025, 1, 1), datetime(2025, 1, 1, tzinfo=UTC), date(2025, 1, 1),
    "2025-01-01", "2025-01-01T00:00:00Z", "parsed", "main", "listing",
    "d_0123456789abcdef", "a_0123456789abcdef", "d_0123456789abcdef-0001",
]  # fmt: skip


def _rows() -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    for raw in read_dumps([str(SAMPLES / "dumps")], captured_at=WHEN):
        result = extract(raw)
        rows.append(("dumps", asdict(result.dump)))
        for s in result.sightings:
            rows.append(("sightings", sighting_row(article_id_for(s.title), s)))
    return rows


def _jsonschema_says(table: str, row: dict[str, Any]) -> bool:
    return bool(rows._validator(table).is_valid(rows._jsonable(row)))


def test_fast_predicate_agrees_with_jsonschema_on_mutated_rows() -> None:
    rng = random.Random(0)
    rows = _rows()
    assert rows
    checked = invalid = 0
    for table, row in rows:
        assert contract.row_is_valid(table, row) is True
        for _ in range(40):
            mutated = dict(row)
            key = rng.choice([*mutated, "unexpected"])
            if rng.random() < 0.1:
                mutated.pop(key, None)
            else:
                mutated[key] = rng.choice(ODD_VALUES)
            want = _jsonschema_says(table, mutated)
            assert contract.row_is_valid(table, mutated) is want, (table, key, mutated.get(key))
            checked += 1
            invalid += not want
    assert invalid > checked // 4  # the mutations really do break rows


def test_validate_row_messages_still_come_from_jsonschema() -> None:
    table, row = next(r for r in _rows() if r[0] == "dumps")
    row = {**row, "status": "skipped"}
    messages = contract.validate_row(table, row)
    assert len(messages) == 1 and "dumps.status" in messages[0] and "skipped" in messages[0]


class _Text(str):
    """A str subclass: the checks by exact type leave it to the generic predicate."""


@pytest.mark.parametrize("table", ["articles", "sightings", "dumps"])
def test_checks_by_exact_type_answer_as_the_generic_predicate(table: str) -> None:
    """Every property of every table, every odd value: the check picked by the value's
    type gives the generic predicate's answer (which the test above holds to jsonschema)."""
    extra: list[Any] = [False, 2**70, -0.0, 3.0, _Text("main"), "related", "quarantined"]
    nodes = [loaded_schema(table)]
    for node in nodes:  # every node, nested ones (provenance, its repairs) included
        nodes += node.get("properties", {}).values()
        nodes += [node["items"]] if "items" in node else []
    assert len(nodes) > 30 or table != "articles"
    for node in nodes:
        accepts, _ = rows._checks(node)
        fast = rows._compile(node)
        for value in [*ODD_VALUES, *extra]:
            assert fast(value) is accepts(value), (node, value)


def test_jsonschema_is_imported_only_when_a_row_fails() -> None:
    """Its import was a tenth of every start; the predicate alone answers valid rows."""
    script = f"""
import sys
from datetime import datetime, UTC
import builder.cli
from builder.contract.rows import check_dump
from builder.inputs.read import read_dumps
from builder.parse.extract import extract
raws = read_dumps([{str(SAMPLES / "dumps")!r}], captured_at=datetime.now(UTC))
results = [extract(r) for r in raws]
assert all(check_dump(r) is r for r in results)
assert "jsonschema" not in sys.modules, "imported before any row failed"
from builder import contract
assert contract.validate_row("dumps", {{"status": "skipped"}})
assert "jsonschema" in sys.modules
"""
    subprocess.run([sys.executable, "-c", script], check=True)
