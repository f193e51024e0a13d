"""The HTML page rendered by a helper process that warmed up while the tests ran.

Importing Jinja2 and loading the templates is most of what the HTML page costs, and it would
otherwise be paid after the last test, on the run's critical path. ``pytest --mlscore`` starts
this module as a child process when the session starts; it imports and loads everything on
another core while the tests run, says ``ready``, and renders the one page it is then sent.

Nothing depends on it: when the child is not ready by the time the scorecard is (a very short
run), cannot start, fails or stalls, the page is rendered in the pytest process as before, so
the page is the same either way. A write error in the child is reported exactly like one in
the pytest process. It is used only on POSIX systems with a core to spare (usable cores minus
the load average at least one, and not under pytest-xdist, whose workers take the cores):
elsewhere the child would only compete with the tests. ``MLTESTSCORE_RENDER_WORKER=0`` turns
it off, ``=1`` on whatever the load.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mltestscore.scorecard import Scorecard

SWITCH_VARIABLE = "MLTESTSCORE_RENDER_WORKER"
READY = "ready"
REPLY_TIMEOUT_SECONDS = 20.0


class WorkerUnavailable(Exception):
    """The child cannot render this page; the caller renders it in its own process."""


def worker_wanted() -> bool:
    """Only where a core is likely to sit idle while the tests run: the child's warm-up is
    free there, and on a busy machine it would only take time from the tests."""
    switch = os.environ.get(SWITCH_VARIABLE, "").strip().lower()
    if switch in {"0", "false", "no", "off"}:
        return False
    if os.name != "posix":
        return False  # select() on pipes is POSIX only
    if switch in {"1", "true", "yes", "on"}:
        return True  # asked for whatever the load (the tests of this module do)
    return spare_core()


def spare_core() -> bool:
    """Usable cores minus the 1-minute load average is at least one: a helper process would
    run on an idle core rather than take time from the tests."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (usable or 1) - os.getloadavg()[0] >= 1.0


class RenderWorker:
    """The parent's handle on one child process, good for one page."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self._ready = False

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether the child has warmed up, waiting at most ``timeout`` seconds for it."""
        if not self._ready and self._process.stdout is not None:
            try:
                self._ready = (self._readline(timeout) or "").strip() == READY
            except (OSError, ValueError):  # ValueError: the pipe is already closed
                return False
        return self._ready

    @classmethod
    def start(cls) -> RenderWorker | None:
        """Start the child, or None when it is not wanted or cannot start."""
        if not worker_wanted():
            return None
        package_parent = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_parent, path) if p)}
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "mltestscore.report.render_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                env=env,
            )
        except OSError:
            return None
        return cls(process)

    def _readline(self, timeout: float) -> str | None:
        stdout = self._process.stdout
        assert stdout is not None
        readable, _, _ = select.select([stdout], [], [], timeout)
        return stdout.readline() if readable else None

    def render(
        self,
        scorecard: Scorecard,
        path: Path,
        history: Sequence[Mapping[str, Any]],
        comparison: Mapping[str, Any] | None,
        extra_warnings: Sequence[str],
    ) -> Path:
        """Have the child write the page to ``path``.

        Raises OSError when the child could not write the file (as writing it here would),
        and WorkerUnavailable when the child is not ready or fails in any other way.
        """
        try:
            if not self.ready():
                raise WorkerUnavailable("not ready")
            request = {
                "path": str(path),
                "scorecard": scorecard,
                "history": list(history),
                "comparison": comparison,
                "extra_warnings": list(extra_warnings),
            }
            stdin = self._process.stdin
            assert stdin is not None
            stdin.write(json.dumps(request, ensure_ascii=False, allow_nan=False) + "\n")
            stdin.flush()
            reply_line = self._readline(REPLY_TIMEOUT_SECONDS)
            reply = json.loads(reply_line) if reply_line else None
        except (OSError, ValueError, TypeError) as exc:
            raise WorkerUnavailable(str(exc)) from None
        finally:
            self.close()
        if not isinstance(reply, dict):
            raise WorkerUnavailable("no reply")
        if "written" in reply:
            return Path(reply["written"])
        if reply.get("kind") == "oserror":
            raise OSError(reply.get("errno") or 0, str(reply.get("error")))
        raise WorkerUnavailable(str(reply.get("error")))

    def close(self) -> None:
        """End the child (idempotent): it exits on end of input; one that lingers is killed."""
        process = self._process
        for stream in (process.stdin, process.stdout):
            _close_quietly(stream)
        try:
            process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _close_quietly(stream: IO[str] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()


def _serve() -> int:
    """The child: warm up, say ready, render one page, reply, exit."""
    from mltestscore.report import html

    started = time.perf_counter()
    html.environment().get_template("scorecard.html.j2")
    html.stylesheet()
    print(READY, flush=True)
    line = sys.stdin.readline()
    if not line:
        return 0  # the run ended without a scorecard
    try:
        request = json.loads(line)
        written = html.write_html(
            request["scorecard"],
            request["path"],
            request["history"],
            request["comparison"],
            request["extra_warnings"],
        )
        reply: dict[str, Any] = {"written": str(written)}
    except OSError as exc:
        reply = {"kind": "oserror", "errno": exc.errno, "error": exc.strerror or str(exc)}
    except Exception as exc:  # reported to the parent, which then renders the page itself
        reply = {"kind": "failure", "error": f"{type(exc).__name__}: {exc}"}
    reply["seconds"] = round(time.perf_counter() - started, 4)
    print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    code = _serve()
    # The page is written (and synced) and the reply flushed: skip the interpreter's
    # teardown, which the parent would otherwise wait for.
    sys.stdout.flush()
    os._exit(code)
