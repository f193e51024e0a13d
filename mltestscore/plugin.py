"""The pytest plugin, as light as possible.

With ``--mlscore`` off it only registers its marker, options and the ``mlscore_record``
fixture: no import of YAML, JSON Schema or any ML library, no output, no files. With it on,
:mod:`mltestscore.recorder` is registered where tests run and :mod:`mltestscore.session`'s
scorer where reports arrive (only then, and by xdist role), the same way pytest's own
junitxml registers its reporter only when asked for and never on an xdist worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from mltestscore import recording
from mltestscore.exit_codes import EXIT_SCORE_BELOW_THRESHOLD, EXIT_SCORE_REGRESSED
from mltestscore.pytest_context import Role, role

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mltestscore.session import MLScoreSession

SESSION_KEY: pytest.StashKey[MLScoreSession] = pytest.StashKey()
SIGTERM_KEY: pytest.StashKey[object] = pytest.StashKey()  # the handler SIGTERM had
SUITE_PLUGIN = "mltestscore-suite"
RECORDER_PLUGIN = "mltestscore-recorder"
SCORER_PLUGIN = "mltestscore-scorer"
DEFAULT_JSON = "reports/mlscore.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mltestscore", "ML Test Score (Breck et al. 2017)")
    group.addoption(
        "--mlscore",
        action="store_true",
        default=False,
        help="score this run against the ML Test Score rubric and write the scorecard.",
    )
    group.addoption(
        "--mlscore-rubric",
        metavar="ID_OR_PATH",
        default=None,
        help="rubric id (ml-test-score-2017, ml-test-score-2016) or a rubric YAML path.",
    )
    group.addoption(
        "--mlscore-json",
        metavar="PATH",
        default=None,
        help=f"where to write the JSON scorecard (default: {DEFAULT_JSON}).",
    )
    group.addoption(
        "--mlscore-fail-under",
        metavar="SCORE",
        type=float,
        default=None,
        help=f"exit with code {EXIT_SCORE_BELOW_THRESHOLD} when the final score is below SCORE.",
    )
    group.addoption(
        "--mlscore-credit",
        choices=("passed", "present"),
        default=None,
        help="'passed' (default): claiming tests must pass; 'present': the paper-literal "
        "reading, a test that runs earns credit.",
    )
    group.addoption(
        "--mlscore-html",
        metavar="PATH",
        default=None,
        help="where to write the HTML scorecard (default: next to the JSON, mlscore.html).",
    )
    group.addoption(
        "--mlscore-md",
        metavar="PATH",
        default=None,
        help="write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set).",
    )
    group.addoption(
        "--mlscore-badge",
        metavar="PATH",
        default=None,
        help="write an SVG badge 'ML Test Score | score' coloured by band.",
    )
    group.addoption(
        "--mlscore-history",
        metavar="PATH",
        default=None,
        help="the score history each run appends to (default: mlscore-history.jsonl next to "
        "the JSON).",
    )
    group.addoption(
        "--mlscore-compare",
        metavar="BASE.json",
        default=None,
        help="compare with a saved scorecard (e.g. from the main branch): section and item "
        "changes in the terminal, HTML and Markdown.",
    )
    group.addoption(
        "--mlscore-fail-on-regression",
        action="store_true",
        default=False,
        help=f"exit with code {EXIT_SCORE_REGRESSED} when the final or any section score is "
        "lower than in --mlscore-compare.",
    )
    group.addoption(
        "--mlscore-junit-properties",
        action="store_true",
        default=False,
        help="with --junitxml, add plain per-test properties: the rubric ids a test evidences "
        "and what it does for each (mlscore.credit.<id> = automated, failing or none). The "
        "score, band and sections are always on the testsuite.",
    )
    parser.addini(
        "mlscore_credit",
        help="credit mode for --mlscore: 'passed' (default) or 'present' (paper-literal).",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mlscore(*ids): claim ML Test Score rubric items for this test, e.g. "
        "@pytest.mark.mlscore('data-1', 'monitor-2').",
    )
    if not config.getoption("mlscore"):
        return
    from mltestscore.interrupts import handle_sigterm, remove_orphaned_scratch

    config.stash[SIGTERM_KEY] = handle_sigterm()  # CI cancels with SIGTERM: as Ctrl-C
    if role(config) is not Role.WORKER:
        remove_orphaned_scratch()  # what runs killed outright left behind
    try:
        _start(config)
    except pytest.UsageError:
        if role(config) is not Role.WORKER and not config.option.collectonly:
            # No report of any format from an earlier run may pass for this run's
            # (--collect-only makes none, and leaves earlier ones alone).
            from mltestscore.session import report_options

            report_options(config).remove_stale()
        raise


def _start(config: pytest.Config) -> None:
    """Register the recorder where tests run and the scorer where reports arrive (as
    pytest's junitxml registers its reporter only off xdist workers), then the suite."""
    from mltestscore.recorder import EvidenceRecorder
    from mltestscore.session import Scorer, start_session

    session = start_session(config)
    config.stash[SESSION_KEY] = session
    this = role(config)
    if this is not Role.CONTROLLER:  # the controller collects and runs nothing
        config.pluginmanager.register(EvidenceRecorder(session), RECORDER_PLUGIN)
    if this is not Role.WORKER:
        config.pluginmanager.register(Scorer(session), SCORER_PLUGIN)
    # The zero-config suite: generated items for the model and data [tool.mltestscore] names.
    from mltestscore.suite import suite_configured, unconfigured_hints

    project = session.project
    if not suite_configured(project.settings):
        # Nothing to generate (and its catalogue is not even imported); the scorecard still
        # says which key would automate what.
        session.add_hints(unconfigured_hints(project.source, project.root))
        return
    from mltestscore.suite.plugin import start_suite

    config.pluginmanager.register(start_suite(config, session), SUITE_PLUGIN)


def pytest_unconfigure(config: pytest.Config) -> None:
    if SIGTERM_KEY in config.stash:
        from mltestscore.interrupts import restore_sigterm

        restore_sigterm(config.stash[SIGTERM_KEY])
        del config.stash[SIGTERM_KEY]
    if SESSION_KEY in config.stash:
        del config.stash[SESSION_KEY]
    for name in (RECORDER_PLUGIN, SCORER_PLUGIN, SUITE_PLUGIN):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)


class MeasurementRecorder:
    """Attach measurements to the rubric items this test evidences.

    ``mlscore_record("auc", 0.91, item="model-6")`` records a value;
    ``mlscore_record.table("AUC by slice", ["slice", "auc"], rows, chart="auc")`` a table.
    Without ``item`` a measurement goes to every item the test claims. Outside
    ``pytest --mlscore`` both do nothing.
    """

    def __call__(
        self, name: str, value: Any, item: str | None = None, unit: str | None = None
    ) -> None:
        from mltestscore.checks.result import _scalar

        recording.record_measurement(
            {"name": str(name), "value": _scalar(value), "item": item, "unit": unit}
        )

    def table(
        self,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        chart: str | None = None,
        item: str | None = None,
    ) -> None:
        from mltestscore.checks.result import Table

        table = Table.build(title, columns, rows, chart=chart)
        recording.record_measurement({"name": table.title, "table": table.to_dict(), "item": item})


@pytest.fixture
def mlscore_record() -> MeasurementRecorder:
    """Record measurements (values or small tables) on the scorecard items this test evidences."""
    return MeasurementRecorder()
