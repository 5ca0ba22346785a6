"""The per-dump cache: a hit is exactly what the stage returns, only new dumps are
parsed again, a damaged entry or file is never trusted, and a cached build publishes
the very bytes of a full one."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

import builder
from builder.engines.partitioned import per_dump
from builder.inputs.read import read_dumps
from builder.parse.extract import extract
from builder.records import DumpResult, RawDump
from builder.release.cache import CachedStage, cache_key, cache_path, decode_result, encode_result
from tests.releasing import WHEN, corpus, make, tree_hashes

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"


def _raws(*specs: Path) -> list[RawDump]:
    from datetime import datetime

    when = datetime.fromisoformat(WHEN.replace("Z", "+00:00"))
    return list(read_dumps([str(s) for s in specs], captured_at=when))


class Counting:
    """The real per-dump stage, counting the dumps it is asked to parse."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    def __call__(self, raw: RawDump) -> DumpResult:
        self.parsed.append(raw.path)
        return per_dump(raw)


def test_encoded_results_decode_to_what_extract_returned(tmp_path: Path) -> None:
    raws = _raws(SAMPLES) + _raws(corpus(tmp_path / "c", 30, seed=5))
    results = [extract(raw) for raw in raws]
    assert any(r.dump.status == "quarantined" for r in results)
    assert any(s.repairs for r in results for s in r.sightings)
    for result in results:
        assert decode_result(encode_result(result)) == result


def test_second_pass_parses_only_new_and_changed_dumps(tmp_path: Path) -> None:
    root = corpus(tmp_path / "in", 20, seed=6)
    stage = Counting()
    cached = CachedStage(tmp_path / "ds" / ".cache" / "c.sqlite", stage)
    first = [cached(raw) for raw in _raws(root)]
    assert len(stage.parsed) == 20
    shutil.copy(root / "000003.txt", root / "copy.txt")  # same bytes, another path
    (root / "000007.txt").write_bytes((root / "000007.txt").read_bytes() + b"\n")
    stage.parsed.clear()
    second = [cached(raw) for raw in _raws(root)]
    assert sorted(stage.parsed) == ["000007.txt", "copy.txt"]
    same = [r for r in second if r.dump.path not in ("000007.txt", "copy.txt")]
    assert same == [r for r in first if r.dump.path != "000007.txt"]
    assert second == [per_dump(raw) for raw in _raws(root)]


def test_key_holds_everything_the_result_depends_on(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _raws(SAMPLES / "01_logo_article.txt")[0]
    sha = "0" * 64
    key = cache_key(raw, sha)
    others = {
        cache_key(replace(raw, path="elsewhere.txt"), sha),
        cache_key(replace(raw, captured_at=raw.captured_at.replace(year=2024)), sha),
        cache_key(replace(raw, captured_at_source="mtime"), sha),
        cache_key(replace(raw, url="https://example.org/a"), sha),
        cache_key(raw, "1" * 64),
    }
    monkeypatch.setattr(builder, "PARSER_VERSION", "999")
    others.add(cache_key(raw, sha))
    monkeypatch.setattr(builder, "__version__", "999.0.0")
    others.add(cache_key(raw, sha))
    assert key not in others and len(others) == 7


def test_a_damaged_entry_is_parsed_again_not_trusted(tmp_path: Path) -> None:
    root = corpus(tmp_path / "in", 5, seed=7)
    path = tmp_path / "c.sqlite"
    stage = Counting()
    expected = [CachedStage(path, stage)(raw) for raw in _raws(root)]
    with sqlite3.connect(path) as db:  # a torn value, and a valid one for another dump
        keys = [row[0] for row in db.execute("SELECT key FROM results ORDER BY key")]
        db.execute("UPDATE results SET value = substr(value, 1, 40) WHERE key = ?", (keys[0],))
        other = db.execute("SELECT checksum, value FROM results WHERE key = ?", (keys[2],))
        checksum, value = other.fetchone()
        db.execute(
            "UPDATE results SET checksum = ?, value = ? WHERE key = ?", (checksum, value, keys[1])
        )
    stage.parsed.clear()
    again = [CachedStage(path, stage)(raw) for raw in _raws(root)]
    assert again == expected and len(stage.parsed) == 2


def test_a_torn_cache_file_is_replaced(tmp_path: Path) -> None:
    root = corpus(tmp_path / "in", 5, seed=8)
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 300)  # a header, then garbage
    stage = Counting()
    results = [CachedStage(path, stage)(raw) for raw in _raws(root)]
    assert results == [per_dump(raw) for raw in _raws(root)] and len(stage.parsed) == 5


def test_incremental_and_full_builds_publish_identical_releases(tmp_path: Path) -> None:
    root = tmp_path / "in"
    corpus(root / "a", 30, seed=9)
    cached, full = tmp_path / "cached", tmp_path / "full"
    make(str(root), "--out", str(cached))
    shutil.copytree(cached, full)
    shutil.rmtree(full / ".cache")
    assert cache_path(cached).is_file()
    assert not any(".cache" in str(p) for p in (cached / "versions").rglob("*"))
    corpus(root / "b", 2, seed=10)
    assert make(str(root), "--out", str(cached))["version"] == "1.1.0"
    assert make(str(root), "--out", str(full), "--no-cache")["version"] == "1.1.0"
    assert not (full / ".cache").exists()  # --no-cache neither reads nor writes it
    assert tree_hashes(cached) == tree_hashes(full)
    with sqlite3.connect(cache_path(cached)) as db:
        assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 32
