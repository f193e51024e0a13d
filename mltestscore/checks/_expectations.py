"""Evaluate Great Expectations expectations on a pandas DataFrame, fast.

Great Expectations computes every expectation through its metric graph, which is thorough but
slow on a million rows. The expectation types an inferred schema uses are simple column scans,
so this module evaluates them itself with one vectorised pass per column and the same semantics
as Great Expectations 1.x (nulls are ignored by value expectations, ``mostly`` is compared to the
share of non-null values that conform, an all-null column passes value expectations). Any other
expectation type, or a supported type with options we do not implement (``row_condition``,
``column_index``...), is handed to Great Expectations itself through an ephemeral context, so a
suite a user wrote with Great Expectations always validates completely.

Nothing heavy is imported at module level; Great Expectations is imported only for fallbacks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mltestscore.checks.result import python_value

if TYPE_CHECKING:
    import pandas as pd

FAST = "mltestscore"
GREAT_EXPECTATIONS = "great_expectations"

_COLUMN_VALUE_KWARGS = {"column", "mostly"}
_SUPPORTED_KWARGS: dict[str, set[str]] = {
    "expect_column_to_exist": {"column"},
    "expect_table_columns_to_match_ordered_list": {"column_list"},
    "expect_table_columns_to_match_set": {"column_set", "exact_match"},
    "expect_column_values_to_not_be_null": _COLUMN_VALUE_KWARGS,
    "expect_column_values_to_be_between": _COLUMN_VALUE_KWARGS
    | {"min_value", "max_value", "strict_min", "strict_max"},
    "expect_column_values_to_be_in_set": _COLUMN_VALUE_KWARGS | {"value_set"},
    "expect_column_values_to_be_unique": _COLUMN_VALUE_KWARGS,
    "expect_column_values_to_be_of_type": _COLUMN_VALUE_KWARGS | {"type_"},
    "expect_column_values_to_be_in_type_list": _COLUMN_VALUE_KWARGS | {"type_list"},
}
# Keys Great Expectations may add to every expectation that do not change what is evaluated.
_NOT_NULL = "expect_column_values_to_not_be_null"
_IGNORED_KWARGS = {"result_format", "catch_exceptions", "meta", "include_config"}


@dataclass(frozen=True)
class ExpectationOutcome:
    """What one expectation found, whichever engine evaluated it."""

    type: str
    kwargs: Mapping[str, Any]
    success: bool
    engine: str
    unexpected_count: int = 0
    element_count: int = 0
    unexpected_fraction: float | None = None
    examples: tuple[tuple[Any, int], ...] = ()
    observed: str = ""
    error: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    # Set when the verdict came from an inferred tolerance's sample-size test (schema.py).
    p_value: float | None = None

    @property
    def column(self) -> str:
        return str(self.kwargs.get("column", ""))


def is_supported(expectation: Mapping[str, Any]) -> bool:
    """True when the fast path evaluates this expectation exactly as Great Expectations does."""
    allowed = _SUPPORTED_KWARGS.get(str(expectation.get("type")))
    if allowed is None:
        return False
    kwargs = {k for k, v in dict(expectation.get("kwargs", {})).items() if v is not None}
    return kwargs - _IGNORED_KWARGS <= allowed


def evaluate(
    frame: pd.DataFrame,
    expectations: Sequence[Mapping[str, Any]],
    *,
    engine: str = "auto",
    max_examples: int = 3,
) -> list[ExpectationOutcome]:
    """Evaluate expectations (plain dicts with ``type``/``kwargs``) in their original order.

    ``engine="auto"`` uses the fast path where it can and Great Expectations for the rest;
    ``engine="great_expectations"`` runs everything through Great Expectations (for
    comparison and as an escape hatch).
    """
    if engine not in {"auto", GREAT_EXPECTATIONS}:
        raise ValueError(f"engine must be 'auto' or 'great_expectations', not {engine!r}")
    outcomes: dict[int, ExpectationOutcome] = {}
    fallback: list[int] = []
    columns: dict[str, _ColumnView] = {}
    for index, expectation in enumerate(expectations):
        if engine == "auto" and is_supported(expectation):
            outcomes[index] = _evaluate_fast_or_report(frame, expectation, columns, max_examples)
        else:
            fallback.append(index)
    if fallback:
        ge_outcomes = _evaluate_with_great_expectations(
            frame, [expectations[i] for i in fallback], max_examples
        )
        outcomes.update(zip(fallback, ge_outcomes, strict=True))
    return [outcomes[i] for i in range(len(expectations))]


class _ColumnView:
    """One column's null mask and non-null values, computed once and shared by expectations."""

    def __init__(self, series: pd.Series) -> None:
        self.series = series
        self._nulls: Any = None
        self._values: Any = None

    @property
    def nulls(self) -> Any:
        if self._nulls is None:
            self._nulls = self.series.isna().to_numpy()
        return self._nulls

    @property
    def null_count(self) -> int:
        return int(self.nulls.sum())

    @property
    def non_null(self) -> pd.Series:
        if self._values is None:
            self._values = self.series[~self.nulls] if self.null_count else self.series
        return self._values


