"""Releases on disk, read back by the readers our users have: datasets, pandas, polars.

`datasets` reads HF_HUB_OFFLINE at import time, so every load runs in a fresh Python
process with the offline variables set: that is the only way to be sure the test
exercises the offline path whatever else the test session imported before.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import builder
from builder import contract
from builder.release import store
from builder.release.manifest import dump_json
from builder.release.parquet import write_parquet
from builder.release.publish import Release, publish_release
from builder.release.store import placement, store_path, table_digest, table_files, version_paths
from builder.release.versions import latest_version
from tests.rows import example_rows, example_tables

TESTS_DIR = Path(__file__).resolve().parents[1]
EPOCH = "1741910400"  # 2025-03-14T00:00:00Z
INPUTS = [
    {"path": "pages/2025-03-14/front.txt", "sha256": "1" * 64, "size_bytes": 18_204},
    {"path": "pages/2025-03-14/business.txt", "sha256": "2" * 64, "size_bytes": 9_870},
    {"path": "export/crawl.jsonl", "sha256": "3" * 64, "size_bytes": 15},
]
SETTINGS = {"layouts": ["classic-en"], "engine": "local", "workers": 2}


def _publish(dataset_dir: Path, version: str = "1.0.0", **kwargs: Any) -> Release:
    tables = kwargs.pop("tables", None) or example_tables()
    return publish_release(
        dataset_dir, tables, version=version, settings=SETTINGS, inputs=INPUTS, **kwargs
    )


# --- loading in a separate, offline process ---------------------------------------------

_LOADER = textwrap.dedent(
    """
    import json, sys
    from datetime import datetime

    import datasets

    def encode(value):
        if isinstance(value, datetime):
            return {"$datetime": value.isoformat()}
        raise TypeError(type(value))

    results = []
    for spec in json.loads(sys.argv[1]):
        ds = datasets.load_dataset(spec["path"], spec["config"], split="train",
                                   cache_dir=spec["cache_dir"])
        results.append({"rows": ds.to_list(), "features": ds.features._to_yaml_list()})
    print("RESULT " + json.dumps(results, default=encode))
    """
)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(type(value))


def _expected(table: pa.Table) -> list[dict[str, Any]]:
    """The rows in the JSON form the loader process reports them in."""
    loaded: list[dict[str, Any]] = json.loads(json.dumps(table.to_pylist(), default=_encode))
    return loaded


def _load(tmp_path: Path, *specs: tuple[Path, str | None, Path]) -> list[dict[str, Any]]:
    """load_dataset(path, config, cache_dir=...) for each spec, offline, in one process."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    }
    payload = json.dumps(
        [{"path": str(p), "config": c, "cache_dir": str(cache)} for p, c, cache in specs]
    )
    done = subprocess.run(
        [sys.executable, "-c", _LOADER, payload],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    [line] = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    results: list[dict[str, Any]] = json.loads(line.removeprefix("RESULT "))
    return results


def _timestamps(rows: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "$datetime" in value:
                found.append(value["$datetime"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(rows)
    return found


# --- datasets ------------------------------------------------------------------------


def test_load_dataset_reads_every_config_offline(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    _publish(dataset_dir)
    tables = example_tables()

    default, sightings, dumps = _load(
        tmp_path,
        (dataset_dir, None, tmp_path / "cache-1"),
        (dataset_dir, "sightings", tmp_path / "cache-2"),
        (dataset_dir, "dumps", tmp_path / "cache-3"),
    )

    assert default["rows"] == _expected(tables["articles"])
    assert sightings["rows"] == _expected(tables["sightings"])
    assert dumps["rows"] == _expected(tables["dumps"])
    for name, result in zip(contract.TABLES, (default, sightings, dumps), strict=True):
        assert result["features"] == contract.features(name)._to_yaml_list()
    stamps = _timestamps([default["rows"], sightings["rows"], dumps["rows"]])
    assert stamps and all(stamp.endswith("+00:00") for stamp in stamps)  # tz-aware, UTC
    assert dumps["rows"][1]["captured_at"] == {"$datetime": "2025-03-14T10:05:12.250000+00:00"}
    assert [d["status"] for d in dumps["rows"]] == ["parsed", "parsed", "quarantined"]


def _changed_tables() -> dict[str, pa.Table]:
    """Version 2: the teaser of one article became its full text."""
    rows = example_rows()
    rows["articles"][1]["text"] = "Dock workers walked out again on Monday. Full story."
    rows["articles"][1]["text_is_teaser"] = False
    tables = example_tables()
    tables["articles"] = contract.to_arrow("articles", rows["articles"])
    return tables


def test_new_version_is_loaded_and_old_version_stays_loadable(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    shared_cache = tmp_path / "shared-cache"
    _publish(dataset_dir, "1.0.0")
    [before] = _load(tmp_path, (dataset_dir, None, shared_cache))
    old, new = example_tables()["articles"], _changed_tables()["articles"]
    assert before["rows"] == _expected(old)

    _publish(dataset_dir, "2.0.0", tables=_changed_tables(), previous_version="1.0.0")
    assert latest_version(dataset_dir) == "2.0.0"

    latest_shared, latest_fresh, v1_fresh, v1_shared = _load(
        tmp_path,
        (dataset_dir, None, shared_cache),  # the stale-cache trap: same DIR, same cache
        (dataset_dir, None, tmp_path / "fresh-1"),
        (dataset_dir / "versions" / "1.0.0", None, tmp_path / "fresh-2"),
        (dataset_dir / "versions" / "1.0.0", None, shared_cache),
    )
    assert latest_shared["rows"] == _expected(new)
    assert latest_fresh["rows"] == _expected(new)
    assert v1_fresh["rows"] == _expected(old)
    assert v1_shared["rows"] == _expected(old)
    assert latest_fresh["rows"][1]["text_is_teaser"] is False


def test_sharded_release_still_loads(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    release = _publish(dataset_dir, rows_per_shard=2)
    files = release.manifest["files"]
    parquet = {path: entry for path, entry in files.items() if path.endswith(".parquet")}
    assert sorted(files) == [*sorted(parquet), "croissant.json"]
    for name, table in example_tables().items():
        mine = [entry for path, entry in parquet.items() if path.startswith(f"../../data/{name}/")]
        assert len(mine) >= 2  # cut by day, then into shards of two rows
        assert all(1 <= entry["rows"] <= 2 for entry in mine)
        assert sum(entry["rows"] for entry in mine) == table.num_rows
    for path in parquet:  # in the shared store, named <day>-<shard>-<sha256 prefix>
        day, shard, digest = Path(path).stem.rsplit("-", 2)
        assert len(day) == 10 and len(shard) == 5 and parquet[path]["sha256"].startswith(digest)
        assert (release.path / path).resolve().is_file()

    results = _load(
        tmp_path,
        *[(dataset_dir, name, tmp_path / f"cache-{name}") for name in contract.TABLES],
    )
    for name, result in zip(contract.TABLES, results, strict=True):
        assert result["rows"] == _expected(example_tables()[name]), name


# --- pandas and polars ----------------------------------------------------------------


def test_pandas_and_polars_read_every_shard(tmp_path: Path) -> None:
    release = _publish(tmp_path / "news", rows_per_shard=2)
    for name, table in example_tables().items():
        shards = version_paths(release.path, name)
        assert len(shards) >= 2
        frames = [pd.read_parquet(shard) for shard in shards]
        pandas_rows = pd.concat(frames, ignore_index=True)
        assert list(pandas_rows.columns) == table.column_names
        assert len(pandas_rows) == table.num_rows
        polars_rows = pl.concat([pl.read_parquet(shard) for shard in shards])
        assert polars_rows.columns == table.column_names
        assert sorted(polars_rows.to_dicts(), key=repr) == sorted(table.to_pylist(), key=repr)
    dumps = pd.concat(pd.read_parquet(s) for s in version_paths(release.path, "dumps"))
    assert str(dumps["captured_at"].dtype) == "datetime64[us, UTC]"
    assert dumps["status"].tolist() == ["parsed", "parsed", "quarantined"]


def test_parquet_files_keep_the_contract_schema_and_no_pandas_metadata(tmp_path: Path) -> None:
    release = _publish(tmp_path / "news")
    for name in contract.TABLES:
        for shard in version_paths(release.path, name):
            schema = pq.read_schema(shard)
            assert schema.equals(contract.arrow_schema(name))  # int32, tz=UTC, not-null kept
            assert b"pandas" not in (schema.metadata or {})
            metadata = pq.read_metadata(shard)
            assert metadata.row_group(0).column(0).compression == "ZSTD"


# --- reproducibility -------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_tables_give_byte_identical_releases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first = tmp_path / "a" / "news"
    second = tmp_path / "b" / "elsewhere" / "other-name"
    _publish(first, "1.0.0")
    _publish(second, "1.0.0", tables={k: v for k, v in reversed(example_tables().items())})
    one, two = _tree(first), _tree(second)
    assert sorted(one) == sorted(two)
    assert {name for name in one if not name.startswith("data/")} == {
        "CHANGELOG.md",
        "README.md",
        "versions/1.0.0/README.md",
        "versions/1.0.0/croissant.json",
        "versions/1.0.0/manifest.json",
    }
    assert {name.split("/")[1] for name in one if name.startswith("data/")} == set(contract.TABLES)
    assert one == two
    manifest = json.loads(one["versions/1.0.0/manifest.json"])
    assert manifest["build_time"] == "2025-03-14T00:00:00Z"


def test_write_parquet_is_deterministic(tmp_path: Path) -> None:
    table = example_tables()["articles"]
    write_parquet(table, tmp_path / "one.parquet")
    write_parquet(table.replace_schema_metadata({b"pandas": b"{}"}), tmp_path / "two.parquet")
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()


# --- manifest, card, changelog ----------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_describes_the_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    release = _publish(tmp_path / "news", rows_per_shard=2)
    text = (release.path / "manifest.json").read_text()
    manifest = json.loads(text)
    assert manifest == release.manifest
    # Compact, yet one line per file: a fifth smaller than indent=2, and diffable.
    assert text.endswith("}\n") and text == dump_json(manifest, "manifest")
    assert len(text) < 0.85 * len(json.dumps(manifest, sort_keys=True, indent=2))
    lines = set(text.splitlines())
    for key, entry in manifest["files"].items():
        assert f"{json.dumps(key)}:{json.dumps(entry, sort_keys=True, separators=(',', ':'))}" in {
            line.rstrip(",") for line in lines
        }
    assert manifest["version"] == "1.0.0" and manifest["previous_version"] is None
    assert manifest["contract_version"] == contract.CONTRACT_VERSION
    assert manifest["builder_version"] == builder.__version__
    assert manifest["parser_version"] == builder.PARSER_VERSION
    assert manifest["pyarrow_version"] == pa.__version__
    assert manifest["settings"] == SETTINGS and "inputs" not in manifest
    inputs = pa.Table.from_pylist(list(INPUTS))
    assert manifest["inputs_sha256"] == contract.inputs_digest(inputs)
    assert (
        manifest["row_counts"]
        == release.row_counts
        == {
            "articles": 3,
            "sightings": 4,
            "dumps": 3,
        }
    )
    for relative, entry in manifest["files"].items():
        path = store_path(release.path, relative)
        assert entry["sha256"] == _sha256(path)
        assert entry["size_bytes"] == path.stat().st_size
        if relative.endswith(".parquet"):
            assert entry["rows"] == pq.read_metadata(path).num_rows
    for name, table in example_tables().items():
        # The content hash is writer-independent: the shards read back hash the same.
        shards = version_paths(release.path, name)
        read_back = pa.concat_tables(pq.read_table(shard) for shard in shards)
        assert manifest["content_hash"][name] == contract.content_hash(read_back)
        where = placement(example_tables())
        assert manifest["content_hash"][name] == table_digest(name, table, where)


def _front_matter(card: str) -> dict[str, Any]:
    assert card.startswith("---\n")
    front, _, _ = card.removeprefix("---\n").partition("\n---\n")
    data: dict[str, Any] = yaml.safe_load(front)
    return data


def test_cards_point_at_their_own_files(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    release = _publish(dataset_dir)
    top = _front_matter((dataset_dir / "README.md").read_text())
    own = _front_matter((release.path / "README.md").read_text())
    listed = {
        name: [key.removeprefix("../../") for key in table_files(release.manifest, name)]
        for name in contract.TABLES
    }
    for card, prefix in ((top, ""), (own, "../../")):
        assert [c["config_name"] for c in card["configs"]] == list(contract.TABLES)
        assert card["configs"][0]["default"] is True
        assert all("default" not in c for c in card["configs"][1:])
        for config in card["configs"]:
            name = config["config_name"]
            paths = [f"{prefix}{path}" for path in listed[name]]
            assert config["data_files"] == [{"split": "train", "path": paths}]
        for info, name in zip(card["dataset_info"], contract.TABLES, strict=True):
            assert info["config_name"] == name
            assert info["features"] == contract.features(name)._to_yaml_list()
            [split] = info["splits"]
            assert split["name"] == "train"
            assert split["num_examples"] == release.row_counts[name]
            assert split["num_bytes"] > 0
    assert top["dataset_info"] == own["dataset_info"]
    body = (dataset_dir / "README.md").read_text()
    assert "from datasets import load_dataset" in body
    assert "2 parsed, 1 quarantined" in body
    assert f"data contract {contract.CONTRACT_VERSION}" in body


def test_changelog_gets_a_line_per_version(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    _publish(dataset_dir, "1.0.0")
    _publish(dataset_dir, "1.1.0", previous_version="1.0.0")
    headings = [
        line
        for line in (dataset_dir / "CHANGELOG.md").read_text().splitlines()
        if line[:3] == "## "
    ]
    assert headings == [
        "## 1.0.0 — 3 articles, 4 sightings, 3 dumps (2 parsed, 1 quarantined)",
        "## 1.1.0 — 3 articles, 4 sightings, 3 dumps (2 parsed, 1 quarantined)",
    ]


# --- versions and refusals --------------------------------------------------------------


def test_latest_version_compares_numerically(tmp_path: Path) -> None:
    assert latest_version(tmp_path) is None
    for name in ("1.9.0", "1.10.0", "0.20.3", "not-a-version", "2.0"):
        (tmp_path / "versions" / name).mkdir(parents=True)
    assert latest_version(tmp_path) == "1.10.0"


def test_existing_version_is_refused(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    _publish(dataset_dir)
    before = _tree(dataset_dir)
    with pytest.raises(FileExistsError, match=r"1\.0\.0 already exists.*immutable"):
        _publish(dataset_dir)
    assert _tree(dataset_dir) == before


def test_older_version_and_bad_arguments_are_refused(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    _publish(dataset_dir, "1.2.0")
    with pytest.raises(ValueError, match="not newer"):
        _publish(dataset_dir, "1.1.9")
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH"):
        _publish(dataset_dir, "v2")
    with pytest.raises(ValueError, match=r"previous version 0\.9\.0"):
        _publish(dataset_dir, "2.0.0", previous_version="0.9.0")
    with pytest.raises(ValueError, match="rows_per_shard"):
        _publish(dataset_dir, "2.0.0", rows_per_shard=0)
    assert latest_version(dataset_dir) == "1.2.0"


def test_settings_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="JSON-serialisable"):
        publish_release(
            tmp_path, example_tables(), version="1.0.0", settings={"out": tmp_path}, inputs=[]
        )
    assert list(tmp_path.iterdir()) == []


def test_tables_must_match_the_contract(tmp_path: Path) -> None:
    tables = example_tables()
    with pytest.raises(ValueError, match="exactly the tables"):
        _publish(tmp_path, tables={"articles": tables["articles"]})
    loose = tables["dumps"].cast(pa.schema([f.with_nullable(True) for f in tables["dumps"].schema]))
    with pytest.raises(ValueError, match="'dumps' does not match the contract"):
        _publish(tmp_path, tables={**tables, "dumps": loose})
    assert not (tmp_path / "versions").exists()


# --- atomicity ------------------------------------------------------------------------


def test_leftover_temporary_directories_are_removed(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    dead = dataset_dir / ".tmp-1.0.0-999999999"  # above any pid_max: that run is gone
    (dead / "articles").mkdir(parents=True)
    (dead / "articles" / "train-00000-of-00001.parquet").write_bytes(b"half a file")
    unnamed = dataset_dir / ".tmp-README.md-999999998"
    unnamed.write_text("half a card")
    live = dataset_dir / f".tmp-3.0.0-{os.getppid()}"  # a concurrent publish: keep
    live.mkdir()

    _publish(dataset_dir)

    assert not dead.exists() and not unnamed.exists()
    assert live.exists()
    assert sorted(p.name for p in dataset_dir.iterdir()) == sorted(
        [live.name, "CHANGELOG.md", "README.md", "data", "versions"]
    )


_KILLED = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path

    sys.path.insert(0, sys.argv[2])
    from rows import example_tables
    from builder.release import publish, store

    real = store.sha256_and_sync

    def write_then_die(path):
        real(path)
        os._exit(9)  # like SIGKILL: no cleanup runs

    store.sha256_and_sync = write_then_die
    publish.publish_release(Path(sys.argv[1]), example_tables(), version="1.0.0",
                            settings={}, inputs=[])
    """
)


def test_killed_publish_leaves_no_version_and_is_cleaned_next_time(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "news"
    done = subprocess.run(
        [sys.executable, "-c", _KILLED, str(dataset_dir), str(TESTS_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 9, done.stderr
    assert latest_version(dataset_dir) is None
    assert not (dataset_dir / "README.md").exists()
    [leftover] = dataset_dir.glob(".tmp-1.0.0-*")
    assert list(leftover.rglob("*.parquet"))

    release = _publish(dataset_dir)

    assert not leftover.exists()
    assert release.path == dataset_dir / "versions" / "1.0.0"
    assert latest_version(dataset_dir) == "1.0.0"


def test_failed_publish_removes_its_staging_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset_dir = tmp_path / "news"
    _publish(dataset_dir, "1.0.0")
    card = (dataset_dir / "README.md").read_bytes()
    calls: list[Path] = []

    real = store.sha256_and_sync

    def fail_on_second_file(path: Path) -> tuple[str, int]:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(path)

    monkeypatch.setattr(store, "sha256_and_sync", fail_on_second_file)
    with pytest.raises(OSError, match="disk full"):
        _publish(dataset_dir, "1.1.0")
    assert latest_version(dataset_dir) == "1.0.0"
    assert (dataset_dir / "README.md").read_bytes() == card
    assert sorted(p.name for p in dataset_dir.iterdir()) == [
        "CHANGELOG.md",
        "README.md",
        "data",
        "versions",
    ]


def test_empty_tables_still_publish(tmp_path: Path) -> None:
    empty: Mapping[str, pa.Table] = {name: contract.to_arrow(name, []) for name in contract.TABLES}
    release = publish_release(tmp_path, empty, version="0.1.0", settings={}, inputs=[])
    assert release.row_counts == {"articles": 0, "sightings": 0, "dumps": 0}
    for name in contract.TABLES:
        [shard] = version_paths(release.path, name)
        assert pq.read_table(shard).schema.equals(contract.arrow_schema(name))
