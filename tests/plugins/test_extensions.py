"""The plugin mechanism: discovery through the mltestscore.plugins entry-point group.

Each test installs small fake distributions (a package plus a ``.dist-info`` with
``entry_points.txt``) on ``sys.path``, which is all ``importlib.metadata`` needs.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltestscore import extensions
from mltestscore.checks import all_checks
from mltestscore.checks.result import CheckResult
from mltestscore.cli import main

GOOD_CHECKS = '''
"""Checks of the fake plugin."""
from mltestscore.checks.registry import register_check
from mltestscore.checks.result import CheckResult


@register_check("model-5")
def check_fake_baseline(score: float) -> CheckResult:
    """A fake baseline comparison contributed by a plugin."""
    return CheckResult.judge(score > 0.5, "check_fake_baseline", ["model-5"], f"score {score}")
'''

GOOD_PLUGIN = """
from mltestscore.extensions import Plugin

PLUGIN = Plugin(
    name="fake",
    description="A fake plugin for tests.",
    check_modules=("fakeplugin.checks",),
    adapters={"fake-results": "fakeplugin.adapter:read_results"},
    requirements_check="fakeplugin.plugin:problems",
)


def problems() -> list[str]:
    return []
"""

ADAPTER = """
from mltestscore.checks.result import CheckResult


def read_results(value: float) -> list[CheckResult]:
    return [CheckResult.passed("fake-results", ["data-2"], f"value {value}")]
"""


def _distribution(root: Path, dist: str, package: str, files: dict[str, str], entry: str) -> None:
    (root / package).mkdir(parents=True)
    for name, text in files.items():
        (root / package / name).write_text(textwrap.dedent(text), encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(f"[mltestscore.plugins]\n{entry}\n")


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A good plugin and three broken ones, installed on sys.path for one test."""
    root = tmp_path / "site"
    _distribution(
        root,
        "fake-plugin",
        "fakeplugin",
        {
            "__init__.py": "",
            "checks.py": GOOD_CHECKS,
            "plugin.py": GOOD_PLUGIN,
            "adapter.py": ADAPTER,
        },
        "fake = fakeplugin.plugin:PLUGIN",
    )
    _distribution(
        root,
        "broken-plugin",
        "brokenplugin",
        {"__init__.py": "import numpy_that_is_not_installed\n"},
        "broken = brokenplugin:PLUGIN",
    )
    _distribution(
        root,
        "wrong-plugin",
        "wrongplugin",
        {"__init__.py": "PLUGIN = 42\n"},
        "wrong = wrongplugin:PLUGIN",
    )
    _distribution(
        root,
        "unhappy-plugin",
        "unhappyplugin",
        {
            "__init__.py": "",
            "plugin.py": (
                "from mltestscore.extensions import Plugin\n"
                "PLUGIN = Plugin('unhappy', check_modules=('unhappyplugin.gone',),"
                " requirements_check='unhappyplugin.plugin:problems')\n"
                "def problems():\n    return ['numpy 2.4 is installed; needs numpy < 2']\n"
            ),
        },
        "unhappy = unhappyplugin.plugin:PLUGIN",
    )
    monkeypatch.syspath_prepend(str(root))
    extensions.discover_plugins(refresh=True)
    yield root
    for name in [
        m
        for m in sys.modules
        if m.split(".")[0].endswith("plugin")
        and m.split(".")[0] in {"fakeplugin", "brokenplugin", "wrongplugin", "unhappyplugin"}
    ]:
        del sys.modules[name]
    monkeypatch.undo()
    extensions.discover_plugins(refresh=True)


def _by_name() -> dict[str, extensions.LoadedPlugin]:
    return {p.name: p for p in extensions.discover_plugins()}


def test_it_loads_an_installed_plugin_and_lists_its_checks_and_adapters(installed: Path) -> None:
    fake = _by_name()["fake"]

    assert fake.ok
    assert fake.distribution == "fake-plugin"
    assert fake.version == "0.3"
    assert [c.name for c in fake.checks] == ["check_fake_baseline"]
    assert fake.adapters == ("fake-results",)
    assert fake.description == "A fake plugin for tests."


