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
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from builder.parse.evidence import SAMPLE_LINES, article_hint, skip_leading_fragments
from builder.parse.layouts.registry import Form, Layout, MarkerLines, load_layouts
from builder.records import Repair, normalise_key

#: A first line longer than this is prose, not a title: such a page is no known layout.
MAX_TITLE_CHARS = 400

_HTML = re.compile(r"\A\s*(?:<!doctype|<html|<head|<body|<\?xml|<div|<meta|<script)", re.I)
_BLANK_RUN = re.compile(r"(?:[ \t\u00a0]*+\n)*+")  # nothing follows: a run given nothing back


#: Block and Page spell their `__init__` out (`init=False`), each field set with
#: `object.__setattr__` as a frozen dataclass's own does: compiled, that is a store into
#: the instance's C struct (~80 ns a Block), where the `__init__` that `dataclass`
#: generates at run time is interpreted Python (~800 ns; several Blocks a dump). As
#: Python it is the generated one, spelt out. Equality, repr, hash and `replace` are
#: still the dataclass's.


@dataclass(frozen=True, init=False)
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

    def __init__(
        self,
        role: Literal["main", "related"],
        title: str,
        source: str | None,
        category: str | None,
        time_text: str | None,
        body: tuple[tuple[int, str], ...],
        line_start: int,
        line_end: int,
        glued_alternatives: tuple[tuple[str, str], ...] = (),
        repairs: tuple[Repair, ...] = (),
    ) -> None:
        object.__setattr__(self, "role", role)
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "category", category)
        object.__setattr__(self, "time_text", time_text)
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "line_start", line_start)
        object.__setattr__(self, "line_end", line_end)
        object.__setattr__(self, "glued_alternatives", glued_alternatives)
        object.__setattr__(self, "repairs", repairs)


@dataclass(frozen=True, init=False)
class Page:
    layout: Layout
    form: str
    kind: Literal["article", "listing"]
    blocks: tuple[Block, ...]
    truncated: bool
    unparsed_lines: int

    def __init__(
        self,
        layout: Layout,
        form: str,
        kind: Literal["article", "listing"],
        blocks: tuple[Block, ...],
        truncated: bool,
        unparsed_lines: int,
    ) -> None:
        object.__setattr__(self, "layout", layout)
        object.__setattr__(self, "form", form)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "blocks", blocks)
        object.__setattr__(self, "truncated", truncated)
        object.__setattr__(self, "unparsed_lines", unparsed_lines)

    @property
    def layout_name(self) -> str:
        return self.layout.name(self.form)


@dataclass(frozen=True)
class Rejected:
    reason: str


