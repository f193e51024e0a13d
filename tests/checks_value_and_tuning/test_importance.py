"""data-2: all features are beneficial."""

from __future__ import annotations

from typing import Any

import pytest

from mltestscore.checks.importance import check_features_are_beneficial
from mltestscore.checks.result import Outcome

from .conftest import STRONG


def _linear_pipeline(numeric: list[str]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from .conftest import CATEGORICAL

    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=1000))])


def test_it_flags_a_pure_noise_feature(planted: tuple[Any, Any]) -> None:
    """A logistic regression gives the noise a near-zero weight: shuffling it moves the Brier
    score by far less than 1% of the model's skill, and the interval says so."""
    from .conftest import NUMERIC

    train, test = planted
    columns = [*STRONG, "noise"]
    model = _linear_pipeline([*NUMERIC, "noise"]).fit(train[columns], train["income"])
    result = check_features_are_beneficial(model, test[columns], test["income"], use_shap=False)
    assert result.outcome is Outcome.FAILED
    assert "noise" in result.reason
    flagged = {row[0] for row in result.tables[0].rows if row[-1] is False}
    assert flagged == {"noise"}


def test_it_says_when_the_rows_cannot_tell_a_used_noise_feature_from_a_weak_one(
    noise_model: Any, planted: tuple[Any, Any]
) -> None:
    """The boosted model splits on the noise, so shuffling it moves single rows a lot: on
    1,000 rows its importance interval spans both 0 and the negligible margin."""
    _, test = planted
    result = check_features_are_beneficial(noise_model, test[[*STRONG, "noise"]], test["income"])
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert result.reason.startswith("not measurable here")
    assert "noise" in result.reason
    rows_to_decide, sample_size = (
        result.measurements["rows_to_decide"],
        result.parameters["sample_size"],
    )
    assert isinstance(rows_to_decide, int)
    assert isinstance(sample_size, int)
    assert rows_to_decide > sample_size
    verdicts = {row[0]: row[-1] for row in result.tables[0].rows}
    assert verdicts["noise"] is None
    assert verdicts["marital-status"] is True


def test_it_passes_a_model_whose_features_all_help(
    clean_model: Any, planted: tuple[Any, Any]
) -> None:
    _, test = planted
    result = check_features_are_beneficial(clean_model, test[STRONG], test["income"])
    result.assert_ok()
    assert result.measurements["not_beneficial"] == 0
    assert result.parameters["n_repeats"] == 5
    assert result.parameters["sample_size"] == 1000


def test_it_records_shap_beside_permutation_importance(
    clean_model: Any, planted: tuple[Any, Any]
) -> None:
    _, test = planted
    result = check_features_are_beneficial(clean_model, test[STRONG], test["income"], n_repeats=2)
    columns = result.tables[0].columns
    shap_column = [row[columns.index("mean_abs_shap")] for row in result.tables[0].rows]
    assert all(isinstance(v, float) and v > 0 for v in shap_column)
    assert "tree explainer" in str(result.parameters["shap"])


def test_it_omits_shap_values_that_do_not_add_up(planted: tuple[Any, Any]) -> None:
    """TreeExplainer misreads native categorical splits of HistGradientBoosting."""
    from .conftest import CATEGORICAL, NUMERIC, small_pipeline

    train, test = planted
    categorical_flags = [False] * len(NUMERIC) + [True] * len(CATEGORICAL)
    model = small_pipeline(NUMERIC, CATEGORICAL, categorical_features=categorical_flags)
    model.fit(train[STRONG], train["income"])
    result = check_features_are_beneficial(model, test[STRONG], test["income"], n_repeats=2)
    assert "omitted" in str(result.parameters["shap"])
    columns = result.tables[0].columns
    assert all(row[columns.index("mean_abs_shap")] is None for row in result.tables[0].rows)


def test_it_shrinks_repeats_and_sample_to_fit_the_time_budget(
    clean_model: Any, planted: tuple[Any, Any]
) -> None:
    _, test = planted
    result = check_features_are_beneficial(
        clean_model, test[STRONG], test["income"], n_repeats=10, time_budget_s=0.001, use_shap=False
    )
    assert result.parameters["reduced_for_budget"] is True
    assert result.parameters["n_repeats"] == 3
    assert result.parameters["sample_size"] == 200


