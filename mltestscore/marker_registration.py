"""Register the ``mlscore`` marker in a project's own pytest configuration.

The plugin registers its marker when it loads; a project that runs ``--strict-markers``
with the plugin disabled (``-p no:mltestscore``, or mltestscore not installed in one of its
environments) fails collection on every ``@pytest.mark.mlscore`` unless its configuration
registers the marker too. ``mltestscore init`` calls :func:`register_marker`, which edits the
file pytest reads, found in pytest's own order (``pytest.ini``, ``.pytest.ini``,
``pyproject.toml`` with a pytest table, ``tox.ini`` with ``[pytest]``, ``setup.cfg`` with
``[tool:pytest]``; else a new ``[tool.pytest.ini_options]`` table in ``pyproject.toml``).
Edits are textual, so comments and layout stay; a file is only written if it still parses
and now registers the marker.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

from mltestscore.config_files import read_utf8

MARKER = "mlscore(*ids): claims ML Test Score rubric items for this test (mltestscore)"
_INI_FILES = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"))
_LATER_INI_FILES = (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))
_TOML_TABLES = ("tool.pytest.ini_options", "tool.pytest")


def _registered(markers: object) -> bool:
    lines = markers.splitlines() if isinstance(markers, str) else markers
    return isinstance(lines, list) and any(
        str(line).strip().split(":", 1)[0].split("(", 1)[0].strip() == "mlscore" for line in lines
    )


def _ini_section(path: Path, section: str) -> configparser.SectionProxy | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_utf8(path), str(path))  # ValueError: not UTF-8
    except configparser.Error:
        return None
    return parser[section] if parser.has_section(section) else None


def _add_to_ini(text: str, section: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"[{section}]")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    for i in range(start + 1, end):
        if re.match(r"markers\s*[=:]", lines[i]):
            last = i
            while last + 1 < end and lines[last + 1][:1] in (" ", "\t") and lines[last + 1].strip():
                last += 1
            lines.insert(last + 1, f"    {MARKER}\n")
            return "".join(lines)
    lines.insert(start + 1, f"markers =\n    {MARKER}\n")
    return "".join(lines)


def _toml_table(data: dict[str, object], dotted: str) -> dict[str, object] | None:
    node: object = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, dict) else None


def _add_to_toml(text: str, table: str) -> str:
    lines = text.splitlines(keepends=True)
    header = re.compile(rf"^\[{re.escape(table)}\]\s*(#.*)?$")
    start = next(i for i, line in enumerate(lines) if header.match(line.strip()))
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines)
    )
    entry = f'"{MARKER}"'
    for i in range(start + 1, end):
        match = re.match(r"(\s*markers\s*=\s*\[)(.*)", lines[i], re.DOTALL)
        if match:
            rest = match.group(2)
            separator = "" if rest.strip().startswith("]") else ", "
            lines[i] = f"{match.group(1)}{entry}{separator}{rest}"
            return "".join(lines)
    lines.insert(start + 1, f"markers = [{entry}]\n")
    return "".join(lines)


def _write_checked(path: Path, text: str, registered: bool) -> str:
    if not registered:
        raise ValueError(
            f"could not register the mlscore marker in {path}: add it by hand (docs/ci.md)"
        )
    from mltestscore.report.atomic import UnsafeTargetError, write_atomic

    try:
        write_atomic(path, text, keep_mode=True)
    except UnsafeTargetError as exc:
        raise ValueError(f"could not register the mlscore marker: {exc.strerror}") from None
    return f"registered the mlscore marker in {path}"


def register_marker(root: Path, dry_run: bool = False) -> str:
    """Register the marker in the pytest configuration of the project at ``root``; says
    what was (or, with ``dry_run``, would be) done. Raises ValueError when an edit would not
    parse or not register it."""
    pyproject = root / "pyproject.toml"
    candidates: list[tuple[Path, str, str]] = [(root / n, "ini", s) for n, s in _INI_FILES]
    if pyproject.is_file():
        data = tomllib.loads(read_utf8(pyproject))
        table = next((t for t in _TOML_TABLES if _toml_table(data, t) is not None), None)
        if table is not None:
            candidates.append((pyproject, "toml", table))
    candidates += [(root / n, "ini", s) for n, s in _LATER_INI_FILES]
    for path, kind, section in candidates:
        if not path.is_file():
            continue
        if kind == "ini":
            found = _ini_section(path, section)
            if found is None and path.name in ("tox.ini", "setup.cfg"):
                continue
            current: object = found.get("markers", "") if found is not None else ""
        else:
            config = _toml_table(tomllib.loads(read_utf8(path)), section)
            current = (config or {}).get("markers", [])
        if _registered(current):
            return f"the mlscore marker is already registered in {path}"
        if dry_run:
            return f"would register the mlscore marker in {path} [{section}]"
        text = read_utf8(path)
        if kind == "ini":
            if found is None:  # a pytest.ini without its [pytest] section
                text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + "[pytest]\n"
            new_text = _add_to_ini(text, section)
            check = configparser.ConfigParser(interpolation=None)
            try:
                check.read_string(new_text)
            except configparser.Error as exc:
                raise ValueError(f"{path} would not parse after the edit: {exc}") from None
            return _write_checked(path, new_text, _registered(check[section].get("markers", "")))
        new_text = _add_to_toml(text, section)
        markers = (_toml_table(tomllib.loads(new_text), section) or {}).get("markers", [])
        return _write_checked(path, new_text, _registered(markers))
    if dry_run:
        return f"would register the mlscore marker in {pyproject} [tool.pytest.ini_options]"
    text = read_utf8(pyproject) if pyproject.is_file() else ""
    table = f'[tool.pytest.ini_options]\nmarkers = ["{MARKER}"]\n'
    new_text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + table
    markers = (_toml_table(tomllib.loads(new_text), "tool.pytest.ini_options") or {}).get("markers")
    return _write_checked(pyproject, new_text, _registered(markers))
