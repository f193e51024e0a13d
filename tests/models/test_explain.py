"""infra-5 on the models teams ship: a Pipeline casting text to categoricals in front of a
LightGBM, XGBoost or CatBoost estimator is explained by the library's own TreeSHAP on what
the estimator sees, and the attributions add up to its raw score (issue 16: the explainer
was handed raw strings, and for XGBoost and CatBoost compared margins with probabilities)."""

from __future__ import annotations

from typing import Any

from mltestscore.checks.explain import check_single_example_explanation
from mltestscore.checks.result import Outcome


def test_it_explains_a_booster_pipeline_in_its_input_columns(fitted: Any) -> None:
    model, X, _ = fitted
    result = check_single_example_explanation(model, X, 0, sample_size=100)
    result.assert_ok()
    assert result.measurements["explainer"] == "tree"
    assert result.measurements["worst_additivity_gap_in_sample"] <= 1e-3
    explained = {row[0] for row in result.tables[1].rows}
    assert explained <= set(X.columns)
    assert "raw score" in result.tables[0].title


def test_it_explains_the_whole_pipeline_model_agnostically_on_its_raw_input(
    fitted: Any,
) -> None:
    model, X, _ = fitted
    result = check_single_example_explanation(
        model,
        X.head(30),
        0,
        sample_size=2,
        background_size=10,
        time_budget_s=1.0,
        method="permutation",
    )
    result.assert_ok()
    assert result.measurements["explainer"] == "permutation"


def test_a_forced_linear_explainer_is_not_applicable_to_categorical_input(fitted: Any) -> None:
    model, X, _ = fitted
    result = check_single_example_explanation(model, X.head(30), 0, method="linear")
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "method='permutation'" in result.reason
