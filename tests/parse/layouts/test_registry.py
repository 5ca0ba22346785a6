"""The layout entries in `parse/layouts/data/`: they load, compile, and time texts are bounded."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import builder
from builder.parse.layouts import Layout, load_layouts
from builder.parse.layouts.registry import _BLANKS, _LINE

DATA = Path(builder.__file__).parent / "parse" / "layouts" / "data"


def _by_language() -> dict[str, Layout]:
    return {layout.language: layout for layout in load_layouts()}


def test_every_layout_file_is_valid_toml_and_loads() -> None:
    import tomllib

    files = sorted(DATA.glob("*.toml"))
    assert {f.name for f in files} >= {"daily8.toml", "daily8.en.toml", "daily8.ar.toml"}
    for f in files:
        assert isinstance(tomllib.loads(f.read_text("utf-8")), dict), f.name
    language_files = [f for f in files if f.name.count(".") == 2]
    assert len(load_layouts()) == len(language_files)


def test_load_layouts_is_cached_and_returns_a_tuple() -> None:
    first = load_layouts()
    assert isinstance(first, tuple)
    assert load_layouts() is first


def test_default_language_comes_first_and_is_english() -> None:
    layouts = load_layouts()
    assert layouts[0].language == "en"
    assert layouts[0].default is True
    assert [lay.default for lay in layouts].count(True) == 1


@pytest.mark.parametrize("language", ["en", "ar"])
def test_each_language_has_forms_logo_and_plain(language: str) -> None:
    layout = _by_language()[language]
    assert layout.site == "daily8"
    assert [f.name for f in layout.forms] == ["logo", "plain"]
    for form in layout.forms:
        for pattern in (form.article, form.listing, form.card):
            assert isinstance(pattern, re.Pattern)
            # every placeholder was substituted
            assert "{" + "LINE}" not in pattern.pattern
            assert not re.search(r"\{[A-Z_]+\}", pattern.pattern), pattern.pattern
    assert layout.name("logo") == f"daily8-{language}-logo"


def test_logo_form_compares_repeated_titles() -> None:
    logo, plain = _by_language()["en"].forms
    assert logo.same == ("title2", "title3")
    assert plain.same == ()


def test_time_forms_carry_seconds_or_unit_and_uncertainty() -> None:
    for layout in load_layouts():
        assert layout.times, layout.language
        dates = [t for t in layout.times if t.is_date]
        assert len(dates) == 1, layout.language
        for t in layout.times:
            assert t.uncertainty > 0
            if not t.is_date:
                assert (t.seconds is None) != (t.unit is None), t.pattern.pattern
                if t.unit is not None:
                    assert "n" in t.pattern.groupindex


@pytest.mark.parametrize(
    "text",
    [
        "a few seconds ago",
        "a minute ago",
        "1 minutes ago",
        "59 minutes ago",
        "an hour ago",
        "3 hours ago",
        "23 hours ago",
        "a day ago",
        "3 days ago",
        "30 days ago",
        "12-03-2025",
        "04-07-2025",
    ],
)
def test_english_time_texts_match(text: str) -> None:
    assert _by_language()["en"].time_re.fullmatch(text)


@pytest.mark.parametrize(
    "text",
    [
        "183 days ago",  # News18 + 3 days ago: the number is bounded
        "31 days ago",
        "60 minutes ago",
        "24 hours ago",
        "123 hours ago",
        "3 days ago.",
        "x3 days ago",
        "3 days",
        "3 Days Ago",
        "12-03-25",
        "2025-03-12",
        "112-03-2025",
        "yesterday",
        "",
    ],
)
def test_english_time_texts_are_anchored_and_bounded(text: str) -> None:
    assert _by_language()["en"].time_re.fullmatch(text) is None


def test_time_re_has_no_named_groups_left_in_forms() -> None:
    # Named groups are stripped inside forms: a form may use {TIME} twice without clashing.
    for layout in load_layouts():
        assert not layout.time_re.groupindex
        for form in layout.forms:
            names = set(form.card.groupindex)
            assert "n" not in names and "day" not in names


def test_placeholders_blank_and_line() -> None:
    blanks, line = re.compile(_BLANKS), re.compile(_LINE)
    assert blanks.fullmatch("\n \n\t\n\u00a0\n")
    assert blanks.fullmatch("")
    assert not blanks.fullmatch("x\n")
    assert line.fullmatch("  Harbour Times ")
    assert not line.fullmatch("   ")
    assert not line.fullmatch("a\nb")


def test_arabic_entry_is_present() -> None:
    ar = _by_language()["ar"]
    assert ar.default is False
    assert ar.related == "أخبار ذات صلة"
    assert "هاشتاغز" in ar.boilerplate
    assert "هاشتاغز" in ar.article_end
    assert "لا يوجد تعليقات بعد..." in ar.boilerplate
    assert ar.markers == ar.boilerplate | {ar.related}
    assert ar.time_re.fullmatch("منذ ساعة واحدة")
    assert ar.time_re.fullmatch("12-03-2025")
    assert not ar.time_re.fullmatch("an hour ago")


def test_english_strings() -> None:
    en = _by_language()["en"]
    assert en.related == "Related Articles"
    assert en.article_end == {"Hashtags", "Orange background", "Try Our AI Features"}
    assert "No comments yet..." in en.boilerplate
    assert "Related Articles" in en.markers
    assert "Hashtags" in en.markers


def test_site_markers_are_the_distinctive_lines_only() -> None:
    for layout in load_layouts():
        assert layout.site_markers, layout.language
        assert layout.site_markers <= layout.markers
        assert layout.related in layout.site_markers
    en = _by_language()["en"]
    assert "Try Our AI Features" in en.site_markers
    assert not {"Hashtags", "Comments"} & en.site_markers  # a note may hold these words
    assert "التعليقات" not in _by_language()["ar"].site_markers


def test_only_the_logo_prelude_is_evidence_of_the_site() -> None:
    logo, plain = _by_language()["en"].forms
    assert logo.shape_is_evidence is True
    assert plain.shape_is_evidence is False  # a lone title line shows nothing


def test_english_headings_fill_the_listing_forms() -> None:
    logo, plain = _by_language()["en"].forms
    assert plain.listing.match("Latest news with #Ferries\n")
    assert plain.listing.match("Latest from Harbour Times\n")
    assert not plain.listing.match("Latest from\n")
    assert logo.listing.match("logo\n#\nLatest news with #Ferries\n")
    assert logo.listing.match("logo\nLatest from Harbour Times")


def test_arabic_has_no_headings_so_its_listing_forms_never_match() -> None:
    logo, plain = _by_language()["ar"].forms
    assert plain.listing.match("Latest from Harbour Times\n") is None
    assert logo.listing.match("logo\n#\nLatest news with #Ferries\n") is None


_EXTRA_LANGUAGE = """
site = "daily8"
language = "xx"
default = false
logo = "logo"
hash = "#"
time_prefix = "zeit"
article_end = ["Zzhashtags"]
boilerplate = ["Zzhashtags", "Zzcomments"]
related = "Zzrelated"
headings = ['Zzlatest \\S[^\\n]*']

