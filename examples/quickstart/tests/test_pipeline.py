"""An existing integration test, claimed for infra-3 by [tool.mltestscore.map]."""

from __future__ import annotations

from quickstart.model import CATEGORICAL, NUMERIC, load_data, split, train


def test_raw_data_to_predictions_end_to_end() -> None:
    train_frame, test = split(load_data().head(600))
    model = train(train_frame)
    predictions = model.predict(test[NUMERIC + CATEGORICAL])
    assert len(predictions) == len(test)
