"""model-5: a simpler model is not better."""

from __future__ import annotations

from typing import Any

import pytest

from mltestscore.checks import Outcome
from mltestscore.checks.baselines import check_simpler_model_is_not_better


def test_the_adult_model_beats_the_dummy_and_the_linear_baseline(
    adult_model: Any, xy_train: Any, xy_test: Any
) -> None:
    X_train, y_train = xy_train
    X_test, y_test = xy_test
    result = check_simpler_model_is_not_better(
        adult_model, X_test, y_test, X_train=X_train, y_train=y_train
    ).assert_ok()

    assert result.rubric_ids == ("model-5",)
    assert result.measurements["dummy_roc_auc"] == pytest.approx(0.5)
    assert result.measurements["model_roc_auc"] > result.measurements["linear_roc_auc"] > 0.8
    assert len(result.tables[0].rows) == 3
    assert result.parameters["mode"] == "holdout"
    assert result.parameters["rows_used"] == len(X_test)
    assert len(str(result.parameters["simple_features"]).split(", ")) == 5
    low, high = (result.measurements[f"gain_over_linear_ci_{end}"] for end in ("low", "high"))
    assert low < result.measurements["gain_over_linear"] < high
    assert "CI" in result.reason


def test_it_fails_a_model_trained_on_shuffled_labels_that_is_no_better_than_the_dummy(
    adult_pipeline_factory: Any, xy_train: Any, xy_test: Any
) -> None:
    import numpy as np

    X_train, y_train = xy_train
    X_test, y_test = xy_test
    shuffled = np.random.default_rng(1).permutation(y_train)
    noise = adult_pipeline_factory(max_leaf_nodes=4).fit(X_train, shuffled)

    result = check_simpler_model_is_not_better(
        noise, X_test, y_test, X_train=X_train, y_train=y_train
    )

    assert result.outcome is Outcome.FAILED
    assert result.measurements["gain_over_dummy"] < 0.01
    assert "a simpler model is as good" in result.reason


def test_it_fails_a_decision_stump_that_the_linear_model_beats(
    adult_pipeline_factory: Any, xy_train: Any, xy_test: Any
) -> None:
    X_train, y_train = xy_train
    X_test, y_test = xy_test
    stump = adult_pipeline_factory(max_depth=1, learning_rate=0.01).fit(X_train, y_train)

    result = check_simpler_model_is_not_better(
        stump, X_test, y_test, X_train=X_train, y_train=y_train
    )

    assert result.outcome is Outcome.FAILED
    assert result.measurements["gain_over_dummy"] > 0.01  # it beats the dummy...
    assert result.measurements["gain_over_linear"] < 0  # ...but not the linear model


def test_a_required_margin_over_the_linear_model_can_make_a_good_model_fail(
    adult_model: Any, xy_train: Any, xy_test: Any
) -> None:
    X_train, y_train = xy_train
    X_test, y_test = xy_test
    result = check_simpler_model_is_not_better(
        adult_model, X_test, y_test, X_train=X_train, y_train=y_train, min_gain_over_linear=0.2
    )
    assert result.outcome is Outcome.FAILED
    assert result.thresholds["min_gain_over_linear"] == 0.2


def test_relative_gains_are_fractions_of_the_baseline_score(
    adult_model: Any, xy_train: Any, xy_test: Any
) -> None:
    X_train, y_train = xy_train
    X_test, y_test = xy_test
    result = check_simpler_model_is_not_better(
        adult_model, X_test, y_test, X_train=X_train, y_train=y_train, gain="relative"
    )
    expected = (result.measurements["model_roc_auc"] - 0.5) / 0.5
    assert result.measurements["gain_over_dummy"] == pytest.approx(expected)


def test_cross_validation_refits_clones_and_leaves_the_model_unfitted(adult: Any) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = ["age", "education-num", "capital-gain", "hours-per-week"]
    model = make_pipeline(
        make_column_transformer(
            (StandardScaler(), numeric),
            (OneHotEncoder(handle_unknown="ignore"), ["relationship", "occupation"]),
        ),
        LogisticRegression(max_iter=500),
    )
    X, y = adult.drop(columns=["income"]), adult["income"]

    result = check_simpler_model_is_not_better(model, X, y, cv=3, sample_size=2000)

    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.parameters["mode"] == "3-fold cross-validation"
    assert result.parameters["rows_used"] == 2000
    assert result.tables[0].rows[0][2] is not None  # spread over folds is reported
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_a_model_that_cannot_be_cloned_needs_a_holdout(xy_test: Any, wrappers: Any) -> None:
    X, y = xy_test
    model = wrappers["FixedPredictions"](y)
    result = check_simpler_model_is_not_better(model, X, y)
    assert result.outcome is Outcome.ERROR
    assert "model" in result.reason
    assert "X_train" in result.reason


