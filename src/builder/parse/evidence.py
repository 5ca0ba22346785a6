"""Is this text a page at all? Generic evidence for a dump that shows no site marker.

A layout's own markers (boilerplate lines, the logo prelude, a listing heading, cards)
live in the layout data and are checked by the segmenter. About one real dump in eight
is cut before any of them, though, and then only the shape of the text can tell a news
page from a note, a list or a source file that was dropped among the dumps. A page cut
that early is a headline followed by prose; anything showing markup or code, or short
lines instead of prose, is not guessed at: `article_hint` says what it looked like, so
the quarantine reason helps the user find the stray file.

These rules are deliberately few and language-neutral (word counts, punctuation, the
syntax of common file formats, e-mail headers), but for the clauses of software licences
(written in English whatever the project's language: a LICENSE.txt is a common stray
among dumps). Site or language specific words belong in the layout data, not here.

The module also finds image-URL fragments (`&w=3840&q=100)`) left above a page's title,
which copying a page by selection leaves where a picture was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from builder.records import Repair

#: Only the first lines are looked at: what a text is shows at its top, and a dump of
#: 100,000 lines must cost no more than one of 40.
SAMPLE_LINES = 40
SAMPLE_CHARS = 2_000

#: A prose line has at least this many words (CJK characters count as half a word);
#: a headline at least `MIN_TITLE_WORDS`.
PROSE_WORDS = 8
MIN_TITLE_WORDS = 3
#: Share of the sampled body's characters that must sit in prose lines.
PROSE_SHARE = 0.5

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Sign:
    """Lines of one kind that show a file format: `kind` names the format in the hint.

    The text shows the format when at least `min_lines` of the sampled lines match
    (one stray line in an article is not enough), or when its first line does and
    `first_line` says that is enough (`[build-system]` opens no headline, but
    `"Quoted": words` may).
    """

    kind: str
    label: str
    pattern: re.Pattern[str]
    min_lines: int = 2
    first_line: bool = True
    #: The pattern may match anywhere in a line (searched), not the whole line.
    anywhere: bool = False
    #: Texts of which a line the pattern matches holds one (lower case when the pattern
    #: ignores case): a line with none is passed over without running the pattern.
    needles: tuple[str, ...] = ()
    #: Whether the pattern ignores case, read from its flags once: `flags &
    #: re.IGNORECASE` is an operation of the `RegexFlag` enum, ~1 us in Python, and
    #: `may_match` asks it of every line of a page without markers.
    ignore_case: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignore_case", bool(self.pattern.flags & re.IGNORECASE))

    def matches(self, line: str) -> bool:
        if self.needles and not self.may_match(line):
            return False
        found = self.pattern.search(line) if self.anywhere else self.pattern.fullmatch(line)
        return found is not None

    def may_match(self, line: str) -> bool:
        """False when `line` holds none of the needles, so that the pattern cannot match.

        Ignoring case, `re` takes four characters outside ASCII for ASCII letters (`İ`
        `ı` for i, `ſ` for s, the Kelvin sign for k): a line holding one is tested by
        the pattern itself; in any other, a match is a needle in `line.lower()`. The
        needles are looked for by `map` (no generator to resume per needle).
        """
        if self.ignore_case:
            if not line.isascii() and any(map(line.__contains__, CASE_TWINS)):
                return True
            line = line.lower()
        return any(map(line.__contains__, self.needles))


#: The characters outside ASCII that `re` matches to an ASCII letter when ignoring
#: case (every code point is tried by a test).
CASE_TWINS = "\u0130\u0131\u017f\u212a"


def _sign(
    kind: str,
    label: str,
    pattern: str,
    min_lines: int = 2,
    *,
    first_line: bool = True,
    anywhere: bool = False,
    needles: tuple[str, ...] = (),
) -> Sign:
    return Sign(kind, label, re.compile(pattern), min_lines, first_line, anywhere, needles)


#: Checked in this order on stripped lines (whole-line matches unless `anywhere`; each
#: pattern runs in linear time on a line, however odd): Python before TOML
#: because `x = 1` is both, and both before Markdown because `# comment` is all three.
SIGNS: tuple[Sign, ...] = (
    _sign("Python source", "shebang", r"#!.*python.*", 1),
    _sign(
        "Python source",
        "statement",
        r"import [\w.]+(?: as \w+)?(?:, *[\w.]+)*|from (?:\.+|\.*\w[\w.]*) import [\w*( ,)]+"
        r"|(?:async )?def \w+\(.*\)(?: *-> *.+)?:|class \w+(?:\(.*\))?:|if __name__ == .+:",
    ),
    _sign("Python source", "docstring", r"(?:\"\"\"|''').*"),
    _sign("TOML/INI", "section", r"\[\[?[\w.\-\"' ]+\]\]?"),
    _sign("TOML/INI", "setting", r"[\w.\-\"]+ *= *\S.*", 3, first_line=False),
    _sign("JSON", "opening", r"[\[{]|\{ *\".*|\[ *[\[{\"\d].*", 1),
    _sign("JSON", "member", r"\"[^\"]+\" *: *.*", 3, first_line=False),
    _sign("Markdown", "heading", r"#{1,6} +\S.*"),
    _sign("Markdown", "code fence", r"(?:```|~~~).*"),
    _sign(
        "Markdown",
        "link",
        r"\[[^\]\n]{1,200}\]\((?:https?://|/|\.|#)[^)\s]*\)",
        first_line=False,
        anywhere=True,
    ),
    _sign("Markdown", "table row", r"\|.*\|", first_line=False),
    _sign("Markdown", "task item", r"[-*+] \[[ xX]\] .*"),
    _sign(
        "an e-mail",
        "header",
        r"(?:From|To|Cc|Bcc|Subject|Date|Reply-To|Message-ID|MIME-Version|Content-Type)"
        r": .{1,200}",
        first_line=False,
    ),
    _sign(
        "a licence text",
        "clause",
        r"(?i)(?:permission is hereby granted,? free of charge|redistribution and use in "
        r"source and binary forms|this program is free software|the software is provided "
        r"\W?as is\W|licensed under the (?:apache|mit|bsd|gnu|mozilla|eclipse)\b).{0,200}",
        1,
        anywhere=True,
        # Searching every line of a page's prose for the clauses, case ignored, took
        # most of `article_hint`'s time; the clauses' first words are rare.
        needles=(
            "permission is hereby granted",
            "redistribution and use in source and binary forms",
            "this program is free software",
            "the software is provided",
            "licensed under the ",
        ),
    ),
    _sign(
        "source code",
        "statement",
        r"#include\b.*|<\?php.*|(?:function|const|let|var|fn|func|package|using|namespace)"
        r" [\w$]+.*[({=;]|//.*|/\*.*|[{}]|[^\n]*+(?<=[;{])",
        3,
        first_line=False,
        # Each way to match holds one of these.
        needles=("#", "<", "(", "{", "}", "=", ";", "/"),
        # The last way, a line ending in `;` or `{`, is `.*[;{]` written so as not to
        # backtrack over the line (`.*` gave a character back at a time to look for
        # the `;`): the run of the line taken whole, then its last character looked at.
        # Most prose lines hold a needle, so this runs on them: ~1 us a line less.
    ),
)


def _pooled(sign: Sign) -> bool:
    """Whether `sign` is tested in `_WHOLE_LINES`: a whole-line pattern without flags or
    groups of its own (joined, it means what it means alone) and without needles."""
    pattern = sign.pattern
    return not (sign.anywhere or sign.needles or pattern.groups) and pattern.flags == re.U


#: The pooled signs' patterns as one alternation: a line it does not fullmatch matches
#: none of them, and is passed over for each (most lines of an article are such).
_WHOLE_LINES = re.compile("|".join(f"(?:{s.pattern.pattern})" for s in SIGNS if _pooled(s)))
_SIGNS_POOLED = tuple((sign, _pooled(sign)) for sign in SIGNS)

#: An image-URL fragment is a short query string; longer lines are not tested.
MAX_FRAGMENT_CHARS = 500
_UNDERLINE = re.compile(r"={3,}|-{3,}")
_IMAGE_FRAGMENT = re.compile(r"(?:\S*[?&])?[\w%]+=[^\s&]*(?:&[\w%]+=[^\s&]*)+\)?")


def _has_words(line: str, least: int) -> bool:
    """Whether `line` has at least `least` words, CJK characters counting as half a
    word each: `len(line.split()) + len(_CJK.findall(line)) // 2 >= least`.

    No more than `least` words are split off (a line of prose has fifty, each a new
    string, and only whether it has eight is asked): `line.split(None, least - 1)` has
    `least` items (the last the rest of the line) when the line has that many words,
    else one per word. CJK characters only add, and an ASCII line has none (`isascii`
    is a flag read, not a scan).
    """
    words = len(line.split(None, least - 1))
    if words >= least or line.isascii():
        return words >= least
    return words + len(_CJK.findall(line)) // 2 >= least


def _quote(line: str) -> str:
    return repr(line if len(line) <= 40 else line[:37] + "...")


def _format_sign(title: str, lines: Sequence[str]) -> str | None:
    """`Markdown (heading '# Notes')` when the text shows a file format, else None."""
    title_may = _WHOLE_LINES.fullmatch(title) is not None
    maybe = [line for line in lines if _WHOLE_LINES.fullmatch(line)]
    joined = "\n".join(lines)  # a line holding a needle leaves it in the joined lines
    for sign, pooled in _SIGNS_POOLED:
        if sign.first_line and (title_may or not pooled) and sign.matches(title):
            return f"{sign.kind} ({sign.label} {_quote(title)})"
        if pooled:
            hits = [line for line in maybe if sign.matches(line)]
        elif sign.needles and not sign.may_match(joined):
            hits = []  # no line holds a needle: none matches (one scan, not one per line)
        else:
            hits = [line for line in lines if sign.matches(line)]
        if len(hits) >= sign.min_lines:
            return f"{sign.kind} ({sign.label} {_quote(hits[0])})"
    if lines and _UNDERLINE.fullmatch(lines[0]):
        return f"Markdown (heading underline {_quote(lines[0])})"
    return None


def article_hint(title: str, body: Sequence[str]) -> str | None:
    """None when `title` + `body` read like a news article cut before its page's markers;
    otherwise what the text looks like instead, for the quarantine reason.

    An article: no sign of markup or code, a headline of a few words, and a body whose
    characters are mostly in prose lines (`PROSE_WORDS`+ words, mostly letters).
    """
    title = title.strip()[:SAMPLE_CHARS]
    lines = [s for s in (line.strip()[:SAMPLE_CHARS] for line in body[:SAMPLE_LINES]) if s]
    found = _format_sign(title, lines)
    if found is not None:
        return f"looks like {found}"
    if not lines:
        return "a single line, no site marker"
    prose = [line for line in lines if _has_words(line, PROSE_WORDS) and _mostly_letters(line)]
    total = sum(len(line) for line in lines)
    if not prose or sum(len(line) for line in prose) < PROSE_SHARE * total:
        short = sum(1 for line in lines if not _has_words(line, PROSE_WORDS))
        if short >= 2 and short >= 0.6 * len(lines):
            return "looks like a short list, not prose"
        return "the text after the first line does not read like an article"
    if not _has_words(title, MIN_TITLE_WORDS) or title.endswith((",", ";")):
        return f"the first line {_quote(title)} does not read like a headline"
    return None


def _mostly_letters(line: str) -> bool:
    """Prose is mostly letters and spaces; data, URLs and code are not."""
    return _letters_and_spaces(line) >= 0.75 * len(line)


#: ASCII letters and whitespace, as `str.isalpha` and `str.isspace` tell.
_ASCII_LETTERS_SPACES = bytes(c for c in range(128) if chr(c).isalpha() or chr(c).isspace())
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _letters_and_spaces(line: str) -> int:
    """`sum(1 for ch in line if ch.isalpha() or ch.isspace())`, the ASCII part counted
    in C (deleting those bytes), the rest character by character; a line mostly
    outside ASCII (Arabic) is counted the plain way, which is faster for it."""
    ascii_part = line.encode("ascii", "ignore")
    if 2 * len(ascii_part) < len(line):
        return sum(1 for ch in line if ch.isalpha() or ch.isspace())
    count = len(ascii_part) - len(ascii_part.translate(None, _ASCII_LETTERS_SPACES))
    if len(ascii_part) < len(line):
        others = "".join(_NON_ASCII.findall(line))
        count += sum(1 for ch in others if ch.isalpha() or ch.isspace())
    return count


def _is_image_fragment(line: str) -> bool:
    """Whether a stripped line is an image-URL fragment: short, and the pattern matches.

    A fragment holds `=` and `&` (the pattern asks for two `name=value`s joined by
    `&`): a title, which has neither, is passed over without running the pattern."""
    return (
        len(line) <= MAX_FRAGMENT_CHARS
        and "&" in line
        and "=" in line
        and _IMAGE_FRAGMENT.fullmatch(line) is not None
    )


def skip_leading_fragments(text: str, reserved: frozenset[str]) -> tuple[str, tuple[Repair, ...]]:
    """Blank out image-URL fragment lines above the title, recording each as dropped junk.

    Only lines before the first line that is neither blank, a fragment, nor page
    furniture (`reserved`, e.g. the logo line) are looked at. A blanked line keeps its
    place (it becomes empty), so line numbers and byte offsets stay those of the dump.
    """
    if "&" not in text:  # every fragment holds one: none here (most pages; ~0.6 us)
        return text, ()
    repairs: list[Repair] = []
    pos, seen = 0, 0
    while pos < len(text) and seen < 8:
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        line = text[pos:end].strip()
        if line:
            seen += 1
            if _is_image_fragment(line):
                no = text.count("\n", 0, pos) + 1
                repairs.append(Repair("drop_junk_line", no, f"image url fragment: {line[:60]}"))
                text = text[:pos] + text[end:]
                end = pos
            elif line not in reserved:
                break
        pos = end + 1
    return text, tuple(repairs)
