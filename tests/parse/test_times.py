"""Time texts resolved against a fixed capture time, for every form the layouts declare."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from builder.parse import times
from builder.parse.layouts import load_layouts
from builder.parse.times import ResolvedTime, resolve

EN, AR = (next(lay for lay in load_layouts() if lay.language == code) for code in ("en", "ar"))
CAPTURED = datetime(2025, 8, 1, 12, 0, 30, tzinfo=UTC)
MIN, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("text", "at", "uncertainty"),
    [
        ("a few seconds ago", datetime(2025, 8, 1, 12, 0, 30, tzinfo=UTC), MIN),
        ("a minute ago", datetime(2025, 8, 1, 11, 59, 30, tzinfo=UTC), MIN),
        ("1 minutes ago", datetime(2025, 8, 1, 11, 59, 30, tzinfo=UTC), MIN),
        ("5 minutes ago", datetime(2025, 8, 1, 11, 55, 30, tzinfo=UTC), MIN),
        ("59 minutes ago", datetime(2025, 8, 1, 11, 1, 30, tzinfo=UTC), MIN),
        ("an hour ago", datetime(2025, 8, 1, 11, 0, 30, tzinfo=UTC), HOUR),
        ("3 hours ago", datetime(2025, 8, 1, 9, 0, 30, tzinfo=UTC), HOUR),
        ("23 hours ago", datetime(2025, 7, 31, 13, 0, 30, tzinfo=UTC), HOUR),
        ("a day ago", datetime(2025, 7, 31, 12, 0, 30, tzinfo=UTC), DAY),
        ("3 days ago", datetime(2025, 7, 29, 12, 0, 30, tzinfo=UTC), DAY),
        ("30 days ago", datetime(2025, 7, 2, 12, 0, 30, tzinfo=UTC), DAY),
        ("12-03-2025", datetime(2025, 3, 12, tzinfo=UTC), DAY),
        ("29-02-2024", datetime(2024, 2, 29, tzinfo=UTC), DAY),
        ("  3 hours ago \n", datetime(2025, 8, 1, 9, 0, 30, tzinfo=UTC), HOUR),
    ],
)
def test_english_time_forms(text: str, at: datetime, uncertainty: int) -> None:
    assert resolve(text, CAPTURED, EN) == ResolvedTime(at, uncertainty)


def test_every_english_time_form_is_covered_above() -> None:
    samples = ["a few seconds ago", "a minute ago", "5 minutes ago", "an hour ago"]
    samples += ["3 hours ago", "a day ago", "3 days ago", "12-03-2025"]
    for form in EN.times:
        assert any(form.pattern.fullmatch(s) for s in samples), form.pattern.pattern


def test_absolute_dates_are_day_first() -> None:
    resolved = resolve("04-07-2025", CAPTURED, EN)
    assert resolved is not None
    assert (resolved.at.year, resolved.at.month, resolved.at.day) == (2025, 7, 4)
    assert resolved.at.tzinfo == UTC
    assert (resolved.at.hour, resolved.at.minute) == (0, 0)


def test_dates_do_not_depend_on_capture_time() -> None:
    other = datetime(2030, 1, 1, tzinfo=UTC)
    assert resolve("04-07-2025", CAPTURED, EN) == resolve("04-07-2025", other, EN)


@pytest.mark.parametrize(
    "text",
    ["31-02-2025", "29-02-2025", "00-01-2025", "32-01-2025", "01-13-2025", "01-00-2025"],
)
def test_impossible_dates_are_none(text: str) -> None:
    assert resolve(text, CAPTURED, EN) is None


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "yesterday",
        "May",
        "The Sun",
        "183 days ago",
        "31 days ago",
        "24 hours ago",
        "60 minutes ago",
        "3 Hours Ago",
        "3 hours ago.",
        "about 3 hours ago",
        "2025-03-12",
        "12/03/2025",
        "12-03-25",
        "منذ ساعة واحدة",  # Arabic text in the English layout
    ],
)
def test_unknown_text_is_none(text: str | None) -> None:
    assert resolve(text, CAPTURED, EN) is None


def test_arabic_an_hour_ago() -> None:
    assert resolve("منذ ساعة واحدة", CAPTURED, AR) == ResolvedTime(
        datetime(2025, 8, 1, 11, 0, 30, tzinfo=UTC), HOUR
    )
    assert resolve("an hour ago", CAPTURED, AR) is None
    assert resolve("12-03-2025", CAPTURED, AR) == ResolvedTime(
        datetime(2025, 3, 12, tzinfo=UTC), DAY
    )


def test_capture_time_in_another_zone_is_converted_to_utc() -> None:
    captured = datetime(2025, 8, 1, 14, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    resolved = resolve("3 hours ago", captured, EN)
    assert resolved is not None
    assert resolved.at == datetime(2025, 8, 1, 9, 0, 30, tzinfo=UTC)
    assert resolved.at.utcoffset() == timedelta(0)
    assert resolved.at.tzinfo == UTC


def test_microseconds_are_dropped() -> None:
    captured = datetime(2025, 8, 1, 12, 0, 30, 987654, tzinfo=UTC)
    resolved = resolve("a minute ago", captured, EN)
    assert resolved is not None
    assert resolved.at == datetime(2025, 8, 1, 11, 59, 30, tzinfo=UTC)
    assert resolved.at.microsecond == 0


def test_relative_times_cross_month_and_year() -> None:
    captured = datetime(2025, 1, 1, 0, 30, tzinfo=UTC)
    resolved = resolve("an hour ago", captured, EN)
    assert resolved is not None
    assert resolved.at == datetime(2024, 12, 31, 23, 30, tzinfo=UTC)


def test_a_text_read_before_is_read_again_for_another_capture_time_and_layout() -> None:
    """Readings are remembered per layout's forms; the capture time still counts."""
    times._READ.clear()
    first = resolve("3 hours ago", CAPTURED, EN)
    later = CAPTURED + timedelta(days=1)
    assert resolve("3 hours ago", later, EN) == ResolvedTime(
        datetime(2025, 8, 2, 9, 0, 30, tzinfo=UTC), HOUR
    )
    assert first == ResolvedTime(datetime(2025, 8, 1, 9, 0, 30, tzinfo=UTC), HOUR)
    assert resolve("3 hours ago", CAPTURED, AR) is None  # not an Arabic form
    assert resolve("31-02-2025", CAPTURED, EN) is None
    assert resolve("31-02-2025", CAPTURED, EN) is None  # remembered as no time


def test_remembered_readings_are_emptied_when_full() -> None:
    for day in range(1, 29):
        for month in range(1, 13):
            for year in range(2000, 2000 + times.READINGS_REMEMBERED // 300 + 2):
                resolve(f"{day:02d}-{month:02d}-{year}", CAPTURED, EN)
    assert 0 < len(times._READ) <= times.READINGS_REMEMBERED
    assert resolve("12-03-2025", CAPTURED, EN) == ResolvedTime(
        datetime(2025, 3, 12, tzinfo=UTC), DAY
    )


def test_a_long_text_is_read_but_not_remembered() -> None:
    times._READ.clear()
    text = "3 hours ago" + " x" * times.READING_CHARS
    assert resolve(text, CAPTURED, EN) is None
    assert resolve("3 hours ago", CAPTURED, EN) is not None
    assert len(times._READ) == 1
