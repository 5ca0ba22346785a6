"""Gzip-compressed JSON Lines, inflated in bounded chunks under size and ratio limits,
so that a truncated file keeps its complete records and a compression bomb stops early.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO

from builder.inputs.files import os_reason, short
from builder.inputs.jsonl import Line, chomp

#: A compressed export may inflate to this many times `max_bytes` in total; past that
#: it is treated as a decompression bomb rather than read to the end.
COMPRESSED_TOTAL_FACTOR = 20
#: Past `BOMB_MIN_BYTES` inflated, a compressed export inflating more than this many
#: times is a compression bomb. Text and JSON compress 3 to 20 times, an export of one
#: record repeated under 100; deflate's ceiling is about 1,030.
BOMB_RATIO = 200
BOMB_MIN_BYTES = 256 * 1024


def gzip_lines(fh: BinaryIO, max_bytes: int) -> Iterator[Line]:
    """Like `plain_lines`, but a record or stream inflating past the limits stops the
    read: skipping an over-long line would mean decompressing the whole bomb.

    Inflated in bounded chunks and split here rather than with `GzipFile.readline`:
    a bomb of blank lines made one Python call per byte (1.5 GB of newlines ran for
    hours), and the chunks let the inflation ratio be watched as it happens.
    """
    total_limit = COMPRESSED_TOTAL_FACTOR * max_bytes
    no = total = 0
    parts: list[bytes] = []  # the line being read, kept in pieces: no quadratic joins
    partial = 0

    def too_much(line: bytes) -> Line | None:
        """The error row when `line` breaks a limit; a record limit hit mid-line too."""
        if len(line.removesuffix(b"\n")) > max_bytes:
            what = f"a record over {max_bytes} bytes"
        elif total > total_limit:
            what = f"over {total_limit} bytes in total"
        else:
            return None
        reason = f"compressed stream exceeds the size limit ({what})"
        return Line(no, line[: max_bytes + 1], reason)

    try:
        for chunk, consumed, produced in _inflate(fh):
            pos = 0
            while (cut := chunk.find(b"\n", pos)) != -1:
                piece = chunk[pos : cut + 1]
                line = b"".join((*parts, piece)) if parts else piece
                parts, partial, pos = [], 0, cut + 1
                no += 1
                total += len(line)
                if (stop := too_much(line)) is not None:
                    yield stop
                    return
                if line.strip():
                    yield Line(no, chomp(line))
            if pos < len(chunk):
                parts.append(chunk[pos:])
                partial += len(chunk) - pos
                if partial > max_bytes and (stop := too_much(b"".join(parts))) is not None:
                    no += 1
                    yield replace(stop, no=no)
                    return
            if produced > BOMB_MIN_BYTES and produced > BOMB_RATIO * consumed:
                yield Line(
                    no + 1,
                    b"",
                    "compressed stream exceeds the size limit (a compression bomb: it "
                    f"inflates over {BOMB_RATIO} times; stopped after {produced} bytes)",
                )
                return
        if parts:
            line = b"".join(parts)
            no += 1
            total += len(line)
            if (stop := too_much(line)) is not None:
                yield stop
            elif line.strip():
                yield Line(no, chomp(line))
    except EOFError:
        yield Line(no + 1, b"", "truncated compressed file (it ends inside this record)")
    except zlib.error as exc:
        yield Line(no + 1, b"", f"corrupt compressed file ({short(str(exc))})")
    except OSError as exc:
        yield Line(no + 1, b"", os_reason(exc))


_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 64 * 1024
_INFLATE_CHUNK = 64 * 1024


def _inflate(fh: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """Inflate every gzip member of `fh` in chunks of at most `_INFLATE_CHUNK` bytes.

    Yields (chunk, compressed bytes consumed so far, inflated bytes so far); raises
    EOFError when the file ends inside a member and zlib.error when it is not gzip.
    NUL padding between members is skipped, as gzip(1) does.
    """
    consumed = produced = 0
    pending = fh.read(_READ_CHUNK)
    while True:
        while True:  # between members: skip padding, find the next header or the end
            stripped = pending.lstrip(b"\0")
            consumed += len(pending) - len(stripped)
            pending = stripped
            if len(pending) >= len(_GZIP_MAGIC):
                break
            more = fh.read(_READ_CHUNK)
            if not more:
                if pending:
                    raise zlib.error("not gzip data (stray bytes after the last member)")
                return
            pending += more
        if not pending.startswith(_GZIP_MAGIC):
            raise zlib.error("not gzip data" if consumed == 0 else "stray bytes after a member")
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        while not inflater.eof:
            chunk = inflater.decompress(pending, _INFLATE_CHUNK)
            rest = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            consumed += len(pending) - len(rest)
            pending = rest
            if chunk:
                produced += len(chunk)
                yield chunk, consumed, produced
            elif not pending and not inflater.eof:
                pending = fh.read(_READ_CHUNK)
                if not pending:
                    raise EOFError("compressed file ended before the end-of-stream marker")
        if not pending:
            pending = fh.read(_READ_CHUNK)
