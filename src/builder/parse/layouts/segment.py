"""Apply the layout entries to one decoded dump: find the main article and the cards.

The segmenter knows the shape every site shares (an optional main article, a block of
boilerplate, then cards); what the lines look like comes from the layout entries.
It never raises on odd input: what does not fit is counted, not guessed at. Nor is a
page guessed: a text is a page only on positive evidence (a site marker, the logo
prelude, a listing heading, cards, or for a dump cut before all of them a headline
followed by prose, see `builder.parse.evidence`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import Literal

from builder.parse.evidence import SAMPLE_LINES, article_hint, skip_leading_fragments
from builder.parse.layouts.registry import Form, Layout, load_layouts
from builder.records import Repair, normalise_key

#: A first line longer than this is prose, not a title: such a page is no known layout.
MAX_TITLE_CHARS = 400

_HTML = re.compile(r"\A\s*(?:<!doctype|<html|<head|<body|<\?xml|<div|<meta|<script)", re.I)
_BLANK_RUN = re.compile(r"(?:[ \t\u00a0]*\n)*")


@dataclass(frozen=True)
class Block:
    """One article as laid out on the page, before repairs."""

    role: Literal["main", "related"]
    title: str
    source: str | None
    category: str | None
    time_text: str | None
    body: tuple[tuple[int, str], ...]  # (line number, raw line) of the text, in order
    line_start: int
    line_end: int
    #: Other readings of a glued `Source3 hours ago` line, for the merge to settle with
    #: the publisher names of the whole corpus.
    glued_alternatives: tuple[tuple[str, str], ...] = ()
    #: Changes made before the text was split (an image-URL fragment above the title
    #: blanked), recorded with the article's own repairs.
    repairs: tuple[Repair, ...] = ()


@dataclass(frozen=True)
class Page:
    layout: Layout
    form: str
    kind: Literal["article", "listing"]
    blocks: tuple[Block, ...]
    truncated: bool
    unparsed_lines: int

    @property
    def layout_name(self) -> str:
        return self.layout.name(self.form)


@dataclass(frozen=True)
class Rejected:
    reason: str


class _Lines:
    """Maps character offsets to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def of(self, pos: int) -> int:
        return bisect_right(self.starts, pos)


def choose_layout(text: str, layouts: tuple[Layout, ...]) -> tuple[Layout, int]:
    """The layout whose localised marker lines the page shows most; the default on ties."""
    lines = {line.strip() for line in text.split("\n") if len(line) < 200}
    best, best_score = layouts[0], -1
    for layout in layouts:
        score = len(layout.markers & lines)
        if score > best_score:
            best, best_score = layout, score
    return best, best_score


def glued_splits(line: str, layout: Layout) -> list[tuple[str, str]]:
    """Every way to read `Harbour Times3 hours ago` as publisher + time text.

    The first split has the longest valid time text (`Times12 hours ago` is `Times` +
    `12 hours ago`); publisher names ending in digits make others possible
    (`Radio 1015 hours ago`), which only a known publisher name settles.
    """
    splits = []
    for k in range(1, min(len(line), 120)):
        head, tail = line[:k], line[k:]
        if not head.strip() or not layout.time_re.fullmatch(tail):
            continue
        if head[-1].isspace():
            return []  # "The strike began 13 days ago": prose with a time, not glued
        splits.append((head.strip(), tail))
    return splits


def split_glued(line: str, layout: Layout, known: set[str]) -> tuple[str, str] | None:
    """The split whose publisher is known (a card source on the same page), else the first."""
    splits = glued_splits(line, layout)
    return next(
        (sp for sp in splits if normalise_key(sp[0]) in known), splits[0] if splits else None
    )


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.split()) == " ".join(b.split())


def _cards(text: str, pos: int, form: Form, lines: _Lines) -> tuple[list[Block], int, bool]:
    """Parse cards from `pos` on. Returns the cards, unparsed lines, and whether cut."""
    cards: list[Block] = []
    unparsed = 0
    truncated = False
    n = len(text)
    while True:
        pos = _BLANK_RUN.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            break
        m = form.card.match(text, pos)
        if m is None:
            nl = text.find("\n", pos)
            unparsed += 1
            if nl == -1:
                truncated = True  # a last line that is not a whole card: the dump was cut
                break
            pos = nl + 1
            continue
        end = m.end()
        body_group: str | None = "text"
        for name in form.same:
            value = m.group(name)
            if value is not None and not _same(value, m.group("title")):
                # A repeated title that differs was cut by the end of the dump, or the
                # card lacks its tail: the card ends before it.
                end = m.start(name)
                truncated = truncated or m.end(name) == n
                body_group = None
                break
        body: tuple[tuple[int, str], ...] = ()
        if body_group and m.group(body_group) and m.group(body_group).strip():
            body = ((lines.of(m.start(body_group)), m.group(body_group)),)
        elif m.end() == n:
            truncated = True
        cards.append(
            Block(
                role="related",
                title=m.group("title").strip(),
                source=m.group("source").strip(),
                category=(m.group("category") or "").strip() or None,
                time_text=m.group("time").strip(),
                body=body,
                line_start=lines.of(m.start()),
                line_end=lines.of(max(m.start(), end - 1)),
            )
        )
        pos = end
    return cards, unparsed, truncated


