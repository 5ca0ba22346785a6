"""Name a release on the command line: `DIR` (its latest version), `DIR@X.Y.Z`, or a
`versions/X.Y.Z` folder itself."""

from __future__ import annotations

from pathlib import Path

from builder.publish import latest_version


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
