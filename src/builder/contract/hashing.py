"""Content hashes of Arrow tables that do not depend on how a table is chunked or typed
in memory: what manifests record, and what tells a PATCH release from no release."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

import pyarrow as pa

#: Rows per record batch when hashing: the hash must not depend on how the caller's
#: table happens to be chunked (from_pylist, concatenated shards, ...). Small, because
#: a batch is held (and copied once) while it is hashed: at 65,536 rows an `articles`
#: batch of a 100,000-dump release held ~320 MB of texts twice, the build's peak.
#: Part of the contract (a manifest's `content_hash` depends on it): changed with it.
HASH_BATCH_ROWS: Final = 8 * 1024


class _HashSink:
    """A write-only file object, so hashing a large table does not buffer its IPC stream."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self.size += view.nbytes
        return view.nbytes

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


def _canonical_type(data_type: pa.DataType) -> pa.DataType:
    """One spelling per logical type: readers differ in exactly these choices.

    pyarrow names list items `element` after a Parquet round trip, polars reads large
    strings and lists, some readers keep dictionaries, and nullability flags are lost
    by datasets and polars. None of it is content.
    """
    types = pa.types
    if types.is_dictionary(data_type):
        return _canonical_type(data_type.value_type)
    if types.is_large_string(data_type) or types.is_string_view(data_type):
        return pa.string()
    if types.is_large_binary(data_type) or types.is_binary_view(data_type):
        return pa.binary()
    if (
        types.is_list(data_type)
        or types.is_large_list(data_type)
        or types.is_list_view(data_type)
        or types.is_large_list_view(data_type)
    ):
        return pa.list_(pa.field("item", _canonical_type(data_type.value_type)))
    if types.is_struct(data_type):
        return pa.struct([pa.field(f.name, _canonical_type(f.type)) for f in data_type])
    return data_type


def _canonical_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _canonical_type(f.type)) for f in schema])


def ipc_digest(table: pa.Table) -> tuple[str, int]:
    """sha256 and size of the canonical IPC stream: the writer-independent form of a table.

    Metadata (pandas, huggingface, ...) is dropped, types get one canonical spelling,
    null slots are zeroed and rows are re-batched in fixed-size batches, so only column
    names, logical types and values count. The size is the uncompressed Arrow size,
    which is what a dataset card's `num_bytes` means.
    """
    plain = table.replace_schema_metadata(None)
    chunks = (
        plain.slice(start, HASH_BATCH_ROWS) for start in range(0, plain.num_rows, HASH_BATCH_ROWS)
    )
    return ipc_digest_chunks(table.schema, chunks)


def ipc_digest_chunks(schema: pa.Schema, chunks: Iterable[pa.Table]) -> tuple[str, int]:
    """`ipc_digest` of a table given as consecutive slices of HASH_BATCH_ROWS rows (the
    last may be shorter), for tables too large to hold in memory."""
    canonical = _canonical_schema(schema)
    sink = _HashSink()
    options = pa.ipc.IpcWriteOptions(compression=None, use_threads=False)
    with pa.ipc.new_stream(sink, canonical, options=options) as writer:
        for piece in chunks:
            writer.write_table(_canonical_chunk(piece, canonical))
            del piece  # else it stays alive while the next slice is read: a third copy
    return sink.digest.hexdigest(), sink.size


def _canonical_chunk(piece: pa.Table, canonical: pa.Schema) -> pa.Table:
    chunk = piece.replace_schema_metadata(None).cast(canonical)
    # take() rewrites the batch, one chunk, with zeroed null slots: producers differ in
    # what bytes they leave under a null (polars keeps neighbouring strings there). It
    # also joins the pieces, so they are copied once, not twice.
    taken = chunk.take(pa.array(range(chunk.num_rows), pa.int64()))
    return taken if all(c.num_chunks <= 1 for c in taken.columns) else taken.combine_chunks()


def content_hash(table: pa.Table) -> str:
    """Identifies a table by content, so releases written by other writers still compare."""
    return ipc_digest(table)[0]


class TableHasher:
    """`ipc_digest` of a table fed in pieces of any size, for a table that is written
    in another order than it is held (a release's partitions): the digest is the one
    `ipc_digest` gives for the concatenation of the pieces."""

    def __init__(self, schema: pa.Schema) -> None:
        self._canonical = _canonical_schema(schema)
        self._sink = _HashSink()
        options = pa.ipc.IpcWriteOptions(compression=None, use_threads=False)
        self._writer = pa.ipc.new_stream(self._sink, self._canonical, options=options)
        self._pending: list[pa.Table] = []
        self._held = 0

    def add(self, piece: pa.Table) -> None:
        while piece.num_rows:
            take = min(HASH_BATCH_ROWS - self._held, piece.num_rows)
            self._pending.append(piece.slice(0, take))
            self._held += take
            piece = piece.slice(take)
            if self._held == HASH_BATCH_ROWS:
                self._flush()

    def _flush(self) -> None:
        chunk = pa.concat_tables(p.replace_schema_metadata(None) for p in self._pending)
        self._writer.write_table(_canonical_chunk(chunk, self._canonical))
        self._pending, self._held = [], 0

    def finish(self) -> tuple[str, int]:
        if self._held:
            self._flush()
        self._writer.close()
        return self._sink.digest.hexdigest(), self._sink.size


def inputs_digest(dumps: pa.Table) -> str:
    """sha256 of the inputs a release was built from, from its `dumps` table: one line
    `path<TAB>sha256<TAB>size_bytes` per input, sorted, so the order the inputs were
    found in does not count. What a manifest records instead of listing every input
    (the listing is the `dumps` table itself)."""
    columns = dumps.select(["path", "sha256", "size_bytes"]).to_pydict()
    lines = sorted(
        f"{path}\t{sha}\t{size}\n"
        for path, sha, size in zip(
            columns["path"], columns["sha256"], columns["size_bytes"], strict=True
        )
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()
