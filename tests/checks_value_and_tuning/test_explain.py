"""infra-5: a single example can be explained and a Pipeline stepped through."""

from __future__ import annotations

from typing import Any

from mltestscore.checks.explain import check_pipeline_step_through, check_single_example_explanation
from mltestscore.checks.result import Outcome

from .conftest import CATEGORICAL, NUMERIC, STRONG, small_pipeline


def test_it_explains_one_adult_example_and_the_attributions_add_up(
    adult_model: Any, adult_split: tuple[Any, Any]
) -> None:
    _, test = adult_split
    X = test.drop(columns=["income"])
    result = check_single_example_explanation(adult_model, X, 5, sample_size=100)
    result.assert_ok()
    assert result.measurements["explainer"] == "tree"
    assert result.measurements["additivity_gap"] < 1e-6
    local, overall = result.tables
    assert local.chart == "attribution"
    assert overall.chart == "mean_abs_shap"
    assert {row[0] for row in overall.rows} == set(X.columns)
    # the explanation is in input columns, not in transformed ones
    assert "cat__sex" not in {row[0] for row in local.rows}


def test_it_fails_when_the_explainer_misreads_the_model(planted: tuple[Any, Any]) -> None:
    """SHAP's TreeExplainer does not understand HistGradientBoosting's native categorical
    splits: the attributions stop adding up, and a person debugging would be misled."""
    train, test = planted
    flags = [False] * len(NUMERIC) + [True] * len(CATEGORICAL)
    model = small_pipeline(NUMERIC, CATEGORICAL, categorical_features=flags)
    model.fit(train[STRONG], train["income"])
    result = check_single_example_explanation(model, test[STRONG], 0, sample_size=50)
    assert result.outcome is Outcome.FAILED
    assert "additivity gap" in result.reason
    assert "permutation" in result.reason
    fixed = check_single_example_explanation(
        model, test[STRONG], 0, sample_size=5, background_size=20, method="permutation"
    )
    fixed.assert_ok()


def test_it_explains_linear_multiclass_and_regression_models(
    multiclass_model: Any, multiclass_data: Any, regression_model: Any, regression_data: Any
) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = multiclass_data
    linear = make_pipeline(
        make_column_transformer(
            (StandardScaler(), ["age", "education-num"]),
            (OneHotEncoder(handle_unknown="ignore"), ["sex", "workclass"]),
        ),
        LogisticRegression(max_iter=300),
    ).fit(X.iloc[:1000], y[:1000])
    result = check_single_example_explanation(linear, X.iloc[1000:1200], 0, sample_size=50)
    result.assert_ok()
    assert result.measurements["explainer"] == "linear"
    # one-hot columns fold back into their input column
    assert {row[0] for row in result.tables[1].rows} <= {"age", "education-num", "sex", "workclass"}
    tree = check_single_example_explanation(multiclass_model, X.iloc[2500:2600], 0, sample_size=50)
    tree.assert_ok()
    X, _ = regression_data
    regression = check_single_example_explanation(
        regression_model, X.iloc[2500:2600], 0, sample_size=50
    )
    regression.assert_ok()
    assert "prediction" in regression.tables[0].title


def test_a_predict_only_classifier_cannot_be_explained(
    predict_only: Any, planted: tuple[Any, Any]
) -> None:
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Labels(ClassifierMixin, BaseEstimator):
        def __init__(self, model: Any = None) -> None:
            self.model = model

        def fit(self, X: Any, y: Any) -> Any:
            return self

        def predict(self, X: Any) -> Any:
            return (X[:, 0] > 40).astype(int)

    labels = Labels()
    labels.classes_ = [0, 1]
    _, test = planted
    result = check_single_example_explanation(labels, test[["age", "capital-gain"]], 0)
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "predict_proba" in result.reason


def test_it_steps_a_pipeline_through_one_example(
    adult_model: Any, adult_split: tuple[Any, Any]
) -> None:
    _, test = adult_split
    result = check_pipeline_step_through(adult_model, test.drop(columns=["income"]), 3)
    result.assert_ok()
    steps = result.tables[0].rows
    assert [row[0] for row in steps] == ["preprocess", "model"]
    assert "num__age=" in str(steps[0][3])
    assert str(steps[-1][3]).startswith("predict")


def test_it_fails_when_stepping_does_not_reproduce_the_prediction(
    planted: tuple[Any, Any],
) -> None:
    """A transformer that behaves differently on one row than in a batch cannot be debugged
    by observing one example."""
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    calls = {"n": 0}

    def stateful(frame: Any) -> Any:
        calls["n"] += 1
        return frame[["age"]].to_numpy() * calls["n"]

    train, test = planted
    model = Pipeline(
        [("features", FunctionTransformer(stateful)), ("model", LinearRegression())]
    ).fit(train, train["hours-per-week"])
    result = check_pipeline_step_through(model, test, 0)
    assert result.outcome is Outcome.FAILED
    assert "differs" in result.reason


def test_a_bare_estimator_has_no_steps(predict_only: Any, planted: tuple[Any, Any]) -> None:
    _, test = planted
    result = check_pipeline_step_through(predict_only, test[STRONG], 0)
    assert result.outcome is Outcome.NOT_APPLICABLE


def test_explaining_the_other_class_mirrors_the_attributions(
    adult_model: Any, adult_split: tuple[Any, Any]
) -> None:
    _, test = adult_split
    X = test.drop(columns=["income"]).set_index(test.index + 1000)
    positive = check_single_example_explanation(adult_model, X, 1005, sample_size=20)
    negative = check_single_example_explanation(adult_model, X, 1005, sample_size=20, class_index=0)
    positive.assert_ok()
    negative.assert_ok()
    assert negative.measurements["output"] == -positive.measurements["output"]
    assert negative.measurements["top_feature"] == positive.measurements["top_feature"]
    assert "class 0" in negative.tables[0].title


def test_by_default_a_slow_machine_changes_neither_the_work_nor_the_figures(
    adult_model: Any, adult_split: tuple[Any, Any], slow_machine: Any
) -> None:
    """The model-agnostic explainer's global sample is a fixed number of rows; only an
    opt-in budget sizes it from the clock."""
    from mltestscore.checks import explain

    _, test = adult_split
    X = test.drop(columns=["income"]).head(200)

    def run(**options: Any) -> Any:
        return check_single_example_explanation(
            adult_model,
            X,
            0,
            sample_size=50,
            agnostic_sample_size=4,
            background_size=10,
            method="permutation",
            **options,
        )

    quick = run()
    slow_machine(explain)
    slow = run()
    assert slow.parameters["sample_size_used"] == quick.parameters["sample_size_used"] == 4
    assert slow.tables[1].rows == quick.tables[1].rows
    without_time = {k: v for k, v in slow.measurements.items() if k != "seconds"}
    assert without_time == {k: v for k, v in quick.measurements.items() if k != "seconds"}
    assert run(time_budget_s=10.0).parameters["sample_size_used"] == 1  # the budget follows it
