"""``mltestscore init``: findings from inside the project (the model's columns and task, the
label, time columns, personal data, protected attributes, a called training function) with
reasons, a commented section, and a merge on re-run that keeps every key the user set."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from mltestscore.init import main


def _flat(text: str) -> str:
    """The file's comments as one line (they are wrapped at 96 characters)."""
    return " ".join(line.lstrip("# ") for line in text.splitlines())


@pytest.fixture
def fresh(tmp_path: Path, project: Any) -> Path:
    """A project folder with data files named like their role, a model, and no config."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.parquet").write_bytes(project.train.read_bytes())
    (tmp_path / "data" / "serving_log.parquet").write_bytes(project.serving.read_bytes())
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "model.skops").write_bytes(project.model.read_bytes())
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "other.csv").write_text("a\n1\n")  # never looked at
    return tmp_path


def test_it_writes_a_commented_section_with_its_findings_and_says_why(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(fresh)]) == 0
    printed = capsys.readouterr().out
    assert 'train = "data/train.parquet"  (a parquet file named like train)' in printed
    text = (fresh / "pyproject.toml").read_text()
    settings = tomllib.loads(text)["tool"]["mltestscore"]
    assert settings["train"] == "data/train.parquet"
    assert settings["serving"] == "data/serving_log.parquet"
    assert settings["model"] == "models/model.skops"
    assert "sex" in settings["sensitive"]
    assert settings["schema"] == "schemas/train.json"
    for item in ("data-6", "model-1", "model-2", "infra-7"):
        assert f'# item = "{item}"' in text  # attestation templates, commented out
    assert "other.csv" not in text


def test_it_learns_the_label_from_the_model_columns_and_task(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--root", str(fresh)])
    printed = capsys.readouterr().out
    assert 'target = "income"  (the one column the model does not take' in printed
    assert "binary: two classes (0, 1)" in printed


def test_it_lists_the_library_types_skops_reports_and_says_what_trusting_means(
    fresh: Path,
) -> None:
    main(["--root", str(fresh)])
    text = (fresh / "pyproject.toml").read_text()
    settings = tomllib.loads(text)["tool"]["mltestscore"]
    assert settings["model_trusted"] == [
        "numpy.dtype",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    ]
    assert "# Trusting a type lets skops rebuild objects of that type" in text


def test_a_type_outside_the_libraries_is_left_commented_for_a_person(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mltestscore import artifacts

    monkeypatch.setattr(artifacts, "untrusted_types", lambda path: ["mycompany.CustomScaler"])
    main(["--root", str(fresh)])
    text = (fresh / "pyproject.toml").read_text()
    assert "model_trusted" not in tomllib.loads(text)["tool"]["mltestscore"]
    assert '# model_trusted = ["mycompany.CustomScaler"]' in text
    assert "outside scikit-learn/numpy/scipy" in _flat(text)


def test_the_written_section_is_a_valid_suite_configuration(fresh: Path) -> None:
    from mltestscore.config import load_project_config
    from mltestscore.suite.config import check_model_trust, parse_suite_config

    main(["--root", str(fresh)])
    config = parse_suite_config(load_project_config(fresh / "pyproject.toml"))
    check_model_trust(config)  # the model loads with no edit
    assert config.target == "income"
    assert set(config.data) == {"train", "serving"}


@pytest.fixture
def recidivism(tmp_path: Path, project: Any) -> Path:
    """Train and test CSV files split by a screening date, with an identifier, a name and a
    date of birth the model does not take, as such data usually comes."""
    import pandas as pd

    for role, source in (("train", project.train), ("test", project.test)):
        frame = pd.read_parquet(source)
        rows = len(frame)
        offset = 0 if role == "train" else 400
        frame.insert(0, "person_id", [f"P{n + offset:06d}" for n in range(rows)])
        frame.insert(1, "name", [f"Person {n + offset} Example" for n in range(rows)])
        frame["dob"] = pd.Timestamp("1960-01-01") + pd.to_timedelta(
            [(n * 37) % 15000 for n in range(rows)], unit="D"
        )
        frame["dob"] = frame["dob"].dt.strftime("%Y-%m-%d")
        frame["screening_date"] = (
            pd.Timestamp("2014-01-01") + pd.to_timedelta([n % 300 for n in range(rows)], unit="D")
        ).strftime("%Y-%m-%d")
        frame.to_csv(tmp_path / f"{role}.csv", index=False)
    (tmp_path / "model.skops").write_bytes(project.model.read_bytes())
    return tmp_path


def test_identifiers_and_personal_data_are_kept_out_and_flagged_for_data_5(
    recidivism: Path,
) -> None:
    main(["--root", str(recidivism)])
    text = (recidivism / "pyproject.toml").read_text()
    settings = tomllib.loads(text)["tool"]["mltestscore"]
    assert settings["target"] == "income"
    assert settings["time_column"] == "screening_date"
    for column in ("person_id", "name", "dob"):
        assert column not in settings["sensitive"]
        assert column != settings["time_column"]
    flat = _flat(text)
    assert "person_id (an identifier (unique per row))" in flat
    assert "name (a person's name (direct personal data))" in flat
    assert "dob (a date of birth (direct personal data))" in flat
    assert "data-5" in flat
    assert "monitor-4's data freshness check" in flat  # the 2014 dates are old: said so


def test_each_sensitive_attribute_says_why_it_is_protected(recidivism: Path) -> None:
    main(["--root", str(recidivism)])
    text = (recidivism / "pyproject.toml").read_text()
    assert '"age",  # age: age is protected (US Age Discrimination in Employment Act' in text
    assert '"sex",  # sex: sex is a protected characteristic' in text
    assert '"race",  # race: race and ethnic origin are protected' in text


TRAIN_OK = """
from sklearn.linear_model import LogisticRegression

