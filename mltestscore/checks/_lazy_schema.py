"""Schema inference and validation computed in the engine that holds a large source.

``infer_schema`` and ``check_schema`` (data-1, monitor-2) on a folder of Parquet files, a glob,
a Polars, DuckDB, pyarrow, Spark or Dask frame (docs/bigdata.md): the aggregates they need (null
counts, minimum, maximum, mean and standard deviation, distinct counts, the category domains
of columns with few values, the count of values outside each expectation and the few most
frequent of them) are narwhals expressions run by the engine; only those aggregates and at
most ``max_categories + 1`` groups per column come back to Python. The judging is the pandas
path's own (:mod:`mltestscore.checks.schema`, :mod:`mltestscore.checks._expectations`), so
the expectations and verdicts are the same.

A column's type is the one pandas gives the same data read from Parquet: an integer column
with a missing value is float64 there, a boolean one with a missing value holds Python
objects, text is pandas' default string type; Spark's TIMESTAMP is a naive time, as Spark's
``toPandas`` gives it. A float NaN counts as missing, as in pandas.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mltestscore.checks._column_profile import (
    ColumnProfile,
    float_at_or_above,
    float_at_or_below,
)
from mltestscore.checks._expectations import (
    FAST,
    ExpectationOutcome,
    _describe_columns,
    _mostly_ok,
    _native_types,
    dtype_outcome,
    evaluate,
    is_supported,
)
from mltestscore.checks.result import python_value

if TYPE_CHECKING:
    import narwhals as nw

    from mltestscore.checks._frames import Scan

# Expectations the engine path does not compute (types it does not implement, options such
# as row_condition) are evaluated by Great Expectations on an engine-drawn sample this large.
FALLBACK_SAMPLE_SIZE = 100_000
_COUNT = "__mltestscore_count"
_INDEX = "__mltestscore_column"
_VALUE = "__mltestscore_value"
_NOT_NULL = "expect_column_values_to_not_be_null"
_TYPE_KINDS = {"expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list"}


# --- types -----------------------------------------------------------------------------------


def pandas_dtype(dtype: Any, nulls: int) -> Any:
    """The pandas dtype of a column of this narwhals dtype once read from Parquet, or
    ``object`` for types read as Python objects (dates, decimals, lists, structs, bytes)."""
    import narwhals as nw
    import numpy as np
    import pandas as pd

    if dtype == nw.Boolean:
        return np.dtype(bool) if nulls == 0 else np.dtype(object)
    if dtype.is_integer():
        return np.dtype(str(dtype).lower()) if nulls == 0 else np.dtype("float64")
    if dtype.is_float():
        return np.dtype(str(dtype).lower())
    if dtype == nw.String:
        return pd.Series(["text"]).dtype  # object in pandas 2, the string dtype in pandas 3
    if isinstance(dtype, nw.Categorical | nw.Enum):
        return pd.CategoricalDtype()
    if isinstance(dtype, nw.Datetime):
        unit = dtype.time_unit
        if dtype.time_zone is not None:
            return pd.DatetimeTZDtype(unit=unit, tz=dtype.time_zone)
        return np.dtype(f"datetime64[{unit}]")
    return np.dtype(object)


def _column_types(scan: Scan) -> dict[str, Any]:
    """The scan's narwhals dtypes; Spark's TIMESTAMP (an instant shown in the session's time
    zone) is a naive time, as Spark's own ``toPandas`` gives it."""
    import narwhals as nw

    dtypes = scan.dtypes()
    if scan.engine != "spark":
        return dtypes
    return {
        name: nw.Datetime(dtype.time_unit) if isinstance(dtype, nw.Datetime) else dtype
        for name, dtype in dtypes.items()
    }


def _python_type(dtype: Any) -> type | None:
    """The Python type of every value of an ``object`` column of this narwhals dtype."""
    import narwhals as nw

    if dtype == nw.Boolean:
        return bool
    if dtype == nw.String:
        return str
    return None


def _has_domain(dtype: Any) -> bool:
    """Whether inference counts this column's values (text, categories, booleans). Dates
    and times have no domain: tomorrow's date is not an unseen category."""
    import narwhals as nw

    return dtype in (nw.String, nw.Boolean) or isinstance(dtype, nw.Categorical | nw.Enum)


def _valid(column: str, dtype: Any) -> nw.Expr:
    """Not missing, as pandas counts it (a float NaN is missing)."""
    import narwhals as nw

    present = ~nw.col(column).is_null()
    return present & ~nw.col(column).is_nan() if dtype.is_float() else present


