"""The segmenter on small invented dumps of every layout LAYOUTS.md describes."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from builder.parse.layouts import Block, Page, Rejected, segment
from builder.parse.layouts.registry import Layout, _time_starts, load_layouts
from builder.parse.layouts.segment import MAX_TITLE_CHARS, choose_layout, glued_splits, split_glued

EN = load_layouts()[0]


def parse(text: str) -> Page:
    page = segment(text)
    assert isinstance(page, Page), page
    return page


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the `nth` line that equals `needle` (stripped)."""
    seen = 0
    for no, line in enumerate(text.split("\n"), start=1):
        if line.strip() == needle:
            seen += 1
            if seen == nth:
                return no
    raise AssertionError(f"{needle!r} not in text")


# --- builders for invented pages --------------------------------------------------------


def logo_card(title: str, source: str, when: str, teaser: str, category: str | None = None) -> str:
    cat = f"  • {category}\n\n" if category else ""
    return (
        f"{title}\n{title}\n\n{source}\n\ntime{when}\n\n{cat}  • {source}\n\n{title}\n\n{teaser}\n"
    )


def plain_card(title: str, source: str, when: str, teaser: str, category: str | None = None) -> str:
    cat = f"- {category}\n" if category else ""
    return f"{source}\n{when}\n{cat}- {source}\n{title}\n{teaser}\n"


LOGO_TAIL = (
    "Orange background\n\nTry Our AI Features\n\nExplore what Daily8 AI can do for you:\n\n"
    "Comments\n\nNo comments yet...\n\nRelated Articles\n\n"
)
PLAIN_TAIL = (
    "Try Our AI Features\nExplore what Daily8 AI can do for you:\nComments\n"
    "No comments yet...\nRelated Articles\n\n\n"
)

TITLE = "Ferry operator adds night sailings"
BODY = (
    "The regional ferry operator said on Monday it would add night sailings.\n"
    "The first boat leaves in June.\n"
)
CARDS_A = (
    logo_card(
        "Port strike ends after two weeks", "Coastal Post", "3 hours ago", "The union voted ..."
    )
    + "\n"
    + logo_card("Bridge reopens to traffic", "News18", "an hour ago", "The bridge ...")
)


def logo_article(glued: str | None, cards: str = CARDS_A, title: str = TITLE) -> str:
    source = f"{glued}\n" if glued is not None else ""
    return f"logo\n{title}\n\n{title}\n\n{source}{BODY}{LOGO_TAIL}{cards}"


# --- layout A ("logo") articles ----------------------------------------------------------


@pytest.mark.parametrize(
    ("glued", "source", "when"),
    [
        ("Harbour Times3 hours ago", "Harbour Times", "3 hours ago"),
        ("City Newsa day ago", "City News", "a day ago"),
        ("Quillford Wire12-03-2025", "Quillford Wire", "12-03-2025"),
        ("9 News6 days ago", "9 News", "6 days ago"),
        ("Bay Courier59 minutes ago", "Bay Courier", "59 minutes ago"),
        ("Bay Couriera few seconds ago", "Bay Courier", "a few seconds ago"),
        ("Bay Courieran hour ago", "Bay Courier", "an hour ago"),
        ("Harbour Times3 hours ago  ", "Harbour Times", "3 hours ago"),
    ],
)
def test_logo_article_glued_source_and_time(glued: str, source: str, when: str) -> None:
    text = logo_article(glued)
    page = parse(text)
    assert (page.form, page.kind, page.layout_name) == ("logo", "article", "daily8-en-logo")
    main = page.blocks[0]
    assert main.role == "main"
    assert main.title == TITLE
    assert (main.source, main.time_text) == (source, when)
    assert [t for _, t in main.body] == BODY.strip().split("\n")
    assert not page.truncated
    assert page.unparsed_lines == 0


def test_logo_article_publisher_ending_in_digits_known_from_a_card() -> None:
    # News18 is a card source on this page: News183 days ago is News18 + 3 days ago.
    page = parse(logo_article("News183 days ago"))
    assert "News18" in {b.source for b in page.blocks[1:]}
    assert (page.blocks[0].source, page.blocks[0].time_text) == ("News18", "3 days ago")


