"""Byte spans: `raw[text_byte_start:text_byte_end + 1]` holds the kept text, first word
to last, in the dump's own bytes, whatever was joined, cut or dropped, in any encoding."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.inputs.decode import Decoded, decode
from builder.parse.extract import extract
from builder.parse.repair import canonical
from builder.parse.spans import ByteOffsets
from builder.records import DumpResult, RawDump, Sighting
from tests.helpers import ROOT, corpus_module

CAPTURED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
BOILERPLATE = (
    "Hashtags\n\nTry Our AI Features\nExplore what Daily8 AI can do for you:\n"
    "Comments\nNo comments yet...\nRelated Articles\n\n\n"
)
CARD = "Harbour Times\n3 hours ago\n- Harbour Times\nNight bus runs all year\nThe night bus ...\n"


def span_text(raw: bytes, result: DumpResult, s: Sighting) -> str:
    """The span's bytes decoded as the dump was, line ends and NULs normalised."""
    assert s.text_byte_start is not None and s.text_byte_end is not None
    return _decoded(raw, result, raw[s.text_byte_start : s.text_byte_end + 1])


def _first_line(raw: bytes, result: DumpResult, s: Sighting) -> int:
    """The 1-based line of the decoded dump the span starts on."""
    assert s.text_byte_start is not None
    head = raw[: s.text_byte_start]
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        head = head[4:]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
        head = head[3 if head.startswith(codecs.BOM_UTF8) else 2 :]
    return _decoded(raw, result, head).count("\n") + 1


def _decoded(raw: bytes, result: DumpResult, chunk: bytes) -> str:
    encoding = result.dump.encoding or "utf-8"
    if encoding == "utf-32":  # before UTF-16: a UTF-32 LE mark starts as UTF-16 LE's
        encoding = "utf-32-le" if raw.startswith(codecs.BOM_UTF32_LE) else "utf-32-be"
    elif encoding == "utf-16":
        encoding = "utf-16-le" if raw.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    elif encoding == "utf-8-sig":
        encoding = "utf-8"
    # Strict for UTF: a span never starts or ends inside a character. A code page's
    # undefined bytes read as U+FFFD, as the decoder reads them.
    text = chunk.decode(encoding, "strict" if encoding.startswith("utf") else "replace")
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def _without_dropped_lines(shown: str, s: Sighting, first: int) -> str:
    """The span without the inner lines its repairs record as dropped furniture (a
    `Comments` line between `M` and `'s office` leaves the kept text `M's office`).
    `first`: the dump line the span starts on; lines are told by number, not by text
    (a `.` dropped as furniture beside a `.` joined into the text)."""
    dropped = {r.line for r in s.repairs if r.kind == "drop_furniture_line"}
    lines = shown.split("\n")
    if not dropped or len(lines) < 3:
        return shown
    inner = [line for no, line in enumerate(lines[1:-1], first + 1) if no not in dropped]
    return "\n".join([lines[0], *inner, lines[-1]])


def span_problems(raw: bytes, result: DumpResult) -> list[str]:
    """Every row whose span does not hold exactly its kept text's first and last words."""
    problems = []
    for s in result.sightings:
        if not s.text or not s.text.strip():
            assert s.text_byte_start is None and s.text_byte_end is None
            continue
        try:
            shown = span_text(raw, result, s)
        except (AssertionError, UnicodeDecodeError) as error:
            problems.append(f"{s.title[:30]!r}: {error}")
            continue
        shown_inside = _without_dropped_lines(shown, s, _first_line(raw, result, s))
        got, want = canonical(shown_inside).split(), canonical(s.text).split()
        # Repairs join lines and move spaces, never letters: compare without whitespace.
        squashed = "".join(got)
        if shown != shown.strip():
            problems.append(f"{s.title[:30]!r}: span has whitespace at an end: {shown[-20:]!r}")
        elif not (squashed.startswith(want[0]) and squashed.endswith(want[-1])):
            problems.append(
                f"{s.title[:30]!r}: span {got[0]!r}..{got[-1]!r} != text {want[0]!r}..{want[-1]!r}"
            )
    return problems


