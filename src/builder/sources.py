"""Find inputs and yield raw dumps with their origin.

Two promises shape this module. First, every input becomes exactly one dump (or one per
JSON Lines record), and a bad input becomes a dump with `error` set instead of an
exception, so that `dumps` accounts for everything: inputs = parsed + quarantined.
Second, the same files give the same sequence of dumps whatever the argument order or
the directory they live in, because dump ids and release bytes depend on it.

Only a spec that cannot be used at all (missing path, glob matching nothing) raises
`InputError`: there is nothing to record for it, and the user has to fix the command.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO, Literal

from builder.records import CapturedAtSource, RawDump

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
#: A compressed export may inflate to this many times `max_bytes` in total; past that
#: it is treated as a decompression bomb rather than read to the end.
COMPRESSED_TOTAL_FACTOR = 20
#: Past `BOMB_MIN_BYTES` inflated, a compressed export inflating more than this many
#: times is a compression bomb. Text and JSON compress 3 to 20 times, an export of one
#: record repeated under 100; deflate's ceiling is about 1,030.
BOMB_RATIO = 200
BOMB_MIN_BYTES = 256 * 1024
#: A file changed less than this long before it was listed may change again within one
#: tick of the file system's clock without its times showing it, so its stamp is not
#: trusted (git's "racily clean" rule): it is read and hashed like a new file.
SETTLE_NS = 2_000_000_000

Kind = Literal["text", "jsonl", "jsonl.gz"]

_MAGIC = re.compile(r"[*?[]")
_QUOTE_LIMIT = 40
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InputError(Exception):
    """An input as given cannot be used at all (path does not exist, glob matches nothing).

    The CLI prints it in one line and exits non-zero.
    """


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input found by `find_inputs`, not yet read.

    `error` is set when listing already showed the input cannot be read (a symlink
    leading out of the input roots, a FIFO, ...): it still becomes a quarantined dump,
    and it is never opened. `mtime_ns` is the listing-time modification time, the
    fallback capture time when the file is gone by the time it is read. `stamp` is 64
    bits of what the listing saw of the file (paths, device, inode, mode, size, times):
    while it is the same, the bytes are the same, so an incremental build need not
    read the file again to know them (None: not stable enough to tell, see SETTLE_NS).

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

    @property
    def abs_path(self) -> Path:
        return Path(self.real_path)


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class _Root:
    """A directory that input paths are made relative to."""

    spec: str
    path: str  # absolute, as given (symlinks not resolved, so walking goes through them)
    real: str  # resolved, for the "inside the input roots" check
    pattern: tuple[str, ...] | None  # glob components below `path`; None: everything


@dataclass(frozen=True)
class _Dir:
    """A directory on the walk stack."""

    path: str
    real: str
    parts: tuple[str, ...]  # relative to the root
    ancestors: frozenset[str]  # resolved paths of it and the dirs above it: loop detection
    via_link: bool
    selected: bool  # the glob matched this directory or one above it


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An input as reached by one spec, before duplicates are removed."""

    file: InputFile
    key: str  # resolved identity: the same key reached twice is the same input
    via_link: bool


def find_inputs(specs: Sequence[str]) -> list[InputFile]:
    """List the inputs named by files, directories and glob patterns, in canonical order.

    A file reached several times is listed once. Which path it keeps must not depend on
    argument order, so the rule is: a path reached without symlinks beats one through a
    symlink, then the deepest path (the outermost root, the one `builder make DIR` alone
    would give), then the smallest path.
    """
    settled = time.time_ns() - SETTLE_NS  # changed before this: a trusted stamp
    roots: list[_Root] = []
    candidates: list[_Candidate] = []
    allowed_set: set[str] = set()  # resolved input roots: symlinks may lead only into these
    for spec in specs:
        root = _root_of(spec)
        if root is None:
            candidates.append(_file_spec(spec, settled))
            allowed_set.add(os.path.realpath(os.path.dirname(os.path.abspath(spec))))
        else:
            roots.append(root)
            allowed_set.add(root.real)
    allowed = tuple(sorted(allowed_set))
    for root in roots:
        found = list(_walk(root, allowed, settled))
        if root.pattern is not None and not found:
            raise InputError(f"glob matches no input file: {_show(root.spec)}")
        candidates.extend(found)
    return _dedupe(candidates)


def _show(spec: str) -> str:
    """A spec quoted on one line, even if it holds a newline or undecodable bytes."""
    return json.dumps(_decoded(spec), ensure_ascii=False)


