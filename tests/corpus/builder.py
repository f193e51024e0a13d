"""Write a corpus project variant to disk as a real ``[tool.mltestscore]`` project.

What lands in the folder is what the README asks of a user: train / test / serving Parquet
files (serving with labels joined and an event time), a local model registry holding the
previous and the current version (skops, with their environment snapshots and test metrics),
a feature spec, a training function, and ``[tool.mltestscore]`` in ``pyproject.toml``. The
schema is not written: the suite infers it from ``train`` on the first run, as it does for a
new user. File permissions are the default umask's, as in any checkout.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.model_store import LocalModelStore
from tests.corpus import projects
from tests.corpus.defects import LEAK_COLUMN, PII_COLUMN, Build, Defect, slowed_model
from tests.corpus.projects import GROUP, TIME_COLUMN, Project, build_model, split

SEED = 0
TRAIN_MODULE = "corpus_train"
# The project definitions travel with the project (its training code imports them), so the
# project runs on the installed mltestscore alone, without this repository on sys.path.
PROJECTS_MODULE = "corpus_projects"


def _event_times(rows: int, end: datetime, days: float, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, days * 86_400, size=rows))[::-1]
    return pd.Series(
        [end - timedelta(seconds=float(s)) for s in offsets], dtype="datetime64[us, UTC]"
    )


def prepare(spec: Project, defect: Defect | None) -> Build:
    """Split the project's rows and plant ``defect`` (None: the clean version)."""
    train, test, serving = split(spec.load(), seed=SEED)
    build = Build(spec, train, test, serving, list(spec.numeric), list(spec.categorical))
    if defect is not None and defect.plant is not None:
        defect.plant(build, np.random.default_rng(SEED + 1))
    now = datetime.now(UTC)
    build.train[TIME_COLUMN] = _event_times(len(train), now - timedelta(days=30), 365, 2)
    build.test[TIME_COLUMN] = _event_times(len(test), now - timedelta(days=3), 27, 3)
    build.serving[TIME_COLUMN] = _event_times(len(serving), now - timedelta(minutes=5), 2, 4)
    return build


def _metric(
    spec: Project, model: Any, frame: pd.DataFrame, features: list[str]
) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    X, y = frame[features], frame[spec.target]
    if spec.task == "regression":
        return {"r2": float(r2_score(y, model.predict(X)))}
    if spec.task == "binary":
        return {"roc_auc": float(roc_auc_score(y, model.predict_proba(X)[:, 1]))}
    return {"accuracy": float(accuracy_score(y, model.predict(X)))}


def _feature_spec(build: Build) -> str:
    lines = ["version: 1", f"description: Inputs of the {build.spec.name} model.", "features:"]
    for name in [*build.numeric, *build.categorical]:
        lines += [
            f"  {json.dumps(name)}:",
            f"    owner: {build.spec.name} team",
            f"    description: {json.dumps(name + ' as recorded at prediction time')}",
            f"    source: {json.dumps('warehouse.' + name)}",
        ]
    allowed = [
        f for f in build.spec.sensitive_features if f in [*build.numeric, *build.categorical]
    ]
    if GROUP in build.categorical:
        allowed.append(GROUP)
    lines.append(f"allow_sensitive: {json.dumps(allowed)}")
    lines.append("allow_pii: []")
    return "\n".join(lines) + "\n"


