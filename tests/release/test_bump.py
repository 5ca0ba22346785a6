"""Version numbers by meaning, end to end on dumps written for the test: new inputs are
MINOR with no id removed, a removed or changed input is MAJOR, the same inputs with
other values are PATCH; the reason is in the report, manifest, card and CHANGELOG."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from builder.release.diff import read_release
from builder.release.parquet import write_parquet
from builder.release.store import version_paths
from tests.pages import day
from tests.releasing import BUILDER, WHEN, builder_env, cli, make


def _ids(release: Path) -> set[str]:
    return set(read_release(release)["articles"]["article_id"].to_pylist())


@pytest.fixture
def three_days(tmp_path: Path) -> tuple[Path, Path]:
    """Days 1-3 published as 1.0.0."""
    inputs, out = tmp_path / "in", tmp_path / "ds"
    for n in (1, 2, 3):
        day(inputs, n)
    assert make(str(inputs), "--out", str(out))["version"] == "1.0.0"
    return inputs, out


def test_adding_dumps_gives_minor_versions_and_removes_no_id(
    three_days: tuple[Path, Path],
) -> None:
    inputs, out = three_days
    previous = "1.0.0"
    for n, expected in ((4, "1.1.0"), (5, "1.2.0")):
        day(inputs, n)
        report = make(str(inputs), "--out", str(out))
        assert report["version"] == expected
        assert report["diff"]["articles"]["removed"] == 0
        assert report["diff"]["sightings"]["removed"] == 0
        assert _ids(out / "versions" / previous) <= _ids(out / "versions" / expected)
        # Two new main articles; yesterday's two stories and the evergreen card seen again
        # (8 sightings): of the articles, only yesterday's layout-B main story changes,
        # its publisher named by today's card (a re-sighting alone changes no row).
        reason = "2 dumps added, 8 sightings added, 2 articles added, 1 article updated"
        assert report["bump_reason"] == reason
        release = out / "versions" / expected
        assert json.loads((release / "manifest.json").read_text())["bump_reason"] == reason
        assert f"## Why {expected}\n\n{reason}\n" in (release / "README.md").read_text()
        assert f"Why {expected}: {reason}" in (out / "CHANGELOG.md").read_text()
        previous = expected
    assert "## Ids and version numbers" in (out / "README.md").read_text()


def test_the_build_summary_prints_the_version_and_its_reason(
    three_days: tuple[Path, Path],
) -> None:
    inputs, out = three_days
    day(inputs, 4)
    done = subprocess.run(
        [BUILDER, "make", str(inputs), "--out", str(out), "--captured-at", WHEN],
        env=builder_env(COLUMNS="200"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "1.1.0: 2 dumps added, 8 sightings added, 2 articles added, 1 article updated"
        in done.stdout
    )


def test_changing_one_dumps_text_is_major_because_its_old_input_is_gone(
    three_days: tuple[Path, Path],
) -> None:
    """A dump is its path and bytes: new bytes at the same path replace the input, so
    the old dump id and its sightings disappear (MAJOR, as the README says)."""
    inputs, out = three_days
    page = inputs / "day02-b.txt"
    page.write_text(page.read_text().replace("Residents welcomed", "Shopkeepers welcomed"))
    report = make(str(inputs), "--out", str(out))
    assert report["version"] == "2.0.0"
    assert report["bump_reason"] == (
        "1 dump added, 1 dump removed, 4 sightings added, 4 sightings removed, 1 article updated"
    )
    assert report["diff"]["articles"]["removed"] == 0
    assert _ids(out / "versions" / "1.0.0") == _ids(out / "versions" / "2.0.0")


def test_removing_an_input_is_major(three_days: tuple[Path, Path]) -> None:
    inputs, out = three_days
    # The only page showing market story 3; its three cards re-sighted older stories.
    (inputs / "day03-b.txt").unlink()
    report = make(str(inputs), "--out", str(out))
    assert report["version"] == "2.0.0"
    assert report["bump_reason"] == (
        "1 dump removed, 4 sightings removed, 1 article removed, 1 article updated"
    )


def test_the_same_inputs_with_other_values_are_a_patch(three_days: tuple[Path, Path]) -> None:
    """As after a parser fix: the previous release holds other values for the same
    inputs (here one text, altered in its Parquet file); rebuilding is a PATCH."""
    inputs, out = three_days
    release = out / "versions" / "1.0.0"
    (shard,) = version_paths(release, "articles")
    table = pq.read_table(shard)
    texts = table.column("text")
    first = pc.is_in(table.column("title"), value_set=table.column("title")[:1])
    altered = pc.if_else(first, "An older parser kept this text.", texts)
    shard.chmod(0o644)
    pq.write_table(table.set_column(table.schema.get_field_index("text"), "text", altered), shard)
    shutil.rmtree(out / ".cache", ignore_errors=True)
    report = make(str(inputs), "--out", str(out))
    assert report["version"] == "1.0.1"
    assert report["bump_reason"] == "same inputs, 1 article updated"


def test_nothing_new_publishes_nothing(three_days: tuple[Path, Path]) -> None:
    inputs, out = three_days
    report = make(str(inputs), "--out", str(out))
    assert not report["published"] and report["bump_reason"] is None


def test_a_requested_version_says_so_and_what_the_rules_give(
    three_days: tuple[Path, Path],
) -> None:
    inputs, out = three_days
    day(inputs, 4)
    report = make(str(inputs), "--out", str(out), "--version", "5.0.0")
    assert report["version"] == "5.0.0"
    assert report["bump_reason"] == (
        "requested with --version (the rules give 1.1.0: "
        "2 dumps added, 8 sightings added, 2 articles added, 1 article updated)"
    )


def _as_contract_2(dataset: Path, version: str) -> None:
    """Turn a version into what builder wrote under contract 2.0.0: `articles` with
    `n_sightings` (int32, after `url`: each article's rows in `sightings`), each file
    named by its new sha256 as the store does, the manifest and cards pointing at it."""
    release = dataset / "versions" / version
    seen = Counter(read_release(release)["sightings"].column("article_id").to_pylist())
    manifest = json.loads((release / "manifest.json").read_text())
    renamed: dict[str, str] = {}
    for path in version_paths(release, "articles"):
        table = pq.read_table(path)
        counts = pa.array([seen[i] for i in table.column("article_id").to_pylist()], pa.int32())
        at = table.schema.get_field_index("url") + 1
        old = table.add_column(at, pa.field("n_sightings", pa.int32(), nullable=False), counts)
        data_path = path.with_name(f".{path.name}")
        write_parquet(old, data_path)
        digest = hashlib.sha256(data_path.read_bytes()).hexdigest()
        day_shard = path.name.rsplit("-", 1)[0]
        new = path.with_name(f"{day_shard}-{digest[:16]}.parquet")
        data_path.replace(new)
        path.unlink()
        old_key = next(k for k in manifest["files"] if k.endswith(path.name))
        entry = manifest["files"].pop(old_key)
        entry.update(sha256=digest, size_bytes=new.stat().st_size)
        manifest["files"][old_key.replace(path.name, new.name)] = entry
        renamed[path.name] = new.name
    manifest["contract_version"] = "2.0.0"
    (release / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, indent=2))
    for card in (release / "README.md", dataset / "README.md"):
        text = card.read_text()
        for before, after in renamed.items():
            text = text.replace(before, after)
        card.write_text(text)
    shutil.rmtree(dataset / ".cache", ignore_errors=True)


def test_a_build_over_a_contract_2_dataset_is_major_and_says_why(
    three_days: tuple[Path, Path],
) -> None:
    """Contract 3.0.0 dropped `articles.n_sightings`: the first build over a dataset
    made with contract 2 is MAJOR, and its reason names the contract and the column."""
    inputs, out = three_days
    _as_contract_2(out, "1.0.0")
    before = read_release(out / "versions" / "1.0.0")["articles"]
    assert "n_sightings" in before.column_names  # the old layout, as the old builder wrote
    day(inputs, 4)
    report = make(str(inputs), "--out", str(out))
    assert report["version"] == "2.0.0"
    assert report["bump_reason"].startswith(
        "contract 2.0.0 -> 3.0.0 (articles: n_sightings removed), 2 dumps added, "
        "8 sightings added, 2 articles added, "
    ), report["bump_reason"]
    assert report["diff"]["articles"]["removed"] == 0
    after = read_release(out / "versions" / "2.0.0")["articles"]
    assert "n_sightings" not in after.column_names
    kept = set(before.column("article_id").to_pylist())
    assert kept < set(after.column("article_id").to_pylist())
    manifest = json.loads((out / "versions" / "2.0.0" / "manifest.json").read_text())
    assert manifest["contract_version"] == "3.0.0"
    assert manifest["changes"]["articles"]["columns"] == {"removed": ["n_sightings"], "added": []}
    card = (out / "versions" / "2.0.0" / "README.md").read_text()
    assert "## Why 2.0.0\n\ncontract 2.0.0 -> 3.0.0 (articles: n_sightings removed)" in card
    assert "column removed: `n_sightings`" in card
    diff = cli("diff", f"{out}@1.0.0", f"{out}@2.0.0")
    assert "contract: 2.0.0 -> 3.0.0" in diff.stdout
    assert "column removed: n_sightings" in diff.stdout
    assert cli("validate", f"{out}@2.0.0", "--no-croissant").returncode == 0
