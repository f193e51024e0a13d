"""Data schemas as Great Expectations suites: infer, save, load, validate (data-1, monitor-2).

The rubric asks that feature expectations be written down (data-1) and that training and
serving inputs be checked against them (monitor-2). The schema is a real Great Expectations
``ExpectationSuite``, so teams can edit it, review it and run it with Great Expectations too;
``check_schema`` validates a DataFrame against it quickly (one vectorised pass per column) and
hands any expectation type it does not implement to Great Expectations itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.checks._column_profile import (
    OPAQUE_TYPES,
    ColumnProfile,
    float_at_or_above,
    float_at_or_below,
)
from mltestscore.checks._inputs import read_frame, require_text_columns
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
    null_margin: float | None = None,
    max_categories: int = 50,
    value_mostly: float | None = None,
    id_columns: Sequence[str] | None = None,
    ignore_columns: Sequence[str] = (),
    column_order: bool = True,
) -> Any:
    """Infer a Great Expectations ``ExpectationSuite`` from training data.

    What a sample can promise about the next sample is written down in two kinds, marked in
    each expectation's ``meta["mltestscore"]["kind"]`` (TensorFlow Data Validation infers the
    first kind and leaves ranges to people):

    - **contracts**, held strictly: the columns, each column's type family, non-negativity of
      integer columns that were never negative (counts), uniqueness of id-like columns;
    - **observed** tolerances, judged by how many exceptions the training sample size makes
      likely: the null share, the category domain (text/booleans with at most
      ``max_categories`` values) and the numeric range (widened by ``range_margin`` of the
      observed span on each side, whole numbers for integer columns). Each carries the
      Beta-binomial predictive of exceptions in a new sample (see :func:`tolerance`):
      outside the [min, max] of n draws a new draw falls with probability Beta(2, n - 1)
      (order statistics, distribution-free), an unseen category with the Good-Turing mass
      (singletons / n), a null with the Jeffreys posterior Beta(nulls + 1/2, n - nulls + 1/2).
      ``check_schema`` fails one only when its exceptions are improbable under that
      predictive (p < ``alpha``), so a held-out split of the same data passes.
    - a **plausible** range, the mean plus or minus 30 standard deviations (or the observed
      range when wider), whose exceptions (values far out of range, such as an age of 999)
      are judged against Chebyshev's bound of 1/30^2 on their share.

    ``value_mostly`` / ``null_margin`` given as numbers restore fixed GX tolerances (``mostly``
    judged as Great Expectations does: ``value_mostly=1.0, null_margin=0.0`` is a strict
    snapshot). ``ignore_columns`` (e.g. the label) are left out entirely.
    """
    from mltestscore.checks._expectations import import_great_expectations

    gx = import_great_expectations()

    from mltestscore.checks._frames import is_scannable

    if range_margin < 0:
        raise CheckInputError("range_margin", f"must be non-negative, not {range_margin}")
    if value_mostly is not None and not 0 <= value_mostly <= 1:
        raise CheckInputError("value_mostly", f"must be between 0 and 1, not {value_mostly}")
    if null_margin is not None and not 0 <= null_margin <= 1:
        raise CheckInputError("null_margin", f"must be between 0 and 1, not {null_margin}")
    ids = set(id_columns) if id_columns is not None else None
    skip = set(ignore_columns)
    options = _Inference(range_margin, null_margin, max_categories, value_mostly, ids)
    where: dict[str, object] = {}
    if is_scannable(data):
        from mltestscore.checks._frames import open_scan
        from mltestscore.checks._lazy_schema import profile_scan

        scan = open_scan(data, "data")
        columns = [c for c in scan.columns if c not in skip]
        profiles = profile_scan(scan, columns, _is_id_for(options), max_categories)
        rows = scan.rows()  # counted by the profile's pass
        if rows == 0:
            raise CheckInputError("data", "has no rows; a schema needs training data")
        where = scan.where()
    else:
        frame = require_text_columns(read_frame(data, "data"), "data")
        if frame.shape[0] == 0:
            raise CheckInputError("data", "has no rows; a schema needs training data")
        columns = [str(c) for c in frame.columns if c not in skip]
        rows = int(frame.shape[0])
        profiles = {c: profile_series(frame[c], c, options) for c in columns}
    if "" in columns:
        raise CheckInputError(
            "data", "has a column with an empty name; Great Expectations needs every column named"
        )
    expectations: list[dict[str, Any]] = []
    table_kind = "ordered_list" if column_order else "set"
    key = "column_list" if column_order else "column_set"
    expectations.append(
        {
            "type": f"expect_table_columns_to_match_{table_kind}",
            "kwargs": {key: columns},
            "meta": _meta(CONTRACT),
        }
    )
    for column in columns:
        expectations.extend(_column_expectations(profiles[column], column, options))
    meta: dict[str, Any] = {
        "mltestscore": {
            "inferred_from_rows": rows,
            "range_margin": range_margin,
            "null_margin": null_margin,
            "max_categories": max_categories,
            "value_mostly": value_mostly,
        }
    }
    if where:
        meta["mltestscore"]["computed_in"] = where
    return gx.ExpectationSuite(name=name, expectations=expectations, meta=meta)


CONTRACT = "contract"
OBSERVED = "observed"
PLAUSIBLE = "plausible"
# The GX ``mostly`` written beside a tolerance is what it allows in a batch of this many rows
# at the check's default alpha, for people who run the suite in Great Expectations alone.
MOSTLY_REFERENCE_ROWS = 1000
DEFAULT_ALPHA = 0.001
# The plausible range: this many standard deviations around the mean (Chebyshev bounds the
# share of any distribution out there by 1/30^2 = 0.11%; an age of 999 is 70 sd out).
PLAUSIBLE_SDS = 30.0


@dataclass(frozen=True)
class _Inference:
    range_margin: float
    null_margin: float | None
    max_categories: int
    value_mostly: float | None
    id_columns: set[str] | None


def _meta(kind: str, rate: tuple[float, float] | None = None, rows: int = 0) -> dict[str, Any]:
    """``meta["mltestscore"]``: the expectation's kind and, for a tolerance, the Beta(a, b)
    prior of its exception rate and the training rows it came from."""
    entry: dict[str, Any] = {"kind": kind}
    if rate is not None:
        entry["exception_rate_beta"] = [round(rate[0], 6), round(rate[1], 6)]
        entry["inferred_from"] = rows
    return {"mltestscore": entry}


def tolerance(meta: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """The Beta(a, b) exception-rate prior an inferred tolerance carries, or None."""
    entry = (meta or {}).get("mltestscore")
    if not isinstance(entry, Mapping):
        return None
    beta = entry.get("exception_rate_beta")
    if isinstance(beta, Sequence) and len(beta) == 2:
        return float(beta[0]), float(beta[1])
    return None


def exceptions_p_value(unexpected: int, checked: int, beta: tuple[float, float]) -> float:
    """P(at least ``unexpected`` exceptions in ``checked`` new values) under the
    Beta-binomial predictive of a tolerance: small means the exceptions are not chance."""
    from scipy.stats import betabinom

    if unexpected <= 0 or checked <= 0:
        return 1.0
    return float(betabinom.sf(unexpected - 1, checked, beta[0], beta[1]))


def _mostly_for(beta: tuple[float, float]) -> float:
    """The GX ``mostly`` that allows what the predictive allows in a 1,000-row batch."""
    import math

    from scipy.stats import betabinom

    allowed = float(betabinom.isf(DEFAULT_ALPHA, MOSTLY_REFERENCE_ROWS, beta[0], beta[1]))
    return math.floor((1.0 - allowed / MOSTLY_REFERENCE_ROWS) * 1e6) / 1e6


def profile_series(series: pd.Series, column: str, o: _Inference) -> ColumnProfile:
    """The :class:`ColumnProfile` of a pandas column. An ``object`` column of decimals is
    profiled as a number; one holding lists, arrays, structs (dicts) or bytes gets no domain,
    as in the engine (docs/bigdata.md), nor does one of dates, as datetime64 columns."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    rows = len(series)
    nulls = int(series.isna().sum())
    values = series.dropna()
    kinds: set[type] | None = None  # the Python types of an object column's values
    if dtype == np.dtype(object) and len(values):
        kinds = set(values.map(type))
        if all(issubclass(kind, Decimal) for kind in kinds):
            unique = bool(values.is_unique) if _is_id(column, o) else None
            numbers = values.astype("float64")
            finite = bool(np.isfinite(numbers).all())
            return ColumnProfile(
                dtype,
                rows,
                nulls,
                unique=unique,
                low=float_at_or_below(values.min()) if finite else None,
                high=float_at_or_above(values.max()) if finite else None,
                mean=float(numbers.mean()),
                sd=float(numbers.std()),
                decimal=True,
            )
        if any(issubclass(kind, (*OPAQUE_TYPES, np.ndarray)) for kind in kinds):
            unique = None  # lists and structs are not hashable: no uniqueness, no domain
            return ColumnProfile(dtype, rows, nulls, unique=unique)
        if all(issubclass(kind, dt.date) for kind in kinds):
            # dates (Parquet's date32) have no domain: tomorrow's date is not a new category
            unique = bool(values.is_unique) if _is_id(column, o) else None
            return ColumnProfile(dtype, rows, nulls, unique=unique)
    all_str = (
        pd.api.types.is_string_dtype(dtype)
        and not isinstance(dtype, pd.StringDtype)
        and (kinds == {str} if kinds is not None else bool(values.map(type).eq(str).all()))
    )
    unique = bool(values.is_unique) if _is_id(column, o) else None
    if pd.api.types.is_bool_dtype(dtype):
        seen = {python_value(v): int(n) for v, n in values.value_counts().items()}
        return ColumnProfile(dtype, rows, nulls, all_str, unique, counts=seen)
    if pd.api.types.is_numeric_dtype(dtype):
        if values.empty:
            return ColumnProfile(dtype, rows, nulls, all_str, unique)
        return ColumnProfile(
            dtype,
            rows,
            nulls,
            all_str,
            unique,
            low=float(values.min()),
            high=float(values.max()),
            mean=float(values.mean()),
            sd=float(values.std()),
        )
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnProfile(dtype, rows, nulls, all_str, unique)
    found = values.value_counts()
    counts: dict[Any, int] | None = None
    if len(found) <= o.max_categories:
        counts = {python_value(v): int(n) for v, n in found.items()}
    return ColumnProfile(dtype, rows, nulls, all_str, unique, counts=counts)


