"""What ``pytest --mlscore`` does: translate pytest items and outcomes into evidence,
score them, and report.

Claims are computed where collection happens (a pytest-xdist worker or the only process) and
travel on ``item.user_properties``, as do check results and measurements recorded while a
test runs. The controller (or the only process) reads them back from the test reports, so a
distributed run scores exactly like a serial one.
"""

from __future__ import annotations

import fnmatch
import gc
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore import recording
from mltestscore.config import ProjectConfig, load_project_config, parse_credit
from mltestscore.errors import ConfigError, MLScoreError
from mltestscore.evidence import Attestation, TestRun
from mltestscore.exit_codes import EXIT_SCORE_BELOW_THRESHOLD, EXIT_SCORE_REGRESSED
from mltestscore.pytest_context import pyproject_path
from mltestscore.report.atomic import remove_stale
from mltestscore.rubric import DEFAULT_RUBRIC, Rubric, load_rubric
from mltestscore.scorecard import Scorecard, build_scorecard, git_commit
from mltestscore.scoring import CreditMode

if TYPE_CHECKING:
    from mltestscore.report.render_worker import RenderWorker

_MARKER_CLAIMS = pytest.StashKey[dict[str, str]]()
_OUTCOME_RANK = {"passed": 0, "skipped": 1, "xpassed": 1, "xfailed": 1, "failed": 2, "error": 3}


@dataclass
class _RunState:
    outcome: str = "passed"
    duration: float = 0.0
    message: str = ""
    properties: list[tuple[str, Any]] = field(default_factory=list)


def _phase_outcome(report: pytest.TestReport) -> str:
    xfail = hasattr(report, "wasxfail")
    if report.when != "call":
        if report.failed:
            return "error"
        if report.skipped:
            return "xfailed" if xfail else "skipped"
        return "passed"
    if report.passed:
        return "xpassed" if xfail else "passed"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return "failed"


def _short_message(report: pytest.TestReport) -> str:
    if report.passed:
        return ""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    message = getattr(crash, "message", None) or report.longreprtext.strip().splitlines()[-1:]
    text = message if isinstance(message, str) else " ".join(message)
    if hasattr(report, "wasxfail") and report.wasxfail:
        text = f"{text} (xfail: {report.wasxfail})" if text else f"xfail: {report.wasxfail}"
    return text if len(text) <= 1000 else text[:999] + "…"


def _where(node: pytest.Item | pytest.Collector) -> str:
    """``file:line: node id: @pytest.mark.mlscore``, to start a message about a marker."""
    if isinstance(node, pytest.Item):
        path, line = node.location[0], node.location[1]
    else:  # a class or module whose markers all its tests inherit
        path, line = node.nodeid.split("::", 1)[0], None
        if isinstance(node, pytest.Class):
            line = node.reportinfo()[1]
    return f"{path}:{(line or 0) + 1}: {node.nodeid}: @pytest.mark.mlscore"


