"""The page-evidence checks' fast paths give exactly what the plain definitions give.

A sign with needles runs its pattern only on lines holding one (for the licence clauses,
case ignored as `re` ignores it); the whole-line signs are first tried as one pattern;
letters and spaces are counted in C for the ASCII part
of a line; CJK characters are looked for only outside ASCII; an image-URL fragment is
tested only on lines holding `&` and `=`. Each test states the plain definition and
checks the fast path against it on the real pages' lines and on generated text dense in
what the shortcut looks for, so that a wrong shortcut shows as a different output.
"""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.inputs.decode import Decoded, decode
from builder.parse.evidence import (
    _CJK,
    _IMAGE_FRAGMENT,
    _SIGNS_POOLED,
    _UNDERLINE,
    _WHOLE_LINES,
    CASE_TWINS,
    MAX_FRAGMENT_CHARS,
    SIGNS,
    _format_sign,
    _has_words,
    _is_image_fragment,
    _letters_and_spaces,
    _quote,
    skip_leading_fragments,
)
from builder.parse.layouts import load_layouts

SETTINGS = settings(max_examples=500, deadline=None)
LICENCE = next(sign for sign in SIGNS if sign.kind == "a licence text")


@pytest.fixture(scope="module")
def real_lines(shared_dir: Path) -> list[str]:
    lines = []
    for folder in (shared_dir / "corpus" / "daily8-dev", shared_dir / "seeds"):
        for path in sorted(folder.glob("*.txt")):
            decoded = decode(path.read_bytes())
            if isinstance(decoded, Decoded):
                lines += [line.strip() for line in decoded.text.split("\n") if line.strip()]
    assert len(lines) > 500
    return lines


# --- the case twins ---------------------------------------------------------------------------


def test_case_twins_are_every_character_re_takes_for_an_ascii_letter() -> None:
    """Every code point outside ASCII that `(?i)[a-z]` matches is a twin, and no other;
    and `str.lower` makes ASCII letters of no character outside ASCII but twins."""
    letter = re.compile("(?i)[a-z]")
    twins = set()
    lowered_to_ascii = set()
    for cp in range(0x80, sys.maxunicode + 1):
        ch = chr(cp)
        if letter.fullmatch(ch):
            twins.add(ch)
        if any(c in string.ascii_letters for c in ch.lower()):
            lowered_to_ascii.add(ch)
    assert twins == set(CASE_TWINS)
    assert lowered_to_ascii <= twins
    for ch in CASE_TWINS:  # each twin on its own, as a literal of the pattern sees it
        assert any(re.fullmatch(f"(?i){c}", ch) for c in string.ascii_lowercase)


# --- signs with needles --------------------------------------------------------------------

CLAUSE_BITS = [
    "Permission is hereby granted, free of charge",
    "PERMISSION IS HEREBY GRANTED free of charge",
    "permission is hereby granted",
    "Redistribution and use in source and binary forms",
    "This program is free software",
    "THE SOFTWARE IS PROVIDED “AS IS”",
    "the software is provided as is,",
    "Licensed under the Apache",
    "licensed under the MIT",
    "licensed under the mitten",
    "Licensed under the ",
    "PERMİSSİON IS HEREBY GRANTED, free of charge",
    "permıssıon is hereby granted free of charge",
    "Thiſ program iſ free ſoftware",
    "This program is free software",
    "redistribution and use in source and binary forms",
    "The ferry",
    " ",
    "’",
    "İ",
    "ı",
    "ſ",
    "\u212a",
    "x",
    # Source code, Markdown, TOML, JSON, e-mail: every sign's way to match, and near misses.
    "#!/usr/bin/env python3",
    "#include <stdio.h>",
    "<?php",
    "function f(x) {",
    "const a = 1;",
    "let",
    "// note",
    "/* c */",
    "{",
    "}",
    ";",
    "(",
    "=",
    "/",
    "import os",
    "def f():",
    '"""',
    "[tool.x]",
    "key = value",
    '"key": 1',
    "# Heading",
    "```",
    "[a](https://x.y/z)",
    "| a | b |",
    "- [x] done",
    "Subject: hello",
    "===",
    "x: y",
    "'''",
]
clause_line = st.tuples(
    st.lists(st.sampled_from(CLAUSE_BITS), max_size=5), st.sampled_from([" ", "", "\t"])
).map(lambda t: t[1].join(t[0]))


@SETTINGS
@given(clause_line)
def test_a_sign_with_needles_matches_as_its_pattern(line: str) -> None:
    for sign in SIGNS:
        plain = sign.pattern.search(line) if sign.anywhere else sign.pattern.fullmatch(line)
        assert sign.matches(line) == (plain is not None), (sign.label, line)


