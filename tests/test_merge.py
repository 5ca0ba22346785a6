"""Merging sightings into articles, on hand-made sightings and on a generated corpus."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.build import build
from builder.merge import assign_articles, merge
from builder.records import Dump, DumpResult, Sighting, article_id_for
from builder.release.store import version_paths
from tests.helpers import corpus_module, parsed_dump

WHEN = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


def _dump(name: str, n: int, when: datetime = WHEN) -> Dump:
    return parsed_dump(name, when, n_sightings=n)


def _sighting(
    dump: Dump, position: int, title: str, source: str | None, text: str, role: str = "related"
) -> Sighting:
    return Sighting(
        dump_id=dump.dump_id,
        position=position,
        role=role,  # type: ignore[arg-type]
        title=title,
        source=source,
        category=None,
        published_text="3 hours ago" if source else None,
        published_at=WHEN if source else None,
        published_at_uncertainty_s=3600 if source else None,
        text=text,
        text_is_teaser=role == "related",
        line_start=1,
        line_end=2,
        text_byte_start=0,
        text_byte_end=len(text),
    )


def test_main_without_publisher_joins_its_card() -> None:
    a, b = _dump("a.txt", 1), _dump("b.txt", 1)
    main = _sighting(a, 0, "Ferry adds night sailings", None, "Full text. " * 50, role="main")
    card = _sighting(b, 0, "Ferry  adds night sailings", "Harbour Times", "Teaser...")
    merged = merge([DumpResult(a, (main,)), DumpResult(b, (card,))])
    assert len(merged.articles) == 1
    article = merged.articles[0]
    assert (article.role, article.source) == ("main", "Harbour Times")
    assert [aid for aid, _ in merged.sightings] == [article.article_id] * 2
    assert article.text == main.text and not article.text_is_teaser
    assert article.article_id == article_id_for("Ferry adds night sailings")
    assert article.sources == ("Harbour Times",)
    assert article.provenance.dump_id == a.dump_id
    assert article.published_text == "3 hours ago"  # from the card: the main showed no time


def test_a_title_shared_by_two_publishers_is_one_article_with_both() -> None:
    a, b, c, d = (_dump(f"{n}.txt", 1) for n in "abcd")
    one = _sighting(a, 0, "Weather warning", "Coastal Post", "x")
    two = _sighting(b, 0, "Weather warning", "City News", "y")
    three = _sighting(d, 0, "Weather  warning", "city news", "w")
    bare = _sighting(c, 0, "Weather warning", None, "z", role="main")
    groups = assign_articles([one, two, three, bare])
    assert list(groups) == [article_id_for("Weather warning")]
    merged = merge([DumpResult(x, (s,)) for x, s in ((a, one), (b, two), (c, bare), (d, three))])
    (article,) = merged.articles
    # No main page named a publisher: the most frequent one (city news twice) wins.
    assert article.source == "City News"
    assert article.sources == ("City News", "Coastal Post")
    assert {s.source for _, s in merged.sightings} == {
        "Coastal Post",
        "City News",
        "city news",
        None,
    }


def test_the_main_pages_publisher_is_the_source() -> None:
    a, b, c = _dump("a.txt", 1), _dump("b.txt", 1), _dump("c.txt", 1)
    main = _sighting(a, 0, "Dock strike ends", "Harbour Times", "Full text. " * 20, role="main")
    cards = [_sighting(x, 0, "Dock strike ends", "Coastal Post", "t") for x in (b, c)]
    merged = merge([DumpResult(a, (main,)), DumpResult(b, (cards[0],)), DumpResult(c, (cards[1],))])
    (article,) = merged.articles
    assert article.source == "Harbour Times"  # named by the main page, though less often
    assert article.sources == ("Coastal Post", "Harbour Times")


def test_a_tie_between_publishers_goes_to_the_alphabetically_first() -> None:
    a, b = _dump("a.txt", 1), _dump("b.txt", 1)
    one = _sighting(a, 0, "Gale warning", "Zed Weekly", "t")
    two = _sighting(b, 0, "Gale warning", "Alpha Post", "t")
    for order in ((a, one), (b, two)), ((b, two), (a, one)):
        (article,) = merge([DumpResult(d, (s,)) for d, s in order]).articles
        assert (article.source, article.sources) == ("Alpha Post", ("Alpha Post", "Zed Weekly"))


def test_a_publisher_seen_later_keeps_the_article_id() -> None:
    a, b = _dump("a.txt", 1), _dump("b.txt", 1)
    main = _sighting(a, 0, "Pier reopens", None, "Full text. " * 20, role="main")
    before = merge([DumpResult(a, (main,))]).articles
    card = _sighting(b, 0, "Pier reopens", "Island Wire", "Teaser")
    after = merge([DumpResult(a, (main,)), DumpResult(b, (card,))]).articles
    assert [x.article_id for x in before] == [x.article_id for x in after]
    assert (before[0].source, before[0].sources) == (None, ())
    assert (after[0].source, after[0].sources) == ("Island Wire", ("Island Wire",))


def test_article_ids_do_not_depend_on_order() -> None:
    a, b = _dump("a.txt", 2), _dump("b.txt", 1)
    s = [
        _sighting(a, 0, "One", "P", "t"),
        _sighting(a, 1, "Two", "P", "t"),
        _sighting(b, 0, "One", "P", "longer teaser"),
    ]
    forward = merge([DumpResult(a, tuple(s[:2])), DumpResult(b, (s[2],))])
    backward = merge([DumpResult(b, (s[2],)), DumpResult(a, tuple(s[:2]))])
    assert forward == backward
    assert [x.text for x in forward.articles if x.title == "One"] == ["longer teaser"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, Path]:  # type: ignore[type-arg]
    corpus = corpus_module()
    root = tmp_path_factory.mktemp("generated")
    truth = corpus.generate_corpus(root / "dumps", 1000, seed=7, mean_size=3000)
    out = root / "dataset"
    build([str(root / "dumps" / "*.txt")], out, captured_at=WHEN)
    return truth, out / "versions" / "1.0.0"


def test_generated_corpus_has_one_row_per_distinct_article(generated) -> None:  # type: ignore[no-untyped-def]
    truth, release = generated
    articles = pq.read_table(version_paths(release, "articles")).to_pylist()
    placed = [a for d in truth for a in d.articles]
    assert len(truth) >= 1000
    distinct = {a.title for a in placed}
    assert len(articles) == len(distinct)
    assert len({a["article_id"] for a in articles}) == len(articles)
    by_title = {a["title"]: a for a in articles}
    true_source = {a.title: a.true_source for a in placed}
    shown = {a.title for a in placed if a.source is not None}
    for title in distinct:
        row = by_title[title]
        assert row["source"] == (true_source[title] if title in shown else None), title
    counts = Counter(a.title for a in placed)
    sightings = pq.read_table(version_paths(release, "sightings")).column("article_id")
    seen = Counter(sightings.to_pylist())
    assert {t: seen[by_title[t]["article_id"]] for t in distinct} == dict(counts)
    mains = {a.title for a in placed if a.role == "main"}
    assert {a["title"] for a in articles if a["role"] == "main"} == mains
    # Popularity is skewed: the most seen card is in many dumps.
    assert max(counts.values()) > 50


def test_generated_corpus_sightings_match_what_was_placed(generated) -> None:  # type: ignore[no-untyped-def]
    truth, release = generated
    sightings = pq.read_table(version_paths(release, "sightings")).to_pylist()
    dumps = {d["dump_id"]: d for d in pq.read_table(version_paths(release, "dumps")).to_pylist()}
    assert len(sightings) == sum(len(d.articles) for d in truth)
    assert all(d["status"] == "parsed" for d in dumps.values())
    got: dict[str, list[tuple]] = {}  # type: ignore[type-arg]
    for s in sorted(sightings, key=lambda s: (s["dump_id"], s["position"])):
        got.setdefault(dumps[s["dump_id"]]["path"], []).append(
            (s["role"], s["title"], s["source"], s["published_text"], s["category"])
        )
    for d in truth:
        want = [(a.role, a.title, a.source, a.time_text, a.category) for a in d.articles]
        assert got.get(d.name, []) == want, d.name