def _is_id(column: str, o: _Inference) -> bool:
    return column in o.id_columns if o.id_columns is not None else bool(_ID_NAME.search(column))


def _is_id_for(o: _Inference) -> Callable[[str], bool]:
    return lambda column: _is_id(column, o)


def _column_expectations(
    profile: ColumnProfile, column: str, o: _Inference
) -> list[dict[str, Any]]:
    import math

    import pandas as pd

    rows, nulls, dtype = profile.rows, profile.nulls, profile.dtype
    if nulls == rows:
        raise CheckInputError(f"column {column!r}", "is entirely missing; nothing to infer")
    found: list[dict[str, Any]] = []

    def add(kind: str, meta: dict[str, Any], **kwargs: Any) -> None:
        found.append(
            {"type": f"expect_column_{kind}", "kwargs": {"column": column, **kwargs}, "meta": meta}
        )

    def add_tolerated(kind: str, beta: tuple[float, float], n: int, **kwargs: Any) -> None:
        if o.value_mostly is not None:
            add(kind, _meta(OBSERVED), mostly=o.value_mostly, **kwargs)
        else:
            add(kind, _meta(OBSERVED, beta, n), mostly=_mostly_for(beta), **kwargs)

    add_type = _type_expectation(dtype, profile.all_str)
    if add_type is not None:
        add(add_type[0], _meta(CONTRACT), **add_type[1])
    if o.null_margin is not None:
        allowed_nulls = min(1.0, nulls / rows + o.null_margin)
        if allowed_nulls < 1.0:
            # Round down: a rounded-up "mostly" would fail the very data it came from.
            mostly = math.floor((1.0 - allowed_nulls) * 1e6) / 1e6
            add("values_to_not_be_null", _meta(OBSERVED), mostly=mostly)
    else:
        beta = (nulls + 0.5, rows - nulls + 0.5)  # Jeffreys' prior for a proportion
        add("values_to_not_be_null", _meta(OBSERVED, beta, rows), mostly=_mostly_for(beta))
    n = rows - nulls
    if profile.unique:
        add("values_to_be_unique", _meta(CONTRACT))
        return found
    if pd.api.types.is_bool_dtype(dtype):
        seen = sorted(bool(v) for v in (profile.counts or {}))
        if len(seen) < 2:
            add_tolerated("values_to_be_in_set", (1.0, n + 1.0), n, value_set=seen)
    elif pd.api.types.is_numeric_dtype(dtype) or profile.decimal:
        _range_expectations(profile, n, o, add, add_tolerated)
    elif not pd.api.types.is_datetime64_any_dtype(dtype) and profile.counts is not None:
        singletons = sum(1 for count in profile.counts.values() if count == 1)
        add_tolerated(
            "values_to_be_in_set",
            (singletons + 1.0, n - singletons + 1.0),
            n,
            value_set=sorted(profile.counts, key=_sort_key),
        )
    return found


