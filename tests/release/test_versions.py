"""Versioned releases end to end: byte-identical rebuilds, semantic version numbers,
and a top-level pointer that a killed publish leaves behind and the next run repairs."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from builder import contract
from builder.release.diff import TableDiff, bump, diff_table, read_release
from builder.release.publish import files_differ, pointed_version
from builder.release.store import version_paths
from tests.helpers import load
from tests.releasing import EPOCH, cli, corpus, make, tree_hashes


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 generated dumps under a/ (a subfolder, so more can be added beside it)."""
    root = tmp_path_factory.mktemp("corpus") / "in"
    corpus(root / "a", 40, seed=11)
    return root


@pytest.fixture(scope="module")
def extra(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few dumps of another corpus: new titles only, so they add articles and
    re-sight none of the base corpus."""
    return corpus(tmp_path_factory.mktemp("extra") / "b", 4, seed=12)


def test_a_directory_and_shuffled_files_elsewhere_give_identical_bytes(
    base: Path, tmp_path: Path
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    make(str(base / "a"), "--out", str(one), PYTHONHASHSEED="1")
    moved = tmp_path / "some" / "other" / "prefix"
    shutil.copytree(base / "a", moved)
    files = sorted(p.name for p in moved.iterdir())
    random.Random(3).shuffle(files)
    make(*files, "--out", str(two), cwd=moved, PYTHONHASHSEED="2", workers="1")
    first, second = tree_hashes(one), tree_hashes(two)
    assert first == second
    assert any(name.endswith(".parquet") for name in first)
    assert "versions/1.0.0/manifest.json" in first
    manifest = (one / "versions" / "1.0.0" / "manifest.json").read_text()
    assert str(tmp_path) not in manifest and str(moved) not in manifest
    assert json.loads(manifest)["build_time"] == "2025-07-01T12:00:00Z"  # SOURCE_DATE_EPOCH
    assert EPOCH


def test_the_manifest_describes_inputs_outputs_and_changes(base: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    make(str(base / "a"), "--out", str(out))
    manifest = json.loads((out / "versions" / "1.0.0" / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0" and manifest["previous_version"] is None
    assert manifest["changes"] is None
    for key in ("contract_version", "builder_version", "settings", "content_hash"):
        assert manifest[key]
    assert manifest["settings"]["captured_at"] == "2025-07-01T12:00:00+00:00"
    assert "inputs" not in manifest  # the inputs are the dumps table
    dumps = pq.read_table(version_paths(out / "versions" / "1.0.0", "dumps"))
    assert manifest["inputs_sha256"] == contract.inputs_digest(dumps)
    for name, rows in manifest["row_counts"].items():
        shard_rows = sum(
            entry["rows"]
            for path, entry in manifest["files"].items()
            if path.startswith(f"../../data/{name}/")
        )
        assert shard_rows == rows


def test_added_dumps_give_a_minor_release_and_the_old_one_still_loads(
    base: Path, extra: Path, tmp_path: Path
) -> None:
    root = tmp_path / "in"
    shutil.copytree(base, root)
    out = tmp_path / "ds"
    assert make(str(root), "--out", str(out))["version"] == "1.0.0"
    old_ids = set(read_release(out / "versions" / "1.0.0")["articles"]["article_id"].to_pylist())
    shutil.copytree(extra, root / "b")
    report = make(str(root), "--out", str(out))
    assert report["version"] == "1.1.0" and report["previous_version"] == "1.0.0"

    # Articles whose every sighting is in a new dump: exactly the ones the diff must add.
    new = read_release(out / "versions" / "1.1.0")
    new_dumps = {d["dump_id"] for d in new["dumps"].to_pylist() if str(d["path"]).startswith("b/")}
    old_dumps_of: dict[str, set[bool]] = {}
    for s in new["sightings"].select(["article_id", "dump_id"]).to_pylist():
        old_dumps_of.setdefault(s["article_id"], set()).add(s["dump_id"] in new_dumps)
    only_new = {a for a, flags in old_dumps_of.items() if flags == {True}}
    assert only_new and only_new.isdisjoint(old_ids)

    done = cli("diff", f"{out}@1.0.0", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["articles"]["added"] == len(only_new)
    assert result["articles"]["removed"] == result["articles"]["changed"] == 0
    assert {e["key"] for e in result["articles"]["examples"]["added"]} <= only_new
    assert result["dumps"]["added"] == len(new_dumps) == 4

    old_rows = load(out / "versions" / "1.0.0", cache_dir=tmp_path / "hf")
    assert set(old_rows["article_id"]) == old_ids
    assert load(out, cache_dir=tmp_path / "hf").num_rows == len(old_ids) + len(only_new)
    changelog = (out / "CHANGELOG.md").read_text()
    assert "## 1.1.0" in changelog and f"`articles`: {len(only_new)} added" in changelog
    card = (out / "versions" / "1.1.0" / "README.md").read_text()
    assert "## Changes since 1.0.0" in card


def test_changed_text_of_one_dump_gives_a_major_release(base: Path, tmp_path: Path) -> None:
    root = tmp_path / "in"
    shutil.copytree(base, root)
    out = tmp_path / "ds"
    make(str(root), "--out", str(out))
    before = read_release(out / "versions" / "1.0.0")
    page = next(
        d for d in before["dumps"].to_pylist() if d["page_kind"] == "article" and d["n_sightings"]
    )
    main = next(
        s
        for s in before["sightings"].to_pylist()
        if s["dump_id"] == page["dump_id"] and s["role"] == "main" and s["has_text"]
    )
    path = root / page["path"]
    lines = path.read_text(encoding="utf-8").split("\n")
    text = _only(before["articles"], main["article_id"])["text"][0].as_py()
    body = max(
        (i for i, line in enumerate(lines) if len(line) > 60 and line.strip() in text),
        key=lambda i: len(lines[i]),
    )
    lines[body] += " The harbour master added a late correction."
    path.write_text("\n".join(lines), encoding="utf-8")

    assert make(str(root), "--out", str(out))["version"] == "2.0.0"
    done = cli("diff", f"{out}@1.0.0", f"{out}@2.0.0", "--format", "json")
    result = json.loads(done.stdout)
    assert result["articles"]["changed"] >= 1 and result["articles"]["removed"] == 0
    after = read_release(out / "versions" / "2.0.0")
    key = main["article_id"]
    one = diff_table(_only(before["articles"], key), _only(after["articles"], key), "article_id")
    assert one.changed == 1 and "text" in one.changed_columns[key]
    text = cli("diff", f"{out}@1.0.0", str(out)).stdout
    assert "1.0.0 -> 2.0.0" in text and "changed" in text


def test_version_numbers_follow_the_meaning_of_the_change() -> None:
    def v(**diffs: TableDiff) -> str | None:
        found = bump("1.4.2", diffs, old_contract="2.0.0", new_contract="2.0.0")
        return None if found is None else found.version

    same = TableDiff(0, 0, 0, 9)
    assert v(articles=same, dumps=same) is None
    files = bump("1.4.2", {"articles": same}, old_contract="2.0.0", new_contract="2.0.0",
                 files_changed=True)  # fmt: skip
    assert files is not None and files.version == "1.4.3" and "bytes" in files.reason
    # New inputs adding and updating rows: MINOR.
    assert v(dumps=TableDiff(3, 0, 0, 9), articles=TableDiff(2, 0, 5, 9)) == "1.5.0"
    # The same inputs, values changed (a parser fix): PATCH.
    assert v(dumps=same, articles=TableDiff(0, 0, 5, 9)) == "1.4.3"
    # A key disappears (an input removed, an article dropped): MAJOR.
    assert v(dumps=TableDiff(0, 1, 0, 9), articles=same) == "2.0.0"
    assert v(dumps=same, articles=TableDiff(0, 1, 0, 9)) == "2.0.0"
    assert v(dumps=TableDiff(5, 1, 0, 9), articles=TableDiff(9, 0, 0, 9)) == "2.0.0"
    contract = bump("1.4.2", {"articles": same}, old_contract="1.0.0", new_contract="2.0.0")
    assert contract is not None and contract.version == "2.0.0"
    assert contract.reason == "contract 1.0.0 -> 2.0.0"
    compatible = bump("1.4.2", {"articles": same}, old_contract="2.0.0", new_contract="2.1.0")
    assert compatible is not None and compatible.version == "1.5.0"


def test_the_reason_names_the_counts_behind_the_number() -> None:
    found = bump(
        "1.3.0",
        {
            "dumps": TableDiff(300, 0, 0, 100),
            "articles": TableDiff(281, 0, 512, 40),
            "sightings": TableDiff(900, 0, 0, 10),
        },
        old_contract="2.0.0",
        new_contract="2.0.0",
    )
    assert found is not None
    assert str(found) == (
        "1.4.0: 300 dumps added, 900 sightings added, 281 articles added, 512 articles updated"
    )
    gone = bump(
        "1.4.0",
        {"dumps": TableDiff(0, 1, 0, 9), "sightings": TableDiff(0, 4, 0, 9)},
        old_contract="2.0.0",
        new_contract="2.0.0",
    )
    assert gone is not None and gone.level == "major"
    assert gone.reason == "1 dump removed, 4 sightings removed"


def test_same_rows_written_differently_are_a_patch(base: Path, tmp_path: Path) -> None:
    """A release written with other Parquet settings (as an older builder or another
    pyarrow would) holds the same rows but other bytes: the next build is a PATCH."""
    out = tmp_path / "ds"
    make(str(base / "a"), "--out", str(out))
    release = out / "versions" / "1.0.0"
    tables = read_release(release)
    assert not files_differ(release, tables)
    manifest_path = release / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["parquet_writer"]["compression_level"] += 1  # as other settings wrote it
    manifest_path.write_text(json.dumps(manifest))
    assert files_differ(release, tables)
    report = make(str(base / "a"), "--out", str(out))
    assert report["version"] == "1.0.1"


def test_version_override_is_refused_when_taken_or_backwards(base: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    make(str(base / "a"), "--out", str(out), "--version", "1.2.0")
    for taken in ("1.2.0", "1.1.9", "0.9.0"):
        done = cli("make", str(base / "a"), "--out", str(out), "--version", taken, "-q")
        assert done.returncode == 2 and "not after the latest release 1.2.0" in done.stderr
    make(str(base / "a"), "--out", str(out), "--version", "3.0.0")
    assert sorted(p.name for p in (out / "versions").iterdir()) == ["1.2.0", "3.0.0"]


def test_no_change_publishes_nothing_and_says_so(base: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    make(str(base / "a"), "--out", str(out))
    before = tree_hashes(out)
    report = make(str(base / "a"), "--out", str(out))
    assert report["published"] is False and "no change since 1.0.0" in report["message"]
    assert tree_hashes(out) == before


@pytest.mark.parametrize("changelog_done", [False, True])
def test_next_make_repairs_a_publish_killed_after_its_rename(
    base: Path, extra: Path, tmp_path: Path, changelog_done: bool
) -> None:
    """The state a kill between the rename and the card update leaves: the new version
    in place, the card (and maybe the CHANGELOG) still on the previous one."""
    root = tmp_path / "in"
    shutil.copytree(base, root)
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    make(str(root), "--out", str(reference))
    make(str(root), "--out", str(killed))
    shutil.copytree(extra, root / "b")
    make(str(root), "--out", str(reference))
    shutil.copytree(reference / "data", killed / "data", dirs_exist_ok=True)  # files first
    shutil.copytree(reference / "versions" / "1.1.0", killed / "versions" / "1.1.0")
    if changelog_done:
        shutil.copy(reference / "CHANGELOG.md", killed / "CHANGELOG.md")
    assert pointed_version(killed) == "1.0.0"
    dead = _dead_pid()
    for name in ("CHANGELOG.md", "README.md"):  # what the killed run was writing
        (killed / f".tmp-{name}-{dead}").write_text("half")

    report = make(str(root), "--out", str(killed))
    assert report["published"] is False  # 1.1.0 is already there: only the pointer moves
    assert pointed_version(killed) == "1.1.0"
    assert tree_hashes(killed) == tree_hashes(reference)
    assert not list(killed.glob(".tmp-*"))  # gone, though nothing was published
    dumps = version_paths(killed / "versions" / "1.1.0", "dumps")
    assert sum(pq.read_metadata(path).num_rows for path in dumps) == 44


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def _only(table: pa.Table, key: str) -> pa.Table:
    return table.filter(pc.equal(table["article_id"], key))
