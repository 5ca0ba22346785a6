"""The segmenter's fast paths give exactly what the plain definitions give.

A page's marker lines are found by one scan instead of splitting and stripping every
line; cards count their line numbers inline instead of asking `_Lines` per offset;
Blocks and Pages are filled without their frozen `__init__`; body lines are filtered in
C; a glued line's readings are found by one search each. Each test states the plain
definition and checks the fast path against it on the real pages (read from beside the
checkout), the samples, and generated text dense in what the fast path looks for
(markers, whitespace of every kind, long lines, cut cards), so that a wrong shortcut
shows as a different output.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.parse.layouts import Block, Page, segment
from builder.parse.layouts.registry import (
    MARKER_LINE_CHARS,
    Form,
    Layout,
    MarkerLines,
    load_layouts,
    short_lines,
)
from builder.parse.layouts.segment import (
    _BLANK_RUN,
    _body_lines,
    _cards,
    _choose,
    _first_wins,
    _hitting_chars,
    _Lines,
    _marker_lines,
    _markers_of,
    _pick,
    _same,
    glued_splits,
)

LAYOUTS = load_layouts()
EN, AR = LAYOUTS[0], LAYOUTS[1]
SETTINGS = settings(max_examples=400, deadline=None)


def _cut_and_edited(text: str) -> list[str]:
    """The text cut at a few offsets, and with a line dropped or padded: what crawls do."""
    lines = text.split("\n")
    out = [text[: len(text) * k // 7] for k in range(1, 7)]
    for j in range(0, len(lines), max(1, len(lines) // 6)):
        out.append("\n".join(lines[:j] + lines[j + 1 :]))
        out.append("\n".join([*lines[:j], f" \t{lines[j]}\u00a0 ", *lines[j + 1 :]]))
    return out


# --- marker lines ------------------------------------------------------------------------

ALL_MARKERS = sorted({m for layout in LAYOUTS for m in layout.markers})
#: Whitespace of every kind `str.strip` removes (and `\s` matches), and some it does not.
SPACES = [" ", "\t", "\u00a0", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u2028", "\u3000"]
NOT_SPACES = ["\u200b", "\ufeff", "x", "."]
marker_line = st.tuples(
    st.lists(st.sampled_from(SPACES), max_size=3).map("".join),
    st.sampled_from([*ALL_MARKERS, "Comment", "Hashtagsx", "Related", ""]),
    st.lists(st.sampled_from(SPACES + NOT_SPACES), max_size=3).map("".join),
    st.sampled_from([0, 0, 0, 150, 199, 200, 260]),
).map(lambda t: t[0] + t[1] + t[2] + " " * max(0, t[3] - len(t[0] + t[1] + t[2])))
marker_text = st.lists(
    st.one_of(marker_line, st.sampled_from(["", "Body text of a page.", "x" * 300])), max_size=12
).map("\n".join)


def _present_plainly(text: str, markers: frozenset[str]) -> set[str]:
    """The plain definition: every line under 200 characters, stripped, that is a marker."""
    return short_lines(text) & markers


def test_short_lines_is_the_plain_definition() -> None:
    text = " a \n" + "b" * 199 + "\n" + "c" * 200 + "\n\t\n"
    assert short_lines(text) == {"a", "b" * 199, ""}
    assert MARKER_LINE_CHARS == 200


@SETTINGS
@given(marker_text)
def test_marker_lines_are_the_stripped_short_lines_that_are_markers(text: str) -> None:
    found = _marker_lines(LAYOUTS)
    assert found.present(text) == _present_plainly(text, found.markers)


def test_marker_lines_on_real_pages(real_pages: list[str]) -> None:
    found = _marker_lines(LAYOUTS)
    seen = 0
    for page in real_pages:
        for text in [page, *_cut_and_edited(page)]:
            assert found.present(text) == _present_plainly(text, found.markers)
        seen += len(found.present(page))
    assert seen > 100  # the pages do show markers: the comparison is not of empty sets


@SETTINGS
@given(marker_text)
def test_markers_that_no_scan_can_find_take_the_plain_way(text: str) -> None:
    """An empty marker (a blank line) is found the plain way; one padded with whitespace
    or holding a line break is never a stripped line; special characters are escaped."""
    for markers in (
        {"", "Comments"},
        {" Comments", "Hashtags\t", "a\nb", "Related Articles"},
        {"a.b", "(x)", "[y]*", "Comments"},
        {" ", "\n"},
        set(),
    ):
        finder = MarkerLines.of(markers)
        for variant in (text, text.replace("Comments", "a.b"), text.replace("Hashtags", "(x)")):
            assert finder.present(variant) == _present_plainly(variant, frozenset(markers))


def test_the_scans_whitespace_is_what_strip_removes() -> None:
    """Every code point: `[^\\S\\n]` (the padding the scan allows around a marker)
    matches exactly the characters `str.strip` removes, but the line break."""
    padding = re.compile(r"[^\S\n]")
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        assert (padding.fullmatch(ch) is not None) == (ch.strip() == "" and ch != "\n"), cp


def test_marker_lines_comparison_can_fail() -> None:
    """Lines of 200 characters and padded markers are where a loose scan would differ."""
    found = _marker_lines(LAYOUTS)
    assert found.present("x\n" + "Comments".ljust(200) + "\n") == set()
    assert found.present("x\n" + "Comments".ljust(199) + "\n") == {"Comments"}
    assert found.present("\u00a0Comments\u3000\nHashtags") == {"Comments", "Hashtags"}
    assert found.present("Comments\u200b\nxHashtags") == set()


@SETTINGS
@given(marker_text)
def test_any_in_is_whether_present_finds_a_line(text: str) -> None:
    """`any_in` stops at the first marker line; it answers what `present` answers."""
    finders = [_marker_lines(LAYOUTS), EN.site_lines, AR.site_lines]
    finders += [MarkerLines.of(m) for m in ({"", "Comments"}, {" Comments"}, set())]
    for finder in finders:
        for variant in (text, "Comments\n" + text, "Comments".ljust(200) + "\n" + text):
            expected = bool(finder.present(variant))
            assert finder.any_in(variant) == expected
            # Looked for from any offset first (a line start, or not: then from the top).
            for near in range(len(variant) + 2):
                assert finder.any_in(variant, near) == expected, near


def test_any_in_from_a_line_start_on_real_pages(real_pages: list[str]) -> None:
    """From the end of the article's body, as `segment` asks, and from every line."""
    seen = 0
    for page in real_pages:
        for text in [page, *_cut_and_edited(page)]:
            starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
            for finder in (EN.site_lines, AR.site_lines):
                expected = bool(finder.present(text))
                seen += expected
                assert all(finder.any_in(text, near) == expected for near in starts)
    assert seen > 40


