"""Property-based tests of feature code (data-7), driven by the Adult schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from mltestscore.checks import Outcome
from mltestscore.checks.feature_code import check_feature_code, column_specs
from mltestscore.checks.schema import schema_to_dict

if TYPE_CHECKING:
    from collections.abc import Callable

FAST: dict[str, Any] = {"max_examples": 25, "shrink_seconds": 1.5}


def adult_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Sound feature code: guards its logs and fills its gaps."""
    out = pd.DataFrame(index=frame.index)
    out["log_gain"] = np.log1p(frame["capital-gain"].fillna(0))
    out["age_decade"] = frame["age"].fillna(40) // 10
    out["is_private"] = (frame["workclass"] == "Private").astype("int64")
    return out


def net_capital_log(frame: pd.DataFrame) -> pd.DataFrame:
    out = adult_features(frame)
    out["log_net"] = np.log(frame["capital-gain"] - frame["capital-loss"] + 1)
    return out


def standardised_age(frame: pd.DataFrame) -> pd.DataFrame:
    """Standardises with the batch's own statistics: fine on a big batch, NaN on a single row."""
    out = adult_features(frame)
    age = frame["age"].fillna(40)
    out["age_z"] = (age - age.mean()) / age.std()
    return out


def noisy(frame: pd.DataFrame) -> pd.DataFrame:
    out = adult_features(frame)
    out["jitter"] = np.random.default_rng().random(len(frame))
    return out


def deduplicating(frame: pd.DataFrame) -> pd.DataFrame:
    return adult_features(frame.drop_duplicates())


