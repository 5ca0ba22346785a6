"""Synthetic daily8-style page dumps with ground truth, for tests and benchmarks.

Real dumps cannot be shipped or scaled, so this writes invented ones that follow the
shapes of ``LAYOUTS.md`` (layouts A "logo" and B "plain", hashtag and publisher
listings, glued ``Publisher<time>`` headers, card forms, blank-line variations and a few
text artifacts) and records, for every dump, what a perfect parser should find.

Everything is drawn from one seeded :class:`random.Random`, so the same arguments give
byte-identical files. Article text comes from a bank of invented sentences: sampling
whole sentences instead of words keeps 100,000 dumps within seconds.

Usage::

    python benchmarks/corpus.py OUT_DIR --n 1000 --seed 0 [--mean-size 6000]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["GeneratedDump", "PlacedArticle", "generate_corpus", "main"]


@dataclass(frozen=True)
class PlacedArticle:
    """One article as it appears in one dump, i.e. what a parser should extract.

    ``source`` is what the page shows (``None`` for a layout-B main, which never shows
    its publisher); ``true_source`` is the publisher the article really has, so tests
    can check that merging recovers it from cards seen elsewhere.
    """

    role: str
    title: str
    source: str | None
    time_text: str | None
    category: str | None
    true_source: str


@dataclass(frozen=True)
class GeneratedDump:
    """Ground truth for one generated file, articles in page order."""

    name: str
    layout: str
    page_kind: str
    articles: tuple[PlacedArticle, ...]


# --------------------------------------------------------------------------- vocabulary
# All invented. Publisher names include some ending in a digit (their glued header
# ``Metro243 days ago`` is ambiguous without knowing the name), some starting with one,
# and some ending in "a" (``Rivieraa day ago``). No name is a prefix of another, so the
# truth stays unambiguous for a parser that knows the publisher list.

# fmt: off
PUBLISHERS: tuple[str, ...] = (
    "Harbour Times", "Coastal Post", "Metro24", "9 Channel", "City News", "Valley Herald",
    "Northern Ledger", "Riverside Daily", "Island Wire", "Pine Ridge Gazette",
    "Eastport Mercury", "Bayside Courier", "Westmoor Observer", "Radio 101", "Wire360",
    "News9", "Lakeland Record", "Summit Tribune", "Delta Dispatch", "Old Town Chronicle",
    "Granite Weekly", "Capital Bulletin", "Hillcrest Echo", "Tidewater Journal",
    "Market Street Review", "The Lantern", "Morning Signal", "Evening Standardbearer",
    "Prairie Sentinel", "Southgate Star", "Riviera", "Nova Gazeta", "Cape Register",
    "Union Press", "Orchard Voice", "Ironbridge Times", "Meridian", "Quayside Weekly",
    "Channel 5 Local", "Kestrel Media", "Beacon Online", "Fourways Daily",
    "Silverbay Today", "Northstar Reporter", "Copperfield Citizen", "Glenview Post",
    "Highland Clarion", "Estuary Advocate", "Parkside Monitor", "Stonehaven Globe",
    "Midland Messenger", "Seaview Telegraph", "Crosstown Current", "Twin Rivers Ledger",
    "Radio Coast 88", "Daybreak Asia", "Pacifica", "Inland Examiner", "Bridgewater Notes",
    "Zenith Wire 7",
)

CATEGORIES: tuple[str, ...] = ("Politics", "Business", "Entertainment", "General", "Sport")

TAGS: tuple[str, ...] = (
    "Ferries", "Harbours", "Trams", "FloodDefences", "LocalElections", "Fisheries",
    "CityBudget", "Housing", "Heritage", "SailingCup", "Festivals", "Weather",
)

_TITLE_SUBJECTS = (
    "Council", "Ferry operator", "Port authority", "Harbour board", "Tram company",
    "Fishing cooperative", "Island school", "Heritage society", "Transport board",
    "Lifeboat crew", "Market hall", "River authority", "Health trust", "Museum",
    "Sailing club", "Water company", "Housing agency", "Library service", "Airport",
    "Festival committee", "Weather office", "Cycling group", "Farmers' union",
)
_TITLE_VERBS = (
    "approves", "rejects", "delays", "announces", "opens", "closes", "expands",
    "reviews", "defends", "unveils", "scraps", "funds", "pauses", "wins", "plans",
    "doubles", "cuts", "restores", "moves", "trials",
)
_TITLE_OBJECTS = (
    "night sailings", "a new sea wall", "winter timetable", "fare freeze", "cold store",
    "cycle lanes", "tide gauge upgrade", "flood barrier plan", "quay repairs",
    "park and ride scheme", "museum extension", "rent survey", "bridge closure",
    "summer festival", "beach cleanup", "lighthouse restoration", "tram depot",
    "school meals pilot", "harbour dredging", "bus link", "solar roof", "river towpath",
)
_TITLE_TAILS = (
    "after winter storms", "for the outer islands", "in the old town", "on the north quay",
    "despite local protests", "ahead of the summer", "for a second year",
    "after a long dispute", "in Eastport", "on the river front", "as costs rise",
    "for young learners", "before the election", "after a review", "at the ring road",
)

_FIRST = (
    "Ada", "Bram", "Cora", "Dag", "Elin", "Fenna", "Gus", "Hale", "Ines", "Joss", "Kai",
    "Lior", "Mira", "Nils", "Orla", "Pim", "Quinn", "Rhea", "Sten", "Tova", "Ulla", "Vik",
)
_LAST = (
    "Marsh", "Reyd", "Calloway", "Brandt", "Okafor-Lyle", "Vance", "Holm", "Ferrant",
    "Quist", "Delacourt", "Amsel", "Tarrow", "Kessing", "Lindqvist", "Morrow", "Pell",
)
_PLACES = (
    "Eastport", "Westmoor", "the lower town", "the outer islands", "the north quay",
    "the old town", "Port Avery", "the river front", "Glenview", "the headland",
)
_ROLES = (
    "the harbour master", "a council spokesperson", "the chair of the works committee",
    "one local skipper", "the transport minister", "a union official",
    "the museum's director", "a resident of the lower town", "the project engineer",
)
_ACTIONS = (
    "said the work would start in the spring", "warned that costs could rise further",
    "welcomed the decision after years of delay", "asked for more time to study the plan",
    "promised to publish the full figures next month",
    "said the old arrangements had worked well enough",
    "called for a public meeting before any final vote",
    "confirmed that funding had been agreed with the region",
)
_FACTS = (
    "The project is expected to cost about {n} million over {m} years",
    "More than {n} people signed a petition against the change",
    "The scheme will create around {n} jobs in {place}",
    "Passenger numbers rose by {n} per cent last year",
    "The original plan was drawn up {m} years ago",
    "Around {n} households in {place} will be affected",
    "The service carried {n} thousand passengers in its first season",
)
_LINKS = (
    "Officials said the proposal had the backing of", "The final route was agreed after talks with",
    "Residents pointed to", "The decision followed a letter from",
)
# fmt: on


# -------------------------------------------------------------------------- text pieces


def _sentence_bank(rng: random.Random, size: int) -> list[str]:
    """Invented sentences; drawn whole later so bodies are cheap to assemble."""
    bank: list[str] = []
    for _ in range(size):
        kind = rng.random()
        place = rng.choice(_PLACES)
        if kind < 0.4:
            s = f"{rng.choice(_ROLES).capitalize()} {rng.choice(_ACTIONS)}."
        elif kind < 0.7:
            s = (
                rng.choice(_FACTS).format(n=rng.randint(2, 900), m=rng.randint(2, 12), place=place)
                + "."
            )
        elif kind < 0.85:
            s = (
                f"In {place}, {rng.choice(_ROLES)} {rng.choice(_ACTIONS)}, "
                f"while {rng.choice(_ROLES)} {rng.choice(_ACTIONS)}."
            )
        else:
            s = (
                f"'We have waited long enough,' {rng.choice(_ROLES)} said, "
                f"adding that {place} needed a clear answer."
            )
        bank.append(s[0].upper() + s[1:])
    return bank


def _paragraph(rng: random.Random, bank: list[str]) -> str:
    return " ".join(rng.choices(bank, k=rng.randint(2, 5)))


def _add_artifacts(rng: random.Random, paragraph: str) -> str:
    """Inline-link damage as seen in real bodies (never in titles): the parser's
    repair step is measured against these."""
    roll = rng.random()
    if roll < 0.15 and ", " in paragraph:
        return paragraph.replace(", ", " , ", 1)
    if roll < 0.25:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        return f"{paragraph} {rng.choice(_LINKS)}\n{name}\n's office, officials said."
    return paragraph


def _time_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.04:
        return "a few seconds ago"
    if roll < 0.08:
        return "a minute ago"
    if roll < 0.25:
        return f"{rng.randint(2, 59)} minutes ago"
    if roll < 0.32:
        return "an hour ago"
    if roll < 0.60:
        return f"{rng.randint(2, 23)} hours ago"
    if roll < 0.68:
        return "a day ago"
    if roll < 0.85:
        return f"{rng.randint(2, 6)} days ago"
    return f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.choice((2024, 2025))}"


def _zipf_cum_weights(n: int, s: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1.0 / (r + 1) ** s for r in range(n)))


# ----------------------------------------------------------------------------- articles


@dataclass
class _Article:
    title: str
    publisher: str
    body: list[str] = field(default_factory=list)  # main only; [] = title-only page
    teaser: str = ""  # card only


class _Titles:
    """Unique titles: collisions get a number, so truth never has two articles that
    share publisher and title by accident."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: dict[str, int] = {}

    def new(self) -> str:
        rng = self._rng
        base = (
            f"{rng.choice(_TITLE_SUBJECTS)} {rng.choice(_TITLE_VERBS)} "
            f"{rng.choice(_TITLE_OBJECTS)} {rng.choice(_TITLE_TAILS)}"
        )
        n = self._seen.get(base, 0) + 1
        self._seen[base] = n
        return base if n == 1 else f"{base}, part {n}"


