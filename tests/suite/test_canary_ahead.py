"""The generated canary (infra-6) starts its fresh process while pytest configures (before the
project's own imports), so the model loads there while this process imports and runs other
items; its item sends the sample and judges the result. These tests spy on ``start_canary``
to see which process served the item."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from mltestscore.checks import canary

pytestmark = pytest.mark.filterwarnings("ignore")

PLANTED_MODULE = "planted_only_in_the_suite_test_process"
# Where the canary process starts ahead of its item: before the conftest files are imported,
# at configuration time, or failing both at the end of collection.
AHEAD = {"start_ahead", "start_canary_early", "pytest_collection_finish", "_prepare_items"}


class StartSpy:
    """Wraps ``start_canary``: every process started, in order, and whether it was started
    ahead (at configuration time, or failing that at collection) rather than by the item."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: list[canary.CanaryProcess] = []
        self.ahead: list[bool] = []
        self.before_conftests: list[bool] = []
        self.workers: list[subprocess.Popen[str]] = []
        real = canary.start_canary

        def spy(*args: Any, **kwargs: Any) -> canary.CanaryProcess:
            process = real(*args, **kwargs)
            self.started.append(process)
            callers = {frame.function for frame in inspect.stack(context=0)}
            self.before_conftests.append("pytest_load_initial_conftests" in callers)
            self.ahead.append(bool(AHEAD & callers))
            assert process.process is not None
            self.workers.append(process.process)
            return process

        monkeypatch.setattr(canary, "start_canary", spy)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> StartSpy:
    return StartSpy(monkeypatch)


def _model_only_this_process_can_load(model: Any, folder: Path) -> Path:
    """The model wrapped in a class from a module registered only in this process: it loads
    here (and in pytester's in-process run) but not in a clean interpreter."""
    from mltestscore import artifacts

    module = sys.modules.get(PLANTED_MODULE)
    if module is None:
        module = types.ModuleType(PLANTED_MODULE)
        exec(
            "class Wrapped:\n"
            "    def __init__(self, model):\n"
            "        self.model = model\n"
            "        self.feature_names_in_ = model.feature_names_in_\n"
            "    def predict(self, X):\n"
            "        return self.model.predict(X)\n"
            "    def predict_proba(self, X):\n"
            "        return self.model.predict_proba(X)\n",
            module.__dict__,
        )
        sys.modules[PLANTED_MODULE] = module
    return artifacts.save_model(module.Wrapped(model), folder / "model.joblib")


def test_the_canary_item_is_served_by_the_process_started_while_pytest_configured(
    pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", "-k", "canary")
    result.assert_outcomes(passed=1)
    # One process, started ahead: had the item not used it, it would have started its own.
    assert spy.ahead == [True]
    assert spy.started[0].path == project.model
    assert spy.workers[0].poll() is not None  # served and gone
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    (check,) = [e for e in items["infra-6"]["evidence"] if e["kind"] == "check"]
    assert check["outcome"] == "passed"
    assert check["measurements"]["differing_rows"] == 0


def test_the_canary_process_starts_before_the_projects_conftest_is_imported(
    pytester: pytest.Pytester, project: Any, spy: StartSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(canary, "spy_started", spy.started, raising=False)
    project.write(pytester, project.keys())
    pytester.makeconftest(
        """
        from pathlib import Path

        from mltestscore.checks import canary

        Path("started-before-conftest").write_text(str(len(canary.spy_started)))
        """
    )
    pytester.runpytest("--mlscore", "-k", "canary").assert_outcomes(passed=1)
    assert (pytester.path / "started-before-conftest").read_text() == "1"
    assert spy.before_conftests == [True]
    assert spy.workers[0].poll() is not None


@pytest.mark.parametrize(
    ("why", "arguments"),
    [
        ("only a file is named", ["tests/test_own.py"]),
        ("the items are only collected", ["--collect-only"]),
        ("only the version is asked for", ["--version"]),
        ("only the help is asked for", ["--help"]),
        ("pytest-xdist distributes the items", ["-k", "canary", "-p", "xdist", "-n", "1"]),
    ],
)
def test_no_canary_process_starts_before_the_conftests_when(
    why: str,
    arguments: list[str],
    pytester: pytest.Pytester,
    project: Any,
    spy: StartSpy,
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", *arguments)
    assert result.ret == pytest.ExitCode.OK, why
    assert True not in spy.before_conftests, why


def test_a_canary_started_before_the_conftests_is_stopped_when_configuration_fails(
    pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", "--mlscore-rubric=no-such-rubric.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mltestscore:*no-such-rubric.yaml*"])
    assert spy.before_conftests == [True]
    assert spy.workers[0].poll() is not None
    assert not spy.started[0].folder.exists()


def test_the_sample_is_sent_when_the_items_are_collected_so_the_item_only_judges(
    pytester: pytest.Pytester, project: Any, spy: StartSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent_from: list[set[str]] = []
    real_send = canary.CanaryProcess.send

    def send(self: canary.CanaryProcess, X: Any) -> None:
        sent_from.append({frame.function for frame in inspect.stack(context=0)})
        real_send(self, X)

    monkeypatch.setattr(canary.CanaryProcess, "send", send)
    project.write(pytester, project.keys())
    pytester.runpytest("--mlscore", "-k", "canary or pii").assert_outcomes(passed=3)
    assert len(sent_from) == 1
    assert "pytest_collection_finish" in sent_from[0]
    assert "run_canary" not in sent_from[0]  # not by the item


def test_a_canary_started_ahead_still_fails_a_model_that_cannot_load_in_a_fresh_process(
    pytester: pytest.Pytester, project: Any, spy: StartSpy, tmp_path: Path
) -> None:
    from mltestscore import artifacts

    model = artifacts.load_model(project.model, trusted=True).model
    path = _model_only_this_process_can_load(model, tmp_path)
    project.write(pytester, project.keys(model=str(path), model_trusted=True))
    result = pytester.runpytest("--mlscore", "-k", "canary")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*the artifact fails in a clean process at 'load'*No module named '{PLANTED_MODULE}'*"]
    )
    assert spy.ahead == [True]


def test_a_canary_process_no_item_used_is_stopped_when_the_session_ends(
    pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    # fairness (model-7) fails before the canary (infra-6) runs, and -x stops the session.
    project.write(pytester, project.keys(), thresholds={"model-7.min_selection_rate_ratio": 0.999})
    result = pytester.runpytest("--mlscore", "-x", "-k", "fairness or canary")
    result.assert_outcomes(failed=1)
    assert spy.ahead == [True]
    assert spy.workers[0].poll() is not None
    assert not spy.started[0].folder.exists()


def test_a_canary_process_started_ahead_is_stopped_when_its_item_is_deselected(
    pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    project.write(pytester, project.keys())
    pytester.runpytest("--mlscore", "-k", "pii").assert_outcomes(passed=2)
    assert spy.ahead == [True]
    assert spy.workers[0].poll() is not None
    assert not spy.started[0].folder.exists()


def test_no_canary_process_starts_when_the_items_are_only_collected(
    pytester: pytest.Pytester, project: Any, spy: StartSpy
) -> None:
    project.write(pytester, project.keys())
    collected = pytester.runpytest("--mlscore", "--collect-only", "-q", "-k", "canary")
    collected.stdout.fnmatch_lines(["mlscore::infra-6::canary"])
    assert spy.started == []
