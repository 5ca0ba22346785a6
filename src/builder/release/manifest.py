"""A version's `manifest.json`: settings, inputs, files with their sha256, row counts and
content hashes, rendered the same way every time so rebuilds are byte-identical."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa

from builder.release.versions import MANIFEST


def build_time() -> str:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) makes rebuilds byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    except ValueError as error:
        raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r} is not an integer epoch") from error
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def dump_json(value: Any, what: str) -> str:
    """Compact JSON that still reads and diffs line by line: one line per key of the
    top object and per entry of the objects in it (a file of `files` per line), every
    deeper value on its line without spaces. Four fifths of the bytes of `indent=2`
    (a manifest is written with every version); the same text for the same value."""
    try:
        if not isinstance(value, Mapping):
            return _compact(value) + "\n"
        lines = []
        for key in sorted(value):
            item = value[key]
            if isinstance(item, Mapping) and item:
                entries = ",\n".join(f"{_compact(k)}:{_compact(item[k])}" for k in sorted(item))
                lines.append(f"{_compact(key)}:{{\n{entries}\n}}")
            else:
                lines.append(f"{_compact(key)}:{_compact(item)}")
        return "{\n" + ",\n".join(lines) + "\n}\n"
    except TypeError as error:
        raise TypeError(f"{what} must be JSON-serialisable: {error}") from error


def require_json(value: Any, what: str) -> None:
    """Fail before writing anything if `value` cannot go into the manifest (in one
    call of json's C encoder, without building the text `dump_json` writes)."""
    try:
        json.dumps(value, sort_keys=True, ensure_ascii=False)
    except TypeError as error:
        raise TypeError(f"{what} must be JSON-serialisable: {error}") from error


#: A manifest's inputs (path, sha256, size_bytes): mappings, or an Arrow table, which a
#: build passes (its `dumps` columns) so that no Python object per input is held.
Inputs: TypeAlias = Sequence[Mapping[str, Any]] | pa.Table


def load_manifest(release: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
    return loaded
