"""The installed packages are read once per installed state: the answer is the same as a
fresh scan, is reused without scanning, and changes as soon as a distribution is installed
or upgraded."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from mltestscore import environment


def _scan() -> dict[str, str]:
    found = {}
    for dist in metadata.distributions():
        if dist.metadata["Name"]:
            found[dist.metadata["Name"].lower().replace("_", "-")] = dist.version
    return found


def _install(site: Path, name: str, version: str) -> None:
    for old in site.glob(f"{name}-*.dist-info"):
        for file in old.iterdir():
            file.unlink()
        old.rmdir()
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_the_cached_answer_is_what_a_fresh_scan_reads(empty_site: Path) -> None:
    first = environment.installed_packages()
    assert first == _scan()
    assert environment.installed_packages() == first
    assert first["pytest"] == metadata.version("pytest")


def test_a_second_call_reuses_the_answer_without_scanning(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = environment.installed_packages()

    def scan_again() -> list[object]:
        raise AssertionError("read every distribution's metadata again")

    monkeypatch.setattr(metadata, "distributions", scan_again)
    assert environment.installed_packages() == first


def test_installing_or_upgrading_a_distribution_changes_the_answer(empty_site: Path) -> None:
    assert "late-package" not in environment.installed_packages()
    _install(empty_site, "late_package", "1.0")
    assert environment.installed_packages()["late-package"] == "1.0"
    _install(empty_site, "late_package", "2.0")
    assert environment.installed_packages()["late-package"] == "2.0"
