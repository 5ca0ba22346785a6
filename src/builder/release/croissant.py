"""croissant.json: the release described in Croissant 1.1 (MLCommons), from the contract.

Croissant lets dataset search engines and ML loaders read a release without our code.
Its fields and their descriptions come from the same JSON Schema as everything else,
its name, license, homepage, citation and creators from the dataset's settings
(`builder.toml`; what nobody stated is left out, never made up), and it is written with
sorted keys and no time stamps, so the same release gives the same bytes.

It stays small as a dataset grows: one FileSet per table names the version's files;
their sha256 and sizes are in the version's manifest.json, not repeated here. Writing
it needs no mlcroissant (publish stays light); checking it does (`check`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from builder import contract
from builder.contract.fields import node_text
from builder.contract.findings import Finding
from builder.release.settings import DEFAULT_DESCRIPTION, DatasetSettings
from builder.release.store import UP, store_path, table_files
from builder.release.versions import MANIFEST

FILE_NAME: Final = "croissant.json"
CONFORMS_TO: Final = "http://mlcommons.org/croissant/1.1"
#: Records read per record set by `check`: enough to prove every column resolves.
SAMPLE_RECORDS: Final = 3

#: The Croissant 1.1 JSON-LD context (as mlcroissant writes it for 1.1).
CONTEXT: Final[Mapping[str, Any]] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_DESCRIPTIONS: Final[Mapping[str, str]] = {
    "articles": "One row per unique article (main or related) after merging duplicates, "
    "with the provenance of its kept text. An article is its normalised title: its id "
    "never changes between versions; publishers seen later are added to sources.",
    "sightings": "One row per appearance of an article in one dump.",
    "dumps": "One row per input dump, parsed or quarantined (with the reason).",
}


def _data_type(node: Mapping[str, Any]) -> str:
    declared = node.get("type")
    names = [declared] if isinstance(declared, str) else list(declared or [])
    kind = next(name for name in names if name != "null")
    if kind == "string":
        return "sc:DateTime" if node.get("format") == "date-time" else "sc:Text"
    return {"integer": "sc:Integer", "number": "sc:Float", "boolean": "sc:Boolean"}.get(
        kind, "sc:Text"
    )


def _description(name: str, node: Mapping[str, Any]) -> str:
    """The schema's description of the field (with its enum values); the drift test
    holds every field to having one."""
    return node_text(node) or name


def _field(
    record_set: str, path: tuple[str, ...], node: Mapping[str, Any], file_set: str
) -> dict[str, Any]:
    """A column, or a struct member read from its column by JSON path (provenance.*).

    Members of a list of structs (provenance.repairs[].kind) take one JSON path step per
    level: mlcroissant applies a step to each item once a value is a list.
    """
    name = path[-1]
    source: dict[str, Any] = {"fileSet": {"@id": file_set}, "extract": {"column": path[0]}}
    if len(path) > 1:
        source["transform"] = [{"jsonPath": step} for step in path[1:]]
    field: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{record_set}/{'/'.join(path)}",
        "name": name,
        "description": _description(name, node),
    }
    kind = node.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind):
        field["subField"] = [
            _field(record_set, (*path, child), child_node, file_set)
            for child, child_node in node["properties"].items()
        ]
        return field
    if kind == "array" or (isinstance(kind, list) and "array" in kind):
        items = node["items"]
        field["isArray"] = True
        if "properties" in items:
            field["subField"] = [
                _field(record_set, (*path, child), child_node, file_set)
                for child, child_node in items["properties"].items()
            ]
            return field
        field["dataType"] = _data_type(items)
    else:
        field["dataType"] = _data_type(node)
    field["source"] = source
    return field


def _record_set(table: str) -> dict[str, Any]:
    schema = contract.json_schema(table)
    file_set = f"{table}-parquet"
    return {
        "@type": "cr:RecordSet",
        "@id": table,
        "name": table,
        "description": _DESCRIPTIONS[table],
        "key": {"@id": f"{table}/{schema['x-key']}"},
        "field": [
            _field(table, (name,), node, file_set) for name, node in schema["properties"].items()
        ],
    }


def _url(key: str) -> str:
    """A manifest key (relative to the version folder) as a path from the dataset
    folder, the root Croissant paths are read from (a Hub repository's root)."""
    return key.removeprefix(UP)


def _file_sets(files: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One FileSet per table whose `includes` name exactly this version's files (the
    shared store holds other versions' files too, so no glob would do). Their sha256
    and sizes are in manifest.json: repeating them here made the file grow by ~450
    bytes per stored file."""
    manifest = {"files": files}
    return [
        {
            "@type": "cr:FileSet",
            "@id": f"{table}-parquet",
            "name": f"{table}-parquet",
            "description": f"The Parquet files of the {table} table in this version "
            "(sha256 and sizes: manifest.json).",
            "encodingFormat": "application/x-parquet",
            "includes": [_url(key) for key in table_files(manifest, table)],
        }
        for table in contract.TABLES
    ]


_PERSON = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<email>[^<>\s]+@[^<>\s]+)>$")


def _creators(maintainers: tuple[str, ...]) -> list[dict[str, str]]:
    """`Ada Lovelace <ada@example.org>` as a schema.org Person with name and email."""
    people = []
    for person in maintainers:
        match = _PERSON.match(person.strip())
        if match and match["name"]:
            people.append({"@type": "sc:Person", "name": match["name"], "email": match["email"]})
        else:
            people.append({"@type": "sc:Person", "name": person.strip()})
    return people


def _about(dataset: DatasetSettings) -> dict[str, Any]:
    """Name, description, license, url, citation and creators: only what the settings
    state. A license nobody stated is left out (Croissant has no "unknown" license) and
    the description says it is unknown."""
    description = " ".join((dataset.description or DEFAULT_DESCRIPTION).split())
    about: dict[str, Any] = {"name": dataset.name}
    if dataset.license_known:
        about["license"] = dataset.license
    else:
        description += " License: unknown (its maintainers have not stated one)."
    about["description"] = description
    if dataset.pretty_name:
        about["alternateName"] = dataset.pretty_name
    if dataset.homepage:
        about["url"] = dataset.homepage
    if dataset.citation:
        about["citeAs"] = dataset.citation
    if dataset.maintainers:
        about["creator"] = _creators(dataset.maintainers)
    return about


def metadata(
    version: str,
    files: Mapping[str, Mapping[str, Any]],
    *,
    date_published: str,
    dataset: DatasetSettings | None = None,
) -> dict[str, Any]:
    """The Croissant document of one version; `files` as in the manifest (shards),
    `dataset` the dataset's settings (the defaults when not given).

    `date_published` is the manifest's build time, so a rebuild under the same
    SOURCE_DATE_EPOCH gives the same bytes.
    """
    return {
        "@context": dict(CONTEXT),
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        **_about(dataset or DatasetSettings()),
        "version": version,
        "datePublished": date_published,
        "isLiveDataset": False,
        "distribution": _file_sets(files),
        "recordSet": [_record_set(table) for table in contract.TABLES],
    }


def render(
    version: str,
    files: Mapping[str, Mapping[str, Any]],
    *,
    date_published: str,
    dataset: DatasetSettings | None = None,
) -> str:
    """Sorted keys, no indentation, a trailing newline: the same inputs give the same
    bytes, and the file stays small (indenting the nested fields added a third to it;
    any JSON viewer indents it again)."""
    document = metadata(version, files, date_published=date_published, dataset=dataset)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text + "\n"


def write(
    folder: Path,
    version: str,
    files: Mapping[str, Mapping[str, Any]],
    *,
    date_published: str,
    dataset: DatasetSettings | None = None,
) -> dict[str, Any]:
    """Write croissant.json into a version folder; returns its manifest `files` entry."""
    text = render(version, files, date_published=date_published, dataset=dataset)
    data = text.encode("utf-8")
    path = Path(folder) / FILE_NAME
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return {"sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}


# --- checking a release's croissant.json -------------------------------------------------


def _finding(column: str | None, check: str, *examples: str) -> Finding:
    return Finding("croissant", column, check, 1, tuple(text[:200] for text in examples))


def _file_set_findings(
    document: Mapping[str, Any], listed: Mapping[str, Mapping[str, Any]]
) -> list[Finding]:
    """Each table's FileSet names exactly the table's files in the manifest (whose
    sha256 and sizes are checked against the bytes)."""
    sets = {
        str(item.get("@id")): item
        for item in document.get("distribution", [])
        if isinstance(item, Mapping) and item.get("@type") == "cr:FileSet"
    }
    manifest = {"files": listed}
    findings: list[Finding] = []
    for table in contract.TABLES:
        file_set = sets.get(f"{table}-parquet")
        if file_set is None:
            findings.append(_finding(table, "the table's FileSet exists", f"{table}-parquet"))
            continue
        included = file_set.get("includes")
        included = [included] if isinstance(included, str) else list(included or [])
        expected = [_url(key) for key in table_files(manifest, table)]
        missing = sorted(set(expected) - set(map(str, included)))
        extra = sorted(set(map(str, included)) - set(expected))
        if missing:
            findings.append(_finding(table, "FileSet includes every listed file", *missing[:3]))
        if extra:
            findings.append(_finding(table, "FileSet includes only listed files", *extra[:3]))
    return findings


def _field_findings(document: Mapping[str, Any]) -> list[Finding]:
    """Record set fields are the contract's columns (a renamed column fails here)."""
    sets = {
        str(item.get("@id")): item
        for item in document.get("recordSet", [])
        if isinstance(item, Mapping)
    }
    findings: list[Finding] = []
    for table in contract.TABLES:
        record_set = sets.get(table)
        if record_set is None:
            findings.append(_finding(table, "record set exists", table))
            continue
        names = [str(field.get("name")) for field in record_set.get("field", [])]
        if names != contract.arrow_schema(table).names:
            findings.append(_finding(table, "fields equal the contract columns", *names[:3]))
    return findings


def _sample_release(release: Path, target: Path, rows: int) -> None:
    """The first rows of the first shard of each table, in the release's layout:
    mlcroissant reads whole files into pandas, which on a million-row shard costs more
    than the rest of the validation; the first rows show every column resolves."""
    import pyarrow.parquet as pq

    shutil.copy(release / FILE_NAME, target / FILE_NAME)
    manifest = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
    for table in contract.TABLES:
        shards = table_files(manifest, table)
        if shards:
            path = target / _url(shards[0])
            path.parent.mkdir(parents=True, exist_ok=True)
            head = pq.ParquetFile(store_path(release, shards[0])).iter_batches(batch_size=rows)
            first = next(head, None)
            if first is not None:
                pq.write_table(pa.Table.from_batches([first]), path)


def _records_findings(release: Path) -> list[Finding]:
    import mlcroissant as mlc

    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(logging.ERROR)  # mlcroissant warns through absl on every load
    try:
        with tempfile.TemporaryDirectory(prefix="croissant-") as folder:
            _sample_release(release, Path(folder), SAMPLE_RECORDS)
            ctx = mlc.Context(conforms_to=CONFORMS_TO)
            try:
                loaded = mlc.Metadata.from_file(ctx=ctx, file=Path(folder) / FILE_NAME)
            except Exception as error:  # mlcroissant raises its own and others
                return [_finding(None, "metadata is valid Croissant 1.1", _text(error))]
            if ctx.issues.errors:
                return [
                    _finding(None, "metadata is valid Croissant 1.1", message)
                    for message in sorted(ctx.issues.errors)
                ]
            dataset = mlc.Dataset.from_metadata(loaded)
            findings: list[Finding] = []
            for table in contract.TABLES:
                try:
                    records = list(itertools.islice(dataset.records(table), SAMPLE_RECORDS))
                except Exception as error:
                    findings.append(_finding(table, "records are readable", _text(error)))
                    continue
                if not records:
                    findings.append(_finding(table, "records are readable", "no record read"))
            return findings
    finally:
        absl.setLevel(level)


def _text(error: BaseException) -> str:
    cause = error.__cause__ or error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


def check(
    release: Path, listed: Mapping[str, Mapping[str, Any]], *, read_records: bool = True
) -> list[Finding]:
    """Findings for a release's croissant.json: present, valid JSON, Croissant 1.1 for
    mlcroissant, file sets equal to the manifest's files, fields equal to the contract, and a few
    records of each record set readable."""
    path = Path(release) / FILE_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [_finding(None, "croissant.json exists", str(path))]
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return [_finding(None, "croissant.json is valid JSON", _text(error))]
    if not isinstance(document, Mapping):
        return [_finding(None, "croissant.json is an object")]
    findings: list[Finding] = []
    if document.get("conformsTo") != CONFORMS_TO:
        findings.append(
            _finding("conformsTo", f"conformsTo is {CONFORMS_TO}", str(document.get("conformsTo")))
        )
    findings += _file_set_findings(document, listed)
    findings += _field_findings(document)
    if read_records:
        findings += _records_findings(Path(release))
    return findings


__all__ = ["CONFORMS_TO", "FILE_NAME", "check", "metadata", "render", "write"]
