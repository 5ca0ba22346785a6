"""Small, realistic example rows for the three tables, shared by the tests.

Two parsed dumps and one quarantined JSON Lines record: an article page (main story
plus one related card) and a listing page (two cards, one of them the same related
article seen again). Ids are computed with the real id functions, so they are
consistent across tables and match the patterns of the contract.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa

from builder import PARSER_VERSION, __version__
from builder.contract import to_arrow
from builder.records import (
    Article,
    Dump,
    Provenance,
    Repair,
    Sighting,
    article_id_for,
    dump_id_for,
)

CET = timezone(timedelta(hours=1))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


PAGE_1 = "pages/2025-03-14/front.txt"
PAGE_2 = "pages/2025-03-14/business.txt"
BAD_RECORD = "export/crawl.jsonl#L7"
SHA_1, SHA_2, SHA_3 = _sha("page one"), _sha("page two"), _sha('{"url": broken')
DUMP_1, DUMP_2, DUMP_3 = (
    dump_id_for(PAGE_1, SHA_1),
    dump_id_for(PAGE_2, SHA_2),
    dump_id_for(BAD_RECORD, SHA_3),
)
CAPTURED_1 = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
# Given in CET on purpose: the table stores the same instant in UTC.
CAPTURED_2 = datetime(2025, 3, 14, 11, 5, 12, 250_000, tzinfo=CET)
CAPTURED_3 = datetime(2025, 3, 15, 0, 0, tzinfo=UTC)

TITLE_A = "Central bank holds rates as inflation cools"
TITLE_B = "Port strike enters its third week"
TITLE_C = "Chip maker opens plant in Dresden"
SOURCE_A, SOURCE_B, SOURCE_C = "Daily Ledger", "Harbour Times", None


def dumps() -> list[Dump]:
    return [
        Dump(DUMP_1, PAGE_1, "https://news.example/story/1", SHA_1, 18_204, CAPTURED_1,
             "option", "article", "classic-en", "parsed", None, 2, False, "utf-8"),
        Dump(DUMP_2, PAGE_2, None, SHA_2, 9_870, CAPTURED_2,
             "record", "listing", "classic-en", "parsed", None, 2, True, "windows-1252", 3),
        Dump(DUMP_3, BAD_RECORD, None, SHA_3, 15, CAPTURED_3,
             "mtime", None, None, "quarantined", "invalid JSON record: Expecting value",
             0, False, None),
    ]  # fmt: skip


REPAIRS_A = (
    Repair("join_lines", 14, "joined 2 lines of a wrapped paragraph"),
    Repair("space_before_punctuation", 16, "removed space before ','"),
)


def sightings() -> list[Sighting]:
    published_a = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)
    return [
        Sighting(DUMP_1, 0, "main", TITLE_A, SOURCE_A, "Economy", "1 hour ago", published_a,
                 3600, "The central bank left its key rate unchanged on Friday, citing ...",
                 False, 10, 24, 512, 1_873, REPAIRS_A),
        Sighting(DUMP_1, 1, "related", TITLE_B, SOURCE_B, None, "Yesterday",
                 datetime(2025, 3, 13, 0, 0, tzinfo=UTC), 86_400,
                 "Dock workers walked out again ...", True, 30, 33, 2_001, 2_034),
        Sighting(DUMP_2, 0, "related", TITLE_B, SOURCE_B, "Business", "13 Mar 2025",
                 datetime(2025, 3, 13, 0, 0, tzinfo=UTC), 86_400, None, True, 5, 7, None, None),
        Sighting(DUMP_2, 1, "related", TITLE_C, SOURCE_C, "Business", None, None, None,
                 "The plant will employ 2,000 people ...", True, 8, 11, 310, 349),
    ]  # fmt: skip


def _provenance(s: Sighting, dump: Dump) -> Provenance:
    return Provenance(
        dump_id=dump.dump_id,
        dump_path=dump.path,
        dump_sha256=dump.sha256,
        position=s.position,
        line_start=s.line_start,
        line_end=s.line_end,
        text_byte_start=s.text_byte_start,
        text_byte_end=s.text_byte_end,
        captured_at=dump.captured_at,
        captured_at_source=dump.captured_at_source,
        layout=dump.layout or "",
        parser_version=PARSER_VERSION,
        builder_version=__version__,
        repairs=s.repairs,
    )


def articles() -> list[Article]:
    d1, d2, _ = dumps()
    s_a, s_b1, _, s_c = sightings()
    return [
        Article(article_id_for(TITLE_A), "main", TITLE_A, s_a.text, False, SOURCE_A,
                (SOURCE_A,), "Economy", s_a.published_text, s_a.published_at, 3600, "en",
                "https://news.example/story/1", CAPTURED_1, _provenance(s_a, d1)),
        Article(article_id_for(TITLE_B), "related", TITLE_B, s_b1.text, True,
                SOURCE_B, (SOURCE_B,), "Business", "Yesterday", s_b1.published_at, 86_400,
                "en", None, CAPTURED_1, _provenance(s_b1, d1)),
        Article(article_id_for(TITLE_C), "related", TITLE_C, s_c.text, True,
                SOURCE_C, (), "Business", None, None, None, None, None, CAPTURED_2,
                _provenance(s_c, d2)),
    ]  # fmt: skip


def example_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows as the pipeline hands them over: `asdict` plus ids, extra keys included."""
    sighting_rows = [
        asdict(s)
        | {
            "sighting_id": s.sighting_id,
            "article_id": article_id_for(s.title),
            "has_text": s.text is not None,
        }
        for s in sightings()
    ]
    return {
        "articles": [asdict(a) for a in articles()],
        "sightings": sighting_rows,
        "dumps": [asdict(d) for d in dumps()],
    }


def example_tables() -> dict[str, pa.Table]:
    """The three contract tables: 3 articles, 4 sightings, 3 dumps (one quarantined)."""
    return {name: to_arrow(name, rows) for name, rows in example_rows().items()}
