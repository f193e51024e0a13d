"""``mltestscore card`` end to end: a real scorecard from ``pytest --mlscore`` on the Adult
project (slices, fairness, an explanation, baselines and a planted drift failure) becomes a
model card in the layout of Mitchell et al. whose numbers are the scorecard's, whose
limitations are the failing items, and whose team-only sections are explicit placeholders;
text from the project cannot break its Markdown."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mltestscore.cli import main
from mltestscore.report.card import PLACEHOLDER, markdown_text, render_card
from tests.suite.conftest import Project

SECTIONS = (
    "## Model details",
    "## Intended use",
    "## Factors",
    "## Metrics",
    "## Evaluation data",
    "## Training data",
    "## Quantitative analyses",
    "## Ethical considerations",
    "## Caveats and recommendations",
)


def test_the_card_carries_the_scorecards_figures_and_its_failing_items(
    pytester: pytest.Pytester, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.write(pytester, project.keys(serving=str(project.shifted)))
    pytester.runpytest("--mlscore", "-k", "slices or fairness or explanation or baselines or drift")
    report = pytester.path / "reports" / "mlscore.json"
    scorecard = json.loads(report.read_text())
    assert main(["card", str(report), "--model-name", "adult income | v2"]) == 0
    card = (report.parent / "model-card.md").read_text()
    assert "model card:" in capsys.readouterr().out

    for heading in SECTIONS:
        assert heading in card
    assert (
        card.count(markdown_text(PLACEHOLDER)) >= 6
    )  # intended use, data, ethics: the team's to write
    assert "# Model card: adult income \\| v2" in card
    assert f"**{markdown_text(scorecard['score'])}** of" in card
    checks = {
        e["check"]: e
        for item in scorecard["items"]
        for e in item["evidence"]
        if e["kind"] == "check"
    }
    # Slices, fairness and explanation tables, from the checks that ran.
    for name in ("check_slice_quality", "check_group_fairness"):
        for table in checks[name].get("tables", []):
            assert f"**{markdown_text(table['title'])}**" in card
    assert "- check\\_single\\_example\\_explanation: **passed**" in card
    # The metrics table holds the baselines' measured numbers.
    for key, value in checks["check_simpler_model_is_not_better"]["measurements"].items():
        if isinstance(value, float):
            assert (
                f"| check\\_simpler\\_model\\_is\\_not\\_better | {markdown_text(key)} | {markdown_text(value)} |"
                in card
            )
    # The planted shift fails monitor-3: a limitation, with its reason.
    assert checks["check_feature_drift"]["outcome"] == "failed"
    caveats = card.split("## Caveats and recommendations")[1]
    assert "**monitor-3**" in caveats
    assert markdown_text(checks["check_feature_drift"]["reason"])[:60] in caveats


def test_text_from_the_project_cannot_break_the_cards_markdown() -> None:
    assert markdown_text("a | b") == "a \\| b"
    assert markdown_text("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert(1)\\>"
    assert markdown_text("[link](javascript:x)") == "\\[link\\](javascript:x)"
    assert markdown_text("line one\n# line two") == "line one \\# line two"
    assert markdown_text(0.123456) == "0.1235"
    assert markdown_text(None) == "—"


def test_a_hostile_column_name_or_reason_stays_text_inside_its_table_cell(
    pytester: pytest.Pytester, project: Project
) -> None:
    Project.write(pytester, project.keys())
    pytester.runpytest("--mlscore", "-k", "slices")
    scorecard: Any = json.loads((pytester.path / "reports" / "mlscore.json").read_text())
    item = next(i for i in scorecard["items"] if i["id"] == "model-6")
    evidence = next(e for e in item["evidence"] if e["kind"] == "check")
    table = evidence["tables"][0]
    table["columns"][0] = "slice | <b>bold</b>"
    table["rows"][0][0] = "a\n| b |"
    card = render_card(scorecard)
    header = next(line for line in card.splitlines() if "slice \\| \\<b\\>" in line)
    cell_borders = re.findall(r"(?<!\\)\|", header)  # the unescaped pipes
    assert len(cell_borders) == len(table["columns"]) + 1
    assert "<b>" not in card
