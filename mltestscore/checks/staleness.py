"""Staleness (monitor-4): how old the served model is, and how fresh the data feeding it is.

A model decays as the world moves away from its training data; the staleness analysis of
model-4 tells how fast, and so sets the age limit used here. Both checks take ``now`` as a
parameter so that results are reproducible in tests and in backfills.
"""

from __future__ import annotations

import json
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
    """A timezone-aware datetime; naive values are read as UTC."""
    if isinstance(value, datetime):
        parsed = value
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


def _timestamps(frame: Any, column: str) -> tuple[Any, int]:
    """The column as UTC timestamps and the number of values that could not be read."""
    import pandas as pd

    values = frame[column]
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        raise CheckInputError(
            f"column {column!r}",
            f"holds numbers ({values.dtype}), not times: convert with pd.to_datetime(unit=...)",
        )
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = values.dt.tz_localize("UTC")
    else:
        parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    # Pandas holds years before 1 and after 9999 (non-nanosecond units); Python's datetime,
    # which the ages are computed with, does not: such values count as unreadable.
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):  # nothing parsed: naive NaT
        parsed = parsed.dt.tz_localize("UTC")
    parsed = parsed.where((parsed >= _FIRST_READABLE) & (parsed <= _LAST_READABLE))
    unreadable = int((parsed.isna() & values.notna()).sum())
    return parsed, unreadable


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
    if max_age_days <= 0:
        raise CheckInputError("max_age_days", f"must be positive, got {max_age_days}")
    parsed, unreadable = _timestamps(frame, time_column)
    if parsed.notna().sum() == 0:
        raise CheckInputError(f"column {time_column!r}", "has no readable timestamps")
    moment = _parse_time(now, "now") if now is not None else datetime.now(UTC)
    latest = parsed.max().to_pydatetime()
    earliest = parsed.min().to_pydatetime()
    age_days = (moment - latest).total_seconds() / SECONDS_PER_DAY
    # Compared, not subtracted: a sentinel such as 9999-12-31 minus now overflows int64.
    future_rows = int((parsed > moment + timedelta(hours=max_future_hours)).sum())
    measurements = {
        "latest": latest.isoformat(),
        "earliest": earliest.isoformat(),
        "age_days": round(age_days, 4),
        "rows": len(frame),
        "unreadable_timestamps": unreadable,
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
    unread = f"; {unreadable} values could not be read as times" if unreadable else ""
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
    from datetime import timedelta

    import narwhals as nw
    import pandas as pd

    from mltestscore.checks._frames import open_scan

    scan = open_scan(data, "data")
    dtypes = scan.dtypes()
    if time_column not in dtypes:
        raise CheckInputError(f"column {time_column!r}", "is not in the data")
    if max_age_days <= 0:
        raise CheckInputError("max_age_days", f"must be positive, got {max_age_days}")
    dtype = dtypes[time_column]
    if not isinstance(dtype, nw.Datetime | nw.Date):
        raise CheckInputError(
            f"column {time_column!r}",
            f"is {dtype}, not a datetime column (a large source is not parsed row by row: "
            "store the times as timestamps)",
        )
    moment = _parse_time(now, "now") if now is not None else datetime.now(UTC)
    limit = moment + timedelta(hours=max_future_hours)
    aware = isinstance(dtype, nw.Datetime) and dtype.time_zone is not None
    bound = limit if aware or scan.engine == "spark" else limit.replace(tzinfo=None)
    column = nw.col(time_column)
    found = scan.aggregate(
        [
            column.max().alias("latest"),
            column.min().alias("earliest"),
            (~column.is_null()).cast(nw.Int64).sum().alias("readable"),
            (column > nw.lit(bound)).cast(nw.Int64).sum().alias("future_rows"),
            nw.len().alias("rows"),
        ]
    )
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
        "future_rows": int(found["future_rows"] or 0),
        **scan.where(),
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
