"""data-3: no feature's cost is too much."""

from __future__ import annotations

import functools
from typing import Any

from mltestscore.checks.feature_cost import check_feature_costs
from mltestscore.checks.result import Outcome

from .conftest import STRONG


def test_it_flags_an_expensive_useless_lookup_feature(
    costly_model: Any, planted: tuple[Any, Any]
) -> None:
    _, test = planted
    columns = [*STRONG, "lookup_key"]
    result = check_feature_costs(costly_model, test[columns], test["income"], sample_size=300)
    assert result.outcome is Outcome.FAILED
    assert result.reason.split(":")[1].strip().startswith("lookup_key")
    flagged = {row[0] for row in result.tables[0].rows if row[-1] is True}
    assert flagged == {"lookup_key"}
    assert result.parameters["timing"] == "transformer"


def test_it_passes_when_no_feature_is_both_costly_and_useless(
    clean_model: Any, planted: tuple[Any, Any]
) -> None:
    _, test = planted
    result = check_feature_costs(clean_model, test[STRONG], test["income"], sample_size=300)
    result.assert_ok()
    assert float(result.measurements["max_time_share"] or 0.0) < 0.2
    assert result.tables[0].chart == "time_share"


def test_a_declared_cost_flags_a_feature_that_brings_nothing(
    noise_model: Any, planted: tuple[Any, Any]
) -> None:
    _, test = planted
    columns = [*STRONG, "noise"]
    result = check_feature_costs(
        noise_model,
        test[columns],
        test["income"],
        declared_costs={"noise": 50.0, "age": 1.0, "capital-gain": 1.0},
        sample_size=300,
    )
    assert result.outcome is Outcome.FAILED
    assert "noise" in result.reason
    assert "declared cost" in result.reason


def test_given_importances_skip_the_permutation_run(
    clean_model: Any, planted: tuple[Any, Any]
) -> None:
    _, test = planted
    importances = dict.fromkeys(STRONG, 0.05)
    importances["occupation"] = 0.0
    result = check_feature_costs(
        clean_model,
        test[STRONG],
        test["income"],
        importances=importances,
        declared_costs={"occupation": 10.0, "age": 1.0},
        sample_size=200,
    )
    assert result.parameters["importance"] == "given"
    assert result.outcome is Outcome.FAILED
    assert "occupation" in result.reason


def test_ablation_timing_catches_value_dependent_cost(planted: tuple[Any, Any]) -> None:
    """A model that is not a Pipeline: the lookup gets cheap when the key is constant."""
    import hashlib

    import numpy as np

    @functools.cache
    def lookup(key: str) -> float:
        digest = key.encode()
        for _ in range(150):
            digest = hashlib.sha256(digest).digest()
        return digest[0] / 255

    class CachedLookupModel:
        def predict(self, X: Any) -> Any:
            lookup.cache_clear()
            scores = np.array([lookup(k) for k in X["lookup_key"]]) * 0 + X["age"].to_numpy()
            return (scores > 40).astype(int)

    _, test = planted
    columns = ["age", "lookup_key"]
    result = check_feature_costs(
        CachedLookupModel(),
        test[columns],
        test["income"],
        importances={"age": 0.1, "lookup_key": 0.0},
        sample_size=300,
    )
    assert result.parameters["timing"] == "ablation"
    assert result.outcome is Outcome.FAILED
    assert "lookup_key (" in result.reason
    assert "of inference time" in result.reason


def test_multiclass_and_regression_models_are_costed_too(
    multiclass_model: Any, multiclass_data: Any, regression_model: Any, regression_data: Any
) -> None:
    X, y = multiclass_data
    multiclass = check_feature_costs(multiclass_model, X.iloc[2500:], y[2500:], sample_size=200)
    assert multiclass.parameters["metric"] == "f1_macro"
    # Costed: a verdict, or (on a loaded machine) timings too spread to resolve, said so.
    assert multiclass.outcome in {Outcome.PASSED, Outcome.FAILED} or (
        multiclass.outcome is Outcome.NOT_APPLICABLE and "not measurable here" in multiclass.reason
    ), multiclass.summary()
    X, y = regression_data
    regression = check_feature_costs(
        regression_model,
        X.iloc[2500:],
        y[2500:],
        sample_size=200,
        declared_costs={"education": 100.0, "education-num": 1.0},
    )
    assert regression.parameters["metric"] == "rmse"
    # the education string repeats education-num: declared expensive, it adds nothing
    assert regression.outcome is Outcome.FAILED
    assert "education (" in regression.reason


