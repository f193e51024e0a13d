"""Data freshness (monitor-4) on hostile times: extreme timestamps at the int64 bounds of
every unit pandas holds, mixed time zones, a ``now`` that is a pandas Timestamp, and
numbers where times were expected.

Two defects kept fixed here. A ``now`` (or ``trained_at``) given as a nanosecond
``pd.Timestamp`` made pandas do the age arithmetic in int64 nanoseconds: minus a 9999-12-31
sentinel it raised ``OutOfBoundsDatetime`` / ``OverflowError: signed integer is less than
minimum`` (the int64 overflow once seen in a fuzz run). And an object column of integers
was read as nanoseconds since 1970: epoch seconds of today became 1970-01-01T00:00:01.7, a
false "20,000 days stale"; no unit is assumed now.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.checks.result import CheckResult
from mltestscore.checks.staleness import check_data_freshness, check_model_age

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
INT64 = 2**63 - 1
UNITS = ["s", "ms", "us", "ns"]
# The same draws every run, so CI is never red on a new one (wider random runs of these
# strategies are how the defects above were found).
REPLAYED = settings(
    deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)

OFFSETS = st.one_of(
    st.none(),
    st.just(UTC),
    st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
)
PYTHON_TIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS
)
# int64 bounds in each unit, and values near them: the years pandas holds and Python not.
NEAR_BOUNDS = st.one_of(
    st.sampled_from([INT64, -INT64, INT64 - 1, -INT64 + 1, 0]),
    st.integers(INT64 - 10**15, INT64),
    st.integers(-INT64, -INT64 + 10**15),
    st.integers(-(10**18), 10**18),
)


def _timestamp_at(value: int, unit: str, zone: Any) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(np.datetime64(value, unit))
        return stamp.tz_localize("UTC").tz_convert(zone) if zone is not None else stamp
    except (ValueError, OverflowError):  # pandas cannot hold it at all: not a cell
        return None


EXTREME = st.builds(_timestamp_at, NEAR_BOUNDS, st.sampled_from(UNITS), OFFSETS)
CELLS = st.one_of(
    PYTHON_TIMES,
    PYTHON_TIMES.map(lambda t: t.isoformat()),
    PYTHON_TIMES.map(pd.Timestamp),
    EXTREME,
    st.builds(np.datetime64, NEAR_BOUNDS, st.sampled_from([*UNITS, "D"])),
    st.none(),
)
NOWS = st.one_of(st.none(), PYTHON_TIMES, PYTHON_TIMES.map(pd.Timestamp), EXTREME)


@st.composite
def time_columns(draw: st.DrawFn) -> pd.Series:
    cells = draw(st.lists(CELLS, min_size=1, max_size=6))
    typed = draw(st.sampled_from([None, "object", *UNITS, "tz-ns", "tz-s"]))
    try:
        if typed is None or typed == "object":
            return pd.Series(cells, dtype=typed)
        unit = typed.removeprefix("tz-")
        dtype = f"datetime64[{unit}, UTC]" if typed.startswith("tz-") else f"datetime64[{unit}]"
        return pd.Series(cells).astype(dtype)
    except (ValueError, TypeError, OverflowError):  # pandas refuses that dtype for them
        return pd.Series(cells, dtype=object)


def _as_utc(cell: Any) -> datetime | None:
    """What a cell is as a Python UTC datetime, worked out without the check's code; None
    when Python's datetime cannot hold it (or it is missing)."""
    try:
        if isinstance(cell, str):
            cell = datetime.fromisoformat(cell)
        if isinstance(cell, np.datetime64):
            cell = pd.Timestamp(cell)
        if cell is None or pd.isna(cell):
            return None
        if isinstance(cell, pd.Timestamp):
            cell = datetime(
                cell.year, cell.month, cell.day, cell.hour, cell.minute, cell.second,
                cell.microsecond, tzinfo=cell.tzinfo,
            )  # fmt: skip
        assert isinstance(cell, datetime)
        return cell.astimezone(UTC) if cell.tzinfo else cell.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


