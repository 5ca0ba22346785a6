"""Byte spans' short ways give what `ByteOffsets.at` gives: `span` of an ASCII dump
without calling `at`, and a card's span as its line's start plus its columns' bytes
worked out once per text (`column_bytes`), whatever the encoding and line breaks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.inputs.decode import Decoded, decode
from builder.parse.spans import ByteOffsets, TextLines, column_bytes

#: Characters of one to four bytes in UTF-8, a NUL (which decoding removes) and a tab.
BITS = ["The ferry", "x", " ", "é", "—", "في", "😀", "\x00", "\t", ",", "'"]
line_text = st.lists(st.sampled_from(BITS), min_size=1, max_size=8).map("".join)
SETTINGS = settings(max_examples=300, deadline=None)


def _offsets(texts: list[str], encoding: str, line_break: str) -> ByteOffsets | None:
    data = line_break.join(texts).encode(encoding, "surrogatepass")
    decoded = decode(data)
    return ByteOffsets(data, decoded) if isinstance(decoded, Decoded) else None


def _span_plainly(
    offsets: ByteOffsets, first: tuple[int, int], last: tuple[int, int]
) -> tuple[int, int] | None:
    """The plain definition of `ByteOffsets.span`: `at` of both ends, and the size of the
    last character."""
    start, last_start = offsets.at(*first), offsets.at(*last)
    if start is None or last_start is None:
        return None
    line, column = last
    return start, last_start + offsets._size(offsets.lines[line - 1][column]) - 1


@SETTINGS
@given(
    st.lists(line_text, min_size=1, max_size=5),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    st.sampled_from(["\n", "\r\n"]),
    st.data(),
)
def test_span_and_a_lines_columns_are_what_at_gives(
    texts: list[str], encoding: str, line_break: str, data: st.DataObject
) -> None:
    if encoding == "cp1252":  # a code page: its own characters only
        texts = [t.encode("cp1252", "replace").decode("cp1252") for t in texts]
    offsets = _offsets(texts, encoding, line_break)
    if offsets is None:
        return
    for no, line in enumerate(offsets.lines, start=1):
        if not line:
            continue
        first = data.draw(st.integers(0, len(line) - 1))
        last = data.draw(st.integers(first, len(line) - 1))
        plain = _span_plainly(offsets, (no, first), (no, last))
        assert offsets.span((no, first), (no, last)) == plain
        start = offsets.line_start(no)
        if start is None:  # NULs removed from this line, or bytes not aligned
            assert no - 1 in offsets.raw_lines or not offsets.exact
            continue
        a, b = column_bytes(line, first, last, offsets.encoding)
        assert (start + a, start + b) == plain
    if len(offsets.lines) > 1 and offsets.lines[0] and offsets.lines[-1]:
        far = (len(offsets.lines), len(offsets.lines[-1]) - 1)
        assert offsets.span((1, 0), far) == _span_plainly(offsets, (1, 0), far)


def test_an_ascii_dump_takes_the_short_way_and_a_nul_line_has_no_line_start() -> None:
    ascii_dump = _offsets(["The ferry", "sailed late."], "utf-8", "\n")
    assert ascii_dump is not None and ascii_dump.ascii
    assert (
        ascii_dump.span((2, 4), (2, 11)) == (14, 21) == _span_plainly(ascii_dump, (2, 4), (2, 11))
    )
    nul = _offsets(["The ferry", "sai\x00led"], "utf-8", "\n")
    assert nul is not None and not nul.ascii
    assert nul.line_start(1) == 0 and nul.line_start(2) is None
    assert nul.span((2, 3), (2, 5)) == (14, 16)  # `led`, the NUL at byte 13 stepped over


def test_the_columns_comparison_can_fail() -> None:
    """Counted in characters rather than bytes, a column after a two-byte one is off."""
    assert column_bytes("éa", 1, 1, "utf-8") == (2, 2) != (1, 1)
    assert column_bytes("éa", 1, 1, "cp1252") == (1, 1)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \n\r\u00e9\u062a\U0001f600", max_size=40))
def test_text_lines_are_the_text_split_at_its_line_breaks(text: str) -> None:
    """`TextLines`: each line cut when asked is `text.split("\n")`'s, by any index."""
    lines, split = TextLines(text), text.split("\n")
    assert len(lines) == len(split) and list(lines) == split
    for index in range(-len(split), len(split)):
        assert lines[index] == split[index]
    for index in (len(split), -len(split) - 1):
        with pytest.raises(IndexError):
            lines[index]


def test_the_text_lines_comparison_can_fail() -> None:
    """Lines cut one character short (the break kept out twice) are caught."""
    lines = TextLines("ab\ncd\n")
    assert [lines[i] for i in range(len(lines))] == ["ab", "cd", ""]
    assert lines.text[lines.starts[0] : lines.starts[1] - 2] != "ab"
