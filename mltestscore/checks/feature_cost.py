"""No feature's cost is too much [data-3]: what each feature costs against what it brings.

Cost comes in three kinds the rubric names: inference latency, memory, and the upstream
burden of computing a feature (a lookup, a join, a team to keep it alive). This check measures
the first two and accepts the third as declared data, then puts them beside the feature's
permutation importance: a feature that is expensive and brings almost nothing is flagged.

Inference time per feature is measured two ways. For a Pipeline whose first step is a
ColumnTransformer, each transformer is timed on its own columns, so an expensive feature
transform is attributed to the columns it consumes. For any model, ablation times prediction
with the column replaced by a constant: work that depends on the values (lookups, caches,
tokenisers, branches) gets cheaper. ``timing="auto"`` uses the transformer timing when the
model allows it (it is steadier) and ablation otherwise; "both" takes the larger of the two.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks._fitted_model_inputs import (
    NotApplicableError,
    best_time,
    limited_threads,
    require_columns,
    require_frame,
    require_model,
    require_target,
    resolve_columns,
    sample_rows,
)
from mltestscore.checks.importance import permutation_importances
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import pandas as pd

RUBRIC = ("data-3",)


def _constant_like(column: pd.Series) -> pd.Series:
    """The column with every value replaced by its most frequent value (kept dtype)."""
    import pandas as pd

    mode = column.mode(dropna=True)
    value = mode.iloc[0] if len(mode) else column.iloc[0]
    constant = pd.Series(value, index=column.index, name=column.name)
    try:
        return constant.astype(column.dtype)
    except (TypeError, ValueError):
        return constant


def ablation_seconds(
    model: Any, X: pd.DataFrame, features: Sequence[str], repeats: int
) -> tuple[float, dict[str, float]]:
    """(predict time, {feature: time saved when that column is constant}) on ``X``."""
    baseline = best_time(functools.partial(model.predict, X), repeats)
    saved: dict[str, float] = {}
    for feature in features:
        ablated = X.copy()
        ablated[feature] = _constant_like(X[feature])
        saved[feature] = max(
            0.0, baseline - best_time(functools.partial(model.predict, ablated), repeats)
        )
    return baseline, saved


def _column_transformer(model: Any) -> Any | None:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and isinstance(model[0], ColumnTransformer):
        return model[0]
    return None


def transformer_seconds(model: Any, X: pd.DataFrame, repeats: int) -> dict[str, float]:
    """Per input column: the time of the ColumnTransformer parts that consume it, split evenly
    among their columns (empty when the model does not start with a ColumnTransformer)."""
    transformer_step = _column_transformer(model)
    if transformer_step is None:
        return {}
    columns = [str(c) for c in X.columns]
    seconds = dict.fromkeys(columns, 0.0)
    for _, transformer, cols in transformer_step.transformers_:
        resolved = resolve_columns(cols, columns)
        if transformer == "drop" or not resolved:
            continue
        part = X[cols] if isinstance(cols, str) else X[resolved]  # a str selects a 1-D column
        run: Callable[[], object] = (
            part.to_numpy
            if transformer == "passthrough"
            else functools.partial(transformer.transform, part)
        )
        elapsed = best_time(run, repeats)
        for column in resolved:
            if column in seconds:
                seconds[column] += elapsed / len(resolved)
    return seconds


def _shares(values: Mapping[str, float], total: float) -> dict[str, float]:
    return {k: (v / total if total > 0 else 0.0) for k, v in values.items()}


@dataclass(frozen=True)
class FeatureCosts:
    """Each feature's share of inference time, input memory and declared cost."""

    predict_seconds: float
    time: dict[str, float]
    memory: dict[str, float]
    declared: dict[str, float]
    timing: str  # which measurement the time shares come from
    bytes_per_row: float


