"""The dataset card (`README.md`): YAML that lets `load_dataset` work offline and the Hub
show the dataset's license, languages and size, then prose for people: what the data is
and where it comes from, how it was built, every field explained, how to load it, its
versions, its limits, its license and how to cite it.

A version's card and the top-level card differ only in paths and history. Everything
in them comes from the version's manifest (the build settings and the dataset's own
settings, see `settings`), its files and the schema's descriptions, so the same
release gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

import builder
from builder import contract
from builder.contract.card_features import card_features
from builder.contract.fields import FieldDoc, field_docs
from builder.contract.schema import loaded_schema
from builder.release.diff import render_markdown
from builder.release.settings import DEFAULT_DESCRIPTION, DatasetSettings, from_mapping
from builder.release.store import UP, store_path, table_files
from builder.release.versions import (
    CARD,
    DEFAULT_CONFIG,
    MANIFEST,
    REPORT,
    SEMVER,
    SPLIT,
    SUMMARY_PICTURE,
    VERSIONS_DIR,
    semver,
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

#: The Hub's task and tag vocabulary for what the rows are: news text with titles,
#: publishers, times and languages.
TASK_CATEGORIES: Final = ("text-classification", "text-generation")
TAGS: Final = ("news", "news-aggregator", "provenance", "parquet")
#: Versions the card lists with their bump reason (all of them: `builder versions`).
HISTORY: Final = 5
#: published_at this uncertain (seconds) or more is called "a day or more" off.
DAY_S: Final = 86_400

_SIZE_CATEGORIES: Final = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
)


def size_category(rows: int) -> str:
    """The Hub's size category of a row count."""
    return next((name for limit, name in _SIZE_CATEGORIES if rows < limit), "n>1T")


@dataclass(frozen=True)
class Facts:
    """What the card says about the rows, counted from the version's files."""

    n_dumps: int = 0
    n_quarantined: int = 0
    n_truncated: int = 0
    n_mtime: int = 0
    first_capture: datetime | None = None
    last_capture: datetime | None = None
    #: (name, parsed dumps), most first: the site of each recognised layout.
    sites: tuple[tuple[str, int], ...] = ()
    #: (host, dumps), most first: the hosts of the page URLs the dumps recorded.
    hosts: tuple[tuple[str, int], ...] = ()
    #: (ISO 639-1 code, articles), most first.
    languages: tuple[tuple[str, int], ...] = ()
    n_articles: int = 0
    n_teasers: int = 0
    n_no_time: int = 0
    n_day_uncertain: int = 0
    n_after_capture: int = 0

    @property
    def n_parsed(self) -> int:
        return self.n_dumps - self.n_quarantined


def _counted(values: pa.ChunkedArray | pa.Array) -> tuple[tuple[str, int], ...]:
    """Non-null values by count, most first (then by name: the same bytes every time)."""
    items = pc.value_counts(pc.drop_null(values)).to_pylist() if len(values) else []
    pairs = [(str(item["values"]), int(item["counts"])) for item in items if item["values"]]
    return tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def _true(column: pa.ChunkedArray) -> int:
    return int(pc.sum(column).as_py() or 0) if len(column) else 0


def _read(release: Path, manifest: Mapping[str, Any], table: str, columns: list[str]) -> pa.Table:
    paths = [store_path(release, key) for key in table_files(manifest, table)]
    if not paths:
        return contract.arrow_schema(table).empty_table().select(columns)
    return pq.read_table(paths, columns=columns)


#: The facts last counted, by the sha256 of every file they were counted from: a
#: publish renders the new version's card, then the top-level card of the same files,
#: and counted them twice (~0.05 s each at 20,000 dumps).
_COUNTED: dict[str, Facts] = {}


def _files_key(manifest: Mapping[str, Any]) -> str | None:
    """What identifies the rows `count_facts` reads: its tables' files and their sha256
    (None when a listed file has none: then nothing is remembered)."""
    listed = manifest.get("files")
    if not isinstance(listed, Mapping):
        return None
    keys = [key for name in ("dumps", "articles") for key in table_files(manifest, name)]
    digests = [
        listed[key].get("sha256") if isinstance(listed[key], Mapping) else None for key in keys
    ]
    if not all(isinstance(digest, str) for digest in digests):
        return None
    return json.dumps(
        [[key.rsplit("/", 2)[-2:], digest] for key, digest in zip(keys, digests, strict=True)]
    )