def test_a_furniture_line_inside_the_first_word_is_skipped_by_the_check() -> None:
    """Found by the mutation property test: the kept text starts `M's` across a dropped
    `Comments` line; the span holds it, with the dropped line recorded."""
    page = (
        b"Tide gauge upgrade for the outer islands\n\nM\nComments\n's office, officials said"
        b" the gauge would be replaced in spring.\nThe harbour master said funding was agreed."
        b"\n"
    )
    result = _check(page)
    (main,) = [s for s in result.sightings if s.role == "main"]
    assert any(r.kind == "drop_furniture_line" for r in main.repairs), main.repairs


def _check(data: bytes, name: str = "page.txt") -> DumpResult:
    result = extract(RawDump(name, data, CAPTURED, "option"))
    assert span_problems(data, result) == []
    return result


# --- the cases that were wrong --------------------------------------------------------------


def test_a_text_whose_last_lines_are_joined_spans_to_its_last_word() -> None:
    page = (
        "\nFerry fares to rise\n"
        "The operator said fares would rise in May.\n"
        "The plan was backed by the Harbour Minister\n"
        "Jane Roe\n"
        "'s office.\n" + BOILERPLATE + CARD
    )
    result = _check(page.encode())
    main = result.sightings[0]
    assert main.text is not None and main.text.endswith("Jane Roe's office.")
    assert main.text_byte_end == page.encode().index(b"'s office.") + len("'s office.") - 1


def test_a_text_with_trailing_junk_spans_to_its_last_kept_word() -> None:
    page = (
        "\nFerry fares to rise\n"
        "   The operator said fares would rise in May.  \n"
        "Play Video\n"
        "Credit: Harbour Agency\n" + BOILERPLATE + CARD
    )
    data = page.encode()
    main = _check(data).sightings[0]
    assert main.text == "The operator said fares would rise in May."
    assert main.text_byte_start is not None and main.text_byte_end is not None
    assert data[main.text_byte_start : main.text_byte_end + 1] == main.text.encode()


def test_a_text_cut_inside_its_first_line_spans_from_the_first_kept_word() -> None:
    page = (
        "\nFerry fares to rise\n"
        "Published on: Mon, Jun 2, 2025 Text Size: The operator said fares would rise.\n"
        + BOILERPLATE
    )
    data = page.encode()
    main = _check(data).sightings[0]
    assert main.text == "The operator said fares would rise."
    assert main.text_byte_start == data.index(b"The operator")


PAGE = (
    "\nCafé owners in Zürich welcome the night ferry\n"
    "Owners of cafés near the quay said the late crossings – due in June – would\n"
    "help\n"
    "trade, the Harbour Times reported.\n"
    "\tThe operator’s chief said «more sailings» would follow.  \n" + BOILERPLATE + CARD
)


@pytest.mark.parametrize(
    "variant",
    [
        "utf-8",
        "bom",
        "crlf",
        "cr",
        "nul",
        "utf-16-le",
        "utf-16-be",
        "cp1252",
        "utf-16-crlf",
        "utf-32-le",
        "utf-32-be",
    ],
)
def test_spans_are_exact_in_every_encoding(variant: str) -> None:
    text = PAGE
    if variant in ("crlf", "utf-16-crlf"):
        text = text.replace("\n", "\r\n")
    elif variant == "cr":
        text = text.replace("\n", "\r")
    elif variant == "nul":
        text = text.replace("quay", "qu\x00ay").replace("Owners", "\x00Owners")
    data = {
        "bom": codecs.BOM_UTF8 + text.encode(),
        "utf-16-le": codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        "utf-16-be": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        "utf-16-crlf": codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        # UTF-32 crashed `extract` (ByteOffsets asked whether it is a code page).
        "utf-32-le": codecs.BOM_UTF32_LE + text.encode("utf-32-le"),
        "utf-32-be": codecs.BOM_UTF32_BE + text.encode("utf-32-be"),
        "cp1252": text.encode("cp1252"),
    }.get(variant, text.encode())
    result = _check(data)
    main = result.sightings[0]
    assert main.text is not None
    assert main.text.startswith("Owners of cafés") and main.text.endswith("would follow.")
    shown = span_text(data, result, main)
    assert shown.startswith("Owners of cafés") and shown.endswith("«more sailings» would follow.")


