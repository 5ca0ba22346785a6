"""Sightings to articles: the one step that sees all dumps (a group-by on the title).

An article is its normalised title (the story), so its id is fixed the first time the
title is seen. Publishers are attributes: layout B shows a main article without its
publisher, and a card elsewhere may name it later; that card adds the publisher to the
same row (`source`, `sources`) instead of making another article. Each sighting keeps
the publisher its page showed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import UTC, datetime
from itertools import chain
from operator import attrgetter

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from builder import PARSER_VERSION, __version__
from builder.contract.schema import arrow_schema
from builder.contract.tables import conform
from builder.contract.texts import char_lengths
from builder.parse.language import detect
from builder.records import (
    Article,
    Dump,
    DumpResult,
    Merged,
    Provenance,
    Repair,
    Sighting,
    SourceSplit,
    article_id_for,
    normalise_key,
)


def _preference(dumps: Mapping[str, Dump]) -> Callable[[Sighting], tuple[bool, int, str, str, int]]:
    """Which sighting speaks for an article: a main one, then the longest text, then
    the earliest capture; dump id and position settle the rest deterministically."""

    def key(s: Sighting) -> tuple[bool, int, str, str, int]:
        d = dumps[s.dump_id]
        return (
            s.role != "main",
            -len(s.text or ""),
            d.captured_at.isoformat(),
            s.dump_id,
            s.position,
        )

    return key


def _display(values: Iterable[str]) -> str:
    """The most common rendering of a publisher; alphabetical on ties."""
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v))


def publishers(group: Sequence[Sighting]) -> tuple[str | None, tuple[str, ...]]:
    """An article's `source` and `sources` from its sightings.

    Publishers are told apart by their normalised form and each is shown in its most
    common rendering. `source` is the publisher of the main sightings when a main page
    named one, else the one named most often; ties go to the alphabetically first.
    `sources` is every publisher seen, sorted.
    """
    renderings: dict[str, list[str]] = defaultdict(list)
    for s in group:
        if s.source:
            renderings[normalise_key(s.source)].append(s.source)
    if not renderings:
        return None, ()
    shown = {key: _display(values) for key, values in renderings.items()}
    named_by_main = [normalise_key(s.source) for s in group if s.role == "main" and s.source]
    counts = (
        Counter(named_by_main)
        if named_by_main
        else Counter({key: len(values) for key, values in renderings.items()})
    )
    chosen = min(counts, key=lambda key: (-counts[key], shown[key]))
    return shown[chosen], tuple(sorted(shown.values()))


def _article(article_id: str, group: Sequence[Sighting], dumps: Mapping[str, Dump]) -> Article:
    ordered = sorted(group, key=_preference(dumps))
    best = ordered[0]
    dump = dumps[best.dump_id]
    source, sources = publishers(ordered)
    # A time the page could have shown beats one read as after its capture.
    timed = next((s for s in ordered if s.published_text and not s.published_after_capture), None)
    timed = timed or next((s for s in ordered if s.published_text), None)
    category = next((s.category for s in ordered if s.category), None)
    return Article(
        article_id=article_id,
        role="main" if best.role == "main" else "related",
        title=best.title,
        text=best.text,
        text_is_teaser=best.text_is_teaser,
        source=source,
        sources=sources,
        category=category,
        published_text=timed.published_text if timed else None,
        published_at=timed.published_at if timed else None,
        published_at_uncertainty_s=timed.published_at_uncertainty_s if timed else None,
        language=best.language if best.role == "main" else detect(best.title, best.text),
        url=dump.url if best.role == "main" else None,
        first_seen_at=min(dumps[s.dump_id].captured_at for s in group),
        published_after_capture=timed.published_after_capture if timed else False,
        provenance=Provenance(
            dump_id=dump.dump_id,
            dump_path=dump.path,
            dump_sha256=dump.sha256,
            position=best.position,
            line_start=best.line_start,
            line_end=best.line_end,
            text_byte_start=best.text_byte_start,
            text_byte_end=best.text_byte_end,
            captured_at=dump.captured_at,
            captured_at_source=dump.captured_at_source,
            layout=dump.layout or "",
            parser_version=PARSER_VERSION,
            builder_version=__version__,
            repairs=best.repairs,
        ),
    )


def assign_articles(sightings: Iterable[Sighting]) -> dict[str, list[Sighting]]:
    """Group sightings into articles by normalised title: one title, one article."""
    groups: dict[str, list[Sighting]] = defaultdict(list)
    for s in sightings:
        groups[article_id_for(s.title)].append(s)
    return groups


def known_publishers(sightings: Iterable[Sighting]) -> set[str]:
    """Publishers some page names unambiguously.

    The one corpus-wide fact the merge needs besides the title groups: a partitioned
    merge collects it from every batch first, then settles each partition with it.
    """
    return {normalise_key(s.source) for s in sightings if s.source and not s.source_alternatives}


def ambiguous_publishers(sightings: Iterable[Sighting]) -> set[str]:
    """Every publisher an ambiguous glued line could settle on (its reading and the
    others): when one of them becomes known, that line may read differently."""
    return {
        normalise_key(name)
        for s in sightings
        if s.source_alternatives
        for name in (s.source or "", *(a.source for a in s.source_alternatives))
    }


def settle_glued_sources(
    sightings: Sequence[Sighting], known: AbstractSet[str] | None = None
) -> list[Sighting]:
    """Re-read ambiguous glued `Source3 hours ago` lines with the corpus's publishers.

    `Radio 1015 hours ago` is Radio 10 + 15 hours or Radio 101 + 5 hours; a card
    anywhere in the corpus naming Radio 101 settles it. `known` defaults to the
    publishers of `sightings` (the whole corpus when merging in one piece).
    """
    if known is None:
        known = known_publishers(sightings)
    settled = []
    for s in sightings:
        if s.source_alternatives and normalise_key(s.source or "") not in known:
            pick = next(
                (a for a in s.source_alternatives if normalise_key(a.source) in known), None
            )
            if pick is not None:
                s = replace(
                    s,
                    source=pick.source,
                    published_text=pick.published_text,
                    published_at=pick.published_at,
                    published_at_uncertainty_s=pick.published_at_uncertainty_s,
                    published_after_capture=pick.published_after_capture,
                )
        settled.append(s)
    return settled


def merge(results: Iterable[DumpResult]) -> Merged:
    """Merge every dump's sightings into unique articles."""
    dumps: dict[str, Dump] = {}
    sightings: list[Sighting] = []
    for result in results:
        dumps[result.dump.dump_id] = result.dump
        sightings.extend(result.sightings)
    articles, placed = merge_part(sightings, dumps, known_publishers(sightings))
    articles.sort(key=lambda a: a.article_id)
    placed.sort(key=lambda pair: (pair[1].dump_id, pair[1].position))
    return Merged(articles, placed, [dumps[k] for k in sorted(dumps)])


