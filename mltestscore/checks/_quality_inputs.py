"""Input checks shared by the model-quality checks (baselines, slices, fairness).

Each helper raises :class:`CheckInputError` naming the argument or column at fault, so a bad
input becomes an ``error`` result a person can act on instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mltestscore.checks import _inputs, _models
from mltestscore.checks.registry import CheckInputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

PROBABILITY_METRICS = frozenset({"roc_auc", "log_loss"})
CLASSIFICATION_METRICS = frozenset(
    {"accuracy", "error_rate", "f1", "f1_macro", "roc_auc", "log_loss"}
)
REGRESSION_METRICS = frozenset({"rmse", "mae", "r2"})


# Shared with every model-taking check (one implementation, in _inputs).
require_target = _inputs.require_labels
require_model = _inputs.require_model


class NeedsProbabilities(Exception):
    """The requested metric needs ``predict_proba`` and the model has none."""


def require_frame(X: Any, argument: str = "X") -> pd.DataFrame:
    """A non-empty pandas DataFrame, or an error naming ``argument``."""
    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        raise CheckInputError(argument, f"expected a pandas DataFrame, got {type(X).__name__}")
    if len(X) == 0 or X.shape[1] == 0:
        raise CheckInputError(argument, f"is empty ({X.shape[0]} rows, {X.shape[1]} columns)")
    return X


def require_columns(frame: pd.DataFrame, columns: Sequence[str], argument: str) -> list[str]:
    """The named columns, each present and not entirely missing."""
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns:
        raise CheckInputError(argument, "names no column")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CheckInputError(
            argument, f"column(s) {missing} not in the data (columns: {list(frame.columns)[:20]})"
        )
    for column in columns:
        if frame[column].isna().all():
            raise CheckInputError(argument, f"column {column!r} is entirely missing")
    return columns


def aligned_frame(extra: Any, X: pd.DataFrame, argument: str) -> pd.DataFrame:
    """``extra`` (a DataFrame or Series with one row per row of X) with X's row index."""
    import pandas as pd

    if isinstance(extra, pd.Series):
        extra = extra.to_frame()
    frame = require_frame(extra, argument)
    if len(frame) != len(X):
        raise CheckInputError(argument, f"has {len(frame)} rows for {len(X)} rows of X")
    return frame.set_axis(X.index, axis=0)


def predictions(model: Any, X: Any) -> tuple[NDArray[Any], NDArray[np.float64] | None]:
    """Cached ``predict`` and ``predict_proba`` (None without it); a failing model is named."""
    try:
        predicted = _models.predict(model, X)
        proba = _models.predict_proba(model, X)
    except Exception as exc:
        raise CheckInputError(
            "model", f"prediction failed on X ({type(exc).__name__}: {exc})"
        ) from exc
    if len(predicted) != len(X):
        raise CheckInputError("model", f"returned {len(predicted)} predictions for {len(X)} rows")
    return predicted, proba


def resolve_metric(
    metric: str | None, task: _models.Task, has_proba: bool
) -> tuple[str, str | None]:
    """The metric to use and a note when the default had to change.

    Without ``predict_proba`` the binary default (ROC AUC) becomes accuracy; a probability
    metric the user asked for explicitly raises :class:`NeedsProbabilities`.
    """
    if metric is None:
        chosen = _models.default_metric(task)
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


def sample_rows(n_rows: int, max_rows: int, seed: int) -> NDArray[np.intp]:
    """Row positions to use: all rows, or a seeded random sample of ``max_rows`` sorted."""
    import numpy as np

    if max_rows <= 0:
        raise CheckInputError("max_rows", f"must be positive, got {max_rows}")
    if n_rows <= max_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=max_rows, replace=False))


def task_of(y: Any, model: Any, task: str | None = None) -> _models.Task:
    """``_models.infer_task``, trusting a scikit-learn regressor and falling back to the
    labels for duck-typed models; ``task`` overrides the guess.

    ``type_of_target`` calls whole-number targets (hours, counts) multiclass, so a regressor
    is believed first; scikit-learn's ``is_classifier`` raises on objects that only look like
    estimators (a wrapper with ``predict``), which must not make the check fail.
    """
    from sklearn.base import is_regressor

    if task is not None:
        if task not in {"binary", "multiclass", "regression"}:
            raise CheckInputError(
                "task", f"must be 'binary', 'multiclass' or 'regression', got {task!r}"
            )
        return task  # type: ignore[return-value]
    try:
        if is_regressor(model):  # integer-valued targets (hours, counts) look like classes
            return "regression"
        return _models.infer_task(y, model)
    except Exception:
        return _models.infer_task(y)


def label_codes(model: Any, y: Any, *predicted: Any) -> tuple[NDArray[Any], ...]:
    """Text class labels as integer codes in the order of the probability columns.

    ``_models.score`` indexes probability columns by label (log loss) and takes 1 as the
    positive class (F1), so labels such as ``">50K"`` are coded 0..k-1 in the order of the
    model's ``classes_`` (sorted, as scikit-learn does, when the model has none). Numeric
    labels are returned unchanged.
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


def columns_from(
    X: pd.DataFrame,
    extra: pd.DataFrame | None,
    columns: Sequence[str],
    *,
    columns_argument: str,
    extra_argument: str,
) -> pd.DataFrame:
    """The named columns, each from ``extra`` (aligned with X) when it has it, else from X.

    Slices and sensitive attributes are often columns the model must not see (region,
    race), so they may come in a separate frame with one row per row of X.
    """
    import pandas as pd

    aligned = None if extra is None else aligned_frame(extra, X, extra_argument)
    source = {c: aligned[c] for c in columns if aligned is not None and c in aligned.columns}
    source.update({c: X[c] for c in columns if c not in source and c in X.columns})
    frame = pd.DataFrame(source, index=X.index)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CheckInputError(
            columns_argument, f"column(s) {missing} are neither in X nor in {extra_argument}"
        )
    require_columns(frame, columns, columns_argument)
    return frame.reset_index(drop=True)
