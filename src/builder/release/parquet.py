"""Parquet shards with pinned writer settings: the same table gives the same bytes,
whether it is held in memory or streamed from a spilled file."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq

from builder import contract
from builder.engines.spill import SpilledTable
from builder.release.atomic import sha256_and_sync
from builder.release.versions import SPLIT

#: Every writer option that can change the bytes is spelled out, so a pyarrow default
#: moving under us cannot silently break byte-identical rebuilds.
PARQUET_SETTINGS: Final[Mapping[str, Any]] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "dictionary_pagesize_limit": 1024 * 1024,
    "write_statistics": True,
    # Min/max of long free text lets no reader skip anything, yet repeats up to two
    # texts per page and row group: about a fifth of an articles file (writer_options).
    "no_statistics_for": ["published_text", "text", "title", "url"],
    "data_page_size": 1024 * 1024,
    "data_page_version": "1.0",
    "write_batch_size": 1024,
    # Small enough that the Hub viewer and readers can fetch one row group of long
    # article texts at a time; large enough that sightings compress well.
    "row_group_size": 20_000,
    "use_byte_stream_split": False,
    "use_compliant_nested_type": True,
    "coerce_timestamps": "us",
    "allow_truncated_timestamps": False,
    "use_deprecated_int96_timestamps": False,
    # The Arrow schema keeps tz=UTC, int32 and non-null flags exact on read-back.
    "store_schema": True,
    "write_page_index": True,
    "write_page_checksum": False,
    "use_content_defined_chunking": False,
}


# --- Parquet --------------------------------------------------------------------------


def _leaf_paths(schema: pa.Schema) -> list[str]:
    """Parquet's dotted column paths of every leaf of `schema` (nested lists included)."""
    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink)
    parquet_schema = pq.ParquetFile(pa.BufferReader(sink.getvalue())).schema
    return [parquet_schema.column(i).path for i in range(len(parquet_schema))]


def writer_options(settings: Mapping[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """pyarrow's keyword arguments for `settings` and a table of `schema`: statistics for
    every leaf column but those under `no_statistics_for`."""
    options = dict(settings)
    skipped = set(options.pop("no_statistics_for", ()))
    if skipped and options.get("write_statistics") is True:
        options["write_statistics"] = [
            path for path in _leaf_paths(schema) if path.split(".", 1)[0] not in skipped
        ]
    return options


def write_parquet(table: pa.Table, path: Path) -> None:
    """Same table, same bytes: pinned settings and no schema metadata (pandas, HF, ...)."""
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, **writer_options(PARQUET_SETTINGS, table.schema))


#: A table to publish: in memory, or spilled to disk by a partitioned build.
AnyTable: TypeAlias = pa.Table | SpilledTable


def _write_parquet_slice(table: AnyTable, start: int, rows: int, path: Path) -> None:
    """One shard; a spilled table is streamed a row group at a time, which gives the
    very bytes `write_parquet` gives for the same rows held in memory."""
    if isinstance(table, pa.Table):
        write_parquet(table.slice(start, rows), path)
        return
    schema = table.schema.remove_metadata()
    settings = writer_options(PARQUET_SETTINGS, schema)
    row_group = int(settings.pop("row_group_size"))
    with pq.ParquetWriter(path, schema, **settings) as writer:
        for chunk in table.slices(row_group, start, start + rows):
            writer.write_table(chunk.replace_schema_metadata(None), row_group_size=row_group)
        if rows == 0:
            writer.write_table(schema.empty_table(), row_group_size=row_group)


def in_memory(table: AnyTable) -> pa.Table:
    return table if isinstance(table, pa.Table) else table.read_all()


def table_digest(table: AnyTable) -> tuple[str, int]:
    if isinstance(table, pa.Table):
        return contract.ipc_digest(table)
    return contract.ipc_digest_chunks(table.schema, table.slices(contract.HASH_BATCH_ROWS))


def _shard_names(num_rows: int, rows_per_shard: int) -> list[tuple[str, int, int]]:
    """(file name, first row, row count); an empty table still gets one (empty) shard so
    that every config has a file to load."""
    count = max(1, math.ceil(num_rows / rows_per_shard))
    return [
        (
            f"{SPLIT}-{index:05d}-of-{count:05d}.parquet",
            index * rows_per_shard,
            min(rows_per_shard, num_rows - index * rows_per_shard) if num_rows else 0,
        )
        for index in range(count)
    ]


def write_shards(
    name: str, table: AnyTable, version_dir: Path, rows_per_shard: int
) -> dict[str, dict[str, Any]]:
    folder = version_dir / name
    folder.mkdir()
    written: dict[str, dict[str, Any]] = {}
    for file_name, start, rows in _shard_names(table.num_rows, rows_per_shard):
        path = folder / file_name
        _write_parquet_slice(table, start, rows, path)
        sha256, size = sha256_and_sync(path)
        written[f"{name}/{file_name}"] = {"sha256": sha256, "size_bytes": size, "rows": rows}
    return written
