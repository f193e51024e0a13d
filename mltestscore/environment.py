"""Environment snapshots: what a model was trained with.

Written next to a model artifact at training time (``environment.json``) and read back by the
dependency-change (monitor-1), staleness (monitor-4) and canary (infra-6) checks. Standard
library only, so training scripts can call it without pulling anything in.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

SNAPSHOT_FILE = "environment.json"
SNAPSHOT_VERSION = 1
INSTALLED_PACKAGES_CACHE = "installed-packages"


def file_fingerprint(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def installed_packages() -> dict[str, str]:
    """Normalised distribution name → version for everything importable here.

    Parsing every distribution's metadata takes about 0.1 s, and the suite asks twice a
    run, so the answer is kept in the per-user cache (:mod:`mltestscore.cache`) for as long
    as the installed distributions stay the same.
    """
    from mltestscore.cache import load_cached, store_cached
    from mltestscore.entry_points import installed_state

    key = installed_state(INSTALLED_PACKAGES_CACHE, "METADATA")
    cached = load_cached(INSTALLED_PACKAGES_CACHE, key)
    if isinstance(cached, dict):
        return {str(name): str(version) for name, version in cached.items()}
    packages: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower().replace("_", "-")] = dist.version
    found = dict(sorted(packages.items()))
    store_cached(INSTALLED_PACKAGES_CACHE, key, found)
    return found


def take_snapshot(
    data_files: Iterable[str | os.PathLike[str]] = (),
    extra: Mapping[str, Any] | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "snapshot_version": SNAPSHOT_VERSION,
        "created_at": (created_at or datetime.now(UTC)).isoformat(),
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "packages": installed_packages(),
        "data_fingerprints": {str(p): file_fingerprint(p) for p in data_files},
        "extra": dict(extra or {}),
    }


def write_snapshot(
    directory: str | os.PathLike[str],
    data_files: Iterable[str | os.PathLike[str]] = (),
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``environment.json`` into ``directory`` atomically and return its path (a link,
    device or FIFO there is refused: :class:`mltestscore.report.atomic.UnsafeTargetError`)."""
    from mltestscore.report.atomic import write_atomic

    text = json.dumps(take_snapshot(data_files, extra), indent=2, sort_keys=True)
    return write_atomic(Path(directory) / SNAPSHOT_FILE, text)


def read_snapshot(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a snapshot file, or the ``environment.json`` inside a directory."""
    source = Path(path)
    if source.is_dir():
        source = source / SNAPSHOT_FILE
    data = json.loads(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "packages" not in data or "created_at" not in data:
        raise ValueError(f"{source} is not an environment snapshot (no packages / created_at)")
    return data