FEATURES = ["age", "education-num", "hours-per-week"]


def train(frame, seed):
    return LogisticRegression(max_iter=200, random_state=seed).fit(
        frame[FEATURES], frame["income"]
    )
"""

TRAIN_WRONG = """
def train_model(X, y, params):
    raise TypeError("train_model() takes X and y, not a frame")
"""


def test_a_training_function_is_proposed_only_after_it_was_called(
    recidivism: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (recidivism / "pipeline").mkdir()
    (recidivism / "pipeline" / "__init__.py").write_text("")
    (recidivism / "pipeline" / "training.py").write_text(TRAIN_WRONG)
    main(["--root", str(recidivism)])
    text = (recidivism / "pyproject.toml").read_text()
    assert "train_fn" not in tomllib.loads(text)["tool"]["mltestscore"]
    assert '# train_fn = "pipeline.training:train_model"' in text
    assert "must take (frame, seed)" in text
    capsys.readouterr()
    (recidivism / "pipeline" / "training.py").write_text(TRAIN_OK)
    (recidivism / "pyproject.toml").unlink()
    main(["--root", str(recidivism)])
    settings = tomllib.loads((recidivism / "pyproject.toml").read_text())["tool"]["mltestscore"]
    assert settings["train_fn"] == "pipeline.training:train"


def test_a_rerun_keeps_the_keys_the_user_set_and_adds_new_findings(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = (
        '[project]\nname = "x"\n\n[tool.mltestscore]\ntarget = "y"\n'
        'slices = ["education"]\ntime_column = "when"\n\n'
        '[[tool.mltestscore.manual]]\nitem = "model-1"\nevidence = "docs/review.md"\n'
        "date = 2026-01-01\n"
    )
    (fresh / "pyproject.toml").write_text(original)
    assert main(["--root", str(fresh)]) == 0
    assert 'kept your key target = "y"; init finds "income"' in capsys.readouterr().out
    document = tomllib.loads((fresh / "pyproject.toml").read_text())
    settings = document["tool"]["mltestscore"]
    assert settings["target"] == "y"  # the user's, kept
    assert settings["slices"] == ["education"]
    assert settings["time_column"] == "when"
    assert settings["train"] == "data/train.parquet"  # a new finding, added
    assert document["project"] == {"name": "x"}
    assert settings["manual"][0]["item"] == "model-1"  # kept


def test_force_takes_the_findings_and_never_deletes_a_user_key(fresh: Path) -> None:
    (fresh / "pyproject.toml").write_text(
        '[tool.mltestscore]\ntarget = "y"\nslices = ["education"]\ntime_column = "when"\n'
    )
    assert main(["--root", str(fresh), "--force"]) == 0
    settings = tomllib.loads((fresh / "pyproject.toml").read_text())["tool"]["mltestscore"]
    assert settings["target"] == "income"
    assert settings["slices"] == ["education"]
    assert settings["time_column"] == "when"


def test_dry_run_prints_the_diff_and_what_a_real_run_would_refuse(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = '[tool.mltestscore]\ntarget = "y"\n'
    (fresh / "pyproject.toml").write_text(original)
    assert main(["--root", str(fresh), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert 'a real run would keep your key target = "y"; init finds "income"' in printed
    assert '+train = "data/train.parquet"' in printed
    assert (fresh / "pyproject.toml").read_text() == original


def test_a_file_that_does_not_parse_is_refused_and_dry_run_says_so(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (fresh / "pyproject.toml").write_text("[tool.mltestscore\n")
    assert main(["--root", str(fresh), "--dry-run"]) == 1
    assert "a real run would refuse" in capsys.readouterr().err
    assert main(["--root", str(fresh)]) == 1
    assert (fresh / "pyproject.toml").read_text() == "[tool.mltestscore\n"


def test_the_pyproject_is_replaced_atomically_keeping_its_permissions(fresh: Path) -> None:
    (fresh / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (fresh / "pyproject.toml").chmod(0o600)
    main(["--root", str(fresh)])
    assert (fresh / "pyproject.toml").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in fresh.glob(".pyproject.toml.*")] == []


def test_a_project_with_only_attestations_gets_the_section_added(fresh: Path) -> None:
    (fresh / "pyproject.toml").write_text(
        '[[tool.mltestscore.manual]]\nitem = "data-6"\nevidence = "x"\ndate = 2026-01-01\n'
    )
    assert main(["--root", str(fresh)]) == 0
    settings = tomllib.loads((fresh / "pyproject.toml").read_text())["tool"]["mltestscore"]
    assert settings["train"] == "data/train.parquet"
    assert settings["manual"][0]["item"] == "data-6"


def test_dry_run_prints_the_section_and_writes_nothing(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(fresh), "--dry-run"]) == 0
    assert "+[tool.mltestscore]" in capsys.readouterr().out
    assert not (fresh / "pyproject.toml").exists()
    assert not (fresh / "schemas").exists()


def test_an_existing_great_expectations_suite_and_registry_are_used(
    fresh: Path, project: Any
) -> None:
    (fresh / "gx").mkdir()
    (fresh / "gx" / "income.json").write_text('{"name": "income", "expectations": []}')
    (fresh / "models" / "model.skops").unlink()
    registry = fresh / "models" / "registry"
    for version in ("v0001", "v0002"):
        (registry / version).mkdir(parents=True)
        (registry / version / "model.skops").write_bytes(project.model.read_bytes())
    (registry / "CURRENT").write_text("v0002\n")
    main(["--root", str(fresh)])
    settings = tomllib.loads((fresh / "pyproject.toml").read_text())["tool"]["mltestscore"]
    assert settings["schema"] == "gx/income.json"
    assert settings["registry"] == "models/registry"
    assert "model" not in settings


def test_it_runs_as_a_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mltestscore.init", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "found no data or model" in result.stdout
    assert "[tool.mltestscore]" in (tmp_path / "pyproject.toml").read_text()
