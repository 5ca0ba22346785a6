"""`builder validate` on a real build of the samples, and on damaged copies of it.

Each mutation rewrites a Parquet or JSON file of the release and, where a manifest hash
would trivially catch it, re-hashes it (manifest and croissant.json alike), so that the
semantic check itself has to find the defect and name it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from builder import contract
from builder.contract.rows import check_dump
from builder.records import DumpResult
from builder.release.parquet import write_parquet
from builder.release.store import store_path, version_paths
from builder.release.validate import validate_release
from tests.helpers import run_cli

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"
WHEN = "2025-07-01T12:00:00Z"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "ds"
    result = run_cli("make", str(SAMPLES), "--out", str(out), "--captured-at", WHEN, "-q")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def dataset(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ds"
    shutil.copytree(built, copy)
    return copy


def _release(dataset: Path) -> Path:
    return dataset / "versions" / "1.0.0"


def _shard(release: Path, table: str) -> Path:
    [path] = version_paths(release, table)  # the samples are captured on one day
    return path


def _key(release: Path, table: str) -> str:
    return "../../" + _shard(release, table).relative_to(release.parents[1]).as_posix()


def _sha(path: Path) -> tuple[str, int]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), len(data)


def _rehash(release: Path) -> None:
    """Make manifest.json agree with the files as they now are (croissant.json names
    the files; their hashes are the manifest's alone, its own hash included)."""
    manifest = json.loads((release / "manifest.json").read_text())
    for name, entry in manifest["files"].items():
        path = store_path(release, name)
        if not name.endswith(".parquet") or not path.exists():
            continue
        entry["sha256"], entry["size_bytes"] = _sha(path)
        with contextlib.suppress(Exception):  # a shard damaged on purpose keeps its count
            entry["rows"] = pa.parquet.read_metadata(path).num_rows
    for table in contract.TABLES:
        manifest["row_counts"][table] = sum(
            e.get("rows", 0)
            for n, e in manifest["files"].items()
            if n.startswith(f"../../data/{table}/")
        )
    (
        manifest["files"]["croissant.json"]["sha256"],
        manifest["files"]["croissant.json"]["size_bytes"],
    ) = _sha(release / "croissant.json")
    (release / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, indent=2))


def _rewrite(release: Path, table: str, change: Callable[[pa.Table], pa.Table]) -> None:
    path = _shard(release, table)
    write_parquet(change(pa.parquet.read_table(path)), path)
    _rehash(release)


def _set(table: pa.Table, column: str, row: int, value: Any, nullable: bool = False) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    index = table.schema.get_field_index(column)
    field = table.schema.field(column).with_nullable(
        nullable or table.schema.field(column).nullable
    )
    return table.set_column(index, field, pa.array(values, field.type))


def _flip_bytes(release: Path) -> None:
    path = _shard(release, "articles")
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    _rehash(release)


def _naive(table: pa.Table) -> pa.Table:
    index = table.schema.get_field_index("first_seen_at")
    return table.set_column(
        index, "first_seen_at", table.column("first_seen_at").cast(pa.timestamp("us"))
    )


def _drop_quarantined(table: pa.Table) -> pa.Table:
    return table.filter(pc.not_equal(table.column("status"), "quarantined"))


def _unseen_article(table: pa.Table) -> pa.Table:
    """A copy of the first article under an id no sighting has (the last id, so the
    table stays sorted and its keys unique)."""
    extra = _set(table.slice(0, 1), "article_id", 0, "a_ffffffffffffffff")
    return pa.concat_tables([table, extra])


def _first_article_id(release: Path) -> str:
    return str(pa.parquet.read_table(_shard(release, "articles")).column("article_id")[0])


Mutation = Callable[[Path], None]

