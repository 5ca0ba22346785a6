"""croissant.json: generated from the contract and the dataset's settings, deterministic,
small, listed in the manifest and readable offline by mlcroissant."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from builder import contract
from builder.contract.fields import node_text
from builder.release import croissant
from builder.release.publish import publish_release
from builder.release.settings import DatasetSettings
from tests.rows import example_tables

EPOCH = "1751371200"
STATED = DatasetSettings(
    name="harbour-news",
    pretty_name="Harbour news",
    description="Articles about ferries and harbours, for testing.",
    license="cc-by-4.0",
    homepage="https://data.example.org/harbour-news",
    citation="@misc{harbour, title={Harbour news}}",
    maintainers=("Ada Lovelace <ada@example.org>", "The harbour desk"),
)


def _publish(target: Path, dataset: DatasetSettings | None = None) -> Path:
    settings = {} if dataset is None else {"dataset": dataset.as_dict()}
    release = publish_release(
        target, example_tables(), version="1.0.0", settings=settings, inputs=[]
    )
    return release.path


def _document(release: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((release / "croissant.json").read_text())
    return loaded


def test_croissant_is_deterministic_and_its_file_sets_are_the_manifest_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    one, two = _publish(tmp_path / "a", STATED), _publish(tmp_path / "b" / "other", STATED)
    assert (one / "croissant.json").read_bytes() == (two / "croissant.json").read_bytes()
    manifest = json.loads((one / "manifest.json").read_text())
    entry = manifest["files"]["croissant.json"]
    assert entry["size_bytes"] == (one / "croissant.json").stat().st_size
    document = _document(one)
    assert document["conformsTo"] == croissant.CONFORMS_TO
    assert document["datePublished"] == manifest["build_time"]
    assert all(item["@type"] == "cr:FileSet" for item in document["distribution"])
    included = {path for item in document["distribution"] for path in item["includes"]}
    parquet = {k.removeprefix("../../") for k in manifest["files"] if k.endswith(".parquet")}
    assert included == parquet
    for item in document["distribution"]:  # each table's set holds that table's files
        table = item["@id"].removesuffix("-parquet")
        assert all(path.startswith(f"data/{table}/") for path in item["includes"])


def test_metadata_comes_from_the_dataset_settings(tmp_path: Path) -> None:
    document = _document(_publish(tmp_path / "ds", STATED))
    assert document["name"] == "harbour-news"
    assert document["alternateName"] == "Harbour news"
    assert document["description"] == "Articles about ferries and harbours, for testing."
    assert document["license"] == "cc-by-4.0"
    assert document["url"] == "https://data.example.org/harbour-news"
    assert document["citeAs"] == "@misc{harbour, title={Harbour news}}"
    assert document["creator"] == [
        {"@type": "sc:Person", "name": "Ada Lovelace", "email": "ada@example.org"},
        {"@type": "sc:Person", "name": "The harbour desk"},
    ]


def test_nothing_is_made_up_when_the_settings_are_silent(tmp_path: Path) -> None:
    """No invented license, URL, citation or creator: unknown is omitted and said."""
    document = _document(_publish(tmp_path / "ds"))
    for key in ("license", "url", "citeAs", "creator"):
        assert key not in document, key
    assert "License: unknown" in document["description"]
    text = (tmp_path / "ds" / "versions" / "1.0.0" / "croissant.json").read_text()
    assert "example.invalid" not in text and "cc-by" not in text.lower()


def _fields(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from _fields(item.get("subField", []))


def _schema_nodes(table: str) -> dict[str, Mapping[str, Any]]:
    """Every schema node by the Croissant field id it becomes."""
    found: dict[str, Mapping[str, Any]] = {}

    def walk(properties: Mapping[str, Any], prefix: str) -> None:
        for name, node in properties.items():
            found[f"{prefix}/{name}"] = node
            inner = node.get("properties") or node.get("items", {}).get("properties")
            if inner:
                walk(inner, f"{prefix}/{name}")

    walk(contract.json_schema(table)["properties"], table)
    return found


@pytest.mark.parametrize("table", contract.TABLES)
def test_every_field_description_is_the_schema_text(table: str) -> None:
    document = croissant.metadata("1.0.0", {}, date_published="2025-07-01T00:00:00Z")
    (record_set,) = [r for r in document["recordSet"] if r["@id"] == table]
    nodes = _schema_nodes(table)
    fields = list(_fields(record_set["field"]))
    assert [f["@id"] for f in fields] == list(nodes)
    for field in fields:
        assert field["description"] != field["name"], field["@id"]
        assert field["description"] == node_text(nodes[field["@id"]])


def test_provenance_fields_are_described_with_nested_sub_fields() -> None:
    document = croissant.metadata("1.0.0", {}, date_published="2025-07-01T00:00:00Z")
    articles = next(r for r in document["recordSet"] if r["@id"] == "articles")
    provenance = next(f for f in articles["field"] if f["name"] == "provenance")
    names = [f["name"] for f in provenance["subField"]]
    expected = contract.arrow_schema("articles").field("provenance").type
    assert names == [field.name for field in expected]
    repairs = next(f for f in provenance["subField"] if f["name"] == "repairs")
    assert repairs["isArray"] is True
    assert [f["name"] for f in repairs["subField"]] == ["kind", "line", "detail"]
    kind = repairs["subField"][0]
    assert "join_lines" in kind["description"]  # enums are described
    assert kind["source"]["transform"] == [{"jsonPath": "repairs"}, {"jsonPath": "kind"}]
    line_end = next(f for f in provenance["subField"] if f["name"] == "line_end")
    assert "1-based" in line_end["description"] and "inclusive" in line_end["description"]


def _store_files(count: int) -> dict[str, dict[str, Any]]:
    """`count` manifest entries shaped like a grown store's (day, shard, hash)."""
    files: dict[str, dict[str, Any]] = {}
    for index in range(count):
        table = contract.TABLES[index % 3]
        digest = f"{index:064x}"
        day = f"2025-{1 + index // 28 % 12:02d}-{1 + index % 28:02d}"
        key = f"../../data/{table}/{day}-{index % 4:05d}-{digest[:16]}.parquet"
        files[key] = {"sha256": digest, "size_bytes": 1_000_000 + index, "rows": 5000}
    return files


