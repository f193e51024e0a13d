"""Markdown summary, badge, score history and comparison: the reports around the page."""

from __future__ import annotations

import json
import os
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.report.badge import BAND_COLOURS, render_badge
from mltestscore.report.compare import compare_scorecards, comparison_lines, regression_message
from mltestscore.report.history import append_history, history_record, read_history
from mltestscore.report.markdown import md_text, render_markdown

# -- Markdown -------------------------------------------------------------------------------


def test_the_markdown_shows_score_sections_failing_and_missing_items(
    demo_scorecard: dict[str, Any],
) -> None:
    text = render_markdown(demo_scorecard)
    assert text.startswith("## ML Test Score: 0 / 7\n")
    assert "| **Tests for ML infrastructure** (weakest) | 0 / 7 | 0 | 0 | 1 | 6 |" in text
    assert (
        "❌ **infra-1** Training is reproducible: `tests/test_infra.py::test_reproducible`" in text
    )
    assert "**Missing (21)**: data-2, data-3" in text
    assert "**Next steps**" in text
    assert "Departures from the paper" in text


def test_the_markdown_is_short_enough_for_a_pull_request_comment(
    demo_scorecard: dict[str, Any],
) -> None:
    text = render_markdown(demo_scorecard)
    assert len(text.splitlines()) < 60
    assert len(text) < 6000


@given(st.text(max_size=300))
@settings(max_examples=60)
def test_markdown_text_is_one_inert_line(value: str) -> None:
    text = md_text(value)
    assert "\n" not in text
    assert "<" not in text
    assert ">" not in text
    # Bare URLs and @mentions are shown in code spans, the one place backticks may appear.
    spans = re.sub(r"`(?:https?://|ftp://|www\.|@)[^`]*`", "", text, flags=re.IGNORECASE)
    unescaped = spans.replace("\\\\", "")
    for char in "`*_[]|~":
        assert char not in unescaped.replace("\\" + char, "")


# -- badge ----------------------------------------------------------------------------------


def test_the_badge_is_label_and_value_coloured_by_band(make: Any) -> None:
    runs = [
        make.run(f"t.py::t{i}", [item])
        for i, item in enumerate(
            [
                "data-1",
                "data-2",
                "model-1",
                "model-2",
                "infra-1",
                "infra-2",
                "monitor-1",
                "monitor-2",
            ]
        )
    ]
    scorecard = make.scorecard(runs)
    svg = render_badge(scorecard)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["ML Test Score", "ML Test Score", "2 / 7", "2 / 7"]
    assert BAND_COLOURS[2] in svg  # (1, 2]: the third band
    assert BAND_COLOURS[0] in render_badge(make.scorecard([]))


def test_a_longer_label_makes_a_wider_badge(make: Any) -> None:
    short = ET.fromstring(render_badge(make.scorecard([]), label="ML"))
    long = ET.fromstring(render_badge(make.scorecard([]), label="ML Test Score of the ranker"))
    assert int(long.attrib["width"]) > int(short.attrib["width"]) + 100


# -- history --------------------------------------------------------------------------------


def test_each_append_adds_one_line_and_reads_back(tmp_path: Path, demo_scorecard: Any) -> None:
    path = tmp_path / "h" / "mlscore-history.jsonl"
    for _ in range(3):
        append_history(path, history_record(demo_scorecard))
    records, warnings = read_history(path)
    assert warnings == []
    assert len(records) == 3
    assert records[0]["sections"] == {"data": 1.0, "model": 2.5, "infra": 0.0, "monitor": 0.0}
    assert records[0]["commit"] == demo_scorecard["commit"]


