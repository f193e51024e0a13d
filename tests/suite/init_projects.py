"""Three ordinary projects of different shapes, as a newcomer's would look before
``mltestscore init``: data files as they come, a model saved with skops, a training script.

- ``adult``: a binary classification (income over 50K) on the Adult sample, a skops logistic
  regression, train/test CSV files with an identifier, a name and a date of birth the model
  does not take, and ``pipeline/training.py`` with ``train(frame, seed)``;
- ``diabetes``: a regression (disease progression) on scikit-learn's diabetes data, a random
  forest (a tree model: skops reports ``sklearn.tree._tree.Tree``), Parquet files;
- ``wine``: a multiclass classification (three cultivars) on scikit-learn's wine data, a
  gradient-boosting model, and a serving sample without labels.

Used by the end-to-end tests of init (tests/suite/test_init_end_to_end.py) and by
benchmarks/bench_init.py, which times a fresh virtual environment to the first scorecard.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ADULT_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "adult" / "adult_sample.csv"

ADULT_TRAINING = '''"""Train the income model: a logistic regression on the Adult columns."""

from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
CATEGORICAL = ["workclass", "marital-status", "occupation", "relationship", "race", "sex"]


def build():
    return Pipeline(
        [
            (
                "prepare",
                ColumnTransformer(
                    [
                        ("numbers", StandardScaler(), NUMERIC),
                        ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
                    ]
                ),
            ),
            ("model", LogisticRegression(max_iter=500)),
        ]
    )


def train(frame, seed):
    """A fitted model from raw rows (the label in `income`)."""
    model = build()
    model.set_params(model__random_state=seed)
    return model.fit(frame[NUMERIC + CATEGORICAL], frame["income"])
'''


def adult(folder: Path) -> Path:
    """The Adult project (binary; a logistic regression; personal data in the files)."""
    folder.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    from mltestscore import artifacts

    frame = pd.read_csv(ADULT_SAMPLE)
    frame["income"] = (frame["income"] == ">50K").astype("int64")
    frame = frame.drop(columns=["fnlwgt", "education", "native-country"])
    rows = len(frame)
    frame.insert(0, "person_id", [f"A{n:07d}" for n in range(rows)])
    frame.insert(1, "full_name", [f"Person{n} Example{n % 97}" for n in range(rows)])
    births = pd.Timestamp("1990-06-30") - pd.to_timedelta(
        frame["age"] * 365 + (frame.index % 300), unit="D"
    )
    frame.insert(2, "date_of_birth", births.dt.strftime("%Y-%m-%d"))
    (folder / "data").mkdir(parents=True)
    frame.iloc[:3000].to_csv(folder / "data" / "train.csv", index=False)
    frame.iloc[3000:].to_csv(folder / "data" / "test.csv", index=False)
    (folder / "pipeline").mkdir()
    (folder / "pipeline" / "__init__.py").write_text("")
    (folder / "pipeline" / "training.py").write_text(ADULT_TRAINING)
    namespace: dict[str, object] = {}
    exec(compile(ADULT_TRAINING, "training.py", "exec"), namespace)  # the project's own code
    train: Callable[..., object] = namespace["train"]  # type: ignore[assignment]
    (folder / "models").mkdir()
    artifacts.save_model(train(frame.iloc[:3000], 0), folder / "models" / "income.skops")
    return folder


def diabetes(folder: Path) -> Path:
    """The diabetes project (regression; a random forest; Parquet)."""
    folder.mkdir(parents=True, exist_ok=True)
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor

    from mltestscore import artifacts

    frame = load_diabetes(as_frame=True).frame.rename(columns={"target": "progression"})
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    train, test = frame.iloc[:330], frame.iloc[330:]
    (folder / "data").mkdir(parents=True)
    train.to_parquet(folder / "data" / "train.parquet", index=False)
    test.to_parquet(folder / "data" / "holdout.parquet", index=False)
    model = RandomForestRegressor(n_estimators=50, min_samples_leaf=5, random_state=0)
    model.fit(train.drop(columns=["progression"]), train["progression"])
    (folder / "artifacts").mkdir()
    artifacts.save_model(model, folder / "artifacts" / "forest.skops")
    return folder


def wine(folder: Path) -> Path:
    """The wine project (multiclass; gradient boosting; a serving sample without labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    from sklearn.datasets import load_wine
    from sklearn.ensemble import HistGradientBoostingClassifier

    from mltestscore import artifacts

    frame = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    train, test = frame.iloc[:120], frame.iloc[120:]
    train.to_csv(folder / "wine_train.csv", index=False)
    test.to_csv(folder / "wine_test.csv", index=False)
    test.drop(columns=["cultivar"]).to_csv(folder / "serving_requests.csv", index=False)
    model = HistGradientBoostingClassifier(max_iter=50, random_state=0)
    model.fit(train.drop(columns=["cultivar"]), train["cultivar"])
    artifacts.save_model(model, folder / "model.skops")
    return folder


PROJECTS: dict[str, Callable[[Path], Path]] = {
    "adult": adult,
    "diabetes": diabetes,
    "wine": wine,
}


if __name__ == "__main__":  # python -m tests.suite.init_projects NAME FOLDER
    PROJECTS[sys.argv[1]](Path(sys.argv[2]))
