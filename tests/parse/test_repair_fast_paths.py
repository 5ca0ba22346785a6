"""The repair stage's fast paths give exactly what the plain definitions give.

Needles are looked for once per text rather than per line and rule, lines without one
are passed over, patterns are spelt to start with their first character, and a prose
line is split only as far as its first stop word. Each test here states the plain
definition (every rule on every line, the pattern as first written, every word split)
and checks the fast path against it on generated text dense in the characters and
phrases the rules look for, so that a wrong shortcut shows as a different output.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from importlib import resources
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from builder.inputs.decode import Decoded, decode
from builder.parse.furniture import (
    _LETTER,
    _WORD_EDGE,
    LONG_CHARS,
    LONG_STOP_SHARE,
    MAX_PHRASE_CHARS,
    MIN_RUN,
    SHORT_WORDS,
    Furniture,
    Kind,
    Marker,
    _by_context,
    _single_spaced,
    _single_spaced_plain,
    _whole_lines,
    _widest,
    ends_sentence,
    load_furniture,
    plain_spaced,
)
from builder.parse.repair import (
    INLINE_FIXES,
    JUNK_RULES,
    MAX_JUNK_LINE_CHARS,
    TEASER_CHARS,
    JunkRule,
    Piece,
    Traced,
    _candidates,
    _drop_phrases,
    _ends_dash,
    _ends_sentence,
    _finish,
    _fix_lines,
    _fixed_teaser,
    _glue,
    _held,
    _is_link_text,
    _junk_rules,
    _led_by_mark,
    _mark,
    drop_junk,
    drop_junk_traced,
    fix_inline,
    fix_lines,
    join_split_traced,
    repair_card,
    repair_main,
)
from builder.parse.spans import TextLines
from builder.records import Repair

#: Bits of text that trip the rules: needles, artifacts, junk lines, furniture, and
#: characters whose lower case is longer (İ) or depends on context (Σ).
FRAGMENTS = [
    "The ferry",
    "the",
    "of",
    "said",
    "Harbour",
    "x",
    " ",
    "  ",
    "\t",
    ",",
    " ,",
    " .",
    " :",
    " ;",
    " !",
    " ?",
    ".",
    "!",
    "?",
    "'",
    "‘",
    "’",
    '"',
    "“",
    "”",
    " 's",
    " ’s",
    "' ",
    '" ',
    "“ ",
    "‘ ",
    "matches.Audiences",
    "‘tribute'",
    "ab.Cd",
    "ab!Cd",
    "ab?Cd",
    "'We",
    "enough,' a",
    " ' ",
    " ’ ",
    '" ',
    " ”",
    "\u201c ",
    "Play Video",
    "Advertisement ",
    "ADVERTISEMENT",
    "Read more",
    "» Read more: x",
    "Sign up for our daily newsletter",
    "function() {",
    "googletag.cmd",
    "window.x = 1",
    "var a = 1;",
    "%3Cp%3E",
    "%20%20%20",
    "&w=1&q=2",
    "=",
    "(Photo by Jane Roe)",
    "(",
    ")",
    "Date: 2025-07-01T12:00:00Z",
    "Title: x",
    "Content: y",
    "07:30",
    ":",
    "•",
    "Text Size:",
    "* Follow us on Ferrygram *",
    "Share",
    "Tags:",
    "Read more",
    "—",
    "–",
    "é",
    "İ",
    "Σ",
    "في",
    "؟",
    "…",
    "\u00a0",
]

line_text = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)
many_lines = st.lists(line_text, max_size=8)
SETTINGS = settings(max_examples=400, deadline=None)


# --- inline fixes ------------------------------------------------------------------------

#: The inline fixes' patterns as first written, led by a lookbehind (slow to search).
PLAIN_SPELLINGS = [
    r"(?<=[\w'’\")\]]) +(['’]s)(?=\W|$)",
    r"(?<=[\w'’\")\]]) +([,.;:!?])(?=\s|$|[\"'’”)])",
    r"(?<!\w)([\"“]) +([^\"“”\n]{1,120}?) +([\"”])",
    r"(?<!\w)(['‘]) +([^'‘’\n]{1,120}?) +(['’])(?!\w)",
    r"([.!?])(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])",
    r"‘([^‘’'\n]{1,120})'(?!\w)",
]


@SETTINGS
@given(line_text)
def test_each_fix_matches_as_its_plain_spelling(text: str) -> None:
    assert len(PLAIN_SPELLINGS) == len(INLINE_FIXES)
    for plain, fix in zip(PLAIN_SPELLINGS, INLINE_FIXES, strict=True):
        slow = re.compile(plain)
        assert [m.span() for m in fix.pattern.finditer(text)] == [
            m.span() for m in slow.finditer(text)
        ]
        assert fix.pattern.subn(fix.replacement, text) == slow.subn(fix.replacement, text)


@SETTINGS
@given(line_text)
def test_probes_match_where_their_fix_does(text: str) -> None:
    """A fix's probes, each led by one character, find a match exactly when the fix's
    pattern does: a text they rule out is never searched with the pattern."""
    probed = [fix for fix in INLINE_FIXES if fix.probes]
    assert len(probed) == 3
    for fix in probed:
        assert fix.may_match(text) == (fix.pattern.search(text) is not None)


def test_the_probes_comparison_can_fail() -> None:
    """Probes for a mark the text lacks find nothing: dropping `!` from the glued
    sentences' probes misses `ferry!Then`, which the pattern fixes."""
    glued = next(f for f in INLINE_FIXES if f.kind == "glued_sentences")
    assert glued.may_match("The ferry!Then") and glued.pattern.search("The ferry!Then")
    without = [(c, p) for c, p in glued.probes if c != "!"]
    assert not any(c in "The ferry!Then" and p.search("The ferry!Then") for c, p in without)


