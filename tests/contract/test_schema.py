"""The Arrow schema, the card features and row checks all follow schema/*.schema.json."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from builder import contract
from tests.rows import example_rows, example_tables

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _file(table: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMA_DIR / f"{table}.schema.json").read_text())
    return data


@pytest.mark.parametrize("table", contract.TABLES)
def test_columns_follow_the_json_property_order(table: str) -> None:
    assert contract.arrow_schema(table).names == list(_file(table)["properties"])


@pytest.mark.parametrize("table", contract.TABLES)
def test_required_non_null_columns_are_not_nullable(table: str) -> None:
    schema = _file(table)
    for field in contract.arrow_schema(table):
        declared = schema["properties"][field.name]["type"]
        assert field.nullable == ("null" in declared), field.name


def test_the_installed_package_reads_the_top_level_schema_files() -> None:
    for table in contract.TABLES:
        assert contract.json_schema(table) == _file(table)


def test_contract_version_comes_from_every_id() -> None:
    for table in contract.TABLES:
        assert _file(table)["$id"] == f"urn:builder:contract:{contract.CONTRACT_VERSION}:{table}"


def test_json_schema_hands_out_copies() -> None:
    contract.json_schema("articles")["properties"].clear()
    assert "article_id" in contract.json_schema("articles")["properties"]


def test_types_of_articles() -> None:
    schema = contract.arrow_schema("articles")
    assert schema.field("published_at").type == TIMESTAMP
    assert schema.field("first_seen_at").type == TIMESTAMP
    assert "n_sightings" not in schema.names  # contract 3: counted from sightings
    assert contract.arrow_schema("dumps").field("n_sightings").type == pa.int32()  # x-arrow
    assert schema.field("published_at_uncertainty_s").type == pa.int64()
    assert schema.field("text_is_teaser").type == pa.bool_()
    assert schema.field("text").type == pa.string() and schema.field("text").nullable

    provenance = schema.field("provenance")
    assert pa.types.is_struct(provenance.type) and not provenance.nullable
    fields = {f.name: f for f in provenance.type}
    assert list(fields) == list(_file("articles")["properties"]["provenance"]["properties"])
    assert fields["captured_at"].type == TIMESTAMP and not fields["captured_at"].nullable
    assert fields["position"].type == pa.int32()
    assert fields["text_byte_start"].type == pa.int64() and fields["text_byte_start"].nullable

    repairs = fields["repairs"].type
    assert pa.types.is_list(repairs) and not fields["repairs"].nullable
    item = repairs.value_field
    assert pa.types.is_struct(item.type) and not item.nullable
    assert [(f.name, f.type, f.nullable) for f in item.type] == [
        ("kind", pa.string(), False),
        ("line", pa.int32(), False),
        ("detail", pa.string(), False),
    ]


def test_types_of_sightings_and_dumps() -> None:
    sightings = contract.arrow_schema("sightings")
    assert sightings.field("position").type == pa.int32()
    assert sightings.field("published_at").type == TIMESTAMP
    assert sightings.field("published_at").nullable
    dumps = contract.arrow_schema("dumps")
    assert dumps.field("size_bytes").type == pa.int64()
    assert dumps.field("captured_at").type == TIMESTAMP
    assert not dumps.field("captured_at").nullable
    assert dumps.field("page_kind").nullable and not dumps.field("status").nullable


@pytest.mark.parametrize("table", contract.TABLES)
def test_card_features_are_derived_from_the_arrow_schema(table: str) -> None:
    features = contract.features(table)
    assert list(features) == contract.arrow_schema(table).names
    assert features.arrow_schema.names == contract.arrow_schema(table).names


def test_to_arrow_round_trips_example_rows() -> None:
    rows = example_rows()
    tables = example_tables()
    assert {name: t.num_rows for name, t in tables.items()} == {
        "articles": 3,
        "sightings": 4,
        "dumps": 3,
    }
    for name, table in tables.items():
        assert table.schema == contract.arrow_schema(name)
        columns = contract.arrow_schema(name).names
        expected = [_plain({key: row[key] for key in columns}) for row in rows[name]]
        assert table.to_pylist() == expected, name


def _plain(value: Any) -> Any:
    """Arrow gives lists back where the pipeline used tuples."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def test_to_arrow_stores_instants_in_utc() -> None:
    dumps = example_tables()["dumps"].to_pylist()
    captured = dumps[1]["captured_at"]  # given as 11:05:12.25+01:00
    assert captured.utcoffset().total_seconds() == 0
    assert captured == datetime(2025, 3, 14, 10, 5, 12, 250_000, tzinfo=UTC)


