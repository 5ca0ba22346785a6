"""Article ids never change: a publisher seen later is added to the same row.

A layout-B page shows its main article without a publisher; a later day's card names
it. The id (a hash of the normalised title) must stay what it was, the publisher must
land in `source` and `sources`, and the incremental build must give the tables a full
build of the same inputs gives.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from builder.records import article_id_for
from builder.release.store import version_paths
from tests.pages import day
from tests.releasing import cli, make

MARKET_1 = "Market story number 1"


def _articles(release: Path) -> dict[str, dict[str, object]]:
    rows = pq.read_table(version_paths(release, "articles")).to_pylist()
    return {str(row["title"]): row for row in rows}


def test_a_layout_b_main_keeps_its_id_when_its_publisher_appears_later(tmp_path: Path) -> None:
    inputs, out = tmp_path / "in", tmp_path / "ds"
    day(inputs, 1)
    assert make(str(inputs), "--out", str(out))["version"] == "1.0.0"
    first = _articles(out / "versions" / "1.0.0")[MARKET_1]
    assert (first["role"], first["source"], first["sources"]) == ("main", None, [])
    assert first["article_id"] == article_id_for(MARKET_1)

    day(inputs, 2)  # its cards name the publisher of yesterday's market story
    report = make(str(inputs), "--out", str(out))
    assert report["version"] == "1.1.0", report
    assert report["incremental"] is not None  # the everyday path, not a full rebuild
    later = _articles(out / "versions" / "1.1.0")[MARKET_1]
    assert later["article_id"] == first["article_id"]
    assert (later["source"], later["sources"]) == ("Coastal Post", ["Coastal Post"])
    assert later["text"] == first["text"]
    sightings = pq.read_table(version_paths(out / "versions" / "1.1.0", "sightings")).to_pylist()
    assert sum(s["article_id"] == first["article_id"] for s in sightings) == 3
    shown = {s["source"] for s in sightings if s["article_id"] == first["article_id"]}
    assert shown == {None, "Coastal Post"}  # each sighting keeps what its page showed

    done = cli("diff", f"{out}@1.0.0", f"{out}@1.1.0", "--format", "json")
    diff = json.loads(done.stdout)
    assert diff["articles"]["removed"] == 0 and diff["sightings"]["removed"] == 0
    assert first["article_id"] in {e["key"] for e in diff["articles"]["examples"]["changed"]}


def test_incremental_and_full_builds_give_the_same_tables(tmp_path: Path) -> None:
    inputs, out, full = tmp_path / "in", tmp_path / "ds", tmp_path / "full"
    day(inputs, 1)
    make(str(inputs), "--out", str(out))
    for n in (2, 3):
        day(inputs, n)
        assert make(str(inputs), "--out", str(out))["incremental"] is not None
    make(str(inputs), "--out", str(full), "--no-cache")

    def hashes(release: Path) -> dict[str, str]:
        manifest = json.loads((release / "manifest.json").read_text())
        return dict(manifest["content_hash"])

    assert hashes(out / "versions" / "1.2.0") == hashes(full / "versions" / "1.0.0")
    shutil.rmtree(full)
