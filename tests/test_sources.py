"""Tests for builder.sources, on real files written into tmp_path (no mocks)."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import socket
import stat
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import FrameType

import pytest

from builder import sources
from builder.records import RawDump
from builder.sources import (
    COMPRESSED_TOTAL_FACTOR,
    DEFAULT_MAX_BYTES,
    InputError,
    InputFile,
    find_inputs,
    iter_dumps,
    read_dumps,
)

OPTION_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def paths(files: list[InputFile]) -> list[str]:
    return [f.path for f in files]


def dumps(*specs: Path | str, **kwargs: object) -> list[RawDump]:
    return list(read_dumps([str(s) for s in specs], **kwargs))  # type: ignore[arg-type]


def only(items: list[RawDump]) -> RawDump:
    assert len(items) == 1, items
    return items[0]


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Turn a blocking open() of a FIFO into a failure instead of a hung test run."""

    def fail(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("blocked: a FIFO was opened")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def make_tree(root: Path) -> Path:
    write(root / "b.txt", "B")
    write(root / "a.txt", "A")
    write(root / "sub" / "z.jsonl", jsonl({"text": "z"}))
    write(root / "sub" / "deeper" / "m.jsonl.gz", gzip.compress(jsonl({"text": "m"}).encode()))
    write(root / "page.html", "<html></html>")
    write(root / ".hidden.txt", "hidden")
    write(root / ".git" / "config", "hidden dir")
    return root


# ------------------------------------------------------------------------- listing


def test_directory_is_walked_recursively_in_sorted_order_without_hidden(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "dumps")
    files = find_inputs([str(root)])
    assert paths(files) == ["a.txt", "b.txt", "page.html", "sub/deeper/m.jsonl.gz", "sub/z.jsonl"]
    assert [f.kind for f in files] == ["text", "text", "text", "jsonl.gz", "jsonl"]
    assert all(f.abs_path.is_absolute() and f.error is None for f in files)


def test_every_text_file_is_one_dump_with_raw_bytes(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write(root / "latin1.txt", "café".encode("latin-1"))
    write(root / "page.html", "<html></html>")
    result = dumps(root, captured_at=OPTION_TIME)
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
    assert [p for p, _, _ in baseline] == ["a.txt", "deeper/m.jsonl.gz#L1", "e.txt", "z.jsonl#L1"]
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
    assert paths(one) == ["a.txt", "b.txt", "page.html", "sub/deeper/m.jsonl.gz", "sub/z.jsonl"]


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


# ------------------------------------------------------------------------- JSON Lines


def test_jsonl_records_become_dumps_with_line_numbers(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "first", "url": "https://example.org/1"}),
        "",
        "   ",
        json.dumps({"text": "zweite Seite ü", "fetched_at": "2024-03-01T10:00:00Z"}),
        json.dumps({"text": "third", "fetched_at": "2024-03-01T12:00:00+02:00"}),
        json.dumps({"text": "fourth", "fetched_at": "2024-03-01 09:30:15", "url": None}),
    ]
    write(tmp_path / "d" / "export.jsonl", "\r\n".join(lines) + "\n")
    result = dumps(tmp_path / "d", captured_at=OPTION_TIME)
    assert [d.path for d in result] == [
        "export.jsonl#L1",
        "export.jsonl#L4",
        "export.jsonl#L5",
        "export.jsonl#L6",
    ]
    assert [d.data for d in result] == [b"first", "zweite Seite ü".encode(), b"third", b"fourth"]
    assert [d.url for d in result] == ["https://example.org/1", None, None, None]
    assert {d.encoding_hint for d in result} == {"utf-8"}
    assert all(d.error is None for d in result)
    assert [(d.captured_at, d.captured_at_source) for d in result] == [
        (OPTION_TIME, "option"),
        (datetime(2024, 3, 1, 10, 0, tzinfo=UTC), "record"),
        (datetime(2024, 3, 1, 10, 0, tzinfo=UTC), "record"),  # +02:00 converted to UTC
        (datetime(2024, 3, 1, 9, 30, 15, tzinfo=UTC), "record"),  # naive means UTC
    ]
    assert all(d.captured_at.utcoffset() == timedelta(0) for d in result)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"text": "unterminated', "record is not JSON ("),
        ("not json at all", "record is not JSON ("),
        (b'{"text": "caf\xe9"}', "record is not JSON (invalid UTF-8"),
        ('["text", "a list"]', "record is not a JSON object (it is an array)"),
        ('"just a string"', "record is not a JSON object (it is a string)"),
        ('{"url": "https://x.org"}', 'record has no "text"'),
        ('{"text": 42}', '"text" is not a string (it is a number)'),
        ('{"text": null}', '"text" is not a string (it is null)'),
        ('{"text": "\\ud800"}', '"text" is not valid Unicode'),
        ('{"text": "t", "url": 7}', '"url" is not a string (it is a number)'),
        (
            '{"text": "t", "fetched_at": "yesterday"}',
            '"fetched_at" is not an ISO 8601 time: "yesterday"',
        ),
        ('{"text": "t", "fetched_at": "2024-03-01"}', '"fetched_at" is not an ISO 8601 time'),
        ('{"text": "t", "fetched_at": "2024-13-45T99:00:00"}', '"fetched_at" is not an ISO 8601'),
        ('{"text": "t", "fetched_at": 1700000000}', '"fetched_at" is not an ISO 8601 time: "1700'),
    ],
)
def test_bad_jsonl_record_is_quarantined_with_its_raw_line(
    tmp_path: Path, line: str | bytes, reason: str
) -> None:
    raw = line.encode() if isinstance(line, str) else line
    good = json.dumps({"text": "good"}).encode()
    write(tmp_path / "x.jsonl", good + b"\n" + raw + b"\n" + good + b"\n")
    result = dumps(tmp_path / "x.jsonl", captured_at=OPTION_TIME)
    assert [d.path for d in result] == ["x.jsonl#L1", "x.jsonl#L2", "x.jsonl#L3"]
    assert [d.error is None for d in result] == [True, False, True]
    bad = result[1]
    assert bad.error is not None and bad.error.startswith(reason), bad.error
    assert "\n" not in bad.error and "Traceback" not in bad.error
    assert bad.data == raw
    assert (bad.captured_at, bad.captured_at_source) == (OPTION_TIME, "option")