def count_facts(release: Path, manifest: Mapping[str, Any]) -> Facts:
    """The card's facts of the version whose folder is (or will be) `release`; only small
    columns are read (never the texts), so this stays quick on a large release. The
    same files counted again (the top-level card after the version's) are not read."""
    key = _files_key(manifest)
    if key is not None and key in _COUNTED:
        return _COUNTED[key]
    facts = _count_facts(release, manifest)
    if key is not None:
        _COUNTED.clear()
        _COUNTED[key] = facts
    return facts


def _count_facts(release: Path, manifest: Mapping[str, Any]) -> Facts:
    dumps = _read(
        release,
        manifest,
        "dumps",
        ["status", "captured_at", "captured_at_source", "layout", "url", "truncated"],
    )
    articles = _read(
        release,
        manifest,
        "articles",
        [
            "language",
            "text_is_teaser",
            "published_at",
            "published_at_uncertainty_s",
            "published_after_capture",
        ],
    )
    captured = dumps.column("captured_at")
    layouts = dumps.column("layout").to_pylist()
    sites = pa.array([name.split("-", 1)[0] if name else None for name in layouts], pa.string())
    urls = dumps.column("url").to_pylist()
    hosts = pa.array([urlsplit(url).hostname if url else None for url in urls], pa.string())
    uncertainty = articles.column("published_at_uncertainty_s")
    return Facts(
        n_dumps=dumps.num_rows,
        n_quarantined=status_counts(dumps).get("quarantined", 0),
        n_truncated=_true(dumps.column("truncated")),
        n_mtime=int(pc.sum(pc.equal(dumps.column("captured_at_source"), "mtime")).as_py() or 0)
        if dumps.num_rows
        else 0,
        first_capture=pc.min(captured).as_py() if dumps.num_rows else None,
        last_capture=pc.max(captured).as_py() if dumps.num_rows else None,
        sites=_counted(sites),
        hosts=_counted(hosts),
        languages=_counted(articles.column("language")),
        n_articles=articles.num_rows,
        n_teasers=_true(articles.column("text_is_teaser")),
        n_no_time=articles.column("published_at").null_count,
        n_day_uncertain=int(pc.sum(pc.greater_equal(uncertainty, DAY_S)).as_py() or 0)
        if articles.num_rows
        else 0,
        n_after_capture=_true(articles.column("published_after_capture")),
    )


def hub_metadata(dataset: DatasetSettings, facts: Facts) -> dict[str, Any]:
    """The card's YAML before `configs`: what the Hub shows and filters by. `language`
    lists what the rows hold (absent when no language was detected)."""
    metadata: dict[str, Any] = {"license": dataset.license.lower()}  # the Hub's ids
    languages = sorted(code for code, _ in facts.languages)
    if languages:
        metadata["language"] = languages
    metadata["pretty_name"] = dataset.title
    metadata["size_categories"] = [size_category(facts.n_articles)]
    metadata["task_categories"] = list(TASK_CATEGORIES)
    metadata["tags"] = list(TAGS)
    return metadata


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
    "- MINOR: new inputs added rows (dumps, sightings, articles) or updated existing",
    "  ones with new evidence (a full text for a teaser, a new publisher in `sources`);",
    "  also the same inputs giving new rows, or a compatible contract change.",
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


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def _share(n: int, total: int) -> str:
    return f"{n:,} of {total:,} ({100 * n / total:.1f}%)" if total else f"{n:,}"


