"""Parquet writer settings: the zstd level is pinned and rebuilds stay byte-identical;
a release written at another level holds the same rows in other bytes, which the next
build publishes as a PATCH (same inputs, only the files differ)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder import contract
from builder.build import build
from builder.release.diff import read_release
from builder.release.parquet import PARQUET_SETTINGS
from builder.release.store import version_paths
from tests.releasing import EPOCH, tree_hashes

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"
WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def test_zstd_level_is_the_measured_one() -> None:
    """Level 3: as small as level 9 within ~1% and several times faster to write
    (benchmarks/zstd_levels.py, benchmarks/RESULTS.md)."""
    assert PARQUET_SETTINGS["compression"] == "zstd"
    assert PARQUET_SETTINGS["compression_level"] == 3


def test_long_free_text_has_no_statistics_and_every_other_column_has(tmp_path: Path) -> None:
    """Min/max of article texts would repeat texts in every footer and page index."""
    report = build([str(SAMPLES)], tmp_path / "ds", captured_at=WHEN, workers=1)
    skipped = set(PARQUET_SETTINGS["no_statistics_for"])
    assert report.path is not None
    for name in ("articles", "sightings"):
        (path,) = version_paths(report.path, name)
        metadata = pq.ParquetFile(path).metadata
        group = metadata.row_group(0)
        for i in range(group.num_columns):
            column = group.column(i)
            top = column.path_in_schema.split(".", 1)[0]
            assert column.is_stats_set == (top not in skipped), (name, column.path_in_schema)
        paths = {group.column(i).path_in_schema for i in range(group.num_columns)}
        assert "title" in paths and (name != "articles" or "text" in paths)


def _parquet_bytes(dataset: Path, version: str) -> dict[str, list[bytes]]:
    release = dataset / "versions" / version
    return {
        name: [path.read_bytes() for path in version_paths(release, name)]
        for name in contract.TABLES
    }


def test_another_level_is_a_patch_with_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = tmp_path / "ds"
    with monkeypatch.context() as older:  # as a builder writing at level 9 did
        older.setitem(PARQUET_SETTINGS, "compression_level", 9)
        first = build([str(SAMPLES)], dataset, captured_at=WHEN, workers=1)
    assert first.version == "1.0.0"
    again = build([str(SAMPLES)], dataset, captured_at=WHEN, workers=1)
    assert again.version == "1.0.1" and again.bump_reason is not None
    assert "only the files' bytes differ" in again.bump_reason
    assert all(not d.any for d in again.diff.values())
    old, new = read_release(dataset / "versions" / "1.0.0"), read_release(again.path)  # type: ignore[arg-type]
    for name in contract.TABLES:
        assert new[name].equals(old[name]), name
    before, after = _parquet_bytes(dataset, "1.0.0"), _parquet_bytes(dataset, "1.0.1")
    assert all(before[name] != after[name] for name in contract.TABLES)
    # The same settings again: nothing to publish.
    assert not build([str(SAMPLES)], dataset, captured_at=WHEN, workers=1).published


def test_rebuilds_at_the_pinned_level_are_byte_identical(tmp_path: Path) -> None:
    for name in ("a", "b"):
        build([str(SAMPLES)], tmp_path / name, captured_at=WHEN, workers=1, cache=False)
    assert tree_hashes(tmp_path / "a") == tree_hashes(tmp_path / "b")
