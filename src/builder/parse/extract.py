"""One dump in, its `dumps` row and sightings out: the pure per-dump stage.

Everything here depends on the dump's bytes, path and capture time only, so it runs in
any order, in parallel, and can be cached by the dump's sha256.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from time import perf_counter
from typing import NamedTuple

from builder.inputs.decode import Decoded, decode
from builder.parse.language import detect
from builder.parse.layouts.segment import Block, Page, Rejected, segment
from builder.parse.repair import (
    TEASER_CHARS,
    TEASERS_REMEMBERED,
    Traced,
    repair_card,
    repair_main,
    repaired_teaser,
)
from builder.parse.spans import ByteOffsets, column_bytes
from builder.parse.times import ResolvedTime, resolve
from builder.records import (
    Dump,
    DumpResult,
    RawDump,
    Repair,
    Role,
    Sighting,
    SourceSplit,
    dump_id_for,
)
from builder.timing import add as _add_time

_TEASER_ENDS = ("...", "…")

_new = object.__new__
_set = object.__setattr__


def _row(
    raw: RawDump,
    dump_id: str,
    decoded: Decoded | None = None,
    page: Page | None = None,
    *,
    n_sightings: int = 0,
    reason: str | None = None,
) -> Dump:
    """The dump's `dumps` row from what the parse has found so far: its encoding once
    decoded, its layout once segmented, and a reason when it is quarantined.

    Made whole rather than patched with `dataclasses.replace` as each finding came in
    (3 us a call, four calls a dump: ~0.3 s of CPU in a 20,000-dump build), and once
    per dump. Each field set with `object.__setattr__`, in the fields' order, as the
    frozen dataclass's own `__init__` sets them: the same instance, with the compact
    dict `__init__` leaves (the class's shared keys), without running that interpreted
    `__init__` (compiled, ~1 us less a row). An instance whose dict is filled at once
    (as `_new_sighting` fills a Sighting's) cost 1.2 us instead of 3.4, but its dict is
    not the compact one, and with 20,000 results alive (benchmarks/stage_cpu.py's batch
    step) the garbage collector took 0.2 s more."""
    row = _new(Dump)
    _set(row, "dump_id", dump_id)
    _set(row, "path", raw.path)
    _set(row, "url", raw.url)
    _set(row, "sha256", raw.sha256)
    _set(row, "size_bytes", len(raw.data))
    _set(row, "captured_at", raw.captured_at)
    _set(row, "captured_at_source", raw.captured_at_source)
    _set(row, "page_kind", None if page is None else page.kind)
    _set(row, "layout", None if page is None else page.layout_name)
    _set(row, "status", "parsed" if reason is None else "quarantined")
    _set(row, "reason", reason)
    _set(row, "n_sightings", n_sightings)
    _set(row, "truncated", False if page is None else page.truncated)
    _set(row, "encoding", None if decoded is None else decoded.encoding)
    _set(row, "replaced_bytes", 0 if decoded is None else decoded.nul_bytes_removed)
    return row


def _traced(block: Block, offsets: ByteOffsets) -> list[Traced] | None:
    """The block's body lines, each placed at its column in the decoded line.

    A body line is normally a whole line of the dump; the first may start inside one.
    None when a line cannot be placed (then the row gets no byte span, not a wrong one).
    """
    return Traced.placed(block.body, offsets.lines)


def _sighting(
    dump: Dump,
    position: int,
    block: Block,
    page: Page,
    offsets: ByteOffsets,
    keep_furniture: bool = False,
    languages: bool = True,
) -> Sighting:
    """One block's sighting: a card of one whole line the short way (`_card`), any
    other block by `_any_sighting`."""
    if block.role == "related" and len(block.body) == 1:
        card = _card(dump, position, block, page, offsets)
        if card is not None:
            return card
    return _any_sighting(dump, position, block, page, offsets, keep_furniture, languages)


def _any_sighting(
    dump: Dump,
    position: int,
    block: Block,
    page: Page,
    offsets: ByteOffsets,
    keep_furniture: bool = False,
    languages: bool = True,
) -> Sighting:
    """`_sighting` of any block: its body lines traced, repaired and placed in bytes."""
    traced = _traced(block, offsets)
    body = traced if traced is not None else [Traced.of(no, raw) for no, raw in block.body]
    if block.role == "main":
        done = repair_main(body, keep_furniture=keep_furniture)
    else:
        done = repair_card(body)
    lines = done.lines
    repairs = (*block.repairs, *done.repairs)  # what the segmenter dropped comes first
    text = "\n".join([t for _, t in lines]) or None
    span = None
    if traced is not None and text is not None and done.first and done.last:
        span = offsets.span(done.first, done.last)
    teaser = block.role == "related" or (text is not None and text.rstrip().endswith(_TEASER_ENDS))
    return _of_block(
        dump,
        position,
        block,
        page,
        text,
        teaser,
        span,
        repairs,
        _alternatives(block, dump, page),
        detect(block.title, text) if languages and block.role == "main" else None,
    )


def _card(
    dump: Dump, position: int, block: Block, page: Page, offsets: ByteOffsets
) -> Sighting | None:
    """`_sighting` of a card whose text is one whole line of the dump (every card of the
    synthetic corpus), or None for any other card.

    Its teaser's repairs and the bytes of its ends within the line are remembered by
    text (`_card_text`): the line is not traced, and only what depends on where it sits
    (line numbers, the line's byte offset) and on the dump (times) is worked out here.
    Measured on 4,000 synthetic dumps (four cards a dump): ~9 -> ~6 us a card.
    """
    no, raw = block.body[0]
    lines = offsets.lines
    if not 0 < no <= len(lines) or lines[no - 1] != raw:
        return None
    # A teaser longer than those remembered (real pages show some of 1,000-1,800
    # characters) takes the same way, worked out each time.
    remembered = len(raw) <= TEASER_CHARS
    card = _card_text(raw) if remembered else _card_text.__wrapped__(raw)
    text, done, first, last, utf8_first, utf8_last = card
    span = None
    if text and first is not None and last is not None:
        start = offsets.line_start(no) if offsets.encoding == "utf-8" else None
        if start is not None and utf8_first is not None and utf8_last is not None:
            span = (start + utf8_first, start + utf8_last)
        else:  # another encoding, NULs removed from the line, or bytes not aligned
            span = offsets.span((no, first), (no, last))
    repairs = block.repairs
    if done:
        repairs = (*repairs, *[Repair(kind, no, detail) for kind, detail in done])
    return _of_block(
        dump,
        position,
        block,
        page,
        text or None,
        True,  # a related article's text is a teaser
        span,
        repairs,
        _alternatives(block, dump, page) if block.glued_alternatives else (),
        None,  # languages are detected for main articles only
    )


def _of_block(
    dump: Dump,
    position: int,
    block: Block,
    page: Page,
    text: str | None,
    teaser: bool,
    span: tuple[int, int] | None,
    repairs: tuple[Repair, ...],
    alternatives: tuple[SourceSplit, ...],
    language: str | None,
) -> Sighting:
    """The sighting of `block` from what its way through the stage gave (text, span,
    repairs...): the rest is read off the block, and its time resolved."""
    resolved, after_capture = _published(block.time_text, dump, page)
    return _new_sighting(
        dump.dump_id,
        position,
        block.role,
        block.title,
        block.source,
        block.category,
        block.time_text,
        resolved.at if resolved else None,
        resolved.uncertainty_s if resolved else None,
        text,
        teaser,
        block.line_start,
        block.line_end,
        span[0] if span else None,
        span[1] if span else None,
        repairs,
        alternatives,
        language,
        after_capture,
    )


class _CardText(NamedTuple):
    """A card's one line repaired (`repaired_teaser`), and the UTF-8 bytes of its kept
    text's first and last characters from the line's start (`column_bytes`; None when
    nothing is kept). One flat tuple: a remembered answer is one more object for the
    garbage collector to walk, and nested ones made its full passes slower."""

    text: str
    repairs: tuple[tuple[str, str], ...]
    first: int | None
    last: int | None
    utf8_first: int | None
    utf8_last: int | None


@lru_cache(maxsize=TEASERS_REMEMBERED)
def _card_text(raw: str) -> _CardText:
    """`_CardText` of a card's line `raw`, remembered: a card's teaser recurs on many
    pages (82,952 card sightings of 20,000 dumps showed 9,353 distinct teasers), and
    all of it depends on the text alone (dumps are UTF-8 but for a few; the others'
    spans are worked out each time). Callers keep `raw` at most `TEASER_CHARS` long
    (see `TEASERS_REMEMBERED`).
    """
    text, repairs, first, last = repaired_teaser(raw)
    utf8 = None
    if text and first is not None and last is not None:
        utf8 = column_bytes(raw, first, last, "utf-8")
    return _CardText(
        text, repairs, first, last, utf8[0] if utf8 else None, utf8[1] if utf8 else None
    )


def _alternatives(block: Block, dump: Dump, page: Page) -> tuple[SourceSplit, ...]:
    """The other readings of a glued source-and-time line, each with its time read."""
    if not block.glued_alternatives:
        return ()
    alternatives = []
    for alt_source, alt_time in block.glued_alternatives:
        alt, alt_after = _published(alt_time, dump, page)
        alternatives.append(
            SourceSplit(
                alt_source,
                alt_time,
                alt.at if alt else None,
                alt.uncertainty_s if alt else None,
                alt_after,
            )
        )
    return tuple(alternatives)


def _new_sighting(
    dump_id: str,
    position: int,
    role: Role,
    title: str,
    source: str | None,
    category: str | None,
    published_text: str | None,
    published_at: datetime | None,
    published_at_uncertainty_s: int | None,
    text: str | None,
    text_is_teaser: bool,
    line_start: int,
    line_end: int,
    text_byte_start: int | None,
    text_byte_end: int | None,
    repairs: tuple[Repair, ...],
    source_alternatives: tuple[SourceSplit, ...],
    language: str | None,
    published_after_capture: bool,
) -> Sighting:
    """`Sighting(...)` (every field, in order) at a third of the cost: five per dump.

    A frozen dataclass's `__init__` sets each of its 19 fields through
    `object.__setattr__` (2 us); this fills the instance's dict at once, in the fields'
    order, and gives an equal object: same repr, hash and pickle
    (tests/parse/test_extract_fast_paths.py compares it with the dataclass's own).
    """
    sighting = _new(Sighting)
    _set(
        sighting,
        "__dict__",
        {
            "dump_id": dump_id,
            "position": position,
            "role": role,
            "title": title,
            "source": source,
            "category": category,
            "published_text": published_text,
            "published_at": published_at,
            "published_at_uncertainty_s": published_at_uncertainty_s,
            "text": text,
            "text_is_teaser": text_is_teaser,
            "line_start": line_start,
            "line_end": line_end,
            "text_byte_start": text_byte_start,
            "text_byte_end": text_byte_end,
            "repairs": repairs,
            "source_alternatives": source_alternatives,
            "language": language,
            "published_after_capture": published_after_capture,
        },
    )
    return sighting


def _published(text: str | None, dump: Dump, page: Page) -> tuple[ResolvedTime | None, bool]:
    """The time a page's time text means, and whether it had to be dropped.

    A page cannot show an article published after the page was captured (real pages
    show `18-07-2025` on a page captured in June): either the page's date or the capture
    time is wrong, and neither can be told from here. Such a time is not kept as a fact:
    None, flagged, the raw text kept in `published_text`.
    """
    resolved = resolve(text, dump.captured_at, page.layout)
    if resolved is not None and resolved.at > dump.captured_at:
        return None, True
    return resolved, False


def extract(raw: RawDump, *, keep_furniture: bool = False, languages: bool = True) -> DumpResult:
    """Parse one dump, or quarantine it with a one-line reason. Never raises on input.

    `keep_furniture` leaves page furniture in main texts: for comparing with a
    transcription of the page as it was shown, never for a release. `languages=False`
    leaves the main articles' languages to `with_languages`, for a batch at once.
    """
    dump_id = dump_id_for(raw.path, raw.sha256)
    if raw.error is not None:
        return DumpResult(_row(raw, dump_id, reason=raw.error))
    started = perf_counter()
    decoded = decode(raw.data)
    decoded_at = perf_counter()
    _add_time("decode", decoded_at - started)
    if not isinstance(decoded, Decoded):
        return DumpResult(_row(raw, dump_id, reason=decoded.reason))
    page = segment(decoded.text)
    segmented_at = perf_counter()
    _add_time("segment", segmented_at - decoded_at)
    if isinstance(page, Rejected):
        return DumpResult(_row(raw, dump_id, decoded, reason=page.reason))
    if not page.blocks:
        return DumpResult(_row(raw, dump_id, decoded, page, reason="no articles found"))
    # One row, made before the sightings that read it (their dump id, capture time):
    # each block gives one sighting, so their number is known already.
    dump = _row(raw, dump_id, decoded, page, n_sightings=len(page.blocks))
    offsets = ByteOffsets(raw.data, decoded)
    sightings = tuple(
        _sighting(dump, i, b, page, offsets, keep_furniture, languages)
        for i, b in enumerate(page.blocks)
    )
    _add_time("repair", perf_counter() - segmented_at)
    return DumpResult(dump, sightings)


def with_languages(results: Sequence[DumpResult]) -> list[DumpResult]:
    """`results` of `extract(..., languages=False)` with their main articles' languages,
    the value `extract` gives, detected in one pass.

    One pass over a batch keeps the language model in the CPU's caches: detections
    called between parses, which evict it, took about twice as long (123 against 65 µs
    each on the benchmark corpus; 14% of a build's per-dump CPU).
    """
    out = []
    for result in results:
        sightings = result.sightings
        if any(s.role == "main" for s in sightings):
            sightings = tuple(
                _with_language(s, detect(s.title, s.text)) if s.role == "main" else s
                for s in sightings
            )
            result = DumpResult(result.dump, sightings)
        out.append(result)
    return out


def _with_language(sighting: Sighting, language: str | None) -> Sighting:
    """`dataclasses.replace(sighting, language=language)` at a fifth of the cost (one
    per main article): the instance's dict copied with that one value changed, in the
    fields' order, as `_new_sighting` fills it."""
    copy = _new(Sighting)
    _set(copy, "__dict__", {**sighting.__dict__, "language": language})
    return copy