def _count(expression: nw.Expr, name: str) -> nw.Expr:
    import narwhals as nw

    return expression.cast(nw.Int64).sum().alias(name)


# --- inference -------------------------------------------------------------------------------


def profile_scan(
    scan: Scan, columns: Sequence[str], is_id: Callable[[str], bool], max_categories: int
) -> dict[str, ColumnProfile]:
    """The :class:`~mltestscore.checks._column_profile.ColumnProfile` of each column in two
    queries: one aggregate pass (rows; per column the missing count; for numbers the
    minimum, maximum, mean and standard deviation; for id-like columns the distinct count),
    then one query counting the values of every text, category or boolean column, at
    most ``max_categories + 1`` groups each (more means the column has no domain).

    No distinct count is taken of the other columns: an exact one costs a pass of its own in
    Spark (its planner expands the rows once per distinct count) and memory in Polars, and
    the capped group count answers the only question asked of it, whether a column has at
    most ``max_categories`` values, exactly. The id-like columns' counts are a third query
    on Spark and Polars (:func:`_distinct_counts`).
    """
    import narwhals as nw
    import pandas as pd

    dtypes = _column_types(scan)
    ids = [c for c in columns if _is_id_like(c, dtypes[c], is_id)]
    # The id-like columns' distinct counts are a query of their own on Spark and Polars.
    # Spark plans a distinct count beside other aggregates by grouping the whole pass by the
    # counted column (several: by expanding every row once per count). Polars' in-memory
    # engine holds the columns of a select with n_unique in it: at 10M rows x 20 columns
    # inference peaked at 2.4-2.8 GiB with 5-20 distinct counts in the pass, 0.7-0.9 GiB with
    # them apart (docs/bigdata.md)
    apart = scan.engine in ("spark", "polars")
    expressions: list[nw.Expr] = [nw.len().alias("rows")]
    for i, column in enumerate(columns):
        dtype = dtypes[column]
        valid = _valid(column, dtype)
        expressions.append(_count(~valid, f"nulls{i}"))
        if column in ids and not apart:
            expressions.append(nw.col(column).n_unique().alias(f"distinct{i}"))
        if _is_numeric_column(dtype):
            value = nw.when(valid).then(nw.col(column).cast(nw.Float64))
            if isinstance(dtype, nw.Decimal):  # the exact extremes, rounded outward below
                expressions.append(nw.col(column).min().alias(f"low{i}"))
                expressions.append(nw.col(column).max().alias(f"high{i}"))
            else:
                expressions.append(value.min().alias(f"low{i}"))
                expressions.append(value.max().alias(f"high{i}"))
            expressions.append(value.mean().alias(f"mean{i}"))
            expressions.append(value.std(ddof=1).alias(f"sd{i}"))
    found = scan.aggregate(expressions)
    if apart and ids:
        found.update(_distinct_counts(scan, columns, ids))
    rows = int(found["rows"])
    scan._rows = rows
    nulls = {column: int(found[f"nulls{i}"]) for i, column in enumerate(columns)}
    unique: dict[str, bool] = {}
    for i, column in enumerate(columns):
        if column in ids:
            distinct = int(found[f"distinct{i}"]) - (1 if nulls[column] else 0)
            unique[column] = distinct == rows - nulls[column]
    grouped = [
        c
        for c in columns
        if _has_domain(dtypes[c]) and nulls[c] < rows and not unique.get(c, False)
    ]
    counts = _value_counts(scan, grouped, dtypes, max_categories)
    profiles: dict[str, ColumnProfile] = {}
    for i, column in enumerate(columns):
        dtype = dtypes[column]
        pandas_type = pandas_dtype(dtype, nulls[column])
        all_str = _python_type(dtype) is str and not isinstance(pandas_type, pd.StringDtype)
        figures: dict[str, Any] = {}
        if _is_numeric_column(dtype) and nulls[column] < rows:
            figures = {name: _float(found[f"{name}{i}"]) for name in ("mean", "sd")}
            figures["low"] = float_at_or_below(found[f"low{i}"])
            figures["high"] = float_at_or_above(found[f"high{i}"])
        profiles[column] = ColumnProfile(
            pandas_type,
            rows,
            nulls[column],
            all_str,
            unique.get(column),
            counts=counts.get(column),
            decimal=isinstance(dtype, nw.Decimal),
            **figures,
        )
    return profiles


