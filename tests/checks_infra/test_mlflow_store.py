"""The MLflow backend of the model registry, on a real MLflow (a SQLite tracking store in a
temporary folder): versions, the alias as the current pointer, metrics, the reader's trust
decision on what it loads, and the rollback drill (infra-7) on it.

MLflow is not a dependency of mltestscore: these tests run in ``tox -e optional-backends``
(which CI runs too) and are skipped where mlflow is not installed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mltestscore import artifacts, model_store
from mltestscore.checks.result import CheckResult, Outcome
from mltestscore.checks.rollback import check_rollback

pytest.importorskip("mlflow")
pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def registered(
    tmp_path_factory: pytest.TempPathFactory, adult_model: Any
) -> Iterator[tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]]]:
    """Two versions of the Adult gradient-boosted pipeline (whose skops file holds types
    skops does not trust by default), the second current. MLflow writes its artifacts below
    the working folder, so it runs in a temporary one."""
    folder = tmp_path_factory.mktemp("mlflow")
    before = Path.cwd()
    os.chdir(folder)
    try:
        store = model_store.MlflowModelStore(
            "adult-income", tracking_uri=f"sqlite:///{folder / 'mlflow.db'}"
        )
        versions = [
            store.register(adult_model, metrics={"roc_auc": auc}, make_current=True)
            for auc in (0.85, 0.86)
        ]
        yield store, versions
    finally:
        os.chdir(before)


def test_it_registers_versions_and_points_the_alias_at_the_current_one(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
) -> None:
    store, (first, second) = registered
    assert [v.number for v in store.versions()] == [first.number, second.number]
    assert second.number == first.number + 1
    assert store.current() == second
    assert store.previous(second) == first
    assert store.previous(first) is None
    assert store.metrics(first) == {"roc_auc": 0.85}
    assert model_store.metric_history(store, "roc_auc") == [0.85, 0.86]


def test_a_version_is_audited_against_the_readers_trusted_types(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    trusted_types: list[str],
    adult_model: Any,
    adult_xy: Any,
) -> None:
    store, (first, _) = registered
    with pytest.raises(artifacts.UntrustedArtifactError, match="TreePredictor"):
        store.load(first)  # the writer's list, stored beside the model, does not count
    _, _, X_test, _ = adult_xy
    loaded = store.load(first, trusted=trusted_types)
    assert (loaded.predict(X_test) == adult_model.predict(X_test)).all()


@pytest.fixture
def empty_tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new SQLite tracking store, with MLflow's artifacts kept in the test's own folder."""
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture(scope="module")
def linear(adult_xy: Any) -> tuple[Any, Any]:
    """A logistic regression on the numeric columns (every type in it is one skops trusts),
    and those columns."""
    from sklearn.linear_model import LogisticRegression

    X_train, y_train, _, _ = adult_xy
    numeric = X_train.select_dtypes("number")
    return LogisticRegression(max_iter=500).fit(numeric, y_train), numeric


def test_a_model_skops_trusts_loads_without_a_trusted_list(
    empty_tracking_uri: str, linear: tuple[Any, Any]
) -> None:
    model, numeric = linear
    plain = model_store.MlflowModelStore("plain", tracking_uri=empty_tracking_uri)
    version = plain.register(model)
    assert len(plain.load(version).predict(numeric.head(5))) == 5


@pytest.fixture
def drill(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    trusted_types: list[str],
    adult_xy: Any,
) -> Callable[[], CheckResult]:
    """The rollback drill on the registered store, serving 50 test rows."""
    store, _ = registered
    sample = adult_xy[2].head(50)
    return lambda: check_rollback(store, sample, trusted=trusted_types)


def test_the_rollback_drill_passes_on_mlflow_and_leaves_the_alias_where_it_was(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    drill: Callable[[], CheckResult],
) -> None:
    store, (first, second) = registered
    result = drill()
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.parameters["previous"] == first.name
    assert result.parameters["current"] == second.name
    steps = {(row[0], row[1], row[3]) for row in result.tables[0].rows}
    assert ("roll back", first.name, "ok") in steps
    assert store.current() == second


