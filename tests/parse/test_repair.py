"""Junk removal, line joins and inline fixes: each example from LAYOUTS.md, and what is kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from builder.parse.extract import extract
from builder.parse.repair import (
    INLINE_FIXES,
    JUNK_RULES,
    canonical,
    drop_junk,
    fix_inline,
    join_split_lines,
    repair_body,
)
from builder.records import RawDump, Repair

# --- junk --------------------------------------------------------------------------------

JUNK = [
    ("Play Video", "video player"),
    ("Pause", "video player"),
    ("Close Modal Dialog", "video player"),
    ("This is a modal window.", "video player"),
    ("Current Time 0:00", "video player"),
    (":", "lone punctuation"),
    ("  :  ", "lone punctuation"),
    ("by Taboola", "advertising"),
    ("Sponsored Links", "advertising"),
    ("Advertisement", "advertising"),
    ("ADVERTISEMENT", "advertising"),
    ("STORY CONTINUES BELOW THIS AD", "advertising"),
    ("» READ MORE", "read more"),
    ("» Read more: Ferry fares to rise", "read more"),
    ("Sign up for our morning newsletter", "newsletter prompt"),
    ("07:30", "bare timestamp"),
    ("01:14:54", "bare timestamp"),
    ("googletag.cmd.push(function() { googletag.display('ad-1'); });", "inline javascript"),
    ("%3Cp%3EThe%20ferry%20operator%20said%3C%2Fp%3E", "url-encoded html"),
    ("(Photo by Jane Roe/Harbour Agency)", "photo caption"),
    ("(Image: Coastal Post)", "photo caption"),
]


@pytest.mark.parametrize(("line", "rule"), JUNK)
def test_junk_line_is_dropped_and_recorded(line: str, rule: str) -> None:
    lines = [(4, "The operator said on Monday."), (5, line), (6, "Fares will rise.")]
    kept, repairs = drop_junk(lines)
    assert kept == [(4, "The operator said on Monday."), (6, "Fares will rise.")]
    assert len(repairs) == 1
    assert repairs[0].kind == "drop_junk_line"
    assert repairs[0].line == 5
    assert repairs[0].detail.startswith(f"{rule}: ")
    assert line.strip()[:20] in repairs[0].detail


def test_image_url_fragment_dropped_as_first_line_only() -> None:
    kept, repairs = drop_junk([(3, "&w=3840&q=100)"), (4, "The operator said.")])
    assert kept == [(4, "The operator said.")]
    assert repairs == [Repair("drop_junk_line", 3, "image url fragment: &w=3840&q=100)")]
    # the same text further down is not the image fragment and is kept
    kept, repairs = drop_junk([(3, "The operator said."), (4, "&w=3840&q=100)")])
    assert kept == [(3, "The operator said."), (4, "&w=3840&q=100)")]
    assert repairs == []


def test_header_block_dropped_and_content_prefix_stripped() -> None:
    lines = [
        (2, "Date: 2025-07-09T12:15:31.000Z"),
        (3, "Title: Ferry operator adds night sailings"),
        (4, "Content: The regional ferry operator said on Monday."),
        (5, "Content: is not a prefix here."),
    ]
    kept, repairs = drop_junk(lines)
    assert kept == [
        (4, "The regional ferry operator said on Monday."),
        (5, "Content: is not a prefix here."),
    ]
    assert [(r.kind, r.line) for r in repairs] == [
        ("drop_junk_line", 2),
        ("drop_junk_line", 3),
        ("drop_junk_line", 4),
    ]
    assert repairs[2].detail == "header block: Content: prefix"


def test_header_lines_inside_the_text_are_kept() -> None:
    lines = [(1, "The film opened on Friday."), (2, "Title: Night Ferry"), (3, "Content: x")]
    kept, repairs = drop_junk(lines)
    assert kept == lines
    assert repairs == []


@pytest.mark.parametrize(
    "line",
    [
        "Sign up now: Get the newsletter",
        "Tags:",
        "10 Jun 2025 08:30pm",
        "Published on: 10 June 2025",
        "The play opened on Friday.",
        "Pause for thought, said the minister.",
        "Advertisement revenue fell 3% last year.",
        "Read more about the plan in the report.",
        "Photo: the ferry at dawn",
        "At 07:30 the first ferry left.",
        "The ratio was 3:1 in favour.",
        "Contact: press office",
        "Title: A film about ferries",
        "Date: 10 June 2025",
    ],
)
def test_ordinary_line_is_kept(line: str) -> None:
    lines = [(1, "The operator said on Monday."), (2, line)]
    kept, repairs = drop_junk(lines)
    assert kept == lines
    assert repairs == []


def test_prose_mentioning_function_in_brackets_is_kept() -> None:
    lines = [(1, "Kidney function (measured by eGFR) improved in most patients, the study found.")]
    kept, repairs = drop_junk(lines)
    assert kept == lines
    assert repairs == []


def test_junk_rules_have_unique_names_and_ignore_case() -> None:
    names = [r.name for r in JUNK_RULES]
    assert len(names) == len(set(names))
    assert all(r.pattern.flags & 2 for r in JUNK_RULES)  # re.IGNORECASE
    assert [r.name for r in JUNK_RULES if r.first_line_only] == ["image url fragment"]


def test_every_drop_is_recorded_with_its_line() -> None:
    lines = [
        (10, "&w=3840&q=100)"),
        (11, "Play Video"),
        (12, "The operator said on Monday."),
        (13, "Advertisement"),
        (14, "07:30"),
        (15, "Fares will rise."),
        (16, ":"),
    ]
    kept, repairs = drop_junk(lines)
    assert kept == [(12, "The operator said on Monday."), (15, "Fares will rise.")]
    assert [r.line for r in repairs] == [10, 11, 13, 14, 16]
    assert {r.kind for r in repairs} == {"drop_junk_line"}
    assert len(kept) + len(repairs) == len(lines)


# --- joins -------------------------------------------------------------------------------


def _join(*texts: str) -> tuple[list[str], list[Repair]]:
    out, repairs = join_split_lines(list(enumerate(texts, start=20)))
    return [t for _, t in out], repairs


@pytest.mark.parametrize(
    ("parts", "joined"),
    [
        (
            ("The union held talks with", "Jane Doe", "to settle the dispute."),
            "The union held talks with Jane Doe to settle the dispute.",
        ),
        (("The plan has", "John Roe", "'s support."), "The plan has John Roe's support."),
        (("The plan has", "John Roe", "’s support."), "The plan has John Roe’s support."),
        (("The region faces famine", "."), "The region faces famine."),
        (
            ("Aid arrived in", "Westhaven", ", officials said."),
            "Aid arrived in Westhaven, officials said.",
        ),
        (("The", "Harbour board approved it."), "The Harbour board approved it."),
        (
            ("Fares will rise", "— the operator said — in May."),
            "Fares will rise — the operator said — in May.",
        ),
        (("Fares will rise –", "the operator said."), "Fares will rise – the operator said."),
        (
            ("The ferry, which", "sails nightly, is full."),
            "The ferry, which sails nightly, is full.",
        ),
    ],
)
def test_split_sentence_is_joined(parts: tuple[str, ...], joined: str) -> None:
    out, repairs = _join(*parts)
    assert out == [joined]
    assert len(repairs) == len(parts) - 1
    assert [r.kind for r in repairs] == ["join_lines"] * (len(parts) - 1)
    assert [r.line for r in repairs] == list(range(21, 20 + len(parts)))


def test_joined_line_keeps_the_first_line_number() -> None:
    out, _ = join_split_lines([(7, "The union held talks with"), (8, "Jane Doe"), (9, "Next.")])
    assert out[0] == (7, "The union held talks with Jane Doe")
    assert out[1] == (9, "Next.")


@pytest.mark.parametrize(
    "parts",
    [
        ("Night sailings return", "The operator said on Monday it would add sailings."),
        ("The operator said on Monday.", "Fares will rise."),
        ("The operator said on Monday.", "it will be busy."),
        ("Why it matters:", "The islands depend on the ferry."),
        ("He said: “It is done.”", "Fares will rise."),
        ("Fares will rise!", "Ferries will run late."),
    ],
)
def test_separate_lines_are_not_joined(parts: tuple[str, ...]) -> None:
    out, repairs = _join(*parts)
    assert out == list(parts)
    assert repairs == []


def test_join_strips_surrounding_whitespace() -> None:
    out, _ = _join("  The union held talks with  ", "  Jane Doe ")
    assert out == ["The union held talks with Jane Doe"]


# --- inline fixes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ("The Minister 's plan", "The Minister's plan", "space_before_punctuation"),
        ("The Minister ’s plan", "The Minister’s plan", "space_before_punctuation"),
        ("Texas , Ohio and Utah", "Texas, Ohio and Utah", "space_before_punctuation"),
        ("It was Chowdhury .", "It was Chowdhury.", "space_before_punctuation"),
        (
            "WESTHAVEN : The port reopened",
            "WESTHAVEN: The port reopened",
            "space_before_punctuation",
        ),
        ("PORT MARIGOLD : Ferries ran", "PORT MARIGOLD: Ferries ran", "space_before_punctuation"),
        (
            'He called it " Operation Tidewater " on Monday.',
            'He called it "Operation Tidewater" on Monday.',
            "quote_spacing",
        ),
        ("He used ' soft words ' today.", "He used 'soft words' today.", "quote_spacing"),
        ("He said “ enough ” twice.", "He said “enough” twice.", "quote_spacing"),
        (
            "Fans loved the matches.Audiences grew.",
            "Fans loved the matches. Audiences grew.",
            "glued_sentences",
        ),
        ("A ‘tribute' to the crew.", "A ‘tribute’ to the crew.", "curly_quote_pair"),
    ],
)
def test_inline_fix(before: str, after: str, kind: str) -> None:
    fixed, repairs = fix_inline(before, 42)
    assert fixed == after
    assert [r.kind for r in repairs] == [kind]
    assert repairs[0].line == 42
    assert repairs[0].detail.startswith("1x")


@pytest.mark.parametrize(
    "text",
    [
        "The Minister's plan, explained.",
        "Version 3.5 was released on Monday.",
        "It costs $3,500 in the U.S. now.",
        "Ferries ran at 07:30 and 09:45.",
        "He said 'yes' and left.",
        "The harbour master's office",
        "e.g. the islands",
        "",
    ],
)
def test_clean_text_is_not_changed(text: str) -> None:
    assert fix_inline(text, 1) == (text, [])


def test_inline_fix_counts_every_occurrence() -> None:
    fixed, repairs = fix_inline("Texas , Ohio , Utah , Idaho", 3)
    assert fixed == "Texas, Ohio, Utah, Idaho"
    assert [(r.kind, r.line) for r in repairs] == [("space_before_punctuation", 3)]
    assert repairs[0].detail.startswith("3x")
    assert "Texas ," in repairs[0].detail


def test_several_inline_fixes_on_one_line_are_all_recorded() -> None:
    text = "A ‘tribute' to the Minister 's crew , with ' soft words ' and matches.Audiences"
    fixed, repairs = fix_inline(text, 9)
    assert fixed == "A ‘tribute’ to the Minister's crew, with 'soft words' and matches. Audiences"
    kinds = sorted(r.kind for r in repairs)
    assert kinds == [
        "curly_quote_pair",
        "glued_sentences",
        "quote_spacing",
        "space_before_punctuation",
        "space_before_punctuation",
    ]
    assert {r.line for r in repairs} == {9}


def test_inline_fix_kinds() -> None:
    assert {f.kind for f in INLINE_FIXES} == {
        "space_before_punctuation",
        "quote_spacing",
        "glued_sentences",
        "curly_quote_pair",
    }


# --- the whole body ----------------------------------------------------------------------


def test_repair_body_drops_joins_and_fixes_in_order() -> None:
    lines = [
        (3, "Play Video"),
        (4, "The union held talks with"),
        (5, "Jane Doe"),
        (6, "to settle ."),
        (7, "Advertisement"),
        (8, "The Minister 's plan was backed by"),
        (9, "John Roe"),
        (10, "."),
    ]
    fixed, repairs = repair_body(lines)
    assert fixed == [
        (4, "The union held talks with Jane Doe to settle."),
        (8, "The Minister's plan was backed by John Roe."),
    ]
    assert [(r.kind, r.line) for r in repairs] == [
        ("drop_junk_line", 3),
        ("drop_junk_line", 7),
        ("join_lines", 5),
        ("join_lines", 6),
        ("join_lines", 9),
        ("join_lines", 10),
        ("space_before_punctuation", 4),
        ("space_before_punctuation", 8),
    ]


def test_repair_body_on_junk_only_returns_nothing() -> None:
    fixed, repairs = repair_body([(1, "Play Video"), (2, "Pause")])
    assert fixed == []
    assert len(repairs) == 2


def test_repair_body_on_clean_text_records_nothing() -> None:
    lines = [(1, "The operator said on Monday."), (2, "Fares will rise in May.")]
    assert repair_body(lines) == (lines, [])


# --- canonical ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  The Minister 's\n\n plan ,  explained  ", "The Minister's plan, explained"),
        ("A\tB\nC", "A B C"),
        ("", ""),
        (" \n\t ", ""),
        ('A ‘tribute\' and " Operation X "', 'A ‘tribute’ and "Operation X"'),
        ("the matches.Audiences grew", "the matches. Audiences grew"),
    ],
)
def test_canonical(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_canonical_ignores_exactly_the_repaired_artifacts() -> None:
    raw = "The union held talks with Jane Doe , the Minister 's aide ."
    assert canonical(raw) == canonical("The union held talks with Jane Doe, the Minister's aide.")
    # words still differ: canonical does not hide real differences
    assert canonical("The union held talks") != canonical("The union held walks")
    assert canonical("Talks") != canonical("talks")


@pytest.mark.parametrize(
    "text",
    ["The Minister 's plan , explained", 'A ‘tribute\' to " Operation X "', "x.Yz matches.Aud"],
)
def test_canonical_is_idempotent(text: str) -> None:
    assert canonical(canonical(text)) == canonical(text)


# --- titles are never repaired -----------------------------------------------------------


def test_extract_keeps_titles_verbatim() -> None:
    title = "The Minister 's plan , explained"
    card_title = "Texas , Ohio vote on the ‘ferry' plan"
    page = (
        f"\n{title}\n"
        "The Minister 's plan was backed by\nJohn Roe\n.\n"
        "Hashtags\n\nTry Our AI Features\nExplore what Daily8 AI can do for you:\n"
        "Comments\nNo comments yet...\nRelated Articles\n\n\n"
        f"Harbour Times\n3 hours ago\n- Harbour Times\n{card_title}\n"
        "Voters in Texas , Ohio ...\n"
    )
    captured = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
    result = extract(RawDump("page.txt", page.encode(), captured, "option"))
    assert result.dump.status == "parsed", result.dump.reason
    main, card = result.sightings
    assert main.title == title
    assert card.title == card_title
    # ...while the text is repaired, and the repairs are recorded
    assert main.text == "The Minister's plan was backed by John Roe."
    assert {r.kind for r in main.repairs} == {"join_lines", "space_before_punctuation"}
    assert card.text == "Voters in Texas, Ohio ..."
    assert [r.kind for r in card.repairs] == ["space_before_punctuation"]