def test_site_lines_find_the_site_markers() -> None:
    assert EN.site_lines.markers == EN.site_markers
    assert EN.site_lines.any_in("x\nRelated Articles \n")
    assert not EN.site_lines.any_in("x\nComments\n")  # a marker, not a site marker
    assert not EN.site_lines.any_in("Related Articles".ljust(200))


def test_found_lines_taken_as_they_are_only_when_bare_and_short() -> None:
    """A found line is taken without stripping only when it is a marker under 200
    characters as it is; a long marker, or a padded one, goes the plain way."""
    long = "L" * 210
    finder = MarkerLines.of({"Comments", long, "Hashtags"})
    assert finder.bare == {"Comments", "Hashtags"}
    for text in ["Comments\nHashtags", f"x\n{long}\nComments", " Comments\t\nHashtags", long]:
        assert finder.present(text) == _present_plainly(text, finder.markers)
    assert finder.present(f"{long}\nComments") == {"Comments"}


def test_the_marker_finder_follows_the_layouts_asked() -> None:
    """A tuple of layouts of its own gets a finder for its own markers."""
    only_english = (EN,)
    assert _marker_lines(only_english).markers == EN.markers
    assert _marker_lines(LAYOUTS).markers == EN.markers | AR.markers
    assert "التعليقات" in _marker_lines(LAYOUTS).present("التعليقات\n")


# --- Blocks and Pages: their spelt-out __init__ ------------------------------------------

BLOCK_ARGS = ("related", "Title", "Source", None, "3 hours ago", ((4, "Teaser"),), 2, 9)


