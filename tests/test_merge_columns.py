"""The columnar merge (what the engines run) gives the very tables of the reference merge
(`merge.merge` on Python objects, then `contract.tables.to_tables`), on the cases where
a rule could slip: ties in the choice of the best sighting, missing publishers, teaser
against full text, one title written several ways, glued publisher lines, odd times."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.contract.tables import to_tables
from builder.engines import partitioned
from builder.inputs.read import iter_dumps
from builder.inputs.walk import find_inputs
from builder.merge import known_publishers, merge, merge_columns, sightings_frame
from builder.records import (
    Dump,
    DumpResult,
    Repair,
    Sighting,
    SourceSplit,
    article_id_for,
)
from tests.helpers import corpus_module, parsed_dump

WHEN = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "dumps"


def _dump(name: str, when: datetime = WHEN, url: str | None = None) -> Dump:
    return parsed_dump(name, when, url=url)


def _sighting(
    dump: Dump,
    position: int,
    title: str,
    source: str | None = None,
    text: str | None = None,
    role: str = "related",
    **more: object,
) -> Sighting:
    fields: dict[str, object] = {
        "dump_id": dump.dump_id,
        "position": position,
        "role": role,
        "title": title,
        "source": source,
        "category": None,
        "published_text": None,
        "published_at": None,
        "published_at_uncertainty_s": None,
        "text": text,
        "text_is_teaser": role == "related",
        "line_start": 1 + position,
        "line_end": 2 + position,
        "text_byte_start": 0 if text else None,
        "text_byte_end": len(text or "") or None,
        **more,
    }
    return Sighting(**fields)  # type: ignore[arg-type]


def _reference(results: list[DumpResult]) -> dict[str, pa.Table]:
    tables = to_tables(merge(results))
    return {name: tables[name] for name in ("articles", "sightings")}


def _columnar(results: list[DumpResult]) -> dict[str, pa.Table]:
    """What the engines do: each dump's share as its own frame, merged at once."""
    frames = [sightings_frame([(r.dump, r.sightings)]) for r in results]
    known = known_publishers(s for r in results for s in r.sightings)
    articles, placed = merge_columns(pa.concat_tables(frames), known)
    return {
        "articles": articles.sort_by("article_id"),
        "sightings": placed.sort_by(partitioned.SORT_KEYS["sightings"]),
    }


def assert_same(results: list[DumpResult]) -> dict[str, pa.Table]:
    expected, actual = _reference(results), _columnar(results)
    for name, table in expected.items():
        assert actual[name].schema.equals(table.schema, check_metadata=True), name
        assert actual[name].to_pylist() == table.to_pylist(), name
        assert actual[name].equals(table), name
    return actual


def test_ties_in_the_best_sighting_fall_to_dump_id_then_position() -> None:
    a, b = _dump("a.txt"), _dump("b.txt")
    results = [
        DumpResult(a, (_sighting(a, 3, "Tie", "P", "same"), _sighting(a, 1, "tie", "P", "same"))),
        DumpResult(b, (_sighting(b, 0, "TIE", "P", "same"),)),
    ]
    articles = assert_same(results)["articles"].to_pylist()
    first = min(a.dump_id, b.dump_id)
    assert articles[0]["provenance"]["dump_id"] == first
    assert articles[0]["provenance"]["position"] == (1 if first == a.dump_id else 0)


def test_main_beats_longer_text_and_longer_text_beats_earlier_capture() -> None:
    early, late, later = (
        _dump(n, WHEN + timedelta(hours=h)) for n, h in (("e", 0), ("l", 1), ("m", 2))
    )
    results = [
        DumpResult(early, (_sighting(early, 0, "Ferry", "P", "teaser"),)),
        DumpResult(late, (_sighting(late, 0, "Ferry", "P", "a much longer teaser"),)),
        DumpResult(later, (_sighting(later, 0, "Ferry", None, "full", role="main"),)),
    ]
    (article,) = assert_same(results)["articles"].to_pylist()
    assert (article["role"], article["text"], article["text_is_teaser"]) == ("main", "full", False)
    assert article["first_seen_at"] == WHEN
    (card,) = assert_same(results[:2])["articles"].to_pylist()
    assert card["text"] == "a much longer teaser"


