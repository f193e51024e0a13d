"""GitHub Actions workflow commands (``::error file=...,line=...::message``), escaped by the
runner's rules so text from a test (a nodeid, a failure message) cannot end the command
early, inject a second one, or lose its line breaks.

The rules (actions/toolkit, ``core/src/command.ts``): in the message, ``%`` becomes
``%25``, CR ``%0D`` and LF ``%0A``; in a property value the same, plus ``:`` as ``%3A`` and
``,`` as ``%2C`` (they separate properties and the message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning", "notice"]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class Annotation:
    """One ``::error`` / ``::warning`` line; ``file`` is relative to the repository root."""

    level: Level
    message: str
    title: str | None = None
    file: str | None = None
    line: int | None = None

    def command(self) -> str:
        properties: list[str] = []
        if self.title:
            properties.append(f"title={escape_property(self.title)}")
        if self.file:
            properties.append(f"file={escape_property(self.file)}")
            if self.line is not None:
                properties.append(f"line={self.line}")
        joined = " " + ",".join(properties) if properties else ""
        return f"::{self.level}{joined}::{escape_data(self.message)}"
