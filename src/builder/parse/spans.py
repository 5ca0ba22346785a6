"""Character positions in a decoded dump to byte offsets in the dump's own bytes.

Provenance points at the bytes whose sha256 the `dumps` row records: a row's
`text_byte_start` is the offset of the first byte of its kept text and
`text_byte_end` the offset of the last byte (inclusive), so `raw[start:end + 1]` holds
the text as the page showed it. Decoding may have dropped a byte-order mark, NUL bytes
and carriage returns and may have read a legacy or UTF-16 encoding, so a position in
the decoded text is mapped back through what decoding did, never assumed to be UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Final

from builder.inputs.decode import ESCAPED_BYTES, Decoded

#: Encoders that give the byte length of text without writing a byte-order mark.
_NO_BOM = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}
_BOM_BYTES = {"utf-8-sig": 3, "utf-16": 2, "utf-32": 4}


@cache
def _single_byte(encoding: str) -> bool:
    """Whether every byte is one character of its own (cp1252, iso-8859-2, ...).

    A codec that cannot read the 256 bytes at all is not (UTF-32 raised here, and a
    dump in it crashed `extract`)."""
    try:
        each = len(bytes(range(256)).decode(encoding, "surrogateescape")) == 256
        return each and len("é".encode().decode(encoding, "surrogateescape")) == 2
    except (LookupError, UnicodeDecodeError):
        return False


#: What decoding turns into one line break: NULs go first, then CR LF and lone CR.
_BREAK = re.compile(r"\r\x00*\n|\r|\n")


class TextLines:
    """`text.split("\n")`, each line cut from `text` only when asked for.

    A dump of ~65 lines has ~17 of them asked for (a main article's body, a card's
    teaser): where each line starts is found with one `memchr` per line break, and no
    string is made for the others (splitting made every line, and a text outside
    Latin-1 was scanned again for each line's widest character)."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str) -> None:
        self.text: Final = text
        #: Where each line starts, and past the end (the length plus one): line `i` is
        #: `text[starts[i] : starts[i + 1] - 1]`.
        starts = [0]
        at = text.find("\n")
        while at >= 0:
            at += 1
            starts.append(at)
            at = text.find("\n", at)
        starts.append(len(text) + 1)
        self.starts: Final = starts

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, index: int) -> str:
        starts = self.starts
        n = len(starts) - 1
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("line index out of range")
        return self.text[starts[index] : starts[index + 1] - 1]

    def __iter__(self) -> Iterator[str]:
        return iter(self.text.split("\n"))


