"""`make demo` on a fresh clone with a fresh .venv, as the README promises."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.helpers import ROOT


@pytest.mark.slow
def test_make_demo_in_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    result = subprocess.run(
        ["make", "demo", "PYTHON=python3"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (clone / ".venv" / "bin" / "builder").exists()
    assert (clone / "build" / "demo" / "versions" / "1.0.0" / "manifest.json").is_file()
    assert "num_rows" in result.stdout
    assert "Traceback" not in result.stderr
