"""Fitted LightGBM, XGBoost and CatBoost pipelines on the Adult sample, one per library and
task, built once per session. Each library is skipped when it is not installed (the main
test environment has none of them; ``tox -e models`` has all three)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.models import boosters


@pytest.fixture(scope="session", params=boosters.LIBRARIES)
def library(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    pytest.importorskip(name)
    return name


@pytest.fixture(scope="session", params=boosters.TASKS)
def task(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


_fitted: dict[tuple[str, str], Any] = {}


@pytest.fixture
def fitted(library: str, task: str, adult: Any) -> tuple[Any, Any, Any]:
    """(pipeline fitted on 1500 rows, X and y of 400 held-out rows)."""
    X, y = boosters.adult_task(adult, task)
    key = (library, task)
    if key not in _fitted:
        _fitted[key] = boosters.pipeline(library, task, X).fit(X.iloc[:1500], y.iloc[:1500])
    return _fitted[key], X.iloc[1500:1900].reset_index(drop=True), y.iloc[1500:1900]
