"""model-7: the model has been tested for considerations of inclusion."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome
from mltestscore.checks.fairness import check_group_fairness


@pytest.fixture(scope="session")
def clean_fairness(adult_model: Any, xy_test: Any) -> Any:
    X, y = xy_test
    return check_group_fairness(adult_model, X, y, sensitive_features=["sex", "race"])


def test_it_flags_a_model_biased_against_women(biased_against_women: Any, xy_test: Any) -> None:
    X, y = xy_test
    result = check_group_fairness(biased_against_women, X, y, sensitive_features=["sex"])

    assert result.outcome is Outcome.FAILED
    assert result.rubric_ids == ("model-7",)
    assert result.measurements["sex.selection_rate_ratio"] < 0.2
    assert result.measurements["sex.equalized_odds_difference"] > 0.4
    assert "sex: selection rate ratio" in result.reason
    assert "sex: equalized odds difference" in result.reason
    groups = {row[2]: row for row in result.tables[1].rows}
    assert groups["Female"][4] < groups["Male"][4] / 5  # selection rate


def test_equalized_odds_alone_cannot_clear_the_clean_model_but_fails_the_biased_one(
    adult_model: Any, biased_against_women: Any, xy_test: Any
) -> None:
    """The clean model's equalized odds difference between sexes is 0.12 (CI 0.04-0.29 at
    95% family-wise, wider at the default 99%) against a limit of 0.1: an interval wider than the limit itself cannot tell a fair model
    from one twice past it, so it is 'not measurable here' (it used to pass); the planted
    five-fold cut for women fails beyond doubt."""
    X, y = xy_test
    options = {"sensitive_features": ["sex"], "min_selection_rate_ratio": None}
    clean = check_group_fairness(adult_model, X, y, **options)
    biased = check_group_fairness(biased_against_women, X, y, **options)
    assert clean.outcome is Outcome.NOT_APPLICABLE, clean.summary()
    assert clean.reason.startswith("not measurable here")
    assert "rows would resolve the limit" in clean.reason
    assert biased.outcome is Outcome.FAILED


def test_it_reports_the_real_gap_in_selection_rates_between_sexes_in_adult(
    clean_fairness: Any,
) -> None:
    """Women are a third as likely as men to earn >50K in the data, and the model follows:
    the four-fifths rule fails even for a model that never saw a planted bias."""
    assert clean_fairness.outcome is Outcome.FAILED
    assert 0.25 < clean_fairness.measurements["sex.selection_rate_ratio"] < 0.5
    assert "sex: selection rate ratio" in clean_fairness.reason


def test_intersections_of_two_attributes_are_tested(clean_fairness: Any) -> None:
    assert "sex x race.selection_rate_ratio" in clean_fairness.measurements
    intersections = [r for r in clean_fairness.tables[1].rows if r[0] == "sex x race"]
    assert {r[2] for r in intersections} >= {"sex=Female & race=White", "sex=Male & race=Black"}
    assert all(r[3] >= 30 for r in intersections)


def test_groups_too_small_to_judge_are_listed(clean_fairness: Any) -> None:
    race_rows = [r for r in clean_fairness.tables[0].rows if r[0] == "race"]
    assert "Other (10)" in race_rows[0][-1]


def test_parity_measures_equal_fairlearn_and_sit_inside_their_intervals(
    adult_model: Any, clean_fairness: Any, xy_test: Any
) -> None:
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    X, y = xy_test
    predicted = adult_model.predict(X)
    assert clean_fairness.measurements["sex.selection_rate_ratio"] == pytest.approx(
        demographic_parity_ratio(y, predicted, sensitive_features=X["sex"])
    )
    assert clean_fairness.measurements["sex.selection_rate_difference"] == pytest.approx(
        demographic_parity_difference(y, predicted, sensitive_features=X["sex"])
    )
    assert clean_fairness.measurements["sex.equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y, predicted, sensitive_features=X["sex"])
    )
    for attribute, _, _, measure, value, low, high, *_ in clean_fairness.tables[0].rows:
        if measure != "relative_metric_gap":
            assert low - 0.05 <= value <= high + 0.05, (attribute, measure)


def test_a_model_passes_for_an_attribute_independent_of_everything(
    adult_model: Any, xy_test: Any
) -> None:
    import numpy as np
    import pandas as pd

    X, y = xy_test
    cohort = pd.DataFrame({"cohort": np.random.default_rng(0).choice(["a", "b"], len(X))})
    result = check_group_fairness(
        adult_model, X, y, sensitive_features=["cohort"], sensitive_data=cohort
    )
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["cohort.selection_rate_ratio"] > 0.8


def test_a_predict_only_model_gets_every_rate_and_accuracy(
    adult_model: Any, xy_test: Any, wrappers: Any
) -> None:
    X, y = xy_test
    result = check_group_fairness(
        wrappers["PredictOnly"](adult_model), X, y, sensitive_features=["sex"]
    )
    assert result.parameters["metric"] == "accuracy"
    assert result.outcome is Outcome.FAILED  # the real parity gap, as with probabilities
    assert "sex.equalized_odds_difference" in result.measurements


def test_a_multiclass_model_is_checked_for_each_outcome(multiclass_task: Any) -> None:
    model, X, y = multiclass_task
    result = check_group_fairness(
        model, X, y, sensitive_features=["sex"], min_selection_rate_ratio=None
    )
    rows = result.tables[0].rows
    assert {row[1] for row in rows if row[3] != "relative_metric_gap"} == {
        "married",
        "never",
        "other",
    }
    assert "sex[married].equalized_odds_difference" in result.measurements
    # the quality gap compares the groups over all classes: measured once, not per class
    assert [row[1] for row in rows if row[3] == "relative_metric_gap"] == ["(all classes)"]
    # 3 classes x equalized odds, and the quality gap: 4 intervals share the default 99%
    assert result.measurements["intervals_judged"] == 4
    assert result.measurements["interval_confidence"] == pytest.approx(1 - 0.01 / 4)


def test_a_favourable_label_restricts_the_outcomes(multiclass_task: Any) -> None:
    model, X, y = multiclass_task
    result = check_group_fairness(model, X, y, sensitive_features=["sex"], favourable_label="never")
    assert {row[1] for row in result.tables[0].rows} == {"never"}


def test_a_regressor_is_judged_on_its_quality_gap_between_groups(
    regression_task: Any, wrappers: Any
) -> None:
    import numpy as np

    model, _, _, X, y = regression_task
    clean = check_group_fairness(model, X, y, sensitive_features=["sex"])
    noisy = model.predict(X) + np.where(X["sex"] == "Female", 20.0, 0.0)
    biased = check_group_fairness(
        wrappers["FixedPredictions"](noisy), X, y, sensitive_features=["sex"], task="regression"
    )
    assert clean.parameters["metric"] == "rmse"
    assert clean.outcome is Outcome.PASSED, clean.summary()
    assert biased.outcome is Outcome.FAILED
    assert "relative metric gap" in biased.reason


def test_no_group_large_enough_is_not_applicable(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    result = check_group_fairness(
        adult_model, X, y, sensitive_features=["sex"], min_group_size=1000
    )
    assert result.outcome is Outcome.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"sensitive_features": ["religion"]}, "sensitive_features"),
        ({"sensitive_features": ["blank"]}, "sensitive_features"),
        ({"sensitive_features": ["sex"], "favourable_label": 7}, "favourable_label"),
        ({"sensitive_features": ["sex"], "sensitive_data": "short"}, "sensitive_data"),
        ({"sensitive_features": ["sex"], "min_group_size": 0}, "min_group_size"),
        ({"sensitive_features": ["sex"], "metric": "mae"}, "metric"),
    ],
    ids=str,
)
def test_bad_input_gives_an_error_naming_the_argument(
    adult_model: Any, xy_test: Any, kwargs: dict[str, Any], argument: str
) -> None:
    import numpy as np

    X, y = xy_test
    X = X.assign(blank=np.nan)
    if kwargs.get("sensitive_data") == "short":
        kwargs["sensitive_data"] = X[["sex"]].iloc[:5]
    result = check_group_fairness(adult_model, X, y, **kwargs)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def test_an_empty_frame_and_a_wrong_model_are_named(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    empty = check_group_fairness(adult_model, X.iloc[:0], y[:0], sensitive_features=["sex"])
    wrong = check_group_fairness(42, X, y, sensitive_features=["sex"])
    assert empty.outcome is Outcome.ERROR
    assert "X" in empty.reason
    assert wrong.outcome is Outcome.ERROR
    assert "model" in wrong.reason


def test_a_numeric_attribute_is_cut_in_quantile_bins(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    result = check_group_fairness(
        adult_model, X, y, sensitive_features=["age"], min_selection_rate_ratio=None
    )
    groups = [row[2] for row in result.tables[1].rows]
    assert len(groups) == 4
    assert all(g.startswith("[") for g in groups)
    assert result.parameters["numeric_bins"] == 4


@settings(deadline=None)  # the first example imports the modules
@given(seed=st.integers(0, 10_000), n=st.integers(2, 150), groups=st.integers(1, 4))
def test_parity_measures_counted_from_the_draws_equal_the_weighted_ones_to_the_last_bit(
    seed: int, n: int, groups: int
) -> None:
    from mltestscore.checks import _resample
    from mltestscore.checks.fairness import parity_from_draws, parity_resamples

    rng = np.random.default_rng(seed)
    actual = rng.integers(0, 2, n)
    chosen = rng.integers(0, 2, n)
    codes = rng.integers(0, groups, n)
    member = np.column_stack([codes == g for g in range(groups)]).astype(float)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rates of an empty group
        weighted = parity_resamples(
            actual, chosen, member, _resample.bootstrap_weights(n, 5, np.random.default_rng(seed))
        )
        counted = parity_from_draws(
            actual,
            chosen,
            codes,
            groups,
            _resample.bootstrap_draws(n, 5, np.random.default_rng(seed)),
        )

    assert counted.keys() == weighted.keys()
    for key, values in weighted.items():
        np.testing.assert_array_equal(counted[key], values)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(40, 150), groups=st.integers(2, 3))
def test_resampled_parity_measures_equal_fairlearn_on_the_resampled_rows(
    seed: int, n: int, groups: int
) -> None:
    import numpy as np
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    from mltestscore.checks import _resample
    from mltestscore.checks.fairness import parity_resamples

    rng = np.random.default_rng(seed)
    actual = rng.integers(0, 2, n)
    chosen = rng.integers(0, 2, n)
    group = rng.integers(0, groups, n).astype(str)
    member = np.column_stack([group == g for g in sorted(set(group))]).astype(float)
    weights = _resample.bootstrap_weights(n, 2, rng)

    fast = parity_resamples(actual, chosen, member, weights)

    compared = 0
    for b, row in enumerate(weights):
        index = np.repeat(np.arange(n), row.astype(int))
        a, c, g = actual[index], chosen[index], group[index]
        seen = set(zip(g.tolist(), a.tolist(), strict=True))
        if any((k, 0) not in seen or (k, 1) not in seen for k in set(g.tolist())):
            continue  # a group without positives or negatives: its TPR or FPR is undefined
        assert fast["selection_rate_difference"][b] == pytest.approx(
            demographic_parity_difference(a, c, sensitive_features=g)
        )
        assert fast["equalized_odds_difference"][b] == pytest.approx(
            equalized_odds_difference(a, c, sensitive_features=g)
        )
        if c.any():
            assert fast["selection_rate_ratio"][b] == pytest.approx(
                demographic_parity_ratio(a, c, sensitive_features=g)
            )
        compared += 1
    assert compared >= 1


def _measure_sex(model: Any, X: Any, y: Any) -> Any:
    from mltestscore.checks import _models
    from mltestscore.checks.fairness import (
        FairnessSettings,
        Predictions,
        measure_group_fairness,
    )

    limits = {
        "selection_rate_ratio": 0.8,
        "selection_rate_difference": None,
        "equalized_odds_difference": 0.1,
        "relative_metric_gap": 0.25,
    }
    options = FairnessSettings(
        task="binary",
        metric="roc_auc",
        note=None,
        outcomes=[model.classes_[-1]],
        limits=limits,
        intersections=False,
        numeric_bins=4,
        min_group_size=30,
        n_bootstrap=200,
        confidence=0.99,  # the check's default
        sample_size=50_000,
        seed=0,
    )
    y = np.asarray(y)
    data = Predictions(y, _models.predict(model, X), _models.predict_proba(model, X))
    return measure_group_fairness(model, data, X[["sex"]], ["sex"], options)


def test_the_measurement_holds_each_group_and_each_criterion_with_its_interval(
    adult_model: Any, xy_test: Any
) -> None:
    X, y = xy_test
    measured = _measure_sex(adult_model, X, y)
    (sex,) = measured.attributes
    assert sex.attribute == "sex"
    assert sex.judged
    assert sex.groups == 2
    assert {c.name for c in sex.criteria} == {
        "relative_metric_gap",
        "selection_rate_ratio",
        "selection_rate_difference",
        "equalized_odds_difference",
    }
    for c in sex.criteria:
        assert c.ci_low <= c.value <= c.ci_high, c
    assert sorted(g.group for g in sex.group_measures) == sorted(X["sex"].unique())
    assert sum(g.rows for g in sex.group_measures) == measured.rows_used == len(X)
    # Adult's real gap: men are predicted >50K far more often than women
    rates = {g.group: g.selection_rate for g in sex.group_measures}
    assert rates["Male"] > 2 * rates["Female"]


def test_the_verdict_of_the_measurement_is_the_checks_verdict(
    adult_model: Any, xy_test: Any
) -> None:
    from mltestscore.checks.fairness import judge_fairness

    X, y = xy_test
    verdict = judge_fairness(_measure_sex(adult_model, X, y))
    result = check_group_fairness(
        adult_model, X, y, sensitive_features=["sex"], intersections=False
    )
    assert (verdict.outcome, verdict.reason) == (result.outcome, result.reason)


def test_judging_a_stricter_limit_needs_no_new_measurement(adult_model: Any, xy_test: Any) -> None:
    from mltestscore.checks.fairness import judge_fairness

    X, y = xy_test
    measured = _measure_sex(adult_model, X, y)
    ratio = next(c for c in measured.attributes[0].criteria if c.name == "selection_rate_ratio")
    assert ratio.ci_high < 0.99  # women are selected at well under 99% of men's rate
    before = judge_fairness(measured)
    ratio.limit = 0.99
    after = judge_fairness(measured)
    assert after.outcome is Outcome.FAILED
    assert "sex: selection rate ratio" in after.reason
    assert before.reason != after.reason


# --- family-wise intervals -----------------------------------------------------------------


class _Classes:
    """A stand-in model: the classes its fixed predictions were made from."""

    def __init__(self, classes: Any) -> None:
        self.classes_ = np.asarray(classes)

    def predict(self, X: Any) -> Any:  # pragma: no cover - predictions are given directly
        raise AssertionError("predictions are passed to measure_group_fairness")


def _multiclass_settings(classes: int, seed: int = 0, n_bootstrap: int = 200) -> Any:
    from mltestscore.checks.fairness import FairnessSettings

    return FairnessSettings(
        task="multiclass",
        metric="accuracy",
        note=None,
        outcomes=list(range(classes)),
        limits={
            "selection_rate_ratio": 0.8,
            "selection_rate_difference": None,
            "equalized_odds_difference": 0.1,
            "relative_metric_gap": 0.25,
        },
        intersections=False,
        numeric_bins=4,
        min_group_size=30,
        n_bootstrap=n_bootstrap,
        confidence=0.95,
        sample_size=50_000,
        seed=seed,
    )


def _judged(y: Any, predicted: Any, groups: Any, classes: int) -> Any:
    import pandas as pd

    from mltestscore.checks.fairness import Predictions, judge_fairness, measure_group_fairness

    measured = measure_group_fairness(
        _Classes(range(classes)),
        Predictions(np.asarray(y), np.asarray(predicted), None),
        pd.DataFrame({"group": groups}),
        ["group"],
        _multiclass_settings(classes),
    )
    return measured, judge_fairness(measured)


def _digits_lightgbm_nines() -> tuple[Any, Any, Any]:
    """The corpus' clean digits-lightgbm test split in miniature: 359 rows, ten classes, a
    random group that happens to hold 21 of the 32 nines in A and 11 in B; the model is 95%
    right and predicts 9 for 24 rows of A and 9 of B (selection-rate ratio 0.377; the corpus
    model's 24 and 11, ratio 0.461, failed its 95% interval of 0.189-0.774 from 100
    resamples)."""
    rng = np.random.default_rng(3)
    groups = np.array(["A"] * 180 + ["B"] * 179)
    y = np.concatenate([rng.integers(0, 9, 159), [9] * 21, rng.integers(0, 9, 168), [9] * 11])
    predicted = y.copy()
    wrong = (y != 9) & (rng.random(len(y)) < 0.05)
    predicted[wrong] = (y[wrong] + 1) % 9  # mistakes among the other digits
    others_in_a = np.flatnonzero((groups == "A") & (y != 9))[:3]
    predicted[others_in_a] = 9  # 24 predicted nines in A
    predicted[np.flatnonzero((groups == "B") & (y == 9))[:2]] = 0  # 9 in B
    return y, predicted, groups


def test_a_clean_ten_class_model_is_not_failed_on_one_of_its_thirty_intervals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The corpus' false alarm, reproduced: judged at 95% per interval (ten classes in turn x
    two parity limits, and the quality gap: 21 intervals) the chance split of the nines
    fails the four-fifths rule (CI 0.15-0.78); held together at 95% (each interval at
    99.76%, from 8,400 resamples) it is not measurable on 359 rows (CI 0.06-0.97), and the
    verdict says how the family was judged."""
    from mltestscore.checks import _resample

    y, predicted, groups = _digits_lightgbm_nines()
    measured, verdict = _judged(y, predicted, groups, 10)
    assert measured.family == 21
    assert measured.interval_confidence == pytest.approx(1 - 0.05 / 21)
    assert measured.resamples >= 10 / ((1 - measured.interval_confidence) / 2) - 1
    assert verdict.outcome is not Outcome.FAILED, verdict.reason
    assert "95% family-wise over 21 intervals, each at 99.76%" in verdict.reason

    monkeypatch.setattr(_resample, "family_wise", lambda confidence, tests: confidence)
    _, per_interval = _judged(y, predicted, groups, 10)
    assert per_interval.outcome is Outcome.FAILED  # the old verdict: a false alarm
    assert "group [9]: selection rate ratio 0.377" in per_interval.reason


