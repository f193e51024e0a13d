"""Atomic file writes: a report is either the previous complete file or the new complete
file, never half of one, even if the process dies mid-write."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def remove_stale(path: str | os.PathLike[str]) -> bool:
    """Remove a report from an earlier run so a failed run cannot be mistaken for it.

    True when no such file is left (removed, never there, or the path cannot hold one:
    a folder, or a path through a file); False when a file stays (no permission)."""
    target = Path(path)
    try:
        target.unlink()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return True
    except OSError:
        return not target.is_file()
    return True
