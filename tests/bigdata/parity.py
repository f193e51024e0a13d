"""What "the same verdict and figures" means across engines, in one place."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mltestscore.checks.result import CheckResult

# Counts are exact in every engine, so the statistics agree up to floating-point summation
# order (means and standard deviations are summed in a different order by each engine).
RELATIVE_TOLERANCE = 1e-9
WHERE = (
    "engine",
    "rows_scanned",
    "rows_sampled",
    "bytes_read",
    "bytes_read_note",
    "great_expectations_sample_rows",
)


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


def assert_engine_sample(frame: Any, rows: int, engine: str, root: Path) -> None:
    """A suite whose training data is ``frame`` (an engine's DataFrame of ``rows`` rows, from
    a ``module:callable``) gives the model checks a seeded sample of the configured size drawn
    by the engine, says so (engine, rows, sample size, seed), and gives the data checks the
    engine's frame itself."""
    from mltestscore.checks import _frames
    from mltestscore.suite.config import Source, SuiteConfig
    from mltestscore.suite.context import SuiteContext

    config = SuiteConfig(
        source="pyproject.toml",
        root=root,
        data={"train": Source("train", "data:train", function=lambda: frame)},
        target="income",
    )
    context = SuiteContext(config)
    size = 300
    original, _frames.MODEL_SAMPLE_SIZE = _frames.MODEL_SAMPLE_SIZE, size
    try:
        sample = context.frame("train")
    finally:
        _frames.MODEL_SAMPLE_SIZE = original
    assert len(sample) == size
    assert context.samples["train"] == {
        "engine": engine,
        "rows": rows,
        "sample_size": size,
        "seed": 0,
        "bytes_read": None,  # a frame built in memory
        "bytes_read_note": "the data is in the engine's memory, not read from Parquet files",
    }
    assert context.data("train") is frame
    assert sorted(context.labels("train").unique()) == [0, 1]
