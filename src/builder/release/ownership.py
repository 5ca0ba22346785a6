"""Which folders are ours to write: a dataset folder, or a new or empty one.

`builder make --out DIR` writes the card (README.md), CHANGELOG.md, versions/ and
.cache/ into DIR and removes the temporaries of killed runs there. On a folder of the
user's (a project root, a home folder) that replaced their README and appended to their
CHANGELOG, so a non-empty folder is written only when it is recognisably a dataset.

Recognised by what stays stable as the release layout evolves: the marker file every
build writes first, or any published `versions/<X.Y.Z>/manifest.json` (datasets made
before the marker existed), or nothing but what a build leaves behind before its first
publish (the marker, builder.toml, the cache, temporaries).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from builder.release.cache import CACHE_DIR
from builder.release.versions import MANIFEST, SEMVER, TMP_PREFIX, VERSIONS_DIR

#: The dataset's settings (`builder init`; see settings.py, which imports this module).
SETTINGS: Final = "builder.toml"
#: Written at the top of every dataset folder before a build does anything else there.
MARKER: Final = ".builder-dataset"
_MARKER_TEXT: Final = (
    "This folder is a dataset written by `builder make`: builder may add versions,\n"
    "rewrite README.md and CHANGELOG.md, and manage .cache/ here. Versions under\n"
    "versions/ are never changed once published.\n"
)


class NotOurFolder(ValueError):
    """The folder holds files that are not a builder dataset's: nothing is written."""


def is_dataset(folder: Path) -> bool:
    """True when `folder` is a builder dataset (marker, or a published version)."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    versions = folder / VERSIONS_DIR
    if not versions.is_dir():
        return False
    return any(
        SEMVER.match(path.name) and (path / MANIFEST).is_file() for path in versions.iterdir()
    )


def _only_leftovers(folder: Path) -> bool:
    """Empty, or holding only what a build writes before its first publish."""
    for entry in folder.iterdir():
        name = entry.name
        if name in (MARKER, CACHE_DIR, SETTINGS) or name.startswith(TMP_PREFIX):
            continue
        if name == VERSIONS_DIR and entry.is_dir() and not any(entry.iterdir()):
            continue
        return False
    return True


def check_output(spec: str | Path) -> Path:
    """The dataset folder `spec` names, if builder may write there; else NotOurFolder.

    Refused: an empty name (it would mean the current folder), a path that is a file,
    and a non-empty folder that is not a builder dataset.
    """
    if not str(spec).strip():
        raise NotOurFolder("--out is empty: name the dataset folder to create or update")
    folder = Path(spec)
    if folder.exists() and not folder.is_dir():
        raise NotOurFolder(f"{folder} is a file, not a dataset folder")
    if folder.is_dir() and not is_dataset(folder) and not _only_leftovers(folder):
        raise NotOurFolder(
            f"{folder} is not empty and is not a builder dataset "
            f"(no {VERSIONS_DIR}/X.Y.Z/{MANIFEST}): nothing written; "
            "choose a new or empty folder"
        )
    return folder


def claim(folder: Path) -> None:
    """Create `folder` if needed and mark it as a dataset (checked with check_output)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    if not marker.is_file():
        marker.write_text(_MARKER_TEXT, encoding="utf-8")
