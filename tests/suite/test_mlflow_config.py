"""The MLflow model keys are validated like every suite key, without importing mlflow: a URI
of an unknown form, mlflow missing, or a `registry` beside a `models:/` URI is a usage error
naming the key before anything loads. Runs with or without mlflow installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mltestscore import mlflow_models
from mltestscore.config import ProjectConfig
from mltestscore.errors import ConfigError
from mltestscore.suite.config import parse_suite_config


def _parse(tmp_path: Path, **settings: Any) -> Any:
    project = ProjectConfig(str(tmp_path / "pyproject.toml"), tmp_path, settings)
    return parse_suite_config(project, complete=False)


def test_without_mlflow_a_model_uri_is_a_usage_error_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mlflow_models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"model: .*needs mlflow.*mltestscore\[mlflow\]"):
        _parse(tmp_path, model="models:/credit@champion")


def test_a_model_uri_of_an_unknown_form_names_the_accepted_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"model: .*models:/<name>@<alias>"):
        _parse(tmp_path, model="models:/credit/champion/extra")


def test_a_registry_beside_a_models_uri_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mlflow_models.importlib.util, "find_spec", lambda name: object())
    (tmp_path / "registry").mkdir()
    with pytest.raises(ConfigError, match=r"registry: `model` is an MLflow URI"):
        _parse(tmp_path, model="models:/credit@champion", registry="registry")


def test_a_models_uri_turns_on_the_registry_items_and_a_runs_uri_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mlflow_models.importlib.util, "find_spec", lambda name: object())
    registered = _parse(
        tmp_path, model="models:/credit@champion", mlflow_tracking_uri="sqlite:///m.db"
    )
    assert registered.has("registry")
    assert registered.model.kind == "mlflow"
    assert registered.mlflow_tracking_uri == f"sqlite:///{tmp_path}/m.db"
    assert not _parse(tmp_path, model="runs:/abc/model").has("registry")
