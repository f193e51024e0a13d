"""Defect 2: a cache folder others can write ran their code (Jinja2's compiled templates
were loaded from whatever the folder held)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltestscore import cache
from mltestscore.cache import cache_folder, load_cached, read_private, store_cached


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_VARIABLE, str(root))
    cache_folder.cache_clear()
    yield root
    cache_folder.cache_clear()


def test_a_world_writable_cache_folder_is_not_used(cache_root: Path) -> None:
    cache_root.mkdir(mode=0o700)
    os.chmod(cache_root, 0o777)
    assert cache_folder("jinja") is None
    store_cached("rubrics", b"source", {"a": 1})
    assert load_cached("rubrics", b"source") is None


def test_a_group_writable_kind_folder_is_not_used(cache_root: Path) -> None:
    (cache_root / "jinja").mkdir(parents=True, mode=0o700)
    os.chmod(cache_root / "jinja", 0o770)
    assert cache_folder("jinja") is None


def test_a_linked_cache_folder_is_not_used(cache_root: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "jinja").mkdir(parents=True, mode=0o700)
    os.chmod(real, 0o700)
    cache_root.mkdir(mode=0o700)
    (cache_root / "jinja").symlink_to(real / "jinja")
    assert cache_folder("jinja") is None


def test_an_entry_others_could_have_written_is_not_loaded(cache_root: Path) -> None:
    store_cached("rubrics", b"source", {"a": 1})
    assert load_cached("rubrics", b"source") == {"a": 1}
    (entry,) = (cache_root / "rubrics").glob("*.json")
    assert entry.stat().st_mode & 0o077 == 0  # written private
    os.chmod(entry, 0o666)
    assert load_cached("rubrics", b"source") is None


def test_a_planted_link_in_the_cache_is_not_followed(cache_root: Path, tmp_path: Path) -> None:
    folder = cache_folder("jinja")
    assert folder is not None
    planted = tmp_path / "planted"
    planted.write_bytes(b"code")
    (folder / "x.cache").symlink_to(planted)
    assert read_private(folder / "x.cache") is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_file_another_user_owns_is_not_loaded_even_by_root(cache_root: Path) -> None:
    folder = cache_folder("jinja")
    assert folder is not None
    planted = folder / "planted.cache"
    planted.write_bytes(b"code")
    os.chmod(planted, 0o600)
    os.chown(planted, 65534, 65534)  # nobody
    assert read_private(planted) is None


def test_the_compiled_template_cache_reads_only_private_files(
    cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mltestscore.report.html import _bytecode_cache
    from mltestscore.report.template_cache import VerifiedBytecodeCache

    bytecode = _bytecode_cache()
    assert isinstance(bytecode, VerifiedBytecodeCache)
    import jinja2

    env = jinja2.Environment(bytecode_cache=bytecode, loader=jinja2.DictLoader({"t": "{{ 1 }}"}))
    assert env.get_template("t").render() == "1"
    (written,) = cache_root.glob("jinja-*/*.cache")
    assert written.stat().st_mode & 0o077 == 0
    os.chmod(written, 0o666)  # as if someone else could have replaced it
    bucket_loads: list[bytes] = []
    original = read_private

    def spy(path: Path) -> bytes | None:
        data = original(path)
        bucket_loads.append(data or b"")
        return data

    monkeypatch.setattr("mltestscore.report.template_cache.read_private", spy)
    fresh = jinja2.Environment(bytecode_cache=bytecode, loader=jinja2.DictLoader({"t": "{{ 1 }}"}))
    assert fresh.get_template("t").render() == "1"
    assert bucket_loads == [b""]  # refused, compiled again
