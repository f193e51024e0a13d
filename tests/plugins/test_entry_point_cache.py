"""Discovery remembers "no plugin installed" only while nothing on sys.path changes."""

from __future__ import annotations

import importlib.metadata
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltestscore import extensions

PLUGIN_MODULE = '''
"""A plugin installed after the first discovery."""
'''


@pytest.fixture(autouse=True)
def _fresh_discovery_after() -> Iterator[None]:
    yield
    extensions.discover_plugins(refresh=True)


def _install(site: Path) -> None:
    (site / "lateplugin.py").write_text(PLUGIN_MODULE)
    info = site / "late_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: late-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mltestscore.plugins]\nlate = lateplugin\n")
    later = time.time() + 2  # a coarse file system clock must still see a change
    os.utime(site, (later, later))


def test_an_empty_answer_is_reused_without_scanning_the_distributions(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert extensions.discover_plugins(refresh=True) == []

    def scan_again(**_: object) -> list[object]:
        raise AssertionError("scanned the installed distributions again")

    monkeypatch.setattr(importlib.metadata, "entry_points", scan_again)
    assert extensions.discover_plugins(refresh=True) == []


def test_a_plugin_installed_after_an_empty_answer_is_found(empty_site: Path) -> None:
    assert extensions.discover_plugins(refresh=True) == []
    _install(empty_site)
    found = extensions.discover_plugins(refresh=True)
    assert [plugin.name for plugin in found] == ["late"]
    assert found[0].problems == ()
