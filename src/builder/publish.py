"""Write an immutable, byte-reproducible release that `datasets.load_dataset(DIR)` reads.

A dataset directory holds every version under `versions/<X.Y.Z>/` and a top-level
card whose `configs` point at the latest one. Versions are built in a hidden temporary
directory and renamed into place, so a reader (or a killed build) never sees half a
version; the top-level card is replaced last, so `load_dataset(DIR)` switches from one
complete version to the next.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

import builder
from builder import contract

VERSIONS_DIR: Final = "versions"
CARD: Final = "README.md"
CHANGELOG: Final = "CHANGELOG.md"
MANIFEST: Final = "manifest.json"
SPLIT: Final = "train"
DEFAULT_CONFIG: Final = "articles"
_TMP_PREFIX: Final = ".tmp-"

_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")

#: Every writer option that can change the bytes is spelled out, so a pyarrow default
#: moving under us cannot silently break byte-identical rebuilds.
PARQUET_SETTINGS: Final[Mapping[str, Any]] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "dictionary_pagesize_limit": 1024 * 1024,
    "write_statistics": True,
    "data_page_size": 1024 * 1024,
    "data_page_version": "1.0",
    "write_batch_size": 1024,
    # Small enough that the Hub viewer and readers can fetch one row group of long
    # article texts at a time; large enough that sightings compress well.
    "row_group_size": 20_000,
    "use_byte_stream_split": False,
    "use_compliant_nested_type": True,
    "coerce_timestamps": "us",
    "allow_truncated_timestamps": False,
    "use_deprecated_int96_timestamps": False,
    # The Arrow schema keeps tz=UTC, int32 and non-null flags exact on read-back.
    "store_schema": True,
    "write_page_index": True,
    "write_page_checksum": False,
    "use_content_defined_chunking": False,
}


@dataclass(frozen=True)
class Release:
    """A published version: where it is and what its manifest says."""

    path: Path
    version: str
    row_counts: dict[str, int]
    manifest: dict[str, Any]


# --- versions -------------------------------------------------------------------------


def _semver(version: str) -> tuple[int, int, int]:
    match = _SEMVER.match(version)
    if match is None:
        raise ValueError(f"version {version!r} is not MAJOR.MINOR.PATCH (e.g. 1.0.0)")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def latest_version(dataset_dir: Path) -> str | None:
    """Highest semantic version under versions/ (numeric, so 1.10.0 beats 1.9.0)."""
    root = Path(dataset_dir) / VERSIONS_DIR
    if not root.is_dir():
        return None
    found = [p.name for p in root.iterdir() if p.is_dir() and _SEMVER.match(p.name)]
    return max(found, key=_semver, default=None)


# --- Parquet --------------------------------------------------------------------------


def write_parquet(table: pa.Table, path: Path) -> None:
    """Same table, same bytes: pinned settings and no schema metadata (pandas, HF, ...)."""
    pq.write_table(table.replace_schema_metadata(None), path, **PARQUET_SETTINGS)


def _shard_names(num_rows: int, rows_per_shard: int) -> list[tuple[str, int, int]]:
    """(file name, first row, row count); an empty table still gets one (empty) shard so
    that every config has a file to load."""
    count = max(1, math.ceil(num_rows / rows_per_shard))
    return [
        (
            f"{SPLIT}-{index:05d}-of-{count:05d}.parquet",
            index * rows_per_shard,
            min(rows_per_shard, num_rows - index * rows_per_shard) if num_rows else 0,
        )
        for index in range(count)
    ]


def _sha256_and_sync(path: Path) -> tuple[str, int]:
    """Hash the bytes as written and flush them, so the rename publishes durable files."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
            size += len(block)
        os.fsync(handle.fileno())
    return digest.hexdigest(), size


def _write_shards(
    name: str, table: pa.Table, version_dir: Path, rows_per_shard: int
) -> dict[str, dict[str, Any]]:
    folder = version_dir / name
    folder.mkdir()
    written: dict[str, dict[str, Any]] = {}
    for file_name, start, rows in _shard_names(table.num_rows, rows_per_shard):
        path = folder / file_name
        write_parquet(table.slice(start, rows), path)
        sha256, size = _sha256_and_sync(path)
        written[f"{name}/{file_name}"] = {"sha256": sha256, "size_bytes": size, "rows": rows}
    return written


# --- card -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConfigStats:
    rows: int
    num_bytes: int
    download_size: int


