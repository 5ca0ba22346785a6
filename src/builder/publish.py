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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _encode_string
from pathlib import Path
from typing import Any, Final, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

import builder
from builder import contract, croissant
from builder.diff import TableDiff, render_markdown
from builder.features import card_features
from builder.spill import HeldTable, SpilledTable, release_arrow_memory

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


#: A table to publish: in memory, or spilled to disk by a partitioned build.
AnyTable: TypeAlias = pa.Table | SpilledTable


def _write_parquet_slice(table: AnyTable, start: int, rows: int, path: Path) -> None:
    """One shard; a spilled table is streamed a row group at a time, which gives the
    very bytes `write_parquet` gives for the same rows held in memory."""
    if isinstance(table, pa.Table):
        write_parquet(table.slice(start, rows), path)
        return
    settings = dict(PARQUET_SETTINGS)
    row_group = int(settings.pop("row_group_size"))
    schema = table.schema.remove_metadata()
    with pq.ParquetWriter(path, schema, **settings) as writer:
        for chunk in table.slices(row_group, start, start + rows):
            writer.write_table(chunk.replace_schema_metadata(None), row_group_size=row_group)
        if rows == 0:
            writer.write_table(schema.empty_table(), row_group_size=row_group)


def _in_memory(table: AnyTable) -> pa.Table:
    return table if isinstance(table, pa.Table) else table.read_all()


def _digest(table: AnyTable) -> tuple[str, int]:
    if isinstance(table, pa.Table):
        return contract.ipc_digest(table)
    return contract.ipc_digest_chunks(table.schema, table.slices(contract.HASH_BATCH_ROWS))


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
    name: str, table: AnyTable, version_dir: Path, rows_per_shard: int
) -> dict[str, dict[str, Any]]:
    folder = version_dir / name
    folder.mkdir()
    written: dict[str, dict[str, Any]] = {}
    for file_name, start, rows in _shard_names(table.num_rows, rows_per_shard):
        path = folder / file_name
        _write_parquet_slice(table, start, rows, path)
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
                "features": card_features(name),
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


def _require_json(value: Any, what: str) -> None:
    """Fail before writing anything if `value` cannot go into the manifest. Without
    `indent`, json uses its C encoder: a tenth of the time `_dump_json` takes."""
    try:
        json.dumps(value, sort_keys=True, ensure_ascii=False)
    except TypeError as error:
        raise TypeError(f"{what} must be JSON-serialisable: {error}") from error


#: A manifest's inputs (path, sha256, size_bytes): mappings, or an Arrow table, which a
#: build passes (its `dumps` columns) so that no Python object per input is held.
Inputs: TypeAlias = Sequence[Mapping[str, Any]] | pa.Table


def _manifest_json(manifest: Mapping[str, Any], inputs: Inputs) -> str:
    """`_dump_json` of the manifest with `inputs` added. A table of inputs is rendered
    from Arrow, the text json gives at that depth: at 100,000 dumps, a dict per input
    held ~50 MB, and json's indenting encoder ~100 MB more while it ran."""
    if not isinstance(inputs, pa.Table):
        listed = [dict(item) for item in inputs]
        return _dump_json({**manifest, "inputs": listed}, "settings and inputs")
    slot = "\0inputs\0"  # escaped by json as \u0000: no other manifest text can match it
    head, tail = _dump_json({**manifest, "inputs": slot}, "settings").split(json.dumps(slot))
    return head + _inputs_json(inputs) + tail


def _inputs_json(inputs: pa.Table) -> str:
    """The manifest's `inputs` list, each row indented as json.dumps does two levels deep.

    Rendered a column at a time with json's own string encoder: one json.dumps per row
    took a second per 20,000 inputs, most of an incremental build's publish."""
    names = sorted(inputs.column_names)  # json.dumps(sort_keys=True)
    if not names:
        return json.dumps([{}] * inputs.num_rows, indent=2).replace("\n", "\n  ")
    heads = [f"\n      {_json_scalar(name)}: " for name in names]
    rows: list[str] = []
    for batch in inputs.select(names).to_batches(max_chunksize=4096):
        columns = [[_json_scalar(v) for v in column.to_pylist()] for column in batch.columns]
        for values in zip(*columns, strict=True):
            fields = ",".join(head + value for head, value in zip(heads, values, strict=True))
            rows.append(f"    {{{fields}\n    }}")
    return "[\n" + ",\n".join(rows) + "\n  ]" if rows else "[]"


