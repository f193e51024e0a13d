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
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks._inputs import (
    require_columns,
    require_frame,
    require_model,
    resolve_columns,
)
from mltestscore.checks._inputs import require_labels as require_target
from mltestscore.checks._inputs import sample_frame as sample_rows
from mltestscore.checks._models import NotApplicableError, best_time
from mltestscore.checks._threads import limited_threads
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


def _best_of(function: Callable[[], object], calls: int) -> float:
    """The fastest of ``calls`` timings in process CPU time (native pools are held to one
    thread while the check runs). On a shared CI runner wall time mostly measures waiting
    for a core: the planted 60-hash lookup of the tests went "not measurable" under
    ``pytest -n 2`` in wall time. A feature that only waits (a remote lookup) costs no CPU:
    declare such costs with ``declared_costs``."""
    return best_time(function, calls, clock=time.process_time)


def ablation_rounds(
    model: Any, X: pd.DataFrame, features: Sequence[str], rounds: int, calls: int, seed: int
) -> dict[str, list[float]]:
    """Per feature, one share of prediction time per round: (baseline - ablated) / baseline.

    Each round times the prediction on ``X`` and on ``X`` with one column made constant, in a
    shuffled feature order, each timing the best of ``calls`` calls. The share is paired
    within the round so slow and fast moments of a busy machine cancel out.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    ablated = {}
    for feature in features:
        frame = X.copy()
        frame[feature] = _constant_like(X[feature])
        ablated[feature] = frame
    shares: dict[str, list[float]] = {f: [] for f in features}
    predict_x = functools.partial(model.predict, X)
    for _ in range(rounds):
        for index in rng.permutation(len(features)):
            feature = features[int(index)]
            baseline = _best_of(predict_x, calls)
            without = _best_of(functools.partial(model.predict, ablated[feature]), calls)
            shares[feature].append((baseline - without) / baseline if baseline > 0 else 0.0)
    return shares


def _column_transformer(model: Any) -> Any | None:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and isinstance(model[0], ColumnTransformer):
        return model[0]
    return None


def transformer_rounds(
    model: Any, X: pd.DataFrame, rounds: int, calls: int
) -> dict[str, list[float]]:
    """Per input column, one share of prediction time per round: the time of the
    ColumnTransformer parts that consume it, split evenly among their columns, over the
    prediction time of the same round (empty when the model does not start with a
    ColumnTransformer)."""
    transformer_step = _column_transformer(model)
    if transformer_step is None:
        return {}
    columns = [str(c) for c in X.columns]
    parts: list[tuple[Callable[[], object], list[str]]] = []
    for _, transformer, cols in transformer_step.transformers_:
        resolved = [c for c in resolve_columns(cols, columns) if c in columns]
        if transformer == "drop" or not resolved:
            continue
        part = X[cols] if isinstance(cols, str) else X[resolved]  # a str selects a 1-D column
        run: Callable[[], object] = (
            part.to_numpy
            if transformer == "passthrough"
            else functools.partial(transformer.transform, part)
        )
        parts.append((run, resolved))
    shares: dict[str, list[float]] = {c: [] for c in columns}
    predict_x = functools.partial(model.predict, X)
    for _ in range(rounds):
        predict_seconds = _best_of(predict_x, calls)
        per_column = dict.fromkeys(columns, 0.0)
        for run, resolved in parts:
            elapsed = _best_of(run, calls)
            for column in resolved:
                per_column[column] += elapsed / len(resolved)
        for column in columns:
            share = per_column[column] / predict_seconds if predict_seconds > 0 else 0.0
            shares[column].append(min(1.0, share))
    return shares


def _shares(values: Mapping[str, float], total: float) -> dict[str, float]:
    return {k: (v / total if total > 0 else 0.0) for k, v in values.items()}


@dataclass(frozen=True)
class TimeShare:
    """One feature's share of inference time: the mean over the timing rounds and its
    simultaneous confidence interval (Student t, Bonferroni over the features)."""

    mean: float
    low: float
    high: float


def time_share_interval(samples: Sequence[float], confidence: float) -> TimeShare:
    """Mean of per-round shares with a two-sided Student-t interval at ``confidence``."""
    import math

    import numpy as np
    from scipy import stats

    values = np.asarray(samples, dtype=float)
    mean = float(values.mean()) if len(values) else 0.0
    if len(values) < 2:
        return TimeShare(mean, -math.inf, math.inf)
    half = float(
        stats.t.ppf(0.5 + confidence / 2, len(values) - 1)
        * values.std(ddof=1)
        / math.sqrt(len(values))
    )
    return TimeShare(mean, mean - half, mean + half)


@dataclass(frozen=True)
class FeatureCosts:
    """Each feature's share of inference time (with its interval), input memory and declared
    cost."""

    predict_seconds: float
    time: dict[str, TimeShare]
    memory: dict[str, float]
    declared: dict[str, float]
    timing: str  # which measurement the time shares come from
    bytes_per_row: float
    rounds: int
    confidence: float  # per-feature level of each interval (Bonferroni-corrected)


def measure_costs(
    model: Any,
    X: pd.DataFrame,
    features: Sequence[str],
    declared_costs: Mapping[str, float],
    timing: str,
    rounds: int,
    *,
    calls: int = 3,
    family_confidence: float = 0.95,
    seed: int = 0,
) -> FeatureCosts:
    """Time, memory and declared cost shares of ``features`` on the rows of ``X``.

    The time share of each feature comes with an interval whose level is Bonferroni-corrected
    over the features, so that all of them hold together with ``family_confidence``.
    """
    if timing not in {"auto", "transformer", "ablation", "both"}:
        raise CheckInputError("timing", f"{timing!r} is not auto, transformer, ablation or both")
    has_transformer = _column_transformer(model) is not None
    if timing == "transformer" and not has_transformer:
        raise CheckInputError(
            "timing", "transformer timing needs a Pipeline whose first step is a ColumnTransformer"
        )
    use_transformer = has_transformer and timing in {"auto", "transformer", "both"}
    use_ablation = timing in {"ablation", "both"} or (timing == "auto" and not has_transformer)
    predict_seconds = _best_of(functools.partial(model.predict, X), max(3, calls))
    confidence = 1 - (1 - family_confidence) / max(1, len(features))
    candidates: list[dict[str, list[float]]] = []
    if use_ablation:
        candidates.append(ablation_rounds(model, X, features, rounds, calls, seed))
    if use_transformer:
        candidates.append(transformer_rounds(model, X, rounds, calls))
    time_share: dict[str, TimeShare] = {}
    for f in features:
        intervals = [time_share_interval(c[f], confidence) for c in candidates if f in c]
        # "both": the measurement that resolves the larger cost speaks for the feature
        time_share[f] = max(intervals, key=lambda t: (t.low, t.mean), default=TimeShare(0, 0, 0))
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
        rounds,
        confidence,
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
    """What makes ``f`` costly beyond doubt: its time share's lower confidence bound reaches
    ``high_time``; memory and declared cost are exact, so their shares are compared as is."""
    costly = []
    share = costs.time[f]
    if share.low >= high_time:
        costly.append(
            f"{share.mean:.0%} of inference time ({share.low:.0%} at least, "
            f"{costs.confidence:.2%} interval)"
        )
    if costs.memory.get(f, 0.0) >= high_memory:
        costly.append(f"{costs.memory[f]:.0%} of input memory")
    if costs.declared.get(f, 0.0) >= high_declared:
        costly.append(f"{costs.declared[f]:.0%} of declared cost")
    return costly


@dataclass(frozen=True)
class CostVerdict:
    """Which features cost too much for their value, and which the timer cannot settle."""

    flagged: dict[str, str]  # feature -> why
    unresolved: list[str]  # low-value features whose time interval straddles the threshold


def judge_costs(
    costs: FeatureCosts,
    value_share: Mapping[str, float],
    features: Sequence[str],
    *,
    high_time_share: float,
    high_memory_share: float,
    high_declared_share: float,
    low_value_share: float,
) -> CostVerdict:
    """Flag a low-value feature only when a cost share is high beyond the measurement's doubt."""
    flagged: dict[str, str] = {}
    unresolved: list[str] = []
    for f in features:
        if value_share[f] >= low_value_share:
            continue
        costly = _why_costly(f, costs, high_time_share, high_memory_share, high_declared_share)
        if costly:
            flagged[f] = f"{' and '.join(costly)} for {value_share[f]:.1%} of importance"
        elif costs.time[f].high >= high_time_share:
            unresolved.append(f)
    return CostVerdict(flagged, unresolved)