@settings(REPLAYED, max_examples=60)
@given(time_columns(), NOWS, st.sampled_from([0.0, 1.0, 48.0, 1e9]))
def test_extreme_timestamps_give_a_verdict_on_a_value_of_the_column_or_a_named_bad_input(
    column: pd.Series, now: Any, max_future_hours: float
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = check_data_freshness(
            pd.DataFrame({"t": column}), "t", now=now, max_future_hours=max_future_hours
        )
    assert isinstance(result, CheckResult)
    if result.outcome == "error":
        assert result.reason.startswith("bad input, "), result.reason
        return
    # The newest time is one of the column's own values (an overflow would wrap to another).
    latest = datetime.fromisoformat(result.measurements["latest"])
    assert latest in {_as_utc(cell) for cell in column.astype(object)}, result.measurements
    moment = _as_utc(now) if now is not None else None
    if moment is not None:
        expected = (moment - latest).total_seconds() / 86_400
        assert result.measurements["age_days"] == pytest.approx(expected, abs=1e-4)
    assert 0 <= result.measurements["future_rows"] <= len(column)


NUMBERS = st.one_of(
    st.integers(-INT64, INT64),
    st.floats(allow_nan=False),
    st.integers(0, 2 * 10**9).map(np.int64),
    st.sampled_from([1_765_000_000, 1_765_000_000_000, 1.7e9, np.float32(3.5)]),
)
RECENT = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@settings(REPLAYED, max_examples=40)
@given(st.lists(st.one_of(NUMBERS, RECENT.map(lambda t: t.isoformat())), min_size=1, max_size=8))
def test_numbers_in_an_object_column_are_never_read_as_times(cells: list[Any]) -> None:
    result = check_data_freshness(pd.DataFrame({"t": pd.Series(cells, dtype=object)}), "t", now=NOW)
    texts = [datetime.fromisoformat(c) for c in cells if isinstance(c, str)]
    numbers = len(cells) - len(texts)
    if not texts:
        assert result.outcome == "error"
        assert result.reason.startswith("bad input, column 't': holds numbers"), result.reason
        assert "no unit is assumed" in result.reason
        return
    assert result.outcome != "error", result.reason
    assert datetime.fromisoformat(result.measurements["latest"]) == max(texts)
    assert result.measurements["numbers_not_read_as_times"] == numbers
    assert result.measurements["unreadable_timestamps"] == numbers
    if numbers:
        assert f"({numbers} of them numbers: no unit is assumed" in result.reason


def test_epoch_seconds_in_an_object_column_are_refused_not_judged_as_1970() -> None:
    fresh = int((NOW - timedelta(hours=2)).timestamp())  # two hours old, in epoch seconds
    frame = pd.DataFrame({"served_at": pd.Series([fresh - 60, fresh], dtype=object)})
    result = check_data_freshness(frame, "served_at", now=NOW)
    assert result.outcome == "error"  # before: failed, "1970-01-01T00:00:01.765..., 20,000 days"
    assert result.reason == (
        "bad input, column 'served_at': holds numbers (an object column of numbers), not "
        "times: no unit is assumed (seconds, milliseconds and nanoseconds since 1970 are all "
        "common); convert with pd.to_datetime(unit=...)"
    )
    converted = frame.assign(served_at=pd.to_datetime(frame["served_at"].astype(int), unit="s"))
    assert check_data_freshness(converted, "served_at", now=NOW).outcome == "passed"


def test_numbers_among_text_times_are_counted_and_named_not_read() -> None:
    frame = pd.DataFrame(
        {"t": pd.Series(["2026-12-07T10:00:00", 1_765_000_000, None], dtype=object)}
    )
    result = check_data_freshness(frame, "t", now=NOW)
    assert result.outcome == "passed", result.reason
    assert result.measurements["latest"] == "2026-12-07T10:00:00+00:00"
    assert result.reason.endswith(
        "; 1 values could not be read as times (1 of them numbers: no unit is assumed, "
        "convert with pd.to_datetime(unit=...))"
    )


@pytest.mark.parametrize("unit", UNITS)
def test_a_pandas_timestamp_as_now_beside_a_9999_sentinel_is_a_future_row(unit: str) -> None:
    now = pd.Timestamp(NOW).as_unit(unit)
    times = pd.Series([pd.Timestamp(NOW), pd.Timestamp("9999-12-31", tz="UTC")])
    result = check_data_freshness(pd.DataFrame({"t": times}), "t", now=now)
    assert result.outcome == "failed"  # before, with "ns": OutOfBoundsDatetime
    assert "1 rows of 't' lie in the future (latest 9999-12-31" in result.reason


def test_a_pandas_timestamp_as_now_beside_year_1_is_a_stale_verdict() -> None:
    times = pd.Series([pd.Timestamp("0001-01-02", tz="UTC")])
    result = check_data_freshness(
        pd.DataFrame({"t": times}), "t", now=pd.Timestamp(NOW).as_unit("ns")
    )
    assert result.outcome == "failed"
    assert "beyond the 1-day limit" in result.reason


def test_a_model_age_against_a_nanosecond_now_is_a_verdict() -> None:
    result = check_model_age(trained_at="9999-12-31", now=pd.Timestamp(NOW).as_unit("ns"))
    assert result.outcome == "failed"
    assert "in the future: a clock or metadata error" in result.reason


@pytest.mark.parametrize(
    ("now", "message"),
    [
        (pd.NaT, "bad input, now: is missing (NaT), not a time"),
        (pd.Timestamp(np.datetime64(INT64, "s")), "bad input, now: year 292277026596 is outside"),
    ],
)
def test_a_now_python_cannot_hold_is_named(now: Any, message: str) -> None:
    result = check_data_freshness(pd.DataFrame({"t": [NOW]}), "t", now=now)
    assert result.outcome == "error"
    assert result.reason.startswith(message), result.reason


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_age_days": float("nan")}, "max_age_days: must be finite and positive, got nan"),
        ({"max_age_days": 0}, "max_age_days: must be finite and positive, got 0"),
        ({"max_age_days": True}, "max_age_days: must be a number, got True"),
        ({"max_future_hours": float("inf")}, "max_future_hours: must be finite and zero or more"),
        ({"max_future_hours": -1.0}, "max_future_hours: must be finite and zero or more"),
    ],
)
def test_limits_that_are_not_finite_numbers_are_refused(
    limits: dict[str, Any], message: str
) -> None:
    result = check_data_freshness(pd.DataFrame({"t": [NOW]}), "t", now=NOW, **limits)
    assert result.outcome == "error"
    assert message in result.reason


