"""The model's input contract, checked once at start-up (issue 16): when the model cannot take
the input the suite builds, or its columns or classes disagree with the project's, pytest stops
with a usage error naming the columns, instead of every generated item failing with the model
library's own message."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.models import boosters

LOADER = """
    import joblib

    def load_model():
        return joblib.load({path!r})
"""


def write_project(pytester: pytest.Pytester, adult: Any, model: Any, **keys: Any) -> None:
    import joblib

    adult.head(300).to_csv(pytester.path / "test.csv", index=False)
    joblib.dump(model, pytester.path / "model.joblib")
    pytester.path.joinpath("project_model.py").write_text(
        textwrap.dedent(LOADER.format(path=str(pytester.path / "model.joblib")))
    )
    settings = {"model": "project_model:load_model", "test": "test.csv", "target": "income"}
    settings.update(keys)
    lines = ["[tool.mltestscore]"] + [f"{k} = {v!r}".replace("'", '"') for k, v in settings.items()]
    pytester.path.joinpath("pyproject.toml").write_text("\n".join(lines) + "\n")


def test_a_booster_that_cannot_take_the_raw_frame_stops_the_run_naming_the_input(
    pytester: pytest.Pytester, adult: Any
) -> None:
    pytest.importorskip("lightgbm")
    X, y = boosters.adult_task(adult, "binary")
    cast = boosters.ToCategorical().fit(X)
    bare = boosters.estimator("lightgbm", "binary").fit(cast.transform(X.head(600)), y.head(600))
    write_project(pytester, adult, bare)
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*model: the model cannot predict on the input the suite builds from the test data"
            " (14 columns, the model's feature names: 'age', 'workclass'*and 6 more):"
            " ValueError: *; name the model's columns with `features = [[]...]`*",
        ]
    )
    result.stdout.no_fnmatch_line("*mlscore::*FAILED*")


def test_features_the_model_was_not_trained_on_are_named(
    pytester: pytest.Pytester, adult: Any
) -> None:
    pytest.importorskip("lightgbm")
    X, y = boosters.adult_task(adult, "binary")
    model = boosters.pipeline("lightgbm", "binary", X).fit(X.head(600), y.head(600))
    write_project(pytester, adult, model, features=["age", "education", "fnlwgt"])
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*features: the model was trained on other columns; it also needs 'workclass'*"]
    )


def test_features_the_data_lacks_are_named_before_anything_loads(
    pytester: pytest.Pytester, adult: Any
) -> None:
    pytest.importorskip("lightgbm")
    X, y = boosters.adult_task(adult, "binary")
    model = boosters.pipeline("lightgbm", "binary", X).fit(X.head(600), y.head(600))
    write_project(pytester, adult, model, features=["age", "credit_score"])
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*features: column 'credit_score' is not in the test data*"])


def test_labels_the_model_never_saw_stop_the_run(pytester: pytest.Pytester, adult: Any) -> None:
    pytest.importorskip("xgboost")
    X, y = boosters.adult_task(adult, "binary")
    model = boosters.pipeline("xgboost", "binary", X).fit(X.head(600), y.head(600))
    text = adult.assign(income=adult["income"].map({0: "<=50K", 1: ">50K"}))
    write_project(pytester, text, model)
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*target: none of the labels of 'income' (<=50K, >50K) is among the model's classes*"]
    )


def test_identifier_columns_never_reach_a_model_without_feature_names(
    tmp_path: Path, adult: Any
) -> None:
    from mltestscore.suite.config import Source, SuiteConfig
    from mltestscore.suite.context import SuiteContext

    frame = adult.head(50).assign(applicant_id=range(50))

    class Scorer:  # a client of a model server: predict only, no feature names
        def predict(self, X: Any) -> Any:
            assert "applicant_id" not in X.columns
            return (X["age"] > 40).astype(int).to_numpy()

    config = SuiteConfig(
        source="pyproject.toml",
        root=tmp_path,
        model=Source("model", "m:f", function=Scorer),
        data={"test": Source("test", "d:f", function=lambda: frame)},
        target="income",
        id_columns=("applicant_id",),
    )
    context = SuiteContext(config)
    context.check_model_input()
    assert "applicant_id" not in context.features("test").columns
    assert "income" not in context.features("test").columns


def test_a_catboost_regressor_with_an_empty_classes_attribute_passes_the_contract(
    tmp_path: Path, adult: Any
) -> None:
    pytest.importorskip("catboost")
    from mltestscore.suite.config import Source, SuiteConfig
    from mltestscore.suite.context import SuiteContext

    X, y = boosters.adult_task(adult, "regression")
    model = boosters.pipeline("catboost", "regression", X).fit(X.head(600), y.head(600))
    assert len(model.classes_) == 0  # CatBoostRegressor's, seen through the Pipeline
    frame = X.head(100).assign(age=y.head(100))
    config = SuiteConfig(
        source="pyproject.toml",
        root=tmp_path,
        model=Source("model", "m:f", function=lambda: model),
        data={"test": Source("test", "d:f", function=lambda: frame)},
        target="age",
    )
    SuiteContext(config).check_model_input()
