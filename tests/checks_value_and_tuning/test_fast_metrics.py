"""The rank-based ROC AUC the checks score with equals scikit-learn's, ties included."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from mltestscore.checks._models import binary_roc_auc, score

LABELS = [(0, 1), (-1, 1), ("<=50K", ">50K"), (False, True), (0.0, 1.0), (3, 8)]


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(st.tuples(st.booleans(), st.integers(0, 20)), min_size=2, max_size=200),
    labels=st.sampled_from(LABELS),
)
def test_the_rank_auc_equals_scikit_learns_on_any_binary_sample_with_ties(
    data: list[tuple[bool, int]], labels: tuple[Any, Any]
) -> None:
    if len({positive for positive, _ in data}) < 2:
        return  # both classes are needed for an AUC
    y = np.array([labels[int(positive)] for positive, _ in data])
    scores = np.array([value / 20 for _, value in data])  # few values: many ties
    fast = binary_roc_auc(y, scores)
    assert fast is not None
    assert fast == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
    assert score("roc_auc", y, None, np.column_stack([1 - scores, scores])) == pytest.approx(
        fast, abs=0
    )


@pytest.mark.parametrize(
    ("y", "scores"),
    [
        (np.array([0, 1, 2, 1]), np.array([0.1, 0.2, 0.3, 0.4])),  # three classes
        (np.array([0, 1, 0, 1]), np.array([0.1, np.nan, 0.3, 0.4])),  # a missing score
        (np.array([0, 1, 0, 1], dtype=object), np.array([0.1, 0.2, 0.3, 0.4])),
        (np.array([[0, 1], [1, 0]]), np.array([0.1, 0.2])),
        (np.array([2.5, 7.0, 2.5, 7.0]), np.array([0.1, 0.2, 0.3, 0.4])),  # not classes
    ],
)
def test_inputs_the_shortcut_does_not_cover_go_to_scikit_learn(y: Any, scores: Any) -> None:
    assert binary_roc_auc(y, scores) is None
