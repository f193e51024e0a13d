"""``--strict-markers`` with the plugin disabled: ``mltestscore init`` registers the marker
in the pytest configuration the project already has (each format pytest reads), so
collection passes with ``-p no:mltestscore``. The runs are subprocesses: in-process
pytester runs did not reproduce the failure (the marker stayed registered)."""

from __future__ import annotations

import pytest

from mltestscore.init import main as init_main
from mltestscore.marker_registration import register_marker

TESTS = """
    import pytest

    @pytest.mark.slow
    @pytest.mark.mlscore("data-1")
    def test_schema_holds():
        pass
"""
STRICT_WITHOUT_PLUGIN = ("--strict-markers", "-p", "no:mltestscore", "-p", "no:cacheprovider")

CONFIGS = {
    "pytest.ini": "[pytest]\nmarkers =\n    slow: takes minutes\naddopts = -ra\n",
    "tox.ini": "[tox]\nenv_list = py\n\n[pytest]\nmarkers = slow: takes minutes\n\n[testenv]\ncommands = pytest\n",
    "setup.cfg": "[metadata]\nname = churn\n\n[tool:pytest]\nmarkers =\n    slow: takes minutes\n",
    "pyproject.toml": '[project]\nname = "churn"\n\n[tool.pytest.ini_options]\nmarkers = [\n    "slow: takes minutes",\n]\n\n[tool.other]\nx = 1\n',
}


def test_without_registration_strict_markers_fails_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS.replace("    @pytest.mark.slow\n", ""))
    result = pytester.runpytest_subprocess(*STRICT_WITHOUT_PLUGIN)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'mlscore' not found in `markers` configuration option*"])


@pytest.mark.parametrize("name", list(CONFIGS))
def test_it_registers_the_marker_in_the_config_pytest_reads(
    pytester: pytest.Pytester, name: str
) -> None:
    pytester.makepyfile(TESTS)
    config = pytester.path / name
    config.write_text(CONFIGS[name])
    assert register_marker(pytester.path) == f"registered the mlscore marker in {config}"
    text = config.read_text()
    assert "slow: takes minutes" in text  # what was there stays
    pytester.runpytest_subprocess(*STRICT_WITHOUT_PLUGIN).assert_outcomes(passed=1)
    # Twice is once.
    assert register_marker(pytester.path).startswith("the mlscore marker is already registered")
    assert config.read_text() == text


def test_init_registers_it_in_a_new_pytest_table_and_dry_run_writes_nothing(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(TESTS.replace("    @pytest.mark.slow\n", ""))
    assert init_main(["--root", str(pytester.path), "--dry-run"]) == 0
    assert "would register the mlscore marker" in capsys.readouterr().out
    assert not (pytester.path / "pyproject.toml").exists()
    assert init_main(["--root", str(pytester.path)]) == 0
    assert "registered the mlscore marker" in capsys.readouterr().out
    pyproject = (pytester.path / "pyproject.toml").read_text()
    assert "[tool.mltestscore]" in pyproject
    assert "[tool.pytest.ini_options]" in pyproject
    pytester.runpytest_subprocess(*STRICT_WITHOUT_PLUGIN).assert_outcomes(passed=1)


def test_a_single_line_marker_list_keeps_its_entries(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    (pytester.path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nmarkers = ["slow: takes minutes"]  # ours\n'
    )
    register_marker(pytester.path)
    assert '"slow: takes minutes"]  # ours' in (pytester.path / "pyproject.toml").read_text()
    pytester.runpytest_subprocess(*STRICT_WITHOUT_PLUGIN).assert_outcomes(passed=1)
