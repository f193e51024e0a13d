"""The commit on the scorecard: read from ``.git`` without starting git where that is
safe, and always the same answer as ``git rev-parse HEAD``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mltestscore.scorecard import _head_from_files, git_commit

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
CI_VARIABLES = ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_VCS_NUMBER")


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in CI_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("a")
    _git(root, "add", "a.txt")
    _git(root, "commit", "-q", "-m", "first")
    (root / "a.txt").write_text("b")
    _git(root, "commit", "-q", "-am", "second")
    return root


def test_the_commit_of_a_branch_checkout_is_read_from_the_git_folder(repo: Path) -> None:
    assert _head_from_files(repo / ".git") == _git(repo, "rev-parse", "HEAD")


def test_a_subfolder_of_the_checkout_finds_the_same_commit(repo: Path) -> None:
    (repo / "tests").mkdir()
    assert git_commit(repo / "tests") == _git(repo, "rev-parse", "HEAD")


def test_packed_refs_are_read_too(repo: Path) -> None:
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert _head_from_files(repo / ".git") == _git(repo, "rev-parse", "HEAD")


def test_a_detached_head_is_its_commit(repo: Path) -> None:
    first = _git(repo, "rev-parse", "HEAD~1")
    _git(repo, "checkout", "-q", "--detach", first)
    assert _head_from_files(repo / ".git") == first


def test_a_worktree_falls_back_to_git_itself(repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "other"
    _git(repo, "worktree", "add", "-q", "-b", "feature", str(worktree), "HEAD~1")
    assert _head_from_files(worktree / ".git") is None  # .git is a file there
    assert git_commit(worktree) == _git(repo, "rev-parse", "HEAD~1")


def test_ci_variables_win_over_the_checkout(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "c0ffee" * 6 + "c0ff")
    assert git_commit(repo) == "c0ffee" * 6 + "c0ff"


def test_a_folder_outside_any_checkout_has_no_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in CI_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    if any((parent / ".git").exists() for parent in (lonely, *lonely.parents)):
        pytest.skip("the temporary folder is inside a git checkout")
    assert git_commit(lonely) is None


def test_git_dir_in_the_environment_is_answered_by_git_itself(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    assert git_commit(elsewhere) == _git(repo, "rev-parse", "HEAD")
