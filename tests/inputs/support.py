"""Helpers for the input tests: real files written into tmp_path, read back."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from builder.inputs.files import InputFile
from builder.inputs.read import read_dumps
from builder.records import RawDump

OPTION_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def paths(files: list[InputFile]) -> list[str]:
    return [f.path for f in files]


def dumps(*specs: Path | str, **kwargs: object) -> list[RawDump]:
    return list(read_dumps([str(s) for s in specs], **kwargs))  # type: ignore[arg-type]


def only(items: list[RawDump]) -> RawDump:
    assert len(items) == 1, items
    return items[0]


def make_tree(root: Path) -> Path:
    write(root / "b.txt", "B")
    write(root / "a.txt", "A")
    write(root / "sub" / "z.jsonl", jsonl({"text": "z"}))
    write(root / "sub" / "deeper" / "m.jsonl.gz", gzip.compress(jsonl({"text": "m"}).encode()))
    write(root / "page.html", "<html></html>")
    write(root / ".hidden.txt", "hidden")
    write(root / ".git" / "config", "hidden dir")
    return root