#: name -> (mutation, expected (table, column, words of the check)).
MUTATIONS: dict[str, tuple[Mutation, tuple[str, str, str]]] = {
    "duplicate article_id": (
        lambda r: _rewrite(r, "articles", lambda t: pa.concat_tables([t, t.slice(0, 1)])),
        ("articles", "article_id", "unique key"),
    ),
    "empty title": (
        lambda r: _rewrite(r, "articles", lambda t: _set(t, "title", 0, "")),
        ("articles", "title", "str_length"),
    ),
    "null title": (
        lambda r: _rewrite(r, "articles", lambda t: _set(t, "title", 0, None, nullable=True)),
        ("articles", "title", "not null"),
    ),
    "unknown role": (
        lambda r: _rewrite(r, "articles", lambda t: _set(t, "role", 0, "lead")),
        ("articles", "role", "isin"),
    ),
    "dropped column": (
        lambda r: _rewrite(r, "articles", lambda t: t.drop_columns(["url"])),
        ("articles", "url", "missing column"),
    ),
    "unknown extra column": (
        lambda r: _rewrite(
            r, "sightings", lambda t: t.append_column("score", pa.array([1] * len(t)))
        ),
        ("sightings", "score", "unknown column"),
    ),
    "naive timestamp": (
        lambda r: _rewrite(r, "articles", _naive),
        ("articles", "first_seen_at", "Datetime"),
    ),
    "dangling sighting": (
        lambda r: _rewrite(
            r, "sightings", lambda t: _set(t, "article_id", 0, "a_0000000000000000")
        ),
        ("sightings", "article_id", "sighting's article exists"),
    ),
    "article without sightings": (
        lambda r: _rewrite(r, "articles", _unseen_article),
        ("articles", "article_id", "article has at least one sighting"),
    ),
    "wrong dump n_sightings": (
        lambda r: _rewrite(
            r,
            "dumps",
            lambda t: _set(t, "n_sightings", 0, t.column("n_sightings")[0].as_py() + 1),
        ),
        ("dumps", "n_sightings", "n_sightings equals the dump's sightings"),
    ),
    "invalid dump status": (
        lambda r: _rewrite(r, "dumps", lambda t: _set(t, "status", 0, "done")),
        ("dumps", "status", "isin"),
    ),
    "lost dumps row": (
        lambda r: _rewrite(r, "dumps", _drop_quarantined),
        ("dumps", "path", "one row per input"),
    ),
    "bad nested provenance id": (
        lambda r: _rewrite(
            r,
            "articles",
            lambda t: _set(
                t,
                "provenance",
                0,
                t.column("provenance")[0].as_py() | {"dump_id": "not-a-dump"},
            ),
        ),
        ("articles", "provenance", "provenance.dump_id: pattern"),
    ),
    "flipped bytes in a Parquet file": (
        _flip_bytes,
        ("articles", "", "Parquet file is readable"),
    ),
    "deleted shard": (
        lambda r: _shard(r, "sightings").unlink(),
        ("files", "../../data/sightings/", "listed file exists"),
    ),
    "invalid manifest.json": (
        lambda r: (r / "manifest.json").write_text('{"version": "1.0.0", '),
        ("manifest", "", "valid JSON"),
    ),
    "manifest breaks its schema": (
        lambda r: (r / "manifest.json").write_text(
            json.dumps(
                {k: v for k, v in json.loads((r / "manifest.json").read_text()).items()}
                | {"row_counts": {"articles": -1}}
            )
        ),
        ("manifest", "row_counts", "manifest schema"),
    ),
    "card features drift": (
        lambda r: (r / "README.md").write_text(
            (r / "README.md").read_text().replace("dtype: int32", "dtype: int64", 1)
        ),
        ("card", "articles", "features equal the contract"),
    ),
}


