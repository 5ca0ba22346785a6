"""A corpus that grows day by day, as a news aggregator's captures do.

Each day publishes new main articles (one article page each, captured that day: the
file's modification time is the capture time). The related-article cards of a page
mostly show articles of the last few days, as real rails do, and now and then an old
evergreen article. Pages are rendered by `corpus.py`'s page writer, so they follow the
same layouts; everything is drawn from one seeded random generator, so the same
arguments give the same files.

Usage::

    python benchmarks/daily_corpus.py OUT_DIR --days 30 --per-day 40 --seed 0
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import (  # noqa: E402
    PUBLISHERS,
    _Article,
    _article_page,
    _body,
    _sentence_bank,
    _teaser_from_body,
    _Titles,
)

#: The first day's captures (noon UTC).
START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Settings:
    per_day: int = 40
    recent_days: int = 3  # cards come from this many past days (and today)
    evergreen_share: float = 0.05  # of cards: an old evergreen article instead
    evergreens: int = 12  # articles of the first days that stay evergreen (two a day)
    mean_size: int = 3000
    seed: int = 0


class DailyCorpus:
    """Writes one day of pages at a time into `out/day-NN/`; the state (every
    article published so far) lives in memory, so days are written in order."""

    def __init__(self, out: Path, settings: Settings) -> None:
        self.out = Path(out)
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.bank = _sentence_bank(self.rng, 3000)
        self.titles = _Titles(self.rng)
        self.days: list[list[_Article]] = []
        self.evergreen: list[_Article] = []

    def _new_main(self) -> _Article:
        rng = self.rng
        art = _Article(self.titles.new(), rng.choice(PUBLISHERS))
        art.body = _body(rng, self.bank, 300)
        art.teaser = _teaser_from_body(art.body, rng.randint(120, 300))
        return art

    def _cards(self, today: list[_Article], main: _Article) -> list[_Article]:
        rng, s = self.rng, self.settings
        recent = [a for day in self.days[-s.recent_days :] for a in day] + today
        chosen: list[_Article] = []
        for _ in range(rng.randint(3, 6)):
            if self.evergreen and rng.random() < s.evergreen_share:
                pick = rng.choice(self.evergreen)
            elif recent:
                pick = rng.choice(recent)
            else:
                continue
            if pick is not main and pick not in chosen:
                chosen.append(pick)
        return chosen

    def write_day(self) -> Path:
        """The next day's pages; returns their folder."""
        rng, s = self.rng, self.settings
        index = len(self.days)
        folder = self.out / f"day-{index + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        today: list[_Article] = []
        for i in range(s.per_day):
            main = self._new_main()
            cards = self._cards(today, main)
            layout = "logo" if rng.random() < 0.5 else "plain"
            target = int(s.mean_size * rng.uniform(0.6, 1.4))
            text, _ = _article_page(rng, self.bank, layout, main, cards, target)
            path = folder / f"{i:04d}.txt"
            path.write_bytes(text.encode("utf-8"))
            moment = (START + timedelta(days=index, seconds=60 * i)).timestamp()
            os.utime(path, (moment, moment))
            today.append(main)
        self.days.append(today)
        if len(self.evergreen) < s.evergreens:  # two a day: spread over the first days
            self.evergreen += today[: min(2, s.evergreens - len(self.evergreen))]
        return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    corpus = DailyCorpus(args.out, Settings(per_day=args.per_day, seed=args.seed))
    for _ in range(args.days):
        corpus.write_day()


if __name__ == "__main__":
    main()