def test_clean_many_class_models_fail_at_most_the_family_wise_rate() -> None:
    """A seeded simulation: 20 clean four-class models (90% right, predictions independent
    of a random group) on 400 rows, each judged on 9 intervals. Family-wise at 95%, at most
    5% of them may fail one (1 of 20); none does here."""
    failed = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 4, 400)
        predicted = np.where(rng.random(400) < 0.9, y, rng.integers(0, 4, 400))
        measured, verdict = _judged(y, predicted, rng.choice(["A", "B"], 400), 4)
        assert measured.family == 9
        failed += verdict.outcome is Outcome.FAILED
    assert failed <= 1


def test_a_real_breach_of_one_class_is_still_caught_family_wise() -> None:
    """Group B's predictions of class 4 withheld half the time (selection-rate ratio about
    0.5) on 2,000 rows: the breach is caught among the 11 intervals of a five-class model."""
    rng = np.random.default_rng(0)
    n = 2000
    groups = rng.choice(["A", "B"], n)
    y = rng.integers(0, 5, n)
    predicted = np.where(rng.random(n) < 0.9, y, rng.integers(0, 5, n))
    withheld = (groups == "B") & (predicted == 4) & (rng.random(n) < 0.5)
    predicted[withheld] = 0
    measured, verdict = _judged(y, predicted, groups, 5)
    assert measured.family == 11
    assert verdict.outcome is Outcome.FAILED, verdict.reason
    assert "group [4]: selection rate ratio" in verdict.reason
    assert "95% family-wise over 11 intervals, each at 99.55%" in verdict.reason


