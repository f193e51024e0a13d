"""Real Great Expectations 1.x output on the Adult sample, produced once per session.

A checkpoint validates the sample with planted defects (ages of -5, an unknown sex value, a
missing column), another validates the clean sample; their results are saved as JSON the way
teams keep them, for the adapter to read back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ADULT_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "adult" / "adult_sample.csv"
PLANTED_NEGATIVE_AGES = 60
PLANTED_UNKNOWN_SEX = 25


@dataclass(frozen=True)
class GERun:
    checkpoint: Any  # a GE 1.x CheckpointResult
    validation: Any  # a GE 1.x ExpectationSuiteValidationResult
    validation_json: Path
    checkpoint_json: Path


def _expectations() -> list[Any]:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToBeBetween(column="age", min_value=17, max_value=90),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="workclass", mostly=0.9),
        gx.expectations.ExpectColumnValuesToBeInSet(column="sex", value_set=["Male", "Female"]),
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=100, max_value=100_000),
        gx.expectations.ExpectColumnToExist(column="income"),
    ]


def _run_checkpoint(frame: Any, name: str) -> tuple[Any, Any]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    from mltestscore.checks._expectations import great_expectations_context

    context = great_expectations_context()
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name="adult_sample")
        .add_batch_definition_whole_dataframe("whole")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=f"adult-{name}"))
    for expectation in _expectations():
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}-validation", data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=f"{name}-checkpoint", validation_definitions=[definition])
    )
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    validation = next(iter(result.run_results.values()))
    return result, validation


def _save(directory: Path, name: str, checkpoint: Any, validation: Any) -> GERun:
    validation_json = directory / f"{name}-validation.json"
    validation_json.write_text(json.dumps(validation.to_json_dict(), indent=2), encoding="utf-8")
    checkpoint_json = directory / f"{name}-checkpoint.json"
    checkpoint_json.write_text(checkpoint.describe(), encoding="utf-8")
    return GERun(checkpoint, validation, validation_json, checkpoint_json)


@pytest.fixture(scope="session")
def ge_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GERun]:
    """``defective`` and ``clean`` runs of one real GE 1.x checkpoint on the Adult sample."""
    import pandas as pd

    directory = tmp_path_factory.mktemp("ge-results")
    clean = pd.read_csv(ADULT_SAMPLE)
    defective = clean.copy()
    defective.loc[: PLANTED_NEGATIVE_AGES - 1, "age"] = -5
    defective.loc[100 : 100 + PLANTED_UNKNOWN_SEX - 1, "sex"] = "unknown"
    defective = defective.drop(columns=["income"])
    runs = {}
    for name, frame in (("defective", defective), ("clean", clean)):
        checkpoint, validation = _run_checkpoint(frame, name)
        runs[name] = _save(directory, name, checkpoint, validation)
    return runs
