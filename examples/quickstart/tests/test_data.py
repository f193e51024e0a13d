from __future__ import annotations

import pandas as pd
import pytest

from quickstart.model import CATEGORICAL, NUMERIC, TARGET


@pytest.mark.mlscore("data-1")
def test_training_data_has_the_expected_columns_and_ranges(
    data: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    train, _ = data
    assert set(NUMERIC + CATEGORICAL + [TARGET]) <= set(train.columns)
    assert train["age"].between(17, 100).all()
    assert train["hours-per-week"].between(1, 99).all()
    assert set(train[TARGET].unique()) <= {0, 1}


@pytest.mark.mlscore("data-5")
def test_no_column_looks_like_an_email_address(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, _ = data
    for column in CATEGORICAL:
        assert not train[column].astype(str).str.contains("@").any(), column