def test_logo_article_publisher_ending_in_digits_not_on_the_page() -> None:
    # Without a card source to go by, the first valid split wins: "83 days ago" is not a
    # time text (days are bounded to 30), so this one still splits as News18 / 3 days ago.
    cards = logo_card("Bridge reopens to traffic", "Coastal Post", "an hour ago", "The bridge ...")
    page = parse(logo_article("News183 days ago", cards=cards))
    assert "News18" not in {b.source for b in page.blocks[1:]}
    assert (page.blocks[0].source, page.blocks[0].time_text) == ("News18", "3 days ago")


def test_logo_article_ambiguous_digits_prefer_longest_number_unless_source_known() -> None:
    # "News123 days ago": News1 + 23 days ago, or News12 + 3 days ago. Without a known
    # source the longest valid number wins (documented behaviour); a card source decides.
    unknown = logo_card("Bridge reopens to traffic", "Coastal Post", "an hour ago", "The ...")
    page = parse(logo_article("News123 days ago", cards=unknown))
    assert (page.blocks[0].source, page.blocks[0].time_text) == ("News1", "23 days ago")
    known = logo_card("Bridge reopens to traffic", "News12", "an hour ago", "The ...")
    page = parse(logo_article("News123 days ago", cards=known))
    assert (page.blocks[0].source, page.blocks[0].time_text) == ("News12", "3 days ago")


def test_logo_article_keeps_other_glued_readings_for_the_merge() -> None:
    unknown = logo_card("Bridge reopens to traffic", "Coastal Post", "an hour ago", "The ...")
    main = parse(logo_article("News123 days ago", cards=unknown)).blocks[0]
    assert main.glued_alternatives == (("News12", "3 days ago"),)
    known = logo_card("Bridge reopens to traffic", "News12", "an hour ago", "The ...")
    assert parse(logo_article("News123 days ago", cards=known)).blocks[0].glued_alternatives == ()
    assert parse(logo_article("Harbour Times3 hours ago")).blocks[0].glued_alternatives == ()


def test_logo_article_without_source_line() -> None:
    text = logo_article(None)
    page = parse(text)
    main = page.blocks[0]
    assert (main.title, main.source, main.time_text) == (TITLE, None, None)
    assert main.body[0] == (line_of(text, BODY.split("\n")[0]), BODY.split("\n")[0])
    assert len(page.blocks) == 3


def test_logo_article_with_blank_line_after_source() -> None:
    text = f"logo\n{TITLE}\n\n{TITLE}\n\nHarbour Times3 hours ago\n\n{BODY}{LOGO_TAIL}{CARDS_A}"
    main = parse(text).blocks[0]
    assert (main.source, main.time_text) == ("Harbour Times", "3 hours ago")
    assert len(main.body) == 2


def test_logo_article_titles_may_differ_in_whitespace() -> None:
    text = f"logo\n{TITLE}\n\n  Ferry  operator adds\tnight sailings \n\nHarbour Times3 hours ago\n"
    text += BODY + LOGO_TAIL + CARDS_A
    page = parse(text)
    assert page.form == "logo"
    assert page.blocks[0].title == TITLE


def test_logo_cards() -> None:
    text = logo_article("Harbour Times3 hours ago")
    cards = parse(text).blocks[1:]
    assert [(c.role, c.title, c.source, c.time_text, c.category) for c in cards] == [
        ("related", "Port strike ends after two weeks", "Coastal Post", "3 hours ago", None),
        ("related", "Bridge reopens to traffic", "News18", "an hour ago", None),
    ]
    assert [t for c in cards for _, t in c.body] == ["The union voted ...", "The bridge ..."]


def test_unknown_line_in_boilerplate_is_counted_as_unparsed() -> None:
    text = logo_article("Harbour Times3 hours ago").replace(
        "Comments\n", "Comments\nSomething unexpected\n"
    )
    page = parse(text)
    assert page.unparsed_lines == 1
    assert len(page.blocks) == 3


def test_article_without_related_block_is_truncated() -> None:
    text = f"logo\n{TITLE}\n\n{TITLE}\n\nHarbour Times3 hours ago\n{BODY}Orange background\n\n"
    page = parse(text)
    assert page.truncated
    assert len(page.blocks) == 1


