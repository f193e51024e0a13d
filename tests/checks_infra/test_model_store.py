"""The local model registry: versioned folders and an atomically switched CURRENT pointer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mltestscore import model_store


@pytest.fixture
def store(tmp_path: Path) -> model_store.LocalModelStore:
    return model_store.LocalModelStore(tmp_path / "registry")


def test_it_stores_each_version_with_model_environment_and_metrics(
    store: model_store.LocalModelStore, adult_model: Any
) -> None:
    first = store.register(adult_model, metrics={"roc_auc": 0.90}, make_current=True)
    second = store.register(adult_model, metrics={"roc_auc": 0.91})
    assert [v.name for v in store.versions()] == ["v0001", "v0002"]
    folder = Path(second.location)
    assert {p.name for p in folder.iterdir()} == {"model.skops", "environment.json", "metrics.json"}
    assert json.loads((folder / "metrics.json").read_text()) == {"roc_auc": 0.91}
    assert store.current() == first
    assert store.previous(second) == first
    assert store.previous(first) is None


def test_it_switches_the_current_pointer_by_replacing_one_file(
    store: model_store.LocalModelStore, adult_model: Any
) -> None:
    first = store.register(adult_model, make_current=True)
    second = store.register(adult_model)
    store.set_current(second)
    assert (store.root / "CURRENT").read_text().strip() == "v0002"
    assert not list(store.root.glob(".CURRENT*"))  # no temporary file left behind
    store.set_current(first)
    assert store.current() == first


def test_it_ignores_half_written_version_folders(
    store: model_store.LocalModelStore, adult_model: Any
) -> None:
    store.register(adult_model)
    (store.root / "v0002").mkdir()  # a crash before the model file arrived
    assert [v.name for v in store.versions()] == ["v0001"]


def test_it_refuses_to_point_current_at_a_version_without_a_model(
    store: model_store.LocalModelStore,
) -> None:
    ghost = model_store.ModelVersion("v0007", 7, str(store.root / "v0007"))
    store.root.mkdir(parents=True)
    with pytest.raises(model_store.ModelStoreError, match="v0007"):
        store.set_current(ghost)


def test_it_reads_the_metric_history_oldest_first(
    store: model_store.LocalModelStore, adult_model: Any
) -> None:
    for value in (0.88, 0.90, 0.89):
        store.register(adult_model, metrics={"roc_auc": value})
    store.register(adult_model, metrics={"accuracy": 0.8})
    assert model_store.metric_history(store, "roc_auc") == [0.88, 0.90, 0.89]
    assert model_store.metric_history(store, "roc_auc", last=2) == [0.90, 0.89]


def test_it_rejects_a_corrupt_current_pointer(store: model_store.LocalModelStore) -> None:
    store.root.mkdir(parents=True)
    (store.root / "CURRENT").write_text("latest")
    with pytest.raises(model_store.ModelStoreError, match="does not name a version"):
        store.current()


def test_the_mlflow_backend_says_mlflow_is_missing() -> None:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("mlflow is installed here")
    with pytest.raises(model_store.ModelStoreError, match="needs mlflow"):
        model_store.MlflowModelStore("adult")


def test_a_failed_registration_leaves_no_trace(store: model_store.LocalModelStore) -> None:
    class Unsaveable:
        def __reduce__(self) -> Any:
            raise TypeError("cannot persist this")

    with pytest.raises(TypeError, match="cannot persist this"):
        store.register(Unsaveable())
    assert store.versions() == []
    assert [p.name for p in store.root.iterdir()] == []