def test_the_contract_says_what_the_span_is() -> None:
    import json

    schema = json.loads((ROOT / "schema" / "articles.schema.json").read_text("utf-8"))
    props = schema["properties"]["provenance"]["properties"]
    assert "sha256" in props["text_byte_start"]["description"]
    assert "inclusive" in props["text_byte_end"]["description"]


# --- real pages ----------------------------------------------------------------------------


def _real(shared: Path) -> list[Path]:
    return sorted((shared / "corpus" / "daily8-dev").glob("*.txt")) + sorted(
        (shared / "seeds").glob("*.txt")
    )


def test_every_span_on_the_dev_corpus_is_exact(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problems, rows = {}, 0
    for path in _real(shared_dir):
        data = path.read_bytes()
        result = extract(RawDump(path.name, data, CAPTURED, "option"))
        rows += sum(1 for s in result.sightings if s.text)
        if found := span_problems(data, result):
            problems[path.name] = found
    with capsys.disabled():
        exact = rows - sum(map(len, problems.values()))
        print(f"\ndev corpus: {exact}/{rows} byte spans exact")
    assert rows > 50
    assert problems == {}


def test_spans_stay_exact_when_real_pages_are_re_encoded(shared_dir: Path) -> None:
    for path in _real(shared_dir)[::5]:
        text = path.read_text("utf-8")
        for data in (
            codecs.BOM_UTF8 + text.encode(),
            text.replace("\n", "\r\n").encode(),
            codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        ):
            _check(data, path.name)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    pick=st.integers(0, 10_000),
    cut=st.floats(0.2, 1.0),
    form=st.sampled_from(["utf-8", "bom", "crlf", "utf-16", "trailing junk"]),
)
def test_real_pages_cut_and_re_encoded_keep_exact_spans(
    shared_dir: Path, pick: int, cut: float, form: str
) -> None:
    """A real page cut anywhere (pages end anywhere in real crawls), in another form."""
    paths = _real(shared_dir)
    text = paths[pick % len(paths)].read_text("utf-8")
    text = text[: max(1, int(len(text) * cut))]
    if form == "trailing junk":
        text += "\nPlay Video\nCredit: Harbour Agency\n4\n"
    data = {
        "bom": codecs.BOM_UTF8 + text.encode(),
        "crlf": text.replace("\n", "\r\n").encode(),
        "utf-16": text.encode("utf-16"),
    }.get(form, text.encode())
    result = extract(RawDump("page.txt", data, CAPTURED, "option"))
    assert span_problems(data, result) == []


# --- generated pages -----------------------------------------------------------------------

_SENTENCES = (
    "The ferry operator said on Monday that night sailings would start in June.",
    "Tickets will cost the same as those for the day service, the company said.",
    "Café owners near the quay welcomed the plan – most of them, at least.",
    "“We have waited long enough,” one skipper told reporters.",
    "Harbour staff said the change had been requested for years.",
    "The council will review the timetable after the summer.",
)
_FURNITURE = (
    ["Text", "Color", "White", "Opacity", "Font Size", "50%", "Done"],
    ["You May Like", "Ten quiet harbours to visit", "Coastline Travel"],
    ["Credit: Harbour Agency"],
    ["Sign up now: Get our newsletters delivered to your inbox"],
    ["Read more"],
    ["Play Video", "Close Modal Dialog"],
    ["4", "The quay at dawn", "Credit: Jane Roe"],
)