def _evaluate_fast_or_report(
    frame: pd.DataFrame,
    expectation: Mapping[str, Any],
    columns: dict[str, _ColumnView],
    max_examples: int,
) -> ExpectationOutcome:
    """Evaluate one expectation; one that cannot apply to its column (a range on text...)
    fails with the reason, as it does in Great Expectations, instead of stopping the rest."""
    try:
        return _evaluate_fast(frame, expectation, columns, max_examples)
    except (TypeError, ValueError) as exc:
        kwargs = {k: v for k, v in dict(expectation.get("kwargs", {})).items() if v is not None}
        return ExpectationOutcome(
            str(expectation["type"]),
            kwargs,
            False,
            FAST,
            error=f"{type(exc).__name__}: {exc}",
            meta=dict(expectation.get("meta") or {}),
        )


def _evaluate_fast(
    frame: pd.DataFrame,
    expectation: Mapping[str, Any],
    columns: dict[str, _ColumnView],
    max_examples: int,
) -> ExpectationOutcome:
    kind = str(expectation["type"])
    kwargs = {k: v for k, v in dict(expectation.get("kwargs", {})).items() if v is not None}
    meta = dict(expectation.get("meta") or {})
    if kind == "expect_table_columns_to_match_ordered_list":
        return _ordered_columns(frame, kind, kwargs, meta)
    if kind == "expect_table_columns_to_match_set":
        return _column_set(frame, kind, kwargs, meta)
    column = str(kwargs["column"])
    if column not in frame.columns:
        return ExpectationOutcome(
            kind, kwargs, False, FAST, observed=f"column {column!r} is missing", meta=meta
        )
    if kind == "expect_column_to_exist":
        return ExpectationOutcome(kind, kwargs, True, FAST, observed="present", meta=meta)
    view = columns.get(column)
    if view is None:
        view = columns[column] = _ColumnView(frame[column])
    mostly = float(kwargs.get("mostly", 1.0))
    if kind == _NOT_NULL:
        total = len(view.series)
        count = view.null_count
        ok = _mostly_ok(count, total, mostly)
        return ExpectationOutcome(
            kind, kwargs, ok, FAST, count, total, count / total if total else None, meta=meta
        )
    if kind in {"expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list"}:
        return _types(view, kind, kwargs, meta, mostly, max_examples)
    unexpected = _UNEXPECTED[kind](view.non_null, kwargs)
    return _column_map_outcome(view, kind, kwargs, meta, mostly, unexpected, max_examples)


def _mostly_ok(unexpected: int, total: int, mostly: float) -> bool:
    if unexpected == 0 or total == 0:
        return True
    return (total - unexpected) / total >= mostly


def _column_map_outcome(
    view: _ColumnView,
    kind: str,
    kwargs: Mapping[str, Any],
    meta: Mapping[str, Any],
    mostly: float,
    unexpected_mask: Any,
    max_examples: int,
) -> ExpectationOutcome:
    """Count the unexpected non-null values and keep the most frequent few as examples."""
    total = len(view.non_null)
    count = int(unexpected_mask.sum())
    examples: tuple[tuple[Any, int], ...] = ()
    if count:
        counts = view.non_null[unexpected_mask].value_counts()
        examples = most_frequent(counts.items(), max_examples)
    return ExpectationOutcome(
        kind,
        kwargs,
        _mostly_ok(count, total, mostly),
        FAST,
        count,
        len(view.series),
        count / total if total else None,
        examples,
        meta=dict(meta),
    )


