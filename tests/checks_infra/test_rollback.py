"""Rollback (infra-7): the previous version exists, loads, serves; back and forth works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mltestscore.checks.result import Outcome
from mltestscore.checks.rollback import check_rollback
from mltestscore.model_store import LocalModelStore


@pytest.fixture(scope="module")
def sample(adult_xy: Any) -> pd.DataFrame:
    return adult_xy[2].head(100)


@pytest.fixture
def two_versions(tmp_path: Path, adult_model: Any, wife_corrupted_model: Any) -> LocalModelStore:
    store = LocalModelStore(tmp_path / "registry")
    store.register(wife_corrupted_model, metrics={"roc_auc": 0.89})
    store.register(adult_model, metrics={"roc_auc": 0.90}, make_current=True)
    return store


def test_it_rolls_back_to_the_previous_version_and_forward_again(
    two_versions: LocalModelStore, sample: pd.DataFrame, trusted_types: list[str]
) -> None:
    result = check_rollback(two_versions, sample, trusted=trusted_types).assert_ok()
    assert [row[0] for row in result.tables[0].rows] == [
        "serve current",
        "roll back",
        "roll forward",
    ]
    assert result.parameters["previous"] == "v0001"
    assert result.measurements["rollback_seconds"] >= 0
    current = two_versions.current()
    assert current is not None
    assert current.name == "v0002"


def test_it_fails_when_the_registry_has_no_previous_version(
    tmp_path: Path, adult_model: Any, sample: pd.DataFrame, trusted_types: list[str]
) -> None:
    store = LocalModelStore(tmp_path / "registry")
    store.register(adult_model, make_current=True)
    result = check_rollback(store, sample, trusted=trusted_types)
    assert result.outcome is Outcome.FAILED
    assert "no version before the current v0001" in result.reason


def test_it_fails_when_nothing_is_current(tmp_path: Path, sample: pd.DataFrame) -> None:
    result = check_rollback(LocalModelStore(tmp_path / "empty"), sample)
    assert result.outcome is Outcome.FAILED
    assert "no current version" in result.reason


def test_it_fails_when_the_previous_version_no_longer_loads_and_restores_the_pointer(
    two_versions: LocalModelStore, sample: pd.DataFrame, trusted_types: list[str]
) -> None:
    (Path(two_versions.versions()[0].location) / "model.skops").write_bytes(b"truncated")
    result = check_rollback(two_versions, sample, trusted=trusted_types)
    assert result.outcome is Outcome.FAILED
    assert "roll back: version v0001 does not serve" in result.reason
    assert [row[3] for row in result.tables[0].rows] == ["ok", "failed", "not run"]
    current = two_versions.current()
    assert current is not None
    assert current.name == "v0002"  # never left rolled back


def test_it_refuses_untrusted_types_in_the_previous_version(
    two_versions: LocalModelStore, sample: pd.DataFrame
) -> None:
    result = check_rollback(two_versions, sample)
    assert result.outcome is Outcome.FAILED
    assert "untrusted type" in result.reason


def test_it_enforces_a_time_limit(
    two_versions: LocalModelStore, sample: pd.DataFrame, trusted_types: list[str]
) -> None:
    result = check_rollback(two_versions, sample, trusted=trusted_types, max_seconds=0.0)
    assert result.outcome is Outcome.FAILED
    assert "limit 0.0s" in result.reason


def test_it_names_the_bad_input(two_versions: LocalModelStore, sample: pd.DataFrame) -> None:
    not_a_store = check_rollback("models/", sample)  # type: ignore[arg-type]
    assert not_a_store.outcome is Outcome.ERROR
    assert "store" in not_a_store.reason
    empty = check_rollback(two_versions, pd.DataFrame())
    assert empty.outcome is Outcome.ERROR
    assert "X_sample" in empty.reason
