"""From ``mltestscore init`` to the first scorecard with no edit, on three ordinary projects
of different shapes (tests/suite/init_projects.py): a binary logistic regression on Adult
with personal data in its files and a training script, a random-forest regression on
diabetes in Parquet, a multiclass gradient-boosting model on wine with a serving sample.

Each test runs init on the project as it comes, then ``pytest --mlscore`` with nothing
edited: no usage error, a scorecard whose automated items ran their checks, and the summary
saying what to commit."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from mltestscore.init import main as init_main
from tests.suite.init_projects import PROJECTS

# Items each project must get automated on the first run; timing-based items (data-3,
# monitor-6) and items whose verdict is the project's own finding are left out.
EXPECTED = {
    "adult": {"data-1", "data-5", "model-5", "model-6", "infra-1", "infra-3", "infra-5",
              "monitor-5"},
    "diabetes": {"data-1", "data-5", "model-6", "infra-2", "infra-5", "monitor-5"},
    "wine": {"data-1", "data-5", "infra-5", "monitor-2", "monitor-3", "monitor-5"},
}  # fmt: skip


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three projects, built once (data, model, training script; no configuration)."""
    folders = {}
    for name, build in PROJECTS.items():
        folders[name] = build(tmp_path_factory.mktemp(f"init-{name}"))
    return folders


def _first_run(pytester: pytest.Pytester, source: Path) -> tuple[pytest.RunResult, Any]:
    shutil.copytree(source, pytester.path, dirs_exist_ok=True)
    assert init_main(["--root", str(pytester.path)]) == 0
    result = pytester.runpytest_subprocess("--mlscore", "-p", "no:cacheprovider")
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stderr.str()
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text())
    return result, scorecard


def _automated(scorecard: Any) -> set[str]:
    return {item["id"] for item in scorecard["items"] if item["status"] == "automated"}


def _checks(scorecard: Any, item_id: str) -> set[str]:
    item = next(i for i in scorecard["items"] if i["id"] == item_id)
    return {e["nodeid"] for e in item["evidence"] if e["kind"] == "check"}


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_the_first_run_after_init_scores_the_project_with_no_edit(
    pytester: pytest.Pytester, built: dict[str, Path], name: str
) -> None:
    result, scorecard = _first_run(pytester, built[name])
    assert EXPECTED[name] <= _automated(scorecard)
    for item_id in EXPECTED[name]:
        assert _checks(scorecard, item_id), f"{item_id} has no check evidence"
    assert (pytester.path / "schemas" / "train.json").is_file()  # its folder was created
    result.stdout.fnmatch_lines(
        [
            "git: keep reports/, .mltestscore/*out of version control*",
            "git: commit pyproject.toml and schemas/train.json*",
        ]
    )
    if name == "adult":  # the label, the training script, personal data, fairness by race
        text = (pytester.path / "pyproject.toml").read_text()
        settings = tomllib.loads(text)["tool"]["mltestscore"]
        assert settings["target"] == "income"
        assert settings["train_fn"] == "pipeline.training:train"
        assert not {"person_id", "full_name", "date_of_birth"} & set(settings["sensitive"])
        assert "mlscore::model-7::fairness[race]" in _checks(scorecard, "model-7")


def test_a_run_with_nothing_configured_points_to_init(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_one():\n    assert True\n")
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*no model or data is configured*`mltestscore init` writes*"])


def test_the_command_help_points_to_init(capsys: pytest.CaptureFixture[str]) -> None:
    from mltestscore.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "Run `mltestscore init` in your project" in capsys.readouterr().out


def test_the_git_advice_stops_once_the_generated_folders_are_ignored(tmp_path: Path) -> None:
    from mltestscore.git_advice import git_advice

    (tmp_path / "reports").mkdir()
    (tmp_path / ".hypothesis").mkdir()
    assert git_advice(tmp_path, None)[0].startswith("git: keep reports/, .hypothesis/ out")
    (tmp_path / ".gitignore").write_text("/reports/\n.hypothesis\n")
    assert git_advice(tmp_path, None) == []
