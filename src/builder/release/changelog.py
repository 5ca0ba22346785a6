"""The dataset's `CHANGELOG.md`: one entry per version, written from the version folder
alone, so an entry missed by a killed build can be written by the next one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from builder.release.atomic import replace_text
from builder.release.card import release_dumps, status_counts
from builder.release.diff import render_markdown
from builder.release.manifest import load_manifest
from builder.release.versions import CHANGELOG


def changelog_line(version: str, row_counts: Mapping[str, int], dumps: pa.Table) -> str:
    """The heading of a version's CHANGELOG entry; `changelog_entry` adds the changes."""
    status = status_counts(dumps)
    return (
        f"## {version} — {row_counts['articles']} articles, {row_counts['sightings']} "
        f"sightings, {row_counts['dumps']} dumps ({status.get('parsed', 0)} parsed, "
        f"{status.get('quarantined', 0)} quarantined)\n"
    )


def append_changelog(dataset_dir: Path, line: str) -> None:
    path = dataset_dir / CHANGELOG
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Changelog\n"
    replace_text(path, f"{existing.rstrip(chr(10))}\n\n{line}")


def changelog_entry(release: Path) -> str:
    manifest = load_manifest(release)
    version = str(manifest["version"])
    heading = changelog_line(version, manifest["row_counts"], release_dumps(release))
    reason = manifest.get("bump_reason")
    if reason:
        heading += f"\nWhy {version}: {reason}\n"
    previous = manifest.get("previous_version")
    changes = manifest.get("changes")
    if previous is None or changes is None:
        return heading
    return f"{heading}\nChanges since {previous}:\n\n{render_markdown(changes, previous)}"


def logged_versions(dataset_dir: Path) -> set[str]:
    path = dataset_dir / CHANGELOG
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return {line[3:].split(" ", 1)[0] for line in text.splitlines() if line.startswith("## ")}
