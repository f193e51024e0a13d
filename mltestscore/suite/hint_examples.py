"""The key a scorecard hint suggests, checked against the project before it is shown.

A hint such as *set `registry = "models/"`* is followed to the letter; when ``models/`` is a
plain folder of model files the next run is a usage error, or worse a wall of failing items.
So a concrete example is shown only when the project would accept it (the path exists, the
registry has its layout, the column is in the training data); otherwise the hint says what
the value must be instead of inventing one.
"""

from __future__ import annotations

import re
from pathlib import Path

from mltestscore.suite.config import SuiteConfig, read_columns

# Concrete examples, and what the value must be when the example does not fit the project.
EXAMPLES = {
    "model": ("models/model.skops", "<a .skops model file, or package.module:load_model>"),
    "train": ("data/train.parquet", "<the training data, .parquet or .csv>"),
    "test": ("data/test.parquet", "<held-out labelled data, .parquet or .csv>"),
    "serving": ("data/serving_sample.parquet", "<a sample of served inputs, .parquet or .csv>"),
    "target": ("label", "<the label column>"),
    "sensitive": (["sex", "race"], ["<a protected attribute column>"]),
    "slices": (["country", "age"], ["<a column to slice quality by>"]),
    "time_column": ("event_time", "<a column of event timestamps>"),
    "schema": ("schemas/train.json", "schemas/train.json"),  # created and inferred: always fits
    "feature_spec": ("features.yaml", "<a feature spec YAML>"),
    "registry": ("models/", "<a folder of versions v0001/... with a CURRENT file>"),
    "train_fn": ("package.train:train", "<package.module:function taking (frame, seed)>"),
}
_PATH_KEYS = frozenset({"model", "train", "test", "serving", "feature_spec"})
_COLUMN_KEYS = frozenset({"target", "sensitive", "slices", "time_column"})


def _is_registry(folder: Path) -> bool:
    pointer = folder / "CURRENT"
    if not pointer.is_file():
        return False
    current = pointer.read_text(encoding="utf-8").strip()
    return bool(re.fullmatch(r"v\d{4,}", current)) and (folder / current / "model.skops").is_file()


def _train_columns(config: SuiteConfig) -> set[str] | None:
    source = config.data.get("train")
    if source is None or source.path is None:
        return None
    try:
        return set(read_columns(source.path))
    except Exception:
        return None


def _fits(config: SuiteConfig, key: str, value: object) -> bool:
    if key == "schema":
        return True
    if key in _PATH_KEYS:
        return isinstance(value, str) and (config.root / value).is_file()
    if key == "registry":
        return isinstance(value, str) and _is_registry(config.root / value)
    if key in _COLUMN_KEYS:
        columns = _train_columns(config)
        names = value if isinstance(value, list) else [value]
        return columns is not None and all(name in columns for name in names)
    return False  # train_fn: a made-up module never imports


def _toml(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'"{value}"'


def key_example(config: SuiteConfig, key: str, checked: bool = True) -> str:
    """``key = value`` for a hint: the concrete example when this project accepts it (only
    looked at when ``checked``), else the description of the value it needs."""
    if key not in EXAMPLES:
        return f"{key} = ..."
    example, description = EXAMPLES[key]
    value = example if checked and _fits(config, key, example) else description
    return f"{key} = {_toml(value)}"
