"""The per-user cache folder: work worth keeping between runs (compiled templates, parsed
rubrics), so that ``pytest --mlscore`` does not redo it on every start.

Everything in it is keyed by a checksum of its source, so a stale entry is never used, and
losing the folder only costs time. The folder is created private (0700) and refused when
another user owns it: what is loaded from it is trusted like the package's own files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from mltestscore import __version__

CACHE_VARIABLE = "MLTESTSCORE_CACHE_DIR"
ENTRIES_PER_KIND = 32


def _owner_name() -> str:
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        return str(getuid())
    import getpass

    return getpass.getuser()


@cache
def cache_folder(kind: str) -> Path | None:
    """``<temp>/mltestscore-<uid>/<kind>`` (or under ``$MLTESTSCORE_CACHE_DIR``), created
    on first use; None when it cannot be created or is not ours."""
    base = os.environ.get(CACHE_VARIABLE)
    try:
        root = Path(base) if base else Path(tempfile.gettempdir()) / f"mltestscore-{_owner_name()}"
        folder = root / kind
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        getuid = getattr(os, "getuid", None)
        if getuid is not None and (
            root.stat().st_uid != getuid() or folder.stat().st_uid != getuid()
        ):
            return None  # someone else's folder: do not load anything from it
        return folder
    except (OSError, KeyError):
        return None


def _entry(kind: str, source: bytes) -> Path | None:
    folder = cache_folder(kind)
    if folder is None:
        return None
    digest = hashlib.sha256(source + __version__.encode()).hexdigest()
    return folder / f"{digest}.json"


def load_cached(kind: str, source: bytes) -> Any | None:
    """What :func:`store_cached` kept for exactly these source bytes (and this version of
    mltestscore), or None."""
    entry = _entry(kind, source)
    if entry is None:
        return None
    try:
        return json.loads(entry.read_bytes())
    except (OSError, ValueError):
        return None


def store_cached(kind: str, source: bytes, value: Any) -> None:
    """Keep ``value`` derived from ``source``, when JSON gives it back unchanged (no dates,
    no non-string keys); failing to keep it is not an error."""
    entry = _entry(kind, source)
    if entry is None:
        return
    try:
        text = json.dumps(value)
        if json.loads(text) != value:
            return
    except (TypeError, ValueError):
        return
    temporary = entry.with_suffix(f".{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, entry)  # readers see the whole entry or none
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return
    _prune(entry.parent, keep=ENTRIES_PER_KIND)


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` newest entries: every installed state, rubric edit or
    upgrade leaves one behind, and nothing else would ever remove them. Only stores (cache
    misses) pay for it; an entry removed while still useful is computed again once."""
    try:
        entries = sorted((entry.stat().st_mtime_ns, entry) for entry in folder.glob("*.json"))
    except OSError:
        return
    for _, entry in entries[: max(len(entries) - keep, 0)]:
        with contextlib.suppress(OSError):
            entry.unlink()