def most_frequent(counts: Any, max_examples: int) -> tuple[tuple[Any, int], ...]:
    """The ``max_examples`` most frequent of (value, count) pairs, ties by value: the same
    examples whichever engine counted them (an engine sorts its groups the same way)."""
    pairs = [(python_value(v), int(n)) for v, n in counts]
    try:
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
    except TypeError:  # values of mixed types: by type name and text
        pairs.sort(key=lambda pair: (-pair[1], type(pair[0]).__name__, str(pair[0])))
    return tuple(pairs[:max_examples])


def _between(values: pd.Series, kwargs: Mapping[str, Any]) -> Any:
    import numpy as np
    import pandas as pd

    if _all_decimal(values):
        array = values.to_numpy(dtype="float64")  # compared as their nearest floats, as engines do
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        array = values.to_numpy()
    else:
        raise TypeError(f"column {kwargs['column']!r} is not numeric (dtype {values.dtype})")
    bad = np.zeros(len(array), dtype=bool)
    if "min_value" in kwargs:
        low = kwargs["min_value"]
        bad |= array <= low if kwargs.get("strict_min") else array < low
    if "max_value" in kwargs:
        high = kwargs["max_value"]
        bad |= array >= high if kwargs.get("strict_max") else array > high
    return bad


def _all_decimal(values: pd.Series) -> bool:
    """An ``object`` column of ``decimal.Decimal`` values (how pandas reads Parquet decimals)."""
    from decimal import Decimal

    import numpy as np

    if values.dtype != np.dtype(object) or values.empty:
        return False
    return all(isinstance(v, Decimal) for v in values)


def _in_set(values: pd.Series, kwargs: Mapping[str, Any]) -> Any:
    return ~values.isin(list(kwargs["value_set"])).to_numpy()


def _unique(values: pd.Series, kwargs: Mapping[str, Any]) -> Any:
    return values.duplicated(keep=False).to_numpy()


_UNEXPECTED: dict[str, Callable[[pd.Series, Mapping[str, Any]], Any]] = {
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_be_unique": _unique,
}


def _types(
    view: _ColumnView,
    kind: str,
    kwargs: Mapping[str, Any],
    meta: Mapping[str, Any],
    mostly: float,
    max_examples: int,
) -> ExpectationOutcome:
    """Dtype-level comparison as Great Expectations does it for pandas.

    An ``object`` column is checked value by value (what Great Expectations does too), anything
    else by its dtype.
    """
    import numpy as np

    names = [str(kwargs["type_"])] if kind.endswith("of_type") else list(kwargs["type_list"])
    dtype = view.series.dtype
    if dtype == np.dtype(object) and not set(names) & {"object", "object_", "O"}:
        natives = tuple(t for name in names for t in _native_types(name))
        mask = np.fromiter(
            (not isinstance(v, natives) for v in view.non_null),
            dtype=bool,
            count=len(view.non_null),
        )
        return _column_map_outcome(view, kind, kwargs, meta, mostly, mask, max_examples)
    return dtype_outcome(kind, kwargs, meta, dtype, names)


def dtype_outcome(
    kind: str, kwargs: Mapping[str, Any], meta: Mapping[str, Any], dtype: Any, names: list[str]
) -> ExpectationOutcome:
    """A type expectation judged by a column's pandas dtype, as Great Expectations does."""
    candidates = _type_candidates(names, by_dtype=kind.endswith("type_list"))
    target = dtype if kind.endswith("type_list") else dtype.type
    ok = any(_same_type(target, candidate) for candidate in candidates)
    return ExpectationOutcome(kind, kwargs, ok, FAST, observed=str(dtype), meta=dict(meta))


def _same_type(observed: Any, candidate: Any) -> bool:
    try:
        return bool(observed == candidate)
    except TypeError:
        return False


