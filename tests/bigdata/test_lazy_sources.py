"""The data checks on data that is not a pandas frame: Parquet folders (hive partitions), globs,
pyarrow Tables and Datasets, Polars and DuckDB frames give the pandas path's verdicts and
figures (tests/bigdata/parity.py says within what), computed in the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("narwhals")
pytest.importorskip("duckdb")
pytest.importorskip("polars")

from mltestscore.checks.drift import check_feature_drift
from mltestscore.checks.privacy import check_pii
from mltestscore.checks.staleness import check_data_freshness
from tests.bigdata.parity import assert_same_result

if TYPE_CHECKING:
    import pandas as pd

NOW = datetime.fromisoformat("2024-09-01T00:00:00+00:00")


def _polars(frame: pd.DataFrame, _: Path) -> Any:
    import polars as pl

    return pl.from_pandas(frame).lazy()


def _duckdb(frame: pd.DataFrame, _: Path) -> Any:
    import duckdb

    return duckdb.from_df(frame)


def _arrow_table(frame: pd.DataFrame, _: Path) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _arrow_dataset(frame: pd.DataFrame, folder: Path) -> Any:
    import pyarrow.dataset as ds

    return ds.dataset(_hive_folder(frame, folder), format="parquet", partitioning="hive")


def _hive_folder(frame: pd.DataFrame, folder: Path) -> str:
    """The frame as Parquet files partitioned by ``sex`` (sex=Male/, sex=Female/), several
    files per partition."""
    target = folder / "hive"
    for value, part in frame.groupby("sex"):
        partition = target / f"sex={value}"
        partition.mkdir(parents=True)
        rows = part.drop(columns=["sex"])
        for i, start in enumerate(range(0, len(rows), 700)):
            rows.iloc[start : start + 700].to_parquet(partition / f"{i}.parquet", index=False)
    return str(target)


def _glob(frame: pd.DataFrame, folder: Path) -> str:
    target = folder / "parts"
    target.mkdir()
    for i, start in enumerate(range(0, len(frame), 500)):
        frame.iloc[start : start + 500].to_parquet(target / f"part-{i}.parquet", index=False)
    return str(target / "part-*.parquet")


SOURCES: dict[str, Callable[[pd.DataFrame, Path], Any]] = {
    "polars": _polars,
    "duckdb": _duckdb,
    "pyarrow-table": _arrow_table,
    "pyarrow-dataset": _arrow_dataset,
    "parquet-hive-folder": _hive_folder,
    "parquet-glob": _glob,
}


def _source(kind: str, frame: pd.DataFrame, folder: Path) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    return SOURCES[kind](frame, folder)


@pytest.mark.parametrize("kind", list(SOURCES))
@pytest.mark.parametrize("planted", [False, True], ids=["clean", "drifted"])
def test_drift_gives_the_pandas_verdict_and_figures_on_every_source(
    kind: str,
    planted: bool,
    halves: tuple[pd.DataFrame, pd.DataFrame],
    drifted: pd.DataFrame,
    tmp_path: Path,
) -> None:
    reference, current = halves[0], (drifted if planted else halves[1])
    features = [c for c in reference.columns if c != "event_time"]
    expected = check_feature_drift(reference, current, columns=features)
    actual = check_feature_drift(
        _source(kind, reference, tmp_path / "ref"),
        _source(kind, current, tmp_path / "cur"),
        columns=features,
    )
    assert expected.outcome == ("failed" if planted else "passed"), expected.reason
    assert_same_result(expected, actual)
    assert actual.measurements["engine"] == ("polars" if kind == "polars" else "duckdb")
    assert actual.measurements["rows_scanned"] == len(reference) + len(current)
    # the bins come from the reference (all of it: fewer rows than edge_sample_size)
    assert actual.measurements["rows_sampled"] == len(reference)


@pytest.mark.parametrize("kind", ["polars", "duckdb"])
def test_drift_of_a_time_column_is_measured_in_seconds_in_every_engine(
    kind: str, halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    expected = check_feature_drift(halves[0], halves[1], columns=["event_time", "age"])
    actual = check_feature_drift(
        _source(kind, halves[0], tmp_path / "ref"),
        _source(kind, halves[1], tmp_path / "cur"),
        columns=["event_time", "age"],
    )
    assert expected.outcome == "failed"  # the second half is later: as far apart as can be
    assert_same_result(expected, actual)


def test_drift_compares_a_pandas_reference_with_a_large_current_side(
    halves: tuple[pd.DataFrame, pd.DataFrame], drifted: pd.DataFrame, tmp_path: Path
) -> None:
    features = ["age", "workclass", "hours-per-week", "occupation"]
    expected = check_feature_drift(halves[0], drifted, columns=features)
    actual = check_feature_drift(
        halves[0], _source("parquet-glob", drifted, tmp_path), columns=features
    )
    assert_same_result(expected, actual)


def test_drift_bins_a_large_reference_from_a_bounded_engine_sample(
    halves: tuple[pd.DataFrame, pd.DataFrame], drifted: pd.DataFrame
) -> None:
    """With fewer sampled rows than the reference has, the bins differ a little from the
    pandas path's, the counts in them are still exact: the verdicts stay the same."""
    for current, outcome in ((halves[1], "passed"), (drifted, "failed")):
        result = check_feature_drift(
            _polars(halves[0], Path()),
            _polars(current, Path()),
            columns=["age", "workclass", "hours-per-week", "fnlwgt"],
            edge_sample_size=500,
        )
        assert result.outcome == outcome, result.reason
        assert result.measurements["rows_sampled"] == 500


