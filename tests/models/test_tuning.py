"""model-3 on boosted models: the neighbourhood search starts from the values the library
trained with (XGBoost leaves its parameters None, CatBoost leaves them unset), skips LightGBM's
``max_depth=-1`` and zero regularisation safely, and never samples outside a window (issue
16: "math domain error" on a LightGBM pipeline)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks.result import Outcome
from mltestscore.checks.tuning import (
    _NUMERIC_BOUNDS,
    _sample_params,
    check_no_better_params_nearby,
    neighbourhood,
)


class _Params:
    """Any estimator's ``get_params``: what the neighbourhood reads."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        return dict(self.params)


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.floats(-10, 1e6, allow_nan=False),
    st.just(0),
    st.just(0.0),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(_NUMERIC_BOUNDS)), _values), st.integers(0, 99))
def test_a_neighbour_of_any_integer_zero_none_or_negative_value_is_valid(
    params: dict[str, Any], seed: int
) -> None:
    import numpy as np

    space = neighbourhood(_Params(params), 4.0)
    for key, (low, high, _) in space.items():
        assert 0 <= low <= high, key
        assert params[key] is not None
        assert params[key] >= 0
    sampled = _sample_params(space, np.random.default_rng(seed))
    for key, value in sampled.items():
        low, high, integer = space[key]
        assert math.isfinite(value)
        if integer:
            assert isinstance(value, int)
            assert value >= 1
        else:
            assert low <= value <= high


def test_the_search_starts_from_what_the_library_trained_with(
    fitted: Any, library: str, task: str
) -> None:
    model, _, _ = fitted
    space = neighbourhood(model[-1], 4.0, "model__")
    assert "model__learning_rate" in space
    if library == "lightgbm":
        assert "model__max_depth" not in space  # -1: no limit, nothing to multiply
        assert "model__num_leaves" in space
    if library == "xgboost":  # None in get_params: 0.3 and 6 from the booster
        low, high, _ = space["model__max_depth"]
        assert low <= 6 <= high
    if library == "catboost":  # unset in get_params: CatBoost's chosen depth 4 and l2 3
        assert "model__l2_leaf_reg" in space
        assert space["model__depth"][0] <= 4 <= space["model__depth"][1]


def test_the_tuning_check_judges_a_booster_pipeline(fitted: Any, adult: Any, task: str) -> None:
    from tests.models import boosters

    model, _, _ = fitted
    X, y = boosters.adult_task(adult, task)
    result = check_no_better_params_nearby(
        model, X.iloc[:1500], y.iloc[:1500], n_trials=2, sample_size=400, cv=2, cv_repeats=2
    )
    assert result.outcome in {Outcome.PASSED, Outcome.FAILED}, result.reason
    assert result.measurements["trials_run"] >= 1
    assert "first_trial_error" not in result.parameters
