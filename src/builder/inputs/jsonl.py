"""JSON Lines crawler exports: one dump per record, a quarantined dump per bad record.

A record carries `text` and optionally `url` and `fetched_at`; anything that would have
to be guessed about (not JSON, no text, an unparseable time) is quarantined instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from builder.inputs.files import Clock, as_utc, failed_dump, os_reason
from builder.records import RawDump

_QUOTE_LIMIT = 40


@dataclass(frozen=True)
class Line:
    """One physical line of a JSON Lines export, or the reason reading stopped there."""

    no: int
    data: bytes
    error: str | None = None


@dataclass(frozen=True)
class _Record:
    text: bytes
    url: str | None
    fetched_at: datetime | None


class _BadRecord(Exception):
    def __init__(self, reason: str, url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url


def plain_lines(fh: BinaryIO, max_bytes: int) -> Iterator[Line]:
    """Non-blank physical lines; an over-long record is reported and skipped in bounded
    chunks, so one giant line neither fills memory nor hides the records after it."""
    no = 0
    try:
        while line := fh.readline(max_bytes + 1):
            no += 1
            if _overlong(line, max_bytes):
                yield Line(no, line, f"record too large (more than {max_bytes} bytes)")
                _skip_rest_of_line(fh, max_bytes)
            elif line.strip():
                yield Line(no, chomp(line))
    except OSError as exc:
        yield Line(no + 1, b"", os_reason(exc))


def _overlong(line: bytes, max_bytes: int) -> bool:
    return len(line) > max_bytes and not line.endswith(b"\n")


def _skip_rest_of_line(fh: BinaryIO, max_bytes: int) -> None:
    while chunk := fh.readline(max_bytes + 1):
        if chunk.endswith(b"\n"):
            return


def chomp(line: bytes) -> bytes:
    return line.removesuffix(b"\n").removesuffix(b"\r")


def record_dump(path: str, line: Line, clock: Clock) -> RawDump:
    if line.error is not None:
        return failed_dump(path, line.error, line.data, clock)
    try:
        record = _parse_record(line.data)
    except _BadRecord as exc:
        return failed_dump(path, exc.reason, line.data, clock, url=exc.url)
    when, source = clock if record.fetched_at is None else (record.fetched_at, "record")
    return RawDump(
        path=path,
        data=record.text,
        captured_at=when,
        captured_at_source=source,
        url=record.url,
        encoding_hint="utf-8",
    )


def _parse_record(line: bytes) -> _Record:
    """A crawler record; anything we would have to guess about is quarantined instead."""
    try:
        obj: object = json.loads(line)
    except UnicodeDecodeError as exc:
        raise _BadRecord(f"record is not JSON (invalid UTF-8 at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise _BadRecord(f"record is not JSON ({exc.msg} at column {exc.colno})") from exc
    except RecursionError as exc:
        raise _BadRecord("record is not JSON (nested too deeply)") from exc
    if not isinstance(obj, dict):
        raise _BadRecord(f"record is not a JSON object (it is {_json_type(obj)})")
    if "text" not in obj:
        raise _BadRecord('record has no "text"')
    text = _utf8_string(obj["text"], "text")
    raw_url: object = obj.get("url")
    url = None if raw_url is None else _utf8_string(raw_url, "url").decode("utf-8")
    try:
        fetched_at = _fetched_at(obj.get("fetched_at"))
    except _BadRecord as exc:
        raise _BadRecord(exc.reason, url) from None
    return _Record(text, url, fetched_at)


def _utf8_string(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise _BadRecord(f'"{name}" is not a string (it is {_json_type(value)})')
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _BadRecord(f'"{name}" is not valid Unicode (it has a lone surrogate)') from exc


def _fetched_at(value: object) -> datetime | None:
    """ISO 8601 date *and* time; a bare date is rejected rather than read as midnight."""
    if value is None:
        return None
    bad = _BadRecord(f'"fetched_at" is not an ISO 8601 time: {_quote(value)}')
    if not isinstance(value, str) or not re.search(r"\d[Tt ]\d", value):
        raise bad
    try:
        return as_utc(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        raise bad from None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _quote(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + "…"
    return json.dumps(text, ensure_ascii=False)
