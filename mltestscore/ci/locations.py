"""Where a pytest node id's test is defined: ``tests/test_x.py::TestA::test_b[p]`` -> the
file and the line of ``def test_b`` inside ``class TestA``, found with :mod:`ast` (nothing
is imported or run). The scorecard keeps node ids only; this gives annotations a place."""

from __future__ import annotations

import ast
from pathlib import Path


def _find_definition(body: list[ast.stmt], names: list[str]) -> int | None:
    name, rest = names[0], names[1:]
    for node in body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name == name:
            if not rest:
                return node.lineno
            if isinstance(node, ast.ClassDef):
                return _find_definition(node.body, rest)
    return None


def where_defined(nodeid: str, rootdir: Path, workspace: Path) -> tuple[str | None, int | None]:
    """The file (relative to ``workspace``, the repository root, with ``/``) and the line
    of the test, or as much of that as can be found (``(None, None)``: annotate without a
    place). ``rootdir`` is where pytest ran: node ids are relative to it."""
    path_part, *names = nodeid.split("::")
    candidate = (rootdir / path_part).resolve()
    if not candidate.is_file():
        return None, None
    try:
        relative = candidate.relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return None, None
    names = [name.split("[", 1)[0] for name in names]
    if not names or candidate.suffix != ".py":
        return relative, None
    try:
        tree = ast.parse(candidate.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return relative, None
    return relative, _find_definition(tree.body, names)
