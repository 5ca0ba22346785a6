"""Resolve the time texts a page shows ("3 hours ago", "12-03-2025") to UTC times.

A strict parser for the forms the layouts declare: guessing libraries read words such
as "May" or "The Sun" as dates, and a wrong time is worse than none.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from builder.parse.layouts.registry import Layout


class ResolvedTime(NamedTuple):
    """A time text read: when, and how far off it may be (a named tuple: one is made for
    nearly every sighting, and a tuple is built several times faster than a dataclass)."""

    at: datetime
    uncertainty_s: int


def resolve(text: str | None, captured_at: datetime, layout: Layout) -> ResolvedTime | None:
    """The publication time a page's time text means, seen at `captured_at`.

    Relative texts count back from the capture time (the page rounds down, so the true
    time lies up to one unit earlier); dates are day-first and give midnight UTC.
    Returns None for text that is not one of the layout's time forms.
    """
    if not text:
        return None
    text = text.strip()
    for form in layout.times:
        m = form.pattern.fullmatch(text)
        if m is None:
            continue
        if form.is_date:
            try:
                day = datetime(int(m["year"]), int(m["month"]), int(m["day"]), tzinfo=UTC)
            except ValueError:  # 31-02-2025: looks like a date, is not one
                return None
            return ResolvedTime(day, form.uncertainty)
        age = form.seconds if form.seconds is not None else int(m["n"]) * (form.unit or 0)
        at = captured_at.astimezone(UTC).replace(microsecond=0) - timedelta(seconds=age)
        return ResolvedTime(at, form.uncertainty)
    return None
