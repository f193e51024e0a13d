"""The data checks as Spark jobs (local mode): the same verdicts and figures as pandas on the
Adult sample (tests/bigdata/parity.py), only aggregates and bounded samples on the driver, and
a suite whose ``module:callable`` returns a Spark DataFrame gives the model checks an engine
sample. One Spark session serves the whole test session (conftest.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("narwhals")
pytest.importorskip("pyspark")

from mltestscore.checks.drift import check_feature_drift
from mltestscore.checks.privacy import check_pii
from mltestscore.checks.staleness import check_data_freshness
from tests.bigdata.parity import assert_engine_sample, assert_same_result

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

FEATURES = ["age", "workclass", "education-num", "occupation", "hours-per-week", "capital-gain"]
# A coarser KS grid than the default 100 on both sides: the parity holds for any grid, and
# Spark plans one aggregate per edge, which on one shared core costs minutes at 100.
GRID = {"ks_grid": 20}


def _spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """A Spark DataFrame of the frame, in two partitions like a small table on a cluster."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    return spark.createDataFrame(table.to_pandas()).repartition(2)


@pytest.mark.parametrize("planted", [False, True], ids=["clean", "drifted"])
def test_drift_on_spark_gives_the_pandas_verdict_and_figures(
    spark: Any, planted: bool, halves: tuple[pd.DataFrame, pd.DataFrame], drifted: pd.DataFrame
) -> None:
    reference, current = halves[0], (drifted if planted else halves[1])
    expected = check_feature_drift(reference, current, columns=FEATURES, **GRID)
    actual = check_feature_drift(
        _spark_frame(spark, reference), _spark_frame(spark, current), columns=FEATURES, **GRID
    )
    assert expected.outcome == ("failed" if planted else "passed"), expected.reason
    assert_same_result(expected, actual)
    assert actual.measurements["engine"] == "spark"
    assert actual.measurements["rows_scanned"] == len(reference) + len(current)


def test_freshness_on_spark_is_the_newest_time_of_the_column(
    spark: Any, halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    now = datetime.fromisoformat("2024-09-01T00:00:00+00:00")
    expected = check_data_freshness(halves[1], "event_time", now=now)
    actual = check_data_freshness(_spark_frame(spark, halves[1]), "event_time", now=now)
    assert actual.outcome == expected.outcome == "failed"
    for key in ("latest", "earliest", "age_days", "rows", "future_rows"):
        assert actual.measurements[key] == expected.measurements[key], key


def test_schema_inference_and_validation_on_spark_match_pandas(
    spark: Any, halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """The suite pandas infers, and the pandas verdicts and figures on clean data and on
    planted defects (impossible ages, an unseen workclass, many missing values)."""
    from mltestscore.checks.schema import check_schema, infer_schema
    from tests.bigdata.test_lazy_schema import assert_same_suite, defective

    reference = halves[0][[*FEATURES, "fnlwgt", "event_time"]]
    expected = infer_schema(reference, id_columns=["fnlwgt"])
    assert_same_suite(expected, infer_schema(_spark_frame(spark, reference), id_columns=["fnlwgt"]))
    current = halves[1][reference.columns]
    for data, outcome in ((current, "passed"), (defective(current), "failed")):
        wanted = check_schema(data, expected)
        actual = check_schema(_spark_frame(spark, data), expected)
        assert wanted.outcome == outcome, wanted.reason
        assert actual.reason == wanted.reason
        assert_same_result(wanted, actual)
        assert actual.measurements["engine"] == "spark"
        assert actual.measurements["rows_sampled"] == 0


def test_pii_on_spark_scans_an_engine_sample(
    spark: Any, halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    frame = halves[0][FEATURES].copy()
    frame["contact"] = [f"user{i}@example.org" if i % 4 == 0 else "-" for i in range(len(frame))]
    result = check_pii(_spark_frame(spark, frame), sample_size=500, seed=1)
    assert result.outcome == "failed"
    assert result.measurements["engine"] == "spark"
    assert result.measurements["rows_sampled"] == 500
    assert check_pii(_spark_frame(spark, halves[0][FEATURES])).outcome == "passed"


def test_a_suite_reading_spark_gives_the_model_checks_a_seeded_engine_sample(
    spark: Any, halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    assert_engine_sample(_spark_frame(spark, halves[0]), len(halves[0]), "spark", tmp_path)


def test_decimal_list_and_struct_columns_on_spark_are_judged_as_pandas_judges_them(
    spark: Any, tmp_path: Path
) -> None:
    """A decimal(10, 2) column gets the numeric expectations, lists, structs and bytes only
    the missing-value one, with the pandas suite, verdicts and figures (Spark reads the
    Parquet file with its own types: DecimalType, ArrayType, StructType, BinaryType)."""
    from mltestscore.checks.schema import check_schema, infer_schema
    from tests.bigdata.test_lazy_schema import assert_same_suite, typed_source, typed_table

    expected = infer_schema(typed_source("pandas", typed_table(), tmp_path / "pandas"))
    typed_source("parquet-glob", typed_table(), tmp_path / "spark")
    assert_same_suite(expected, infer_schema(spark.read.parquet(str(tmp_path / "spark"))))
    for planted, outcome in ((False, "passed"), (True, "failed")):
        folder = tmp_path / f"current-{planted}"
        table = typed_table(planted=planted)
        wanted = check_schema(typed_source("pandas", table, folder), expected)
        actual = check_schema(spark.read.parquet(str(folder)), expected)
        assert wanted.outcome == outcome, wanted.reason
        assert actual.reason == wanted.reason
        assert_same_result(wanted, actual)
        assert actual.measurements["engine"] == "spark"


def test_inference_on_spark_with_two_id_like_columns_never_expands_the_rows(
    spark: Any, halves: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uniqueness of two id-like columns (a row number, unique; fnlwgt, repeated) as pandas
    infers it, from plans without Spark's ``Expand`` (which copies every row once per exact
    distinct count when an aggregate holds two or more)."""
    from mltestscore.checks import _frames
    from mltestscore.checks.schema import infer_schema, schema_to_dict
    from tests.bigdata.test_lazy_schema import assert_same_suite

    reference = halves[0][["age", "workclass", "fnlwgt"]].copy()
    reference["row_id"] = range(len(reference))
    ids = ["fnlwgt", "row_id"]
    expected = infer_schema(reference, id_columns=ids)
    plans: list[str] = []
    collect = _frames.Scan.collect

    def recording(scan: _frames.Scan, frame: Any) -> Any:
        plans.append(str(frame.to_native()._jdf.queryExecution().optimizedPlan().toString()))
        return collect(scan, frame)

    monkeypatch.setattr(_frames.Scan, "collect", recording)
    actual = infer_schema(_spark_frame(spark, reference), id_columns=ids)
    assert_same_suite(expected, actual)
    written = schema_to_dict(actual)["expectations"]
    unique = [e["kwargs"]["column"] for e in written if e["type"].endswith("to_be_unique")]
    assert unique == ["row_id"]
    assert any("count(distinct" in plan.lower() for plan in plans)
    assert not [plan for plan in plans if "Expand" in plan]
