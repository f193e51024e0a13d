"""model-6: automatic discovery of one- and two-feature segments where the model is weak."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome
from mltestscore.checks.slices import check_weak_segments


def test_it_ranks_the_real_weak_segment_of_the_adult_model_first_without_condemning_it(
    adult_model: Any, xy_test: Any
) -> None:
    """Wives are half high earners, so the model errs there nearly three times as often; on
    1,200 test rows that is 73 wives, and over the ~760 segments searched the interval
    (family-wise) does not clear the limit: the search lists it as the weakest spot, it does
    not fail on it. (It used to fail at 95% per segment, which also failed a clean corpus
    project on chance unevenness.)"""
    X, y = xy_test
    result = check_weak_segments(adult_model, X, y)

    assert result.outcome is Outcome.PASSED
    assert result.rubric_ids == ("model-6",)
    assert "relationship=Wife" in str(result.measurements["worst_segment"])
    assert result.measurements["single_feature_segments"] > 30
    assert result.measurements["two_feature_segments"] > 300
    assert result.parameters["loss"] == "error"


def test_it_ranks_a_planted_weak_segment_first(sales_made_worse: Any, xy_test: Any) -> None:
    X, y = xy_test
    model = sales_made_worse

    result = check_weak_segments(model, X, y)

    assert result.outcome is Outcome.FAILED
    assert result.tables[0].rows[0][0] == "occupation=Sales"
    assert result.reason.split(": ", 1)[1].startswith("occupation=Sales")


def _synthetic_columns(X: Any) -> Any:
    import numpy as np

    rng = np.random.default_rng(3)
    return X.assign(
        region=rng.choice(["r1", "r2", "r3"], size=len(X)),
        channel=rng.choice(["web", "shop", "phone"], size=len(X)),
    )


def test_it_finds_a_two_feature_segment_that_neither_feature_shows_alone(
    xy_test: Any, wrappers: Any
) -> None:
    import numpy as np

    X, y = xy_test
    X = _synthetic_columns(X)
    rng = np.random.default_rng(0)
    predictions = np.where(rng.random(len(y)) < 0.1, 1 - y, y)
    planted = ((X["region"] == "r1") & (X["channel"] == "web")).to_numpy()
    predictions[planted] = 1 - y[planted]

    result = check_weak_segments(
        wrappers["FixedPredictions"](predictions), X, y, columns=["region", "channel", "sex"]
    )

    assert result.outcome is Outcome.FAILED
    assert result.measurements["segments_flagged"] == 1
    assert "region=r1 & channel=web" in result.reason
    flagged = [row for row in result.tables[0].rows if row[-1] is True]
    assert [row[0] for row in flagged] == ["region=r1 & channel=web"]


def test_a_weak_single_slice_is_not_repeated_once_per_other_column(
    sales_made_worse: Any, xy_test: Any
) -> None:
    X, y = xy_test
    model = sales_made_worse
    result = check_weak_segments(model, X, y)
    flagged = [row[0] for row in result.tables[0].rows if row[-1] is True]
    assert not [name for name in flagged if "occupation=Sales &" in name]


@settings(max_examples=8, deadline=None)
@given(error_rate=st.floats(0.05, 0.3), seed=st.integers(0, 1000))
def test_errors_spread_evenly_flag_no_segment(
    xy_test: Any, wrappers: Any, error_rate: float, seed: int
) -> None:
    import numpy as np

    X, y = xy_test
    rng = np.random.default_rng(seed)
    predictions = np.where(rng.random(len(y)) < error_rate, 1 - y, y)

    result = check_weak_segments(
        wrappers["FixedPredictions"](predictions), X, y, columns=["sex", "race", "age", "education"]
    )

    assert result.outcome is Outcome.PASSED, result.reason


def test_a_regressor_is_searched_on_absolute_error(regression_task: Any, wrappers: Any) -> None:
    import numpy as np

    model, _, _, X, y = regression_task
    predictions = model.predict(X) + np.where(X["occupation"] == "Sales", 30.0, 0.0)
    result = check_weak_segments(
        wrappers["FixedPredictions"](predictions),
        X,
        y,
        columns=["occupation", "sex"],
        task="regression",
    )
    assert result.parameters["loss"] == "absolute_error"
    assert result.outcome is Outcome.FAILED
    assert "occupation=Sales" in result.reason


def test_log_loss_needs_probabilities(adult_model: Any, xy_test: Any, wrappers: Any) -> None:
    X, y = xy_test
    with_proba = check_weak_segments(adult_model, X, y, columns=["sex"], loss="log_loss")
    without = check_weak_segments(
        wrappers["PredictOnly"](adult_model), X, y, columns=["sex"], loss="log_loss"
    )
    assert with_proba.outcome is Outcome.PASSED
    assert without.outcome is Outcome.NOT_APPLICABLE


def test_only_segments_with_enough_support_are_searched(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    result = check_weak_segments(adult_model, X, y, columns=["race"], min_support=0.05)
    assert result.thresholds["min_rows_used"] == 60
    assert all(row[1] >= 60 for row in result.tables[0].rows)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"columns": ["no-such-column"]}, "columns"),
        ({"min_support": 2.0}, "min_support"),
        ({"max_gap": None, "max_relative_gap": None}, "max_gap"),
        ({"loss": "squared_error"}, "loss"),
        ({"confidence": 0.2}, "confidence"),
    ],
    ids=str,
)
def test_bad_input_gives_an_error_naming_the_argument(
    adult_model: Any, xy_test: Any, kwargs: dict[str, Any], argument: str
) -> None:
    X, y = xy_test
    result = check_weak_segments(adult_model, X, y, **kwargs)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def test_empty_data_and_missing_labels_are_named(adult_model: Any, xy_test: Any) -> None:
    import numpy as np

    X, y = xy_test
    empty = check_weak_segments(adult_model, X.iloc[:0], y[:0])
    missing = check_weak_segments(adult_model, X, np.where(np.arange(len(y)) == 0, np.nan, y))
    assert empty.outcome is Outcome.ERROR
    assert "X" in empty.reason
    assert missing.outcome is Outcome.ERROR
    assert "missing labels" in missing.reason
