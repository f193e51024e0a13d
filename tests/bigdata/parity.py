"""What "the same verdict and figures" means across engines, in one place."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mltestscore.checks.result import CheckResult

# Counts are exact in every engine, so the statistics agree up to floating-point summation
# order (means and standard deviations are summed in a different order by each engine).
RELATIVE_TOLERANCE = 1e-9
WHERE = ("engine", "rows_scanned", "rows_sampled", "bytes_read", "great_expectations_sample_rows")


def assert_same_result(expected: CheckResult, actual: CheckResult) -> None:
    """Same outcome, same measurements (the engine's own bookkeeping aside) and the same
    tables, numbers within :data:`RELATIVE_TOLERANCE`."""
    assert actual.outcome == expected.outcome, (expected.reason, actual.reason)
    keys = set(expected.measurements) - set(WHERE)
    assert keys == set(actual.measurements) - set(WHERE)
    for key in keys:
        _assert_close(expected.measurements[key], actual.measurements[key], key)
    assert len(expected.tables) == len(actual.tables)
    for mine, theirs in zip(expected.tables, actual.tables, strict=True):
        assert mine.columns == theirs.columns
        by_key = _keyed(theirs.rows)
        assert set(by_key) == set(_keyed(mine.rows))
        for key, row in _keyed(mine.rows).items():
            for a, b in zip(row, by_key[key], strict=True):
                _assert_close(a, b, f"{key}")


def _keyed(rows: Sequence[Sequence[Any]]) -> dict[tuple[Any, ...], Sequence[Any]]:
    """Rows by their leading text cells (a feature; an expectation type and its column) and,
    for rows that share them (two ranges of one column), their order."""
    keyed: dict[tuple[Any, ...], Sequence[Any]] = {}
    for row in rows:
        lead: list[Any] = []
        for cell in row[:2]:
            if not isinstance(cell, str):
                break
            lead.append(cell)
        n = 0
        while (*lead, n) in keyed:
            n += 1
        keyed[(*lead, n)] = row
    return keyed


def _assert_close(a: Any, b: Any, where: str) -> None:
    if isinstance(a, float) and isinstance(b, float | int):
        assert math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12), (where, a, b)
    else:
        assert a == b, (where, a, b)