def test_a_predict_only_model_is_compared_on_accuracy(
    adult_model: Any, xy_train: Any, xy_test: Any, wrappers: Any
) -> None:
    X_train, y_train = xy_train
    X_test, y_test = xy_test
    result = check_simpler_model_is_not_better(
        wrappers["PredictOnly"](adult_model), X_test, y_test, X_train=X_train, y_train=y_train
    )
    assert result.parameters["metric"] == "accuracy"
    assert "no predict_proba" in result.reason
    assert result.outcome is Outcome.PASSED


def test_a_probability_metric_is_not_applicable_to_a_predict_only_model(
    adult_model: Any, xy_train: Any, xy_test: Any, wrappers: Any
) -> None:
    X_train, y_train = xy_train
    X_test, y_test = xy_test
    result = check_simpler_model_is_not_better(
        wrappers["PredictOnly"](adult_model),
        X_test,
        y_test,
        X_train=X_train,
        y_train=y_train,
        metric="log_loss",
    )
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "predict_proba" in result.reason


def test_a_regressor_is_compared_on_rmse_where_lower_is_better(regression_task: Any) -> None:
    model, X_train, y_train, X_test, y_test = regression_task
    result = check_simpler_model_is_not_better(
        model, X_test, y_test, X_train=X_train, y_train=y_train, min_gain_over_dummy=0.5
    )
    assert result.parameters["metric"] == "rmse"
    assert result.measurements["model_rmse"] < result.measurements["dummy_rmse"]
    assert result.measurements["gain_over_dummy"] > 0.5
    assert result.outcome in {Outcome.PASSED, Outcome.FAILED}
    assert result.ok == (result.measurements["gain_over_linear"] >= 0)


def test_a_multiclass_model_is_compared_on_macro_f1(multiclass_task: Any, adult: Any) -> None:
    model, X_test, y_test = multiclass_task
    # the holdout needs training rows: reuse the test rows, what matters is the metric path
    result = check_simpler_model_is_not_better(
        model, X_test, y_test, X_train=X_test, y_train=y_test
    )
    assert result.parameters["metric"] == "f1_macro"
    assert result.parameters["task"] == "multiclass"
    assert result.measurements["model_f1_macro"] > result.measurements["dummy_f1_macro"]


@pytest.mark.parametrize(
    ("change", "argument"),
    [
        ({"X": "empty"}, "X"),
        ({"y": "short"}, "y"),
        ({"y": "nan"}, "y"),
        ({"model": "no predict"}, "model"),
        ({"metric": "rmse"}, "metric"),
        ({"metric": "nonsense"}, "metric"),
        ({"simple_features": ["no-such-column"]}, "simple_features"),
        ({"X_train": "missing column"}, "X_train"),
        ({"gain": "percent"}, "gain"),
    ],
    ids=str,
)
def test_bad_input_gives_an_error_naming_the_argument(
    adult_model: Any, xy_train: Any, xy_test: Any, change: dict[str, Any], argument: str
) -> None:
    import numpy as np

    X_train, y_train = xy_train
    X, y = xy_test
    kwargs: dict[str, Any] = {"X_train": X_train, "y_train": y_train}
    model: Any = adult_model
    value = next(iter(change.values()))
    if change.get("X") == "empty":
        X, y = X.iloc[:0], y[:0]
    elif change.get("y") == "short":
        y = y[:-5]
    elif change.get("y") == "nan":
        y = np.where(np.arange(len(y)) < 3, np.nan, y)
    elif "model" in change:
        model = object()
    elif change.get("X_train") == "missing column":
        kwargs["X_train"] = X_train.drop(columns=["age"])
    else:
        kwargs[argument] = value

    result = check_simpler_model_is_not_better(model, X, y, **kwargs)

    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def test_by_default_a_slow_machine_changes_neither_the_work_nor_the_figures(
    adult: Any, slow_machine: Any
) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mltestscore.checks import baselines

    model = make_pipeline(
        make_column_transformer((StandardScaler(), ["age", "education-num"])),
        LogisticRegression(),
    )
    X, y = adult.drop(columns=["income"]), adult["income"]

    def run() -> Any:
        return check_simpler_model_is_not_better(model, X, y, cv=4, sample_size=1000)

    quick = run()
    slow_machine(baselines)
    slow = run()
    assert slow.parameters["folds_done"] == 4
    assert slow.outcome == quick.outcome
    assert slow.tables[0].rows == quick.tables[0].rows
    without_time = {k: v for k, v in slow.measurements.items() if k != "seconds"}
    assert without_time == {k: v for k, v in quick.measurements.items() if k != "seconds"}


def test_cross_validation_stops_at_its_time_budget_and_says_so(adult: Any) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        make_column_transformer((StandardScaler(), ["age", "education-num"])),
        LogisticRegression(),
    )
    X, y = adult.drop(columns=["income"]), adult["income"]

    result = check_simpler_model_is_not_better(
        model, X, y, cv=4, sample_size=1000, time_budget_s=0.0, min_gain_over_linear=-1.0
    )

    assert result.parameters["folds_done"] == 1
    assert "time budget stopped cross-validation at 1 of 4 folds" in result.reason
