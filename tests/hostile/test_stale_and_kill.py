"""Defect 5 (stale outputs beside new ones) and the kill-at-random-moments test of report
writing: a report is always the old or the new complete file."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mltestscore.report.outputs import ReportOptions, write_reports
from mltestscore.scorecard import Scorecard


def _options(folder: Path) -> ReportOptions:
    return ReportOptions(
        json=folder / "s.json",
        html=folder / "s.html",
        markdown=folder / "s.md",
        badge=folder / "b.svg",
        history=folder / "h.jsonl",
    )


def _plant_previous_run(options: ReportOptions) -> None:
    for path in options.report_files():
        path.write_text("previous run")


def test_a_crashing_renderer_leaves_no_previous_report_beside_the_new_json(
    tmp_path: Path, scorecard: Scorecard, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _options(tmp_path)
    _plant_previous_run(options)

    def crash(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr("mltestscore.report.html.write_html", crash)
    outcome = write_reports(scorecard, options)
    assert any("s.html: RuntimeError: renderer bug" in p for p in outcome.problems)
    assert not options.html.exists()  # type: ignore[union-attr]
    for path in (options.json, options.markdown, options.badge):
        assert path is not None
        assert path.read_text() != "previous run"


def test_an_interruption_half_way_removes_the_reports_not_yet_replaced(
    tmp_path: Path, scorecard: Scorecard, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _options(tmp_path)
    _plant_previous_run(options)

    def interrupted(*args: object, **kwargs: object) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr("mltestscore.report.markdown.write_markdown", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_reports(scorecard, options)
    assert options.json is not None
    assert options.json.read_text() != "previous run"
    assert options.html is not None
    assert options.html.read_text() != "previous run"
    assert options.markdown is not None
    assert not options.markdown.exists()
    assert options.badge is not None
    assert not options.badge.exists()


def test_a_configuration_error_removes_every_format_of_the_previous_run(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.mlscore('data-1')\ndef test_a():\n    pass\n")
    args = [
        "--mlscore",
        "--mlscore-md=r/s.md",
        "--mlscore-badge=r/b.svg",
        "--mlscore-json=r/s.json",
    ]
    pytester.runpytest(*args).assert_outcomes(passed=1)
    files = [pytester.path / "r" / name for name in ("s.json", "s.html", "s.md", "b.svg")]
    assert all(f.is_file() for f in files)
    pytester.makepyprojecttoml('[tool.mltestscore]\nfail_under = "high"\n')
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [f.name for f in files if f.exists()] == []


WRITER = """
import sys
from mltestscore.report.atomic import write_atomic
path, size = sys.argv[1], int(sys.argv[2])
n = 0
print("ready", flush=True)
while True:
    letter = "ab"[n % 2]
    write_atomic(path, letter * size + "\\nend\\n")
    n += 1
"""


def test_a_report_killed_at_random_moments_is_the_old_or_the_new_complete_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "report.html"
    size = 2_000_000
    rng = random.Random(20)
    for _ in range(12):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target), str(size)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
        if not target.exists():
            continue  # killed before the first replacement
        text = target.read_text()
        assert text in ("a" * size + "\nend\n", "b" * size + "\nend\n")
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) <= 12  # a killed writer's temporary file, never the report
