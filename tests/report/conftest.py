"""Fixtures for the report tests: real scorecards built by the scoring engine, and a real
headless Chromium driven over the DevTools protocol (standard library only)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from mltestscore.evidence import Attestation, TestRun
from mltestscore.rubric import load_rubric
from mltestscore.scorecard import Scorecard, build_scorecard
from mltestscore.scoring import CreditMode

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "reports" / "test-artifacts"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

ScorecardFactory = Callable[..., Scorecard]


def make_run(
    nodeid: str,
    claims: Sequence[str],
    outcome: str = "passed",
    message: str = "",
    duration: float = 0.01,
    checks: Sequence[dict[str, Any]] = (),
    measurements: Sequence[dict[str, Any]] = (),
) -> TestRun:
    claimed = {c: "marker" for c in claims}
    for check in checks:
        for item_id in check["rubric_ids"]:
            claimed.setdefault(item_id, "check")
    return TestRun(
        nodeid=nodeid,
        outcome=outcome,
        duration=duration,
        claims=tuple(claims),
        message=message,
        checks=tuple(checks),
        measurements=tuple(measurements),
        claimed_by=claimed,
    )


def make_check(
    name: str,
    rubric_ids: Sequence[str],
    outcome: str = "passed",
    reason: str = "all good",
    tables: Sequence[dict[str, Any]] = (),
    **values: dict[str, Any],
) -> dict[str, Any]:
    return {
        "check": name,
        "rubric_ids": list(rubric_ids),
        "outcome": outcome,
        "reason": reason,
        "measurements": values.get("measurements", {}),
        "thresholds": values.get("thresholds", {}),
        "parameters": values.get("parameters", {}),
        "tables": list(tables),
    }


def make_attestation(
    item: str, evidence: str, owner: str | None = "ranking", when: date = date(2026, 10, 1)
) -> Attestation:
    expired = (NOW.date() - when).days > 365
    return Attestation(item, evidence, when, owner, expired, where="test")


def build(
    runs: Sequence[TestRun] = (),
    attestations: Sequence[Attestation] = (),
    rubric: str = "ml-test-score-2017",
    commit: str | None = "0123456789abcdef0123456789abcdef01234567",
    warnings: Sequence[str] = (),
    credit_mode: CreditMode = CreditMode.PASSED,
    selection: dict[str, Any] | None = None,
) -> Scorecard:
    return build_scorecard(
        load_rubric(rubric),
        runs,
        attestations,
        credit_mode=credit_mode,
        commit=commit,
        warnings=warnings,
        now=NOW,
        selection=selection,
    )


def slice_table(rows: int = 6) -> dict[str, Any]:
    return {
        "title": "AUC by slice",
        "columns": ["slice", "rows", "auc"],
        "rows": [[f"age bin {i}", 100 + i, round(0.7 + i / 50, 3)] for i in range(rows)],
        "chart": "auc",
    }


def demo_runs() -> list[TestRun]:
    """A realistic mix: passing schema checks, a failing reproducibility test, measurements
    with a slice table, a skipped test and a check with thresholds."""
    return [
        make_run(
            "tests/test_data.py::test_schema",
            ["data-1", "monitor-2"],
            checks=[
                make_check(
                    "expectations_hold",
                    ["data-1"],
                    reason="14 of 14 columns meet the suite",
                    measurements={"columns": 14, "failed": 0},
                    thresholds={"max_failed": 0},
                )
            ],
        ),
        make_run(
            "tests/test_infra.py::test_reproducible",
            ["infra-1"],
            outcome="failed",
            message="AssertionError: predictions differ on 12 of 1200 rows",
            duration=2.5,
        ),
        make_run(
            "tests/test_model.py::test_slices",
            ["model-6"],
            measurements=[
                {"name": "worst slice AUC", "value": 0.71, "item": "model-6", "unit": None},
                {"name": "AUC by slice", "table": slice_table(), "item": "model-6"},
            ],
        ),
        make_run("tests/test_model.py::test_baseline", ["model-5"]),
        make_run(
            "tests/test_data.py::test_importance",
            ["data-2"],
            outcome="skipped",
            message="needs the full dataset",
        ),
        make_run(
            "tests/test_monitor.py::test_drift",
            [],
            checks=[
                make_check(
                    "feature_drift",
                    ["monitor-2", "monitor-7"],
                    outcome="failed",
                    reason="2 of 14 features drift: age (PSI 0.41), hours-per-week (PSI 0.27)",
                    measurements={"max_psi": 0.41},
                    thresholds={"psi": 0.2},
                    parameters={"bins": 10, "seed": 0},
                    tables=[
                        {
                            "title": "PSI by feature",
                            "columns": ["feature", "psi"],
                            "rows": [["age", 0.41], ["hours-per-week", 0.27], ["sex", -0.01]],
                            "chart": "psi",
                        }
                    ],
                )
            ],
        ),
    ]


@pytest.fixture(scope="session")
def demo_scorecard() -> Scorecard:
    return build(
        demo_runs(),
        [
            make_attestation("model-2", "https://wiki.example.org/ab-tests"),
            make_attestation("model-1", "docs/review.md", owner=None, when=date(2024, 10, 1)),
        ],
        warnings=["[tool.mltestscore.map] pattern 'tests/old_*' matched no test that ran"],
    )


@pytest.fixture(scope="session")
def scorecard_factory() -> ScorecardFactory:
    return build


# -- a real browser ---------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--mute-audio",
]


def _install_chromium() -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=900, check=False
        )
        if result.returncode != 0:
            pytest.fail(f"could not install chromium with {' '.join(command)}:\n{result.stderr}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium, installed when missing and running as root. Without it the
    browser tests fail in CI (the CI variable is set) and are skipped, loudly, elsewhere."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        _install_chromium()
        found = shutil.which("chromium")
    if found is None:
        message = (
            "the browser tests need Debian's chromium: run `apt-get install -y chromium` as "
            "root (the test set-up does it when it runs as root)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


class DevTools:
    """A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``: commands
    go to the browser's fd 3 and replies come from its fd 4, each a JSON text ending in NUL."""

    def __init__(self, chromium: str, user_data_dir: Path) -> None:
        import fcntl

        low_r, self._to_browser = os.pipe()
        self._from_browser, low_w = os.pipe()
        # Move the child's ends above 9 so the shell's 3<& and 4>& cannot overwrite them.
        to_browser_r = fcntl.fcntl(low_r, fcntl.F_DUPFD, 10)
        from_browser_w = fcntl.fcntl(low_w, fcntl.F_DUPFD, 10)
        os.close(low_r)
        os.close(low_w)
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={user_data_dir}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # A tiny Python trampoline puts the pipe ends on fds 3 and 4 and execs chromium
        # (a POSIX shell cannot redirect from descriptors above 9).
        trampoline = (
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.execv(sys.argv[3], sys.argv[3:])"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", trampoline, str(to_browser_r), str(from_browser_w), *command],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        timeout: float = 30.0,
        browser: bool = False,
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        for seen in self.events:
            if seen["method"] == event:
                self.events.remove(seen)
                return seen
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("method") == event:
                return message
            if "method" in message:
                self.events.append(message)

    def open_page(self, url: str, width: int, height: int, mobile: bool = False) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, browser=True)
        attached = self.send(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            browser=True,
        )
        self.session = attached["sessionId"]
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.send(domain)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (not a script click)."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )

    def screenshot(self, path: Path) -> Path:
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics["cssContentSize"]
        shot = self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": size["width"],
                    "height": min(size["height"], 6000),
                    "scale": 1,
                },
            },
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def console_errors(self) -> list[str]:
        errors = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                errors.append(str(params.get("exceptionDetails", {}).get("text")))
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in {
                "error",
                "assert",
            }:
                errors.append(str(params.get("args")))
            elif event["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") == (
                "error"
            ):
                errors.append(str(params["entry"].get("text")))
        return errors


@pytest.fixture
def devtools(chromium_path: str) -> Iterator[DevTools]:
    with tempfile.TemporaryDirectory(prefix="mlscore-chromium-") as profile:
        browser = DevTools(chromium_path, Path(profile))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def make() -> Any:
    """The scorecard builders above, for tests (tests is not a package to import from)."""
    import types

    return types.SimpleNamespace(
        run=make_run,
        check=make_check,
        attestation=make_attestation,
        scorecard=build,
        slice_table=slice_table,
        demo_runs=demo_runs,
    )


@pytest.fixture
def chromium_cli(chromium_path: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run chromium once with the standard headless flags and a fresh profile."""

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="mlscore-chromium-") as profile:
            return subprocess.run(
                [chromium_path, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

    return run


@pytest.fixture(autouse=True)
def _no_job_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner pytest runs must not append to the real CI job summary of this suite."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