def test_article_without_article_end_is_truncated_and_keeps_body() -> None:
    text = f"logo\n{TITLE}\n\n{TITLE}\n\nHarbour Times3 hours ago\n{BODY}"
    page = parse(text)
    assert page.truncated
    assert [t for _, t in page.blocks[0].body] == BODY.strip().split("\n")


# --- layout B ("plain") articles ---------------------------------------------------------


PLAIN_BODY = "The\nregional ferry operator said on Monday it would add sailings.\n"


@pytest.mark.parametrize("gap", ["\n\n", "\n", ""])
def test_plain_article_cards_separated_by_blank_lines(gap: str) -> None:
    cards = gap.join(
        [
            plain_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ..."),
            plain_card("Bridge reopens", "Coastal Post", "a day ago", "The bridge ..."),
            plain_card("Storm warning issued", "News18", "12-03-2025", "Forecasters ..."),
        ]
    )
    text = f"\n{TITLE}\n{PLAIN_BODY}Hashtags\n\n{PLAIN_TAIL}{cards}"
    page = parse(text)
    assert (page.form, page.kind) == ("plain", "article")
    main, *related = page.blocks
    assert main.title == TITLE
    assert [t for _, t in main.body] == PLAIN_BODY.strip().split("\n")
    assert [(c.title, c.source, c.time_text) for c in related] == [
        ("Port strike ends", "Harbour Times", "3 hours ago"),
        ("Bridge reopens", "Coastal Post", "a day ago"),
        ("Storm warning issued", "News18", "12-03-2025"),
    ]
    assert [c.body[0][1] for c in related] == ["The union ...", "The bridge ...", "Forecasters ..."]
    assert page.unparsed_lines == 0
    assert not page.truncated


def test_plain_title_without_leading_blank_line() -> None:
    text = f"{TITLE}\n{PLAIN_BODY}Hashtags\n\n{PLAIN_TAIL}"
    text += plain_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ...")
    page = parse(text)
    assert page.blocks[0].title == TITLE
    assert page.blocks[0].line_start == 1


@pytest.mark.parametrize("hashtags", ["Hashtags\n\n", ""])
def test_title_only_plain_page(hashtags: str) -> None:
    text = f"\n{TITLE}\n{hashtags}{PLAIN_TAIL}"
    text += plain_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ...")
    page = parse(text)
    main = page.blocks[0]
    assert main.title == TITLE
    assert main.body == ()
    assert main.line_start == main.line_end == 2
    assert [b.title for b in page.blocks[1:]] == ["Port strike ends"]


@pytest.mark.parametrize("end", ["Orange background\n\n", "Try Our AI Features\n\n"])
def test_title_only_logo_page(end: str) -> None:
    text = f"logo\n{TITLE}\n\n{TITLE}\n\n{end}Related Articles\n\n{CARDS_A}"
    page = parse(text)
    assert page.form == "logo"
    assert page.blocks[0].body == ()
    assert len(page.blocks) == 3


def test_plain_article_whose_title_starts_like_a_heading_is_an_article() -> None:
    text = "\nLatest from the harbour: night sailings return\nThe operator said on Monday.\n"
    text += f"Hashtags\n\n{PLAIN_TAIL}"
    page = parse(text)
    assert page.kind == "article"
    assert page.blocks[0].title == "Latest from the harbour: night sailings return"
    assert page.blocks[0].body == ((3, "The operator said on Monday."),)


def test_plain_card_title_cut_by_end_of_dump_is_not_kept() -> None:
    text = f"\n{TITLE}\n{PLAIN_BODY}Hashtags\n\n{PLAIN_TAIL}"
    text += plain_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ...")
    text += "\n\nCoastal Post\na day ago\n- Coastal Post\nBridge reop"
    page = parse(text)
    assert [b.title for b in page.blocks] == [TITLE, "Port strike ends"]
    assert page.truncated


def test_logo_card_third_title_cut_ends_the_card() -> None:
    text = logo_article("Harbour Times3 hours ago", cards=CARDS_A.rsplit("Bridge reopens", 1)[0])
    text += "Bridge reo"
    page = parse(text)
    last = page.blocks[-1]
    assert last.title == "Bridge reopens to traffic"
    assert last.body == ()
    assert page.truncated


