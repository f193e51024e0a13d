"""Pipeline integration (infra-3): raw data → training → artifact → load → predict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mltestscore import artifacts, environment
from mltestscore.checks.pipeline import check_pipeline_integration
from mltestscore.checks.result import Outcome

Pipeline = Callable[[pd.DataFrame, Path], Any]


class DropsRows:
    """A serving wrapper with a planted bug: it loses the last row."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, X: Any) -> Any:
        return self.model.predict(X)[:-1]


@pytest.fixture(scope="module")
def make_pipeline_fn(adult_pipeline_factory: Any) -> Callable[..., Pipeline]:
    """Build an end-to-end pipeline function; keywords plant defects into it."""

    def build(
        *, snapshot: bool = True, file_name: str = "model.skops", model_wrapper: Any = None
    ) -> Pipeline:
        def run(raw: pd.DataFrame, output_dir: Path) -> Path:
            y = raw.pop("income")
            model = adult_pipeline_factory().set_params(model__max_iter=15).fit(raw, y)
            if model_wrapper is not None:
                model = model_wrapper(model)
            path = artifacts.save_model(model, output_dir / file_name)
            if snapshot:
                environment.write_snapshot(output_dir)
            return path

        return run

    return build


def test_the_adult_pipeline_runs_end_to_end(
    adult: pd.DataFrame, make_pipeline_fn: Callable[..., Pipeline], trusted_types: list[str]
) -> None:
    result = check_pipeline_integration(
        make_pipeline_fn(), adult, target="income", sample_size=400, trusted=trusted_types
    ).assert_ok()
    assert [row[1] for row in result.tables[0].rows] == ["ok"] * 4
    assert result.measurements["artifact_bytes"] > 0
    assert result.parameters["sample_size"] == 400


def test_it_flags_a_pipeline_that_saves_no_environment_snapshot(
    adult: pd.DataFrame, make_pipeline_fn: Callable[..., Pipeline], trusted_types: list[str]
) -> None:
    result = check_pipeline_integration(
        make_pipeline_fn(snapshot=False),
        adult,
        target="income",
        sample_size=300,
        trusted=trusted_types,
    )
    assert result.outcome is Outcome.FAILED
    assert "'environment snapshot'" in result.reason
    assert [row[1] for row in result.tables[0].rows][-1] == "not run"


def test_it_refuses_to_load_a_pickled_artifact_nobody_trusts(
    adult: pd.DataFrame, make_pipeline_fn: Callable[..., Pipeline]
) -> None:
    result = check_pipeline_integration(
        make_pipeline_fn(file_name="model.joblib"), adult, target="income", sample_size=300
    )
    assert result.outcome is Outcome.FAILED
    assert "'load artifact'" in result.reason
    assert "trusted=True" in result.reason


def test_it_flags_predictions_a_serving_client_could_not_use(
    adult: pd.DataFrame, make_pipeline_fn: Callable[..., Pipeline]
) -> None:
    result = check_pipeline_integration(
        make_pipeline_fn(file_name="model.pkl", model_wrapper=DropsRows),
        adult,
        target="income",
        sample_size=300,
        trusted=True,
    )
    assert result.outcome is Outcome.FAILED
    assert "299 predictions for 300 rows" in result.reason


def test_it_names_the_stage_where_the_pipeline_raises(adult: pd.DataFrame) -> None:
    def crashes(raw: pd.DataFrame, output_dir: Path) -> None:
        raise KeyError("education_num")

    result = check_pipeline_integration(crashes, adult, target="income", sample_size=50)
    assert result.outcome is Outcome.FAILED
    assert "'train and save'" in result.reason
    assert "education_num" in result.reason


def test_it_flags_a_pipeline_that_writes_no_model(adult: pd.DataFrame) -> None:
    result = check_pipeline_integration(lambda raw, out: None, adult, target="income")
    assert result.outcome is Outcome.FAILED
    assert "wrote no model file" in result.reason


def test_it_enforces_a_time_budget(
    adult: pd.DataFrame, make_pipeline_fn: Callable[..., Pipeline], trusted_types: list[str]
) -> None:
    result = check_pipeline_integration(
        make_pipeline_fn(),
        adult,
        target="income",
        sample_size=200,
        trusted=trusted_types,
        max_seconds=0.0,
    )
    assert result.outcome is Outcome.FAILED
    assert "limit 0.0s" in result.reason


@pytest.mark.parametrize(
    ("data", "target", "argument"),
    [
        (pd.DataFrame(), "income", "raw_data"),
        (pd.DataFrame({"age": [30, 40]}), "income", "target"),
        ([1, 2, 3], "income", "raw_data"),
    ],
)
def test_it_names_the_bad_input(data: Any, target: str, argument: str) -> None:
    result = check_pipeline_integration(lambda raw, out: None, data, target=target)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def test_it_rejects_a_pipeline_that_is_not_callable(adult: pd.DataFrame) -> None:
    result = check_pipeline_integration("train.py", adult, target="income")  # type: ignore[arg-type]
    assert result.outcome is Outcome.ERROR
    assert "pipeline" in result.reason
