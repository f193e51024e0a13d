"""Where the data comes from: a fixed split of the Adult sample, and a serving sample that
looks like a later month of traffic.

The serving sample is drawn from the held-out test split (so its labels are known: they
arrive with a delay in real life) with a realistic shift: the population served is older
(rows are drawn with weights growing with age), and an upstream form change leaves
``occupation`` empty for some respondents.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from adult_income.features import TARGET, TIME_COLUMN, add_features

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "adult.csv"
TRAIN = ROOT / "data" / "train.parquet"
TEST = ROOT / "data" / "test.parquet"
SERVING = ROOT / "data" / "serving_sample.parquet"


def load_raw() -> pd.DataFrame:
    frame = pd.read_csv(RAW)
    frame[TARGET] = (frame[TARGET].str.strip() == ">50K").astype("int64")
    return frame


def split(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = frame.sample(frac=0.7, random_state=seed)
    return train.reset_index(drop=True), frame.drop(train.index).reset_index(drop=True)


def _event_times(rows: int, end: datetime, days: float, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, days * 86_400, size=rows))[::-1]
    return pd.Series(
        [end - timedelta(seconds=float(s)) for s in offsets], dtype="datetime64[us, UTC]"
    )


def serving_sample(test: pd.DataFrame, rows: int = 800, seed: int = 1) -> pd.DataFrame:
    """``rows`` rows of ``test`` drawn with weights growing with age, some occupations lost."""
    rng = np.random.default_rng(seed)
    weights = np.exp((test["age"].to_numpy() - 38.0) / 12.0)
    chosen = rng.choice(
        len(test), size=min(rows, len(test)), replace=False, p=weights / weights.sum()
    )
    served = test.iloc[np.sort(chosen)].reset_index(drop=True)
    lost = rng.random(len(served)) < 0.06
    served.loc[lost, "occupation"] = np.nan
    return served


def write_data(now: datetime | None = None) -> dict[str, Path]:
    """Write the train / test / serving Parquet files; return their paths."""
    now = now or datetime.now(UTC)
    raw = add_features(load_raw())
    train, test = split(raw)
    # Training data covers last year; the serving log covers the last two days.
    train[TIME_COLUMN] = _event_times(len(train), now - timedelta(days=30), 365, seed=2)
    test[TIME_COLUMN] = _event_times(len(test), now - timedelta(days=3), 27, seed=3)
    served = serving_sample(test.drop(columns=[TIME_COLUMN]))
    served[TIME_COLUMN] = _event_times(len(served), now - timedelta(minutes=5), 2, seed=4)
    TRAIN.parent.mkdir(parents=True, exist_ok=True)
    for frame, path in ((train, TRAIN), (test, TEST), (served, SERVING)):
        frame.to_parquet(path, index=False)
        path.chmod(0o640)  # census records: readable by the team's group, not by everyone
    return {"train": TRAIN, "test": TEST, "serving": SERVING}
