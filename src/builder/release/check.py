"""The before-publish table check for tables too large to hold: a chunk at a time.

`validate.require_valid` converts whole tables to polars; on a spilled build that
would hold every article's text at once. The per-table models are row checks, so
they run on each chunk; the cross-table checks (references, counts, inputs) read only
key and count columns, which are collected once. Keys are unique by construction
(each id lands in exactly one partition), so a uniqueness check per chunk suffices.
A table the contract's rules vouch for (`contract.rules`: one polars query per chunk)
is read only in the columns they and the cross-table checks need; the pandera models
read every column, and only of a table the rules do not vouch for.

An incremental build republishes most rows from the latest release, which the same code
checked before publishing it (builder.incremental makes sure both hold); it passes the
other rows as `fresh`, a few hundred, and only those get the row checks, by the
contract's compiled JSON Schema predicate (held to jsonschema's answers; the pandera
models answer the same and cost a second to import). Each table's Arrow schema must
then be the contract's, the cross-table checks still see every row, and each key is
checked unique over the whole table, since reused and fresh rows were checked apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from builder import contract
from builder.contract import rules
from builder.contract.checks import cross_table_findings, raise_on_findings, validate_frame
from builder.contract.findings import Finding
from builder.engines.spill import HeldTable, SpilledTable, fixed_runs

#: Rows per chunk, per table: bounded memory, few enough calls that the models' fixed
#: cost (~30 ms a call) is small. 10,000 articles are ~30 MB (with 50,000 the check of
#: 100,000 dumps peaked 300 MB higher); sightings and dumps rows are ~200 bytes, so
#: 100,000 of them are ~20 MB, and the 500,000 sightings of 100,000 dumps are checked in
#: 0.3 s instead of 1.5 s (50 calls).
CHUNK_ROWS: Final[Mapping[str, int]] = {
    "articles": 10_000,
    "sightings": 100_000,
    "dumps": 100_000,
}

#: Columns the cross-table checks read (validate._NEEDS), per table.
_SLIM: Final[Mapping[str, tuple[str, ...]]] = {
    "articles": ("article_id", "provenance"),
    "sightings": ("article_id", "dump_id", "role"),
    "dumps": ("dump_id", "sha256", "n_sightings", "status", "page_kind", "reason", "path"),
}


def _frame(table: Any) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)  # a Table always gives a DataFrame
    return frame


def spilled_findings(
    tables: Mapping[str, SpilledTable],
    inputs: Sequence[Mapping[str, Any]] | None = None,
    *,
    fresh: Mapping[str, pa.Table] | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    slim: dict[str, pl.DataFrame] = {}
    for name in contract.TABLES:
        keys: list[pa.Array] = []
        key = str(contract.json_schema(name)["x-key"])
        vouched = None if fresh is not None else _vouched(name, tables[name])
        parts = vouched if vouched is not None else []
        # Unless the rules vouched for every row: the models see every column.
        for chunk in tables[name].slices(CHUNK_ROWS[name]) if vouched is None else ():
            if fresh is None:
                findings += validate_frame(name, _frame(chunk))
            else:
                keys.extend(chunk.column(key).chunks)
            parts.append(_slim(name, chunk))
            del chunk  # else it is held while the next one is read
        slim[name] = pl.concat(parts) if parts else _slim(name, tables[name].schema.empty_table())
        if fresh is not None:
            findings += _schema_findings(name, tables[name].schema)
            findings += _row_findings(name, fresh[name])
            values = pa.chunked_array(keys, tables[name].schema.field(key).type)
            findings += _duplicate_keys(name, key, values)
    return findings + cross_table_findings(slim, inputs)


def _vouched(name: str, table: SpilledTable) -> list[pl.DataFrame] | None:
    """The cross-table checks' columns of a table the contract's rules vouch for
    (`rules.passes`, chunk by chunk), or None: then the models must see every column.

    Only the columns the rules and the cross-table checks read are read, memory-mapped:
    an article's text, most of the table's bytes, is in neither. Reading and copying
    every column took half of the check's CPU (0.11 s of 0.21 s at 20,000 dumps).
    """
    declared = _frame(table.schema.empty_table()).schema
    if not rules.schema_matches(name, declared) or not _as_declared(table):
        return None
    columns = list(dict.fromkeys([*rules.rule_columns(name), *_SLIM[name]]))
    parts = []
    for run in fixed_runs(table.selected(columns), CHUNK_ROWS[name]):
        chunk = pa.Table.from_batches(run)
        if not rules.rows_pass(name, _frame(chunk)):
            return None
        # Copied out of the maps: a part that pointed into them would keep every page
        # the rules touched mapped (resident) until the cross-table checks are done.
        slim = chunk.select(list(_SLIM[name]))
        parts.append(_slim(name, slim.take(pa.array(range(slim.num_rows), pa.int64()))))
        del chunk, slim
    return parts


def _as_declared(table: SpilledTable) -> bool:
    """Whether every spilled file holds the table's declared schema (else the models'
    path reads it, and says so as it always did)."""
    if isinstance(table, HeldTable):
        return bool(table.table.schema.equals(table.schema))
    for path in table.files:
        with pa.ipc.open_stream(pa.memory_map(str(path), "r")) as reader:
            if not reader.schema.equals(table.schema):
                return False
    return True


def _schema_findings(table: str, schema: pa.Schema) -> list[Finding]:
    """Column names, order, types and nullability: what the models check per frame."""
    if schema.remove_metadata().equals(contract.arrow_schema(table).remove_metadata()):
        return []
    return [Finding(table, None, "schema", 1, (f"not the contract's: {schema.names}",))]


def _row_findings(table: str, rows: pa.Table) -> list[Finding]:
    """Contract messages of the rows, grouped by the field they are about."""
    grouped: dict[str, list[str]] = {}
    for row in rows.to_pylist():
        for message in contract.validate_row(table, row):
            where = message.split(":", 1)[0]  # "articles.lang"
            grouped.setdefault(where, []).append(message)
    return [
        Finding(
            table, where.partition(".")[2] or None, "row contract", len(found), tuple(found[:3])
        )
        for where, found in grouped.items()
    ]


def _duplicate_keys(table: str, key: str, values: pa.ChunkedArray) -> list[Finding]:
    counts = pc.value_counts(values)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
    if len(repeated) == 0:
        return []
    examples = tuple(str(v) for v in repeated[:3].to_pylist())
    return [Finding(table, key, "unique key", len(repeated), examples)]


def _slim(name: str, chunk: pa.Table) -> pl.DataFrame:
    """What the cross-table checks keep of a chunk until every chunk is read: of an
    article's provenance (most of an article's bytes besides its text) only the two
    fields they compare."""
    table = chunk.select(list(_SLIM[name]))
    if name == "articles":  # in Arrow: polars would keep the whole struct it imported
        provenance = table.column("provenance").combine_chunks()
        fields = ("dump_id", "dump_sha256")
        kept = pa.StructArray.from_arrays([provenance.field(f) for f in fields], fields)
        table = table.set_column(table.schema.get_field_index("provenance"), "provenance", kept)
    return _frame(table)


def require_valid_spilled(
    tables: Mapping[str, SpilledTable],
    inputs: Sequence[Mapping[str, Any]] | None = None,
    *,
    fresh: Mapping[str, pa.Table] | None = None,
) -> None:
    """Raise ContractError unless the tables may be published (as require_valid does)."""
    raise_on_findings(spilled_findings(tables, inputs, fresh=fresh))
