"""End to end through pytest: the report options, the history, the comparison and the gate."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET

import pytest

from mltestscore.exit_codes import EXIT_SCORE_REGRESSED

PROJECT = """
    import pytest

    @pytest.mark.mlscore("data-1", "monitor-2")
    def test_schema():
        pass

    @pytest.mark.mlscore("infra-1")
    def test_reproducible():
        assert {outcome}

    @pytest.mark.mlscore("model-6")
    def test_slices(mlscore_record):
        mlscore_record.table("AUC by slice", ["slice", "auc"], [["a", 0.8], ["b", 0.7]],
                             chart="auc", item="model-6")

    def test_unclaimed():
        pass
"""


def _project(pytester: pytest.Pytester, reproducible: bool = True) -> None:
    pytester.makepyprojecttoml("[tool.mltestscore]\nmanual_max_age_days = 365\n")
    pytester.makepyfile(test_project=PROJECT.format(outcome=reproducible))


def test_it_writes_the_html_next_to_the_json_and_appends_the_history(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    result = pytester.runpytest("--mlscore")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "JSON scorecard: *reports/mlscore.json",
            "score history: *reports/mlscore-history.jsonl",
            "HTML scorecard: *reports/mlscore.html",
        ]
    )
    html = (pytester.path / "reports" / "mlscore.html").read_text()
    assert "AUC by slice" in html
    pytester.runpytest("--mlscore").assert_outcomes(passed=4)
    lines = (pytester.path / "reports" / "mlscore-history.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[1])["sections"]["infra"] == 1.0
    assert "Trend over the last 2 runs" in (pytester.path / "reports" / "mlscore.html").read_text()


def test_it_writes_markdown_badge_and_html_where_asked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester)
    summary = pytester.path / "step-summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = pytester.runpytest(
        "--mlscore",
        "--mlscore-html=out/page.html",
        "--mlscore-md=out/summary.md",
        "--mlscore-badge=out/badge.svg",
        "--mlscore-history=out/h.jsonl",
    )
    result.assert_outcomes(passed=4)
    for name in ("page.html", "summary.md", "badge.svg", "h.jsonl"):
        assert (pytester.path / "out" / name).is_file(), name
    assert not (pytester.path / "reports" / "mlscore.html").exists()
    markdown = (pytester.path / "out" / "summary.md").read_text()
    assert markdown.startswith("## ML Test Score: 1 / 7")
    assert summary.read_text() == "# earlier step\n" + markdown
    result.stdout.fnmatch_lines(["job summary ($GITHUB_STEP_SUMMARY): *step-summary.md"])
    ET.parse(pytester.path / "out" / "badge.svg")
    assert json.loads((pytester.path / "out" / "h.jsonl").read_text())["score"] == 1.0


def test_a_comparison_shows_item_changes_and_the_gate_exits_with_its_code(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, reproducible=True)
    pytester.runpytest("--mlscore").assert_outcomes(passed=4)
    _project(pytester, reproducible=False)
    # The base is the report this run replaces: it is read before being overwritten.
    result = pytester.runpytest(
        "--mlscore", "--mlscore-compare=reports/mlscore.json", "--mlscore-fail-on-regression"
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "compared with mlscore.json*: final 1 → 0 (-1)",
            "  infra    1 → 0 (-1)",
            "  infra-1: automated → failing (worse)",
            "mlscore: the score regressed against mlscore.json: final score 1 → 0; infra 1 → 0",
        ]
    )
    # A failing test already gives pytest's own exit code; the gate does not hide it.
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    html = (pytester.path / "reports" / "mlscore.html").read_text()
    assert "Compared with mlscore.json" in html


def test_the_regression_gate_exits_7_when_only_the_score_went_down(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore", "--mlscore-json=base.json").assert_outcomes(passed=4)
    pytester.makepyfile(test_project="def test_nothing_claimed():\n    pass\n")
    result = pytester.runpytest(
        "--mlscore", "--mlscore-compare=base.json", "--mlscore-fail-on-regression"
    )
    result.assert_outcomes(passed=1)
    assert result.ret == EXIT_SCORE_REGRESSED == 7
    result.stdout.fnmatch_lines(["mlscore: the score regressed against base.json: *data 1 → 0*"])


def test_an_unusable_base_stops_the_gate_with_a_usage_error(pytester: pytest.Pytester) -> None:
    _project(pytester)
    (pytester.path / "old.json").write_text('{"schema_version": 0}')
    result = pytester.runpytest(
        "--mlscore", "--mlscore-compare=old.json", "--mlscore-fail-on-regression"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        ["mlscore: no comparison: *old.json has scorecard schema_version 0*"]
    )
    result = pytester.runpytest("--mlscore", "--mlscore-fail-on-regression")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # Without any base it is said before a test runs.
    result.stderr.fnmatch_lines(
        ["ERROR: mltestscore: --mlscore-fail-on-regression needs a base: add --mlscore-compare*"]
    )
    result.stdout.no_fnmatch_line("*passed*")


def test_without_the_gate_an_unreadable_base_is_only_reported(pytester: pytest.Pytester) -> None:
    _project(pytester)
    result = pytester.runpytest("--mlscore", "--mlscore-compare=missing.json")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["mlscore: no comparison: no base yet: cannot read *missing.json*"])


def test_a_run_without_a_scorecard_removes_the_reports_of_an_earlier_run(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore", "--mlscore-md=summary.md").assert_outcomes(passed=4)
    assert (pytester.path / "reports" / "mlscore.html").exists()
    pytester.makepyfile(test_broken="import does_not_exist\n")
    pytester.runpytest("--mlscore", "--mlscore-md=summary.md")
    assert not (pytester.path / "reports" / "mlscore.html").exists()
    assert not (pytester.path / "summary.md").exists()
    assert (pytester.path / "reports" / "mlscore-history.jsonl").exists()


def test_an_unwritable_report_path_is_a_one_line_problem(pytester: pytest.Pytester) -> None:
    _project(pytester)
    (pytester.path / "blocker").write_text("a file, not a folder")
    result = pytester.runpytest("--mlscore", "--mlscore-badge=blocker/badge.svg")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["mlscore: could not write *blocker/badge.svg: *"])
    assert "Traceback" not in result.stdout.str()


def test_without_mlscore_no_report_is_written_and_jinja_is_not_imported(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    pytester.makepyfile(
        test_light="""
        import sys

        def test_no_jinja():
            assert "jinja2" not in sys.modules
            assert "mltestscore.report.html" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess("--mlscore-html=x.html", "-p", "no:randomly")
    result.assert_outcomes(passed=5)
    assert not (pytester.path / "x.html").exists()
    assert not (pytester.path / "reports").exists()


def test_the_cli_module_imports_nothing_heavy() -> None:
    import subprocess

    code = (
        "import sys, mltestscore.cli; "
        "print(sorted(m for m in ('jinja2', 'yaml', 'jsonschema', 'pytest') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
