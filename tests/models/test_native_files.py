"""Boosters in their own file formats (XGBoost .ubj/.json, LightGBM .txt, CatBoost .cbm) load
by path without a trust list and answer as the estimator that wrote them did, on the raw
frame: the file keeps the feature names and (LightGBM, XGBoost) the categories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mltestscore import artifacts
from mltestscore.checks.explain import check_single_example_explanation

SUFFIX = {"lightgbm": ".txt", "xgboost": ".ubj", "catboost": ".cbm"}


def save_native(estimator: Any, library: str, path: Path) -> Path:
    if library == "lightgbm":
        estimator.booster_.save_model(str(path))
    elif library == "xgboost":
        estimator.get_booster().save_model(str(path))
    else:
        estimator.save_model(str(path))
    return path


@pytest.fixture
def native(fitted: Any, library: str, tmp_path: Path) -> tuple[Any, Any, Any]:
    """(the loaded file, the fitted pipeline, the held-out rows as the file takes them)."""
    model, X, _ = fitted
    path = save_native(model[-1], library, tmp_path / f"model{SUFFIX[library]}")
    loaded = artifacts.load_model(path)  # no trusted=...: no code runs from these files
    assert loaded.format == library
    assert not loaded.trusted_by_caller
    # CatBoost keeps no rule for missing text values: the project fills them itself
    rows = model[:-1].transform(X) if library == "catboost" else X
    return loaded.model, model, rows


def test_a_native_file_predicts_as_the_estimator_that_wrote_it(
    native: tuple[Any, Any, Any], fitted: Any, task: str
) -> None:
    loaded, model, rows = native
    _, X, _ = fitted
    if task == "regression":
        np.testing.assert_allclose(loaded.predict(rows), model.predict(X), rtol=1e-5)
        assert not hasattr(loaded, "predict_proba")
    else:
        np.testing.assert_allclose(loaded.predict_proba(rows), model.predict_proba(X), atol=1e-6)
        assert (
            np.asarray(loaded.predict(rows)).ravel() == np.asarray(model.predict(X)).ravel()
        ).all()


def test_a_native_file_keeps_the_feature_names(native: tuple[Any, Any, Any]) -> None:
    loaded, _, rows = native
    assert list(loaded.feature_names_in_) == list(rows.columns)


def test_a_native_file_is_explained_by_its_library(native: tuple[Any, Any, Any]) -> None:
    loaded, _, rows = native
    result = check_single_example_explanation(loaded, rows, 0, sample_size=50)
    result.assert_ok()
    assert result.measurements["explainer"] == "tree"


def test_a_json_model_of_xgboost_loads_too(fitted: Any, library: str, tmp_path: Path) -> None:
    if library != "xgboost":
        pytest.skip("the .json suffix is XGBoost's")
    model, X, _ = fitted
    path = save_native(model[-1], library, tmp_path / "model.json")
    loaded = artifacts.load_model(path).model
    np.testing.assert_allclose(
        np.asarray(loaded.predict(X), dtype=float), np.asarray(model.predict(X), dtype=float)
    )


def test_a_file_that_is_not_a_model_is_an_artifact_error(tmp_path: Path) -> None:
    pytest.importorskip("lightgbm")
    path = tmp_path / "notes.txt"
    path.write_text("not a model\n")
    with pytest.raises(artifacts.ArtifactError, match=r"notes\.txt: lightgbm could not load it"):
        artifacts.load_model(path)
