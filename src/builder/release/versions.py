"""What a dataset folder holds and how its versions are named and found.

A dataset directory holds every version under `versions/<X.Y.Z>/` and, at the top, a
card pointing at the latest, a CHANGELOG, and the temporaries of builds in progress.
A release is named on the command line as `DIR` (its latest version), `DIR@X.Y.Z`, or
a `versions/X.Y.Z` folder itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

VERSIONS_DIR: Final = "versions"
CARD: Final = "README.md"
#: A version's visual report and the summary picture its card shows (written by
#: `builder.report`, beside the card: like it, not listed in the manifest).
REPORT: Final = "report.html"
SUMMARY_PICTURE: Final = "summary.png"
CHANGELOG: Final = "CHANGELOG.md"
MANIFEST: Final = "manifest.json"
SPLIT: Final = "train"
DEFAULT_CONFIG: Final = "articles"
TMP_PREFIX: Final = ".tmp-"

SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


def semver(version: str) -> tuple[int, int, int]:
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"version {version!r} is not MAJOR.MINOR.PATCH (e.g. 1.0.0)")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def latest_version(dataset_dir: Path) -> str | None:
    """Highest semantic version under versions/ (numeric, so 1.10.0 beats 1.9.0)."""
    root = Path(dataset_dir) / VERSIONS_DIR
    if not root.is_dir():
        return None
    found = [p.name for p in root.iterdir() if p.is_dir() and SEMVER.match(p.name)]
    return max(found, key=semver, default=None)


class ReleaseNotFound(Exception):
    """The spec names no published release; the message says what was looked for."""


def resolve_release(spec: str) -> Path:
    """The folder of the release `spec` names (a folder holding `manifest.json`)."""
    base, _, version = spec.rpartition("@") if "@" in spec else (spec, "", "")
    root = Path(base)
    if version:
        path = root / "versions" / version
        if not (path / "manifest.json").is_file():
            raise ReleaseNotFound(f"no release {version} in {root}")
        return path
    if (root / "manifest.json").is_file():
        return root
    latest = latest_version(root) if root.is_dir() else None
    if latest is None:
        raise ReleaseNotFound(f"no published release in {root}")
    return root / "versions" / latest
