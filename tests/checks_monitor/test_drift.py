"""check_feature_drift (monitor-3) on the Adult sample with planted shifts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome
from mltestscore.checks.drift import check_feature_drift


def test_it_passes_a_random_split_of_the_same_data(adult_features: Any) -> None:
    train, test = adult_features
    result = check_feature_drift(train, test)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["features"] == train.shape[1]
    assert result.measurements["drifted_features"] == 0
    assert result.rubric_ids == ("monitor-3",)


def test_it_flags_a_feature_shifted_by_two_standard_deviations(adult_features: Any) -> None:
    train, test = adult_features
    shifted = test.assign(age=test["age"] + 2 * train["age"].std())
    result = check_feature_drift(train, shifted)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["drifted_features"] == 1
    assert result.measurements["worst_feature"] == "age"
    assert "1 of 14 features drift: age (PSI" in result.reason


def test_it_flags_a_category_whose_share_changes(adult_features: Any) -> None:
    train, test = adult_features
    changed = test.copy()
    changed.loc[changed.index[:400], "relationship"] = "Wife"
    result = check_feature_drift(train, changed)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["worst_feature"] == "relationship"
    row = next(r for r in result.tables[0].rows if r[0] == "relationship")
    assert "Wife" in str(row[9])


def test_it_flags_a_frequent_category_never_seen_in_training(adult_features: Any) -> None:
    train, test = adult_features
    changed = test.copy()
    changed.loc[changed.index[:200], "workclass"] = "Gig-economy"
    result = check_feature_drift(train, changed, columns=["workclass"])
    assert result.outcome is Outcome.FAILED
    assert "Gig-economy" in str(result.tables[0].rows[0])


def test_it_flags_a_numeric_column_that_goes_missing_in_serving(adult_features: Any) -> None:
    train, test = adult_features
    broken = test.copy()
    broken.loc[broken.index[:600], "hours-per-week"] = np.nan
    result = check_feature_drift(train, broken)
    assert result.outcome is Outcome.FAILED
    assert "hours-per-week" in result.reason
    row = next(r for r in result.tables[0].rows if r[0] == "hours-per-week")
    assert row[8] == "0.0% → 50.0%"


def test_the_table_ranks_features_by_severity_and_charts_it(adult_features: Any) -> None:
    train, test = adult_features
    result = check_feature_drift(train, test.assign(age=test["age"] + 5))
    table = result.tables[0]
    assert table.chart == "severity"
    severities = [row[table.columns.index("severity")] for row in table.rows]
    assert severities == sorted(severities, reverse=True)
    assert table.rows[0][0] == "age"


def test_max_drifted_tolerates_a_known_number_of_drifting_features(adult_features: Any) -> None:
    train, test = adult_features
    shifted = test.assign(age=test["age"] + 20)
    assert check_feature_drift(train, shifted, max_drifted=1).outcome is Outcome.PASSED
    assert check_feature_drift(train, shifted, max_drifted=0).outcome is Outcome.FAILED


def test_it_records_sample_size_and_seed_when_it_samples(adult_features: Any) -> None:
    train, test = adult_features
    result = check_feature_drift(train, test, sample_size=500, seed=3)
    assert result.parameters["sampled"] is True
    assert result.parameters["sample_size"] == 500
    assert result.parameters["seed"] == 3
    assert result.measurements["reference_rows"] == 500
    assert result.measurements["current_rows"] == 500


def test_p_value_thresholds_are_off_by_default_and_catch_small_shifts_when_on() -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 200_000)})
    current = pd.DataFrame({"x": rng.normal(0.05, 1, 200_000)})
    assert check_feature_drift(reference, current).outcome is Outcome.PASSED
    strict = check_feature_drift(reference, current, ks_alpha=0.01)
    assert strict.outcome is Outcome.FAILED
    assert strict.thresholds["ks_alpha"] == 0.01


def test_threads_give_the_same_result_as_one_thread(adult_features: Any) -> None:
    train, test = adult_features
    one = check_feature_drift(train, test.assign(age=test["age"] + 9))
    two = check_feature_drift(train, test.assign(age=test["age"] + 9), n_jobs=2)
    assert one.tables == two.tables
    assert one.outcome is two.outcome is Outcome.FAILED


def test_it_reads_parquet_and_csv_paths(adult_features: Any, tmp_path: Path) -> None:
    train, test = adult_features
    train.to_parquet(tmp_path / "train.parquet")
    test.to_csv(tmp_path / "serving.csv", index=False)
    result = check_feature_drift(tmp_path / "train.parquet", str(tmp_path / "serving.csv"))
    assert result.outcome is Outcome.PASSED, result.summary()


@settings(max_examples=25, deadline=None)
@given(
    n_ref=st.integers(50, 3000),
    n_cur=st.integers(50, 3000),
    shift=st.floats(-2, 2),
    seed=st.integers(0, 2**16),
    discrete_reference=st.booleans(),
    discrete_current=st.booleans(),
)
def test_its_ks_statistic_matches_scipy_within_the_reported_resolution(
    n_ref: int,
    n_cur: int,
    shift: float,
    seed: int,
    discrete_reference: bool,
    discrete_current: bool,
) -> None:
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(seed)
    ref = rng.normal(0, 1, n_ref)
    cur = rng.normal(shift, 1, n_cur)
    if discrete_reference:  # atoms in the reference, possibly between the current's values
        ref = np.round(ref * 2)
    if discrete_current:
        cur = np.round(cur * 2)
    result = check_feature_drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}))
    exact = ks_2samp(ref, cur).statistic
    ours = result.tables[0].rows[0][3]
    assert ours <= exact + 1e-4  # the grid never overshoots (up to the table's rounding)
    assert exact - ours <= result.measurements["ks_grid_max_error"] + 1e-4
    assert result.measurements["max_psi"] >= 0


def test_identical_data_has_zero_distance(adult_features: Any) -> None:
    train, _ = adult_features
    result = check_feature_drift(train, train)
    assert result.measurements["max_psi"] == pytest.approx(0.0, abs=1e-12)
    assert result.measurements["max_ks"] == 0.0
    assert result.measurements["max_js"] == 0.0


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        (pd.DataFrame(), "test", "reference: the data has no rows"),
        ("train", pd.DataFrame({"age": []}), "current: the data has no rows"),
        ("train", "no-age", "column 'age': is not in the current data"),
        ("all-nan-age", "test", "column 'age': is entirely missing in the reference"),
        ("train", "age-as-text", "column 'age': is int64 in the reference but"),
        ((1, 2, 3), "test", "reference: expected a pandas DataFrame or a file path, got tuple"),
        ("train", "missing.parquet", "current: file 'missing.parquet' does not exist"),
    ],
)
def test_bad_input_gives_an_error_naming_the_argument_or_column(
    adult_features: Any, reference: Any, current: Any, expected: str
) -> None:
    train, test = adult_features
    frames = {
        "train": train,
        "test": test,
        "no-age": test.drop(columns=["age"]),
        "all-nan-age": train.assign(age=np.nan),
        "age-as-text": test.assign(age=test["age"].astype(str) + " years"),
    }

    def pick(value: Any) -> Any:
        return frames[value] if isinstance(value, str) and value in frames else value

    result = check_feature_drift(pick(reference), pick(current))
    assert result.outcome is Outcome.ERROR
    assert expected in result.reason


def test_unknown_columns_and_bad_parameters_are_named(adult_features: Any) -> None:
    train, test = adult_features
    result = check_feature_drift(train, test, columns=["age"], categorical=["sex"])
    assert result.outcome is Outcome.ERROR
    assert "categorical" in result.reason
    result = check_feature_drift(train, test, bins=1)
    assert result.outcome is Outcome.ERROR
    assert "bins: must be at least 2" in result.reason
    result = check_feature_drift(train, test, psi_threshold=0)
    assert result.outcome is Outcome.ERROR
    assert "psi_threshold: must be positive" in result.reason


def test_a_column_that_is_entirely_missing_in_serving_drifts(adult_features: Any) -> None:
    train, test = adult_features
    result = check_feature_drift(train, test.assign(age=np.nan), columns=["age"])
    assert result.outcome is Outcome.FAILED
    assert result.measurements["max_ks"] == 1.0


def test_time_columns_are_compared_as_numbers() -> None:
    start = pd.Timestamp("2026-01-01", tz="UTC")
    reference = pd.DataFrame({"seen_at": start + pd.to_timedelta(np.arange(2000), unit="h")})
    later = pd.DataFrame({"seen_at": reference["seen_at"] + pd.Timedelta(days=60)})
    result = check_feature_drift(reference, later)
    assert result.outcome is Outcome.FAILED
    assert result.tables[0].rows[0][1] == "numeric"
    same = check_feature_drift(reference, reference.sample(frac=0.5, random_state=1))
    assert same.outcome is Outcome.PASSED, same.summary()


def test_an_id_like_column_is_pooled_and_reports_no_drift(adult_features: Any) -> None:
    train, test = adult_features
    reference = train.assign(request_id=[f"r{i}" for i in range(len(train))])
    current = test.assign(request_id=[f"s{i}" for i in range(len(test))])
    result = check_feature_drift(reference, current, columns=["request_id", "sex"])
    assert result.outcome is Outcome.PASSED, result.summary()
    row = next(r for r in result.tables[0].rows if r[0] == "request_id")
    assert row[9] == "<rare>: 100.0% → 100.0%"


def test_missing_categories_keep_their_own_row_even_when_rare(adult_features: Any) -> None:
    train, test = adult_features
    result = check_feature_drift(train, test, columns=["native-country"])
    row = result.tables[0].rows[0]
    expected_ref = train["native-country"].isna().mean()
    assert row[8].startswith(f"{expected_ref:.1%} → ")


def test_ks_sees_a_shift_that_hides_between_the_reference_atoms() -> None:
    reference = pd.DataFrame({"x": np.full(1000, 3.0)})
    current = pd.DataFrame({"x": np.full(1000, 2.5)})
    result = check_feature_drift(reference, current)
    assert result.measurements["max_ks"] == 1.0
    assert result.outcome is Outcome.FAILED


def test_files_are_read_for_the_compared_columns_only(adult_features: Any, tmp_path: Path) -> None:
    train, test = adult_features
    test.assign(request_json="{...}").to_parquet(tmp_path / "log.parquet")
    test.to_csv(tmp_path / "log.csv", index=False)
    result = check_feature_drift(train, tmp_path / "log.parquet", columns=["age", "sex"])
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["features"] == 2
    missing = check_feature_drift(
        train.assign(extra=1), tmp_path / "log.csv", columns=["age", "extra"]
    )
    assert missing.outcome is Outcome.ERROR
    assert "column 'extra': is not in the current data" in missing.reason


def test_clean_serving_rows_flag_nothing_and_a_planted_shift_is_caught(adult: Any) -> None:
    """120-300 rows of the training population flag no feature over 10 seeds (features
    tested at once, Benjamini-Hochberg); an 8-year age shift at 300 rows is caught."""
    frame = adult.drop(columns=["income"])
    for seed in range(10):
        train = frame.sample(frac=0.7, random_state=seed)
        holdout = frame.drop(train.index)
        size = int(np.random.default_rng(seed).integers(120, 301))
        clean = check_feature_drift(train, holdout.sample(n=size, random_state=seed))
        assert clean.measurements["drifted_features"] == 0, clean.reason
        older = holdout.sample(n=300, random_state=seed).assign(age=lambda f: f["age"] + 8)
        shifted = check_feature_drift(train, older)
        assert shifted.outcome is Outcome.FAILED
        assert "age" in shifted.reason
        assert "q " in shifted.reason


def _wine_codes(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wine's 178 rows split 106 / 36 as the corpus splits them, with the cultivar (0, 1, 2)
    as a numeric code column beside the 13 measurements."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame.rename(columns={"target": "code"})
    frame["code"] = frame["code"].astype("float64")
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return shuffled.iloc[:106].reset_index(drop=True), shuffled.iloc[106:142].reset_index(drop=True)


def test_a_three_valued_column_collapsed_to_one_value_on_36_rows_drifts() -> None:
    """The planted leakage of the corpus: a class code that varies in training and is a
    constant at serving. KS alone cannot see it on 36 rows (its p-value assumes a continuous
    distribution); chi-squared on the values can."""
    reference, current = _wine_codes(0)
    collapsed = current.assign(code=float(reference["code"].mode().iloc[0]))
    result = check_feature_drift(reference, collapsed)
    assert result.outcome is Outcome.FAILED, result.summary()
    assert result.reason.startswith("1 of 14 features drift: code (")
    row = next(r for r in result.tables[0].rows if r[0] == "code")
    columns = result.tables[0].columns
    ks_p, chi2_p = row[columns.index("KS p")], row[columns.index("chi² p")]
    assert isinstance(ks_p, float)
    assert isinstance(chi2_p, float)
    assert ks_p > 0.01 / 14  # KS alone: not significant here
    assert chi2_p < 1e-8
    assert "sd 0.7" in str(row[columns.index("largest change")])


def test_an_unchanged_discrete_column_raises_no_more_alarms_than_the_false_discovery_rate() -> None:
    """200 splits of wine (106 reference rows, 36 current) where nothing changed: the code
    column's chi-squared test and the measurements' KS tests flag at most what fdr=0.01 allows
    (binomial 99.9% bound on 200 draws: 6)."""
    flagged = 0
    for seed in range(200):
        reference, current = _wine_codes(seed)
        flagged += check_feature_drift(reference, current).outcome is Outcome.FAILED
    assert flagged <= 6


def test_a_small_continuous_reference_is_not_taken_for_a_discrete_one() -> None:
    """On 106 rows every measurement is an edge of the quantile grid; a column is discrete
    only when a few repeated values hold nearly all of it, so the measurements (rounded, with
    dozens of values) keep KS alone and the code column gets chi-squared."""
    reference, current = _wine_codes(1)
    result = check_feature_drift(reference, current)
    columns = result.tables[0].columns
    chi2 = {row[0]: row[columns.index("chi² p")] for row in result.tables[0].rows}
    assert chi2["code"] is not None
    assert [name for name, p in chi2.items() if p is not None] == ["code"]


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    shares=st.lists(st.integers(20, 60), min_size=2, max_size=4),
    reference_rows=st.integers(100, 300),
    current_rows=st.integers(36, 100),
    seed=st.integers(0, 2**16),
)
def test_a_code_column_is_unchanged_when_copied_and_drifts_when_it_collapses_to_its_mode(
    shares: list[int], reference_rows: int, current_rows: int, seed: int
) -> None:
    """Any code with 2-4 values, none rarer than a sixth of the most common: the same counts
    on both sides never drift (chi-squared p 1); the code held at its mode on 36-100 serving
    rows always does."""
    rng = np.random.default_rng(seed)
    p = np.array(shares, dtype=float) / sum(shares)
    codes = rng.choice(len(p), size=reference_rows, p=p).astype("float64")
    reference = pd.DataFrame({"code": codes})
    same = check_feature_drift(reference, reference.copy())
    assert same.outcome is Outcome.PASSED, same.summary()
    chi2 = same.tables[0].rows[0][same.tables[0].columns.index("chi² p")]
    assert chi2 is None or chi2 == pytest.approx(1.0)
    mode = float(reference["code"].mode().iloc[0])
    collapsed = check_feature_drift(reference, pd.DataFrame({"code": np.full(current_rows, mode)}))
    assert collapsed.outcome is Outcome.FAILED, collapsed.summary()
