"""Sensitivity sweeps: the smallest drift and the smallest bias each check catches, by sample
size, calling the check functions directly (no pytest, no project on disk).

Both sweeps include a zero effect: the share of clean draws flagged at that size is the
check's false-alarm rate there, which must be 0 for the corpus to pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tests.corpus.projects import GROUP, build_model, project, split

SIZES = (100, 300, 1000, 3000)
DRIFT_SHIFTS_SD = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)
BIAS_FLIP_SHARES = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
REPEATS = 5
DRIFT_COLUMN = "age"


@dataclass(frozen=True)
class SweepCell:
    size: int
    effect: float
    flagged: int  # draws whose check failed
    draws: int
    errors: int  # draws whose check returned an error


@dataclass(frozen=True)
class Sweep:
    name: str
    effect_label: str  # what the effect figure means
    cells: tuple[SweepCell, ...]

    def smallest_caught(self, size: int) -> float | None:
        """The smallest non-zero effect flagged in every draw at ``size`` (None: none)."""
        for cell in sorted(self.cells, key=lambda c: c.effect):
            if cell.size == size and cell.effect > 0 and cell.flagged == cell.draws:
                return cell.effect
        return None

    def false_alarms(self, size: int) -> tuple[int, int]:
        for cell in self.cells:
            if cell.size == size and cell.effect == 0:
                return cell.flagged, cell.draws
        return 0, 0


def _adult_parts() -> tuple[pd.DataFrame, pd.DataFrame]:
    spec = project("adult-income")
    train, test, serving = split(spec.load(), seed=0)
    return train, pd.concat([test, serving], ignore_index=True)


def drift_sweep(
    sizes: Sequence[int] = SIZES,
    shifts: Sequence[float] = DRIFT_SHIFTS_SD,
    repeats: int = REPEATS,
) -> Sweep:
    """``check_feature_drift`` on the five Adult numeric features, training split (14,400
    rows) against ``size`` held-out rows with ``age`` shifted by ``shift`` training SDs."""
    from mltestscore.checks.drift import check_feature_drift

    spec = project("adult-income")
    train, held_out = _adult_parts()
    columns = list(spec.numeric)
    reference = train[columns].astype("float64")
    sd = float(reference[DRIFT_COLUMN].std())
    cells = []
    for size in sizes:
        for shift in shifts:
            flagged = errors = 0
            for repeat in range(repeats):
                current = held_out[columns].sample(n=size, random_state=repeat).astype("float64")
                current[DRIFT_COLUMN] = current[DRIFT_COLUMN] + shift * sd
                outcome = check_feature_drift(reference, current, columns=columns).outcome
                flagged += outcome == "failed"
                errors += outcome == "error"
            cells.append(SweepCell(size, shift, flagged, repeats, errors))
    return Sweep("drift", f"shift of `{DRIFT_COLUMN}` in training SDs", tuple(cells))


class GappedClassifier:
    """A fitted classifier whose favourable predictions for group B are withheld with
    probability ``flip`` (decided by the row's ``draw`` column): the selection-rate ratio
    B / A becomes about ``1 - flip`` while everything else stays the same."""

    def __init__(self, fitted: Any, features: list[str], flip: float) -> None:
        self.fitted, self.features, self.flip = fitted, features, flip
        self.classes_ = fitted.classes_

    def fit(self, X: pd.DataFrame, y: Any) -> GappedClassifier:  # pragma: no cover - fitted
        return self

    def _withheld(self, X: pd.DataFrame) -> np.ndarray:
        withheld: np.ndarray = ((X[GROUP] == "B") & (X["draw"] < self.flip)).to_numpy()
        return withheld

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        proba = np.array(self.fitted.predict_proba(X[self.features]), dtype="float64")
        withheld = self._withheld(X) & (proba[:, 1] >= 0.5)
        proba[withheld] = [1.0, 0.0]
        return proba

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        labels: np.ndarray = np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]
        return labels


def bias_sweep(
    sizes: Sequence[int] = SIZES,
    flips: Sequence[float] = BIAS_FLIP_SHARES,
    repeats: int = 3,
) -> Sweep:
    """``check_group_fairness`` on the Adult income model (group A or B at random) whose
    favourable predictions for group B are withheld with probability ``flip``."""
    from mltestscore.checks.fairness import check_group_fairness

    spec = project("adult-income")
    train, held_out = _adult_parts()
    fitted = build_model(spec).fit(train[spec.features], train[spec.target])
    held_out = held_out.assign(draw=np.random.default_rng(7).random(len(held_out)))
    cells = []
    for size in sizes:
        for flip in flips:
            model = GappedClassifier(fitted, spec.features, flip)
            flagged = errors = 0
            for repeat in range(repeats):
                rows = held_out.sample(n=size, random_state=repeat)
                outcome = check_group_fairness(
                    model,
                    rows[[*spec.features, GROUP, "draw"]],
                    rows[spec.target],
                    sensitive_features=[GROUP],
                    n_bootstrap=100,
                ).outcome
                flagged += outcome == "failed"
                errors += outcome == "error"
            cells.append(SweepCell(size, flip, flagged, repeats, errors))
    return Sweep(
        "bias",
        "share of group B's favourable predictions withheld (ratio ~ 1 - share)",
        tuple(cells),
    )