def test_by_default_a_slow_machine_changes_neither_the_work_nor_the_figures(
    clean_model: Any, planted: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mltestscore.checks import importance

    _, test = planted

    def run() -> Any:
        return check_features_are_beneficial(
            clean_model, test[STRONG], test["income"], n_repeats=4, use_shap=False
        )

    quick = run()
    monkeypatch.setattr(importance, "best_time", lambda *args, **kwargs: 1e6)  # a crawl
    slow = run()
    assert slow.parameters["reduced_for_budget"] is False
    assert slow.parameters["n_repeats"] == 4
    assert slow.outcome == quick.outcome

    def figures(result: Any) -> dict[str, Any]:
        return {k: v for k, v in result.measurements.items() if k != "seconds"}

    assert figures(slow) == figures(quick)


def test_it_judges_only_the_features_asked_for(noise_model: Any, planted: tuple[Any, Any]) -> None:
    _, test = planted
    result = check_features_are_beneficial(
        noise_model, test[[*STRONG, "noise"]], test["income"], features=["age", "capital-gain"]
    )
    result.assert_ok()
    assert {row[0] for row in result.tables[0].rows} == {"age", "capital-gain"}


def test_it_works_for_multiclass_and_regression(
    multiclass_model: Any, multiclass_data: Any, regression_model: Any, regression_data: Any
) -> None:
    X, y = multiclass_data
    multiclass = check_features_are_beneficial(
        multiclass_model, X.iloc[2500:], y[2500:], n_repeats=2, sample_size=300, use_shap=False
    )
    assert multiclass.parameters["metric"] == "f1_macro"
    assert multiclass.outcome in {Outcome.PASSED, Outcome.FAILED, Outcome.NOT_APPLICABLE}
    assert multiclass.parameters["judged_on"] == "brier"
    X, y = regression_data
    regression = check_features_are_beneficial(
        regression_model, X.iloc[2500:], y[2500:], n_repeats=2, sample_size=300
    )
    assert regression.parameters["metric"] == "rmse"
    assert regression.outcome in {Outcome.FAILED, Outcome.NOT_APPLICABLE}
    # on real data some Adult columns (fnlwgt, race...) bring nothing measurable to age
    undecided = regression.measurements["undecided"]
    assert isinstance(undecided, int)
    assert regression.measurements["not_beneficial"] or undecided >= 1


def test_a_predict_only_model_gets_accuracy_or_not_applicable(
    predict_only: Any, planted: tuple[Any, Any]
) -> None:
    _, test = planted
    default = check_features_are_beneficial(predict_only, test[STRONG], test["income"], n_repeats=2)
    assert default.parameters["metric"] == "accuracy"
    assert default.parameters["judged_on"] == "zero_one"
    assert default.outcome in {Outcome.PASSED, Outcome.FAILED, Outcome.NOT_APPLICABLE}
    asked = check_features_are_beneficial(
        predict_only, test[STRONG], test["income"], metric="roc_auc"
    )
    assert asked.outcome is Outcome.NOT_APPLICABLE
    assert "predict_proba" in asked.reason


class _CountingModel:
    """A model that counts its prediction calls and the rows it was given."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.classes_ = model.classes_
        self.calls: list[int] = []

    def predict(self, X: Any) -> Any:
        self.calls.append(len(X))
        return self.model.predict(X)

    def predict_proba(self, X: Any) -> Any:
        self.calls.append(len(X))
        return self.model.predict_proba(X)


def test_shuffled_copies_are_predicted_in_batches_with_the_figures_of_one_call_each(
    clean_model: Any, planted: tuple[Any, Any], monkeypatch: Any
) -> None:
    from mltestscore.checks import importance

    _, test = planted
    X, y = test[STRONG], test["income"].to_numpy()
    batched = _CountingModel(clean_model)
    together = importance.permutation_importances(batched, X, y, n_repeats=3, sample_size=400)
    # one baseline, then 3 repeats x columns copies of 400 rows in one call (no timing call:
    # without a time budget nothing is estimated)
    assert batched.calls == [400, 400 * 3 * len(STRONG)]
    monkeypatch.setattr(importance, "BATCH_ROWS", 1)
    alone = _CountingModel(clean_model)
    one_by_one = importance.permutation_importances(alone, X, y, n_repeats=3, sample_size=400)
    assert alone.calls == [400] * (1 + 3 * len(STRONG))
    assert one_by_one.mean == together.mean
    assert one_by_one.std == together.std
    assert min(together.mean) > 0.001  # these features all matter: real figures, not zeros


def test_the_importances_are_the_ones_scikit_learn_computes_for_the_same_seed(
    clean_model: Any, planted: tuple[Any, Any]
) -> None:
    import pytest
    from sklearn.inspection import permutation_importance

    from mltestscore.checks import importance
    from mltestscore.checks._inputs import sample_frame
    from mltestscore.checks._models import choose_metric, quality

    _, test = planted
    X, y = test[STRONG], test["income"].to_numpy()
    ours = importance.permutation_importances(
        clean_model, X, y, n_repeats=3, sample_size=400, seed=7
    )
    X_sample, y_sample = sample_frame(X, y, 400, 7)
    choice = choose_metric(clean_model, y, None)
    theirs = permutation_importance(
        clean_model,
        X_sample,
        y_sample,
        scoring=lambda model, X, y: quality(model, X, y, choice, cached=False),
        n_repeats=3,
        random_state=7,
    )
    assert ours.mean == pytest.approx(list(theirs.importances_mean), abs=1e-12)
    assert ours.std == pytest.approx(list(theirs.importances_std), abs=1e-12)
