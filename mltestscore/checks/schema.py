"""Data schemas as Great Expectations suites: infer, save, load, validate (data-1, monitor-2).

The rubric asks that feature expectations be written down (data-1) and that training and
serving inputs be checked against them (monitor-2). The schema is a real Great Expectations
``ExpectationSuite``, so teams can edit it, review it and run it with Great Expectations too;
``check_schema`` validates a DataFrame against it quickly (one vectorised pass per column) and
hands any expectation type it does not implement to Great Expectations itself.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.checks._inputs import read_frame
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table, python_value

if TYPE_CHECKING:
    import pandas as pd

    from mltestscore.checks._expectations import ExpectationOutcome

RUBRIC_IDS = ("data-1", "monitor-2")
PathLike = str | os.PathLike[str]

_ID_NAME = re.compile(r"(^|[_\-\s])(id|uuid|guid|key)$|^id[_\-]|[a-z]Id$", re.IGNORECASE)
_INTEGER_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
_FLOAT_TYPES = ["float16", "float32", "float64"]
_DATETIME_TYPES = [f"datetime64[{unit}]" for unit in ("s", "ms", "us", "ns")]


# --- inference -------------------------------------------------------------------------------


def infer_schema(
    data: pd.DataFrame | PathLike,
    *,
    name: str = "inferred-schema",
    range_margin: float = 0.1,
    null_margin: float = 0.01,
    max_categories: int = 50,
    value_mostly: float = 0.995,
    id_columns: Sequence[str] | None = None,
    ignore_columns: Sequence[str] = (),
    column_order: bool = True,
) -> Any:
    """Infer a Great Expectations ``ExpectationSuite`` from training data.

    Per column: its type family; the share of nulls allowed (observed share + ``null_margin``,
    as ``mostly`` on not-null); for numbers, a value range widened by ``range_margin`` of the
    observed range on each side (never below zero for a column that never was negative, whole
    numbers for integer columns); for other columns with at most ``max_categories`` distinct
    values, the set of values seen. Ranges and value sets carry ``mostly=value_mostly``: the
    default tolerates 0.5% of rare unseen categories or outliers, so a clean serving sample
    passes while a systematic defect fails (``check_schema`` still lists what it tolerated;
    use 1.0 for a strict schema). For id-like columns (named like ``id``/``*_id`` or listed in
    ``id_columns``), uniqueness instead of a value set. At table level, the columns and, with
    ``column_order``, their order. ``ignore_columns`` (e.g. the label) are left out entirely.
    """
    import great_expectations as gx

    frame = read_frame(data, "data")
    if frame.shape[0] == 0:
        raise CheckInputError("data", "has no rows; a schema needs training data")
    if range_margin < 0:
        raise CheckInputError("range_margin", f"must be non-negative, not {range_margin}")
    if not 0 <= value_mostly <= 1:
        raise CheckInputError("value_mostly", f"must be between 0 and 1, not {value_mostly}")
    if not 0 <= null_margin <= 1:
        raise CheckInputError("null_margin", f"must be between 0 and 1, not {null_margin}")
    ids = set(id_columns) if id_columns is not None else None
    skip = set(ignore_columns)
    columns = [str(c) for c in frame.columns if c not in skip]
    expectations: list[dict[str, Any]] = []
    table_kind = "ordered_list" if column_order else "set"
    key = "column_list" if column_order else "column_set"
    expectations.append(
        {"type": f"expect_table_columns_to_match_{table_kind}", "kwargs": {key: columns}}
    )
    for column in columns:
        expectations.extend(
            _column_expectations(
                frame[column], column, range_margin, null_margin, max_categories, value_mostly, ids
            )
        )
    meta = {
        "mltestscore": {
            "inferred_from_rows": int(frame.shape[0]),
            "range_margin": range_margin,
            "null_margin": null_margin,
            "max_categories": max_categories,
            "value_mostly": value_mostly,
        }
    }
    return gx.ExpectationSuite(name=name, expectations=expectations, meta=meta)


def _column_expectations(
    series: pd.Series,
    column: str,
    range_margin: float,
    null_margin: float,
    max_categories: int,
    value_mostly: float,
    id_columns: set[str] | None,
) -> list[dict[str, Any]]:
    import math

    import pandas as pd

    null_share = float(series.isna().mean())
    if null_share == 1.0:
        raise CheckInputError(f"column {column!r}", "is entirely missing; nothing to infer")
    found: list[dict[str, Any]] = []

    def add(kind: str, **kwargs: Any) -> None:
        found.append({"type": f"expect_column_{kind}", "kwargs": {"column": column, **kwargs}})

    add_type = _type_expectation(series)
    if add_type is not None:
        add(*add_type[:1], **add_type[1])
    allowed_nulls = min(1.0, null_share + null_margin)
    if allowed_nulls < 1.0:
        # Round down: a rounded-up "mostly" would fail the very data it came from.
        add("values_to_not_be_null", mostly=math.floor((1.0 - allowed_nulls) * 1e6) / 1e6)
    values = series.dropna()
    is_id = column in id_columns if id_columns is not None else bool(_ID_NAME.search(column))
    if is_id and values.is_unique:
        add("values_to_be_unique")
        return found
    if pd.api.types.is_bool_dtype(series):
        add("values_to_be_in_set", value_set=sorted(bool(v) for v in values.unique()))
    elif pd.api.types.is_numeric_dtype(series):
        low, high = float(values.min()), float(values.max())
        if not (math.isfinite(low) and math.isfinite(high)):
            return found
        spread = (high - low) * range_margin
        min_value, max_value = low - spread, high + spread
        if low >= 0:
            min_value = max(min_value, 0.0)
        if pd.api.types.is_integer_dtype(series):
            min_value, max_value = math.floor(min_value), math.ceil(max_value)
        add("values_to_be_between", min_value=min_value, max_value=max_value, mostly=value_mostly)
    elif not pd.api.types.is_datetime64_any_dtype(series):
        distinct = values.unique()
        if len(distinct) <= max_categories:
            add(
                "values_to_be_in_set",
                value_set=sorted((python_value(v) for v in distinct), key=_sort_key),
                mostly=value_mostly,
            )
    return found


def _type_expectation(series: pd.Series) -> tuple[str, dict[str, Any]] | None:
    """The type family of a column, in the form Great Expectations checks for pandas."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) and isinstance(dtype, np.dtype):
        return "values_to_be_in_type_list", {"type_list": ["bool"]}
    if pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        return "values_to_be_in_type_list", {"type_list": _INTEGER_TYPES}
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        return "values_to_be_in_type_list", {"type_list": _FLOAT_TYPES}
    if pd.api.types.is_string_dtype(dtype) and (
        isinstance(dtype, pd.StringDtype) or series.dropna().map(type).eq(str).all()
    ):
        return "values_to_be_of_type", {"type_": "str"}
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return "values_to_be_in_type_list", {"type_list": _DATETIME_TYPES}
    return None


