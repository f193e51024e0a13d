"""``pytest --mlscore`` end to end, through pytester: claims, scoring, reports, gates, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from mltestscore.plugin import EXIT_SCORE_BELOW_THRESHOLD
from mltestscore.report.json_report import validation_errors

HEAVY = ["pandas", "numpy", "sklearn", "great_expectations", "shap", "fairlearn", "scipy"]

SUITE = """
    import pytest

    @pytest.mark.mlscore("data-1", "monitor-2")
    def test_schema_holds():
        pass

    @pytest.mark.mlscore("infra-1")
    def test_training_is_reproducible():
        assert 1 == 2, "predictions differ"

    @pytest.mark.mlscore("data-2")
    @pytest.mark.skip(reason="not yet")
    def test_features_are_beneficial():
        pass

    @pytest.mark.mlscore("model-3")
    @pytest.mark.xfail(reason="known gap", strict=True)
    def test_hyperparameters():
        assert False
"""


def read_scorecard(pytester: pytest.Pytester, name: str = "reports/mlscore.json") -> Any:
    data = json.loads((pytester.path / name).read_text(encoding="utf-8"))
    assert validation_errors(data) == []
    return data


def items_by_id(scorecard: Any) -> dict[str, Any]:
    return {item["id"]: item for item in scorecard["items"]}


def test_without_mlscore_the_plugin_prints_nothing_and_writes_nothing(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=1, failed=1, skipped=1, xfailed=1)
    result.stdout.no_fnmatch_line("*ML Test Score*")
    assert not (pytester.path / "reports").exists()


def test_importing_the_plugin_pulls_in_no_heavy_library() -> None:
    import subprocess

    code = (
        "import sys, mltestscore.plugin, mltestscore.checks, mltestscore.recording;"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_pytest_run_without_mlscore_loads_no_heavy_library(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import sys

        def test_nothing_heavy_is_loaded():
            assert [m for m in {HEAVY!r} if m in sys.modules] == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)


def test_it_scores_markers_exactly_as_the_paper_says(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--mlscore")
    result.assert_outcomes(passed=1, failed=1, skipped=1, xfailed=1)
    scorecard = read_scorecard(pytester)
    items = items_by_id(scorecard)
    assert items["data-1"]["status"] == "automated"
    assert items["monitor-2"]["points"] == 1
    assert items["infra-1"]["status"] == "failing"
    assert items["data-2"]["status"] == "missing"  # skipped earns nothing
    assert items["model-3"]["status"] == "missing"  # xfailed earns nothing
    sections = {s["id"]: s["score"] for s in scorecard["sections"]}
    assert sections == {"data": 1, "model": 0, "infra": 0, "monitor": 1}
    assert scorecard["score"] == 0
    assert scorecard["band"]["interval"] == "0"
    evidence = items["infra-1"]["evidence"][0]
    assert evidence["nodeid"].endswith("test_training_is_reproducible")
    assert evidence["outcome"] == "failed"
    assert "predictions differ" in evidence["message"]


def test_the_terminal_summary_shows_sections_final_score_weakest_section_and_next_steps(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--mlscore")
    result.stdout.fnmatch_lines(
        [
            "*= ML Test Score =*",
            "data *1 / 7*1 automated, 0 manual, 0 failing, 6 missing",
            "model *0 / 7*",
            "infra *0 / 7*0 automated, 0 manual, 1 failing, 6 missing",
            "monitor *1 / 7*",
            "ML Test Score: 0 (band 0: More of a research project*",
            "weakest section: model (0), infra (0)",
            "failing items:",
            "*infra-1: *test_training_is_reproducible failed",
            "next steps (what raises the final score most):",
            "  1. model-1 *",
            "  2. infra-1 Training is reproducible (failing)",
            "     Train twice*",
            "  3. *",
            "JSON scorecard: *mlscore.json",
        ]
    )


def test_a_node_id_mapping_claims_items_without_editing_the_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.mltestscore.map]
        "tests/data/test_schema.py::*" = ["data-1"]
        "tests/model/*" = ["model-5", "model-6"]
        "tests/nothing/*" = ["model-7"]
        """
    )
    pytester.mkpydir("tests")
    (pytester.path / "tests" / "data").mkdir()
    (pytester.path / "tests" / "model").mkdir()
    (pytester.path / "tests" / "data" / "test_schema.py").write_text("def test_a():\n    pass\n")
    (pytester.path / "tests" / "model" / "test_quality.py").write_text(
        "def test_b():\n    pass\n\ndef test_c():\n    pass\n"
    )
    pytester.runpytest("--mlscore").assert_outcomes(passed=3)
    scorecard = read_scorecard(pytester)
    items = items_by_id(scorecard)
    assert items["data-1"]["status"] == "automated"
    assert items["data-1"]["evidence"][0]["via"] == "map"
    assert [e["nodeid"] for e in items["model-6"]["evidence"]] == [
        "tests/model/test_quality.py::test_b",
        "tests/model/test_quality.py::test_c",
    ]
    assert any("tests/nothing/*" in w for w in scorecard["warnings"])


