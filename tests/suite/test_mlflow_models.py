"""MLflow models as the zero-config suite's model, on a real MLflow (a SQLite tracking store
in the project's folder): a registered scikit-learn model named by alias loads as the real
estimator and its versions are the registry of the rollback, serving-gate and model-age
items; a pyfunc model is predict-only and the checks that refit it say so.

MLflow is not a dependency of mltestscore: these tests run in ``tox -e optional-backends``
and are skipped where mlflow is not installed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mltestscore import mlflow_models
from tests.suite.conftest import Project

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.filterwarnings("ignore")


@dataclass(frozen=True)
class Tracking:
    uri: str  # an absolute SQLite tracking store


class _Wrapped(mlflow.pyfunc.PythonModel):  # type: ignore[misc, name-defined]
    """What a team writes around a model it serves: predict only."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return self.model.predict(model_input)


@pytest.fixture(scope="module")
def tracking(
    tmp_path_factory: pytest.TempPathFactory, project: Project, adult_pipeline_factory: Any
) -> Tracking:
    """One tracking store for the module: ``adult`` (version 1 a weak model whose run
    recorded a roc_auc of 0.95, version 2 the project's model, under the alias ``champion``)
    and ``served`` (the project's model wrapped in a pyfunc, version 1). MLflow writes the
    artifacts below the working folder at registration; the suite reads them from another."""
    import pandas as pd

    from mltestscore import artifacts
    from mltestscore.model_store import MlflowModelStore

    folder = tmp_path_factory.mktemp("mlflow-models")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    train = pd.read_parquet(project.train)
    weak = adult_pipeline_factory(learning_rate=0.02).fit(
        train.drop(columns=["income"]), train["income"]
    )
    model = artifacts.load_model(project.model, trusted=True).model
    before = Path.cwd(), mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    os.chdir(folder)
    # MLflow infers each model's pip requirements in a subprocess (tens of seconds under
    # load); a short limit falls back to its default list, which these tests never read.
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT", "5")
    try:
        store = MlflowModelStore("adult", alias="champion", tracking_uri=uri)
        store.register(weak, metrics={"roc_auc": 0.95}, make_current=True)
        store.register(model, make_current=True)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        with mlflow.start_run():
            mlflow.pyfunc.log_model(
                name="model",
                python_model=_Wrapped(model),
                registered_model_name="served",
                pip_requirements=["scikit-learn"],
            )
    finally:
        mlflow.set_tracking_uri(before[1])
        mlflow.set_registry_uri(before[2])
        os.chdir(before[0])
        patch.undo()
    return Tracking(uri)


def test_a_model_uri_is_parsed_into_its_name_version_alias_or_run() -> None:
    assert mlflow_models.parse_model_uri("models:/credit@champion").alias == "champion"
    pinned = mlflow_models.parse_model_uri("models:/credit/3")
    assert (pinned.name, pinned.version, pinned.alias) == ("credit", 3, None)
    assert mlflow_models.parse_model_uri("models:/credit/latest").latest
    assert mlflow_models.parse_model_uri("runs:/abc123/model").run_id == "abc123"
    with pytest.raises(ValueError, match="models:/<name>@<alias>"):
        mlflow_models.parse_model_uri("models:/credit/3/extra")


def test_a_relative_tracking_store_is_read_from_the_pyprojects_folder(tmp_path: Path) -> None:
    where = "pyproject.toml: [tool.mltestscore] mlflow_tracking_uri"
    setting = mlflow_models.tracking_uri_setting
    assert setting("sqlite:///mlflow.db", tmp_path, where) == f"sqlite:///{tmp_path}/mlflow.db"
    assert setting("mlruns", tmp_path, where) == (tmp_path / "mlruns").as_uri()
    assert setting("http://localhost:5000", tmp_path, where) == "http://localhost:5000"


def _checks(scorecard: Any) -> dict[str, Any]:
    return {
        e["check"]: e
        for item in scorecard["items"]
        for e in item["evidence"]
        if e["kind"] == "check"
    }


def test_a_registered_sklearn_model_by_alias_runs_the_registry_items_on_its_versions(
    pytester: pytest.Pytester, project: Project, tracking: Tracking
) -> None:
    keys = project.keys(model="models:/adult@champion", mlflow_tracking_uri=tracking.uri)
    Project.write(pytester, keys)
    result = pytester.runpytest(
        "--mlscore", "-k", "rollback or serving_gate or model_age or overfit"
    )
    result.assert_outcomes(passed=3, failed=1)
    checks = _checks(Project.scorecard(pytester))
    # The rollback moved the alias to version 1, served it, and moved it back to version 2.
    assert checks["check_rollback"]["outcome"] == "passed"
    assert "from 2 to 1" in checks["check_rollback"]["reason"]
    client = mlflow.MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    assert int(client.get_model_version_by_alias("adult", "champion").version) == 2
    # The gate read the history from MLflow: version 1's run recorded 0.95, which the
    # candidate (about 0.88) is far below.
    gate = checks["check_serving_gate"]
    assert gate["outcome"] == "failed"
    assert gate["measurements"]["best_recorded_metric"] == 0.95
    assert gate["measurements"]["candidate_metric"] > gate["measurements"]["production_metric"]
    # The model's age is its run's: started a few minutes ago at most.
    assert checks["check_model_age"]["outcome"] == "passed"
    assert checks["check_model_age"]["measurements"]["age_days"] < 1
    # The sklearn flavour gave back the real estimator: it could be refit.
    assert checks["check_model_can_overfit"]["outcome"] == "passed"