def _type_candidates(names: Sequence[str], *, by_dtype: bool) -> list[Any]:
    import numpy as np
    import pandas as pd

    candidates: list[Any] = []
    for name in names:
        try:
            candidates.append(np.dtype(name).type)
            if by_dtype:
                candidates.append(np.dtype(name))
        except TypeError:
            pd_type = getattr(pd, name, None)
            if isinstance(pd_type, type):
                candidates.append(pd_type)
                if by_dtype and issubclass(pd_type, pd.api.extensions.ExtensionDtype):
                    with contextlib.suppress(TypeError):
                        candidates.append(pd_type())
            pd_dtype = getattr(pd.core.dtypes.dtypes, name, None)
            if isinstance(pd_dtype, type):
                candidates.append(pd_dtype)
        candidates.extend(_native_types(name))
    return candidates


def _native_types(name: str) -> tuple[type, ...]:
    natives: dict[str, tuple[type, ...]] = {
        "none": (type(None),),
        "bool": (bool,),
        "int": (int,),
        "long": (int,),
        "float": (float,),
        "bytes": (bytes,),
        "complex": (complex,),
        "str": (str,),
        "string_types": (str,),
        "list": (list,),
        "dict": (dict,),
    }
    return natives.get(name.lower(), ())


def _ordered_columns(
    frame: pd.DataFrame, kind: str, kwargs: Mapping[str, Any], meta: Mapping[str, Any]
) -> ExpectationOutcome:
    expected = [str(c) for c in kwargs["column_list"]]
    actual = [str(c) for c in frame.columns]
    ok = expected == actual
    return ExpectationOutcome(
        kind, kwargs, ok, FAST, observed=_describe_columns(expected, actual), meta=dict(meta)
    )


def _column_set(
    frame: pd.DataFrame, kind: str, kwargs: Mapping[str, Any], meta: Mapping[str, Any]
) -> ExpectationOutcome:
    expected = [str(c) for c in kwargs["column_set"]]
    actual = [str(c) for c in frame.columns]
    missing = set(expected) - set(actual)
    extra = set(actual) - set(expected)
    ok = not missing and (not extra or not kwargs.get("exact_match", True))
    return ExpectationOutcome(
        kind, kwargs, ok, FAST, observed=_describe_columns(expected, actual), meta=dict(meta)
    )


def _describe_columns(expected: Sequence[str], actual: Sequence[str]) -> str:
    """Say how two column lists differ: missing, unexpected, or only the order."""
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(extra))
    if not parts and list(expected) != list(actual):
        parts.append("same columns in a different order")
    return "; ".join(parts) or "as expected"


# --- Great Expectations itself -------------------------------------------------------------


def import_great_expectations() -> Any:
    """The ``great_expectations`` module, imported so that an installed pyspark cannot end
    the process.

    When pyspark 4 is installed without its Connect dependencies (grpc), importing
    ``pyspark.sql.connect`` from a ``__main__`` module with neither ``__spec__`` nor
    ``__file__`` calls ``sys.exit(0)`` (pyspark takes that for its own doctest run). A
    pytest-xdist worker's ``__main__`` is such a module, and Great Expectations imports
    ``pyspark.sql.connect`` when pyspark is present, so ``pytest -n 2`` lost its workers.
    During the first import ``__main__`` is given a ``__file__``; pyspark then raises an
    ImportError about grpc, which Great Expectations handles (no Spark Connect)."""
    import sys

    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    main = sys.modules.get("__main__")
    stand_in = (
        main is not None
        and getattr(main, "__spec__", None) is None
        and not hasattr(main, "__file__")
    )
    if stand_in:
        main.__file__ = "<mltestscore: no script>"  # type: ignore[union-attr]
    try:
        import great_expectations
    finally:
        if stand_in:
            del main.__file__  # type: ignore[union-attr]
    return great_expectations