def _fmt_share(share: TimeShare) -> str:
    low = max(0.0, share.low)
    return f"{share.mean:.0%} [{low:.0%}, {min(1.0, share.high):.0%}]"


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
    timing_repeats: int = 7,
    confidence: float = 0.95,
    n_repeats: int = 3,
    time_budget_s: float | None = None,
    seed: int = 0,
    n_threads: int | None = 1,
) -> CheckResult:
    """Flag features whose cost (time, memory or declared) is high and whose value is low.

    A feature is flagged when its share of the total positive permutation importance is
    < ``low_value_share`` while its share of the input memory >= ``high_memory_share``, its
    share of the declared costs >= ``high_declared_share``, or its share of inference time is
    >= ``high_time_share`` beyond the timer's doubt: the lower bound of its confidence interval
    over ``timing_repeats`` paired timing rounds (Student t, Bonferroni over the features so all
    intervals hold together at ``confidence``) reaches the threshold. A low-value feature whose
    interval straddles the threshold cannot be judged on this machine: the result is then "not
    measurable here" with the figures, not a failure. Pass ``importances`` (feature ->
    importance) to reuse the data-2 measurement; otherwise it is computed with ``n_repeats``
    repeats on ``sample_size`` rows (held-out data, please). OpenMP/BLAS are capped at
    ``n_threads`` threads while timing so a busy machine adds less noise.
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
    if timing_repeats < 3:
        raise CheckInputError("timing_repeats", "must be at least 3 to bound the timing noise")
    if not 0 < confidence < 1:
        raise CheckInputError("confidence", f"must be between 0 and 1, got {confidence!r}")
    X_sample, y_sample = sample_rows(X, y, sample_size, seed)
    parameters: dict[str, object] = {
        "sample_size": len(X_sample),
        "timing_repeats": timing_repeats,
        "confidence": confidence,
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
        costs = measure_costs(
            model,
            X_sample,
            columns,
            declared,
            timing,
            timing_repeats,
            family_confidence=confidence,
            seed=seed,
        )
    parameters["timing"] = costs.timing
    value_share = _shares(
        {f: max(0.0, value.get(f, 0.0)) for f in columns},
        sum(max(0.0, v) for v in value.values()),
    )
    verdict = judge_costs(
        costs,
        value_share,
        columns,
        high_time_share=high_time_share,
        high_memory_share=high_memory_share,
        high_declared_share=high_declared_share,
        low_value_share=low_value_share,
    )
    flagged = verdict.flagged
    rows = sorted(columns, key=lambda f: -max(costs.time[f].mean, costs.declared.get(f, 0.0)))
    table = Table.build(
        f"Feature cost against value ({len(X_sample)} rows, {costs.rounds} timing rounds)",
        [
            "feature",
            "time_share",
            "time_share_low",
            "time_share_high",
            "memory_share",
            "declared_share",
            "importance",
            "importance_share",
            "flagged",
        ],
        [
            [
                f,
                costs.time[f].mean,
                costs.time[f].low,
                costs.time[f].high,
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
    measurements: dict[str, object] = {
        "predict_seconds": costs.predict_seconds,
        "flagged": len(flagged),
        "unresolved": len(verdict.unresolved),
        "max_time_share": max((t.mean for t in costs.time.values()), default=0.0),
        "max_time_share_low": max((t.low for t in costs.time.values()), default=0.0),
        "input_bytes_per_row": costs.bytes_per_row,
    }
    thresholds = {
        "high_time_share": high_time_share,
        "high_memory_share": high_memory_share,
        "high_declared_share": high_declared_share,
        "low_value_share": low_value_share,
    }
    evidence: dict[str, Any] = {
        "measurements": measurements,
        "thresholds": thresholds,
        "parameters": parameters,
        "tables": [table],
    }
    if flagged:
        reason = (
            f"{len(flagged)} of {len(columns)} features cost too much for what they bring: "
            + ("; ".join(f"{f} ({why})" for f, why in list(flagged.items())[:4]))
        )
        return CheckResult.failed(name, RUBRIC, reason, **evidence)
    if verdict.unresolved:
        listed = "; ".join(
            f"{f} {_fmt_share(costs.time[f])} of inference time for "
            f"{value_share[f]:.1%} of importance"
            for f in verdict.unresolved[:4]
        )
        reason = (
            f"not measurable here: the timer cannot tell whether {len(verdict.unresolved)} "
            f"low-value feature(s) reach {high_time_share:.0%} of inference time over "
            f"{costs.rounds} rounds ({listed}); retry on a quieter machine, raise "
            "timing_repeats or declare the costs"
        )
        return CheckResult.not_applicable(name, RUBRIC, reason, **evidence)
    dearest = rows[0]
    reason = (
        f"no feature is both costly and of little value among {len(columns)}; dearest "
        f"{dearest} ({_fmt_share(costs.time[dearest])} of inference time, "
        f"{value_share[dearest]:.1%} of importance; {costs.rounds} timing rounds)"
    )
    return CheckResult.passed(name, RUBRIC, reason, **evidence)