def _card_metadata(version_prefix: str, stats: Mapping[str, _ConfigStats]) -> dict[str, Any]:
    """`configs` + per-config `dataset_info`: what lets load_dataset work offline, and the
    split sizes double as a check (a wrong num_examples fails the load)."""
    configs: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []
    for name in contract.TABLES:
        config: dict[str, Any] = {"config_name": name}
        if name == DEFAULT_CONFIG:
            config["default"] = True
        config["data_files"] = [{"split": SPLIT, "path": f"{version_prefix}{name}/*.parquet"}]
        configs.append(config)
        infos.append(
            {
                "config_name": name,
                "features": contract.features(name)._to_yaml_list(),
                "splits": [
                    {
                        "name": SPLIT,
                        "num_bytes": stats[name].num_bytes,
                        "num_examples": stats[name].rows,
                    }
                ],
                "download_size": stats[name].download_size,
                "dataset_size": stats[name].num_bytes,
            }
        )
    return {"configs": configs, "dataset_info": infos}


_CONFIG_LINES: Final[Mapping[str, str]] = {
    "articles": "one row per unique article (main or related) after merging duplicates, "
    "with its provenance",
    "sightings": "one row per appearance of an article in one dump",
    "dumps": "one row per input dump, parsed or quarantined (with the reason)",
}


def _status_counts(dumps: pa.Table) -> dict[str, int]:
    counts = pc.value_counts(dumps.column("status")).to_pylist() if dumps.num_rows else []
    return {str(item["values"]): int(item["counts"]) for item in counts}


def _card_body(version: str, *, top_level: bool, rows: Mapping[str, int], dumps: pa.Table) -> str:
    status = _status_counts(dumps)
    load_path = "path/to/DATASET_DIR" + ("" if top_level else f"/versions/{version}")
    lines = [
        f"# News articles from aggregator page dumps — version {version}",
        "",
        "Articles (main stories and related-article cards) extracted from captured pages",
        "of news aggregators and deduplicated across captures. Every row can be traced to",
        "the bytes it came from: the dump, the lines and byte span, the capture time, and",
        "the text repairs that were applied.",
        "",
        "## How it was built",
        "",
        f"- builder {builder.__version__} (parser version {builder.PARSER_VERSION}), "
        f"data contract {contract.CONTRACT_VERSION}",
        f"- {dumps.num_rows} inputs: {status.get('parsed', 0)} parsed, "
        f"{status.get('quarantined', 0)} quarantined (listed in the `dumps` config)",
        f"- inputs, their sha256, settings and file hashes: `{MANIFEST}`"
        + (f" in `versions/{version}/`" if top_level else ""),
        "",
        "## Load",
        "",
        "```python",
        "from datasets import load_dataset",
        f'articles = load_dataset("{load_path}", split="train")',
        f'sightings = load_dataset("{load_path}", "sightings", split="train")',
        "```",
        "",
        "## Configs",
        "",
    ]
    for name in contract.TABLES:
        default = " (default)" if name == DEFAULT_CONFIG else ""
        lines.append(f"- `{name}`{default}: {_CONFIG_LINES[name]} — {rows[name]} rows")
    if top_level:
        lines += [
            "",
            "## Versions",
            "",
            f"This card points at the latest version, {version}. Every version stays",
            "under `versions/<X.Y.Z>/`, unchanged, and loads on its own:",
            "",
            "```python",
            f'load_dataset("path/to/DATASET_DIR/versions/{version}", split="train")',
            "```",
            "",
            "What changed between versions: `CHANGELOG.md`.",
        ]
    return "\n".join(lines) + "\n"


def _card(
    version: str,
    *,
    top_level: bool,
    stats: Mapping[str, _ConfigStats],
    dumps: pa.Table,
) -> str:
    prefix = f"{VERSIONS_DIR}/{version}/" if top_level else ""
    metadata = yaml.safe_dump(
        _card_metadata(prefix, stats),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
    rows = {name: s.rows for name, s in stats.items()}
    body = _card_body(version, top_level=top_level, rows=rows, dumps=dumps)
    return f"---\n{metadata}---\n\n{body}"


# --- manifest -------------------------------------------------------------------------


def _build_time() -> str:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) makes rebuilds byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    except ValueError as error:
        raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r} is not an integer epoch") from error
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dump_json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    except TypeError as error:
        raise TypeError(f"{what} must be JSON-serialisable: {error}") from error


