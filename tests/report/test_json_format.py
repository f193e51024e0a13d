"""The JSON scorecard's text: exact round trip, one field a line, one element a line."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from mltestscore.report.json_report import dumps


def test_the_json_text_reads_back_to_exactly_the_scorecard(demo_scorecard: Any) -> None:
    assert json.loads(dumps(demo_scorecard)) == demo_scorecard


def test_each_field_and_each_item_starts_a_line_of_its_own(demo_scorecard: Any) -> None:
    lines = dumps(demo_scorecard).splitlines()
    assert lines[0] == "{"
    assert lines[-1] == "}"
    top_level = [line for line in lines if line.startswith('  "')]
    assert [json.loads(line.split(":", 1)[0]) for line in top_level] == list(demo_scorecard)
    start = lines.index('  "items": [')
    item_lines = lines[start + 1 : start + 1 + len(demo_scorecard["items"])]
    parsed = [json.loads(line.strip().removesuffix(",")) for line in item_lines]
    assert parsed == demo_scorecard["items"]


def test_non_ascii_text_is_written_as_itself(demo_scorecard: Any) -> None:
    changed = dict(demo_scorecard, warnings=["Größe: naïve bayes ✓"])
    assert "Größe: naïve bayes ✓" in dumps(changed)


def test_a_nan_is_refused_rather_than_written_as_invalid_json(demo_scorecard: Any) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        dumps(dict(demo_scorecard, score=math.nan))
