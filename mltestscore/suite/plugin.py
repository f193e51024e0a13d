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

import os
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore.errors import MLScoreError
from mltestscore.report.atomic import remove_stale
from mltestscore.suite import catalog, runners
from mltestscore.suite.config import (
    SuiteConfig,
    check_model_trust,
    complete_suite_config,
    parse_suite_config,
)
from mltestscore.suite.context import SuiteContext
from mltestscore.suite.worker import plain_json

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr

    from mltestscore.checks.result import CheckResult
    from mltestscore.config import ProjectConfig
    from mltestscore.session import MLScoreSession
    from mltestscore.suite.worker import SuiteWorker

ROOT_NAME = "mlscore"
THREADS_VARIABLE = "MLTESTSCORE_SUITE_THREADS"


# The context whose canary process started before the conftest files were imported.
CANARY_AHEAD: pytest.StashKey[SuiteContext] = pytest.StashKey()
# Whether start_ahead paused the garbage collector (until the end of collection).
GC_PAUSED: pytest.StashKey[bool] = pytest.StashKey()


class SuitePlugin:
    """Registered when ``--mlscore`` is on and ``[tool.mltestscore]`` names suite inputs."""

    def __init__(
        self,
        config: pytest.Config,
        suite: SuiteConfig,
        pyproject: Path,
        started: SuiteContext | None = None,
    ) -> None:
        """``started``: a context :func:`start_ahead` made for the same keys; its
        canary process is kept (one for other keys is stopped)."""
        self.config = config
        self.suite = suite
        self.pyproject = pyproject
        if started is not None and started.config != suite:
            started.close()
            started = None
        self.context = started or SuiteContext(suite)
        self.worker: SuiteWorker | None = None
        self._frozen = False

    def use_suite(self, suite: SuiteConfig) -> None:
        """The same keys, completed (``module:callable`` values imported, columns found)."""
        self.suite = suite
        self.context.config = suite

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
        """With the suite worker, pytest runs first the generated items only it may run
        (those calling ``train_fn``), while the worker has the rest to take from the end:
        run where the two meet, they would leave the worker's core idle. Items sharing a
        heavy import (shap) go last, so the worker takes them all and the import happens
        once, in the worker. The canary's item keeps its place (its process serves in the
        background meanwhile), and so do the items that need the other core quiet
        (``Spec.alone``)."""
        from mltestscore.suite.worker import worker_wanted

        if self.config.option.collectonly or hasattr(self.config, "workerinput"):
            return
        positions = [i for i, item in enumerate(items) if isinstance(item, CheckItem)]
        checks = [item for item in items if isinstance(item, CheckItem)]
        if len(checks) < 2 or not any(c.spec.forkable for c in checks) or not worker_wanted():
            return
        first = [c for c in checks if _runs_first(c.spec)]
        shared = _shared_imports(c.spec for c in checks)
        last = [c for c in checks if c.spec.forkable and shared & set(c.spec.imports)]
        ordered = first + [c for c in checks if c not in first and c not in last] + last
        for position, item in zip(positions, ordered, strict=True):
            items[position] = item

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """When generated items are about to run: set the garbage collector aside for what
        is loaded by now, start the canary's process and fork the suite worker. The
        collector, paused since the start (:func:`pause_garbage_collector`), resumes."""
        try:
            self._prepare_items(session)
        finally:
            resume_garbage_collector(self.config)

    def _prepare_items(self, session: pytest.Session) -> None:
        if self.config.option.collectonly:
            return
        items = [item for item in session.items if isinstance(item, CheckItem)]
        canaries = [item.spec for item in items if item.spec.check == "check_canary"]
        if not canaries:
            self.context.close()  # started at configuration time, then deselected
        if not items:
            return
        self._freeze_garbage_collector()
        if hasattr(self.config, "workerinput"):
            return  # under pytest-xdist the worker that runs the canary is not known yet
        if canaries and not self.context.canary_started():
            _start_canary(self.context, canaries[0])
        self._start_worker(items)
        if canaries:
            options = catalog.options_for(canaries[0], self.suite)
            self.context.send_canary_sample(int(options.get("sample_rows", 200)))

    def start_canary_early(self) -> None:
        """Start the canary's process while pytest configures and collects, when the run
        will generate a canary item: the new interpreter's imports and the model's loading
        then take the other core while this process does the same imports, instead of
        competing with the suite worker during the items. Deselecting the canary item
        (``-k``) stops it again at the end of collection."""
        config = self.config
        xdist = bool(getattr(config.option, "numprocesses", None)) or hasattr(config, "workerinput")
        if config.option.collectonly or xdist or self.context.canary_started():
            return
        spec = _canary_spec(self.suite)
        if spec is not None and self.wanted():
            _start_canary(self.context, spec)

    def _start_worker(self, items: list[CheckItem]) -> None:
        """Fork the worker that runs items from the end of the list (see
        :mod:`mltestscore.suite.worker`), after loading the data and the model it shares."""
        from mltestscore.suite.worker import SuiteWorker, worker_wanted

        if len(items) < 2 or not worker_wanted():
            return
        self.context.preload()
        for index, item in enumerate(items):
            item.job_index = index
        resume_garbage_collector(self.config)  # before the fork: in the worker too
        self.worker = SuiteWorker.start(
            self.context, [(item.spec, item.param) for item in items], compute_result
        )

    def _freeze_garbage_collector(self) -> None:
        """``gc.freeze()``: what is loaded by now (on the example, 170,000 objects made by
        importing scikit-learn, scipy, pandas and pytest: modules, classes, functions, alive
        to the end) leaves the garbage collector's view.

        Each full collection during the items otherwise walks them all again (0.3 s over
        the example's run), and so does the interpreter's last collection at exit (0.4 s).
        Objects made later, by the items, are collected as usual, and every object is still
        freed when its last reference goes; only a cycle among the frozen ones would wait.
        They stay frozen to the end of the process, so pytest's cleanup-time collection
        (which reports unraisable exceptions from the finalizers of what the tests left
        behind) walks only what was made since: 0.1 s less on the example. In pytester's
        in-process runs ``pytest_unconfigure`` unfreezes them, since the process goes on.
        """
        import gc

        gc.freeze()
        self._frozen = True

    def pytest_sessionfinish(self) -> None:
        """Stop the worker and a canary process no item used (deselected, ``-x``,
        interrupted...)."""
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.close()
        self.context.close()

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        """Unfreeze when the process goes on after this session: pytester's in-process runs
        (they set pytest's cleanup-time collections to none), whose objects must stay
        collectable in the process that runs them."""
        import gc

        if self._frozen and _in_process_run(self.config):
            self._frozen = False
            gc.unfreeze()


