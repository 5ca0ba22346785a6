"""Incremental builds (builder.incremental): after dumps are only added, a rebuild parses
the new dumps, merges again only the titles they show, and publishes exactly what a full
build publishes; anything else falls back to the full build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from builder import incremental
from builder.build import BuildReport, build
from builder.inputs import walk
from builder.release.cache import cache_path
from builder.release.store import version_paths
from tests.releasing import EPOCH, builder_env, corpus, make, tree_hashes

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "dumps"
_DIGIT_PUBLISHER = (SAMPLES / "03_logo_digit_publisher.txt").read_text(encoding="utf-8")
#: A main article under an ambiguous glued header: "News9" + "15 hours ago", or "News91"
#: + "5 hours ago"; nothing in the dump names either publisher plainly.
GLUED = _DIGIT_PUBLISHER.replace("Metro243 days ago", "News915 hours ago")
#: Another page, whose card names News9 plainly: it settles the glued header above.
NAMES_NEWS9 = (
    _DIGIT_PUBLISHER.replace("Metro243 days ago", "Riverside Daily3 days ago")
    .replace("Metro24", "News9")
    .replace("Tram depot", "Bus depot")
)
#: Titles no generated dump shows.
NEW_TITLES = (SAMPLES / "01_logo_article.txt").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _build(inputs: Path, out: Path, **options: Any) -> BuildReport:
    return build([str(inputs)], out, **{"captured_at": WHEN, "workers": 1, **options})


def _variants(source: Path, target: Path, count: int) -> None:
    """New dumps that re-sight every title of existing ones (same page, one more line)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.txt"))[:count]:
        (target / f"v-{path.name}").write_bytes(path.read_bytes() + b"\nShared on a new day.\n")


def _same_as_full(dataset: Path, before: Path, inputs: Path, tmp_path: Path) -> BuildReport:
    """Rebuild `inputs` without the cache on a copy of the dataset as it was `before`;
    return that report after checking every published file equals `dataset`'s."""
    full = tmp_path / "full"
    shutil.rmtree(full, ignore_errors=True)
    shutil.copytree(before, full, ignore=shutil.ignore_patterns(".cache"))
    report = _build(inputs, full, cache=False)
    assert report.incremental is None
    assert tree_hashes(full) == tree_hashes(dataset)
    return report


def _snapshot(dataset: Path, tmp_path: Path) -> Path:
    before = tmp_path / "before"
    shutil.rmtree(before, ignore_errors=True)
    shutil.copytree(dataset, before, ignore=shutil.ignore_patterns(".cache"))
    return before


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    """40 generated dumps under in/a, built once into ds/ (with the cache)."""
    inputs, dataset = tmp_path / "in", tmp_path / "ds"
    corpus(inputs / "a", 40, seed=21)
    report = _build(inputs, dataset)
    assert report.incremental is None and report.version == "1.0.0"
    assert (incremental.state_dir(dataset) / incremental.STATE_FILE).is_file()
    return inputs, dataset


