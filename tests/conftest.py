"""Shared fixtures: the Adult sample as real data and a real fitted model on it.

Heavy libraries are imported inside the fixtures so tests of the light plugin never pay for
them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

# Imported once for the whole session: pytester's in-process runs restore sys.modules after
# each run, and a PyYAML imported for the first time inside one of them breaks the next.
import yaml  # noqa: F401

if TYPE_CHECKING:
    import pandas as pd

# Two shared cores: one thread per native pool keeps model fits from oversubscribing the
# machine (20-30x slower otherwise). Set before numpy/scikit-learn load their runtimes.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ADULT_SAMPLE = Path(__file__).parent / "data" / "adult" / "adult_sample.csv"
ADULT_TARGET = "income"
ADULT_NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
ADULT_CATEGORICAL = [
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
]

pytest_plugins = ["pytester"]


def load_adult() -> pd.DataFrame:
    """The Adult sample with the label as 0/1 in ``income`` (1 means >50K)."""
    import pandas as pd

    df = pd.read_csv(ADULT_SAMPLE)
    df[ADULT_TARGET] = (df[ADULT_TARGET] == ">50K").astype("int64")
    return df


def make_adult_pipeline(**params: Any) -> Any:
    """An unfitted scikit-learn Pipeline (ColumnTransformer + gradient boosting) for Adult."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    preprocess = ColumnTransformer(
        [
            ("num", "passthrough", ADULT_NUMERIC),
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        (
                            "encode",
                            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                        ),
                    ]
                ),
                ADULT_CATEGORICAL,
            ),
        ]
    )
    model = HistGradientBoostingClassifier(max_iter=60, random_state=0, **params)
    return Pipeline([("preprocess", preprocess), ("model", model)])


@pytest.fixture(autouse=True)
def _no_github_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs inside our tests must not append to the CI job summary of this repository."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytester's in-process runs see this process's environment: under ``pytest -n`` it
    names an xdist worker, and the plugin would treat the run inside as one."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)


class CrawlingClock:
    """Stands in for a check module's ``time``: every reading is 1,000 s after the last, as on
    a machine too loaded to finish anything. A check whose work follows the wall clock does
    less under it; a check with fixed work does the same work and gives the same figures."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 1000.0
        return self.now

    monotonic = process_time = time = perf_counter


@pytest.fixture
def slow_machine(monkeypatch: pytest.MonkeyPatch) -> Callable[[ModuleType], None]:
    """``slow_machine(module)``: from now on, the module's clock crawls (:class:`CrawlingClock`)."""

    def crawl(module: ModuleType) -> None:
        monkeypatch.setattr(module, "time", CrawlingClock())

    return crawl


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    return load_adult()


@pytest.fixture(scope="session")
def adult_split(adult: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): a fixed 70/30 split of the sample."""
    train = adult.sample(frac=0.7, random_state=0)
    test = adult.drop(train.index)
    return train.reset_index(drop=True), test.reset_index(drop=True)


@pytest.fixture(scope="session")
def adult_model(adult_split: tuple[pd.DataFrame, pd.DataFrame]) -> Any:
    """A Pipeline fitted on the train split; treat as read-only (it is shared)."""
    train, _ = adult_split
    pipeline = make_adult_pipeline()
    pipeline.fit(train.drop(columns=[ADULT_TARGET]), train[ADULT_TARGET])
    return pipeline


@pytest.fixture(scope="session")
def adult_pipeline_factory() -> Any:
    """``make_adult_pipeline``: fresh, unfitted Adult pipelines (keywords go to the model)."""
    return make_adult_pipeline


@pytest.fixture
def empty_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private per-user cache and an empty folder first on sys.path, where a test installs
    fake distributions (a ``.dist-info`` folder) to see what is read again."""
    from mltestscore import cache

    monkeypatch.setenv(cache.CACHE_VARIABLE, str(tmp_path / "cache"))
    cache.cache_folder.cache_clear()
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    cache.cache_folder.cache_clear()
