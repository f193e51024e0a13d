"""The model-quality checks register with the rubric ids they evidence."""

from __future__ import annotations

import pytest

from mltestscore.checks import all_checks

EXPECTED = {
    "check_simpler_model_is_not_better": ("model-5",),
    "check_slice_quality": ("model-6",),
    "check_weak_segments": ("model-6",),
    "check_group_fairness": ("model-7",),
    "check_sensitive_proxies": ("model-7",),
}


@pytest.mark.parametrize(("name", "rubric_ids"), EXPECTED.items(), ids=list(EXPECTED))
def test_each_check_is_registered_with_its_rubric_ids_and_a_description(
    name: str, rubric_ids: tuple[str, ...]
) -> None:
    registered = {info.name: info for info in all_checks()}
    info = registered[name]
    assert info.rubric_ids == rubric_ids
    assert info.description
    assert not info.description.startswith("check_")
    assert info.module in {
        "mltestscore.checks.baselines",
        "mltestscore.checks.slices",
        "mltestscore.checks.fairness",
    }


def test_importing_the_check_modules_does_not_import_heavy_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import mltestscore.checks.baselines, mltestscore.checks.slices, "
        "mltestscore.checks.fairness\n"
        "heavy = {'numpy', 'pandas', 'sklearn', 'fairlearn', 'scipy'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
