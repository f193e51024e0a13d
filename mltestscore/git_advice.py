"""What to commit and what to keep out of git after ``pytest --mlscore``.

A first run leaves several folders in the project: the reports, mltestscore's own state
(timing baselines), hypothesis's example database, and the inferred schema. Only the schema
(after review) and ``pyproject.toml`` belong in version control; the others change on every
run. The summary says so until the generated folders are listed in ``.gitignore``.
Standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Folders a run writes into the project that change on every run.
GENERATED = ("reports", ".mltestscore", ".hypothesis")


def _ignored_names(root: Path) -> set[str]:
    try:
        lines = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    return {line.strip().strip("/").removesuffix("/*").strip("/") for line in lines}


def git_advice(root: Path, schema: str | None, generated: Sequence[str] = GENERATED) -> list[str]:
    """Lines for the summary: the generated folders present and not yet in ``.gitignore``,
    and what to commit. Empty once every generated folder present is ignored."""
    ignored = _ignored_names(root)
    loose = [name for name in generated if (root / name).exists() and name not in ignored]
    if not loose:
        return []
    commit = "pyproject.toml"
    if schema and (root / schema).is_file():
        commit += f" and {schema} (the inferred schema: review it, it is the data contract)"
    return [
        f"git: keep {', '.join(name + '/' for name in loose)} out of version control (each run "
        "rewrites them): add them to .gitignore",
        f"git: commit {commit}",
    ]
