"""Target leakage in the training data: a feature that on its own predicts the label.

**Beyond the paper.** No item of the ML Test Score asks for this: data-2 asks whether each
feature helps (a leaked label helps enormously), monitor-3 and monitor-7 see a leak only once
it is served (a column the label was copied into cannot be known at serving time, so it
differs there, and quality drops when the model leans on it). This screen looks at the
training data alone, before anything is served. It evidences no rubric item and earns no
credit: its result carries no rubric id, it is not in the check registry, and every report
of it says "beyond the paper".

The measurement: each feature alone, cross-validated, predicting the label with a small
decision tree (any monotone or not mapping of one column, missing values as their own
branch; categories as codes). Its skill is one minus the per-row loss over the loss of
knowing nothing (the Brier score of the class shares for classification, the variance for
regression): 1 is a perfect copy of the label, 0 no information. A feature is flagged when
the lower confidence bound of its skill (over the rows, Bonferroni over the features)
reaches ``threshold``. Every other feature's skill is reported beside it: a leak stands far
above the rest, but the rule does not require it, since two copies of the label would then
hide each other. The default threshold, 0.95, is measured on the corpus's six clean projects
(docs/corpus.md): no real feature comes near it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks._inputs import require_frame, require_labels, sample_frame
from mltestscore.checks.registry import CheckInputError
from mltestscore.checks.result import CheckResult, Table, fmt

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    FloatArray = npt.NDArray[np.float64]

NAME = "screen_target_leakage"
BEYOND_THE_PAPER = "beyond the paper (target leakage is in no rubric item; earns no credit)"
DEFAULT_THRESHOLD = 0.95
MIN_ROWS = 30  # fewer rows than this cannot cross-validate a tree on one column
MAX_LEAF_NODES = 32  # enough leaves to isolate a class code's values or a dozen categories


@dataclass(frozen=True)
class FeatureSkill:
    """One feature alone, cross-validated: its skill and the interval's lower bound."""

    feature: str
    skill: float
    lower: float


@dataclass(frozen=True)
class LeakageScreen:
    """Every feature's single-feature skill, best first, and the rule that judged them."""

    skills: tuple[FeatureSkill, ...]
    task: str
    loss: str  # "brier" or "squared_error"
    rows: int
    folds: int
    threshold: float
    confidence: float

    @property
    def flagged(self) -> tuple[FeatureSkill, ...]:
        return tuple(s for s in self.skills if s.lower >= self.threshold)

    @property
    def best(self) -> FeatureSkill:
        return self.skills[0]


def _task(y: Any, task: str | None) -> str:
    from mltestscore.checks._models import task_of

    return str(task_of(y, None, task))