def test_not_measurable_lists_the_measures_closest_to_settling_not_the_first_classes() -> None:
    """The clean digits-lightgbm split in miniature is not measurable on 359 rows; of its
    undecided measures the verdict lists first class 9's selection-rate ratio (0.377 under
    the four-fifths rule: of the points past their limit, the closest to settling), not class
    0's, which come first in class order."""
    y, predicted, groups = _digits_lightgbm_nines()
    measured, verdict = _judged(y, predicted, groups, 10)
    assert verdict.outcome is Outcome.NOT_APPLICABLE, verdict.reason
    undecided = [(a.outcome, c) for a in measured.judged for c in a.criteria if c.undecided]
    assert undecided[0][0] == "0"  # class order would list class 0 first
    listed = verdict.reason.split("would resolve the limit: ", 1)[1]
    assert listed.startswith("group [9]: selection rate ratio 0.377"), listed
    nine = next(c for o, c in undecided if o == "9" and c.name == "selection_rate_ratio")
    past = [c.rows_factor_to_settle() for _, c in undecided if c.past_limit > 0]
    assert nine.past_limit > 0.4
    assert nine.rows_factor_to_settle() == min(past)


def test_a_measure_past_its_limit_settles_sooner_than_its_interval_narrows_to_the_margin() -> None:
    from mltestscore.checks.fairness import Criterion

    past = Criterion("selection_rate_ratio", 0.4, 0.05, 0.95, 0.8, True)
    near_parity = Criterion("selection_rate_ratio", 0.95, 0.6, 1.0, 0.8, True)
    assert past.past_limit == pytest.approx(0.4)
    assert near_parity.past_limit == 0.0
    assert past.rows_factor_to_settle() == pytest.approx((0.45 / 0.4) ** 2)
    assert past.rows_factor_to_decide() == pytest.approx((0.45 / 0.2) ** 2)
    assert near_parity.rows_factor_to_settle() == near_parity.rows_factor_to_decide()


