"""char_lengths gives what pc.utf8_length gives, whatever the texts and their layout."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from builder.contract.texts import _ascii, char_lengths

ASCII = ["", "plain words", "tab\tand\nbreak", None, "x" * 300]
MIXED = ["café", "naïve text", None, "", "日本語のテキスト", "emoji 🙂 here", "plain"]


def _same(values: pa.Array | pa.ChunkedArray) -> None:
    got = char_lengths(values)
    expected = pc.utf8_length(values)
    assert got.type == expected.type
    assert got.equals(expected)


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
@pytest.mark.parametrize("texts", [ASCII, MIXED, [], [None, None]])
def test_the_lengths_are_utf8_length_s(kind: pa.DataType, texts: list[str | None]) -> None:
    _same(pa.array(texts, kind))


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_slices_count_their_own_texts_only(kind: pa.DataType) -> None:
    values = pa.array([*ASCII, *MIXED, *ASCII], kind)
    for start in range(len(values)):
        for length in range(len(values) - start + 1):
            _same(values.slice(start, length))
    # The ASCII slices are told ASCII though the array holds other characters.
    assert _ascii(values.slice(0, len(ASCII)))
    assert not _ascii(values.slice(len(ASCII), 2))


def test_bytes_under_a_null_are_not_counted() -> None:
    """A null slot may hold bytes (polars keeps neighbours' there): its length is null."""
    offsets = pa.array([0, 3, 9, 11], pa.int32()).buffers()[1]
    data = pa.py_buffer("abcé€xyz".encode())
    validity = pa.array([True, False, True]).buffers()[1]
    values = pa.Array.from_buffers(pa.string(), 3, [validity, offsets, data], null_count=1)
    _same(values)
    ascii_under_null = pa.Array.from_buffers(
        pa.string(),
        3,
        [validity, offsets, pa.py_buffer(b"abcdefghijk")],
        null_count=1,
    )
    _same(ascii_under_null)
    assert char_lengths(ascii_under_null).to_pylist() == [3, None, 2]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_chunked_arrays_keep_their_chunks(kind: pa.DataType) -> None:
    values = pa.chunked_array([ASCII, MIXED, [], ASCII], kind)
    got = char_lengths(values)
    assert isinstance(got, pa.ChunkedArray)
    assert got.num_chunks == values.num_chunks
    _same(values)
    _same(pa.chunked_array([], kind))


def test_other_layouts_are_not_told_ascii() -> None:
    """Only strings and large strings are one data buffer behind their offsets."""
    assert not _ascii(pa.array(ASCII, pa.string_view()))
    assert not _ascii(pa.array([b"bytes"], pa.binary()))
    assert _ascii(pa.array(ASCII, pa.string()))


def test_random_texts() -> None:
    rng = random.Random(14)
    alphabet = "abc xyz\n\té€🙂日"
    texts = [
        None if rng.random() < 0.1 else "".join(rng.choices(alphabet, k=rng.randrange(30)))
        for _ in range(500)
    ]
    ascii_texts = [t.encode("ascii", "ignore").decode() if t else t for t in texts]
    for batch in (texts, ascii_texts):
        values = pa.array(batch)
        _same(values)
        _same(values.slice(17, 300))
