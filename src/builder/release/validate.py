"""`builder validate`: a published release checked against the contract, its manifest,
its card and its Croissant file, as users' CI runs it.

Everything here reports `Finding`s instead of raising, so a damaged release (missing
shard, truncated Parquet, invalid JSON) yields a complete report rather than the first
exception.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache, partial
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from jsonschema import Draft202012Validator

from builder import contract
from builder.contract.card_features import card_features
from builder.contract.checks import (
    Inputs,
    first_line,
    guarded,
    table_findings,
    to_polars,
    validate_frame,
)
from builder.contract.findings import Finding
from builder.release.store import store_path, table_files

MANIFEST: Final = "manifest.json"
CARD: Final = "README.md"
CROISSANT: Final = "croissant.json"


# --- a published release ----------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationReport:
    """What `builder validate` found in one release; valid when there are no findings."""

    path: Path
    version: str | None
    findings: tuple[Finding, ...]
    row_counts: Mapping[str, int]
    elapsed_s: float

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "release": str(self.path),
            "version": self.version,
            "valid": self.ok,
            "row_counts": dict(self.row_counts),
            "findings": [asdict(f) | {"examples": list(f.examples)} for f in self.findings],
            "elapsed_s": round(self.elapsed_s, 3),
        }


@cache
def manifest_validator() -> Draft202012Validator:
    resource = package_files("builder") / "schema" / "manifest.schema.json"
    schema = json.loads(resource.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _read_manifest(release: Path) -> tuple[dict[str, Any] | None, list[Finding]]:
    path = release / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [Finding("manifest", None, "manifest.json exists", 1, (str(path),))]
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return None, [
            Finding("manifest", None, "manifest.json is valid JSON", 1, (first_line(error),))
        ]
    if not isinstance(manifest, dict):
        return None, [Finding("manifest", None, "manifest.json is an object", 1, ())]
    errors = sorted(manifest_validator().iter_errors(manifest), key=lambda e: e.json_path)
    findings = [
        Finding(
            "manifest",
            error.json_path.removeprefix("$."),
            "manifest schema",
            1,
            (error.message[:200],),
        )
        for error in errors
    ]
    return manifest, findings


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _listed_files(manifest: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    listed = manifest.get("files") if manifest else None
    if not isinstance(listed, Mapping):
        return {}
    return {str(k): v for k, v in listed.items() if isinstance(v, Mapping)}


def _card_files(release: Path) -> dict[str, Mapping[str, Any]]:
    """The files the version's card lists: where the tables are read from when the
    manifest is missing or damaged (they are still checked)."""
    try:
        metadata = _front_matter((release / CARD).read_text(encoding="utf-8"))
        paths = [
            path
            for config in metadata["configs"]
            for item in config.get("data_files", [])
            for path in (item["path"] if isinstance(item["path"], list) else [item["path"]])
        ]
    except Exception:  # any damage: no files from the card
        return {}
    return {str(path): {} for path in paths if "*" not in str(path)}


def _check_files(release: Path, listed: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    """Every listed file exists with its sha256 and size; no data file is unlisted."""
    findings: list[Finding] = []
    for name, entry in sorted(listed.items()):
        path = store_path(release, name)
        if not path.is_file():
            findings.append(Finding("files", name, "listed file exists", 1, (name,)))
            continue
        sha256, size = _sha256(path)
        if sha256 != entry.get("sha256"):
            findings.append(Finding("files", name, "sha256 matches the manifest", 1, (sha256,)))
        if size != entry.get("size_bytes"):
            findings.append(Finding("files", name, "size matches the manifest", 1, (str(size),)))
    on_disk = {
        path.relative_to(release).as_posix()
        for table in contract.TABLES
        for path in (release / table).glob("*.parquet")
    }
    on_disk |= {CROISSANT} if (release / CROISSANT).is_file() else set()
    for name in sorted(on_disk - set(listed)):
        findings.append(Finding("files", name, "file is listed in the manifest", 1, (name,)))
    if CROISSANT not in listed:
        findings.append(Finding("files", CROISSANT, "croissant.json is listed", 1, ()))
    return findings


def _shards(release: Path, table: str, listed: Mapping[str, Any]) -> list[str]:
    """Listed files (in row order) and any others in the version's own folder: a
    missing or extra file is reported elsewhere, the rows that are there are still
    checked."""
    names = table_files({"files": listed}, table)
    names += sorted(
        p.relative_to(release).as_posix()
        for p in (release / table).glob("*.parquet")
        if p.relative_to(release).as_posix() not in names
    )
    return [name for name in names if store_path(release, name).is_file()]


def _schema_findings(table: str, shard: str, schema: pa.Schema) -> list[Finding]:
    """Arrow-level comparison: catches what polars forgets (nullability, field names
    inside structs, tz) the moment the shard is opened."""
    expected = contract.arrow_schema(table)
    findings: list[Finding] = []
    for field in expected:
        if field.name not in schema.names:
            findings.append(Finding(table, field.name, "missing column", 1, (shard,)))
            continue
        actual = schema.field(field.name)
        if not actual.type.equals(field.type):
            findings.append(
                Finding(table, field.name, f"type is {field.type}", 1, (str(actual.type),))
            )
        elif actual.nullable != field.nullable:
            findings.append(
                Finding(table, field.name, f"nullable is {field.nullable}", 1, (shard,))
            )
    for name in schema.names:
        if name not in expected.names:
            findings.append(Finding(table, name, "unknown column", 1, (shard,)))
    return findings


def _read_table(
    release: Path, table: str, listed: Mapping[str, Any]
) -> tuple[pa.Table | None, list[Finding]]:
    parts: list[pa.Table] = []
    findings: list[Finding] = []
    for shard in _shards(release, table, listed):
        try:
            part = pq.read_table(store_path(release, shard))
        except Exception as error:  # pyarrow raises many kinds on bad bytes
            findings.append(
                Finding(
                    table, None, "Parquet file is readable", 1, (f"{shard}: {first_line(error)}",)
                )
            )
            continue
        findings += _schema_findings(table, shard, part.schema)
        entry = listed.get(shard)
        if isinstance(entry, Mapping) and "rows" in entry and entry["rows"] != part.num_rows:
            findings.append(
                Finding(
                    "manifest",
                    f"files.{shard}.rows",
                    "shard rows match the manifest",
                    1,
                    (str(part.num_rows),),
                )
            )
        parts.append(part)
    if not parts:
        findings.append(Finding(table, None, "table has a readable shard", 1, ()))
        return None, findings
    try:
        return pa.concat_tables(parts, promote_options="permissive"), findings
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        findings.append(Finding(table, None, "shards share one schema", 1, (first_line(error),)))
        return None, findings


@dataclass(frozen=True)
class _TableState:
    """A table as read back, with its writer-independent digest and size."""

    table: pa.Table
    digest: str
    num_bytes: int


def _mapping(value: Any) -> Mapping[str, Any]:
    """A damaged manifest may hold anything where an object belongs."""
    return value if isinstance(value, Mapping) else {}


def _manifest_findings(
    release: Path, manifest: Mapping[str, Any], states: Mapping[str, _TableState]
) -> list[Finding]:
    findings: list[Finding] = []
    version = manifest.get("version")
    if release.parent.name == "versions" and version != release.name:
        findings.append(
            Finding("manifest", "version", "version names its folder", 1, (str(version),))
        )
    if manifest.get("contract_version") != contract.CONTRACT_VERSION:
        findings.append(
            Finding(
                "manifest",
                "contract_version",
                f"contract_version is {contract.CONTRACT_VERSION}",
                1,
                (str(manifest.get("contract_version")),),
            )
        )
    counts = _mapping(manifest.get("row_counts"))
    hashes = _mapping(manifest.get("content_hash"))
    for name, state in states.items():
        if counts.get(name) != state.table.num_rows:
            findings.append(
                Finding(
                    "manifest",
                    f"row_counts.{name}",
                    "row count matches the table",
                    1,
                    (f"manifest {counts.get(name)}, table {state.table.num_rows}",),
                )
            )
        if hashes.get(name) != state.digest:
            findings.append(
                Finding(
                    "manifest",
                    f"content_hash.{name}",
                    "content_hash matches the table",
                    1,
                    (state.digest,),
                )
            )
    return findings


def _front_matter(text: str) -> Any:
    if not text.startswith("---\n"):
        raise ValueError("the card has no YAML front matter")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ValueError("the card's YAML front matter is not closed")
    return yaml.safe_load(text[4:end])


def _card_findings(
    release: Path, states: Mapping[str, _TableState], listed: Mapping[str, Any]
) -> list[Finding]:
    """The card is what `load_dataset` trusts offline: its features and split sizes
    must be the contract's and the files'."""
    try:
        metadata = _front_matter((release / CARD).read_text(encoding="utf-8"))
        infos = {str(info["config_name"]): info for info in metadata["dataset_info"]}
        configs = {str(config["config_name"]): config for config in metadata["configs"]}
    except Exception as error:  # any damage is one finding
        return [Finding("card", None, "README.md card is readable", 1, (first_line(error),))]
    findings: list[Finding] = []
    for name in contract.TABLES:
        info, config = infos.get(name), configs.get(name)
        if info is None or config is None:
            findings.append(Finding("card", name, "config is declared", 1, ()))
            continue
        if info.get("features") != card_features(name):
            findings.append(Finding("card", name, "features equal the contract", 1, ()))
        paths = [item.get("path") for item in config.get("data_files", [])]
        if paths != [table_files({"files": listed}, name)]:
            findings.append(
                Finding("card", name, "data_files point at the table", 1, tuple(map(str, paths)))
            )
        if name not in states:
            continue
        split = next(iter(info.get("splits") or [{}]))
        if split.get("num_examples") != states[name].table.num_rows:
            findings.append(
                Finding(
                    "card",
                    name,
                    "split num_examples matches the table",
                    1,
                    (f"card {split.get('num_examples')}, table {states[name].table.num_rows}",),
                )
            )
        if split.get("num_bytes") != states[name].num_bytes:
            findings.append(
                Finding(
                    "card",
                    name,
                    "split num_bytes matches the table",
                    1,
                    (f"card {split.get('num_bytes')}, table {states[name].num_bytes}",),
                )
            )
    return findings


def _croissant_findings(release: Path, listed: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    from builder.release import croissant  # mlcroissant is heavy: only validate needs it

    return croissant.check(release, listed)


def _inputs(manifest: Mapping[str, Any] | None) -> Inputs | None:
    """What the manifest says the inputs were: their hash, or (a release written
    before manifests stopped listing them) the list."""
    if not manifest:
        return None
    digest = manifest.get("inputs_sha256")
    if isinstance(digest, str):
        return digest
    listed = manifest.get("inputs")
    return listed if isinstance(listed, list) else None


def validate_release(release: Path, *, check_croissant: bool = True) -> ValidationReport:
    """Check a published release folder against the contract; never raises on damage."""
    started = time.perf_counter()
    release = Path(release)
    manifest, findings = _read_manifest(release)
    listed = _listed_files(manifest)
    findings += guarded("file hashes", lambda: _check_files(release, listed))
    states: dict[str, _TableState] = {}
    readable = listed or _card_files(release)
    for name in contract.TABLES:
        table, problems = _read_table(release, name, readable)
        findings += problems
        if table is not None:
            digest, num_bytes = contract.ipc_digest(table)
            states[name] = _TableState(table, digest, num_bytes)
    if len(states) == len(contract.TABLES):
        findings += table_findings({name: s.table for name, s in states.items()}, _inputs(manifest))
    else:
        for name, state in states.items():
            frame = to_polars(state.table)
            findings += guarded(f"{name} model", partial(validate_frame, name, frame))
    if manifest is not None:
        findings += guarded("manifest", lambda: _manifest_findings(release, manifest, states))
    findings += _card_findings(release, states, listed)
    if check_croissant:
        findings += guarded("croissant", lambda: _croissant_findings(release, listed))
    version = manifest.get("version") if manifest else None
    return ValidationReport(
        path=release,
        version=str(version) if version is not None else None,
        findings=tuple(findings),
        row_counts={name: s.table.num_rows for name, s in states.items()},
        elapsed_s=time.perf_counter() - started,
    )


__all__ = ["ValidationReport", "manifest_validator", "validate_release"]
