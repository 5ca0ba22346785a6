"""What a listing takes and skips (issue 12: points 2, 6, 7), on real files in tmp_path.

2. A walk takes the dump formats only; other files are skipped, counted and named;
   a file named on the command line (or matched by a glob) is always an input.
6. A builder dataset folder is never an input, wherever it sits.
7. Two inputs never share a path, and paths hold no absolute path.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from builder.inputs.files import InputError
from builder.inputs.skipped import DATASET, NOT_A_DUMP, extension, group
from builder.inputs.walk import find_inputs, list_inputs
from tests.inputs.support import OPTION_TIME, dumps, jsonl, paths, write


def _mixed_folder(root: Path) -> Path:
    write(root / "page.txt", "Harbour page")
    write(root / "crawl.jsonl", jsonl({"text": "t"}))
    write(root / "notes.md", "# builder")
    write(root / "pyproject.toml", "[build-system]")
    write(root / "tools" / "script.py", "print('hello')")
    write(root / "tools" / "more.py", "print('again')")
    write(root / "README", "no extension")
    return root


# --- 2: walks take the dump formats only ----------------------------------------------


def test_a_walk_takes_dump_formats_and_counts_and_names_the_rest(tmp_path: Path) -> None:
    listing = list_inputs([str(_mixed_folder(tmp_path / "d"))])
    assert paths(list(listing.files)) == ["crawl.jsonl", "page.txt"]
    [files] = listing.skip_groups()
    assert (files.reason, files.folder, files.count) == (NOT_A_DUMP, False, 5)
    assert files.names == (".py", "(no extension)", ".md", ".toml")
    assert files.paths == (
        "README",
        "notes.md",
        "pyproject.toml",
        "tools/more.py",
        "tools/script.py",
    )
    assert files.line() == ("5 files skipped: not a dump format (.py, (no extension), .md, .toml)")


def test_a_file_named_on_the_command_line_is_an_input_whatever_its_name(tmp_path: Path) -> None:
    root = _mixed_folder(tmp_path / "d")
    listing = list_inputs([str(root), str(root / "notes.md")])
    assert "notes.md" in paths(list(listing.files))
    assert "notes.md" not in listing.skip_groups()[0].paths  # an input, so not skipped
    alone = list_inputs([str(root / "pyproject.toml")])
    assert paths(list(alone.files)) == ["pyproject.toml"] and alone.skipped == ()


def test_a_glob_names_its_matches_and_walks_the_folders_it_matches(tmp_path: Path) -> None:
    """A glob is the user naming files (as the shell would expand it): its matches are
    inputs whatever their names; a folder it matches is walked like any folder."""
    root = _mixed_folder(tmp_path / "d")
    assert paths(find_inputs([str(root / "*.md")])) == ["notes.md"]
    listing = list_inputs([str(root / "t*")])  # matches the folder tools/: walked
    assert listing.files == ()
    assert listing.skip_groups()[0].paths == ("tools/more.py", "tools/script.py")
    everything = find_inputs([str(root / "*")])
    assert "pyproject.toml" in paths(everything) and "tools/script.py" not in paths(everything)


def test_a_glob_whose_matches_are_all_skipped_is_no_error(tmp_path: Path) -> None:
    root = _mixed_folder(tmp_path / "d")
    assert list_inputs([str(root / "tool?")]).files == ()


def test_skipped_files_get_no_dump(tmp_path: Path) -> None:
    result = dumps(_mixed_folder(tmp_path / "d"), captured_at=OPTION_TIME)
    assert [d.path for d in result] == ["crawl.jsonl#L1", "page.txt"]


def test_extensions_as_the_summary_names_them() -> None:
    assert [extension(p) for p in ("a/b.MD", "x.json.gz", "Makefile", ".env", "t.tar.gz")] == [
        ".md",
        ".json.gz",
        "(no extension)",
        "(no extension)",
        ".tar.gz",
    ]


# --- 6: builder's own output is never an input ----------------------------------------


def _fake_dataset(folder: Path) -> Path:
    """What builder.release writes, as far as a walk can tell: a card, a changelog,
    and a release folder with its manifest, croissant.json and Parquet files."""
    write(folder / "README.md", "---\nconfigs: []\n---\n# card")
    write(folder / "CHANGELOG.md", "# Changelog")
    release = folder / "versions" / "1.0.0"
    write(release / "manifest.json", "{}")
    write(release / "croissant.json", "{}")
    write(release / "README.md", "# card")
    write(release / "dumps" / "train-00000-of-00001.parquet", b"PAR1")
    write(release / "notes.txt", "a dump-named file inside a release is still not an input")
    write(folder / ".cache" / "per-dump.sqlite", b"SQLite format 3\x00")
    return folder


def test_a_dataset_folder_inside_an_input_folder_is_skipped_and_counted(tmp_path: Path) -> None:
    write(tmp_path / "in" / "page.txt", "Harbour page")
    _fake_dataset(tmp_path / "in" / "out")
    listing = list_inputs([str(tmp_path / "in")])
    assert paths(list(listing.files)) == ["page.txt"]
    [folders] = listing.skip_groups()
    assert (folders.reason, folders.folder, folders.names) == (DATASET, True, ("out",))
    assert folders.line() == "1 folder skipped: a builder dataset, never an input (out)"


@pytest.mark.parametrize("part", ["versions", "versions/1.0.0", "cache-only", "old-cache-only"])
def test_a_dataset_is_recognised_by_any_of_its_parts(tmp_path: Path, part: str) -> None:
    """Copied or renamed: a versions/ folder, one release, or a folder with only the cache."""
    dataset = _fake_dataset(tmp_path / "ds")
    write(tmp_path / "in" / "page.txt", "p")
    if part == "cache-only":  # a folder of Arrow result files (builder.release.cache)
        write(tmp_path / "in" / "odd" / ".cache" / "per-dump" / f"{'0' * 32}.arrow", b"ARROW1")
        write(tmp_path / "in" / "odd" / "page.txt", "p")
    elif part == "old-cache-only":  # an older builder's one SQLite file
        write(tmp_path / "in" / "odd" / ".cache" / "per-dump.sqlite", b"SQLite format 3\x00")
        write(tmp_path / "in" / "odd" / "page.txt", "p")
    else:
        os.rename(dataset / part, tmp_path / "in" / "copied")
    listing = list_inputs([str(tmp_path / "in")])
    assert paths(list(listing.files)) == ["page.txt"]
    assert [g.reason for g in listing.skip_groups()] == [DATASET]


def test_the_out_folder_is_never_walked_even_before_it_is_a_dataset(tmp_path: Path) -> None:
    write(tmp_path / "in" / "page.txt", "p")
    write(tmp_path / "in" / "out" / "draft.txt", "not yet a dataset, but the --out folder")
    listing = list_inputs([str(tmp_path / "in")], exclude=[tmp_path / "in" / "out"])
    assert paths(list(listing.files)) == ["page.txt"]
    assert listing.skip_groups()[0].paths == ("out",)
    # By real path: a symlink to the out folder, or a relative spelling, is the same folder.
    (tmp_path / "in" / "alias").symlink_to(tmp_path / "in" / "out", target_is_directory=True)
    again = list_inputs([str(tmp_path / "in")], exclude=[str(tmp_path / "in" / "." / "out")])
    assert paths(list(again.files)) == ["page.txt"]


def test_a_dataset_or_the_out_folder_named_as_input_is_a_one_line_error(tmp_path: Path) -> None:
    dataset = _fake_dataset(tmp_path / "ds")
    for spec in (dataset, dataset / "versions", dataset / "versions" / "1.0.0"):
        with pytest.raises(InputError, match="is a builder dataset: builder never reads") as info:
            list_inputs([str(spec)])
        assert "\n" not in str(info.value)
    write(tmp_path / "in" / "page.txt", "p")
    with pytest.raises(InputError, match="is the --out folder"):
        list_inputs([str(tmp_path / "in")], exclude=[tmp_path / "in"])
    # A file named inside it is still what the user asked for.
    assert paths(find_inputs([str(dataset / "versions" / "1.0.0" / "notes.txt")])) == ["notes.txt"]


def test_a_folder_that_only_looks_dated_is_walked(tmp_path: Path) -> None:
    write(tmp_path / "in" / "2025.07.01" / "page.txt", "p")
    write(tmp_path / "in" / "versions" / "1.0.0" / "page.txt", "p")  # no manifest: not ours
    assert paths(find_inputs([str(tmp_path / "in")])) == [
        "2025.07.01/page.txt",
        "versions/1.0.0/page.txt",
    ]


# --- 7: two inputs never share a path ---------------------------------------------------


def test_same_name_in_two_folders_gives_two_paths(tmp_path: Path) -> None:
    write(tmp_path / "a" / "page.txt", "from a")
    write(tmp_path / "b" / "page.txt", "from b")
    result = dumps(tmp_path / "a", tmp_path / "b", captured_at=OPTION_TIME)
    assert [(d.path, d.data) for d in result] == [
        ("a/page.txt", b"from a"),
        ("b/page.txt", b"from b"),
    ]


def test_named_files_of_the_same_name_get_two_paths(tmp_path: Path) -> None:
    write(tmp_path / "a" / "page.txt", "from a")
    write(tmp_path / "b" / "page.txt", "from b")
    files = find_inputs([str(tmp_path / "b" / "page.txt"), str(tmp_path / "a" / "page.txt")])
    assert paths(files) == ["a/page.txt", "b/page.txt"]


def test_top_roots_with_the_same_name_keep_more_of_their_path(tmp_path: Path) -> None:
    write(tmp_path / "x" / "dumps" / "page.txt", "x")
    write(tmp_path / "y" / "dumps" / "page.txt", "y")
    files = find_inputs([str(tmp_path / "y" / "dumps"), str(tmp_path / "x" / "dumps")])
    assert paths(files) == ["x/dumps/page.txt", "y/dumps/page.txt"]
    assert not any(os.path.isabs(p) or str(tmp_path) in p for p in paths(files))


def test_one_top_root_keeps_its_paths(tmp_path: Path) -> None:
    """`builder make dumps/` and `builder make dumps/ dumps/sub/` give today's paths."""
    write(tmp_path / "dumps" / "page.txt", "p")
    write(tmp_path / "dumps" / "sub" / "page.txt", "q")
    alone = paths(find_inputs([str(tmp_path / "dumps")]))
    assert alone == ["page.txt", "sub/page.txt"]
    nested = [str(tmp_path / "dumps" / "sub"), str(tmp_path / "dumps")]
    assert paths(find_inputs(nested)) == alone
    assert paths(find_inputs([str(tmp_path / "dumps" / "sub" / "page.txt")])) == ["page.txt"]


