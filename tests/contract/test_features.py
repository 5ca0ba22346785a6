"""The card's features, written without importing `datasets`, are what `datasets`
itself derives from the same Arrow schema."""

from __future__ import annotations

import datasets
import pyarrow as pa
import pytest

from builder import contract
from builder.contract.card_features import _kind, card_features


@pytest.mark.parametrize("table", contract.TABLES)
def test_card_features_are_what_datasets_derives(table: str) -> None:
    expected = datasets.Features.from_arrow_schema(contract.arrow_schema(table))
    assert card_features(table) == expected._to_yaml_list()


def test_a_type_the_card_writer_does_not_know_is_named() -> None:
    with pytest.raises(ValueError, match="column x: no card feature for Arrow type float"):
        _kind(pa.float32(), "x")
