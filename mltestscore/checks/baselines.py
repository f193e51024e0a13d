"""A simpler model is not better [model-5]: compare the model with a dummy and a small linear model.

The rubric asks teams to check regularly that their model beats a very simple baseline: a
complex model that a constant or a linear model on a handful of features matches is debt with
no return. The check scores the model, a dummy (class prior or mean) and a linear model on the
few most informative features on the same rows, by holdout (a training set is given and the
baselines are fitted on it) or by cross-validation (the model is cloned and refitted).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from mltestscore.checks import _models, _resample
from mltestscore.checks._inputs import (
    require_columns,
    require_frame,
    require_labels,
    require_model,
    sample_rows,
)
from mltestscore.checks._models import (
    NeedsProbabilities,
    label_codes,
    needs_probabilities,
    predictions,
    resolve_metric,
    task_of,
)
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import pandas as pd

RUBRIC = ("model-5",)
NAME = "check_simpler_model_is_not_better"


@register_check(*RUBRIC, renamed={"max_rows": "sample_size", "random_state": "seed"})
def check_simpler_model_is_not_better(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    X_train: pd.DataFrame | None = None,
    y_train: Any = None,
    metric: str | None = None,
    min_gain_over_dummy: float = 0.01,
    min_gain_over_linear: float = 0.0,
    gain: Literal["absolute", "relative"] = "absolute",
    simple_features: Sequence[str] | None = None,
    n_simple_features: int = 5,
    cv: int = 3,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    sample_size: int = 20_000,
    time_budget_s: float | None = None,
    task: str | None = None,
    seed: int = 0,
) -> CheckResult:
    """The model beats a dummy baseline and a linear model on few features by a margin.

    With ``X_train``/``y_train`` the baselines are fitted on them and all three models are
    scored on ``X``/``y`` (the fitted ``model`` is used as is); without them the model is
    cloned and all three are cross-validated on ``X``/``y`` with ``cv`` folds. The metric
    defaults to ROC AUC (binary; accuracy for models without ``predict_proba``), macro F1
    (multiclass) or RMSE (regression). Gains are measured in the metric's units (positive
    means the model is better), or as a fraction of the baseline's score with
    ``gain="relative"``. The linear model uses ``simple_features`` or the
    ``n_simple_features`` columns with the highest mutual information with the target.
    Rows beyond ``sample_size`` are sampled with ``seed``; the sizes used are recorded.
    Every fold runs by default: the work is fixed by ``sample_size`` and ``cv``, so identical
    runs give the same verdict on a busy machine. With ``time_budget_s``, cross-validation
    starts no new fold once it is spent (at least one fold runs; faster, but the verdict then
    depends on the load); ``folds_done`` records how many were used.
    ``task`` (binary, multiclass or regression) overrides the guess from model and labels.
    """
    require_model(model)
    X = require_frame(X, allow_all_missing=True)
    y = require_labels(y, len(X))
    if gain not in {"absolute", "relative"}:
        raise CheckInputError("gain", f"must be 'absolute' or 'relative', got {gain!r}")
    if n_simple_features < 1:
        raise CheckInputError("n_simple_features", f"must be at least 1, got {n_simple_features}")
    holdout = X_train is not None or y_train is not None
    if holdout:
        X_train = require_frame(X_train, "X_train", allow_all_missing=True)
        y_train = require_labels(y_train, len(X_train), "y_train")
        missing = [c for c in X.columns if c not in X_train.columns]
        if missing:
            raise CheckInputError("X_train", f"lacks column(s) {missing} of X")
    if simple_features is not None:
        simple_features = require_columns(X, simple_features, "simple_features")

    task = task_of(y if y_train is None else y_train, model, task)
    # holdout scores the fitted model; cross-validation refits clones, so it may be unfitted
    predicted, proba = predictions(model, X) if holdout else (None, None)
    has_proba = proba is not None if holdout else callable(getattr(model, "predict_proba", None))
    try:
        metric, note = resolve_metric(metric, task, has_proba)
    except NeedsProbabilities as exc:
        return CheckResult.not_applicable(NAME, RUBRIC, needs_probabilities(str(exc), model))

    start = time.perf_counter()
    if holdout:
        assert X_train is not None
        scores, sizes = _holdout_scores(
            model,
            X,
            y,
            X_train,
            y_train,
            task,
            metric,
            predicted,
            proba,
            simple_features,
            n_simple_features,
            sample_size,
            seed,
        )
    else:
        scores, sizes = _cross_validated_scores(
            model,
            X,
            y,
            task,
            metric,
            cv,
            simple_features,
            n_simple_features,
            sample_size,
            seed,
            time_budget_s,
        )
    done = sizes.get("folds_done", cv)
    if isinstance(done, int) and done < cv:
        stopped = (
            f"the {time_budget_s}s time budget stopped cross-validation at {done} of {cv} folds"
        )
        note = f"{note}; {stopped}" if note else stopped
    intervals = _gain_intervals(scores, metric, gain, n_bootstrap, confidence, seed)
    return _verdict(
        scores,
        intervals,
        metric,
        note,
        gain,
        min_gain_over_dummy,
        min_gain_over_linear,
        parameters={
            "mode": "holdout" if holdout else f"{cv}-fold cross-validation",
            "metric": metric,
            "task": task,
            "gain": gain,
            "n_simple_features": n_simple_features,
            "n_bootstrap": n_bootstrap if holdout else 0,
            "confidence": confidence,
            "seed": seed,
            "sample_size": sample_size,
            **sizes,
            "seconds": time.perf_counter() - start,
        },
    )


class _Scores:
    """Per-model scores (one per fold, or one for a holdout) and the linear model's features."""

    def __init__(self, features: list[str]) -> None:
        self.features = features
        self.values: dict[str, list[float]] = {"model": [], "dummy": [], "linear": []}
        # holdout only: the labels and each model's (predictions, probabilities), for the
        # paired bootstrap of the gains
        self.labels: Any = None
        self.outputs: dict[str, tuple[Any, Any]] = {}

    def mean(self, key: str) -> float:
        import numpy as np

        return float(np.nanmean(self.values[key]))

    def spread(self, key: str) -> float:
        import numpy as np

        return float(np.nanstd(self.values[key])) if len(self.values[key]) > 1 else float("nan")


