"""What counts as furniture left in a kept text, measured independently of the parser.

The probes are written from issue descriptions of furniture, not from the parser's data
files, so the measure does not grade the classifier with its own answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_RUN = 4
_ENDS_SENTENCE = re.compile(r"[.!?…؟][\"'’”)\]»]*$")

PROBES: dict[str, re.Pattern[str]] = {
    "you may like rail": re.compile(r"(?im)^\s*you may (?:also )?like\s*$"),
    "newsletter prompt": re.compile(r"(?i)sign up now:? get .{0,80}newsletter"),
    "follow prompt": re.compile(r"(?i)follow us on .{0,80}channel"),
    "read more rail": re.compile(r"(?im)^\s*read more\b(?:[^.\n]{0,60})$"),
    "photo credit": re.compile(r"(?im)^\s*credit: [^.\n]{1,60}$"),
    "published on widget": re.compile(r"(?i)published on: |text size:"),
    "advertisement marker": re.compile(r"\b(?:Advertisement|ADVERTISEMENT)\b(?! (?:[a-z]))"),
}


def is_short_non_prose(line: str) -> bool:
    return len(line.split()) <= 4 and not _ENDS_SENTENCE.search(line.strip())


def longest_short_run(text: str) -> int:
    """The longest run of consecutive short lines that do not end a sentence."""
    best = run = 0
    for line in text.split("\n"):
        if not line.strip():
            continue
        run = run + 1 if is_short_non_prose(line) else 0
        best = max(best, run)
    return best


@dataclass(frozen=True)
class Figures:
    texts: int
    with_run: list[str]
    with_phrase: list[str]
    hits: list[str]  # "name: probe" for every probe that matched

    def line(self, label: str) -> str:
        def share(names: list[str]) -> str:
            return f"{len(names)}/{self.texts} ({len(names) / max(1, self.texts):.1%})"

        return (
            f"{label}: run of {MIN_RUN}+ short non-prose lines in {share(self.with_run)}, "
            f"furniture phrases in {share(self.with_phrase)}"
        )


def measure(texts: dict[str, str]) -> Figures:
    """Which kept main texts (name -> text; empty texts are not counted) carry furniture."""
    texts = {name: text for name, text in texts.items() if text.strip()}
    with_run = [name for name, text in texts.items() if longest_short_run(text) >= MIN_RUN]
    hits = [
        f"{name}: {probe}"
        for name, text in texts.items()
        for probe, pattern in PROBES.items()
        if pattern.search(text)
    ]
    with_phrase = sorted({hit.split(":")[0] for hit in hits})
    return Figures(len(texts), with_run, with_phrase, hits)
