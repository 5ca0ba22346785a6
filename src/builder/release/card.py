"""The dataset card (`README.md`): YAML that lets `load_dataset` work offline, and prose
for people. A version's card and the top-level card differ only in paths and history."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

import builder
from builder import contract
from builder.contract.card_features import card_features
from builder.release.diff import render_markdown
from builder.release.store import UP, store_path, table_files
from builder.release.versions import (
    CARD,
    DEFAULT_CONFIG,
    MANIFEST,
    REPORT,
    SPLIT,
    SUMMARY_PICTURE,
    VERSIONS_DIR,
)


@dataclass(frozen=True)
class ConfigStats:
    rows: int
    num_bytes: int
    download_size: int


def _card_metadata(
    prefix: str, stats: Mapping[str, ConfigStats], files: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """`configs` + per-config `dataset_info`: what lets load_dataset work offline, and the
    split sizes double as a check (a wrong num_examples fails the load).

    `files` are each table's files from the dataset folder (`data/<table>/...`), in row
    order; `prefix` leads from the card's folder to the dataset folder (`../../` for a
    version's card: `datasets` resolves it on a local folder)."""
    configs: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []
    for name in contract.TABLES:
        config: dict[str, Any] = {"config_name": name}
        if name == DEFAULT_CONFIG:
            config["default"] = True
        config["data_files"] = [
            {"split": SPLIT, "path": [f"{prefix}{path}" for path in files[name]]}
        ]
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


#: Identity and version rules, in every card (diff.bump applies them).
VERSION_RULES: Final = (
    "## Ids and version numbers",
    "",
    "`article_id` is a hash of the normalised title alone: it is fixed the first time a",
    "title is seen and never changes when a publisher, a full text or another sighting",
    "arrives later. Publishers are attributes: `source` (the main page's publisher when",
    "one named it, else the most frequent) and `sources` (every publisher seen).",
    "",
    "- MAJOR: the data contract changed incompatibly, or a key disappeared (an input",
    "  removed or its bytes changed, an article or a sighting gone).",
    "- MINOR: new inputs added rows or updated existing ones with new evidence (counts,",
    "  first seen, a full text for a teaser, a new publisher in `sources`); also the same",
    "  inputs giving new rows, or a compatible contract change.",
    "- PATCH: the same inputs with corrected values (a parser or builder fix), or only",
    "  the files' bytes differ.",
    "",
    "Each version's manifest (`bump_reason`), card and CHANGELOG entry say why it got",
    "its number.",
)


def status_counts(dumps: pa.Table) -> dict[str, int]:
    counts = pc.value_counts(dumps.column("status")).to_pylist() if dumps.num_rows else []
    return {str(item["values"]): int(item["counts"]) for item in counts}


def _picture_lines(picture: str | None, report: str | None) -> list[str]:
    """The summary picture and where the full report is, when the version has them."""
    lines: list[str] = []
    if picture is not None:
        alt = "Inputs by outcome, articles per capture day, articles by number of sightings"
        lines += [f"![{alt}]({picture})", ""]
    if report is not None:
        lines += [
            f"The full visual report of this version: `{report}` (one offline HTML file).",
            "",
        ]
    return lines


def _card_body(
    version: str,
    *,
    top_level: bool,
    rows: Mapping[str, int],
    dumps: pa.Table,
    picture: str | None = None,
    report: str | None = None,
) -> str:
    status = status_counts(dumps)
    load_path = "path/to/DATASET_DIR" + ("" if top_level else f"/versions/{version}")
    lines = [
        f"# News articles from aggregator page dumps — version {version}",
        "",
        *_picture_lines(picture, report),
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
    lines += ["", *VERSION_RULES]
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
            "What changed between versions: `CHANGELOG.md`. Versions share their",
            "Parquet files: each is stored once under `data/<table>/`, cut by day (capture",
            "day; for articles, the day first seen) and named by its sha256; a version's card",
            "lists the files it is made of. On the Hub, each version is a git tag of its",
            'number: `load_dataset(repo, revision="X.Y.Z")`.',
        ]
    return "\n".join(lines) + "\n"


def render_card(
    version: str,
    *,
    top_level: bool,
    stats: Mapping[str, ConfigStats],
    dumps: pa.Table,
    files: Mapping[str, Sequence[str]],
    release: Path | None = None,
) -> str:
    """The card of `version`; `release` (its folder) shows the summary picture and names
    the report when they are in it."""
    prefix = "" if top_level else UP
    metadata = yaml.safe_dump(
        _card_metadata(prefix, stats, files),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
    rows = {name: s.rows for name, s in stats.items()}

    here = f"{VERSIONS_DIR}/{version}/" if top_level else ""  # the version's own files

    def has(name: str) -> bool:
        return release is not None and (release / name).is_file()

    body = _card_body(
        version,
        top_level=top_level,
        rows=rows,
        dumps=dumps,
        picture=here + SUMMARY_PICTURE if has(SUMMARY_PICTURE) else None,
        report=here + REPORT if has(REPORT) else None,
    )
    return f"---\n{metadata}---\n\n{body}"


def changes_section(
    previous: str | None,
    changes: Mapping[str, Any] | None,
    bump_reason: str | None = None,
    version: str | None = None,
) -> str:
    """The version card's history: why it has its number, then what changed."""
    why = f"\n## Why {version}\n\n{bump_reason}\n" if bump_reason and version else ""
    if previous is None or changes is None:
        return why
    return f"{why}\n## Changes since {previous}\n\n{render_markdown(changes, previous)}"


def front_matter(card: Path) -> dict[str, Any]:
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


def release_stats(release: Path) -> dict[str, ConfigStats]:
    stats: dict[str, ConfigStats] = {}
    for info in front_matter(release / CARD).get("dataset_info", []):
        split = info["splits"][0]
        stats[info["config_name"]] = ConfigStats(
            rows=int(split["num_examples"]),
            num_bytes=int(split["num_bytes"]),
            download_size=int(info["download_size"]),
        )
    return stats


def release_dumps(release: Path) -> pa.Table:
    """The dumps table's status column: all the card and the CHANGELOG count."""
    manifest = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
    paths = [store_path(release, key) for key in table_files(manifest, "dumps")]
    return pq.read_table(paths, columns=["status"])
