"""The entry point mltestscore discovers: cheap to import (deepchecks is not imported)."""

from __future__ import annotations

import importlib.metadata

from mltestscore.extensions import Plugin

PLUGIN = Plugin(
    name="deepchecks",
    description="deepchecks suite results (run here or saved as JSON) as rubric evidence.",
    check_modules=("mltestscore_deepchecks.checks",),
    adapters={"deepchecks": "mltestscore_deepchecks.evidence:deepchecks_evidence"},
    requirements_check="mltestscore_deepchecks.plugin:requirement_problems",
)

# deepchecks 0.19.1 fails to import outside these ranges (np.Inf, sklearn's max_error scorer).
_LIMITS = {"numpy": (2,), "scikit-learn": (1, 6)}


def _version(dist: str) -> tuple[str, tuple[int, ...]] | None:
    try:
        text = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None
    parts = tuple(int(p) for p in text.split(".")[:2] if p.isdigit())
    return text, parts


def requirement_problems() -> list[str]:
    """What in this environment stops deepchecks 0.19.1 from working, read from metadata only."""
    problems = []
    if _version("deepchecks") is None:
        problems.append("deepchecks is not installed (pip install mltestscore-deepchecks)")
    for dist, limit in _LIMITS.items():
        found = _version(dist)
        if found is not None and found[1] >= limit:
            bound = ".".join(map(str, limit))
            problems.append(
                f"{dist} {found[0]} is installed; deepchecks 0.19.1 needs {dist} < {bound}"
            )
    return problems
