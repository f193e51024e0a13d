"""The MLflow backend of the model registry, on a real MLflow (a SQLite tracking store in a
temporary folder): versions, the alias as the current pointer, metrics, the refusal to
unpickle without trust, and the rollback drill (infra-7) on it.

MLflow is not a dependency of mltestscore: these tests run in ``tox -e store-mlflow`` (which
CI runs too) and are skipped where mlflow is not installed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mltestscore import artifacts, model_store
from mltestscore.checks.result import Outcome
from mltestscore.checks.rollback import check_rollback

pytest.importorskip("mlflow")
pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def registered(
    tmp_path_factory: pytest.TempPathFactory, adult_xy: Any
) -> Iterator[tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]]]:
    """Two versions of a small model, the second current. MLflow writes its artifacts
    below the working folder, so it runs in a temporary one."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_train, y_train, _, _ = adult_xy
    numeric = X_train.select_dtypes("number")
    folder = tmp_path_factory.mktemp("mlflow")
    before = Path.cwd()
    os.chdir(folder)
    try:
        store = model_store.MlflowModelStore(
            "adult-income", tracking_uri=f"sqlite:///{folder / 'mlflow.db'}"
        )
        versions = [
            store.register(
                make_pipeline(StandardScaler(), LogisticRegression(C=c)).fit(numeric, y_train),
                metrics={"roc_auc": auc},
                make_current=True,
            )
            for c, auc in ((1.0, 0.85), (0.1, 0.86))
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


def test_it_loads_a_version_only_when_told_to_trust_pickles(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    adult_xy: Any,
) -> None:
    store, (first, _) = registered
    with pytest.raises(artifacts.UntrustedArtifactError, match="pickles"):
        store.load(first)
    _, _, X_test, _ = adult_xy
    numeric = X_test.select_dtypes("number").head(5)
    assert len(store.load(first, trusted=True).predict(numeric)) == 5


def test_the_rollback_drill_passes_on_mlflow_and_leaves_the_alias_where_it_was(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    adult_xy: Any,
) -> None:
    store, (first, second) = registered
    _, _, X_test, _ = adult_xy
    result = check_rollback(store, X_test.select_dtypes("number").head(50), trusted=True)
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.parameters["previous"] == first.name
    assert result.parameters["current"] == second.name
    steps = {(row[0], row[1], row[3]) for row in result.tables[0].rows}
    assert ("roll back", first.name, "ok") in steps
    assert store.current() == second


def test_the_rollback_drill_fails_when_mlflow_has_no_version_to_roll_back_to(
    registered: tuple[model_store.MlflowModelStore, list[model_store.ModelVersion]],
    adult_xy: Any,
) -> None:
    store, (first, second) = registered
    _, _, X_test, _ = adult_xy
    store.set_current(first)
    try:
        result = check_rollback(store, X_test.select_dtypes("number").head(50), trusted=True)
    finally:
        store.set_current(second)
    assert result.outcome is Outcome.FAILED
    assert f"no version before the current {first.name}" in result.reason
