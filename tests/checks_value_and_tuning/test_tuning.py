"""model-3: all hyperparameters have been tuned."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks.result import Outcome
from mltestscore.checks.tuning import (
    check_no_better_params_nearby,
    check_search_chose_best,
    check_trials_chose_best,
)

GRID = {"model__learning_rate": [0.01, 0.1, 0.3]}


@pytest.fixture(scope="session")
def search_data(adult: Any) -> tuple[Any, Any]:
    part = adult.iloc[:1200]
    return part.drop(columns=["income"]), part["income"]


@pytest.fixture(scope="session")
def honest_search(adult_pipeline_factory: Any, search_data: tuple[Any, Any]) -> Any:
    from sklearn.model_selection import GridSearchCV

    X, y = search_data
    return GridSearchCV(adult_pipeline_factory(), GRID, cv=3, scoring="roc_auc").fit(X, y)


def test_it_passes_a_search_that_kept_its_best_candidate(honest_search: Any) -> None:
    result = check_search_chose_best(honest_search)
    result.assert_ok()
    assert result.measurements["gap"] == 0
    assert len(result.tables[0].rows) == 3


def test_it_flags_a_search_whose_chosen_params_are_not_the_best(
    adult_pipeline_factory: Any, search_data: tuple[Any, Any]
) -> None:
    from sklearn.model_selection import GridSearchCV

    X, y = search_data

    def first_candidate(results: Any) -> int:
        return 0  # a refit rule that ignores the scores

    search = GridSearchCV(
        adult_pipeline_factory(), GRID, cv=3, scoring="roc_auc", refit=first_candidate
    ).fit(X, y)
    result = check_search_chose_best(search)
    assert result.outcome is Outcome.FAILED
    assert "model__learning_rate=0.01" in result.reason
    assert result.measurements["gap"] > 0


def test_it_flags_a_deployed_model_that_drifted_from_the_best_params(
    honest_search: Any, adult_pipeline_factory: Any
) -> None:
    deployed = adult_pipeline_factory(learning_rate=0.3)
    result = check_search_chose_best(honest_search, model=deployed)
    assert result.outcome is Outcome.FAILED
    assert "model__learning_rate=0.3" in result.reason
    check_search_chose_best(honest_search, model=honest_search.best_estimator_).assert_ok()


def test_a_halving_search_is_read_on_its_last_round(
    adult_pipeline_factory: Any, search_data: tuple[Any, Any]
) -> None:
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV

    X, y = search_data
    search = HalvingGridSearchCV(
        adult_pipeline_factory(), GRID, cv=3, scoring="roc_auc", random_state=0, min_resources=300
    ).fit(X, y)
    result = check_search_chose_best(search)
    result.assert_ok()
    assert result.measurements["trials"] < len(search.cv_results_["params"])


def test_a_trials_table_must_show_the_chosen_trial_is_best() -> None:
    trials = [
        {"depth": 3, "lr": 0.1, "loss": 0.40},
        {"depth": 6, "lr": 0.1, "loss": 0.35},
        {"depth": 6, "lr": 0.3, "loss": 0.38},
    ]
    chosen_worse = check_trials_chose_best(
        trials, {"depth": 6, "lr": 0.3}, score_column="loss", higher_is_better=False
    )
    assert chosen_worse.outcome is Outcome.FAILED
    assert "depth=6, lr=0.1" in chosen_worse.reason
    check_trials_chose_best(trials, 1, score_column="loss", higher_is_better=False).assert_ok()
    lenient = check_trials_chose_best(
        trials, 2, score_column="loss", higher_is_better=False, tolerance=0.05
    )
    lenient.assert_ok()


def test_a_random_search_nearby_beats_an_untuned_model(
    adult_pipeline_factory: Any, adult: Any
) -> None:
    """Stumps learning slowly (0.836 AUC) where leafier trees reach 0.894: a gain the
    corrected paired test over 9 folds puts far beyond the split noise."""
    X, y = adult.drop(columns=["income"]), adult["income"]
    result = check_no_better_params_nearby(
        adult_pipeline_factory(learning_rate=0.01, max_leaf_nodes=2),
        X,
        y,
        n_trials=4,
        sample_size=1500,
        time_budget_s=120.0,
    )
    assert result.outcome is Outcome.FAILED
    assert "not tuned" in result.reason
    assert result.parameters["trials_run"] == 4
    assert result.parameters["cv"] == 3
    assert float(result.measurements["p_value"] or 1.0) < 0.05 / 4
    # the winner on 1,000-row training folds is confirmed on all 4,000 rows (80% folds)
    assert result.parameters["confirm_rows"] == len(X)
    assert float(result.measurements["confirm_gain"] or 0.0) > 0.01
    assert "confirmed on 4,000 rows" in result.reason


def test_a_tuned_model_has_no_clearly_better_neighbour(
    adult_pipeline_factory: Any, adult: Any
) -> None:
    X, y = adult.drop(columns=["income"]), adult["income"]
    result = check_no_better_params_nearby(
        adult_pipeline_factory(learning_rate=0.1, max_leaf_nodes=8),
        X,
        y,
        n_trials=4,
        sample_size=1500,
    )
    result.assert_ok()
    assert result.tables[0].chart == "roc_auc"


def test_given_distributions_replace_the_default_neighbourhood(
    adult_pipeline_factory: Any, adult: Any
) -> None:
    X, y = adult.drop(columns=["income"]), adult["income"]
    result = check_no_better_params_nearby(
        adult_pipeline_factory(learning_rate=0.1, max_leaf_nodes=8),
        X,
        y,
        param_distributions={"model__max_depth": [2, 3]},
        n_trials=2,
        sample_size=800,
    )
    assert result.parameters["search_space"] == "given"
    assert result.outcome in {Outcome.PASSED, Outcome.FAILED}
    assert all("model__max_depth" in str(row[0]) for row in result.tables[0].rows[1:]) or any(
        row[-1] == "current" for row in result.tables[0].rows
    )


def test_the_search_stops_at_its_time_budget(adult_pipeline_factory: Any, adult: Any) -> None:
    X, y = adult.drop(columns=["income"]), adult["income"]
    result = check_no_better_params_nearby(
        adult_pipeline_factory(), X, y, n_trials=20, sample_size=600, time_budget_s=0.0
    )
    assert result.parameters["trials_run"] == 1
    assert result.parameters["time_budget_s"] == 0.0


def test_a_model_without_known_hyperparameters_is_not_applicable(adult: Any) -> None:
    from sklearn.dummy import DummyClassifier

    result = check_no_better_params_nearby(
        DummyClassifier(), adult[["age"]], adult["income"], n_trials=2
    )
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "param_distributions" in result.reason


def test_a_regressor_is_searched_on_rmse(adult: Any) -> None:
    from sklearn.linear_model import Ridge

    X = adult[["education-num", "hours-per-week", "capital-gain"]]
    result = check_no_better_params_nearby(
        Ridge(alpha=1.0), X, adult["age"].astype(float), n_trials=3, sample_size=1000
    )
    assert result.parameters["metric"] == "rmse"
    assert "alpha in" in str(result.parameters["search_space"])
    result.assert_ok()  # ridge on three standard-scale columns barely depends on alpha


def test_an_optuna_style_trials_table_is_read_by_its_params_columns() -> None:
    import pandas as pd

    trials = pd.DataFrame(
        {
            "number": [0, 1, 2],
            "value": [0.81, 0.86, 0.84],
            "params_depth": [3, 6, 8],
            "state": ["COMPLETE"] * 3,
        }
    )
    result = check_trials_chose_best(trials, {"params_depth": 8}, score_column="value")
    assert result.outcome is Outcome.FAILED
    assert "params_depth=6" in result.reason
    assert "number" not in result.reason


def test_the_neighbourhood_search_scores_the_same_with_the_preprocessing_fitted_once_per_fold(
    adult_pipeline_factory: Any, search_data: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mltestscore.checks import tuning

    X, y = search_data
    model = adult_pipeline_factory().fit(X, y)
    fits: list[str] = []
    real_prepare = tuning._prepare_folds

    def counting_prepare(*args: Any) -> Any:
        fits.append("preprocess")
        return real_prepare(*args)

    monkeypatch.setattr(tuning, "_prepare_folds", counting_prepare)
    kwargs: dict[str, Any] = {"n_trials": 3, "sample_size": 600, "cv": 2}
    shared = check_no_better_params_nearby(model, X, y, **kwargs)
    assert fits == ["preprocess"]  # once per check, not once per trial
    monkeypatch.setattr(tuning, "_prepare_folds", lambda *args: None)
    refitted = check_no_better_params_nearby(model, X, y, **kwargs)
    assert shared.tables[0].rows == refitted.tables[0].rows
    assert shared.measurements["current_score"] == refitted.measurements["current_score"]
    assert shared.measurements["trials_run"] == 3


def test_a_gain_inside_the_noise_of_the_splits_does_not_fail_a_ridge() -> None:
    """Issue 15: alpha = 1.462 beating alpha = 1 by 0.1% RMSE on 133 rows is noise."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    for seed in range(3):
        rows = X.sample(133, random_state=seed).index
        result = check_no_better_params_nearby(
            model, X.loc[rows], y.loc[rows], n_trials=4, cv=2, seed=seed
        )
        result.assert_ok()
        assert result.parameters["cv_repeats"] == 3
        assert float(result.measurements["min_gain"] or 0.0) > 0.5  # 1% of the RMSE