class ByteOffsets:
    """Byte offset, in the raw dump, of any (line, column) of the decoded text.

    Built once per dump: the byte start of every decoded line. A column is turned into
    bytes by encoding only the start of its own line, so a dump of many lines costs one
    pass, not one per row. `exact` is False when the bytes could not be aligned with the
    text (a codec that does not round-trip): spans are then left out, never guessed.
    """

    def __init__(self, data: bytes, decoded: Decoded) -> None:
        self.encoding = _NO_BOM.get(decoded.encoding, decoded.encoding)
        #: A code page of one byte per character: sizes are character counts, also for
        #: the U+FFFD that stands for a byte the code page leaves undefined.
        self.single_byte = _single_byte(self.encoding)
        self.lines = TextLines(decoded.text)
        self.starts: list[int] = []  # byte offset of each decoded line
        #: Per line with NULs in the raw: the raw line, to step over them; else absent.
        self.raw_lines: dict[int, str] = {}
        self.exact = True
        #: Every character is one byte (ASCII read as UTF-8): a column is a byte count.
        self.ascii = False
        bom = _BOM_BYTES.get(decoded.encoding, 0)
        simple = self.encoding == "utf-8" and decoded.nul_bytes_removed == 0 and b"\r" not in data
        if simple:
            # The bytes after the BOM are the text encoded: their lines are its lines.
            # A line starts after the previous one and its break: plain loops over typed
            # locals, C once compiled (the sizes of the bytes' lines summed by
            # `accumulate` over `map`s went through generic calls: 0.24 -> 0.18 s for
            # 20,000 dumps; looking for each break with `bytes.find`, a method call
            # per line, saved nothing).
            self.ascii = decoded.text.isascii()
            starts: list[int] = []
            pos: int = bom
            if self.ascii and not bom:  # a character is a byte: the lines' own starts
                starts = self.lines.starts[:-1]
            elif self.ascii:
                for at in self.lines.starts[:-1]:
                    starts.append(pos + at)
            else:
                for raw_line in (data[bom:] if bom else data).split(b"\n"):
                    starts.append(pos)
                    pos += len(raw_line) + 1
            self.starts = starts
            return
        self._align(data, decoded, bom)

    def _align(self, data: bytes, decoded: Decoded, bom: int) -> None:
        try:
            if self.single_byte:  # bytes the code page leaves undefined: U+FFFD, as decoded
                escaped = data.decode(decoded.encoding, "surrogateescape")
                original = ESCAPED_BYTES.sub("\ufffd", escaped)
            else:
                original = data.decode(decoded.encoding)
        except (UnicodeDecodeError, LookupError):
            self.exact = False
            return
        pos, at = bom, 0
        for index, brk in enumerate([*_BREAK.finditer(original), None]):
            end = brk.start() if brk else len(original)
            raw_line = original[at:end]
            line = raw_line.replace("\x00", "") if "\x00" in raw_line else raw_line
            if index >= len(self.lines) or line != self.lines[index]:
                self.exact = False
                return
            if line is not raw_line:
                self.raw_lines[index] = raw_line
            self.starts.append(pos)
            if brk is None:
                break
            pos += self._size(original[at : brk.end()])
            at = brk.end()
        if len(self.starts) != len(self.lines) or pos + self._size(original[at:]) != len(data):
            self.exact = False

    def _size(self, text: str) -> int:
        return _size(text, self.encoding, self.single_byte)

    def line_start(self, line: int) -> int | None:
        """The byte offset of 1-based `line`, when its columns count as `column_bytes`
        counts them (the bytes are aligned, and decoding removed no NUL from it)."""
        if not self.exact or line - 1 in self.raw_lines:
            return None
        return self.starts[line - 1]

    def at(self, line: int, column: int) -> int | None:
        """Byte offset of the character at `column` (0-based) of 1-based `line`."""
        if not self.exact:
            return None
        if self.ascii:
            return self.starts[line - 1] + column
        text = self.raw_lines.get(line - 1)
        if text is None:
            text = self.lines[line - 1]
        else:  # step over the NULs decoding removed before this character
            seen, i = 0, 0
            while seen < column or text[i] == "\x00":
                seen += text[i] != "\x00"
                i += 1
            column = i
        return self.starts[line - 1] + _head_size(text, column, self.encoding, self.single_byte)

    def span(self, first: tuple[int, int], last: tuple[int, int]) -> tuple[int, int] | None:
        """Inclusive byte span from the character at `first` to the character at `last`."""
        if self.ascii:  # `at` of each, without two calls: five spans a dump, 1 us
            starts = self.starts
            return starts[first[0] - 1] + first[1], starts[last[0] - 1] + last[1]
        start, last_start = self.at(*first), self.at(*last)
        if start is None or last_start is None:
            return None
        if self.ascii:
            return start, last_start
        line, column = last
        return start, last_start + self._size(self.lines[line - 1][column]) - 1


def _size(text: str, encoding: str, single_byte: bool) -> int:
    if single_byte:
        return len(text)
    return len(text.encode(encoding, errors="surrogatepass"))


def _head_size(text: str, column: int, encoding: str, single_byte: bool) -> int:
    """The bytes of `text` before `column`."""
    head = text[:column]
    return (
        len(head) if encoding == "utf-8" and head.isascii() else _size(head, encoding, single_byte)
    )


def column_bytes(text: str, first: int, last: int, encoding: str) -> tuple[int, int]:
    """`ByteOffsets.span` of the characters at columns `first` to `last` of a line whose
    decoded text is `text`, less the line's start (`ByteOffsets.line_start`): the same
    for that text wherever it sits, so it can be worked out once for a text that recurs
    (a card's teaser). `encoding` as `ByteOffsets.encoding`."""
    single_byte = _single_byte(encoding)
    start = _head_size(text, first, encoding, single_byte)
    end = _head_size(text, last, encoding, single_byte) + _size(text[last], encoding, single_byte)
    return start, end - 1
