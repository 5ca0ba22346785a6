"""What a listing did not take as input, and why: files that are not a dump format, and
builder dataset folders (builder never reads its own output).

Skipped files are no dumps (they get no row): they are counted and named in the build's
summary, one line per reason: `3 files skipped: not a dump format (.md, .toml, .py)`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

from builder.inputs.files import InputFile

NOT_A_DUMP: Final = "not a dump format"
DATASET: Final = "a builder dataset, never an input"

#: How many paths a summary group lists (a walk can skip thousands of files).
MAX_PATHS: Final = 10

#: What a builder dataset folder holds (builder.release writes it; `inputs` cannot
#: import `release`, so the names are repeated here): a release folder holds these two
#: files; a dataset folder holds release folders under `versions/`, or the cache.
_RELEASE_FILES: Final = ("manifest.json", "croissant.json")
_VERSIONS: Final = "versions"
#: The cache: a folder of result files (an older builder kept one SQLite file).
_CACHE: Final = (".cache", "per-dump", "per-dump.sqlite")
_SEMVER: Final = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+$")


def looks_like_a_dataset(path: str, names: Collection[str]) -> bool:
    """Whether the folder at `path`, whose entries are `names`, is a builder dataset
    folder, a release folder, or the `versions/` folder between them. Checked by
    content, not by the folder's name, so a copied or renamed dataset is found too;
    only folders holding one of the telling names cost a look inside."""
    if all(name in names for name in _RELEASE_FILES):
        return True
    if _CACHE[0] in names and (
        os.path.isdir(os.path.join(path, _CACHE[0], _CACHE[1]))
        or os.path.isfile(os.path.join(path, _CACHE[0], _CACHE[2]))
    ):
        return True
    if _VERSIONS in names and _holds_a_release(os.path.join(path, _VERSIONS)):
        return True
    return any(_is_release(os.path.join(path, name)) for name in names if _SEMVER.match(name))


def _holds_a_release(path: str) -> bool:
    try:
        names = os.listdir(path)
    except OSError:
        return False
    return any(_is_release(os.path.join(path, name)) for name in names if _SEMVER.match(name))


def _is_release(path: str) -> bool:
    return all(os.path.isfile(os.path.join(path, name)) for name in _RELEASE_FILES)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file or folder a walk did not take: its path (as an input's would be) and why."""

    path: str
    reason: str
    folder: bool


@dataclass(frozen=True)
class SkipGroup:
    """The skipped files or folders of one reason, for the summary."""

    reason: str
    folder: bool
    count: int
    #: Files: their extensions, most frequent first; folders: their paths.
    names: tuple[str, ...]
    paths: tuple[str, ...]  # the first MAX_PATHS, in path order

    def line(self) -> str:
        noun = ("folder" if self.folder else "file") + ("" if self.count == 1 else "s")
        return f"{self.count} {noun} skipped: {self.reason} ({', '.join(self.names)})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "kind": "folder" if self.folder else "file",
            "count": self.count,
            "names": list(self.names),
            "paths": list(self.paths),
            "line": self.line(),
        }


def extension(path: str) -> str:
    """A skipped file's format as the summary names it: `.md`, `.json.gz`, `(none)`."""
    name = path.rsplit("/", 1)[-1].lower().lstrip(".")
    parts = name.split(".")
    if len(parts) == 1:
        return "(no extension)"
    if parts[-1] in {"gz", "bz2", "xz", "zst", "zip"} and len(parts) > 2:
        return f".{parts[-2]}.{parts[-1]}"
    return f".{parts[-1]}"


def group(skipped: Sequence[Skipped]) -> tuple[SkipGroup, ...]:
    """One group per (reason, files or folders), in a fixed order: files first."""
    groups = []
    for key in sorted({(s.folder, s.reason) for s in skipped}):
        members = sorted(s.path for s in skipped if (s.folder, s.reason) == key)
        folder, reason = key
        if folder:
            names = tuple(members[:MAX_PATHS])
        else:
            counts = Counter(extension(p) for p in members)
            names = tuple(sorted(counts, key=lambda e: (-counts[e], e)))
        groups.append(SkipGroup(reason, folder, len(members), names, tuple(members[:MAX_PATHS])))
    return tuple(groups)


@dataclass(frozen=True)
class Listing:
    """The inputs named by the command line, in canonical order, and what was skipped."""

    files: tuple[InputFile, ...]
    skipped: tuple[Skipped, ...] = ()

    def skip_groups(self) -> tuple[SkipGroup, ...]:
        return group(self.skipped)