def _teaser(rng: random.Random, bank: list[str], length: int) -> str:
    sentences: list[str] = []
    size = 0
    while size < length:
        sentence = rng.choice(bank)
        sentences.append(sentence)
        size += len(sentence) + 1
    return " ".join(sentences)


def _body(rng: random.Random, bank: list[str], target: int) -> list[str]:
    paragraphs: list[str] = []
    size = 0
    while size < target or not paragraphs:
        p = _add_artifacts(rng, _paragraph(rng, bank))
        paragraphs.append(p)
        size += len(p.encode()) + 1
    return paragraphs


# ---------------------------------------------------------------------------- rendering

_BOILERPLATE = (
    "Try Our AI Features",
    "Explore what Daily8 AI can do for you:",
    "Comments",
    "No comments yet...",
    "Related Articles",
)


def _logo_card(title: str, source: str, time: str, category: str | None, teaser: str) -> str:
    bullets = f"  • {category}\n" if category else ""
    return (
        f"{title}\n{title}\n\n{source}\n\ntime{time}\n\n{bullets}  • {source}\n\n"
        f"{title}\n\n{teaser}\n"
    )


def _plain_card(title: str, source: str, time: str, category: str | None, teaser: str) -> str:
    cat = f"- {category}\n" if category else ""
    return f"{source}\n{time}\n{cat}- {source}\n{title}\n{teaser}\n"