def _sort_key(value: Any) -> tuple[str, str]:
    """Sort mixed values (an object column holding text and numbers) without comparing types."""
    return (type(value).__name__, str(value))


# --- persistence -----------------------------------------------------------------------------


def schema_to_dict(schema: Any) -> dict[str, Any]:
    """The JSON form of a suite (``ExpectationSuite``, its dict, or a path to its JSON)."""
    if isinstance(schema, Mapping):
        data = dict(schema)
    elif isinstance(schema, str | os.PathLike):
        path = Path(schema)
        if not path.is_file():
            raise CheckInputError("schema", f"file {str(path)!r} does not exist")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CheckInputError("schema", f"file {str(path)!r} is not valid JSON: {exc}") from exc
    elif callable(getattr(schema, "to_json_dict", None)):
        data = dict(schema.to_json_dict())
    else:
        raise CheckInputError(
            "schema",
            f"expected a Great Expectations ExpectationSuite, its JSON dict or a path, "
            f"got {type(schema).__name__}",
        )
    expectations = data.get("expectations") if isinstance(data, dict) else None
    if isinstance(expectations, list):
        # Suites saved by Great Expectations 0.x say expectation_type / expectation_suite_name.
        expectations = [
            {**e, "type": e.get("type", e.get("expectation_type"))} if isinstance(e, dict) else e
            for e in expectations
        ]
        data = {**data, "expectations": expectations}
        data.setdefault("name", data.get("expectation_suite_name"))
    if not isinstance(expectations, list) or not all(
        isinstance(e, dict) and isinstance(e.get("type"), str) for e in expectations
    ):
        raise CheckInputError("schema", "has no 'expectations' list of {type, kwargs} entries")
    return data