def merge_part(
    sightings: Sequence[Sighting], dumps: Mapping[str, Dump], known: AbstractSet[str]
) -> tuple[list[Article], list[tuple[str, Sighting]]]:
    """Articles of a set of sightings that holds whole title groups, unsorted.

    Every title group is merged on its own (given the corpus's `known` publishers), so
    sightings partitioned by normalised title merge partition by partition, on any
    machine, to the same articles as `merge` on everything at once.
    """
    groups = assign_articles(settle_glued_sources(sightings, known))
    articles = [_article(aid, group, dumps) for aid, group in groups.items()]
    placed = [(aid, s) for aid, group in groups.items() for s in group]
    return articles, placed


# --- the same merge in columns ---------------------------------------------------------
#
# What the engines run: one title partition's sightings as an Arrow table (a "frame"),
# merged by polars group-bys instead of a Python object per sighting and per article.
# The rules are the ones above, row for row (tests/test_merge_columns.py holds the two
# to the same tables); `merge` and `merge_part` stay the reference and serve the
# incremental build's few groups.

_INSTANT = pa.timestamp("us", tz="UTC")

#: A sighting's other readings of a glued publisher line (Sighting.source_alternatives).
ALTERNATIVES = pa.list_(
    pa.field(
        "item",
        pa.struct(
            [
                pa.field("source", pa.string(), nullable=False),
                pa.field("published_text", pa.string(), nullable=False),
                pa.field("published_at", _INSTANT),
                pa.field("published_at_uncertainty_s", pa.int64()),
                pa.field("published_after_capture", pa.bool_(), nullable=False),
            ]
        ),
        nullable=False,
    )
)


