"""model-6: model quality is sufficient on every important slice."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome
from mltestscore.checks.slices import check_slice_quality

COLUMNS = ["occupation", "sex", "age", "race"]


@pytest.fixture(scope="session")
def clean_slices(adult_model: Any, xy_test: Any) -> Any:
    X, y = xy_test
    return check_slice_quality(adult_model, X, y, columns=COLUMNS)


def test_the_clean_model_meets_the_limit_on_every_slice(clean_slices: Any) -> None:
    result = clean_slices.assert_ok()
    assert result.rubric_ids == ("model-6",)
    assert result.parameters["metric"] == "roc_auc"
    assert result.measurements["slices_failing"] == 0
    assert result.measurements["slices_judged"] >= 15
    assert result.thresholds["effective_limit"] == pytest.approx(
        result.measurements["overall_roc_auc"] - 0.05
    )


def test_small_slices_are_listed_but_not_judged(clean_slices: Any) -> None:
    rows = {row[0]: row for row in clean_slices.tables[0].rows}
    assert rows["race=Other"][1] < 30
    assert rows["race=Other"][-1] == "too small"
    assert clean_slices.measurements["slices_too_small"] >= 1


def test_every_judged_slice_has_an_interval_around_its_value(clean_slices: Any) -> None:
    judged = [r for r in clean_slices.tables[0].rows if r[-1] not in {"too small", "undefined"}]
    assert judged
    for _, _, value, low, high, _ in judged:
        assert low <= value + 1e-9
        assert value <= high + 1e-9


def test_it_fails_a_slice_made_worse_on_purpose(sales_made_worse: Any, xy_test: Any) -> None:
    X, y = xy_test
    model = sales_made_worse

    result = check_slice_quality(model, X, y, columns=COLUMNS)

    assert result.outcome is Outcome.FAILED
    assert result.measurements["slices_failing"] == 1
    assert result.measurements["worst_slice"] == "occupation=Sales"
    assert "occupation=Sales" in result.reason
    assert result.tables[0].rows[0][0] == "occupation=Sales"
    assert result.tables[0].rows[0][-1] == "fails"


def _flip(y: Any, rows: Any) -> Any:
    flipped = y.copy()
    flipped[rows] = 1 - flipped[rows]
    return flipped


@pytest.mark.parametrize(("cohort_size", "expected"), [(12, Outcome.PASSED), (300, Outcome.FAILED)])
def test_a_small_slice_is_not_condemned_on_noise_but_a_large_one_is(
    xy_test: Any, wrappers: Any, cohort_size: int, expected: Outcome
) -> None:
    """Same error rate (one third wrong) in a 12-row and a 300-row cohort: only the
    large cohort's interval lies wholly below the limit."""
    import numpy as np
    import pandas as pd

    X, y = xy_test
    rng = np.random.default_rng(0)
    predictions = _flip(y, rng.random(len(y)) < 0.1)  # a 90%-accurate model everywhere
    cohort = np.zeros(len(y), dtype=bool)
    cohort[:cohort_size] = True
    predictions[:cohort_size] = _flip(y[:cohort_size], np.arange(cohort_size) % 3 == 0)
    labels = pd.DataFrame({"cohort": np.where(cohort, "small-or-large", "rest")})

    result = check_slice_quality(
        wrappers["FixedPredictions"](predictions),
        X,
        y,
        columns=["cohort"],
        slice_data=labels,
        min_slice_size=10,
    )

    assert result.parameters["metric"] == "accuracy"
    rows = {row[0]: row for row in result.tables[0].rows}
    assert rows["cohort=small-or-large"][2] == pytest.approx(2 / 3, abs=0.01)
    assert result.outcome is expected
    if expected is Outcome.PASSED:
        assert rows["cohort=small-or-large"][-1] == "past the limit within noise"
        assert "within noise" in result.reason


def test_an_absolute_floor_applies_on_top_of_the_relative_limit(
    adult_model: Any, xy_test: Any
) -> None:
    X, y = xy_test
    result = check_slice_quality(adult_model, X, y, columns=["sex"], slice_limit=0.97)
    assert result.outcome is Outcome.FAILED
    assert result.thresholds["effective_limit"] == 0.97


