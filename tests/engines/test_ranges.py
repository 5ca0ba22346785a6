"""Cutting a table by id range in columns gives each row the range `id_range` gives it,
so the finished ranges, in order, are still the table in key order."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from builder.contract import arrow_schema
from builder.contract.tables import conform
from builder.engines import partitioned
from builder.inputs.read import read_dumps
from tests.releasing import corpus

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)


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


@pytest.mark.parametrize(
    "ids",
    [
        ["a_0123", "a_0123456789abcdef"],  # too short to be read from its bytes
        ["é_0123456789abcdef", "a_0123456789abcdef"],  # byte 2 is not character 2
        ["a_ABCDEF0123456789", "a_abcdef0123456789"],  # upper case digits
    ],
)
def test_ids_numpy_cannot_read_go_the_plain_way(ids: list[str]) -> None:
    """Ids not as builder makes them are read by the plain definition (or refused by
    it), not misread from their bytes."""
    table = pa.table({"article_id": ids, "row": list(range(len(ids)))})
    for n in (1, 7, 4096):
        cut = partitioned.id_ranges(table, "article_id", n)
        assert {
            i: rng for rng, piece in cut.items() for i in piece.column("article_id").to_pylist()
        } == {i: partitioned.id_range(i, n) for i in ids}


def test_ids_are_read_from_a_slice_of_a_chunked_column() -> None:
    ids = [f"d_{hashlib.sha256(str(i).encode()).hexdigest()[:16]}" for i in range(300)]
    table = pa.concat_tables(
        [pa.table({"dump_id": ids[:100]}), pa.table({"dump_id": ids[100:]})]
    ).slice(37, 200)
    cut = partitioned.id_ranges(table, "dump_id", 15)
    assert sorted(i for piece in cut.values() for i in piece.column("dump_id").to_pylist()) == (
        sorted(ids[37:237])
    )
    for rng, piece in cut.items():
        assert {partitioned.id_range(i, 15) for i in piece.column("dump_id").to_pylist()} == {rng}


def test_a_title_partition_is_the_id_range_of_its_article() -> None:
    """What lets a range's articles come from one partition, in key order."""
    from builder.records import article_id_for

    for title in ["A title", "Another one", "Ünïcode “quoted” title", "x" * 300]:
        for n in (1, 7, 15):
            assert partitioned.title_partition(title, n) == partitioned.id_range(
                article_id_for(title), n
            )


def test_each_partition_merges_one_range_of_articles_which_finish_keeps(tmp_path: Path) -> None:
    """Extracted, merged and finished: every title partition's articles fall in its own
    id range, in key order; the finished articles are the ones a sort gives, and a
    range given its pieces out of order is sorted."""
    raws = list(read_dumps([str(corpus(tmp_path / "c", 30, seed=4))], captured_at=WHEN))
    n = 5
    out = partitioned.extract_raws(raws, partitioned.Settings(n, None, 1 << 30))
    known = frozenset(out.known)
    merged = {
        part: partitioned.merge_frame(partitioned.read_ipc(payload), known, n)
        for part, payload in out.titles.items()
    }
    by_range: dict[int, list[pa.Table]] = {}
    for part, (by_article, _) in merged.items():
        assert set(by_article) <= {part}
        for rng, table in by_article.items():
            ids = table.column("article_id").to_pylist()
            assert ids == sorted(ids)
            by_range.setdefault(rng, []).append(table)
    assert by_range
    schema = arrow_schema("articles")
    for pieces in by_range.values():
        finished = partitioned.finish_tables([], pieces, [])["articles"]
        plain = conform("articles", pa.concat_tables(pieces).sort_by("article_id"))
        assert finished.equals(plain) and finished.schema.equals(schema)
        table = pieces[0]
        halves = [table.slice(table.num_rows // 2), table.slice(0, table.num_rows // 2)]
        swapped = partitioned.finish_tables([], halves, [])["articles"]
        assert swapped.equals(plain)
