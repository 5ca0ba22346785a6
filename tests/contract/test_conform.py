"""Tables built in columns (polars) become contract tables: types and column order come
from the contract, and a null where the contract allows none is refused, not stored."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from builder import contract
from builder.contract.tables import conform
from tests.rows import example_tables


@pytest.mark.parametrize("table", contract.TABLES)
def test_a_polars_round_trip_conforms_back_to_the_contract(table: str) -> None:
    original = example_tables()[table]
    via_polars = pl.from_arrow(original).to_arrow()  # large strings, nullable children
    assert via_polars.schema != original.schema
    shuffled = via_polars.select(list(reversed(via_polars.column_names)))
    conformed = conform(table, shuffled)
    assert conformed.schema.equals(contract.arrow_schema(table), check_metadata=True)
    assert conformed.equals(original)


def test_a_missing_column_is_named() -> None:
    dumps = example_tables()["dumps"].drop_columns(["status"])
    with pytest.raises(ValueError, match=r"dumps: missing required column\(s\) status"):
        conform("dumps", dumps)


def test_a_null_in_a_required_column_is_refused() -> None:
    articles = example_tables()["articles"]
    where = articles.schema.get_field_index("first_seen_at")
    nulls = pa.nulls(articles.num_rows, pa.timestamp("us", tz="UTC"))
    with pytest.raises(ValueError, match=r"articles\.first_seen_at is null"):
        conform("articles", articles.set_column(where, "first_seen_at", nulls))


def test_a_null_inside_a_struct_or_list_is_refused() -> None:
    frame = pl.from_arrow(example_tables()["articles"])
    assert isinstance(frame, pl.DataFrame)
    blank_layout = frame.with_columns(
        pl.col("provenance").struct.with_fields(pl.lit(None, pl.String).alias("layout"))
    )
    with pytest.raises(ValueError, match=r"articles\.provenance\.layout is null"):
        conform("articles", blank_layout.to_arrow())
    null_item = frame.with_columns(pl.lit([None], pl.List(pl.String)).alias("sources"))
    with pytest.raises(ValueError, match=r"articles\.sources\[\] is null"):
        conform("articles", null_item.to_arrow())