def start_ahead(config: pytest.Config, project: ProjectConfig) -> None:
    """From ``pytest_load_initial_conftests``, when the run will generate items, before
    pytest imports the project's conftest files (0.26 s of pandas on the example):

    - start the canary's process, when there is a canary item: the new interpreter has the
      other core through all of pytest's start-up and has loaded the model by the time the
      items run. It starts with the environment pytest was started with, as a serving
      process would.
    - pause the garbage collector until the items are collected (see
      :func:`pause_garbage_collector`).

    The suite keys are read here without importing anything of the project; ``start_suite``
    reads them again and keeps the canary's process when they are the same. Any problem is
    left for it to report. Not under pytest-xdist or ``--collect-only``, as for the later
    start, nor for ``--version`` or ``--help`` (pytest answers them without a session).
    """
    options = config.known_args_namespace
    xdist = bool(getattr(options, "numprocesses", None)) or "PYTEST_XDIST_WORKER" in os.environ
    runs_nothing = any(getattr(options, name, False) for name in ("collectonly", "version", "help"))
    if runs_nothing or xdist:
        return
    named = [str(arg) for arg in getattr(options, "file_or_dir", None) or ()]
    if named and not _names_a_folder(named, Path(config.invocation_params.dir)):
        return
    try:
        suite = parse_suite_config(project, complete=False)
    except MLScoreError:
        return
    pause_garbage_collector(config)
    spec = _canary_spec(suite)
    if spec is None:
        return
    context = SuiteContext(suite)
    _start_canary(context, spec)
    if context.canary_started():
        config.stash[CANARY_AHEAD] = context
        config.add_cleanup(context.close)  # when configuration fails before it is taken


def pause_garbage_collector(config: pytest.Config) -> None:
    """No cyclic garbage collection while pytest configures and collects: importing
    scikit-learn, scipy and pandas makes the collector walk everything made so far again and
    again (0.12 s of 1.3 s of imports) and find almost nothing (about 1,100 unreachable
    objects on the example). At the end of collection what was made by then is frozen
    (:meth:`SuitePlugin._freeze_garbage_collector`), that little garbage with it, and the
    collector resumes; it resumes too when configuration fails or nothing is collected."""
    import gc

    if not gc.isenabled():
        return  # the caller's own choice: not ours to change back
    gc.disable()
    config.stash[GC_PAUSED] = True
    config.add_cleanup(lambda: resume_garbage_collector(config))


