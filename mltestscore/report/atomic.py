"""The one safe way mltestscore writes a file into a project or report path: reports, the
badge, the score history, the job summary and outputs, ``pyproject.toml``, saved models and
model-store pointers, environment snapshots, schema suites, performance histories, the
rubric docs. (Cache entries go through :mod:`mltestscore.cache`, which checks its folder's
owner and mode; scratch files go into ``mkdtemp`` folders only this process knows.)

- A report is either the previous complete file or the new complete file, never half of
  one, even if the process dies mid-write: it is written to a temporary file in the same
  folder and moved into place with ``os.replace``.
- Only regular files are replaced or appended to. A device node (``/dev/null``), a FIFO, a
  folder or a symbolic link at the target is refused with a clear error: run as root, a
  report path must not replace ``/dev/stdout`` with a regular file, nor write through a
  link someone planted next to the reports.
- The new file gets the mode the umask gives (as ``open`` would), not a forced one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


class UnsafeTargetError(OSError):
    """The target exists and is not a regular file (a link, a device, a FIFO, a folder)."""


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link (mltestscore never writes through links)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(target: Path, mode: int) -> UnsafeTargetError:
    return UnsafeTargetError(
        errno.EINVAL, f"{target} is {_kind(mode)}; give the path of a regular file", str(target)
    )


def check_target(path: str | os.PathLike[str]) -> None:
    """Raise :class:`UnsafeTargetError` when ``path`` exists and is not a regular file (a
    symbolic link counts as not regular, whatever it points at)."""
    target = Path(path)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise _refuse(target, mode)


def current_umask() -> int:
    """The process umask, read without changing it where the platform says it (Linux);
    elsewhere set and restored at once."""
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii") as status,
    ):
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], text: str, *, keep_mode: bool = False) -> Path:
    """Replace ``path`` with ``text`` (UTF-8) in one step; refuse a non-regular target."""
    return write_bytes_atomic(path, text.encode("utf-8"), keep_mode=keep_mode)


def write_bytes_atomic(
    path: str | os.PathLike[str], data: bytes, *, keep_mode: bool = False
) -> Path:
    with atomic_file(path, keep_mode=keep_mode) as handle:
        handle.write(data)
    return Path(path)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, keep_mode: bool = False) -> Iterator[BinaryIO]:
    """A binary handle for writing the new content of ``path``; when the block ends without
    an exception the content replaces ``path`` in one step, otherwise nothing changes.

    For writers that want a file object (skops, joblib, pickle, pandas): the library never
    opens the target itself, so it cannot follow a link there. The handle is on a temporary
    file that ``mkstemp`` created (``O_EXCL``: never a planted link) in the target's folder.
    The new file gets the umask's mode, or with ``keep_mode`` the mode of the file it
    replaces (``pyproject.toml``)."""
    target = Path(path)
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o666 & ~current_umask()
    if keep_mode and target.exists():
        mode = stat.S_IMODE(os.lstat(target).st_mode)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        check_target(target)  # narrows the window in which a link could be planted
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def open_for_append(path: str | os.PathLike[str]) -> int:
    """A descriptor opened for reading and appending to the regular file at ``path``
    (created with the umask's mode when missing). A link at ``path`` is never followed
    (``O_NOFOLLOW``); a FIFO or device is refused before anything is written (opened
    non-blocking, then checked with ``fstat``)."""
    target = Path(path)
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _NONBLOCK
    try:
        fd = os.open(target, flags, 0o666)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):
            raise _refuse(target, os.lstat(target).st_mode) from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _refuse(target, mode)
    if _NONBLOCK:
        os.set_blocking(fd, True)
    return fd


def append_text(path: str | os.PathLike[str], text: str) -> Path:
    """Append ``text`` to a regular file (never through a link, never to a device)."""
    fd = open_for_append(path)
    try:
        view = memoryview(text.encode("utf-8"))
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    return Path(path)


def remove_stale(path: str | os.PathLike[str]) -> bool:
    """Remove a report from an earlier run so a failed run cannot be mistaken for it.

    True when no such file is left (removed, never there, or the path cannot hold one:
    a folder, a device, a link (never removed nor followed), or a path through a file);
    False when a file stays (no permission)."""
    target = Path(path)
    try:
        if not stat.S_ISREG(os.lstat(target).st_mode):
            return True  # not a report any run of ours wrote: left alone
        target.unlink()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return True
    except OSError:
        return not target.is_file()
    return True
