"""Great Expectations results a team already produces, as data-1 / monitor-2 evidence.

Many teams run Great Expectations checkpoints in their pipelines. Their results already show
that feature expectations are written down (data-1) and that the data keeps to them
(monitor-2), so ``check_great_expectations_result`` reads them instead of asking for the
validation to be rewritten: a GE 1.x ``CheckpointResult`` or ``ExpectationSuiteValidationResult``
object, their JSON (``describe()`` / ``to_json_dict()``), the validation results a
checkpoint stores, or the 0.x JSON layouts. Great Expectations is not imported: the JSON is
the contract, so results written by another GE version (or another machine) read the same.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC_IDS = ("data-1", "monitor-2")
CHECK_NAME = "check_great_expectations_result"
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class ExpectationRecord:
    """One expectation's outcome, whatever layout it was read from."""

    suite: str
    type: str
    column: str
    success: bool
    severity: str = "critical"
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    partial_unexpected: str = ""
    observed: str = ""
    error: str | None = None


@dataclass(frozen=True)
class ValidationRecord:
    """One suite validated against one batch."""

    suite: str
    asset: str
    success: bool | None
    run_time: datetime | None
    ge_version: str | None
    expectations: tuple[ExpectationRecord, ...]


# --- reading the layouts -----------------------------------------------------------------------


def read_validations(
    result: object, argument: str = "result"
) -> tuple[str, list[ValidationRecord]]:
    """The layout recognised and the validations in a GE result (object, dict, JSON, path).

    Raises ``CheckInputError`` naming ``argument`` (or the file) when the input is unusable.
    """
    where = argument
    if isinstance(result, os.PathLike) or (
        isinstance(result, str) and not result.lstrip().startswith(("{", "["))
    ):
        where = str(result)
        result = _read_json_file(Path(result))
    elif isinstance(result, str | bytes):
        try:
            result = json.loads(result)
        except ValueError as exc:
            raise CheckInputError(argument, f"is not valid JSON: {exc}") from None
    data = _as_plain(result, where)
    layout, validations = _parse(data, where)
    return layout, validations


