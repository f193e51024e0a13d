"""Data slices shared by the slice (model-6), pre-serving gate (infra-4) and served-quality
(monitor-7) checks, so all three talk about the same slices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Slice:
    column: str
    label: str
    mask: Any  # boolean numpy array aligned with the frame's rows

    @property
    def name(self) -> str:
        return f"{self.column}={self.label}"


def make_slices(
    frame: Any, columns: Sequence[str], numeric_bins: int = 4, max_categories: int = 30
) -> list[Slice]:
    """One slice per category value (most frequent first, at most ``max_categories``) and
    ``numeric_bins`` quantile bins per numeric column. Missing values form their own slice."""
    import numpy as np
    import pandas as pd

    slices: list[Slice] = []
    for column in columns:
        if column not in frame.columns:
            raise KeyError(f"slice column {column!r} is not in the data")
        values = frame[column]
        missing = values.isna().to_numpy()
        if pd.api.types.is_numeric_dtype(values) and values.nunique(dropna=True) > numeric_bins:
            # Infinite values are slices of their own: quantile bins need finite edges.
            as_float = values.astype(float)
            infinite = np.isinf(as_float.to_numpy())
            binned = pd.qcut(as_float.where(~infinite), q=numeric_bins, duplicates="drop")
            for interval in binned.cat.categories:
                mask = (binned == interval).to_numpy()
                slices.append(Slice(column, f"[{interval.left:g}, {interval.right:g}]", mask))
            for label, side in (("inf", as_float > 0), ("-inf", as_float < 0)):
                if (infinite & side.to_numpy()).any():
                    slices.append(Slice(column, label, infinite & side.to_numpy()))
        else:
            counts = values.value_counts(dropna=True)
            for value in list(counts.index)[:max_categories]:
                slices.append(Slice(column, str(value), (values == value).to_numpy()))
        if missing.any():
            slices.append(Slice(column, "missing", np.asarray(missing)))
    return slices