def test_block_and_page_init_are_the_dataclass_ones() -> None:
    """`Block` and `Page` spell out their `__init__`: positional and keyword arguments,
    the defaults, fields in order (repr), equality, `replace`, and still frozen."""
    block = Block(*BLOCK_ARGS)
    names = ("role", "title", "source", "category", "time_text", "body", "line_start")
    by_name = Block(**dict(zip(names, BLOCK_ARGS, strict=False)), line_end=9)
    assert block == by_name and hash(block) == hash(by_name)
    assert block.glued_alternatives == () and block.repairs == ()
    assert repr(block).startswith("Block(role='related', title='Title', source='Source', ")
    assert repr(block).endswith("line_end=9, glued_alternatives=(), repairs=())")
    moved = replace(block, line_end=10)
    assert moved.line_end == 10 and moved != block and moved.title == block.title
    with pytest.raises(AttributeError):
        block.title = "Other"  # type: ignore[misc]
    layout = LAYOUTS[0]
    built = Page(layout, "plain", "listing", (block,), False, 0)
    assert built == Page(
        layout=layout,
        form="plain",
        kind="listing",
        blocks=(block,),
        truncated=False,
        unparsed_lines=0,
    )
    assert replace(built, truncated=True).truncated and not built.truncated
    with pytest.raises(AttributeError):
        built.truncated = True  # type: ignore[misc]


# --- body lines ----------------------------------------------------------------------------

body_text = st.lists(
    st.sampled_from(["", " ", "\t", "\u00a0", "\r", "Line of prose.", " indented", "x\u2028y"]),
    max_size=12,
).map("\n".join)


def _body_plainly(body: str, first: int) -> tuple[tuple[tuple[int, str], ...], int]:
    lines = body.split("\n")
    kept = tuple((first + i, line) for i, line in enumerate(lines) if line.strip())
    return kept, first + body.count("\n")


@SETTINGS
@given(body_text, st.integers(1, 500))
def test_body_lines_is_the_plain_enumeration(body: str, first: int) -> None:
    assert _body_lines(body, first) == _body_plainly(body, first)


# --- cards and their line numbers ---------------------------------------------------------


def _cards_plainly(text: str, pos: int, form: Form, lines: _Lines) -> tuple[list[Block], int, bool]:
    """The card loop as first written: each line number asked of `_Lines`."""
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
                truncated = True
                break
            pos = nl + 1
            continue
        start, end = m.span()
        title = m["title"]
        found: str | None = m["text"]
        for name in form.same:
            value = m[name]
            if value is not None and value != title and not _same(value, title):
                end = m.start(name)
                truncated = truncated or m.end(name) == n
                found = None
                break
        body: tuple[tuple[int, str], ...] = ()
        if found and not found.isspace():
            body = ((lines.of(m.start("text")), found),)
        elif m.end() == n:
            truncated = True
        cards.append(
            Block(
                role="related",
                title=title.strip(),
                source=m["source"].strip(),
                category=(m["category"] or "").strip() or None,
                time_text=m["time"].strip(),
                body=body,
                line_start=lines.of(start),
                line_end=lines.of(max(start, end - 1)),
            )
        )
        pos = end
    return cards, unparsed, truncated