@SETTINGS
@given(line_text)
def test_a_fix_s_closers_match_wherever_it_does(text: str) -> None:
    """A text the fix's pattern matches in holds a match of one of its closers (what
    `may_match` looks for first; `test_probes_match_where_their_fix_does` checks that
    `may_match` stays exact)."""
    closed = [fix for fix in INLINE_FIXES if fix.closers]
    assert [fix.kind for fix in closed] == ["quote_spacing", "quote_spacing"]
    for fix in closed:
        if fix.pattern.search(text) is not None:
            assert any(c in text and p.search(text) for c, p in fix.closers), text


def test_the_closers_comparison_can_fail() -> None:
    """Closers without the curly one miss `‘ tribute ’`, which the pattern fixes."""
    quote = next(f for f in INLINE_FIXES if f.closers and "'" in f.needles[0])
    text = "A ‘ tribute ’ to them"
    assert quote.pattern.search(text) and quote.may_match(text)
    without = replace(quote, closers=tuple((c, p) for c, p in quote.closers if c != "’"))
    assert not without.may_match(text)
    # And closers spare the probes where a quote never closes after a space.
    assert not quote.may_match("'We have waited long enough,' a resident said. 'Yes.'")


def _per_line_matches(texts: list[str], pattern: re.Pattern[str]) -> list[tuple[int, int, int]]:
    return [(no, *m.span()) for no, text in enumerate(texts) for m in pattern.finditer(text)]


def _joined_matches(texts: list[str], pattern: re.Pattern[str]) -> list[tuple[int, int, int]]:
    """Matches in the lines joined by line breaks, placed back on their lines."""
    starts, at = [], 0
    for text in texts:
        starts.append(at)
        at += len(text) + 1
    out = []
    for m in pattern.finditer("\n".join(texts)):
        no = max(i for i, s in enumerate(starts) if s <= m.start())
        assert "\n" not in m.group()
        out.append((no, m.start() - starts[no], m.end() - starts[no]))
    return out


@SETTINGS
@given(many_lines)
def test_every_fix_matches_within_lines(texts: list[str]) -> None:
    """Fixes (and probes) are looked for once in a whole text, not line by line: that
    finds the same matches only because none crosses a line break, and lookarounds see
    a line's break as they see its end."""
    for fix in INLINE_FIXES:
        for pattern in [fix.pattern, *(p for _, p in fix.probes)]:
            assert _joined_matches(texts, pattern) == _per_line_matches(texts, pattern)


def test_the_within_lines_comparison_can_fail() -> None:
    """A pattern that runs over a line break matches differently joined: the
    comparison above is not empty."""
    loose = re.compile(r"([.!?])(?<=[a-z]{2}[.!?])(?=\s*[A-Z][a-z])")
    texts = ["It sailed.", "Then it sank."]
    assert _joined_matches(texts, loose) != _per_line_matches(texts, loose)


def _real_texts(shared: Path) -> list[list[str]]:
    """The lines of every real page (a whole page, furniture and all, as one text)."""
    paths = sorted((shared / "corpus" / "daily8-dev").glob("*.txt"))
    decoded = [decode(path.read_bytes()) for path in paths]
    return [d.text.split("\n") for d in decoded if isinstance(d, Decoded)]


def test_fast_paths_on_real_pages(shared_dir: Path) -> None:
    """On every real page: probes as their patterns, matches within lines, and the
    fixes and junk rules of a whole text as the plain definitions, line by line."""
    pages = _real_texts(shared_dir)
    assert len(pages) > 30
    for texts in pages:
        for fix in INLINE_FIXES:
            assert _joined_matches(texts, fix.pattern) == _per_line_matches(texts, fix.pattern)
            for text in texts:
                if fix.probes:
                    assert fix.may_match(text) == (fix.pattern.search(text) is not None)
        lines = list(enumerate(texts, start=1))
        assert fix_lines(lines) == _fix_each_line(lines)
        assert drop_junk(lines) == _drop_junk_plainly(lines)


def test_the_plain_spellings_comparison_can_fail() -> None:
    """Dropping the lookbehind changes what matches: the comparison above is not empty."""
    text = "It's ' soft ' now"
    loose = re.compile(r"(['‘]) +([^'‘’\n]{1,120}?) +(['’])(?!\w)")
    assert loose.search(text) != INLINE_FIXES[3].pattern.search(text)


def _fix_each_line(lines: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[Repair]]:
    """The plain definition: every fix whose needle the line holds, in order, per line."""
    out, repairs = [], []
    for no, text in lines:
        for fix in INLINE_FIXES:
            if fix.needles and not any(n in text for n in fix.needles):
                continue
            found = fix.pattern.search(text)
            if found is None:
                continue
            context = text[max(0, found.start() - 12) : found.end() + 12]
            text, n = fix.pattern.subn(fix.replacement, text)
            repairs.append(Repair(fix.kind, no, f"{n}x, first in {context!r}"))
        out.append((no, text))
    return out, repairs


@SETTINGS
@given(many_lines)
def test_fix_lines_is_fix_inline_on_each_line(texts: list[str]) -> None:
    lines = list(enumerate(texts, start=5))
    expected = _fix_each_line(lines)
    assert fix_lines(lines) == expected
    for no, text in lines:
        fixed, repairs = _fix_each_line([(no, text)])
        assert fix_inline(text, no) == (fixed[0][1], repairs)


@SETTINGS
@given(line_text, st.integers(1, 400))
def test_a_text_of_one_line_is_fixed_without_placing_needles(text: str, no: int) -> None:
    """A teaser (one line, never remembered here: `_fix_lines`) is fixed as the plain
    definition fixes it, also with a line break inside; the fixes it asks are those
    the way of many lines asks, and maybe more (which then change nothing)."""
    for one in (text, text.replace(",", "\n,", 1)):
        assert _fix_lines([(no, one)]) == _fix_each_line([(no, one)])
        placed = _candidates([one])
        if placed is not None:
            assert placed.get(0, set()) <= _held(one)


