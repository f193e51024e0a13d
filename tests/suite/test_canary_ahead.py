"""The canary's fresh process is started at configuration, so it imports scikit-learn and
loads the model on the other core while pytest configures and collects. Its item must judge
the model the session scores: a deselected item stops the process, a model file rewritten
after the start gets a new process, and a configuration error leaves no process behind."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from mltestscore.suite import context as suite_context
from mltestscore.suite import plugin as suite_plugin

pytestmark = pytest.mark.filterwarnings("ignore")


class CanarySpy:
    """The order of the canary's starts and collection's end, each process started, and what
    the canary item was handed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[str] = []
        self.started: list[Any] = []
        self.taken: list[Any] = []
        context_class = suite_context.SuiteContext
        real_start = context_class.start_canary
        real_take = context_class.take_canary
        real_finish = suite_plugin.SuitePlugin.pytest_collection_finish
        spy = self

        def start(context: Any, python: Any, input_format: str) -> None:
            real_start(context, python, input_format)
            spy.events.append("canary started")
            spy.started.append(context._canary)

        def take(context: Any, path: Path, python: Any, input_format: str) -> Any:
            taken = real_take(context, path, python, input_format)
            spy.taken.append(taken)
            return taken

        def finish(plugin: Any, session: pytest.Session) -> None:
            spy.events.append("collection finished")
            real_finish(plugin, session)

        monkeypatch.setattr(context_class, "start_canary", start)
        monkeypatch.setattr(context_class, "take_canary", take)
        monkeypatch.setattr(suite_plugin.SuitePlugin, "pytest_collection_finish", finish)

    def all_stopped(self) -> bool:
        return all(canary.process is None and not canary.folder.exists() for canary in self.started)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> CanarySpy:
    monkeypatch.setenv("MLTESTSCORE_SUITE_WORKER", "0")
    return CanarySpy(monkeypatch)


def test_the_canary_process_starts_at_configuration_and_its_item_is_judged_on_it(
    pytester: pytest.Pytester, project: Any, spy: CanarySpy
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", "-k", "canary")
    result.assert_outcomes(passed=1, deselected=result.parseoutcomes()["deselected"])
    assert spy.events[:2] == ["canary started", "collection finished"]
    assert len(spy.started) == 1  # not started again when collection ended
    assert spy.taken == spy.started  # the item served the process started ahead
    assert spy.all_stopped()


def test_a_deselected_canary_item_stops_the_process_started_at_configuration(
    pytester: pytest.Pytester, project: Any, spy: CanarySpy
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", "-k", "pipeline")
    result.assert_outcomes(passed=1, deselected=result.parseoutcomes()["deselected"])
    assert spy.events == ["canary started", "collection finished"]
    assert spy.taken == []
    assert spy.all_stopped()


def test_no_canary_process_starts_ahead_for_collect_only_or_a_run_of_named_files(
    pytester: pytest.Pytester, project: Any, spy: CanarySpy
) -> None:
    project.write(pytester, project.keys())
    pytester.runpytest("--mlscore", "--collect-only").assert_outcomes()
    pytester.runpytest("--mlscore", "tests/test_own.py").assert_outcomes(passed=1)
    assert spy.started == []


def test_a_model_file_rewritten_after_the_canary_started_is_served_by_a_new_process(
    pytester: pytest.Pytester, project: Any, spy: CanarySpy
) -> None:
    """A conftest (or anything else run before the item) that writes another model to the
    file: the process started ahead loaded the old one, so its predictions would differ from
    the model the session loads, a failure of nothing but the timing."""
    model = pytester.path / "model.skops"
    shutil.copyfile(project.model, model)
    older = project.registry / "v0001" / "model.skops"
    assert older.read_bytes() != model.read_bytes()  # another model
    pytester.makeconftest(
        f"""
        import shutil

        def pytest_collection_modifyitems(items):
            shutil.copyfile({str(older)!r}, {str(model)!r})
        """
    )
    project.write(pytester, project.keys(model=str(model)))
    result = pytester.runpytest("--mlscore", "-k", "canary")
    result.assert_outcomes(passed=1, deselected=result.parseoutcomes()["deselected"])
    assert len(spy.started) == 1
    assert spy.taken == [None]  # not handed the process started ahead: the item starts its own
    assert spy.all_stopped()


def test_a_configuration_error_after_the_canary_started_leaves_no_process_behind(
    pytester: pytest.Pytester, project: Any, spy: CanarySpy
) -> None:
    """The model's trust check runs after the start: a type nobody vouched for is a usage
    error, and the process started for the model is stopped with its folder."""
    project.write(pytester, project.keys(model_trusted=["numpy.dtype"]))
    result = pytester.runpytest("--mlscore")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*skops does not trust 1 type(s)*TreePredictor*"])
    assert len(spy.started) == 1
    assert spy.all_stopped()
