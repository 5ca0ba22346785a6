"""The quick verdict on whole tables (builder.contract.rules.passes) against the pandera
models it spares: it vouches for the tables of real builds, and never for a frame the
models would find anything wrong with. Every value of a few real rows is broken in
turn (nulls, empty and odd strings, negative numbers, empty and null-holding lists, at
every depth), and so are the columns (one missing, one added, two swapped, one retyped).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from builder import contract
from builder.build import build
from builder.contract import checks, models
from builder.contract.rules import passes
from builder.release.diff import read_release

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "dumps"
WHEN = datetime(2025, 7, 1, tzinfo=UTC)


def _frames(release: Path) -> dict[str, pl.DataFrame]:
    tables = read_release(release)
    frames = {}
    for name in contract.TABLES:
        frame = pl.from_arrow(tables[name].cast(contract.arrow_schema(name)))
        assert isinstance(frame, pl.DataFrame)
        frames[name] = frame
    return frames


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    out = tmp_path_factory.mktemp("samples")
    report = build([str(SAMPLES)], out, captured_at=WHEN, workers=1, cache=False)
    assert report.path is not None
    return _frames(report.path)


def test_the_tables_of_the_samples_pass_without_pandera(
    samples: dict[str, pl.DataFrame],
) -> None:
    for name, frame in samples.items():
        assert frame.height > 0
        assert passes(name, frame), name
        assert models.validate_frame(name, frame) == []


def test_the_tables_of_real_pages_pass_without_pandera(shared_dir: Path, tmp_path: Path) -> None:
    dev = shared_dir / "corpus" / "daily8-dev"
    report = build([str(dev)], tmp_path / "out", captured_at=WHEN, workers=1, cache=False)
    assert report.path is not None
    for name, frame in _frames(report.path).items():
        assert passes(name, frame), name


def _mutants(value: Any) -> Iterator[Any]:
    """Every way this test breaks one value: null, and per type odd values of it."""
    yield None
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, int):
        yield -1
        yield 0
    elif isinstance(value, str):
        yield from ("", " ", "x", value + " ")
    elif isinstance(value, list):
        yield []
        yield [*value, None]
        for at, item in enumerate(value):
            for changed in _mutants(item):
                yield [*value[:at], changed, *value[at + 1 :]]
    elif isinstance(value, dict):
        for key, item in value.items():
            for changed in _mutants(item):
                yield {**value, key: changed}


def _broken_rows(frame: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    rows = frame.head(3).to_dicts()
    for column in frame.columns:
        for changed in _mutants(rows[0][column]):
            broken = [{**rows[0], column: changed}, *rows[1:]]
            yield column, pl.DataFrame(broken, schema=frame.schema, orient="row")
    yield "key twice", pl.DataFrame([rows[0], rows[0], rows[1]], schema=frame.schema)


def _broken_columns(frame: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    small = frame.head(3)
    first, second = small.columns[:2]
    yield "missing", small.drop(small.columns[-1])
    yield "added", small.with_columns(pl.lit(1).alias("added_here"))
    yield "swapped", small.select(second, first, *small.columns[2:])
    for column, dtype in small.schema.items():
        if dtype == pl.Int64:
            yield f"{column} as int32", small.with_columns(pl.col(column).cast(pl.Int32))
        elif dtype == pl.String:
            yield (
                f"{column} as categorical",
                small.with_columns(pl.col(column).cast(pl.Categorical)),
            )


@pytest.mark.parametrize("table", contract.TABLES)
def test_the_verdict_never_passes_what_pandera_finds_wrong(
    samples: dict[str, pl.DataFrame], table: str
) -> None:
    """passes() True => the pandera model finds nothing; and the findings a check
    reports are the model's, whichever way it came to them."""
    tried = refused = 0
    for what, frame in [*_broken_rows(samples[table]), *_broken_columns(samples[table])]:
        found = models.validate_frame(table, frame)
        if passes(table, frame):
            assert found == [], f"{table}: {what}: the quick verdict passed {found}"
        else:
            refused += 1
        assert checks.validate_frame(table, frame) == found, what
        tried += 1
    assert refused > tried // 2  # most breaks are breaks: the test broke something


def test_a_null_where_the_contract_allows_it_passes_both(
    samples: dict[str, pl.DataFrame],
) -> None:
    """pandera checks a nullable column's values but its nulls: so does the verdict."""
    articles = samples["articles"]
    nulled = articles.with_columns(
        pl.lit(None, pl.Int64).alias("published_at_uncertainty_s"),
        pl.lit(None, pl.String).alias("url"),
    )
    assert passes("articles", nulled)
    assert models.validate_frame("articles", nulled) == []


def test_a_build_of_valid_dumps_never_imports_pandera(tmp_path: Path) -> None:
    """What the quick verdict saves: pandera (a third of a second to import) stays
    unloaded in a whole build and publish."""
    script = (
        "import sys\n"
        "from datetime import datetime, UTC\n"
        "from builder.build import build\n"
        f"r = build([{str(SAMPLES)!r}], {str(tmp_path / 'out')!r},"
        " captured_at=datetime(2025, 7, 1, tzinfo=UTC), workers=1)\n"
        "assert r.published, r.message\n"
        "print('pandera' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip() == "False"
