"""End to end: stray files given to `builder make` are quarantined, never read as pages."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import load, run_cli
from tests.parse.test_evidence import MARKDOWN_NOTE, PYPROJECT, PYTHON_FILE, SHOPPING_LIST

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "dumps"


def test_make_quarantines_notes_code_and_config_with_what_they_looked_like(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SAMPLES / "04_plain_article.txt", inputs / "page.txt")
    strays = {
        "shopping.txt": (SHOPPING_LIST, "looks like a short list, not prose"),
        "notes.md": (MARKDOWN_NOTE, "looks like Markdown (heading '# builder')"),
        "tool.py": (PYTHON_FILE, "looks like Python source"),
        "pyproject.toml": (PYPROJECT, "looks like TOML/INI (section '[build-system]')"),
    }
    for name, (text, _) in strays.items():
        (inputs / name).write_text(text, "utf-8")
    # Each file named on the command line is an input, whatever its extension.
    files = [str(inputs / name) for name in ["page.txt", *strays]]
    out = tmp_path / "out"
    result = run_cli("make", *files, "--out", str(out), "--captured-at", "2025-07-01T12:00:00Z")
    assert result.exit_code == 0, result.output
    dumps = {Path(row["path"]).name: row for row in load(out, "dumps")}
    assert set(dumps) == {"page.txt", *strays}
    assert dumps["page.txt"]["status"] == "parsed"
    assert dumps["page.txt"]["layout"] == "daily8-en-plain"
    for name, (_, hint) in strays.items():
        row = dumps[name]
        assert (row["status"], row["layout"], row["n_sightings"]) == ("quarantined", None, 0)
        assert row["reason"].startswith(f"no known layout: {hint}"), row["reason"]
    titles = set(load(out, "sightings")["title"])
    assert not titles & {"Hello", "# builder", "[build-system]"}
