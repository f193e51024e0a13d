"""The ``mltestscore`` command works from saved JSON: render, diff, rubric; errors exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mltestscore.cli import main
from mltestscore.report.json_report import dumps


@pytest.fixture
def saved(tmp_path: Path, demo_scorecard: dict[str, Any]) -> Path:
    path = tmp_path / "mlscore.json"
    path.write_text(dumps(demo_scorecard))
    return path


def test_render_writes_the_html_next_to_the_json_by_default(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", str(saved)]) == 0
    assert saved.with_suffix(".html").read_text().startswith("<!DOCTYPE html>")
    assert capsys.readouterr().out == f"HTML scorecard: {saved.with_suffix('.html')}\n"


def test_render_writes_markdown_and_badge_with_a_comparison_and_history(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "h.jsonl"
    history.write_text(
        '{"generated_at": "2026-11-29T00:00:00+00:00", "rubric": "ml-test-score-2017", '
        '"score": 1, "sections": {"data": 1}}\nbroken\n'
    )
    code = main(
        [
            "render",
            str(saved),
            "--html",
            str(tmp_path / "p.html"),
            "--md",
            str(tmp_path / "s.md"),
            "--badge",
            str(tmp_path / "b.svg"),
            "--badge-label",
            "ranker",
            "--history",
            str(history),
            "--compare",
            str(saved),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "skipped 1 corrupt line(s): line 2" in captured.err
    assert "Trend over the last 1 run" in (tmp_path / "p.html").read_text()
    assert "**Compared with mlscore.json**" in (tmp_path / "s.md").read_text()
    assert ">ranker<" in (tmp_path / "b.svg").read_text()


def test_diff_prints_changes_and_gates_on_regression(
    tmp_path: Path, make: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    base, current = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(dumps(make.scorecard([make.run("t.py::a", ["model-6"])])))
    current.write_text(dumps(make.scorecard([make.run("t.py::a", ["model-6"], outcome="failed")])))
    assert main(["diff", str(base), str(current)]) == 0
    assert "  model-6: automated → failing (worse)" in capsys.readouterr().out
    assert main(["diff", str(base), str(current), "--fail-on-regression"]) == 7
    assert "regressed against base.json: model 1 → 0" in capsys.readouterr().err
    assert main(["diff", str(current), str(base), "--fail-on-regression", "--format", "md"]) == 0
    assert "- model-6: failing → automated" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("not json", "is not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"schema_version": 0, "items": []}', "has scorecard schema_version 0"),
        ('{"schema_version": 1}', "is not a valid scorecard"),
    ],
)
def test_a_bad_or_older_json_is_refused_with_a_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    assert main(["render", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not path.with_suffix(".html").exists()


def test_an_unwritable_output_is_a_message_and_exit_2(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    assert main(["render", str(saved), "--html", str(tmp_path / "file" / "x.html")]) == 2
    assert "mltestscore: " in capsys.readouterr().err


def test_diff_refuses_to_gate_across_rubrics(
    tmp_path: Path, make: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(dumps(make.scorecard([], rubric="ml-test-score-2016")))
    new.write_text(dumps(make.scorecard([])))
    assert main(["diff", str(old), str(new), "--fail-on-regression"]) == 2
    assert "not comparable" in capsys.readouterr().err


def test_rubric_prints_every_item(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubric", "--rubric", "ml-test-score-2016", "-v"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("(2016) (ml-test-score-2016)")
    assert len(re.findall(r"^  [a-z]+-\d ", out, flags=re.MULTILINE)) == 28
    assert "points: 2 automated, 1 manual" in out
    assert "why: " in out


def test_an_unknown_rubric_is_a_message_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubric", "--rubric", "ml-test-score-2071"]) == 2
    assert "unknown rubric" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_the_saved_json_round_trips(saved: Path, demo_scorecard: dict[str, Any]) -> None:
    assert json.loads(saved.read_text()) == demo_scorecard


def test_init_is_handed_to_the_init_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--root", str(tmp_path), "--dry-run"]) == 0
    assert "--dry-run: the changes to" in capsys.readouterr().out
    assert not (tmp_path / "pyproject.toml").exists()
