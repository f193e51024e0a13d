"""The HTML scorecard as a reader sees it: content, evidence, charts, limits and size."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.report.html import (
    HtmlLimits,
    content_security_policy,
    format_value,
    render_html,
    safe_href,
    table_view,
)

SIZE_BUDGET = 500 * 1024


class Page(HTMLParser):
    """The parsed page: every start tag with its attributes, the text, the style content."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)

    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    def with_class(self, name: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(t, a) for t, a in self.tags if name in (a.get("class") or "").split()]


@pytest.fixture(scope="module")
def demo_page(demo_scorecard: dict[str, Any]) -> tuple[str, Page]:
    html = render_html(demo_scorecard)
    return html, Page(html)


def test_it_shows_the_final_score_and_its_band_in_words(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    text = page.all_text()
    assert "Final ML Test Score" in text
    assert re.search(r"\b0 / 7\b", text)
    assert "Band 0: More of a research project than a productionized system" in text


def test_it_shows_all_28_items_grouped_in_the_four_sections(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    items = page.find("article")
    assert len(items) == 28
    assert [a["id"] for a in items][:2] == ["item-data-1", "item-data-2"]
    assert len(page.with_class("rsec")) == 4


def test_it_names_the_weakest_section_and_the_next_steps_with_remediation(
    demo_page: tuple[str, Page],
) -> None:
    _, page = demo_page
    text = page.all_text()
    assert (
        "Weakest sections: Tests for ML infrastructure (infra, 0), "
        "Monitoring tests for ML (monitor, 0)" in text
    )
    assert "Next steps: what raises the final score most" in text
    assert "Train twice with the same seed" in text  # infra-1's remediation from the rubric
    assert page.find("a", href="#item-infra-1")


def test_each_status_has_an_icon_and_a_word_not_only_a_colour(demo_page: tuple[str, Page]) -> None:
    html, _ = demo_page
    for icon, word in (("✓", "automated"), ("◐", "manual"), ("✗", "failing"), ("○", "missing")):
        assert re.search(rf'aria-hidden="true">{icon}</span> {word}</span>', html), word


def test_the_section_chart_is_inline_svg_out_of_seven(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    charts = page.find("svg", role="img")
    assert charts
    label = charts[0]["aria-label"] or ""
    assert label.startswith("Section scores out of 7: data 1; model 2.5; infra 0; monitor 0")
    assert "0 / 7 weakest" in page.all_text()


def test_a_failing_test_shows_its_node_id_outcome_duration_and_message(
    demo_page: tuple[str, Page],
) -> None:
    _, page = demo_page
    text = page.all_text()
    assert "✗ failed tests/test_infra.py::test_reproducible 2.50 s via marker" in text
    assert "AssertionError: predictions differ on 12 of 1200 rows" in text


def test_a_check_shows_its_reason_measurements_thresholds_and_bars(
    demo_page: tuple[str, Page],
) -> None:
    _, page = demo_page
    text = page.all_text()
    assert "2 of 14 features drift: age (PSI 0.41)" in text
    assert "measured max_psi = 0.41" in text
    assert "thresholds psi = 0.2" in text
    assert "parameters bins = 10 seed = 0" in text
    bars = page.find("rect", **{"class": "neg"})
    assert len(bars) == 2  # sex (PSI -0.01) on the model-7 and monitor-2 copies of the check


def test_test_measurements_render_as_values_and_a_table_with_bars(
    demo_page: tuple[str, Page],
) -> None:
    _, page = demo_page
    text = page.all_text()
    assert "worst slice AUC 0.71" in text
    assert "AUC by slice slice rows auc age bin 0 100 0.7" in text
    assert len([a for t, a in page.tags if t == "svg" and a.get("class") == "bar"]) >= 6


def test_an_http_attestation_is_a_link_and_a_path_stays_text(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    links = [a["href"] for a in page.find("a") if not (a["href"] or "").startswith("#")]
    assert links == ["https://wiki.example.org/ab-tests"]
    assert "docs/review.md" in page.all_text()


def test_an_expired_attestation_is_shown_as_expired(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    text = page.all_text()
    assert "⚠ expired attestation dated 2024-10-01 owner not given" in text
    assert "no longer counts" in text


def test_departures_from_the_paper_and_warnings_are_visible(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    text = page.all_text()
    assert "Departures from the paper" in text
    assert "Credit mode 'passed'" in text
    assert "Manual attestations expire after 365 days" in text
    assert "matched no test that ran" in text


def test_the_filters_are_css_only_radio_inputs(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    radios = page.find("input", type="radio")
    assert [r["id"] for r in radios] == ["show-all", "show-todo", "show-failing", "show-missing"]
    assert {a["for"] for a in page.find("label")} >= {"show-failing", "show-missing"}
    assert "✗ Failing (3)" in page.all_text()


def test_the_csp_forbids_every_load_but_the_inline_stylesheet(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    (meta,) = page.find("meta", **{"http-equiv": "Content-Security-Policy"})
    policy = meta["content"] or ""
    assert policy == content_security_policy()
    assert policy.startswith("default-src 'none';")
    assert "script-src 'none'" in policy
    (style,) = page.styles
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy


def test_the_page_references_nothing_outside_itself(demo_page: tuple[str, Page]) -> None:
    html, page = demo_page
    assert not [t for t, _ in page.tags if t in {"script", "link", "img", "iframe", "object"}]
    assert not [a for _, a in page.tags if "src" in a or "style" in a]
    assert "url(" not in "".join(page.styles)
    assert "@import" not in html


def test_it_has_print_and_phone_width_styles(demo_page: tuple[str, Page]) -> None:
    _, page = demo_page
    css = "".join(page.styles)
    assert "@media print" in css
    assert "@media (max-width:720px)" in css
    assert page.find("meta", name="viewport")


def test_long_messages_and_tables_are_cut_and_the_page_says_so(make: Any) -> None:
    long_message = "x" * 5000
    table = make.slice_table(rows=40)
    scorecard = make.scorecard(
        [
            make.run(
                "tests/t.py::test_long",
                ["data-1"],
                outcome="failed",
                message=long_message,
                measurements=[{"name": "t", "table": table, "item": None}],
            )
        ]
    )
    page = Page(render_html(scorecard))
    text = page.all_text()
    assert "x" * 5000 not in text
    assert "Message shortened; the JSON report has it in full." in text
    assert "30 more rows not shown" in text


def test_many_entries_on_one_item_are_capped_with_failures_first(make: Any) -> None:
    runs = [make.run(f"tests/t.py::test_{i:03}", ["data-1"]) for i in range(60)]
    runs.append(make.run("tests/t.py::test_zz_broken", ["data-1"], outcome="failed", message="no"))
    page = Page(render_html(make.scorecard(runs)))
    text = page.all_text()
    assert "Showing 20 of 61 evidence entries (failures and measurements first)" in text
    assert "61 tests: 60 passed, 1 failed" in text
    assert "tests/t.py::test_zz_broken" in text
    assert "tests/t.py::test_059" not in text


def test_a_score_history_draws_a_trend_of_this_rubric_only(
    demo_scorecard: dict[str, Any],
) -> None:
    history = [
        {
            "rubric": "ml-test-score-2017",
            "generated_at": f"2026-11-{d:02}T10:00:00+00:00",
            "commit": None,
            "score": s,
            "sections": {"data": s, "model": 2, "infra": s, "monitor": 1},
        }
        for d, s in ((1, 0.0), (2, 1.0), (3, 0.5))
    ]
    history.append({**history[0], "rubric": "ml-test-score-2016", "score": 9})
    page = Page(render_html(demo_scorecard, history=history))
    assert "Trend over the last 3 runs" in page.all_text()
    trend = [a for t, a in page.tags if t == "polyline" and a.get("class") == "trend"]
    assert len(trend) == 1
    assert len((trend[0]["points"] or "").split()) == 3


def test_a_comparison_lists_section_and_item_changes(make: Any) -> None:
    from mltestscore.report.compare import compare_scorecards

    base = make.scorecard([make.run("tests/t.py::test_slices", ["model-6"])])
    current = make.scorecard(
        [make.run("tests/t.py::test_slices", ["model-6"], outcome="failed", message="auc")]
    )
    comparison = compare_scorecards(base, current, "main.json")
    text = Page(render_html(current, comparison=comparison)).all_text()
    assert "Compared with main.json" in text
    assert "model-6 : automated → failing (worse)" in text
    assert "Regression: model 1 → 0" in text


def test_the_2016_rubric_draws_sections_out_of_fourteen(make: Any) -> None:
    scorecard = make.scorecard([make.run("t.py::t", ["data-1"])], rubric="ml-test-score-2016")
    page = Page(render_html(scorecard))
    assert (page.find("svg", role="img")[0]["aria-label"] or "").startswith(
        "Section scores out of 14"
    )
    assert "automated (2 pt each)" in page.all_text()


def _synthetic_scorecard(make: Any, tests: int, table_every: int = 3) -> dict[str, Any]:
    """``tests`` tests over the 28 items, most with measurements, a third with a table."""
    from mltestscore.rubric import load_rubric

    ids = load_rubric("ml-test-score-2017").item_ids
    runs = []
    for n in range(tests):
        measurements: list[dict[str, Any]] = [
            {"name": "auc", "value": 0.8 + n / 10_000, "item": None, "unit": None},
            {"name": "latency p95", "value": 12.5, "item": None, "unit": "ms"},
        ]
        if n % table_every == 0:
            measurements.append({"name": "by slice", "table": make.slice_table(10), "item": None})
        outcome = "failed" if n % 17 == 0 else "passed"
        runs.append(
            make.run(
                f"tests/test_model_quality.py::test_quality[slice-{n:04}-{ids[n % 28]}]",
                [ids[n % 28]],
                outcome=outcome,
                message="AssertionError: AUC 0.61 below 0.7 on slice " * 4 if outcome else "",
                measurements=measurements,
            )
        )
    return dict(make.scorecard(runs))


def test_a_run_of_300_tests_with_measurements_stays_under_500_kb(make: Any) -> None:
    html = render_html(_synthetic_scorecard(make, 300))
    assert len(html.encode()) < SIZE_BUDGET


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tests=st.integers(min_value=0, max_value=3000), table_every=st.integers(1, 5))
def test_the_page_stays_under_the_budget_however_much_a_run_records(
    make: Any, tests: int, table_every: int
) -> None:
    html = render_html(_synthetic_scorecard(make, tests, table_every))
    assert len(html.encode()) < SIZE_BUDGET


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://wiki.example.org/x", "https://wiki.example.org/x"),
        ("http://example.org", "http://example.org"),
        ("  HTTPS://EXAMPLE.ORG/a ", "HTTPS://EXAMPLE.ORG/a"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//evil.example/x", None),
        ("docs/review.md", None),
        ("https://", None),
        ("https://a.example/x y", None),
        ("https:\\\\evil.example", None),
        (None, None),
    ],
)
def test_only_plain_http_links_become_links(url: str | None, expected: str | None) -> None:
    assert safe_href(url) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (True, "true"),
        (3, "3"),
        (0.123456, "0.1235"),
        (123456.7, "123,457"),
        (float("nan"), "NaN"),
        (1e-7, "1e-07"),
        ("text", "text"),
    ],
)
def test_values_are_formatted_for_people(value: object, shown: str) -> None:
    assert format_value(value) == shown


def test_bars_start_at_zero_and_negative_values_go_left() -> None:
    view = table_view(
        {
            "title": "t",
            "columns": ["f", "v"],
            "rows": [["a", 1.0], ["b", -1.0], ["c", "x"]],
            "chart": "v",
        },
        HtmlLimits(),
    )
    first, second, third = (row["bar"] for row in view["rows"])
    assert first == {"x": 40.0, "width": 40.0, "negative": False}
    assert second == {"x": 0.0, "width": 40.0, "negative": True}
    assert third is None


def test_where_a_check_ran_is_shown_on_its_own_line_however_many_figures_it_measured() -> None:
    """A model check on an engine sample (docs/bigdata.md) with more figures than an entry
    shows: the engine, the rows and the seed are on a "ran on" line, not cut with the rest."""
    from tests.report.conftest import build, make_check, make_run

    figures: dict[str, Any] = {f"figure_{i:02d}": i for i in range(20)}
    figures.update(engine="polars", rows_scanned=2_000_000, rows_sampled=100_000)
    check = make_check(
        "check_slice_quality",
        ["model-6"],
        measurements=figures,
        parameters={"n_bootstrap": 100, "sample_seed": 0, "sampled_data": "test"},
    )
    run = make_run("mlscore::model-6::slices[sex]", ["model-6"], checks=[check])
    text = Page(render_html(build([run]))).all_text()
    assert (
        "ran on engine = polars rows_scanned = 2000000 rows_sampled = 100000 "
        "sample_seed = 0 sampled_data = test measured figure_00 = 0" in text
    )
    assert "figure_11 = 11" in text
    assert "figure_12" not in text  # the figures past the cap are cut, the origin is not
    assert "parameters n_bootstrap = 100" in text
    assert text.count("sample_seed") == 1
