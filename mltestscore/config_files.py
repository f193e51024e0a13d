"""Configuration files that are not UTF-8: one message naming the file, the byte and the line.

TOML must be UTF-8, and pytest reads ``pytest.toml``, ``pytest.ini``, ``pyproject.toml``,
``tox.ini`` and ``setup.cfg`` as UTF-8 too, before any plugin is loaded: a Latin-1 ``é`` in
a comment ends ``pytest`` in its own traceback, which no plugin can catch (docs/security.md
says why). Everything of ours that reads these files says instead where the bad byte is
(``mltestscore init``, the marker registration, the configuration reader), and the CI wrapper
checks the files pytest would read before starting it (:func:`pytest_config_problem`).
Standard library only."""

from __future__ import annotations

import os
from pathlib import Path

# The files pytest looks for in each folder, in its order, the section that makes one
# pytest's configuration (pytest.toml and pytest.ini count whatever they hold), and the first
# pytest major version that reads it (pytest 9 added pytest.toml and .pytest.toml).
PYTEST_CONFIG_FILES = (
    ("pytest.toml", "", 9),
    (".pytest.toml", "", 9),
    ("pytest.ini", "", 8),
    (".pytest.ini", "", 8),
    ("pyproject.toml", "[tool.pytest", 8),
    ("tox.ini", "[pytest]", 8),
    ("setup.cfg", "[tool:pytest]", 8),
)


def _pytest_major() -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("pytest").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 8


def not_utf8_message(path: str | os.PathLike[str], data: bytes, exc: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    return (
        f"{path} is not UTF-8 text: byte {exc.start} (line {line}) is 0x{data[exc.start]:02x}; "
        "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
    )


def read_utf8(path: str | os.PathLike[str]) -> str:
    """The text of ``path``; ValueError naming the file, byte offset and line when it is not
    UTF-8."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(not_utf8_message(path, data, exc)) from None


def _decode_problem(path: Path) -> tuple[str | None, str]:
    """(the not-UTF-8 message or None, the text); OSError passes through."""
    try:
        return None, read_utf8(path)
    except ValueError as exc:
        return str(exc), ""


def pytest_config_problem(start: Path, pytest_major: int | None = None) -> str | None:
    """The first configuration file pytest would fail to decode, looking from ``start``
    upwards as pytest does, stopping at the file pytest would take; None when all is well.

    pytest 9 decodes every candidate it meets on the way, and once it has its file it also
    reads the later candidates in the same folder (to warn that they are ignored): a
    Latin-1 ``setup.cfg`` beside a good ``pytest.ini`` ends it in a traceback as well."""
    major = _pytest_major() if pytest_major is None else pytest_major
    names = [(name, section) for name, section, since in PYTEST_CONFIG_FILES if major >= since]
    for folder in (start, *start.parents):
        for index, (name, section) in enumerate(names):
            path = folder / name
            if not path.is_file():
                continue
            try:
                problem, text = _decode_problem(path)
            except OSError:
                continue
            if problem is not None:
                return problem
            if section and section not in text:
                continue
            for later, _ in names[index + 1 :] if major >= 9 else []:
                sibling = folder / later
                try:
                    problem = _decode_problem(sibling)[0] if sibling.is_file() else None
                except OSError:
                    problem = None
                if problem is not None:
                    return problem
            return None
    return None