def test_captures_with_microseconds_and_offsets_keep_the_iso_text_rule() -> None:
    """The preference compares captured_at.isoformat(): an instant given at another
    offset sorts by its text there, and first_seen_at is still the earliest instant."""
    plus_two = timezone(timedelta(hours=2))
    a = _dump("a", WHEN)
    b = _dump("b", datetime(2025, 7, 1, 13, 30, tzinfo=plus_two))  # 11:30 UTC
    c = _dump("c", WHEN + timedelta(microseconds=5))
    results = [DumpResult(d, (_sighting(d, 0, "Clock", "P", "same"),)) for d in (c, b, a)]
    (article,) = assert_same(results)["articles"].to_pylist()
    assert article["provenance"]["dump_id"] == a.dump_id
    assert article["first_seen_at"] == datetime(2025, 7, 1, 11, 30, tzinfo=UTC)


def test_missing_and_empty_publishers_and_texts() -> None:
    a, b, c = _dump("a"), _dump("b"), _dump("c")
    results = [
        DumpResult(a, (_sighting(a, 0, "Quiet", None, None), _sighting(a, 1, "Blank", "", ""))),
        DumpResult(b, (_sighting(b, 0, "Quiet", "", "", role="main"),)),
        DumpResult(c, (_sighting(c, 0, "Blank", None, None),)),
    ]
    tables = assert_same(results)
    assert {(r["source"], tuple(r["sources"])) for r in tables["articles"].to_pylist()} == {
        (None, ())
    }
    assert not any(tables["sightings"].column("has_text").to_pylist())


def test_publisher_renderings_counts_and_main_pages() -> None:
    a, b, c, d, e = (_dump(n) for n in "abcde")
    results = [
        DumpResult(a, (_sighting(a, 0, "Weather warning", "City News", "x"),)),
        DumpResult(b, (_sighting(b, 0, "Weather  warning", "city news", "y"),)),
        DumpResult(c, (_sighting(c, 0, "weather warning", "city news", "w"),)),
        DumpResult(d, (_sighting(d, 0, "Weather warning", "Coastal Post", "z"),)),
        DumpResult(d, (_sighting(d, 1, "Gale", "Zed", "t"), _sighting(d, 2, "Gale", "Alpha", "t"))),
        DumpResult(e, (_sighting(e, 0, "Gale", "Zed", "long full text", role="main"),)),
        DumpResult(e, (_sighting(e, 1, "Tie", "Zed", "t"), _sighting(e, 2, "Tie", "Alpha", "t"))),
    ]
    by_title = {r["title"].casefold(): r for r in assert_same(results)["articles"].to_pylist()}
    assert by_title["weather warning"]["source"] == "city news"  # the most common rendering
    assert by_title["weather warning"]["sources"] == ["Coastal Post", "city news"]
    assert by_title["gale"]["source"] == "Zed"  # named by the main page
    assert by_title["tie"]["source"] == "Alpha"  # a tie goes to the alphabetically first