def test_drift_with_a_sample_size_draws_it_in_the_engine(
    halves: tuple[pd.DataFrame, pd.DataFrame], drifted: pd.DataFrame
) -> None:
    features = ["age", "workclass", "hours-per-week"]
    result = check_feature_drift(
        _duckdb(halves[0], Path()),
        _duckdb(drifted, Path()),
        columns=features,
        sample_size=800,
        seed=3,
    )
    assert result.outcome == "failed"
    assert result.measurements["reference_rows"] == 800
    assert result.parameters["sampled"] is True
    again = check_feature_drift(
        _duckdb(halves[0], Path()),
        _duckdb(drifted, Path()),
        columns=features,
        sample_size=800,
        seed=3,
    )
    assert again.measurements == result.measurements


@pytest.mark.parametrize("kind", ["polars", "duckdb", "parquet-hive-folder"])
def test_freshness_reads_the_newest_time_in_the_engine(
    kind: str, halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    frame = halves[1]
    for now, outcome in ((NOW, "failed"), (datetime.fromisoformat("2024-08-15T12:00Z"), "passed")):
        expected = check_data_freshness(frame, "event_time", now=now, max_age_days=2)
        actual = check_data_freshness(
            _source(kind, frame, tmp_path / str(now.day)), "event_time", now=now, max_age_days=2
        )
        assert expected.outcome == actual.outcome == outcome, actual.reason
        for key in ("latest", "earliest", "age_days", "rows", "future_rows"):
            assert actual.measurements[key] == expected.measurements[key], key


def test_freshness_counts_future_rows_in_the_engine(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    early = datetime.fromisoformat("2024-05-01T00:00:00+00:00")
    expected = check_data_freshness(halves[1], "event_time", now=early)
    actual = check_data_freshness(_polars(halves[1], Path()), "event_time", now=early)
    assert actual.outcome == expected.outcome == "failed"
    assert actual.measurements["future_rows"] == expected.measurements["future_rows"] > 0


def test_freshness_refuses_text_times_in_a_large_source(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame = halves[1].assign(event_time=halves[1]["event_time"].astype(str))
    result = check_data_freshness(_polars(frame, Path()), "event_time", now=NOW)
    assert result.outcome == "error"
    assert "not a datetime column" in result.reason


def test_pii_is_found_in_a_bounded_engine_sample(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    frame = halves[0].copy()
    frame["contact"] = [f"user{i}@example.org" if i % 4 == 0 else "n/a" for i in range(len(frame))]
    clean = check_pii(_source("parquet-hive-folder", halves[0], tmp_path / "clean"))
    leaky = check_pii(_source("parquet-glob", frame, tmp_path / "leaky"), sample_size=600)
    assert clean.outcome == "passed", clean.reason
    assert leaky.outcome == "failed"
    assert "contact" in leaky.reason
    assert leaky.measurements["rows_scanned"] == len(frame)
    assert leaky.measurements["rows_sampled"] == 600
    share = {row[0]: row[4] for row in leaky.tables[0].rows}["contact"]
    assert share == pytest.approx(0.25, abs=0.06)  # 600 draws: 3.5 standard errors


def test_an_empty_glob_or_a_folder_without_parquet_is_an_error_naming_the_argument(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = check_feature_drift(halves[0], str(tmp_path / "nothing-*.parquet"))
    assert result.outcome == "error"
    assert "current: no file matches" in result.reason
    result = check_pii(empty)
    assert result.outcome == "error"
    assert "holds no .parquet file" in result.reason


def test_a_column_missing_from_a_large_source_is_an_error_naming_it(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    current = _polars(halves[1].drop(columns=["age"]), Path())
    result = check_feature_drift(_polars(halves[0], Path()), current)
    assert result.outcome == "error"
    assert "'age'" in result.reason
    assert "current data" in result.reason
