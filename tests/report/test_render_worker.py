"""The HTML page rendered by the warmed-up child process: the same page as in the pytest
process, and every way it can fail falls back to rendering in the pytest process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mltestscore.report import render_worker
from mltestscore.report.compare import compare_scorecards
from mltestscore.report.history import history_record
from mltestscore.report.html import render_html
from mltestscore.report.outputs import ReportOptions, write_reports
from mltestscore.report.render_worker import RenderWorker, WorkerUnavailable

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the worker needs POSIX")


@pytest.fixture(autouse=True)
def worker_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever this machine's load: these tests are about the worker itself."""
    monkeypatch.setenv(render_worker.SWITCH_VARIABLE, "1")


def _fake_worker(code: str) -> RenderWorker:
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    return RenderWorker(process)


def _ready_worker() -> RenderWorker:
    worker = RenderWorker.start()
    assert worker is not None
    assert worker.ready(timeout=30)
    return worker


def test_the_worker_writes_the_same_page_as_the_pytest_process(
    make: Any, demo_scorecard: Any, tmp_path: Path
) -> None:
    base = make.scorecard([make.run("t.py::a", ["model-6"])])
    comparison = compare_scorecards(base, demo_scorecard, "main.json")
    history = [history_record(base), history_record(demo_scorecard)]
    warnings = ["history line 3 is not JSON: skipped"]
    worker = _ready_worker()
    written = worker.render(demo_scorecard, tmp_path / "page.html", history, comparison, warnings)
    assert written == tmp_path / "page.html"
    expected = render_html(demo_scorecard, history, comparison, warnings)
    assert written.read_text(encoding="utf-8") == expected


def test_the_worker_exits_once_it_has_rendered(demo_scorecard: Any, tmp_path: Path) -> None:
    worker = _ready_worker()
    worker.render(demo_scorecard, tmp_path / "page.html", [], None, [])
    assert worker._process.poll() == 0


def test_a_worker_that_is_not_ready_is_not_waited_for(demo_scorecard: Any, tmp_path: Path) -> None:
    worker = _fake_worker("import time; time.sleep(60)")
    with pytest.raises(WorkerUnavailable, match="not ready"):
        worker.render(demo_scorecard, tmp_path / "page.html", [], None, [])
    assert worker._process.poll() is not None  # ended, not left behind
    assert not (tmp_path / "page.html").exists()


def test_a_worker_that_dies_after_saying_ready_is_unavailable(
    demo_scorecard: Any, tmp_path: Path
) -> None:
    worker = _fake_worker("print('ready', flush=True)")
    assert worker.ready(timeout=30)
    with pytest.raises(WorkerUnavailable):
        worker.render(demo_scorecard, tmp_path / "page.html", [], None, [])


def test_the_page_is_written_anyway_when_the_worker_fails(
    demo_scorecard: Any, tmp_path: Path
) -> None:
    worker = _fake_worker("print('ready', flush=True); print('{\"kind\": \"failure\"}')")
    options = ReportOptions(html=tmp_path / "page.html")
    outcome = write_reports(demo_scorecard, options, renderer=worker)
    assert outcome.problems == []
    assert (tmp_path / "page.html").read_text(encoding="utf-8") == render_html(demo_scorecard)


def test_a_file_the_worker_cannot_write_is_reported_like_any_write_error(
    demo_scorecard: Any, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "page.html"
    options = ReportOptions(html=target)
    outcome = write_reports(demo_scorecard, options, renderer=_ready_worker())
    assert outcome.write_failed
    assert len(outcome.problems) == 1
    assert outcome.problems[0].startswith(f"could not write {target}: ")


def test_the_switch_turns_the_worker_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(render_worker.SWITCH_VARIABLE, "0")
    assert RenderWorker.start() is None


def test_a_run_ended_without_a_scorecard_ends_the_worker_too(
    demo_scorecard: Any, tmp_path: Path
) -> None:
    worker = _ready_worker()
    worker.close()
    assert worker._process.poll() == 0
    with pytest.raises(WorkerUnavailable):
        worker.render(demo_scorecard, tmp_path / "page.html", [], None, [])


@pytest.mark.parametrize(("load", "wanted"), [(0.2, True), (1.0, True), (1.3, False), (4.0, False)])
def test_the_worker_starts_only_with_a_core_to_spare(
    monkeypatch: pytest.MonkeyPatch, load: float, wanted: bool
) -> None:
    monkeypatch.delenv(render_worker.SWITCH_VARIABLE)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert render_worker.worker_wanted() is wanted


def test_the_switch_turns_the_worker_on_whatever_the_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    assert render_worker.worker_wanted()


def test_pytest_mlscore_has_the_worker_write_its_page(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mltestscore.report import html

    def not_here(*_: object, **__: object) -> None:
        raise AssertionError("the page was rendered in the pytest process")

    monkeypatch.setattr(html, "write_html", not_here)
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.mlscore("data-1")
        def test_long_enough_for_the_worker_to_warm_up():
            time.sleep(3)
        """
    )
    result = pytester.runpytest("--mlscore")
    result.assert_outcomes(passed=1)
    page = (pytester.path / "reports" / "mlscore.html").read_text(encoding="utf-8")
    assert "test_long_enough_for_the_worker_to_warm_up" in page
    result.stdout.fnmatch_lines(["HTML scorecard: *mlscore.html"])
