"""Cutting a table by id range in columns gives each row the range `id_range` gives it,
so the finished ranges, in order, are still the table in key order."""

from __future__ import annotations

import hashlib

import numpy as np
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


def test_split_by_rows_already_in_order_are_slices_of_the_same_rows() -> None:
    """The in-order case skips the `take`: its pieces must be the rows the sorting
    path gives, and rows out of order must still come out grouped in their order."""
    table = pa.table({"row": list(range(9)), "text": [f"t{i}" * 50 for i in range(9)]})
    in_order = partitioned.split_by(table, np.array([0, 0, 2, 2, 2, 5, 5, 6, 6]))
    assert list(in_order) == [0, 2, 5, 6]
    assert {r: t.column("row").to_pylist() for r, t in in_order.items()} == {
        0: [0, 1],
        2: [2, 3, 4],
        5: [5, 6],
        6: [7, 8],
    }
    mixed = partitioned.split_by(table, np.array([2, 0, 2, 5, 0, 6, 5, 2, 6]))
    assert {r: t.column("row").to_pylist() for r, t in mixed.items()} == {
        0: [1, 4],
        2: [0, 2, 7],
        5: [3, 6],
        6: [5, 8],
    }
    assert in_order[2].column("text").to_pylist() == table.column("text").to_pylist()[2:5]