def _distinct_counts(scan: Scan, columns: Sequence[str], ids: Sequence[str]) -> dict[str, int]:
    """The distinct count (missing counted as one value, as ``n_unique``) of each id-like
    column, keyed ``distinct{i}`` by the column's place in ``columns``, in one query: one
    aggregate per column, stacked, so each holds a single distinct count (a Spark plan
    without ``Expand``)."""
    import narwhals as nw

    parts = [
        scan.frame.select(nw.col(column).n_unique().cast(nw.Int64).alias(_COUNT)).with_columns(
            nw.lit(columns.index(column), nw.Int64()).alias(_INDEX)
        )
        for column in ids
    ]
    table = scan.collect(nw.concat(parts, how="vertical") if len(parts) > 1 else parts[0])
    return {f"distinct{int(i)}": int(n) for i, n in zip(table[_INDEX], table[_COUNT], strict=True)}


def _is_id_like(column: str, dtype: Any, is_id: Callable[[str], bool]) -> bool:
    """An id-like column whose uniqueness inference checks: not a list, struct, map or bytes
    (pandas cannot hash their values, and no engine promises to compare them)."""
    import narwhals as nw

    scalar = (
        _is_numeric_column(dtype) or _has_domain(dtype) or dtype == nw.Date or dtype.is_temporal()
    )
    return scalar and is_id(column)


def _is_numeric_column(dtype: Any) -> bool:
    """Whether inference profiles the column as a number (decimals included)."""
    import narwhals as nw

    return bool(dtype.is_numeric()) and dtype != nw.Boolean


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _value_counts(
    scan: Scan, columns: Sequence[str], dtypes: Mapping[str, Any], limit: int
) -> dict[str, dict[Any, int]]:
    """The counts of the non-missing values of each column that has at most ``limit`` of
    them, in one query: per column a group count cut at ``limit + 1`` groups, the columns'
    results stacked (each value in a column of its own, so every type comes back as it is)."""
    import narwhals as nw

    if not columns:
        return {}
    parts = [
        scan.frame.filter(_valid(column, dtypes[column]))
        .group_by(column)
        .agg(nw.len().alias(_COUNT))
        .head(limit + 1)
        .select(
            nw.lit(j, nw.Int64()).alias(_INDEX),
            nw.col(column).alias(f"{_VALUE}{j}"),
            nw.col(_COUNT).cast(nw.Int64),
        )
        for j, column in enumerate(columns)
    ]
    table = scan.collect(nw.concat(parts, how="diagonal") if len(parts) > 1 else parts[0])
    found: dict[str, dict[Any, int]] = {}
    for j, column in enumerate(columns):
        mine = table[table[_INDEX] == j]
        if len(mine) <= limit:
            values, numbers = mine[f"{_VALUE}{j}"], mine[_COUNT]
            found[column] = {python_value(v): int(n) for v, n in zip(values, numbers, strict=True)}
    return found


# --- validation ------------------------------------------------------------------------------


def evaluate_scan(
    scan: Scan, expectations: Sequence[Mapping[str, Any]], *, engine: str, max_examples: int
) -> tuple[list[ExpectationOutcome], int]:
    """Each expectation's outcome, in order, and the rows of the sample Great Expectations
    judged the expectations the engine does not compute (0 when there were none)."""
    columns = scan.columns
    dtypes = _column_types(scan)
    outcomes: dict[int, ExpectationOutcome] = {}
    counted: dict[int, tuple[Mapping[str, Any], nw.Expr]] = {}
    fallback: list[int] = []
    for index, expectation in enumerate(expectations):
        if engine != "auto" or not is_supported(expectation):
            fallback.append(index)
            continue
        planned = _plan(expectation, columns, dtypes)
        if isinstance(planned, ExpectationOutcome):
            outcomes[index] = planned
        elif planned is None:
            fallback.append(index)
        else:
            counted[index] = (expectation, planned)
    done, late = _counted(scan, counted, dtypes, max_examples)
    outcomes.update(done)
    fallback = sorted(fallback + late)
    sampled = 0
    if fallback:
        sample = scan.sample(FALLBACK_SAMPLE_SIZE, 0)
        sampled = len(sample)
        chosen = [expectations[i] for i in fallback]
        found = evaluate(sample, chosen, engine="great_expectations", max_examples=max_examples)
        outcomes.update(zip(fallback, found, strict=True))
    return [outcomes[i] for i in range(len(expectations))], sampled


def _kwargs(expectation: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in dict(expectation.get("kwargs", {})).items() if v is not None}


