"""The one loader every data-taking check reads its inputs with: DataFrames pass through,
Parquet and CSV files (a compressed CSV too) are read, anything else is an error naming the
argument."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mltestscore.checks import schema
from mltestscore.checks._inputs import read_frame
from mltestscore.checks.registry import CheckInputError
from mltestscore.checks.result import Outcome

FRAME = pd.DataFrame({"age": [25, 40, 61], "city": ["Oslo", "Lima", "Pune"]})


@pytest.mark.parametrize("name", ["rows.parquet", "rows.pq", "rows.csv", "rows.csv.gz", "rows.gz"])
def test_a_file_is_read_whatever_its_parquet_or_csv_suffix(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    if ".parquet" in name or name.endswith(".pq"):
        FRAME.to_parquet(path)
    else:
        FRAME.to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_frame(path, "data"), FRAME)


@pytest.mark.parametrize("name", ["rows.parquet", "rows.csv"])
def test_a_file_is_read_for_the_columns_asked_for_that_it_has(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    FRAME.to_parquet(path) if name.endswith(".parquet") else FRAME.to_csv(path, index=False)
    frame = read_frame(path, "data", columns=["city", "not-there"])
    assert list(frame.columns) == ["city"]


def test_a_frame_is_returned_as_it_is_even_when_empty() -> None:
    empty = pd.DataFrame()
    assert read_frame(empty, "data") is empty


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            (1, 2),
            "reference: expected a pandas DataFrame or a file path, got tuple (a folder, a glob, "
            "a pyarrow Table or Dataset, a Polars, DuckDB, Spark or Dask frame are accepted)",
        ),
        ("no/such/rows.parquet", "reference: file 'no/such/rows.parquet' does not exist"),
        ("rows.json", "reference: 'rows.json' is neither a .parquet nor a .csv file"),
    ],
)
def test_bad_input_is_an_error_naming_the_argument(
    data: object, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("rows.json").write_text("[]")
    with pytest.raises(CheckInputError) as raised:
        read_frame(data, "reference")
    assert str(raised.value) == expected


def test_check_schema_validates_a_compressed_csv_it_reads_itself(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv.gz"
    FRAME.to_csv(path, index=False)
    suite = schema.infer_schema(FRAME)
    assert schema.check_schema(path, suite).outcome is Outcome.PASSED
    # Three training rows promise no range; a column missing is a contract broken.
    planted = FRAME.drop(columns=["age"])
    planted.to_csv(path, index=False)
    assert schema.check_schema(path, suite).outcome is Outcome.FAILED
