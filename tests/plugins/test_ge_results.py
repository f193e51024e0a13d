"""check_great_expectations_result on real Great Expectations 1.x output (see conftest)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome, all_checks
from mltestscore.checks.ge_results import check_great_expectations_result, read_validations

from .conftest import PLANTED_NEGATIVE_AGES, PLANTED_UNKNOWN_SEX, GERun


def _failed_rows(result: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    table = next(t for t in result.tables if t.title == "Failed expectations")
    expectation, column = table.columns.index("expectation"), table.columns.index("column")
    return {(row[expectation], row[column]): row for row in table.rows}


def _as_0x(validation: dict[str, Any]) -> dict[str, Any]:
    """The 0.x layout of the same result: ``expectation_type``, the suite name in meta, a
    0.x version and run-id time, wrapped in a 0.x checkpoint's ``run_results``."""
    old = copy.deepcopy(validation)
    for result in old["results"]:
        config = result["expectation_config"]
        config["expectation_type"] = config.pop("type")
        config.pop("severity", None)
    old["meta"]["expectation_suite_name"] = old.pop("suite_name")
    old["meta"]["great_expectations_version"] = "0.18.21"
    old["meta"]["run_id"] = {"run_name": "nightly", "run_time": "20261130T020000.000000Z"}
    old["meta"].pop("validation_time", None)
    old["evaluation_parameters"] = old.pop("suite_parameters", {})
    return {
        "run_id": old["meta"]["run_id"],
        "run_results": {
            "ValidationResultIdentifier::adult/nightly/20261130T020000.000000Z/x": {
                "validation_result": old,
                "actions_results": {
                    "store_validation_result": {"class": "StoreValidationResultAction"}
                },
            }
        },
        "checkpoint_config": {"name": "nightly"},
        "success": old["success"],
    }


def test_it_fails_a_checkpoint_with_planted_defects_and_lists_every_failed_expectation(
    ge_runs: dict[str, GERun],
) -> None:
    result = check_great_expectations_result(ge_runs["defective"].checkpoint)

    assert result.outcome is Outcome.FAILED
    assert result.rubric_ids == ("data-1", "monitor-2")
    assert result.measurements["expectations_evaluated"] == 5
    assert result.measurements["expectations_failed"] == 3
    rows = _failed_rows(result)
    assert set(rows) == {
        ("expect_column_values_to_be_between", "age"),
        ("expect_column_values_to_be_in_set", "sex"),
        ("expect_column_to_exist", "income"),
    }
    age = rows["expect_column_values_to_be_between", "age"]
    assert age[4] == PLANTED_NEGATIVE_AGES
    assert age[5] == pytest.approx(100 * PLANTED_NEGATIVE_AGES / 4000)
    assert "-5" in age[6]
    assert '"unknown"' in rows["expect_column_values_to_be_in_set", "sex"][6]
    assert rows["expect_column_values_to_be_in_set", "sex"][4] == PLANTED_UNKNOWN_SEX
    assert "3 of 5 expectations failed in suite adult-defective" in result.reason
    assert "age (60 unexpected, 1.5%)" in result.reason


def test_it_passes_the_clean_sample_checkpoint(ge_runs: dict[str, GERun]) -> None:
    result = check_great_expectations_result(ge_runs["clean"].checkpoint)

    assert result.outcome is Outcome.PASSED, result.summary()
    assert "all 5 expectations passed" in result.reason
    assert [t.title for t in result.tables] == ["Validations"]


@pytest.mark.parametrize(
    "form",
    [
        "checkpoint object",
        "validation object",
        "validation json file",
        "describe json file",
        "validation json text",
        "validation dict",
    ],
)
def test_every_form_of_the_same_result_finds_the_same_failures(
    ge_runs: dict[str, GERun], form: str
) -> None:
    run = ge_runs["defective"]
    source: object = {
        "checkpoint object": run.checkpoint,
        "validation object": run.validation,
        "validation json file": run.validation_json,
        "describe json file": str(run.checkpoint_json),
        "validation json text": run.validation_json.read_text(encoding="utf-8"),
        "validation dict": json.loads(run.validation_json.read_text(encoding="utf-8")),
    }[form]

    result = check_great_expectations_result(source)

    assert result.outcome is Outcome.FAILED
    assert set(_failed_rows(result)) == set(
        _failed_rows(check_great_expectations_result(run.checkpoint))
    )


def test_it_names_the_file_it_read_and_the_layout(ge_runs: dict[str, GERun]) -> None:
    path = ge_runs["defective"].validation_json

    result = check_great_expectations_result(path)

    assert result.parameters["source"] == str(path)
    assert result.parameters["layout"] == "gx-1 validation"
    assert result.parameters["great_expectations_version"].startswith("1.")
    assert result.parameters["suites"] == "adult-defective"


def test_it_reads_the_0x_checkpoint_json_layout(ge_runs: dict[str, GERun], tmp_path: Path) -> None:
    path = tmp_path / "checkpoint-0x.json"
    path.write_text(json.dumps(_as_0x(ge_runs["defective"].validation.to_json_dict())))

    result = check_great_expectations_result(path)

    assert result.outcome is Outcome.FAILED
    assert result.parameters["layout"] == "gx-0 checkpoint"
    assert result.parameters["newest_run_time"] == "2026-11-30T02:00:00+00:00"
    assert ("expect_column_values_to_be_between", "age") in _failed_rows(result)


def test_it_reads_a_bare_0x_validation_result(ge_runs: dict[str, GERun]) -> None:
    old = _as_0x(ge_runs["clean"].validation.to_json_dict())
    validation = next(iter(old["run_results"].values()))["validation_result"]

    result = check_great_expectations_result(validation)

    assert result.outcome is Outcome.PASSED
    assert result.parameters["layout"] == "gx-0 validation"


