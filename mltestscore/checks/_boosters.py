"""Gradient-boosting libraries (LightGBM, XGBoost, CatBoost) as the checks see them.

Each library computes exact TreeSHAP contributions itself, on the input it was trained on
(pandas categoricals included), and says which raw score (the margin: log-odds for a binary
classifier, the prediction for a squared-error regressor) those contributions add up to.
SHAP's own TreeExplainer reads their trees too, but compares the attributions with the wrong
output for XGBoost and CatBoost classifiers (probabilities instead of margins) and cannot
take a frame of pandas categoricals, so the checks ask the library.

The library is told by the estimator's module name, so nothing here imports LightGBM,
XGBoost or CatBoost unless the model already comes from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

Library = Literal["lightgbm", "xgboost", "catboost"]
_LIBRARIES: tuple[Library, ...] = ("lightgbm", "xgboost", "catboost")


def booster_library(estimator: Any) -> Library | None:
    """Which boosting library ``estimator`` comes from (its scikit-learn API, its native
    booster or this package's wrapper of a native model file), None for anything else."""
    wrapped = getattr(estimator, "native_library", None)
    if wrapped in _LIBRARIES:
        return wrapped  # type: ignore[no-any-return]
    root = type(estimator).__module__.split(".", 1)[0]
    for library in _LIBRARIES:
        if root == library:
            return library
    return None


@dataclass(frozen=True)
class Contributions:
    """A library's own TreeSHAP: ``values`` (rows, features) or (rows, features, classes),
    ``base`` (rows,) or (rows, classes), and the raw ``outputs`` they add up to, in the
    shape of ``base``."""

    values: np.ndarray
    base: np.ndarray
    outputs: np.ndarray
    library: Library


def contributions(estimator: Any, X: Any) -> Contributions | None:
    """Exact per-feature contributions of a boosted model on ``X`` (the input its last
    step sees), or None when ``estimator`` is not from a boosting library."""
    library = booster_library(estimator)
    if library is None:
        return None
    booster = getattr(estimator, "native_booster", estimator)  # our wrappers of model files
    if library == "lightgbm":
        raw, margin = _lightgbm(booster, X)
    elif library == "xgboost":
        raw, margin = _xgboost(booster, X)
    else:
        raw, margin = _catboost(booster, X)
    return _split_bias(raw, margin, library)


def _lightgbm(booster: Any, X: Any) -> tuple[Any, Any]:
    import numpy as np

    raw = np.asarray(booster.predict(X, pred_contrib=True), dtype=float)
    margin = np.asarray(booster.predict(X, raw_score=True), dtype=float)
    if margin.ndim == 2:  # multiclass: one block of (features + bias) per class
        classes = margin.shape[1]
        raw = raw.reshape(raw.shape[0], classes, -1).transpose(0, 2, 1)
    return raw, margin


def _xgboost(booster: Any, X: Any) -> tuple[Any, Any]:
    import numpy as np
    import xgboost

    native = booster.get_booster() if hasattr(booster, "get_booster") else booster
    matrix = xgboost.DMatrix(X, enable_categorical=True)
    raw = np.asarray(native.predict(matrix, pred_contribs=True), dtype=float)
    margin = np.asarray(native.predict(matrix, output_margin=True), dtype=float)
    if raw.ndim == 3:  # (rows, classes, features + bias)
        raw = raw.transpose(0, 2, 1)
    return raw, margin


def _catboost(booster: Any, X: Any) -> tuple[Any, Any]:
    import catboost
    import numpy as np

    pool = catboost.Pool(X, cat_features=booster.get_cat_feature_indices())
    raw = np.asarray(booster.get_feature_importance(pool, type="ShapValues"), dtype=float)
    margin = np.asarray(booster.predict(pool, prediction_type="RawFormulaVal"), dtype=float)
    if raw.ndim == 3:  # (rows, classes, features + bias)
        raw = raw.transpose(0, 2, 1)
    return raw, margin


def _split_bias(raw: Any, margin: Any, library: Library) -> Contributions:
    """The last feature column of every library's output is the bias (expected value)."""
    import numpy as np

    values = raw[:, :-1, ...] if raw.ndim == 3 else raw[:, :-1]
    base = raw[:, -1, :] if raw.ndim == 3 else raw[:, -1]
    return Contributions(np.asarray(values), np.asarray(base), np.asarray(margin), library)


def margin_space(library: Library, classifier: bool) -> str:
    """What the raw score a library's contributions add up to is, in words."""
    if not classifier:
        return f"raw score of the {library} model (the prediction for squared-error losses)"
    return f"raw score of the {library} model (log-odds for binary, per-class margin otherwise)"
