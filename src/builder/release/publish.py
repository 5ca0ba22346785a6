"""Write an immutable, byte-reproducible release that `datasets.load_dataset(DIR)` reads.

A dataset directory holds every version under `versions/<X.Y.Z>/` (card, manifest,
Croissant file), the Parquet files they share under `data/` (see `store`), and a
top-level card whose `configs` list the latest version's files. Versions are built in a
hidden temporary directory and renamed into place, so a reader (or a killed build) never sees half a
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
from builder.release import croissant, store
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
    require_json,
)
from builder.release.parquet import PARQUET_SETTINGS, AnyTable, in_memory
from builder.release.settings import from_mapping as dataset_settings
from builder.release.versions import (
    CARD,
    MANIFEST,
    SEMVER,
    STORE_DIR,
    TMP_PREFIX,
    VERSIONS_DIR,
    latest_version,
    semver,
)

#: Writes more files into a version folder being built (`builder.report` passes its
#: report writer: it sits above this package, so it is handed in, not imported).
#: Writes more files into a staged version: (staging folder, the folder it will be).
ExtraFiles: TypeAlias = Callable[[Path, Path], object]


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


def _inputs_table(inputs: Inputs) -> pa.Table:
    if isinstance(inputs, pa.Table):
        return inputs
    columns = ("path", "sha256", "size_bytes")
    return pa.table({c: [item[c] for item in inputs] for c in columns})


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
    parallel: bool = False,
) -> tuple[dict[str, Any], dict[str, ConfigStats], tuple[store.StoredFile, ...]]:
    """Everything of one version, written into `staging` (not yet visible): the
    Parquet files under `staging/data/` (moved into the store by the caller), the
    card, the manifest and the Croissant file."""
    dumps = in_memory(tables["dumps"])
    where = store.placement({**tables, "dumps": dumps})

    def write(name: str) -> store.WrittenTable:
        return store.write_table(
            name,
            tables[name],
            staging,
            where=where,
            settings=PARQUET_SETTINGS,
            rows_per_shard=rows_per_shard,
        )

    # Tables in memory get a thread each: Arrow compresses and hashes without the GIL, so
    # the small tables are written while the articles' texts are compressed. Spilled
    # tables too when the build may use more than one core (`parallel`): each thread
    # then holds slices of its own, but a sightings or dumps slice is a few MB beside an
    # articles one. Else one after another: a one-worker build stays on one core.
    in_memory_tables = all(_in_memory_table(tables[n]) for n in tables)
    threads = len(contract.TABLES) if parallel or in_memory_tables else 1
    with ThreadPoolExecutor(threads) as pool:
        done = dict(zip(contract.TABLES, pool.map(write, contract.TABLES), strict=True))
    release_arrow_memory()
    files: dict[str, dict[str, Any]] = {}
    stats: dict[str, ConfigStats] = {}
    stored: list[store.StoredFile] = []
    for name in contract.TABLES:  # results in table order: the manifest does not change
        written = done[name]
        stored += written.files
        download = sum(f.size_bytes for f in written.files)
        stats[name] = ConfigStats(
            rows=tables[name].num_rows, num_bytes=written.num_bytes, download_size=download
        )
        for f in written.files:
            files[f.key] = {"sha256": f.sha256, "size_bytes": f.size_bytes, "rows": f.rows}
    built = build_time()
    files[croissant.FILE_NAME] = croissant.write(
        staging,
        version,
        files,
        date_published=built,
        dataset=dataset_settings(settings.get("dataset")),
    )
    manifest: dict[str, Any] = {
        "version": version,
        "previous_version": previous_version,
        "contract_version": contract.CONTRACT_VERSION,
        "builder_version": builder.__version__,
        "parser_version": builder.PARSER_VERSION,
        "pyarrow_version": pa.__version__,
        "parquet_writer": dict(PARQUET_SETTINGS),
        "settings": dict(settings),
        # The inputs themselves are the `dumps` table; this names them as a whole.
        "inputs_sha256": contract.inputs_digest(_inputs_table(inputs)),
        "files": files,
        "row_counts": {name: s.rows for name, s in stats.items()},
        "content_hash": {name: done[name].digest for name in contract.TABLES},
        "build_time": built,
        # What changed since previous_version (TableDiff.as_dict per table): kept here so
        # the CHANGELOG and the top card can be rewritten from this folder alone.
        "changes": None if changes is None else dict(changes),
        # Why this version number (diff.bump): shown by `builder versions`, the card
        # and the CHANGELOG.
        "bump_reason": bump_reason,
    }
    text = dump_json(manifest, "settings")
    write_text(staging / MANIFEST, text)
    on_disk: dict[str, Any] = json.loads(text)  # tuples became lists: report the file
    return on_disk, stats, tuple(stored)


def _write_card(
    staging: Path, final: Path, manifest: Mapping[str, Any], stats: Mapping[str, ConfigStats]
) -> None:
    """The version's card, last: it shows the report's picture when one was written.
    Its facts are counted from the stored files, which are in place by then."""
    version = str(manifest["version"])
    card = render_card(manifest, stats, top_level=False, placed_at=final, release=staging)
    history = changes_section(
        manifest["previous_version"], manifest["changes"], manifest["bump_reason"], version
    )
    write_text(staging / CARD, card + history)


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
    before_commit: Callable[[], object] | None = None,
    parallel: bool = False,
) -> Release:
    """Publish `tables` as `versions/<version>` and point the top-level card at it.

    The same tables, version, settings, inputs, changes and SOURCE_DATE_EPOCH give
    byte-identical version files in any directory. `changes` (the diff against
    `previous_version`) goes into the version's card and manifest and the CHANGELOG,
    and so does `bump_reason` (why the version has its number, see diff.bump).
    `extra_files(folder)` writes more files into the version (its report) once the
    tables and manifest are in place, before the card and before the version is visible.
    `before_commit()` is called once the files are written, before the first of them
    enters the store: a check of the tables running alongside the writing can still
    stop the publish there (by raising), and nothing of the version is left behind.
    With `parallel` (the build may use more than one core), spilled tables are written
    side by side, as tables in memory always are.
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
        manifest, stats, stored = _build_version(
            staging,
            tables,
            version=version,
            settings=settings,
            inputs=inputs,
            previous_version=previous_version,
            rows_per_shard=rows_per_shard,
            changes=None if changes is None else {t: d.as_dict() for t, d in changes.items()},
            bump_reason=bump_reason,
            parallel=parallel,
        )
        if before_commit is not None:
            before_commit()
        versions = dataset_dir / VERSIONS_DIR
        versions.mkdir(exist_ok=True)
        final = versions / version
        if final.exists():  # another publish won the race since the first check
            raise FileExistsError(f"version {version} appeared in {versions} while building")
        # Files first, then the version that lists them: a kill in between leaves only
        # unlisted store files, which the next publish removes.
        store.commit(staging, dataset_dir, stored)
        shutil.rmtree(staging / STORE_DIR)
        if extra_files is not None:  # the report and its picture, from the stored tables
            extra_files(staging, final)
        _write_card(staging, final, manifest, stats)
        fsync_dir(staging)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(versions)

    row_counts = {name: s.rows for name, s in stats.items()}
    _point_at(dataset_dir, version, manifest, stats)
    return Release(path=final, version=version, row_counts=row_counts, manifest=manifest)