def _report(release_spec: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("validate", release_spec, "--format", "json", *extra)
    return result.exit_code, json.loads(result.output)


def test_untouched_build_is_valid_with_every_check(built: Path) -> None:
    code, report = _report(str(built))
    assert code == 0, report["findings"]
    assert report["valid"] is True and report["findings"] == []
    assert report["version"] == "1.0.0"
    assert report["row_counts"]["dumps"] == 17


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_validate_names_each_defect(dataset: Path, name: str) -> None:
    mutate, (table, column, check) = MUTATIONS[name]
    mutate(_release(dataset))
    code, report = _report(str(dataset), "--no-croissant")
    assert code == 1, name
    assert report["valid"] is False
    assert any(
        f["table"] == table and column in (f["column"] or "") and check in f["check"]
        for f in report["findings"]
    ), (name, report["findings"])


def test_croissant_with_a_renamed_field_fails_when_records_are_read(dataset: Path) -> None:
    release = _release(dataset)
    path = release / "croissant.json"
    path.write_text(path.read_text().replace('"column":"title"', '"column":"headline"'))
    _rehash(release)
    code, report = _report(str(dataset))
    assert code == 1
    checks = {(f["table"], f["check"]) for f in report["findings"]}
    assert ("croissant", "records are readable") in checks, report["findings"]


def test_text_report_is_a_table_naming_the_check(dataset: Path) -> None:
    MUTATIONS["duplicate article_id"][0](_release(dataset))
    result = run_cli("validate", str(dataset), "--no-croissant")
    assert result.exit_code == 1
    assert "INVALID" in result.output and "unique key" in result.output
    assert "article_id" in result.output and "Traceback" not in result.output


def test_an_older_version_is_named_with_at(dataset: Path) -> None:
    code, report = _report(f"{dataset}@1.0.0", "--no-croissant")
    assert code == 0 and report["version"] == "1.0.0"


@pytest.mark.parametrize("spec", ["does/not/exist", "{tmp}", "{tmp}@9.9.9"])
def test_no_release_is_a_usage_error(tmp_path: Path, spec: str) -> None:
    result = run_cli("validate", spec.format(tmp=tmp_path))
    assert result.exit_code == 2
    assert "no" in result.output and "Traceback" not in result.output


def test_validate_release_library_call_reports_a_missing_manifest(dataset: Path) -> None:
    release = _release(dataset)
    (release / "manifest.json").unlink()
    report = validate_release(release, check_croissant=False)
    assert not report.ok
    assert any(f.check == "manifest.json exists" for f in report.findings)
    assert report.row_counts["articles"] > 0  # the tables were still checked


# --- during make ---------------------------------------------------------------------


def _a_parsed_result(tmp_path: Path) -> DumpResult:
    from datetime import UTC, datetime

    from builder.inputs.read import iter_dumps
    from builder.inputs.walk import find_inputs
    from builder.parse.extract import extract

    files = find_inputs([str(SAMPLES / "04_plain_article.txt")])
    (raw,) = iter_dumps(files, captured_at=datetime(2025, 7, 1, tzinfo=UTC))
    return extract(raw)


def test_check_dump_quarantines_a_dump_whose_rows_break_the_contract(tmp_path: Path) -> None:
    from dataclasses import replace

    good = _a_parsed_result(tmp_path)
    assert good.dump.status == "parsed" and check_dump(good) == good
    broken = replace(good, sightings=(replace(good.sightings[0], title=""), *good.sightings[1:]))
    checked = check_dump(broken)
    assert checked.dump.status == "quarantined" and checked.sightings == ()
    assert checked.dump.n_sightings == 0
    assert checked.dump.reason is not None and "title" in checked.dump.reason
    assert checked.dump.reason.startswith("breaks the contract")


def test_strict_make_fails_and_publishes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "strict"
    result = run_cli("make", str(SAMPLES), "--out", str(out), "--captured-at", WHEN, "--strict")
    assert result.exit_code == 1
    assert "--strict" in result.output and "1 input(s) quarantined" in result.output
    assert not (out / "versions").exists()


def test_strict_make_publishes_when_nothing_is_quarantined(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    (inputs / "not-a-page.txt").unlink()
    out = tmp_path / "ok"
    result = run_cli(
        "make", str(inputs), "--out", str(out), "--captured-at", WHEN, "--strict", "-q"
    )
    assert result.exit_code == 0, result.output
    assert (out / "versions" / "1.0.0" / "croissant.json").is_file()