class _Lines:
    """Maps character offsets to 1-based line numbers: 1 + the newlines before the offset.

    Counts (in C) the newlines between the offset asked last and the next one, instead
    of listing every line's start first: the segmenter asks about a few offsets per
    article, mostly in text order, of texts of hundreds of lines.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1  # the line of `pos`

    def of(self, pos: int) -> int:
        if pos < 0:
            return 0
        if pos >= self.pos:
            self.line += self.text.count("\n", self.pos, pos)
        else:
            self.line -= self.text.count("\n", pos, self.pos)
        self.pos = pos
        return self.line

    def tell(self, pos: int, line: int) -> None:
        """`line` is the line of offset `pos` (counted by the caller): the next question
        is answered from there, without counting those newlines again."""
        self.pos, self.line = pos, line


def choose_layout(text: str, layouts: tuple[Layout, ...]) -> tuple[Layout, int]:
    """The layout whose localised marker lines the page shows most; the default on ties."""
    return _choose(_marker_lines(layouts).present(text), layouts)


#: The marker finder of the layouts asked last, and what `_first_wins` looks for (by
#: identity: a build asks for one tuple, `load_layouts()`, and a tuple is hashed field
#: by field on every look-up). Read and replaced whole, so that threads never see one
#: layouts' finder for another's.
_last_markers: tuple[tuple[Layout, ...], MarkerLines, str | None] | None = None


def _markers_of(layouts: tuple[Layout, ...]) -> tuple[MarkerLines, str | None]:
    """One finder for the markers of all `layouts` (one scan of a page serves them all),
    and characters one of which each marker of a later layout holds, that the first
    layout has not (see `_first_wins`)."""
    global _last_markers
    last = _last_markers
    if last is not None and last[0] is layouts:
        return last[1], last[2]
    found = MarkerLines.of(m for layout in layouts for m in layout.markers)
    first = layouts[0].markers if layouts else frozenset()
    later = _hitting_chars({m for layout in layouts[1:] for m in layout.markers - first})
    _last_markers = (layouts, found, later)
    return found, later


def _marker_lines(layouts: tuple[Layout, ...]) -> MarkerLines:
    return _markers_of(layouts)[0]


def _hitting_chars(texts: set[str]) -> str | None:
    """A few characters such that each of `texts` holds one of them (the one most texts
    hold first, then again for the texts left); None when a text is empty.

    Of the characters most texts hold, the one with the highest code point: `in` finds
    a character in a two-byte text through its low byte first, and the low bytes of the
    first letters of a script's block are ASCII punctuation (`ا` U+0627 is looked at in
    every apostrophe, `ت` U+062A in every `*`: 0.37 -> 0.11 us on a synthetic page).
    """
    if "" in texts:
        return None
    left = [set(text) for text in texts]
    chars = ""
    while left:
        counts = Counter(ch for held in left for ch in held)
        most = max(counts.values())
        chars += max(ch for ch, n in counts.items() if n == most)
        left = [held for held in left if chars[-1] not in held]
    return chars


def _first_wins(text: str, later: str | None) -> bool:
    """Whether the first layout is chosen whatever the count: `later` holds a character
    of each marker that a later layout has and the first has not; when `text` holds
    none of them, no such marker is in it, no later layout counts more marker lines
    than the first, and the first wins ties.

    Then a page whose shape is evidence (a logo page, a listing) needs no scan for its
    marker lines (~5 us): nothing else asks for them. One character (`ت` for Arabic) is
    looked for in C (~0.3 us a page; none when the page is in a narrower script: `in`
    knows at once that a Latin-1 text holds no Arabic letter).
    """
    if later is None:
        return False
    for ch in later:  # noqa: SIM110 (compiled, `in` is a C call; `any(map(...))` is not)
        if ch in text:
            return False
    return True


def _choose(lines: set[str], layouts: tuple[Layout, ...]) -> tuple[Layout, int]:
    """`lines`: the page's stripped short lines, or those of them that are markers of
    one of `layouts` (the scores are the same)."""
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
    last = min(len(line), 120)  # a head of at most 119 characters
    # No time text is longer than `time_max_chars`: a reading starts no earlier than
    # that from the end (a publisher name's offsets are not tried; ~0.5 us a line).
    first = 1 if layout.time_max_chars is None else max(1, len(line) - layout.time_max_chars)
    if layout.time_starts is None:  # time patterns that look outside their text
        starts: Iterable[int] = (
            k for k in range(first, last) if layout.time_re.fullmatch(line[k:])
        )
    else:  # a search from k finds the next k at which line[k:] is a time text
        starts = _tail_starts(layout.time_starts, line, first, last)
    lead = len(line) - len(line.lstrip())  # line[:k].strip() is empty for k <= lead
    splits = []
    for k in starts:
        if k <= lead:
            continue
        if line[k - 1].isspace():
            return []  # "The strike began 13 days ago": prose with a time, not glued
        splits.append((line[:k].strip(), line[k:]))
    return splits


def _tail_starts(tail: re.Pattern[str], line: str, first: int, last: int) -> Iterator[int]:
    """Each k in first..last-1, in order, at which `tail` (a time text ending the string)
    matches: where the rest of `line` is a time text."""
    k = first
    while k < last:
        found = tail.search(line, k)
        if found is None or found.start() >= last:
            return
        k = found.start()
        yield k
        k += 1


def split_glued(line: str, layout: Layout, known: set[str]) -> tuple[str, str] | None:
    """The split whose publisher is known (a card source on the same page), else the first."""
    return _pick(glued_splits(line, layout), known)


def _pick(splits: list[tuple[str, str]], known: set[str]) -> tuple[str, str] | None:
    return next(
        (sp for sp in splits if normalise_key(sp[0]) in known), splits[0] if splits else None
    )


def _same(a: str | None, b: str | None) -> bool:
    """Whether `a` and `b` are the same text but for whitespace:
    `" ".join(a.split()) == " ".join(b.split())`.

    Tried from the cheapest: equal texts; texts equal once stripped (a page's repeated
    title mostly differs by a trailing space: 50 ns instead of 520); then the words,
    compared as lists (joining them changes nothing: a word holds no whitespace).
    """
    if a is None or b is None:
        return False
    return a == b or a.strip() == b.strip() or a.split() == b.split()


def _cards(text: str, pos: int, form: Form, lines: _Lines) -> tuple[list[Block], int, bool]:
    """Parse cards from `pos` on. Returns the cards, unparsed lines, and whether cut.

    Line numbers are counted here as `_Lines.of` counts them (the newlines between the
    offset asked last and the next), without a call per offset: the offsets asked (a
    card's start, its teaser's, its last character's) only grow.
    """
    cards: list[Block] = []
    unparsed = 0
    truncated = False
    n = len(text)
    # Bound methods held in locals save a look-up each as Python; compiled, `text.count`
    # is a C call of its own (a bound one is a generic call), so only the regexes' are.
    blank_run, card, same = _BLANK_RUN.match, form.card.match, form.same
    at, line = pos, lines.of(pos)  # `line` is the line of offset `at`
    while True:
        pos = blank_run(text, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            break
        m = card(text, pos)
        if m is None:
            nl = text.find("\n", pos)
            unparsed += 1
            if nl == -1:
                truncated = True  # a last line that is not a whole card: the dump was cut
                break
            pos = nl + 1
            continue
        start, end = m.span()
        title, found, source, category, time_text = m.group(
            "title", "text", "source", "category", "time"
        )
        for name in same:
            value = m[name]
            if value is not None and value != title and not _same(value, title):
                # A repeated title that differs was cut by the end of the dump, or the
                # card lacks its tail: the card ends before it.
                end = m.start(name)
                truncated = truncated or m.end(name) == n
                found = None
                break
        line += text.count("\n", at, start)
        line_start, at = line, start
        body: tuple[tuple[int, str], ...] = ()
        if found and not found.isspace():  # `found.strip()` is not empty
            text_start = m.start("text")
            line += text.count("\n", at, text_start)
            at = text_start
            body = ((line, found),)
        elif m.end() == n:
            truncated = True
        if end - 1 > at:
            line += text.count("\n", at, end - 1)
            at = end - 1
        cards.append(
            Block(
                "related",
                title.strip(),
                source.strip(),
                (category or "").strip() or None,
                time_text.strip(),
                body,
                line_start,
                line,
            )
        )
        pos = end
    lines.tell(at, line)
    return cards, unparsed, truncated


def _body_lines(body: str, first: int) -> tuple[tuple[tuple[int, str], ...], int]:
    """The (line number, line) of each non-blank line of `body`, whose first line is
    line `first`: `(first + i, line) for i, line in enumerate(lines) if line.strip()`;
    and the number of the body's last line, the line of the offset just past it.

    A plain loop: compiled, it is C (typed locals, a list), and a line is blank when
    it is empty or `isspace()` (what strips to nothing, without making the stripped
    copy). The `compress`/`zip`/`map` spelling that suited the interpreter made a
    tuple per line, blank or not, through generic calls."""
    lines = body.split("\n")
    kept: list[tuple[int, str]] = []
    no = first
    for line in lines:
        if line and not line.isspace():
            kept.append((no, line))
        no += 1
    return tuple(kept), first + len(lines) - 1


def _article(
    text: str, m: re.Match[str], form: Form, layout: Layout, lines: _Lines
) -> tuple[Page, int]:
    """The article page, and where its body ends: the start of the line closing it
    (the page's boilerplate), or the end of the text."""
    title_line = lines.of(m.start("title"))  # first: `lines` is fastest asked in text order
    splits: list[tuple[str, str]] = []  # the readings of a glued `Source3 hours ago` line
    body_start = m.end()
    if "time" in form.article.groupindex and m["time"]:
        glued = m.group("source") + m.group("time")
        splits = glued_splits(glued, layout)
        if not splits:  # the line only looked glued: it is the body's first line
            body_start = m.start("source")
    end = layout.end_line.search(text, body_start)
    body_end = end[0] if end else len(text)
    body, last = _body_lines(text[body_start:body_end], lines.of(body_start))
    lines.tell(body_end, last)
    cards: list[Block] = []
    unparsed, truncated = 0, end is None
    if end is not None:
        related = layout.related_line.search(text, end[0])
        if related is None:
            truncated = True
        else:
            # The lines between that are neither blank nor boilerplate, counted in C.
            between = list(filter(None, map(str.strip, text[end[0] : related[0]].split("\n"))))
            unparsed += len(between) - sum(map(layout.boilerplate.__contains__, between))
            cards, more, cut = _cards(text, related[1], form, lines)
            unparsed, truncated = unparsed + more, cut
    source, time_text = None, None
    alternatives: tuple[tuple[str, str], ...] = ()
    if len(splits) == 1:  # one reading: no publisher name has a choice to settle
        source, time_text = splits[0]
    elif splits:
        known = {normalise_key(c.source) for c in cards if c.source}
        split = _pick(splits, known)
        if split is not None:
            source, time_text = split
            if normalise_key(source) not in known:
                alternatives = tuple(sp for sp in splits if sp != split)
    main = Block(
        "main",
        m.group("title").strip(),
        source,
        None,
        time_text,
        body,
        title_line,
        body[-1][0] if body else lines.of(max(m.start("title"), body_start - 1)),
        alternatives,
    )
    return Page(layout, form.name, "article", (main, *cards), truncated, unparsed), body_end


def _has_site_marker(lines: set[str], layout: Layout) -> bool:
    """Whether one of the page's marker lines is a site marker of `layout`."""
    return not layout.site_markers.isdisjoint(lines)


def _site_shows(
    layout: Layout,
    markers: MarkerLines,
    whole: str,
    text: str,
    blanked: bool,
    body_end: int,
    counted: tuple[int, set[str]] | None,
) -> bool:
    """Whether the page shows its site: it counts a marker line of `layout` (on the
    page as it came, `whole`, where the layout was chosen) and a site-marker line is
    in `text` (the page once leading fragments were blanked).

    `counted`: the layout's count and the page's marker lines, when the choice needed
    them. When it did not and nothing was blanked, a site-marker line is the whole
    answer (a site marker is a marker: the count is above 0), looked for from the end
    of the article's body first, where the boilerplate is (~0.5 us against a scan of
    the page, ~4.4 us).
    """
    if counted is None and not blanked:
        return layout.site_lines.any_in(text, body_end)
    score = counted[0] if counted else len(layout.markers & markers.present(whole))
    if score == 0:
        return False
    lines = counted[1] if counted and not blanked else markers.present(text)
    return _has_site_marker(lines, layout)


def segment(text: str, layouts: tuple[Layout, ...] | None = None) -> Page | Rejected:
    """Find the page's layout and split it into a main article and related cards."""
    layouts = layouts or load_layouts()
    if _HTML.match(text):
        return Rejected("no known layout: the dump is an HTML document, not a page's text")
    markers, later = _markers_of(layouts)
    # The chosen layout's count of the page's marker lines, and those lines (one scan
    # of the page); not counted when the first layout wins at once.
    counted: tuple[int, set[str]] | None = None
    if _first_wins(text, later):
        layout = layouts[0]
    else:
        short = markers.present(text)
        layout, score = _choose(short, layouts)
        counted = (score, short)
    whole = text
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
        title = article["title"]
        if "title2" in form.article.groupindex and not _same(title, article["title2"]):
            continue
        if len(title) > MAX_TITLE_CHARS or title.strip() in layout.reserved:
            continue  # "logo" is no title: a logo page cut inside its second title
        page, body_end = _article(text, article, form, layout, lines)
        evident = (
            form.shape_is_evidence
            or listing is not None  # a listing heading without cards
            or _site_shows(layout, markers, whole, text, bool(skipped), body_end, counted)
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
