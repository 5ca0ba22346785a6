"""Times without a capture time (issue 12, point 4): dumps whose relative times were
resolved against the file's modification time are counted and named in the summary and
in --json; a date after the page's capture is flagged and not kept as a fact."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.parse.extract import extract
from builder.records import RawDump
from builder.release.store import version_paths
from tests.terminal import piped

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "dumps"
DATED = SAMPLES / "06_logo_cut_mid_body.txt"  # main article dated 12-03-2025


def table(out: Path, name: str) -> list[dict[str, object]]:
    (version,) = sorted((out / "versions").iterdir())
    return pq.read_table(version_paths(version, name)).to_pylist()


def test_dumps_timed_by_their_file_are_counted_and_named(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)  # a copy: every modification time is new
    out = tmp_path / "ds"
    run = piped("make", str(inputs), "--out", str(out), "--json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    from_mtime = [d for d in table(out, "dumps") if d["captured_at_source"] == "mtime"]
    texts = [p for p in inputs.rglob("*") if p.is_file() and p.suffix != ".jsonl"]
    assert len(from_mtime) == len(texts) > 0  # the JSON Lines records carry fetched_at
    assert report["dumps"]["captured_at_from_mtime"] == len(from_mtime)
    (warning,) = report["warnings"]
    assert f"{len(from_mtime)} dump(s)" in warning and "--captured-at" in warning
    # The text summary says it too.
    text = piped("make", str(inputs), "--out", str(tmp_path / "ds2")).stdout
    flat = " ".join(text.split())
    assert "modification time" in flat and "pass --captured-at" in flat


def test_no_warning_when_every_dump_has_a_capture_time(tmp_path: Path) -> None:
    run = piped(
        "make", str(SAMPLES), "--out", str(tmp_path / "ds"), "--json", "--captured-at", "2025-07-01"
    )
    report = json.loads(run.stdout)
    assert report["dumps"]["captured_at_from_mtime"] == 0
    assert report["warnings"] == []


@pytest.mark.parametrize(
    ("captured", "after"), [("2025-03-11T12:00:00Z", True), ("2025-03-12T08:00:00Z", False)]
)
def test_a_date_after_the_capture_is_flagged_and_not_kept(
    tmp_path: Path, captured: str, after: bool
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(DATED, inputs / "page.txt")
    out = tmp_path / "ds"
    run = piped("make", str(inputs), "--out", str(out), "--json", "--captured-at", captured)
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    (article,) = [a for a in table(out, "articles") if a["published_text"] == "12-03-2025"]
    (sighting,) = [s for s in table(out, "sightings") if s["published_text"] == "12-03-2025"]
    for row in (article, sighting):
        assert row["published_after_capture"] is after
        if after:  # the raw text is kept; the impossible time is not
            assert row["published_at"] is None and row["published_at_uncertainty_s"] is None
        else:
            assert row["published_at"] == datetime(2025, 3, 12, tzinfo=UTC)
    assert report["articles_published_after_capture"] == (1 if after else 0)
    assert any("after their page's capture" in w for w in report["warnings"]) is after
    assert piped("validate", str(out)).code == 0  # the flag is in the contract


def test_extract_flags_a_time_after_the_capture() -> None:
    data = DATED.read_bytes()
    for when, after in (
        (datetime(2025, 3, 11, tzinfo=UTC), True),
        (datetime(2025, 3, 13, tzinfo=UTC), False),
    ):
        raw = RawDump(path="page.txt", data=data, captured_at=when, captured_at_source="option")
        (main,) = [s for s in extract(raw).sightings if s.role == "main"]
        assert main.published_text == "12-03-2025"
        assert main.published_after_capture is after
        assert (main.published_at is None) is after