def _listed(pairs: Sequence[tuple[str, int]], unit: str, limit: int = 8) -> str:
    shown = [f"{name} ({_count(n, unit)})" for name, n in pairs[:limit]]
    more = len(pairs) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _day(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _source_lines(facts: Facts) -> list[str]:
    """Where the rows come from, from the data itself."""
    lines = ["## What it holds and where it comes from", ""]
    if facts.sites:
        lines.append(f"- Sites (by recognised page layout): {_listed(facts.sites, 'page')}")
    if facts.hosts:
        lines.append(
            f"- Page hosts (from the URLs the dumps recorded): {_listed(facts.hosts, 'dump')}"
        )
    if facts.n_dumps:
        lines.append(
            f"- Captured from {_day(facts.first_capture)} to {_day(facts.last_capture)} "
            f"({_count(facts.n_dumps, 'dump')}; `dumps.captured_at`)"
        )
    if facts.languages:
        lines.append(f"- Languages (detected, per article): {_listed(facts.languages, 'article')}")
    return lines


def _settings_text(settings: Mapping[str, Any]) -> str:
    captured = settings.get("captured_at")
    when = (
        f"`--captured-at {captured}` for dumps without a capture time of their own"
        if captured
        else "each dump's own capture time (its record, else its file's modification time)"
    )
    limit = settings.get("max_bytes")
    largest = f"; dumps over {limit:,} bytes quarantined unread" if isinstance(limit, int) else ""
    return f"{when}{largest}"


def _built_lines(
    version: str, manifest: Mapping[str, Any], facts: Facts, *, top_level: bool
) -> list[str]:
    settings = manifest.get("settings") or {}
    where = f" in `versions/{version}/`" if top_level else ""
    return [
        "## How it was built",
        "",
        f"- builder {manifest.get('builder_version', builder.__version__)} (parser version "
        f"{manifest.get('parser_version', builder.PARSER_VERSION)}), data contract "
        f"{manifest.get('contract_version', contract.CONTRACT_VERSION)}, "
        f"pyarrow {manifest.get('pyarrow_version', pa.__version__)}",
        f"- settings: {_settings_text(settings)}",
        f"- {_count(facts.n_dumps, 'input')}: {facts.n_parsed:,} parsed, "
        f"{facts.n_quarantined:,} quarantined (listed with the reason in the `dumps` config)",
        f"- inputs, their sha256, settings and every file's sha256 and size: `{MANIFEST}`{where}",
    ]


def _type_text(table: str, doc: FieldDoc) -> str:
    """The field's type as a reader of the Parquet files sees it."""
    if doc.kind == "string":
        kind = "timestamp[us, UTC]" if doc.date_time else "string"
    elif doc.kind == "integer":
        kind = _integer_width(table, doc.path)
    elif doc.kind == "array":
        kind = "list of struct" if doc.path + "[]" in _nested(table) else "list of string"
    else:
        kind = {"boolean": "bool", "number": "float64", "object": "struct"}.get(doc.kind, doc.kind)
    return f"{kind}, nullable" if doc.nullable else kind


def _nested(table: str) -> set[str]:
    return {doc.path.rsplit(".", 1)[0] for doc in field_docs(table) if "." in doc.path}


def _integer_width(table: str, path: str) -> str:
    # Read, never changed: the shared schema, not json_schema's deep copy of it (a copy
    # per integer field was 0.035 s of a publish's two cards).
    node: Mapping[str, Any] = loaded_schema(table)
    for part in path.split("."):
        if part.endswith("[]"):
            node = node["properties"][part[:-2]]["items"]
        else:
            node = node["properties"][part]
    return str(node.get("x-arrow", "int64"))


def _cell(text: str) -> str:
    """One table cell: one line, pipes escaped, `<x>` shown as text rather than read as
    an HTML tag by the Hub's renderer."""
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat.replace("<", "&lt;").replace(">", "&gt;")


def field_table(table: str) -> list[str]:
    """Every field of a config (nested ones as `parent.child`) with its type and the
    description `schema/` gives it."""
    lines = ["| field | type | description |", "| --- | --- | --- |"]
    for doc in field_docs(table):
        lines.append(f"| `{doc.path}` | {_type_text(table, doc)} | {_cell(doc.text)} |")
    return lines


def _fields_lines(rows: Mapping[str, int]) -> list[str]:
    lines = ["## Configs and fields", ""]
    for name in contract.TABLES:
        default = " (default)" if name == DEFAULT_CONFIG else ""
        lines += [
            f"### `{name}`{default}",
            "",
            f"{_CONFIG_LINES[name].capitalize()}: {_count(rows.get(name, 0), 'row')}.",
            "",
            *field_table(name),
            "",
        ]
    return lines[:-1]


def _load_lines(
    dataset: DatasetSettings, version: str, older: str | None, *, top_level: bool
) -> list[str]:
    here = dataset.name if top_level else f"{dataset.name}/{VERSIONS_DIR}/{version}"
    lines = [
        "## Load",
        "",
        f"`{dataset.name}` is the dataset folder (run Python next to it, or give its path); "
        "on the Hub, use the repository id instead.",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'articles = load_dataset("{here}", split="train")  # the default config',
        f'sightings = load_dataset("{here}", "sightings", split="train")',
        f'dumps = load_dataset("{here}", "dumps", split="train")',
        "",
        "# how often each article was seen: its rows in sightings (articles keep no count)",
        "from collections import Counter",
        "",
        'n_sightings = Counter(sightings["article_id"])',
        'print(articles[0]["title"], n_sightings[articles[0]["article_id"]])',
        "# the same with polars, as a column beside the articles",
        'counts = sightings.to_polars().group_by("article_id").len("n_sightings")',
        'seen = articles.to_polars().join(counts, on="article_id", how="left")',
    ]
    if older is not None:
        lines += [
            "",
            f"# another version: every version stays under {VERSIONS_DIR}/X.Y.Z, unchanged",
            f'old = load_dataset("{dataset.name}/{VERSIONS_DIR}/{older}", split="train")',
        ]
    lines += [
        "```",
        "",
        "On the Hub, each version is a git tag of its number: "
        '`load_dataset(repo, revision="X.Y.Z")`.',
    ]
    return lines


def version_history(release: Path, manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(version, why it got its number) of the last few versions up to this one, newest
    first, read from the manifests beside `release` (this one from `manifest`)."""
    version = str(manifest.get("version"))
    found: dict[str, str] = {version: str(manifest.get("bump_reason") or "")}
    versions = release.parent
    if versions.is_dir():
        for folder in versions.iterdir():
            if not SEMVER.match(folder.name) or semver(folder.name) >= semver(version):
                continue
            try:
                other = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found[folder.name] = (
                str(other.get("bump_reason") or "") if isinstance(other, dict) else ""
            )
    ordered = sorted(found, key=semver, reverse=True)
    return [(name, found[name]) for name in ordered]


def _history_lines(history: Sequence[tuple[str, str]]) -> list[str]:
    shown = history[:HISTORY]
    lines = ["## Recent versions", "", "| version | why this number |", "| --- | --- |"]
    lines += [f"| {name} | {_cell(reason) or '—'} |" for name, reason in shown]
    if len(history) > len(shown):
        lines += [
            "",
            f"{len(history) - len(shown)} older versions: `builder versions` and `CHANGELOG.md`.",
        ]
    return lines


def _limit_lines(facts: Facts) -> list[str]:
    """What a user of the rows should not take for granted, with the counts."""
    lines = [
        "## Known limitations",
        "",
        f"- Teasers: {_share(facts.n_teasers, facts.n_articles)} articles hold only the "
        "teaser of a related-article card (`text_is_teaser`), not a full text; a later "
        "version replaces it when a page with the full text is captured.",
        f"- Truncated dumps: {_share(facts.n_truncated, facts.n_dumps)} dumps end before "
        "the page's closing boilerplate (`dumps.truncated`): the last article of such a "
        "page may be cut short.",
        '- Uncertain times: most pages show relative times ("3 hours ago"), resolved '
        "against the capture time; `published_at_uncertainty_s` says how far "
        f"`published_at` may be off. {_share(facts.n_day_uncertain, facts.n_articles)} "
        f"articles are uncertain by a day or more, {facts.n_no_time:,} have no "
        f"`published_at`, {facts.n_after_capture:,} show a time after their page's capture "
        "(`published_after_capture`: the time is not kept).",
    ]
    if facts.n_mtime:
        lines.append(
            f"- {_count(facts.n_mtime, 'dump')} had no capture time of its own: the file's "
            "modification time was used (`captured_at_source` = `mtime`)."
        )
    lines += [
        f"- Quarantined inputs: {_count(facts.n_quarantined, 'dump')} not parsed; "
        "`dumps.reason` says why. Nothing was taken from them.",
        "- Duplicates are merged by normalised title: two stories with the same title are "
        "one article, and a story retitled later is two.",
        "- Languages are detected from the text (fastText's lid.176 small model): short "
        "teasers can be detected wrongly.",
    ]
    return lines


def _license_lines(dataset: DatasetSettings) -> list[str]:
    if dataset.license_known:
        said = (
            f"License: `{dataset.license}`, as stated by the dataset's maintainers "
            "(`builder.toml`)."
        )
    else:
        said = (
            "License: unknown. Nobody has stated a license for this dataset (set `license` "
            "in `builder.toml`, or `builder make --license`); do not assume one."
        )
    return [
        "## License",
        "",
        said,
        "",
        "The rows hold text written by the publishers named in `source` and `sources`: "
        "check their terms before reusing it.",
    ]


def _citation_lines(dataset: DatasetSettings, version: str) -> list[str]:
    lines = ["## Citation and contact", ""]
    if dataset.citation:
        fence = "bibtex" if dataset.citation.lstrip().startswith("@") else "text"
        lines += [f"```{fence}", dataset.citation, "```", ""]
    else:
        lines += [
            f"No citation given; cite it by name and version: {dataset.title}, version "
            f"{version}. (Set `citation` in `builder.toml`.)",
            "",
        ]
    if dataset.homepage:
        lines.append(f"- Homepage: {dataset.homepage}")
    if dataset.maintainers:
        lines.append(f"- Maintainers: {', '.join(dataset.maintainers)}")
    if not dataset.homepage and not dataset.maintainers:
        lines.append("- No homepage or maintainer given (`builder.toml`).")
    return lines


def _top_level_lines(version: str) -> list[str]:
    return [
        "## Versions",
        "",
        f"This card points at the latest version, {version}. Every version stays under",
        "`versions/<X.Y.Z>/`, unchanged, and loads on its own. What changed between",
        "versions: `CHANGELOG.md`. Versions share their Parquet files: each is stored once",
        "under `data/<table>/`, cut by day (capture day; for articles, the day first seen)",
        "and named by its sha256; a version's card lists the files it is made of.",
    ]


def render_card(
    manifest: Mapping[str, Any],
    stats: Mapping[str, ConfigStats],
    *,
    top_level: bool,
    placed_at: Path,
    release: Path | None = None,
) -> str:
    """The card of the version `manifest` describes, whose folder is (or, while it is
    built, will be) `placed_at`; `release` (the folder being written, `placed_at` by
    default) shows the summary picture and names the report when they are in it."""
    version = str(manifest["version"])
    release = placed_at if release is None else release
    dataset = from_mapping((manifest.get("settings") or {}).get("dataset"))
    files = {
        name: [key.removeprefix(UP) for key in table_files(manifest, name)]
        for name in contract.TABLES
    }
    facts = count_facts(placed_at, manifest)
    prefix = "" if top_level else UP
    metadata = yaml.safe_dump(
        {**hub_metadata(dataset, facts), **_card_metadata(prefix, stats, files)},
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
    here = f"{VERSIONS_DIR}/{version}/" if top_level else ""  # the version's own files

    def has(name: str) -> bool:
        return (release / name).is_file()

    history = version_history(placed_at, manifest)
    older = history[1][0] if len(history) > 1 else None
    rows = {name: s.rows for name, s in stats.items()}
    title = " ".join(dataset.title.split())
    lines = [
        f"# {title} — version {version}",
        "",
        *_picture_lines(
            here + SUMMARY_PICTURE if has(SUMMARY_PICTURE) else None,
            here + REPORT if has(REPORT) else None,
        ),
        (dataset.description or DEFAULT_DESCRIPTION).strip(),
        "",
        *_source_lines(facts),
        "",
        *_built_lines(version, manifest, facts, top_level=top_level),
        "",
        *_load_lines(dataset, version, older, top_level=top_level),
        "",
        *_fields_lines(rows),
        "",
        *VERSION_RULES,
        "",
        *_history_lines(history),
        "",
        *_limit_lines(facts),
        "",
        *_license_lines(dataset),
        "",
        *_citation_lines(dataset, version),
    ]
    if top_level:
        lines += ["", *_top_level_lines(version)]
    return f"---\n{metadata}---\n\n" + "\n".join(lines) + "\n"


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
