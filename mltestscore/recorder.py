"""Where tests are collected and run (the only process, or each pytest-xdist worker): read
the claims of ``@pytest.mark.mlscore`` markers and ``[tool.mltestscore.map]`` patterns, and
record the checks and measurements of the running test, all on ``item.user_properties``.

Nothing here scores or reports: the properties travel with the test reports to the process
that does (:class:`mltestscore.session.Scorer`), the same way in a serial and an xdist run.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore import recording
from mltestscore.pytest_context import DESELECTED_OUTPUT, MARKER_WARNINGS_OUTPUT, worker_output

if TYPE_CHECKING:
    from mltestscore.session import MLScoreSession

_MARKER_CLAIMS = pytest.StashKey[dict[str, str]]()
#: How many markers the test and all its parents (class, module, package) had when its
#: claims were read: a marker a hook adds to any of them before the tests run (``add_marker``
#: on the test, its class or its module) is seen by the count changing.
_CHAIN_MARKERS = pytest.StashKey[int]()
#: On a module or class node: its ``pytestmark`` when pytest collected it (which object, how
#: many marks). pytest reads ``pytestmark`` only then; a change after it applies to nothing.
_PYTESTMARK = pytest.StashKey[tuple[int, int]]()
#: The markers up the test's chain when it started running (:func:`_chain_state`).
_RUN_START = pytest.StashKey[tuple[int, ...]]()


def _where(node: pytest.Item | pytest.Collector) -> str:
    """``file:line: node id: @pytest.mark.mlscore``, to start a message about a marker."""
    if isinstance(node, pytest.Item):
        path, line = node.location[0], node.location[1]
    else:  # a class or module whose markers all its tests inherit
        path, line = node.nodeid.split("::", 1)[0], None
        if isinstance(node, pytest.Class):
            line = node.reportinfo()[1]
    return f"{path}:{(line or 0) + 1}: {node.nodeid}: @pytest.mark.mlscore"


def _chain_marker_count(item: pytest.Item) -> int:
    """The markers of the test and of every node above it, counted."""
    count = 0
    node: pytest.Item | pytest.Collector | None = item
    while node is not None:
        count += len(node.own_markers)
        node = node.parent
    return count


def _ids_of(markers: Iterable[pytest.Mark]) -> dict[str, str]:
    """The ids some mlscore markers found after collection name. An id that is not the
    rubric's (or not a string) is kept as written, so that the scorecard warns that its
    evidence was ignored rather than dropping it silently: a collection error is no
    longer possible at this point."""
    claims: dict[str, str] = {}
    for marker in markers:
        if marker.name != "mlscore":
            continue
        for item_id in marker.args:
            claims.setdefault(item_id if isinstance(item_id, str) else repr(item_id), "marker")
    return claims


def _chain_state(item: pytest.Item) -> tuple[int, ...]:
    """For the test and every node above it (test first): how many markers it has and
    which is first. pytest's ``add_marker`` appends or inserts at the front, so this is
    enough to tell which markers were added since (:func:`_added_since`). Taken twice per
    test: a flat tuple built in one loop."""
    state: list[int] = []
    node: pytest.Item | pytest.Collector | None = item
    while node is not None:
        marks = node.own_markers
        state += (len(marks), id(marks[0]) if marks else 0)
        node = node.parent
    return tuple(state)


def _added_since(item: pytest.Item, state: tuple[int, ...]) -> list[pytest.Mark]:
    """The markers added to the test or a node above it since ``state`` was taken."""
    added: list[pytest.Mark] = []
    node: pytest.Item | pytest.Collector | None = item
    for length, first in zip(state[::2], state[1::2], strict=True):
        assert node is not None  # the chain has not changed: as many nodes as then
        marks, node = node.own_markers, node.parent
        if len(marks) == length:
            continue
        if not length:
            added.extend(marks)
            continue
        front = next((i for i, mark in enumerate(marks) if id(mark) == first), 0)
        added.extend(marks[:front] + marks[front + length :])
    return added


def _marked_parents(item: pytest.Item) -> Iterator[pytest.Class | pytest.Module]:
    """The class (and its enclosing classes) and the module whose ``pytestmark`` the
    test inherits."""
    node = item.parent
    while isinstance(node, pytest.Class | pytest.Module):
        yield node
        node = node.parent


def _pytestmark(node: pytest.Class | pytest.Module) -> Any:
    """The node's ``pytestmark`` as its object holds it now (loaded already: its tests were
    collected from it); None when it has none or cannot be read."""
    try:
        return getattr(node.obj, "pytestmark", None)
    except Exception:  # a module's own __getattr__ may raise: never crash the session
        return None


def _signature(marks: Any) -> tuple[int, int]:
    """Which ``pytestmark`` object and how many marks: an append or a reassignment after
    collection changes it."""
    return id(marks), len(marks) if isinstance(marks, list | tuple) else int(marks is not None)


def _ignored_pytestmark(node: pytest.Class | pytest.Module) -> str | None:
    """The warning for ``mlscore`` ids a class's or module's ``pytestmark`` gained after
    pytest collected it, or None when its ``pytestmark`` is as collected.

    pytest reads ``pytestmark`` once, when it collects the module or class; a change after
    that (a hook or a fixture appending to it) applies to nothing, not to ``-m`` selection,
    not to ``get_closest_marker``. mltestscore follows pytest rather than counting a marker
    pytest ignores, and says so instead of ignoring it silently."""
    marks = _pytestmark(node)
    seen = node.stash.get(_PYTESTMARK, None)
    if seen is None or seen == _signature(marks):
        return None
    node.stash[_PYTESTMARK] = _signature(marks)  # warned once per change
    applied = [arg for m in node.iter_markers("mlscore") for arg in m.args]  # maybe unhashable
    listed = marks if isinstance(marks, list | tuple) else [marks]
    ignored = [
        arg
        for mark in listed
        if getattr(getattr(mark, "mark", mark), "name", None) == "mlscore"
        for arg in getattr(mark, "args", ())
        if arg not in applied
    ]
    if not ignored:
        return None
    kind = "class" if isinstance(node, pytest.Class) else "module"
    ids = ", ".join(dict.fromkeys(repr(arg) for arg in ignored))
    return (
        f"{_where(node)}({ids}) was added to the {kind}'s pytestmark after pytest "
        f"collected it: pytest reads pytestmark only then, so it applies to no test and "
        f"earns no credit; set pytestmark in the {kind} itself, or add the marker with "
        "add_marker on the node (a hook) or request.applymarker (a fixture)"
    )


class EvidenceRecorder:
    """Registered where tests are collected and run: alone, or on each xdist worker."""

    def __init__(self, session: MLScoreSession) -> None:
        self.session = session
        self.rubric = session.rubric
        self.mapping = session.mapping
        self._running: pytest.Item | None = None
        #: The classes and modules whose pytestmark was read at collection.
        self._marked: list[pytest.Class | pytest.Module] = []

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
                for marked in _marked_parents(node):
                    if _PYTESTMARK not in marked.stash:
                        marked.stash[_PYTESTMARK] = _signature(_pytestmark(marked))
                        self._marked.append(marked)
            claims, found = self._claims_from(node.own_markers, node)
            for item_id in inherited[id(parent)]:
                claims.setdefault(item_id, "marker")
            node.stash[_MARKER_CLAIMS] = claims
            node.stash[_CHAIN_MARKERS] = _chain_marker_count(node)
            problems.extend(found)
        if problems:
            report.outcome = "failed"
            report.longrepr = "mltestscore: " + "\nmltestscore: ".join(problems)
            report.result = []
        return report

    @staticmethod
    def _late_claims(item: pytest.Item) -> dict[str, str]:
        """Every id the test's mlscore markers name now, read when markers were added after
        collection (a ``pytest_collection_modifyitems`` hook, ``add_marker`` on the test,
        its class or its module). They count like any marker; see :func:`_ids_of`."""
        item.stash[_CHAIN_MARKERS] = _chain_marker_count(item)
        return _ids_of(item.iter_markers("mlscore"))

    def claims_for(self, item: pytest.Item) -> dict[str, str]:
        claims = item.stash.get(_MARKER_CLAIMS, None)
        if claims is None or _chain_marker_count(item) != item.stash.get(_CHAIN_MARKERS, -1):
            claims = {**self._late_claims(item), **(claims or {})}
            item.stash[_MARKER_CLAIMS] = claims
        claims = dict(claims)
        for pattern, ids in self.mapping:
            if fnmatch.fnmatchcase(item.nodeid, pattern):
                for item_id in ids:
                    claims.setdefault(item_id, "map")
        return claims

    @staticmethod
    def _add_claims(item: pytest.Item, claims: dict[str, str]) -> None:
        """Claims found after the test's first ones: those it did not have yet join them."""
        before = item.stash.get(_MARKER_CLAIMS, {})
        new = {k: v for k, v in claims.items() if k not in before}
        if new:
            item.stash[_MARKER_CLAIMS] = {**before, **new}
            item.user_properties.append((recording.CLAIMS_PROPERTY, new))

    def _warn_ignored_pytestmarks(self) -> None:
        """Warn about each class or module whose ``pytestmark`` gained ``mlscore`` markers
        since collection: once when collection ends and once when the session ends (a
        fixture or a test may change it too), not after every test."""
        for node in self._marked:
            warning = _ignored_pytestmark(node)
            if warning is not None and warning not in self.session.marker_warnings:
                self.session.marker_warnings.append(warning)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            claims = self.claims_for(item)
            if claims:
                item.user_properties.append((recording.CLAIMS_PROPERTY, claims))

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_finish(self, session: pytest.Session) -> Generator[None, None, None]:
        """Markers added once this plugin had read the claims but before any test ran (a
        ``trylast`` modifyitems hook called after this plugin's, a collection-finish hook)
        count for every test they reach, the same in a serial and an xdist run."""
        yield
        for item in session.items:
            if _chain_marker_count(item) != item.stash.get(_CHAIN_MARKERS, -1):
                self._add_claims(item, self._late_claims(item))
        self._warn_ignored_pytestmarks()

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
        """Markers added while the test ran (a fixture calling ``request.applymarker``, or
        ``add_marker`` on its class or module) count for this test: their ids join its
        claims before the teardown report, the one that carries every property, is made.
        Only this test's: which later tests of the class or module would see a marker one
        test added depends on the order and on the xdist worker, and a score must not."""
        if call.when == "teardown":
            at_start = item.stash.get(_RUN_START, None)
            if at_start is not None and _chain_state(item) != at_start:
                self._add_claims(item, _ids_of(_added_since(item, at_start)))
        return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        self._running = item  # until its teardown report, the last thing the test does
        item.stash[_RUN_START] = _chain_state(item)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self._running = None

    @pytest.hookimpl(tryfirst=True)  # before the scorer (trylast) reads the warnings
    def pytest_sessionfinish(self) -> None:
        recording.stop_recording(self._record)
        self._warn_ignored_pytestmarks()
        output = worker_output(self.session.config)
        if output is not None:  # the controller cannot see a worker's deselection
            output[DESELECTED_OUTPUT] = self.session.deselected
            output[MARKER_WARNINGS_OUTPUT] = list(self.session.marker_warnings)