def _root_of(spec: str) -> _Root | None:
    """The root a spec is walked from, or None when it names a single file."""
    if os.path.lexists(spec):
        if os.path.isdir(spec):
            return _Root(spec, os.path.abspath(spec), os.path.realpath(spec), None)
        if os.path.isfile(spec):
            return None
        if os.path.exists(spec):
            kind = _type_name(os.stat(spec).st_mode)
            raise InputError(f"not a regular file or directory ({kind}): {_show(spec)}")
        raise InputError(f"broken symlink or symlink loop: {_show(spec)}")
    if _MAGIC.search(spec):
        return _glob_root(spec)
    raise InputError(f"no such file or directory: {_show(spec)}")


def _glob_root(spec: str) -> _Root:
    """Split a glob into its longest non-magic leading directory and the rest."""
    parts = Path(spec).parts
    cut = next((i for i, part in enumerate(parts) if _MAGIC.search(part)), len(parts))
    lead = str(Path(*parts[:cut])) if cut else "."
    return _Root(spec, os.path.abspath(lead), os.path.realpath(lead), tuple(parts[cut:]))


def _file_spec(spec: str, settled: int) -> _Candidate:
    """A file named on the command line: followed even through a symlink, since the
    user asked for it by name; its root is its parent, so its path is its base name."""
    name = os.path.basename(spec)
    real = os.path.realpath(spec)
    path = _decoded(name)
    try:
        st = os.stat(real)
    except OSError:  # gone already: reading it will say so
        return _Candidate(InputFile(real, path, _kind_of(name)), real, via_link=False)
    stamp = _stamp(real, path, st, settled)
    file = InputFile(real, path, _kind_of(name), mtime_ns=st.st_mtime_ns, stamp=stamp)
    return _Candidate(file, real, via_link=False)


def _stamp(real: str, path: str, st: os.stat_result, settled: int) -> int | None:
    """InputFile.stamp. Writing a file sets its ctime (no call sets it back), so a file
    whose stat is unchanged still holds the bytes it held; unless it changed so recently
    that a second write could fall in the same clock tick."""
    if st.st_ctime_ns >= settled or st.st_mtime_ns >= settled:
        return None
    seen = (real, path, st.st_dev, st.st_ino, st.st_mode, st.st_size)
    text = repr((*seen, st.st_mtime_ns, st.st_ctime_ns))  # repr escapes lone surrogates
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def reading_stamp(file: InputFile, captured_at: datetime | None, max_bytes: int) -> int | None:
    """64 bits of everything the dumps read from `file` depend on, besides the code:
    its stamp and the reading settings. None when the file's stamp is not trusted."""
    return None if file.stamp is None else file.stamp ^ _settings_mask(captured_at, max_bytes)


@cache
def _settings_mask(captured_at: datetime | None, max_bytes: int) -> int:
    """64 bits of the reading settings: XOR-ed into a stamp, one per setting stays unique."""
    option = _as_utc(captured_at).isoformat() if captured_at is not None else ""
    text = f"{option}|{max_bytes}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _dedupe(candidates: list[_Candidate]) -> list[InputFile]:
    """The preferred candidate of each key, in (path, real_path) order; no sort key is
    made per input (the transient objects of a listing stay in the driver's heap)."""

    def preference(c: _Candidate) -> tuple[bool, int, str, str]:
        return (c.via_link, -c.file.path.count("/"), c.file.path, c.file.real_path)

    best: dict[str, _Candidate] = {}
    for cand in candidates:
        kept = best.get(cand.key)
        if kept is None or preference(cand) < preference(kept):
            best[cand.key] = cand
    files = sorted((cand.file for cand in best.values()), key=attrgetter("real_path"))
    files.sort(key=attrgetter("path"))  # stable: by path, then by real path
    return files


def _walk(root: _Root, allowed: tuple[str, ...], settled: int) -> Iterator[_Candidate]:
    """Every input below a root; order is fixed later by `_dedupe`."""
    top = _Dir(root.path, root.real, (), frozenset({root.real}), False, root.pattern is None)
    stack = [top]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here.path) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError as exc:
            if here is not top:
                if here.selected:
                    reason = f"unreadable directory ({_strerror(exc)})"
                    yield _problem(here.parts, here.real, None, reason, here.via_link)
                continue
            if root.pattern is not None and isinstance(exc, FileNotFoundError | NotADirectoryError):
                return  # the glob's leading directory is missing: it matches nothing
            raise InputError(f"cannot read directory {_show(root.spec)}: {_strerror(exc)}") from exc
        while entries:  # popped: an entry and the stat it caches go once visited
            found = _visit(here, entries.pop(), root.pattern, allowed, settled)
            if isinstance(found, _Dir):
                stack.append(found)
            elif found is not None:
                yield found


