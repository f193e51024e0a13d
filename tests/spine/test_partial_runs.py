"""Partial runs end to end: a run that did not run the whole suite writes a scorecard marked
partial with the reasons, stays out of the history and cannot be a comparison base;
``--collect-only`` and usage errors leave no report that could pass for this run's."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mltestscore.report.json_report import validation_errors

TESTS = """
    import pytest

    @pytest.mark.mlscore("data-1")
    def test_schema():
        pass

    @pytest.mark.mlscore("model-7")
    def test_fairness():
        pass

    @pytest.mark.mlscore("infra-1")
    @pytest.mark.slow
    def test_reproducible():
        assert {reproducible}

    def test_plain():
        pass
"""


def _project(pytester: pytest.Pytester, addopts: str = "", reproducible: bool = True) -> None:
    (pytester.path / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [tool.pytest.ini_options]
            testpaths = ["tests"]
            markers = ["slow: a slow test"]
            addopts = {json.dumps(addopts)}

            [tool.mltestscore]
            manual_max_age_days = 365
            """
        )
    )
    folder = pytester.path / "tests"
    folder.mkdir(exist_ok=True)
    body = textwrap.dedent(TESTS.format(reproducible=reproducible))
    (folder / "test_project.py").write_text(body)


def _scorecard(pytester: pytest.Pytester, name: str = "reports/mlscore.json") -> Any:
    data = json.loads((pytester.path / name).read_text(encoding="utf-8"))
    assert validation_errors(data) == []
    return data


def _history(pytester: pytest.Pytester) -> list[Any]:
    path = pytester.path / "reports" / "mlscore-history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_full_run_is_not_partial_and_enters_the_history(pytester: pytest.Pytester) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore").assert_outcomes(passed=4)
    scorecard = _scorecard(pytester)
    assert scorecard["partial"] is False
    assert scorecard["selection"] is None
    assert len(_history(pytester)) == 1


def test_a_k_selection_writes_a_partial_scorecard_kept_out_of_the_history(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore").assert_outcomes(passed=4)
    result = pytester.runpytest("--mlscore", "-k", "fairness")
    result.assert_outcomes(passed=1, deselected=3)
    scorecard = _scorecard(pytester)
    assert scorecard["partial"] is True
    assert scorecard["selection"] == {
        "reasons": ["-k fairness"],
        "args": ["-k", "fairness"],
        "deselected": 3,
        "not_run": 0,
    }
    assert len(_history(pytester)) == 1  # only the full run


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["-m", "not slow"], "-m 'not slow'"),
        (["--deselect", "tests/test_project.py::test_plain"], "--deselect *test_plain"),
        (["tests/test_project.py"], "only tests/test_project.py (the whole suite: tests)"),
        (["tests/test_project.py::test_schema"], "only tests/test_project.py::test_schema *"),
    ],
)
def test_a_selection_deselection_file_or_node_id_makes_the_run_partial(
    pytester: pytest.Pytester, arguments: list[str], reason: str
) -> None:
    import fnmatch

    _project(pytester)
    pytester.runpytest("--mlscore", *arguments)
    selection = _scorecard(pytester)["selection"]
    assert [r for r in selection["reasons"] if fnmatch.fnmatch(r, reason)], selection
    assert _history(pytester) == []


@pytest.mark.parametrize("arguments", [[], ["tests"], ["tests/"], ["."]])
def test_naming_the_test_paths_or_more_is_a_full_run(
    pytester: pytest.Pytester, arguments: list[str]
) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore", *arguments).assert_outcomes(passed=4)
    assert _scorecard(pytester)["partial"] is False


def test_a_selection_the_projects_addopts_make_defines_the_whole_suite(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, addopts='-m "not slow"')
    pytester.runpytest("--mlscore").assert_outcomes(passed=3, deselected=1)
    assert _scorecard(pytester)["partial"] is False
    pytester.runpytest("--mlscore", "-m", "slow").assert_outcomes(passed=1, deselected=3)
    assert _scorecard(pytester)["selection"]["reasons"] == ["-m slow"]


def test_stopping_at_the_first_failure_is_partial_with_the_tests_left_unrun(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, reproducible=False)
    (pytester.path / "tests" / "test_zlast.py").write_text("def test_last():\n    pass\n")
    pytester.runpytest("--mlscore", "-x", "-p", "no:randomly").assert_outcomes(passed=2, failed=1)
    selection = _scorecard(pytester)["selection"]
    assert selection["reasons"] == ["stopped after the first failure (-x)"]
    assert selection["not_run"] == 2
    assert _history(pytester) == []


def test_minus_x_that_stops_nothing_is_a_full_run(pytester: pytest.Pytester) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore", "-x").assert_outcomes(passed=4)
    assert _scorecard(pytester)["partial"] is False


