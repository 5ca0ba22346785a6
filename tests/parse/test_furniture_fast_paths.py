"""The furniture cuts' marks (`mark` in the data) against the plain definition: a text
is searched by a cut when it holds one of its needles (and `may_cut` is a search for
any needle), whatever the marks say."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from builder.parse.furniture import Furniture, _needles_at_once, load_furniture
from tests.parse.test_repair_fast_paths import _phrase_plainly

DEV = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "daily8-dev"
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "out" / "corpus-20000-0"

#: Lines of my own holding each cut's needles, with and without the marks, matching or not.
CONSTRUCTED = [
    "",
    "Plain prose without any of it.",
    "The harbour reopened. Text Size: the rest of the story.",
    "Published on: Mon, Jun 2 By: Jane Roe Text Size: A ferry left.",
    "Text Size without a colon, and a colon: elsewhere.",
    "Text Size:",
    "The vote passed. Advertisement The council met again.",
    "The vote passed. ADVERTISEMENT \u201cWe will,\u201d she said.",
    "Advertisement revenue fell.",
    "Advertisement",
    "ADVERTISEMENT",
    "The ferry left. * Follow us on our channel for updates! * More text.",
    "The ferry left. * Join us on the app",
    "Subscribe to the paper today, said the ad.",
    "Follow us on the street, she said, and * then a star.",
    "* Do you have access to the e-paper? Check out our plans.",
    "Do you have access to the e-paper? No star here.",
    "A star * alone, and a colon: alone.",
    "Text Size: * Follow us on this * Advertisement Now",
]


def _plain_may_cut(furniture: Furniture, text: str) -> bool:
    """The definition: a search for any cut's needle (the code before marks)."""
    needles = [n for ns, _ in furniture.inline for n in ns]
    if not needles:
        return False
    return re.search("|".join(map(re.escape, needles)), text) is not None


