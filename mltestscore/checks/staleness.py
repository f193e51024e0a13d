"""Staleness (monitor-4): how old the served model is, and how fresh the data feeding it is.

A model decays as the world moves away from its training data; the staleness analysis of
model-4 tells how fast, and so sets the age limit used here. Both checks take ``now`` as a
parameter so that results are reproducible in tests and in backfills.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mltestscore import environment
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult

RUBRIC_IDS = ("monitor-4",)
SECONDS_PER_DAY = 86_400.0
DEFAULT_MAX_AGE_DAYS = 30.0
METADATA_KEYS = ("created_at", "trained_at", "timestamp")
SOURCE_SNAPSHOT = "environment snapshot created_at"
SOURCE_METADATA = "artifact metadata"
SOURCE_GIVEN = "trained_at argument"
SOURCE_MTIME = "file modification time (fallback: a copy or checkout resets it)"


def _parse_time(value: Any, argument: str) -> datetime:
    """A timezone-aware Python datetime; naive values are read as UTC.

    A ``pd.Timestamp`` (a datetime subclass) becomes a plain datetime: its arithmetic is
    int64 in its own unit, so ``now`` taken from a nanosecond column minus a 9999-12-31
    sentinel (or plus the future allowance near 2262) overflowed inside pandas."""
    if isinstance(value, datetime):
        parsed = value
        if value != value:  # noqa: PLR0124 (pd.NaT is a datetime that equals nothing)
            raise CheckInputError(argument, "is missing (NaT), not a time")
        if type(value) is not datetime:
            try:
                parsed = datetime(
                    value.year, value.month, value.day, value.hour, value.minute,
                    value.second, value.microsecond, tzinfo=value.tzinfo,
                )  # fmt: skip
            except (ValueError, OverflowError) as exc:  # years Python's datetime cannot hold
                raise CheckInputError(
                    argument, f"year {value.year} is outside the years 1 to 9999"
                ) from exc
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise CheckInputError(argument, f"{value!r} is not an ISO 8601 time") from exc
    else:
        raise CheckInputError(argument, f"expected a datetime or ISO string, got {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _metadata_time(path: Path) -> datetime | None:
    """``created_at`` / ``trained_at`` / ``timestamp`` from a JSON file, if it has one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    for key in METADATA_KEYS:
        if data.get(key):
            return _parse_time(data[key], f"{path}: {key}")
    return None


def _sidecars(path: Path) -> list[Path]:
    """Metadata files written next to a model artifact, most specific first."""
    return [
        path.with_name(path.name + ".json"),
        path.with_name(path.stem + ".meta.json"),
        path.with_name(path.stem + ".metadata.json"),
        path.parent / "metadata.json",
    ]


def model_training_time(
    artifact: Any, *, allow_mtime_fallback: bool = True
) -> tuple[datetime, str, str]:
    """(training time, where it came from, which file) for an artifact, snapshot or dict.

    Looked up in order: a snapshot dict; a snapshot JSON file or a directory holding
    ``environment.json``; an ``environment.json`` next to the artifact; a metadata JSON next
    to it (``<file>.json``, ``<stem>.meta.json``, ``<stem>.metadata.json``, ``metadata.json``)
    with ``created_at`` / ``trained_at`` / ``timestamp``; last, labelled as a fallback, the
    file's modification time.
    """
    if isinstance(artifact, Mapping):
        if "created_at" not in artifact:
            raise CheckInputError("artifact", "the snapshot dict has no created_at")
        return _parse_time(artifact["created_at"], "artifact: created_at"), SOURCE_SNAPSHOT, ""
    if not isinstance(artifact, str | os.PathLike):
        raise CheckInputError(
            "artifact",
            f"expected a model file, snapshot file, directory or snapshot dict, "
            f"got {type(artifact).__name__}",
        )
    path = Path(artifact)
    if not path.exists():
        raise CheckInputError("artifact", f"{str(path)!r} does not exist")
    directory = path if path.is_dir() else path.parent
    snapshot = directory / environment.SNAPSHOT_FILE
    if path.is_file() and path.suffix == ".json":
        found = _metadata_time(path)
        if found is not None:
            return (
                found,
                SOURCE_SNAPSHOT if path.name == snapshot.name else SOURCE_METADATA,
                str(path),
            )
    if snapshot.is_file():
        found = _metadata_time(snapshot)
        if found is not None:
            return found, SOURCE_SNAPSHOT, str(snapshot)
    if path.is_file():
        for sidecar in _sidecars(path):
            if sidecar.is_file() and sidecar != path:
                found = _metadata_time(sidecar)
                if found is not None:
                    return found, SOURCE_METADATA, str(sidecar)
    if not allow_mtime_fallback:
        raise CheckInputError(
            "artifact",
            f"no environment snapshot or metadata with created_at found for {str(path)!r} "
            "(and allow_mtime_fallback is False)",
        )
    target = path
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file()]
        if not files:
            raise CheckInputError("artifact", f"directory {str(path)!r} is empty")
        target = max(files, key=lambda p: p.stat().st_mtime)
    return datetime.fromtimestamp(target.stat().st_mtime, tz=UTC), SOURCE_MTIME, str(target)