# --- listing pages -----------------------------------------------------------------------


def test_logo_hashtag_listing() -> None:
    cards = logo_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ...")
    cards += "\n" + logo_card(
        "Budget vote delayed", "Coastal Post", "a day ago", "Lawmakers ...", category="Politics"
    )
    text = "logo\n#\nLatest news with #Ferries\n" + cards
    page = parse(text)
    assert (page.form, page.kind, page.layout_name) == ("logo", "listing", "daily8-en-logo")
    assert all(b.role == "related" for b in page.blocks)
    assert [(b.title, b.source, b.category, b.time_text) for b in page.blocks] == [
        ("Port strike ends", "Harbour Times", None, "3 hours ago"),
        ("Budget vote delayed", "Coastal Post", "Politics", "a day ago"),
    ]
    assert page.blocks[1].body[0][1] == "Lawmakers ..."


def test_logo_publisher_listing() -> None:
    cards = logo_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ...")
    page = parse("logo\nLatest from Harbour Times\n\n" + cards)
    assert page.kind == "listing"
    assert [b.title for b in page.blocks] == ["Port strike ends"]


@pytest.mark.parametrize("heading", ["Latest news with #Ferries", "Latest from Harbour Times"])
def test_plain_listing(heading: str) -> None:
    cards = plain_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ...")
    cards += "\n\n" + plain_card(
        "Shares rise", "Coastal Post", "a day ago", "Markets ...", category="Business"
    )
    cards += "\n" + plain_card("Cup final set", "Bay Courier", "an hour ago", "The ...", "Sport")
    page = parse(f"{heading}\n\n\n{cards}")
    assert (page.form, page.kind) == ("plain", "listing")
    assert [(b.title, b.source, b.category) for b in page.blocks] == [
        ("Port strike ends", "Harbour Times", None),
        ("Shares rise", "Coastal Post", "Business"),
        ("Cup final set", "Bay Courier", "Sport"),
    ]
    assert page.unparsed_lines == 0


def test_listing_heading_without_cards_is_not_a_listing() -> None:
    text = "\nLatest from Harbour Times\nThe operator said on Monday.\n"
    page = parse(text)
    assert page.kind == "article"
    assert page.blocks[0].title == "Latest from Harbour Times"


def test_listing_with_junk_line_between_cards_counts_it() -> None:
    cards = plain_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ...")
    cards += "\nLoad more\n\n" + plain_card("Shares rise", "Coastal Post", "a day ago", "M ...")
    page = parse(f"Latest news with #Ferries\n\n{cards}")
    assert [b.title for b in page.blocks] == ["Port strike ends", "Shares rise"]
    assert page.unparsed_lines == 1


def test_listing_with_5000_cards_is_fast() -> None:
    cards = "\n".join(
        logo_card(f"Story {i} about the port", "Harbour Times", "3 hours ago", f"Teaser {i} ...")
        for i in range(5000)
    )
    text = "logo\n#\nLatest news with #Ferries\n" + cards
    start = time.perf_counter()
    page = parse(text)
    elapsed = time.perf_counter() - start
    assert len(page.blocks) == 5000
    assert page.blocks[4999].title == "Story 4999 about the port"
    assert page.blocks[4999].body[0][1] == "Teaser 4999 ..."
    assert elapsed < 30  # a hang guard against regex backtracking, not a speed test


# --- Arabic ------------------------------------------------------------------------------

ARABIC = (
    "\n"
    "العبارات / مشغل العبارات يضيف رحلات ليلية\n"
    "قال المشغل الإقليمي يوم الاثنين إنه سيضيف رحلات.\n"
    "هاشتاغز\n"
    "\n"
    "جرب ميزات الذكاء الاصطناعي لدينا\n"
    "اكتشف ما يمكن أن يفعله Daily8 AI من أجلك:\n"
    "التعليقات\n"
    "لا يوجد تعليقات بعد...\n"
    "أخبار ذات صلة\n"
    "\n"
    "\n"
    "صحيفة الميناء\n"
    "منذ ساعة واحدة\n"
    "- صحيفة الميناء\n"
    "انتهاء إضراب الميناء\n"
    "صوت عمال الميناء ...\n"
)


