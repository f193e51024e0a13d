"""Run a deepchecks suite on DataFrames; deepchecks is imported here, inside the functions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.checks.result import CheckResult
from mltestscore_deepchecks.evidence import deepchecks_evidence

if TYPE_CHECKING:
    import pandas as pd

SUITES = ("full_suite", "data_integrity", "train_test_validation", "model_evaluation")


def import_deepchecks_tabular() -> Any:
    """deepchecks.tabular, without its phone-home on import (unless the user enabled it)."""
    os.environ.setdefault("DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY", "True")
    import deepchecks.tabular

    return deepchecks.tabular


def run_suite(
    train: pd.DataFrame,
    test: pd.DataFrame | None = None,
    model: Any = None,
    *,
    label: str | None = None,
    cat_features: list[str] | None = None,
    suite: str = "full_suite",
    save_to: str | os.PathLike[str] | None = None,
) -> Any:
    """Run one of deepchecks' tabular suites and return its SuiteResult (saved as JSON if asked)."""
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {SUITES}, not {suite!r}")
    tabular = import_deepchecks_tabular()
    from deepchecks.tabular import suites

    def dataset(frame: pd.DataFrame) -> Any:
        return tabular.Dataset(frame, label=label, cat_features=cat_features or [])

    arguments: dict[str, Any] = {"train_dataset": dataset(train)}
    if test is not None:
        arguments["test_dataset"] = dataset(test)
    if model is not None:
        arguments["model"] = model
    result = getattr(suites, suite)().run(**arguments)
    if save_to is not None:
        Path(save_to).write_text(result.to_json(with_display=False), encoding="utf-8")
    return result


def run_suite_evidence(
    train: pd.DataFrame,
    test: pd.DataFrame | None = None,
    model: Any = None,
    **options: Any,
) -> list[CheckResult]:
    """Run a suite and return (and record) its mapped checks as evidence."""
    return deepchecks_evidence(run_suite(train, test, model, **options))