def test_a_relative_gap_is_a_fraction_of_the_overall_metric(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    result = check_slice_quality(
        adult_model, X, y, columns=["sex"], max_gap=None, max_relative_gap=0.1
    )
    overall = result.measurements["overall_roc_auc"]
    assert result.thresholds["effective_limit"] == pytest.approx(overall * 0.9)


def test_slices_can_come_from_columns_the_model_does_not_see(
    adult_model: Any, xy_test: Any
) -> None:
    import pandas as pd

    X, y = xy_test
    region = pd.Series(["north" if i % 2 else "south" for i in range(len(X))], name="region")
    result = check_slice_quality(
        adult_model, X, y, columns=["region", "sex"], slice_data=region.to_frame()
    )
    names = {row[0] for row in result.tables[0].rows}
    assert {"region=north", "region=south", "sex=Male"} <= names


def test_a_predict_only_model_is_sliced_on_accuracy(
    adult_model: Any, xy_test: Any, wrappers: Any
) -> None:
    X, y = xy_test
    result = check_slice_quality(wrappers["PredictOnly"](adult_model), X, y, columns=["sex"])
    assert result.parameters["metric"] == "accuracy"
    assert "no predict_proba" in result.reason
    assert result.outcome is Outcome.PASSED


def test_a_regressor_fails_when_one_slice_has_large_errors(
    regression_task: Any, wrappers: Any
) -> None:
    import numpy as np

    model, _, _, X, y = regression_task
    predictions = model.predict(X)
    clean = check_slice_quality(model, X, y, columns=["sex"], max_gap=1.5)
    noisy = predictions + np.where(X["sex"] == "Female", 15.0, 0.0)

    worse = check_slice_quality(
        wrappers["FixedPredictions"](noisy), X, y, columns=["sex"], max_gap=1.5, task="regression"
    )

    assert clean.parameters["metric"] == "rmse"
    assert clean.outcome is Outcome.PASSED, clean.summary()
    assert worse.outcome is Outcome.FAILED
    assert "sex=Female" in worse.reason


def test_a_regressor_that_predicts_the_global_mean_for_one_slice_fails_it(
    wrappers: Any,
) -> None:
    """The planted defect of model-6 for regressors: a model that gives up on one slice and
    predicts everyone's mean there. Its errors on the slice are clearly larger than overall
    and, in the slice's own target spread, worse than predicting the slice's mean: it fails
    with the default limits (0.05 in the metric's units, 0.05 target SD)."""
    import numpy as np

    X, y, best = _noisier_slice_data(seed=1, scale=1.0, offsets={"a": -4.0, "c": 4.0})
    gave_up = np.where(X["kind"] == "c", y.mean(), best)

    clean = check_slice_quality(
        wrappers["FixedPredictions"](best), X, y, columns=["kind"], task="regression"
    )
    worse = check_slice_quality(
        wrappers["FixedPredictions"](gave_up), X, y, columns=["kind"], task="regression"
    )

    assert clean.outcome is Outcome.PASSED, clean.summary()
    assert worse.outcome is Outcome.FAILED, worse.summary()
    assert "kind=c" in worse.reason
    assert "of its target SD" in worse.reason
    row = next(r for r in worse.tables[0].rows if r[0] == "kind=c")
    assert row[-1] == "fails"
    assert row[5] > 1.0  # worse than predicting the slice's own mean: no skill left there
    assert row[6] > row[8]  # the whole scaled interval is past its limit


def _noisier_slice_data(
    seed: int, scale: float, offsets: dict[str, float] | None = None
) -> tuple[Any, Any, Any]:
    """3,000 rows in slices a, b and c whose target, signal and noise alike, varies ``scale``
    times more in c (the self-employed's weekly hours vary more than employees'), each
    slice's mean moved by ``offsets``; and the true function as the model's predictions: the
    best any model can do (RMSE / target SD 0.32 in every slice)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = 3000
    kind = rng.choice(["a", "b", "c"], n)
    signal = 3.0 * rng.normal(size=n)
    factor = np.where(kind == "c", scale, 1.0)
    shift = np.array([(offsets or {}).get(k, 0.0) for k in kind])
    y = 10.0 + shift + factor * (signal + rng.normal(size=n))
    X = pd.DataFrame({"kind": kind})
    return X, y, 10.0 + shift + factor * signal


def test_a_regression_slice_whose_target_varies_more_is_in_line_with_its_spread(
    wrappers: Any,
) -> None:
    """The best possible model has three times the RMSE on a slice whose target varies three
    times as much: past an absolute limit, but the same 0.32 of the target's SD as elsewhere,
    so the slice does not fail (adult-hours' self-employed, RMSE 16.8 against 10.6)."""
    X, y, best = _noisier_slice_data(seed=0, scale=3.0)
    result = check_slice_quality(
        wrappers["FixedPredictions"](best), X, y, columns=["kind"], task="regression"
    )
    statuses = {row[0]: row[-1] for row in result.tables[0].rows}
    assert statuses["kind=c"] == "past the limit, in line with its target's spread"
    assert result.outcome is Outcome.PASSED, result.summary()
    assert "in line with their target's spread" in result.reason
    scaled = {row[0]: row[5] for row in result.tables[0].rows}
    assert abs(scaled["kind=c"] - scaled["kind=a"]) < 0.03
    assert result.measurements["overall_rmse_per_target_sd"] == pytest.approx(0.316, abs=0.02)


def test_judging_the_metric_alone_fails_the_noisier_slice(wrappers: Any) -> None:
    """``max_scaled_gap=None`` restores the judgement in the metric's units alone."""
    X, y, best = _noisier_slice_data(seed=0, scale=3.0)
    result = check_slice_quality(
        wrappers["FixedPredictions"](best),
        X,
        y,
        columns=["kind"],
        task="regression",
        max_scaled_gap=None,
    )
    assert result.outcome is Outcome.FAILED
    assert "kind=c" in result.reason


def test_family_wise_intervals_take_enough_resamples_for_their_tails(
    adult_model: Any, xy_test: Any
) -> None:
    """14 education slices at 95% together put each interval at 99.64%: 100 resamples would
    leave no resample in the 0.18% tails, so the check takes enough for 10 in each."""
    X, y = xy_test
    result = check_slice_quality(adult_model, X, y, columns=["education"], n_bootstrap=100)
    judged = result.measurements["slices_judged"]
    tail = 0.05 / judged / 2
    assert result.measurements["resamples_per_slice"] >= 10 / tail - 1


def test_a_multiclass_model_is_sliced_on_macro_f1(multiclass_task: Any) -> None:
    model, X, y = multiclass_task
    result = check_slice_quality(model, X, y, columns=["sex"], max_gap=0.2)
    assert result.parameters["metric"] == "f1_macro"
    assert result.measurements["slices_judged"] == 2


def test_no_slice_large_enough_is_not_applicable(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    result = check_slice_quality(adult_model, X, y, columns=["sex"], min_slice_size=5000)
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "5000" in result.reason


def test_the_sample_used_is_recorded(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    result = check_slice_quality(adult_model, X, y, columns=["sex"], sample_size=500)
    assert result.parameters["rows_used"] == 500
    assert result.parameters["rows_total"] == len(X)
    assert result.parameters["n_bootstrap"] == 200


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"columns": ["no-such-column"]}, "columns"),
        ({"columns": ["age"], "max_gap": None}, "max_gap"),
        ({"columns": ["age"], "confidence": 1.5}, "confidence"),
        ({"columns": ["age"], "metric": "rmse"}, "metric"),
        ({"columns": ["age"], "sample_size": 0}, "sample_size"),
        ({"columns": ["age"], "task": "ranking"}, "task"),
        ({"columns": ["age"], "slice_data": "short"}, "slice_data"),
        ({"columns": ["empty"]}, "columns"),
    ],
    ids=str,
)
def test_bad_input_gives_an_error_naming_the_argument(
    adult_model: Any, xy_test: Any, kwargs: dict[str, Any], argument: str
) -> None:
    import numpy as np

    X, y = xy_test
    if kwargs.get("slice_data") == "short":
        kwargs["slice_data"] = X.iloc[:10]
    if kwargs["columns"] == ["empty"]:
        X = X.assign(empty=np.nan)
    result = check_slice_quality(adult_model, X, y, **kwargs)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def test_an_empty_frame_a_wrong_model_and_wrong_labels_are_named(
    adult_model: Any, xy_test: Any
) -> None:
    X, y = xy_test
    empty = check_slice_quality(adult_model, X.iloc[:0], y[:0], columns=["sex"])
    wrong_model = check_slice_quality("a model", X, y, columns=["sex"])
    short_labels = check_slice_quality(adult_model, X, y[:10], columns=["sex"])
    not_a_frame = check_slice_quality(adult_model, X.to_numpy(), y, columns=["sex"])
    assert "X" in empty.reason
    assert empty.outcome is Outcome.ERROR
    assert "model" in wrong_model.reason
    assert wrong_model.outcome is Outcome.ERROR
    assert "y" in short_labels.reason
    assert short_labels.outcome is Outcome.ERROR
    assert "DataFrame" in not_a_frame.reason
    assert not_a_frame.outcome is Outcome.ERROR