def test_an_interrupted_run_writes_a_partial_scorecard(pytester: pytest.Pytester) -> None:
    _project(pytester)
    (pytester.path / "tests" / "test_stop.py").write_text(
        "import pytest\n\ndef test_stop():\n    pytest.exit('enough')\n"
    )
    result = pytester.runpytest("--mlscore", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    selection = _scorecard(pytester)["selection"]
    assert selection["reasons"] == ["interrupted"]
    assert selection["not_run"] == 1
    assert _history(pytester) == []


def test_a_partial_scorecard_cannot_be_a_comparison_base(pytester: pytest.Pytester) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore", "-k", "fairness", "--mlscore-json=partial.json")
    result = pytester.runpytest("--mlscore", "--mlscore-compare=partial.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: mltestscore: --mlscore-compare: *partial.json is a partial scorecard "
         "(-k fairness): it is not the project's score and cannot be a comparison base*"]
    )  # fmt: skip
    result.stdout.no_fnmatch_line("*passed*")  # said before any test ran
    pytester.runpytest("--mlscore", "--mlscore-json=full.json").assert_outcomes(passed=4)
    diff = [sys.executable, "-m", "mltestscore.cli", "diff", "partial.json", "full.json"]
    gated = subprocess.run(
        [*diff, "--fail-on-regression"], check=False, capture_output=True, text=True
    )
    assert gated.returncode == 2
    assert "partial.json is a partial scorecard (-k fairness)" in gated.stderr
    shown = subprocess.run(diff, check=False, capture_output=True, text=True)
    assert shown.returncode == 0
    assert "warning: partial.json is a partial scorecard" in shown.stderr


def test_a_partial_run_is_held_to_no_score_gate(pytester: pytest.Pytester) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore", "--mlscore-json=base.json").assert_outcomes(passed=4)
    result = pytester.runpytest(
        "--mlscore", "-k", "fairness", "--mlscore-fail-under=3",
        "--mlscore-compare=base.json", "--mlscore-fail-on-regression",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        [
            "mlscore: no comparison with base.json: this run is partial (-k fairness)*",
            "mlscore: the final score is not held to fail_under=3: this run is partial",
        ]
    )
    result = pytester.runpytest("--mlscore", "-k", "fairness", "--mlscore-fail-under=3")
    assert result.ret == pytest.ExitCode.OK


def test_a_usage_error_leaves_no_stale_report_of_any_format(pytester: pytest.Pytester) -> None:
    _project(pytester)
    options = ["--mlscore-md=out/summary.md", "--mlscore-badge=out/badge.svg"]
    pytester.runpytest("--mlscore", *options).assert_outcomes(passed=4)
    reports = [
        pytester.path / "reports" / "mlscore.json",
        pytester.path / "reports" / "mlscore.html",
        pytester.path / "out" / "summary.md",
        pytester.path / "out" / "badge.svg",
    ]
    assert all(path.exists() for path in reports)
    pyproject = pytester.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'credit = "sometimes"\n')
    result = pytester.runpytest("--mlscore", *options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [path for path in reports if path.exists()] == []
    assert (pytester.path / "reports" / "mlscore-history.jsonl").exists()  # a log: kept


def test_a_bad_marker_leaves_no_stale_report_of_any_format(pytester: pytest.Pytester) -> None:
    _project(pytester)
    pytester.runpytest("--mlscore", "--mlscore-badge=badge.svg").assert_outcomes(passed=4)
    (pytester.path / "tests" / "test_bad.py").write_text(
        "import pytest\n\n@pytest.mark.mlscore('dta-1')\ndef test_bad():\n    pass\n"
    )
    result = pytester.runpytest("--mlscore", "--mlscore-badge=badge.svg")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    names = ["reports/mlscore.json", "reports/mlscore.html", "badge.svg"]
    assert [name for name in names if (pytester.path / name).exists()] == []


def test_generated_items_neither_make_a_full_run_partial_nor_a_file_run_full(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    rows = "\n".join(f"{20 + i % 40},{30 + i % 20},{i % 2}" for i in range(60))
    (pytester.path / "train.csv").write_text(f"age,hours,income\n{rows}\n")
    with (pytester.path / "pyproject.toml").open("a") as handle:
        handle.write('train = "train.csv"\n')
    pytester.runpytest("--mlscore")
    scorecard = _scorecard(pytester)
    assert any(_nodeid.startswith("mlscore::") for _nodeid in _nodeids(scorecard))
    assert scorecard["partial"] is False
    result = pytester.runpytest("--mlscore", "tests/test_project.py")
    result.assert_outcomes(passed=4)  # the file's tests alone, no generated item
    assert _scorecard(pytester)["partial"] is True


def _nodeids(scorecard: Any) -> list[str]:
    return [e["nodeid"] for item in scorecard["items"] for e in item["evidence"] if "nodeid" in e]


def _comparable(scorecard: Any) -> Any:
    return {
        "score": scorecard["score"],
        "partial": scorecard["partial"],
        "selection": scorecard["selection"],
        "items": [(i["id"], i["status"], len(i["evidence"])) for i in scorecard["items"]],
    }


def test_an_xdist_run_scores_and_selects_exactly_like_a_serial_one(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("xdist")
    _project(pytester)
    for arguments in ([], ["-k", "not fairness"]):
        serial = pytester.runpytest_subprocess(
            "--mlscore", "--mlscore-json=serial.json", "-p", "no:randomly", *arguments
        )
        distributed = pytester.runpytest_subprocess(
            "--mlscore", "--mlscore-json=xdist.json", "-n", "2", "-p", "no:randomly", *arguments
        )
        assert serial.ret == distributed.ret == pytest.ExitCode.OK
        one, two = _scorecard(pytester, "serial.json"), _scorecard(pytester, "xdist.json")
        assert _comparable(one) == _comparable(two)
    assert two["selection"]["deselected"] == 1


def test_the_reports_folder_of_this_test_is_its_own(tmp_path: Path) -> None:
    assert not (tmp_path / "reports").exists()
