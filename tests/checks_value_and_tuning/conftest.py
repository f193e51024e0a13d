"""Fixtures for the feature-value, cost, explanation, tuning, staleness and offline/online
checks: real Adult data with planted defects, and small models fitted once per session."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

NUMERIC = ["age", "education-num", "capital-gain", "hours-per-week"]
CATEGORICAL = ["marital-status", "occupation"]
STRONG = NUMERIC + CATEGORICAL


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> Iterator[None]:
    """OpenMP oversubscription on the shared 2-core box makes small fits 10x slower."""
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime, so the limit reaches it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def small_pipeline(
    numeric: list[str], categorical: list[str], extra: Any = None, **params: Any
) -> Any:
    """ColumnTransformer (passthrough + ordinal) and gradient boosting, like the shared one."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    parts: list[Any] = [
        ("num", "passthrough", numeric),
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), categorical),
    ]
    if extra is not None:
        parts.append(extra)
    params = {"max_iter": 60, "random_state": 0, **params}
    return Pipeline(
        [
            ("preprocess", ColumnTransformer(parts)),
            ("model", HistGradientBoostingClassifier(**params)),
        ]
    )


def slow_lookup(frame: Any) -> Any:
    """An expensive per-row feature computation (stands in for a remote lookup)."""
    import numpy as np

    out = []
    for value in frame.iloc[:, 0]:
        digest = str(value).encode()
        for _ in range(60):
            digest = hashlib.sha256(digest).digest()
        out.append(digest[0] / 255)
    return np.asarray(out).reshape(-1, 1)


@pytest.fixture(scope="session")
def planted(adult: Any) -> tuple[Any, Any]:
    """(train, test) of the Adult sample plus a pure-noise column and a random lookup key."""
    import numpy as np

    rng = np.random.default_rng(7)
    data = adult.copy()
    data["noise"] = rng.normal(size=len(data))
    data["lookup_key"] = [f"user-{i}" for i in rng.integers(0, 10**6, len(data))]
    train = data.sample(frac=0.7, random_state=0)
    test = data.drop(train.index)
    return train.reset_index(drop=True), test.reset_index(drop=True)


@pytest.fixture(scope="session")
def clean_model(planted: tuple[Any, Any]) -> Any:
    train, _ = planted
    return small_pipeline(NUMERIC, CATEGORICAL).fit(train[STRONG], train["income"])


@pytest.fixture(scope="session")
def noise_model(planted: tuple[Any, Any]) -> Any:
    """The clean model with a pure-noise feature added: it overfits the noise a little."""
    train, _ = planted
    return small_pipeline([*NUMERIC, "noise"], CATEGORICAL).fit(
        train[[*STRONG, "noise"]], train["income"]
    )


@pytest.fixture(scope="session")
def costly_model(planted: tuple[Any, Any]) -> Any:
    """The clean model plus a useless feature computed by an expensive per-row lookup."""
    from sklearn.preprocessing import FunctionTransformer

    train, _ = planted
    extra = ("lookup", FunctionTransformer(slow_lookup), ["lookup_key"])
    part = train.iloc[:1200]
    return small_pipeline(NUMERIC, CATEGORICAL, extra).fit(
        part[[*STRONG, "lookup_key"]], part["income"]
    )


@pytest.fixture(scope="session")
def multiclass_data(adult: Any) -> tuple[Any, Any]:
    """Adult with a three-class label: hours-per-week under 35, 35 to 45, over 45."""
    import pandas as pd

    X = adult.drop(columns=["income", "hours-per-week"])
    y = pd.cut(adult["hours-per-week"], [0, 34, 45, 200], labels=["part", "full", "over"])
    return X, y.astype(str).to_numpy()


@pytest.fixture(scope="session")
def multiclass_model(multiclass_data: tuple[Any, Any]) -> Any:
    X, y = multiclass_data
    return _with_model(X, "classifier").fit(X.iloc[:1500], y[:1500])


@pytest.fixture(scope="session")
def regression_data(adult: Any) -> tuple[Any, Any]:
    """Adult with age as a regression target."""
    return adult.drop(columns=["age", "income"]), adult["age"].to_numpy(dtype=float)


@pytest.fixture(scope="session")
def regression_model(regression_data: tuple[Any, Any]) -> Any:
    X, y = regression_data
    return _with_model(X, "regressor").fit(X.iloc[:1500], y[:1500])


def _with_model(X: Any, kind: str) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    categorical = [c for c in X.columns if X[c].dtype.kind not in "if"]
    numeric = [c for c in X.columns if c not in categorical]
    model = (
        HistGradientBoostingClassifier(max_iter=30, random_state=0)
        if kind == "classifier"
        else HistGradientBoostingRegressor(max_iter=30, random_state=0)
    )
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return Pipeline(
        [
            (
                "preprocess",
                ColumnTransformer([("num", "passthrough", numeric), ("cat", encoder, categorical)]),
            ),
            ("model", model),
        ]
    )


class PredictOnly:
    """A fitted classifier seen only through ``predict`` (like a remote scoring endpoint)."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def predict(self, X: Any) -> Any:
        return self._model.predict(X)


@pytest.fixture(scope="session")
def predict_only(clean_model: Any) -> PredictOnly:
    return PredictOnly(clean_model)
