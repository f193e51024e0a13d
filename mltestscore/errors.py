"""Errors a user can act on. The plugin turns them into pytest usage errors, the CLI into a
message and exit code 2; neither shows a traceback."""

from __future__ import annotations


class MLScoreError(Exception):
    """Something the user must fix; the message says what and where."""


class RubricError(MLScoreError):
    """A rubric file is missing, unreadable or invalid."""


class ConfigError(MLScoreError):
    """The ``[tool.mltestscore]`` configuration or a command-line option is invalid."""
