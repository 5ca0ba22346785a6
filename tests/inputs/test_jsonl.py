"""JSON Lines exports (builder.inputs.jsonl), read through the real reader."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.inputs.support import OPTION_TIME, dumps, jsonl, only, write

# ------------------------------------------------------------------------- JSON Lines


def test_jsonl_records_become_dumps_with_line_numbers(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "first", "url": "https://example.org/1"}),
        "",
        "   ",
        json.dumps({"text": "zweite Seite ü", "fetched_at": "2024-03-01T10:00:00Z"}),
        json.dumps({"text": "third", "fetched_at": "2024-03-01T12:00:00+02:00"}),
        json.dumps({"text": "fourth", "fetched_at": "2024-03-01 09:30:15", "url": None}),
    ]
    write(tmp_path / "d" / "export.jsonl", "\r\n".join(lines) + "\n")
    result = dumps(tmp_path / "d", captured_at=OPTION_TIME)
    assert [d.path for d in result] == [
        "export.jsonl#L1",
        "export.jsonl#L4",
        "export.jsonl#L5",
        "export.jsonl#L6",
    ]
    assert [d.data for d in result] == [b"first", "zweite Seite ü".encode(), b"third", b"fourth"]
    assert [d.url for d in result] == ["https://example.org/1", None, None, None]
    assert {d.encoding_hint for d in result} == {"utf-8"}
    assert all(d.error is None for d in result)
    assert [(d.captured_at, d.captured_at_source) for d in result] == [
        (OPTION_TIME, "option"),
        (datetime(2024, 3, 1, 10, 0, tzinfo=UTC), "record"),
        (datetime(2024, 3, 1, 10, 0, tzinfo=UTC), "record"),  # +02:00 converted to UTC
        (datetime(2024, 3, 1, 9, 30, 15, tzinfo=UTC), "record"),  # naive means UTC
    ]
    assert all(d.captured_at.utcoffset() == timedelta(0) for d in result)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"text": "unterminated', "record is not JSON ("),
        ("not json at all", "record is not JSON ("),
        (b'{"text": "caf\xe9"}', "record is not JSON (invalid UTF-8"),
        ('["text", "a list"]', "record is not a JSON object (it is an array)"),
        ('"just a string"', "record is not a JSON object (it is a string)"),
        ('{"url": "https://x.org"}', 'record has no "text"'),
        ('{"text": 42}', '"text" is not a string (it is a number)'),
        ('{"text": null}', '"text" is not a string (it is null)'),
        ('{"text": "\\ud800"}', '"text" is not valid Unicode'),
        ('{"text": "t", "url": 7}', '"url" is not a string (it is a number)'),
        (
            '{"text": "t", "fetched_at": "yesterday"}',
            '"fetched_at" is not an ISO 8601 time: "yesterday"',
        ),
        ('{"text": "t", "fetched_at": "2024-03-01"}', '"fetched_at" is not an ISO 8601 time'),
        ('{"text": "t", "fetched_at": "2024-13-45T99:00:00"}', '"fetched_at" is not an ISO 8601'),
        ('{"text": "t", "fetched_at": 1700000000}', '"fetched_at" is not an ISO 8601 time: "1700'),
    ],
)
def test_bad_jsonl_record_is_quarantined_with_its_raw_line(
    tmp_path: Path, line: str | bytes, reason: str
) -> None:
    raw = line.encode() if isinstance(line, str) else line
    good = json.dumps({"text": "good"}).encode()
    write(tmp_path / "x.jsonl", good + b"\n" + raw + b"\n" + good + b"\n")
    result = dumps(tmp_path / "x.jsonl", captured_at=OPTION_TIME)
    assert [d.path for d in result] == ["x.jsonl#L1", "x.jsonl#L2", "x.jsonl#L3"]
    assert [d.error is None for d in result] == [True, False, True]
    bad = result[1]
    assert bad.error is not None and bad.error.startswith(reason), bad.error
    assert "\n" not in bad.error and "Traceback" not in bad.error
    assert bad.data == raw
    assert (bad.captured_at, bad.captured_at_source) == (OPTION_TIME, "option")


def test_long_bad_fetched_at_is_quoted_and_truncated(tmp_path: Path) -> None:
    value = "not a time\n" + "x" * 500
    write(tmp_path / "x.jsonl", jsonl({"text": "t", "fetched_at": value, "url": "https://u"}))
    dump = only(dumps(tmp_path / "x.jsonl"))
    assert dump.error is not None
    assert dump.error.startswith('"fetched_at" is not an ISO 8601 time: "not a time\\n')
    assert len(dump.error) < 100 and "\n" not in dump.error
    assert dump.url == "https://u"  # still says where the page came from


def test_overlong_jsonl_record_is_quarantined_and_later_records_kept(tmp_path: Path) -> None:
    big = json.dumps({"text": "y" * 5000})
    write(tmp_path / "x.jsonl", jsonl({"text": "a"}) + big + "\n" + jsonl({"text": "b"}))
    result = dumps(tmp_path / "x.jsonl", captured_at=OPTION_TIME, max_bytes=100)
    assert [(d.path, d.error is None) for d in result] == [
        ("x.jsonl#L1", True),
        ("x.jsonl#L2", False),
        ("x.jsonl#L3", True),
    ]
    assert result[1].error == "record too large (more than 100 bytes)"
    assert len(result[1].data) == 101
    assert result[2].data == b"b"
