"""The columns of a release the report counts, and nothing else.

A release's `articles` table is mostly its texts; the report needs their lengths and
the texts of a handful of example rows. Reading every column of every table (as
`release.diff.read_release` does for a diff) held over half a gigabyte at 20,000
dumps. Here each table is read with only the columns the report uses, the texts a
batch at a time and kept as their lengths (`text_chars`), and the examples' texts are
fetched by id once the examples are chosen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.contract import TABLES
from builder.release.diff import read_manifest
from builder.release.store import store_path, table_files

#: The columns the report counts, per table (`provenance.x`: one field of the struct).
COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "articles": (
        "article_id",
        "role",
        "title",
        "text_is_teaser",
        "source",
        "language",
        "published_at",
        "n_sightings",
        "first_seen_at",
        "provenance.dump_path",
        "provenance.line_start",
        "provenance.line_end",
        "provenance.captured_at",
        "provenance.layout",
        "provenance.repairs",
    ),
    "sightings": (
        "sighting_id",
        "article_id",
        "dump_id",
        "title",
        "published_text",
        "published_at",
        "published_at_uncertainty_s",
    ),
    "dumps": (
        "dump_id",
        "captured_at",
        "layout",
        "status",
        "reason",
        "truncated",
        "replaced_bytes",
    ),
}
#: Rows of texts held at a time while their lengths are counted.
TEXT_BATCH: Final = 8_192


def _files(release: Path, placed_at: Path | None, table: str) -> list[Path]:
    """The files of `table` in row order (a version still being staged lists them
    relative to where it will be, `placed_at`)."""
    base = release if placed_at is None else placed_at
    return [store_path(base, key) for key in table_files(read_manifest(release), table)]


def _with_provenance(table: pa.Table) -> pa.Table:
    """The `provenance.x` columns (read flat) as one `provenance` struct again."""
    names = [c.split(".", 1)[1] for c in COLUMNS["articles"] if c.startswith("provenance.")]
    struct = pa.StructArray.from_arrays(
        [table.column(n).combine_chunks() for n in names], names=names
    )
    return table.drop_columns(names).append_column("provenance", struct)


def _text_chars(paths: Sequence[Path]) -> pa.Array:
    """Each article's text length in characters (null: no text), a batch at a time."""
    parts: list[pa.Array] = [pa.array([], pa.int32())]
    for path in paths:
        for batch in pq.ParquetFile(path).iter_batches(TEXT_BATCH, columns=["text"]):
            parts.append(pc.utf8_length(batch.column(0)))
    return pa.concat_arrays(parts)


def report_tables(release: Path, placed_at: Path | None = None) -> dict[str, pa.Table]:
    """The three tables with the report's columns; `articles` has `text_chars`
    instead of `text`."""
    tables: dict[str, pa.Table] = {}
    for table in TABLES:
        paths = _files(release, placed_at, table)
        read = pq.read_table(paths, columns=list(COLUMNS[table]))
        if table == "articles":
            read = _with_provenance(read).append_column("text_chars", _text_chars(paths))
        tables[table] = read
    return tables


def article_texts(
    release: Path, ids: Sequence[str], placed_at: Path | None = None
) -> dict[str, str | None]:
    """The texts of the articles `ids` (the examples), a batch at a time."""
    wanted = pa.array(sorted(set(ids)), pa.string())
    found: dict[str, str | None] = {}
    for path in _files(release, placed_at, "articles"):
        for batch in _batches(path):
            keep = pc.is_in(batch.column(0), value_set=wanted)
            if pc.any(keep).as_py():
                picked = batch.filter(keep)
                found.update(
                    zip(picked.column(0).to_pylist(), picked.column(1).to_pylist(), strict=True)
                )
    return found


def _batches(path: Path) -> Iterator[pa.RecordBatch]:
    yield from pq.ParquetFile(path).iter_batches(TEXT_BATCH, columns=["article_id", "text"])
