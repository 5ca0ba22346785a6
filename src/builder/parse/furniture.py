"""Page furniture: the publisher page's menus, rails, prompts and credits in a text.

A list of line regexes does not keep up with furniture, so lines are classified the
way boilerplate removers (jusText, boilerpipe) classify blocks: by length, share of
stop words, runs of short lines and position next to furniture. Only the exact
phrases (a newsletter prompt, a rail heading, a credit line) are data, one file per
language in `parse/data/furniture.<lang>.toml`; adding a language adds a file.

The classes, for one main article's lines after joins:

- *furniture*: a known phrase, or a line without a single letter (`4`, `50%`);
- *prose*: ends a sentence and has a stop word, or is long and has enough stop words;
- *short*: not prose and at most `SHORT_WORDS` words (`Font Size`, `Credit: AP`);
- *other*: headline-like lines (captions, cut lines, headings).

Then the context: a run of `MIN_RUN` or more short or furniture lines is furniture (a
player's settings menu, a list of rail links); a rail heading takes the lines after it
up to the next prose; and short or other lines with furniture on both sides (or
furniture before and the end of the text after) are furniture too (a caption between
a gallery counter and its credit). Prose is never dropped by context.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

SHORT_WORDS = 4
MIN_RUN = 4
#: A line this long is prose when at least `LONG_STOP_SHARE` of its words are stop words.
LONG_CHARS = 120
LONG_STOP_SHARE = 0.15

#: Words of a line ending a sentence looked at for a stop word before all of them are.
HEAD_WORDS = 8

#: Furniture phrases are short; longer lines are not tested against them.
MAX_PHRASE_CHARS = 400

_LETTER = re.compile(r"[^\W\d_]")
#: A line ends a sentence when its last mark, after any closing quotes and brackets,
#: is one of these (see `ends_sentence`).
_SENTENCE_MARKS = (".", "!", "?", "…", "؟")
_CLOSERS = "\"'’”)]»"
_WS = re.compile(r"\s+")
_WORD_EDGE = "\"'‘’“”()[]{}«».,;:!?…؟،-–—*#"

Kind = Literal["furniture", "prose", "short", "other"]


@dataclass(frozen=True)
class Marker:
    """A line already dropped as a known phrase, left in place as context."""

    rail: bool


@dataclass(frozen=True)
class Furniture:
    """The phrases and stop words of every language file, compiled."""

    lines: frozenset[str]
    patterns: re.Pattern[str] | None
    rails: re.Pattern[str] | None
    #: Spans to cut, each searched for only in lines holding one of its needles.
    inline: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]
    stop_words: frozenset[str]
    #: Per cut of `inline`, in order: its mark, a character every match holds (the
    #: data's `mark`; '' when it declares none, which every text holds), and its needles.
    inline_marks: tuple[tuple[str, tuple[str, ...]], ...]
    #: Per cut of `inline_marks`, its needles as one regex (`_needles_at_once`), or None
    #: for a cut of one needle (looked for with `in`).
    inline_finders: tuple[re.Pattern[str] | None, ...] = ()
    #: The longest of `lines`: a longer line is none of them (case folding never
    #: shortens a text), and is not case-folded to be looked up.
    longest_line: int = 0
    #: `rails` and `patterns` in one regex (`_whole_lines`), a rail's match telling
    #: itself by its empty group `rail`: one `fullmatch` a line, not two.
    whole: re.Pattern[str] | None = None
    #: `whole` for a line longer than `long_from` characters: only the rails and
    #: patterns that can match that many (`_widest`), in the same order. Most lines are
    #: prose longer than every bounded phrase (149 characters in the shipped data), and
    #: `re` tried each of the ~40 alternatives on each (0.7 -> 0.3 us a line).
    whole_long: re.Pattern[str] | None = None
    long_from: int = MAX_PHRASE_CHARS

    def phrase(self, text: str, plain: bool = False) -> Literal["phrase", "rail heading"] | None:
        """Whether a whole line is a known furniture phrase, and of which sort. `plain`:
        the line is part of a text that `plain_spaced` holds (its spacing is then told
        by spaces alone)."""
        if len(text) > MAX_PHRASE_CHARS:
            return None
        single = _single_spaced_plain(text) if plain else _single_spaced(text)
        line = text if single else " ".join(text.split())
        # A line longer than an alternative's widest match is no match of it: without
        # them, the same alternative matches first, if any does.
        regex = self.whole_long if len(line) > self.long_from else self.whole
        whole = regex.fullmatch(line) if regex is not None else None
        if whole is not None and whole.group("rail") is not None:
            return "rail heading"
        if len(line) <= self.longest_line and line.casefold() in self.lines:
            return "phrase"
        if whole is not None:  # one of `patterns`
            return "phrase"
        return None

    def may_cut(self, text: str) -> bool:
        """False when `inline_spans` finds nothing in `text`, nor in any line of it (a
        line holding a needle, or a mark, puts it in the joined text).

        Each cut's mark is looked for first (`inline_marks`): one `memchr` for `*`,
        where a search for all the needles at once scanned every text for several
        capitals; the needles of a cut whose mark is absent need no pass at all. The
        needles of one cut are then looked for at once (`inline_finders`).
        """
        finders = self.inline_finders
        for k, (mark, needles) in enumerate(self.inline_marks):
            if mark in text:
                finder = finders[k] if k < len(finders) else None
                if finder is not None:
                    if finder.search(text) is not None:  # `any(n in text for n in needles)`
                        return True
                    continue
                for needle in needles:
                    if needle in text:
                        return True
        return False

    def inline_spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of `text` that are furniture run into a line, in order, not overlapping."""
        spans: list[tuple[int, int]] = []
        if not self.may_cut(text):
            return spans
        for (needles, pattern), (mark, _) in zip(self.inline, self.inline_marks, strict=True):
            if mark in text and any(needle in text for needle in needles):
                spans += [
                    (m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()
                ]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def kind(self, text: str) -> Kind:
        """The class of one line on its own (see the module docstring)."""
        if _LETTER.search(text) is None:
            return "furniture"
        # A long line is judged by its start: enough to tell prose from a list.
        head = text[:2000]
        stop_words = self.stop_words
        ends = ends_sentence(text)
        # A sentence needs one stop word, found within the first few words of prose: those
        # are split off first, and the whole line only when they hold none. (All but the
        # last of `first` are words of `head.split()`; the last may be the unsplit rest.)
        if ends:
            first = head.split(None, HEAD_WORDS)
            if len(first) >= 2 and any(
                w.strip(_WORD_EDGE).casefold() in stop_words for w in first[:HEAD_WORDS]
            ):
                return "prose"
        words = head.split()
        if (
            ends
            and len(words) >= 2
            and any(w.strip(_WORD_EDGE).casefold() in stop_words for w in words)
        ):
            return "prose"
        # Not a sentence with a stop word: a long line is prose if enough words are stop words.
        if len(text) >= LONG_CHARS:
            stops = sum(1 for w in words if w.strip(_WORD_EDGE).casefold() in stop_words)
            if stops >= LONG_STOP_SHARE * len(words):
                return "prose"
        return "short" if len(words) <= SHORT_WORDS else "other"

    def classify(self, items: Sequence[str | Marker]) -> list[str | None]:
        """Why each line is furniture, or None to keep it. Markers are always furniture."""
        if _all_kept(items):  # most texts: no line needs its class
            return [None] * len(items)
        kinds: list[Kind] = [
            "furniture" if isinstance(it, Marker) else self.kind(it) for it in items
        ]
        why: list[str | None] = [
            "phrase"
            if isinstance(it, Marker)
            else ("no words" if kinds[i] == "furniture" else None)
            for i, it in enumerate(items)
        ]
        # Context needs furniture, or a run of short lines: most texts have neither, and
        # the passes would change nothing.
        if "furniture" in kinds or kinds.count("short") >= MIN_RUN:
            _by_context(items, kinds, why)
        return why


def _all_kept(items: Sequence[str | Marker]) -> bool:
    """Whether `classify` keeps every line whatever its class: a text without furniture
    (no marker, a letter in every line) and without lines enough for a run of short
    ones (a short line has at most `SHORT_WORDS` words in its head, `kind`'s first
    2,000 characters). Told with one search and one short split per line, where
    classing a line splits it and looks its words up."""
    short = 0
    for it in items:
        if isinstance(it, Marker):
            return False
        # A line that starts with a letter has one (`isalpha` holds for letters alone,
        # all of which `_LETTER` finds); most lines do, told without the regex's call.
        if not it[:1].isalpha() and _LETTER.search(it) is None:
            return False
        short += len(it[:2000].split(None, SHORT_WORDS)) <= SHORT_WORDS
    return short < MIN_RUN


def _by_context(items: Sequence[str | Marker], kinds: list[Kind], why: list[str | None]) -> None:
    """Mark as furniture, in `kinds` and `why`, the lines their context makes furniture."""
    n = len(items)
    # Runs of short lines: a menu, a list of links or names.
    i = 0
    while i < n:
        j = i
        while j < n and kinds[j] in ("short", "furniture"):
            j += 1
        if j - i >= MIN_RUN:
            for k in range(i, j):
                if kinds[k] == "short":
                    kinds[k], why[k] = "furniture", f"run of {j - i} short lines"
        i = max(j, i + 1)
    # A rail heading takes what follows it up to the next prose.
    for i, it in enumerate(items):
        if isinstance(it, Marker) and it.rail:
            k = i + 1
            while k < n and kinds[k] != "prose":
                if why[k] is None:
                    kinds[k], why[k] = "furniture", "rail"
                k += 1
    # Lines that are not prose, between furniture (or furniture and the text's end).
    i = 0
    while i < n:
        if kinds[i] in ("short", "other"):
            j = i
            while j < n and kinds[j] in ("short", "other"):
                j += 1
            before = i > 0 and kinds[i - 1] == "furniture"
            after = j == n or kinds[j] == "furniture"
            if before and after:
                for k in range(i, j):
                    kinds[k], why[k] = "furniture", "between furniture"
            i = j
        else:
            i += 1


def ends_sentence(
    text: str, marks: tuple[str, ...] = _SENTENCE_MARKS, closers: str = _CLOSERS
) -> bool:
    r"""Whether `text` ends with one of `marks`, then only `closers` (quotes, brackets).

    Looks at the end alone: a regex search for the same (`[.!?…؟]["'’”)\]»]*$`) tries
    every mark in the line, half a microsecond a line. Like `$`, it passes over one
    final line break.
    """
    return text.removesuffix("\n").rstrip(closers).endswith(marks)


def _single_spaced(text: str) -> bool:
    """Whether `" ".join(text.split())` is `text` itself, told without splitting it (most
    lines are): no two spaces in a row, none at either end, and no other white space
    (every white space character but the space is unprintable)."""
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


#: The white space of ASCII text but the space and the line break (`str.split`'s).
_ASCII_ODD_SPACES = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f"


def plain_spaced(text: str) -> bool:
    """Whether `text` is ASCII without white space but spaces and line breaks: then so
    is each of its lines, whose spacing `_single_spaced_plain` tells by its spaces.

    Told once for a whole text (the `isascii` flag is kept by the string; then one
    `memchr` per character) rather than by `str.isprintable` on each line, which
    looks each character up (1 ns a character: most of `_single_spaced`)."""
    if not text.isascii():
        return False
    for c in _ASCII_ODD_SPACES:  # noqa: SIM110 (compiled, `in` is a C call)
        if c in text:
            return False
    return True


def _single_spaced_plain(text: str) -> bool:
    """`_single_spaced` of a line of a text that `plain_spaced` holds: its only white
    space can be spaces and line breaks (a line break inside a line is no single space)."""
    return "\n" not in text and "  " not in text and text[:1] != " " and text[-1:] != " "


def _alternation(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


#: A backreference in a pattern: numbered, it would count the groups of `_whole_lines`.
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _whole_lines(rails: list[str], patterns: list[str]) -> re.Pattern[str] | None:
    """`(?:rails)(?P<rail>)|(?:patterns)`, case-insensitive: fully matched, it is a rail
    heading when a rail matches the whole line (alternatives are tried in order, so the
    rail's, with its group, comes first when it matches) and one of `patterns` else."""
    if not rails and not patterns:
        return None
    for pattern in rails + patterns:
        if _BACKREFERENCE.search(pattern):
            raise ValueError(f"furniture pattern with a backreference: {pattern!r}")
    never = "(?!)"
    rail = "|".join(f"(?:{p})" for p in rails) or never
    other = "|".join(f"(?:{p})" for p in patterns) or never
    return re.compile(f"(?:{rail})(?P<rail>)|(?:{other})", re.IGNORECASE)


def _widest(pattern: str) -> int | None:
    """The most characters a match of `pattern` (case ignored) can span, as `re` itself
    works it out (lookarounds span none); None when unbounded or not known.

    `re._parser` is the parser of the standard library's `re` (it computes the same
    bound to check a lookbehind's width); if it ever moves, every pattern counts as
    unbounded, which only costs the shortcut."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        high = int(_parser.parse(pattern, re.IGNORECASE).getwidth()[1])
        unbounded = int(_parser.MAXWIDTH)
    except Exception:  # any failure only costs the shortcut
        return None
    return None if high >= unbounded else high


def _long_lines(rails: list[str], patterns: list[str]) -> tuple[re.Pattern[str] | None, int]:
    """`_whole_lines` of the rails and patterns that can match a line longer than the
    widest match of all the others, and that width (see `Furniture.whole_long`)."""
    widths = {p: _widest(p) for p in rails + patterns}
    bounded = [w for w in widths.values() if w is not None and w < MAX_PHRASE_CHARS]
    long_from = max(bounded, default=0)

    def long(ps: list[str]) -> list[str]:
        return [p for p in ps if (w := widths[p]) is None or w > long_from]

    return _whole_lines(long(rails), long(patterns)), long_from


def _needles_at_once(needles: tuple[str, ...]) -> re.Pattern[str] | None:
    """The needles of one cut as one regex (their alternation, spelt out), which finds
    one of them where `str.find` finds it; None for one needle. `re` skips to the
    first character that needles share in C (`Advertisement ` and `ADVERTISEMENT `:
    one pass for capital A's, ~1.2 us a main text, where a `find` for each took ~3.3)."""
    if len(needles) < 2:
        return None
    return re.compile("|".join(map(re.escape, needles)))


def _read(name: str) -> dict[str, Any]:
    text = resources.files("builder.parse").joinpath("data", name).read_text("utf-8")
    return tomllib.loads(text)


@cache
def load_furniture() -> Furniture:
    """Every `furniture.<lang>.toml` shipped with builder, merged: a page may mix languages
    (an Arabic article inside an English player), and phrases never match across them."""
    data = resources.files("builder.parse").joinpath("data")
    names = sorted(
        p.name
        for p in data.iterdir()
        if p.name.startswith("furniture.") and p.name.endswith(".toml")
    )
    lines: set[str] = set()
    patterns: list[str] = []
    rails: list[str] = []
    inline: list[tuple[tuple[str, ...], re.Pattern[str]]] = []
    marks: list[tuple[str, tuple[str, ...]]] = []
    stops: set[str] = set()
    for name in names:
        entry = _read(name)
        lines.update(_WS.sub(" ", line).strip().casefold() for line in entry.get("lines", ()))
        patterns += entry.get("patterns", ())
        rails += entry.get("rails", ())
        inline += [
            (tuple(cut["needles"]), re.compile(cut["pattern"])) for cut in entry.get("inline", ())
        ]
        marks += [(cut.get("mark", ""), tuple(cut["needles"])) for cut in entry.get("inline", ())]
        stops.update(w.casefold() for w in entry.get("stop_words", "").split())
    whole_long, long_from = _long_lines(rails, patterns)
    return Furniture(
        longest_line=max(map(len, lines), default=0),
        lines=frozenset(lines),
        patterns=_alternation(patterns),
        rails=_alternation(rails),
        whole=_whole_lines(rails, patterns),
        whole_long=whole_long,
        long_from=long_from,
        inline=tuple(inline),
        inline_marks=tuple(marks),
        inline_finders=tuple(_needles_at_once(needles) for _, needles in marks),
        stop_words=frozenset(stops),
    )
