"""croissant.json: the release described in Croissant 1.1 (MLCommons), from the contract.

Croissant lets dataset search engines and ML loaders read a release without our code.
It is generated from the same JSON Schema as everything else and written with sorted
keys and no time stamps, so the same release gives the same bytes. Writing it needs no
mlcroissant (publish stays light); checking it does (`check`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from builder import contract
from builder.contract.findings import Finding

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
    text = str(node.get("description", name))
    enum = [item for item in node.get("enum", ()) if item is not None]
    return f"{text} One of: {', '.join(enum)}." if enum else text


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


def _distribution(files: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One FileObject per shard (its sha256) and one FileSet per table (what record
    sets read), so both the hashes and the readable layout are stated."""
    objects = [
        {
            "@type": "cr:FileObject",
            "@id": name,
            "name": name,
            "contentUrl": name,
            "contentSize": f"{entry['size_bytes']} B",
            "encodingFormat": "application/x-parquet",
            "sha256": entry["sha256"],
        }
        for name, entry in sorted(files.items())
        if name.endswith(".parquet")
    ]
    sets = [
        {
            "@type": "cr:FileSet",
            "@id": f"{table}-parquet",
            "name": f"{table}-parquet",
            "description": f"The Parquet shards of the {table} table.",
            "encodingFormat": "application/x-parquet",
            "includes": f"{table}/*.parquet",
        }
        for table in contract.TABLES
    ]
    return objects + sets


def metadata(
    version: str, files: Mapping[str, Mapping[str, Any]], *, date_published: str
) -> dict[str, Any]:
    """The Croissant document of one version; `files` as in the manifest (shards).

    `date_published` is the manifest's build time, so a rebuild under the same
    SOURCE_DATE_EPOCH gives the same bytes.
    """
    return {
        "@context": dict(CONTEXT),
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": "news-aggregator-articles",
        "description": (
            "Articles (main stories and related-article cards) extracted from captured "
            "pages of news aggregators, deduplicated across captures, with the provenance "
            "of every row: the dump, lines and byte span, capture time and text repairs."
        ),
        "version": version,
        "license": "https://spdx.org/licenses/CC-BY-4.0.html",
        "url": f"https://example.invalid/datasets/news-aggregator-articles/{version}",
        "citeAs": "news-aggregator-articles, built with builder "
        f"(data contract {contract.CONTRACT_VERSION})",
        "datePublished": date_published,
        "isLiveDataset": False,
        "distribution": _distribution(files),
        "recordSet": [_record_set(table) for table in contract.TABLES],
    }


def render(version: str, files: Mapping[str, Mapping[str, Any]], *, date_published: str) -> str:
    """Sorted keys and a trailing newline: the same inputs give the same bytes."""
    document = metadata(version, files, date_published=date_published)
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write(
    folder: Path, version: str, files: Mapping[str, Mapping[str, Any]], *, date_published: str
) -> dict[str, Any]:
    """Write croissant.json into a version folder; returns its manifest `files` entry."""
    data = render(version, files, date_published=date_published).encode("utf-8")
    path = Path(folder) / FILE_NAME
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return {"sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}


# --- checking a release's croissant.json -------------------------------------------------


def _finding(column: str | None, check: str, *examples: str) -> Finding:
    return Finding("croissant", column, check, 1, tuple(text[:200] for text in examples))


def _hash_findings(
    document: Mapping[str, Any], listed: Mapping[str, Mapping[str, Any]]
) -> list[Finding]:
    """Croissant's sha256 per shard must be the manifest's (which is checked against
    the bytes), and every shard must be described."""
    objects = {
        str(item.get("contentUrl")): item
        for item in document.get("distribution", [])
        if isinstance(item, Mapping) and item.get("@type") == "cr:FileObject"
    }
    findings: list[Finding] = []
    for name, entry in sorted(listed.items()):
        if not name.endswith(".parquet"):
            continue
        item = objects.get(name)
        if item is None:
            findings.append(_finding(name, "shard is described by a FileObject", name))
        elif item.get("sha256") != entry.get("sha256"):
            findings.append(_finding(name, "sha256 equals the manifest's", str(item.get("sha256"))))
    for name in sorted(set(objects) - set(listed)):
        findings.append(_finding(name, "FileObject is a listed file", name))
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
    for table in contract.TABLES:
        shards = sorted((release / table).glob("*.parquet"))
        (target / table).mkdir()
        if shards:
            head = pq.ParquetFile(shards[0]).iter_batches(batch_size=rows)
            first = next(head, None)
            if first is not None:
                pq.write_table(pa.Table.from_batches([first]), target / table / shards[0].name)


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
    mlcroissant, hashes equal to the manifest, fields equal to the contract, and a few
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
    findings += _hash_findings(document, listed)
    findings += _field_findings(document)
    if read_records:
        findings += _records_findings(Path(release))
    return findings


__all__ = ["CONFORMS_TO", "FILE_NAME", "check", "metadata", "render", "write"]
