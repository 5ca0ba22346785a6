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

from builder import PARSER_VERSION, __version__
from builder.parse.language import detect
from builder.records import (
    Article,
    Dump,
    DumpResult,
    Merged,
    Provenance,
    Sighting,
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
    timed = next((s for s in ordered if s.published_text), None)
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
        n_sightings=len(group),
        first_seen_at=min(dumps[s.dump_id].captured_at for s in group),
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
