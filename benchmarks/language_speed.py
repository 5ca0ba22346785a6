"""builder's compiled lid.176 reader against fasttext-predict: seconds on the same
lines, their ratio, and whether every answer (labels and probabilities) is the same.

Each line is asked as `detect` asks it: the first label, then all of them when the
first has no ISO 639-1 code. Lines: what `detect` gives the model for every article of
the given folders of dumps (title and text, and the title alone), or a JSON list of
lines (`--lines`). The two readers run interleaved round by round in one process, best
round kept: the machine is shared, read the ratio.

Usage::

    .venv/bin/python benchmarks/language_speed.py FOLDER [FOLDER ...] [--rounds 5]
    .venv/bin/python benchmarks/language_speed.py --lines lines.json
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

from builder.parse import _lid
from builder.parse.extract import extract
from builder.parse.language import Model, fasttext_predict, iso639_1, model_line, model_path
from builder.records import RawDump


def lines_of_dumps(folders: list[Path]) -> list[str]:
    when = datetime(2025, 7, 1, tzinfo=UTC)
    lines = []
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            for s in extract(RawDump(path.name, path.read_bytes(), when, "option")).sightings:
                for text in (s.text, None):
                    line = model_line(s.title, text)
                    if line is not None:
                        lines.append(line)
    return lines


def ask(model: Model, lines: list[str]) -> list[list[tuple[str, float]]]:
    """Every answer, asked as `language.first_code` asks."""
    answers = []
    for line in lines:
        answer = model.predict(line, 1)
        if all(iso639_1(label) is None for label, _ in answer):
            answer = model.predict(line, -1)
        answers.append(answer)
    return answers


def best_seconds(models: dict[str, Model], lines: list[str], rounds: int) -> dict[str, float]:
    best = dict.fromkeys(models, float("inf"))
    for _ in range(rounds):
        for name, model in models.items():
            start = perf_counter()
            ask(model, lines)
            best[name] = min(best[name], perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, help="folders of dumps")
    parser.add_argument("--lines", type=Path, help="a JSON list of lines instead")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    lines = json.loads(args.lines.read_text()) if args.lines else lines_of_dumps(args.folders)
    if not lines:
        parser.error("no lines: give folders of dumps or --lines")
    models: dict[str, Model] = {
        "fasttext-predict": fasttext_predict(),
        "builder _lid": _lid.load(model_path()),
    }
    same = sum(a == b for a, b in zip(*(ask(m, lines) for m in models.values()), strict=True))
    seconds = best_seconds(models, lines, args.rounds)
    print(f"{len(lines):,} lines, {sum(map(len, lines)) / len(lines):.0f} characters each")
    for name, s in seconds.items():
        print(f"  {name:<17} {s:7.3f} s  {s / len(lines) * 1e6:6.1f} us a line")
    ratio = seconds["fasttext-predict"] / seconds["builder _lid"]
    print(f"  ratio {ratio:.2f}x; the same labels and probabilities: {same:,} of {len(lines):,}")


if __name__ == "__main__":
    main()
