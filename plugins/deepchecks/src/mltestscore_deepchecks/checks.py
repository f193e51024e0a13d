"""Checks this plugin registers (listed by ``mltestscore plugins`` and ``plugin_checks()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import pandas as pd


@register_check("data-1")
def check_deepchecks_data_integrity(
    data: pd.DataFrame, *, label: str | None = None, cat_features: list[str] | None = None
) -> CheckResult:
    """Run deepchecks' data-integrity suite on one DataFrame; any failed condition fails it.

    deepchecks' integrity checks (mixed nulls, duplicates, single-value columns, special
    characters, conflicting labels...) are expectations about the data written as conditions:
    evidence for data-1. Checks that do not apply are left out; WARN conditions do not fail.
    """
    import pandas as pd

    from mltestscore_deepchecks.evidence import deepchecks_evidence
    from mltestscore_deepchecks.run import run_suite

    if not isinstance(data, pd.DataFrame):
        raise CheckInputError("data", f"expected a pandas DataFrame, got {type(data).__name__}")
    if data.empty:
        raise CheckInputError("data", "is empty")
    if label is not None and label not in data.columns:
        raise CheckInputError(label, "label column is not in data")
    results = deepchecks_evidence(
        run_suite(data, label=label, cat_features=cat_features, suite="data_integrity"),
        record=False,
    )
    judged = [r for r in results if r.outcome.value in {"passed", "failed", "error"}]
    bad = [r for r in judged if r.outcome.value != "passed"]
    kw = {
        "measurements": {"checks_judged": len(judged), "checks_failed": len(bad)},
        "parameters": {"rows": len(data), "label": label},
        "tables": [
            Table.build(
                "deepchecks data integrity",
                ["check", "outcome", "reason"],
                [(r.check, r.outcome.value, r.reason) for r in results],
            )
        ],
    }
    name, ids = "check_deepchecks_data_integrity", ("data-1",)
    if not judged:
        return CheckResult.not_applicable(name, ids, "no deepchecks integrity check applied", **kw)
    if bad:
        listed = "; ".join(r.reason for r in bad[:3])
        return CheckResult.failed(name, ids, f"{len(bad)} of {len(judged)} failed: {listed}", **kw)
    return CheckResult.passed(name, ids, f"all {len(judged)} integrity checks passed", **kw)
