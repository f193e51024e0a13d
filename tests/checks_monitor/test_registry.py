"""The monitoring checks are registered, documented and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mltestscore.checks import all_checks

EXPECTED = {
    "check_dependency_changes": ("monitor-1",),
    "check_dependency_automation": ("monitor-1",),
    "check_feature_drift": ("monitor-3",),
    "check_feature_parity": ("monitor-3",),
    "check_model_age": ("monitor-4",),
    "check_data_freshness": ("monitor-4",),
    "check_numerical_stability": ("monitor-5",),
}


@pytest.mark.parametrize(("name", "rubric_ids"), sorted(EXPECTED.items()))
def test_each_monitoring_check_is_registered_with_its_rubric_ids(
    name: str, rubric_ids: tuple[str, ...]
) -> None:
    registered = {info.name: info for info in all_checks()}
    assert registered[name].rubric_ids == rubric_ids
    assert registered[name].description
    assert registered[name].description != name


def test_importing_the_monitoring_modules_loads_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import mltestscore.checks.dependencies, mltestscore.checks.drift\n"
        "import mltestscore.checks.staleness, mltestscore.checks.stability\n"
        "heavy = {'numpy', 'pandas', 'scipy', 'sklearn', 'hypothesis', 'great_expectations'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "[]"
