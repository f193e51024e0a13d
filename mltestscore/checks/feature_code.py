"""Property-based tests of feature code (data-7), driven by the data schema.

The rubric asks that all input feature code be tested. Hand-written unit tests cover the cases
their author thought of; this check throws generated data at a feature function
(DataFrame -> DataFrame) instead: valid rows inside the schema, its edge values (min, max,
zero, every category) and missing values, and checks the properties any feature code must keep:

- it does not raise, returns a DataFrame with one row per input row, and leaves its input alone;
- it is deterministic: the same input gives the same output;
- for valid input (no missing values) its output has no NaN or infinity;
- for valid input its output dtypes are those it produces on reference data.

Hypothesis runs inside the check (bounded ``max_examples``, no deadline, a recorded seed) and
shrinks a failure to a minimal example, which the result reports.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mltestscore.checks._inputs import read_frame
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table, python_value
from mltestscore.checks.schema import infer_schema, schema_to_dict

if TYPE_CHECKING:
    import pandas as pd

RUBRIC_IDS = ("data-7",)
_UNBOUNDED = 1e6  # numeric range used when the schema gives no bound
_EARLIEST = datetime(2000, 1, 1)  # timestamp range for datetime columns (schemas give none)
_LATEST = datetime(2035, 12, 31)


@dataclass(frozen=True)
class ColumnSpec:
    """What the schema says about one input column, enough to generate values for it."""

    name: str
    kind: str  # "int", "float", "bool", "datetime", "str", "category"
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()
    nullable: bool = True
    unique: bool = False


def column_specs(expectations: Sequence[Mapping[str, Any]]) -> list[ColumnSpec]:
    """Read column kinds, ranges, value sets, nullability and uniqueness from expectations."""
    order: list[str] = []
    facts: dict[str, dict[str, Any]] = {}
    for expectation in expectations:
        kind, kwargs = str(expectation["type"]), dict(expectation.get("kwargs") or {})
        listed = kwargs.get("column_list") or kwargs.get("column_set")
        if kind.startswith("expect_table_columns_to_match") and listed:
            order = [str(c) for c in listed]
        if "column" not in kwargs:
            continue
        column = str(kwargs["column"])
        found = facts.setdefault(column, {})
        if kind.endswith("_in_type_list") or kind.endswith("_of_type"):
            found["kind"] = _kind_from_types(kwargs.get("type_list") or [kwargs.get("type_")])
        elif kind == "expect_column_values_to_be_between":
            # A schema may bound a column several times (a contract such as ">= 0", the
            # observed range, a plausible range): valid input satisfies them all.
            found["low"] = _tighter(found.get("low"), kwargs.get("min_value"), max)
            found["high"] = _tighter(found.get("high"), kwargs.get("max_value"), min)
        elif kind == "expect_column_values_to_be_in_set":
            found["values"] = tuple(kwargs.get("value_set") or ())
        elif kind == "expect_column_values_to_not_be_null":
            found["nullable"] = float(kwargs.get("mostly", 1.0)) < 1.0
        elif kind == "expect_column_values_to_be_unique":
            found["unique"] = True
    names = order + [c for c in facts if c not in order]
    return [_spec(name, facts.get(name, {})) for name in names]


def _kind_from_types(names: Sequence[Any]) -> str:
    joined = " ".join(str(n).lower() for n in names)
    if "datetime" in joined:
        return "datetime"
    if "bool" in joined:
        return "bool"
    if "int" in joined:
        return "int"
    if "float" in joined:
        return "float"
    return "str"


def _spec(name: str, found: Mapping[str, Any]) -> ColumnSpec:
    values = tuple(found.get("values", ()))
    kind = found.get("kind") or ("float" if "low" in found or "high" in found else "str")
    if values and kind in {"str", "bool"}:
        kind = "category" if kind == "str" else kind
    low, high = found.get("low"), found.get("high")
    return ColumnSpec(
        name=name,
        kind=kind,
        low=None if low is None else float(low),
        high=None if high is None else float(high),
        values=values,
        nullable=bool(found.get("nullable", True)),
        unique=bool(found.get("unique", False)),
    )


def _value_strategy(spec: ColumnSpec) -> Any:
    """Values inside the schema. Hypothesis favours the bounds (min, max) and zero by itself,
    and shrinks towards the first category and the value nearest zero."""
    from hypothesis import strategies as st

    if spec.values:
        return st.sampled_from(list(spec.values))
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "datetime":
        return st.datetimes(_EARLIEST, _LATEST)
    if spec.kind in {"int", "float"}:
        low = spec.low if spec.low is not None else -_UNBOUNDED
        high = spec.high if spec.high is not None else _UNBOUNDED
        if spec.kind == "int":
            return st.integers(math.ceil(low), math.floor(high))
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    return st.text(max_size=12)


def _tighter(current: Any, bound: Any, pick: Callable[[Any, Any], Any]) -> Any:
    """The stricter of two optional bounds (``pick`` is max for lower, min for upper ones)."""
    if current is None:
        return bound
    return current if bound is None else pick(current, bound)


def _frames(specs: Sequence[ColumnSpec], max_rows: int, missing_values: bool) -> Any:
    """A strategy for (frame, mask of rows with a missing value).

    Missing values go into at most two columns per example, so most generated inputs still
    have valid rows, and a shrunk example has missing values only where they matter.
    """
    from hypothesis import strategies as st

    nullable = [s.name for s in specs if s.nullable]

    @st.composite
    def build(draw: Any) -> tuple[pd.DataFrame, Any]:
        import numpy as np
        import pandas as pd

        rows = draw(st.integers(1, max_rows))
        with_holes: set[str] = set()
        if missing_values and nullable:
            with_holes = draw(st.sets(st.sampled_from(nullable), max_size=2))
        data: dict[str, Any] = {}
        missing_rows = np.zeros(rows, dtype=bool)
        for spec in specs:
            values = draw(
                st.lists(_value_strategy(spec), min_size=rows, max_size=rows, unique=spec.unique)
            )
            if spec.name in with_holes:
                holes = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
                values = [None if hole else v for v, hole in zip(values, holes, strict=True)]
                missing_rows |= np.asarray(holes, dtype=bool)
            data[spec.name] = _series(spec, values)
        return pd.DataFrame(data), missing_rows

    return build()


def _series(spec: ColumnSpec, values: list[Any]) -> pd.Series:
    """A column as a CSV reader would produce it (ints with a gap become floats)."""
    import pandas as pd

    if spec.kind in {"str", "category"} and all(isinstance(v, str | None) for v in values):
        return pd.Series(values, dtype="str")
    if spec.kind == "datetime":
        return pd.Series(pd.to_datetime(values))
    if spec.kind in {"int", "float"}:
        return pd.Series(
            values, dtype="float64" if None in values or spec.kind == "float" else "int64"
        )
    return pd.Series(values, dtype=object if None in values else None)


class _PropertyFailure(AssertionError):
    """A property of the feature code did not hold for one generated input."""


class _ShrinkBudgetSpent(BaseException):
    """Stops Hypothesis once shrinking has used its time budget (a BaseException, like
    KeyboardInterrupt, so Hypothesis lets it through instead of treating it as a failure)."""


@register_check(*RUBRIC_IDS)
def check_feature_code(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame],
    schema: Any = None,
    *,
    training_data: pd.DataFrame | None = None,
    max_examples: int = 100,
    max_rows: int = 5,
    missing_values: bool = True,
    seed: int = 0,
    shrink_seconds: float = 5.0,
) -> CheckResult:
    """Property-test a feature function (DataFrame -> DataFrame) on schema-driven inputs.

    Inputs come from ``schema`` (an ExpectationSuite, its dict or JSON path) or, failing that,
    from a schema inferred from ``training_data`` (which is also the reference for output
    dtypes). Up to ``max_examples`` frames of 1..``max_rows`` rows are generated with seed
    ``seed``; with ``missing_values`` some values are missing, and the code must then still run,
    keep the row count and stay deterministic (NaN outputs are allowed only there). Shrinking
    a failure stops after ``shrink_seconds``; the result says whether it finished.
    """
    if not callable(feature_fn):
        raise CheckInputError("feature_fn", f"must be a callable, got {type(feature_fn).__name__}")
    if max_examples < 1 or max_rows < 1:
        raise CheckInputError("max_examples", "max_examples and max_rows must be at least 1")
    from mltestscore.checks._frames import is_scannable

    reference: pd.DataFrame | None = None
    profiled: Any = None
    if training_data is not None and is_scannable(training_data):
        # a large source: the schema is inferred in its engine, the reference rows are a
        # seeded engine sample (only the first 200 rows are used below)
        from mltestscore.checks._frames import open_scan

        scan = open_scan(training_data, "training_data")
        if scan.rows() == 0:
            raise CheckInputError("training_data", "has no rows")
        reference, profiled = scan.sample(200, seed), training_data
    elif training_data is not None:
        reference = read_frame(training_data, "training_data")
        if reference.shape[0] == 0:
            raise CheckInputError("training_data", "has no rows")
        profiled = reference
    if schema is not None:
        expectations = schema_to_dict(schema)["expectations"]
    elif profiled is not None:
        suite = infer_schema(profiled, range_margin=0.0, null_margin=0.0, value_mostly=1.0)
        expectations = schema_to_dict(suite)["expectations"]
    else:
        raise CheckInputError("schema", "give a schema or training_data to generate inputs from")
    specs = column_specs(expectations)
    if not specs:
        raise CheckInputError("schema", "names no columns to generate")
    if reference is None:
        reference = _reference_frame(specs)
    else:
        reference = reference[[s.name for s in specs if s.name in reference.columns]].head(200)
    params = {
        "max_examples": max_examples,
        "max_rows": max_rows,
        "missing_values": missing_values,
        "seed": seed,
        "shrink_seconds": shrink_seconds,
        "inputs_from": "schema" if schema is not None else "training_data",
    }
    expected_dtypes = _run_reference(feature_fn, reference)
    if isinstance(expected_dtypes, str):
        return CheckResult.failed(
            "check_feature_code",
            RUBRIC_IDS,
            f"the feature code fails on reference data: {expected_dtypes}",
            parameters=params,
        )
    edges = _edge_frame(specs)
    edge_failure = _edge_failure(feature_fn, edges, specs, expected_dtypes)
    if edge_failure is not None:
        message, example = edge_failure
        return CheckResult.failed(
            "check_feature_code",
            RUBRIC_IDS,
            f"feature code breaks a property on edge values: {message}; "
            f"example: {_describe_example(example, specs)}",
            measurements={"edge_rows": len(edges), "examples_run": 0},
            thresholds={"property_failures_allowed": 0},
            parameters=params,
            tables=[_example_table(example, "Failing edge-value input")],
        )
    runs = _run_hypothesis(feature_fn, specs, expected_dtypes, params)
    kw: dict[str, Any] = {
        "measurements": {
            "edge_rows": len(edges),
            "examples_run": runs.examples,
            "rows_generated": runs.rows,
        },
        "thresholds": {"property_failures_allowed": 0},
        "parameters": params,
    }
    if runs.failure is None:
        return CheckResult.passed(
            "check_feature_code",
            RUBRIC_IDS,
            f"feature code holds on {len(edges)} edge-value rows and {runs.examples} generated "
            f"inputs ({runs.rows} rows): "
            "deterministic, row count kept, no NaN/inf and stable dtypes for valid input",
            **kw,
        )
    message, example = runs.failure
    kw["measurements"]["shrink_complete"] = runs.shrink_complete
    example = _failing_row_first(example, message)
    return CheckResult.failed(
        "check_feature_code",
        RUBRIC_IDS,
        f"feature code breaks a property: {message}; "
        f"shrunk example: {_describe_example(example, specs)}",
        tables=[_example_table(example)],
        **kw,
    )


@dataclass
class _Runs:
    examples: int = 0
    rows: int = 0
    failure: tuple[str, pd.DataFrame] | None = None
    first_failure_at: float | None = None
    shrink_complete: bool = True


def _run_hypothesis(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame],
    specs: Sequence[ColumnSpec],
    expected_dtypes: Mapping[str, str],
    params: Mapping[str, Any],
) -> _Runs:
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed

    runs = _Runs()
    budget = float(params["shrink_seconds"])

    @hypothesis_seed(int(params["seed"]))
    @settings(
        max_examples=int(params["max_examples"]),
        deadline=None,
        database=None,
        derandomize=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        print_blob=False,
        report_multiple_bugs=False,
    )
    @given(_frames(specs, int(params["max_rows"]), bool(params["missing_values"])))
    def properties(drawn: tuple[pd.DataFrame, Any]) -> None:
        frame, missing_rows = drawn
        if runs.first_failure_at is not None and (
            time.perf_counter() - runs.first_failure_at > budget
        ):
            runs.shrink_complete = False
            raise _ShrinkBudgetSpent
        runs.examples += 1
        runs.rows += len(frame)
        problem = _check_properties(feature_fn, frame, missing_rows, expected_dtypes)
        if problem is not None:
            # Hypothesis only tries inputs smaller than the best failure so far, so the last
            # failure recorded is the most shrunk one.
            runs.failure = (problem, frame)
            if runs.first_failure_at is None:
                runs.first_failure_at = time.perf_counter()
            raise _PropertyFailure(problem)

    try:
        properties()
    except (_PropertyFailure, _ShrinkBudgetSpent):
        pass
    except Exception as exc:  # hypothesis itself gave up (e.g. flaky): report, never crash
        if runs.failure is None:
            import pandas as pd

            runs.failure = (
                f"property testing stopped: {type(exc).__name__}: {exc}",
                pd.DataFrame(),
            )
    return runs


def _check_properties(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame],
    frame: pd.DataFrame,
    missing_rows: Any,
    expected_dtypes: Mapping[str, str],
) -> str | None:
    """The first property the feature code breaks on ``frame``, or None."""
    import numpy as np
    import pandas as pd

    pristine = frame.copy()
    first = _call(feature_fn, frame)
    if isinstance(first, str):
        return first
    if not frame.equals(pristine):
        return "it modifies its input frame in place"
    if len(first) != len(frame):
        return f"it returns {len(first)} rows for {len(frame)} input rows"
    second = _call(feature_fn, frame.copy())
    if isinstance(second, str) or not first.equals(second):
        return "it is not deterministic: the same input gave different outputs"
    valid = ~np.asarray(missing_rows, dtype=bool)
    if not valid.any():
        return None
    for column in first.columns:
        values = first[column]
        bad = values.isna().to_numpy() & valid
        if bad.any():
            return f"output {column!r} is NaN/missing for valid input (row {int(bad.argmax())})"
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric:
            bad = ~np.isfinite(values.to_numpy(dtype="float64", na_value=0.0)) & valid
            if bad.any():
                return f"output {column!r} is infinite for valid input (row {int(bad.argmax())})"
    if valid.all():
        actual = {str(c): str(t) for c, t in first.dtypes.items()}
        if actual != dict(expected_dtypes):
            return "output dtypes changed: " + _dtype_diff(expected_dtypes, actual)
    return None


def _call(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame], frame: pd.DataFrame
) -> pd.DataFrame | str:
    import pandas as pd

    try:
        with warnings.catch_warnings():
            # Generated edge values make numpy warn (log of zero...); the properties report
            # what matters, and a flood of warnings in the test log helps nobody.
            warnings.simplefilter("ignore")
            output = feature_fn(frame)
    except Exception as exc:
        return f"it raised {type(exc).__name__}: {str(exc)[:120]}"
    if not isinstance(output, pd.DataFrame):
        return f"it returned {type(output).__name__}, not a DataFrame"
    return output


def _run_reference(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame], reference: pd.DataFrame
) -> dict[str, str] | str:
    output = _call(feature_fn, reference.copy())
    if isinstance(output, str):
        return output
    return {str(c): str(t) for c, t in output.dtypes.items()}


def _reference_frame(specs: Sequence[ColumnSpec]) -> pd.DataFrame:
    """Typical values (mid-range, first category) for dtypes when no training data is given."""
    import pandas as pd

    data: dict[str, Any] = {}
    for spec in specs:
        if spec.values:
            values = [spec.values[i % len(spec.values)] for i in range(3)]
        elif spec.kind == "bool":
            values = [True, False, True]
        elif spec.kind == "datetime":
            values = [_EARLIEST, _LATEST, _EARLIEST]
        elif spec.kind in {"int", "float"}:
            low = spec.low if spec.low is not None else 0.0
            high = spec.high if spec.high is not None else low + 1.0
            values = [low, (low + high) / 2, high]
            if spec.kind == "int":
                values = [math.ceil(values[0]), math.floor(values[1]), math.floor(values[2])]
        else:
            values = ["a", "b", "c"]
        data[spec.name] = _series(spec, values)
    return pd.DataFrame(data)


def _dtype_diff(expected: Mapping[str, str], actual: Mapping[str, str]) -> str:
    changes = [
        f"{c} {expected.get(c, 'absent')} -> {actual.get(c, 'absent')}"
        for c in dict.fromkeys([*expected, *actual])
        if expected.get(c) != actual.get(c)
    ]
    return ", ".join(changes[:4])


def _failing_row_first(frame: pd.DataFrame, message: str) -> pd.DataFrame:
    """Put the row a message names (``(row N)``) first, so the reason shows the culprit."""
    match = re.search(r"\(row (\d+)\)", message)
    if match is None or frame.empty:
        return frame
    row = int(match.group(1))
    order = [row, *[i for i in range(len(frame)) if i != row]]
    return frame.iloc[order]


def _describe_example(frame: pd.DataFrame, specs: Sequence[ColumnSpec]) -> str:
    """The failing row, naming first the columns Hypothesis could not shrink to their simplest
    value: those are the ones the failure depends on."""
    if frame.empty:
        return "none"
    row = frame.iloc[0]
    simplest = {s.name: _simplest(s) for s in specs}
    notable = [
        c for c in frame.columns if c not in simplest or not _same_value(row[c], simplest[c])
    ]
    rows = f"{len(frame)} row(s)"
    if not notable:
        return f"{rows}, every column at its simplest value"
    shown = ", ".join(f"{c}={python_value(row[c])!r}" for c in notable[:8])
    rest = len(frame.columns) - len(notable[:8])
    tail = f" (other {rest} columns at their simplest value)" if rest else ""
    return f"{rows}, failing row: {shown}{tail}"


def _simplest(spec: ColumnSpec) -> Any:
    """The value Hypothesis shrinks a column towards."""
    if spec.values:
        return spec.values[0]
    if spec.kind == "bool":
        return False
    if spec.kind == "datetime":
        return _EARLIEST
    if spec.kind in {"int", "float"}:
        low = spec.low if spec.low is not None else -_UNBOUNDED
        high = spec.high if spec.high is not None else _UNBOUNDED
        value = min(max(0.0, low), high)
        return math.ceil(value) if spec.kind == "int" else value
    return ""


def _same_value(value: Any, simplest: Any) -> bool:
    try:
        return bool(python_value(value) == simplest)
    except (TypeError, ValueError):
        return False


def _example_table(frame: pd.DataFrame, title: str = "Shrunk failing input") -> Table:
    rows = [[python_value(v) for v in record] for record in frame.head(10).itertuples(index=False)]
    return Table.build(title, [str(c) for c in frame.columns], rows)


def _edge_frame(specs: Sequence[ColumnSpec], max_rows: int = 50) -> pd.DataFrame:
    """Every column at its edges at once: min, max and simplest value (zero when in range),
    every category and both booleans, cycled over as many rows as the longest list needs."""
    import pandas as pd

    choices: dict[str, list[Any]] = {}
    for spec in specs:
        if spec.values:
            options = list(spec.values)
        elif spec.kind == "bool":
            options = [False, True]
        elif spec.kind == "datetime":
            options = [_EARLIEST, _LATEST]
        elif spec.kind in {"int", "float"}:
            low = spec.low if spec.low is not None else -_UNBOUNDED
            high = spec.high if spec.high is not None else _UNBOUNDED
            if spec.kind == "int":
                low, high = math.ceil(low), math.floor(high)
            options = list(dict.fromkeys([low, high, _simplest(spec)]))
        else:
            options = ["", "a", "Z" * 40]
        choices[spec.name] = options
    rows = min(max_rows, max(len(options) for options in choices.values()))
    # Each column cycles from its own offset, so one column's minimum meets another's maximum
    # (a zero denominator, a difference below zero...).
    data = {}
    for offset, spec in enumerate(specs):
        options = choices[spec.name]
        data[spec.name] = _series(spec, [options[(i + offset) % len(options)] for i in range(rows)])
    if any(s.unique for s in specs):  # cycled values would repeat: keep one row per distinct
        rows = min(len(choices[s.name]) for s in specs if s.unique)
        data = {name: column.iloc[:rows] for name, column in data.items()}
    return pd.DataFrame(data)


def _edge_failure(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame],
    edges: pd.DataFrame,
    specs: Sequence[ColumnSpec],
    expected_dtypes: Mapping[str, str],
) -> tuple[str, pd.DataFrame] | None:
    """The property the edge-value frame breaks, narrowed to the failing row when it can be."""
    import numpy as np

    problem = _check_properties(
        feature_fn, edges, np.zeros(len(edges), dtype=bool), expected_dtypes
    )
    if problem is None:
        return None
    match = re.search(r"\(row (\d+)\)", problem)
    named = [int(match.group(1))] if match is not None else []
    for row in dict.fromkeys([*named, *range(len(edges))]):
        single = edges.iloc[[row]].reset_index(drop=True)
        narrowed = _check_properties(feature_fn, single, np.zeros(1, dtype=bool), expected_dtypes)
        if narrowed is not None:
            return _simplify(feature_fn, single, narrowed, specs, expected_dtypes)
    return problem, edges


def _simplify(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame],
    row: pd.DataFrame,
    problem: str,
    specs: Sequence[ColumnSpec],
    expected_dtypes: Mapping[str, str],
) -> tuple[str, pd.DataFrame]:
    """Greedily set each column of a failing one-row input to its simplest value while it still
    fails (one call per column), so the report names only the columns that matter."""
    import numpy as np

    for spec in specs:
        if spec.name not in row.columns:
            continue
        candidate = row.copy()
        candidate[spec.name] = _series(spec, [_simplest(spec)])
        found = _check_properties(feature_fn, candidate, np.zeros(1, dtype=bool), expected_dtypes)
        if found is not None:
            row, problem = candidate, found
    return problem, row
