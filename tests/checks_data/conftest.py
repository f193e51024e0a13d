"""Fixtures for the data-check tests: Adult features without the label, and a schema inferred
from the training split (inferred once per session: it imports Great Expectations)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import pandas as pd

LABEL = "income"


@pytest.fixture(scope="session")
def train_features(adult_split: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return adult_split[0].drop(columns=[LABEL])


@pytest.fixture(scope="session")
def test_features(adult_split: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return adult_split[1].drop(columns=[LABEL])


@pytest.fixture(scope="session")
def adult_schema(train_features: pd.DataFrame) -> Any:
    from mltestscore.checks.schema import infer_schema

    return infer_schema(train_features, name="adult")


@pytest.fixture
def serving(test_features: pd.DataFrame) -> pd.DataFrame:
    """A fresh copy of the held-out features to plant defects in."""
    return test_features.copy()