def _visit(
    here: _Dir,
    entry: os.DirEntry[str],
    pattern: tuple[str, ...] | None,
    allowed: tuple[str, ...],
    settled: int,
) -> _Candidate | _Dir | None:
    """Turn one directory entry into an input, a directory to walk, or nothing."""
    if entry.name.startswith("."):
        return None  # hidden: editor swap files, .git, .DS_Store are not dumps
    parts = (*here.parts, entry.name)
    selected = here.selected or _glob_match(pattern, parts)
    if not selected and not _glob_may_match_below(pattern, parts):
        return None
    key = os.path.join(here.real, entry.name)
    try:
        st = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        return None  # gone while we were listing: it is no longer an input
    if stat.S_ISLNK(st.st_mode):
        return _visit_link(here, entry.path, parts, st, selected, allowed, settled)
    if stat.S_ISDIR(st.st_mode):
        if _named_like_a_dump(entry.name):
            return _problem(parts, key, st, _DUMP_NAMED_DIR, here.via_link) if selected else None
        return _Dir(entry.path, key, parts, here.ancestors | {key}, here.via_link, selected)
    if not selected:
        return None
    if stat.S_ISREG(st.st_mode):
        rel = _rel(parts)
        stamp = _stamp(key, rel, st, settled)
        file = InputFile(key, rel, _kind_of(entry.name), mtime_ns=st.st_mtime_ns, stamp=stamp)
        return _Candidate(file, key, here.via_link)
    reason = f"not a regular file ({_type_name(st.st_mode)})"
    return _problem(parts, key, st, reason, here.via_link)


def _visit_link(
    here: _Dir,
    path: str,
    parts: tuple[str, ...],
    link_st: os.stat_result,
    selected: bool,
    allowed: tuple[str, ...],
    settled: int,
) -> _Candidate | _Dir | None:
    """Follow a symlink only into the input roots, so that a link cannot pull in
    arbitrary files (or a whole disk) and a loop cannot make the walk endless."""
    key = os.path.join(here.real, parts[-1])

    def problem(reason: str) -> _Candidate | None:
        return _problem(parts, key, link_st, reason, True) if selected else None

    try:
        target = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return problem("symlink loop")
        if exc.errno == errno.ENOENT:
            return problem("broken symlink (its target does not exist)")
        return problem(f"unreadable symlink ({_strerror(exc)})")
    real = os.path.realpath(path)
    if not _inside(real, allowed):
        return problem("symlink points outside the input roots")
    if stat.S_ISDIR(target.st_mode):
        if real in here.ancestors:
            return problem("symlink loop")
        if _named_like_a_dump(parts[-1]):
            return problem(_DUMP_NAMED_DIR)
        return _Dir(path, real, parts, here.ancestors | {real}, True, selected)
    if not selected:
        return None
    if stat.S_ISREG(target.st_mode):
        rel = _rel(parts)
        stamp = _stamp(real, rel, target, settled)
        file = InputFile(real, rel, _kind_of(parts[-1]), mtime_ns=target.st_mtime_ns, stamp=stamp)
        return _Candidate(file, real, True)
    return problem(f"not a regular file ({_type_name(target.st_mode)})")


def _problem(
    parts: tuple[str, ...], key: str, st: os.stat_result | None, reason: str, via_link: bool
) -> _Candidate:
    mtime_ns = st.st_mtime_ns if st is not None else None
    file = InputFile(key, _rel(parts), "text", error=reason, mtime_ns=mtime_ns)
    return _Candidate(file, key, via_link)


def _inside(real: str, roots: tuple[str, ...]) -> bool:
    return any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots)


def _glob_match(pattern: tuple[str, ...] | None, parts: tuple[str, ...]) -> bool:
    return pattern is None or _match_parts(pattern, parts)


