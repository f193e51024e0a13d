"""What schema inference knows about one column, whichever engine computed it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ColumnProfile:
    """What inference needs to know about one column: its type as pandas holds it and a few
    aggregates. Computed from a pandas Series (``schema.profile_series``) or in the engine
    for a large source (:mod:`mltestscore.checks._lazy_schema`), so both paths write the same
    expectations (:func:`mltestscore.checks.schema.infer_schema`).

    ``counts`` (value -> count of the non-null values) is None when the column has more
    than ``max_categories`` distinct values or is numeric or a time; ``unique`` is None
    when the column is not id-like (not asked).
    """

    dtype: Any
    rows: int
    nulls: int
    all_str: bool = False
    unique: bool | None = None
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    counts: Mapping[Any, int] | None = None