def test_attestations_earn_half_a_point_until_they_expire(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.mltestscore]
        manual_max_age_days = 30

        [[tool.mltestscore.manual]]
        item = "model-2"
        evidence = "https://wiki.example.org/ab-tests/2026-10"
        date = 2026-11-20
        owner = "ranking-team"

        [[tool.mltestscore.manual]]
        item = "model-1"
        evidence = "docs/reviews.md"
        date = 2025-01-01

        [[tool.mltestscore.manual]]
        item = "infra-1"
        evidence = "docs/repro.md"
        date = 2026-11-01
        """
    )
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--mlscore")
    items = items_by_id(read_scorecard(pytester))
    assert items["model-2"]["status"] == "manual"
    assert items["model-2"]["points"] == 0.5
    assert items["model-2"]["evidence"][0]["owner"] == "ranking-team"
    assert items["model-1"]["status"] == "missing"
    assert items["model-1"]["expired_attestations"][0]["date"] == "2025-01-01"
    assert items["infra-1"]["status"] == "failing"  # a failing test beats the attestation
    result.stdout.fnmatch_lines(["expired attestations*", "  model-1: dated 2025-01-01*"])


def test_the_paper_literal_credit_mode_credits_tests_that_ran(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmlscore_credit = present\n")
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--mlscore")
    scorecard = read_scorecard(pytester)
    items = items_by_id(scorecard)
    assert scorecard["credit_mode"] == "present"
    assert items["infra-1"]["status"] == "automated"
    assert items["data-2"]["status"] == "missing"
    assert any("paper-literal" in d for d in scorecard["departures"])
    result.stdout.fnmatch_lines(["*credit mode 'present' (the paper-literal reading*"])


def test_the_2016_rubric_is_selected_by_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    pytester.runpytest("--mlscore", "--mlscore-rubric=ml-test-score-2016")
    scorecard = read_scorecard(pytester)
    assert scorecard["rubric"]["id"] == "ml-test-score-2016"
    assert {s["id"]: s["score"] for s in scorecard["sections"]}["data"] == 2
    assert scorecard["max_score"] == 14


def test_the_gate_fails_a_green_run_whose_score_is_too_low(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mlscore("data-1", "model-1", "infra-1", "monitor-1", "monitor-2")
        def test_all_sections():
            pass
        """
    )
    result = pytester.runpytest("--mlscore", "--mlscore-fail-under=1.5")
    result.assert_outcomes(passed=1)
    assert result.ret == EXIT_SCORE_BELOW_THRESHOLD
    result.stdout.fnmatch_lines(
        [
            "mlscore: final ML Test Score 1 is below --mlscore-fail-under=1.5; sections short "
            "of it: data 1, model 1, infra 1"
        ]
    )
    assert pytester.runpytest("--mlscore", "--mlscore-fail-under=1").ret == 0


