"""`--out` never writes over the user's files (issue 12, point 5): a non-empty folder
that is not a builder dataset, and an empty name, are refused in one line, exit 2,
with nothing written; datasets (old and new) and empty folders are built into."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from builder.release.ownership import MARKER, NotOurFolder, check_output, claim, is_dataset
from tests.terminal import on_terminal, piped

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "dumps"
WHEN = "2025-07-01T12:00:00Z"
WAYS = {"pipes": piped, "terminal": on_terminal}


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under `root`, with the sha256 of each file."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(root.rglob("*"))
    }


def users_folder(root: Path) -> Path:
    folder = root / "project"
    folder.mkdir()
    (folder / "README.md").write_text("# My project\n\nNotes I care about.\n")
    (folder / "CHANGELOG.md").write_text("# Changelog\n\n## 0.1.0\n- first\n")
    (folder / ".tmp-notes").write_text("mine too\n")  # looks like one of our temporaries
    return folder


def error_lines(text: str) -> list[str]:
    return [line for line in text.replace("\r", "").splitlines() if "error:" in line]


@pytest.mark.parametrize("way", WAYS)
def test_a_folder_of_the_users_is_refused_and_left_alone(way: str, tmp_path: Path) -> None:
    folder = users_folder(tmp_path)
    before = snapshot(folder)
    run = WAYS[way]("make", str(SAMPLES), "--out", str(folder), "--captured-at", WHEN)
    assert run.code == 2
    (line,) = error_lines(run.stderr or run.stdout)
    assert "not a builder dataset" in line and str(folder) in line
    assert "Traceback" not in run.stdout + run.stderr
    assert snapshot(folder) == before  # README and CHANGELOG untouched, nothing added


def test_an_empty_out_is_refused_and_the_current_folder_left_alone(tmp_path: Path) -> None:
    cwd = tmp_path / "here"
    cwd.mkdir()
    (cwd / "keep.txt").write_text("mine\n")
    before = snapshot(cwd)
    for value in ("", "  "):
        run = piped("make", str(SAMPLES), "--out", value, "--captured-at", WHEN, cwd=cwd)
        assert run.code == 2
        assert run.lines() == ["error: --out is empty: name the dataset folder to create or update"]
    assert snapshot(cwd) == before


def test_the_current_folder_is_refused_when_it_is_not_a_dataset(tmp_path: Path) -> None:
    folder = users_folder(tmp_path)
    before = snapshot(folder)
    run = piped("make", str(SAMPLES), "--out", ".", "--captured-at", WHEN, cwd=folder)
    assert run.code == 2 and "not a builder dataset" in run.stderr
    assert snapshot(folder) == before


def test_new_empty_and_dataset_folders_are_built_into(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (tmp_path / "new" / "nested", empty):
        run = piped("make", str(SAMPLES), "--out", str(folder), "--captured-at", WHEN, "-q")
        assert run.code == 0, run.stderr
        assert (folder / MARKER).is_file() and is_dataset(folder)
    # A second version into an existing dataset.
    more = tmp_path / "more"
    shutil.copytree(SAMPLES, more)
    (more / "01_logo_article.txt").unlink()
    run = piped("make", str(more), "--out", str(empty), "--captured-at", WHEN, "-q")
    assert run.code == 0, run.stderr
    assert len(list((empty / "versions").iterdir())) == 2


def test_a_dataset_made_before_the_marker_is_still_recognised(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    assert piped("make", str(SAMPLES), "--out", str(out), "--captured-at", WHEN, "-q").code == 0
    (out / MARKER).unlink()
    assert is_dataset(out)  # by its published versions/X.Y.Z/manifest.json
    run = piped("make", str(SAMPLES), "--out", str(out), "--captured-at", WHEN, "-q")
    assert run.code == 0, run.stderr
    assert (out / MARKER).is_file()  # marked from now on


def test_what_a_killed_first_build_leaves_is_ours(tmp_path: Path) -> None:
    """Cache and temporaries only (a first build killed before publishing)."""
    folder = tmp_path / "ds"
    (folder / ".cache").mkdir(parents=True)
    (folder / ".cache" / "per-dump.sqlite").write_bytes(b"")
    (folder / ".tmp-1.0.0-123").mkdir()
    (folder / "versions").mkdir()
    assert check_output(folder) == folder


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"notes.txt": "x"}, "not a builder dataset"),
        ({"versions/1.0.0/data.txt": "x"}, "not a builder dataset"),  # no manifest
        ({"versions/latest/manifest.json": "{}"}, "not a builder dataset"),  # not X.Y.Z
    ],
)
def test_folders_that_only_look_like_datasets_are_refused(
    tmp_path: Path, layout: dict[str, str], message: str
) -> None:
    folder = tmp_path / "ds"
    for name, text in layout.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    with pytest.raises(NotOurFolder, match=message):
        check_output(folder)


def test_a_file_is_not_a_dataset_folder(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(NotOurFolder, match="is a file"):
        check_output(path)


def test_claim_marks_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    claim(folder)
    assert is_dataset(folder)
    text = (folder / MARKER).read_text()
    claim(folder)  # idempotent, same bytes: rebuilds stay byte-identical
    assert (folder / MARKER).read_text() == text