def test_times_categories_and_glued_publisher_lines() -> None:
    a, b, c = _dump("a"), _dump("b"), _dump("c")
    late = {"published_text": "in 3 hours", "published_after_capture": True}
    timed = {
        "published_text": "2 hours ago",
        "published_at": WHEN - timedelta(hours=2),
        "published_at_uncertainty_s": 3600,
    }
    glued = {
        "source_alternatives": (
            SourceSplit("Radio 101", "5 hours ago", WHEN - timedelta(hours=5), 3600),
            SourceSplit("Radio 1", "015 hours ago", None, None, True),
        ),
        "published_text": "15 hours ago",
        "published_at": WHEN - timedelta(hours=15),
        "published_at_uncertainty_s": 3600,
    }
    results = [
        DumpResult(a, (_sighting(a, 0, "Storm", "P", "longest text here", **late),)),
        DumpResult(b, (_sighting(b, 0, "Storm", "P", "short", category="", **timed),)),
        DumpResult(c, (_sighting(c, 0, "Storm", "Q", "x", category="Weather"),)),
        DumpResult(c, (_sighting(c, 1, "Radio", "Radio 10", "t", **glued),)),
        DumpResult(a, (_sighting(a, 1, "Other", "Radio 101", "t"),)),
        DumpResult(b, (_sighting(b, 1, "Lonely", "Radio 10", "t", **glued),)),
    ]
    tables = assert_same(results)
    by_title = {r["title"]: r for r in tables["articles"].to_pylist()}
    assert by_title["Storm"]["published_text"] == "2 hours ago"  # not the one after capture
    assert by_title["Storm"]["category"] == "Weather"
    assert by_title["Radio"]["source"] == "Radio 101"  # settled by the corpus's publishers
    assert by_title["Radio"]["published_text"] == "5 hours ago"


def test_repairs_urls_layouts_and_languages_come_from_the_best_sighting() -> None:
    a = _dump("a", url="https://example.org/a")
    b = Dump(**{**vars(_dump("b", url="https://example.org/b")), "layout": None})
    repairs = (Repair("join_lines", 3, "joined"), Repair("drop_junk_line", 5, "menu"))
    results = [
        DumpResult(
            a,
            (
                _sighting(a, 0, "Harbour opens", None, "Full text. " * 9, "main", language="en"),
                _sighting(a, 1, "Only a card here", "P", "The card's teaser", repairs=repairs),
            ),
        ),
        DumpResult(b, (_sighting(b, 0, "Harbour opens", "P", "t", repairs=repairs),)),
    ]
    by_title = {r["title"]: r for r in assert_same(results)["articles"].to_pylist()}
    assert by_title["Harbour opens"]["url"] == "https://example.org/a"
    assert by_title["Harbour opens"]["provenance"]["repairs"] == []
    assert by_title["Only a card here"]["url"] is None
    assert len(by_title["Only a card here"]["provenance"]["repairs"]) == 2
    assert by_title["Only a card here"]["language"] is not None  # detected by the merge


def test_an_empty_partition_gives_empty_contract_tables() -> None:
    articles, placed = merge_columns(sightings_frame([]), frozenset())
    assert (articles.num_rows, placed.num_rows) == (0, 0)
    assert articles.schema == to_tables(merge([]))["articles"].schema


_TITLES = st.sampled_from(["Dock strike", "dock  strike", "DOCK STRIKE", "Gale", "Pier", "Ｐier"])
_SOURCES = st.sampled_from([None, "", "Harbour Times", "harbour  times", "Alpha", "Zed", " "])
_TEXTS = st.sampled_from([None, "", "t", "u", "teaser text", "a full text of the story"])


@st.composite
def _corpus(draw: st.DrawFn) -> list[DumpResult]:
    results = []
    for index in range(draw(st.integers(1, 6))):
        hours = draw(st.sampled_from([0, 0, 1, 2]))
        dump = _dump(f"d{index}", WHEN + timedelta(hours=hours))
        sightings = tuple(
            _sighting(
                dump,
                position,
                draw(_TITLES),
                draw(_SOURCES),
                draw(_TEXTS),
                draw(st.sampled_from(["main", "related", "related"])),
                category=draw(st.sampled_from([None, "", "Sport", "News"])),
                published_text=draw(st.sampled_from([None, "", "1 hour ago"])),
                published_after_capture=draw(st.booleans()),
            )
            for position in range(draw(st.integers(0, 4)))
        )
        results.append(DumpResult(dump, sightings))
    return results


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corpus())
def test_the_columnar_merge_equals_the_reference_on_random_groups(
    results: list[DumpResult],
) -> None:
    assert_same(results)


