"""How the generated items' results are computed: the seam between the pytest items and the
process that computes them.

The plugin hands an :class:`Execution` the items as jobs (a spec and its parameter, in the
order pytest runs them) and the function that computes one result; then it asks for
``result(index)`` as pytest reaches each item, and calls ``close()`` when the session ends.
Nothing here knows of pytest: the same results come out whichever execution computes them,
and the item records and judges them the same way.

- :class:`SerialExecution` (the default): each result computed when asked, in this process.
- :class:`ForkedExecution`: a forked child computes items from the end of the list while
  pytest computes them from the start (:mod:`mltestscore.suite.worker`). On the 4,000-row
  example it saved 19.8% of the wall time, on the full Adult data (48,842 rows) 24.6%
  (alternating runs on an idle machine, medians, see benchmarks/README.md; re-measured near
  idle 5.3% and 24.1%, and at load 5-17 nothing). ``MLTESTSCORE_SUITE_WORKER=0`` turns it
  off.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from mltestscore.suite.jobs import Compute, Job

if TYPE_CHECKING:
    from mltestscore.checks.result import CheckResult
    from mltestscore.suite.worker import SuiteWorker


class Execution(Protocol):
    """Computes the results of a fixed list of jobs, one at a time as they are asked for."""

    def order(self, jobs: Sequence[Job]) -> list[int]:
        """The order (indices into ``jobs``) this execution would have them run in."""
        ...

    def prepare(self, jobs: Sequence[Job], compute: Compute) -> None:
        """Take the jobs in the order they will be asked for, before the first ``result``."""
        ...

    def result(self, index: int) -> CheckResult:
        """The result of job ``index``; a configuration problem raises ``MLScoreError``."""
        ...

    def close(self) -> None:
        """Stop whatever still runs; safe to call again."""
        ...


class SerialExecution:
    """Each result computed in this process when it is asked for."""

    def __init__(self) -> None:
        self._jobs: Sequence[Job] = ()
        self._compute: Compute | None = None

    def order(self, jobs: Sequence[Job]) -> list[int]:
        return list(range(len(jobs)))

    def prepare(self, jobs: Sequence[Job], compute: Compute) -> None:
        self._jobs, self._compute = jobs, compute

    def result(self, index: int) -> CheckResult:
        assert self._compute is not None, "prepare() first"
        spec, param = self._jobs[index]
        return self._compute(spec, param)

    def close(self) -> None:
        pass


class ForkedExecution(SerialExecution):
    """A forked copy of this process computes jobs from the end of the list, this process from
    the start, until they meet (see :mod:`mltestscore.suite.worker`).

    ``preload`` loads what the jobs share (data, model) before the fork, so the child inherits
    it instead of loading its own. A job the child cannot deliver is computed here.
    """

    def __init__(self, preload: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self._preload = preload
        self._worker: SuiteWorker | None = None

    def order(self, jobs: Sequence[Job]) -> list[int]:
        """First the jobs only this process may run (except the canary's, whose process
        serves in the background meanwhile), so the child has the rest to take from the end:
        run where the two meet, they would leave the child's core idle. Jobs sharing a heavy
        import (shap) go last, so the child takes them all and the import happens once, in
        the child. Between them the heavy jobs go to both ends and the light ones to the
        middle, where the two processes meet: the first to run out of jobs then waits for a
        light job of the other's (0.01-0.05 s on the example), not a heavy one (up to 0.6 s,
        which two fairness items met as the last pair on most runs)."""
        schedules = [spec.schedule for spec, _ in jobs]
        if len(jobs) < 2 or not any(s.forkable for s in schedules):
            return list(range(len(jobs)))  # nothing for the child: the catalog's order
        first = [i for i, s in enumerate(schedules) if not (s.forkable or s.starts_canary)]
        shared = _shared_imports(s.imports for s in schedules)
        last = [i for i, s in enumerate(schedules) if s.forkable and shared & set(s.imports)]
        middle = [i for i in range(len(jobs)) if i not in first and i not in last]
        heavy = [i for i in middle if schedules[i].heavy]
        light = [i for i in middle if not schedules[i].heavy]
        half = (len(heavy) + 1) // 2  # the child takes the second half from the end
        return first + heavy[:half] + light + heavy[half:] + last

    def prepare(self, jobs: Sequence[Job], compute: Compute) -> None:
        from mltestscore.suite.worker import SuiteWorker

        super().prepare(jobs, compute)
        if len(jobs) < 2 or not any(spec.schedule.forkable for spec, _ in jobs):
            return
        self._preload()
        self._worker = SuiteWorker.start(jobs, compute)

    def result(self, index: int) -> CheckResult:
        from mltestscore.checks.result import CheckResult

        worker = self._worker
        if worker is None:
            return super().result(index)
        if not worker.claim(index):
            delivered = worker.delivered(index)
            if delivered is not None:
                return CheckResult.from_dict(delivered.unwrap())
        return super().result(index)

    def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()


def choose_execution(preload: Callable[[], None] = lambda: None) -> Execution:
    """The forked execution where the suite worker is wanted (Linux, two usable cores, not
    turned off by ``MLTESTSCORE_SUITE_WORKER``, coverage.py not measuring), else serial.
    Under pytest-xdist the caller uses :class:`SerialExecution`: its workers take the cores."""
    from mltestscore.suite.worker import worker_wanted

    return ForkedExecution(preload) if worker_wanted() else SerialExecution()


def _shared_imports(imports: Iterable[tuple[str, ...]]) -> set[str]:
    """Heavy modules two or more jobs import (shap: 0.25 s)."""
    needed: Counter[str] = Counter()
    for modules in imports:
        needed.update(set(modules))
    return {module for module, count in needed.items() if count >= 2}
