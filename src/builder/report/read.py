"""The columns of a release the report counts, and nothing else.

A release's `articles` table is mostly its texts; the report needs their lengths and
the texts of a handful of example rows. Reading every column of every table (as
`release.diff.read_release` does for a diff) held over half a gigabyte at 20,000
dumps. Here each table is read with only the columns the report uses, the texts a
batch at a time and kept as their lengths (`text_chars`) but for the few example rows
the report shows, chosen before the texts are read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.contract import TABLES
from builder.contract.texts import char_lengths
from builder.engines.spill import SpilledTable, release_arrow_memory
from builder.release.diff import read_manifest
from builder.release.store import store_path, table_files
from builder.report.stats import example_ids

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
TEXT_BATCH: Final = 2_048
#: Rows read at a time for the counted columns.
READ_BATCH: Final = 16_384


def _files(release: Path, placed_at: Path | None, table: str) -> list[Path]:
    """The files of `table` in row order (a version still being staged lists them
    relative to where it will be, `placed_at`)."""
    base = release if placed_at is None else placed_at
    return [store_path(base, key) for key in table_files(read_manifest(release), table)]


def _read(paths: Sequence[Path], columns: Sequence[str]) -> pa.Table:
    """`columns` of the files, a batch at a time, as `pq.read_table` gives them (a
    nested `a.b` column flat, named `b`), with the pool's freed pages handed back
    after. `pq.read_table` buffered whole column chunks on top of the result: reading
    the sightings of a 100,000-dump release (82 MB of columns) raised the resident
    memory by 244 MB; a batch at a time, by 169 MB."""
    batches: list[pa.RecordBatch] = []
    for path in paths:
        source = pq.ParquetFile(path, pre_buffer=False)
        batches += source.iter_batches(READ_BATCH, columns=list(columns), use_threads=False)
    if not batches:
        return pq.read_table(paths, columns=list(columns), use_threads=False)
    table = pa.Table.from_batches(batches)
    del batches
    for parent in dict.fromkeys(c.split(".", 1)[0] for c in columns if "." in c):
        struct = table.column(parent)
        at = table.column_names.index(parent)
        table = table.remove_column(at)
        for offset, child in enumerate(struct.type):
            table = table.add_column(at + offset, child, pc.struct_field(struct, child.name))
    release_arrow_memory()
    return table


def _with_provenance(table: pa.Table) -> pa.Table:
    """The `provenance.x` columns (read flat) as one `provenance` struct again."""
    names = [c.split(".", 1)[1] for c in COLUMNS["articles"] if c.startswith("provenance.")]
    struct = pa.StructArray.from_arrays(
        [table.column(n).combine_chunks() for n in names], names=names
    )
    return table.drop_columns(names).append_column("provenance", struct)


def _texts(paths: Sequence[Path], examples: pa.Array) -> tuple[pa.Array, dict[str, str | None]]:
    """Each article's text length in characters (null: no text), and the texts of the
    `examples`, in one pass a batch at a time. One thread: with Arrow's pool, each
    thread decodes a whole column chunk of texts at once."""
    parts: list[pa.Array] = [pa.array([], pa.int32())]
    found: dict[str, str | None] = {}
    for path in paths:
        batches = pq.ParquetFile(path).iter_batches(
            TEXT_BATCH, columns=["article_id", "text"], use_threads=False
        )
        for batch in batches:
            ids, texts = batch.column(0), batch.column(1)
            parts.append(char_lengths(texts))
            keep = pc.is_in(ids, value_set=examples)
            if pc.any(keep).as_py():
                picked = zip(
                    ids.filter(keep).to_pylist(), texts.filter(keep).to_pylist(), strict=True
                )
                found.update(picked)
    return pa.concat_arrays(parts), found


def _counted(
    articles: SpilledTable, examples: pa.Array
) -> tuple[pa.Array, pa.Array, dict[str, str | None]]:
    """The article ids of spilled `articles` in their row order, each text's length
    (null: no text), and the texts of the `examples`: the texts column read a batch at
    a time through memory maps, uncompressed."""
    ids = pa.chunked_array(list(articles.column("article_id")), pa.string()).combine_chunks()
    parts: list[pa.Array] = [pa.array([], pa.int32())]
    found: dict[str, str | None] = {}
    at = 0
    for texts in articles.column("text"):
        here = ids.slice(at, len(texts))
        at += len(texts)
        parts.append(char_lengths(texts))
        keep = pc.is_in(here, value_set=examples)
        if pc.any(keep).as_py():
            found.update(
                zip(here.filter(keep).to_pylist(), texts.filter(keep).to_pylist(), strict=True)
            )
    return ids, pa.concat_arrays(parts), found


def _held_texts(
    articles: SpilledTable, order: pa.Array, examples: pa.Array
) -> tuple[pa.Array, dict[str, str | None]] | None:
    """What `_texts` gives, from the articles as the build holds them (uncompressed,
    memory-mapped) instead of the Parquet files: each text's length, in the files' row
    order `order` (article ids), and the texts of the `examples`. None when the rows
    are not the files' (then the files are read).

    Decompressing every text of the files just to count its characters was a third of
    the report's CPU (0.08 s at 20,000 dumps); counting them in the spilled rows, 0.04 s.
    """
    ids, lengths, found = _counted(articles, examples)
    if len(lengths) != len(ids) or len(ids) != len(order):
        return None
    where = pc.index_in(order, value_set=ids)
    if where.null_count:
        return None
    return pc.take(lengths, where), found


def _held_columns(table: SpilledTable, columns: Sequence[str]) -> pa.Table:
    """`columns` of the build's own rows as `_read` gives them from the files (a nested
    `a.b` column flat, named `b`), read through memory maps: nothing to decompress, and
    only these columns' pages are touched."""
    top = list(dict.fromkeys(c.split(".", 1)[0] for c in columns))
    schema = pa.schema([table.schema.field(name) for name in top])
    whole = pa.Table.from_batches(table.selected(top), schema=schema)
    fields: list[pa.Field] = []
    arrays: list[pa.ChunkedArray] = []
    for column in columns:
        parent, _, child = column.partition(".")
        if not child:
            fields.append(schema.field(column))
            arrays.append(whole.column(column))
            continue
        field = schema.field(parent).type.field(child)
        fields.append(field)
        arrays.append(pc.struct_field(whole.column(parent), child))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)).combine_chunks()


