"""The HTML scorecard in a real headless Chromium: it loads cleanly from disk, shows the
score and all 28 items, the filter works with a real click, printing shows every item, and a
phone-width screen needs no sideways scrolling. Screenshots are kept as test artifacts in
``reports/test-artifacts/``."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mltestscore.report.html import write_html

from .conftest import demo_runs

VISIBLE_ITEMS = (
    "[...document.querySelectorAll('article.item')].filter(e => e.getClientRects().length > 0)"
)


@pytest.fixture(scope="module")
def scorecard_page(demo_scorecard: dict[str, Any], artifacts_dir: Path) -> Path:
    history = [
        {
            "rubric": "ml-test-score-2017",
            "generated_at": f"2026-11-{day:02}T09:00:00+00:00",
            "commit": f"{day:040x}",
            "score": score,
            "sections": {"data": data, "model": model, "infra": score, "monitor": 1.0},
        }
        for day, score, data, model in (
            (20, 0.0, 0.0, 1.0),
            (23, 0.5, 1.0, 1.5),
            (26, 1.0, 1.0, 2.5),
            (30, 0.0, 1.0, 2.5),
        )
    ]
    return write_html(demo_scorecard, artifacts_dir / "scorecard.html", history=history)


class Articles(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self.ids.append(dict(attrs).get("id") or "")


def test_chromium_dumps_a_dom_with_the_score_and_all_28_items(
    chromium_cli: Callable[..., Any], scorecard_page: Path
) -> None:
    result = chromium_cli("--dump-dom", scorecard_page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    parser = Articles()
    parser.feed(result.stdout)
    assert len(parser.ids) == 28
    assert 'id="final-score"' in result.stdout


def test_chromium_takes_a_screenshot_from_the_command_line(
    chromium_cli: Callable[..., Any], scorecard_page: Path, artifacts_dir: Path
) -> None:
    shot = artifacts_dir / "scorecard-cli.png"
    shot.unlink(missing_ok=True)
    result = chromium_cli(
        f"--screenshot={shot}", "--window-size=1280,1600", scorecard_page.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_loads_without_console_errors_and_shows_score_and_items(
    devtools: Any, scorecard_page: Path, artifacts_dir: Path
) -> None:
    devtools.open_page(scorecard_page.as_uri(), width=1280, height=900)
    assert devtools.evaluate("document.querySelector('#final-score .big').innerText") == "0"
    assert devtools.evaluate(f"{VISIBLE_ITEMS}.length") == 28
    assert devtools.evaluate("document.querySelectorAll('svg.chart').length") == 2
    shot = devtools.screenshot(artifacts_dir / "scorecard.png")
    assert shot.stat().st_size > 10_000
    assert devtools.console_errors() == []


def test_the_failing_filter_shows_only_failing_items_and_print_shows_all(
    devtools: Any, scorecard_page: Path, artifacts_dir: Path
) -> None:
    devtools.open_page(scorecard_page.as_uri(), width=1280, height=900)
    devtools.click("label[for=show-failing]")
    shown = devtools.evaluate(f"{VISIBLE_ITEMS}.map(e => e.id)")
    assert shown == ["item-infra-1", "item-monitor-2", "item-monitor-7"]
    devtools.screenshot(artifacts_dir / "scorecard-failing.png")
    devtools.click("label[for=show-missing]")
    assert devtools.evaluate(f"{VISIBLE_ITEMS}.every(e => e.dataset.status === 'missing')")
    devtools.send("Emulation.setEmulatedMedia", {"media": "print"})
    assert devtools.evaluate(f"{VISIBLE_ITEMS}.length") == 28
    assert devtools.console_errors() == []


def test_a_phone_width_screen_needs_no_sideways_scrolling(
    devtools: Any, scorecard_page: Path, artifacts_dir: Path
) -> None:
    devtools.open_page(scorecard_page.as_uri(), width=390, height=844, mobile=True)
    assert devtools.evaluate("document.documentElement.scrollWidth") <= 390
    assert devtools.evaluate(f"{VISIBLE_ITEMS}.length") == 28
    devtools.screenshot(artifacts_dir / "scorecard-phone.png")
    assert devtools.console_errors() == []


def test_the_console_probe_catches_what_the_policy_blocks(devtools: Any, tmp_path: Path) -> None:
    """The 'no console errors' checks above can fail: a page with the scorecard's policy and
    an inline script and remote image produces errors."""
    from mltestscore.report.html import content_security_policy

    page = tmp_path / "blocked.html"
    page.write_text(
        f'<!DOCTYPE html><meta http-equiv="Content-Security-Policy" '
        f'content="{content_security_policy()}"><script>document.title = "ran"</script>'
        '<img src="https://example.invalid/x.png"><p>blocked</p>'
    )
    devtools.open_page(page.as_uri(), width=800, height=600)
    assert devtools.evaluate("document.title") != "ran"
    assert devtools.console_errors()


def test_a_partial_run_shows_its_banner_above_the_score_with_no_console_errors(
    devtools: Any, scorecard_factory: Callable[..., Any], artifacts_dir: Path
) -> None:
    reasons = ['-k "<img src=x onerror=alert(1)>"', "3 tests deselected"]
    scorecard = scorecard_factory(demo_runs(), selection={"reasons": reasons})
    page = write_html(scorecard, artifacts_dir / "scorecard-partial.html")
    devtools.open_page(page.as_uri(), width=1280, height=900)
    banner = "document.querySelector('#partial-run')"
    assert devtools.evaluate(f"{banner}.getClientRects().length") == 1
    assert devtools.evaluate(f"[...{banner}.querySelectorAll('li')].map(e => e.innerText)") == (
        reasons
    )
    assert devtools.evaluate("document.querySelectorAll('img').length") == 0
    above = f"{banner}.getBoundingClientRect().bottom <= "
    assert devtools.evaluate(
        above + "document.querySelector('#final-score').getBoundingClientRect().top"
    )
    assert devtools.evaluate(f"getComputedStyle({banner}).borderLeftWidth") == "8px"
    assert devtools.evaluate(f"{VISIBLE_ITEMS}.length") == 28
    devtools.screenshot(artifacts_dir / "scorecard-partial.png")
    assert devtools.console_errors() == []
