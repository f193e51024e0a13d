"""The one input layer of the checks: tables, columns, labels, a model, a row sample, and how
a number is written in a reason.

Every check validates its inputs through these functions, so the same mistake gets the same
message everywhere. Each problem becomes a :class:`CheckInputError` naming the argument, column
or file at fault, which the registry turns into an ``error`` result that says what is wrong and
where, instead of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Sequence, Sized
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.checks.registry import CheckInputError
from mltestscore.checks.result import fmt

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

# Suffixes pandas reads as a compressed CSV.
# fmt lives with the result's summary, which writes numbers the same way
__all__ = [
    "aligned_frame",
    "columns_from",
    "fmt",
    "read_frame",
    "require_columns",
    "require_confidence",
    "require_frame",
    "require_labels",
    "require_model",
    "require_rows",
    "resolve_columns",
    "sample_frame",
    "sample_rows",
    "take_rows",
]

_COMPRESSED = {".gz", ".bz2", ".zip", ".xz", ".zst"}


def read_frame(data: Any, argument: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A pandas DataFrame from a DataFrame or a Parquet / CSV path (a compressed CSV too),
    or a CheckInputError naming ``argument``. With ``columns``, a file is read for those
    columns only (those it has: the caller reports the missing ones). Whether an empty
    frame is acceptable is the caller's to say: what it means differs from check to check."""
    import pandas as pd

    from mltestscore.checks._frames import is_scannable

    if isinstance(data, pd.DataFrame):
        return require_unique_columns(data, argument)
    if is_scannable(data):
        return require_unique_columns(_collect_whole(data, argument, columns), argument)
    if not isinstance(data, str | os.PathLike):
        raise CheckInputError(
            argument,
            f"expected a pandas DataFrame or a file path, got {type(data).__name__} (a folder, "
            "a glob, a pyarrow Table or Dataset, a Polars, DuckDB, Spark or Dask frame are "
            "accepted)",
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


# A check that has no lazy path reads a lazily scannable source whole in pandas while its
# estimated size there stays within this budget (MLTESTSCORE_PANDAS_MEMORY_LIMIT, in bytes,
# changes it). The data checks that aggregate (schema, drift, PII, freshness) never read a
# large source whole: they compute in its engine whatever its size.
WHOLE_READ_MAX_BYTES = 1024**3
# What one value costs in pandas, by narwhals type family: a text value is a Python string
# (about 50 bytes of object plus its characters); other types their width.
_TEXT_VALUE_BYTES = 64


def _collect_whole(data: Any, argument: str, columns: Sequence[str] | None) -> pd.DataFrame:
    """A scannable source (docs/bigdata.md) in pandas, for the checks that have no lazy path,
    refused when its estimated size in pandas exceeds the budget rather than exhausting
    memory (the rows are counted in the engine first)."""
    from mltestscore.checks._frames import open_scan

    scan = open_scan(data, argument)
    wanted = scan.columns if columns is None else [c for c in scan.columns if c in set(columns)]
    budget = int(os.environ.get("MLTESTSCORE_PANDAS_MEMORY_LIMIT", WHOLE_READ_MAX_BYTES))
    rows = scan.rows()
    dtypes = scan.dtypes()
    estimate = rows * sum(_value_bytes(dtypes[c]) for c in wanted)
    if estimate > budget:
        raise CheckInputError(
            argument,
            f"has {rows:,} rows in {scan.engine}, about {estimate / 1024**2:,.0f} MiB in pandas; "
            f"this check reads its data whole in pandas (budget {budget / 1024**2:,.0f} MiB, "
            "MLTESTSCORE_PANDAS_MEMORY_LIMIT): pass a sample",
        )
    return scan.collect(scan.frame.select(*wanted))


def _value_bytes(dtype: Any) -> int:
    """Bytes per value in pandas of a column of this narwhals dtype (an estimate)."""
    import narwhals as nw

    if dtype == nw.Boolean:
        return 1
    if dtype.is_numeric():
        digits = "".join(ch for ch in str(dtype) if ch.isdigit())
        return max(int(digits) // 8, 1) if digits else 8
    if dtype.is_temporal():
        return 8
    return _TEXT_VALUE_BYTES


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


def require_unique_columns(frame: pd.DataFrame, argument: str) -> pd.DataFrame:
    """``frame`` when no two of its columns have the same name (as text); otherwise a
    CheckInputError naming them. With two columns called ``age``, ``frame["age"]`` is a
    frame, not a column, and every library below fails with a message that names neither
    the column nor the check."""
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        from collections import Counter

        twice = sorted(n for n, count in Counter(names).items() if count > 1)
        raise CheckInputError(
            argument,
            f"has {len(twice)} column name(s) used more than once: "
            f"{', '.join(repr(n) for n in twice[:10])}; give each column its own name",
        )
    return frame


def require_text_columns(frame: pd.DataFrame, argument: str) -> pd.DataFrame:
    """``frame`` when every column name is text, for checks that name columns in rules,
    slices and reports; otherwise a CheckInputError naming the others. (A frame built from
    a numpy array has the numbers 0, 1, ... as names.)"""
    other = [c for c in frame.columns if not isinstance(c, str)]
    if other:
        shown = ", ".join(f"{c!r} ({type(c).__name__})" for c in other[:10])
        raise CheckInputError(
            argument,
            f"has column names that are not text: {shown}; name the columns, e.g. "
            "frame.columns = [f'x{i}' for i in range(frame.shape[1])]",
        )
    return require_unique_columns(frame, argument)


def require_frame(
    frame: Any, argument: str = "X", *, min_rows: int = 1, allow_all_missing: bool = False
) -> pd.DataFrame:
    """A pandas DataFrame with at least ``min_rows`` rows and one column.

    A column with no value at all is refused (it is a broken join or a renamed source far
    more often than a feature), unless ``allow_all_missing``: the quality checks only pass X
    to the model, which may handle a missing column itself.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise CheckInputError(argument, f"expected a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise CheckInputError(argument, "has no rows")
    if len(frame) < min_rows:
        raise CheckInputError(argument, f"has {len(frame)} rows, needs at least {min_rows}")
    if frame.shape[1] == 0:
        raise CheckInputError(argument, "has no columns")
    require_unique_columns(frame, argument)
    if not allow_all_missing:
        empty = [str(c) for c in frame.columns if frame[c].isna().all()]
        if empty:
            raise CheckInputError(argument, f"column(s) entirely missing: {', '.join(empty)}")
    return frame


def require_confidence(confidence: float, argument: str = "confidence") -> float:
    """A confidence level for an interval, in [0.5, 1)."""
    if not 0.5 <= confidence < 1.0:
        raise CheckInputError(argument, f"must be in [0.5, 1), got {confidence}")
    return confidence


def require_rows(X: Any, argument: str) -> Any:
    """A table of model inputs: a DataFrame as :func:`require_frame` accepts it, or a
    non-empty 2-D numpy array (serving and infrastructure checks take either)."""
    import numpy as np
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return require_frame(X, argument)
    if isinstance(X, np.ndarray) and X.ndim == 2:
        if X.shape[0] == 0:
            raise CheckInputError(argument, "has no rows")
        return X
    raise CheckInputError(
        argument, f"expected a pandas DataFrame or a 2-D numpy array, got {type(X).__name__}"
    )


def require_columns(frame: Any, columns: str | Sequence[str], argument: str) -> list[str]:
    """The named columns (one name or several), each present in ``frame`` and not entirely
    missing; the message names the missing ones and the columns there are."""
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise CheckInputError(argument, "names no column")
    available = list(getattr(frame, "columns", ()))
    missing = [c for c in names if c not in available]
    if missing:
        shown = ", ".join(repr(c) for c in missing)
        listed = ", ".join(repr(c) for c in available[:20]) + (
            ", ..." if len(available) > 20 else ""
        )
        raise CheckInputError(
            argument, f"column(s) {shown} not in the data (columns: {listed or 'none'})"
        )
    for name in names:
        if frame[name].isna().all():
            raise CheckInputError(argument, f"column {name!r} is entirely missing")
    return [str(c) for c in names]


def aligned_frame(extra: Any, X: pd.DataFrame, argument: str) -> pd.DataFrame:
    """``extra`` (a DataFrame or Series with one row per row of X) with X's row index."""
    import pandas as pd

    if isinstance(extra, pd.Series):
        extra = extra.to_frame()
    frame = require_frame(extra, argument, allow_all_missing=True)
    if len(frame) != len(X):
        raise CheckInputError(argument, f"has {len(frame)} rows for {len(X)} rows of X")
    return frame.set_axis(X.index, axis=0)


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
    rows: int | Sized, sample_size: int | None, seed: int, argument: str = "sample_size"
) -> NDArray[np.intp]:
    """Sorted positions of a seeded sample of at most ``sample_size`` of ``rows`` (a row
    count, or the table itself), drawn without replacement; every row when None or when
    there are no more rows than that."""
    import numpy as np

    n_rows = rows if isinstance(rows, int) else len(rows)
    if sample_size is not None and sample_size < 1:
        raise CheckInputError(argument, f"must be positive, got {sample_size}")
    if sample_size is None or sample_size >= n_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=sample_size, replace=False))


def take_rows(X: Any, positions: Any) -> Any:
    """Rows by position, for a DataFrame or an array."""
    return X.iloc[positions] if hasattr(X, "iloc") else X[positions]


def sample_frame(
    X: pd.DataFrame, y: Any, sample_size: int | None, seed: int, argument: str = "sample_size"
) -> tuple[pd.DataFrame, Any]:
    """:func:`sample_rows` applied to a frame and its labels (None stays None): the sampled
    frame is re-indexed from 0; X comes back unchanged when every row is kept."""
    import numpy as np

    positions = sample_rows(len(X), sample_size, seed, argument)
    if len(positions) == len(X):
        return X, y
    sampled = X.iloc[positions].reset_index(drop=True)
    return sampled, (None if y is None else np.asarray(y)[positions])
