"""Text repairs and junk removal, each recorded so that every row says what was altered.

Copying a page by selection leaves artifacts where inline links were (a link's text on
a line of its own, a space before punctuation) and lets junk from the publisher's page
leak in (video-player controls, ad blocks). Repairs apply to article text only: a
title's words are never altered.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter
from typing import Final, NamedTuple, cast

from builder.parse.furniture import (
    Furniture,
    Marker,
    ends_sentence,
    load_furniture,
    plain_spaced,
)
from builder.parse.spans import TextLines
from builder.records import Repair

Line = tuple[int, str]  # (1-based line number in the decoded dump, text)

Pos = tuple[int, int]  # (1-based line number, 0-based column in that body line)


class Piece:
    """`length` characters of a kept line, from `at` on, copied from (`line`, `column`).

    A plain class, not a named tuple: compiled, its fields are C struct fields read
    without a look-up (a named tuple's are generic attribute reads), and it is built
    by a direct call. Equal, hashed and shown by its fields, as the tuple was."""

    __slots__ = ("at", "column", "length", "line")

    def __init__(self, at: int, line: int, column: int, length: int) -> None:
        self.at: Final = at
        self.line: Final = line
        self.column: Final = column
        self.length: Final = length

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Piece):
            return NotImplemented
        return (
            self.at == other.at
            and self.line == other.line
            and self.column == other.column
            and self.length == other.length
        )

    def __hash__(self) -> int:
        return hash((self.at, self.line, self.column, self.length))

    def __repr__(self) -> str:
        return f"Piece(at={self.at}, line={self.line}, column={self.column}, length={self.length})"


class Traced:
    """A line of text being repaired, and where each of its characters came from.

    Joins, cuts and strips move pieces, never lose them, so the first and last kept
    characters always know their place in the dump: byte spans are exact by
    construction rather than guessed from line numbers afterwards.

    A plain class with read-only fields, made for every body line of every dump:
    compiled, a native class (C struct fields, methods called directly), where a named
    tuple's fields and methods are looked up by name. Equal, hashed and shown by its
    fields, as the named tuple it was.
    """

    __slots__ = ("line", "pieces", "text")

    def __init__(self, line: int, text: str, pieces: tuple[Piece, ...] | None) -> None:
        self.line: Final = line  # the body line it starts on, as repairs report it
        self.text: Final = text
        #: Where its characters came from. None stands for the usual one piece, the
        #: whole `text` found at column 0 of `line` (`runs` spells it out): most body
        #: lines are such a line and are passed on untouched, and building that piece
        #: for each was half the cost of tracing a body. Every way of making a `Traced`
        #: gives None for that piece, never the tuple, so two `Traced` of the same
        #: characters from the same place are equal.
        self.pieces: Final = pieces

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Traced):
            return NotImplemented
        return self.line == other.line and self.text == other.text and self.pieces == other.pieces

    def __hash__(self) -> int:
        return hash((self.line, self.text, self.pieces))

    def __repr__(self) -> str:
        return f"Traced(line={self.line}, text={self.text!r}, pieces={self.pieces!r})"

    @staticmethod
    def of(line: int, text: str, column: int = 0) -> Traced:
        """`text` as found on `line`, from `column` on."""
        return Traced(line, text, _pieces(line, text, column))

    @property
    def runs(self) -> tuple[Piece, ...]:
        """`pieces`, with the usual one spelt out."""
        pieces = self.pieces
        if pieces is None:
            return (Piece(0, self.line, 0, len(self.text)),)
        return pieces

    @staticmethod
    def placed(body: Sequence[tuple[int, str]], lines: TextLines) -> list[Traced] | None:
        """Each `(line number, text)` of `body` traced to where it sits in `lines` (the
        decoded lines, numbered from 1): the whole line, or its end or a part of it.
        None when a text is not in its line.

        The whole line is the usual case, and its `Traced` is built here rather than by
        `of`: a call per body line was a fifth of this step.
        """
        out: list[Traced] = []
        n = len(lines)
        for no, raw in body:
            if not 0 < no <= n:
                return None
            full = lines[no - 1]
            if full == raw:  # the usual: the whole line (`of(no, raw)`, inline)
                out.append(Traced(no, raw, None if raw else ()))
                continue
            column = len(full) - len(raw) if full.endswith(raw) else full.find(raw)
            if column < 0:
                return None
            out.append(Traced.of(no, raw, column))
        return out

    def cut(self, start: int, end: int) -> Traced:
        """The characters `text[start:end]`, still traced."""
        text = self.text
        if start <= 0 and end >= len(text):
            return self
        pieces = self.runs
        if len(pieces) == 1 and pieces[0].at == 0:  # the usual: one source line
            p = pieces[0]
            a, b = max(0, start), min(p.length, end)
            piece = [Piece(0, p.line, p.column + a, b - a)] if a < b else []
            return _traced(self.line, text[start:end], piece)
        out = []
        for p in pieces:
            a, b = max(p.at, start), min(p.at + p.length, end)
            if a < b:
                out.append(Piece(a - start, p.line, p.column + a - p.at, b - a))
        return _traced(self.line, text[start:end], out)

    def strip(self) -> Traced:
        text = self.text
        stripped = text.strip()
        if stripped is text:  # nothing to strip (str.strip returns its argument then)
            return self
        lead = len(text) - len(text.lstrip())
        return self.cut(lead, max(lead, len(text.rstrip())))

    @staticmethod
    def concat(parts: Sequence[tuple[str, Traced]]) -> Traced:
        """Join traced lines, each after its glue (the first glue is ignored)."""
        if len(parts) == 1:
            return parts[0][1]
        texts: list[str] = []
        pieces: list[Piece] = []
        size = 0
        first = True
        for glue, part in parts:
            if not first:
                texts.append(glue)
                size += len(glue)
            first = False
            texts.append(part.text)
            for p in part.runs:
                pieces.append(Piece(p.at + size, p.line, p.column, p.length))
            size += len(part.text)
        return _traced(parts[0][1].line, "".join(texts), pieces)

    @property
    def first(self) -> Pos | None:
        pieces = self.pieces
        if pieces is None:
            return self.line, 0
        return (pieces[0].line, pieces[0].column) if pieces else None

    @property
    def last(self) -> Pos | None:
        pieces = self.pieces
        if pieces is None:
            return self.line, len(self.text) - 1
        if not pieces:
            return None
        p = pieces[-1]
        return p.line, p.column + p.length - 1

    @property
    def source_lines(self) -> tuple[int, ...]:
        pieces = self.pieces
        if pieces is None:
            return (self.line,)
        seen: dict[int, None] = {}
        for p in pieces:
            seen[p.line] = None
        return tuple(seen) or (self.line,)


def _pieces(line: int, text: str, column: int) -> tuple[Piece, ...] | None:
    """The pieces of `text` found at `column` of `line` (see `Traced.pieces`)."""
    if not text:
        return ()
    return None if column == 0 else (Piece(0, line, column, len(text)),)


def _traced(line: int, text: str, pieces: Sequence[Piece]) -> Traced:
    """A `Traced` of `pieces` as `Traced.pieces` holds them: None for the usual one."""
    if len(pieces) == 1:
        p = pieces[0]
        if p.at == 0 and p.line == line and p.column == 0 and p.length == len(text):
            return Traced(line, text, None)
    return Traced(line, text, tuple(pieces))


@dataclass(frozen=True)
class JunkRule:
    """Lines matching `pattern` (whole line, stripped) are not article text."""

    name: str
    pattern: re.Pattern[str]
    first_line_only: bool = False
    #: Cheap filters that let most lines skip the regex: junk of this kind is never
    #: longer than `max_chars`, and contains one of `needles` (lowercase) if any are given.
    max_chars: int = 100_000
    needles: tuple[str, ...] = ()
    #: For some needles, a character every match holding that needle holds too, looked
    #: for first in a whole text (`_junk_rules`): a needle spelt in letters is one pass
    #: over the text, a rare character one `memchr`. Other needles use their own
    #: punctuation (see `_mark`).
    marks: tuple[tuple[str, str], ...] = ()

    def matches(self, line: str, lower: str) -> bool:
        if len(line) > self.max_chars:
            return False
        if self.needles and not any(needle in lower for needle in self.needles):
            return False
        return self.pattern.fullmatch(line) is not None


def _rule(
    name: str,
    pattern: str,
    *,
    first_line_only: bool = False,
    max_chars: int = 100_000,
    needles: tuple[str, ...] = (),
    marks: tuple[tuple[str, str], ...] = (),
) -> JunkRule:
    compiled = re.compile(pattern, re.IGNORECASE)
    return JunkRule(name, compiled, first_line_only, max_chars, needles, marks)


def _mark(needle: str) -> str:
    """The needle's first character that is neither a letter, a digit nor a space, or ''.

    Looked for before the needle: one character is found with `memchr`, twenty times
    faster than a needle of several, and most texts lack most marks (`;`, `?`, `%`), so
    most needles then cost no pass over the text.
    """
    return next((c for c in needle if not (c.isspace() or c.isalnum())), "")


_ESC = r"%[0-9A-F]{2}"
_NOT_ESC = r"(?:[^%]|%(?![0-9A-F]{2}))"

JUNK_RULES: tuple[JunkRule, ...] = (
    _rule(
        "video player",
        r"play video|play|pause|mute|unmute|close modal dialog|fullscreen|non-fullscreen"
        r"|this is a modal window\.?|beginning of dialog window\..*|end of dialog window\."
        # `[\d:%.\s/-]*` alone: spelling out `\s*:?\s*` before it (same language) made
        # the match cubic in the length of a run of spaces.
        r"|(?:current time|duration|remaining time|loaded)[\d:%.\s/-]*"
        r"|stream type live|captions off|chapters|descriptions off, selected"
        r"|(?:captions|subtitles) settings, opens (?:captions|subtitles) settings dialog",
        max_chars=200,
    ),
    _rule("lone punctuation", r"[:|•·]", max_chars=1),
    _rule(
        "advertising",
        r"advertisement|sponsored|sponsored links|promoted links|by taboola|taboola"
        r"|story continues below(?: this ad| advertisement)?|continue reading below"
        r"|more like this|recommended by outbrain",
        max_chars=60,
    ),
    _rule(
        "read more",
        r"»\s*read more.*|read more:?|click here to read more.*",
        needles=("read more",),
    ),
    _rule(
        "newsletter prompt",
        r"(?:sign up|subscribe) (?:for|to) (?:our|the) [^.]{0,40}newsletters?.*",
        needles=("newsletter",),
    ),
    _rule("bare timestamp", r"\d{1,2}:\d{2}(?::\d{2})?", max_chars=8),
    _rule(
        "inline javascript",
        r".*(?:function\s*\w*\s*\([^)]*\)\s*\{|googletag\.|window\.\w+\s*=|document\.write\("
        r"|\bvar \w+\s*=.*;).*",
        needles=("function", "googletag.", "window.", "document.write", "var "),
        # `function ... {`, `window.x =`, `document.write(`, `var x = ...;`
        marks=(("function", "{"), ("window.", "="), ("document.write", "("), ("var ", "=")),
    ),
    # Three escapes then a `%3C`, or a `%3C` then three escapes. Spelt with one parse per
    # character (`_NOT_ESC` never starts an escape): the `.*(?:%XX.*){3}` spelling
    # backtracked for minutes on a few hundred escapes without a `%3C`.
    _rule(
        "url-encoded html",
        rf"(?:{_NOT_ESC}*{_ESC}){{3}}(?:{_NOT_ESC}|(?!%3C){_ESC})*%3C.*"
        rf"|(?:{_NOT_ESC}|(?!%3C){_ESC})*%3C(?:{_NOT_ESC}*{_ESC}){{3}}.*",
        needles=("%3c",),
    ),
    _rule(
        "image url fragment",
        r"&?[\w%]+=[^\s&]*(?:&[\w%]+=[^\s&]*)+\)?",
        first_line_only=True,
        needles=("=",),
    ),
    _rule(
        "photo caption",
        r"\((?:photo|image|picture|video)(?: by|:| credit:?)[^)]*\)",
        max_chars=400,
        needles=("(",),
    ),
    _rule(
        "header block",
        r"(?:date: \d{4}-\d{2}-\d{2}t[\d:.]+z?|title: .*)",
        needles=("date: ", "title: "),
    ),
)


#: Junk lines (player controls, ad markers, scripts) are short. Longer lines are kept
#: untested: the `.*`-led rules took ~170 bytes of regex stack per character, so a
#: 30 MB body line needed 5 GB and a minute; and dropping that much text is never right.
MAX_JUNK_LINE_CHARS = 100_000


#: The junk that is a text's header block (`Date: ...`, `Title: ...`): dropped only from
#: the first line on, while the lines before were dropped as header block too.
_HEADER = "header block"


#: Each junk rule, whether its needles are looked for in the first line alone (see
#: `_junk_rules`), and each of its needles with its mark (`JunkRule.marks`, `_mark`).
_JUNK_NEEDLES = tuple(
    (
        rule.first_line_only or rule.name == _HEADER,
        tuple((n, dict(rule.marks).get(n, _mark(n))) for n in rule.needles),
    )
    for rule in JUNK_RULES
)


class _JunkRules(NamedTuple):
    """The rules that can match a text's first line and its other lines, and the longest
    line each set can match (a longer line is kept without lowering it)."""

    first: tuple[JunkRule, ...]
    rest: tuple[JunkRule, ...]
    longest_first: int
    longest: int
    #: `first` and `rest` as `JunkRule.matches` spells them, unrolled: (the rule, its
    #: `max_chars`, its needles, its pattern's `fullmatch`). A line is tested by several
    #: rules, and the method call was most of each test.
    first_tests: tuple[_JunkTest, ...] = ()
    rest_tests: tuple[_JunkTest, ...] = ()


_JunkTest = tuple[JunkRule, int, tuple[str, ...], Callable[[str], "re.Match[str] | None"]]


def _tests(rules: tuple[JunkRule, ...]) -> tuple[_JunkTest, ...]:
    return tuple((r, r.max_chars, r.needles, r.pattern.fullmatch) for r in rules)


@cache
def _rule_sets(kept: tuple[bool, ...]) -> _JunkRules:
    """The `_JunkRules` of the rules flagged in `kept`: a text holds the needles of few
    rules, so a handful of sets serve every text, each worked out once."""
    first = tuple(rule for rule, keep in zip(JUNK_RULES, kept, strict=True) if keep)
    rest = tuple(r for r in first if not r.first_line_only)

    def longest(rules: tuple[JunkRule, ...]) -> int:
        return min(MAX_JUNK_LINE_CHARS, max((r.max_chars for r in rules), default=-1))

    return _JunkRules(first, rest, longest(first), longest(rest), _tests(first), _tests(rest))


def _junk_rules(texts: Sequence[str]) -> _JunkRules:
    """The rules that can match some line of `texts`: for the first line, and the rest.

    A rule with needles is kept only if the whole text, lowered once, holds one of them
    (a line that holds one puts it in the joined text; lowering maps each character on
    its own but for Σ, which no needle holds): most texts hold none, and their long
    lines then need no test at all. A rule that acts on the first line only, or on a
    run of lines from the first (the header block), is kept only if the first line
    holds one of its needles: without it, that run cannot start.
    """
    lowered = "\n".join(texts).lower()
    first = texts[0].lower() if texts else ""
    kept = []
    for first_only, needles in _JUNK_NEEDLES:
        where = first if first_only else lowered
        keep = not needles
        for needle, mark in needles:  # a loop, not `any`: it runs for every text
            if mark in where and needle in where:
                keep = True
                break
        kept.append(keep)
    return _rule_sets(tuple(kept))


def drop_junk(lines: Sequence[Line]) -> tuple[list[Line], list[Repair]]:
    """Remove junk lines; strip the `Content: ` prefix a header block puts on the text."""
    kept, repairs = drop_junk_traced([Traced.of(no, text) for no, text in lines])
    return [(t.line, t.text) for t in kept], repairs


def drop_junk_traced(lines: Sequence[Traced]) -> tuple[list[Traced], list[Repair]]:
    """`drop_junk` on traced lines."""
    kept: list[Traced] = []
    repairs: list[Repair] = []
    in_header = False
    rules = _junk_rules([line.text for line in lines])
    longest_first, longest = rules.longest_first, rules.longest
    for index, line in enumerate(lines):
        stripped = line.text.strip()
        size = len(stripped)
        rule = None
        if size <= (longest if index else longest_first):
            lower = None  # lowered only for a rule with needles: most rules have none
            for r, max_chars, needles, fullmatch in (
                rules.rest_tests if index else rules.first_tests
            ):
                # `r.matches(stripped, lower)`, unrolled; a rule's length bound told
                # first: most short lines pass only one rule's.
                if size > max_chars:
                    continue
                if needles:
                    if lower is None:
                        lower = stripped.lower()
                    if not any(needle in lower for needle in needles):
                        continue
                if fullmatch(stripped) is not None:
                    rule = r
                    break
        if rule is not None and (rule.name != _HEADER or index == 0 or in_header):
            in_header = rule.name == _HEADER
            repairs.append(Repair("drop_junk_line", line.line, f"{rule.name}: {stripped[:60]}"))
            continue
        if in_header and stripped.lower().startswith("content: "):
            line = line.strip()
            line = line.cut(len("content: "), len(line.text))
            repairs.append(Repair("drop_junk_line", line.line, "header block: Content: prefix"))
        in_header = False
        kept.append(line)
    return kept, repairs


_JOINING_WORDS = frozenset(
    """
a an the of for with to and or nor but in on at by from into onto about over under
between against during without within like than as that which who whose whom his her
their its our your my is are was were be been has have had not via per including after
before says said told
    """.split()  # noqa: SIM905
)
#: A line a link broke ends a sentence when its last mark, after any closing quotes
#: and brackets, is one of these (`[.!?:;]["'’”)\]]*$`).
_SENTENCE_MARKS = (".", "!", "?", ":", ";")
_CLOSERS = "\"'’”)]"


_STARTS_PUNCT = re.compile(r"^(?:[,.;:!?)\]}…]|['’]s\b)")
_STARTS_DASH = re.compile(r"^[—–]")
_DASH_ENDS = ("—", "–", "(")


def _ends_sentence(text: str) -> bool:
    r"""`[.!?:;]["'’”)\]]*$`, looked for at the end alone (see `ends_sentence`)."""
    return ends_sentence(text, _SENTENCE_MARKS, _CLOSERS)


def _ends_dash(text: str) -> bool:
    """`[—–(]$`: looked for at the end alone, not searched for (see `ends_sentence`)."""
    return ends_sentence(text, _DASH_ENDS, "")


def _join_kind(prev: str, nxt: str) -> str | None:
    """How a line split by an inline link continues: '' (glue), ' ' (space) or None."""
    return _glue(prev, nxt, _ends_sentence(prev))


def _glue(prev: str, nxt: str, prev_ends_sentence: bool) -> str | None:
    """`_join_kind`, told whether `prev` ends a sentence (asked once per line, not thrice)."""
    if not prev or not nxt or prev_ends_sentence:
        return None
    if _STARTS_PUNCT.match(nxt):
        return ""
    if _STARTS_DASH.match(nxt) or _ends_dash(prev) or nxt[0].islower():
        return " "
    last = prev.rsplit(None, 1)[-1].strip("\"'‘’“”(").lower()
    return " " if last in _JOINING_WORDS else None


def _is_link_text(text: str, nxt: str | None) -> bool:
    """A short line that runs on into the next one is an inline link's text."""
    return (
        nxt is not None
        and len(text.split()) <= 5
        and not _ends_sentence(text)
        and _glue(text, nxt, False) is not None
    )


_TAIL_CHARS = 200  # longer than any joining word or run of closing quotes seen


def join_split_lines(lines: Sequence[Line]) -> tuple[list[Line], list[Repair]]:
    """Join a sentence that an inline link broke over several lines.

    `talks with / Jane Doe / to settle` and `famine / .` become one line. A line is
    joined to the previous one when the previous one does not end a sentence and the
    next starts with punctuation or a lowercase letter, or follows a function word, or
    is a link's text (a short line that itself runs on into the next).
    """
    out, repairs = join_split_traced([Traced.of(no, text) for no, text in lines])
    return [(t.line, t.text) for t in out], repairs


def join_split_traced(lines: Sequence[Traced]) -> tuple[list[Traced], list[Repair]]:
    """`join_split_lines` on traced lines; every line comes out stripped.

    Most lines join nothing: each is put out as it is, and only a line that others join
    gets its parts listed (`joined`); whether the text so far ends a sentence is told
    inline, not by a call to `_ends_sentence` per line (16.4 -> ~15.6 us a dump of 14
    lines, 4,000 synthetic dumps).
    """
    # A joined line is kept as parts and judged by its tail only (every test looks at
    # its end): growing one string and searching all of it made a dump of many short
    # lines quadratic (50,000 lines took a minute).
    out: list[Traced] = []
    joined: dict[int, list[tuple[str, Traced]]] = {}  # index in `out`: its parts
    tail = ""
    repairs: list[Repair] = []
    marks, closers = _SENTENCE_MARKS, _CLOSERS
    # A line with nothing to strip is itself (`str.strip` returns its argument then):
    # told without calling `Traced.strip` for each line.
    stripped = [line if line.text.strip() is line.text else line.strip() for line in lines]
    for i, line in enumerate(stripped):
        text = line.text
        # `_ends_sentence(tail)`, inline: after a sentence, a line starts anew.
        if out and not tail.removesuffix("\n").rstrip(closers).endswith(marks):
            glue = _glue(tail, text, False)
            if glue is None:
                nxt = stripped[i + 1].text if i + 1 < len(stripped) else None
                glue = " " if _is_link_text(text, nxt) else None
            if glue is not None:
                at = len(out) - 1
                parts = joined.get(at)
                if parts is None:
                    parts = joined[at] = [("", out[at])]
                parts.append((glue, line))
                repairs.append(Repair("join_lines", line.line, f"{tail[-20:]!r} + {text[:20]!r}"))
                tail = (tail + glue + text)[-_TAIL_CHARS:]
                continue
        out.append(line)
        tail = text[-_TAIL_CHARS:]
    for at, parts in joined.items():
        out[at] = Traced.concat(parts)
    return out, repairs


@dataclass(frozen=True)
class InlineFix:
    """A repair inside a line. `needles`: substrings every match contains, so that the
    regex runs only on the few lines that can match (most lines have no artifact).

    `probes`: (character, pattern) pairs such that `pattern` matches somewhere in a text
    exactly when one of the probes does, each probe led by its character. `re` skips
    to a literal character at C speed but tests a class of several (`[.!?]`, `['‘]`)
    character by character, three to four times slower; and a probe whose character
    the text lacks costs one `in`. Every pattern matches within one line: no match
    holds a line break, and a lookaround at a line's end sees the break as it sees the
    end of a text (tests/parse/test_repair_fast_paths.py checks both).
    """

    kind: str
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]
    needles: tuple[str, ...] = ()
    probes: tuple[tuple[str, re.Pattern[str]], ...] = ()
    #: (character, pattern) pairs one of which matches in every text the fix's pattern
    #: matches in, each led by its character: how a match ends (the quote fixes' closing
    #: quote after a space, ` '` not followed by a letter), looked for before the probes.
    #: A probe scans from each quote and space (`enough,' a resident`) to the next quote;
    #: prose with quotes rarely holds a closing quote after a space (~5.3 -> ~1.3 us a
    #: main text of the benchmark, whose every quote fix is ruled out here).
    closers: tuple[tuple[str, re.Pattern[str]], ...] = ()

    def applies(self, text: str) -> bool:
        if not self.needles:
            return True
        # Loops, not `any`: asked for most texts, and a generator cost more than the
        # looks themselves (a ninth of a card's repair).
        for needle in self.needles:  # noqa: SIM110
            if needle in text:
                return True
        return False

    def may_match(self, text: str) -> bool:
        """False when `pattern` finds nothing in `text`, told by the closers (none of
        them found) and the probes."""
        closers = self.closers
        if closers:
            closed = False
            for c, closer in closers:  # a loop, as in `applies`
                if c in text and closer.search(text) is not None:
                    closed = True
                    break
            if not closed:
                return False
        if not self.probes:
            return True
        for c, probe in self.probes:  # noqa: SIM110 (see `applies`)
            if c in text and probe.search(text) is not None:
                return True
        return False


