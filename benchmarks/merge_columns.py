"""Merge and table building, before and after issue 14: the same parsed corpus through
the old path (pickled Python rows, `merge.merge_part`, `contract.tables.to_tables`) and
the columnar one the engines run now (Arrow frames, `merge.merge_columns`, Arrow sort and
cast), in one process, alternating, with CPU time beside wall time. Parsing is done once
and not counted. Both paths must give the same tables; the script checks it.

Usage::

    python benchmarks/merge_columns.py CORPUS_DIR [--repeat 3]
"""

from __future__ import annotations

import argparse
import pickle
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from builder.contract.tables import dump_row, to_arrow, to_tables
from builder.engines import partitioned
from builder.inputs.read import iter_dumps
from builder.inputs.walk import find_inputs
from builder.merge import known_publishers, merge_part, sightings_frame
from builder.records import Article, Dump, DumpResult, Merged, Sighting

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)
Routed = dict[int, list[tuple[Dump, list[Sighting]]]]


def _by_title(results: Sequence[DumpResult], n: int) -> Routed:
    routed: Routed = {}
    for result in results:
        parts: dict[int, list[Sighting]] = {}
        for s in result.sightings:
            parts.setdefault(partitioned.title_partition(s.title, n), []).append(s)
        for part, group in parts.items():
            routed.setdefault(part, []).append((result.dump, group))
    return routed


def old_path(results: Sequence[DumpResult], n: int, known: frozenset[str]) -> list[pa.Table]:
    """What the engines did before: pickles between the steps, rows as Python objects."""
    titles = {p: pickle.dumps(v, pickle.HIGHEST_PROTOCOL) for p, v in _by_title(results, n).items()}
    dumps: dict[int, list[Dump]] = {}
    for result in results:
        dumps.setdefault(partitioned.id_range(result.dump.dump_id, n), []).append(result.dump)
    articles: dict[int, list[bytes]] = {}
    placed: dict[int, list[bytes]] = {}
    for payload in titles.values():
        seen: dict[str, Dump] = {}
        sightings: list[Sighting] = []
        for dump, group in pickle.loads(payload):
            seen[dump.dump_id] = dump
            sightings.extend(group)
        merged, pairs = merge_part(sightings, seen, known)
        by_article: dict[int, list[Article]] = {}
        for a in merged:
            by_article.setdefault(partitioned.id_range(a.article_id, n), []).append(a)
        by_dump: dict[int, list[tuple[str, Sighting]]] = {}
        for pair in pairs:
            by_dump.setdefault(partitioned.id_range(pair[1].dump_id, n), []).append(pair)
        for rng, mine in by_article.items():
            articles.setdefault(rng, []).append(pickle.dumps(mine, pickle.HIGHEST_PROTOCOL))
        for rng, theirs in by_dump.items():
            placed.setdefault(rng, []).append(pickle.dumps(theirs, pickle.HIGHEST_PROTOCOL))
    out = []
    for rng in range(n):
        rows = [a for payload in articles.get(rng, []) for a in pickle.loads(payload)]
        pairs = [p for payload in placed.get(rng, []) for p in pickle.loads(payload)]
        tables = to_tables(
            Merged(
                sorted(rows, key=lambda a: a.article_id),
                sorted(pairs, key=lambda p: (p[1].dump_id, p[1].position)),
                sorted(dumps.get(rng, []), key=lambda d: d.dump_id),
            )
        )
        out += [tables["articles"], tables["sightings"], tables["dumps"]]
    return out


def new_path(results: Sequence[DumpResult], n: int, known: frozenset[str]) -> list[pa.Table]:
    """The engines' steps 1 (after parsing), 2 and 3 as they run now."""
    titles = {
        p: partitioned.ipc_bytes(sightings_frame(v)) for p, v in _by_title(results, n).items()
    }
    dumps: dict[int, list[Dump]] = {}
    for result in results:
        dumps.setdefault(partitioned.id_range(result.dump.dump_id, n), []).append(result.dump)
    dump_payloads = {
        r: partitioned.ipc_bytes(to_arrow("dumps", map(dump_row, v))) for r, v in dumps.items()
    }
    articles: dict[int, list[bytes]] = {}
    placed: dict[int, list[bytes]] = {}
    for payload in titles.values():
        merged = partitioned.merge_partition([payload], known, n)
        for rng, piece in merged.articles.items():
            articles.setdefault(rng, []).append(piece)
        for rng, piece in merged.placed.items():
            placed.setdefault(rng, []).append(piece)
    out = []
    for rng in range(n):
        own = [dump_payloads[rng]] if rng in dump_payloads else []
        finished = partitioned.finish_range(own, articles.get(rng, []), placed.get(rng, []))
        out += [
            partitioned.read_ipc(finished.tables[name])
            for name in ("articles", "sightings", "dumps")
        ]
    return out


def timed(step: Callable[[], list[pa.Table]]) -> tuple[float, float, list[pa.Table]]:
    wall, cpu = time.perf_counter(), time.process_time()
    tables = step()
    return time.perf_counter() - wall, time.process_time() - cpu, tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = find_inputs([str(args.corpus)])
    results = [partitioned.per_dump(raw) for raw in iter_dumps(files, captured_at=WHEN)]
    n = partitioned.partitions_for(sum(partitioned.input_size(f) for f in files))
    known = frozenset(known_publishers(s for r in results for s in r.sightings))
    sightings = sum(len(r.sightings) for r in results)
    print(f"{len(results)} dumps, {sightings} sightings, {n} partitions")
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):
        runs = {}
        for name, path in (("old", old_path), ("new", new_path)):
            wall, cpu, tables = timed(lambda path=path: path(results, n, known))  # type: ignore[misc]
            runs[name] = tables
            print(f"  {name}: {wall:.2f} s wall, {cpu:.2f} s CPU")
            previous = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(previous[0], wall), min(previous[1], cpu))
        assert all(a.equals(b) for a, b in zip(runs["old"], runs["new"], strict=True)), "differ"
    (old_wall, old_cpu), (new_wall, new_cpu) = best["old"], best["new"]
    print(
        f"min of {args.repeat}: old {old_wall:.2f} s wall / {old_cpu:.2f} s CPU, "
        f"new {new_wall:.2f} s wall / {new_cpu:.2f} s CPU; "
        f"{old_cpu / new_cpu:.1f}x less CPU; tables equal"
    )


if __name__ == "__main__":
    main()
