"""The per-user cache folder: work worth keeping between runs (compiled templates, parsed
rubrics), so that ``pytest --mlscore`` does not redo it on every start.

Everything in it is keyed by a checksum of its source, so a stale entry is never used, and
losing the folder only costs time. The folder is created private (0700) and refused when
it is a link, another user owns it or group or others may write it; each file is read only
when this user owns it and nobody else may write it. What is loaded from it is trusted like
the package's own files, so nobody but this user may have written it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
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


def _trusted(status: os.stat_result, uid: int | None) -> bool:
    """Owned by this user and writable by nobody else: what another user could have
    written is never loaded (Jinja2's compiled templates are code)."""
    if uid is not None and status.st_uid != uid:
        return False
    return not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _uid() -> int | None:
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid is not None else None


@cache
def cache_folder(kind: str) -> Path | None:
    """``<temp>/mltestscore-<uid>/<kind>`` (or under ``$MLTESTSCORE_CACHE_DIR``), created
    on first use; None when it cannot be created or is not private: a link, another
    user's, or writable by group or others (what others could plant there is not loaded)."""
    base = os.environ.get(CACHE_VARIABLE)
    try:
        root = Path(base) if base else Path(tempfile.gettempdir()) / f"mltestscore-{_owner_name()}"
        folder = root / kind
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        uid = _uid()
        for path in (root, folder):
            status = os.lstat(path)
            if not stat.S_ISDIR(status.st_mode) or not _trusted(status, uid):
                return None  # someone else's, or anyone's: do not load anything from it
        return folder
    except (OSError, KeyError):
        return None


def read_private(path: Path) -> bytes | None:
    """The bytes of a cache file this user wrote and nobody else can have changed (a
    regular file, not a link, owned by this user, not group- or world-writable), or None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or not _trusted(status, _uid()):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> bool:
    """Write a cache file readable by this user only (0600), whole or not at all."""
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)  # readers see the whole entry or none
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


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
    data = read_private(entry)
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
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
    if not write_private(entry, text.encode("utf-8")):
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