def _plain_gap(rng: random.Random) -> str:
    roll = rng.random()
    return "\n\n" if roll < 0.8 else ("\n" if roll < 0.9 else "")


def _render_cards(
    rng: random.Random, layout: str, cards: list[tuple[_Article, str, str | None]]
) -> str:
    parts: list[str] = []
    for i, (art, time, cat) in enumerate(cards):
        if layout == "logo":
            if i:
                parts.append("\n")
            parts.append(_logo_card(art.title, art.publisher, time, cat, art.teaser))
        else:
            parts.append(_plain_gap(rng))
            parts.append(_plain_card(art.title, art.publisher, time, cat, art.teaser))
    return "".join(parts)


# ---------------------------------------------------------------------------- generator


def generate_corpus(
    out_dir: Path,
    n_dumps: int,
    *,
    seed: int = 0,
    mean_size: int = 6000,
    listing_share: float = 0.1,
) -> list[GeneratedDump]:
    """Write ``n_dumps`` dumps plus ``truth.json`` to ``out_dir`` and return the truth.

    Cards are drawn with a Zipf-like popularity so a few recur in a large share of the
    dumps (the merge step's hot keys), and about 10% of main articles are also cards
    elsewhere: that is the only way a layout-B main gets its publisher.
    """
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bank = _sentence_bank(rng, 3000)
    titles = _Titles(rng)
    teaser_mean = max(150, min(1500, int(mean_size * 0.08)))

    def teaser_len() -> int:
        return int(teaser_mean * rng.uniform(0.5, 1.5))

    # Page plan first: mains must exist before the card pool, since some are cards too.
    plans: list[tuple[str, str]] = []  # (page_kind, layout)
    for _ in range(n_dumps):
        kind = "listing" if rng.random() < listing_share else "article"
        plans.append((kind, "logo" if rng.random() < 0.5 else "plain"))

    mains: dict[int, _Article] = {}
    pool: list[_Article] = []
    for i, (kind, layout) in enumerate(plans):
        if kind != "article":
            continue
        art = _Article(titles.new(), rng.choice(PUBLISHERS))
        if not (layout == "plain" and rng.random() < 0.03):  # title-only pages
            # Only the opening now (it is the teaser when the main is also a card);
            # the rest is added at render time, sized to the page.
            art.body = _body(rng, bank, teaser_mean)
        mains[i] = art
        if art.body and rng.random() < 0.12:
            art.teaser = _teaser_from_body(art.body, teaser_len())
            pool.append(art)
    n_card_only = max(30, n_dumps // 2)
    for _ in range(n_card_only):
        art = _Article(titles.new(), rng.choice(PUBLISHERS))
        art.teaser = _teaser(rng, bank, teaser_len())
        pool.append(art)
    rng.shuffle(pool)  # mains-as-cards land at random popularity ranks
    cum = _zipf_cum_weights(len(pool))
    by_publisher: dict[str, list[int]] = {}
    for idx, art in enumerate(pool):
        by_publisher.setdefault(art.publisher, []).append(idx)

    # Article pages are sized so that, with the (smaller) listing pages, the corpus
    # mean lands on mean_size; listing sizes are learnt as they are written.
    sigma = 0.35
    listing_bytes, listing_count = 6 * (teaser_mean + 200), 1
    truth: list[GeneratedDump] = []
    width = max(6, len(str(n_dumps - 1)))
    for i, (kind, layout) in enumerate(plans):
        name = f"{i:0{width}d}.txt"
        main = mains.get(i)
        if main is not None:
            listing_mean = listing_bytes / listing_count
            article_mean = (mean_size - listing_share * listing_mean) / (1 - listing_share)
            mu = math.log(max(article_mean, 500.0)) - sigma * sigma / 2
            target = int(rng.lognormvariate(mu, sigma))
            cards = _draw_cards(rng, pool, cum, rng.randint(2, 6), exclude=main)
            text, placed = _article_page(rng, bank, layout, main, cards, target)
        else:
            text, placed = _listing_page(rng, layout, pool, cum, by_publisher)
        data = text.encode("utf-8")
        if main is None:
            listing_bytes += len(data)
            listing_count += 1
        (out_dir / name).write_bytes(data)
        truth.append(GeneratedDump(name, layout, kind, tuple(placed)))

    (out_dir / "truth.json").write_text(_truth_json(truth), encoding="utf-8")
    return truth


def _truth_json(truth: list[GeneratedDump]) -> str:
    """One dump per line: diffable, and json's C encoder (no indent) keeps 100k fast."""
    rows = []
    for d in truth:
        row = {
            "name": d.name,
            "layout": d.layout,
            "page_kind": d.page_kind,
            "articles": [a.__dict__ for a in d.articles],
        }
        rows.append(json.dumps(row, ensure_ascii=False))
    return "[\n" + ",\n".join(rows) + "\n]\n"


def _teaser_from_body(body: list[str], length: int) -> str:
    """A card shows the body's opening, paragraphs joined on one line, as real
    teasers do; repairs stay in it so card and main disagree like in real dumps."""
    joined = " ".join(p.replace("\n", " ") for p in body)
    if len(joined) <= length:
        return joined
    cut = joined.rfind(" ", 0, length)
    return joined[: cut if cut > 0 else length]


def _draw_cards(
    rng: random.Random,
    pool: list[_Article],
    cum: list[float],
    k: int,
    *,
    exclude: _Article | None = None,
    candidates: list[int] | None = None,
) -> list[_Article]:
    """k distinct Zipf-popular cards, never the page's own main."""
    if candidates is not None:
        weights = _zipf_weights_for(candidates)
        k = min(k, len(candidates))
    chosen: list[_Article] = []
    seen: set[int] = set()
    total = cum[-1]
    attempts = 0
    while len(chosen) < k and attempts < 50 * k:
        attempts += 1
        if candidates is None:
            idx = bisect.bisect_left(cum, rng.random() * total)
            idx = min(idx, len(pool) - 1)
        else:
            idx = rng.choices(candidates, cum_weights=weights)[0]
        art = pool[idx]
        if idx in seen or art is exclude:
            continue
        seen.add(idx)
        chosen.append(art)
    return chosen


def _zipf_weights_for(candidates: list[int]) -> list[float]:
    """Cumulative weights of a subset, keeping each item's global popularity."""
    return list(itertools.accumulate(1.0 / (idx + 1) for idx in candidates))


def _article_page(
    rng: random.Random,
    bank: list[str],
    layout: str,
    main: _Article,
    cards: list[_Article],
    target: int,
) -> tuple[str, list[PlacedArticle]]:
    placed_cards = [(art, _time_text(rng), None) for art in cards]
    shows_source = layout == "logo" and rng.random() >= 0.1
    main_time = _time_text(rng) if shows_source else None
    placed = [
        PlacedArticle(
            "main",
            main.title,
            main.publisher if shows_source else None,
            main_time,
            None,
            main.publisher,
        )
    ]
    placed += [
        PlacedArticle("related", a.title, a.publisher, t, c, a.publisher)
        for a, t, c in placed_cards
    ]
    if layout == "logo":
        second = main.title + (" " if rng.random() < 0.05 else "")
        header = f"{main.publisher}{main_time}\n" if shows_source else ""
        if header and rng.random() < 0.2:
            header += "\n"
        head = f"logo\n{main.title}\n\n{second}\n\n{header}"
        tail = "Orange background\n\n" + "\n\n".join(_BOILERPLATE) + "\n\n"
    else:
        lead = "\n" if rng.random() < 0.7 else ""
        head = f"{lead}{main.title}\n"
        tail = "Hashtags\n\n" if rng.random() < 0.7 else "\n"
        tail += "\n".join(_BOILERPLATE) + "\n"
    tail += _render_cards(rng, layout, placed_cards)
    body = "".join(p + "\n" for p in main.body)
    missing = target - len(head.encode()) - len(body.encode()) - len(tail.encode())
    if main.body and missing > 0:
        more = _body(rng, bank, missing - 150)  # _body overshoots by ~half a paragraph
        main.body.extend(more)
        body += "".join(p + "\n" for p in more)
    return head + body + tail, placed


def _listing_page(
    rng: random.Random,
    layout: str,
    pool: list[_Article],
    cum: list[float],
    by_publisher: dict[str, list[int]],
) -> tuple[str, list[PlacedArticle]]:
    k = rng.randint(3, 8)
    if layout == "logo" and rng.random() < 0.3:
        publisher = pool[bisect.bisect_left(cum, rng.random() * cum[-1])].publisher
        cards = _draw_cards(rng, pool, cum, k, candidates=by_publisher[publisher])
        head = f"logo\n\nLatest from {publisher}\n\n"
    else:
        cards = _draw_cards(rng, pool, cum, k)
        tag = rng.choice(TAGS)
        head = (
            f"logo\n#\n\nLatest news with #{tag}\n\n"
            if layout == "logo"
            else (f"Latest news with #{tag}\n")
        )
    placed_cards = [
        (art, _time_text(rng), rng.choice(CATEGORIES) if rng.random() < 0.3 else None)
        for art in cards
    ]
    placed = [
        PlacedArticle("related", a.title, a.publisher, t, c, a.publisher)
        for a, t, c in placed_cards
    ]
    return head + _render_cards(rng, layout, placed_cards), placed


# --------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point; prints a one-line summary for benchmark logs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=1000, help="number of dumps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mean-size", type=int, default=6000, help="mean dump size, bytes")
    parser.add_argument("--listing-share", type=float, default=0.1)
    args = parser.parse_args(argv)
    truth = generate_corpus(
        args.out_dir,
        args.n,
        seed=args.seed,
        mean_size=args.mean_size,
        listing_share=args.listing_share,
    )
    total = sum((args.out_dir / d.name).stat().st_size for d in truth)
    print(f"wrote {len(truth)} dumps, {total} bytes, to {args.out_dir}")


if __name__ == "__main__":
    main()
