"""Fixtures for the infrastructure and serving checks: the Adult split as features/labels,
a saved artifact with its environment snapshot, and models with planted defects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

TARGET = "income"


@pytest.fixture(scope="session")
def adult_xy(adult_split: Any) -> tuple[Any, Any, Any, Any]:
    """(X_train, y_train, X_test, y_test) from the shared 70/30 split."""
    train, test = adult_split
    return (
        train.drop(columns=[TARGET]),
        train[TARGET].to_numpy(),
        test.drop(columns=[TARGET]),
        test[TARGET].to_numpy(),
    )


@pytest.fixture(scope="session")
def saved_artifact(tmp_path_factory: pytest.TempPathFactory, adult_model: Any) -> Path:
    """The shared Adult model saved with skops next to an environment snapshot."""
    from mltestscore import artifacts, environment

    folder = tmp_path_factory.mktemp("artifact")
    path = artifacts.save_model(adult_model, folder / "model.skops")
    environment.write_snapshot(folder)
    return path


@pytest.fixture(scope="session")
def trusted_types(saved_artifact: Path) -> list[str]:
    """The types skops does not trust by default in the Adult pipeline (reviewed: ours)."""
    from mltestscore import artifacts

    return artifacts.untrusted_types(saved_artifact)


@pytest.fixture(scope="session")
def wife_corrupted_model(adult_xy: Any, adult_pipeline_factory: Any) -> Any:
    """A candidate trained with the labels of the relationship=Wife rows flipped.

    Overall ROC AUC barely moves (the slice is 5% of the data) but on that slice the model
    is close to a coin toss: the defect only a per-slice gate catches.
    """
    X_train, y_train, _, _ = adult_xy
    flipped = y_train.copy()
    wives = (X_train["relationship"] == "Wife").to_numpy()
    flipped[wives] = 1 - flipped[wives]
    return adult_pipeline_factory().fit(X_train, flipped)


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_library() -> Any:
    """OpenMP threads fight over the 2 shared CPUs: fitting the Adult pipeline takes 0.3 s with
    one thread and 2-20 s with the default under load. Session scope, so that it is in place
    before the shared session fixtures (``adult_model``) fit; it stays until the session ends.
    """
    import sklearn.ensemble  # load the OpenMP and BLAS runtimes first: limits apply to loaded ones
    from threadpoolctl import threadpool_limits

    del sklearn
    with threadpool_limits(limits=1):
        yield
