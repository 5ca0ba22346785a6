"""Load the declarative layout entries in `layouts/data/` and compile them.

A site file (`<site>.toml`) declares the page forms as regular-expression templates;
each language file (`<site>.<lang>.toml`) declares the words that fill them. Adding a
site or a language means adding files here, not touching the segmenter.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

_BLANKS = r"(?:[ \t\u00a0]*\n)*"
_LINE = r"[^\S\n]*+\S[^\n]*+"  # possessive: no backtracking on long lines
#: `{B}` right before a `{LINE}` (alone or as a whole named group, not optional): a run
#: of blank lines that gives none back. Giving a blank line back leaves the `{LINE}` to
#: start on a blank line, where it cannot match (it needs a non-space before the line
#: ends), so the pattern matches exactly what it matched with `{B}`; it is ~15% faster
#: on a card (1.22 -> 1.04 us), which need not remember where each blank line began.
_BLANKS_KEPT = r"(?:[ \t\u00a0]*+\n)*+"
_BLANKS_BEFORE_A_LINE = re.compile(r"\{B\}(?=(?:\(\?P<\w+>\{LINE\}\)|\{LINE\})(?![?*+{]))")


@dataclass(frozen=True)
class TimeForm:
    """One way a page writes a time: relative (`seconds` or `unit` x n) or a date."""

    pattern: re.Pattern[str]
    seconds: int | None
    unit: int | None
    uncertainty: int
    is_date: bool


@dataclass(frozen=True)
class Form:
    """One page form of a site compiled for one language (e.g. daily8 "logo" in English)."""

    name: str
    article: re.Pattern[str]
    listing: re.Pattern[str]
    card: re.Pattern[str]
    same: tuple[str, ...]
    #: The article prelude alone shows the site (the logo line and a repeated title);
    #: a bare title line does not, and then the page needs other evidence.
    shape_is_evidence: bool = False


@dataclass(frozen=True)
class WholeLine:
    """Finds the first whole line that is one of some texts (maybe followed by spaces or
    tabs) at or after an offset: what `^(?:a|b)[ \t]*$` with re.M finds.

    Searched as `\n(?:a|b)...`: a pattern whose first character is a literal is scanned
    for in C, while one that starts with `^` is tried at every offset (6x slower on a
    page). A line at offset 0 has no newline before it and is matched on its own.
    """

    at_start: re.Pattern[str]
    after_newline: re.Pattern[str]

    @classmethod
    def of(cls, texts: list[str]) -> WholeLine:
        line = "(?:" + "|".join(re.escape(t) for t in texts) + r")[ \t]*$"
        return cls(re.compile(line, re.M), re.compile("\n" + line, re.M))

    def search(self, text: str, pos: int) -> tuple[int, int] | None:
        """(start, end) of the line, or None."""
        if pos <= 0:
            first = self.at_start.match(text)
            if first is not None:
                return first.span()
            pos = 1
        found = self.after_newline.search(text, pos - 1)
        return None if found is None else (found.start() + 1, found.end())


#: A line this long or longer (before stripping) is prose, never a marker line.
MARKER_LINE_CHARS = 200


def short_lines(text: str) -> set[str]:
    """The page's lines that may be marker lines: stripped, from those under 200 chars.

    The plain definition of what `MarkerLines.present` finds faster."""
    return {line.strip() for line in text.split("\n") if len(line) < MARKER_LINE_CHARS}


@dataclass(frozen=True)
class MarkerLines:
    """Which of some marker texts a page has as lines: `short_lines(text) & markers`.

    Found by one scan instead of splitting the page into lines and stripping each (a
    string object per line): a pattern that starts with a newline (scanned for in C)
    and matches a whole line that is a marker between whitespace, the characters
    `str.strip` removes (`\\s` is the same test in `re`). A marker that is empty is
    found the plain way; one padded with whitespace or spanning lines is no stripped
    line at all, and is left out of the scan.
    """

    markers: frozenset[str]
    #: The scan: a whole line, at offset 0 or after a newline, that is one of the markers
    #: padded with whitespace; None when no marker can be a line.
    at_start: re.Pattern[str] | None
    after_newline: re.Pattern[str] | None
    #: An empty marker (a blank line): the plain way is taken.
    plain: bool
    #: The markers the scan looks for that are shorter than `MARKER_LINE_CHARS`: a found
    #: line that is one of them has no whitespace to strip and is short enough.
    bare: frozenset[str] = frozenset()

    @classmethod
    def of(cls, markers: Iterable[str]) -> MarkerLines:
        markers = frozenset(markers)
        lines = sorted(m for m in markers if m and m == m.strip() and "\n" not in m)
        if not lines:
            return cls(markers, None, None, "" in markers)
        line = r"([^\S\n]*+(?:" + "|".join(map(re.escape, lines)) + r")[^\S\n]*+)(?=\n|\Z)"
        bare = frozenset(m for m in lines if len(m) < MARKER_LINE_CHARS)
        return cls(markers, re.compile(line), re.compile("\n" + line), "" in markers, bare)

    def present(self, text: str) -> set[str]:
        """The markers that are, stripped, lines of `text` under `MARKER_LINE_CHARS`."""
        if self.plain:
            return short_lines(text) & self.markers
        if self.at_start is None or self.after_newline is None:
            return set()
        found = self.after_newline.findall(text)
        first = self.at_start.match(text)
        if first is not None:
            found.append(first[1])
        lines = set(found)
        if lines <= self.bare:  # as a page mostly writes them: nothing to strip or drop
            return lines  # (one subset test in C, ~0.2 us; the loop below ~0.6-1 us)
        # A found line is one marker between whitespace: stripped, it is that marker.
        return {line.strip() for line in found if len(line) < MARKER_LINE_CHARS}

    def any_in(self, text: str, near: int = 0) -> bool:
        """`bool(self.present(text))`, the scan stopped at the first marker line found;
        looked for from offset `near` on first, then before it, when `near` starts a
        line (a page's boilerplate: found at once, ~0.5 us, where a scan from the top
        goes through the article first, ~2.4 us).

        Before `near`, the scan ends at `near` (`re`'s `endpos`): there `\\Z` matches,
        but a marker line cannot end there, right after a newline.
        """
        if self.plain:
            return bool(self.present(text))
        if self.at_start is None or self.after_newline is None:
            return False
        if not 0 < near <= len(text) or text[near - 1] != "\n":
            near = 0
        scans = [self.after_newline.finditer(text, near - 1)] if near else []
        scans.append(self.after_newline.finditer(text, 0, near or len(text)))
        first = self.at_start.match(text)
        if first is not None and len(first[1]) < MARKER_LINE_CHARS:
            return True
        return any(len(found[1]) < MARKER_LINE_CHARS for scan in scans for found in scan)


@dataclass(frozen=True)
class Layout:
    """A site in one language: its strings, its time texts and its compiled forms."""

    site: str
    language: str
    default: bool
    forms: tuple[Form, ...]
    article_end: frozenset[str]
    boilerplate: frozenset[str]
    related: str
    markers: frozenset[str]  # boilerplate lines that tell this language's pages apart
    #: Whole lines that on their own show a page of this site: positive evidence that
    #: a text is a page (generic words such as "Comments" are markers, not evidence).
    site_markers: frozenset[str]
    reserved: frozenset[str]  # lines that are page furniture, never a title
    times: tuple[TimeForm, ...]
    time_re: re.Pattern[str]  # any time text, anchored at both ends
    #: A whole line that closes the main article (one of `article_end`), and the line
    #: that opens the related cards (`related`); compiled once here, not per page.
    end_line: WholeLine
    related_line: WholeLine
    #: A time text that ends the string: searched from offset k of a line, it finds the
    #: least k' >= k at which `time_re.fullmatch(line[k':])` holds, trying each offset
    #: in C (a search per reading instead of a fullmatch per offset; a lookahead tried
    #: at every offset was 2x slower). None when a time pattern could look before its
    #: start or test an end (`\b`, `^`, lookbehind...): on a slice such a pattern sees
    #: other text than in the line.
    time_starts: re.Pattern[str] | None
    #: The most characters a time text can have (None: no bound), so that a glued
    #: line's readings are looked for only in its last `time_max_chars` characters.
    time_max_chars: int | None = None
    #: A finder for the `site_markers` alone: whether a page shows one as a line.
    site_lines: MarkerLines = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "site_lines", MarkerLines.of(self.site_markers))

    def name(self, form: str) -> str:
        return f"{self.site}-{self.language}-{form}"


def _time_forms(entries: list[dict[str, Any]]) -> tuple[TimeForm, ...]:
    forms = []
    for e in entries:
        is_date = "(?P<day>" in e["pattern"]
        forms.append(
            TimeForm(
                pattern=re.compile(e["pattern"]),
                seconds=e.get("seconds"),
                unit=e.get("unit"),
                uncertainty=int(e["uncertainty"]),
                is_date=is_date,
            )
        )
    return tuple(forms)


def _strip_groups(pattern: str) -> str:
    """Time patterns carry named groups for parsing; inside a form they must not."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


def _compile_form(spec: dict[str, Any], lang: dict[str, Any], time_alt: str) -> Form:
    headings = "|".join(lang["headings"]) or r"(?!)"
    values = {
        "{B}": _BLANKS,
        "{LINE}": _LINE,
        "{TIME}": _time_text(time_alt),
        "{HEADING}": f"(?:{headings})",
        "{LOGO}": re.escape(lang["logo"]),
        "{HASH}": re.escape(lang["hash"]),
        "{TIME_PREFIX}": re.escape(lang["time_prefix"]),
    }

    def fill(template: str) -> re.Pattern[str]:
        template = _BLANKS_BEFORE_A_LINE.sub(lambda _: _BLANKS_KEPT, template)
        for key, value in values.items():
            template = template.replace(key, value)
        return re.compile(template)

    return Form(
        name=spec["name"],
        article=fill(spec["article"]),
        listing=fill(spec["listing"]),
        card=fill(spec["card"]),
        same=tuple(spec.get("same", ())),
        shape_is_evidence=bool(spec.get("shape_is_evidence", False)),
    )


#: What may make a pattern match differently on `line[k:]` than at offset k of `line`:
#: anchors, word boundaries and lookbehind (checked on the text: `[^a]` counts too, and
#: then the slower exact way is taken).
_CONTEXT = re.compile(r"\\[bBAZ]|\^|\$|\(\?<[=!]")


def _time_starts(time_alt: str) -> re.Pattern[str] | None:
    if _CONTEXT.search(time_alt):
        return None
    return re.compile(f"{_time_text(time_alt)}\\Z")


def _max_chars(pattern: str) -> int | None:
    """The most characters a match of `pattern` can span, as `re` itself works it out
    (lookarounds span none); None when unbounded (`+`, `*`, `{n,}`) or not known.

    `re._parser` is the parser of the standard library's `re` (it computes the same
    bound to check a lookbehind's width); if it ever moves, the bound is not used.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]

        high = int(_parser.parse(pattern).getwidth()[1])
        unbounded = int(_parser.MAXWIDTH)
    except Exception:  # any failure only costs the shortcut
        return None
    return None if high >= unbounded else high


#: What a first character can be: ranges of code points (a single one is (c, c)).
_Ranges = list[tuple[int, int]]


def _first_chars(pattern: str) -> str | None:
    """A character class (`[...]`) holding the first character of every match of
    `pattern`; None when the pattern may match an empty text or its first character is
    not worked out (case ignored, classes such as `\\w` or `.`, anchors, lookarounds).

    Put before the pattern as a lookahead, it changes nothing the pattern matches, and
    where the next character is not in it the pattern is not tried: `re` would enter
    each way to write a time (8 in English) at each offset. On the glued
    `Source3 hours ago` line, a logo page's article pattern tries one per source
    length: 2.7 -> 1.3 us a page, and `glued_splits` 1.8 -> 1.3 us.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern)
        if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
            return None
        ranges = _sequence_first(parsed, _parser)
    except Exception:  # an unknown form only costs the shortcut
        return None
    if not ranges:
        return None
    merged: _Ranges = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    escaped = ((re.escape(chr(low)), re.escape(chr(high))) for low, high in merged)
    return "[" + "".join(a if a == b else f"{a}-{b}" for a, b in escaped) + "]"


