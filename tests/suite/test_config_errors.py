"""A problem in the suite keys stops the run with a usage error naming the key, before any
item runs; a problem only visible when loading fails the items that need the input."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("overrides", "thresholds", "message"),
    [
        ({"train": "data/nope.parquet"}, None, "*[[]tool.mltestscore[]] train: 'data/nope.parquet' does not exist*"),
        ({"test": "pyproject.toml"}, None, "*[[]tool.mltestscore[]] test: pyproject.toml is not a Parquet or CSV file*"),
        ({"target": "incme"}, None, "*[[]tool.mltestscore[]] target: column 'incme' is not in the train data*did you mean 'income'?*"),
        ({"sensitive": ["gender"]}, None, "*[[]tool.mltestscore[]] sensitive: column 'gender' is not in the test data*"),
        ({"train_fn": "no_such_package.train:train"}, None, "*[[]tool.mltestscore[]] train_fn: cannot import module 'no_such_package.train'*"),
        ({"train_fn": "train"}, None, "*[[]tool.mltestscore[]] train_fn must be 'package.module:function'*"),
        ({"model": "model.txt"}, None, "*[[]tool.mltestscore[]] model: 'model.txt' does not exist*"),
        ({"model_trusted": None}, None, "*[[]tool.mltestscore[]] model: skops does not trust 2 type(s)*model_trusted = *"),
        ({"registry": "pyproject.toml"}, None, "*[[]tool.mltestscore[]] registry: *is not a directory*"),
        ({"schema": "schemas/train.yaml"}, None, "*[[]tool.mltestscore[]] schema: a Great Expectations suite is a .json file*"),
        ({}, {"model-7.demographic_parity_ration": 0.8}, "*thresholds.'model-7.demographic_parity_ration': *has no parameter 'demographic_parity_ration'; did you mean 'demographic_parity_ratio'?"),
        ({}, {"modle-7.max_auc": 0.9}, "*no generated check for 'modle-7'; did you mean 'model-7'?*"),
        ({}, {"max_auc": 0.9}, "*must look like \"model-7.min_selection_rate_ratio\"*"),
    ],
)  # fmt: skip
def test_a_bad_suite_key_is_a_usage_error_naming_the_key(
    pytester: pytest.Pytester,
    project: Any,
    overrides: dict[str, Any],
    thresholds: dict[str, Any] | None,
    message: str,
) -> None:
    project.write(pytester, project.keys(**overrides), thresholds=thresholds)
    result = pytester.runpytest("--mlscore", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: mltestscore: {message}"])
    assert "Traceback" not in result.stderr.str()


def test_a_pickled_model_is_refused_unless_the_configuration_trusts_it(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys(model=str(project.pickle), model_trusted=None))
    refused = pytester.runpytest("--mlscore", "--collect-only")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*model: model.pkl is a pickle*set model_trusted = true*"])
    project.write(pytester, project.keys(model=str(project.pickle), model_trusted=True))
    pytester.runpytest("--mlscore", "-k", "stability").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("loaders", "overrides", "selection", "message"),
    [
        (
            "def train():\n    return [1, 2, 3]\n",
            {"train": "loaders:train", "serving": None},
            "pii",
            "*[[]tool.mltestscore[]] train: 'loaders:train' returned list, not a pandas DataFrame",
        ),
        (
            "import pandas as pd\ndef train():\n    return pd.DataFrame({'income': []})\n",
            {"train": "loaders:train", "serving": None},
            "pii",
            "*[[]tool.mltestscore[]] train: 'loaders:train' has no rows",
        ),
        (
            "import pandas as pd\ndef serving():\n    return pd.DataFrame({'age': [30.0]})\n",
            {"serving": "loaders:serving", "prediction": "score"},
            "pii and serving",
            "*[[]tool.mltestscore[]] prediction: column 'score' is not in the serving data*",
        ),
        (
            "def model():\n    return 'not a model'\n",
            {"model": "loaders:model"},
            "weak_segments",
            "*[[]tool.mltestscore[]] model: got a str, which has no predict()",
        ),
        (
            "def model():\n    raise RuntimeError('registry down')\n",
            {"model": "loaders:model"},
            "weak_segments",
            "*[[]tool.mltestscore[]] model: 'loaders:model' raised RuntimeError: registry down",
        ),
    ],
)
def test_an_input_that_fails_to_load_fails_its_items_naming_the_key(
    pytester: pytest.Pytester,
    project: Any,
    loaders: str,
    overrides: dict[str, Any],
    selection: str,
    message: str,
) -> None:
    pytester.makepyfile(loaders=loaders)
    project.write(pytester, project.keys(**overrides))
    result = pytester.runpytest("--mlscore", "-k", selection)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"mltestscore: {message}"])
    assert "Traceback" not in result.stdout.str()


def test_a_configuration_error_removes_the_scorecard_of_an_earlier_run(
    pytester: pytest.Pytester, project: Any
) -> None:
    stale = pytester.path / "reports" / "mlscore.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    project.write(pytester, project.keys(target="nope"))
    assert pytester.runpytest("--mlscore").ret == pytest.ExitCode.USAGE_ERROR
    assert not stale.exists()


def test_a_plain_models_folder_as_registry_is_a_usage_error_not_failing_items(
    pytester: pytest.Pytester, project: Any
) -> None:
    models = pytester.path / "models"
    models.mkdir()
    (models / "model.skops").write_bytes(project.model.read_bytes())
    project.write(pytester, project.keys(registry="models/"))
    result = pytester.runpytest("--mlscore")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: mltestscore: *registry: *has no CURRENT file: a registry holds version folders*"]
    )


def test_the_folder_of_a_schema_to_infer_is_created_instead_of_a_usage_error(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys(schema="schemas/train.json"))
    result = pytester.runpytest("--mlscore", "-k", "data-1 and schema and train")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "schemas" / "train.json").is_file()
