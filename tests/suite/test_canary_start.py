"""The generated canary (infra-6) starts its fresh process while pytest configures, so its
interpreter imports scikit-learn and loads the model on the core pytest leaves idle while it
starts; the items are collected meanwhile and the canary item only judges. These tests spy on
``start_canary`` to see when the process that served the item was started."""

from __future__ import annotations

import inspect
import subprocess
from typing import Any

import pytest

from mltestscore.checks import canary

pytestmark = pytest.mark.filterwarnings("ignore")


class StartSpy:
    """Wraps ``start_canary``: every process started, and whether at configuration time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: list[canary.CanaryProcess] = []
        self.at_configuration: list[bool] = []
        self.workers: list[subprocess.Popen[str]] = []
        real = canary.start_canary

        def spy(*args: Any, **kwargs: Any) -> canary.CanaryProcess:
            process = real(*args, **kwargs)
            callers = {frame.function for frame in inspect.stack(context=0)}
            self.started.append(process)
            self.at_configuration.append("pytest_configure" in callers)
            assert process.process is not None
            self.workers.append(process.process)
            return process

        monkeypatch.setattr(canary, "start_canary", spy)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> StartSpy:
    return StartSpy(monkeypatch)


def test_the_canary_item_is_served_by_the_process_started_while_pytest_configured(
    pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", "-k", "canary")
    result.assert_outcomes(passed=1)
    # One process, started at configuration: had the item not used it, it would have
    # started its own.
    assert spy.at_configuration == [True]
    assert spy.started[0].path == project.model
    assert spy.workers[0].poll() is not None  # served and gone
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    (check,) = [e for e in items["infra-6"]["evidence"] if e["kind"] == "check"]
    assert check["outcome"] == "passed"
    assert check["measurements"]["differing_rows"] == 0


def test_a_canary_started_at_configuration_is_stopped_when_its_item_is_deselected(
    pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    project.write(pytester, project.keys())
    pytester.runpytest("--mlscore", "-k", "pii").assert_outcomes(passed=2)
    assert spy.at_configuration == [True]
    assert spy.workers[0].poll() is not None
    assert not spy.started[0].folder.exists()


def test_a_canary_started_at_configuration_is_stopped_when_the_model_is_refused(
    pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    project.write(pytester, project.keys(model_trusted=["numpy.dtype"]))
    result = pytester.runpytest("--mlscore", "-k", "canary")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mltestscore:*skops does not trust 1 type(s)*TreePredictor*"])
    assert spy.at_configuration == [True]
    assert spy.workers[0].poll() is not None
    assert not spy.started[0].folder.exists()


@pytest.mark.parametrize(
    ("why", "arguments"),
    [
        ("only a file is named", ["tests/test_own.py"]),
        ("the items are only collected", ["--collect-only", "-k", "canary"]),
        ("only the help is asked for", ["--help"]),
        ("pytest-xdist distributes the items", ["-k", "canary", "-p", "xdist", "-n", "1"]),
    ],
)
def test_no_canary_process_starts_at_configuration_when(
    why: str, arguments: list[str], pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", *arguments)
    assert result.ret == pytest.ExitCode.OK, why
    assert True not in spy.at_configuration, why
