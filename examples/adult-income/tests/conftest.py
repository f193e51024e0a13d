from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from adult_income.data import TEST, TRAIN

from mltestscore.model_store import LocalModelStore


@pytest.fixture(scope="session")
def train_frame() -> pd.DataFrame:
    return pd.read_parquet(TRAIN)


@pytest.fixture(scope="session")
def test_frame() -> pd.DataFrame:
    return pd.read_parquet(TEST)


@pytest.fixture(scope="session")
def current_model() -> Any:
    from adult_income.train import REGISTRY

    store = LocalModelStore(REGISTRY)
    version = store.current()
    assert version is not None, "run `python -m adult_income.train` first"
    trusted = ["numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
    return store.load(version, trusted=trusted)


@pytest.fixture(autouse=True, scope="session")
def _one_thread_per_native_pool() -> Any:
    """CI machines are shared: oversubscribed OpenMP pools make small fits many times slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
