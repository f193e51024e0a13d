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


# XGBoost's scikit-learn API leaves its parameters None (the library then applies its own
# defaults); the fitted booster's configuration says what was used. Parameter name in the
# scikit-learn API -> name in the booster's tree_train_param.
_XGBOOST_TRAIN_PARAMS = {
    "learning_rate": "eta",
    "max_depth": "max_depth",
    "min_child_weight": "min_child_weight",
    "subsample": "subsample",
    "colsample_bytree": "colsample_bytree",
    "reg_lambda": "lambda",
    "reg_alpha": "alpha",
}
_CATBOOST_PARAMS = ("learning_rate", "iterations", "depth", "l2_leaf_reg")


def effective_params(estimator: Any) -> dict[str, Any]:
    """The hyperparameters a fitted boosted estimator was trained with where its
    ``get_params`` does not say (XGBoost's are None until set, CatBoost's are absent until
    set): what the library chose, so a search around them starts from the truth. Empty for
    anything else, or when the library does not tell."""
    library = booster_library(estimator)
    if library is None or not callable(getattr(estimator, "get_params", None)):
        return {}
    try:
        if library == "xgboost":
            return _xgboost_params(estimator)
        if library == "catboost":
            chosen = estimator.get_all_params()
            return {k: chosen[k] for k in _CATBOOST_PARAMS if k in chosen}
    except Exception:  # unfitted, or a version that reports differently: nothing to add
        return {}
    return {}


def _xgboost_params(estimator: Any) -> dict[str, Any]:
    import json

    booster = estimator.get_booster()
    config = json.loads(booster.save_config())
    trained = config["learner"]["gradient_booster"]["tree_train_param"]
    found: dict[str, Any] = {"n_estimators": int(booster.num_boosted_rounds())}
    for name, key in _XGBOOST_TRAIN_PARAMS.items():
        if key in trained:
            value = float(trained[key])
            found[name] = int(value) if name == "max_depth" else value
    return found