def _held_tables(
    release: Path, held: Mapping[str, SpilledTable]
) -> tuple[dict[str, pa.Table], dict[str, str | None]] | None:
    """What `report_tables` reads from the files, from the build's own rows, which are
    the rows it publishes (in key order, not the files' day order: nothing the report
    counts depends on the order). None when they are not the release's rows (a row
    count differs from its manifest's): then the files are read.

    Reading the Parquet files back decompressed every column the report counts, just
    written from these very rows: ~0.25 s of CPU at 20,000 dumps (a new process's
    first pass over that memory); the spilled columns are read in place."""
    counts = read_manifest(release).get("row_counts", {})
    if any(held[name].num_rows != counts.get(name) for name in TABLES):
        return None
    tables = {name: _held_columns(held[name], COLUMNS[name]) for name in TABLES}
    articles = _with_provenance(tables["articles"])
    examples = pa.array(example_ids(articles, tables["sightings"]), pa.string())
    _, lengths, texts = _counted(held["articles"], examples)
    tables["articles"] = articles.append_column("text_chars", lengths)
    return tables, texts


def report_tables(
    release: Path,
    placed_at: Path | None = None,
    articles: SpilledTable | None = None,
    held: Mapping[str, SpilledTable] | None = None,
) -> tuple[dict[str, pa.Table], dict[str, str | None]]:
    """The three tables with the report's columns (`articles` with `text_chars`
    instead of `text`), and the texts of the example articles by id. `articles`: the
    release's articles as the build that publishes it holds them, where the texts are
    counted (the same rows; see `_held_texts`); `held`: all three tables so held, read
    instead of the files (see `_held_tables`)."""
    if held is not None:
        found = _held_tables(release, held)
        if found is not None:
            return found
    tables: dict[str, pa.Table] = {}
    texts: dict[str, str | None] = {}
    # sightings first: the examples (the most-sighted articles) are counted from them
    for table in sorted(TABLES, key=lambda name: name != "sightings"):
        paths = _files(release, placed_at, table)
        read = _read(paths, COLUMNS[table])
        if table == "articles":
            read = _with_provenance(read)
            examples = pa.array(example_ids(read, tables["sightings"]), pa.string())
            order = read.column("article_id").combine_chunks()
            held_texts = None if articles is None else _held_texts(articles, order, examples)
            lengths, texts = _texts(paths, examples) if held_texts is None else held_texts
            read = read.append_column("text_chars", lengths)
        tables[table] = read
    return {name: tables[name] for name in TABLES}, texts
