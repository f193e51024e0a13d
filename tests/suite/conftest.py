"""A small real project for the zero-config suite: Adult data as Parquet, a skops model and a
two-version registry, built once per session; each test writes its own pyproject.toml that
points at them by absolute path."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Loaded before pytester's module snapshots: PyYAML's C loader breaks when an in-process run
# drops the module and a later run imports it again.
import yaml  # noqa: F401

TRUSTED = ["numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


@dataclass(frozen=True)
class Project:
    folder: Path
    train: Path
    test: Path
    serving: Path
    shifted: Path  # serving data with a planted shift
    model: Path
    pickle: Path
    registry: Path

    def keys(self, **overrides: Any) -> dict[str, Any]:
        """Suite keys for a fully configured project; ``None`` drops a key."""
        keys: dict[str, Any] = {
            "model": str(self.model),
            "model_trusted": TRUSTED,
            "train": str(self.train),
            "test": str(self.test),
            "serving": str(self.serving),
            "target": "income",
            "sensitive": ["sex"],
            "slices": ["education"],
        }
        keys.update(overrides)
        return {k: v for k, v in keys.items() if v is not None}

    @staticmethod
    def write(
        pytester: pytest.Pytester,
        keys: dict[str, Any],
        thresholds: dict[str, Any] | None = None,
        tests: str | None = None,
    ) -> None:
        """A pyproject with these keys and a tests/ folder holding one hand-written test."""
        pytester.path.joinpath("pyproject.toml").write_text(pyproject_text(keys, thresholds))
        folder = pytester.path / "tests"
        folder.mkdir(exist_ok=True)
        folder.joinpath("test_own.py").write_text(textwrap.dedent(tests or OWN_TEST))

    @staticmethod
    def scorecard(pytester: pytest.Pytester) -> Any:
        return json.loads((pytester.path / "reports" / "mlscore.json").read_text())


OWN_TEST = """
    import pytest

    @pytest.mark.mlscore("data-7")
    def test_feature_code_is_tested():
        assert True
"""


def pyproject_text(keys: dict[str, Any], thresholds: dict[str, Any] | None = None) -> str:
    lines = ["[tool.mltestscore]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    if thresholds:
        lines.append("[tool.mltestscore.thresholds]")
        lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in thresholds.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def project(
    tmp_path_factory: pytest.TempPathFactory,
    adult_split: tuple[Any, Any],
    adult_pipeline_factory: Any,
) -> Project:
    import numpy as np

    from mltestscore import artifacts
    from mltestscore.model_store import LocalModelStore

    folder = tmp_path_factory.mktemp("suite-project")
    train, test = adult_split
    train, test = train.head(1200).copy(), test.head(500).copy()
    paths = {name: folder / f"{name}.parquet" for name in ("train", "test", "serving", "shifted")}
    train.to_parquet(paths["train"], index=False)
    test.to_parquet(paths["test"], index=False)
    serving = test.sample(n=300, random_state=1).reset_index(drop=True)
    serving.to_parquet(paths["serving"], index=False)
    shifted = serving.copy()
    shifted["age"] = shifted["age"] + 15  # a population 15 years older
    shifted["hours-per-week"] = np.minimum(shifted["hours-per-week"] * 1.5, 99).astype("int64")
    shifted.to_parquet(paths["shifted"], index=False)
    for path in paths.values():
        path.chmod(0o640)
    features = train.drop(columns=["income"])
    model = adult_pipeline_factory(learning_rate=0.2).fit(features, train["income"])
    model_path = artifacts.save_model(model, folder / "model.skops")
    pickle_path = artifacts.save_model(model, folder / "model.pkl")
    store = LocalModelStore(folder / "registry")
    store.register(adult_pipeline_factory(learning_rate=0.02).fit(features, train["income"]))
    store.register(model, make_current=True)
    return Project(
        folder=folder,
        train=paths["train"],
        test=paths["test"],
        serving=paths["serving"],
        shifted=paths["shifted"],
        model=model_path,
        pickle=pickle_path,
        registry=folder / "registry",
    )
