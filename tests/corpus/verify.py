"""Measurements the corpus harness makes itself, beside ``pytest --mlscore``.

- **Independent verification of a finding on clean data.** When data-2 ("all features are
  beneficial") fails on a clean project, the features it names may truly bring nothing (a
  property of the real data, not a false alarm) or the check may be wrong. The harness does
  not take the check's word for it: it refits the project's own model without each named
  feature (a drop-column refit, 5-fold cross-validation on the training split, the same
  folds for both models) and compares the per-row out-of-fold loss of the two (the Brier
  score for classifiers, squared error for regressors, as data-2 judges). The finding is
  verified when the 95% interval of the mean loss change lies within plus or minus data-2's
  margin, 1% of the full model's skill (its loss gain over the class shares or the mean):
  without the feature the model is as good, within the margin. Otherwise it stays a false
  failure, and the table says why.
- **The target-leakage screen** (:mod:`mltestscore.checks.leakage`, beyond the paper) on the
  training split of every clean project and of the leakage variant, reported in a section of
  its own that credits no rubric item.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tests.corpus.projects import Project, build_model

DATA_2 = "mlscore::data-2::importance"
FOLDS = 5
CONFIDENCE = 0.95
NEGLIGIBLE_SHARE = 0.01  # data-2's default margin: 1% of the model's skill
_NAMED = re.compile(r"(?:^|\), )(.+?) \(\w+ rise ")


def features_named(reason: str) -> list[str]:
    """The features a failed data-2 item names ("... skill (...): race (brier rise ...)")."""
    _, _, listed = reason.partition("): ")
    return _NAMED.findall(listed)


@dataclass(frozen=True)
class DropColumn:
    """The project's model refit without one feature, cross-validated."""

    feature: str
    loss: str
    change: float  # mean per-row loss without the feature minus with it
    lower: float
    upper: float
    margin: float  # NEGLIGIBLE_SHARE of the full model's skill
    rows: int

    @property
    def verified(self) -> bool:
        return -self.margin < self.lower and self.upper < self.margin

    def describe(self) -> str:
        verdict = "within" if self.verified else "not within"
        return (
            f"drop-column refit without `{self.feature}` ({FOLDS}-fold CV, {self.rows:,} "
            f"rows): {self.loss} change {self.change:+.5f} (95% CI {self.lower:+.5f} to "
            f"{self.upper:+.5f}), {verdict} ±{self.margin:.5f} (1% of the model's skill)"
        )


def _row_losses(spec: Project, model: Any, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    if spec.task == "regression":
        return np.asarray((model.predict(X) - y) ** 2, dtype=np.float64)
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    index = {label: i for i, label in enumerate(model.classes_)}
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(y)), [index[label] for label in y]] = 1.0
    return np.asarray(((proba - onehot) ** 2).sum(axis=1), dtype=np.float64)


def _null_loss(spec: Project, y: np.ndarray) -> float:
    if spec.task == "regression":
        return float(np.var(y.astype(np.float64)))
    _, counts = np.unique(y, return_counts=True)
    shares = counts / counts.sum()
    return float(1.0 - (shares**2).sum())


def drop_column(spec: Project, train: pd.DataFrame, feature: str, seed: int = 0) -> DropColumn:
    """The project's model with and without ``feature`` on the same folds of ``train``."""
    from scipy.stats import t
    from sklearn.model_selection import KFold, StratifiedKFold

    numeric = [c for c in spec.numeric if c != feature]
    categorical = [c for c in spec.categorical if c != feature]
    X, y = train[spec.features], train[spec.target].to_numpy()
    splitter: Any = (
        KFold(FOLDS, shuffle=True, random_state=seed)
        if spec.task == "regression"
        else StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    )
    full = np.empty(len(y))
    reduced = np.empty(len(y))
    for fit_rows, held_out in splitter.split(X, y):
        with_it = build_model(spec, seed).fit(X.iloc[fit_rows], y[fit_rows])
        without = build_model(spec, seed, numeric=numeric, categorical=categorical)
        without.fit(X.iloc[fit_rows][[*numeric, *categorical]], y[fit_rows])
        full[held_out] = _row_losses(spec, with_it, X.iloc[held_out], y[held_out])
        reduced[held_out] = _row_losses(
            spec, without, X.iloc[held_out][[*numeric, *categorical]], y[held_out]
        )
    difference = reduced - full
    mean = float(difference.mean())
    half = float(t.ppf(0.5 + CONFIDENCE / 2, len(y) - 1)) * float(
        difference.std(ddof=1) / math.sqrt(len(y))
    )
    margin = NEGLIGIBLE_SHARE * (_null_loss(spec, y) - float(full.mean()))
    loss = "squared error" if spec.task == "regression" else "Brier"
    return DropColumn(feature, loss, mean, mean - half, mean + half, margin, len(y))


def verify_data_2(spec: Project, train: pd.DataFrame, reason: str) -> tuple[bool, str]:
    """(verified, evidence) for a failed data-2 item on a clean project: every feature it
    names must pass the drop-column refit."""
    named = [f for f in features_named(reason) if f in spec.features]
    if not named:
        return False, f"no feature of the project named in the reason: {reason[:120]}"
    checks = [drop_column(spec, train, feature) for feature in named]
    return all(c.verified for c in checks), "; ".join(c.describe() for c in checks)


def leakage_screen(spec: Project, train: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    """The target-leakage screen (beyond the paper) on a training split, as plain data for
    the saved result: the best feature and the next best with their skill, the flagged."""
    from mltestscore.checks.leakage import measure_single_feature_skill

    screen = measure_single_feature_skill(train[features], train[spec.target], task=spec.task)
    best, rest = screen.skills[0], screen.skills[1:]
    return {
        "rows": screen.rows,
        "best_feature": best.feature,
        "best_skill": round(best.skill, 4),
        "best_lower": round(best.lower, 4),
        "next_feature": rest[0].feature if rest else "",
        "next_skill": round(rest[0].skill, 4) if rest else None,
        "flagged": [s.feature for s in screen.flagged],
        "threshold": screen.threshold,
    }
