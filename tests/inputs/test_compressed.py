"""Gzip-compressed exports (builder.inputs.compressed): truncation, corruption, bombs."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

from builder.inputs.compressed import COMPRESSED_TOTAL_FACTOR
from tests.inputs.support import OPTION_TIME, dumps, jsonl, only, write


def test_jsonl_gz_records(tmp_path: Path) -> None:
    body = jsonl({"text": "eins", "url": "https://a"}, {"text": "zwei"}) + "\n"
    write(tmp_path / "x.jsonl.gz", gzip.compress(body.encode()))
    result = dumps(tmp_path / "x.jsonl.gz", captured_at=OPTION_TIME)
    assert [(d.path, d.data, d.url, d.error) for d in result] == [
        ("x.jsonl.gz#L1", b"eins", "https://a", None),
        ("x.jsonl.gz#L2", b"zwei", None, None),
    ]


def test_truncated_gzip_keeps_complete_records_then_one_error(tmp_path: Path) -> None:
    records = [{"text": f"record {i} " + "pad" * 50} for i in range(200)]
    whole = gzip.compress(jsonl(*records).encode(), compresslevel=1)
    write(tmp_path / "x.jsonl.gz", whole[: len(whole) // 2])
    result = dumps(tmp_path / "x.jsonl.gz", captured_at=OPTION_TIME)
    good, last = result[:-1], result[-1]
    assert 0 < len(good) < 200
    assert all(d.error is None for d in good)
    assert [d.data for d in good] == [r["text"].encode() for r in records[: len(good)]]
    assert last.path == f"x.jsonl.gz#L{len(good) + 1}"
    assert last.error is not None and last.error.startswith("truncated compressed file")
    assert last.data == b""


def test_file_that_is_not_gzip_is_one_error_row(tmp_path: Path) -> None:
    write(tmp_path / "x.jsonl.gz", jsonl({"text": "plain"}))
    dump = only(dumps(tmp_path / "x.jsonl.gz", captured_at=OPTION_TIME))
    assert dump.path == "x.jsonl.gz#L1"
    assert dump.error is not None and dump.error.startswith("corrupt compressed file (")


def test_gzip_bomb_stops_early_with_bounded_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    chunk = b"\0" * (1 << 20)
    with gzip.open(bomb, "wb", compresslevel=9) as gz:
        for _ in range(200):  # 200 MB of zeros, about 200 KB on disk
            gz.write(chunk)
    assert bomb.stat().st_size < 1_000_000
    max_bytes = 1 << 20
    tracemalloc.start()
    try:
        result = dumps(bomb, captured_at=OPTION_TIME, max_bytes=max_bytes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dump = only(result)
    assert dump.path == "bomb.jsonl.gz#L1"
    assert dump.error is not None
    # Zeros inflate ~1000 times: the ratio stops it before the record limit would.
    assert dump.error.startswith("compressed stream exceeds the size limit (a compression bomb")
    assert len(dump.data) <= max_bytes + 1
    assert peak < 16 * max_bytes, f"peak {peak} bytes"


def test_gzip_stream_over_the_total_limit_stops(tmp_path: Path) -> None:
    max_bytes = 1000
    line = json.dumps({"text": "z" * 480}) + "\n"  # ~500 bytes, each record is fine
    n_lines = 3 * COMPRESSED_TOTAL_FACTOR * max_bytes // len(line)
    write(tmp_path / "x.jsonl.gz", gzip.compress((line * n_lines).encode()))
    result = dumps(tmp_path / "x.jsonl.gz", captured_at=OPTION_TIME, max_bytes=max_bytes)
    kept = COMPRESSED_TOTAL_FACTOR * max_bytes // len(line)
    assert len(result) == kept + 1 < n_lines
    assert all(d.error is None for d in result[:-1])
    assert result[-1].path == f"x.jsonl.gz#L{kept + 1}"
    assert result[-1].error is not None
    total = COMPRESSED_TOTAL_FACTOR * max_bytes
    assert result[-1].error == (
        f"compressed stream exceeds the size limit (over {total} bytes in total)"
    )