def _read_json_file(path: Path) -> Any:
    if not path.is_file():
        raise CheckInputError(str(path), "no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CheckInputError(str(path), "is not a text (JSON) file") from None
    except ValueError as exc:
        raise CheckInputError(str(path), f"is not valid JSON: {exc}") from None


def _as_plain(result: object, where: str) -> Any:
    """JSON-like data from a GE object (1.x CheckpointResult, a validation result, 0.x
    objects) or the data itself."""
    run_results = getattr(result, "run_results", None)
    if isinstance(run_results, Mapping) and not isinstance(result, Mapping):
        # 1.x CheckpointResult: identifier -> ExpectationSuiteValidationResult (0.x: a dict
        # holding it under "validation_result"). Its own JSON export fails on RunIdentifier.
        return {
            "run_results": {str(key): _as_plain(value, where) for key, value in run_results.items()}
        }
    to_json_dict = getattr(result, "to_json_dict", None)
    if callable(to_json_dict) and not isinstance(result, Mapping):
        return to_json_dict()
    if isinstance(result, Mapping):
        return {str(k): _as_plain(v, where) if _is_ge_object(v) else v for k, v in result.items()}
    if isinstance(result, list):
        return [_as_plain(item, where) for item in result]
    raise CheckInputError(
        where,
        f"expected a Great Expectations checkpoint or validation result (object, dict, JSON "
        f"text or file), got {type(result).__name__}",
    )


def _is_ge_object(value: object) -> bool:
    return not isinstance(value, Mapping | list | str) and callable(
        getattr(value, "to_json_dict", None)
    )


def _parse(data: Any, where: str) -> tuple[str, list[ValidationRecord]]:
    if isinstance(data, list):
        if not data:
            raise CheckInputError(where, "is an empty list: no validation results in it")
        layouts, validations = set(), []
        for item in data:
            layout, found = _parse(item, where)
            layouts.add(layout)
            validations.extend(found)
        return " + ".join(sorted(layouts)), validations
    if not isinstance(data, Mapping):
        raise CheckInputError(where, f"holds a JSON {type(data).__name__}, not an object")
    if isinstance(data.get("validation_results"), list):  # 1.x CheckpointResult.describe()
        return "gx-1 checkpoint (describe)", [
            _described_validation(v, where) for v in data["validation_results"]
        ]
    if isinstance(data.get("run_results"), Mapping):  # a checkpoint result, 0.x or 1.x
        validations = []
        for value in data["run_results"].values():
            inner = value.get("validation_result", value) if isinstance(value, Mapping) else value
            validations.append(_validation(_as_plain(inner, where), where))
        version = "gx-1" if _is_1x(validations, data) else "gx-0"
        return f"{version} checkpoint", validations
    if isinstance(data.get("results"), list):  # one ExpectationSuiteValidationResult
        validation = _validation(data, where)
        version = "gx-1" if _is_1x([validation], data) else "gx-0"
        return f"{version} validation", [validation]
    keys = ", ".join(sorted(map(str, data))[:8]) or "none"
    raise CheckInputError(
        where,
        "is not a Great Expectations checkpoint or validation result: expected 'results', "
        f"'run_results' or 'validation_results', found keys {keys}",
    )


def _is_1x(validations: Sequence[ValidationRecord], data: Mapping[str, Any]) -> bool:
    versions = [v.ge_version for v in validations if v.ge_version]
    if versions:
        return not versions[0].startswith("0.")
    return "suite_name" in data


def _validation(data: Any, where: str) -> ValidationRecord:
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        raise CheckInputError(where, "holds a validation result without a 'results' list")
    meta = _mapping(data.get("meta"))
    suite = str(data.get("suite_name") or meta.get("expectation_suite_name") or "")
    batch = meta.get("active_batch_definition")
    asset = str(batch.get("data_asset_name", "")) if isinstance(batch, Mapping) else ""
    run_id = _mapping(meta.get("run_id"))
    run_time = _parse_time(meta.get("validation_time")) or _parse_time(run_id.get("run_time"))
    expectations = tuple(_expectation(suite, r, where) for r in data["results"])
    version = meta.get("great_expectations_version")
    success = data.get("success")
    return ValidationRecord(
        suite,
        asset,
        success if isinstance(success, bool) else None,
        run_time,
        str(version) if version else None,
        expectations,
    )


def _described_validation(data: Any, where: str) -> ValidationRecord:
    """A validation of ``CheckpointResult.describe()``: expectations flattened, no meta."""
    if not isinstance(data, Mapping) or not isinstance(data.get("expectations"), list):
        raise CheckInputError(where, "holds a validation without an 'expectations' list")
    suite = str(data.get("suite_name") or "")
    expectations = tuple(
        _expectation(suite, {"expectation_config": e, **e}, where) for e in data["expectations"]
    )
    success = data.get("success")
    return ValidationRecord(
        suite, "", success if isinstance(success, bool) else None, None, None, expectations
    )


def _expectation(suite: str, data: Any, where: str) -> ExpectationRecord:
    if not isinstance(data, Mapping):
        raise CheckInputError(where, f"holds an expectation result that is a {type(data).__name__}")
    config = _mapping(data.get("expectation_config"))
    kind = config.get("type") or config.get("expectation_type")
    if not kind:
        raise CheckInputError(where, "holds an expectation result without its expectation type")
    kwargs = _mapping(config.get("kwargs"))
    details = _mapping(data.get("result"))
    count = details.get("unexpected_count")
    percent = details.get("unexpected_percent")
    observed = details.get("observed_value")
    return ExpectationRecord(
        suite=suite,
        type=str(kind),
        column=_column(kwargs),
        success=data.get("success") is True,
        severity=str(config.get("severity") or "critical"),
        unexpected_count=int(count) if isinstance(count, int | float) else None,
        unexpected_percent=float(percent) if isinstance(percent, int | float) else None,
        partial_unexpected=_partial_values(details),
        observed="" if observed is None else _short(json.dumps(observed, default=str)),
        error=_error(data.get("exception_info")),
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _column(kwargs: Mapping[str, Any]) -> str:
    if "column" in kwargs:
        return str(kwargs["column"])
    pair = [str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs]
    if pair:
        return ", ".join(pair)
    if isinstance(kwargs.get("column_list"), list):
        return ", ".join(map(str, kwargs["column_list"]))
    return ""


def _partial_values(details: Mapping[str, Any], limit: int = 5) -> str:
    counts = details.get("partial_unexpected_counts")
    if isinstance(counts, list) and counts:
        shown = [
            f"{_value(c.get('value'))} (x{c.get('count', '?')})"
            for c in counts[:limit]
            if isinstance(c, Mapping)
        ]
        return _short(", ".join(shown))
    values = details.get("partial_unexpected_list")
    if isinstance(values, list) and values:
        unique: list[str] = []
        for value in values:
            text = _value(value)
            if text not in unique:
                unique.append(text)
        return _short(", ".join(unique[:limit]))
    return ""


def _value(value: object) -> str:
    return "null" if value is None else json.dumps(value, default=str)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error(info: object) -> str | None:
    """The message of an expectation that raised. 0.x and 1.x keep one ``exception_info``;
    1.x may key several by metric."""
    if not isinstance(info, Mapping):
        return None
    found = [info] if "raised_exception" in info else list(info.values())
    for entry in found:
        if isinstance(entry, Mapping) and entry.get("raised_exception"):
            message = entry.get("exception_message") or "raised an exception"
            return _short(" ".join(str(message).split()))
    return None


def _parse_time(value: object) -> datetime | None:
    """GE writes ISO times (1.x) or ``20240131T120000.000000Z`` (0.x run ids and markers)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(value, "%Y%m%dT%H%M%S.%fZ")
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the check -----------------------------------------------------------------------------------


def _label(record: ExpectationRecord) -> str:
    where = f" on {record.column}" if record.column else ""
    if record.error:
        return f"{record.type}{where} (raised: {_short(record.error, 60)})"
    if record.unexpected_count is not None:
        percent = (
            f", {record.unexpected_percent:.3g}%" if record.unexpected_percent is not None else ""
        )
        return f"{record.type}{where} ({record.unexpected_count} unexpected{percent})"
    if record.observed:
        return f"{record.type}{where} (observed {_short(record.observed, 40)})"
    return f"{record.type}{where}"


def _failed_table(failures: Iterable[ExpectationRecord], max_rows: int) -> Table:
    return Table.build(
        "Failed expectations",
        [
            "suite",
            "expectation",
            "column",
            "severity",
            "unexpected count",
            "unexpected %",
            "partial unexpected values",
            "observed / error",
        ],
        [
            (
                r.suite,
                r.type,
                r.column,
                r.severity,
                r.unexpected_count,
                None if r.unexpected_percent is None else round(r.unexpected_percent, 4),
                r.partial_unexpected,
                r.error or r.observed,
            )
            for r in failures
        ],
        chart="unexpected %",
        max_rows=max_rows,
    )


def _validations_table(validations: Sequence[ValidationRecord], max_rows: int) -> Table:
    return Table.build(
        "Validations",
        ["suite", "data asset", "run time (UTC)", "expectations", "failed", "GE success"],
        [
            (
                v.suite,
                v.asset,
                v.run_time.astimezone(UTC).isoformat(timespec="seconds") if v.run_time else "",
                len(v.expectations),
                sum(not e.success for e in v.expectations),
                v.success,
            )
            for v in validations
        ],
        max_rows=max_rows,
    )


@register_check(*RUBRIC_IDS)
def check_great_expectations_result(
    result: object,
    *,
    min_expectations: int = 1,
    ignore_severities: Sequence[str] = (),
    max_age_days: float | None = None,
    now: datetime | None = None,
    max_table_rows: int = 50,
) -> CheckResult:
    """Record a Great Expectations checkpoint or validation result; its failed expectations fail it.

    Teams that already validate data with Great Expectations earn data-1 (expectations are
    captured) and monitor-2 (data keeps to them) from the results they produce. ``result`` is
    a GE 1.x ``CheckpointResult`` or ``ExpectationSuiteValidationResult``, a dict or JSON
    text of either (``describe()``, ``to_json_dict()``), a path to such a JSON file, or the
    0.x JSON layouts. It passes when every expectation succeeded; every failed one is listed
    (type, column, unexpected count and percent, partial unexpected values). A result with
    fewer than ``min_expectations`` expectations fails: it proves nothing. Failures whose
    severity is in ``ignore_severities`` (GE 1.x: ``"warning"``, ``"info"``) are listed but
    tolerated. With ``max_age_days`` a result older than that fails: stale evidence says
    nothing about today's data.
    """
    if min_expectations < 0:
        raise CheckInputError("min_expectations", f"must be >= 0, got {min_expectations}")
    if isinstance(ignore_severities, str):
        raise CheckInputError("ignore_severities", "must be a list of severities, not a string")
    source = (
        str(result)
        if isinstance(result, str | os.PathLike) and _looks_like_path(result)
        else type(result).__name__
    )
    layout, validations = read_validations(result)
    expectations = [e for v in validations for e in v.expectations]
    failures = [e for e in expectations if not e.success]
    tolerated = [e for e in failures if e.severity in set(ignore_severities)]
    counted = [e for e in failures if e.severity not in set(ignore_severities)]
    raised = [e for e in failures if e.error]
    unflagged = [
        v for v in validations if v.success is False and all(e.success for e in v.expectations)
    ]
    times = [v.run_time for v in validations if v.run_time is not None]
    newest = max(times) if times else None
    age_days = ((now or datetime.now(UTC)) - newest).total_seconds() / 86400 if newest else None
    suites = sorted({v.suite for v in validations if v.suite})
    kw: dict[str, Any] = {
        "measurements": {
            "validations": len(validations),
            "expectations_evaluated": len(expectations),
            "expectations_failed": len(counted),
            "expectations_failed_tolerated": len(tolerated),
            "expectations_raised": len(raised),
            "success_percent": round(100 * (1 - len(failures) / len(expectations)), 3)
            if expectations
            else None,
            "age_days": None if age_days is None else round(age_days, 3),
        },
        "thresholds": {
            "min_expectations": min_expectations,
            "max_age_days": max_age_days,
            "ignore_severities": ", ".join(ignore_severities) or None,
        },
        "parameters": {
            "source": source,
            "layout": layout,
            "suites": ", ".join(suites),
            "great_expectations_version": next(
                (v.ge_version for v in validations if v.ge_version), None
            ),
            "newest_run_time": newest.astimezone(UTC).isoformat(timespec="seconds")
            if newest
            else None,
        },
        "tables": [
            *([_failed_table(failures, max_table_rows)] if failures else []),
            _validations_table(validations, max_table_rows),
        ],
    }
    suite_text = (
        f"suite{'s' if len(suites) > 1 else ''} {', '.join(suites)}"
        if suites
        else "the result (no suite name recorded)"
    )
    if len(expectations) < min_expectations:
        return CheckResult.failed(
            CHECK_NAME,
            RUBRIC_IDS,
            f"only {len(expectations)} expectation(s) evaluated in {suite_text} (at least "
            f"{min_expectations} needed): the result proves nothing about the data",
            **kw,
        )
    if max_age_days is not None:
        if age_days is None:
            return CheckResult.failed(
                CHECK_NAME,
                RUBRIC_IDS,
                f"max_age_days={max_age_days:g} is set but the result ({layout}) records no "
                "run time",
                **kw,
            )
        if age_days > max_age_days:
            return CheckResult.failed(
                CHECK_NAME,
                RUBRIC_IDS,
                f"the newest validation of {suite_text} is {age_days:.1f} days old, older than "
                f"max_age_days={max_age_days:g}",
                **kw,
            )
    if counted:
        listed = "; ".join(_label(e) for e in counted[:3])
        more = f"; and {len(counted) - 3} more" if len(counted) > 3 else ""
        return CheckResult.failed(
            CHECK_NAME,
            RUBRIC_IDS,
            f"{len(counted)} of {len(expectations)} expectations failed in {suite_text}: "
            f"{listed}{more}",
            **kw,
        )
    if unflagged:
        return CheckResult.failed(
            CHECK_NAME,
            RUBRIC_IDS,
            f"Great Expectations marks {len(unflagged)} validation(s) of {suite_text} "
            "unsuccessful without a failed expectation in the result",
            **kw,
        )
    extra = (
        f" ({len(tolerated)} {'/'.join(ignore_severities)} failure(s) tolerated)"
        if tolerated
        else ""
    )
    return CheckResult.passed(
        CHECK_NAME,
        RUBRIC_IDS,
        f"all {len(expectations)} expectations passed in {len(validations)} validation(s) of "
        f"{suite_text}{extra}",
        **kw,
    )


def _looks_like_path(value: str | os.PathLike[str]) -> bool:
    return isinstance(value, os.PathLike) or not value.lstrip().startswith(("{", "["))
