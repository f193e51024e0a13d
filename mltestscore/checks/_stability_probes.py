"""Numerical stability (monitor-5), the measuring half: the input domain of each column,
edge-case rows built from it, running rows through the model (bisecting a batch that raises
so the error is pinned on its rows) and the hypothesis search for a row with bad outputs.
What the findings mean is decided in :mod:`mltestscore.checks.stability`.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mltestscore.checks import _models
from mltestscore.checks.registry import CheckInputError
from mltestscore.checks.result import python_value

UNSEEN_CATEGORY = "__mltestscore_unseen__"
RAISED = "the model raised"
HYPOTHESIS_ENGINE = "hypothesis"
RANDOM_ENGINE = "seeded random rows (inside a hypothesis test, which cannot nest another)"


@dataclass
class ColumnDomain:
    """The values a column may take: a numeric range, or a set of categories."""

    name: str
    numeric: bool
    low: float = 0.0
    high: float = 0.0
    integer: bool = False
    values: list[Any] = field(default_factory=list)
    typical: Any = None
    source: str = ""
    # the categories of a pandas categorical column: probe rows keep that dtype, as a model
    # fit on categoricals (LightGBM, XGBoost) refuses the same values as plain objects
    categories: list[Any] | None = None

    def edge_values(self, large_factor: float, missing: bool, unseen: bool) -> list[Any]:
        """The probe values for this column, each tried alone in an otherwise typical row."""
        edges: list[Any]
        if self.numeric:
            big = max(abs(self.low), abs(self.high), 1.0) * large_factor
            edges = [self.low, self.high, 0.0, -big, big]
        else:
            edges = list(self.values[:1]) + list(self.values[-1:])
            if unseen:
                edges.append(UNSEEN_CATEGORY)
        if missing:
            edges.append(math.nan if self.numeric else None)
        unique: list[Any] = []
        for value in edges:
            if not any(same_value(value, seen) for seen in unique):
                unique.append(value)
        return unique


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and bool(a == b)


def _domains_from_frame(frame: Any, columns: Sequence[str], source: str) -> dict[str, ColumnDomain]:
    import numpy as np
    import pandas as pd

    domains: dict[str, ColumnDomain] = {}
    for column in columns:
        values = frame[column]
        present = values.dropna()
        if present.empty:
            raise CheckInputError(f"column {column!r}", f"is entirely missing in the {source}")
        dtype = values.dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            # The range is drawn from: infinite values (edge cases of their own) stay out.
            finite = present[np.isfinite(present.to_numpy(dtype=float))]
            if finite.empty:
                raise CheckInputError(f"column {column!r}", f"has no finite value in the {source}")
            domains[column] = ColumnDomain(
                column,
                numeric=True,
                low=float(finite.min()),
                high=float(finite.max()),
                integer=bool(pd.api.types.is_integer_dtype(dtype)),
                typical=float(finite.median()),
                source=source,
            )
        else:
            counts = present.value_counts()
            domains[column] = ColumnDomain(
                column,
                numeric=False,
                values=[python_value(v) for v in counts.index],
                typical=python_value(counts.index[0]),
                source=source,
            )
    return domains


def _bounds(low: Any, high: Any) -> tuple[float, float] | None:
    """A usable (low, high) from an expectation's bounds; a one-sided one gets a unit span."""
    if low is None and high is None:
        return None
    if low is None:
        return float(high) - 1.0, float(high)
    if high is None:
        return float(low), float(low) + 1.0
    return float(low), float(high)


def _domains_from_suite(suite: Any) -> dict[str, ColumnDomain]:
    from mltestscore.checks.schema import schema_to_dict

    domains: dict[str, ColumnDomain] = {}
    for expectation in schema_to_dict(suite)["expectations"]:
        kind = expectation.get("type")
        kwargs = expectation.get("kwargs") or {}
        column = kwargs.get("column")
        if not isinstance(column, str):
            continue
        if kind == "expect_column_values_to_be_between":
            bounds = _bounds(kwargs.get("min_value"), kwargs.get("max_value"))
            if bounds is None:
                continue
            low, high = bounds
            domains[column] = ColumnDomain(
                column,
                numeric=True,
                low=low,
                high=high,
                integer=float(low).is_integer() and float(high).is_integer(),
                typical=(low + high) / 2,
                source="schema",
            )
        elif kind == "expect_column_values_to_be_in_set" and kwargs.get("value_set"):
            values = list(kwargs["value_set"])
            domains[column] = ColumnDomain(
                column, numeric=False, values=values, typical=values[0], source="schema"
            )
    return domains


