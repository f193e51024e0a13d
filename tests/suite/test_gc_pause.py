"""With the zero-config suite on, the garbage collector pauses from before the project's
conftest files are imported until the items are collected (imports make it walk everything
again and again for nothing), then resumes, whatever happened in between."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from typing import Any

import pytest

RECORDING_CONFTEST = """
    import gc
    from pathlib import Path

    Path("collector-at-conftest").write_text(str(gc.isenabled()))
"""


@pytest.fixture
def collector_on() -> Iterator[None]:
    """This process's collector on before the run, and as it was after the test."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _recorded(pytester: pytest.Pytester) -> str:
    return (pytester.path / "collector-at-conftest").read_text()


def test_the_collector_is_paused_while_the_conftest_imports_and_resumed_for_the_items(
    pytester: pytest.Pytester, project: Any, collector_on: None
) -> None:
    project.write(pytester, project.keys())
    pytester.makeconftest(RECORDING_CONFTEST)
    pytester.makepyfile(
        test_collector="""
        import gc

        def test_the_collector_runs_during_the_tests():
            assert gc.isenabled()
        """
    )
    result = pytester.runpytest("--mlscore", "-k", "pii or collector", "test_collector.py", ".")
    result.assert_outcomes(passed=3)
    assert _recorded(pytester) == "False"
    assert gc.isenabled()


def test_the_suite_workers_items_run_with_the_collector_on(
    pytester: pytest.Pytester, project: Any, collector_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mltestscore.suite import plugin as suite_plugin
    from mltestscore.suite import worker as suite_worker

    if not suite_worker.worker_wanted("1"):
        pytest.skip("the worker needs Linux")
    monkeypatch.setenv(suite_worker.SWITCH_VARIABLE, "1")
    parent, seen = os.getpid(), pytester.path / "collector-in-worker"
    real = suite_plugin.compute_result

    def compute(context: Any, spec: Any, param: Any) -> Any:
        if os.getpid() != parent:
            seen.write_text(str(gc.isenabled()))
        return real(context, spec, param)

    monkeypatch.setattr(suite_plugin, "compute_result", compute)
    project.write(pytester, project.keys())
    pytester.runpytest("--mlscore", "-k", "pii or schema")
    assert seen.read_text() == "True"


@pytest.mark.parametrize(
    ("why", "arguments"),
    [
        ("configuration fails", ["--mlscore-rubric=no-such-rubric.yaml"]),
        ("no generated item is selected", ["-k", "nothing_is_called_this"]),
    ],
)
def test_the_collector_resumes_when(
    why: str,
    arguments: list[str],
    pytester: pytest.Pytester,
    project: Any,
    collector_on: None,
) -> None:
    project.write(pytester, project.keys())
    pytester.makeconftest(RECORDING_CONFTEST)
    pytester.runpytest("--mlscore", *arguments)
    assert _recorded(pytester) == "False", why
    assert gc.isenabled(), why


def test_a_collector_the_caller_turned_off_stays_off(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys())
    was = gc.isenabled()
    gc.disable()
    try:
        pytester.runpytest("--mlscore", "-k", "pii").assert_outcomes(passed=2)
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_the_collector_is_not_paused_when_the_items_are_only_listed(
    pytester: pytest.Pytester, project: Any, collector_on: None
) -> None:
    project.write(pytester, project.keys())
    pytester.makeconftest(RECORDING_CONFTEST)
    pytester.runpytest("--mlscore", "--collect-only", "-q")
    assert _recorded(pytester) == "True"
    assert gc.isenabled()