def _plan(
    expectation: Mapping[str, Any], columns: Sequence[str], dtypes: Mapping[str, Any]
) -> ExpectationOutcome | nw.Expr | None:
    """The outcome when no data is needed (columns, a missing column, a dtype comparison,
    an expectation that cannot apply), else the mask of the unexpected values to count in
    the engine; None for what the engine does not compute (left to Great Expectations)."""
    import narwhals as nw

    kind = str(expectation["type"])
    kwargs = _kwargs(expectation)
    meta = dict(expectation.get("meta") or {})
    if kind.startswith("expect_table_columns_to_match"):
        expected = [str(c) for c in kwargs.get("column_list", kwargs.get("column_set", []))]
        if kind.endswith("ordered_list"):
            ok = expected == list(columns)
        else:
            missing, extra = set(expected) - set(columns), set(columns) - set(expected)
            ok = not missing and (not extra or not kwargs.get("exact_match", True))
        observed = _describe_columns(expected, columns)
        return ExpectationOutcome(kind, kwargs, ok, FAST, observed=observed, meta=meta)
    column = str(kwargs["column"])
    if column not in columns:
        observed = f"column {column!r} is missing"
        return ExpectationOutcome(kind, kwargs, False, FAST, observed=observed, meta=meta)
    if kind == "expect_column_to_exist":
        return ExpectationOutcome(kind, kwargs, True, FAST, observed="present", meta=meta)
    dtype = dtypes[column]
    valid = _valid(column, dtype)
    if kind == _NOT_NULL:
        return ~valid
    if kind in _TYPE_KINDS:
        return valid  # judged by dtype and null count in _type_outcome
    if kind == "expect_column_values_to_be_between":
        return _between_plan(kind, kwargs, meta, dtype, valid)
    if kind == "expect_column_values_to_be_in_set":
        wanted = _comparable(list(kwargs["value_set"]), dtype)
        if wanted is None:
            return None
        return valid & ~nw.col(column).is_in(wanted) if wanted else valid
    if kind == "expect_column_values_to_be_unique":
        return valid  # counted by _duplicates
    return None


def _type_outcome(
    kind: str, kwargs: dict[str, Any], meta: dict[str, Any], dtype: Any, nulls: int, present: int
) -> ExpectationOutcome | int | None:
    """As :func:`mltestscore.checks._expectations._types` judges the pandas dtype: an outcome,
    or for an ``object`` column (whose values are all of one Python type here) the count of
    unexpected values (all or none); None when the engine cannot say."""
    import numpy as np

    names = [str(kwargs["type_"])] if kind.endswith("of_type") else list(kwargs["type_list"])
    target = pandas_dtype(dtype, nulls)
    if target == np.dtype(object) and not set(names) & {"object", "object_", "O"}:
        value_type = _python_type(dtype)
        if value_type is None:
            return None
        natives = tuple(t for name in names for t in _native_types(name))
        return 0 if issubclass(value_type, natives) else present
    return dtype_outcome(kind, kwargs, meta, target, names)


def _between_plan(
    kind: str, kwargs: dict[str, Any], meta: dict[str, Any], dtype: Any, valid: nw.Expr
) -> ExpectationOutcome | nw.Expr | None:
    import narwhals as nw

    column = str(kwargs["column"])
    if not dtype.is_numeric() or dtype == nw.Boolean:
        pandas_type = pandas_dtype(dtype, 0)
        error = f"TypeError: column {column!r} is not numeric (dtype {pandas_type})"
        return ExpectationOutcome(kind, kwargs, False, FAST, error=error, meta=meta)
    bounds = [kwargs.get(k) for k in ("min_value", "max_value")]
    if not all(b is None or _is_number(b) for b in bounds):
        return None
    # a decimal is compared as its nearest float, as pandas compares it (and Spark or DuckDB
    # would when a decimal meets a float bound)
    x = nw.col(column).cast(nw.Float64) if isinstance(dtype, nw.Decimal) else nw.col(column)
    bad = nw.lit(False)
    if "min_value" in kwargs:
        low = float(kwargs["min_value"])
        bad = bad | (x <= low if kwargs.get("strict_min") else x < low)
    if "max_value" in kwargs:
        high = float(kwargs["max_value"])
        bad = bad | (x >= high if kwargs.get("strict_max") else x > high)
    return valid & bad


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _comparable(values: list[Any], dtype: Any) -> list[Any] | None:
    """The members of a value set a column of this dtype can equal, as pandas' ``isin``
    matches them; None when the engine does not compare this dtype."""
    import narwhals as nw

    if dtype == nw.Boolean:
        return [v for v in values if isinstance(v, bool)]
    if isinstance(dtype, nw.Decimal):
        return None  # pandas matches decimals exactly, an engine as floats: left to the sample
    if dtype.is_numeric():
        numbers = [float(v) for v in values if _is_number(v) and not math.isnan(v)]
        if dtype.is_integer():
            return [int(v) for v in numbers if v.is_integer()]
        return numbers
    if dtype == nw.String or isinstance(dtype, nw.Categorical | nw.Enum):
        return [v for v in values if isinstance(v, str)]
    return None


