"""A text is a page only on positive evidence; a leading image-URL fragment is no title.

Issue 12, points 1 and 9. The non-pages and pages here are written for these tests.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder.parse.evidence import article_hint, skip_leading_fragments
from builder.parse.extract import extract
from builder.parse.layouts import Page, Rejected, load_layouts, segment
from builder.records import DumpResult, RawDump, Repair

CAPTURED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
EN = load_layouts()[0]

SHOPPING_LIST = "Hello\nmilk\neggs\nbread\ntwo lemons\ncoffee beans\n"
MARKDOWN_NOTE = (
    "# builder\n\n"
    "builder turns raw page dumps of news aggregators into a versioned dataset that anyone\n"
    "can load with a single call, with every change recorded in its changelog.\n\n"
    "## Install\n\n```\npip install builder\n```\n"
)
PYTHON_FILE = (
    '"""Greet whoever runs this script, then leave quietly."""\n\n'
    "from __future__ import annotations\n\nimport sys\n\n\n"
    "def main() -> None:\n"
    '    print("Hello", sys.argv[1:])\n\n\n'
    'if __name__ == "__main__":\n    main()\n'
)
PYPROJECT = (
    "[build-system]\n"
    'requires = ["setuptools>=68"]\n'
    'build-backend = "setuptools.build_meta"\n\n'
    "[project]\n"
    'name = "builder"\n'
    'version = "0.1.0"\n'
    'description = "Turns page dumps into a dataset, with a long description line here"\n'
)
JSON_FILE = '{\n  "name": "builder",\n  "version": "0.1.0",\n  "private": true\n}\n'
LETTER = (
    "Dear Sam,\n\n"
    "Thank you for the lovely dinner on Saturday, we enjoyed every minute of the walk along\n"
    "the river afterwards and hope to see you both again before the summer is over.\n"
)

EMAIL = (
    "From: Anna Berg <anna@example.org>\n"
    "To: Sam Holt <sam@example.org>\n"
    "Subject: The minutes of the harbour committee meeting\n\n"
    "Hello Sam, here are the minutes of the harbour committee meeting on Tuesday evening,\n"
    "with the list of the decisions we took about the new moorings and the ferry times.\n"
)
LICENCE = (
    "The MIT License (MIT)\n\n"
    "Copyright (c) 2024 Somebody Someone\n\n"
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this\n"
    "software and associated documentation files (the Software), to deal in the Software\n"
    "without restriction, including without limitation the rights to use, copy, modify.\n"
)
LICENCE_NO_TITLE = "\n" + LICENCE.split("\n\n", 2)[2]

TITLE = "Ferry operator adds night sailings to the outer islands"
PROSE = (
    "The regional ferry operator said on Monday that it would add two night sailings a week\n"
    "to the outer islands from June, after a winter in which islanders complained of being\n"
    "cut off from hospital appointments on the mainland.\n"
    "'We have listened to the islanders,' the operator's chief executive said in a statement.\n"
)
TAIL = (
    "Hashtags\n\nTry Our AI Features\nExplore what Daily8 AI can do for you:\nComments\n"
    "No comments yet...\nRelated Articles\n\n\n"
    "Harbour Times\n3 hours ago\n- Harbour Times\nPort strike ends after two weeks\n"
    "The dock workers' union voted on Sunday to accept the new offer ...\n"
)


def _extract(text: str, name: str = "x.txt") -> DumpResult:
    return extract(RawDump(name, text.encode("utf-8"), CAPTURED, "option"))


# --- point 1: never guess a page --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (SHOPPING_LIST, "looks like a short list, not prose"),
        (MARKDOWN_NOTE, "looks like Markdown (heading '# builder')"),
        (PYTHON_FILE, "looks like Python source"),
        (PYPROJECT, "looks like TOML/INI (section '[build-system]')"),
        (JSON_FILE, "looks like JSON"),
        (LETTER, "the first line 'Dear Sam,' does not read like a headline"),
        # both were read as daily8 pages (a LICENSE.txt is a common stray in a folder)
        (EMAIL, "looks like an e-mail (header 'To: Sam Holt <sam@example.org>')"),
        (LICENCE, "looks like a licence text (clause 'Permission is hereby granted"),
        (LICENCE_NO_TITLE, "looks like a licence text (clause 'Permission is hereby"),
    ],
    ids=[
        "shopping-list",
        "markdown",
        "python",
        "pyproject",
        "json",
        "letter",
        "email",
        "licence",
        "licence-no-title",
    ],
)
def test_text_that_is_no_page_is_quarantined_with_a_hint(text: str, hint: str) -> None:
    result = extract(RawDump("notes.txt", text.encode("utf-8"), CAPTURED, "option"))
    assert result.dump.status == "quarantined"
    assert result.dump.layout is None
    assert result.sightings == ()
    assert result.dump.reason is not None
    assert result.dump.reason.startswith(f"no known layout: {hint}"), result.dump.reason
    assert "\n" not in result.dump.reason


def test_page_cut_before_its_markers_is_read_from_its_shape() -> None:
    for lead in ("", "\n"):
        result = extract(
            RawDump("cut.txt", (lead + TITLE + "\n" + PROSE).encode(), CAPTURED, "option")
        )
        assert result.dump.status == "parsed", result.dump.reason
        assert result.dump.layout == "daily8-en-plain"
        assert result.sightings[0].title == TITLE
        assert result.dump.truncated


def test_page_cut_inside_its_first_paragraph_is_still_a_page() -> None:
    text = TITLE + "\n" + PROSE.split("\n")[0] + " and the sailings will be"
    page = segment(text)
    assert isinstance(page, Page), page
    assert page.blocks[0].title == TITLE


def test_a_site_marker_is_evidence_enough() -> None:
    # A list under a headline is no article by shape, but the boilerplate shows the site.
    text = f"{TITLE}\nHarbour Times\nCoastal Post\nCity News\n{TAIL}"
    page = segment(text)
    assert isinstance(page, Page), page
    assert page.blocks[0].title == TITLE
    assert [line for _, line in page.blocks[0].body] == [
        "Harbour Times",
        "Coastal Post",
        "City News",
    ]
    assert page.blocks[0].repairs == ()
    assert isinstance(segment(f"{TITLE}\nHarbour Times\nCoastal Post\nCity News\n"), Rejected)


def test_generic_words_are_no_site_marker() -> None:
    # "Comments" and "Hashtags" close real pages, but a note may hold them too.
    note = "Party plan\nComments\ncake\ncandles\nHashtags\nballoons\n"
    page = segment(note)
    assert isinstance(page, Rejected)
    assert page.reason == "no known layout: looks like a short list, not prose"
    assert {"Comments", "Hashtags"} <= EN.markers
    assert not {"Comments", "Hashtags"} & EN.site_markers
    assert "Related Articles" in EN.site_markers


def test_logo_prelude_and_listing_heading_are_evidence() -> None:
    # Cut before any boilerplate: the logo line and the repeated title show the site.
    logo = segment(f"logo\n{TITLE}\n\n{TITLE}\n\nHarbour Times3 hours ago\nShort line\n")
    assert isinstance(logo, Page) and logo.layout_name == "daily8-en-logo"
    listing = segment("Latest news with #Ferries\n\n\nHarbour Times\n3 hours ago\n")
    assert isinstance(listing, Page)


def test_markup_inside_a_page_with_markers_does_not_matter() -> None:
    text = f"{TITLE}\n# not a heading here\n[section]\n{PROSE}{TAIL}"
    page = segment(text)
    assert isinstance(page, Page), page
    assert page.blocks[0].title == TITLE


@pytest.mark.parametrize(
    "title",
    [
        '"Heartbreaking": family of missing sailor thanks rescuers',
        "#MeToo campaigners march through the capital",
        "[Photos] Floods sweep through the valley towns",
        "Minister says x = y is no answer to the housing question",
        "Zafrul wants to join PKR",
    ],
)
def test_headlines_that_resemble_markup_are_headlines(title: str) -> None:
    assert article_hint(title, PROSE.split("\n")) is None


def test_one_odd_line_in_prose_is_no_sign_of_code() -> None:
    body = [*PROSE.split("\n"), "The council met on Tuesday; nothing was decided;"]
    assert article_hint(TITLE, body) is None
    code = [*PROSE.split("\n"), "int x = 1;", "return x;", "}"]
    assert article_hint(TITLE, code) == "looks like source code (statement 'int x = 1;')"


def test_articles_about_licences_and_with_a_date_line_are_articles() -> None:
    body = [
        "Date: Tuesday",
        *PROSE.split("\n"),
        "The software is licensed under the new rules, the minister said, and the company's",
        "copyright over the design was upheld by the court on Monday after a long hearing.",
    ]
    assert article_hint(TITLE, body) is None


def test_hint_looks_at_the_first_lines_only() -> None:
    body = PROSE.split("\n") * 20 + ["import os", "import sys"]
    assert article_hint(TITLE, body) is None


def test_real_pages_cut_before_their_markers_keep_parsing(shared_dir: Path) -> None:
    """About one real dump in eight is cut before its boilerplate: cut real ones so."""
    stops = EN.markers | EN.article_end
    dumps = sorted((shared_dir / "corpus" / "daily8-dev").glob("*.txt"))
    dumps.append(shared_dir / "seeds" / "000_92a09630900ef4a5.txt")
    tried, kept = 0, 0
    for path in dumps:
        text = path.read_text("utf-8")
        full = segment(text)
        assert isinstance(full, Page), (path.name, full)
        lines = text.split("\n")
        cut = next((i for i, line in enumerate(lines) if line.strip() in stops), None)
        if full.kind != "article" or full.form != "plain" or cut is None:
            continue
        head = "\n".join(lines[:cut]) + "\n"
        if len(head.encode()) - len(full.blocks[0].title.encode()) < 200:
            continue  # a title and a line or two: nothing shows it is a page
        tried += 1
        page = segment(head)
        if isinstance(page, Page):
            kept += 1
            assert page.blocks[0].title == full.blocks[0].title, path.name
    print(f"real pages cut before their markers: {kept}/{tried} still parse")
    assert tried >= 10
    assert kept >= 0.9 * tried


# --- point 9: a leading image-URL fragment is no title ----------------------------------


@pytest.mark.parametrize(
    "fragment",
    ["&w=3840&q=100)", "w=1200&q=75", "https://img.example.org/pic.jpg?w=3840&q=100)"],
)
def test_leading_image_url_fragment_is_skipped_and_recorded(fragment: str) -> None:
    text = f"{fragment}\n\n{TITLE}\n{PROSE}{TAIL}"
    result = _extract(text)
    assert result.dump.status == "parsed", result.dump.reason
    main = result.sightings[0]
    assert main.title == TITLE
    assert main.line_start == 3
    assert main.repairs[0] == Repair("drop_junk_line", 1, f"image url fragment: {fragment[:60]}")
    assert main.text is not None and main.text.startswith("The regional ferry operator")
    assert fragment not in main.text
    # the byte span still points into the dump as written
    raw = text.encode()
    start = main.text_byte_start
    assert start is not None and raw[start:].startswith(b"The regional ferry operator")


def test_leading_fragment_on_a_page_cut_before_its_markers() -> None:
    result = _extract(f"&w=3840&q=100)\n{TITLE}\n{PROSE}")
    assert result.dump.status == "parsed", result.dump.reason
    assert result.sightings[0].title == TITLE
    assert [r.line for r in result.sightings[0].repairs if r.kind == "drop_junk_line"] == [1]


def test_fragment_after_the_logo_line() -> None:
    text = f"logo\n&w=3840&q=100)\n{TITLE}\n\n{TITLE}\n\nHarbour Times3 hours ago\n{PROSE}"
    page = segment(text)
    assert isinstance(page, Page), page
    assert page.layout_name == "daily8-en-logo"
    assert page.blocks[0].title == TITLE
    assert page.blocks[0].repairs == (
        Repair("drop_junk_line", 2, "image url fragment: &w=3840&q=100)"),
    )


def test_only_fragments_above_the_title_are_skipped() -> None:
    text = f"{TITLE}\n&w=3840&q=100)\n{PROSE}"
    same, repairs = skip_leading_fragments(text, EN.reserved)
    assert (same, repairs) == (text, ())
    blanked, repairs = skip_leading_fragments(f"\n&a=1&b=2\n\n&w=3840&q=100)\n{text}", EN.reserved)
    assert blanked == f"\n\n\n\n{text}"
    assert [r.line for r in repairs] == [2, 4]


def test_text_of_fragments_only_is_quarantined() -> None:
    result = _extract("&w=3840&q=100)\n&w=1200&q=75\n")
    assert result.dump.status == "quarantined"
    assert result.dump.reason is not None and result.dump.reason.startswith("no known layout")


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "مشغل العبارات يضيف رحلات ليلية إلى الجزر",
            "قال المشغل الإقليمي يوم الاثنين إنه سيضيف رحلتين ليليتين كل أسبوع إلى الجزر "
            "الخارجية اعتبارا من يونيو، بعد شتاء اشتكى فيه السكان من صعوبة الوصول إلى المستشفى.",
        ),
        (
            "フェリー会社が離島への夜間便を追加",
            "地域のフェリー会社は月曜日、六月から離島への夜間便を週二便追加すると発表した。"
            "冬の間、島の住民は本土の病院に通えないと訴えていた。",
        ),
    ],
    ids=["arabic", "japanese"],
)
def test_prose_is_told_in_other_scripts_too(title: str, body: str) -> None:
    assert article_hint(title, [body]) is None
    page = segment(f"\n{title}\n{body}\n")
    assert isinstance(page, Page), page
    assert page.blocks[0].title == title


@pytest.mark.parametrize(
    "line",
    ["[a" * 5_000, "from " + "." * 5_000 + " import", "def x(" + "a)" * 5_000, "&a=" * 5_000],
    ids=["brackets", "dots", "parens", "query"],
)
def test_odd_lines_are_judged_in_linear_time(line: str) -> None:
    text = f"{line}\n" * 3 + f"{TITLE}\n" + f"{line}\n" * 100
    start = time.perf_counter()
    assert isinstance(segment(text), Page | Rejected)
    assert time.perf_counter() - start < 10  # a hang guard, not a speed test