def test_the_fixes_held_by_one_line_are_those_of_its_needles() -> None:
    """`_held`: the needles' fixes, and every fix without needles; no other."""
    needleless = {i for i, fix in enumerate(INLINE_FIXES) if not fix.needles}
    assert _held("A clean line.") == needleless
    assert _held("Texas , and the ‘tribute'") == needleless | {1, 5}
    fixed, repairs = _fix_lines([(3, "Texas , and the ‘tribute'")])
    assert fixed == [(3, "Texas, and the ‘tribute’")]
    assert [(r.kind, r.line) for r in repairs] == [
        ("space_before_punctuation", 3),
        ("curly_quote_pair", 3),
    ]


@SETTINGS
@given(many_lines, st.integers(0, 7))
def test_fix_lines_with_a_line_break_inside_a_line(texts: list[str], at: int) -> None:
    """A line holding a line break is not placed by needle hits: each line on its own."""
    texts = [*texts, "a ,\nb"]
    texts.insert(min(at, len(texts)), "c\n' d '")
    lines = list(enumerate(texts, start=1))
    assert fix_lines(lines) == _fix_each_line(lines)


def test_a_fix_that_makes_a_needle_lets_the_later_fix_see_it() -> None:
    """Later fixes are asked again about a line an earlier fix changed."""
    text = "A ‘tribute' to the Minister 's crew , with ' soft words ' and matches.Audiences"
    assert fix_lines([(9, text)]) == _fix_each_line([(9, text)])
    assert fix_lines([(1, "clean line"), (9, text)]) == _fix_each_line(
        [(1, "clean line"), (9, text)]
    )


def test_needles_at_the_edges_of_lines_are_placed_on_their_lines() -> None:
    lines = [(1, "A ‘tribute' here"), (2, "‘tribute' again"), (3, "x ,"), (4, "clean")]
    assert fix_lines(lines) == _fix_each_line(lines)
    assert [t for _, t in fix_lines(lines)[0]] == [
        "A ‘tribute’ here",
        "‘tribute’ again",
        "x,",
        "clean",
    ]


@SETTINGS
@given(line_text)
def test_a_needle_led_by_its_mark_is_found_where_find_finds_it(text: str) -> None:
    """`_led_by_mark`: from any offset, its first match (less the mark's place in the
    needle) is `str.find`'s first hit of the needle, for every needle of the fixes and
    of needles whose mark is their first or last character."""
    needles = [n for fix in INLINE_FIXES for n in fix.needles] + ["'s ", "a.b", "."]
    for needle in needles:
        mark = _mark(needle)
        lead, finder = needle.index(mark), _led_by_mark(needle, mark)
        for pos in range(len(text) + 2):
            found = finder.search(text, pos + lead)
            assert (-1 if found is None else found.start() - lead) == text.find(needle, pos)


def test_the_needle_led_by_its_mark_comparison_can_fail() -> None:
    """A needle found without looking behind its mark is found in the wrong places."""
    finder = _led_by_mark(" .", ".")
    assert finder.search("a. b .") is not None and finder.search("a. b .").start() == 5
    assert re.compile(r"\.").search("a. b .").start() - 1 != "a. b .".find(" .")


# --- junk --------------------------------------------------------------------------------


def _drop_junk_plainly(lines: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[Repair]]:
    """The plain definition: every rule tested on every line."""
    kept, repairs = [], []
    in_header = False
    for index, (no, text) in enumerate(lines):
        stripped = text.strip()
        lower = stripped.lower()
        rule = None
        if len(stripped) <= MAX_JUNK_LINE_CHARS:
            rule = next(
                (
                    r
                    for r in JUNK_RULES
                    if (index == 0 or not r.first_line_only) and r.matches(stripped, lower)
                ),
                None,
            )
        if rule is not None and (rule.name != "header block" or index == 0 or in_header):
            in_header = rule.name == "header block"
            repairs.append(Repair("drop_junk_line", no, f"{rule.name}: {stripped[:60]}"))
            continue
        if in_header and lower.startswith("content: "):
            kept.append((no, stripped[len("content: ") :]))
            repairs.append(Repair("drop_junk_line", no, "header block: Content: prefix"))
        else:
            kept.append((no, text))
        in_header = False
    return kept, repairs


@SETTINGS
@given(many_lines)
def test_drop_junk_is_every_rule_on_every_line(texts: list[str]) -> None:
    lines = list(enumerate(texts, start=1))
    assert drop_junk(lines) == _drop_junk_plainly(lines)


def _holds_a_needle_and_its_mark(rule: JunkRule, line: str) -> bool:
    lower = line.strip().lower()
    marks = dict(rule.marks)
    return any(n in lower and marks.get(n, _mark(n)) in lower for n in rule.needles)


@SETTINGS
@given(line_text)
def test_junk_needles_and_marks_are_held_by_every_match(text: str) -> None:
    """A junk rule is tried on a text only if it holds one of the rule's needles with
    that needle's mark: every line a rule matches must hold such a pair."""
    for rule in JUNK_RULES:
        if rule.needles and rule.pattern.fullmatch(text.strip()):
            assert _holds_a_needle_and_its_mark(rule, text), rule.name


def test_inline_javascript_is_found_by_each_needle_and_mark() -> None:
    """Each way a script line matches holds its needle's mark; prose naming a function
    without a brace does not bring the rule in."""
    rule = next(r for r in JUNK_RULES if r.name == "inline javascript")
    scripts = [
        "function go(a) { x",
        "googletag.cmd",
        "window.ad = 1",
        "document.write(1)",
        "var n = 2;",
    ]
    for line in scripts:
        assert rule.pattern.fullmatch(line), line
        assert _holds_a_needle_and_its_mark(rule, line), line
        assert rule in _junk_rules([line]).rest
    assert rule not in _junk_rules(["The function of the ferry is clear."]).rest