def _breast_cancer_pipeline(slow_column: bool) -> tuple[Any, Any, Any]:
    """Logistic regression on the 30 breast-cancer features; optionally plus a pure-noise
    column whose own transform burns about 20 ms of CPU per call (a planted costly, useless
    feature; the check times CPU, so a sleep would cost nothing)."""
    import hashlib

    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    numeric = [str(c) for c in X.columns]
    parts: list[Any] = [("num", StandardScaler(), numeric)]
    if slow_column:
        X = X.assign(slow_noise=np.random.default_rng(0).normal(size=len(X)))

        def slow(part: Any) -> Any:
            digest = b"feature"
            for _ in range(30_000):
                digest = hashlib.sha256(digest).digest()
            return part

        parts.append(("slow", FunctionTransformer(slow), ["slow_noise"]))
    model = make_pipeline(ColumnTransformer(parts), LogisticRegression(max_iter=2000))
    model.fit(X.iloc[:400], y.iloc[:400])
    return model, X.iloc[400:], y.iloc[400:]


def test_equal_cost_features_of_a_linear_model_are_never_flagged() -> None:
    """The null case of issue 15: 30 features that cost the same, and (the harshest setting)
    every one declared worthless, so any timing noise taken as fact would flag it."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=5000).fit(X.iloc[:400].to_numpy(), y.iloc[:400])
    model.feature_names_in_ = np.asarray(X.columns, dtype=object)
    for seed in range(3):
        result = check_feature_costs(
            model,
            X.iloc[400:],
            y.iloc[400:],
            importances=dict.fromkeys(X.columns, 0.0),
            seed=seed,
        )
        assert result.measurements["flagged"] == 0, result.reason
        assert result.outcome in {Outcome.PASSED, Outcome.NOT_APPLICABLE}
        if result.outcome is Outcome.NOT_APPLICABLE:
            assert result.reason.startswith("not measurable here")
        columns = result.tables[0].columns
        assert "time_share_low" in columns
        assert "time_share_high" in columns


def test_a_planted_slow_useless_feature_is_flagged_on_every_run() -> None:
    model, X, y = _breast_cancer_pipeline(slow_column=True)
    importances = {**dict.fromkeys(X.columns, 0.1), "slow_noise": 0.0}
    for seed in range(3):
        result = check_feature_costs(model, X, y, importances=importances, seed=seed)
        assert result.outcome is Outcome.FAILED, result.reason
        flagged = {row[0] for row in result.tables[0].rows if row[-1] is True}
        assert flagged == {"slow_noise"}
        assert "at least" in result.reason


def test_a_cost_the_timer_cannot_settle_is_not_measurable_not_failed() -> None:
    from mltestscore.checks.feature_cost import (
        CostVerdict,
        FeatureCosts,
        TimeShare,
        judge_costs,
    )

    costs = FeatureCosts(
        predict_seconds=0.01,
        time={"a": TimeShare(0.15, -0.05, 0.35), "b": TimeShare(0.05, 0.0, 0.1)},
        memory={"a": 0.5, "b": 0.5},
        declared={},
        timing="ablation",
        bytes_per_row=16.0,
        rounds=7,
        confidence=0.99,
    )
    verdict = judge_costs(
        costs,
        {"a": 0.0, "b": 0.0},
        ["a", "b"],
        high_time_share=0.2,
        high_memory_share=0.6,
        high_declared_share=0.2,
        low_value_share=0.02,
    )
    assert verdict == CostVerdict(flagged={}, unresolved=["a"])