def test_a_failing_test_keeps_the_tests_failed_exit_code_under_the_gate(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--mlscore", "--mlscore-fail-under=2.5")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["mlscore: final ML Test Score 0 is below*"])


def test_a_check_called_in_a_test_is_evidence_without_a_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from mltestscore.checks import CheckResult, register_check

        @register_check("monitor-5")
        def check_finite(values):
            '''Predictions are finite.'''
            bad = [v for v in values if v != v]
            return CheckResult.judge(
                not bad, "check_finite", ["monitor-5"], f"{len(bad)} NaN values",
                measurements={"nan_count": len(bad)}, thresholds={"max_nan": 0},
            )

        @register_check("model-4")
        def check_ignored_failure():
            '''A failing check whose result the test ignores.'''
            return CheckResult.failed("check_ignored_failure", ["model-4"], "quality decays")

        def test_predictions_are_finite(mlscore_record):
            check_finite([1.0, 2.0]).assert_ok()
            mlscore_record("p99_latency_ms", 12.5, item="monitor-5", unit="ms")
            mlscore_record.table("by slice", ["slice", "auc"], [["a", 0.9], ["b", 0.8]], chart="auc")

        def test_ignoring_a_failed_check_still_marks_the_item_failing():
            check_ignored_failure()
        """
    )
    pytester.runpytest("--mlscore").assert_outcomes(passed=2)
    items = items_by_id(read_scorecard(pytester))
    assert items["monitor-5"]["status"] == "automated"
    kinds = [e["kind"] for e in items["monitor-5"]["evidence"]]
    assert kinds == ["test", "check"]
    test_entry, check_entry = items["monitor-5"]["evidence"]
    assert test_entry["via"] == "check"
    assert check_entry["measurements"] == {"nan_count": 0}
    assert check_entry["thresholds"] == {"max_nan": 0}
    assert test_entry["measurements"][0] == {
        "name": "p99_latency_ms",
        "value": 12.5,
        "item": "monitor-5",
        "unit": "ms",
    }
    assert test_entry["measurements"][1]["table"]["rows"] == [["a", 0.9], ["b", 0.8]]
    assert items["model-4"]["status"] == "failing"


def test_a_failing_check_result_fails_the_test_with_its_reason_and_figures(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from mltestscore.checks import CheckResult

        def test_it():
            CheckResult.failed(
                "check_psi", ["monitor-3"], "age drifts", measurements={"psi": 0.41},
                thresholds={"max_psi": 0.2},
            ).assert_ok()
        """
    )
    result = pytester.runpytest("--mlscore")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E *AssertionError: check_psi failed: age drifts", "E *measured:   psi=0.41"]
    )


