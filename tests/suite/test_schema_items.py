"""The generated schema items read the committed Great Expectations suite as JSON: Great
Expectations itself (over a second to import) loads only for what the fast path does not
evaluate, and still rejects an expectation it does not know."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.filterwarnings("ignore")

REPORT_MODULES = """
import sys

def pytest_sessionfinish(session):
    loaded = sorted(m for m in ("great_expectations",) if m in sys.modules)
    with open("modules.json", "w") as handle:
        handle.write(repr(loaded))
"""


def _committed_schema(pytester: pytest.Pytester, project: Any) -> dict[str, Any]:
    """The suite inferred from the training data, written where the project keeps it."""
    import pandas as pd

    from mltestscore.checks.schema import infer_schema, save_schema, schema_to_dict

    frame = pd.read_parquet(project.train)
    suite = schema_to_dict(infer_schema(frame, name="train", ignore_columns=["income"]))
    pytester.path.joinpath("schemas").mkdir(exist_ok=True)
    save_schema(suite, pytester.path / "schemas" / "train.json")
    return suite


def test_a_committed_schema_is_checked_without_importing_great_expectations(
    pytester: pytest.Pytester, project: Any
) -> None:
    _committed_schema(pytester, project)
    project.write(pytester, project.keys(schema="schemas/train.json"))
    pytester.makeconftest(REPORT_MODULES)
    result = pytester.runpytest_subprocess("--mlscore", "-v", "-k", "schema")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 3  # train, test, serving
    result.stdout.fnmatch_lines(["*schema[[]train[]] PASSED*"])
    assert (pytester.path / "modules.json").read_text() == "[]"


def test_an_expectation_great_expectations_does_not_know_still_fails_the_schema_item(
    pytester: pytest.Pytester, project: Any
) -> None:
    suite = _committed_schema(pytester, project)
    suite["expectations"].append(
        {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "age"}}
    )
    (pytester.path / "schemas" / "train.json").write_text(json.dumps(suite))
    project.write(pytester, project.keys(schema="schemas/train.json"))
    result = pytester.runpytest("--mlscore", "-k", "schema and train")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expect_column_values_to_be_purple*"])
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    (check,) = [e for e in items["data-1"]["evidence"] if e["kind"] == "check"]
    assert "Great Expectations rejects it" in json.dumps(check["tables"])


def test_a_schema_file_that_is_not_a_suite_is_a_configuration_error_naming_the_key(
    pytester: pytest.Pytester, project: Any
) -> None:
    pytester.path.joinpath("schemas").mkdir()
    (pytester.path / "schemas" / "train.json").write_text('{"name": "train"}')
    project.write(pytester, project.keys(schema="schemas/train.json"))
    result = pytester.runpytest("--mlscore", "-k", "schema and train")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*schema: cannot read * as a Great Expectations suite*"])
