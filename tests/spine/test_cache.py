"""The per-user cache: parsed rubrics (and compiled templates) kept between runs, never
used when stale, foreign or corrupt."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltestscore import cache
from mltestscore.errors import RubricError
from mltestscore.rubric import RUBRIC_CACHE, load_rubric

COMPANY = (
    "schema_version: 1\nextends: ml-test-score-2017\nid: acme\ntitle: {title}\n"
    "sections:\n  - id: data\n    items:\n      - id: data-8\n        title: Data is licensed\n"
    "        guidance: Every data set has a licence on file.\n"
    "        remediation: Record the licence of each data set.\n"
)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_VARIABLE, str(folder))
    cache.cache_folder.cache_clear()
    load_rubric.cache_clear()
    yield folder
    cache.cache_folder.cache_clear()
    load_rubric.cache_clear()


def _entries(folder: Path) -> list[Path]:
    return sorted((folder / RUBRIC_CACHE).glob("*.json"))


def test_a_second_process_reads_the_bundled_rubric_without_importing_yaml(
    cache_dir: Path,
) -> None:
    code = (
        "import sys; from mltestscore.rubric import load_rubric;"
        "r = load_rubric('ml-test-score-2017'); print(len(r.item_ids), 'yaml' in sys.modules)"
    )
    env = {**os.environ, cache.CACHE_VARIABLE: str(cache_dir)}

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert run() == "28 True"  # parsed with PyYAML, then cached
    assert len(_entries(cache_dir)) == 1  # the one file it parsed
    assert run() == "28 False"


def test_an_edited_rubric_file_is_parsed_again(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "company.yaml"
    path.write_text(COMPANY.format(title="First title"))
    assert load_rubric(str(path)).title == "First title"
    load_rubric.cache_clear()
    path.write_text(COMPANY.format(title="Second title"))
    assert load_rubric(str(path)).title == "Second title"


def test_an_invalid_rubric_is_refused_every_time_and_never_cached(
    cache_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("schema_version: 1\nid: x\n")
    for _ in range(2):
        with pytest.raises(RubricError, match="'title' is a required"):
            load_rubric(str(path))
        load_rubric.cache_clear()
    cached_sources = [entry.read_text() for entry in _entries(cache_dir)]
    assert not any('"id": "x"' in text for text in cached_sources)


def test_a_corrupt_cache_entry_is_ignored_and_replaced(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "company.yaml"
    path.write_text(COMPANY.format(title="ACME"))
    load_rubric(str(path))
    for entry in _entries(cache_dir):
        entry.write_text("{not json")
    load_rubric.cache_clear()
    assert load_rubric(str(path)).title == "ACME"
    assert all(entry.read_text().startswith("{") for entry in _entries(cache_dir))
    assert '"ACME"' in "".join(entry.read_text() for entry in _entries(cache_dir))


def test_values_json_would_change_are_not_cached(cache_dir: Path) -> None:
    import datetime

    cache.store_cached("things", b"source", {"when": datetime.date(2017, 12, 11)})
    cache.store_cached("things", b"other", {1: "an integer key"})
    assert cache.load_cached("things", b"source") is None
    assert cache.load_cached("things", b"other") is None
    cache.store_cached("things", b"plain", {"a": [1, 2.5, None, "x"]})
    assert cache.load_cached("things", b"plain") == {"a": [1, 2.5, None, "x"]}


@pytest.mark.skipif(not hasattr(os, "chown") or os.geteuid() != 0, reason="needs root to chown")
def test_a_cache_folder_owned_by_another_user_is_not_used(cache_dir: Path) -> None:
    (cache_dir / "things").mkdir(parents=True)
    os.chown(cache_dir / "things", 65534, 65534)
    assert cache.cache_folder("things") is None
    cache.store_cached("things", b"source", {"a": 1})
    assert cache.load_cached("things", b"source") is None


def test_hints_of_a_project_without_suite_keys_are_cached_unchanged(
    cache_dir: Path, tmp_path: Path
) -> None:
    from mltestscore.suite import catalog, unconfigured_hints
    from mltestscore.suite.config import SuiteConfig

    expected = catalog.hints(SuiteConfig(source="pyproject.toml", root=tmp_path), active=False)
    assert unconfigured_hints("pyproject.toml", tmp_path) == expected  # built, then kept
    assert len(list((cache_dir / "hints").glob("*.json"))) == 1
    code = (
        "import sys; from pathlib import Path; from mltestscore.suite import unconfigured_hints;"
        "h = unconfigured_hints('pyproject.toml', Path('.'));"
        "print(len(h), 'mltestscore.suite.catalog' in sys.modules)"
    )
    env = {**os.environ, cache.CACHE_VARIABLE: str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"{len(expected)} False"


def test_a_kind_keeps_only_its_newest_entries(cache_dir: Path) -> None:
    keep = cache.ENTRIES_PER_KIND
    folder = cache_dir / "states"
    for number in range(keep + 8):
        before = set(folder.glob("*.json"))
        cache.store_cached("states", f"state {number}".encode(), {"number": number})
        (stored,) = set(folder.glob("*.json")) - before
        stamp = (number + 1) * 10**9  # stored in this order, whatever the clock's resolution
        os.utime(stored, ns=(stamp, stamp))
    assert len(list(folder.glob("*.json"))) == keep
    assert cache.load_cached("states", f"state {keep + 7}".encode()) == {"number": keep + 7}
    assert cache.load_cached("states", b"state 0") is None  # the oldest went first
    cache.store_cached("other kind", b"x", 1)  # kinds are pruned on their own
    assert cache.load_cached("states", f"state {keep + 7}".encode()) == {"number": keep + 7}