# --- the weighted bootstrap must equal scikit-learn on the resampled rows -------------------

METRICS = ["accuracy", "error_rate", "f1", "f1_macro", "roc_auc", "log_loss", "rmse", "mae", "r2"]


@settings(max_examples=40, deadline=None)
@given(
    metric=st.sampled_from(METRICS),
    seed=st.integers(0, 10_000),
    n=st.integers(8, 60),
    classes=st.integers(2, 3),
)
def test_weighted_resample_scores_equal_the_metric_on_resampled_rows(
    metric: str, seed: int, n: int, classes: int
) -> None:
    import numpy as np

    from mltestscore.checks import _models, _resample

    rng = np.random.default_rng(seed)
    if metric in {"rmse", "mae", "r2"}:
        y = rng.normal(size=n)
        predicted, proba = y + rng.normal(scale=0.5, size=n), None
    else:
        k = 2 if metric in {"f1", "roc_auc"} else classes
        y = rng.integers(0, k, size=n)
        proba = rng.dirichlet(np.ones(k), size=n)
        proba[:, -1] = np.round(proba[:, -1], 1)  # ties, which the AUC counts half
        proba = proba / proba.sum(axis=1, keepdims=True)
        predicted = proba.argmax(axis=1)
    weights = _resample.bootstrap_weights(n, 3, rng)

    fast = _resample.weighted_scores(metric, y, predicted, proba, weights)

    for row, value in zip(weights, fast, strict=True):
        index = np.repeat(np.arange(n), row.astype(int))
        p = None if proba is None else proba[index]
        if metric == "log_loss" and len(np.unique(y[index])) < 2:
            continue  # scikit-learn refuses a log loss on one class
        expected = _models.score(metric, y[index], predicted[index], p)
        if np.isnan(expected):
            assert np.isnan(value)
        else:
            assert value == pytest.approx(expected, abs=1e-9)


