"""Schema inference and validation (data-1, monitor-2) computed in the engine: on Polars,
DuckDB, pyarrow and Parquet files the Adult sample gives the suite pandas infers and the
pandas path's verdicts and figures (tests/bigdata/parity.py), with only aggregates and
bounded groups brought back."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("narwhals")
pytest.importorskip("duckdb")
pytest.importorskip("polars")

from mltestscore.checks.schema import check_schema, infer_schema, schema_to_dict
from tests.bigdata.parity import RELATIVE_TOLERANCE, assert_same_result
from tests.bigdata.test_lazy_sources import _source

if TYPE_CHECKING:
    import pandas as pd

# Polars, and DuckDB on Parquet files (the pyarrow and DuckDB-relation inputs are the same
# DuckDB code, covered by the drift tests)
KINDS = ["polars", "parquet-glob"]


def assert_same_suite(expected: Any, actual: Any) -> None:
    """The same expectations in the same order, numbers within the parity tolerance."""
    mine = schema_to_dict(expected)["expectations"]
    theirs = schema_to_dict(actual)["expectations"]
    assert [(e["type"], e["kwargs"].get("column")) for e in mine] == [
        (e["type"], e["kwargs"].get("column")) for e in theirs
    ]
    for a, b in zip(mine, theirs, strict=True):
        assert a["meta"] == b["meta"], (a, b)
        assert a["kwargs"].keys() == b["kwargs"].keys(), (a, b)
        for key, value in a["kwargs"].items():
            other = b["kwargs"][key]
            if isinstance(value, float):
                assert math.isclose(value, other, rel_tol=RELATIVE_TOLERANCE), (a, b)
            else:
                assert value == other, (key, a, b)


def defective(frame: pd.DataFrame) -> pd.DataFrame:
    """Planted defects: impossible ages, an unseen workclass, a column with many nulls."""
    import numpy as np

    broken = frame.copy()
    broken.loc[broken.index % 50 == 0, "age"] = 999
    broken.loc[broken.index % 40 == 0, "workclass"] = "Space-agency"
    broken.loc[broken.index % 3 == 0, "education-num"] = np.nan
    return broken


@pytest.mark.parametrize("kind", KINDS)
def test_inference_in_the_engine_writes_the_suite_pandas_infers(
    kind: str, halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """Two id-like columns, one unique (a row number) and one not (fnlwgt): their
    distinct counts are a query of their own on Polars, in the profile pass on DuckDB."""
    reference = halves[0].assign(row_id=range(len(halves[0])))
    ids = ["fnlwgt", "row_id"]
    expected = infer_schema(reference, id_columns=ids)
    actual = infer_schema(_source(kind, reference, tmp_path), id_columns=ids)
    assert_same_suite(expected, actual)
    unique = [e for e in schema_to_dict(actual)["expectations"] if e["type"].endswith("unique")]
    assert [e["kwargs"]["column"] for e in unique] == ["row_id"]
    where = actual.meta["mltestscore"]["computed_in"]
    assert where["engine"] == ("polars" if kind == "polars" else "duckdb")
    assert where["rows_scanned"] == len(halves[0])
    assert where["rows_sampled"] == 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("planted", [False, True], ids=["clean", "defective"])
def test_validation_in_the_engine_gives_the_pandas_verdict_and_figures(
    kind: str, planted: bool, halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    schema = infer_schema(halves[0])
    current = defective(halves[1]) if planted else halves[1]
    expected = check_schema(current, schema)
    actual = check_schema(_source(kind, current, tmp_path), schema)
    assert expected.outcome == ("failed" if planted else "passed"), expected.reason
    assert actual.reason == expected.reason
    assert_same_result(expected, actual)
    assert actual.measurements["engine"] == ("polars" if kind == "polars" else "duckdb")
    assert actual.measurements["rows_scanned"] == len(current)
    assert actual.measurements["rows_sampled"] == 0  # aggregates only
    assert actual.measurements["great_expectations_sample_rows"] == 0


def test_a_suite_written_by_hand_is_judged_alike_in_the_engine(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """Strict bounds, a uniqueness contract, a wrong type, a missing column and a type the
    engine does not compute (judged by Great Expectations on a bounded engine sample)."""
    frame = halves[1]
    suite = {
        "name": "hand-written",
        "expectations": [
            {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["age"]}},
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "age", "min_value": 20, "max_value": 70, "strict_max": True},
            },
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "fnlwgt"}},
            {
                "type": "expect_column_values_to_be_of_type",
                "kwargs": {"column": "sex", "type_": "int"},
            },
            {
                "type": "expect_column_values_to_be_in_type_list",
                "kwargs": {"column": "age", "type_list": ["float64"]},
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nowhere"}},
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "education-num", "value_set": [9, 10, 13.0], "mostly": 0.5},
            },
            {
                "type": "expect_column_max_to_be_between",
                "kwargs": {"column": "age", "max_value": 200},
            },
        ],
    }
    expected = check_schema(frame, suite)
    actual = check_schema(_source("duckdb", frame, tmp_path), suite)
    assert expected.outcome == "failed"
    assert_same_result(expected, actual)
    assert actual.measurements["great_expectations_sample_rows"] == len(frame)


def test_a_large_source_with_a_sample_size_is_validated_on_an_engine_sample(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    schema = infer_schema(halves[0])
    result = check_schema(_source("polars", halves[1], tmp_path), schema, sample_size=900)
    assert result.outcome == "passed", result.reason
    assert result.measurements["rows_validated"] == 900
    assert result.measurements["rows_sampled"] == 900


def test_a_suite_on_a_parquet_folder_infers_and_validates_its_schema_in_the_engine(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """data-1 and monitor-2 in the zero-config suite: the schema is inferred from the whole
    training folder and serving is validated in the engine, the target left out of both."""
    from mltestscore.suite.config import Source, SuiteConfig
    from mltestscore.suite.context import SuiteContext
    from mltestscore.suite.runners import run_schema

    train = _source("parquet-glob", halves[0], tmp_path / "train")
    serving = _source("parquet-glob", defective(halves[1]), tmp_path / "serving")
    config = SuiteConfig(
        source="pyproject.toml",
        root=tmp_path,
        data={
            "train": Source("train", train, path=Path(train)),
            "serving": Source("serving", serving, path=Path(serving)),
        },
        target="income",
        schema=tmp_path / "schema.json",
    )
    context = SuiteContext(config)
    expected = infer_schema(halves[0], ignore_columns=["income"])
    assert_same_suite(expected, context.schema)
    clean = run_schema(context, "train", {})
    broken = run_schema(context, "serving", {})
    assert clean.outcome == "passed", clean.reason
    assert broken.outcome == "failed"
    assert "age" in broken.reason
    assert broken.measurements["engine"] == "duckdb"
    assert broken.measurements["rows_scanned"] == len(halves[1])
    assert broken.measurements["bytes_read"] > 0


def test_a_check_without_an_engine_path_reads_a_large_source_within_the_memory_budget(
    halves: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    import polars as pl

    from mltestscore.checks._inputs import read_frame
    from mltestscore.checks.registry import CheckInputError

    source = pl.from_pandas(halves[0]).lazy()
    assert len(read_frame(source, "data")) == len(halves[0])
    monkeypatch.setenv("MLTESTSCORE_PANDAS_MEMORY_LIMIT", str(100_000))
    with pytest.raises(CheckInputError, match="budget 0 MiB, MLTESTSCORE_PANDAS_MEMORY_LIMIT"):
        read_frame(source, "data")


def test_feature_code_takes_its_inputs_from_a_schema_inferred_in_the_engine(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """check_feature_code (data-4) with a large training source: the same schema-driven
    inputs as from the pandas frame, found by the same property test."""
    import polars as pl

    from mltestscore.checks.feature_code import check_feature_code
    from tests.checks_data.test_feature_code import FAST, net_capital_log

    frame = halves[0].drop(columns=["event_time"])
    fast = {**FAST, "max_examples": 10}
    expected = check_feature_code(net_capital_log, training_data=frame, **fast)
    actual = check_feature_code(net_capital_log, training_data=pl.from_pandas(frame), **fast)
    assert expected.outcome == actual.outcome == "failed"
    assert actual.reason == expected.reason


def typed_table(rows: int = 600, *, planted: bool = False) -> Any:
    """A Parquet-like table with a decimal(10, 2) price, a list of tags, a struct point,
    unique bytes under an id-like name, a text and a date (three days) column; ``planted`` puts a price of 1,000,000.00 in every 25th row and
    leaves twice as many tag lists missing."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(7)
    prices: list[Decimal | None] = [
        Decimal(int(cents)).scaleb(-2) for cents in rng.integers(100, 99_999, rows)
    ]
    prices[5] = None
    if planted:
        prices[::25] = [Decimal("1000000.00")] * len(prices[::25])
    missing_tags = 4 if planted else 7
    return pa.table(
        {
            "price": pa.array(prices, pa.decimal128(10, 2)),
            "tags": pa.array(
                [["a", "b"][: i % 3] if i % missing_tags else None for i in range(rows)],
                pa.list_(pa.string()),
            ),
            "point": pa.array(
                [{"x": i, "y": i / 3} for i in range(rows)],
                pa.struct([("x", pa.int64()), ("y", pa.float64())]),
            ),
            "blob_id": pa.array([i.to_bytes(2, "big") for i in range(rows)], pa.binary()),
            "kind": pa.array(["u", "v", "w"] * (rows // 3)),
            "day": pa.array([dt.date(2024, 1, 1 + i % 3) for i in range(rows)], pa.date32()),
        }
    )


def typed_source(kind: str, table: Any, folder: Path) -> Any:
    """The table as one Parquet file read by pandas, Polars or DuckDB (a glob)."""
    import pandas as pd
    import polars as pl
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-0.parquet")
    if kind == "pandas":
        return pd.read_parquet(folder / "part-0.parquet")
    if kind == "polars":
        return pl.scan_parquet(folder / "part-0.parquet")
    return str(folder / "part-*.parquet")


@pytest.mark.parametrize("kind", KINDS)
def test_decimals_get_the_numeric_expectations_and_nested_columns_the_missing_share_alike(
    kind: str, tmp_path: Path
) -> None:
    """A decimal column is profiled as a number (ranges, no value set); lists, structs and
    bytes get only their missing-value expectation; pandas and the engine write the same
    suite and give the same verdicts and figures on clean and planted data."""
    expected = infer_schema(typed_source("pandas", typed_table(), tmp_path / "pandas"))
    actual = infer_schema(typed_source(kind, typed_table(), tmp_path / kind))
    assert_same_suite(expected, actual)
    kinds = [
        (e["type"], e["kwargs"].get("column")) for e in schema_to_dict(expected)["expectations"]
    ]
    assert [t for t, c in kinds if c == "price"] == [
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between",  # observed range
        "expect_column_values_to_be_between",  # plausible range
    ]
    # bytes: no uniqueness contract either; dates: no domain (tomorrow is not a new category)
    for column in ("tags", "point", "blob_id", "day"):
        assert [t for t, c in kinds if c == column] == ["expect_column_values_to_not_be_null"]
    for planted, outcome in ((False, "passed"), (True, "failed")):
        table = typed_table(planted=planted)
        folder = tmp_path / f"{kind}-{planted}"
        wanted = check_schema(typed_source("pandas", table, folder / "pandas"), expected)
        found = check_schema(typed_source(kind, table, folder / kind), expected)
        assert wanted.outcome == outcome, wanted.reason
        assert found.reason == wanted.reason
        assert_same_result(wanted, found)
        assert found.measurements["great_expectations_sample_rows"] == 0
    assert "price" in wanted.reason
    assert "tags" in wanted.reason


def test_a_decimal_range_keeps_its_own_values_where_comparisons_are_exact() -> None:
    """Inferred bounds are the decimals' extremes rounded outward to floats: Great
    Expectations compares a Decimal with a float bound exactly, and a constant 0.10 (whose
    nearest float is above it) would fall below a bound of float(0.10)."""
    import pandas as pd

    from mltestscore.checks._expectations import evaluate

    frame = pd.DataFrame({"rate": [Decimal("0.10")] * 50})
    expectations = schema_to_dict(infer_schema(frame))["expectations"]
    ranges = [e for e in expectations if e["type"] == "expect_column_values_to_be_between"]
    assert ranges
    assert all(e["kwargs"]["min_value"] < 0.1 for e in ranges)
    for outcome in evaluate(frame, expectations, engine="great_expectations"):
        assert outcome.success, outcome
    unrounded = {**ranges[0], "kwargs": {**ranges[0]["kwargs"], "min_value": 0.1}}
    assert not evaluate(frame, [unrounded], engine="great_expectations")[0].success