def test_arabic_page() -> None:
    page = parse(ARABIC)
    assert page.layout.language == "ar"
    assert page.layout_name == "daily8-ar-plain"
    main, card = page.blocks
    assert main.title == "العبارات / مشغل العبارات يضيف رحلات ليلية"  # section prefix kept
    assert main.body == ((3, "قال المشغل الإقليمي يوم الاثنين إنه سيضيف رحلات."),)
    assert (card.source, card.time_text, card.title) == (
        "صحيفة الميناء",
        "منذ ساعة واحدة",
        "انتهاء إضراب الميناء",
    )
    assert page.unparsed_lines == 0


def test_choose_layout_by_markers() -> None:
    layouts = load_layouts()
    assert choose_layout(ARABIC, layouts)[0].language == "ar"
    assert choose_layout(ARABIC, layouts)[1] == 6
    english = f"\n{TITLE}\n{PLAIN_BODY}Hashtags\n\n{PLAIN_TAIL}"
    assert choose_layout(english, layouts) == (layouts[0], 6)
    # no marker at all: the default language, score 0
    assert choose_layout("Just a line\n", layouts) == (layouts[0], 0)


# --- rejections --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html>\n<html><body><p>Ferry</p></body></html>\n",
        "  <html lang='en'>\n<head><title>x</title></head>\n",
        "<div class='a'>Ferry</div>\n",
        "\n<?xml version='1.0'?>\n<rss/>\n",
    ],
)
def test_html_page_is_rejected(text: str) -> None:
    page = segment(text)
    assert isinstance(page, Rejected)
    assert "HTML" in page.reason


def test_single_line_without_marker_is_rejected() -> None:
    assert isinstance(segment("Just one line of text\n"), Rejected)
    assert isinstance(segment(""), Rejected)
    assert isinstance(segment("\n\n\n"), Rejected)