def test_long_bad_fetched_at_is_quoted_and_truncated(tmp_path: Path) -> None:
    value = "not a time\n" + "x" * 500
    write(tmp_path / "x.jsonl", jsonl({"text": "t", "fetched_at": value, "url": "https://u"}))
    dump = only(dumps(tmp_path / "x.jsonl"))
    assert dump.error is not None
    assert dump.error.startswith('"fetched_at" is not an ISO 8601 time: "not a time\\n')
    assert len(dump.error) < 100 and "\n" not in dump.error
    assert dump.url == "https://u"  # still says where the page came from


def test_overlong_jsonl_record_is_quarantined_and_later_records_kept(tmp_path: Path) -> None:
    big = json.dumps({"text": "y" * 5000})
    write(tmp_path / "x.jsonl", jsonl({"text": "a"}) + big + "\n" + jsonl({"text": "b"}))
    result = dumps(tmp_path / "x.jsonl", captured_at=OPTION_TIME, max_bytes=100)
    assert [(d.path, d.error is None) for d in result] == [
        ("x.jsonl#L1", True),
        ("x.jsonl#L2", False),
        ("x.jsonl#L3", True),
    ]
    assert result[1].error == "record too large (more than 100 bytes)"
    assert len(result[1].data) == 101
    assert result[2].data == b"b"


def test_jsonl_gz_records(tmp_path: Path) -> None:
    body = jsonl({"text": "eins", "url": "https://a"}, {"text": "zwei"}) + "\n"
    write(tmp_path / "x.jsonl.gz", gzip.compress(body.encode()))
    result = dumps(tmp_path / "x.jsonl.gz", captured_at=OPTION_TIME)
    assert [(d.path, d.data, d.url, d.error) for d in result] == [
        ("x.jsonl.gz#L1", b"eins", "https://a", None),
        ("x.jsonl.gz#L2", b"zwei", None, None),
    ]