def test_a_long_line_is_tested_when_the_text_holds_a_needle() -> None:
    long_prose = "The ferry operator said " * 20
    script = "var x = 1; " + "window.y = 2; " * 30
    lines = [(1, long_prose), (2, script), (3, long_prose)]
    kept, repairs = drop_junk(lines)
    assert [no for no, _ in kept] == [1, 3]
    assert [r.detail.split(":")[0] for r in repairs] == ["inline javascript"]
    assert (kept, repairs) == _drop_junk_plainly(lines)


# --- furniture ---------------------------------------------------------------------------


#: Whether a line ends a sentence, as first written: a regex search (for furniture
#: classes, and for lines an inline link broke).
_ENDS_SENTENCE = re.compile(r"[.!?…؟][\"'’”)\]»]*$")
_LINK_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'’”)\]]*$")

ENDINGS = st.lists(
    st.sampled_from(
        [
            "a",
            " ",
            ".",
            "!",
            "?",
            ":",
            ";",
            "…",
            "؟",
            '"',
            "'",
            "’",
            "”",
            ")",
            "]",
            "»",
            "\n",
            "(",
            "“",
        ]
    ),
    max_size=8,
).map("".join)


@SETTINGS
@given(ENDINGS)
def test_ends_sentence_is_the_regex_search(text: str) -> None:
    assert ends_sentence(text) == (_ENDS_SENTENCE.search(text) is not None)
    assert _ends_sentence(text) == (_LINK_ENDS_SENTENCE.search(text) is not None)
    assert _ends_dash(text) == (re.search(r"[—–(]$", text) is not None)


def test_ends_sentence_passes_over_one_final_line_break_as_dollar_does() -> None:
    assert ends_sentence("Done.”\n") and not ends_sentence("Done.\n\n")
    assert _ends_sentence("Wait:\n") and not _ends_sentence("Wait: x")


def _kind_plainly(text: str) -> Kind:
    """The plain definition of `Furniture.kind`: every word split and looked at."""
    stop_words = load_furniture().stop_words
    if _LETTER.search(text) is None:
        return "furniture"
    words = text[:2000].split()
    if (
        len(words) >= 2
        and _ENDS_SENTENCE.search(text)
        and any(w.strip(_WORD_EDGE).casefold() in stop_words for w in words)
    ):
        return "prose"
    if len(text) >= LONG_CHARS:
        stops = sum(1 for w in words if w.strip(_WORD_EDGE).casefold() in stop_words)
        if stops >= LONG_STOP_SHARE * len(words):
            return "prose"
    return "short" if len(words) <= SHORT_WORDS else "other"


def _phrase_plainly(text: str, furniture: Furniture | None = None) -> str | None:
    """The plain definition of `Furniture.phrase` (of the shipped data unless another
    `furniture` is given): white space always collapsed, rails, then the phrase lines,
    then the patterns, each on its own."""
    furniture = load_furniture() if furniture is None else furniture
    if len(text) > MAX_PHRASE_CHARS:
        return None
    line = " ".join(text.split())
    if furniture.rails is not None and furniture.rails.fullmatch(line):
        return "rail heading"
    if line.casefold() in furniture.lines:
        return "phrase"
    if furniture.patterns is not None and furniture.patterns.fullmatch(line):
        return "phrase"
    return None


#: Furniture phrases and every kind of white space `str.split` knows, printable or not.
SPACED = st.lists(
    st.sampled_from(
        [
            "Share",
            "Tags:",
            "Read more",
            "Most read",
            "Follow us on Ferrygram",
            "Photo: Jane Roe",
            "Text Size:",
            "The ferry",
            "x",
            "\u200b",
            *" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a",
            *"\u2028\u2029\u202f\u205f\u3000",
        ]
    ),
    max_size=10,
).map("".join)


@SETTINGS
@given(SPACED)
def test_phrase_is_the_plain_definition(text: str) -> None:
    assert load_furniture().phrase(text) == _phrase_plainly(text)
    if _single_spaced(text):
        assert " ".join(text.split()) == text


def test_phrase_lines_are_looked_up_only_as_long_as_they_can_be() -> None:
    """Lines longer than every phrase line are not case-folded: folding never shortens
    a text, so such a line is none of them (the long `ß` folds to the longer `ss`)."""
    furniture = load_furniture()
    assert furniture.longest_line == max(map(len, furniture.lines))
    assert all(len(c.casefold()) >= 1 for c in map(chr, range(0x110000)))
    longest = max(furniture.lines, key=len)
    assert furniture.phrase(longest) == "phrase" == _phrase_plainly(longest)
    assert furniture.phrase(longest + "x") == _phrase_plainly(longest + "x")


def test_a_phrase_with_odd_spaces_is_still_found() -> None:
    assert load_furniture().phrase("Share\u00a0this:") == "phrase" == _phrase_plainly("Share this:")
    assert load_furniture().phrase(" Most  read ") == "rail heading"


#: Lines of any length up to past `MAX_PHRASE_CHARS`: a phrase's start, words, an end.
LONG_LINES = st.builds(
    lambda start, n, word, end, last: start + (word * n + end if last else end + word * n),
    st.sampled_from(
        [
            "",
            "Sign up for our ",
            "Sign up: get the ",
            "Subscribe to the ",
            "Follow us on ",
            "Stay up-to-date by following ",
            "Read more about ",
            "Download the ",
            "Join us on ",
            "Facebook Twitter ",
            "Photo: ",
            "تابعونا على ",
        ]
    ),
    st.integers(0, 90),
    st.sampled_from(["ferry ", "x", " ", "Print ", "\t", ". "]),
    st.sampled_from(["", "newsletter", "newsletters!", " app", " Share", "  "]),
    st.booleans(),
)