def _format_sign_plainly(title: str, lines: list[str]) -> str | None:
    """The plain definition: every sign tested on the title and on every line."""
    for sign in SIGNS:
        if sign.first_line and sign.matches(title):
            return f"{sign.kind} ({sign.label} {_quote(title)})"
        hits = [line for line in lines if sign.matches(line)]
        if len(hits) >= sign.min_lines:
            return f"{sign.kind} ({sign.label} {_quote(hits[0])})"
    if lines and _UNDERLINE.fullmatch(lines[0]):
        return f"Markdown (heading underline {_quote(lines[0])})"
    return None


@SETTINGS
@given(clause_line, st.lists(clause_line, max_size=6))
def test_format_sign_with_the_pooled_prefilter_is_every_sign_on_every_line(
    title: str, lines: list[str]
) -> None:
    assert _format_sign(title, lines) == _format_sign_plainly(title, lines)


def test_pooled_signs_are_the_whole_line_ones_and_their_pool_can_fail() -> None:
    pooled = [sign.label for sign, pooled in _SIGNS_POOLED if pooled]
    assert len(pooled) == 12
    assert "link" not in pooled  # searched anywhere in a line: not poolable
    assert _WHOLE_LINES.fullmatch("import os") is not None
    assert _WHOLE_LINES.fullmatch("The ferry sails at noon.") is None
    lines = ["[tool.x]", "a = 1", "b = 2", "c = 3"]
    assert _format_sign("Notes", lines) == _format_sign_plainly("Notes", lines) is not None


def test_signs_on_real_lines(real_lines: list[str]) -> None:
    for line in real_lines:
        for sign in SIGNS:
            plain = sign.pattern.search(line) if sign.anywhere else sign.pattern.fullmatch(line)
            assert sign.matches(line) == (plain is not None)


def test_needles_of_a_case_blind_sign_are_lower_case_and_each_is_needed() -> None:
    """The needles are written in lower case; without the twins' way out a dotted capital
    I would hide a clause the pattern finds: the comparison above can fail."""
    assert LICENCE.needles
    assert LICENCE.pattern.flags & re.IGNORECASE
    assert all(needle == needle.lower() for needle in LICENCE.needles)
    line = "PERMİSSİON IS HEREBY GRANTED, free of charge"
    assert LICENCE.pattern.search(line) is not None
    assert not any(needle in line.lower() for needle in LICENCE.needles)
    assert LICENCE.matches(line)
    for clause in CLAUSE_BITS[:11]:
        if LICENCE.pattern.search(clause):
            assert LICENCE.may_match(clause)


def test_each_sign_reads_its_case_flag_once() -> None:
    """`ignore_case` is the pattern's flag, read when the sign is made (the licence
    clauses ignore case, no other sign does), and it takes no part in equality."""
    for sign in SIGNS:
        assert sign.ignore_case == bool(sign.pattern.flags & re.IGNORECASE)
    assert [sign.label for sign in SIGNS if sign.ignore_case] == ["clause"]
    assert "ignore_case" not in repr(LICENCE)


#: The source-code sign as first written: `.*[;{]` gives a line back a character at a
#: time; the sign now takes the line whole and looks at its last character.
SOURCE_CODE_PLAINLY = re.compile(
    r"#include\b.*|<\?php.*|(?:function|const|let|var|fn|func|package|using|namespace)"
    r" [\w$]+.*[({=;]|//.*|/\*.*|[{}]|.*[;{]"
)
SOURCE_CODE = next(sign for sign in SIGNS if sign.kind == "source code")
code_line = st.lists(
    st.sampled_from([*CLAUSE_BITS[-30:], ";", "{", "\n", " ", "x", "a;b", "{x", "x\n;"]),
    max_size=6,
).map("".join)


@SETTINGS
@given(code_line)
def test_source_code_sign_matches_as_first_written(line: str) -> None:
    assert SOURCE_CODE.pattern.pattern != SOURCE_CODE_PLAINLY.pattern
    expected = SOURCE_CODE_PLAINLY.fullmatch(line) is not None
    assert (SOURCE_CODE.pattern.fullmatch(line) is not None) == expected, line
    assert SOURCE_CODE.matches(line) == expected


def test_source_code_sign_as_first_written_on_real_lines(real_lines: list[str]) -> None:
    hits = 0
    for line in real_lines:
        for text in (line, line + ";", line + "{", line + ";\n", line[:-1] + "\n;"):
            expected = SOURCE_CODE_PLAINLY.fullmatch(text) is not None
            assert (SOURCE_CODE.pattern.fullmatch(text) is not None) == expected, text
            hits += expected
    assert hits > len(real_lines)  # every line ending in ';' matches: the test can fail