def _counted(
    scan: Scan,
    counted: Mapping[int, tuple[Mapping[str, Any], nw.Expr]],
    dtypes: Mapping[str, Any],
    max_examples: int,
) -> tuple[dict[int, ExpectationOutcome], list[int]]:
    """Count every mask and the non-missing values of their columns in one pass; then the
    most frequent unexpected values of each expectation that has some, and duplicates. The
    type expectations the engine cannot judge come back in the list, for the fallback."""
    import narwhals as nw

    names = sorted({str(e["kwargs"]["column"]) for e, _ in counted.values()})
    unique = {i for i, (e, _) in counted.items() if _is_unique(e)}
    expressions: list[nw.Expr] = [nw.len().alias("rows")]
    expressions += [_count(_valid(c, dtypes[c]), f"valid{j}") for j, c in enumerate(names)]
    skipped = unique | {i for i, (e, _) in counted.items() if str(e["type"]) in _TYPE_KINDS}
    expressions += [_count(m, f"u{i}") for i, (_, m) in counted.items() if i not in skipped]
    found = scan.aggregate(expressions)
    rows = int(found["rows"])
    scan._rows = rows
    present = {c: int(found[f"valid{j}"]) for j, c in enumerate(names)}
    outcomes: dict[int, ExpectationOutcome] = {}
    late: list[int] = []
    for i, (expectation, mask) in counted.items():
        kind = str(expectation["type"])
        kwargs = _kwargs(expectation)
        column = str(kwargs["column"])
        dtype = dtypes[column]
        meta = dict(expectation.get("meta") or {})
        mostly = float(kwargs.get("mostly", 1.0))
        if kind in _TYPE_KINDS:
            judged = _type_outcome(
                kind, kwargs, meta, dtype, rows - present[column], present[column]
            )
            if judged is None:
                late.append(i)
                continue
            if isinstance(judged, ExpectationOutcome):
                outcomes[i] = judged
                continue
            count = judged
            examples = _examples(scan, column, mask, max_examples) if count else ()
        elif i in unique:
            examples, count = _duplicates(scan, column, dtype, max_examples)
        else:
            count = int(found[f"u{i}"] or 0)
            examples = ()
            if count and kind != _NOT_NULL:
                examples = _examples(scan, column, mask, max_examples)
        total = rows if kind == _NOT_NULL else present[column]
        outcomes[i] = ExpectationOutcome(
            kind,
            kwargs,
            _mostly_ok(count, total, mostly),
            FAST,
            count,
            rows,
            count / total if total else None,
            examples,
            meta=meta,
        )
    return outcomes, late


def _is_unique(expectation: Mapping[str, Any]) -> bool:
    return str(expectation["type"]) == "expect_column_values_to_be_unique"


def _examples(
    scan: Scan, column: str, mask: nw.Expr, max_examples: int
) -> tuple[tuple[Any, int], ...]:
    """The most frequent unexpected values (ties by value), as the pandas path lists them."""
    import narwhals as nw

    grouped = scan.frame.filter(mask).group_by(column).agg(nw.len().alias(_COUNT))
    top = grouped.sort([_COUNT, column], descending=[True, False]).head(max_examples)
    table = scan.collect(top)
    return tuple(
        (python_value(v), int(n)) for v, n in zip(table[column], table[_COUNT], strict=True)
    )


def _duplicates(
    scan: Scan, column: str, dtype: Any, max_examples: int
) -> tuple[tuple[tuple[Any, int], ...], int]:
    """The values that occur more than once (the most frequent few) and how many rows hold
    one, as pandas' ``duplicated(keep=False)`` counts them."""
    import narwhals as nw

    repeated = (
        scan.frame.filter(_valid(column, dtype))
        .group_by(column)
        .agg(nw.len().alias(_COUNT))
        .filter(nw.col(_COUNT) > 1)
    )
    total = scan.collect(repeated.select(nw.col(_COUNT).sum().alias("rows")))
    count = int(total["rows"].iloc[0] or 0) if len(total) else 0
    if not count:
        return (), 0
    top = repeated.sort([_COUNT, column], descending=[True, False]).head(max_examples)
    table = scan.collect(top)
    examples = tuple(
        (python_value(v), int(n)) for v, n in zip(table[column], table[_COUNT], strict=True)
    )
    return examples, count
