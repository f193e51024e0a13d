"""Feature policy check (data-4) against a real spec for the Adult features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mltestscore.checks import Outcome
from mltestscore.checks.policy import (
    FeatureSpecError,
    check_feature_policy,
    load_feature_spec,
    model_input_names,
    parse_feature_spec,
)

SPEC = Path(__file__).parent / "adult_features.yaml"


@pytest.fixture
def spec() -> dict[str, Any]:
    """The Adult spec as a mutable dict, to plant defects in."""
    data: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return data


def verdicts(result: Any) -> dict[str, str]:
    return {str(row[0]): str(row[-1]) for row in result.tables[0].rows}


def test_the_fitted_adult_pipeline_keeps_to_its_feature_spec(adult_model: Any) -> None:
    result = check_feature_policy(SPEC, adult_model)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["inputs"] == 14
    assert result.measurements["documented_but_unused"] == 1  # email: documented, not an input
    assert result.measurements["total_cost"] == pytest.approx(5.3)
    assert result.parameters["input_source"] == "model"


def test_it_flags_a_sensitive_input_that_is_not_allowed(
    adult_model: Any, spec: dict[str, Any]
) -> None:
    spec["allow_sensitive"].remove("race")
    result = check_feature_policy(spec, adult_model)
    assert result.outcome is Outcome.FAILED
    assert "race (sensitive, not allowed)" in result.reason
    assert verdicts(result)["race"] == "sensitive, not allowed"


def test_it_flags_a_deprecated_feature(adult_model: Any, spec: dict[str, Any]) -> None:
    spec["features"]["fnlwgt"]["deprecated"] = True
    result = check_feature_policy(spec, adult_model)
    assert result.outcome is Outcome.FAILED
    assert "fnlwgt (deprecated)" in result.reason


def test_it_flags_an_undocumented_input_and_one_without_an_owner(
    adult_model: Any, spec: dict[str, Any]
) -> None:
    del spec["features"]["occupation"]
    spec["features"]["workclass"]["owner"] = ""
    result = check_feature_policy(spec, adult_model)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["undocumented"] == 1
    assert verdicts(result)["occupation"] == "undocumented"
    assert verdicts(result)["workclass"] == "no owner"
    assert result.tables[0].rows[0][-1] != "ok"  # problems sort first


def test_it_flags_denied_and_personal_data_inputs_given_as_columns(
    adult: Any,
) -> None:
    columns = [*adult.columns.drop("income"), "email"]
    result = check_feature_policy(SPEC, columns=columns)
    assert result.outcome is Outcome.FAILED
    assert verdicts(result)["email"] == "denied; personal data, not allowed"
    assert result.parameters["input_source"] == "columns"


def test_it_reads_the_inputs_of_a_pipeline_from_its_first_step(adult_model: Any) -> None:
    class Wrapped:
        steps = adult_model.steps

    assert model_input_names(Wrapped()) == list(adult_model.feature_names_in_)


def test_a_plain_estimator_fitted_on_a_frame_is_read_too(adult: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    numeric = adult[["age", "hours-per-week"]]
    model = LogisticRegression().fit(numeric, adult["income"])
    assert check_feature_policy(SPEC, model).ok


def test_a_model_fitted_without_feature_names_is_an_error_naming_the_model(adult: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(adult[["age"]].to_numpy(), adult["income"])
    result = check_feature_policy(SPEC, model)
    assert result.outcome is Outcome.ERROR
    assert "model" in result.reason
    assert "feature_names_in_" in result.reason


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("features: {age: {owner: a, sensitve: true}}", "feature 'age'"),
        ("features: {age: {owner: a, pii: maybe}}", "'pii' must be true or false"),
        ("features: {age: {cost: -1}}", "'cost' must be a non-negative number"),
        ("features: {age: {owner: [a, b]}}", "'owner' must be text"),
        ("features: {}", "non-empty mapping"),
        ("feature: {age: {}}", "unknown top-level key"),
        ("features: {age: {}}\nallow_sensitive: age", "'allow_sensitive' must be a list"),
        ("features: [age]", "features[0] needs a 'name'"),
        ("features: {age: {owner: a]", "not valid YAML"),
    ],
)
def test_a_broken_spec_file_is_an_error_naming_the_file_and_the_problem(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "features.yaml"
    path.write_text(text)
    with pytest.raises(FeatureSpecError, match=r"features\.yaml") as caught:
        load_feature_spec(path)
    assert named in str(caught.value)
    result = check_feature_policy(path, columns=["age"])
    assert result.outcome is Outcome.ERROR
    assert "features.yaml" in result.reason


def test_features_can_be_listed_with_names() -> None:
    policy = parse_feature_spec(
        {"features": [{"name": "age", "owner": "a", "description": "d", "source": "s"}]}
    )
    assert policy.features["age"].owner == "a"
    assert check_feature_policy(policy, columns=["age"]).ok


@pytest.mark.parametrize(
    ("spec", "model", "columns", "named"),
    [
        (SPEC, None, None, "model"),
        (SPEC, None, "age", "columns"),
        (SPEC, None, [], "columns"),
        (42, None, ["age"], "spec"),
        ("/no/such/features.yaml", None, ["age"], "/no/such/features.yaml"),
    ],
)
def test_bad_input_is_an_error_naming_the_argument(
    spec: Any, model: Any, columns: Any, named: str
) -> None:
    result = check_feature_policy(spec, model, columns=columns)
    assert result.outcome is Outcome.ERROR
    assert named in result.reason
