"""Whether a run ran the whole suite, and if not, why: the facts behind a partial scorecard.

A run that did not run the whole suite (``-k``, ``-m``, ``--deselect``, ``--lf``, paths or
node ids narrower than the project's test paths, ``-x`` stopping early, an interruption)
scores only what it ran: its scorecard is marked partial, kept out of the history and
refused as a comparison base, so a quick ``pytest --mlscore -k fairness`` can never pose as
the project's score.

"The whole suite" is what ``pytest --mlscore`` runs with no argument, as the project
configures it: the ``testpaths`` (or the rootdir), and the selection options the project's
own ``addopts`` give (a project whose ``addopts`` say ``-m "not slow"`` defines its suite
so). Pure data and functions: :mod:`mltestscore.pytest_context` reads pytest's options into
a :class:`SelectionRequest`, the session adds what happened (:class:`RunEnd`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Narrowing:
    """pytest's options that run fewer tests than collected."""

    keyword: str = ""  # -k
    markexpr: str = ""  # -m
    deselect: tuple[str, ...] = ()  # --deselect
    ignore: tuple[str, ...] = ()  # --ignore, --ignore-glob
    last_failed: bool = False  # --lf / --last-failed
    stepwise: bool = False  # --sw / --stepwise


@dataclass(frozen=True)
class SelectionRequest:
    """What this run asked for, next to what the project runs by default."""

    options: Narrowing
    configured: Narrowing  # the same options as the project's own addopts set them
    paths: tuple[str, ...]  # the paths or node ids the run named; () for the default
    base_dir: Path  # where relative ``paths`` are
    suite_paths: tuple[Path, ...]  # the project's test paths (testpaths, else the rootdir)
    testpaths_set: bool = True
    pyargs: bool = False
    maxfail: int = 0

    def reasons(self) -> list[str]:
        """Why the options and paths make this run partial, one sentence each."""
        reasons: list[str] = []
        mine, project = self.options, self.configured
        if mine.keyword and mine.keyword != project.keyword:
            reasons.append(f"-k {shlex.quote(mine.keyword)}")
        if mine.markexpr and mine.markexpr != project.markexpr:
            reasons.append(f"-m {shlex.quote(mine.markexpr)}")
        reasons.extend(f"--deselect {node}" for node in _added(mine.deselect, project.deselect))
        reasons.extend(f"--ignore {path}" for path in _added(mine.ignore, project.ignore))
        if mine.last_failed and not project.last_failed:
            reasons.append("--lf (only the tests that failed last time)")
        if mine.stepwise and not project.stepwise:
            reasons.append("--stepwise")
        narrower = self._narrower_paths()
        if narrower:
            suite = ", ".join(_shown(p, self.base_dir) for p in self.suite_paths)
            hint = "" if self.testpaths_set else "; name the test folders in testpaths"
            reasons.append(f"only {', '.join(narrower)} (the whole suite: {suite}{hint})")
        return reasons

    def args(self) -> list[str]:
        """The command-line arguments that selected, as they were given."""
        args: list[str] = []
        mine, project = self.options, self.configured
        if mine.keyword and mine.keyword != project.keyword:
            args += ["-k", mine.keyword]
        if mine.markexpr and mine.markexpr != project.markexpr:
            args += ["-m", mine.markexpr]
        for node in _added(mine.deselect, project.deselect):
            args += ["--deselect", node]
        for path in _added(mine.ignore, project.ignore):
            args += ["--ignore", path]
        if mine.last_failed and not project.last_failed:
            args.append("--lf")
        if mine.stepwise and not project.stepwise:
            args.append("--stepwise")
        if self._narrower_paths():
            args.extend(self.paths)
        return args

    def _narrower_paths(self) -> list[str]:
        """The named paths, when together they do not cover every test path of the
        project (a node id never does); [] for a run of the whole suite."""
        if not self.paths:
            return []
        if self.pyargs:  # module names: compared as written
            named = set(self.paths)
            covered = all(_shown(p, self.base_dir) in named for p in self.suite_paths)
            return [] if covered else list(self.paths)
        folders = [(self.base_dir / arg).resolve() for arg in self.paths if "::" not in arg]
        for root in self.suite_paths:
            target = root.resolve()
            if not any(folder == target or folder in target.parents for folder in folders):
                return list(self.paths)
        return []


@dataclass(frozen=True)
class RunEnd:
    """What happened: how many tests were collected, deselected and run, and how it ended."""

    collected: int
    ran: int
    deselected: int = 0
    failures: int = 0
    stopped: str | None = None  # pytest's shouldstop / shouldfail text
    interrupted: bool = False

    @property
    def not_run(self) -> int:
        return max(0, self.collected - self.ran)


def selection(request: SelectionRequest, end: RunEnd) -> dict[str, Any] | None:
    """The scorecard's ``selection`` (see the JSON schema), or None for a run of the whole
    suite."""
    reasons = request.reasons()
    maxfail = request.maxfail
    # Under pytest-xdist the controller ends a run stopped by -x as an interruption.
    stopped_by_maxfail = bool(maxfail) and end.failures >= maxfail
    if end.stopped or (end.interrupted and stopped_by_maxfail):
        if end.not_run:  # -x on the last test stops nothing
            reasons.append(_stop_reason(maxfail, end.stopped))
    elif end.interrupted:
        reasons.append("interrupted")
    elif end.not_run:
        noun = "test" if end.not_run == 1 else "tests"
        reasons.append(f"{end.not_run} collected {noun} did not run")
    if not reasons:
        return None
    return {
        "reasons": reasons,
        "args": request.args(),
        "deselected": end.deselected,
        "not_run": end.not_run,
    }


def _stop_reason(maxfail: int, stopped: str | None) -> str:
    if maxfail == 1:
        return "stopped after the first failure (-x)"
    if maxfail:
        return f"stopped after {maxfail} failures (--maxfail={maxfail})"
    return f"stopped early ({stopped})" if stopped else "stopped early"


def _added(mine: tuple[str, ...], project: tuple[str, ...]) -> list[str]:
    return [value for value in mine if value not in project]


def _shown(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base)) or "."
    except ValueError:
        return str(path)
