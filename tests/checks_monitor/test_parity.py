"""check_feature_parity (monitor-3): the same raw Adult rows through training and serving code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mltestscore.checks import Outcome
from mltestscore.checks.drift import check_feature_parity


def training_features(raw: pd.DataFrame) -> pd.DataFrame:
    """The batch feature code: log capital, hours bucketed, a married flag."""
    return pd.DataFrame(
        {
            "log_capital_gain": np.log1p(raw["capital-gain"].astype(float)),
            "hours_bucket": (raw["hours-per-week"] // 10).astype("int64"),
            "married": raw["marital-status"].str.startswith("Married"),
            "occupation": raw["occupation"],
        }
    )


def serving_features_one(example: dict[str, Any]) -> dict[str, Any]:
    """The online feature code, one request at a time, written separately."""
    occupation = example["occupation"]
    return {
        "log_capital_gain": float(np.log1p(float(example["capital-gain"]))),
        "hours_bucket": int(example["hours-per-week"]) // 10,
        "married": str(example["marital-status"]).startswith("Married"),
        "occupation": None if pd.isna(occupation) else occupation,
    }


def test_identical_feature_code_passes(adult: pd.DataFrame) -> None:
    result = check_feature_parity(adult, training_features, training_features)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["differing_cells"] == 0
    assert result.parameters["examples"] == 1000
    assert result.parameters["sampled"] is True


def test_a_row_by_row_serving_implementation_that_agrees_passes(adult: pd.DataFrame) -> None:
    result = check_feature_parity(
        adult, training_features, serving_features_one, serving_row_by_row=True, sample_size=300
    )
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.parameters["serving_row_by_row"] is True


def test_it_flags_a_serving_transform_that_differs_in_one_feature(adult: pd.DataFrame) -> None:
    def serving(raw: pd.DataFrame) -> pd.DataFrame:
        features = training_features(raw)
        features["log_capital_gain"] = np.log(raw["capital-gain"].astype(float) + 1e-3)
        return features

    result = check_feature_parity(adult, training_features, serving)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["differing_columns"] == 1
    assert "1 of 4 features differ" in result.reason
    assert "log_capital_gain" in result.reason
    per_column, examples = result.tables
    assert per_column.rows[0][0] == "log_capital_gain"
    assert all(row[1] == "log_capital_gain" for row in examples.rows)
    assert len(examples.rows) == 20


def test_the_first_differing_examples_carry_their_row_label_in_the_raw_data(
    adult: pd.DataFrame,
) -> None:
    def serving(example: dict[str, Any]) -> dict[str, Any]:
        features = serving_features_one(example)
        if example["age"] > 60:
            features["hours_bucket"] += 1
        return features

    raw = adult.iloc[:200]
    result = check_feature_parity(
        raw, training_features, serving, serving_row_by_row=True, sample_size=None
    )
    assert result.outcome is Outcome.FAILED
    first_label = result.tables[1].rows[0][0]
    assert first_label == raw.index[raw["age"] > 60][0]
    assert result.measurements["differing_rows"] == int((raw["age"] > 60).sum())


def test_differences_within_the_tolerance_pass(adult: pd.DataFrame) -> None:
    def noisy(raw: pd.DataFrame) -> pd.DataFrame:
        features = training_features(raw)
        features["log_capital_gain"] *= 1 + 1e-9
        return features

    assert check_feature_parity(adult, training_features, noisy).outcome is Outcome.PASSED
    strict = check_feature_parity(adult, training_features, noisy, rtol=0.0, atol=0.0)
    assert strict.outcome is Outcome.FAILED


def test_a_missing_serving_column_is_a_shape_failure_naming_it(adult: pd.DataFrame) -> None:
    def serving(raw: pd.DataFrame) -> pd.DataFrame:
        return training_features(raw).drop(columns=["married"])

    result = check_feature_parity(adult, training_features, serving)
    assert result.outcome is Outcome.FAILED
    assert "only the training code produces ['married']" in result.reason


def test_bad_inputs_give_errors_naming_the_argument(adult: pd.DataFrame) -> None:
    not_callable = check_feature_parity(adult, training_features, "serving.py")  # type: ignore[arg-type]
    assert not_callable.outcome is Outcome.ERROR
    assert "serving_features: must be callable" in not_callable.reason

    def crashes(raw: pd.DataFrame) -> pd.DataFrame:
        raise KeyError("workclass_code")

    crashed = check_feature_parity(adult, training_features, crashes)
    assert crashed.outcome is Outcome.ERROR
    assert "KeyError" in crashed.reason

    wrong_type = check_feature_parity(adult, training_features, lambda raw: 42)
    assert wrong_type.outcome is Outcome.ERROR
    assert "serving_features: must return a DataFrame" in wrong_type.reason

    negative = check_feature_parity(adult, training_features, training_features, rtol=-1)
    assert negative.outcome is Outcome.ERROR
    assert "rtol: must not be negative" in negative.reason

    empty = check_feature_parity(adult.iloc[:0], training_features, training_features)
    assert empty.outcome is Outcome.ERROR
    assert "raw: the data has no rows" in empty.reason
