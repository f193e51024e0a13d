"""Pre-serving gate (infra-4): candidate vs production on the Adult holdout."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.checks.result import Outcome
from mltestscore.checks.serving_gate import check_serving_gate

SLICES = ["relationship", "sex", "race"]


@pytest.fixture(scope="module")
def golden(adult_model: Any, adult_xy: Any) -> tuple[pd.DataFrame, Any]:
    """Examples everyone knows the answer to: the production model is confident and right."""
    _, _, X_test, y_test = adult_xy
    proba = adult_model.predict_proba(X_test)[:, 1]
    sure = np.flatnonzero(((proba > 0.95) & (y_test == 1)) | ((proba < 0.02) & (y_test == 0)))
    return X_test.iloc[sure[:20]].reset_index(drop=True), y_test[sure[:20]]


def test_a_candidate_as_good_as_production_passes(adult_model: Any, adult_xy: Any) -> None:
    _, _, X_test, y_test = adult_xy
    result = check_serving_gate(
        adult_model,
        adult_model,
        X_test,
        y_test,
        slice_columns=SLICES,
        recorded_metrics=[0.89, 0.90],
    ).assert_ok()
    assert result.measurements["overall_drop"] == 0
    assert result.parameters["recorded_versions"] == 2
    assert len(result.tables[0].rows) > 5


def test_it_blocks_a_candidate_worse_on_one_slice_only(
    adult_model: Any, wife_corrupted_model: Any, adult_xy: Any
) -> None:
    _, _, X_test, y_test = adult_xy
    result = check_serving_gate(
        wife_corrupted_model, adult_model, X_test, y_test, slice_columns=SLICES
    )
    assert result.outcome is Outcome.FAILED
    assert result.measurements["overall_drop"] <= 0.01  # the average hides it
    assert "relationship=Wife" in result.reason
    assert result.tables[0].rows[1][0] == "relationship=Wife"  # worst slice first


def test_without_slices_the_same_candidate_slips_through(
    adult_model: Any, wife_corrupted_model: Any, adult_xy: Any
) -> None:
    _, _, X_test, y_test = adult_xy
    result = check_serving_gate(wife_corrupted_model, adult_model, X_test, y_test)
    assert result.ok, result.summary()


def test_it_blocks_a_candidate_that_gets_golden_examples_wrong(
    adult_model: Any, adult_xy: Any, golden: tuple[pd.DataFrame, Any]
) -> None:
    _, _, X_test, y_test = adult_xy
    golden_X, golden_y = golden
    assert check_serving_gate(
        adult_model, adult_model, X_test, y_test, golden_X=golden_X, golden_y=golden_y
    ).ok
    wrong = golden_y.copy()
    wrong[:2] = 1 - wrong[:2]
    result = check_serving_gate(
        adult_model, adult_model, X_test, y_test, golden_X=golden_X, golden_y=wrong
    )
    assert result.outcome is Outcome.FAILED
    assert "2 golden example(s) answered wrong (rows 0, 1)" in result.reason


def test_it_blocks_a_sudden_drop_against_the_previous_version(
    adult_model: Any, adult_xy: Any, adult_pipeline_factory: Any
) -> None:
    X_train, y_train, X_test, y_test = adult_xy
    weak = adult_pipeline_factory().set_params(model__max_iter=1).fit(X_train, y_train)
    result = check_serving_gate(weak, adult_model, X_test, y_test)
    assert result.outcome is Outcome.FAILED
    assert "roc_auc drops" in result.reason


def test_it_blocks_a_slow_drift_below_the_best_recorded_version(
    adult_model: Any, adult_xy: Any
) -> None:
    _, _, X_test, y_test = adult_xy
    history = [0.95, 0.93, 0.92, 0.91]  # each release a little worse than the last
    result = check_serving_gate(
        adult_model, adult_model, X_test, y_test, recorded_metrics=history, history_window=4
    )
    assert result.outcome is Outcome.FAILED
    assert "below the best of the last 4 versions (0.95" in result.reason
    shorter = check_serving_gate(
        adult_model, adult_model, X_test, y_test, recorded_metrics=history, history_window=2
    )
    assert shorter.ok, shorter.summary()


def test_it_orients_drops_for_metrics_where_lower_is_better(
    adult_model: Any, adult_xy: Any, adult_pipeline_factory: Any
) -> None:
    X_train, y_train, X_test, y_test = adult_xy
    weak = adult_pipeline_factory().set_params(model__max_iter=2).fit(X_train, y_train)
    result = check_serving_gate(weak, adult_model, X_test, y_test, metric="log_loss")
    assert result.outcome is Outcome.FAILED
    assert result.measurements["overall_drop"] > 0


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"candidate": "model.skops"}, "candidate"),
        ({"production": None}, "production"),
        ({"X": pd.DataFrame()}, "X"),
        ({"y": np.zeros(3)}, "y"),
        ({"slice_columns": ["zodiac"]}, "zodiac"),
        ({"golden_X": pd.DataFrame({"age": [1]})}, "golden"),
        ({"recorded_metrics": [float("nan")]}, "recorded_metrics"),
    ],
)
def test_it_names_the_bad_input(
    kwargs: dict[str, Any], argument: str, adult_model: Any, adult_xy: Any
) -> None:
    _, _, X_test, y_test = adult_xy
    arguments: dict[str, Any] = {
        "candidate": adult_model,
        "production": adult_model,
        "X": X_test,
        "y": y_test,
        **kwargs,
    }
    result = check_serving_gate(**arguments)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


class HardLabelsOnly:
    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, X: Any) -> Any:
        return self.model.predict(X)


def test_log_loss_is_not_applicable_when_a_model_has_no_probabilities(
    adult_model: Any, adult_xy: Any
) -> None:
    _, _, X_test, y_test = adult_xy
    result = check_serving_gate(
        HardLabelsOnly(adult_model), adult_model, X_test, y_test, metric="log_loss"
    )
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "HardLabelsOnly" in result.reason


def test_a_model_with_hard_labels_only_is_gated_on_its_labels(
    adult_model: Any, adult_xy: Any
) -> None:
    _, _, X_test, y_test = adult_xy
    hard = HardLabelsOnly(adult_model)
    result = check_serving_gate(hard, hard, X_test, y_test, slice_columns=["sex"])
    assert result.ok, result.summary()


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.integers(min_value=60, max_value=1200),
    columns=st.lists(st.sampled_from(["sex", "race", "age", "relationship"]), max_size=2),
)
def test_a_candidate_identical_to_production_is_never_blocked(
    adult_model: Any, adult_xy: Any, rows: int, columns: list[str]
) -> None:
    _, _, X_test, y_test = adult_xy
    X = X_test.head(rows).copy()  # a new frame: no cached predictions from other examples
    result = check_serving_gate(
        adult_model, adult_model, X, y_test[:rows], slice_columns=columns, min_slice_size=20
    )
    assert result.ok, result.summary()
    assert result.measurements["overall_drop"] == 0


class Shifted:
    """``model``'s predictions plus ``shift`` (on the rows where ``column`` is ``value``)."""

    def __init__(self, model: Any, shift: float, column: str | None = None, value: Any = None):
        self.model, self.shift, self.column, self.value = model, shift, column, value

    def predict(self, X: Any) -> Any:
        where = 1.0 if self.column is None else (X[self.column] == self.value).to_numpy()
        return self.model.predict(X[["x"]]) + self.shift * where


