"""Annotations follow GitHub's workflow-command escaping, and find the test that claims an
item by reading its source."""

from __future__ import annotations

from pathlib import Path

from mltestscore.ci.locations import where_defined
from mltestscore.ci.workflow_commands import Annotation, escape_data, escape_property


def test_it_escapes_percent_and_line_breaks_in_the_message() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"


def test_it_escapes_colons_and_commas_in_properties_too() -> None:
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_a_message_cannot_start_a_second_command() -> None:
    command = Annotation("error", "boom\n::warning::injected", title="t").command()
    assert command.count("\n") == 0
    assert command == "::error title=t::boom%0A::warning::injected"


def test_a_parametrized_node_id_in_a_title_keeps_its_properties_apart() -> None:
    command = Annotation("warning", "m", title="test[a,b:c]", file="tests/x y.py", line=3).command()
    assert command == "::warning title=test[a%2Cb%3Ac],file=tests/x y.py,line=3::m"


def test_it_leaves_out_a_line_without_a_file() -> None:
    assert Annotation("error", "m", line=4).command() == "::error::m"


def test_it_finds_a_method_of_a_class_with_parameters(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_m.py").write_text(
        "import pytest\n\n\nclass TestModel:\n    @pytest.mark.mlscore('model-6')\n"
        "    def test_slices(self):\n        pass\n\n\ndef test_slices():\n    pass\n"
    )
    where = where_defined("tests/test_m.py::TestModel::test_slices[a-b]", tmp_path, tmp_path)
    assert where == ("tests/test_m.py", 6)
    assert where_defined("tests/test_m.py::test_slices", tmp_path, tmp_path) == (
        "tests/test_m.py",
        10,
    )


def test_paths_are_relative_to_the_repository_root_not_pytests(tmp_path: Path) -> None:
    project = tmp_path / "ml"
    project.mkdir()
    (project / "test_a.py").write_text("def test_a():\n    pass\n")
    assert where_defined("test_a.py::test_a", project, tmp_path) == ("ml/test_a.py", 1)


def test_an_unknown_file_or_test_gives_what_is_known(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test_a(:\n")  # a syntax error
    assert where_defined("gone.py::test_a", tmp_path, tmp_path) == (None, None)
    assert where_defined("test_a.py::test_a", tmp_path, tmp_path) == ("test_a.py", None)
    assert where_defined("pyproject.toml::mlscore-suite", tmp_path, tmp_path) == (None, None)
