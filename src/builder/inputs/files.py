"""What an input is, and how one that cannot be read still becomes a dump.

Every input becomes exactly one dump (or one per JSON Lines record); a bad input
becomes a dump with `error` set instead of an exception, so that `dumps` accounts for
everything: inputs = parsed + quarantined. Only a spec that cannot be used at all
(missing path, glob matching nothing) raises `InputError`: there is nothing to record
for it, and the user has to fix the command.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from builder.records import CapturedAtSource, RawDump

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


Kind = Literal["text", "jsonl", "jsonl.gz"]

#: The dump formats: what a directory walk takes (a file named on the command line is
#: an input whatever its name). `.txt` page dumps, JSON Lines crawler exports.
DUMP_SUFFIXES = (".txt", ".jsonl", ".jsonl.gz")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: A capture time and where it came from.
Clock = tuple[datetime, CapturedAtSource]


class InputError(Exception):
    """An input as given cannot be used at all (path does not exist, glob matches nothing).

    The CLI prints it in one line and exits non-zero.
    """


class Picklable:
    """Pickled as a call of its class with its fields, for the records that pool workers
    and Dask move between processes. Their modules are compiled (builder.compiled): a
    compiled class has no `__dict__` for pickle to fill, and a frozen one may not be
    restored field by field."""

    __slots__ = ()  # as Python, its records keep no per-instance dict either

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        record: Any = self
        names = [f.name for f in fields(record)] if is_dataclass(record) else []
        return type(self), tuple(getattr(self, name) for name in names)


@dataclass(frozen=True, slots=True)
class InputFile(Picklable):
    """One input found by `find_inputs`, not yet read.

    `error` is set when listing already showed the input cannot be read (a symlink
    leading out of the input roots, a FIFO, ...): it still becomes a quarantined dump,
    and it is never opened. `mtime_ns` is the listing-time modification time, the
    fallback capture time when the file is gone by the time it is read. `stamp` is 64
    bits of what the listing saw of the file (paths, device, inode, mode, size, times):
    while it is the same, the bytes are the same, so an incremental build need not
    read the file again to know them (None: not stable enough to tell, see SETTLE_NS).
    `size_bytes` is its size then, which sizes the build's batches and partitions
    without a second `stat` of every input (None: the listing did not see it).

    The driver holds every input for the whole build, and every forked pool worker
    counts that memory again: so the resolved path is kept as the string
    `os.path.realpath` gives (`abs_path` makes the Path when asked) and there is no
    per-instance dict, ~50 MB less at 100,000 inputs.
    """

    real_path: str
    path: str
    kind: Kind
    error: str | None = None
    mtime_ns: int | None = field(default=None, compare=False)
    stamp: int | None = field(default=None, compare=False)
    size_bytes: int | None = field(default=None, compare=False)

    @property
    def abs_path(self) -> Path:
        return Path(self.real_path)


def kind_of(name: str) -> Kind:
    lower = name.lower()
    if lower.endswith(".jsonl.gz"):
        return "jsonl.gz"
    if lower.endswith(".jsonl"):
        return "jsonl"
    return "text"


def named_like_a_dump(name: str) -> bool:
    return name.lower().endswith(DUMP_SUFFIXES)


def decoded_name(name: str) -> str:
    """A file name as text that Parquet can store.

    Names are recorded exactly, except bytes that are not UTF-8 (which Python carries as
    lone surrogates and no UTF-8 writer accepts): those become `\\xNN`.


    """
    if name.isascii():  # most names: nothing to escape
        return name
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def type_name(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISDIR, "directory"),
    ):
        if test(mode):
            return name
    return "unknown file type"


def strerror(exc: OSError) -> str:
    text = exc.strerror or type(exc).__name__
    return one_line(text[:1].lower() + text[1:])


def one_line(text: str) -> str:
    return " ".join(text.split())


def os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file vanished between listing and reading"
    if isinstance(exc, PermissionError):
        return "unreadable file (permission denied)"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"unreadable file ({strerror(exc)})"


def short(text: str) -> str:
    text = one_line(text)
    return text[:1].lower() + text[1:80]


def capture_clock(option: datetime | None, mtime_ns: int | None) -> Clock:
    """The capture time when the input does not record one: the option, else the mtime.

    The mtime is cut to whole seconds because file systems differ in sub-second
    precision, and a copy must not change the dataset.
    """
    if option is not None:
        return option, "option"
    if mtime_ns is None:
        return _EPOCH, "mtime"  # an InputFile built by hand whose file is gone
    return datetime.fromtimestamp(mtime_ns // 1_000_000_000, tz=UTC), "mtime"


def failed_dump(
    path: str, reason: str, data: bytes, clock: Clock, *, url: str | None = None
) -> RawDump:
    return RawDump(
        path=path,
        data=data,
        captured_at=clock[0],
        captured_at_source=clock[1],
        url=url,
        error=one_line(reason),
    )


def as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
