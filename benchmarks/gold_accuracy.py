"""How well the per-dump stage matches hand-checked gold answers: article F1 and field accuracy.

Reads every `NAME.txt` of a corpus folder with its gold answer `gold/NAME.json` (or
`NAME.gold.json` beside it) and compares what `extract` finds:

- article F1: an extracted article is a true positive when the gold answer of its dump
  has an article with the same role and title (each gold article counts once);
- field accuracy: over true positives, the share of the fields source, time text,
  category and start of text (compared with `canonical`) that equal the gold answer;
- dumps quarantined, and dumps whose page kind or layout differs.

Usage::

    .venv/bin/python benchmarks/gold_accuracy.py CORPUS_DIR [CORPUS_DIR ...]
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from builder.parse.extract import extract
from builder.parse.repair import canonical
from builder.records import RawDump

CAPTURED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
FIELDS = ("source", "time_text", "category", "text_start")


def _gold_for(path: Path) -> Path | None:
    for candidate in (path.parent / "gold" / f"{path.stem}.json", path.with_suffix(".gold.json")):
        if candidate.is_file():
            return candidate
    return None


def score(folders: list[Path]) -> dict[str, float | int]:
    tp = found = wanted = fields_ok = fields_all = dumps = quarantined = shape_wrong = 0
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            gold_path = _gold_for(path)
            if gold_path is None:
                continue
            gold = json.loads(gold_path.read_text("utf-8"))
            result = extract(RawDump(path.name, path.read_bytes(), CAPTURED, "option"))
            dumps += 1
            wanted += len(gold["articles"])
            if result.dump.status != "parsed":
                quarantined += 1
                continue
            layout = (result.dump.layout or "").rsplit("-", 1)[-1]
            if result.dump.page_kind != gold["page_type"] or layout != gold["layout"]:
                shape_wrong += 1
            found += len(result.sightings)
            unmatched = list(gold["articles"])
            for s in result.sightings:
                match = next(
                    (a for a in unmatched if (a["role"], a["title"]) == (s.role, s.title)), None
                )
                if match is None:
                    continue
                unmatched.remove(match)
                tp += 1
                got = {"source": s.source, "time_text": s.published_text, "category": s.category}
                for name in FIELDS[:3]:
                    fields_ok += got[name] == match[name]
                if match["text_start"] is None:
                    fields_ok += not s.text
                else:
                    fields_ok += canonical(s.text or "").startswith(canonical(match["text_start"]))
                fields_all += len(FIELDS)
    precision = tp / found if found else 0.0
    recall = tp / wanted if wanted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "dumps": dumps,
        "quarantined": quarantined,
        "kind_or_layout_wrong": shape_wrong,
        "articles_gold": wanted,
        "articles_found": found,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "field_accuracy": round(fields_ok / fields_all, 4) if fields_all else 0.0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args(argv)
    print(json.dumps(score(args.folders), indent=1))


if __name__ == "__main__":
    main()
