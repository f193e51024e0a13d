"""``bytes_read`` (docs/bigdata.md): the compressed size of the Parquet column chunks a check's
queries read, from the files' footers, times the queries. The same Parquet folder gives the
same figure however it is handed over (a path scanned by DuckDB, a ``file://`` URI or a
LazyFrame scanned by Polars, a Dask or a Spark DataFrame read from it); data an engine holds
in memory, or files elsewhere, give None and say why."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("narwhals")
pytest.importorskip("duckdb")
pytest.importorskip("polars")

from mltestscore.checks.drift import check_feature_drift
from mltestscore.checks.result import CheckResult
from mltestscore.checks.staleness import check_data_freshness
from tests.bigdata.test_lazy_sources import _hive_folder

if TYPE_CHECKING:
    import pandas as pd

NOW = datetime.fromisoformat("2024-09-01T00:00:00+00:00")
FEATURES = ["age", "workclass", "hours-per-week"]


@pytest.fixture(scope="module")
def folders(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The two halves as hive-partitioned Parquet folders (several files per partition)."""
    root = tmp_path_factory.mktemp("bytes")
    (root / "ref").mkdir()
    (root / "cur").mkdir()
    return Path(_hive_folder(halves[0], root / "ref")), Path(_hive_folder(halves[1], root / "cur"))


def _chunk_bytes(folder: Path, columns: list[str]) -> int:
    """The compressed size of the columns' chunks in every file of the folder, by pyarrow."""
    import pyarrow.parquet as pq

    total = 0
    for path in folder.rglob("*.parquet"):
        meta = pq.ParquetFile(path).metadata
        for group in range(meta.num_row_groups):
            row_group = meta.row_group(group)
            for i in range(row_group.num_columns):
                chunk = row_group.column(i)
                if chunk.path_in_schema in columns:
                    total += chunk.total_compressed_size
    return total


def _freshness(data: Any) -> CheckResult:
    return check_data_freshness(data, "event_time", now=NOW, max_age_days=2)


def _drift(reference: Any, current: Any) -> CheckResult:
    return check_feature_drift(reference, current, columns=FEATURES, ks_grid=20)


def test_freshness_on_a_folder_reads_a_whole_number_of_passes_over_the_time_column(
    folders: tuple[Path, Path],
) -> None:
    result = _freshness(str(folders[1]))
    per_pass = _chunk_bytes(folders[1], ["event_time"])
    read = result.measurements["bytes_read"]
    assert isinstance(read, int)
    assert per_pass > 0
    assert read > 0
    assert read % per_pass == 0
    assert "bytes_read_note" not in result.measurements


def test_drift_on_folders_counts_the_bytes_of_both_sides(folders: tuple[Path, Path]) -> None:
    result = _drift(str(folders[0]), str(folders[1]))
    read = result.measurements["bytes_read"]
    assert isinstance(read, int)
    assert read >= _chunk_bytes(folders[0], FEATURES) + _chunk_bytes(folders[1], FEATURES)


def _polars_scan(folder: Path) -> Any:
    import polars as pl

    return pl.scan_parquet(str(folder) + "/", hive_partitioning=True)


def _dask_read(folder: Path) -> Any:
    pytest.importorskip("dask.dataframe")
    import dask.dataframe as dd

    return dd.read_parquet(str(folder))


@pytest.mark.parametrize(
    "handed",
    [
        pytest.param(lambda folder: folder.as_uri() + "/", id="file-uri"),
        pytest.param(_polars_scan, id="polars-lazyframe"),
        pytest.param(_dask_read, id="dask-read-parquet"),
    ],
)
def test_the_same_folder_reads_the_same_bytes_however_it_is_handed_over(
    handed: Any, folders: tuple[Path, Path]
) -> None:
    expected = _freshness(str(folders[1]))
    actual = _freshness(handed(folders[1]))
    assert actual.outcome == expected.outcome
    assert actual.measurements["bytes_read"] == expected.measurements["bytes_read"]
    drift = _drift(handed(folders[0]), handed(folders[1]))
    assert (
        drift.measurements["bytes_read"]
        == _drift(str(folders[0]), str(folders[1])).measurements["bytes_read"]
    )


def test_spark_reading_the_folder_reads_the_same_bytes(
    spark: Any, folders: tuple[Path, Path]
) -> None:
    expected = _freshness(str(folders[1]))
    actual = _freshness(spark.read.parquet(str(folders[1])))
    assert actual.measurements["engine"] == "spark"
    assert actual.measurements["bytes_read"] == expected.measurements["bytes_read"]
    in_memory = _freshness(spark.createDataFrame(spark.read.parquet(str(folders[1])).toPandas()))
    assert in_memory.measurements["bytes_read"] is None
    assert "in the engine's memory" in str(in_memory.measurements["bytes_read_note"])


def test_data_an_engine_holds_in_memory_has_no_bytes_read_and_says_why(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    import duckdb
    import polars as pl

    for data in (pl.from_pandas(halves[1]).lazy(), pl.from_pandas(halves[1])):
        result = _freshness(data)
        assert result.measurements["bytes_read"] is None
        assert "in the engine's memory" in str(result.measurements["bytes_read_note"])
    relation = _freshness(duckdb.from_df(halves[1]))
    assert relation.measurements["bytes_read"] is None
    assert "does not say which files" in str(relation.measurements["bytes_read_note"])


def test_drift_against_a_pandas_side_says_which_side_has_no_bytes_read(
    halves: tuple[pd.DataFrame, pd.DataFrame], folders: tuple[Path, Path]
) -> None:
    result = _drift(halves[0], str(folders[1]))
    assert result.measurements["bytes_read"] is None
    assert str(result.measurements["bytes_read_note"]).startswith("reference: ")


def test_a_polars_frame_in_memory_is_never_serialised_to_look_for_its_files(
    halves: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON form of a plan holds the data of a frame in memory: its files are looked
    for in the plan's text first, which says the frame holds data."""
    import polars as pl

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the plan was serialised")

    monkeypatch.setattr(pl.LazyFrame, "serialize", refuse)
    result = _freshness(pl.from_pandas(halves[1]).lazy())
    assert result.outcome == "failed"
    assert result.measurements["bytes_read"] is None
    assert "in the engine's memory" in str(result.measurements["bytes_read_note"])


def test_a_polars_scan_of_csv_has_no_bytes_read_and_says_it_is_not_parquet(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    import polars as pl

    from mltestscore.checks.privacy import check_pii

    halves[1][FEATURES].to_csv(tmp_path / "serving.csv", index=False)
    result = check_pii(pl.scan_csv(tmp_path / "serving.csv"))
    assert result.outcome == "passed", result.reason
    assert result.measurements["bytes_read"] is None
    assert "not only scan Parquet" in str(result.measurements["bytes_read_note"])
