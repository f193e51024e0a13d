"""The generated items in pytest: a session-level ``mlscore`` collector, one collector per
rubric item, one item per applicable check.

The ``mlscore`` collector is appended to the session's own collection report, so the generated
items go through pytest's normal machinery: ``--collect-only`` lists them, ``-k`` / ``-m`` /
``--deselect`` select them, pytest-xdist workers collect the same ids in the same order (the
order is the catalog's, and parameters follow the configuration; a run with the suite worker
moves the items only pytest may run to the front). Node ids read like
``mlscore::model-7::fairness[sex]``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore.errors import MLScoreError
from mltestscore.pytest_context import Role, role
from mltestscore.report.atomic import remove_stale
from mltestscore.suite import catalog, runners
from mltestscore.suite.config import (
    SuiteConfig,
    check_model_trust,
    complete_suite_config,
    parse_suite_config,
)
from mltestscore.suite.context import SuiteContext
from mltestscore.suite.execution import Execution, SerialExecution, choose_execution
from mltestscore.suite.jobs import Job
from mltestscore.suite.worker import plain_json

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr

    from mltestscore.checks.result import CheckResult, Scalar
    from mltestscore.session import MLScoreSession

ROOT_NAME = "mlscore"
THREADS_VARIABLE = "MLTESTSCORE_SUITE_THREADS"


class SuitePlugin:
    """Registered when ``--mlscore`` is on and ``[tool.mltestscore]`` names suite inputs."""

    def __init__(self, config: pytest.Config, suite: SuiteConfig, pyproject: Path) -> None:
        self.config = config
        self.suite = suite
        self.pyproject = pyproject
        self.context = SuiteContext(suite)
        self.execution: Execution = self._choose_execution()

    def _choose_execution(self) -> Execution:
        """The suite worker's forked execution when it is wanted and this process runs the
        items alone; serially under pytest-xdist (its workers take the cores) and for
        ``--collect-only``."""
        if self.config.option.collectonly or role(self.config) is not Role.ALONE:
            return SerialExecution()
        return choose_execution(preload=self.context.preload)

    def use_suite(self, suite: SuiteConfig) -> None:
        """The same keys, completed (``module:callable`` values imported, columns found)."""
        self.suite = suite
        self.context.config = suite

    def start_canary_ahead(self) -> None:
        """Start the canary's fresh process now, at configuration, when this process will run
        the canary item (no pytest-xdist, not ``--collect-only``, the suite generated): the
        rest of configuration (importing scikit-learn and skops, the model's trust check) and
        collection run on one core, and the new interpreter imports scikit-learn and loads
        the model on the other meanwhile. Started at collection's end instead, it loaded the
        model at low priority beside the items and pytest waited for it at the end (0.8-1.1 s
        on the example).

        The model's trust check has not run yet, and need not have: the process loads only
        the types ``model_trusted`` lists, and a pickle only with ``model_trusted = true``. A
        canary whose item is deselected is stopped when collection ends; one whose model file
        changes before its item runs is replaced (:meth:`SuiteContext.take_canary`)."""
        if self.config.option.collectonly or role(self.config) is not Role.ALONE:
            return
        canary = catalog.canary_spec()
        if canary is not None and self.wanted() and canary.applies(self.suite):
            _start_canary(self.context, canary)

    def wanted(self) -> bool:
        """Generate items unless the command line names only specific files or tests
        (``pytest --mlscore tests/test_x.py``): then the user asked for those alone."""
        if self.config.args_source is not pytest.Config.ArgsSource.ARGS:
            return True
        return _names_a_folder(self.config.args, Path(self.config.invocation_params.dir))

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.Session) and report.passed and self.wanted():
            report.result.append(SuiteCollector.create(collector, self))
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """The generated items in the order the execution prefers (the suite worker's: see
        :meth:`mltestscore.suite.execution.ForkedExecution.order`), in the places they had
        among the project's own tests."""
        positions = [i for i, item in enumerate(items) if isinstance(item, CheckItem)]
        checks = [items[i] for i in positions]
        assert all(isinstance(c, CheckItem) for c in checks)
        order = self.execution.order([_job(c) for c in checks])  # type: ignore[arg-type]
        for position, index in zip(positions, order, strict=True):
            items[position] = checks[index]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """When generated items are about to run: start the canary's process (its fresh
        interpreter loads the model on the other core while the items before it run) and
        hand the items to the execution."""
        if self.config.option.collectonly:
            return
        items = [item for item in session.items if isinstance(item, CheckItem)]
        if not items:
            return
        from mltestscore.checks._threads import thread_limit

        try:
            # one thread per native pool, as in the items: with a busy neighbour, the model's
            # OpenMP threads spin at their barrier (0.6 s of CPU for 5 rows, 5 ms with one)
            with thread_limit(_threads()):
                self.context.check_model_input()
        except MLScoreError as exc:
            raise pytest.UsageError(f"mltestscore: {exc}") from None
        canary = next((item.spec for item in items if item.spec.schedule.starts_canary), None)
        if canary is None:
            self.context.stop_canary()  # started at configuration, its item deselected
        elif role(self.config) is Role.ALONE and not self.context.canary_started():
            # Under pytest-xdist the worker that runs the canary is not known yet: its item
            # starts the process itself.
            _start_canary(self.context, canary)
        for index, item in enumerate(items):
            item.job_index = index
        context = self.context
        self.execution.prepare(
            [_job(item) for item in items],
            lambda spec, param: compute_result(context, spec, param),
        )
        if canary is not None and self.context.canary_started():
            options = catalog.options_for(canary, self.suite)
            self.context.send_canary_sample(int(options.get("sample_rows", 200)))

    def pytest_sessionfinish(self) -> None:
        """Stop the execution (the suite worker) and a canary process no item used (``-x``,
        interrupted...)."""
        self.execution.close()
        self.context.close()


def _job(item: CheckItem) -> Job:
    return item.spec, item.param


def _start_canary(context: SuiteContext, spec: catalog.Spec) -> None:
    """Start the canary's fresh process now: a new interpreter importing scikit-learn and
    loading the model takes seconds, which then pass on the other core while this process
    works. It is sent its sample right after; its item judges the result."""
    options = catalog.options_for(spec, context.config)
    python = options.get("python")
    context.start_canary(
        None if python is None else str(python), str(options.get("input_format", "parquet"))
    )


def _names_a_folder(args: Iterable[str], base: Path) -> bool:
    """Whether a command-line argument names a whole folder (so the run is not only the
    files or tests it names)."""
    return any("::" not in arg and (base / arg).is_dir() for arg in args)


class SuiteCollector(pytest.Collector):
    """``mlscore``: the generated suite, one child collector per rubric item."""

    plugin: SuitePlugin

    @classmethod
    def create(cls, session: pytest.Session, plugin: SuitePlugin) -> SuiteCollector:
        node = cls.from_parent(session, name=ROOT_NAME, nodeid=ROOT_NAME, path=plugin.pyproject)
        node.plugin = plugin
        return node

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        grouped: dict[str, list[tuple[catalog.Spec, str | None]]] = {}
        for spec, param in catalog.applicable_specs(self.plugin.suite):
            grouped.setdefault(spec.rubric_id, []).append((spec, param))
        for rubric_id, entries in grouped.items():
            yield RubricItemCollector.create(self, rubric_id, entries)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, ROOT_NAME


class RubricItemCollector(pytest.Collector):
    """``mlscore::model-7``: the generated items evidencing one rubric item."""

    entries: list[tuple[catalog.Spec, str | None]]

    @classmethod
    def create(
        cls, parent: SuiteCollector, rubric_id: str, entries: list[tuple[catalog.Spec, str | None]]
    ) -> RubricItemCollector:
        node = cls.from_parent(parent, name=rubric_id)
        node.entries = entries
        return node

    def collect(self) -> Iterable[pytest.Item]:
        assert isinstance(self.parent, SuiteCollector)
        plugin = self.parent.plugin
        for spec, param in self.entries:
            yield CheckItem.create(self, plugin, spec, param)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.nodeid


class CheckItem(pytest.Item):
    """One built-in check run on the project's configured inputs."""

    plugin: SuitePlugin
    spec: catalog.Spec
    param: str | None
    result: CheckResult | None = None
    job_index: int | None = None  # its place in the execution's list of jobs

    @classmethod
    def create(
        cls,
        parent: RubricItemCollector,
        plugin: SuitePlugin,
        spec: catalog.Spec,
        param: str | None,
    ) -> CheckItem:
        from mltestscore.checks.registry import get_check

        item = cls.from_parent(parent, name=catalog.item_name(spec, param))
        item.plugin = plugin
        item.spec = spec
        item.param = param
        item.add_marker(pytest.mark.mlscore(*(spec.evidences or get_check(spec.check).rubric_ids)))
        item.extra_keyword_matches.add(spec.check)
        return item

    def runtest(self) -> None:
        __tracebackhide__ = True
        execution, index = self.plugin.execution, self.job_index
        if index is None:  # not handed to the execution (collected after it was prepared)
            result = compute_result(self.plugin.context, self.spec, self.param)
        else:
            result = execution.result(index)
        self.result = record_result(result)
        self.result.assert_ok()

    def repr_failure(
        self,
        excinfo: ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | TerminalRepr:
        """The check's reason and figures (and the first rows of its first table), or the
        configuration problem: never a traceback into mltestscore. The reason is also the
        failure's one-line message (terminal summary, JUnit XML, scorecard)."""
        if isinstance(excinfo.value, MLScoreError):
            text = f"mltestscore: {excinfo.value}"
            return _failure_repr(text, text, self.path)
        if self.result is not None and isinstance(excinfo.value, AssertionError):
            return _failure_repr(_describe(self.result), self.result.summary(), self.path)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.nodeid


def record_result(result: CheckResult) -> CheckResult:
    """Record one generated check's result as the running item's evidence, exactly once,
    in its JSON form (built-in types only, as pytest-xdist's execnet carries them)."""
    from mltestscore import recording

    recording.record_check(plain_json(result.to_dict()))
    return result


def compute_result(context: SuiteContext, spec: catalog.Spec, param: str | None) -> CheckResult:
    """One generated check's result, in the pytest process or in the suite worker.

    Native thread pools (OpenMP, BLAS) are limited to one thread (``MLTESTSCORE_SUITE_THREADS``
    changes it): on a shared CI machine, and under pytest-xdist, oversubscribed pools make
    small fits and predictions many times slower.
    The result is recorded here rather than by the check's own wrapper so that a spec can
    narrow the rubric ids it evidences, and so a "not applicable" decided before calling the
    check is on the scorecard too.
    """
    import dataclasses

    from mltestscore import recording
    from mltestscore.checks._threads import thread_limit

    options = catalog.options_for(spec, context.config)
    with (
        recording.recording_into(lambda kind, payload: None),
        thread_limit(_threads()),
        context.reading() as reads,
    ):
        unfit = runners.cannot_refit(context, spec.check) if spec.refits else None
        result = unfit or spec.runner(context, param, options)
    if spec.evidences is not None:
        result = dataclasses.replace(result, rubric_ids=spec.evidences)
    return with_sample_origin(result, *context.sample_origin(reads.sample_keys()))


def with_sample_origin(
    result: CheckResult, measurements: dict[str, Scalar], parameters: dict[str, Scalar]
) -> CheckResult:
    """A result that ran on an engine-drawn sample of a large source (docs/bigdata.md) with
    where that sample came from added: the engine, the rows of the source and of the sample
    in its measurements, the seed and the data keys in its parameters. These replace figures
    of the same name the check gave (a check run in pandas on the sample says ``pandas``)."""
    import dataclasses

    if not measurements:
        return result
    return dataclasses.replace(
        result,
        measurements={**result.measurements, **measurements},
        parameters={**result.parameters, **parameters},
    )


def _threads() -> int | None:
    """Threads per native pool: ``MLTESTSCORE_SUITE_THREADS`` (default 1; 0 = no limit)."""
    import os

    value = os.environ.get(THREADS_VARIABLE, "1").strip()
    try:
        threads = int(value)
    except ValueError:
        raise MLScoreError(f"{THREADS_VARIABLE}={value!r} is not a whole number") from None
    return threads if threads > 0 else None


def _describe(result: CheckResult, max_rows: int = 8) -> str:
    lines = [result.summary()]
    for table in result.tables[:1]:
        lines.append(f"  {table.title}:")
        lines.append("    " + " | ".join(table.columns))
        for row in table.rows[:max_rows]:
            lines.append("    " + " | ".join(_cell(v) for v in row))
        if len(table.rows) > max_rows:
            lines.append(f"    ... {len(table.rows) - max_rows} more row(s) in the scorecard")
    return "\n".join(lines)


def _failure_repr(text: str, message: str, path: Path) -> TerminalRepr:
    """Lines shown as they are, with ``message``'s first line as the crash message. Built from
    pytest's own report types so it survives pytest-xdist's report serialisation."""
    from _pytest._code.code import ExceptionChainRepr, ReprFileLocation, ReprTracebackNative

    lines = [line + "\n" for line in text.splitlines()]
    crash = ReprFileLocation(str(path), 0, message.splitlines()[0])
    return ExceptionChainRepr([(ReprTracebackNative(lines), crash, None)])


def _cell(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def start_suite(config: pytest.Config, session: MLScoreSession) -> SuitePlugin:
    """Validate the suite keys of a project that sets some (see
    :func:`mltestscore.suite.suite_configured`) and add the session's hints.

    A configuration problem is a usage error naming the key (pytest prints it and exits 4).
    """
    project = session.project
    worker = role(config) is Role.WORKER
    plugin: SuitePlugin | None = None
    try:
        suite = parse_suite_config(project, complete=False)
        catalog.check_thresholds(suite)
        plugin = SuitePlugin(config, suite, Path(project.source))
        plugin.start_canary_ahead()
        if not worker:  # workers meet the same problem when loading
            check_model_trust(suite)
        plugin.use_suite(complete_suite_config(suite))
    except MLScoreError as exc:
        if plugin is not None:
            plugin.context.close()  # the canary started ahead
        if not worker:
            remove_stale(session.json_path)  # as for any other configuration error
        raise pytest.UsageError(f"mltestscore: {exc}") from None
    session.add_hints(catalog.hints(plugin.suite))
    return plugin
