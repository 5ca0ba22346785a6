"""Text lengths in characters, as the contract counts them (`pc.utf8_length`), told
without reading every byte of ASCII texts one by one.

Arrow's `utf8_length` walks each text's bytes to count the ones that start a character;
the merge (a sighting's text length picks the best one) and the report (`text_chars`)
both count every text of a build so. A run of texts whose bytes are all ASCII has a
character per byte, so its lengths are its byte lengths, which Arrow reads from the
offsets alone: the bytes are then only scanned once, for a byte over 0x7F, by numpy.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Offsets' numpy type per string type whose texts are one buffer behind offsets.
_OFFSETS = {pa.string(): np.int32, pa.large_string(): np.int64}


def _ascii(values: pa.Array) -> bool:
    """Whether the bytes of `values` (a string or large string array) are all ASCII;
    False for any other layout (then the caller counts the plain way)."""
    kind = _OFFSETS.get(values.type)
    if kind is None:
        return False
    _, offsets, data = values.buffers()
    if offsets is None or len(values) == 0:
        return True
    size = np.dtype(kind).itemsize
    start, stop = (
        int(np.frombuffer(offsets, kind, 1, (values.offset + at) * size)[0])
        for at in (0, len(values))
    )
    if stop <= start:
        return True
    if data is None:
        return False
    return bool(np.frombuffer(data, np.uint8, stop - start, start).max() < 0x80)


def char_lengths(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`pc.utf8_length(values)`, the same array: each text's length in characters,
    null for a null. A chunk of ASCII texts is counted by its offsets (`binary_length`
    gives the same type: int32 for strings, int64 for large strings)."""
    if isinstance(values, pa.ChunkedArray):
        if values.type not in _OFFSETS:
            return pc.utf8_length(values)
        kind = pa.int32() if values.type == pa.string() else pa.int64()
        return pa.chunked_array([char_lengths(chunk) for chunk in values.chunks], kind)
    return pc.binary_length(values) if _ascii(values) else pc.utf8_length(values)