@register_check(*RUBRIC_IDS)
def check_model_age(
    artifact: Any = None,
    *,
    max_age_days: float | None = None,
    staleness: CheckResult | Mapping[str, Any] | None = None,
    trained_at: datetime | str | None = None,
    now: datetime | None = None,
    allow_mtime_fallback: bool = True,
) -> CheckResult:
    """The served model is younger than its age limit (default 30 days).

    The limit is ``max_age_days`` when given; else the largest safe age measured by the
    model-4 staleness curve when its result is passed as ``staleness`` (a
    ``check_staleness_impact`` result or its ``to_dict()``): the age at which quality has not
    yet dropped by more than you accept; else 30 days. The training time comes from
    ``trained_at`` when given, else from the artifact (see ``model_training_time``:
    environment snapshot, then metadata, then the file's modification time as a labelled
    fallback that ``allow_mtime_fallback=False`` refuses).
    """
    name = "check_model_age"
    limit, limit_source = _age_limit(max_age_days, staleness)
    max_age_days = limit
    moment = _parse_time(now, "now") if now is not None else datetime.now(UTC)
    if trained_at is not None:
        trained, source, where = _parse_time(trained_at, "trained_at"), SOURCE_GIVEN, ""
    elif artifact is None:
        raise CheckInputError("artifact", "give a model artifact, a snapshot or trained_at")
    else:
        trained, source, where = model_training_time(
            artifact, allow_mtime_fallback=allow_mtime_fallback
        )
    age_days = (moment - trained).total_seconds() / SECONDS_PER_DAY
    measurements = {
        "age_days": round(age_days, 3),
        "trained_at": trained.isoformat(),
        "age_source": source,
        "source_file": where or None,
    }
    kw: dict[str, Any] = {
        "measurements": measurements,
        "thresholds": {"max_age_days": max_age_days, "max_age_source": limit_source},
        "parameters": {"now": moment.isoformat(), "allow_mtime_fallback": allow_mtime_fallback},
    }
    if age_days < 0:
        return CheckResult.failed(
            name,
            RUBRIC_IDS,
            f"the model's training time {trained.isoformat()} ({source}) is "
            f"{-age_days:.1f} days in the future: a clock or metadata error",
            **kw,
        )
    fallback = " (from the file's modification time, a fallback)" if source == SOURCE_MTIME else ""
    if age_days > max_age_days:
        reason = (
            f"the model is {age_days:.1f} days old{fallback}, older than the "
            f"{max_age_days:g}-day limit: retrain or raise the limit with evidence (model-4)"
        )
    else:
        reason = (
            f"the model is {age_days:.1f} days old{fallback}, within the {max_age_days:g}-day limit"
        )
    return CheckResult.judge(age_days <= max_age_days, name, RUBRIC_IDS, reason, **kw)


