"""`resolve`'s fast paths (named tuples filled at once, the last capture time converted
once) against the plain definition, on time texts of my own and capture times that
change, repeat as the same object, or are equal but other objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import product

from builder.parse import times
from builder.parse.layouts import load_layouts
from builder.parse.times import ResolvedTime, resolve

LAYOUTS = load_layouts()
TEXTS = [
    "a few seconds ago",
    "5 minutes ago",
    "an hour ago",
    "3 hours ago",
    "2 days ago",
    "12-03-2025",
    "31-02-2025",
    "منذ ساعة",
    "منذ 3 ساعات",
    "not a time",
    "",
]
CAPTURES = [
    datetime(2025, 8, 1, 12, 0, 30, tzinfo=UTC),
    datetime(2025, 8, 1, 12, 0, 30, 999, tzinfo=UTC),
    datetime(2025, 8, 1, 14, 0, 30, 5, tzinfo=timezone(timedelta(hours=2))),
    datetime(2025, 12, 31, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=-5))),
]


def _plain(text: str | None, captured_at: datetime, layout) -> ResolvedTime | None:  # type: ignore[no-untyped-def]
    """The definition: the first form the stripped text is in, read at `captured_at`."""
    if not text:
        return None
    reading = times._read(text.strip(), layout.times)
    if reading is None:
        return None
    if reading.day is not None:
        return ResolvedTime(reading.day, reading.uncertainty_s)
    at = captured_at.astimezone(UTC).replace(microsecond=0)
    return ResolvedTime(at - reading.age, reading.uncertainty_s)


def _same(a: ResolvedTime | None, b: ResolvedTime | None) -> bool:
    return type(a) is type(b) and a == b and repr(a) == repr(b)


def _captures() -> list[datetime]:
    """Each capture time several times over: the same object in a row, then an equal one
    that is another object, then the next."""
    out = []
    for c in CAPTURES:
        copy = datetime.fromisoformat(c.isoformat())
        out += [c, c, copy, c]
    return out + CAPTURES[::-1]


def test_resolve_equals_the_plain_definition() -> None:
    times._READ.clear()
    seen = 0
    for captured, layout, text in product(_captures(), LAYOUTS, TEXTS):
        got = resolve(text, captured, layout)
        want = _plain(text, captured, layout)
        assert _same(got, want), (text, captured, layout.name)
        seen += got is not None
    assert seen > 0
    fast = resolve("3 hours ago", CAPTURES[2], LAYOUTS[0])
    assert fast is not None and type(fast) is ResolvedTime
    assert fast.at.microsecond == 0 and fast.at.tzinfo is UTC


def test_the_comparison_can_fail() -> None:
    """An answer read at another capture time, or a plain tuple, is told apart."""
    layout = next(lay for lay in LAYOUTS if lay.language == "en")
    first, second = CAPTURES[0], CAPTURES[3]
    assert not _same(resolve("3 hours ago", first, layout), _plain("3 hours ago", second, layout))
    want = _plain("3 hours ago", first, layout)
    assert want is not None
    assert not _same(tuple(want), want)  # type: ignore[arg-type]
