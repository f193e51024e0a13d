"""Rollback (infra-7): the previous version exists, loads, serves; back and forth works."""

from __future__ import annotations

import os
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


def _watch_the_real_pointer(
    store: LocalModelStore, monkeypatch: pytest.MonkeyPatch
) -> list[str | None]:
    """What a serving process reading ``store``'s CURRENT saw each time the drill loaded a
    version."""
    seen: list[str | None] = []
    load = LocalModelStore.load

    def watched(self: LocalModelStore, version: Any, trusted: Any = ()) -> Any:
        now = store.current()
        seen.append(now.name if now is not None else None)
        return load(self, version, trusted=trusted)

    monkeypatch.setattr(LocalModelStore, "load", watched)
    return seen


def test_by_default_the_drill_never_moves_the_registrys_own_pointer(
    two_versions: LocalModelStore,
    sample: pd.DataFrame,
    trusted_types: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pointer = two_versions.root / "CURRENT"
    written = pointer.stat().st_mtime_ns, pointer.stat().st_ino
    seen = _watch_the_real_pointer(two_versions, monkeypatch)
    result = check_rollback(two_versions, sample, trusted=trusted_types).assert_ok()
    assert len(seen) == 3  # current, previous, current again
    assert seen == ["v0002", "v0002", "v0002"]  # serving never saw the previous version
    assert (pointer.stat().st_mtime_ns, pointer.stat().st_ino) == written
    assert sorted(p.name for p in two_versions.root.iterdir()) == ["CURRENT", "v0001", "v0002"]
    assert "the real one never moved" in result.reason
    assert result.parameters["store"] == repr(two_versions)


def test_a_read_only_registry_can_be_drilled(
    two_versions: LocalModelStore, sample: pd.DataFrame, trusted_types: list[str]
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only folders")
    two_versions.root.chmod(0o555)
    try:
        check_rollback(two_versions, sample, trusted=trusted_types).assert_ok()
    finally:
        two_versions.root.chmod(0o755)


def test_a_live_drill_moves_the_real_pointer_and_moves_it_back(
    two_versions: LocalModelStore,
    sample: pd.DataFrame,
    trusted_types: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _watch_the_real_pointer(two_versions, monkeypatch)
    result = check_rollback(two_versions, sample, trusted=trusted_types, live=True).assert_ok()
    assert seen == ["v0002", "v0001", "v0002"]
    assert "the live pointer" in result.reason
    current = two_versions.current()
    assert current is not None
    assert current.name == "v0002"


def test_a_live_drill_leaves_a_pointer_someone_else_moved_meanwhile(
    tmp_path: Path,
    two_versions: LocalModelStore,
    adult_model: Any,
    sample: pd.DataFrame,
    trusted_types: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    third = two_versions.register(adult_model)
    # versions 1 < 2 < 3 with 2 current; while the drill serves version 2 again, a release
    # makes version 3 current
    load = LocalModelStore.load
    calls: list[str] = []

    def releasing(self: LocalModelStore, version: Any, trusted: Any = ()) -> Any:
        calls.append(version.name)
        if len(calls) == 3:
            self.set_current(third)
        return load(self, version, trusted=trusted)

    monkeypatch.setattr(LocalModelStore, "load", releasing)
    result = check_rollback(two_versions, sample, trusted=trusted_types, live=True)
    assert result.outcome is Outcome.FAILED
    assert "moved to v0003 by someone else during the drill; left there" in result.reason
    current = two_versions.current()
    assert current is not None
    assert current.name == "v0003"


def test_a_store_without_a_rehearsal_is_drilled_live_only_when_asked(
    two_versions: LocalModelStore, sample: pd.DataFrame, trusted_types: list[str]
) -> None:
    class Plain:  # the ModelStore protocol, no rehearsal()
        def __init__(self, inner: LocalModelStore) -> None:
            self.inner = inner
            self.current = inner.current
            self.previous = inner.previous
            self.set_current = inner.set_current
            self.load = inner.load

    refused = check_rollback(Plain(two_versions), sample, trusted=trusted_types)  # type: ignore[arg-type]
    assert refused.outcome is Outcome.ERROR
    assert "pass live=True" in refused.reason
    check_rollback(Plain(two_versions), sample, trusted=trusted_types, live=True).assert_ok()  # type: ignore[arg-type]
