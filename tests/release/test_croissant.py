"""croissant.json: generated from the contract, deterministic, hashed, readable offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder import contract
from builder.release import croissant
from builder.release.publish import publish_release
from tests.rows import example_tables

EPOCH = "1751371200"


def _publish(target: Path) -> Path:
    release = publish_release(target, example_tables(), version="1.0.0", settings={}, inputs=[])
    return release.path


def test_croissant_is_deterministic_and_listed_with_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    one, two = _publish(tmp_path / "a"), _publish(tmp_path / "b" / "other")
    assert (one / "croissant.json").read_bytes() == (two / "croissant.json").read_bytes()
    manifest = json.loads((one / "manifest.json").read_text())
    entry = manifest["files"]["croissant.json"]
    assert entry["size_bytes"] == (one / "croissant.json").stat().st_size
    document = json.loads((one / "croissant.json").read_text())
    assert document["conformsTo"] == croissant.CONFORMS_TO
    assert document["datePublished"] == manifest["build_time"]
    shards = {o["contentUrl"]: o["sha256"] for o in document["distribution"] if "sha256" in o}
    parquet = {
        k.removeprefix("../../"): v["sha256"]
        for k, v in manifest["files"].items()
        if k.endswith(".parquet")
    }
    assert shards == parquet


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


def test_mlcroissant_reads_records_of_every_record_set_offline(tmp_path: Path) -> None:
    release = _publish(tmp_path / "ds")
    manifest = json.loads((release / "manifest.json").read_text())
    assert croissant.check(release, manifest["files"]) == []


def test_a_wrong_hash_in_croissant_is_reported(tmp_path: Path) -> None:
    release = _publish(tmp_path / "ds")
    manifest = json.loads((release / "manifest.json").read_text())
    path = release / "croissant.json"
    document = json.loads(path.read_text())
    first = next(o for o in document["distribution"] if "sha256" in o)
    first["sha256"] = "0" * 64
    path.write_text(json.dumps(document))
    findings = croissant.check(release, manifest["files"], read_records=False)
    assert [f.check for f in findings] == ["sha256 equals the manifest's"]
    assert findings[0].column == first["contentUrl"]
