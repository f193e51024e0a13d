"""Where tests are collected and run (the only process, or each pytest-xdist worker): read
the claims of ``@pytest.mark.mlscore`` markers and ``[tool.mltestscore.map]`` patterns, and
record the checks and measurements of the running test, all on ``item.user_properties``.

Nothing here scores or reports: the properties travel with the test reports to the process
that does (:class:`mltestscore.session.Scorer`), the same way in a serial and an xdist run.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore import recording
from mltestscore.pytest_context import worker_output

if TYPE_CHECKING:
    from mltestscore.session import MLScoreSession

_MARKER_CLAIMS = pytest.StashKey[dict[str, str]]()
#: How many markers of its own the test had when its claims were read: a marker added later
#: (by a hook, a fixture, ``request.applymarker``) is seen by the count changing.
_OWN_MARKERS = pytest.StashKey[int]()
#: The key of the deselected count in what an xdist worker sends its controller.
DESELECTED_OUTPUT = "mlscore_deselected"


def _where(node: pytest.Item | pytest.Collector) -> str:
    """``file:line: node id: @pytest.mark.mlscore``, to start a message about a marker."""
    if isinstance(node, pytest.Item):
        path, line = node.location[0], node.location[1]
    else:  # a class or module whose markers all its tests inherit
        path, line = node.nodeid.split("::", 1)[0], None
        if isinstance(node, pytest.Class):
            line = node.reportinfo()[1]
    return f"{path}:{(line or 0) + 1}: {node.nodeid}: @pytest.mark.mlscore"


class EvidenceRecorder:
    """Registered where tests are collected and run: alone, or on each xdist worker."""

    def __init__(self, session: MLScoreSession) -> None:
        self.session = session
        self.rubric = session.rubric
        self.mapping = session.mapping
        self._running: pytest.Item | None = None

    # -- collection: claims from markers and the [tool.mltestscore.map] patterns ----------
    def _claims_from(
        self, markers: Iterable[pytest.Mark], node: pytest.Item | pytest.Collector
    ) -> tuple[dict[str, str], list[str]]:
        """The rubric ids some mlscore markers claim, and the problems with them (unknown
        or malformed ids), each problem naming the file, line and node that has them."""
        claims: dict[str, str] = {}
        problems: list[str] = []
        for marker in markers:
            if marker.name != "mlscore":
                continue
            if not marker.args:
                problems.append(f"{_where(node)} needs at least one rubric id, e.g. 'data-1'")
            for item_id in marker.args:
                if not isinstance(item_id, str):
                    problems.append(f"{_where(node)} takes rubric ids as strings, got {item_id!r}")
                elif item_id not in self.rubric.id_set:
                    problems.append(f"{_where(node)}: {self.rubric.unknown_id_message(item_id)}")
                else:
                    claims.setdefault(item_id, "marker")
        return claims, problems

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Read each collected item's markers once; a bad rubric id becomes a collection
        error of the file that has it.

        A collection error stops the run the same way in a serial and an xdist run (an
        exception raised on an xdist worker would crash the controller instead). Markers a
        class or module gives all its tests are read once per parent, not once per test:
        this hook runs for every collected test, and ``iter_markers`` walks the whole chain.
        """
        report = yield
        if not report.passed:
            return report
        problems: list[str] = []
        inherited: dict[int, dict[str, str]] = {}
        for node in report.result:
            if not isinstance(node, pytest.Item):
                continue
            parent = node.parent
            if id(parent) not in inherited:
                from_parents, found = (
                    self._claims_from(parent.iter_markers("mlscore"), parent)
                    if parent is not None
                    else ({}, [])
                )
                inherited[id(parent)] = from_parents
                problems.extend(found)
            claims, found = self._claims_from(node.own_markers, node)
            for item_id in inherited[id(parent)]:
                claims.setdefault(item_id, "marker")
            node.stash[_MARKER_CLAIMS] = claims
            node.stash[_OWN_MARKERS] = len(node.own_markers)
            problems.extend(found)
        if problems:
            report.outcome = "failed"
            report.longrepr = "mltestscore: " + "\nmltestscore: ".join(problems)
            report.result = []
        return report

    @staticmethod
    def _late_claims(item: pytest.Item) -> dict[str, str]:
        """Every id the test's mlscore markers name now, read when markers were added after
        collection (a ``pytest_collection_modifyitems`` hook, a fixture calling
        ``request.applymarker``). They count like any marker; an id that is not the rubric's
        (or not a string) is kept as written, so that the scorecard warns that its
        evidence was ignored rather than dropping it silently: a collection error is no
        longer possible at this point."""
        claims: dict[str, str] = {}
        for marker in item.iter_markers("mlscore"):
            for item_id in marker.args:
                claims.setdefault(item_id if isinstance(item_id, str) else repr(item_id), "marker")
        item.stash[_OWN_MARKERS] = len(item.own_markers)
        return claims

    def claims_for(self, item: pytest.Item) -> dict[str, str]:
        claims = item.stash.get(_MARKER_CLAIMS, None)
        if claims is None or len(item.own_markers) != item.stash.get(_OWN_MARKERS, -1):
            claims = {**self._late_claims(item), **(claims or {})}
            item.stash[_MARKER_CLAIMS] = claims
        claims = dict(claims)
        for pattern, ids in self.mapping:
            if fnmatch.fnmatchcase(item.nodeid, pattern):
                for item_id in ids:
                    claims.setdefault(item_id, "map")
        return claims

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            claims = self.claims_for(item)
            if claims:
                item.user_properties.append((recording.CLAIMS_PROPERTY, claims))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.session.deselected += len(items)

    # -- while a test runs: checks and measurements record into its user_properties -------
    # One sink for the whole session, pointed at the running test by two plain hooks: a
    # wrapper and a context manager per test cost more than everything else per test.
    def _record(self, kind: str, payload: Any) -> None:
        if self._running is not None:
            self._running.user_properties.append((kind, payload))

    def pytest_sessionstart(self) -> None:
        recording.start_recording(self._record)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Markers added while the test ran (a fixture calling ``request.applymarker``)
        count too: their new ids join the claims before the teardown report, the one that
        carries every property, is made. One length comparison per test otherwise."""
        if call.when == "teardown" and len(item.own_markers) != item.stash.get(_OWN_MARKERS, -1):
            before = item.stash.get(_MARKER_CLAIMS, {})
            late = {k: v for k, v in self._late_claims(item).items() if k not in before}
            if late:
                item.stash[_MARKER_CLAIMS] = {**before, **late}
                item.user_properties.append((recording.CLAIMS_PROPERTY, late))
        return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        self._running = item  # until its teardown report, the last thing the test does

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self._running = None

    def pytest_sessionfinish(self) -> None:
        recording.stop_recording(self._record)
        output = worker_output(self.session.config)
        if output is not None:  # the controller cannot see a worker's deselection
            output[DESELECTED_OUTPUT] = self.session.deselected
