"""model-4: the impact of model staleness is known."""

from __future__ import annotations

from typing import Any

import pytest

from mltestscore.checks.decay import check_staleness_impact
from mltestscore.checks.result import Outcome


@pytest.fixture(scope="session")
def dated_adult(adult: Any) -> Any:
    """Adult rows spread over one year at random: no drift over time."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    data = adult.copy()
    days = rng.integers(0, 360, len(data))
    data["when"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(days, unit="D")
    return data.sort_values("when").reset_index(drop=True)


@pytest.fixture(scope="session")
def drifting_adult(dated_adult: Any) -> Any:
    """Concept drift planted: over the year, more and more labels follow long hours instead."""
    import numpy as np

    rng = np.random.default_rng(1)
    data = dated_adult.copy()
    progress = np.arange(len(data)) / len(data)
    drifted = rng.random(len(data)) < progress**2
    data.loc[drifted, "income"] = (data.loc[drifted, "hours-per-week"] > 45).astype("int64")
    return data


def test_it_fails_when_a_model_of_allowed_age_has_decayed(
    adult_pipeline_factory: Any, drifting_adult: Any
) -> None:
    result = check_staleness_impact(
        adult_pipeline_factory(), drifting_adult, time_column="when", target="income", max_age="90D"
    )
    assert result.outcome is Outcome.FAILED
    assert result.measurements["max_safe_age_windows"] == 0
    curve = result.tables[0]
    assert curve.chart == "roc_auc"
    scores = [row[curve.columns.index("roc_auc")] for row in curve.rows]
    assert scores == sorted(scores, reverse=True)  # older is worse, monotonically here


def test_it_passes_when_quality_holds_over_time(
    adult_pipeline_factory: Any, dated_adult: Any
) -> None:
    result = check_staleness_impact(
        adult_pipeline_factory(), dated_adult, time_column="when", target="income", max_age=3
    )
    result.assert_ok()
    assert result.measurements["ages_evaluated"] == 4
    assert result.thresholds["max_age_windows"] == 3


def test_decay_beyond_the_allowed_age_is_reported_but_does_not_fail(
    adult_pipeline_factory: Any, drifting_adult: Any
) -> None:
    result = check_staleness_impact(
        adult_pipeline_factory(),
        drifting_adult,
        time_column="when",
        target="income",
        max_age=0,
        max_drop=0.05,
    )
    result.assert_ok()
    assert result.measurements["worst_drop"] > 0.05


def test_calendar_windows_and_numeric_time_columns_work(
    adult_pipeline_factory: Any, dated_adult: Any
) -> None:
    monthly = check_staleness_impact(
        adult_pipeline_factory(),
        dated_adult,
        time_column="when",
        target="income",
        window="Q",
        train_windows=1,
    )
    assert monthly.parameters["windows"] == 4
    assert monthly.measurements["ages_evaluated"] == 3
    numeric = dated_adult.assign(when=dated_adult["when"].dt.day_of_year)
    by_day = check_staleness_impact(
        adult_pipeline_factory(), numeric, time_column="when", target="income", window=4
    )
    assert by_day.outcome in {Outcome.PASSED, Outcome.FAILED}
    assert by_day.measurements["ages_evaluated"] == 2


def test_a_regressor_gets_an_rmse_curve(dated_adult: Any) -> None:
    from sklearn.linear_model import Ridge

    result = check_staleness_impact(
        Ridge(),
        dated_adult,
        time_column="when",
        target="age",
        features=["education-num", "hours-per-week", "capital-gain"],
        max_drop=5.0,
    )
    result.assert_ok()
    assert result.parameters["metric"] == "rmse"


def test_too_little_history_fails_with_a_clear_reason(
    adult_pipeline_factory: Any, dated_adult: Any
) -> None:
    result = check_staleness_impact(
        adult_pipeline_factory(),
        dated_adult,
        time_column="when",
        target="income",
        window=3,
        train_windows=2,
    )
    assert result.outcome is Outcome.FAILED
    assert "too little history" in result.reason


def test_a_sample_of_the_history_is_recorded(adult_pipeline_factory: Any, dated_adult: Any) -> None:
    result = check_staleness_impact(
        adult_pipeline_factory(),
        dated_adult,
        time_column="when",
        target="income",
        window=4,
        sample_size=2000,
    )
    assert result.parameters["rows"] == len(dated_adult)
    assert result.parameters["sample_size"] == 2000
    assert result.tables[0].rows[0][4] == 1000  # the freshest model trains on two windows of 500


def test_by_default_a_slow_machine_changes_neither_the_work_nor_the_figures(
    adult_pipeline_factory: Any, dated_adult: Any, slow_machine: Any
) -> None:
    from mltestscore.checks import decay

    def run() -> Any:
        return check_staleness_impact(
            adult_pipeline_factory(), dated_adult, time_column="when", target="income"
        )

    quick = run()
    slow_machine(decay)
    slow = run()
    assert slow.measurements["ages_evaluated"] == quick.measurements["ages_evaluated"] == 4
    assert slow.outcome == quick.outcome
    assert slow.tables[0].rows == quick.tables[0].rows
    budgeted = check_staleness_impact(
        adult_pipeline_factory(),
        dated_adult,
        time_column="when",
        target="income",
        time_budget_s=20.0,
    )
    # the opt-in budget follows the clock: one age, and the verdict changes with the load
    assert budgeted.outcome is Outcome.FAILED
    assert "only 1 training window(s)" in budgeted.reason


def test_it_trains_at_most_max_models_ages_and_says_how_many_it_left(
    adult_pipeline_factory: Any, dated_adult: Any
) -> None:
    result = check_staleness_impact(
        adult_pipeline_factory(),
        dated_adult,
        time_column="when",
        target="income",
        window=6,
        max_models=2,
    )
    assert result.measurements["ages_evaluated"] == 2
    assert result.measurements["ages_not_trained"] == 2
    assert "2 older age(s) not trained (max_models=2)" in result.reason
