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


NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


def _with_time_column(adult: pd.DataFrame) -> pd.DataFrame:
    frame = adult[[*NUMERIC, "income"]].copy()
    frame["event_time"] = pd.date_range("2024-01-01", periods=len(frame), freq="h")
    return frame


def _linear_train_fn(*, as_array: bool = False, derived: bool = False) -> Pipeline:
    """train_fn the way a project writes it: training leaves the time column out."""

    def run(raw: pd.DataFrame, output_dir: Path) -> Path:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        y = raw.pop("income")
        X = raw.drop(columns=["event_time"])
        if derived:  # the planted bug: a feature built in training, not in the saved artifact
            X["hours_per_year"] = X["hours-per-week"] * 52
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        model.fit(X.to_numpy() if as_array else X, y)
        path = artifacts.save_model(model, output_dir / "model.skops")
        environment.write_snapshot(output_dir)
        return path

    return run


def test_the_time_column_training_left_out_is_not_fed_to_the_model(adult: pd.DataFrame) -> None:
    """Issue 15: the check passed the time column to a model trained without it."""
    result = check_pipeline_integration(
        _linear_train_fn(), _with_time_column(adult), target="income", sample_size=300
    ).assert_ok()
    assert result.parameters["model_input"] == "the 5 columns the model was fitted on"


def test_declared_non_feature_columns_are_left_out_for_a_model_without_names(
    adult: pd.DataFrame,
) -> None:
    frame = _with_time_column(adult)
    result = check_pipeline_integration(
        _linear_train_fn(as_array=True),
        frame,
        target="income",
        sample_size=300,
        drop_columns=["event_time"],
    ).assert_ok()
    assert result.parameters["drop_columns"] == "event_time"
    without = check_pipeline_integration(
        _linear_train_fn(as_array=True), frame, target="income", sample_size=300
    )
    assert without.outcome is Outcome.FAILED
    assert "predict raw rows" in without.reason


def test_a_train_fn_whose_artifact_cannot_predict_its_own_raw_rows_fails(
    adult: pd.DataFrame,
) -> None:
    result = check_pipeline_integration(
        _linear_train_fn(derived=True), _with_time_column(adult), target="income", sample_size=300
    )
    assert result.outcome is Outcome.FAILED
    assert "'hours_per_year'" in result.reason
    assert "predict raw rows" in result.reason


def test_a_misspelt_non_feature_column_is_named(adult: pd.DataFrame) -> None:
    result = check_pipeline_integration(
        _linear_train_fn(), _with_time_column(adult), target="income", drop_columns=["evnt"]
    )
    assert result.outcome is Outcome.ERROR
    assert "evnt" in result.reason


def _built(rows: pd.DataFrame) -> pd.DataFrame:
    """A project's feature function: columns no raw row has."""
    return pd.DataFrame(
        {
            "age": rows["age"],
            "capital_net": rows["capital-gain"] - rows["capital-loss"],
            "hours": rows["hours-per-week"],
        },
        index=rows.index,
    )


def test_a_model_trained_on_built_features_is_fed_through_the_feature_function(
    adult: pd.DataFrame, tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression

    def run(raw: pd.DataFrame, output_dir: Path) -> Path:
        model = LogisticRegression(max_iter=300).fit(_built(raw), raw["income"])
        path = artifacts.save_model(model, output_dir / "model.skops")
        environment.write_snapshot(output_dir)
        return path

    # without the function the raw rows lack the built columns: the stage fails, naming them
    raw_only = check_pipeline_integration(run, adult, target="income", sample_size=300)
    assert raw_only.outcome is Outcome.FAILED
    assert "'capital_net'" in raw_only.reason
    fed = check_pipeline_integration(
        run, adult, target="income", sample_size=300, build_features=_built
    ).assert_ok()
    assert fed.parameters["model_input"] == (
        "the 3 columns the model was fitted on (built by build_features)"
    )


def test_a_feature_function_that_raises_fails_the_predict_stage_naming_it(
    adult: pd.DataFrame, make_pipeline_fn: Callable[..., Pipeline], trusted_types: list[str]
) -> None:
    def broken(rows: pd.DataFrame) -> pd.DataFrame:
        raise KeyError("credit_score")

    result = check_pipeline_integration(
        make_pipeline_fn(),
        adult,
        target="income",
        sample_size=300,
        trusted=trusted_types,
        build_features=broken,
    )
    assert result.outcome is Outcome.FAILED
    assert result.reason == (
        "the pipeline breaks at 'predict raw rows': build_features raised KeyError: 'credit_score'"
    )
