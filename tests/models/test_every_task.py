"""Every task through every generated check, for the boosters (issue 16): binary, multiclass and
regression, with fairness and slices judged by a metric suited to the task, and no generated
check erroring because of the model's library.

The corpus flavours (``tests/corpus/check_flavours.py``, run by the same ``tox -e models``)
take a LightGBM and an XGBoost model of each task through the whole zero-config suite on real
projects, planted defects included. Here: CatBoost the same way (its flavour of the same
corpus projects, clean), and the fairness and slice checks called on a pipeline of each
library and task.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mltestscore.checks.fairness import check_group_fairness
from mltestscore.checks.result import Outcome
from mltestscore.checks.slices import check_slice_quality
from mltestscore.suite.catalog import SPECS
from tests.models import boosters

METRIC = {"binary": "roc_auc", "multiclass": "f1_macro", "regression": "rmse"}
# the corpus projects the LightGBM and XGBoost flavours use, by task: enough test rows that
# every slice and group is judged
PROJECT = {"binary": "adult-income", "multiclass": "digits", "regression": "adult-hours"}
# what may be "not applicable" on a booster, and why (docs/models.md), beside monitor-6's
# first run (it records the baseline later runs are compared with); any item may also say
# "not measurable here" (too few rows to decide, whatever the model)
NOT_APPLICABLE = {"training_step": "no single training step", "performance": "no baseline yet"}
# Less work in the checks that repeat fits and timings: this test asks whether each check
# runs on the library's model, not what it concludes (the corpus flavours judge that).
CHEAP = {
    "data-3.timing_repeats": 3,
    "model-3.n_trials": 1,
    "model-3.sample_size": 300,
    "infra-2.control_size": 150,
    "monitor-6.single_calls": 10,
    "monitor-6.batch_calls": 3,
}


def test_fairness_and_slices_judge_each_task_by_its_own_metric(
    fitted: tuple[Any, Any, Any], task: str
) -> None:
    model, X, y = fitted
    fairness = check_group_fairness(model, X, y, sensitive_features=["sex"], n_bootstrap=50)
    # judged: passed, failed, or not measurable on 400 rows at the 99% family-wise default
    judged = fairness.outcome in {Outcome.PASSED, Outcome.FAILED} or (
        fairness.outcome is Outcome.NOT_APPLICABLE
        and fairness.reason.startswith("not measurable here")
    )
    assert judged, fairness.reason
    assert fairness.parameters["task"] == task
    assert fairness.parameters["metric"] == METRIC[task]
    criteria = {key.rsplit(".", 1)[1] for key in fairness.measurements if "." in key}
    if task == "regression":  # no selection rates: the groups' mean errors and metric
        assert {"residual_gap", "relative_metric_gap"} <= criteria
        assert "selection_rate_ratio" not in criteria
    else:
        assert {"selection_rate_ratio", "equalized_odds_difference"} <= criteria
    if task == "multiclass":  # every class in turn is the favourable outcome
        outcomes = {
            key.split("[", 1)[1].split("]", 1)[0] for key in fairness.measurements if "[" in key
        }
        assert outcomes >= {str(label) for label in sorted(set(y))}
    slices = check_slice_quality(model, X, y, columns=["education"], n_bootstrap=50)
    assert slices.outcome in {Outcome.PASSED, Outcome.FAILED}, slices.reason
    assert slices.parameters["metric"] == METRIC[task]


def _checks(scorecard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The generated items' check evidence by item name (``slices[alcohol]``)."""
    found: dict[str, dict[str, Any]] = {}
    for item in scorecard["items"]:
        for evidence in item["evidence"]:
            nodeid = str(evidence.get("nodeid") or "")
            if evidence["kind"] == "check" and nodeid.startswith("mlscore::"):
                found[nodeid.rsplit("::", maxsplit=1)[-1]] = evidence
    return found


@pytest.mark.parametrize("task", boosters.TASKS)
def test_every_generated_check_runs_on_a_catboost_model_of_each_task(
    task: str, tmp_path: Path
) -> None:
    pytest.importorskip("catboost")
    from tests.corpus import builder
    from tests.corpus.projects import project
    from tests.corpus.run import score

    spec = replace(project(f"{PROJECT[task]}-catboost"), thresholds=CHEAP)
    folder = builder.write(builder.prepare(spec, None), tmp_path / spec.name)
    run = score(folder, spec.name, "clean")
    assert run.items, run.notes
    checks = _checks(json.loads((folder / "reports" / "mlscore.json").read_text()))
    names = {name.split("[", 1)[0] for name in checks}
    assert names == {s.name for s in SPECS}, "generated checks missing: " + ", ".join(
        sorted({s.name for s in SPECS} - names)
    )
    errors = {name: e["reason"] for name, e in checks.items() if e["outcome"] == "error"}
    assert errors == {}
    for name, evidence in checks.items():
        reason = evidence["reason"]
        if evidence["outcome"] in {"not_applicable", "skipped"}:
            why = NOT_APPLICABLE.get(name.split("[", 1)[0], "not measurable here")
            assert why in reason, f"{name} {evidence['outcome']}: {reason}"
    for item in (f"slices[{spec.slices[0]}]", "fairness[group]"):
        parameters = checks[item].get("parameters", {})
        assert parameters.get("metric") == METRIC[task], (item, parameters)
        judged = checks[item]["outcome"] in {"passed", "failed"}
        # the ten digits' 21 fairness intervals on 359 rows: "not measurable here", with the
        # rows that would resolve them (the power rule of docs/checks-model.md)
        assert judged or checks[item]["reason"].startswith("not measurable here")


def test_a_flavour_is_the_same_project_with_the_librarys_model(library: str) -> None:
    """``<project>-<library>``: the corpus project's data, features and slices, the model
    swapped for the library's estimator, told which inputs are categories."""
    from tests.corpus.projects import FLAVOURED, build_model, project

    base = project("adult-hours")
    spec = project(f"adult-hours-{library}")
    assert (spec.features, spec.target, spec.slices) == (base.features, base.target, base.slices)
    assert spec.task == "regression"
    estimator = build_model(spec)[-1]
    assert type(estimator).__module__.split(".")[0] == library
    numeric, categorical = len(spec.numeric), len(spec.categorical)
    if library == "lightgbm":
        assert estimator.get_params()["cat_feature"] == list(range(numeric, numeric + 6))
    elif library == "xgboost":
        assert estimator.get_params()["feature_types"] == ["q"] * numeric + ["c"] * categorical
    if library != "catboost":  # the CI flavours: a project of each task
        tasks = {p.task for p in FLAVOURED if p.model == library}
        assert tasks == {"binary", "multiclass", "regression"}
