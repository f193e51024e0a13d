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


def test_a_monitoring_check_records_its_result_as_evidence_when_a_session_listens() -> None:
    from mltestscore import recording
    from mltestscore.checks.staleness import check_model_age

    recorded: list[tuple[str, object]] = []
    with recording.recording_into(lambda key, value: recorded.append((key, value))):
        result = check_model_age(trained_at="2026-11-01T00:00:00", max_age_days=10_000)
    assert recorded == [(recording.CHECK_PROPERTY, result.to_dict())]
    assert result.ok
