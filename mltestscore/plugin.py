"""The pytest plugin, as light as possible.

With ``--mlscore`` off it only registers its marker, options and the ``mlscore_record``
fixture: no import of YAML, JSON Schema or any ML library, no output, no files. With it on,
:mod:`mltestscore.session` is imported and registered (only then), the same way pytest's own
junitxml registers its reporter only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from mltestscore import recording
from mltestscore.exit_codes import EXIT_SCORE_BELOW_THRESHOLD, EXIT_SCORE_REGRESSED

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mltestscore.session import MLScoreSession

SESSION_KEY: pytest.StashKey[MLScoreSession] = pytest.StashKey()
SUITE_PLUGIN = "mltestscore-suite"
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
    from mltestscore.session import start_session

    session = start_session(config)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "mltestscore-session")
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
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        del config.stash[SESSION_KEY]
        config.pluginmanager.unregister(session)
    suite = config.pluginmanager.get_plugin(SUITE_PLUGIN)
    if suite is not None:
        config.pluginmanager.unregister(suite)


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