class MLScoreSession:
    """The ``--mlscore`` plugin object; registered only when the option is given."""

    comparison_lines: tuple[str, ...] = ()  # set when --mlscore-compare gave a base

    def __init__(
        self,
        config: pytest.Config,
        project: ProjectConfig,
        rubric: Rubric,
        credit_mode: CreditMode,
        attestations: list[Attestation],
        mapping: list[tuple[str, tuple[str, ...]]],
        json_path: Path,
        fail_under: float | None,
    ) -> None:
        self.config = config
        self.project = project
        self.rubric = rubric
        self.credit_mode = credit_mode
        self.attestations = attestations
        self.mapping = mapping
        self.json_path = json_path
        self.fail_under = fail_under
        self.is_worker = hasattr(config, "workerinput")
        self.runs: dict[str, _RunState] = {}
        self.scorecard: Scorecard | None = None
        self.written: list[tuple[str, Path]] = []
        self.problems: list[str] = []
        self.collection_errors = 0
        # Filled by the zero-config suite: per item, how it could be automated here.
        self.hints: dict[str, list[str]] = {}
        self._running: pytest.Item | None = None
        self._renderer: RenderWorker | None = None
        self.other_passed = 0  # tests that passed claiming and recording nothing

    def add_hints(self, hints: dict[str, list[str]]) -> None:
        """Add, per rubric item, how it could be automated here (the zero-config suite's)."""
        for item_id, texts in hints.items():
            self.hints.setdefault(item_id, []).extend(texts)

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

    def _read_markers(self, item: pytest.Item) -> tuple[dict[str, str], list[str]]:
        """The claims of all the markers an item has, its own and inherited."""
        return self._claims_from(item.iter_markers("mlscore"), item)

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
            problems.extend(found)
        if problems:
            report.outcome = "failed"
            report.longrepr = "mltestscore: " + "\nmltestscore: ".join(problems)
            report.result = []
        return report

    def claims_for(self, item: pytest.Item) -> dict[str, str]:
        claims = item.stash.get(_MARKER_CLAIMS, None)
        claims = dict(claims) if claims is not None else self._read_markers(item)[0]
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

    # -- while a test runs: checks and measurements record into its user_properties -------
    # One sink for the whole session, pointed at the running test by two plain hooks: a
    # wrapper and a context manager per test cost more than everything else per test.
    def _record(self, kind: str, payload: Any) -> None:
        if self._running is not None:
            self._running.user_properties.append((kind, payload))

    def pytest_sessionstart(self) -> None:
        recording.start_recording(self._record)
        distributed = getattr(self.config.option, "numprocesses", None)
        if not self.is_worker and not self.config.option.collectonly and not distributed:
            from mltestscore.report.render_worker import RenderWorker

            # Warms up on an idle core while the tests run (see render_worker).
            self._renderer = RenderWorker.start()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        self._running = item  # until its teardown report, the last thing the test does

    # -- controller side: combine phase reports into one outcome per test -----------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self._running = None
        if self.is_worker:
            return
        state = self.runs.get(report.nodeid)
        if state is None:
            if report.passed and not report.user_properties and not hasattr(report, "wasxfail"):
                # Claims nothing and recorded nothing so far: nothing to score, only to
                # count. Most tests of a large suite end here; a later phase that records
                # something or does not pass still starts a run of its own.
                if report.when == "teardown":
                    self.other_passed += 1
                return
            state = self.runs[report.nodeid] = _RunState()
        outcome = _phase_outcome(report)
        # The call phase decides after a passing setup; an error in any phase wins.
        replaces = report.when == "call" and state.outcome == "passed"
        if replaces or _OUTCOME_RANK[outcome] > _OUTCOME_RANK[state.outcome]:
            state.outcome = outcome
            state.message = _short_message(report) or state.message
        state.duration += report.duration
        # user_properties grow through the phases: the latest report has them all.
        if len(report.user_properties) >= len(state.properties):
            state.properties = report.user_properties  # each report has its own list

    def _test_runs(self) -> list[TestRun]:
        runs = []
        for nodeid, state in self.runs.items():
            claimed: dict[str, str] = {}
            checks: list[dict[str, Any]] = []
            measurements: list[dict[str, Any]] = []
            for name, value in state.properties:
                if name == recording.CLAIMS_PROPERTY:
                    for item_id, via in dict(value).items():
                        claimed.setdefault(item_id, via)
                elif name == recording.CHECK_PROPERTY:
                    checks.append(dict(value))
                    for item_id in value["rubric_ids"]:
                        claimed.setdefault(item_id, "check")
                elif name == recording.MEASUREMENT_PROPERTY:
                    measurements.append(dict(value))
            known = self.rubric.id_set
            for item_id in [i for i in claimed if i not in known]:
                self.problems.append(
                    f"{nodeid}: ignored evidence for {self.rubric.unknown_id_message(item_id)}"
                )
                claimed.pop(item_id)
            checks = [
                dict(c, rubric_ids=[i for i in c["rubric_ids"] if i in known]) for c in checks
            ]
            runs.append(
                TestRun(
                    nodeid=nodeid,
                    outcome=state.outcome,
                    duration=state.duration,
                    claims=tuple(claimed),
                    message=state.message,
                    checks=tuple(checks),
                    measurements=tuple(measurements),
                    claimed_by=claimed,
                )
            )
        return runs

    def _warnings(self) -> list[str]:
        warnings = list(self.problems)
        for pattern, ids in self.mapping:
            if not any(fnmatch.fnmatchcase(nodeid, pattern) for nodeid in self.runs):
                warnings.append(
                    f"[tool.mltestscore.map] pattern {pattern!r} (for {', '.join(ids)}) "
                    "matched no test that ran"
                )
        # Installed plugins load only now (never at pytest start); one that fails to load
        # is a warning on the scorecard, not a crash.
        from mltestscore.entry_points import installed_entry_points

        if installed_entry_points():
            from mltestscore.extensions import plugin_warnings

            warnings.extend(plugin_warnings())
        return warnings

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.is_worker:
            self.collection_errors += 1

    def _incomplete_reason(self, session: pytest.Session) -> str | None:
        """Why this run cannot be scored (a partial scorecard would mislead), or None."""
        if self.collection_errors:
            return f"{self.collection_errors} error(s) during collection"
        if self.config.option.collectonly:
            return "only collected tests (--collect-only)"
        if session.exitstatus in {
            pytest.ExitCode.INTERRUPTED,
            pytest.ExitCode.INTERNAL_ERROR,
            pytest.ExitCode.USAGE_ERROR,
        }:
            return f"the run did not complete (pytest exit status {int(session.exitstatus)})"
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        recording.stop_recording(self._record)
        if self.is_worker:
            return
        # By now the heap holds every collected item and report: each garbage collection
        # that the reports' allocations (Jinja2's import above all) would trigger walks all
        # of it, and cost more than the reports themselves. Nothing here creates garbage
        # worth collecting before pytest exits.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._finish(session)
        finally:
            if collecting:
                gc.enable()
            if self._renderer is not None:
                self._renderer.close()

    def _finish(self, session: pytest.Session) -> None:
        from mltestscore.report.json_report import write_json
        from mltestscore.report.outputs import ReportOptions, read_base, write_reports

        incomplete = self._incomplete_reason(session)
        if incomplete is not None:
            remove_stale(self.json_path)
            ReportOptions.from_config(self.config, self.json_path).remove_stale()
            self.problems.append(f"no scorecard written: {incomplete}")
            return
        warnings = self._warnings()
        if session.shouldstop or session.shouldfail:
            warnings.append("the run stopped early (-x / --maxfail): not every test ran")

        self.scorecard = build_scorecard(
            self.rubric,
            self._test_runs(),
            self.attestations,
            credit_mode=self.credit_mode,
            max_age_days=self.project.max_age_days,
            commit=git_commit(self.config.rootpath),
            warnings=warnings,
            hints=self.hints,
            other_passed=self.other_passed,
        )
        options = ReportOptions.from_config(self.config, self.json_path)
        base = read_base(options)  # before the JSON is rewritten: it may be the base
        try:
            self.written.append(("JSON scorecard", write_json(self.scorecard, self.json_path)))
        except OSError as exc:
            self.problems.append(f"could not write {self.json_path}: {exc.strerror or exc}")
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        reports = write_reports(self.scorecard, options, base, self._renderer)
        self.written.extend(reports.written)
        self.problems.extend(reports.problems)
        self.comparison_lines = tuple(reports.comparison_lines)
        if reports.write_failed:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        self._gate(session)
        if options.fail_on_regression:
            self._regression_gate(session, reports.regression, reports.gate_unusable)

    def _gate(self, session: pytest.Session) -> None:
        assert self.scorecard is not None
        if self.fail_under is None or self.scorecard["score"] >= self.fail_under:
            return
        short = [
            f"{s['id']} {s['score']:g}"
            for s in self.scorecard["sections"]
            if s["score"] < self.fail_under
        ]
        self.problems.append(
            f"final ML Test Score {self.scorecard['score']:g} is below --mlscore-fail-under="
            f"{self.fail_under:g}; sections short of it: {', '.join(short)}"
        )
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = EXIT_SCORE_BELOW_THRESHOLD

    def _regression_gate(
        self, session: pytest.Session, regression: str | None, unusable: bool
    ) -> None:
        """--mlscore-fail-on-regression: a lower final or section score than the base exits
        with EXIT_SCORE_REGRESSED; a base that cannot be compared is a usage error (the gate
        must not pass by accident)."""
        if unusable:
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        if regression is None:
            return
        self.problems.append(regression)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = EXIT_SCORE_REGRESSED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or (self.scorecard is None and not self.problems):
            return
        from mltestscore.report.terminal import summary_lines

        terminalreporter.write_sep("=", "ML Test Score")
        if self.scorecard is not None:
            for line in summary_lines(self.scorecard, width=terminalreporter._tw.fullwidth):
                terminalreporter.write_line(line)
        for line in self.comparison_lines:
            terminalreporter.write_line(line)
        for label, path in self.written:
            terminalreporter.write_line(f"{label}: {path}")
        for problem in self.problems:
            terminalreporter.write_line(f"mlscore: {problem}", red=True, bold=True)


