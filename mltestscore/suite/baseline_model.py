"""The model the computing-performance baseline measured, kept beside the history.

monitor-6 judges a model's timings against the model the baseline runs measured, timed in
the same run: contention on a shared runner slows both alike, where the stored runs of an
unchanged model read up to 2.28x slower under load (docs/checks-infra.md). So the first
passing run keeps a copy of its artifact in ``performance-baseline/`` next to the history
file; later runs load it when the current artifact differs and say "unchanged" when it is
the same bytes. Removing the history resets both: the next run keeps its own artifact.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore import artifacts

FOLDER = "performance-baseline"
# An artifact above this size is not copied: the timings are then judged against the stored
# runs, as for a model that is not one file (an MLflow folder, a ``module:callable``).
MAX_COPY_MB = 512.0


@dataclass(frozen=True)
class BaselineModel:
    """What the check compares the current model with: the baseline's model to time beside
    it, or the fact that the current model is the baseline's own artifact, or neither (and
    why, for the result)."""

    model: Any | None = None
    unchanged: bool = False
    kept: Path | None = None
    why_none: str = ""


def kept_artifact(history: Path) -> Path | None:
    """The kept artifact beside ``history`` (None when there is none)."""
    folder = history.parent / FOLDER
    files = (
        sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        if folder.is_dir()
        else []
    )
    return files[0] if len(files) == 1 else None


def find(history: Path, artifact: Path | None, trusted: artifacts.Trust) -> BaselineModel:
    """The baseline's model for a run of ``artifact`` against ``history``."""
    if artifact is None:
        return BaselineModel(why_none="the model is not one file, so no copy of it is kept")
    kept = kept_artifact(history) if history.is_file() else None
    if kept is None:
        return BaselineModel(why_none="no copy of the baseline's artifact is kept yet")
    if filecmp.cmp(kept, artifact, shallow=False):  # sizes first, then the bytes
        return BaselineModel(unchanged=True, kept=kept)
    try:
        model = artifacts.load_model(kept, trusted=trusted).model
    except Exception as exc:  # an old artifact may not load in today's environment at all
        return BaselineModel(
            kept=kept, why_none=f"the kept baseline artifact did not load: {exc}"[:300]
        )
    if not callable(getattr(model, "predict", None)):
        return BaselineModel(kept=kept, why_none=f"the kept artifact {kept} has no predict()")
    return BaselineModel(model=model, kept=kept)


def keep(history: Path, artifact: Path | None, *, replace: bool) -> Path | None:
    """Copy ``artifact`` beside ``history`` as the baseline's model, atomically, when none is
    kept (or ``replace``: the history was empty before this run). None when not copied."""
    if artifact is None or not artifact.is_file():
        return None
    if artifact.stat().st_size > MAX_COPY_MB * 2**20:
        return None
    folder = history.parent / FOLDER
    if kept_artifact(history) is not None and not replace:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    os.close(handle)
    try:
        shutil.copyfile(artifact, temporary)
        for old in folder.iterdir():
            if old.is_file() and not old.name.startswith(".incoming-"):
                old.unlink()
        target = folder / artifact.name
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target
