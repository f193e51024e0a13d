"""Input validation and evaluation helpers for the checks that judge a fitted model's features,
explanations, tuning and staleness (importance, feature_cost, explain, tuning, decay).

Every helper raises :class:`CheckInputError` naming the argument or column at fault, so the
registry turns bad input into an ``error`` result that says where to look.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks import _inputs, _models
from mltestscore.checks.registry import CheckInputError

if TYPE_CHECKING:
    import pandas as pd

PROBABILITY_METRICS = frozenset({"roc_auc", "log_loss"})
KNOWN_METRICS = frozenset(
    {"accuracy", "error_rate", "f1", "f1_macro", "roc_auc", "log_loss", "rmse", "mae", "r2"}
)


# Shared with every model-taking check (one implementation, in _inputs).
require_target = _inputs.require_labels
require_model = _inputs.require_model


class NotApplicableError(Exception):
    """Raised by helpers when the check cannot apply to this model (e.g. no probabilities)."""


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


def require_frame(frame: object, argument: str = "X", min_rows: int = 1) -> pd.DataFrame:
    """A non-empty pandas DataFrame without entirely-missing columns."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise CheckInputError(argument, f"expected a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) < min_rows:
        raise CheckInputError(argument, f"has {len(frame)} rows, needs at least {min_rows}")
    if frame.shape[1] == 0:
        raise CheckInputError(argument, "has no columns")
    all_nan = [str(c) for c in frame.columns if frame[c].isna().all()]
    if all_nan:
        raise CheckInputError(f"{argument}[{all_nan[0]!r}]", "column is entirely missing (NaN)")
    return frame


def require_columns(frame: pd.DataFrame, columns: Sequence[str], argument: str) -> list[str]:
    """The named columns, all present in ``frame``."""
    if isinstance(columns, str):
        columns = [columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CheckInputError(argument, f"column {missing[0]!r} is not in the data")
    return [str(c) for c in columns]


def resolve_columns(selection: Any, columns: Sequence[str]) -> list[str]:
    """The input column names a ColumnTransformer part selects: a name, names, positions, a
    boolean mask, a slice or a callable selector (as scikit-learn accepts them)."""
    import numpy as np
    import pandas as pd

    if isinstance(selection, str):
        return [selection]
    if callable(selection):
        return [str(c) for c in selection(pd.DataFrame(columns=list(columns)))]
    if isinstance(selection, slice):
        return list(pd.Index(columns)[selection])
    listed = list(selection)
    if listed and all(isinstance(v, bool | np.bool_) for v in listed):
        return [c for c, keep in zip(columns, listed, strict=False) if keep]
    return [columns[int(v)] if isinstance(v, int | np.integer) else str(v) for v in listed]


def sample_rows(
    X: pd.DataFrame, y: Any, sample_size: int | None, seed: int
) -> tuple[pd.DataFrame, Any]:
    """At most ``sample_size`` rows drawn without replacement with ``seed`` (all when None)."""
    import numpy as np

    if sample_size is not None and sample_size < 1:
        raise CheckInputError("sample_size", f"must be positive, got {sample_size}")
    if sample_size is None or sample_size >= len(X):
        return X, y
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(X), size=sample_size, replace=False))
    sampled = X.iloc[rows].reset_index(drop=True)
    return sampled, (None if y is None else np.asarray(y)[rows])


@dataclass(frozen=True)
class MetricChoice:
    task: _models.Task
    metric: str
    higher_is_better: bool
    needs_proba: bool


def choose_metric(model: Any, y: Any, metric: str | None) -> MetricChoice:
    """The metric to judge by: the user's, else the task default (accuracy for classifiers
    without probabilities). Raises NotApplicableError when a probability metric is asked of a
    predict-only model."""
    # integer-valued targets (ages, counts) look like classes to infer_task: trust the model
    sklearn_like = is_classifier(model) or is_regressor(model)
    task: _models.Task = (
        "regression"
        if is_regressor(model)
        else _models.infer_task(y, model if sklearn_like else None)
    )
    has_proba = callable(getattr(model, "predict_proba", None))
    if metric is None:
        metric = _models.default_metric(task)
        if metric in PROBABILITY_METRICS and not has_proba:
            metric = "accuracy"
    if metric not in KNOWN_METRICS:
        raise CheckInputError(
            "metric", f"unknown metric {metric!r}; use one of {', '.join(sorted(KNOWN_METRICS))}"
        )
    if metric == "roc_auc" and task == "multiclass":
        raise CheckInputError("metric", "roc_auc is for binary labels; use f1_macro or accuracy")
    if metric in PROBABILITY_METRICS and not has_proba:
        raise NotApplicableError(
            f"metric {metric} needs predicted probabilities and "
            f"{type(model).__name__} has no predict_proba"
        )
    return MetricChoice(
        task, metric, _models.higher_is_better(metric), metric in PROBABILITY_METRICS
    )


def quality(model: Any, X: Any, y: Any, choice: MetricChoice, cached: bool = True) -> float:
    """The metric as a quality (negated when lower is better), so bigger is always better.

    ``cached`` reuses the session's predictions for this (model, X) pair; permuted or ablated
    copies pass ``cached=False``.
    """
    import numpy as np

    y_pred: Any = None
    proba: Any = None
    if choice.needs_proba:  # probability metrics never look at hard predictions
        proba = _models.predict_proba(model, X) if cached else np.asarray(model.predict_proba(X))
    else:
        y_pred = _models.predict(model, X) if cached else np.asarray(model.predict(X))
    value = _models.score(choice.metric, y, y_pred, proba)
    return value if choice.higher_is_better else -value


def best_time(function: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` wall-clock timings: the least noisy estimate on a busy box."""
    timings = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return min(timings)


def fmt(value: float) -> str:
    """Short human formatting for reasons."""
    return f"{value:.3g}"


@contextlib.contextmanager
def limited_threads(n_threads: int | None) -> Iterator[None]:
    """Cap OpenMP/BLAS threads while a check repeats many small predictions.

    On a shared CI box, gradient boosting's OpenMP threads oversubscribe the cores and a
    500-row prediction can take ten times longer than single-threaded. None leaves it alone.
    """
    if n_threads is None:
        yield
        return
    from mltestscore.checks._threads import thread_limit

    with thread_limit(n_threads):
        yield
