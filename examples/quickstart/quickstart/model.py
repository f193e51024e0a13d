"""Load the data, build and train the model. Deterministic by construction (fixed seeds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

DATA = Path(__file__).resolve().parent.parent / "data" / "adult.csv"
TARGET = "income"
NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
CATEGORICAL = ["workclass", "marital-status", "occupation", "relationship", "sex"]


def load_data() -> pd.DataFrame:
    frame = pd.read_csv(DATA)
    frame[TARGET] = (frame[TARGET] == ">50K").astype("int64")
    return frame


def split(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = frame.sample(frac=0.75, random_state=seed)
    return train, frame.drop(train.index)


def build_model(seed: int = 0) -> Pipeline:
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
        ]
    )
    features = ColumnTransformer(
        [("num", "passthrough", NUMERIC), ("cat", categorical, CATEGORICAL)]
    )
    model = HistGradientBoostingClassifier(max_iter=80, learning_rate=0.1, random_state=seed)
    return Pipeline([("features", features), ("model", model)])


def train(frame: pd.DataFrame, seed: int = 0) -> Any:
    model = build_model(seed)
    model.fit(frame[NUMERIC + CATEGORICAL], frame[TARGET])
    return model
