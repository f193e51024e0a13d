"""The suite worker: a forked copy of the pytest process runs generated items from the end of
the list. The scorecard must not depend on it, and an item it cannot deliver (it died,
stalled, or met a configuration error) must end as it would in pytest's own process."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from mltestscore.errors import ConfigError
from mltestscore.suite import plugin as suite_plugin
from mltestscore.suite import worker as suite_worker

pytestmark = [
    pytest.mark.filterwarnings("ignore"),
    pytest.mark.skipif(not suite_worker.worker_wanted("1"), reason="the worker needs Linux"),
]

# Their reasons quote timings, which differ from run to run whichever process measures them,
# and on a loaded machine even their outcome can (a time share, a time-bounded search).
TIMED_CHECKS = {
    "check_computing_performance",
    "check_canary",
    "check_rollback",
    "check_feature_costs",
    "check_no_better_params_nearby",
}
TIMING = re.compile(r"seconds|_ms$|throughput|time_share|memory|days")  # clocks move
# Counts a timed check derives from its timings (feature costs flags features by their share
# of inference time), which move with the machine's load as the timings do.
TIMED_COUNTS = {"flagged"}
SELECTION = "not own"  # the generated items only


class WorkerSpy:
    """What pytest's side of the worker saw: the child's pid, and for each item the child
    claimed first, its check and whether the child delivered a result."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pids: list[int] = []
        self.delivered: list[tuple[str, bool]] = []
        real_start = suite_worker.SuiteWorker.start
        real_delivered = suite_worker.SuiteWorker.delivered
        spy = self

        def start(cls: Any, jobs: Any, compute: Any) -> Any:
            started = real_start.__func__(cls, jobs, compute)  # type: ignore[attr-defined]
            if started is not None:
                spy.pids.append(started.pid)
                started.jobs = jobs
            return started

        def delivered(self: Any, index: int) -> Any:
            outcome = real_delivered(self, index)
            spy.delivered.append((self.jobs[index][0].check, outcome is not None))
            return outcome

        monkeypatch.setattr(suite_worker.SuiteWorker, "start", classmethod(start))
        monkeypatch.setattr(suite_worker.SuiteWorker, "delivered", delivered)

    def child_is_gone(self) -> bool:
        return all(not Path(f"/proc/{pid}").exists() for pid in self.pids)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> WorkerSpy:
    return WorkerSpy(monkeypatch)


def _in_child(compute: Any, parent: int, action: Any) -> Any:
    """``compute`` as the plugin calls it, doing ``action`` instead in the forked child."""

    def wrapped(context: Any, spec: Any, param: Any) -> Any:
        if os.getpid() != parent:
            return action(context, spec, param)
        return compute(context, spec, param)

    return wrapped


def _checks(scorecard: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every check result on the scorecard by (rubric id, check), in a comparable form."""
    found = {}
    for item in scorecard["items"]:
        for evidence in item["evidence"]:
            if evidence["kind"] != "check":
                continue
            key = (item["id"], f"{evidence['check']} {evidence.get('test', '')}")
            comparable = {k: evidence[k] for k in ("outcome", "rubric_ids") if k in evidence}
            if evidence["check"] in TIMED_CHECKS:
                comparable.pop("outcome", None)
            timed = evidence["check"] in TIMED_CHECKS
            comparable["measurements"] = {
                name: value
                for name, value in evidence.get("measurements", {}).items()
                if not TIMING.search(name) and not (timed and name in TIMED_COUNTS)
            }
            if evidence["check"] not in TIMED_CHECKS:
                comparable["reason"] = evidence.get("reason")
            found[key] = comparable
    return found


def _count(outcomes: dict[str, int]) -> int:
    """Items run: how many passed or failed can move with the timed checks' outcomes."""
    return sum(n for outcome, n in outcomes.items() if outcome != "deselected")


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, switch: str) -> Any:
    """One run of the generated items, with no performance history from an earlier run (its
    check would compare this run's timings with it)."""
    pytester.path.joinpath(HISTORY).unlink(missing_ok=True)
    monkeypatch.setenv(suite_worker.SWITCH_VARIABLE, switch)
    return pytester.runpytest("--mlscore", "-k", SELECTION)


HISTORY = "performance-history.jsonl"


