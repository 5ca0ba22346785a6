"""The report reads only the columns it counts, and counts what the full tables give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder import contract
from builder.engines.partitioned import ipc_bytes
from builder.engines.spill import SpilledTable, held, spill
from builder.release.diff import read_release
from builder.release.versions import latest_version
from builder.report import read, write_version_files
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


def _spilled_articles(articles: pa.Table, folder: Path) -> SpilledTable:
    """`articles` as a build spills them: IPC stream files, here in two."""
    articles = articles.cast(contract.arrow_schema("articles"))
    half = articles.num_rows // 2
    files = []
    for index, part in enumerate((articles.slice(0, half), articles.slice(half))):
        path = folder / f"{index:05d}.arrows"
        spill(ipc_bytes(part), path)
        files.append(path)
    return SpilledTable(articles.schema, tuple(files), articles.num_rows)


def test_texts_counted_in_the_builds_rows_give_what_the_files_give(
    samples_release: Path, tmp_path: Path
) -> None:
    """A build hands the report its spilled articles, in key order, not the files'
    order: the lengths land on the files' rows all the same, and the examples' texts
    are the same."""
    release = _release(samples_release)
    articles = read_release(release)["articles"]
    backwards = articles.take(pa.array(range(articles.num_rows - 1, -1, -1)))
    spilled = _spilled_articles(backwards, tmp_path)
    tables, examples = report_tables(release)
    held_tables, held_examples = report_tables(release, articles=spilled)
    assert held_tables["articles"].equals(tables["articles"])
    assert held_examples == examples and examples


def test_rows_that_are_not_the_files_are_not_counted(samples_release: Path, tmp_path: Path) -> None:
    """Spilled rows missing an article of the files (never so in a build): the texts
    are counted in the files, as without them."""
    release = _release(samples_release)
    articles = read_release(release)["articles"]
    spilled = _spilled_articles(articles.slice(1), tmp_path)
    order = articles.column("article_id").combine_chunks()
    assert read._held_texts(spilled, order, pa.array([], pa.string())) is None
    assert report_tables(release, articles=spilled) == report_tables(release)


def test_the_version_files_are_the_same_bytes_with_the_builds_rows(
    samples_release: Path, tmp_path: Path
) -> None:
    release = _release(samples_release)
    spilled = _spilled_articles(read_release(release)["articles"], tmp_path)
    written = {}
    for kind, rows in (("files", None), ("held", spilled)):
        folder = tmp_path / kind
        shutil.copytree(release, folder)
        names = write_version_files(folder, samples_release, placed_at=release, articles=rows)
        written[kind] = {name: (folder / name).read_bytes() for name in names}
    assert written["held"] == written["files"]
    assert written["files"]["report.html"] == (release / "report.html").read_bytes()


def _backwards(table: pa.Table) -> pa.Table:
    return table.take(pa.array(range(table.num_rows - 1, -1, -1)))


def _held_release(release: Path, folder: Path) -> dict[str, SpilledTable]:
    """The release's three tables as a build hands them over: in another row order
    than the files' (here backwards), the articles spilled, the rest in memory."""
    full = read_release(release)
    tables: dict[str, SpilledTable] = {
        name: held(_backwards(full[name]).cast(contract.arrow_schema(name)))
        for name in contract.TABLES
    }
    tables["articles"] = _spilled_articles(_backwards(full["articles"]), folder)
    return tables


def test_the_builds_tables_count_what_the_files_give(samples_release: Path, tmp_path: Path) -> None:
    """The report of a build counts the rows it publishes, not the files just written
    from them: the same numbers, examples and texts, whatever the rows' order (a
    release of several days has its files in day order, not the key order)."""
    release = _release(samples_release)
    tables, examples = report_tables(release)
    assert read._held_tables(release, _held_release(release, tmp_path)) is not None
    held_tables, held_examples = report_tables(release, held=_held_release(release, tmp_path))
    assert held_examples == examples and examples
    for name in contract.TABLES:
        assert held_tables[name].num_rows == tables[name].num_rows
        assert held_tables[name].column_names == tables[name].column_names
    assert release_stats(held_tables, lambda _: held_examples) == release_stats(
        tables, lambda _: examples
    )
    written = {}
    for kind, rows in (("files", None), ("held", _held_release(release, tmp_path))):
        folder = tmp_path / kind
        shutil.copytree(release, folder)
        names = write_version_files(folder, samples_release, placed_at=release, held=rows)
        written[kind] = {name: (folder / name).read_bytes() for name in names}
    assert written["held"] == written["files"]


def test_tables_that_are_not_the_release_are_not_counted(
    samples_release: Path, tmp_path: Path
) -> None:
    """Held tables whose rows are not the release's (a row count differs from the
    manifest's; never so in a build): the files are read, as without them."""
    release = _release(samples_release)
    tables = _held_release(release, tmp_path)
    dumps = tables["dumps"].read_all()
    tables["dumps"] = held(dumps.slice(1))
    assert read._held_tables(release, tables) is None
    assert report_tables(release, held=tables) == report_tables(release)
