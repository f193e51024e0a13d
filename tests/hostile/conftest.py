"""Hostile inputs: the cases of the hardening campaign (issue 20) replayed, and more
generated with hypothesis. Each test says which defect it keeps fixed."""

from __future__ import annotations

import pytest

from mltestscore.scorecard import Scorecard
from tests.report.conftest import build, make_run


@pytest.fixture
def scorecard() -> Scorecard:
    return build([make_run("t.py::schema", ["data-1"]), make_run("t.py::slices", ["model-6"])])