@pytest.fixture
def without_worker(pytester: pytest.Pytester, project: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The project's generated items run in pytest's process alone: outcomes and checks."""
    keys = project.keys(registry=str(project.registry))
    project.write(pytester, keys, thresholds={"monitor-6.history": str(pytester.path / HISTORY)})
    result = _run(pytester, monkeypatch, "0")
    return result.parseoutcomes(), _checks(project.scorecard(pytester))


def test_the_worker_runs_items_from_the_end_and_the_scorecard_is_the_same_as_without_it(
    pytester: pytest.Pytester, project: Any, monkeypatch: pytest.MonkeyPatch, without_worker: Any
) -> None:
    spy = WorkerSpy(monkeypatch)
    result = _run(pytester, monkeypatch, "1")
    assert _count(result.parseoutcomes()) == _count(without_worker[0])
    assert _checks(project.scorecard(pytester)) == without_worker[1]
    delivered = [check for check, ok in spy.delivered if ok]
    assert len(delivered) >= 3, spy.delivered  # the child took items, from the end
    assert "check_served_quality" in delivered  # the last item
    assert "check_canary" not in delivered  # needs the process pytest started
    assert spy.child_is_gone()


def test_items_of_a_child_that_dies_run_in_pytest_with_the_same_results(
    pytester: pytest.Pytester, project: Any, monkeypatch: pytest.MonkeyPatch, without_worker: Any
) -> None:
    spy = WorkerSpy(monkeypatch)
    compute = suite_plugin.compute_result
    dies = _in_child(compute, os.getpid(), lambda *args: os._exit(3))
    monkeypatch.setattr(suite_plugin, "compute_result", dies)
    result = _run(pytester, monkeypatch, "1")
    assert _count(result.parseoutcomes()) == _count(without_worker[0])
    assert _checks(project.scorecard(pytester)) == without_worker[1]
    assert spy.delivered
    assert not any(ok for _, ok in spy.delivered)
    assert spy.child_is_gone()


def test_a_stalled_child_is_killed_and_the_items_left_run_in_pytest(
    pytester: pytest.Pytester, project: Any, monkeypatch: pytest.MonkeyPatch, without_worker: Any
) -> None:
    import time

    spy = WorkerSpy(monkeypatch)
    monkeypatch.setattr(suite_worker, "STALL_SECONDS", 1.0)
    compute = suite_plugin.compute_result
    taken: list[str] = []  # in the child's memory

    def third_stalls(context: Any, spec: Any, param: Any) -> Any:
        taken.append(spec.check)
        if len(taken) == 3:  # two results delivered, then it hangs
            time.sleep(600)
        return compute(context, spec, param)

    monkeypatch.setattr(
        suite_plugin, "compute_result", _in_child(compute, os.getpid(), third_stalls)
    )
    begin = time.monotonic()
    result = _run(pytester, monkeypatch, "1")
    # Shorter than the child's sleep: pytest did not wait for the hung child. (Not a timing
    # bound on the run: under a load average of 13 the whole run took 121 s.)
    assert time.monotonic() - begin < 600
    assert _count(result.parseoutcomes()) == _count(without_worker[0])
    assert _checks(project.scorecard(pytester)) == without_worker[1]
    # pytest met the hung child (waiting for its item), stopped it, and ran that item and
    # every one left itself.
    assert not any(ok for _, ok in spy.delivered)
    assert spy.child_is_gone()


def test_when_no_process_can_be_forked_every_item_runs_in_pytest(
    pytester: pytest.Pytester, project: Any, monkeypatch: pytest.MonkeyPatch, without_worker: Any
) -> None:
    spy = WorkerSpy(monkeypatch)

    def no_more_processes() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_more_processes)
    result = _run(pytester, monkeypatch, "1")
    assert _count(result.parseoutcomes()) == _count(without_worker[0])
    assert _checks(project.scorecard(pytester)) == without_worker[1]
    assert spy.pids == []
    assert spy.delivered == []


def test_a_configuration_error_met_in_the_child_fails_its_item_as_in_pytest(
    pytester: pytest.Pytester, project: Any, monkeypatch: pytest.MonkeyPatch, spy: WorkerSpy
) -> None:
    project.write(pytester, project.keys())
    compute = suite_plugin.compute_result

    def planted(context: Any, spec: Any, param: Any) -> Any:
        if spec.check == "check_served_quality":
            raise ConfigError("planted: the serving labels are not where the keys say")
        return compute(context, spec, param)

    monkeypatch.setattr(suite_plugin, "compute_result", _in_child(compute, os.getpid(), planted))
    result = _run(pytester, monkeypatch, "1")
    result.stdout.fnmatch_lines(
        [
            "*_ mlscore::monitor-7::served_quality _*",
            "mltestscore: planted: the serving labels are not where the keys say",
        ]
    )
    assert ("check_served_quality", True) in spy.delivered  # the child delivered the error


def test_no_worker_is_forked_when_switched_off_or_only_collecting(
    pytester: pytest.Pytester, project: Any, monkeypatch: pytest.MonkeyPatch, spy: WorkerSpy
) -> None:
    project.write(pytester, project.keys())
    _run(pytester, monkeypatch, "0")
    monkeypatch.setenv(suite_worker.SWITCH_VARIABLE, "1")
    pytester.runpytest("--mlscore", "--collect-only", "-q")
    assert spy.pids == []


@pytest.mark.parametrize(
    ("switch", "spare", "wanted"),
    [
        ("0", True, False),
        ("off", True, False),
        ("1", False, True),
        ("", True, True),
        ("", False, False),
    ],
)
def test_the_worker_is_wanted_on_linux_with_two_cores_unless_switched(
    monkeypatch: pytest.MonkeyPatch, switch: str, spare: bool, wanted: bool
) -> None:
    monkeypatch.setattr(suite_worker, "usable_cores", lambda: 2 if spare else 1)
    monkeypatch.setattr(suite_worker, "_coverage_measuring", lambda: False)
    assert suite_worker.worker_wanted(switch) is wanted


def test_the_worker_is_not_forked_while_coverage_measures_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import types

    class Coverage:
        measuring: object = None

        @classmethod
        def current(cls) -> object:
            return cls.measuring

    monkeypatch.setattr(suite_worker, "usable_cores", lambda: 2)
    monkeypatch.setitem(sys.modules, "coverage", types.SimpleNamespace(Coverage=Coverage))
    assert suite_worker.worker_wanted("")
    Coverage.measuring = object()
    assert not suite_worker.worker_wanted("")
    assert suite_worker.worker_wanted("1")  # asked for explicitly


def test_items_running_the_projects_training_code_or_the_canary_stay_in_pytest() -> None:
    from mltestscore.suite.catalog import SPECS

    kept = {spec.name for spec in SPECS if not spec.schedule.forkable}
    assert {spec.name for spec in SPECS if "train_fn" in spec.needs} <= kept
    assert "canary" in kept
    assert len(kept) < len(SPECS) / 4  # the rest may go to the worker


def test_the_suite_imports_where_there_is_no_fcntl_and_so_no_worker() -> None:
    import subprocess

    probe = (
        "import sys; sys.modules['fcntl'] = None\n"  # as on Windows
        "import mltestscore.suite.plugin, mltestscore.suite.worker as w\n"
        "print(w.plain_json({'x': (1, 2.5)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'x': [1, 2.5]}"


TRAIN_MODULE = """
    def train(frame, seed):
        from sklearn.compose import make_column_selector, make_column_transformer
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        X, y = frame.drop(columns=["income"]), frame["income"]
        encode = make_column_transformer(
            (
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_exclude="number"),
            ),
            remainder="passthrough",
        )
        model = HistGradientBoostingClassifier(max_iter=20, random_state=seed)
        return make_pipeline(encode, model).fit(X, y)
