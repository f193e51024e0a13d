"""The zero-config rubric suite: ``[tool.mltestscore]`` keys that name a model and data become
one generated pytest item per applicable built-in check.

``pytest --mlscore`` collects them next to the project's own tests under node ids like
``mlscore::model-7::fairness[sex]``. Items whose inputs are not configured are not collected;
the scorecard says which key would enable them instead. Standard library only at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mltestscore.config import SUITE_KEYS

# Keys that only tune other keys: on their own they generate nothing.
_MODIFIER_KEYS = frozenset(
    {"model_trusted", "thresholds", "target", "prediction", "storage_options"}
)


def suite_configured(settings: Mapping[str, Any]) -> bool:
    """True when ``[tool.mltestscore]`` names at least one input of the generated suite."""
    return any(key in settings for key in SUITE_KEYS - _MODIFIER_KEYS)


def unconfigured_hints(source: str, root: Path) -> dict[str, list[str]]:
    """Per rubric item, which ``[tool.mltestscore]`` key would automate it, for a project
    that turns no suite on (the same for every such project).

    Kept in the per-user cache, keyed by the catalogue's own source: building it imports
    the whole catalogue, a cost every ``pytest --mlscore`` start would otherwise pay.
    """
    from mltestscore.cache import load_cached, store_cached

    folder = Path(__file__).parent
    key = (folder / "catalog.py").read_bytes() + (folder / "hint_examples.py").read_bytes()
    cached = load_cached("hints", key)
    if isinstance(cached, dict):
        return cached
    from mltestscore.suite import catalog
    from mltestscore.suite.config import SuiteConfig

    hints = catalog.hints(SuiteConfig(source=source, root=root), active=False)
    store_cached("hints", key, hints)
    return hints
