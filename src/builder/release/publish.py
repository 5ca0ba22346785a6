"""Write an immutable, byte-reproducible release that `datasets.load_dataset(DIR)` reads.

A dataset directory holds every version under `versions/<X.Y.Z>/` and a top-level
card whose `configs` point at the latest one. Versions are built in a hidden temporary
directory and renamed into place, so a reader (or a killed build) never sees half a
version; the top-level card is replaced last, so `load_dataset(DIR)` switches from one
complete version to the next.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa

import builder
from builder import contract
from builder.engines.spill import HeldTable, release_arrow_memory
from builder.release import croissant
from builder.release.atomic import (
    fsync_dir,
    remove_stale_temporaries,
    replace_text,
    write_text,
)
from builder.release.card import (
    ConfigStats,
    changes_section,
    front_matter,
    release_dumps,
    release_stats,
    render_card,
)
from builder.release.changelog import append_changelog, changelog_entry, logged_versions
from builder.release.diff import TableDiff
from builder.release.manifest import (
    Inputs,
    build_time,
    dump_json,
    load_manifest,
    manifest_json,
    require_json,
)
from builder.release.parquet import (
    PARQUET_SETTINGS,
    AnyTable,
    in_memory,
    table_digest,
    write_shards,
)
from builder.release.versions import (
    CARD,
    MANIFEST,
    SEMVER,
    TMP_PREFIX,
    VERSIONS_DIR,
    latest_version,
    semver,
)

#: Writes more files into a version folder being built (`builder.report` passes its
#: report writer: it sits above this package, so it is handed in, not imported).
ExtraFiles: TypeAlias = Callable[[Path], object]


@dataclass(frozen=True)
class Release:
    """A published version: where it is and what its manifest says."""

    path: Path
    version: str
    row_counts: dict[str, int]
    manifest: dict[str, Any]


# --- checks ---------------------------------------------------------------------------


def _check_tables(tables: Mapping[str, AnyTable]) -> None:
    """Only tables shaped exactly like the contract are published: the card, the
    manifest hashes and every reader rely on it."""
    if set(tables) != set(contract.TABLES):
        raise ValueError(
            f"a release needs exactly the tables {', '.join(contract.TABLES)}; "
            f"got {', '.join(sorted(tables)) or 'none'}"
        )
    for name in contract.TABLES:
        expected = contract.arrow_schema(name)
        actual = tables[name].schema
        if not actual.equals(expected, check_metadata=False):
            raise ValueError(
                f"table {name!r} does not match the contract (build it with "
                f"builder.contract.to_arrow):\n--- expected\n{expected}\n--- got\n{actual}"
            )


def _check_version(dataset_dir: Path, version: str, previous_version: str | None) -> None:
    semver(version)
    if (dataset_dir / VERSIONS_DIR / version).exists():
        raise FileExistsError(
            f"version {version} already exists in {dataset_dir / VERSIONS_DIR}; "
            "versions are immutable: publish a new version number"
        )
    latest = latest_version(dataset_dir)
    if latest is not None and semver(version) <= semver(latest):
        raise ValueError(f"version {version} is not newer than the latest version {latest}")
    if (
        previous_version is not None
        and not (dataset_dir / VERSIONS_DIR / previous_version).is_dir()
    ):
        raise ValueError(f"previous version {previous_version} is not in {dataset_dir}")


# --- publish --------------------------------------------------------------------------


def _in_memory_table(table: AnyTable) -> bool:
    return isinstance(table, pa.Table | HeldTable)


def _build_version(
    staging: Path,
    tables: Mapping[str, AnyTable],
    *,
    version: str,
    settings: Mapping[str, Any],
    inputs: Inputs,
    previous_version: str | None,
    rows_per_shard: int,
    changes: Mapping[str, Any] | None = None,
    bump_reason: str | None = None,
    extra_files: ExtraFiles | None = None,
) -> tuple[dict[str, Any], dict[str, ConfigStats]]:
    """Everything of one version, written into `staging` (not yet visible)."""
    files: dict[str, dict[str, Any]] = {}
    hashes: dict[str, str] = {}
    stats: dict[str, ConfigStats] = {}

    def write(name: str) -> tuple[dict[str, dict[str, Any]], tuple[str, int]]:
        return write_shards(name, tables[name], staging, rows_per_shard), table_digest(tables[name])

    # Tables in memory get a thread each: Arrow compresses and hashes without the GIL, so
    # the small tables are written while the articles' texts are compressed (0.4 s of an
    # incremental build). Spilled tables are written one after another: each thread
    # would hold slices of its own, and at 100,000 dumps that was the build's peak.
    threads = len(contract.TABLES) if all(_in_memory_table(tables[n]) for n in tables) else 1
    with ThreadPoolExecutor(threads) as pool:
        done = dict(zip(contract.TABLES, pool.map(write, contract.TABLES), strict=True))
    # What the threads freed stays in their allocator heaps (at 100,000 dumps ~400 MB)
    # until a thread that outlives them collects it.
    release_arrow_memory()
    for name in contract.TABLES:  # results in table order: the manifest does not change
        written, (hashes[name], num_bytes) = done[name]
        download = sum(int(entry["size_bytes"]) for entry in written.values())
        rows = tables[name].num_rows
        stats[name] = ConfigStats(rows=rows, num_bytes=num_bytes, download_size=download)
        files.update(written)
    built = build_time()
    files[croissant.FILE_NAME] = croissant.write(staging, version, files, date_published=built)
    manifest: dict[str, Any] = {
        "version": version,
        "previous_version": previous_version,
        "contract_version": contract.CONTRACT_VERSION,
        "builder_version": builder.__version__,
        "parser_version": builder.PARSER_VERSION,
        "pyarrow_version": pa.__version__,
        "parquet_writer": dict(PARQUET_SETTINGS),
        "settings": dict(settings),
        "files": files,
        "row_counts": {name: s.rows for name, s in stats.items()},
        "content_hash": hashes,
        "build_time": built,
        # What changed since previous_version (TableDiff.as_dict per table): kept here so
        # the CHANGELOG and the top card can be rewritten from this folder alone.
        "changes": None if changes is None else dict(changes),
        # Why this version number (diff.bump): shown by `builder versions`, the card
        # and the CHANGELOG.
        "bump_reason": bump_reason,
    }
    text = manifest_json(manifest, inputs)
    write_text(staging / MANIFEST, text)
    if extra_files is not None:  # the report and its picture, from the finished tables
        extra_files(staging)
    dumps = in_memory(tables["dumps"])
    card = render_card(version, top_level=False, stats=stats, dumps=dumps, release=staging)
    history = changes_section(previous_version, manifest["changes"], bump_reason, version)
    write_text(staging / CARD, card + history)
    for name in contract.TABLES:
        fsync_dir(staging / name)
    fsync_dir(staging)
    on_disk: dict[str, Any] = json.loads(text)  # tuples became lists: report the file
    return on_disk, stats


def publish_release(
    dataset_dir: Path,
    tables: Mapping[str, AnyTable],
    *,
    version: str,
    settings: Mapping[str, Any],
    inputs: Inputs,
    previous_version: str | None = None,
    rows_per_shard: int = 500_000,
    changes: Mapping[str, TableDiff] | None = None,
    bump_reason: str | None = None,
    extra_files: ExtraFiles | None = None,
) -> Release:
    """Publish `tables` as `versions/<version>` and point the top-level card at it.

    The same tables, version, settings, inputs, changes and SOURCE_DATE_EPOCH give
    byte-identical version files in any directory. `changes` (the diff against
    `previous_version`) goes into the version's card and manifest and the CHANGELOG,
    and so does `bump_reason` (why the version has its number, see diff.bump).
    `extra_files(folder)` writes more files into the version (its report) once the
    tables and manifest are in place, before the card and before the version is visible.
    """
    if rows_per_shard < 1:
        raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
    _check_tables(tables)
    # A table's first row has the types of all its rows.
    sample = inputs.slice(0, 1).to_pylist() if isinstance(inputs, pa.Table) else inputs
    require_json({"settings": settings, "inputs": sample}, "settings and inputs")
    dataset_dir = Path(dataset_dir)
    dataset_dir.mkdir(parents=True, exist_ok=True)
    repair_pointer(dataset_dir)  # also removes the temporaries of killed runs
    _check_version(dataset_dir, version, previous_version)

    staging = dataset_dir / f"{TMP_PREFIX}{version}-{os.getpid()}"
    staging.mkdir()
    try:
        manifest, stats = _build_version(
            staging,
            tables,
            version=version,
            settings=settings,
            inputs=inputs,
            previous_version=previous_version,
            rows_per_shard=rows_per_shard,
            changes=None if changes is None else {t: d.as_dict() for t, d in changes.items()},
            bump_reason=bump_reason,
            extra_files=extra_files,
        )
        versions = dataset_dir / VERSIONS_DIR
        versions.mkdir(exist_ok=True)
        final = versions / version
        if final.exists():  # another publish won the race since the first check
            raise FileExistsError(f"version {version} appeared in {versions} while building")
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(versions)

    row_counts = {name: s.rows for name, s in stats.items()}
    _point_at(dataset_dir, version)
    return Release(path=final, version=version, row_counts=row_counts, manifest=manifest)


# --- the top-level pointer --------------------------------------------------------------
# Everything below is derived from the published version folder alone, so that a run
# killed between the rename and the card update is finished by the next one, and the
# result is byte-identical to an uninterrupted publish.


_POINTER = re.compile(r"^versions/([^/]+)/")


def pointed_version(dataset_dir: Path) -> str | None:
    """The version the top-level card's configs point at (None: no readable card)."""
    for config in front_matter(Path(dataset_dir) / CARD).get("configs", []):
        for data_file in config.get("data_files", []) if isinstance(config, dict) else []:
            match = _POINTER.match(str(data_file.get("path", "")))
            if match:
                return match.group(1)
    return None