"""


def _catalog_position(rubric_id: str) -> int:
    from mltestscore.suite.catalog import SPECS

    return [spec.rubric_id for spec in SPECS].index(rubric_id)


ORDER_CONFTEST = """
    def pytest_runtest_logstart(nodeid, location):
        with open("run-order.txt", "a") as log:
            log.write(nodeid + "\\n")
"""


@pytest.mark.parametrize("switch", ["1", "0"])
def test_with_the_worker_the_items_calling_train_fn_run_first(
    pytester: pytest.Pytester, project: Any, monkeypatch: pytest.MonkeyPatch, switch: str
) -> None:
    pytester.makepyfile(suite_training=TRAIN_MODULE)
    pytester.makeconftest(ORDER_CONFTEST)
    project.write(pytester, project.keys(train_fn="suite_training:train"))
    _run(pytester, monkeypatch, switch)
    log = (pytester.path / "run-order.txt").read_text().split()
    order = [nodeid.split("::", 2)[1] for nodeid in log if nodeid.startswith("mlscore::")]
    assert order.count("infra-1") == order.count("infra-3") == 1
    if switch == "1":
        assert order[:2] == ["infra-1", "infra-3"]  # reproducibility, pipeline
    else:
        assert order == sorted(order, key=_catalog_position)  # the catalog's order