def test_truncated_gzip_keeps_complete_records_then_one_error(tmp_path: Path) -> None:
    records = [{"text": f"record {i} " + "pad" * 50} for i in range(200)]
    whole = gzip.compress(jsonl(*records).encode(), compresslevel=1)
    write(tmp_path / "x.jsonl.gz", whole[: len(whole) // 2])
    result = dumps(tmp_path / "x.jsonl.gz", captured_at=OPTION_TIME)
    good, last = result[:-1], result[-1]
    assert 0 < len(good) < 200
    assert all(d.error is None for d in good)
    assert [d.data for d in good] == [r["text"].encode() for r in records[: len(good)]]
    assert last.path == f"x.jsonl.gz#L{len(good) + 1}"
    assert last.error is not None and last.error.startswith("truncated compressed file")
    assert last.data == b""


def test_file_that_is_not_gzip_is_one_error_row(tmp_path: Path) -> None:
    write(tmp_path / "x.jsonl.gz", jsonl({"text": "plain"}))
    dump = only(dumps(tmp_path / "x.jsonl.gz", captured_at=OPTION_TIME))
    assert dump.path == "x.jsonl.gz#L1"
    assert dump.error is not None and dump.error.startswith("corrupt compressed file (")


def test_gzip_bomb_stops_early_with_bounded_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    chunk = b"\0" * (1 << 20)
    with gzip.open(bomb, "wb", compresslevel=9) as gz:
        for _ in range(200):  # 200 MB of zeros, about 200 KB on disk
            gz.write(chunk)
    assert bomb.stat().st_size < 1_000_000
    max_bytes = 1 << 20
    tracemalloc.start()
    try:
        result = dumps(bomb, captured_at=OPTION_TIME, max_bytes=max_bytes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dump = only(result)
    assert dump.path == "bomb.jsonl.gz#L1"
    assert dump.error is not None
    # Zeros inflate ~1000 times: the ratio stops it before the record limit would.
    assert dump.error.startswith("compressed stream exceeds the size limit (a compression bomb")
    assert len(dump.data) <= max_bytes + 1
    assert peak < 16 * max_bytes, f"peak {peak} bytes"


def test_gzip_stream_over_the_total_limit_stops(tmp_path: Path) -> None:
    max_bytes = 1000
    line = json.dumps({"text": "z" * 480}) + "\n"  # ~500 bytes, each record is fine
    n_lines = 3 * COMPRESSED_TOTAL_FACTOR * max_bytes // len(line)
    write(tmp_path / "x.jsonl.gz", gzip.compress((line * n_lines).encode()))
    result = dumps(tmp_path / "x.jsonl.gz", captured_at=OPTION_TIME, max_bytes=max_bytes)
    kept = COMPRESSED_TOTAL_FACTOR * max_bytes // len(line)
    assert len(result) == kept + 1 < n_lines
    assert all(d.error is None for d in result[:-1])
    assert result[-1].path == f"x.jsonl.gz#L{kept + 1}"
    assert result[-1].error is not None
    total = COMPRESSED_TOTAL_FACTOR * max_bytes
    assert result[-1].error == (
        f"compressed stream exceeds the size limit (over {total} bytes in total)"
    )


# ------------------------------------------------------------------------- capture time


def test_captured_at_precedence_record_then_option_then_mtime(tmp_path: Path) -> None:
    write(tmp_path / "d" / "x.jsonl", jsonl({"text": "r", "fetched_at": "2020-01-02T03:04:05Z"}))
    write(tmp_path / "d" / "y.jsonl", jsonl({"text": "no time"}))
    write(tmp_path / "d" / "z.txt", "text")
    mtime = datetime(2023, 7, 8, 9, 10, 11, tzinfo=UTC).timestamp() + 0.75
    for name in ("x.jsonl", "y.jsonl", "z.txt"):
        os.utime(tmp_path / "d" / name, (mtime, mtime))

    def clocks(**kwargs: object) -> list[tuple[datetime, str]]:
        return [(d.captured_at, d.captured_at_source) for d in dumps(tmp_path / "d", **kwargs)]

    record = (datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), "record")
    from_mtime = (datetime(2023, 7, 8, 9, 10, 11, tzinfo=UTC), "mtime")  # truncated to seconds
    assert clocks() == [record, from_mtime, from_mtime]
    assert clocks(captured_at=OPTION_TIME) == [
        record,
        (OPTION_TIME, "option"),
        (OPTION_TIME, "option"),
    ]
    # A naive option means UTC; an aware one is converted to UTC.
    naive = datetime(2024, 5, 1, 12, 0)
    assert clocks(captured_at=naive)[2] == (OPTION_TIME, "option")
    cest = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    when, source = clocks(captured_at=cest)[2]
    assert (when, source) == (OPTION_TIME, "option") and when.tzinfo == UTC


# ------------------------------------------------------------------------- bad files


def test_unreadable_file_is_quarantined(tmp_path: Path) -> None:
    secret = write(tmp_path / "d" / "secret.txt", "hidden")
    write(tmp_path / "d" / "ok.txt", "fine")
    secret.chmod(0)
    try:
        if os.access(secret, os.R_OK):
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop reads")
        result = dumps(tmp_path / "d", captured_at=OPTION_TIME)
    finally:
        secret.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert [(d.path, d.error, d.data) for d in result] == [
        ("ok.txt", None, b"fine"),
        ("secret.txt", "unreadable file (permission denied)", b""),
    ]


def test_file_vanished_between_listing_and_reading(tmp_path: Path) -> None:
    gone = write(tmp_path / "d" / "gone.jsonl", jsonl({"text": "x"}))
    write(tmp_path / "d" / "stays.txt", "here")
    mtime = datetime(2022, 2, 2, tzinfo=UTC).timestamp()
    os.utime(gone, (mtime, mtime))
    files = find_inputs([str(tmp_path / "d")])
    gone.unlink()
    result = list(iter_dumps(files))
    assert [(d.path, d.error, d.data) for d in result] == [
        ("gone.jsonl", "file vanished between listing and reading", b""),
        ("stays.txt", None, b"here"),
    ]
    # The listing-time mtime still gives it a capture time.
    assert (result[0].captured_at, result[0].captured_at_source) == (
        datetime(2022, 2, 2, tzinfo=UTC),
        "mtime",
    )


def test_iter_dumps_is_lazy(tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.txt", "a")
    second = write(tmp_path / "d" / "b.txt", "b")
    stream = iter_dumps(find_inputs([str(tmp_path / "d")]), captured_at=OPTION_TIME)
    assert next(stream).data == b"a"
    second.unlink()  # read only now, after the first dump was handed out
    assert next(stream).error == "file vanished between listing and reading"
    assert next(stream, None) is None


def test_too_large_file_is_quarantined_after_a_bounded_read(tmp_path: Path) -> None:
    write(tmp_path / "d" / "exact.txt", b"x" * 10)
    write(tmp_path / "d" / "large.txt", b"y" * 10_000)
    result = dumps(tmp_path / "d", captured_at=OPTION_TIME, max_bytes=10)
    assert [(d.path, d.error) for d in result] == [
        ("exact.txt", None),
        ("large.txt", "too large (more than 10 bytes)"),
    ]
    assert result[1].data == b"y" * 11  # max_bytes + 1 bytes read, not the whole file


def test_default_max_bytes_is_32_mib() -> None:
    assert DEFAULT_MAX_BYTES == 32 * 1024 * 1024


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        list(iter_dumps([], max_bytes=0))


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
        ("link/p.txt", b"private", None),
        ("own.txt", b"own", None),
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
    (root / "self").symlink_to(root / "self")  # loop in the link itself
    result = dumps(root, captured_at=OPTION_TIME)
    assert [(d.path, d.error) for d in result] == [
        ("self", "symlink loop"),
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
    address = root / "s.sock"
    if len(os.fsencode(address)) > 100:
        pytest.skip("tmp_path too long for a UNIX socket address")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(address))
        dump = only(dumps(root, captured_at=OPTION_TIME))
    assert (dump.path, dump.error) == ("s.sock", "not a regular file (socket)")


# --- stamps: what lets an incremental build skip reading an unchanged file -------------


def _stamps(*specs: Path) -> dict[str, int | None]:
    return {f.path: f.stamp for f in find_inputs([str(s) for s in specs])}


def test_a_file_changed_within_the_settle_time_has_no_stamp(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.txt", "fresh")
    assert sources.SETTLE_NS >= 1_000_000_000
    assert _stamps(tmp_path / "in") == {"a.txt": None}
    assert find_inputs([str(tmp_path / "in" / "a.txt")])[0].stamp is None


def test_a_stamp_changes_with_anything_that_can_change_the_bytes_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "SETTLE_NS", -60_000_000_000)  # trust fresh files
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
    monkeypatch.setattr(sources, "SETTLE_NS", -60_000_000_000)
    write(tmp_path / "in" / "a.txt", "one page")
    [file] = find_inputs([str(tmp_path / "in")])
    stamps = {
        sources.reading_stamp(file, when, size)
        for when in (None, OPTION_TIME, OPTION_TIME + timedelta(seconds=1))
        for size in (DEFAULT_MAX_BYTES, 5)
    }
    assert len(stamps) == 6 and None not in stamps
    naive = OPTION_TIME.replace(tzinfo=None)  # naive means UTC, as when reading
    assert sources.reading_stamp(file, naive, 5) == sources.reading_stamp(file, OPTION_TIME, 5)
    assert sources.reading_stamp(replace(file, stamp=None), OPTION_TIME, 5) is None
