"""Page dumps written for the tests, in the two article layouts of the aggregator.

All titles, publishers and text here are invented. Layout B ("plain") shows its main
article without a publisher; layout A ("logo") names it on a glued `Publisher3 hours
ago` line. Both end with cards of related articles that name their publishers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_BOILERPLATE = [
    "Try Our AI Features",
    "Explore what Daily8 AI can do for you:",
    "Comments",
    "No comments yet...",
    "Related Articles",
]


@dataclass(frozen=True)
class Card:
    title: str
    publisher: str
    teaser: str
    ago: str = "5 hours ago"


def body(topic: str) -> list[str]:
    """A few sentences long enough to be a full article's text."""
    return [
        f"Officials said on Monday that the plan for {topic} would go ahead this year, "
        "after a long consultation with residents and local businesses.",
        f"The work on {topic} is expected to take several months, and a public meeting "
        "will be held next week to explain the timetable and the costs involved.",
        "Residents welcomed the news but asked for more detail on how the work would "
        "affect traffic and parking during the busiest weeks of the summer season.",
    ]


def plain_page(title: str, text: Sequence[str], cards: Sequence[Card]) -> str:
    """Layout B: the main article shows no publisher."""
    lines = ["", title, *text, "Hashtags", "", *_BOILERPLATE, "", ""]
    for card in cards:
        lines += [
            card.publisher,
            card.ago,
            f"- {card.publisher}",
            card.title,
            card.teaser,
            "",
        ]
    return "\n".join(lines) + "\n"


def logo_page(
    title: str, publisher: str, text: Sequence[str], cards: Sequence[Card], ago: str = "3 hours ago"
) -> str:
    """Layout A: the main article names its publisher on a glued header line."""
    lines = ["logo", title, "", title, "", f"{publisher}{ago}", *text, "Orange background", ""]
    for line in _BOILERPLATE:
        lines += [line, ""]
    for card in cards:
        lines += [
            card.title,
            card.title,
            "",
            card.publisher,
            "",
            f"time{card.ago}",
            "",
            f"  • {card.publisher}",
            "",
            card.title,
            "",
            card.teaser,
            "",
        ]
    return "\n".join(lines) + "\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def day(folder: Path, n: int) -> list[Path]:
    """Day `n`'s dumps: a new main article of each layout, cards of the previous day's
    stories (as related-article rails show recent ones) and one evergreen card."""
    evergreen = Card("Guide to the island ferry timetable", "Island Wire", "All crossings...")
    recent = [
        Card(f"Harbour story number {n - 1}", "Harbour Times", "Yesterday's harbour news..."),
        Card(f"Market story number {n - 1}", "Coastal Post", "Yesterday's market news..."),
    ]
    cards = [*recent, evergreen] if n > 1 else [evergreen]
    return [
        write(
            folder,
            f"day{n:02d}-a.txt",
            logo_page(f"Harbour story number {n}", "Harbour Times", body(f"harbour {n}"), cards),
        ),
        write(
            folder,
            f"day{n:02d}-b.txt",
            plain_page(f"Market story number {n}", body(f"market {n}"), cards),
        ),
    ]
