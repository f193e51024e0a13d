"""pytest plugin entry point (being built; registers the marker so pytest starts)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mlscore(*ids): claim ML Test Score rubric items (e.g. 'data-1') for this test"
    )