def _range_expectations(
    profile: ColumnProfile,
    n: int,
    o: _Inference,
    add: Callable[..., None],
    add_tolerated: Callable[..., None],
) -> None:
    """A non-negativity contract for counts, the observed range and the plausible range."""
    import math

    import pandas as pd

    if profile.low is None or profile.high is None:
        return
    low, high = profile.low, profile.high
    if not (math.isfinite(low) and math.isfinite(high)):
        return
    integer = pd.api.types.is_integer_dtype(profile.dtype)

    spread = (high - low) * o.range_margin
    min_value, max_value = low - spread, high + spread
    if low >= 0:
        min_value = max(min_value, 0.0)
    if integer:
        min_value, max_value = math.floor(min_value), math.ceil(max_value)
    if integer and low >= 0:
        add("values_to_be_between", _meta(CONTRACT), min_value=0)
    beta = (2.0, max(n - 1.0, 1.0))
    add_tolerated("values_to_be_between", beta, n, min_value=min_value, max_value=max_value)
    sd = math.nan if profile.sd is None else profile.sd
    if o.value_mostly is None and sd > 0 and math.isfinite(sd):
        # Chebyshev: P(|X - mean| >= k sd) <= 1 / k^2 for any distribution with a variance.
        mean = float(profile.mean if profile.mean is not None else math.nan)
        far_low = min(mean - PLAUSIBLE_SDS * sd, low)
        far_high = max(mean + PLAUSIBLE_SDS * sd, high)
        if low >= 0:
            far_low = max(far_low, 0.0)
        if integer:
            far_low, far_high = math.floor(far_low), math.ceil(far_high)
        far = (1.0, PLAUSIBLE_SDS**2 - 1.0)
        add(
            "values_to_be_between",
            _meta(PLAUSIBLE, far, n),
            min_value=far_low,
            max_value=far_high,
            mostly=_mostly_for(far),
        )


