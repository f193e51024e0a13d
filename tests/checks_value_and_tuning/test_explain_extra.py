"""Without the `explain` extra (no shap, numba or llvmlite) the SHAP checks say what to install
instead of erroring: the explanation is not applicable, and the importance table keeps its
permutation importances with the SHAP column's reason."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from mltestscore.checks.explain import check_single_example_explanation
from mltestscore.checks.importance import check_features_are_beneficial
from mltestscore.checks.result import Outcome


@pytest.fixture
def breast_cancer_model() -> tuple[Any, Any, Any]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    return model, X, y


@pytest.fixture
def without_shap(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import shap` raises ImportError, as in an install without the extra."""
    monkeypatch.setitem(sys.modules, "shap", None)


@pytest.mark.usefixtures("without_shap")
def test_it_says_the_explanation_needs_the_explain_extra_when_shap_is_missing(
    breast_cancer_model: tuple[Any, Any, Any],
) -> None:
    model, X, _ = breast_cancer_model
    result = check_single_example_explanation(model, X, 0, sample_size=20)
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "install mltestscore[explain]" in result.reason


@pytest.mark.usefixtures("without_shap")
def test_it_still_judges_importance_and_names_the_extra_for_the_shap_column(
    breast_cancer_model: tuple[Any, Any, Any],
) -> None:
    model, X, y = breast_cancer_model
    columns = ["mean radius", "worst area", "worst concave points", "mean texture"]
    model.fit(X[columns], y)
    result = check_features_are_beneficial(
        model, X[columns], y, n_repeats=2, sample_size=300, shap_sample_size=20
    )
    # judged as with shap (pass, fail or "not measurable here" from the row-loss intervals):
    # never an error, and the table holds every feature's importance
    assert result.outcome is not Outcome.ERROR, result.reason
    assert len(result.tables[0].rows) == len(columns)
    assert "install mltestscore[explain]" in str(result.parameters["shap"])
