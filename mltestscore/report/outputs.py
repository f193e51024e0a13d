"""The one report dispatch: from a scorecard and plain :class:`ReportOptions`, write the JSON,
the history line, the HTML page, the Markdown summary and the badge, and compare with a base.

``pytest --mlscore`` (the session fills the options from pytest's) and ``mltestscore render``
(from its own arguments) both call :func:`write_reports`; nothing here knows pytest. Every
file is written atomically (the previous complete file or the new one, never half), and a
problem with a file or a base never raises: it comes back as a one-line message. A report
that cannot be written leaves nothing at its path from an earlier run, so a stale file is
never taken for this run's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.errors import MLScoreError
from mltestscore.report.atomic import remove_stale

if TYPE_CHECKING:
    from mltestscore.report.compare import Comparison
    from mltestscore.scorecard import Scorecard

STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"
BADGE_LABEL = "ML Test Score"
#: The trend chart shows the last runs of one rubric: the last 1,000 lines of any rubric are
#: plenty, and keep a history of any length from costing memory.
HISTORY_RUNS_READ = 1000


@dataclass(frozen=True)
class ReportOptions:
    """Where each report goes (None: not written), as plain data."""

    json: Path | None = None
    html: Path | None = None
    markdown: Path | None = None
    badge: Path | None = None
    badge_label: str = BADGE_LABEL
    #: The score history: read for the trend chart; a full run's line is appended to it
    #: when ``record_history`` (a partial run's never is).
    history: Path | None = None
    record_history: bool = True
    compare: Path | None = None
    fail_on_regression: bool = False
    #: ``$GITHUB_STEP_SUMMARY``: the Markdown summary is appended to it.
    step_summary: Path | None = None

    def report_files(self) -> list[Path]:
        """The files a run replaces (not the history, a log, nor the job summary, which
        others append to)."""
        return [p for p in (self.json, self.html, self.markdown, self.badge) if p is not None]

    def remove_stale(self) -> list[str]:
        """Remove the reports an earlier run left at these paths, so a run without a
        scorecard cannot be mistaken for one that had one; a message for each that stays."""
        return [_stale_problem(path) for path in self.report_files() if not remove_stale(path)]


def _stale_problem(path: Path) -> str:
    return f"could not remove the stale report {path}: it is not this run's"


@dataclass
class ReportOutcome:
    written: list[tuple[str, Path]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: About the history (corrupt lines skipped): worth saying, not a failure.
    warnings: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    comparison_lines: list[str] = field(default_factory=list)
    regression: str | None = None
    #: The no-regression gate was asked for but could not compare: the gate must not pass.
    gate_unusable: bool = False
    #: ... because the base does not exist yet (EXIT_NO_BASE rather than a usage error).
    no_base: bool = False
    write_failed: bool = False

    def attempt(self, label: str, path: Path, write: Callable[[], Path], replaces: bool) -> None:
        """Write one report; a failure becomes a one-line problem naming the file, and a
        file an earlier run left at ``path`` (``replaces``) is removed."""
        try:
            self.written.append((label, write()))
        except Exception as exc:  # one report's failure must not stop the others
            self.write_failed = True
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else None
            reason = reason or f"{type(exc).__name__}: {exc}"
            self.problems.append(f"could not write {path}: {reason}")
            if replaces and not remove_stale(path):
                self.problems.append(_stale_problem(path))


def no_base_problem(path: Path) -> str:
    return (
        f"no base yet: cannot read {path}: it does not exist (save a full run's JSON "
        "scorecard there, e.g. from the main branch)"
    )


@dataclass(frozen=True)
class Base:
    """The base scorecard of a comparison, or why it cannot be used."""

    path: Path
    scorecard: Scorecard | None
    problem: str | None = None
    #: The base file does not exist yet (the first run on the main branch), as opposed to
    #: one that exists but cannot be used: CI may want to tell the two apart.
    missing: bool = False


def read_base(path: Path | None) -> Base | None:
    """Read the base before this run writes its own JSON: it may be the same file. A
    partial scorecard is refused: it is not the project's score."""
    from mltestscore.report.compare import partial_base_problem
    from mltestscore.report.json_report import read_json

    if path is None:
        return None
    if not path.exists() and not path.is_symlink():
        return Base(path, None, no_base_problem(path), missing=True)
    try:
        scorecard = read_json(path)
    except MLScoreError as exc:
        return Base(path, None, str(exc))
    problem = partial_base_problem(scorecard, path)
    return Base(path, None, problem) if problem else Base(path, scorecard)