def _frame_schema() -> pa.Schema:
    """One row per sighting, with what the merge needs of its dump beside it."""
    repairs = arrow_schema("articles").field("provenance").type.field("repairs").type
    text, integer, flag = pa.string(), pa.int64(), pa.bool_()
    return pa.schema(
        [
            ("article_id", text),
            ("dump_id", text),
            ("position", pa.int32()),
            ("role", text),
            ("title", text),
            ("source", text),
            ("source_key", text),  # normalise_key(source), for a source that is named
            ("category", text),
            ("published_text", text),
            ("published_at", _INSTANT),
            ("published_at_uncertainty_s", integer),
            ("published_after_capture", flag),
            ("text", text),
            ("text_is_teaser", flag),
            ("line_start", pa.int32()),
            ("line_end", pa.int32()),
            ("text_byte_start", integer),
            ("text_byte_end", integer),
            ("repairs", repairs),
            ("alternatives", ALTERNATIVES),
            ("language", text),
            ("captured_at", _INSTANT),
            ("captured_key", text),  # captured_at.isoformat(): the preference's own key
            ("dump_path", text),
            ("dump_sha256", text),
            ("captured_at_source", text),
            ("layout", text),
            ("url", text),
        ]
    )


FRAME_SCHEMA = _frame_schema()


def _utc(value: datetime | None) -> datetime | None:
    """An instant as Arrow must be given it: aware, in UTC (see contract.tables._guard)."""
    if value is None or value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}; the contract stores UTC instants")
    return value.astimezone(UTC)


#: Columns of FRAME_SCHEMA that are a Sighting's field of the same name.
_SIGHTING_COLUMNS = (
    "dump_id",
    "position",
    "role",
    "title",
    "source",
    "category",
    "published_text",
    "published_at_uncertainty_s",
    "published_after_capture",
    "text",
    "text_is_teaser",
    "line_start",
    "line_end",
    "text_byte_start",
    "text_byte_end",
    "language",
)


_SIGHTING_STRUCT = pa.struct([FRAME_SCHEMA.field(name) for name in _SIGHTING_COLUMNS])


def all_utc(sightings: Sequence[Sighting]) -> bool:
    """Whether every time of the sightings (and of their source alternatives) is None
    or in UTC: the set of their zones, gathered in C (`map`, `filter`; a datetime is
    never false), must be {UTC} or empty. Then a frame holds them as they are, and
    the cache can keep them exactly (see release.cache.sightings_column)."""
    times = chain(
        map(attrgetter("published_at"), sightings),
        map(
            attrgetter("published_at"),
            chain.from_iterable(map(attrgetter("source_alternatives"), sightings)),
        ),
    )
    return set(map(attrgetter("tzinfo"), filter(None, times))) <= {UTC}


def sightings_frame(
    groups: Iterable[tuple[Dump, Sequence[Sighting]]], *, utc: bool | None = None
) -> pa.Table:
    """The sightings of some dumps as one Arrow table of FRAME_SCHEMA, built by columns.

    Each column is one pass over the sightings (`attrgetter` in C where it is a field);
    a dump's own columns are made once per dump and repeated by Arrow; repairs become
    three flat columns under a list, not a dict per repair: this runs on every sighting
    of every build. `utc`: `all_utc` of these sightings, when the caller asked it
    already (the batch step, which tells the cache too); asked here otherwise. Times
    in UTC are taken as they are, others converted one by one.
    """
    sightings: list[Sighting] = []
    dumps: list[Dump] = []
    owner: list[int] = []  # each sighting's index in `dumps`
    for dump, group in groups:
        sightings.extend(group)
        owner.extend([len(dumps)] * len(group))
        dumps.append(dump)
    # The plain fields in one pass: Arrow reads each sighting's own dict of fields into
    # a struct, in C, instead of a Python list per column (30% less for these columns).
    plain = pa.array(list(map(attrgetter("__dict__"), sightings)), _SIGHTING_STRUCT)
    columns: dict[str, pa.Array] = dict(zip(_SIGHTING_COLUMNS, plain.flatten(), strict=True))
    titles = list(map(attrgetter("title"), sightings))
    columns["article_id"] = pa.array(list(map(article_id_for, titles)), pa.string())
    columns["source_key"] = pa.array(
        [normalise_key(s.source) if s.source else None for s in sightings], pa.string()
    )
    if utc is None:
        utc = all_utc(sightings)
    times = list(map(attrgetter("published_at"), sightings))
    columns["published_at"] = pa.array(times if utc else list(map(_utc, times)), _INSTANT)
    columns["repairs"] = _repairs(sightings)
    columns["alternatives"] = _alternatives_column(sightings, utc)
    of_dumps = {
        "captured_at": pa.array([_utc(d.captured_at) for d in dumps], _INSTANT),
        "captured_key": pa.array(_isoformats([d.captured_at for d in dumps]), pa.string()),
        "dump_path": pa.array([d.path for d in dumps], pa.string()),
        "dump_sha256": pa.array([d.sha256 for d in dumps], pa.string()),
        "captured_at_source": pa.array([d.captured_at_source for d in dumps], pa.string()),
        "layout": pa.array([d.layout for d in dumps], pa.string()),
        "url": pa.array([d.url for d in dumps], pa.string()),
    }
    indices = pa.array(owner, pa.int32())
    for name, values in of_dumps.items():
        columns[name] = values.take(indices)
    # A cast to the type an array has already still costs a call into Arrow per column.
    arrays = [_typed(columns[f.name], f.type) for f in FRAME_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=FRAME_SCHEMA)