@SETTINGS
@given(LONG_LINES)
def test_phrase_of_a_line_of_any_length_is_the_plain_definition(text: str) -> None:
    """Lines longer than every bounded phrase are matched by the unbounded ones alone."""
    assert load_furniture().phrase(text) == _phrase_plainly(text)


def test_long_lines_are_matched_by_the_unbounded_phrases_alone() -> None:
    furniture = load_furniture()
    widths = [_widest(p) for p in [*furniture_data("rails"), *furniture_data("patterns")]]
    bounded = [w for w in widths if w is not None and w < MAX_PHRASE_CHARS]
    assert furniture.long_from == max(bounded) == 149
    assert furniture.whole_long is not None and furniture.whole is not None
    assert len(furniture.whole_long.pattern) < len(furniture.whole.pattern) / 2
    # Beyond the widest bounded match, a bounded phrase is no match, an unbounded one is.
    start = "Stay up-to-date by following "  # the widest bounded pattern's start
    follow = start + "x" * (furniture.long_from - len(start))
    assert furniture.phrase(follow) == "phrase" == _phrase_plainly(follow)
    assert furniture.phrase(follow + "x") is None is _phrase_plainly(follow + "x")
    # The line's length once its white space is collapsed is the one that counts.
    assert furniture.phrase(follow.replace(" ", "   ")) == "phrase"
    signup = "Sign up: get the daily newsletter" + ", and more" * 15
    assert len(signup) > furniture.long_from
    assert furniture.phrase(signup) == "phrase" == _phrase_plainly(signup)


def test_the_long_lines_comparison_can_fail() -> None:
    """Long lines matched by the bounded phrases alone (wrong) differ from the plain way."""
    furniture = load_furniture()
    bounded = [
        [p for p in furniture_data(key) if (w := _widest(p)) is not None and w < 400]
        for key in ("rails", "patterns")
    ]
    wrong = replace(furniture, whole_long=_whole_lines(*bounded))
    signup = "Sign up: get the daily newsletter" + ", and more" * 15
    assert wrong.phrase(signup) is None != _phrase_plainly(signup)


#: ASCII lines of furniture phrases and spaces, now and then another control character
#: or white space (which `plain_spaced` turns down).
PLAIN = st.lists(
    st.sampled_from(
        [
            *["Share", "Tags:", "Read more", "Most read", "Photo: Jane Roe", "The ferry", "x"],
            *[" ", " ", "  ", "\n", "\x01", "\x7f", "\t", "\x1f", "é"],
        ]
    ),
    max_size=12,
).map("".join)


@SETTINGS
@given(st.lists(st.one_of(PLAIN, SPACED), min_size=1, max_size=4))
def test_a_plain_text_s_lines_are_spaced_as_the_plain_definition_says(lines: list[str]) -> None:
    """In a text that `plain_spaced` holds, a line's spacing is told by its spaces alone."""
    text = "\n".join(lines)
    for line in text.split("\n") if plain_spaced(text) else ():
        assert _single_spaced_plain(line) == (" ".join(line.split()) == line)
        assert load_furniture().phrase(line, True) == _phrase_plainly(line)
    if plain_spaced(text):  # a line break inside one line is no single space
        assert not _single_spaced_plain(text) or "\n" not in text


def test_plain_spaced_is_ascii_without_white_space_but_spaces_and_line_breaks() -> None:
    assert plain_spaced("Share this\nRead  more ")
    odd = [c for c in map(chr, range(0x80)) if c.isspace() and c not in " \n"]
    assert odd == list("\t\x0b\x0c\r\x1c\x1d\x1e\x1f")
    assert not any(plain_spaced(f"Share{c}this") for c in odd)
    assert not plain_spaced("Share\u00a0this") and not plain_spaced("Share é")
    # What `plain_spaced` rules out is what the short check would miss (it can fail).
    assert _single_spaced_plain("Share\tthis") != _single_spaced("Share\tthis")
    assert load_furniture().phrase("Share\tthis:", True) != _phrase_plainly("Share\tthis:")


def furniture_data(key: str) -> list[str]:
    """The rails or patterns of every shipped furniture file, in load order."""
    data = resources.files("builder.parse").joinpath("data")
    names = sorted(p.name for p in data.iterdir() if p.name.startswith("furniture."))
    out: list[str] = []
    for name in names:
        out += tomllib.loads(data.joinpath(name).read_text("utf-8")).get(key, [])
    return out


WORDS = ["the", "of", "Ferry", "harbour", "x", "Tags:", "في", "(the", "said.", "50%", "—"]


@SETTINGS
@given(
    st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join),
    st.sampled_from(["", ".", "?", ".”", "…", " "]),
)
def test_kind_is_the_plain_definition(words: str, end: str) -> None:
    text = words + end
    assert load_furniture().kind(text) == _kind_plainly(text)


def test_kind_of_prose_with_its_stop_word_late() -> None:
    """The first stop word after the words split off first: the whole line is split."""
    text = "Ferry Harbour Quay Pier Dock Berth Jetty Wharf Slipway Mooring of the port."
    assert load_furniture().kind(text) == "prose" == _kind_plainly(text)


# --- the whole text ----------------------------------------------------------------------


