"""deepchecks results as rubric evidence, on real deepchecks runs over the Adult sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from mltestscore_deepchecks.checks import check_deepchecks_data_integrity
from mltestscore_deepchecks.evidence import assert_evidence_ok, deepchecks_evidence
from mltestscore_deepchecks.mapping import MAPPING_FILE, default_mapping, parse_mapping
from mltestscore_deepchecks.plugin import requirement_problems

from mltestscore.checks.result import CheckResult, Outcome
from mltestscore.extensions import discover_plugins, plugin_checks
from mltestscore.rubric import load_rubric

from .conftest import CATEGORICAL, LABEL


def _by_check(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.check: r for r in results}


def test_the_mapping_names_only_rubric_items_that_exist() -> None:
    ids = set(load_rubric().item_ids)
    assert set(default_mapping().all_rubric_ids()) <= ids


def test_the_mapping_covers_the_documented_checks() -> None:
    mapping = default_mapping()
    assert mapping.rubric_ids("Simple Model Comparison") == ("model-5",)
    assert mapping.rubric_ids("Weak Segments Performance") == ("model-6",)
    assert mapping.rubric_ids("Performance Bias") == ("model-7",)
    assert mapping.rubric_ids("Unused Features") == ("data-2",)
    assert mapping.rubric_ids("Feature Drift") == ("monitor-3",)
    assert mapping.rubric_ids("Model Inference Time") == ("monitor-6",)
    assert mapping.rubric_ids("Mixed Nulls") == ("data-1",)


def test_a_mapping_without_every_status_is_refused() -> None:
    data = yaml.safe_load(MAPPING_FILE.read_text())
    del data["status_outcomes"]["WARN"]
    with pytest.raises(ValueError, match="PASS, WARN, FAIL and ERROR"):
        parse_mapping(data)


def test_a_clean_full_suite_run_passes_its_mapped_checks(suite_json: Path) -> None:
    results = _by_check(deepchecks_evidence(suite_json))

    drift = results["deepchecks: Feature Drift"]
    assert drift.rubric_ids == ("monitor-3",)
    assert drift.outcome is Outcome.PASSED, drift.summary()
    assert drift.measurements["deepchecks_status"] == "PASS"
    assert results["deepchecks: Prediction Drift"].outcome is Outcome.PASSED
    # On 1,400 training rows the boosting model beats the constant one by only ~5% F1 on
    # the majority class, under deepchecks' 10% condition: a real FAIL, carried as is.
    smc = results["deepchecks: Simple Model Comparison"]
    assert smc.rubric_ids == ("model-5",)
    assert smc.measurements["deepchecks_status"] in {"PASS", "FAIL"}
    assert "deepchecks: Train Test Performance" not in results  # unmapped: not scored


def test_values_and_conditions_are_carried_into_the_result(suite_json: Path) -> None:
    drift = _by_check(deepchecks_evidence(suite_json))["deepchecks: Prediction Drift"]

    assert any(k.startswith("Drift score") for k in drift.measurements)
    assert drift.tables[0].columns == ("status", "condition", "more info")
    assert drift.parameters["deepchecks.random_state"] == 42


def test_a_check_that_needs_a_datetime_column_is_not_applicable(suite_json: Path) -> None:
    mapping = parse_mapping(
        {
            **yaml.safe_load(MAPPING_FILE.read_text()),
            "checks": {"Date Train Test Leakage Overlap": ["data-1"]},
        }
    )
    result = deepchecks_evidence(suite_json, mapping=mapping)[0]

    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "does not contain a datetime" in result.reason


def test_planted_drift_and_a_constant_model_fail_monitor_3_and_model_5(
    drifted_and_dummy_json: Path,
) -> None:
    results = _by_check(deepchecks_evidence(drifted_and_dummy_json))

    drift = results["deepchecks: Feature Drift"]
    assert drift.outcome is Outcome.FAILED, drift.summary()
    assert "age" in drift.reason
    smc = results["deepchecks: Simple Model Comparison"]
    assert smc.outcome is Outcome.FAILED, smc.summary()
    with pytest.raises(AssertionError, match="Feature Drift"):
        assert_evidence_ok(list(results.values()))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("PASS", Outcome.PASSED),
        ("WARN", Outcome.PASSED),
        ("FAIL", Outcome.FAILED),
        ("ERROR", Outcome.ERROR),
    ],
)
def test_deepchecks_statuses_map_to_our_outcomes(
    suite_json: Path, status: str, outcome: Outcome
) -> None:
    data = json.loads(suite_json.read_text())
    entry = next(r for r in data["results"] if r["check"]["name"] == "Feature Drift")
    entry["conditions_results"][0]["Status"] = status

    result = deepchecks_evidence({"name": "edited", "results": [entry]})[0]

    assert result.outcome is outcome
    assert result.measurements["deepchecks_status"] == status


def test_the_live_suite_object_reads_like_its_saved_json(
    split: tuple[Any, Any], tmp_path: Path
) -> None:
    from mltestscore_deepchecks.run import run_suite

    train, _ = split
    saved = tmp_path / "integrity.json"
    live = run_suite(
        train, label=LABEL, cat_features=CATEGORICAL, suite="data_integrity", save_to=saved
    )

    from_object = [(r.check, r.outcome) for r in deepchecks_evidence(live)]
    from_file = [(r.check, r.outcome) for r in deepchecks_evidence(saved)]
    assert from_object == from_file
    assert ("deepchecks: Mixed Nulls - Train Dataset", Outcome.PASSED) in from_object or (
        "deepchecks: Mixed Nulls",
        Outcome.PASSED,
    ) in from_object


def test_data_integrity_check_fails_on_planted_mixed_nulls_and_duplicates(adult: Any) -> None:
    dirty = adult.iloc[:800].copy()
    dirty.loc[:40, "workclass"] = "N/A"
    dirty.loc[41:80, "workclass"] = "null"
    dirty = dirty._append([dirty.iloc[:200]] * 2, ignore_index=True)

    result = check_deepchecks_data_integrity(dirty, label=LABEL, cat_features=CATEGORICAL)
    clean = check_deepchecks_data_integrity(adult.iloc[:800], label=LABEL, cat_features=CATEGORICAL)

    assert result.outcome is Outcome.FAILED, result.summary()
    assert "Mixed Nulls" in result.reason or "Data Duplicates" in result.reason
    assert clean.outcome is not Outcome.ERROR, clean.summary()


@pytest.mark.parametrize("bad", ["missing.json", "not-json.txt", "other.json"])
def test_bad_input_is_an_error_naming_the_file(tmp_path: Path, bad: str) -> None:
    (tmp_path / "not-json.txt").write_text("Full Suite: 35 checks")
    (tmp_path / "other.json").write_text(json.dumps({"name": "adult", "expectations": []}))
    path = tmp_path / bad

    results = deepchecks_evidence(path)

    assert len(results) == 1
    assert results[0].outcome is Outcome.ERROR
    assert str(path) in results[0].reason
    assert set(results[0].rubric_ids) == set(default_mapping().all_rubric_ids())


def test_the_data_integrity_check_refuses_a_wrong_object_and_a_missing_label(adult: Any) -> None:
    assert check_deepchecks_data_integrity([1, 2]).outcome is Outcome.ERROR
    missing = check_deepchecks_data_integrity(adult, label="salary")
    assert missing.outcome is Outcome.ERROR
    assert "salary" in missing.reason


def test_the_installed_plugin_is_discovered_with_its_check_and_adapter() -> None:
    plugin = {p.name: p for p in discover_plugins(refresh=True)}["deepchecks"]

    assert plugin.ok, plugin.problems
    assert plugin.distribution == "mltestscore-deepchecks"
    assert plugin.adapters == ("deepchecks",)
    assert "check_deepchecks_data_integrity" in {c.name for c in plugin_checks()}


def test_the_pinned_stack_has_no_requirement_problems() -> None:
    assert requirement_problems() == []


def test_importing_the_plugin_does_not_import_deepchecks() -> None:
    code = (
        "import sys, mltestscore_deepchecks.plugin, mltestscore_deepchecks.evidence, "
        "mltestscore_deepchecks.checks; assert 'deepchecks' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_under_mlscore_the_evidence_lands_on_the_scorecard(
    suite_json: Path, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(
        test_deepchecks=f"""
        from mltestscore_deepchecks.evidence import deepchecks_evidence

        def test_saved_suite_is_evidence():
            results = {{r.check: r for r in deepchecks_evidence({str(suite_json)!r})}}
            results["deepchecks: Feature Drift"].assert_ok()
        """
    )

    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    card = json.loads((pytester.path / "reports" / "mlscore.json").read_text())
    items = {i["id"]: i for i in card["items"]}
    evidence = [e for e in items["model-5"]["evidence"] if e.get("kind") == "check"]
    assert evidence
    assert evidence[0]["check"] == "deepchecks: Simple Model Comparison"
