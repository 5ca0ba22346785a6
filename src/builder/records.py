"""The records that flow through the pipeline, and the ids that name them.

Ids are derived from content, never from row order or absolute paths, so that the
same inputs give the same ids in every build, on every machine.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Literal

Role = Literal["main", "related"]
PageKind = Literal["article", "listing"]
Status = Literal["parsed", "quarantined"]
CapturedAtSource = Literal["record", "option", "mtime"]


def _h16(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def dump_id_for(path: str, sha256: str) -> str:
    """A dump is its bytes at its recorded path: the same file copied twice is two inputs."""
    return "d_" + _h16(f"{path}\n{sha256}")


def sighting_id_for(dump_id: str, position: int) -> str:
    return f"{dump_id}-{position:04d}"


_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."})


@lru_cache(maxsize=1 << 14)
def normalise_key(text: str) -> str:
    """The form of a title or publisher used for identity.

    Pages render the same title with curly or straight quotes and varying spaces;
    those differences must not split one article into two. Cached (a few MB at most):
    hot titles and publishers recur on most pages, and routing, ids and publisher
    sets each ask for the same key.
    """
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():  # ASCII holds none of the _QUOTES (isascii is a flag read)
        text = text.translate(_QUOTES)
    # Runs of whitespace as one space, none at the ends: str.split and the regex's \s
    # both take whitespace as str.isspace does (a test holds them to it); split is ~4x
    # faster than re.sub(r"\s+", " ", text).strip(), and this runs once per distinct title.
    return " ".join(text.split()).casefold()


@lru_cache(maxsize=1 << 14)
def article_id_for(title: str) -> str:
    """Stable id from the normalised title alone: an article is its story.

    Fixed the first time a title is seen; a publisher, a full text or another sighting
    arriving later adds to the row's attributes (`source`, `sources`, counts) and never
    changes its id, so a diff between versions never shows a re-keyed row as removed
    and added.

    Cached like `normalise_key`: the contract check of each dump and the merge both ask
    for the id of every sighting, and hot titles recur on most pages.
    """
    return "a_" + _h16(normalise_key(title))


@dataclass(frozen=True)
class Repair:
    """One change made to article text, so that every row says what was altered."""

    kind: str  # join_lines | space_before_punctuation | ... | drop_junk_line | drop_furniture_*
    line: int  # 1-based line of the decoded dump where it happened
    detail: str


@dataclass(frozen=True)
class RawDump:
    """One input as found by `sources`: its bytes and where and when it was captured."""

    path: str  # as recorded in `dumps.path`
    data: bytes
    captured_at: datetime
    captured_at_source: CapturedAtSource
    url: str | None = None
    #: Set when the input could not be turned into bytes of one page (unreadable
    #: file, bad JSON Lines record, ...): the dump is quarantined with this reason.
    error: str | None = None
    encoding_hint: str | None = None  # "utf-8" when a JSON record gave us text already

    @cached_property
    def sha256(self) -> str:
        """The bytes' sha256, computed once per dump: the parse (the dumps row, its id)
        and the cache key (builder.release.cache) both need it."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class SourceSplit:
    """Another reading of a glued `Source3 hours ago` line (see merge)."""

    source: str
    published_text: str
    published_at: datetime | None
    published_at_uncertainty_s: int | None
    #: The time text read as a time after the capture: published_at is then None.
    published_after_capture: bool = False


@dataclass(frozen=True)
class Sighting:
    """One article as it appeared in one dump, before merging across dumps."""

    dump_id: str
    position: int
    role: Role
    title: str
    source: str | None
    category: str | None
    published_text: str | None
    published_at: datetime | None
    published_at_uncertainty_s: int | None
    text: str | None
    text_is_teaser: bool
    line_start: int  # first line of the whole card / article, 1-based
    line_end: int  # last line, inclusive
    #: The kept text's first and last byte (inclusive) in the dump's own bytes (see
    #: parse/spans.py); None without text, or if the bytes cannot be aligned.
    text_byte_start: int | None
    text_byte_end: int | None
    repairs: tuple[Repair, ...] = ()
    #: Set when the publisher came from an ambiguous glued line: the other readings.
    source_alternatives: tuple[SourceSplit, ...] = ()
    #: Language of a main article's title and text, detected in the per-dump stage so
    #: that it runs in parallel and is cached with the dump; None for cards (the merge
    #: detects those that speak for an article).
    language: str | None = None
    #: `published_text` read as a time after the dump's capture: impossible, so it is
    #: not kept as a fact (published_at and its uncertainty are None, the text stays).
    published_after_capture: bool = False

    @property
    def sighting_id(self) -> str:
        return sighting_id_for(self.dump_id, self.position)


@dataclass(frozen=True)
class Dump:
    """One input, parsed or quarantined: inputs = parsed + quarantined, always."""

    dump_id: str
    path: str
    url: str | None
    sha256: str
    size_bytes: int
    captured_at: datetime
    captured_at_source: CapturedAtSource
    page_kind: PageKind | None
    layout: str | None
    status: Status
    reason: str | None
    n_sightings: int
    truncated: bool
    encoding: str | None
    #: NUL bytes dropped while decoding: the text differs from the file by these.
    replaced_bytes: int = 0


@dataclass(frozen=True)
class DumpResult:
    """What the per-dump stage returns: a pure function of one RawDump."""

    dump: Dump
    sightings: tuple[Sighting, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Provenance:
    dump_id: str
    dump_path: str
    dump_sha256: str
    position: int
    line_start: int
    line_end: int
    text_byte_start: int | None
    text_byte_end: int | None
    captured_at: datetime
    captured_at_source: CapturedAtSource
    layout: str
    parser_version: str
    builder_version: str
    repairs: tuple[Repair, ...]


@dataclass(frozen=True)
class Article:
    """One unique article after merging all its sightings.

    It holds no count of its sightings: a count changes whenever the article is seen
    again, and a row that changes with every sighting makes each daily append rewrite
    the stored files of every article it saw again. The count is the number of
    `sightings` rows with the article's id."""

    article_id: str
    role: Role
    title: str
    text: str | None
    text_is_teaser: bool
    source: str | None
    #: Every distinct publisher its sightings showed, sorted (empty: none showed one).
    sources: tuple[str, ...]
    category: str | None
    published_text: str | None
    published_at: datetime | None
    published_at_uncertainty_s: int | None
    language: str | None
    url: str | None
    first_seen_at: datetime
    provenance: Provenance
    #: See Sighting.published_after_capture (of the sighting that gave the time).
    published_after_capture: bool = False


@dataclass(frozen=True)
class Merged:
    """The three tables, each sorted by its key so that builds are byte-identical."""

    articles: list[Article]
    sightings: list[tuple[str, Sighting]]  # (article_id, sighting)
    dumps: list[Dump]
