"""Fixtures for the large-data paths (docs/bigdata.md): the Adult sample split in two, with
and without planted drift, and one local Spark session for the whole test session.

The optional engines (narwhals, Polars, DuckDB, pyspark) are not dependencies: each test
module skips when its engine is missing, and the Spark tests also when no Java runtime is.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import pandas as pd


@pytest.fixture(scope="session")
def halves(adult: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current: the two halves of the Adult sample (no drift between them),
    with a timestamp column one hour apart per row, and missing values in two columns."""
    import numpy as np
    import pandas as pd

    frame = adult.copy()
    frame["event_time"] = pd.Timestamp("2024-03-01") + pd.to_timedelta(
        np.arange(len(frame)), unit="h"
    )
    frame["hours-per-week"] = frame["hours-per-week"].astype("float64")
    frame.loc[frame.index % 37 == 0, "hours-per-week"] = np.nan
    frame.loc[frame.index % 41 == 0, "occupation"] = None
    half = len(frame) // 2
    return frame.iloc[:half].reset_index(drop=True), frame.iloc[half:].reset_index(drop=True)


@pytest.fixture(scope="session")
def drifted(halves: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """The current half with two planted shifts: everyone 8 years older, and a third of
    the rows moved to one workclass."""
    current = halves[1].copy()
    current["age"] = current["age"] + 8
    current.loc[current.index % 3 == 0, "workclass"] = "Self-emp-inc"
    return current


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session (one core, no UI, UTC) for every Spark test."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime (java is not on PATH)")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("mltestscore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield session
    session.stop()
