"""What the pytest face asks of a run before anything else: which process this is under
pytest-xdist, and where the project's ``pyproject.toml`` is.

One role decision, made the way pytest's own ``junitxml`` makes it: a process with
``workerinput`` is an xdist worker; a process started with ``-n``/``--numprocesses`` (or
``--dist``) that is not a worker is the controller; anything else runs alone. Everything
below the plugin asks here instead of probing pytest's objects itself.
"""

from __future__ import annotations

import enum
from pathlib import Path

import pytest


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


def pyproject_path(config: pytest.Config) -> Path:
    """The project's ``pyproject.toml``: pytest's ini file when it is one, else at the rootdir."""
    inipath = config.inipath
    if inipath is not None and inipath.name == "pyproject.toml":
        return inipath
    return config.rootpath / "pyproject.toml"
