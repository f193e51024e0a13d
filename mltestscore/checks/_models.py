"""Shared helpers for checks that take a fitted model: task detection, the metric to judge by,
scores, and predictions computed once per (model, data) pair and reused across checks in a
session.

Heavy imports (numpy, scikit-learn) happen inside the functions.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mltestscore.checks.registry import CheckInputError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Task = Literal["binary", "multiclass", "regression"]

PROBABILITY_METRICS = frozenset({"roc_auc", "log_loss"})
CLASSIFICATION_METRICS = frozenset(
    {"accuracy", "error_rate", "f1", "f1_macro", "roc_auc", "log_loss"}
)
REGRESSION_METRICS = frozenset({"rmse", "mae", "r2"})
KNOWN_METRICS = CLASSIFICATION_METRICS | REGRESSION_METRICS


class NotApplicableError(Exception):
    """The check cannot apply to this model (no probabilities, no explainer for it...)."""


class NeedsProbabilities(NotApplicableError):
    """The requested metric needs ``predict_proba`` and the model has none."""


_cache: dict[tuple[int, int, str], Any] = {}


def _forget(key: tuple[int, int, str]) -> Callable[[], None]:
    return lambda: _cache.pop(key, None)


def _cached(model: Any, X: Any, kind: str, compute: Callable[[], Any]) -> Any:
    """Memoise a prediction by the identity of the model and the data.

    Entries die with either object (weakref finalizers), so a cache hit can never pair a new
    object with an old one that happened to reuse its id.
    """
    key = (id(model), id(X), kind)
    if key in _cache:
        return _cache[key]
    value = compute()
    try:
        weakref.finalize(model, _forget(key))
        weakref.finalize(X, _forget(key))
    except TypeError:  # not weak-referenceable: do not cache
        return value
    _cache[key] = value
    return value


def as_predictions(values: Any) -> Any:
    """A model's ``predict`` output as a numpy array, one value per row: a single column is
    flattened (CatBoost's multiclass ``predict`` returns shape (n, 1), which compared or
    concatenated with a label vector broadcasts or fails)."""
    import numpy as np

    array = np.asarray(values)
    return array.ravel() if array.ndim == 2 and array.shape[1] == 1 else array


def predict(model: Any, X: Any) -> Any:
    """``model.predict(X)`` as a numpy array of one value per row (:func:`as_predictions`),
    computed once per (model, X)."""
    return _cached(model, X, "predict", lambda: as_predictions(model.predict(X)))


def predict_proba(model: Any, X: Any) -> Any | None:
    """``model.predict_proba(X)`` as a numpy array, or None when the model has no probabilities."""
    import numpy as np

    if not callable(getattr(model, "predict_proba", None)):
        return None
    return _cached(model, X, "predict_proba", lambda: np.asarray(model.predict_proba(X)))


def infer_task(y: Any, model: Any | None = None) -> Task:
    """Classification when the model is a classifier or the labels look categorical.

    Models that are not scikit-learn estimators (plain ``predict`` wrappers) are judged by
    ``classes_`` / ``predict_proba`` and the labels alone: scikit-learn 1.9's
    ``is_classifier`` raises on objects without estimator tags.
    """
    import numpy as np
    from sklearn.base import is_classifier, is_regressor
    from sklearn.utils.multiclass import type_of_target

    if model is not None:
        try:
            classifier, regressor = is_classifier(model), is_regressor(model)
        except (AttributeError, TypeError):
            classifier = callable(getattr(model, "predict_proba", None))
            regressor = False
        if regressor:
            return "regression"
        classes = getattr(model, "classes_", None)
        if classifier and classes is not None:
            return "binary" if len(classes) <= 2 else "multiclass"
    kind = type_of_target(np.asarray(y))
    if kind == "binary":
        return "binary"
    if kind == "multiclass":
        return "multiclass"
    return "regression"


def default_metric(task: Task) -> str:
    """The metric a check uses when the user names none: ROC AUC, macro F1 or RMSE."""
    return {"binary": "roc_auc", "multiclass": "f1_macro", "regression": "rmse"}[task]


def higher_is_better(metric: str) -> bool:
    return metric not in {"rmse", "mae", "log_loss", "error_rate", "brier"}


def score(metric: str, y_true: Any, y_pred: Any, proba: Any | None = None) -> float:
    """Compute a named metric; probability metrics fall back to hard predictions when needed."""
    import numpy as np
    from sklearn import metrics

    y_true = np.asarray(y_true)
    if y_pred is not None:
        y_pred = as_predictions(y_pred)
    if metric == "roc_auc":
        if len(np.unique(y_true)) < 2:
            return float("nan")
        positive = proba[:, -1] if proba is not None else y_pred
        fast = binary_roc_auc(y_true, positive)
        return fast if fast is not None else float(metrics.roc_auc_score(y_true, positive))
    if metric == "accuracy":
        return float(metrics.accuracy_score(y_true, y_pred))
    if metric == "error_rate":
        return 1.0 - float(metrics.accuracy_score(y_true, y_pred))
    if metric == "f1":
        return float(metrics.f1_score(y_true, y_pred, zero_division=0))
    if metric == "f1_macro":
        return float(metrics.f1_score(y_true, y_pred, average="macro", zero_division=0))
    if metric == "log_loss":
        if proba is None:
            raise ValueError("log_loss needs a model with predict_proba")
        return float(metrics.log_loss(y_true, proba, labels=np.arange(proba.shape[1])))
    if metric == "rmse":
        return float(np.sqrt(metrics.mean_squared_error(y_true, y_pred)))
    if metric == "mae":
        return float(metrics.mean_absolute_error(y_true, y_pred))
    if metric == "r2":
        return float(metrics.r2_score(y_true, y_pred))
    raise ValueError(
        f"unknown metric {metric!r}; use one of accuracy, error_rate, f1, f1_macro, "
        "roc_auc, log_loss, rmse, mae, r2"
    )


def binary_roc_auc(y_true: Any, scores: Any) -> float | None:
    """ROC AUC of binary labels, computed from ranks; None where this shortcut does not
    apply (then ``sklearn.metrics.roc_auc_score`` decides, and raises as it would).

    The area under the ROC curve is the Mann-Whitney statistic: the share of (positive,
    negative) pairs the scores order correctly, ties counting one half. With average ranks
    that is ``(sum of the positives' ranks - P(P+1)/2) / (P * N)``, equal to scikit-learn's
    trapezoidal area (the positive class is the greater label, as there), in a tenth of a
    millisecond instead of one and a half: permutation importance, tuning and bootstraps
    score hundreds of times per run.
    """
    import numpy as np
    from scipy.stats import rankdata

    labels_in = np.asarray(y_true)
    values = np.asarray(scores)
    if (
        labels_in.ndim != 1
        or values.ndim != 1
        or len(values) != len(labels_in)
        or labels_in.dtype == object
        or values.dtype.kind not in "biuf"
        or not np.isfinite(values).all()
    ):
        return None
    labels = np.unique(labels_in)
    if len(labels) != 2 or labels_in.dtype.kind not in "biuUSf":
        return None
    if labels_in.dtype.kind == "f" and not np.array_equal(labels, np.floor(labels)):
        return None  # scikit-learn reads fractional labels as a continuous target
    positive = labels_in == labels[1]
    n_positive = int(positive.sum())
    n_negative = len(labels_in) - n_positive
    ranks = rankdata(values)
    return float(
        (ranks[positive].sum() - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)
    )


def is_classifier(model: object) -> bool:
    """scikit-learn's ``is_classifier``, False for objects that are not sklearn estimators
    (scikit-learn 1.6+ raises on objects without ``__sklearn_tags__``)."""
    from sklearn.base import is_classifier as sklearn_is_classifier

    try:
        return bool(sklearn_is_classifier(model))
    except (AttributeError, TypeError):
        return False


def is_regressor(model: object) -> bool:
    """scikit-learn's ``is_regressor``, False for objects that are not sklearn estimators."""
    from sklearn.base import is_regressor as sklearn_is_regressor

    try:
        return bool(sklearn_is_regressor(model))
    except (AttributeError, TypeError):
        return False


def task_of(y: Any, model: Any, task: str | None = None) -> Task:
    """The task, ``task`` when the user names it, else :func:`infer_task` from the model and
    the labels, falling back to the labels alone for a model that breaks scikit-learn's
    estimator probes (a wrapper with ``predict``): that must not make the check fail."""
    if task is not None:
        if task not in {"binary", "multiclass", "regression"}:
            raise CheckInputError(
                "task", f"must be 'binary', 'multiclass' or 'regression', got {task!r}"
            )
        return task  # type: ignore[return-value]
    try:
        return infer_task(y, model)
    except Exception:
        return infer_task(y)


def missing_probabilities(metric: str, *models: Any) -> str | None:
    """Why ``metric`` cannot be computed, when it needs probabilities a model does not give.

    ROC AUC falls back to hard labels in :func:`score`, so only log loss and Brier need
    ``predict_proba`` here.
    """
    if metric not in {"log_loss", "brier"}:
        return None
    lacking = [m for m in models if not callable(getattr(m, "predict_proba", None))]
    return needs_probabilities(metric, *lacking) if lacking else None


def needs_probabilities(metric: str, *models: Any) -> str:
    """The one reason a check gives when ``metric`` needs ``predict_proba`` that ``models``
    do not have."""
    names = ", ".join(type(m).__name__ for m in models)
    return f"{metric} needs predict_proba, which {names} does not have"


def predictions(model: Any, X: Any) -> tuple[NDArray[Any], NDArray[np.float64] | None]:
    """Cached ``predict`` and ``predict_proba`` (None without it); a failing model is named."""
    try:
        predicted = predict(model, X)
        proba = predict_proba(model, X)
    except Exception as exc:
        raise CheckInputError(
            "model", f"prediction failed on X ({type(exc).__name__}: {exc})"
        ) from exc
    if len(predicted) != len(X):
        raise CheckInputError("model", f"returned {len(predicted)} predictions for {len(X)} rows")
    return predicted, proba


def resolve_metric(metric: str | None, task: Task, has_proba: bool) -> tuple[str, str | None]:
    """The metric to use and a note when the default had to change.

    Without ``predict_proba`` the binary default (ROC AUC) becomes accuracy; a probability
    metric the user asked for explicitly raises :class:`NeedsProbabilities`.
    """
    if metric is None:
        chosen = default_metric(task)
        if chosen in PROBABILITY_METRICS and not has_proba:
            return "accuracy", f"the model has no predict_proba, so accuracy replaces {chosen}"
        return chosen, None
    allowed = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    if metric not in allowed:
        raise CheckInputError(
            "metric", f"{metric!r} does not fit a {task} task; use one of {sorted(allowed)}"
        )
    if metric == "roc_auc" and task != "binary":
        raise CheckInputError("metric", "roc_auc needs a binary task; use f1_macro or accuracy")
    if metric in PROBABILITY_METRICS and not has_proba:
        raise NeedsProbabilities(metric)
    return metric, None


@dataclass(frozen=True)
class JudgedOutputs:
    """A model's predictions on X (and probabilities, None without them), the task and the
    metric the quality checks judge them by, with a note when the default metric changed."""

    predicted: NDArray[Any]
    proba: NDArray[np.float64] | None
    task: Task
    metric: str
    note: str | None


def judged_outputs(
    model: Any, X: Any, y: Any, metric: str | None, task: str | None
) -> JudgedOutputs:
    """Predict once, settle the task and the metric. Raises :class:`NeedsProbabilities`,
    its message the reason to give, when an asked-for metric needs probabilities."""
    predicted, proba = predictions(model, X)
    settled = task_of(y, model, task)
    try:
        chosen, note = resolve_metric(metric, settled, proba is not None)
    except NeedsProbabilities as exc:
        raise NeedsProbabilities(needs_probabilities(str(exc), model)) from exc
    return JudgedOutputs(predicted, proba, settled, chosen, note)


def label_codes(model: Any, y: Any, *predicted: Any) -> tuple[NDArray[Any], ...]:
    """Text class labels as integer codes in the order of the probability columns.

    :func:`score` indexes probability columns by label (log loss) and takes 1 as the positive
    class (F1), so labels such as ``">50K"`` are coded 0..k-1 in the order of the model's
    ``classes_`` (sorted, as scikit-learn does, when the model has none). Numeric labels are
    returned unchanged.
    """
    import numpy as np

    arrays = [np.asarray(y), *(np.asarray(p) for p in predicted)]
    if arrays[0].dtype.kind in "iub":
        return tuple(arrays)
    known = getattr(model, "classes_", None)
    classes = (
        list(np.asarray(known).tolist())
        if known is not None
        else sorted(set(np.concatenate(arrays).tolist()), key=str)
    )
    lookup = {label: code for code, label in enumerate(classes)}
    return tuple(
        np.fromiter((lookup.get(v, -1) for v in a.tolist()), dtype=np.int64, count=len(a))
        for a in arrays
    )


@dataclass(frozen=True)
class MetricChoice:
    task: Task
    metric: str
    higher_is_better: bool
    needs_proba: bool


def choose_metric(model: Any, y: Any, metric: str | None) -> MetricChoice:
    """The metric to judge by: the user's, else the task default (accuracy for classifiers
    without probabilities). Raises NotApplicableError when a probability metric is asked of a
    predict-only model."""
    task = task_of(y, model)
    has_proba = callable(getattr(model, "predict_proba", None))
    if metric is None:
        metric = default_metric(task)
        if metric in PROBABILITY_METRICS and not has_proba:
            metric = "accuracy"
    if metric not in KNOWN_METRICS:
        raise CheckInputError(
            "metric", f"unknown metric {metric!r}; use one of {', '.join(sorted(KNOWN_METRICS))}"
        )
    if metric == "roc_auc" and task == "multiclass":
        raise CheckInputError("metric", "roc_auc is for binary labels; use f1_macro or accuracy")
    if metric in PROBABILITY_METRICS and not has_proba:
        raise NotApplicableError(needs_probabilities(metric, model))
    return MetricChoice(task, metric, higher_is_better(metric), metric in PROBABILITY_METRICS)


def quality(model: Any, X: Any, y: Any, choice: MetricChoice, cached: bool = True) -> float:
    """The metric as a quality (negated when lower is better), so bigger is always better.

    ``cached`` reuses the session's predictions for this (model, X) pair; permuted or ablated
    copies pass ``cached=False``.
    """
    import numpy as np

    y_pred: Any = None
    proba: Any = None
    if choice.needs_proba:  # probability metrics never look at hard predictions
        proba = predict_proba(model, X) if cached else np.asarray(model.predict_proba(X))
    else:
        y_pred = predict(model, X) if cached else as_predictions(model.predict(X))
    value = score(choice.metric, y, y_pred, proba)
    return value if choice.higher_is_better else -value


def best_time(
    function: Callable[[], object],
    repeats: int,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """The fastest of ``repeats`` timings on ``clock`` (wall time by default; pass
    ``time.process_time`` for CPU time): the least noisy estimate on a busy box."""
    timings = []
    for _ in range(max(1, repeats)):
        start = clock()
        function()
        timings.append(clock() - start)
    return min(timings)


def clone_model(model: Any) -> Any:
    """scikit-learn's ``clone``, accepting estimators that copy their own parameters.

    ``clone`` checks that a rebuilt estimator holds the very parameter objects it was given;
    CatBoost copies its list parameters (``cat_features``), so every clone of a CatBoost
    model raised "Cannot clone object" and each check that refits it errored. Such a model
    is rebuilt the way ``clone`` does, from ``get_params(deep=False)`` cloned recursively,
    without that identity check.
    """
    from sklearn.base import clone

    try:
        return clone(model)
    except RuntimeError as exc:
        if "Cannot clone object" not in str(exc):
            raise
        return _rebuilt(model)


def _rebuilt(value: Any) -> Any:
    import copy

    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_rebuilt(v) for v in value)
    if isinstance(value, type) or not callable(getattr(value, "get_params", None)):
        return copy.deepcopy(value)
    params = {k: _rebuilt(v) for k, v in value.get_params(deep=False).items()}
    return type(value)(**params)


def known_feature_names(model: Any) -> list[str] | None:
    """The input columns a fitted model says it takes: ``feature_names_in_`` (scikit-learn,
    LightGBM's and XGBoost's scikit-learn APIs fitted on a frame, this package's wrappers of
    booster files), else CatBoost's ``feature_names_`` unless they are its made-up position
    names. None when the model does not say."""
    names = getattr(model, "feature_names_in_", None)
    if names is None and type(model).__module__.split(".", 1)[0] == "catboost":
        names = getattr(model, "feature_names_", None)
        if names is not None and all(str(n).isdigit() for n in names):
            names = None
    return [str(n) for n in names] if names is not None else None
