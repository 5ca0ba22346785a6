"""List the inputs that files, directories and glob patterns name, in canonical order.

The same files give the same list whatever the argument order or the directory they
live in, because dump ids and release bytes depend on it.

What is an input: a file named on the command line, or matched by a glob pattern, is
always one (the user named it; a shell expanding the same pattern would name it too).
A directory walk, of a directory named or matched, takes only the dump formats
(`DUMP_SUFFIXES`); any other file is skipped, and counted and named in the listing's
`skipped`. A builder dataset folder (the `--out` folder, or any folder that holds a
release) is never walked, wherever it sits: builder must not read its own output.

Paths: each input's path is relative to its *top root*, the outermost of the folders
the specs name (a named file's folder, a glob's leading folder) that holds it. With one
top root (`builder make dumps/`, or `dumps/` and `dumps/extra.txt`) paths are as
before; with several (`builder make a/ b/`) each path starts with its top root's own
name (`a/page.txt`, `b/page.txt`; more of the folder's path when two have the same
name), so that two inputs never share a path and no absolute path is recorded.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fnmatch import fnmatchcase
from functools import cache
from operator import attrgetter
from pathlib import Path

from builder.inputs.files import (
    InputError,
    InputFile,
    as_utc,
    decoded_name,
    kind_of,
    named_like_a_dump,
    strerror,
    type_name,
)
from builder.inputs.skipped import DATASET, NOT_A_DUMP, Listing, Skipped, looks_like_a_dataset

#: A file changed less than this long before it was listed may change again within one
#: tick of the file system's clock without its times showing it, so its stamp is not
#: trusted (git's "racily clean" rule): it is read and hashed like a new file.
SETTLE_NS = 2_000_000_000


_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class _Root:
    """A directory that input paths are made relative to."""

    spec: str
    path: str  # absolute, as given (symlinks not resolved, so walking goes through them)
    real: str  # resolved, for the "inside the input roots" check
    pattern: tuple[str, ...] | None  # glob components below `path`; None: everything
    prefix: tuple[str, ...] = ()  # path components before the ones below `path`


@dataclass(frozen=True)
class _Dir:
    """A directory on the walk stack."""

    path: str
    real: str
    parts: tuple[str, ...]  # relative to the root
    ancestors: frozenset[str]  # resolved paths of it and the dirs above it: loop detection
    via_link: bool
    selected: bool  # the glob matched this directory or one above it (or no glob)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An input as reached by one spec, before duplicates are removed."""

    file: InputFile
    key: str  # resolved identity: the same key reached twice is the same input
    via_link: bool


def find_inputs(specs: Sequence[str], *, exclude: Sequence[str | Path] = ()) -> list[InputFile]:
    """The inputs of `list_inputs`, without what it skipped."""
    return list(list_inputs(specs, exclude=exclude).files)


def list_inputs(specs: Sequence[str], *, exclude: Sequence[str | Path] = ()) -> Listing:
    """List the inputs named by files, directories and glob patterns, in canonical order,
    and what the walks skipped. `exclude`: folders never walked (the build's `--out`).

    A file reached several times is listed once. Which path it keeps must not depend on
    argument order, so the rule is: a path reached without symlinks beats one through a
    symlink, then the deepest path, then the smallest path.
    """
    settled = time.time_ns() - SETTLE_NS  # changed before this: a trusted stamp
    roots: list[_Root] = []
    named: list[str] = []
    for spec in specs:
        root = _root_of(spec)
        if root is None:
            named.append(spec)
        else:
            roots.append(root)
    prefixes = _prefixes([r.path for r in roots] + [_parent(spec) for spec in named])
    allowed = tuple(sorted({r.real for r in roots} | {os.path.realpath(_parent(s)) for s in named}))
    walk = _Walk(allowed, frozenset(os.path.realpath(p) for p in exclude), settled)
    candidates = [_file_spec(spec, prefixes[_parent(spec)], settled) for spec in named]
    for root in roots:
        root = replace(root, prefix=prefixes[root.path])
        skips = walk.n_skips
        found = list(walk.walk(root))
        if root.pattern is not None and not found and walk.n_skips == skips:
            raise InputError(f"glob matches no input file: {_show(root.spec)}")
        candidates.extend(found)
    files = _dedupe(candidates)
    listed = {f.real_path for f in files}
    skipped = {k: s for k, s in walk.skipped.items() if k not in listed}  # named: an input
    return Listing(tuple(files), tuple(sorted(skipped.values(), key=attrgetter("path"))))


def _parent(spec: str) -> str:
    return os.path.dirname(os.path.abspath(spec))