def test_to_arrow_drops_extra_keys() -> None:
    rows = example_rows()["sightings"]
    assert "text" in rows[0]  # asdict(Sighting) carries the text, sightings do not
    assert "text" not in example_tables()["sightings"].column_names


def test_missing_column_is_named() -> None:
    rows = example_rows()["dumps"]
    del rows[2]["status"]
    with pytest.raises(ValueError, match=r"dumps\[2\].*status"):
        contract.to_arrow("dumps", rows)


def test_missing_nested_column_is_named() -> None:
    rows = example_rows()["articles"]
    del rows[0]["provenance"]["repairs"][1]["line"]
    with pytest.raises(ValueError, match=r"articles\[0\]\.provenance\.repairs\[1\].*line"):
        contract.to_arrow("articles", rows)


def test_null_in_a_required_column_is_refused() -> None:
    rows = example_rows()["articles"]
    rows[1]["first_seen_at"] = None
    with pytest.raises(ValueError, match=r"articles\[1\]\.first_seen_at is null"):
        contract.to_arrow("articles", rows)


def test_naive_datetime_is_refused() -> None:
    rows = example_rows()["sightings"]
    rows[0]["published_at"] = datetime(2025, 3, 14, 8, 0)
    with pytest.raises(ValueError, match="naive"):
        contract.to_arrow("sightings", rows)


def test_unknown_table_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown table"):
        contract.arrow_schema("pages")


def test_content_hash_is_stable() -> None:
    first = {name: contract.content_hash(t) for name, t in example_tables().items()}
    second = {name: contract.content_hash(t) for name, t in example_tables().items()}
    assert first == second
    assert len(set(first.values())) == 3
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in first.values())


def test_content_hash_ignores_schema_metadata_and_chunking() -> None:
    table = example_tables()["sightings"]
    tagged = table.replace_schema_metadata({b"pandas": b"{}", b"huggingface": b"{}"})
    rechunked = pa.concat_tables([table.slice(0, 1), table.slice(1, 2), table.slice(3)])
    assert rechunked.column(0).num_chunks == 3
    assert contract.content_hash(tagged) == contract.content_hash(table)
    assert contract.content_hash(rechunked) == contract.content_hash(table)


@pytest.mark.parametrize("table", contract.TABLES)
def test_content_hash_is_the_same_through_polars(table: str) -> None:
    """polars hands back large strings, no not-null flags and its own bytes under nulls."""
    original = example_tables()[table]
    via_polars = pl.from_arrow(original).to_arrow()
    assert isinstance(via_polars, pa.Table)
    assert via_polars.schema != original.schema
    assert contract.content_hash(via_polars) == contract.content_hash(original)


def test_content_hash_sees_a_changed_value() -> None:
    rows = example_rows()["articles"]
    before = contract.content_hash(contract.to_arrow("articles", rows))
    rows[2]["title"] += "!"
    assert contract.content_hash(contract.to_arrow("articles", rows)) != before


def _row(table: str, index: int = 0) -> dict[str, Any]:
    row = example_rows()[table][index]
    return {key: row[key] for key in contract.arrow_schema(table).names}


@pytest.mark.parametrize("table", contract.TABLES)
def test_example_rows_are_valid(table: str) -> None:
    for index in range(len(example_rows()[table])):
        assert contract.validate_row(table, _row(table, index)) == []


def test_validate_row_catches_a_bad_enum() -> None:
    row = _row("dumps", 2)
    row["status"] = "skipped"
    [message] = contract.validate_row("dumps", row)
    assert message.startswith("dumps.status:") and "skipped" in message


def test_validate_row_catches_a_bad_nested_enum() -> None:
    row = _row("articles")
    row["provenance"] = copy.deepcopy(row["provenance"])
    row["provenance"]["repairs"][0]["kind"] = "rewrite"
    [message] = contract.validate_row("articles", row)
    assert message.startswith("articles.provenance.repairs[0].kind:")


def test_validate_row_catches_a_bad_date_time() -> None:
    row = _row("sightings")
    row["published_at"] = "14/03/2025 08:00"
    [message] = contract.validate_row("sightings", row)
    assert message.startswith("sightings.published_at:") and "date-time" in message