# --- letters, words, fragments ------------------------------------------------------------

TEXT_BITS = [
    "The ferry",
    " ",
    "\t",
    "\u00a0",
    "\u3000",
    "42",
    ".",
    "’",
    "é",
    "İ",
    "ß",
    "في المدينة",
    "東京の",
    "한국",
    "ａｂ",
    "½",
    "\x1c",
    "\ud800",
    "&w=3840&q=100)",
    "=",
    "&",
]
any_text = st.one_of(
    st.text(max_size=60), st.lists(st.sampled_from(TEXT_BITS), max_size=12).map("".join)
)


def _letters_plainly(line: str) -> int:
    return sum(1 for ch in line if ch.isalpha() or ch.isspace())


def _words_plainly(line: str) -> int:
    return len(line.split()) + len(_CJK.findall(line)) // 2


def _fragment_plainly(line: str) -> bool:
    return len(line) <= MAX_FRAGMENT_CHARS and _IMAGE_FRAGMENT.fullmatch(line) is not None


@SETTINGS
@given(any_text)
def test_letters_words_and_fragments_are_the_plain_definitions(line: str) -> None:
    assert _letters_and_spaces(line) == _letters_plainly(line)
    for least in range(1, 12):
        assert _has_words(line, least) == (_words_plainly(line) >= least), least
    assert _is_image_fragment(line) == _fragment_plainly(line)


def test_letters_words_and_fragments_on_real_lines(real_lines: list[str]) -> None:
    mixed = 0
    for line in real_lines:
        assert _letters_and_spaces(line) == _letters_plainly(line)
        for least in (1, 3, 7, 8, 9, 40):
            assert _has_words(line, least) == (_words_plainly(line) >= least)
        assert _is_image_fragment(line) == _fragment_plainly(line)
        mixed += not line.isascii()
    assert mixed > 50  # lines outside ASCII (quotes, Arabic) are among them


def test_letter_count_paths_all_taken() -> None:
    """ASCII, mostly ASCII and mostly Arabic lines: each way of counting is exercised."""
    for line in ["The ferry sails.", "The ferry’s “new” route.", "في المدينة القديمة 42"]:
        assert _letters_and_spaces(line) == _letters_plainly(line)
    assert _is_image_fragment("&w=3840&q=100)")
    assert not _is_image_fragment("w=3840 q=100")


def test_word_threshold_counts_cjk_as_half_words() -> None:
    """Each way of `_has_words` is taken: enough words split off, an ASCII line short
    of them, and a line whose CJK characters make up the count."""
    assert _has_words("one two three four five six seven eight nine", 8)
    assert not _has_words("one two three", 8)
    assert _has_words("東京の港で 船", 3)  # 2 split words, and 6 CJK characters add 3
    assert not _has_words("東 a", 3) and _has_words("東 a", 2)


# --- leading image-URL fragments ---------------------------------------------------------

RESERVED = load_layouts()[0].reserved


def _skip_plainly(text: str, reserved: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """The plain definition: each leading line looked at, whether or not the text holds
    an `&` anywhere (the lines blanked, and the junk lines' text)."""
    dropped = []
    pos, seen = 0, 0
    while pos < len(text) and seen < 8:
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        line = text[pos:end].strip()
        if line:
            seen += 1
            if _fragment_plainly(line):
                dropped.append(line)
                text = text[:pos] + text[end:]
                end = pos
            elif line not in reserved:
                break
        pos = end + 1
    return text, tuple(dropped)


leading_text = st.lists(
    st.sampled_from(
        ["", " ", "logo", "#", "&w=3840&q=100)", "a=1&b=2", "x&y", "a=b", "Ferry title", "Body."]
    ),
    max_size=10,
).map("\n".join)


@SETTINGS
@given(leading_text)
def test_skip_leading_fragments_is_the_plain_loop(text: str) -> None:
    """A text without `&` is returned at once; with one, as the loop finds."""
    blanked, repairs = skip_leading_fragments(text, RESERVED)
    plain, dropped = _skip_plainly(text, RESERVED)
    assert blanked == plain
    assert tuple(r.detail.removeprefix("image url fragment: ") for r in repairs) == tuple(
        d[:60] for d in dropped
    )
    if "&" not in text:
        assert blanked is text and repairs == ()


def test_skip_leading_fragments_on_real_pages(real_lines: list[str]) -> None:
    text = "\n".join(real_lines)
    for variant in (text, "&w=3840&q=100)\n" + text, "logo\n&a=1&b=2\n" + text):
        assert skip_leading_fragments(variant, RESERVED)[0] == _skip_plainly(variant, RESERVED)[0]
