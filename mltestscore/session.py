"""What ``pytest --mlscore`` does with what the tests did: combine each test's reports into
one outcome with its evidence, score them, and write the reports.

Claims and evidence are recorded where tests are collected and run
(:mod:`mltestscore.recorder`) and travel on the test reports' ``user_properties``. The
:class:`Scorer` here is registered only where reports arrive (the only process, or the
pytest-xdist controller, as pytest's junitxml registers its reporter), so a distributed run
scores exactly like a serial one.
"""

from __future__ import annotations

import gc
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from mltestscore import junit, recording
from mltestscore.config import ProjectConfig, load_project_config, parse_credit
from mltestscore.errors import ConfigError, MLScoreError
from mltestscore.evidence import Attestation, TestRun
from mltestscore.exit_codes import (
    EXIT_NO_BASE,
    EXIT_SCORE_BELOW_THRESHOLD,
    EXIT_SCORE_REGRESSED,
)
from mltestscore.pytest_context import (
    DESELECTED_OUTPUT,
    MARKER_WARNINGS_OUTPUT,
    Role,
    pyproject_path,
    role,
    selection_request,
)
from mltestscore.report.outputs import STEP_SUMMARY_VARIABLE, Base, ReportOptions
from mltestscore.rubric import DEFAULT_RUBRIC, Rubric, load_rubric
from mltestscore.scorecard import Scorecard, build_scorecard, git_commit
from mltestscore.scoring import CreditMode
from mltestscore.selection import RunEnd, SelectionRequest, selection

MAX_PATTERN_WARNINGS = 20
_OUTCOME_RANK = {"passed": 0, "skipped": 1, "xpassed": 1, "xfailed": 1, "failed": 2, "error": 3}


@dataclass
class MLScoreSession:
    """What ``--mlscore`` knows of this run before any test: the project's configuration,
    the rubric, the claims' mapping, where the reports go and what the run selected."""

    config: pytest.Config
    project: ProjectConfig
    rubric: Rubric
    credit_mode: CreditMode
    attestations: list[Attestation]
    mapping: list[tuple[str, tuple[str, ...]]]
    reports: ReportOptions
    fail_under: float | None
    request: SelectionRequest | None = None  # where the run is scored
    base: Base | None = None  # --mlscore-compare, read before any test runs
    #: Per item, how it could be automated here (the zero-config suite's hints).
    hints: dict[str, list[str]] = field(default_factory=dict)
    deselected: int = 0  # tests deselected in this process (or reported by xdist workers)
    #: Markers pytest did not apply (a pytestmark changed after collection), found where
    #: tests ran: this process, or reported by xdist workers.
    marker_warnings: list[str] = field(default_factory=list)
    junit_xml: Path | None = None  # --junitxml: the score goes on its testsuite
    junit_test_properties: bool = False  # --mlscore-junit-properties

    @property
    def json_path(self) -> Path:
        assert self.reports.json is not None
        return self.reports.json

    def add_hints(self, hints: dict[str, list[str]]) -> None:
        """Add, per rubric item, how it could be automated here (the zero-config suite's)."""
        for item_id, texts in hints.items():
            self.hints.setdefault(item_id, []).extend(texts)


def report_options(config: pytest.Config) -> ReportOptions:
    """The ``--mlscore-*`` report options as plain data; relative paths are relative to
    where pytest was started. HTML and history default to the folder of the JSON report.
    Reads paths only, so it cannot fail: a usage error still knows what to clean up."""
    from mltestscore.report.history import default_history_path

    base_dir = Path(config.invocation_params.dir)

    def path_option(name: str, default: Path | None = None) -> Path | None:
        value = config.getoption(name, None)
        if not value:
            return default
        path = Path(value)
        return path if path.is_absolute() else base_dir / path

    json_path = path_option("mlscore_json", config.rootpath / "reports" / "mlscore.json")
    assert json_path is not None
    summary = os.environ.get(STEP_SUMMARY_VARIABLE)
    return ReportOptions(
        json=json_path,
        html=path_option("mlscore_html", json_path.with_suffix(".html")),
        markdown=path_option("mlscore_md"),
        badge=path_option("mlscore_badge"),
        history=path_option("mlscore_history", default_history_path(json_path)),
        compare=path_option("mlscore_compare"),
        fail_on_regression=bool(config.getoption("mlscore_fail_on_regression", False)),
        step_summary=Path(summary) if summary else None,
    )