class _Fixed:
    """A stand-in binary model that predicts the ``predicted`` column it is given."""

    classes_ = np.array([0, 1])

    def predict(self, X: Any) -> Any:
        return X["predicted"].to_numpy()


def _sweep_draw_4(withheld_from_b: bool = False) -> tuple[Any, Any, Any]:
    """The bias sweep's clean draw 4 of 100 Adult rows, by its counts: group A's 53 rows hold
    15 positives of which the model finds 5 and 38 negatives with 7 false positives, group
    B's 47 rows 12 positives found 10 times and 35 negatives with 2 false positives (true
    positive rates 0.33 and 0.83 by chance: the group is random). ``withheld_from_b``
    withholds every favourable prediction of group B, the planted bias the sweep catches
    every time at 100 rows."""
    import pandas as pd

    def rows(group: str, tp: int, fn: int, fp: int, tn: int) -> list[tuple[str, int, int]]:
        cells = [(1, 1)] * tp + [(1, 0)] * fn + [(0, 1)] * fp + [(0, 0)] * tn
        return [(group, y, 0 if withheld_from_b and group == "B" else p) for y, p in cells]

    table = pd.DataFrame(
        rows("A", 5, 10, 7, 31) + rows("B", 10, 2, 2, 33), columns=["group", "y", "predicted"]
    )
    return table[["predicted"]], table["y"].to_numpy(), table[["group"]]


