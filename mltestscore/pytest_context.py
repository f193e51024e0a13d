"""What the pytest face asks of a run before anything else: which process this is under
pytest-xdist, where the project's ``pyproject.toml`` is, and what the run selected.

One role decision, made the way pytest's own ``junitxml`` makes it: a process with
``workerinput`` is an xdist worker; a process started with ``-n``/``--numprocesses`` (or
``--dist``) that is not a worker is the controller; anything else runs alone. Everything
below the plugin asks here instead of probing pytest's objects itself.
"""

from __future__ import annotations

import argparse
import enum
import glob
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from mltestscore.selection import Narrowing, SelectionRequest


class Role(enum.Enum):
    """What this pytest process does in the run."""

    ALONE = "alone"  # no pytest-xdist: collects, runs and reports
    CONTROLLER = "controller"  # xdist's controller: reports what the workers ran
    WORKER = "worker"  # an xdist worker: collects and runs, reports nothing itself


def role(config: pytest.Config) -> Role:
    """This process's :class:`Role`, from ``config`` (valid from ``pytest_configure`` on)."""
    if hasattr(config, "workerinput"):
        return Role.WORKER
    if _distributed(config.option):
        return Role.CONTROLLER
    return Role.ALONE


def _distributed(options: object) -> bool:
    numprocesses = getattr(options, "numprocesses", None)
    dist = getattr(options, "dist", "no")
    return bool(numprocesses) or (dist not in (None, "no"))


#: The key of the deselected count in what an xdist worker sends its controller
#: (:func:`worker_output`): the recorder writes it on each worker, the scorer reads it.
DESELECTED_OUTPUT = "mlscore_deselected"
#: The key of the warnings about markers pytest did not apply, likewise.
MARKER_WARNINGS_OUTPUT = "mlscore_marker_warnings"


def worker_output(config: pytest.Config) -> dict[str, Any] | None:
    """What an xdist worker sends its controller when it finishes (``workeroutput``, as
    pytest-cov uses it); None in any other role."""
    if role(config) is not Role.WORKER:
        return None
    output = getattr(config, "workeroutput", None)
    return output if isinstance(output, dict) else None


def pyproject_path(config: pytest.Config) -> Path:
    """The project's ``pyproject.toml``: pytest's ini file when it is one, else at the rootdir."""
    inipath = config.inipath
    if inipath is not None and inipath.name == "pyproject.toml":
        return inipath
    return config.rootpath / "pyproject.toml"


def selection_request(config: pytest.Config) -> SelectionRequest:
    """This run's selection options and named paths, next to the project's defaults."""
    option = config.option
    base_dir = Path(config.invocation_params.dir)
    if config.args_source is pytest.Config.ArgsSource.ARGS:
        paths = tuple(str(arg) for arg in config.args)
    elif config.args_source is pytest.Config.ArgsSource.INVOCATION_DIR:
        paths = (str(base_dir),)  # pytest started below the rootdir, or testpaths unset
    else:
        paths = ()  # the testpaths themselves
    suite_paths, testpaths_set = _suite_paths(config)
    return SelectionRequest(
        options=Narrowing(
            keyword=str(getattr(option, "keyword", "") or ""),
            markexpr=str(getattr(option, "markexpr", "") or ""),
            deselect=tuple(str(n) for n in getattr(option, "deselect", None) or ()),
            ignore=tuple(
                str(p)
                for name in ("ignore", "ignore_glob")
                for p in getattr(option, name, None) or ()
            ),
            last_failed=bool(getattr(option, "lf", False)),
            stepwise=bool(getattr(option, "stepwise", False)),
        ),
        configured=configured_narrowing(_ini_addopts(config)),
        paths=paths,
        base_dir=base_dir,
        suite_paths=suite_paths,
        testpaths_set=testpaths_set,
        pyargs=bool(getattr(option, "pyargs", False)),
        maxfail=int(getattr(option, "maxfail", 0) or 0),
    )


def _suite_paths(config: pytest.Config) -> tuple[tuple[Path, ...], bool]:
    """The project's test paths as ``pytest`` run at the rootdir finds them: ``testpaths``
    (globbed), else the rootdir itself."""
    root = config.rootpath
    testpaths = [str(p) for p in config.getini("testpaths") or ()]
    if getattr(config.option, "pyargs", False):
        return tuple(root / p for p in testpaths) or (root,), bool(testpaths)
    found = [Path(p) for t in testpaths for p in sorted(glob.iglob(str(root / t), recursive=True))]
    return (tuple(found), True) if found else ((root,), False)


def _ini_addopts(config: pytest.Config) -> list[str]:
    value = config.getini("addopts")
    if isinstance(value, str):
        import shlex

        return shlex.split(value)
    return [str(v) for v in value or ()]


def configured_narrowing(addopts: Sequence[str]) -> Narrowing:
    """The selection options a project's ``addopts`` set (what its whole suite is)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("-k", dest="keyword", default="")
    parser.add_argument("-m", dest="markexpr", default="")
    parser.add_argument("--deselect", action="append", default=[])
    parser.add_argument("--ignore", "--ignore-glob", dest="ignore", action="append", default=[])
    parser.add_argument("--lf", "--last-failed", dest="last_failed", action="store_true")
    parser.add_argument("--sw", "--stepwise", dest="stepwise", action="store_true")
    try:
        known, _ = parser.parse_known_args(list(addopts))
    except (argparse.ArgumentError, SystemExit):  # pytest refuses such addopts itself
        return Narrowing()
    return Narrowing(
        keyword=known.keyword,
        markexpr=known.markexpr,
        deselect=tuple(known.deselect),
        ignore=tuple(known.ignore),
        last_failed=known.last_failed,
        stepwise=known.stepwise,
    )