def _holdout_scores(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    X_train: pd.DataFrame,
    y_train: Any,
    task: _models.Task,
    metric: str,
    predicted: Any,
    proba: Any,
    simple_features: list[str] | None,
    n_simple_features: int,
    sample_size: int,
    seed: int,
) -> tuple[_Scores, dict[str, object]]:
    train_rows = sample_rows(len(X_train), sample_size, seed)
    test_rows = sample_rows(len(X), sample_size, seed)
    fit_X, fit_y = X_train.iloc[train_rows], y_train[train_rows]
    eval_X, eval_y = X.iloc[test_rows], y[test_rows]
    features = simple_features or _most_informative(fit_X, fit_y, task, n_simple_features)
    scores = _Scores(features)
    scores.labels = eval_y
    scores.outputs["model"] = (predicted[test_rows], None if proba is None else proba[test_rows])
    for key, baseline in _baselines(task, fit_X, features, seed).items():
        scores.outputs[key] = _fit_and_predict(baseline, fit_X, fit_y, eval_X)
    if task != "regression":  # text labels as codes, for log loss and F1
        scores.labels = label_codes(model, eval_y)[0]
        scores.outputs = {
            key: (label_codes(model, key_predicted)[0], key_proba)
            for key, (key_predicted, key_proba) in scores.outputs.items()
        }
    for key, (key_predicted, key_proba) in scores.outputs.items():
        scores.values[key].append(_models.score(metric, scores.labels, key_predicted, key_proba))
    sizes: dict[str, object] = {
        "train_rows_used": len(train_rows),
        "train_rows_total": len(X_train),
        "rows_used": len(test_rows),
        "rows_total": len(X),
    }
    return scores, sizes