def _typed(array: pa.Array, kind: pa.DataType) -> pa.Array:
    return array if array.type == kind else array.cast(kind)


def _isoformats(times: list[datetime]) -> list[str]:
    """Each time's `isoformat()`, made once for a run of the same datetime object: a
    build with `--captured-at` gives every dump the one object."""
    texts: list[str] = []
    last: datetime | None = None
    text = ""
    for when in times:
        if when is not last:
            text = when.isoformat()
            last = when
        texts.append(text)
    return texts


def _alternatives_column(sightings: Sequence[Sighting], utc: bool) -> pa.Array:
    """The sightings' source alternatives as FRAME_SCHEMA's list of structs: the few
    alternatives themselves converted, under offsets (an empty list per sighting
    without any cost a conversion each)."""
    offsets = [0]
    flat: list[SourceSplit] = []
    for s in sightings:
        flat.extend(s.source_alternatives)
        offsets.append(len(flat))
    kind = FRAME_SCHEMA.field("alternatives").type
    items = [vars(a) if utc else {**vars(a), "published_at": _utc(a.published_at)} for a in flat]
    values = pa.array(items, kind.value_type)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=kind)


def _repairs(sightings: Sequence[Sighting]) -> pa.Array:
    """The sightings' repairs as FRAME_SCHEMA's list of structs, from flat columns."""
    offsets = [0]
    flat: list[Repair] = []
    for s in sightings:
        flat.extend(s.repairs)
        offsets.append(len(flat))
    kind = FRAME_SCHEMA.field("repairs").type.value_type
    fields = [kind.field(i) for i in range(kind.num_fields)]
    children = [pa.array(list(map(attrgetter(f.name), flat)), f.type) for f in fields]
    items = pa.StructArray.from_arrays(children, fields=fields)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), items)


_SETTLED = (
    "source",
    "source_key",
    "published_text",
    "published_at",
    "published_at_uncertainty_s",
    "published_after_capture",
)


def _settle_columns(
    frame: pl.DataFrame, alternatives: pa.ChunkedArray, known: AbstractSet[str]
) -> pl.DataFrame:
    """settle_glued_sources on a frame: the few rows with other readings (`alternatives`,
    the frame's rows' in Arrow, which polars never converts) are settled in Python, by
    the same rule, and put back in place."""
    ambiguous = pc.greater(pc.list_value_length(alternatives), 0)
    if not pc.any(ambiguous).as_py():
        return frame
    at = pc.indices_nonzero(ambiguous)
    sources = frame.get_column("source").gather(at.to_numpy()).to_list()
    updates: list[dict[str, object]] = []
    for row, source, others in zip(
        at.to_pylist(), sources, pc.take(alternatives, at).to_pylist(), strict=True
    ):
        if normalise_key(source or "") in known:
            continue
        pick = next((a for a in others if normalise_key(a["source"]) in known), None)
        if pick is not None:
            updates.append({"_row": row, **pick, "source_key": normalise_key(pick["source"])})
    if not updates:
        return frame
    # Only the settled rows' six columns are written, in place by row number: a join
    # would copy every column of the frame (the texts among them) to change a few rows.
    schema: dict[str, pl.DataType] = {name: frame.schema[name] for name in _SETTLED}
    schema["_row"] = pl.Int64()
    settled = pl.DataFrame(updates, schema=schema)
    rows = settled.get_column("_row")
    return frame.with_columns(
        frame.get_column(name).scatter(rows, settled.get_column(name)) for name in _SETTLED
    )


