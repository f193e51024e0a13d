"""ONNX models on a real onnxruntime: loaded for the checks, and served by the canary (infra-6)
in a fresh process the way a serving image runs them.

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
