"""The one report dispatch: plain options in, every report written atomically, a report that
cannot be written leaves no stale copy, partial runs stay out of the history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mltestscore.cli import main
from mltestscore.report import outputs
from mltestscore.report.history import append_history, history_record, read_history
from mltestscore.report.json_report import dumps
from mltestscore.report.outputs import ReportOptions, read_base, write_reports


def _partial(scorecard: dict[str, Any]) -> dict[str, Any]:
    selection = {"reasons": ["-k fairness"], "args": ["-k", "fairness"]}
    return {**scorecard, "partial": True, "selection": selection}


def test_it_writes_every_named_report_and_appends_a_full_run_to_the_history(
    tmp_path: Path, demo_scorecard: Any
) -> None:
    options = ReportOptions(
        json=tmp_path / "s.json",
        html=tmp_path / "s.html",
        markdown=tmp_path / "s.md",
        badge=tmp_path / "b.svg",
        history=tmp_path / "h.jsonl",
    )
    outcome = write_reports(demo_scorecard, options)
    assert [label for label, _ in outcome.written] == [
        "JSON scorecard",
        "score history",
        "HTML scorecard",
        "Markdown summary",
        "badge",
    ]
    assert outcome.problems == []
    assert json.loads((tmp_path / "s.json").read_text()) == demo_scorecard


def test_a_partial_scorecard_is_written_but_never_appended_to_the_history(
    tmp_path: Path, demo_scorecard: Any
) -> None:
    options = ReportOptions(json=tmp_path / "s.json", history=tmp_path / "h.jsonl")
    outcome = write_reports(_partial(demo_scorecard), options)
    assert [label for label, _ in outcome.written] == ["JSON scorecard"]
    assert not (tmp_path / "h.jsonl").exists()


def test_the_history_reader_skips_partial_lines(tmp_path: Path, demo_scorecard: Any) -> None:
    path = tmp_path / "h.jsonl"
    append_history(path, history_record(demo_scorecard))
    append_history(path, {**history_record(demo_scorecard), "partial": True, "score": 0})
    records, warnings = read_history(path)
    assert [r["score"] for r in records] == [demo_scorecard["score"]]
    assert warnings == []


def test_a_report_that_cannot_be_written_leaves_no_stale_copy(
    tmp_path: Path, demo_scorecard: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    badge = tmp_path / "b.svg"
    badge.write_text("<svg>an earlier run's</svg>")

    def refuse(*args: Any, **kwargs: Any) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("mltestscore.report.badge.write_badge", refuse)
    outcome = write_reports(demo_scorecard, ReportOptions(json=tmp_path / "s.json", badge=badge))
    assert outcome.write_failed
    assert outcome.problems == [f"could not write {badge}: Permission denied"]
    assert not badge.exists()
    assert (tmp_path / "s.json").exists()  # this run's, not stale


def test_remove_stale_names_every_report_file_but_the_history(tmp_path: Path) -> None:
    options = ReportOptions(
        json=tmp_path / "a.json", html=tmp_path / "a.html", history=tmp_path / "h.jsonl"
    )
    for path in (*options.report_files(), tmp_path / "h.jsonl"):
        path.write_text("old")
    assert options.remove_stale() == []
    assert [p.name for p in tmp_path.iterdir()] == ["h.jsonl"]


def test_a_partial_base_is_refused_by_name(tmp_path: Path, demo_scorecard: Any) -> None:
    path = tmp_path / "base.json"
    path.write_text(dumps(_partial(demo_scorecard)))
    base = read_base(path)
    assert base is not None
    assert base.scorecard is None
    assert "is a partial scorecard (-k fairness)" in str(base.problem)


def test_render_refuses_a_partial_base_and_draws_nothing_from_it(
    tmp_path: Path, demo_scorecard: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    saved, base = tmp_path / "s.json", tmp_path / "base.json"
    saved.write_text(dumps(demo_scorecard))
    base.write_text(dumps(_partial(demo_scorecard)))
    assert main(["render", str(saved), "--compare", str(base)]) == 2
    assert "base.json is a partial scorecard" in capsys.readouterr().err
    assert not saved.with_suffix(".html").exists()


def test_the_dispatch_knows_nothing_of_pytest() -> None:
    import subprocess
    import sys

    code = "import sys, mltestscore.report.outputs; print('pytest' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
    assert "getoption" not in Path(outputs.__file__).read_text()
