"""Listing inputs (builder.inputs.walk), on real files written into tmp_path (no mocks)."""

from __future__ import annotations

import os
import random
import socket
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from builder.engines import partitioned
from builder.inputs import walk
from builder.inputs.files import DEFAULT_MAX_BYTES, InputError
from builder.inputs.read import iter_dumps, read_dumps
from builder.inputs.walk import find_inputs
from tests.inputs.support import OPTION_TIME, dumps, jsonl, make_tree, only, paths, write

# ------------------------------------------------------------------------- listing


def test_directory_is_walked_recursively_in_sorted_order_without_hidden(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "dumps")
    files = find_inputs([str(root)])
    assert paths(files) == ["a.txt", "b.txt", "sub/deeper/m.jsonl.gz", "sub/z.jsonl"]
    assert [f.kind for f in files] == ["text", "text", "jsonl.gz", "jsonl"]
    assert all(f.abs_path.is_absolute() and f.error is None for f in files)


def test_every_text_file_is_one_dump_with_raw_bytes(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write(root / "latin1.txt", "café".encode("latin-1"))
    write(root / "page.html", "<html></html>")
    result = dumps(root, root / "page.html", captured_at=OPTION_TIME)  # named: an input
    assert [(d.path, d.data, d.error, d.encoding_hint) for d in result] == [
        ("latin1.txt", b"caf\xe9", None, None),
        ("page.html", b"<html></html>", None, None),
    ]


def test_file_args_give_the_same_paths_as_their_directory(tmp_path: Path) -> None:
    root = tmp_path / "d"
    for name in ("one.txt", "two.jsonl", "three.jsonl.gz"):
        write(root / name, "x")
    by_dir = find_inputs([str(root)])
    by_files = find_inputs([str(root / n) for n in ("two.jsonl", "one.txt", "three.jsonl.gz")])
    assert by_dir == by_files
    assert paths(by_dir) == ["one.txt", "three.jsonl.gz", "two.jsonl"]


def test_shuffled_args_under_another_prefix_give_the_same_sequence(tmp_path: Path) -> None:
    first = make_tree(tmp_path / "run1" / "deep" / "dumps")
    second = make_tree(tmp_path / "elsewhere" / "dumps")
    write(first / "extra" / "e.txt", "E")
    write(second / "extra" / "e.txt", "E")

    def run(root: Path, seed: int) -> list[tuple[str, bytes, str | None]]:
        specs = [str(root / "sub"), str(root / "extra" / "e.txt"), str(root / "a.txt")]
        random.Random(seed).shuffle(specs)
        return [(d.path, d.data, d.error) for d in read_dumps(specs, captured_at=OPTION_TIME)]

    baseline = run(first, 0)
    # One top root (the folder of a.txt holds the others): paths are relative to it.
    assert [p for p, _, _ in baseline] == [
        "a.txt",
        "extra/e.txt",
        "sub/deeper/m.jsonl.gz#L1",
        "sub/z.jsonl#L1",
    ]
    for seed in range(1, 6):
        assert run(first, seed) == baseline
        assert run(second, seed) == baseline


def test_glob_paths_are_relative_to_its_leading_directory(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "dumps")
    assert paths(find_inputs([str(root / "**" / "*.jsonl")])) == ["sub/z.jsonl"]
    assert paths(find_inputs([str(root / "*.txt")])) == ["a.txt", "b.txt"]
    # A glob matching a directory walks it, still relative to the glob's root.
    assert paths(find_inputs([str(root / "su?")])) == ["sub/deeper/m.jsonl.gz", "sub/z.jsonl"]
    assert paths(find_inputs([str(root / "sub" / "*" / "*.gz")])) == ["deeper/m.jsonl.gz"]


def test_relative_glob_and_dir_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "dumps")
    monkeypatch.chdir(tmp_path / "dumps")
    assert paths(find_inputs(["*.txt"])) == ["a.txt", "b.txt"]
    assert paths(find_inputs(["."]))[:2] == ["a.txt", "b.txt"]
    assert paths(find_inputs(["sub/z.jsonl"])) == ["z.jsonl"]


def test_same_file_reached_twice_is_listed_once_whatever_the_order(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "dumps")
    inner = root / "sub" / "z.jsonl"
    one = find_inputs([str(root), str(inner), str(root / "*.txt")])
    two = find_inputs([str(root / "*.txt"), str(inner), str(root)])
    assert one == two
    # The path from the outermost root wins: what `builder make dumps/` alone gives.
    assert paths(one) == ["a.txt", "b.txt", "sub/deeper/m.jsonl.gz", "sub/z.jsonl"]


def test_missing_path_raises_input_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError) as info:
        find_inputs([str(missing)])
    message = str(info.value)
    assert str(missing) in message and "no such file" in message and "\n" not in message