def _comparison(
    scorecard: Scorecard, options: ReportOptions, base: Base | None, outcome: ReportOutcome
) -> Comparison | None:
    from mltestscore.report.compare import (
        compare_scorecards,
        comparison_lines,
        partial_run_problem,
        regression_message,
    )

    if base is None:
        if options.fail_on_regression:
            outcome.gate_unusable = True
            outcome.problems.append(
                "--mlscore-fail-on-regression needs a base: add --mlscore-compare=BASE.json"
            )
        return None
    if base.scorecard is None:
        outcome.gate_unusable = options.fail_on_regression
        outcome.no_base = base.missing
        broken = "" if base.missing else "the base is broken: "
        outcome.problems.append(f"no comparison: {broken}{base.problem}")
        return None
    partial = partial_run_problem(scorecard)
    if partial is not None:
        outcome.gate_unusable = options.fail_on_regression
        outcome.problems.append(f"no comparison with {base.path.name}: {partial}")
        return None
    comparison = compare_scorecards(base.scorecard, scorecard, base.path.name)
    outcome.comparison_lines = comparison_lines(comparison)
    if not comparison["comparable"] and options.fail_on_regression:
        outcome.gate_unusable = True
        outcome.problems.append(f"no regression gate: {comparison['reason']}")
    outcome.regression = regression_message(comparison)
    return comparison


def write_reports(
    scorecard: Scorecard, options: ReportOptions, base: Base | None = None
) -> ReportOutcome:
    """Write every report ``options`` name: the JSON, the history line (full runs only),
    the comparison with ``base`` (from :func:`read_base`), the HTML page, the Markdown
    summary, the job summary, the badge.

    If anything stops it half-way (an interruption, a crash), the reports of an earlier run
    that this one has not replaced yet are removed before the exception goes on: no new JSON
    sits beside the previous run's HTML."""
    outcome = ReportOutcome()
    try:
        _write_all(scorecard, options, base, outcome)
    except BaseException:
        done = {path for _, path in outcome.written}
        for path in options.report_files():
            if path not in done:
                remove_stale(path)
        raise
    return outcome


def _write_all(
    scorecard: Scorecard, options: ReportOptions, base: Base | None, outcome: ReportOutcome
) -> None:
    if options.json is not None:
        from mltestscore.report.json_report import write_json

        json_path = options.json
        outcome.attempt(
            "JSON scorecard", json_path, lambda: write_json(scorecard, json_path), replaces=True
        )
    history: list[dict[str, Any]] = []
    if options.history is not None:
        from mltestscore.report.history import append_history, history_record, read_history

        history_path = options.history
        if options.record_history and not scorecard.get("partial", False):
            outcome.attempt(
                "score history",
                history_path,
                lambda: append_history(history_path, history_record(scorecard)),
                replaces=False,
            )
        history, outcome.warnings = read_history(history_path, limit=HISTORY_RUNS_READ)
    comparison = _comparison(scorecard, options, base, outcome)
    outcome.comparison = comparison
    if options.html is not None:
        html_path = options.html
        warnings = outcome.warnings
        from mltestscore.report.html import write_html

        outcome.attempt(
            "HTML scorecard",
            html_path,
            lambda: write_html(scorecard, html_path, history, comparison, warnings),
            replaces=True,
        )
    if options.markdown is not None or options.step_summary is not None:
        from mltestscore.report.markdown import (
            append_step_summary,
            render_markdown,
            write_markdown,
        )

        if options.markdown is not None:
            md_path = options.markdown
            outcome.attempt(
                "Markdown summary",
                md_path,
                lambda: write_markdown(scorecard, md_path, comparison),
                replaces=True,
            )
        if options.step_summary is not None:
            summary_path = options.step_summary
            text = render_markdown(scorecard, comparison)
            outcome.attempt(
                "job summary ($GITHUB_STEP_SUMMARY)",
                summary_path,
                lambda: append_step_summary(text, summary_path),
                replaces=False,
            )
    if options.badge is not None:
        from mltestscore.report.badge import write_badge

        badge_path, label = options.badge, options.badge_label
        outcome.attempt(
            "badge", badge_path, lambda: write_badge(scorecard, badge_path, label), replaces=True
        )