@st.composite
def generated_pages(draw: st.DrawFn) -> bytes:
    """A plain-layout page: paragraphs split by inline links, furniture anywhere (the
    last lines included), stray spaces, in one of the encodings real dumps use."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["para", "split", "glue", "furniture", "inline"]))
        sentence = draw(st.sampled_from(_SENTENCES))
        if kind == "para":
            pad = draw(st.sampled_from(["", " ", "\t", "  "]))
            lines.append(pad + " ".join([sentence] * draw(st.integers(1, 3))) + pad[::-1])
        elif kind == "split":
            lines += ["The plan was backed by the chair,", "Jane Roe", ", and her deputy."]
        elif kind == "glue":
            lines += [sentence[:-1], "."]
        elif kind == "inline":
            lines.append(f"{sentence} Advertisement {draw(st.sampled_from(_SENTENCES))}")
        else:
            lines += draw(st.sampled_from(_FURNITURE))
    title = draw(st.sampled_from(["Night ferry plan", "Café owners back ferry plan"]))
    tail = draw(st.sampled_from(["cards", "cut", "boilerplate"]))
    page = f"\n{title}\n" + "\n".join(lines) + "\n"
    if tail != "cut":
        page += BOILERPLATE + (CARD if tail == "cards" else "")
    encoding = draw(st.sampled_from(["utf-8", "bom", "crlf", "utf-16", "cp1252"]))
    if encoding == "crlf":
        return page.replace("\n", "\r\n").encode()
    if encoding == "bom":
        return codecs.BOM_UTF8 + page.encode()
    if encoding == "utf-16":
        return page.encode("utf-16")
    return page.encode("cp1252") if encoding == "cp1252" else page.encode()


_PROBES = re.compile(r"You May Like|Credit: |Sign up now|Font Size|Advertisement|Play Video")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_pages())
def test_generated_pages_have_exact_spans_and_no_furniture(data: bytes) -> None:
    result = _check(data)
    # Legacy text may be mis-decoded (a separate matter): judge furniture on Unicode only.
    unicode = result.dump.encoding in ("utf-8", "utf-8-sig", "utf-16")
    if unicode and result.sightings and result.sightings[0].role == "main":
        assert not _PROBES.search(result.sightings[0].text or "")


def _seeds() -> list[bytes]:
    import tempfile

    seeds = [p.read_bytes() for p in sorted((ROOT / "samples" / "dumps").glob("*.txt"))]
    with tempfile.TemporaryDirectory() as tmp:
        corpus_module().generate_corpus(Path(tmp), 12, seed=11, mean_size=3000)
        seeds += [p.read_bytes() for p in sorted(Path(tmp).glob("*.txt"))]
    return seeds


def test_samples_and_generated_corpus_have_exact_spans() -> None:
    for data in _seeds():
        _check(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(st.sampled_from("ab ,.’é€\U0001f600\t"), max_size=12), min_size=1),
    st.booleans(),
)
def test_byte_offsets_are_the_bytes_before_each_character(lines: list[str], bom: bool) -> None:
    """Every (line, column) of a UTF-8 dump, ASCII (columns counted as bytes) or not
    (line sizes taken from the raw bytes), maps to the size of what precedes it."""
    text = "\n".join(lines)
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode()
    decoded = decode(data)
    if not isinstance(decoded, Decoded):  # blank: nothing to place
        return
    offsets = ByteOffsets(data, decoded)
    assert offsets.ascii == text.isascii()
    before = len(codecs.BOM_UTF8) if bom else 0
    for no, line in enumerate(lines, start=1):
        for column, char in enumerate(line):
            at = before + len(line[:column].encode())
            assert offsets.at(no, column) == at
            assert offsets.span((no, column), (no, column)) == (at, at + len(char.encode()) - 1)
        before += len(line.encode()) + 1


def test_a_dropped_line_is_told_from_a_kept_one_of_the_same_text() -> None:
    """Found by the mutation property test: of two `.` lines, one joined into the text
    (`flooding.`) and one dropped as furniture, only the dropped one leaves the span."""
    page = (
        b"Sea wall for the south shore\nflooding\n\n.\n\n.\nThe council voted on Tuesday"
        b" to build a new sea wall along the south shore.\n"
    )
    result = _check(page)
    (main,) = [s for s in result.sightings if s.role == "main"]
    assert main.text is not None and main.text.startswith("flooding.\n")
    assert [r.line for r in main.repairs if r.kind == "drop_furniture_line"] == [6]
