"""End to end: the real `builder` CLI on the samples, read back with datasets."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from builder import cli
from builder.release.store import version_paths
from tests.helpers import load, run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "dumps"
WHEN = "2025-07-01T12:00:00Z"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    out = tmp_path / "demo"
    result = run_cli("make", str(SAMPLES), "--out", str(out), "--captured-at", WHEN, "--quiet")
    assert result.exit_code == 0, result.output
    return out


def test_make_publishes_a_dataset_that_datasets_loads(demo: Path) -> None:
    articles = load(demo)
    sightings = load(demo, "sightings")
    dumps = load(demo, "dumps")
    n_inputs = sum(1 for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".jsonl") + sum(
        1 for line in (SAMPLES / "exports" / "crawl.jsonl").read_text().splitlines() if line.strip()
    )
    assert dumps.num_rows == n_inputs
    assert set(dumps["status"]) == {"parsed", "quarantined"}
    assert len(set(articles["article_id"])) == articles.num_rows
    assert "n_sightings" not in articles.column_names  # counted from sightings (contract 3)
    seen = Counter(sightings["article_id"])
    assert set(seen) == set(articles["article_id"]) and min(seen.values()) >= 1
    assert articles[0]["published_at"] is None or articles[0]["published_at"].tzinfo is not None
    # pandas and polars read the same files directly (those the manifest lists).
    shards = version_paths(demo / "versions" / "1.0.0", "articles")
    assert shards and all(p.parent == demo / "data" / "articles" for p in shards)
    assert pd.concat(pd.read_parquet(p) for p in shards).shape[0] == articles.num_rows
    assert pl.concat([pl.read_parquet(p) for p in shards]).height == articles.num_rows


def test_main_and_card_of_one_article_merge_into_one_row(demo: Path) -> None:
    """04's main (plain: no publisher) is a Coastal Post card in 01: one row, both facts."""
    articles = load(demo).to_pandas()
    sightings = load(demo, "sightings").to_pandas()
    row = articles[articles.title == "Council approves new sea wall after winter storms"]
    assert len(row) == 1
    assert row.iloc[0].role == "main" and row.iloc[0].source == "Coastal Post"
    assert (sightings.article_id == row.iloc[0].article_id).sum() == 2
    assert not row.iloc[0].text_is_teaser and len(row.iloc[0].text) > 300


def test_rebuild_with_changed_inputs_is_read_back_changed(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    out = tmp_path / "ds"
    cache = tmp_path / "cache"
    assert (
        run_cli("make", str(inputs), "--out", str(out), "--captured-at", WHEN, "-q").exit_code == 0
    )
    before = load(out, cache_dir=cache)
    seen_before = Counter(load(out, "sightings", cache_dir=cache)["article_id"])
    (inputs / "01_logo_article.txt").unlink()
    result = run_cli("make", str(inputs), "--out", str(out), "--captured-at", WHEN, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["version"] == "2.0.0" and report["diff"]["dumps"]["removed"] == 1
    after = load(out, cache_dir=cache)  # the same cache dir: no stale rows
    seen_after = Counter(load(out, "sightings", cache_dir=cache)["article_id"])
    title = "Ferry operator adds night sailings to the outer islands"  # 01's main, a card elsewhere
    old = before.filter(lambda r: r["title"] == title)[0]
    new = after.filter(lambda r: r["title"] == title)[0]
    assert old["article_id"] == new["article_id"]
    assert (old["role"], seen_before[old["article_id"]]) == ("main", 3)
    assert (new["role"], seen_after[new["article_id"]]) == ("related", 2)
    assert load(out / "versions" / "1.0.0", cache_dir=cache).num_rows == before.num_rows


def test_rebuild_without_change_publishes_nothing(demo: Path) -> None:
    result = run_cli("make", str(SAMPLES), "--out", str(demo), "--captured-at", WHEN, "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["published"] is False and "nothing published" in report["message"]
    assert sorted(p.name for p in (demo / "versions").iterdir()) == ["1.0.0"]


def test_summary_names_the_quarantined_input(tmp_path: Path) -> None:
    result = run_cli("make", str(SAMPLES), "--out", str(tmp_path / "o"), "--captured-at", WHEN)
    assert result.exit_code == 0
    assert "quarantined" in result.output and "HTML" in result.output
    assert "articles" in result.output and "elapsed" in result.output


def test_json_summary_counts_every_input(tmp_path: Path) -> None:
    result = run_cli(
        "make", str(SAMPLES), "--out", str(tmp_path / "o"), "--json", "--captured-at", WHEN
    )
    report = json.loads(result.output)
    dumps = report["dumps"]
    assert dumps["total"] == dumps["parsed"] + dumps["quarantined"]
    assert dumps["quarantined"] == 1 and report["published"] is True
    assert report["version"] == "1.0.0"


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    result = run_cli(
        "make", str(SAMPLES), "--out", str(tmp_path / "o"), "-q", "--captured-at", WHEN
    )
    assert result.exit_code == 0 and result.output == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["make", "does/not/exist", "--out", "x"], "no such file"),
        (["make", "samples", "--out", "x", "--captured-at", "yesterday"], "ISO 8601"),
    ],
)
def test_usage_errors_are_one_line_and_exit_non_zero(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_version_option_is_checked(demo: Path) -> None:
    result = run_cli(
        "make", str(SAMPLES), "--out", str(demo), "--version", "1.0.0", "-q", "--captured-at", WHEN
    )
    assert result.exit_code == 2 and "not after the latest release 1.0.0" in result.output
    result = run_cli(
        "make", str(SAMPLES), "--out", str(demo), "--version", "1.0.1", "-q", "--captured-at", WHEN
    )
    assert result.exit_code == 0
    assert (demo / "versions" / "1.0.1" / "manifest.json").is_file()


@pytest.mark.parametrize("command", ["make", "validate", "diff"])
def test_every_command_help_has_an_example(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output and "builder " + command in result.output


def _commands() -> list[str]:
    return sorted(
        c.name or (c.callback.__name__ if c.callback else "") for c in cli.app.registered_commands
    )


@pytest.mark.parametrize("command", _commands())
def test_help_prose_fills_an_80_column_terminal(command: str) -> None:
    """A prose line is cut only where the next word would not fit: no stubs left where
    the docstring's own lines ended (the examples, indented, keep their lines)."""
    env = {**os.environ, "COLUMNS": "80"}
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("builder")), command, "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    prose = shown.split("╭")[0].splitlines()
    for line, following in itertools.pairwise(prose):
        body, nxt = line.rstrip(), following.strip()
        if not body.strip() or not nxt or line.startswith("     ") or following.startswith("     "):
            continue
        width = len(body) + 1 + len(nxt.split()[0])
        assert width > 78, f"{command} --help breaks early: {body.strip()!r} / {nxt!r}"