def _json_scalar(value: Any) -> str:
    """json.dumps(value, ensure_ascii=False) for one value, faster for str and int."""
    if type(value) is str:
        return _encode_string(value)
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


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
) -> tuple[dict[str, Any], dict[str, _ConfigStats]]:
    """Everything of one version, written into `staging` (not yet visible)."""
    files: dict[str, dict[str, Any]] = {}
    hashes: dict[str, str] = {}
    stats: dict[str, _ConfigStats] = {}

    def write(name: str) -> tuple[dict[str, dict[str, Any]], tuple[str, int]]:
        return _write_shards(name, tables[name], staging, rows_per_shard), _digest(tables[name])

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
        stats[name] = _ConfigStats(rows=rows, num_bytes=num_bytes, download_size=download)
        files.update(written)
    built = _build_time()
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
    }
    text = _manifest_json(manifest, inputs)
    _write_text(staging / MANIFEST, text)
    card = _card(version, top_level=False, stats=stats, dumps=_in_memory(tables["dumps"]))
    _write_text(staging / CARD, card + _changes_section(previous_version, manifest["changes"]))
    for name in contract.TABLES:
        _fsync_dir(staging / name)
    _fsync_dir(staging)
    on_disk: dict[str, Any] = json.loads(text)  # tuples became lists: report the file
    return on_disk, stats


def _changelog_line(version: str, row_counts: Mapping[str, int], dumps: pa.Table) -> str:
    """The heading of a version's CHANGELOG entry; `_changelog_entry` adds the changes."""
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
    tables: Mapping[str, AnyTable],
    *,
    version: str,
    settings: Mapping[str, Any],
    inputs: Inputs,
    previous_version: str | None = None,
    rows_per_shard: int = 500_000,
    changes: Mapping[str, TableDiff] | None = None,
) -> Release:
    """Publish `tables` as `versions/<version>` and point the top-level card at it.

    The same tables, version, settings, inputs, changes and SOURCE_DATE_EPOCH give
    byte-identical version files in any directory. `changes` (the diff against
    `previous_version`) goes into the version's card and manifest and the CHANGELOG.
    """
    if rows_per_shard < 1:
        raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
    _check_tables(tables)
    # A table's first row has the types of all its rows.
    sample = inputs.slice(0, 1).to_pylist() if isinstance(inputs, pa.Table) else inputs
    _require_json({"settings": settings, "inputs": sample}, "settings and inputs")
    dataset_dir = Path(dataset_dir)
    dataset_dir.mkdir(parents=True, exist_ok=True)
    repair_pointer(dataset_dir)  # also removes the temporaries of killed runs
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
            changes=None if changes is None else {t: d.as_dict() for t, d in changes.items()},
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
    _point_at(dataset_dir, version)
    return Release(path=final, version=version, row_counts=row_counts, manifest=manifest)


# --- the top-level pointer --------------------------------------------------------------
# Everything below is derived from the published version folder alone, so that a run
# killed between the rename and the card update is finished by the next one, and the
# result is byte-identical to an uninterrupted publish.


def _changes_section(previous: str | None, changes: Mapping[str, Any] | None) -> str:
    if previous is None or changes is None:
        return ""
    return f"\n## Changes since {previous}\n\n{render_markdown(changes, previous)}"


