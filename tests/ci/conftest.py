"""A tiny ML project whose scorecard the CI script produces, and its base branch's
scorecard (built once, by a real ``pytest --mlscore`` run)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

TEST_MODULE = """\
import os

import pytest


@pytest.mark.mlscore("data-1")
def test_schema_holds():
    plant = os.environ.get("PLANT")
    if plant == "skip":
        pytest.skip("the schema test was switched off")
    assert plant != "fail", "age: 212 is outside [17, 90]"


@pytest.mark.mlscore("model-6")
def test_quality_on_slices():
    pass
"""


def clean_environment() -> dict[str, str]:
    """This process's environment without anything that would make the inner pytest run
    differently (our own CI's variables, the outer run's options)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GITHUB_", "CI_", "PYTEST_", "MLSCORE_"))
    }


def make_project(root: Path) -> Path:
    project = root / "repo"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.mltestscore]\n")
    (project / "tests" / "test_model.py").write_text(TEST_MODULE)
    return project


@pytest.fixture(scope="session")
def base_scorecard(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The base branch's scorecard: both claiming tests pass."""
    project = make_project(tmp_path_factory.mktemp("base"))
    out = project / "base.json"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--mlscore",
         f"--mlscore-json={out}", "-q"],
        cwd=project, env=clean_environment(), check=True, capture_output=True,
    )  # fmt: skip
    data: dict[str, object] = json.loads(out.read_text())
    return data


def artifact_zip(scorecard: dict[str, object]) -> bytes:
    """The artifact as actions/upload-artifact stores it: the files at the zip's root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("mlscore.json", json.dumps(scorecard))
        bundle.writestr("mlscore.html", "<html></html>")
    return buffer.getvalue()