def _cross_validated_scores(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    task: _models.Task,
    metric: str,
    cv: int,
    simple_features: list[str] | None,
    n_simple_features: int,
    sample_size: int,
    seed: int,
    time_budget_s: float | None,
) -> tuple[_Scores, dict[str, object]]:
    from sklearn.model_selection import KFold, StratifiedKFold

    from mltestscore.checks._models import clone_model as clone

    if cv < 2:
        raise CheckInputError("cv", f"needs at least 2 folds, got {cv}")
    try:
        unfitted = clone(model)
    except Exception as exc:
        raise CheckInputError(
            "model",
            f"{type(model).__name__} cannot be cloned for cross-validation ({exc}); "
            "pass X_train and y_train for a holdout comparison",
        ) from exc
    rows = sample_rows(len(X), sample_size, seed)
    data_X, data_y = X.iloc[rows].reset_index(drop=True), y[rows]
    features = simple_features or _most_informative(data_X, data_y, task, n_simple_features)
    splitter = (
        KFold(cv, shuffle=True, random_state=seed)
        if task == "regression"
        else StratifiedKFold(cv, shuffle=True, random_state=seed)
    )
    scores = _Scores(features)
    started = time.perf_counter()
    folds_done = 0
    for train_index, test_index in splitter.split(data_X, data_y):
        if (
            time_budget_s is not None
            and folds_done
            and time.perf_counter() - started > time_budget_s
        ):
            break  # out of time: judge on the folds done, and say so
        folds_done += 1
        fit_X, fit_y = data_X.iloc[train_index], data_y[train_index]
        eval_X, eval_y = data_X.iloc[test_index], data_y[test_index]
        candidates = {"model": clone(unfitted), **_baselines(task, fit_X, features, seed)}
        for key, candidate in candidates.items():
            fold_predicted, fold_proba = _fit_and_predict(candidate, fit_X, fit_y, eval_X)
            fold_y = eval_y
            if task != "regression":  # text labels as codes, for log loss and F1
                fold_y, fold_predicted = label_codes(candidate, eval_y, fold_predicted)
            scores.values[key].append(_models.score(metric, fold_y, fold_predicted, fold_proba))
    return scores, {
        "rows_used": len(rows),
        "rows_total": len(X),
        "folds": cv,
        "folds_done": folds_done,
        "time_budget_s": time_budget_s,
    }


def _fit_and_predict(estimator: Any, fit_X: Any, fit_y: Any, eval_X: Any) -> tuple[Any, Any]:
    estimator.fit(fit_X, fit_y)
    proba = estimator.predict_proba(eval_X) if hasattr(estimator, "predict_proba") else None
    return estimator.predict(eval_X), proba


def _gain_intervals(
    scores: _Scores, metric: str, gain: str, n_bootstrap: int, confidence: float, seed: int
) -> dict[str, tuple[float, float]]:
    """Paired bootstrap intervals of the gains: the same resampled rows score all models."""
    import numpy as np

    nan = (float("nan"), float("nan"))
    if not scores.outputs or n_bootstrap <= 0:
        return {"dummy": nan, "linear": nan}
    y = scores.labels
    weights = _resample.bootstrap_weights(len(y), n_bootstrap, np.random.default_rng(seed))
    resampled = {
        key: _resample.weighted_scores(metric, y, predicted, proba, weights)
        for key, (predicted, proba) in scores.outputs.items()
    }
    sign = 1.0 if _models.higher_is_better(metric) else -1.0
    tail = (1.0 - confidence) / 2.0
    intervals = {}
    for key in ("dummy", "linear"):
        with np.errstate(divide="ignore", invalid="ignore"):
            gains = sign * (resampled["model"] - resampled[key])
            if gain == "relative":
                gains = gains / np.abs(resampled[key])
        gains = gains[np.isfinite(gains)]
        if len(gains) < max(10, n_bootstrap // 2):
            intervals[key] = nan
            continue
        low, high = np.quantile(gains, [tail, 1.0 - tail])
        intervals[key] = (float(low), float(high))
    return intervals


def _baselines(
    task: _models.Task, X: pd.DataFrame, features: list[str], seed: int
) -> dict[str, Any]:
    """The dummy and the linear model on ``features``, unfitted."""
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric = [c for c in features if _is_numeric(X[c])]
    categorical = [c for c in features if c not in numeric]
    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        parts.append(
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)
        )
    if categorical:
        encode = OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=20)
        parts.append(("cat", make_pipeline(FunctionTransformer(_as_text), encode), categorical))
    linear = (
        Ridge() if task == "regression" else LogisticRegression(max_iter=1000, random_state=seed)
    )
    dummy = DummyRegressor() if task == "regression" else DummyClassifier(strategy="prior")
    return {
        "dummy": dummy,
        "linear": Pipeline([("features", ColumnTransformer(parts)), ("linear", linear)]),
    }


def _as_text(frame: Any) -> Any:
    """Categorical columns as plain strings, missing values as their own category."""
    import pandas as pd

    frame = pd.DataFrame(frame)
    return frame.astype(object).where(frame.notna(), "missing").astype(str).astype(object)


