"""What makes a run partial, decided from plain data (no pytest run needed)."""

from __future__ import annotations

from pathlib import Path

from mltestscore.pytest_context import configured_narrowing
from mltestscore.selection import Narrowing, RunEnd, SelectionRequest, selection


def _request(tmp_path: Path, paths: tuple[str, ...] = (), **options: object) -> SelectionRequest:
    (tmp_path / "tests" / "unit").mkdir(parents=True, exist_ok=True)
    (tmp_path / "tests" / "other").mkdir(exist_ok=True)
    return SelectionRequest(
        options=Narrowing(**options),  # type: ignore[arg-type]
        configured=Narrowing(),
        paths=paths,
        base_dir=tmp_path,
        suite_paths=(tmp_path / "tests",),
        maxfail=0,
    )


def test_the_test_paths_their_parent_or_no_argument_are_the_whole_suite(tmp_path: Path) -> None:
    for paths in [(), ("tests",), ("tests/",), (".",), (str(tmp_path / "tests"),)]:
        assert selection(_request(tmp_path, paths), RunEnd(collected=3, ran=3)) is None, paths


def test_a_narrower_folder_a_file_or_a_node_id_is_partial(tmp_path: Path) -> None:
    for paths in [("tests/unit",), ("tests/unit", "tests/x.py::test_a")]:
        found = selection(_request(tmp_path, paths), RunEnd(collected=3, ran=3))
        assert found is not None
        assert found["reasons"] == [f"only {', '.join(paths)} (the whole suite: tests)"]
        assert found["args"] == list(paths)


def test_an_unrun_remainder_is_explained_by_the_stop_or_counted(tmp_path: Path) -> None:
    request = _request(tmp_path)
    stopped = RunEnd(collected=5, ran=2, failures=1, stopped="stopping after 1 failures")
    assert selection(request, stopped) is not None
    assert selection(request, RunEnd(collected=5, ran=4))["reasons"] == [  # type: ignore[index]
        "1 collected test did not run"
    ]
    assert selection(request, RunEnd(collected=5, ran=5, stopped="stopping")) is None


def test_the_projects_addopts_are_read_for_its_own_selection() -> None:
    addopts = ["-p", "no:cacheprovider", "-m", "not slow", "--deselect", "t.py::a", "-rA"]
    assert configured_narrowing(addopts) == Narrowing(markexpr="not slow", deselect=("t.py::a",))
    assert configured_narrowing(["-k"]) == Narrowing()  # pytest refuses it itself