def _age_limit(
    max_age_days: float | None, staleness: CheckResult | Mapping[str, Any] | None
) -> tuple[float, str]:
    """The age limit in days and where it came from."""
    if max_age_days is not None:
        if max_age_days <= 0:
            raise CheckInputError("max_age_days", f"must be positive, got {max_age_days}")
        return float(max_age_days), "max_age_days"
    if staleness is None:
        return DEFAULT_MAX_AGE_DAYS, "default"
    measurements = (
        staleness.measurements
        if isinstance(staleness, CheckResult)
        else staleness.get("measurements", {})
    )
    safe_age = measurements.get("max_safe_age") if isinstance(measurements, Mapping) else None
    if safe_age is None:
        raise CheckInputError(
            "staleness", "has no max_safe_age measurement (pass a check_staleness_impact result)"
        )
    import pandas as pd

    try:
        if _is_number(safe_age):  # a numeric time column: ages in its own units, not days
            raise ValueError(safe_age)
        text = str(safe_age).strip()
        whole_days = re.fullmatch(r"(\d+(?:\.\d+)?)\s*[dD]", text)  # decay.py writes "60d"
        if whole_days:
            days = float(whole_days.group(1))
        else:
            days = pd.Timedelta(text).total_seconds() / SECONDS_PER_DAY
    except ValueError as exc:
        raise CheckInputError(
            "staleness",
            f"its safe age {safe_age!r} is not a duration (a numeric time column?): "
            "give max_age_days",
        ) from exc
    if days <= 0:
        raise CheckInputError(
            "staleness", f"its safe age is {safe_age!r}: even the freshest model is too stale"
        )
    return days, "model-4 staleness curve (check_staleness_impact max_safe_age)"


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


_FIRST_READABLE = datetime(1, 1, 1, tzinfo=UTC)
_LAST_READABLE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


_READ = 0
_NUMBER = 1
_BEYOND = 2


