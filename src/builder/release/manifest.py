"""A version's `manifest.json`: settings, inputs, files with their sha256, row counts and
content hashes, rendered the same way every time so rebuilds are byte-identical."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring as _encode_string
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


def dump_json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    except TypeError as error:
        raise TypeError(f"{what} must be JSON-serialisable: {error}") from error


def require_json(value: Any, what: str) -> None:
    """Fail before writing anything if `value` cannot go into the manifest. Without
    `indent`, json uses its C encoder: a tenth of the time `dump_json` takes."""
    try:
        json.dumps(value, sort_keys=True, ensure_ascii=False)
    except TypeError as error:
        raise TypeError(f"{what} must be JSON-serialisable: {error}") from error


#: A manifest's inputs (path, sha256, size_bytes): mappings, or an Arrow table, which a
#: build passes (its `dumps` columns) so that no Python object per input is held.
Inputs: TypeAlias = Sequence[Mapping[str, Any]] | pa.Table


def manifest_json(manifest: Mapping[str, Any], inputs: Inputs) -> str:
    """`dump_json` of the manifest with `inputs` added. A table of inputs is rendered
    from Arrow, the text json gives at that depth: at 100,000 dumps, a dict per input
    held ~50 MB, and json's indenting encoder ~100 MB more while it ran."""
    if not isinstance(inputs, pa.Table):
        listed = [dict(item) for item in inputs]
        return dump_json({**manifest, "inputs": listed}, "settings and inputs")
    slot = "\0inputs\0"  # escaped by json as \u0000: no other manifest text can match it
    head, tail = dump_json({**manifest, "inputs": slot}, "settings").split(json.dumps(slot))
    return head + _inputs_json(inputs) + tail


def _inputs_json(inputs: pa.Table) -> str:
    """The manifest's `inputs` list, each row indented as json.dumps does two levels deep.

    Rendered a column at a time with json's own string encoder: one json.dumps per row
    took a second per 20,000 inputs, most of an incremental build's publish."""
    names = sorted(inputs.column_names)  # json.dumps(sort_keys=True)
    if not names:
        return json.dumps([{}] * inputs.num_rows, indent=2).replace("\n", "\n  ")
    heads = [f"\n      {_json_scalar(name)}: " for name in names]
    rows: list[str] = []
    for batch in inputs.select(names).to_batches(max_chunksize=4096):
        columns = [[_json_scalar(v) for v in column.to_pylist()] for column in batch.columns]
        for values in zip(*columns, strict=True):
            fields = ",".join(head + value for head, value in zip(heads, values, strict=True))
            rows.append(f"    {{{fields}\n    }}")
    return "[\n" + ",\n".join(rows) + "\n  ]" if rows else "[]"


def _json_scalar(value: Any) -> str:
    """json.dumps(value, ensure_ascii=False) for one value, faster for str and int."""
    if type(value) is str:
        return _encode_string(value)
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def load_manifest(release: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
    return loaded