def test_added_dumps_rebuild_incrementally_and_match_a_full_build(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    inputs, dataset = built
    for round_, seed in enumerate((22, 23)):  # the state an incremental build leaves works too
        before = _snapshot(dataset, tmp_path)
        corpus(inputs / f"new{round_}", 3, seed=seed)
        _variants(inputs / "a", inputs / f"new{round_}", 2 + round_)
        report = _build(inputs, dataset)
        assert report.incremental is not None, report.message
        assert report.incremental["new_dumps"] == 5 + round_
        assert report.incremental["dumps_reloaded"] >= 2  # old dumps sharing the titles
        assert report.incremental["titles_merged"] > 0
        assert "incremental: " in report.message
        full = _same_as_full(dataset, before, inputs, tmp_path)
        # Re-sighted rows are updated with new evidence: MINOR, no article removed.
        assert report.version == full.version == f"1.{round_ + 1}.0"
        assert report.bump_reason == full.bump_reason and report.bump_reason
        assert report.diff == full.diff and report.diff["articles"].changed > 0
        assert report.diff["articles"].removed == 0


def test_only_new_titles_give_a_minor_version(built: tuple[Path, Path], tmp_path: Path) -> None:
    inputs, dataset = built
    before = _snapshot(dataset, tmp_path)
    (inputs / "b").mkdir()
    (inputs / "b" / "new.txt").write_text(NEW_TITLES, encoding="utf-8")
    report = _build(inputs, dataset)
    assert report.incremental is not None and report.incremental["dumps_reloaded"] == 0
    assert report.version == "1.1.0"
    _same_as_full(dataset, before, inputs, tmp_path)


def test_no_new_input_publishes_nothing(built: tuple[Path, Path]) -> None:
    inputs, dataset = built
    report = _build(inputs, dataset)
    assert not report.published and report.incremental is not None
    assert report.incremental["new_dumps"] == 0 and report.incremental["reused_dumps"] == 40


@pytest.mark.parametrize("how", ["removed", "changed"])
def test_a_removed_or_changed_input_means_a_full_build(
    built: tuple[Path, Path], tmp_path: Path, how: str
) -> None:
    inputs, dataset = built
    before = _snapshot(dataset, tmp_path)
    victim = sorted((inputs / "a").glob("*.txt"))[5]
    if how == "removed":
        victim.unlink()
    else:
        victim.write_bytes(victim.read_bytes().replace(b"\n", b"\n\n", 1))
    corpus(inputs / "b", 2, seed=24)
    report = _build(inputs, dataset)
    assert report.incremental is None and report.published
    _same_as_full(dataset, before, inputs, tmp_path)


def test_a_publisher_an_old_glued_header_could_mean_forces_a_full_build(tmp_path: Path) -> None:
    inputs, dataset = tmp_path / "in", tmp_path / "ds"
    (inputs / "a").mkdir(parents=True)
    (inputs / "a" / "glued.txt").write_text(GLUED, encoding="utf-8")
    assert _build(inputs, dataset).incremental is None
    before = _snapshot(dataset, tmp_path)
    (inputs / "b").mkdir()
    (inputs / "b" / "names.txt").write_text(NAMES_NEWS9, encoding="utf-8")
    report = _build(inputs, dataset)
    assert report.incremental is None  # the old header may read differently now
    _same_as_full(dataset, before, inputs, tmp_path)


def _break_state_json(dataset: Path) -> None:
    (incremental.state_dir(dataset) / incremental.STATE_FILE).write_text("{not json")


def _truncate_index(dataset: Path) -> None:
    index = incremental.state_dir(dataset) / incremental.INDEX_FILE
    index.write_bytes(index.read_bytes()[:50])


def _forget_cache(dataset: Path) -> None:
    shutil.rmtree(cache_path(dataset))


@pytest.mark.parametrize("damage", [_break_state_json, _truncate_index, _forget_cache])
def test_a_damaged_state_or_lost_cache_means_a_full_build(
    built: tuple[Path, Path], tmp_path: Path, damage: Any
) -> None:
    inputs, dataset = built
    before = _snapshot(dataset, tmp_path)
    damage(dataset)
    _variants(inputs / "a", inputs / "b", 2)
    report = _build(inputs, dataset)
    assert report.incremental is None and report.published
    _same_as_full(dataset, before, inputs, tmp_path)


def test_a_state_of_an_older_release_is_not_used(built: tuple[Path, Path], tmp_path: Path) -> None:
    inputs, dataset = built
    corpus(inputs / "b", 2, seed=25)
    assert _build(inputs, dataset, cache=False).version == "1.1.0"  # leaves the state alone
    before = _snapshot(dataset, tmp_path)
    corpus(inputs / "c", 2, seed=26)
    report = _build(inputs, dataset)
    assert report.incremental is None
    _same_as_full(dataset, before, inputs, tmp_path)


def test_many_new_inputs_use_the_full_parallel_build(
    built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, dataset = built
    monkeypatch.setattr(incremental, "MIN_NEW", 1)
    corpus(inputs / "b", 5, seed=27)  # 5 new > 10% of 40
    assert _build(inputs, dataset).incremental is None
    _variants(inputs / "a", inputs / "c", 3)  # 3 new <= 10% of 45
    assert _build(inputs, dataset, workers=2).incremental is not None


def test_other_code_means_a_full_build_without_scanning(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, dataset = built
    before = _snapshot(dataset, tmp_path)
    _variants(inputs / "a", inputs / "b", 2)
    monkeypatch.setattr(incremental, "code_fingerprint", lambda: "another builder")
    monkeypatch.setattr(incremental, "stamped_dumps", None)  # must not be reached
    report = _build(inputs, dataset)
    assert report.incremental is None
    _same_as_full(dataset, before, inputs, tmp_path)


def test_the_cli_reports_an_incremental_build(built: tuple[Path, Path]) -> None:
    inputs, dataset = built
    corpus(inputs / "b", 2, seed=29)
    report = make(str(inputs), "--out", str(dataset))
    assert report["incremental"]["new_dumps"] == 2
    assert "incremental: 2 new dump(s) parsed" in report["message"]
    assert make(str(inputs), "--out", str(dataset), "--no-cache")["incremental"] is None


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    """Like `built`, but with files trusted by their stamp as soon as they are written
    (in real use only two seconds after their last change, see walk.SETTLE_NS)."""
    monkeypatch.setattr(walk, "SETTLE_NS", -60_000_000_000)
    inputs, dataset = tmp_path / "in", tmp_path / "ds"
    corpus(inputs / "a", 40, seed=21)
    assert _build(inputs, dataset).version == "1.0.0"
    return inputs, dataset


def test_inputs_whose_stamp_is_unchanged_are_not_read_again(
    settled: tuple[Path, Path], tmp_path: Path
) -> None:
    inputs, dataset = settled
    before = _snapshot(dataset, tmp_path)
    _variants(inputs / "a", inputs / "b", 3)
    report = _build(inputs, dataset)
    assert report.incremental is not None
    assert report.incremental["inputs_read"] == 3 and report.incremental["new_dumps"] == 3
    assert "3 input file(s) read" in report.message
    _same_as_full(dataset, before, inputs, tmp_path)


def test_freshly_changed_inputs_are_read_whatever_their_stamp(built: tuple[Path, Path]) -> None:
    inputs, dataset = built  # written just now: a second write could keep every time
    corpus(inputs / "b", 2, seed=30)
    report = _build(inputs, dataset)
    assert report.incremental is not None and report.incremental["inputs_read"] == 42


def test_an_input_rewritten_with_its_old_size_and_mtime_is_read_again(
    settled: tuple[Path, Path], tmp_path: Path
) -> None:
    inputs, dataset = settled
    before = _snapshot(dataset, tmp_path)
    victim = sorted((inputs / "a").glob("*.txt"))[7]
    old, st = victim.read_bytes(), victim.stat()
    victim.write_bytes(old.replace(b"e", b"E", 1))  # same size, other bytes
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime
    assert victim.stat().st_size == st.st_size and victim.stat().st_mtime_ns == st.st_mtime_ns
    report = _build(inputs, dataset)
    assert report.incremental is None and report.version == "2.0.0"  # its ctime moved
    dumps = _same_as_full(dataset, before, inputs, tmp_path).diff["dumps"]
    assert (dumps.added, dumps.removed) == (1, 1)  # a dump's id is its bytes


def test_other_reading_settings_do_not_reuse_stamps(
    settled: tuple[Path, Path], tmp_path: Path
) -> None:
    inputs, dataset = settled
    before = _snapshot(dataset, tmp_path)
    later = datetime(2025, 7, 2, tzinfo=UTC)
    report = _build(inputs, dataset, captured_at=later)  # every dump's capture time moves
    assert report.incremental is None and report.published
    full = tmp_path / "full"
    shutil.copytree(before, full, ignore=shutil.ignore_patterns(".cache"))
    assert tree_hashes(full) != tree_hashes(dataset)
    _build(inputs, full, captured_at=later, cache=False)
    assert tree_hashes(full) == tree_hashes(dataset)


def test_an_altered_published_file_means_a_full_build(built: tuple[Path, Path]) -> None:
    """Reused rows are not checked again, so they must be the rows that were checked."""
    inputs, dataset = built
    assert incremental.read_intact_release(dataset / "versions" / "1.0.0") is not None
    shard = version_paths(dataset / "versions" / "1.0.0", "dumps")[0]
    pq.write_table(pq.read_table(shard), shard, compression="gzip")  # same rows, other bytes
    assert incremental.read_intact_release(dataset / "versions" / "1.0.0") is None
    corpus(inputs / "b", 2, seed=31)
    report = _build(inputs, dataset)
    assert report.incremental is None and report.version == "1.1.0"


def test_an_incremental_build_does_not_load_the_pandera_models(
    built: tuple[Path, Path],
) -> None:
    """A second of imports, for a check the few fresh rows do not need (check_spilled)."""
    inputs, dataset = built
    corpus(inputs / "b", 2, seed=32)
    code = (
        "import sys; from datetime import datetime, timezone; from builder.build import build; "
        f"r = build([{str(inputs)!r}], __import__('pathlib').Path({str(dataset)!r}), "
        "captured_at=datetime(2025, 7, 1, 12, tzinfo=timezone.utc), workers=1); "
        "print(r.incremental is not None, 'pandera' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=builder_env()
    )
    assert done.stdout.split() == ["True", "False"]


def test_inputs_read_while_fresh_are_trusted_once_settled(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, dataset = built  # its 40 inputs were listed fresh: no stamp recorded
    monkeypatch.setattr(walk, "SETTLE_NS", -60_000_000_000)  # now they have settled
    corpus(inputs / "b", 2, seed=33)
    first = _build(inputs, dataset)
    assert first.incremental is not None and first.incremental["inputs_read"] == 42
    before = _snapshot(dataset, tmp_path)
    _variants(inputs / "a", inputs / "c", 1)
    second = _build(inputs, dataset)
    assert second.incremental is not None and second.incremental["inputs_read"] == 1
    _same_as_full(dataset, before, inputs, tmp_path)
