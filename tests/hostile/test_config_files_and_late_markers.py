"""Defects 24 and 25 (the rest): a configuration file that is not UTF-8 is named with its
byte and line wherever mltestscore reads it (and before the CI wrapper starts pytest, which
would otherwise end in a traceback of its own), and ``mlscore`` markers added after
collection count."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from mltestscore import init, marker_registration
from mltestscore.ci.run import PYTEST_USAGE_ERROR, Run, RunSettings
from mltestscore.config import load_project_config
from mltestscore.config_files import pytest_config_problem
from mltestscore.errors import ConfigError

LATIN1 = b'[tool.pytest.ini_options]\naddopts = "-q"\n# caf\xe9\n'


def test_a_non_utf8_pyproject_names_the_byte_and_the_line(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(LATIN1)
    expected = f"{pyproject} is not UTF-8 text: byte 46 (line 3) is 0xe9"
    with pytest.raises(ConfigError) as raised:
        load_project_config(pyproject)
    assert str(raised.value).startswith(expected)
    assert pytest_config_problem(tmp_path) is not None
    assert pytest_config_problem(tmp_path).startswith(expected)  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg"])
def test_init_refuses_a_non_utf8_configuration_file_with_one_line(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    section = {
        "pytest.ini": b"[pytest]\n",
        "tox.ini": b"[pytest]\n",
        "setup.cfg": b"[tool:pytest]\n",
    }
    (tmp_path / name).write_bytes(section.get(name, b"[tool.pytest.ini_options]\n") + b"# \xff\n")
    status = init.main(["--root", str(tmp_path)])
    said = capsys.readouterr().err
    assert f"{tmp_path / name} is not UTF-8 text: byte" in said
    assert "Traceback" not in said
    if name == "pyproject.toml":
        assert status == init.EXIT_REFUSED


def test_the_marker_registration_says_which_file_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_bytes(b"[pytest]\nmarkers = x\n# \xe9\n")
    with pytest.raises(ValueError, match=r"tox.ini is not UTF-8 text: byte 23 \(line 3\)"):
        marker_registration.register_marker(tmp_path)


def test_the_ci_wrapper_does_not_start_pytest_on_a_file_pytest_cannot_decode(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(LATIN1)
    out = io.StringIO()
    ran: list[Any] = []
    run = Run(
        settings=RunSettings(pytest_args=[], output_dir=tmp_path / "reports"),
        cwd=tmp_path,
        workspace=tmp_path,
        env={},
        out=out,
        is_review=False,
        fetch_base=lambda: (None, ""),
        thread=lambda: None,
        footer=[],
        step_summary=tmp_path / "summary.md",
    )
    status = run.execute(lambda *args: ran.append(args) or 0)
    assert (status, ran) == (PYTEST_USAGE_ERROR, [])
    assert "pyproject.toml is not UTF-8 text: byte 46 (line 3)" in out.getvalue()
    assert "pytest was not run" in (tmp_path / "summary.md").read_text()


def test_a_utf8_configuration_further_up_is_not_reached_once_pytest_has_its_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(LATIN1)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    assert pytest_config_problem(project) is None


@pytest.mark.parametrize("name", ["pytest.toml", ".pytest.toml"])
def test_pytest_9s_own_toml_file_is_checked_only_where_pytest_reads_it(
    tmp_path: Path, name: str
) -> None:
    (tmp_path / name).write_bytes(b"[pytest]\n# caf\xe9\n")
    assert pytest_config_problem(tmp_path, pytest_major=9) == (
        f"{tmp_path / name} is not UTF-8 text: byte 14 (line 2) is 0xe9; save the file as "
        "UTF-8 (e.g. iconv -f latin1 -t utf-8)"
    )
    assert pytest_config_problem(tmp_path, pytest_major=8) is None  # pytest 8 never opens it


def test_a_file_beside_pytests_own_that_pytest_9_also_reads_is_checked(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "setup.cfg").write_bytes(b"[metadata]\n# caf\xe9\n")
    problem = pytest_config_problem(tmp_path, pytest_major=9)
    assert problem is not None
    assert problem.startswith(f"{tmp_path / 'setup.cfg'} is not UTF-8 text: byte 16 (line 2)")
    assert pytest_config_problem(tmp_path, pytest_major=8) is None


def test_bare_pytest_fails_on_a_non_utf8_pyproject_before_any_plugin_is_imported(
    tmp_path: Path,
) -> None:
    """The limitation docs/security.md states, kept true: pytest decodes its configuration
    files before it imports a plugin named with -p, in PYTEST_PLUGINS or by an entry point,
    so no plugin (mltestscore's included) can turn its traceback into a message. When this
    test fails, pytest has changed and the docs can say more."""
    import os
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_bytes(LATIN1)
    (tmp_path / "probe.py").write_text("print('probe imported')\n")
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTEST_PLUGINS": "probe"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "probe", "-p", "mltestscore.plugin"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "probe imported" not in done.stdout + done.stderr
    assert done.stderr.rstrip().endswith(
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 46: "
        "invalid continuation byte"
    )


LATE = """
    import pytest

    @pytest.fixture
    def claims_model_3(request):
        request.applymarker(pytest.mark.mlscore("model-3"))

    def test_claimed_by_a_hook():
        pass

    def test_claimed_while_running(claims_model_3):
        pass

    def test_claimed_with_a_typo_by_a_hook():
        pass
"""

CONFTEST = """
    import pytest

    def pytest_collection_modifyitems(items):
        for item in items:
            if item.name == "test_claimed_by_a_hook":
                item.add_marker(pytest.mark.mlscore("data-1"))
            if item.name == "test_claimed_with_a_typo_by_a_hook":
                item.add_marker(pytest.mark.mlscore("modle-2"))
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_markers_added_after_collection_count_and_unknown_ids_are_warned(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(LATE)
    pytester.runpytest("--mlscore", *workers).assert_outcomes(passed=3)
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text("utf-8"))
    evidence = {
        item["id"]: sorted(e["nodeid"].split("::")[-1] for e in item["evidence"] if "nodeid" in e)
        for item in scorecard["items"]
    }
    assert evidence["data-1"] == ["test_claimed_by_a_hook"]
    assert evidence["model-3"] == ["test_claimed_while_running"]
    assert any("'modle-2'" in w for w in scorecard["warnings"]), scorecard["warnings"]


LATE_ON_PARENTS = {
    "test_module_marked_late": """
        def test_one_of_a_module_a_hook_marks():
            pass

        def test_two_of_a_module_a_hook_marks():
            pass
    """,
    "test_class_marked_late": """
        import pytest

        @pytest.fixture
        def marks_its_class(request):
            request.node.getparent(pytest.Class).add_marker(pytest.mark.mlscore("infra-3"))

        class TestMarkedByALastHook:
            def test_inherits_the_class_marker(self):
                pass

            def test_marks_its_class_while_running(self, marks_its_class):
                pass

            def test_runs_after_the_class_was_marked_by_another_test(self):
                pass
    """,
    "test_pytestmark_late": """
        import pytest

        pytestmark = []

        def test_in_a_module_whose_pytestmark_a_hook_changes():
            pass

        class TestPytestmarkChangedWhileRunning:
            pytestmark = []

            def test_changes_its_class_pytestmark(self):
                type(self).pytestmark.append(pytest.mark.mlscore("monitor-6"))
    """,
    "test_pytestmark_set_by_conftest": """
        def test_in_a_module_a_conftest_marked_at_import():
            pass
    """,
}

CONFTEST_ON_PARENTS = """
    import pytest

    import test_pytestmark_set_by_conftest

    # At the conftest's import, before pytest collects the module: pytest applies it.
    test_pytestmark_set_by_conftest.pytestmark = [pytest.mark.mlscore("data-4")]

    def pytest_collection_modifyitems(items):
        modules = {item.getparent(pytest.Module) for item in items}
        for module in modules:
            if module.name == "test_module_marked_late.py":
                module.add_marker(pytest.mark.mlscore("data-2"))
            if module.name == "test_pytestmark_late.py":
                module.obj.pytestmark.append(pytest.mark.mlscore("data-3"))

    # After every pytest_collection_modifyitems (mltestscore's own is trylast), before any
    # test runs.
    def pytest_collection_finish(session):
        for item in session.items:
            if item.cls is not None and item.cls.__name__ == "TestMarkedByALastHook":
                item.getparent(pytest.Class).add_marker(pytest.mark.mlscore("model-5"))
                break
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_markers_added_to_a_module_or_class_after_collection_count_and_a_late_pytestmark_is_warned(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makeconftest(CONFTEST_ON_PARENTS)
    pytester.makepyfile(**LATE_ON_PARENTS)
    pytester.runpytest("--mlscore", "-p", "no:randomly", *workers).assert_outcomes(passed=8)
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text("utf-8"))
    evidence = {
        item["id"]: sorted(e["nodeid"].split("::")[-1] for e in item["evidence"] if "nodeid" in e)
        for item in scorecard["items"]
    }
    assert evidence["data-2"] == [
        "test_one_of_a_module_a_hook_marks",
        "test_two_of_a_module_a_hook_marks",
    ]
    assert evidence["model-5"] == [
        "test_inherits_the_class_marker",
        "test_marks_its_class_while_running",
        "test_runs_after_the_class_was_marked_by_another_test",
    ]
    # Only the test that added it: which later tests would see it depends on the order and
    # on the worker.
    assert evidence["infra-3"] == ["test_marks_its_class_while_running"]
    assert evidence["data-4"] == ["test_in_a_module_a_conftest_marked_at_import"]
    # pytest ignores a pytestmark changed after collection: no credit, and a warning.
    assert evidence["data-3"] == []
    assert evidence["monitor-6"] == []
    warnings = [w for w in scorecard["warnings"] if "pytestmark" in w]
    assert len(warnings) == 2, scorecard["warnings"]
    module_warning, class_warning = sorted(warnings)
    assert module_warning.startswith(
        "test_pytestmark_late.py:1: test_pytestmark_late.py: @pytest.mark.mlscore('data-3') "
        "was added to the module's pytestmark after pytest collected it"
    )
    assert "test_pytestmark_late.py::TestPytestmarkChangedWhileRunning: " in class_warning
    assert "@pytest.mark.mlscore('monitor-6') was added to the class's pytestmark" in class_warning