def test_bootstrap_weights_are_draw_counts_with_the_multinomial_mean_and_variance() -> None:
    """Each row counts n draws with replacement: it sums to n, and over many resamples a
    row's count has mean 1 and variance 1 - 1/n (Binomial(n, 1/n)), independent of the
    other rows (covariance -1/n)."""
    import numpy as np

    from mltestscore.checks import _resample

    n, resamples = 40, 20_000
    weights = _resample.bootstrap_weights(n, resamples, np.random.default_rng(3))

    assert weights.shape == (resamples, n)
    assert (weights.sum(axis=1) == n).all()
    assert (weights >= 0).all()
    assert (weights == np.round(weights)).all()
    assert weights.mean(axis=0) == pytest.approx(np.ones(n), abs=0.05)
    assert weights.var(axis=0).mean() == pytest.approx(1 - 1 / n, rel=0.03)
    covariance = np.cov(weights[:, 0], weights[:, 1])[0, 1]
    assert covariance == pytest.approx(-1 / n, abs=0.02)
    assert _resample.bootstrap_weights(n, 0, np.random.default_rng(3)).shape == (0, n)


def _measure(model: Any, X: Any, y: Any, columns: list[str]) -> Any:
    import numpy as np

    from mltestscore.checks import _models
    from mltestscore.checks.slices import measure_slices

    data = (np.asarray(y), _models.predict(model, X), _models.predict_proba(model, X))
    return measure_slices(
        model,
        data,
        X[columns].reset_index(drop=True),
        columns,
        task="binary",
        metric="roc_auc",
        note=None,
        limits=(0.05, None, None),
        min_slice_size=30,
        n_bootstrap=200,
        confidence=0.95,
        numeric_bins=4,
        sample_size=20_000,
        seed=0,
    )


