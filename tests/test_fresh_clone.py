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
    assert "report: build/demo/versions/1.0.0/report.html" in result.stdout
    assert (clone / "build" / "demo" / "versions" / "1.0.0" / "report.html").is_file()
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_wheel_ships_the_contract_layouts_and_engines(tmp_path: Path) -> None:
    """An installed (not editable) builder needs schema/ and the layout files inside it."""
    import sys
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=900,
    )
    (wheel,) = tmp_path.glob("builder-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for table in ("articles", "sightings", "dumps", "manifest"):
        assert f"builder/schema/{table}.schema.json" in names
    layouts = "builder/parse/layouts/data"
    assert {f"{layouts}/daily8.toml", f"{layouts}/daily8.en.toml"} <= names
    assert "builder/engines/dask.py" in names and "builder/cli.py" in names
    # The parser, compiled (setup.py), beside its source; and the list it was built from.
    from builder.compiled import COMPILED

    for path in COMPILED:
        stem = path.removesuffix(".py")
        assert path in names
        assert any(n.startswith(stem + ".") and n.endswith(".so") for n in names), path
    assert "builder/compiled.py" in names
    # The language model's reader, compiled from its C++ source (shipped with its types).
    assert any(n.startswith("builder/parse/_lid.") and n.endswith(".so") for n in names)
    assert "builder/parse/_lid.pyi" in names
