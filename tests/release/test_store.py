"""Versions that share their files: a dataset grown day by day keeps every old version
loadable and valid, stores each file once, and gives the files a from-scratch build of
the same inputs gives; damage to a shared file is reported for every version listing it.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from builder import contract
from builder.build import build
from builder.engines.spill import SpilledTable
from builder.release import store
from builder.release.parquet import PARQUET_SETTINGS
from builder.release.publish import publish_release
from builder.release.store import (
    _DAY_COLUMN,
    _day,
    _labels,
    _rows_per_day,
    placement,
    table_files,
    version_paths,
    write_table,
)
from builder.release.validate import validate_release
from tests.helpers import daily_corpus_module, run_cli
from tests.releasing import BUILDER, builder_env
from tests.rows import example_tables


def _make(inputs: Path, out: Path) -> dict[str, Any]:
    """`builder make` without --captured-at: each day's pages carry their own capture
    time (their modification time), as a daily job's inputs do."""
    done = subprocess.run(
        [BUILDER, "make", str(inputs), "--out", str(out), "--json"],
        env=builder_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _manifest(release: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((release / "manifest.json").read_text())
    return loaded


def _versions(dataset: Path) -> list[Path]:
    def number(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.name.split("."))

    return sorted((dataset / "versions").iterdir(), key=number)


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(inputs, dataset): two days in the first build, then ten daily builds."""
    root = tmp_path_factory.mktemp("grown")
    daily = daily_corpus_module()
    corpus = daily.DailyCorpus(root / "in", daily.Settings(per_day=5, mean_size=1500, seed=3))
    corpus.write_day()
    corpus.write_day()
    _make(root / "in", root / "ds")
    for _ in range(10):
        corpus.write_day()
        assert _make(root / "in", root / "ds")["published"]
    return root / "in", root / "ds"


@pytest.mark.slow
def test_every_old_version_loads_and_validates_after_ten_more_versions(
    grown: tuple[Path, Path], tmp_path: Path
) -> None:
    _, dataset = grown
    releases = _versions(dataset)
    assert len(releases) == 11
    os.environ["HF_HUB_OFFLINE"] = "1"
    for index, release in enumerate(releases):
        manifest = _manifest(release)
        for name in contract.TABLES:
            loaded = datasets.load_dataset(
                str(release), name, split="train", cache_dir=str(tmp_path / f"c{index}")
            )
            assert loaded.num_rows == manifest["row_counts"][name], (release.name, name)
            read = pq.read_table(version_paths(release, name))
            assert contract.content_hash(read) == manifest["content_hash"][name]
        report = validate_release(release, check_croissant=index == 0)
        assert report.ok, (release.name, report.findings)
    latest = datasets.load_dataset(str(dataset), "dumps", split="train", cache_dir=str(tmp_path))
    assert latest.num_rows == _manifest(releases[-1])["row_counts"]["dumps"] == 60


@pytest.mark.slow
def test_versions_share_their_files_and_store_each_once(grown: tuple[Path, Path]) -> None:
    _, dataset = grown
    stored = sorted((dataset / "data").glob("*/*.parquet"))
    listed: Counter[Path] = Counter()
    for release in _versions(dataset):
        for name in contract.TABLES:
            listed.update(path.resolve() for path in version_paths(release, name))
    assert {path.resolve() for path in stored} == set(listed)  # nothing unlisted
    digests = [path.name.rsplit("-", 1)[1] for path in stored]
    assert len(set(digests)) == len(digests)  # no content stored twice
    # The first day's dumps and sightings never change: every version lists them.
    first_day = [p for p in listed if p.name.startswith("2025-06-01") and "articles" not in str(p)]
    assert len(first_day) == 2 and all(listed[p] == 11 for p in first_day)
    # Stored once, the folder is far smaller than eleven copies would be (each version
    # of this small corpus rewrites its last days, a large share of its few days).
    stored_bytes = sum(path.stat().st_size for path in stored)
    listed_bytes = sum(path.stat().st_size * count for path, count in listed.items())
    assert stored_bytes * 2 < listed_bytes


@pytest.mark.slow
def test_a_from_scratch_build_gives_the_last_version_files(
    grown: tuple[Path, Path], tmp_path: Path
) -> None:
    inputs, dataset = grown
    last = _manifest(_versions(dataset)[-1])
    report = _make(inputs, tmp_path / "scratch")
    again = _manifest(tmp_path / "scratch" / "versions" / report["version"])
    assert again["content_hash"] == last["content_hash"]
    for name in contract.TABLES:
        assert table_files(again, name) == table_files(last, name)


def _build_days(root: Path, days: int) -> Path:
    daily = daily_corpus_module()
    corpus = daily.DailyCorpus(root / "in", daily.Settings(per_day=3, mean_size=1200, seed=5))
    for _ in range(days):
        corpus.write_day()
        build([str(root / "in")], root / "ds")
    return root / "ds"


def _findings(spec: str) -> list[dict[str, Any]]:
    result = run_cli("validate", spec, "--format", "json", "--no-croissant")
    assert result.exit_code == 1, result.output
    found: list[dict[str, Any]] = json.loads(result.output)["findings"]
    return found


def test_a_damaged_or_missing_shared_file_is_reported_for_every_version_listing_it(
    tmp_path: Path,
) -> None:
    dataset = _build_days(tmp_path, 3)
    versions = [release.name for release in _versions(dataset)]
    assert versions == ["1.0.0", "1.1.0", "1.2.0"] or len(versions) == 3
    first = dataset / "versions" / versions[0]
    [dumps_file] = version_paths(first, "dumps")  # day one: listed by every version
    [sightings_file] = version_paths(first, "sightings")
    data = bytearray(dumps_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dumps_file.write_bytes(bytes(data))
    sightings_file.unlink()
    damaged = f"../../data/dumps/{dumps_file.name}"
    missing = f"../../data/sightings/{sightings_file.name}"
    for version in versions:
        findings = _findings(f"{dataset}@{version}")
        assert any(
            f["table"] == "files" and f["column"] == damaged and "sha256" in f["check"]
            for f in findings
        ), (version, findings)
        assert any(
            f["table"] == "files" and f["column"] == missing and f["check"] == "listed file exists"
            for f in findings
        ), (version, findings)


def _dumps(n: int) -> pa.Table:
    row = example_tables()["dumps"].slice(0, 1).to_pylist()[0]
    rows = [
        row | {"dump_id": f"{i:016x}", "path": f"pages/day/{i:06d}.txt", "sha256": f"{i:064x}"}
        for i in range(n)
    ]
    return contract.to_arrow("dumps", rows)


@pytest.mark.parametrize("n", [20_000])
def test_the_manifest_does_not_grow_with_the_inputs(tmp_path: Path, n: int) -> None:
    sizes = {}
    for count in (3, n):
        tables = {**example_tables(), "dumps": _dumps(count)}
        inputs = tables["dumps"].select(["path", "sha256", "size_bytes"])
        release = publish_release(
            tmp_path / str(count), tables, version="1.0.0", settings={}, inputs=inputs
        )
        sizes[count] = (release.path / "manifest.json").stat().st_size
        assert release.manifest["inputs_sha256"] == contract.inputs_digest(tables["dumps"])
    assert sizes[n] < 100_000
    assert abs(sizes[n] - sizes[3]) < 100  # only digits of row counts and sizes differ


def _spilled(table: pa.Table, folder: Path) -> SpilledTable:
    """`table` as a build that spilled it holds it: IPC stream files, cut in two."""
    folder.mkdir(parents=True)
    half = table.num_rows // 2
    files = []
    for index, part in enumerate((table.slice(0, half), table.slice(half))):
        path = folder / f"{index:05d}.arrows"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(part)
        files.append(path)
    return SpilledTable(table.schema, tuple(files), table.num_rows)


def test_spilled_tables_give_the_files_tables_in_memory_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large build publishes tables spilled to disk, read once per day: the files
    must be the ones the same rows give from memory, across several days."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1751371200")
    tables = example_tables()
    days = {day for day in tables["dumps"].column("captured_at").to_pylist()}
    assert len({d.date() for d in days}) > 1  # the rows span several days
    held = publish_release(tmp_path / "a", tables, version="1.0.0", settings={}, inputs=[])
    spilled = {
        name: _spilled(table, tmp_path / "spill" / name) if name != "dumps" else table
        for name, table in tables.items()
    }
    disk = publish_release(
        tmp_path / "b", spilled, version="1.0.0", settings={}, inputs=[], rows_per_shard=1
    )
    small = publish_release(
        tmp_path / "c", tables, version="1.0.0", settings={}, inputs=[], rows_per_shard=1
    )
    assert disk.manifest == small.manifest
    assert disk.manifest["content_hash"] == held.manifest["content_hash"]
    for name in contract.TABLES:
        one = [p.read_bytes() for p in version_paths(disk.path, name)]
        two = [p.read_bytes() for p in version_paths(small.path, name)]
        assert one == two and len(one) == tables[name].num_rows


def test_a_spilled_tables_rows_per_day_are_counted_from_its_day_column(tmp_path: Path) -> None:
    """One memory-mapped pass over the day's column gives what labelling every row of
    the whole table gives; the column comes back as the table holds it."""
    tables = example_tables()
    where = placement(tables)
    days = 0
    for name, table in tables.items():
        spilled = _spilled(table, tmp_path / name)
        column = _DAY_COLUMN[name]
        assert pa.chunked_array(list(spilled.column(column))).equals(table.column(column))
        plain = Counter(_labels(name, table, where).to_pylist())
        assert _rows_per_day(name, spilled, where) == dict(plain)
        assert sum(plain.values()) == table.num_rows
        days = max(days, len(plain))
    assert days > 1  # a table with rows on several days was counted


def test_a_days_label_is_what_strftime_gives_for_every_instant() -> None:
    """Days are formatted once per distinct day: the labels are strftime's, row for row,
    before 1970 and after, at the edges of a day, over every unit, chunked, with nulls."""
    rng = np.random.default_rng(7)
    micros = rng.integers(-62_135_596_800 * 10**6, 253_402_300_799 * 10**6, 20_000)
    day = 86_400 * 10**6
    edges = [-day - 1, -day, -1, 0, day - 1, day]
    for unit, per in (("s", 10**6), ("ms", 10**3), ("us", 1)):
        values = [*(int(v) // per for v in micros), *(e // per for e in edges), None]
        for tz in ("UTC", None, "+02:00"):
            array = pa.array(values, pa.timestamp(unit, tz=tz))
            chunked = pa.chunked_array([array.slice(0, 7), array.slice(7)])
            expected = pc.strftime(array, format="%Y-%m-%d")
            assert _day(array).equals(expected), (unit, tz)
            assert _day(chunked).equals(expected), (unit, tz)
    assert _day(pa.array([], pa.timestamp("us", tz="UTC"))).to_pylist() == []


def test_a_damaged_latest_release_stops_the_next_build_in_one_line(tmp_path: Path) -> None:
    """The next version is numbered against the latest one: when a shared file of it is
    damaged, the build says so in one line, publishes nothing and leaves it as it was."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    samples = sorted((Path(__file__).resolve().parents[2] / "samples" / "dumps").glob("*.txt"))
    for page in samples[:4]:
        (inputs / page.name).write_bytes(page.read_bytes())
    out = tmp_path / "ds"
    args = ["make", str(inputs), "--out", str(out), "--captured-at", "2025-07-01T12:00:00Z"]
    assert run_cli(*args).exit_code == 0
    [shard] = sorted((out / "data" / "articles").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:100])
    (inputs / "new.txt").write_bytes(samples[4].read_bytes())
    done = subprocess.run(
        [BUILDER, *args], env=builder_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    [line] = done.stderr.strip().splitlines()
    assert "the latest release 1.0.0 cannot be read" in line and "nothing published" in line
    assert sorted(p.name for p in (out / "versions").iterdir()) == ["1.0.0"]


@pytest.mark.slow
def test_an_append_rewrites_only_the_article_files_whose_rows_changed(
    grown: tuple[Path, Path],
) -> None:
    """Articles are stored by the day they were first seen, and an article seen again
    changes nothing in its row (contract 3 keeps no count): each old day's articles file
    whose rows all stay the same is listed again as it was, byte for byte, however often
    its articles were shown again; only the files holding a changed row are rewritten."""
    _, dataset = grown
    releases = _versions(dataset)
    kept: Counter[bool] = Counter()
    for old, new in itertools.pairwise(releases):
        after = pq.read_table(version_paths(new, "articles"))
        now = dict(zip(after.column("article_id").to_pylist(), after.to_pylist(), strict=True))
        listed = {path.name for path in version_paths(new, "articles")}
        for path in version_paths(old, "articles"):
            rows = pq.read_table(path).to_pylist()
            day = path.name[:10]
            joined = [a for a in now.values() if a["first_seen_at"].date().isoformat() == day]
            same = all(now[row["article_id"]] == row for row in rows) and len(joined) == len(rows)
            assert (path.name in listed) == same, (old.name, new.name, path.name)
            kept[same] += 1
    assert kept[True] > kept[False] > 0  # old days stay as they were; recent ones change
    # Every article is in its first day's file in the last version, evergreens too.
    last = releases[-1]
    shown_late = 0
    seen_on = _sighting_days(last)
    for path in version_paths(last, "articles"):
        for row in pq.read_table(path, columns=["article_id", "first_seen_at"]).to_pylist():
            first = row["first_seen_at"].date()
            assert path.name.startswith(first.isoformat())
            shown_late += max(seen_on[row["article_id"]]) - first > timedelta(days=3)
    assert shown_late > 0  # the corpus's evergreens: shown more than three days later


def _sighting_days(release: Path) -> dict[str, list[date]]:
    dumps = pq.read_table(version_paths(release, "dumps"), columns=["dump_id", "captured_at"])
    day_of = {d["dump_id"]: d["captured_at"].date() for d in dumps.to_pylist()}
    seen: dict[str, list[date]] = {}
    sightings = pq.read_table(
        version_paths(release, "sightings"), columns=["article_id", "dump_id"]
    )
    for s in sightings.to_pylist():
        seen.setdefault(s["article_id"], []).append(day_of[s["dump_id"]])
    return seen


@pytest.mark.parametrize(("row_group", "rows_per_shard"), [(3, 7), (4, 8), (64, 500_000)])
def test_a_spilled_table_of_one_day_gives_the_files_of_the_table_in_memory(
    tmp_path: Path, row_group: int, rows_per_shard: int
) -> None:
    """A spilled table of a single day is read a row group at a time (not a STEP): the
    row groups, shards and the content digest must stay those of the rows alone,
    whether or not a row group divides a shard."""
    dumps = _dumps(50)
    assert len(set(_labels("dumps", dumps, placement({"dumps": dumps})).to_pylist())) == 1
    where = placement({"dumps": dumps})
    settings = {**PARQUET_SETTINGS, "row_group_size": row_group}
    written = {}
    for kind, table in (("memory", dumps), ("spilled", _spilled(dumps, tmp_path / "spill"))):
        staging = tmp_path / kind
        written[kind] = write_table(
            "dumps", table, staging, where=where, settings=settings, rows_per_shard=rows_per_shard
        )
        files = sorted((staging / "data" / "dumps").glob("*.parquet"))
        assert [p.name for p in files] == [f.name for f in written[kind].files]
        groups = [pq.ParquetFile(p).metadata.num_row_groups for p in files]
        expected = [-(-f.rows // row_group) for f in written[kind].files]
        assert groups == expected
    assert written["memory"] == written["spilled"]


def test_spilled_tables_are_written_side_by_side_only_when_allowed_and_give_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`parallel` (a build allowed more than one core) writes the spilled tables in a
    thread each; without it, one thread writes them all (a one-worker build stays on one
    core). The files are the same either way."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1751371200")
    tables = example_tables()
    threads: dict[bool, set[int]] = {}
    original = store.write_table

    def recording(*args: Any, **kwargs: Any) -> store.WrittenTable:
        threads[parallel].add(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "write_table", recording)
    files = {}
    for parallel in (False, True):
        threads[parallel] = set()
        spilled = {
            name: _spilled(table, tmp_path / f"spill-{parallel}" / name)
            for name, table in tables.items()
        }
        release = publish_release(
            tmp_path / f"out-{parallel}",
            spilled,
            version="1.0.0",
            settings={},
            inputs=[],
            parallel=parallel,
        )
        files[parallel] = {
            name: [p.read_bytes() for p in version_paths(release.path, name)]
            for name in contract.TABLES
        }
    assert len(threads[False]) == 1
    assert len(threads[True]) > 1  # a thread per table, as the pool starts them
    assert files[True] == files[False]