def _sequence_first(items: Any, parser: Any) -> _Ranges | None:
    """The first characters of a sequence of parsed items (a `SubPattern`): those of
    each item up to the first that cannot match empty; None if all can, or unknown."""
    found: _Ranges = []
    for item in items.data:
        first = _item_first(item, parser)
        if first is None:
            return None
        found += first
        if parser.SubPattern(items.state, [item]).getwidth()[0] > 0:
            return found
    return None  # the whole sequence may match empty: no first character


def _item_first(item: tuple[Any, Any], parser: Any) -> _Ranges | None:
    op, av = item
    if op is parser.LITERAL:
        return [(av, av)]
    if op is parser.IN:
        ranges: _Ranges = []
        for kind, value in av:
            if kind is parser.LITERAL:
                ranges.append((value, value))
            elif kind is parser.RANGE:
                ranges.append(value)
            else:  # NEGATE, CATEGORY (\w, \d, ...): not worked out
                return None
        return ranges
    if op is parser.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _sequence_first(sub, parser)
    if op is parser.BRANCH:
        ranges = []
        for alternative in av[1]:
            first = _sequence_first(alternative, parser)
            if first is None:
                return None
            ranges += first
        return ranges
    if op in (parser.MAX_REPEAT, parser.MIN_REPEAT, parser.POSSESSIVE_REPEAT):
        return _sequence_first(av[2], parser)  # an empty repeat: the sequence goes on
    return None


