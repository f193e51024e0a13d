"""Cancellation and leftovers: SIGTERM (how CI cancels a job) handled like Ctrl-C, and the
scratch folders of runs that were killed outright removed by the next run.

With SIGTERM's default action the process dies at once: no partial scorecard, stale
reports beside nothing, scratch folders (``mltestscore-canary-*``, ``mltestscore-worker-*``)
left in the temporary folder. Raised as :class:`KeyboardInterrupt` instead, pytest unwinds as
for Ctrl-C: the run is reported interrupted (a partial scorecard), ``finally`` blocks and
context managers remove their folders. Nothing survives SIGKILL, so each run also removes
the scratch folders a killed run of this user left, once they are a day old.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

SCRATCH_PREFIXES = (
    "mltestscore-canary-",
    "mltestscore-worker-",
    "mltestscore-pipeline-",
    "mltestscore-mlflow-",
)
#: A scratch folder untouched this long belongs to a run that was killed: no run of
#: mltestscore leaves a folder unwritten for a day while it still needs it.
ORPHAN_AGE_SECONDS = 24 * 3600


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signum} (SIGTERM)")


def handle_sigterm() -> Any | None:
    """Make SIGTERM raise KeyboardInterrupt in this process; the previous handler to give
    :func:`restore_sigterm`, or None when nothing was changed (not the main thread, or
    someone else already handles SIGTERM)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return None  # a handler someone installed on purpose stays
    signal.signal(signal.SIGTERM, _terminated)
    return previous


def restore_sigterm(previous: Any | None) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)


def _newest_change(folder: Path) -> float:
    newest = os.lstat(folder).st_mtime
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return newest


def remove_orphaned_scratch(
    root: Path | None = None, older_than: float = ORPHAN_AGE_SECONDS, now: float | None = None
) -> list[Path]:
    """Remove this user's mltestscore scratch folders in the temporary folder that nothing
    has touched for ``older_than`` seconds (a killed run's); the folders removed."""
    base = root or Path(tempfile.gettempdir())
    moment = time.time() if now is None else now
    uid = getattr(os, "getuid", lambda: None)()
    removed = []
    try:
        candidates = [p for p in base.iterdir() if p.name.startswith(SCRATCH_PREFIXES)]
    except OSError:
        return []
    for folder in candidates:
        try:
            status = os.lstat(folder)
            if not stat.S_ISDIR(status.st_mode) or (uid is not None and status.st_uid != uid):
                continue  # a link, a file, someone else's: not ours to remove
            if moment - _newest_change(folder) < older_than:
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