def test_several_roots_give_the_same_paths_in_any_order_under_any_folder(tmp_path: Path) -> None:
    def tree(base: Path) -> list[str]:
        for name in ("a", "b", "c"):
            write(base / name / "page.txt", name)
            write(base / name / "deep" / "page.txt", name * 2)
        return [str(base / n) for n in ("a", "b", "c")] + [str(base / "b" / "deep" / "page.txt")]

    first = tree(tmp_path / "one")
    second = tree(tmp_path / "elsewhere" / "two")
    want = [(f.path, f.kind) for f in find_inputs(first)]
    assert len({p for p, _ in want}) == len(want) == 6
    for seed in range(4):
        for specs in (first, second):
            shuffled = list(specs)
            random.Random(seed).shuffle(shuffled)
            assert [(f.path, f.kind) for f in find_inputs(shuffled)] == want


def test_group_orders_files_before_folders() -> None:
    from builder.inputs.skipped import Skipped

    groups = group([Skipped("ds", DATASET, True), Skipped("n.md", NOT_A_DUMP, False)])
    assert [(g.folder, g.count) for g in groups] == [(False, 1), (True, 1)]


def test_labels_never_start_one_another() -> None:
    """/b, /x/b/c and /y/c: with two components `b` would start `b/c`, and /b's file
    c/f.txt would share the path of /x/b/c's f.txt; three components tell them apart."""
    from builder.inputs.walk import top_root_prefixes

    prefixes = top_root_prefixes([("b",), ("x", "b", "c"), ("y", "c"), ("y", "c", "sub")])
    assert prefixes == {
        ("b",): ("b",),
        ("x", "b", "c"): ("x", "b", "c"),
        ("y", "c"): ("y", "c"),
        ("y", "c", "sub"): ("y", "c", "sub"),
    }
    assert top_root_prefixes([("home", "u", "dumps"), ("home", "u", "dumps", "x")]) == {
        ("home", "u", "dumps"): (),
        ("home", "u", "dumps", "x"): ("x",),
    }
