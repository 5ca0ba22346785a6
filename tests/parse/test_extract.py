"""The per-dump stage against real pages: the seed and the daily8-dev gold answers."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder.inputs.read import read_dumps
from builder.parse.extract import extract, with_languages
from builder.parse.repair import canonical
from builder.records import RawDump, Sighting

CAPTURED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
SEED = "000_92a09630900ef4a5"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"
BOILERPLATE = (
    "Hashtags",
    "Try Our AI Features",
    "Explore what Daily8 AI can do for you:",
    "Comments",
    "No comments yet...",
    "Related Articles",
    "Orange background",
    "logo",
)


def _extract(path: Path):  # type: ignore[no-untyped-def]
    return extract(RawDump(path.name, path.read_bytes(), CAPTURED, "option"))


def _words(text: str) -> list[str]:
    return canonical(text).split()


def _is_subsequence(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(word in it for word in part)


def furniture_explains(
    kept: Sighting, shown: Sighting, raw_lines: list[str], gold_start: str
) -> bool:
    """`kept` starts where `gold_start` (the page as shown) starts once the furniture it
    records as removed before its first kept line is put back, and its start is then
    the text parsed with furniture kept (`shown`) up to 40 characters into the kept text:
    every line and span cut from the start is a recorded repair, nothing else is
    missing, nothing added."""
    removed = sorted(
        (r for r in kept.repairs if r.kind.startswith("drop_furniture")), key=lambda r: r.line
    )
    if not removed:
        return False
    text = kept.text or ""
    head = text.split("\n", 1)[0][:40]
    first = min(r.line for r in removed)
    # the dump line the kept text starts on (the last line when nothing is kept)
    start = next(
        (n for n in range(first, len(raw_lines) + 1) if head and head in raw_lines[n - 1]),
        len(raw_lines),
    )
    put_back = []
    for repair in removed:
        if repair.line > start:
            break
        if repair.kind == "drop_furniture_text":  # a span: its repr, maybe cut at 60
            span = repair.detail.strip("'\"")
            with contextlib.suppress(ValueError, SyntaxError):
                span = ast.literal_eval(repair.detail)
            line = raw_lines[repair.line - 1]
            if repair.line == start and head and line.find(span) > line.find(head):
                continue  # cut after the kept text's start
            put_back.append(span)
        else:  # a whole line of the dump
            put_back.append(raw_lines[repair.line - 1] + "\n")
    rebuilt = canonical("".join(put_back) + text)
    upto = len(canonical("".join(put_back) + head))
    return (
        bool(put_back)
        and rebuilt.startswith(canonical(gold_start))
        and rebuilt[:upto] == canonical(shown.text or "")[:upto]
    )


#: Articles whose text starts as the gold answer's ("strict"), and those whose gold text
#: starts with page furniture (a newsletter prompt, a "Published on" widget) that builder
#: dropped and recorded ("furniture"): filled by `mismatches`, reported.
TEXT_STARTS: dict[str, list[str]] = {"strict": [], "furniture": []}


def mismatches(path: Path, gold: dict) -> list[str]:  # type: ignore[type-arg]
    """Every way the parsed dump differs from its gold answer.

    The gold answers transcribe the page as shown, furniture included; a text whose
    start differs from its gold answer only by furniture builder dropped and recorded
    (put back from its repairs, it starts as the gold answer does) is counted apart.
    """
    result = _extract(path)
    shown = extract(
        RawDump(path.name, path.read_bytes(), CAPTURED, "option"), keep_furniture=True
    ).sightings
    raw_lines = path.read_text(encoding="utf-8").split("\n")
    errors = []
    if result.dump.status != "parsed":
        return [f"quarantined: {result.dump.reason}"]
    if result.dump.page_kind != gold["page_type"]:
        errors.append(f"page kind {result.dump.page_kind} != {gold['page_type']}")
    if (result.dump.layout or "").rsplit("-", 1)[-1] != gold["layout"]:
        errors.append(f"layout {result.dump.layout} != {gold['layout']}")
    got, want = result.sightings, gold["articles"]
    if len(got) != len(want):
        errors.append(f"{len(got)} articles != {len(want)}")
    for i, (s, a) in enumerate(zip(got, want, strict=False)):
        for field, value in [
            ("role", s.role),
            ("title", s.title),
            ("source", s.source),
            ("time_text", s.published_text),
            ("category", s.category),
        ]:
            if value != a[field]:
                errors.append(f"[{i}] {field}: {value!r} != {a[field]!r}")
        name = f"{path.name}[{i}]"
        if a["text_start"] is None:
            if s.text:
                errors.append(f"[{i}] text should be empty: {s.text[:40]!r}")
        elif canonical(s.text or "").startswith(canonical(a["text_start"])):
            TEXT_STARTS["strict"].append(name)
        elif i < len(shown) and furniture_explains(s, shown[i], raw_lines, a["text_start"]):
            TEXT_STARTS["furniture"].append(name)
        else:
            got_start = canonical(s.text or "")[:60]
            errors.append(f"[{i}] text {got_start!r} does not start with {a['text_start']!r}")
    return errors


def test_seed_gives_one_main_and_three_related(shared_dir: Path) -> None:
    seed = shared_dir / "seeds" / f"{SEED}.txt"
    gold = json.loads((shared_dir / "seeds" / f"{SEED}.gold.json").read_text())
    result = _extract(seed)
    assert [s.role for s in result.sightings] == ["main", "related", "related", "related"]
    assert mismatches(seed, gold) == []
    main = result.sightings[0]
    assert main.text is not None
    assert main.text.startswith("The Malaysian government has ordered")
    assert "Anwar Ibrahim's administration" in main.text
    for s in result.sightings:
        for line in (s.text or "").split("\n"):
            assert line.strip() not in BOILERPLATE, (s.title, line)


def test_every_dev_dump_matches_its_gold(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = shared_dir / "corpus" / "daily8-dev"
    dumps = sorted(corpus.glob("*.txt"))
    assert dumps, "the dev corpus is empty"
    failures = {}
    for lst in TEXT_STARTS.values():
        lst.clear()
    for path in dumps:
        gold = json.loads((corpus / "gold" / f"{path.stem}.json").read_text())
        errors = mismatches(path, gold)
        if errors:
            failures[path.name] = errors
    score = (len(dumps) - len(failures)) / len(dumps)
    strict, furniture = TEXT_STARTS["strict"], TEXT_STARTS["furniture"]
    n_texts = len(strict) + len(furniture)
    with capsys.disabled():  # the figures belong in the test output, -s or not
        print()
        matched = len(dumps) - len(failures)
        print(f"daily8-dev: {matched}/{len(dumps)} dumps match gold ({score:.0%})")
        print(
            f"  text start: {len(strict)}/{n_texts} gold text starts matched strictly; "
            f"{len(furniture)} start after page furniture the gold answer transcribes and "
            f"builder removed and recorded: {furniture}"
        )
    assert failures == {}


def test_dump_cut_at_every_byte_never_raises(shared_dir: Path) -> None:
    """What is complete is kept: every prefix of the seed parses or is quarantined."""
    data = (shared_dir / "seeds" / f"{SEED}.txt").read_bytes()
    titles_seen = set()
    for cut in range(0, len(data), 7):
        result = extract(RawDump("cut.txt", data[:cut], CAPTURED, "option"))
        assert result.dump.status in ("parsed", "quarantined")
        assert result.dump.n_sightings == len(result.sightings)
        for s in result.sightings:
            titles_seen.add(s.title)
    full = {s.title for s in _extract(shared_dir / "seeds" / f"{SEED}.txt").sightings}
    # A title cut by the end of the dump is dropped, never kept half.
    assert titles_seen <= full


def test_bad_input_is_quarantined_with_a_reason() -> None:
    cases = {
        b"": "empty",
        b"   \n\n  ": "blank",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4: "binary",
        b"<!DOCTYPE html><html><body>hi</body></html>": "no known layout",
        ("x" * 5000).encode(): "no known layout",
    }
    for data, reason in cases.items():
        result = extract(RawDump("bad.txt", data, CAPTURED, "option"))
        assert result.dump.status == "quarantined"
        assert result.dump.reason is not None and reason in result.dump.reason
        assert result.sightings == ()


def test_a_quarantined_row_keeps_what_was_found_before_the_reason() -> None:
    """The `dumps` row says how far the parse got: no encoding for input that could
    not be read or decoded, an encoding but no layout for text no layout knows."""
    unread = extract(RawDump("gone.txt", b"", CAPTURED, "option", error="unreadable: gone"))
    binary = extract(RawDump("bin.txt", bytes(range(256)) * 8, CAPTURED, "option"))
    unknown = extract(RawDump("x.txt", ("x" * 5000).encode(), CAPTURED, "option"))
    for result in (unread, binary, unknown):
        assert (result.dump.status, result.dump.n_sightings) == ("quarantined", 0)
        assert (result.dump.page_kind, result.dump.layout, result.dump.truncated) == (
            None,
            None,
            False,
        )
    assert unread.dump.reason == "unreadable: gone"
    assert (unread.dump.encoding, binary.dump.encoding) == (None, None)
    assert unknown.dump.encoding == "utf-8"
    assert unknown.dump.sha256 == hashlib.sha256(b"x" * 5000).hexdigest()


def test_a_parsed_row_has_the_page_and_its_count(shared_dir: Path) -> None:
    result = _extract(shared_dir / "seeds" / f"{SEED}.txt")
    dump = result.dump
    assert (dump.status, dump.reason) == ("parsed", None)
    assert dump.n_sightings == len(result.sightings) > 1
    assert dump.layout is not None and dump.page_kind is not None and dump.encoding
    assert {s.dump_id for s in result.sightings} == {dump.dump_id}


def test_decodable_variants_parse_to_the_same_articles(shared_dir: Path) -> None:
    text = (shared_dir / "seeds" / f"{SEED}.txt").read_text("utf-8")
    want = [
        (s.title, s.source, s.text)
        for s in _extract(shared_dir / "seeds" / f"{SEED}.txt").sightings
    ]
    variants = {
        "bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "utf16": text.encode("utf-16"),
        "crlf": text.replace("\n", "\r\n").encode("utf-8"),
        "cr": text.replace("\n", "\r").encode("utf-8"),
        "cp1252": text.replace("–", "-").encode("cp1252", errors="strict"),
    }
    for name, data in variants.items():
        got = extract(RawDump(name, data, CAPTURED, "option"))
        titles = [(s.title, s.source, s.text) for s in got.sightings]
        if name == "cp1252":
            titles = [(a, b, (c or "").replace("–", "-") or None) for a, b, c in titles]
            want_cmp = [(a, b, (c or "").replace("–", "-") or None) for a, b, c in want]
            assert titles == want_cmp, name
        else:
            assert titles == want, name


def test_languages_detected_for_a_batch_are_the_ones_extract_gives(shared_dir: Path) -> None:
    """`with_languages` over dumps parsed with `languages=False` gives, dump for dump,
    what `extract` gives on its own; before it, no main article has a language. On the
    real dev pages and on the samples (which hold an Arabic page)."""
    dev = sorted((shared_dir / "corpus" / "daily8-dev").glob("*.txt"))
    raws = [RawDump(p.name, p.read_bytes(), CAPTURED, "option") for p in dev]
    raws += read_dumps([str(SAMPLES)], captured_at=CAPTURED)
    whole = [extract(raw) for raw in raws]
    begun = [extract(raw, languages=False) for raw in raws]
    assert all(s.language is None for r in begun for s in r.sightings)
    assert with_languages(begun) == whole
    languages = {s.language for r in whole for s in r.sightings if s.role == "main"}
    assert {"en", "ar"} <= languages  # more than one language, and a right-to-left one
