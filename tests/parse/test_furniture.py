"""Page furniture: invented pages carrying each kind of furniture real pages show, the
data files that name the phrases, and the figures on the dev corpus."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from builder.parse.extract import extract
from builder.parse.furniture import MIN_RUN, Marker, load_furniture
from builder.parse.repair import Traced, repair_body, repair_main
from builder.records import RawDump, Repair
from tests.parse.furniture_probe import is_short_non_prose, longest_short_run, measure

ROOT = Path(__file__).resolve().parents[2]
CAPTURED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)

P1 = "The ferry operator said on Monday that night sailings would start in June."
P2 = "Tickets for the late crossings will cost the same as those for the day service."
P3 = "Harbour staff said the change had been requested by shift workers for years."

#: An invented video player's caption-settings menu: one or two words a line.
PLAYER_MENU = [
    "Text",
    "Color",
    "White",
    "Black",
    "Red",
    "Green",
    "Blue",
    "Yellow",
    "Opacity",
    "Opaque",
    "Semi-Transparent",
    "Text Background",
    "Transparent",
    "Font Size",
    "50%",
    "75%",
    "100%",
    "150%",
    "Text Edge Style",
    "None",
    "Raised",
    "Drop shadow",
    "Font Family",
    "Monospace Serif",
    "Reset",
    "Done",
]


def _lines(*texts: str, start: int = 10) -> list[tuple[int, str]]:
    return list(enumerate(texts, start=start))


def _repair(*texts: str) -> tuple[list[str], list[Repair]]:
    fixed, repairs = repair_body(_lines(*texts))
    return [t for _, t in fixed], repairs


def _furniture(repairs: list[Repair]) -> list[Repair]:
    return [r for r in repairs if r.kind.startswith("drop_furniture")]


def test_a_player_settings_menu_is_dropped_line_by_line() -> None:
    kept, repairs = _repair(P1, *PLAYER_MENU, P2)
    assert kept == [P1, P2]
    dropped = _furniture(repairs)
    assert sorted(r.line for r in dropped) == list(range(11, 11 + len(PLAYER_MENU)))
    assert {r.kind for r in dropped} == {"drop_furniture_line"}


def test_a_you_may_like_rail_is_dropped_up_to_the_next_prose() -> None:
    rail = [
        "You May Like",
        "Ten harbour towns you have never heard of",
        "Coastline Travel",
        "The one kitchen gadget every sailor wants this year",
        "Galley Gear",
    ]
    kept, repairs = _repair(P1, P2, *rail)
    assert kept == [P1, P2]
    assert [r.line for r in _furniture(repairs)] == [12, 13, 14, 15, 16]
    assert "rail heading: You May Like" in _furniture(repairs)[0].detail
    # prose after a rail ends it
    kept, _ = _repair(P1, *rail[:3], P2)
    assert kept == [P1, P2]


@pytest.mark.parametrize(
    "prompt",
    [
        "Sign up now: Get the Harbour Herald's newsletters delivered to your inbox",
        "Follow us on our official Signal channel for breaking news alerts!",
        "Stay up-to-date by following the Harbour Herald's Telegram channel.",
        "Read more",
        "Read more on harbour news",
        "Credit: Harbour Agency",
        "Published on: Mon, Jun 2, 2025",
        "Facebook Twitter Linkedin Email",
        "Start your FREE trial now",
        "Views expressed above are the author's own.",
        "Tags:",
        "12:40 Min",
    ],
)
def test_a_prompt_line_is_dropped_and_recorded(prompt: str) -> None:
    kept, repairs = _repair(P1, prompt, P2)
    assert kept == [P1, P2]
    # a few prompts were junk lines already; the rest are furniture
    assert [r.line for r in repairs] == [11]
    assert repairs[0].kind in ("drop_furniture_line", "drop_junk_line")
    assert prompt[:20] in repairs[0].detail


def test_a_gallery_of_counters_captions_and_credits_is_dropped() -> None:
    gallery = [
        "3",
        "The night ferry leaves the harbour for the first time",
        "Credit: Harbour Agency",
        "3",
        "Passengers wait on the quay at dusk",
        "Credit: Jane Roe",
    ]
    kept, repairs = _repair(P1, *gallery, P2)
    assert kept == [P1, P2]
    reasons = {r.line: r.detail.split(":")[0] for r in _furniture(repairs)}
    assert reasons == {
        11: "no words",
        12: "between furniture",
        13: "phrase",
        14: "no words",
        15: "between furniture",
        16: "phrase",
    }


def test_a_text_size_widget_run_into_a_paragraph_is_cut() -> None:
    line = "Published on: Mon, Jun 2, 2025 By: Jane Roe Text Size: " + P1
    kept, repairs = _repair(line, P2)
    assert kept == [P1, P2]
    assert repairs == [
        Repair(
            "drop_furniture_text",
            10,
            repr("Published on: Mon, Jun 2, 2025 By: Jane Roe Text Size: "),
        )
    ]


def test_an_inline_advertisement_marker_is_cut_but_the_word_is_not() -> None:
    kept, repairs = _repair(f"{P1} Advertisement {P2}", "Advertisement revenue fell last year.")
    assert kept == [f"{P1} {P2}", "Advertisement revenue fell last year."]
    assert [(r.kind, r.line) for r in repairs] == [("drop_furniture_text", 10)]


def test_starred_prompts_after_a_paragraph_are_cut() -> None:
    line = (
        f"{P1} * Follow us on our official Signal channel for alerts and key updates! "
        "* Do you have access to the Harbour Herald e-paper? Check out our plans."
    )
    kept, repairs = _repair(line)
    assert kept == [P1]
    assert len(_furniture(repairs)) == 1


def test_arabic_furniture_is_dropped_and_arabic_prose_kept() -> None:
    prose = "قال مدير الميناء إن العبارات الليلية ستبدأ في شهر يونيو المقبل."
    more = "وأضاف أن أسعار التذاكر لن تتغير خلال الصيف."
    kept, repairs = _repair(
        prose,
        "إعلان",
        "تابعونا على تيليجرام لآخر الأخبار",
        more,
        "اقرأ أيضا",
        "افتتاح رصيف جديد في الميناء القديم",
        "مهرجان البحر يعود هذا العام",
    )
    assert kept == [prose, more]
    assert [r.line for r in _furniture(repairs)] == [11, 12, 14, 15, 16]


@pytest.mark.parametrize(
    "texts",
    [
        # short sentences are prose
        (P1, "Both ferries were full.", "It was late.", "Nobody minded.", "They sang.", P2),
        # a heading between paragraphs
        (P1, "A new timetable", P2, "What changes", P3),
        # a dateline and a short list that is not a run
        ("10 Jun 2025 08:30pm", P1, "Monday to Friday", "Saturday", "Sunday", P2),
        # a text cut inside its last sentence
        (P1, P2, "The operator said the first crossing would leave at"),
        # a caption-like line between prose stays: only furniture makes context
        (P1, "The night ferry at the quay", P2),
    ],
)
def test_prose_and_its_headings_are_kept(texts: tuple[str, ...]) -> None:
    kept, repairs = _repair(*texts)
    assert _furniture(repairs) == []
    assert len(kept) == len(texts)


def test_keep_furniture_leaves_the_text_as_shown() -> None:
    lines = [Traced.of(no, text) for no, text in _lines(P1, "Credit: Harbour Agency", *PLAYER_MENU)]
    done = repair_main(lines, keep_furniture=True)
    assert [t for _, t in done.lines] == [P1, "Credit: Harbour Agency", *PLAYER_MENU]
    assert done.repairs == []


def test_every_removed_line_is_accounted_for() -> None:
    texts = (P1, *PLAYER_MENU[:6], P2, "You May Like", "A rail link", P3, "Credit: AP")
    kept, repairs = _repair(*texts)
    removed = {r.line for r in _furniture(repairs)}
    assert len(kept) + len(removed) == len(texts)
    assert kept == [P1, P2, P3]


# --- the data ------------------------------------------------------------------------------


def _data_files() -> list[str]:
    folder = resources.files("builder.parse").joinpath("data")
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("furniture."))


def test_english_and_arabic_data_ship_with_the_package() -> None:
    assert {"furniture.en.toml", "furniture.ar.toml"} <= set(_data_files())
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["builder.parse"]
    assert "data/*.toml" in globs


@pytest.mark.parametrize("name", ["furniture.en.toml", "furniture.ar.toml"])
def test_a_data_file_has_every_key_and_its_language(name: str) -> None:
    text = resources.files("builder.parse").joinpath("data", name).read_text("utf-8")
    entry = tomllib.loads(text)
    assert entry["language"] == name.split(".")[1]
    assert set(entry) == {"language", "lines", "patterns", "rails", "inline", "stop_words"}
    assert len(entry["stop_words"].split()) >= 40
    assert all(
        isinstance(x, str) and x.strip() for k in ("lines", "patterns", "rails") for x in entry[k]
    )


def test_furniture_kinds_are_in_the_contract() -> None:
    schema = json.loads((ROOT / "schema" / "articles.schema.json").read_text("utf-8"))
    repair = schema["properties"]["provenance"]["properties"]["repairs"]["items"]
    assert {"drop_furniture_line", "drop_furniture_text"} <= set(
        repair["properties"]["kind"]["enum"]
    )


def test_classify_treats_markers_as_furniture_context() -> None:
    furniture = load_furniture()
    why = furniture.classify([P1, Marker(rail=False), "A caption of a photo", Marker(rail=False)])
    assert why == [None, "phrase", "between furniture", "phrase"]
    assert furniture.classify(["Font Size"] * (MIN_RUN - 1)) == [None] * (MIN_RUN - 1)


# --- the measure ---------------------------------------------------------------------------


def test_the_probe_sees_runs_and_phrases() -> None:
    assert longest_short_run("\n".join([P1, *PLAYER_MENU, P2])) == len(PLAYER_MENU)
    assert not is_short_non_prose("It was late.")
    figures = measure({"a": "\n".join([P1, "Credit: AP"]), "b": P1, "c": ""})
    assert (figures.texts, figures.with_phrase, figures.with_run) == (2, ["a"], [])


def _main_texts(paths: list[Path], keep_furniture: bool) -> dict[str, str]:
    texts = {}
    for path in paths:
        raw = RawDump(path.name, path.read_bytes(), CAPTURED, "option")
        for s in extract(raw, keep_furniture=keep_furniture).sightings:
            if s.role == "main":
                texts[path.name] = s.text or ""
    return texts


def test_no_kept_main_text_on_the_dev_corpus_carries_furniture(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = sorted((shared_dir / "corpus" / "daily8-dev").glob("*.txt"))
    paths += sorted((shared_dir / "seeds").glob("*.txt"))
    assert paths
    shown = measure(_main_texts(paths, keep_furniture=True))
    kept = measure(_main_texts(paths, keep_furniture=False))
    with capsys.disabled():  # the figures belong in the test output, -s or not
        print()
        print(shown.line("dev corpus, furniture kept  "))
        print(kept.line("dev corpus, furniture dropped"))
    # the corpus does carry furniture: the measure is not vacuous
    assert shown.with_run and shown.with_phrase
    assert kept.with_run == [], kept.with_run
    assert kept.hits == [], kept.hits