def test_the_columnar_merge_equals_the_reference_on_a_generated_corpus(tmp_path: Path) -> None:
    corpus_module().generate_corpus(tmp_path / "gen", 150, seed=11)
    (tmp_path / "gen" / "truth.json").unlink()
    shutil.copytree(SAMPLES, tmp_path / "samples")
    raws = iter_dumps(find_inputs([str(tmp_path)]), captured_at=WHEN)
    results = [partitioned.per_dump(raw) for raw in raws]
    tables = assert_same(results)
    assert tables["articles"].num_rows > 100
    assert set(tables["sightings"].column("article_id").to_pylist()) == {
        article_id_for(s.title) for r in results for s in r.sightings
    }


def test_the_frame_holds_every_field_of_every_sighting_and_its_dump() -> None:
    """`sightings_frame` builds its columns in bulk (repairs as flat columns, a dump's
    fields once per dump): each row still holds its sighting's values."""
    results = [
        partitioned.per_dump(raw)
        for raw in iter_dumps(find_inputs([str(SAMPLES)]), captured_at=WHEN)
    ]
    groups = [(r.dump, r.sightings) for r in results if r.sightings]
    rows = sightings_frame(groups).to_pylist()
    pairs = [(d, s) for d, group in groups for s in group]
    assert len(rows) == len(pairs) and any(s.repairs for _, s in pairs)
    for row, (dump, s) in zip(rows, pairs, strict=True):
        for name in ("dump_id", "position", "role", "title", "source", "text", "language"):
            assert row[name] == getattr(s, name)
        assert row["published_at"] == s.published_at
        assert row["repairs"] == [vars(r) for r in s.repairs]
        assert [a["source"] for a in row["alternatives"]] == [
            a.source for a in s.source_alternatives
        ]
        assert (row["dump_path"], row["dump_sha256"], row["layout"]) == (
            dump.path,
            dump.sha256,
            dump.layout,
        )
        assert row["captured_at"] == dump.captured_at
        assert row["captured_key"] == dump.captured_at.isoformat()


def test_the_longest_text_is_counted_in_characters_not_bytes() -> None:
    """The lengths are taken in Arrow (`utf8_length`); Python's `len` counts
    characters, so four plain letters beat three accented ones of two bytes each."""
    a, b = _dump("a.txt"), _dump("b.txt")
    results = [
        DumpResult(a, (_sighting(a, 0, "Storm", "P", "ééé"),)),
        DumpResult(b, (_sighting(b, 0, "Storm", "P", "abcd"),)),
    ]
    tables = assert_same(results)
    assert tables["articles"].column("text").to_pylist() == ["abcd"]


def test_merging_leaves_the_frame_as_it_was_and_gives_the_same_tables_again() -> None:
    """Glued lines are settled by writing into the merge's own columns, and the chosen
    rows are taken from the frame: the frame given (several chunks) stays as it was."""
    a, b = _dump("a"), _dump("b")
    glued = {
        "source_alternatives": (
            SourceSplit("Radio 101", "5 hours ago", WHEN - timedelta(hours=5), 3600),
        ),
        "published_text": "15 hours ago",
    }
    frame = pa.concat_tables(
        [
            sightings_frame([(a, [_sighting(a, 0, "Radio", "Radio 10", "long text", **glued)])]),
            sightings_frame([(b, [_sighting(b, 0, "Other", "Radio 101", "t", role="main")])]),
        ]
    )
    before = frame.to_pylist()
    first = merge_columns(frame, {"radio 101"})
    second = merge_columns(frame, {"radio 101"})
    assert frame.to_pylist() == before
    assert first[0].equals(second[0]) and first[1].equals(second[1])
    settled = {r["title"]: r["source"] for r in first[1].to_pylist()}
    assert settled == {"Radio": "Radio 101", "Other": "Radio 101"}