def test_line_without_needles_is_untouched_and_traced_as_one_piece() -> None:
    """The common line: nothing recorded, the same text, its ends where it was found."""
    text = "The ferry operator said on Monday that night sailings would start in June."
    line = Traced.of(12, text, column=4)
    assert line.pieces == (Piece(0, 12, 4, len(text)),)
    assert line.strip() is line  # nothing to strip: no new tuple
    done = repair_main([line])
    assert done.lines == [(12, text)]
    assert done.repairs == []
    assert (done.first, done.last) == ((12, 4), (12, 4 + len(text) - 1))
    card = repair_card([line])
    assert (card.lines, card.repairs, card.first, card.last) == (
        done.lines,
        [],
        done.first,
        done.last,
    )


@SETTINGS
@given(line_text, st.integers(1, 500), st.integers(1, 500))
def test_a_remembered_teaser_is_fixed_as_if_new_and_reports_its_own_line(
    text: str, first: int, second: int
) -> None:
    """One-line texts are fixed once and remembered; the answer, asked again for
    another line, is the plain one with that line's number."""
    assert fix_lines([(first, text)]) == _fix_each_line([(first, text)])
    assert fix_lines([(second, text)]) == _fix_each_line([(second, text)])
    assert fix_lines([(second, text), (first, text)]) == _fix_each_line(
        [(second, text), (first, text)]
    )


def test_a_remembered_teaser_with_repairs_keeps_its_line_numbers() -> None:
    text = "The Minister 's ferry , the ‘tribute' ."
    _, repairs = fix_lines([(3, text)])
    again, repairs_again = fix_lines([(77, text)])
    assert repairs and {r.line for r in repairs} == {3}
    assert {r.line for r in repairs_again} == {77}
    assert [(r.kind, r.detail) for r in repairs] == [(r.kind, r.detail) for r in repairs_again]
    assert (again, repairs_again) == _fix_each_line([(77, text)])


@SETTINGS
@given(
    st.lists(
        st.sampled_from(["prose", "short", "other", "no words", "phrase", "rail"]), max_size=14
    )
)
def test_classify_skips_the_context_passes_only_where_they_change_nothing(names: list[str]) -> None:
    """`classify` runs the context passes only when the text has furniture or enough
    short lines for a run; on any other text they leave every line as it was."""
    items: list[str | Marker] = [
        Marker(rail=name == "rail") if name in ("phrase", "rail") else name for name in names
    ]
    kinds: list[Kind] = [
        "furniture" if name in ("no words", "phrase", "rail") else name  # type: ignore[misc]
        for name in names
    ]
    why = [name if name in ("no words", "phrase", "rail") else None for name in names]
    after_kinds, after_why = list(kinds), list(why)
    _by_context(items, after_kinds, after_why)
    if "furniture" not in kinds and kinds.count("short") < MIN_RUN:
        assert (after_kinds, after_why) == (kinds, why)


def test_the_context_passes_do_change_a_text_with_furniture() -> None:
    """The comparison above is not empty: with furniture, context marks lines."""
    kinds: list[Kind] = ["furniture", "short", "furniture"]
    why: list[str | None] = ["no words", None, "no words"]
    _by_context(["4", "Credit: AP", "5"], kinds, why)
    assert why == ["no words", "between furniture", "no words"]


@SETTINGS
@given(line_text, st.integers(1, 300), st.integers(0, 40))
def test_a_one_line_teaser_is_repaired_as_any_text(text: str, no: int, column: int) -> None:
    """A card of one line takes a short way (its fixes remembered); the same answer as
    the way of every text: stripped, fixed, its ends traced."""
    line = Traced.of(no, text, column)
    assert repair_card([line]) == _finish([line.strip()], [])


def _classify_plainly(items: list[str | Marker]) -> list[str | None]:
    """The plain definition of `Furniture.classify`: every line classed, context always."""
    furniture = load_furniture()
    kinds: list[Kind] = [
        "furniture" if isinstance(it, Marker) else furniture.kind(it) for it in items
    ]
    why: list[str | None] = [
        "phrase" if isinstance(it, Marker) else ("no words" if k == "furniture" else None)
        for it, k in zip(items, kinds, strict=True)
    ]
    _by_context(items, kinds, why)
    return why


LINES = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=9).map(" ".join),
    st.sampled_from(["", "4", "50%", "Credit: AP", "The ferry ran at night.", "x " * 1200]),
    st.builds(Marker, st.booleans()),
)


@SETTINGS
@given(st.lists(LINES, max_size=10))
def test_classify_is_the_plain_definition(items: list[str | Marker]) -> None:
    """Texts that keep every line skip classing their lines; the answer is the same."""
    assert load_furniture().classify(items) == _classify_plainly(items)


def test_a_long_one_line_text_is_fixed_but_not_remembered() -> None:
    """Only short lines are remembered, so the memory stays small whatever the input."""
    text = "The Minister 's ferry , " + "x" * TEASER_CHARS
    before = _fixed_teaser.cache_info().currsize
    assert fix_lines([(4, text)]) == _fix_each_line([(4, text)])
    assert fix_lines([(4, text)])[0][0][1].startswith("The Minister's ferry,")
    assert _fixed_teaser.cache_info().currsize == before


# --- tracing and joins -------------------------------------------------------------------


def _placed_plainly(body: list[tuple[int, str]], lines: list[str]) -> list[Traced] | None:
    """The plain definition of `Traced.placed`: `Traced.of` for every line."""
    out = []
    for no, raw in body:
        if not 0 < no <= len(lines):
            return None
        full = lines[no - 1]
        column = (
            0 if full == raw else (len(full) - len(raw) if full.endswith(raw) else full.find(raw))
        )
        if column < 0:
            return None
        out.append(Traced.of(no, raw, column))
    return out