def _named(column: str) -> pl.Expr:
    """Truthy in Python's sense: neither null nor empty."""
    return pl.col(column).is_not_null() & (pl.col(column) != "")


def _publishers(frame: pl.DataFrame) -> pl.DataFrame:
    """`publishers` for every article at once: article_id, source, sources.

    Three group-bys, no join (there were four and two joins): renderings counted; per
    publisher its most common rendering (the first after a sort) and its counts; per
    article the publisher of the highest score (the first after a sort; that score is
    never 0, as a named publisher counts at least once) and every publisher, sorted.
    """
    group = ["article_id", "source_key"]
    per_key = (
        frame.filter(_named("source"))
        .group_by([*group, "source"])
        .agg(pl.len().alias("_n"), (pl.col("role") == "main").sum().alias("_main"))
        .sort([*group, "_n", "source"], descending=[False, False, True, False])
        .group_by(group, maintain_order=True)
        .agg(
            pl.col("source").first().alias("_shown"),
            pl.col("_n").sum().alias("_all"),
            pl.col("_main").sum(),
        )
        .with_columns(
            pl.when(pl.col("_main").max().over("article_id") > 0)
            .then(pl.col("_main"))
            .otherwise(pl.col("_all"))
            .alias("_score")
        )
    )
    return (
        per_key.sort(["article_id", "_score", "_shown"], descending=[False, True, False])
        .group_by("article_id", maintain_order=True)
        .agg(pl.col("_shown").first().alias("source"), pl.col("_shown").sort().alias("sources"))
    )


_TIMED = ("published_text", "published_at", "published_at_uncertainty_s", "published_after_capture")
#: Where the best sighting came from: copied into the article's provenance as it is.
_WHERE = (
    "dump_id",
    "dump_path",
    "dump_sha256",
    "position",
    "line_start",
    "line_end",
    "text_byte_start",
    "text_byte_end",
    "captured_at",
    "captured_at_source",
)
#: The sightings table's columns that settling a glued publisher line never changes.
_UNSETTLED = (
    "article_id",
    "dump_id",
    "position",
    "role",
    "title",
    "category",
    "line_start",
    "line_end",
)
_BEST = ("role", "title", "text", "text_is_teaser", "language", "url", *_WHERE, "layout", "repairs")
#: What merge_columns reads of every sighting in polars (the rest only of each article's
#: chosen one; the sightings' titles go from the frame to their table as they are).
_GROUPED = (
    "article_id",
    "dump_id",
    "position",
    "role",
    "source",
    "source_key",
    "category",
    *_TIMED,
    "captured_at",
    "captured_key",
)