def test_croissant_stays_small_as_the_store_grows() -> None:
    """Each stored file costs one line of its table's FileSet (it was a FileObject with
    its hash and size: ~450 bytes, 77 KB at 125 files). What stays is the fixed part:
    the 64 fields with their schema descriptions (~22 KB)."""
    sizes = {
        count: len(
            croissant.render(
                "1.4.0",
                _store_files(count),
                date_published="2025-07-01T00:00:00Z",
                dataset=STATED,
            ).encode("utf-8")
        )
        for count in (0, 125, 250)
    }
    per_file = (sizes[250] - sizes[125]) / 125
    assert per_file < 65, per_file
    assert sizes[125] < 30_000, sizes
    assert sizes[0] < 23_000, sizes


def test_croissant_repeats_no_hash_of_the_manifest() -> None:
    text = croissant.render(
        "1.4.0", _store_files(30), date_published="2025-07-01T00:00:00Z", dataset=STATED
    )
    assert '"sha256":' not in text and '"contentSize":' not in text  # manifest.json has them
    assert "cr:FileObject" not in text


def test_mlcroissant_reads_records_of_every_record_set_offline(tmp_path: Path) -> None:
    release = _publish(tmp_path / "ds", STATED)
    manifest = json.loads((release / "manifest.json").read_text())
    assert croissant.check(release, manifest["files"]) == []


def test_mlcroissant_reads_a_release_without_settings(tmp_path: Path) -> None:
    release = _publish(tmp_path / "ds")
    manifest = json.loads((release / "manifest.json").read_text())
    assert croissant.check(release, manifest["files"]) == []


def test_a_file_missing_from_a_file_set_is_reported(tmp_path: Path) -> None:
    release = _publish(tmp_path / "ds")
    manifest = json.loads((release / "manifest.json").read_text())
    path = release / "croissant.json"
    document = json.loads(path.read_text())
    articles = next(o for o in document["distribution"] if o["@id"] == "articles-parquet")
    dropped = articles["includes"].pop()
    articles["includes"].append("data/articles/not-listed.parquet")
    path.write_text(json.dumps(document))
    findings = croissant.check(release, manifest["files"], read_records=False)
    assert [(f.column, f.check) for f in findings] == [
        ("articles", "FileSet includes every listed file"),
        ("articles", "FileSet includes only listed files"),
    ]
    assert findings[0].examples == (dropped,)