@SETTINGS
@given(
    st.lists(line_text, min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(-1, 8), st.integers(0, 3), st.integers(0, 30)), max_size=8),
)
def test_placed_is_traced_of_at_each_column(
    lines: list[str], picks: list[tuple[int, int, int]]
) -> None:
    """Body lines are whole lines, a line's end or a part of it, or not in it at all."""
    lines = [line.replace("\n", " ") for line in lines]  # a dump's lines hold no break
    body = []
    for no, how, cut in picks:
        full = lines[no - 1] if 0 < no <= len(lines) else "x"
        raw = [full, full[cut:], full[cut : cut + 5], full + "?"][how]
        body.append((no, raw))
    assert Traced.placed(body, TextLines("\n".join(lines))) == _placed_plainly(body, lines)


class _Spelt:
    """The plain definition of `Traced`: every piece spelt out, as `Traced.pieces` held
    them before the usual one stood for itself (None)."""

    def __init__(self, line: int, text: str, pieces: tuple[Piece, ...]) -> None:
        self.line, self.text, self.pieces = line, text, pieces

    @classmethod
    def of(cls, line: int, text: str, column: int = 0) -> _Spelt:
        return cls(line, text, (Piece(0, line, column, len(text)),) if text else ())

    def cut(self, start: int, end: int) -> _Spelt:
        if start <= 0 and end >= len(self.text):
            return self
        pieces = []
        for p in self.pieces:
            a, b = max(p.at, start), min(p.at + p.length, end)
            if a < b:
                pieces.append(Piece(a - start, p.line, p.column + a - p.at, b - a))
        return _Spelt(self.line, self.text[start:end], tuple(pieces))

    def strip(self) -> _Spelt:
        lead = len(self.text) - len(self.text.lstrip())
        return self.cut(lead, max(lead, len(self.text.rstrip())))

    @staticmethod
    def concat(parts: list[tuple[str, _Spelt]]) -> _Spelt:
        texts, pieces, size = [], [], 0
        for i, (glue, part) in enumerate(parts):
            if i:
                texts.append(glue)
                size += len(glue)
            texts.append(part.text)
            pieces += [Piece(p.at + size, p.line, p.column, p.length) for p in part.pieces]
            size += len(part.text)
        return _Spelt(parts[0][1].line, "".join(texts), tuple(pieces))

    def ends(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None, tuple[int, ...]]:
        if not self.pieces:
            return None, None, (self.line,)
        p, q = self.pieces[0], self.pieces[-1]
        lines = tuple(dict.fromkeys(p.line for p in self.pieces))
        return (p.line, p.column), (q.line, q.column + q.length - 1), lines


#: Operations on traced text: (what, a number, another number, glue).
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["cut", "strip", "concat"]),
        st.integers(0, 12),
        st.integers(0, 14),
        st.sampled_from(["", " ", "  "]),
    ),
    max_size=6,
)


def _same(traced: Traced, spelt: _Spelt) -> None:
    """`traced` holds what `spelt` holds, the usual piece written None and nothing else."""
    assert (traced.line, traced.text, traced.runs) == (spelt.line, spelt.text, spelt.pieces)
    assert (traced.first, traced.last, traced.source_lines) == spelt.ends()
    usual = spelt.text != "" and spelt.pieces == (Piece(0, spelt.line, 0, len(spelt.text)),)
    assert (traced.pieces is None) == usual
    if not usual:
        assert traced.pieces == spelt.pieces


@SETTINGS
@given(
    st.lists(st.tuples(line_text, st.integers(1, 4), st.integers(0, 3)), min_size=1, max_size=4),
    OPERATIONS,
)
def test_traced_with_its_usual_piece_unspelt_is_the_plain_definition(
    starts: list[tuple[str, int, int]], operations: list[tuple[str, int, int, str]]
) -> None:
    """Whatever is done to traced text (cuts, strips, joins, from whole lines at column 0
    and from other columns), it keeps the characters and places of the plain definition,
    and its pieces are None exactly where they are the usual one."""
    traced = [Traced.of(no, text, column) for text, no, column in starts]
    spelt = [_Spelt.of(no, text, column) for text, no, column in starts]
    for t, s in zip(traced, spelt, strict=True):
        _same(t, s)
    for what, a, b, glue in operations:
        if what == "cut":
            traced[0], spelt[0] = traced[0].cut(a, b), spelt[0].cut(a, b)
        elif what == "strip":
            traced[-1], spelt[-1] = traced[-1].strip(), spelt[-1].strip()
        else:
            traced = [Traced.concat([(glue, t) for t in traced])]
            spelt = [_Spelt.concat([(glue, s) for s in spelt])]
        for t, s in zip(traced, spelt, strict=True):
            _same(t, s)


def test_a_whole_line_is_traced_without_a_piece_until_one_is_asked_for() -> None:
    """The usual line holds no piece; cut from column 0 it is still the usual one, cut
    further in or joined to another it holds its pieces."""
    line = Traced.of(7, "The ferry sailed.")
    assert line.pieces is None
    assert line.runs == (Piece(0, 7, 0, 17),)
    dump = TextLines("\n" * 6 + "The ferry sailed.")
    assert Traced.placed([(7, "The ferry sailed.")], dump) == [line]
    assert line.cut(0, 9) == Traced.of(7, "The ferry") and line.cut(0, 9).pieces is None
    assert line.cut(4, 9).pieces == (Piece(0, 7, 4, 5),)
    assert line.cut(4, 9) == Traced.of(7, "ferry", 4)
    joined = Traced.concat([("", line), (" ", Traced.of(8, "It sank."))])
    assert joined.pieces == (Piece(0, 7, 0, 17), Piece(18, 8, 0, 8))
    assert (joined.first, joined.last, joined.source_lines) == ((7, 0), (8, 7), (7, 8))
    # A join whose other part is empty holds one piece that does not cover its glue.
    glued = Traced.concat([("", line), (" ", Traced.of(8, ""))])
    assert glued.text == "The ferry sailed. " and glued.pieces == (Piece(0, 7, 0, 17),)
    assert Traced.of(7, "").pieces == () and Traced.of(7, "").first is None


