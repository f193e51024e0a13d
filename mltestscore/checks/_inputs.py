"""Input validation every model-taking check shares: a model, and labels for its rows.

Each problem becomes a :class:`CheckInputError` naming the argument, so the check returns an
error result that says what is wrong and where.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.checks.registry import CheckInputError

if TYPE_CHECKING:
    import pandas as pd

# Suffixes pandas reads as a compressed CSV.
_COMPRESSED = {".gz", ".bz2", ".zip", ".xz", ".zst"}


def read_frame(data: Any, argument: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A pandas DataFrame from a DataFrame or a Parquet / CSV path (a compressed CSV too),
    or a CheckInputError naming ``argument``. With ``columns``, a file is read for those
    columns only (those it has: the caller reports the missing ones). Whether an empty
    frame is acceptable is the caller's to say: what it means differs from check to check."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if not isinstance(data, str | os.PathLike):
        raise CheckInputError(
            argument, f"expected a pandas DataFrame or a file path, got {type(data).__name__}"
        )
    path = Path(data)
    if not path.is_file():
        raise CheckInputError(argument, f"file {str(path)!r} does not exist")
    wanted = set(columns) if columns is not None else None
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if ".parquet" in suffixes or suffixes[-1:] == [".pq"]:
        subset = None
        if wanted is not None:
            import pyarrow.parquet as pq

            subset = [c for c in pq.read_schema(path).names if c in wanted]
        return pd.read_parquet(path, columns=subset)
    if ".csv" in suffixes or (suffixes[-1:] and suffixes[-1] in _COMPRESSED):
        return pd.read_csv(path, usecols=(lambda c: c in wanted) if wanted else None)
    raise CheckInputError(argument, f"{str(path)!r} is neither a .parquet nor a .csv file")


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
