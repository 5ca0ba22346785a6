"""The numbers of one release, counted from its three tables: what the report draws.

Counted with polars over the Arrow tables (no Python object per row), so a report of a
release of tens of thousands of dumps takes a second or two. Every list is sorted the
same way every time: the report of a release is byte-identical when rendered twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import polars as pl
import pyarrow as pa

#: (label, count) pairs, in the order they are shown.
Counts: TypeAlias = tuple[tuple[str, int], ...]

#: How many publishers, reasons and example rows a report lists.
TOP: Final = 15
EXAMPLES: Final = 5
#: A published time that may be off by more than this many seconds is "uncertain".
UNCERTAIN_S: Final = 86_400
#: Upper bounds (characters) of the text length buckets; the last bucket is open.
LENGTH_BUCKETS: Final = (100, 300, 1_000, 3_000, 10_000)
#: How many sightings per article are shown one by one; more are pooled in one bucket.
SIGHTINGS_BUCKETS: Final = 10
#: Shown for a missing value (no publisher, no language, no reason).
NONE_LABEL: Final = "(none)"


@dataclass(frozen=True)
class Example:
    """One article as a reader checks it: what it says and exactly where it came from."""

    article_id: str
    title: str
    source: str | None
    language: str | None
    published_at: str | None
    n_sightings: int
    text_preview: str | None
    dump_path: str
    lines: str
    captured_at: str
    layout: str
    repairs: int


@dataclass(frozen=True)
class SuspiciousTime:
    """A sighting whose published time is far from certain or later than its capture."""

    article_id: str
    title: str
    published_text: str | None
    published_at: str | None
    uncertainty_s: int | None
    captured_at: str
    why: str


@dataclass(frozen=True)
class ReleaseStats:
    n_dumps: int
    n_parsed: int
    n_quarantined: int
    quarantine_reasons: Counts
    n_truncated: int
    n_replaced_bytes: int
    layouts: Counts
    n_articles: int
    n_sightings: int
    #: Per capture day (YYYY-MM-DD): dumps captured, sightings in them, articles first seen.
    capture_days: tuple[tuple[str, int, int, int], ...]
    #: Articles per day of publication; articles without a published time not counted.
    published_days: Counts
    n_unpublished: int
    publishers: Counts
    n_publishers: int
    languages: Counts
    roles: Counts
    #: Articles per text length bucket (characters), articles without text apart.
    text_lengths: Counts
    n_with_text: int
    n_teasers: int
    n_without_text: int
    repairs: Counts
    n_repaired_articles: int
    #: Articles per number of sightings ("1", "2", ..., "10+").
    sightings_per_article: Counts
    max_sightings: int
    n_uncertain: int
    n_after_capture: int
    n_unresolved: int
    suspicious: tuple[SuspiciousTime, ...]
    examples: tuple[Example, ...]


def _counts(frame: pl.DataFrame, column: str, *, limit: int | None = None) -> Counts:
    """Value counts, most common first (ties by label), missing values as NONE_LABEL."""
    if frame.height == 0:
        return ()
    counted = (
        frame.select(pl.col(column).cast(pl.String).fill_null(NONE_LABEL).alias("label"))
        .group_by("label")
        .len()
        .sort(["len", "label"], descending=[True, False])
    )
    if limit is not None:
        counted = counted.head(limit)
    return tuple((str(label), int(n)) for label, n in counted.iter_rows())


def _day(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m-%d")


def _iso(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _capture_days(
    dumps: pl.DataFrame, sightings: pl.DataFrame, articles: pl.DataFrame
) -> tuple[tuple[str, int, int, int], ...]:
    day_of_dump = dumps.select("dump_id", _day("captured_at").alias("day"))
    per_dump = day_of_dump.group_by("day").len("dumps")
    per_sighting = (
        sightings.select("dump_id").join(day_of_dump, on="dump_id").group_by("day").len("sightings")
    )
    per_article = (
        articles.select(_day("first_seen_at").alias("day")).group_by("day").len("articles")
    )
    days = (
        per_dump.join(per_sighting, on="day", how="full", coalesce=True)
        .join(per_article, on="day", how="full", coalesce=True)
        .fill_null(0)
        .sort("day")
    )
    return tuple(
        (str(day), int(d), int(s), int(a))
        for day, d, s, a in days.select("day", "dumps", "sightings", "articles").iter_rows()
    )


def _text_lengths(articles: pl.DataFrame) -> Counts:
    lengths = articles["text_chars"].drop_nulls()
    buckets: list[tuple[str, int]] = []
    low = 0
    for high in LENGTH_BUCKETS:
        label = f"{low:,}–{high - 1:,}"
        buckets.append((label, int(((lengths >= low) & (lengths < high)).sum())))
        low = high
    buckets.append((f"{low:,}+", int((lengths >= low).sum())))
    return tuple(buckets)


def with_counts(articles: pl.DataFrame, sightings: pl.DataFrame) -> pl.DataFrame:
    """`articles` with `n_sightings`, each article's rows in `sightings`. The table
    keeps no count of its own (a count changes at every sighting, and would make each
    append rewrite every article it saw again): it is counted here, as a user would."""
    if "n_sightings" in articles.columns:
        return articles
    counts = sightings.group_by("article_id").len("n_sightings")
    return articles.join(counts, on="article_id", how="left", maintain_order="left").with_columns(
        pl.col("n_sightings").fill_null(0)
    )


def _sightings_per_article(articles: pl.DataFrame) -> Counts:
    n = articles["n_sightings"]
    counts = [(str(k), int((n == k).sum())) for k in range(1, SIGHTINGS_BUCKETS)]
    counts.append((f"{SIGHTINGS_BUCKETS}+", int((n >= SIGHTINGS_BUCKETS).sum())))
    while len(counts) > 3 and counts[-1][1] == 0:  # no empty tail of 4, 5, ... 10+
        counts.pop()
    return tuple(counts)


def _repairs(articles: pl.DataFrame) -> tuple[Counts, int]:
    repairs = articles.select(pl.col("provenance").struct.field("repairs").alias("r"))
    repaired = int(repairs.select((pl.col("r").list.len() > 0).sum()).item() or 0)
    kinds = repairs.explode("r").drop_nulls().select(pl.col("r").struct.field("kind"))
    return _counts(kinds, "kind"), repaired


def _suspicious(sightings: pl.DataFrame, dumps: pl.DataFrame) -> tuple[pl.DataFrame, int, int, int]:
    """Sightings with an uncertain, unresolved, or after-capture published time."""
    joined = sightings.join(dumps.select("dump_id", "captured_at"), on="dump_id")
    uncertain = pl.col("published_at_uncertainty_s") > UNCERTAIN_S
    after = pl.col("published_at") > pl.col("captured_at")
    unresolved = pl.col("published_at").is_null() & pl.col("published_text").is_not_null()
    flagged = joined.with_columns(
        pl.when(after)
        .then(pl.lit("published after capture"))
        .when(unresolved)
        .then(pl.lit("time text not resolved"))
        .when(uncertain)
        .then(pl.lit(f"uncertain by more than {UNCERTAIN_S // 3600} h"))
        .otherwise(None)
        .alias("why")
    )
    counts = flagged.select(
        uncertain.fill_null(False).sum().alias("u"),
        after.fill_null(False).sum().alias("a"),
        unresolved.fill_null(False).sum().alias("n"),
    ).row(0)
    picked = flagged.filter(pl.col("why").is_not_null()).sort(
        ["why", "published_at_uncertainty_s", "sighting_id"],
        descending=[False, True, False],
        nulls_last=True,
    )
    return picked, int(counts[0]), int(counts[1]), int(counts[2])


def _example_rows(articles: pl.DataFrame) -> pl.DataFrame:
    """The most-sighted articles (ties by id): those merging did most for."""
    return articles.sort(["n_sightings", "article_id"], descending=[True, False]).head(EXAMPLES)


def example_ids(articles: pa.Table, sightings: pa.Table) -> list[str]:
    """The ids of the example rows (of an `articles` table with at least `article_id`,
    and the `sightings` table with at least `article_id`): whose texts to keep when only
    lengths are read."""
    frame = with_counts(
        _frame(articles.select(["article_id"])), _frame(sightings.select(["article_id"]))
    )
    return [str(i) for i in _example_rows(frame)["article_id"]]


def _examples(articles: pl.DataFrame, texts: Texts | None) -> tuple[Example, ...]:
    rows = _example_rows(articles)
    if "text" in rows.columns:
        found = dict(zip(rows["article_id"], rows["text"], strict=True))
    else:
        found = dict(texts(list(rows["article_id"]))) if texts is not None else {}
    examples: list[Example] = []
    for row in rows.to_dicts():
        prov: Mapping[str, Any] = row["provenance"]
        text = found.get(row["article_id"])
        examples.append(
            Example(
                article_id=row["article_id"],
                title=row["title"],
                source=row["source"],
                language=row["language"],
                published_at=_iso(row["published_at"]),
                n_sightings=int(row["n_sightings"]),
                text_preview=None if text is None else _preview(text),
                dump_path=prov["dump_path"],
                lines=f"{prov['line_start']}–{prov['line_end']}",
                captured_at=_iso(prov["captured_at"]) or "",
                layout=prov["layout"],
                repairs=len(prov["repairs"] or []),
            )
        )
    return tuple(examples)


def _preview(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


#: The texts of some articles by id (the examples'), when the table holds only lengths.
Texts: TypeAlias = Callable[[list[str]], Mapping[str, str | None]]


def release_stats(tables: Mapping[str, pa.Table], texts: Texts | None = None) -> ReleaseStats:
    """Everything the report shows, from the `articles`, `sightings` and `dumps` tables.

    `articles` may hold `text_chars` (each text's length) instead of `text`, as
    `read.report_tables` reads it; `texts` then gives the examples' texts."""
    articles = _frame(tables["articles"])
    if "text_chars" not in articles.columns:
        articles = articles.with_columns(pl.col("text").str.len_chars().alias("text_chars"))
    sightings = _frame(tables["sightings"])
    articles = with_counts(articles, sightings)
    dumps = _frame(tables["dumps"])
    quarantined = dumps.filter(pl.col("status") == "quarantined")
    published = articles.filter(pl.col("published_at").is_not_null())
    with_text = articles.filter(pl.col("text_chars").is_not_null())
    repairs, repaired = _repairs(articles)
    picked, n_uncertain, n_after, n_unresolved = _suspicious(sightings, dumps)
    suspicious = tuple(
        SuspiciousTime(
            article_id=row["article_id"],
            title=row["title"],
            published_text=row["published_text"],
            published_at=_iso(row["published_at"]),
            uncertainty_s=row["published_at_uncertainty_s"],
            captured_at=_iso(row["captured_at"]) or "",
            why=row["why"],
        )
        for row in picked.head(EXAMPLES * 2).to_dicts()
    )
    return ReleaseStats(
        n_dumps=dumps.height,
        n_parsed=dumps.height - quarantined.height,
        n_quarantined=quarantined.height,
        quarantine_reasons=_counts(quarantined, "reason", limit=TOP),
        n_truncated=int(dumps["truncated"].sum()),
        n_replaced_bytes=int((dumps["replaced_bytes"] > 0).sum()),
        layouts=_counts(dumps.filter(pl.col("status") == "parsed"), "layout"),
        n_articles=articles.height,
        n_sightings=sightings.height,
        capture_days=_capture_days(dumps, sightings, articles),
        published_days=tuple(
            sorted(_counts(published.select(_day("published_at").alias("d")), "d"))
        ),
        n_unpublished=articles.height - published.height,
        publishers=_counts(articles, "source", limit=TOP),
        n_publishers=int(articles["source"].drop_nulls().n_unique()),
        languages=_counts(articles, "language"),
        roles=_counts(articles, "role"),
        text_lengths=_text_lengths(articles),
        n_with_text=with_text.height,
        n_teasers=int(with_text["text_is_teaser"].sum()),
        n_without_text=articles.height - with_text.height,
        repairs=repairs,
        n_repaired_articles=repaired,
        sightings_per_article=_sightings_per_article(articles),
        max_sightings=int(articles["n_sightings"].max() or 0),  # type: ignore[arg-type]
        n_uncertain=n_uncertain,
        n_after_capture=n_after,
        n_unresolved=n_unresolved,
        suspicious=suspicious,
        examples=_examples(articles, texts),
    )
