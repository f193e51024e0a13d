"""The Adult sample (from the core's test data), a fitted model, and real deepchecks runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY", "True")

ADULT_SAMPLE = Path(__file__).resolve().parents[3] / "tests" / "data" / "adult" / "adult_sample.csv"
LABEL = "income"
NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
CATEGORICAL = [
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
]
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def adult() -> Any:
    import pandas as pd

    frame = pd.read_csv(ADULT_SAMPLE).iloc[:2000].reset_index(drop=True)
    frame[LABEL] = (frame[LABEL] == ">50K").astype("int64")
    return frame


def make_model(kind: str = "boosting") -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    encode = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
        ]
    )
    preprocess = ColumnTransformer([("num", "passthrough", NUMERIC), ("cat", encode, CATEGORICAL)])
    estimator = (
        HistGradientBoostingClassifier(max_iter=40, random_state=0)
        if kind == "boosting"
        else DummyClassifier(strategy="most_frequent")
    )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


@pytest.fixture(scope="session")
def split(adult: Any) -> tuple[Any, Any]:
    return adult.iloc[:1400].reset_index(drop=True), adult.iloc[1400:].reset_index(drop=True)


@pytest.fixture(scope="session")
def suite_json(split: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real full_suite run on the clean split with a real model, saved as JSON."""
    from mltestscore_deepchecks.run import run_suite

    train, test = split
    model = make_model().fit(train.drop(columns=[LABEL]), train[LABEL])
    path = tmp_path_factory.mktemp("deepchecks") / "full_suite.json"
    run_suite(train, test, model, label=LABEL, cat_features=CATEGORICAL, save_to=path)
    return path


@pytest.fixture(scope="session")
def drifted_and_dummy_json(
    split: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """model_evaluation + train_test_validation defects: ages shifted by 25 years in test and
    a constant model, run as the full suite."""
    from mltestscore_deepchecks.run import run_suite

    train, test = split
    test = test.copy()
    test["age"] = test["age"] + 25
    model = make_model("dummy").fit(train.drop(columns=[LABEL]), train[LABEL])
    path = tmp_path_factory.mktemp("deepchecks") / "defects.json"
    run_suite(train, test, model, label=LABEL, cat_features=CATEGORICAL, save_to=path)
    return path
