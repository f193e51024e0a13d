"""``mltestscore init``: guesses with reasons, a commented section, attestation templates,
and never overwriting configuration without --force."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from mltestscore.init import main


@pytest.fixture
def fresh(tmp_path: Path, project: Any) -> Path:
    """A project folder with data files named like their role, a model, and no config."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.parquet").write_bytes(project.train.read_bytes())
    (tmp_path / "data" / "serving_log.parquet").write_bytes(project.serving.read_bytes())
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "model.skops").write_bytes(project.model.read_bytes())
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "other.csv").write_text("a\n1\n")  # never looked at
    return tmp_path


def test_it_writes_a_commented_section_with_its_guesses_and_says_why(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(fresh)]) == 0
    printed = capsys.readouterr().out
    assert "train = data/train.parquet  (a parquet file whose name says train)" in printed
    assert "target = income  (a column named like a label ('income'))" in printed
    text = (fresh / "pyproject.toml").read_text()
    settings = tomllib.loads(text)["tool"]["mltestscore"]
    assert settings["train"] == "data/train.parquet"
    assert settings["serving"] == "data/serving_log.parquet"
    assert settings["model"] == "models/model.skops"
    assert settings["target"] == "income"
    assert "sex" in settings["sensitive"]
    assert settings["schema"] == "schemas/train.json"
    assert (fresh / "schemas").is_dir()
    assert "model_trusted" not in settings  # the reviewer must trust types, not init
    assert '# model_trusted = ["numpy.dtype"' in text
    for item in ("data-6", "model-1", "model-2", "infra-7"):
        assert f'# item = "{item}"' in text  # attestation templates, commented out
    assert "other.csv" not in text


def test_the_written_section_is_a_valid_suite_configuration(fresh: Path) -> None:
    from mltestscore.config import load_project_config
    from mltestscore.suite.config import parse_suite_config

    main(["--root", str(fresh)])
    config = parse_suite_config(load_project_config(fresh / "pyproject.toml"))
    assert config.target == "income"
    assert set(config.data) == {"train", "serving"}


def test_it_never_overwrites_configuration_without_force(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = (
        '[project]\nname = "x"\n\n[tool.mltestscore]\ntarget = "y"\n\n'
        '[[tool.mltestscore.manual]]\nitem = "model-1"\nevidence = "docs/review.md"\n'
        "date = 2026-01-01\n"
    )
    (fresh / "pyproject.toml").write_text(original)
    assert main(["--root", str(fresh)]) == 1
    assert "already has [tool.mltestscore] (target)" in capsys.readouterr().err
    assert (fresh / "pyproject.toml").read_text() == original
    assert main(["--root", str(fresh), "--force"]) == 0
    document = tomllib.loads((fresh / "pyproject.toml").read_text())
    assert document["project"] == {"name": "x"}
    assert document["tool"]["mltestscore"]["target"] == "income"
    assert document["tool"]["mltestscore"]["manual"][0]["item"] == "model-1"  # kept


def test_a_project_with_only_attestations_gets_the_section_added(fresh: Path) -> None:
    (fresh / "pyproject.toml").write_text(
        '[[tool.mltestscore.manual]]\nitem = "data-6"\nevidence = "x"\ndate = 2026-01-01\n'
    )
    assert main(["--root", str(fresh)]) == 0
    settings = tomllib.loads((fresh / "pyproject.toml").read_text())["tool"]["mltestscore"]
    assert settings["train"] == "data/train.parquet"
    assert settings["manual"][0]["item"] == "data-6"


def test_dry_run_prints_the_section_and_writes_nothing(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(fresh), "--dry-run"]) == 0
    assert "[tool.mltestscore]" in capsys.readouterr().out
    assert not (fresh / "pyproject.toml").exists()
    assert not (fresh / "schemas").exists()


def test_an_existing_great_expectations_suite_and_registry_are_used(
    fresh: Path, project: Any
) -> None:
    (fresh / "gx").mkdir()
    (fresh / "gx" / "income.json").write_text('{"name": "income", "expectations": []}')
    (fresh / "models" / "model.skops").unlink()
    registry = fresh / "models" / "registry"
    for version in ("v0001", "v0002"):
        (registry / version).mkdir(parents=True)
        (registry / version / "model.skops").write_bytes(project.model.read_bytes())
    (registry / "CURRENT").write_text("v0002\n")
    main(["--root", str(fresh)])
    settings = tomllib.loads((fresh / "pyproject.toml").read_text())["tool"]["mltestscore"]
    assert settings["schema"] == "gx/income.json"
    assert settings["registry"] == "models/registry"
    assert "model" not in settings


def test_it_runs_as_a_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mltestscore.init", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "found no data or model" in result.stdout
    assert "[tool.mltestscore]" in (tmp_path / "pyproject.toml").read_text()