def _article(text: str, m: re.Match[str], form: Form, layout: Layout, lines: _Lines) -> Page:
    end_re = re.compile(
        "^(?:" + "|".join(re.escape(s) for s in sorted(layout.article_end)) + r")[ \t]*$", re.M
    )
    related_re = re.compile("^" + re.escape(layout.related) + r"[ \t]*$", re.M)
    known_split = None
    body_start = m.end()
    if m.groupdict().get("time"):
        known_split = glued_splits(m.group("source") + m.group("time"), layout)
        if not known_split:  # the line only looked glued: it is the body's first line
            body_start = m.start("source")
    end = end_re.search(text, body_start)
    body_end = end.start() if end else len(text)
    body = tuple(
        (lines.of(body_start) + i, line)
        for i, line in enumerate(text[body_start:body_end].split("\n"))
        if line.strip()
    )
    cards: list[Block] = []
    unparsed, truncated = 0, end is None
    if end is not None:
        related = related_re.search(text, end.start())
        if related is None:
            truncated = True
        else:
            between = text[end.start() : related.start()].split("\n")
            unparsed += sum(1 for s in between if s.strip() and s.strip() not in layout.boilerplate)
            cards, more, cut = _cards(text, related.end(), form, lines)
            unparsed, truncated = unparsed + more, cut
    known = {normalise_key(c.source) for c in cards if c.source}
    source, time_text = None, None
    alternatives: tuple[tuple[str, str], ...] = ()
    if known_split:
        glued = m.group("source") + m.group("time")
        split = split_glued(glued, layout, known)
        if split is not None:
            source, time_text = split
            if normalise_key(source) not in known:
                alternatives = tuple(sp for sp in glued_splits(glued, layout) if sp != split)
    title_line = lines.of(m.start("title"))
    main = Block(
        role="main",
        title=m.group("title").strip(),
        source=source,
        category=None,
        time_text=time_text,
        body=body,
        line_start=title_line,
        line_end=body[-1][0] if body else lines.of(max(m.start("title"), body_start - 1)),
        glued_alternatives=alternatives,
    )
    return Page(layout, form.name, "article", (main, *cards), truncated, unparsed)


def _has_site_marker(text: str, layout: Layout) -> bool:
    return any(line.strip() in layout.site_markers for line in text.split("\n") if len(line) < 200)


def segment(text: str, layouts: tuple[Layout, ...] | None = None) -> Page | Rejected:
    """Find the page's layout and split it into a main article and related cards."""
    layouts = layouts or load_layouts()
    if _HTML.match(text):
        return Rejected("no known layout: the dump is an HTML document, not a page's text")
    layout, score = choose_layout(text, layouts)
    text, skipped = skip_leading_fragments(text, layout.reserved)
    lines = _Lines(text)
    for form in layout.forms:
        listing = form.listing.match(text)
        if listing is not None:
            cards, unparsed, truncated = _cards(text, listing.end(), form, lines)
            if cards:
                page = Page(layout, form.name, "listing", tuple(cards), truncated, unparsed)
                return _with_repairs(page, skipped)
        article = form.article.match(text)
        if article is None:
            continue
        if "title2" in article.groupdict() and not _same(article["title"], article["title2"]):
            continue
        if len(article["title"]) > MAX_TITLE_CHARS or article["title"].strip() in layout.reserved:
            continue  # "logo" is no title: a logo page cut inside its second title
        page = _article(text, article, form, layout, lines)
        evident = (
            form.shape_is_evidence
            or listing is not None  # a listing heading without cards
            or (score > 0 and _has_site_marker(text, layout))
        )
        if not evident:
            # Nothing of the site shows: a dump cut before its markers, or not a page.
            main = page.blocks[0]
            hint = article_hint(main.title, [line for _, line in main.body[:SAMPLE_LINES]])
            if hint is not None:
                return Rejected(f"no known layout: {hint}")
        return _with_repairs(page, skipped)
    return Rejected("no known layout: the first line is not a title and no site marker matched")


def _with_repairs(page: Page, repairs: tuple[Repair, ...]) -> Page:
    """Record what was changed before splitting with the page's first article."""
    if not repairs:
        return page
    first = page.blocks[0]
    first = replace(first, repairs=(*repairs, *first.repairs))
    return replace(page, blocks=(first, *page.blocks[1:]))
