"""Defect 1 (device and symlink targets replaced, history appended through links) and the
umask (reports were forced to 0644)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mltestscore.report.atomic import (
    UnsafeTargetError,
    append_text,
    check_target,
    remove_stale,
    write_atomic,
)
from mltestscore.report.history import append_history, history_record
from mltestscore.report.outputs import ReportOptions, write_reports
from mltestscore.scorecard import Scorecard


def test_it_refuses_to_replace_a_symlink_and_leaves_what_it_points_at(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "report.json"
    link.symlink_to(precious)
    with pytest.raises(UnsafeTargetError, match="symbolic link"):
        write_atomic(link, "{}")
    assert link.is_symlink()
    assert precious.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_it_refuses_a_fifo_without_blocking_or_replacing_it(tmp_path: Path) -> None:
    fifo = tmp_path / "report.md"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeTargetError, match="FIFO"):
        write_atomic(fifo, "# report")
    with pytest.raises(UnsafeTargetError, match="FIFO"):
        append_text(fifo, "a line")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_it_refuses_device_nodes_before_touching_them() -> None:
    for device in ("/dev/null", "/dev/zero"):
        if os.path.exists(device):
            with pytest.raises(UnsafeTargetError, match="device"):
                check_target(device)


def test_the_history_is_never_appended_through_a_link(tmp_path: Path, scorecard: Scorecard) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("unchanged\n")
    history = tmp_path / "mlscore-history.jsonl"
    history.symlink_to(victim)
    with pytest.raises(UnsafeTargetError):
        append_history(history, history_record(scorecard))
    assert victim.read_text() == "unchanged\n"


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_a_report_gets_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        written = write_atomic(tmp_path / "r.html", "<p>x</p>")
        history = append_text(tmp_path / "h.jsonl", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == mode
    assert stat.S_IMODE(history.stat().st_mode) == mode


def test_a_link_among_the_report_paths_is_a_one_line_problem_not_a_traceback(
    tmp_path: Path, scorecard: Scorecard
) -> None:
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("not a report")
    (tmp_path / "summary.md").symlink_to(elsewhere)
    options = ReportOptions(
        json=tmp_path / "s.json", markdown=tmp_path / "summary.md", history=tmp_path / "h.jsonl"
    )
    outcome = write_reports(scorecard, options)
    assert outcome.write_failed
    assert any("summary.md is a symbolic link" in p for p in outcome.problems)
    assert elsewhere.read_text() == "not a report"
    assert (tmp_path / "s.json").is_file()


def test_stale_removal_removes_regular_files_only(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text("{}")
    assert remove_stale(old)
    assert not old.exists()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    target = tmp_path / "target"
    target.write_text("x")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert remove_stale(fifo)
    assert fifo.exists()
    assert remove_stale(link)
    assert link.is_symlink()
    assert target.exists()
