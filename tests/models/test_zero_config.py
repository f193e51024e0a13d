"""The zero-config suite (``pytest --mlscore``) on the models teams ship: a LightGBM pipeline
casting text to categoricals, loaded through ``model = "module:load_model"`` from a joblib
file as in issue 16, and a predict-only model (an object with ``predict`` and
``predict_proba`` only). Every generated check works or says why it does not apply; none
errors because of the model."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from tests.models import boosters

PROJECT = """
    import joblib

    class PredictOnly:
        '''What a team wraps around a model server or a PyTorch module.'''

        def __init__(self, model):
            self._model = model

        def predict(self, X):
            return self._model.predict(X)

        def predict_proba(self, X):
            return self._model.predict_proba(X)

    def load_model():
        return joblib.load({path!r})

    def load_predict_only():
        return PredictOnly(load_model())
"""

REFITS = ("check_no_better_params_nearby", "check_model_can_overfit")


def run_suite(pytester: pytest.Pytester, adult: Any, model: Any, loader: str) -> dict[str, Any]:
    """The checks' evidence, by check name, of ``pytest --mlscore`` on an Adult project."""
    import joblib

    adult.head(1000).to_csv(pytester.path / "train.csv", index=False)
    adult.iloc[1000:1400].to_csv(pytester.path / "test.csv", index=False)
    joblib.dump(model, pytester.path / "model.joblib")
    source = textwrap.dedent(PROJECT.format(path=str(pytester.path / "model.joblib")))
    pytester.path.joinpath("project_model.py").write_text(source)
    pytester.makepyprojecttoml(
        f"""
        [tool.mltestscore]
        model = "project_model:{loader}"
        train = "train.csv"
        test = "test.csv"
        target = "income"
        sensitive = ["sex"]
        slices = ["education"]

        # fewer timing rounds and trials: this test asks whether each check runs, not
        # what it concludes, and CI gives the whole environment about two minutes
        [tool.mltestscore.thresholds]
        "data-3.timing_repeats" = 3
        "data-3.time_budget_s" = 2.0
        "model-3.n_trials" = 1
        "model-3.sample_size" = 500
        "infra-2.control_size" = 150
        "monitor-6.single_calls" = 10
        "monitor-6.batch_calls" = 3
        """
    )
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    assert result.ret in {pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED}, result.stderr.str()
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text())
    return {
        evidence["check"]: evidence
        for item in scorecard["items"]
        for evidence in item["evidence"]
        if evidence["kind"] == "check"
    }


def errors(checks: dict[str, Any]) -> dict[str, str]:
    return {name: e["reason"] for name, e in checks.items() if e["outcome"] == "error"}


def test_every_check_works_or_says_why_on_a_lightgbm_pipeline(
    pytester: pytest.Pytester, adult: Any
) -> None:
    pytest.importorskip("lightgbm")
    X, y = boosters.adult_task(adult, "binary")
    model = boosters.pipeline("lightgbm", "binary", X).fit(X.head(1000), y.head(1000))
    checks = run_suite(pytester, adult, model, "load_model")
    assert errors(checks) == {}
    assert checks["check_single_example_explanation"]["outcome"] == "passed"
    assert checks["check_single_example_explanation"]["measurements"]["explainer"] == "tree"
    assert checks["check_no_better_params_nearby"]["outcome"] in {"passed", "failed"}
    # LightGBM grows all its trees in one call: no single training step to take
    step = checks["check_training_step_lowers_loss"]
    assert step["outcome"] == "not_applicable"
    assert "no single training step" in step["reason"]


def test_a_predict_only_model_runs_every_check_that_needs_only_predictions(
    pytester: pytest.Pytester, adult: Any, adult_pipeline_factory: Any
) -> None:
    X, y = adult.drop(columns=["income"]), adult["income"]
    model = adult_pipeline_factory().fit(X.head(1000), y.head(1000))
    checks = run_suite(pytester, adult, model, "load_predict_only")
    assert errors(checks) == {}
    for name in REFITS:
        assert checks[name]["outcome"] == "not_applicable"
        assert "cannot be refit" in checks[name]["reason"]
    assert checks["check_pipeline_step_through"]["outcome"] == "not_applicable"
    # explained by its outputs alone, on its raw input
    explanation = checks["check_single_example_explanation"]
    assert explanation["outcome"] == "passed", explanation["reason"]
    assert explanation["measurements"]["explainer"] == "permutation"
    ran = {n for n, e in checks.items() if e["outcome"] in {"passed", "failed"}}
    assert {
        "check_features_are_beneficial",
        "check_simpler_model_is_not_better",
        "check_slice_quality",
        "check_group_fairness",
        "check_numerical_stability",
    } <= ran
