"""An inferred schema is a contract plus observed tolerances sized by the training sample:
held-out data of the same population passes, planted defects are caught (Adult sample and
scikit-learn's breast cancer, wine and diabetes data, 20 random splits each)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome
from mltestscore.checks.schema import check_schema, infer_schema

SEEDS = range(20)


def _dataset(name: str, adult: pd.DataFrame) -> pd.DataFrame:
    from sklearn import datasets

    if name == "adult":
        return adult.drop(columns=["income"])
    loader = getattr(datasets, f"load_{name}")
    frame: pd.DataFrame = loader(as_frame=True).data
    return frame


def _split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = frame.sample(frac=0.7, random_state=seed)
    return train.reset_index(drop=True), frame.drop(train.index).reset_index(drop=True)


def _small(holdout: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(120, 301))
    rows = rng.choice(len(holdout), size, replace=size > len(holdout))
    return holdout.iloc[rows].reset_index(drop=True)


@pytest.fixture(scope="module", params=["adult", "breast_cancer", "wine", "diabetes"])
def splits(request: Any, adult: pd.DataFrame) -> list[tuple[Any, pd.DataFrame]]:
    """(schema inferred on a random 70%, the other 30%) for 20 seeds."""
    frame = _dataset(request.param, adult)
    found = []
    for seed in SEEDS:
        train, holdout = _split(frame, seed)
        found.append((infer_schema(train), holdout))
    return found


def test_a_held_out_split_and_small_samples_of_it_pass(
    splits: list[tuple[Any, pd.DataFrame]],
) -> None:
    failures = []
    for seed, (schema, holdout) in enumerate(splits):
        for data in (holdout, _small(holdout, seed)):
            result = check_schema(data, schema)
            if result.outcome is not Outcome.PASSED:
                failures.append(result.reason)
    assert failures == []


def test_values_far_out_of_range_in_five_percent_of_rows_are_caught(
    splits: list[tuple[Any, pd.DataFrame]],
) -> None:
    for seed, (schema, holdout) in enumerate(splits):
        column = "age" if "age" in holdout.columns and "workclass" in holdout.columns else None
        column = column or str(holdout.select_dtypes("number").columns[0])
        far = holdout.copy()
        far[column] = far[column].astype(float)
        span = float(far[column].max() - far[column].min())
        value = 999.0 if column == "age" else float(far[column].max()) + 10 * span
        rows = np.random.default_rng(seed).choice(len(far), round(0.05 * len(far)), False)
        far.loc[rows, column] = value
        result = check_schema(far, schema)
        assert result.outcome is Outcome.FAILED, result.reason
        assert f"{column} " in result.reason


def test_a_wrong_type_a_missing_column_and_new_nulls_are_caught(
    splits: list[tuple[Any, pd.DataFrame]],
) -> None:
    for seed, (schema, holdout) in enumerate(splits):
        column = str(holdout.select_dtypes("number").columns[0])
        wrong = holdout.assign(**{column: holdout[column].astype(str)})
        assert check_schema(wrong, schema).outcome is Outcome.FAILED
        missing = holdout.drop(columns=[column])
        assert "missing" in check_schema(missing, schema).reason
        full = [c for c in holdout.columns if holdout[c].notna().all()][-1]
        nulls = holdout.copy()
        rows = np.random.default_rng(seed).choice(len(nulls), round(0.1 * len(nulls)), False)
        nulls[full] = nulls[full].astype(object)
        nulls.loc[rows, full] = None
        result = check_schema(nulls, schema)
        assert result.outcome is Outcome.FAILED
        assert f"{full} not null" in result.reason


def test_a_new_category_in_a_fifth_of_the_rows_is_caught(adult: pd.DataFrame) -> None:
    frame = _dataset("adult", adult)
    for seed in range(5):
        train, holdout = _split(frame, seed)
        rows = np.random.default_rng(seed).choice(len(holdout), round(0.2 * len(holdout)), False)
        holdout.loc[rows, "workclass"] = "a-new-category"
        result = check_schema(holdout, infer_schema(train))
        assert result.outcome is Outcome.FAILED
        assert "workclass in its value set" in result.reason


def test_each_expectation_says_whether_it_is_a_contract_or_observed(
    adult: pd.DataFrame,
) -> None:
    schema = infer_schema(_dataset("adult", adult)).to_json_dict()
    kinds = {
        (e["type"], e["kwargs"].get("column")): e["meta"]["mltestscore"]["kind"]
        for e in schema["expectations"]
        if e["kwargs"].get("min_value") != 0 or e["kwargs"].get("max_value") is not None
    }
    assert kinds[("expect_column_values_to_be_in_type_list", "age")] == "contract"
    assert kinds[("expect_column_values_to_be_of_type", "workclass")] == "contract"
    assert kinds[("expect_column_values_to_be_in_set", "workclass")] == "observed"
    assert kinds[("expect_column_values_to_not_be_null", "workclass")] == "observed"
    counts = [
        e
        for e in schema["expectations"]
        if e["kwargs"].get("column") == "capital-gain"
        and e["type"] == "expect_column_values_to_be_between"
    ]
    # A count that was never negative: a strict non-negativity contract, an observed range
    # with its sample-size prior, and a plausible range.
    assert [e["meta"]["mltestscore"]["kind"] for e in counts] == [
        "contract",
        "observed",
        "plausible",
    ]
    assert counts[1]["meta"]["mltestscore"]["exception_rate_beta"] == [2.0, 3999.0]


def test_a_negative_count_breaks_the_non_negativity_contract(adult: pd.DataFrame) -> None:
    train, holdout = _split(_dataset("adult", adult), 0)
    holdout.loc[0, "capital-loss"] = -1
    result = check_schema(holdout, infer_schema(train))
    assert result.outcome is Outcome.FAILED
    assert "capital-loss in [0" in result.reason


DECIMALS = st.lists(
    st.builds(
        lambda digits, places: Decimal(digits).scaleb(-places),
        st.integers(-(10**15), 10**15),
        st.integers(0, 6),
    ),
    min_size=2,
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(DECIMALS)
def test_a_decimal_column_is_inside_every_range_inferred_from_it(values: list[Decimal]) -> None:
    """Compared exactly (Great Expectations on pandas: a Decimal against a float bound) and
    as nearest floats (mltestscore on every engine), the training decimals are inside the
    observed and the plausible range inferred from them."""
    from mltestscore.checks._expectations import evaluate
    from mltestscore.checks.schema import schema_to_dict

    frame = pd.DataFrame({"amount": values})
    for mostly in (None, 1.0):
        suite = schema_to_dict(infer_schema(frame, value_mostly=mostly))["expectations"]
        ranges = [e for e in suite if e["type"] == "expect_column_values_to_be_between"]
        assert ranges  # a decimal column is a number
        for e in ranges:
            low, high = e["kwargs"]["min_value"], e["kwargs"]["max_value"]
            assert all(low <= v <= high for v in values), (low, high)
            assert all(low <= float(v) <= high for v in values), (low, high)
        judged = evaluate(frame, suite, engine="great_expectations") + evaluate(frame, suite)
        assert all(o.success for o in judged), [o for o in judged if not o.success]
