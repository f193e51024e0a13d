"""The fitted-model checks' old input helpers, now in :mod:`mltestscore.checks._inputs`,
:mod:`mltestscore.checks._models` and :mod:`mltestscore.checks._threads`.

Kept for the modules not yet ported; removed once they are. ``sample_rows(X, y, size, seed)``
here is :func:`~mltestscore.checks._inputs.sample_frame` (``_inputs.sample_rows`` returns
positions).
"""

from __future__ import annotations

from mltestscore.checks._inputs import (
    fmt,
    require_columns,
    require_frame,
    require_model,
    resolve_columns,
)
from mltestscore.checks._inputs import require_labels as require_target
from mltestscore.checks._inputs import sample_frame as sample_rows
from mltestscore.checks._models import (
    KNOWN_METRICS,
    PROBABILITY_METRICS,
    MetricChoice,
    NotApplicableError,
    best_time,
    choose_metric,
    is_classifier,
    is_regressor,
    quality,
)
from mltestscore.checks._threads import limited_threads

__all__ = [
    "KNOWN_METRICS",
    "PROBABILITY_METRICS",
    "MetricChoice",
    "NotApplicableError",
    "best_time",
    "choose_metric",
    "fmt",
    "is_classifier",
    "is_regressor",
    "limited_threads",
    "quality",
    "require_columns",
    "require_frame",
    "require_model",
    "require_target",
    "resolve_columns",
    "sample_rows",
]
