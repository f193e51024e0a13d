"""screen_target_leakage (beyond the paper) on real data: clean features pass, a copied
label is flagged, bad input gets an error naming the argument."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mltestscore.checks import Outcome
from mltestscore.checks.leakage import (
    DEFAULT_THRESHOLD,
    measure_single_feature_skill,
    screen_target_leakage,
)


def _wine() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    return bunch.data, bunch.target


def test_it_passes_the_real_wine_measurements_and_carries_no_rubric_id() -> None:
    X, y = _wine()
    result = screen_target_leakage(X, y)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.rubric_ids == ()
    assert result.reason.startswith("beyond the paper")
    assert result.measurements["beyond_the_paper"] is True
    best = result.measurements["best_skill"]
    assert isinstance(best, float)
    assert 0.3 < best < DEFAULT_THRESHOLD


def test_it_passes_the_adult_census_features(adult: pd.DataFrame) -> None:
    X = adult.drop(columns=["income"])
    result = screen_target_leakage(X, adult["income"], task="binary")
    assert result.outcome is Outcome.PASSED, result.summary()


def test_it_flags_the_label_copied_into_a_feature_and_names_it() -> None:
    X, y = _wine()
    leaked = X.assign(outcome_code=y.astype("float64"))
    result = screen_target_leakage(leaked, y)
    assert result.outcome is Outcome.FAILED
    assert "1 of 14 features alone predict the label near-perfectly" in result.reason
    assert "outcome_code (skill 1," in result.reason
    assert "the best other feature, flavanoids" in result.reason
    assert result.tables[0].rows[0][0] == "outcome_code"


def test_it_flags_a_regression_target_hidden_in_a_category_and_a_monotone_transform() -> None:
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(as_frame=True)
    X, y = bunch.data, bunch.target
    leaked = X.assign(
        grade=pd.cut(y, 40).astype(str),  # the target in 40 text bins
        log_target=np.log(y),
    )
    screen = measure_single_feature_skill(leaked, y, task="regression")
    assert [s.feature for s in screen.flagged] == ["log_target"]  # 40 bins: skill < 0.95
    assert {s.feature for s in screen.skills[:2]} == {"log_target", "grade"}
    real = [s.skill for s in screen.skills if s.feature in X.columns]
    assert max(real) < 0.5


def test_two_copies_of_the_label_are_both_flagged() -> None:
    X, y = _wine()
    twice = X.assign(copy_a=y, copy_b=y.astype(str))
    screen = measure_single_feature_skill(twice, y)
    assert {s.feature for s in screen.flagged} == {"copy_a", "copy_b"}


@pytest.mark.parametrize(
    ("X", "y", "options", "message"),
    [
        ("not a frame", [0, 1], {}, "bad input, X: expected a pandas DataFrame, got str"),
        (pd.DataFrame({"a": range(40)}), [0, 1] * 10, {}, "y: has 20 labels for 40 rows"),
        (pd.DataFrame({"a": range(10)}), [0, 1] * 5, {}, "X: has 10 rows, needs at least 30"),
        (pd.DataFrame({"a": range(40)}), [1] * 40, {}, "y: the labels do not vary"),
        (pd.DataFrame({"a": range(40)}), [0, 1] * 20, {"features": ["b"]}, "features: not col"),
        (pd.DataFrame({"a": range(40)}), [0, 1] * 20, {"threshold": 1.5}, "threshold: must be"),
        (pd.DataFrame({"a": range(40)}), [0, 1] * 20, {"folds": 1}, "folds: must be from 2"),
        (pd.DataFrame({"a": range(40)}), [0, 1] * 20, {"task": "ranking"}, "task: must be"),
    ],
)
def test_bad_input_gives_an_error_naming_the_argument(
    X: Any, y: Any, options: dict[str, Any], message: str
) -> None:
    result = screen_target_leakage(X, y, **options)
    assert result.outcome is Outcome.ERROR
    assert message in result.reason
