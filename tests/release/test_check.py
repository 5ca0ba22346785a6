"""The before-publish check of spilled tables (builder.release.check), on the tables of a
real build of the samples: every row checked, or, for an incremental build, the fresh
rows checked and every key checked unique over the whole table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from builder import contract, timing
from builder.build import _publish_staged, build
from builder.contract.checks import ContractError
from builder.engines import Staged
from builder.engines.partitioned import ipc_bytes
from builder.engines.spill import SpilledTable, spill
from builder.inputs.files import DEFAULT_MAX_BYTES
from builder.release import check
from builder.release.check import spilled_findings
from builder.release.diff import read_release
from builder.release.settings import DatasetSettings

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    out = tmp_path_factory.mktemp("release")
    report = build([str(SAMPLES)], out, captured_at=datetime(2025, 7, 1, tzinfo=UTC), workers=1)
    assert report.path is not None
    release = read_release(report.path)
    return {name: release[name].cast(contract.arrow_schema(name)) for name in contract.TABLES}


def _spilled(tables: Mapping[str, pa.Table], folder: Path) -> dict[str, SpilledTable]:
    spilled = {}
    for name, table in tables.items():
        path = folder / f"{name}.arrows"
        spill(ipc_bytes(table), path)
        spilled[name] = SpilledTable(table.schema, (path,), table.num_rows)
    return spilled


def _with_bad_status(dumps: pa.Table, row: int) -> pa.Table:
    status = dumps.column("status").to_pylist()
    status[row] = "not-a-status"
    index = dumps.schema.get_field_index("status")
    return dumps.set_column(index, dumps.schema.field(index), pa.array(status, pa.string()))


def test_a_valid_release_has_no_finding(tables: dict[str, pa.Table], tmp_path: Path) -> None:
    assert spilled_findings(_spilled(tables, tmp_path)) == []
    fresh = {name: table.slice(0, 2) for name, table in tables.items()}
    assert spilled_findings(_spilled(tables, tmp_path), fresh=fresh) == []


def test_every_row_is_checked_without_fresh_rows(
    tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    broken = {**tables, "dumps": _with_bad_status(tables["dumps"], 3)}
    found = spilled_findings(_spilled(broken, tmp_path))
    assert [(f.table, f.column, f.examples) for f in found] == [
        ("dumps", "status", ("not-a-status",))
    ]


def test_a_bad_row_in_a_later_chunk_is_found(
    tables: dict[str, pa.Table], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tables are checked a chunk at a time (sizes per table): the last row of the last
    chunk is checked as well as the first."""
    monkeypatch.setattr(check, "CHUNK_ROWS", dict.fromkeys(contract.TABLES, 2))
    last = tables["dumps"].num_rows - 1
    assert last >= 4  # three chunks at least
    broken = {**tables, "dumps": _with_bad_status(tables["dumps"], last)}
    found = spilled_findings(_spilled(broken, tmp_path))
    assert [(f.table, f.column, f.count) for f in found] == [("dumps", "status", 1)]


