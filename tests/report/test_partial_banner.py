"""A partial run (a selection, deselection, --lf, -x, an interruption) says so in every
report, with its reasons, and a full run says nothing; scorecards written before runs were
marked render as before."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from mltestscore.cli import main
from mltestscore.report.html import content_security_policy, render_html, stylesheet
from mltestscore.report.json_report import dumps, read_json, validation_errors
from mltestscore.report.markdown import render_markdown
from mltestscore.report.terminal import summary_lines
from mltestscore.scorecard_model import PARTIAL_CONSEQUENCE, Scorecard

from .conftest import ScorecardFactory, demo_runs

HOSTILE = '-k "<script>alert(1)</script> and *fair*"'
SELECTION = {
    "reasons": [HOSTILE, "3 tests deselected", "stopped after the first failure (-x)"],
    "args": ["-k", "<script>alert(1)</script> and *fair*", "-x"],
    "deselected": 3,
    "not_run": 12,
}


@pytest.fixture(scope="module")
def partial(scorecard_factory: ScorecardFactory) -> Scorecard:
    return scorecard_factory(demo_runs(), selection=SELECTION)


@pytest.fixture(scope="module")
def older(demo_scorecard: Scorecard) -> dict[str, Any]:
    """The demo scorecard as a version before partial runs wrote it: no partial fields."""
    return {k: v for k, v in demo_scorecard.items() if k not in ("partial", "selection")}


def test_a_partial_run_is_marked_in_the_json_with_its_selection(partial: Scorecard) -> None:
    assert partial["partial"] is True
    assert partial["selection"] == SELECTION
    assert validation_errors(json.loads(dumps(partial))) == []


def test_a_full_run_is_marked_not_partial_with_no_selection(demo_scorecard: Scorecard) -> None:
    assert demo_scorecard["partial"] is False
    assert demo_scorecard["selection"] is None


def test_the_html_opens_with_a_banner_naming_every_reason_as_text(partial: Scorecard) -> None:
    html = render_html(partial)
    banner = html[html.index('<section class="panel partial"') :]
    banner = banner[: banner.index("</section>")]
    assert html.index('id="partial-run"') < html.index('id="final-score"')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in banner
    assert "<script>" not in html
    assert "3 tests deselected" in banner
    assert "stopped after the first failure (-x)" in banner
    assert PARTIAL_CONSEQUENCE in unescape(banner)
    assert "<title>Partial run: ML Test Score" in html


def test_the_partial_page_keeps_the_strict_csp_and_its_stylesheet_hash(
    partial: Scorecard,
) -> None:
    html = render_html(partial)
    css, _ = stylesheet()
    policies = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert [unescape(p) for p in policies] == [content_security_policy()]
    assert f"<style>{css}</style>" in html
    assert ".partial{" in css


def test_the_markdown_summary_starts_with_the_partial_warning(partial: Scorecard) -> None:
    text = render_markdown(partial)
    lines = text.splitlines()
    assert lines[0].endswith("(partial run)")
    banner = [line for line in lines if line.startswith(">")]
    assert banner[0] == "> [!WARNING]"
    assert banner[1].startswith('> **Partial run**: -k "&lt;script&gt;')
    assert "\\*fair\\*" in banner[1]
    assert "3 tests deselected; stopped after the first failure (-x)." in banner[1]
    assert banner[2] == f"> {PARTIAL_CONSEQUENCE}"


def test_the_terminal_summary_says_first_that_the_run_is_partial(partial: Scorecard) -> None:
    first = summary_lines(partial)[0]
    assert first == (
        f"Partial run: {HOSTILE}; 3 tests deselected; stopped after the first failure (-x). "
        + PARTIAL_CONSEQUENCE
    )


def test_a_partial_run_without_recorded_reasons_still_says_it_is_partial(
    scorecard_factory: ScorecardFactory,
) -> None:
    scorecard = scorecard_factory(demo_runs(), selection={"reasons": []})
    assert summary_lines(scorecard)[0].startswith("Partial run: reason not recorded.")
    assert 'id="partial-run"' in render_html(scorecard)


def test_a_full_run_shows_no_banner_in_any_format(demo_scorecard: Scorecard) -> None:
    assert 'id="partial-run"' not in render_html(demo_scorecard)
    assert "Partial run" not in render_html(demo_scorecard)
    assert "artial run" not in render_markdown(demo_scorecard)
    assert not any("Partial run" in line for line in summary_lines(demo_scorecard))


def test_an_older_scorecard_without_the_partial_fields_renders_as_full(
    older: dict[str, Any], demo_scorecard: Scorecard
) -> None:
    assert validation_errors(older) == []
    assert render_markdown(older) == render_markdown(demo_scorecard)  # type: ignore[arg-type]
    assert summary_lines(older) == summary_lines(demo_scorecard)  # type: ignore[arg-type]
    assert 'id="partial-run"' not in render_html(older)  # type: ignore[arg-type]


def test_the_render_command_reads_an_older_scorecard_and_a_partial_one(
    older: dict[str, Any], partial: Scorecard, tmp_path: Path
) -> None:
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(older), encoding="utf-8")
    assert "partial" not in read_json(old_path)
    md = tmp_path / "old.md"
    assert main(["render", str(old_path), "--md", str(md), "--html", str(tmp_path / "o.html")]) == 0
    assert "artial run" not in md.read_text(encoding="utf-8")
    assert "partial-run" not in (tmp_path / "o.html").read_text(encoding="utf-8")

    new_path = tmp_path / "partial.json"
    new_path.write_text(dumps(partial), encoding="utf-8")
    assert main(["render", str(new_path), "--html", str(tmp_path / "p.html")]) == 0
    assert 'id="partial-run"' in (tmp_path / "p.html").read_text(encoding="utf-8")
