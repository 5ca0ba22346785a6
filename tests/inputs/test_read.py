"""Reading inputs into dumps (builder.inputs.read): capture times and bad files."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from builder.inputs.files import DEFAULT_MAX_BYTES
from builder.inputs.read import _read_fd, iter_dumps, read_up_to
from builder.inputs.walk import find_inputs
from tests.inputs.support import OPTION_TIME, dumps, jsonl, write

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


@pytest.mark.parametrize("hint", [None, 0, 3, 9, 10, 11, 40, 10_000])
@pytest.mark.parametrize("size", [0, 3, 10, 11, 25])
def test_read_up_to_gives_what_a_plain_read_gives_whatever_the_size_hint(
    tmp_path: Path, size: int, hint: int | None
) -> None:
    """The hint is the size at fstat time; a file that grew or shrank since is still
    read exactly as `fh.read(limit)` reads it (limit 11 = max_bytes 10 + 1)."""
    path = write(tmp_path / "f.txt", bytes(range(65, 65 + size)))
    with path.open("rb") as fh:
        expected = fh.read(11)
    with path.open("rb") as fh:
        assert read_up_to(fh, 11, hint) == expected
        assert fh.read() == path.read_bytes()[len(expected) :]  # nothing more consumed


@pytest.mark.parametrize("hint", [0, 3, 9, 10, 11, 40, 70_000])
@pytest.mark.parametrize("size", [0, 3, 10, 11, 25, 70_000, 200_000])
def test_a_text_file_read_on_its_descriptor_gives_what_a_plain_read_gives(
    tmp_path: Path, size: int, hint: int
) -> None:
    """A text input is read with `os.read` on its descriptor (`_read_fd`), not through
    a file object: whatever its size at fstat time (`hint`; a file that grew or shrank
    since), the bytes are those `fh.read(limit)` gives, in reads after the first that
    grow with what was read (a limit of 150,001 is read whole past 64 KB chunks)."""
    path = write(tmp_path / "f.txt", bytes(i % 251 for i in range(size)))
    for limit in (11, 150_001):
        with path.open("rb") as fh:
            expected = fh.read(limit)
        fd = os.open(path, os.O_RDONLY)
        try:
            assert _read_fd(fd, limit, hint) == expected
            assert os.read(fd, size + 1) == path.read_bytes()[len(expected) :]
        finally:
            os.close(fd)


def test_text_files_of_every_size_read_whole_and_closed(tmp_path: Path) -> None:
    """Each text file's dump holds its bytes, and its descriptor is closed by the time
    the dump is handed out (a build of 100,000 files must not run out of them)."""
    sizes = [1, 4095, 4096, 4097, 70_000]
    for i, size in enumerate(sizes):
        write(tmp_path / "d" / f"{i}.txt", bytes(65 + j % 26 for j in range(size)))
    before = len(os.listdir("/proc/self/fd"))
    stream = iter_dumps(find_inputs([str(tmp_path / "d")]), captured_at=OPTION_TIME)
    for i, dump in enumerate(stream):
        assert len(os.listdir("/proc/self/fd")) == before  # nothing left open
        assert dump.data == (tmp_path / "d" / f"{i}.txt").read_bytes()
        assert (dump.path, dump.error, len(dump.data)) == (f"{i}.txt", None, sizes[i])


def test_default_max_bytes_is_32_mib() -> None:
    assert DEFAULT_MAX_BYTES == 32 * 1024 * 1024


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        list(iter_dumps([], max_bytes=0))