def test_the_rollback_drill_never_moves_the_models_alias_and_removes_its_own(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    drill: Callable[[], CheckResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow

    store, (first, second) = registered
    moved: list[tuple[str, str]] = []
    seen: list[str] = []  # what models:/adult-income@current resolved to at each load
    set_alias = mlflow.MlflowClient.set_registered_model_alias
    load = model_store.MlflowModelStore.load

    def recorded(self: Any, name: str, alias: str, version: Any) -> Any:
        moved.append((alias, str(version)))
        return set_alias(self, name, alias, version)

    def watched(self: Any, version: Any, trusted: Any = ()) -> Any:
        now = store.current()
        seen.append(now.name if now is not None else "none")
        return load(self, version, trusted=trusted)

    monkeypatch.setattr(mlflow.MlflowClient, "set_registered_model_alias", recorded)
    monkeypatch.setattr(model_store.MlflowModelStore, "load", watched)
    result = drill()
    assert result.outcome is Outcome.PASSED, result.reason
    assert "the real one never moved" in result.reason
    assert seen == [second.name] * 3  # serving was never handed the previous version
    assert moved
    assert all(alias.startswith("current-rollback-drill-") for alias, _ in moved)
    assert [version for _, version in moved] == [second.name, first.name, second.name]
    client = mlflow.MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    assert set(client.get_registered_model(store.model_name).aliases) == {"current"}


def test_a_live_rollback_drill_moves_the_alias_and_moves_it_back(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    trusted_types: list[str],
    adult_xy: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, (first, second) = registered
    seen: list[str] = []
    load = model_store.MlflowModelStore.load

    def watched(self: Any, version: Any, trusted: Any = ()) -> Any:
        now = store.current()
        seen.append(now.name if now is not None else "none")
        return load(self, version, trusted=trusted)

    monkeypatch.setattr(model_store.MlflowModelStore, "load", watched)
    result = check_rollback(store, adult_xy[2].head(50), trusted=trusted_types, live=True)
    assert result.outcome is Outcome.PASSED, result.reason
    assert seen == [second.name, first.name, second.name]
    assert store.current() == second


def test_the_rollback_drill_fails_when_mlflow_has_no_version_to_roll_back_to(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    drill: Callable[[], CheckResult],
) -> None:
    store, (first, second) = registered
    store.set_current(first)
    try:
        result = drill()
    finally:
        store.set_current(second)
    assert result.outcome is Outcome.FAILED
    assert f"no version before the current {first.name}" in result.reason


def test_a_version_mlflow_pickled_loads_only_when_trusted_whole(
    empty_tracking_uri: str, linear: tuple[Any, Any]
) -> None:
    import mlflow

    model, numeric = linear
    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(empty_tracking_uri)
    mlflow.set_registry_uri(empty_tracking_uri)
    try:
        with mlflow.start_run():  # as MLflow 2 logged every version, or a user asking for it
            mlflow.sklearn.log_model(
                model, name="model", registered_model_name="pickled", serialization_format="pickle"
            )
    finally:
        mlflow.set_tracking_uri(before[0])
        mlflow.set_registry_uri(before[1])
    store = model_store.MlflowModelStore("pickled", tracking_uri=empty_tracking_uri)
    (version,) = store.versions()
    with pytest.raises(artifacts.UntrustedArtifactError, match="pickle"):
        store.load(version, trusted=["sklearn.linear_model._logistic.LogisticRegression"])
    assert len(store.load(version, trusted=True).predict(numeric.head(5))) == 5


def test_the_canary_serves_a_downloaded_mlflow_model_folder_as_mlflow_serving_would(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    trusted_types: list[str],
    adult_xy: Any,
    tmp_path: Path,
) -> None:
    from mltestscore.checks.canary import check_canary
    from mltestscore.mlflow_models import download_model

    store, (_, second) = registered
    folder = download_model(second.location, tracking=store.tracking_uri, into=tmp_path)
    sample = adult_xy[2].head(50)
    refused = check_canary(folder, sample)  # skops types nobody vouched for: no process
    assert refused.outcome is Outcome.ERROR
    assert "TreePredictor" in refused.reason
    served = check_canary(folder, sample, trusted=trusted_types)
    assert served.outcome is Outcome.PASSED, served.reason
    assert served.parameters["format"] == "mlflow"
    assert served.measurements["differing_rows"] == 0
