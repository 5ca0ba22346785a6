"""Whole-table checks: the pandera models per table and the cross-table rules (references,
counts, one `dumps` row per input). They report `Finding`s instead of raising, so a
damaged table yields a complete report rather than the first exception.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Final

import polars as pl
import pyarrow as pa

from builder.contract.findings import Finding
from builder.contract.rules import passes
from builder.contract.schema import TABLES

#: How many failing values a finding quotes: enough to find the rows, short enough for CI.
EXAMPLES: Final = 3


class ContractError(Exception):
    """Tables about to be published break the contract: a bug in the builder, not in the
    inputs (bad inputs are quarantined per dump before this point)."""


def _ids(frame: pl.DataFrame, column: str, limit: int = EXAMPLES) -> tuple[str, ...]:
    return tuple(str(value) for value in frame.get_column(column).head(limit).to_list())


def _finding(
    table: str, column: str | None, check: str, bad: pl.DataFrame, shown: str
) -> list[Finding]:
    if bad.height == 0:
        return []
    return [Finding(table, column, check, bad.height, _ids(bad, shown))]


def _references(frames: Mapping[str, pl.DataFrame]) -> list[Finding]:
    articles, sightings, dumps = (frames[name] for name in TABLES)
    article_ids = articles.select("article_id")
    dump_ids = dumps.select("dump_id")
    provenance = articles.select(
        "article_id",
        pl.col("provenance").struct.field("dump_id").alias("dump_id"),
        pl.col("provenance").struct.field("dump_sha256").alias("dump_sha256"),
    )
    wrong_sha = provenance.join(dumps.select("dump_id", "sha256"), on="dump_id").filter(
        pl.col("dump_sha256") != pl.col("sha256")
    )
    return [
        *_finding(
            "sightings",
            "article_id",
            "sighting's article exists",
            sightings.join(article_ids, on="article_id", how="anti"),
            "article_id",
        ),
        *_finding(
            "sightings",
            "dump_id",
            "sighting's dump exists",
            sightings.join(dump_ids, on="dump_id", how="anti"),
            "dump_id",
        ),
        *_finding(
            "articles",
            "provenance.dump_id",
            "provenance dump exists",
            provenance.join(dump_ids, on="dump_id", how="anti"),
            "dump_id",
        ),
        *_finding(
            "articles",
            "provenance.dump_sha256",
            "provenance sha256 equals the dump's",
            wrong_sha,
            "article_id",
        ),
    ]


def _counts(frames: Mapping[str, pl.DataFrame]) -> list[Finding]:
    articles, sightings, dumps = (frames[name] for name in TABLES)
    per_article = sightings.group_by("article_id").len("seen")
    per_dump = sightings.group_by("dump_id").len("seen")
    mains = sightings.filter(pl.col("role") == "main").group_by("dump_id").len("mains")
    unseen = articles.join(per_article, on="article_id", how="anti")
    dumps_seen = (
        dumps.join(per_dump, on="dump_id", how="left")
        .join(mains, on="dump_id", how="left")
        .with_columns(pl.col("seen").fill_null(0), pl.col("mains").fill_null(0))
    )
    quarantined = dumps_seen.filter(pl.col("status") == "quarantined")
    return [
        *_finding(
            "articles",
            "article_id",
            "article has at least one sighting",
            unseen,
            "article_id",
        ),
        *_finding(
            "dumps",
            "n_sightings",
            "n_sightings equals the dump's sightings",
            dumps_seen.filter(pl.col("n_sightings") != pl.col("seen")),
            "dump_id",
        ),
        *_finding(
            "dumps",
            "page_kind",
            "parsed article page has exactly one main sighting",
            dumps_seen.filter(
                (pl.col("page_kind") == "article")
                & (pl.col("status") == "parsed")
                & (pl.col("mains") != 1)
            ),
            "dump_id",
        ),
        *_finding(
            "dumps",
            "reason",
            "quarantined dump has a reason",
            quarantined.filter(
                pl.col("reason").is_null() | (pl.col("reason").str.strip_chars() == "")
            ),
            "dump_id",
        ),
        *_finding(
            "dumps",
            "status",
            "quarantined dump has no sightings",
            quarantined.filter(pl.col("seen") > 0),
            "dump_id",
        ),
    ]


def _inputs(dumps: pl.DataFrame, inputs: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """inputs = parsed + quarantined: every input is one dumps row, by path and sha256."""
    expected = Counter((str(item.get("path")), str(item.get("sha256"))) for item in inputs)
    actual = Counter(
        zip(dumps.get_column("path").to_list(), dumps.get_column("sha256").to_list(), strict=True)
    )
    missing = sorted((expected - actual).elements())
    extra = sorted((actual - expected).elements())
    findings: list[Finding] = []
    if missing:
        findings.append(
            Finding(
                "dumps",
                "path",
                "one row per input: input without a dumps row",
                len(missing),
                tuple(path for path, _ in missing[:EXAMPLES]),
            )
        )
    if extra:
        findings.append(
            Finding(
                "dumps",
                "path",
                "one row per input: dumps row that is no input",
                len(extra),
                tuple(path for path, _ in extra[:EXAMPLES]),
            )
        )
    return findings


def _inputs_digest(dumps: pl.DataFrame, expected: str) -> list[Finding]:
    """inputs = parsed + quarantined, for a manifest that names its inputs by one hash
    (`inputs_sha256`): the dumps rows must hash to it, so none was lost or added."""
    from builder.contract.hashing import inputs_digest

    actual = inputs_digest(dumps.select("path", "sha256", "size_bytes").to_arrow())
    if actual == expected:
        return []
    return [
        Finding(
            "dumps",
            "path",
            "one row per input: the dumps rows hash to the manifest's inputs_sha256",
            1,
            (actual,),
        )
    ]


#: Columns each cross-table check reads; a table without them was already reported.
_NEEDS: Final[Mapping[str, Mapping[str, tuple[str, ...]]]] = {
    "references": {
        "articles": ("article_id", "provenance"),
        "sightings": ("article_id", "dump_id"),
        "dumps": ("dump_id", "sha256"),
    },
    "counts": {
        "articles": ("article_id",),
        "sightings": ("article_id", "dump_id", "role"),
        "dumps": ("dump_id", "n_sightings", "status", "page_kind", "reason"),
    },
}


#: The inputs a release was built from: listed one by one, or named by their hash
#: (`contract.inputs_digest`, what a manifest records).
Inputs = Sequence[Mapping[str, Any]] | str


def cross_table_findings(
    frames: Mapping[str, pl.DataFrame], inputs: Inputs | None = None
) -> list[Finding]:
    """The checks no single-table model can express: references, counts, inputs."""
    findings: list[Finding] = []
    runs: dict[str, Callable[[Mapping[str, pl.DataFrame]], list[Finding]]] = {
        "references": _references,
        "counts": _counts,
    }
    for name, run in runs.items():
        if all(set(cols) <= set(frames[t].columns) for t, cols in _NEEDS[name].items()):
            findings += guarded(f"cross-table {name}", partial(run, frames))
    if isinstance(inputs, str):
        if {"path", "sha256", "size_bytes"} <= set(frames["dumps"].columns):
            findings += guarded("inputs hash", partial(_inputs_digest, frames["dumps"], inputs))
    elif inputs is not None and {"path", "sha256"} <= set(frames["dumps"].columns):
        findings += _inputs(frames["dumps"], inputs)
    return findings


def guarded(what: str, run: Callable[[], list[Finding]]) -> list[Finding]:
    """A check that cannot run on a damaged table is itself a failure, never a crash."""
    try:
        return run()
    except Exception as error:  # the report must survive any damage
        return [Finding("release", None, f"{what} could not run", 1, (first_line(error),))]


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]


def validate_frame(table: str, frame: pl.DataFrame) -> list[Finding]:
    """models.validate_frame for a frame `rules.passes` cannot vouch for.

    The pandera models say what is wrong with a table, value by value, but importing
    pandera and running them cost ~0.55 s of a 20,000-dump build on tables that pass;
    the same rules as one polars query cost ~0.03 s. So pandera is imported only for a
    frame that query refuses (a table with a finding, or an odd null the models forgive).
    """
    if passes(table, frame):
        return []
    from builder.contract.models import validate_frame as run

    return run(table, frame)


def table_findings(tables: Mapping[str, pa.Table], inputs: Inputs | None = None) -> list[Finding]:
    """pandera models per table, then the cross-table checks."""
    frames = {name: to_polars(tables[name]) for name in TABLES}
    findings: list[Finding] = []
    for name in TABLES:
        findings += guarded(f"{name} model", partial(validate_frame, name, frames[name]))
    return findings + cross_table_findings(frames, inputs)


def to_polars(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)  # a Table always gives a DataFrame
    return frame


def require_valid(
    tables: Mapping[str, pa.Table], inputs: Sequence[Mapping[str, Any]] | None = None
) -> None:
    """Raise ContractError unless the tables may be published."""
    raise_on_findings(table_findings(tables, inputs))


def raise_on_findings(findings: Sequence[Finding]) -> None:
    """Findings on tables about to be published are a builder bug: stop, publish nothing."""
    if findings:
        shown = "; ".join(_describe(f) for f in findings[:EXAMPLES])
        more = f" (+{len(findings) - EXAMPLES} more)" if len(findings) > EXAMPLES else ""
        raise ContractError(
            f"the built tables break the contract (a builder bug; nothing published): {shown}{more}"
        )


def _describe(finding: Finding) -> str:
    where = f"{finding.table}.{finding.column}" if finding.column else finding.table
    values = f" e.g. {', '.join(finding.examples)}" if finding.examples else ""
    return f"{where}: {finding.check} x{finding.count}{values}"