def test_placed_gives_up_on_a_line_it_cannot_find() -> None:
    lines = TextLines("The ferry sailed.\nIt sank.")
    assert Traced.placed([(1, "The ferry sailed."), (2, "It sank.")], lines) == [
        Traced.of(1, "The ferry sailed."),
        Traced.of(2, "It sank."),
    ]
    assert Traced.placed([(2, "sank.")], lines) == [Traced.of(2, "sank.", 3)]
    assert Traced.placed([(2, "It swam.")], lines) is None
    assert Traced.placed([(3, "")], lines) is None


def _join_plainly(lines: list[Traced]) -> tuple[list[Traced], list[Repair]]:
    """The plain definition of `join_split_traced`: every line stripped by
    `Traced.strip`, every group of parts listed and made by `Traced.concat`, whether a
    line ends a sentence asked of `_ends_sentence`."""
    out: list[list[tuple[str, Traced]]] = []
    repairs: list[Repair] = []
    tail = ""
    stripped = [line.strip() for line in lines]
    for i, line in enumerate(stripped):
        text = line.text
        if out and not _ends_sentence(tail):
            glue = _glue(tail, text, False)
            if glue is None:
                nxt = stripped[i + 1].text if i + 1 < len(stripped) else None
                glue = " " if _is_link_text(text, nxt) else None
            if glue is not None:
                out[-1].append((glue, line))
                repairs.append(Repair("join_lines", line.line, f"{tail[-20:]!r} + {text[:20]!r}"))
                tail = (tail + glue + text)[-200:]
                continue
        out.append([("", line)])
        tail = text[-200:]
    return [Traced.concat(parts) for parts in out], repairs


JOIN_PARTS = st.lists(
    st.sampled_from(
        [
            "The union held talks with",
            "Jane Doe",
            "to settle",
            "famine",
            ".",
            " , and more",
            "’s office said.",
            "— the end",
            "after",
            "  padded  ",
            "",
            " ",
            "Next.",
        ]
    ),
    max_size=10,
)


@SETTINGS
@given(JOIN_PARTS, st.integers(0, 5))
def test_join_split_traced_is_the_plain_definition(texts: list[str], column: int) -> None:
    lines = [Traced.of(no, text, column) for no, text in enumerate(texts, start=3)]
    assert join_split_traced(lines) == _join_plainly(lines)


def _repair_main_plainly(
    lines: list[Traced],
) -> tuple[list[tuple[int, str]], list[Repair], tuple[int, int] | None, tuple[int, int] | None]:
    """The plain definition of `repair_main`: every run between markers joined, every
    text classed and every line's reason looked at, the ends those of the first and last
    texts with a traced character."""
    furniture = load_furniture()
    kept, repairs = drop_junk_traced(lines)
    items, more = _drop_phrases(kept, furniture)
    repairs += more
    joined: list[Traced | Marker] = []
    run: list[Traced] = []
    for item in [*items, None]:
        if isinstance(item, Traced):
            run.append(item)
            continue
        out, more = join_split_traced(run)
        repairs += more
        joined += out
        run = []
        if item is not None:
            joined.append(item)
    why = furniture.classify([t.text if isinstance(t, Traced) else t for t in joined])
    texts = []
    for item, reason in zip(joined, why, strict=True):
        if isinstance(item, Traced) and reason is not None:
            repairs += [
                Repair("drop_furniture_line", no, f"{reason}: {item.text[:60]}")
                for no in item.source_lines
            ]
        elif isinstance(item, Traced):
            texts.append(item)
    done = _finish(texts, repairs)
    traced = [t for t in texts if t.runs]
    first = traced[0].first if traced else None
    last = traced[-1].last if traced else None
    return done.lines, done.repairs, first, last


@SETTINGS
@given(st.lists(st.one_of(line_text, JOIN_PARTS.map(" ".join)), max_size=10))
def test_repair_main_is_the_plain_definition(texts: list[str]) -> None:
    """Texts without a furniture phrase skip the runs between markers, and texts whose
    every line is kept skip the look at each line's reason: the same repairs."""
    lines = [Traced.of(no, text) for no, text in enumerate(texts, start=2)]
    done = repair_main(lines)
    assert (done.lines, done.repairs, done.first, done.last) == _repair_main_plainly(lines)


#: A line of my own for each junk rule (the first line is the header block's).
JUNK_OF_EACH_RULE = [
    "Title: The ferry returns",
    "Play Video",
    ":",
    "Advertisement",
    "» Read more about the harbour",
    "Sign up for our daily ferry newsletter today",
    "12:30",
    "var slot = 4;",
    "%3Cdiv%3E%20%3C%2Fdiv%3E",
    "(Photo by Jane Roe)",
    "The ferry left the harbour on time.",
]


def test_drop_junk_unrolled_tests_equal_each_rules_matches() -> None:
    """`drop_junk_traced` tests each rule unrolled (length, needles, then the pattern,
    lowering a line only for a rule with needles): the same rule as `JunkRule.matches`
    for a line of each rule, in every position, and the comparison can fail."""
    names = set()
    for shift in range(len(JUNK_OF_EACH_RULE)):
        texts = JUNK_OF_EACH_RULE[shift:] + JUNK_OF_EACH_RULE[:shift]
        lines = list(enumerate(texts, start=1))
        got = drop_junk(lines)
        assert got == _drop_junk_plainly(lines)
        names |= {r.detail.split(":")[0] for r in got[1]}
    assert names >= {r.name for r in JUNK_RULES} - {"image url fragment"}
    lines = list(enumerate(JUNK_OF_EACH_RULE, start=1))
    assert drop_junk(lines) != (lines, [])  # something dropped: a plain copy differs