def test_first_line_longer_than_a_title_is_rejected() -> None:
    long_line = "word " * (MAX_TITLE_CHARS // 5 + 1)
    assert len(long_line.strip()) > MAX_TITLE_CHARS
    page = segment(f"\n{long_line}\nA second line.\nHashtags\n\n{PLAIN_TAIL}")
    assert isinstance(page, Rejected)


# --- truncated dumps ---------------------------------------------------------------------

SMALL_LOGO = logo_article(
    "Harbour Times3 hours ago",
    cards=logo_card("Port strike ends – café “talks”", "Coastal Post", "3 hours ago", "The ...")
    + "\n"
    + logo_card("Bridge reopens", "News18", "an hour ago", "The bridge ..."),
)
SMALL_PLAIN = f"\nFerry operator adds night sailings – café “talks”\n{PLAIN_BODY}Hashtags\n\n"
SMALL_PLAIN += PLAIN_TAIL + plain_card("Port strike ends", "Harbour Times", "3 hours ago", "T ...")
SMALL_PLAIN += "\n\n" + plain_card("Bridge reopens", "Coastal Post", "a day ago", "The bridge ...")


def _cuts(text: str) -> list[str]:
    data = text.encode("utf-8")
    return [data[:i].decode("utf-8", "ignore") for i in range(len(data) + 1)]


def _bad_titles(full: str, start: int = 0) -> list[tuple[int, str]]:
    titles = {b.title for b in parse(full).blocks}
    bad = []
    for i, cut in enumerate(_cuts(full)):
        if i < start:
            continue
        page = segment(cut)
        if isinstance(page, Page):
            bad += [(i, b.title) for b in page.blocks if b.title not in titles]
    return bad


@pytest.mark.parametrize("full", [SMALL_LOGO, SMALL_PLAIN], ids=["logo", "plain"])
def test_cut_at_every_byte_never_raises(full: str) -> None:
    results = [segment(cut) for cut in _cuts(full)]
    assert all(isinstance(r, Page | Rejected) for r in results)
    assert isinstance(results[-1], Page) and not results[-1].truncated
    # every proper prefix that parses and lacks the last teaser's newline is marked cut
    assert any(isinstance(r, Page) and r.truncated for r in results[:-1])


def test_cut_plain_page_never_yields_a_partial_title() -> None:
    assert _bad_titles(SMALL_PLAIN) == []


def test_cut_logo_page_after_both_titles_never_yields_a_partial_title() -> None:
    start = len(f"logo\n{TITLE}\n\n{TITLE}\n".encode())
    assert _bad_titles(SMALL_LOGO, start) == []


def test_cut_logo_page_never_yields_a_partial_title() -> None:
    assert _bad_titles(SMALL_LOGO) == []


def test_logo_page_cut_inside_second_title_minimal() -> None:
    page = segment(f"logo\n{TITLE}\n\nFerry operator")
    assert isinstance(page, Rejected) or page.blocks[0].title != "logo"


# --- huge input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a" * 5_000_000,
        "\nFerry title\n" + "word " * 1_000_000 + "\nHashtags\n",
        f"logo\n{TITLE}\n\n{TITLE}\n\n" + "1" * 5_000_000 + "3 hours ago\n",
        f"logo\n{TITLE}\n\n{TITLE}\n\n" + "x" * 70 + "3 hours ago" * 450_000 + "\n",
    ],
    ids=["no-newline", "plain-body", "digits-before-time", "repeated-time"],
)
def test_huge_input_is_fast(text: str) -> None:
    start = time.perf_counter()
    page = segment(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 30, elapsed  # a hang guard, not a speed test (see benchmarks/)
    if isinstance(page, Page):
        assert len(page.blocks[0].title) <= MAX_TITLE_CHARS
        assert page.blocks[0].source is None or len(page.blocks[0].source) <= 120


def test_many_short_lines_that_are_no_cards_are_skipped_in_linear_time() -> None:
    # 100,000 lines (1.4 MB) that each start a failed card match: no quadratic rescans.
    text = "Latest news with #Ferries\n" + "Harbour Times\n" * 100_000
    start = time.perf_counter()
    page = parse(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 30, elapsed  # a hang guard, not a speed test (see benchmarks/)
    # no card: the heading is taken as an article title and the lines as its body
    assert page.kind == "article"
    assert len(page.blocks[0].body) == 100_000


def test_five_megabyte_single_line_is_rejected() -> None:
    page = segment("The " + "x" * 5_000_000)
    assert isinstance(page, Rejected)


# --- line numbers ------------------------------------------------------------------------


def test_line_numbers_logo_article() -> None:
    text = logo_article("Harbour Times3 hours ago")
    main, strike, bridge = parse(text).blocks
    assert main.line_start == 2
    assert main.line_end == line_of(text, "The first boat leaves in June.")
    assert [no for no, _ in main.body] == [7, 8]
    assert strike.line_start == line_of(text, "Port strike ends after two weeks", 1)
    assert strike.line_end == line_of(text, "The union voted ...")
    assert strike.body == ((strike.line_end, "The union voted ..."),)
    assert bridge.line_start == line_of(text, "Bridge reopens to traffic", 1)
    assert bridge.line_end == line_of(text, "The bridge ...")


def test_line_numbers_plain_article() -> None:
    text = f"\n{TITLE}\n{PLAIN_BODY}Hashtags\n\n{PLAIN_TAIL}"
    text += plain_card("Port strike ends", "Harbour Times", "3 hours ago", "The union ...")
    main, card = parse(text).blocks
    assert (main.line_start, main.line_end) == (2, 4)
    assert main.body == ((3, "The"), (4, PLAIN_BODY.split("\n")[1]))
    assert card.line_start == line_of(text, "Harbour Times")
    assert card.line_end == card.line_start + 4
    assert card.body == ((card.line_end, "The union ..."),)


def test_line_numbers_listing_with_category() -> None:
    text = "logo\n#\nLatest news with #Ferries\n" + logo_card(
        "Budget vote delayed", "Coastal Post", "a day ago", "Lawmakers ...", category="Politics"
    )
    (card,) = parse(text).blocks
    assert card.line_start == 4
    assert card.line_end == line_of(text, "Lawmakers ...") == 17


# --- split_glued directly ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "known", "expected"),
    [
        ("Harbour Times3 hours ago", set(), ("Harbour Times", "3 hours ago")),
        ("News183 days ago", {"news18"}, ("News18", "3 days ago")),
        ("News123 days ago", set(), ("News1", "23 days ago")),
        ("News123 days ago", {"news12"}, ("News12", "3 days ago")),
        ("9 News6 days ago", set(), ("9 News", "6 days ago")),
        ("Harbour Times 3 hours ago", set(), None),  # a space before the time: not glued
        ("3 hours ago", set(), None),  # no publisher
        ("Harbour Times", set(), None),
    ],
)
def test_split_glued(line: str, known: set[str], expected: tuple[str, str] | None) -> None:
    assert split_glued(line, EN, known) == expected


def test_glued_splits_lists_every_reading_longest_time_first() -> None:
    assert glued_splits("Radio 1015 hours ago", EN) == [
        ("Radio 10", "15 hours ago"),
        ("Radio 101", "5 hours ago"),
    ]
    assert glued_splits("Harbour Times 3 hours ago", EN) == []


GLUED_LINES = [
    "Harbour Times3 hours ago",
    "Radio 1015 hours ago",
    "  Radio 1015 hours ago",
    "\u00a0News183 days ago",
    "The strike began 13 days ago",
    "Harbour Times 3 hours ago",
    "3 hours ago",
    " 3 hours ago",
    "a day ago",
    "x" * 118 + "a day ago",  # the time starts after the 119 characters a head may have
    "x" * 110 + "a day ago",
    "Times" + "1" * 10 + "5 hours ago",
    "Post12-03-2025",
    "Post 12-03-2025",
    "Postan hour agoan hour ago",
    "",
    "منذ ساعة واحدة",
    "الجزيرةمنذ 3 ساعات",
]


@pytest.mark.parametrize("layout", load_layouts(), ids=lambda layout: layout.language)
@pytest.mark.parametrize("line", GLUED_LINES)
def test_glued_splits_one_scan_gives_what_a_fullmatch_per_offset_gives(
    layout: Layout, line: str
) -> None:
    """`time_starts` (one scan) finds the same readings as the plain loop that tries
    `time_re.fullmatch` on each tail, which a layout whose time patterns look outside
    their text (anchors, `\\b`, lookbehind) still uses."""
    assert layout.time_starts is not None
    plain = replace(layout, time_starts=None)
    assert glued_splits(line, layout) == glued_splits(line, plain)


def test_time_patterns_that_look_outside_their_text_get_no_one_scan_form() -> None:
    assert _time_starts("(?:a day ago)") is not None
    for pattern in (r"\ba day ago", "^a day ago", "a day ago$", "(?<!x)a day ago", r"\Aday"):
        assert _time_starts(pattern) is None, pattern


@pytest.mark.parametrize(
    "text",
    [
        "Hashtags\nbody",
        "body\nHashtags  \nmore",
        "body\nHashtagsX\nHashtags\t\n",
        "xHashtags\nTry Our AI Features",
        "\n\nOrange background",
        "Hashtags",
        "no end here",
        "body\n Hashtags\nHashtags",
    ],
)
def test_whole_line_search_finds_what_a_multiline_caret_search_finds(text: str) -> None:
    ends = sorted(EN.article_end)
    caret = re.compile("^(?:" + "|".join(map(re.escape, ends)) + r")[ \t]*$", re.M)
    for pos in range(len(text) + 2):
        found = caret.search(text, pos)
        assert EN.end_line.search(text, pos) == (found.span() if found else None), pos


def test_block_is_frozen() -> None:
    block = parse(logo_article(None)).blocks[0]
    assert isinstance(block, Block)
    with pytest.raises(AttributeError):
        block.title = "x"  # type: ignore[misc]


def test_first_body_line_ending_in_a_time_text_is_body() -> None:
    text = f"logo\n{TITLE}\n\n{TITLE}\n\nThe strike began 13 days ago\nIt continues.\n"
    text += LOGO_TAIL + CARDS_A
    main = parse(text).blocks[0]
    assert (main.source, main.time_text) == (None, None)
    assert main.body[0][1] == "The strike began 13 days ago"
