"""Train the income model and register it with its environment snapshot.

``python -m adult_income.train`` writes the data files, then registers two versions in the
local registry ``models/`` (the previous production model and today's candidate) and makes
the candidate current, the way a nightly training job would.
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from adult_income.data import ROOT, TEST, write_data
from adult_income.features import CATEGORICAL, FEATURES, NUMERIC, TARGET
from mltestscore.model_store import LocalModelStore

REGISTRY = ROOT / "models"


def build_model(seed: int = 0, max_iter: int = 60, numeric: list[str] | None = None) -> Pipeline:
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
        ]
    )
    features = ColumnTransformer(
        [("num", "passthrough", numeric or NUMERIC), ("cat", categorical, CATEGORICAL)]
    )
    model = HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=15, random_state=seed
    )
    return Pipeline([("features", features), ("model", model)])


def train(frame: pd.DataFrame, seed: int = 0) -> Any:
    """The training function mltestscore calls (``train_fn``): fit on a frame with labels."""
    model = build_model(seed)
    model.fit(frame[FEATURES], frame[TARGET])
    return model


def _auc(model: Any, frame: pd.DataFrame) -> float:
    return float(roc_auc_score(frame[TARGET], model.predict_proba(frame[FEATURES])[:, 1]))


def main() -> int:
    paths = write_data()
    train_frame = pd.read_parquet(paths["train"])
    test = pd.read_parquet(TEST)
    store = LocalModelStore(REGISTRY)
    if store.versions():  # a re-run starts from a clean registry
        import shutil

        shutil.rmtree(REGISTRY)
    # Last month's production model: fewer boosting rounds, no capital-net.
    numeric = [c for c in NUMERIC if c != "capital-net"]
    previous = build_model(max_iter=25, numeric=numeric).fit(
        train_frame[FEATURES], train_frame[TARGET]
    )
    store.register(previous, {"roc_auc": _auc(previous, test)}, data_files=[paths["train"]],
                   make_current=True)  # fmt: skip
    candidate = train(train_frame)
    version = store.register(
        candidate, {"roc_auc": _auc(candidate, test)}, data_files=[paths["train"]]
    )
    store.set_current(version)
    print(
        f"registered {version} in {REGISTRY.relative_to(ROOT)} (test ROC AUC "
        f"{store.metrics(version)['roc_auc']:.3f}; previous {_auc(previous, test):.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