def great_expectations_context() -> Any:
    """An ephemeral, in-memory Great Expectations context: no files, no progress bars, no
    analytics calls home."""
    gx = import_great_expectations()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def validate_with_great_expectations(
    frame: pd.DataFrame, expectations: Sequence[Mapping[str, Any]], max_examples: int = 3
) -> Any:
    """Run a plain Great Expectations validation (pandas datasource, whole-frame batch) and
    return its ``ExpectationSuiteValidationResult``."""
    gx = import_great_expectations()

    context = great_expectations_context()
    batch = (
        context.data_sources.add_pandas("mltestscore")
        .add_dataframe_asset(name="frame")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(
        name="mltestscore-fallback",
        expectations=[
            {"type": e["type"], "kwargs": dict(e.get("kwargs", {})), "meta": e.get("meta") or {}}
            for e in expectations
        ],
    )
    return batch.validate(
        suite,
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": max(max_examples, 1),
        },
    )


def _evaluate_with_great_expectations(
    frame: pd.DataFrame, expectations: Sequence[Mapping[str, Any]], max_examples: int
) -> list[ExpectationOutcome]:
    # Great Expectations reorders results: tag each expectation with its position in meta.
    tagged = [
        {**e, "meta": {**dict(e.get("meta") or {}), _POSITION: index}}
        for index, e in enumerate(expectations)
    ]
    rejected = {i: problem for i, e in enumerate(tagged) if (problem := _rejection(e)) is not None}
    accepted = [e for i, e in enumerate(tagged) if i not in rejected]
    by_position: dict[int, Any] = {}
    if accepted:
        validation = validate_with_great_expectations(frame, accepted, max_examples)
        by_position = {int(r.expectation_config.meta[_POSITION]): r for r in validation.results}
    outcomes = []
    for index, expectation in enumerate(expectations):
        if index in by_position:
            outcomes.append(_outcome_from_ge(expectation, by_position[index], list(frame.columns)))
            continue
        problem = rejected.get(index, "Great Expectations returned no result for it")
        kwargs = {k: v for k, v in dict(expectation.get("kwargs", {})).items() if v is not None}
        outcomes.append(
            ExpectationOutcome(
                str(expectation["type"]), kwargs, False, GREAT_EXPECTATIONS, error=problem
            )
        )
    return outcomes


def _rejection(expectation: Mapping[str, Any]) -> str | None:
    """Why Great Expectations refuses an expectation's configuration (unknown type, unknown or
    invalid arguments), or None. Checked one by one so one bad entry fails alone."""
    import_great_expectations()
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    try:
        ExpectationConfiguration(
            type=str(expectation["type"]), kwargs=dict(expectation.get("kwargs", {}))
        ).to_domain_obj()
    except Exception as exc:
        return f"Great Expectations rejects it: {' '.join(str(exc).split())[:160]}"
    return None


_POSITION = "mltestscore_position"


def _outcome_from_ge(
    expectation: Mapping[str, Any], result: Any, columns: Sequence[Any]
) -> ExpectationOutcome:
    details = dict(result.result or {})
    info = dict(result.exception_info or {})
    error = str(info.get("exception_message")) if info.get("raised_exception") else None
    kwargs = {k: v for k, v in dict(expectation.get("kwargs", {})).items() if v is not None}
    percent = details.get("unexpected_percent")
    examples = tuple(
        (python_value(item.get("value")), int(item.get("count", 0)))
        for item in details.get("partial_unexpected_counts") or []
    )
    observed = details.get("observed_value")
    kind = str(expectation["type"])
    if kind == _NOT_NULL:
        examples = ()  # Great Expectations lists each NaN separately; the count says it all
    if kind.startswith("expect_table_columns_to_match"):
        expected = kwargs.get("column_list", kwargs.get("column_set", []))
        observed = _describe_columns([str(c) for c in expected], [str(c) for c in columns])
    if "column" in kwargs and kwargs["column"] not in columns:
        observed = f"column {kwargs['column']!r} is missing"
    return ExpectationOutcome(
        type=kind,
        kwargs=kwargs,
        success=bool(result.success) and error is None,
        engine=GREAT_EXPECTATIONS,
        unexpected_count=int(details.get("unexpected_count") or 0),
        element_count=int(details.get("element_count") or 0),
        unexpected_fraction=None if percent is None else float(percent) / 100.0,
        examples=examples,
        observed="" if observed is None else str(observed),
        error=error,
        meta=dict(expectation.get("meta") or {}),
    )
