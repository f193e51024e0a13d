"""model-7: features that stand in for a sensitive attribute."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome
from mltestscore.checks.fairness import check_sensitive_proxies

MARRIAGE = ["relationship", "marital-status", "occupation"]


@pytest.fixture(scope="session")
def features(adult: Any) -> Any:
    return adult.drop(columns=["income"])


def test_relationship_is_a_proxy_for_sex_in_adult(features: Any) -> None:
    """ "Husband" and "Wife" name the sex: dropping the sex column alone does not hide it."""
    result = check_sensitive_proxies(features, "sex")

    assert result.outcome is Outcome.FAILED
    assert result.rubric_ids == ("model-7",)
    assert "relationship predicts sex" in result.reason
    assert result.measurements["strongest_feature"] == "relationship"
    assert result.measurements["strongest_auc"] > 0.8
    assert result.measurements["joint_auc.sex"] >= result.measurements["strongest_auc"] - 0.05
    assert result.tables[0].rows[0][1] == "(all features together)"


def test_it_finds_a_planted_proxy_for_sex(features: Any) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    agrees = rng.random(len(features)) < 0.9
    title = np.where((features["sex"] == "Female") == agrees, "Ms", "Mr")
    planted = features.drop(columns=MARRIAGE).assign(title=title)

    result = check_sensitive_proxies(planted, "sex", joint_model=False)

    assert result.outcome is Outcome.FAILED
    assert result.measurements["strongest_feature"] == "title"
    assert result.measurements["proxies"] == 1
    assert "title predicts sex (AUC 0.9" in result.reason


def test_without_the_marriage_columns_no_feature_gives_sex_away(features: Any) -> None:
    result = check_sensitive_proxies(features.drop(columns=MARRIAGE), "sex", joint_model=False)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["strongest_auc"] < 0.7


def test_no_single_feature_predicts_race(features: Any) -> None:
    result = check_sensitive_proxies(features, "race", joint_model=False)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.parameters["min_class_size"] == 20  # rare races are pooled, not dropped


def test_a_joint_limit_catches_attributes_recoverable_from_everything(features: Any) -> None:
    result = check_sensitive_proxies(
        features.drop(columns=["relationship"]), "sex", max_auc=0.95, max_joint_auc=0.8
    )
    assert result.measurements["proxies"] == 0
    assert result.outcome is Outcome.FAILED
    assert "joint limit" in result.reason


def test_the_attribute_can_be_given_apart_from_the_features(features: Any) -> None:
    sex = features["sex"]
    result = check_sensitive_proxies(features.drop(columns=["sex"]), sex, joint_model=False)
    assert result.parameters["sensitive"] == "sex"
    assert result.outcome is Outcome.FAILED


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), levels=st.integers(2, 12))
def test_a_pure_noise_feature_is_never_a_proxy(features: Any, seed: int, levels: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    noise = features[["sex"]].assign(noise=rng.integers(0, levels, len(features)).astype(str))
    result = check_sensitive_proxies(noise, "sex", joint_model=False, sample_size=2000)
    assert result.measurements["strongest_auc"] < 0.6


@pytest.mark.parametrize(
    ("sensitive", "kwargs", "argument"),
    [
        ("religion", {}, "sensitive"),
        ("blank", {}, "sensitive"),
        ("constant", {}, "sensitive"),
        ("sex", {"features": ["sex"]}, "features"),
        ("sex", {"features": ["no-such-column"]}, "features"),
        ("sex", {"features": ["blank"]}, "features"),
        ("sex", {"cv": 1}, "cv"),
        ("sex", {"max_auc": 0.3}, "max_auc"),
    ],
    ids=str,
)
def test_bad_input_gives_an_error_naming_the_argument(
    features: Any, sensitive: str, kwargs: dict[str, Any], argument: str
) -> None:
    import numpy as np

    X = features.assign(blank=np.nan, constant="same")
    result = check_sensitive_proxies(X, sensitive, **kwargs)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def test_an_empty_frame_is_named(features: Any) -> None:
    result = check_sensitive_proxies(features.iloc[:0], "sex")
    assert result.outcome is Outcome.ERROR
    assert "X" in result.reason


def test_empty_columns_are_skipped_by_default_and_recorded(features: Any) -> None:
    import numpy as np

    result = check_sensitive_proxies(features.assign(blank=np.nan), "sex", joint_model=False)
    assert result.parameters["features_skipped_as_empty"] == "blank"
    assert "blank" not in {row[1] for row in result.tables[0].rows}


def test_a_numeric_attribute_is_predicted_by_its_quartile(features: Any) -> None:
    result = check_sensitive_proxies(features, "age", joint_model=False)
    assert result.outcome is not Outcome.ERROR, result.summary()
    assert result.measurements["strongest_feature"] in {"relationship", "marital-status"}


def test_by_default_a_slow_machine_changes_neither_the_work_nor_the_figures(
    features: Any, slow_machine: Any
) -> None:
    from mltestscore.checks import fairness

    quick = check_sensitive_proxies(features, "sex", sample_size=2000)
    slow_machine(fairness)
    slow = check_sensitive_proxies(features, "sex", sample_size=2000)
    assert slow.parameters["pairs_untested_for_time"] == 0
    assert slow.parameters["joint_model_skipped_for_time"] is False
    assert slow.outcome == quick.outcome
    assert slow.tables[0].rows == quick.tables[0].rows
    without_time = {k: v for k, v in slow.measurements.items() if k != "seconds"}
    assert without_time == {k: v for k, v in quick.measurements.items() if k != "seconds"}


def test_the_time_budget_stops_the_search_and_the_reason_says_what_was_left(
    features: Any,
) -> None:
    result = check_sensitive_proxies(features, "sex", time_budget_s=0.0)
    assert result.parameters["pairs_untested_for_time"] == len(features.columns) - 2
    assert result.parameters["joint_model_skipped_for_time"] is True
    assert "time budget left 12 feature(s) and the joint model untested" in result.reason
