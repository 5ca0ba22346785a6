"""A spilled table read in some of its columns: the same rows whether its files are on
disk or the table is held in memory."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from builder.engines.spill import SpilledTable, held, spill_table


def _table(start: int, n: int) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([f"a{i:03d}" for i in range(start, start + n)]),
            "n": pa.array(range(start, start + n), pa.int64()),
            "text": pa.array(["x" * i for i in range(start, start + n)]),
        }
    )


def test_selected_columns_are_the_tables_rows_in_order_on_disk_and_held(tmp_path: Path) -> None:
    pieces = [_table(0, 3), _table(3, 4)]
    files = []
    for i, piece in enumerate(pieces):
        files.append(tmp_path / f"{i:05d}.arrows")
        spill_table(piece, files[-1])
    on_disk = SpilledTable(pieces[0].schema, tuple(files), 7)
    whole = pa.concat_tables(pieces)
    expected = whole.select(["n", "id"]).to_pylist()

    read = pa.Table.from_batches(list(on_disk.selected(["n", "id"])))
    assert read.column_names == ["n", "id"]
    assert read.to_pylist() == expected
    assert pa.Table.from_batches(list(held(whole).selected(["n", "id"]))).to_pylist() == expected
