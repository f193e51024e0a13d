"""Hand-written model tests: what the generated suite cannot know about this project."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from adult_income.features import FEATURES, TARGET
from adult_income.train import train
from sklearn.metrics import roc_auc_score


@pytest.mark.mlscore("model-4")
def test_quality_loss_from_a_month_of_staleness_is_known(
    train_frame: pd.DataFrame, test_frame: pd.DataFrame, mlscore_record: Any
) -> None:
    """Train on the older half of the training year and on all of it; the gap is what a
    stale model costs (recorded), and it must stay small for a 30-day retraining cycle.

    (The event times of this sample are synthetic, so here the older half is a random half;
    on real logs the same test measures real staleness.)"""
    ordered = train_frame.sort_values("event_time")
    older = ordered.head(len(ordered) // 2)
    scores = {}
    for label, frame in (("older half", older), ("full year", ordered)):
        model = train(frame)
        scores[label] = roc_auc_score(
            test_frame[TARGET], model.predict_proba(test_frame[FEATURES])[:, 1]
        )
    mlscore_record.table(
        "ROC AUC by training window",
        ["training data", "roc_auc"],
        [[k, v] for k, v in scores.items()],
        chart="roc_auc",
    )
    assert scores["full year"] - scores["older half"] < 0.03


@pytest.mark.mlscore("infra-2")
def test_the_model_predicts_one_probability_per_row(
    current_model: Any, test_frame: pd.DataFrame
) -> None:
    proba = current_model.predict_proba(test_frame[FEATURES].head(50))
    assert proba.shape == (50, 2)
