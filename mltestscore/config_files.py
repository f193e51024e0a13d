"""Configuration files that are not UTF-8: one message naming the file, the byte and the line.

TOML must be UTF-8, and pytest reads ``pytest.ini``, ``pyproject.toml``, ``tox.ini`` and
``setup.cfg`` as UTF-8 too, before any plugin is loaded: a Latin-1 ``é`` in a comment ends
``pytest`` in its own traceback, which no plugin can catch. Everything of ours that reads
these files says instead where the bad byte is (``mltestscore init``, the marker
registration, the configuration reader), and the CI wrapper checks the files pytest would
read before starting it (:func:`pytest_config_problem`). Standard library only.
"""

from __future__ import annotations

import os
from pathlib import Path

# The files pytest looks for in each folder, in its order, and the section that makes one
# pytest's configuration (pytest.ini counts whatever it holds).
PYTEST_CONFIG_FILES = (
    ("pytest.ini", ""),
    (".pytest.ini", ""),
    ("pyproject.toml", "[tool.pytest"),
    ("tox.ini", "[pytest]"),
    ("setup.cfg", "[tool:pytest]"),
)


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


def pytest_config_problem(start: Path) -> str | None:
    """The first configuration file pytest would fail to decode, looking from ``start``
    upwards as pytest does, stopping at the file pytest would take; None when all is well."""
    for folder in (start, *start.parents):
        for name, section in PYTEST_CONFIG_FILES:
            path = folder / name
            if not path.is_file():
                continue
            try:
                text = read_utf8(path)
            except ValueError as exc:
                return str(exc)
            except OSError:
                continue
            if not section or section in text:
                return None
    return None