def _type_expectation(dtype: Any, all_str: bool) -> tuple[str, dict[str, Any]] | None:
    """The type family of a column, in the form Great Expectations checks for pandas
    (``all_str``: an object column whose values are all text)."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(dtype) and isinstance(dtype, np.dtype):
        return "values_to_be_in_type_list", {"type_list": ["bool"]}
    if pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        return "values_to_be_in_type_list", {"type_list": _INTEGER_TYPES}
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        return "values_to_be_in_type_list", {"type_list": _FLOAT_TYPES}
    if pd.api.types.is_string_dtype(dtype) and (isinstance(dtype, pd.StringDtype) or all_str):
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
    """Write a suite as Great Expectations JSON (reviewable, diffable, loadable by GX),
    atomically; a link, device or FIFO at ``path`` is refused
    (:class:`mltestscore.report.atomic.UnsafeTargetError`)."""
    from mltestscore.report.atomic import write_atomic

    data = schema_to_dict(schema)
    return write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def load_schema(path: PathLike) -> Any:
    """Read a suite saved by ``save_schema`` (or by Great Expectations) as an ExpectationSuite."""
    from mltestscore.checks._expectations import import_great_expectations

    gx = import_great_expectations()

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


@register_check(*RUBRIC_IDS, renamed={"sample_rows": "sample_size"})
def check_schema(
    data: pd.DataFrame | PathLike,
    schema: Any,
    *,
    sample_size: int | None = None,
    seed: int = 0,
    engine: str = "auto",
    max_examples: int = 3,
    alpha: float = DEFAULT_ALPHA,
) -> CheckResult:
    """Validate data (training data or a serving sample) against a Great Expectations suite.

    Evidence that feature expectations are captured (data-1) and that training and serving
    inputs keep to them (monitor-2). ``schema`` is an ``ExpectationSuite`` (from
    ``infer_schema`` or written with Great Expectations), its JSON dict, or a path to it.
    Supported expectation types run vectorised here; others run in Great Expectations
    (``engine="great_expectations"`` runs everything there). ``sample_size`` validates a
    seeded random sample of that many rows instead of every row; both are recorded.

    An expectation that carries an inferred tolerance (``infer_schema``'s observed ranges,
    domains and null shares) fails only when its exceptions are improbable for a sample of the
    training population: p < ``alpha`` under the tolerance's Beta-binomial predictive (0.001:
    at most one false alarm in a thousand per expectation when nothing changed). Every other
    expectation is judged as Great Expectations judges it.
    """
    from mltestscore.checks._expectations import is_supported

    if engine not in {"auto", "great_expectations"}:
        raise CheckInputError("engine", f"must be 'auto' or 'great_expectations', not {engine!r}")
    if not 0 < alpha < 1:
        raise CheckInputError("alpha", f"must be between 0 and 1, not {alpha}")
    suite, raw, rows_total, rows_validated, where = _validate(
        data, schema, sample_size, seed, engine, max_examples
    )
    expectations = suite["expectations"]
    outcomes = [judge_tolerance(o, alpha) for o in raw]
    failures = [o for o in outcomes if not o.success]
    # Nulls within their allowance are expected; out-of-range or unseen values are worth a note.
    tolerated = [o for o in outcomes if o.success and o.unexpected_count and o.type != _NOT_NULL]
    fast = sum(1 for e in expectations if engine == "auto" and is_supported(e))
    kw: dict[str, Any] = {
        "measurements": {
            "expectations": len(outcomes),
            "failed_expectations": len(failures),
            "tolerated_expectations": len(tolerated),
            "judged_by_sample_size": sum(o.p_value is not None for o in outcomes),
            "rows_validated": rows_validated,
            "rows_total": rows_total,
            "evaluated_here": fast,
            "evaluated_by_great_expectations": len(outcomes) - fast,
            **where,
        },
        "thresholds": {"failed_expectations_allowed": 0, "alpha": alpha},
        "parameters": {
            "schema": str(suite.get("name") or ""),
            "sample_size": sample_size,
            "seed": seed if sample_size is not None and sample_size < rows_total else None,
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
            note = f" ({len(tolerated)} within their tolerance: {describe(tolerated[0])})"
        return CheckResult.passed(
            "check_schema",
            RUBRIC_IDS,
            f"all {len(outcomes)} expectations hold on {rows_validated:,} rows{note}",
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


def _validate(
    data: Any, schema: Any, sample_size: int | None, seed: int, engine: str, max_examples: int
) -> tuple[dict[str, Any], list[ExpectationOutcome], int, int, dict[str, object]]:
    """The suite, each expectation's raw outcome, the rows there are and the rows validated,
    and where it ran: in the engine of a large source, else on the pandas frame."""
    from mltestscore.checks._expectations import evaluate
    from mltestscore.checks._frames import is_scannable, open_scan

    scan = open_scan(data, "data") if is_scannable(data) else None
    whole = require_text_columns(read_frame(data, "data"), "data") if scan is None else None
    suite = schema_to_dict(schema)
    if whole is not None and whole.shape[0] == 0:
        raise CheckInputError("data", "has no rows to validate")
    if sample_size is not None and sample_size < 1:
        raise CheckInputError(
            "sample_size", f"must be a positive number of rows, not {sample_size}"
        )
    expectations = suite["expectations"]
    where: dict[str, object] = {}
    if scan is not None and (sample_size is None or sample_size >= scan.rows()):
        from mltestscore.checks._lazy_schema import evaluate_scan

        # without a sample size the row count comes with the aggregates: no pass of its own
        raw, by_sample = evaluate_scan(scan, expectations, engine=engine, max_examples=max_examples)
        rows_total = rows_validated = scan.rows()
        where = {**scan.where(), "great_expectations_sample_rows": by_sample}
    else:
        if scan is not None:
            assert sample_size is not None
            frame = scan.sample(sample_size, seed)
            rows_total = scan.rows()
            where = scan.where()
        else:
            assert whole is not None
            rows_total = len(whole)
            if sample_size is not None and sample_size < rows_total:
                frame = whole.sample(n=sample_size, random_state=seed)
            else:
                frame = whole
        raw = evaluate(frame, expectations, engine=engine, max_examples=max_examples)
        rows_validated = int(frame.shape[0])
    if rows_total == 0:
        raise CheckInputError("data", "has no rows to validate")
    return suite, raw, rows_total, rows_validated, where


def judge_tolerance(outcome: ExpectationOutcome, alpha: float) -> ExpectationOutcome:
    """Re-judge an expectation that carries an inferred tolerance by the sample size: it holds
    unless its exceptions are improbable (p < ``alpha``) for a sample of the training data.
    An outcome that could not be evaluated, or a missing column, keeps its failure."""
    import dataclasses

    beta = tolerance(outcome.meta)
    if beta is None or outcome.error or outcome.observed.endswith(" is missing"):
        return outcome
    if outcome.type == _NOT_NULL:
        checked = outcome.element_count
    elif outcome.unexpected_fraction:
        checked = round(outcome.unexpected_count / outcome.unexpected_fraction)
    else:
        checked = outcome.element_count
    p_value = exceptions_p_value(outcome.unexpected_count, checked, beta)
    return dataclasses.replace(outcome, success=p_value >= alpha, p_value=p_value)


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
        chance = "" if outcome.p_value is None else f", {_p_text(outcome.p_value)}"
        return f"{label}: {outcome.unexpected_count:,} values ({share:.1%}{chance}){tail}"
    return f"{label}: {outcome.observed}" if outcome.observed else label


_NOT_NULL = "expect_column_values_to_not_be_null"


def _p_text(p_value: float) -> str:
    return "p<1e-12" if p_value < 1e-12 else f"p={p_value:.2g}"


def _label(outcome: ExpectationOutcome) -> str:
    kwargs = outcome.kwargs
    column = outcome.column
    short = outcome.type.removeprefix("expect_").removeprefix("column_values_to_")
    if outcome.type == "expect_column_values_to_be_between":
        entry = outcome.meta.get("mltestscore")
        kind = str(entry.get("kind")) if isinstance(entry, Mapping) else ""
        prefix = {OBSERVED: "observed range ", PLAUSIBLE: "plausible range "}.get(kind, "")
        low, high = kwargs.get("min_value", "-inf"), kwargs.get("max_value", "inf")
        return f"{column} {prefix}in [{low}, {high}]"
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
            None if o.p_value is None else float(f"{o.p_value:.3g}"),
            o.engine,
        )
        for o in failures
    ]
    return Table.build(
        title,
        ["expectation", "column", "unexpected", "unexpected_share", "examples", "p", "engine"],
        rows,
        chart="unexpected_share",
    )
