"""The records pool workers and Dask move between processes pickle, compiled or not.

`engines/partitioned.py` and `inputs/files.py` are compiled (builder.compiled), and a
compiled class has no `__dict__` for pickle to fill: their records pickle as a call of
their class with their fields (`inputs.files.Picklable`). A `--workers 2` build and
the Dask engine's tests run them across processes; this names what broke.
"""

from __future__ import annotations

import os
import pickle
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from builder import compiled
from builder.engines import partitioned
from builder.engines.partitioned import (
    BatchOut,
    BatchTables,
    MergeOut,
    PerDump,
    RangeOut,
    Settings,
)
from builder.inputs import files
from builder.inputs.files import InputFile
from builder.parse.extract import extract

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _round_trip(value: object) -> object:
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


@pytest.mark.parametrize(
    "record",
    [
        InputFile("/in/a.txt", "a.txt", "text", None, 1_751_328_000_000_000_000, 42),
        InputFile("/in/b.jsonl.gz", "b.jsonl.gz", "jsonl.gz", "not a regular file (FIFO)"),
        Settings(partitions=3, captured_at=WHEN, max_bytes=1024, stage=extract),
        BatchOut({0: b"titles"}, {1: b"dumps"}, (), frozenset({"a"}), {"read": 0.5}, b"i"),
        BatchTables({0: pa.table({"x": [1]})}, {}, (), frozenset(), {}, None, frozenset("b")),
        MergeOut({2: b"articles"}, {3: b"sightings"}, {"merge": 1.0}),
        RangeOut({"dumps": b"table"}, {"dumps": 7}, {"write": 0.25}),
    ],
    ids=type,
)
def test_a_record_comes_back_equal_with_every_field(record: object) -> None:
    back = _round_trip(record)
    assert type(back) is type(record)
    assert back == record
    assert repr(back) == repr(record)  # the fields `==` leaves out (stamp, mtime) too


def test_the_per_dump_stage_travels_inside_the_settings() -> None:
    back = _round_trip(Settings(partitions=2, captured_at=None, max_bytes=10))
    assert isinstance(back, Settings)
    assert isinstance(back.stage, PerDump)
    assert (back.partitions, back.captured_at, back.max_bytes) == (2, None, 10)


def test_these_are_the_compiled_records_where_builder_is_compiled() -> None:
    """Else the tests above would only show that Python's own classes pickle."""
    built = compiled.compiled()
    python = os.environ.get("BUILDER_PURE_PYTHON") == "1" or bool(compiled.stale())
    for module, path in ((partitioned, "partitioned.py"), (files, "files.py")):
        compiled_here = any(p.endswith(path) for p in built) and not python
        assert module.__file__ is not None
        assert module.__file__.endswith(".py") != compiled_here, module.__file__