def _led(pattern: str, leads: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Probes: `pattern` with `LEAD` spelt as each character of `leads` in turn."""
    return tuple((c, re.compile(pattern.replace("LEAD", re.escape(c)))) for c in leads)


#: `\1` as a function called in C: `re` expands a template string in Python for each
#: match, three times slower (the space fixes replace several matches per line).
_FIRST_GROUP = itemgetter(1)

#: Each pattern starts with the character every match starts with, and looks behind it
#: only then: `re` skips to such a character at C speed, where a pattern led by a
#: lookbehind is tried at every position (3-6x slower on prose). `(?<!\w)(["“])` is
#: spelt `(["“])(?<!\w["“])`, `(?<=[…]) +` is spelt ` (?<=[…] ) *`: the same matches
#: (tests/parse/test_repair_fast_paths.py compares them with the plain spellings).
#: The quote fixes look ahead for their closing quote first, which every match has:
#: the next quote of the line, after a space, `(?=[^"“”\n]*+(?<= )["”])`. Possessive
#: (`*+`): the run stops at the next quote and is not given back one character at a
#: time to look for ` "` where no quote can be (a run of prose without a closing
#: quote, `'We have waited long enough,' a resident said`, was most of their cost).
#: Those lookaheads fail after one scan in C, where the lazy `{1,120}?` tried up to
#: 120 ends one by one. Before the lookbehinds and those scans, a lookahead for the
#: next character the pattern needs (the space after a quote, `(?= )`; the space or
#: mark after a space, `(?=[ ,.;:!?])`): implied by what follows it, so the matches
#: are the same, and most places fail there at once. `quote_spacing` with `'` was
#: tried at each apostrophe of `'We have...' a resident said`, and a space fix at each
#: space (the space fixes 2x faster; extract over 4,000 dumps ~3 us a dump less).
INLINE_FIXES: tuple[InlineFix, ...] = (
    # `Minister 's` -> `Minister's`, `Texas ,` -> `Texas,`, `LUMPUR :` -> `LUMPUR:`
    InlineFix(
        "space_before_punctuation",
        re.compile(r" (?=[ '’])(?<=[\w'’\")\]] ) *(['’]s)(?=\W|$)"),
        _FIRST_GROUP,
        (" 's", " ’s"),
    ),
    InlineFix(
        "space_before_punctuation",
        re.compile(r" (?=[ ,.;:!?])(?<=[\w'’\")\]] ) *([,.;:!?])(?=\s|$|[\"'’”)])"),
        _FIRST_GROUP,
        (" ,", " .", " ;", " :", " !", " ?"),
    ),
    # `" Operation X "` -> `"Operation X"`
    InlineFix(
        "quote_spacing",
        re.compile(
            r"([\"“])(?= )(?<!\w[\"“])(?=[^\"“”\n]*+(?<= )[\"”])"
            r" +([^\"“”\n]{1,120}?) +([\"”])"
        ),
        r"\1\2\3",
        ('" ', "“ "),
        _led(r"LEAD(?= )(?<!\wLEAD)(?=[^\"“”\n]*+(?<= )[\"”]) +[^\"“”\n]{1,120}? +[\"”]", '"“'),
        _led(r"LEAD(?<= LEAD)", '"”'),  # ` +(["”])`: a closing quote after a space
    ),
    InlineFix(
        "quote_spacing",
        re.compile(
            r"(['‘])(?= )(?<!\w['‘])(?=[^'‘’\n]*+(?<= )['’](?!\w))"
            r" +([^'‘’\n]{1,120}?) +(['’])(?!\w)"
        ),
        r"\1\2\3",
        ("' ", "‘ "),
        _led(
            r"LEAD(?= )(?<!\wLEAD)(?=[^'‘’\n]*+(?<= )['’](?!\w)) +[^'‘’\n]{1,120}? +['’](?!\w)",
            "'‘",
        ),
        _led(r"LEAD(?<= LEAD)(?!\w)", "'’"),  # ` +(['’])(?!\w)`: a closing quote after a space
    ),
    # `matches.Audiences` -> `matches. Audiences` (paragraphs glued together). The
    # punctuation comes first in the pattern: a leading lookbehind made re scan slowly;
    # then the lookahead, which fails at once after most full stops (a space follows).
    InlineFix(
        "glued_sentences",
        re.compile(r"([.!?])(?=[A-Z][a-z])(?<=[a-z]{2}[.!?])"),
        r"\1 ",
        probes=_led(r"LEAD(?=[A-Z][a-z])(?<=[a-z]{2}LEAD)", ".!?"),
    ),
    # `‘tribute'` -> `‘tribute’`
    InlineFix("curly_quote_pair", re.compile(r"‘([^‘’'\n]{1,120})'(?!\w)"), r"‘\1’", ("‘",)),
)


_ANY_FIX_NEEDLE = re.compile("|".join(re.escape(n) for f in INLINE_FIXES for n in f.needles))
#: The indexes in `INLINE_FIXES` of the fixes without needles: they may apply to any line.
_NEEDLELESS = frozenset(i for i, f in enumerate(INLINE_FIXES) if not f.needles)


def _led_by_mark(needle: str, mark: str) -> re.Pattern[str]:
    """A regex that finds `needle` by its `mark`: the mark, then a look behind it for
    the characters of the needle before it, then the rest. Its first match from `pos +
    lead` (`lead`: where the mark sits in the needle) starts `lead` characters after
    the first `needle` from `pos`: the same occurrence, found another way.

    `re` skips to a literal character at C speed and looks behind it only there, where
    `str.find` of a needle that starts with a space (` .`, ` 's`) or ends with one
    (`' `) tests nearly every position of prose: over the main texts of 2,000 dumps the
    needles' first hits cost ~5.4 us a text instead of ~10.2."""
    lead = needle.index(mark)
    behind = f"(?<={re.escape(needle[: lead + 1])})" if lead else ""
    return re.compile(re.escape(mark) + behind + re.escape(needle[lead + 1 :]))


#: Every needle, with the index of its fix, its mark (see `_mark`), where the mark sits
#: in it and the regex that finds it by its mark (`_led_by_mark`; every needle of the
#: inline fixes has a mark).
_NEEDLES = tuple(
    (n, i, m, n.index(m), _led_by_mark(n, m))
    for i, f in enumerate(INLINE_FIXES)
    for n in f.needles
    if (m := _mark(n))
)
assert len(_NEEDLES) == sum(len(f.needles) for f in INLINE_FIXES), "an inline needle without a mark"
#: Needles are placed on lines by their hits in the joined text: not if one spans lines.
_NEEDLE_HOLDS_BREAK = any("\n" in n for f in INLINE_FIXES for n in f.needles)


def fix_inline(text: str, line: int) -> tuple[str, list[Repair]]:
    """Every inline fix, in order, on one line; each that applies is recorded once."""
    # Most lines hold no needle at all: one search then rules out every needled fix.
    if _ANY_FIX_NEEDLE.search(text) is None:
        return _fix(text, line, _NEEDLELESS)
    return _fix(text, line, frozenset(i for i, f in enumerate(INLINE_FIXES) if f.applies(text)))


def _fix(text: str, line: int, candidates: Collection[int]) -> tuple[str, list[Repair]]:
    """The fixes in order. `candidates`: the indexes of the fixes that apply to `text` as
    given (`InlineFix.applies`); once a fix has changed it, later ones are asked again."""
    repairs: list[Repair] = []
    changed = False
    for i, fix in enumerate(INLINE_FIXES):
        if not (fix.applies(text) if changed else i in candidates) or not fix.may_match(text):
            continue
        found = fix.pattern.search(text)
        if found is None:
            continue
        context = text[max(0, found.start() - 12) : found.end() + 12]
        text, n = fix.pattern.subn(fix.replacement, text)
        repairs.append(Repair(fix.kind, line, f"{n}x, first in {context!r}"))
        changed = True
    return text, repairs


def fix_lines(lines: Sequence[Line]) -> tuple[list[Line], list[Repair]]:
    """`fix_inline` on every line of one text, in order, with the needles looked for once.

    Each fix's needles are found in the whole text, and each hit is placed on its line,
    so a line is searched only by the fixes whose needles it holds (unless the fix's
    probes rule it out for the whole text) and by those without needles that match it
    (see `_candidates`). Nothing else is done to the other lines: most lines have no
    artifact, and every rule tested on every line was most of this stage's time.
    A text of one short line (a card's teaser) is fixed once and remembered.
    """
    if len(lines) == 1 and len(lines[0][1]) <= TEASER_CHARS:
        no, text = lines[0]
        fixed, done = _fixed_teaser(text)
        return [(no, fixed)], [Repair(kind, no, detail) for kind, detail in done]
    return _fix_lines(lines)


#: Teasers remembered (most recently used), each at most `TEASER_CHARS` long: about
#: 2.5 MB, 8 MB at most for ASCII text. On 20,000 dumps, 82% of cards showed a teaser
#: among the last 4,096 seen, 73% among the last 2,048 (89% among the last 8,192);
#: teasers are 500 characters or so (876 at most there), and a longer line is fixed
#: each time. The bound of both `_fixed_teaser` (one-line texts) and
#: `extract._card_text` (cards of one whole line, which then skip `_fixed_teaser`).
TEASERS_REMEMBERED = 4096
TEASER_CHARS = 1000


@lru_cache(maxsize=TEASERS_REMEMBERED)
def _fixed_teaser(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A one-line text fixed, and each fix's kind and detail (the line is the caller's).

    Remembered: a card's teaser is shown on many pages (an article is linked from the
    pages of the articles next to it, for days), and fixing one costs a search per
    needle over it. The fixes depend on the text alone, so the answer is the same.
    """
    [(_, fixed)], repairs = _fix_lines([(0, text)])
    return fixed, tuple((r.kind, r.detail) for r in repairs)


class Teaser(NamedTuple):
    """A card's teaser of one line, repaired as `repair_card` repairs it, with its ends
    as columns of that line rather than positions in a dump (see `repaired_teaser`)."""

    text: str  # stripped and fixed ('' when the line is blank)
    repairs: tuple[tuple[str, str], ...]  # each repair's kind and detail, in order
    first: int | None  # the column of the first kept character; None when blank
    last: int | None  # the column of the last kept character


def repaired_teaser(raw: str) -> Teaser:
    """`repair_card` of a card whose one line is `raw`, found at column 0 of its line;
    the line number is the caller's to add.

    Everything `repair_card` does to a teaser (strip, inline fixes, its ends) depends on
    its text alone, so `extract` remembers the answer by text (`extract._card_text`)
    and builds a card's sighting without tracing its line at all.
    """
    line = Traced.of(1, raw).strip()
    [(_, fixed)], repairs = _fix_lines([(1, line.text)])
    first, last = line.first, line.last
    return Teaser(
        fixed,
        tuple([(r.kind, r.detail) for r in repairs]),
        first[1] if first else None,
        last[1] if last else None,
    )


def _fix_lines(lines: Sequence[Line]) -> tuple[list[Line], list[Repair]]:
    """`fix_lines`, each time."""
    if len(lines) == 1:  # a teaser: no lines to place needles on, and no joined text
        no, text = lines[0]
        fixed, done = _fix(text, no, _held(text))
        return [(no, fixed)], done
    held = _candidates([text for _, text in lines])
    if held is None:  # a line with a line break of its own: each line on its own
        return _each_line(lines)
    out = list(lines)  # the common line: nothing to fix, passed over
    repairs: list[Repair] = []
    for index in sorted(held):
        no, text = lines[index]
        text, more = _fix(text, no, held[index])
        out[index] = (no, text)
        repairs += more
    return out, repairs


def _held(text: str) -> set[int]:
    """The indexes of the fixes that may apply to one line: those whose needles it
    holds (each needle's mark looked for first, see `_mark`, then the needle by its mark,
    see `_led_by_mark`), and those without needles.

    What `_candidates` finds for a text of one line, without joining it, placing hits
    on lines or searching it for the fixes without needles, which `_fix` does anyway
    (a card's teaser fixed the first time it is seen: ~9 -> ~6 us, 2,000 dumps).
    A fix held here that `_candidates` would not hold changes nothing: `_fix` applies
    a fix only where its pattern matches, and every match holds one of its needles.
    """
    held = set(_NEEDLELESS)
    for _, i, mark, _, finder in _NEEDLES:
        if mark in text and finder.search(text) is not None:  # `needle in text`
            held.add(i)
    return held


def _each_line(lines: Sequence[Line]) -> tuple[list[Line], list[Repair]]:
    out: list[Line] = []
    repairs: list[Repair] = []
    for no, text in lines:
        text, more = fix_inline(text, no)
        out.append((no, text))
        repairs += more
    return out, repairs


def _candidates(texts: Sequence[str]) -> dict[int, set[int]] | None:
    """For each line some fix may change: the fixes that may (whose needles it holds,
    and those without needles that match it). None when a line holds a line break
    (fixes are placed on lines by it).

    One search per needle over the whole text, led by its mark (`_led_by_mark`): a
    needle that is not there costs one pass, however many lines there are (a regex of
    all needles is slower: it stops at every space). Before it, a look for the needle's
    mark (see `_mark`), and a line holding a hit is passed for the next. A fix with
    probes is looked for once in the whole text before its needles are placed (lines
    such as `enough,' a resident` hold the needle `' ` of a quote fix that never
    matches them); a fix without needles is searched for once in the whole text, not
    in each line. Both rely on every match lying within one line (see `InlineFix`).
    """
    if _NEEDLE_HOLDS_BREAK or not texts:  # (no texts: no lines to place fixes on)
        return None
    for text in texts:  # one `memchr` each, where counting the breaks of the whole
        if "\n" in text:  # joined text looked at every character
            return None
    joined = "\n".join(texts)
    starts: list[int] = []  # where each line starts in `joined`, once a fix is placed
    # Per fix: its needles found, where first, and how to find the next (`_NEEDLES`).
    hits: dict[int, list[tuple[int, int, re.Pattern[str]]]] = {}
    for _, i, mark, lead, finder in _NEEDLES:
        if mark in joined:
            first = finder.search(joined)  # `joined.find(needle)`, by its mark
            if first is not None:
                hits.setdefault(i, []).append((first.start() - lead, lead, finder))
    found: dict[int, set[int]] = {}
    for i, fix in enumerate(INLINE_FIXES):
        if (fix.needles and i not in hits) or not fix.may_match(joined):
            continue
        for hit, lead, finder in hits.get(i, ()):
            if not starts:
                starts = _line_starts(texts)
            while hit >= 0:
                index = bisect_right(starts, hit) - 1
                found.setdefault(index, set()).add(i)
                # The line holds it: the next from the next line (`joined.find(needle,
                # starts[index + 1])`, by its mark).
                more = finder.search(joined, starts[index + 1] + lead)
                hit = -1 if more is None else more.start() - lead
        if not fix.needles:
            for match in fix.pattern.finditer(joined):
                if not starts:
                    starts = _line_starts(texts)
                found.setdefault(bisect_right(starts, match.start()) - 1, set()).add(i)
    return found


def _line_starts(texts: Sequence[str]) -> list[int]:
    """Where each of `texts` starts once they are joined by line breaks, and the end
    (`accumulate` of their sizes, from 0): a plain loop, C once compiled, where the
    closure and iterator that did it were generic calls."""
    starts = [0]
    at = 0
    for text in texts:
        at += len(text) + 1
        starts.append(at)
    return starts


class Repaired(NamedTuple):
    """A text after repairs: its lines, what was done, and where its ends came from (a
    named tuple, made for every sighting: built several times faster than a dataclass)."""

    lines: list[Line]
    repairs: list[Repair]
    first: Pos | None  # the first kept character, as (line, column) in the body lines
    last: Pos | None  # the last kept character


def repair_body(lines: Sequence[Line]) -> tuple[list[Line], list[Repair]]:
    """Everything done to a main article's body lines (see `repair_main`)."""
    done = repair_main([Traced.of(no, text) for no, text in lines])
    return done.lines, done.repairs


def repair_main(
    lines: Sequence[Traced], *, furniture: Furniture | None = None, keep_furniture: bool = False
) -> Repaired:
    """A main article's body, in order: junk lines, furniture phrases, joins, furniture
    by context, inline fixes. `keep_furniture` leaves page furniture in (to compare with
    a transcription of the page as shown); `furniture` defaults to the shipped data."""
    if keep_furniture:
        furniture = None
    elif furniture is None:
        furniture = load_furniture()
    kept, repairs = drop_junk_traced(lines)
    if furniture is None:
        joined, more = join_split_traced(kept)
        return _finish(joined, repairs + more)
    items, more = _drop_phrases(kept, furniture)
    if more:
        repairs += more
        runs = _joined_runs(items, repairs)
        why = furniture.classify([t.text if isinstance(t, Traced) else t for t in runs])
    else:  # most texts: nothing cut or dropped (each comes with its repair), no marker
        joined, more = join_split_traced(kept)
        repairs += more
        runs = cast(list[Traced | Marker], joined)
        why = furniture.classify([t.text for t in joined])
    if not any(why):  # most texts: every line kept (and so no marker, always furniture)
        return _finish(cast(list[Traced], runs), repairs)
    texts: list[Traced] = []
    for item, reason in zip(runs, why, strict=True):
        if not isinstance(item, Traced):
            continue
        if reason is not None:
            repairs += [
                Repair("drop_furniture_line", no, f"{reason}: {item.text[:60]}")
                for no in item.source_lines
            ]
            continue
        texts.append(item)
    return _finish(texts, repairs)


def _joined_runs(items: Sequence[Traced | Marker], repairs: list[Repair]) -> list[Traced | Marker]:
    """Each run of lines between furniture markers joined (`join_split_traced`), the
    markers kept in place: joins never reach across a furniture line, which is context
    for the classifier. The joins' repairs are added to `repairs`."""
    if all(type(item) is Traced for item in items):  # most texts: no phrase dropped
        joined, more = join_split_traced(cast(list[Traced], items))
        repairs += more
        return cast(list[Traced | Marker], joined)
    out: list[Traced | Marker] = []
    run: list[Traced] = []
    for item in [*items, None]:
        if isinstance(item, Traced):
            run.append(item)
            continue
        joined, more = join_split_traced(run)
        repairs += more
        out += joined
        run = []
        if item is not None:
            out.append(item)
    return out


def repair_card(lines: Sequence[Traced]) -> Repaired:
    """A card's teaser: stripped and fixed inline, nothing dropped."""
    if len(lines) == 1:  # the usual teaser: one line, most often fixed before
        line = lines[0].strip()
        [(_, fixed)], repairs = fix_lines([(line.line, line.text)])
        return Repaired([(line.line, fixed)], repairs, line.first, line.last)
    return _finish([line.strip() for line in lines], [])


def _finish(texts: Sequence[Traced], repairs: list[Repair]) -> Repaired:
    """Inline fixes; they change no first or last character, so the ends stay traced."""
    fixed, inline = fix_lines([(t.line, t.text) for t in texts])
    repairs += inline
    # The first and last texts with a traced character (most often the first and last).
    first = next((f for t in texts if (f := t.first) is not None), None)
    last = next((f for t in reversed(texts) if (f := t.last) is not None), None)
    return Repaired(fixed, repairs, first, last)


def _drop_phrases(
    lines: Sequence[Traced], furniture: Furniture
) -> tuple[list[Traced | Marker], list[Repair]]:
    """Cut inline furniture out of each line, then drop lines that are a known phrase."""
    items: list[Traced | Marker] = []
    repairs: list[Repair] = []
    # Inline furniture is rare: one look at the whole text usually rules it out.
    joined = "\n".join([line.text for line in lines])
    cuts = furniture.may_cut(joined)
    # Most texts are ASCII, their only white space spaces and line breaks: told once
    # here, each line's spacing is then told by its spaces (see `plain_spaced`).
    plain = plain_spaced(joined)
    for line in lines:
        spans = furniture.inline_spans(line.text) if cuts else []
        if spans:
            parts, at = [], 0
            for start, end in spans:
                parts.append(line.cut(at, start).strip())
                repairs.append(
                    Repair("drop_furniture_text", line.line, repr(line.text[start:end][:60]))
                )
                at = end
            parts.append(line.cut(at, len(line.text)).strip())
            kept = [(" ", p) for p in parts if p.text]
            if not kept:
                items.append(Marker(rail=False))
                continue
            line = Traced.concat(kept)
        kind = furniture.phrase(line.text, plain)
        if kind is not None:
            text = line.text.strip()[:60]
            repairs.append(Repair("drop_furniture_line", line.line, f"{kind}: {text}"))
            items.append(Marker(rail=kind == "rail heading"))
            continue
        items.append(line)
    return items, repairs


_WS = re.compile(r"\s+")


def canonical(text: str) -> str:
    """Whitespace-normalised text with the inline repairs applied.

    Comparing two renderings of the same text (a gold answer and a parsed row, a teaser
    and a main text) in this form ignores exactly the artifacts we repair.
    """
    text = _WS.sub(" ", text).strip()
    for fix in INLINE_FIXES:
        text = fix.pattern.sub(fix.replacement, text)
    return text