# --- atomic directory handling ----------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _remove_stale_temporaries(dataset_dir: Path) -> None:
    """Leftovers of killed runs go; a concurrent publish's live directory stays."""
    for path in dataset_dir.glob(f"{_TMP_PREFIX}*"):
        pid_text = path.name.rsplit("-", 1)[-1]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and _pid_alive(int(pid_text)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_text(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never a truncated one."""
    temporary = path.parent / f"{_TMP_PREFIX}{path.name}-{os.getpid()}"
    with temporary.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


# --- checks ---------------------------------------------------------------------------


def _check_tables(tables: Mapping[str, pa.Table]) -> None:
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
    _semver(version)
    if (dataset_dir / VERSIONS_DIR / version).exists():
        raise FileExistsError(
            f"version {version} already exists in {dataset_dir / VERSIONS_DIR}; "
            "versions are immutable: publish a new version number"
        )
    latest = latest_version(dataset_dir)
    if latest is not None and _semver(version) <= _semver(latest):
        raise ValueError(f"version {version} is not newer than the latest version {latest}")
    if (
        previous_version is not None
        and not (dataset_dir / VERSIONS_DIR / previous_version).is_dir()
    ):
        raise ValueError(f"previous version {previous_version} is not in {dataset_dir}")


# --- publish --------------------------------------------------------------------------


def _build_version(
    staging: Path,
    tables: Mapping[str, pa.Table],
    *,
    version: str,
    settings: Mapping[str, Any],
    inputs: Sequence[Mapping[str, Any]],
    previous_version: str | None,
    rows_per_shard: int,
) -> tuple[dict[str, Any], dict[str, _ConfigStats]]:
    """Everything of one version, written into `staging` (not yet visible)."""
    files: dict[str, dict[str, Any]] = {}
    hashes: dict[str, str] = {}
    stats: dict[str, _ConfigStats] = {}
    for name in contract.TABLES:
        table = tables[name]
        written = _write_shards(name, table, staging, rows_per_shard)
        hashes[name], num_bytes = contract.ipc_digest(table)
        download = sum(int(entry["size_bytes"]) for entry in written.values())
        stats[name] = _ConfigStats(rows=table.num_rows, num_bytes=num_bytes, download_size=download)
        files.update(written)
    manifest: dict[str, Any] = {
        "version": version,
        "previous_version": previous_version,
        "contract_version": contract.CONTRACT_VERSION,
        "builder_version": builder.__version__,
        "parser_version": builder.PARSER_VERSION,
        "pyarrow_version": pa.__version__,
        "parquet_writer": dict(PARQUET_SETTINGS),
        "settings": dict(settings),
        "inputs": [dict(item) for item in inputs],
        "files": files,
        "row_counts": {name: s.rows for name, s in stats.items()},
        "content_hash": hashes,
        "build_time": _build_time(),
    }
    text = _dump_json(manifest, "settings and inputs")
    _write_text(staging / MANIFEST, text)
    card = _card(version, top_level=False, stats=stats, dumps=tables["dumps"])
    _write_text(staging / CARD, card)
    for name in contract.TABLES:
        _fsync_dir(staging / name)
    _fsync_dir(staging)
    on_disk: dict[str, Any] = json.loads(text)  # tuples became lists: report the file
    return on_disk, stats


def _changelog_line(version: str, row_counts: Mapping[str, int], dumps: pa.Table) -> str:
    """Hook for the diff step, which will add what changed under each heading."""
    status = _status_counts(dumps)
    return (
        f"## {version} — {row_counts['articles']} articles, {row_counts['sightings']} "
        f"sightings, {row_counts['dumps']} dumps ({status.get('parsed', 0)} parsed, "
        f"{status.get('quarantined', 0)} quarantined)\n"
    )


def _append_changelog(dataset_dir: Path, line: str) -> None:
    path = dataset_dir / CHANGELOG
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Changelog\n"
    _replace_text(path, f"{existing.rstrip(chr(10))}\n\n{line}")


def publish_release(
    dataset_dir: Path,
    tables: Mapping[str, pa.Table],
    *,
    version: str,
    settings: Mapping[str, Any],
    inputs: Sequence[Mapping[str, Any]],
    previous_version: str | None = None,
    rows_per_shard: int = 500_000,
) -> Release:
    """Publish `tables` as `versions/<version>` and point the top-level card at it.

    The same tables, version, settings, inputs and SOURCE_DATE_EPOCH give byte-identical
    version files in any directory.
    """
    if rows_per_shard < 1:
        raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
    _check_tables(tables)
    _dump_json({"settings": settings, "inputs": inputs}, "settings and inputs")  # fail early
    dataset_dir = Path(dataset_dir)
    dataset_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(dataset_dir)
    _check_version(dataset_dir, version, previous_version)

    staging = dataset_dir / f"{_TMP_PREFIX}{version}-{os.getpid()}"
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
    _fsync_dir(versions)

    row_counts = {name: s.rows for name, s in stats.items()}
    _append_changelog(dataset_dir, _changelog_line(version, row_counts, tables["dumps"]))
    top_card = _card(version, top_level=True, stats=stats, dumps=tables["dumps"])
    _replace_text(dataset_dir / CARD, top_card)
    return Release(path=final, version=version, row_counts=row_counts, manifest=manifest)


__all__ = [
    "PARQUET_SETTINGS",
    "Release",
    "latest_version",
    "publish_release",
    "write_parquet",
]
