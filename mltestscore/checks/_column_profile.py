"""What schema inference knows about one column, whichever engine computed it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ColumnProfile:
    """What inference needs to know about one column: its type as pandas holds it and a few
    aggregates. Computed from a pandas Series (``schema.profile_series``) or in the engine
    for a large source (:mod:`mltestscore.checks._lazy_schema`), so both paths write the same
    expectations (:func:`mltestscore.checks.schema.infer_schema`).

    ``counts`` (value -> count of the non-null values) is None when the column has more
    than ``max_categories`` distinct values or is numeric or a time; ``unique`` is None
    when the column is not id-like (not asked). ``decimal`` marks a column of exact decimal
    numbers (held by pandas as ``decimal.Decimal`` objects): it is profiled as a number, its
    ``low`` and ``high`` rounded outward to the nearest floats (see :func:`float_at_or_below`).
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
    decimal: bool = False


def float_at_or_below(value: Any) -> float:
    """The largest float not above ``value``: a decimal's minimum written as a float bound
    keeps the decimal inside it, whether a comparison is exact (Python's ``Decimal < float``)
    or on the value's nearest float (Spark, DuckDB, Polars). Floats are returned as they are;
    None (no value) is NaN."""
    if value is None:
        return math.nan
    rounded = float(value)
    if isinstance(value, Decimal) and math.isfinite(rounded) and Decimal(rounded) > value:
        rounded = math.nextafter(rounded, -math.inf)
    return rounded


def float_at_or_above(value: Any) -> float:
    """The smallest float not below ``value`` (see :func:`float_at_or_below`)."""
    if value is None:
        return math.nan
    rounded = float(value)
    if isinstance(value, Decimal) and math.isfinite(rounded) and Decimal(rounded) < value:
        rounded = math.nextafter(rounded, math.inf)
    return rounded


# Values pandas holds for nested and binary columns (lists, arrays, structs, maps, bytes):
# inference writes only their missing-value expectation (docs/bigdata.md).
OPAQUE_TYPES: tuple[type, ...] = (list, tuple, dict, bytes, bytearray)
