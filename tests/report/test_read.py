"""The report reads only the columns it counts, and counts what the full tables give."""

from __future__ import annotations

from pathlib import Path

from builder.release.diff import read_release
from builder.release.versions import latest_version
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