def _model_columns(model: Any, *frames: Any) -> list[str]:
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    for frame in frames:
        if frame is not None:
            return [str(c) for c in frame.columns]
    return []


def build_domains(
    model: Any, data: Any, reference: Any, schema: Any, columns: Sequence[str] | None
) -> dict[str, ColumnDomain]:
    selected = list(columns) if columns is not None else _model_columns(model, reference, data)
    suite_domains = _domains_from_suite(schema) if schema is not None else {}
    if not selected:
        selected = list(suite_domains)
    if not selected:
        raise CheckInputError("columns", "no input columns: give data, a reference or a schema")
    base = reference if reference is not None else data
    missing = [c for c in selected if c not in suite_domains]
    if missing and base is None:
        raise CheckInputError(
            "schema", f"has no range or value set for {missing[:5]} and no reference data was given"
        )
    frame_domains: dict[str, ColumnDomain] = {}
    if missing:
        absent = [c for c in missing if c not in base.columns]
        if absent:
            label = "reference" if reference is not None else "data"
            raise CheckInputError(f"column {absent[0]!r}", f"is not in the {label}")
        frame_domains = _domains_from_frame(
            base, missing, "reference" if reference is not None else "data"
        )
    domains = {c: suite_domains.get(c) or frame_domains[c] for c in selected}
    if base is not None:
        import pandas as pd

        for name, domain in domains.items():
            dtype = base[name].dtype if name in base.columns else None
            if isinstance(dtype, pd.CategoricalDtype) and not domain.numeric:
                domain.categories = list(dtype.categories)
    return domains


# --------------------------------------------------------------------------------------------
# Judging outputs


def output_problems(
    model: Any, frame: Any, proba_tolerance: float, *, cached: bool = False
) -> tuple[Any, bool]:
    """Per-row problem descriptions ('' when fine) and whether probabilities were checked."""
    import numpy as np

    problems = np.full(len(frame), "", dtype=object)
    if cached:
        outputs = _models.predict(model, frame), _models.predict_proba(model, frame)
    else:
        outputs = direct_outputs(model, frame)
    predictions = np.asarray(outputs[0])
    if predictions.shape[0] != len(frame):
        raise CheckInputError(
            "model", f"predict returned {predictions.shape[0]} rows for {len(frame)}"
        )
    if np.issubdtype(predictions.dtype, np.number):
        flat = predictions.reshape(len(frame), -1).astype(np.float64)
        bad = ~np.isfinite(flat).all(axis=1)
        problems[bad] = [_nonfinite("prediction", row) for row in flat[bad]]
    proba = outputs[1]
    if proba is None:
        return problems, False
    proba = np.asarray(proba, dtype=np.float64).reshape(len(frame), -1)
    nonfinite = np.asarray(~np.isfinite(proba).all(axis=1))
    out_of_range = np.asarray(
        ((proba < -proba_tolerance) | (proba > 1 + proba_tolerance)).any(axis=1)
    )
    bad_sum = np.asarray(np.abs(proba.sum(axis=1) - 1.0) > proba_tolerance)
    for row in np.flatnonzero(nonfinite | out_of_range | bad_sum):
        if problems[row]:
            continue
        if nonfinite[row]:
            problems[row] = _nonfinite("probability", proba[row])
        elif out_of_range[row]:
            problems[row] = f"probability outside [0, 1]: {_short(proba[row])}"
        else:
            problems[row] = f"probabilities sum to {proba[row].sum():.6g}, not 1"
    return problems, True


def direct_outputs(model: Any, frame: Any) -> tuple[Any, Any]:
    """(predictions, probabilities or None) of ``model`` on ``frame``.

    For a scikit-learn Pipeline the steps before the estimator transform the rows once and
    the estimator predicts both from that, exactly what ``Pipeline.predict`` and
    ``predict_proba`` each do on their own: on the example that transform is most of the
    cost of a call on a few rows.
    """
    if not callable(getattr(model, "predict_proba", None)):
        return model.predict(frame), None
    split = _pipeline_head_and_estimator(model)
    if split is None:
        return model.predict(frame), model.predict_proba(frame)
    head, estimator = split
    transformed = head.transform(frame)
    return estimator.predict(transformed), estimator.predict_proba(transformed)