def test_an_unknown_id_in_a_marker_stops_collection_naming_the_id_file_and_closest_ids(
    pytester: pytest.Pytester,
) -> None:
    stale = pytester.path / "reports" / "mlscore.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    pytester.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.mlscore("dta-1")
        def test_schema():
            pass
        """
    )
    result = pytester.runpytest("--mlscore")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*test_typo.py:3: test_typo.py::test_schema: @pytest.mark.mlscore: unknown rubric "
            "id 'dta-1' (rubric ml-test-score-2017); did you mean data-1*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    assert not stale.exists()


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        (
            '[tool.mltestscore.map]\n"tests/*" = ["dta-1"]\n',
            "*pyproject.toml: ?tool.mltestscore.map? 'tests/*': unknown rubric id 'dta-1'*did "
            "you mean data-1*",
        ),
        (
            '[[tool.mltestscore.manual]]\nitem = "model-2"\nevidence = "x"\ndate = "yesterday"\n',
            "*entry 1 (model-2): date must be a TOML date like 2026-10-01, got 'yesterday'*",
        ),
        (
            '[[tool.mltestscore.manual]]\nitem = "model-9"\nevidence = "x"\ndate = 2026-01-01\n',
            "*entry 1: unknown rubric id 'model-9'*",
        ),
        (
            '[[tool.mltestscore.manual]]\nitem = "model-2"\nevidence = "x"\ndate = 2999-01-01\n',
            "*entry 1 (model-2): date 2999-01-01 is in the future*",
        ),
        (
            '[[tool.mltestscore.manual]]\nitem = "model-2"\ndate = 2026-01-01\n',
            "*entry 1 has no 'evidence'*",
        ),
        ("[tool.mltestscore]\nmanual_max_age = 10\n", "*unknown key 'manual_max_age'*"),
        ("[tool.mltestscore]\nmanual_max_age_days = -3\n", "*manual_max_age_days must be*"),
        ("[tool.mltestscore]\ncredit = 'sometimes'\n", "*credit must be one of 'passed'*"),
        ('[tool.mltestscore]\nrubric = "nope.yaml"\n', "*rubric file *nope.yaml does not exist*"),
    ],
)
def test_bad_configuration_is_a_usage_error_that_says_what_and_where(
    pytester: pytest.Pytester, pyproject: str, message: str
) -> None:
    (pytester.path / "pyproject.toml").write_text(pyproject)
    stale = pytester.path / "reports" / "mlscore.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    pytester.makepyfile("def test_a():\n    pass\n")
    result = pytester.runpytest("--mlscore")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str()
    assert not stale.exists()


def test_a_pyproject_that_is_not_toml_is_refused_by_pytest_before_any_scoring(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "pyproject.toml").write_text("[tool.mltestscore\n")
    pytester.makepyfile("def test_a():\n    pass\n")
    result = pytester.runpytest("--mlscore")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *pyproject.toml: Expected ']' at the end of a table*"])
    assert not (pytester.path / "reports").exists()


def test_an_unreadable_rubric_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_a():\n    pass\n")
    result = pytester.runpytest("--mlscore", "--mlscore-rubric=ml-test-score-2018")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown rubric 'ml-test-score-2018'*"])


def test_the_json_report_has_the_documented_fields(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    pytester.runpytest("--mlscore", "--mlscore-json=out/score.json")
    scorecard = read_scorecard(pytester, "out/score.json")
    assert scorecard["schema_version"] == 1
    assert isinstance(scorecard["score"], int | float)
    assert scorecard["band"]["label"]
    assert [s["id"] for s in scorecard["sections"]] == ["data", "model", "infra", "monitor"]
    assert {i["status"] for i in scorecard["items"]} <= {
        "automated",
        "manual",
        "failing",
        "missing",
    }
    assert scorecard["rubric"]["id"] == "ml-test-score-2017"
    assert scorecard["credit_mode"] == "passed"
    assert scorecard["tool"]["version"]
    assert scorecard["generated_at"]
    assert "commit" in scorecard
    assert scorecard["tests"]["total"] == 4


def test_collect_only_leaves_the_last_scorecard_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    pytester.runpytest("--mlscore", "--mlscore-md=summary.md")
    reports = [pytester.path / "reports" / n for n in ("mlscore.json", "mlscore.html")]
    before = [path.read_bytes() for path in [*reports, pytester.path / "summary.md"]]
    result = pytester.runpytest("--mlscore", "--mlscore-md=summary.md", "--collect-only")
    result.stdout.fnmatch_lines(["*no scorecard written (--collect-only)*left as they were*"])
    after = [path.read_bytes() for path in [*reports, pytester.path / "summary.md"]]
    assert after == before


def _comparable(scorecard: Any) -> Any:
    return {
        "score": scorecard["score"],
        "sections": scorecard["sections"],
        "items": [
            (
                i["id"],
                i["status"],
                sorted((e.get("nodeid"), e.get("outcome")) for e in i["evidence"]),
            )
            for i in scorecard["items"]
        ],
    }


def test_an_xdist_run_scores_the_same_as_a_serial_run(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        test_one=SUITE,
        test_two="""
        import pytest
        from mltestscore.checks import CheckResult

        @pytest.mark.parametrize("n", range(6))
        @pytest.mark.mlscore("model-6")
        def test_slices(n, mlscore_record):
            mlscore_record("n", n)
            CheckResult.passed("check_demo", ["model-5"], "fine").assert_ok()
        """,
    )
    serial = pytester.runpytest_subprocess(
        "--mlscore", "--mlscore-json=serial.json", "-p", "no:randomly"
    )
    serial.assert_outcomes(passed=7, failed=1, skipped=1, xfailed=1)
    distributed = pytester.runpytest_subprocess(
        "--mlscore", "--mlscore-json=xdist.json", "-n", "2", "-p", "no:randomly"
    )
    distributed.assert_outcomes(passed=7, failed=1, skipped=1, xfailed=1)
    one, two = read_scorecard(pytester, "serial.json"), read_scorecard(pytester, "xdist.json")
    assert _comparable(one) == _comparable(two)
    assert items_by_id(two)["model-6"]["status"] == "automated"
    assert len(items_by_id(two)["model-6"]["evidence"]) == 6


def test_a_report_path_that_cannot_be_written_is_reported_not_raised(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "blocked").write_text("a file, not a folder")
    pytester.makepyfile("def test_a():\n    pass\n")
    result = pytester.runpytest("--mlscore", "--mlscore-json=blocked/mlscore.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["mlscore: could not write *blocked/mlscore.json*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_the_reports_folder_is_not_touched_by_other_pytest_runs(tmp_path: Path) -> None:
    assert not any(tmp_path.iterdir())
