"""The impact of model staleness is known [model-4].

The world drifts, so a model trained some time ago is worse than one trained yesterday. How
much worse, and how fast, decides how often to retrain (and the age limit monitor-4 enforces).
This check replays history: it trains the same estimator on windows ending earlier and earlier
and evaluates every one of them on the latest window, giving a curve of quality against model
age. It fails when quality drops past a limit within the age the model is allowed to reach.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks._inputs import (
    fmt,
    require_columns,
    require_frame,
    sample_frame,
)
from mltestscore.checks._models import (
    NotApplicableError,
    choose_metric,
    quality,
)
from mltestscore.checks._threads import limited_threads
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import pandas as pd

RUBRIC = ("model-4",)


@dataclass(frozen=True)
class AgePoint:
    """One point of the staleness curve: a model trained ``age_windows`` windows before the
    evaluation window, and its quality there (bigger is better)."""

    age_windows: int
    age: str
    age_delta: Any  # eval window start - training end: a Timedelta, or a number
    train_start: str
    train_end: str
    train_rows: int
    quality: float


def _time_values(data: pd.DataFrame, time_column: str) -> pd.Series:
    import pandas as pd

    values = data[time_column]
    if values.isna().any():
        raise CheckInputError(f"time_column {time_column!r}", "has missing timestamps")
    if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise CheckInputError(
            f"time_column {time_column!r}", f"is neither numeric nor dates: {exc}"
        ) from exc


def assign_windows(times: pd.Series, window: int | str) -> tuple[Any, int]:
    """Window number (0 = oldest) for each row: ``window`` equal-count windows (an int) or
    windows of a pandas frequency (a string, dates only): a fixed span such as "30D" or a
    calendar period such as "M", "Q" or "W"."""
    import numpy as np
    import pandas as pd

    if isinstance(window, bool) or not isinstance(window, int | str):
        raise CheckInputError("window", f"expected an int or a pandas frequency, got {window!r}")
    if isinstance(window, int):
        if window < 2:
            raise CheckInputError("window", "needs at least 2 windows")
        ranks = times.rank(method="first").to_numpy() - 1
        numbers = np.floor(ranks * window / len(times)).astype(int)
        return numbers, window
    if not pd.api.types.is_datetime64_any_dtype(times):
        raise CheckInputError("window", "a frequency needs a datetime time column")
    try:  # fixed spans ("30D", "12h") floor the timestamps
        periods = times.dt.floor(window)
    except ValueError:
        try:  # calendar periods ("M", "Q", "W")
            periods = times.dt.to_period(window)
        except ValueError as exc:
            raise CheckInputError(
                "window", f"{window!r} is neither a fixed span nor a calendar period: {exc}"
            ) from exc
    ordered = sorted(periods.unique())
    index = {p: i for i, p in enumerate(ordered)}
    return periods.map(index).to_numpy(), len(ordered)


def _age_text(delta: Any) -> str:
    import pandas as pd

    if isinstance(delta, pd.Timedelta):
        return f"{delta.days}d" if delta.days or delta == pd.Timedelta(0) else str(delta)
    return fmt(float(delta))


def staleness_curve(
    estimator: Any,
    data: pd.DataFrame,
    *,
    time_column: str,
    target: str,
    features: Sequence[str],
    window: int | str,
    train_windows: int,
    metric: str | None,
    time_budget_s: float | None = None,
    min_eval_rows: int = 100,
    max_models: int | None = None,
) -> tuple[list[AgePoint], str, int]:
    """Train on windows ending 0, 1, 2... windows before the last one; score on the last.

    At most ``max_models`` ages are trained (the freshest first; None: every age the history
    allows). With ``time_budget_s``, no further age is started once it is spent."""
    import numpy as np

    from mltestscore.checks._models import clone_model as clone

    times = _time_values(data, time_column)
    numbers, count = assign_windows(times, window)
    latest = int(numbers.max())
    evaluation = numbers == latest
    if evaluation.sum() < min_eval_rows:
        raise CheckInputError(
            "window",
            f"the latest window holds {int(evaluation.sum())} rows, fewer than min_eval_rows="
            f"{min_eval_rows}: use fewer or longer windows",
        )
    X_eval, y_eval = data.loc[evaluation, list(features)], data.loc[evaluation, target].to_numpy()
    eval_start = times[evaluation].min()
    points: list[AgePoint] = []
    metric_name = metric or ""
    start = time.perf_counter()
    ages = latest - train_windows + 1
    for age in range(ages if max_models is None else min(ages, max_models)):
        if points and time_budget_s is not None and time.perf_counter() - start > time_budget_s:
            break
        last_train = latest - 1 - age
        rows = (numbers <= last_train) & (numbers > last_train - train_windows)
        y_train = data.loc[rows, target].to_numpy()
        if rows.sum() < 2 or len(np.unique(y_train)) < 2:
            continue
        model = clone(estimator).fit(data.loc[rows, list(features)], y_train)
        choice = choose_metric(model, y_train, metric)
        metric_name = choice.metric
        train_times = times[rows]
        points.append(
            AgePoint(
                age,
                _age_text(eval_start - train_times.max()),
                eval_start - train_times.max(),
                str(train_times.min()),
                str(train_times.max()),
                int(rows.sum()),
                quality(model, X_eval, y_eval, choice, cached=False),
            )
        )
    return points, metric_name, count


def _windows(count: int) -> str:
    return f"{count} window" if count == 1 else f"{count} windows"


def _age_limit(max_age: int | str | None, points: list[AgePoint], times_are_dates: bool) -> int:
    """The largest age in windows the user allows (all ages when None)."""
    import pandas as pd

    if max_age is None:
        return max((p.age_windows for p in points), default=0)
    if isinstance(max_age, int) and not isinstance(max_age, bool):
        if max_age < 0:
            raise CheckInputError("max_age", "must be non-negative")
        return max_age
    if isinstance(max_age, str) and times_are_dates:
        try:
            limit = pd.Timedelta(max_age)
        except ValueError as exc:
            raise CheckInputError("max_age", f"{max_age!r} is not a duration: {exc}") from exc
        allowed = [p.age_windows for p in points if p.age_delta <= limit]
        return max(allowed, default=0)
    raise CheckInputError(
        "max_age", "expected a number of windows, or a duration such as '90D' for date times"
    )


@register_check(*RUBRIC)
def check_staleness_impact(
    estimator: Any,
    data: pd.DataFrame,
    *,
    time_column: str,
    target: str,
    features: Sequence[str] | None = None,
    max_age: int | str | None = None,
    max_drop: float = 0.02,
    window: int | str = 6,
    train_windows: int = 2,
    metric: str | None = None,
    max_models: int | None = 24,
    time_budget_s: float | None = None,
    min_eval_rows: int = 100,
    sample_size: int | None = 50_000,
    seed: int = 0,
    n_threads: int | None = 1,
) -> CheckResult:
    """Quality on the latest data of models trained earlier and earlier (the staleness curve).

    ``data`` is split by ``time_column`` into ``window`` windows (an int: equal-count windows;
    a pandas frequency such as "30D", "M" or "Q": time windows). The estimator (refitted with
    ``sklearn.base.clone``) is trained on ``train_windows`` consecutive windows ending 0, 1,
    2... windows before the last window and scored on the last one. The check fails when
    quality drops by more than ``max_drop`` (metric units) from the freshest model at any age
    up to ``max_age`` (windows as an int, or a duration like "90D"). The largest age that
    stays within the limit is recorded: it is the age limit monitor-4 should enforce. The
    latest window must hold at least ``min_eval_rows`` rows, or its score would be noise.
    At most ``sample_size`` rows of ``data`` are used, drawn with ``seed`` (None: all).

    The work is fixed by default: at most ``max_models`` models are trained (ages 0 to
    ``max_models - 1``, the freshest; None: every age the history allows), so identical runs
    give the same curve on a busy machine. With ``time_budget_s``, no further age is started
    once it is spent (faster on a slow estimator, but the curve then depends on the load).
    """
    import pandas as pd

    name = "check_staleness_impact"
    if not callable(getattr(estimator, "fit", None)):
        raise CheckInputError(
            "estimator",
            f"expected a scikit-learn estimator with fit, got {type(estimator).__name__}",
        )
    data = require_frame(data, "data", min_rows=10)
    require_columns(data, [time_column], "time_column")
    require_columns(data, [target], "target")
    if data[target].isna().any():
        raise CheckInputError(f"target {target!r}", "has missing labels")
    columns = (
        [c for c in map(str, data.columns) if c not in {time_column, target}]
        if features is None
        else require_columns(data, features, "features")
    )
    if train_windows < 1:
        raise CheckInputError("train_windows", "must be at least 1")
    if max_models is not None and max_models < 2:
        raise CheckInputError("max_models", "must be at least 2 (a curve needs two ages)")
    rows_given = len(data)
    data, _ = sample_frame(data, None, sample_size, seed)  # rows keep their time order
    parameters: dict[str, object] = {
        "window": str(window),
        "train_windows": train_windows,
        "time_column": time_column,
        "rows": rows_given,
        "sample_size": len(data),
        "seed": seed,
        "max_models": max_models,
        "time_budget_s": time_budget_s,
        "n_threads": n_threads,
    }
    start = time.perf_counter()
    try:
        with limited_threads(n_threads):
            points, metric_name, count = staleness_curve(
                estimator,
                data,
                time_column=time_column,
                target=target,
                features=columns,
                window=window,
                train_windows=train_windows,
                metric=metric,
                time_budget_s=time_budget_s,
                min_eval_rows=min_eval_rows,
                max_models=max_models,
            )
    except NotApplicableError as exc:
        return CheckResult.not_applicable(name, RUBRIC, str(exc), parameters=parameters)
    elapsed = time.perf_counter() - start
    parameters.update(windows=count, metric=metric_name)
    if len(points) < 2:
        return CheckResult.failed(
            name,
            RUBRIC,
            f"only {len(points)} training window(s) before the latest of {count} windows: too "
            f"little history to measure staleness (use more windows or fewer train_windows)",
            parameters=parameters,
        )
    from mltestscore.checks import _models

    sign = 1.0 if _models.higher_is_better(metric_name) else -1.0
    freshest = points[0].quality
    drops = [freshest - p.quality for p in points]
    dates = pd.api.types.is_datetime64_any_dtype(_time_values(data, time_column))
    limit = _age_limit(max_age, points, dates)
    over = [p for p, d in zip(points, drops, strict=True) if d > max_drop]
    first_bad = over[0] if over else None
    safe_age = (first_bad.age_windows - 1) if first_bad else points[-1].age_windows
    failing = [p for p in over if p.age_windows <= limit]
    untrained = max(0, count - train_windows - max_models) if max_models is not None else 0
    beyond = (
        f"; {untrained} older age(s) not trained (max_models={max_models})" if untrained else ""
    )
    table = Table.build(
        f"Staleness curve: models of growing age scored on the latest window ({metric_name})",
        ["age_windows", "age", "train_start", "train_end", "train_rows", metric_name, "drop"],
        [
            [p.age_windows, p.age, p.train_start, p.train_end, p.train_rows, sign * p.quality, d]
            for p, d in zip(points, drops, strict=True)
        ],
        chart=metric_name,
    )
    if failing:
        worst = max(failing, key=lambda p: freshest - p.quality)
        reason = (
            f"a model {_windows(worst.age_windows)} old ({worst.age}) loses "
            f"{fmt(freshest - worst.quality)} {metric_name} on the latest window, past the "
            f"{fmt(max_drop)} limit within the allowed age of {_windows(limit)}; it stays within "
            f"the limit only up to {_windows(max(safe_age, 0))} old{beyond}"
        )
    else:
        reason = (
            f"quality stays within {fmt(max_drop)} {metric_name} of the freshest model up to "
            f"the allowed age of {_windows(limit)} (worst drop {fmt(max(drops))} over "
            f"{len(points)} ages); within the limit up to {_windows(safe_age)} old{beyond}"
        )
    return CheckResult.judge(
        not failing,
        name,
        RUBRIC,
        reason,
        measurements={
            "freshest_score": sign * freshest,
            "worst_drop": max(drops),
            "max_safe_age_windows": safe_age,
            "max_safe_age": next((p.age for p in points if p.age_windows == safe_age), None),
            "ages_evaluated": len(points),
            "ages_not_trained": untrained,
            "seconds": elapsed,
        },
        thresholds={"max_drop": max_drop, "max_age_windows": limit},
        parameters=parameters,
        tables=[table],
    )
