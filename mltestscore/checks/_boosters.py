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
    prepare = getattr(estimator, "native_input", None)
    if callable(prepare):
        X = prepare(X)
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


# -- native model files ---------------------------------------------------------------------

_LIGHTGBM_BINARY = frozenset({"binary"})
_LIGHTGBM_MULTICLASS = frozenset(
    {"multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"}
)
_CATBOOST_BINARY = frozenset({"Logloss", "CrossEntropy"})
_CATBOOST_MULTICLASS = frozenset({"MultiClass", "MultiClassOneVsAll"})


class NativeModel:
    """A booster loaded from its library's own file, seen as the checks see a scikit-learn
    model: ``predict`` (the prediction of a regressor, class labels of a classifier) and,
    for a classifier, ``predict_proba`` in :class:`NativeClassifier`; ``feature_names_in_``
    when the file keeps the names. Text columns of a frame become pandas categoricals for
    LightGBM and XGBoost, which map them by name onto the categories kept in the file.
    It cannot be refit: the file holds the trees, not the estimator that grew them."""

    def __init__(
        self,
        booster: Any,
        library: Library,
        objective: str,
        feature_names: list[str] | None,
    ) -> None:
        import numpy as np

        self.native_booster = booster
        self.native_library: Library = library
        self.objective = objective
        # XGBoost 3.1+ keeps each categorical column's training categories in the file and
        # refuses any other: values it never saw are passed on as missing, as LightGBM does
        self.categories: dict[str, list[Any]] = (
            _xgboost_categories(booster) if library == "xgboost" else {}
        )
        if feature_names:
            self.feature_names_in_ = np.asarray(feature_names, dtype=object)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.native_library}, objective={self.objective!r})"

    def native_input(self, X: Any) -> Any:
        """``X`` as the library takes it: text columns as categoricals (LightGBM, XGBoost)."""
        import pandas as pd

        if self.native_library == "catboost" or not isinstance(X, pd.DataFrame):
            return X
        cast: dict[str, Any] = {}
        for column in X.columns:
            values = X[column]
            known = self.categories.get(str(column))
            if known is not None:
                cast[str(column)] = pd.Categorical(values.where(values.isin(known)), known)
            elif not pd.api.types.is_numeric_dtype(values) and not isinstance(
                values.dtype, pd.CategoricalDtype
            ):
                cast[str(column)] = values.astype("category")
        return X.assign(**cast) if cast else X

    def output(self, X: Any) -> Any:
        """What the library predicts: probabilities for a classifier, else the prediction."""
        import numpy as np

        data = self.native_input(X)
        booster = self.native_booster
        if self.native_library == "lightgbm":
            return np.asarray(booster.predict(data))
        if self.native_library == "xgboost":
            import xgboost

            return np.asarray(booster.predict(xgboost.DMatrix(data, enable_categorical=True)))
        kind = "Probability" if isinstance(self, NativeClassifier) else "RawFormulaVal"
        return np.asarray(booster.predict(data, prediction_type=kind))

    def predict(self, X: Any) -> Any:
        import numpy as np

        output = np.asarray(self.output(X))
        return output.reshape(-1) if output.ndim == 2 and output.shape[1] == 1 else output


class NativeClassifier(NativeModel):
    """A native booster whose objective gives class probabilities."""

    def __init__(
        self,
        booster: Any,
        library: Library,
        objective: str,
        feature_names: list[str] | None,
        classes: Any,
    ) -> None:
        import numpy as np

        super().__init__(booster, library, objective, feature_names)
        self.classes_ = np.asarray(classes)

    def predict_proba(self, X: Any) -> Any:
        import numpy as np

        output = np.asarray(self.output(X), dtype=float)
        if output.ndim == 1:  # the probability of the second class
            return np.column_stack([1.0 - output, output])
        return output

    def predict(self, X: Any) -> Any:
        import numpy as np

        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _xgboost_categories(booster: Any) -> dict[str, list[Any]]:
    """The categories of each categorical column kept in an XGBoost model (3.1 and later;
    nothing from earlier versions, which keep only the codes)."""
    try:
        exported = booster.get_categories(export_to_arrow=True).to_arrow()
    except Exception:
        return {}
    return {str(name): list(values.to_pylist()) for name, values in exported if values is not None}


def load_native(path: Any, library: Library) -> NativeModel:
    """The booster in ``path`` (LightGBM text, XGBoost JSON/UBJSON, CatBoost .cbm) wrapped
    as a :class:`NativeModel`. These formats hold trees and numbers only: loading one runs no
    code from the file."""
    if library == "lightgbm":
        return _load_lightgbm(path)
    if library == "xgboost":
        return _load_xgboost(path)
    return _load_catboost(path)


def _load_lightgbm(path: Any) -> NativeModel:
    import lightgbm
    import numpy as np

    booster = lightgbm.Booster(model_file=str(path))
    objective = str(booster.params.get("objective", "")).split()[0] if booster.params else ""
    named = [str(n) for n in booster.feature_name()]
    # trained on an array, LightGBM makes up Column_0, Column_1...: not names to check input by
    unnamed = all(n == f"Column_{i}" for i, n in enumerate(named))
    names = None if unnamed else named
    if objective in _LIGHTGBM_BINARY:
        return NativeClassifier(booster, "lightgbm", objective, names, [0, 1])
    if objective in _LIGHTGBM_MULTICLASS:
        classes = np.arange(booster.num_model_per_iteration())
        return NativeClassifier(booster, "lightgbm", objective, names, classes)
    return NativeModel(booster, "lightgbm", objective, names)


def _load_xgboost(path: Any) -> NativeModel:
    import json

    import numpy as np
    import xgboost

    booster = xgboost.Booster(model_file=str(path))
    learner = json.loads(booster.save_config())["learner"]
    objective = str(learner["objective"]["name"])
    names = [str(n) for n in booster.feature_names] if booster.feature_names else None
    if objective == "binary:logistic":
        return NativeClassifier(booster, "xgboost", objective, names, [0, 1])
    if objective == "multi:softprob":
        classes = np.arange(int(learner["learner_model_param"]["num_class"]))
        return NativeClassifier(booster, "xgboost", objective, names, classes)
    return NativeModel(booster, "xgboost", objective, names)


def _load_catboost(path: Any) -> NativeModel:
    import catboost
    import numpy as np

    booster = catboost.CatBoost().load_model(str(path))
    objective = str(booster.get_all_params().get("loss_function", "")).split(":")[0]
    names = [str(n) for n in booster.feature_names_] if booster.feature_names_ else None
    if objective in _CATBOOST_BINARY | _CATBOOST_MULTICLASS:
        classes = getattr(booster, "classes_", None)
        if classes is None or len(classes) == 0:
            classes = np.arange(2 if objective in _CATBOOST_BINARY else 0)
        return NativeClassifier(booster, "catboost", objective, names, classes)
    return NativeModel(booster, "catboost", objective, names)