def test_a_one_level_tree_on_digits_is_caught_every_time() -> None:
    from sklearn.datasets import load_digits
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_digits(return_X_y=True, as_frame=True)
    for seed in range(3):
        stump = check_no_better_params_nearby(
            DecisionTreeClassifier(max_depth=1, random_state=0),
            X,
            y,
            n_trials=4,
            cv=2,
            metric="accuracy",
            seed=seed,
        )
        assert stump.outcome is Outcome.FAILED, stump.reason
        assert float(stump.measurements["gain"] or 0.0) > 0.1
        deep = check_no_better_params_nearby(
            DecisionTreeClassifier(max_depth=8, random_state=0),
            X,
            y,
            n_trials=4,
            cv=2,
            metric="accuracy",
            seed=seed,
        )
        deep.assert_ok()


def test_a_parameter_outside_the_usual_range_is_searched_around_not_crashed_on() -> None:
    """alpha = 1e6 lies above the usual window's top (1e3): it used to raise 'high - low < 0'."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    from mltestscore.checks.tuning import neighbourhood

    assert neighbourhood(Ridge(alpha=1e6), 4.0) == {"alpha": (2.5e5, 4e6, False)}
    assert "alpha" not in neighbourhood(Ridge(alpha=-1.0), 4.0)
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    result = check_no_better_params_nearby(Ridge(alpha=1e6), X, y, n_trials=2, cv=2)
    assert result.outcome in {Outcome.PASSED, Outcome.FAILED}


# metric differences in steps of 1e-4 (far finer than any metric here; subnormal steps would
# only test the variance's underflow to zero)
DIFFERENCES = st.lists(st.integers(-10_000, 10_000).map(lambda i: i / 10_000), max_size=5)


@settings(max_examples=300, deadline=None)
@given(
    observed=DIFFERENCES.filter(bool),
    rest=DIFFERENCES.filter(bool),
    test_share=st.sampled_from([0.2, 1 / 3, 0.5]),
)
def test_no_remaining_folds_can_beat_the_best_reachable_p_value(
    observed: list[float], rest: list[float], test_share: float
) -> None:
    """The bound early dropping relies on: whatever the unrun folds show, the test over all
    folds gives a p-value at least the bound computed from the folds run."""
    from mltestscore.checks.tuning import NeighbourGain, best_reachable_p_value

    diffs = observed + rest
    bound = best_reachable_p_value(observed, len(diffs), test_share)
    final = NeighbourGain.measure({}, [0.0] * len(diffs), diffs, test_share)
    assert final.p_value >= bound - 1e-9


def test_one_losing_fold_rules_a_neighbour_out_of_the_suites_search() -> None:
    """The suite's search (2 folds x 3 repeats, 4 trials: level 0.0125): one fold with a loss
    already rules a neighbour out, so its other five folds are not fitted."""
    from mltestscore.checks.tuning import best_reachable_p_value

    assert best_reachable_p_value([-0.001], 6, 0.5) > 0.05 / 4
    assert best_reachable_p_value([0.02, 0.0], 6, 0.5) > 0.05 / 4  # two folds this uneven too
    assert best_reachable_p_value([0.02, 0.019], 6, 0.5) < 0.05 / 4  # still in the running


@pytest.mark.parametrize(
    ("learning_rate", "max_leaf_nodes"), [(0.01, 2), (0.1, 8)], ids=["untuned", "tuned"]
)
def test_dropping_hopeless_neighbours_early_keeps_the_verdict_with_fewer_fits(
    adult_pipeline_factory: Any, adult: Any, learning_rate: float, max_leaf_nodes: int
) -> None:
    X, y = adult.drop(columns=["income"]), adult["income"]
    model = adult_pipeline_factory(learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes)
    kwargs: dict[str, Any] = {"n_trials": 4, "cv": 2, "sample_size": 1200}
    early = check_no_better_params_nearby(model, X, y, **kwargs)
    every = check_no_better_params_nearby(model, X, y, early_drop=False, **kwargs)
    assert early.outcome is every.outcome
    if every.outcome is Outcome.FAILED:  # the same winner, measured on every fold either way
        for figure in ("gain", "p_value", "confirm_gain", "confirm_p_value"):
            assert early.measurements[figure] == every.measurements[figure]
    assert every.parameters["fits"] == 5 * 6
    assert int(early.parameters["fits"] or 0) < int(every.parameters["fits"] or 0)
    assert early.parameters["trials_dropped"] == sum(
        "dropped after" in str(row[-1]) for row in early.tables[0].rows
    )
