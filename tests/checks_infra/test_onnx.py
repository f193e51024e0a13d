"""ONNX models on a real onnxruntime: loaded for the checks, served by the canary (infra-6) in a
fresh process the way a serving image runs them, and scored by the zero-config suite.

onnxruntime and skl2onnx (which converts the test's model) are not dependencies of
mltestscore: these tests run in ``tox -e optional-backends`` (which CI runs too) and are
skipped where they are not installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mltestscore import artifacts
from mltestscore.checks.canary import check_canary
from mltestscore.checks.result import Outcome

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")
pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, adult_xy: Any) -> tuple[Any, Path, Any]:
    """A scaled logistic regression on the Adult numeric columns, its ONNX file, and the
    test rows it predicts."""
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_train, y_train, X_test, _ = adult_xy
    numeric = X_train.select_dtypes("number").columns
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(X_train[numeric].to_numpy(np.float32), y_train)
    onnx = to_onnx(model, X_train[numeric].to_numpy(np.float32)[:1])
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    path.write_bytes(onnx.SerializeToString())
    return model, path, X_test[numeric]


def test_an_onnx_model_predicts_like_the_model_it_was_converted_from(
    converted: tuple[Any, Path, Any],
) -> None:
    model, path, X = converted
    loaded = artifacts.load_model(path)
    assert loaded.format == artifacts.ONNX
    values = X.to_numpy(np.float32)
    # float32 arithmetic: a row right at the decision threshold may land on the other side.
    assert (loaded.model.predict(X) == model.predict(values)).mean() > 0.999
    np.testing.assert_allclose(
        loaded.model.predict_proba(X), model.predict_proba(values), atol=1e-5
    )


def test_a_single_matrix_input_given_other_columns_says_what_it_takes(
    converted: tuple[Any, Path, Any],
) -> None:
    _, path, X = converted
    wider = X.assign(extra=1.0)
    with pytest.raises(ValueError, match=f"takes {X.shape[1]} columns as one matrix, got"):
        artifacts.load_model(path).model.predict(wider)


def test_an_onnx_classifier_is_explained_in_probability_space(
    converted: tuple[Any, Path, Any],
) -> None:
    from mltestscore.checks.explain import check_single_example_explanation

    _, path, X = converted
    loaded = artifacts.load_model(path).model
    result = check_single_example_explanation(
        loaded, X, sample_size=20, background_size=20
    ).assert_ok()
    # scikit-learn does not see a classifier in it; its probabilities are attributed anyway
    first = X.iloc[[int(result.parameters["index"])]]
    assert result.measurements["output"] == pytest.approx(loaded.predict_proba(first)[0, 1])
    assert "predicted probability, class 1" in result.tables[0].title


def test_the_canary_serves_an_onnx_model_in_a_fresh_process(
    converted: tuple[Any, Path, Any],
) -> None:
    _, path, X = converted
    result = check_canary(path, X.head(200))
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.measurements["differing_rows"] == 0


def test_the_canary_fails_an_onnx_file_that_does_not_load(
    converted: tuple[Any, Path, Any], tmp_path: Path
) -> None:
    _, path, X = converted
    broken = tmp_path / "model.onnx"
    broken.write_bytes(path.read_bytes()[:200])  # a copy cut short
    result = check_canary(broken, X.head(50), reference_model=artifacts.load_model(path).model)
    assert result.outcome is Outcome.FAILED
    assert "at 'load'" in result.reason


@pytest.fixture(scope="module")
def per_column(tmp_path_factory: pytest.TempPathFactory, adult_xy: Any) -> tuple[Any, Path]:
    """A pipeline over two numeric columns and one text column, converted from a DataFrame:
    the ONNX graph takes one input per column, by name."""
    from skl2onnx import to_onnx
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X_train, y_train, _, _ = adult_xy
    frame = X_train[list(PER_COLUMN)].astype({c: np.float32 for c in PER_COLUMN[:2]})
    preprocess = ColumnTransformer(
        [
            ("numbers", StandardScaler(), list(PER_COLUMN[:2])),
            ("text", OneHotEncoder(handle_unknown="ignore"), [PER_COLUMN[2]]),
        ]
    )
    model = make_pipeline(preprocess, LogisticRegression(max_iter=500)).fit(frame, y_train)
    path = tmp_path_factory.mktemp("onnx-columns") / "model.onnx"
    path.write_bytes(to_onnx(model, frame.head(1)).SerializeToString())
    return model, path


# ONNX input names are the data's column names; skl2onnx writes "hours-per-week" as
# "hours_per_week", so these are columns whose names it keeps.
PER_COLUMN = ("age", "fnlwgt", "workclass")


def test_a_graph_with_an_input_per_column_takes_its_columns_by_name_from_a_wider_frame(
    per_column: tuple[Any, Path], adult_xy: Any
) -> None:
    model, path = per_column
    _, _, X_test, _ = adult_xy
    loaded = artifacts.load_model(path).model
    assert list(loaded.feature_names_in_) == list(PER_COLUMN)
    wider = X_test  # every Adult column, in another order
    columns = X_test[list(PER_COLUMN)].astype({c: np.float32 for c in PER_COLUMN[:2]})
    expected = model.predict_proba(columns)
    np.testing.assert_allclose(loaded.predict_proba(wider), expected, atol=1e-5)
    with pytest.raises(ValueError, match="workclass"):
        loaded.predict(X_test.drop(columns=["workclass"]))


def test_the_zero_config_suite_scores_an_onnx_model_without_errors(
    pytester: pytest.Pytester,
    per_column: tuple[Any, Path],
    adult_split: Any,
) -> None:
    import json

    _, path = per_column
    train, test = adult_split
    train.to_parquet(pytester.path / "train.parquet")
    test.to_parquet(pytester.path / "test.parquet")
    (pytester.path / "model.onnx").write_bytes(path.read_bytes())
    pytester.makepyprojecttoml(
        """
        [tool.mltestscore]
        model = "model.onnx"
        train = "train.parquet"
        test = "test.parquet"
        target = "income"
        sensitive = ["sex"]
        """
    )
    pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text())
    checks = {
        evidence["check"]: evidence
        for item in scorecard["items"]
        for evidence in item["evidence"]
        if evidence["kind"] == "check"
    }
    errors = {name: e.get("reason") for name, e in checks.items() if e["outcome"] == "error"}
    assert errors == {}
    assert checks["check_canary"]["outcome"] == "passed"
    for refits in (
        "check_no_better_params_nearby",
        "check_model_can_overfit",
        "check_training_step_lowers_loss",
    ):
        assert checks[refits]["outcome"] == "not_applicable"
        assert "cannot be refit" in checks[refits]["reason"]
    explanation = checks["check_single_example_explanation"]
    # the graph takes text columns: it is explained by its outputs alone, the permutation
    # explainer perturbing coded columns (issue 16; before, not applicable)
    assert explanation["outcome"] == "passed", explanation["reason"]
    assert explanation["measurements"]["explainer"] == "permutation"
