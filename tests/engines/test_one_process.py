"""A process that has run polars (a build's checks do) can build again with workers:
the merge step's workers do not inherit polars' thread pool through a fork (they used
to wait forever on a lock). Run in a subprocess, so a hang is a timeout, not a stuck
test session."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"

SCRIPT = """
import sys
import polars as pl
from typer.testing import CliRunner
from builder.cli import app

if __name__ == "__main__":
    pl.DataFrame({"a": [1, 2] * 500}).group_by("a").len()  # polars' pool is running now
    for out in sys.argv[2:]:
        args = ["make", sys.argv[1], "--out", out, "--captured-at", "2025-07-01T12:00:00Z"]
        result = CliRunner().invoke(app, [*args, "-q", "--workers", "2"])
        print(out, result.exit_code, result.output.strip(), flush=True)
"""


def _digests(release: Path) -> dict[str, str]:
    return {
        str(p.relative_to(release)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(release.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_a_process_that_ran_polars_builds_twice_with_workers(tmp_path: Path) -> None:
    script = tmp_path / "twice.py"
    script.write_text(SCRIPT, encoding="utf-8")
    outs = [tmp_path / "one", tmp_path / "two"]
    done = subprocess.run(
        [sys.executable, str(script), str(SAMPLES), *map(str, outs)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"SOURCE_DATE_EPOCH": "1751371200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [line.split()[1] for line in done.stdout.splitlines()] == ["0", "0"], done.stdout
    one, two = (_digests(out / "versions" / "1.0.0") for out in outs)
    assert one and one == two