def _cell_kind(value: object) -> int:
    """How a cell of an object column is treated: read as a time (``_READ``), a number
    never read as one (``_NUMBER``; not a boolean, not NaN, which is missing), or a pandas
    or NumPy time outside the years 1 to 9999 (``_BEYOND``), kept away from
    ``pd.to_datetime``: converting such a cell to a common unit beside others wrapped
    around int64 (year 292277026596 came back as a day in 1972: a false stale verdict)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, numbers.Number):
        is_number = not isinstance(value, bool | np.bool_) and value == value  # noqa: PLR0124
        return _NUMBER if is_number else _READ
    if isinstance(value, pd.Timestamp):
        return _READ if 1 <= value.year <= 9999 else _BEYOND
    if isinstance(value, np.datetime64) and not np.isnat(value):
        year = int(value.astype("datetime64[Y]").astype(np.int64)) + 1970
        return _READ if 1 <= year <= 9999 else _BEYOND
    return _READ


def _timestamps(frame: Any, column: str) -> tuple[Any, int, int]:
    """The column as UTC timestamps, the number of values that could not be read, and how
    many of those were numbers.

    Numbers are never read as times, in a numeric column or among text in an object column:
    pandas would take them as nanoseconds since 1970, so epoch seconds (1700000000, late
    2023) became 1970-01-01T00:00:01.7 and fresh data failed as 20,000 days old. No unit is
    assumed: a column of nothing but numbers is refused, numbers among text count as
    unreadable and are named in the verdict."""
    import pandas as pd

    values = frame[column]
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        raise CheckInputError(
            f"column {column!r}",
            f"holds numbers ({values.dtype}), not times: no unit is assumed; "
            "convert with pd.to_datetime(unit=...)",
        )
    numbers_found = 0
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = values.dt.tz_localize("UTC")
    else:
        to_parse = values
        if values.dtype == object:
            kinds = values.map(_cell_kind)
            is_number = kinds == _NUMBER
            numbers_found = int(is_number.sum())
            if numbers_found and numbers_found == int(values.notna().sum()):
                raise CheckInputError(
                    f"column {column!r}",
                    "holds numbers (an object column of numbers), not times: no unit is "
                    "assumed (seconds, milliseconds and nanoseconds since 1970 are all "
                    "common); convert with pd.to_datetime(unit=...)",
                )
            if numbers_found or (kinds == _BEYOND).any():
                to_parse = values.where(kinds == _READ, None)
        parsed = pd.to_datetime(to_parse, utc=True, errors="coerce", format="mixed")
    # Pandas holds years before 1 and after 9999 (non-nanosecond units); Python's datetime,
    # which the ages are computed with, does not: such values count as unreadable.
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):  # nothing parsed: naive NaT
        parsed = parsed.dt.tz_localize("UTC")
    parsed = parsed.where((parsed >= _FIRST_READABLE) & (parsed <= _LAST_READABLE))
    unreadable = int((parsed.isna() & values.notna()).sum())
    return parsed, unreadable, numbers_found


def _check_limits(max_age_days: Any, max_future_hours: Any) -> None:
    """Both limits are finite numbers: a NaN age limit failed every column (nothing is
    ``<= nan``), an infinite future allowance overflowed the clock."""
    for argument, value, lowest in (
        ("max_age_days", max_age_days, "positive"),
        ("max_future_hours", max_future_hours, "zero or more"),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise CheckInputError(argument, f"must be a number, got {value!r}")
        if not math.isfinite(value) or value < 0 or (value == 0 and lowest == "positive"):
            raise CheckInputError(argument, f"must be finite and {lowest}, got {value}")


def _future_bound(moment: datetime, max_future_hours: float) -> datetime | None:
    """``now`` plus the allowance, or None when that is past the year 9999: no time Python's
    datetime can hold (the only ones read) lies beyond it."""
    try:
        return moment + timedelta(hours=max_future_hours)
    except OverflowError:
        return None


@register_check(*RUBRIC_IDS)
def check_data_freshness(
    data: Any,
    time_column: str,
    *,
    max_age_days: float = 1.0,
    max_future_hours: float = 1.0,
    now: datetime | None = None,
) -> CheckResult:
    """The newest timestamp in ``time_column`` is at most ``max_age_days`` old (default 1).

    A model served on features from a stalled pipeline is as stale as an old model: this
    reads the latest event time in the data (a DataFrame or a Parquet/CSV path) and compares
    it with ``now``. Naive timestamps are read as UTC; timestamps more than
    ``max_future_hours`` ahead of ``now`` fail the check too (a clock or time-zone bug).
    """
    from mltestscore.checks._frames import is_scannable
    from mltestscore.checks.drift import as_frame

    if is_scannable(data):
        return _lazy_freshness(
            data,
            time_column,
            max_age_days=max_age_days,
            max_future_hours=max_future_hours,
            now=now,
        )
    frame = as_frame(data, "data")
    if time_column not in frame.columns:
        raise CheckInputError(f"column {time_column!r}", "is not in the data")
    _check_limits(max_age_days, max_future_hours)
    parsed, unreadable, numbers_found = _timestamps(frame, time_column)
    if parsed.notna().sum() == 0:
        raise CheckInputError(f"column {time_column!r}", "has no readable timestamps")
    moment = _parse_time(now, "now") if now is not None else datetime.now(UTC)
    latest = parsed.max().to_pydatetime()
    earliest = parsed.min().to_pydatetime()
    age_days = (moment - latest).total_seconds() / SECONDS_PER_DAY
    # Compared, not subtracted: a sentinel such as 9999-12-31 minus now overflows int64.
    bound = _future_bound(moment, max_future_hours)
    future_rows = int((parsed > bound).sum()) if bound is not None else 0
    measurements = {
        "latest": latest.isoformat(),
        "earliest": earliest.isoformat(),
        "age_days": round(age_days, 4),
        "rows": len(frame),
        "unreadable_timestamps": unreadable,
        "numbers_not_read_as_times": numbers_found,
        "future_rows": future_rows,
        "engine": "pandas",
        "rows_scanned": len(frame),
        "rows_sampled": 0,
    }
    return _judge_freshness(
        measurements,
        time_column,
        latest=latest,
        age_days=age_days,
        moment=moment,
        max_age_days=max_age_days,
        max_future_hours=max_future_hours,
    )


def _judge_freshness(
    measurements: dict[str, Any],
    time_column: str,
    *,
    latest: datetime,
    age_days: float,
    moment: datetime,
    max_age_days: float,
    max_future_hours: float,
) -> CheckResult:
    """The verdict from the newest timestamp, wherever it was measured."""
    name = "check_data_freshness"
    future_limit = max_future_hours / 24
    future_rows = measurements["future_rows"]
    unreadable = measurements["unreadable_timestamps"]
    kw: dict[str, Any] = {
        "measurements": measurements,
        "thresholds": {"max_age_days": max_age_days, "max_future_hours": max_future_hours},
        "parameters": {"time_column": time_column, "now": moment.isoformat()},
    }
    numbers_found = measurements.get("numbers_not_read_as_times", 0)
    numbers_note = (
        f" ({numbers_found} of them numbers: no unit is assumed, convert with "
        "pd.to_datetime(unit=...))"
        if numbers_found
        else ""
    )
    unread = f"; {unreadable} values could not be read as times{numbers_note}" if unreadable else ""
    if -age_days > future_limit:
        return CheckResult.failed(
            name,
            RUBRIC_IDS,
            f"{future_rows} rows of {time_column!r} lie in the future (latest {latest.isoformat()})"
            f": a clock or time-zone bug{unread}",
            **kw,
        )
    ok = age_days <= max_age_days
    reason = (
        f"the newest {time_column!r} is {latest.isoformat()}, {age_days:.2f} days old, "
        f"{'within' if ok else 'beyond'} the {max_age_days:g}-day limit{unread}"
    )
    return CheckResult.judge(ok, name, RUBRIC_IDS, reason, **kw)


def _lazy_freshness(
    data: Any,
    time_column: str,
    *,
    max_age_days: float,
    max_future_hours: float,
    now: datetime | None,
) -> CheckResult:
    """:func:`check_data_freshness` in the engine that holds the data: the newest and the
    oldest time and the count of future rows are three aggregates (docs/bigdata.md). The
    column must be a datetime column there: text is not parsed row by row in the engine."""
    import narwhals as nw
    import pandas as pd

    from mltestscore.checks._frames import open_scan

    scan = open_scan(data, "data")
    dtypes = scan.dtypes()
    if time_column not in dtypes:
        raise CheckInputError(f"column {time_column!r}", "is not in the data")
    _check_limits(max_age_days, max_future_hours)
    dtype = dtypes[time_column]
    if not isinstance(dtype, nw.Datetime | nw.Date):
        raise CheckInputError(
            f"column {time_column!r}",
            f"is {dtype}, not a datetime column (a large source is not parsed row by row: "
            "store the times as timestamps)",
        )
    moment = _parse_time(now, "now") if now is not None else datetime.now(UTC)
    limit = _future_bound(moment, max_future_hours)
    aware = isinstance(dtype, nw.Datetime) and dtype.time_zone is not None
    column = nw.col(time_column)
    aggregates = [
        column.max().alias("latest"),
        column.min().alias("earliest"),
        (~column.is_null()).cast(nw.Int64).sum().alias("readable"),
        nw.len().alias("rows"),
    ]
    if limit is not None:  # else past the year 9999: nothing countable lies beyond it
        bound = limit if aware or scan.engine == "spark" else limit.replace(tzinfo=None)
        aggregates.append((column > nw.lit(bound)).cast(nw.Int64).sum().alias("future_rows"))
    found = scan.aggregate(aggregates)
    if not found["readable"]:
        raise CheckInputError(f"column {time_column!r}", "has no readable timestamps")
    scan._rows = int(found["rows"])

    def utc(value: Any) -> datetime:
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        converted: datetime = stamp.to_pydatetime()
        return converted

    latest, earliest = utc(found["latest"]), utc(found["earliest"])
    age_days = (moment - latest).total_seconds() / SECONDS_PER_DAY
    measurements = {
        "latest": latest.isoformat(),
        "earliest": earliest.isoformat(),
        "age_days": round(age_days, 4),
        "rows": int(found["rows"]),
        "unreadable_timestamps": 0,
        "future_rows": int(found.get("future_rows") or 0),
        **scan.where([time_column]),  # the one column its query reads
    }
    return _judge_freshness(
        measurements,
        time_column,
        latest=latest,
        age_days=age_days,
        moment=moment,
        max_age_days=max_age_days,
        max_future_hours=max_future_hours,
    )
