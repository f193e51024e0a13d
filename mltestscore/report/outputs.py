"""The reports written after the JSON scorecard: history line, HTML page, Markdown summary,
badge, and the comparison with a base scorecard.

One function decides what a run writes from its options and never raises on a file or a
base it cannot use: every such problem comes back as a message, so ``pytest --mlscore``
reports it in one line instead of crashing the session.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.errors import MLScoreError
from mltestscore.report.atomic import remove_stale
from mltestscore.report.render_worker import RenderWorker, WorkerUnavailable

if TYPE_CHECKING:
    import pytest

    from mltestscore.report.compare import Comparison
    from mltestscore.scorecard import Scorecard

STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"


@dataclass(frozen=True)
class ReportOptions:
    """Where each extra report goes (None: not written)."""

    html: Path | None = None
    markdown: Path | None = None
    badge: Path | None = None
    history: Path | None = None
    compare: Path | None = None
    fail_on_regression: bool = False
    step_summary: Path | None = None

    @classmethod
    def from_config(cls, config: pytest.Config, json_path: Path) -> ReportOptions:
        """Read the ``--mlscore-*`` options; relative paths are relative to where pytest
        was started, as for ``--mlscore-json``. HTML and history default to the folder of
        the JSON report."""
        from mltestscore.report.history import default_history_path

        base_dir = Path(config.invocation_params.dir)

        def path_option(name: str, default: Path | None = None) -> Path | None:
            value = config.getoption(name, None)
            if not value:
                return default
            path = Path(value)
            return path if path.is_absolute() else base_dir / path

        summary = os.environ.get(STEP_SUMMARY_VARIABLE)
        return cls(
            html=path_option("mlscore_html", json_path.with_suffix(".html")),
            markdown=path_option("mlscore_md"),
            badge=path_option("mlscore_badge"),
            history=path_option("mlscore_history", default_history_path(json_path)),
            compare=path_option("mlscore_compare"),
            fail_on_regression=bool(config.getoption("mlscore_fail_on_regression", False)),
            step_summary=Path(summary) if summary else None,
        )

    def remove_stale(self) -> None:
        """Remove the reports an earlier run left, so a run without a scorecard cannot be
        mistaken for one that had one (the history is a log and stays)."""
        for path in (self.html, self.markdown, self.badge):
            if path is not None:
                remove_stale(path)


@dataclass
class ReportOutcome:
    written: list[tuple[str, Path]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    comparison_lines: list[str] = field(default_factory=list)
    regression: str | None = None
    #: The no-regression gate was asked for but could not compare: the gate must not pass.
    gate_unusable: bool = False
    write_failed: bool = False

    def attempt(self, label: str, path: Path, write: Any) -> None:
        """Write one report; a failure becomes a one-line problem naming the file."""
        try:
            self.written.append((label, write()))
        except OSError as exc:
            self.write_failed = True
            self.problems.append(f"could not write {path}: {exc.strerror or exc}")


@dataclass(frozen=True)
class Base:
    """The base scorecard of ``--mlscore-compare``, or why it cannot be used."""

    path: Path
    scorecard: Scorecard | None
    problem: str | None = None


def read_base(options: ReportOptions) -> Base | None:
    """Read the base before this run writes its own JSON: it may be the same file."""
    from mltestscore.report.json_report import read_json

    if options.compare is None:
        return None
    try:
        return Base(options.compare, read_json(options.compare))
    except MLScoreError as exc:
        return Base(options.compare, None, str(exc))


def _comparison(
    scorecard: Scorecard, options: ReportOptions, base: Base | None, outcome: ReportOutcome
) -> Comparison | None:
    if base is None:
        if options.fail_on_regression:
            outcome.gate_unusable = True
            outcome.problems.append(
                "--mlscore-fail-on-regression needs a base: add --mlscore-compare=BASE.json"
            )
        return None
    if base.scorecard is None:
        outcome.gate_unusable = options.fail_on_regression
        outcome.problems.append(f"no comparison: {base.problem}")
        return None
    from mltestscore.report.compare import compare_scorecards, comparison_lines, regression_message

    comparison = compare_scorecards(base.scorecard, scorecard, base.path.name)
    outcome.comparison_lines = comparison_lines(comparison)
    if not comparison["comparable"] and options.fail_on_regression:
        outcome.gate_unusable = True
        outcome.problems.append(f"no regression gate: {comparison['reason']}")
    outcome.regression = regression_message(comparison)
    return comparison


def write_reports(
    scorecard: Scorecard,
    options: ReportOptions,
    base: Base | None = None,
    renderer: RenderWorker | None = None,
) -> ReportOutcome:
    """Append the history line, compare with the base (from :func:`read_base`), and write
    the requested reports; the HTML page by ``renderer`` when one was started and is ready."""
    outcome = ReportOutcome()
    history: list[dict[str, Any]] = []
    history_warnings: list[str] = []
    if options.history is not None:
        from mltestscore.report.history import append_history, history_record, read_history

        history_path = options.history
        outcome.attempt(
            "score history",
            history_path,
            lambda: append_history(history_path, history_record(scorecard)),
        )
        history, history_warnings = read_history(history_path)
        outcome.problems.extend(history_warnings)
    comparison = _comparison(scorecard, options, base, outcome)
    outcome.comparison = comparison
    if options.html is not None:
        html_path = options.html

        def write_page() -> Path:
            if renderer is not None:
                try:
                    return renderer.render(
                        scorecard, html_path, history, comparison, history_warnings
                    )
                except WorkerUnavailable:
                    pass  # rendered here instead: the same page
            from mltestscore.report.html import write_html

            return write_html(scorecard, html_path, history, comparison, history_warnings)

        outcome.attempt("HTML scorecard", html_path, write_page)
    if options.markdown is not None or options.step_summary is not None:
        from mltestscore.report.markdown import (
            append_step_summary,
            render_markdown,
            write_markdown,
        )

        if options.markdown is not None:
            md_path = options.markdown
            outcome.attempt(
                "Markdown summary", md_path, lambda: write_markdown(scorecard, md_path, comparison)
            )
        if options.step_summary is not None:
            summary_path = options.step_summary
            text = render_markdown(scorecard, comparison)
            outcome.attempt(
                "job summary ($GITHUB_STEP_SUMMARY)",
                summary_path,
                lambda: append_step_summary(text, summary_path),
            )
    if options.badge is not None:
        from mltestscore.report.badge import write_badge

        badge_path = options.badge
        outcome.attempt("badge", badge_path, lambda: write_badge(scorecard, badge_path))
    return outcome
