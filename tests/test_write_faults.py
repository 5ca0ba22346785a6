"""Faults while writing: disk full, unwritable output, Ctrl-C.

Each runs the real `builder make` in a subprocess over a dataset that already has a
release, and checks: a one-line error and no traceback, a non-zero exit, no new or
half-written version, and every byte of the previous release unchanged.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ROOT, corpus_module, parsing

BUILDER = str(Path(sys.executable).with_name("builder"))
WHEN = "2025-07-01T12:00:00Z"


def env() -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # nothing but the build writes files
        "COLUMNS": "200",
    }


def make(
    inputs: Path, out: Path, *extra: str, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BUILDER, "make", str(inputs), "--out", str(out), "--captured-at", WHEN, *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env(),
        preexec_fn=preexec,
        check=False,
    )


def tree(root: Path) -> dict[str, str]:
    """sha256 of every file of the dataset (the per-dump cache is not the release)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.relative_to(root).parts
    }


@pytest.fixture
def released(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A dataset with release 1.0.0 of the samples, and new inputs for another version."""
    first = tmp_path / "first"
    first.mkdir()
    for sample in (ROOT / "samples" / "dumps").glob("*.txt"):
        (first / sample.name).write_bytes(sample.read_bytes())
    out = tmp_path / "dataset"
    proc = make(first, out)
    assert proc.returncode == 0, proc.stderr
    more = tmp_path / "more"
    corpus_module().generate_corpus(more, 40, seed=3, mean_size=3000)
    (more / "truth.json").unlink()
    return out, more, tree(out)


def assert_clean_failure(
    proc: subprocess.CompletedProcess[str], out: Path, before: dict[str, str]
) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:")
    assert tree(out) == before  # the previous release, card and changelog untouched
    assert sorted(p.name for p in (out / "versions").iterdir()) == ["1.0.0"]
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]
    return lines[0]


def _small_files() -> None:
    """The child may write files of at most 64 KB: the first Parquet shard is bigger.
    SIGXFSZ would kill it; ignored, the write fails with EFBIG as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_disk_full_is_one_line_and_keeps_the_previous_release(
    released: tuple[Path, Path, dict[str, str]],
) -> None:
    out, more, before = released
    proc = make(out.parent / "more", out, "--no-cache", preexec=_small_files)
    message = assert_clean_failure(proc, out, before)
    print(message)
    assert "too large" in message.lower() or "no space" in message.lower(), message
    # With room again, the same command publishes.
    again = make(more, out, "--no-cache")
    assert again.returncode == 0, again.stderr
    assert len(list((out / "versions").glob("*/manifest.json"))) == 2


def _chattr(flag: str, path: Path) -> bool:
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


def test_read_only_output_directory(released: tuple[Path, Path, dict[str, str]]) -> None:
    """Tests run as root, where chmod 0o555 does not stop writes; the immutable flag
    (chattr +i) does, even for root."""
    out, more, before = released
    if not _chattr("+i", out):
        pytest.skip("chattr +i is not supported on this file system")
    try:
        proc = make(more, out, "--no-cache")
    finally:
        _chattr("-i", out)
    message = assert_clean_failure(proc, out, before)
    print(message)
    assert "not permitted" in message or "denied" in message or "read-only" in message


def test_output_under_sys_is_refused_in_one_line(tmp_path: Path) -> None:
    """A place no one may write, root included, without needing chattr."""
    first = tmp_path / "in"
    first.mkdir()
    (first / "a.txt").write_bytes((ROOT / "samples/dumps/04_plain_article.txt").read_bytes())
    proc = make(first, Path("/sys/builder-reliability-test"))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert not Path("/sys/builder-reliability-test").exists()


def test_output_path_that_is_a_file(tmp_path: Path) -> None:
    first = tmp_path / "in"
    first.mkdir()
    (first / "a.txt").write_bytes((ROOT / "samples/dumps/04_plain_article.txt").read_bytes())
    blocker = tmp_path / "dataset"
    blocker.write_text("not a directory")
    proc = make(first, blocker)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert blocker.read_text() == "not a directory"


# Slow for the 8,000-dump corpus it interrupts; the pool now stops in well under a second.
@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_ctrl_c_exits_130_with_one_line_and_publishes_nothing(
    tmp_path: Path, released: tuple[Path, Path, dict[str, str]], workers: str
) -> None:
    """Ctrl-C in a terminal signals the whole process group, pool workers included."""
    out, _, before = released
    big = tmp_path / "big"
    corpus_module().generate_corpus(big, 8000, seed=11, mean_size=4000)
    args = ["make", str(big), "--out", str(out), "--captured-at", WHEN, "--no-cache"]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [BUILDER, *args, "--workers", workers],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env(), "TMPDIR": str(scratch)},
        start_new_session=True,
    )
    if not parsing(scratch, proc):
        _, stderr = proc.communicate(timeout=60)
        raise AssertionError(f"the build ended ({proc.returncode}) before the parse: {stderr}")
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stdout + stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], stderr
    assert tree(out) == before
    assert sorted(p.name for p in (out / "versions").iterdir()) == ["1.0.0"]
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]
