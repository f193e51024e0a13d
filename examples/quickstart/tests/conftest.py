from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from quickstart.model import load_data, split, train


@pytest.fixture(scope="session")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return split(load_data())


@pytest.fixture(scope="session")
def model(data: tuple[pd.DataFrame, pd.DataFrame]) -> Any:
    return train(data[0])
