"""Text class labels (">50K") work in every check, log loss and F1 included."""

from __future__ import annotations

from typing import Any

import pytest

from mltestscore.checks import Outcome
from mltestscore.checks.baselines import check_simpler_model_is_not_better
from mltestscore.checks.fairness import check_group_fairness
from mltestscore.checks.slices import check_slice_quality, check_weak_segments


def _text(y: Any) -> Any:
    import numpy as np

    return np.where(y == 1, ">50K", "<=50K").astype(object)


@pytest.mark.parametrize("metric", ["log_loss", "f1", "roc_auc"])
def test_text_labels_give_the_same_figures_as_their_codes(
    adult_model: Any, xy_train: Any, xy_test: Any, wrappers: Any, metric: str
) -> None:
    X_train, y_train = xy_train
    X, y = xy_test
    texts = wrappers["TextLabels"](adult_model)

    coded = check_slice_quality(adult_model, X, y, columns=["sex"], metric=metric)
    named = check_slice_quality(texts, X, _text(y), columns=["sex"], metric=metric)
    baseline = check_simpler_model_is_not_better(
        texts, X, _text(y), X_train=X_train, y_train=_text(y_train), metric=metric
    )
    fairness = check_group_fairness(texts, X, _text(y), sensitive_features=["sex"], metric=metric)

    assert named.measurements[f"overall_{metric}"] == pytest.approx(
        coded.measurements[f"overall_{metric}"]
    )
    assert baseline.outcome is Outcome.PASSED, baseline.summary()
    assert fairness.parameters["favourable_outcomes"] == ">50K"
    assert fairness.outcome is not Outcome.ERROR, fairness.summary()


def test_weak_segments_take_text_labels_with_log_loss(
    adult_model: Any, xy_test: Any, wrappers: Any
) -> None:
    X, y = xy_test
    result = check_weak_segments(
        wrappers["TextLabels"](adult_model), X, _text(y), columns=["sex"], loss="log_loss"
    )
    assert result.outcome is Outcome.PASSED, result.summary()
