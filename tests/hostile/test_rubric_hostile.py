"""Defect 7: own rubrics were trusted blindly (infinite or NaN points and band edges,
duplicated ids, a modified rubric calling itself ml-test-score-2017)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.errors import RubricError
from mltestscore.report.badge import render_badge
from mltestscore.report.compare import compare_scorecards
from mltestscore.report.html import render_html
from mltestscore.report.markdown import render_markdown
from mltestscore.report.terminal import summary_lines
from mltestscore.rubric import MODIFIED_LABEL, load_rubric, rubric_dir
from mltestscore.scorecard import build_scorecard


def _own(tmp_path: Path, text: str, name: str = "own.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    load_rubric.cache_clear()
    return str(path)


EASIER = (
    "schema_version: 1\nextends: ml-test-score-2017\nid: ml-test-score-2017\n"
    "title: The ML Test Score (2017)\n"
    "scoring:\n  points: {{missing: 0, manual: {manual}, automated: {automated}}}\n"
    "  section: sum\n  final: min\n  bands:\n    - {{upper: 0, label: a}}\n    - {{upper: {edge}, label: b}}\n"
    "    - {{upper: null, label: c}}\n"
)


@pytest.mark.parametrize(
    ("manual", "automated", "edge", "message"),
    [
        (".inf", ".inf", "1", "points.manual must be a finite number"),
        (".nan", "1", "1", "points.manual must be a finite number"),
        ("0.5", "1.0e+300", "1", "points.automated must be a finite number"),
        ("0.5", "1", ".inf", "upper must be a finite number"),
        ("0.5", "1", ".nan", "upper must be a finite number"),
        ("0", "0", "1", "automated: 0 is less than or equal to the minimum"),
    ],
)
def test_non_finite_or_absurd_numbers_are_refused(
    tmp_path: Path, manual: str, automated: str, edge: str, message: str
) -> None:
    path = _own(tmp_path, EASIER.format(manual=manual, automated=automated, edge=edge))
    with pytest.raises(RubricError, match=message):
        load_rubric(path)


def test_a_repeated_section_id_is_refused(tmp_path: Path) -> None:
    item = "      - {id: x-1, title: t, guidance: g, remediation: r}\n"
    text = (
        "schema_version: 1\nid: own\ntitle: Own\nsource: me\n"
        "scoring:\n  points: {missing: 0, manual: 0.5, automated: 1}\n"
        "  section: sum\n  final: min\n  bands:\n    - {upper: 0, label: a}\n    - {upper: null, label: b}\n"
        "sections:\n  - id: x\n    title: X\n    items:\n"
        + item
        + "  - id: x\n    title: X again\n"
        "    items:\n" + item.replace("x-1", "x-2")
    )
    with pytest.raises(RubricError, match="section id 'x' appears twice"):
        load_rubric(_own(tmp_path, text))


def test_a_modified_rubric_calling_itself_official_is_labelled_in_every_report(
    tmp_path: Path,
) -> None:
    rubric = load_rubric(_own(tmp_path, EASIER.format(manual=1, automated=1, edge=1)))
    assert rubric.id == "ml-test-score-2017"
    assert rubric.modified
    scorecard = build_scorecard(rubric, [], [])
    assert scorecard["rubric"]["modified"] is True
    assert MODIFIED_LABEL in scorecard["rubric"]["title"]
    assert any("not comparable with official ones" in w for w in scorecard["warnings"])
    assert MODIFIED_LABEL in render_html(scorecard)
    assert MODIFIED_LABEL in render_markdown(scorecard)
    assert any(MODIFIED_LABEL in line for line in summary_lines(scorecard))
    assert "0 / 7 (modified rubric)" in render_badge(scorecard)  # the badge looked official
    load_rubric.cache_clear()


def test_the_regression_gate_never_compares_a_modified_rubric_with_the_official_one(
    tmp_path: Path,
) -> None:
    official = build_scorecard(load_rubric("ml-test-score-2017"), [], [])
    easier = build_scorecard(
        load_rubric(_own(tmp_path, EASIER.format(manual=1, automated=2, edge=1))), [], []
    )
    load_rubric.cache_clear()
    for base, current, first in [(official, easier, "this run"), (easier, official, "base")]:
        comparison = compare_scorecards(base, current, "base")
        assert comparison["comparable"] is False  # before: compared, the easier points passed
        assert comparison["reason"] == (
            f"{first} was scored with a modified ml-test-score-2017 rubric (not the official "
            f"one), {'base' if first == 'this run' else 'this run'} with the official one: "
            "the scores are not comparable."
        )
    assert compare_scorecards(official, official, "base")["comparable"] is True
    assert compare_scorecards(easier, easier, "base")["comparable"] is True


def test_the_shipped_rubrics_and_verbatim_copies_are_official(tmp_path: Path) -> None:
    for name in ("ml-test-score-2017", "ml-test-score-2016"):
        load_rubric.cache_clear()
        assert not load_rubric(name).modified
    copy = (rubric_dir() / "ml-test-score-2017.yaml").read_text(encoding="utf-8")
    official = load_rubric(_own(tmp_path, copy, "copy.yaml"))
    assert not official.modified
    assert official.fingerprint == load_rubric("ml-test-score-2017").fingerprint
    load_rubric.cache_clear()


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=60, deadline=None)
@given(
    rubric_id=st.sampled_from(["own", "ml-test-score-2017"]) | st.text(max_size=8),
    manual=values,
    automated=values,
    edge=values,
    section_ids=st.lists(st.sampled_from(["data", "model", "x", ""]), min_size=1, max_size=3),
)
def test_generated_rubric_files_load_or_give_a_rubric_error(
    rubric_id: object, manual: object, automated: object, edge: object, section_ids: list[str]
) -> None:
    data = {
        "schema_version": 1,
        "id": rubric_id,
        "title": "Generated",
        "source": "hypothesis",
        "scoring": {
            "points": {"missing": 0, "manual": manual, "automated": automated},
            "section": "sum",
            "final": "min",
            "bands": [
                {"upper": 0, "label": "a"},
                {"upper": edge, "label": "b"},
                {"upper": None, "label": "c"},
            ],
        },
        "sections": [
            {
                "id": s,
                "title": s,
                "items": [{"id": f"{s}-1", "title": "t", "guidance": "g", "remediation": "r"}],
            }
            for s in section_ids
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        load_rubric.cache_clear()
        try:
            rubric = load_rubric(str(path))
        except RubricError:
            return
        finally:
            load_rubric.cache_clear()
    scorecard = build_scorecard(rubric, [], [])
    render_html(scorecard)