def test_plugin_checks_are_listed_beside_all_checks_but_not_in_it(installed: Path) -> None:
    contributed = [c.name for c in extensions.plugin_checks()]

    assert contributed == ["check_fake_baseline"]
    assert "check_fake_baseline" not in {c.name for c in all_checks()}


def test_a_contributed_check_records_like_a_built_in_one(installed: Path) -> None:
    check = next(c for c in extensions.plugin_checks() if c.name == "check_fake_baseline")

    assert check.function(0.9).ok
    assert check.function("not a number").outcome.value == "error"


def test_an_adapter_is_found_by_name(installed: Path) -> None:
    results = extensions.get_adapter("fake-results")(3.0)

    assert isinstance(results[0], CheckResult)
    assert results[0].rubric_ids == ("data-2",)


def test_an_unknown_adapter_names_the_ones_installed(installed: Path) -> None:
    with pytest.raises(LookupError, match="installed adapters: fake-results"):
        extensions.get_adapter("nope")


def test_a_plugin_that_fails_to_import_becomes_a_problem_not_an_exception(installed: Path) -> None:
    broken = _by_name()["broken"]

    assert not broken.ok
    assert "could not load: ModuleNotFoundError" in broken.problems[0]
    assert "numpy_that_is_not_installed" in broken.problems[0]


def test_an_entry_point_that_is_not_a_plugin_is_a_problem(installed: Path) -> None:
    wrong = _by_name()["wrong"]

    assert "gives a int, not a mltestscore Plugin" in wrong.problems[0]


def test_missing_check_modules_and_failed_requirements_are_problems(installed: Path) -> None:
    unhappy = _by_name()["unhappy"]

    assert any("could not import check module unhappyplugin.gone" in p for p in unhappy.problems)
    assert "numpy 2.4 is installed; needs numpy < 2" in unhappy.problems


def test_plugin_warnings_are_one_line_each_naming_the_plugin(installed: Path) -> None:
    warnings = extensions.plugin_warnings()

    assert len(warnings) == 4
    assert all(w.startswith("plugin '") for w in warnings)
    assert any(
        w.startswith("plugin 'broken' (broken = brokenplugin:PLUGIN): could not load")
        for w in warnings
    )
    assert not any("'fake'" in w for w in warnings)


def test_the_plugins_command_lists_plugins_checks_adapters_and_problems(
    installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["plugins"])

    out = capsys.readouterr().out
    assert code == 0
    assert "fake (fake-plugin 0.3): loaded  [fake = fakeplugin.plugin:PLUGIN]" in out
    assert (
        "check   check_fake_baseline (model-5): A fake baseline comparison contributed by a plugin."
        in out
    )
    assert "adapter fake-results" in out
    assert "broken (broken-plugin 0.3): FAILED TO LOAD" in out
    assert "problem could not load: ModuleNotFoundError" in out


def test_the_plugins_command_with_strict_exits_2_when_a_plugin_failed(
    installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "--strict"]) == 2
    assert "plugins that failed to load: broken, unhappy, wrong" in capsys.readouterr().err


def test_the_plugins_command_says_when_none_is_installed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extensions, "discover_plugins", lambda **_: [])

    assert main(["plugins"]) == 0
    assert (
        "no plugins installed (entry-point group 'mltestscore.plugins')" in capsys.readouterr().out
    )


def test_a_broken_plugin_is_a_scorecard_warning_and_the_run_still_scores(
    installed: Path, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(
        test_model="""
        import pytest

        @pytest.mark.mlscore("model-5")
        def test_baseline():
            assert True
        """
    )

    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider", "-p", "no:randomly")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*warning: plugin 'broken' (broken = brokenplugin:PLUGIN): could not load*"]
    )
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text())
    assert any(w.startswith("plugin 'broken'") for w in scorecard["warnings"])
    assert any(w.startswith("plugin 'wrong'") for w in scorecard["warnings"])


def test_pytest_without_mlscore_never_discovers_plugins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_light="""
        import sys

        def test_nothing_loaded():
            assert "mltestscore.extensions" not in sys.modules
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