def resume_garbage_collector(config: pytest.Config) -> None:
    import gc

    if config.stash.get(GC_PAUSED, False):
        config.stash[GC_PAUSED] = False
        gc.enable()


def _start_canary(context: SuiteContext, spec: catalog.Spec) -> None:
    """Start the canary's fresh process now: a new interpreter importing scikit-learn and
    loading the model takes seconds, which then pass on the other core while this process
    works. It is sent its sample when the items are collected; its item judges the result."""
    options = catalog.options_for(spec, context.config)
    python = options.get("python")
    context.start_canary(
        None if python is None else str(python), str(options.get("input_format", "parquet"))
    )


def _canary_spec(suite: SuiteConfig) -> catalog.Spec | None:
    for spec, _ in catalog.applicable_specs(suite):
        if spec.check == "check_canary":
            return spec
    return None


def _names_a_folder(args: Iterable[str], base: Path) -> bool:
    """Whether a command-line argument names a whole folder (so the run is not only the
    files or tests it names)."""
    return any("::" not in arg and (base / arg).is_dir() for arg in args)


def _runs_first(spec: catalog.Spec) -> bool:
    return not spec.forkable and not spec.alone and spec.check != "check_canary"


def _shared_imports(specs: Iterable[catalog.Spec]) -> set[str]:
    """Heavy modules two or more of these items import (shap: 0.25 s)."""
    from collections import Counter

    needed = Counter(module for spec in specs for module in set(spec.imports))
    return {module for module, items in needed.items() if items >= 2}


def _in_process_run(config: pytest.Config) -> bool:
    try:
        from _pytest.unraisableexception import gc_collect_iterations_key
    except ImportError:  # a pytest without it: unfreeze, as is always safe
        return True
    return config.stash.get(gc_collect_iterations_key, 1) == 0


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
    job_index: int | None = None  # its place in the suite worker's list, when one runs

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
        worker, index = self.plugin.worker, self.job_index
        delivered = None
        if worker is not None and index is not None and not worker.claim(index):
            delivered = worker.delivered(index)
        if delivered is not None:
            self.result = record_result(delivered.unwrap())
        elif worker is not None and self.spec.alone:
            with worker.quiet():
                self.result = run_spec(self.plugin.context, self.spec, self.param)
        else:
            self.result = run_spec(self.plugin.context, self.spec, self.param)
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


def run_spec(context: SuiteContext, spec: catalog.Spec, param: str | None) -> CheckResult:
    """Run one generated check and record its result as evidence, exactly once."""
    from mltestscore import recording

    result = compute_result(context, spec, param)
    recording.record_check(plain_json(result.to_dict()))
    return result


def record_result(payload: dict[str, Any]) -> CheckResult:
    """Record a result the suite worker computed (its ``to_dict()`` form, built-in types
    only) as the running item's evidence, as :func:`run_spec` records its own."""
    from mltestscore import recording
    from mltestscore.checks.result import CheckResult

    recording.record_check(payload)
    return CheckResult.from_dict(payload)


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
    with recording.recording_into(lambda kind, payload: None), thread_limit(_threads()):
        unfit = runners.cannot_refit(context, spec.check) if spec.refits else None
        result = unfit or spec.runner(context, param, options)
    if spec.evidences is not None:
        result = dataclasses.replace(result, rubric_ids=spec.evidences)
    return result


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
    plugin: SuitePlugin | None = None
    try:
        suite = parse_suite_config(project, complete=False)
        started = config.stash.get(CANARY_AHEAD, None)
        plugin = SuitePlugin(config, suite, Path(project.source), started)
        plugin.start_canary_early()  # unless started ahead; before the imports below
        if not hasattr(config, "workerinput"):  # workers meet the same problem when loading
            check_model_trust(suite)
        plugin.use_suite(complete_suite_config(suite))
    except MLScoreError as exc:
        if plugin is not None:
            plugin.context.close()
        if not hasattr(config, "workerinput"):
            remove_stale(session.json_path)  # as for any other configuration error
        raise pytest.UsageError(f"mltestscore: {exc}") from None
    session.add_hints(catalog.hints(plugin.suite))
    return plugin
