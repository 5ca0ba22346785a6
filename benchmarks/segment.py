"""CPU time of the per-dump `segment` step alone, and a digest of what it produced.

The first `--n` dumps (sorted by name) of the given folders are read and decoded first
(untimed); then `builder.parse.layouts.segment.segment` is run over every decoded text,
`--loops` times per run and `--repeat` runs, and the least CPU time of a run
(`time.process_time`: other processes on a busy machine cost it little) is printed per
dump. `--digest` prints a sha256 over `repr()` of every returned Page or Rejected (a
page's layout by its name), so two versions of the code can be shown to give the same
output; `--profile` prints the top of a cProfile of one run.

    python benchmarks/segment.py CORPUS_DIR [CORPUS_DIR...] --n 20000 [--repeat 3]
        [--loops 1] [--variants 0] [--digest] [--profile]

A handful of pages (a dev corpus of tens of dumps) needs `--loops 50` or so to give a
run long enough to time.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import random
import time
from dataclasses import replace
from pathlib import Path

from builder.inputs.decode import Decoded, decode
from builder.parse.layouts.registry import load_layouts
from builder.parse.layouts.segment import Page, Rejected, segment


def _texts(folders: list[Path], n: int) -> list[str]:
    """The decoded texts of the first `n` *.txt dumps of the folders (each sorted)."""
    paths = [p for folder in folders for p in sorted(folder.glob("*.txt"))][:n]
    texts = []
    for path in paths:
        decoded = decode(path.read_bytes())
        if isinstance(decoded, Decoded):
            texts.append(decoded.text)
    return texts


def _variants(texts: list[str], k: int) -> list[str]:
    """Each text, then `k` cut copies of it (at random offsets: a dump cut anywhere) and
    `k` edited ones (a random line dropped, doubled, blanked or its start cut off): the
    odd texts a digest should cover besides whole pages. Seeded: the same every run."""
    out = []
    for i, text in enumerate(texts):
        rng = random.Random(i)
        out.append(text)
        out.extend(text[: rng.randrange(len(text) + 1)] for _ in range(k))
        for _ in range(k):
            lines = text.split("\n")
            j = rng.randrange(len(lines))
            edit = rng.choice(("drop", "double", "blank", "cut"))
            if edit == "drop":
                del lines[j]
            elif edit == "double":
                lines.insert(j, lines[j])
            elif edit == "blank":
                lines[j] = " " * rng.randrange(3)
            else:
                lines[j] = lines[j][rng.randrange(len(lines[j]) + 1) :]
            out.append("\n".join(lines))
    return out


def _segment(texts: list[str], loops: int) -> None:
    """Each text segmented and its result dropped, as a build drops a page once it is
    repaired (keeping them all would time the garbage collector walking them)."""
    for _ in range(loops):
        for text in texts:
            segment(text)


def _repr(result: Page | Rejected) -> str:
    """`repr(result)` with a page's layout given by its name: a Layout's repr shows its
    frozensets in an order that changes with every interpreter (string hashing is
    salted), and its compiled patterns, which are not output."""
    if isinstance(result, Rejected):
        return repr(result)
    return repr(replace(result, layout=result.layout_name))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="+", help="folders of *.txt dumps")
    parser.add_argument("--n", type=int, default=20_000, help="dumps to use (the first)")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the least CPU time counts")
    parser.add_argument("--loops", type=int, default=1, help="passes over the texts per run")
    parser.add_argument(
        "--variants", type=int, default=0, help="also K cut and K edited copies of each dump"
    )
    parser.add_argument("--digest", action="store_true", help="print a sha256 of the output")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    args = parser.parse_args()
    texts = _variants(_texts(args.corpus, args.n), args.variants)
    load_layouts()  # compile the layout data outside the clock
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        _segment(texts, args.loops)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    times = []
    for _ in range(args.repeat):
        started = time.process_time()
        _segment(texts, args.loops)
        times.append(time.process_time() - started)
    best = min(times) / args.loops
    runs = ", ".join(f"{t / args.loops:.3f}" for t in times)
    per_dump = best / len(texts) * 1e6
    print(f"{len(texts)} texts: segment CPU s per pass {runs}; best {per_dump:.1f} us/dump")
    if args.digest:
        results = [segment(text) for text in texts]
        pages = sum(isinstance(r, Page) for r in results)
        digest = hashlib.sha256()
        for result in results:
            digest.update(_repr(result).encode("utf-8", "surrogatepass"))
        print(f"digest of {len(results)} results ({pages} pages): {digest.hexdigest()}")


if __name__ == "__main__":
    main()
