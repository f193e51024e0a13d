"""A feature function as the model's input (issue 16): ``features = "pkg.module:function"``
turns the data's rows into what the model takes, for every check that feeds the model; its
contract (a DataFrame, one row per input row, no label or identifier among its columns) is
checked at start-up, and a broken one stops pytest with a usage error naming it.

End to end with pytester on a scikit-learn and a LightGBM model trained on the built columns,
which the data files do not have."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mltestscore.errors import ConfigError
from mltestscore.suite.config import Source, SuiteConfig
from mltestscore.suite.context import SuiteContext

FEATURES = """
    import pandas as pd

    def build_features(rows):
        built = pd.DataFrame(index=rows.index)
        built["age"] = rows["age"]
        built["hours"] = rows["hours-per-week"]
        built["capital_net"] = rows["capital-gain"] - rows["capital-loss"]
        built["married"] = rows["marital-status"].str.startswith("Married").astype("int64")
        built["schooling"] = rows["education-num"]
        built["workclass"] = pd.Categorical(rows["workclass"], categories={workclasses!r})
        return built
"""

LOADER = """
    import joblib

    def load_model():
        return joblib.load({path!r})
"""

SELECTED = (
    "importance or baselines or slices or fairness or stability or weak_segments or drift "
    "or served_quality"
)


def build_features(rows: pd.DataFrame, workclasses: list[str]) -> pd.DataFrame:
    """The same function as the project's, for training the model in the test."""
    built = pd.DataFrame(index=rows.index)
    built["age"] = rows["age"]
    built["hours"] = rows["hours-per-week"]
    built["capital_net"] = rows["capital-gain"] - rows["capital-loss"]
    built["married"] = rows["marital-status"].str.startswith("Married").astype("int64")
    built["schooling"] = rows["education-num"]
    built["workclass"] = pd.Categorical(rows["workclass"], categories=workclasses)
    return built


def model_on_built_columns(library: str, adult: pd.DataFrame, workclasses: list[str]) -> Any:
    train = adult.head(1500)
    X = build_features(train, workclasses)
    if library == "lightgbm":
        import lightgbm

        model = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=15, n_jobs=1, verbose=-1)
        return model.fit(X, train["income"])
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(max_iter=60, categorical_features="from_dtype")
    return model.fit(X, train["income"])


def write_project(
    pytester: pytest.Pytester, adult: pd.DataFrame, model: Any, **keys: Any
) -> list[str]:
    """Data files (raw Adult rows), the project's feature function and model loader, and a
    pyproject; returns the work classes the function knows."""
    import joblib

    workclasses = sorted(str(w) for w in adult["workclass"].dropna().unique())
    adult.iloc[1500:2300].to_csv(pytester.path / "train.csv", index=False)
    adult.iloc[2300:2700].to_csv(pytester.path / "test.csv", index=False)
    adult.iloc[2700:3000].to_csv(pytester.path / "serving.csv", index=False)
    joblib.dump(model, pytester.path / "model.joblib")
    pytester.path.joinpath("project_features.py").write_text(
        textwrap.dedent(FEATURES.format(workclasses=workclasses))
    )
    pytester.path.joinpath("project_model.py").write_text(
        textwrap.dedent(LOADER.format(path=str(pytester.path / "model.joblib")))
    )
    settings: dict[str, Any] = {
        "model": "project_model:load_model",
        "train": "train.csv",
        "test": "test.csv",
        "serving": "serving.csv",
        "target": "income",
        "slices": ["education"],
        "sensitive": ["sex"],
        "features": "project_features:build_features",
    }
    settings.update(keys)
    lines = ["[tool.mltestscore]"] + [
        f"{k} = {json.dumps(v)}" for k, v in settings.items() if v is not None
    ]
    pytester.path.joinpath("pyproject.toml").write_text("\n".join(lines) + "\n")
    return workclasses


def _workclasses(adult: pd.DataFrame) -> list[str]:
    return sorted(str(w) for w in adult["workclass"].dropna().unique())


@pytest.mark.parametrize("library", ["sklearn", "lightgbm"])
def test_every_check_that_feeds_the_model_takes_what_the_feature_function_builds(
    pytester: pytest.Pytester, adult: pd.DataFrame, library: str
) -> None:
    if library == "lightgbm":
        pytest.importorskip("lightgbm")
    model = model_on_built_columns(library, adult, _workclasses(adult))
    write_project(pytester, adult, model)
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider", "-k", SELECTED)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text())
    checks = {
        e["check"]: e
        for item in scorecard["items"]
        for e in item["evidence"]
        if e["kind"] == "check"
    }
    expected = {
        "check_features_are_beneficial",
        "check_simpler_model_is_not_better",
        "check_slice_quality",
        "check_group_fairness",
        "check_numerical_stability",
        "check_weak_segments",
        "check_feature_drift",
        "check_served_quality",
    }
    assert expected <= set(checks)
    errors = {name: e["reason"] for name, e in checks.items() if e["outcome"] == "error"}
    assert not errors
    # permutation importance ranked the built columns, which no data file has
    importance = json.dumps(checks["check_features_are_beneficial"]["tables"])
    assert "capital_net" in importance
    assert "capital-gain" not in importance
    # slices and groups come from the raw rows (education, sex are not model inputs),
    # aligned row by row with what the function built
    assert checks["check_slice_quality"]["outcome"] == "passed"
    assert checks["check_simpler_model_is_not_better"]["outcome"] == "passed"
    assert checks["check_group_fairness"]["outcome"] in {"passed", "failed"}
    # monitor-3 compared the built columns of train and serving (same population: no drift)
    drift = checks["check_feature_drift"]
    assert drift["outcome"] == "passed", drift["reason"]
    assert "capital_net" in json.dumps(drift["tables"])