def _card_starts(text: str, layout: Layout) -> list[tuple[int, Form]]:
    """Where cards are parsed from on a page (after the related line, or a listing's
    heading), for every form, and a few other offsets (line starts, mid-line)."""
    starts = []
    related = layout.related_line.search(text, 0)
    for form in layout.forms:
        if related is not None:
            starts.append((related[1], form))
        listing = form.listing.match(text)
        if listing is not None:
            starts.append((listing.end(), form))
        for at in (0, len(text) // 3, len(text) // 2, text.find("\n", len(text) // 2) + 1):
            starts.append((at, form))
    return starts


def _check_cards(text: str, layout: Layout) -> int:
    seen = 0
    for pos, form in _card_starts(text, layout):
        # `lines` asked before (as `_article` does) at an offset before or after `pos`.
        for warm in (0, pos, len(text)):
            fast_lines, plain_lines = _Lines(text), _Lines(text)
            fast_lines.of(warm)
            plain_lines.of(warm)
            fast = _cards(text, pos, form, fast_lines)
            assert fast == _cards_plainly(text, pos, form, plain_lines)
            assert repr(fast) == repr(_cards_plainly(text, pos, form, _Lines(text)))
            # `lines` was told where the cards ended: it still answers right.
            for at in (0, pos, len(text) // 2, len(text)):
                assert fast_lines.of(at) == text.count("\n", 0, at) + 1
            seen += len(fast[0])
    return seen


def test_cards_line_numbers_on_real_pages(real_pages: list[str]) -> None:
    seen = 0
    for page in real_pages:
        for text in [page, *_cut_and_edited(page)]:
            layout = EN if "أخبار ذات صلة" not in text else AR
            seen += _check_cards(text, layout)
    assert seen > 500


def _logo_card(title: str, source: str, when: str, teaser: str) -> str:
    return f"{title}\n{title}\n\n{source}\n\ntime{when}\n\n  • {source}\n\n{title}\n\n{teaser}\n"


def _plain_card(title: str, source: str, when: str, teaser: str) -> str:
    return f"{source}\n{when}\n- {source}\n{title}\n{teaser}\n"


card_text = st.lists(
    st.one_of(
        st.builds(
            _logo_card,
            st.sampled_from(["Ferry title", " Ferry  title ", "Other title"]),
            st.sampled_from(["Harbour Times", "Radio 10"]),
            st.sampled_from(["3 hours ago", "a day ago", "12-03-2025"]),
            st.sampled_from(["Teaser.", "", "  ", "Teaser ..."]),
        ),
        st.builds(
            _plain_card,
            st.sampled_from(["Ferry title", "Other title"]),
            st.sampled_from(["Harbour Times", "Radio 10"]),
            st.sampled_from(["3 hours ago", "a day ago"]),
            st.sampled_from(["Teaser.", ""]),
        ),
        st.sampled_from(["", "\n", "junk line\n", "  \u00a0\n", "Ferry title\n"]),
    ),
    max_size=6,
).map("".join)


@SETTINGS
@given(card_text, st.integers(0, 10_000))
def test_cards_line_numbers_on_constructed_cards(text: str, cut: int) -> None:
    text = text[: cut % (len(text) + 1)] if cut % 3 == 0 else text
    _check_cards(f"Related Articles\n\n{text}", EN)


def test_cards_comparison_can_fail() -> None:
    """A card's end line is the line of its last character, not of its end offset."""
    text = "Related Articles\n" + _plain_card("Ferry title", "Harbour Times", "a day ago", "T.")
    cards, _, _ = _cards(text, len("Related Articles\n"), EN.forms[1], _Lines(text))
    assert [(c.line_start, c.line_end, c.body) for c in cards] == [(2, 6, ((6, "T."),))]


# --- the whole segmenter on real pages: line numbers as the text has them -----------------


def test_every_body_line_is_the_line_of_the_text_it_names(real_pages: list[str]) -> None:
    """Body line numbers (counted once for the body, then carried to the cards) name the
    text's own lines; each block starts on its title's or its source's line."""
    checked = 0
    for page in real_pages:
        for text in [page, *_cut_and_edited(page)]:
            result = segment(text)
            if not isinstance(result, Page):
                continue
            lines = text.split("\n")
            for block in result.blocks:
                for no, line in block.body:
                    assert lines[no - 1] == line, (no, line)
                    checked += 1
                assert block.line_start <= block.line_end
                start = " ".join(lines[block.line_start - 1].split())
                assert start in {" ".join(block.title.split()), block.source}, block
            starts = [b.line_start for b in result.blocks]
            assert all(a < b for a, b in pairwise(starts))
    assert checked > 1000


# --- a glued line's readings -----------------------------------------------------------------

glued_line = st.tuples(
    st.sampled_from(["", " ", "Harbour Times", "Radio 10", "News18", "Post", "الجزيرة"]),
    st.sampled_from(["", " ", "1", "12", "3"]),
    st.sampled_from(
        [
            "3 hours ago",
            "15 hours ago",
            "a day ago",
            "an hour agoan hour ago",
            "12-03-2025",
            "x",
            "",
            "منذ 3 ساعات",
            "منذ ساعة واحدة",
        ]
    ),
    st.sampled_from([0, 0, 100, 118, 130]),
).map(lambda t: "x" * t[3] + t[0] + t[1] + t[2])


def _glued_plainly(line: str, layout: Layout) -> list[tuple[str, str]]:
    """The plain definition: a fullmatch of the time texts at every offset of the line."""
    splits = []
    for k in range(1, min(len(line), 120)):
        if not layout.time_re.fullmatch(line[k:]) or not line[:k].strip():
            continue
        if line[k - 1].isspace():
            return []
        splits.append((line[:k].strip(), line[k:]))
    return splits


@SETTINGS
@given(glued_line)
def test_glued_splits_are_the_fullmatch_at_every_offset(line: str) -> None:
    for layout in LAYOUTS:
        assert layout.time_starts is not None
        assert glued_splits(line, layout) == _glued_plainly(line, layout)


def test_glued_splits_comparison_can_fail() -> None:
    """Every reading counts, in order, and a space before the time text makes it prose."""
    expected = [("Radio 10", "15 hours ago"), ("Radio 101", "5 hours ago")]
    assert _glued_plainly("Radio 1015 hours ago", EN) == expected
    assert glued_splits("Radio 1015 hours ago", EN) == expected
    assert glued_splits("Radio 10 15 hours ago", EN) == []


def test_same_is_the_whitespace_blind_comparison() -> None:
    for a, b in [("a  b", "a b"), ("a b", "a b"), ("a", "b"), (" a", "a\u00a0"), ("", " ")]:
        assert _same(a, b) == (" ".join(a.split()) == " ".join(b.split()))
    assert not _same(None, None)
    assert not _same("a", None)


whitespace_text = st.text(
    alphabet=["a", "b", " ", "\t", "\u00a0", "\u3000", "\n", "\r"], max_size=8
)


@SETTINGS
@given(whitespace_text, whitespace_text)
def test_same_tries_the_stripped_texts_first_and_equals_the_joined_words(a: str, b: str) -> None:
    """`_same` compares stripped texts, then word lists: the plain definition joins the
    words with one space each and compares those."""
    plain = " ".join(a.split()) == " ".join(b.split())
    assert _same(a, b) == plain
    assert _same(a, a.strip() + " \u00a0")
    assert not _same(a + "x", a + "y")


def test_blank_run_takes_what_a_giving_run_takes() -> None:
    """The run before a card keeps its lines (possessive): matched alone, it ends where
    `(?:[ \t\u00a0]*\n)*` ends."""
    giving = re.compile(r"(?:[ \t\u00a0]*\n)*")
    for text in ["", "\n", " \n\t\nx", "\u00a0\n \n", "  x\n", "\n\n ", " \r\n"]:
        for pos in range(len(text) + 1):
            kept, given_back = _BLANK_RUN.match(text, pos), giving.match(text, pos)
            assert kept is not None and given_back is not None
            assert kept.end() == given_back.end()


split_strategy = st.tuples(st.sampled_from(["Radio 10", "Post", "Harbour Times"]), st.just("x"))


@SETTINGS
@given(split_strategy, st.sets(st.sampled_from(["radio 10", "post", "harbour times", "other"])))
def test_one_reading_is_taken_as_pick_takes_it(split: tuple[str, str], known: set[str]) -> None:
    """A glued line with one reading: `_article` takes it without the publishers' keys;
    `_pick` takes the same whatever publishers are known, and leaves no alternatives."""
    chosen = _pick([split], known)
    assert chosen == split
    assert tuple(sp for sp in [split] if sp != chosen) == ()
    card = _logo_card("Other title", split[0], "3 hours ago", "Teaser.")
    for cards in ("", card):
        text = f"logo\nFerry title\nFerry title\n{split[0]}a day ago\nBody.\nHashtags\n"
        page = segment(f"{text}Related Articles\n{cards}")
        assert isinstance(page, Page)
        main = page.blocks[0]
        assert (main.source, main.time_text, main.glued_alternatives) == (
            split[0],
            "a day ago",
            (),
        )


def test_glued_readings_with_and_without_the_time_length_bound() -> None:
    """The bound skips only offsets too far from the end to start a time text."""
    lines = ["x" * n + "Radio 1015 hours ago" for n in (0, 5, 40, 100)]
    lines += ["Harbour Times 3 hours ago", "Post12-03-2025", "a day agoa day ago", "ab"]
    for layout in LAYOUTS:
        assert layout.time_max_chars is not None
        unbounded = replace(layout, time_max_chars=None)
        plain = replace(layout, time_max_chars=None, time_starts=None)
        for line in lines:
            expected = _glued_plainly(line, layout)
            assert glued_splits(line, layout) == glued_splits(line, unbounded) == expected
            assert glued_splits(line, plain) == expected
    assert glued_splits("Radio 1015 hours ago", EN) == [
        ("Radio 10", "15 hours ago"),
        ("Radio 101", "5 hours ago"),
    ]


# --- the first layout chosen without counting marker lines -------------------------------


def test_hitting_chars_hold_one_character_of_each_text() -> None:
    assert _hitting_chars({"ab", "bc", "cd"}) == "cb"  # ties: the highest code point
    assert _hitting_chars(set()) == ""
    assert _hitting_chars({"x", ""}) is None  # an empty marker is in every text
    later = {m for layout in LAYOUTS[1:] for m in layout.markers - LAYOUTS[0].markers}
    chars = _hitting_chars(later)
    assert chars is not None and all(any(ch in m for ch in chars) for m in later)
    assert "Orange background" not in later  # a marker both languages show: not looked for
    assert not _first_wins("anything", None)


ORDERS = [LAYOUTS, (AR, EN), (EN,), (AR, EN, AR)]


def _marker_texts(layouts: tuple[Layout, ...]) -> Iterator[str]:
    """Texts made of the layouts' marker lines, alone and in pairs, and the samples."""
    markers = sorted({m for layout in layouts for m in layout.markers})
    yield from markers
    prose = "The ferry to the islands will run twice a day from the spring, the council said."
    for a in markers:
        for b in markers:
            yield f"Title\n{a}\n{b}\n"
            # An image-URL fragment blanked above the title: counted before, looked
            # for after; a plain page whose evidence is its markers, or its prose.
            yield f"&w=3840&q=100)\nFerry service to the islands doubles\n{prose}\n{a}\n{b}\n"
    yield f"&w=3840&q=100)\nFerry service to the islands doubles\n{prose}\n{prose}\n"


def test_first_wins_only_when_the_count_would_choose_the_first(real_pages: list[str]) -> None:
    """Whenever `_first_wins` says so, counting the marker lines chooses the first
    layout too; and the shortcut is taken on most real pages and on some of the others."""
    taken = 0
    for layouts in ORDERS:
        finder, later = _markers_of(layouts)
        texts = [*real_pages, *_marker_texts(layouts)]
        for page in texts:
            for text in [page, *_cut_and_edited(page)]:
                if _first_wins(text, later):
                    assert _choose(finder.present(text), layouts)[0] is layouts[0]
                    taken += 1
    assert taken > 100


@pytest.mark.parametrize("order", range(len(ORDERS)))
def test_segment_with_and_without_choosing_the_first_at_once(
    order: int, real_pages: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages segmented with the shortcut equal those segmented with every page's marker
    lines counted first (the shortcut turned off).

    Turned off through the data it reads, not by replacing `_first_wins`: compiled,
    the module calls its own functions directly, past any attribute set on it, but
    reads its (non-final) globals from the module. The layouts' finder is remembered
    with no characters to look for (`later` None), so no page wins at once."""
    layouts = ORDERS[order]
    texts = [t for page in real_pages for t in [page, *_cut_and_edited(page)]]
    texts += list(_marker_texts(layouts))
    fast = [repr(segment(text, layouts)) for text in texts]
    # The module, not the function of the same name the package exports.
    module = sys.modules["builder.parse.layouts.segment"]
    finder, later = _markers_of(layouts)
    assert later is not None  # the shortcut was on for the fast run
    monkeypatch.setattr(module, "_last_markers", (layouts, finder, None))
    assert _markers_of(layouts) == (finder, None)
    plain = [repr(segment(text, layouts)) for text in texts]
    assert module._last_markers == (layouts, finder, None)  # still off after the run
    assert fast == plain