def save_schema(schema: Any, path: PathLike) -> Path:
    """Write a suite as Great Expectations JSON (reviewable, diffable, loadable by GX)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = schema_to_dict(schema)
    target.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return target


def load_schema(path: PathLike) -> Any:
    """Read a suite saved by ``save_schema`` (or by Great Expectations) as an ExpectationSuite."""
    import great_expectations as gx

    data = schema_to_dict(path)
    return gx.ExpectationSuite(
        name=str(data.get("name") or Path(path).stem),
        expectations=[
            {"type": e["type"], "kwargs": e.get("kwargs", {}), "meta": e.get("meta") or {}}
            for e in data["expectations"]
        ],
        meta=data.get("meta") or {},
    )


# --- the check -------------------------------------------------------------------------------


@register_check(*RUBRIC_IDS)
def check_schema(
    data: pd.DataFrame | PathLike,
    schema: Any,
    *,
    sample_rows: int | None = None,
    seed: int = 0,
    engine: str = "auto",
    max_examples: int = 3,
) -> CheckResult:
    """Validate data (training data or a serving sample) against a Great Expectations suite.

    Evidence that feature expectations are captured (data-1) and that training and serving
    inputs keep to them (monitor-2). ``schema`` is an ``ExpectationSuite`` (from
    ``infer_schema`` or written with Great Expectations), its JSON dict, or a path to it.
    Supported expectation types run vectorised here; others run in Great Expectations
    (``engine="great_expectations"`` runs everything there). ``sample_rows`` validates a
    seeded random sample of that many rows instead of every row; both are recorded.
    """
    from mltestscore.checks._expectations import evaluate, is_supported

    if engine not in {"auto", "great_expectations"}:
        raise CheckInputError("engine", f"must be 'auto' or 'great_expectations', not {engine!r}")
    frame = read_frame(data, "data")
    suite = schema_to_dict(schema)
    if frame.shape[0] == 0:
        raise CheckInputError("data", "has no rows to validate")
    if sample_rows is not None and sample_rows < 1:
        raise CheckInputError(
            "sample_rows", f"must be a positive number of rows, not {sample_rows}"
        )
    rows_total = int(frame.shape[0])
    if sample_rows is not None and sample_rows < rows_total:
        frame = frame.sample(n=sample_rows, random_state=seed)
    expectations = suite["expectations"]
    outcomes = evaluate(frame, expectations, engine=engine, max_examples=max_examples)
    failures = [o for o in outcomes if not o.success]
    # Nulls within their allowance are expected; out-of-range or unseen values are worth a note.
    tolerated = [o for o in outcomes if o.success and o.unexpected_count and o.type != _NOT_NULL]
    fast = sum(1 for e in expectations if engine == "auto" and is_supported(e))
    kw: dict[str, Any] = {
        "measurements": {
            "expectations": len(outcomes),
            "failed_expectations": len(failures),
            "tolerated_expectations": len(tolerated),
            "rows_validated": int(frame.shape[0]),
            "rows_total": rows_total,
            "evaluated_here": fast,
            "evaluated_by_great_expectations": len(outcomes) - fast,
        },
        "thresholds": {"failed_expectations_allowed": 0},
        "parameters": {
            "schema": str(suite.get("name") or ""),
            "sample_rows": sample_rows,
            "seed": seed if sample_rows is not None and sample_rows < rows_total else None,
            "engine": engine,
        },
    }
    if not outcomes:
        return CheckResult.failed(
            "check_schema",
            RUBRIC_IDS,
            "the schema has no expectations, so it captures nothing",
            **kw,
        )
    if not failures:
        note = ""
        if tolerated:
            note = f" ({len(tolerated)} within their 'mostly' tolerance: {describe(tolerated[0])})"
        return CheckResult.passed(
            "check_schema",
            RUBRIC_IDS,
            f"all {len(outcomes)} expectations hold on {frame.shape[0]:,} rows{note}",
            tables=[violations_table(tolerated, "Tolerated violations")] if tolerated else [],
            **kw,
        )
    phrases = list(dict.fromkeys(describe(o) for o in failures))
    shown = "; ".join(phrases[:3])
    more = f"; and {len(phrases) - 3} more" if len(phrases) > 3 else ""
    return CheckResult.failed(
        "check_schema",
        RUBRIC_IDS,
        f"{len(failures)} of {len(outcomes)} expectations fail: {shown}{more}",
        tables=[violations_table(failures)]
        + ([violations_table(tolerated, "Tolerated violations")] if tolerated else []),
        **kw,
    )


def describe(outcome: ExpectationOutcome) -> str:
    """One short phrase for a failed expectation, e.g. ``age in [9, 98]: 12 values (0.3%)``."""
    label = _label(outcome)
    if outcome.observed.endswith(" is missing"):
        return outcome.observed
    if outcome.error:
        return f"{label}: could not be evaluated ({outcome.error.splitlines()[0][:140]})"
    if outcome.unexpected_count:
        share = outcome.unexpected_fraction or 0.0
        examples = ", ".join(repr(v) for v, _ in outcome.examples[:2])
        tail = f" e.g. {examples}" if examples and outcome.type != _NOT_NULL else ""
        return f"{label}: {outcome.unexpected_count:,} values ({share:.1%}){tail}"
    return f"{label}: {outcome.observed}" if outcome.observed else label


_NOT_NULL = "expect_column_values_to_not_be_null"


def _label(outcome: ExpectationOutcome) -> str:
    kwargs = outcome.kwargs
    column = outcome.column
    short = outcome.type.removeprefix("expect_").removeprefix("column_values_to_")
    if outcome.type == "expect_column_values_to_be_between":
        return f"{column} in [{kwargs.get('min_value', '-inf')}, {kwargs.get('max_value', 'inf')}]"
    if outcome.type == _NOT_NULL:
        return f"{column} not null (mostly {kwargs.get('mostly', 1.0)})"
    if outcome.type == "expect_column_values_to_be_in_set":
        return f"{column} in its value set"
    if outcome.type.startswith("expect_table_columns"):
        return "columns"
    if "_type" in outcome.type:
        return f"{column} type"
    return f"{column} {short.replace('_', ' ')}".strip()


def violations_table(
    failures: Sequence[ExpectationOutcome], title: str = "Violated expectations"
) -> Table:
    """One row per violated expectation: counts, share, example values and the engine."""
    rows = [
        (
            o.type,
            o.column,
            o.unexpected_count,
            None if o.unexpected_fraction is None else round(o.unexpected_fraction, 6),
            ", ".join(f"{v!r} x{n}" for v, n in o.examples) or o.observed or (o.error or ""),
            o.engine,
        )
        for o in failures
    ]
    return Table.build(
        title,
        ["expectation", "column", "unexpected", "unexpected_share", "examples", "engine"],
        rows,
        chart="unexpected_share",
    )