def age_groups(frame: pd.DataFrame) -> pd.DataFrame:
    out = adult_features(frame)
    out["age_group"] = frame["age"].apply(lambda a: "senior" if a >= 65 else a // 10)
    return out


def in_place(frame: pd.DataFrame) -> pd.DataFrame:
    frame["hours-per-week"] = frame["hours-per-week"].clip(upper=60)
    return adult_features(frame)


def integer_age(frame: pd.DataFrame) -> pd.DataFrame:
    out = adult_features(frame)
    out["age"] = frame["age"].astype("int64")
    return out


def passthrough(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["age", "hours-per-week"]] * 2


def test_sound_feature_code_passes_with_inputs_from_the_schema(adult_schema: Any) -> None:
    result = check_feature_code(adult_features, adult_schema, **FAST)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["examples_run"] == 25
    assert result.measurements["edge_rows"] > 30  # one per native-country value
    assert result.parameters["seed"] == 0
    assert result.parameters["inputs_from"] == "schema"


def test_sound_feature_code_passes_with_inputs_from_training_data(
    train_features: pd.DataFrame,
) -> None:
    result = check_feature_code(adult_features, training_data=train_features, **FAST)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.parameters["inputs_from"] == "training_data"


def test_edge_values_find_a_log_of_a_non_positive_number_and_name_the_column(
    adult_schema: Any,
) -> None:
    result = check_feature_code(net_capital_log, adult_schema, **FAST)
    assert result.outcome is Outcome.FAILED
    assert "on edge values: output 'log_net' is NaN/missing for valid input" in result.reason
    assert "failing row: capital-loss=" in result.reason
    assert "other 13 columns at their simplest value" in result.reason
    example = result.tables[0]
    assert example.title == "Failing edge-value input"
    row = dict(zip(example.columns, example.rows[0], strict=True))
    assert row["capital-loss"] > row["capital-gain"] == 0


def test_hypothesis_finds_a_batch_of_one_and_shrinks_it(adult_schema: Any) -> None:
    result = check_feature_code(standardised_age, adult_schema, **FAST)
    assert result.outcome is Outcome.FAILED
    assert "output 'age_z' is NaN/missing for valid input" in result.reason
    assert "shrunk example: 1 row(s)" in result.reason
    assert result.tables[0].title == "Shrunk failing input"
    assert len(result.tables[0].rows) == 1
    assert result.measurements["examples_run"] >= 1


@pytest.mark.parametrize(
    ("feature_fn", "message"),
    [
        (noisy, "not deterministic"),
        (deduplicating, "returns 1 rows for 2 input rows"),
        (age_groups, "output dtypes changed: age_group"),
        (in_place, "modifies its input frame in place"),
        (integer_age, "it raised IntCastingNaNError"),
        (lambda frame: frame["age"], "it returned Series, not a DataFrame"),
    ],
    ids=["random", "drops-rows", "unstable-dtype", "mutates-input", "nan-crash", "series"],
)
def test_it_catches_a_broken_property(
    adult_schema: Any, feature_fn: Callable[[pd.DataFrame], Any], message: str
) -> None:
    result = check_feature_code(feature_fn, adult_schema, **FAST)
    assert result.outcome is Outcome.FAILED
    assert message in result.reason


def test_code_that_only_fails_on_missing_values_passes_without_them(adult_schema: Any) -> None:
    assert check_feature_code(integer_age, adult_schema, missing_values=False, **FAST).ok


def test_nan_outputs_are_allowed_where_the_input_was_missing(adult_schema: Any) -> None:
    result = check_feature_code(passthrough, adult_schema, **FAST)
    assert result.outcome is Outcome.PASSED, result.summary()


def test_the_same_seed_gives_the_same_verdict(adult_schema: Any) -> None:
    first = check_feature_code(deduplicating, adult_schema, seed=11, **FAST)
    second = check_feature_code(deduplicating, adult_schema, seed=11, **FAST)
    assert first.parameters["seed"] == 11
    assert first.outcome is second.outcome is Outcome.FAILED
    assert first.reason == second.reason


def test_code_failing_on_reference_data_fails_before_generation(
    train_features: pd.DataFrame,
) -> None:
    def needs_email(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[["email"]]

    result = check_feature_code(needs_email, training_data=train_features, **FAST)
    assert result.outcome is Outcome.FAILED
    assert "fails on reference data" in result.reason
    assert "KeyError" in result.reason


def test_the_schema_gives_kinds_ranges_categories_and_nullability(adult_schema: Any) -> None:
    specs = {s.name: s for s in column_specs(schema_to_dict(adult_schema)["expectations"])}
    assert list(specs)[:3] == ["age", "workclass", "fnlwgt"]
    assert specs["age"].kind == "int"
    assert specs["age"].low is not None
    assert specs["age"].high is not None
    assert specs["age"].low <= 17
    assert specs["age"].high >= 90
    assert specs["sex"].kind == "category"
    assert set(specs["sex"].values) == {"Female", "Male"}
    assert specs["workclass"].nullable


@pytest.mark.parametrize(
    ("feature_fn", "schema", "training", "named"),
    [
        ("not callable", "suite", None, "feature_fn"),
        (adult_features, None, None, "schema"),
        (adult_features, None, "empty", "training_data"),
        (adult_features, 3.5, None, "schema"),
        (adult_features, {"name": "x", "expectations": []}, None, "schema"),
    ],
)
def test_bad_input_is_an_error_naming_the_argument(
    adult_schema: Any,
    train_features: pd.DataFrame,
    feature_fn: Any,
    schema: Any,
    training: Any,
    named: str,
) -> None:
    result = check_feature_code(
        feature_fn,
        adult_schema if schema == "suite" else schema,
        training_data=train_features.iloc[:0] if training == "empty" else None,
        **FAST,
    )
    assert result.outcome is Outcome.ERROR
    assert named in result.reason


def test_datetime_inputs_are_generated_too() -> None:
    frame = pd.DataFrame(
        {"when": pd.date_range("2020-01-01", periods=30), "amount": np.linspace(1, 90, 30)}
    )

    def days_per_unit(batch: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=batch.index)
        out["weekday"] = batch["when"].dt.dayofweek.fillna(0).astype("int64")
        out["per_unit"] = (batch["when"] - pd.Timestamp("2000-01-01")).dt.days / (
            batch["amount"] - 1
        )
        return out

    result = check_feature_code(days_per_unit, training_data=frame, **FAST)
    assert result.outcome is Outcome.FAILED
    assert "output 'per_unit' is NaN/missing for valid input" in result.reason
