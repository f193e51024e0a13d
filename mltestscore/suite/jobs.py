"""What an execution of the generated suite is handed: the jobs and the function that computes
one. Its own module so that the seam (:mod:`mltestscore.suite.execution`) and the forked
worker behind it (:mod:`mltestscore.suite.worker`) both name them without importing each
other."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mltestscore.checks.result import CheckResult
    from mltestscore.suite.catalog import Spec

# One generated item: its spec and its parameter (a column, a data key, or None).
Job = tuple["Spec", str | None]
# Computes one job's result, in whichever process runs it.
Compute = Callable[["Spec", str | None], "CheckResult"]
