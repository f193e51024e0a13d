"""deepchecks results -> ML Test Score evidence, one CheckResult per mapped deepchecks check.

Reads a deepchecks ``SuiteResult`` / ``CheckResult`` / ``CheckFailure`` object, its JSON
(``to_json(with_display=False)``) as text or a dict, or a path to a saved JSON file. Objects
are turned into that same JSON first, so a live run and a saved one read identically.
deepchecks itself is never imported here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mltestscore import recording
from mltestscore.checks.result import CheckResult, Table
from mltestscore_deepchecks.mapping import DeepchecksMapping, default_mapping

_RANK = {"PASS": 0, "WARN": 1, "FAIL": 2, "ERROR": 3}
MAX_MEASUREMENTS = 20


class DeepchecksInputError(ValueError):
    """The input is not a deepchecks result; the message names the argument or file."""


def load_results(result: object) -> tuple[str, list[Mapping[str, Any]]]:
    """The suite name and the list of deepchecks result dicts in ``result``."""
    if isinstance(result, os.PathLike) or (
        isinstance(result, str) and not result.lstrip().startswith(("{", "["))
    ):
        path = Path(result)
        if not path.is_file():
            raise DeepchecksInputError(f"{path}: no such file")
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DeepchecksInputError(f"{path}: is not a JSON file ({exc})") from None
        where = str(path)
    elif isinstance(result, str):
        try:
            data = json.loads(result)
        except ValueError as exc:
            raise DeepchecksInputError(f"result: is not valid JSON ({exc})") from None
        where = "result"
    elif callable(getattr(result, "to_json", None)):
        data = json.loads(result.to_json(with_display=False))  # type: ignore[attr-defined]
        where = "result"
    else:
        data, where = result, "result"
    if isinstance(data, str):  # deepchecks' to_json of a single check is a JSON string
        data = json.loads(data)
    if isinstance(data, Mapping) and isinstance(data.get("results"), list):
        return str(data.get("name", "")), [r for r in data["results"] if isinstance(r, Mapping)]
    if isinstance(data, Mapping) and data.get("type") in {"CheckResult", "CheckFailure"}:
        return "", [dict(data)]
    found = (
        ", ".join(sorted(map(str, data))[:8]) if isinstance(data, Mapping) else type(data).__name__
    )
    raise DeepchecksInputError(
        f"{where}: is not a deepchecks suite or check result (expected 'results' or a "
        f"'type' of CheckResult/CheckFailure; found {found})"
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _scalars(value: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, Any]]:
    """Scalar values inside a deepchecks ``value`` (numpy scalars are {dtype, value})."""
    if isinstance(value, Mapping) and set(value) == {"dtype", "value"}:
        return [(prefix, value["value"])]
    if isinstance(value, bool | int | float) or value is None:
        return [(prefix, value)] if prefix else []
    if isinstance(value, Mapping) and depth < 3:
        found: list[tuple[str, Any]] = []
        for key, inner in value.items():
            if str(key).startswith("_"):  # serialized enum internals, not values
                continue
            found.extend(_scalars(inner, f"{prefix}.{key}" if prefix else str(key), depth + 1))
        return found
    return []


def _records(value: Any) -> list[Mapping[str, Any]]:
    """A DataFrame value (deepchecks stores it as JSON records text)."""
    if isinstance(value, str) and value.startswith("[{"):
        try:
            rows = json.loads(value)
        except ValueError:
            return []
        return [r for r in rows if isinstance(r, Mapping)]
    return []


def to_check_result(
    entry: Mapping[str, Any], mapping: DeepchecksMapping, rubric_ids: Sequence[str]
) -> CheckResult:
    """One deepchecks result as one CheckResult for ``rubric_ids``."""
    check = _mapping(entry.get("check"))
    name = str(check.get("name") or entry.get("header") or "?")
    header = str(entry.get("header") or name)
    label = f"deepchecks: {header}"
    params = {
        f"deepchecks.{k}": v
        for k, v in dict(check.get("params") or {}).items()
        if isinstance(v, str | int | float | bool)
    }
    if entry.get("type") == "CheckFailure":
        message = " ".join(str(entry.get("exception") or "failed to run").split())
        if mapping.does_not_apply(message):
            return CheckResult.not_applicable(
                label,
                rubric_ids,
                f"deepchecks {header} does not apply: {message}",
                parameters=params,
            )
        return CheckResult.error(
            label, rubric_ids, f"deepchecks {header} raised: {message}", parameters=params
        )
    conditions = [c for c in entry.get("conditions_results") or [] if isinstance(c, Mapping)]
    value = entry.get("value")
    measurements = dict(_scalars(value)[:MAX_MEASUREMENTS])
    tables = []
    if conditions:
        tables.append(
            Table.build(
                f"deepchecks conditions: {header}",
                ["status", "condition", "more info"],
                [(c.get("Status"), c.get("Condition"), c.get("More Info")) for c in conditions],
            )
        )
    records = _records(value)
    if records:
        columns = list(records[0])[:8]
        tables.append(
            Table.build(
                f"deepchecks value: {header}",
                columns,
                [[r.get(c) for c in columns] for r in records],
                max_rows=15,
            )
        )
    kw: dict[str, Any] = {"measurements": measurements, "parameters": params, "tables": tables}
    if not conditions:
        return CheckResult.not_applicable(
            label,
            rubric_ids,
            f"deepchecks {header} ran without conditions: nothing to pass or fail",
            **kw,
        )
    worst = max(conditions, key=lambda c: _RANK.get(str(c.get("Status", "ERROR")).upper(), 3))
    status = str(worst.get("Status", "ERROR")).upper()
    outcome = mapping.status_outcomes.get(status, "error")
    statuses = ", ".join(
        f"{n} {s}"
        for s in ("PASS", "WARN", "FAIL", "ERROR")
        if (n := sum(str(c.get("Status")).upper() == s for c in conditions))
    )
    reason = (
        f"deepchecks {header}: {status} ({statuses}): {worst.get('Condition', '')}: "
        f"{worst.get('More Info', '')}"
    )
    kw["measurements"] = {"deepchecks_status": status, **measurements}
    constructor = {
        "passed": CheckResult.passed,
        "failed": CheckResult.failed,
        "error": CheckResult.error,
        "not_applicable": CheckResult.not_applicable,
    }[outcome]
    return constructor(label, rubric_ids, reason, **kw)


def deepchecks_evidence(
    result: object,
    *,
    mapping: DeepchecksMapping | None = None,
    record: bool = True,
) -> list[CheckResult]:
    """Every mapped deepchecks check in ``result`` as a CheckResult for its rubric items.

    Inside ``pytest --mlscore`` each one is recorded as evidence (``record=False`` to only
    return them). Unmapped deepchecks checks are left out. Bad input (a missing or non-JSON
    file, another layout) gives one ``error`` result for every rubric item of the mapping,
    naming the file or argument: the evidence a team relies on is broken, and the scorecard
    must say so.
    """
    mapping = mapping or default_mapping()
    try:
        _, entries = load_results(result)
        results = []
        for entry in entries:
            check = _mapping(entry.get("check"))
            ids = mapping.rubric_ids(str(check.get("name") or ""))
            if ids:
                results.append(to_check_result(entry, mapping, ids))
    except DeepchecksInputError as exc:
        results = [CheckResult.error("deepchecks", mapping.all_rubric_ids(), f"bad input, {exc}")]
    except Exception as exc:  # an adapter never crashes the session
        results = [
            CheckResult.error(
                "deepchecks",
                mapping.all_rubric_ids(),
                f"reading the result raised {type(exc).__name__}: {exc}",
            )
        ]
    if record:
        for item in results:
            recording.record_check(item.to_dict())
    return results


def assert_evidence_ok(results: Sequence[CheckResult]) -> None:
    """Fail (one message listing every failed or errored check) unless none failed."""
    __tracebackhide__ = True
    bad = [r for r in results if r.outcome.value in {"failed", "error"}]
    if bad:
        raise AssertionError("\n".join(r.summary() for r in bad))
