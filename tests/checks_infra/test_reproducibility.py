"""Reproducible training (infra-1) on the Adult sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mltestscore.checks.reproducibility import check_reproducible_training
from mltestscore.checks.result import Outcome

_ADULT = Path(__file__).parents[1] / "data" / "adult" / "adult_sample.csv"


@pytest.fixture(scope="module")
def sample(adult_xy: Any) -> tuple[Any, Any, Any, Any]:
    X_train, y_train, X_test, y_test = adult_xy
    return X_train.head(800), y_train[:800], X_test.head(300), y_test[:300]


def seeded_training(seed: int) -> Any:
    """Module level so a spawned process can import it."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    frame = pd.read_csv(_ADULT).head(800)
    y = (frame.pop("income") == ">50K").astype(int)
    model = make_pipeline(
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
        RandomForestClassifier(n_estimators=10, random_state=seed),
    )
    return model.fit(frame.astype(str), y)


def test_it_passes_a_training_function_that_honours_its_seed(
    sample: Any, adult_pipeline_factory: Any
) -> None:
    X_train, y_train, X_test, y_test = sample

    def train(seed: int) -> Any:
        return (
            adult_pipeline_factory(max_features=0.5)
            .set_params(model__random_state=seed, model__max_iter=20)
            .fit(X_train, y_train)
        )

    result = check_reproducible_training(train, X_test, y_test, seed=3).assert_ok()
    assert result.measurements["differing_rows"] == 0
    assert result.measurements["metric_spread"] == 0
    assert result.parameters["metric"] == "roc_auc"


def test_it_flags_a_training_function_that_ignores_its_seed(
    sample: Any, adult_pipeline_factory: Any
) -> None:
    X_train, y_train, X_test, y_test = sample

    def train(seed: int) -> Any:  # the planted bug: random_state=None
        model = adult_pipeline_factory(max_features=0.5)
        return model.set_params(model__random_state=None, model__max_iter=20).fit(X_train, y_train)

    result = check_reproducible_training(train, X_test, y_test, runs=3)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["differing_rows"] > 0
    assert "disagree on" in result.reason
    assert len(result.tables[0].rows) == 3


def test_it_tolerates_differences_within_the_thresholds_given(
    sample: Any, adult_pipeline_factory: Any
) -> None:
    X_train, y_train, X_test, _ = sample

    def train(seed: int) -> Any:
        model = adult_pipeline_factory(max_features=0.5)
        return model.set_params(model__random_state=None, model__max_iter=20).fit(X_train, y_train)

    result = check_reproducible_training(train, X_test, atol=1.0)
    assert result.ok, result.summary()


def test_it_retrains_in_separate_fresh_processes() -> None:
    frame = pd.read_csv(_ADULT).tail(200).drop(columns=["income"]).astype(str)
    result = check_reproducible_training(seeded_training, frame, separate_processes=True)
    assert result.ok, result.summary()
    assert result.parameters["separate_processes"] is True
    assert "separate processes" in result.reason


def test_it_asks_for_a_module_level_function_to_train_in_separate_processes(
    sample: Any,
) -> None:
    result = check_reproducible_training(lambda seed: None, sample[2], separate_processes=True)
    assert result.outcome is Outcome.ERROR
    assert "use a module-level function" in result.reason


def test_it_reports_a_training_function_that_returns_no_model(sample: Any) -> None:
    result = check_reproducible_training(lambda seed: "a model", sample[2])
    assert result.outcome is Outcome.ERROR
    assert "train" in result.reason


def test_it_reports_a_training_run_that_raises(sample: Any) -> None:
    def train(seed: int) -> Any:
        raise RuntimeError("out of GPU")

    result = check_reproducible_training(train, sample[2])
    assert result.outcome is Outcome.ERROR
    assert "training run 1 raised RuntimeError: out of GPU" in result.reason


@pytest.mark.parametrize(
    ("X", "runs", "argument"),
    [
        (pd.DataFrame(), 2, "X"),
        (pd.DataFrame({"age": [float("nan")] * 3}), 2, "age"),
        ("not a frame", 2, "X"),
        (pd.DataFrame({"age": [1.0]}), 1, "runs"),
    ],
)
def test_it_names_the_bad_input(X: Any, runs: int, argument: str) -> None:
    result = check_reproducible_training(lambda seed: None, X, runs=runs)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def _train_ridge_on_diabetes(seed: int) -> Any:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return Ridge(alpha=1.0, random_state=seed).fit(X, y)


def test_a_regression_on_integer_targets_is_scored_as_a_regression() -> None:
    """The diabetes targets are whole numbers (25-346), which look like classes to the
    labels alone; the model's continuous predictions say regression."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    result = check_reproducible_training(_train_ridge_on_diabetes, X, y)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.parameters["metric"] == "rmse"
