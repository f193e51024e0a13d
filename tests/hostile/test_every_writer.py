"""Defect 1 at every writer, not only the reports: a saved model, the model store's CURRENT
pointer, an environment snapshot, a schema suite, a performance history, the rubric docs,
``pyproject.toml`` (init and the marker registration) and the CI job outputs each refuse a
symbolic link, a FIFO and a device node at their target, leave it as it was and write
nothing through it."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sklearn.linear_model import LogisticRegression

from mltestscore import artifacts, docs, environment, init, marker_registration, model_store
from mltestscore.checks import performance, schema
from mltestscore.report.atomic import UnsafeTargetError, append_text

SUITE = {
    "name": "s",
    "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}}],
}


def _model() -> LogisticRegression:
    return LogisticRegression().fit([[0.0], [1.0], [0.0], [1.0]], [0, 1, 0, 1])


def _store_current(target: Path) -> None:
    store = model_store.LocalModelStore(target.parent)
    store.register(_model())
    store.set_current(store.versions()[-1])


def _docs(target: Path) -> None:
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        status = docs.main(["--output", str(target)])
    if status != 0:
        raise ValueError(said.getvalue())


# name -> (file name the writer writes, the call)
WRITERS: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "save_model": ("model.skops", lambda t: artifacts.save_model(_model(), t)),
    "save_model pickle": ("model.pkl", lambda t: artifacts.save_model(_model(), t)),
    "model store CURRENT": ("CURRENT", _store_current),
    "environment snapshot": (
        "environment.json",
        lambda t: environment.write_snapshot(t.parent),
    ),
    "schema suite": ("schema.json", lambda t: schema.save_schema(SUITE, t)),
    "performance history": (
        "perf.jsonl",
        lambda t: performance.append_history(
            t, performance.Measurement({"reference": [1.0]}), {}, "pass"
        ),
    ),
    "rubric docs": ("rubric.md", _docs),
    "init pyproject": ("pyproject.toml", lambda t: init.write_atomically(t, "[tool.x]\n")),
    "marker registration": (
        "pytest.ini",
        lambda t: marker_registration._write_checked(t, "[pytest]\n", True),
    ),
    "CI job output": ("github_output", lambda t: append_text(t, "score=1\n")),
}

REFUSED = (UnsafeTargetError, model_store.ModelStoreError, ValueError)


def _plant(kind: str, target: Path, precious: Path) -> None:
    if kind == "link":
        target.symlink_to(precious)
    elif kind == "dangling link":
        target.symlink_to(target.parent / "not-there-yet")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        try:
            os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null
        except PermissionError:
            pytest.skip("making a device node needs root")


@pytest.mark.parametrize("kind", ["link", "dangling link", "fifo", "device"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_no_writer_replaces_or_writes_through_a_non_regular_target(
    tmp_path: Path, writer: str, kind: str
) -> None:
    name, write = WRITERS[writer]
    folder = tmp_path / "project"
    folder.mkdir()
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    target = folder / name
    _plant(kind, target, precious)
    before = os.lstat(target)
    with pytest.raises(REFUSED) as refused:
        write(target)
    message = str(refused.value)
    assert "symbolic link" in message or "FIFO" in message or "device" in message, message
    after = os.lstat(target)
    assert (stat.S_IFMT(after.st_mode), after.st_ino) == (
        stat.S_IFMT(before.st_mode),
        before.st_ino,
    )
    assert precious.read_text() == "keep me"
    assert not (tmp_path / "project" / "not-there-yet").exists()
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_writer_still_writes_a_regular_file(tmp_path: Path, writer: str) -> None:
    name, write = WRITERS[writer]
    target = tmp_path / name
    if writer == "marker registration":
        target.write_text("")
    write(target)
    assert stat.S_ISREG(os.lstat(target).st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_saved_model_gets_the_umask_mode_and_a_rewritten_pyproject_keeps_its_own(
    tmp_path: Path,
) -> None:
    old = os.umask(0o027)
    try:
        saved = artifacts.save_model(_model(), tmp_path / "m.skops")
        pyproject = tmp_path / "pyproject.toml"
        pyproject.write_text("")
        os.chmod(pyproject, 0o600)
        init.write_atomically(pyproject, "[tool.x]\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o640
    assert stat.S_IMODE(pyproject.stat().st_mode) == 0o600


def test_a_version_folder_taken_by_a_link_is_a_clear_store_error(tmp_path: Path) -> None:
    store = model_store.LocalModelStore(tmp_path / "registry")
    store.root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (store.root / "v0001").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(model_store.ModelStoreError, match="v0001 is already there"):
        store.register(_model())
    assert list((tmp_path / "elsewhere").iterdir()) == []
