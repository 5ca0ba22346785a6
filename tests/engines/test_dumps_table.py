"""The batch step's dumps table is built by columns; it must be what the contract's
row-by-row `to_arrow` gives, and refuse or convert what that would."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from builder.contract.tables import dump_row, to_arrow
from builder.engines import partitioned
from builder.inputs.read import read_dumps
from builder.records import Dump
from tests.releasing import corpus

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"


def _dumps(tmp_path: Path) -> list[Dump]:
    raws = read_dumps([str(SAMPLES), str(corpus(tmp_path / "c", 30, seed=8))], captured_at=WHEN)
    return [partitioned.per_dump(raw).dump for raw in raws]


def test_the_dumps_table_by_columns_is_the_contracts_table_row_by_row(tmp_path: Path) -> None:
    dumps = _dumps(tmp_path)
    assert {d.status for d in dumps} == {"parsed", "quarantined"}  # nulls and values
    built = partitioned.dumps_table(dumps)
    assert built.equals(to_arrow("dumps", map(dump_row, dumps)))
    assert built.schema.equals(to_arrow("dumps", []).schema)
    assert partitioned.dumps_table([]).equals(to_arrow("dumps", []))


def test_the_dumps_table_converts_other_zones_and_refuses_naive_times_as_to_arrow_does(
    tmp_path: Path,
) -> None:
    dumps = _dumps(tmp_path)[:5]
    east = timezone(timedelta(hours=2))
    zoned = [replace(d, captured_at=d.captured_at.astimezone(east)) for d in dumps]
    assert partitioned.dumps_table(zoned).equals(partitioned.dumps_table(dumps))

    naive = [*dumps[:2], replace(dumps[2], captured_at=dumps[2].captured_at.replace(tzinfo=None))]
    with pytest.raises(ValueError, match="naive datetime"):
        partitioned.dumps_table(naive)


def test_a_null_where_the_contract_allows_none_is_refused_with_the_column(tmp_path: Path) -> None:
    dumps = _dumps(tmp_path)[:3]
    broken = [dumps[0], replace(dumps[1], sha256=None)]
    with pytest.raises(ValueError, match="sha256"):
        partitioned.dumps_table(broken)