def test_the_measurement_holds_every_slice_with_its_interval(
    adult_model: Any, xy_test: Any, clean_slices: Any
) -> None:
    from mltestscore.checks.slices import slice_status

    X, y = xy_test
    measured = _measure(adult_model, X, y, COLUMNS)
    assert measured.limit == pytest.approx(measured.overall - 0.05)
    assert measured.overall == clean_slices.measurements["overall_roc_auc"]
    by_name = {s.name: s for s in measured.scores}
    assert by_name["sex=Female"].rows + by_name["sex=Male"].rows == len(X)
    for score in measured.scores:
        if slice_status(score, measured) in {"ok", "fails"}:
            assert score.ci_low <= score.value <= score.ci_high, score
    assert slice_status(by_name["race=Other"], measured) == "too small"


def test_judging_a_tighter_limit_fails_slices_without_measuring_again(
    adult_model: Any, xy_test: Any
) -> None:
    import dataclasses

    from mltestscore.checks.slices import judge_slices

    X, y = xy_test
    measured = _measure(adult_model, X, y, ["sex", "age"])
    assert judge_slices(measured).outcome is Outcome.PASSED
    worst_high = min(s.ci_high for s in measured.scores if s.rows >= 30)
    strict = dataclasses.replace(measured, limit=worst_high + 0.001)
    verdict = judge_slices(strict)
    assert verdict.outcome is Outcome.FAILED
    assert "slices are worse than the limit" in verdict.reason


@settings(deadline=None)  # the first example imports the modules
@given(seed=st.integers(0, 10_000), n=st.integers(2, 120), resamples=st.integers(1, 30))
def test_an_auc_counted_from_the_draws_equals_the_weighted_auc_to_the_last_bit(
    seed: int, n: int, resamples: int
) -> None:
    """The same generator state gives the same resamples either way, ties (scores rounded
    to one decimal) included, so the intervals and every verdict built on them stay."""
    import numpy as np

    from mltestscore.checks import _resample

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.round(rng.random(n), 1)

    weighted = _resample._auc_scores(
        y, score, _resample.bootstrap_weights(n, resamples, np.random.default_rng(seed))
    )
    counted = _resample.auc_from_draws(
        y, score, _resample.bootstrap_draws(n, resamples, np.random.default_rng(seed))
    )

    np.testing.assert_array_equal(counted, weighted)


def test_draw_counts_are_the_bootstrap_weights_summed_by_category() -> None:
    import numpy as np

    from mltestscore.checks import _resample

    n, resamples = 30, 7
    codes = np.arange(n) % 4
    weights = _resample.bootstrap_weights(n, resamples, np.random.default_rng(5))
    drawn = _resample.bootstrap_draws(n, resamples, np.random.default_rng(5))

    counts = _resample.draw_counts(drawn, codes, 4)

    expected = np.column_stack([weights[:, codes == c].sum(axis=1) for c in range(4)])
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(_resample.draw_counts(drawn, np.arange(n), n), weights)


@settings(deadline=None, max_examples=40)
@given(
    metric=st.sampled_from(["roc_auc", "accuracy", "f1", "log_loss", "rmse"]),
    seed=st.integers(0, 10_000),
    n=st.integers(5, 90),
    resamples=st.integers(1, 400),
    cells=st.integers(1, 5_000),
)
def test_a_bootstrap_interval_does_not_depend_on_the_chunk_size(
    metric: str, seed: int, n: int, resamples: int, cells: int
) -> None:
    """Resamples are drawn and scored in chunks of at most ``MAX_CELLS`` cells, which only
    bounds the memory: the draws continue one stream and each resample is scored on its own,
    so one chunk or many give the same interval. An AUC is counted in integers, so it is the
    same to the last bit; a metric from weighted sums (log loss, RMSE) may differ in its
    last bit, as BLAS sums a matrix product's row along a path that depends on the number of
    rows."""
    import numpy as np

    from mltestscore.checks import _resample

    rng = np.random.default_rng(seed)
    if metric == "rmse":
        y = rng.normal(size=n)
        predicted, proba = y + rng.normal(scale=0.5, size=n), None
    else:
        y = rng.integers(0, 2, size=n)
        proba = rng.dirichlet(np.ones(2), size=n)
        predicted = proba.argmax(axis=1)

    def interval(max_cells: int) -> tuple[float, float]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_resample, "MAX_CELLS", max_cells)
            return _resample.bootstrap_interval(
                metric,
                y,
                predicted,
                proba,
                n_boot=resamples,
                confidence=0.95,
                rng=np.random.default_rng(seed + 1),
            )

    chunked, whole = interval(cells), interval(n * resamples)
    if metric == "roc_auc":
        np.testing.assert_array_equal(chunked, whole)
    else:
        np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-15)