def _plain_spans(furniture: Furniture, text: str) -> list[tuple[int, int]]:
    """`inline_spans` by its definition: every cut whose needle the text holds, run."""
    spans: list[tuple[int, int]] = []
    for needles, pattern in furniture.inline:
        if any(needle in text for needle in needles):
            spans += [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _real_texts() -> list[str]:
    texts = []
    for folder, limit in ((DEV, 100), (BENCH, 400)):
        if folder.is_dir():
            for path in sorted(folder.glob("*.txt"))[:limit]:
                texts.append(path.read_text("utf-8", "replace"))
    return texts


def _cases() -> list[str]:
    texts = [*CONSTRUCTED, "\n".join(CONSTRUCTED)]
    for text in _real_texts():
        texts.append(text)
        texts += text.split("\n")
    return texts


def _differences(furniture: Furniture, texts: list[str]) -> list[str]:
    """Texts where `inline_spans` differs from its definition, or where `may_cut` rules
    out a text that the definition cuts somewhere (in it or in one of its lines)."""
    return [
        text[:80]
        for text in texts
        if furniture.inline_spans(text) != _plain_spans(furniture, text)
        or (
            not furniture.may_cut(text)
            and any(_plain_spans(furniture, t) for t in [text, *text.split("\n")])
        )
    ]


def test_the_marks_are_declared_in_the_data() -> None:
    furniture = load_furniture()
    assert len(furniture.inline_marks) == len(furniture.inline)
    assert [needles for _, needles in furniture.inline_marks] == [n for n, _ in furniture.inline]
    marks = [mark for mark, _ in furniture.inline_marks]
    assert all(len(mark) <= 1 for mark in marks)
    assert {":", "*"} <= set(marks)  # all cuts but the advertisement marker's have one
    assert "" in marks


def test_may_cut_and_inline_spans_equal_the_plain_definition() -> None:
    furniture = load_furniture()
    texts = _cases()
    assert _differences(furniture, texts) == []
    # Both answers are exercised: texts cut, and texts with a needle but no mark, which
    # `may_cut` now rules out (the plain search did not).
    assert any(furniture.inline_spans(t) for t in CONSTRUCTED)
    assert any(_plain_may_cut(furniture, t) and not furniture.may_cut(t) for t in CONSTRUCTED)
    assert all(furniture.may_cut(t) for t in CONSTRUCTED if _plain_spans(furniture, t))
    assert any(
        any(n in t for n in ("Follow us on", "Text Size")) and not furniture.may_cut(t)
        for t in CONSTRUCTED
    )


def test_every_match_of_a_marked_cut_holds_its_mark() -> None:
    """What the marks rely on, on every constructed and real text."""
    furniture = load_furniture()
    found = 0
    for text in _cases():
        for (_, pattern), (mark, _) in zip(furniture.inline, furniture.inline_marks, strict=True):
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    assert mark in m.group(), (mark, m.group())
                    found += 1
    assert found >= 5


def test_a_cut_s_needles_at_once_are_found_where_one_of_them_is() -> None:
    """`inline_finders`: one search per cut of several needles finds a text exactly
    when one of its needles is in it (needles of my own too: shared starts, regex
    characters)."""
    furniture = load_furniture()
    assert len(furniture.inline_finders) == len(furniture.inline_marks)
    several = [needles for _, needles in furniture.inline_marks if len(needles) > 1]
    assert several, "the shipped data has a cut of several needles"
    texts = [*_cases(), "x ADVERTISEMENT y", "Advertisement", "a.b (c) d* e"]
    for (_, needles), finder in zip(furniture.inline_marks, furniture.inline_finders, strict=True):
        assert (finder is None) == (len(needles) == 1)
    for needles in [*several, ("a.b", "(c)", "d*"), ("Ad", "Adv ", "ADV")]:
        finder = _needles_at_once(needles)
        assert finder is not None
        for text in texts:
            assert (finder.search(text) is not None) == any(n in text for n in needles), text


def test_the_needles_at_once_comparison_can_fail() -> None:
    """A cut's needles searched with one of them left out miss a text holding it."""
    furniture = load_furniture()
    k = next(i for i, f in enumerate(furniture.inline_finders) if f is not None)
    needles = furniture.inline_marks[k][1]
    finders = list(furniture.inline_finders)
    finders[k] = _needles_at_once(needles[:-1] + needles[:1])
    wrong = replace(furniture, inline_finders=tuple(finders))
    text = f"Before. {needles[-1]}After it."
    assert furniture.may_cut(text) and not wrong.may_cut(text)


def test_the_comparison_can_fail() -> None:
    """A mark that no text holds, or one that a cut's matches may lack (`:` for the
    starred prompts, `* Join us on the app`), is caught."""
    furniture = load_furniture()
    absent = tuple(("#", needles) for _, needles in furniture.inline_marks)
    assert _differences(replace(furniture, inline_marks=absent), _cases()) != []
    wrong = tuple(
        (":" if mark == "*" else mark, needles) for mark, needles in furniture.inline_marks
    )
    assert _differences(replace(furniture, inline_marks=wrong), CONSTRUCTED) != []


#: Whole lines of my own: rail headings, phrases, prompts, spacing variants, prose.
PHRASE_LINES = [
    "You may like",
    "You  May Also   Like",
    " Recommended for you ",
    "Recommended stories",
    "Sign up now: get our free ferry newsletter today",
    "Subscribe to our free alerts!!",
    "Advertisement",
    "ADVERTISEMENT",
    "Font Size",
    "The ferry operator said you may like the new timetable.",
    "Recommended",
    "recommended reading\tlist",
    "Sign up for the free newsletter, said the harbour master in a long sentence.",
    "",
    "x" * 401,
]


def _phrase_differences(furniture: Furniture, texts: list[str]) -> list[str]:
    return [t[:80] for t in texts if furniture.phrase(t) != _phrase_plainly(t, furniture)]


def test_phrase_with_one_regex_equals_rails_then_patterns() -> None:
    furniture = load_furniture()
    texts = PHRASE_LINES + [line for text in _real_texts() for line in text.split("\n")]
    assert _phrase_differences(furniture, texts) == []
    answers = {furniture.phrase(t) for t in PHRASE_LINES}
    assert answers == {"rail heading", "phrase", None}


def test_the_phrase_comparison_can_fail() -> None:
    """With the rail's group on the patterns' branch, rails and phrases swap answers."""
    furniture = load_furniture()
    assert furniture.whole is not None
    moved = furniture.whole.pattern.replace("(?P<rail>)|", "|") + "(?P<rail>)"
    plain = re.compile(moved, re.IGNORECASE)
    assert _phrase_differences(replace(furniture, whole=plain), PHRASE_LINES) != []


def test_a_backreference_in_a_furniture_pattern_is_refused() -> None:
    from builder.parse.furniture import _whole_lines

    assert _whole_lines([], []) is None
    with pytest.raises(ValueError, match="backreference"):
        _whole_lines(["(a)\\1"], ["b"])
    only_rails = _whole_lines(["you may like"], [])
    assert only_rails is not None
    found = only_rails.fullmatch("You may like")
    assert found is not None and found.group("rail") == ""
    assert only_rails.fullmatch("other") is None
