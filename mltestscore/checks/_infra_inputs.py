"""The infrastructure checks' old input helpers, now in :mod:`mltestscore.checks._inputs` and
:mod:`mltestscore.checks._models`.

Kept for the modules not yet ported; removed once they are.
"""

from __future__ import annotations

from mltestscore.checks._inputs import (
    fmt,
    require_columns,
    require_labels,
    require_model,
    require_rows,
    sample_rows,
    take_rows,
)
from mltestscore.checks._models import missing_probabilities, task_of

__all__ = [
    "fmt",
    "missing_probabilities",
    "require_columns",
    "require_labels",
    "require_model",
    "require_rows",
    "sample_rows",
    "take_rows",
    "task_of",
]