def _today() -> date:
    return datetime.now(UTC).date()


def start_session(config: pytest.Config) -> MLScoreSession:
    """Read options, configuration and rubric; any problem stops the run with a usage error
    and removes the report an earlier run left at the same path."""
    json_option = config.getoption("mlscore_json")
    json_path = Path(json_option) if json_option else config.rootpath / "reports" / "mlscore.json"
    if not json_path.is_absolute():
        json_path = Path(config.invocation_params.dir) / json_path
    try:
        project = load_project_config(pyproject_path(config))
        rubric_choice = config.getoption("mlscore_rubric") or project.rubric or DEFAULT_RUBRIC
        rubric = load_rubric(rubric_choice)
        credit_option = config.getoption("mlscore_credit") or config.getini("mlscore_credit")
        credit_mode = (
            parse_credit(credit_option, "mlscore_credit")
            if credit_option
            else project.credit or CreditMode.PASSED
        )
        fail_under = config.getoption("mlscore_fail_under")
        if fail_under is None:
            fail_under = project.fail_under
        attestations = project.attestations(rubric, _today())
        mapping = project.mapping(rubric)
        if config.getoption("mlscore_fail_on_regression") and not config.getoption(
            "mlscore_compare"
        ):
            # Said before any test runs: the gate would otherwise fail only at the end.
            raise ConfigError(
                "--mlscore-fail-on-regression needs a base: add --mlscore-compare=BASE.json"
            )
    except MLScoreError as exc:
        if not hasattr(config, "workerinput"):
            remove_stale(json_path)
        raise pytest.UsageError(f"mltestscore: {exc}") from None
    return MLScoreSession(
        config, project, rubric, credit_mode, attestations, mapping, json_path, fail_under
    )
