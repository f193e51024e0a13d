"""Fixtures for the model-quality checks: the Adult split as X/y, extra models (multiclass,
regression, predict-only) and wrappers that plant defects into a good model's predictions.

Wrappers are classes handed out through fixtures (``tests/`` is not a package).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def _one_thread_per_model() -> Iterator[None]:
    """Gradient boosting with OpenMP on a busy 2-core machine is ~30x slower than one thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def xy_train(adult_split: Any) -> tuple[Any, Any]:
    train, _ = adult_split
    return train.drop(columns=["income"]), train["income"].to_numpy()


@pytest.fixture(scope="session")
def xy_test(adult_split: Any) -> tuple[Any, Any]:
    _, test = adult_split
    return test.drop(columns=["income"]), test["income"].to_numpy()


class Wrapped:
    """A classifier that delegates to a fitted ``base`` and lets subclasses edit its output.

    Deliberately not a scikit-learn estimator: checks must cope with duck-typed models.
    """

    def __init__(self, base: Any) -> None:
        self.base = base
        self.classes_ = base.classes_

    def edit(self, X: Any, proba: Any) -> Any:
        return proba

    def predict_proba(self, X: Any) -> Any:
        return self.edit(X, self.base.predict_proba(X).copy())

    def predict(self, X: Any) -> Any:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class Inverted(Wrapped):
    """Swaps the class probabilities where ``where(X)`` holds: a slice made worse on purpose."""

    def __init__(self, base: Any, where: Callable[[Any], Any]) -> None:
        super().__init__(base)
        self.where = where

    def edit(self, X: Any, proba: Any) -> Any:
        import numpy as np

        rows = np.asarray(self.where(X), dtype=bool)
        proba[rows] = proba[rows][:, ::-1]
        return proba


class BiasedAgainst(Wrapped):
    """Shrinks the positive probability of one group five-fold: a model biased against it."""

    def __init__(self, base: Any, column: str, value: str) -> None:
        super().__init__(base)
        self.column, self.value = column, value

    def edit(self, X: Any, proba: Any) -> Any:
        rows = (X[self.column] == self.value).to_numpy()
        proba[rows, 1] *= 0.2
        proba[rows, 0] = 1.0 - proba[rows, 1]
        return proba


class TextLabels(Wrapped):
    """The same model speaking in text labels, as the raw Adult data does."""

    def __init__(self, base: Any) -> None:
        import numpy as np

        super().__init__(base)
        self.classes_ = np.array(["<=50K", ">50K"], dtype=object)


class PredictOnly:
    """A model exposing only ``predict``."""

    def __init__(self, base: Any) -> None:
        self.base = base

    def predict(self, X: Any) -> Any:
        return self.base.predict(X)


class FixedPredictions:
    """Returns given predictions, looked up by the row index of X."""

    def __init__(self, predictions: Any) -> None:
        import numpy as np

        self.predictions = np.asarray(predictions)

    def predict(self, X: Any) -> Any:
        return self.predictions[X.index.to_numpy()]


@pytest.fixture(scope="session")
def wrappers() -> dict[str, type]:
    return {
        "Inverted": Inverted,
        "BiasedAgainst": BiasedAgainst,
        "PredictOnly": PredictOnly,
        "TextLabels": TextLabels,
        "FixedPredictions": FixedPredictions,
    }


@pytest.fixture(scope="session")
def multiclass_task(adult: Any) -> tuple[Any, Any, Any]:
    """(model, X_test, y_test): marital status in three classes, from the other columns."""
    from sklearn.model_selection import train_test_split

    frame = adult.drop(columns=["income", "relationship"])
    status = frame.pop("marital-status")
    y = status.map(
        lambda s: (
            "married" if s.startswith("Married") else ("never" if s == "Never-married" else "other")
        )
    ).to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(frame, y, test_size=0.3, random_state=0)
    model = _pipeline(frame, classifier=True).fit(X_train, y_train)
    return model, X_test.reset_index(drop=True), y_test


@pytest.fixture(scope="session")
def regression_task(adult: Any) -> tuple[Any, Any, Any, Any, Any]:
    """(model, X_train, y_train, X_test, y_test): hours worked per week from the other columns."""
    from sklearn.model_selection import train_test_split

    frame = adult.drop(columns=["income"])
    y = frame.pop("hours-per-week").to_numpy(dtype=float)
    X_train, X_test, y_train, y_test = train_test_split(frame, y, test_size=0.3, random_state=0)
    model = _pipeline(frame, classifier=False).fit(X_train, y_train)
    return model, X_train, y_train, X_test.reset_index(drop=True), y_test


def _pipeline(frame: Any, classifier: bool) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    numeric = [c for c in frame.columns if frame[c].dtype.kind in "if"]
    categorical = [c for c in frame.columns if c not in numeric]
    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2
    )
    preprocess = ColumnTransformer([("num", "passthrough", numeric), ("cat", encode, categorical)])
    estimator = (
        HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=15, random_state=0)
        if classifier
        else HistGradientBoostingRegressor(max_iter=20, max_leaf_nodes=15, random_state=0)
    )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


@pytest.fixture(scope="session")
def sales_made_worse(adult_model: Any) -> Any:
    """The Adult model with its scores inverted for salespeople: a slice made worse on purpose."""
    return Inverted(adult_model, lambda frame: frame["occupation"] == "Sales")


@pytest.fixture(scope="session")
def biased_against_women(adult_model: Any) -> Any:
    """The Adult model with women's chance of a positive decision cut five-fold."""
    return BiasedAgainst(adult_model, "sex", "Female")