def _today() -> date:
    return datetime.now(UTC).date()


def check_fail_under(value: float | None, rubric: Rubric) -> None:
    """A ``fail_under`` of NaN would never fail and one outside ``[0, max]`` always or
    never would: both are usage errors, said before any test runs."""
    if value is None:
        return
    highest = min(rubric.section_max(s) for s in rubric.sections)
    if not math.isfinite(value) or not 0 <= value <= highest:
        raise ConfigError(
            f"fail_under={value!r} must be a number from 0 to {highest:g} (the highest "
            f"score of rubric {rubric.id})"
        )


def start_session(config: pytest.Config) -> MLScoreSession:
    """Read options, configuration, rubric and the comparison base; any problem is a
    :class:`pytest.UsageError` (the plugin then removes the reports an earlier run left)."""
    scored_here = role(config) is not Role.WORKER
    reports = report_options(config)
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
        check_fail_under(fail_under, rubric)
        attestations = project.attestations(rubric, _today())
        mapping = project.mapping(rubric)
        if reports.fail_on_regression and reports.compare is None:
            # Said before any test runs: the gate would otherwise fail only at the end.
            raise ConfigError(
                "--mlscore-fail-on-regression needs a base: add --mlscore-compare=BASE.json"
            )
        base = _read_base(reports) if scored_here else None
    except MLScoreError as exc:
        raise pytest.UsageError(f"mltestscore: {exc}") from None
    return MLScoreSession(
        config=config,
        project=project,
        rubric=rubric,
        credit_mode=credit_mode,
        attestations=attestations,
        mapping=mapping,
        reports=reports,
        fail_under=fail_under,
        request=selection_request(config) if scored_here else None,
        base=base,
        junit_xml=junit.junit_path(config.getoption("xmlpath", None), config.invocation_params.dir),
        junit_test_properties=bool(config.getoption("mlscore_junit_properties", False)),
    )


def _read_base(reports: ReportOptions) -> Base | None:
    """The base of ``--mlscore-compare``, read before any test runs and before this run
    replaces its JSON (it may be the same file). A partial scorecard is a usage error: it
    is not the project's score. An unreadable base is reported at the end (and fails the
    gate, when asked for)."""
    from mltestscore.report.outputs import read_base

    base = read_base(reports.compare)
    if base is not None and base.problem is not None and "partial scorecard" in base.problem:
        raise ConfigError(f"--mlscore-compare: {base.problem}")
    return base


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


def _stray_measurements(
    nodeid: str, measurements: list[dict[str, Any]], claimed: dict[str, str], rubric: Rubric
) -> list[str]:
    """Warnings for ``mlscore_record(..., item=...)`` values no item will show: an unknown
    rubric id, or an item this test does not claim (dropped silently before)."""
    found = []
    for measurement in measurements:
        item = measurement.get("item")
        if item is None or item in claimed:
            continue
        why = (
            rubric.unknown_id_message(str(item))
            if item not in rubric.id_set
            else f"{item}, which this test does not claim"
        )
        found.append(f"{nodeid}: measurement {measurement.get('name')!r} ignored: {why}")
    return found


