"""check_dependency_changes and check_dependency_automation (monitor-1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mltestscore import environment
from mltestscore.checks import Outcome
from mltestscore.checks.dependencies import (
    check_dependency_automation,
    check_dependency_changes,
)

ADULT_CSV = Path(__file__).parents[1] / "data" / "adult" / "adult_sample.csv"


@pytest.fixture
def trained(tmp_path: Path) -> tuple[Path, Path]:
    """(artifact folder with environment.json, the data file it fingerprinted)."""
    data = tmp_path / "data" / "adult.csv"
    data.parent.mkdir()
    shutil.copy(ADULT_CSV, data)
    folder = tmp_path / "model"
    environment.write_snapshot(folder, data_files=[data])
    return folder, data


def edit_snapshot(folder: Path, change: Any) -> None:
    path = folder / environment.SNAPSHOT_FILE
    snapshot = json.loads(path.read_text())
    change(snapshot)
    path.write_text(json.dumps(snapshot))


def test_an_unchanged_environment_passes(trained: tuple[Path, Path]) -> None:
    folder, _ = trained
    result = check_dependency_changes(folder)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["changes"] == 0
    assert result.measurements["data_files_in_snapshot"] == 1
    assert result.measurements["packages_in_snapshot"] > 10


def test_it_flags_a_changed_package_version(trained: tuple[Path, Path]) -> None:
    folder, _ = trained
    edit_snapshot(folder, lambda s: s["packages"].update(numpy="1.26.4"))
    result = check_dependency_changes(folder / "environment.json")
    assert result.outcome is Outcome.FAILED
    assert result.measurements["package_changes"] == 1
    assert "numpy 1.26.4 →" in result.reason
    assert "(major)" in result.reason
    assert result.tables[0].rows[0][:3] == ("package", "numpy", "1.26.4")


def test_it_flags_added_and_removed_packages(trained: tuple[Path, Path]) -> None:
    folder, _ = trained

    def change(snapshot: dict[str, Any]) -> None:
        snapshot["packages"]["left-pad"] = "1.3.0"
        del snapshot["packages"]["scipy"]

    edit_snapshot(folder, change)
    result = check_dependency_changes(folder)
    kinds = {row[1]: row[4] for row in result.tables[0].rows}
    assert kinds == {"left-pad": "removed", "scipy": "added"}


def test_allowed_changes_and_ignored_packages_accept_known_churn(
    trained: tuple[Path, Path],
) -> None:
    folder, _ = trained
    current = environment.take_snapshot()
    numpy_version = current["packages"]["numpy"]
    major, minor, *_ = numpy_version.split(".")
    older_patch = f"{major}.{minor}.0" if numpy_version != f"{major}.{minor}.0" else None
    if older_patch is None:
        pytest.skip("numpy is at a .0 release: no older patch to plant")
    edit_snapshot(folder, lambda s: s["packages"].update(numpy=older_patch))
    assert check_dependency_changes(folder).outcome is Outcome.FAILED
    allowed = check_dependency_changes(folder, allowed_changes=["patch"])
    assert allowed.outcome is Outcome.PASSED, allowed.summary()
    assert allowed.measurements["allowed_changes"] == 1
    ignored = check_dependency_changes(folder, ignore_packages=["NumPy"])
    assert ignored.outcome is Outcome.PASSED


def test_it_flags_a_data_file_changed_since_training(trained: tuple[Path, Path]) -> None:
    folder, data = trained
    with data.open("a") as handle:
        handle.write("29,Private,1,HS-grad,9,Never-married,Sales,Own-child,White,Male,0,0,40,?,0\n")
    result = check_dependency_changes(folder)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["data_file_changes"] == 1
    assert f"data file {data} changed" in result.reason


def test_it_flags_a_data_file_that_disappeared(trained: tuple[Path, Path]) -> None:
    folder, data = trained
    data.unlink()
    result = check_dependency_changes(folder)
    assert result.outcome is Outcome.FAILED
    assert "removed" in result.reason


def test_it_compares_two_snapshots_python_and_platform_included() -> None:
    before = environment.take_snapshot()
    after = json.loads(json.dumps(before))
    after["python"] = "3.12.1"
    after["platform"] = "Linux-6.9-other-kernel"
    result = check_dependency_changes(before, current=after)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["python_changed"] is True
    assert result.measurements["platform_changed"] is True
    assert result.parameters["compared_with"] == "the current snapshot"
    quiet = check_dependency_changes(
        before, current=after, ignore_platform=True, ignore_packages=()
    )
    assert quiet.measurements["platform_changed"] is False
    assert quiet.measurements["python_changed"] is True


def _mlflow_model_folder(folder: Path, requirements: str) -> Path:
    """The files MLflow writes beside every model it logs (no mlflow needed to read them)."""
    folder.mkdir()
    (folder / "requirements.txt").write_text(requirements)
    (folder / "python_env.yaml").write_text("python: 3.11.7\nbuild_dependencies:\n- pip\n")
    (folder / "MLmodel").write_text(
        "flavors:\n  python_function: {}\nutc_time_created: '2026-11-02 09:30:00.000000'\n"
    )
    return folder


def test_an_mlflow_models_pins_are_a_partial_snapshot_where_nothing_else_counts_as_added(
    tmp_path: Path,
) -> None:
    from mltestscore.mlflow_models import requirements_snapshot

    folder = _mlflow_model_folder(
        tmp_path / "model",
        "mlflow==3.1.0\nscikit_learn[alldeps]==1.6.1 ; python_version >= '3.9'\n"
        "cloudpickle>=3\n# a comment\n-r extra.txt\n",
    )
    snapshot = requirements_snapshot(folder)
    assert snapshot is not None
    assert snapshot["packages"] == {"mlflow": "3.1.0", "scikit-learn": "1.6.1"}
    assert snapshot["python"] == "3.11.7"
    assert snapshot["complete"] is False
    assert snapshot["created_at"].startswith("2026-11-02T09:30:00")
    running = {
        **environment.take_snapshot(),
        "python": "3.11.7",
        "packages": {"mlflow": "3.1.0", "scikit-learn": "1.6.1", "pandas": "2.2.3"},
    }
    same = check_dependency_changes(snapshot, current=running)
    assert same.outcome is Outcome.PASSED, same.reason  # pandas is not an addition
    assert same.measurements["snapshot_complete"] is False
    assert "only the model's own pinned packages" in same.reason
    upgraded = {**running, "packages": {**running["packages"], "scikit-learn": "1.7.0"}}
    changed = check_dependency_changes(snapshot, current=upgraded)
    assert changed.outcome is Outcome.FAILED
    assert "scikit-learn" in changed.reason
    missing = {**running, "packages": {"scikit-learn": "1.6.1"}}
    assert check_dependency_changes(snapshot, current=missing).outcome is Outcome.FAILED


def test_a_model_folder_without_pins_has_no_snapshot(tmp_path: Path) -> None:
    from mltestscore.mlflow_models import requirements_snapshot

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "requirements.txt").write_text("mlflow\nscikit-learn>=1.5\n")
    assert requirements_snapshot(folder) is None


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        ("nowhere/environment.json", "snapshot: snapshot file 'nowhere/environment.json'"),
        ({"python": "3.11"}, "snapshot: is not an environment snapshot"),
        (42, "snapshot: expected a snapshot path, directory or dict, got int"),
    ],
)
def test_bad_snapshots_give_errors_naming_the_argument(snapshot: Any, expected: str) -> None:
    result = check_dependency_changes(snapshot)
    assert result.outcome is Outcome.ERROR
    assert expected in result.reason


def test_a_file_that_is_not_a_snapshot_is_named(tmp_path: Path) -> None:
    path = tmp_path / "environment.json"
    path.write_text("[1, 2]")
    result = check_dependency_changes(path)
    assert result.outcome is Outcome.ERROR
    assert str(path) in result.reason


# -- automation ------------------------------------------------------------------------------


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


DEPENDABOT = """version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule: {interval: weekly}
"""


def test_dependabot_with_a_lock_file_passes(tmp_path: Path) -> None:
    write(tmp_path, ".github/dependabot.yml", DEPENDABOT)
    write(tmp_path, "uv.lock", "version = 1\n")
    result = check_dependency_automation(tmp_path)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["update_bots"] == "Dependabot"
    assert "pinned by uv.lock" in result.reason


def test_renovate_with_pinned_requirements_passes(tmp_path: Path) -> None:
    write(tmp_path, "renovate.json", '{"extends": ["config:recommended"]}')
    write(tmp_path, "requirements.txt", "# pinned\nnumpy==2.4.6\npandas==3.1.1  # data\n")
    result = check_dependency_automation(tmp_path)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert ("pins", "requirements.txt", "2 of 2 requirements pinned with ==") in (
        result.tables[0].rows
    )


def test_unpinned_requirements_fail_naming_what_is_missing(tmp_path: Path) -> None:
    write(tmp_path, ".github/dependabot.yaml", DEPENDABOT)
    write(tmp_path, "requirements.txt", "numpy>=2\npandas==3.1.1\n")
    result = check_dependency_automation(tmp_path)
    assert result.outcome is Outcome.FAILED
    assert (
        "requirements are not pinned with == to at least 100% (requirements.txt pins 1 of 2)"
        in (result.reason)
    )
    lenient = check_dependency_automation(tmp_path, min_pinned_share=0.5)
    assert lenient.outcome is Outcome.PASSED


def test_a_bare_repository_fails_naming_both_gaps(tmp_path: Path) -> None:
    result = check_dependency_automation(tmp_path)
    assert result.outcome is Outcome.FAILED
    assert "no Dependabot or Renovate configuration" in result.reason
    assert "no lock file" in result.reason


def test_a_dependabot_file_without_updates_does_not_count(tmp_path: Path) -> None:
    write(tmp_path, ".github/dependabot.yml", "version: 2\n")
    write(tmp_path, "poetry.lock", "")
    result = check_dependency_automation(tmp_path)
    assert result.outcome is Outcome.FAILED
    assert "no Dependabot or Renovate" in result.reason


def test_bad_automation_inputs_give_errors(tmp_path: Path) -> None:
    missing = check_dependency_automation(tmp_path / "nope")
    assert missing.outcome is Outcome.ERROR
    assert "root:" in missing.reason
    write(tmp_path, ".github/dependabot.yml", "updates: [unclosed\n")
    broken = check_dependency_automation(tmp_path)
    assert broken.outcome is Outcome.ERROR
    assert "dependabot.yml" in broken.reason


def test_relative_data_paths_resolve_against_data_root(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    shutil.copy(ADULT_CSV, root / "data" / "adult.csv")
    snapshot = environment.take_snapshot()
    snapshot["data_fingerprints"] = {
        "data/adult.csv": environment.file_fingerprint(root / "data" / "adult.csv")
    }
    assert check_dependency_changes(snapshot, data_root=root).outcome is Outcome.PASSED
    elsewhere = check_dependency_changes(snapshot, data_root=tmp_path)
    assert elsewhere.outcome is Outcome.FAILED
    assert "data/adult.csv removed" in elsewhere.reason


def test_pyproject_dependencies_pinned_with_double_equals_count_as_pins(tmp_path: Path) -> None:
    write(tmp_path, ".github/dependabot.yml", DEPENDABOT)
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\ndependencies = ["numpy>=2"]\n')
    assert check_dependency_automation(tmp_path).outcome is Outcome.FAILED
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\ndependencies = ["numpy==2.4.6"]\n')
    result = check_dependency_automation(tmp_path)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert "pinned by pyproject.toml" in result.reason


def test_equal_versions_spelled_differently_are_not_a_change() -> None:
    before = environment.take_snapshot()
    after = json.loads(json.dumps(before))
    before["packages"]["demo-lib"] = "2.0"
    after["packages"]["demo-lib"] = "2.0.0"
    after["packages"]["other-lib"] = "1.0"
    before["packages"]["other-lib"] = "1.0.1"
    result = check_dependency_changes(before, current=after)
    assert [row[1] for row in result.tables[0].rows] == ["other-lib"]
    assert result.tables[0].rows[0][4] == "downgraded"
