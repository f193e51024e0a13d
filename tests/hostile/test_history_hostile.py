"""Defect 3: one bad history line broke every later run, and a long history was read whole."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.report.history import append_history, history_record, read_history
from mltestscore.report.outputs import ReportOptions, write_reports
from mltestscore.scorecard import Scorecard
from tests.report.conftest import build

DEEP = b"[" * 20_000 + b"]" * 20_000
HOSTILE_LINES = [
    DEEP,
    b'{"score": 1, "generated_at": "\\ud800", "rubric": "r", "sections": {}}',
    b"\xff\xfe not utf-8",
    b'{"score": NaN, "generated_at": "x", "rubric": "r", "sections": {}}',
    b'{"score": 1e999, "generated_at": "x", "rubric": "r", "sections": {}}',
    b'{"score": 1, "generated_at": "x", "rubric": "r", "sections": {"data": Infinity}}',
    b"x" * 200_000,
]


def test_every_hostile_line_is_skipped_with_its_file_and_line_named(
    tmp_path: Path, scorecard: Scorecard
) -> None:
    path = tmp_path / "mlscore-history.jsonl"
    append_history(path, history_record(scorecard))
    with path.open("ab") as handle:
        handle.write(b"\n".join(HOSTILE_LINES) + b"\n")
    append_history(path, history_record(scorecard))
    records, warnings = read_history(path)
    assert len(records) == 2
    (warning,) = warnings
    assert str(path) in warning
    assert f"skipped {len(HOSTILE_LINES)} corrupt line(s)" in warning
    assert "line 2 (JSON nested too deeply)" in warning
    assert "line 3 (a lone surrogate escape)" in warning
    assert "line 4 (not UTF-8)" in warning


def test_a_run_after_a_hostile_line_still_writes_every_report(
    tmp_path: Path, scorecard: Scorecard
) -> None:
    history = tmp_path / "mlscore-history.jsonl"
    history.write_bytes(b"\n".join(HOSTILE_LINES) + b"\n")
    options = ReportOptions(json=tmp_path / "s.json", html=tmp_path / "s.html", history=history)
    outcome = write_reports(scorecard, options)
    assert outcome.problems == []
    assert [label for label, _ in outcome.written] == [
        "JSON scorecard",
        "score history",
        "HTML scorecard",
    ]
    assert "skipped 7 corrupt line(s)" in outcome.warnings[0]


def test_a_long_history_is_read_in_bounded_memory(tmp_path: Path, scorecard: Scorecard) -> None:
    line = json.dumps(history_record(scorecard)).encode() + b"\n"
    path = tmp_path / "long.jsonl"
    with path.open("wb") as handle:
        handle.write(line * (2_000_000 // len(line)))  # about 2 MB
    tracemalloc.start()
    try:
        records, _ = read_history(path, limit=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(records) == 30
    assert peak < 1_000_000  # the whole file would be 2 MB, its records far more


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=200) | st.text(max_size=80).map(str.encode), max_size=8))
def test_no_history_content_raises(lines: list[bytes]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "h.jsonl"
        path.write_bytes(b"\n".join(lines))
        records, _warnings = read_history(path)
        for record in records:
            json.dumps(record, ensure_ascii=False).encode("utf-8")  # renderable


_SCORECARD = build()

json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "score": json_values,
            "sections": json_values,
            "generated_at": json_values,
            "rubric": st.just("ml-test-score-2017") | json_values,
            "commit": json_values,
            "partial": json_values,
        },
    )
)
def test_generated_history_records_chart_or_are_skipped(record: dict[str, object]) -> None:
    import tempfile

    from mltestscore.report.html import HtmlLimits, history_chart

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "h.jsonl"
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
        records, _ = read_history(path)
        history_chart(records, _SCORECARD, HtmlLimits())
