"""The second core for the generated items: a forked copy of the pytest process runs them from
the end of the list while pytest runs them from the start, until the two meet.

The items are independent checks on data and a model the session has already loaded, and
each runs on one core (native thread pools are limited to one thread). On the example, 3.6 s
of the run is such item work with the other core idle. A fresh interpreter would have to
import scikit-learn, pandas and skops again and load the data and the model (1.5-2 s on the
example) before doing anything useful; a fork starts with all of it, shared copy-on-write.

How the two split the work: each item has a claim byte in memory both processes map. Pytest
claims an item as it reaches it; the child claims the last unclaimed one it may run, runs
it, writes its result to a file and says so on a pipe. When pytest reaches an item the child
has claimed, it waits for that result, and records and judges it exactly as when the item
runs in its own process (the scorecard is the same either way, which the tests check). An
item whose spec's schedule is not ``forkable`` is never taken by the child: the canary's (its
process belongs to pytest) and those running the project's training code, which may hold a
connection opened before the fork. It is one implementation of the execution seam
(:class:`mltestscore.suite.execution.ForkedExecution`).

When it is used: Linux only, right after collection and before any test ran (so no OpenMP
pool has started a thread that the fork would leave behind), not under pytest-xdist (its
workers take the cores) nor ``--collect-only`` nor while coverage.py measures the run, and
only with two usable cores or more.
``MLTESTSCORE_SUITE_WORKER=0`` turns it off (say, for several pytest sessions sharing the
cores), ``=1`` on even with one core.

Nothing depends on it: an item whose result the child cannot deliver (it died, stopped
making progress for ``STALL_SECONDS``, or the check raised something other than a
configuration error) runs in the pytest process, as it would have without the child. A child
that stalls is killed. The child never runs pytest code: it computes results, and exits with
``os._exit`` after its last claim, or is killed when the session ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import mmap
import os
import select
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.errors import MLScoreError

if TYPE_CHECKING:
    from mltestscore.suite.jobs import Compute, Job

SWITCH_VARIABLE = "MLTESTSCORE_SUITE_WORKER"
STALL_SECONDS = 30.0

FREE, PYTEST, CHILD = 0, 1, 2


def worker_wanted(switch: str | None = None) -> bool:
    """Linux with at least two usable cores, unless ``MLTESTSCORE_SUITE_WORKER`` says
    otherwise.

    Not gated on the load average, unlike the render worker: the child duplicates no
    imports and does only item work that would be done anyway, so on a busy machine it
    costs little, and the 1-minute average still counts a previous CI step for a while
    after it ended.
    """
    value = (os.environ.get(SWITCH_VARIABLE, "") if switch is None else switch).strip().lower()
    if value in {"0", "false", "no", "off"}:
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False  # fork after importing native libraries is only dependable there
    if value in {"1", "true", "yes", "on"}:
        return True
    return usable_cores() >= 2 and not _coverage_measuring()


def _coverage_measuring() -> bool:
    """coverage.py (pytest-cov) is measuring this run: lines the child runs (the project's
    training code, called by some items) would be missing from the report, since it leaves
    with ``os._exit``, so the items stay in this process."""
    coverage = sys.modules.get("coverage")
    current = getattr(getattr(coverage, "Coverage", None), "current", None)
    return callable(current) and current() is not None


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclasses.dataclass(frozen=True)
class Delivered:
    """What the child delivered for one item: its result, or the configuration error the
    item raised (reported by pytest as it would be without the child)."""

    result: dict[str, Any] | None = None
    config_error: str | None = None

    def unwrap(self) -> dict[str, Any]:
        if self.config_error is not None:
            raise MLScoreError(self.config_error)
        assert self.result is not None
        return self.result


class SuiteWorker:
    """Pytest's handle on the forked child: claims, waiting for results, stopping it."""

    def __init__(self, pid: int, claims: mmap.mmap, lock_fd: int, notices: int, folder: Path):
        self.pid = pid
        self._claims = claims
        self._lock_fd = lock_fd
        self._notices = notices
        self._folder = folder
        self._exited = False
        self._closed = False

    @classmethod
    def start(cls, jobs: Sequence[Job], compute: Compute) -> SuiteWorker | None:
        """Fork the child for ``jobs``, or None when it cannot start. The caller has loaded
        what the items share (data, model) so the child inherits it instead of loading it."""
        if not any(spec.schedule.forkable for spec, _ in jobs):
            return None
        opened: list[int] = []
        folder: Path | None = None
        try:
            folder = Path(tempfile.mkdtemp(prefix="mltestscore-worker-"))
            claims = mmap.mmap(-1, len(jobs))  # anonymous, shared across the fork
            opened.append(os.open(folder / "claims.lock", os.O_RDWR | os.O_CREAT, 0o600))
            opened.extend(os.pipe())
            lock_fd, read_end, write_end = opened
            with _locked(lock_fd):  # a file system without POSIX locks fails here
                pass
            with warnings.catch_warnings():
                # Python 3.12+ warns about forking with threads; the only ones here belong to
                # native libraries that handle fork themselves (OpenBLAS, Arrow).
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:  # no temporary folder, descriptors or processes left: no worker
            for fd in opened:
                os.close(fd)
            if folder is not None:
                _remove(folder)
            return None
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _child(jobs, compute, claims, lock_fd, write_end, folder)
        os.close(write_end)
        os.set_blocking(read_end, False)
        return cls(pid, claims, lock_fd, read_end, folder)

    def claim(self, index: int) -> bool:
        """True when pytest runs item ``index`` itself; False when the child took it first.
        Once the child is stopped (it stalled), pytest runs every item left."""
        if self._closed:
            return True
        try:
            with _locked(self._lock_fd):
                if self._claims[index] == FREE:
                    self._claims[index] = PYTEST
                    return True
                return self._claims[index] == PYTEST
        except OSError:  # the lock failed: stop the child, run everything here
            self.close()
            return True

    def delivered(self, index: int) -> Delivered | None:
        """The child's result for an item it claimed, waiting for it; None when the child
        cannot deliver it (pytest then runs the item itself)."""
        if self._closed:
            return None
        path = self._folder / f"{index}.json"
        watch = _StallWatch(self.pid)
        while not path.is_file():
            if self._exited or self._reap():
                if path.is_file():  # written just before it exited
                    break
                return None
            readable, _, _ = select.select([self._notices], [], [], 1.0)
            if readable:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._notices, 4096)
            if watch.stalled():
                self.close()  # deadlocked: nothing it holds will arrive
                return None
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if "result" in payload:
            return Delivered(result=payload["result"])
        if "config_error" in payload:
            return Delivered(config_error=str(payload["config_error"]))
        return None

    def _reap(self) -> bool:
        """True once the child has exited (and is reaped)."""
        if not self._exited:
            try:
                pid, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid = self.pid
            self._exited = pid == self.pid
        return self._exited

    def close(self) -> None:
        """Stop the child if it still runs and remove its files; safe to call again."""
        if self._closed:
            return
        self._closed = True
        if not self._reap():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self._exited = True
        for fd in (self._notices, self._lock_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._notices = self._lock_fd = -1
        with contextlib.suppress(ValueError, BufferError):
            self._claims.close()
        _remove(self._folder)


@contextlib.contextmanager
def _locked(fd: int) -> Any:
    """POSIX record locks belong to a process, so the parent and the child exclude each
    other (an inherited ``flock`` would be shared by both). Imported here: this module is
    imported on Windows too, where there is no fcntl and no worker."""
    import fcntl

    fcntl.lockf(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN)


class _StallWatch:
    """Whether a process has used no CPU for ``STALL_SECONDS``: one that is computing
    uses some, a deadlocked one (a lock held across the fork) none."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.ticks = _cpu_ticks(pid)
        self.since = time.monotonic()

    def stalled(self) -> bool:
        ticks = _cpu_ticks(self.pid)
        if ticks != self.ticks:
            self.ticks, self.since = ticks, time.monotonic()
            return False
        return time.monotonic() - self.since > STALL_SECONDS


def _cpu_ticks(pid: int) -> int:
    """User + system clock ticks the process has used (-1 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return -1
    return int(fields[11]) + int(fields[12])


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _child(
    jobs: Sequence[Job],
    compute: Compute,
    claims: mmap.mmap,
    lock_fd: int,
    notices: int,
    folder: Path,
) -> None:
    """Run the last unclaimed items until none is left, then exit without tearing down."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # pytest handles ^C and then kills us
        log = open(folder / "worker.log", "w", encoding="utf-8")  # noqa: SIM115
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log  # not pytest's capture, which the parent still uses
        while (index := _claim_last(jobs, claims, lock_fd)) is not None:
            spec, param = jobs[index]
            payload: dict[str, Any]
            try:
                result = compute(spec, param)
                payload = {"result": plain_json(result.to_dict())}
            except MLScoreError as exc:
                payload = {"config_error": str(exc)}
            except Exception as exc:  # pytest's own run reports it with a traceback
                payload = {"error": f"{type(exc).__name__}: {exc}"}
            target = folder / f"{index}.json"
            partial = folder / f".{index}.json.partial"
            partial.write_text(json.dumps(payload), encoding="utf-8")
            os.replace(partial, target)
            os.write(notices, b"%d\n" % index)
    except BaseException:
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os._exit(code)


def _claim_last(jobs: Sequence[Job], claims: mmap.mmap, lock_fd: int) -> int | None:
    """The last unclaimed item the child may run, now claimed; None when none is left."""
    with _locked(lock_fd):
        for index in range(len(jobs) - 1, -1, -1):
            if claims[index] == FREE and jobs[index][0].schedule.forkable:
                claims[index] = CHILD
                return index
    return None


def plain_json(value: Any) -> Any:
    """Built-in types only, as JSON and pytest-xdist's execnet carry them (``numpy.float64``
    passes as a float everywhere else, so some checks' tables still carry them)."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, bool) or value is None or type(value) in (str, int, float):
        return value
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    return str(value)
