"""monitor-6 in the generated suite: the first passing run keeps a copy of its artifact beside
the history, later runs time that baseline model beside the current one and judge them
against each other in the same run (a loaded runner slows both alike)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mltestscore import artifacts
from mltestscore.suite import baseline_model
from tests.suite.conftest import TRUSTED

SELECTION = "monitor-6"
HISTORY = "performance-history.jsonl"


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "state" / HISTORY
    path.parent.mkdir()
    path.write_text("{}\n")
    return path


def test_the_first_kept_artifact_is_a_copy_beside_the_history(project: Any, history: Path) -> None:
    kept = baseline_model.keep(history, project.model, replace=False)
    assert kept == history.parent / baseline_model.FOLDER / project.model.name
    assert kept.read_bytes() == project.model.read_bytes()
    assert baseline_model.kept_artifact(history) == kept


def test_a_kept_artifact_is_replaced_only_when_the_history_starts_again(
    project: Any, history: Path
) -> None:
    first = baseline_model.keep(history, project.model, replace=False)
    assert baseline_model.keep(history, project.pickle, replace=False) is None
    assert baseline_model.kept_artifact(history) == first
    again = baseline_model.keep(history, project.pickle, replace=True)
    assert again is not None
    assert again.name == project.pickle.name
    assert baseline_model.kept_artifact(history) == again  # the old copy is gone


def test_the_same_bytes_are_the_unchanged_model_and_other_bytes_load_as_the_baseline(
    project: Any, history: Path, tmp_path: Path
) -> None:
    baseline_model.keep(history, project.model, replace=False)
    same = baseline_model.find(history, project.model, TRUSTED)
    assert same.unchanged
    assert same.model is None
    other_path = project.registry / "v0001" / "model.skops"
    other = baseline_model.find(history, other_path, TRUSTED)
    assert not other.unchanged
    assert callable(other.model.predict)


def test_a_kept_artifact_that_does_not_load_is_said_and_not_used(
    project: Any, history: Path
) -> None:
    baseline_model.keep(history, project.pickle, replace=False)
    found = baseline_model.find(history, project.model, trusted=TRUSTED)  # pickle: not trusted
    assert found.model is None
    assert not found.unchanged
    assert "did not load" in found.why_none


def test_a_model_that_is_not_one_file_has_no_kept_baseline(history: Path) -> None:
    assert "not one file" in baseline_model.find(history, None, ()).why_none
    assert baseline_model.keep(history, None, replace=False) is None


def _performance_reason(project: Any, pytester: pytest.Pytester) -> str:
    (item,) = [i for i in project.scorecard(pytester)["items"] if i["id"] == "monitor-6"]
    (evidence,) = [e for e in item["evidence"] if e.get("check") == "check_computing_performance"]
    return str(evidence["reason"])


def _voting(model: Any, members: int, X: Any, y: Any) -> Any:
    """``members`` copies of the model voting: the same predictions for ``members`` times the
    work, in types skops trusts."""
    from sklearn.base import clone
    from sklearn.ensemble import VotingClassifier

    ensemble = VotingClassifier([(f"m{i}", clone(model)) for i in range(members)], voting="soft")
    return ensemble.fit(X, y)


def test_a_model_made_slower_is_judged_against_the_kept_baseline_in_the_same_run(
    pytester: pytest.Pytester, project: Any, adult_split: Any
) -> None:
    import pandas as pd

    model_path = pytester.path / "model.skops"
    model_path.write_bytes(project.model.read_bytes())
    keys = project.keys(model=str(model_path), registry=None)
    project.write(pytester, keys)
    first = pytester.runpytest("--mlscore", "-k", SELECTION)
    first.assert_outcomes(skipped=1)  # no baseline yet: this run becomes it
    kept = pytester.path / ".mltestscore" / baseline_model.FOLDER / "model.skops"
    assert kept.read_bytes() == model_path.read_bytes()

    unchanged = pytester.runpytest("--mlscore", "-k", SELECTION)
    unchanged.assert_outcomes(passed=1)
    assert "the model is the baseline's own artifact" in _performance_reason(project, pytester)

    train = pd.read_parquet(project.train).head(400)
    loaded = artifacts.load_model(project.model, trusted=TRUSTED).model
    slower = _voting(loaded, 3, train.drop(columns=["income"]), train["income"])
    artifacts.save_model(slower, model_path)
    trusted = artifacts.untrusted_types(model_path)
    project.write(pytester, {**keys, "model_trusted": sorted(trusted)})
    result = pytester.runpytest("--mlscore", "-k", SELECTION)
    result.assert_outcomes(failed=1)
    reason = _performance_reason(project, pytester)
    assert "the baseline's model's" in reason, reason
    assert "in this run" in reason
    assert kept.read_bytes() != model_path.read_bytes()  # a failing run keeps no copy