@pytest.fixture(scope="module")
def weekly_hours() -> tuple[Any, pd.DataFrame, Any]:
    """A regression in hours: RMSE about 10 around a linear trend, four regions."""
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=2000), "region": rng.choice(list("NESW"), 2000)})
    y = 40 + 10 * X["x"].to_numpy() + rng.normal(scale=10, size=2000)
    return Shifted(LinearRegression().fit(X[["x"]], y), 0.0), X, y


def test_an_error_in_the_targets_units_is_gated_relative_to_production(
    weekly_hours: tuple[Any, pd.DataFrame, Any],
) -> None:
    """0.05 hours is no limit for an RMSE of 10 hours: a candidate 1.5 hours off on one
    region (its RMSE there about 2% higher) passes; one 5 hours off everywhere (about 12%
    higher) is blocked, and the reason says by how much, relative to production."""
    production, X, y = weekly_hours
    slightly = Shifted(production.model, 1.5, "region", "N")
    result = check_serving_gate(slightly, production, X, y, slice_columns=["region"])
    assert result.ok, result.summary()
    assert result.parameters["drops"] == "relative to production"
    assert 0.01 < result.measurements["worst_slice_drop"] < 0.03
    far_off = Shifted(production.model, 5.0)
    blocked = check_serving_gate(far_off, production, X, y, slice_columns=["region"])
    assert blocked.outcome is Outcome.FAILED
    assert "rmse drops 1" in blocked.reason
    assert "% overall (limit 1% of production's)" in blocked.reason
    assert "slice(s) drop past 5% of production's" in blocked.reason
    # a metric on a fixed scale keeps its limits in metric units
    r2 = check_serving_gate(slightly, production, X, y, metric="r2", slice_columns=["region"])
    assert r2.parameters["drops"] == "metric units"
