"""One contract, four readings: the JSON Schema, the Arrow schema used to write, the
pandera model used to check, and the features of a built release's card. They must
agree column for column and type for type; a change in any one alone must fail here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandera.polars as pa_pl
import polars as pl
import pyarrow as pa
import pytest
import yaml

from builder import contract
from builder.contract import models
from builder.contract.fields import undescribed
from builder.release import croissant
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "dumps"


def _polars_of_arrow(schema: pa.Schema) -> dict[str, pl.DataType]:
    frame = pl.from_arrow(schema.empty_table())
    assert isinstance(frame, pl.DataFrame)
    return dict(frame.schema)


def _json_columns(schema: dict[str, Any]) -> list[str]:
    return list(schema["properties"])


def drift(
    json_schema: dict[str, Any],
    arrow_schema: pa.Schema,
    model: pa_pl.DataFrameSchema,
    card_features: list[dict[str, Any]] | None,
) -> list[str]:
    """Every disagreement between the four definitions of one table, and every field the
    JSON Schema leaves unexplained (the card and croissant.json print its description)."""
    problems: list[str] = []
    problems += [f"{path}: no description in schema/" for path in undescribed("", json_schema)]
    json_cols = _json_columns(json_schema)
    if arrow_schema.names != json_cols:
        problems.append(f"arrow columns {arrow_schema.names} != json {json_cols}")
    if list(model.columns) != json_cols:
        problems.append(f"pandera columns {list(model.columns)} != json {json_cols}")
    arrow_as_polars = _polars_of_arrow(arrow_schema)
    for name, column in model.columns.items():
        if name in arrow_as_polars and column.dtype.type != arrow_as_polars[name]:
            problems.append(f"{name}: pandera {column.dtype.type} != arrow {arrow_as_polars[name]}")
    required = set(json_schema.get("required", ()))
    for field in arrow_schema:
        node = json_schema["properties"].get(field.name)
        if node is None:
            continue
        json_nullable = "null" in (
            node["type"] if isinstance(node["type"], list) else [node["type"]]
        )
        if field.nullable != json_nullable:
            problems.append(
                f"{field.name}: arrow nullable {field.nullable} != json {json_nullable}"
            )
        if field.name not in required:
            problems.append(f"{field.name}: not required in JSON Schema")
        if field.name in model.columns and model.columns[field.name].nullable != json_nullable:
            problems.append(f"{field.name}: pandera nullable != json {json_nullable}")
    if card_features is not None:
        import datasets

        expected = datasets.Features.from_arrow_schema(arrow_schema)._to_yaml_list()
        if card_features != expected:
            names = [f["name"] for f in card_features]
            problems.append(f"card features {names} differ from arrow {arrow_schema.names}")
    return problems


def _card_features(release: Path) -> dict[str, list[dict[str, Any]]]:
    text = (release / "README.md").read_text()
    metadata = yaml.safe_load(text.split("---\n")[1])
    return {info["config_name"]: info["features"] for info in metadata["dataset_info"]}


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("drift") / "ds"
    result = run_cli("make", str(SAMPLES), "--out", str(out), "--captured-at", "2025-07-01", "-q")
    assert result.exit_code == 0, result.output
    return _card_features(out / "versions" / "1.0.0")


@pytest.mark.parametrize("table", contract.TABLES)
def test_the_four_definitions_agree(table: str, card: dict[str, Any]) -> None:
    problems = drift(
        contract.json_schema(table),
        contract.arrow_schema(table),
        models.table_model(table),
        card[table],
    )
    assert problems == []


@pytest.mark.parametrize("table", contract.TABLES)
def test_croissant_fields_are_the_contract_columns(table: str) -> None:
    document = croissant.metadata("1.0.0", {}, date_published="2025-07-01T00:00:00Z")
    (record_set,) = [r for r in document["recordSet"] if r["@id"] == table]
    assert [f["name"] for f in record_set["field"]] == contract.arrow_schema(table).names


def _with_extra_json_column(table: str) -> dict[str, Any]:
    schema = contract.json_schema(table)
    schema["properties"]["added_here_only"] = {"type": "string"}
    schema["required"].append("added_here_only")
    return schema


def test_a_column_added_to_the_json_schema_alone_is_detected(card: dict[str, Any]) -> None:
    changed = _with_extra_json_column("articles")
    problems = drift(
        changed, contract.arrow_schema("articles"), models.table_model("articles"), card["articles"]
    )
    assert any("arrow columns" in p for p in problems)
    assert any("pandera columns" in p for p in problems)


def test_a_column_added_to_the_arrow_schema_alone_is_detected(card: dict[str, Any]) -> None:
    arrow = contract.arrow_schema("sightings").append(pa.field("added_here_only", pa.string()))
    problems = drift(
        contract.json_schema("sightings"), arrow, models.table_model("sightings"), card["sightings"]
    )
    assert any("arrow columns" in p for p in problems)
    assert any("card features" in p for p in problems)


def test_a_column_added_to_the_pandera_model_alone_is_detected(card: dict[str, Any]) -> None:
    model = models.table_model("dumps").add_columns({"added_here_only": pa_pl.Column(pl.String)})
    problems = drift(
        contract.json_schema("dumps"), contract.arrow_schema("dumps"), model, card["dumps"]
    )
    assert any("pandera columns" in p for p in problems)


def test_a_column_added_to_the_card_alone_is_detected(card: dict[str, Any]) -> None:
    features = [*copy.deepcopy(card["articles"]), {"name": "added_here_only", "dtype": "string"}]
    problems = drift(
        contract.json_schema("articles"),
        contract.arrow_schema("articles"),
        models.table_model("articles"),
        features,
    )
    assert any("card features" in p for p in problems)


def test_a_type_changed_in_one_place_is_detected(card: dict[str, Any]) -> None:
    changed = contract.json_schema("dumps")
    changed["properties"]["n_sightings"]["x-arrow"] = "int64"  # JSON + pandera, not Arrow
    model = models.model_from_json_schema(changed)
    problems = drift(changed, contract.arrow_schema("dumps"), model, card["dumps"])
    assert any(p.startswith("n_sightings: pandera") for p in problems)


def test_nullability_changed_in_one_place_is_detected(card: dict[str, Any]) -> None:
    changed = contract.json_schema("sightings")
    changed["properties"]["title"]["type"] = ["string", "null"]
    problems = drift(
        changed,
        contract.arrow_schema("sightings"),
        models.table_model("sightings"),
        card["sightings"],
    )
    assert any("title: arrow nullable" in p for p in problems)


def test_a_field_without_a_description_is_detected(card: dict[str, Any]) -> None:
    changed = contract.json_schema("articles")
    del changed["properties"]["provenance"]["properties"]["line_end"]["description"]
    changed["properties"]["title"]["description"] = "  "
    problems = drift(
        changed, contract.arrow_schema("articles"), models.table_model("articles"), card["articles"]
    )
    assert problems == [
        "title: no description in schema/",
        "provenance.line_end: no description in schema/",
    ]


def test_models_are_generated_from_the_schema_files_not_copied() -> None:
    """A changed schema file gives a changed model: the models hold no second copy."""
    changed = _with_extra_json_column("dumps")
    changed["properties"]["status"]["enum"].append("retired")
    model = models.model_from_json_schema(changed)
    assert "added_here_only" in model.columns
    status_checks = model.columns["status"].checks
    assert any("retired" in str(check.statistics) for check in status_checks), status_checks


def test_manifest_schema_carries_the_contract_version() -> None:
    manifest_schema = json.loads((ROOT / "schema" / "manifest.schema.json").read_text())
    assert manifest_schema["$id"] == f"urn:builder:contract:{contract.CONTRACT_VERSION}:manifest"


def test_sources_is_a_list_of_strings_in_every_reading(card: dict[str, Any]) -> None:
    """Contract 2.0.0 added `articles.sources` (a list of plain values, the first in the
    contract): each reading must type it the same way, right after `source`."""
    assert int(contract.CONTRACT_VERSION.split(".")[0]) >= 2
    node = contract.json_schema("articles")["properties"]["sources"]
    assert node["type"] == "array" and node["items"]["type"] == "string"
    assert node["description"]
    names = contract.arrow_schema("articles").names
    assert names[names.index("source") + 1] == "sources"
    field = contract.arrow_schema("articles").field("sources")
    assert field.type == pa.list_(pa.field("item", pa.string(), nullable=False))
    assert not field.nullable
    assert models.table_model("articles").columns["sources"].dtype.type == pl.List(pl.String)
    (feature,) = [f for f in card["articles"] if f["name"] == "sources"]
    assert feature == {"name": "sources", "list": "string"}
    (record_set,) = [
        r
        for r in croissant.metadata("1.0.0", {}, date_published="2025-07-01T00:00:00Z")["recordSet"]
        if r["@id"] == "articles"
    ]
    (cr_field,) = [f for f in record_set["field"] if f["name"] == "sources"]
    assert cr_field["isArray"] is True and cr_field["dataType"] == "sc:Text"


def test_a_list_item_type_changed_in_one_place_is_detected(card: dict[str, Any]) -> None:
    changed = contract.json_schema("articles")
    changed["properties"]["sources"]["items"] = {"type": "integer"}
    model = models.model_from_json_schema(changed)
    problems = drift(changed, contract.arrow_schema("articles"), model, card["articles"])
    assert any(p.startswith("sources: pandera") for p in problems)


def test_articles_carry_no_sightings_count_in_any_reading(card: dict[str, Any]) -> None:
    """Contract 3.0.0 removed `articles.n_sightings` (a count that changed at every
    sighting, so every append rewrote the stored files of every article it saw again):
    it is gone from every reading, and the per-dump count stays."""
    assert int(contract.CONTRACT_VERSION.split(".")[0]) >= 3
    assert "n_sightings" not in contract.json_schema("articles")["properties"]
    assert "n_sightings" not in contract.json_schema("articles")["required"]
    assert "n_sightings" not in contract.arrow_schema("articles").names
    assert "n_sightings" not in models.table_model("articles").columns
    assert "n_sightings" not in [f["name"] for f in card["articles"]]
    (record_set,) = [
        r
        for r in croissant.metadata("1.0.0", {}, date_published="2025-07-01T00:00:00Z")["recordSet"]
        if r["@id"] == "articles"
    ]
    assert "n_sightings" not in [f["name"] for f in record_set["field"]]
    assert "n_sightings" in contract.arrow_schema("dumps").names
    described = contract.json_schema("sightings")["properties"]["article_id"]["description"]
    assert "number of rows" in described  # where the count went
