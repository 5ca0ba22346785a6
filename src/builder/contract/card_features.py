"""The `features` a dataset card lists per config, from the contract's Arrow schema.

`datasets.Features.from_arrow_schema(...)._to_yaml_list()` gives the same list, but
importing `datasets` costs about a second per build; the card needs only this mapping
of a few Arrow types. tests/test_features.py holds the two equal for every table.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from builder.contract.schema import arrow_schema

#: Arrow types the contract uses, as the card's `dtype` strings.
_DTYPES: dict[pa.DataType, str] = {
    pa.string(): "string",
    pa.bool_(): "bool",
    pa.int32(): "int32",
    pa.int64(): "int64",
    pa.timestamp("us", tz="UTC"): "timestamp[us, tz=UTC]",
}


def card_features(table: str) -> list[dict[str, Any]]:
    """The card's `features` list of one table of the contract."""
    return [_feature(field) for field in arrow_schema(table)]


def _feature(field: pa.Field) -> dict[str, Any]:
    return {"name": field.name, **_kind(field.type, field.name)}


def _kind(kind: pa.DataType, name: str) -> dict[str, Any]:
    if pa.types.is_struct(kind):
        return {"struct": [_feature(kind.field(i)) for i in range(kind.num_fields)]}
    if pa.types.is_list(kind) and pa.types.is_struct(kind.value_type):
        item = kind.value_type
        return {"list": [_feature(item.field(i)) for i in range(item.num_fields)]}
    if pa.types.is_list(kind) and kind.value_type in _DTYPES:
        return {"list": _DTYPES[kind.value_type]}  # a list of plain values (sources)
    if kind in _DTYPES:
        return {"dtype": _DTYPES[kind]}
    raise ValueError(f"column {name}: no card feature for Arrow type {kind}")
