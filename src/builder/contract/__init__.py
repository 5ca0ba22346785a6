"""The data contract: the tables, their columns and their rules, read from `schema/`.

Holds schema loading and the Arrow schema (`schema`), rows -> Arrow tables (`tables`),
content hashes (`hashing`), row checks (`rows`), whole-table and cross-table checks
(`checks`, `models` for pandera), the card's features (`features`) and the shape every
check reports in (`findings`). Every stage may import it; it imports only `records`.

The names most callers need are re-exported here, so `contract.arrow_schema(...)` reads
as what it is. `checks` and `models` are not: they import polars and pandera, which a
build that checks no whole table does not pay for.
"""

from builder.contract.hashing import (
    HASH_BATCH_ROWS,
    TableHasher,
    content_hash,
    inputs_digest,
    ipc_digest,
    ipc_digest_chunks,
)
from builder.contract.rows import row_is_valid, validate_row
from builder.contract.schema import CONTRACT_VERSION, TABLES, arrow_schema, features, json_schema
from builder.contract.tables import to_arrow

__all__ = [
    "CONTRACT_VERSION",
    "HASH_BATCH_ROWS",
    "TABLES",
    "TableHasher",
    "arrow_schema",
    "content_hash",
    "features",
    "inputs_digest",
    "ipc_digest",
    "ipc_digest_chunks",
    "json_schema",
    "row_is_valid",
    "to_arrow",
    "validate_row",
]