def _pipeline_head_and_estimator(model: Any) -> tuple[Any, Any] | None:
    """A plain scikit-learn Pipeline's transforming steps and final estimator; None for
    anything else (a subclass may predict its own way)."""
    import sys

    pipeline = sys.modules.get("sklearn.pipeline")
    if pipeline is None or type(model) is not pipeline.Pipeline or len(model.steps) < 2:
        return None
    estimator = model.steps[-1][1]
    if not callable(getattr(estimator, "predict_proba", None)):
        return None
    return model[:-1], estimator


def _nonfinite(what: str, row: Any) -> str:
    return f"{what} is not finite: {_short(row)}"


def _short(row: Any) -> str:
    return (
        "["
        + ", ".join(f"{float(v):.4g}" for v in list(row)[:4])
        + (", …]" if len(row) > 4 else "]")
    )


def _frame_of(rows: Sequence[Mapping[str, Any]], domains: Mapping[str, ColumnDomain]) -> Any:
    """Rows as a DataFrame with numeric columns as float, categorical ones as object (or as
    the pandas categorical they were in the data)."""
    import numpy as np
    import pandas as pd

    data: dict[str, Any] = {}
    for name, domain in domains.items():
        column = [row[name] for row in rows]
        if domain.numeric:
            data[name] = np.asarray(
                [math.nan if v is None else float(v) for v in column], dtype=np.float64
            )
        elif domain.categories is not None:  # an unseen value becomes missing, as in pandas
            data[name] = pd.Categorical(column, categories=domain.categories)
        else:
            data[name] = pd.Series(column, dtype=object)
    return pd.DataFrame(data)


def run_rows(
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    domains: Mapping[str, ColumnDomain],
    proba_tolerance: float,
    *,
    pinpoint: bool = True,
) -> tuple[list[str], bool]:
    """One problem description per row; when the batch raises, it is bisected so the error
    is pinned on the rows that cause it. Warnings the model emits on these deliberately odd
    inputs are silenced: the outputs are what is judged."""
    with warnings.catch_warnings(), _single_threaded():
        warnings.simplefilter("ignore")
        return _run_rows_quietly(model, rows, domains, proba_tolerance, pinpoint)


def _single_threaded() -> contextlib.AbstractContextManager[object]:
    """Native thread pools (OpenMP, BLAS) limited to one thread while predicting a few rows:
    for a handful of rows, spinning up threads costs far more than the work, and on a busy
    machine it can cost seconds per call."""
    try:
        from mltestscore.checks._threads import thread_limit

        limits: contextlib.AbstractContextManager[object] = thread_limit(1)
    except ImportError:  # pragma: no cover - scikit-learn installs threadpoolctl
        return contextlib.nullcontext()
    return limits


def _run_rows_quietly(
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    domains: Mapping[str, ColumnDomain],
    proba_tolerance: float,
    pinpoint: bool,
) -> tuple[list[str], bool]:
    """Judge a batch; when it raises, bisect it (few model calls for a few bad rows) unless
    the caller only needs to know that the batch fails."""
    try:
        problems, proba_checked = output_problems(model, _frame_of(rows, domains), proba_tolerance)
        return [str(p) for p in problems], proba_checked
    except CheckInputError:
        raise
    except Exception as exc:
        if not pinpoint or len(rows) == 1:
            message = f"{RAISED} {type(exc).__name__}: {first_line(exc)}"
            return [message] * len(rows), False
    middle = len(rows) // 2
    left, left_proba = _run_rows_quietly(model, rows[:middle], domains, proba_tolerance, True)
    right, right_proba = _run_rows_quietly(model, rows[middle:], domains, proba_tolerance, True)
    return left + right, left_proba or right_proba


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else ""


# --------------------------------------------------------------------------------------------
# Hypothesis search


def _row_strategy(
    domains: Mapping[str, ColumnDomain], large_factor: float, missing: bool, unseen: bool
) -> Any:
    from hypothesis import strategies as st

    fields: dict[str, Any] = {}
    for name, domain in domains.items():
        if domain.numeric:
            inside = (
                st.integers(math.ceil(domain.low), math.floor(domain.high)).map(float)
                if domain.integer and math.ceil(domain.low) <= math.floor(domain.high)
                else st.floats(domain.low, domain.high, allow_nan=False)
            )
            fields[name] = st.one_of(
                st.just(domain.typical),
                inside,
                st.sampled_from(domain.edge_values(large_factor, missing, unseen)),
            )
        else:
            fields[name] = st.one_of(
                st.just(domain.typical),
                st.sampled_from(domain.values),
                st.sampled_from(domain.edge_values(large_factor, missing, unseen)),
            )
    return st.fixed_dictionaries(fields)


