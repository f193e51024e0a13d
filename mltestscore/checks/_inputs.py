"""Input validation every model-taking check shares: a model, and labels for its rows.

Each problem becomes a :class:`CheckInputError` naming the argument, so the check returns an
error result that says what is wrong and where.
"""

from __future__ import annotations

from typing import Any

from mltestscore.checks.registry import CheckInputError


def require_model(model: Any, argument: str = "model") -> Any:
    """A fitted-looking model: anything with a callable ``predict``."""
    if model is None or not callable(getattr(model, "predict", None)):
        raise CheckInputError(
            argument, f"expected a fitted model with a predict method, got {type(model).__name__}"
        )
    return model


def require_labels(y: Any, n_rows: int, argument: str = "y") -> Any:
    """The labels as a 1-D numpy array, one per row, none missing."""
    import numpy as np
    import pandas as pd

    if y is None:
        raise CheckInputError(argument, "labels are required")
    if isinstance(y, str | bytes) or not hasattr(y, "__len__"):
        raise CheckInputError(argument, f"expected an array of labels, got {type(y).__name__}")
    values = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if values.ndim != 1:
        raise CheckInputError(argument, f"expected one label per row, got shape {values.shape}")
    if len(values) != n_rows:
        raise CheckInputError(argument, f"has {len(values)} labels for {n_rows} rows")
    missing = int(pd.isna(pd.Series(values)).sum())
    if missing:
        raise CheckInputError(argument, f"contains missing labels ({missing} of {len(values)})")
    return values
