"""Input validation shared by the infrastructure and serving checks (infra-*, monitor-6/7).

Each helper raises ``CheckInputError`` naming the argument or column at fault, which the
registry turns into an ``error`` result instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mltestscore.checks import _inputs
from mltestscore.checks.registry import CheckInputError

# Shared with every model-taking check (one implementation, in _inputs).
require_labels = _inputs.require_labels
require_model = _inputs.require_model


def require_rows(X: Any, argument: str) -> Any:
    """A non-empty table of inputs (DataFrame or 2-D array)."""
    import numpy as np
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0:
            raise CheckInputError(argument, "the data frame has no rows")
        if X.shape[1] == 0:
            raise CheckInputError(argument, "the data frame has no columns")
        all_nan = [str(c) for c in X.columns if X[c].isna().all()]
        if all_nan:
            raise CheckInputError(argument, f"column(s) entirely missing: {', '.join(all_nan)}")
        return X
    if isinstance(X, np.ndarray) and X.ndim == 2:
        if X.shape[0] == 0:
            raise CheckInputError(argument, "the array has no rows")
        return X
    raise CheckInputError(
        argument, f"expected a pandas DataFrame or a 2-D numpy array, got {type(X).__name__}"
    )


def require_columns(X: Any, columns: Sequence[str], argument: str) -> None:
    missing = [c for c in columns if c not in getattr(X, "columns", ())]
    if missing:
        raise CheckInputError(argument, f"column(s) not in the data: {', '.join(missing)}")


def take_rows(X: Any, rows: Any) -> Any:
    """Rows by position for a DataFrame or an array."""
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def sample_rows(X: Any, size: int | None, seed: int) -> Any:
    """Positions of a seeded sample of at most ``size`` rows (all rows when None)."""
    import numpy as np

    n = len(X)
    if size is None or size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def fmt(value: float) -> str:
    return f"{value:.4g}"


def task_of(labels: Any, model: Any) -> Any:
    """``_models.infer_task``, tolerating models that are not scikit-learn estimators.

    scikit-learn 1.6+ raises AttributeError from ``is_classifier`` on objects without
    ``__sklearn_tags__`` (plain wrappers exposing ``predict``); fall back to the labels then.
    """
    from mltestscore.checks import _models

    try:
        return _models.infer_task(labels, model)
    except AttributeError:
        return _models.infer_task(labels)


def missing_probabilities(metric: str, *models: Any) -> str | None:
    """Why ``metric`` cannot be computed, when it needs probabilities a model does not give.

    ROC AUC falls back to hard labels in ``_models.score``, so only log loss and Brier need
    ``predict_proba`` here.
    """
    if metric not in {"log_loss", "brier"}:
        return None
    lacking = [type(m).__name__ for m in models if not callable(getattr(m, "predict_proba", None))]
    if not lacking:
        return None
    return f"{metric} needs predict_proba, which {', '.join(lacking)} does not have"