def test_corrupt_lines_are_skipped_with_a_warning_never_fatal(
    tmp_path: Path, demo_scorecard: Any
) -> None:
    path = tmp_path / "mlscore-history.jsonl"
    append_history(path, history_record(demo_scorecard))
    with path.open("ab") as handle:
        handle.write(b'{"score": "high"}\nnot json\n\xff\xfe\n[1, 2]\n{"generated_at": "x", "ru')
    append_history(path, history_record(demo_scorecard))  # after a line cut short
    records, warnings = read_history(path)
    assert len(records) == 2
    assert len(warnings) == 1
    assert "skipped 5 corrupt line(s)" in warnings[0]
    assert "line 2 (no numeric 'score')" in warnings[0]


def test_a_missing_history_is_empty_and_a_limit_keeps_the_last_runs(tmp_path: Path) -> None:
    assert read_history(tmp_path / "none.jsonl") == ([], [])
    path = tmp_path / "h.jsonl"
    for score in range(5):
        record = {"generated_at": "t", "rubric": "r", "score": score, "sections": {"a": score}}
        append_history(path, record)
    records, _ = read_history(path, limit=2)
    assert [r["score"] for r in records] == [3, 4]


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    record = {
        "generated_at": "t",
        "rubric": "r",
        "score": 1,
        "sections": {"a": 1},
        "pad": "x" * 5000,
    }

    def worker() -> None:
        for _ in range(20):
            append_history(path, record)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records, warnings = read_history(path)
    assert (len(records), warnings) == (80, [])
    assert (
        os.path.getsize(path) == 80 * len(json.dumps(record, separators=(",", ":")).encode()) + 80
    )


# -- compare --------------------------------------------------------------------------------


def test_a_failing_item_and_a_lower_section_are_a_regression(make: Any) -> None:
    base = make.scorecard([make.run("t.py::s", ["model-6"]), make.run("t.py::d", ["data-1"])])
    current = make.scorecard(
        [make.run("t.py::s", ["model-6"], outcome="failed"), make.run("t.py::m", ["model-5"])]
    )
    comparison = compare_scorecards(base, current, Path("main/mlscore.json"))
    assert comparison["base"]["label"] == "mlscore.json"
    changes = {i["id"]: (i["before"], i["after"], i["change"]) for i in comparison["items"]}
    assert changes == {
        "data-1": ("automated", "missing", "worse"),
        "model-5": ("missing", "automated", "better"),
        "model-6": ("automated", "failing", "worse"),
    }
    assert comparison["regressions"] == ["data 1 → 0"]
    assert regression_message(comparison) == "the score regressed against mlscore.json: data 1 → 0"
    lines = comparison_lines(comparison)
    assert lines[0].startswith("compared with mlscore.json")
    assert "  model-6: automated → failing (worse)" in lines


def test_the_same_scorecard_is_no_regression(demo_scorecard: Any) -> None:
    comparison = compare_scorecards(demo_scorecard, demo_scorecard)
    assert comparison["regressions"] == []
    assert comparison_lines(comparison)[-1] == "  no section or item changed"


def test_scorecards_of_different_rubrics_are_not_compared(make: Any) -> None:
    comparison = compare_scorecards(
        make.scorecard([], rubric="ml-test-score-2016"), make.scorecard([])
    )
    assert not comparison["comparable"]
    assert "not comparable" in comparison["reason"]
    assert regression_message(comparison) is None


@pytest.mark.parametrize("lower", ["data", "model", "infra", "monitor"])
def test_any_lower_section_is_a_regression_even_when_the_final_holds(make: Any, lower: str) -> None:
    from mltestscore.rubric import load_rubric

    rubric = load_rubric("ml-test-score-2017")
    other = "model" if lower == "data" else "data"
    base_runs = [make.run(f"t.py::{i}", [i]) for i in rubric.item_ids if i != f"{other}-7"]
    base = make.scorecard(base_runs)  # final 6: the other section misses one item
    current = make.scorecard([r for r in base_runs if r.claims[0] != f"{lower}-7"])
    comparison = compare_scorecards(base, current)
    assert comparison["final"]["delta"] == 0
    assert comparison["regressions"] == [f"{lower} 7 → 6"]
