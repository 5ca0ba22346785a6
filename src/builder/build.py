"""`builder make` as a library call: sources -> extract -> merge -> publish.

The CLI only parses arguments and prints the report this returns.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from builder import PARSER_VERSION, __version__, contract
from builder.diff import TableDiff, bump, diff_releases, parse_version, read_release
from builder.extract import extract
from builder.merge import merge
from builder.publish import latest_version, publish_release
from builder.records import DumpResult, RawDump
from builder.sources import DEFAULT_MAX_BYTES, find_inputs, iter_dumps
from builder.tables import to_tables


class BuildError(Exception):
    """The build cannot publish (bad version request, unwritable output...): one line."""


@dataclass(frozen=True)
class BuildReport:
    published: bool
    version: str | None
    previous_version: str | None
    path: Path | None
    n_inputs: int
    n_parsed: int
    n_quarantined: int
    top_reasons: list[tuple[str, int]]
    n_articles: int
    n_sightings: int
    elapsed_s: float
    message: str
    diff: dict[str, TableDiff] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "version": self.version,
            "previous_version": self.previous_version,
            "path": str(self.path) if self.path else None,
            "dumps": {
                "total": self.n_inputs,
                "parsed": self.n_parsed,
                "quarantined": self.n_quarantined,
                "top_reasons": [{"reason": r, "count": c} for r, c in self.top_reasons],
            },
            "articles": self.n_articles,
            "sightings": self.n_sightings,
            "elapsed_s": round(self.elapsed_s, 3),
            "message": self.message,
            "diff": {
                t: {"added": d.added, "removed": d.removed, "changed": d.changed}
                for t, d in self.diff.items()
            },
        }


def extract_all(
    raws: Iterable[RawDump], *, workers: int = 1, chunksize: int = 64
) -> Iterator[DumpResult]:
    """Run the per-dump stage, in this process or in a pool; results keep input order."""
    if workers <= 1:
        yield from map(extract, raws)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(extract, raws, chunksize=chunksize)


def _choose_version(
    dataset_dir: Path, tables: dict[str, Any], requested: str | None
) -> tuple[str | None, str | None, dict[str, TableDiff]]:
    previous = latest_version(dataset_dir)
    diffs: dict[str, TableDiff] = {}
    automatic: str | None = "1.0.0"
    if previous is not None:
        old_release = dataset_dir / "versions" / previous
        diffs = diff_releases(read_release(old_release), tables)
        old_contract = _manifest_contract(old_release)
        automatic = bump(
            previous, diffs, contract_changed=old_contract != contract.CONTRACT_VERSION
        )
    if requested is None:
        return automatic, previous, diffs
    try:
        wanted = parse_version(requested)
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    if previous is not None and wanted <= parse_version(previous):
        raise BuildError(f"version {requested} is not after the latest release {previous}")
    return requested, previous, diffs


def _manifest_contract(release: Path) -> str | None:
    import json

    try:
        return str(json.loads((release / "manifest.json").read_text())["contract_version"])
    except (OSError, ValueError, KeyError):
        return None


def build(
    specs: Sequence[str],
    dataset_dir: Path,
    *,
    captured_at: datetime | None = None,
    version: str | None = None,
    workers: int = 1,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_dump: Callable[[DumpResult], None] | None = None,
) -> BuildReport:
    """Build a release of `dataset_dir` from the dumps named by `specs`.

    Publishes a new version only when the rows differ from the latest release (or
    `version` is given); quarantined inputs do not fail the build.
    """
    started = time.perf_counter()
    files = find_inputs(specs)
    raws = iter_dumps(files, captured_at=captured_at, max_bytes=max_bytes)
    results: list[DumpResult] = []
    for result in extract_all(raws, workers=workers):
        results.append(result)
        if on_dump is not None:
            on_dump(result)
    merged = merge(results)
    tables = to_tables(merged)
    reasons = Counter(d.reason for d in merged.dumps if d.reason)
    n_quarantined = sum(1 for d in merged.dumps if d.status == "quarantined")
    chosen, previous, diffs = _choose_version(dataset_dir, tables, version)
    published_path: Path | None = None
    if chosen is None:
        message = f"no change since {previous}: nothing published"
    else:
        release = publish_release(
            dataset_dir,
            tables,
            version=chosen,
            previous_version=previous,
            settings={
                "captured_at": captured_at.isoformat() if captured_at else None,
                "max_bytes": max_bytes,
                "parser_version": PARSER_VERSION,
                "builder_version": __version__,
            },
            inputs=[
                {"path": d.path, "sha256": d.sha256, "size_bytes": d.size_bytes}
                for d in merged.dumps
            ],
        )
        published_path = release.path
        message = f"published {chosen}" + (f" (previous {previous})" if previous else "")
    return BuildReport(
        published=chosen is not None,
        version=chosen,
        previous_version=previous,
        path=published_path,
        n_inputs=len(merged.dumps),
        n_parsed=len(merged.dumps) - n_quarantined,
        n_quarantined=n_quarantined,
        top_reasons=reasons.most_common(5),
        n_articles=len(merged.articles),
        n_sightings=len(merged.sightings),
        elapsed_s=time.perf_counter() - started,
        message=message,
        diff=diffs,
    )