@pytest.mark.parametrize("seed", range(3))
def test_the_sweeps_clean_draw_failed_at_95_percent_and_passes_the_99_percent_default(
    seed: int,
) -> None:
    """The false alarm the bias sweep measured (1 of 40 clean draws of 100 rows, 2.5%):
    equalized odds 0.5 between groups drawn at random fails its 98.33% interval (95%
    family-wise over three) whatever the resampling seed; at the default 99% family-wise
    (each interval at 99.67%) the interval reaches below the limit and the draw does not
    fail."""
    X, y, groups = _sweep_draw_4()
    options: dict[str, Any] = {"sensitive_features": ["group"], "sensitive_data": groups}
    old = check_group_fairness(_Fixed(), X, y, confidence=0.95, seed=seed, **options)
    new = check_group_fairness(_Fixed(), X, y, seed=seed, **options)
    assert old.outcome is Outcome.FAILED, old.reason
    assert "group: equalized odds difference 0.5 (98.33% CI" in old.reason
    assert new.outcome is not Outcome.FAILED, new.reason
    assert new.parameters["confidence"] == 0.99
    assert new.measurements["interval_confidence"] == pytest.approx(1 - 0.01 / 3)
    assert "99% family-wise over 3 intervals, each at 99.67%" in new.reason


def test_the_same_rows_with_group_bs_favourable_predictions_withheld_still_fail_at_99() -> None:
    X, y, groups = _sweep_draw_4(withheld_from_b=True)
    result = check_group_fairness(
        _Fixed(), X, y, sensitive_features=["group"], sensitive_data=groups
    )
    assert result.outcome is Outcome.FAILED, result.reason
    assert "group: selection rate ratio 0 (99.67% CI 0-0" in result.reason