def measure_costs(
    model: Any,
    X: pd.DataFrame,
    features: Sequence[str],
    declared_costs: Mapping[str, float],
    timing: str,
    repeats: int,
) -> FeatureCosts:
    """Time, memory and declared cost shares of ``features`` on the rows of ``X``."""
    if timing not in {"auto", "transformer", "ablation", "both"}:
        raise CheckInputError("timing", f"{timing!r} is not auto, transformer, ablation or both")
    has_transformer = _column_transformer(model) is not None
    if timing == "transformer" and not has_transformer:
        raise CheckInputError(
            "timing", "transformer timing needs a Pipeline whose first step is a ColumnTransformer"
        )
    use_transformer = has_transformer and timing in {"auto", "transformer", "both"}
    use_ablation = timing in {"ablation", "both"} or (timing == "auto" and not has_transformer)
    predict_seconds = best_time(functools.partial(model.predict, X), repeats)
    saved: dict[str, float] = {}
    if use_ablation:
        predict_seconds, saved = ablation_seconds(model, X, features, repeats)
    transform = transformer_seconds(model, X, repeats) if use_transformer else {}
    time_share = {
        f: min(1.0, max(saved.get(f, 0.0), transform.get(f, 0.0)) / predict_seconds)
        if predict_seconds > 0
        else 0.0
        for f in features
    }
    memory = {str(c): float(X[c].memory_usage(deep=True, index=False)) for c in X.columns}
    kinds = [
        k for k, used in (("transformer", use_transformer), ("ablation", use_ablation)) if used
    ]
    return FeatureCosts(
        predict_seconds,
        time_share,
        _shares(memory, sum(memory.values())),
        _shares(declared_costs, sum(declared_costs.values())),
        "+".join(kinds),
        sum(memory.values()) / max(1, len(X)),
    )


def _validate_declared(
    declared_costs: Mapping[str, float] | None, X: pd.DataFrame
) -> dict[str, float]:
    import math

    declared = dict(declared_costs or {})
    for feature, cost in declared.items():
        if feature not in X.columns:
            raise CheckInputError("declared_costs", f"feature {feature!r} is not in the data")
        if (
            isinstance(cost, bool)
            or not isinstance(cost, int | float)
            or cost < 0
            or not math.isfinite(cost)
        ):
            raise CheckInputError(
                f"declared_costs[{feature!r}]", f"must be a non-negative number, got {cost!r}"
            )
    return {f: float(c) for f, c in declared.items()}


def _why_costly(
    f: str, costs: FeatureCosts, high_time: float, high_memory: float, high_declared: float
) -> list[str]:
    costly = []
    if costs.time[f] >= high_time:
        costly.append(f"{costs.time[f]:.0%} of inference time")
    if costs.memory.get(f, 0.0) >= high_memory:
        costly.append(f"{costs.memory[f]:.0%} of input memory")
    if costs.declared.get(f, 0.0) >= high_declared:
        costly.append(f"{costs.declared[f]:.0%} of declared cost")
    return costly


