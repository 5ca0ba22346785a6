"""Cutting a table by id range in columns gives each row the range `id_range` gives it,
so the finished ranges, in order, are still the table in key order."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest

from builder.engines import partitioned


@pytest.mark.parametrize("n", [1, 2, 7, 4096])
def test_id_ranges_agree_with_id_range(n: int) -> None:
    ids = [f"a_{hashlib.sha256(str(i).encode()).hexdigest()[:16]}" for i in range(500)]
    ids += ["a_0000000000000000", "a_ffffffffffffffff", "a_80000000ffffffff"]
    table = pa.table({"article_id": ids, "row": list(range(len(ids)))})
    cut = partitioned.id_ranges(table, "article_id", n)
    assert sum(piece.num_rows for piece in cut.values()) == table.num_rows
    for rng, piece in cut.items():
        assert all(
            partitioned.id_range(i, n) == rng for i in piece.column("article_id").to_pylist()
        )
        rows = piece.column("row").to_pylist()
        assert rows == sorted(rows)  # input order is kept within a range
    assert partitioned.id_ranges(table.slice(0, 0), "article_id", n) == {}
