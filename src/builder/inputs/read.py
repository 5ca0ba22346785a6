"""Read the listed inputs into raw dumps, one at a time, so memory is bounded by one dump.

Text files are one dump each; JSON Lines exports (plain or gzip) one per record.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import BinaryIO

from builder.inputs.compressed import gzip_lines
from builder.inputs.files import (
    DEFAULT_MAX_BYTES,
    Clock,
    InputFile,
    Kind,
    as_utc,
    capture_clock,
    failed_dump,
    os_reason,
    type_name,
)
from builder.inputs.jsonl import plain_lines, record_dump
from builder.inputs.walk import find_inputs
from builder.records import RawDump


class _Unusable(Exception):
    """A file that cannot be read; carries the reason for its quarantined dump."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_dumps(
    specs: Sequence[str],
    *,
    captured_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[RawDump]:
    """`find_inputs` then `iter_dumps`: spec errors raise before any dump is yielded."""
    return iter_dumps(find_inputs(specs), captured_at=captured_at, max_bytes=max_bytes)


def iter_dumps(
    files: Iterable[InputFile],
    *,
    captured_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[RawDump]:
    """Yield the dumps of the inputs one at a time, so memory is bounded by one dump.

    `captured_at` (naive means UTC) stands in for the capture time of every input that
    does not record its own; without it the file's modification time is used.
    """
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
    option = as_utc(captured_at) if captured_at is not None else None
    for file in files:
        yield from _dumps_of(file, option, max_bytes)


def _dumps_of(file: InputFile, option: datetime | None, max_bytes: int) -> Iterator[RawDump]:
    if file.error is not None:
        yield failed_dump(file.path, file.error, b"", capture_clock(option, file.mtime_ns))
        return
    try:
        fd, st = _open_regular(file.real_path)
    except _Unusable as exc:
        yield failed_dump(file.path, exc.reason, b"", capture_clock(option, file.mtime_ns))
        return
    clock = capture_clock(option, st.st_mtime_ns)
    if file.kind == "text":
        # Read on the descriptor itself, closed before the dump is handed out: a file
        # object (FileIO + BufferedReader) costs a second fstat, an isatty ioctl and an
        # lseek per file, and Python objects around them (20,000 dumps: 0.15 -> 0.10 s
        # of CPU to read them; the I/O floor's `Path.read_bytes` takes 0.12 s).
        try:
            data = _read_fd(fd, max_bytes + 1, st.st_size)  # one byte more: "too large"
        except OSError as exc:
            yield failed_dump(file.path, os_reason(exc), b"", clock)
            return
        finally:
            os.close(fd)
        yield _text_dump(file.path, data, clock, max_bytes)
        return
    try:
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield from _dumps_of_open(file.path, file.kind, fh, clock, max_bytes)


def dumps_of_stream(
    path: str,
    kind: Kind,
    fh: BinaryIO,
    *,
    mtime_ns: int | None,
    captured_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[RawDump]:
    """The dumps of one input already opened elsewhere (an fsspec file on s3://, say),
    by exactly the rules local files follow, so a remote copy gives the same dataset."""
    option = as_utc(captured_at) if captured_at is not None else None
    yield from _dumps_of_open(path, kind, fh, capture_clock(option, mtime_ns), max_bytes)


def _dumps_of_open(
    path: str, kind: Kind, fh: BinaryIO, clock: Clock, max_bytes: int
) -> Iterator[RawDump]:
    if kind == "text":
        try:
            data = read_up_to(fh, max_bytes + 1)  # one byte more: "too large"
        except OSError as exc:
            yield failed_dump(path, os_reason(exc), b"", clock)
            return
        yield _text_dump(path, data, clock, max_bytes)
        return
    lines = gzip_lines(fh, max_bytes) if kind == "jsonl.gz" else plain_lines(fh, max_bytes)
    empty = True
    for line in lines:
        empty = False
        yield record_dump(f"{path}#L{line.no}", line, clock)
    if empty:  # no record to give a row to: the file itself gets one, or it would be lost
        yield failed_dump(path, "no records (an empty or blank JSON Lines file)", b"", clock)


def _open_regular(path: str) -> tuple[int, os.stat_result]:
    """Open without ever blocking: a FIFO swapped in after listing must not hang the run.
    The descriptor is the caller's to close."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _Unusable(os_reason(exc)) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Unusable(f"not a regular file ({type_name(st.st_mode)})")
        return fd, st
    except BaseException:
        os.close(fd)
        raise


def _text_dump(path: str, data: bytes, clock: Clock, max_bytes: int) -> RawDump:
    """The dump of a text file read up to `max_bytes + 1` bytes: one byte more tells
    "too large" from "exactly full"."""
    if len(data) > max_bytes:
        return failed_dump(path, f"too large (more than {max_bytes} bytes)", data, clock)
    return RawDump(path=path, data=data, captured_at=clock[0], captured_at_source=clock[1])


def _read_fd(fd: int, limit: int, size_hint: int) -> bytes:
    """The first `limit` bytes of the file open as `fd`, or all of it if fewer: what
    `fh.read(limit)` gives, read with `os.read`.

    `size_hint` is the file's size at fstat time: the first read asks for one byte
    more, so a file of that size takes two reads (the second finds the end), and one
    that grew since keeps being read to `limit`. `os.read(fd, n)` allocates n bytes
    before it reads: asked for `limit` (32 MB) at once, it would allocate that much
    and shrink it for every dump, so the reads after the first ask for at most as much
    as was read so far (64 KB at least).
    """
    data = os.read(fd, min(limit, size_hint + 1))
    if not data:
        return data
    chunks = [data]
    got = len(data)
    while got < limit:
        more = os.read(fd, min(limit - got, max(got, 1 << 16)))
        if not more:
            break
        chunks.append(more)
        got += len(more)
    return data if len(chunks) == 1 else b"".join(chunks)


def read_up_to(fh: BinaryIO, limit: int, size_hint: int | None = None) -> bytes:
    """The next `limit` bytes of `fh`, or all that is left if fewer: `fh.read(limit)`.

    `size_hint` is the size the file had when it was opened (fstat). Asked for 32 MB,
    a buffered read allocates 32 MB and shrinks it afterwards, which cost more than the
    read itself (30 of 50 us per 6 KB dump); asked for the hinted size plus one byte, it
    allocates what the file holds. A file that grew since keeps being read to `limit`,
    so the bytes are those `fh.read(limit)` gives.
    """
    if size_hint is None or size_hint + 1 >= limit:
        return fh.read(limit)
    data = fh.read(size_hint + 1)
    if len(data) <= size_hint:  # the end of the file came first: that is all of it
        return data
    return data + fh.read(limit - len(data))
