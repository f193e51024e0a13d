"""The data checks on a Dask DataFrame (through narwhals): the same verdicts and figures as
pandas on the Adult sample (tests/bigdata/parity.py), the rows sampled by Dask with the
seeded hash every engine uses, and a suite whose ``module:callable`` returns a Dask
DataFrame gives the model checks that sample. Dask's local threaded scheduler runs them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("narwhals")
pytest.importorskip("dask.dataframe")

from mltestscore.checks.drift import check_feature_drift
from mltestscore.checks.privacy import check_pii
from mltestscore.checks.schema import check_schema, infer_schema
from mltestscore.checks.staleness import check_data_freshness
from tests.bigdata.parity import assert_engine_sample, assert_same_result
from tests.bigdata.test_lazy_schema import assert_same_suite, defective

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

FEATURES = ["age", "workclass", "education-num", "occupation", "hours-per-week", "capital-gain"]
# A coarser KS grid than the default 100 on both sides, as in the Spark tests: the parity
# holds for any grid, and Dask builds a task graph per aggregate expression (seconds at 100).
GRID = {"ks_grid": 20}


def _dask(frame: pd.DataFrame, partitions: int = 2) -> Any:
    import dask.dataframe as dd

    return dd.from_pandas(frame, npartitions=partitions)


@pytest.mark.parametrize("planted", [False, True], ids=["clean", "drifted"])
def test_drift_on_dask_gives_the_pandas_verdict_and_figures(
    planted: bool, halves: tuple[pd.DataFrame, pd.DataFrame], drifted: pd.DataFrame
) -> None:
    reference, current = halves[0], (drifted if planted else halves[1])
    expected = check_feature_drift(reference, current, columns=FEATURES, **GRID)
    actual = check_feature_drift(_dask(reference), _dask(current), columns=FEATURES, **GRID)
    assert expected.outcome == ("failed" if planted else "passed"), expected.reason
    assert_same_result(expected, actual)
    assert actual.measurements["engine"] == "dask"
    assert actual.measurements["rows_scanned"] == len(reference) + len(current)


def test_schema_inference_and_validation_on_dask_match_pandas(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """The suite pandas infers (an id-like column's uniqueness included), and the pandas
    verdicts and figures on clean data and on planted defects."""
    reference = halves[0][[*FEATURES, "fnlwgt", "event_time"]]
    expected = infer_schema(reference, id_columns=["fnlwgt"])
    assert_same_suite(expected, infer_schema(_dask(reference), id_columns=["fnlwgt"]))
    current = halves[1][reference.columns]
    for data, outcome in ((current, "passed"), (defective(current), "failed")):
        wanted = check_schema(data, expected)
        actual = check_schema(_dask(data), expected)
        assert wanted.outcome == outcome, wanted.reason
        assert actual.reason == wanted.reason
        assert_same_result(wanted, actual)
        assert actual.measurements["engine"] == "dask"
        assert actual.measurements["rows_sampled"] == 0


def test_freshness_on_dask_is_the_newest_time_of_the_column(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    now = datetime.fromisoformat("2024-09-01T00:00:00+00:00")
    expected = check_data_freshness(halves[1], "event_time", now=now)
    actual = check_data_freshness(_dask(halves[1]), "event_time", now=now)
    assert actual.outcome == expected.outcome == "failed"
    for key in ("latest", "earliest", "age_days", "rows", "future_rows"):
        assert actual.measurements[key] == expected.measurements[key], key
    assert actual.measurements["engine"] == "dask"


def test_pii_on_dask_scans_a_seeded_sample_that_ignores_partitioning(
    adult: pd.DataFrame,
) -> None:
    """The sample is the same rows however the frame is ordered and partitioned (the hash
    is of each row's values), another seed draws other rows, and PII is found in it."""
    from mltestscore.checks._frames import open_scan

    def rows(frame: pd.DataFrame) -> list[str]:
        return sorted(frame.to_csv(index=False).splitlines()[1:])

    shuffled = adult.sample(frac=1.0, random_state=3)
    one = open_scan(_dask(adult, 1), "data").sample(300, 0)
    three = open_scan(_dask(shuffled, 3), "data").sample(300, 0)
    assert len(one) == len(three) == 300
    assert rows(one) == rows(three)
    assert rows(open_scan(_dask(adult, 1), "data").sample(300, 1)) != rows(one)
    frame = adult[FEATURES].copy()
    frame["contact"] = [f"user{i}@example.org" if i % 4 == 0 else "-" for i in range(len(frame))]
    result = check_pii(_dask(frame), sample_size=500, seed=1)
    assert result.outcome == "failed"
    assert result.measurements["engine"] == "dask"
    assert result.measurements["rows_sampled"] == 500
    assert check_pii(_dask(adult[FEATURES]), sample_size=500).outcome == "passed"


def test_a_suite_reading_dask_gives_the_model_checks_a_seeded_engine_sample(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    assert_engine_sample(_dask(halves[0]), len(halves[0]), "dask", tmp_path)