[[times]]
pattern = '(?P<n>[1-9]) zzhours'
unit = 3600
uncertainty = 3600
[[times]]
pattern = '(?P<day>[0-3][0-9])-(?P<month>[01][0-9])-(?P<year>[12][0-9]{3})'
uncertainty = 86400
"""

_PROBE = """
import json
from builder.parse.layouts import load_layouts, segment
layouts = load_layouts()
page = segment(
    "Ferry title\\nBody line.\\nZzhashtags\\n\\nZzcomments\\nZzrelated\\n\\n\\n"
    "Harbour Times\\n3 zzhours\\n- Harbour Times\\nCard title\\nTeaser ...\\n"
)
print(json.dumps({
    "languages": [lay.language for lay in layouts],
    "layout": page.layout_name,
    "titles": [b.title for b in page.blocks],
    "times": [b.time_text for b in page.blocks],
}))
"""


def test_adding_a_language_file_is_picked_up(tmp_path: Path) -> None:
    """A copy of the package with one more language file loads it: no code change needed."""
    package = Path(builder.__file__).parent
    copy = tmp_path / "builder"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("schema", "__pycache__"))
    (copy / "parse" / "layouts" / "data" / "daily8.xx.toml").write_text(_EXTRA_LANGUAGE, "utf-8")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    probe = json.loads(out.stdout)
    assert probe["languages"] == ["en", "ar", "xx"]
    assert probe["layout"] == "daily8-xx-plain"
    assert probe["titles"] == ["Ferry title", "Card title"]
    assert probe["times"] == [None, "3 zzhours"]
