"""Claims inherited from classes and modules, and the test counts of a run where most tests
claim nothing (the session keeps no run for those, only counts them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

MIXED = """
    import pytest

    pytestmark = pytest.mark.mlscore("data-1")

    def test_module_marker_only():
        pass

    @pytest.mark.mlscore("data-2")
    def test_own_and_module_markers():
        pass

    @pytest.mark.mlscore("infra-1")
    class TestTraining:
        def test_class_marker(self):
            pass

        @pytest.mark.mlscore("infra-2")
        def test_class_and_own_marker(self):
            pass
"""

UNCLAIMED = """
    import pytest
    from mltestscore.checks.result import CheckResult
    from mltestscore import recording

    @pytest.fixture
    def broken():
        raise RuntimeError("fixture broke")

    def test_plain_pass():
        pass

    @pytest.mark.parametrize("n", range(5))
    def test_many_plain_passes(n):
        assert n >= 0

    def test_plain_fail():
        assert False

    def test_plain_skip():
        pytest.skip("later")

    @pytest.mark.xfail(reason="known")
    def test_plain_xfail():
        assert False

    @pytest.mark.xfail(reason="was known")
    def test_plain_xpass():
        pass

    def test_plain_setup_error(broken):
        pass

    def test_unclaimed_test_recording_a_check():
        result = CheckResult.passed("check_by_hand", ["model-3"], "tuned")
        recording.record_check(result.to_dict())
"""


def _scorecard(pytester: pytest.Pytester) -> Any:
    return json.loads((pytester.path / "reports" / "mlscore.json").read_text("utf-8"))


def _evidence_nodeids(scorecard: Any, item_id: str) -> list[str]:
    item = next(i for i in scorecard["items"] if i["id"] == item_id)
    return sorted({e["nodeid"].split("::", 1)[1] for e in item["evidence"] if "nodeid" in e})


def test_module_and_class_markers_claim_for_every_test_inside_them(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(MIXED)
    pytester.runpytest("--mlscore").assert_outcomes(passed=4)
    scorecard = _scorecard(pytester)
    assert _evidence_nodeids(scorecard, "data-1") == [
        "TestTraining::test_class_and_own_marker",
        "TestTraining::test_class_marker",
        "test_module_marker_only",
        "test_own_and_module_markers",
    ]
    assert _evidence_nodeids(scorecard, "data-2") == ["test_own_and_module_markers"]
    assert _evidence_nodeids(scorecard, "infra-1") == [
        "TestTraining::test_class_and_own_marker",
        "TestTraining::test_class_marker",
    ]
    assert _evidence_nodeids(scorecard, "infra-2") == ["TestTraining::test_class_and_own_marker"]


def test_an_unknown_id_on_a_class_marker_is_a_collection_error_naming_the_class(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.mlscore("modle-1")
        class TestModel:
            def test_a(self):
                pass

            def test_b(self):
                pass
        """
    )
    result = pytester.runpytest("--mlscore")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*test_typo.py:3: test_typo.py::TestModel: @pytest.mark.mlscore: unknown rubric id "
         "'modle-1'*did you mean model-1*"]
    )  # fmt: skip
    # Said once for the class, not once for each of its tests.
    assert result.stdout.str().count("'modle-1'") == 1


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_tests_that_claim_nothing_are_still_counted_by_outcome(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(UNCLAIMED)
    result = pytester.runpytest("--mlscore", *workers)
    result.assert_outcomes(passed=7, failed=1, skipped=1, xfailed=1, xpassed=1, errors=1)
    tests = _scorecard(pytester)["tests"]
    assert tests["total"] == 12
    assert tests["claiming"] == 1
    assert (tests["passed"], tests["failed"], tests["skipped"]) == (7, 1, 1)
    assert (tests["xfailed"], tests["xpassed"], tests["error"]) == (1, 1, 1)


def test_a_check_recorded_by_a_test_that_claims_nothing_is_evidence(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(UNCLAIMED)
    pytester.runpytest("--mlscore")
    scorecard = _scorecard(pytester)
    model_3 = next(i for i in scorecard["items"] if i["id"] == "model-3")
    assert model_3["status"] == "automated"
    assert _evidence_nodeids(scorecard, "model-3") == ["test_unclaimed_test_recording_a_check"]


def test_a_check_run_outside_any_test_is_evidence_for_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_first="""
        from mltestscore import recording
        from mltestscore.checks.result import CheckResult

        # Runs at collection, before any test: no test to credit.
        recording.record_check(CheckResult.passed("at_import", ["model-3"], "x").to_dict())

        def test_a():
            pass
        """,
        test_second="""
        def test_b():
            pass
        """,
    )
    pytester.runpytest("--mlscore").assert_outcomes(passed=2)
    scorecard = _scorecard(pytester)
    assert _evidence_nodeids(scorecard, "model-3") == []
    assert scorecard["tests"]["claiming"] == 0