class Scorer:
    """Registered where the test reports arrive (alone, or the xdist controller): one
    outcome per test, the scorecard, the reports, the gates and the terminal summary."""

    comparison_lines: tuple[str, ...] = ()  # set when --mlscore-compare gave a base

    def __init__(self, session: MLScoreSession) -> None:
        self.session = session
        self.config = session.config
        self.runs: dict[str, _RunState] = {}
        self.ran: set[str] = set()  # the tests that ran to their teardown
        self.scorecard: Scorecard | None = None
        self.written: list[tuple[str, Path]] = []
        self.problems: list[str] = []
        self.collection_errors = 0
        self.other_passed = 0  # tests that passed claiming and recording nothing

    # -- combine phase reports into one outcome per test ---------------------------------
    @pytest.hookimpl(tryfirst=True)  # before junitxml writes the report's properties
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._combine(report)
        self._plain_properties(report)

    def _plain_properties(self, report: pytest.TestReport) -> None:
        """Once read, the evidence leaves the report: junitxml would write its dicts'
        reprs. With --mlscore-junit-properties the teardown report (the one junitxml
        writes) gets plain key=value properties instead."""
        if not junit.has_evidence(report.user_properties):
            return
        plain = junit.without_evidence(report.user_properties)
        state = self.runs.get(report.nodeid)
        if self.session.junit_test_properties and report.when == "teardown" and state:
            plain += junit.per_test_properties(
                state.properties,
                state.outcome,
                self.session.credit_mode,
                self.session.rubric.id_set,
            )
        report.user_properties = plain  # a new list: the run state keeps the evidence

    def _combine(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self.ran.add(report.nodeid)
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

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a worker finished; every worker deselects the same tests."""

        output = getattr(node, "workeroutput", None) or {}
        deselected = output.get(DESELECTED_OUTPUT)
        if isinstance(deselected, int):
            self.session.deselected = max(self.session.deselected, deselected)
        for warning in output.get(MARKER_WARNINGS_OUTPUT) or ():
            if warning not in self.session.marker_warnings:  # each worker collects them all
                self.session.marker_warnings.append(str(warning))

    def _test_runs(self) -> list[TestRun]:
        rubric = self.session.rubric
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
            known = rubric.id_set
            for item_id in [i for i in claimed if i not in known]:
                self.problems.append(
                    f"{nodeid}: ignored evidence for {rubric.unknown_id_message(item_id)}"
                )
                claimed.pop(item_id)
            checks = [
                dict(c, rubric_ids=[i for i in c["rubric_ids"] if i in known]) for c in checks
            ]
            self.problems.extend(_stray_measurements(nodeid, measurements, claimed, rubric))
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
        import fnmatch

        warnings = list(self.problems) + self.session.marker_warnings
        unmatched = [
            f"[tool.mltestscore.map] pattern {pattern!r} (for {', '.join(ids)}) "
            "matched no test that ran"
            for pattern, ids in self.session.mapping
            if not any(fnmatch.fnmatchcase(nodeid, pattern) for nodeid in self.runs)
        ]
        warnings.extend(unmatched[:MAX_PATTERN_WARNINGS])
        if len(unmatched) > MAX_PATTERN_WARNINGS:  # thousands would bloat every report
            warnings.append(
                f"[tool.mltestscore.map]: {len(unmatched) - MAX_PATTERN_WARNINGS} more "
                "patterns matched no test that ran"
            )
        # Installed plugins load only now (never at pytest start); one that fails to load
        # is a warning on the scorecard, not a crash.
        from mltestscore.entry_points import installed_entry_points

        if installed_entry_points():
            from mltestscore.extensions import plugin_warnings

            warnings.extend(plugin_warnings())
        return warnings

    def _unscorable(self, session: pytest.Session) -> str | None:
        """Why this run cannot be scored at all (a scorecard would mislead), or None."""
        if self.collection_errors:
            return f"{self.collection_errors} error(s) during collection"
        if session.exitstatus in {pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR}:
            return f"the run did not complete (pytest exit status {int(session.exitstatus)})"
        return None

    def _selection(self, session: pytest.Session) -> dict[str, Any] | None:
        assert self.session.request is not None
        stopped = session.shouldfail or session.shouldstop
        end = RunEnd(
            collected=session.testscollected,
            ran=len(self.ran),
            deselected=self.session.deselected,
            failures=sum(1 for s in self.runs.values() if s.outcome in ("failed", "error")),
            stopped=str(stopped) if stopped else None,
            interrupted=session.exitstatus == pytest.ExitCode.INTERRUPTED,
        )
        return selection(self.session.request, end)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.config.option.collectonly:
            self.problems.append(
                "no scorecard written (--collect-only); earlier reports are left as they were"
            )
            return
        # By now the heap holds every collected item and report: each garbage collection
        # that the reports' allocations (Jinja2's import above all) would trigger walks all
        # of it, and cost more than the reports themselves. Nothing here creates garbage
        # worth collecting before pytest exits.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._finish(session)
        except BaseException:
            if self.scorecard is None:  # a crash before any report: none from an earlier run
                self.session.reports.remove_stale()  # may pass for this run's
            raise
        finally:
            if collecting:
                gc.enable()

    def _finish(self, session: pytest.Session) -> None:
        from mltestscore.report.outputs import write_reports

        reports = self.session.reports
        unscorable = self._unscorable(session)
        if unscorable is not None:
            self.problems.extend(reports.remove_stale())
            self.problems.append(f"no scorecard written: {unscorable}")
            return
        self.scorecard = build_scorecard(
            self.session.rubric,
            self._test_runs(),
            self.session.attestations,
            credit_mode=self.session.credit_mode,
            max_age_days=self.session.project.max_age_days,
            commit=git_commit(self.config.rootpath),
            warnings=self._warnings(),
            hints=self.session.hints,
            other_passed=self.other_passed,
            selection=self._selection(session),
        )
        outcome = write_reports(self.scorecard, reports, self.session.base)
        self.written.extend(outcome.written)
        self.problems.extend(outcome.warnings)
        self.problems.extend(outcome.problems)
        self.comparison_lines = tuple(outcome.comparison_lines)
        if outcome.write_failed:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        self._score_in_junit()
        self._gate(session)
        if reports.fail_on_regression:
            self._regression_gate(
                session, outcome.regression, outcome.gate_unusable, outcome.no_base
            )

    def _score_in_junit(self) -> None:
        """--junitxml: junitxml wrote its file before this trylast hook; the score, band,
        rubric and sections go on its testsuite."""
        if self.session.junit_xml is None or self.scorecard is None:
            return
        properties = junit.suite_properties(self.scorecard)
        problem = junit.add_suite_properties(self.session.junit_xml, properties)
        if problem is not None:
            self.problems.append(problem)

    def _gate(self, session: pytest.Session) -> None:
        """--mlscore-fail-under: a final score below it exits with EXIT_SCORE_BELOW_THRESHOLD.
        Not on a partial run, whose score is not the project's (a ``-k`` run during
        development must not fail on the project's bar)."""
        assert self.scorecard is not None
        fail_under = self.session.fail_under
        if fail_under is None or self.scorecard["score"] >= fail_under:
            return
        if self.scorecard["partial"]:
            self.problems.append(
                f"the final score is not held to fail_under={fail_under:g}: this run is partial"
            )
            return
        sections = self.scorecard["sections"]
        short = [f"{s['id']} {s['score']:g}" for s in sections if s["score"] < fail_under]
        self.problems.append(
            f"final ML Test Score {self.scorecard['score']:g} is below --mlscore-fail-under="
            f"{fail_under:g}; sections short of it: {', '.join(short)}"
        )
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = EXIT_SCORE_BELOW_THRESHOLD

    def _regression_gate(
        self, session: pytest.Session, regression: str | None, unusable: bool, no_base: bool
    ) -> None:
        """--mlscore-fail-on-regression: a lower final or section score than the base exits
        with EXIT_SCORE_REGRESSED; a base that cannot be compared (or a partial run) is a
        usage error (the gate must not pass by accident), and a base that does not exist
        yet exits with EXIT_NO_BASE, so CI can tell the first run from a broken base."""
        if unusable:
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = EXIT_NO_BASE if no_base else pytest.ExitCode.USAGE_ERROR
            return
        if regression is None:
            return
        self.problems.append(regression)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = EXIT_SCORE_REGRESSED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.scorecard is None and not self.problems:
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
        from mltestscore.suite import suite_configured

        if not suite_configured(self.session.project.settings):
            terminalreporter.write_line(
                "mlscore: no model or data is configured, so no built-in check ran: "
                "`mltestscore init` writes [tool.mltestscore] from what your project holds"
            )
        if self.written:
            from mltestscore.git_advice import git_advice

            schema = self.session.project.settings.get("schema")
            root = self.session.project.root
            for line in git_advice(root, schema if isinstance(schema, str) else None):
                terminalreporter.write_line(line)
        for problem in self.problems:
            terminalreporter.write_line(f"mlscore: {problem}", red=True, bold=True)