def test_failures_of_an_ignored_severity_are_listed_but_tolerated(
    ge_runs: dict[str, GERun],
) -> None:
    data = ge_runs["defective"].validation.to_json_dict()
    for entry in data["results"]:
        entry["expectation_config"]["severity"] = "warning"

    result = check_great_expectations_result(data, ignore_severities=["warning", "info"])

    assert result.outcome is Outcome.PASSED
    assert result.measurements["expectations_failed_tolerated"] == 3
    assert len(_failed_rows(result)) == 3
    assert "3 warning/info failure(s) tolerated" in result.reason


def test_a_result_older_than_max_age_days_fails_even_when_every_expectation_passed(
    ge_runs: dict[str, GERun],
) -> None:
    later = datetime.now(UTC) + timedelta(days=45)

    stale = check_great_expectations_result(ge_runs["clean"].checkpoint, max_age_days=30, now=later)
    fresh = check_great_expectations_result(ge_runs["clean"].checkpoint, max_age_days=30)

    assert stale.outcome is Outcome.FAILED
    assert "older than max_age_days=30" in stale.reason
    assert stale.measurements["age_days"] == pytest.approx(45, abs=0.1)
    assert fresh.outcome is Outcome.PASSED


def test_max_age_days_fails_a_result_without_a_run_time(ge_runs: dict[str, GERun]) -> None:
    result = check_great_expectations_result(ge_runs["clean"].checkpoint_json, max_age_days=30)

    assert result.outcome is Outcome.FAILED
    assert "records no run time" in result.reason


def test_a_result_without_expectations_proves_nothing_and_fails(ge_runs: dict[str, GERun]) -> None:
    data = ge_runs["clean"].validation.to_json_dict()
    data["results"] = []

    result = check_great_expectations_result(data)

    assert result.outcome is Outcome.FAILED
    assert "only 0 expectation(s) evaluated" in result.reason


def test_an_expectation_that_raised_is_a_failure_with_its_message(
    ge_runs: dict[str, GERun],
) -> None:
    data = ge_runs["clean"].validation.to_json_dict()
    data["results"][0]["success"] = False
    data["results"][0]["exception_info"] = {
        "raised_exception": True,
        "exception_message": "column 'age' does not exist",
        "exception_traceback": "...",
    }

    result = check_great_expectations_result(data)

    assert result.outcome is Outcome.FAILED
    assert result.measurements["expectations_raised"] == 1
    assert "raised: column 'age' does not exist" in result.reason


def test_a_missing_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"

    result = check_great_expectations_result(path)

    assert result.outcome is Outcome.ERROR
    assert str(path) in result.reason
    assert "no such file" in result.reason


def test_a_file_that_is_not_json_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("<html>Data Docs</html>")

    result = check_great_expectations_result(path)

    assert result.outcome is Outcome.ERROR
    assert str(path) in result.reason
    assert "not valid JSON" in result.reason


def test_a_binary_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04\x95\xff\xfe")

    result = check_great_expectations_result(path)

    assert result.outcome is Outcome.ERROR
    assert str(path) in result.reason


def test_json_of_another_layout_is_an_error_naming_the_file_and_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "adult", "expectations": []}))

    result = check_great_expectations_result(path)

    assert result.outcome is Outcome.ERROR
    assert str(path) in result.reason
    assert "not a Great Expectations checkpoint or validation result" in result.reason
    assert "found keys expectations, name" in result.reason


@pytest.mark.parametrize("bad", [42, None, ["not", "results"], b"{]"])
def test_a_wrong_object_is_an_error_naming_the_argument(bad: object) -> None:
    result = check_great_expectations_result(bad)

    assert result.outcome is Outcome.ERROR
    assert "result" in result.reason


def test_a_result_without_expectation_types_is_an_error() -> None:
    result = check_great_expectations_result({"results": [{"success": True, "result": {}}]})

    assert result.outcome is Outcome.ERROR
    assert "without its expectation type" in result.reason


def test_it_is_a_registered_built_in_check_for_data_1_and_monitor_2() -> None:
    info = {c.name: c for c in all_checks()}["check_great_expectations_result"]

    assert info.rubric_ids == ("data-1", "monitor-2")
    assert info.module == "mltestscore.checks.ge_results"


def _validation(successes: list[bool]) -> dict[str, Any]:
    return {
        "success": all(successes),
        "suite_name": "generated",
        "results": [
            {
                "success": ok,
                "expectation_config": {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": f"c{i}"},
                },
                "result": {
                    "unexpected_count": 0 if ok else i + 1,
                    "unexpected_percent": 0.0 if ok else 1.0,
                },
            }
            for i, ok in enumerate(successes)
        ],
        "meta": {"great_expectations_version": "1.24.1"},
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.booleans(), min_size=1, max_size=80))
def test_it_passes_exactly_when_every_expectation_succeeded_and_lists_each_failure(
    successes: list[bool],
) -> None:
    result = check_great_expectations_result(_validation(successes), max_table_rows=100)

    assert (result.outcome is Outcome.PASSED) == all(successes)
    assert result.measurements["expectations_failed"] == successes.count(False)
    failed = [t for t in result.tables if t.title == "Failed expectations"]
    assert (len(failed[0].rows) if failed else 0) == successes.count(False)


def test_read_validations_reports_one_record_per_validation_of_a_list(
    ge_runs: dict[str, GERun],
) -> None:
    both = [ge_runs["clean"].validation, ge_runs["defective"].validation]

    layout, validations = read_validations(both)

    assert layout == "gx-1 validation"
    assert [v.suite for v in validations] == ["adult-clean", "adult-defective"]
    assert [v.success for v in validations] == [True, False]