def _train_module(build: Build) -> str:
    return (
        '"""The training function mltestscore calls (train_fn)."""\n\n'
        f"from {PROJECTS_MODULE} import build_model, project\n\n"
        f"NUMERIC = {build.numeric!r}\n"
        f"CATEGORICAL = {build.categorical!r}\n"
        f"TARGET = {build.spec.target!r}\n\n\n"
        "def train(frame, seed=0):\n"
        f"    spec = project({build.spec.name!r})\n"
        "    model = build_model(spec, seed, numeric=NUMERIC, categorical=CATEGORICAL)\n"
        "    return model.fit(frame[NUMERIC + CATEGORICAL], frame[TARGET])\n"
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _pyproject(build: Build, trusted: list[str]) -> str:
    spec = build.spec
    lines = [
        "[project]",
        f'name = "corpus-{spec.name}"',
        'version = "0.1.0"',
        "",
        "[tool.pytest.ini_options]",
        'addopts = "-p no:cacheprovider"',
        'pythonpath = ["."]',
        "",
        "[tool.mltestscore]",
        'registry = "models"',
        f"model_trusted = {json.dumps(trusted)}",
        'train = "data/train.parquet"',
        'test = "data/test.parquet"',
        'serving = "data/serving.parquet"',
        f"target = {json.dumps(spec.target)}",
        f"time_column = {json.dumps(TIME_COLUMN)}",
        f"sensitive = {json.dumps([GROUP])}",
        f"slices = {json.dumps(list(spec.slices))}",
        'schema = "schemas/train.json"',
        'feature_spec = "features.yaml"',
        f'train_fn = "{TRAIN_MODULE}:train"',
    ]
    if spec.thresholds:
        lines += ["", "[tool.mltestscore.thresholds]"]
        lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in spec.thresholds.items()]
    return "\n".join(lines) + "\n"


DEPENDABOT = """version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule:
      interval: weekly
"""


def _distribution(module: str) -> str:
    """The installed distribution that provides ``module`` (xgboost may be xgboost-cpu)."""
    from importlib.metadata import packages_distributions

    return packages_distributions().get(module, [module])[0]


def _write_dependency_upkeep(folder: Path, spec: Project) -> None:
    """What a kept project has (monitor-1): an update bot and pinned requirements (the
    model's library too, for the LightGBM and XGBoost flavours)."""
    from importlib.metadata import version

    (folder / ".github").mkdir()
    (folder / ".github" / "dependabot.yml").write_text(DEPENDABOT)
    names = ["numpy", "pandas", "pyarrow", "scikit-learn", "skops"]
    if spec.model in projects.LIBRARIES:
        names.append(_distribution(spec.model))
    pins = [f"{name}=={version(name)}" for name in names]
    (folder / "requirements.txt").write_text("\n".join(pins) + "\n")


def write(build: Build, folder: Path) -> Path:
    """Write ``build`` into ``folder`` (emptied first); return the folder."""
    import skops.io

    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    (folder / "schemas").mkdir()
    for name, frame in (("train", build.train), ("test", build.test), ("serving", build.serving)):
        frame.to_parquet(folder / "data" / f"{name}.parquet", index=False)
    spec, features = build.spec, [*build.numeric, *build.categorical]
    store = LocalModelStore(folder / "models")
    data_files = [folder / "data" / "train.parquet"]
    previous = build_model(
        spec, SEED, previous=True, numeric=build.numeric, categorical=build.categorical
    ).fit(build.train[features], build.train[spec.target])
    store.register(previous, _metric(spec, previous, build.test, features), data_files, True)
    current = build_model(spec, SEED, numeric=build.numeric, categorical=build.categorical).fit(
        build.train[features], build.train[spec.target]
    )
    version = store.register(current, _metric(spec, current, build.test, features), data_files)
    store.set_current(version)
    trusted = sorted(skops.io.get_untrusted_types(file=store.model_path(version)))
    (folder / "features.yaml").write_text(_feature_spec(build))
    (folder / f"{TRAIN_MODULE}.py").write_text(_train_module(build))
    shutil.copy(Path(projects.__file__), folder / f"{PROJECTS_MODULE}.py")
    (folder / "pyproject.toml").write_text(_pyproject(build, trusted))
    _write_dependency_upkeep(folder, spec)
    return folder


def register_slowed_model(build: Build, folder: Path) -> None:
    """Make a two-copies voting ensemble of the current model the registry's new current
    version (the slowed-model defect), trusting the types its artifact adds."""
    import skops.io

    store = LocalModelStore(folder / "models")
    slowed = slowed_model(build.spec, build.train)
    features = [*build.numeric, *build.categorical]
    version = store.register(
        slowed,
        _metric(build.spec, slowed, build.test, features),
        [folder / "data" / "train.parquet"],
    )
    store.set_current(version)
    trusted = sorted(skops.io.get_untrusted_types(file=store.model_path(version)))
    (folder / "pyproject.toml").write_text(_pyproject(build, trusted))


__all__ = ["LEAK_COLUMN", "PII_COLUMN", "prepare", "register_slowed_model", "write"]
