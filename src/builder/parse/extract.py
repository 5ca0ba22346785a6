"""One dump in, its `dumps` row and sightings out: the pure per-dump stage.

Everything here depends on the dump's bytes, path and capture time only, so it runs in
any order, in parallel, and can be cached by the dump's sha256.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from time import perf_counter

from builder.inputs.decode import Decoded, decode
from builder.parse.language import detect
from builder.parse.layouts.segment import Block, Page, Rejected, segment
from builder.parse.repair import fix_inline, repair_body
from builder.parse.times import resolve
from builder.records import Dump, DumpResult, RawDump, Sighting, SourceSplit, dump_id_for
from builder.timing import add as _add_time

_TEASER_ENDS = ("...", "…")


def _quarantine(dump: Dump, reason: str) -> DumpResult:
    return DumpResult(replace(dump, status="quarantined", reason=reason, n_sightings=0))


class _ByteOffsets:
    """UTF-8 byte offset of each line start, so provenance can point at raw bytes."""

    def __init__(self, text: str, bom: int) -> None:
        self.starts = [bom]
        ascii_only = text.isascii()  # then bytes and characters count alike: no encoding
        for line in text.split("\n"):
            size = len(line) if ascii_only else len(line.encode("utf-8"))
            self.starts.append(self.starts[-1] + size + 1)

    def span(self, first_line: int, last_line: int) -> tuple[int, int]:
        return self.starts[first_line - 1], self.starts[last_line] - 1


def _sighting(
    dump: Dump, position: int, block: Block, page: Page, offsets: _ByteOffsets
) -> Sighting:
    if block.role == "main":
        lines, repairs = repair_body(block.body)
    else:
        lines, repairs = [], []
        for no, raw in block.body:
            fixed, inline = fix_inline(raw.strip(), no)
            lines.append((no, fixed))
            repairs += inline
    repairs = [*block.repairs, *repairs]  # what the segmenter dropped comes first
    text = "\n".join(t for _, t in lines) or None
    span = offsets.span(lines[0][0], lines[-1][0]) if lines else (None, None)
    resolved = resolve(block.time_text, dump.captured_at, page.layout)
    alternatives = []
    for alt_source, alt_time in block.glued_alternatives:
        alt = resolve(alt_time, dump.captured_at, page.layout)
        alternatives.append(
            SourceSplit(
                alt_source, alt_time, alt.at if alt else None, alt.uncertainty_s if alt else None
            )
        )
    teaser = block.role == "related" or (text is not None and text.rstrip().endswith(_TEASER_ENDS))
    return Sighting(
        dump_id=dump.dump_id,
        position=position,
        role=block.role,
        title=block.title,
        source=block.source,
        category=block.category,
        published_text=block.time_text,
        published_at=resolved.at if resolved else None,
        published_at_uncertainty_s=resolved.uncertainty_s if resolved else None,
        text=text,
        text_is_teaser=teaser,
        line_start=block.line_start,
        line_end=block.line_end,
        text_byte_start=span[0],
        text_byte_end=span[1],
        repairs=tuple(repairs),
        source_alternatives=tuple(alternatives),
        language=detect(block.title, text) if block.role == "main" else None,
    )


def extract(raw: RawDump) -> DumpResult:
    """Parse one dump, or quarantine it with a one-line reason. Never raises on input."""
    sha = hashlib.sha256(raw.data).hexdigest()
    dump = Dump(
        dump_id=dump_id_for(raw.path, sha),
        path=raw.path,
        url=raw.url,
        sha256=sha,
        size_bytes=len(raw.data),
        captured_at=raw.captured_at,
        captured_at_source=raw.captured_at_source,
        page_kind=None,
        layout=None,
        status="parsed",
        reason=None,
        n_sightings=0,
        truncated=False,
        encoding=None,
    )
    if raw.error is not None:
        return _quarantine(dump, raw.error)
    started = perf_counter()
    decoded = decode(raw.data)
    decoded_at = perf_counter()
    _add_time("decode", decoded_at - started)
    if not isinstance(decoded, Decoded):
        return _quarantine(dump, decoded.reason)
    dump = replace(dump, encoding=decoded.encoding, replaced_bytes=decoded.nul_bytes_removed)
    page = segment(decoded.text)
    segmented_at = perf_counter()
    _add_time("segment", segmented_at - decoded_at)
    if isinstance(page, Rejected):
        return _quarantine(dump, page.reason)
    dump = replace(dump, page_kind=page.kind, layout=page.layout_name, truncated=page.truncated)
    if not page.blocks:
        return _quarantine(dump, "no articles found")
    bom = 3 if decoded.encoding == "utf-8-sig" else 0
    offsets = _ByteOffsets(decoded.text, bom)
    sightings = tuple(_sighting(dump, i, b, page, offsets) for i, b in enumerate(page.blocks))
    _add_time("repair", perf_counter() - segmented_at)
    return DumpResult(replace(dump, n_sightings=len(sightings)), sightings)