def test_with_fresh_rows_only_those_get_the_row_checks(
    tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    broken = {**tables, "dumps": _with_bad_status(tables["dumps"], 3)}
    reused_only = {name: table.slice(0, 0) for name, table in broken.items()}
    assert spilled_findings(_spilled(broken, tmp_path), fresh=reused_only) == []
    fresh = {**reused_only, "dumps": broken["dumps"].slice(3, 1)}
    found = spilled_findings(_spilled(broken, tmp_path), fresh=fresh)
    assert [(f.table, f.column) for f in found] == [("dumps", "status")]


def test_with_fresh_rows_keys_are_checked_unique_over_the_whole_table(
    tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    articles = tables["articles"]
    twice = pa.concat_tables([articles, articles.slice(1, 1)]).sort_by("article_id")
    doubled = {**tables, "articles": twice}
    fresh = {name: table.slice(0, 0) for name, table in tables.items()}
    found = spilled_findings(_spilled(doubled, tmp_path), fresh=fresh)
    key = articles.column("article_id")[1].as_py()
    unique = [f for f in found if f.check == "unique key"]
    assert [(f.table, f.column, f.count, f.examples) for f in unique] == [
        ("articles", "article_id", 1, (key,))
    ]


def test_with_fresh_rows_each_table_must_have_the_contract_schema(
    tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    dumps = tables["dumps"]
    index = dumps.schema.get_field_index("encoding")
    field = dumps.schema.field(index)
    other = dumps.cast(dumps.schema.set(index, field.with_nullable(not field.nullable)))
    fresh = {name: table.slice(0, 0) for name, table in tables.items()}
    found = spilled_findings(_spilled({**tables, "dumps": other}, tmp_path), fresh=fresh)
    assert [(f.table, f.check) for f in found] == [("dumps", "schema")]


def _publish(spilled: dict[str, SpilledTable], out: Path, *, alongside: bool) -> None:
    """The build's last step on staged tables: check, number, publish."""
    _publish_staged(
        Staged(spilled),
        out,
        timing.Wall(),
        on_stage=lambda name, done, total: None,
        captured_at=datetime(2025, 7, 1, tzinfo=UTC),
        version=None,
        max_bytes=DEFAULT_MAX_BYTES,
        strict=False,
        dataset=DatasetSettings(),
        check_alongside=alongside,
    )


@pytest.mark.parametrize("alongside", [False, True], ids=["before", "alongside"])
def test_tables_that_fail_the_check_publish_nothing(
    tables: dict[str, pa.Table], tmp_path: Path, alongside: bool
) -> None:
    """Checked before the writing or while it runs, a table that breaks the contract
    stops the publish before anything enters the dataset folder: no version, no store
    file, no staging folder left behind."""
    broken = {**tables, "dumps": _with_bad_status(tables["dumps"], 3)}
    out = tmp_path / "out"
    with pytest.raises(ContractError, match="not-a-status"):
        _publish(_spilled(broken, tmp_path), out, alongside=alongside)
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) if out.exists() else []
    assert not [p for p in left if p.endswith(".parquet") or p.startswith(("versions", "."))]


def test_a_check_alongside_the_writing_publishes_the_same_bytes(
    tables: dict[str, pa.Table], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1751328000")
    published = {}
    for alongside in (False, True):
        out = tmp_path / f"out-{alongside}"
        _publish(_spilled(tables, tmp_path / f"spill-{alongside}"), out, alongside=alongside)
        published[alongside] = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }
    assert any(name.endswith(".parquet") for name in published[True])
    assert published[True] == published[False]


def test_tables_the_rules_vouch_for_are_read_in_their_checked_columns_only(
    tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    """A valid table is vouched for from the columns the rules and the cross-table
    checks read (never an article's text), and those are what the whole read gives."""
    spilled = _spilled(tables, tmp_path)
    for name in contract.TABLES:
        parts = check._vouched(name, spilled[name])
        assert parts is not None, name
        assert pl.concat(parts).equals(check._slim(name, tables[name]))
    assert "text" not in check.rules.rule_columns("articles")


def test_a_broken_row_is_not_vouched_for(tables: dict[str, pa.Table], tmp_path: Path) -> None:
    broken = {**tables, "dumps": _with_bad_status(tables["dumps"], 3)}
    assert check._vouched("dumps", _spilled(broken, tmp_path)["dumps"]) is None


def test_a_spilled_file_of_another_schema_is_not_vouched_for(
    tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    """The declared schema is the contract's, but a file could hold something else: the
    models' path then reads the file and says what it holds."""
    dumps = tables["dumps"]
    index = dumps.schema.get_field_index("size_bytes")
    other = dumps.set_column(
        index, pa.field("size_bytes", pa.int32()), dumps.column(index).cast(pa.int32())
    )
    path = tmp_path / "dumps.arrows"
    spill(ipc_bytes(other), path)
    declared = SpilledTable(dumps.schema, (path,), dumps.num_rows)
    assert check._vouched("dumps", declared) is None


def test_a_reference_to_nothing_is_found_in_tables_the_rules_vouch_for(
    tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    """Each table keeps its rules, yet a sighting names an article that is not there:
    the cross-table checks see it in the columns the quick path read."""
    sightings = tables["sightings"]
    ids = sightings.column("article_id").to_pylist()
    ids[0] = "a_" + "0" * 16
    index = sightings.schema.get_field_index("article_id")
    broken = sightings.set_column(index, sightings.schema.field(index), pa.array(ids, pa.string()))
    spilled = _spilled({**tables, "sightings": broken}, tmp_path)
    assert check._vouched("sightings", spilled["sightings"]) is not None
    found = spilled_findings(spilled)
    assert ("sightings", "sighting's article exists", ("a_" + "0" * 16,)) in [
        (f.table, f.check, f.examples) for f in found
    ]
