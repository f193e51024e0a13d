"""check_model_age and check_data_freshness (monitor-4)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mltestscore import environment
from mltestscore.checks import Outcome
from mltestscore.checks.staleness import check_data_freshness, check_model_age

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def snapshot_created(folder: Path, when: datetime) -> Path:
    path = environment.write_snapshot(folder)
    snapshot = json.loads(path.read_text())
    snapshot["created_at"] = when.isoformat()
    path.write_text(json.dumps(snapshot))
    return path


def test_a_recent_model_passes(tmp_path: Path) -> None:
    snapshot_created(tmp_path, NOW - timedelta(days=3))
    result = check_model_age(tmp_path, now=NOW)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["age_days"] == 3.0
    assert result.measurements["age_source"] == "environment snapshot created_at"


def test_an_old_model_fails(tmp_path: Path) -> None:
    snapshot_created(tmp_path, NOW - timedelta(days=90))
    result = check_model_age(tmp_path / "environment.json", now=NOW, max_age_days=30)
    assert result.outcome is Outcome.FAILED
    assert "90.0 days old, older than the 30-day limit" in result.reason
    assert result.thresholds["max_age_days"] == 30


def test_a_model_file_finds_the_snapshot_next_to_it(tmp_path: Path) -> None:
    snapshot_created(tmp_path, NOW - timedelta(days=40))
    model = tmp_path / "model.skops"
    model.write_bytes(b"not really a model")
    result = check_model_age(model, now=NOW)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["source_file"] == str(tmp_path / "environment.json")


def test_artifact_metadata_is_used_when_there_is_no_snapshot(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x00")
    (tmp_path / "model.meta.json").write_text(
        json.dumps({"trained_at": (NOW - timedelta(days=2)).isoformat()})
    )
    result = check_model_age(model, now=NOW)
    assert result.outcome is Outcome.PASSED
    assert result.measurements["age_source"] == "artifact metadata"


def test_the_file_time_is_a_labelled_fallback_that_can_be_refused(tmp_path: Path) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(b"\x00")
    old = (NOW - timedelta(days=100)).timestamp()
    os.utime(model, (old, old))
    result = check_model_age(model, now=NOW)
    assert result.outcome is Outcome.FAILED
    assert "from the file's modification time, a fallback" in result.reason
    refused = check_model_age(model, now=NOW, allow_mtime_fallback=False)
    assert refused.outcome is Outcome.ERROR
    assert "allow_mtime_fallback" in refused.reason


def test_a_training_time_in_the_future_fails() -> None:
    result = check_model_age(trained_at=NOW + timedelta(days=2), now=NOW)
    assert result.outcome is Outcome.FAILED
    assert "in the future" in result.reason


def test_naive_times_are_read_as_utc() -> None:
    result = check_model_age(trained_at="2026-11-29T12:00:00", now=NOW)
    assert result.measurements["age_days"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"artifact": "no/such/model.skops"}, "artifact: 'no/such/model.skops' does not exist"),
        ({"artifact": 3.5}, "artifact: expected a model file"),
        ({}, "artifact: give a model artifact"),
        ({"trained_at": "yesterday"}, "trained_at: 'yesterday' is not an ISO 8601 time"),
        ({"trained_at": "2026-01-01", "max_age_days": 0}, "max_age_days: must be positive"),
    ],
)
def test_bad_model_age_inputs_name_the_argument(kwargs: dict[str, Any], expected: str) -> None:
    result = check_model_age(**kwargs)
    assert result.outcome is Outcome.ERROR
    assert expected in result.reason


# -- data freshness --------------------------------------------------------------------------


@pytest.fixture
def served(adult: pd.DataFrame) -> pd.DataFrame:
    """Adult rows as a serving log: one request every minute up to two hours before NOW."""
    frame = adult.head(500).copy()
    end = NOW - timedelta(hours=2)
    frame["served_at"] = pd.date_range(end=end, periods=len(frame), freq="min")
    return frame


def test_fresh_data_passes(served: pd.DataFrame) -> None:
    result = check_data_freshness(served, "served_at", now=NOW)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["age_days"] == pytest.approx(2 / 24, abs=1e-3)
    assert result.measurements["rows"] == 500


def test_stale_data_fails(served: pd.DataFrame) -> None:
    result = check_data_freshness(served, "served_at", now=NOW + timedelta(days=3))
    assert result.outcome is Outcome.FAILED
    assert "beyond the 1-day limit" in result.reason


def test_text_timestamps_are_parsed_and_unreadable_ones_counted(served: pd.DataFrame) -> None:
    text = served.assign(served_at=served["served_at"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    text.loc[text.index[0], "served_at"] = "not a time"
    result = check_data_freshness(text, "served_at", now=NOW, max_age_days=0.5)
    assert result.outcome is Outcome.PASSED
    assert result.measurements["unreadable_timestamps"] == 1
    assert "1 values could not be read as times" in result.reason


def test_timestamps_in_the_future_fail(served: pd.DataFrame) -> None:
    future = served.copy()
    future.loc[future.index[-1], "served_at"] = NOW + timedelta(hours=5)
    result = check_data_freshness(future, "served_at", now=NOW)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["future_rows"] == 1
    assert "time-zone bug" in result.reason


@pytest.mark.parametrize(
    ("column", "frame_change", "expected"),
    [
        ("when", None, "column 'when': is not in the data"),
        ("served_at", "numbers", "column 'served_at': holds numbers"),
        ("served_at", "garbage", "column 'served_at': has no readable timestamps"),
        ("served_at", "nan", "column 'served_at': has no readable timestamps"),
    ],
)
def test_bad_time_columns_are_named(
    served: pd.DataFrame, column: str, frame_change: str | None, expected: str
) -> None:
    changes = {
        "numbers": np.arange(len(served)),
        "garbage": ["soon"] * len(served),
        "nan": [None] * len(served),
    }
    frame = served.assign(served_at=changes[frame_change]) if frame_change else served
    result = check_data_freshness(frame, column, now=NOW)
    assert result.outcome is Outcome.ERROR
    assert expected in result.reason


def test_an_empty_serving_log_is_an_error(served: pd.DataFrame) -> None:
    result = check_data_freshness(served.iloc[:0], "served_at", now=NOW)
    assert result.outcome is Outcome.ERROR
    assert "data: the data has no rows" in result.reason


def test_the_model_4_staleness_curve_sets_the_age_limit(tmp_path: Path) -> None:
    from mltestscore.checks import CheckResult

    curve = CheckResult.passed(
        "check_staleness_impact", ["model-4"], "quality holds", measurements={"max_safe_age": "60d"}
    )
    snapshot_created(tmp_path, NOW - timedelta(days=45))
    within = check_model_age(tmp_path, staleness=curve, now=NOW)
    assert within.outcome is Outcome.PASSED, within.summary()
    assert within.thresholds["max_age_days"] == 60.0
    assert "staleness curve" in str(within.thresholds["max_age_source"])
    assert check_model_age(tmp_path, now=NOW).outcome is Outcome.FAILED  # default 30 days
    shorter = CheckResult.from_dict({**curve.to_dict(), "measurements": {"max_safe_age": "7d"}})
    assert check_model_age(tmp_path, staleness=shorter.to_dict(), now=NOW).outcome is (
        Outcome.FAILED
    )
    explicit = check_model_age(tmp_path, staleness=shorter, max_age_days=50, now=NOW)
    assert explicit.outcome is Outcome.PASSED


def test_a_staleness_result_without_a_duration_is_an_input_error(tmp_path: Path) -> None:
    snapshot_created(tmp_path, NOW)
    no_age = check_model_age(tmp_path, staleness={"measurements": {}}, now=NOW)
    assert no_age.outcome is Outcome.ERROR
    assert "staleness: has no max_safe_age" in no_age.reason
    windows = check_model_age(tmp_path, staleness={"measurements": {"max_safe_age": "3"}})
    assert windows.outcome is Outcome.ERROR
    assert "give max_age_days" in windows.reason