@dataclass(frozen=True)
class SearchPlan:
    """How hard the search for a bad output looks: examples, rows per example, the shrink
    budget in model calls, the seed, and which edge values it may draw."""

    max_examples: int
    rows_per_example: int
    shrink_budget: int
    seed: int
    large_factor: float
    missing: bool
    unseen: bool
    proba_tolerance: float


def search(
    model: Any,
    domains: Mapping[str, ColumnDomain],
    plan: SearchPlan,
) -> tuple[dict[str, Any] | None, str, str]:
    """The shrunk failing row hypothesis finds (or None), its problem and the engine used.

    Each example is a batch of up to ``rows_per_example`` rows (one model call per batch,
    which matters for models with a high per-call cost); hypothesis shrinks a failing batch
    to the single simplest failing row within ``shrink_budget`` further model calls.
    """
    import random

    from hypothesis import HealthCheck, Phase, Verbosity, find, settings
    from hypothesis import strategies as st
    from hypothesis.control import currently_in_test_context
    from hypothesis.errors import NoSuchExample

    if currently_in_test_context():  # hypothesis refuses to nest inside a @given test
        return random_search(model, domains, plan)

    known_failing: set[str] = set()
    shrink_calls = 0

    def fails(rows: list[dict[str, Any]]) -> bool:
        # Once something fails, every further model call is a shrink step: past the budget,
        # unseen candidates count as passing so shrinking stops at the best row so far.
        nonlocal shrink_calls
        key = repr(rows)
        if key in known_failing:
            return True
        if known_failing:
            if shrink_calls >= plan.shrink_budget:
                return False
            shrink_calls += 1
        problems, _ = run_rows(model, rows, domains, plan.proba_tolerance, pinpoint=False)
        if any(problems):
            known_failing.add(key)
            return True
        return False

    config = settings(
        max_examples=plan.max_examples,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    rows = st.lists(
        _row_strategy(domains, plan.large_factor, plan.missing, plan.unseen),
        min_size=1,
        max_size=plan.rows_per_example,
    )
    try:
        shrunk = find(rows, fails, settings=config, random=random.Random(plan.seed))
    except NoSuchExample:
        return None, "", HYPOTHESIS_ENGINE
    problems, _ = run_rows(model, shrunk, domains, plan.proba_tolerance)
    for row, problem in zip(shrunk, problems, strict=True):
        if problem:
            return dict(row), problem, HYPOTHESIS_ENGINE
    return (
        dict(shrunk[0]),
        "failed during the search but not when replayed (non-deterministic)",
        HYPOTHESIS_ENGINE,
    )


def random_search(
    model: Any,
    domains: Mapping[str, ColumnDomain],
    plan: SearchPlan,
) -> tuple[dict[str, Any] | None, str, str]:
    """The same kind of rows drawn with a seeded numpy generator, for when the check runs
    inside a hypothesis test; a failing row is simplified greedily (one column at a time back
    to its typical value) instead of shrunk by hypothesis."""
    import numpy as np

    rng = np.random.default_rng(plan.seed)

    def draw(domain: ColumnDomain) -> Any:
        choice = rng.random()
        if choice < 0.4:
            return domain.typical
        if choice < 0.8:
            if not domain.numeric:
                return domain.values[int(rng.integers(len(domain.values)))]
            # halved and doubled when the span itself overflows (-1e308 to 1e308)
            scale = 1.0 if math.isfinite(domain.high - domain.low) else 2.0
            value = float(rng.uniform(domain.low / scale, domain.high / scale)) * scale
            return float(round(value)) if domain.integer else value
        edges = domain.edge_values(plan.large_factor, plan.missing, plan.unseen)
        return edges[int(rng.integers(len(edges)))]

    for _ in range(plan.max_examples):
        rows = [
            {name: draw(domain) for name, domain in domains.items()}
            for _ in range(int(rng.integers(1, plan.rows_per_example + 1)))
        ]
        problems, _ = run_rows(model, rows, domains, plan.proba_tolerance)
        failing = [(row, problem) for row, problem in zip(rows, problems, strict=True) if problem]
        if not failing:
            continue
        row, problem = failing[0]
        for name, domain in list(domains.items())[: plan.shrink_budget]:
            if same_value(row[name], domain.typical):
                continue
            candidate = {**row, name: domain.typical}
            (candidate_problem,), _ = run_rows(model, [candidate], domains, plan.proba_tolerance)
            if candidate_problem:
                row, problem = candidate, candidate_problem
        return row, problem, RANDOM_ENGINE
    return None, "", RANDOM_ENGINE
