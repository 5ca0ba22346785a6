"""The compiled forms' fast paths match exactly what the plain templates match.

The registry writes two things into the forms that the layout data does not say: a run
of blank lines right before a `{LINE}` gives no line back (possessive), and a time text
is looked for behind a lookahead for its first character. And it bounds the length of a
time text, so that a glued line's readings are looked for only near its end. Each test
compiles the plain pattern (the template as written) beside the fast one and compares
their matches on the real pages (read from beside the checkout), the samples, cut and
edited copies, and generated text dense in what the shortcut relies on (blank lines of
spaces, tabs and no-break spaces; time texts after digits and letters).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.parse.layouts.registry import (
    _BLANKS,
    _BLANKS_KEPT,
    _LINE,
    Layout,
    _compile_form,
    _first_chars,
    _max_chars,
    _strip_groups,
    _time_text,
    load_layouts,
)

LAYOUTS = load_layouts()
EN, AR = LAYOUTS[0], LAYOUTS[1]
SETTINGS = settings(max_examples=300, deadline=None)


def _time_alt(layout: Layout) -> str:
    return "|".join(_strip_groups(t.pattern.pattern) for t in layout.times)


def _plain(pattern: re.Pattern[str], layout: Layout) -> re.Pattern[str]:
    """The pattern as the template writes it: every blank-line run `{B}`, and the time
    texts without the lookahead."""
    alt = _time_alt(layout)
    text = pattern.pattern.replace(_BLANKS_KEPT, _BLANKS)
    return re.compile(text.replace(_time_text(alt), f"(?:{alt})"))


def _fast_and_plain(layout: Layout) -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    pairs = []
    for form in layout.forms:
        for pattern in (form.article, form.listing, form.card):
            pairs.append((pattern, _plain(pattern, layout)))
    return pairs


def _same_match(fast: re.Pattern[str], plain: re.Pattern[str], text: str, pos: int) -> None:
    a, b = fast.match(text, pos), plain.match(text, pos)
    assert (a is None) == (b is None), (fast.pattern, text[pos : pos + 80])
    if a is not None and b is not None:
        assert a.regs == b.regs and a.groups() == b.groups()


def _starts(text: str) -> list[int]:
    """Every line start, and a few offsets inside lines."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return [*starts, len(text) // 3, len(text) // 2 + 1]


def test_the_fast_forms_differ_from_the_plain_ones() -> None:
    """What is compared is not the same pattern twice: the logo card has runs that keep
    their lines and a time lookahead, and so does the plain card's time."""
    logo, plain = EN.forms
    assert _BLANKS_KEPT in logo.card.pattern and _BLANKS in logo.card.pattern
    assert "(?=[" in logo.card.pattern and "(?=[" in plain.card.pattern
    for layout in LAYOUTS:
        for _fast, slow in _fast_and_plain(layout):
            assert _BLANKS_KEPT not in slow.pattern and "(?=[" not in slow.pattern


