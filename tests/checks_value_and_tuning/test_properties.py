"""Properties of the building blocks: time windows, neighbourhoods, the column mapping."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks.decay import assign_windows
from mltestscore.checks.tuning import _sample_params, neighbourhood


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=10, max_size=200),
    st.integers(min_value=2, max_value=8),
)
def test_equal_count_windows_follow_time_and_are_balanced(times: list[int], windows: int) -> None:
    series = pd.Series(times)
    numbers, count = assign_windows(series, windows)
    assert count == windows
    assert set(numbers) <= set(range(windows))
    order = np.argsort(np.asarray(times), kind="stable")
    assert (np.diff(numbers[order]) >= 0).all()  # later rows never fall in earlier windows
    sizes = np.bincount(numbers, minlength=windows)
    assert sizes.max() - sizes.min() <= 1


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=1e-3, max_value=1.0),
    st.integers(min_value=5, max_value=500),
    st.integers(min_value=2, max_value=200),
    st.floats(min_value=1.5, max_value=10.0),
    st.integers(min_value=0, max_value=2**31 - 1),
)
def test_neighbours_stay_in_valid_ranges(
    learning_rate: float, max_iter: int, leaves: int, spread: float, seed: int
) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        learning_rate=learning_rate, max_iter=max_iter, max_leaf_nodes=leaves
    )
    space = neighbourhood(model, spread)
    params = _sample_params(space, np.random.default_rng(seed))
    assert 1e-4 <= params["learning_rate"] <= 1.0
    assert learning_rate / spread * (1 - 1e-9) <= params["learning_rate"]
    assert params["learning_rate"] <= min(1.0, learning_rate * spread) * (1 + 1e-9)
    assert isinstance(params["max_iter"], int)
    assert params["max_iter"] >= 5
    assert params["max_leaf_nodes"] >= 2
    assert math.isclose(params["l2_regularization"], params["l2_regularization"])  # finite
    model.set_params(**params)  # scikit-learn accepts every neighbour
    model._validate_params()


def test_one_hot_outputs_fold_back_into_their_input_column(adult: pd.DataFrame) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from mltestscore.checks.explain import input_feature_of_each_output

    X = adult[["age", "hours-per-week", "sex", "race"]]
    transformer = make_column_transformer(
        (StandardScaler(), ["age", "hours-per-week"]), (OneHotEncoder(), ["sex", "race"])
    ).fit(X)
    width = transformer.transform(X.iloc[:5]).shape[1]
    owners = input_feature_of_each_output(transformer, list(X.columns), width)
    assert len(owners) == width
    assert set(owners) == {"age", "hours-per-week", "sex", "race"}
    assert owners.count("sex") == X["sex"].nunique()


def test_every_column_selection_style_maps_back_to_input_columns(adult: pd.DataFrame) -> None:
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import OneHotEncoder

    from mltestscore.checks.explain import input_feature_of_each_output
    from mltestscore.checks.feature_cost import transformer_rounds

    X = adult[["age", "hours-per-week", "education", "sex"]].iloc[:300]
    transformer = ColumnTransformer(
        [
            ("text", CountVectorizer(), "education"),  # a str selects a 1-D column
            ("num", "passthrough", make_column_selector(dtype_include="number")),
            ("sex", OneHotEncoder(), [False, False, False, True]),
        ]
    ).fit(X)
    width = transformer.transform(X).shape[1]
    owners = input_feature_of_each_output(transformer, list(X.columns), width)
    assert set(owners) == {"age", "hours-per-week", "education", "sex"}

    class Wrapped:  # transformer_rounds looks for a Pipeline starting with a ColumnTransformer
        pass

    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline([("ct", transformer), ("model", LinearRegression())]).fit(X, X["age"])
    shares = transformer_rounds(pipeline, X, rounds=1, calls=1)
    assert set(shares) == set(X.columns)
    assert all(value[0] > 0 for value in shares.values())
    assert transformer_rounds(Wrapped(), X, rounds=1, calls=1) == {}


def test_results_serialize_to_json_for_the_report(adult_model: object, adult: pd.DataFrame) -> None:
    import json

    from mltestscore.checks.explain import (
        check_pipeline_step_through,
        check_single_example_explanation,
    )
    from mltestscore.checks.online_offline import check_offline_online_correlation
    from mltestscore.checks.result import CheckResult
    from mltestscore.checks.tuning import check_trials_chose_best

    X = adult.drop(columns=["income"]).iloc[:100]
    results = [
        check_single_example_explanation(adult_model, X, 0, sample_size=20),
        check_pipeline_step_through(adult_model, X, 0),
        check_trials_chose_best([{"a": 1, "score": 0.5}, {"a": 2, "score": 0.7}], 1),
        check_offline_online_correlation(
            {
                "version": list("abcde"),
                "offline_metric": [1, 2, 3, 4, 5],
                "online_metric": [1, 3, 2, 4, 5],
            }
        ),
    ]
    for result in results:
        text = json.dumps(result.to_dict(), allow_nan=False)
        assert CheckResult.from_dict(json.loads(text)).outcome is result.outcome
