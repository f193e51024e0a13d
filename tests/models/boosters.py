"""What a careful user writes around a gradient-boosting library: a first Pipeline step that
casts the text columns to pandas categoricals (LightGBM, XGBoost) or fills their missing
values (CatBoost takes text categories but refuses NaN in them), then the library's own
scikit-learn estimator with its native categorical handling.

Importable by the projects the suite tests load (``model = "tests.models.boosters:..."``),
so it stays free of test-only imports.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

LIBRARIES = ("lightgbm", "xgboost", "catboost")
TASKS = ("binary", "multiclass", "regression")


def text_columns(X: pd.DataFrame) -> list[str]:
    return [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]


class ToCategorical(TransformerMixin, BaseEstimator):
    """Text columns as pandas categoricals with the categories seen in training."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> ToCategorical:
        self.categories_ = {c: sorted(X[c].dropna().unique()) for c in text_columns(X)}
        self.feature_names_in_ = list(X.columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for column, categories in self.categories_.items():
            known = X[column].where(X[column].isin(categories))
            X[column] = pd.Categorical(known, categories=categories)
        return X

    def get_feature_names_out(self, input_features: Any = None) -> list[str]:
        return list(self.feature_names_in_)


class FillMissingText(TransformerMixin, BaseEstimator):
    """Missing text values as the category "missing" (CatBoost refuses NaN categories)."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> FillMissingText:
        self.text_ = text_columns(X)
        self.feature_names_in_ = list(X.columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for column in self.text_:
            X[column] = X[column].astype(object).where(X[column].notna(), "missing").astype(str)
        return X

    def get_feature_names_out(self, input_features: Any = None) -> list[str]:
        return list(self.feature_names_in_)


def estimator(library: str, task: str, **params: Any) -> Any:
    """A small, single-threaded estimator of ``library`` for ``task``."""
    regression = task == "regression"
    if library == "lightgbm":
        import lightgbm

        cls = lightgbm.LGBMRegressor if regression else lightgbm.LGBMClassifier
        return cls(n_estimators=40, num_leaves=15, n_jobs=1, verbose=-1, **params)
    if library == "xgboost":
        import xgboost

        cls = xgboost.XGBRegressor if regression else xgboost.XGBClassifier
        return cls(
            n_estimators=40,
            max_depth=4,
            enable_categorical=True,
            tree_method="hist",
            n_jobs=1,
            **params,
        )
    import catboost

    cls = catboost.CatBoostRegressor if regression else catboost.CatBoostClassifier
    return cls(
        iterations=40, depth=4, verbose=0, thread_count=1, allow_writing_files=False, **params
    )


def pipeline(library: str, task: str, X: pd.DataFrame, **params: Any) -> Pipeline:
    """The unfitted Pipeline a user writes for ``library`` on the columns of ``X``."""
    model = estimator(library, task, **params)
    if library == "catboost":
        model.set_params(cat_features=text_columns(X))
        return Pipeline([("fill", FillMissingText()), ("model", model)])
    return Pipeline([("cast", ToCategorical()), ("model", model)])


def adult_task(adult: pd.DataFrame, task: str) -> tuple[pd.DataFrame, pd.Series]:
    """(X, y) of the Adult sample for a task: income (0/1), three bands of weekly hours
    (0, 1, 2: under 35, 35-45, over 45) or age (a regression)."""
    if task == "binary":
        return adult.drop(columns=["income"]), adult["income"]
    if task == "multiclass":
        bands = pd.cut(adult["hours-per-week"], [0, 34, 45, 200], labels=False)
        return adult.drop(columns=["income", "hours-per-week"]), bands.astype("int64")
    return adult.drop(columns=["income", "age"]), adult["age"].astype(float)
