"""Fast paths of the per-dump stage against their plain definitions: a `Sighting` built
by `_new_sighting` is the one the dataclass's `__init__` builds, one given its language
by `_with_language` the one `dataclasses.replace` gives, and a card's sighting built
the short way (`_card`, its teaser remembered) the one `_any_sighting` builds."""

from __future__ import annotations

import pickle
from dataclasses import MISSING, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.inputs.decode import Decoded, decode
from builder.parse.extract import (
    _any_sighting,
    _card,
    _card_text,
    _new_sighting,
    _sighting,
    _with_language,
    extract,
)
from builder.parse.layouts.segment import Block, Page, segment
from builder.parse.repair import TEASER_CHARS
from builder.parse.spans import ByteOffsets
from builder.records import Dump, RawDump, Repair, Sighting, SourceSplit

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"
DEV = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "daily8-dev"

#: Every field, set to a value unlike its default, in the fields' order.
VALUES = (
    "d0001",
    3,
    "main",
    "A title of my own",
    "Some Source",
    "World",
    "2 hours ago",
    datetime(2025, 7, 1, 10, tzinfo=UTC),
    3600,
    "Body text.\nSecond line.",
    True,
    5,
    9,
    120,
    160,
    (Repair("join_lines", 6, "'a' + 'b'"),),
    (SourceSplit("Some", "Source 2 hours ago", None, None, False),),
    "en",
    True,
)


def _fields(sighting: Sighting) -> tuple[object, ...]:
    return tuple(getattr(sighting, f.name) for f in fields(Sighting))


def _same(fast: Sighting, plain: Sighting) -> bool:
    return (
        fast == plain
        and hash(fast) == hash(plain)
        and repr(fast) == repr(plain)
        and pickle.dumps(fast) == pickle.dumps(plain)
        and list(vars(fast)) == [f.name for f in fields(Sighting)]
    )


def test_sighting_fill_equals_the_dataclass_init() -> None:
    assert len(VALUES) == len(fields(Sighting))
    plain = Sighting(*VALUES)
    fast = _new_sighting(*VALUES)  # type: ignore[arg-type]
    assert _same(fast, plain)
    assert pickle.loads(pickle.dumps(fast)) == plain
    assert fast.sighting_id == plain.sighting_id
    with pytest.raises(AttributeError):
        fast.title = "x"  # type: ignore[misc]


def test_the_defaults_are_the_values_extract_passes_for_a_bare_card() -> None:
    """The fields with defaults are passed explicitly: the defaults are what a card
    without repairs, alternatives, language or a late time gets."""
    defaults = {f.name: f.default for f in fields(Sighting) if f.default is not MISSING}
    assert defaults == {
        "repairs": (),
        "source_alternatives": (),
        "language": None,
        "published_after_capture": False,
    }
    bare = (*VALUES[:15], (), (), None, False)
    assert _same(_new_sighting(*bare), Sighting(*VALUES[:15]))  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["de", None, "en"])
def test_a_language_set_fast_equals_dataclasses_replace(language: str | None) -> None:
    for start in (Sighting(*VALUES), Sighting(*VALUES[:15])):
        fast = _with_language(start, language)
        assert _same(fast, replace(start, language=language))
        assert fast.language == language
        assert start.language in ("en", None)  # the original is left as it was
    with pytest.raises(AttributeError):
        fast.language = "fr"  # type: ignore[misc]


def test_the_comparison_can_fail() -> None:
    plain = Sighting(*VALUES)
    for i in range(len(VALUES)):  # any one field changed is told apart
        changed = list(VALUES)
        changed[i] = None if VALUES[i] is not None else "x"
        assert not _same(Sighting(*changed), plain)  # type: ignore[arg-type]
    # A dict in another order is equal, but its repr and pickle are not the dataclass's.
    shuffled = object.__new__(Sighting)
    names = [f.name for f in fields(Sighting)]
    object.__setattr__(shuffled, "__dict__", dict(reversed(list(zip(names, VALUES, strict=False)))))
    assert shuffled == plain
    assert not _same(shuffled, plain)


def _pages() -> list[Path]:
    pages = sorted(SAMPLES.glob("*.txt"))
    if DEV.is_dir():
        pages += sorted(DEV.glob("*.txt"))
    return pages


def test_extract_gives_the_sightings_the_dataclass_init_gives() -> None:
    """On every sample and real page: each sighting rebuilt by the dataclass's own
    `__init__` from its fields is the same object (order, repr, pickle, hash)."""
    pages = _pages()
    assert pages
    count = 0
    for path in pages:
        result = extract(RawDump(path.name, path.read_bytes(), WHEN, "option"))
        for s in result.sightings:
            assert _same(s, Sighting(*_fields(s))), path.name
            count += 1
    assert count > 0


# --- cards of one whole line -------------------------------------------------------------

#: Bits of teaser text: the inline fixes' needles, white space to strip, characters of
#: two to four bytes in UTF-8 (byte spans) and a NUL (which decoding removes).
TEASER_BITS = [
    "The ferry",
    "x",
    " ",
    "  ",
    "\t",
    " ,",
    " .",
    " 's",
    "' ",
    '" ',
    "‘tribute'",
    "matches.Audiences",
    "é",
    "—",
    "في",
    "😀",
    "...",
    "\x00",
]
teaser_text = st.lists(st.sampled_from(TEASER_BITS), max_size=10).map("".join)