def test_fast_forms_match_as_the_plain_ones_on_real_pages(real_pages: list[str]) -> None:
    matched = 0
    for page in real_pages:
        lines = page.split("\n")
        cut = [page[: len(page) * k // 5] for k in range(1, 5)]
        edited = ["\n".join(lines[:j] + lines[j + 1 :]) for j in range(0, len(lines), 7)]
        for text in [page, *cut, *edited]:
            for layout in LAYOUTS:
                for fast, plain in _fast_and_plain(layout):
                    for pos in _starts(text):
                        _same_match(fast, plain, text, pos)
                        matched += fast.match(text, pos) is not None
    assert matched > 1000


#: Blank lines of spaces, tabs and no-break spaces, and none.
blanks = st.lists(st.sampled_from(["", " ", "\t", "\u00a0", " \u00a0\t"]), max_size=2).map(
    lambda lines: "".join(f"{line}\n" for line in lines)
)
words = st.sampled_from(["Ferry title", " Ferry title ", "Harbour Times", "Radio 10", "logo", "#"])
times = st.sampled_from(
    ["3 hours ago", "a day ago", "12-03-2025", "an hour ago", "59 minutes ago", "منذ 3 ساعات", "x"]
)


@st.composite
def logo_card(draw: st.DrawFn) -> str:
    """A card of the logo form, blank runs anywhere, maybe cut short."""
    title, source = draw(words), draw(words)
    parts = [title, "\n", draw(blanks), title, "\n", draw(blanks), source, "\n", draw(blanks)]
    parts += ["time", draw(times), "\n", draw(blanks)]
    if draw(st.booleans()):
        parts += ["  • Ports\n", draw(blanks)]
    parts += ["  • ", source, "\n", draw(blanks), title, "\n", draw(blanks), "Teaser.\n"]
    text = "".join(parts)
    return text[: draw(st.integers(0, len(text)))] if draw(st.booleans()) else text


@st.composite
def plain_card(draw: st.DrawFn) -> str:
    source = draw(words)
    category = "- Ports\n" if draw(st.booleans()) else ""
    text = f"{source}\n{draw(times)}\n{category}- {source}\n{draw(words)}\nTeaser.\n"
    return text[: draw(st.integers(0, len(text)))] if draw(st.booleans()) else text


page_text = st.lists(
    st.one_of(logo_card(), plain_card(), blanks, st.just("logo\nLatest news with #Ferries\n")),
    max_size=5,
).map("".join)


@SETTINGS
@given(page_text)
def test_fast_forms_match_as_the_plain_ones_on_generated_cards(text: str) -> None:
    for layout in LAYOUTS:
        for fast, plain in _fast_and_plain(layout):
            for pos in _starts(text):
                _same_match(fast, plain, text, pos)


def test_a_run_keeps_its_lines_only_before_a_line() -> None:
    """Before anything but a `{LINE}` (alone or as a whole named group that is not
    optional) the run stays `{B}`: there a blank line given back may be what matches."""
    spec = {
        "name": "t",
        "article": r"\A{B}(?P<title>{LINE})\n{B}{LINE}\n{B}(?P<x>{LINE})?\n{B}\n{B}logo",
        "listing": r"\A{B}(?P<y>{LINE}|z)",
        "card": r"{B}(?P<z>{LINE})*",
    }
    lang = {"headings": [], "logo": "logo", "hash": "#", "time_prefix": "time"}
    form = _compile_form(spec, lang, "a day ago")
    assert form.article.pattern.count(_BLANKS_KEPT) == 2
    assert form.article.pattern.count(_BLANKS) == 3
    assert _BLANKS_KEPT not in form.listing.pattern + form.card.pattern
    # `{B}\n` needs its run to give a line back: kept, the blank line is lost.
    assert form.article.match("T\nU\n\n\n\nlogo") is not None
    assert re.compile(_BLANKS_KEPT + r"\n").match("\n") is None
    assert re.compile(_BLANKS + _LINE).match(" \n\t\nx") is not None


# --- the first character of a time text --------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "chars"),
    [
        ("a|b", "[a-b]"),
        ("(?:[1-5]?[0-9]) x", "[0-9]"),
        ("x?y", "[x-y]"),
        ("a{0,3}b|c", "[a-c]"),
        ("(a)\\1", "[a]"),
        ("منذ|[0-3]", "[0-3م]"),
        ("\\]|-|\\^", "[\\-\\]-\\^]"),
        # Not worked out, or no first character: no lookahead.
        ("a*", None),
        ("a?", None),
        ("(?:a|)b", None),
        ("(?i)a", None),
        ("(?i:a)b", None),
        ("\\w", None),
        ("[^a]", None),
        (".x", None),
        ("(?=a)a", None),
        ("\\ba", None),
        ("", None),
    ],
)
def test_first_chars_of_a_pattern(pattern: str, chars: str | None) -> None:
    assert _first_chars(pattern) == chars


def test_every_layout_gets_its_time_lookahead() -> None:
    """The lookahead is there on every layout, and lets the real time texts through."""
    for layout in LAYOUTS:
        chars = _first_chars(_time_alt(layout))
        assert chars is not None
        assert f"(?={chars})" in layout.forms[1].card.pattern
    assert EN.time_re.fullmatch("3 hours ago") and re.match(str(_first_chars(_time_alt(EN))), "3")
    assert re.match(str(_first_chars(_time_alt(AR))), "منذ 3 ساعات")


@SETTINGS
@given(st.data())
def test_a_time_text_from_the_patterns_starts_with_a_first_char(data: st.DataObject) -> None:
    for layout in LAYOUTS:
        alt = _time_alt(layout)
        text = data.draw(st.from_regex(re.compile(f"(?:{alt})"), fullmatch=True))
        chars = _first_chars(alt)
        assert chars is not None and re.fullmatch(chars, text[0]), text


PATTERNS = ["a|b", "(?:[1-5]?[0-9]) x", "x?y", "a{0,3}b|c", "(a)\\1", "\\]|-|\\^", "ab|[b-d]a"]


@SETTINGS
@given(st.text(alphabet="abcdxy0159 -]^\\", max_size=12))
def test_the_lookahead_changes_no_match(text: str) -> None:
    for pattern in PATTERNS:
        chars = _first_chars(pattern)
        assert chars is not None
        plain, fast = re.compile(pattern), re.compile(f"(?={chars})(?:{pattern})")
        for pos in range(len(text) + 1):
            a, b = plain.match(text, pos), fast.match(text, pos)
            assert (a and a.span()) == (b and b.span()), (pattern, text, pos)


# --- the longest time text ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "most"),
    [("a day ago", 9), ("a|bcd", 3), ("x{2,5}", 5), ("(?=abc)x", 1), ("a+", None), ("a*b", None)],
)
def test_max_chars_of_a_pattern(pattern: str, most: int | None) -> None:
    assert _max_chars(pattern) == most


@SETTINGS
@given(st.data())
def test_no_time_text_is_longer_than_the_bound(data: st.DataObject) -> None:
    for layout in LAYOUTS:
        assert layout.time_max_chars is not None
        text = data.draw(st.from_regex(layout.time_re, fullmatch=True))
        assert len(text) <= layout.time_max_chars
