"""The feature code: one batch implementation (training, offline scoring) and one row-at-a-time
implementation (what the online service runs). tests/test_features.py checks they agree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

TARGET = "income"
TIME_COLUMN = "event_time"
NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week", "capital-net"]
CATEGORICAL = ["workclass", "marital-status", "occupation", "relationship", "race", "sex"]
FEATURES = NUMERIC + CATEGORICAL
RAW_TEXT = ["workclass", "education", "marital-status", "occupation", "relationship", "race",
            "sex", "native-country"]  # fmt: skip


def add_features(raw: pd.DataFrame) -> pd.DataFrame:
    """Batch feature code: tidy the text columns and derive ``capital-net``."""
    frame = raw.copy()
    for column in RAW_TEXT:
        if column in frame:
            text = frame[column].str.strip()
            frame[column] = text.mask(text == "")
    frame["capital-net"] = frame["capital-gain"].astype("int64") - frame["capital-loss"].astype(
        "int64"
    )
    return frame


def serving_features(row: Mapping[str, Any]) -> dict[str, Any]:
    """Row-at-a-time feature code, as the online service computes it."""
    out = dict(row)
    for column in RAW_TEXT:
        value = out.get(column)
        if isinstance(value, str):
            value = value.strip() or None
        out[column] = value
    out["capital-net"] = int(out["capital-gain"]) - int(out["capital-loss"])
    return out
