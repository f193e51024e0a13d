"""Built-in ML checks: plain functions returning a :class:`CheckResult`.

Each check lives in a module named after its technique (``schema``, ``drift``, ``fairness``...)
and registers itself with :func:`register_check`. ``from mltestscore.checks import check_x``
works for every registered check; import from the technique module for precise types.
"""

from __future__ import annotations

from typing import Any

from mltestscore.checks.registry import (
    CheckInfo,
    CheckInputError,
    all_checks,
    get_check,
    register_check,
)
from mltestscore.checks.result import CheckResult, Outcome, Table

__all__ = [
    "CheckInfo",
    "CheckInputError",
    "CheckResult",
    "Outcome",
    "Table",
    "all_checks",
    "get_check",
    "register_check",
]


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        # private submodules (``from mltestscore.checks import _models``) are not checks:
        # looking them up in the registry would import every check module mid-import
        raise AttributeError(f"module 'mltestscore.checks' has no attribute {name!r}")
    from mltestscore.checks.registry import registered_names

    checks = registered_names()
    if name in checks:
        return checks[name]
    raise AttributeError(f"module 'mltestscore.checks' has no attribute {name!r}")