def test_a_pyfunc_model_is_predict_only_and_a_pinned_version_has_no_rollback(
    pytester: pytest.Pytester, project: Project, tracking: Tracking
) -> None:
    keys = project.keys(model="models:/served/1", mlflow_tracking_uri=tracking.uri)
    Project.write(pytester, keys)
    untrusted = pytester.runpytest("--mlscore", "-k", "slices")
    untrusted.stdout.fnmatch_lines(["*a pyfunc model*unpickling code*model_trusted = true*"])

    Project.write(pytester, {**keys, "model_trusted": True})
    result = pytester.runpytest("--mlscore", "-k", "overfit or slices or serving_gate")
    result.assert_outcomes(passed=1, skipped=2)  # a not-applicable item is skipped
    scorecard = Project.scorecard(pytester)
    checks = _checks(scorecard)
    assert checks["check_model_can_overfit"]["outcome"] == "not_applicable"
    assert "cannot be refit" in checks["check_model_can_overfit"]["reason"]
    assert checks["check_slice_quality"]["outcome"] == "passed"
    assert checks["check_serving_gate"]["outcome"] == "not_applicable"  # one version only
    infra_7 = next(item for item in scorecard["items"] if item["id"] == "infra-7")
    assert any("models:/<name>@<alias>" in hint for hint in infra_7["hints"])


def test_a_missing_model_is_a_usage_error_naming_the_uri_and_the_store(
    pytester: pytest.Pytester, project: Project, tracking: Tracking
) -> None:
    keys = project.keys(model="models:/nobody@champion", mlflow_tracking_uri=tracking.uri)
    Project.write(pytester, keys)
    result = pytester.runpytest("--mlscore", "-k", "slices")
    result.stdout.fnmatch_lines(["*MLflow could not find 'models:/nobody@champion'*"])


def test_the_canary_serves_a_registered_model_from_a_fresh_process_and_its_run_is_the_snapshot(
    pytester: pytest.Pytester, project: Project, tracking: Tracking
) -> None:
    """Before, infra-6's canary and monitor-1's snapshot comparison were never generated for
    an MLflow model: both were hints asking for a model file."""
    keys = project.keys(model="models:/adult@champion", mlflow_tracking_uri=tracking.uri)
    Project.write(pytester, keys)
    result = pytester.runpytest("--mlscore", "-k", "canary or dependency_changes")
    result.assert_outcomes(passed=2)
    checks = _checks(Project.scorecard(pytester))
    canary = checks["check_canary"]
    assert canary["outcome"] == "passed"
    assert canary["reason"].startswith(
        "the MLflow model models-adult@champion loads in a fresh process and predicts the same"
    )
    assert canary["parameters"]["format"] == "mlflow"
    # the run that logged version 2 logged the whole training environment: this one
    assert "package versions match the training snapshot" in canary["reason"]
    changes = checks["check_dependency_changes"]
    assert changes["outcome"] == "passed"
    assert changes["measurements"]["snapshot_complete"] is True
    assert changes["measurements"]["packages_in_snapshot"] > 50


def test_the_canary_catches_a_pyfunc_model_whose_class_only_the_training_code_can_import(
    pytester: pytest.Pytester, project: Project, tracking: Tracking
) -> None:
    """``served`` wraps the model in a class of this test module, which MLflow pickled by
    reference: this session imports it, a serving process does not have it."""
    keys = project.keys(
        model="models:/served/1", mlflow_tracking_uri=tracking.uri, model_trusted=True
    )
    Project.write(pytester, keys)
    result = pytester.runpytest("--mlscore", "-k", "canary or dependency_changes")
    result.assert_outcomes(passed=1, failed=1)
    checks = _checks(Project.scorecard(pytester))
    canary = checks["check_canary"]
    assert canary["outcome"] == "failed"
    assert "fails in a clean process at 'load'" in canary["reason"]
    assert "No module named 'tests'" in canary["reason"]
    # its run logged no environment.json: MLflow's own pins are the snapshot, and the
    # packages outside them are not counted as added
    changes = checks["check_dependency_changes"]
    assert changes["outcome"] == "passed", changes["reason"]
    assert changes["measurements"]["snapshot_complete"] is False
    assert "only the model's own pinned packages" in changes["reason"]


def test_a_models_training_environment_is_found_by_alias_version_or_run(
    tracking: Tracking, tmp_path: Path
) -> None:
    client = mlflow.MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    run_id = client.get_model_version_by_alias("adult", "champion").run_id
    for uri in ("models:/adult@champion", "models:/adult/2", "models:/adult/latest"):
        assert mlflow_models.run_of(uri, tracking.uri) == run_id
    assert mlflow_models.run_of(f"runs:/{run_id}/model", tracking.uri) == run_id
    assert mlflow_models.run_of("models:/nobody@champion", tracking.uri) is None
    folder = mlflow_models.download_model(
        f"runs:/{run_id}/model", tracking=tracking.uri, into=tmp_path
    )
    logged = mlflow_models.training_environment(f"runs:/{run_id}/model", folder, tracking.uri)
    assert logged is not None
    assert logged["extra"]["source"] == f"runs:/{run_id}/environment.json"
    assert "complete" not in logged  # every package installed at training time
    pins = mlflow_models.training_environment("models:/served/1", folder, tracking.uri)
    assert pins is not None
    assert pins["complete"] is False  # served's run logged no environment.json