def test_without_the_feature_function_the_same_project_stops_naming_the_built_columns(
    pytester: pytest.Pytester, adult: pd.DataFrame
) -> None:
    model = model_on_built_columns("sklearn", adult, _workclasses(adult))
    write_project(pytester, adult, model, features=None)
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the model needs 4 column(s) the test data lacks: 'hours'*"])


def test_a_feature_function_returning_the_label_stops_the_run_naming_it(
    pytester: pytest.Pytester, adult: pd.DataFrame
) -> None:
    model = model_on_built_columns("sklearn", adult, _workclasses(adult))
    write_project(pytester, adult, model)
    leaky = pytester.path / "project_features.py"
    leaky.write_text(
        leaky.read_text().replace(
            "    return built", '    built["income"] = rows["income"]\n    return built'
        )
    )
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*features: 'project_features:build_features' returns the target 'income' as a "
            "model input for the train data; leave it out of the features*"
        ]
    )
    result.stdout.no_fnmatch_line("*mlscore::*FAILED*")


def test_a_feature_function_that_does_not_import_is_a_usage_error_naming_the_key(
    pytester: pytest.Pytester, adult: pd.DataFrame
) -> None:
    model = model_on_built_columns("sklearn", adult, _workclasses(adult))
    write_project(pytester, adult, model, features="project_features:no_such_function")
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*features: module 'project_features' has no 'no_such_function'*"])


# -- the contract, on the context directly -------------------------------------------------


def _context(tmp_path: Path, frame: pd.DataFrame, function: Any, **keys: Any) -> SuiteContext:
    config = SuiteConfig(
        source="pyproject.toml",
        root=tmp_path,
        data={"test": Source("test", "d:f", function=lambda: frame)},
        target="income",
        feature_fn=Source("features", "project:build", function=function),
        **keys,
    )
    return SuiteContext(config)


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (lambda rows: rows.to_numpy(), "returned ndarray for the test data; it must return"),
        (lambda rows: rows.head(3), "returned 3 rows for the 20 rows of the test data"),
        (lambda rows: rows[[]], "returned no columns for the test data"),
        (lambda rows: rows.set_axis(range(rows.shape[1]), axis=1), "distinct strings"),
        (lambda rows: rows.drop(columns=["income"]), "an identifier (`id_columns`) 'row_id'"),
        (lambda rows: rows["nope"], "raised KeyError on the test data (20 rows): 'nope'"),
    ],
    ids=["an array", "fewer rows", "no columns", "unnamed columns", "an identifier", "raises"],
)
def test_each_broken_contract_is_a_usage_error_naming_the_function(
    tmp_path: Path, adult: pd.DataFrame, function: Any, message: str
) -> None:
    frame = adult.head(20).assign(row_id=range(20))
    context = _context(tmp_path, frame, function, id_columns=("row_id",))
    with pytest.raises(ConfigError, match="features: 'project:build'") as raised:
        context.check_model_input()
    assert message in str(raised.value)


def test_rows_the_function_reorders_or_reindexes_are_aligned_with_the_data(
    tmp_path: Path, adult: pd.DataFrame
) -> None:
    frame = adult.iloc[100:120][["age", "income"]]  # an index from 100: not 0..19
    reordered = _context(tmp_path, frame, lambda rows: rows[["age"]].iloc[::-1])
    assert reordered.features("test")["age"].tolist() == frame["age"].tolist()
    reindexed = _context(tmp_path, frame, lambda rows: rows[["age"]].reset_index(drop=True))
    assert reindexed.features("test").index.equals(frame.index)


def test_the_function_never_changes_the_data_the_other_checks_read(
    tmp_path: Path, adult: pd.DataFrame
) -> None:
    frame = adult.head(20)

    def clobbering(rows: pd.DataFrame) -> pd.DataFrame:
        rows["age"] = 0
        return rows[["age"]]

    context = _context(tmp_path, frame, clobbering)
    assert (context.features("test")["age"] == 0).all()
    assert context.frame("test")["age"].tolist() == adult.head(20)["age"].tolist()
