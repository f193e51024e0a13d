"""The zero-config rubric suite: ``[tool.mltestscore]`` keys that name a model and data become
one generated pytest item per applicable built-in check.

``pytest --mlscore`` collects them next to the project's own tests under node ids like
``mlscore::model-7::fairness[sex]``. Items whose inputs are not configured are not collected;
the scorecard says which key would enable them instead. Standard library only at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mltestscore.config import SUITE_KEYS

# Keys that only tune other keys: on their own they generate nothing.
_MODIFIER_KEYS = frozenset({"model_trusted", "thresholds", "target", "prediction"})


def suite_configured(settings: Mapping[str, Any]) -> bool:
    """True when ``[tool.mltestscore]`` names at least one input of the generated suite."""
    return any(key in settings for key in SUITE_KEYS - _MODIFIER_KEYS)