def _read_manifest(release: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
    return loaded


def _front_matter(card: Path) -> dict[str, Any]:
    """The YAML header of a card; empty when the card is missing or has none."""
    try:
        text = card.read_text(encoding="utf-8")
    except OSError:
        return {}
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        return {}
    try:
        loaded = yaml.safe_load(text[4 : text.index("\n---\n", 4)])
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


_POINTER = re.compile(r"^versions/([^/]+)/")


def pointed_version(dataset_dir: Path) -> str | None:
    """The version the top-level card's configs point at (None: no readable card)."""
    for config in _front_matter(Path(dataset_dir) / CARD).get("configs", []):
        for data_file in config.get("data_files", []) if isinstance(config, dict) else []:
            match = _POINTER.match(str(data_file.get("path", "")))
            if match:
                return match.group(1)
    return None


def _release_stats(release: Path) -> dict[str, _ConfigStats]:
    stats: dict[str, _ConfigStats] = {}
    for info in _front_matter(release / CARD).get("dataset_info", []):
        split = info["splits"][0]
        stats[info["config_name"]] = _ConfigStats(
            rows=int(split["num_examples"]),
            num_bytes=int(split["num_bytes"]),
            download_size=int(info["download_size"]),
        )
    return stats


def _release_dumps(release: Path) -> pa.Table:
    """The dumps table's status column: all the card and the CHANGELOG count."""
    return pq.read_table(sorted((release / "dumps").glob("*.parquet")), columns=["status"])


def _changelog_entry(release: Path) -> str:
    manifest = _read_manifest(release)
    version = str(manifest["version"])
    heading = _changelog_line(version, manifest["row_counts"], _release_dumps(release))
    previous = manifest.get("previous_version")
    changes = manifest.get("changes")
    if previous is None or changes is None:
        return heading
    return f"{heading}\nChanges since {previous}:\n\n{render_markdown(changes, previous)}"


def _logged_versions(dataset_dir: Path) -> set[str]:
    path = dataset_dir / CHANGELOG
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return {line[3:].split(" ", 1)[0] for line in text.splitlines() if line.startswith("## ")}


def _point_at(dataset_dir: Path, version: str) -> None:
    """Log every version the CHANGELOG misses (oldest first), then point the card at
    `version`: the card goes last, so load_dataset(DIR) switches when all is in place."""
    versions = dataset_dir / VERSIONS_DIR
    logged = _logged_versions(dataset_dir)
    for name in sorted((p.name for p in versions.iterdir() if _SEMVER.match(p.name)), key=_semver):
        if name not in logged and _semver(name) <= _semver(version):
            _append_changelog(dataset_dir, _changelog_entry(versions / name))
    release = versions / version
    top_card = _card(
        version, top_level=True, stats=_release_stats(release), dumps=_release_dumps(release)
    )
    _replace_text(dataset_dir / CARD, top_card)


def files_differ(release: Path, tables: Mapping[str, AnyTable]) -> bool:
    """Whether publishing `tables` now would write other bytes than `release` holds.

    Same content hashes, same pyarrow and same writer settings give the same files; any
    difference (a pyarrow upgrade, a changed setting) is a PATCH release even when the
    rows are equal.
    """
    try:
        manifest = _read_manifest(release)
    except (OSError, ValueError):
        return True
    writer = json.loads(_dump_json(dict(PARQUET_SETTINGS), "writer settings"))
    if (
        manifest.get("pyarrow_version") != pa.__version__
        or manifest.get("parquet_writer") != writer
    ):
        return True
    hashes = manifest.get("content_hash", {})
    return any(hashes.get(name) != _digest(tables[name])[0] for name in contract.TABLES)


def repair_pointer(dataset_dir: Path) -> str | None:
    """Finish a publish killed after its version was renamed into place but before the
    top-level card (or the CHANGELOG) caught up; returns the version now pointed at,
    or None when nothing needed doing. The temporaries of killed runs go too: a build
    that then publishes nothing would otherwise leave them for good."""
    dataset_dir = Path(dataset_dir)
    _remove_stale_temporaries(dataset_dir)
    latest = latest_version(dataset_dir)
    if latest is None:
        return None
    if pointed_version(dataset_dir) == latest and latest in _logged_versions(dataset_dir):
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
    "write_parquet",
]
