"""How long `builder validate` takes on a release of N article rows (default 1,000,000).

The tables are synthesised directly with pyarrow (no parsing), consistent across tables
(every reference resolves, every count adds up), and published with publish_release, so
the release is exactly what `make` would write. Usage:

    .venv/bin/python benchmarks/validate_bench.py [--articles N] [--keep DIR]

Target (issue 3): under 60 s for 1,000,000 articles on a 2-core machine.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from builder import PARSER_VERSION, __version__, contract
from builder.release.publish import publish_release
from builder.release.validate import validate_release

PER_DUMP = 10  # sightings per parsed dump: one article page in two, with its main story
QUARANTINED = 25


def _hex16(prefix: str, values: np.ndarray) -> pa.Array:
    return pa.array([f"{prefix}{int(v):016x}" for v in values], pa.string())


def _sha(values: np.ndarray, salt: str) -> pa.Array:
    return pa.array(
        [hashlib.sha256(f"{salt}{int(v)}".encode()).hexdigest() for v in values], pa.string()
    )


def _col(table: str, name: str) -> pa.DataType:
    return contract.arrow_schema(table).field(name).type


def synthesise(n_articles: int) -> tuple[dict[str, pa.Table], list[dict[str, object]]]:
    """articles, sightings, dumps and the manifest inputs of one consistent release."""
    n_parsed = -(-n_articles // PER_DUMP)
    article = np.arange(n_articles)
    dump_of = article // PER_DUMP
    position = (article % PER_DUMP).astype(np.int32)
    article_page = dump_of % 2 == 0
    is_main = article_page & (position == 0)
    role = pa.array(np.where(is_main, "main", "related"))
    captured = pa.array(
        np.datetime64("2025-07-01T00:00:00", "us") + dump_of.astype("timedelta64[s]"),
    ).cast(pa.timestamp("us", tz="UTC"))

    dump_ids = _hex16("d_", np.arange(n_parsed + QUARANTINED))
    dump_sha = _sha(np.arange(n_parsed + QUARANTINED), "dump")
    paths = pa.array([f"pages/{i:08d}.txt" for i in range(n_parsed + QUARANTINED)])
    article_ids = _hex16("a_", article * 7919 + 13)
    titles = pa.array([f"Headline number {i} about something" for i in range(n_articles)])
    text = pa.array([f"Body of article {i}. " * 8 for i in range(n_articles)])
    sighting_dump = pc.take(dump_ids, pa.array(dump_of))
    sighting_ids = pc.binary_join_element_wise(
        sighting_dump, pa.array([f"{p:04d}" for p in position]), "-"
    )
    line_start = pa.array(1 + position * 5, pa.int32())
    line_end = pa.array(4 + position * 5, pa.int32())
    null_ts = pa.nulls(n_articles, pa.timestamp("us", tz="UTC"))
    null_str = pa.nulls(n_articles, pa.string())

    sightings = pa.table(
        {
            "sighting_id": sighting_ids,
            "article_id": article_ids,
            "dump_id": sighting_dump,
            "position": pa.array(position, pa.int32()),
            "role": role,
            "title": titles,
            "source": pa.array(["Daily Ledger"] * n_articles),
            "category": null_str,
            "published_text": null_str,
            "published_at": null_ts,
            "published_at_uncertainty_s": pa.nulls(n_articles, pa.int64()),
            "has_text": pa.array(np.ones(n_articles, bool)),
            "line_start": line_start,
            "line_end": line_end,
        },
        schema=contract.arrow_schema("sightings"),
    )
    repairs_type = _col("articles", "provenance").field("repairs").type
    provenance = pa.StructArray.from_arrays(
        [
            sighting_dump,
            pc.take(paths, pa.array(dump_of)),
            pc.take(dump_sha, pa.array(dump_of)),
            pa.array(position, pa.int32()),
            line_start,
            line_end,
            pa.array(np.full(n_articles, 10), pa.int64()),
            pa.array(np.full(n_articles, 200), pa.int64()),
            captured,
            pa.array(["option"] * n_articles),
            pa.array(["daily8-en-logo"] * n_articles),
            pa.array([PARSER_VERSION] * n_articles),
            pa.array([__version__] * n_articles),
            pa.array([[]] * n_articles, repairs_type),
        ],
        fields=list(_col("articles", "provenance")),
    )
    articles = pa.table(
        {
            "article_id": article_ids,
            "role": role,
            "title": titles,
            "text": text,
            "text_is_teaser": pa.array(~is_main),
            "source": pa.array(["Daily Ledger"] * n_articles),
            "category": null_str,
            "published_text": null_str,
            "published_at": null_ts,
            "published_at_uncertainty_s": pa.nulls(n_articles, pa.int64()),
            "language": pa.array(["en"] * n_articles),
            "url": null_str,
            "first_seen_at": captured,
            "provenance": provenance,
        },
        schema=contract.arrow_schema("articles"),
    ).sort_by("article_id")
    sightings = sightings.sort_by("sighting_id")

    n_dumps = n_parsed + QUARANTINED
    parsed = np.arange(n_dumps) < n_parsed
    counts = np.bincount(dump_of, minlength=n_dumps).astype(np.int32)
    dumps = pa.table(
        {
            "dump_id": dump_ids,
            "path": paths,
            "url": pa.nulls(n_dumps, pa.string()),
            "sha256": dump_sha,
            "size_bytes": pa.array(np.full(n_dumps, 4096), pa.int64()),
            "captured_at": pa.array(
                [datetime(2025, 7, 1, tzinfo=UTC)] * n_dumps, pa.timestamp("us", tz="UTC")
            ),
            "captured_at_source": pa.array(["option"] * n_dumps),
            "page_kind": pa.array(
                np.where(parsed, np.where(np.arange(n_dumps) % 2 == 0, "article", "listing"), None)
            ),
            "layout": pa.array(np.where(parsed, "daily8-en-logo", None)),
            "status": pa.array(np.where(parsed, "parsed", "quarantined")),
            "reason": pa.array(np.where(parsed, None, "no known layout")),
            "n_sightings": pa.array(counts, pa.int32()),
            "truncated": pa.array(np.zeros(n_dumps, bool)),
            "encoding": pa.array(["utf-8"] * n_dumps),
            "replaced_bytes": pa.array(np.zeros(n_dumps, np.int32)),
        },
        schema=contract.arrow_schema("dumps"),
    ).sort_by("dump_id")
    inputs: list[dict[str, object]] = [
        {"path": p, "sha256": s, "size_bytes": 4096}
        for p, s in zip(paths.to_pylist(), dump_sha.to_pylist(), strict=True)
    ]
    return {"articles": articles, "sightings": sightings, "dumps": dumps}, inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="publish here and keep it")
    args = parser.parse_args()
    target = args.keep or Path(tempfile.mkdtemp(prefix="validate-bench-")) / "ds"
    started = time.perf_counter()
    tables, inputs = synthesise(args.articles)
    made = time.perf_counter()
    release = publish_release(target, tables, version="1.0.0", settings={}, inputs=inputs)
    published = time.perf_counter()
    report = validate_release(release.path)
    validated = time.perf_counter()
    print(f"rows: { {k: v for k, v in report.row_counts.items()} }")
    print(f"synthesise {made - started:.1f} s, publish {published - made:.1f} s")
    print(f"validate {validated - published:.1f} s -> {'valid' if report.ok else 'INVALID'}")
    for finding in report.findings[:10]:
        print(f"  {finding}")
    if args.keep is None:
        shutil.rmtree(target.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
