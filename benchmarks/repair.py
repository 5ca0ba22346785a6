"""CPU time of the per-dump `repair` stage alone, and a digest of what it produced.

Dumps are read, decoded and segmented first (untimed); then everything the `repair`
stage of `builder.parse.extract` does (byte offsets, text repairs, furniture, times,
language, the sightings) is run over all of them, `--repeat` times (each starting with
nothing remembered from the last), and the least CPU time (`time.process_time`: other
processes on a busy machine cost it little) is printed per dump. `--digest` prints a
sha256 of every sighting, so two versions of the code can be shown to give the same
output; `--profile` prints the top of a cProfile.

    python benchmarks/repair.py CORPUS_DIR --n 2000 [--repeat 3] [--digest] [--profile]
        [--no-language]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import time
from datetime import UTC, datetime
from pathlib import Path

from builder.inputs.decode import Decoded, decode
from builder.parse import extract as ex
from builder.parse import repair as repair_module
from builder.parse import times as times_module
from builder.parse.layouts.segment import Page, segment
from builder.parse.spans import ByteOffsets
from builder.records import Dump, RawDump, Sighting

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _prepared(corpus: Path, n: int) -> list[tuple[Dump, Page, bytes, Decoded]]:
    """The first `n` dumps that parse: each one's `dumps` row (from `extract`, so that it
    has whatever fields this version's row has), page and decoded text."""
    out = []
    for path in sorted(corpus.glob("*.txt"))[:n]:
        data = path.read_bytes()
        dump = ex.extract(RawDump(path.name, data, WHEN, "option")).dump
        decoded = decode(data)
        if dump.status != "parsed" or not isinstance(decoded, Decoded):
            continue
        page = segment(decoded.text)
        if isinstance(page, Page):
            out.append((dump, page, data, decoded))
    return out


def _no_language(title: str, text: str | None) -> str | None:
    """Language detection left out, to time the rest of the stage (fastText is compiled
    code of its own, timed by `benchmarks/language.py`)."""
    return None


def _forget() -> None:
    """Empty what the stage remembers between dumps (the teasers it fixed, the time texts
    it read), so that each run starts as a fresh worker does rather than finding the
    last run's answers."""
    repair_module._fixed_teaser.cache_clear()
    ex._card_text.cache_clear()
    times_module._READ.clear()
    times_module._last_capture.clear()


def _repair(prepared: list[tuple[Dump, Page, bytes, Decoded]]) -> list[tuple[Sighting, ...]]:
    """What `extract` times as `repair`, for every prepared dump."""
    results = []
    for dump, page, data, decoded in prepared:
        offsets = ByteOffsets(data, decoded)
        results.append(
            tuple(ex._sighting(dump, i, b, page, offsets) for i, b in enumerate(page.blocks))
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a folder of *.txt dumps")
    parser.add_argument("--n", type=int, default=2000, help="dumps to use (the first, sorted)")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the least CPU time counts")
    parser.add_argument("--digest", action="store_true", help="print a sha256 of the output")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    parser.add_argument(
        "--no-language",
        action="store_true",
        help="leave language detection out (every language None; the digest changes)",
    )
    args = parser.parse_args()
    if args.no_language:
        ex.detect = _no_language
    prepared = _prepared(args.corpus, args.n)
    _repair(prepared[:10])  # load the language model and furniture data outside the clock
    if args.profile:
        _forget()
        profile = cProfile.Profile()
        profile.enable()
        _repair(prepared)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    times = []
    results: list[tuple[Sighting, ...]] = []
    for _ in range(args.repeat):
        _forget()
        started = time.process_time()
        results = _repair(prepared)
        times.append(time.process_time() - started)
    best = min(times)
    runs = ", ".join(f"{t:.2f}" for t in times)
    per_dump = best / len(prepared) * 1e3
    print(f"{len(prepared)} dumps: repair CPU s {runs}; best {per_dump:.3f} ms/dump")
    if args.digest:
        digest = hashlib.sha256()
        for sightings in results:
            for s in sightings:
                digest.update(repr(s).encode("utf-8", "surrogatepass"))
        count = sum(map(len, results))
        print(f"digest of {count} sightings: {digest.hexdigest()}")


if __name__ == "__main__":
    main()