def _page_and_dump() -> tuple[Page, Dump]:
    """A real page of related cards (a sample), and its dump's row."""
    path = SAMPLES / "09_hashtag_listing_logo.txt"
    data = path.read_bytes()
    decoded = decode(data)
    assert isinstance(decoded, Decoded)
    page = segment(decoded.text)
    assert isinstance(page, Page)
    return page, extract(RawDump(path.name, data, WHEN, "option")).dump


PAGE, DUMP = _page_and_dump()
TEMPLATE = next(b for b in PAGE.blocks if b.role == "related")


def _cards(
    texts: list[str], encoding: str, line_break: str, picks: list[tuple[int, int]]
) -> tuple[ByteOffsets, list[Block]]:
    """A dump of `texts`, one a line, in `encoding`, and one-line cards on its lines:
    whole lines mostly (the short way), and a line's end or a text not in the dump."""
    data = line_break.join(texts).encode(encoding, "surrogatepass")
    decoded = decode(data)
    if not isinstance(decoded, Decoded):
        return ByteOffsets(b"x", Decoded("x", "utf-8", 0)), []
    offsets = ByteOffsets(data, decoded)
    blocks = []
    for no, how in picks:
        full = offsets.lines[no - 1] if 0 < no <= len(offsets.lines) else "absent"
        raw = [full, full, full, full[2:], full + "?"][how]
        repairs = (Repair("drop_junk_line", no, "made up"),) if how == 1 else ()
        blocks.append(replace(TEMPLATE, body=((no, raw),), repairs=repairs))
    return offsets, blocks


@settings(max_examples=400, deadline=None)
@given(
    st.lists(teaser_text, min_size=1, max_size=6),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.lists(st.tuples(st.integers(0, 8), st.integers(0, 4)), min_size=1, max_size=8),
)
def test_a_card_the_short_way_is_the_sighting_of_any_block(
    texts: list[str], encoding: str, line_break: str, picks: list[tuple[int, int]]
) -> None:
    """The same sighting, field for field (byte span, repairs with their line numbers),
    whether the card is built by `_card` or traced line by line; the same teaser on
    several lines, or asked again, gets its own line's numbers and span."""
    if encoding == "cp1252":  # a code page: its own characters only
        texts = [t.encode("cp1252", "replace").decode("cp1252") for t in texts]
    offsets, blocks = _cards(texts, encoding, line_break, picks)
    for position, block in enumerate(blocks):
        fast = _sighting(DUMP, position, block, PAGE, offsets)
        plain = _any_sighting(DUMP, position, block, PAGE, offsets)
        assert _same(fast, plain), (block.body, fast, plain)


@pytest.mark.parametrize("filler", ["ééééé", "eeeee"])
def test_a_remembered_teaser_gets_each_lines_numbers_and_bytes(filler: str) -> None:
    """One teaser on lines 2 and 4, the second after a line of two-byte characters (or
    of ASCII): the second is remembered, and still gets its own line in its repairs
    and its own bytes."""
    teaser = "  The Minister 's ferry , late  "
    texts = ["Top", teaser, filler, teaser]
    offsets, blocks = _cards(texts, "utf-8", "\n", [(2, 0), (4, 0)])
    _card_text.cache_clear()
    first = _card(DUMP, 0, blocks[0], PAGE, offsets)
    hits = _card_text.cache_info().hits
    second = _card(DUMP, 1, blocks[1], PAGE, offsets)
    assert first is not None and second is not None
    assert _card_text.cache_info().hits == hits + 1
    assert {r.line for r in first.repairs} == {2}
    assert {r.line for r in second.repairs} == {4}
    assert first.text == second.text == "The Minister's ferry, late"
    data = "\n".join(texts).encode()
    for s in (first, second):
        assert s.text_byte_start is not None and s.text_byte_end is not None
        shown = data[s.text_byte_start : s.text_byte_end + 1].decode()
        assert shown == teaser.strip()
    between = len(teaser) + len("\n") + len(filler.encode()) + len("\n")
    assert second.text_byte_start == first.text_byte_start + between
    for position, (block, s) in enumerate(zip(blocks, (first, second), strict=True)):
        assert _same(s, _any_sighting(DUMP, position, block, PAGE, offsets))


def test_cards_the_short_way_leaves_to_the_plain_one() -> None:
    """A text not a whole line or a line past the end: `_card` declines, and `_sighting`
    traces them as any block. A text longer than a teaser is remembered takes the short
    way, is not remembered, and gets the same sighting."""
    long = "The ferry , " * (TEASER_CHARS // 10 + 1)
    offsets, blocks = _cards(["The ferry", long], "utf-8", "\n", [(1, 3), (9, 0), (2, 0)])
    size = _card_text.cache_info().currsize
    for position, block in enumerate(blocks):
        card = _card(DUMP, position, block, PAGE, offsets)
        assert (card is None) == (position < 2)
        assert _same(
            _sighting(DUMP, position, block, PAGE, offsets),
            _any_sighting(DUMP, position, block, PAGE, offsets),
        )
    assert _card_text.cache_info().currsize == size
    long_card = _sighting(DUMP, 2, blocks[2], PAGE, offsets)
    assert long_card.text is not None and long_card.text.startswith("The ferry, The ferry,")


def test_the_card_comparison_can_fail() -> None:
    """A remembered teaser given back with the line it was first seen on would differ."""
    offsets, blocks = _cards(["A ferry , late", "A ferry , late"], "utf-8", "\n", [(1, 0), (2, 0)])
    first = _card(DUMP, 0, blocks[0], PAGE, offsets)
    plain = _any_sighting(DUMP, 0, blocks[1], PAGE, offsets)
    assert first is not None and first.repairs
    assert not _same(first, plain)
    assert not _same(replace(plain, repairs=first.repairs, position=0), plain)
