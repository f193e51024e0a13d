"""Fixtures for the monitoring checks: Adult features without the label, and a legacy
hand-written scorer with a planted numerical defect."""

from __future__ import annotations

from typing import Any

import pytest

TARGET = "income"


@pytest.fixture(scope="session")
def adult_features(adult_split: Any) -> tuple[Any, Any]:
    """(train, test) feature frames: the shared 70/30 split without the label."""
    train, test = adult_split
    return train.drop(columns=[TARGET]), test.drop(columns=[TARGET])


class LegacyScorer:
    """A hand-written logistic score on age and log(hours): log of a negative is NaN."""

    def predict_proba(self, X: Any) -> Any:
        import numpy as np

        hours = X["hours-per-week"].to_numpy(dtype=float)
        age = X["age"].to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            z = 0.03 * (age - 40.0) + 0.5 * np.log(hours / 40.0)
            p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> Any:
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


@pytest.fixture
def legacy_scorer() -> LegacyScorer:
    return LegacyScorer()