@register_check(*RUBRIC)
def check_feature_costs(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    declared_costs: Mapping[str, float] | None = None,
    importances: Mapping[str, float] | None = None,
    features: Sequence[str] | None = None,
    metric: str | None = None,
    high_time_share: float = 0.2,
    high_memory_share: float = 0.5,
    high_declared_share: float = 0.2,
    low_value_share: float = 0.02,
    timing: str = "auto",
    sample_size: int = 500,
    timing_repeats: int = 3,
    n_repeats: int = 3,
    time_budget_s: float = 10.0,
    seed: int = 0,
    n_threads: int | None = 1,
) -> CheckResult:
    """Flag features whose cost (time, memory or declared) is high and whose value is low.

    A feature is flagged when its share of inference time >= ``high_time_share``, its share of
    the input memory >= ``high_memory_share`` or its share of the declared costs >=
    ``high_declared_share``, while its share of the total positive permutation importance is
    < ``low_value_share``. Pass ``importances`` (feature -> importance) to reuse the data-2
    measurement; otherwise it is computed with ``n_repeats`` repeats on ``sample_size`` rows
    (held-out data, please). Timing is the best of ``timing_repeats`` runs on the same sample,
    with OpenMP/BLAS capped at ``n_threads`` threads so a busy machine does not add noise.
    """
    name = "check_feature_costs"
    require_model(model)
    X = require_frame(X)
    y = require_target(y, len(X))
    columns = (
        [str(c) for c in X.columns]
        if features is None
        else require_columns(X, features, "features")
    )
    declared = _validate_declared(declared_costs, X)
    if timing_repeats < 1:
        raise CheckInputError("timing_repeats", "must be at least 1")
    X_sample, y_sample = sample_rows(X, y, sample_size, seed)
    parameters: dict[str, object] = {
        "sample_size": len(X_sample),
        "timing_repeats": timing_repeats,
        "seed": seed,
        "time_budget_s": time_budget_s,
        "n_threads": n_threads,
    }
    with limited_threads(n_threads):
        if importances is None:
            try:
                measured = permutation_importances(
                    model,
                    X_sample,
                    y_sample,
                    metric=metric,
                    features=columns,
                    n_repeats=n_repeats,
                    sample_size=None,
                    time_budget_s=time_budget_s,
                    seed=seed,
                )
            except NotApplicableError as exc:
                return CheckResult.not_applicable(name, RUBRIC, str(exc), parameters=parameters)
            value = dict(zip(measured.features, measured.mean, strict=True))
            parameters.update(
                importance="permutation",
                metric=measured.metric.metric,
                n_repeats=measured.n_repeats,
            )
        else:
            unknown = [f for f in importances if f not in X.columns]
            if unknown:
                raise CheckInputError("importances", f"feature {unknown[0]!r} is not in the data")
            value = {f: float(importances.get(f, 0.0)) for f in columns}
            parameters["importance"] = "given"
        costs = measure_costs(model, X_sample, columns, declared, timing, timing_repeats)
    parameters["timing"] = costs.timing
    value_share = _shares(
        {f: max(0.0, value.get(f, 0.0)) for f in columns},
        sum(max(0.0, v) for v in value.values()),
    )
    flagged: dict[str, str] = {}
    for f in columns:
        costly = _why_costly(f, costs, high_time_share, high_memory_share, high_declared_share)
        if costly and value_share[f] < low_value_share:
            flagged[f] = f"{' and '.join(costly)} for {value_share[f]:.1%} of importance"
    rows = sorted(columns, key=lambda f: -max(costs.time[f], costs.declared.get(f, 0.0)))
    table = Table.build(
        f"Feature cost against value ({len(X_sample)} rows)",
        [
            "feature",
            "time_share",
            "memory_share",
            "declared_share",
            "importance",
            "importance_share",
            "flagged",
        ],
        [
            [
                f,
                costs.time[f],
                costs.memory.get(f),
                costs.declared.get(f),
                value.get(f),
                value_share[f],
                f in flagged,
            ]
            for f in rows
        ],
        chart="time_share",
    )
    if flagged:
        reason = (
            f"{len(flagged)} of {len(columns)} features cost too much for what they bring: "
            + ("; ".join(f"{f} ({why})" for f, why in list(flagged.items())[:4]))
        )
    else:
        dearest = rows[0]
        reason = (
            f"no feature is both costly and of little value among {len(columns)}; dearest "
            f"{dearest} ({costs.time[dearest]:.0%} of inference time, "
            f"{value_share[dearest]:.1%} of importance)"
        )
    return CheckResult.judge(
        not flagged,
        name,
        RUBRIC,
        reason,
        measurements={
            "predict_seconds": costs.predict_seconds,
            "flagged": len(flagged),
            "max_time_share": max(costs.time.values()),
            "input_bytes_per_row": costs.bytes_per_row,
        },
        thresholds={
            "high_time_share": high_time_share,
            "high_memory_share": high_memory_share,
            "high_declared_share": high_declared_share,
            "low_value_share": low_value_share,
        },
        parameters=parameters,
        tables=[table],
    )
