"""One spelling per public keyword: ``sample_size`` and ``seed``; the old ``max_rows`` and
``random_state`` still work for one release, with a DeprecationWarning."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest

from mltestscore.checks import all_checks
from mltestscore.checks.result import Outcome
from mltestscore.checks.slices import check_slice_quality

OLD_SPELLINGS = {"random_state", "max_rows", "sample_rows"}
# the modules this rename covered; the others follow in their own change
RENAMED_MODULES = {
    "mltestscore.checks.baselines",
    "mltestscore.checks.fairness",
    "mltestscore.checks.slices",
    "mltestscore.checks.explain",
    "mltestscore.checks.importance",
    "mltestscore.checks.decay",
}


def test_the_model_checks_take_only_the_new_spellings() -> None:
    old = {
        info.name: sorted(OLD_SPELLINGS & set(inspect.signature(info.function).parameters))
        for info in all_checks()
        if info.module in RENAMED_MODULES
    }
    assert {name: names for name, names in old.items() if names} == {}


def test_the_old_spellings_still_work_and_warn(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    with pytest.warns(DeprecationWarning, match="is deprecated") as caught:
        old = check_slice_quality(
            adult_model, X, y, columns=["sex"], max_rows=500, random_state=3, n_bootstrap=50
        )
    new = check_slice_quality(
        adult_model, X, y, columns=["sex"], sample_size=500, seed=3, n_bootstrap=50
    )
    messages = [str(w.message) for w in caught]
    assert any("'max_rows' is deprecated" in m and "use 'sample_size'" in m for m in messages)
    assert any("'random_state' is deprecated" in m and "use 'seed'" in m for m in messages)
    assert old.outcome is not Outcome.ERROR
    assert old.parameters["sample_size"] == 500
    assert old.parameters["seed"] == 3
    assert old.parameters["rows_used"] == 500
    timeless = [{k: v for k, v in r.measurements.items() if k != "seconds"} for r in (old, new)]
    assert timeless[0] == timeless[1]


def test_both_spellings_at_once_keep_the_new_one_and_say_so(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    with pytest.warns(DeprecationWarning, match="both 'max_rows' and 'sample_size' given"):
        result = check_slice_quality(
            adult_model, X, y, columns=["sex"], sample_size=400, max_rows=900, n_bootstrap=50
        )
    assert result.outcome is not Outcome.ERROR
    assert result.parameters["rows_used"] == 400


def test_the_new_spellings_do_not_warn(adult_model: Any, xy_test: Any) -> None:
    X, y = xy_test
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        result = check_slice_quality(
            adult_model, X, y, columns=["sex"], sample_size=400, seed=1, n_bootstrap=50
        )
    assert result.parameters["rows_used"] == 400
