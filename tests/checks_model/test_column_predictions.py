"""A model whose ``predict`` returns one column, shape (n, 1), as CatBoost's multiclass
classifier does, is judged exactly as the same model returning a vector (issue 16: the
fairness check raised "all the input arrays must have same number of dimensions" on a
CatBoost multiclass pipeline)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mltestscore.checks._models import as_predictions
from mltestscore.checks.fairness import check_group_fairness
from mltestscore.checks.importance import check_features_are_beneficial
from mltestscore.checks.result import Outcome
from mltestscore.checks.slices import check_slice_quality


class OneColumn:
    """``predict`` as a column, ``predict_proba`` as usual."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.classes_ = model.classes_

    def predict(self, X: Any) -> Any:
        return np.asarray(self.model.predict(X)).reshape(-1, 1)

    def predict_proba(self, X: Any) -> Any:
        return self.model.predict_proba(X)


@pytest.fixture(scope="module")
def three_classes() -> tuple[Any, pd.DataFrame, Any]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "b", "c"])
    y = np.digitize(X["a"] + 0.5 * X["b"] + rng.normal(scale=0.5, size=600), [-0.5, 0.5])
    X["group"] = np.where(rng.random(600) < 0.5, "A", "B")
    model = LogisticRegression(max_iter=500).fit(X[["a", "b", "c"]].iloc[:300], y[:300])
    return model, X.iloc[300:].reset_index(drop=True), y[300:]


def test_a_single_column_of_predictions_is_flattened_and_nothing_else_is() -> None:
    assert as_predictions(np.array([[1], [2]])).shape == (2,)
    assert as_predictions([[0.1, 0.9], [0.8, 0.2]]).shape == (2, 2)
    assert as_predictions(pd.Series([1, 2])).shape == (2,)


def test_fairness_slices_and_importance_judge_a_column_as_the_vector(
    three_classes: tuple[Any, pd.DataFrame, Any],
) -> None:
    model, X, y = three_classes

    class Features:
        """Both models on the three feature columns (the group is the sensitive column)."""

        def __init__(self, inner: Any) -> None:
            self.inner, self.classes_ = inner, inner.classes_

        def predict(self, frame: Any) -> Any:
            return self.inner.predict(frame[["a", "b", "c"]])

        def predict_proba(self, frame: Any) -> Any:
            return self.inner.predict_proba(frame[["a", "b", "c"]])

    vector, column = Features(model), Features(OneColumn(model))
    for check in (
        lambda m: check_group_fairness(m, X, y, sensitive_features=["group"], n_bootstrap=50),
        lambda m: check_slice_quality(m, X, y, columns=["b"], n_bootstrap=50),
        lambda m: check_features_are_beneficial(
            m, X[["a", "b", "c"]], y, metric="f1_macro", n_repeats=2
        ),
    ):
        expected, got = check(vector), check(column)
        assert got.outcome is not Outcome.ERROR, got.reason
        assert got.outcome is expected.outcome
        assert _figures(got.measurements) == _figures(expected.measurements)


def _figures(measurements: dict[str, Any]) -> dict[str, Any]:
    """The measurements less the timings."""
    return {k: v for k, v in measurements.items() if "second" not in k and "time" not in k}
