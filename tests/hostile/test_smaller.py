"""Defect 8, the smaller ones: SIGTERM, scratch folders, fail_under, thresholds,
mlscore_record ids, display spoofing, live Markdown, symlink loops, non-UTF-8
pyproject.toml, init's write, plus generated configuration values, marker arguments and
evidence strings."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.config import ProjectConfig, load_project_config
from mltestscore.errors import ConfigError, MLScoreError
from mltestscore.interrupts import handle_sigterm, remove_orphaned_scratch, restore_sigterm
from mltestscore.recorder import EvidenceRecorder
from mltestscore.report.html import render_html
from mltestscore.report.markdown import md_text, render_markdown
from mltestscore.rubric import load_rubric
from mltestscore.session import _stray_measurements, check_fail_under
from tests.report.conftest import build, make_check, make_run

RUBRIC = load_rubric("ml-test-score-2017")
SPOOFING = "\u202e\u2066\u200f\x00\x1b"


def _terminate_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)  # the handler runs at the next bytecode


def test_sigterm_interrupts_like_ctrl_c_and_the_old_handler_comes_back() -> None:
    previous = handle_sigterm()
    if previous is None:
        pytest.skip("SIGTERM already has a handler in this process")
    try:
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            _terminate_self()
    finally:
        restore_sigterm(previous)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_killed_runs_scratch_folders_are_removed_by_the_next_run(tmp_path: Path) -> None:
    old = tmp_path / "mltestscore-worker-abc"
    old.mkdir()
    (old / "claims.lock").write_text("")
    fresh = tmp_path / "mltestscore-canary-def"
    fresh.mkdir()
    unrelated = tmp_path / "other-worker-xyz"
    unrelated.mkdir()
    link = tmp_path / "mltestscore-canary-link"
    link.symlink_to(unrelated)
    day_ago = time.time() - 2 * 24 * 3600
    for path in (old, old / "claims.lock", unrelated):
        os.utime(path, (day_ago, day_ago))
    os.utime(link, (day_ago, day_ago), follow_symlinks=False)
    assert remove_orphaned_scratch(tmp_path) == [old]
    assert fresh.is_dir()
    assert unrelated.is_dir()
    assert link.is_symlink()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 7.5, 1e300])
def test_fail_under_outside_zero_to_max_is_a_usage_error(value: float) -> None:
    with pytest.raises(ConfigError, match="must be a number from 0 to 7"):
        check_fail_under(value, RUBRIC)


def test_fail_under_within_range_is_accepted() -> None:
    for value in (None, 0.0, 3.5, 7.0):
        check_fail_under(value, RUBRIC)


@pytest.mark.parametrize("value", ["0.8", float("nan"), True, [0.8]])
def test_a_threshold_of_the_wrong_type_names_its_key(value: object) -> None:
    from mltestscore.suite.catalog import resolve_threshold

    key = "model-7.min_selection_rate_ratio"
    with pytest.raises(ConfigError, match=re.escape(f"thresholds.{key} must be")):
        resolve_threshold(key, value, f"thresholds.{key}")


def test_a_measurement_for_an_unknown_or_unclaimed_item_is_a_warning() -> None:
    measurements = [
        {"name": "auc", "value": 0.9, "item": "modle-6"},
        {"name": "p95", "value": 12, "item": "monitor-6"},
        {"name": "rows", "value": 3, "item": None},
        {"name": "ok", "value": 1, "item": "model-6"},
    ]
    warnings = _stray_measurements("t.py::a", measurements, {"model-6": "marker"}, RUBRIC)
    assert len(warnings) == 2
    assert "unknown rubric id 'modle-6'" in warnings[0]
    assert "did you mean model-6" in warnings[0]
    assert "monitor-6, which this test does not claim" in warnings[1]


def test_spoofing_characters_are_shown_not_obeyed_in_html_and_markdown() -> None:
    message = f"expected.png{SPOOFING}exe.txt"
    scorecard = build(
        [
            make_run(f"t.py::test_{SPOOFING}", ["data-1"], outcome="failed", message=message),
            make_run("t.py::b", [], checks=[make_check("c", ["model-6"], "failed", message)]),
        ]
    )
    html, markdown = render_html(scorecard), render_markdown(scorecard)
    for text in (html, markdown):
        assert not set(SPOOFING) & set(text)
    assert "&lt;U+202E&gt;" in html
    assert "U+202E" in markdown


def test_markdown_never_makes_mentions_or_bare_urls_live() -> None:
    text = md_text("ping @octocat and @org/team, see https://evil.example/a?b and www.x.io")
    assert "`@octocat`" in text
    assert "`@org/team`" in text
    assert "`https://evil.example/a?b`" in text
    assert "`www.x.io`" in text
    outside_code = re.sub(r"`[^`]*`", "", text)
    assert "@" not in outside_code
    assert "://" not in outside_code


def test_a_symlink_loop_in_a_data_path_is_a_configuration_error(tmp_path: Path) -> None:
    from mltestscore.suite.config import _path

    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    with pytest.raises(ConfigError, match="cannot be resolved"):
        _path("loop.csv", "data.train", tmp_path, lambda key: f"[tool.mltestscore] {key}")


def test_a_non_utf8_pyproject_says_how_to_fix_it(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(b'[tool.mltestscore]\nrubric = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"not UTF-8 text: byte .* save the file as UTF-8"):
        load_project_config(pyproject)


def test_init_writes_pyproject_whole_and_never_through_a_link(tmp_path: Path) -> None:
    from mltestscore.init import write_atomically
    from mltestscore.report.atomic import UnsafeTargetError

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n')
    write_atomically(pyproject, '[project]\nname = "x"\n\n[tool.mltestscore]\n')
    assert "[tool.mltestscore]" in pyproject.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["pyproject.toml"]
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('[project]\nname = "y"\n')
    pyproject.unlink()
    pyproject.symlink_to(elsewhere)
    with pytest.raises(UnsafeTargetError):
        write_atomically(pyproject, "[tool.mltestscore]\n")
    assert elsewhere.read_text() == '[project]\nname = "y"\n'


toml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.text(max_size=12)
    | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@settings(max_examples=120, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["map", "manual", "manual_max_age_days", "rubric", "credit", "fail_under"]),
        toml_values,
    )
)
def test_generated_configuration_values_are_accepted_or_a_config_error(
    settings_: dict[str, Any],
) -> None:
    project = ProjectConfig(source="pyproject.toml", root=Path("."), settings=settings_)
    try:
        check_fail_under(project.fail_under, RUBRIC)
        project.credit  # noqa: B018 - the property validates
        project.max_age_days  # noqa: B018
        project.mapping(RUBRIC)
        project.attestations(RUBRIC, date(2026, 12, 7))
        project.rubric  # noqa: B018
    except MLScoreError:
        pass


class _Node(SimpleNamespace):
    nodeid = "t.py::test_x"


@settings(max_examples=120, deadline=None)
@given(st.lists(toml_values | st.sampled_from(RUBRIC.item_ids), max_size=4))
def test_generated_marker_arguments_are_claims_or_named_problems(args: list[Any]) -> None:
    recorder = EvidenceRecorder.__new__(EvidenceRecorder)
    recorder.rubric = RUBRIC
    mark = pytest.mark.mlscore(*args).mark if args else pytest.mark.mlscore.mark
    claims, problems = recorder._claims_from([mark], _Node())  # type: ignore[arg-type]
    assert set(claims) <= RUBRIC.id_set
    assert len(claims) + len(problems) >= min(len(args), 1)


@settings(max_examples=12, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_generated_evidence_strings_stay_inert(nodeid_tail: str, message: str) -> None:
    scorecard = build(
        [
            make_run(f"t.py::{nodeid_tail}", ["data-1"], outcome="failed", message=message),
            make_run("t.py::c", [], checks=[make_check("c", ["model-6"], "error", message)]),
        ]
    )
    html = render_html(scorecard)
    markdown = render_markdown(scorecard)
    for text in (html, markdown):
        assert not set(SPOOFING) & set(text)
    body = html.split("<body", 1)[1]
    assert "<script" not in body.replace('<script type="application/json"', "")


def test_thousands_of_unmatched_map_patterns_give_twenty_warnings_and_a_count(
    pytester: pytest.Pytester,
) -> None:
    """5,000 patterns that match nothing made a 560 KB page, over the 500 KB budget."""
    patterns = "\n".join(f'"tests/old_{i}_*.py::*" = ["data-1"]' for i in range(5000))
    pytester.makepyprojecttoml(f"[tool.mltestscore.map]\n{patterns}\n")
    pytester.makepyfile(test_kept="def test_kept():\n    pass\n")
    pytester.runpytest("--mlscore", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    reports = pytester.path / "reports"
    warnings = json.loads((reports / "mlscore.json").read_text("utf-8"))["warnings"]
    unmatched = [w for w in warnings if "matched no test that ran" in w]
    assert len(unmatched) == 21, unmatched[-2:]
    assert unmatched[-1] == "[tool.mltestscore.map]: 4980 more patterns matched no test that ran"
    assert (reports / "mlscore.html").stat().st_size < 500_000
