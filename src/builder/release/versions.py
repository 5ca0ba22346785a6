"""What a dataset folder holds and how its versions are named and found.

A dataset directory holds every version under `versions/<X.Y.Z>/` (its card, manifest
and Croissant file), the Parquet files all versions share under `data/<table>/`, and,
at the top, a card pointing at the latest, a CHANGELOG, and the temporaries of builds
in progress.
A release is named on the command line as `DIR` (its latest version), `DIR@X.Y.Z`, or
a `versions/X.Y.Z` folder itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

VERSIONS_DIR: Final = "versions"
#: The shared, content-addressed store of every version's Parquet files.
STORE_DIR: Final = "data"
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


@dataclass(frozen=True)
class VersionInfo:
    """One published version as `builder versions` lists it, read from its manifest."""

    version: str
    build_time: str | None
    previous_version: str | None
    row_counts: dict[str, int]
    bump_reason: str | None
    #: Set when the manifest cannot be read: the version is listed, with this problem.
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "build_time": self.build_time,
            "previous_version": self.previous_version,
            "row_counts": dict(self.row_counts),
            "bump_reason": self.bump_reason,
            "error": self.error,
        }


class NoVersions(Exception):
    """The folder holds no published version; the message says which folder."""


def _version_info(folder: Path) -> VersionInfo:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        return VersionInfo(folder.name, None, None, {}, None, f"unreadable {MANIFEST}: {reason}")
    counts = manifest.get("row_counts")
    return VersionInfo(
        version=folder.name,
        build_time=manifest.get("build_time"),
        previous_version=manifest.get("previous_version"),
        row_counts={str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {},
        bump_reason=manifest.get("bump_reason"),
    )


def list_versions(dataset_dir: Path) -> list[VersionInfo]:
    """Every version under `dataset_dir/versions/`, oldest first, with its build time,
    row counts and the reason for its number (versions built before reasons were
    recorded have none). Raises NoVersions when there is none."""
    root = Path(dataset_dir) / VERSIONS_DIR
    if not Path(dataset_dir).is_dir():
        raise NoVersions(f"no dataset at {dataset_dir}")
    found = sorted(
        (p for p in root.iterdir() if p.is_dir() and SEMVER.match(p.name)) if root.is_dir() else (),
        key=lambda p: semver(p.name),
    )
    if not found:
        raise NoVersions(f"no published version in {dataset_dir}")
    return [_version_info(folder) for folder in found]


def render_versions(infos: list[VersionInfo]) -> str:
    """The text `builder versions` prints: one aligned line per version, the reason
    last and never wrapped, so that `grep` and `cut` work on it."""
    header = ("version", "built", "articles", "sightings", "dumps", "reason")
    rows = [header] + [
        (
            info.version,
            info.build_time or "-",
            *(str(info.row_counts.get(t, "-")) for t in ("articles", "sightings", "dumps")),
            info.error or info.bump_reason or "-",
        )
        for info in infos
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if 2 <= i <= 4 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines) + "\n"
