"""check_numerical_stability (monitor-5) on the Adult model and models with planted defects."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mltestscore.checks import Outcome
from mltestscore.checks.stability import UNSEEN_CATEGORY, check_numerical_stability

FAST = {"max_examples": 8, "rows_per_example": 10, "sample_size": 300, "shrink_budget": 15}


def test_the_adult_model_is_stable_on_edges_missing_and_unseen_inputs(
    adult_model: Any, adult_features: Any
) -> None:
    train, test = adult_features
    result = check_numerical_stability(adult_model, test, reference=train, **FAST)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["columns"] == 14
    assert result.measurements["data_rows"] == 300
    assert result.measurements["probabilities_checked"] is True
    # 6 numeric columns x (min, max, 0, -big, +big, missing) + 8 categorical x (most and least
    # frequent, unseen, missing); zero coincides with the minimum of capital-gain/-loss.
    assert result.measurements["edge_probes"] == 6 * 6 - 2 + 8 * 4
    assert result.parameters["domain_source"] == "reference"


def test_it_catches_a_nan_producing_input_and_reports_the_shrunk_row(
    legacy_scorer: Any, adult_features: Any
) -> None:
    _, test = adult_features
    result = check_numerical_stability(
        legacy_scorer, test, columns=["age", "hours-per-week"], **FAST
    )
    assert result.outcome is Outcome.FAILED
    assert "probability is not finite" in result.reason
    assert result.measurements["generated_failure"] is True
    findings, shrunk = result.tables
    assert ("edge probe", "hours-per-week", "missing", "probability is not finite: [nan, nan]") in (
        findings.rows
    )
    assert shrunk.title.startswith("Simplest failing row")
    assert "generated row" in result.reason


def test_clean_given_data_does_not_hide_edge_failures(
    legacy_scorer: Any, adult_features: Any
) -> None:
    _, test = adult_features
    result = check_numerical_stability(
        legacy_scorer, test, columns=["age", "hours-per-week"], include_missing=False, **FAST
    )
    assert result.measurements["data_rows_failing"] == 0
    assert result.measurements["edge_probes_failing"] == 1  # hours-per-week at -big
    assert result.outcome is Outcome.FAILED


def test_a_model_that_raises_on_an_input_fails_naming_the_input(
    adult_pipeline_factory: Any, adult_features: Any, adult_split: Any
) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    train, test = adult_features
    y = adult_split[0]["income"]
    model = make_pipeline(
        ColumnTransformer([("log_hours", FunctionTransformer(np.log), ["hours-per-week"])]),
        LogisticRegression(),
    ).fit(train, y)
    result = check_numerical_stability(model, test, reference=train, **FAST)
    assert result.outcome is Outcome.FAILED
    raised = [row for row in result.tables[0].rows if "the model raised ValueError" in str(row[3])]
    assert raised
    assert {row[1] for row in raised} == {"hours-per-week"}


def test_probabilities_that_do_not_sum_to_one_fail(adult_model: Any, adult_features: Any) -> None:
    class Doubled:
        feature_names_in_ = adult_model.feature_names_in_

        def predict(self, X: Any) -> Any:
            return adult_model.predict(X)

        def predict_proba(self, X: Any) -> Any:
            return adult_model.predict_proba(X) * 1.5

    train, test = adult_features
    result = check_numerical_stability(Doubled(), test, reference=train, **FAST)
    assert result.outcome is Outcome.FAILED
    assert "probabilit" in result.reason
    assert result.measurements["data_rows_failing"] == 300


def test_a_model_without_probabilities_is_checked_on_predictions_only(
    adult_features: Any, adult_split: Any
) -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor

    train, test = adult_features
    numeric = ["age", "education-num", "hours-per-week"]
    model = HistGradientBoostingRegressor(max_iter=20).fit(train[numeric], adult_split[0]["income"])
    result = check_numerical_stability(model, test, reference=train, **FAST)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["probabilities_checked"] is False
    assert "probability checks not applicable" in result.reason


def test_the_domain_comes_from_a_great_expectations_schema(adult: pd.DataFrame) -> None:
    from mltestscore.checks.schema import infer_schema, schema_to_dict

    schema = schema_to_dict(infer_schema(adult[["age", "hours-per-week", "sex"]]))

    class Scorer:
        def predict(self, X: Any) -> Any:
            return np.where(X["sex"] == "Female", 1.0, 0.0) + X["age"].to_numpy(float) / 100

    result = check_numerical_stability(Scorer(), schema=schema, include_missing=False, **FAST)
    assert result.parameters["domain_source"] == "schema"
    assert result.measurements["columns"] == 3
    assert result.outcome is Outcome.PASSED, result.summary()
    with_missing = check_numerical_stability(Scorer(), schema=schema, **FAST)
    assert with_missing.outcome is Outcome.FAILED
    assert "age=missing" in with_missing.reason


def test_the_search_is_reproducible_with_a_seed(legacy_scorer: Any, adult_features: Any) -> None:
    _, test = adult_features
    runs = [
        check_numerical_stability(legacy_scorer, test, columns=["age", "hours-per-week"], **FAST)
        for _ in range(2)
    ]
    assert runs[0].reason == runs[1].reason
    assert runs[0].parameters["seed"] == 0


def test_unseen_categories_are_probed(adult_model: Any, adult_features: Any) -> None:
    class RejectsUnseen:
        feature_names_in_ = adult_model.feature_names_in_

        def predict(self, X: Any) -> Any:
            if (X["workclass"] == UNSEEN_CATEGORY).any():
                raise ValueError("Found unknown categories in column workclass")
            return adult_model.predict(X)

    train, test = adult_features
    result = check_numerical_stability(RejectsUnseen(), test, reference=train, **FAST)
    # a loud refusal of an unseen category is a finding, not instability (issue 15)
    assert result.outcome is Outcome.PASSED, result.reason
    assert "finding, not a failure" in result.reason
    assert "workclass" in result.reason
    assert str(result.measurements["on_unseen_category"]).startswith("rejected with an error")
    assert result.tables[-1].rows[0][:2] == ("workclass", "unseen category")
    skipped = check_numerical_stability(
        RejectsUnseen(), test, reference=train, include_unseen=False, **FAST
    )
    assert skipped.measurements["on_unseen_category"] == "not probed"


@pytest.mark.parametrize(
    ("model", "data", "kwargs", "expected"),
    [
        ("not a model", "test", {}, "model: has no predict method (str)"),
        ("adult", "no-age", {}, "column 'age': is not in the data"),
        ("adult", "empty", {}, "data: the data has no rows"),
        ("adult", None, {}, "schema: has no range or value set"),
        ("adult", "all-nan-age", {}, "column 'age': is entirely missing in the data"),
        ("adult", "test", {"max_examples": 0}, "max_examples: must be at least 1"),
        ("adult", "test", {"large_factor": 0.5}, "large_factor: must be above 1"),
        ("adult", "test", {"proba_tolerance": -1}, "proba_tolerance: must not be negative"),
    ],
)
def test_bad_input_gives_an_error_naming_the_argument(
    adult_model: Any,
    adult_features: Any,
    model: Any,
    data: Any,
    kwargs: dict[str, Any],
    expected: str,
) -> None:
    _, test = adult_features
    frames = {
        "test": test,
        "no-age": test.drop(columns=["age"]),
        "empty": test.iloc[:0],
        "all-nan-age": test.assign(age=np.nan),
    }
    result = check_numerical_stability(
        adult_model if model == "adult" else model,
        frames.get(data) if data else None,
        **kwargs,
    )
    assert result.outcome is Outcome.ERROR
    assert expected in result.reason


def test_a_model_that_fails_even_on_a_typical_row_is_an_input_error(
    adult_features: Any,
) -> None:
    class NeedsCategoricalDtype:
        feature_names_in_ = np.array(["age", "sex"])

        def predict(self, X: Any) -> Any:
            if not isinstance(X["sex"].dtype, pd.CategoricalDtype):
                raise TypeError("sex must be a pandas Categorical")
            return np.zeros(len(X))

    train, _ = adult_features
    result = check_numerical_stability(NeedsCategoricalDtype(), reference=train, **FAST)
    assert result.outcome is Outcome.ERROR
    assert "model: fails on a typical row" in result.reason
    assert "sex must be a pandas Categorical" in result.reason


def test_inside_a_hypothesis_test_it_falls_back_to_seeded_random_rows(
    legacy_scorer: Any, adult_features: Any
) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    _, test = adult_features
    results = []

    @settings(max_examples=1, deadline=None, database=None)
    @given(st.just(0))
    def user_property_test(_: int) -> None:
        results.append(
            check_numerical_stability(
                legacy_scorer, test, columns=["age", "hours-per-week"], **FAST
            )
        )

    user_property_test()
    (result,) = results
    assert result.outcome is Outcome.FAILED
    assert str(result.measurements["search_engine"]).startswith("seeded random rows")
    assert result.measurements["generated_failure"] is True


def test_a_pipeline_is_judged_on_exactly_what_its_predict_and_predict_proba_return(
    adult_model: Any, adult_features: Any
) -> None:
    from sklearn.pipeline import Pipeline

    from mltestscore.checks._stability_probes import direct_outputs

    rows = adult_features[1].head(40).copy()
    rows.loc[rows.index[:5], "age"] = np.nan  # odd inputs, as the search makes them
    predictions, proba = direct_outputs(adult_model, rows)
    np.testing.assert_array_equal(predictions, adult_model.predict(rows))
    np.testing.assert_array_equal(proba, adult_model.predict_proba(rows))

    class OwnPredict(Pipeline):  # a subclass may predict its own way: it is asked itself
        def predict(self, X: Any, **params: Any) -> Any:
            return np.full(len(X), np.nan)

    own = OwnPredict(adult_model.steps)
    assert np.isnan(direct_outputs(own, rows)[0]).all()


def _breast_cancer() -> tuple[Any, Any, Any]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[:400], y.iloc[:400], X.iloc[400:]


def test_a_model_that_refuses_missing_values_loudly_is_not_unstable() -> None:
    """Issue 15: a logistic regression without an imputer raises on NaN; the data has no
    missing values. That is what the model does on missing input (a finding), not a
    numerically unstable model."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, test = _breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    result = check_numerical_stability(model, test, reference=X, **FAST)
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.measurements["data_has_missing"] is False
    missing = str(result.measurements["on_missing_input"])
    assert missing.startswith("rejected with an error in 30 of 30 columns")
    assert "Input X contains NaN" in missing
    assert "the given data has no missing values" in result.reason


def test_a_model_that_handles_missing_values_says_so() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y, test = _breast_cancer()
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    result = check_numerical_stability(model, test, reference=X, **FAST)
    result.assert_ok()
    assert result.measurements["on_missing_input"] == "finite outputs in all 30 columns"


def test_silent_nan_and_inf_outputs_fail_on_real_data() -> None:
    """The planted instability: a regressor whose output is log(x) of an input that can be 0."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    ridge = Ridge().fit(X, y)

    class LogOfBmi:
        feature_names_in_ = ridge.feature_names_in_

        def predict(self, frame: Any) -> Any:
            with np.errstate(all="ignore"):
                return ridge.predict(frame) + np.log(frame["bmi"].to_numpy() + 0.0903)

    result = check_numerical_stability(LogOfBmi(), X, reference=X, **FAST)
    assert result.outcome is Outcome.FAILED
    assert "not finite" in result.reason
    assert "bmi" in result.reason