def _time_text(time_alt: str) -> str:
    """Any time text, as the forms and the glued-line search look for it: the
    alternation, behind a lookahead for its first character when that is known."""
    first = _first_chars(time_alt)
    return f"(?:{time_alt})" if first is None else f"(?={first})(?:{time_alt})"


def _read(name: str) -> dict[str, Any]:
    text = resources.files("builder.parse.layouts").joinpath("data", name).read_text("utf-8")
    return tomllib.loads(text)


@cache
def load_layouts() -> tuple[Layout, ...]:
    """Every layout entry shipped with builder; the default language of a site first."""
    data = resources.files("builder.parse.layouts").joinpath("data")
    names = sorted(p.name for p in data.iterdir() if p.name.endswith(".toml"))
    sites = {n.removesuffix(".toml"): _read(n) for n in names if n.count(".") == 1}
    layouts = []
    for n in names:
        if n.count(".") != 2:
            continue
        lang = _read(n)
        site = sites[lang["site"]]
        times = _time_forms(lang["times"])
        marker_lines = frozenset([*lang["boilerplate"], lang["related"]])
        site_markers = frozenset(lang.get("site_markers", marker_lines))
        time_alt = "|".join(_strip_groups(t.pattern.pattern) for t in times)
        layouts.append(
            Layout(
                site=lang["site"],
                language=lang["language"],
                default=bool(lang.get("default", False)),
                forms=tuple(_compile_form(f, lang, time_alt) for f in site["forms"]),
                article_end=frozenset(lang["article_end"]),
                boilerplate=frozenset(lang["boilerplate"]),
                related=lang["related"],
                markers=marker_lines | site_markers,
                site_markers=site_markers,
                reserved=frozenset(
                    [*lang["boilerplate"], lang["related"], lang["logo"], lang["hash"]]
                ),
                times=times,
                time_re=re.compile(f"(?:{time_alt})"),
                end_line=WholeLine.of(sorted(set(lang["article_end"]))),
                related_line=WholeLine.of([lang["related"]]),
                time_starts=_time_starts(time_alt),
                time_max_chars=_max_chars(time_alt),
            )
        )
    layouts.sort(key=lambda lay: (lay.site, not lay.default, lay.language))
    return tuple(layouts)