def merge_columns(frame: pa.Table, known: AbstractSet[str]) -> tuple[pa.Table, pa.Table]:
    """`merge_part` in columns: the articles and sightings tables (the contract's
    schemas, unsorted) of a frame that holds whole title groups."""
    if frame.num_rows == 0:
        return arrow_schema("articles").empty_table(), arrow_schema("sightings").empty_table()
    # Polars gets only what the group-bys and the sightings table read; the chosen
    # sighting's own columns (the texts, repairs, provenance) stay in Arrow and are
    # taken for the chosen rows alone, as converting them all cost more than the rest.
    length = pc.fill_null(char_lengths(frame.column("text")), 0)
    # Joined in Arrow first (one chunk per batch otherwise): polars took 2.5 times as
    # long to convert the batches' chunks as Arrow takes to join them.
    narrow = frame.select(_GROUPED).append_column("_length", length).combine_chunks()
    sightings = _settle_columns(pl.DataFrame(narrow), frame.column("alternatives"), known)
    # _preference, per article: a main one, the longest text, the earliest capture
    # (by its ISO text, as the rule says), then dump id and position. Only the keys and
    # what is read in that order are sorted (with each row's number); the chosen rows'
    # other columns, the long texts and repairs among them, are then gathered once by
    # number instead of all being carried through the sort (a copy of every text).
    ordered = sightings.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        "article_id",
        (pl.col("role") != "main").alias("_related"),
        "_length",
        "captured_key",
        "dump_id",
        "position",
        "captured_at",
        "category",
        *_TIMED,
    ).sort(
        ["article_id", "_related", "_length", "captured_key", "dump_id", "position"],
        descending=[False, False, True, False, False, False],
        maintain_order=True,
    )
    timed = pl.struct(list(_TIMED))
    chosen = ordered.group_by("article_id", maintain_order=True).agg(
        pl.col("_row").first(),
        pl.col("captured_at").min().alias("first_seen_at"),
        pl.col("category").filter(_named("category")).first(),
        pl.coalesce(
            timed.filter(_named("published_text") & ~pl.col("published_after_capture")).first(),
            timed.filter(_named("published_text")).first(),
        ).alias("_timed"),
    )
    # The chosen rows' own columns stay in Arrow, texts and repairs among them: polars
    # gets the few it computes with, and the articles table is put together from both
    # (through polars, every text was copied twice more, in and out).
    taken = frame.select(_BEST).take(chosen.get_column("_row").to_arrow()).combine_chunks()
    best = pl.concat(
        [chosen, pl.DataFrame(taken.select(["role", "language", "url"]))], how="horizontal"
    )
    best = best.join(_publishers(sightings), on="article_id", how="left", maintain_order="left")
    # Language of the articles seen only as cards (a main sighting brings its own):
    # one detect() per such article, in article order, put in place by row number.
    related = best.get_column("role") != "main"
    cards = taken.select(["title", "text"]).filter(related.to_arrow())
    detected: list[str | None] = [None] * best.height
    for at, title, text in zip(
        related.arg_true().to_list(),
        cards.column("title").to_pylist(),
        cards.column("text").to_pylist(),
        strict=True,
    ):
        detected[at] = detect(title, text)
    best = best.with_columns(pl.Series("_detected", detected, dtype=pl.String))
    main = pl.col("role") == "main"
    computed = (
        best.unnest("_timed")
        .select(
            "article_id",
            "source",
            pl.col("sources").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            "category",
            *_TIMED[:3],
            pl.col("published_after_capture").fill_null(False),
            pl.when(main).then(pl.col("language")).otherwise(pl.col("_detected")).alias("language"),
            pl.when(main).then(pl.col("url")).otherwise(None).alias("url"),
            "first_seen_at",
        )
        .to_arrow()
    )
    articles = _articles(computed, taken)
    placed = sightings.select(
        pl.format("{}-{}", "dump_id", pl.col("position").cast(pl.String).str.zfill(4)).alias(
            "sighting_id"
        ),
        "source",
        *_TIMED,
        (pl.col("_length") > 0).alias("has_text"),
    ).to_arrow()
    # What the settling leaves as it was comes from the frame itself (same rows, same
    # order): the titles above all, which polars never holds.
    for name in _UNSETTLED:
        placed = placed.append_column(FRAME_SCHEMA.field(name), frame.column(name))
    return conform("articles", articles), conform("sightings", placed)


def _articles(computed: pa.Table, taken: pa.Table) -> pa.Table:
    """The articles table (columns by name; `conform` orders and types them): what the
    group-bys computed, and each chosen sighting's own columns as Arrow took them."""
    rows = taken.num_rows
    where = {name: taken.column(name).combine_chunks() for name in (*_WHERE, "repairs")}
    where["layout"] = pc.fill_null(taken.column("layout").combine_chunks(), "")
    where["parser_version"] = pa.repeat(PARSER_VERSION, rows)
    where["builder_version"] = pa.repeat(__version__, rows)
    order = [*_WHERE, "layout", "parser_version", "builder_version", "repairs"]
    provenance = pa.StructArray.from_arrays([where[name] for name in order], names=order)
    own = {name: taken.column(name) for name in ("role", "title", "text", "text_is_teaser")}
    return pa.Table.from_arrays(
        [*computed.columns, *own.values(), provenance],
        names=[*computed.column_names, *own, "provenance"],
    )