def test_a_future_allowance_past_the_year_9999_counts_no_future_rows() -> None:
    times = pd.Series([pd.Timestamp(NOW), pd.Timestamp("9999-12-31", tz="UTC")])
    for now, hours in [(NOW, 1e9), (datetime(9999, 12, 31, 23, tzinfo=UTC), 48.0)]:
        result = check_data_freshness(
            pd.DataFrame({"t": times}), "t", now=now, max_future_hours=hours
        )
        assert result.outcome != "error", result.reason  # before: OverflowError
        assert result.measurements["future_rows"] == 0


def test_a_pandas_time_past_the_year_9999_is_unreadable_not_wrapped_around_int64() -> None:
    far = pd.Timestamp(np.datetime64(INT64 - 10**6, "s"))  # year 292277026596
    cells = pd.Series([far, far.tz_localize("UTC"), NOW - timedelta(hours=3)], dtype=object)
    result = check_data_freshness(pd.DataFrame({"t": cells}), "t", now=NOW)
    # Before: pandas, unifying the units, wrapped the far times around int64 to 1972-11-23;
    # without the fresh row the verdict was "1972-11-23, 19737 days old".
    assert result.outcome == "passed", result.reason
    assert result.measurements["latest"] == "2026-12-07T09:00:00+00:00"
    assert result.measurements["unreadable_timestamps"] == 2
    only_far = check_data_freshness(pd.DataFrame({"t": cells[:2]}), "t", now=NOW)
    assert only_far.reason == "bad input, column 't': has no readable timestamps"
