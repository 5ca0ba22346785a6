"""`builder versions DIR`: every version with its date, row counts and bump reason, as
aligned text or JSON; one line and exit 2 when there is nothing to list."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from builder.release.versions import NoVersions, list_versions
from tests.pages import day
from tests.releasing import BUILDER, builder_env, cli, make

#: Why 1.1.0 has its number: day 3's pages, their sightings and new articles, and the two
#: articles whose rows changed (a publisher named, a time shown).
DAY_3 = "2 dumps added, 8 sightings added, 2 articles added, 2 articles updated"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1.0.0 (days 1-2), 1.1.0 (+ day 3), 2.0.0 (day 1's layout-B page removed)."""
    root = tmp_path_factory.mktemp("versions")
    inputs, out = root / "in", root / "ds"
    for n in (1, 2):
        day(inputs, n)
    make(str(inputs), "--out", str(out))
    day(inputs, 3)
    make(str(inputs), "--out", str(out))
    (inputs / "day01-b.txt").unlink()
    assert make(str(inputs), "--out", str(out))["version"] == "2.0.0"
    return out


def test_versions_as_json(dataset: Path) -> None:
    done = cli("versions", str(dataset), "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)["versions"]
    assert [v["version"] for v in listed] == ["1.0.0", "1.1.0", "2.0.0"]
    assert [v["previous_version"] for v in listed] == [None, "1.0.0", "1.1.0"]
    assert all(v["build_time"] == "2025-07-01T12:00:00Z" for v in listed)  # SOURCE_DATE_EPOCH
    assert [v["row_counts"]["dumps"] for v in listed] == [4, 6, 5]
    assert [v["row_counts"]["articles"] for v in listed] == [5, 7, 7]
    assert listed[0]["bump_reason"] == "first release: 4 dumps, 5 articles"
    assert listed[1]["bump_reason"] == DAY_3
    assert listed[2]["bump_reason"].startswith("1 dump removed")
    for info, folder in zip(listed, sorted((dataset / "versions").iterdir()), strict=True):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert info["row_counts"] == manifest["row_counts"]


def test_versions_as_text(dataset: Path) -> None:
    done = cli("versions", str(dataset))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["version", "built", "articles", "sightings", "dumps", "reason"]
    assert len(lines) == 4
    assert lines[2].startswith("1.1.0  ")
    assert lines[2].endswith(DAY_3)
    assert lines[2].split()[1:5] == ["2025-07-01T12:00:00Z", "7", lines[2].split()[3], "6"]
    assert lines[3].split()[0] == "2.0.0" and "1 dump removed" in lines[3]


def test_a_missing_or_empty_dataset_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for target in (tmp_path / "nowhere", tmp_path):
        # Wide: the CLI's error printer wraps at the terminal width (80 without one).
        done = subprocess.run(
            [BUILDER, "versions", str(target)],
            env=builder_env(COLUMNS="400"),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and str(target) in done.stderr
        with pytest.raises(NoVersions):
            list_versions(target)


def test_an_unreadable_manifest_is_listed_with_its_problem(tmp_path: Path) -> None:
    folder = tmp_path / "ds" / "versions" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{not json")
    (info,) = list_versions(tmp_path / "ds")
    assert info.version == "1.0.0" and info.error and "manifest.json" in info.error
    done = cli("versions", str(tmp_path / "ds"))
    assert done.returncode == 0 and "unreadable manifest.json" in done.stdout
