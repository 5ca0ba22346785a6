"""The report reads only the columns it counts, and counts what the full tables give."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.release.diff import read_release
from builder.release.versions import latest_version
from builder.report import read
from builder.report.read import COLUMNS, report_tables
from builder.report.stats import release_stats


def _release(dataset: Path) -> Path:
    found = latest_version(dataset)
    assert found is not None
    return dataset / "versions" / found


def test_the_report_reads_lengths_not_texts_and_counts_the_same(samples_release: Path) -> None:
    release = _release(samples_release)
    full = read_release(release)
    projected, examples = report_tables(release)
    articles = projected["articles"]
    assert "text" not in articles.column_names and "text_chars" in articles.column_names
    assert set(projected["sightings"].column_names) == set(COLUMNS["sightings"])
    assert set(projected["dumps"].column_names) == set(COLUMNS["dumps"])
    for name, table in projected.items():
        assert table.num_rows == full[name].num_rows
        assert table.nbytes < full[name].nbytes
    lengths = [None if t is None else len(t) for t in full["articles"].column("text").to_pylist()]
    assert articles.column("text_chars").to_pylist() == lengths
    # The same numbers as from every column, examples' texts included.
    assert 0 < len(examples) <= 5 and all(examples.values())
    texts = release_stats(projected, lambda _: examples)
    assert texts == release_stats(full)
    assert any(e.text_preview for e in texts.examples)


def test_reading_a_batch_at_a_time_gives_what_read_table_gives(
    samples_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values, types, nullability and the flat names of nested columns, over batches
    smaller than a file (so a table is joined from several)."""
    monkeypatch.setattr(read, "READ_BATCH", 3)
    release = _release(samples_release)
    for name, columns in COLUMNS.items():
        paths = read._files(release, None, name)
        expected = pq.read_table(paths, columns=list(columns), use_threads=False)
        got = read._read(paths, columns)
        assert got.schema.equals(expected.schema), name
        assert got.equals(expected), name
