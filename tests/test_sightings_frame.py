"""The batch step's sightings frame (merge.sightings_frame) holds each dump's own columns
as the dump gives them, whether dumps share one capture time object or not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from builder.engines.partitioned import per_dump
from builder.inputs.read import read_dumps
from builder.merge import FRAME_SCHEMA, sightings_frame
from tests.releasing import corpus

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)


def test_each_sighting_gets_its_own_dump_s_capture_time_and_key(tmp_path: Path) -> None:
    raws = list(read_dumps([str(corpus(tmp_path / "c", 12, seed=3))], captured_at=WHEN))
    results = [per_dump(raw) for raw in raws]
    # Runs of dumps sharing one datetime object (as --captured-at gives them), then
    # dumps with times of their own, equal to it or not.
    results = [
        r if i < 4 else replace(r, dump=replace(r.dump, captured_at=WHEN + timedelta(i % 3)))
        for i, r in enumerate(results)
    ]
    frame = sightings_frame((r.dump, r.sightings) for r in results)
    assert frame.schema.equals(FRAME_SCHEMA)
    owners = [r.dump for r in results for _ in r.sightings]
    assert len(owners) == frame.num_rows > 0
    assert frame.column("captured_key").to_pylist() == [d.captured_at.isoformat() for d in owners]
    assert frame.column("captured_at").to_pylist() == [d.captured_at for d in owners]
    assert frame.column("dump_path").to_pylist() == [d.path for d in owners]


def test_times_in_another_zone_are_held_in_utc_and_alternatives_row_by_row(
    tmp_path: Path,
) -> None:
    """A frame takes times in UTC as they are (`all_utc` says so, or its caller does)
    and converts any other: a sighting's time, or one of a glued line's other readings,
    in another zone gives the frame the UTC one gives. Each row's alternatives are its
    own, in order; rows without any hold an empty list."""
    from datetime import timezone

    from builder.merge import all_utc

    raws = list(read_dumps([str(corpus(tmp_path / "c", 40, seed=9))], captured_at=WHEN))
    results = [per_dump(raw) for raw in raws]
    sightings = [s for r in results for s in r.sightings]
    assert all_utc(sightings)
    frame = sightings_frame((r.dump, r.sightings) for r in results)
    assert frame.equals(sightings_frame(((r.dump, r.sightings) for r in results), utc=True))
    held = frame.column("alternatives").to_pylist()
    assert any(held) and [] in held
    assert [[a["source"] for a in row] for row in held] == [
        [a.source for a in s.source_alternatives] for s in sightings
    ]
    assert [[a["published_at"] for a in row] for row in held] == [
        [a.published_at for a in s.source_alternatives] for s in sightings
    ]

    east = timezone(timedelta(hours=5))

    def moved(s):  # type: ignore[no-untyped-def]
        alternatives = tuple(
            replace(a, published_at=a.published_at and a.published_at.astimezone(east))
            for a in s.source_alternatives
        )
        when = s.published_at and s.published_at.astimezone(east)
        return replace(s, published_at=when, source_alternatives=alternatives)

    elsewhere = [replace(r, sightings=tuple(map(moved, r.sightings))) for r in results]
    assert not all_utc([s for r in elsewhere for s in r.sightings])
    assert sightings_frame((r.dump, r.sightings) for r in elsewhere).equals(frame)
