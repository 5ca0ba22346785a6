"""Resolve the time texts a page shows ("3 hours ago", "12-03-2025") to UTC times.

A strict parser for the forms the layouts declare: guessing libraries read words such
as "May" or "The Sun" as dates, and a wrong time is worse than none.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from builder.parse.layouts.registry import Layout, TimeForm


class ResolvedTime(NamedTuple):
    """A time text read: when, and how far off it may be (a named tuple: one is made for
    nearly every sighting, and a tuple is built several times faster than a dataclass)."""

    at: datetime
    uncertainty_s: int


class _Reading(NamedTuple):
    """What a time text says before the capture time is known: a day, or an age."""

    day: datetime | None  # midnight UTC of a date
    age: timedelta  # before the capture, for a relative time
    uncertainty_s: int


#: Time texts read before, with the forms they were read by: a site shows a few dozen
#: texts ("3 hours ago", today's date) on every page, and trying each form for each
#: sighting was most of the cost of its time. An entry keeps its forms alive, so that
#: their id is theirs alone while it is here. Emptied when full (dates add one a day);
#: a text longer than `READING_CHARS` (no time text is) is read each time, never kept.
_READ: dict[tuple[str, int], tuple[tuple[TimeForm, ...], _Reading | None]] = {}
READINGS_REMEMBERED = 4096
READING_CHARS = 100


def resolve(text: str | None, captured_at: datetime, layout: Layout) -> ResolvedTime | None:
    """The publication time a page's time text means, seen at `captured_at`.

    Relative texts count back from the capture time (the page rounds down, so the true
    time lies up to one unit earlier); dates are day-first and give midnight UTC.
    Returns None for text that is not one of the layout's time forms.
    """
    if not text:
        return None
    text = text.strip()
    forms = layout.times
    known = _READ.get((text, id(forms)))
    if known is not None:
        reading = known[1]
    else:
        reading = _read(text, forms)
        if len(text) <= READING_CHARS:
            if len(_READ) >= READINGS_REMEMBERED:
                _READ.clear()
            _READ[(text, id(forms))] = (forms, reading)
    if reading is None:
        return None
    if reading.day is not None:
        return _tuple(ResolvedTime, (reading.day, reading.uncertainty_s))
    return _tuple(ResolvedTime, (_whole_seconds(captured_at) - reading.age, reading.uncertainty_s))


#: Builds a named tuple without calling its `__new__`, a Python function (one per
#: sighting; see `Traced` in repair.py).
_tuple = tuple.__new__
#: The last capture time seen and its UTC time in whole seconds: every sighting of a
#: dump has the same capture time (the same object), converted once.
_last_capture: list[datetime] = []


def _whole_seconds(captured_at: datetime) -> datetime:
    """`captured_at` in UTC, its microseconds dropped (remembered for the last one)."""
    if _last_capture and _last_capture[0] is captured_at:
        return _last_capture[1]
    at = captured_at.astimezone(UTC)
    if at.microsecond:
        at = at.replace(microsecond=0)
    _last_capture[:] = [captured_at, at]
    return at


def _read(text: str, forms: tuple[TimeForm, ...]) -> _Reading | None:
    """The first form `text` is in, read; None if it is in none (or is no real date)."""
    for form in forms:
        m = form.pattern.fullmatch(text)
        if m is None:
            continue
        if form.is_date:
            try:
                day = datetime(int(m["year"]), int(m["month"]), int(m["day"]), tzinfo=UTC)
            except ValueError:  # 31-02-2025: looks like a date, is not one
                return None
            return _Reading(day, timedelta(0), form.uncertainty)
        age = form.seconds if form.seconds is not None else int(m["n"]) * (form.unit or 0)
        return _Reading(None, timedelta(seconds=age), form.uncertainty)
    return None
