"""End to end through the real CLI: what a build reads (issue 12: points 2, 3, 6, 7).

2. A folder walk reads the dump formats only; the summary counts and names the rest.
3. A Western page saved as Windows-1252 keeps its accents, and `dumps.encoding` says so.
6. builder never reads its own output, even with `--out` inside an input folder.
7. `builder make a/ b/` with `page.txt` in both gives two distinct `dumps` paths, and the
   same inputs in any order under any folder give the same release bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import load, run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "dumps"
WHEN = "2025-07-01T12:00:00Z"


def _page(name: str = "04_plain_article.txt") -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def _make(*args: str) -> dict[str, object]:
    result = run_cli("make", *args, "--captured-at", WHEN, "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.output)
    return report


def test_a_walk_skips_other_formats_and_the_summary_names_them(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "page.txt").write_text(_page(), encoding="utf-8")
    (inputs / "notes.md").write_text("# builder\n\nHello\n", encoding="utf-8")
    (inputs / "pyproject.toml").write_text("[build-system]\n", encoding="utf-8")
    (inputs / "tool.py").write_text("print('hello')\n", encoding="utf-8")
    out = tmp_path / "ds"
    report = _make(str(inputs), "--out", str(out))
    assert report["dumps"]["total"] == 1  # type: ignore[index]
    [group] = report["skipped"]  # type: ignore[misc]
    assert group["line"] == "3 files skipped: not a dump format (.md, .py, .toml)"
    assert group["paths"] == ["notes.md", "pyproject.toml", "tool.py"]
    assert load(out, "dumps")["path"] == ["page.txt"]
    # The text summary says it too, and a file named on the command line is an input.
    text = run_cli(
        "make",
        str(inputs),
        str(inputs / "notes.md"),
        "--out",
        str(tmp_path / "t"),
        "--captured-at",
        WHEN,
    )
    assert text.exit_code == 0, text.output
    assert "2 files skipped: not a dump format (.py, .toml)" in " ".join(text.output.split())
    assert sorted(load(tmp_path / "t", "dumps")["path"]) == ["notes.md", "page.txt"]


def test_help_of_make_says_which_formats_a_walk_reads() -> None:
    result = run_cli("make", "--help")
    flat = " ".join(result.output.replace("│", " ").split())
    assert ".txt, .jsonl and .jsonl.gz" in flat
    assert "other files are skipped" in flat


def test_a_windows_1252_page_keeps_its_accents(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    text = _page().replace("Council approves", "Télécoms council approves")
    (inputs / "legacy.txt").write_bytes(text.encode("cp1252"))
    out = tmp_path / "ds"
    _make(str(inputs), "--out", str(out))
    dumps = load(out, "dumps")
    assert dumps["encoding"] == ["cp1252"]
    titles = load(out)["title"]
    assert "Télécoms council approves new sea wall after winter storms" in titles
    assert not any("tÚlÚ" in t or "Ú" in t for t in titles)


def test_out_inside_the_input_folder_is_never_read_back(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    out = inputs / "dataset"
    first = _make(str(inputs), "--out", str(out))
    second = _make(str(inputs), "--out", str(out))
    assert first["published"] and not second["published"], second["message"]
    assert second["dumps"] == first["dumps"]
    assert [g["line"] for g in second["skipped"]] == [  # type: ignore[attr-defined]
        "1 folder skipped: a builder dataset, never an input (dataset)"
    ]
    paths = load(out, "dumps")["path"]
    assert not any(p.startswith("dataset") for p in paths)
    # A copy of the dataset elsewhere in the inputs is recognised too.
    shutil.copytree(out, inputs / "old-copy", ignore=shutil.ignore_patterns(".cache"))
    third = _make(str(inputs), "--out", str(out))
    assert not third["published"]
    assert [g["count"] for g in third["skipped"]] == [2]  # type: ignore[attr-defined]


def test_a_dataset_named_as_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.txt").write_text(_page(), encoding="utf-8")
    _make(str(tmp_path / "in"), "--out", str(tmp_path / "ds"))
    result = run_cli("make", str(tmp_path / "ds"), "--out", str(tmp_path / "other"))
    assert result.exit_code == 2
    flat = " ".join(result.output.split())  # rich wraps at 80 columns without a terminal
    assert "is a builder dataset: builder never reads its own output" in flat
    assert not (tmp_path / "other").exists()


def test_inputs_without_a_dump_are_refused_before_anything_is_published(
    tmp_path: Path,
) -> None:
    """A folder holding no dump (empty, notes only, a dataset's cache) is a wrong path:
    it published an empty release, or a new major version removing every row."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.txt").write_text(_page(), encoding="utf-8")
    _make(str(tmp_path / "in"), "--out", str(tmp_path / "ds"))
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.md").write_text("# To do\n", encoding="utf-8")
    for inputs in ["empty", "notes", "ds/.cache"]:
        result = run_cli("make", str(tmp_path / inputs), "--out", str(tmp_path / "ds"))
        assert result.exit_code == 2, result.output
        flat = " ".join(result.output.split())
        assert "no dump to read" in flat and "nothing built" in flat, flat
    flat = " ".join(
        run_cli("make", str(tmp_path / "notes"), "--out", str(tmp_path / "x")).output.split()
    )
    assert "1 file skipped: not a dump format (.md)" in flat
    assert [p.name for p in (tmp_path / "ds" / "versions").iterdir()] == ["1.0.0"]


def test_same_name_in_two_folders_gives_two_dump_rows(tmp_path: Path) -> None:
    for name, sample in (("a", "04_plain_article.txt"), ("b", "01_logo_article.txt")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "page.txt").write_text(_page(sample), encoding="utf-8")
    out = tmp_path / "ds"
    _make(str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out))
    dumps = load(out, "dumps")
    assert sorted(dumps["path"]) == ["a/page.txt", "b/page.txt"]
    sightings = load(out, "sightings")
    articles = load(out)
    assert {p["dump_path"] for p in articles["provenance"]} <= {"a/page.txt", "b/page.txt"}
    assert len(set(sightings["dump_id"])) == 2


def test_several_folders_in_any_order_under_any_path_give_the_same_release(
    tmp_path: Path,
) -> None:
    def tree(base: Path) -> list[str]:
        for name, sample in (("a", "04_plain_article.txt"), ("b", "01_logo_article.txt")):
            (base / name).mkdir(parents=True)
            (base / name / "page.txt").write_text(_page(sample), encoding="utf-8")
        return [str(base / "a"), str(base / "b")]

    one = tree(tmp_path / "one")
    two = tree(tmp_path / "somewhere" / "else")
    _make(*one, "--out", str(tmp_path / "o1"))
    _make(*reversed(two), "--out", str(tmp_path / "o2"))
    first = sorted((tmp_path / "o1" / "data").rglob("*.parquet"))
    second = sorted((tmp_path / "o2" / "data").rglob("*.parquet"))
    assert [p.name for p in first] == [p.name for p in second] and first
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.relative_to(tmp_path)