def _match_parts(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """Glob semantics per path component; `**` spans zero or more directories."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return _match_parts(rest, parts) or (bool(parts) and _match_parts(pattern, parts[1:]))
    return bool(parts) and fnmatchcase(parts[0], head) and _match_parts(rest, parts[1:])


def _glob_may_match_below(pattern: tuple[str, ...] | None, parts: tuple[str, ...]) -> bool:
    """Whether a directory can hold matches: prunes the walk to what the glob can reach."""
    if pattern is None or not pattern:
        return False
    if not parts or pattern[0] == "**":
        return True
    return fnmatchcase(parts[0], pattern[0]) and _glob_may_match_below(pattern[1:], parts[1:])


#: A directory found inside a root under a dump file's name is most likely a mistake
#: (an unpacked archive, a crawler's per-page folder): walking it would pull in files
#: of any name, so it is reported instead. Named on the command line, it is walked.
_DUMP_NAMED_DIR = "a directory named like a dump file (not walked)"


def _named_like_a_dump(name: str) -> bool:
    return name.lower().endswith((".txt", ".jsonl", ".jsonl.gz"))


def _kind_of(name: str) -> Kind:
    lower = name.lower()
    if lower.endswith(".jsonl.gz"):
        return "jsonl.gz"
    if lower.endswith(".jsonl"):
        return "jsonl"
    return "text"


def _decoded(name: str) -> str:
    """A file name as text that Parquet can store.

    Names are recorded exactly, except bytes that are not UTF-8 (which Python carries as
    lone surrogates and no UTF-8 writer accepts): those become `\\xNN`.
    """
    if name.isascii():  # most names: nothing to escape
        return name
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _rel(parts: tuple[str, ...]) -> str:
    return "/".join(_decoded(p) for p in parts)


def _type_name(mode: int) -> str:
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


def _strerror(exc: OSError) -> str:
    text = exc.strerror or type(exc).__name__
    return _one_line(text[:1].lower() + text[1:])


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- reading


class _Unusable(Exception):
    """A file that cannot be read; carries the reason for its quarantined dump."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Line:
    """One physical line of a JSON Lines export, or the reason reading stopped there."""

    no: int
    data: bytes
    error: str | None = None


@dataclass(frozen=True)
class _Record:
    text: bytes
    url: str | None
    fetched_at: datetime | None


class _BadRecord(Exception):
    def __init__(self, reason: str, url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url


_Clock = tuple[datetime, CapturedAtSource]


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
    option = _as_utc(captured_at) if captured_at is not None else None
    for file in files:
        yield from _dumps_of(file, option, max_bytes)


def _dumps_of(file: InputFile, option: datetime | None, max_bytes: int) -> Iterator[RawDump]:
    if file.error is not None:
        yield _failed(file.path, file.error, b"", _clock(option, file.mtime_ns))
        return
    try:
        fh, st = _open_regular(file.abs_path)
    except _Unusable as exc:
        yield _failed(file.path, exc.reason, b"", _clock(option, file.mtime_ns))
        return
    with fh:
        yield from _dumps_of_open(
            file.path, file.kind, fh, _clock(option, st.st_mtime_ns), max_bytes
        )


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
    option = _as_utc(captured_at) if captured_at is not None else None
    yield from _dumps_of_open(path, kind, fh, _clock(option, mtime_ns), max_bytes)


def _dumps_of_open(
    path: str, kind: Kind, fh: BinaryIO, clock: _Clock, max_bytes: int
) -> Iterator[RawDump]:
    if kind == "text":
        yield _text_dump(path, fh, clock, max_bytes)
        return
    lines = _gzip_lines(fh, max_bytes) if kind == "jsonl.gz" else _plain_lines(fh, max_bytes)
    empty = True
    for line in lines:
        empty = False
        yield _record_dump(f"{path}#L{line.no}", line, clock)
    if empty:  # no record to give a row to: the file itself gets one, or it would be lost
        yield _failed(path, "no records (an empty or blank JSON Lines file)", b"", clock)


def _open_regular(path: Path) -> tuple[BinaryIO, os.stat_result]:
    """Open without ever blocking: a FIFO swapped in after listing must not hang the run."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _Unusable(_os_reason(exc)) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Unusable(f"not a regular file ({_type_name(st.st_mode)})")
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file vanished between listing and reading"
    if isinstance(exc, PermissionError):
        return "unreadable file (permission denied)"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"unreadable file ({_strerror(exc)})"


def _text_dump(path: str, fh: BinaryIO, clock: _Clock, max_bytes: int) -> RawDump:
    try:
        data = fh.read(max_bytes + 1)  # one byte more tells "too large" from "exactly full"
    except OSError as exc:
        return _failed(path, _os_reason(exc), b"", clock)
    if len(data) > max_bytes:
        return _failed(path, f"too large (more than {max_bytes} bytes)", data, clock)
    return RawDump(path=path, data=data, captured_at=clock[0], captured_at_source=clock[1])


def _plain_lines(fh: BinaryIO, max_bytes: int) -> Iterator[_Line]:
    """Non-blank physical lines; an over-long record is reported and skipped in bounded
    chunks, so one giant line neither fills memory nor hides the records after it."""
    no = 0
    try:
        while line := fh.readline(max_bytes + 1):
            no += 1
            if _overlong(line, max_bytes):
                yield _Line(no, line, f"record too large (more than {max_bytes} bytes)")
                _skip_rest_of_line(fh, max_bytes)
            elif line.strip():
                yield _Line(no, _chomp(line))
    except OSError as exc:
        yield _Line(no + 1, b"", _os_reason(exc))


def _gzip_lines(fh: BinaryIO, max_bytes: int) -> Iterator[_Line]:
    """Like `_plain_lines`, but a record or stream inflating past the limits stops the
    read: skipping an over-long line would mean decompressing the whole bomb.

    Inflated in bounded chunks and split here rather than with `GzipFile.readline`:
    a bomb of blank lines made one Python call per byte (1.5 GB of newlines ran for
    hours), and the chunks let the inflation ratio be watched as it happens.
    """
    total_limit = COMPRESSED_TOTAL_FACTOR * max_bytes
    no = total = 0
    parts: list[bytes] = []  # the line being read, kept in pieces: no quadratic joins
    partial = 0

    def too_much(line: bytes) -> _Line | None:
        """The error row when `line` breaks a limit; a record limit hit mid-line too."""
        if len(line.removesuffix(b"\n")) > max_bytes:
            what = f"a record over {max_bytes} bytes"
        elif total > total_limit:
            what = f"over {total_limit} bytes in total"
        else:
            return None
        reason = f"compressed stream exceeds the size limit ({what})"
        return _Line(no, line[: max_bytes + 1], reason)

    try:
        for chunk, consumed, produced in _inflate(fh):
            pos = 0
            while (cut := chunk.find(b"\n", pos)) != -1:
                piece = chunk[pos : cut + 1]
                line = b"".join((*parts, piece)) if parts else piece
                parts, partial, pos = [], 0, cut + 1
                no += 1
                total += len(line)
                if (stop := too_much(line)) is not None:
                    yield stop
                    return
                if line.strip():
                    yield _Line(no, _chomp(line))
            if pos < len(chunk):
                parts.append(chunk[pos:])
                partial += len(chunk) - pos
                if partial > max_bytes and (stop := too_much(b"".join(parts))) is not None:
                    no += 1
                    yield replace(stop, no=no)
                    return
            if produced > BOMB_MIN_BYTES and produced > BOMB_RATIO * consumed:
                yield _Line(
                    no + 1,
                    b"",
                    "compressed stream exceeds the size limit (a compression bomb: it "
                    f"inflates over {BOMB_RATIO} times; stopped after {produced} bytes)",
                )
                return
        if parts:
            line = b"".join(parts)
            no += 1
            total += len(line)
            if (stop := too_much(line)) is not None:
                yield stop
            elif line.strip():
                yield _Line(no, _chomp(line))
    except EOFError:
        yield _Line(no + 1, b"", "truncated compressed file (it ends inside this record)")
    except zlib.error as exc:
        yield _Line(no + 1, b"", f"corrupt compressed file ({_short(str(exc))})")
    except OSError as exc:
        yield _Line(no + 1, b"", _os_reason(exc))


_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 64 * 1024
_INFLATE_CHUNK = 64 * 1024


def _inflate(fh: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """Inflate every gzip member of `fh` in chunks of at most `_INFLATE_CHUNK` bytes.

    Yields (chunk, compressed bytes consumed so far, inflated bytes so far); raises
    EOFError when the file ends inside a member and zlib.error when it is not gzip.
    NUL padding between members is skipped, as gzip(1) does.
    """
    consumed = produced = 0
    pending = fh.read(_READ_CHUNK)
    while True:
        while True:  # between members: skip padding, find the next header or the end
            stripped = pending.lstrip(b"\0")
            consumed += len(pending) - len(stripped)
            pending = stripped
            if len(pending) >= len(_GZIP_MAGIC):
                break
            more = fh.read(_READ_CHUNK)
            if not more:
                if pending:
                    raise zlib.error("not gzip data (stray bytes after the last member)")
                return
            pending += more
        if not pending.startswith(_GZIP_MAGIC):
            raise zlib.error("not gzip data" if consumed == 0 else "stray bytes after a member")
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        while not inflater.eof:
            chunk = inflater.decompress(pending, _INFLATE_CHUNK)
            rest = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            consumed += len(pending) - len(rest)
            pending = rest
            if chunk:
                produced += len(chunk)
                yield chunk, consumed, produced
            elif not pending and not inflater.eof:
                pending = fh.read(_READ_CHUNK)
                if not pending:
                    raise EOFError("compressed file ended before the end-of-stream marker")
        if not pending:
            pending = fh.read(_READ_CHUNK)


def _overlong(line: bytes, max_bytes: int) -> bool:
    return len(line) > max_bytes and not line.endswith(b"\n")


def _skip_rest_of_line(fh: BinaryIO, max_bytes: int) -> None:
    while chunk := fh.readline(max_bytes + 1):
        if chunk.endswith(b"\n"):
            return


def _chomp(line: bytes) -> bytes:
    return line.removesuffix(b"\n").removesuffix(b"\r")


def _record_dump(path: str, line: _Line, clock: _Clock) -> RawDump:
    if line.error is not None:
        return _failed(path, line.error, line.data, clock)
    try:
        record = _parse_record(line.data)
    except _BadRecord as exc:
        return _failed(path, exc.reason, line.data, clock, url=exc.url)
    when, source = clock if record.fetched_at is None else (record.fetched_at, "record")
    return RawDump(
        path=path,
        data=record.text,
        captured_at=when,
        captured_at_source=source,
        url=record.url,
        encoding_hint="utf-8",
    )


def _parse_record(line: bytes) -> _Record:
    """A crawler record; anything we would have to guess about is quarantined instead."""
    try:
        obj: object = json.loads(line)
    except UnicodeDecodeError as exc:
        raise _BadRecord(f"record is not JSON (invalid UTF-8 at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise _BadRecord(f"record is not JSON ({exc.msg} at column {exc.colno})") from exc
    except RecursionError as exc:
        raise _BadRecord("record is not JSON (nested too deeply)") from exc
    if not isinstance(obj, dict):
        raise _BadRecord(f"record is not a JSON object (it is {_json_type(obj)})")
    if "text" not in obj:
        raise _BadRecord('record has no "text"')
    text = _utf8_string(obj["text"], "text")
    raw_url: object = obj.get("url")
    url = None if raw_url is None else _utf8_string(raw_url, "url").decode("utf-8")
    try:
        fetched_at = _fetched_at(obj.get("fetched_at"))
    except _BadRecord as exc:
        raise _BadRecord(exc.reason, url) from None
    return _Record(text, url, fetched_at)


def _utf8_string(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise _BadRecord(f'"{name}" is not a string (it is {_json_type(value)})')
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _BadRecord(f'"{name}" is not valid Unicode (it has a lone surrogate)') from exc


def _fetched_at(value: object) -> datetime | None:
    """ISO 8601 date *and* time; a bare date is rejected rather than read as midnight."""
    if value is None:
        return None
    bad = _BadRecord(f'"fetched_at" is not an ISO 8601 time: {_quote(value)}')
    if not isinstance(value, str) or not re.search(r"\d[Tt ]\d", value):
        raise bad
    try:
        return _as_utc(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        raise bad from None


def _as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _quote(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + "…"
    return json.dumps(text, ensure_ascii=False)


def _short(text: str) -> str:
    text = _one_line(text)
    return text[:1].lower() + text[1:80]


def _clock(option: datetime | None, mtime_ns: int | None) -> _Clock:
    """The capture time when the input does not record one: the option, else the mtime.

    The mtime is cut to whole seconds because file systems differ in sub-second
    precision, and a copy must not change the dataset.
    """
    if option is not None:
        return option, "option"
    if mtime_ns is None:
        return _EPOCH, "mtime"  # an InputFile built by hand whose file is gone
    return datetime.fromtimestamp(mtime_ns // 1_000_000_000, tz=UTC), "mtime"


def _failed(
    path: str, reason: str, data: bytes, clock: _Clock, *, url: str | None = None
) -> RawDump:
    return RawDump(
        path=path,
        data=data,
        captured_at=clock[0],
        captured_at_source=clock[1],
        url=url,
        error=_one_line(reason),
    )
