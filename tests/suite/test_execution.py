"""The execution seam: the generated items' results come from ``result(index)``, whichever
process computed them, and the same results come out of the serial and the forked one."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mltestscore.checks.result import CheckResult
from mltestscore.suite import execution
from mltestscore.suite import worker as suite_worker
from mltestscore.suite.catalog import Schedule, Spec
from mltestscore.suite.jobs import Compute


def _spec(name: str, schedule: Schedule | None = None) -> Spec:
    def runner(context: Any, param: str | None, options: Any) -> CheckResult:
        raise AssertionError("the seam calls compute, not the runner")

    return Spec("data-5", name, "check_pii", (), "a job", runner, schedule=schedule or Schedule())


def _compute(calls: list[tuple[str, str | None]]) -> Compute:
    def compute(spec: Spec, param: str | None) -> CheckResult:
        calls.append((spec.name, param))
        return CheckResult.passed(
            "check_pii", ("data-5",), f"{spec.name}[{param}] in {os.getpid()}"
        )

    return compute


def test_the_serial_execution_computes_each_result_when_it_is_asked_for() -> None:
    calls: list[tuple[str, str | None]] = []
    jobs = [(_spec("a"), None), (_spec("b"), "x")]
    serial = execution.SerialExecution()
    assert serial.order(jobs) == [0, 1]
    serial.prepare(jobs, _compute(calls))
    assert calls == []
    assert serial.result(1).reason.startswith("b[x] in ")
    assert calls == [("b", "x")]
    serial.close()


def test_the_forked_order_puts_jobs_only_pytest_runs_first_and_shared_imports_last() -> None:
    jobs = [
        (_spec("shap_one", Schedule(imports=("shap",))), None),
        (_spec("plain"), None),
        (_spec("canary", Schedule(forkable=False, starts_canary=True)), None),
        (_spec("trains", Schedule(forkable=False)), None),
        (_spec("shap_two", Schedule(imports=("shap",))), None),
    ]
    names = [jobs[i][0].name for i in execution.ForkedExecution().order(jobs)]
    assert names == ["trains", "plain", "canary", "shap_one", "shap_two"]
    only_pytest = jobs[2:4]
    assert execution.ForkedExecution().order(only_pytest) == [0, 1]  # nothing to fork for


def test_heavy_jobs_go_to_both_ends_so_pytest_and_the_worker_meet_among_light_ones() -> None:
    heavy = Schedule(heavy=True)
    jobs = [
        (_spec("heavy_one", heavy), None),
        (_spec("light_one"), None),
        (_spec("heavy_two", heavy), None),
        (_spec("trains", Schedule(forkable=False)), None),
        (_spec("light_two"), None),
        (_spec("heavy_three", heavy), None),
        (_spec("shap_one", Schedule(imports=("shap",), heavy=True)), None),
        (_spec("shap_two", Schedule(imports=("shap",))), None),
    ]
    names = [jobs[i][0].name for i in execution.ForkedExecution().order(jobs)]
    assert names == [
        "trains",
        "heavy_one",
        "heavy_two",  # pytest's half, from the front
        "light_one",
        "light_two",  # where the two meet
        "heavy_three",  # the child's half, from the end after the shared import's jobs
        "shap_one",
        "shap_two",
    ]


@pytest.mark.skipif(not suite_worker.worker_wanted("1"), reason="the worker needs Linux")
def test_the_forked_execution_gives_the_results_the_serial_one_gives() -> None:
    # job0 is pytest's alone, so both processes take part however the two race for the rest
    # (on a loaded machine the child could otherwise claim every job first).
    jobs = [(_spec("job0", Schedule(forkable=False)), None)]
    jobs += [(_spec(f"job{i}"), None) for i in range(1, 6)]
    preloaded: list[bool] = []
    forked = execution.ForkedExecution(preload=lambda: preloaded.append(True))
    forked.prepare(jobs, _compute([]))
    try:
        results = [forked.result(i) for i in range(len(jobs))]
    finally:
        forked.close()
    assert preloaded == [True]
    serial = execution.SerialExecution()
    serial.prepare(jobs, _compute([]))
    expected = [serial.result(i) for i in range(len(jobs))]

    def without_pid(result: CheckResult) -> tuple[str, str]:
        return result.outcome.value, result.reason.split(" in ")[0]

    assert [without_pid(r) for r in results] == [without_pid(r) for r in expected]
    assert {r.reason.split(" in ")[1] for r in results} >= {str(os.getpid())}
