"""The checks together, as a release pipeline would run them on a model registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mltestscore.checks._models import predict_proba, score
from mltestscore.checks.result import Outcome
from mltestscore.checks.rollback import check_rollback
from mltestscore.checks.serving_gate import check_serving_gate
from mltestscore.model_store import LocalModelStore, metric_history


def test_a_release_is_gated_on_the_registry_history_and_can_be_rolled_back(
    tmp_path: Path,
    adult_model: Any,
    wife_corrupted_model: Any,
    adult_xy: Any,
    trusted_types: list[str],
) -> None:
    _, _, X_test, y_test = adult_xy
    store = LocalModelStore(tmp_path / "registry")
    auc = score("roc_auc", y_test, None, predict_proba(adult_model, X_test))
    store.register(adult_model, metrics={"roc_auc": auc}, make_current=True)

    current = store.current()
    assert current is not None
    production = store.load(current, trusted=trusted_types)
    gate = check_serving_gate(
        wife_corrupted_model,
        production,
        X_test,
        y_test,
        slice_columns=["relationship"],
        recorded_metrics=metric_history(store, "roc_auc"),
    )
    assert gate.outcome is Outcome.FAILED  # the corrupted candidate never reaches the registry
    assert gate.parameters["recorded_versions"] == 1

    no_rollback_yet = check_rollback(store, X_test.head(50), trusted=trusted_types)
    assert no_rollback_yet.outcome is Outcome.FAILED

    retrained = store.register(adult_model, metrics={"roc_auc": auc}, make_current=True)
    assert store.current() == retrained
    check_rollback(store, X_test.head(50), trusted=trusted_types).assert_ok()
