"""Pieces of the build's last step (builder.build) on spilled tables."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from builder import contract
from builder.build import _count_true
from builder.engines.partitioned import ipc_bytes
from builder.engines.spill import SpilledTable, held, spill
from tests.rows import example_tables


def test_true_values_are_counted_from_the_column_of_every_spilled_file(tmp_path: Path) -> None:
    articles = example_tables()["articles"]
    flags = [True, False, True][: articles.num_rows]
    index = articles.schema.get_field_index("published_after_capture")
    articles = articles.set_column(index, articles.schema.field(index), pa.array(flags, pa.bool_()))
    files = []
    for at, part in enumerate((articles.slice(0, 1), articles.slice(1))):
        path = tmp_path / f"{at:05d}.arrows"
        spill(ipc_bytes(part), path)
        files.append(path)
    spilled = SpilledTable(contract.arrow_schema("articles"), tuple(files), articles.num_rows)
    assert _count_true(spilled, "published_after_capture") == sum(flags) == 2
    assert _count_true(held(articles), "published_after_capture") == 2