def _point_at(dataset_dir: Path, version: str) -> None:
    """Log every version the CHANGELOG misses (oldest first), then point the card at
    `version`: the card goes last, so load_dataset(DIR) switches when all is in place."""
    versions = dataset_dir / VERSIONS_DIR
    logged = logged_versions(dataset_dir)
    for name in sorted((p.name for p in versions.iterdir() if SEMVER.match(p.name)), key=semver):
        if name not in logged and semver(name) <= semver(version):
            append_changelog(dataset_dir, changelog_entry(versions / name))
    release = versions / version
    top_card = render_card(
        version,
        top_level=True,
        stats=release_stats(release),
        dumps=release_dumps(release),
        release=release,
    )
    replace_text(dataset_dir / CARD, top_card)


def files_differ(release: Path, tables: Mapping[str, AnyTable]) -> bool:
    """Whether publishing `tables` now would write other bytes than `release` holds.

    Same content hashes, same pyarrow and same writer settings give the same files; any
    difference (a pyarrow upgrade, a changed setting) is a PATCH release even when the
    rows are equal.
    """
    try:
        manifest = load_manifest(release)
    except (OSError, ValueError):
        return True
    writer = json.loads(dump_json(dict(PARQUET_SETTINGS), "writer settings"))
    if (
        manifest.get("pyarrow_version") != pa.__version__
        or manifest.get("parquet_writer") != writer
    ):
        return True
    hashes = manifest.get("content_hash", {})
    return any(hashes.get(name) != table_digest(tables[name])[0] for name in contract.TABLES)


def repair_pointer(dataset_dir: Path) -> str | None:
    """Finish a publish killed after its version was renamed into place but before the
    top-level card (or the CHANGELOG) caught up; returns the version now pointed at,
    or None when nothing needed doing. The temporaries of killed runs go too: a build
    that then publishes nothing would otherwise leave them for good."""
    dataset_dir = Path(dataset_dir)
    remove_stale_temporaries(dataset_dir)
    latest = latest_version(dataset_dir)
    if latest is None:
        return None
    if pointed_version(dataset_dir) == latest and latest in logged_versions(dataset_dir):
        return None
    _point_at(dataset_dir, latest)
    return latest


__all__ = [
    "PARQUET_SETTINGS",
    "Release",
    "files_differ",
    "latest_version",
    "pointed_version",
    "publish_release",
    "repair_pointer",
]
