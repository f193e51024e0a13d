"""Defects 4 and 6: hostile comparison bases and hostile JSON for ``mltestscore render``."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.cli import main
from mltestscore.errors import MLScoreError
from mltestscore.exit_codes import EXIT_NO_BASE
from mltestscore.report.html import sections_chart, tick_values
from mltestscore.report.json_report import dumps, read_json
from mltestscore.scorecard import Scorecard
from tests.report.conftest import build, make_run

_SCORECARD = build([make_run("t.py::a", ["data-1"])])

HOSTILE_BASES: list[tuple[bytes, str]] = [
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
    (b'{"schema_version": 1, "score": NaN}', "NaN is not a score"),
    (b'{"schema_version": 1, "score": 1e999}', "1e999 is not a score"),
    (b'{"schema_version": 1, "score": -Infinity}', "-Infinity is not a score"),
]


@pytest.mark.parametrize(("content", "message"), HOSTILE_BASES)
def test_a_hostile_base_is_refused_with_a_clear_message(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "base.json"
    path.write_bytes(content)
    with pytest.raises(MLScoreError, match=message):
        read_json(path)


def _with_nan_scores(scorecard: Scorecard) -> str:
    text = dumps(scorecard)
    data = json.loads(text)
    data["score"] = math.nan
    for section in data["sections"]:
        section["score"] = math.nan
    return json.dumps(data)


def test_diff_refuses_a_base_whose_scores_are_nan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, current = tmp_path / "base.json", tmp_path / "current.json"
    base.write_text(_with_nan_scores(_SCORECARD))
    current.write_text(dumps(_SCORECARD))
    assert main(["diff", str(base), str(current), "--fail-on-regression"]) == 2
    assert "NaN is not a score" in capsys.readouterr().err


def test_diff_tells_no_base_yet_from_a_broken_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = tmp_path / "current.json"
    current.write_text(dumps(_SCORECARD))
    missing = tmp_path / "main.json"
    assert main(["diff", str(missing), str(current), "--fail-on-regression"]) == EXIT_NO_BASE
    assert "no base yet" in capsys.readouterr().err
    missing.write_text("{")
    assert main(["diff", str(missing), str(current), "--fail-on-regression"]) == 2
    assert "is not JSON" in capsys.readouterr().err


def test_the_chart_of_a_huge_maximum_has_a_few_ticks() -> None:
    data = json.loads(dumps(_SCORECARD))
    for section in data["sections"]:
        section["max"] = 1e300
    chart = sections_chart(data)
    assert 2 <= len(chart["ticks"]) <= 11
    assert all(len(tick_values(m)) <= 12 for m in (0.0, 1.0, 7.0, 14.0, 99.0, 1e300, 1e308))


def test_render_of_a_schema_valid_huge_maximum_exits_0_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(dumps(_SCORECARD))
    for section in data["sections"]:
        section["max"] = 1e300
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    assert main(["render", str(path), "--md", str(tmp_path / "s.md")]) == 0
    assert (tmp_path / "s.md").is_file()


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:2]):
            found.extend(_paths(inner, (*prefix, index)))
    return found


_PATHS = _paths(json.loads(dumps(build([make_run("t.py::a", ["data-1"], message="x")]))))[1:]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(_PATHS), json_values), min_size=1, max_size=3))
def test_render_on_a_mutated_scorecard_exits_0_or_2_never_a_traceback(
    capsys: pytest.CaptureFixture[str], mutations: list[tuple[tuple[Any, ...], Any]]
) -> None:
    data = json.loads(dumps(build([make_run("t.py::a", ["data-1"], message="x")])))
    for path, value in mutations:
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "s.json"
        source.write_text(json.dumps(data), encoding="utf-8")
        out = Path(folder)
        code = main(
            [
                "render",
                str(source),
                "--html",
                str(out / "s.html"),
                "--md",
                str(out / "s.md"),
                "--badge",
                str(out / "b.svg"),
            ]
        )
    captured = capsys.readouterr()
    assert code in (0, 2), captured.err
    assert "Traceback" not in captured.err


def test_pytest_tells_no_base_yet_from_a_broken_base(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.mlscore('data-1')\ndef test_a():\n    pass\n")
    gate = ["--mlscore", "--mlscore-compare=main.json", "--mlscore-fail-on-regression"]
    result = pytester.runpytest(*gate)
    assert result.ret == EXIT_NO_BASE
    result.stdout.fnmatch_lines(["mlscore: no comparison: no base yet: *main.json*"])
    (pytester.path / "main.json").write_bytes(b"\xff\xfe not utf-8")
    result = pytester.runpytest(*gate)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["mlscore: no comparison: the base is broken: *not UTF-8*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