# --- the top-level pointer --------------------------------------------------------------
# Everything below is derived from the published version folder alone, so that a run
# killed between the rename and the card update is finished by the next one, and the
# result is byte-identical to an uninterrupted publish.


_POINTER = re.compile(r"^# .* — version (\S+)$", re.MULTILINE)


def pointed_version(dataset_dir: Path) -> str | None:
    """The version the top-level card describes (None: no readable card). Its configs
    list that version's files in the store, and its title names it; the card is
    replaced whole, so the two always agree."""
    if not front_matter(Path(dataset_dir) / CARD).get("configs"):
        return None
    text = (Path(dataset_dir) / CARD).read_text(encoding="utf-8")
    match = _POINTER.search(text)
    return match.group(1) if match else None


def _point_at(
    dataset_dir: Path,
    version: str,
    manifest: Mapping[str, Any] | None = None,
    stats: Mapping[str, ConfigStats] | None = None,
) -> None:
    """Log every version the CHANGELOG misses (oldest first), then point the card at
    `version`: the card goes last, so load_dataset(DIR) switches when all is in place.

    `manifest` and `stats`: what the publish of `version` just wrote into its folder
    (its manifest as read back, its configs' sizes), else read from the folder: parsing
    the version card's YAML back for its sizes cost 0.05 s of every publish."""
    versions = dataset_dir / VERSIONS_DIR
    logged = logged_versions(dataset_dir)
    for name in sorted((p.name for p in versions.iterdir() if SEMVER.match(p.name)), key=semver):
        if name not in logged and semver(name) <= semver(version):
            append_changelog(dataset_dir, changelog_entry(versions / name))
    release = versions / version
    top_card = render_card(
        load_manifest(release) if manifest is None else manifest,
        release_stats(release) if stats is None else stats,
        top_level=True,
        placed_at=release,
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
    where = store.placement({**tables, "dumps": in_memory(tables["dumps"])})
    return any(
        hashes.get(name) != store.table_digest(name, tables[name], where)
        for name in contract.TABLES
    )


def repair_pointer(dataset_dir: Path) -> str | None:
    """Finish a publish killed after its version was renamed into place but before the
    top-level card (or the CHANGELOG) caught up; returns the version now pointed at,
    or None when nothing needed doing. The temporaries of killed runs go too: a build
    that then publishes nothing would otherwise leave them for good."""
    dataset_dir = Path(dataset_dir)
    remove_stale_temporaries(dataset_dir)
    if not any(dataset_dir.glob(f"{TMP_PREFIX}*")):  # no other publish is under way
        store.remove_unlisted(dataset_dir)
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
