"""Bad input gives an error result naming what is wrong, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mltestscore.checks import all_checks
from mltestscore.checks.decay import check_staleness_impact
from mltestscore.checks.explain import check_pipeline_step_through, check_single_example_explanation
from mltestscore.checks.feature_cost import check_feature_costs
from mltestscore.checks.importance import check_features_are_beneficial
from mltestscore.checks.result import CheckResult, Outcome
from mltestscore.checks.tuning import check_no_better_params_nearby, check_trials_chose_best

from .conftest import STRONG

MODEL_CHECKS: dict[str, Callable[..., CheckResult]] = {
    "importance": check_features_are_beneficial,
    "feature_cost": check_feature_costs,
    "explain": lambda m, X, y, **kw: check_single_example_explanation(m, X, **kw),
    "step_through": lambda m, X, y, **kw: check_pipeline_step_through(m, X, **kw),
}


@pytest.fixture(scope="module")
def good(clean_model: Any, planted: tuple[Any, Any]) -> tuple[Any, Any, Any]:
    _, test = planted
    sample = test.iloc[:200]
    return clean_model, sample[STRONG], sample["income"]


@pytest.mark.parametrize("check", MODEL_CHECKS.values(), ids=MODEL_CHECKS.keys())
def test_an_empty_frame_is_an_error_naming_x(check: Callable[..., CheckResult], good: Any) -> None:
    model, X, y = good
    result = check(model, X.iloc[:0], y.iloc[:0])
    assert result.outcome is Outcome.ERROR
    assert "X: has no rows" in result.reason


@pytest.mark.parametrize("check", MODEL_CHECKS.values(), ids=MODEL_CHECKS.keys())
def test_an_all_missing_column_is_named(check: Callable[..., CheckResult], good: Any) -> None:
    model, X, y = good
    broken = X.assign(age=float("nan"))
    result = check(model, broken, y)
    assert result.outcome is Outcome.ERROR
    assert "X: column(s) entirely missing: age" in result.reason


@pytest.mark.parametrize("check", MODEL_CHECKS.values(), ids=MODEL_CHECKS.keys())
def test_a_list_instead_of_a_frame_is_an_error(
    check: Callable[..., CheckResult], good: Any
) -> None:
    model, X, y = good
    result = check(model, X.to_numpy().tolist(), y)
    assert result.outcome is Outcome.ERROR
    assert "expected a pandas DataFrame, got list" in result.reason


@pytest.mark.parametrize("check", MODEL_CHECKS.values(), ids=MODEL_CHECKS.keys())
def test_a_string_instead_of_a_model_is_an_error(
    check: Callable[..., CheckResult], good: Any
) -> None:
    _, X, y = good
    result = check("model.pkl", X, y)
    assert result.outcome is Outcome.ERROR
    assert "predict method, got str" in result.reason


@pytest.mark.parametrize("check", MODEL_CHECKS.values(), ids=MODEL_CHECKS.keys())
def test_a_frame_missing_a_model_column_is_an_error_not_a_crash(
    check: Callable[..., CheckResult], good: Any
) -> None:
    model, X, y = good
    result = check(model, X.drop(columns=["occupation"]), y)
    assert result.outcome is Outcome.ERROR
    assert "occupation" in result.reason


def test_labels_that_do_not_match_the_rows_are_named(good: Any) -> None:
    model, X, y = good
    short = check_features_are_beneficial(model, X, y.iloc[:10])
    assert short.outcome is Outcome.ERROR
    assert "y: has 10 labels for 200 rows" in short.reason
    missing = check_feature_costs(model, X, y.astype(float).where(y.index > 3))
    assert "y: contains missing labels" in missing.reason


def test_unknown_features_metrics_and_costs_are_named(good: Any) -> None:
    model, X, y = good
    assert "'nope'" in check_features_are_beneficial(model, X, y, features=["nope"]).reason
    assert "unknown metric 'auc'" in check_features_are_beneficial(model, X, y, metric="auc").reason
    negative = check_feature_costs(model, X, y, declared_costs={"age": -1.0})
    assert "declared_costs['age']" in negative.reason
    assert "index" in check_single_example_explanation(model, X, 10_000).reason


def test_staleness_names_its_bad_columns(adult_pipeline_factory: Any, adult: Any) -> None:
    no_time = check_staleness_impact(
        adult_pipeline_factory(), adult, time_column="when", target="income"
    )
    assert "time_column: column(s) 'when' not in the data" in no_time.reason
    text_time = check_staleness_impact(
        adult_pipeline_factory(),
        adult.assign(when="yesterday"),
        time_column="when",
        target="income",
    )
    assert text_time.outcome is Outcome.ERROR
    assert "time_column 'when'" in text_time.reason
    assert (
        "'model'"
        not in check_staleness_impact(
            "model", adult, time_column="age", target="income"
        ).reason.split(":")[0]
    )


def test_tuning_checks_name_their_bad_inputs(adult: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    from mltestscore.checks.tuning import check_search_chose_best

    assert "search" in check_search_chose_best(LogisticRegression()).reason
    assert "score_column" in check_trials_chose_best([{"a": 1, "loss": 1.0}], 0).reason
    assert "chosen" in check_trials_chose_best([{"a": 1, "score": 1.0}], 5).reason
    assert "model" in check_no_better_params_nearby(object(), adult, adult["income"]).reason


def test_every_check_of_this_module_is_registered_with_its_rubric_id() -> None:
    expected = {
        "check_features_are_beneficial": ("data-2",),
        "check_feature_costs": ("data-3",),
        "check_single_example_explanation": ("infra-5",),
        "check_pipeline_step_through": ("infra-5",),
        "check_search_chose_best": ("model-3",),
        "check_trials_chose_best": ("model-3",),
        "check_no_better_params_nearby": ("model-3",),
        "check_staleness_impact": ("model-4",),
        "check_offline_online_correlation": ("model-2",),
    }
    registered = {info.name: info for info in all_checks()}
    for name, ids in expected.items():
        assert registered[name].rubric_ids == ids
        assert registered[name].description.startswith(name) is False
        assert len(registered[name].description) > 20