def _is_numeric(column: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def _most_informative(X: pd.DataFrame, y: Any, task: _models.Task, k: int) -> list[str]:
    """The ``k`` columns with the highest mutual information with the target (binned)."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import mutual_info_score

    target = _codes(pd.Series(y)) if task != "regression" else _codes(pd.Series(y), bins=10)
    information = {
        str(column): float(mutual_info_score(target, _codes(X[column], bins=10)))
        for column in X.columns
        if not X[column].isna().all()
    }
    ranked = sorted(information, key=lambda c: -information[c])
    return [c for c in ranked[:k] if np.isfinite(information[c])]


def _codes(column: pd.Series, bins: int | None = None) -> Any:
    """Integer codes of a column; numeric columns with many values in quantile bins."""
    import pandas as pd

    if bins is not None and _is_numeric(column) and column.nunique() > bins:
        column = pd.qcut(column, q=bins, duplicates="drop")
    return pd.factorize(column, use_na_sentinel=False)[0]


def _verdict(
    scores: _Scores,
    intervals: dict[str, tuple[float, float]],
    metric: str,
    note: str | None,
    gain: str,
    min_gain_over_dummy: float,
    min_gain_over_linear: float,
    parameters: dict[str, object],
) -> CheckResult:
    sign = 1.0 if _models.higher_is_better(metric) else -1.0
    model_score = scores.mean("model")
    required = {"dummy": min_gain_over_dummy, "linear": min_gain_over_linear}
    gains: dict[str, float] = {}
    for key in ("dummy", "linear"):
        baseline = scores.mean(key)
        difference = sign * (model_score - baseline)
        gains[key] = (
            difference
            if gain == "absolute"
            else (difference / abs(baseline) if baseline else math.copysign(math.inf, difference))
        )
    if math.isnan(model_score):
        raise CheckInputError("y", f"{metric} is undefined on these labels (a single class?)")
    losing = [k for k in ("dummy", "linear") if not gains[k] >= required[k]]
    rows = [
        ("model", scores.mean("model"), scores.spread("model"), None, None, None, ""),
        *(
            (
                "dummy (prior)" if key == "dummy" else f"linear on {', '.join(scores.features)}",
                scores.mean(key),
                scores.spread(key),
                gains[key],
                _span(intervals[key]),
                required[key],
                "not beaten" if key in losing else "beaten",
            )
            for key in ("dummy", "linear")
        ),
    ]
    table = Table.build(
        f"Model against simpler baselines ({metric}, {parameters['mode']})",
        [
            "model",
            metric,
            "std over folds",
            f"{gain} gain of the model",
            f"gain {parameters['confidence']:.0%} CI",
            "required gain",
            "result",
        ],
        rows,
        chart=metric,
    )
    unit = "" if gain == "absolute" else " (relative)"
    summary = (
        f"model {metric} {model_score:.4g} vs dummy {scores.mean('dummy'):.4g} "
        f"(gain {gains['dummy']:+.3g}{unit}{_ci(intervals['dummy'])}, "
        f"need {min_gain_over_dummy:+.3g}) and linear on "
        f"{len(scores.features)} features {scores.mean('linear'):.4g} "
        f"(gain {gains['linear']:+.3g}{unit}{_ci(intervals['linear'])}, "
        f"need {min_gain_over_linear:+.3g})"
    )
    if losing:
        reason = f"a simpler model is as good: {summary}"
    else:
        reason = f"the model beats both simpler baselines: {summary}"
    if note:
        reason += f"; {note}"
    return CheckResult.judge(
        not losing,
        NAME,
        RUBRIC,
        reason,
        measurements={
            f"model_{metric}": model_score,
            f"dummy_{metric}": scores.mean("dummy"),
            f"linear_{metric}": scores.mean("linear"),
            "gain_over_dummy": gains["dummy"],
            "gain_over_linear": gains["linear"],
            "gain_over_dummy_ci_low": intervals["dummy"][0],
            "gain_over_dummy_ci_high": intervals["dummy"][1],
            "gain_over_linear_ci_low": intervals["linear"][0],
            "gain_over_linear_ci_high": intervals["linear"][1],
            "seconds": parameters.pop("seconds"),  # time is measured, not a setting
        },
        thresholds={
            "min_gain_over_dummy": min_gain_over_dummy,
            "min_gain_over_linear": min_gain_over_linear,
        },
        parameters={**parameters, "simple_features": ", ".join(scores.features)},
        tables=[table],
    )


def _span(interval: tuple[float, float]) -> str | None:
    low, high = interval
    return None if math.isnan(low) else f"{low:+.3g} to {high:+.3g}"


def _ci(interval: tuple[float, float]) -> str:
    span = _span(interval)
    return "" if span is None else f", CI {span}"