def _encoded(column: pd.Series) -> FloatArray:
    """The column as numbers for a tree: numbers as they are, booleans as 0/1, anything else
    as category codes (missing stays missing)."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(column.dtype):
        return np.asarray(column.astype("float64").to_numpy(), dtype=np.float64)
    if pd.api.types.is_numeric_dtype(column.dtype):
        return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        stamps = column.astype("int64").to_numpy(dtype=np.float64)
        stamps[column.isna().to_numpy()] = np.nan
        return np.asarray(stamps, dtype=np.float64)
    codes = column.astype("category").cat.codes.to_numpy().astype(np.float64)
    codes[codes < 0] = np.nan
    return np.asarray(codes, dtype=np.float64)


def _row_losses(values: FloatArray, y: Any, task: str, folds: int, seed: int) -> FloatArray:
    """Each row's out-of-fold loss of a small tree on this one column."""
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    X = values.reshape(-1, 1)
    leaf = max(5, len(values) // 200)
    losses = np.empty(len(values), dtype=np.float64)
    if task == "regression":
        target = np.asarray(y, dtype=np.float64)
        for train, test in KFold(folds, shuffle=True, random_state=seed).split(X):
            tree = DecisionTreeRegressor(
                max_leaf_nodes=MAX_LEAF_NODES, min_samples_leaf=leaf, random_state=seed
            )
            tree.fit(X[train], target[train])
            losses[test] = (tree.predict(X[test]) - target[test]) ** 2
        return losses
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    smallest = int(np.bincount(codes).min())
    splitter: Any = (
        StratifiedKFold(folds, shuffle=True, random_state=seed)
        if smallest >= folds
        else KFold(folds, shuffle=True, random_state=seed)
    )
    for train, test in splitter.split(X, codes):
        tree = DecisionTreeClassifier(
            max_leaf_nodes=MAX_LEAF_NODES, min_samples_leaf=leaf, random_state=seed
        )
        tree.fit(X[train], codes[train])
        proba = np.zeros((len(test), len(classes)))
        proba[:, tree.classes_] = tree.predict_proba(X[test])
        onehot = np.zeros_like(proba)
        onehot[np.arange(len(test)), codes[test]] = 1.0
        losses[test] = ((proba - onehot) ** 2).sum(axis=1)
    return losses


def _null_loss(y: Any, task: str) -> float:
    import numpy as np

    if task == "regression":
        return float(np.var(np.asarray(y, dtype=np.float64)))
    _, counts = np.unique(np.asarray(y), return_counts=True)
    shares = counts / counts.sum()
    return float(1.0 - (shares**2).sum())


def measure_single_feature_skill(
    X: pd.DataFrame,
    y: Any,
    *,
    task: str | None = None,
    features: Sequence[str] | None = None,
    folds: int = 5,
    threshold: float = DEFAULT_THRESHOLD,
    confidence: float = 0.95,
    sample_size: int | None = 5000,
    seed: int = 0,
) -> LeakageScreen:
    """Each feature's cross-validated skill alone (see the module's docstring); raises
    :class:`CheckInputError` naming the argument on unusable input."""
    from scipy.stats import t

    X = require_frame(X, "X", min_rows=MIN_ROWS)
    y = require_labels(y, len(X))
    if not 2 <= folds <= MIN_ROWS // 3:
        raise CheckInputError("folds", f"must be from 2 to {MIN_ROWS // 3}, got {folds}")
    if not 0 < threshold <= 1:
        raise CheckInputError("threshold", f"must be in (0, 1], got {threshold}")
    if not 0.5 <= confidence < 1:
        raise CheckInputError("confidence", f"must be in [0.5, 1), got {confidence}")
    columns = [str(c) for c in X.columns] if features is None else list(features)
    unknown = [c for c in columns if c not in X.columns]
    if unknown:
        raise CheckInputError("features", f"not columns of X: {unknown[:10]}")
    if not columns:
        raise CheckInputError("features", "no features to screen")
    X, y = sample_frame(X, y, sample_size, seed)
    kind = _task(y, task)
    null = _null_loss(y, kind)
    if null <= 0:
        raise CheckInputError("y", "the labels do not vary: there is nothing to predict")
    z = float(t.ppf(1 - (1 - confidence) / len(columns), df=max(len(y) - 1, 1)))
    skills = []
    for column in columns:
        losses = _row_losses(_encoded(X[column]), y, kind, folds, seed)
        mean = float(losses.mean())
        se = float(losses.std(ddof=1) / math.sqrt(len(losses)))
        skills.append(FeatureSkill(column, 1.0 - mean / null, 1.0 - (mean + z * se) / null))
    skills.sort(key=lambda s: (-s.skill, s.feature))
    return LeakageScreen(
        tuple(skills),
        kind,
        "squared_error" if kind == "regression" else "brier",
        len(y),
        folds,
        threshold,
        confidence,
    )


def judge_leakage(screen: LeakageScreen) -> tuple[bool, str]:
    """(no feature flagged, the one-line reason)."""
    flagged = screen.flagged
    rest = [s for s in screen.skills if s not in flagged]
    next_best = f"; the best other feature, {rest[0].feature}, {fmt(rest[0].skill)}" if rest else ""
    if flagged:
        listed = ", ".join(
            f"{s.feature} (skill {fmt(s.skill)}, lower bound {fmt(s.lower)})" for s in flagged[:5]
        )
        return False, (
            f"{BEYOND_THE_PAPER}: {len(flagged)} of {len(screen.skills)} features alone "
            f"predict the label near-perfectly (lower bound of the cross-validated skill at "
            f"least {fmt(screen.threshold)}): {listed}{next_best}; a feature that copies the "
            "label cannot be known at serving time"
        )
    best = screen.best
    return True, (
        f"{BEYOND_THE_PAPER}: no feature alone predicts the label near-perfectly; the best, "
        f"{best.feature}, has a cross-validated skill of {fmt(best.skill)} (lower bound "
        f"{fmt(best.lower)} < {fmt(screen.threshold)}) on {screen.rows} rows"
    )


def screen_target_leakage(
    X: Any,
    y: Any,
    *,
    task: str | None = None,
    features: Sequence[str] | None = None,
    folds: int = 5,
    threshold: float = DEFAULT_THRESHOLD,
    confidence: float = 0.95,
    sample_size: int | None = 5000,
    seed: int = 0,
) -> CheckResult:
    """The screen as a :class:`CheckResult` with no rubric id (beyond the paper): failed
    when a feature alone predicts the label near-perfectly, an error naming the argument on
    bad input (see :func:`measure_single_feature_skill`)."""
    try:
        screen = measure_single_feature_skill(
            X,
            y,
            task=task,
            features=features,
            folds=folds,
            threshold=threshold,
            confidence=confidence,
            sample_size=sample_size,
            seed=seed,
        )
    except CheckInputError as exc:
        return CheckResult.error(NAME, (), f"bad input, {exc}")
    ok, reason = judge_leakage(screen)
    table = Table.build(
        f"Each feature alone, {screen.folds}-fold cross-validated ({screen.loss} skill; "
        f"{screen.confidence:.0%} lower bound, Bonferroni over {len(screen.skills)} features)",
        ["feature", "skill", "lower bound", "flagged"],
        [[s.feature, s.skill, s.lower, s.lower >= screen.threshold] for s in screen.skills],
        chart="skill",
    )
    return CheckResult.judge(
        ok,
        NAME,
        (),
        reason,
        measurements={
            "features": len(screen.skills),
            "flagged": len(screen.flagged),
            "best_feature": screen.best.feature,
            "best_skill": screen.best.skill,
            "rows": screen.rows,
            "beyond_the_paper": True,
        },
        thresholds={"skill_lower_bound": screen.threshold, "confidence": screen.confidence},
        parameters={"folds": screen.folds, "task": screen.task, "loss": screen.loss},
        tables=[table],
    )