def test_glob_matching_nothing_raises_input_error(tmp_path: Path) -> None:
    make_tree(tmp_path / "dumps")
    for spec in (tmp_path / "dumps" / "*.csv", tmp_path / "absent" / "*.txt"):
        with pytest.raises(InputError, match="glob matches no input") as info:
            find_inputs([str(spec)])
        assert str(spec) in str(info.value)


def test_fifo_given_by_name_is_an_input_error(tmp_path: Path, no_hang: None) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"not a regular file or directory \(fifo\)"):
        find_inputs([str(fifo)])


def test_directory_named_like_a_file_is_reported_not_walked(tmp_path: Path) -> None:
    write(tmp_path / "d" / "x.txt" / "inner.jsonl", jsonl({"text": "t"}))
    files = find_inputs([str(tmp_path / "d")])
    assert [(f.path, f.error) for f in files] == [
        ("x.txt", "a directory named like a dump file (not walked)")
    ]
    # Named on the command line, it is what the user asked for: walked.
    files = find_inputs([str(tmp_path / "d" / "x.txt")])
    assert [(f.path, f.kind) for f in files] == [("inner.jsonl", "jsonl")]


def test_empty_directory_gives_no_inputs(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert find_inputs([str(tmp_path / "empty")]) == []


def test_odd_file_names_are_recorded_exactly(tmp_path: Path) -> None:
    root = tmp_path / "d"
    names = ["with space.txt", "naïve – ünïcode.txt", "new\nline.txt", "日本.jsonl"]
    for name in names:
        write(root / name, jsonl({"text": name}) if name.endswith(".jsonl") else name)
    result = dumps(root, captured_at=OPTION_TIME)
    assert {d.path for d in result} == {
        "with space.txt",
        "naïve – ünïcode.txt",
        "new\nline.txt",
        "日本.jsonl#L1",
    }
    assert all(d.error is None for d in result)
    assert paths(find_inputs([str(root / "new\nline.txt")])) == ["new\nline.txt"]


def test_name_that_is_not_utf8_is_escaped(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    try:
        with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as fh:
            fh.write(b"x")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    dump = only(dumps(root, captured_at=OPTION_TIME))
    assert dump.path == "caf\\xe9.txt"
    dump.path.encode("utf-8")  # storable in Parquet
    assert dump.data == b"x"


# ------------------------------------------------------------------------- symlinks and specials


def test_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "d"
    target = write(root / ".store" / "2024-06-01.txt", "stored page")
    (root / "latest.txt").symlink_to(target)
    dump = only(dumps(root, captured_at=OPTION_TIME))
    assert (dump.path, dump.data, dump.error) == ("latest.txt", b"stored page", None)
    assert find_inputs([str(root)])[0].abs_path == target.resolve()


def test_symlinked_directory_into_another_input_root_is_followed(tmp_path: Path) -> None:
    write(tmp_path / "a" / "own.txt", "own")
    write(tmp_path / "b" / ".private" / "p.txt", "private")
    (tmp_path / "a" / "link").symlink_to(tmp_path / "b" / ".private", target_is_directory=True)
    result = dumps(tmp_path / "a", tmp_path / "b", captured_at=OPTION_TIME)
    assert [(d.path, d.data, d.error) for d in result] == [
        ("a/link/p.txt", b"private", None),
        ("a/own.txt", b"own", None),
    ]
    # Without b among the inputs, the same link leads out of the roots.
    alone = dumps(tmp_path / "a", captured_at=OPTION_TIME)
    assert [(d.path, d.error) for d in alone] == [
        ("link", "symlink points outside the input roots"),
        ("own.txt", None),
    ]


def test_file_reached_directly_and_through_a_symlink_keeps_the_direct_path(
    tmp_path: Path,
) -> None:
    root = tmp_path / "d"
    write(root / "real" / "page.txt", "p")
    (root / "a-link").symlink_to(root / "real", target_is_directory=True)
    assert paths(find_inputs([str(root)])) == ["real/page.txt"]


def test_symlink_outside_the_roots_is_rejected_unread(tmp_path: Path) -> None:
    write(tmp_path / "outside" / "passwd", "root:x:0:0")
    write(tmp_path / "d" / "ok.txt", "ok")
    (tmp_path / "d" / "evil.txt").symlink_to(tmp_path / "outside" / "passwd")
    (tmp_path / "d" / "evil-dir").symlink_to(tmp_path / "outside", target_is_directory=True)
    result = dumps(tmp_path / "d", captured_at=OPTION_TIME)
    assert [(d.path, d.error, d.data) for d in result] == [
        ("evil-dir", "symlink points outside the input roots", b""),
        ("evil.txt", "symlink points outside the input roots", b""),
        ("ok.txt", None, b"ok"),
    ]


def test_symlink_loops_are_detected(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write(root / "sub" / "page.txt", "p")
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)  # loop through the walk
    (root / "self.txt").symlink_to(root / "self.txt")  # loop in the link itself
    result = dumps(root, captured_at=OPTION_TIME)
    assert [(d.path, d.error) for d in result] == [
        ("self.txt", "symlink loop"),
        ("sub/page.txt", None),
        ("sub/up", "symlink loop"),
    ]


def test_broken_symlink_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "dangling.txt").symlink_to(tmp_path / "d" / "nowhere.txt")
    dump = only(dumps(tmp_path / "d", captured_at=OPTION_TIME))
    assert dump.path == "dangling.txt"
    assert dump.error == "broken symlink (its target does not exist)"


def test_fifo_in_a_directory_is_reported_and_never_opened(tmp_path: Path, no_hang: None) -> None:
    root = tmp_path / "d"
    write(root / "page.txt", "p")
    os.mkfifo(root / "pipe.jsonl")
    result = dumps(root, captured_at=OPTION_TIME)
    assert [(d.path, d.error, d.data) for d in result] == [
        ("page.txt", None, b"p"),
        ("pipe.jsonl", "not a regular file (fifo)", b""),
    ]


def test_fifo_swapped_in_after_listing_does_not_block(tmp_path: Path, no_hang: None) -> None:
    page = write(tmp_path / "d" / "page.txt", "p")
    files = find_inputs([str(tmp_path / "d")])
    page.unlink()
    os.mkfifo(page)
    dump = only(list(iter_dumps(files, captured_at=OPTION_TIME)))
    assert dump.error == "not a regular file (fifo)"


def test_socket_in_a_directory_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    address = root / "s.txt"
    if len(os.fsencode(address)) > 100:
        pytest.skip("tmp_path too long for a UNIX socket address")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(address))
        dump = only(dumps(root, captured_at=OPTION_TIME))
    assert (dump.path, dump.error) == ("s.txt", "not a regular file (socket)")


