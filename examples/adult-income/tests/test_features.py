"""The feature code is tested (data-7), and the batch and row-at-a-time implementations
compute the same values (monitor-3)."""

from __future__ import annotations

import pandas as pd
import pytest
from adult_income.data import load_raw
from adult_income.features import add_features, serving_features
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks.drift import check_feature_parity


@pytest.mark.mlscore("data-7")
def test_capital_net_is_gain_minus_loss() -> None:
    raw = pd.DataFrame({"capital-gain": [0, 5000, 0], "capital-loss": [0, 0, 1902]})
    assert add_features(raw)["capital-net"].tolist() == [0, 5000, -1902]


@pytest.mark.mlscore("data-7")
def test_blank_text_becomes_missing_and_padding_is_stripped() -> None:
    raw = pd.DataFrame(
        {
            "workclass": [" Private", "", "State-gov "],
            "capital-gain": [0] * 3,
            "capital-loss": [0] * 3,
        }
    )
    cleaned = add_features(raw)["workclass"]
    assert cleaned[0] == "Private"
    assert pd.isna(cleaned[1])
    assert cleaned[2] == "State-gov"


@pytest.mark.mlscore("data-7")
@settings(max_examples=50, deadline=None)
@given(gain=st.integers(0, 99_999), loss=st.integers(0, 4_356), text=st.text(max_size=8))
def test_the_serving_code_matches_the_batch_code_on_any_row(
    gain: int, loss: int, text: str
) -> None:
    row = {"capital-gain": gain, "capital-loss": loss, "occupation": text}
    batch = add_features(pd.DataFrame([row])).iloc[0]
    online = serving_features(row)
    assert online["capital-net"] == batch["capital-net"]
    assert (online["occupation"] is None) == pd.isna(batch["occupation"])


def test_training_and_serving_features_agree_on_real_rows() -> None:
    raw = load_raw().drop(columns=["income"])
    check_feature_parity(
        raw,
        add_features,
        serving_features,
        serving_row_by_row=True,
        sample_size=300,
    ).assert_ok()