def _prefixes(anchors: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """`top_root_prefixes` of local folders (absolute, as given), by folder."""
    split = {a: tuple(p for p in a.split(os.sep) if p) for a in set(anchors)}
    prefixes = top_root_prefixes(split.values())
    return {a: prefixes[parts] for a, parts in split.items()}


def top_root_prefixes(
    anchors: Iterable[tuple[str, ...]],
) -> dict[tuple[str, ...], tuple[str, ...]]:
    """The path components that go before the paths found below each anchor folder
    (given as its components): none with one top root (an anchor no other anchor
    holds), else the top root's own name, then the way down to the anchor. When two top
    roots share a name, more of their paths is kept, until no label starts another
    (`x/dumps`, `y/dumps`). Only the anchors decide, never argument order or files."""
    anchors = set(anchors)
    tops = sorted(
        a for a in anchors if not any(len(o) < len(a) and a[: len(o)] == o for o in anchors)
    )
    labels: dict[tuple[str, ...], tuple[str, ...]] = {}
    if len(tops) > 1:
        for n in range(1, max(len(t) for t in tops) + 1):
            labels = {t: t[-n:] for t in tops}
            if not any(
                u != t and labels[u][: len(labels[t])] == labels[t] for t in tops for u in tops
            ):
                break
    result: dict[tuple[str, ...], tuple[str, ...]] = {}
    for anchor in anchors:
        top = next(t for t in tops if anchor[: len(t)] == t)
        result[anchor] = labels.get(top, ()) + anchor[len(top) :]
    return result


def _show(spec: str) -> str:
    """A spec quoted on one line, even if it holds a newline or undecodable bytes."""
    return json.dumps(decoded_name(spec), ensure_ascii=False)


def _root_of(spec: str) -> _Root | None:
    """The root a spec is walked from, or None when it names a single file."""
    if os.path.lexists(spec):
        if os.path.isdir(spec):
            return _Root(spec, os.path.abspath(spec), os.path.realpath(spec), None)
        if os.path.isfile(spec):
            return None
        if os.path.exists(spec):
            kind = type_name(os.stat(spec).st_mode)
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


def _file_spec(spec: str, prefix: tuple[str, ...], settled: int) -> _Candidate:
    """A file named on the command line: followed even through a symlink, since the
    user asked for it by name; its root is its parent, so its path is its base name
    (after the prefix of its top root, see `_prefixes`)."""
    name = os.path.basename(spec)
    real = os.path.realpath(spec)
    path = _rel((*prefix, name))
    try:
        st = os.stat(real)
    except OSError:  # gone already: reading it will say so
        return _Candidate(InputFile(real, path, kind_of(name)), real, via_link=False)
    stamp = _stamp(real, path, st, settled)
    file = InputFile(
        real, path, kind_of(name), mtime_ns=st.st_mtime_ns, stamp=stamp, size_bytes=st.st_size
    )
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
    option = as_utc(captured_at).isoformat() if captured_at is not None else ""
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


class _Walk:
    """Walks roots; collects what the walks skip (`skipped`, by resolved path)."""

    def __init__(self, allowed: tuple[str, ...], exclude: frozenset[str], settled: int) -> None:
        self.allowed = allowed
        self.exclude = exclude
        self.settled = settled
        self.skipped: dict[str, Skipped] = {}
        self.n_skips = 0  # skips seen, duplicates included: did a glob find anything?
        self.root = _Root("", "", "", None)

    def skip(self, parts: tuple[str, ...], key: str, reason: str, folder: bool) -> None:
        path = _rel((*self.root.prefix, *parts)) or decoded_name(self.root.spec)
        kept = self.skipped.get(key)
        if kept is None or path < kept.path:  # reached twice: the same path in any order
            self.skipped[key] = Skipped(path, reason, folder)
        self.n_skips += 1

    def walk(self, root: _Root) -> Iterator[_Candidate]:
        """Every input below a root; order is fixed later by `_dedupe`."""
        self.root = root
        top = _Dir(root.path, root.real, (), frozenset({root.real}), False, root.pattern is None)
        stack = [top]
        while stack:
            here = stack.pop()
            if here.real in self.exclude:
                if here is top:
                    raise InputError(f"{_show(root.spec)} is the --out folder: {_OWN_OUTPUT}")
                self.skip(here.parts, here.real, DATASET, folder=True)
                continue
            try:
                with os.scandir(here.path) as it:
                    entries = sorted(it, key=lambda e: e.name, reverse=True)
            except OSError as exc:
                if here is not top:
                    if here.selected:
                        reason = f"unreadable directory ({strerror(exc)})"
                        yield self.problem(here.parts, here.real, None, reason, here.via_link)
                    continue
                missing = isinstance(exc, FileNotFoundError | NotADirectoryError)
                if root.pattern is not None and missing:
                    return  # the glob's leading directory is missing: it matches nothing
                spec = _show(root.spec)
                raise InputError(f"cannot read directory {spec}: {strerror(exc)}") from exc
            if looks_like_a_dataset(here.path, {e.name for e in entries}):
                if here is top:
                    raise InputError(f"{_show(root.spec)} is a builder dataset: {_OWN_OUTPUT}")
                self.skip(here.parts, here.real, DATASET, folder=True)
                continue
            while entries:  # popped: an entry and the stat it caches go once visited
                found = self.visit(here, entries.pop())
                if isinstance(found, _Dir):
                    stack.append(found)
                elif found is not None:
                    yield found

    def visit(self, here: _Dir, entry: os.DirEntry[str]) -> _Candidate | _Dir | None:
        """Turn one directory entry into an input, a directory to walk, or nothing."""
        if entry.name.startswith("."):
            return None  # hidden: editor swap files, .git, .DS_Store are not dumps
        pattern = self.root.pattern
        parts = (*here.parts, entry.name)
        named = pattern is not None and _match_parts(pattern, parts)  # the glob names it
        selected = here.selected or named
        if not selected and not _glob_may_match_below(pattern, parts):
            return None
        key = os.path.join(here.real, entry.name)
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            return None  # gone while we were listing: it is no longer an input
        if stat.S_ISLNK(st.st_mode):
            return self.visit_link(here, entry.path, parts, st, selected, named)
        if stat.S_ISDIR(st.st_mode):
            if named_like_a_dump(entry.name):
                if not selected:
                    return None
                return self.problem(parts, key, st, _DUMP_NAMED_DIR, here.via_link)
            return _Dir(entry.path, key, parts, here.ancestors | {key}, here.via_link, selected)
        if not selected or not self.takes(parts, key, named):
            return None
        if stat.S_ISREG(st.st_mode):
            rel = self.path(parts)
            stamp = _stamp(key, rel, st, self.settled)
            kind = kind_of(entry.name)
            mtime_ns, size = st.st_mtime_ns, st.st_size
            file = InputFile(key, rel, kind, mtime_ns=mtime_ns, stamp=stamp, size_bytes=size)
            return _Candidate(file, key, here.via_link)
        reason = f"not a regular file ({type_name(st.st_mode)})"
        return self.problem(parts, key, st, reason, here.via_link)

    def takes(self, parts: tuple[str, ...], key: str, named: bool) -> bool:
        """Whether a file the walk reached is an input: a walk takes the dump formats
        only (the glob's own matches are named files); any other is skipped, counted."""
        if named or named_like_a_dump(parts[-1]):
            return True
        self.skip(parts, key, NOT_A_DUMP, folder=False)
        return False

    def visit_link(
        self,
        here: _Dir,
        path: str,
        parts: tuple[str, ...],
        link_st: os.stat_result,
        selected: bool,
        named: bool,
    ) -> _Candidate | _Dir | None:
        """Follow a symlink only into the input roots, so that a link cannot pull in
        arbitrary files (or a whole disk) and a loop cannot make the walk endless."""
        key = os.path.join(here.real, parts[-1])

        def problem(reason: str, folder: bool = False) -> _Candidate | None:
            if not selected or not (folder or self.takes(parts, key, named)):
                return None
            return self.problem(parts, key, link_st, reason, True)

        try:
            target = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return problem("symlink loop")
            if exc.errno == errno.ENOENT:
                return problem("broken symlink (its target does not exist)")
            return problem(f"unreadable symlink ({strerror(exc)})")
        real = os.path.realpath(path)
        is_dir = stat.S_ISDIR(target.st_mode)
        if not _inside(real, self.allowed):
            return problem("symlink points outside the input roots", folder=is_dir)
        if is_dir:
            if real in here.ancestors:
                return problem("symlink loop", folder=True)
            if named_like_a_dump(parts[-1]):
                return problem(_DUMP_NAMED_DIR, folder=True)
            return _Dir(path, real, parts, here.ancestors | {real}, True, selected)
        if not selected or not self.takes(parts, real, named):
            return None
        if stat.S_ISREG(target.st_mode):
            rel = self.path(parts)
            stamp = _stamp(real, rel, target, self.settled)
            kind = kind_of(parts[-1])
            mtime_ns, size = target.st_mtime_ns, target.st_size
            file = InputFile(real, rel, kind, mtime_ns=mtime_ns, stamp=stamp, size_bytes=size)
            return _Candidate(file, real, True)
        return problem(f"not a regular file ({type_name(target.st_mode)})")

    def path(self, parts: tuple[str, ...]) -> str:
        return _rel((*self.root.prefix, *parts))

    def problem(
        self,
        parts: tuple[str, ...],
        key: str,
        st: os.stat_result | None,
        reason: str,
        via_link: bool,
    ) -> _Candidate:
        mtime_ns = st.st_mtime_ns if st is not None else None
        file = InputFile(key, self.path(parts), "text", error=reason, mtime_ns=mtime_ns)
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

#: Named on the command line, a dataset folder is an error rather than a silent skip:
#: the user meant the folder of dumps it was built from.
_OWN_OUTPUT = "builder never reads its own output; name the folder of dumps instead"


def _rel(parts: tuple[str, ...]) -> str:
    return "/".join(decoded_name(p) for p in parts)