# --- stamps: what lets an incremental build skip reading an unchanged file -------------


def _stamps(*specs: Path) -> dict[str, int | None]:
    return {f.path: f.stamp for f in find_inputs([str(s) for s in specs])}


def test_a_file_changed_within_the_settle_time_has_no_stamp(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.txt", "fresh")
    assert walk.SETTLE_NS >= 1_000_000_000
    assert _stamps(tmp_path / "in") == {"a.txt": None}
    assert find_inputs([str(tmp_path / "in" / "a.txt")])[0].stamp is None


def test_a_stamp_changes_with_anything_that_can_change_the_bytes_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(walk, "SETTLE_NS", -60_000_000_000)  # trust fresh files
    a = write(tmp_path / "in" / "a.txt", "one page")
    first = _stamps(tmp_path / "in")["a.txt"]
    assert first is not None and first == _stamps(tmp_path / "in")["a.txt"]  # stable
    assert find_inputs([str(a)])[0].stamp == first  # named alone or in its directory
    st = a.stat()
    time.sleep(0.02)  # past a tick of the file system's clock
    a.write_text("one Page")  # same size ...
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))  # ... and mtime
    second = _stamps(tmp_path / "in")["a.txt"]
    assert second not in (None, first)
    time.sleep(0.02)
    a.chmod(0o600)
    assert _stamps(tmp_path / "in")["a.txt"] not in (None, first, second)
    b = write(tmp_path / "in" / "b.txt", "one page")
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))  # another file: another inode
    assert _stamps(tmp_path / "in")["b.txt"] not in (None, first, second)


def test_a_reading_stamp_holds_the_reading_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(walk, "SETTLE_NS", -60_000_000_000)
    write(tmp_path / "in" / "a.txt", "one page")
    [file] = find_inputs([str(tmp_path / "in")])
    stamps = {
        walk.reading_stamp(file, when, size)
        for when in (None, OPTION_TIME, OPTION_TIME + timedelta(seconds=1))
        for size in (DEFAULT_MAX_BYTES, 5)
    }
    assert len(stamps) == 6 and None not in stamps
    naive = OPTION_TIME.replace(tzinfo=None)  # naive means UTC, as when reading
    assert walk.reading_stamp(file, naive, 5) == walk.reading_stamp(file, OPTION_TIME, 5)
    assert walk.reading_stamp(replace(file, stamp=None), OPTION_TIME, 5) is None


def test_inputs_are_sized_as_the_listing_saw_them(tmp_path: Path) -> None:
    """The listing stats every input already: the build sizes its batches from that,
    with no second `stat` of each input (0.1 s at 20,000 inputs). A file changed or
    gone since counts as it was listed; an input listed without a size is stat'ed."""
    (tmp_path / "a.txt").write_bytes(b"x" * 700)
    (tmp_path / "b.txt").write_bytes(b"y" * 50)
    first, second = walk.list_inputs([str(tmp_path)]).files
    assert [partitioned.input_size(f) for f in (first, second)] == [700, 50]
    (tmp_path / "a.txt").unlink()
    assert partitioned.input_size(first) == 700
    unsized = replace(second, size_bytes=None)
    (tmp_path / "b.txt").write_bytes(b"y" * 60)
    assert partitioned.input_size(unsized) == 60
